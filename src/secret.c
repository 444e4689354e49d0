/*
 * secret.c
 *      Settings that hold secrets: superuser-only GUCs whose value must never
 *      sit where other roles can read it (pg_db_role_setting, pg_proc, dumps,
 *      placeholder settings of backends that have not loaded credit).
 *      Used by credit.pseudonym_key (pseudonym.c), credit.ledger_key
 *      (ledger.c) and credit.report_signing_key (report.c); the keyed
 *      HMAC-SHA256 of the first two.
 */
#include "postgres.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "utils/guc.h"

#include "credit.h"
#include "secret.h"

/*
 * Refuse to store a secret where every role can read it, and remember where
 * each accepted value comes from: the GucSource goes in the value's "extra",
 * which the assign hook reads back, so the source follows the value through
 * SET, RESET, SET LOCAL and rollback (the GUC machinery keeps value and
 * extra together).
 */
bool
credit_secret_check(const char *name, char **newval, void **extra, GucSource source)
{
	GucSource  *saved;

	/*
	 * PGC_S_TEST is the validation of ALTER DATABASE/ROLE ... SET and of a
	 * function's SET clause, whose values land in pg_db_role_setting and
	 * pg_proc (readable by every role) and in dumps.  Removing a setting
	 * (RESET) is not checked, so a stored secret can always be taken out.  A
	 * session that has not loaded credit yet cannot be stopped here; the
	 * secret is then refused when used (credit_secret_guard).
	 */
	if (source == PGC_S_TEST && *newval != NULL && (*newval)[0] != '\0')
	{
		GUC_check_errcode(ERRCODE_CANT_CHANGE_RUNTIME_PARAM);
		GUC_check_errmsg("%s cannot be stored with ALTER DATABASE, ALTER ROLE or a function's SET clause", name);
		GUC_check_errdetail("Such settings are kept in catalogs that every role can read (pg_db_role_setting, pg_proc) and are written into dumps.");
		GUC_check_errhint("Set the key in postgresql.conf and add credit to shared_preload_libraries.");
		return false;
	}
	saved = malloc(sizeof(GucSource));
	if (saved == NULL)
	{
		GUC_check_errcode(ERRCODE_OUT_OF_MEMORY);
		GUC_check_errmsg("out of memory");
		return false;
	}
	*saved = source;
	*extra = saved;
	return true;
}

/* The source recorded by credit_secret_check (the default when none). */
GucSource
credit_secret_source(void *extra)
{
	return extra != NULL ? *(const GucSource *) extra : PGC_S_DEFAULT;
}

/*
 * Error unless a secret from this source is hidden from other roles.  A
 * value from a database or role setting is in pg_db_role_setting, which every
 * role reads; one from the server configuration (postgresql.conf, ALTER
 * SYSTEM, the command line) is hidden only when credit is in
 * shared_preload_libraries: otherwise a backend that has not loaded credit
 * holds it as an ordinary placeholder setting, which every role can SHOW.  A
 * value set in the session (SET, or connection options of a superuser) is
 * seen by that session only.
 *
 * SQLSTATE 55000 (object_not_in_prerequisite_state), as for an unset key:
 * the server's configuration is not in the state the secret needs.  Not
 * 42501 or class 28: the caller lacks no privilege and the refusal holds for
 * superusers too; granting anything would not help, fixing the setup does.
 */
void
credit_secret_guard(const char *name, GucSource source)
{
	switch (source)
	{
			/* PGC_S_GLOBAL is ALTER ROLE ALL SET: pg_db_role_setting too */
		case PGC_S_GLOBAL:
		case PGC_S_DATABASE:
		case PGC_S_USER:
		case PGC_S_DATABASE_USER:
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("%s is readable by other roles", name),
					 errdetail("The key comes from ALTER DATABASE or ALTER ROLE ... SET, which stores it in pg_db_role_setting, a catalog every role can read."),
					 errhint("Remove that setting (ALTER DATABASE name RESET %s, ALTER ROLE name [IN DATABASE name] RESET %s), "
							 "put the key in postgresql.conf, set shared_preload_libraries = 'credit' (or 'pg_cron,credit' where pg_cron is used) and restart the server; "
							 "then replace the key, since it was exposed.", name, name)));
			break;
		case PGC_S_ENV_VAR:
		case PGC_S_FILE:
		case PGC_S_ARGV:
			if (!credit_preloaded)
				ereport(ERROR,
						(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
						 errmsg("%s is readable by other roles", name),
						 errdetail("The key comes from the server configuration, but credit is not in shared_preload_libraries: "
								   "until a session loads credit, the key is a placeholder setting that every role can read with SHOW."),
						 errhint("Set shared_preload_libraries = 'credit' (or 'pg_cron,credit' where pg_cron is used) in postgresql.conf and restart the server; "
								 "then replace the key, since it was exposed.")));
			break;
		default:
			break;
	}
}

/* The HMAC algorithm, fetched once per backend. */
static EVP_MAC *hmac_alg = NULL;

/*
 * Compute the MAC without raising: no OpenSSL handle is left half-used (the
 * kept context is freed on failure), so the caller may ereport afterwards.
 * Returns NULL on success, else what failed.
 */
static const char *
hmac_compute(CreditHmac *h, const char *key, size_t keylen,
			 const unsigned char *data, size_t len, uint8 out[CREDIT_HMAC_LEN])
{
	size_t		outlen = 0;
	const char *failed = NULL;

	if (h->ctx == NULL || h->keyed_with == NULL || strlen(h->keyed_with) != keylen ||
		memcmp(h->keyed_with, key, keylen) != 0)
	{
		OSSL_PARAM	params[2];
		EVP_MAC_CTX *fresh;

		if (hmac_alg == NULL)
		{
			hmac_alg = EVP_MAC_fetch(NULL, "HMAC", NULL);
			if (hmac_alg == NULL)
				return "EVP_MAC_fetch(HMAC)";
		}
		fresh = EVP_MAC_CTX_new(hmac_alg);
		if (fresh == NULL)
			return "EVP_MAC_CTX_new";
		params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *) "SHA256", 0);
		params[1] = OSSL_PARAM_construct_end();
		if (EVP_MAC_init(fresh, (const unsigned char *) key, keylen, params) != 1)
		{
			EVP_MAC_CTX_free(fresh);
			return "EVP_MAC_init";
		}
		if (h->ctx)
			EVP_MAC_CTX_free(h->ctx);
		h->ctx = fresh;
		if (h->keyed_with)
		{
			explicit_bzero(h->keyed_with, strlen(h->keyed_with));
			free(h->keyed_with);
		}
		h->keyed_with = strndup(key, keylen);
		if (h->keyed_with == NULL)
		{
			EVP_MAC_CTX_free(h->ctx);
			h->ctx = NULL;
			return "strndup";
		}
	}
	/* a keyed HMAC context restarts with its key when initialised without one */
	if (EVP_MAC_init(h->ctx, NULL, 0, NULL) != 1)
		failed = "EVP_MAC_init";
	else if (EVP_MAC_update(h->ctx, data, len) != 1)
		failed = "EVP_MAC_update";
	else if (EVP_MAC_final(h->ctx, out, &outlen, CREDIT_HMAC_LEN) != 1 || outlen != CREDIT_HMAC_LEN)
		failed = "EVP_MAC_final";
	if (failed)
	{
		/* start afresh next time */
		EVP_MAC_CTX_free(h->ctx);
		h->ctx = NULL;
	}
	return failed;
}

/*
 * HMAC-SHA256 of data under key (a secret setting's value), keeping the
 * keyed context in *h for the next call with the same key; what names the
 * use in the error raised when OpenSSL fails (38000, external routine
 * exception).
 */
void
credit_hmac(CreditHmac *h, const char *key, const void *data, size_t len,
			uint8 out[CREDIT_HMAC_LEN], const char *what)
{
	const char *failed = hmac_compute(h, key, strlen(key), data, len, out);

	if (failed)
	{
		unsigned long e = ERR_get_error();

		ERR_clear_error();
		ereport(ERROR,
				(errcode(ERRCODE_EXTERNAL_ROUTINE_EXCEPTION),
				 errmsg("OpenSSL failed to compute %s: %s: %s", what, failed,
						e ? ERR_reason_error_string(e) : "no error reported")));
	}
}

/* Constant-time comparison of two MACs. */
bool
credit_hmac_equal(const uint8 *a, const uint8 *b)
{
	return CRYPTO_memcmp(a, b, CREDIT_HMAC_LEN) == 0;
}
