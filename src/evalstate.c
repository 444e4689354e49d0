/*
 * evalstate.c
 *      The per-subject evaluation state (see evalstate.h): folding, removal,
 *      re-anchoring, merging, the binary format and finalizing to a score,
 *      a grade and dimension values (docs/evaluation.md).
 */
#include "postgres.h"

#include <math.h>

#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/jsonb.h"
#include "utils/numeric.h"

#include "evalstate.h"
#include "util.h"


/* A zero state of this model anchored at a date, in the current memory context. */
EvalState *
evalstate_create(const EvalModel *model, DateADT anchor)
{
	int			n = model->nrules;
	EvalState  *st = palloc0(MAXALIGN(sizeof(EvalState)) + sizeof(double) * Max(n, 1) +
							 sizeof(int32) * Max(n, 1));

	st->nitems = n;
	st->fingerprint = model->fingerprint;
	st->anchor = anchor;
	st->sum = (double *) ((char *) st + MAXALIGN(sizeof(EvalState)));
	st->count = (int32 *) (st->sum + Max(n, 1));
	return st;
}

/* A copy of a state in the current memory context. */
EvalState *
evalstate_copy(const EvalState *st)
{
	int			n = st->nitems;
	Size		size = MAXALIGN(sizeof(EvalState)) + sizeof(double) * Max(n, 1) +
		sizeof(int32) * Max(n, 1);
	EvalState  *c = palloc(size);

	memcpy(c, st, size);
	c->sum = (double *) ((char *) c + MAXALIGN(sizeof(EvalState)));
	c->count = (int32 *) (c->sum + Max(n, 1));
	return c;
}

/* Decay factor of a rule over a number of days (1 when the rule does not decay). */
static inline double
rule_decay(const EvalRule *r, double days)
{
	return r->decays ? exp2(-days * r->inv_half_life) : 1.0;
}

/* Check that a state was built for this model's rule set. */
static void
evalstate_check(const EvalState *st, const EvalModel *model)
{
	if (st->nitems != model->nrules || st->fingerprint != model->fingerprint)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("evaluation state does not belong to the current rules of model \"%s\"",
						model->code),
				 errhint("The model's items, half-lives or per_value changed; recompute the state from the records.")));
}

/* Complain that a state's numbers left the range they are kept in. */
static void
evalstate_overflow(const EvalModel *model, const char *what)
{
	ereport(ERROR,
			(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
			 errmsg("evaluation state of model \"%s\" out of range: %s", model->code, what)));
}

/*
 * Refuse a date an evaluation state cannot be anchored at or evaluated as of:
 * infinity, -infinity (what names the date in the message).
 */
void
evalstate_check_date(DateADT d, const char *what)
{
	if (DATE_NOT_FINITE(d) || !IS_VALID_DATE(d))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be a finite date, not %s", what,
						DATE_IS_NOBEGIN(d) ? "-infinity" : DATE_IS_NOEND(d) ? "infinity" : "out of range")));
}

StaticAssertDecl(EVALSTATE_MIN_ANCHOR == DATETIME_MIN_JULIAN - POSTGRES_EPOCH_JDATE &&
				 EVALSTATE_END_ANCHOR == DATE_END_JULIAN - POSTGRES_EPOCH_JDATE,
				 "evalstate_codec.h must know the range of dates");

/*
 * Move the anchor to another date: every decaying sum is multiplied by its
 * decay.  Moving far back multiplies by a power of two as large as the
 * distance over the half-life: a sum that would not stay finite is an error,
 * never an infinite or NaN score.
 */
void
evalstate_reanchor(EvalState *st, const EvalModel *model, DateADT to)
{
	double		days;
	int			i;

	evalstate_check(st, model);
	evalstate_check_date(to, "the anchor of an evaluation state");
	if (to == st->anchor)
		return;
	days = (double) to - (double) st->anchor;
	for (i = 0; i < st->nitems; i++)
		if (model->rules[i].decays && st->sum[i] != 0.0)
		{
			double		v = st->sum[i] * rule_decay(&model->rules[i], days);

			if (!isfinite(v))
				evalstate_overflow(model,
								   psprintf("re-anchoring to %s multiplies the sum of item \"%s\" past the largest number",
											credit_date_text(to), model->rules[i].item_code));
			st->sum[i] = v;
		}
	st->anchor = to;
}

/* count[i] += add, refusing to wrap around (a wrapped count could lose a veto). */
static void
count_add(EvalState *st, const EvalModel *model, int i, int64 add)
{
	if (!evalcodec_count_add(&st->count[i], add))
		evalstate_overflow(model, psprintf("more than %d records of item \"%s\"",
										   PG_INT32_MAX, model->rules[i].item_code));
}

/* sum[i] += add, refusing a sum that is not finite. */
static void
sum_add(EvalState *st, const EvalModel *model, int i, double add)
{
	double		v = st->sum[i] + add;

	if (!isfinite(v))
		evalstate_overflow(model, psprintf("the sum of item \"%s\" passes the largest number",
										   model->rules[i].item_code));
	st->sum[i] = v;
}

/*
 * Fold one counted record (sign +1) or take it back out (sign -1).  A record
 * dated after the anchor first moves the anchor forward to its date.
 */
void
evalstate_add(EvalState *st, const EvalModel *model, int rule,
			  DateADT decided_on, double value, int sign)
{
	const EvalRule *r = &model->rules[rule];
	double		c;

	if (decided_on > st->anchor)
		evalstate_reanchor(st, model, decided_on);
	c = r->per_value ? value : 1.0;
	if (r->decays)
		c *= exp2(-((double) st->anchor - (double) decided_on) * r->inv_half_life);
	sum_add(st, model, rule, sign * c);
	count_add(st, model, rule, sign);
}

/*
 * dst += sign × src, both brought to the later of the two anchors; a count
 * or sum that would leave its range is an error (never wraps around).
 */
void
evalstate_merge(EvalState *dst, const EvalState *src, const EvalModel *model, int sign)
{
	double		days;
	int			i;

	evalstate_check(dst, model);
	evalstate_check(src, model);
	if (src->anchor > dst->anchor)
		evalstate_reanchor(dst, model, src->anchor);
	days = (double) dst->anchor - (double) src->anchor;
	for (i = 0; i < dst->nitems; i++)
	{
		if (src->count[i] == 0 && src->sum[i] == 0.0)
			continue;
		sum_add(dst, model, i, sign * src->sum[i] * (days != 0 ? rule_decay(&model->rules[i], days) : 1.0));
		count_add(dst, model, i, (int64) sign * src->count[i]);
	}
}

/* Complain about a malformed serialized state. */
static void
evalstate_malformed(const char *why)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
			 errmsg("malformed evaluation state: %s", why)));
}

/* Bytes the binary form of a state takes. */
Size
evalstate_serialized_size(const EvalState *st)
{
	int			nentries = 0;
	int			i;

	for (i = 0; i < st->nitems; i++)
		if (st->count[i] != 0 || st->sum[i] != 0.0)
			nentries++;
	return EVALSTATE_HEADER + (Size) nentries * EVALSTATE_ENTRY;
}

/* Write the header of the binary form at p; returns the position after it. */
char *
evalstate_put_header(char *p, int nitems, uint32 fingerprint, DateADT anchor, int nentries)
{
	return evalcodec_put_header(p, nitems, fingerprint, anchor, nentries);
}

/* Write one entry (item index, count, sum) at p; returns the position after it. */
char *
evalstate_put_entry(char *p, int idx, int32 count, double sum)
{
	return evalcodec_put_entry(p, idx, count, sum);
}

/* Write the binary form of a state at p (evalstate_serialized_size bytes). */
void
evalstate_serialize_into(const EvalState *st, char *p)
{
	int			nentries = 0;
	int			i;

	for (i = 0; i < st->nitems; i++)
		if (st->count[i] != 0 || st->sum[i] != 0.0)
			nentries++;
	p = evalstate_put_header(p, st->nitems, st->fingerprint, st->anchor, nentries);
	for (i = 0; i < st->nitems; i++)
		if (st->count[i] != 0 || st->sum[i] != 0.0)
			p = evalstate_put_entry(p, i, st->count[i], st->sum[i]);
}

/* The compact versioned binary form of a state (see evalstate.h). */
bytea *
evalstate_serialize(const EvalState *st)
{
	Size		size = evalstate_serialized_size(st);
	bytea	   *b = palloc(VARHDRSZ + size);

	SET_VARSIZE(b, VARHDRSZ + size);
	evalstate_serialize_into(st, VARDATA(b));
	return b;
}

/*
 * Check and read the header of the binary form (len bytes at p); returns the
 * position of the first entry.  Malformed input (evalstate_codec.c says
 * what is checked) is an error 22P03.
 */
const char *
evalstate_get_header(const char *p, Size len, int *nitems, uint32 *fingerprint,
					 DateADT *anchor, int *nentries)
{
	EvalStateHeader h;
	const char *why = evalcodec_get_header(p, len, &h);

	if (why != NULL)
		evalstate_malformed(why);
	*nitems = h.nitems;
	*fingerprint = h.fingerprint;
	*anchor = h.anchor;
	*nentries = h.nentries;
	return p + EVALSTATE_HEADER;
}

/*
 * Read one entry at p, checked: an index below nitems and after prev_idx, a
 * finite sum, a count not negative unless delta.  Returns the position after it.
 */
const char *
evalstate_get_entry(const char *p, int nitems, int prev_idx, bool delta,
					int *idx, int32 *count, double *sum)
{
	const char *why = evalcodec_get_entry(p, nitems, prev_idx, delta, idx, count, sum);

	if (why != NULL)
		evalstate_malformed(why);
	return p + EVALSTATE_ENTRY;
}

/*
 * Read the binary form of a state from len bytes at p.  Returns NULL when it
 * was written for another rule set of the model (the caller recomputes it).
 * A delta (of the commit queue) may hold negative counts; a state may not.
 */
EvalState *
evalstate_deserialize_from(const char *p, Size len, const EvalModel *model, bool delta)
{
	int			nitems;
	uint32		fingerprint;
	DateADT		anchor;
	int			nentries;
	int			i;
	int			idx = -1;
	EvalState  *st;

	p = evalstate_get_header(p, len, &nitems, &fingerprint, &anchor, &nentries);
	if (nitems != model->nrules || fingerprint != model->fingerprint)
		return NULL;
	st = evalstate_create(model, anchor);
	for (i = 0; i < nentries; i++)
	{
		int32		count;
		double		sum;

		p = evalstate_get_entry(p, nitems, idx, delta, &idx, &count, &sum);
		st->count[idx] = count;
		st->sum[idx] = sum;
	}
	return st;
}

/* Read a stored state (bytea); NULL when written for another rule set of the model. */
EvalState *
evalstate_deserialize(const bytea *b, const EvalModel *model)
{
	return evalstate_deserialize_from(VARDATA_ANY(b), VARSIZE_ANY_EXHDR(b), model, false);
}

/* Read a delta of the commit queue (counts may be negative); NULL as above. */
EvalState *
evalstate_deserialize_delta(const bytea *b, const EvalModel *model)
{
	return evalstate_deserialize_from(VARDATA_ANY(b), VARSIZE_ANY_EXHDR(b), model, true);
}

/* Clamp a value to optional bounds. */
static inline double
clamp(double v, bool has_lo, double lo, bool has_hi, double hi)
{
	if (has_lo && v < lo)
		v = lo;
	if (has_hi && v > hi)
		v = hi;
	return v;
}

/*
 * The score as graded and stored: rounded to 9 decimal places (SCORE_SCALE),
 * so that decimal points summed in binary floating point (0.7 + 0.1 =
 * 0.7999999999999999) reach a min_score as exact decimal arithmetic does, and
 * the score shown never disagrees with its grade.  Scores of a million or more
 * (no shipped model comes near) are left as they are: scaled, they would pass
 * the integers a double holds exactly.
 */
#define SCORE_SCALE 1e9			/* 9 decimal places */
static inline double
score_round(double score)
{
	if (fabs(score) < 1e6)
		return rint(score * SCORE_SCALE) / SCORE_SCALE;
	return score;
}

/*
 * Score, grade and dimension values at as_of (on or after the anchor):
 * item caps, weighted and clamped dimensions, clamped score, best grade
 * reached, then the one-vote veto.
 */
void
evalstate_finalize(const EvalState *st, const EvalModel *model, DateADT as_of, EvalResult *res)
{
	double		days;
	double		score;
	int			i;
	int			grade = -1;

	evalstate_check(st, model);
	if (as_of < st->anchor)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("cannot evaluate a state anchored at %s as of the earlier date %s",
						credit_date_text(st->anchor),
						credit_date_text(as_of)),
				 errhint("Evaluate the records again with credit.evaluate_subject.")));
	days = (double) as_of - (double) st->anchor;
	res->dim_value = palloc0(sizeof(double) * Max(model->ndims, 1));
	for (i = 0; i < model->nrules; i++)
	{
		const EvalRule *r = &model->rules[i];
		double		s;

		if (st->count[i] == 0 && st->sum[i] == 0.0)
			continue;
		s = r->points * st->sum[i] * (days != 0 ? rule_decay(r, days) : 1.0);
		if (r->has_cap)
			s = clamp(s, true, -r->cap, true, r->cap);
		res->dim_value[r->dim] += s;
	}
	score = model->base;
	for (i = 0; i < model->ndims; i++)
	{
		const EvalDimension *d = &model->dims[i];

		res->dim_value[i] = clamp(d->weight * res->dim_value[i], d->has_lo, d->lo, d->has_hi, d->hi);
		score += res->dim_value[i];
	}
	score = score_round(clamp(score, model->has_lo, model->lo, model->has_hi, model->hi));

	/*
	 * the model's numbers are bounded (credit.model_rule and its tables check
	 * them): never reached
	 */
	if (!isfinite(score))
		evalstate_overflow(model, "the score is not a finite number");
	for (i = 0; i < model->ngrades; i++)
		if (model->grades[i].min_score <= score)
		{
			grade = i;
			break;
		}
	/* one-vote veto: a counted record of a veto rule caps the grade */
	for (i = 0; i < model->nrules; i++)
	{
		int			v = model->rules[i].veto_grade;

		if (v >= 0 && st->count[i] > 0 && (grade < 0 || grade < v))
			grade = v;
	}
	res->score = score;
	res->grade = grade;
}

/* The dimension values of a result as a jsonb object {dimension: value}. */
Jsonb *
evalresult_dimensions(const EvalModel *model, const EvalResult *res)
{
	JsonbParseState *ps = NULL;
	JsonbValue *v;
	int			i;

	pushJsonbValue(&ps, WJB_BEGIN_OBJECT, NULL);
	for (i = 0; i < model->ndims; i++)
	{
		JsonbValue	k;
		JsonbValue	val;

		k.type = jbvString;
		k.val.string.val = model->dims[i].name;
		k.val.string.len = strlen(model->dims[i].name);
		pushJsonbValue(&ps, WJB_KEY, &k);
		val.type = jbvNumeric;
		val.val.numeric = DatumGetNumeric(DirectFunctionCall1(float8_numeric,
															  Float8GetDatum(res->dim_value[i])));
		pushJsonbValue(&ps, WJB_VALUE, &val);
	}
	v = pushJsonbValue(&ps, WJB_END_OBJECT, NULL);
	return JsonbValueToJsonb(v);
}
