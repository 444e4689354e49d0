/*
 * record.c
 *      BEFORE ROW trigger of credit.record: refuses records dated in the
 *      future and derives publicity_until from the collection catalogue.
 *
 * The catalogue rows the trigger needs (published, max_publicity) are cached
 * per backend in their own memory context.  A relcache invalidation of
 * credit.catalog_item (sent by the statement trigger credit.config_changed
 * on every change, so other backends see it too) makes the cache stale
 * (cache.c); the next use reloads it.  A code missing from a fresh-enough
 * cache forces one reload, so a code renamed in the same statement (ON
 * UPDATE CASCADE) is still found.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/namespace.h"
#include "catalog/pg_collation.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/datetime.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/timestamp.h"

#include "cache.h"
#include "credit.h"
#include "fold.h"
#include "util.h"

#define ITEM_CODE_MAX 64

typedef struct CatalogEntry
{
	char		code[ITEM_CODE_MAX];	/* hash key */
	bool		published;		/* NULL published is treated as published */
	bool		max_null;		/* max_publicity IS NULL */
	Interval	max_publicity;
	uint8		flags;			/* CATALOG_* bits of fold.h */
} CatalogEntry;

static MemoryContext catalog_cxt = NULL;
static HTAB *catalog_htab = NULL;
static uint64 catalog_generation = 0;	/* cache generation it was loaded at */

/* Column numbers of credit.record, looked up once per backend. */
typedef struct RecordAttnums
{
	Oid			relid;
	int			subject_id;
	int			item_code;
	int			decided_on;
	int			details;
	int			publicity_until;
} RecordAttnums;

static RecordAttnums rec_att = {InvalidOid};

/* Every catalogue row, with the flags the record warnings need. */
static CreditQuery q_catalog = {
	"SELECT c.code, c.published, c.max_publicity, "
	"c.polarity OPERATOR(pg_catalog.=) 'negative', c.severity OPERATOR(pg_catalog.=) 'serious', "
	"c.category OPERATOR(pg_catalog.=) 'list', c.category OPERATOR(pg_catalog.=) 'commitment' "
	"FROM credit.catalog_item c",
	0, {0}
};

/* Load every catalogue row into a fresh hash table. */
static void
catalog_load(void)
{
	HASHCTL		ctl;
	uint64		i;
	uint64		gen = credit_cache_generation(CREDIT_CACHE_CATALOG);
	CreditScope scope;

	if (catalog_cxt == NULL)
		catalog_cxt = AllocSetContextCreate(TopMemoryContext, "credit catalogue cache",
											ALLOCSET_SMALL_SIZES);
	else
		MemoryContextReset(catalog_cxt);
	catalog_htab = NULL;
	catalog_generation = 0;

	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = ITEM_CODE_MAX;
	ctl.entrysize = sizeof(CatalogEntry);
	ctl.hcxt = catalog_cxt;

	credit_scope_enter_reference(&scope);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	credit_query_exec(&q_catalog, NULL, NULL, true, SPI_OK_SELECT, "reading the catalogue");

	catalog_htab = hash_create("credit catalogue", Max(64, SPI_processed * 2), &ctl,
							   HASH_ELEM | HASH_STRINGS | HASH_CONTEXT);
	for (i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	td = SPI_tuptable->tupdesc;
		bool		isnull;
		char	   *code = TextDatumGetCString(SPI_getbinval(tup, td, 1, &isnull));
		Datum		pub;
		Datum		maxp;
		CatalogEntry *e;
		bool		found;

		if (strlen(code) >= ITEM_CODE_MAX)
			continue;
		e = hash_search(catalog_htab, code, HASH_ENTER, &found);
		pub = SPI_getbinval(tup, td, 2, &isnull);
		e->published = isnull ? true : DatumGetBool(pub);
		maxp = SPI_getbinval(tup, td, 3, &isnull);
		e->max_null = isnull;
		if (!isnull)
			e->max_publicity = *DatumGetIntervalP(maxp);
		e->flags = 0;
		if (DatumGetBool(SPI_getbinval(tup, td, 4, &isnull)) && !isnull)
		{
			e->flags |= CATALOG_NEGATIVE;
			if (DatumGetBool(SPI_getbinval(tup, td, 5, &isnull)) && !isnull)
				e->flags |= CATALOG_SERIOUS;
			if (DatumGetBool(SPI_getbinval(tup, td, 6, &isnull)) && !isnull)
				e->flags |= CATALOG_LIST;
			if (DatumGetBool(SPI_getbinval(tup, td, 7, &isnull)) && !isnull)
				e->flags |= CATALOG_COMMITMENT;
		}
		e->flags |= CATALOG_KNOWN;
	}
	SPI_finish();
	credit_scope_exit(&scope);
	catalog_generation = gen;
}

/* Catalogue entry of a code, or NULL when the code is not in the catalogue. */
static CatalogEntry *
catalog_lookup(const char *code)
{
	CatalogEntry *e;

	if (strlen(code) >= ITEM_CODE_MAX)
		return NULL;
	if (catalog_htab == NULL || catalog_generation != credit_cache_generation(CREDIT_CACHE_CATALOG))
		catalog_load();
	e = hash_search(catalog_htab, code, HASH_FIND, NULL);
	if (e == NULL)
	{
		/* maybe added or renamed in this very statement: reload once */
		catalog_load();
		e = hash_search(catalog_htab, code, HASH_FIND, NULL);
	}
	return e;
}

/* Attribute number of a column of credit.record, or an error. */
static int
record_attnum(TupleDesc td, const char *name)
{
	int			n = SPI_fnumber(td, name);

	if (n <= 0)
		elog(ERROR, "column \"%s\" of credit.record not found", name);
	return n;
}

/* Whether details ->> 'penalty_kind' = 'warning'. */
static bool
details_warning_only(Jsonb *jb)
{
	JsonbValue	key;
	JsonbValue *v;

	if (!JB_ROOT_IS_OBJECT(jb))
		return false;
	key.type = jbvString;
	key.val.string.val = "penalty_kind";
	key.val.string.len = strlen("penalty_kind");
	v = findJsonbValueFromContainer(&jb->root, JB_FOBJECT, &key);
	if (v == NULL)
		return false;
	/* ->> of a string is its text; of another scalar, its text form */
	if (v->type == jbvString)
		return v->val.string.len == 7 && memcmp(v->val.string.val, "warning", 7) == 0;
	return false;
}

/* Whether two nullable column values differ (IS DISTINCT FROM). */
static bool
column_distinct(HeapTuple a, HeapTuple b, TupleDesc td, int attnum, int kind)
{
	bool		na,
				nb;
	Datum		da = heap_getattr(a, attnum, td, &na);
	Datum		db = heap_getattr(b, attnum, td, &nb);

	if (na || nb)
		return na != nb;
	switch (kind)
	{
		case 0:					/* text */
			return !DatumGetBool(DirectFunctionCall2Coll(texteq, DEFAULT_COLLATION_OID, da, db));
		case 1:					/* date */
			return DatumGetDateADT(da) != DatumGetDateADT(db);
		default:				/* jsonb */
			return !DatumGetBool(DirectFunctionCall2(jsonb_eq, da, db));
	}
}

/*
 * CATALOG_* flags of a catalogue item for the record triggers (0 when the
 * code is not in the catalogue).  The backend's cache is used.
 */
uint8
credit_catalog_flags(const char *code)
{
	CatalogEntry *e = catalog_lookup(code);

	return e ? e->flags : 0;
}

/* The codes of the negative catalogue items, as a text[] in the current memory context. */
Datum
credit_catalog_negative_items(void)
{
	HASH_SEQ_STATUS seq;
	CatalogEntry *e;
	char	  **codes;
	int			n = 0;

	if (catalog_htab == NULL || catalog_generation != credit_cache_generation(CREDIT_CACHE_CATALOG))
		catalog_load();
	codes = palloc(sizeof(char *) * Max(hash_get_num_entries(catalog_htab), 1));
	hash_seq_init(&seq, catalog_htab);
	while ((e = hash_seq_search(&seq)) != NULL)
		if (e->flags & CATALOG_NEGATIVE)
			codes[n++] = e->code;
	return credit_text_array(codes, n);
}

PG_FUNCTION_INFO_V1(credit_record_defaults);

/*
 * BEFORE INSERT OR UPDATE row trigger of credit.record: refuse a future
 * decision date and derive publicity_until from the catalogue item (rows
 * loaded with credit.restoring on are kept as they are).
 */
Datum
credit_record_defaults(PG_FUNCTION_ARGS)
{
	TriggerData *td = (TriggerData *) fcinfo->context;
	TupleDesc	tupdesc;
	HeapTuple	newtup;
	bool		is_insert;
	bool		isnull;
	Datum		d;
	bool		decided_null;
	DateADT		decided = 0;

	if (!CALLED_AS_TRIGGER(fcinfo) || !TRIGGER_FIRED_BEFORE(td->tg_event) ||
		!TRIGGER_FIRED_FOR_ROW(td->tg_event))
		elog(ERROR, "credit_record_defaults: must be fired as a BEFORE ROW trigger");

	tupdesc = RelationGetDescr(td->tg_relation);
	is_insert = TRIGGER_FIRED_BY_INSERT(td->tg_event);
	if (!is_insert && !TRIGGER_FIRED_BY_UPDATE(td->tg_event))
		elog(ERROR, "credit_record_defaults: must be fired by INSERT or UPDATE");
	newtup = is_insert ? td->tg_trigtuple : td->tg_newtuple;
	if (credit_restoring)		/* a dumped row already holds its
								 * publicity_until */
		return PointerGetDatum(newtup);

	if (rec_att.relid != RelationGetRelid(td->tg_relation))
	{
		rec_att.subject_id = record_attnum(tupdesc, "subject_id");
		rec_att.item_code = record_attnum(tupdesc, "item_code");
		rec_att.decided_on = record_attnum(tupdesc, "decided_on");
		rec_att.details = record_attnum(tupdesc, "details");
		rec_att.publicity_until = record_attnum(tupdesc, "publicity_until");
		rec_att.relid = RelationGetRelid(td->tg_relation);
	}

	d = heap_getattr(newtup, rec_att.decided_on, tupdesc, &decided_null);
	if (!decided_null)
	{
		decided = DatumGetDateADT(d);
		if (decided > GetSQLCurrentDate())
		{
			bool		sn;
			Datum		sid = heap_getattr(newtup, rec_att.subject_id, tupdesc, &sn);

			ereport(ERROR,
					(errcode(ERRCODE_CHECK_VIOLATION),
					 errmsg("record of subject %s is dated in the future",
							sn ? "<NULL>" : psprintf(INT64_FORMAT, DatumGetInt64(sid))),
					 errdetail("decided_on is %s.",
							   credit_date_text(decided)),
					 errhint("decided_on must not be later than the current date")));
		}
	}

	if (is_insert ||
		column_distinct(newtup, td->tg_trigtuple, tupdesc, rec_att.item_code, 0) ||
		column_distinct(newtup, td->tg_trigtuple, tupdesc, rec_att.decided_on, 1) ||
		column_distinct(newtup, td->tg_trigtuple, tupdesc, rec_att.details, 2))
	{
		CatalogEntry *e = NULL;
		bool		warning_only = false;
		Datum		pu = (Datum) 0;
		bool		pu_null = true;
		int			col = rec_att.publicity_until;

		d = heap_getattr(newtup, rec_att.item_code, tupdesc, &isnull);
		if (!isnull)
		{
			char	   *code = TextDatumGetCString(d);

			e = catalog_lookup(code);
			pfree(code);
		}
		d = heap_getattr(newtup, rec_att.details, tupdesc, &isnull);
		if (!isnull)
			warning_only = details_warning_only(DatumGetJsonbP(d));

		if (e == NULL || !e->published || warning_only)
			pu_null = true;
		else if (e->max_null)
		{
			pu = DateADTGetDatum(DATEVAL_NOEND);
			pu_null = false;
		}
		else if (!decided_null)
		{
			/*
			 * (decided_on + max_publicity)::date, as the SQL expression
			 * computes it
			 */
			Datum		ts = DirectFunctionCall2(date_pl_interval, DateADTGetDatum(decided),
												 IntervalPGetDatum(&e->max_publicity));

			pu = DirectFunctionCall1(timestamp_date, ts);
			pu_null = false;
		}
		newtup = heap_modify_tuple_by_cols(newtup, tupdesc, 1, &col, &pu, &pu_null);
	}
	return PointerGetDatum(newtup);
}
