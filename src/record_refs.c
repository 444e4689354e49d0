/*
 * record_refs.c
 *      The references of credit.record (its subject, catalogue item and
 *      unit), checked once per statement instead of once per row.
 *
 * Foreign keys check every inserted row with a query of its own; for the
 * platform's one big table, fed by COPYs of a million rows, that was most of
 * the cost of loading.  Instead a statement trigger collects the distinct
 * subjects, items and units of the statement's rows and locks them in one
 * query each (FOR KEY SHARE, as a foreign key check does, so a concurrent
 * delete waits for the statement's transaction or makes it fail); a value
 * that is missing is reported with the row that carries it (SQLSTATE
 * 23503).  On the other side, statement triggers of credit.subject,
 * credit.catalog_item and credit.department refuse to delete (or, for a
 * subject, to renumber) a row that records refer to, reading the records
 * with a fresh snapshot as referential actions do, and carry a renamed item
 * or unit code over to the records (ON UPDATE CASCADE); TRUNCATE of those
 * tables is refused while records exist.  With credit.restoring on (loading
 * a dump, whose rows were consistent) nothing is checked.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_collation.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "executor/tuptable.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"

#include "credit.h"
#include "util.h"

/* The three references of a record. */
typedef enum RefKind
{
	REF_SUBJECT,
	REF_ITEM,
	REF_UNIT,
	REF_NKINDS
} RefKind;

static const char *const ref_column[REF_NKINDS] = {"subject_id", "item_code", "department"};
static const char *const ref_table[REF_NKINDS] = {"subject", "catalog_item", "department"};
static const char *const ref_key[REF_NKINDS] = {"id", "code", "code"};

#define REF_TEXT_MAX 256		/* longer codes cannot exist (the tables'
								 * checks) */

/* The referenced rows that exist, locked against deletion until the end of the transaction. */
static CreditQuery q_lock[REF_NKINDS] = {
	{"SELECT s.id FROM credit.subject s WHERE s.id OPERATOR(pg_catalog.=) ANY ($1) FOR KEY SHARE OF s",
	1, {INT8ARRAYOID}},
	{"SELECT c.code FROM credit.catalog_item c WHERE c.code OPERATOR(pg_catalog.=) ANY ($1) FOR KEY SHARE OF c",
	1, {TEXTARRAYOID}},
	{"SELECT d.code FROM credit.department d WHERE d.code OPERATOR(pg_catalog.=) ANY ($1) FOR KEY SHARE OF d",
	1, {TEXTARRAYOID}},
};

/*
 * On a Citus node the catalogue and the units are reference tables, whose
 * row locks Citus takes on every node in turn: the shards of one statement,
 * written over several connections of one distributed transaction, would
 * wait for each other.  Their rows are only read there (a delete of a
 * catalogue item or a unit is an administrator's act, checked by the guard
 * of that table).
 */
static CreditQuery q_find_reference[REF_NKINDS] = {
	{NULL, 0, {0}},
	{"SELECT c.code FROM credit.catalog_item c WHERE c.code OPERATOR(pg_catalog.=) ANY ($1)",
	1, {TEXTARRAYOID}},
	{"SELECT d.code FROM credit.department d WHERE d.code OPERATOR(pg_catalog.=) ANY ($1)",
	1, {TEXTARRAYOID}},
};

/* A key of the given ones that records still refer to (read with the latest snapshot). */
static CreditQuery q_used[REF_NKINDS] = {
	{"SELECT k.k FROM pg_catalog.unnest($1) AS k(k) WHERE EXISTS "
		"(SELECT 1 FROM credit.record r WHERE r.subject_id OPERATOR(pg_catalog.=) k.k) LIMIT 1",
	1, {INT8ARRAYOID}},
	{"SELECT k.k FROM pg_catalog.unnest($1) AS k(k) WHERE EXISTS "
		"(SELECT 1 FROM credit.record r WHERE r.item_code OPERATOR(pg_catalog.=) k.k) LIMIT 1",
	1, {TEXTARRAYOID}},
	{"SELECT k.k FROM pg_catalog.unnest($1) AS k(k) WHERE EXISTS "
		"(SELECT 1 FROM credit.record r WHERE r.department OPERATOR(pg_catalog.=) k.k) LIMIT 1",
	1, {TEXTARRAYOID}},
};

/* Renamed codes carried over to the records. */
static CreditQuery q_cascade[REF_NKINDS] = {
	{NULL, 0, {0}},
	{"UPDATE credit.record r SET item_code = k.n "
		"FROM ROWS FROM (pg_catalog.unnest($1), pg_catalog.unnest($2)) AS k(o, n) "
		"WHERE r.item_code OPERATOR(pg_catalog.=) k.o",
	2, {TEXTARRAYOID, TEXTARRAYOID}},
	{"UPDATE credit.record r SET department = k.n "
		"FROM ROWS FROM (pg_catalog.unnest($1), pg_catalog.unnest($2)) AS k(o, n) "
		"WHERE r.department OPERATOR(pg_catalog.=) k.o",
	2, {TEXTARRAYOID, TEXTARRAYOID}},
};

static CreditQuery q_any_record = {
	"SELECT 1 FROM credit.record r LIMIT 1", 0, {0}
};

/* A set of distinct values of one reference (int8 keys or short text keys). */
typedef struct RefSet
{
	HTAB	   *htab;
	int			n;
} RefSet;

typedef struct RefEntry
{
	char		key[REF_TEXT_MAX];	/* int64 or NUL-padded text */
	bool		found;
} RefEntry;

static void
refset_init(RefSet *s, RefKind kind, MemoryContext cxt)
{
	HASHCTL		ctl;

	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = kind == REF_SUBJECT ? sizeof(int64) : REF_TEXT_MAX;
	ctl.entrysize = sizeof(RefEntry);
	ctl.hcxt = cxt;
	s->htab = hash_create("credit record references", 32, &ctl,
						  HASH_ELEM | HASH_CONTEXT | (kind == REF_SUBJECT ? HASH_BLOBS : HASH_STRINGS));
	s->n = 0;
}

/* The hash key of a reference's value; false when a text value is too long to exist. */
static bool
ref_key_of(RefKind kind, Datum v, char *key)
{
	memset(key, 0, REF_TEXT_MAX);
	if (kind == REF_SUBJECT)
	{
		int64		id = DatumGetInt64(v);

		memcpy(key, &id, sizeof(id));
		return true;
	}
	else
	{
		text	   *t = DatumGetTextPP(v);
		int			len = VARSIZE_ANY_EXHDR(t);

		if (len >= REF_TEXT_MAX)
			return false;
		memcpy(key, VARDATA_ANY(t), len);
		return true;
	}
}

/* Report a reference that does not exist, naming the value and the row. */
static void
report_missing(RefKind kind, Datum v, uint64 row, const char *op)
{
	char	   *value = kind == REF_SUBJECT ? psprintf(INT64_FORMAT, DatumGetInt64(v))
		: text_to_cstring(DatumGetTextPP(v));

	if (strlen(value) > 64)
		value = psprintf("%.64s...", value);
	ereport(ERROR,
			(errcode(ERRCODE_FOREIGN_KEY_VIOLATION),
			 errmsg("%s on table \"record\" refers to a %s that does not exist",
					op, kind == REF_SUBJECT ? "subject" : kind == REF_ITEM ? "catalogue item" : "unit"),
			 errdetail("Key (%s)=(%s) is not present in table \"%s\" (row " UINT64_FORMAT " of the statement).",
					   ref_column[kind], value, ref_table[kind], row)));
}

PG_FUNCTION_INFO_V1(credit_record_check_refs);
/*
 * Statement-level AFTER INSERT OR UPDATE trigger of credit.record (new
 * transition table): the subjects, items and units the rows refer to exist,
 * and are locked against deletion.
 */
Datum
credit_record_check_refs(PG_FUNCTION_ARGS)
{
	TriggerData *td = (TriggerData *) fcinfo->context;
	TupleDesc	desc;
	TupleTableSlot *slot;
	TupleTableSlot *oslot = NULL;
	MemoryContext cxt;
	MemoryContext old;
	RefSet		sets[REF_NKINDS];
	int			att[REF_NKINDS];
	const char *op;
	CreditScope scope;
	bool		missing = false;
	int			k;
	bool		on_shard;

	if (!CALLED_AS_TRIGGER(fcinfo) || !TRIGGER_FIRED_AFTER(td->tg_event) ||
		!TRIGGER_FIRED_FOR_STATEMENT(td->tg_event) || td->tg_newtable == NULL)
		elog(ERROR, "credit_record_check_refs: must be fired AFTER INSERT OR UPDATE ... FOR EACH STATEMENT with a new table");
	if (credit_restoring)
		return PointerGetDatum(NULL);
	op = TRIGGER_FIRED_BY_UPDATE(td->tg_event) ? "update" : "insert";

	cxt = AllocSetContextCreate(CurrentMemoryContext, "credit record references", ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(cxt);
	desc = RelationGetDescr(td->tg_relation);
	for (k = 0; k < REF_NKINDS; k++)
	{
		att[k] = SPI_fnumber(desc, ref_column[k]);
		if (att[k] <= 0)
			elog(ERROR, "credit.record lacks column \"%s\"", ref_column[k]);
		refset_init(&sets[k], (RefKind) k, cxt);
	}

	/* the distinct values (of an UPDATE: only those that changed) */
	slot = MakeSingleTupleTableSlot(desc, &TTSOpsMinimalTuple);
	if (td->tg_oldtable != NULL)
	{
		oslot = MakeSingleTupleTableSlot(desc, &TTSOpsMinimalTuple);
		tuplestore_rescan(td->tg_oldtable);
	}
	tuplestore_rescan(td->tg_newtable);
	while (tuplestore_gettupleslot(td->tg_newtable, true, false, slot))
	{
		bool		have_old = oslot != NULL &&
			tuplestore_gettupleslot(td->tg_oldtable, true, false, oslot);

		for (k = 0; k < REF_NKINDS; k++)
		{
			bool		isnull;
			Datum		v = slot_getattr(slot, att[k], &isnull);
			char		key[REF_TEXT_MAX];
			bool		found;

			if (isnull)
				continue;		/* NOT NULL says what it must */
			if (have_old)
			{
				bool		onull;
				Datum		ov = slot_getattr(oslot, att[k], &onull);

				if (!onull && (k == REF_SUBJECT ? DatumGetInt64(ov) == DatumGetInt64(v)
							   : DatumGetBool(DirectFunctionCall2Coll(texteq, C_COLLATION_OID, ov, v))))
					continue;
			}
			if (!ref_key_of((RefKind) k, v, key))
			{
				missing = true;
				continue;
			}
			{
				RefEntry   *e = hash_search(sets[k].htab, key, HASH_ENTER, &found);

				if (!found)
				{
					e->found = false;
					sets[k].n++;
				}
			}
		}
		CHECK_FOR_INTERRUPTS();
	}

	/* one locking query per reference */
	on_shard = credit_citus_shard(td->tg_relation);
	credit_scope_enter(&scope, true);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	for (k = 0; k < REF_NKINDS; k++)
	{
		HASH_SEQ_STATUS seq;
		RefEntry   *e;
		Datum	   *vals;
		int			n = 0;
		Datum		arg;
		uint64		i;

		if (sets[k].n == 0)
			continue;
		vals = palloc(sizeof(Datum) * sets[k].n);
		hash_seq_init(&seq, sets[k].htab);
		while ((e = hash_seq_search(&seq)) != NULL)
		{
			if (k == REF_SUBJECT)
			{
				int64		id;

				memcpy(&id, e->key, sizeof(id));
				vals[n++] = Int64GetDatum(id);
			}
			else
				vals[n++] = CStringGetTextDatum(e->key);
		}
		if (k == REF_SUBJECT)
		{
			int64	   *ids = palloc(sizeof(int64) * n);

			for (i = 0; i < (uint64) n; i++)
				ids[i] = DatumGetInt64(vals[i]);
			arg = credit_int8_array(ids, n);
		}
		else
			arg = credit_varlena_array(vals, NULL, n, TEXTOID);
		credit_query_exec(k != REF_SUBJECT && on_shard ? &q_find_reference[k] : &q_lock[k], &arg, NULL, false, SPI_OK_SELECT, "checking the references of records");
		for (i = 0; i < SPI_processed; i++)
		{
			bool		isnull;
			Datum		v = SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1, &isnull);
			char		key[REF_TEXT_MAX];

			if (!isnull && ref_key_of((RefKind) k, v, key))
			{
				e = hash_search(sets[k].htab, key, HASH_FIND, NULL);
				if (e)
					e->found = true;
			}
		}
		if (SPI_processed < (uint64) sets[k].n)
			missing = true;
		SPI_freetuptable(SPI_tuptable);
	}
	SPI_finish();
	credit_scope_exit(&scope);

	/* the first row that refers to something missing */
	if (missing)
	{
		uint64		row = 0;

		tuplestore_rescan(td->tg_newtable);
		while (tuplestore_gettupleslot(td->tg_newtable, true, false, slot))
		{
			row++;
			for (k = 0; k < REF_NKINDS; k++)
			{
				bool		isnull;
				Datum		v = slot_getattr(slot, att[k], &isnull);
				char		key[REF_TEXT_MAX];
				RefEntry   *e;

				if (isnull)
					continue;
				if (!ref_key_of((RefKind) k, v, key))
					report_missing((RefKind) k, v, row, op);
				e = hash_search(sets[k].htab, key, HASH_FIND, NULL);
				if (e != NULL && !e->found)
					report_missing((RefKind) k, v, row, op);
			}
		}
		elog(ERROR, "credit_record_check_refs: a missing reference was not found again");
	}
	ExecDropSingleTupleTableSlot(slot);
	if (oslot)
		ExecDropSingleTupleTableSlot(oslot);
	MemoryContextSwitchTo(old);
	MemoryContextDelete(cxt);
	return PointerGetDatum(NULL);
}

/* Which reference a guard trigger protects (its argument: subject, item or unit). */
static RefKind
guard_kind(TriggerData *td)
{
	const char *arg;

	if (td->tg_trigger->tgnargs != 1)
		elog(ERROR, "credit_record_refs_guard: one argument expected");
	arg = td->tg_trigger->tgargs[0];
	if (strcmp(arg, "subject") == 0)
		return REF_SUBJECT;
	if (strcmp(arg, "item") == 0)
		return REF_ITEM;
	if (strcmp(arg, "unit") == 0)
		return REF_UNIT;
	elog(ERROR, "credit_record_refs_guard: unknown reference \"%s\"", arg);
	return REF_SUBJECT;			/* keep compiler quiet */
}

PG_FUNCTION_INFO_V1(credit_record_refs_guard);
/*
 * Statement-level AFTER UPDATE OR DELETE (and BEFORE TRUNCATE) trigger of
 * credit.subject, credit.catalog_item and credit.department: rows records
 * refer to are not deleted (nor a subject renumbered); a renamed code is
 * carried over to the records.
 */
Datum
credit_record_refs_guard(PG_FUNCTION_ARGS)
{
	TriggerData *td = (TriggerData *) fcinfo->context;
	RefKind		kind;
	TupleDesc	desc;
	TupleTableSlot *oslot;
	TupleTableSlot *nslot = NULL;
	int			att;
	Datum	   *olds;
	Datum	   *news;
	int			n = 0;
	int			cap = 64;
	bool		is_update;
	CreditScope scope;
	Datum		args[2];
	int			i;

	if (!CALLED_AS_TRIGGER(fcinfo) || !TRIGGER_FIRED_FOR_STATEMENT(td->tg_event))
		elog(ERROR, "credit_record_refs_guard: must be fired FOR EACH STATEMENT");
	kind = guard_kind(td);
	if (credit_restoring)
		return PointerGetDatum(NULL);

	credit_scope_enter(&scope, true);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (TRIGGER_FIRED_BY_TRUNCATE(td->tg_event))
	{
		int			ret = SPI_execute_snapshot(credit_query_plan(&q_any_record), NULL, NULL,
											   GetLatestSnapshot(), InvalidSnapshot, true, false, 1);

		if (ret != SPI_OK_SELECT)
			elog(ERROR, "credit: reading credit.record failed");
		if (SPI_processed > 0)
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("cannot truncate table \"%s\": credit records refer to its rows", ref_table[kind]),
					 errhint("Delete the records first, or load with credit.restoring on.")));
		SPI_finish();
		credit_scope_exit(&scope);
		return PointerGetDatum(NULL);
	}
	if (td->tg_oldtable == NULL)
		elog(ERROR, "credit_record_refs_guard: the trigger needs its old table");

	is_update = TRIGGER_FIRED_BY_UPDATE(td->tg_event);
	desc = RelationGetDescr(td->tg_relation);
	att = SPI_fnumber(desc, ref_key[kind]);
	if (att <= 0)
		elog(ERROR, "credit.%s lacks column \"%s\"", ref_table[kind], ref_key[kind]);
	olds = palloc(sizeof(Datum) * cap);
	news = palloc(sizeof(Datum) * cap);
	oslot = MakeSingleTupleTableSlot(desc, &TTSOpsMinimalTuple);
	if (is_update)
	{
		nslot = MakeSingleTupleTableSlot(desc, &TTSOpsMinimalTuple);
		tuplestore_rescan(td->tg_newtable);
	}
	tuplestore_rescan(td->tg_oldtable);
	while (tuplestore_gettupleslot(td->tg_oldtable, true, false, oslot))
	{
		bool		isnull;
		Datum		o = slot_getattr(oslot, att, &isnull);
		Datum		nv = (Datum) 0;

		if (is_update)
		{
			bool		nnull;

			if (!tuplestore_gettupleslot(td->tg_newtable, true, false, nslot))
				break;
			nv = slot_getattr(nslot, att, &nnull);
			if (kind == REF_SUBJECT ? DatumGetInt64(o) == DatumGetInt64(nv)
				: DatumGetBool(DirectFunctionCall2Coll(texteq, C_COLLATION_OID, o, nv)))
				continue;		/* the key did not change */
		}
		if (n == cap)
		{
			cap *= 2;
			olds = repalloc(olds, sizeof(Datum) * cap);
			news = repalloc(news, sizeof(Datum) * cap);
		}
		olds[n] = kind == REF_SUBJECT ? o : PointerGetDatum(DatumGetTextPCopy(o));
		news[n] = (is_update && kind != REF_SUBJECT) ? PointerGetDatum(DatumGetTextPCopy(nv)) : (Datum) 0;
		n++;
	}

	if (n > 0)
	{
		if (kind == REF_SUBJECT)
		{
			int64	   *ids = palloc(sizeof(int64) * n);

			for (i = 0; i < n; i++)
				ids[i] = DatumGetInt64(olds[i]);
			args[0] = credit_int8_array(ids, n);
		}
		else
			args[0] = credit_varlena_array(olds, NULL, n, TEXTOID);

		if (is_update && kind != REF_SUBJECT)
		{
			args[1] = credit_varlena_array(news, NULL, n, TEXTOID);
			credit_query_exec(&q_cascade[kind], args, NULL, false, SPI_OK_UPDATE,
							  "carrying renamed codes over to the records");
		}
		else
		{
			int			ret = SPI_execute_snapshot(credit_query_plan(&q_used[kind]), args, NULL,
												   GetLatestSnapshot(), InvalidSnapshot, true, false, 1);

			if (ret != SPI_OK_SELECT)
				elog(ERROR, "credit: reading credit.record failed");
			if (SPI_processed > 0)
			{
				char	   *v = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);

				ereport(ERROR,
						(errcode(ERRCODE_FOREIGN_KEY_VIOLATION),
						 errmsg("%s on table \"%s\" violates the references of table \"record\"",
								is_update ? "update" : "delete", ref_table[kind]),
						 errdetail("Key (%s)=(%s) is still referenced from table \"record\".",
								   ref_key[kind], v)));
			}
		}
	}
	ExecDropSingleTupleTableSlot(oslot);
	if (nslot)
		ExecDropSingleTupleTableSlot(nslot);
	SPI_finish();
	credit_scope_exit(&scope);
	return PointerGetDatum(NULL);
}
