/*
 * secret.h
 *      Settings that hold secrets (credit.pseudonym_key,
 *      credit.report_signing_key): stored and used only where no role but a
 *      superuser can read them.
 */
#ifndef CREDIT_SECRET_H
#define CREDIT_SECRET_H

#include "postgres.h"

#include "utils/guc.h"

/*
 * Body of a secret setting's check hook: refuses a value stored with ALTER
 * DATABASE/ROLE or a function's SET clause, and records where an accepted
 * value comes from in *extra (malloc'd; read back with
 * credit_secret_source()).  Call it last in the hook.
 */
extern bool credit_secret_check(const char *name, char **newval, void **extra, GucSource source);

/* Where a value accepted by credit_secret_check came from (its extra). */
extern GucSource credit_secret_source(void *extra);

/* Error (55000) unless a value from this source is hidden from other roles. */
extern void credit_secret_guard(const char *name, GucSource source);

#endif                          /* CREDIT_SECRET_H */
