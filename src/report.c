/*
 * report.c
 *      Credit reports (信用报告) signed with Ed25519 (OpenSSL EVP), the keys
 *      that sign and verify them, and the checks of third-party credit
 *      reports (第三方信用报告).
 *
 * The platform's private key is the superuser-only setting
 * credit.report_signing_key (the 32-byte Ed25519 seed in hexadecimal),
 * guarded like credit.pseudonym_key (secret.c).  A report is assembled by
 * the SQL function credit.report_content, run with the rights of the
 * extension's owner (the caller may not read whole ID numbers nor write the
 * query log), then signed here over the UTF-8 text of the jsonb: jsonb's
 * output is canonical (keys sorted, duplicates removed, fixed separators), so
 * (report - 'signature')::text gives back exactly the bytes signed.
 */
#include "postgres.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

#include "access/htup_details.h"
#include "catalog/namespace.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_type.h"
#include "common/base64.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"

#include "credit.h"
#include "ed25519_strict.h"
#include "util.h"
#include "secret.h"

#define KEY_ID_HEX          16	/* key id: the first 8 bytes of SHA-256(public
								 * key), in hex */
#define SIGNING_KEY_GUC     "credit.report_signing_key"

/* credit.report_signing_key and where its current value came from. */
static char *signing_key = NULL;
static GucSource signing_key_source = PGC_S_DEFAULT;

/* Decode exactly 2 * len hexadecimal digits; false when s is anything else. */
static bool
parse_hex_exact(const char *s, uint8 *out, size_t len)
{
	size_t		i;

	if (strlen(s) != 2 * len)
		return false;
	for (i = 0; i < 2 * len; i++)
		if (!isxdigit((unsigned char) s[i]))
			return false;
	hex_decode(s, 2 * len, (char *) out);
	return true;
}

/*
 * Read the signing key: the 32-byte seed as 64 hexadecimal digits, or an
 * Ed25519 private key in PEM (PKCS#8, "BEGIN PRIVATE KEY", as openssl genpkey
 * writes it).  False when it is neither.
 */
static bool
parse_seed(const char *s, uint8 seed[ED25519_KEY_LEN])
{
	BIO		   *bio;
	EVP_PKEY   *pkey;
	size_t		n = ED25519_KEY_LEN;
	bool		ok;

	if (strncmp(s, "-----BEGIN", 10) != 0)
		return parse_hex_exact(s, seed, ED25519_KEY_LEN);
	bio = BIO_new_mem_buf(s, -1);
	pkey = bio ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL) : NULL;
	ok = pkey != NULL && EVP_PKEY_get_id(pkey) == EVP_PKEY_ED25519 &&
		EVP_PKEY_get_raw_private_key(pkey, seed, &n) == 1 && n == ED25519_KEY_LEN;
	EVP_PKEY_free(pkey);
	BIO_free(bio);
	ERR_clear_error();
	return ok;
}

/* Check hook of credit.report_signing_key: a well-formed key, stored only where hidden. */
static bool
signing_key_check(char **newval, void **extra, GucSource source)
{
	uint8		seed[ED25519_KEY_LEN];

	if (*newval != NULL && (*newval)[0] != '\0' && !parse_seed(*newval, seed))
	{
		GUC_check_errcode(ERRCODE_INVALID_PARAMETER_VALUE);
		GUC_check_errmsg("invalid value for %s", SIGNING_KEY_GUC);
		GUC_check_errdetail("The key is the 32-byte Ed25519 private key (its seed) as 64 hexadecimal digits, or an Ed25519 private key in PEM (BEGIN PRIVATE KEY).");
		GUC_check_errhint("credit.generate_signing_key() returns a new one.");
		return false;
	}
	explicit_bzero(seed, sizeof(seed));
	return credit_secret_check(SIGNING_KEY_GUC, newval, extra, source);
}

/* Assign hook of credit.report_signing_key: the new value's source becomes current. */
static void
signing_key_assign(const char *newval, void *extra)
{
	signing_key_source = credit_secret_source(extra);
}

/* Define credit.report_signing_key (from _PG_init). */
void
credit_report_init(void)
{
	DefineCustomStringVariable(SIGNING_KEY_GUC,
							   "Ed25519 private key that signs credit reports (seed in 64 hexadecimal digits, or PEM).",
							   "Readable and settable by superusers only.",
							   &signing_key,
							   NULL,
							   PGC_SUSET,
							   GUC_SUPERUSER_ONLY | GUC_NO_SHOW_ALL | GUC_NOT_IN_SAMPLE,
							   signing_key_check, signing_key_assign, NULL);
}

/* Error unless an OpenSSL step succeeded: names the step and OpenSSL's reason. */
static void
openssl_failed(const char *what)
{
	unsigned long e = ERR_get_error();

	ERR_clear_error();
	ereport(ERROR,
			(errcode(ERRCODE_EXTERNAL_ROUTINE_EXCEPTION),
			 errmsg("OpenSSL failed: %s: %s", what,
					e ? ERR_reason_error_string(e) : "no error reported")));
}

/*
 * The raw public key of a seed, and the seed's signature of msg when sig is
 * not NULL.  Returns NULL on success, else the step that failed; every
 * OpenSSL handle is freed before returning, so the caller may ereport.
 */
static const char *
ed25519_use_seed(const uint8 seed[ED25519_KEY_LEN], uint8 pub[ED25519_KEY_LEN],
				 const uint8 *msg, size_t len, uint8 sig[ED25519_SIG_LEN])
{
	EVP_PKEY   *pkey;
	EVP_MD_CTX *ctx = NULL;
	size_t		n = ED25519_KEY_LEN;
	const char *failed = NULL;

	pkey = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed, ED25519_KEY_LEN);
	if (pkey == NULL)
		return "EVP_PKEY_new_raw_private_key";
	if (EVP_PKEY_get_raw_public_key(pkey, pub, &n) != 1 || n != ED25519_KEY_LEN)
		failed = "EVP_PKEY_get_raw_public_key";
	else if (sig != NULL)
	{
		n = ED25519_SIG_LEN;
		if ((ctx = EVP_MD_CTX_new()) == NULL)
			failed = "EVP_MD_CTX_new";
		else if (EVP_DigestSignInit(ctx, NULL, NULL, NULL, pkey) != 1)
			failed = "EVP_DigestSignInit";
		else if (EVP_DigestSign(ctx, sig, &n, msg, len) != 1 || n != ED25519_SIG_LEN)
			failed = "EVP_DigestSign";
	}
	EVP_MD_CTX_free(ctx);
	EVP_PKEY_free(pkey);
	return failed;
}

/*
 * Read an Ed25519 public key: PEM (SubjectPublicKeyInfo, "BEGIN PUBLIC
 * KEY"), 64 hexadecimal digits (with or without bytea's \x) or the base64 of
 * the 32 bytes (with or without padding), surrounding white space ignored.
 * Returns NULL when read, else why not.
 */
static const char *
ed25519_parse_public(const char *s, size_t len, uint8 pub[ED25519_KEY_LEN])
{
	char	   *t;
	const char *reason = NULL;

	while (len > 0 && isspace((unsigned char) s[0]))
		s++, len--;
	while (len > 0 && isspace((unsigned char) s[len - 1]))
		len--;
	t = pnstrdup(s, len);
	if (strncmp(t, "-----BEGIN", 10) == 0)
	{
		BIO		   *bio = BIO_new_mem_buf(t, (int) len);
		EVP_PKEY   *pkey = bio ? PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL) : NULL;
		size_t		n = ED25519_KEY_LEN;

		if (pkey == NULL)
			reason = "The PEM text is not a public key (BEGIN PUBLIC KEY).";
		else if (EVP_PKEY_get_id(pkey) != EVP_PKEY_ED25519)
			reason = "The PEM key is not an Ed25519 key.";
		else if (EVP_PKEY_get_raw_public_key(pkey, pub, &n) != 1 || n != ED25519_KEY_LEN)
			reason = "The PEM key has no raw Ed25519 public key.";
		EVP_PKEY_free(pkey);
		BIO_free(bio);
		ERR_clear_error();
	}
	else if (len == 2 * ED25519_KEY_LEN || (len == 2 * ED25519_KEY_LEN + 2 && t[0] == '\\' && t[1] == 'x'))
	{
		/* hexadecimal, also as bytea prints it (\x...) */
		if (!parse_hex_exact(t + len - 2 * ED25519_KEY_LEN, pub, ED25519_KEY_LEN))
			reason = "Not all hexadecimal digits.";
	}
	else if ((len == 44 && t[43] == '=') || len == 43)
	{
		/* base64, with or without its padding */
		uint8		buf[ED25519_KEY_LEN + 2];
		char		padded[45];

		memcpy(padded, t, 43);
		padded[43] = '=';
		padded[44] = '\0';
		if (pg_b64_decode(padded, 44, (char *) buf, sizeof(buf)) != ED25519_KEY_LEN)
			reason = "Not the base64 of 32 bytes.";
		else
			memcpy(pub, buf, ED25519_KEY_LEN);
	}
	else
		reason = "Expected a PEM public key (BEGIN PUBLIC KEY), 64 hexadecimal digits or the base64 of 32 bytes.";
	pfree(t);
	return reason;
}

/*
 * The raw public key of a text argument, or an error saying why not: 22P02
 * when it is malformed or (strict) not the encoding of a point of the curve,
 * 22023 when (strict) it is a point of small order (ed25519_strict.c).
 */
static void
public_key_arg(text *t, uint8 pub[ED25519_KEY_LEN], bool strict)
{
	const char *reason = ed25519_parse_public(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t), pub);
	bool		weak = false;

	if (reason == NULL && strict && (reason = ed25519_public_key_problem(pub)) != NULL)
		weak = strstr(reason, "small order") != NULL;
	if (reason != NULL)
		ereport(ERROR,
				(errcode(weak ? ERRCODE_INVALID_PARAMETER_VALUE : ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid Ed25519 public key: \"%s\"",
						credit_clip(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t))),
				 errdetail("%s", reason)));
}

/* PEM text (SubjectPublicKeyInfo) of a raw public key, without final newline, palloc'd. */
static char *
public_key_pem(const uint8 pub[ED25519_KEY_LEN])
{
	EVP_PKEY   *pkey = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, pub, ED25519_KEY_LEN);
	BIO		   *bio = pkey ? BIO_new(BIO_s_mem()) : NULL;
	char	   *data;
	long		n;
	char	   *pem = NULL;

	if (bio != NULL && PEM_write_bio_PUBKEY(bio, pkey) == 1 && (n = BIO_get_mem_data(bio, &data)) > 0)
	{
		while (n > 0 && data[n - 1] == '\n')	/* no final newline: one line
												 * less in psql */
			n--;
		pem = pnstrdup(data, n);
	}
	BIO_free(bio);
	EVP_PKEY_free(pkey);
	if (pem == NULL)
		openssl_failed("PEM_write_bio_PUBKEY");
	return pem;
}

/* Key id of a raw public key: 16 hexadecimal digits of its SHA-256, palloc'd. */
static char *
public_key_id(const uint8 pub[ED25519_KEY_LEN])
{
	uint8		md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	char	   *id = palloc(KEY_ID_HEX + 1);

	if (EVP_Digest(pub, ED25519_KEY_LEN, md, &n, EVP_sha256(), NULL) != 1 || n < KEY_ID_HEX / 2)
		openssl_failed("EVP_Digest(SHA-256)");
	hex_encode((const char *) md, KEY_ID_HEX / 2, id);
	id[KEY_ID_HEX] = '\0';
	return id;
}

/*
 * The platform's signing seed; errors (55000) when the key is unset or
 * readable by other roles.
 */
static void
signing_seed(uint8 seed[ED25519_KEY_LEN])
{
	if (signing_key == NULL || signing_key[0] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("%s is not set", SIGNING_KEY_GUC),
				 errdetail("Credit reports are signed with the platform's Ed25519 private key, which only superusers can read or set."),
				 errhint("A superuser creates a key with credit.generate_signing_key() and sets its seed in postgresql.conf "
						 "with shared_preload_libraries = 'credit' (or 'pg_cron,credit' where pg_cron is used) and restarts the server, "
						 "or for one session with SET %s.", SIGNING_KEY_GUC)));
	credit_secret_guard(SIGNING_KEY_GUC, signing_key_source);
	if (!parse_seed(signing_key, seed)) /* the check hook let it pass */
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid value for %s", SIGNING_KEY_GUC)));
}

/* Raw public key of the platform's signing key. */
static void
signing_public_key(uint8 pub[ED25519_KEY_LEN])
{
	uint8		seed[ED25519_KEY_LEN];
	const char *failed;

	signing_seed(seed);
	failed = ed25519_use_seed(seed, pub, NULL, 0, NULL);
	explicit_bzero(seed, sizeof(seed));
	if (failed)
		openssl_failed(failed);
}

/* The report's content, assembled with the owner's rights (the caller's decide whole_id). */
static CreditQuery q_report = {
	"SELECT credit.report_content($1, $2, $3, $4::pg_catalog.name, $5, $6)",
	6, {INT8OID, TEXTOID, BOOLOID, TEXTOID, TEXTOID, TEXTOID}
};

/* A third-party report the caller may see (row-level security applies). */
static CreditQuery q_tpr_visible = {
	"SELECT 1 FROM credit.third_party_report t WHERE t.id OPERATOR(pg_catalog.=) $1", 1, {INT8OID}
};

/* The checks of a third-party report, run with the owner's rights. */
static CreditQuery q_tpr_checks = {
	"SELECT c.check_name, c.ok, c.detail FROM credit.third_party_checks($1) c", 1, {INT8OID}
};

/*
 * credit.report(subject_id, purpose) → jsonb: the subject's credit report,
 * assembled by credit.report_content with the owner's rights, logged there,
 * and signed here with the platform's key.
 */
PG_FUNCTION_INFO_V1(credit_report);
Datum
credit_report(PG_FUNCTION_ARGS)
{
	MemoryContext callercxt = CurrentMemoryContext;
	uint8		seed[ED25519_KEY_LEN];
	uint8		pub[ED25519_KEY_LEN];
	uint8		sig[ED25519_SIG_LEN];
	char		sighex[2 * ED25519_SIG_LEN + 1];
	char	   *key_id;
	char	   *purpose;
	Datum		values[6];
	CreditScope scope;
	bool		isnull;
	Jsonb	   *content;
	char	   *canonical;
	size_t		len;
	const char *msg;
	const char *failed;
	Datum		signature;

	if (PG_ARGISNULL(0))
		credit_subject_missing(true, 0);
	purpose = PG_ARGISNULL(1) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(1));
	if (purpose == NULL || purpose[strspn(purpose, " \t\r\n")] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a purpose is required for a credit report"),
				 errhint("Say why the report is issued, e.g. 'government procurement review'; it is logged in credit.query_log.")));

	signing_public_key(pub);
	key_id = public_key_id(pub);

	values[0] = PG_GETARG_DATUM(0);
	values[1] = PG_GETARG_DATUM(1);
	values[2] = BoolGetDatum(credit_may_read_person_id());
	values[3] = CStringGetTextDatum(GetUserNameFromId(GetUserId(), false));
	values[4] = CStringGetTextDatum(key_id);
	values[5] = CStringGetTextDatum(public_key_pem(pub));

	credit_scope_enter(&scope, true);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	credit_query_exec(&q_report, values, NULL, false, SPI_OK_SELECT, "assembling the report");
	if (SPI_processed != 1)
		elog(ERROR, "credit.report_content returned %llu rows", (unsigned long long) SPI_processed);
	{
		Datum		d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);

		if (isnull)
			elog(ERROR, "credit.report_content returned NULL");
		MemoryContextSwitchTo(callercxt);
		content = DatumGetJsonbPCopy(d);
	}
	SPI_finish();
	credit_scope_exit(&scope);

	/* the signed bytes: the jsonb's canonical text, in UTF-8 */
	canonical = JsonbToCString(NULL, &content->root, VARSIZE(content));
	len = strlen(canonical);
	msg = credit_to_utf8(canonical, &len);
	signing_seed(seed);
	failed = ed25519_use_seed(seed, pub, (const uint8 *) msg, len, sig);
	explicit_bzero(seed, sizeof(seed));
	if (failed)
		openssl_failed(failed);

	hex_encode((const char *) sig, ED25519_SIG_LEN, sighex);
	sighex[2 * ED25519_SIG_LEN] = '\0';
	signature = DirectFunctionCall1(jsonb_in, CStringGetDatum(psprintf("{\"signature\": \"%s\"}", sighex)));
	PG_RETURN_DATUM(DirectFunctionCall2(jsonb_concat, JsonbPGetDatum(content), signature));
}

/* credit.report_public_key() → text: the platform's current public key, PEM. */
PG_FUNCTION_INFO_V1(credit_report_public_key);
Datum
credit_report_public_key(PG_FUNCTION_ARGS)
{
	uint8		pub[ED25519_KEY_LEN];

	signing_public_key(pub);
	PG_RETURN_TEXT_P(cstring_to_text(public_key_pem(pub)));
}

/* credit.report_key_id() → text: the key id of the platform's current key. */
PG_FUNCTION_INFO_V1(credit_report_key_id);
Datum
credit_report_key_id(PG_FUNCTION_ARGS)
{
	uint8		pub[ED25519_KEY_LEN];

	signing_public_key(pub);
	PG_RETURN_TEXT_P(cstring_to_text(public_key_id(pub)));
}

/*
 * credit.generate_signing_key() → (seed, key_id, public_key): a new random
 * Ed25519 key for a superuser to put in credit.report_signing_key.
 */
PG_FUNCTION_INFO_V1(credit_generate_signing_key);
Datum
credit_generate_signing_key(PG_FUNCTION_ARGS)
{
	uint8		seed[ED25519_KEY_LEN];
	uint8		pub[ED25519_KEY_LEN];
	char		hex[2 * ED25519_KEY_LEN + 1];
	const char *failed;
	TupleDesc	desc;
	Datum		values[3];
	bool		nulls[3] = {false, false, false};

	if (!superuser())
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("only superusers may generate the report signing key"),
				 errdetail("The private key it returns is a secret readable by superusers only.")));
	if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	if (RAND_bytes(seed, ED25519_KEY_LEN) != 1)
		openssl_failed("RAND_bytes");
	failed = ed25519_use_seed(seed, pub, NULL, 0, NULL);
	if (failed)
		openssl_failed(failed);
	hex_encode((const char *) seed, ED25519_KEY_LEN, hex);
	hex[2 * ED25519_KEY_LEN] = '\0';
	explicit_bzero(seed, sizeof(seed));
	values[0] = CStringGetTextDatum(hex);
	explicit_bzero(hex, sizeof(hex));
	values[1] = CStringGetTextDatum(public_key_id(pub));
	values[2] = CStringGetTextDatum(public_key_pem(pub));
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(desc), values, nulls)));
}

/* credit.ed25519_public_key(text) → text: a public key in canonical PEM; 22P02 when malformed. */
PG_FUNCTION_INFO_V1(credit_ed25519_public_key);
Datum
credit_ed25519_public_key(PG_FUNCTION_ARGS)
{
	uint8		pub[ED25519_KEY_LEN];

	public_key_arg(PG_GETARG_TEXT_PP(0), pub, true);
	PG_RETURN_TEXT_P(cstring_to_text(public_key_pem(pub)));
}

/* credit.ed25519_key_id(text) → text: the key id of a public key. */
PG_FUNCTION_INFO_V1(credit_ed25519_key_id);
Datum
credit_ed25519_key_id(PG_FUNCTION_ARGS)
{
	uint8		pub[ED25519_KEY_LEN];

	public_key_arg(PG_GETARG_TEXT_PP(0), pub, true);
	PG_RETURN_TEXT_P(cstring_to_text(public_key_id(pub)));
}

/* credit.ed25519_verify(public_key, message, signature) → bool. */
PG_FUNCTION_INFO_V1(credit_ed25519_verify);
Datum
credit_ed25519_verify(PG_FUNCTION_ARGS)
{
	uint8		pub[ED25519_KEY_LEN];
	bytea	   *msg = PG_GETARG_BYTEA_PP(1);
	bytea	   *sig = PG_GETARG_BYTEA_PP(2);

	/* a weak or non-canonical key verifies nothing (ed25519_verify_strict) */
	public_key_arg(PG_GETARG_TEXT_PP(0), pub, false);
	PG_RETURN_BOOL(ed25519_verify_strict(pub, (const uint8 *) VARDATA_ANY(msg), VARSIZE_ANY_EXHDR(msg),
										 (const uint8 *) VARDATA_ANY(sig), VARSIZE_ANY_EXHDR(sig)));
}

/*
 * credit.verify_third_party_report(id) → TABLE(check_name, ok, detail): the
 * caller must see the report (privileges and row-level security apply); the
 * checks (credit.third_party_checks) then run with the owner's rights, since
 * they compare with platform data the caller may not read and raise
 * warnings.
 */
PG_FUNCTION_INFO_V1(credit_verify_third_party_report);
Datum
credit_verify_third_party_report(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	Datum		values[1];
	uint64		i;
	CreditScope caller;
	CreditScope owner;

	InitMaterializedSRF(fcinfo, 0);
	values[0] = PG_GETARG_DATUM(0);
	credit_scope_enter(&caller, false);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	credit_query_exec(&q_tpr_visible, values, NULL, true, SPI_OK_SELECT, "reading the third-party report");
	if (SPI_processed == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("third-party report %lld does not exist", (long long) PG_GETARG_INT64(0)),
				 errhint("A unit sees the third-party reports it filed; analysts and administrators see all.")));

	credit_scope_enter(&owner, true);
	credit_query_exec(&q_tpr_checks, values, NULL, false, SPI_OK_SELECT, "checking the third-party report");
	credit_scope_exit(&owner);
	for (i = 0; i < SPI_processed; i++)
	{
		Datum		row[3];
		bool		nulls[3];
		int			c;

		for (c = 0; c < 3; c++)
			row[c] = SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, c + 1, &nulls[c]);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, row, nulls);
	}
	SPI_finish();
	credit_scope_exit(&caller);
	return (Datum) 0;
}
