/*
 * supervision.c
 *      credit.draw_inspection: double-random inspection draws (双随机抽查)
 *      whose chances follow the supervision tiers' inspection ratios.
 *
 * Weighted sampling without replacement by Efraimidis-Spirakis keys: each
 * subject i of weight w_i (its tier's inspection ratio) gets the key
 * log(u_i) / w_i with u_i uniform in (0, 1]; the n largest keys are drawn.
 * u_i comes from a pg_prng generator seeded by (seed, subject id), so a draw
 * depends only on the seed and the data (not on scan order), and the
 * session's random() state is never touched.
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "common/pg_prng.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/tuplestore.h"

#include "credit.h"

/* One subject of the population with its draw key. */
typedef struct DrawCandidate
{
    int64       subject_id;
    double      key;
    char        tier[8];
} DrawCandidate;

/* MurmurHash3's 64-bit finalizer: a bijective mix of all bits. */
static inline uint64
mix64(uint64 x)
{
    x ^= x >> 33;
    x *= UINT64CONST(0xff51afd7ed558ccd);
    x ^= x >> 33;
    x *= UINT64CONST(0xc4ceb9fe1a85ec53);
    x ^= x >> 33;
    return x;
}

/* Efraimidis-Spirakis key log(u) / weight of one subject under one seed. */
static double
draw_key(int64 seed, int64 subject_id, double weight)
{
    pg_prng_state state;
    double      u;

    pg_prng_seed(&state, mix64((uint64) seed ^ mix64((uint64) subject_id)));
    u = 1.0 - pg_prng_double(&state);   /* in (0, 1] */
    return log(u) / weight;
}

/* Larger key first; equal keys by subject id, so the order is total. */
static int
candidate_cmp(const void *a, const void *b)
{
    const DrawCandidate *x = (const DrawCandidate *) a;
    const DrawCandidate *y = (const DrawCandidate *) b;

    if (x->key != y->key)
        return x->key > y->key ? -1 : 1;
    if (x->subject_id != y->subject_id)
        return x->subject_id < y->subject_id ? -1 : 1;
    return 0;
}

/*
 * credit.draw_inspection(industry text, n int, seed bigint) → TABLE(subject_id, tier):
 * n active subjects of the industry, drawn with chances that follow their tiers.
 */
PG_FUNCTION_INFO_V1(credit_draw_inspection);
Datum
credit_draw_inspection(PG_FUNCTION_ARGS)
{
    ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
    text       *industry = PG_GETARG_TEXT_PP(0);
    int32       n = PG_GETARG_INT32(1);
    int64       seed = PG_GETARG_INT64(2);
    const char *nsp;
    StringInfoData q;
    Oid         argtypes[1] = {TEXTOID};
    Datum       args[1];
    DrawCandidate *cand = NULL;
    uint64      count = 0;
    uint64      i;
    int         ret;

    if (n < 0)
        ereport(ERROR,
                (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                 errmsg("cannot draw %d subjects", n),
                 errhint("n must be zero or more.")));

    InitMaterializedSRF(fcinfo, 0);
    nsp = quote_identifier(get_namespace_name(get_func_namespace(fcinfo->flinfo->fn_oid)));
    args[0] = PointerGetDatum(industry);

    if (SPI_connect() != SPI_OK_CONNECT)
        elog(ERROR, "SPI_connect failed");

    initStringInfo(&q);
    appendStringInfo(&q, "SELECT 1 FROM %s.industry WHERE code = $1", nsp);
    ret = SPI_execute_with_args(q.data, 1, argtypes, args, NULL, true, 1);
    if (ret != SPI_OK_SELECT)
        elog(ERROR, "reading the industries failed: %s", SPI_result_code_string(ret));
    if (SPI_processed == 0)
        ereport(ERROR,
                (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                 errmsg("industry \"%s\" does not exist", text_to_cstring(industry)),
                 errhint("Industries are rows of credit.industry.")));

    /* the population: active subjects of the industry with a tier, and its ratio */
    resetStringInfo(&q);
    appendStringInfo(&q,
                     "SELECT s.id, t.tier, t.inspection_ratio::float8 "
                     "FROM %s.subject s JOIN %s.tier t ON t.tier = %s.tier_of(s.id, $1) "
                     "WHERE s.industries @> ARRAY[$1] AND s.status = 'active'",
                     nsp, nsp, nsp);
    ret = SPI_execute_with_args(q.data, 1, argtypes, args, NULL, true, 0);
    if (ret != SPI_OK_SELECT)
        elog(ERROR, "reading the population failed: %s", SPI_result_code_string(ret));

    count = SPI_processed;
    if (count > 0)
        cand = (DrawCandidate *) SPI_palloc(sizeof(DrawCandidate) * count);
    for (i = 0; i < count; i++)
    {
        HeapTuple   tup = SPI_tuptable->vals[i];
        TupleDesc   td = SPI_tuptable->tupdesc;
        bool        isnull;
        char       *tier;

        CHECK_FOR_INTERRUPTS();
        cand[i].subject_id = DatumGetInt64(SPI_getbinval(tup, td, 1, &isnull));
        tier = TextDatumGetCString(SPI_getbinval(tup, td, 2, &isnull));
        strlcpy(cand[i].tier, tier, sizeof(cand[i].tier));
        cand[i].key = draw_key(seed, cand[i].subject_id,
                               DatumGetFloat8(SPI_getbinval(tup, td, 3, &isnull)));
    }
    SPI_finish();

    if (count > 0)
        qsort(cand, count, sizeof(DrawCandidate), candidate_cmp);
    for (i = 0; i < count && i < (uint64) n; i++)
    {
        Datum       values[2];
        bool        nulls[2] = {false, false};

        values[0] = Int64GetDatum(cand[i].subject_id);
        values[1] = CStringGetTextDatum(cand[i].tier);
        tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
    }
    return (Datum) 0;
}
