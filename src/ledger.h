/*
 * ledger.h
 *      Declarations shared by the ledger's capture (ledger.c) and its
 *      verification (ledger_verify.c).
 */
#ifndef CREDIT_LEDGER_H
#define CREDIT_LEDGER_H

#include "postgres.h"

#include "access/tupdesc.h"
#include "fmgr.h"
#include "utils/rel.h"
#include "utils/timestamp.h"

#define HASH_LEN 32
/* rows per ledger entry: keeps every array of an entry far below 1 GB */
#define LEDGER_ENTRY_MAX_ROWS 1000000
/* first bytes hashed of every entry (the format's version) */
#define ENTRY_MAGIC "credit.ledger v1"

/* shortest credit.ledger_key accepted, in bytes */
#define LEDGER_MIN_KEY 32

#define FLAG_KEY2 1
#define FLAG_OLD 2
#define FLAG_NEW 4

typedef enum LedgerOp
{
	OP_INSERT,
	OP_UPDATE,
	OP_DELETE,
	OP_TRUNCATE
} LedgerOp;

/*
 * A column of the canonical serialization, with the last value serialized
 * and its text (a column that repeats its value from row to row, as a
 * statement's created_at does, is output once).
 */
typedef struct CodecCol
{
	int			index;			/* 0-based attribute index */
	char	   *name;			/* UTF-8 */
	int			namelen;
	FmgrInfo	out;
	bool		typbyval;
	int16		typlen;
	bool		have_last;		/* last and last_text are set */
	bool		no_reuse;		/* the value changes too often to keep it */
	int			misses;			/* rows whose value was not the last */
	int			hits;			/* rows whose value was */
	Datum		last;			/* a copy, in the codec's context */
	char	   *last_text;		/* its output, UTF-8 */
	size_t		last_len;
} CodecCol;

/* The canonical serializer of the rows of one tuple descriptor. */
typedef struct RowCodec
{
	int			ncols;
	CodecCol   *cols;
	MemoryContext cxt;			/* where the codec and its last values live */
	uint64		nrows;			/* rows serialized so far */
} RowCodec;

/* The ledgered tables (LEDGER_NTABLES of them), in name order. */
#define LEDGER_NTABLES 4
extern const char *const ledger_tables[LEDGER_NTABLES];

/*
 * A row change of the current transaction not yet appended (ledger.c keeps
 * them until commit); ord is its position in the transaction.  A truncate of
 * the table has keys 0; the removal of one hash partition has the
 * partition's modulus in k1 and its remainder in k2.
 */
typedef struct PendingRow
{
	int64		k1;
	int64		k2;
	int			ord;
	LedgerOp	op;
	const uint8 *oldh;			/* NULL for insert and truncate */
	const uint8 *newh;			/* NULL for delete and truncate */
} PendingRow;

extern int	ledger_pending_rows(Oid nspid, const char *relname, PendingRow **rows);
extern bool ledger_hash_partition_holds(int64 modulus, int64 remainder, int64 value);

/* The ledger's keys: the current one, and the one before a rotation. */
typedef enum LedgerKeyWhich
{
	LEDGER_KEY_CURRENT = 0,
	LEDGER_KEY_PREVIOUS = 1
} LedgerKeyWhich;

extern bool ledger_key_usable(LedgerKeyWhich which);
extern void ledger_entry_tag(LedgerKeyWhich which, const uint8 *hash, uint8 *out);

extern RowCodec *ledger_codec_build(TupleDesc td);
extern void ledger_codec_hash(RowCodec *c, Datum *values, bool *nulls, uint8 *out);
extern int	ledger_pin_settings(void);
extern void ledger_unpin_settings(int level);
extern int	ledger_table_keys(Relation rel, AttrNumber *keys);
extern bytea *ledger_hash_bytea(const uint8 *h);
extern void ledger_entry_hash(const uint8 *prev, int64 seq, TimestampTz at, const char *who, uint64 xid,
							  const char *relation, const char *op, uint32 flags, int n,
							  const int64 *k1, const int64 *k2,
							  const uint8 *const *oldh, const uint8 *const *newh, uint8 *out);

#endif							/* CREDIT_LEDGER_H */
