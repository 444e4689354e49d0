/*
 * ident_parse.h
 *      Pure parsers of the Unified Social Credit Code (统一社会信用代码,
 *      GB 32100-2015) and the resident identity number (居民身份证号码,
 *      GB 11643-1999).
 *
 * No PostgreSQL dependency: the same code is used by the SQL types, by the
 * *_check() functions and by the fuzz harnesses under fuzz/.
 */
#ifndef IDENT_PARSE_H
#define IDENT_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define USCC_LEN            18
#define RESIDENT_ID_LEN     18
#define IDENT_REASON_LEN    128

/* 10^17: resident_id values (the first 17 digits) are below this. */
#define RESIDENT_ID_LIMIT   INT64_C(100000000000000000)

/*
 * Parse a USCC written leniently (surrounding white space, lower case,
 * full-width characters, hyphens).  On success store the canonical 18
 * characters (not NUL-terminated) in out and return true; otherwise write
 * the reason into reason (NUL-terminated) and return false.  With lenient,
 * a code whose position-18 check fails but whose embedded organisation code
 * is valid (Fujian pilot codes) is accepted.
 */
extern bool uscc_parse(const char *s, size_t len, bool lenient,
					   char out[USCC_LEN], char *reason, size_t reasonlen);

/* Validate 18 bytes that must already be canonical (binary input). */
extern bool uscc_validate_canonical(const char *s, size_t len, bool lenient,
									char *reason, size_t reasonlen);

/* Position-18 check character of the first 17 canonical characters. */
extern char uscc_check_char(const char *c17);

/* Check character (position 9) of an 8-character organisation code body. */
extern char orgcode_check_char(const char *c8);

/*
 * Parse a resident ID number written leniently (surrounding white space,
 * lower-case x, full-width digits, hyphens; the 15-digit old form is
 * converted).  today is the current date as YYYYMMDD: later birth dates are
 * refused.  On success store the first 17 digits as an integer in *value.
 */
extern bool resident_id_parse(const char *s, size_t len, int today,
							  int64_t *value, char *reason, size_t reasonlen);

/* Validate a stored value (binary input): 17 digits, province, birth date. */
extern bool resident_id_validate_value(int64_t value, int today,
									   char *reason, size_t reasonlen);

/* Check character of 17 ASCII digits (ISO 7064 MOD 11-2). */
extern char resident_id_check_char(const char *d17);

/* Write the canonical 18 characters of a value (not NUL-terminated). */
extern void resident_id_format(int64_t value, char out[RESIDENT_ID_LEN]);

#endif							/* IDENT_PARSE_H */
