/*
 * by_code.c
 *      The subject a code names, for the functions approval systems call
 *      with a subject's code as they have it (credit.subject_by_code and
 *      credit.check(code, scenario)): the code read by the C parsers, the
 *      subject found by one saved query of credit.subject_code, in one call.
 *
 * The codes are read as the owner (a unit may not read ID numbers); every
 * look-up by an ID number is logged in credit.query_log, by the audit
 * worker beyond the caller's rollback, before anything is answered, found
 * or not.  A subject is found by the rule of credit.intake_subjects for one
 * code: an ID number names the person with it, else (18 characters that
 * are a USCC too) the organisation with that USCC; a USCC names its
 * organisation; an organisation code names the first subject whose USCC
 * embeds it.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "utils/builtins.h"

#include "audit.h"
#include "by_code.h"
#include "code_parse.h"
#include "credit.h"
#include "util.h"

/* The rows of a canonical code: its USCC and its ID number holders. */
static CreditQuery q_code_subjects = {
	"SELECT c.code_kind, c.subject_id FROM credit.subject_code c "
	" WHERE c.code OPERATOR(pg_catalog.=) $1", 1, {TEXTOID}
};

/* The first subject whose USCC embeds an organisation code. */
static CreditQuery q_org_code_subject = {
	"SELECT pg_catalog.min(c.subject_id) FROM credit.subject_code c "
	" WHERE c.code_kind OPERATOR(pg_catalog.=) 'uscc' "
	"   AND pg_catalog.substr(c.code, 9, 9) OPERATOR(pg_catalog.=) $1", 1, {TEXTOID}
};

/* Why a code is none, as the intake tells a clerk. */
static CreditQuery q_code_problem = {
	"SELECT credit.code_problem($1)", 1, {TEXTOID}
};

/* A text of 1 to 18 ASCII digits between spaces, as the id it is. */
static bool
by_code_digits(const char *s, size_t len, int64 *id)
{
	size_t		start = 0;
	size_t		end = len;
	int64		v = 0;
	size_t		i;

	while (start < end && s[start] == ' ')
		start++;
	while (end > start && s[end - 1] == ' ')
		end--;
	if (end == start || end - start > 18)
		return false;
	for (i = start; i < end; i++)
	{
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (s[i] - '0');
	}
	*id = v;
	return true;
}

/* The subject of a canonical code (SPI connected, as the owner); false when none. */
static bool
by_code_find(CodeKind kind, const char *canon, int64 *subject_id)
{
	Datum		args[1];
	bool		isnull;
	bool		found = false;
	uint64		i;

	args[0] = CStringGetTextDatum(canon);
	if (kind == CODE_ORG_CODE)
	{
		Datum		d;

		credit_query_exec(&q_org_code_subject, args, NULL, true, SPI_OK_SELECT,
						  "finding the subject of an organisation code");
		d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
		if (!isnull)
			*subject_id = DatumGetInt64(d);
		return !isnull;
	}
	credit_query_exec(&q_code_subjects, args, NULL, true, SPI_OK_SELECT, "finding the subject of a code");
	for (i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		char	   *code_kind = TextDatumGetCString(SPI_getbinval(tup, SPI_tuptable->tupdesc, 1, &isnull));
		int64		id = DatumGetInt64(SPI_getbinval(tup, SPI_tuptable->tupdesc, 2, &isnull));

		if (strcmp(code_kind, "person_id") == 0)
		{
			/* a person's ID number names the person first */
			if (kind == CODE_RESIDENT_ID)
			{
				*subject_id = id;
				return true;
			}
		}
		else if (!found)
		{
			*subject_id = id;
			found = true;
		}
	}
	return found;
}

/* 22P02 for a text that is no code and no id. */
static void
by_code_invalid(text *code, const char *s, CodeKind kind)
{
	char	   *detail;

	if (kind == CODE_PSEUDONYM)
		detail = "a pseudonym names no subject";
	else
	{
		Datum		args[1];
		bool		isnull;
		Datum		d;

		args[0] = PointerGetDatum(code);
		credit_query_exec(&q_code_problem, args, NULL, true, SPI_OK_SELECT, "reading why a code is none");
		d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
		detail = isnull ? "not a USCC, organisation code or ID number" : TextDatumGetCString(d);
	}
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
			 errmsg("invalid subject code: \"%s\"", text_to_cstring(code)),
			 errdetail("%s", detail)));
}

int64
credit_subject_of_code(text *code, const char *purpose)
{
	size_t		len = VARSIZE_ANY_EXHDR(code);
	const char *s = credit_to_utf8(VARDATA_ANY(code), &len);
	char		canon[CODE_CANON_MAX + 1];
	CodeKind	kind = code_classify(s, len, credit_today_ymd(), credit_uscc_lenient, canon);
	int64		subject_id = 0;
	bool		found;
	CreditScope scope;

	if ((kind == CODE_NONE || kind == CODE_PSEUDONYM) && by_code_digits(s, len, &subject_id))
		return subject_id;
	if (kind == CODE_RESIDENT_ID)
		credit_audit_require_purpose(purpose);
	credit_scope_enter_read(&scope, true);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (kind == CODE_NONE || kind == CODE_PSEUDONYM)
		by_code_invalid(code, s, kind);
	found = by_code_find(kind, canon, &subject_id);
	SPI_finish();
	credit_scope_exit(&scope);

	if (kind == CODE_RESIDENT_ID)
	{
		StringInfoData masked;
		StringInfoData detail;

		initStringInfo(&masked);
		credit_audit_append_masked_id(&masked, canon);
		initStringInfo(&detail);
		appendStringInfo(&detail, "{\"lookup\": \"by_code\", \"id\": \"%s\", \"found\": %s}",
						 masked.data, found ? "true" : "false");
		(void) credit_audit_log(found, subject_id, purpose, detail.data);
		if (!found)
			ereport(ERROR,
					(errcode(ERRCODE_NO_DATA_FOUND),
					 errmsg("no subject is registered with code %s", masked.data)));
	}
	if (!found)
		ereport(ERROR,
				(errcode(ERRCODE_NO_DATA_FOUND),
				 errmsg("no subject is registered with code %s", canon)));
	return subject_id;
}

PG_FUNCTION_INFO_V1(credit_subject_by_code);
/*
 * credit.subject_by_code(code, purpose) → bigint: the subject a code names
 * (NULL for a NULL code); purpose is what a look-up by ID number is logged
 * with.
 */
Datum
credit_subject_by_code(PG_FUNCTION_ARGS)
{
	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	PG_RETURN_INT64(credit_subject_of_code(PG_GETARG_TEXT_PP(0),
										   PG_ARGISNULL(1) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(1))));
}
