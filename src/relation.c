/*
 * relation.c
 *      credit.related: the subjects linked to one subject by relations valid
 *      on a day, breadth first, in both directions.
 *
 * One saved query per level reads every relation of the whole frontier from
 * both indexes of credit.relation (from_subject, to_subject); a hash table of
 * the subjects already reached keeps each subject at its smallest depth, so a
 * cycle never loops and a subject reached by many paths costs one row.  A
 * recursive CTE cannot forget the paths it has already followed, and on a
 * dense graph it enumerates them all (bench/related.sh measures both).
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/hsearch.h"
#include "utils/memutils.h"

#include "credit.h"
#include "util.h"

/* Deepest walk credit.related accepts. */
#define RELATED_MAX_DEPTH 10

/* A subject reached by the walk. */
typedef struct RelNode
{
	int64		id;
	int32		depth;
	int32		parent;			/* index of the node it was reached from; -1
								 * for the start */
	char	   *kind;			/* relation of the step from the parent,
								 * "->kind" or "<-kind" */
} RelNode;

typedef struct RelSeen
{
	int64		id;				/* hash key */
	int32		node;
} RelSeen;

static CreditQuery q_subject = {
	"SELECT 1 FROM credit.subject s WHERE s.id OPERATOR(pg_catalog.=) $1", 1, {INT8OID}
};

/*
 * Every relation of the frontier valid on as_of, the subject it reaches
 * first: a subject reached from several frontier subjects keeps the step
 * from the smallest id (then forward before backward, then kind), so the
 * result never depends on the plan.
 */
static CreditQuery q_frontier = {
	"SELECT q.other, q.node, q.step FROM ("
	" SELECT r.to_subject AS other, r.from_subject AS node, "
	"        '->' OPERATOR(pg_catalog.||) r.kind AS step, 0 AS dir "
	"   FROM credit.relation r "
	"  WHERE r.from_subject OPERATOR(pg_catalog.=) ANY ($1) "
	"    AND credit.relation_valid(r.valid_from, r.valid_to, $2) "
	" UNION ALL "
	" SELECT r.from_subject, r.to_subject, '<-' OPERATOR(pg_catalog.||) r.kind, 1 "
	"   FROM credit.relation r "
	"  WHERE r.to_subject OPERATOR(pg_catalog.=) ANY ($1) "
	"    AND credit.relation_valid(r.valid_from, r.valid_to, $2)) q "
	"ORDER BY q.other, q.node, q.dir, q.step COLLATE pg_catalog.\"C\"",
	2, {INT8ARRAYOID, DATEOID}
};

PG_FUNCTION_INFO_V1(credit_related);
/*
 * credit.related(subject_id, max_depth, as_of): breadth-first walk over the
 * relations valid on as_of; rows (subject_id, depth, path, kinds).
 */
Datum
credit_related(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	int64		start = PG_GETARG_INT64(0);
	int32		max_depth = PG_GETARG_INT32(1);
	DateADT		as_of = PG_GETARG_DATEADT(2);
	MemoryContext callcxt = CurrentMemoryContext;
	MemoryContext levelcxt;
	Datum		args[2];
	CreditScope scope;
	HASHCTL		ctl;
	HTAB	   *seen;
	RelNode    *nodes;
	int			nnodes = 0;
	int			cap = 64;
	int			level_start;
	int			depth;
	int			ret;
	int			i;
	bool		found;
	RelSeen    *s;

	if (max_depth < 0 || max_depth > RELATED_MAX_DEPTH)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("max_depth must be between 0 and %d, not %d", RELATED_MAX_DEPTH, max_depth)));
	InitMaterializedSRF(fcinfo, MAT_SRF_USE_EXPECTED_DESC);

	/* with the caller's rights: row-level security applies to what it reads */
	credit_scope_enter(&scope, false);
	if ((ret = SPI_connect()) != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed: %s", SPI_result_code_string(ret));
	args[0] = Int64GetDatum(start);
	credit_query_exec(&q_subject, args, NULL, true, SPI_OK_SELECT, "reading the subject");
	if (SPI_processed == 0)
		credit_subject_missing(false, start);
	SPI_freetuptable(SPI_tuptable);

	/* the walk lives in the caller's context, beyond SPI_finish */
	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = sizeof(int64);
	ctl.entrysize = sizeof(RelSeen);
	ctl.hcxt = callcxt;
	seen = hash_create("credit.related subjects", 256, &ctl, HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	nodes = MemoryContextAlloc(callcxt, sizeof(RelNode) * cap);
	nodes[0].id = start;
	nodes[0].depth = 0;
	nodes[0].parent = -1;
	nodes[0].kind = NULL;
	nnodes = 1;
	s = hash_search(seen, &start, HASH_ENTER, &found);
	s->node = 0;

	levelcxt = AllocSetContextCreate(CurrentMemoryContext, "credit.related level", ALLOCSET_DEFAULT_SIZES);
	level_start = 0;
	for (depth = 1; depth <= max_depth && level_start < nnodes; depth++)
	{
		int			level_end = nnodes;
		Datum	   *ids;
		MemoryContext old;
		uint64		r;

		MemoryContextReset(levelcxt);
		old = MemoryContextSwitchTo(levelcxt);
		ids = palloc(sizeof(Datum) * (level_end - level_start));
		for (i = level_start; i < level_end; i++)
			ids[i - level_start] = Int64GetDatum(nodes[i].id);
		args[0] = PointerGetDatum(construct_array(ids, level_end - level_start, INT8OID,
												  sizeof(int64), FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
		args[1] = DateADTGetDatum(as_of);
		MemoryContextSwitchTo(old);

		credit_query_exec(&q_frontier, args, NULL, true, SPI_OK_SELECT, "reading relations");
		for (r = 0; r < SPI_processed; r++)
		{
			HeapTuple	tup = SPI_tuptable->vals[r];
			TupleDesc	desc = SPI_tuptable->tupdesc;
			bool		isnull;
			int64		other = DatumGetInt64(SPI_getbinval(tup, desc, 1, &isnull));
			int64		from = DatumGetInt64(SPI_getbinval(tup, desc, 2, &isnull));
			RelSeen    *p;

			s = hash_search(seen, &other, HASH_ENTER, &found);
			if (found)
				continue;
			if (nnodes == cap)
			{
				cap *= 2;
				nodes = repalloc(nodes, sizeof(RelNode) * cap);
			}
			p = hash_search(seen, &from, HASH_FIND, NULL);
			Assert(p != NULL);
			s->node = nnodes;
			nodes[nnodes].id = other;
			nodes[nnodes].depth = depth;
			nodes[nnodes].parent = p->node;
			nodes[nnodes].kind = MemoryContextStrdup(callcxt, SPI_getvalue(tup, desc, 3));
			nnodes++;
		}
		SPI_freetuptable(SPI_tuptable);
		level_start = level_end;
		CHECK_FOR_INTERRUPTS();
	}
	MemoryContextDelete(levelcxt);
	SPI_finish();
	credit_scope_exit(&scope);

	/* nodes are in (depth, subject id) order: each level was read sorted */
	for (i = 1; i < nnodes; i++)
	{
		int			len = nodes[i].depth;
		Datum	   *path = palloc(sizeof(Datum) * (len + 1));
		Datum	   *kinds = palloc(sizeof(Datum) * len);
		Datum		values[4];
		bool		nulls[4] = {false, false, false, false};
		int			k = i;
		int			pos = len;

		while (k >= 0)
		{
			path[pos] = Int64GetDatum(nodes[k].id);
			if (pos > 0)
				kinds[pos - 1] = CStringGetTextDatum(nodes[k].kind);
			k = nodes[k].parent;
			pos--;
		}
		values[0] = Int64GetDatum(nodes[i].id);
		values[1] = Int32GetDatum(nodes[i].depth);
		values[2] = PointerGetDatum(construct_array(path, len + 1, INT8OID, sizeof(int64),
													FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
		values[3] = PointerGetDatum(construct_array(kinds, len, TEXTOID, -1, false, TYPALIGN_INT));
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		pfree(path);
		pfree(kinds);
	}
	return (Datum) 0;
}
