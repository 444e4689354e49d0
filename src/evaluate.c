/*
 * evaluate.c
 *      SQL interface of the evaluation state: the parallel aggregate
 *      credit.evaluate_agg and the functions that finalize, merge and
 *      re-anchor stored states.
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

/* Transition state of credit.evaluate_agg: the model and the subject's state. */
typedef struct AggEvalState
{
    EvalModel  *model;
    EvalState  *st;
} AggEvalState;

/* Per-call cache of a model looked up by code (fn_extra). */
typedef struct ModelRef
{
    EvalModel  *model;
    uint64      epoch;
    char        code[FLEXIBLE_ARRAY_MEMBER];
} ModelRef;

/* The model named by a text argument, cached in fn_extra for the whole query. */
static EvalModel *
model_from_arg(FunctionCallInfo fcinfo, text *code)
{
    ModelRef   *ref = (ModelRef *) fcinfo->flinfo->fn_extra;
    int         len = VARSIZE_ANY_EXHDR(code);

    if (ref == NULL || ref->epoch != credit_model_epoch() || strlen(ref->code) != (size_t) len ||
        memcmp(ref->code, VARDATA_ANY(code), len) != 0)
    {
        char       *c = text_to_cstring(code);
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

PG_FUNCTION_INFO_V1(credit_evaluate_agg_trans);
/*
 * Transition function: fold one record (model, as_of, item_code, decided_on,
 * value, status) when it is active, dated on or before as_of and rated.
 */
Datum
credit_evaluate_agg_trans(PG_FUNCTION_ARGS)
{
    MemoryContext aggcxt;
    AggEvalState *s = PG_ARGISNULL(0) ? NULL : (AggEvalState *) PG_GETARG_POINTER(0);
    text       *item;
    text       *status;
    DateADT     decided_on;
    int         rule;

    if (!AggCheckCallContext(fcinfo, &aggcxt))
        elog(ERROR, "credit_evaluate_agg_trans called in non-aggregate context");

    if (s == NULL)
    {
        MemoryContext old;
        EvalModel  *m;

        if (PG_ARGISNULL(1) || PG_ARGISNULL(2))
            ereport(ERROR,
                    (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
                     errmsg("model and as_of of credit.evaluate_agg must not be null")));
        m = model_from_arg(fcinfo, PG_GETARG_TEXT_PP(1));
        old = MemoryContextSwitchTo(aggcxt);
        s = palloc(sizeof(AggEvalState));
        s->model = m;
        s->st = evalstate_create(m, PG_GETARG_DATEADT(2));
        MemoryContextSwitchTo(old);
    }

    if (PG_ARGISNULL(3) || PG_ARGISNULL(4) || PG_ARGISNULL(5) || PG_ARGISNULL(6))
        PG_RETURN_POINTER(s);
    decided_on = PG_GETARG_DATEADT(4);
    if (decided_on > s->st->anchor)
        PG_RETURN_POINTER(s);
    status = PG_GETARG_TEXT_PP(6);
    if (VARSIZE_ANY_EXHDR(status) != 6 || memcmp(VARDATA_ANY(status), "active", 6) != 0)
        PG_RETURN_POINTER(s);
    item = PG_GETARG_TEXT_PP(3);
    rule = evalmodel_rule_index(s->model, VARDATA_ANY(item), VARSIZE_ANY_EXHDR(item));
    if (rule >= 0)
        evalstate_add(s->st, s->model, rule, decided_on, PG_GETARG_FLOAT8(5), 1);
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
        MemoryContext old = MemoryContextSwitchTo(aggcxt);

        a = palloc(sizeof(AggEvalState));
        a->model = b->model;
        a->st = evalstate_copy(b->st);
        MemoryContextSwitchTo(old);
        PG_RETURN_POINTER(a);
    }
    if (a->model != b->model && a->model->fingerprint != b->model->fingerprint)
        ereport(ERROR,
                (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                 errmsg("cannot combine evaluation states of different models")));
    evalstate_merge(a->st, b->st, a->model, 1);
    PG_RETURN_POINTER(a);
}

PG_FUNCTION_INFO_V1(credit_evaluate_agg_serialize);
/* Serial function: the model code (NUL-terminated) followed by the state's binary form. */
Datum
credit_evaluate_agg_serialize(PG_FUNCTION_ARGS)
{
    AggEvalState *s = (AggEvalState *) PG_GETARG_POINTER(0);
    Size        codelen = strlen(s->model->code) + 1;
    Size        size = codelen + evalstate_serialized_size(s->st);
    bytea      *b;

    if (!AggCheckCallContext(fcinfo, NULL))
        elog(ERROR, "credit_evaluate_agg_serialize called in non-aggregate context");
    b = palloc(VARHDRSZ + size);
    SET_VARSIZE(b, VARHDRSZ + size);
    memcpy(VARDATA(b), s->model->code, codelen);
    evalstate_serialize_into(s->st, VARDATA(b) + codelen);
    PG_RETURN_BYTEA_P(b);
}

PG_FUNCTION_INFO_V1(credit_evaluate_agg_deserialize);
/* Deserial function: inverse of the serial function, in the aggregate context. */
Datum
credit_evaluate_agg_deserialize(PG_FUNCTION_ARGS)
{
    bytea      *b = PG_GETARG_BYTEA_PP(0);
    const char *data = VARDATA_ANY(b);
    Size        len = VARSIZE_ANY_EXHDR(b);
    Size        codelen = strnlen(data, len);
    MemoryContext aggcxt;
    MemoryContext old;
    EvalModel  *m;
    AggEvalState *s;

    if (!AggCheckCallContext(fcinfo, &aggcxt))
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

    old = MemoryContextSwitchTo(aggcxt);
    s = palloc(sizeof(AggEvalState));
    s->model = m;
    s->st = evalstate_deserialize_from(data + codelen + 1, len - codelen - 1, m);
    MemoryContextSwitchTo(old);
    if (s->st == NULL)
        ereport(ERROR,
                (errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
                 errmsg("rules of model \"%s\" changed during the evaluation", m->code)));
    PG_RETURN_POINTER(s);
}

PG_FUNCTION_INFO_V1(credit_evaluate_agg_final);
/* Final function: the state in its stored binary form (NULL when no row was seen). */
Datum
credit_evaluate_agg_final(PG_FUNCTION_ARGS)
{
    AggEvalState *s = PG_ARGISNULL(0) ? NULL : (AggEvalState *) PG_GETARG_POINTER(0);

    if (s == NULL)
        PG_RETURN_NULL();
    PG_RETURN_BYTEA_P(evalstate_serialize(s->st));
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

PG_FUNCTION_INFO_V1(credit_evalstate_result);
/*
 * evalstate_result(model, state, as_of) → (score, grade, dimensions): finalize
 * a state at as_of; a NULL state is a subject without records.
 */
Datum
credit_evalstate_result(PG_FUNCTION_ARGS)
{
    EvalModel  *m;
    DateADT     as_of;
    EvalState  *st;
    EvalResult  res;
    TupleDesc   desc;
    Datum       values[3];
    bool        nulls[3] = {false, false, false};

    if (PG_ARGISNULL(0) || PG_ARGISNULL(2))
        PG_RETURN_NULL();
    m = model_from_arg(fcinfo, PG_GETARG_TEXT_PP(0));
    as_of = PG_GETARG_DATEADT(2);
    st = state_from_arg(fcinfo, 1, m, as_of);
    evalstate_finalize(st, m, as_of, &res);

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
    EvalModel  *m;
    DateADT     as_of;
    EvalState  *st;
    EvalResult  res;

    if (PG_ARGISNULL(0) || PG_ARGISNULL(2))
        PG_RETURN_NULL();
    m = model_from_arg(fcinfo, PG_GETARG_TEXT_PP(0));
    as_of = PG_GETARG_DATEADT(2);
    st = state_from_arg(fcinfo, 1, m, as_of);
    evalstate_finalize(st, m, as_of, &res);
    PG_RETURN_FLOAT8(res.score);
}

PG_FUNCTION_INFO_V1(credit_evalstate_grade);
/* evalstate_grade(model, state, as_of) → text: the grade alone. */
Datum
credit_evalstate_grade(PG_FUNCTION_ARGS)
{
    EvalModel  *m;
    DateADT     as_of;
    EvalState  *st;
    EvalResult  res;

    if (PG_ARGISNULL(0) || PG_ARGISNULL(2))
        PG_RETURN_NULL();
    m = model_from_arg(fcinfo, PG_GETARG_TEXT_PP(0));
    as_of = PG_GETARG_DATEADT(2);
    st = state_from_arg(fcinfo, 1, m, as_of);
    evalstate_finalize(st, m, as_of, &res);
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
    int32       sign;

    if (PG_ARGISNULL(0) || PG_ARGISNULL(3))
        PG_RETURN_NULL();
    if (PG_ARGISNULL(1) && PG_ARGISNULL(2))
        PG_RETURN_NULL();
    sign = PG_GETARG_INT32(3);
    if (sign != 1 && sign != -1)
        ereport(ERROR,
                (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                 errmsg("sign must be 1 or -1, not %d", sign)));
    m = model_from_arg(fcinfo, PG_GETARG_TEXT_PP(0));
    b = PG_ARGISNULL(2) ? NULL : state_from_arg(fcinfo, 2, m, 0);
    a = state_from_arg(fcinfo, 1, m, b != NULL ? b->anchor : 0);
    if (b != NULL)
        evalstate_merge(a, b, m, sign);
    PG_RETURN_BYTEA_P(evalstate_serialize(a));
}

PG_FUNCTION_INFO_V1(credit_evalstate_reanchor);
/* evalstate_reanchor(model, state, date) → the state anchored at another date. */
Datum
credit_evalstate_reanchor(PG_FUNCTION_ARGS)
{
    EvalModel  *m = model_from_arg(fcinfo, PG_GETARG_TEXT_PP(0));
    EvalState  *st = state_from_arg(fcinfo, 1, m, 0);

    evalstate_reanchor(st, m, PG_GETARG_DATEADT(2));
    PG_RETURN_BYTEA_P(evalstate_serialize(st));
}

PG_FUNCTION_INFO_V1(credit_evalstate_anchor);
/* evalstate_anchor(state) → date the state is anchored at. */
Datum
credit_evalstate_anchor(PG_FUNCTION_ARGS)
{
    bytea      *b = PG_GETARG_BYTEA_PP(0);
    const unsigned char *p = (const unsigned char *) VARDATA_ANY(b);
    uint32      anchor;

    if (VARSIZE_ANY_EXHDR(b) < 14 || p[0] != EVALSTATE_VERSION)
        ereport(ERROR,
                (errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
                 errmsg("malformed evaluation state")));
    anchor = ((uint32) p[8] << 24) | ((uint32) p[9] << 16) | ((uint32) p[10] << 8) | p[11];
    PG_RETURN_DATEADT((DateADT) anchor);
}

PG_FUNCTION_INFO_V1(credit_evalstate_valid);
/* evalstate_valid(model, state) → whether the state matches the model's current rules. */
Datum
credit_evalstate_valid(PG_FUNCTION_ARGS)
{
    EvalModel  *m = model_from_arg(fcinfo, PG_GETARG_TEXT_PP(0));

    PG_RETURN_BOOL(evalstate_deserialize(PG_GETARG_BYTEA_PP(1), m) != NULL);
}

PG_FUNCTION_INFO_V1(credit_evalstate_empty);
/* evalstate_empty(model, anchor) → the state of a subject without counted records. */
Datum
credit_evalstate_empty(PG_FUNCTION_ARGS)
{
    EvalModel  *m = model_from_arg(fcinfo, PG_GETARG_TEXT_PP(0));

    PG_RETURN_BYTEA_P(evalstate_serialize(evalstate_create(m, PG_GETARG_DATEADT(1))));
}
