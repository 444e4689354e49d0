/*
 * fold_apply.c
 *      Applying deltas (fold.h): keep the pairs in their model's scope, lock
 *      the stored states in (subject, model) order, fold the deltas in or
 *      evaluate afresh, write the states back in one statement, and emit
 *      grade changes, industry grade records and warnings.  The record
 *      triggers, the commit queue and re-anchoring all come here.
 *
 * Runs inside an owner scope with SPI connected (fold_trigger.c).  Every
 * query is static and names its objects schema-qualified; the rules it
 * relies on are SQL functions of the extension, defined once and shared
 * with the PL/pgSQL code: credit.subject_in_scope, credit.evaluate_fresh,
 * credit.log_grade_changes, credit.replace_industry_grades,
 * credit.relation_valid.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_collation.h"
#include "common/hashfn.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "storage/lmgr.h"
#include "storage/lock.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/memutils.h"

#include "cache.h"
#include "fold.h"
#include "util.h"

/* ---- queries ---- */

/*
 * Lock the stored rows of the pairs in scope in one pass, in their sorted
 * order, inserting a placeholder row (filled in later by the same fold) for
 * a pair that has none.  ON CONFLICT DO UPDATE ... WHERE false locks an
 * existing row without writing it, so every grade lock of the fold, existing
 * row or new one, is taken in one global order: two folds never wait for
 * each other in a cycle.  A pair whose subject is not in the model's scope
 * is neither locked nor inserted (a stored row exists only for pairs in
 * scope: registration and scope changes keep it so).
 */
static CreditQuery q_lock_or_insert = {
	"INSERT INTO credit.subject_grade AS g (subject_id, model, score, grade, state, anchor, updated_at) "
	"SELECT u.s, u.m, 0, NULL, '\\x'::pg_catalog.bytea, $3, pg_catalog.now() "
	"FROM ROWS FROM (pg_catalog.unnest($1), pg_catalog.unnest($2)) WITH ORDINALITY AS u(s, m, o) "
	"JOIN credit.subject s ON s.id OPERATOR(pg_catalog.=) u.s "
	"JOIN credit.model m ON m.code OPERATOR(pg_catalog.=) u.m "
	"WHERE credit.subject_in_scope(s.kind, s.industries, m.subject_kinds, m.scope) "
	"ORDER BY u.o "
	"ON CONFLICT (subject_id, model) DO UPDATE SET anchor = g.anchor WHERE false "
	"RETURNING g.subject_id, g.model",
	3, {INT8ARRAYOID, TEXTARRAYOID, DATEOID}
};

/*
 * The stored rows of the pairs (locked already), and whether an evaluation
 * run wrote the state as of a date before the run's day (it may then lack
 * records dated after it).
 */
#define Q_READ \
	"SELECT g.subject_id, g.model, g.state, g.grade, g.score::pg_catalog.float8, " \
	"       (r.started_at IS NOT NULL AND g.anchor OPERATOR(pg_catalog.<) r.started_at::pg_catalog.date) " \
	"FROM credit.subject_grade g " \
	"JOIN ROWS FROM (pg_catalog.unnest($1), pg_catalog.unnest($2)) AS k(s, m) " \
	"  ON g.subject_id OPERATOR(pg_catalog.=) k.s AND g.model OPERATOR(pg_catalog.=) k.m " \
	"LEFT JOIN credit.evaluation_run r ON r.id OPERATOR(pg_catalog.=) g.run_id "
#define Q_READ_ORDER "ORDER BY g.subject_id, g.model COLLATE pg_catalog.\"C\" FOR UPDATE OF g"
static CreditQuery q_read = {
	Q_READ Q_READ_ORDER,
	2, {INT8ARRAYOID, TEXTARRAYOID}
};

/*
 * The same where Citus is loaded: the filter on the subjects routes the
 * query to the shard of the fold's subjects (one shard: a fold on a worker
 * folds the records of one shard).
 */
static CreditQuery q_read_routed = {
	Q_READ "WHERE g.subject_id OPERATOR(pg_catalog.=) ANY ($1) " Q_READ_ORDER,
	2, {INT8ARRAYOID, TEXTARRAYOID}
};

/* The same for one pair (the common single-row transaction): a plain index probe. */
static CreditQuery q_read1 = {
	"SELECT g.subject_id, g.model, g.state, g.grade, g.score::pg_catalog.float8, "
	"       (r.started_at IS NOT NULL AND g.anchor OPERATOR(pg_catalog.<) r.started_at::pg_catalog.date) "
	"FROM credit.subject_grade g "
	"LEFT JOIN credit.evaluation_run r ON r.id OPERATOR(pg_catalog.=) g.run_id "
	"WHERE g.subject_id OPERATOR(pg_catalog.=) $1 AND g.model OPERATOR(pg_catalog.=) $2 FOR UPDATE OF g",
	2, {INT8OID, TEXTOID}
};

/* Every stored state anchored before a day, locked in the folds' order. */
static CreditQuery q_lock_stale = {
	"SELECT g.subject_id, g.model FROM credit.subject_grade g "
	"WHERE g.anchor OPERATOR(pg_catalog.<) $1 "
	"ORDER BY g.subject_id, g.model COLLATE pg_catalog.\"C\" FOR UPDATE OF g",
	1, {DATEOID}
};

static CreditQuery q_fresh = {
	"SELECT f.subject_id, f.state FROM credit.evaluate_fresh($1, $2, $3) f",
	3, {INT8ARRAYOID, TEXTOID, DATEOID}
};

#define Q_WRITE \
	"UPDATE credit.subject_grade g SET state = u.st, score = u.sc, grade = u.gr, anchor = u.an, " \
	"       updated_at = pg_catalog.now(), run_id = NULL " \
	"FROM ROWS FROM (pg_catalog.unnest($1), pg_catalog.unnest($2), pg_catalog.unnest($3), " \
	"                pg_catalog.unnest($4), pg_catalog.unnest($5), pg_catalog.unnest($6)) " \
	"     AS u(s, m, st, sc, gr, an) " \
	"WHERE g.subject_id OPERATOR(pg_catalog.=) u.s AND g.model OPERATOR(pg_catalog.=) u.m"
static CreditQuery q_write = {
	Q_WRITE,
	6, {INT8ARRAYOID, TEXTARRAYOID, BYTEAARRAYOID, FLOAT8ARRAYOID, TEXTARRAYOID, DATEARRAYOID}
};

/* The same where Citus is loaded, routed to the subjects' shard. */
static CreditQuery q_write_routed = {
	Q_WRITE " AND g.subject_id OPERATOR(pg_catalog.=) ANY ($1)",
	6, {INT8ARRAYOID, TEXTARRAYOID, BYTEAARRAYOID, FLOAT8ARRAYOID, TEXTARRAYOID, DATEARRAYOID}
};

static CreditQuery q_write1 = {
	"UPDATE credit.subject_grade g SET state = $3, score = $4, grade = $5, anchor = $6, "
	"       updated_at = pg_catalog.now(), run_id = NULL "
	"WHERE g.subject_id OPERATOR(pg_catalog.=) $1 AND g.model OPERATOR(pg_catalog.=) $2",
	6, {INT8OID, TEXTOID, BYTEAOID, FLOAT8OID, TEXTOID, DATEOID}
};

/*
 * Set the listing flag of some locked rows (those of listed subjects): a
 * subject on a list has its listings read by credit.check.
 */
#define Q_FLAG_LISTED \
	"UPDATE credit.subject_grade g SET listed = true " \
	"FROM ROWS FROM (pg_catalog.unnest($1), pg_catalog.unnest($2)) AS u(s, m) " \
	"WHERE g.subject_id OPERATOR(pg_catalog.=) u.s AND g.model OPERATOR(pg_catalog.=) u.m AND NOT g.listed"
static CreditQuery q_flag_listed = {
	Q_FLAG_LISTED,
	2, {INT8ARRAYOID, TEXTARRAYOID}
};

/* The same where Citus is loaded, routed to the subjects' shard. */
static CreditQuery q_flag_listed_routed = {
	Q_FLAG_LISTED " AND g.subject_id OPERATOR(pg_catalog.=) ANY ($1)",
	2, {INT8ARRAYOID, TEXTARRAYOID}
};

/*
 * Drop the locked rows (of rescoped subjects) whose subject is no longer in
 * the model's scope.
 */
#define Q_DROP_OUT_OF_SCOPE \
	"DELETE FROM credit.subject_grade g " \
	" USING ROWS FROM (pg_catalog.unnest($1), pg_catalog.unnest($2)) AS u(s, m), credit.subject s, credit.model m " \
	"WHERE g.subject_id OPERATOR(pg_catalog.=) u.s AND g.model OPERATOR(pg_catalog.=) u.m " \
	"  AND s.id OPERATOR(pg_catalog.=) u.s AND m.code OPERATOR(pg_catalog.=) u.m " \
	"  AND NOT credit.subject_in_scope(s.kind, s.industries, m.subject_kinds, m.scope) "
static CreditQuery q_drop_out_of_scope = {
	Q_DROP_OUT_OF_SCOPE "RETURNING g.subject_id, g.model",
	2, {INT8ARRAYOID, TEXTARRAYOID}
};

/* The same where Citus is loaded, routed to the subjects' shard. */
static CreditQuery q_drop_out_of_scope_routed = {
	Q_DROP_OUT_OF_SCOPE "  AND g.subject_id OPERATOR(pg_catalog.=) ANY ($1) RETURNING g.subject_id, g.model",
	2, {INT8ARRAYOID, TEXTARRAYOID}
};

/* The stored rows of some subjects (not locked: the fold locks them in order). */
static CreditQuery q_stored_rows = {
	"SELECT g.subject_id, g.model FROM credit.subject_grade g "
	" WHERE g.subject_id OPERATOR(pg_catalog.=) ANY ($1)",
	1, {INT8ARRAYOID}
};

static CreditQuery q_grade_changes = {
	"SELECT credit.log_grade_changes($1, $2, $3, $4, $5, $6, $7, $8)",
	8, {INT8ARRAYOID, TEXTARRAYOID, TEXTARRAYOID, TEXTARRAYOID, FLOAT8ARRAYOID, FLOAT8ARRAYOID,
	INT8ARRAYOID, TEXTARRAYOID}
};

static CreditQuery q_industry = {
	"SELECT credit.replace_industry_grades($1, $2, $3, $4, NULL, CURRENT_DATE, NULL)",
	4, {INT8ARRAYOID, TEXTARRAYOID, TEXTARRAYOID, FLOAT8ARRAYOID}
};

static CreditQuery q_record_warnings = {
	"INSERT INTO credit.warning (subject_id, kind, level, details, topic) "
	"SELECT u.s, r.kind, r.level, "
	"       pg_catalog.jsonb_build_object('record_id', u.rid, 'item_code', u.it), u.it "
	"  FROM ROWS FROM (pg_catalog.unnest($1), pg_catalog.unnest($2), pg_catalog.unnest($3), "
	"                  pg_catalog.unnest($4)) AS u(s, rid, it, k) "
	"  JOIN credit.warning_rule r ON r.kind OPERATOR(pg_catalog.=) u.k AND r.enabled "

	/*
	 * in the order of the open-warning key: concurrent folds never wait in a
	 * cycle
	 */
	"ORDER BY u.s, r.kind, u.it, u.rid "
	"ON CONFLICT (subject_id, kind, topic) WHERE resolved_at IS NULL DO NOTHING",
	4, {INT8ARRAYOID, INT8ARRAYOID, TEXTARRAYOID, TEXTARRAYOID}
};

/*
 * A subject put on a black list warns the subjects related to it (in either
 * direction, by a relation valid today of a kind that warns): one open
 * warning per related subject and listed subject, inserted in the order of
 * that key.
 */
static CreditQuery q_related_warnings = {
	"INSERT INTO credit.warning (subject_id, kind, level, details, topic) "
	"SELECT DISTINCT ON (x.rel, u.s) x.rel, w.kind, w.level, "
	"       pg_catalog.jsonb_build_object('listed_subject', u.s, 'record_id', u.rid, "
	"         'item_code', u.it, 'relation', x.kind, 'relation_id', x.id), u.s::pg_catalog.text "
	"  FROM ROWS FROM (pg_catalog.unnest($1), pg_catalog.unnest($2), pg_catalog.unnest($3), "
	"                  pg_catalog.unnest($4)) AS u(s, rid, it, k) "
	"  JOIN LATERAL (SELECT r.id, r.to_subject AS rel, r.kind FROM credit.relation r "
	"                 WHERE r.from_subject OPERATOR(pg_catalog.=) u.s "
	"                   AND credit.relation_valid(r.valid_from, r.valid_to, CURRENT_DATE) "
	"                UNION ALL "
	"                SELECT r.id, r.from_subject, r.kind FROM credit.relation r "
	"                 WHERE r.to_subject OPERATOR(pg_catalog.=) u.s "
	"                   AND credit.relation_valid(r.valid_from, r.valid_to, CURRENT_DATE)) x ON true "
	"  JOIN credit.relation_kind rk ON rk.kind OPERATOR(pg_catalog.=) x.kind AND rk.warns "
	"  JOIN credit.warning_rule w ON w.kind OPERATOR(pg_catalog.=) 'related_listed' AND w.enabled "
	" WHERE u.k OPERATOR(pg_catalog.=) 'listed' "
	"   AND EXISTS (SELECT 1 FROM credit.list l "
	"                WHERE l.item_code OPERATOR(pg_catalog.=) u.it AND l.kind OPERATOR(pg_catalog.=) 'black') "
	"ORDER BY x.rel, u.s, u.rid, x.kind COLLATE pg_catalog.\"C\", x.id "
	"ON CONFLICT (subject_id, kind, topic) WHERE resolved_at IS NULL DO NOTHING",
	4, {INT8ARRAYOID, INT8ARRAYOID, TEXTARRAYOID, TEXTARRAYOID}
};

/* Whether one of some catalogue items is the item of a black list. */
static CreditQuery q_black_listing = {
	"SELECT 1 FROM credit.list l "
	" WHERE l.item_code OPERATOR(pg_catalog.=) ANY ($1) AND l.kind OPERATOR(pg_catalog.=) 'black' LIMIT 1",
	1, {TEXTARRAYOID}
};

/*
 * Each subject's negative records counted by its own index probe (the
 * negative items given, from the catalogue cache): a count per subject in a
 * LATERAL subquery cannot be turned into a join of the whole array against
 * the records, which a plan saved while the tables were small (the array's
 * size unknown to it) ran as a nested loop filtering every record against
 * every subject.  Run with sequential scans off (repeat_offence_run).  The
 * subject is the probe's only index condition (the item, date and status
 * are the count's FILTER): a plan that also read credit.record_item_idx,
 * chosen on statistics of an emptied table, ANDed every subject's few
 * records with a bitmap of all the negative records of the window (27,000
 * per subject in bench/intake, 15 s of a 17 s statement).
 */
static CreditQuery q_repeat_warnings = {
	"INSERT INTO credit.warning (subject_id, kind, level, details, topic) "
	"SELECT u.s, w.kind, w.level, "
	"       pg_catalog.jsonb_build_object('negative_records', x.n, 'window_days', w.window_days, "
	"         'threshold', w.threshold), '' "
	"  FROM pg_catalog.unnest($1) AS u(s) "
	"  CROSS JOIN LATERAL (SELECT pg_catalog.count(*) "
	"                               FILTER (WHERE r.status OPERATOR(pg_catalog.=) 'active' "
	"                                         AND r.item_code OPERATOR(pg_catalog.=) ANY ($4) "
	"                                         AND r.decided_on OPERATOR(pg_catalog.>) $3) AS n "
	"                        FROM credit.record r "
	"                       WHERE r.subject_id OPERATOR(pg_catalog.=) u.s) x "
	"  JOIN credit.warning_rule w ON w.kind OPERATOR(pg_catalog.=) 'repeat_offence' AND w.enabled "
	" WHERE x.n OPERATOR(pg_catalog.>=) $2 "
	"ORDER BY u.s "
	"ON CONFLICT (subject_id, kind, topic) WHERE resolved_at IS NULL DO NOTHING",
	4, {INT8ARRAYOID, INT8OID, DATEOID, TEXTARRAYOID}
};

/*
 * The same for one subject (the common single-row transaction): an
 * index-only count of its records (the subject the only index condition, as
 * above), the negative items given (from the catalogue cache) instead of
 * joined; the warning is inserted only when the count reaches the threshold
 * (rarely: the insertion's executor start costs more than the count).
 */
static CreditQuery q_repeat_count1 = {
	"SELECT pg_catalog.count(*) "
	"         FILTER (WHERE r.status OPERATOR(pg_catalog.=) 'active' "
	"                   AND r.item_code OPERATOR(pg_catalog.=) ANY ($3) AND r.decided_on OPERATOR(pg_catalog.>) $2) "
	"  FROM credit.record r WHERE r.subject_id OPERATOR(pg_catalog.=) $1",
	3, {INT8OID, DATEOID, TEXTARRAYOID}
};
static CreditQuery q_repeat_warning1 = {
	"INSERT INTO credit.warning (subject_id, kind, level, details, topic) "
	"SELECT $1, w.kind, w.level, "
	"       pg_catalog.jsonb_build_object('negative_records', $2, 'window_days', w.window_days, "
	"         'threshold', w.threshold), '' "
	"  FROM credit.warning_rule w "
	" WHERE w.kind OPERATOR(pg_catalog.=) 'repeat_offence' AND w.enabled "
	"ON CONFLICT (subject_id, kind, topic) WHERE resolved_at IS NULL DO NOTHING",
	2, {INT8OID, INT8OID}
};

/* ---- helpers ---- */

/* Rank of a grade of a model (1 best), 0 when unknown. */
static int
grade_rank(const EvalModel *m, const char *grade)
{
	int			i;

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
	int			i;

	for (i = 0; i < st->nitems; i++)
		if (st->count[i] == 0)
			st->sum[i] = 0.0;
}

/* Arrays of the subjects and model codes of some pairs. */
static void
key_arrays(FoldCtx *c, FoldPair **w, int n, Datum *subjects, Datum *models)
{
	int64	   *s = palloc(sizeof(int64) * Max(n, 1));
	char	  **m = palloc(sizeof(char *) * Max(n, 1));
	int			i;

	for (i = 0; i < n; i++)
	{
		s[i] = w[i]->key.subject;
		m[i] = c->models[w[i]->key.model]->code;
	}
	*subjects = credit_int8_array(s, n);
	*models = credit_text_array(m, n);
}

/* The pair named by columns 1 (subject) and 2 (model code) of SPI result row i, or NULL. */
static FoldPair *
pair_of_row(FoldCtx *c, uint64 i)
{
	HeapTuple	tup = SPI_tuptable->vals[i];
	TupleDesc	td = SPI_tuptable->tupdesc;
	bool		isnull;
	int64		s = DatumGetInt64(SPI_getbinval(tup, td, 1, &isnull));
	char	   *m = TextDatumGetCString(SPI_getbinval(tup, td, 2, &isnull));

	return fold_pair_lookup(c, s, m);
}

/* ---- locks ---- */

/*
 * The lock credit.run_evaluation holds exclusively while it reads the
 * records and writes a model's grades, and every fold holds shared on the
 * models it touches: a fold waits for a run (and a run for the folds), so no
 * fold is lost under a run.
 */
void
credit_lock_model(const char *code, LOCKMODE mode)
{
	LOCKTAG		tag;
	uint32		key1 = DatumGetUInt32(hash_any((const unsigned char *) "credit.run_evaluation",
											   strlen("credit.run_evaluation")));
	uint32		key2 = DatumGetUInt32(hash_any((const unsigned char *) code, strlen(code)));

	SET_LOCKTAG_ADVISORY(tag, MyDatabaseId, key1, key2, 3);
	(void) LockAcquire(&tag, mode, false, false);
}

/* Share-lock the touched models (every model when w is NULL), in code order. */
void
fold_lock_models(FoldCtx *c, FoldPair **w, int n)
{
	bool	   *touched = palloc0(sizeof(bool) * Max(c->nmodels, 1));
	int			i;

	for (i = 0; i < n; i++)
		touched[w[i]->key.model] = true;
	for (i = 0; i < c->nmodels; i++)
		if (w == NULL || touched[i])
			credit_lock_model(c->models[i]->code, ShareLock);
	pfree(touched);
}

PG_FUNCTION_INFO_V1(credit_lock_evaluation);
/*
 * credit.lock_evaluation(model text): take the model's evaluation lock
 * exclusively until the end of the transaction (credit.run_evaluation).
 */
Datum
credit_lock_evaluation(PG_FUNCTION_ARGS)
{
	char	   *code = text_to_cstring(PG_GETARG_TEXT_PP(0));

	credit_lock_model(code, ExclusiveLock);
	PG_RETURN_VOID();
}

/*
 * Lock order across rounds: an industry grade that changes writes an
 * industry grade record, which the comprehensive models count in a later
 * round.  Their pairs are locked in this round already (in the same sorted
 * batch), so the later round waits for no lock.
 */
void
fold_add_comprehensive_pairs(FoldCtx *c)
{
	HASH_SEQ_STATUS seq;
	FoldPair   *e;
	int64	   *subjects = palloc(sizeof(int64) * Max(hash_get_num_entries(c->pairs), 1));
	int			ns = 0;
	int			i;
	int			k;

	hash_seq_init(&seq, c->pairs);
	while ((e = hash_seq_search(&seq)) != NULL)
		if (!e->lock_only && strcmp(c->models[e->key.model]->scope, "comprehensive") != 0)
			subjects[ns++] = e->key.subject;
	for (i = 0; i < ns; i++)
		for (k = 0; k < c->nmodels; k++)
		{
			bool		found;

			if (strcmp(c->models[k]->scope, "comprehensive") != 0)
				continue;
			e = fold_pair_enter(c, subjects[i], k, &found);
			if (!found)
				e->lock_only = true;
		}
	pfree(subjects);
}

/*
 * Writes of grade rows that other statements call for are made here, in
 * the fold's one sorted lock pass, never at the statement: a write there
 * would lock the rows from the statement to commit, and two transactions
 * touching subjects in opposite orders would wait for each other.  Two
 * kinds of subject come with their statement's pending row:
 *
 * - A subject put on a list gets the listing flag
 *   (credit.subject_grade.listed) of every stored row set: credit.check
 *   skips the listings only when every row of the subject says false, and a
 *   row flagged alone could be dropped by a scope change.  Whatever can
 *   make a listing (a record of a list's item, folded or not; a resolved
 *   active list entry; a list given an item) queues its subjects, so a flag
 *   is never missed; credit.refresh_listed clears flags holding off those
 *   writers.
 * - A subject whose kind or industries changed loses its rows outside a
 *   model's scope (credit.subject_scope_grades inserts those of the models
 *   it enters at once: no other transaction sees the subject in their scope
 *   before it commits).
 *
 * Every stored row of such a subject is locked with the pairs: a lock-only
 * pair per row stored when the fold starts (read without a lock), locked
 * only if still stored; a row inserted later starts flagged and in scope.
 */
void
fold_add_subject_pairs(FoldCtx *c)
{
	HTAB	   *sets[2] = {c->listed_subjects, c->rescoped_subjects};
	int64	   *subjects = palloc(sizeof(int64) * Max(hash_get_num_entries(sets[0]) +
													 hash_get_num_entries(sets[1]), 1));
	int			ns = 0;
	int			j;

	for (j = 0; j < 2; j++)
	{
		HASH_SEQ_STATUS seq;
		int64	   *e;

		hash_seq_init(&seq, sets[j]);
		while ((e = hash_seq_search(&seq)) != NULL)
			subjects[ns++] = *e;
	}
	if (ns == 0)
		return;

	/*
	 * On a Citus worker one subject per query, routed to its shard (see
	 * apply_all in fold_trigger.c); a subject in both sets is read twice,
	 * its pairs entered once.
	 */
	for (j = 0; j < ns; j = c->on_shard ? j + 1 : ns)
	{
		Datum		arg = credit_int8_array(subjects + j, c->on_shard ? 1 : ns);
		uint64		i;

		credit_query_exec(&q_stored_rows, &arg, NULL, false, SPI_OK_SELECT, "reading the grades of subjects");
		for (i = 0; i < SPI_processed; i++)
		{
			bool		isnull;
			bool		found;
			int64		s = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1, &isnull));
			char	   *m = TextDatumGetCString(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 2, &isnull));
			int			k = fold_model_index(c, m);
			FoldPair   *p;

			/*
			 * a model created after the model cache was read: its rows were
			 * written flagged and in scope by its first run
			 */
			if (k < 0)
				continue;
			p = fold_pair_enter(c, s, k, &found);
			if (!found)
				p->lock_only = p->stored_only = true;
		}
		SPI_freetuptable(SPI_tuptable);
	}
	pfree(subjects);
}

/* The locked, stored rows among some pairs of the subjects of a set. */
static FoldPair **
locked_rows_of(FoldPair **w, int n, HTAB *set, int *nout)
{
	FoldPair  **f = palloc(sizeof(FoldPair *) * Max(n, 1));
	int			nf = 0;
	int			i;

	if (hash_get_num_entries(set) > 0)
		for (i = 0; i < n; i++)
			if (w[i]->locked && !w[i]->inserted &&
				hash_search(set, &w[i]->key.subject, HASH_FIND, NULL) != NULL)
				f[nf++] = w[i];
	*nout = nf;
	return f;
}

/*
 * Drop the rows of rescoped subjects outside their model's scope (the pairs
 * are then out of scope: neither written nor logged), then set the listing
 * flag of the rows of listed subjects.
 */
static void
rewrite_subject_rows(FoldCtx *c, FoldPair **w, int n)
{
	FoldPair  **f;
	int			nf;
	Datum		args[2];
	uint64		i;

	f = locked_rows_of(w, n, c->rescoped_subjects, &nf);
	if (nf > 0)
	{
		key_arrays(c, f, nf, &args[0], &args[1]);
		credit_query_exec(credit_citus_loaded() ? &q_drop_out_of_scope_routed : &q_drop_out_of_scope,
						  args, NULL, false, SPI_OK_DELETE_RETURNING, "dropping grades out of scope");
		for (i = 0; i < SPI_processed; i++)
		{
			FoldPair   *e = pair_of_row(c, i);

			if (e)
				e->locked = false;
		}
		SPI_freetuptable(SPI_tuptable);
	}
	f = locked_rows_of(w, n, c->listed_subjects, &nf);
	if (nf > 0)
	{
		key_arrays(c, f, nf, &args[0], &args[1]);
		credit_query_exec(credit_citus_loaded() ? &q_flag_listed_routed : &q_flag_listed,
						  args, NULL, false, SPI_OK_UPDATE, "flagging listed subjects");
	}
}

/* ---- lock, fold, evaluate afresh, write ---- */

/*
 * Insert placeholders for the rows of some pairs (sorted) that have none,
 * where the subject is in the model's scope, and lock those that exist.
 */
static void
lock_or_insert(FoldCtx *c, FoldPair **w, int n)
{
	Datum		args[3];
	uint64		i;

	key_arrays(c, w, n, &args[0], &args[1]);
	args[2] = DateADTGetDatum(c->today);
	credit_query_exec(&q_lock_or_insert, args, NULL, false, SPI_OK_INSERT_RETURNING, "locking the grades");
	for (i = 0; i < SPI_processed; i++)
	{
		FoldPair   *e = pair_of_row(c, i);

		if (e)
			e->locked = e->inserted = true;
	}
	SPI_freetuptable(SPI_tuptable);
}

/*
 * Lock (FOR UPDATE, in the pairs' order) and read the rows of some pairs
 * and fold the deltas into those found.  Pairs whose row is a placeholder of
 * this fold, or whose state is of an older rule set, are left with st = NULL
 * (evaluated afresh).
 */
static void
read_and_fold(FoldCtx *c, FoldPair **w, int n)
{
	Datum		args[2];
	uint64		i;

	if (n == 1)
	{
		args[0] = Int64GetDatum(w[0]->key.subject);
		args[1] = CStringGetTextDatum(c->models[w[0]->key.model]->code);
		credit_query_exec(&q_read1, args, NULL, false, SPI_OK_SELECT, "reading the grades");
	}
	else
	{
		key_arrays(c, w, n, &args[0], &args[1]);
		credit_query_exec(credit_citus_loaded() ? &q_read_routed : &q_read, args, NULL, false, SPI_OK_SELECT, "reading the grades");
	}
	for (i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	td = SPI_tuptable->tupdesc;
		bool		isnull;
		FoldPair   *e = pair_of_row(c, i);
		Datum		d;
		EvalModel  *m;
		MemoryContext old;

		/* a placeholder this fold inserted: evaluated afresh */
		if (e == NULL || e->inserted)
			continue;
		m = c->models[e->key.model];
		old = MemoryContextSwitchTo(c->cxt);
		e->locked = true;
		e->has_old = true;
		d = SPI_getbinval(tup, td, 4, &isnull);
		e->old_grade_null = isnull;
		e->old_grade = isnull ? NULL : TextDatumGetCString(d);
		d = SPI_getbinval(tup, td, 5, &isnull);
		e->old_score = isnull ? 0.0 : DatumGetFloat8(d);
		e->old_rank = grade_rank(m, e->old_grade);
		d = SPI_getbinval(tup, td, 3, &isnull);
		e->st = isnull ? NULL : evalstate_deserialize(DatumGetByteaPP(d), m);
		if (e->st != NULL && DatumGetBool(SPI_getbinval(tup, td, 6, &isnull)) && !isnull)
			e->st = NULL;
		if (e->fresh)			/* a delta of an older rule set */
			e->st = NULL;
		if (e->st != NULL)
		{
			if (e->st->anchor < c->today)
				evalstate_reanchor(e->st, m, c->today);
			if (e->delta)
				evalstate_merge(e->st, e->delta, m, 1);
			state_tidy(e->st);
			evalstate_finalize(e->st, m, Max(c->today, e->st->anchor), &e->res);
		}
		MemoryContextSwitchTo(old);
	}
	SPI_freetuptable(SPI_tuptable);
}

/*
 * Evaluate afresh, from their records, the pairs without a usable state
 * (their records already include the changes being folded).  The old grade
 * of a pair without a stored row is what the records gave before.
 */
static void
fold_fresh(FoldCtx *c, FoldPair **w, int n)
{
	int			k;

	for (k = 0; k < c->nmodels; k++)
	{
		int64	   *subjects = palloc(sizeof(int64) * Max(n, 1));
		int			ns = 0;
		int			i;
		Datum		args[3];
		uint64		j;
		EvalModel  *m = c->models[k];

		for (i = 0; i < n; i++)
			if (w[i]->key.model == k && w[i]->st == NULL)
				subjects[ns++] = w[i]->key.subject;
		if (ns == 0)
			continue;
		args[0] = credit_int8_array(subjects, ns);
		args[1] = CStringGetTextDatum(m->code);
		args[2] = DateADTGetDatum(c->today);
		credit_query_exec(&q_fresh, args, NULL, true, SPI_OK_SELECT, "evaluating subjects afresh");
		for (j = 0; j < SPI_processed; j++)
		{
			HeapTuple	tup = SPI_tuptable->vals[j];
			TupleDesc	td = SPI_tuptable->tupdesc;
			bool		isnull;
			int64		s = DatumGetInt64(SPI_getbinval(tup, td, 1, &isnull));
			Datum		d = SPI_getbinval(tup, td, 2, &isnull);
			FoldPair   *e = fold_pair_lookup(c, s, m->code);
			MemoryContext old;

			if (e == NULL)
				continue;
			old = MemoryContextSwitchTo(c->cxt);
			e->st = isnull ? evalstate_create(m, c->today) : evalstate_deserialize(DatumGetByteaPP(d), m);
			if (e->st == NULL)
				elog(ERROR, "rules of model \"%s\" changed during the evaluation", m->code);
			state_tidy(e->st);
			evalstate_finalize(e->st, m, Max(c->today, e->st->anchor), &e->res);
			if (!e->has_old && e->delta)
			{
				/* what the records gave before the change */
				EvalState  *before = evalstate_copy(e->st);
				EvalResult	r;

				evalstate_merge(before, e->delta, m, -1);
				state_tidy(before);
				evalstate_finalize(before, m, Max(c->today, before->anchor), &r);
				e->has_old = true;
				e->old_grade_null = (r.grade < 0);
				e->old_grade = r.grade < 0 ? NULL : pstrdup(m->grades[r.grade].grade);
				e->old_score = r.score;
				e->old_rank = r.grade < 0 ? 0 : m->grades[r.grade].rank;
			}
			MemoryContextSwitchTo(old);
		}
		SPI_freetuptable(SPI_tuptable);
		pfree(subjects);
	}
}

/* Write the new states of some locked pairs back (one UPDATE for all). */
static void
write_states(FoldCtx *c, FoldPair **w, int n)
{
	Datum	   *st = palloc(sizeof(Datum) * Max(n, 1));
	double	   *score = palloc(sizeof(double) * Max(n, 1));
	char	  **grade = palloc(sizeof(char *) * Max(n, 1));
	DateADT    *anchor = palloc(sizeof(DateADT) * Max(n, 1));
	Datum		args[6];
	int			i;

	if (n == 0)
		return;
	for (i = 0; i < n; i++)
	{
		EvalModel  *m = c->models[w[i]->key.model];

		st[i] = PointerGetDatum(evalstate_serialize(w[i]->st));
		score[i] = w[i]->res.score;
		grade[i] = w[i]->res.grade < 0 ? NULL : m->grades[w[i]->res.grade].grade;
		anchor[i] = Max(c->today, w[i]->st->anchor);
	}
	if (n == 1)
	{
		char		nulls[6] = {' ', ' ', ' ', ' ', grade[0] ? ' ' : 'n', ' '};

		args[0] = Int64GetDatum(w[0]->key.subject);
		args[1] = CStringGetTextDatum(c->models[w[0]->key.model]->code);
		args[2] = st[0];
		args[3] = Float8GetDatum(score[0]);
		args[4] = grade[0] ? CStringGetTextDatum(grade[0]) : (Datum) 0;
		args[5] = DateADTGetDatum(anchor[0]);
		credit_query_exec(&q_write1, args, nulls, false, SPI_OK_UPDATE, "writing the grades");
		return;
	}
	key_arrays(c, w, n, &args[0], &args[1]);
	args[2] = credit_varlena_array(st, NULL, n, BYTEAOID);
	args[3] = credit_float8_array(score, n);
	args[4] = credit_text_array(grade, n);
	args[5] = credit_date_array(anchor, n);
	credit_query_exec(credit_citus_loaded() ? &q_write_routed : &q_write, args, NULL, false, SPI_OK_UPDATE, "writing the grades");
}

/* ---- emit ---- */

/*
 * Log the grade changes (credit.log_grade_changes: grade_change rows,
 * NOTIFY credit_grade_change, grade-drop warnings).  Returns how many
 * grades changed.
 */
static int64
emit_grade_changes(FoldCtx *c, FoldPair **w, int n)
{
	int64	   *s = palloc(sizeof(int64) * Max(n, 1));
	char	  **m = palloc(sizeof(char *) * Max(n, 1));
	char	  **og = palloc(sizeof(char *) * Max(n, 1));
	char	  **ng = palloc(sizeof(char *) * Max(n, 1));
	double	   *os = palloc(sizeof(double) * Max(n, 1));
	double	   *ns = palloc(sizeof(double) * Max(n, 1));
	int64	   *rid = palloc(sizeof(int64) * Max(n, 1));
	char	  **ca = palloc(sizeof(char *) * Max(n, 1));
	int			nc = 0;
	int			i;
	Datum		args[8];

	for (i = 0; i < n; i++)
	{
		FoldPair   *e = w[i];
		EvalModel  *mm = c->models[e->key.model];
		const char *newg = e->res.grade < 0 ? NULL : mm->grades[e->res.grade].grade;

		if (!e->has_old || e->lock_only || !e->in_scope)
			continue;
		if ((newg == NULL) == e->old_grade_null &&
			(newg == NULL || strcmp(newg, e->old_grade) == 0))
			continue;
		e->changed_grade = true;
		s[nc] = e->key.subject;
		m[nc] = mm->code;
		og[nc] = e->old_grade;
		ng[nc] = (char *) newg;
		os[nc] = e->old_score;
		ns[nc] = e->res.score;
		rid[nc] = e->record_id;
		ca[nc] = (char *) fold_cause_name[c->cause == FOLD_DECAY ? FOLD_DECAY : e->cause];
		nc++;
	}
	if (nc == 0)
		return 0;
	args[0] = credit_int8_array(s, nc);
	args[1] = credit_text_array(m, nc);
	args[2] = credit_text_array(og, nc);
	args[3] = credit_text_array(ng, nc);
	args[4] = credit_float8_array(os, nc);
	args[5] = credit_float8_array(ns, nc);
	args[6] = credit_int8_array(rid, nc);
	args[7] = credit_text_array(ca, nc);
	credit_query_exec(&q_grade_changes, args, NULL, false, SPI_OK_SELECT, "logging the grade changes");
	SPI_freetuptable(SPI_tuptable);
	return nc;
}

/*
 * An industry grade is a credit record the comprehensive models count: when
 * an industry model's grade changed, the subject's grade record of that
 * model is replaced (credit.replace_industry_grades).  These writes fire the
 * record triggers again.
 */
static void
emit_industry_grades(FoldCtx *c, FoldPair **w, int n)
{
	int64	   *s = palloc(sizeof(int64) * Max(n, 1));
	char	  **m = palloc(sizeof(char *) * Max(n, 1));
	char	  **g = palloc(sizeof(char *) * Max(n, 1));
	double	   *sc = palloc(sizeof(double) * Max(n, 1));
	int			k = 0;
	int			i;
	Datum		args[4];

	for (i = 0; i < n; i++)
	{
		EvalModel  *mm = c->models[w[i]->key.model];

		if (!w[i]->changed_grade || strcmp(mm->scope, "comprehensive") == 0)
			continue;
		s[k] = w[i]->key.subject;
		m[k] = mm->code;
		g[k] = w[i]->res.grade < 0 ? NULL : mm->grades[w[i]->res.grade].grade;
		sc[k] = w[i]->res.score;
		k++;
	}
	if (k == 0)
		return;
	args[0] = credit_int8_array(s, k);
	args[1] = credit_text_array(m, k);
	args[2] = credit_text_array(g, k);
	args[3] = credit_float8_array(sc, k);
	credit_query_exec(&q_industry, args, NULL, false, SPI_OK_SELECT, "writing industry grade records");
	SPI_freetuptable(SPI_tuptable);
}

/* Write the pairs' new states, then log the grade changes and industry grades. */
static int64
write_and_emit(FoldCtx *c, FoldPair **w, int n, FoldPair **upd, int nupd)
{
	int64		changes;

	write_states(c, upd, nupd);
	changes = emit_grade_changes(c, w, n);
	emit_industry_grades(c, w, n);
	return changes;
}

/*
 * Bring some pairs (sorted) up to date: lock those in scope in order, fold,
 * evaluate afresh where needed, write, and emit.  Returns the grade changes.
 */
int64
fold_apply(FoldCtx *c, FoldPair **w, int n)
{
	FoldPair  **todo = palloc(sizeof(FoldPair *) * Max(n, 1));
	int			ntodo = 0;
	FoldPair  **upd = palloc(sizeof(FoldPair *) * Max(n, 1));
	int			nupd = 0;
	int			i;

	if (n == 0)
		return 0;
	fold_lock_models(c, w, n);
	LockRelationOid(credit_relid(CREDIT_REL_SUBJECT_GRADE), RowExclusiveLock);

	/*
	 * Lock and fold the rows that exist (the common case: one query), then
	 * insert placeholders for the pairs in scope that have none and read
	 * those (a row another transaction inserted meanwhile is locked by the
	 * insertion's conflict and folded).  Both passes go in the pairs' order,
	 * and a fold waits on an insertion only after its own locks of existing
	 * rows are taken, so two folds never wait for each other in a cycle.
	 */
	read_and_fold(c, w, n);
	for (i = 0; i < n; i++)
		if (!w[i]->locked && !w[i]->stored_only)
			todo[ntodo++] = w[i];
	if (ntodo > 0)
	{
		lock_or_insert(c, todo, ntodo);
		read_and_fold(c, todo, ntodo);
		ntodo = 0;
	}
	/* every row the fold may write is locked: rescoped and listed subjects' */
	rewrite_subject_rows(c, w, n);
	for (i = 0; i < n; i++)
	{
		w[i]->in_scope = w[i]->locked;	/* neither stored nor inserted: out of
										 * scope */
		/* a row locked only for its subject's sake is not written */
		if (w[i]->in_scope && w[i]->st == NULL && !w[i]->stored_only)
			todo[ntodo++] = w[i];
	}
	if (ntodo > 0)
		fold_fresh(c, todo, ntodo);
	for (i = 0; i < n; i++)
	{
		if (!w[i]->in_scope || w[i]->stored_only)
			continue;
		if (w[i]->st == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_T_R_SERIALIZATION_FAILURE),
					 errmsg("could not update the grade of subject " INT64_FORMAT " under model \"%s\"",
							w[i]->key.subject, c->models[w[i]->key.model]->code)));

		/*
		 * a lock-only pair is written only to fill the placeholder it
		 * inserted
		 */
		if (w[i]->locked && (!w[i]->lock_only || w[i]->inserted))
			upd[nupd++] = w[i];
	}
	return write_and_emit(c, w, n, upd, nupd);
}

/*
 * Re-anchor every stored state older than the fold's day to that day
 * (decay alone), locked in the folds' order so a fold and a re-anchoring
 * never wait for each other in a cycle; states of an older rule set are
 * evaluated afresh.  Returns the grade changes.
 */
int64
fold_reanchor(FoldCtx *c)
{
	Datum		arg = DateADTGetDatum(c->today);
	FoldPair  **w;
	FoldPair  **keep;
	int			n = 0;
	int			nkeep = 0;
	uint64		i;

	fold_lock_models(c, NULL, 0);
	LockRelationOid(credit_relid(CREDIT_REL_SUBJECT_GRADE), RowExclusiveLock);
	credit_query_exec(&q_lock_stale, &arg, NULL, false, SPI_OK_SELECT, "locking the grades");
	w = MemoryContextAlloc(c->cxt, sizeof(FoldPair *) * Max(SPI_processed, 1));
	for (i = 0; i < SPI_processed; i++)
	{
		FoldPair   *e;
		bool		found;
		bool		isnull;
		int64		s = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1, &isnull));
		char	   *m = TextDatumGetCString(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 2, &isnull));
		int			k = fold_model_index(c, m);

		if (k < 0)
			continue;
		e = fold_pair_enter(c, s, k, &found);
		e->in_scope = true;
		e->cause = FOLD_DECAY;
		w[n++] = e;
	}
	SPI_freetuptable(SPI_tuptable);
	if (n == 0)
		return 0;

	/* the rows are locked already: reading them again waits for nothing */
	read_and_fold(c, w, n);
	keep = MemoryContextAlloc(c->cxt, sizeof(FoldPair *) * n);
	for (i = 0; i < (uint64) n; i++)
		if (w[i]->st != NULL)
			keep[nkeep++] = w[i];
	if (nkeep < n)
	{
		FoldPair  **todo = MemoryContextAlloc(c->cxt, sizeof(FoldPair *) * n);
		int			ntodo = 0;

		for (i = 0; i < (uint64) n; i++)
			if (w[i]->st == NULL && w[i]->locked)
				todo[ntodo++] = w[i];
		fold_fresh(c, todo, ntodo);
		for (i = 0; i < (uint64) ntodo; i++)
			keep[nkeep++] = todo[i];
	}
	fold_pairs_sort(c, keep, nkeep);
	return write_and_emit(c, keep, nkeep, keep, nkeep);
}

/*
 * Whether one of some record warnings to raise is a listing on a black list
 * (only those warn related subjects): the listings' items looked up in
 * credit.list, so that the search for related subjects runs only for them
 * (on Citus it reads relations of other nodes, which a worker's fold cannot).
 */
static bool
fold_any_black_listing(const char **kinds, char **items, int n)
{
	char	  **listed = palloc(sizeof(char *) * Max(n, 1));
	int			nl = 0;
	int			i;
	Datum		arg;
	bool		black;

	for (i = 0; i < n; i++)
		if (strcmp(kinds[i], "listed") == 0)
			listed[nl++] = items[i];
	if (nl == 0)
		return false;
	arg = credit_text_array(listed, nl);
	credit_query_exec(&q_black_listing, &arg, NULL, true, SPI_OK_SELECT, "reading the lists of listings");
	black = SPI_processed > 0;
	SPI_freetuptable(SPI_tuptable);
	return black;
}

/*
 * Run a repeat-offence query with sequential scans off: its plan is saved
 * for the backend's life, and one made while credit.record was small would
 * scan the whole table for every subject once it has grown.  The count is
 * an index probe per subject whatever the table's size.
 */
static int
repeat_offence_run(CreditQuery *q, Datum *args)
{
	int			level = NewGUCNestLevel();
	int			ret;

	(void) set_config_option("enable_seqscan", "off", PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	ret = credit_query_run(q, args, NULL, false, 0);
	AtEOXact_GUC(true, level);
	return ret;
}

/* qsort comparator of subject ids */
static int
int64_cmp(const void *a, const void *b)
{
	int64		x = *(const int64 *) a;
	int64		y = *(const int64 *) b;

	return (x > y) - (x < y);
}

/*
 * Raise some record warnings (n of them, in arrays) and check some subjects
 * for repeat offences.
 */
static void
emit_warnings(FoldCtx *c, int n, int64 *subject, int64 *record, char **item, const char **kind,
			  int64 *s, int nrep)
{
	Datum		args[4];

	if (n > 0)
	{
		args[0] = credit_int8_array(subject, n);
		args[1] = credit_int8_array(record, n);
		args[2] = credit_text_array(item, n);
		args[3] = credit_text_array((char **) kind, n);
		credit_query_exec(&q_record_warnings, args, NULL, false, SPI_OK_INSERT, "raising record warnings");
		if (c->warn_enabled[FOLD_W_RELATED] && fold_any_black_listing(kind, item, n))
			credit_query_exec(&q_related_warnings, args, NULL, false, SPI_OK_INSERT,
							  "raising related-listing warnings");
	}
	if (nrep == 1)
	{
		bool		isnull;
		int64		count;

		args[0] = Int64GetDatum(s[0]);
		args[1] = DateADTGetDatum(c->today - c->repeat_window);
		args[2] = credit_catalog_negative_items();
		if (repeat_offence_run(&q_repeat_count1, args) != SPI_OK_SELECT || SPI_processed != 1)
			elog(ERROR, "credit fold: counting the negative records of subject " INT64_FORMAT " failed", s[0]);
		count = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
		if (count >= c->repeat_threshold)
		{
			args[1] = Int64GetDatum(count);
			credit_query_exec(&q_repeat_warning1, args, NULL, false, SPI_OK_INSERT,
							  "raising repeat-offence warnings");
		}
	}
	else if (nrep > 1)
	{
		args[0] = credit_int8_array(s, nrep);
		args[1] = Int64GetDatum((int64) c->repeat_threshold);
		args[2] = DateADTGetDatum(c->today - c->repeat_window);
		args[3] = credit_catalog_negative_items();
		if (repeat_offence_run(&q_repeat_warnings, args) != SPI_OK_INSERT)
			elog(ERROR, "credit: raising repeat-offence warnings failed");
	}
}

/* qsort_arg comparator of record warnings (their positions): by subject, then in the order noted. */
static int
rw_order_cmp(const void *a, const void *b, void *arg)
{
	const int64 *subject = arg;
	int			x = *(const int *) a;
	int			y = *(const int *) b;

	if (subject[x] != subject[y])
		return subject[x] < subject[y] ? -1 : 1;
	return x - y;
}

/*
 * The same one subject at a time, in subject order (on a Citus worker: see
 * apply_all in fold_trigger.c).
 */
static void
emit_warnings_by_subject(FoldCtx *c, int64 *rep, int nrep)
{
	int		   *order = palloc(sizeof(int) * Max(c->nrw, 1));
	int64	   *rs = palloc(sizeof(int64) * Max(c->nrw, 1));
	int64	   *rr = palloc(sizeof(int64) * Max(c->nrw, 1));
	char	  **ri = palloc(sizeof(char *) * Max(c->nrw, 1));
	const char **rk = palloc(sizeof(char *) * Max(c->nrw, 1));
	int			i;
	int			k = 0;

	for (i = 0; i < c->nrw; i++)
		order[i] = i;
	qsort_arg(order, c->nrw, sizeof(int), rw_order_cmp, c->rw_subject);
	i = 0;
	while (i < c->nrw || k < nrep)
	{
		int64		s = i < c->nrw ? c->rw_subject[order[i]] : rep[k];
		int			n = 0;

		if (k < nrep && rep[k] < s)
			s = rep[k];
		for (; i < c->nrw && c->rw_subject[order[i]] == s; i++, n++)
		{
			rs[n] = s;
			rr[n] = c->rw_record[order[i]];
			ri[n] = c->rw_item[order[i]];
			rk[n] = c->rw_kind[order[i]];
		}
		if (k < nrep && rep[k] == s)
			emit_warnings(c, n, rs, rr, ri, rk, &rep[k++], 1);
		else
			emit_warnings(c, n, rs, rr, ri, rk, NULL, 0);
	}
}

/* Raise the warnings that inserted records call for. */
void
fold_emit_record_warnings(FoldCtx *c)
{
	int			nrep = hash_get_num_entries(c->repeat_subjects);
	int64	   *rep = palloc(sizeof(int64) * Max(nrep, 1));
	int64	   *e;
	int			n = 0;
	HASH_SEQ_STATUS seq;

	hash_seq_init(&seq, c->repeat_subjects);
	while ((e = hash_seq_search(&seq)) != NULL)
		rep[n++] = *e;
	/* in subject order: the index probes go through the index in order */
	if (nrep > 1)
		qsort(rep, nrep, sizeof(int64), int64_cmp);
	if (c->on_shard)
		emit_warnings_by_subject(c, rep, nrep);
	else
		emit_warnings(c, c->nrw, c->rw_subject, c->rw_record, c->rw_item, c->rw_kind, rep, nrep);
}
