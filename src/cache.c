/*
 * cache.c
 *      One relcache invalidation callback for all of the extension's caches,
 *      and the registry of the relation OIDs they depend on (cache.h).
 *
 * A backend has a handful of relcache callback slots shared by every loaded
 * library, so the extension takes exactly one and dispatches: an
 * invalidation of a registered relation bumps the generation of every cache
 * built from it; a full reset (InvalidOid) bumps all.  OIDs are learnt
 * lazily and forgotten at every matching invalidation (a table may have
 * been dropped and created again, as DROP / CREATE EXTENSION do).
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/skey.h"
#include "access/table.h"
#include "catalog/indexing.h"
#include "catalog/namespace.h"
#include "catalog/pg_extension.h"
#include "commands/extension.h"
#include "utils/fmgroids.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"

#include "cache.h"

#define C_MODEL     (1 << CREDIT_CACHE_MODEL)
#define C_MEASURE   (1 << CREDIT_CACHE_MEASURE)
#define C_LIST      (1 << CREDIT_CACHE_LIST)
#define C_CATALOG   (1 << CREDIT_CACHE_CATALOG)

/* Each relation, and the caches built from it. */
static const struct
{
	const char *name;
	int			caches;
}			credit_rels[CREDIT_NRELS] =

{
	[CREDIT_REL_MODEL] = {"model", C_MODEL | C_MEASURE},
	[CREDIT_REL_MODEL_RULE] = {"model_rule", C_MODEL},
	[CREDIT_REL_MODEL_DIMENSION] = {"model_dimension", C_MODEL},
	[CREDIT_REL_MODEL_GRADE] = {"model_grade", C_MODEL | C_MEASURE},
	[CREDIT_REL_WARNING_RULE] = {"warning_rule", C_MODEL},
	[CREDIT_REL_MEASURE] = {"measure", C_MEASURE},
	[CREDIT_REL_SCENARIO] = {"scenario", C_MEASURE},
	[CREDIT_REL_LIST] = {"list", C_LIST | C_MEASURE},
	[CREDIT_REL_LIST_ENTRY] = {"list_entry", C_LIST},
	[CREDIT_REL_CATALOG_ITEM] = {"catalog_item", C_CATALOG},
	[CREDIT_REL_SUBJECT_GRADE] = {"subject_grade", 0},
	[CREDIT_REL_RECORD] = {"record", 0},
	[CREDIT_REL_LEDGER] = {"ledger", 0},
};

static Oid	rel_oid[CREDIT_NRELS];
static Oid	nsp_oid = InvalidOid;
static Oid	owner_oid = InvalidOid;
static bool oids_known = false;
static uint64 generation[CREDIT_NCACHES] = {1, 1, 1, 1};

/* Bump the generations of a set of caches. */
static void
bump(int caches)
{
	int			i;

	for (i = 0; i < CREDIT_NCACHES; i++)
		if (caches & (1 << i))
			generation[i]++;
}

/* The relcache callback: dispatch an invalidation to the caches it concerns. */
static void
credit_relcache_callback(Datum arg, Oid relid)
{
	int			i;

	if (!OidIsValid(relid))
	{
		bump(~0);
		oids_known = false;
		owner_oid = InvalidOid;
		return;
	}
	if (!oids_known)
	{
		/* the OIDs are being learnt again: any change may concern a cache */
		bump(~0);
		return;
	}
	for (i = 0; i < CREDIT_NRELS; i++)
		if (rel_oid[i] == relid)
		{
			bump(credit_rels[i].caches);
			oids_known = false;
			owner_oid = InvalidOid;
			return;
		}
}

/* Register the callback (from _PG_init). */
void
credit_cache_init(void)
{
	CacheRegisterRelcacheCallback(credit_relcache_callback, (Datum) 0);
}

/* Look up schema credit and its registered relations. */
static void
learn_oids(void)
{
	int			i;

	nsp_oid = get_namespace_oid("credit", false);
	for (i = 0; i < CREDIT_NRELS; i++)
		rel_oid[i] = get_relname_relid(credit_rels[i].name, nsp_oid);
	oids_known = true;
}

/* OID of schema credit. */
Oid
credit_namespace(void)
{
	if (!oids_known)
		learn_oids();
	return nsp_oid;
}

/* OID of a registered relation of schema credit. */
Oid
credit_relid(CreditRel rel)
{
	if (!oids_known)
		learn_oids();
	return rel_oid[rel];
}

/*
 * Owner of the extension (the role its owner-rights code acts as): looked up
 * in pg_extension once, and again after any invalidation of the extension's
 * relations (DROP and CREATE EXTENSION send those).
 */
Oid
credit_extension_owner(void)
{
	if (!oids_known)
		learn_oids();
	if (!OidIsValid(owner_oid))
	{
		Oid			ext = get_extension_oid("credit", false);
		Relation	rel = table_open(ExtensionRelationId, AccessShareLock);
		ScanKeyData key;
		SysScanDesc scan;
		HeapTuple	tup;

		ScanKeyInit(&key, Anum_pg_extension_oid, BTEqualStrategyNumber, F_OIDEQ,
					ObjectIdGetDatum(ext));
		scan = systable_beginscan(rel, ExtensionOidIndexId, true, NULL, 1, &key);
		tup = systable_getnext(scan);
		if (!HeapTupleIsValid(tup))
			elog(ERROR, "could not find extension %u", ext);
		owner_oid = ((Form_pg_extension) GETSTRUCT(tup))->extowner;
		systable_endscan(scan);
		table_close(rel, AccessShareLock);
	}
	return owner_oid;
}

/* Generation of a cache; its relations' OIDs are known afterwards. */
uint64
credit_cache_generation(CreditCache cache)
{
	if (!oids_known)
		learn_oids();
	return generation[cache];
}

/* Mark a cache stale. */
void
credit_cache_stale(CreditCache cache)
{
	generation[cache]++;
}
