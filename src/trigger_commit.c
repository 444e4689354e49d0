/*
 * trigger_commit.c
 *      Folding at commit (credit.fold_at = 'commit', the default).
 *
 * A statement on credit.record computes its delta states and record-warning
 * notes as in statement mode (trigger.c), but instead of locking and writing
 * the grades it appends one row to credit.pending_fold.  The deferred
 * constraint trigger pending_fold_apply fires at commit: its first firing
 * takes (and deletes) every pending row of the transaction, merges the
 * deltas per (subject, model), and runs the usual pipeline once
 * (trigger_write.c), so every grade lock of the transaction is taken at one
 * point, in one (subject, model) order.  Two transactions therefore never
 * hold grade locks the other one waits for while waiting themselves: no
 * deadlock, whatever the order of their statements.
 *
 * The pending rows are ordinary MVCC rows: ROLLBACK and ROLLBACK TO
 * SAVEPOINT discard a statement's row (and its deferred event) with it.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/hsearch.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"

#include "credit.h"
#include "evalstate.h"
#include "ingest.h"

/* Kind name used in credit.pending_fold for a subject to check for repeat offences. */
#define REPEAT_KIND "repeat_offence"

/*
 * Statement side: append the statement's touched pairs (with their delta
 * states) and warning notes to credit.pending_fold.
 */
void
ingest_queue_fold(FoldCtx *c, GradeWork **w, int n)
{
    int         nrep = hash_get_num_entries(c->repeat_subjects);
    int         nw = c->nrw + nrep;
    Datum      *deltas = palloc(sizeof(Datum) * Max(n, 1));
    bool       *nulls = palloc0(sizeof(bool) * Max(n, 1));
    int64      *rid = palloc(sizeof(int64) * Max(n, 1));
    char      **cause = palloc(sizeof(char *) * Max(n, 1));
    int64      *ws = palloc(sizeof(int64) * Max(nw, 1));
    int64      *wr = palloc(sizeof(int64) * Max(nw, 1));
    char      **wi = palloc(sizeof(char *) * Max(nw, 1));
    char      **wk = palloc(sizeof(char *) * Max(nw, 1));
    Datum       args[9];
    Oid         types[9] = {INT8ARRAYOID, TEXTARRAYOID, BYTEAARRAYOID, INT8ARRAYOID, TEXTARRAYOID,
    INT8ARRAYOID, INT8ARRAYOID, TEXTARRAYOID, TEXTARRAYOID};
    StringInfoData q;
    int         i;
    int         ret;

    if (n == 0 && nw == 0)
        return;
    for (i = 0; i < n; i++)
    {
        deltas[i] = PointerGetDatum(evalstate_serialize(w[i]->delta));
        rid[i] = w[i]->record_id;
        cause[i] = (char *) fold_cause_name[w[i]->cause];
    }
    for (i = 0; i < c->nrw; i++)
    {
        ws[i] = c->rw_subject[i];
        wr[i] = c->rw_record[i];
        wi[i] = c->rw_item[i];
        wk[i] = (char *) c->rw_kind[i];
    }
    if (nrep > 0)
    {
        HASH_SEQ_STATUS seq;
        int64      *e;

        hash_seq_init(&seq, c->repeat_subjects);
        while ((e = hash_seq_search(&seq)) != NULL)
        {
            ws[i] = *e;
            wr[i] = 0;
            wi[i] = NULL;
            wk[i] = REPEAT_KIND;
            i++;
        }
    }
    ingest_work_key_arrays(c, w, n, &args[0], &args[1]);
    args[2] = ingest_varlena_array(deltas, nulls, n, BYTEAOID);
    args[3] = ingest_int8_array(rid, n);
    args[4] = ingest_text_array(cause, n);
    args[5] = ingest_int8_array(ws, nw);
    args[6] = ingest_int8_array(wr, nw);
    args[7] = ingest_text_array(wi, nw);
    args[8] = ingest_text_array(wk, nw);
    initStringInfo(&q);
    appendStringInfo(&q,
                     "INSERT INTO %s.pending_fold (subjects, models, deltas, record_ids, causes, "
                     "  warn_subjects, warn_records, warn_items, warn_kinds) "
                     "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                     c->nsp);
    ret = ingest_spi_run(q.data, 9, types, args, false);
    ingest_spi_check(ret, SPI_OK_INSERT, "queueing the fold");
    pfree(q.data);
}

/* The elements of a one-dimensional array column of a pending row. */
static int
pending_array(HeapTuple tup, TupleDesc td, int col, Oid type, Datum **d, bool **nulls)
{
    bool        isnull;
    Datum       v = SPI_getbinval(tup, td, col, &isnull);
    int16       typlen;
    bool        typbyval;
    char        typalign;
    int         n;

    if (isnull)
    {
        *d = NULL;
        *nulls = NULL;
        return 0;
    }
    get_typlenbyvalalign(type, &typlen, &typbyval, &typalign);
    deconstruct_array(DatumGetArrayTypeP(v), type, typlen, typbyval, typalign, d, nulls, &n);
    return n;
}

/* A fresh, empty table of touched pairs (one per round of the apply). */
static void
new_work_table(FoldCtx *c)
{
    HASHCTL     ctl;

    memset(&ctl, 0, sizeof(ctl));
    ctl.keysize = sizeof(GradeKey);
    ctl.entrysize = sizeof(GradeWork);
    ctl.hcxt = c->cxt;
    c->work = hash_create("credit fold work", 1024, &ctl, HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
}

/* Merge one pending row into the touched pairs and the warning notes. */
static void
merge_pending_row(FoldCtx *c, HeapTuple tup, TupleDesc td)
{
    Datum      *subj,
               *model,
               *delta,
               *rid,
               *cause,
               *ws,
               *wr,
               *wi,
               *wk;
    bool       *n1,
               *n2,
               *n3,
               *n4,
               *n5,
               *n6,
               *n7,
               *n8,
               *n9;
    int         n = pending_array(tup, td, 1, INT8OID, &subj, &n1);
    int         nw;
    int         i;
    MemoryContext old;

    if (pending_array(tup, td, 2, TEXTOID, &model, &n2) != n ||
        pending_array(tup, td, 3, BYTEAOID, &delta, &n3) != n ||
        pending_array(tup, td, 4, INT8OID, &rid, &n4) != n ||
        pending_array(tup, td, 5, TEXTOID, &cause, &n5) != n)
        elog(ERROR, "credit.pending_fold: arrays of different lengths");
    for (i = 0; i < n; i++)
    {
        char       *code = TextDatumGetCString(model[i]);
        int         k = ingest_model_index(c, code);
        char       *cs = TextDatumGetCString(cause[i]);
        GradeKey    key;
        GradeWork  *e;
        bool        found;
        EvalState  *d;
        EvalModel  *m;
        int         j;

        if (k < 0)              /* the model was dropped meanwhile */
            continue;
        m = c->models[k].m;
        memset(&key, 0, sizeof(key));
        key.subject = DatumGetInt64(subj[i]);
        key.model = k;
        e = hash_search(c->work, &key, HASH_ENTER, &found);
        old = MemoryContextSwitchTo(c->cxt);
        if (!found)
            memset(((char *) e) + sizeof(GradeKey), 0, sizeof(GradeWork) - sizeof(GradeKey));
        e->lock_only = false;
        d = n3[i] ? NULL : evalstate_deserialize(DatumGetByteaPP(delta[i]), m);
        if (d == NULL)
            e->fresh = true;
        else if (!e->fresh)
        {
            if (e->delta == NULL)
                e->delta = d;
            else
                evalstate_merge(e->delta, d, m, 1);
        }
        /* rows come in statement order: the last statement names the cause */
        e->record_id = DatumGetInt64(rid[i]);
        for (j = CAUSE_INSERT; j <= CAUSE_DELETE; j++)
            if (strcmp(cs, fold_cause_name[j]) == 0)
                e->cause = (FoldCause) j;
        MemoryContextSwitchTo(old);
    }

    nw = pending_array(tup, td, 6, INT8OID, &ws, &n6);
    if (pending_array(tup, td, 7, INT8OID, &wr, &n7) != nw ||
        pending_array(tup, td, 8, TEXTOID, &wi, &n8) != nw ||
        pending_array(tup, td, 9, TEXTOID, &wk, &n9) != nw)
        elog(ERROR, "credit.pending_fold: warning arrays of different lengths");
    for (i = 0; i < nw; i++)
    {
        char       *kind = TextDatumGetCString(wk[i]);
        int64       s = DatumGetInt64(ws[i]);
        int         k;

        if (strcmp(kind, REPEAT_KIND) == 0)
        {
            hash_search(c->repeat_subjects, &s, HASH_ENTER, NULL);
            continue;
        }
        for (k = 0; k < W_NKINDS; k++)
            if (strcmp(kind, fold_warn_kind[k]) == 0)
                ingest_note_record_warning(c, s, DatumGetInt64(wr[i]),
                                           n8[i] ? "" : TextDatumGetCString(wi[i]), fold_warn_kind[k]);
    }
}

/*
 * Lock order: an industry grade that changes writes an industry grade
 * record, which the comprehensive models count in a later round.  Their
 * pairs are locked in this round already (in the same sorted batch), so the
 * later round waits for no lock.
 */
static void
add_comprehensive_pairs(FoldCtx *c)
{
    HASH_SEQ_STATUS seq;
    GradeWork  *e;
    int64      *subjects = palloc(sizeof(int64) * Max(hash_get_num_entries(c->work), 1));
    int         ns = 0;
    int         i;
    int         k;

    hash_seq_init(&seq, c->work);
    while ((e = hash_seq_search(&seq)) != NULL)
        if (!e->lock_only && strcmp(c->models[e->key.model].m->scope, "comprehensive") != 0)
            subjects[ns++] = e->key.subject;
    for (i = 0; i < ns; i++)
        for (k = 0; k < c->nmodels; k++)
        {
            GradeKey    key;
            bool        found;

            if (strcmp(c->models[k].m->scope, "comprehensive") != 0)
                continue;
            memset(&key, 0, sizeof(key));
            key.subject = subjects[i];
            key.model = k;
            e = hash_search(c->work, &key, HASH_ENTER, &found);
            if (!found)
            {
                memset(((char *) e) + sizeof(GradeKey), 0, sizeof(GradeWork) - sizeof(GradeKey));
                e->lock_only = true;
            }
        }
    pfree(subjects);
}

PG_FUNCTION_INFO_V1(credit_pending_fold_apply);

/*
 * Deferred constraint trigger of credit.pending_fold: at commit, fold every
 * pending change of the transaction into the grades at once (the first
 * firing does it all; the others find nothing left).
 */
Datum
credit_pending_fold_apply(PG_FUNCTION_ARGS)
{
    TriggerData *td = (TriggerData *) fcinfo->context;
    Relation    rel;
    FoldCtx     c;
    Oid         save_userid;
    int         save_sec;
    bool        loaded = false;
    StringInfoData q;

    if (!CALLED_AS_TRIGGER(fcinfo) || !TRIGGER_FIRED_AFTER(td->tg_event) ||
        !TRIGGER_FIRED_FOR_ROW(td->tg_event) || !TRIGGER_FIRED_BY_INSERT(td->tg_event))
        elog(ERROR, "credit_pending_fold_apply: must be fired AFTER INSERT ... FOR EACH ROW");
    rel = td->tg_relation;

    memset(&c, 0, sizeof(c));
    c.cxt = AllocSetContextCreate(CurrentMemoryContext, "credit fold at commit", ALLOCSET_DEFAULT_SIZES);
    c.nspid = RelationGetNamespace(rel);
    c.nsp = quote_identifier(get_namespace_name(c.nspid));
    c.today = GetSQLCurrentDate();
    c.cause = CAUSE_INSERT;     /* each pair carries its own cause */

    GetUserIdAndSecContext(&save_userid, &save_sec);
    SetUserIdAndSecContext(rel->rd_rel->relowner,
                           save_sec | SECURITY_LOCAL_USERID_CHANGE | SECURITY_NOFORCE_RLS);
    if (SPI_connect() != SPI_OK_CONNECT)
        elog(ERROR, "SPI_connect failed");

    initStringInfo(&q);
    appendStringInfo(&q,
                     "WITH d AS (DELETE FROM %s.pending_fold WHERE xid = pg_catalog.pg_current_xact_id() "
                     "           RETURNING *) "
                     "SELECT subjects, models, deltas, record_ids, causes, "
                     "       warn_subjects, warn_records, warn_items, warn_kinds FROM d ORDER BY id",
                     c.nsp);

    /*
     * Rounds: the industry grade records the first round writes fire the
     * record triggers again, which queue more rows; fold those too, here,
     * before the record warnings of all rounds are raised at once.
     */
    for (;;)
    {
        int         ret = ingest_spi_run(q.data, 0, NULL, NULL, false);
        SPITupleTable *tt;
        uint64      i;
        GradeWork **w;
        int         n;

        ingest_spi_check(ret, SPI_OK_SELECT, "reading the pending folds");
        if (SPI_processed == 0)
        {
            SPI_freetuptable(SPI_tuptable);
            break;
        }
        tt = SPI_tuptable;
        if (!loaded)
        {
            ingest_load_config(&c);
            loaded = true;
        }
        else
            new_work_table(&c);
        for (i = 0; i < tt->numvals; i++)
            merge_pending_row(&c, tt->vals[i], tt->tupdesc);
        SPI_freetuptable(tt);
        add_comprehensive_pairs(&c);
        w = ingest_fold_scope(&c, &n);
        ingest_fold_apply(&c, w, n);
    }
    if (loaded)
        ingest_emit_record_warnings(&c);

    SPI_finish();
    SetUserIdAndSecContext(save_userid, save_sec);
    MemoryContextDelete(c.cxt);
    return PointerGetDatum(NULL);
}
