/*
 * resident_id.c
 *      The credit.resident_id type: resident identity number (居民身份证号码,
 *      GB 11643-1999), stored pass-by-value as the integer of its first 17
 *      digits; the check character is recomputed on output.
 */
#include "postgres.h"

#include "common/hashfn.h"
#include "datatype/timestamp.h"
#include "fmgr.h"
#include "libpq/pqformat.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/datetime.h"

#include "credit.h"
#include "util.h"
#include "ident_parse.h"

#define PG_GETARG_RESIDENT_ID(n)    PG_GETARG_INT64(n)

/* Today's date (session time zone) as YYYYMMDD: birth dates after it are refused. */
static int
today_ymd(void)
{
	int			y,
				m,
				d;

	j2date(GetSQLCurrentDate() + POSTGRES_EPOCH_JDATE, &y, &m, &d);
	return y * 10000 + m * 100 + d;
}

/* Text input: 18 characters or the old 15 digits, lenient forms accepted. */
PG_FUNCTION_INFO_V1(resident_id_in);
Datum
resident_id_in(PG_FUNCTION_ARGS)
{
	char	   *str = PG_GETARG_CSTRING(0);
	size_t		len = strlen(str);
	const char *s = credit_to_utf8(str, &len);
	char		reason[IDENT_REASON_LEN];
	int64		v;

	if (!resident_id_parse(s, len, today_ymd(), &v, reason, sizeof(reason)))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid input syntax for type %s: \"%s\"", "resident_id", credit_clip(str, strlen(str))),
				 errdetail("%s", credit_reason_to_server(reason))));
	PG_RETURN_INT64(v);
}

/* Text output: the 17 digits and the recomputed check character. */
PG_FUNCTION_INFO_V1(resident_id_out);
Datum
resident_id_out(PG_FUNCTION_ARGS)
{
	char	   *r = palloc(RESIDENT_ID_LEN + 1);

	resident_id_format(PG_GETARG_RESIDENT_ID(0), r);
	r[RESIDENT_ID_LEN] = '\0';
	PG_RETURN_CSTRING(r);
}

/* Binary input: the int8 of the 17 digits, validated like text input. */
PG_FUNCTION_INFO_V1(resident_id_recv);
Datum
resident_id_recv(PG_FUNCTION_ARGS)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);
	int64		v = pq_getmsgint64(buf);
	char		reason[IDENT_REASON_LEN];

	if (!resident_id_validate_value(v, today_ymd(), reason, sizeof(reason)))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid external binary value for type %s", "resident_id"),
				 errdetail("%s", reason)));
	PG_RETURN_INT64(v);
}

/* Binary output: the int8 of the 17 digits. */
PG_FUNCTION_INFO_V1(resident_id_send);
Datum
resident_id_send(PG_FUNCTION_ARGS)
{
	StringInfoData buf;

	pq_begintypsend(&buf);
	pq_sendint64(&buf, PG_GETARG_RESIDENT_ID(0));
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

/* Reason why text is not a valid resident ID number, or NULL; never errors. */
PG_FUNCTION_INFO_V1(resident_id_check_text);
Datum
resident_id_check_text(PG_FUNCTION_ARGS)
{
	text	   *t = PG_GETARG_TEXT_PP(0);
	size_t		len = VARSIZE_ANY_EXHDR(t);
	const char *s = credit_to_utf8(VARDATA_ANY(t), &len);
	char		reason[IDENT_REASON_LEN];
	int64		v;

	if (resident_id_parse(s, len, today_ymd(), &v, reason, sizeof(reason)))
		PG_RETURN_NULL();
	PG_RETURN_TEXT_P(cstring_to_text(credit_reason_to_server(reason)));
}

/* Digit at 0-based position pos of the 17 stored digits. */
static inline int
digit_at(int64 v, int pos)
{
	for (int i = 16; i > pos; i--)
		v /= 10;
	return (int) (v % 10);
}

/* Birth date (positions 7-14). */
PG_FUNCTION_INFO_V1(resident_id_birth_date);
Datum
resident_id_birth_date(PG_FUNCTION_ARGS)
{
	int64		v = PG_GETARG_RESIDENT_ID(0);
	int			ymd = (int) ((v / 1000) % 100000000);

	PG_RETURN_DATEADT(date2j(ymd / 10000, (ymd / 100) % 100, ymd % 100) - POSTGRES_EPOCH_JDATE);
}

/* Sex from the sequence number (position 17): odd 'M', even 'F'. */
PG_FUNCTION_INFO_V1(resident_id_sex);
Datum
resident_id_sex(PG_FUNCTION_ARGS)
{
	PG_RETURN_TEXT_P(cstring_to_text(digit_at(PG_GETARG_RESIDENT_ID(0), 16) % 2 ? "M" : "F"));
}

/* Positions 1-6: the GB/T 2260 address (division) code. */
PG_FUNCTION_INFO_V1(resident_id_division_code);
Datum
resident_id_division_code(PG_FUNCTION_ARGS)
{
	char		r[RESIDENT_ID_LEN];

	resident_id_format(PG_GETARG_RESIDENT_ID(0), r);
	PG_RETURN_TEXT_P(cstring_to_text_with_len(r, 6));
}

/* Masked form for roles that need no whole number: 110105********002X. */
PG_FUNCTION_INFO_V1(resident_id_mask);
Datum
resident_id_mask(PG_FUNCTION_ARGS)
{
	char		r[RESIDENT_ID_LEN];

	resident_id_format(PG_GETARG_RESIDENT_ID(0), r);
	memset(r + 6, '*', 8);
	PG_RETURN_TEXT_P(cstring_to_text_with_len(r, RESIDENT_ID_LEN));
}

/* btree support function 1: integer order equals text order of the canonical form. */
PG_FUNCTION_INFO_V1(resident_id_cmp);
Datum
resident_id_cmp(PG_FUNCTION_ARGS)
{
	int64		a = PG_GETARG_RESIDENT_ID(0);
	int64		b = PG_GETARG_RESIDENT_ID(1);

	PG_RETURN_INT32(a < b ? -1 : (a > b ? 1 : 0));
}

#define RID_CMP_FN(name, op) \
PG_FUNCTION_INFO_V1(name); \
Datum \
name(PG_FUNCTION_ARGS) \
{ \
    PG_RETURN_BOOL(PG_GETARG_RESIDENT_ID(0) op PG_GETARG_RESIDENT_ID(1)); \
}

/* Comparison operators =, <>, <, <=, >, >=. */
RID_CMP_FN(resident_id_eq, ==)
RID_CMP_FN(resident_id_ne, !=)
RID_CMP_FN(resident_id_lt, <)
RID_CMP_FN(resident_id_le, <=)
RID_CMP_FN(resident_id_gt, >)
RID_CMP_FN(resident_id_ge, >=)

/* hash support function 1 (same as int8). */
PG_FUNCTION_INFO_V1(resident_id_hash);
Datum
resident_id_hash(PG_FUNCTION_ARGS)
{
	return DirectFunctionCall1(hashint8, PG_GETARG_DATUM(0));
}

/* hash support function 2 (extended, seeded). */
PG_FUNCTION_INFO_V1(resident_id_hash_extended);
Datum
resident_id_hash_extended(PG_FUNCTION_ARGS)
{
	return DirectFunctionCall2(hashint8extended, PG_GETARG_DATUM(0), PG_GETARG_DATUM(1));
}
