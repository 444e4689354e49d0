/*
 * pseudonym.c
 *      credit.pseudonym(text) → bytea: HMAC-SHA256 (OpenSSL EVP_MAC) of a
 *      canonical identifier under the superuser-only GUC credit.pseudonym_key,
 *      so that departments can cross-match people without exchanging raw
 *      ID numbers.
 */
#include "postgres.h"

#include "fmgr.h"
#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
#include "utils/builtins.h"
#include "utils/guc.h"

#include "credit.h"
#include "audit.h"
#include "util.h"
#include "ident_parse.h"
#include "normalize.h"
#include "secret.h"

/* Shortest key accepted, in bytes. */
#define PSEUDONYM_MIN_KEY   16

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

/* The MAC context, kept keyed with the current key. */
static CreditHmac pseudonym_hmac;

/*
 * HMAC-SHA256 of data under credit.pseudonym_key; errors when the key is
 * unset, readable by other roles or short.
 */
void
credit_pseudonym_hmac(const char *data, size_t len, uint8 out[PSEUDONYM_LEN])
{
	size_t		keylen;

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
	credit_hmac(&pseudonym_hmac, credit_pseudonym_key, data, len, out, "a pseudonym");
}

/*
 * The identifier a pseudonym is computed from: a USCC or a resident ID
 * number in canonical form (white space, case, full-width, hyphens and the
 * 15-digit form do not matter); any other text as given (in UTF-8).
 */
const char *
credit_pseudonym_canonical(const char *s, size_t len, size_t *outlen)
{
	char		reason[IDENT_REASON_LEN];
	char	   *canon = palloc(USCC_LEN + 1);
	int64_t		value;

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

/*
 * Log a pseudonym of a person's ID number computed on demand: a look-up of
 * that person (logged before the pseudonym is returned), with the number
 * masked and the pseudonym, which only the key's holders can tie to a
 * subject.
 */
static void
log_person_pseudonym(const char *canon, const uint8 *pseudonym)
{
	StringInfoData detail;
	int			i;

	initStringInfo(&detail);
	appendStringInfoString(&detail, "{\"lookup\": \"pseudonym\", \"id\": \"");
	credit_audit_append_masked_id(&detail, canon);
	appendStringInfoString(&detail, "\", \"pseudonym\": \"");
	for (i = 0; i < PSEUDONYM_LEN; i++)
		appendStringInfo(&detail, "%02x", pseudonym[i]);
	appendStringInfoString(&detail, "\"}");
	(void) credit_audit_log(false, 0, "pseudonym of a person", detail.data);
}

/*
 * credit.pseudonym(text) → bytea: HMAC-SHA256 of the canonical identifier.
 * The pseudonym of a resident ID number is a look-up of that person for
 * roles that may not read whole numbers (else a unit could test candidate
 * numbers against the pseudonyms of a list): logged like credit.find_person.
 */
PG_FUNCTION_INFO_V1(credit_pseudonym);
Datum
credit_pseudonym(PG_FUNCTION_ARGS)
{
	text	   *t = PG_GETARG_TEXT_PP(0);
	size_t		len;
	const char *canon = credit_pseudonym_canonical(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t), &len);
	bytea	   *result = palloc(VARHDRSZ + PSEUDONYM_LEN);
	char		reason[IDENT_REASON_LEN];
	int64_t		value;

	credit_pseudonym_hmac(canon, len, (uint8 *) VARDATA(result));
	SET_VARSIZE(result, VARHDRSZ + PSEUDONYM_LEN);
	if (len == RESIDENT_ID_LEN &&
		resident_id_parse(canon, len, credit_today_ymd(), &value, reason, sizeof(reason)) &&
		!credit_may_read_person_id())
		log_person_pseudonym(canon, (const uint8 *) VARDATA(result));
	PG_RETURN_BYTEA_P(result);
}
