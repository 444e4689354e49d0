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
 * one saved query through SPI, with the caller's rights, so row-level
 * security applies; the tables may be partitioned or distributed.
 *
 * A subject is on a list while it has an active entry on it, or an active
 * credit record of the list's catalogue item (credit.list.item_code): lists
 * are also collected as records (a department's feed of its list), and the
 * evaluation models count those records (the one-vote veto), so a measure
 * must see them too.
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/stratnum.h"
#include "access/table.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "miscadmin.h"
#include "executor/spi.h"
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
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/rls.h"
#include "utils/snapmgr.h"

#include "cache.h"
#include "credit.h"
#include "util.h"


/* One row of credit.measure, as matching needs it. */
typedef struct MeasureDef
{
    char       *code;
    char       *name;
    char       *kind;           /* 'incentive' or 'punishment' */
    char       *scenario;       /* NULL: every scenario */
    uint32      kinds_mask;     /* bit (n - 1) for the n-th label of credit.subject_kind */
    char       *model;          /* NULL: no grade condition */
    char       *best_grade;     /* NULL: open end */
    char       *worst_grade;
    int32       best_rank;      /* 0 when best_grade is NULL */
    int32       worst_rank;     /* PG_INT32_MAX when worst_grade is NULL */
    int         nlists;
    char      **lists;
} MeasureDef;

typedef struct MeasureCache
{
    MemoryContext cxt;
    uint64      generation;
    int         nmeasures;
    MeasureDef *measures;
    int         nscenarios;
    char      **scenarios;
} MeasureCache;

/* One current grade or active list of the subject being matched. */
typedef struct SubjectFact
{
    char       *key;            /* model or list code */
    char       *value;          /* grade, or first listed_on of the list */
    int32       rank;
} SubjectFact;

static MeasureCache *measure_cache = NULL;

/* Text column of the current SPI row copied into the current context; NULL stays NULL. */
static char *
measure_spi_text(HeapTuple tup, TupleDesc desc, int col)
{
    bool        isnull;
    Datum       d = SPI_getbinval(tup, desc, col, &isnull);

    return isnull ? NULL : TextDatumGetCString(d);
}

/* The queries the cache is loaded with. */
static CreditQuery q_measures = {
    "SELECT m.code, m.name, m.kind, m.scenario, "
    "       (SELECT pg_catalog.bit_or(1 OPERATOR(pg_catalog.<<) (pg_catalog.array_position("
    "                   pg_catalog.enum_range(NULL::credit.subject_kind), k) OPERATOR(pg_catalog.-) 1))"
    "          FROM pg_catalog.unnest(m.subject_kinds) k)::pg_catalog.int4, "
    "       m.model, m.best_grade, m.worst_grade, "
    "       COALESCE(b.rank, 0), COALESCE(w.rank, 2147483647), m.list_codes "
    "  FROM credit.measure m "
    "  LEFT JOIN credit.model_grade b ON b.model OPERATOR(pg_catalog.=) m.model "
    "                                AND b.grade OPERATOR(pg_catalog.=) m.best_grade "
    "  LEFT JOIN credit.model_grade w ON w.model OPERATOR(pg_catalog.=) m.model "
    "                                AND w.grade OPERATOR(pg_catalog.=) m.worst_grade "
    " ORDER BY m.kind COLLATE pg_catalog.\"C\", m.code COLLATE pg_catalog.\"C\"",
    0, {0}
};
static CreditQuery q_scenarios = {
    "SELECT s.code FROM credit.scenario s ORDER BY s.code COLLATE pg_catalog.\"C\"", 0, {0}
};

/* Read the measures, scenarios, grade ranks and subject kinds through SPI (connected by the caller) into a new cache. */
static MeasureCache *
measure_cache_load(void)
{
    MemoryContext cxt;
    MemoryContext old;
    MeasureCache *c;
    uint64      gen = credit_cache_generation(CREDIT_CACHE_MEASURE);
    uint64      i;

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
        HeapTuple   tup = SPI_tuptable->vals[i];
        TupleDesc   desc = SPI_tuptable->tupdesc;
        MeasureDef *m = &c->measures[i];
        bool        isnull;
        Datum       d;

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
            Datum      *elems;
            bool       *nulls;
            int         n;
            int         j;

            deconstruct_array(arr, TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, &n);
            m->lists = palloc0(sizeof(char *) * Max(n, 1));
            for (j = 0; j < n; j++)
                if (!nulls[j])
                    m->lists[m->nlists++] = TextDatumGetCString(elems[j]);
        }
    }
    MemoryContextSwitchTo(old);

    credit_query_exec(&q_scenarios, NULL, NULL, true, SPI_OK_SELECT, "reading credit.scenario");
    old = MemoryContextSwitchTo(cxt);
    c->nscenarios = (int) SPI_processed;
    c->scenarios = palloc0(sizeof(char *) * Max(c->nscenarios, 1));
    for (i = 0; i < SPI_processed; i++)
        c->scenarios[i] = measure_spi_text(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1);
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
    credit_scope_enter(&scope, true);
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

/* Whether the scenario code is a row of credit.scenario (binary search of the sorted codes). */
static bool
measure_scenario_known(const MeasureCache *c, const char *code)
{
    int         lo = 0;
    int         hi = c->nscenarios - 1;

    while (lo <= hi)
    {
        int         mid = (lo + hi) / 2;
        int         cmp = strcmp(c->scenarios[mid], code);

        if (cmp == 0)
            return true;
        if (cmp < 0)
            lo = mid + 1;
        else
            hi = mid - 1;
    }
    return false;
}

/* The subject's fact (grade under a model, or list entry) with this key, or NULL. */
static const SubjectFact *
measure_find_fact(const SubjectFact *facts, int n, const char *key)
{
    int         i;

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
    int         start = reason->len;
    int         nmatched = 0;
    int         j;

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

/* What a call knows of the subject being matched. */
typedef struct SubjectFacts
{
    bool        found;
    int         kind_pos;       /* 1-based position of its kind in enum_range; 0 unknown */
    int         ngrades;
    int         nlists;
    int         capacity;
    SubjectFact *grades;
    SubjectFact *lists;
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
 * The subject's kind (its position in credit.subject_kind), current grades
 * with their ranks, and the lists it is on today (credit.subject_listings)
 * with the first day of each.
 */
static CreditQuery q_facts = {
    "SELECT 0, pg_catalog.array_position(pg_catalog.enum_range(NULL::credit.subject_kind), s.kind)::pg_catalog.int4, "
    "       NULL::pg_catalog.text, NULL::pg_catalog.text "
    "  FROM credit.subject s WHERE s.id OPERATOR(pg_catalog.=) $1 "
    "UNION ALL "
    "SELECT 1, mg.rank, g.model, g.grade "
    "  FROM credit.subject_grade g "
    "  JOIN credit.model_grade mg ON mg.model OPERATOR(pg_catalog.=) g.model "
    "                            AND mg.grade OPERATOR(pg_catalog.=) g.grade "
    " WHERE g.subject_id OPERATOR(pg_catalog.=) $1 "
    "UNION ALL "
    "SELECT 2, NULL::pg_catalog.int4, x.list_code, credit.iso_date(pg_catalog.min(x.listed_on)) "
    "  FROM credit.subject_listings($1) x "
    " GROUP BY x.list_code",
    1, {INT8OID}
};

/* The facts of a subject through SPI (connected), with the caller's rights (row-level security applies). */
static void
measure_read_facts(int64 subject_id, SubjectFacts *sf)
{
    Datum       args[1];
    uint64      i;

    args[0] = Int64GetDatum(subject_id);
    credit_query_exec(&q_facts, args, NULL, true, SPI_OK_SELECT, "reading the subject's grades and lists");

    for (i = 0; i < SPI_processed; i++)
    {
        HeapTuple   tup = SPI_tuptable->vals[i];
        TupleDesc   desc = SPI_tuptable->tupdesc;
        bool        isnull;
        int32       part = DatumGetInt32(SPI_getbinval(tup, desc, 1, &isnull));
        Datum       n = SPI_getbinval(tup, desc, 2, &isnull);
        SubjectFact *f;

        if (part == 0)
        {
            sf->found = true;
            sf->kind_pos = isnull ? 0 : DatumGetInt32(n);
            continue;
        }
        f = measure_add_fact(sf, part == 1);
        f->rank = isnull ? 0 : DatumGetInt32(n);
        f->key = measure_spi_text(tup, desc, 3);
        f->value = measure_spi_text(tup, desc, 4);
    }
}

PG_FUNCTION_INFO_V1(credit_measures_for);
/*
 * credit.measures_for(subject_id, scenario): the measures whose subject kinds,
 * grade range, lists and scenario fit the subject, with the reason in words.
 */
Datum
credit_measures_for(PG_FUNCTION_ARGS)
{
    ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
    int64       subject_id;
    char       *scenario = NULL;
    MeasureCache *c;
    SubjectFacts sf;
    int         k;
    CreditScope scope;
    StringInfoData reason;

    InitMaterializedSRF(fcinfo, 0);
    if (PG_ARGISNULL(0))
        return (Datum) 0;       /* no subject, no measures */
    subject_id = PG_GETARG_INT64(0);
    if (!PG_ARGISNULL(1))
        scenario = text_to_cstring(PG_GETARG_TEXT_PP(1));

    c = measure_cache_get();
    if (scenario != NULL && !measure_scenario_known(c, scenario))
        ereport(ERROR,
                (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                 errmsg("scenario \"%s\" does not exist", scenario),
                 errhint("Scenarios are rows of credit.scenario.")));

    memset(&sf, 0, sizeof(sf));
    credit_scope_enter(&scope, false);
    if (SPI_connect() != SPI_OK_CONNECT)
        elog(ERROR, "SPI_connect failed");
    /* the facts live in SPI's memory until the rows are out */
    measure_read_facts(subject_id, &sf);
    if (!sf.found)
        ereport(ERROR,
                (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                 errmsg("subject " INT64_FORMAT " does not exist", subject_id)));

    initStringInfo(&reason);
    for (k = 0; k < c->nmeasures; k++)
    {
        const MeasureDef *m = &c->measures[k];
        Datum       values[4];
        bool        nulls[4] = {false, false, false, false};

        if (sf.kind_pos < 1 || sf.kind_pos > 32 || (m->kinds_mask & ((uint32) 1 << (sf.kind_pos - 1))) == 0)
            continue;
        if (scenario != NULL && m->scenario != NULL && strcmp(scenario, m->scenario) != 0)
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
    return (Datum) 0;
}
