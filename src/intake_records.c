/*
 * intake_records.c
 *      The record of each ready row of an intake statement: its decision key
 *      claimed, its record the decision's or a new one, and which row
 *      carries each record's values.
 *
 * A row with a decision key (unit, item, document number and the party
 * credit.decision_party_of gives) shares the record of its decision; the
 * keys are claimed in credit.decision in key order, in one statement (a
 * plain INSERT, and INSERT ... ON CONFLICT when a key is held), each new one
 * with the number of the record it will be, so a sending racing this one
 * waits for it and then updates the record; a key held already gives its
 * record.  Making the records is SQL (credit.intake_apply).
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "storage/proc.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/memutils.h"
#include "utils/resowner.h"

#include "intake.h"
#include "util.h"

/* The party of each ready row's decision key (the rule is credit.decision_party_of). */
static CreditQuery q_parties = {
	"SELECT credit.decision_party_of(x.c, x.s) "
	"FROM ROWS FROM (pg_catalog.unnest($1), pg_catalog.unnest($2)) WITH ORDINALITY AS x(c, s, n) ORDER BY x.n",
	2, {TEXTARRAYOID, INT8ARRAYOID}
};

/* The sequence of record numbers (the partitioned layout makes its own). */
static CreditQuery q_record_seq = {
	"SELECT pg_catalog.pg_get_serial_sequence('credit.record', 'id')::pg_catalog.regclass::pg_catalog.oid",
	0, {0}
};

/*
 * Claim (and lock) the decision keys in key order: a new key is inserted
 * with the number of the record it will be, a key held already is locked
 * (a sending racing this one waits for it) and not returned.
 */
#define CLAIM_KEYS \
	"INSERT INTO credit.decision AS d (department, item_code, document_no, party, subject_id, record_id) " \
	"SELECT k.dep, k.item, k.doc, k.party, k.sid, pg_catalog.nextval($6) " \
	"  FROM ROWS FROM (pg_catalog.unnest($1), pg_catalog.unnest($2), pg_catalog.unnest($3), " \
	"                  pg_catalog.unnest($4), pg_catalog.unnest($5)) AS k(dep, item, doc, party, sid) " \
	" ORDER BY k.dep, k.item, k.doc, k.party "
#define CLAIMED_KEYS "RETURNING d.department, d.item_code, d.document_no, d.party, d.record_id"
static CreditQuery q_claim = {
	CLAIM_KEYS
	"    ON CONFLICT ON CONSTRAINT decision_pkey DO UPDATE SET record_id = d.record_id WHERE false "
	CLAIMED_KEYS,
	6, {TEXTARRAYOID, TEXTARRAYOID, TEXTARRAYOID, INT8ARRAYOID, INT8ARRAYOID, REGCLASSOID}
};

/*
 * The same claim as a plain INSERT, tried first: its unique check is part of
 * each insertion, where ON CONFLICT inserts speculatively; it claims every
 * key unless one is held already (unique_violation: then q_claim, from the
 * start).
 */
static CreditQuery q_claim_new = {
	CLAIM_KEYS CLAIMED_KEYS,
	6, {TEXTARRAYOID, TEXTARRAYOID, TEXTARRAYOID, INT8ARRAYOID, INT8ARRAYOID, REGCLASSOID}
};

/*
 * Claim the keys: by q_claim_new in a subtransaction, rolled back when a key
 * is held already (or was claimed meanwhile by a sending that committed),
 * and then by q_claim.  Either way SPI_tuptable holds the keys claimed.
 */
static void
claim_keys(Datum *args)
{
	MemoryContext cxt = CurrentMemoryContext;
	ResourceOwner owner = CurrentResourceOwner;
	bool		held = false;

	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(cxt);
	PG_TRY();
	{
		credit_query_exec(&q_claim_new, args, NULL, false, SPI_OK_INSERT_RETURNING, "claiming decisions");
		ReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(cxt);
		CurrentResourceOwner = owner;
	}
	PG_CATCH();
	{
		ErrorData  *e;

		MemoryContextSwitchTo(cxt);
		e = CopyErrorData();
		if (e->sqlerrcode != ERRCODE_UNIQUE_VIOLATION)
		{
			RollbackAndReleaseCurrentSubTransaction();
			MemoryContextSwitchTo(cxt);
			CurrentResourceOwner = owner;
			ReThrowError(e);
		}
		FlushErrorState();
		RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(cxt);
		CurrentResourceOwner = owner;
		held = true;
	}
	PG_END_TRY();
	if (held)
		credit_query_exec(&q_claim, args, NULL, false, SPI_OK_INSERT_RETURNING, "claiming decisions");
}

/* The records of keys held already (read after the claim, with a fresh snapshot). */
static CreditQuery q_held = {
	"SELECT k.n, d.record_id "
	"  FROM ROWS FROM (pg_catalog.unnest($1), pg_catalog.unnest($2), pg_catalog.unnest($3), pg_catalog.unnest($4)) "
	"       WITH ORDINALITY AS k(dep, item, doc, party, n) "
	"  JOIN credit.decision d ON d.department OPERATOR(pg_catalog.=) k.dep AND d.item_code OPERATOR(pg_catalog.=) k.item "
	"   AND d.document_no OPERATOR(pg_catalog.=) k.doc AND d.party OPERATOR(pg_catalog.=) k.party",
	4, {TEXTARRAYOID, TEXTARRAYOID, TEXTARRAYOID, INT8ARRAYOID}
};

/* Numbers of new records without a decision key. */
static CreditQuery q_new_ids = {
	"SELECT pg_catalog.nextval($1) FROM pg_catalog.generate_series(1, $2)",
	2, {REGCLASSOID, INT4OID}
};

/*
 * The records the intake of the current subtransaction numbered and is
 * about to insert, by number, with the fields their decision keys come
 * from: the keys of the keyed ones are claimed already, in credit.decision
 * with these numbers, by this subtransaction.  The record trigger
 * (credit.record_decisions) asks credit.intake_claimed whether a
 * statement's records are exactly such records (each once), and then
 * claims nothing again.  Kept in TopTransactionContext; entries of another
 * transaction or subtransaction are never trusted (a subtransaction rolled
 * back took its claims with it), and an entry is used once.
 */
typedef struct IntakeClaim
{
	int64		record_id;		/* hash key */
	char	   *unit;
	char	   *item;
	char	   *doc;			/* NULL: no document number */
	int64		subject_id;
	uint64		asked;			/* the call of credit.intake_claimed that
								 * found it last */
} IntakeClaim;

static HTAB *claims = NULL;
static LocalTransactionId claims_lxid = InvalidLocalTransactionId;
static SubTransactionId claims_subxid = InvalidSubTransactionId;
static uint64 claims_asked = 0;

/* The claims of the current subtransaction, or NULL (stale ones forgotten). */
static HTAB *
current_claims(void)
{
	if (claims != NULL &&
		(claims_lxid != MyProc->lxid || claims_subxid != GetCurrentSubTransactionId()))
		claims = NULL;			/* its memory went with its transaction, or
								 * its subtransaction is not this one */
	return claims;
}

/* Keep the records about to be inserted (makes insert) for the record trigger. */
static void
remember_claims(Row **ready, int nready)
{
	if (current_claims() == NULL)
	{
		HASHCTL		ctl;

		ctl.keysize = sizeof(int64);
		ctl.entrysize = sizeof(IntakeClaim);
		ctl.hcxt = TopTransactionContext;
		claims = hash_create("credit intake claims", Max(nready, 16), &ctl, HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
		claims_lxid = MyProc->lxid;
		claims_subxid = GetCurrentSubTransactionId();
	}
	for (int i = 0; i < nready; i++)
	{
		Row		   *r = ready[i];
		IntakeClaim *c;
		bool		found;

		if (r->makes == NULL || strcmp(r->makes, "insert") != 0)
			continue;
		c = hash_search(claims, &r->record_id, HASH_ENTER, &found);
		c->unit = MemoryContextStrdup(TopTransactionContext, r->unit);
		c->item = MemoryContextStrdup(TopTransactionContext, r->item);
		c->doc = r->doc != NULL ? MemoryContextStrdup(TopTransactionContext, r->doc) : NULL;
		c->subject_id = r->subject_id;
		c->asked = 0;
	}
}

/* The i-th text of an array's deconstructed elements, or NULL. */
static char *
array_text(Datum *d, bool *isnull, int i)
{
	return isnull[i] ? NULL : TextDatumGetCString(d[i]);
}

/*
 * credit.intake_claims_pending(): whether the intake of this subtransaction
 * is about to insert records whose keys it claimed (cheap: the record
 * trigger asks it before gathering its rows).
 */
PG_FUNCTION_INFO_V1(credit_intake_claims_pending);
Datum
credit_intake_claims_pending(PG_FUNCTION_ARGS)
{
	HTAB	   *h = current_claims();

	PG_RETURN_BOOL(h != NULL && hash_get_num_entries(h) > 0);
}

/*
 * credit.intake_claimed(ids, units, items, documents, subjects): true when
 * every row given (a statement's new records) is a record this
 * subtransaction's intake numbered, with exactly this unit, item, trimmed
 * document number and subject; those entries are then used up.  False
 * (nothing used) when any row is not: the trigger then claims as for any
 * statement.
 */
PG_FUNCTION_INFO_V1(credit_intake_claimed);
Datum
credit_intake_claimed(PG_FUNCTION_ARGS)
{
	HTAB	   *h = current_claims();
	Datum	   *d[5];
	bool	   *nul[5];
	int			n[5];

	if (h == NULL)
		PG_RETURN_BOOL(false);
	for (int a = 0; a < 5; a++)
	{
		ArrayType  *arr;

		if (PG_ARGISNULL(a))
			PG_RETURN_BOOL(false);
		arr = PG_GETARG_ARRAYTYPE_P(a);
		if (a == 0 || a == 4)
			deconstruct_array(arr, INT8OID, sizeof(int64), FLOAT8PASSBYVAL, TYPALIGN_DOUBLE, &d[a], &nul[a], &n[a]);
		else
			deconstruct_array(arr, TEXTOID, -1, false, TYPALIGN_INT, &d[a], &nul[a], &n[a]);
		if (n[a] != n[0])
			PG_RETURN_BOOL(false);
	}
	if (n[0] == 0 || n[0] > hash_get_num_entries(h))
		PG_RETURN_BOOL(false);
	claims_asked++;
	for (int i = 0; i < n[0]; i++)
	{
		IntakeClaim *c;
		int64		id;
		char	   *unit,
				   *item,
				   *doc;

		if (nul[0][i] || nul[4][i])
			PG_RETURN_BOOL(false);
		id = DatumGetInt64(d[0][i]);
		c = hash_search(h, &id, HASH_FIND, NULL);
		unit = array_text(d[1], nul[1], i);
		item = array_text(d[2], nul[2], i);
		doc = array_text(d[3], nul[3], i);
		if (doc != NULL && doc[0] == '\0')
			doc = NULL;
		if (c == NULL || unit == NULL || item == NULL ||
			strcmp(c->unit, unit) != 0 || strcmp(c->item, item) != 0 ||
			(c->doc == NULL) != (doc == NULL) || (doc != NULL && strcmp(c->doc, doc) != 0) ||
			c->subject_id != DatumGetInt64(d[4][i]) ||
			c->asked == claims_asked)	/* an id given twice */
			PG_RETURN_BOOL(false);
		c->asked = claims_asked;
	}
	for (int i = 0; i < n[0]; i++)
	{
		int64		id = DatumGetInt64(d[0][i]);

		(void) hash_search(h, &id, HASH_REMOVE, NULL);
	}
	PG_RETURN_BOOL(true);
}

/* Order of decision keys (unit, item, document number, party), for grouping and finding them. */
static int
cmp_key_parts(const char *dep1, const char *item1, const char *doc1, int64 party1,
			  const char *dep2, const char *item2, const char *doc2, int64 party2)
{
	int			c;

	if ((c = strcmp(dep1, dep2)) != 0 || (c = strcmp(item1, item2)) != 0 || (c = strcmp(doc1, doc2)) != 0)
		return c;
	return party1 < party2 ? -1 : party1 > party2 ? 1 : 0;
}

/* Rows by decision key, then line. */
static int
cmp_row_key(const void *a, const void *b)
{
	const Row  *x = *(Row *const *) a;
	const Row  *y = *(Row *const *) b;
	int			c = cmp_key_parts(x->unit, x->item, x->doc, x->party, y->unit, y->item, y->doc, y->party);

	return c != 0 ? c : x->line - y->line;
}

/* The decision of a key among the sorted ones, or NULL. */
static Decision *
find_decision(Decision *dec, int n, const char *dep, const char *item, const char *doc, int64 party)
{
	int			lo = 0,
				hi = n - 1;

	while (lo <= hi)
	{
		int			mid = lo + (hi - lo) / 2;
		Row		   *f = dec[mid].first;
		int			c = cmp_key_parts(dep, item, doc, party, f->unit, f->item, f->doc, f->party);

		if (c == 0)
			return &dec[mid];
		if (c < 0)
			hi = mid - 1;
		else
			lo = mid + 1;
	}
	return NULL;
}

/*
 * Each ready row's record (accepted rows whose subject is known): a row
 * with a decision key (unit, item, document number and the party
 * credit.decision_party_of gives) shares the record of its decision, the
 * one held already (the rows updated) or a new one claimed now (its first
 * row accepted, the others updated); a row without is a new record of its
 * own.  The last row of each record carries the values the record gets
 * (makes: insert or update).
 */
void
intake_assign_records(Row *rows, int n, MemoryContext cxt)
{
	Row		  **ready = palloc(sizeof(Row *) * Max(n, 1));
	Row		  **keyed = palloc(sizeof(Row *) * Max(n, 1));
	int			nready = 0,
				nkeyed = 0,
				ndec = 0,
				nsingle = 0;
	Decision   *dec;
	Oid			seq;
	bool		isnull;
	Datum		args[6];

	for (int i = 0; i < n; i++)
		if (rows[i].problem == NULL && rows[i].has_subject)
			ready[nready++] = &rows[i];
	if (nready == 0)
		return;

	/* the party of each ready row's decision key */
	{
		char	  **cats = palloc(sizeof(char *) * nready);
		int64	   *sids = palloc(sizeof(int64) * nready);

		for (int i = 0; i < nready; i++)
		{
			cats[i] = unconstify(char *, ready[i]->category);
			sids[i] = ready[i]->subject_id;
		}
		args[0] = credit_text_array(cats, nready);
		args[1] = credit_int8_array(sids, nready);
		run_query(&q_parties, args, true, "reading the parties of decisions", cxt);
		if (SPI_processed != (uint64) nready)
			elog(ERROR, "credit: party query returned %llu rows for %d", (unsigned long long) SPI_processed, nready);
		for (int i = 0; i < nready; i++)
		{
			Datum		d = SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1, &isnull);

			ready[i]->has_party = !isnull;
			ready[i]->party = isnull ? 0 : DatumGetInt64(d);
		}
	}
	run_query(&q_record_seq, NULL, true, "finding the records' sequence", cxt);
	seq = DatumGetObjectId(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));

	/* the decisions: rows grouped by key */
	for (int i = 0; i < nready; i++)
	{
		Row		   *r = ready[i];
		char	   *doc = trim_spaces(r->col[C_DOCUMENT_NO]);

		r->doc = (doc != NULL && doc[0] != '\0') ? doc : NULL;
		if (r->doc != NULL && r->has_party)
			keyed[nkeyed++] = r;
		else
			nsingle++;
	}
	qsort(keyed, nkeyed, sizeof(Row *), cmp_row_key);
	dec = palloc0(sizeof(Decision) * Max(nkeyed, 1));
	for (int i = 0; i < nkeyed; i++)
	{
		Row		   *r = keyed[i];

		if (ndec == 0 || cmp_key_parts(r->unit, r->item, r->doc, r->party, dec[ndec - 1].first->unit,
									   dec[ndec - 1].first->item, dec[ndec - 1].first->doc,
									   dec[ndec - 1].first->party) != 0)
			dec[ndec++].first = r;
		dec[ndec - 1].last = r;
		r->decision = &dec[ndec - 1];
	}

	if (ndec > 0)
	{
		char	  **deps = palloc(sizeof(char *) * ndec);
		char	  **items = palloc(sizeof(char *) * ndec);
		char	  **docs = palloc(sizeof(char *) * ndec);
		int64	   *parties = palloc(sizeof(int64) * ndec);
		int64	   *sids = palloc(sizeof(int64) * ndec);
		int			nheld = 0;

		for (int i = 0; i < ndec; i++)
		{
			deps[i] = unconstify(char *, dec[i].first->unit);
			items[i] = dec[i].first->item;
			docs[i] = dec[i].first->doc;
			parties[i] = dec[i].first->party;
			sids[i] = dec[i].last->subject_id;
		}
		args[0] = credit_text_array(deps, ndec);
		args[1] = credit_text_array(items, ndec);
		args[2] = credit_text_array(docs, ndec);
		args[3] = credit_int8_array(parties, ndec);
		args[4] = credit_int8_array(sids, ndec);
		args[5] = ObjectIdGetDatum(seq);
		claim_keys(args);
		MemoryContextSwitchTo(cxt);
		for (uint64 i = 0; i < SPI_processed; i++)
		{
			HeapTuple	tup = SPI_tuptable->vals[i];
			TupleDesc	td = SPI_tuptable->tupdesc;
			Decision   *d = find_decision(dec, ndec, spi_text(tup, 1, cxt), spi_text(tup, 2, cxt), spi_text(tup, 3, cxt),
										  DatumGetInt64(SPI_getbinval(tup, td, 4, &isnull)));

			if (d == NULL)
				elog(ERROR, "credit: a claimed decision key is not one of the statement's");
			d->claimed = true;
			d->record_id = DatumGetInt64(SPI_getbinval(tup, td, 5, &isnull));
		}

		/* keys held already: their records */
		for (int i = 0; i < ndec; i++)
			if (!dec[i].claimed)
			{
				deps[nheld] = deps[i];
				items[nheld] = items[i];
				docs[nheld] = docs[i];
				parties[nheld] = parties[i];
				sids[nheld++] = i;	/* the decision's index */
			}
		if (nheld > 0)
		{
			args[0] = credit_text_array(deps, nheld);
			args[1] = credit_text_array(items, nheld);
			args[2] = credit_text_array(docs, nheld);
			args[3] = credit_int8_array(parties, nheld);
			run_query(&q_held, args, false, "reading the records of decisions", cxt);
			for (uint64 i = 0; i < SPI_processed; i++)
			{
				HeapTuple	tup = SPI_tuptable->vals[i];
				int64		k = DatumGetInt64(SPI_getbinval(tup, SPI_tuptable->tupdesc, 1, &isnull));
				Datum		rid = SPI_getbinval(tup, SPI_tuptable->tupdesc, 2, &isnull);

				if (k < 1 || k > nheld || isnull)
					elog(ERROR, "credit: decision key without a record");
				dec[sids[k - 1]].record_id = DatumGetInt64(rid);
			}
			for (int i = 0; i < ndec; i++)
				if (!dec[i].claimed && dec[i].record_id == 0)
					elog(ERROR, "credit: decision key neither claimed nor held");
		}
	}
	for (int i = 0; i < nkeyed; i++)
	{
		Row		   *r = keyed[i];
		Decision   *d = r->decision;

		r->record_id = d->record_id;
		r->status = d->claimed && r == d->first ? "accepted" : "updated";
		r->makes = r != d->last ? NULL : d->claimed ? "insert" : "update";
	}

	/* rows without a decision key: a new record each */
	if (nsingle > 0)
	{
		int			k = 0;

		args[0] = ObjectIdGetDatum(seq);
		args[1] = Int32GetDatum(nsingle);
		run_query(&q_new_ids, args, false, "numbering records", cxt);
		for (int i = 0; i < nready; i++)
			if (ready[i]->decision == NULL)
			{
				if ((uint64) k >= SPI_processed)
					elog(ERROR, "credit: too few record numbers");
				ready[i]->record_id = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[k++], SPI_tuptable->tupdesc, 1, &isnull));
				ready[i]->status = "accepted";
				ready[i]->makes = "insert";
			}
	}
	remember_claims(ready, nready);
}
