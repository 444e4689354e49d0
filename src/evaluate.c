/*
 * evaluate.c
 *      SQL interface of stored evaluation states: the functions that
 *      finalize, merge and re-anchor them (the aggregate is in evalagg.c).
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "fmgr.h"
#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/jsonb.h"
#include "utils/numeric.h"

#include "evalstate.h"

/* Per-call cache of a model looked up by code (fn_extra). */
typedef struct ModelRef
{
	EvalModel  *model;
	uint64		epoch;
	char		code[FLEXIBLE_ARRAY_MEMBER];
} ModelRef;

/*
 * The model named by a text argument, cached in fn_extra (looked up again
 * when the cache may have changed: invalidation or a new transaction).
 */
EvalModel *
evalmodel_from_arg(FunctionCallInfo fcinfo, text *code)
{
	ModelRef   *ref = (ModelRef *) fcinfo->flinfo->fn_extra;
	int			len = VARSIZE_ANY_EXHDR(code);

	if (ref == NULL || ref->epoch != credit_model_epoch() || strlen(ref->code) != (size_t) len ||
		memcmp(ref->code, VARDATA_ANY(code), len) != 0)
	{
		char	   *c = text_to_cstring(code);
		EvalModel  *m = credit_model_get(c, false);

		if (ref != NULL)
			pfree(ref);
		ref = MemoryContextAlloc(fcinfo->flinfo->fn_mcxt, offsetof(ModelRef, code) + len + 1);
		ref->model = m;
		ref->epoch = credit_model_epoch();
		memcpy(ref->code, c, len + 1);
		fcinfo->flinfo->fn_extra = ref;
	}
	return ref->model;
}

/* A stored state argument as a state of the model; NULL state → empty at dflt. */
static EvalState *
state_from_arg(FunctionCallInfo fcinfo, int argno, EvalModel *m, DateADT dflt)
{
	EvalState  *st;

	if (PG_ARGISNULL(argno))
		return evalstate_create(m, dflt);
	st = evalstate_deserialize(PG_GETARG_BYTEA_PP(argno), m);
	if (st == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("evaluation state does not belong to the current rules of model \"%s\"",
						m->code),
				 errhint("The model's items, half-lives or per_value changed; recompute the state from the records.")));
	return st;
}

/*
 * Finalize the (model, state, as_of) arguments of the evalstate_* functions
 * (model and as_of not NULL; a NULL state is a subject without records);
 * returns the model.
 */
static EvalModel *
finalize_args(FunctionCallInfo fcinfo, EvalResult *res)
{
	EvalModel  *m = evalmodel_from_arg(fcinfo, PG_GETARG_TEXT_PP(0));
	DateADT		as_of = PG_GETARG_DATEADT(2);

	evalstate_check_date(as_of, "as_of");
	evalstate_finalize(state_from_arg(fcinfo, 1, m, as_of), m, as_of, res);
	return m;
}

PG_FUNCTION_INFO_V1(credit_evalstate_result);
/*
 * evalstate_result(model, state, as_of) → (score, grade, dimensions): finalize
 * a state at as_of; a NULL state is a subject without records.
 */
Datum
credit_evalstate_result(PG_FUNCTION_ARGS)
{
	EvalModel  *m;
	EvalResult	res;
	TupleDesc	desc;
	Datum		values[3];
	bool		nulls[3] = {false, false, false};

	if (PG_ARGISNULL(0) || PG_ARGISNULL(2))
		PG_RETURN_NULL();
	m = finalize_args(fcinfo, &res);

	if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	desc = BlessTupleDesc(desc);
	values[0] = DirectFunctionCall1(float8_numeric, Float8GetDatum(res.score));
	if (res.grade >= 0)
		values[1] = CStringGetTextDatum(m->grades[res.grade].grade);
	else
		nulls[1] = true;
	values[2] = JsonbPGetDatum(evalresult_dimensions(m, &res));
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(desc, values, nulls)));
}

PG_FUNCTION_INFO_V1(credit_evalstate_score);
/* evalstate_score(model, state, as_of) → float8: the score alone (no jsonb built). */
Datum
credit_evalstate_score(PG_FUNCTION_ARGS)
{
	EvalResult	res;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(2))
		PG_RETURN_NULL();
	finalize_args(fcinfo, &res);
	PG_RETURN_FLOAT8(res.score);
}

PG_FUNCTION_INFO_V1(credit_evalstate_grade);
/* evalstate_grade(model, state, as_of) → text: the grade alone. */
Datum
credit_evalstate_grade(PG_FUNCTION_ARGS)
{
	EvalModel  *m;
	EvalResult	res;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(2))
		PG_RETURN_NULL();
	m = finalize_args(fcinfo, &res);
	if (res.grade < 0)
		PG_RETURN_NULL();
	PG_RETURN_TEXT_P(cstring_to_text(m->grades[res.grade].grade));
}

PG_FUNCTION_INFO_V1(credit_evalstate_merge);
/* evalstate_merge(model, a, b, sign) → a + sign × b (NULL is an empty state). */
Datum
credit_evalstate_merge(PG_FUNCTION_ARGS)
{
	EvalModel  *m;
	EvalState  *a;
	EvalState  *b;
	int32		sign;
	int			i;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(3))
		PG_RETURN_NULL();
	if (PG_ARGISNULL(1) && PG_ARGISNULL(2))
		PG_RETURN_NULL();
	sign = PG_GETARG_INT32(3);
	if (sign != 1 && sign != -1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("sign must be 1 or -1, not %d", sign)));
	m = evalmodel_from_arg(fcinfo, PG_GETARG_TEXT_PP(0));
	b = PG_ARGISNULL(2) ? NULL : state_from_arg(fcinfo, 2, m, 0);
	a = state_from_arg(fcinfo, 1, m, b != NULL ? b->anchor : 0);
	if (b != NULL)
		evalstate_merge(a, b, m, sign);
	/* a state counts records: taking out more than it holds is no state */
	for (i = 0; i < a->nitems; i++)
		if (a->count[i] < 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("cannot take more records of item \"%s\" out of an evaluation state than it holds",
							m->rules[i].item_code)));
	PG_RETURN_BYTEA_P(evalstate_serialize(a));
}

PG_FUNCTION_INFO_V1(credit_evalstate_reanchor);
/* evalstate_reanchor(model, state, date) → the state anchored at another date. */
Datum
credit_evalstate_reanchor(PG_FUNCTION_ARGS)
{
	EvalModel  *m = evalmodel_from_arg(fcinfo, PG_GETARG_TEXT_PP(0));
	EvalState  *st = state_from_arg(fcinfo, 1, m, 0);

	evalstate_reanchor(st, m, PG_GETARG_DATEADT(2));
	PG_RETURN_BYTEA_P(evalstate_serialize(st));
}

PG_FUNCTION_INFO_V1(credit_evalstate_anchor);
/* evalstate_anchor(state) → date the state is anchored at. */
Datum
credit_evalstate_anchor(PG_FUNCTION_ARGS)
{
	bytea	   *b = PG_GETARG_BYTEA_PP(0);
	int			nitems;
	uint32		fingerprint;
	DateADT		anchor;
	int			nentries;

	(void) evalstate_get_header(VARDATA_ANY(b), VARSIZE_ANY_EXHDR(b), &nitems, &fingerprint, &anchor, &nentries);
	PG_RETURN_DATEADT(anchor);
}

PG_FUNCTION_INFO_V1(credit_evalstate_valid);
/* evalstate_valid(model, state) → whether the state matches the model's current rules. */
Datum
credit_evalstate_valid(PG_FUNCTION_ARGS)
{
	EvalModel  *m = evalmodel_from_arg(fcinfo, PG_GETARG_TEXT_PP(0));

	PG_RETURN_BOOL(evalstate_deserialize(PG_GETARG_BYTEA_PP(1), m) != NULL);
}

PG_FUNCTION_INFO_V1(credit_evalstate_empty);
/* evalstate_empty(model, anchor) → the state of a subject without counted records. */
Datum
credit_evalstate_empty(PG_FUNCTION_ARGS)
{
	EvalModel  *m = evalmodel_from_arg(fcinfo, PG_GETARG_TEXT_PP(0));

	evalstate_check_date(PG_GETARG_DATEADT(1), "the anchor of an evaluation state");
	PG_RETURN_BYTEA_P(evalstate_serialize(evalstate_create(m, PG_GETARG_DATEADT(1))));
}
