/*
 * code_parse.h
 *      Classify an identifier as list entries and probes carry it: a USCC,
 *      an old 9-character organisation code, an 18- or 15-digit resident ID
 *      number, or a pseudonym (credit.pseudonym, 64 hex digits).  Pure C on
 *      ident_parse.h, no PostgreSQL dependency.
 */
#ifndef CODE_PARSE_H
#define CODE_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum CodeKind
{
	CODE_NONE = 0,				/* empty or not a recognised identifier */
	CODE_USCC,					/* canonical: 18 characters */
	CODE_RESIDENT_ID,			/* canonical: 18 characters */
	CODE_ORG_CODE,				/* canonical: 9 characters, no hyphen */
	CODE_PSEUDONYM				/* canonical: 64 lower-case hex digits */
} CodeKind;

#define CODE_CANON_MAX  64
#define ORG_CODE_LEN    9

/* Names of the kinds as SQL shows them ('uscc', 'resident_id', ...); NULL for CODE_NONE. */
extern const char *code_kind_name(CodeKind kind);

/*
 * Classify s (len bytes).  canon receives the canonical form, NUL-terminated
 * (room for CODE_CANON_MAX + 1 bytes).  today is YYYYMMDD (birth dates after
 * it are refused); lenient accepts USCCs with a bad position-18 check but a
 * valid organisation code (uscc_parse).  A resident ID number is tried
 * first, then a USCC, an organisation code and a pseudonym.
 */
extern CodeKind code_classify(const char *s, size_t len, int today, bool lenient,
							  char *canon);

/* Parse an organisation code leniently (white space, full-width, lower case, hyphen). */
extern bool org_code_parse(const char *s, size_t len, char out[ORG_CODE_LEN]);

#endif							/* CODE_PARSE_H */
