/*
 * pseudonym.c
 *      credit.pseudonym(text) → bytea: HMAC-SHA256 (OpenSSL EVP_MAC) of a
 *      canonical identifier under the superuser-only GUC credit.pseudonym_key,
 *      so that departments can cross-match people without exchanging raw
 *      ID numbers.
 */
#include "postgres.h"

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "fmgr.h"
#include "mb/pg_wchar.h"
#include "utils/builtins.h"
#include "utils/guc.h"

#include "credit.h"
#include "util.h"
#include "ident_parse.h"
#include "normalize.h"
#include "secret.h"

/* Shortest key accepted, in bytes. */
#define PSEUDONYM_MIN_KEY   16

/* The HMAC algorithm, fetched once per backend. */
static EVP_MAC *hmac_alg = NULL;

/*
 * Where the current value of credit.pseudonym_key came from (see
 * credit_secret_check): set by the assign hook from the value's extra.
 */
static GucSource key_source = PGC_S_DEFAULT;

/*
 * Check hook of credit.pseudonym_key: refuse to store the key where every
 * role can read it, and remember where each accepted value comes from.
 */
bool
credit_pseudonym_key_check(char **newval, void **extra, GucSource source)
{
    return credit_secret_check("credit.pseudonym_key", newval, extra, source);
}

/* Assign hook of credit.pseudonym_key: the new value's source becomes current. */
void
credit_pseudonym_key_assign(const char *newval, void *extra)
{
    key_source = credit_secret_source(extra);
}

/* Error (55000) unless the current key is hidden from other roles. */
void
credit_pseudonym_key_guard(void)
{
    credit_secret_guard("credit.pseudonym_key", key_source);
}

/* Is credit.pseudonym_key set (to anything)? */
bool
credit_pseudonym_key_set(void)
{
    return credit_pseudonym_key != NULL && credit_pseudonym_key[0] != '\0';
}

/*
 * A MAC context keyed with the current key, kept for the backend and
 * restarted for each message (keying computes the HMAC pads once).
 */
static EVP_MAC_CTX *keyed_ctx = NULL;
static char *keyed_with = NULL;

/*
 * Compute the MAC without raising: no OpenSSL handle is left half-used (the
 * kept context is freed on failure), so the caller may ereport afterwards.  Returns NULL on
 * success, else what failed.
 */
static const char *
hmac_sha256(const unsigned char *key, size_t keylen,
            const unsigned char *data, size_t len, uint8 out[PSEUDONYM_LEN])
{
    EVP_MAC_CTX *ctx;
    size_t      outlen = 0;
    const char *failed = NULL;

    if (keyed_ctx == NULL || keyed_with == NULL || strlen(keyed_with) != keylen ||
        memcmp(keyed_with, key, keylen) != 0)
    {
        OSSL_PARAM  params[2];
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
        if (EVP_MAC_init(fresh, key, keylen, params) != 1)
        {
            EVP_MAC_CTX_free(fresh);
            return "EVP_MAC_init";
        }
        if (keyed_ctx)
            EVP_MAC_CTX_free(keyed_ctx);
        keyed_ctx = fresh;
        if (keyed_with)
            free(keyed_with);
        keyed_with = strndup((const char *) key, keylen);
        if (keyed_with == NULL)
        {
            EVP_MAC_CTX_free(keyed_ctx);
            keyed_ctx = NULL;
            return "strndup";
        }
    }
    /* a keyed HMAC context restarts with its key when initialised without one */
    ctx = keyed_ctx;
    if (EVP_MAC_init(ctx, NULL, 0, NULL) != 1)
        failed = "EVP_MAC_init";
    else if (EVP_MAC_update(ctx, data, len) != 1)
        failed = "EVP_MAC_update";
    else if (EVP_MAC_final(ctx, out, &outlen, PSEUDONYM_LEN) != 1 || outlen != PSEUDONYM_LEN)
        failed = "EVP_MAC_final";
    if (failed)
    {
        /* start afresh next time */
        EVP_MAC_CTX_free(keyed_ctx);
        keyed_ctx = NULL;
    }
    return failed;
}

/*
 * HMAC-SHA256 of data under credit.pseudonym_key; errors when the key is
 * unset, readable by other roles or short.
 */
void
credit_pseudonym_hmac(const char *data, size_t len, uint8 out[PSEUDONYM_LEN])
{
    const char *failed;
    size_t      keylen;

    if (!credit_pseudonym_key_set())
        ereport(ERROR,
                (errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
                 errmsg("credit.pseudonym_key is not set"),
                 errdetail("Pseudonyms are keyed with a secret that only superusers can read or set."),
                 errhint("A superuser sets it (at least %d bytes) in postgresql.conf with shared_preload_libraries = 'credit' "
                         "(or 'pg_cron,credit' where pg_cron is used) and restarts the server, or for one session with SET credit.pseudonym_key.",
                         PSEUDONYM_MIN_KEY)));
    credit_pseudonym_key_guard();
    keylen = strlen(credit_pseudonym_key);
    if (keylen < PSEUDONYM_MIN_KEY)
        ereport(ERROR,
                (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                 errmsg("credit.pseudonym_key is too short (%zu bytes, at least %d)",
                        keylen, PSEUDONYM_MIN_KEY)));
    failed = hmac_sha256((const unsigned char *) credit_pseudonym_key, keylen,
                         (const unsigned char *) data, len, out);
    if (failed)
    {
        unsigned long e = ERR_get_error();

        ERR_clear_error();
        ereport(ERROR,
                (errcode(ERRCODE_EXTERNAL_ROUTINE_EXCEPTION),
                 errmsg("OpenSSL failed to compute a pseudonym: %s: %s", failed,
                        e ? ERR_reason_error_string(e) : "no error reported")));
    }
}

/*
 * The identifier a pseudonym is computed from: a USCC or a resident ID
 * number in canonical form (white space, case, full-width, hyphens and the
 * 15-digit form do not matter); any other text as given (in UTF-8).
 */
const char *
credit_pseudonym_canonical(const char *s, size_t len, size_t *outlen)
{
    char        reason[IDENT_REASON_LEN];
    char       *canon = palloc(USCC_LEN + 1);
    int64_t     value;

    s = credit_to_utf8(s, &len);
    if (uscc_parse(s, len, credit_uscc_lenient, canon, reason, sizeof(reason)))
    {
        *outlen = USCC_LEN;
        return canon;
    }
    if (resident_id_parse(s, len, credit_today_ymd(), &value, reason, sizeof(reason)))
    {
        resident_id_format(value, canon);
        *outlen = RESIDENT_ID_LEN;
        return canon;
    }
    pfree(canon);
    *outlen = len;
    return s;
}

/* credit.pseudonym(text) → bytea: HMAC-SHA256 of the canonical identifier. */
PG_FUNCTION_INFO_V1(credit_pseudonym);
Datum
credit_pseudonym(PG_FUNCTION_ARGS)
{
    text       *t = PG_GETARG_TEXT_PP(0);
    size_t      len;
    const char *canon = credit_pseudonym_canonical(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t), &len);
    bytea      *result = palloc(VARHDRSZ + PSEUDONYM_LEN);

    credit_pseudonym_hmac(canon, len, (uint8 *) VARDATA(result));
    SET_VARSIZE(result, VARHDRSZ + PSEUDONYM_LEN);
    PG_RETURN_BYTEA_P(result);
}
