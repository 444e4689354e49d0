/*
 * intake_check.c
 *      The checks of an intake statement's rows, in one pass over them.
 *
 * credit.intake_check takes every row one statement sent to an intake view
 * and returns each as credit.intake_row will keep it: the unit, the code as
 * read, the catalogue item's category, the date, the mandatory fields
 * counted, and either a problem (status rejected, with the message a clerk
 * reads) or the subject (accepted) or none yet (waiting).  The small tables
 * the checks read (units, catalogue, the feed's fields) are read once per
 * statement; what other SQL functions define (the reason a code is invalid,
 * the subject kinds a feed may write, the subject a code names, working days)
 * is asked once per statement for all rows at once.  What remains per row is
 * C: the code, dates, numbers, the JSON of details, the mandatory fields, and
 * the problem and its message (intake_problem.c).  Making records of the accepted rows is SQL (credit.intake_apply).
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/namespace.h"
#include "catalog/pg_collation.h"
#include "catalog/pg_type.h"
#include "common/jsonapi.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/datetime.h"
#include "utils/formatting.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/typcache.h"

#include "code_parse.h"
#include "credit.h"
#include "feed_parse.h"
#include "util.h"
#include "intake.h"

static CreditQuery q_kinds = {
	"SELECT k.k FROM pg_catalog.unnest($1) AS k(k) WHERE credit.intake_kind(k.k) IS NOT NULL",
	1, {TEXTARRAYOID}
};
static CreditQuery q_code_problems = {
	"SELECT credit.code_problem(c.c) FROM pg_catalog.unnest($1) WITH ORDINALITY AS c(c, n) ORDER BY c.n",
	1, {TEXTARRAYOID}
};
static CreditQuery q_subjects = {
	"SELECT s.n, s.subject_id FROM credit.intake_subjects($1, $2) s WHERE s.subject_id IS NOT NULL",
	2, {TEXTARRAYOID, TEXTARRAYOID}
};
static CreditQuery q_waiting_lock = {
	"SELECT credit.intake_waiting_lock(true)", 0, {0}
};
static CreditQuery q_deadlines = {
	"SELECT d.d, credit.add_working_days(d.d, 7) FROM pg_catalog.unnest($1) AS d(d)",
	1, {DATEARRAYOID}
};

/*
 * Run one of the queries above (inside the scope, SPI connected) and come
 * back to cxt, the context the checks allocate in (SPI leaves its own
 * current).
 */
void
run_query(CreditQuery *q, Datum *args, bool readonly, const char *what, MemoryContext cxt)
{
	credit_query_exec(q, args, NULL, readonly, SPI_OK_SELECT, what);
	MemoryContextSwitchTo(cxt);
}

/* Column col of an SPI result row as a string (palloc'd in cxt), NULL when NULL. */
char *
spi_text(HeapTuple tup, int col, MemoryContext cxt)
{
	bool		isnull;
	Datum		d = SPI_getbinval(tup, SPI_tuptable->tupdesc, col, &isnull);

	return isnull ? NULL : MemoryContextStrdup(cxt, TextDatumGetCString(d));
}

/* A text with the spaces around it removed (btrim), in a fresh string; NULL stays NULL. */
char *
trim_spaces(const char *s)
{
	size_t		b = 0,
				e;

	if (s == NULL)
		return NULL;
	e = strlen(s);
	while (b < e && s[b] == ' ')
		b++;
	while (e > b && s[e - 1] == ' ')
		e--;
	return pnstrdup(s + b, e - b);
}

/* ---- the queries asked for all rows at once ---- */

/* Which of the rows' subject kinds a feed may write (credit.intake_kind). */
static void
check_kinds(Row *rows, int n, MemoryContext cxt)
{
	char	  **kinds = palloc(sizeof(char *) * Max(n, 1));
	char	  **valid;
	int			nk = 0,
				nvalid;
	Datum		arg;

	for (int i = 0; i < n; i++)
		if (!absent(rows[i].col[C_SUBJECT_KIND]))
			kinds[nk++] = rows[i].col[C_SUBJECT_KIND];
	if (nk == 0)
		return;
	qsort(kinds, nk, sizeof(char *), cmp_str);
	{
		int			u = 0;

		for (int i = 0; i < nk; i++)
			if (u == 0 || strcmp(kinds[u - 1], kinds[i]) != 0)
				kinds[u++] = kinds[i];
		nk = u;
	}
	arg = credit_text_array(kinds, nk);
	run_query(&q_kinds, &arg, true, "checking subject kinds", cxt);
	nvalid = (int) SPI_processed;
	valid = palloc(sizeof(char *) * Max(nvalid, 1));
	for (int i = 0; i < nvalid; i++)
		valid[i] = spi_text(SPI_tuptable->vals[i], 1, cxt);
	qsort(valid, nvalid, sizeof(char *), cmp_str);
	for (int i = 0; i < n; i++)
		rows[i].kind_ok = !absent(rows[i].col[C_SUBJECT_KIND]) &&
			find_str(valid, nvalid, rows[i].col[C_SUBJECT_KIND]) >= 0;
}

/* The reasons of the invalid codes (credit.code_problem), one query. */
static char **
code_reasons(Row *rows, int n, MemoryContext cxt)
{
	char	  **reasons = palloc0(sizeof(char *) * Max(n, 1));
	char	  **codes = palloc(sizeof(char *) * Max(n, 1));
	int		   *which = palloc(sizeof(int) * Max(n, 1));
	int			nc = 0;
	Datum		arg;

	for (int i = 0; i < n; i++)
		if (rows[i].problem != NULL && strcmp(rows[i].problem, "invalid_code") == 0 &&
			rows[i].code_kind != CODE_PSEUDONYM)
		{
			which[nc] = i;
			codes[nc++] = rows[i].col[C_SUBJECT_CODE];
		}
	if (nc == 0)
		return reasons;
	arg = credit_text_array(codes, nc);
	run_query(&q_code_problems, &arg, true, "reading the problems of codes", cxt);
	for (int i = 0; i < nc && i < (int) SPI_processed; i++)
		reasons[which[i]] = spi_text(SPI_tuptable->vals[i], 1, cxt);
	return reasons;
}

/* Rows (their indexes) by code: kind, then canonical form. */
static int
cmp_row_code(const void *a, const void *b, void *arg)
{
	const Row  *rows = arg;
	const Row  *x = &rows[*(const int *) a];
	const Row  *y = &rows[*(const int *) b];

	if (x->code_kind != y->code_kind)
		return x->code_kind < y->code_kind ? -1 : 1;
	return strcmp(x->code_key, y->code_key);
}

/* The subjects the codes of the rows without a problem (all, or only those waiting) name. */
static int
find_subjects(Row *rows, int n, bool waiting_only, MemoryContext cxt)
{
	char	  **kinds = palloc(sizeof(char *) * Max(n, 1));
	char	  **keys = palloc(sizeof(char *) * Max(n, 1));
	int		   *which = palloc(sizeof(int) * Max(n, 1));
	int		   *first = palloc(sizeof(int) * (n + 1));
	int			nk = 0,
				nu = 0,
				waiting = 0;
	Datum		args[2];

	for (int i = 0; i < n; i++)
		if (rows[i].problem == NULL && (!waiting_only || !rows[i].has_subject))
			which[nk++] = i;
	if (nk == 0)
		return 0;
	/* each code asked for once (a feed names its subjects many times) */
	qsort_arg(which, nk, sizeof(int), cmp_row_code, rows);
	for (int i = 0; i < nk; i++)
		if (i == 0 || cmp_row_code(&which[i - 1], &which[i], rows) != 0)
		{
			first[nu] = i;
			kinds[nu] = unconstify(char *, code_kind_name(rows[which[i]].code_kind));
			keys[nu++] = rows[which[i]].code_key;
		}
	first[nu] = nk;
	args[0] = credit_text_array(kinds, nu);
	args[1] = credit_text_array(keys, nu);
	run_query(&q_subjects, args, false, "finding the subjects of codes", cxt);
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		bool		isnull;
		int64		k = DatumGetInt64(SPI_getbinval(tup, SPI_tuptable->tupdesc, 1, &isnull));
		int64		sid;

		if (k < 1 || k > nu)
			elog(ERROR, "credit: subject look-up returned row %lld of %d", (long long) k, nu);
		sid = DatumGetInt64(SPI_getbinval(tup, SPI_tuptable->tupdesc, 2, &isnull));
		for (int j = first[k - 1]; j < first[k]; j++)
		{
			rows[which[j]].subject_id = sid;
			rows[which[j]].has_subject = true;
		}
	}
	for (int i = 0; i < nk; i++)
		if (!rows[which[i]].has_subject)
			waiting++;
	return waiting;
}

static int
cmp_date(const void *a, const void *b)
{
	DateADT		x = *(const DateADT *) a;
	DateADT		y = *(const DateADT *) b;

	return x < y ? -1 : x > y ? 1 : 0;
}

/* Timeliness of licence and penalty rows: received within 7 working days of the decision. */
static void
check_timely(Row *rows, int n, DateADT today, MemoryContext cxt)
{
	DateADT    *dates = palloc(sizeof(DateADT) * Max(n, 1));
	DateADT    *deadline;
	int			nd = 0,
				u = 0;
	Datum		arg;

	for (int i = 0; i < n; i++)
	{
		rows[i].timely = -1;
		if (rows[i].has_date && rows[i].category != NULL &&
			(strcmp(rows[i].category, "license") == 0 || strcmp(rows[i].category, "penalty") == 0))
			dates[nd++] = rows[i].date;
	}
	if (nd == 0)
		return;
	qsort(dates, nd, sizeof(DateADT), cmp_date);
	for (int i = 0; i < nd; i++)
		if (u == 0 || dates[u - 1] != dates[i])
			dates[u++] = dates[i];
	arg = credit_date_array(dates, u);
	run_query(&q_deadlines, &arg, true, "counting working days", cxt);
	deadline = palloc(sizeof(DateADT) * u);
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		bool		isnull;
		DateADT		d = DatumGetDateADT(SPI_getbinval(tup, SPI_tuptable->tupdesc, 1, &isnull));
		DateADT		dl = DatumGetDateADT(SPI_getbinval(tup, SPI_tuptable->tupdesc, 2, &isnull));
		DateADT    *hit = bsearch(&d, dates, u, sizeof(DateADT), cmp_date);

		if (hit != NULL)
			deadline[hit - dates] = dl;
	}
	for (int i = 0; i < n; i++)
		if (rows[i].has_date && rows[i].category != NULL &&
			(strcmp(rows[i].category, "license") == 0 || strcmp(rows[i].category, "penalty") == 0))
		{
			DateADT    *hit = bsearch(&rows[i].date, dates, u, sizeof(DateADT), cmp_date);

			rows[i].timely = today <= deadline[hit - dates] ? 1 : 0;
		}
}

/* ---- the set-returning function ---- */

/* Attribute number (0-based) of a column of a row type, or an error. */
static int
attnum_of(TupleDesc desc, const char *name)
{
	for (int i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute a = TupleDescAttr(desc, i);

		if (!a->attisdropped && strcmp(NameStr(a->attname), name) == 0)
			return i;
	}
	elog(ERROR, "credit: row type has no column \"%s\"", name);
	return -1;
}

/* The columns C_* and id of a row type of the intake, by attribute number (0-based). */
typedef struct SentColumns
{
	int			att[C_NCOLS];
	int			id;
} SentColumns;

static void
sent_columns(TupleDesc desc, SentColumns *sc)
{
	for (int c = 0; c < C_NCOLS; c++)
		sc->att[c] = attnum_of(desc, col_name[c]);
	sc->id = attnum_of(desc, "id");
}

/* One sent row, line, from its deformed values (the texts copied into the current context). */
static void
row_from_values(Row *r, int line, const SentColumns *sc, Datum *values, bool *nulls)
{
	r->line = line;
	for (int c = 0; c < C_NCOLS; c++)
		r->col[c] = nulls[sc->att[c]] ? NULL : TextDatumGetCString(values[sc->att[c]]);
	r->id_null = nulls[sc->id];
	r->id = nulls[sc->id] ? (Datum) 0 : values[sc->id];
}

/* Read the sent rows of the array (credit.intake[]) into rows. */
static Row *
rows_read(ArrayType *arr, int *nrows)
{
	Oid			elemtype = ARR_ELEMTYPE(arr);
	TupleDesc	desc = lookup_rowtype_tupdesc(elemtype, -1);
	int16		typlen;
	bool		typbyval;
	char		typalign;
	Datum	   *elems;
	bool	   *enulls;
	int			n;
	SentColumns sc;
	Datum	   *values = palloc(sizeof(Datum) * desc->natts);
	bool	   *nulls = palloc(sizeof(bool) * desc->natts);
	Row		   *rows;

	sent_columns(desc, &sc);
	get_typlenbyvalalign(elemtype, &typlen, &typbyval, &typalign);
	deconstruct_array(arr, elemtype, typlen, typbyval, typalign, &elems, &enulls, &n);
	rows = palloc0(sizeof(Row) * Max(n, 1));
	for (int i = 0; i < n; i++)
	{
		Row		   *r = &rows[i];

		r->line = i + 1;
		r->id_null = true;
		if (enulls[i])
			continue;
		{
			HeapTupleHeader h = DatumGetHeapTupleHeader(elems[i]);
			HeapTupleData tup;

			tup.t_len = HeapTupleHeaderGetDatumLength(h);
			ItemPointerSetInvalid(&tup.t_self);
			tup.t_tableOid = InvalidOid;
			tup.t_data = h;
			heap_deform_tuple(&tup, desc, values, nulls);
		}
		row_from_values(r, i + 1, &sc, values, nulls);
		CHECK_FOR_INTERRUPTS();
	}
	ReleaseTupleDesc(desc);
	*nrows = n;
	return rows;
}

/*
 * Read the rows the current statement sent to credit.intake (the top frame
 * of the buffers, taken) into rows: what credit.intake_take gives, without
 * passing them through an array.
 */
static Row *
rows_read_buffer(Oid nsp, int *nrows)
{
	Oid			relid = get_relname_relid("intake", nsp);
	TupleDesc	desc = lookup_rowtype_tupdesc(get_rel_type_id(relid), -1);
	MemoryContext buffer;
	Tuplestorestate *sent = intake_frame_pop(relid, "credit.intake", &buffer);
	TupleTableSlot *slot = MakeSingleTupleTableSlot(desc, &TTSOpsMinimalTuple);
	SentColumns sc;
	int			n = 0,
				size = 1024;
	Row		   *rows = palloc0(sizeof(Row) * size);

	sent_columns(desc, &sc);
	while (tuplestore_gettupleslot(sent, true, false, slot))
	{
		if (n == size)
		{
			rows = repalloc_huge(rows, sizeof(Row) * size * 2);
			memset(&rows[size], 0, sizeof(Row) * size);
			size *= 2;
		}
		slot_getallattrs(slot);
		row_from_values(&rows[n], n + 1, &sc, slot->tts_values, slot->tts_isnull);
		n++;
		CHECK_FOR_INTERRUPTS();
	}
	ExecDropSingleTupleTableSlot(slot);
	tuplestore_end(sent);
	MemoryContextDelete(buffer);
	ReleaseTupleDesc(desc);
	*nrows = n;
	return rows;
}

/* A unit sends for its own units only: the first row naming another known unit refuses the statement. */
static void
check_sender(Row *rows, int n, Tables *t, const char *who, char **units, int nunits)
{
	char	  **sorted = palloc(sizeof(char *) * Max(nunits, 1));

	memcpy(sorted, units, sizeof(char *) * nunits);
	qsort(sorted, nunits, sizeof(char *), cmp_str);
	for (int i = 0; i < n; i++)
	{
		char	   *dep = trim_spaces(rows[i].col[C_DEPARTMENT]);
		StringInfoData acts;

		if (dep == NULL || dep[0] == '\0' || find_str(t->units, t->nunits, dep) < 0)
			continue;
		if (find_str(sorted, nunits, dep) >= 0)
			continue;
		initStringInfo(&acts);
		for (int k = 0; k < nunits; k++)
			appendStringInfo(&acts, "%s%s", k > 0 ? ", " : "", units[k]);
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied to send rows of unit %s", rows[i].col[C_DEPARTMENT]),
				 errdetail("Line %d names unit %s; role %s acts for %s.", rows[i].line,
						   rows[i].col[C_DEPARTMENT], who, nunits > 0 ? acts.data : "no unit")));
	}
}

PG_FUNCTION_INFO_V1(credit_intake_check);
/*
 * credit.intake_check(rows credit.intake[], layout text, batch bigint,
 * sender name, units text[], admin boolean, release boolean) → integer:
 * checks the rows of one intake statement (rows NULL: those the current
 * statement sent to credit.intake, taken from its buffer) and keeps them,
 * checked, as credit.intake_row is to keep them, with the record of each
 * ready row (its decision key claimed) and what the last row of each record
 * makes of it, for credit.intake_apply (a frame of the row type
 * credit.intake_checked, read by credit.intake_take); returns how many rows
 * it kept (none: no frame).  Refuses the statement (42501) when a row names
 * a unit the sender (not an administrator) does not act for.  Rows whose
 * subject is not found are looked up again under the waiting lock
 * (credit.intake_waiting_lock), which the statement then holds.  With
 * release, the rows are waiting rows whose subject was registered (their ids
 * in the rows' id): no sender is checked, no lock taken.
 */
Datum
credit_intake_check(PG_FUNCTION_ARGS)
{
	Oid			nsp = get_namespace_oid("credit", false);
	Oid			checked_relid;
	Tuplestorestate *checked;
	text	   *layout;
	int64		batch;
	char	   *who;
	ArrayType  *units_arr;
	bool		admin;
	bool		release;
	char	  **units;
	int			nunits = 0;
	Datum	   *unit_datums;
	bool	   *unit_nulls;
	int			nunit_datums;
	MemoryContext cxt = CurrentMemoryContext;
	CreditScope scope;
	Tables		t;
	Row		   *rows;
	int			n;
	DateADT		today = credit_today();
	char	  **reasons;
	TupleDesc	desc;
	Datum	   *values;
	bool	   *nulls;
	int			a_batch,
				a_line,
				a_layout,
				a_department,
				a_received_by,
				a_status,
				a_problem,
				a_message,
				a_subject_id,
				a_corrects,
				a_code_kind,
				a_code_key,
				a_decided,
				a_category,
				a_required,
				a_present,
				a_timely,
				a_record_id,
				a_makes;
	int			a_col[C_NCOLS];

	for (int i = 1; i < 7; i++)
		if (PG_ARGISNULL(i) && i != 4)
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("credit.intake_check: argument %d must not be NULL", i + 1)));
	layout = PG_GETARG_TEXT_PP(1);
	batch = PG_GETARG_INT64(2);
	who = NameStr(*PG_GETARG_NAME(3));
	admin = PG_GETARG_BOOL(5);
	release = PG_GETARG_BOOL(6);

	/* the units the sender acts for, in the order given and sorted */
	units = palloc(sizeof(char *));
	if (!PG_ARGISNULL(4))
	{
		units_arr = PG_GETARG_ARRAYTYPE_P(4);
		deconstruct_array(units_arr, TEXTOID, -1, false, TYPALIGN_INT, &unit_datums, &unit_nulls, &nunit_datums);
		units = palloc(sizeof(char *) * Max(nunit_datums, 1));
		for (int i = 0; i < nunit_datums; i++)
			if (!unit_nulls[i])
				units[nunits++] = TextDatumGetCString(unit_datums[i]);
	}

	if (PG_ARGISNULL(0))
		rows = rows_read_buffer(nsp, &n);
	else
	{
		ArrayType  *arr = PG_GETARG_ARRAYTYPE_P(0);

		if (ARR_NDIM(arr) > 1 || !type_is_rowtype(ARR_ELEMTYPE(arr)))
			ereport(ERROR,
					(errcode(ERRCODE_DATATYPE_MISMATCH),
					 errmsg("credit.intake_check: rows must be a one-dimensional array of intake rows")));
		rows = rows_read(arr, &n);
	}
	if (n == 0)
		PG_RETURN_INT32(0);

	credit_scope_enter(&scope, true);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	MemoryContextSwitchTo(cxt);
	tables_load(&t, cxt);

	if (!admin && !release)
		check_sender(rows, n, &t, who, units, nunits);

	for (int i = 0; i < n; i++)
	{
		row_read(&rows[i], &t, units, nunits, cxt);
		CHECK_FOR_INTERRUPTS();
	}
	check_kinds(rows, n, cxt);
	for (int i = 0; i < n; i++)
		rows[i].problem = row_problem(&rows[i], today);
	reasons = code_reasons(rows, n, cxt);
	if (find_subjects(rows, n, false, cxt) > 0 && !release)
	{
		/*
		 * rows left waiting: look again under the lock that registrations
		 * share
		 */
		run_query(&q_waiting_lock, NULL, false, "taking the waiting lock", cxt);
		find_subjects(rows, n, true, cxt);
	}
	check_timely(rows, n, today, cxt);
	intake_assign_records(rows, n, cxt);
	for (int i = 0; i < n; i++)
		if (rows[i].problem != NULL)
			rows[i].message = row_message(&rows[i], &t, units, nunits, reasons[i]);

	SPI_finish();
	credit_scope_exit(&scope);

	/* the rows as credit.intake_row keeps them, for credit.intake_apply */
	checked_relid = get_relname_relid("intake_checked", nsp);
	desc = lookup_rowtype_tupdesc_copy(get_rel_type_id(checked_relid), -1);
	checked = intake_frame_push(checked_relid);
	values = palloc0(sizeof(Datum) * desc->natts);
	nulls = palloc(sizeof(bool) * desc->natts);
	a_batch = attnum_of(desc, "batch");
	a_line = attnum_of(desc, "line");
	a_layout = attnum_of(desc, "layout");
	a_department = attnum_of(desc, "department");
	a_received_by = attnum_of(desc, "received_by");
	a_status = attnum_of(desc, "status");
	a_problem = attnum_of(desc, "problem");
	a_message = attnum_of(desc, "message");
	a_subject_id = attnum_of(desc, "subject_id");
	a_corrects = attnum_of(desc, "corrects");
	a_code_kind = attnum_of(desc, "code_kind");
	a_code_key = attnum_of(desc, "code_key");
	a_decided = attnum_of(desc, "decided");
	a_category = attnum_of(desc, "category");
	a_required = attnum_of(desc, "fields_required");
	a_present = attnum_of(desc, "fields_present");
	a_timely = attnum_of(desc, "timely");
	a_record_id = attnum_of(desc, "record_id");
	a_makes = attnum_of(desc, "makes");
	for (int c = 0; c < C_NCOLS; c++)
		a_col[c] = attnum_of(desc, col_name[c]);
	for (int i = 0; i < n; i++)
	{
		Row		   *r = &rows[i];
		bool		keyed = r->code_kind == CODE_USCC || r->code_kind == CODE_ORG_CODE ||
			r->code_kind == CODE_RESIDENT_ID;
		char	   *dep = trim_spaces(r->col[C_DEPARTMENT]);

		memset(nulls, true, sizeof(bool) * desc->natts);
#define SET(att, datum) (values[(att)] = (datum), nulls[(att)] = false)
		for (int c = 0; c < C_NCOLS; c++)
			if (r->col[c] != NULL)
				SET(a_col[c], CStringGetTextDatum(r->col[c]));
		/* the unit: the known one, else as sent */
		nulls[a_col[C_DEPARTMENT]] = true;
		if (r->unit != NULL)
			SET(a_department, CStringGetTextDatum(r->unit));
		else if (dep != NULL && dep[0] != '\0')
			SET(a_department, CStringGetTextDatum(pnstrdup(dep, pg_mbcharcliplen(dep, strlen(dep), INTAKE_UNIT_MAX))));
		SET(a_batch, Int64GetDatum(batch));
		SET(a_line, Int32GetDatum(r->line));
		SET(a_layout, PointerGetDatum(layout));
		SET(a_received_by, DirectFunctionCall1(namein, CStringGetDatum(who)));
		SET(a_status, CStringGetTextDatum(r->problem != NULL ? "rejected" : r->has_subject ? r->status : "waiting"));
		if (r->problem == NULL && r->has_subject)
			SET(a_record_id, Int64GetDatum(r->record_id));
		if (r->makes != NULL)
			SET(a_makes, CStringGetTextDatum(r->makes));
		if (r->problem != NULL)
		{
			SET(a_problem, CStringGetTextDatum(r->problem));
			SET(a_message, CStringGetTextDatum(r->message));
		}
		if (r->has_subject)
			SET(a_subject_id, Int64GetDatum(r->subject_id));
		if (!r->id_null)
			SET(a_corrects, r->id);
		if (keyed)
		{
			SET(a_code_kind, CStringGetTextDatum(code_kind_name(r->code_kind)));
			SET(a_code_key, CStringGetTextDatum(r->code_key));
		}
		if (r->has_date)
			SET(a_decided, DateADTGetDatum(r->date));
		if (r->category != NULL)
			SET(a_category, CStringGetTextDatum(r->category));
		SET(a_required, Int16GetDatum((int16) r->required));
		SET(a_present, Int16GetDatum((int16) r->present));
		if (r->timely >= 0)
			SET(a_timely, BoolGetDatum(r->timely == 1));
#undef SET
		tuplestore_putvalues(checked, desc, values, nulls);
		CHECK_FOR_INTERRUPTS();
	}
	PG_RETURN_INT32(n);
}
