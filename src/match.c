/*
 * match.c
 *      credit.match, credit.cross_match and credit.parse_code over the
 *      per-backend index of active list entries (match_index.c), and the
 *      statement trigger that tells every backend the list tables changed.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "mb/pg_wchar.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/inval.h"
#include "utils/tuplestore.h"

#include "audit.h"
#include "credit.h"
#include "util.h"
#include "match.h"

/* Classify text as a code: kind and canonical form (kind CODE_NONE when unrecognised). */
static CodeKind
classify_text(text *t, char *canon)
{
	size_t		len = VARSIZE_ANY_EXHDR(t);
	const char *s = credit_to_utf8(VARDATA_ANY(t), &len);

	return code_classify(s, len, credit_today_ymd(), credit_uscc_lenient, canon);
}

/* credit.parse_code(text) → (kind, canonical, org_code): how a list entry's code is read. */
PG_FUNCTION_INFO_V1(credit_parse_code);
Datum
credit_parse_code(PG_FUNCTION_ARGS)
{
	TupleDesc	desc;
	Datum		values[3];
	bool		nulls[3] = {true, true, true};
	char		canon[CODE_CANON_MAX + 1];
	CodeKind	kind;

	if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	kind = classify_text(PG_GETARG_TEXT_PP(0), canon);
	if (kind != CODE_NONE)
	{
		values[0] = CStringGetTextDatum(code_kind_name(kind));
		values[1] = CStringGetTextDatum(canon);
		nulls[0] = nulls[1] = false;
		if (kind == CODE_USCC)
		{
			values[2] = PointerGetDatum(cstring_to_text_with_len(canon + 8, ORG_CODE_LEN));
			nulls[2] = false;
		}
		else if (kind == CODE_ORG_CODE)
		{
			values[2] = CStringGetTextDatum(canon);
			nulls[2] = false;
		}
	}
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(desc), values, nulls)));
}

/* Which of the index's lists a text[] names (NULL array: all); unknown codes are an error. */
static bool *
wanted_lists(MIndex *ix, ArrayType *arr)
{
	bool	   *want = palloc0(sizeof(bool) * (ix->nlists + 1));
	Datum	   *elems;
	bool	   *enulls;
	int			n,
				i,
				k;

	deconstruct_array(arr, TEXTOID, -1, false, TYPALIGN_INT, &elems, &enulls, &n);
	for (i = 0; i < n; i++)
	{
		char	   *code;

		if (enulls[i])
			continue;
		code = TextDatumGetCString(elems[i]);
		for (k = 0; k < ix->nlists; k++)
			if (strcmp(ix->lists[k], code) == 0)
				break;
		if (k == ix->nlists)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("list \"%s\" does not exist", credit_clip(code, strlen(code))),
					 errhint("The lists are the rows of credit.list.")));
		want[k] = true;
	}
	return want;
}

/* Index of a list code in the index, or an error. */
static int
list_index(MIndex *ix, const char *code)
{
	int			k;

	for (k = 0; k < ix->nlists; k++)
		if (strcmp(ix->lists[k], code) == 0)
			return k;
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("list \"%s\" does not exist", credit_clip(code, strlen(code))),
			 errhint("The lists are the rows of credit.list.")));
	return -1;
}

/* A threshold argument: in [0, 1]. */
static double
similarity_arg(FunctionCallInfo fcinfo, int argno)
{
	double		v;

	if (PG_ARGISNULL(argno))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("min_similarity must not be NULL")));
	v = PG_GETARG_FLOAT4(argno);
	if (!(v >= 0.0 && v <= 1.0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("min_similarity must be between 0 and 1, not %g", v)));
	return v;
}

/*
 * A probe by a person's ID number is a look-up of that person, whether or not
 * it matches: logged (credit.query_log, committed by the audit worker) before
 * the answer is returned, with the number masked, so that matching cannot
 * turn a masked number into the whole one unseen.  Roles that may read the
 * numbers (credit_may_read_person_id) learn nothing by probing, as for
 * pseudonyms.
 */
static void
log_person_probe(const char *canon, int nhits)
{
	StringInfoData detail;

	initStringInfo(&detail);
	appendStringInfoString(&detail, "{\"lookup\": \"match\", \"id\": \"");
	credit_audit_append_masked_id(&detail, canon);
	appendStringInfo(&detail, "\", \"matched\": %d}", nhits);
	(void) credit_audit_log(false, 0, "list match by ID number", detail.data);
	pfree(detail.data);
}

/*
 * credit.match(name, code, lists, min_similarity) → TABLE(entry_id, list_code,
 * level, similarity): the active list entries a subject matches.
 */
PG_FUNCTION_INFO_V1(credit_match);
Datum
credit_match(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	double		min_sim = similarity_arg(fcinfo, 3);
	MIndex	   *ix;
	MProbe		probe;
	bool	   *want = NULL;
	MHit	   *hits = NULL;
	int			nhits = 0,
				cap = 0,
				i;

	/*
	 * Materialize mode; with no hits the executor makes the (empty) result
	 * itself, which spares a tuplestore per probe that matches nothing.
	 */
	if (rsinfo == NULL || !IsA(rsinfo, ReturnSetInfo) ||
		(rsinfo->allowedModes & SFRM_Materialize) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("materialize mode required, but it is not allowed in this context")));
	rsinfo->returnMode = SFRM_Materialize;
	if (PG_ARGISNULL(0) && PG_ARGISNULL(1))
		return (Datum) 0;

	ix = match_index_get();
	memset(&probe, 0, sizeof(probe));
	if (!PG_ARGISNULL(2))
		want = wanted_lists(ix, PG_GETARG_ARRAYTYPE_P(2));
	if (!PG_ARGISNULL(0))
	{
		text	   *name = PG_GETARG_TEXT_PP(0);
		char	   *key = credit_normalize(VARDATA_ANY(name), VARSIZE_ANY_EXHDR(name), &probe.name_len);

		if (GetDatabaseEncoding() != PG_UTF8)
		{
			key = (char *) pg_server_to_any(key, (int) probe.name_len, PG_UTF8);
			probe.name_len = strlen(key);
		}
		probe.name_key = key;
	}
	probe.kind = PG_ARGISNULL(1) ? CODE_NONE : classify_text(PG_GETARG_TEXT_PP(1), probe.canon);
	match_probe_prepare(ix, &probe);
	match_probe(ix, &probe, want, min_sim, &hits, &nhits, &cap);
	if (probe.kind == CODE_RESIDENT_ID && !credit_may_read_person_id())
		log_person_probe(probe.canon, nhits);
	if (nhits == 0)
		return (Datum) 0;

	InitMaterializedSRF(fcinfo, MAT_SRF_USE_EXPECTED_DESC);
	for (i = 0; i < nhits; i++)
	{
		MEntry	   *e = &ix->entries[hits[i].entry];
		Datum		values[4];
		bool		nulls[4] = {false, false, false, false};

		values[0] = Int64GetDatum(e->id);
		values[1] = CStringGetTextDatum(ix->lists[e->list]);
		values[2] = CStringGetTextDatum(match_level_names[hits[i].level]);
		if (hits[i].similarity < 0)
			nulls[3] = true;
		else
			values[3] = Float4GetDatum((float4) hits[i].similarity);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

/*
 * credit.cross_match(left_list, right_list, min_similarity) → TABLE(left_entry,
 * right_entry, level, similarity): every active entry of the left list probed
 * against the right list.
 */
PG_FUNCTION_INFO_V1(credit_cross_match);
Datum
credit_cross_match(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	double		min_sim = similarity_arg(fcinfo, 2);
	MIndex	   *ix;
	char	   *left,
			   *right;
	int			li,
				ri;
	bool	   *want;
	MHit	   *hits = NULL;
	int			cap = 0;
	int32		n;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("both lists must be given")));
	InitMaterializedSRF(fcinfo, MAT_SRF_USE_EXPECTED_DESC);
	left = text_to_cstring(PG_GETARG_TEXT_PP(0));
	right = text_to_cstring(PG_GETARG_TEXT_PP(1));
	ix = match_index_get();
	li = list_index(ix, left);
	ri = list_index(ix, right);
	want = palloc0(sizeof(bool) * (ix->nlists + 1));
	want[ri] = true;

	for (n = 0; n < ix->nentries; n++)
	{
		MEntry	   *e = &ix->entries[n];
		MProbe		probe;
		int			nhits = 0,
					i;

		if (e->list != li)
			continue;
		CHECK_FOR_INTERRUPTS();
		memset(&probe, 0, sizeof(probe));
		probe.name_key = e->name_key;
		probe.name_len = e->name_len;
		probe.kind = (CodeKind) e->kind;
		if (e->canon)
			strlcpy(probe.canon, e->canon, sizeof(probe.canon));
		probe.self_id = e->id;
		match_probe_prepare(ix, &probe);
		match_probe(ix, &probe, want, min_sim, &hits, &nhits, &cap);
		for (i = 0; i < nhits; i++)
		{
			Datum		values[4];
			bool		nulls[4] = {false, false, false, false};

			values[0] = Int64GetDatum(e->id);
			values[1] = Int64GetDatum(ix->entries[hits[i].entry].id);
			values[2] = CStringGetTextDatum(match_level_names[hits[i].level]);
			if (hits[i].similarity < 0)
				nulls[3] = true;
			else
				values[3] = Float4GetDatum((float4) hits[i].similarity);
			tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		}
	}
	return (Datum) 0;
}
