/*
 * normalize.c
 *      credit.normalize_name and credit.name_similarity: the SQL face of
 *      normalize_core.c (ICU NFKC, Traditional → Simplified, domain rules).
 */
#include "postgres.h"

#include "fmgr.h"
#include "mb/pg_wchar.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/datetime.h"
#include "pgtime.h"
#include "access/xact.h"
#include "miscadmin.h"

#include "credit.h"
#include "normalize.h"

/*
 * One normaliser per backend: the ICU transliterator is expensive to open,
 * so it is opened once (malloc'ed by ICU, kept for the backend's life).
 */
static NameNormalizer normalizer;
static bool normalizer_open = false;

/* Interrupt hook of the normaliser: a cancel or timeout ends a long call. */
static void
nn_check_interrupts(void)
{
	CHECK_FOR_INTERRUPTS();
}

/* The backend's normaliser, opened on first use. */
const NameNormalizer *
credit_normalizer(void)
{
	if (!normalizer_open)
	{
		const char *icu_error = "unknown";

		if (!nn_open(&normalizer, &icu_error))
			ereport(ERROR,
					(errcode(ERRCODE_EXTERNAL_ROUTINE_EXCEPTION),
					 errmsg("could not open the ICU Traditional-Simplified transliterator: %s", icu_error),
					 errhint("Check that the ICU data of libicu is installed.")));
		normalizer.interrupt = nn_check_interrupts;
		normalizer_open = true;
	}
	return &normalizer;
}

/* palloc with the signature the pure core expects. */
static void *
nn_palloc(size_t size)
{
	return palloc(size);
}

/* pfree with the signature the pure core expects. */
static void
nn_pfree(void *ptr)
{
	pfree(ptr);
}

/* Matching key of a name in the server encoding; the key is palloc'd. */
char *
credit_normalize(const char *s, size_t len, size_t *outlen)
{
	const NameNormalizer *nn = credit_normalizer();
	int			enc = GetDatabaseEncoding();
	const char *icu_error = "unknown";
	char	   *out;
	NNStatus	st;

	if (enc != PG_UTF8)
	{
		s = (const char *) pg_server_to_any(s, (int) len, PG_UTF8);
		len = strlen(s);
	}
	st = nn_normalize(nn, s, len, nn_palloc, nn_pfree, &out, outlen, &icu_error);
	switch (st)
	{
		case NN_OK:
			break;
		case NN_BAD_UTF8:
			ereport(ERROR,
					(errcode(ERRCODE_CHARACTER_NOT_IN_REPERTOIRE),
					 errmsg("name is not valid UTF-8")));
			break;
		case NN_TOO_LONG:
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("name is too long to normalise (%zu bytes)", len),
					 errdetail("A name may have at most %d bytes, and its compatibility form (NFKC) at most %d characters.",
							   NN_MAX_INPUT, NN_MAX_INPUT)));
			break;
		case NN_ICU_ERROR:
			ereport(ERROR,
					(errcode(ERRCODE_EXTERNAL_ROUTINE_EXCEPTION),
					 errmsg("ICU failed to normalise a name: %s", icu_error)));
			break;
	}
	if (enc != PG_UTF8)
	{
		out = pg_any_to_server(out, (int) *outlen, PG_UTF8);
		*outlen = strlen(out);
	}
	return out;
}

/* credit.normalize_name(text) → text: the matching key of a name. */
PG_FUNCTION_INFO_V1(credit_normalize_name);
Datum
credit_normalize_name(PG_FUNCTION_ARGS)
{
	text	   *t = PG_GETARG_TEXT_PP(0);
	size_t		outlen;
	char	   *key = credit_normalize(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t), &outlen);

	PG_RETURN_TEXT_P(cstring_to_text_with_len(key, (int) outlen));
}

/* Split key of a text argument, normalised first. */
static void
split_arg(text *t, NNGrams *g)
{
	size_t		len;
	char	   *key = credit_normalize(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t), &len);

	/* the core works on UTF-8: convert a key in another server encoding back */
	if (GetDatabaseEncoding() != PG_UTF8)
	{
		key = (char *) pg_server_to_any(key, (int) len, PG_UTF8);
		len = strlen(key);
	}
	nn_split(key, len, g);
}

/* credit.name_similarity(text, text) → real: weighted n-gram similarity of two names. */
PG_FUNCTION_INFO_V1(credit_name_similarity);
Datum
credit_name_similarity(PG_FUNCTION_ARGS)
{
	NNGrams    *a = palloc(sizeof(NNGrams)),
			   *b = palloc(sizeof(NNGrams));

	split_arg(PG_GETARG_TEXT_PP(0), a);
	split_arg(PG_GETARG_TEXT_PP(1), b);
	PG_RETURN_FLOAT4((float4) nn_similarity(a, b));
}

/* credit.normalize_name_version() → text: version of the rules and of ICU. */
PG_FUNCTION_INFO_V1(credit_normalize_name_version);
Datum
credit_normalize_name_version(PG_FUNCTION_ARGS)
{
	char		buf[64];

	nn_version(buf, sizeof(buf));
	PG_RETURN_TEXT_P(cstring_to_text(buf));
}
