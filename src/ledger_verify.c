/*
 * ledger_verify.c
 *      credit.verify_ledger(): the ledger checked against itself (the hash
 *      chain, in seq order) and against the ledgered tables (each row's
 *      logged history, sorted by key, merged with the table read in key
 *      order), and the capture triggers.  See docs/ledger.md.
 */
#include "postgres.h"

#include <limits.h>

#include "access/htup_details.h"
#include "access/table.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/partcache.h"
#include "utils/rel.h"
#include "utils/timestamp.h"
#include "utils/xid8.h"

#include "credit.h"
#include "util.h"
#include "ledger.h"
#include "secret.h"

typedef struct VerifyCtx
{
	Tuplestorestate *ts;
	TupleDesc	desc;
	Oid			nspid;
	const char *nsp;
	int64		nproblems;		/* counted when ts is NULL
								 * (credit.seal_ledger) */
} VerifyCtx;

static void problem(VerifyCtx *v, int64 seq, const char *fmt,...) pg_attribute_printf(3, 4);

/* Report a problem: a row of the result (seq 0 or less: NULL, no entry). */
static void
problem(VerifyCtx *v, int64 seq, const char *fmt,...)
{
	StringInfoData s;
	Datum		values[2];
	bool		nulls[2] = {seq <= 0, false};

	v->nproblems++;
	if (v->ts == NULL)
		return;
	initStringInfo(&s);
	for (;;)
	{
		va_list		args;
		int			needed;

		va_start(args, fmt);
		needed = appendStringInfoVA(&s, fmt, args);
		va_end(args);
		if (needed == 0)
			break;
		enlargeStringInfo(&s, needed);
	}
	values[0] = Int64GetDatum(seq);
	values[1] = CStringGetTextDatum(s.data);
	tuplestore_putvalues(v->ts, v->desc, values, nulls);
	pfree(s.data);
}

/* A streamed SPI cursor with one-row look-ahead. */
typedef struct Stream
{
	Portal		portal;
	SPITupleTable *tt;
	uint64		pos;
	bool		done;
} Stream;

#define STREAM_BATCH 1000

/* Open a read-only cursor on a query with arguments. */
static void
stream_open(Stream *s, const char *sql, int nargs, Oid *types, Datum *args)
{
	SPIPlanPtr	plan = SPI_prepare(sql, nargs, types);

	if (plan == NULL)
		elog(ERROR, "credit ledger: preparing \"%s\" failed: %s", sql, SPI_result_code_string(SPI_result));
	s->portal = SPI_cursor_open(NULL, plan, args, NULL, true);
	s->tt = NULL;
	s->pos = 0;
	s->done = false;
}

/* The current row of a stream (NULL at the end). */
static HeapTuple
stream_peek(Stream *s, int batch)
{
	if (s->done)
		return NULL;
	if (s->tt == NULL || s->pos >= s->tt->numvals)
	{
		if (s->tt)
			SPI_freetuptable(s->tt);
		SPI_cursor_fetch(s->portal, true, batch);
		s->tt = SPI_tuptable;
		s->pos = 0;
		if (SPI_processed == 0)
		{
			s->done = true;
			SPI_freetuptable(s->tt);
			s->tt = NULL;
			SPI_cursor_close(s->portal);
			return NULL;
		}
	}
	return s->tt->vals[s->pos];
}

/* Hash pointers of a bytea[] column's elements; false unless n elements of 32 bytes. */
static bool
hash_elems(Datum *d, bool *nulls, int n, const uint8 ***out)
{
	const uint8 **p = palloc(sizeof(uint8 *) * Max(n, 1));
	int			i;

	for (i = 0; i < n; i++)
	{
		bytea	   *b;

		if (nulls[i])
			return false;
		b = DatumGetByteaPP(d[i]);
		if (VARSIZE_ANY_EXHDR(b) != HASH_LEN)
			return false;
		p[i] = (const uint8 *) VARDATA_ANY(b);
	}
	*out = p;
	return true;
}

/* Check one entry's contents against its hash; returns the malformation, or NULL. */
static const char *
check_entry(HeapTuple tup, TupleDesc td, int64 seq, const uint8 *prev, const uint8 *stored, bool *hash_ok)
{
	bool		isnull;
	TimestampTz at;
	char	   *who;
	uint64		xid;
	char	   *relation;
	char	   *op;
	Datum	   *d1,
			   *d2,
			   *dold,
			   *dnew;
	bool	   *n1,
			   *n2,
			   *nold,
			   *nnew;
	int			n,
				nk2,
				nol,
				nne;
	int64	   *k1;
	int64	   *k2 = NULL;
	const uint8 **oldh = NULL;
	const uint8 **newh = NULL;
	bool		want_old,
				want_new;
	uint8		h[HASH_LEN];
	int			i;

	*hash_ok = false;
	at = DatumGetTimestampTz(SPI_getbinval(tup, td, 2, &isnull));
	if (isnull)
		return "at is NULL";
	who = SPI_getvalue(tup, td, 3);
	if (who == NULL)
		return "who is NULL";
	xid = U64FromFullTransactionId(DatumGetFullTransactionId(SPI_getbinval(tup, td, 4, &isnull)));
	if (isnull)
		return "xid is NULL";
	relation = SPI_getvalue(tup, td, 5);
	op = SPI_getvalue(tup, td, 6);
	if (relation == NULL || op == NULL)
		return "relation or op is NULL";
	want_old = strcmp(op, "update") == 0 || strcmp(op, "delete") == 0;
	want_new = strcmp(op, "update") == 0 || strcmp(op, "insert") == 0;
	if (!want_old && !want_new && strcmp(op, "truncate") != 0)
		return "unknown op";
	n = credit_spi_array(tup, td, 7, INT8OID, &d1, &n1);
	if (n < 0)
		return "key1 is not an array";
	nk2 = credit_spi_array(tup, td, 8, INT8OID, &d2, &n2);
	nol = credit_spi_array(tup, td, 9, BYTEAOID, &dold, &nold);
	nne = credit_spi_array(tup, td, 10, BYTEAOID, &dnew, &nnew);
	if ((nk2 != -1 && nk2 != n) || (want_old ? nol != n : nol != -1) || (want_new ? nne != n : nne != -1))
		return "arrays of different lengths";
	k1 = palloc(sizeof(int64) * Max(n, 1));
	if (nk2 >= 0)
		k2 = palloc(sizeof(int64) * Max(n, 1));
	for (i = 0; i < n; i++)
	{
		if (n1[i] || (k2 && n2[i]))
			return "a NULL key";
		k1[i] = DatumGetInt64(d1[i]);
		if (k2)
			k2[i] = DatumGetInt64(d2[i]);
	}

	/*
	 * a truncate has no rows, or names one hash partition (modulus,
	 * remainder)
	 */
	if (strcmp(op, "truncate") == 0 && n != 0 &&
		(n != 1 || k2 == NULL || k1[0] < 1 || k2[0] < 0 || k2[0] >= k1[0]))
		return "a truncate entry with rows";
	if ((want_old && !hash_elems(dold, nold, n, &oldh)) || (want_new && !hash_elems(dnew, nnew, n, &newh)))
		return "a row hash that is not 32 bytes";
	ledger_entry_hash(prev, seq, at, who, xid, relation, op,
					  (nk2 >= 0 ? FLAG_KEY2 : 0) | (want_old ? FLAG_OLD : 0) | (want_new ? FLAG_NEW : 0),
					  n, k1, k2, oldh, newh, h);
	*hash_ok = memcmp(h, stored, HASH_LEN) == 0;
	return NULL;
}

/* A bytea column that must hold a hash; false if NULL or not 32 bytes. */
static bool
get_hash(HeapTuple tup, TupleDesc td, int col, uint8 *out)
{
	bool		isnull;
	Datum		v = SPI_getbinval(tup, td, col, &isnull);
	bytea	   *b;

	if (isnull)
		return false;
	b = DatumGetByteaPP(v);
	if (VARSIZE_ANY_EXHDR(b) != HASH_LEN)
		return false;
	memcpy(out, VARDATA_ANY(b), HASH_LEN);
	return true;
}

/* Add an entry to the list of those credit.seal_ledger tags. */
static void
to_seal(int64 **list, int64 *n, int64 *cap, int64 seq)
{
	if (*n == *cap)
	{
		*cap = Max(*cap * 2, 64);
		*list = *list ? repalloc_huge(*list, sizeof(int64) * *cap) : palloc(sizeof(int64) * *cap);
	}
	(*list)[(*n)++] = seq;
}

/* Report a run of untagged entries, first to last. */
static void
untagged_run(VerifyCtx *v, int64 first, int64 last)
{
	if (first <= 0)
		return;
	if (first == last)
		problem(v, first, "entry carries no keyed tag (written while credit.ledger_key was not set): "
				"a rewrite of it cannot be told apart; credit.seal_ledger() tags it once checked");
	else
		problem(v, first, "entry, and the " INT64_FORMAT " after it, carry no keyed tag "
				"(written while credit.ledger_key was not set): a rewrite of them cannot be told apart; "
				"credit.seal_ledger() tags them once checked", last - first);
}

/*
 * Pass 1: the chain and the keyed tags, in seq order.  The seqs of the
 * entries to tag — untagged ones, and during a rotation those tagged under
 * credit.ledger_key_previous — go to *untagged (when not NULL) instead of
 * untagged ones being reported.
 */
static void
verify_chain(VerifyCtx *v, int64 **untagged, int64 *nuntagged)
{
	Stream		s;
	StringInfoData q;
	int64		expected = 1;
	uint8		last[HASH_LEN];
	bool		first = true;
	bool		keyed = ledger_key_usable(LEDGER_KEY_CURRENT);
	bool		rotating = keyed && ledger_key_usable(LEDGER_KEY_PREVIOUS);
	int64		run_first = 0;
	int64		run_last = 0;
	int64		cap = 0;
	MemoryContext cxt = AllocSetContextCreate(CurrentMemoryContext, "credit ledger entry", ALLOCSET_DEFAULT_SIZES);
	HeapTuple	tup;

	memset(last, 0, HASH_LEN);
	initStringInfo(&q);
	appendStringInfo(&q,
					 "SELECT l.seq, l.at, l.who, l.xid, l.relation, l.op, l.key1, l.key2, l.old_hashes, "
					 "l.new_hashes, l.prev_hash, l.hash, l.mac FROM %s.ledger l ORDER BY l.seq", v->nsp);
	stream_open(&s, q.data, 0, NULL, NULL);
	while ((tup = stream_peek(&s, 16)) != NULL)
	{
		TupleDesc	td = s.tt->tupdesc;
		bool		isnull;
		int64		seq = DatumGetInt64(SPI_getbinval(tup, td, 1, &isnull));
		uint8		prev[HASH_LEN];
		uint8		stored[HASH_LEN];
		uint8		mac[HASH_LEN];
		uint8		tag[HASH_LEN];
		bool		have_prev = get_hash(tup, td, 11, prev);
		bool		have_hash = get_hash(tup, td, 12, stored);
		bool		have_mac = get_hash(tup, td, 13, mac);
		const char *bad;
		bool		hash_ok;
		MemoryContext old;

		if (seq > expected)
		{
			if (seq == expected + 1)
				problem(v, expected, "entry missing (deleted from the ledger)");
			else
				problem(v, expected, "entry missing, and the " INT64_FORMAT " after it (deleted from the ledger)",
						seq - expected - 1);
		}
		else if (seq < expected)
			problem(v, seq, "duplicate seq");
		if (!have_prev || (first ? (seq == 1 && memcmp(prev, last, HASH_LEN) != 0)
						   : memcmp(prev, last, HASH_LEN) != 0))
			problem(v, seq, "prev_hash does not match the hash of the entry before it");
		if (!have_hash)
		{
			problem(v, seq, "hash is missing or not 32 bytes");
			memset(stored, 0, HASH_LEN);
		}
		else
		{
			old = MemoryContextSwitchTo(cxt);
			bad = check_entry(tup, td, seq, have_prev ? prev : last, stored, &hash_ok);
			MemoryContextSwitchTo(old);
			MemoryContextReset(cxt);
			if (bad)
				problem(v, seq, "malformed entry: %s", bad);
			else if (!hash_ok)
				problem(v, seq, "hash does not match the entry's contents");
		}
		if (keyed && !have_mac)
		{
			(void) SPI_getbinval(tup, td, 13, &isnull);
			if (!isnull)
				problem(v, seq, "keyed tag is not 32 bytes");
			else if (untagged != NULL)
				to_seal(untagged, nuntagged, &cap, seq);
			else if (run_first > 0 && run_last == seq - 1)
				run_last = seq;
			else
			{
				untagged_run(v, run_first, run_last);
				run_first = run_last = seq;
			}
		}
		else if (keyed)
		{
			ledger_entry_tag(LEDGER_KEY_CURRENT, stored, tag);
			if (!credit_hmac_equal(tag, mac))
			{
				/*
				 * during a rotation, a tag under the previous key verifies
				 * too
				 */
				if (rotating)
					ledger_entry_tag(LEDGER_KEY_PREVIOUS, stored, tag);
				if (!rotating || !credit_hmac_equal(tag, mac))
					problem(v, seq, "keyed tag does not match the entry's hash "
							"(the entry was rewritten and re-hashed, or tagged under another credit.ledger_key)");
				else if (untagged != NULL)
					to_seal(untagged, nuntagged, &cap, seq);
			}
		}
		memcpy(last, stored, HASH_LEN);
		first = false;
		expected = seq + 1;
		s.pos++;
	}
	untagged_run(v, run_first, run_last);
	if (!keyed && !first)
		ereport(WARNING,
				(errmsg("credit.ledger_key is not set: the ledger was checked against its own hashes only"),
				 errdetail("The keyed tags that show an entry rewritten and re-hashed by someone able to write credit.ledger were not checked."),
				 errhint("A superuser sets credit.ledger_key in postgresql.conf, with credit in shared_preload_libraries (docs/security.md).")));
	MemoryContextDelete(cxt);
	pfree(q.data);
}

/* Run a read-only query whose $1 is the text[] of the ledgered tables' names. */
static int
run_with_tables(const char *sql)
{
	Oid			type = TEXTARRAYOID;
	Datum		names[LEDGER_NTABLES];
	Datum		arg;
	int			i;

	for (i = 0; i < LEDGER_NTABLES; i++)
		names[i] = CStringGetTextDatum(ledger_tables[i]);
	arg = PointerGetDatum(construct_array(names, LEDGER_NTABLES, TEXTOID, -1, false, TYPALIGN_INT));
	return SPI_execute_with_args(sql, 1, &type, &arg, NULL, true, 0);
}

/* The capture triggers: report ledgered tables with an event not (or no more) logged. */
static void
verify_triggers(VerifyCtx *v)
{
	StringInfoData q;
	int			ret;
	uint64		i;

	initStringInfo(&q);
	appendStringInfo(&q,
					 "SELECT t.name, e.ev, "
					 "       (SELECT pg_catalog.string_agg(g.tgname, ', ' ORDER BY g.tgname) FROM pg_catalog.pg_trigger g "
					 "         WHERE g.tgrelid OPERATOR(pg_catalog.=) c.oid "
					 "           AND g.tgfoid OPERATOR(pg_catalog.=) '%s.ledger_capture'::pg_catalog.regproc "
					 "           AND (g.tgtype::pg_catalog.int4 OPERATOR(pg_catalog.&) e.bit) OPERATOR(pg_catalog.<>) 0 "
					 "           AND g.tgenabled NOT IN ('O', 'A')) AS disabled, "
					 "       EXISTS (SELECT FROM pg_catalog.pg_trigger g "
					 "         WHERE g.tgrelid OPERATOR(pg_catalog.=) c.oid "
					 "           AND g.tgfoid OPERATOR(pg_catalog.=) '%s.ledger_capture'::pg_catalog.regproc "
					 "           AND (g.tgtype::pg_catalog.int4 OPERATOR(pg_catalog.&) e.bit) OPERATOR(pg_catalog.<>) 0 "
					 "           AND g.tgenabled IN ('O', 'A')) AS enabled "
					 "  FROM pg_catalog.unnest($1::pg_catalog.text[]) t(name) "
					 "  JOIN pg_catalog.pg_class c ON c.relname OPERATOR(pg_catalog.=) t.name "
					 "   AND c.relnamespace OPERATOR(pg_catalog.=) '%s'::pg_catalog.regnamespace, "
					 "       (VALUES ('INSERT', 4), ('DELETE', 8), ('UPDATE', 16), ('TRUNCATE', 32)) e(ev, bit) "
					 " ORDER BY 1, e.bit",
					 v->nsp, v->nsp, v->nsp);
	ret = run_with_tables(q.data);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "credit ledger: reading the triggers failed: %s", SPI_result_code_string(ret));
	for (i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	td = SPI_tuptable->tupdesc;
		char	   *rel = SPI_getvalue(tup, td, 1);
		char	   *ev = SPI_getvalue(tup, td, 2);
		char	   *disabled = SPI_getvalue(tup, td, 3);
		bool		isnull;
		bool		enabled = DatumGetBool(SPI_getbinval(tup, td, 4, &isnull));

		if (enabled)
			continue;
		if (disabled)
			problem(v, 0, "credit.%s: %s is not logged: ledger trigger %s disabled", rel, ev, disabled);
		else
			problem(v, 0, "credit.%s: %s is not logged: no ledger trigger", rel, ev);
	}
	SPI_freetuptable(SPI_tuptable);
	pfree(q.data);
}

/* Compare two keys (k2 ignored for one-column keys). */
static int
key_cmp(int64 a1, int64 a2, int64 b1, int64 b2)
{
	if (a1 != b1)
		return a1 < b1 ? -1 : 1;
	if (a2 != b2)
		return a2 < b2 ? -1 : 1;
	return 0;
}

/*
 * The truncates of a table: each entry's seq (or order in the transaction),
 * and the hash partition it removed (modulus 0: the whole table).
 */
typedef struct Truncates
{
	int			n;
	int64	   *pos;
	int64	   *modulus;
	int64	   *remainder;
} Truncates;

/* Room for n truncates. */
static void
truncates_init(Truncates *t, int n)
{
	t->n = 0;
	t->pos = palloc(sizeof(int64) * Max(n, 1));
	t->modulus = palloc(sizeof(int64) * Max(n, 1));
	t->remainder = palloc(sizeof(int64) * Max(n, 1));
}

/* Add a truncate at pos (of one hash partition when modulus > 0). */
static void
truncates_add(Truncates *t, int64 pos, int64 modulus, int64 remainder)
{
	t->pos[t->n] = pos;
	t->modulus[t->n] = modulus;
	t->remainder[t->n] = remainder;
	t->n++;
}

/*
 * The first truncate strictly between two positions (to < 0: after from)
 * that removed the row whose partition key is pkey (has_pkey false: the
 * table has no partition key, only whole truncates count): its position in
 * *at (when at is not NULL), or false if there is none.
 */
static bool
truncated_between(const Truncates *t, int64 from, int64 to, bool has_pkey, int64 pkey, int64 *at)
{
	int			i;

	for (i = 0; i < t->n; i++)
		if (t->pos[i] > from && (to < 0 || t->pos[i] < to) &&
			(t->modulus[i] == 0 ||
			 (has_pkey && ledger_hash_partition_holds(t->modulus[i], t->remainder[i], pkey))))
		{
			if (at)
				*at = t->pos[i];
			return true;
		}
	return false;
}

/*
 * Apply one logged change of a key to its state (present, cur), reporting a
 * broken history: at seq for an entry, with seq 0 and "this transaction" for
 * a change of the current transaction not appended yet.
 */
static void
apply_change(VerifyCtx *v, const char *label, int64 seq, LedgerOp op,
			 const uint8 *oh, const uint8 *nh, bool *present, uint8 *cur)
{
	const char *by = seq > 0 ? "" : " by this transaction";
	const char *what = seq > 0 ? "this entry" : "this transaction";

	if (op == OP_INSERT)
	{
		if (*present)
			problem(v, seq, "%s: inserted%s, but its version before was deleted without passing through the ledger",
					label, by);
		*present = nh != NULL;
		if (nh)
			memcpy(cur, nh, HASH_LEN);
		return;
	}
	if (!*present)
		problem(v, seq, "%s: changed%s, but its insert was not logged (inserted without passing through the ledger)",
				label, by);
	else if (oh == NULL || memcmp(oh, cur, HASH_LEN) != 0)
		problem(v, seq, "%s: the version %s changes was never logged (changed without passing through the ledger before)",
				label, what);
	if (op == OP_UPDATE && nh)
	{
		memcpy(cur, nh, HASH_LEN);
		*present = true;
	}
	else
		*present = false;
}

/* qsort comparator of pending row changes: by key, then order. */
static int
pending_cmp(const void *a, const void *b)
{
	const PendingRow *x = a;
	const PendingRow *y = b;
	int			c = key_cmp(x->k1, x->k2, y->k1, y->k2);

	if (c != 0)
		return c;
	return x->ord < y->ord ? -1 : (x->ord > y->ord ? 1 : 0);
}


/* Pass 2 for one table: the last logged version of every row against the row as it is. */
static void
verify_rows(VerifyCtx *v, const char *relname)
{
	Oid			relid = get_relname_relid(relname, v->nspid);
	Relation	rel;
	AttrNumber	keys[2];
	int			nkeys;
	char	   *keynames[2];
	StringInfoData q;
	StringInfoData label;
	Oid			argtype = TEXTOID;
	Datum		arg = CStringGetTextDatum(relname);
	Truncates	tr;
	Truncates	ptr;
	int			pk = -1;		/* which key (0, 1) is the partition key, if
								 * any */
	uint64		i;
	int			ret;
	Stream		ls;
	Stream		ts;
	RowCodec   *codec = NULL;
	int			tk[2] = {0, 0};
	MemoryContext rowcxt = AllocSetContextCreate(CurrentMemoryContext, "credit ledger verify row",
												 ALLOCSET_DEFAULT_SIZES);
	Datum	   *values = NULL;
	bool	   *nulls = NULL;
	PendingRow *pe;
	int			npe = 0;
	int			pi = 0;

	rel = table_open(relid, AccessShareLock);
	nkeys = ledger_table_keys(rel, keys);
	for (i = 0; i < (uint64) nkeys; i++)
	{
		keynames[i] = pstrdup(NameStr(TupleDescAttr(RelationGetDescr(rel), keys[i] - 1)->attname));
		/* a hash-partitioned table: the key column it is partitioned by */
		if (rel->rd_rel->relkind == RELKIND_PARTITIONED_TABLE &&
			RelationGetPartitionKey(rel)->partnatts == 1 &&
			RelationGetPartitionKey(rel)->partattrs[0] == keys[i])
			pk = (int) i;
	}
	table_close(rel, AccessShareLock);

	initStringInfo(&q);
	appendStringInfo(&q, "SELECT l.seq, l.key1[1], l.key2[1] FROM %s.ledger l WHERE l.relation OPERATOR(pg_catalog.=) $1 "
					 "AND l.op OPERATOR(pg_catalog.=) 'truncate' ORDER BY l.seq", v->nsp);
	ret = SPI_execute_with_args(q.data, 1, &argtype, &arg, NULL, true, 0);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "credit ledger: reading the truncations failed");
	truncates_init(&tr, (int) SPI_processed);
	for (i = 0; i < SPI_processed; i++)
	{
		HeapTuple	t = SPI_tuptable->vals[i];
		TupleDesc	d = SPI_tuptable->tupdesc;
		bool		isnull,
					nomod,
					norem;
		int64		seq = DatumGetInt64(SPI_getbinval(t, d, 1, &isnull));
		Datum		m = SPI_getbinval(t, d, 2, &nomod);
		Datum		r = SPI_getbinval(t, d, 3, &norem);

		truncates_add(&tr, seq, nomod || norem ? 0 : DatumGetInt64(m), nomod || norem ? 0 : DatumGetInt64(r));
	}
	SPI_freetuptable(SPI_tuptable);

	/* the transaction's own changes, appended at its commit: the chain's tail */
	{
		PendingRow *all;
		int			nall = ledger_pending_rows(v->nspid, relname, &all);
		int			j;

		pe = palloc(sizeof(PendingRow) * Max(nall, 1));
		truncates_init(&ptr, nall);
		for (j = 0; j < nall; j++)
		{
			if (all[j].op == OP_TRUNCATE)
				truncates_add(&ptr, all[j].ord, all[j].k1, all[j].k2);
			else
				pe[npe++] = all[j];
		}
		qsort(pe, npe, sizeof(PendingRow), pending_cmp);
	}

	resetStringInfo(&q);
	appendStringInfo(&q,
					 "SELECT u.k1, u.k2, e.seq, e.op, u.oh, u.nh "
					 "  FROM %s.ledger e, "
					 "       LATERAL ROWS FROM (pg_catalog.unnest(e.key1), pg_catalog.unnest(e.key2), "
					 "                          pg_catalog.unnest(e.old_hashes), pg_catalog.unnest(e.new_hashes)) "
					 "       WITH ORDINALITY u(k1, k2, oh, nh, ord) "
					 " WHERE e.relation OPERATOR(pg_catalog.=) $1 AND e.op IN ('insert', 'update', 'delete') "
					 "   AND u.k1 IS NOT NULL "
					 " ORDER BY u.k1, u.k2, e.seq, u.ord", v->nsp);
	stream_open(&ls, q.data, 1, &argtype, &arg);
	resetStringInfo(&q);
	appendStringInfo(&q, "SELECT * FROM %s.%s ORDER BY %s", v->nsp, quote_identifier(relname),
					 quote_identifier(keynames[0]));
	if (nkeys == 2)
		appendStringInfo(&q, ", %s", quote_identifier(keynames[1]));
	stream_open(&ts, q.data, 0, NULL, NULL);
	initStringInfo(&label);

	for (;;)
	{
		HeapTuple	lt = stream_peek(&ls, STREAM_BATCH);
		HeapTuple	tt = stream_peek(&ts, STREAM_BATCH);
		int64		k1 = 0,
					k2 = 0;
		bool		have_key = false;
		bool		present = false;
		uint8		cur[HASH_LEN];
		int64		last_seq = 0;
		bool		pending = false;
		int			prev_ord = -1;
		bool		isnull;

		if (lt == NULL && tt == NULL && pi >= npe)
			break;
		if (tt != NULL && codec == NULL)
		{
			MemoryContext old = MemoryContextSwitchTo(rowcxt->parent);

			codec = ledger_codec_build(ts.tt->tupdesc);
			tk[0] = SPI_fnumber(ts.tt->tupdesc, keynames[0]);
			tk[1] = nkeys == 2 ? SPI_fnumber(ts.tt->tupdesc, keynames[1]) : 0;
			values = palloc(sizeof(Datum) * ts.tt->tupdesc->natts);
			nulls = palloc(sizeof(bool) * ts.tt->tupdesc->natts);
			MemoryContextSwitchTo(old);
		}
		/* the smallest key of the three streams */
		if (lt != NULL)
		{
			k1 = DatumGetInt64(SPI_getbinval(lt, ls.tt->tupdesc, 1, &isnull));
			k2 = nkeys == 2 ? DatumGetInt64(SPI_getbinval(lt, ls.tt->tupdesc, 2, &isnull)) : 0;
			have_key = true;
		}
		if (tt != NULL)
		{
			int64		t1 = DatumGetInt64(SPI_getbinval(tt, ts.tt->tupdesc, tk[0], &isnull));
			int64		t2 = nkeys == 2 ? DatumGetInt64(SPI_getbinval(tt, ts.tt->tupdesc, tk[1], &isnull)) : 0;

			if (!have_key || key_cmp(t1, t2, k1, k2) < 0)
			{
				k1 = t1;
				k2 = t2;
				have_key = true;
			}
		}
		if (pi < npe && (!have_key || key_cmp(pe[pi].k1, pe[pi].k2, k1, k2) < 0))
		{
			k1 = pe[pi].k1;
			k2 = pe[pi].k2;
		}
		resetStringInfo(&label);
		if (nkeys == 2)
			appendStringInfo(&label, "credit.%s (%s, %s)=(" INT64_FORMAT ", " INT64_FORMAT ")",
							 relname, keynames[0], keynames[1], k1, k2);
		else
			appendStringInfo(&label, "credit.%s (%s)=(" INT64_FORMAT ")", relname, keynames[0], k1);

		/* the history of the key in the ledger */
		while ((lt = stream_peek(&ls, STREAM_BATCH)) != NULL)
		{
			TupleDesc	td = ls.tt->tupdesc;
			int64		l1 = DatumGetInt64(SPI_getbinval(lt, td, 1, &isnull));
			int64		l2 = nkeys == 2 ? DatumGetInt64(SPI_getbinval(lt, td, 2, &isnull)) : 0;
			int64		seq;
			char	   *op;
			uint8		oh[HASH_LEN];
			uint8		nh[HASH_LEN];
			bool		have_oh,
						have_nh;

			if (key_cmp(l1, l2, k1, k2) != 0)
				break;
			seq = DatumGetInt64(SPI_getbinval(lt, td, 3, &isnull));
			op = SPI_getvalue(lt, td, 4);
			if (last_seq > 0 && truncated_between(&tr, last_seq, seq, pk >= 0, pk == 1 ? k2 : k1, NULL))
				present = false;
			have_oh = get_hash(lt, td, 5, oh);
			have_nh = get_hash(lt, td, 6, nh);
			apply_change(v, label.data, seq,
						 strcmp(op, "insert") == 0 ? OP_INSERT : strcmp(op, "update") == 0 ? OP_UPDATE : OP_DELETE,
						 have_oh ? oh : NULL, have_nh ? nh : NULL, &present, cur);
			last_seq = seq;
			pfree(op);
			ls.pos++;
		}
		if (last_seq > 0)
		{
			int64		t;

			if (truncated_between(&tr, last_seq, -1, pk >= 0, pk == 1 ? k2 : k1, &t))
			{
				present = false;
				last_seq = t;
			}
		}

		/* then the transaction's own changes, not appended yet */
		while (pi < npe && key_cmp(pe[pi].k1, pe[pi].k2, k1, k2) == 0)
		{
			if (truncated_between(&ptr, prev_ord, pe[pi].ord, pk >= 0, pk == 1 ? k2 : k1, NULL))
				present = false;
			apply_change(v, label.data, 0, pe[pi].op, pe[pi].oldh, pe[pi].newh, &present, cur);
			prev_ord = pe[pi].ord;
			pending = true;
			pi++;
		}
		if (truncated_between(&ptr, prev_ord, INT_MAX, pk >= 0, pk == 1 ? k2 : k1, NULL))
		{
			present = false;
			pending = true;
		}
		if (pending)
			last_seq = 0;

		/* the row as it is now */
		tt = stream_peek(&ts, STREAM_BATCH);
		if (tt != NULL &&
			key_cmp(DatumGetInt64(SPI_getbinval(tt, ts.tt->tupdesc, tk[0], &isnull)),
					nkeys == 2 ? DatumGetInt64(SPI_getbinval(tt, ts.tt->tupdesc, tk[1], &isnull)) : 0,
					k1, k2) == 0)
		{
			if (!present)
			{
				if (last_seq == 0)
					problem(v, 0, "%s: not in the ledger (inserted without passing through the ledger)", label.data);
				else
					problem(v, last_seq, "%s: present, but this entry removed it (inserted again without passing through the ledger)",
							label.data);
			}
			else
			{
				uint8		h[HASH_LEN];
				MemoryContext old = MemoryContextSwitchTo(rowcxt);

				heap_deform_tuple(tt, ts.tt->tupdesc, values, nulls);
				ledger_codec_hash(codec, values, nulls, h);
				MemoryContextSwitchTo(old);
				MemoryContextReset(rowcxt);
				if (memcmp(h, cur, HASH_LEN) != 0)
				{
					if (last_seq == 0)
						problem(v, 0, "%s: changed without passing through the ledger since this transaction changed it",
								label.data);
					else
						problem(v, last_seq, "%s: changed without passing through the ledger since this entry", label.data);
				}
			}
			ts.pos++;
		}
		else if (present)
		{
			if (last_seq == 0)
				problem(v, 0, "%s: deleted without passing through the ledger (after this transaction changed it)",
						label.data);
			else
				problem(v, last_seq, "%s: deleted without passing through the ledger (last logged in this entry)",
						label.data);
		}
	}
	MemoryContextDelete(rowcxt);
	pfree(q.data);
}

PG_FUNCTION_INFO_V1(credit_verify_ledger);

/*
 * credit.verify_ledger() → TABLE(seq bigint, problem text): every place where
 * the ledger does not match itself or the ledgered tables; empty when
 * nothing was tampered with.
 */
Datum
credit_verify_ledger(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	Oid			nspid = get_func_namespace(fcinfo->flinfo->fn_oid);
	Oid			relid = get_relname_relid("ledger", nspid);
	VerifyCtx	v;
	CreditScope scope;
	int			level;
	int			ret;
	uint64		i;
	char	  **rels;
	int			nrels = 0;
	StringInfoData q;

	InitMaterializedSRF(fcinfo, 0);
	v.ts = rsinfo->setResult;
	v.desc = rsinfo->setDesc;
	v.nspid = nspid;
	v.nsp = quote_identifier(get_namespace_name(nspid));
	v.nproblems = 0;
	if (!OidIsValid(relid))
		elog(ERROR, "credit ledger: table %s.ledger is missing", v.nsp);
	/* read every row, whatever row-level security would hide from the caller */
	credit_scope_enter(&scope, true);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	level = ledger_pin_settings();

	verify_chain(&v, NULL, NULL);
	verify_triggers(&v);

	initStringInfo(&q);
	appendStringInfo(&q,
					 "SELECT name FROM (SELECT DISTINCT l.relation FROM %s.ledger l "
					 "                  UNION SELECT pg_catalog.unnest($1::pg_catalog.text[])) r(name) "
					 " WHERE EXISTS (SELECT FROM pg_catalog.pg_class c WHERE c.relname OPERATOR(pg_catalog.=) r.name "
					 "                  AND c.relnamespace OPERATOR(pg_catalog.=) '%s'::pg_catalog.regnamespace "
					 "                  AND c.relkind IN ('r', 'p')) "
					 " ORDER BY 1", v.nsp, v.nsp);
	ret = run_with_tables(q.data);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "credit ledger: listing the ledgered tables failed");
	rels = palloc(sizeof(char *) * Max(SPI_processed, 1));
	for (i = 0; i < SPI_processed; i++)
		rels[nrels++] = SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1);
	SPI_freetuptable(SPI_tuptable);
	for (i = 0; i < (uint64) nrels; i++)
		verify_rows(&v, rels[i]);

	ledger_unpin_settings(level);
	SPI_finish();
	credit_scope_exit(&scope);
	return (Datum) 0;
}

/* Tag one entry. */
static CreditQuery q_seal = {
	"UPDATE credit.ledger l SET mac = $2 WHERE l.seq OPERATOR(pg_catalog.=) $1",
	2, {INT8OID, BYTEAOID}
};
static CreditQuery q_seal_hash = {
	"SELECT l.hash FROM credit.ledger l WHERE l.seq OPERATOR(pg_catalog.=) $1",
	1, {INT8OID}
};

PG_FUNCTION_INFO_V1(credit_seal_ledger);

/*
 * credit.seal_ledger() → bigint: tag under credit.ledger_key the entries
 * written while it was not set, and re-tag those tagged under
 * credit.ledger_key_previous (a rotation), after checking the whole chain
 * (refused when any entry does not verify); returns the number tagged.
 * Superusers only.
 */
Datum
credit_seal_ledger(PG_FUNCTION_ARGS)
{
	Oid			nspid = get_func_namespace(fcinfo->flinfo->fn_oid);
	VerifyCtx	v;
	CreditScope scope;
	int			level;
	int64	   *untagged = NULL;
	int64		n = 0;
	int64		i;

	if (!superuser())
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied to seal the ledger"),
				 errdetail("Only superusers, who hold credit.ledger_key, tag ledger entries.")));
	if (!ledger_key_usable(LEDGER_KEY_CURRENT))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("credit.ledger_key is not set"),
				 errhint("Set credit.ledger_key in postgresql.conf (credit in shared_preload_libraries) and reload the configuration.")));
	memset(&v, 0, sizeof(v));
	v.nspid = nspid;
	v.nsp = quote_identifier(get_namespace_name(nspid));
	if (!OidIsValid(get_relname_relid("ledger", nspid)))
		elog(ERROR, "credit ledger: table %s.ledger is missing", v.nsp);
	credit_scope_enter(&scope, true);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	level = ledger_pin_settings();
	/* no entry may be appended between the check and the tags */
	if (SPI_execute("LOCK TABLE credit.ledger IN SHARE ROW EXCLUSIVE MODE", false, 0) != SPI_OK_UTILITY)
		elog(ERROR, "credit ledger: locking the ledger failed");
	verify_chain(&v, &untagged, &n);
	if (v.nproblems > 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg_plural("the ledger's chain does not verify (" INT64_FORMAT " problem): nothing was sealed",
							   "the ledger's chain does not verify (" INT64_FORMAT " problems): nothing was sealed",
							   v.nproblems, v.nproblems),
				 errhint("credit.verify_ledger() lists the problems.")));
	for (i = 0; i < n; i++)
	{
		Datum		a[2];
		bool		isnull;
		bytea	   *h;
		uint8		tag[HASH_LEN];

		a[0] = Int64GetDatum(untagged[i]);
		if (credit_query_run(&q_seal_hash, a, NULL, true, 1) != SPI_OK_SELECT || SPI_processed != 1)
			elog(ERROR, "credit ledger: entry " INT64_FORMAT " vanished", untagged[i]);
		h = DatumGetByteaPP(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
		ledger_entry_tag(LEDGER_KEY_CURRENT, (const uint8 *) VARDATA_ANY(h), tag);
		a[1] = PointerGetDatum(ledger_hash_bytea(tag));
		if (credit_query_run(&q_seal, a, NULL, false, 0) != SPI_OK_UPDATE)
			elog(ERROR, "credit ledger: tagging entry " INT64_FORMAT " failed", untagged[i]);
	}
	ledger_unpin_settings(level);
	SPI_finish();
	credit_scope_exit(&scope);
	PG_RETURN_INT64(n);
}
