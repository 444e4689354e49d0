/*
 * measure.c
 *      Joint rewards and punishments (联合奖惩): matching a subject to the
 *      measures of credit.measure by its current grades, its active list
 *      entries, its kind and the scenario.
 *
 * The measures (with their grade ranges turned into model_grade ranks) and
 * the scenario codes are cached per backend in their own memory context.  A
 * relcache invalidation of credit.measure, credit.scenario or
 * credit.model_grade (sent by the statement triggers credit.measure_changed
 * and credit.model_changed, so every backend receives it at commit) marks the
 * cache stale; the next call reloads it.  A call reads the subject's kind,
 * current grades, active list entries and active credit records of list
 * items straight from the primary keys of credit.subject and
 * credit.subject_grade and the subject indexes of credit.list_entry and
 * credit.record (after the same privilege checks a query makes), or with one
 * saved query through SPI when row-level security applies to one of them.
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

#include "credit.h"
#include "util.h"

#define MEASURE_TABLES 4

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

/* Rank of a grade of a model (credit.model_grade). */
typedef struct MeasureGrade
{
    char       *model;
    char       *grade;
    int32       rank;
} MeasureGrade;

typedef struct MeasureCache
{
    MemoryContext cxt;
    uint64      generation;
    int         nmeasures;
    MeasureDef *measures;
    int         nlistitems;     /* lists with a catalogue item */
    char      **listitem_list;  /* list code */
    char      **listitem_item;  /* its item code */
    int         nscenarios;
    char      **scenarios;
    int         ngrades;
    MeasureGrade *grades;
    int         nkinds;
    Oid        *kinds;          /* labels of credit.subject_kind in sort order */
} MeasureCache;

/* The relations a call reads the subject from, and the columns it reads. */
typedef struct MeasureRels
{
    Oid         subject;
    Oid         subject_pkey;
    Oid         subject_grade;
    Oid         subject_grade_pkey;
    Oid         list_entry;
    Oid         list_entry_subject_idx;
    AttrNumber  subject_id;
    AttrNumber  subject_kind;
    AttrNumber  grade_subject;
    AttrNumber  grade_model;
    AttrNumber  grade_grade;
    AttrNumber  entry_subject;
    AttrNumber  entry_list;
    AttrNumber  entry_listed_on;
    AttrNumber  entry_expires_on;
    AttrNumber  entry_removed_on;
    Oid         record;
    Oid         record_subject_idx;
    AttrNumber  rec_subject;
    AttrNumber  rec_item;
    AttrNumber  rec_decided_on;
    AttrNumber  rec_status;
} MeasureRels;

/* One current grade or active list of the subject being matched. */
typedef struct SubjectFact
{
    char       *key;            /* model or list code */
    char       *value;          /* grade, or first listed_on of the list */
    int32       rank;
} SubjectFact;

static MeasureCache *measure_cache = NULL;
static uint64 measure_generation = 1;
static Oid  measure_table_oid[MEASURE_TABLES];
static bool measure_oids_known = false;
static MeasureRels measure_rels;
static bool measure_rels_known = false;
static SPIPlanPtr subject_plan = NULL;

/* A change of the measure, scenario or grade tables (or a full reset) makes the cache stale. */
static void
measure_relcache_callback(Datum arg, Oid relid)
{
    int         i;

    if (!OidIsValid(relid) || !measure_oids_known)
    {
        measure_generation++;
        measure_oids_known = false;
        measure_rels_known = false;
        return;
    }
    /* a data relation changed its definition (or was dropped): look its OIDs up again */
    if (measure_rels_known &&
        (relid == measure_rels.subject || relid == measure_rels.subject_pkey ||
         relid == measure_rels.subject_grade || relid == measure_rels.subject_grade_pkey ||
         relid == measure_rels.list_entry || relid == measure_rels.list_entry_subject_idx ||
         relid == measure_rels.record || relid == measure_rels.record_subject_idx))
        measure_rels_known = false;
    for (i = 0; i < MEASURE_TABLES; i++)
        if (measure_table_oid[i] == relid)
        {
            measure_generation++;
            measure_oids_known = false; /* the table may have been dropped: look again */
            return;
        }
}

/* Register the invalidation callback (from _PG_init). */
void
credit_measure_init(void)
{
    CacheRegisterRelcacheCallback(measure_relcache_callback, (Datum) 0);
}

/* Remember the OIDs of the tables the cache is built from. */
static void
measure_learn_oids(void)
{
    static const char *const names[MEASURE_TABLES] = {"measure", "scenario", "model_grade", "list"};
    Oid         nsp = get_namespace_oid("credit", true);
    int         i;

    if (!OidIsValid(nsp))
        return;
    for (i = 0; i < MEASURE_TABLES; i++)
        measure_table_oid[i] = get_relname_relid(names[i], nsp);
    measure_oids_known = true;
}

/* An attribute number by name, or an error naming the missing column. */
static AttrNumber
measure_attnum(Oid relid, const char *name)
{
    AttrNumber  a = get_attnum(relid, name);

    if (a == InvalidAttrNumber)
        elog(ERROR, "column \"%s\" of %s is missing", name, get_rel_name(relid));
    return a;
}

/* Look up the relations and columns the subject is read from. */
static void
measure_learn_rels(void)
{
    Oid         nsp = get_namespace_oid("credit", false);
    MeasureRels r;

    r.subject = get_relname_relid("subject", nsp);
    r.subject_pkey = get_relname_relid("subject_pkey", nsp);
    r.subject_grade = get_relname_relid("subject_grade", nsp);
    r.subject_grade_pkey = get_relname_relid("subject_grade_pkey", nsp);
    r.list_entry = get_relname_relid("list_entry", nsp);
    r.list_entry_subject_idx = get_relname_relid("list_entry_subject_idx", nsp);
    r.record = get_relname_relid("record", nsp);
    r.record_subject_idx = get_relname_relid("record_subject_idx", nsp);
    if (!OidIsValid(r.subject) || !OidIsValid(r.subject_pkey) || !OidIsValid(r.subject_grade) ||
        !OidIsValid(r.subject_grade_pkey) || !OidIsValid(r.list_entry) || !OidIsValid(r.list_entry_subject_idx) ||
        !OidIsValid(r.record) || !OidIsValid(r.record_subject_idx))
        elog(ERROR, "a relation of the credit schema is missing");
    r.subject_id = measure_attnum(r.subject, "id");
    r.subject_kind = measure_attnum(r.subject, "kind");
    r.grade_subject = measure_attnum(r.subject_grade, "subject_id");
    r.grade_model = measure_attnum(r.subject_grade, "model");
    r.grade_grade = measure_attnum(r.subject_grade, "grade");
    r.entry_subject = measure_attnum(r.list_entry, "subject_id");
    r.entry_list = measure_attnum(r.list_entry, "list_code");
    r.entry_listed_on = measure_attnum(r.list_entry, "listed_on");
    r.entry_expires_on = measure_attnum(r.list_entry, "expires_on");
    r.entry_removed_on = measure_attnum(r.list_entry, "removed_on");
    r.rec_subject = measure_attnum(r.record, "subject_id");
    r.rec_item = measure_attnum(r.record, "item_code");
    r.rec_decided_on = measure_attnum(r.record, "decided_on");
    r.rec_status = measure_attnum(r.record, "status");
    measure_rels = r;
    measure_rels_known = true;
}

/* Text column of the current SPI row copied into the current context; NULL stays NULL. */
static char *
measure_spi_text(HeapTuple tup, TupleDesc desc, int col)
{
    bool        isnull;
    Datum       d = SPI_getbinval(tup, desc, col, &isnull);

    return isnull ? NULL : TextDatumGetCString(d);
}

/* Read the measures, scenarios, grade ranks and subject kinds through SPI (connected by the caller) into a new cache. */
static MeasureCache *
measure_cache_load(void)
{
    MemoryContext cxt;
    MemoryContext old;
    MeasureCache *c;
    uint64      gen = measure_generation;
    uint64      i;
    int         ret;

    ret = SPI_execute("SELECT m.code, m.name, m.kind, m.scenario, "
                      "       (SELECT pg_catalog.bit_or(1 << (pg_catalog.array_position("
                      "                   pg_catalog.enum_range(NULL::credit.subject_kind), k) - 1))"
                      "          FROM pg_catalog.unnest(m.subject_kinds) k)::int4, "
                      "       m.model, m.best_grade, m.worst_grade, "
                      "       coalesce(b.rank, 0), coalesce(w.rank, 2147483647), m.list_codes "
                      "  FROM credit.measure m "
                      "  LEFT JOIN credit.model_grade b ON b.model = m.model AND b.grade = m.best_grade "
                      "  LEFT JOIN credit.model_grade w ON w.model = m.model AND w.grade = m.worst_grade "
                      " ORDER BY m.kind COLLATE \"C\", m.code COLLATE \"C\"",
                      true, 0);
    if (ret != SPI_OK_SELECT)
        elog(ERROR, "reading credit.measure failed: %s", SPI_result_code_string(ret));

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

    ret = SPI_execute("SELECT code FROM credit.scenario ORDER BY code COLLATE \"C\"", true, 0);
    if (ret != SPI_OK_SELECT)
        elog(ERROR, "reading credit.scenario failed: %s", SPI_result_code_string(ret));
    old = MemoryContextSwitchTo(cxt);
    c->nscenarios = (int) SPI_processed;
    c->scenarios = palloc0(sizeof(char *) * Max(c->nscenarios, 1));
    for (i = 0; i < SPI_processed; i++)
        c->scenarios[i] = measure_spi_text(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1);
    MemoryContextSwitchTo(old);

    /* grade ranks of every model, to rank a subject's current grades */
    ret = SPI_execute("SELECT model, grade, rank FROM credit.model_grade", true, 0);
    if (ret != SPI_OK_SELECT)
        elog(ERROR, "reading credit.model_grade failed: %s", SPI_result_code_string(ret));
    old = MemoryContextSwitchTo(cxt);
    c->ngrades = (int) SPI_processed;
    c->grades = palloc0(sizeof(MeasureGrade) * Max(c->ngrades, 1));
    for (i = 0; i < SPI_processed; i++)
    {
        bool        isnull;

        c->grades[i].model = measure_spi_text(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1);
        c->grades[i].grade = measure_spi_text(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 2);
        c->grades[i].rank = DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 3, &isnull));
    }
    MemoryContextSwitchTo(old);

    /* the kinds of subject in the order of enum_range (the bits of kinds_mask) */
    ret = SPI_execute("SELECT oid FROM pg_catalog.pg_enum "
                      " WHERE enumtypid = 'credit.subject_kind'::pg_catalog.regtype ORDER BY enumsortorder",
                      true, 0);
    if (ret != SPI_OK_SELECT)
        elog(ERROR, "reading credit.subject_kind failed: %s", SPI_result_code_string(ret));
    old = MemoryContextSwitchTo(cxt);
    c->nkinds = (int) SPI_processed;
    c->kinds = palloc0(sizeof(Oid) * Max(c->nkinds, 1));
    for (i = 0; i < SPI_processed; i++)
    {
        bool        isnull;

        c->kinds[i] = DatumGetObjectId(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1, &isnull));
    }
    MemoryContextSwitchTo(old);

    /* the lists whose catalogue item makes a record a listing */
    ret = SPI_execute("SELECT code, item_code FROM credit.list WHERE item_code IS NOT NULL "
                      " ORDER BY code COLLATE \"C\"", true, 0);
    if (ret != SPI_OK_SELECT)
        elog(ERROR, "reading credit.list failed: %s", SPI_result_code_string(ret));
    old = MemoryContextSwitchTo(cxt);
    c->nlistitems = (int) SPI_processed;
    c->listitem_list = palloc0(sizeof(char *) * Max(c->nlistitems, 1));
    c->listitem_item = palloc0(sizeof(char *) * Max(c->nlistitems, 1));
    for (i = 0; i < SPI_processed; i++)
    {
        c->listitem_list[i] = measure_spi_text(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1);
        c->listitem_item[i] = measure_spi_text(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 2);
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
    int         ret;

    if (!measure_oids_known)
        measure_learn_oids();
    /* see committed changes even when the tables are already locked */
    AcceptInvalidationMessages();
    if (measure_cache != NULL && measure_cache->generation == measure_generation)
        return measure_cache;
    if ((ret = SPI_connect()) != SPI_OK_CONNECT)
        elog(ERROR, "SPI_connect failed: %s", SPI_result_code_string(ret));
    c = measure_cache_load();
    SPI_finish();
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
 * The subject is on a list since a day: a new list fact, or an earlier first
 * day for a list already noted (rank holds the first day as a DateADT until
 * the facts are complete).
 */
static void
measure_note_list(SubjectFacts *sf, char *list, DateADT since)
{
    int         i;

    for (i = 0; i < sf->nlists; i++)
        if (strcmp(sf->lists[i].key, list) == 0)
        {
            if (since < (DateADT) sf->lists[i].rank)
                sf->lists[i].rank = (int32) since;
            return;
        }
    measure_add_fact(sf, false)->key = list;
    sf->lists[sf->nlists - 1].rank = (int32) since;
}

/* Rank of a grade under a model in the cached credit.model_grade; 0 when it is none of its grades. */
static int32
measure_grade_rank(const MeasureCache *c, const char *model, const char *grade)
{
    int         i;

    for (i = 0; i < c->ngrades; i++)
        if (strcmp(c->grades[i].grade, grade) == 0 && strcmp(c->grades[i].model, model) == 0)
            return c->grades[i].rank;
    return 0;
}

/* Permission to read the columns of a relation, as a query would check it (42501 otherwise). */
static void
measure_require_select(Oid relid, const AttrNumber *cols, int ncols)
{
    Oid         user = GetUserId();
    int         i;

    if (pg_class_aclcheck(relid, user, ACL_SELECT) == ACLCHECK_OK)
        return;
    for (i = 0; i < ncols; i++)
        if (pg_attribute_aclcheck(relid, cols[i], user, ACL_SELECT) != ACLCHECK_OK)
            aclcheck_error(ACLCHECK_NO_PRIV, OBJECT_TABLE, get_rel_name(relid));
}

/* Open a scan of the rows of a relation whose indexed column col equals the bigint id. */
static SysScanDesc
measure_scan(Relation rel, Oid index, AttrNumber col, int64 id, ScanKeyData *key)
{
    ScanKeyInit(key, col, BTEqualStrategyNumber, F_INT8EQ, Int64GetDatum(id));
    return systable_beginscan(rel, index, true, GetActiveSnapshot(), 1, key);
}

/*
 * The subject's kind, current grades (ranked) and active lists (with the first
 * day listed), read through the primary keys and the subject index of the
 * list entries under the statement's snapshot.
 */
static void
measure_read_direct(const MeasureCache *c, int64 subject_id, SubjectFacts *sf)
{
    MeasureRels *r = &measure_rels;
    AttrNumber  scols[2] = {r->subject_id, r->subject_kind};
    AttrNumber  gcols[3] = {r->grade_subject, r->grade_model, r->grade_grade};
    AttrNumber  ecols[5] = {r->entry_subject, r->entry_list, r->entry_listed_on,
                            r->entry_expires_on, r->entry_removed_on};
    AttrNumber  rcols[4] = {r->rec_subject, r->rec_item, r->rec_decided_on, r->rec_status};
    DateADT     today = GetSQLCurrentDate();
    Relation    rel;
    SysScanDesc scan;
    ScanKeyData key;
    HeapTuple   tup;
    int         k;

    measure_require_select(r->subject, scols, 2);
    measure_require_select(r->subject_grade, gcols, 3);
    measure_require_select(r->list_entry, ecols, 5);
    measure_require_select(r->record, rcols, 4);

    rel = table_open(r->subject, AccessShareLock);
    scan = measure_scan(rel, r->subject_pkey, r->subject_id, subject_id, &key);
    if ((tup = systable_getnext(scan)) != NULL)
    {
        bool        isnull;
        Oid         kind = DatumGetObjectId(heap_getattr(tup, r->subject_kind, RelationGetDescr(rel), &isnull));

        sf->found = true;
        for (k = 0; k < c->nkinds; k++)
            if (c->kinds[k] == kind)
                sf->kind_pos = k + 1;
    }
    systable_endscan(scan);
    table_close(rel, AccessShareLock);
    if (!sf->found)
        return;

    rel = table_open(r->subject_grade, AccessShareLock);
    scan = measure_scan(rel, r->subject_grade_pkey, r->grade_subject, subject_id, &key);
    while ((tup = systable_getnext(scan)) != NULL)
    {
        TupleDesc   desc = RelationGetDescr(rel);
        bool        isnull;
        Datum       model = heap_getattr(tup, r->grade_model, desc, &isnull);
        Datum       grade = heap_getattr(tup, r->grade_grade, desc, &isnull);
        char       *m;
        char       *g;
        int32       rank;
        SubjectFact *f;

        if (isnull)
            continue;           /* a model without grades */
        m = TextDatumGetCString(model);
        g = TextDatumGetCString(grade);
        if ((rank = measure_grade_rank(c, m, g)) == 0)
            continue;
        f = measure_add_fact(sf, true);
        f->key = m;
        f->value = g;
        f->rank = rank;
    }
    systable_endscan(scan);
    table_close(rel, AccessShareLock);

    rel = table_open(r->list_entry, AccessShareLock);
    scan = measure_scan(rel, r->list_entry_subject_idx, r->entry_subject, subject_id, &key);
    while ((tup = systable_getnext(scan)) != NULL)
    {
        TupleDesc   desc = RelationGetDescr(rel);
        bool        isnull;
        DateADT     listed;
        Datum       d;

        heap_getattr(tup, r->entry_removed_on, desc, &isnull);
        if (!isnull)
            continue;
        listed = DatumGetDateADT(heap_getattr(tup, r->entry_listed_on, desc, &isnull));
        if (isnull || listed > today)
            continue;
        d = heap_getattr(tup, r->entry_expires_on, desc, &isnull);
        if (!isnull && DatumGetDateADT(d) < today)
            continue;
        measure_note_list(sf, TextDatumGetCString(heap_getattr(tup, r->entry_list, desc, &isnull)), listed);
    }
    systable_endscan(scan);
    table_close(rel, AccessShareLock);

    /* active credit records of list items, dated today at the latest */
    if (c->nlistitems > 0)
    {
        rel = table_open(r->record, AccessShareLock);
        scan = measure_scan(rel, r->record_subject_idx, r->rec_subject, subject_id, &key);
        while ((tup = systable_getnext(scan)) != NULL)
        {
            TupleDesc   desc = RelationGetDescr(rel);
            bool        isnull;
            text       *status;
            text       *item;
            DateADT     decided;
            int         i;

            status = DatumGetTextPP(heap_getattr(tup, r->rec_status, desc, &isnull));
            if (isnull || VARSIZE_ANY_EXHDR(status) != 6 || memcmp(VARDATA_ANY(status), "active", 6) != 0)
                continue;
            decided = DatumGetDateADT(heap_getattr(tup, r->rec_decided_on, desc, &isnull));
            if (isnull || decided > today)
                continue;
            item = DatumGetTextPP(heap_getattr(tup, r->rec_item, desc, &isnull));
            if (isnull)
                continue;
            for (i = 0; i < c->nlistitems; i++)
                if (strlen(c->listitem_item[i]) == VARSIZE_ANY_EXHDR(item) &&
                    memcmp(c->listitem_item[i], VARDATA_ANY(item), VARSIZE_ANY_EXHDR(item)) == 0)
                    measure_note_list(sf, pstrdup(c->listitem_list[i]), decided);
        }
        systable_endscan(scan);
        table_close(rel, AccessShareLock);
    }

    for (k = 0; k < sf->nlists; k++)
        sf->lists[k].value = credit_date_text((DateADT) sf->lists[k].rank);
}

/* The same facts through SPI (connected), so that row-level security policies apply. */
static void
measure_read_spi(int64 subject_id, SubjectFacts *sf)
{
    Oid         argtypes[1] = {INT8OID};
    Datum       args[1];
    int         ret;
    uint64      i;

    if (subject_plan == NULL)
    {
        SPIPlanPtr  plan = SPI_prepare(
            "SELECT 0, pg_catalog.array_position(pg_catalog.enum_range(NULL::credit.subject_kind), s.kind)::int4, "
            "       NULL::text, NULL::text "
            "  FROM credit.subject s WHERE s.id = $1 "
            "UNION ALL "
            "SELECT 1, mg.rank, g.model, g.grade "
            "  FROM credit.subject_grade g "
            "  JOIN credit.model_grade mg ON mg.model = g.model AND mg.grade = g.grade "
            " WHERE g.subject_id = $1 "
            "UNION ALL "
            "SELECT 2, NULL::int4, x.list_code, pg_catalog.to_char(pg_catalog.min(x.since), 'YYYY-MM-DD') "
            "  FROM (SELECT e.list_code, e.listed_on AS since "
            "          FROM credit.list_entry e "
            "         WHERE e.subject_id = $1 AND e.listed_on <= CURRENT_DATE AND e.removed_on IS NULL "
            "           AND (e.expires_on IS NULL OR e.expires_on >= CURRENT_DATE) "
            "        UNION ALL "
            "        SELECT l.code, r.decided_on "
            "          FROM credit.record r JOIN credit.list l ON l.item_code = r.item_code "
            "         WHERE r.subject_id = $1 AND r.status = 'active' AND r.decided_on <= CURRENT_DATE) x "
            " GROUP BY x.list_code",
            1, argtypes);

        if (plan == NULL)
            elog(ERROR, "SPI_prepare failed: %s", SPI_result_code_string(SPI_result));
        if (SPI_keepplan(plan) != 0)
            elog(ERROR, "SPI_keepplan failed");
        subject_plan = plan;
    }
    args[0] = Int64GetDatum(subject_id);
    ret = SPI_execute_plan(subject_plan, args, NULL, true, 0);
    if (ret != SPI_OK_SELECT)
        elog(ERROR, "reading the subject's grades and lists failed: %s", SPI_result_code_string(ret));

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
    int         ret;
    int         k;
    bool        spi = false;
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
    if (!measure_rels_known)
        measure_learn_rels();
    if (check_enable_rls(measure_rels.subject, InvalidOid, false) == RLS_ENABLED ||
        check_enable_rls(measure_rels.subject_grade, InvalidOid, false) == RLS_ENABLED ||
        check_enable_rls(measure_rels.list_entry, InvalidOid, false) == RLS_ENABLED ||
        check_enable_rls(measure_rels.record, InvalidOid, false) == RLS_ENABLED)
    {
        if ((ret = SPI_connect()) != SPI_OK_CONNECT)
            elog(ERROR, "SPI_connect failed: %s", SPI_result_code_string(ret));
        spi = true;             /* the facts live in SPI's memory until the rows are out */
        measure_read_spi(subject_id, &sf);
    }
    else
        measure_read_direct(c, subject_id, &sf);
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
    if (spi)
        SPI_finish();
    return (Datum) 0;
}
