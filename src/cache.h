/*
 * cache.h
 *      The extension's per-backend caches share one relcache invalidation
 *      callback and one registry of the relations they are built from.
 *
 * A cache compares the generation it was built at with
 * credit_cache_generation() and rebuilds when they differ (read the
 * generation before building: an invalidation arriving during the build
 * then makes the next use rebuild again).  The configuration tables send a
 * relcache invalidation of themselves at commit (statement trigger
 * credit.relcache_changed), so every backend sees every change.
 */
#ifndef CREDIT_CACHE_H
#define CREDIT_CACHE_H

#include "postgres.h"

/* Relations of schema credit the C code refers to. */
typedef enum CreditRel
{
	CREDIT_REL_MODEL,
	CREDIT_REL_MODEL_RULE,
	CREDIT_REL_MODEL_DIMENSION,
	CREDIT_REL_MODEL_GRADE,
	CREDIT_REL_WARNING_RULE,
	CREDIT_REL_MEASURE,
	CREDIT_REL_SCENARIO,
	CREDIT_REL_LIST,
	CREDIT_REL_LIST_ENTRY,
	CREDIT_REL_CATALOG_ITEM,
	CREDIT_REL_SUBJECT_GRADE,
	CREDIT_REL_RECORD,
	CREDIT_REL_LEDGER,
	CREDIT_NRELS
} CreditRel;

/* The caches. */
typedef enum CreditCache
{
	CREDIT_CACHE_MODEL,			/* models and the warning configuration
								 * (model.c) */
	CREDIT_CACHE_MEASURE,		/* measures and scenarios (measure.c) */
	CREDIT_CACHE_LIST,			/* the list-entry match index (match_index.c) */
	CREDIT_CACHE_CATALOG,		/* the collection catalogue (record.c) */
	CREDIT_NCACHES
} CreditCache;

/* Register the one relcache callback (from _PG_init). */
extern void credit_cache_init(void);

/* OID of schema credit (an error when the extension is not installed). */
extern Oid	credit_namespace(void);

/* OID of a relation of schema credit; InvalidOid when it does not exist. */
extern Oid	credit_relid(CreditRel rel);

/* Owner of the credit extension (the role its owner-rights code acts as). */
extern Oid	credit_extension_owner(void);

/* Current generation of a cache: it changes whenever the cache may be stale. */
extern uint64 credit_cache_generation(CreditCache cache);

/* Mark a cache stale (e.g. at the end of a transaction whose snapshot built it). */
extern void credit_cache_stale(CreditCache cache);

#endif							/* CREDIT_CACHE_H */
