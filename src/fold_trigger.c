/*
 * fold_trigger.c
 *      Entry points of the fold (fold.h): the statement-level AFTER
 *      triggers of credit.record, the deferred trigger of the commit queue,
 *      and credit.reanchor_grades; the settings credit.auto_evaluation and
 *      credit.fold_at.
 *
 * A statement's rows are read from its transition tables into delta states
 * (fold_delta.c).  With credit.fold_at = 'commit' (the default) they are
 * queued and applied at commit for the whole transaction at once
 * (fold_queue.c); with 'statement' they are applied at once.  Applying
 * (fold_apply.c) locks the stored states of the touched pairs in one
 * (subject, model) ordered pass and re-reads them, so no update is lost;
 * each is re-anchored to the current date, the delta merged in, the result
 * finalized and written back in one UPDATE.  A pair without a stored state
 * (or with a state of an older rule set) is evaluated afresh from its
 * records, which already include the transaction's rows.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/rel.h"

#include "credit.h"
#include "fold.h"
#include "util.h"

#define FOLD_AT_COMMIT      0
#define FOLD_AT_STATEMENT   1

/* credit.auto_evaluation: whether the record triggers fold (superusers may switch it off). */
bool		credit_auto_evaluation = true;

/* credit.fold_at: when a transaction's record changes are folded into the grades. */
static int	credit_fold_at = FOLD_AT_COMMIT;

static const struct config_enum_entry fold_at_options[] = {
	{"commit", FOLD_AT_COMMIT, false},
	{"statement", FOLD_AT_STATEMENT, false},
	{NULL, 0, false}
};

/* Define the settings of the fold (from _PG_init). */
void
credit_fold_init(void)
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

/*
 * Apply a context's pairs (those in scope) and flag its listed subjects, in
 * lock order.  On a Citus
 * worker, where the rows came into shards (several of them when the
 * coordinator sent the shards of one worker over one connection), the pairs
 * of each subject are applied by themselves, in the same order: every
 * statement of the fold then names one subject, which Citus routes to the
 * subject's shard and runs there, locally; a statement naming subjects of
 * several shards would run through intermediate results or be refused
 * inside the shard's transaction.
 */
static void
apply_all(FoldCtx *c)
{
	FoldPair  **w;
	int			n;
	int			i;
	int			j;

	fold_add_subject_pairs(c);
	w = fold_pairs_sorted(c, &n);
	if (!c->on_shard)
	{
		fold_apply(c, w, n);
		return;
	}
	for (i = 0; i < n; i = j)
	{
		for (j = i + 1; j < n && w[j]->key.subject == w[i]->key.subject; j++)
			;
		fold_apply(c, w + i, j - i);
	}
}

/*
 * Fold every queued change of the transaction into the grades at once: the
 * rows queued so far, and those the rounds' own writes queue.
 */
static void
apply_queued(void)
{
	FoldCtx		c;
	CreditScope scope;
	bool		any = false;

	fold_ctx_init(&c, "credit fold at commit", GetSQLCurrentDate(), FOLD_INSERT);
	credit_scope_enter(&scope, true);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");

	/*
	 * Rounds: the industry grade records a round writes fire the record
	 * triggers again, which queue more rows; fold those too, here, before the
	 * record warnings of all rounds are raised at once.
	 */
	while (fold_queue_take(&c))
	{
		any = true;
		fold_add_comprehensive_pairs(&c);
		apply_all(&c);
		fold_ctx_new_pairs(&c);
	}
	if (any)
		fold_emit_record_warnings(&c);

	SPI_finish();
	credit_scope_exit(&scope);
	MemoryContextDelete(c.cxt);
}

/*
 * A statement's context handed over, then freed: queued for the commit (and
 * the queue applied at once when its row's event fired meanwhile, under SET
 * CONSTRAINTS ... IMMEDIATE), or with credit.fold_at = 'statement' applied
 * and its record warnings raised now.
 */
static void
statement_done(FoldCtx *c)
{
	CreditScope scope;
	bool		missed = false;

	credit_scope_enter(&scope, true);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (credit_fold_at == FOLD_AT_COMMIT)
		missed = fold_queue_push(c);
	else
	{
		apply_all(c);
		fold_emit_record_warnings(c);
	}
	SPI_finish();
	credit_scope_exit(&scope);
	MemoryContextDelete(c->cxt);
	if (missed)
		apply_queued();
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
	TupleDesc	desc;
	FoldCtx		c;
	FoldCause	cause;
	int64	   *listed = NULL;
	int			nlisted = 0;
	int			i;

	if (!CALLED_AS_TRIGGER(fcinfo) || !TRIGGER_FIRED_AFTER(td->tg_event) ||
		!TRIGGER_FIRED_FOR_STATEMENT(td->tg_event))
		elog(ERROR, "credit_record_fold: must be fired AFTER ... FOR EACH STATEMENT");
	if (TRIGGER_FIRED_BY_INSERT(td->tg_event))
		cause = FOLD_INSERT;
	else if (TRIGGER_FIRED_BY_UPDATE(td->tg_event))
		cause = FOLD_UPDATE;
	else if (TRIGGER_FIRED_BY_DELETE(td->tg_event))
		cause = FOLD_DELETE;
	else
		elog(ERROR, "credit_record_fold: must be fired by INSERT, UPDATE or DELETE");
	if ((cause != FOLD_DELETE && td->tg_newtable == NULL) ||
		(cause != FOLD_INSERT && td->tg_oldtable == NULL))
		elog(ERROR, "credit_record_fold: the trigger needs its transition tables");
	if (credit_restoring)
		return PointerGetDatum(NULL);
	desc = RelationGetDescr(td->tg_relation);

	/*
	 * listings are read live: their subjects are flagged even when grades are
	 * not folded
	 */
	if (cause != FOLD_DELETE)
		listed = credit_listed_record_subjects(desc, td->tg_newtable, &nlisted);
	if (!credit_auto_evaluation && nlisted == 0)
		return PointerGetDatum(NULL);

	fold_ctx_init(&c, "credit fold", GetSQLCurrentDate(), cause);
	c.on_shard = credit_citus_shard(td->tg_relation);
	for (i = 0; i < nlisted; i++)
		fold_note_listed(&c, listed[i]);
	if (credit_auto_evaluation)
	{
		if (cause == FOLD_INSERT)
			fold_read_rows(&c, desc, td->tg_newtable, 1);
		else if (cause == FOLD_DELETE)
			fold_read_rows(&c, desc, td->tg_oldtable, -1);
		else
			fold_read_update(&c, desc, td->tg_oldtable, td->tg_newtable);
	}

	if (hash_get_num_entries(c.pairs) > 0 || c.nrw > 0 || hash_get_num_entries(c.repeat_subjects) > 0 ||
		nlisted > 0)
		statement_done(&c);
	else
		MemoryContextDelete(c.cxt);
	return PointerGetDatum(NULL);
}

/*
 * Subjects (an int8[]) queued for the transaction's fold by a statement
 * other than a record's, to be noted by note: queued for the commit, or
 * applied at once with credit.fold_at = 'statement' (fold_apply.c).  Through
 * Citus they are applied one at a time, each statement routed to the
 * subject's shard.
 */
static void
queue_subjects(ArrayType *a, void (*note) (FoldCtx *c, int64 subject))
{
	Datum	   *elems;
	bool	   *nulls;
	int			n;
	int			i;
	FoldCtx		c;

	if (credit_restoring)
		return;
	deconstruct_array(a, INT8OID, sizeof(int64), FLOAT8PASSBYVAL, TYPALIGN_DOUBLE, &elems, &nulls, &n);
	fold_ctx_init(&c, "credit subjects", GetSQLCurrentDate(), FOLD_INSERT);
	c.on_shard = credit_citus_loaded();
	for (i = 0; i < n; i++)
		if (!nulls[i])
			note(&c, DatumGetInt64(elems[i]));
	if (n > 0)
		statement_done(&c);
	else
		MemoryContextDelete(c.cxt);
}

PG_FUNCTION_INFO_V1(credit_queue_listed);
/*
 * credit.queue_listed(subjects bigint[]): subjects put on a list by a
 * resolved active list entry or a list given an item get their listing
 * flags set with the transaction's fold.
 */
Datum
credit_queue_listed(PG_FUNCTION_ARGS)
{
	queue_subjects(PG_GETARG_ARRAYTYPE_P(0), fold_note_listed);
	PG_RETURN_VOID();
}

PG_FUNCTION_INFO_V1(credit_queue_rescoped);
/*
 * credit.queue_rescoped(subjects bigint[]): subjects whose kind or
 * industries changed lose their grades outside a model's scope with the
 * transaction's fold.
 */
Datum
credit_queue_rescoped(PG_FUNCTION_ARGS)
{
	queue_subjects(PG_GETARG_ARRAYTYPE_P(0), fold_note_rescoped);
	PG_RETURN_VOID();
}

PG_FUNCTION_INFO_V1(credit_pending_fold_apply);
/*
 * Deferred constraint trigger of credit.pending_fold: at commit, fold every
 * queued change of the transaction into the grades at once (the first
 * firing does it all; the others find nothing left).
 */
Datum
credit_pending_fold_apply(PG_FUNCTION_ARGS)
{
	TriggerData *td = (TriggerData *) fcinfo->context;

	if (!CALLED_AS_TRIGGER(fcinfo) || !TRIGGER_FIRED_AFTER(td->tg_event) ||
		!TRIGGER_FIRED_FOR_ROW(td->tg_event) || !TRIGGER_FIRED_BY_INSERT(td->tg_event))
		elog(ERROR, "credit_pending_fold_apply: must be fired AFTER INSERT ... FOR EACH ROW");

	apply_queued();
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
	DateADT		as_of = PG_GETARG_DATEADT(0);
	FoldCtx		c;
	CreditScope scope;
	int64		changes;

	if (DATE_NOT_FINITE(as_of) || as_of > GetSQLCurrentDate())
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("cannot re-anchor the grades to a date after the current date"),
				 errhint("as_of must be a date not later than the current date.")));
	fold_ctx_init(&c, "credit re-anchoring", as_of, FOLD_DECAY);
	credit_scope_enter(&scope, true);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	changes = fold_reanchor(&c);
	SPI_finish();
	credit_scope_exit(&scope);
	MemoryContextDelete(c.cxt);
	PG_RETURN_INT64(changes);
}
