/*
 * trigger_write.c
 *      Second phase of auto-evaluation (see trigger.c, trigger_commit.c):
 *      lock the touched states in (subject, model) order, fold the deltas in or evaluate
 *      afresh, write them back in one statement, and emit grade changes,
 *      notifications, industry grade records and warnings.
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
void
ingest_lock_and_fold(FoldCtx *c, GradeWork **w, int n)
{
    Datum       args[2];
    Oid         types[2] = {INT8ARRAYOID, TEXTARRAYOID};
    StringInfoData q;
    int         ret;
    uint64      i;

    if (n == 0)
        return;
    ingest_work_key_arrays(c, w, n, &args[0], &args[1]);
    initStringInfo(&q);
    appendStringInfo(&q,
                     "SELECT g.subject_id, g.model, g.state, g.grade, g.score::float8, "
                     "       (r.started_at IS NOT NULL AND g.anchor < r.started_at::date) "
                     "FROM %s.subject_grade g JOIN unnest($1, $2) AS k(s, m) "
                     "ON g.subject_id = k.s AND g.model = k.m "
                     "LEFT JOIN %s.evaluation_run r ON r.id = g.run_id "
                     "ORDER BY g.subject_id, g.model COLLATE \"C\" FOR UPDATE OF g",
                     c->nsp, c->nsp);
    ret = ingest_spi_run(q.data, 2, types, args, false);
    ingest_spi_check(ret, SPI_OK_SELECT, "locking the grades");
    for (i = 0; i < SPI_processed; i++)
    {
        HeapTuple   tup = SPI_tuptable->vals[i];
        TupleDesc   td = SPI_tuptable->tupdesc;
        bool        isnull;
        GradeWork  *e = ingest_work_of_row(c, i);
        Datum       d;
        StmtModel  *sm;
        MemoryContext old;

        /* a placeholder this fold inserted: evaluated afresh */
        if (e == NULL || e->inserted)
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
        /* a delta of an older rule set (rules edited within the transaction) */
        if (e->fresh)
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
void
ingest_fold_fresh(FoldCtx *c, GradeWork **w, int n)
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
        args[0] = ingest_int8_array(subjects, ns);
        args[1] = CStringGetTextDatum(sm->code);
        args[2] = DateADTGetDatum(c->today);
        ret = ingest_spi_run(q.data, 3, types, args, false);
        ingest_spi_check(ret, SPI_OK_SELECT, "evaluating subjects afresh");
        for (j = 0; j < SPI_processed; j++)
        {
            HeapTuple   tup = SPI_tuptable->vals[j];
            TupleDesc   td = SPI_tuptable->tupdesc;
            bool        isnull;
            int64       s = DatumGetInt64(SPI_getbinval(tup, td, 1, &isnull));
            Datum       d = SPI_getbinval(tup, td, 2, &isnull);
            GradeWork  *e = ingest_work_lookup(c, s, sm->code);
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

    ingest_work_key_arrays(c, w, n, &args[0], &args[1]);
    for (i = 0; i < n; i++)
    {
        EvalModel  *m = c->models[w[i]->key.model].m;

        st[i] = PointerGetDatum(evalstate_serialize(w[i]->st));
        score[i] = w[i]->res.score;
        grade[i] = w[i]->res.grade < 0 ? NULL : m->grades[w[i]->res.grade].grade;
        anchor[i] = DateADTGetDatum(Max(c->today, w[i]->st->anchor));
    }
    args[2] = ingest_varlena_array(st, nulls, n, BYTEAOID);
    args[3] = ingest_float8_array(score, n);
    args[4] = ingest_text_array(grade, n);
    args[5] = PointerGetDatum(construct_array(anchor, n, DATEOID, 4, true, TYPALIGN_INT));
}

/* Write the new states of locked pairs back (one UPDATE for all). */
void
ingest_write_updates(FoldCtx *c, GradeWork **w, int n)
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
    ret = ingest_spi_run(q.data, 6, types, args, false);
    ingest_spi_check(ret, SPI_OK_UPDATE, "writing the grades");
}

/*
 * Lock the stored rows of all pairs in one pass, in their sorted order,
 * inserting a placeholder row (filled in later by the same fold) for a pair
 * that has none.  ON CONFLICT DO UPDATE ... WHERE false locks an existing row
 * without writing it, so every grade lock of the fold, existing row or new
 * one, is taken in one global order: two folds never wait for each other in
 * a cycle.  The pairs whose row was inserted are marked inserted and locked.
 */
static void
lock_or_insert(FoldCtx *c, GradeWork **w, int n)
{
    Datum       args[3];
    Oid         types[3] = {INT8ARRAYOID, TEXTARRAYOID, DATEOID};
    StringInfoData q;
    int         ret;
    uint64      i;

    if (n == 0)
        return;
    ingest_work_key_arrays(c, w, n, &args[0], &args[1]);
    args[2] = DateADTGetDatum(c->today);
    initStringInfo(&q);
    appendStringInfo(&q,
                     "INSERT INTO %s.subject_grade AS g (subject_id, model, score, grade, state, anchor, updated_at) "
                     "SELECT u.s, u.m, 0, NULL, '\\x'::bytea, $3, pg_catalog.now() "
                     "FROM unnest($1, $2) WITH ORDINALITY AS u(s, m, o) ORDER BY u.o "
                     "ON CONFLICT (subject_id, model) DO UPDATE SET anchor = g.anchor WHERE false "
                     "RETURNING g.subject_id, g.model",
                     c->nsp);
    ret = ingest_spi_run(q.data, 3, types, args, false);
    ingest_spi_check(ret, SPI_OK_INSERT_RETURNING, "locking the grades");
    for (i = 0; i < SPI_processed; i++)
    {
        GradeWork  *e = ingest_work_of_row(c, i);

        if (e)
            e->locked = e->inserted = true;
    }
    SPI_freetuptable(SPI_tuptable);
    pfree(q.data);
}

/*
 * Log the grade changes, notify them and raise grade-drop warnings.
 * Returns how many grades changed.
 */
int64
ingest_emit_grade_changes(FoldCtx *c, GradeWork **w, int n)
{
    int64      *s = palloc(sizeof(int64) * Max(n, 1));
    char      **m = palloc(sizeof(char *) * Max(n, 1));
    char      **og = palloc(sizeof(char *) * Max(n, 1));
    char      **ng = palloc(sizeof(char *) * Max(n, 1));
    double     *os = palloc(sizeof(double) * Max(n, 1));
    double     *ns = palloc(sizeof(double) * Max(n, 1));
    int64      *rid = palloc(sizeof(int64) * Max(n, 1));
    bool       *drop = palloc(sizeof(bool) * Max(n, 1));
    char      **ca = palloc(sizeof(char *) * Max(n, 1));
    int         nc = 0;
    int         i;
    Datum       args[9];
    Oid         types[9] = {INT8ARRAYOID, TEXTARRAYOID, TEXTARRAYOID, TEXTARRAYOID,
        FLOAT8ARRAYOID, FLOAT8ARRAYOID, INT8ARRAYOID, TEXTARRAYOID, BOOLARRAYOID};
    StringInfoData q;
    int         ret;

    for (i = 0; i < n; i++)
    {
        GradeWork  *e = w[i];
        EvalModel  *mm = c->models[e->key.model].m;
        const char *newg = e->res.grade < 0 ? NULL : mm->grades[e->res.grade].grade;
        int         new_rank = e->res.grade < 0 ? 0 : mm->grades[e->res.grade].rank;

        if (!e->has_old || e->lock_only)
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
        ca[nc] = (char *) fold_cause_name[c->cause == CAUSE_DECAY ? CAUSE_DECAY : e->cause];
        drop[nc] = c->warn_enabled[W_GRADE_DROP] && e->old_rank > 0 && new_rank > 0 &&
            new_rank - e->old_rank >= c->drop_threshold;
        nc++;
    }
    if (nc == 0)
        return 0;
    args[0] = ingest_int8_array(s, nc);
    args[1] = ingest_text_array(m, nc);
    args[2] = ingest_text_array(og, nc);
    args[3] = ingest_text_array(ng, nc);
    args[4] = ingest_float8_array(os, nc);
    args[5] = ingest_float8_array(ns, nc);
    args[6] = ingest_int8_array(rid, nc);
    args[7] = ingest_text_array(ca, nc);
    args[8] = ingest_bool_array(drop, nc);
    initStringInfo(&q);
    appendStringInfo(&q,
                     "WITH u AS (SELECT * FROM unnest($1, $2, $3, $4, $5, $6, $7, $9, $8) "
                     "             AS u(s, m, og, ng, os, ns, rid, dr, ca)), "
                     "gc AS (INSERT INTO %s.grade_change "
                     "         (subject_id, model, old_grade, new_grade, old_score, new_score, record_id, cause) "
                     "       SELECT s, m, og, ng, os, ns, nullif(rid, 0), ca FROM u "
                     "       RETURNING id, subject_id, model, old_grade, new_grade, cause, record_id), "
                     "wd AS (INSERT INTO %s.warning (subject_id, kind, level, details, topic) "
                     "       SELECT u.s, r.kind, r.level, "
                     "              pg_catalog.jsonb_build_object('model', u.m, 'old_grade', u.og, "
                     "                'new_grade', u.ng, 'old_score', u.os, 'new_score', u.ns, 'cause', u.ca), u.m "
                     "         FROM u JOIN %s.warning_rule r ON r.kind = 'grade_drop' AND r.enabled "
                     "        WHERE u.dr "
                     "       ON CONFLICT (subject_id, kind, topic) WHERE resolved_at IS NULL DO NOTHING) "
                     "SELECT pg_catalog.count(pg_catalog.pg_notify('credit_grade_change', "
                     "         pg_catalog.json_build_object('id', id, 'subject', subject_id, 'model', model, "
                     "           'old', old_grade, 'new', new_grade, 'cause', cause, 'record', record_id)::text)) "
                     "  FROM (SELECT * FROM gc ORDER BY id) gc",
                     c->nsp, c->nsp, c->nsp);
    ret = ingest_spi_run(q.data, 9, types, args, false);
    ingest_spi_check(ret, SPI_OK_SELECT, "logging the grade changes");
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
void
ingest_emit_industry_grades(FoldCtx *c, GradeWork **w, int n)
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
    args[0] = ingest_int8_array(s, k);
    args[1] = ingest_text_array(m, k);
    args[2] = ingest_text_array(g, k);
    args[3] = ingest_float8_array(sc, k);
    initStringInfo(&q);
    appendStringInfo(&q,
                     "UPDATE %s.record r SET status = 'expired' "
                     "  FROM unnest($1, $2) AS u(s, m) "
                     " WHERE r.subject_id = u.s AND r.status = 'active' "
                     "   AND r.item_code IN (SELECT c.code FROM %s.catalog_item c WHERE c.category = 'industry_grade') "
                     "   AND r.details ->> 'model' = u.m",
                     c->nsp, c->nsp);
    ret = ingest_spi_run(q.data, 2, types, args, false);
    ingest_spi_check(ret, SPI_OK_UPDATE, "expiring industry grade records");
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
    ret = ingest_spi_run(q.data, 4, types, args, false);
    ingest_spi_check(ret, SPI_OK_INSERT, "writing industry grade records");
    pfree(q.data);
}

/*
 * Take the shared lock credit.run_evaluation takes exclusively, per touched
 * model (every model when w is NULL).
 */
void
ingest_lock_models_shared(FoldCtx *c, GradeWork **w, int n)
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
void
ingest_emit_record_warnings(FoldCtx *c)
{
    StringInfoData q;
    int         ret;

    initStringInfo(&q);
    if (c->nrw > 0)
    {
        Datum       args[4];
        Oid         types[4] = {INT8ARRAYOID, INT8ARRAYOID, TEXTARRAYOID, TEXTARRAYOID};

        args[0] = ingest_int8_array(c->rw_subject, c->nrw);
        args[1] = ingest_int8_array(c->rw_record, c->nrw);
        args[2] = ingest_text_array(c->rw_item, c->nrw);
        args[3] = ingest_text_array((char **) c->rw_kind, c->nrw);
        appendStringInfo(&q,
                         "INSERT INTO %s.warning (subject_id, kind, level, details, topic) "
                         "SELECT u.s, r.kind, r.level, "
                         "       pg_catalog.jsonb_build_object('record_id', u.rid, 'item_code', u.it), u.it "
                         "  FROM unnest($1, $2, $3, $4) AS u(s, rid, it, k) "
                         "  JOIN %s.warning_rule r ON r.kind = u.k AND r.enabled "
                         /* in the order of the open-warning key: concurrent folds never wait in a cycle */
                         "ORDER BY u.s, r.kind, u.it, u.rid "
                         "ON CONFLICT (subject_id, kind, topic) WHERE resolved_at IS NULL DO NOTHING",
                         c->nsp, c->nsp);
        ret = ingest_spi_run(q.data, 4, types, args, false);
        ingest_spi_check(ret, SPI_OK_INSERT, "raising record warnings");
        if (c->warn_enabled[W_RELATED])
        {
            /*
             * A subject put on a black list warns the subjects related to it
             * (in either direction, by a relation valid today of a kind that
             * warns): one open warning per related subject and listed subject,
             * inserted in the order of that key, after the statement above.
             */
            resetStringInfo(&q);
            appendStringInfo(&q,
                             "INSERT INTO %s.warning (subject_id, kind, level, details, topic) "
                             "SELECT DISTINCT ON (x.rel, u.s) x.rel, w.kind, w.level, "
                             "       pg_catalog.jsonb_build_object('listed_subject', u.s, 'record_id', u.rid, "
                             "         'item_code', u.it, 'relation', x.kind, 'relation_id', x.id), u.s::text "
                             "  FROM unnest($1, $2, $3, $4) AS u(s, rid, it, k) "
                             "  JOIN LATERAL (SELECT r.id, r.to_subject AS rel, r.kind FROM %s.relation r "
                             "                 WHERE r.from_subject = u.s "
                             "                   AND (r.valid_from IS NULL OR r.valid_from <= CURRENT_DATE) "
                             "                   AND (r.valid_to IS NULL OR r.valid_to >= CURRENT_DATE) "
                             "                UNION ALL "
                             "                SELECT r.id, r.from_subject, r.kind FROM %s.relation r "
                             "                 WHERE r.to_subject = u.s "
                             "                   AND (r.valid_from IS NULL OR r.valid_from <= CURRENT_DATE) "
                             "                   AND (r.valid_to IS NULL OR r.valid_to >= CURRENT_DATE)) x ON true "
                             "  JOIN %s.relation_kind rk ON rk.kind = x.kind AND rk.warns "
                             "  JOIN %s.warning_rule w ON w.kind = 'related_listed' AND w.enabled "
                             " WHERE u.k = 'listed' "
                             "   AND EXISTS (SELECT 1 FROM %s.list l WHERE l.item_code = u.it AND l.kind = 'black') "
                             "ORDER BY x.rel, u.s, u.rid, x.kind COLLATE \"C\", x.id "
                             "ON CONFLICT (subject_id, kind, topic) WHERE resolved_at IS NULL DO NOTHING",
                             c->nsp, c->nsp, c->nsp, c->nsp, c->nsp, c->nsp);
            ret = ingest_spi_run(q.data, 4, types, args, false);
            ingest_spi_check(ret, SPI_OK_INSERT, "raising related-listing warnings");
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
        args[0] = ingest_int8_array(s, n);
        args[1] = Int32GetDatum(c->repeat_threshold);
        args[2] = DateADTGetDatum(c->today - c->repeat_window);
        resetStringInfo(&q);
        appendStringInfo(&q,
                         "INSERT INTO %s.warning (subject_id, kind, level, details, topic) "
                         "SELECT x.subject_id, w.kind, w.level, "
                         "       pg_catalog.jsonb_build_object('negative_records', x.n, 'window_days', w.window_days, "
                         "         'threshold', w.threshold), '' "
                         /*
                          * a join with the subjects, not "= ANY ($1)": a scan
                          * filtered by a large array tests every row against
                          * every element
                          */
                         "  FROM (SELECT r.subject_id, pg_catalog.count(*) AS n "
                         "          FROM pg_catalog.unnest($1) AS u(s) "
                         "          JOIN %s.record r ON r.subject_id = u.s "
                         "          JOIN %s.catalog_item c ON c.code = r.item_code "
                         "         WHERE r.status = 'active' "
                         "           AND c.polarity = 'negative' AND r.decided_on > $3 "
                         "         GROUP BY r.subject_id HAVING pg_catalog.count(*) >= $2) x "
                         "  JOIN %s.warning_rule w ON w.kind = 'repeat_offence' AND w.enabled "
                         "ORDER BY x.subject_id "
                         "ON CONFLICT (subject_id, kind, topic) WHERE resolved_at IS NULL DO NOTHING",
                         c->nsp, c->nsp, c->nsp, c->nsp);
        ret = ingest_spi_run(q.data, 3, types, args, false);
        ingest_spi_check(ret, SPI_OK_INSERT, "raising repeat-offence warnings");
    }
    pfree(q.data);
}

/*
 * Bring the touched pairs up to date: lock in order, fold, evaluate afresh
 * where needed, write, and emit grade changes.  Returns the grade changes.
 */
int64
ingest_fold_apply(FoldCtx *c, GradeWork **w, int n)
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
     * table lock, then every row lock in one sorted pass.
     */
    ingest_lock_models_shared(c, w, n);
    LockRelationOid(get_relname_relid("subject_grade", c->nspid), RowExclusiveLock);
    lock_or_insert(c, w, n);

    /* re-read the locked rows (without waiting: they are ours) and fold */
    ingest_lock_and_fold(c, w, n);
    for (i = 0; i < n; i++)
        if (w[i]->st == NULL)
            todo[ntodo++] = w[i];
    if (ntodo > 0)
        ingest_fold_fresh(c, todo, ntodo);
    for (i = 0; i < n; i++)
    {
        if (w[i]->st == NULL)
            ereport(ERROR,
                    (errcode(ERRCODE_T_R_SERIALIZATION_FAILURE),
                     errmsg("could not update the grade of subject " INT64_FORMAT " under model \"%s\"",
                            w[i]->key.subject, c->models[w[i]->key.model].code)));
        /* a lock-only pair is written only to fill the placeholder it inserted */
        if (w[i]->locked && (!w[i]->lock_only || w[i]->inserted))
            upd[nupd++] = w[i];
    }
    ingest_write_updates(c, upd, nupd);
    changes = ingest_emit_grade_changes(c, w, n);
    ingest_emit_industry_grades(c, w, n);
    return changes;
}

