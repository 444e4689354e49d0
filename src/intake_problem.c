/*
 * intake_problem.c
 *      One row of an intake statement, read and judged: the unit, code,
 *      item, dates, numbers, the JSON of details and the mandatory fields of
 *      its category, then the problem a clerk fixes first (a stable code) and
 *      the words of it (the message a clerk reads).
 *
 * Nothing here asks a query per row: the small tables the checks read (units,
 * catalogue, the feed's fields) are read once per statement by tables_load,
 * and intake_check.c asks what needs SQL for all rows at once.
 */
#include "postgres.h"

#include "catalog/pg_collation.h"
#include "common/jsonapi.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/datetime.h"
#include "utils/formatting.h"
#include "utils/jsonb.h"

#include "code_parse.h"
#include "credit.h"
#include "feed_parse.h"
#include "util.h"
#include "intake.h"

const char *const col_name[C_NCOLS] = {
	"department", "subject_code", "subject_name", "subject_kind", "item_code",
	"document_no", "decided_on", "value", "amount", "details"
};

/* The fields of credit.intake_field that name a column, not a key of details. */
static const int field_column[] = {
	C_SUBJECT_CODE, C_ITEM_CODE, C_DECIDED_ON, C_SUBJECT_NAME, C_SUBJECT_KIND, C_DOCUMENT_NO, C_AMOUNT
};

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

int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *) a, *(char *const *) b);
}

/* Index of s in a sorted array of strings, or -1. */
int
find_str(char **v, int n, const char *s)
{
	char	  **hit = bsearch(&s, v, n, sizeof(char *), cmp_str);

	return hit == NULL ? -1 : (int) (hit - v);
}

/* Whether a column value is absent: NULL or spaces only (nullif(btrim(x), '') IS NULL). */
bool
absent(const char *s)
{
	return s == NULL || feed_blank(s, strlen(s));
}

/* Read the units, the catalogue and the feed's fields (inside the scope, SPI connected). */
void
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

/* Whether a column is present and not a number of the kind. */
static bool
bad_number(const char *s, FeedNumberKind kind)
{
	return !absent(s) && !feed_number(s, strlen(s), kind);
}

/* Characters of a text (the database's encoding). */
int
text_chars(const char *s)
{
	return pg_mbstrlen_with_len(s, strlen(s));
}

/*
 * Why an amount (present) is no amount in CNY, or NULL: not a number that
 * fits numeric(18, 2), negative (a fine, a debt, a loan is never below
 * zero), or finer than a fen (0.01 CNY), which the record would round away.
 */
static const char *
amount_problem(const char *s)
{
	const char *p = s;
	const char *point;
	bool		nonzero = false;

	if (!feed_number(s, strlen(s), FEED_AMOUNT))
		return "not an amount in CNY with at most 16 digits before the point";
	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' || *p == '\v' || *p == '\f')
		p++;
	for (const char *d = p; *d != '\0'; d++)
		nonzero = nonzero || (*d >= '1' && *d <= '9');
	if (*p == '-' && nonzero)
		return "a negative amount";
	point = strchr(p, '.');
	if (point != NULL)
		for (size_t k = 3; k < strlen(point); k++)
			if (point[k] >= '1' && point[k] <= '9')
				return "finer than a fen (0.01 CNY)";
	return NULL;
}

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
void
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
	r->amount_problem = absent(r->col[C_AMOUNT]) ? NULL : amount_problem(r->col[C_AMOUNT]);

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

static bool
is_core_field(const Field *f)
{
	return strcmp(f->field, "subject_code") == 0 || strcmp(f->field, "item_code") == 0 ||
		strcmp(f->field, "decided_on") == 0;
}

/* The row's problem, in the order a clerk fixes them, or NULL. */
const char *
row_problem(Row *r, DateADT today)
{
	if (r->unit == NULL)
		return "unknown_department";
	if (r->lacking != NULL && is_core_field(r->lacking))
		return "missing_field";
	if (r->col[C_DOCUMENT_NO] != NULL && text_chars(r->col[C_DOCUMENT_NO]) > INTAKE_DOCUMENT_MAX)
		return "too_long";
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
	if (r->amount_problem != NULL)
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
char *
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
		appendStringInfo(&m, "%s (amount \"%s\")", r->amount_problem, r->col[C_AMOUNT]);
	else if (strcmp(p, "too_long") == 0)
		appendStringInfo(&m, "document_no has %d characters, at most %d", text_chars(r->col[C_DOCUMENT_NO]),
						 INTAKE_DOCUMENT_MAX);
	else if (strcmp(p, "invalid_details") == 0)
		appendStringInfo(&m, "%s (details)", r->json_problem);
	else if (strcmp(p, "invalid_kind") == 0)
		appendStringInfo(&m, "not a kind of subject (subject_kind \"%s\"): government, enterprise, individual, social_org, institution",
						 r->col[C_SUBJECT_KIND]);
	return m.data;
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
