/*
 * evalagg.c
 *      The parallel aggregate credit.evaluate_agg(model, as_of, item_code,
 *      decided_on, value, status) → the subject's evaluation state (bytea).
 *
 * While aggregating, a subject's state is kept sparse: only the items the
 * subject has records of, sorted by rule index, in one allocation sized a
 * power of two.  Most subjects have records of a few items only, so a
 * full run over hundreds of thousands of subjects keeps its hash table
 * small.  Partial states travel between processes in the stored binary form
 * (evalstate.h) prefixed by the model code.
 */
#include "postgres.h"

#include <math.h>

#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/date.h"

#include "evalstate.h"

/* One item of a subject's sparse state. */
typedef struct AggEntry
{
	double		sum;
	int32		count;
	int16		rule;
	int16		pad;
} AggEntry;

/* Transition state: the model, the anchor (as_of) and the items seen. */
typedef struct AggEvalState
{
	EvalModel  *model;
	DateADT		anchor;
	int16		n;
	int16		cap;
	AggEntry	e[FLEXIBLE_ARRAY_MEMBER];
} AggEvalState;

/* A new empty state able to hold cap entries, in the given context. */
static AggEvalState *
agg_new(MemoryContext cxt, EvalModel *m, DateADT anchor, int cap)
{
	AggEvalState *s = MemoryContextAlloc(cxt, offsetof(AggEvalState, e) + sizeof(AggEntry) * cap);

	s->model = m;
	s->anchor = anchor;
	s->n = 0;
	s->cap = (int16) cap;
	return s;
}

/* Capacity filling a power-of-two allocation and holding at least n entries. */
static int
agg_capacity(int n)
{
	Size		size = 64;

	while ((size - offsetof(AggEvalState, e)) / sizeof(AggEntry) < (Size) n)
		size *= 2;
	return (int) ((size - offsetof(AggEvalState, e)) / sizeof(AggEntry));
}

/*
 * The entry of a rule, inserted (zero) at its sorted place when missing; may
 * move the state (the caller keeps the returned state).
 */
static inline AggEntry *
agg_entry(AggEvalState **sp, int rule)
{
	AggEvalState *s = *sp;
	int			i = 0;

	while (i < s->n && s->e[i].rule < rule)
		i++;
	if (i < s->n && s->e[i].rule == rule)
		return &s->e[i];
	if (s->n == s->cap)
	{
		int			cap = agg_capacity(s->n + 1);

		s = repalloc(s, offsetof(AggEvalState, e) + sizeof(AggEntry) * cap);
		s->cap = (int16) cap;
		*sp = s;
	}
	memmove(&s->e[i + 1], &s->e[i], sizeof(AggEntry) * (s->n - i));
	s->e[i].sum = 0.0;
	s->e[i].count = 0;
	s->e[i].rule = (int16) rule;
	s->e[i].pad = 0;
	s->n++;
	return &s->e[i];
}

/* The sparse state as a full evaluation state, in the current context. */
static EvalState *
agg_to_state(const AggEvalState *s)
{
	EvalState  *st = evalstate_create(s->model, s->anchor);
	int			i;

	for (i = 0; i < s->n; i++)
	{
		st->sum[s->e[i].rule] = s->e[i].sum;
		st->count[s->e[i].rule] = s->e[i].count;
	}
	return st;
}

/* A full evaluation state as a sparse state, in the given context. */
static AggEvalState *
agg_from_state(MemoryContext cxt, EvalModel *m, const EvalState *st)
{
	int			n = 0;
	int			i;
	AggEvalState *s;

	for (i = 0; i < st->nitems; i++)
		if (st->count[i] != 0 || st->sum[i] != 0.0)
			n++;
	s = agg_new(cxt, m, st->anchor, agg_capacity(n));
	for (i = 0; i < st->nitems; i++)
		if (st->count[i] != 0 || st->sum[i] != 0.0)
		{
			s->e[s->n].sum = st->sum[i];
			s->e[s->n].count = st->count[i];
			s->e[s->n].rule = (int16) i;
			s->e[s->n].pad = 0;
			s->n++;
		}
	return s;
}

PG_FUNCTION_INFO_V1(credit_evaluate_agg_trans);
/*
 * Transition function: fold one record (model, as_of, item_code, decided_on,
 * value, status) when it is active, dated on or before as_of and rated.
 * model and as_of are taken from a group's first row.
 */
Datum
credit_evaluate_agg_trans(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt;
	AggEvalState *s = PG_ARGISNULL(0) ? NULL : (AggEvalState *) PG_GETARG_POINTER(0);
	text	   *item;
	text	   *status;
	DateADT		decided_on;
	int			rule;
	const EvalRule *r;
	AggEntry   *e;
	double		c;

	if (!AggCheckCallContext(fcinfo, &aggcxt))
		elog(ERROR, "credit_evaluate_agg_trans called in non-aggregate context");

	if (s == NULL)
	{
		if (PG_ARGISNULL(1) || PG_ARGISNULL(2))
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("model and as_of of credit.evaluate_agg must not be null")));
		s = agg_new(aggcxt, evalmodel_from_arg(fcinfo, PG_GETARG_TEXT_PP(1)),
					PG_GETARG_DATEADT(2), agg_capacity(1));
	}

	if (PG_ARGISNULL(3) || PG_ARGISNULL(4) || PG_ARGISNULL(5) || PG_ARGISNULL(6))
		PG_RETURN_POINTER(s);
	decided_on = PG_GETARG_DATEADT(4);
	if (decided_on > s->anchor)
		PG_RETURN_POINTER(s);
	status = PG_GETARG_TEXT_PP(6);
	if (VARSIZE_ANY_EXHDR(status) != 6 || memcmp(VARDATA_ANY(status), "active", 6) != 0)
		PG_RETURN_POINTER(s);
	item = PG_GETARG_TEXT_PP(3);
	rule = evalmodel_rule_index(s->model, VARDATA_ANY(item), VARSIZE_ANY_EXHDR(item));
	if (rule < 0)
		PG_RETURN_POINTER(s);

	r = &s->model->rules[rule];
	c = r->per_value ? PG_GETARG_FLOAT8(5) : 1.0;
	if (r->decays)
		c *= exp2(-((double) s->anchor - (double) decided_on) * r->inv_half_life);
	e = agg_entry(&s, rule);
	e->sum += c;
	e->count++;
	PG_RETURN_POINTER(s);
}

PG_FUNCTION_INFO_V1(credit_evaluate_agg_combine);
/* Combine function: merge two partial states (allocating in the aggregate context). */
Datum
credit_evaluate_agg_combine(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt;
	AggEvalState *a = PG_ARGISNULL(0) ? NULL : (AggEvalState *) PG_GETARG_POINTER(0);
	AggEvalState *b = PG_ARGISNULL(1) ? NULL : (AggEvalState *) PG_GETARG_POINTER(1);
	int			i;

	if (!AggCheckCallContext(fcinfo, &aggcxt))
		elog(ERROR, "credit_evaluate_agg_combine called in non-aggregate context");
	if (b == NULL)
	{
		if (a == NULL)
			PG_RETURN_NULL();
		PG_RETURN_POINTER(a);
	}
	if (a == NULL)
	{
		a = agg_new(aggcxt, b->model, b->anchor, b->cap);
		a->n = b->n;
		memcpy(a->e, b->e, sizeof(AggEntry) * b->n);
		PG_RETURN_POINTER(a);
	}
	if (a->model->fingerprint != b->model->fingerprint || a->model->nrules != b->model->nrules)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("cannot combine evaluation states of different models")));
	if (a->anchor != b->anchor)
	{
		/*
		 * different as_of in one group: merge as full states at the later
		 * anchor
		 */
		MemoryContext old = MemoryContextSwitchTo(aggcxt);
		EvalState  *sa = agg_to_state(a);
		EvalState  *sb = agg_to_state(b);

		evalstate_merge(sa, sb, a->model, 1);
		a = agg_from_state(aggcxt, a->model, sa);
		MemoryContextSwitchTo(old);
		PG_RETURN_POINTER(a);
	}
	for (i = 0; i < b->n; i++)
	{
		AggEntry   *e;

		/* repalloc of a happens in its own context (aggcxt) */
		e = agg_entry(&a, b->e[i].rule);
		e->sum += b->e[i].sum;
		if (!evalcodec_count_add(&e->count, b->e[i].count))
			ereport(ERROR,
					(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
					 errmsg("evaluation state of model \"%s\" out of range: more than %d records of item \"%s\"",
							a->model->code, PG_INT32_MAX, a->model->rules[b->e[i].rule].item_code)));
	}
	PG_RETURN_POINTER(a);
}

PG_FUNCTION_INFO_V1(credit_evaluate_agg_serialize);
/* Serial function: the model code (NUL-terminated) followed by the state's binary form. */
Datum
credit_evaluate_agg_serialize(PG_FUNCTION_ARGS)
{
	AggEvalState *s = (AggEvalState *) PG_GETARG_POINTER(0);
	Size		codelen = strlen(s->model->code) + 1;
	Size		size = codelen + EVALSTATE_HEADER + (Size) s->n * EVALSTATE_ENTRY;
	bytea	   *b;
	char	   *p;
	int			i;

	if (!AggCheckCallContext(fcinfo, NULL))
		elog(ERROR, "credit_evaluate_agg_serialize called in non-aggregate context");
	b = palloc(VARHDRSZ + size);
	SET_VARSIZE(b, VARHDRSZ + size);
	memcpy(VARDATA(b), s->model->code, codelen);
	p = evalstate_put_header(VARDATA(b) + codelen, s->model->nrules, s->model->fingerprint,
							 s->anchor, s->n);
	for (i = 0; i < s->n; i++)
		p = evalstate_put_entry(p, s->e[i].rule, s->e[i].count, s->e[i].sum);
	PG_RETURN_BYTEA_P(b);
}

PG_FUNCTION_INFO_V1(credit_evaluate_agg_deserialize);
/*
 * Deserial function: inverse of the serial function.  The state is built in
 * the current (per-tuple) context: the combine function copies what it keeps.
 */
Datum
credit_evaluate_agg_deserialize(PG_FUNCTION_ARGS)
{
	bytea	   *b = PG_GETARG_BYTEA_PP(0);
	const char *data = VARDATA_ANY(b);
	Size		len = VARSIZE_ANY_EXHDR(b);
	Size		codelen = strnlen(data, len);
	EvalModel  *m;
	AggEvalState *s;
	const char *p;
	int			nitems;
	uint32		fingerprint;
	DateADT		anchor;
	int			nentries;
	int			i;
	int			idx = -1;

	if (!AggCheckCallContext(fcinfo, NULL))
		elog(ERROR, "credit_evaluate_agg_deserialize called in non-aggregate context");
	if (codelen >= len)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("malformed partial evaluation state")));
	/* the model stays the same for the whole query */
	m = (EvalModel *) fcinfo->flinfo->fn_extra;
	if (m == NULL || strcmp(m->code, data) != 0)
	{
		m = credit_model_get(data, false);
		fcinfo->flinfo->fn_extra = m;
	}
	p = evalstate_get_header(data + codelen + 1, len - codelen - 1,
							 &nitems, &fingerprint, &anchor, &nentries);
	if (nitems != m->nrules || fingerprint != m->fingerprint)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("rules of model \"%s\" changed during the evaluation", m->code)));
	s = agg_new(CurrentMemoryContext, m, anchor, agg_capacity(Max(nentries, 1)));
	for (i = 0; i < nentries; i++)
	{
		int32		count;
		double		sum;
		AggEntry   *e;

		p = evalstate_get_entry(p, nitems, idx, false, &idx, &count, &sum);
		e = agg_entry(&s, idx);
		e->count += count;
		e->sum += sum;
	}
	PG_RETURN_POINTER(s);
}

PG_FUNCTION_INFO_V1(credit_evaluate_agg_final);
/*
 * Final function: the state in its stored binary form (NULL when no row was
 * seen), written straight from the sparse entries: they are sorted by rule
 * index and each holds at least one record, as the stored form lists them.
 */
Datum
credit_evaluate_agg_final(PG_FUNCTION_ARGS)
{
	AggEvalState *s = PG_ARGISNULL(0) ? NULL : (AggEvalState *) PG_GETARG_POINTER(0);
	Size		size;
	bytea	   *b;
	char	   *p;
	int			i;

	if (s == NULL)
		PG_RETURN_NULL();
	size = EVALSTATE_HEADER + (Size) s->n * EVALSTATE_ENTRY;
	b = palloc(VARHDRSZ + size);
	SET_VARSIZE(b, VARHDRSZ + size);
	p = evalstate_put_header(VARDATA(b), s->model->nrules, s->model->fingerprint, s->anchor, s->n);
	for (i = 0; i < s->n; i++)
		p = evalstate_put_entry(p, s->e[i].rule, s->e[i].count, s->e[i].sum);
	PG_RETURN_BYTEA_P(b);
}
