/*
 * ledger.c
 *      Tamper-evident ledger (docs/ledger.md): every change to credit.record,
 *      credit.list_entry, credit.evaluation and credit.subject is chained by SHA-256 in
 *      credit.ledger; credit.verify_ledger() reports what does not match.
 *
 * Capture: a statement-level AFTER trigger with transition tables hashes
 * each changed row (canonical serialization, below) and keeps the keys and
 * row hashes of the statement in backend memory, one pending entry per
 * statement and table (split every LEDGER_ENTRY_MAX_ROWS rows).
 *
 * Append: a pre-commit transaction callback, which runs after every
 * deferred trigger (the commit-time grade fold included), takes the chain
 * head lock (the last lock the transaction takes, so it closes no cycle),
 * reads the head with a fresh snapshot and inserts the pending entries,
 * each hashed over its predecessor.  Subtransaction callbacks drop the
 * entries of rolled-back subtransactions.
 *
 * Keyed tags: each entry's hash is also tagged with HMAC-SHA256 under the
 * superuser-only setting credit.ledger_key (secret.c), in column mac.  The
 * chain alone can be recomputed by anyone who can write the ledger table;
 * the tag cannot without the key, so an entry rewritten and re-hashed by an
 * administrator (or anyone holding the files) fails verification.  Without
 * the key an entry is written untagged (mac NULL): intake never stops for a
 * missing setting, and verify_ledger() reports every untagged entry once
 * the key is set (credit.seal_ledger() tags them after they are checked).
 *
 * Verify (ledger_verify.c): the chain and the tags in seq order, then per
 * table the ledger's row versions sorted by key merged with the table read
 * in key order.
 *
 * Canonical row serialization (v1): the non-dropped columns in the byte
 * order of their (UTF-8) names; each non-NULL column as be32(len(name)) ‖
 * name ‖ be32(len(value)) ‖ value, value being the output text in UTF-8
 * under fixed settings (DateStyle ISO, YMD; IntervalStyle postgres;
 * TimeZone UTC; extra_float_digits 1; bytea_output hex).
 */
#include "postgres.h"

#include <openssl/evp.h>

#include "access/htup_details.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/partition.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "nodes/bitmapset.h"
#include "nodes/parsenodes.h"
#include "storage/lmgr.h"
#include "storage/lock.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/relcache.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"
#include "utils/typcache.h"
#include "utils/xid8.h"

#include "credit.h"
#include "util.h"
#include "ledger.h"
#include "secret.h"

/* second key of the chain head's advisory lock (first: the ledger's OID) */
#define LEDGER_LOCK_KEY 0x4c454447	/* "LEDG" */

static const char *const op_name[] = {"insert", "update", "delete", "truncate"};

/* The ledgered tables: each must have the capture triggers. */
const char *const ledger_tables[LEDGER_NTABLES] = {"evaluation", "list_entry", "record", "subject"};

/* One statement's rows of one table, waiting for the commit. */
typedef struct PendingEntry
{
	struct PendingEntry *next;
	SubTransactionId subid;
	Oid			nspid;
	char		relname[NAMEDATALEN];
	LedgerOp	op;
	char	   *who;
	bool		has_key2;
	int			n;
	int			cap;
	int64	   *k1;
	int64	   *k2;
	uint8	   *oldh;
	uint8	   *newh;
} PendingEntry;

static PendingEntry *pending_head = NULL;
static PendingEntry *pending_tail = NULL;

/*
 * The ledger's keys: credit.ledger_key tags new entries;
 * credit.ledger_key_previous is set only while the key is rotated: entries
 * tagged under it still verify, and credit.seal_ledger re-tags them under
 * the new key.  Each with where its current value came from and its MAC
 * context.
 */
typedef struct LedgerKey
{
	const char *name;
	char	   *value;
	GucSource	source;
	CreditHmac	hmac;
} LedgerKey;

static LedgerKey ledger_keys[2] = {
	{.name = "credit.ledger_key"},
	{.name = "credit.ledger_key_previous"}
};

/* Check hook of a key: long enough, stored only where hidden. */
static bool
ledger_key_check_one(LedgerKey *k, char **newval, void **extra, GucSource source)
{
	if (*newval != NULL && (*newval)[0] != '\0' && strlen(*newval) < LEDGER_MIN_KEY)
	{
		GUC_check_errcode(ERRCODE_INVALID_PARAMETER_VALUE);
		GUC_check_errmsg("%s is too short (%zu bytes, at least %d)", k->name, strlen(*newval), LEDGER_MIN_KEY);
		GUC_check_errhint("Use 32 random bytes or more, e.g. the output of: openssl rand -hex 32");
		return false;
	}
	return credit_secret_check(k->name, newval, extra, source);
}

static bool
ledger_key_check(char **newval, void **extra, GucSource source)
{
	return ledger_key_check_one(&ledger_keys[LEDGER_KEY_CURRENT], newval, extra, source);
}

static bool
ledger_key_previous_check(char **newval, void **extra, GucSource source)
{
	return ledger_key_check_one(&ledger_keys[LEDGER_KEY_PREVIOUS], newval, extra, source);
}

/* Assign hooks: the new value's source becomes current. */
static void
ledger_key_assign(const char *newval, void *extra)
{
	ledger_keys[LEDGER_KEY_CURRENT].source = credit_secret_source(extra);
}

static void
ledger_key_previous_assign(const char *newval, void *extra)
{
	ledger_keys[LEDGER_KEY_PREVIOUS].source = credit_secret_source(extra);
}

/*
 * Is this key set?  Errors (55000) when it is set where other roles can read
 * it (secret.c): a tag anyone could compute proves nothing.
 */
bool
ledger_key_usable(LedgerKeyWhich which)
{
	LedgerKey  *k = &ledger_keys[which];

	if (k->value == NULL || k->value[0] == '\0')
		return false;
	credit_secret_guard(k->name, k->source);
	return true;
}

/* The keyed tag of an entry's hash under a key (ledger_key_usable() must be true). */
void
ledger_entry_tag(LedgerKeyWhich which, const uint8 *hash, uint8 *out)
{
	LedgerKey  *k = &ledger_keys[which];

	credit_hmac(&k->hmac, k->value, hash, HASH_LEN, out, "a ledger tag");
}


static EVP_MD_CTX *md_ctx = NULL;

/* The backend's SHA-256 context (created once, reused). */
static EVP_MD_CTX *
sha_ctx(void)
{
	if (md_ctx == NULL)
	{
		md_ctx = EVP_MD_CTX_new();
		if (md_ctx == NULL)
			ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory (EVP_MD_CTX_new)")));
	}
	if (EVP_DigestInit_ex(md_ctx, EVP_sha256(), NULL) != 1)
		elog(ERROR, "credit ledger: EVP_DigestInit_ex failed");
	return md_ctx;
}

/* Feed bytes to the digest. */
static inline void
sha_update(EVP_MD_CTX *ctx, const void *p, size_t len)
{
	if (len > 0 && EVP_DigestUpdate(ctx, p, len) != 1)
		elog(ERROR, "credit ledger: EVP_DigestUpdate failed");
}

/* Feed a 32-bit big-endian integer. */
static inline void
sha_be32(EVP_MD_CTX *ctx, uint32 v)
{
	uint8		b[4] = {v >> 24, v >> 16, v >> 8, v};

	sha_update(ctx, b, 4);
}

/* Feed a 64-bit big-endian integer. */
static inline void
sha_be64(EVP_MD_CTX *ctx, uint64 v)
{
	sha_be32(ctx, (uint32) (v >> 32));
	sha_be32(ctx, (uint32) v);
}

/* Feed a length-prefixed string, converted to UTF-8. */
static void
sha_str(EVP_MD_CTX *ctx, const char *s)
{
	size_t		len = strlen(s);
	const char *u = credit_to_utf8(s, &len);

	sha_be32(ctx, (uint32) len);
	sha_update(ctx, u, len);
}

/* Finish the digest into out. */
static void
sha_final(EVP_MD_CTX *ctx, uint8 *out)
{
	unsigned int len;

	if (EVP_DigestFinal_ex(ctx, out, &len) != 1 || len != HASH_LEN)
		elog(ERROR, "credit ledger: EVP_DigestFinal_ex failed");
}

/* qsort comparator of codec columns: byte order of the UTF-8 names. */
static int
codec_col_cmp(const void *a, const void *b)
{
	const CodecCol *x = a;
	const CodecCol *y = b;
	int			c = memcmp(x->name, y->name, Min(x->namelen, y->namelen));

	if (c != 0)
		return c;
	return x->namelen - y->namelen;
}

/* The canonical serializer of rows of a tuple descriptor. */
RowCodec *
ledger_codec_build(TupleDesc td)
{
	RowCodec   *c = palloc(sizeof(RowCodec));
	int			i;

	c->cols = palloc(sizeof(CodecCol) * Max(td->natts, 1));
	c->ncols = 0;
	for (i = 0; i < td->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(td, i);
		CodecCol   *col;
		Oid			outfn;
		bool		varlena;
		size_t		len;

		if (att->attisdropped)
			continue;
		col = &c->cols[c->ncols++];
		col->index = i;
		len = strlen(NameStr(att->attname));
		col->name = (char *) credit_to_utf8(NameStr(att->attname), &len);
		if (col->name == NameStr(att->attname))
			col->name = pstrdup(col->name);
		col->namelen = (int) len;
		getTypeOutputInfo(att->atttypid, &outfn, &varlena);
		fmgr_info(outfn, &col->out);
		col->typbyval = att->attbyval;
		col->typlen = att->attlen;
		col->have_last = col->no_reuse = false;
		col->misses = col->hits = 0;
	}
	qsort(c->cols, c->ncols, sizeof(CodecCol), codec_col_cmp);
	c->cxt = CurrentMemoryContext;
	c->nrows = 0;
	return c;
}

/*
 * The UTF-8 text of a column's value: the last one's when the value is the
 * same (binary equality: the same value prints the same under the pinned
 * settings), else its output, kept as the last one unless the column's
 * value changes from row to row (then the copies would cost more than the
 * outputs they save).  Nothing is kept from the first row (a single-row
 * statement would only pay for the copies), nor a value stored out of line.
 */
static const char *
codec_col_text(RowCodec *c, CodecCol *col, Datum v, size_t *len)
{
	char	   *s;
	const char *u;
	MemoryContext old;

	if (col->have_last && datumIsEqual(v, col->last, col->typbyval, col->typlen))
	{
		col->hits++;
		*len = col->last_len;
		return col->last_text;
	}
	s = OutputFunctionCall(&col->out, v);
	*len = strlen(s);
	u = credit_to_utf8(s, len);
	if (c->nrows < 2 || col->no_reuse || (col->typlen == -1 && VARATT_IS_EXTERNAL(DatumGetPointer(v))))
		return u;
	if (++col->misses > 16 && col->misses > 4 * col->hits)
	{
		col->no_reuse = true;
		return u;
	}
	old = MemoryContextSwitchTo(c->cxt);
	if (col->have_last)
	{
		if (!col->typbyval)
			pfree(DatumGetPointer(col->last));
		pfree(col->last_text);
	}
	col->last = datumCopy(v, col->typbyval, col->typlen);
	col->last_text = palloc(*len + 1);
	memcpy(col->last_text, u, *len);
	col->last_text[*len] = '\0';
	col->last_len = *len;
	col->have_last = true;
	MemoryContextSwitchTo(old);
	return u;
}

/* SHA-256 of a row's canonical serialization (allocates in the current context). */
void
ledger_codec_hash(RowCodec *c, Datum *values, bool *nulls, uint8 *out)
{
	EVP_MD_CTX *ctx = sha_ctx();
	int			i;

	c->nrows++;
	for (i = 0; i < c->ncols; i++)
	{
		CodecCol   *col = &c->cols[i];
		size_t		len;
		const char *u;

		if (nulls[col->index])
			continue;
		u = codec_col_text(c, col, values[col->index], &len);
		sha_be32(ctx, (uint32) col->namelen);
		sha_update(ctx, col->name, col->namelen);
		sha_be32(ctx, (uint32) len);
		sha_update(ctx, u, len);
	}
	sha_final(ctx, out);
}

/*
 * Pin the settings the output functions depend on; returns the GUC nest
 * level to pass to ledger_unpin_settings.
 */
int
ledger_pin_settings(void)
{
	int			level = NewGUCNestLevel();

	(void) set_config_option("DateStyle", "ISO, YMD", PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	(void) set_config_option("IntervalStyle", "postgres", PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	(void) set_config_option("TimeZone", "UTC", PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	(void) set_config_option("extra_float_digits", "1", PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	(void) set_config_option("bytea_output", "hex", PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	return level;
}

/* Restore the settings ledger_pin_settings changed. */
void
ledger_unpin_settings(int level)
{
	AtEOXact_GUC(true, level);
}

/* The primary key columns (1 or 2 bigint columns, in column order) of a ledgered table. */
int
ledger_table_keys(Relation rel, AttrNumber *keys)
{
	Bitmapset  *pk = RelationGetIndexAttrBitmap(rel, INDEX_ATTR_BITMAP_PRIMARY_KEY);
	int			n = 0;
	int			x = -1;
	int			i;

	while ((x = bms_next_member(pk, x)) >= 0)
	{
		if (n < 2)
			keys[n] = x + FirstLowInvalidHeapAttributeNumber;
		n++;
	}
	for (i = 0; i < Min(n, 2); i++)
		if (keys[i] <= 0 || TupleDescAttr(RelationGetDescr(rel), keys[i] - 1)->atttypid != INT8OID)
			n = 0;
	if (n < 1 || n > 2)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("table \"%s\" cannot be ledgered", RelationGetRelationName(rel)),
				 errdetail("The ledger needs a primary key of one or two bigint columns.")));
	return n;
}

/* A new pending entry of a table (by schema and name) at the end of the transaction's list. */
static PendingEntry *
entry_new_named(Oid nspid, const char *relname, LedgerOp op, bool has_key2, const char *who)
{
	PendingEntry *e = MemoryContextAllocZero(TopTransactionContext, sizeof(PendingEntry));

	e->subid = GetCurrentSubTransactionId();
	e->nspid = nspid;
	strlcpy(e->relname, relname, NAMEDATALEN);
	e->op = op;
	e->who = MemoryContextStrdup(TopTransactionContext, who);
	e->has_key2 = has_key2;
	if (pending_tail)
		pending_tail->next = e;
	else
		pending_head = e;
	pending_tail = e;
	return e;
}

/* A new pending entry of a table at the end of the transaction's list. */
static PendingEntry *
entry_new(Relation rel, LedgerOp op, bool has_key2, const char *who)
{
	return entry_new_named(RelationGetNamespace(rel), RelationGetRelationName(rel), op, has_key2, who);
}

/* The modulus and remainder of a hash partition, or an error for any other kind of partition. */
static void
hash_partition_bound(Oid partid, int64 *modulus, int64 *remainder)
{
	HeapTuple	tup = SearchSysCache1(RELOID, ObjectIdGetDatum(partid));
	Datum		d;
	bool		isnull;
	PartitionBoundSpec *spec = NULL;

	if (!HeapTupleIsValid(tup))
		elog(ERROR, "cache lookup failed for relation %u", partid);
	d = SysCacheGetAttr(RELOID, tup, Anum_pg_class_relpartbound, &isnull);
	if (!isnull)
		spec = (PartitionBoundSpec *) stringToNode(TextDatumGetCString(d));
	ReleaseSysCache(tup);
	if (spec == NULL || !IsA(spec, PartitionBoundSpec) || spec->strategy != PARTITION_STRATEGY_HASH)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("\"%s\" is not a hash partition", get_rel_name(partid)),
				 errdetail("The ledger covers the removal of whole hash partitions of a ledgered table only.")));
	*modulus = spec->modulus;
	*remainder = spec->remainder;
}

/*
 * Log the removal of every row of a hash partition of a ledgered table
 * (TRUNCATE of the partition, or its DETACH): a truncate entry of the
 * partitioned table whose key1 and key2 are the partition's modulus and
 * remainder.
 */
static void
entry_partition_removed(Oid partid, const char *who)
{
	Oid			parent = get_partition_parent(partid, false);
	PendingEntry *e;
	int64		modulus,
				remainder;

	hash_partition_bound(partid, &modulus, &remainder);

	/*
	 * TRUNCATE of the whole table fires its partitions' triggers after its
	 * own: nothing more to log
	 */
	if (pending_tail != NULL && pending_tail->op == OP_TRUNCATE && pending_tail->n == 0 &&
		pending_tail->subid == GetCurrentSubTransactionId() &&
		pending_tail->nspid == get_rel_namespace(parent) &&
		strcmp(pending_tail->relname, get_rel_name(parent)) == 0)
		return;
	e = entry_new_named(get_rel_namespace(parent), get_rel_name(parent), OP_TRUNCATE, true, who);
	e->k1 = MemoryContextAlloc(TopTransactionContext, sizeof(int64));
	e->k2 = MemoryContextAlloc(TopTransactionContext, sizeof(int64));
	e->k1[0] = modulus;
	e->k2[0] = remainder;
	e->n = e->cap = 1;
}

/*
 * Whether a value of a bigint partition key belongs to the hash partition
 * (modulus, remainder), as PostgreSQL routes it (the default int8 hash
 * opclass, one key column).
 */
bool
ledger_hash_partition_holds(int64 modulus, int64 remainder, int64 value)
{
	uint64		h = DatumGetUInt64(DirectFunctionCall2(hashint8extended, Int64GetDatum(value),
													   UInt64GetDatum(HASH_PARTITION_SEED)));

	return hash_combine64(0, h) % (uint64) modulus == (uint64) remainder;
}

/* Grow an array in the transaction's context. */
static void *
grow(void *p, Size elem, int cap)
{
	if (p == NULL)
		return MemoryContextAlloc(TopTransactionContext, elem * cap);
	return repalloc(p, elem * cap);
}

/*
 * Add a row to a pending entry (*ep, created on first use); a full entry is
 * continued in a new one.
 */
static void
entry_add(PendingEntry **ep, Relation rel, LedgerOp op, bool has_key2, const char *who,
		  int64 k1, int64 k2, const uint8 *oldh, const uint8 *newh)
{
	PendingEntry *e = *ep;

	if (e == NULL || e->n >= LEDGER_ENTRY_MAX_ROWS)
		e = *ep = entry_new(rel, op, has_key2, who);
	if (e->n == e->cap)
	{
		int			cap = Min(Max(64, e->cap * 2), LEDGER_ENTRY_MAX_ROWS);

		e->k1 = grow(e->k1, sizeof(int64), cap);
		if (has_key2)
			e->k2 = grow(e->k2, sizeof(int64), cap);
		if (op != OP_INSERT)
			e->oldh = grow(e->oldh, HASH_LEN, cap);
		if (op != OP_DELETE)
			e->newh = grow(e->newh, HASH_LEN, cap);
		e->cap = cap;
	}
	e->k1[e->n] = k1;
	if (has_key2)
		e->k2[e->n] = k2;
	if (op != OP_INSERT)
		memcpy(e->oldh + (Size) e->n * HASH_LEN, oldh, HASH_LEN);
	if (op != OP_DELETE)
		memcpy(e->newh + (Size) e->n * HASH_LEN, newh, HASH_LEN);
	e->n++;
}

/* Key values of a deformed slot. */
static void
slot_keys(TupleTableSlot *slot, AttrNumber *keys, int nkeys, int64 *k1, int64 *k2)
{
	if (slot->tts_isnull[keys[0] - 1])
		elog(ERROR, "credit ledger: NULL primary key");
	*k1 = DatumGetInt64(slot->tts_values[keys[0] - 1]);
	*k2 = 0;
	if (nkeys == 2)
	{
		if (slot->tts_isnull[keys[1] - 1])
			elog(ERROR, "credit ledger: NULL primary key");
		*k2 = DatumGetInt64(slot->tts_values[keys[1] - 1]);
	}
}

PG_FUNCTION_INFO_V1(credit_ledger_capture);

/*
 * Statement-level AFTER trigger of a ledgered table (INSERT, UPDATE and
 * DELETE with transition tables, TRUNCATE): hash the statement's rows into
 * pending entries, appended to credit.ledger at commit.
 */
Datum
credit_ledger_capture(PG_FUNCTION_ARGS)
{
	TriggerData *td = (TriggerData *) fcinfo->context;
	Relation	rel;
	LedgerOp	op;
	AttrNumber	keys[2];
	int			nkeys;
	MemoryContext cxt;
	MemoryContext rowcxt;
	MemoryContext old;
	RowCodec   *codec;
	char	   *who;
	int			level;
	TupleTableSlot *so = NULL;
	TupleTableSlot *sn = NULL;
	PendingEntry *main_e = NULL;
	PendingEntry *del_e = NULL;
	PendingEntry *ins_e = NULL;

	if (!CALLED_AS_TRIGGER(fcinfo) || !TRIGGER_FIRED_AFTER(td->tg_event) ||
		!TRIGGER_FIRED_FOR_STATEMENT(td->tg_event))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("credit.ledger_capture() must be fired AFTER ... FOR EACH STATEMENT")));
	if (TRIGGER_FIRED_BY_INSERT(td->tg_event))
		op = OP_INSERT;
	else if (TRIGGER_FIRED_BY_UPDATE(td->tg_event))
		op = OP_UPDATE;
	else if (TRIGGER_FIRED_BY_DELETE(td->tg_event))
		op = OP_DELETE;
	else
		op = OP_TRUNCATE;
	if ((op == OP_INSERT || op == OP_UPDATE) && td->tg_newtable == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("credit.ledger_capture() needs REFERENCING NEW TABLE")));
	if ((op == OP_DELETE || op == OP_UPDATE) && td->tg_oldtable == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("credit.ledger_capture() needs REFERENCING OLD TABLE")));

	/* a restore loads the ledger as dumped, with the rows it covers */
	if (credit_restoring)
		return PointerGetDatum(NULL);

	rel = td->tg_relation;
	who = GetUserNameFromId(GetOuterUserId(), false);
	if (op == OP_TRUNCATE)
	{
		/* a partition's truncate is logged as a removal from its parent */
		if (rel->rd_rel->relispartition)
			entry_partition_removed(RelationGetRelid(rel), who);
		else
			(void) entry_new(rel, OP_TRUNCATE, false, who);
		return PointerGetDatum(NULL);
	}
	nkeys = ledger_table_keys(rel, keys);

	cxt = AllocSetContextCreate(CurrentMemoryContext, "credit ledger capture", ALLOCSET_DEFAULT_SIZES);
	rowcxt = AllocSetContextCreate(cxt, "credit ledger row", ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(cxt);
	codec = ledger_codec_build(RelationGetDescr(rel));
	if (td->tg_oldtable)
		so = MakeSingleTupleTableSlot(RelationGetDescr(rel), &TTSOpsMinimalTuple);
	if (td->tg_newtable)
		sn = MakeSingleTupleTableSlot(RelationGetDescr(rel), &TTSOpsMinimalTuple);
	level = ledger_pin_settings();
	if (so)
		tuplestore_rescan(td->tg_oldtable);
	if (sn)
		tuplestore_rescan(td->tg_newtable);

	/* transition tables of an UPDATE hold old and new rows in the same order */
	for (;;)
	{
		bool		have_o = so && tuplestore_gettupleslot(td->tg_oldtable, true, false, so);
		bool		have_n = sn && tuplestore_gettupleslot(td->tg_newtable, true, false, sn);
		uint8		ho[HASH_LEN];
		uint8		hn[HASH_LEN];
		int64		ok1 = 0,
					ok2 = 0,
					nk1 = 0,
					nk2 = 0;

		if (!have_o && !have_n)
			break;
		if (op == OP_UPDATE && have_o != have_n)
			elog(ERROR, "credit ledger: transition tables of different lengths");
		MemoryContextSwitchTo(rowcxt);
		if (have_o)
		{
			slot_getallattrs(so);
			slot_keys(so, keys, nkeys, &ok1, &ok2);
			ledger_codec_hash(codec, so->tts_values, so->tts_isnull, ho);
		}
		if (have_n)
		{
			slot_getallattrs(sn);
			slot_keys(sn, keys, nkeys, &nk1, &nk2);
			ledger_codec_hash(codec, sn->tts_values, sn->tts_isnull, hn);
		}
		MemoryContextSwitchTo(cxt);
		MemoryContextReset(rowcxt);

		if (op == OP_INSERT)
			entry_add(&main_e, rel, OP_INSERT, nkeys == 2, who, nk1, nk2, NULL, hn);
		else if (op == OP_DELETE)
			entry_add(&main_e, rel, OP_DELETE, nkeys == 2, who, ok1, ok2, ho, NULL);
		else if (ok1 == nk1 && ok2 == nk2)
			entry_add(&main_e, rel, OP_UPDATE, nkeys == 2, who, nk1, nk2, ho, hn);
		else
		{
			/* a changed key: the old key's row is gone, the new key's is new */
			entry_add(&del_e, rel, OP_DELETE, nkeys == 2, who, ok1, ok2, ho, NULL);
			entry_add(&ins_e, rel, OP_INSERT, nkeys == 2, who, nk1, nk2, NULL, hn);
		}
	}
	ledger_unpin_settings(level);
	if (so)
		ExecDropSingleTupleTableSlot(so);
	if (sn)
		ExecDropSingleTupleTableSlot(sn);
	MemoryContextSwitchTo(old);
	MemoryContextDelete(cxt);
	return PointerGetDatum(NULL);
}

/*
 * SHA-256 of a ledger entry (see docs/ledger.md): the magic string, the
 * previous entry's hash, then every column in a fixed binary form.
 */
void
ledger_entry_hash(const uint8 *prev, int64 seq, TimestampTz at, const char *who, uint64 xid,
				  const char *relation, const char *op, uint32 flags, int n, const int64 *k1, const int64 *k2,
				  const uint8 *const *oldh, const uint8 *const *newh, uint8 *out)
{
	EVP_MD_CTX *ctx = sha_ctx();
	int			i;

	sha_update(ctx, ENTRY_MAGIC, strlen(ENTRY_MAGIC));
	sha_update(ctx, prev, HASH_LEN);
	sha_be64(ctx, (uint64) seq);
	sha_be64(ctx, (uint64) at);
	sha_str(ctx, who);
	sha_be64(ctx, xid);
	sha_str(ctx, relation);
	sha_str(ctx, op);
	sha_be32(ctx, flags);
	sha_be32(ctx, (uint32) n);
	for (i = 0; i < n; i++)
	{
		sha_be64(ctx, (uint64) k1[i]);
		if (flags & FLAG_KEY2)
			sha_be64(ctx, (uint64) k2[i]);
		if (flags & FLAG_OLD)
			sha_update(ctx, oldh[i], HASH_LEN);
		if (flags & FLAG_NEW)
			sha_update(ctx, newh[i], HASH_LEN);
	}
	sha_final(ctx, out);
}

/* A bytea holding a hash. */
bytea *
ledger_hash_bytea(const uint8 *h)
{
	bytea	   *b = palloc(VARHDRSZ + HASH_LEN);

	SET_VARSIZE(b, VARHDRSZ + HASH_LEN);
	memcpy(VARDATA(b), h, HASH_LEN);
	return b;
}

/* A bytea[] of n hashes stored back to back. */
static Datum
hashes_array(const uint8 *h, int n)
{
	Datum	   *d = palloc(sizeof(Datum) * Max(n, 1));
	char	   *buf = palloc((Size) (VARHDRSZ + HASH_LEN) * Max(n, 1));
	int			i;

	if (n == 0)
		return PointerGetDatum(construct_empty_array(BYTEAOID));
	for (i = 0; i < n; i++)
	{
		bytea	   *b = (bytea *) (buf + (Size) i * (VARHDRSZ + HASH_LEN));

		SET_VARSIZE(b, VARHDRSZ + HASH_LEN);
		memcpy(VARDATA(b), h + (Size) i * HASH_LEN, HASH_LEN);
		d[i] = PointerGetDatum(b);
	}
	return PointerGetDatum(construct_array(d, n, BYTEAOID, -1, false, TYPALIGN_INT));
}

/* An int8[] of n values. */
static Datum
int8_array(const int64 *v, int n)
{
	Datum	   *d = palloc(sizeof(Datum) * Max(n, 1));
	int			i;

	for (i = 0; i < n; i++)
		d[i] = Int64GetDatum(v[i]);
	return PointerGetDatum(construct_array(d, n, INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
}

/* Pointers to the n hashes stored back to back in h (NULL if h is NULL). */
static const uint8 **
hash_ptrs(const uint8 *h, int n)
{
	const uint8 **p;
	int			i;

	if (h == NULL)
		return NULL;
	p = palloc(sizeof(uint8 *) * Max(n, 1));
	for (i = 0; i < n; i++)
		p[i] = h + (Size) i * HASH_LEN;
	return p;
}

/* The head of the chain, and one new entry. */
static CreditQuery q_head = {
	"SELECT l.seq, l.hash FROM credit.ledger l ORDER BY l.seq DESC LIMIT 1", 0, {0}
};
static CreditQuery q_insert = {
	"INSERT INTO credit.ledger (seq, at, who, xid, relation, op, key1, key2, "
	"old_hashes, new_hashes, prev_hash, hash, mac) "
	"VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
	13, {INT8OID, TIMESTAMPTZOID, TEXTOID, XID8OID, TEXTOID, TEXTOID,
	INT8ARRAYOID, INT8ARRAYOID, BYTEAARRAYOID, BYTEAARRAYOID, BYTEAOID, BYTEAOID, BYTEAOID}
};

/*
 * Append the transaction's pending entries to the chain: called before
 * commit, after every deferred trigger.  The chain head lock is the last
 * lock the transaction takes.
 */
static void
ledger_append(void)
{
	Oid			nspid = pending_head->nspid;
	Oid			relid = get_relname_relid("ledger", nspid);
	LOCKTAG		tag;
	CreditScope scope;
	int			ret;
	int64		seq = 0;
	uint8		prev[HASH_LEN];
	TimestampTz at = GetCurrentTimestamp();
	uint64		xid = U64FromFullTransactionId(GetTopFullTransactionId());
	PendingEntry *e;
	bool		keyed = ledger_key_usable(LEDGER_KEY_CURRENT);

	if (!OidIsValid(relid))
		return;					/* the extension was dropped in this
								 * transaction */
	LockRelationOid(relid, RowExclusiveLock);

	SET_LOCKTAG_ADVISORY(tag, MyDatabaseId, relid, LEDGER_LOCK_KEY, 2);
	(void) LockAcquire(&tag, ExclusiveLock, false, false);

	credit_scope_enter(&scope, true);
	/* at pre-commit no snapshot is active any more: SPI needs one */
	PushActiveSnapshot(GetTransactionSnapshot());
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");

	/* the head, as committed by the previous holder of the lock */
	ret = SPI_execute_snapshot(credit_query_plan(&q_head), NULL, NULL, GetLatestSnapshot(), InvalidSnapshot,
							   true, false, 1);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "credit ledger: reading the head failed: %s", SPI_result_code_string(ret));
	memset(prev, 0, HASH_LEN);
	if (SPI_processed == 1)
	{
		bool		isnull;
		bytea	   *h;

		seq = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
		h = DatumGetByteaPP(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull));
		if (!isnull && VARSIZE_ANY_EXHDR(h) == HASH_LEN)
			memcpy(prev, VARDATA_ANY(h), HASH_LEN);
	}

	for (e = pending_head; e != NULL; e = e->next)
	{
		Datum		v[13];
		char		nulls[13];
		uint8		h[HASH_LEN];
		uint8		tag[HASH_LEN];

		if (e->nspid != nspid)
			continue;
		seq++;
		ledger_entry_hash(prev, seq, at, e->who, xid, e->relname, op_name[e->op],
						  (e->has_key2 ? FLAG_KEY2 : 0) |
						  ((e->op == OP_UPDATE || e->op == OP_DELETE) ? FLAG_OLD : 0) |
						  ((e->op == OP_UPDATE || e->op == OP_INSERT) ? FLAG_NEW : 0),
						  e->n, e->k1, e->has_key2 ? e->k2 : NULL,
						  (e->op == OP_UPDATE || e->op == OP_DELETE) ? hash_ptrs(e->oldh, e->n) : NULL,
						  (e->op == OP_UPDATE || e->op == OP_INSERT) ? hash_ptrs(e->newh, e->n) : NULL,
						  h);
		memset(nulls, ' ', sizeof(nulls));
		v[0] = Int64GetDatum(seq);
		v[1] = TimestampTzGetDatum(at);
		v[2] = CStringGetTextDatum(e->who);
		v[3] = FullTransactionIdGetDatum(FullTransactionIdFromU64(xid));
		v[4] = CStringGetTextDatum(e->relname);
		v[5] = CStringGetTextDatum(op_name[e->op]);
		v[6] = int8_array(e->k1, e->n);
		v[7] = e->has_key2 ? int8_array(e->k2, e->n) : (Datum) 0;
		nulls[7] = e->has_key2 ? ' ' : 'n';
		if (e->op == OP_UPDATE || e->op == OP_DELETE)
			v[8] = hashes_array(e->oldh, e->n);
		else
			nulls[8] = 'n';
		if (e->op == OP_UPDATE || e->op == OP_INSERT)
			v[9] = hashes_array(e->newh, e->n);
		else
			nulls[9] = 'n';
		v[10] = PointerGetDatum(ledger_hash_bytea(prev));
		v[11] = PointerGetDatum(ledger_hash_bytea(h));
		if (keyed)
		{
			ledger_entry_tag(LEDGER_KEY_CURRENT, h, tag);
			v[12] = PointerGetDatum(ledger_hash_bytea(tag));
		}
		else
			nulls[12] = 'n';
		ret = credit_query_run(&q_insert, v, nulls, false, 0);
		if (ret != SPI_OK_INSERT)
			elog(ERROR, "credit ledger: appending entry " INT64_FORMAT " failed: %s",
				 seq, SPI_result_code_string(ret));
		memcpy(prev, h, HASH_LEN);
	}
	SPI_finish();
	PopActiveSnapshot();
	credit_scope_exit(&scope);
}

/* Transaction callback: append at pre-commit (and pre-prepare); forget at the end. */
static void
ledger_xact_callback(XactEvent event, void *arg)
{
	switch (event)
	{
		case XACT_EVENT_PRE_COMMIT:
		case XACT_EVENT_PRE_PREPARE:
			if (pending_head != NULL)
				ledger_append();
			pending_head = pending_tail = NULL;
			break;
		case XACT_EVENT_COMMIT:
		case XACT_EVENT_ABORT:
		case XACT_EVENT_PREPARE:
		case XACT_EVENT_PARALLEL_COMMIT:
		case XACT_EVENT_PARALLEL_ABORT:
			pending_head = pending_tail = NULL;
			break;
		default:
			break;
	}
}

/* Subtransaction callback: drop the entries of a rolled-back subtransaction. */
static void
ledger_subxact_callback(SubXactEvent event, SubTransactionId mySubid,
						SubTransactionId parentSubid, void *arg)
{
	PendingEntry *e;
	PendingEntry *prev = NULL;

	if (event == SUBXACT_EVENT_COMMIT_SUB)
	{
		for (e = pending_head; e != NULL; e = e->next)
			if (e->subid == mySubid)
				e->subid = parentSubid;
	}
	else if (event == SUBXACT_EVENT_ABORT_SUB)
	{
		e = pending_head;
		while (e != NULL)
		{
			PendingEntry *next = e->next;

			if (e->subid == mySubid)
			{
				if (prev)
					prev->next = next;
				else
					pending_head = next;
				if (pending_tail == e)
					pending_tail = prev;
			}
			else
				prev = e;
			e = next;
		}
	}
}

/*
 * The current transaction's pending row changes of a table, in the order
 * they will be appended (truncates included, without key); returns their
 * number.  credit.verify_ledger() counts them as the chain's tail.
 */
int
ledger_pending_rows(Oid nspid, const char *relname, PendingRow **rows)
{
	PendingEntry *e;
	int			n = 0;
	int			ord = 0;
	PendingRow *r;

	for (e = pending_head; e != NULL; e = e->next)
		if (e->nspid == nspid && strcmp(e->relname, relname) == 0)
			n += e->op == OP_TRUNCATE ? 1 : e->n;
	r = palloc(sizeof(PendingRow) * Max(n, 1));
	n = 0;
	for (e = pending_head; e != NULL; e = e->next)
	{
		int			i;

		if (e->nspid != nspid || strcmp(e->relname, relname) != 0)
			continue;
		if (e->op == OP_TRUNCATE)
		{
			memset(&r[n], 0, sizeof(PendingRow));
			if (e->n == 1 && e->has_key2)
			{
				r[n].k1 = e->k1[0];
				r[n].k2 = e->k2[0];
			}
			r[n].op = OP_TRUNCATE;
			r[n].ord = ord++;
			n++;
			continue;
		}
		for (i = 0; i < e->n; i++)
		{
			r[n].k1 = e->k1[i];
			r[n].k2 = e->has_key2 ? e->k2[i] : 0;
			r[n].ord = ord++;
			r[n].op = e->op;
			r[n].oldh = e->oldh ? e->oldh + (Size) i * HASH_LEN : NULL;
			r[n].newh = e->newh ? e->newh + (Size) i * HASH_LEN : NULL;
			n++;
		}
	}
	*rows = r;
	return n;
}

/* Define credit.ledger_key and register the ledger's transaction callbacks (from _PG_init). */
void
credit_ledger_init(void)
{
	DefineCustomStringVariable("credit.ledger_key",
							   "Secret key of the ledger's keyed tags (HMAC-SHA256 of each entry's hash).",
							   "Readable and settable by superusers only.",
							   &ledger_keys[LEDGER_KEY_CURRENT].value,
							   NULL,
							   PGC_SUSET,
							   GUC_SUPERUSER_ONLY | GUC_NO_SHOW_ALL | GUC_NOT_IN_SAMPLE,
							   ledger_key_check, ledger_key_assign, NULL);
	DefineCustomStringVariable("credit.ledger_key_previous",
							   "The ledger's key before the last rotation: its tags still verify until credit.seal_ledger() re-tags them.",
							   "Readable and settable by superusers only; empty once the rotation is sealed.",
							   &ledger_keys[LEDGER_KEY_PREVIOUS].value,
							   NULL,
							   PGC_SUSET,
							   GUC_SUPERUSER_ONLY | GUC_NO_SHOW_ALL | GUC_NOT_IN_SAMPLE,
							   ledger_key_previous_check, ledger_key_previous_assign, NULL);
	RegisterXactCallback(ledger_xact_callback, NULL);
	RegisterSubXactCallback(ledger_subxact_callback, NULL);
}

PG_FUNCTION_INFO_V1(credit_ledger_partition_removed);

/*
 * credit.ledger_partition_removed(partition regclass): log, at commit, that
 * every row of a hash partition of a ledgered table leaves it (before
 * credit.detach_partition detaches it).
 */
Datum
credit_ledger_partition_removed(PG_FUNCTION_ARGS)
{
	Oid			part = PG_GETARG_OID(0);
	Oid			parent;
	const char *name;
	int			i;
	bool		ledgered = false;

	if (!get_rel_relispartition(part))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("\"%s\" is not a partition", get_rel_name(part))));
	parent = get_partition_parent(part, false);
	name = get_rel_name(parent);
	for (i = 0; i < LEDGER_NTABLES; i++)
		if (strcmp(ledger_tables[i], name) == 0)
			ledgered = true;
	if (!ledgered || get_rel_namespace(parent) != get_func_namespace(fcinfo->flinfo->fn_oid))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("\"%s\" is not a partition of a ledgered table", get_rel_name(part))));
	entry_partition_removed(part, GetUserNameFromId(GetOuterUserId(), false));
	PG_RETURN_VOID();
}

PG_FUNCTION_INFO_V1(credit_ledger_hash_row);

/*
 * credit.ledger_hash_row(anyelement) → bytea: the SHA-256 of a row's
 * canonical serialization, as the ledger logs it.
 */
Datum
credit_ledger_hash_row(PG_FUNCTION_ARGS)
{
	Oid			argtype = get_fn_expr_argtype(fcinfo->flinfo, 0);
	HeapTupleHeader th;
	TupleDesc	td;
	HeapTupleData tuple;
	Datum	   *values;
	bool	   *nulls;
	RowCodec   *codec;
	uint8		h[HASH_LEN];
	int			level;

	if (!OidIsValid(argtype) || !type_is_rowtype(argtype))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("credit.ledger_hash_row expects a table row, not type %s",
						OidIsValid(argtype) ? format_type_be(argtype) : "unknown")));
	th = PG_GETARG_HEAPTUPLEHEADER(0);
	td = lookup_rowtype_tupdesc(HeapTupleHeaderGetTypeId(th), HeapTupleHeaderGetTypMod(th));
	tuple.t_len = HeapTupleHeaderGetDatumLength(th);
	ItemPointerSetInvalid(&tuple.t_self);
	tuple.t_tableOid = InvalidOid;
	tuple.t_data = th;
	values = palloc(sizeof(Datum) * Max(td->natts, 1));
	nulls = palloc(sizeof(bool) * Max(td->natts, 1));
	heap_deform_tuple(&tuple, td, values, nulls);
	codec = ledger_codec_build(td);
	level = ledger_pin_settings();
	ledger_codec_hash(codec, values, nulls, h);
	ledger_unpin_settings(level);
	ReleaseTupleDesc(td);
	PG_RETURN_BYTEA_P(ledger_hash_bytea(h));
}
