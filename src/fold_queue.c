/*
 * fold_queue.c
 *      The commit queue (credit.fold_at = 'commit', the default): both halves
 *      of the format of credit.pending_fold (fold.h).
 *
 * A statement on credit.record reads its rows into delta states as in
 * statement mode, but instead of applying them appends one row to
 * credit.pending_fold: the touched (subject, model) pairs with their delta
 * states, and the record warnings noted.  The deferred constraint trigger
 * pending_fold_apply fires at commit; its first firing takes (and deletes)
 * every row of the transaction, merges the deltas per pair and applies them
 * once, so every grade lock of the transaction is taken at one point, in one
 * (subject, model) order: two transactions never hold grade locks the other
 * waits for while waiting themselves, whatever the order of their
 * statements.  The subjects a statement put on a list, and those whose
 * kind or industries it changed, are queued with it, so that their listing
 * flags (credit.subject_grade.listed) are set, and their grades outside a
 * model's scope dropped, in that same pass (fold_apply.c), not by writes of
 * their grade rows at the statement.
 *
 * The rows are ordinary MVCC rows of an unlogged table (they never outlive
 * their transaction, so they need no WAL): ROLLBACK and ROLLBACK TO
 * SAVEPOINT discard a statement's row, and its deferred event, with it.
 *
 * The backend remembers where it queued its rows (their ctids, for the
 * current top-level transaction), so that taking them is a TID scan of
 * those rows, not a scan of a table full of the dead rows of earlier
 * transactions, and a firing that finds nothing new queued queries nothing.
 * A row discarded by ROLLBACK TO SAVEPOINT is simply not visible any more;
 * a take undone by a rolled-back subtransaction (SET CONSTRAINTS ...
 * IMMEDIATE inside a savepoint) makes the next firing look at every row the
 * transaction queued again (its deferred event fires again).  The xid
 * condition keeps out another transaction's row that reuses the slot of one
 * discarded here.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "storage/itemptr.h"
#include "storage/proc.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"

#include "fold.h"
#include "util.h"

/* Kind name under which a subject to check for repeat offences is queued. */
#define REPEAT_KIND "repeat_offence"

static CreditQuery q_push = {
	"INSERT INTO credit.pending_fold (subjects, models, deltas, record_ids, causes, "
	"  warn_subjects, warn_records, warn_items, warn_kinds, listed, rescoped) "
	"VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING ctid",
	11, {INT8ARRAYOID, TEXTARRAYOID, BYTEAARRAYOID, INT8ARRAYOID, TEXTARRAYOID,
	INT8ARRAYOID, INT8ARRAYOID, TEXTARRAYOID, TEXTARRAYOID, INT8ARRAYOID, INT8ARRAYOID}
};

static CreditQuery q_take = {
	"DELETE FROM credit.pending_fold p "
	" WHERE p.ctid OPERATOR(pg_catalog.=) ANY ($1) "
	"   AND p.xid OPERATOR(pg_catalog.=) pg_catalog.pg_current_xact_id() "
	"RETURNING p.subjects, p.models, p.deltas, p.record_ids, p.causes, "
	"          p.warn_subjects, p.warn_records, p.warn_items, p.warn_kinds, p.listed, p.rescoped, p.ctid",
	1, {TIDARRAYOID}
};

/* Where this backend queued rows in its current top-level transaction. */
static LocalTransactionId queued_lxid = InvalidLocalTransactionId;
static ItemPointerData *queued_tids;
static int	queued_n;
static int	queued_cap;
static int	queued_taken;		/* rows [0, queued_taken) were taken */
static bool queued_on_shard;	/* some rows came from a shard's statement */
static bool queued_callback;

/*
 * Under SET CONSTRAINTS ... IMMEDIATE the queue row's event fires at the end
 * of the INSERT that queues it, before its ctid is known here: that firing
 * takes nothing and leaves the apply to the pusher (fold_queue_push).
 */
static bool queue_pushing;
static bool queue_missed;

/* A rolled-back subtransaction may have undone a take. */
static void
queued_subxact_callback(SubXactEvent event, SubTransactionId mySubid,
						SubTransactionId parentSubid, void *arg)
{
	if (event == SUBXACT_EVENT_ABORT_SUB)
	{
		queued_taken = 0;
		queue_pushing = false;
	}
}

/* The rows queued so far belong to the current transaction (else forget them). */
static void
queued_current(void)
{
	if (queued_lxid != MyProc->lxid)
	{
		queued_lxid = MyProc->lxid;
		queued_tids = NULL;		/* was in an ended transaction's memory */
		queued_n = queued_cap = queued_taken = 0;
		queue_pushing = queue_missed = queued_on_shard = false;
	}
	if (!queued_callback)
	{
		RegisterSubXactCallback(queued_subxact_callback, NULL);
		queued_callback = true;
	}
}

/* Remember the ctid the push query returned. */
static void
queued_remember(void)
{
	bool		isnull;
	Datum		d;

	if (SPI_processed != 1)
		elog(ERROR, "credit.pending_fold: queueing returned " UINT64_FORMAT " rows", SPI_processed);
	d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	queued_current();
	if (queued_n == queued_cap)
	{
		queued_cap = Max(8, queued_cap * 2);
		queued_tids = queued_tids == NULL
			? MemoryContextAlloc(TopTransactionContext, sizeof(ItemPointerData) * queued_cap)
			: repalloc(queued_tids, sizeof(ItemPointerData) * queued_cap);
	}
	ItemPointerCopy((ItemPointer) DatumGetPointer(d), &queued_tids[queued_n++]);
	SPI_freetuptable(SPI_tuptable);
}

/* The subjects of a set (int8[]). */
static Datum
subject_set_array(HTAB *set)
{
	int64	   *a = palloc(sizeof(int64) * Max(hash_get_num_entries(set), 1));
	int			n = 0;
	HASH_SEQ_STATUS seq;
	int64	   *e;

	hash_seq_init(&seq, set);
	while ((e = hash_seq_search(&seq)) != NULL)
		a[n++] = *e;
	return credit_int8_array(a, n);
}

/*
 * Statement side: append the statement's touched pairs, warning notes and
 * listed and rescoped subjects.
 * True when the queue row's event fired immediately (SET CONSTRAINTS ...
 * IMMEDIATE) while the row was being queued: the caller then applies the
 * queue itself.
 */
bool
fold_queue_push(FoldCtx *c)
{
	int			n = hash_get_num_entries(c->pairs);
	int			nrep = hash_get_num_entries(c->repeat_subjects);
	int			nw = c->nrw + nrep;
	int			nl = hash_get_num_entries(c->listed_subjects);
	int			nsc = hash_get_num_entries(c->rescoped_subjects);
	int64	   *subj = palloc(sizeof(int64) * Max(n, 1));
	char	  **model = palloc(sizeof(char *) * Max(n, 1));
	Datum	   *deltas = palloc(sizeof(Datum) * Max(n, 1));
	int64	   *rid = palloc(sizeof(int64) * Max(n, 1));
	char	  **cause = palloc(sizeof(char *) * Max(n, 1));
	int64	   *ws = palloc(sizeof(int64) * Max(nw, 1));
	int64	   *wr = palloc(sizeof(int64) * Max(nw, 1));
	char	  **wi = palloc(sizeof(char *) * Max(nw, 1));
	char	  **wk = palloc(sizeof(char *) * Max(nw, 1));
	Datum		args[11];
	HASH_SEQ_STATUS seq;
	FoldPair   *p;
	int64	   *e;
	int			i = 0;

	if (n == 0 && nw == 0 && nl == 0 && nsc == 0)
		return false;
	hash_seq_init(&seq, c->pairs);
	while ((p = hash_seq_search(&seq)) != NULL)
	{
		subj[i] = p->key.subject;
		model[i] = c->models[p->key.model]->code;
		deltas[i] = PointerGetDatum(evalstate_serialize(p->delta));
		rid[i] = p->record_id;
		cause[i] = (char *) fold_cause_name[p->cause];
		i++;
	}
	for (i = 0; i < c->nrw; i++)
	{
		ws[i] = c->rw_subject[i];
		wr[i] = c->rw_record[i];
		wi[i] = c->rw_item[i];
		wk[i] = (char *) c->rw_kind[i];
	}
	hash_seq_init(&seq, c->repeat_subjects);
	while ((e = hash_seq_search(&seq)) != NULL)
	{
		ws[i] = *e;
		wr[i] = 0;
		wi[i] = NULL;
		wk[i] = REPEAT_KIND;
		i++;
	}
	args[0] = credit_int8_array(subj, n);
	args[1] = credit_text_array(model, n);
	args[2] = credit_varlena_array(deltas, NULL, n, BYTEAOID);
	args[3] = credit_int8_array(rid, n);
	args[4] = credit_text_array(cause, n);
	args[5] = credit_int8_array(ws, nw);
	args[6] = credit_int8_array(wr, nw);
	args[7] = credit_text_array(wi, nw);
	args[8] = credit_text_array(wk, nw);
	args[9] = subject_set_array(c->listed_subjects);
	args[10] = subject_set_array(c->rescoped_subjects);
	queued_current();
	queued_on_shard |= c->on_shard;
	queue_pushing = true;
	queue_missed = false;
	credit_query_exec(&q_push, args, NULL, false, SPI_OK_INSERT_RETURNING, "queueing the fold");
	queue_pushing = false;
	queued_remember();
	return queue_missed;
}

/*
 * Merge one queued row into the touched pairs, the warning notes and the
 * listed and rescoped subjects.
 */
static void
merge_queued_row(FoldCtx *c, HeapTuple tup, TupleDesc td)
{
	Datum	   *subj,
			   *model,
			   *delta,
			   *rid,
			   *cause,
			   *ws,
			   *wr,
			   *wi,
			   *wk,
			   *ss;
	bool	   *n1,
			   *n2,
			   *n3,
			   *n4,
			   *n5,
			   *n6,
			   *n7,
			   *n8,
			   *n9,
			   *n10;
	int			ns;
	int			n = credit_spi_array(tup, td, 1, INT8OID, &subj, &n1);
	int			nw;
	int			i;
	MemoryContext old;

	if (credit_spi_array(tup, td, 2, TEXTOID, &model, &n2) != n ||
		credit_spi_array(tup, td, 3, BYTEAOID, &delta, &n3) != n ||
		credit_spi_array(tup, td, 4, INT8OID, &rid, &n4) != n ||
		credit_spi_array(tup, td, 5, TEXTOID, &cause, &n5) != n)
		elog(ERROR, "credit.pending_fold: arrays of different lengths");
	old = MemoryContextSwitchTo(c->cxt);
	for (i = 0; i < n; i++)
	{
		char	   *code = TextDatumGetCString(model[i]);
		int			k = fold_model_index(c, code);
		char	   *cs = TextDatumGetCString(cause[i]);
		bool		found;
		FoldPair   *p;
		EvalState  *d;
		int			j;

		if (k < 0)				/* the model was dropped meanwhile */
			continue;
		p = fold_pair_enter(c, DatumGetInt64(subj[i]), k, &found);
		p->lock_only = false;
		d = n3[i] ? NULL : evalstate_deserialize_delta(DatumGetByteaPP(delta[i]), c->models[k]);
		if (d == NULL)			/* queued under another rule set: evaluate
								 * afresh */
			p->fresh = true;
		else if (!p->fresh)
		{
			if (p->delta == NULL)
				p->delta = d;
			else
				evalstate_merge(p->delta, d, c->models[k], 1);
		}
		/* rows come in statement order: the last statement names the cause */
		p->record_id = DatumGetInt64(rid[i]);
		for (j = FOLD_INSERT; j <= FOLD_DELETE; j++)
			if (strcmp(cs, fold_cause_name[j]) == 0)
				p->cause = (FoldCause) j;
	}
	MemoryContextSwitchTo(old);

	nw = credit_spi_array(tup, td, 6, INT8OID, &ws, &n6);
	if (credit_spi_array(tup, td, 7, INT8OID, &wr, &n7) != nw ||
		credit_spi_array(tup, td, 8, TEXTOID, &wi, &n8) != nw ||
		credit_spi_array(tup, td, 9, TEXTOID, &wk, &n9) != nw)
		elog(ERROR, "credit.pending_fold: warning arrays of different lengths");
	for (i = 0; i < nw; i++)
	{
		char	   *kind = TextDatumGetCString(wk[i]);
		int64		s = DatumGetInt64(ws[i]);
		int			k;

		if (strcmp(kind, REPEAT_KIND) == 0)
		{
			hash_search(c->repeat_subjects, &s, HASH_ENTER, NULL);
			continue;
		}
		for (k = 0; k < FOLD_W_NKINDS; k++)
			if (strcmp(kind, fold_warning_kind[k]) == 0)
				fold_note_record_warning(c, s, DatumGetInt64(wr[i]),
										 n8[i] ? "" : TextDatumGetCString(wi[i]), fold_warning_kind[k]);
	}

	ns = credit_spi_array(tup, td, 10, INT8OID, &ss, &n10);
	for (i = 0; i < ns; i++)
		fold_note_listed(c, DatumGetInt64(ss[i]));
	ns = credit_spi_array(tup, td, 11, INT8OID, &ss, &n10);
	for (i = 0; i < ns; i++)
		fold_note_rescoped(c, DatumGetInt64(ss[i]));
}

/* A taken row and its position among the rows queued. */
typedef struct QueuedRow
{
	int			pos;
	HeapTuple	tup;
} QueuedRow;

static int
queued_tid_cmp(const void *a, const void *b)
{
	int			x = *(const int *) a;
	int			y = *(const int *) b;
	int			cmp = ItemPointerCompare(&queued_tids[x], &queued_tids[y]);

	return cmp != 0 ? cmp : x - y;
}

static int
queued_row_cmp(const void *a, const void *b)
{
	return ((const QueuedRow *) a)->pos - ((const QueuedRow *) b)->pos;
}

/*
 * Put the taken rows (column 12: their ctids) in the order the statements
 * queued them (positions in queued_tids: the table has no key).
 */
static void
queued_order(SPITupleTable *tt)
{
	int		   *byid = palloc(sizeof(int) * queued_n);
	QueuedRow  *rows = palloc(sizeof(QueuedRow) * tt->numvals);
	uint64		i;
	int			k;

	for (k = 0; k < queued_n; k++)
		byid[k] = k;
	qsort(byid, queued_n, sizeof(int), queued_tid_cmp);
	for (i = 0; i < tt->numvals; i++)
	{
		bool		isnull;
		ItemPointer tid = (ItemPointer) DatumGetPointer(SPI_getbinval(tt->vals[i], tt->tupdesc, 12, &isnull));
		int			lo = 0,
					hi = queued_n - 1;

		rows[i].pos = -1;
		rows[i].tup = tt->vals[i];
		while (lo <= hi)
		{
			int			mid = (lo + hi) / 2;
			int			cmp = ItemPointerCompare(tid, &queued_tids[byid[mid]]);

			if (cmp == 0)
			{
				/*
				 * a slot queued twice held a row discarded by a rolled-back
				 * subtransaction first: the row is the later one
				 */
				while (mid + 1 < queued_n && ItemPointerEquals(tid, &queued_tids[byid[mid + 1]]))
					mid++;
				rows[i].pos = byid[mid];
				break;
			}
			if (cmp < 0)
				hi = mid - 1;
			else
				lo = mid + 1;
		}
		if (rows[i].pos < 0)
			elog(ERROR, "credit.pending_fold: a taken row was not queued by this transaction");
	}
	qsort(rows, tt->numvals, sizeof(QueuedRow), queued_row_cmp);
	for (i = 0; i < tt->numvals; i++)
		tt->vals[i] = rows[i].tup;
	pfree(rows);
	pfree(byid);
}

/*
 * Commit side: take (and delete) every queued row of the transaction and
 * merge them into the context's pairs and subject sets (which the caller
 * has emptied) and warning notes.  False when nothing was queued.
 */
bool
fold_queue_take(FoldCtx *c)
{
	SPITupleTable *tt;
	uint64		i;
	Datum	   *tids;
	Datum		arg;
	int			k;

	queued_current();
	if (queue_pushing)
	{
		queue_missed = true;
		return false;
	}
	if (queued_taken >= queued_n)
		return false;
	tids = palloc(sizeof(Datum) * (queued_n - queued_taken));
	for (k = queued_taken; k < queued_n; k++)
		tids[k - queued_taken] = PointerGetDatum(&queued_tids[k]);
	arg = PointerGetDatum(construct_array(tids, queued_n - queued_taken, TIDOID,
										  sizeof(ItemPointerData), false, TYPALIGN_SHORT));
	queued_taken = queued_n;
	c->on_shard = queued_on_shard;
	credit_query_exec(&q_take, &arg, NULL, false, SPI_OK_DELETE_RETURNING, "reading the queued folds");
	if (SPI_processed == 0)
	{
		SPI_freetuptable(SPI_tuptable);
		return false;
	}
	tt = SPI_tuptable;
	/* merged in the order the statements queued them */
	if (tt->numvals > 1)
		queued_order(tt);
	for (i = 0; i < tt->numvals; i++)
		merge_queued_row(c, tt->vals[i], tt->tupdesc);
	SPI_freetuptable(tt);
	return true;
}
