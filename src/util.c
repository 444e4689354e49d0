/*
 * util.c
 *      Helpers shared by every concern: dates, encodings, array builders, running as the
 *      extension's owner with a pinned search_path, and saved SPI plans keyed
 *      by identity (util.h).
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_namespace.h"
#include "catalog/pg_type.h"
#include "datatype/timestamp.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "pgtime.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/datetime.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"

#include "cache.h"
#include "util.h"

/* ---- dates ---- */

/*
 * CURRENT_DATE, computed once per transaction start and time zone (the
 * conversion is costly next to a probe of credit.match).
 */
DateADT
credit_today(void)
{
	static TimestampTz at = 0;
	static const pg_tz *tz = NULL;
	static DateADT today = 0;
	TimestampTz now = GetCurrentTransactionStartTimestamp();

	if (now != at || session_timezone != tz || tz == NULL)
	{
		today = GetSQLCurrentDate();
		at = now;
		tz = session_timezone;
	}
	return today;
}

/* Today's date in the session time zone as YYYYMMDD. */
int
credit_today_ymd(void)
{
	static DateADT cached = DATEVAL_NOBEGIN;
	static int	ymd = 0;
	DateADT		today = credit_today();

	if (today != cached)
	{
		int			y,
					m,
					d;

		j2date(today + POSTGRES_EPOCH_JDATE, &y, &m, &d);
		ymd = y * 10000 + m * 100 + d;
		cached = today;
	}
	return ymd;
}

/* A date as YYYY-MM-DD whatever DateStyle says (to_char(date, 'YYYY-MM-DD')). */
char *
credit_date_text(DateADT d)
{
	int			y;
	int			m;
	int			dd;

	if (DATE_IS_NOBEGIN(d))
		return pstrdup(EARLY);
	if (DATE_IS_NOEND(d))
		return pstrdup(LATE);
	j2date(d + POSTGRES_EPOCH_JDATE, &y, &m, &dd);
	if (y <= 0)					/* ISO 8601 year numbering has no year 0 */
		return psprintf("%04d-%02d-%02d BC", 1 - y, m, dd);
	if (y <= 9999)
	{
		/* the common case by hand: answers show several dates a call */
		char	   *r = palloc(11);

		r[0] = '0' + y / 1000;
		r[1] = '0' + y / 100 % 10;
		r[2] = '0' + y / 10 % 10;
		r[3] = '0' + y % 10;
		r[4] = '-';
		r[5] = '0' + m / 10;
		r[6] = '0' + m % 10;
		r[7] = '-';
		r[8] = '0' + dd / 10;
		r[9] = '0' + dd % 10;
		r[10] = '\0';
		return r;
	}
	return psprintf("%04d-%02d-%02d", y, m, dd);
}

/* credit.iso_date(date) → text: the date as messages show it, whatever DateStyle says. */
PG_FUNCTION_INFO_V1(credit_iso_date);
Datum
credit_iso_date(PG_FUNCTION_ARGS)
{
	PG_RETURN_TEXT_P(cstring_to_text(credit_date_text(PG_GETARG_DATEADT(0))));
}

/* ---- encodings ---- */

/*
 * Text in the server encoding, converted to UTF-8 when needed so that the
 * parser recognises full-width characters; *len is updated.
 */
const char *
credit_to_utf8(const char *s, size_t *len)
{
	int			enc = GetDatabaseEncoding();
	const char *r;

	if (enc == PG_UTF8 || enc == PG_SQL_ASCII || *len == 0)
		return s;
	r = pg_server_to_any(s, (int) *len, PG_UTF8);
	if (r != s)
		*len = strlen(r);		/* a converted copy is NUL-terminated */
	return r;
}

/* The error for a missing or NULL subject (see util.h). */
void
credit_subject_missing(bool isnull, int64 subject_id)
{
	if (isnull)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("subject NULL does not exist"),
				 errhint("Name the subject by its id (credit.subject.id).")));
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("subject " INT64_FORMAT " does not exist", subject_id)));
}

/* credit.subject_missing(subject_id): raise that error, for PL/pgSQL functions. */
PG_FUNCTION_INFO_V1(credit_subject_missing_sql);
Datum
credit_subject_missing_sql(PG_FUNCTION_ARGS)
{
	credit_subject_missing(PG_ARGISNULL(0), PG_ARGISNULL(0) ? 0 : PG_GETARG_INT64(0));
	PG_RETURN_VOID();
}

/* Input quoted in a message, cut after CREDIT_CLIP_BYTES bytes (see util.h); palloc'd. */
char *
credit_clip(const char *s, size_t len)
{
	int			keep;

	if (len <= CREDIT_CLIP_BYTES)
		return pnstrdup(s, len);
	keep = pg_mbcliplen(s, (int) Min(len, (size_t) CREDIT_CLIP_BYTES * 2), CREDIT_CLIP_BYTES);
	return psprintf("%.*s...", keep, s);
}

/* credit.clip(text) → text: the same, for messages of PL/pgSQL functions. */
PG_FUNCTION_INFO_V1(credit_clip_sql);
Datum
credit_clip_sql(PG_FUNCTION_ARGS)
{
	text	   *t = PG_GETARG_TEXT_PP(0);

	PG_RETURN_TEXT_P(cstring_to_text(credit_clip(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t))));
}

/*
 * A reason produced from UTF-8 input, for the server encoding: unchanged in
 * UTF8 and SQL_ASCII databases, else with non-ASCII characters written as
 * U+XXXX, so that reporting never fails on an unconvertible character.
 */
const char *
credit_reason_to_server(const char *reason)
{
	int			enc = GetDatabaseEncoding();
	StringInfoData buf;
	const unsigned char *p = (const unsigned char *) reason;

	if (enc == PG_UTF8 || enc == PG_SQL_ASCII)
		return reason;
	initStringInfo(&buf);
	while (*p)
	{
		int			n = pg_utf_mblen(p);
		int			i;

		for (i = 1; i < n && p[i] != '\0'; i++)
			;
		if (*p < 0x80 || i < n)
			appendStringInfoChar(&buf, *p < 0x80 ? (char) *p : '?');
		else
			appendStringInfo(&buf, "U+%04X", (unsigned int) utf8_to_unicode(p));
		p += (*p < 0x80 || i < n) ? 1 : n;
	}
	return buf.data;
}

/* ---- arrays ---- */

/* A one-dimensional array of int8 values. */
Datum
credit_int8_array(const int64 *v, int n)
{
	Datum	   *d = palloc(sizeof(Datum) * Max(n, 1));
	int			i;

	for (i = 0; i < n; i++)
		d[i] = Int64GetDatum(v[i]);
	return PointerGetDatum(construct_array(d, n, INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
}

/* A one-dimensional array of float8 values. */
Datum
credit_float8_array(const double *v, int n)
{
	Datum	   *d = palloc(sizeof(Datum) * Max(n, 1));
	int			i;

	for (i = 0; i < n; i++)
		d[i] = Float8GetDatum(v[i]);
	return PointerGetDatum(construct_array(d, n, FLOAT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
}

/* A one-dimensional array of bool values. */
Datum
credit_bool_array(const bool *v, int n)
{
	Datum	   *d = palloc(sizeof(Datum) * Max(n, 1));
	int			i;

	for (i = 0; i < n; i++)
		d[i] = BoolGetDatum(v[i]);
	return PointerGetDatum(construct_array(d, n, BOOLOID, 1, true, TYPALIGN_CHAR));
}

/* A one-dimensional array of date values. */
Datum
credit_date_array(const DateADT *v, int n)
{
	Datum	   *d = palloc(sizeof(Datum) * Max(n, 1));
	int			i;

	for (i = 0; i < n; i++)
		d[i] = DateADTGetDatum(v[i]);
	return PointerGetDatum(construct_array(d, n, DATEOID, 4, true, TYPALIGN_INT));
}

/* A one-dimensional array of text (or bytea) datums, NULL entries allowed. */
Datum
credit_varlena_array(Datum *d, bool *nulls, int n, Oid type)
{
	int			dims[1];
	int			lbs[1] = {1};

	dims[0] = n;
	if (n == 0)
		return PointerGetDatum(construct_empty_array(type));
	return PointerGetDatum(construct_md_array(d, nulls, 1, dims, lbs, type, -1, false, TYPALIGN_INT));
}

/* A one-dimensional array of text from C strings (NULL pointers → NULL). */
Datum
credit_text_array(char *const *s, int n)
{
	Datum	   *d = palloc(sizeof(Datum) * Max(n, 1));
	bool	   *nulls = palloc(sizeof(bool) * Max(n, 1));
	int			i;

	for (i = 0; i < n; i++)
	{
		nulls[i] = (s[i] == NULL);
		d[i] = nulls[i] ? (Datum) 0 : CStringGetTextDatum(s[i]);
	}
	return credit_varlena_array(d, nulls, n, TEXTOID);
}

/* Elements of a one-dimensional array column of an SPI row (-1 NULL, -2 not one-dimensional). */
int
credit_spi_array(HeapTuple tup, TupleDesc td, int col, Oid elemtype, Datum **d, bool **nulls)
{
	bool		isnull;
	Datum		v = SPI_getbinval(tup, td, col, &isnull);
	int16		typlen;
	bool		typbyval;
	char		typalign;
	int			n;
	ArrayType  *a;

	*d = NULL;
	*nulls = NULL;
	if (isnull)
		return -1;
	a = DatumGetArrayTypeP(v);
	if (ARR_NDIM(a) > 1)
		return -2;
	get_typlenbyvalalign(elemtype, &typlen, &typbyval, &typalign);
	deconstruct_array(a, elemtype, typlen, typbyval, typalign, d, nulls, &n);
	return n;
}

/* ---- scopes ---- */

/* How many scopes are open (the search_path is pinned while > 0). */
static int	scope_depth = 0;

/*
 * Whether Citus is loaded into this server (it is preloaded, so the answer
 * holds for the backend's life).  On a Citus node the extension's queries
 * may run inside a query on a shard (a trigger of a shard, the evaluation
 * aggregate pushed down): they are planned with their parameters' values,
 * which Citus needs to route them to a shard, and may run there.
 */
bool
credit_citus_loaded(void)
{
	static int	loaded = -1;

	if (loaded < 0)
		loaded = GetConfigOption("citus.allow_nested_distributed_execution", true, false) != NULL;
	return loaded == 1;
}

/*
 * Whether this backend runs a Citus coordinator's commands on a worker (its
 * share of a distributed statement, in a transaction the coordinator
 * commits, in two phases when it wrote on several connections): Citus
 * names those connections citus_internal.
 */
bool
credit_citus_worker_backend(void)
{
	const char *app;

	if (!credit_citus_loaded())
		return false;
	app = GetConfigOption("application_name", true, false);
	return app != NULL && strncmp(app, "citus_internal", 14) == 0;
}

/* SQL: credit.on_citus_worker(), whether the caller runs on a worker for a coordinator. */
PG_FUNCTION_INFO_V1(credit_on_citus_worker);
Datum
credit_on_citus_worker(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(credit_citus_worker_backend());
}

/*
 * Whether a relation is a shard of a table distributed by Citus (a trigger
 * fires on the shards, on the workers, named as the table with the shard's
 * number appended: record_102040).  A partition of the partitioned layout
 * (record_p3) is none.
 */
bool
credit_citus_shard(Relation rel)
{
	const char *name;
	const char *p;

	if (!credit_citus_loaded())
		return false;
	name = RelationGetRelationName(rel);
	p = strrchr(name, '_');
	if (p == NULL || p[1] == '\0')
		return false;
	for (p++; *p; p++)
		if (*p < '0' || *p > '9')
			return false;
	return true;
}

/* Act as the owner when asked (the first step of entering a scope). */
static void
scope_switch_user(CreditScope *s, bool as_owner)
{
	s->switched = as_owner;
	if (as_owner)
	{
		Oid			owner = credit_extension_owner();

		GetUserIdAndSecContext(&s->save_userid, &s->save_sec);
		SetUserIdAndSecContext(owner, s->save_sec | SECURITY_LOCAL_USERID_CHANGE |
							   SECURITY_NOFORCE_RLS);
	}
}

/* Enter a scope: pin the search_path, and act as the owner when asked. */
void
credit_scope_enter(CreditScope *s, bool as_owner)
{
	scope_switch_user(s, as_owner);
	s->guc_level = NewGUCNestLevel();
	(void) set_config_option("search_path", "pg_catalog, pg_temp", PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	if (credit_citus_loaded())
		(void) set_config_option("citus.allow_nested_distributed_execution", "on", PGC_USERSET,
								 PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);
	scope_depth++;
}

/*
 * A scope as the owner for reading only tables every node of a distributed
 * platform holds whole (the reference tables: models, catalogue, units,
 * measures).  On a Citus node, those reads may run while the node executes
 * a query on a shard (the evaluation aggregate pushed down, a row-level
 * security policy of a shard), which Citus otherwise refuses: they read the
 * node's own copy, which Citus writes on every node in the writing
 * transaction.  Where Citus is not loaded, credit_scope_enter(s, true).
 */
void
credit_scope_enter_reference(CreditScope *s)
{
	credit_scope_enter(s, true);
	if (GetConfigOption("citus.allow_nested_distributed_execution", true, false) != NULL)
		(void) set_config_option("citus.allow_nested_distributed_execution", "on", PGC_USERSET,
								 PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);
}

/*
 * A scope for the read paths an approval system calls once per request
 * (credit.check, measures_for, the look-up by code): the search path pinned
 * by an override (PushOverrideSearchPath) rather than the setting, which
 * spares setting and restoring search_path and recomputing the path from it
 * on every call.  The path is pg_catalog alone (pg_temp is not searched at
 * all, stricter than the setting's "pg_catalog, pg_temp"); while it is in
 * force it also stands for the search_path of every function called inside
 * (their SET clauses included), so only the extension's schema-qualified
 * queries and functions may run in it.  On a Citus node (whose settings a
 * scope sets as well) it is credit_scope_enter.  Left with credit_scope_exit;
 * an error inside needs no cleanup (transaction or subtransaction abort pops
 * the override).
 */
void
credit_scope_enter_read(CreditScope *s, bool as_owner)
{
	OverrideSearchPath path;

	if (credit_citus_loaded())
	{
		credit_scope_enter(s, as_owner);
		return;
	}
	scope_switch_user(s, as_owner);
	memset(&path, 0, sizeof(path));
	path.schemas = list_make1_oid(PG_CATALOG_NAMESPACE);
	PushOverrideSearchPath(&path);
	list_free(path.schemas);
	s->guc_level = -1;
	scope_depth++;
}

/* Leave a scope entered with credit_scope_enter or credit_scope_enter_read. */
void
credit_scope_exit(CreditScope *s)
{
	if (s->guc_level < 0)
		PopOverrideSearchPath();
	else
		AtEOXact_GUC(true, s->guc_level);
	if (s->switched)
		SetUserIdAndSecContext(s->save_userid, s->save_sec);
	scope_depth--;
}

/* ---- saved plans ---- */

/* The saved plan of a query, prepared on first use inside a scope. */
SPIPlanPtr
credit_query_plan(CreditQuery *q)
{
	if (scope_depth <= 0)
		elog(ERROR, "credit: query run outside a pinned scope");
	if (q->plan == NULL)
	{
		/*
		 * Generic plans: planned once, for any number of keys (the arrays'
		 * sizes vary from one row to a million; index lookups suit both).
		 */
		SPIPlanPtr	plan = SPI_prepare_cursor(q->sql, q->nargs, q->argtypes,
											  credit_citus_loaded() ? CURSOR_OPT_CUSTOM_PLAN : CURSOR_OPT_GENERIC_PLAN);

		if (plan == NULL)
			elog(ERROR, "credit: preparing a query failed: %s", SPI_result_code_string(SPI_result));
		if (SPI_keepplan(plan) != 0)
			elog(ERROR, "credit: SPI_keepplan failed");
		q->plan = plan;
	}
	return q->plan;
}

/* Run a saved query (preparing it on first use) inside a scope. */
int
credit_query_run(CreditQuery *q, Datum *values, const char *nulls, bool readonly, long count)
{
	return SPI_execute_plan(credit_query_plan(q), values, nulls, readonly, count);
}

/* Run a saved query; error out unless SPI returned the expected code. */
void
credit_query_exec(CreditQuery *q, Datum *values, const char *nulls, bool readonly,
				  int expected, const char *what)
{
	int			ret = credit_query_run(q, values, nulls, readonly, 0);

	if (ret != expected)
		elog(ERROR, "credit: %s failed: %s", what, SPI_result_code_string(ret));
}
