/*
 * ident_parse.c
 *      Pure parsers of the Unified Social Credit Code (GB 32100-2015) and of
 *      the resident identity number (GB 11643-1999).
 *
 * Deliberately free of PostgreSQL headers so that fuzz/ can build it with
 * libFuzzer outside the server; the SQL types (uscc.c, resident_id.c) wrap it.
 * Every failure writes a reason meant for errdetail and for *_check().
 */
#include <stdio.h>
#include <string.h>

#include "ident_parse.h"

/* Longest lenient input we keep characters of; longer is a length error. */
#define NORM_CAP 64

static const char uscc_alphabet[] = "0123456789ABCDEFGHJKLMNPQRTUWXY";

static const int uscc_weights[17] = {
	1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28
};

static const int orgcode_weights[8] = {3, 7, 9, 10, 5, 8, 4, 2};

static const int resident_weights[17] = {
	7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2
};

static const char resident_check_chars[] = "10X98765432";

/* 1 + value (0-30) of each character of the 31-symbol alphabet; 0 elsewhere. */
static const unsigned char uscc_value1[256] = {
	['0'] = 1,['1'] = 2,['2'] = 3,['3'] = 4,['4'] = 5,['5'] = 6,['6'] = 7,['7'] = 8,
	['8'] = 9,['9'] = 10,['A'] = 11,['B'] = 12,['C'] = 13,['D'] = 14,['E'] = 15,
	['F'] = 16,['G'] = 17,['H'] = 18,['J'] = 19,['K'] = 20,['L'] = 21,['M'] = 22,
	['N'] = 23,['P'] = 24,['Q'] = 25,['R'] = 26,['T'] = 27,['U'] = 28,['W'] = 29,
	['X'] = 30,['Y'] = 31
};

/* Value 0-30 of a character of the 31-symbol USCC alphabet, or -1. */
static inline int
uscc_value(unsigned char c)
{
	return (int) uscc_value1[c] - 1;
}

/* 1 + value of each organisation-code character (0-9, A=10 ... Z=35); 0 elsewhere. */
static const unsigned char orgcode_value1[256] = {
	['0'] = 1,['1'] = 2,['2'] = 3,['3'] = 4,['4'] = 5,['5'] = 6,['6'] = 7,['7'] = 8,
	['8'] = 9,['9'] = 10,['A'] = 11,['B'] = 12,['C'] = 13,['D'] = 14,['E'] = 15,
	['F'] = 16,['G'] = 17,['H'] = 18,['I'] = 19,['J'] = 20,['K'] = 21,['L'] = 22,
	['M'] = 23,['N'] = 24,['O'] = 25,['P'] = 26,['Q'] = 27,['R'] = 28,['S'] = 29,
	['T'] = 30,['U'] = 31,['V'] = 32,['W'] = 33,['X'] = 34,['Y'] = 35,['Z'] = 36
};

/* ASCII characters of a code as kept: digits, upper case, lower case folded; 0 elsewhere. */
static const char ascii_fold[256] = {
	['0'] = '0',['1'] = '1',['2'] = '2',['3'] = '3',['4'] = '4',['5'] = '5',['6'] = '6',
	['7'] = '7',['8'] = '8',['9'] = '9',['A'] = 'A',['B'] = 'B',['C'] = 'C',['D'] = 'D',
	['E'] = 'E',['F'] = 'F',['G'] = 'G',['H'] = 'H',['I'] = 'I',['J'] = 'J',['K'] = 'K',
	['L'] = 'L',['M'] = 'M',['N'] = 'N',['O'] = 'O',['P'] = 'P',['Q'] = 'Q',['R'] = 'R',
	['S'] = 'S',['T'] = 'T',['U'] = 'U',['V'] = 'V',['W'] = 'W',['X'] = 'X',['Y'] = 'Y',
	['Z'] = 'Z',['a'] = 'A',['b'] = 'B',['c'] = 'C',['d'] = 'D',['e'] = 'E',['f'] = 'F',
	['g'] = 'G',['h'] = 'H',['i'] = 'I',['j'] = 'J',['k'] = 'K',['l'] = 'L',['m'] = 'M',
	['n'] = 'N',['o'] = 'O',['p'] = 'P',['q'] = 'Q',['r'] = 'R',['s'] = 'S',['t'] = 'T',
	['u'] = 'U',['v'] = 'V',['w'] = 'W',['x'] = 'X',['y'] = 'Y',['z'] = 'Z'
};

/* Position-18 check character: alphabet[(31 - S mod 31) mod 31]. */
char
uscc_check_char(const char *c17)
{
	int			sum = 0;

	for (int i = 0; i < 17; i++)
	{
		int			v = uscc_value1[(unsigned char) c17[i]];

		sum += (v - (v > 0)) * uscc_weights[i]; /* outside the alphabet: 0 */
	}
	/* the outer mod maps 31 to 0: a common bug is to index alphabet[31] */
	return uscc_alphabet[(31 - sum % 31) % 31];
}

/* Organisation-code check: 11 - S mod 11, with 10 -> 'X' and 11 -> '0'. */
char
orgcode_check_char(const char *c8)
{
	int			sum = 0;
	int			c;

	for (int i = 0; i < 8; i++)
	{
		int			v = orgcode_value1[(unsigned char) c8[i]];

		sum += (v - (v > 0)) * orgcode_weights[i];
	}
	c = 11 - sum % 11;
	if (c == 10)
		return 'X';
	if (c == 11)
		return '0';
	return (char) ('0' + c);
}

/* ISO 7064 MOD 11-2 check character of 17 ASCII digits. */
char
resident_id_check_char(const char *d17)
{
	int			sum = 0;

	for (int i = 0; i < 17; i++)
		sum += (d17[i] - '0') * resident_weights[i];
	return resident_check_chars[sum % 11];
}

/* Length of the strictly valid UTF-8 sequence at s (at most n bytes), or 0. */
static size_t
utf8_seq_len(const unsigned char *s, size_t n)
{
	unsigned char c = s[0];
	size_t		len;
	unsigned char lo = 0x80,
				hi = 0xBF;

	if (c < 0x80)
		return 1;
	if (c >= 0xC2 && c <= 0xDF)
		len = 2;
	else if (c >= 0xE0 && c <= 0xEF)
	{
		len = 3;
		if (c == 0xE0)
			lo = 0xA0;
		else if (c == 0xED)
			hi = 0x9F;
	}
	else if (c >= 0xF0 && c <= 0xF4)
	{
		len = 4;
		if (c == 0xF0)
			lo = 0x90;
		else if (c == 0xF4)
			hi = 0x8F;
	}
	else
		return 0;
	if (len > n)
		return 0;
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < len; i++)
		if (s[i] < 0x80 || s[i] > 0xBF)
			return 0;
	return len;
}

/* Write "bad character X at position N" for the character at s. */
static void
bad_char_reason(const unsigned char *s, size_t n, size_t pos,
				const char *why, char *reason, size_t reasonlen)
{
	size_t		len = utf8_seq_len(s, n);
	char		shown[16];

	if (len == 1 && s[0] >= 0x20 && s[0] < 0x7F)
		snprintf(shown, sizeof(shown), "\"%c\"", s[0]);
	else if (len > 1)
		snprintf(shown, sizeof(shown), "\"%.*s\"", (int) len, (const char *) s);
	else
		snprintf(shown, sizeof(shown), "0x%02X", s[0]);
	snprintf(reason, reasonlen, "bad character %s at position %zu%s%s%s",
			 shown, pos, why ? " (" : "", why ? why : "", why ? ")" : "");
}

/* Bytes of white space (ASCII, U+00A0, U+3000) at s, or 0. */
static inline size_t
space_at(const unsigned char *s, size_t n)
{
	if (s[0] == ' ' || (s[0] >= '\t' && s[0] <= '\r'))
		return 1;
	if (n >= 2 && s[0] == 0xC2 && s[1] == 0xA0)
		return 2;
	if (n >= 3 && s[0] == 0xE3 && s[1] == 0x80 && s[2] == 0x80)
		return 3;
	return 0;
}

/* Bytes of white space ending at s + n, or 0. */
static inline size_t
space_before(const unsigned char *s, size_t n)
{
	unsigned char c = s[n - 1];

	if (c == ' ' || (c >= '\t' && c <= '\r'))
		return 1;
	if (n >= 2 && s[n - 2] == 0xC2 && c == 0xA0)
		return 2;
	if (n >= 3 && s[n - 3] == 0xE3 && s[n - 2] == 0x80 && c == 0x80)
		return 3;
	return 0;
}

/*
 * Reduce lenient input to upper-case ASCII letters and digits: trim white
 * space, drop hyphens (ASCII, full-width, Unicode dashes), fold full-width
 * and lower-case characters.  Keeps at most cap characters in buf but counts
 * all in *n.  Any other character is an error naming its position.
 */
static bool
normalize(const char *in, size_t len, char *buf, size_t cap, size_t *n,
		  char *reason, size_t reasonlen)
{
	const unsigned char *s = (const unsigned char *) in;
	size_t		i = 0,
				end = len,
				k = 0,
				w;

	while (i < end && (w = space_at(s + i, end - i)) > 0)
		i += w;
	while (end > i && (w = space_before(s + i, end - i)) > 0)
		end -= w;

	while (i < end)
	{
		unsigned char c = s[i];
		char		ch = ascii_fold[c];

		if (ch)
			i++;
		else if (c == '-')
		{
			i++;
			continue;
		}
		else if (c == 0xEF && end - i >= 3 && s[i + 1] == 0xBC &&
				 s[i + 2] >= 0x90 && s[i + 2] <= 0x99)
		{
			ch = (char) ('0' + s[i + 2] - 0x90);	/* U+FF10-FF19 */
			i += 3;
		}
		else if (c == 0xEF && end - i >= 3 && s[i + 1] == 0xBC &&
				 s[i + 2] >= 0xA1 && s[i + 2] <= 0xBA)
		{
			ch = (char) ('A' + s[i + 2] - 0xA1);	/* U+FF21-FF3A */
			i += 3;
		}
		else if (c == 0xEF && end - i >= 3 && s[i + 1] == 0xBD &&
				 s[i + 2] >= 0x81 && s[i + 2] <= 0x9A)
		{
			ch = (char) ('A' + s[i + 2] - 0x81);	/* U+FF41-FF5A */
			i += 3;
		}
		else if (c == 0xEF && end - i >= 3 && s[i + 1] == 0xBC && s[i + 2] == 0x8D)
		{
			i += 3;				/* U+FF0D full-width hyphen-minus */
			continue;
		}
		else if (c == 0xE2 && end - i >= 3 &&
				 ((s[i + 1] == 0x80 && s[i + 2] >= 0x90 && s[i + 2] <= 0x95) ||
				  (s[i + 1] == 0x88 && s[i + 2] == 0x92)))
		{
			i += 3;				/* U+2010-2015 dashes, U+2212 minus */
			continue;
		}
		else
		{
			bad_char_reason(s + i, end - i, k + 1, NULL, reason, reasonlen);
			return false;
		}
		if (k < cap)
			buf[k] = ch;
		k++;
	}
	*n = k;
	return true;
}

/* Check the 18 canonical characters of a USCC: alphabet, positions, checks. */
static bool
uscc_validate(const char *c, bool lenient, char *reason, size_t reasonlen)
{
	const unsigned char *u = (const unsigned char *) c;
	char		want,
				org;

	if (!((u[0] >= '1' && u[0] <= '9') || u[0] == 'A' || u[0] == 'N' || u[0] == 'Y'))
	{
		bad_char_reason(u, USCC_LEN, 1,
						"registration authority must be 1-9, A, N or Y",
						reason, reasonlen);
		return false;
	}
	if (uscc_value(u[1]) < 0)
	{
		bad_char_reason(u + 1, USCC_LEN - 1, 2, NULL, reason, reasonlen);
		return false;
	}
	for (int i = 2; i < 8; i++)
		if (u[i] < '0' || u[i] > '9')
		{
			bad_char_reason(u + i, USCC_LEN - i, i + 1,
							"division code must be digits", reason, reasonlen);
			return false;
		}
	for (int i = 8; i < USCC_LEN; i++)
		if (uscc_value(u[i]) < 0)
		{
			bad_char_reason(u + i, USCC_LEN - i, i + 1, NULL, reason, reasonlen);
			return false;
		}

	want = uscc_check_char(c);
	org = orgcode_check_char(c + 8);
	if (c[17] != want && !(lenient && c[16] == org))
	{
		snprintf(reason, reasonlen, "check character should be \"%c\"", want);
		return false;
	}
	if (c[16] != org)
	{
		snprintf(reason, reasonlen, "organisation-code check should be \"%c\"", org);
		return false;
	}
	return true;
}

/* Parse a leniently written USCC into its canonical 18 characters. */
bool
uscc_parse(const char *s, size_t len, bool lenient,
		   char out[USCC_LEN], char *reason, size_t reasonlen)
{
	char		buf[NORM_CAP];
	size_t		n;

	if (!normalize(s, len, buf, sizeof(buf), &n, reason, reasonlen))
		return false;
	if (n != USCC_LEN)
	{
		snprintf(reason, reasonlen, "wrong length: %zu characters, expected 18", n);
		return false;
	}
	if (!uscc_validate(buf, lenient, reason, reasonlen))
		return false;
	memcpy(out, buf, USCC_LEN);
	return true;
}

/* Validate bytes that must be exactly the 18 canonical characters. */
bool
uscc_validate_canonical(const char *s, size_t len, bool lenient,
						char *reason, size_t reasonlen)
{
	if (len != USCC_LEN)
	{
		snprintf(reason, reasonlen, "wrong length: %zu bytes, expected 18", len);
		return false;
	}
	for (size_t i = 0; i < len; i++)
	{
		unsigned char c = (unsigned char) s[i];

		if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z')))
		{
			bad_char_reason((const unsigned char *) s + i, 1, i + 1,
							"binary form must be canonical", reason, reasonlen);
			return false;
		}
	}
	return uscc_validate(s, lenient, reason, reasonlen);
}

/* Whether the two-digit GB/T 2260 province prefix exists. */
static bool
province_known(int p)
{
	return (p >= 11 && p <= 15) || (p >= 21 && p <= 23) ||
		(p >= 31 && p <= 37) || (p >= 41 && p <= 46) ||
		(p >= 50 && p <= 54) || (p >= 61 && p <= 65) ||
		p == 71 || p == 81 || p == 82 || p == 83;
}

/* Check province prefix and birth date of 17 ASCII digits. */
static bool
resident_validate_digits(const char *d, int today, char *reason, size_t reasonlen)
{
	int			y,
				m,
				day,
				mdays;

	if (!province_known((d[0] - '0') * 10 + (d[1] - '0')))
	{
		snprintf(reason, reasonlen, "unknown province prefix \"%.2s\"", d);
		return false;
	}
	y = (d[6] - '0') * 1000 + (d[7] - '0') * 100 + (d[8] - '0') * 10 + (d[9] - '0');
	m = (d[10] - '0') * 10 + (d[11] - '0');
	day = (d[12] - '0') * 10 + (d[13] - '0');
	if (y < 1880 || y > 2099)
	{
		snprintf(reason, reasonlen,
				 "invalid birth date \"%.8s\": year outside 1880-2099", d + 6);
		return false;
	}
	if (m < 1 || m > 12)
	{
		snprintf(reason, reasonlen, "invalid birth date \"%.8s\": no such month", d + 6);
		return false;
	}
	if (m == 2)
		mdays = ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0) ? 29 : 28;
	else if (m == 4 || m == 6 || m == 9 || m == 11)
		mdays = 30;
	else
		mdays = 31;
	if (day < 1 || day > mdays)
	{
		snprintf(reason, reasonlen, "invalid birth date \"%.8s\": no such day", d + 6);
		return false;
	}
	if (y * 10000 + m * 100 + day > today)
	{
		snprintf(reason, reasonlen, "invalid birth date \"%.8s\": in the future", d + 6);
		return false;
	}
	return true;
}

/* Parse a leniently written resident ID number (18 or old 15 digits). */
bool
resident_id_parse(const char *s, size_t len, int today,
				  int64_t *value, char *reason, size_t reasonlen)
{
	char		buf[NORM_CAP];
	char		d[17];
	size_t		n;
	int64_t		v = 0;

	if (!normalize(s, len, buf, sizeof(buf), &n, reason, reasonlen))
		return false;
	if (n != 18 && n != 15)
	{
		snprintf(reason, reasonlen,
				 "wrong length: %zu characters, expected 18 (or the old 15)", n);
		return false;
	}
	for (size_t i = 0; i < n; i++)
	{
		bool		ok = (buf[i] >= '0' && buf[i] <= '9') ||
			(i == 17 && buf[i] == 'X');

		if (!ok)
		{
			bad_char_reason((const unsigned char *) buf + i, 1, i + 1,
							i == 17 ? "check character must be a digit or X" : "digits only",
							reason, reasonlen);
			return false;
		}
	}
	if (n == 15)
	{
		/* old form: YYMMDD of the 1900s; insert "19" after the address */
		memcpy(d, buf, 6);
		d[6] = '1';
		d[7] = '9';
		memcpy(d + 8, buf + 6, 9);
	}
	else
		memcpy(d, buf, 17);

	if (!resident_validate_digits(d, today, reason, reasonlen))
		return false;
	if (n == 18)
	{
		char		want = resident_id_check_char(d);

		if (buf[17] != want)
		{
			snprintf(reason, reasonlen, "check character should be \"%c\"", want);
			return false;
		}
	}
	for (int i = 0; i < 17; i++)
		v = v * 10 + (d[i] - '0');
	*value = v;
	return true;
}

/* Write the 17 digits of value (zero-padded) into d. */
static void
value_digits(int64_t value, char d[17])
{
	for (int i = 16; i >= 0; i--)
	{
		d[i] = (char) ('0' + value % 10);
		value /= 10;
	}
}

/* Validate a stored 17-digit value as resident_id_parse would. */
bool
resident_id_validate_value(int64_t value, int today, char *reason, size_t reasonlen)
{
	char		d[17];

	if (value < 0 || value >= RESIDENT_ID_LIMIT)
	{
		snprintf(reason, reasonlen, "value out of range for 17 digits");
		return false;
	}
	value_digits(value, d);
	return resident_validate_digits(d, today, reason, reasonlen);
}

/* Canonical 18 characters: the 17 digits and the recomputed check character. */
void
resident_id_format(int64_t value, char out[RESIDENT_ID_LEN])
{
	value_digits(value, out);
	out[17] = resident_id_check_char(out);
}
