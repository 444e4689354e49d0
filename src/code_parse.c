/*
 * code_parse.c
 *      Classify the identifier of a list entry or of a probe (see code_parse.h).
 *
 * Free of PostgreSQL headers (like ident_parse.c) so that it can be tested
 * and fuzzed outside the server.
 */
#include <string.h>

#include "code_parse.h"
#include "ident_parse.h"

/* SQL name of a code kind. */
const char *
code_kind_name(CodeKind kind)
{
	switch (kind)
	{
		case CODE_USCC:
			return "uscc";
		case CODE_RESIDENT_ID:
			return "resident_id";
		case CODE_ORG_CODE:
			return "org_code";
		case CODE_PSEUDONYM:
			return "pseudonym";
		default:
			return NULL;
	}
}

/*
 * Next character of s for a lenient code: ASCII, or a full-width form
 * (U+FF01-U+FF5E) folded to ASCII, or the ideographic space; -1 for anything
 * else.  *i advances past it.
 */
static int
next_ascii(const unsigned char *s, size_t len, size_t *i)
{
	unsigned char c = s[*i];

	if (c < 0x80)
	{
		(*i)++;
		return c;
	}
	if (c == 0xEF && *i + 2 < len && (s[*i + 1] == 0xBC || s[*i + 1] == 0xBD))
	{
		/* U+FF01..U+FF5E = EF BC 81 .. EF BD 9E */
		int			cp = 0xFF00 + ((s[*i + 1] & 0x03) << 6) + (s[*i + 2] & 0x3F);

		if (cp >= 0xFF01 && cp <= 0xFF5E)
		{
			*i += 3;
			return cp - 0xFF01 + 0x21;
		}
	}
	if (c == 0xE3 && *i + 2 < len && s[*i + 1] == 0x80 && s[*i + 2] == 0x80)
	{
		*i += 3;				/* U+3000 ideographic space */
		return ' ';
	}
	return -1;
}

/* Parse an organisation code leniently: 8 body characters and the check character. */
bool
org_code_parse(const char *s, size_t len, char out[ORG_CODE_LEN])
{
	size_t		i = 0;
	int			n = 0;

	while (i < len)
	{
		int			c = next_ascii((const unsigned char *) s, len, &i);

		if (c < 0)
			return false;
		if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '-')
			continue;
		if (c >= 'a' && c <= 'z')
			c -= 'a' - 'A';
		if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z')))
			return false;
		if (n == ORG_CODE_LEN)
			return false;
		out[n++] = (char) c;
	}
	if (n != ORG_CODE_LEN)
		return false;
	return orgcode_check_char(out) == out[8];
}

/* Is s a pseudonym: 64 hex digits, optionally after \x? Writes them in lower case. */
static bool
pseudonym_parse(const char *s, size_t len, char *out)
{
	size_t		i = 0;
	int			n = 0;

	while (i < len && (s[i] == ' ' || s[i] == '\t'))
		i++;
	while (len > i && (s[len - 1] == ' ' || s[len - 1] == '\t'))
		len--;
	if (len - i >= 2 && s[i] == '\\' && (s[i + 1] == 'x' || s[i + 1] == 'X'))
		i += 2;
	if (len - i != 64)
		return false;
	for (; i < len; i++)
	{
		char		c = s[i];

		if (c >= 'A' && c <= 'F')
			c += 'a' - 'A';
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			return false;
		out[n++] = c;
	}
	out[n] = '\0';
	return true;
}

/*
 * Can s (white space removed) be an ID number at all?  A cheap test that
 * spares most USCCs a failing parse: an ASCII letter other than x.
 */
static bool
maybe_resident_id(const char *s, size_t len)
{
	size_t		i;

	for (i = 0; i < len; i++)
	{
		char		c = s[i];

		if (((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')) && c != 'x' && c != 'X')
			return false;
	}
	return true;
}

/* Classify an identifier and write its canonical form. */
CodeKind
code_classify(const char *s, size_t len, int today, bool lenient, char *canon)
{
	char		reason[IDENT_REASON_LEN];
	char		buf[257];
	int64_t		value;
	size_t		i,
				n;

	canon[0] = '\0';
	if (s == NULL || len == 0 || len > 256)
		return CODE_NONE;
	/* stray white space anywhere (9144 0300 ...), ideographic space included */
	for (i = 0, n = 0; i < len; i++)
	{
		if (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r')
			continue;
		if (i + 2 < len && (unsigned char) s[i] == 0xE3 && (unsigned char) s[i + 1] == 0x80 &&
			(unsigned char) s[i + 2] == 0x80)
		{
			i += 2;
			continue;
		}
		buf[n++] = s[i];
	}
	s = buf;
	len = n;
	if (len == 0)
		return CODE_NONE;

	/*
	 * An ID number first: 18 digits valid both ways are far more often an ID
	 * number that passes the USCC checks by chance (1 in 341) than a USCC
	 * whose positions 7-14 spell a real birth date.
	 */
	if (maybe_resident_id(s, len) &&
		resident_id_parse(s, len, today, &value, reason, sizeof(reason)))
	{
		resident_id_format(value, canon);
		canon[RESIDENT_ID_LEN] = '\0';
		return CODE_RESIDENT_ID;
	}
	if (uscc_parse(s, len, lenient, canon, reason, sizeof(reason)))
	{
		canon[USCC_LEN] = '\0';
		return CODE_USCC;
	}
	if (org_code_parse(s, len, canon))
	{
		canon[ORG_CODE_LEN] = '\0';
		return CODE_ORG_CODE;
	}
	if (pseudonym_parse(s, len, canon))
		return CODE_PSEUDONYM;
	canon[0] = '\0';
	return CODE_NONE;
}
