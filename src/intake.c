/*
 * intake.c
 *      The buffer behind the intake views (credit.intake, credit.intake_penalty,
 *      credit.intake_license).
 *
 * PostgreSQL refuses COPY FROM into a table whose row-level security applies
 * to the caller, so a unit cannot COPY into a table that hides other units'
 * rows.  The intake is therefore a view (reading: the unit's own rows) whose
 * INSTEAD OF row trigger only keeps each arriving row in a per-statement
 * buffer; the view's AFTER STATEMENT trigger takes the whole buffer at once
 * (credit.intake_take) and processes the feed set-wise, as a transition
 * table would (views cannot have transition tables): the rows are checked
 * in one pass (intake_check.c), and their records made by SQL.
 *
 * Buffers form a stack, one frame per statement on an intake view: a BEFORE
 * STATEMENT trigger pushes a frame, the row trigger appends to the top frame,
 * credit.intake_take (or credit.intake_check, for credit.intake) pops it.
 * The checks hand their rows to credit.intake_apply the same way, in a frame
 * of the row type credit.intake_checked.  Frames live in
 * TopTransactionContext; a (sub)transaction abort drops the frames it opened.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/xact.h"
#include "commands/trigger.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "parser/parse_type.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/tuplestore.h"

#include "credit.h"
#include "intake.h"

typedef struct IntakeFrame
{
	struct IntakeFrame *prev;
	Oid			relid;			/* the view the statement writes */
	int			nest_level;		/* transaction nesting level that opened it */
	MemoryContext cxt;			/* holds the frame and its rows */
	Tuplestorestate *rows;
} IntakeFrame;

static IntakeFrame *intake_top = NULL;

/* Drop the frames opened at nesting level >= level (all of them for level 0). */
static void
intake_drop_frames(int level)
{
	while (intake_top != NULL && intake_top->nest_level >= level)
	{
		IntakeFrame *f = intake_top;

		intake_top = f->prev;
		if (level > 1)
			MemoryContextDelete(f->cxt);	/* else freed with the transaction */
	}
}

/* Transaction end: every frame goes with TopTransactionContext. */
static void
intake_xact_callback(XactEvent event, void *arg)
{
	if (event == XACT_EVENT_ABORT || event == XACT_EVENT_COMMIT ||
		event == XACT_EVENT_PARALLEL_ABORT || event == XACT_EVENT_PARALLEL_COMMIT ||
		event == XACT_EVENT_PREPARE)
		intake_top = NULL;
}

/* Subtransaction abort: the statements it ran will not take their frames. */
static void
intake_subxact_callback(SubXactEvent event, SubTransactionId mySubid,
						SubTransactionId parentSubid, void *arg)
{
	if (event == SUBXACT_EVENT_ABORT_SUB)
		intake_drop_frames(GetCurrentTransactionNestLevel());
}

/* Registration from _PG_init. */
void
credit_intake_init(void)
{
	RegisterXactCallback(intake_xact_callback, NULL);
	RegisterSubXactCallback(intake_subxact_callback, NULL);
}

/*
 * Open a frame for the rows of a statement on the view (or of the row type)
 * relid: the tuplestore they are kept in, until intake_frame_pop.
 */
Tuplestorestate *
intake_frame_push(Oid relid)
{
	MemoryContext cxt = AllocSetContextCreate(TopTransactionContext, "credit intake buffer",
											  ALLOCSET_DEFAULT_SIZES);
	MemoryContext old = MemoryContextSwitchTo(cxt);
	IntakeFrame *f = palloc0(sizeof(IntakeFrame));

	f->relid = relid;
	f->nest_level = GetCurrentTransactionNestLevel();
	f->cxt = cxt;
	f->rows = tuplestore_begin_heap(false, false, work_mem);
	f->prev = intake_top;
	intake_top = f;
	MemoryContextSwitchTo(old);
	return f->rows;
}

/*
 * Take the top frame, which must be relid's (what names it in the error),
 * off the stack: its rows, in arrival order, and *cxt, the memory they are
 * in, for the caller to delete when it has read them, after tuplestore_end
 * (which closes the temporary file of rows beyond work_mem).
 */
Tuplestorestate *
intake_frame_pop(Oid relid, const char *what, MemoryContext *cxt)
{
	IntakeFrame *f = intake_top;

	if (f == NULL || !OidIsValid(relid) || f->relid != relid)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("no intake buffer is open for %s", what)));
	intake_top = f->prev;
	*cxt = f->cxt;
	return f->rows;
}

PG_FUNCTION_INFO_V1(credit_intake_buffer);
/*
 * Trigger of the intake views: BEFORE STATEMENT opens the statement's buffer,
 * INSTEAD OF INSERT / UPDATE FOR EACH ROW keeps the new row in it.
 */
Datum
credit_intake_buffer(PG_FUNCTION_ARGS)
{
	TriggerData *td = (TriggerData *) fcinfo->context;
	Oid			relid;

	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("credit_intake_buffer: not called as a trigger")));
	relid = RelationGetRelid(td->tg_relation);

	if (TRIGGER_FIRED_FOR_STATEMENT(td->tg_event))
	{
		if (!TRIGGER_FIRED_BEFORE(td->tg_event))
			ereport(ERROR,
					(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
					 errmsg("credit_intake_buffer: statement trigger must fire BEFORE")));
		(void) intake_frame_push(relid);
		return PointerGetDatum(NULL);
	}
	else
	{
		HeapTuple	tup = TRIGGER_FIRED_BY_UPDATE(td->tg_event) ? td->tg_newtuple : td->tg_trigtuple;
		MemoryContext old;

		if (!TRIGGER_FIRED_INSTEAD(td->tg_event))
			ereport(ERROR,
					(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
					 errmsg("credit_intake_buffer: row trigger must fire INSTEAD OF")));
		if (intake_top == NULL || intake_top->relid != relid)
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("no intake buffer is open for \"%s\"", RelationGetRelationName(td->tg_relation))));
		old = MemoryContextSwitchTo(intake_top->cxt);
		tuplestore_puttuple(intake_top->rows, tup);
		MemoryContextSwitchTo(old);
		return PointerGetDatum(tup);
	}
}

PG_FUNCTION_INFO_V1(credit_intake_take);
/*
 * credit.intake_take(NULL::view) → SETOF view: the rows the current statement
 * buffered for that view, in arrival order; closes the buffer.
 */
Datum
credit_intake_take(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	Oid			type = get_fn_expr_argtype(fcinfo->flinfo, 0);
	Oid			relid = typeidTypeRelid(type);
	MemoryContext cxt;
	Tuplestorestate *rows = intake_frame_pop(relid, psprintf("type %s", format_type_be(type)), &cxt);
	TupleTableSlot *slot;

	InitMaterializedSRF(fcinfo, 0);
	slot = MakeSingleTupleTableSlot(rsinfo->setDesc, &TTSOpsMinimalTuple);
	while (tuplestore_gettupleslot(rows, true, false, slot))
		tuplestore_puttupleslot(rsinfo->setResult, slot);
	ExecDropSingleTupleTableSlot(slot);
	tuplestore_end(rows);
	MemoryContextDelete(cxt);
	PG_RETURN_NULL();
}
