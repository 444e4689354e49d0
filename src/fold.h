/*
 * fold.h
 *      The fold: auto-evaluation when data arrives.  Changes of
 *      credit.record are folded into each touched subject's evaluation state
 *      (credit.subject_grade), one write per (subject, model) and statement
 *      or transaction; grade changes are logged, notified and warned.
 *
 * The engine is in layers; each file calls only the layers above it:
 *
 *   fold_config.c   the context of one fold: the models and warning rules
 *                   (from the model cache), the rules rating each item, the
 *                   table of touched (subject, model) pairs
 *   fold_delta.c    reading transition tables into delta states and record
 *                   warning notes (no SPI)
 *   fold_queue.c    the commit queue credit.pending_fold: both halves of its
 *                   format (a statement's deltas in, a transaction's out)
 *   fold_apply.c    applying deltas: scope, lock in (subject, model) order,
 *                   merge or evaluate afresh, write, emit grade changes,
 *                   industry grade records and warnings (used by the record
 *                   triggers, the commit queue and re-anchoring alike)
 *   fold_trigger.c  the entry points: the record statement triggers, the
 *                   deferred trigger of the queue, credit.reanchor_grades
 *
 * Everything after reading the transition tables runs as the extension's
 * owner with the search_path pinned (util.h), so a unit that may insert
 * records but not write grades still has its grades maintained, and nothing
 * of the caller's can be resolved by the queries.
 */
#ifndef CREDIT_FOLD_H
#define CREDIT_FOLD_H

#include "postgres.h"

#include "access/tupdesc.h"
#include "storage/lockdefs.h"
#include "utils/hsearch.h"
#include "utils/tuplestore.h"

#include "evalstate.h"

/* What the catalogue says about an item, for warnings (record.c). */
#define CATALOG_KNOWN       0x01
#define CATALOG_NEGATIVE    0x02	/* polarity negative */
#define CATALOG_SERIOUS     0x04	/* negative and severity serious */
#define CATALOG_LIST        0x08	/* negative list item (category list) */
#define CATALOG_COMMITMENT  0x10	/* negative commitment item (broken
									 * commitment) */

/* CATALOG_* flags of an item code (0 when not in the catalogue); record.c. */
extern uint8 credit_catalog_flags(const char *code);

/* The codes of the negative catalogue items (text[]); record.c. */
extern Datum credit_catalog_negative_items(void);

#define FOLD_ITEM_KEY_MAX 64

/* What caused a fold: also the grade_change.cause values. */
typedef enum FoldCause
{
	FOLD_INSERT,
	FOLD_UPDATE,
	FOLD_DELETE,
	FOLD_DECAY
} FoldCause;

extern const char *const fold_cause_name[];

/* The warning kinds the fold raises; indexes into FoldCtx.warn_enabled. */
typedef enum FoldWarning
{
	FOLD_W_GRADE_DROP,
	FOLD_W_SERIOUS,
	FOLD_W_LISTED,
	FOLD_W_RELATED,
	FOLD_W_REPEAT,
	FOLD_W_COMMITMENT,
	FOLD_W_NKINDS
}			FoldWarning;

extern const char *const fold_warning_kind[];

/* The (model, rule) pairs that rate an item, and the item's catalogue flags. */
typedef struct FoldItem
{
	char		code[FOLD_ITEM_KEY_MAX];	/* hash key */
	int			n;
	int16	   *model;
	int16	   *rule;
	uint8		flags;
} FoldItem;

typedef struct FoldKey
{
	int64		subject;
	int32		model;			/* index into FoldCtx.models */
	int32		pad;
} FoldKey;

/* One touched (subject, model). */
typedef struct FoldPair
{
	FoldKey		key;
	EvalState  *delta;			/* the change, anchored at the fold's day */
	int64		record_id;		/* last record that touched it */
	FoldCause	cause;			/* what the last change of it was */
	bool		in_scope;		/* the subject is in the model's scope (known
								 * once locked) */
	bool		lock_only;		/* locked for lock order only: not written
								 * unless missing */
	bool		stored_only;	/* locked only if stored, never inserted (a
								 * row of a listed or rescoped subject) */
	bool		fresh;			/* its delta is unusable: evaluate afresh */
	bool		locked;			/* its stored row is locked */
	bool		inserted;		/* its row was inserted by this fold */
	bool		has_old;		/* old grade/score known */
	bool		old_grade_null;
	char	   *old_grade;
	double		old_score;
	int			old_rank;		/* rank of the old grade, 0 unknown */
	EvalState  *st;				/* new state */
	EvalResult	res;
	bool		changed_grade;
} FoldPair;

/* Everything one fold needs. */
typedef struct FoldCtx
{
	MemoryContext cxt;
	DateADT		today;			/* the day states are anchored at */
	FoldCause	cause;
	int			nmodels;
	EvalModel **models;			/* every model, sorted by code */
	HTAB	   *items;			/* FoldItem by item code */
	HTAB	   *pairs;			/* FoldPair by FoldKey */
	/* warning rules */
	bool		warn_enabled[FOLD_W_NKINDS];
	int			repeat_threshold;
	int			repeat_window;
	int			drop_threshold;
	/* record warnings noted while reading rows (inserted rows only) */
	int			nrw,
				rw_cap;
	int64	   *rw_subject;
	int64	   *rw_record;
	char	  **rw_item;
	const char **rw_kind;
	HTAB	   *repeat_subjects;	/* int64 set */
	HTAB	   *listed_subjects;	/* int64 set: subjects put on a list, whose
									 * stored grade rows get their listing
									 * flag set (one round) */
	HTAB	   *rescoped_subjects;	/* int64 set: subjects whose kind or
									 * industries changed, whose stored rows
									 * outside their model's scope are dropped
									 * (one round) */
	bool		on_shard;		/* the records are in shards of a Citus
								 * table: fold one subject at a time */
} FoldCtx;

/* ---- fold_config.c ---- */
extern void fold_ctx_init(FoldCtx *c, const char *name, DateADT today, FoldCause cause);
extern void fold_ctx_new_pairs(FoldCtx *c);
extern FoldItem *fold_item(FoldCtx *c, const char *item, int len);
extern int	fold_model_index(const FoldCtx *c, const char *code);
extern FoldPair *fold_pair_enter(FoldCtx *c, int64 subject, int model, bool *found);
extern FoldPair *fold_pair_lookup(FoldCtx *c, int64 subject, const char *model);
extern FoldPair **fold_pairs_sorted(FoldCtx *c, int *n);
extern void fold_pairs_sort(FoldCtx *c, FoldPair **w, int n);
extern void fold_note_record_warning(FoldCtx *c, int64 subject, int64 record,
									 const char *item, const char *kind);
extern void fold_note_listed(FoldCtx *c, int64 subject);
extern void fold_note_rescoped(FoldCtx *c, int64 subject);

/* ---- fold_delta.c ---- */
extern void fold_read_rows(FoldCtx *c, TupleDesc desc, Tuplestorestate *ts, int sign);
extern void fold_read_update(FoldCtx *c, TupleDesc desc, Tuplestorestate *olds,
							 Tuplestorestate *news);

/* ---- fold_queue.c ---- */
extern bool fold_queue_push(FoldCtx *c);
extern bool fold_queue_take(FoldCtx *c);

/* ---- fold_apply.c ---- */
extern void fold_lock_models(FoldCtx *c, FoldPair **w, int n);
extern void credit_lock_model(const char *code, LOCKMODE mode);
extern void fold_add_comprehensive_pairs(FoldCtx *c);
extern void fold_add_subject_pairs(FoldCtx *c);
extern int64 fold_apply(FoldCtx *c, FoldPair **w, int n);
extern int64 fold_reanchor(FoldCtx *c);
extern void fold_emit_record_warnings(FoldCtx *c);

#endif							/* CREDIT_FOLD_H */
