/*
 * credit.c
 *      Module entry point: GUCs shared by several concerns and _PG_init.
 */
#include "postgres.h"

#include "commands/trigger.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/guc.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"

#include "credit.h"
#include "audit.h"

PG_MODULE_MAGIC;

char	   *credit_pseudonym_key = NULL;
bool		credit_restoring = false;
bool		credit_preloaded = false;

void		_PG_init(void);

/* Define GUCs and let each concern register its callbacks. */
void
_PG_init(void)
{
	/*
	 * Only a library loaded with the postmaster defines credit.pseudonym_key
	 * in every backend before any query runs; otherwise a value from the
	 * server configuration sits in each new backend as a placeholder that
	 * every role can read until credit is loaded, and the key is refused.
	 */
	credit_preloaded = process_shared_preload_libraries_in_progress;

	DefineCustomStringVariable("credit.pseudonym_key",
							   "Secret key of credit.pseudonym (HMAC-SHA256).",
							   "Readable and settable by superusers only.",
							   &credit_pseudonym_key,
							   NULL,
							   PGC_SUSET,
							   GUC_SUPERUSER_ONLY | GUC_NO_SHOW_ALL | GUC_NOT_IN_SAMPLE,
							   credit_pseudonym_key_check, credit_pseudonym_key_assign, NULL);

	DefineCustomBoolVariable("credit.restoring",
							 "The session loads a dump of a credit database (pg_restore, psql).",
							 "On: the triggers of the credit tables keep the loaded rows as they are (no "
							 "incremental evaluation, no list-entry resolution, no derived columns "
							 "recomputed), since the dump holds their results too.",
							 &credit_restoring,
							 false,
							 PGC_SUSET,
							 0,
							 NULL, NULL, NULL);

	credit_ident_init();
	credit_cache_init();
	credit_model_init();
	credit_match_init();
	credit_fold_init();
	credit_report_init();
	credit_ledger_init();
	credit_audit_init();
	credit_intake_init();
	MarkGUCPrefixReserved("credit");
}

PG_FUNCTION_INFO_V1(credit_relcache_changed);
/*
 * Statement trigger of the tables behind a per-backend cache (models,
 * warning rules, measures, lists, the catalogue): a relcache invalidation of
 * the changed table, sent at commit to every backend, whose callback marks
 * the caches built from it stale (cache.c).  Behind credit.config_changed.
 */
Datum
credit_relcache_changed(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;

	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("credit.%s() must be called as a trigger", get_func_name(fcinfo->flinfo->fn_oid))));
	CacheInvalidateRelcache(trigdata->tg_relation);
	return PointerGetDatum(NULL);
}
