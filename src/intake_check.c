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
 * C: the code, dates, numbers, the JSON of details, the mandatory fields.
 * Making records of the accepted rows is SQL (credit.intake_apply).
 */
#include "postgres.h"

#include "access/htup_details.h"
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

static const char *const col_name[C_NCOLS] = {
	"department", "subject_code", "subject_name", "subject_kind", "item_code",
	"document_no", "decided_on", "value", "amount", "details"
};

/* The fields of credit.intake_field that name a column, not a key of details. */
static const int field_column[] = {
	C_SUBJECT_CODE, C_ITEM_CODE, C_DECIDED_ON, C_SUBJECT_NAME, C_SUBJECT_KIND, C_DOCUMENT_NO, C_AMOUNT
};

/* One field of a row's category (the rows of credit.intake_field of that field, merged). */
struct Field
{
	const char *field;
	int			column;			/* C_* when it names a column, else -1 (a key
								 * of details) */
	int			rank;			/* least position */
	char		kind;			/* least kind: 'd'ate < 'n'umber < 't'ext */
	bool		mandatory;
	bool		rejects;
};

/* The fields of the rows of one category (NULL: of an unknown item). */
typedef struct FieldSet
{
	const char *category;
	int			n;
	Field	   *f;
	bool		has_details;	/* some field is a key of details */
	struct FieldSet *next;
} FieldSet;

/* A row of credit.intake_field. */
typedef struct FieldRow
{
	char	   *layout;
	char	   *code;
	char	   *field;
	char	   *label;
	char		kind;
	int			version;
	int			position;
	bool		mandatory;
	bool		rejects;
} FieldRow;

/* The tables of one statement's checks. */
typedef struct Tables
{
	char	  **units;			/* credit.department codes, sorted */
	int			nunits;
	char	  **items;			/* credit.catalog_item codes, sorted, */
	char	  **categories;		/* and their categories */
	int			nitems;
	FieldRow   *fields;
	int			nfields;
	FieldSet   *sets;
} Tables;


static CreditQuery q_units = {
	"SELECT d.code FROM credit.department d", 0, {0}
};
static CreditQuery q_items = {
	"SELECT c.code, c.category FROM credit.catalog_item c", 0, {0}
};
static CreditQuery q_fields = {
	"SELECT f.layout, f.code, f.field, f.label, f.kind, f.version, f.position, f.mandatory, f.rejects "
	"FROM credit.intake_field f", 0, {0}
};
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

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *) a, *(char *const *) b);
}

/* Index of s in a sorted array of strings, or -1. */
static int
find_str(char **v, int n, const char *s)
{
	char	  **hit = bsearch(&s, v, n, sizeof(char *), cmp_str);

	return hit == NULL ? -1 : (int) (hit - v);
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

/* Whether a column value is absent: NULL or spaces only (nullif(btrim(x), '') IS NULL). */
static bool
absent(const char *s)
{
	return s == NULL || feed_blank(s, strlen(s));
}

/* Read the units, the catalogue and the feed's fields (inside the scope, SPI connected). */
static void
tables_load(Tables *t, MemoryContext cxt)
{
	run_query(&q_units, NULL, true, "reading the units", cxt);
	t->nunits = (int) SPI_processed;
	t->units = MemoryContextAlloc(cxt, sizeof(char *) * Max(t->nunits, 1));
	for (int i = 0; i < t->nunits; i++)
		t->units[i] = spi_text(SPI_tuptable->vals[i], 1, cxt);
	qsort(t->units, t->nunits, sizeof(char *), cmp_str);

	run_query(&q_items, NULL, true, "reading the catalogue", cxt);
	t->nitems = (int) SPI_processed;
	{
		char	  **pairs = palloc(sizeof(char *) * 2 * Max(t->nitems, 1));
		char	  **sorted = palloc(sizeof(char *) * Max(t->nitems, 1));

		/*
		 * code and category side by side; sort the codes, then find each
		 * one's category
		 */
		for (int i = 0; i < t->nitems; i++)
		{
			pairs[2 * i] = spi_text(SPI_tuptable->vals[i], 1, cxt);
			pairs[2 * i + 1] = spi_text(SPI_tuptable->vals[i], 2, cxt);
			sorted[i] = pairs[2 * i];
		}
		qsort(sorted, t->nitems, sizeof(char *), cmp_str);
		t->items = MemoryContextAlloc(cxt, sizeof(char *) * Max(t->nitems, 1));
		t->categories = MemoryContextAlloc(cxt, sizeof(char *) * Max(t->nitems, 1));
		for (int i = 0; i < t->nitems; i++)
		{
			t->items[i] = sorted[i];
			for (int k = 0; k < t->nitems; k++)
				if (pairs[2 * k] == sorted[i])
				{
					t->categories[i] = pairs[2 * k + 1];
					break;
				}
		}
	}

	run_query(&q_fields, NULL, true, "reading the intake's fields", cxt);
	t->nfields = (int) SPI_processed;
	t->fields = MemoryContextAllocZero(cxt, sizeof(FieldRow) * Max(t->nfields, 1));
	for (int i = 0; i < t->nfields; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		FieldRow   *f = &t->fields[i];
		bool		isnull;
		char	   *kind;

		f->layout = spi_text(tup, 1, cxt);
		f->code = spi_text(tup, 2, cxt);
		f->field = spi_text(tup, 3, cxt);
		f->label = spi_text(tup, 4, cxt);
		kind = spi_text(tup, 5, cxt);
		f->kind = kind[0];
		f->version = DatumGetInt16(SPI_getbinval(tup, SPI_tuptable->tupdesc, 6, &isnull));
		f->position = DatumGetInt32(SPI_getbinval(tup, SPI_tuptable->tupdesc, 7, &isnull));
		f->mandatory = DatumGetBool(SPI_getbinval(tup, SPI_tuptable->tupdesc, 8, &isnull));
		f->rejects = DatumGetBool(SPI_getbinval(tup, SPI_tuptable->tupdesc, 9, &isnull));
	}
	t->sets = NULL;
}

static int
cmp_field(const void *a, const void *b)
{
	const Field *x = a;
	const Field *y = b;

	if (x->rank != y->rank)
		return x->rank < y->rank ? -1 : 1;
	return strcmp(x->field, y->field);
}

/*
 * The fields a row of this category is checked for: those of layout intake
 * and of the layout named like the category, merged by field (a field is
 * mandatory or rejects when any of its rows says so; its rank is its least
 * position), in rank order.
 */
static FieldSet *
field_set(Tables *t, const char *category, MemoryContext cxt)
{
	FieldSet   *s;

	for (s = t->sets; s != NULL; s = s->next)
		if ((s->category == NULL) == (category == NULL) &&
			(category == NULL || strcmp(s->category, category) == 0))
			return s;

	s = MemoryContextAllocZero(cxt, sizeof(FieldSet));
	s->category = category;
	s->f = MemoryContextAllocZero(cxt, sizeof(Field) * Max(t->nfields, 1));
	for (int i = 0; i < t->nfields; i++)
	{
		FieldRow   *r = &t->fields[i];
		Field	   *f = NULL;

		if (strcmp(r->layout, "intake") != 0 && (category == NULL || strcmp(r->layout, category) != 0))
			continue;
		for (int k = 0; k < s->n; k++)
			if (strcmp(s->f[k].field, r->field) == 0)
				f = &s->f[k];
		if (f == NULL)
		{
			f = &s->f[s->n++];
			f->field = r->field;
			f->rank = r->position;
			f->kind = r->kind;
			f->column = -1;
			for (int c = 0; c < (int) lengthof(field_column); c++)
				if (strcmp(col_name[field_column[c]], r->field) == 0)
					f->column = field_column[c];
			if (f->column < 0)
				s->has_details = true;
		}
		f->rank = Min(f->rank, r->position);
		f->kind = Min(f->kind, r->kind);
		f->mandatory = f->mandatory || r->mandatory;
		f->rejects = f->rejects || r->rejects;
	}
	qsort(s->f, s->n, sizeof(Field), cmp_field);
	s->next = t->sets;
	t->sets = s;
	return s;
}

/* ---- details: a JSON object that jsonb accepts ---- */

typedef struct JsonCheck
{
	bool		out_of_range;
} JsonCheck;

/*
 * A number jsonb cannot store (numeric's limits: 16383 digits after the
 * point, about 131000 before it) would fail the cast to jsonb later.
 */
static void
json_number_check(void *state, char *token, JsonTokenType type)
{
	JsonCheck  *c = state;
	const char *p = token;
	long		int_digits = 0,
				frac_digits = 0,
				exponent = 0;

	if (type != JSON_TOKEN_NUMBER)
		return;
	if (*p == '-')
		p++;
	while (*p >= '0' && *p <= '9')
		int_digits++, p++;
	if (*p == '.')
		for (p++; *p >= '0' && *p <= '9'; p++)
			frac_digits++;
	if (*p == 'e' || *p == 'E')
	{
		bool		negative = false;

		p++;
		if (*p == '+' || *p == '-')
			negative = *p++ == '-';
		for (; *p >= '0' && *p <= '9'; p++)
			if (exponent < 1000000000L)
				exponent = exponent * 10 + (*p - '0');
		if (negative)
			exponent = -exponent;
	}
	if (frac_digits - exponent > 16383 || int_digits + exponent > 131000)
		c->out_of_range = true;
}

/*
 * NULL when s is a JSON object that jsonb accepts, else what is wrong with
 * it (never an error).  Escapes are de-escaped, as jsonb does: \u0000 is
 * refused here too.
 */
static const char *
json_problem(const char *s, int len)
{
	int			i = 0;
	JsonLexContext *lex;
	JsonParseErrorType err;
	JsonSemAction sem;
	JsonCheck	check = {false};

	while (i < len && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r'))
		i++;
	if (i == len || s[i] != '{')
		return "not a JSON object";
	memset(&sem, 0, sizeof(sem));
	sem.semstate = &check;
	sem.scalar = json_number_check;
	lex = makeJsonLexContextCstringLen(unconstify(char *, s), len, GetDatabaseEncoding(), true);
	err = pg_parse_json(lex, &sem);
	if (err != JSON_SUCCESS)
		return json_errdetail(err, lex);
	if (check.out_of_range)
		return "a number is out of range";
	return NULL;
}

/* Value of a key of a jsonb object as ->> gives it (NULL when absent or null). */
static char *
jsonb_key_text(Jsonb *jb, const char *key)
{
	JsonbValue	vbuf;
	JsonbValue *v = getKeyJsonValueFromContainer(&jb->root, key, strlen(key), &vbuf);

	if (v == NULL)
		return NULL;
	switch (v->type)
	{
		case jbvNull:
			return NULL;
		case jbvBool:
			return pstrdup(v->val.boolean ? "true" : "false");
		case jbvString:
			return pnstrdup(v->val.string.val, v->val.string.len);
		case jbvNumeric:
			return DatumGetCString(DirectFunctionCall1(numeric_out, PointerGetDatum(v->val.numeric)));
		case jbvBinary:
			return JsonbToCString(NULL, v->val.binary.data, v->val.binary.len);
		default:
			elog(ERROR, "unexpected jsonb value type %d", (int) v->type);
	}
	return NULL;
}

/* ---- one row ---- */

/* Read a date of a feed (len bytes) into a DateADT. */
static bool
read_date_len(const char *s, size_t len, DateADT *d)
{
	int			y,
				m,
				dd;

	if (!feed_date(s, len, &y, &m, &dd))
		return false;
	*d = date2j(y, m, dd) - POSTGRES_EPOCH_JDATE;
	return true;
}

/* Read a date of a feed (a string, NULL: none) into a DateADT. */
static bool
read_date(const char *s, DateADT *d)
{
	return s != NULL && read_date_len(s, strlen(s), d);
}


/* The code, unit, item, date, fields and details of a row (what needs no query). */
static void
row_read(Row *r, Tables *t, char **units, int nunits, MemoryContext cxt)
{
	char	   *dep = trim_spaces(r->col[C_DEPARTMENT]);
	char	   *item = trim_spaces(r->col[C_ITEM_CODE]);
	const char *unit;
	FieldSet   *fs;
	Jsonb	   *details = NULL;
	int			k;

	/* the unit: as sent, else the sender's only one; known or not */
	unit = (dep != NULL && dep[0] != '\0') ? dep : (nunits == 1 ? units[0] : NULL);
	k = unit == NULL ? -1 : find_str(t->units, t->nunits, unit);
	r->unit = k < 0 ? NULL : t->units[k];

	r->item = item;
	k = item == NULL ? -1 : find_str(t->items, t->nitems, item);
	r->item_known = k >= 0;
	r->category = k < 0 ? NULL : t->categories[k];

	r->code_kind = CODE_NONE;
	if (!absent(r->col[C_SUBJECT_CODE]))
	{
		char	   *code = trim_spaces(r->col[C_SUBJECT_CODE]);
		size_t		len = strlen(code);
		const char *s = credit_to_utf8(code, &len);

		r->code_kind = code_classify(s, len, credit_today_ymd(), credit_uscc_lenient, r->code_key);
	}
	r->has_date = read_date(r->col[C_DECIDED_ON], &r->date);

	r->json_problem = NULL;
	if (!absent(r->col[C_DETAILS]))
		r->json_problem = json_problem(r->col[C_DETAILS], strlen(r->col[C_DETAILS]));

	/*
	 * the mandatory fields of the row's category: how many it carries, the
	 * first it lacks, the first malformed
	 */
	fs = field_set(t, r->category, cxt);
	if (fs->has_details && r->json_problem == NULL && !absent(r->col[C_DETAILS]))
		details = DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(trim_spaces(r->col[C_DETAILS]))));
	r->required = r->present = 0;
	r->lacking = r->malformed = NULL;
	for (int i = 0; i < fs->n; i++)
	{
		const Field *f = &fs->f[i];
		char	   *v;
		bool		present;
		DateADT		scratch;

		if (f->column >= 0)
			v = r->col[f->column];
		else
			v = details == NULL ? NULL : jsonb_key_text(details, f->field);
		present = !absent(v);
		if (f->mandatory)
		{
			r->required++;
			if (present)
				r->present++;
		}
		if (f->rejects && !present && r->lacking == NULL)
			r->lacking = f;

		/*
		 * formats of details' values (decided_on and amount are checked as
		 * columns)
		 */
		if (f->column < 0 && present && r->malformed == NULL &&
			((f->kind == 'd' && !read_date(v, &scratch)) ||
			 (f->kind == 'n' && !feed_number(v, strlen(v), FEED_VALUE))))
		{
			r->malformed = f;
			r->malformed_value = v;
		}
	}
}

/* Whether a column is present and not a number of the kind. */
static bool
bad_number(const char *s, FeedNumberKind kind)
{
	return !absent(s) && !feed_number(s, strlen(s), kind);
}

static bool
is_core_field(const Field *f)
{
	return strcmp(f->field, "subject_code") == 0 || strcmp(f->field, "item_code") == 0 ||
		strcmp(f->field, "decided_on") == 0;
}

/* The row's problem, in the order a clerk fixes them, or NULL. */
static const char *
row_problem(Row *r, DateADT today)
{
	if (r->unit == NULL)
		return "unknown_department";
	if (r->lacking != NULL && is_core_field(r->lacking))
		return "missing_field";
	if (r->code_kind == CODE_NONE || r->code_kind == CODE_PSEUDONYM)
		return "invalid_code";
	if (!r->item_known)
		return "unknown_item";
	if (!r->has_date)
		return "invalid_date";
	if (r->date > today)
		return "future_date";
	if (bad_number(r->col[C_VALUE], FEED_VALUE))
		return "invalid_value";
	if (bad_number(r->col[C_AMOUNT], FEED_AMOUNT))
		return "invalid_amount";
	if (r->json_problem != NULL)
		return "invalid_details";
	if (r->malformed != NULL)
		return r->malformed->kind == 'd' ? "invalid_date" : "invalid_value";
	if (!absent(r->col[C_SUBJECT_KIND]) && !r->kind_ok)
		return "invalid_kind";
	if (r->lacking != NULL)
		return "missing_field";
	return NULL;
}

/* The words of a rejected row's problem (code_reason: credit.code_problem's, for invalid_code). */
static char *
row_message(Row *r, Tables *t, char **units, int nunits, const char *code_reason)
{
	StringInfoData m;
	const char *p = r->problem;

	initStringInfo(&m);
	appendStringInfo(&m, "line %d: %s: ", r->line, p);
	if (strcmp(p, "unknown_department") == 0)
	{
		if (!absent(r->col[C_DEPARTMENT]))
			appendStringInfo(&m, "no unit has the code \"%s\" (department)", trim_spaces(r->col[C_DEPARTMENT]));
		else if (nunits > 1)
		{
			appendStringInfo(&m, "the sender acts for %d units (", nunits);
			for (int i = 0; i < nunits; i++)
				appendStringInfo(&m, "%s%s", i > 0 ? ", " : "", units[i]);
			appendStringInfoString(&m, "): name one in department");
		}
		else
			appendStringInfoString(&m, "name the sending unit in department");
	}
	else if (strcmp(p, "missing_field") == 0)
	{
		appendStringInfo(&m, "%s is required", r->lacking->field);
		if (!is_core_field(r->lacking))
		{
			bool		first = true;
			int			last = INT_MIN;

			appendStringInfo(&m, " for %s items (", r->category);
			/* the layout's version 2 fields that fill it, in position order */
			for (;;)
			{
				FieldRow   *next = NULL;

				for (int i = 0; i < t->nfields; i++)
				{
					FieldRow   *f = &t->fields[i];

					if (f->version == 2 && f->position > last && strcmp(f->layout, r->category) == 0 &&
						strcmp(f->field, r->lacking->field) == 0 &&
						(next == NULL || f->position < next->position))
						next = f;
				}
				if (next == NULL)
					break;
				appendStringInfo(&m, "%s%s %s", first ? "" : ", ",
								 str_toupper(next->code, strlen(next->code), DEFAULT_COLLATION_OID), next->label);
				first = false;
				last = next->position;
			}
			appendStringInfoChar(&m, ')');
		}
	}
	else if (strcmp(p, "invalid_code") == 0)
		appendStringInfo(&m, "%s (subject_code \"%s\")",
						 r->code_kind == CODE_PSEUDONYM ? "a pseudonym names no subject" : code_reason,
						 r->col[C_SUBJECT_CODE]);
	else if (strcmp(p, "unknown_item") == 0)
		appendStringInfo(&m, "no catalogue item \"%s\" (item_code)", r->col[C_ITEM_CODE]);
	else if (strcmp(p, "invalid_date") == 0)
	{
		if (!r->has_date)
			appendStringInfo(&m, "not a date (decided_on \"%s\"): write YYYY-MM-DD",
							 r->col[C_DECIDED_ON] ? r->col[C_DECIDED_ON] : "");
		else
			appendStringInfo(&m, "not a date (%s \"%s\"): write YYYY-MM-DD", r->malformed->field, r->malformed_value);
	}
	else if (strcmp(p, "future_date") == 0)
		appendStringInfo(&m, "the decision date %s is in the future (decided_on \"%s\")",
						 credit_date_text(r->date), r->col[C_DECIDED_ON]);
	else if (strcmp(p, "invalid_value") == 0)
	{
		if (r->malformed != NULL && !bad_number(r->col[C_VALUE], FEED_VALUE))
			appendStringInfo(&m, "not a number (%s \"%s\")", r->malformed->field, r->malformed_value);
		else
			appendStringInfo(&m, "not a number (value \"%s\")", r->col[C_VALUE]);
	}
	else if (strcmp(p, "invalid_amount") == 0)
		appendStringInfo(&m, "not an amount in CNY with at most 16 digits before the point (amount \"%s\")",
						 r->col[C_AMOUNT]);
	else if (strcmp(p, "invalid_details") == 0)
		appendStringInfo(&m, "%s (details)", r->json_problem);
	else if (strcmp(p, "invalid_kind") == 0)
		appendStringInfo(&m, "not a kind of subject (subject_kind \"%s\"): government, enterprise, individual, social_org, institution",
						 r->col[C_SUBJECT_KIND]);
	return m.data;
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

/* The subjects the codes of the rows without a problem (all, or only those waiting) name. */
static int
find_subjects(Row *rows, int n, bool waiting_only, MemoryContext cxt)
{
	char	  **kinds = palloc(sizeof(char *) * Max(n, 1));
	char	  **keys = palloc(sizeof(char *) * Max(n, 1));
	int		   *which = palloc(sizeof(int) * Max(n, 1));
	int			nk = 0,
				waiting = 0;
	Datum		args[2];

	for (int i = 0; i < n; i++)
		if (rows[i].problem == NULL && (!waiting_only || !rows[i].has_subject))
		{
			which[nk] = i;
			kinds[nk] = unconstify(char *, code_kind_name(rows[i].code_kind));
			keys[nk++] = rows[i].code_key;
		}
	if (nk == 0)
		return 0;
	args[0] = credit_text_array(kinds, nk);
	args[1] = credit_text_array(keys, nk);
	run_query(&q_subjects, args, false, "finding the subjects of codes", cxt);
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		bool		isnull;
		int64		k = DatumGetInt64(SPI_getbinval(tup, SPI_tuptable->tupdesc, 1, &isnull));
		Row		   *r;

		if (k < 1 || k > nk)
			elog(ERROR, "credit: subject look-up returned row %lld of %d", (long long) k, nk);
		r = &rows[which[k - 1]];
		r->subject_id = DatumGetInt64(SPI_getbinval(tup, SPI_tuptable->tupdesc, 2, &isnull));
		r->has_subject = true;
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
	int			att[C_NCOLS];
	int			att_id = attnum_of(desc, "id");
	Datum	   *values = palloc(sizeof(Datum) * desc->natts);
	bool	   *nulls = palloc(sizeof(bool) * desc->natts);
	Row		   *rows;

	for (int c = 0; c < C_NCOLS; c++)
		att[c] = attnum_of(desc, col_name[c]);
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
		for (int c = 0; c < C_NCOLS; c++)
			r->col[c] = nulls[att[c]] ? NULL : TextDatumGetCString(values[att[c]]);
		r->id_null = nulls[att_id];
		r->id = nulls[att_id] ? (Datum) 0 : values[att_id];
		CHECK_FOR_INTERRUPTS();
	}
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
 * sender name, units text[], admin boolean, release boolean) → SETOF
 * credit.intake_checked: the rows of one intake statement, checked, as they
 * are to be kept, with the record of each ready row (its decision key
 * claimed) and what the last row of each record makes of it; refuses the
 * statement (42501) when a row names a unit the sender (not an
 * administrator) does not act for.  Rows whose subject is not found are
 * looked up again under the waiting lock (credit.intake_waiting_lock), which
 * the statement then holds.  With release, the rows are waiting rows whose
 * subject was registered (their ids in the rows' id): no sender is checked,
 * no lock taken.
 */
Datum
credit_intake_check(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	ArrayType  *arr;
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

	for (int i = 0; i < 7; i++)
		if (PG_ARGISNULL(i) && i != 4)
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("credit.intake_check: argument %d must not be NULL", i + 1)));
	arr = PG_GETARG_ARRAYTYPE_P(0);
	layout = PG_GETARG_TEXT_PP(1);
	batch = PG_GETARG_INT64(2);
	who = NameStr(*PG_GETARG_NAME(3));
	admin = PG_GETARG_BOOL(5);
	release = PG_GETARG_BOOL(6);
	if (ARR_NDIM(arr) > 1 || !type_is_rowtype(ARR_ELEMTYPE(arr)))
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("credit.intake_check: rows must be a one-dimensional array of intake rows")));

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

	InitMaterializedSRF(fcinfo, 0);
	desc = rsinfo->setDesc;
	rows = rows_read(arr, &n);
	if (n == 0)
		PG_RETURN_NULL();

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

	/* the rows as credit.intake_row keeps them */
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
			SET(a_department, CStringGetTextDatum(dep));
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
		tuplestore_putvalues(rsinfo->setResult, desc, values, nulls);
	}
	PG_RETURN_NULL();
}

PG_FUNCTION_INFO_V1(credit_json_object_problem);
/*
 * credit.json_object_problem(text) → text: NULL when the text is a JSON
 * object that jsonb accepts, else what is wrong with it (never an error), so
 * that a feed's details are checked row by row without a subtransaction.
 */
Datum
credit_json_object_problem(PG_FUNCTION_ARGS)
{
	text	   *t = PG_GETARG_TEXT_PP(0);
	const char *problem = json_problem(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t));

	if (problem == NULL)
		PG_RETURN_NULL();
	PG_RETURN_TEXT_P(cstring_to_text(problem));
}

PG_FUNCTION_INFO_V1(credit_intake_date);
/* credit.intake_date(text) → date: a date as feeds write it, NULL when it is none (feed_date). */
Datum
credit_intake_date(PG_FUNCTION_ARGS)
{
	text	   *t = PG_GETARG_TEXT_PP(0);
	DateADT		d;

	if (!read_date_len(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t), &d))
		PG_RETURN_NULL();
	PG_RETURN_DATEADT(d);
}

PG_FUNCTION_INFO_V1(credit_intake_number);
/* credit.intake_number(text, kind text) → boolean: a number of kind amount, else of kind value (feed_number). */
Datum
credit_intake_number(PG_FUNCTION_ARGS)
{
	text	   *t = PG_GETARG_TEXT_PP(0);
	text	   *kind = PG_GETARG_TEXT_PP(1);
	bool		amount = VARSIZE_ANY_EXHDR(kind) == 6 && memcmp(VARDATA_ANY(kind), "amount", 6) == 0;

	PG_RETURN_BOOL(feed_number(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t), amount ? FEED_AMOUNT : FEED_VALUE));
}
