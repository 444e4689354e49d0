/*
 * credit.c
 *      Module entry point: GUCs shared by several concerns and _PG_init.
 */
#include "postgres.h"

#include "fmgr.h"
#include "miscadmin.h"
#include "utils/guc.h"

#include "credit.h"

PG_MODULE_MAGIC;

char       *credit_pseudonym_key = NULL;
bool        credit_restoring = false;
bool        credit_preloaded = false;

void        _PG_init(void);

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
    credit_model_init();
    credit_match_init();
    credit_trigger_init();
    credit_measure_init();
    credit_report_init();
    credit_ledger_init();
    MarkGUCPrefixReserved("credit");
}
