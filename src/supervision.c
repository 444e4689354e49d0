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
#include "util.h"

/* One subject of the population with its draw key. */
typedef struct DrawCandidate
{
	int64		subject_id;
	double		key;
	char		tier[8];
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
	double		u;

	pg_prng_seed(&state, mix64((uint64) seed ^ mix64((uint64) subject_id)));
	u = 1.0 - pg_prng_double(&state);	/* in (0, 1] */
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
static CreditQuery q_industry = {
	"SELECT 1 FROM credit.industry i WHERE i.code OPERATOR(pg_catalog.=) $1", 1, {TEXTOID}
};

/* The population: active subjects of the industry with a tier, and its ratio. */
static CreditQuery q_population = {
	"SELECT s.id, t.tier, t.inspection_ratio::pg_catalog.float8 "
	"FROM credit.subject s JOIN credit.tier t ON t.tier OPERATOR(pg_catalog.=) credit.tier_of(s.id, $1) "
	"WHERE s.industries OPERATOR(pg_catalog.@>) ARRAY[$1] AND s.status OPERATOR(pg_catalog.=) 'active'",
	1, {TEXTOID}
};

PG_FUNCTION_INFO_V1(credit_draw_inspection);
Datum
credit_draw_inspection(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	text	   *industry = PG_GETARG_TEXT_PP(0);
	int32		n = PG_GETARG_INT32(1);
	int64		seed = PG_GETARG_INT64(2);
	CreditScope scope;
	Datum		args[1];
	DrawCandidate *cand = NULL;
	uint64		count = 0;
	uint64		i;

	if (n < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("cannot draw %d subjects", n),
				 errhint("n must be zero or more.")));

	InitMaterializedSRF(fcinfo, 0);
	args[0] = PointerGetDatum(industry);

	/* with the caller's rights: row-level security applies to the population */
	credit_scope_enter(&scope, false);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	credit_query_exec(&q_industry, args, NULL, true, SPI_OK_SELECT, "reading the industries");
	if (SPI_processed == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("industry \"%s\" does not exist",
						credit_clip(VARDATA_ANY(industry), VARSIZE_ANY_EXHDR(industry))),
				 errhint("Industries are rows of credit.industry.")));

	credit_query_exec(&q_population, args, NULL, true, SPI_OK_SELECT, "reading the population");

	count = SPI_processed;
	if (count > 0)
		cand = (DrawCandidate *) SPI_palloc(sizeof(DrawCandidate) * count);
	for (i = 0; i < count; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	td = SPI_tuptable->tupdesc;
		bool		isnull;
		char	   *tier;

		CHECK_FOR_INTERRUPTS();
		cand[i].subject_id = DatumGetInt64(SPI_getbinval(tup, td, 1, &isnull));
		tier = TextDatumGetCString(SPI_getbinval(tup, td, 2, &isnull));
		strlcpy(cand[i].tier, tier, sizeof(cand[i].tier));
		cand[i].key = draw_key(seed, cand[i].subject_id,
							   DatumGetFloat8(SPI_getbinval(tup, td, 3, &isnull)));
	}
	SPI_finish();
	credit_scope_exit(&scope);

	if (count > 0)
		qsort(cand, count, sizeof(DrawCandidate), candidate_cmp);
	for (i = 0; i < count && i < (uint64) n; i++)
	{
		Datum		values[2];
		bool		nulls[2] = {false, false};

		values[0] = Int64GetDatum(cand[i].subject_id);
		values[1] = CStringGetTextDatum(cand[i].tier);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}
