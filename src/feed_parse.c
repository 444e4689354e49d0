/*
 * feed_parse.c
 *      Dates, numbers and blanks of a unit's feed (see feed_parse.h).
 *
 * Free of PostgreSQL headers (like ident_parse.c) so that it can be tested
 * and fuzzed outside the server.  Every function is one linear pass over
 * its input.
 */
#include "feed_parse.h"

static bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* White space as numeric input skips it (ASCII). */
static bool
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

bool
feed_blank(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (s[i] != ' ')
			return false;
	return true;
}

/* Up to max digits at s[*i] (at least one): their value; -1 when there is none. */
static int
read_digits(const char *s, size_t len, size_t *i, int max)
{
	int			v = 0;
	int			n = 0;

	while (*i < len && n < max && is_digit(s[*i]))
	{
		v = v * 10 + (s[*i] - '0');
		(*i)++;
		n++;
	}
	return n == 0 ? -1 : v;
}

/* ":" and exactly two digits at s[*i] (minutes, seconds). */
static bool
colon_two_digits(const char *s, size_t len, size_t *i)
{
	size_t		start;

	if (*i >= len || s[*i] != ':')
		return false;
	(*i)++;
	start = *i;
	return read_digits(s, len, i, 2) >= 0 && *i - start == 2;
}

static bool
leap_year(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

bool
feed_date(const char *s, size_t len, int *year, int *month, int *day)
{
	static const int mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	size_t		i = 0;
	size_t		start;
	int			y,
				m,
				d;

	/* surrounding spaces */
	while (len > 0 && s[len - 1] == ' ')
		len--;
	while (i < len && s[i] == ' ')
		i++;

	start = i;
	y = read_digits(s, len, &i, 4);
	if (y < 0 || i - start != 4)
		return false;
	if (i < len && (s[i] == '-' || s[i] == '/' || s[i] == '.'))
	{
		char		sep = s[i++];

		m = read_digits(s, len, &i, 2);
		if (m < 0 || i >= len || s[i] != sep)
			return false;
		i++;
		d = read_digits(s, len, &i, 2);
		if (d < 0)
			return false;
	}
	else
	{
		start = i;
		m = read_digits(s, len, &i, 2);
		if (m < 0 || i - start != 2)
			return false;
		start = i;
		d = read_digits(s, len, &i, 2);
		if (d < 0 || i - start != 2)
			return false;
	}
	/* an optional time of day: [ T]H[H]:MM[:SS[.fraction]] */
	if (i < len)
	{
		if (s[i] != ' ' && s[i] != 'T')
			return false;
		i++;
		if (read_digits(s, len, &i, 2) < 0 || !colon_two_digits(s, len, &i))
			return false;
		if (i < len && !colon_two_digits(s, len, &i))
			return false;
		if (i < len)
		{
			if (s[i] != '.' || i + 1 >= len)
				return false;
			for (i++; i < len; i++)
				if (!is_digit(s[i]))
					return false;
		}
	}
	if (y < 1900 || m < 1 || m > 12 || d < 1)
		return false;
	if (d > mdays[m - 1] + (m == 2 && leap_year(y) ? 1 : 0))
		return false;
	*year = y;
	*month = m;
	*day = d;
	return true;
}

bool
feed_number(const char *s, size_t len, FeedNumberKind kind)
{
	size_t		i = 0;
	size_t		int_start,
				int_digits,
				frac_start = 0,
				frac_digits = 0;
	long		magnitude;		/* decimal exponent of the first significant
								 * digit */
	long		exponent = 0;
	bool		significant = false;

	while (len > 0 && is_space(s[len - 1]))
		len--;
	while (i < len && is_space(s[i]))
		i++;
	if (i < len && (s[i] == '+' || s[i] == '-'))
		i++;
	int_start = i;
	while (i < len && is_digit(s[i]))
		i++;
	int_digits = i - int_start;
	if (i < len && s[i] == '.')
	{
		i++;
		frac_start = i;
		while (i < len && is_digit(s[i]))
			i++;
		frac_digits = i - frac_start;
	}
	if (int_digits == 0 && frac_digits == 0)
		return false;

	if (kind == FEED_AMOUNT)
	{
		bool		all_nines = true;

		if (i != len || int_digits > 16)
			return false;

		/*
		 * numeric(18, 2) rounds to 2 decimals: 9999999999999999.995 would
		 * overflow
		 */
		for (size_t k = int_start; k < int_start + int_digits; k++)
			all_nines = all_nines && s[k] == '9';
		if (int_digits == 16 && all_nines && frac_digits >= 3 &&
			s[frac_start] == '9' && s[frac_start + 1] == '9' && s[frac_start + 2] >= '5')
			return false;
		return true;
	}

	/* a value: an exponent of at most 3 digits */
	if (i < len && (s[i] == 'e' || s[i] == 'E'))
	{
		bool		negative = false;
		size_t		exp_start;

		i++;
		if (i < len && (s[i] == '+' || s[i] == '-'))
			negative = s[i++] == '-';
		exp_start = i;
		while (i < len && is_digit(s[i]) && i - exp_start < 3)
			exponent = exponent * 10 + (s[i++] - '0');
		if (i == exp_start)
			return false;
		if (negative)
			exponent = -exponent;
	}
	if (i != len)
		return false;

	/*
	 * within the range of double precision: 1e-300 .. 1e300 in magnitude, or
	 * zero
	 */
	magnitude = 0;
	for (size_t k = int_start; k < int_start + int_digits && !significant; k++)
		if (s[k] != '0')
		{
			significant = true;
			magnitude = (long) (int_start + int_digits - k) - 1;
		}
	for (size_t k = frac_start; k < frac_start + frac_digits && !significant; k++)
		if (s[k] != '0')
		{
			significant = true;
			magnitude = -(long) (k - frac_start) - 1;
		}
	if (!significant)
		return true;
	magnitude += exponent;
	return magnitude >= -300 && magnitude <= 300;
}
