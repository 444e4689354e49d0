/*
 * evalstate.h
 *      Evaluation models (cached rows of credit.model*) and the per-subject
 *      evaluation state shared by the batch aggregate and incremental folding.
 *
 * How to use the state (docs/evaluation.md, docs/auto-evaluation.md)
 * ----------------------------------
 * A state belongs to one (subject, model).  It holds, for every rule of the
 * model (rules sorted by item code), the sum of the raw contributions
 *     (per_value ? value : 1) × 0.5 ^ ((anchor − decided_on) / half_life_days)
 * of the counted records (status 'active'), and the number of those records
 * (counts do not decay; the one-vote veto uses them).  Points, caps,
 * dimensions, grades and vetoes are applied only by evalstate_finalize(), so
 * editing them never invalidates a stored state.  Exponential decay makes
 * re-anchoring a multiplication: sum at B = sum at A × 0.5 ^ ((B − A) / h).
 *
 *   model = credit_model_get("comprehensive_enterprise", false);
 *                       valid until the end of the transaction
 *   st = evalstate_create(model, current_date);
 *   fold a row:    i = evalmodel_rule_index(model, item, len);   (-1: not rated)
 *                  if (i >= 0 && status is 'active')
 *                      evalstate_add(st, model, i, decided_on, value, +1);
 *   remove a row:  the same with sign -1 (the row as it was counted: old
 *                  value and decided_on; a status change away from 'active'
 *                  is a removal, back to 'active' an addition)
 *   re-anchor:     evalstate_reanchor(st, model, new_date)  (any direction;
 *                  evalstate_add() moves the anchor forward by itself when a
 *                  record is dated after it, so every folded record is dated
 *                  on or before the anchor)
 *   merge:         evalstate_merge(dst, src, model, +1 or -1)
 *   store:         bytea *b = evalstate_serialize(st);  → credit.subject_grade.state
 *   load:          st = evalstate_deserialize(b, model);
 *                  (a delta of the commit queue, whose counts may be
 *                  negative: evalstate_deserialize_delta)
 *                  NULL when the model's rule set changed since the state was
 *                  written (items, half-lives or per_value differ: the
 *                  fingerprint does not match): recompute that subject from
 *                  its records, e.g. with the aggregate credit.evaluate_agg
 *   grade:         evalstate_finalize(st, model, as_of, &res)  (as_of must be
 *                  on or after the anchor: the state cannot forget records
 *                  dated between as_of and the anchor)
 *
 * The aggregate (evalagg.c) keeps a sparse form of the same state while
 * aggregating and produces this binary form.
 *
 * SQL-level equivalents: credit.evaluate_agg (aggregate → state bytea),
 * credit.evalstate_result, credit.evalstate_merge, credit.evalstate_reanchor,
 * credit.evalstate_anchor, credit.evalstate_valid.
 *
 * Serialized format (version 1, big-endian, what subject_grade.state holds):
 *     uint8 version, uint8 flags (0), uint16 nitems, uint32 fingerprint,
 *     int32 anchor (DateADT), uint16 nentries, then per non-empty item:
 *     uint16 index, int32 count, float8 sum.
 */
#ifndef EVALSTATE_H
#define EVALSTATE_H

#include "postgres.h"

#include "fmgr.h"
#include "utils/date.h"
#include "utils/jsonb.h"

#include "evalstate_codec.h"

/* One row of credit.model_rule, ready for folding and finalizing. */
typedef struct EvalRule
{
	char	   *item_code;
	int			item_len;
	int			dim;			/* index into EvalModel.dims */
	double		points;
	bool		per_value;
	bool		decays;			/* half_life_days is set */
	double		half_life;		/* days */
	double		inv_half_life;	/* 1 / half_life */
	bool		has_cap;
	double		cap;
	int			veto_grade;		/* index into EvalModel.grades, -1 none */
} EvalRule;

/* One dimension of a model (from model_dimension or named by a rule). */
typedef struct EvalDimension
{
	char	   *name;
	double		weight;
	bool		has_lo;
	double		lo;
	bool		has_hi;
	double		hi;
} EvalDimension;

/* One grade; grades are sorted by rank, best (rank 1) first. */
typedef struct EvalGrade
{
	char	   *grade;
	double		min_score;
	int			rank;
} EvalGrade;

/* A cached model: valid until the end of the transaction that got it. */
typedef struct EvalModel
{
	char	   *code;
	char	   *scope;			/* 'comprehensive' or an industry code */
	double		base;
	bool		has_lo;
	double		lo;
	bool		has_hi;
	double		hi;
	int			nrules;
	EvalRule   *rules;			/* sorted by item code (bytewise) */
	int			ndims;
	EvalDimension *dims;
	int			ngrades;
	EvalGrade  *grades;
	uint32		fingerprint;	/* of items, half-lives and per_value */
	int			hash_mask;		/* item code → rule: open addressing */
	int16	   *hash_slots;		/* rule index, -1 empty */
	MemoryContext cxt;			/* owns everything above */
	uint64		generation;		/* cache generation it was loaded in */
} EvalModel;

/* Per-subject state; sum and count point into the same allocation. */
typedef struct EvalState
{
	int			nitems;
	uint32		fingerprint;
	DateADT		anchor;
	double	   *sum;
	int32	   *count;
} EvalState;

/* What finalizing gives. */
typedef struct EvalResult
{
	double		score;
	int			grade;			/* index into EvalModel.grades, -1 none */
	double	   *dim_value;		/* ndims values, palloc'd */
} EvalResult;

/* One row of credit.warning_rule. */
typedef struct CreditWarningRule
{
	char	   *kind;
	bool		enabled;
	bool		has_threshold;
	int			threshold;
	bool		has_window;
	int			window_days;
} CreditWarningRule;

/* Every model and the warning rules (the configuration of folding). */
typedef struct CreditModels
{
	int			nmodels;
	EvalModel **models;			/* sorted by code, bytewise */
	int			nwarn;
	CreditWarningRule *warn;
	MemoryContext cxt;
	uint64		generation;
} CreditModels;

/* model.c */
extern EvalModel *credit_model_get(const char *code, bool missing_ok);
extern const CreditModels *credit_models_all(void);
extern uint64 credit_model_epoch(void);
extern int	evalmodel_rule_index(const EvalModel *model, const char *item, int len);

/* evalstate.c */
extern void evalstate_check_date(DateADT d, const char *what);
extern EvalState *evalstate_create(const EvalModel *model, DateADT anchor);
extern EvalState *evalstate_copy(const EvalState *st);
extern void evalstate_add(EvalState *st, const EvalModel *model, int rule,
						  DateADT decided_on, double value, int sign);
extern void evalstate_reanchor(EvalState *st, const EvalModel *model, DateADT to);
extern void evalstate_merge(EvalState *dst, const EvalState *src,
							const EvalModel *model, int sign);
extern bytea *evalstate_serialize(const EvalState *st);
extern EvalState *evalstate_deserialize(const bytea *b, const EvalModel *model);
extern EvalState *evalstate_deserialize_delta(const bytea *b, const EvalModel *model);
extern Size evalstate_serialized_size(const EvalState *st);
extern void evalstate_serialize_into(const EvalState *st, char *p);
extern EvalState *evalstate_deserialize_from(const char *p, Size len, const EvalModel *model,
											 bool delta);
extern char *evalstate_put_header(char *p, int nitems, uint32 fingerprint, DateADT anchor, int nentries);
extern char *evalstate_put_entry(char *p, int idx, int32 count, double sum);
extern const char *evalstate_get_header(const char *p, Size len, int *nitems, uint32 *fingerprint,
										DateADT *anchor, int *nentries);
extern const char *evalstate_get_entry(const char *p, int nitems, int prev_idx, bool delta,
									   int *idx, int32 *count, double *sum);
extern void evalstate_finalize(const EvalState *st, const EvalModel *model,
							   DateADT as_of, EvalResult *res);
extern Jsonb *evalresult_dimensions(const EvalModel *model, const EvalResult *res);

/* evaluate.c */
extern EvalModel *evalmodel_from_arg(FunctionCallInfo fcinfo, text *code);

#endif							/* EVALSTATE_H */
