/*
 * audit.h
 *      Logging look-ups of people in credit.query_log so that the caller's
 *      rollback cannot undo it (audit.c).
 */
#ifndef CREDIT_AUDIT_H
#define CREDIT_AUDIT_H

#include "postgres.h"

#include "lib/stringinfo.h"

/* Longest purpose and detail (JSON text) of a logged look-up, in bytes. */
#define AUDIT_PURPOSE_MAX   1000
#define AUDIT_DETAIL_MAX    2000

/*
 * Log a look-up (who: the session user, now): the row is committed by the
 * database's audit worker before this returns; returns the query_log id.
 * Errors (55000) unless credit is preloaded.
 */
extern int64 credit_audit_log(bool has_subject, int64 subject_id, const char *purpose,
							  const char *detail_json);

/* Refuse (22023) a look-up's purpose that is missing or blank. */
extern void credit_audit_require_purpose(const char *purpose);

/*
 * Append a person's ID number (the canonical 18 characters) masked as every
 * log detail shows it: 110105********002X.
 */
extern void credit_audit_append_masked_id(StringInfo buf, const char *canon);

/* Shared memory and the worker's entry point (called from _PG_init). */
extern void credit_audit_init(void);

#endif							/* CREDIT_AUDIT_H */
