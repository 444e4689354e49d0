/*
 * feed_parse.h
 *      The values of a unit's feed as clerks write them: dates (YYYY-MM-DD,
 *      YYYY/MM/DD, YYYY.MM.DD or YYYYMMDD, a time of day allowed after
 *      them), numbers (a value: a double precision of moderate exponent; an
 *      amount: numeric(18, 2)), and what counts as blank.  Pure C, no
 *      PostgreSQL dependency (fuzzed in fuzz/).
 */
#ifndef FEED_PARSE_H
#define FEED_PARSE_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Whether s (len bytes) is blank as the intake reads it: nothing but spaces
 * (U+0020; btrim's default, so a tab is not blank).
 */
extern bool feed_blank(const char *s, size_t len);

/*
 * Read a date of a feed (surrounding spaces allowed): on success store year,
 * month and day and return true.  A date must be real and from 1900 on.
 */
extern bool feed_date(const char *s, size_t len, int *year, int *month, int *day);

/* The kinds of number a feed carries. */
typedef enum FeedNumberKind
{
	FEED_VALUE,					/* a double precision within 1e-300 .. 1e300 */
	FEED_AMOUNT					/* numeric(18, 2): at most 16 digits before
								 * the point */
} FeedNumberKind;

/* Whether s (len bytes) is a number of the kind (surrounding white space allowed). */
extern bool feed_number(const char *s, size_t len, FeedNumberKind kind);

#endif							/* FEED_PARSE_H */
