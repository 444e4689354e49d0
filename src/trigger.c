/*
 * trigger.c
 *      Auto-evaluation when data arrives (DESIGN §5): statement-level AFTER
 *      triggers with transition tables on credit.record fold the changed
 *      rows into credit.subject_grade, one write per touched (subject,
 *      model) per statement; grade changes are logged, notified and raise
 *      warnings.  Also the daily re-anchoring credit.reanchor_grades.
 *
 * A statement's rows are read straight from the transition tuplestores and
 * folded into one delta state per (subject, model) (evalstate.h).  With
 * credit.fold_at = 'commit' (the default) the deltas are queued in
 * credit.pending_fold and folded at commit, for the whole transaction at
 * once (trigger_commit.c); with 'statement' they are folded right away.
 * Folding locks the stored states of the touched pairs in one (subject,
 * model) ordered pass and re-reads them, so no update is lost; each is
 * re-anchored to the current date, the delta is merged in, and the result
 * finalized and written back in one UPDATE.  A pair without a stored state
 * (or with a state of an older rule set) is evaluated afresh from its
 * records, which already include the transaction's rows.
 *
 * The work runs as the owner of credit.record, so a department that may
 * insert records but not write grades still has its grades maintained.
 *
 * This file reads the rows (first phase) and holds the entry points;
 * trigger_write.c locks, folds, writes and emits (second phase).
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/xact.h"
#include "catalog/pg_collation.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "executor/tuptable.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "storage/lmgr.h"
#include "storage/lock.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/date.h"
#include "utils/hsearch.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/guc.h"
#include "utils/tuplestore.h"

#include "credit.h"
#include "evalstate.h"
#include "ingest.h"


/* credit.auto_evaluation: whether the record triggers fold (superusers may switch it off). */
static bool credit_auto_evaluation = true;

/* credit.fold_at: when a transaction's record changes are folded into the grades. */
int         credit_fold_at = FOLD_AT_COMMIT;

static const struct config_enum_entry fold_at_options[] = {
    {"commit", FOLD_AT_COMMIT, false},
    {"statement", FOLD_AT_STATEMENT, false},
    {NULL, 0, false}
};

/* Define the GUC of auto-evaluation. */
void
credit_trigger_init(void)
{
    DefineCustomBoolVariable("credit.auto_evaluation",
                             "Fold every change of credit.record into credit.subject_grade at once.",
                             "Off: records change without incremental evaluation (grades catch up at the next "
                             "credit.run_evaluation); for bulk loads and tests of the batch engine.",
                             &credit_auto_evaluation,
                             true,
                             PGC_SUSET,
                             0,
                             NULL, NULL, NULL);
    DefineCustomEnumVariable("credit.fold_at",
                             "When the record changes of a transaction are folded into credit.subject_grade.",
                             "commit: once, at commit, locking every touched grade in one (subject, model) order "
                             "(concurrent writers never deadlock); statement: at the end of each statement "
                             "(grades visible inside the transaction; transactions of several statements can deadlock).",
                             &credit_fold_at,
                             FOLD_AT_COMMIT,
                             fold_at_options,
                             PGC_USERSET,
                             0,
                             NULL, NULL, NULL);
}

const char *const fold_cause_name[] = {"insert", "update", "delete", "decay"};
const char *const fold_warn_kind[] = {
    "grade_drop", "serious_record", "listed", "related_listed", "repeat_offence", "commitment_broken"
};

/* Error out unless the SPI call returned what it should. */
void
ingest_spi_check(int ret, int expected, const char *what)
{
    if (ret != expected)
        elog(ERROR, "credit auto-evaluation: %s failed: %s", what, SPI_result_code_string(ret));
}

#define PLAN_KEY_MAX 3072

/* Saved SPI plans of the trigger's queries, by query text (per backend). */
typedef struct PlanEntry
{
    char        sql[PLAN_KEY_MAX];
    SPIPlanPtr  plan;
} PlanEntry;

static HTAB *plan_cache = NULL;

/*
 * Run a query with arguments, returning the SPI code.  Plans are prepared
 * once per backend and kept (the plan cache revalidates them after DDL).
 */
int
ingest_spi_run(const char *sql, int nargs, Oid *types, Datum *values, bool readonly)
{
    PlanEntry  *e;
    bool        found;

    if (strlen(sql) >= PLAN_KEY_MAX)
        return SPI_execute_with_args(sql, nargs, types, values, NULL, readonly, 0);
    if (plan_cache == NULL)
    {
        HASHCTL     ctl;

        memset(&ctl, 0, sizeof(ctl));
        ctl.keysize = PLAN_KEY_MAX;
        ctl.entrysize = sizeof(PlanEntry);
        plan_cache = hash_create("credit trigger plans", 32, &ctl, HASH_ELEM | HASH_STRINGS);
    }
    e = hash_search(plan_cache, sql, HASH_ENTER, &found);
    if (!found)
        e->plan = NULL;
    if (e->plan == NULL)
    {
        /*
         * Generic plans: planned once, for any number of keys (the arrays'
         * sizes vary from one row to a million; index lookups suit both).
         */
        SPIPlanPtr  plan = SPI_prepare_cursor(sql, nargs, types, CURSOR_OPT_GENERIC_PLAN);

        if (plan == NULL)
            elog(ERROR, "credit auto-evaluation: preparing a query failed: %s",
                 SPI_result_code_string(SPI_result));
        if (SPI_keepplan(plan) != 0)
            elog(ERROR, "credit auto-evaluation: SPI_keepplan failed");
        e->plan = plan;
    }
    return SPI_execute_plan(e->plan, values, NULL, readonly, 0);
}

/* A one-dimensional array of int8 values. */
Datum
ingest_int8_array(int64 *v, int n)
{
    Datum      *d = palloc(sizeof(Datum) * Max(n, 1));
    int         i;

    for (i = 0; i < n; i++)
        d[i] = Int64GetDatum(v[i]);
    return PointerGetDatum(construct_array(d, n, INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
}

/* A one-dimensional array of float8 values. */
Datum
ingest_float8_array(double *v, int n)
{
    Datum      *d = palloc(sizeof(Datum) * Max(n, 1));
    int         i;

    for (i = 0; i < n; i++)
        d[i] = Float8GetDatum(v[i]);
    return PointerGetDatum(construct_array(d, n, FLOAT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
}

/* A one-dimensional array of bool values. */
Datum
ingest_bool_array(bool *v, int n)
{
    Datum      *d = palloc(sizeof(Datum) * Max(n, 1));
    int         i;

    for (i = 0; i < n; i++)
        d[i] = BoolGetDatum(v[i]);
    return PointerGetDatum(construct_array(d, n, BOOLOID, 1, true, TYPALIGN_CHAR));
}

/* A one-dimensional array of text (or bytea) datums, NULL entries allowed. */
Datum
ingest_varlena_array(Datum *d, bool *nulls, int n, Oid type)
{
    int         dims[1];
    int         lbs[1] = {1};

    dims[0] = n;
    if (n == 0)
        return PointerGetDatum(construct_empty_array(type));
    return PointerGetDatum(construct_md_array(d, nulls, 1, dims, lbs, type, -1, false, TYPALIGN_INT));
}

/* A one-dimensional array of text from C strings (NULL pointers → NULL). */
Datum
ingest_text_array(char **s, int n)
{
    Datum      *d = palloc(sizeof(Datum) * Max(n, 1));
    bool       *nulls = palloc(sizeof(bool) * Max(n, 1));
    int         i;

    for (i = 0; i < n; i++)
    {
        nulls[i] = (s[i] == NULL);
        d[i] = nulls[i] ? (Datum) 0 : CStringGetTextDatum(s[i]);
    }
    return ingest_varlena_array(d, nulls, n, TEXTOID);
}

/* Load the models and the warning rules for this statement. */
void
ingest_load_config(FoldCtx *c)
{
    StringInfoData q;
    int         ret;
    uint64      i;
    HASHCTL     ctl;

    initStringInfo(&q);
    appendStringInfo(&q, "SELECT code FROM %s.model ORDER BY code", c->nsp);
    ret = ingest_spi_run(q.data, 0, NULL, NULL, false);
    ingest_spi_check(ret, SPI_OK_SELECT, "reading the models");
    c->nmodels = 0;
    c->models = MemoryContextAlloc(c->cxt, sizeof(StmtModel) * Max(SPI_processed, 1));
    for (i = 0; i < SPI_processed; i++)
    {
        bool        isnull;
        char       *code = TextDatumGetCString(SPI_getbinval(SPI_tuptable->vals[i],
                                                             SPI_tuptable->tupdesc, 1, &isnull));
        EvalModel  *m = credit_model_get(code, true);

        if (m == NULL)
            continue;
        c->models[c->nmodels].m = m;
        c->models[c->nmodels].code = MemoryContextStrdup(c->cxt, code);
        c->nmodels++;
    }
    SPI_freetuptable(SPI_tuptable);

    resetStringInfo(&q);
    appendStringInfo(&q, "SELECT kind, enabled, threshold, window_days FROM %s.warning_rule", c->nsp);
    ret = ingest_spi_run(q.data, 0, NULL, NULL, false);
    ingest_spi_check(ret, SPI_OK_SELECT, "reading the warning rules");
    memset(c->warn_enabled, 0, sizeof(c->warn_enabled));
    c->repeat_threshold = 3;
    c->repeat_window = 365;
    c->drop_threshold = 1;
    for (i = 0; i < SPI_processed; i++)
    {
        HeapTuple   tup = SPI_tuptable->vals[i];
        TupleDesc   td = SPI_tuptable->tupdesc;
        bool        isnull;
        char       *kind = TextDatumGetCString(SPI_getbinval(tup, td, 1, &isnull));
        bool        enabled = DatumGetBool(SPI_getbinval(tup, td, 2, &isnull));
        Datum       threshold = SPI_getbinval(tup, td, 3, &isnull);
        bool        threshold_null = isnull;
        Datum       window = SPI_getbinval(tup, td, 4, &isnull);
        int         k;

        for (k = 0; k < W_NKINDS; k++)
            if (strcmp(kind, fold_warn_kind[k]) == 0)
                c->warn_enabled[k] = enabled;
        if (strcmp(kind, "repeat_offence") == 0)
        {
            if (!threshold_null)
                c->repeat_threshold = DatumGetInt32(threshold);
            if (!isnull)
                c->repeat_window = DatumGetInt32(window);
        }
        else if (strcmp(kind, "grade_drop") == 0 && !threshold_null)
            c->drop_threshold = DatumGetInt32(threshold);
    }
    SPI_freetuptable(SPI_tuptable);
    pfree(q.data);

    memset(&ctl, 0, sizeof(ctl));
    ctl.keysize = ITEM_KEY_MAX;
    ctl.entrysize = sizeof(ItemRules);
    ctl.hcxt = c->cxt;
    c->items = hash_create("credit fold items", 128, &ctl, HASH_ELEM | HASH_STRINGS | HASH_CONTEXT);

    memset(&ctl, 0, sizeof(ctl));
    ctl.keysize = sizeof(GradeKey);
    ctl.entrysize = sizeof(GradeWork);
    ctl.hcxt = c->cxt;
    c->work = hash_create("credit fold work", 1024, &ctl, HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);

    memset(&ctl, 0, sizeof(ctl));
    ctl.keysize = sizeof(int64);
    ctl.entrysize = sizeof(int64);
    ctl.hcxt = c->cxt;
    c->repeat_subjects = hash_create("credit repeat subjects", 256, &ctl,
                                     HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
}

/* The rules rating an item (computed once per statement and item). */
static ItemRules *
item_rules(FoldCtx *c, const char *item, int len)
{
    char        key[ITEM_KEY_MAX];
    ItemRules  *ir;
    bool        found;
    int         k;

    if (len >= ITEM_KEY_MAX)
        return NULL;
    memset(key, 0, sizeof(key));
    memcpy(key, item, len);
    ir = hash_search(c->items, key, HASH_ENTER, &found);
    if (found)
        return ir;
    ir->n = 0;
    ir->model = MemoryContextAlloc(c->cxt, sizeof(int16) * Max(c->nmodels, 1));
    ir->rule = MemoryContextAlloc(c->cxt, sizeof(int16) * Max(c->nmodels, 1));
    for (k = 0; k < c->nmodels; k++)
    {
        int         r = evalmodel_rule_index(c->models[k].m, item, len);

        if (r >= 0)
        {
            ir->model[ir->n] = k;
            ir->rule[ir->n] = r;
            ir->n++;
        }
    }
    ir->flags = credit_catalog_flags(c->nspid, key);
    return ir;
}

/* Remember a warning to raise for an inserted record. */
void
ingest_note_record_warning(FoldCtx *c, int64 subject, int64 record, const char *item, const char *kind)
{
    if (c->nrw == c->rw_cap)
    {
        int         cap = Max(64, c->rw_cap * 2);
        MemoryContext old = MemoryContextSwitchTo(c->cxt);

        if (c->rw_cap == 0)
        {
            c->rw_subject = palloc(sizeof(int64) * cap);
            c->rw_record = palloc(sizeof(int64) * cap);
            c->rw_item = palloc(sizeof(char *) * cap);
            c->rw_kind = palloc(sizeof(char *) * cap);
        }
        else
        {
            c->rw_subject = repalloc(c->rw_subject, sizeof(int64) * cap);
            c->rw_record = repalloc(c->rw_record, sizeof(int64) * cap);
            c->rw_item = repalloc(c->rw_item, sizeof(char *) * cap);
            c->rw_kind = repalloc(c->rw_kind, sizeof(char *) * cap);
        }
        c->rw_cap = cap;
        MemoryContextSwitchTo(old);
    }
    c->rw_subject[c->nrw] = subject;
    c->rw_record[c->nrw] = record;
    c->rw_item[c->nrw] = MemoryContextStrdup(c->cxt, item);
    c->rw_kind[c->nrw] = kind;
    c->nrw++;
}

/* Fold one row of a transition table (sign +1: counted now, -1: no more). */
static void
fold_row(FoldCtx *c, TupleTableSlot *slot, int sign)
{
    bool        isnull;
    Datum       d;
    text       *status;
    text       *item;
    ItemRules  *ir;
    int64       subject;
    int64       record;
    DateADT     decided;
    double      value;
    int         k;

    d = slot_getattr(slot, c->att_status, &isnull);
    if (isnull)
        return;
    status = DatumGetTextPP(d);
    if (VARSIZE_ANY_EXHDR(status) != 6 || memcmp(VARDATA_ANY(status), "active", 6) != 0)
        return;
    d = slot_getattr(slot, c->att_item, &isnull);
    if (isnull)
        return;
    item = DatumGetTextPP(d);
    ir = item_rules(c, VARDATA_ANY(item), VARSIZE_ANY_EXHDR(item));
    if (ir == NULL)
        return;
    d = slot_getattr(slot, c->att_subject, &isnull);
    if (isnull)
        return;
    subject = DatumGetInt64(d);
    d = slot_getattr(slot, c->att_decided, &isnull);
    if (isnull)
        return;
    decided = DatumGetDateADT(d);
    record = DatumGetInt64(slot_getattr(slot, c->att_id, &isnull));
    d = slot_getattr(slot, c->att_value, &isnull);
    value = isnull ? 0.0 : DatumGetFloat8(d);

    if (sign > 0 && c->cause == CAUSE_INSERT && (ir->flags & CATALOG_NEGATIVE))
    {
        if ((ir->flags & (CATALOG_SERIOUS | CATALOG_LIST)) == CATALOG_SERIOUS && c->warn_enabled[W_SERIOUS])
            ingest_note_record_warning(c, subject, record, ir->code, fold_warn_kind[W_SERIOUS]);
        if ((ir->flags & CATALOG_LIST) && (c->warn_enabled[W_LISTED] || c->warn_enabled[W_RELATED]))
            ingest_note_record_warning(c, subject, record, ir->code, fold_warn_kind[W_LISTED]);
        if ((ir->flags & CATALOG_COMMITMENT) && c->warn_enabled[W_COMMITMENT])
            ingest_note_record_warning(c, subject, record, ir->code, fold_warn_kind[W_COMMITMENT]);
        if (c->warn_enabled[W_REPEAT] && decided > c->today - c->repeat_window)
            hash_search(c->repeat_subjects, &subject, HASH_ENTER, NULL);
    }

    /* a record dated after today cannot be counted today */
    if (decided > c->today)
        return;
    for (k = 0; k < ir->n; k++)
    {
        GradeKey    key;
        GradeWork  *w;
        bool        found;
        StmtModel  *sm = &c->models[ir->model[k]];

        memset(&key, 0, sizeof(key));
        key.subject = subject;
        key.model = ir->model[k];
        w = hash_search(c->work, &key, HASH_ENTER, &found);
        if (!found)
        {
            MemoryContext old = MemoryContextSwitchTo(c->cxt);

            memset(((char *) w) + sizeof(GradeKey), 0, sizeof(GradeWork) - sizeof(GradeKey));
            w->delta = evalstate_create(sm->m, c->today);
            MemoryContextSwitchTo(old);
        }
        evalstate_add(w->delta, sm->m, ir->rule[k], decided, value, sign);
        w->cause = c->cause;
        if (record > w->record_id)
            w->record_id = record;
    }
}

/* Fold every row of a transition table with one sign. */
static void
fold_rows(FoldCtx *c, Tuplestorestate *ts, int sign)
{
    TupleTableSlot *slot = MakeSingleTupleTableSlot(c->rec_desc, &TTSOpsMinimalTuple);

    tuplestore_rescan(ts);
    while (tuplestore_gettupleslot(ts, true, false, slot))
        fold_row(c, slot, sign);
    ExecDropSingleTupleTableSlot(slot);
}

/* Whether a column has the same value in two slots (binary equality). */
static bool
slot_same(TupleTableSlot *a, TupleTableSlot *b, int attnum)
{
    bool        na,
                nb;
    Datum       da = slot_getattr(a, attnum, &na);
    Datum       db = slot_getattr(b, attnum, &nb);
    Form_pg_attribute att = TupleDescAttr(a->tts_tupleDescriptor, attnum - 1);

    if (na || nb)
        return na == nb;
    return datumIsEqual(da, db, att->attbyval, att->attlen);
}

/*
 * Fold the rows of an UPDATE: old and new transition tables hold the rows in
 * the same order; a row whose counted columns did not change is skipped.
 */
static void
fold_update_rows(FoldCtx *c, Tuplestorestate *olds, Tuplestorestate *news)
{
    TupleTableSlot *o = MakeSingleTupleTableSlot(c->rec_desc, &TTSOpsMinimalTuple);
    TupleTableSlot *n = MakeSingleTupleTableSlot(c->rec_desc, &TTSOpsMinimalTuple);

    tuplestore_rescan(olds);
    tuplestore_rescan(news);
    for (;;)
    {
        bool        have_o = tuplestore_gettupleslot(olds, true, false, o);
        bool        have_n = tuplestore_gettupleslot(news, true, false, n);

        if (!have_o && !have_n)
            break;
        if (have_o && have_n &&
            slot_same(o, n, c->att_status) && slot_same(o, n, c->att_value) &&
            slot_same(o, n, c->att_subject) && slot_same(o, n, c->att_item) &&
            slot_same(o, n, c->att_decided))
            continue;
        if (have_o)
            fold_row(c, o, -1);
        if (have_n)
            fold_row(c, n, 1);
    }
    ExecDropSingleTupleTableSlot(o);
    ExecDropSingleTupleTableSlot(n);
}

/* qsort comparator: by subject, then model code. */
int
ingest_work_cmp(const void *a, const void *b, void *arg)
{
    const GradeWork *x = *(GradeWork *const *) a;
    const GradeWork *y = *(GradeWork *const *) b;
    FoldCtx    *c = (FoldCtx *) arg;

    if (x->key.subject != y->key.subject)
        return x->key.subject < y->key.subject ? -1 : 1;
    return strcmp(c->models[x->key.model].code, c->models[y->key.model].code);
}

/* Index of a model code among the statement's models, -1 if absent. */
int
ingest_model_index(FoldCtx *c, const char *code)
{
    int         k;

    for (k = 0; k < c->nmodels; k++)
        if (strcmp(c->models[k].code, code) == 0)
            return k;
    return -1;
}

/* The work entry named by columns 1 (subject) and 2 (model code) of SPI result row i, or NULL. */
GradeWork *
ingest_work_of_row(FoldCtx *c, uint64 i)
{
    HeapTuple   tup = SPI_tuptable->vals[i];
    TupleDesc   td = SPI_tuptable->tupdesc;
    bool        isnull;
    int64       s = DatumGetInt64(SPI_getbinval(tup, td, 1, &isnull));
    char       *m = TextDatumGetCString(SPI_getbinval(tup, td, 2, &isnull));

    return ingest_work_lookup(c, s, m);
}

/* The work entry of a (subject, model code), or NULL. */
GradeWork *
ingest_work_lookup(FoldCtx *c, int64 subject, const char *model)
{
    GradeKey    key;
    int         k = ingest_model_index(c, model);

    if (k < 0)
        return NULL;
    memset(&key, 0, sizeof(key));
    key.subject = subject;
    key.model = k;
    return hash_search(c->work, &key, HASH_FIND, NULL);
}

/* Separate arrays of subject ids and model codes of some work entries. */
void
ingest_work_key_arrays(FoldCtx *c, GradeWork **w, int n, Datum *subjects, Datum *models)
{
    int64      *s = palloc(sizeof(int64) * Max(n, 1));
    char      **m = palloc(sizeof(char *) * Max(n, 1));
    int         i;

    for (i = 0; i < n; i++)
    {
        s[i] = w[i]->key.subject;
        m[i] = c->models[w[i]->key.model].code;
    }
    *subjects = ingest_int8_array(s, n);
    *models = ingest_text_array(m, n);
}

/* Keep only the pairs whose subject is in the model's scope. */
GradeWork **
ingest_fold_scope(FoldCtx *c, int *nout)
{
    HASH_SEQ_STATUS seq;
    GradeWork  *w;
    GradeWork **all;
    int         n = 0;
    int         cap = hash_get_num_entries(c->work);
    int         ret;
    uint64      i;
    Datum       args[2];
    Oid         types[2] = {INT8ARRAYOID, TEXTARRAYOID};
    StringInfoData q;
    GradeWork **keep;
    int         nkeep = 0;

    all = palloc(sizeof(GradeWork *) * Max(cap, 1));
    hash_seq_init(&seq, c->work);
    while ((w = hash_seq_search(&seq)) != NULL)
        all[n++] = w;
    *nout = 0;
    if (n == 0)
        return all;
    ingest_work_key_arrays(c, all, n, &args[0], &args[1]);

    initStringInfo(&q);
    appendStringInfo(&q,
                     "SELECT k.s, k.m FROM unnest($1, $2) AS k(s, m) "
                     "JOIN %s.subject s ON s.id = k.s "
                     "JOIN %s.model m ON m.code = k.m "
                     "WHERE s.kind = ANY (m.subject_kinds) "
                     "AND (m.scope = 'comprehensive' OR m.scope = ANY (s.industries))",
                     c->nsp, c->nsp);
    ret = ingest_spi_run(q.data, 2, types, args, false);
    ingest_spi_check(ret, SPI_OK_SELECT, "checking the models' scope");
    for (i = 0; i < SPI_processed; i++)
    {
        GradeWork  *e = ingest_work_of_row(c, i);

        if (e)
            e->in_scope = true;
    }
    SPI_freetuptable(SPI_tuptable);

    keep = palloc(sizeof(GradeWork *) * n);
    for (i = 0; i < (uint64) n; i++)
        if (all[i]->in_scope)
            keep[nkeep++] = all[i];
    qsort_arg(keep, nkeep, sizeof(GradeWork *), ingest_work_cmp, c);
    *nout = nkeep;
    return keep;
}

/* Set up a fold context for a statement on credit.record. */
static void
fold_init(FoldCtx *c, Relation rel, FoldCause cause)
{
    TupleDesc   td = RelationGetDescr(rel);

    memset(c, 0, sizeof(*c));
    c->cxt = AllocSetContextCreate(CurrentMemoryContext, "credit auto-evaluation",
                                   ALLOCSET_DEFAULT_SIZES);
    c->nspid = RelationGetNamespace(rel);
    c->nsp = quote_identifier(get_namespace_name(c->nspid));
    c->today = GetSQLCurrentDate();
    c->cause = cause;
    c->rec_desc = td;
    c->att_id = SPI_fnumber(td, "id");
    c->att_subject = SPI_fnumber(td, "subject_id");
    c->att_item = SPI_fnumber(td, "item_code");
    c->att_decided = SPI_fnumber(td, "decided_on");
    c->att_value = SPI_fnumber(td, "value");
    c->att_status = SPI_fnumber(td, "status");
    if (c->att_id <= 0 || c->att_subject <= 0 || c->att_item <= 0 || c->att_decided <= 0 ||
        c->att_value <= 0 || c->att_status <= 0)
        elog(ERROR, "credit.record lacks a column the auto-evaluation needs");
}

PG_FUNCTION_INFO_V1(credit_record_fold);

/*
 * Statement-level AFTER INSERT, UPDATE or DELETE trigger of credit.record
 * with transition tables: fold the statement's rows into subject_grade.
 */
Datum
credit_record_fold(PG_FUNCTION_ARGS)
{
    TriggerData *td = (TriggerData *) fcinfo->context;
    FoldCtx     c;
    Oid         save_userid;
    int         save_sec;
    FoldCause   cause;
    GradeWork **w;
    int         n;

    if (!CALLED_AS_TRIGGER(fcinfo) || !TRIGGER_FIRED_AFTER(td->tg_event) ||
        !TRIGGER_FIRED_FOR_STATEMENT(td->tg_event))
        elog(ERROR, "credit_record_fold: must be fired AFTER ... FOR EACH STATEMENT");
    if (TRIGGER_FIRED_BY_INSERT(td->tg_event))
        cause = CAUSE_INSERT;
    else if (TRIGGER_FIRED_BY_UPDATE(td->tg_event))
        cause = CAUSE_UPDATE;
    else if (TRIGGER_FIRED_BY_DELETE(td->tg_event))
        cause = CAUSE_DELETE;
    else
        elog(ERROR, "credit_record_fold: must be fired by INSERT, UPDATE or DELETE");
    if ((cause != CAUSE_DELETE && td->tg_newtable == NULL) ||
        (cause != CAUSE_INSERT && td->tg_oldtable == NULL))
        elog(ERROR, "credit_record_fold: the trigger needs its transition tables");

    if (!credit_auto_evaluation || credit_restoring)
        return PointerGetDatum(NULL);
    fold_init(&c, td->tg_relation, cause);

    /* act as the owner of credit.record: grades are maintained for everyone */
    GetUserIdAndSecContext(&save_userid, &save_sec);
    SetUserIdAndSecContext(td->tg_relation->rd_rel->relowner,
                           save_sec | SECURITY_LOCAL_USERID_CHANGE | SECURITY_NOFORCE_RLS);
    if (SPI_connect() != SPI_OK_CONNECT)
        elog(ERROR, "SPI_connect failed");

    ingest_load_config(&c);
    if (cause == CAUSE_INSERT)
        fold_rows(&c, td->tg_newtable, 1);
    else if (cause == CAUSE_DELETE)
        fold_rows(&c, td->tg_oldtable, -1);
    else
        fold_update_rows(&c, td->tg_oldtable, td->tg_newtable);
    w = ingest_fold_scope(&c, &n);
    if (credit_fold_at == FOLD_AT_COMMIT)
        ingest_queue_fold(&c, w, n);
    else
    {
        ingest_fold_apply(&c, w, n);
        ingest_emit_record_warnings(&c);
    }

    SPI_finish();
    SetUserIdAndSecContext(save_userid, save_sec);
    MemoryContextDelete(c.cxt);
    return PointerGetDatum(NULL);
}

PG_FUNCTION_INFO_V1(credit_reanchor_grades);

/*
 * credit.reanchor_grades(as_of date) → bigint: re-anchor every stored state
 * older than as_of to as_of and log the grade changes decay alone caused.
 */
Datum
credit_reanchor_grades(PG_FUNCTION_ARGS)
{
    DateADT     as_of = PG_GETARG_DATEADT(0);
    FoldCtx     c;
    Oid         nspid = get_func_namespace(fcinfo->flinfo->fn_oid);
    StringInfoData q;
    int         ret;
    uint64      i;
    GradeWork **w;
    GradeWork **keep;
    int         n = 0;
    int         nkeep = 0;
    int64       changes;
    Datum       arg;
    Oid         argtype = DATEOID;

    if (DATE_NOT_FINITE(as_of) || as_of > GetSQLCurrentDate())
        ereport(ERROR,
                (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                 errmsg("cannot re-anchor the grades to a date after the current date"),
                 errhint("as_of must be a date not later than the current date.")));
    memset(&c, 0, sizeof(c));
    c.cxt = AllocSetContextCreate(CurrentMemoryContext, "credit re-anchoring", ALLOCSET_DEFAULT_SIZES);
    c.nspid = nspid;
    c.nsp = quote_identifier(get_namespace_name(nspid));
    c.today = as_of;
    c.cause = CAUSE_DECAY;

    if (SPI_connect() != SPI_OK_CONNECT)
        elog(ERROR, "SPI_connect failed");
    ingest_load_config(&c);
    ingest_lock_models_shared(&c, NULL, 0);
    LockRelationOid(get_relname_relid("subject_grade", nspid), RowExclusiveLock);

    /* every stored state anchored before as_of, locked in the (subject, model
     * byte order) order of the folds, so a fold and a re-anchoring never wait
     * for each other in a cycle */
    initStringInfo(&q);
    appendStringInfo(&q,
                     "SELECT g.subject_id, g.model FROM %s.subject_grade g "
                     "WHERE g.anchor < $1 "
                     "ORDER BY g.subject_id, g.model COLLATE \"C\" FOR UPDATE OF g",
                     c.nsp);
    arg = DateADTGetDatum(as_of);
    ret = ingest_spi_run(q.data, 1, &argtype, &arg, false);
    ingest_spi_check(ret, SPI_OK_SELECT, "locking the grades");
    w = MemoryContextAlloc(c.cxt, sizeof(GradeWork *) * Max(SPI_processed, 1));
    for (i = 0; i < SPI_processed; i++)
    {
        bool        isnull;
        int64       s = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1, &isnull));
        char       *m = TextDatumGetCString(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 2, &isnull));
        int         k = ingest_model_index(&c, m);
        GradeKey    key;
        GradeWork  *e;
        bool        found;

        if (k < 0)
            continue;
        memset(&key, 0, sizeof(key));
        key.subject = s;
        key.model = k;
        e = hash_search(c.work, &key, HASH_ENTER, &found);
        memset(((char *) e) + sizeof(GradeKey), 0, sizeof(GradeWork) - sizeof(GradeKey));
        e->in_scope = true;
        e->cause = CAUSE_DECAY;
        w[n++] = e;
    }
    SPI_freetuptable(SPI_tuptable);

    /* rows are locked already: ingest_lock_and_fold re-reads them without waiting */
    keep = MemoryContextAlloc(c.cxt, sizeof(GradeWork *) * Max(n, 1));
    ingest_lock_and_fold(&c, w, n);
    for (i = 0; i < (uint64) n; i++)
        if (w[i]->st != NULL)
            keep[nkeep++] = w[i];
    /* states of an older rule set: evaluate afresh, as of as_of */
    {
        GradeWork **todo = MemoryContextAlloc(c.cxt, sizeof(GradeWork *) * Max(n, 1));
        int         ntodo = 0;

        for (i = 0; i < (uint64) n; i++)
            if (w[i]->st == NULL && w[i]->locked)
                todo[ntodo++] = w[i];
        if (ntodo > 0)
        {
            ingest_fold_fresh(&c, todo, ntodo);
            for (i = 0; i < (uint64) ntodo; i++)
                keep[nkeep++] = todo[i];
        }
    }
    qsort_arg(keep, nkeep, sizeof(GradeWork *), ingest_work_cmp, &c);
    ingest_write_updates(&c, keep, nkeep);
    changes = ingest_emit_grade_changes(&c, keep, nkeep);
    ingest_emit_industry_grades(&c, keep, nkeep);
    SPI_finish();
    MemoryContextDelete(c.cxt);
    PG_RETURN_INT64(changes);
}
