/*
 * secret.h
 *      Settings that hold secrets (credit.pseudonym_key, credit.ledger_key,
 *      credit.report_signing_key): stored and used only where no role but a
 *      superuser can read them, and the keyed HMAC-SHA256 they feed.
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

/* Length of an HMAC-SHA256. */
#define CREDIT_HMAC_LEN 32

/* A backend's HMAC-SHA256 context, kept keyed between calls (zero-initialise). */
typedef struct CreditHmac
{
	struct evp_mac_ctx_st *ctx;
	char	   *keyed_with;		/* malloc'd copy of the key it was keyed with */
} CreditHmac;

/* HMAC-SHA256 of data under key; 38000 when OpenSSL fails (what: "a pseudonym"). */
extern void credit_hmac(CreditHmac *h, const char *key, const void *data, size_t len,
						uint8 out[CREDIT_HMAC_LEN], const char *what);

/* Constant-time equality of two HMAC-SHA256 values. */
extern bool credit_hmac_equal(const uint8 *a, const uint8 *b);

#endif							/* CREDIT_SECRET_H */
