/*
 * trigger.c
 *      Auto-evaluation when data arrives (DESIGN §5): statement-level AFTER
 *      triggers with transition tables on credit.record fold the changed
 *      rows into credit.subject_grade, one write per touched (subject,
 *      model) per statement; grade changes are logged, notified and raise
 *      warnings.  Also the daily re-anchoring credit.reanchor_grades.
 *
 * A statement's rows are read straight from the transition tuplestores and
 * folded into one delta state per (subject, model) (evalstate.h).  The
 * stored states of the touched pairs are then locked in (subject, model)
 * order, so concurrent writers never deadlock, and re-read after locking, so
 * no update is lost; each is re-anchored to the current date, the delta is
 * merged in, and the result finalized and written back in one UPDATE.  A pair
 * without a stored state (or with a state of an older rule set) is evaluated
 * afresh from its records, which already include the statement's rows.
 *
 * The work runs as the owner of credit.record, so a department that may
 * insert records but not write grades still has its grades maintained.
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

#define ITEM_KEY_MAX 64

/* credit.auto_evaluation: whether the record triggers fold (superusers may switch it off). */
static bool credit_auto_evaluation = true;

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
}

/* What caused a fold: also the grade_change.cause values. */
typedef enum FoldCause
{
    CAUSE_INSERT,
    CAUSE_UPDATE,
    CAUSE_DELETE,
    CAUSE_DECAY
} FoldCause;

static const char *const cause_name[] = {"insert", "update", "delete", "decay"};

/* A model taking part in this statement. */
typedef struct StmtModel
{
    EvalModel  *m;
    char       *code;
} StmtModel;

/* The (model, rule) pairs that rate an item, and the item's catalogue flags. */
typedef struct ItemRules
{
    char        code[ITEM_KEY_MAX]; /* hash key */
    int         n;
    int16      *model;
    int16      *rule;
    uint8       flags;
} ItemRules;

typedef struct GradeKey
{
    int64       subject;
    int32       model;
    int32       pad;
} GradeKey;

/* One touched (subject, model) of the statement. */
typedef struct GradeWork
{
    GradeKey    key;
    EvalState  *delta;          /* the statement's change, anchored today */
    int64       record_id;      /* last record that touched it */
    bool        in_scope;
    bool        locked;         /* its stored row is locked */
    bool        inserted;       /* its row was inserted by this statement */
    bool        has_old;        /* old grade/score known */
    bool        old_grade_null;
    char       *old_grade;
    double      old_score;
    int         old_rank;       /* rank of the old grade, 0 unknown */
    EvalState  *st;             /* new state */
    EvalResult  res;
    bool        changed_grade;
} GradeWork;

/* Everything a statement's fold needs. */
typedef struct FoldCtx
{
    MemoryContext cxt;
    Oid         nspid;
    const char *nsp;            /* quoted schema name */
    DateADT     today;
    FoldCause   cause;
    TupleDesc   rec_desc;
    int         att_id,
                att_subject,
                att_item,
                att_decided,
                att_value,
                att_status;
    int         nmodels;
    StmtModel  *models;
    HTAB       *items;          /* ItemRules by item code */
    HTAB       *work;           /* GradeWork by GradeKey */
    /* warning rules */
    bool        warn_enabled[8];
    int         repeat_threshold;
    int         repeat_window;
    int         drop_threshold;
    /* record warnings collected while scanning (inserted rows only) */
    int         nrw,
                rw_cap;
    int64      *rw_subject;
    int64      *rw_record;
    char      **rw_item;
    const char **rw_kind;
    HTAB       *repeat_subjects; /* int64 set */
} FoldCtx;

/* Indexes into FoldCtx.warn_enabled. */
enum
{
    W_GRADE_DROP, W_SERIOUS, W_LISTED, W_RELATED, W_REPEAT, W_COMMITMENT, W_NKINDS
};
static const char *const warn_kind[] = {
    "grade_drop", "serious_record", "listed", "related_listed", "repeat_offence", "commitment_broken"
};

/* Error out unless the SPI call returned what it should. */
static void
spi_check(int ret, int expected, const char *what)
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
static int
spi_run(const char *sql, int nargs, Oid *types, Datum *values, bool readonly)
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
static Datum
int8_array(int64 *v, int n)
{
    Datum      *d = palloc(sizeof(Datum) * Max(n, 1));
    int         i;

    for (i = 0; i < n; i++)
        d[i] = Int64GetDatum(v[i]);
    return PointerGetDatum(construct_array(d, n, INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
}

/* A one-dimensional array of float8 values. */
static Datum
float8_array(double *v, int n)
{
    Datum      *d = palloc(sizeof(Datum) * Max(n, 1));
    int         i;

    for (i = 0; i < n; i++)
        d[i] = Float8GetDatum(v[i]);
    return PointerGetDatum(construct_array(d, n, FLOAT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
}

/* A one-dimensional array of bool values. */
static Datum
bool_array(bool *v, int n)
{
    Datum      *d = palloc(sizeof(Datum) * Max(n, 1));
    int         i;

    for (i = 0; i < n; i++)
        d[i] = BoolGetDatum(v[i]);
    return PointerGetDatum(construct_array(d, n, BOOLOID, 1, true, TYPALIGN_CHAR));
}

/* A one-dimensional array of text (or bytea) datums, NULL entries allowed. */
static Datum
varlena_array(Datum *d, bool *nulls, int n, Oid type)
{
    int         dims[1];
    int         lbs[1] = {1};

    dims[0] = n;
    if (n == 0)
        return PointerGetDatum(construct_empty_array(type));
    return PointerGetDatum(construct_md_array(d, nulls, 1, dims, lbs, type, -1, false, TYPALIGN_INT));
}

/* A one-dimensional array of text from C strings (NULL pointers → NULL). */
static Datum
text_array(char **s, int n)
{
    Datum      *d = palloc(sizeof(Datum) * Max(n, 1));
    bool       *nulls = palloc(sizeof(bool) * Max(n, 1));
    int         i;

    for (i = 0; i < n; i++)
    {
        nulls[i] = (s[i] == NULL);
        d[i] = nulls[i] ? (Datum) 0 : CStringGetTextDatum(s[i]);
    }
    return varlena_array(d, nulls, n, TEXTOID);
}

/* Load the models and the warning rules for this statement. */
static void
fold_load_config(FoldCtx *c)
{
    StringInfoData q;
    int         ret;
    uint64      i;
    HASHCTL     ctl;

    initStringInfo(&q);
    appendStringInfo(&q, "SELECT code FROM %s.model ORDER BY code", c->nsp);
    ret = spi_run(q.data, 0, NULL, NULL, false);
    spi_check(ret, SPI_OK_SELECT, "reading the models");
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
    ret = spi_run(q.data, 0, NULL, NULL, false);
    spi_check(ret, SPI_OK_SELECT, "reading the warning rules");
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
            if (strcmp(kind, warn_kind[k]) == 0)
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
static void
note_record_warning(FoldCtx *c, int64 subject, int64 record, const char *item, const char *kind)
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
            note_record_warning(c, subject, record, ir->code, warn_kind[W_SERIOUS]);
        if ((ir->flags & CATALOG_LIST) && (c->warn_enabled[W_LISTED] || c->warn_enabled[W_RELATED]))
            note_record_warning(c, subject, record, ir->code, warn_kind[W_LISTED]);
        if ((ir->flags & CATALOG_COMMITMENT) && c->warn_enabled[W_COMMITMENT])
            note_record_warning(c, subject, record, ir->code, warn_kind[W_COMMITMENT]);
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
static int
work_cmp(const void *a, const void *b, void *arg)
{
    const GradeWork *x = *(GradeWork *const *) a;
    const GradeWork *y = *(GradeWork *const *) b;
    FoldCtx    *c = (FoldCtx *) arg;

    if (x->key.subject != y->key.subject)
        return x->key.subject < y->key.subject ? -1 : 1;
    return strcmp(c->models[x->key.model].code, c->models[y->key.model].code);
}

/* Index of a model code among the statement's models, -1 if absent. */
static int
model_index(FoldCtx *c, const char *code)
{
    int         k;

    for (k = 0; k < c->nmodels; k++)
        if (strcmp(c->models[k].code, code) == 0)
            return k;
    return -1;
}

/* The work entry of a (subject, model code), or NULL. */
static GradeWork *
work_lookup(FoldCtx *c, int64 subject, const char *model)
{
    GradeKey    key;
    int         k = model_index(c, model);

    if (k < 0)
        return NULL;
    memset(&key, 0, sizeof(key));
    key.subject = subject;
    key.model = k;
    return hash_search(c->work, &key, HASH_FIND, NULL);
}

/* Separate arrays of subject ids and model codes of some work entries. */
static void
work_key_arrays(FoldCtx *c, GradeWork **w, int n, Datum *subjects, Datum *models)
{
    int64      *s = palloc(sizeof(int64) * Max(n, 1));
    char      **m = palloc(sizeof(char *) * Max(n, 1));
    int         i;

    for (i = 0; i < n; i++)
    {
        s[i] = w[i]->key.subject;
        m[i] = c->models[w[i]->key.model].code;
    }
    *subjects = int8_array(s, n);
    *models = text_array(m, n);
}

/* Keep only the pairs whose subject is in the model's scope. */
static GradeWork **
fold_scope(FoldCtx *c, int *nout)
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
    work_key_arrays(c, all, n, &args[0], &args[1]);

    initStringInfo(&q);
    appendStringInfo(&q,
                     "SELECT k.s, k.m FROM unnest($1, $2) AS k(s, m) "
                     "JOIN %s.subject s ON s.id = k.s "
                     "JOIN %s.model m ON m.code = k.m "
                     "WHERE s.kind = ANY (m.subject_kinds) "
                     "AND (m.scope = 'comprehensive' OR m.scope = ANY (s.industries))",
                     c->nsp, c->nsp);
    ret = spi_run(q.data, 2, types, args, false);
    spi_check(ret, SPI_OK_SELECT, "checking the models' scope");
    for (i = 0; i < SPI_processed; i++)
    {
        bool        isnull;
        int64       s = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1, &isnull));
        char       *m = TextDatumGetCString(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 2, &isnull));
        GradeWork  *e = work_lookup(c, s, m);

        if (e)
            e->in_scope = true;
    }
    SPI_freetuptable(SPI_tuptable);

    keep = palloc(sizeof(GradeWork *) * n);
    for (i = 0; i < (uint64) n; i++)
        if (all[i]->in_scope)
            keep[nkeep++] = all[i];
    qsort_arg(keep, nkeep, sizeof(GradeWork *), work_cmp, c);
    *nout = nkeep;
    return keep;
}

/* Rank of a grade of a model (1 best), 0 when unknown. */
static int
grade_rank(EvalModel *m, const char *grade)
{
    int         i;

    if (grade == NULL)
        return 0;
    for (i = 0; i < m->ngrades; i++)
        if (strcmp(m->grades[i].grade, grade) == 0)
            return m->grades[i].rank;
    return 0;
}

/* A count of zero means no record: make its sum exactly zero again. */
static void
state_tidy(EvalState *st)
{
    int         i;

    for (i = 0; i < st->nitems; i++)
        if (st->count[i] == 0)
            st->sum[i] = 0.0;
}

/*
 * Lock the stored rows of some pairs (in the given, sorted, order) and
 * fold the deltas into those found.  Pairs whose row is missing, or whose
 * state is of an older rule set, are left with locked = false / st = NULL.
 */
static void
lock_and_fold(FoldCtx *c, GradeWork **w, int n)
{
    Datum       args[2];
    Oid         types[2] = {INT8ARRAYOID, TEXTARRAYOID};
    StringInfoData q;
    int         ret;
    uint64      i;

    if (n == 0)
        return;
    work_key_arrays(c, w, n, &args[0], &args[1]);
    initStringInfo(&q);
    appendStringInfo(&q,
                     "SELECT g.subject_id, g.model, g.state, g.grade, g.score::float8, "
                     "       (r.started_at IS NOT NULL AND g.anchor < r.started_at::date) "
                     "FROM %s.subject_grade g JOIN unnest($1, $2) AS k(s, m) "
                     "ON g.subject_id = k.s AND g.model = k.m "
                     "LEFT JOIN %s.evaluation_run r ON r.id = g.run_id "
                     "ORDER BY g.subject_id, g.model FOR UPDATE OF g",
                     c->nsp, c->nsp);
    ret = spi_run(q.data, 2, types, args, false);
    spi_check(ret, SPI_OK_SELECT, "locking the grades");
    for (i = 0; i < SPI_processed; i++)
    {
        HeapTuple   tup = SPI_tuptable->vals[i];
        TupleDesc   td = SPI_tuptable->tupdesc;
        bool        isnull;
        int64       s = DatumGetInt64(SPI_getbinval(tup, td, 1, &isnull));
        char       *m = TextDatumGetCString(SPI_getbinval(tup, td, 2, &isnull));
        GradeWork  *e = work_lookup(c, s, m);
        Datum       d;
        StmtModel  *sm;
        MemoryContext old;

        if (e == NULL)
            continue;
        sm = &c->models[e->key.model];
        old = MemoryContextSwitchTo(c->cxt);
        e->locked = true;
        e->has_old = true;
        d = SPI_getbinval(tup, td, 4, &isnull);
        e->old_grade_null = isnull;
        e->old_grade = isnull ? NULL : TextDatumGetCString(d);
        d = SPI_getbinval(tup, td, 5, &isnull);
        e->old_score = isnull ? 0.0 : DatumGetFloat8(d);
        e->old_rank = grade_rank(sm->m, e->old_grade);
        d = SPI_getbinval(tup, td, 3, &isnull);
        e->st = isnull ? NULL : evalstate_deserialize(DatumGetByteaPP(d), sm->m);
        /*
         * A state an evaluation run wrote as of a date before the run's day
         * may lack records dated after it: evaluate it afresh.
         */
        if (e->st != NULL && DatumGetBool(SPI_getbinval(tup, td, 6, &isnull)) && !isnull)
            e->st = NULL;
        if (e->st != NULL)
        {
            if (e->st->anchor < c->today)
                evalstate_reanchor(e->st, sm->m, c->today);
            if (e->delta)
                evalstate_merge(e->st, e->delta, sm->m, 1);
            state_tidy(e->st);
            evalstate_finalize(e->st, sm->m, Max(c->today, e->st->anchor), &e->res);
        }
        MemoryContextSwitchTo(old);
    }
    SPI_freetuptable(SPI_tuptable);
    pfree(q.data);
}

/*
 * Evaluate afresh, from their records, the pairs that have no usable state
 * (their records already include the statement's changes).  The old grade
 * of a pair without a stored row is what the records gave before the
 * statement.
 */
static void
fold_fresh(FoldCtx *c, GradeWork **w, int n)
{
    int         k;
    StringInfoData q;

    initStringInfo(&q);
    appendStringInfo(&q,
                     "SELECT k.s, %s.evaluate_agg($2, $3, r.item_code, r.decided_on, r.value, r.status) "
                     "FROM unnest($1) AS k(s) LEFT JOIN %s.record r ON r.subject_id = k.s "
                     "GROUP BY k.s",
                     c->nsp, c->nsp);
    for (k = 0; k < c->nmodels; k++)
    {
        int64      *subjects = palloc(sizeof(int64) * Max(n, 1));
        int         ns = 0;
        int         i;
        Datum       args[3];
        Oid         types[3] = {INT8ARRAYOID, TEXTOID, DATEOID};
        int         ret;
        uint64      j;
        StmtModel  *sm = &c->models[k];

        for (i = 0; i < n; i++)
            if (w[i]->key.model == k && w[i]->st == NULL)
                subjects[ns++] = w[i]->key.subject;
        if (ns == 0)
            continue;
        args[0] = int8_array(subjects, ns);
        args[1] = CStringGetTextDatum(sm->code);
        args[2] = DateADTGetDatum(c->today);
        ret = spi_run(q.data, 3, types, args, false);
        spi_check(ret, SPI_OK_SELECT, "evaluating subjects afresh");
        for (j = 0; j < SPI_processed; j++)
        {
            HeapTuple   tup = SPI_tuptable->vals[j];
            TupleDesc   td = SPI_tuptable->tupdesc;
            bool        isnull;
            int64       s = DatumGetInt64(SPI_getbinval(tup, td, 1, &isnull));
            Datum       d = SPI_getbinval(tup, td, 2, &isnull);
            GradeWork  *e = work_lookup(c, s, sm->code);
            MemoryContext old;

            if (e == NULL)
                continue;
            old = MemoryContextSwitchTo(c->cxt);
            e->st = isnull ? evalstate_create(sm->m, c->today)
                : evalstate_deserialize(DatumGetByteaPP(d), sm->m);
            if (e->st == NULL)
                elog(ERROR, "rules of model \"%s\" changed during the evaluation", sm->code);
            state_tidy(e->st);
            evalstate_finalize(e->st, sm->m, Max(c->today, e->st->anchor), &e->res);
            if (!e->has_old && e->delta)
            {
                /* what the records gave before this statement */
                EvalState  *before = evalstate_copy(e->st);
                EvalResult  r;

                evalstate_merge(before, e->delta, sm->m, -1);
                state_tidy(before);
                evalstate_finalize(before, sm->m, Max(c->today, before->anchor), &r);
                e->has_old = true;
                e->old_grade_null = (r.grade < 0);
                e->old_grade = r.grade < 0 ? NULL : pstrdup(sm->m->grades[r.grade].grade);
                e->old_score = r.score;
                e->old_rank = r.grade < 0 ? 0 : sm->m->grades[r.grade].rank;
            }
            MemoryContextSwitchTo(old);
        }
        SPI_freetuptable(SPI_tuptable);
    }
    pfree(q.data);
}

/* Arrays of the keys, new states, scores, grades and anchors of some pairs. */
static void
result_arrays(FoldCtx *c, GradeWork **w, int n, Datum *args)
{
    Datum      *st = palloc(sizeof(Datum) * Max(n, 1));
    bool       *nulls = palloc0(sizeof(bool) * Max(n, 1));
    double     *score = palloc(sizeof(double) * Max(n, 1));
    char      **grade = palloc(sizeof(char *) * Max(n, 1));
    Datum      *anchor = palloc(sizeof(Datum) * Max(n, 1));
    int         i;

    work_key_arrays(c, w, n, &args[0], &args[1]);
    for (i = 0; i < n; i++)
    {
        EvalModel  *m = c->models[w[i]->key.model].m;

        st[i] = PointerGetDatum(evalstate_serialize(w[i]->st));
        score[i] = w[i]->res.score;
        grade[i] = w[i]->res.grade < 0 ? NULL : m->grades[w[i]->res.grade].grade;
        anchor[i] = DateADTGetDatum(Max(c->today, w[i]->st->anchor));
    }
    args[2] = varlena_array(st, nulls, n, BYTEAOID);
    args[3] = float8_array(score, n);
    args[4] = text_array(grade, n);
    args[5] = PointerGetDatum(construct_array(anchor, n, DATEOID, 4, true, TYPALIGN_INT));
}

/* Write the new states of locked pairs back (one UPDATE for all). */
static void
write_updates(FoldCtx *c, GradeWork **w, int n)
{
    Datum       args[6];
    Oid         types[6] = {INT8ARRAYOID, TEXTARRAYOID, BYTEAARRAYOID, FLOAT8ARRAYOID,
    TEXTARRAYOID, DATEARRAYOID};
    StringInfoData q;
    int         ret;

    if (n == 0)
        return;
    result_arrays(c, w, n, args);
    initStringInfo(&q);
    appendStringInfo(&q,
                     "UPDATE %s.subject_grade g SET state = u.st, score = u.sc, grade = u.gr, "
                     "anchor = u.an, updated_at = pg_catalog.now(), run_id = NULL "
                     "FROM unnest($1, $2, $3, $4, $5, $6) AS u(s, m, st, sc, gr, an) "
                     "WHERE g.subject_id = u.s AND g.model = u.m",
                     c->nsp);
    ret = spi_run(q.data, 6, types, args, false);
    spi_check(ret, SPI_OK_UPDATE, "writing the grades");
}

/*
 * Insert the rows of pairs that had none and mark them locked.  A pair another transaction inserted meanwhile is
 * left unlocked (the caller locks and folds it).
 */
static void
write_inserts(FoldCtx *c, GradeWork **w, int n)
{
    Datum       args[6];
    Oid         types[6] = {INT8ARRAYOID, TEXTARRAYOID, BYTEAARRAYOID, FLOAT8ARRAYOID,
    TEXTARRAYOID, DATEARRAYOID};
    StringInfoData q;
    int         ret;
    uint64      i;

    if (n == 0)
        return;
    result_arrays(c, w, n, args);
    initStringInfo(&q);
    appendStringInfo(&q,
                     "INSERT INTO %s.subject_grade AS g (subject_id, model, state, score, grade, anchor, updated_at) "
                     "SELECT u.s, u.m, u.st, u.sc, u.gr, u.an, pg_catalog.now() "
                     "FROM unnest($1, $2, $3, $4, $5, $6) AS u(s, m, st, sc, gr, an) "
                     "ORDER BY u.s, u.m "
                     "ON CONFLICT (subject_id, model) DO NOTHING RETURNING g.subject_id, g.model",
                     c->nsp);
    ret = spi_run(q.data, 6, types, args, false);
    spi_check(ret, SPI_OK_INSERT_RETURNING, "inserting the grades");
    for (i = 0; i < SPI_processed; i++)
    {
        bool        isnull;
        int64       s = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1, &isnull));
        char       *m = TextDatumGetCString(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 2, &isnull));
        GradeWork  *e = work_lookup(c, s, m);

        if (e)
            e->locked = e->inserted = true;
    }
    SPI_freetuptable(SPI_tuptable);
}

/*
 * Log the grade changes, notify them and raise grade-drop warnings.
 * Returns how many grades changed.
 */
static int64
emit_grade_changes(FoldCtx *c, GradeWork **w, int n)
{
    int64      *s = palloc(sizeof(int64) * Max(n, 1));
    char      **m = palloc(sizeof(char *) * Max(n, 1));
    char      **og = palloc(sizeof(char *) * Max(n, 1));
    char      **ng = palloc(sizeof(char *) * Max(n, 1));
    double     *os = palloc(sizeof(double) * Max(n, 1));
    double     *ns = palloc(sizeof(double) * Max(n, 1));
    int64      *rid = palloc(sizeof(int64) * Max(n, 1));
    bool       *drop = palloc(sizeof(bool) * Max(n, 1));
    int         nc = 0;
    int         i;
    Datum       args[9];
    Oid         types[9] = {INT8ARRAYOID, TEXTARRAYOID, TEXTARRAYOID, TEXTARRAYOID,
        FLOAT8ARRAYOID, FLOAT8ARRAYOID, INT8ARRAYOID, TEXTOID, BOOLARRAYOID};
    StringInfoData q;
    int         ret;

    for (i = 0; i < n; i++)
    {
        GradeWork  *e = w[i];
        EvalModel  *mm = c->models[e->key.model].m;
        const char *newg = e->res.grade < 0 ? NULL : mm->grades[e->res.grade].grade;
        int         new_rank = e->res.grade < 0 ? 0 : mm->grades[e->res.grade].rank;

        if (!e->has_old)
            continue;
        if ((newg == NULL) == e->old_grade_null &&
            (newg == NULL || strcmp(newg, e->old_grade) == 0))
            continue;
        e->changed_grade = true;
        s[nc] = e->key.subject;
        m[nc] = c->models[e->key.model].code;
        og[nc] = e->old_grade;
        ng[nc] = (char *) newg;
        os[nc] = e->old_score;
        ns[nc] = e->res.score;
        rid[nc] = e->record_id;
        drop[nc] = c->warn_enabled[W_GRADE_DROP] && e->old_rank > 0 && new_rank > 0 &&
            new_rank - e->old_rank >= c->drop_threshold;
        nc++;
    }
    if (nc == 0)
        return 0;
    args[0] = int8_array(s, nc);
    args[1] = text_array(m, nc);
    args[2] = text_array(og, nc);
    args[3] = text_array(ng, nc);
    args[4] = float8_array(os, nc);
    args[5] = float8_array(ns, nc);
    args[6] = int8_array(rid, nc);
    args[7] = CStringGetTextDatum(cause_name[c->cause]);
    args[8] = bool_array(drop, nc);
    initStringInfo(&q);
    appendStringInfo(&q,
                     "WITH u AS (SELECT * FROM unnest($1, $2, $3, $4, $5, $6, $7, $9) "
                     "             AS u(s, m, og, ng, os, ns, rid, dr)), "
                     "gc AS (INSERT INTO %s.grade_change "
                     "         (subject_id, model, old_grade, new_grade, old_score, new_score, record_id, cause) "
                     "       SELECT s, m, og, ng, os, ns, nullif(rid, 0), $8 FROM u "
                     "       RETURNING id, subject_id, model, old_grade, new_grade, cause, record_id), "
                     "wd AS (INSERT INTO %s.warning (subject_id, kind, level, details, topic) "
                     "       SELECT u.s, r.kind, r.level, "
                     "              pg_catalog.jsonb_build_object('model', u.m, 'old_grade', u.og, "
                     "                'new_grade', u.ng, 'old_score', u.os, 'new_score', u.ns, 'cause', $8), u.m "
                     "         FROM u JOIN %s.warning_rule r ON r.kind = 'grade_drop' AND r.enabled "
                     "        WHERE u.dr "
                     "       ON CONFLICT (subject_id, kind, topic) WHERE resolved_at IS NULL DO NOTHING) "
                     "SELECT pg_catalog.count(pg_catalog.pg_notify('credit_grade_change', "
                     "         pg_catalog.json_build_object('id', id, 'subject', subject_id, 'model', model, "
                     "           'old', old_grade, 'new', new_grade, 'cause', cause, 'record', record_id)::text)) "
                     "  FROM (SELECT * FROM gc ORDER BY id) gc",
                     c->nsp, c->nsp, c->nsp);
    ret = spi_run(q.data, 9, types, args, false);
    spi_check(ret, SPI_OK_SELECT, "logging the grade changes");
    SPI_freetuptable(SPI_tuptable);
    pfree(q.data);
    return nc;
}

/*
 * An industry grade is a credit record the comprehensive models count
 * (as credit.run_evaluation writes it): when an industry model's grade
 * changed, expire the subject's previous grade record of that model and
 * insert the new one.  These writes fire the record triggers again, which
 * fold them into the comprehensive models within the same statement.
 */
static void
emit_industry_grades(FoldCtx *c, GradeWork **w, int n)
{
    int64      *s = palloc(sizeof(int64) * Max(n, 1));
    char      **m = palloc(sizeof(char *) * Max(n, 1));
    char      **g = palloc(sizeof(char *) * Max(n, 1));
    double     *sc = palloc(sizeof(double) * Max(n, 1));
    int         k = 0;
    int         i;
    Datum       args[4];
    Oid         types[4] = {INT8ARRAYOID, TEXTARRAYOID, TEXTARRAYOID, FLOAT8ARRAYOID};
    StringInfoData q;
    int         ret;

    for (i = 0; i < n; i++)
    {
        EvalModel  *mm = c->models[w[i]->key.model].m;

        if (!w[i]->changed_grade || strcmp(mm->scope, "comprehensive") == 0)
            continue;
        s[k] = w[i]->key.subject;
        m[k] = c->models[w[i]->key.model].code;
        g[k] = w[i]->res.grade < 0 ? NULL : mm->grades[w[i]->res.grade].grade;
        sc[k] = w[i]->res.score;
        k++;
    }
    if (k == 0)
        return;
    args[0] = int8_array(s, k);
    args[1] = text_array(m, k);
    args[2] = text_array(g, k);
    args[3] = float8_array(sc, k);
    initStringInfo(&q);
    appendStringInfo(&q,
                     "UPDATE %s.record r SET status = 'expired' "
                     "  FROM unnest($1, $2) AS u(s, m) "
                     " WHERE r.subject_id = u.s AND r.status = 'active' "
                     "   AND r.item_code IN (SELECT c.code FROM %s.catalog_item c WHERE c.category = 'industry_grade') "
                     "   AND r.details ->> 'model' = u.m",
                     c->nsp, c->nsp);
    ret = spi_run(q.data, 2, types, args, false);
    spi_check(ret, SPI_OK_UPDATE, "expiring industry grade records");
    resetStringInfo(&q);
    appendStringInfo(&q,
                     "INSERT INTO %s.record (subject_id, item_code, department, document_no, decided_on, value, details) "
                     "SELECT u.s, c.code, 'platform', 'incremental evaluation', CURRENT_DATE, 1, "
                     "       pg_catalog.jsonb_build_object('model', u.m, 'industry', md.scope, 'grade', u.g, "
                     "         'score', u.sc, 'run_id', NULL) "
                     "  FROM unnest($1, $2, $3, $4) AS u(s, m, g, sc) "
                     "  JOIN %s.model md ON md.code = u.m "
                     "  JOIN %s.catalog_item c ON c.code = 'industry_grade_' || pg_catalog.lower(u.g) "
                     " ORDER BY u.s, u.m",
                     c->nsp, c->nsp, c->nsp);
    ret = spi_run(q.data, 4, types, args, false);
    spi_check(ret, SPI_OK_INSERT, "writing industry grade records");
    pfree(q.data);
}

/*
 * Take the shared lock credit.run_evaluation takes exclusively, per touched
 * model (every model when w is NULL).
 */
static void
lock_models_shared(FoldCtx *c, GradeWork **w, int n)
{
    bool       *touched = palloc0(sizeof(bool) * Max(c->nmodels, 1));
    int         i;
    int32       key1 = DatumGetInt32(DirectFunctionCall1Coll(hashtext, DEFAULT_COLLATION_OID,
                                                             CStringGetTextDatum("credit.run_evaluation")));

    for (i = 0; i < n; i++)
        touched[w[i]->key.model] = true;
    if (w == NULL)              /* all models */
        for (i = 0; i < c->nmodels; i++)
            touched[i] = true;
    /* models are in code order: every writer takes these locks in one order */
    for (i = 0; i < c->nmodels; i++)
    {
        LOCKTAG     tag;
        int32       key2;

        if (!touched[i])
            continue;
        key2 = DatumGetInt32(DirectFunctionCall1Coll(hashtext, DEFAULT_COLLATION_OID,
                                                     CStringGetTextDatum(c->models[i].code)));
        SET_LOCKTAG_ADVISORY(tag, MyDatabaseId, (uint32) key1, (uint32) key2, 2);
        (void) LockAcquire(&tag, ShareLock, false, false);
    }
    pfree(touched);
}

/* Raise the warnings that inserted records call for. */
static void
emit_record_warnings(FoldCtx *c)
{
    StringInfoData q;
    int         ret;

    initStringInfo(&q);
    if (c->nrw > 0)
    {
        Datum       args[4];
        Oid         types[4] = {INT8ARRAYOID, INT8ARRAYOID, TEXTARRAYOID, TEXTARRAYOID};

        args[0] = int8_array(c->rw_subject, c->nrw);
        args[1] = int8_array(c->rw_record, c->nrw);
        args[2] = text_array(c->rw_item, c->nrw);
        args[3] = text_array((char **) c->rw_kind, c->nrw);
        /* a listing also warns the related subjects when relations are known */
        appendStringInfo(&q,
                         "INSERT INTO %s.warning (subject_id, kind, level, details, topic) "
                         "SELECT u.s, r.kind, r.level, "
                         "       pg_catalog.jsonb_build_object('record_id', u.rid, 'item_code', u.it), u.it "
                         "  FROM unnest($1, $2, $3, $4) AS u(s, rid, it, k) "
                         "  JOIN %s.warning_rule r ON r.kind = u.k AND r.enabled "
                         "ORDER BY u.s, u.rid "
                         "ON CONFLICT (subject_id, kind, topic) WHERE resolved_at IS NULL DO NOTHING",
                         c->nsp, c->nsp);
        ret = spi_run(q.data, 4, types, args, false);
        spi_check(ret, SPI_OK_INSERT, "raising record warnings");
        if (c->warn_enabled[W_RELATED])
        {
            bool        isnull;

            resetStringInfo(&q);
            appendStringInfo(&q, "SELECT pg_catalog.to_regclass('%s.relation') IS NOT NULL", c->nsp);
            ret = spi_run(q.data, 0, NULL, NULL, false);
            spi_check(ret, SPI_OK_SELECT, "looking for relations");
            if (DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull)))
            {
                resetStringInfo(&q);
                appendStringInfo(&q,
                                 "INSERT INTO %s.warning (subject_id, kind, level, details, topic) "
                                 "SELECT DISTINCT ON (x.rel, u.s) x.rel, r.kind, r.level, "
                                 "       pg_catalog.jsonb_build_object('listed_subject', u.s, 'record_id', u.rid, "
                                 "         'item_code', u.it, 'relation', x.kind), u.s::text "
                                 "  FROM unnest($1, $2, $3, $4) AS u(s, rid, it, k) "
                                 "  JOIN LATERAL (SELECT to_subject AS rel, kind FROM %s.relation "
                                 "                 WHERE from_subject = u.s "
                                 "                   AND (valid_to IS NULL OR valid_to >= CURRENT_DATE) "
                                 "                UNION ALL "
                                 "                SELECT from_subject, kind FROM %s.relation "
                                 "                 WHERE to_subject = u.s "
                                 "                   AND (valid_to IS NULL OR valid_to >= CURRENT_DATE)) x ON x.rel <> u.s "
                                 "  JOIN %s.warning_rule r ON r.kind = 'related_listed' AND r.enabled "
                                 " WHERE u.k = 'listed' "
                                 "ORDER BY x.rel, u.s, u.rid "
                                 "ON CONFLICT (subject_id, kind, topic) WHERE resolved_at IS NULL DO NOTHING",
                                 c->nsp, c->nsp, c->nsp, c->nsp);
                ret = spi_run(q.data, 4, types, args, false);
                spi_check(ret, SPI_OK_INSERT, "raising related-listing warnings");
            }
        }
    }

    if (hash_get_num_entries(c->repeat_subjects) > 0)
    {
        HASH_SEQ_STATUS seq;
        int64      *e;
        int         n = 0;
        int64      *s = palloc(sizeof(int64) * hash_get_num_entries(c->repeat_subjects));
        Datum       args[3];
        Oid         types[3] = {INT8ARRAYOID, INT4OID, DATEOID};

        hash_seq_init(&seq, c->repeat_subjects);
        while ((e = hash_seq_search(&seq)) != NULL)
            s[n++] = *e;
        args[0] = int8_array(s, n);
        args[1] = Int32GetDatum(c->repeat_threshold);
        args[2] = DateADTGetDatum(c->today - c->repeat_window);
        resetStringInfo(&q);
        appendStringInfo(&q,
                         "INSERT INTO %s.warning (subject_id, kind, level, details, topic) "
                         "SELECT x.subject_id, w.kind, w.level, "
                         "       pg_catalog.jsonb_build_object('negative_records', x.n, 'window_days', w.window_days, "
                         "         'threshold', w.threshold), '' "
                         "  FROM (SELECT r.subject_id, pg_catalog.count(*) AS n "
                         "          FROM %s.record r JOIN %s.catalog_item c ON c.code = r.item_code "
                         "         WHERE r.subject_id = ANY ($1) AND r.status = 'active' "
                         "           AND c.polarity = 'negative' AND r.decided_on > $3 "
                         "         GROUP BY r.subject_id HAVING pg_catalog.count(*) >= $2) x "
                         "  JOIN %s.warning_rule w ON w.kind = 'repeat_offence' AND w.enabled "
                         "ORDER BY x.subject_id "
                         "ON CONFLICT (subject_id, kind, topic) WHERE resolved_at IS NULL DO NOTHING",
                         c->nsp, c->nsp, c->nsp, c->nsp);
        ret = spi_run(q.data, 3, types, args, false);
        spi_check(ret, SPI_OK_INSERT, "raising repeat-offence warnings");
    }
    pfree(q.data);
}

/*
 * Bring the touched pairs up to date: lock in order, fold, evaluate afresh
 * where needed, write, and emit grade changes.  Returns the grade changes.
 */
static int64
fold_apply(FoldCtx *c, GradeWork **w, int n)
{
    GradeWork **todo = palloc(sizeof(GradeWork *) * Max(n, 1));
    int         ntodo = 0;
    GradeWork **upd = palloc(sizeof(GradeWork *) * Max(n, 1));
    int         nupd = 0;
    int         i;
    int64       changes;

    if (n == 0)
        return 0;
    /*
     * credit.run_evaluation holds its model's advisory lock exclusively while
     * it reads the records and writes the grades: waiting for it here (and
     * making it wait for us) means no fold is lost under a run.  Then the
     * table lock, before any row lock.
     */
    lock_models_shared(c, w, n);
    LockRelationOid(get_relname_relid("subject_grade", c->nspid), RowExclusiveLock);

    lock_and_fold(c, w, n);
    for (i = 0; i < n; i++)
        if (w[i]->st == NULL)
            todo[ntodo++] = w[i];
    if (ntodo > 0)
    {
        GradeWork **ins = palloc(sizeof(GradeWork *) * ntodo);
        int         nins = 0;
        GradeWork **again = palloc(sizeof(GradeWork *) * ntodo);
        int         nagain = 0;

        fold_fresh(c, todo, ntodo);
        for (i = 0; i < ntodo; i++)
            if (!todo[i]->locked)
                ins[nins++] = todo[i];
        write_inserts(c, ins, nins);
        /* inserted meanwhile by another transaction: lock, fold as usual */
        for (i = 0; i < nins; i++)
            if (!ins[i]->locked)
            {
                ins[i]->st = NULL;
                ins[i]->has_old = false;
                again[nagain++] = ins[i];
            }
        lock_and_fold(c, again, nagain);
        for (i = 0; i < nagain; i++)
            if (again[i]->st == NULL)
                ereport(ERROR,
                        (errcode(ERRCODE_T_R_SERIALIZATION_FAILURE),
                         errmsg("could not update the grade of subject " INT64_FORMAT " under model \"%s\"",
                                again[i]->key.subject, c->models[again[i]->key.model].code)));
    }
    for (i = 0; i < n; i++)
        if (w[i]->locked && !w[i]->inserted && w[i]->st != NULL)
            upd[nupd++] = w[i];
    write_updates(c, upd, nupd);
    changes = emit_grade_changes(c, w, n);
    emit_industry_grades(c, w, n);
    return changes;
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

    if (!credit_auto_evaluation)
        return PointerGetDatum(NULL);
    fold_init(&c, td->tg_relation, cause);

    /* act as the owner of credit.record: grades are maintained for everyone */
    GetUserIdAndSecContext(&save_userid, &save_sec);
    SetUserIdAndSecContext(td->tg_relation->rd_rel->relowner,
                           save_sec | SECURITY_LOCAL_USERID_CHANGE | SECURITY_NOFORCE_RLS);
    if (SPI_connect() != SPI_OK_CONNECT)
        elog(ERROR, "SPI_connect failed");

    fold_load_config(&c);
    if (cause == CAUSE_INSERT)
        fold_rows(&c, td->tg_newtable, 1);
    else if (cause == CAUSE_DELETE)
        fold_rows(&c, td->tg_oldtable, -1);
    else
        fold_update_rows(&c, td->tg_oldtable, td->tg_newtable);
    w = fold_scope(&c, &n);
    fold_apply(&c, w, n);
    emit_record_warnings(&c);

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
    fold_load_config(&c);
    lock_models_shared(&c, NULL, 0);
    LockRelationOid(get_relname_relid("subject_grade", nspid), RowExclusiveLock);

    /* every stored state anchored before as_of, locked in (subject, model) order */
    initStringInfo(&q);
    appendStringInfo(&q,
                     "SELECT g.subject_id, g.model FROM %s.subject_grade g "
                     "WHERE g.anchor < $1 "
                     "ORDER BY g.subject_id, g.model FOR UPDATE OF g",
                     c.nsp);
    arg = DateADTGetDatum(as_of);
    ret = spi_run(q.data, 1, &argtype, &arg, false);
    spi_check(ret, SPI_OK_SELECT, "locking the grades");
    w = MemoryContextAlloc(c.cxt, sizeof(GradeWork *) * Max(SPI_processed, 1));
    for (i = 0; i < SPI_processed; i++)
    {
        bool        isnull;
        int64       s = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1, &isnull));
        char       *m = TextDatumGetCString(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 2, &isnull));
        int         k = model_index(&c, m);
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
        w[n++] = e;
    }
    SPI_freetuptable(SPI_tuptable);

    /* rows are locked already: lock_and_fold re-reads them without waiting */
    keep = MemoryContextAlloc(c.cxt, sizeof(GradeWork *) * Max(n, 1));
    lock_and_fold(&c, w, n);
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
            fold_fresh(&c, todo, ntodo);
            for (i = 0; i < (uint64) ntodo; i++)
                keep[nkeep++] = todo[i];
        }
    }
    qsort_arg(keep, nkeep, sizeof(GradeWork *), work_cmp, &c);
    write_updates(&c, keep, nkeep);
    changes = emit_grade_changes(&c, keep, nkeep);
    emit_industry_grades(&c, keep, nkeep);
    SPI_finish();
    MemoryContextDelete(c.cxt);
    PG_RETURN_INT64(changes);
}
