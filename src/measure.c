/*
 * measure.c
 *      Joint rewards and punishments (联合奖惩): matching a subject to the
 *      measures of credit.measure by its current grades, its active list
 *      entries, its kind and the scenario.
 *
 * The measures (with their grade ranges turned into model_grade ranks) and
 * the scenario codes are cached per backend in their own memory context.  A
 * relcache invalidation of credit.measure, credit.scenario, credit.list or
 * credit.model_grade (sent by the statement trigger credit.config_changed,
 * so every backend receives it at commit) makes the cache stale (cache.c);
 * the next call reloads it.  A call reads the subject's kind, current
 * grades, active list entries and active credit records of list items with
 * saved queries through SPI; the tables may be partitioned or distributed.
 * measures_for reads everything with the caller's rights, so row-level
 * security applies.  credit.check reads the subject and its grades with the
 * owner's rights (a unit gets the masked ID number and the log row through
 * it only) and the listings with the caller's, as measures_for does: a
 * unit's check and its measures_for agree, and nothing a check shows or
 * decides is derived from rows the caller may not read.
 *
 * A subject is on a list while it has an active entry on it, or an active
 * credit record of the list's catalogue item (credit.list.item_code): lists
 * are also collected as records (a department's feed of its list), and the
 * evaluation models count those records (the one-vote veto), so a measure
 * must see them too.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "miscadmin.h"
#include "executor/spi.h"
#include "executor/tuptable.h"
#include "fmgr.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/datetime.h"
#include "utils/fmgroids.h"
#include "utils/inval.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/numeric.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"

#include "audit.h"
#include "by_code.h"
#include "cache.h"
#include "credit.h"
#include "evalstate.h"
#include "util.h"


/* One row of credit.measure, as matching needs it. */
typedef struct MeasureDef
{
	char	   *code;
	char	   *name;
	char	   *kind;			/* 'incentive' or 'punishment' */
	char	   *effect;			/* priority, facilitation, restriction, bar */
	char	   *product;		/* NULL: not a product */
	char	   *scenario;		/* NULL: every scenario */
	uint32		kinds_mask;		/* bit (n - 1) for the n-th label of
								 * credit.subject_kind */
	char	   *model;			/* NULL: no grade condition */
	char	   *best_grade;		/* NULL: open end */
	char	   *worst_grade;
	int32		best_rank;		/* 0 when best_grade is NULL */
	int32		worst_rank;		/* PG_INT32_MAX when worst_grade is NULL */
	int			nlists;
	char	  **lists;
} MeasureDef;

typedef struct MeasureCache
{
	MemoryContext cxt;
	uint64		generation;
	int			nmeasures;
	MeasureDef *measures;
	int			nscenarios;
	char	  **scenarios;		/* sorted (bytewise) */
	char	  **scenario_names;
	int			nkinds;
	char	  **kinds;			/* credit.subject_kind's labels, in order */
	Oid		   *kind_oids;		/* their pg_enum rows (the enum's values) */
} MeasureCache;

/*
 * The catalogue items lists are kept of, for the records' statement triggers:
 * a cache of its own (one small query to load), stale with the measure cache.
 */
typedef struct ListItemCache
{
	MemoryContext cxt;
	uint64		generation;
	int			n;
	char	  **items;
} ListItemCache;

/* One current grade or active list of the subject being matched. */
typedef struct SubjectFact
{
	char	   *key;			/* model or list code */
	char	   *value;			/* grade, or first listed_on of the list */
	int32		rank;
} SubjectFact;

static MeasureCache *measure_cache = NULL;

/* The output of credit.uscc and credit.mask(credit.resident_id) (uscc.c, resident_id.c). */
extern Datum uscc_out(PG_FUNCTION_ARGS);
extern Datum resident_id_mask(PG_FUNCTION_ARGS);

/* Text column of the current SPI row copied into the current context; NULL stays NULL. */
static char *
measure_spi_text(HeapTuple tup, TupleDesc desc, int col)
{
	bool		isnull;
	Datum		d = SPI_getbinval(tup, desc, col, &isnull);

	return isnull ? NULL : TextDatumGetCString(d);
}

/* A text column of every row SPI returned, copied into the current context. */
static char **
measure_spi_column(int col)
{
	char	  **v = palloc0(sizeof(char *) * Max(SPI_processed, 1));
	uint64		i;

	for (i = 0; i < SPI_processed; i++)
		v[i] = measure_spi_text(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, col);
	return v;
}

/* The queries the cache is loaded with. */
static CreditQuery q_measures = {
	"SELECT m.code, m.name, m.kind, m.scenario, "
	"       (SELECT pg_catalog.bit_or(1 OPERATOR(pg_catalog.<<) (pg_catalog.array_position("
	"                   pg_catalog.enum_range(NULL::credit.subject_kind), k) OPERATOR(pg_catalog.-) 1))"
	"          FROM pg_catalog.unnest(m.subject_kinds) k)::pg_catalog.int4, "
	"       m.model, m.best_grade, m.worst_grade, "
	"       COALESCE(b.rank, 0), COALESCE(w.rank, 2147483647), m.list_codes, m.effect, m.product "
	"  FROM credit.measure m "
	"  LEFT JOIN credit.model_grade b ON b.model OPERATOR(pg_catalog.=) m.model "
	"                                AND b.grade OPERATOR(pg_catalog.=) m.best_grade "
	"  LEFT JOIN credit.model_grade w ON w.model OPERATOR(pg_catalog.=) m.model "
	"                                AND w.grade OPERATOR(pg_catalog.=) m.worst_grade "
	" ORDER BY m.kind COLLATE pg_catalog.\"C\", m.code COLLATE pg_catalog.\"C\"",
	0, {0}
};
static CreditQuery q_kinds = {
	"SELECT e.enumlabel::pg_catalog.text, e.oid FROM pg_catalog.pg_enum e "
	" WHERE e.enumtypid OPERATOR(pg_catalog.=) 'credit.subject_kind'::pg_catalog.regtype "
	" ORDER BY e.enumsortorder", 0, {0}
};
static CreditQuery q_scenarios = {
	"SELECT s.code, s.name FROM credit.scenario s ORDER BY s.code COLLATE pg_catalog.\"C\"", 0, {0}
};
static CreditQuery q_list_items = {
	"SELECT DISTINCT l.item_code FROM credit.list l WHERE l.item_code IS NOT NULL", 0, {0}
};

/* Read the measures, scenarios, grade ranks and subject kinds through SPI (connected by the caller) into a new cache. */
static MeasureCache *
measure_cache_load(void)
{
	MemoryContext cxt;
	MemoryContext old;
	MeasureCache *c;
	uint64		gen = credit_cache_generation(CREDIT_CACHE_MEASURE);
	uint64		i;

	credit_query_exec(&q_measures, NULL, NULL, true, SPI_OK_SELECT, "reading credit.measure");

	/* under the transaction until complete, so an error frees it */
	cxt = AllocSetContextCreate(CurTransactionContext, "credit measure cache", ALLOCSET_SMALL_SIZES);
	old = MemoryContextSwitchTo(cxt);
	c = palloc0(sizeof(MeasureCache));
	c->cxt = cxt;
	c->generation = gen;
	c->nmeasures = (int) SPI_processed;
	c->measures = palloc0(sizeof(MeasureDef) * Max(c->nmeasures, 1));
	for (i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		MeasureDef *m = &c->measures[i];
		bool		isnull;
		Datum		d;

		m->code = measure_spi_text(tup, desc, 1);
		m->name = measure_spi_text(tup, desc, 2);
		m->kind = measure_spi_text(tup, desc, 3);
		m->scenario = measure_spi_text(tup, desc, 4);
		d = SPI_getbinval(tup, desc, 5, &isnull);
		m->kinds_mask = isnull ? 0 : (uint32) DatumGetInt32(d);
		m->model = measure_spi_text(tup, desc, 6);
		m->best_grade = measure_spi_text(tup, desc, 7);
		m->worst_grade = measure_spi_text(tup, desc, 8);
		m->best_rank = DatumGetInt32(SPI_getbinval(tup, desc, 9, &isnull));
		m->worst_rank = DatumGetInt32(SPI_getbinval(tup, desc, 10, &isnull));
		d = SPI_getbinval(tup, desc, 11, &isnull);
		if (!isnull)
		{
			ArrayType  *arr = DatumGetArrayTypeP(d);
			Datum	   *elems;
			bool	   *nulls;
			int			n;
			int			j;

			deconstruct_array(arr, TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, &n);
			m->lists = palloc0(sizeof(char *) * Max(n, 1));
			for (j = 0; j < n; j++)
				if (!nulls[j])
					m->lists[m->nlists++] = TextDatumGetCString(elems[j]);
		}
		m->effect = measure_spi_text(tup, desc, 12);
		m->product = measure_spi_text(tup, desc, 13);
	}
	MemoryContextSwitchTo(old);

	credit_query_exec(&q_scenarios, NULL, NULL, true, SPI_OK_SELECT, "reading credit.scenario");
	old = MemoryContextSwitchTo(cxt);
	c->nscenarios = (int) SPI_processed;
	c->scenarios = measure_spi_column(1);
	c->scenario_names = measure_spi_column(2);
	MemoryContextSwitchTo(old);

	credit_query_exec(&q_kinds, NULL, NULL, true, SPI_OK_SELECT, "reading credit.subject_kind");
	old = MemoryContextSwitchTo(cxt);
	c->nkinds = (int) SPI_processed;
	c->kinds = palloc0(sizeof(char *) * Max(c->nkinds, 1));
	c->kind_oids = palloc0(sizeof(Oid) * Max(c->nkinds, 1));
	for (i = 0; i < SPI_processed; i++)
	{
		bool		isnull;

		c->kinds[i] = measure_spi_text(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1);
		c->kind_oids[i] = DatumGetObjectId(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 2, &isnull));
	}
	MemoryContextSwitchTo(old);


	MemoryContextSetParent(cxt, CacheMemoryContext);
	return c;
}

/*
 * The cached measures, reloaded (through SPI) when a table they come from
 * changed; the cache stays valid for the rest of the call.
 */
static MeasureCache *
measure_cache_get(void)
{
	MeasureCache *c;
	CreditScope scope;

	/* see committed changes even when the tables are already locked */
	AcceptInvalidationMessages();
	if (measure_cache != NULL &&
		measure_cache->generation == credit_cache_generation(CREDIT_CACHE_MEASURE))
		return measure_cache;
	/* the measures are platform configuration: read with the owner's rights */
	credit_scope_enter_reference(&scope);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	c = measure_cache_load();
	SPI_finish();
	credit_scope_exit(&scope);
	if (measure_cache != NULL)
		MemoryContextDelete(measure_cache->cxt);
	measure_cache = c;
	return c;
}

/* Index of a scenario code in credit.scenario (binary search of the sorted codes), -1 if absent. */
static int
measure_scenario_index(const MeasureCache *c, const char *code)
{
	int			lo = 0;
	int			hi = c->nscenarios - 1;

	while (lo <= hi)
	{
		int			mid = (lo + hi) / 2;
		int			cmp = strcmp(c->scenarios[mid], code);

		if (cmp == 0)
			return mid;
		if (cmp < 0)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return -1;
}

/* The scenario's index, or the error of an unknown scenario. */
static int
measure_scenario(const MeasureCache *c, const char *code)
{
	int			i = measure_scenario_index(c, code);

	if (i < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("scenario \"%s\" does not exist", credit_clip(code, strlen(code))),
				 errhint("Scenarios are rows of credit.scenario.")));
	return i;
}

/* The subject's fact (grade under a model, or list entry) with this key, or NULL. */
static const SubjectFact *
measure_find_fact(const SubjectFact *facts, int n, const char *key)
{
	int			i;

	for (i = 0; i < n; i++)
		if (strcmp(facts[i].key, key) == 0)
			return &facts[i];
	return NULL;
}

/*
 * Appends to reason why the measure applies, or returns false when it does
 * not: the grade condition first, then the lists.
 */
static bool
measure_matches(const MeasureDef *m, const SubjectFact *grades, int ngrades,
				const SubjectFact *lists, int nlists, StringInfo reason)
{
	int			start = reason->len;
	int			nmatched = 0;
	int			j;

	if (m->model != NULL)
	{
		const SubjectFact *g = measure_find_fact(grades, ngrades, m->model);

		if (g == NULL || g->rank < m->best_rank || g->rank > m->worst_rank)
			return false;
		appendStringInfo(reason, "grade %s under %s", g->value, m->model);
		if (m->best_grade == NULL && m->worst_grade == NULL)
			appendStringInfoString(reason, " (any grade)");
		else if (m->best_grade == NULL)
			appendStringInfo(reason, " (measure range: %s or better)", m->worst_grade);
		else if (m->worst_grade == NULL)
			appendStringInfo(reason, " (measure range: %s or worse)", m->best_grade);
		else if (strcmp(m->best_grade, m->worst_grade) != 0)
			appendStringInfo(reason, " (measure range: %s to %s)", m->best_grade, m->worst_grade);
	}
	if (m->nlists == 0)
		return true;
	for (j = 0; j < m->nlists; j++)
	{
		const SubjectFact *l = measure_find_fact(lists, nlists, m->lists[j]);

		if (l == NULL)
			continue;
		if (nmatched == 0)
			appendStringInfoString(reason, reason->len > start ? "; on list " : "on list ");
		else
			appendStringInfoString(reason, ", ");
		appendStringInfo(reason, "%s since %s", l->key, l->value);
		nmatched++;
	}
	if (nmatched == 0)
	{
		reason->len = start;
		reason->data[start] = '\0';
		return false;
	}
	return true;
}

/* A current grade as credit.check shows it. */
typedef struct SubjectGrade
{
	char	   *model;
	char	   *grade;			/* NULL: none */
	char	   *as_of;			/* its anchor, ISO */
} SubjectGrade;

/* A listing as credit.check shows it (credit.subject_listings). */
typedef struct SubjectListing
{
	char	   *list;
	char	   *kind;
	char	   *listed_on;
	char	   *expires_on;		/* NULL: open */
	char	   *department;		/* NULL: an entry; else the unit whose record
								 * lists it */
} SubjectListing;

/* What a call knows of the subject being matched. */
typedef struct SubjectFacts
{
	bool		found;
	int			kind_pos;		/* 1-based position of its kind in the cache's
								 * kinds; 0 unknown */
	int			ngrades;		/* grades with a rank: the matching facts */
	int			nlists;			/* lists, with the first day of each */
	int			capacity;
	SubjectFact *grades;
	SubjectFact *lists;
	/* the subject and every grade and listing, for credit.check */
	char	   *kind;
	char	   *name;
	char	   *uscc;
	char	   *person_id;		/* masked */
	int			nshown_grades;
	SubjectGrade *shown_grades;
	int			nlistings;
	SubjectListing *listings;
	/* whether the listings need reading (credit.subject_grade.listed) */
	int			nflags;			/* grade rows whose flag was read */
	bool		listed;			/* some flag says it may be on a list */
} SubjectFacts;

/* Room for one more grade or list of the subject. */
static SubjectFact *
measure_add_fact(SubjectFacts *sf, bool grade)
{
	if (sf->grades == NULL)
	{
		sf->capacity = 8;
		sf->grades = palloc(sizeof(SubjectFact) * sf->capacity);
		sf->lists = palloc(sizeof(SubjectFact) * sf->capacity);
	}
	if ((grade ? sf->ngrades : sf->nlists) == sf->capacity)
	{
		sf->capacity *= 2;
		sf->grades = repalloc(sf->grades, sizeof(SubjectFact) * sf->capacity);
		sf->lists = repalloc(sf->lists, sizeof(SubjectFact) * sf->capacity);
	}
	return grade ? &sf->grades[sf->ngrades++] : &sf->lists[sf->nlists++];
}

/*
 * The subject (its kind, name, USCC, masked ID number) with each of its
 * current grades and their anchors (their ranks come from the model cache)
 * and, to the owner, the flags of its grade rows that say whether it may be
 * on a list (credit.subject_grade.listed: set by whatever can make a
 * listing, cleared only by credit.refresh_listed); one row per grade, one
 * without a grade when it has none, none when there is no such subject.
 * The lists it is on today (credit.subject_listings) are read only when a
 * flag says so or the subject has no grade row.
 */
#define SUBJECT_QUERY(name, uscc, person_id, listed) \
    "SELECT s.kind, " name ", " uscc ", " person_id ", " \
    "       g.model, g.grade, g.anchor, " listed " " \
    "  FROM credit.subject s LEFT JOIN credit.subject_grade g " \
    "       ON g.subject_id OPERATOR(pg_catalog.=) s.id " \
    " WHERE s.id OPERATOR(pg_catalog.=) $1"

/*
 * The subject and its grades as measures_for reads them, with the caller's
 * rights (of the subject only the columns matching needs, so a role needs
 * the privileges a query of them would).
 */
static CreditQuery q_subject = {
	SUBJECT_QUERY("NULL::pg_catalog.text", "NULL::pg_catalog.text", "NULL::pg_catalog.text",
				  "NULL::pg_catalog.bool"), 1, {INT8OID}
};

/* The flags alone, read by measures_for with the owner's rights. */
static CreditQuery q_flags = {
	"SELECT g.listed FROM credit.subject_grade g WHERE g.subject_id OPERATOR(pg_catalog.=) $1", 1, {INT8OID}
};

/* The subject, its grades and their flags as credit.check reads them, with the owner's rights (the ID number masked). */
static CreditQuery q_subject_only = {
	"SELECT s.kind, s.name, s.uscc, s.person_id FROM credit.subject s WHERE s.id OPERATOR(pg_catalog.=) $1",
	1, {INT8OID}
};
static CreditQuery q_grades = {
	"SELECT g.model, g.grade, g.anchor, g.listed FROM credit.subject_grade g "
	" WHERE g.subject_id OPERATOR(pg_catalog.=) $1", 1, {INT8OID}
};

/*
 * The listings of today (credit.subject_listings), read with the caller's
 * rights by both: from the view, filtered on the subject, a query Citus
 * routes to the subject's shard.
 */
static CreditQuery q_listings = {
	"SELECT l.list_code, l.kind, l.listed_on, l.expires_on, l.department "
	"  FROM credit.listing l "
	" WHERE l.subject_id OPERATOR(pg_catalog.=) $1 "
	"   AND credit.list_entry_active(l.listed_on, l.expires_on, l.removed_on, CURRENT_DATE)", 1, {INT8OID}
};

/* What a query of the subject's facts reads. */
typedef enum FactsPart
{
	FACTS_SUBJECT,				/* q_subject */
	FACTS_SUBJECT_ONLY,			/* q_subject_only */
	FACTS_GRADES,				/* q_grades */
	FACTS_FLAGS,				/* q_flags */
	FACTS_LISTINGS				/* q_listings */
} FactsPart;

/* A date column of the current SPI row as ISO text; NULL stays NULL. */
static char *
measure_spi_date(HeapTuple tup, TupleDesc desc, int col)
{
	bool		isnull;
	Datum		d = SPI_getbinval(tup, desc, col, &isnull);

	return isnull ? NULL : credit_date_text(DatumGetDateADT(d));
}

/* Strings in byte order, NULL last. */
static int
strcmp_nulls_last(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return (a == NULL) - (b == NULL);
	return strcmp(a, b);
}

/* qsort comparators: grades by model; listings by list, first day, then unit. */
static int
grade_cmp(const void *a, const void *b)
{
	return strcmp(((const SubjectGrade *) a)->model, ((const SubjectGrade *) b)->model);
}

static int
listing_cmp(const void *a, const void *b)
{
	const SubjectListing *x = (const SubjectListing *) a;
	const SubjectListing *y = (const SubjectListing *) b;
	int			c = strcmp(x->list, y->list);

	if (c == 0)
		c = strcmp_nulls_last(x->listed_on, y->listed_on);
	if (c == 0)
		c = strcmp_nulls_last(x->department, y->department);
	return c;
}

/* The listing flag of a grade row, when the query read it (NULL: not read). */
static void
measure_read_flag(HeapTuple tup, TupleDesc desc, int col, SubjectFacts *sf)
{
	bool		isnull;
	Datum		d = SPI_getbinval(tup, desc, col, &isnull);

	if (isnull)
		return;
	sf->nflags++;
	if (DatumGetBool(d))
		sf->listed = true;
}

/*
 * Whether the subject's listings must be read: a flag of its grade rows says
 * it may be on a list, or it has no grade row to carry one.
 */
static bool
measure_need_listings(const SubjectFacts *sf)
{
	return sf->nflags == 0 || sf->listed;
}

/*
 * The subject (columns 1 to 4 of SUBJECT_QUERY and q_subject_only): its
 * kind by the enum's value from the cache, its USCC and masked ID number by
 * their own C functions, not by casts and calls planned into every call's
 * query.
 */
static void
measure_read_subject_cols(const MeasureCache *c, HeapTuple tup, TupleDesc desc, SubjectFacts *sf)
{
	bool		isnull;
	Datum		d;
	int			k;

	sf->found = true;
	d = SPI_getbinval(tup, desc, 1, &isnull);
	for (k = 0; !isnull && k < c->nkinds; k++)
		if (c->kind_oids[k] == DatumGetObjectId(d))
		{
			sf->kind = c->kinds[k];
			sf->kind_pos = k + 1;
		}
	sf->name = measure_spi_text(tup, desc, 2);
	d = SPI_getbinval(tup, desc, 3, &isnull);
	if (!isnull)
		sf->uscc = DatumGetCString(DirectFunctionCall1(uscc_out, d));
	d = SPI_getbinval(tup, desc, 4, &isnull);
	if (!isnull)
		sf->person_id = TextDatumGetCString(DirectFunctionCall1(resident_id_mask, d));
}

/*
 * A grade: its model, grade, anchor and listing flag in columns col to
 * col + 3 (NULL model: none), its rank from the model cache.
 */
static void
measure_read_grade_cols(HeapTuple tup, TupleDesc desc, int col, SubjectFacts *sf)
{
	SubjectGrade *g = &sf->shown_grades[sf->nshown_grades];

	g->model = measure_spi_text(tup, desc, col);
	if (g->model == NULL)
		return;					/* no grade */
	sf->nshown_grades++;
	measure_read_flag(tup, desc, col + 3, sf);
	g->grade = measure_spi_text(tup, desc, col + 1);
	g->as_of = measure_spi_date(tup, desc, col + 2);
	if (g->grade != NULL)
	{
		EvalModel  *m = credit_model_get(g->model, true);
		int			rank = 0;
		int			j;

		for (j = 0; m != NULL && j < m->ngrades; j++)
			if (strcmp(m->grades[j].grade, g->grade) == 0)
				rank = m->grades[j].rank;
		if (rank > 0)
		{
			SubjectFact *f = measure_add_fact(sf, true);

			f->rank = rank;
			f->key = g->model;
			f->value = g->grade;
		}
	}
}

/* The subject and one of its grades (a row of SUBJECT_QUERY). */
static void
measure_read_subject_row(const MeasureCache *c, HeapTuple tup, TupleDesc desc, SubjectFacts *sf)
{
	if (!sf->found)
		measure_read_subject_cols(c, tup, desc, sf);
	measure_read_grade_cols(tup, desc, 5, sf);
}

/* One listing (columns of q_listings), and the first day on its list. */
static void
measure_read_listing_row(HeapTuple tup, TupleDesc desc, SubjectFacts *sf)
{
	SubjectListing *l = &sf->listings[sf->nlistings++];
	int			j;

	l->list = measure_spi_text(tup, desc, 1);
	l->kind = measure_spi_text(tup, desc, 2);
	l->listed_on = measure_spi_date(tup, desc, 3);
	l->expires_on = measure_spi_date(tup, desc, 4);
	l->department = measure_spi_text(tup, desc, 5);
	if (l->listed_on == NULL)
		return;
	/* the first day on each list (ISO dates compare as text) */
	for (j = 0; j < sf->nlists; j++)
		if (strcmp(sf->lists[j].key, l->list) == 0)
			break;
	if (j == sf->nlists)
	{
		SubjectFact *f = measure_add_fact(sf, false);

		f->rank = 0;
		f->key = l->list;
		f->value = l->listed_on;
	}
	else if (strcmp(l->listed_on, sf->lists[j].value) < 0)
		sf->lists[j].value = l->listed_on;
}

/*
 * Facts of a subject through SPI (connected), with the rights of the
 * current user, added to those read so far; its kind's position from the
 * cache (not enum_range per call).
 */
static void
measure_read_facts(const MeasureCache *c, CreditQuery *q, FactsPart part, int64 subject_id, SubjectFacts *sf)
{
	Datum		args[1];
	uint64		i;
	Size		room;

	args[0] = Int64GetDatum(subject_id);
	credit_query_exec(q, args, NULL, true, SPI_OK_SELECT, "reading the subject's grades and lists");
	room = Max(SPI_processed, 1);
	if (sf->shown_grades == NULL)
	{
		sf->shown_grades = palloc(sizeof(SubjectGrade) * room);
		sf->listings = palloc(sizeof(SubjectListing) * room);
	}
	else
	{
		sf->shown_grades = repalloc(sf->shown_grades, sizeof(SubjectGrade) * (sf->nshown_grades + room));
		sf->listings = repalloc(sf->listings, sizeof(SubjectListing) * (sf->nlistings + room));
	}
	for (i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;

		if (part == FACTS_SUBJECT)
			measure_read_subject_row(c, tup, desc, sf);
		else if (part == FACTS_SUBJECT_ONLY)
			measure_read_subject_cols(c, tup, desc, sf);
		else if (part == FACTS_GRADES)
			measure_read_grade_cols(tup, desc, 1, sf);
		else if (part == FACTS_FLAGS)
			measure_read_flag(tup, desc, 1, sf);
		else
			measure_read_listing_row(tup, desc, sf);
	}
	/* in the order credit.check shows them */
	if (sf->nshown_grades > 1)
		qsort(sf->shown_grades, sf->nshown_grades, sizeof(SubjectGrade), grade_cmp);
	if (sf->nlistings > 1)
		qsort(sf->listings, sf->nlistings, sizeof(SubjectListing), listing_cmp);
}

/*
 * Facts read inside a scope with the rights of another user (the search_path
 * stays pinned; no role can be set in between): credit.check's listings as
 * its caller, measures_for's flags as the owner.
 */
static void
measure_read_facts_as(const MeasureCache *c, Oid user, int sec, CreditQuery *q, FactsPart part,
					  int64 subject_id, SubjectFacts *sf)
{
	Oid			save_user;
	int			save_sec;

	GetUserIdAndSecContext(&save_user, &save_sec);
	SetUserIdAndSecContext(user, sec | SECURITY_LOCAL_USERID_CHANGE);
	measure_read_facts(c, q, part, subject_id, sf);
	SetUserIdAndSecContext(save_user, save_sec);
}

/* Whether a measure is for the subject's kind and the scenario (NULL: any). */
static bool
measure_applies(const MeasureDef *m, const SubjectFacts *sf, const char *scenario)
{
	if (sf->kind_pos < 1 || sf->kind_pos > 32 || (m->kinds_mask & ((uint32) 1 << (sf->kind_pos - 1))) == 0)
		return false;
	return scenario == NULL || m->scenario == NULL || strcmp(scenario, m->scenario) == 0;
}

static ListItemCache *list_item_cache = NULL;

/* The items lists are kept of, reloaded (through SPI) after a change of credit.list. */
static ListItemCache *
list_item_cache_get(void)
{
	ListItemCache *c;
	MemoryContext cxt;
	MemoryContext old;
	CreditScope scope;
	uint64		gen;

	AcceptInvalidationMessages();
	gen = credit_cache_generation(CREDIT_CACHE_MEASURE);
	if (list_item_cache != NULL && list_item_cache->generation == gen)
		return list_item_cache;
	credit_scope_enter_reference(&scope);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	credit_query_exec(&q_list_items, NULL, NULL, true, SPI_OK_SELECT, "reading the items of credit.list");
	/* under the transaction until complete, so an error frees it */
	cxt = AllocSetContextCreate(CurTransactionContext, "credit list item cache", ALLOCSET_SMALL_SIZES);
	old = MemoryContextSwitchTo(cxt);
	c = palloc0(sizeof(ListItemCache));
	c->cxt = cxt;
	c->generation = gen;
	c->n = (int) SPI_processed;
	c->items = measure_spi_column(1);
	MemoryContextSwitchTo(old);
	SPI_finish();
	credit_scope_exit(&scope);
	MemoryContextSetParent(cxt, CacheMemoryContext);
	if (list_item_cache != NULL)
		MemoryContextDelete(list_item_cache->cxt);
	list_item_cache = c;
	return c;
}

/* Whether an item is the catalogue item of some list. */
static bool
measure_list_item(const ListItemCache *c, const char *code, int len)
{
	int			i;

	for (i = 0; i < c->n; i++)
		if (strncmp(c->items[i], code, len) == 0 && c->items[i][len] == '\0')
			return true;
	return false;
}

/*
 * The subjects of the active records of list items among the new rows of a
 * statement on credit.record (n of them, repeated as often as they occur):
 * the record trigger queues them so that their grade rows are flagged
 * (credit.subject_grade.listed) in the fold's lock pass at commit, whether
 * or not grades are folded, and a check never skips a listing.  A subject
 * without grade rows has its listings read anyway; rows inserted later
 * start flagged.
 */
int64 *
credit_listed_record_subjects(TupleDesc desc, Tuplestorestate *ts, int *nout)
{
	ListItemCache *c = list_item_cache_get();
	int			subject_col = SPI_fnumber(desc, "subject_id");
	int			item_col = SPI_fnumber(desc, "item_code");
	int			status_col = SPI_fnumber(desc, "status");
	TupleTableSlot *slot;
	int64	   *subjects = NULL;
	int			n = 0;
	int			cap = 0;

	*nout = 0;
	if (c->n == 0)
		return NULL;
	if (subject_col <= 0 || item_col <= 0 || status_col <= 0)
		elog(ERROR, "credit: credit.record lacks subject_id, item_code or status");
	slot = MakeSingleTupleTableSlot(desc, &TTSOpsMinimalTuple);
	tuplestore_rescan(ts);
	while (tuplestore_gettupleslot(ts, true, false, slot))
	{
		bool		isnull;
		Datum		d;
		text	   *t;

		d = slot_getattr(slot, status_col, &isnull);
		if (isnull)
			continue;
		t = DatumGetTextPP(d);
		if (VARSIZE_ANY_EXHDR(t) != 6 || memcmp(VARDATA_ANY(t), "active", 6) != 0)
			continue;
		d = slot_getattr(slot, item_col, &isnull);
		if (isnull)
			continue;
		t = DatumGetTextPP(d);
		if (!measure_list_item(c, VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t)))
			continue;
		d = slot_getattr(slot, subject_col, &isnull);
		if (isnull)
			continue;
		if (n == cap)
		{
			cap = cap == 0 ? 16 : cap * 2;
			subjects = subjects == NULL ? palloc(sizeof(int64) * cap) : repalloc(subjects, sizeof(int64) * cap);
		}
		subjects[n++] = DatumGetInt64(d);
	}
	ExecDropSingleTupleTableSlot(slot);
	*nout = n;
	return subjects;
}

/*
 * The rows of credit.measures_for for a subject (isnull: none was named) in
 * a scenario (NULL: every scenario), into the call's materialized result.
 */
static void
measures_for_subject(FunctionCallInfo fcinfo, bool isnull, int64 subject_id, text *scenario_arg)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	char	   *scenario = NULL;
	MeasureCache *c;
	SubjectFacts sf;
	int			k;
	CreditScope scope;
	StringInfoData reason;

	if (isnull)
		credit_subject_missing(true, 0);
	if (scenario_arg != NULL)
		scenario = text_to_cstring(scenario_arg);

	c = measure_cache_get();
	if (scenario != NULL)
		(void) measure_scenario(c, scenario);

	memset(&sf, 0, sizeof(sf));
	credit_scope_enter_read(&scope, false);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	/* the facts live in SPI's memory until the rows are out */
	measure_read_facts(c, &q_subject, FACTS_SUBJECT, subject_id, &sf);
	if (!sf.found)
		credit_subject_missing(false, subject_id);
	/* the flags as the owner (derived from every row), the listings as the caller */
	{
		Oid			user;
		int			sec;

		GetUserIdAndSecContext(&user, &sec);
		measure_read_facts_as(c, credit_extension_owner(), sec | SECURITY_NOFORCE_RLS, &q_flags, FACTS_FLAGS,
							  subject_id, &sf);
	}
	if (measure_need_listings(&sf))
		measure_read_facts(c, &q_listings, FACTS_LISTINGS, subject_id, &sf);
	/* the measures of a person are a look-up of that person: logged first */
	if (sf.kind != NULL && strcmp(sf.kind, "individual") == 0)
	{
		StringInfoData detail;

		initStringInfo(&detail);
		appendStringInfoString(&detail, "{\"lookup\": \"measures_for\", \"scenario\": ");
		if (scenario != NULL)
			escape_json(&detail, scenario);
		else
			appendStringInfoString(&detail, "null");
		appendStringInfoChar(&detail, '}');
		(void) credit_audit_log(true, subject_id,
								scenario != NULL ? psprintf("measures for a person: %s", scenario) : "measures for a person",
								detail.data);
	}

	initStringInfo(&reason);
	for (k = 0; k < c->nmeasures; k++)
	{
		const MeasureDef *m = &c->measures[k];
		Datum		values[4];
		bool		nulls[4] = {false, false, false, false};

		if (!measure_applies(m, &sf, scenario))
			continue;
		resetStringInfo(&reason);
		if (!measure_matches(m, sf.grades, sf.ngrades, sf.lists, sf.nlists, &reason))
			continue;
		values[0] = CStringGetTextDatum(m->code);
		values[1] = CStringGetTextDatum(m->name);
		values[2] = CStringGetTextDatum(m->kind);
		values[3] = CStringGetTextDatum(reason.data);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	SPI_finish();
	credit_scope_exit(&scope);
}

PG_FUNCTION_INFO_V1(credit_measures_for);
/*
 * credit.measures_for(subject_id, scenario): the measures whose subject kinds,
 * grade range, lists and scenario fit the subject, with the reason in words.
 */
Datum
credit_measures_for(PG_FUNCTION_ARGS)
{
	InitMaterializedSRF(fcinfo, 0);
	measures_for_subject(fcinfo, PG_ARGISNULL(0), PG_ARGISNULL(0) ? 0 : PG_GETARG_INT64(0),
						 PG_ARGISNULL(1) ? NULL : PG_GETARG_TEXT_PP(1));
	return (Datum) 0;
}

PG_FUNCTION_INFO_V1(credit_measures_for_code);
/*
 * credit.measures_for(code, scenario): credit.measures_for of the subject a
 * code names (credit.subject_by_code, its look-up logged as measures by
 * code), in the same call.
 */
Datum
credit_measures_for_code(PG_FUNCTION_ARGS)
{
	int64		subject_id = 0;

	InitMaterializedSRF(fcinfo, 0);
	if (!PG_ARGISNULL(0))
		subject_id = credit_subject_of_code(PG_GETARG_TEXT_PP(0), "measures by code");
	measures_for_subject(fcinfo, PG_ARGISNULL(0), subject_id, PG_ARGISNULL(1) ? NULL : PG_GETARG_TEXT_PP(1));
	return (Datum) 0;
}

/* ---- credit.check ---- */

/*
 * The answer is built as a tree of JsonbValues and converted in one pass
 * (JsonbValueToJsonb), without pushJsonbValue's state machine and its sort
 * of every object's keys: each object keeps its pairs in the order jsonb
 * stores them (shorter keys first, then bytewise), so the tree converts as
 * it stands.  Keys are constants of this file, never repeated in an object.
 */
typedef struct JbObject
{
	JsonbValue	v;
	int			room;
} JbObject;

static void
jbo_init(JbObject *o, int room)
{
	o->v.type = jbvObject;
	o->v.val.object.nPairs = 0;
	o->v.val.object.pairs = palloc(sizeof(JsonbPair) * room);
	o->room = room;
}

/* The value of a new key, put in its place; fill it before adding the next. */
static JsonbValue *
jbo_add(JbObject *o, const char *key)
{
	JsonbPair  *p = o->v.val.object.pairs;
	int			len = strlen(key);
	int			i = o->v.val.object.nPairs;

	if (i == o->room)
		elog(ERROR, "credit: too many keys in an object of the answer");
	while (i > 0 && (p[i - 1].key.val.string.len > len ||
					 (p[i - 1].key.val.string.len == len &&
					  memcmp(p[i - 1].key.val.string.val, key, len) > 0)))
	{
		p[i] = p[i - 1];
		i--;
	}
	p[i].key.type = jbvString;
	p[i].key.val.string.val = (char *) key;
	p[i].key.val.string.len = len;
	p[i].order = o->v.val.object.nPairs++;
	return &p[i].value;
}

/* A string value (a NULL string is JSON null). */
static void
jb_string(JsonbValue *v, const char *s)
{
	if (s == NULL)
		v->type = jbvNull;
	else
	{
		v->type = jbvString;
		v->val.string.val = (char *) s;
		v->val.string.len = strlen(s);
	}
}

/* A key with a string value; with skip_null, nothing when the value is NULL. */
static void
jbo_string(JbObject *o, const char *key, const char *s, bool skip_null)
{
	if (s == NULL && skip_null)
		return;
	jb_string(jbo_add(o, key), s);
}

/* An array of n elements, to be filled by the caller. */
static JsonbValue *
jb_array(JsonbValue *v, int n)
{
	v->type = jbvArray;
	v->val.array.rawScalar = false;
	v->val.array.nElems = n;
	v->val.array.elems = palloc(sizeof(JsonbValue) * Max(n, 1));
	return v->val.array.elems;
}

/* A matched measure, for the answer. */
typedef struct CheckMeasure
{
	const MeasureDef *m;
	char	   *reason;
} CheckMeasure;

/* The matched measures of one kind as an array value. */
static void
jb_measures(JsonbValue *v, const CheckMeasure *cm, int n, const char *kind)
{
	bool		incentive = strcmp(kind, "incentive") == 0;
	JsonbValue *elems;
	int			count = 0;
	int			i;

	for (i = 0; i < n; i++)
		if (strcmp(cm[i].m->kind, kind) == 0)
			count++;
	elems = jb_array(v, count);
	count = 0;
	for (i = 0; i < n; i++)
	{
		JbObject	o;

		if (strcmp(cm[i].m->kind, kind) != 0)
			continue;
		jbo_init(&o, 5);
		jbo_string(&o, "measure", cm[i].m->code, false);
		jbo_string(&o, "name", cm[i].m->name, false);
		jbo_string(&o, "effect", cm[i].m->effect, false);
		if (incentive)
			jbo_string(&o, "product", cm[i].m->product, true);
		jbo_string(&o, "reason", cm[i].reason, false);
		elems[count++] = o.v;
	}
}

/* Whether some matched measure has this effect. */
static bool
check_has_effect(const CheckMeasure *cm, int n, const char *effect)
{
	int			i;

	for (i = 0; i < n; i++)
		if (strcmp(cm[i].m->effect, effect) == 0)
			return true;
	return false;
}

/*
 * The answer of credit.check for a subject (isnull: none was named) in a
 * scenario (NULL: none was named): see credit_check.
 */
static Jsonb *
check_answer(bool isnull, int64 subject_id, text *scenario_arg)
{
	MemoryContext callercxt = CurrentMemoryContext;
	char	   *scenario;
	MeasureCache *c;
	int			si;
	SubjectFacts sf;
	CheckMeasure *cm;
	int			ncm = 0;
	const char *effect;
	const char *decision;
	StringInfoData reason;
	CreditScope scope;
	JbObject	top;
	JbObject	subject;
	JbObject	scen;
	JsonbValue *elems;
	Jsonb	   *out;
	int			i;
	int			n;

	if (scenario_arg == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a scenario is required for a credit check"),
				 errhint("Scenarios are rows of credit.scenario, e.g. government_procurement.")));
	if (isnull)
		credit_subject_missing(true, 0);
	scenario = text_to_cstring(scenario_arg);

	c = measure_cache_get();
	memset(&sf, 0, sizeof(sf));
	credit_scope_enter_read(&scope, true);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	measure_read_facts(c, &q_subject_only, FACTS_SUBJECT_ONLY, subject_id, &sf);
	if (!sf.found)
		credit_subject_missing(false, subject_id);
	measure_read_facts(c, &q_grades, FACTS_GRADES, subject_id, &sf);
	si = measure_scenario(c, scenario);
	if (measure_need_listings(&sf))
		measure_read_facts_as(c, scope.save_userid, scope.save_sec, &q_listings, FACTS_LISTINGS, subject_id, &sf);

	/* the measures that apply, in the cache's (kind, code) order */
	cm = palloc(sizeof(CheckMeasure) * Max(c->nmeasures, 1));
	initStringInfo(&reason);
	for (i = 0; i < c->nmeasures; i++)
	{
		const MeasureDef *m = &c->measures[i];

		if (!measure_applies(m, &sf, scenario))
			continue;
		resetStringInfo(&reason);
		if (!measure_matches(m, sf.grades, sf.ngrades, sf.lists, sf.nlists, &reason))
			continue;
		cm[ncm].m = m;
		cm[ncm].reason = pstrdup(reason.data);
		ncm++;
	}
	/* the strongest effect decides; a punishment outweighs any incentive */
	effect = check_has_effect(cm, ncm, "bar") ? "bar"
		: check_has_effect(cm, ncm, "restriction") ? "restriction"
		: check_has_effect(cm, ncm, "priority") ? "priority" : NULL;
	decision = effect == NULL ? "normal"
		: strcmp(effect, "bar") == 0 ? "barred"
		: strcmp(effect, "restriction") == 0 ? "restricted" : "priority";

	/* a person's check is logged before anything is answered */
	if (sf.kind != NULL && strcmp(sf.kind, "individual") == 0)
	{
		StringInfoData detail;

		initStringInfo(&detail);
		appendStringInfoString(&detail, "{\"lookup\": \"check\", \"scenario\": ");
		escape_json(&detail, scenario);
		appendStringInfo(&detail, ", \"decision\": \"%s\"}", decision);
		(void) credit_audit_log(true, subject_id, psprintf("credit check: %s", scenario), detail.data);
	}

	MemoryContextSwitchTo(callercxt);
	jbo_init(&subject, 5);
	{
		JsonbValue *v = jbo_add(&subject, "id");

		v->type = jbvNumeric;
		v->val.numeric = int64_to_numeric(subject_id);
	}
	jbo_string(&subject, "kind", sf.kind, true);
	jbo_string(&subject, "name", sf.name, true);
	jbo_string(&subject, "uscc", sf.uscc, true);
	jbo_string(&subject, "person_id", sf.person_id, true);

	jbo_init(&scen, 2);
	jbo_string(&scen, "code", c->scenarios[si], false);
	jbo_string(&scen, "name", c->scenario_names[si], false);

	jbo_init(&top, 10);
	*jbo_add(&top, "subject") = subject.v;
	*jbo_add(&top, "scenario") = scen.v;
	jbo_string(&top, "checked_on", credit_date_text(GetSQLCurrentDate()), false);

	elems = jb_array(jbo_add(&top, "grades"), sf.nshown_grades);
	for (i = 0; i < sf.nshown_grades; i++)
	{
		JbObject	o;

		jbo_init(&o, 3);
		jbo_string(&o, "model", sf.shown_grades[i].model, false);
		jbo_string(&o, "grade", sf.shown_grades[i].grade, false);
		jbo_string(&o, "as_of", sf.shown_grades[i].as_of, false);
		elems[i] = o.v;
	}

	elems = jb_array(jbo_add(&top, "lists"), sf.nlistings);
	for (i = 0; i < sf.nlistings; i++)
	{
		JbObject	o;

		jbo_init(&o, 5);
		jbo_string(&o, "list", sf.listings[i].list, false);
		jbo_string(&o, "kind", sf.listings[i].kind, false);
		jbo_string(&o, "listed_on", sf.listings[i].listed_on, false);
		jbo_string(&o, "expires_on", sf.listings[i].expires_on, false);
		jbo_string(&o, "department", sf.listings[i].department, true);
		elems[i] = o.v;
	}

	jb_measures(jbo_add(&top, "incentives"), cm, ncm, "incentive");
	jb_measures(jbo_add(&top, "punishments"), cm, ncm, "punishment");
	jbo_string(&top, "decision", decision, false);
	n = 0;
	for (i = 0; i < ncm && effect != NULL; i++)
		if (strcmp(cm[i].m->effect, effect) == 0)
			n++;
	elems = jb_array(jbo_add(&top, "decided_by"), n);
	n = 0;
	for (i = 0; i < ncm && effect != NULL; i++)
		if (strcmp(cm[i].m->effect, effect) == 0)
			jb_string(&elems[n++], cm[i].m->code);
	out = JsonbValueToJsonb(&top.v);

	SPI_finish();
	credit_scope_exit(&scope);
	return out;
}

PG_FUNCTION_INFO_V1(credit_check);
/*
 * credit.check(subject_id, scenario) → jsonb: what an approval system asks —
 * the subject (ID number masked), its current grades and lists, the
 * incentives and punishments that apply in the scenario, and the decision
 * (barred, restricted, priority or normal).  The subject and its grades
 * are read with the owner's rights, its listings with the caller's; a check
 * of an individual is logged (credit.log_lookup) before the answer is
 * returned.
 */
Datum
credit_check(PG_FUNCTION_ARGS)
{
	PG_RETURN_JSONB_P(check_answer(PG_ARGISNULL(0), PG_ARGISNULL(0) ? 0 : PG_GETARG_INT64(0),
								   PG_ARGISNULL(1) ? NULL : PG_GETARG_TEXT_PP(1)));
}

PG_FUNCTION_INFO_V1(credit_check_code);
/*
 * credit.check(code, scenario) → jsonb: credit.check of the subject a code
 * names (credit.subject_by_code, its look-up logged as a credit check by
 * code), in the same call.
 */
Datum
credit_check_code(PG_FUNCTION_ARGS)
{
	text	   *scenario = PG_ARGISNULL(1) ? NULL : PG_GETARG_TEXT_PP(1);
	int64		subject_id = 0;

	if (!PG_ARGISNULL(0))
		subject_id = credit_subject_of_code(PG_GETARG_TEXT_PP(0),
											psprintf("credit check by code: %s",
													 scenario != NULL ? text_to_cstring(scenario) : ""));
	PG_RETURN_JSONB_P(check_answer(PG_ARGISNULL(0), subject_id, scenario));
}
