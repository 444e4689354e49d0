/*
 * credit.h
 *      Declarations shared across the credit extension's C files.
 */
#ifndef CREDIT_H
#define CREDIT_H

#include "postgres.h"
#include "access/tupdesc.h"
#include "fmgr.h"
#include "utils/guc.h"
#include "utils/tuplestore.h"

/* GUC variables (credit.c) */
extern char *credit_pseudonym_key;
extern bool credit_restoring;	/* credit.restoring: loading a dump */
extern bool credit_preloaded;	/* loaded by shared_preload_libraries */
extern bool credit_auto_evaluation; /* credit.auto_evaluation (fold_trigger.c) */

/* Hooks of credit.pseudonym_key (pseudonym.c) */
extern bool credit_pseudonym_key_check(char **newval, void **extra, GucSource source);
extern void credit_pseudonym_key_assign(const char *newval, void *extra);

/* May the current user read whole ID numbers? (access.c) */
extern bool credit_may_read_person_id(void);

/* Identifier types (uscc.c, resident_id.c) */
extern bool credit_uscc_lenient;
extern void credit_ident_init(void);

/* per-concern initialisation called from _PG_init */
extern void credit_cache_init(void);	/* cache.c */
extern void credit_model_init(void);	/* model.c */
extern void credit_match_init(void);	/* match_index.c */
extern void credit_fold_init(void); /* fold_trigger.c */
extern void credit_report_init(void);	/* report.c */
extern void credit_ledger_init(void);	/* ledger.c */
extern void credit_intake_init(void);	/* intake.c */

/*
 * The subjects of the active records of list items among the rows of a
 * transition table of credit.record (measure.c), to be flagged: their
 * listings are read by credit.check and credit.measures_for.
 */
extern int64 *credit_listed_record_subjects(TupleDesc desc, Tuplestorestate *ts, int *nout);


#endif							/* CREDIT_H */
