/*
 * uscc.c
 *      The credit.uscc type: Unified Social Credit Code (统一社会信用代码,
 *      GB 32100-2015), stored as its canonical 18 characters.
 */
#include "postgres.h"

#include "common/hashfn.h"
#include "fmgr.h"
#include "libpq/pqformat.h"
#include "mb/pg_wchar.h"
#include "utils/builtins.h"
#include "utils/guc.h"

#include "credit.h"
#include "util.h"
#include "ident_parse.h"

/* Fixed-length, pass-by-reference: the 18 canonical characters. */
typedef struct Uscc
{
	char		c[USCC_LEN];
} Uscc;

#define DatumGetUscc(d)     ((Uscc *) DatumGetPointer(d))
#define PG_GETARG_USCC(n)   DatumGetUscc(PG_GETARG_DATUM(n))

/* credit.uscc_lenient: accept Fujian pilot codes (bad position-18 check, valid organisation code). */
bool		credit_uscc_lenient = false;

/* Register the GUCs of the identifier types. */
void
credit_ident_init(void)
{
	DefineCustomBoolVariable("credit.uscc_lenient",
							 "Accept USCCs whose position-18 check fails but whose organisation code is valid.",
							 "Some Fujian pilot codes issued before GB 32100 are like this; credit.uscc_check still reports them.",
							 &credit_uscc_lenient,
							 false,
							 PGC_USERSET,
							 0,
							 NULL, NULL, NULL);
}

/* Parse text into a Uscc, raising 22P02 naming the problem. */
static Uscc *
uscc_from_cstring(const char *str, size_t len)
{
	Uscc	   *u = (Uscc *) palloc(sizeof(Uscc));
	char		reason[IDENT_REASON_LEN];
	const char *s = credit_to_utf8(str, &len);

	if (!uscc_parse(s, len, credit_uscc_lenient, u->c, reason, sizeof(reason)))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid input syntax for type %s: \"%s\"", "uscc", credit_clip(str, strlen(str))),
				 errdetail("%s", credit_reason_to_server(reason))));
	return u;
}

/* Text input: lenient forms accepted, canonical form stored. */
PG_FUNCTION_INFO_V1(uscc_in);
Datum
uscc_in(PG_FUNCTION_ARGS)
{
	char	   *str = PG_GETARG_CSTRING(0);

	PG_RETURN_POINTER(uscc_from_cstring(str, strlen(str)));
}

/* Text output: the canonical 18 characters. */
PG_FUNCTION_INFO_V1(uscc_out);
Datum
uscc_out(PG_FUNCTION_ARGS)
{
	Uscc	   *u = PG_GETARG_USCC(0);
	char	   *r = palloc(USCC_LEN + 1);

	memcpy(r, u->c, USCC_LEN);
	r[USCC_LEN] = '\0';
	PG_RETURN_CSTRING(r);
}

/* Binary input: exactly the 18 canonical bytes, validated like text input. */
PG_FUNCTION_INFO_V1(uscc_recv);
Datum
uscc_recv(PG_FUNCTION_ARGS)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);
	int			nbytes = buf->len - buf->cursor;
	const char *bytes = pq_getmsgbytes(buf, nbytes);
	char		reason[IDENT_REASON_LEN];
	Uscc	   *u;

	if (!uscc_validate_canonical(bytes, nbytes, credit_uscc_lenient,
								 reason, sizeof(reason)))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid external binary value for type %s", "uscc"),
				 errdetail("%s", reason)));
	u = (Uscc *) palloc(sizeof(Uscc));
	memcpy(u->c, bytes, USCC_LEN);
	PG_RETURN_POINTER(u);
}

/* Binary output: the 18 canonical bytes. */
PG_FUNCTION_INFO_V1(uscc_send);
Datum
uscc_send(PG_FUNCTION_ARGS)
{
	Uscc	   *u = PG_GETARG_USCC(0);
	StringInfoData buf;

	pq_begintypsend(&buf);
	pq_sendbytes(&buf, u->c, USCC_LEN);
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

/* Reason why text is not a valid USCC (strict, ignores credit.uscc_lenient), or NULL. */
PG_FUNCTION_INFO_V1(uscc_check_text);
Datum
uscc_check_text(PG_FUNCTION_ARGS)
{
	text	   *t = PG_GETARG_TEXT_PP(0);
	size_t		len = VARSIZE_ANY_EXHDR(t);
	const char *s = credit_to_utf8(VARDATA_ANY(t), &len);
	char		reason[IDENT_REASON_LEN];
	char		out[USCC_LEN];

	if (uscc_parse(s, len, false, out, reason, sizeof(reason)))
		PG_RETURN_NULL();
	PG_RETURN_TEXT_P(cstring_to_text(credit_reason_to_server(reason)));
}

/* Positions 9-17: the embedded organisation code (GB 11714), 9 characters. */
PG_FUNCTION_INFO_V1(uscc_org_code);
Datum
uscc_org_code(PG_FUNCTION_ARGS)
{
	Uscc	   *u = PG_GETARG_USCC(0);

	PG_RETURN_TEXT_P(cstring_to_text_with_len(u->c + 8, 9));
}

/* Positions 3-8: the GB/T 2260 administrative division code. */
PG_FUNCTION_INFO_V1(uscc_division_code);
Datum
uscc_division_code(PG_FUNCTION_ARGS)
{
	Uscc	   *u = PG_GETARG_USCC(0);

	PG_RETURN_TEXT_P(cstring_to_text_with_len(u->c + 2, 6));
}

/* Positions 1-2: registration authority and entity type. */
PG_FUNCTION_INFO_V1(uscc_entity);
Datum
uscc_entity(PG_FUNCTION_ARGS)
{
	Uscc	   *u = PG_GETARG_USCC(0);

	PG_RETURN_TEXT_P(cstring_to_text_with_len(u->c, 2));
}

/* Three-way comparison of canonical forms (byte order = text order). */
static inline int
uscc_cmp_internal(const Uscc *a, const Uscc *b)
{
	return memcmp(a->c, b->c, USCC_LEN);
}

/* btree support function 1. */
PG_FUNCTION_INFO_V1(uscc_cmp);
Datum
uscc_cmp(PG_FUNCTION_ARGS)
{
	int			r = uscc_cmp_internal(PG_GETARG_USCC(0), PG_GETARG_USCC(1));

	PG_RETURN_INT32(r < 0 ? -1 : (r > 0 ? 1 : 0));
}

#define USCC_CMP_FN(name, op) \
PG_FUNCTION_INFO_V1(name); \
Datum \
name(PG_FUNCTION_ARGS) \
{ \
    PG_RETURN_BOOL(uscc_cmp_internal(PG_GETARG_USCC(0), PG_GETARG_USCC(1)) op 0); \
}

/* Comparison operators =, <>, <, <=, >, >=. */
USCC_CMP_FN(uscc_eq, ==)
USCC_CMP_FN(uscc_ne, !=)
USCC_CMP_FN(uscc_lt, <)
USCC_CMP_FN(uscc_le, <=)
USCC_CMP_FN(uscc_gt, >)
USCC_CMP_FN(uscc_ge, >=)

/* hash support function 1. */
PG_FUNCTION_INFO_V1(uscc_hash);
Datum
uscc_hash(PG_FUNCTION_ARGS)
{
	Uscc	   *u = PG_GETARG_USCC(0);

	return hash_any((const unsigned char *) u->c, USCC_LEN);
}

/* hash support function 2 (extended, seeded; hash partitioning uses it). */
PG_FUNCTION_INFO_V1(uscc_hash_extended);
Datum
uscc_hash_extended(PG_FUNCTION_ARGS)
{
	Uscc	   *u = PG_GETARG_USCC(0);

	return hash_any_extended((const unsigned char *) u->c, USCC_LEN,
							 PG_GETARG_INT64(1));
}
