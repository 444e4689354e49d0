/*
 * model.c
 *      Per-backend cache of evaluation models (credit.model, model_rule,
 *      model_dimension, model_grade).
 *
 * Each model lives in its own memory context under the cache context.  A
 * relcache invalidation of any model table (sent by the statement trigger
 * credit.config_changed, so every backend receives it at commit) bumps the
 * model cache's generation (cache.c); the next lookup reloads.  A replaced
 * model is retired, not freed, until the end of the transaction, so
 * pointers handed out stay valid for the whole transaction.  The list of
 * all models and the warning rules (the configuration of folding) are
 * cached the same way.
 *
 * Models are platform configuration read by everyone's evaluation: they are
 * loaded with the extension owner's rights, by static queries.
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "common/hashfn.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"

#include "cache.h"
#include "credit.h"
#include "evalstate.h"
#include "util.h"

typedef struct ModelEntry
{
	char		code[NAMEDATALEN + 8];
	EvalModel  *model;
} ModelEntry;

static MemoryContext model_cache_cxt = NULL;
static HTAB *model_hash = NULL;
static List *retired = NIL;		/* models and lists replaced in this
								 * transaction */
static uint64 model_epoch = 1;	/* bumped at invalidations and transaction
								 * ends */
static uint64 epoch_generation = 0; /* cache generation model_epoch was last
									 * bumped for */
static CreditModels *all_models = NULL;

/* Free the models retired during the transaction that just ended. */
static void
model_xact_callback(XactEvent event, void *arg)
{
	ListCell   *lc;

	if (event != XACT_EVENT_COMMIT && event != XACT_EVENT_ABORT &&
		event != XACT_EVENT_PARALLEL_COMMIT && event != XACT_EVENT_PARALLEL_ABORT)
		return;
	model_epoch++;
	if (retired == NIL)
		return;
	foreach(lc, retired)
		MemoryContextDelete((MemoryContext) lfirst(lc));
	list_free(retired);
	retired = NIL;
}

/* Register the transaction callback (from _PG_init). */
void
credit_model_init(void)
{
	RegisterXactCallback(model_xact_callback, NULL);
}

/* Keep a replaced model's (or list's) memory until the end of the transaction. */
static void
model_retire(MemoryContext cxt)
{
	MemoryContext old = MemoryContextSwitchTo(TopMemoryContext);

	retired = lappend(retired, cxt);
	MemoryContextSwitchTo(old);
}

/* Create the cache's memory context and hash table on first use. */
static void
model_cache_init(void)
{
	HASHCTL		ctl;

	if (model_cache_cxt != NULL)
		return;
	model_cache_cxt = AllocSetContextCreate(CacheMemoryContext, "credit model cache",
											ALLOCSET_DEFAULT_SIZES);
	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = NAMEDATALEN + 8;
	ctl.entrysize = sizeof(ModelEntry);
	ctl.hcxt = model_cache_cxt;
	model_hash = hash_create("credit models", 16, &ctl, HASH_ELEM | HASH_STRINGS | HASH_CONTEXT);
}

/* The model cache's generation, bumping the epoch when it moved. */
static uint64
model_generation(void)
{
	uint64		gen = credit_cache_generation(CREDIT_CACHE_MODEL);

	if (gen != epoch_generation)
	{
		model_epoch++;
		epoch_generation = gen;
	}
	return gen;
}

/* Value of a nullable float8 column of the current SPI row. */
static bool
spi_float8(HeapTuple tup, TupleDesc desc, int col, double *out)
{
	bool		isnull;
	Datum		d = SPI_getbinval(tup, desc, col, &isnull);

	if (!isnull)
		*out = DatumGetFloat8(d);
	return !isnull;
}

/* Text column of the current SPI row, copied into the current context. */
static char *
spi_text(HeapTuple tup, TupleDesc desc, int col)
{
	bool		isnull;
	Datum		d = SPI_getbinval(tup, desc, col, &isnull);

	return isnull ? NULL : TextDatumGetCString(d);
}

/* Index of a dimension by name, adding it (weight 1, no clamp) when new. */
static int
model_dimension_index(EvalModel *m, int *capacity, const char *name)
{
	int			i;

	for (i = 0; i < m->ndims; i++)
		if (strcmp(m->dims[i].name, name) == 0)
			return i;
	if (m->ndims == *capacity)
	{
		*capacity *= 2;
		m->dims = repalloc(m->dims, sizeof(EvalDimension) * *capacity);
	}
	memset(&m->dims[m->ndims], 0, sizeof(EvalDimension));
	m->dims[m->ndims].name = pstrdup(name);
	m->dims[m->ndims].weight = 1.0;
	return m->ndims++;
}

/*
 * Slot hash of an item code for the model's lookup table: its first and last
 * eight bytes (codes share prefixes: penalty_minor, penalty_general) and its
 * length, multiplied and folded.  It runs once per record folded, so it is
 * cheaper than hash_bytes; collisions only cost a probe (codes are compared).
 */
static inline uint32
item_slot_hash(const char *item, int len)
{
	uint64		a = 0;
	uint64		b = 0;
	uint64		h;

	if (len >= 8)
	{
		memcpy(&a, item, 8);
		memcpy(&b, item + len - 8, 8);
	}
	else
		memcpy(&a, item, len);
	h = a * UINT64CONST(0x9E3779B97F4A7C15) ^ (b + (uint64) len) * UINT64CONST(0xC2B2AE3D27D4EB4F);
	h ^= h >> 29;
	h *= UINT64CONST(0xBF58476D1CE4E5B9);
	h ^= h >> 32;
	return (uint32) h;
}

/* Build the item-code hash table and the fingerprint of the rule set. */
static void
model_index_rules(EvalModel *m)
{
	int			size = 8;
	int			i;
	uint32		fp = hash_bytes_uint32((uint32) m->nrules);

	while (size < m->nrules * 4)	/* short probe sequences */
		size *= 2;
	m->hash_mask = size - 1;
	m->hash_slots = palloc(sizeof(int16) * size);
	for (i = 0; i < size; i++)
		m->hash_slots[i] = -1;
	for (i = 0; i < m->nrules; i++)
	{
		EvalRule   *r = &m->rules[i];
		uint32		h = hash_bytes((const unsigned char *) r->item_code, r->item_len);
		int			slot = item_slot_hash(r->item_code, r->item_len) & m->hash_mask;
		uint64		hl_bits;

		while (m->hash_slots[slot] >= 0)
			slot = (slot + 1) & m->hash_mask;
		m->hash_slots[slot] = (int16) i;

		memcpy(&hl_bits, &r->half_life, sizeof(hl_bits));
		fp = hash_combine(fp, h);
		fp = hash_combine(fp, r->decays ? hash_bytes((const unsigned char *) &hl_bits, sizeof(hl_bits)) : 0);
		fp = hash_combine(fp, r->per_value ? 1 : 2);
	}
	m->fingerprint = fp;
}

/* The queries that read a model (its code is $1). */
static CreditQuery q_model = {
	"SELECT m.scope, m.base::pg_catalog.float8, m.lo::pg_catalog.float8, m.hi::pg_catalog.float8 "
	"FROM credit.model m WHERE m.code OPERATOR(pg_catalog.=) $1",
	1, {TEXTOID}
};
static CreditQuery q_grades = {
	"SELECT g.grade, g.min_score::pg_catalog.float8, g.rank FROM credit.model_grade g "
	"WHERE g.model OPERATOR(pg_catalog.=) $1 ORDER BY g.rank",
	1, {TEXTOID}
};
static CreditQuery q_dims = {
	"SELECT d.dimension, d.weight::pg_catalog.float8, d.lo::pg_catalog.float8, d.hi::pg_catalog.float8 "
	"FROM credit.model_dimension d WHERE d.model OPERATOR(pg_catalog.=) $1 "
	"ORDER BY d.dimension COLLATE \"C\"",
	1, {TEXTOID}
};
static CreditQuery q_rules = {
	"SELECT r.item_code, r.dimension, r.points::pg_catalog.float8, r.per_value, "
	"r.half_life_days::pg_catalog.float8, r.cap::pg_catalog.float8, r.veto_grade "
	"FROM credit.model_rule r WHERE r.model OPERATOR(pg_catalog.=) $1 "
	"ORDER BY r.item_code COLLATE \"C\"",
	1, {TEXTOID}
};

/* Read one model from the tables through SPI; NULL when there is no such model. */
static EvalModel *
model_load(const char *code)
{
	MemoryContext cxt;
	MemoryContext old;
	EvalModel  *m;
	Datum		args[1];
	uint64		i;
	int			dimcap = 8;
	uint64		gen = model_generation();
	CreditScope scope;

	args[0] = CStringGetTextDatum(code);
	credit_scope_enter_reference(&scope);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");

	credit_query_exec(&q_model, args, NULL, true, SPI_OK_SELECT, "reading credit.model");
	if (SPI_processed == 0)
	{
		SPI_finish();
		credit_scope_exit(&scope);
		return NULL;
	}

	/* under the transaction until complete, so an error frees it */
	cxt = AllocSetContextCreate(CurTransactionContext, "credit model", ALLOCSET_SMALL_SIZES);
	MemoryContextCopyAndSetIdentifier(cxt, code);
	old = MemoryContextSwitchTo(cxt);
	m = palloc0(sizeof(EvalModel));
	m->cxt = cxt;
	m->generation = gen;
	m->code = pstrdup(code);
	{
		HeapTuple	tup = SPI_tuptable->vals[0];
		TupleDesc	desc = SPI_tuptable->tupdesc;

		m->scope = spi_text(tup, desc, 1);
		spi_float8(tup, desc, 2, &m->base);
		m->has_lo = spi_float8(tup, desc, 3, &m->lo);
		m->has_hi = spi_float8(tup, desc, 4, &m->hi);
	}
	MemoryContextSwitchTo(old);

	/* grades, best first */
	credit_query_exec(&q_grades, args, NULL, true, SPI_OK_SELECT, "reading credit.model_grade");
	old = MemoryContextSwitchTo(cxt);
	m->ngrades = (int) SPI_processed;
	m->grades = palloc0(sizeof(EvalGrade) * Max(m->ngrades, 1));
	for (i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		bool		isnull;

		m->grades[i].grade = spi_text(tup, desc, 1);
		spi_float8(tup, desc, 2, &m->grades[i].min_score);
		m->grades[i].rank = DatumGetInt32(SPI_getbinval(tup, desc, 3, &isnull));
	}
	MemoryContextSwitchTo(old);

	/* declared dimensions */
	credit_query_exec(&q_dims, args, NULL, true, SPI_OK_SELECT, "reading credit.model_dimension");
	old = MemoryContextSwitchTo(cxt);
	m->dims = palloc0(sizeof(EvalDimension) * dimcap);
	for (i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		char	   *name = spi_text(tup, desc, 1);
		int			d = model_dimension_index(m, &dimcap, name);

		if (!spi_float8(tup, desc, 2, &m->dims[d].weight))
			m->dims[d].weight = 1.0;
		m->dims[d].has_lo = spi_float8(tup, desc, 3, &m->dims[d].lo);
		m->dims[d].has_hi = spi_float8(tup, desc, 4, &m->dims[d].hi);
	}
	MemoryContextSwitchTo(old);

	/* rules, by item code */
	credit_query_exec(&q_rules, args, NULL, true, SPI_OK_SELECT, "reading credit.model_rule");
	if (SPI_processed > PG_INT16_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("model \"%s\" has too many rules", code)));
	old = MemoryContextSwitchTo(cxt);
	m->nrules = (int) SPI_processed;
	m->rules = palloc0(sizeof(EvalRule) * Max(m->nrules, 1));
	for (i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		EvalRule   *r = &m->rules[i];
		bool		isnull;
		char	   *veto;

		r->item_code = spi_text(tup, desc, 1);
		r->item_len = strlen(r->item_code);
		r->dim = model_dimension_index(m, &dimcap, spi_text(tup, desc, 2));
		spi_float8(tup, desc, 3, &r->points);
		r->per_value = DatumGetBool(SPI_getbinval(tup, desc, 4, &isnull));
		r->decays = spi_float8(tup, desc, 5, &r->half_life);
		r->inv_half_life = r->decays ? 1.0 / r->half_life : 0.0;
		r->has_cap = spi_float8(tup, desc, 6, &r->cap);
		r->veto_grade = -1;
		veto = spi_text(tup, desc, 7);
		if (veto != NULL)
		{
			int			g;

			for (g = 0; g < m->ngrades; g++)
				if (strcmp(m->grades[g].grade, veto) == 0)
					r->veto_grade = g;
		}
	}
	model_index_rules(m);
	MemoryContextSwitchTo(old);

	SPI_finish();
	credit_scope_exit(&scope);
	MemoryContextSetParent(cxt, model_cache_cxt);
	return m;
}

/*
 * The model with this code, loaded or reloaded when the model tables changed.
 * Errors (or returns NULL when missing_ok) when there is no such model.
 */
EvalModel *
credit_model_get(const char *code, bool missing_ok)
{
	ModelEntry *e;
	bool		found;
	EvalModel  *m;

	if (strlen(code) >= NAMEDATALEN + 8)
	{
		if (missing_ok)
			return NULL;
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("evaluation model \"%s\" does not exist", credit_clip(code, strlen(code))),
				 errhint("Models are rows of credit.model.")));
	}
	model_cache_init();
	/* see committed model changes even when the tables are already locked */
	AcceptInvalidationMessages();

	e = hash_search(model_hash, code, HASH_FIND, &found);
	if (found && e->model != NULL && e->model->generation == model_generation())
		return e->model;

	m = model_load(code);
	/* the load may have processed invalidations: look the entry up again */
	e = hash_search(model_hash, code, HASH_ENTER, &found);
	if (found && e->model != NULL)
		model_retire(e->model->cxt);
	e->model = m;
	if (m == NULL)
	{
		hash_search(model_hash, code, HASH_REMOVE, NULL);
		if (!missing_ok)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("evaluation model \"%s\" does not exist", credit_clip(code, strlen(code))),
					 errhint("Models are rows of credit.model.")));
	}
	return m;
}

/*
 * A counter that changes whenever a model pointer obtained earlier may have
 * become stale (invalidation or end of transaction): callers that keep a
 * pointer across calls compare it.
 */
uint64
credit_model_epoch(void)
{
	(void) model_generation();
	return model_epoch;
}

/* Every model's code (sorted bytewise) and the warning rules. */
static CreditQuery q_all = {
	"SELECT x.part, x.code, x.enabled, x.threshold, x.window_days FROM ("
	"  SELECT 1 AS part, m.code, NULL::pg_catalog.bool AS enabled, NULL::pg_catalog.int4 AS threshold, "
	"         NULL::pg_catalog.int4 AS window_days "
	"    FROM credit.model m "
	"  UNION ALL "
	"  SELECT 2, w.kind, w.enabled, w.threshold, w.window_days FROM credit.warning_rule w) x "
	"ORDER BY x.part, x.code COLLATE pg_catalog.\"C\"",
	0, {0}
};

/* Load the list of models and the warning rules. */
static CreditModels *
models_load(void)
{
	uint64		gen = model_generation();
	MemoryContext cxt;
	MemoryContext old;
	CreditModels *all;
	CreditScope scope;
	uint64		i;
	char	  **codes;
	int			ncodes = 0;

	cxt = AllocSetContextCreate(CurTransactionContext, "credit model list", ALLOCSET_SMALL_SIZES);
	credit_scope_enter_reference(&scope);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	credit_query_exec(&q_all, NULL, NULL, true, SPI_OK_SELECT, "reading the models and warning rules");
	old = MemoryContextSwitchTo(cxt);
	all = palloc0(sizeof(CreditModels));
	all->cxt = cxt;
	all->generation = gen;
	codes = palloc(sizeof(char *) * Max(SPI_processed, 1));
	all->warn = palloc0(sizeof(CreditWarningRule) * Max(SPI_processed, 1));
	for (i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		bool		isnull;
		int			part = DatumGetInt32(SPI_getbinval(tup, desc, 1, &isnull));

		if (part == 1)
			codes[ncodes++] = spi_text(tup, desc, 2);
		else
		{
			CreditWarningRule *w = &all->warn[all->nwarn++];
			Datum		d;

			w->kind = spi_text(tup, desc, 2);
			w->enabled = DatumGetBool(SPI_getbinval(tup, desc, 3, &isnull)) && !isnull;
			d = SPI_getbinval(tup, desc, 4, &isnull);
			w->has_threshold = !isnull;
			w->threshold = isnull ? 0 : DatumGetInt32(d);
			d = SPI_getbinval(tup, desc, 5, &isnull);
			w->has_window = !isnull;
			w->window_days = isnull ? 0 : DatumGetInt32(d);
		}
	}
	MemoryContextSwitchTo(old);
	SPI_finish();
	credit_scope_exit(&scope);

	/* the models themselves (each cached on its own) */
	old = MemoryContextSwitchTo(cxt);
	all->models = palloc(sizeof(EvalModel *) * Max(ncodes, 1));
	MemoryContextSwitchTo(old);
	for (i = 0; i < (uint64) ncodes; i++)
	{
		EvalModel  *m = credit_model_get(codes[i], true);

		if (m != NULL)
			all->models[all->nmodels++] = m;
	}
	MemoryContextSetParent(cxt, model_cache_cxt);
	return all;
}

/*
 * Every model (sorted by code, bytewise) and the warning rules: the
 * configuration a fold needs, valid until the end of the transaction.
 */
const CreditModels *
credit_models_all(void)
{
	model_cache_init();
	AcceptInvalidationMessages();
	if (all_models != NULL && all_models->generation == model_generation())
		return all_models;
	if (all_models != NULL)
		model_retire(all_models->cxt);
	all_models = NULL;
	all_models = models_load();
	return all_models;
}

/* Rule index of an item code in a model, -1 when the model does not rate it. */
int
evalmodel_rule_index(const EvalModel *model, const char *item, int len)
{
	int			slot = item_slot_hash(item, len) & model->hash_mask;

	for (;;)
	{
		int			r = model->hash_slots[slot];

		if (r < 0)
			return -1;
		if (model->rules[r].item_len == len && memcmp(model->rules[r].item_code, item, len) == 0)
			return r;
		slot = (slot + 1) & model->hash_mask;
	}
}
