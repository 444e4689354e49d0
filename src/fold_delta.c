/*
 * fold_delta.c
 *      Reading a statement's transition tables into one delta state per
 *      touched (subject, model), and noting the warnings inserted records
 *      call for (fold.h).  No SPI: rows come straight from the tuplestores.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "executor/tuptable.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"

#include "fold.h"

/* Column numbers of the record columns a fold reads. */
typedef struct RecordColumns
{
	int			id,
				subject,
				item,
				decided,
				value,
				status;
} RecordColumns;

/* Column number of a record column by name, or an error. */
static int
record_column(TupleDesc desc, const char *name)
{
	int			i;

	for (i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);

		if (!att->attisdropped && strcmp(NameStr(att->attname), name) == 0)
			return i + 1;
	}
	elog(ERROR, "credit.record lacks column \"%s\", which the fold needs", name);
	return 0;					/* keep compiler quiet */
}

static void
record_columns(TupleDesc desc, RecordColumns *rc)
{
	rc->id = record_column(desc, "id");
	rc->subject = record_column(desc, "subject_id");
	rc->item = record_column(desc, "item_code");
	rc->decided = record_column(desc, "decided_on");
	rc->value = record_column(desc, "value");
	rc->status = record_column(desc, "status");
}

/* Fold one row (sign +1: counted now, -1: no more). */
static void
read_row(FoldCtx *c, const RecordColumns *rc, TupleTableSlot *slot, int sign)
{
	bool		isnull;
	Datum		d;
	text	   *status;
	text	   *item;
	FoldItem   *fi;
	int64		subject;
	int64		record;
	DateADT		decided;
	double		value;
	int			k;

	d = slot_getattr(slot, rc->status, &isnull);
	if (isnull)
		return;
	status = DatumGetTextPP(d);
	if (VARSIZE_ANY_EXHDR(status) != 6 || memcmp(VARDATA_ANY(status), "active", 6) != 0)
		return;
	d = slot_getattr(slot, rc->item, &isnull);
	if (isnull)
		return;
	item = DatumGetTextPP(d);
	fi = fold_item(c, VARDATA_ANY(item), VARSIZE_ANY_EXHDR(item));
	if (fi == NULL)
		return;
	d = slot_getattr(slot, rc->subject, &isnull);
	if (isnull)
		return;
	subject = DatumGetInt64(d);
	d = slot_getattr(slot, rc->decided, &isnull);
	if (isnull)
		return;
	decided = DatumGetDateADT(d);
	record = DatumGetInt64(slot_getattr(slot, rc->id, &isnull));
	d = slot_getattr(slot, rc->value, &isnull);
	value = isnull ? 0.0 : DatumGetFloat8(d);

	if (sign > 0 && c->cause == FOLD_INSERT && (fi->flags & CATALOG_NEGATIVE))
	{
		if ((fi->flags & (CATALOG_SERIOUS | CATALOG_LIST)) == CATALOG_SERIOUS && c->warn_enabled[FOLD_W_SERIOUS])
			fold_note_record_warning(c, subject, record, fi->code, fold_warning_kind[FOLD_W_SERIOUS]);
		if ((fi->flags & CATALOG_LIST) && (c->warn_enabled[FOLD_W_LISTED] || c->warn_enabled[FOLD_W_RELATED]))
			fold_note_record_warning(c, subject, record, fi->code, fold_warning_kind[FOLD_W_LISTED]);
		if ((fi->flags & CATALOG_COMMITMENT) && c->warn_enabled[FOLD_W_COMMITMENT])
			fold_note_record_warning(c, subject, record, fi->code, fold_warning_kind[FOLD_W_COMMITMENT]);
		if (c->warn_enabled[FOLD_W_REPEAT] && decided > c->today - c->repeat_window)
			hash_search(c->repeat_subjects, &subject, HASH_ENTER, NULL);
	}

	/* a record dated after today cannot be counted today */
	if (decided > c->today)
		return;
	for (k = 0; k < fi->n; k++)
	{
		bool		found;
		FoldPair   *p = fold_pair_enter(c, subject, fi->model[k], &found);
		EvalModel  *m = c->models[fi->model[k]];

		if (!found)
		{
			MemoryContext old = MemoryContextSwitchTo(c->cxt);

			p->delta = evalstate_create(m, c->today);
			MemoryContextSwitchTo(old);
		}
		evalstate_add(p->delta, m, fi->rule[k], decided, value, sign);
		p->cause = c->cause;
		if (record > p->record_id)
			p->record_id = record;
	}
}

/* Fold every row of a transition table with one sign. */
void
fold_read_rows(FoldCtx *c, TupleDesc desc, Tuplestorestate *ts, int sign)
{
	TupleTableSlot *slot = MakeSingleTupleTableSlot(desc, &TTSOpsMinimalTuple);
	RecordColumns rc;

	record_columns(desc, &rc);
	tuplestore_rescan(ts);
	while (tuplestore_gettupleslot(ts, true, false, slot))
		read_row(c, &rc, slot, sign);
	ExecDropSingleTupleTableSlot(slot);
}

/* Whether a column has the same value in two slots (binary equality). */
static bool
slot_same(TupleTableSlot *a, TupleTableSlot *b, int attnum)
{
	bool		na,
				nb;
	Datum		da = slot_getattr(a, attnum, &na);
	Datum		db = slot_getattr(b, attnum, &nb);
	Form_pg_attribute att = TupleDescAttr(a->tts_tupleDescriptor, attnum - 1);

	if (na || nb)
		return na == nb;
	return datumIsEqual(da, db, att->attbyval, att->attlen);
}

/*
 * Fold the rows of an UPDATE: old and new transition tables hold the rows in
 * the same order; a row whose counted columns did not change is skipped.
 */
void
fold_read_update(FoldCtx *c, TupleDesc desc, Tuplestorestate *olds, Tuplestorestate *news)
{
	TupleTableSlot *o = MakeSingleTupleTableSlot(desc, &TTSOpsMinimalTuple);
	TupleTableSlot *n = MakeSingleTupleTableSlot(desc, &TTSOpsMinimalTuple);
	RecordColumns rc;

	record_columns(desc, &rc);
	tuplestore_rescan(olds);
	tuplestore_rescan(news);
	for (;;)
	{
		bool		have_o = tuplestore_gettupleslot(olds, true, false, o);
		bool		have_n = tuplestore_gettupleslot(news, true, false, n);

		if (!have_o && !have_n)
			break;
		if (have_o && have_n &&
			slot_same(o, n, rc.status) && slot_same(o, n, rc.value) &&
			slot_same(o, n, rc.subject) && slot_same(o, n, rc.item) &&
			slot_same(o, n, rc.decided))
			continue;
		if (have_o)
			read_row(c, &rc, o, -1);
		if (have_n)
			read_row(c, &rc, n, 1);
	}
	ExecDropSingleTupleTableSlot(o);
	ExecDropSingleTupleTableSlot(n);
}
