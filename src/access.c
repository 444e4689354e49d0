/*
 * access.c
 *      The rules row-level security keys on, and the settings PL/pgSQL code
 *      reads, as C functions:
 *
 *      credit.acting_departments()      units the current user acts for
 *      credit.caller()                  the role the session acts as
 *      credit.caller_departments()      units that role acts for
 *      credit.public_item(item_code)    whether an item is of the public channel
 *      credit.restoring()               the setting credit.restoring
 *      credit.auto_evaluation()         the setting credit.auto_evaluation
 *
 * and, for C code, whether the current user may read whole ID numbers
 * (credit_may_read_person_id).
 *
 * Row-level security policies call the first two once per row and may hold
 * no sub-query (a distributed table refuses them), so each keeps its answer
 * for the rest of the statement: the cache is keyed by the user, the
 * transaction, the statement's start and the command counter, so a later
 * statement (or a change earlier in the same one, which advances the
 * command counter) reads the tables afresh.
 *
 * The settings are read through functions rather than current_setting(...)
 * text: calling a C function of the module loads it, so the setting is the
 * extension's own (superuser-only) variable, never a placeholder that any
 * role could have set before the module was loaded.
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "storage/proc.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "credit.h"
#include "util.h"

/* What a per-statement answer was computed for. */
typedef struct StatementKey
{
	Oid			userid;
	LocalTransactionId lxid;
	TimestampTz stmt_start;
	CommandId	cid;
} StatementKey;

static MemoryContext access_cxt = NULL;

/* The key of the current statement, as the current user. */
static StatementKey
statement_key(void)
{
	StatementKey k;

	k.userid = GetUserId();
	k.lxid = MyProc->lxid;
	k.stmt_start = GetCurrentStatementStartTimestamp();
	k.cid = GetCurrentCommandId(false);
	return k;
}

static bool
statement_key_eq(const StatementKey *a, const StatementKey *b)
{
	return a->userid == b->userid && a->lxid == b->lxid &&
		a->stmt_start == b->stmt_start && a->cid == b->cid;
}

/* The module's long-lived context for the cached answers. */
static MemoryContext
access_context(void)
{
	if (access_cxt == NULL)
		access_cxt = AllocSetContextCreate(TopMemoryContext, "credit access rules",
										   ALLOCSET_SMALL_SIZES);
	return access_cxt;
}

/* ---- units ---- */

static CreditQuery departments_query = {
	"SELECT d.code, d.role::pg_catalog.text FROM credit.department d "
	"WHERE d.role IS NOT NULL ORDER BY d.code",
	0, {InvalidOid}, NULL
};

static StatementKey departments_key = {InvalidOid};
static ArrayType *departments_cached = NULL;

/*
 * The codes of the departments whose role the user is a member of (directly
 * or not, whether the membership inherits or not), in code order.  A
 * department naming a role that does not exist acts for nobody.
 */
static ArrayType *
acting_departments(Oid userid)
{
	CreditScope scope;
	Datum	   *codes;
	int			n = 0;
	uint64		i;
	MemoryContext caller = CurrentMemoryContext;
	ArrayType  *result;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	/* the table of units is read as the owner: no role needs a grant for it */
	credit_scope_enter_reference(&scope);
	credit_query_exec(&departments_query, NULL, NULL, true, SPI_OK_SELECT, "reading credit.department");
	credit_scope_exit(&scope);

	codes = MemoryContextAlloc(caller, sizeof(Datum) * Max(SPI_processed, 1));
	for (i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		char	   *role = SPI_getvalue(tup, desc, 2);
		Oid			roleid = role ? get_role_oid(role, true) : InvalidOid;

		if (OidIsValid(roleid) && is_member_of_role(userid, roleid))
		{
			char	   *code = SPI_getvalue(tup, desc, 1);
			MemoryContext old = MemoryContextSwitchTo(caller);

			codes[n++] = CStringGetTextDatum(code);
			MemoryContextSwitchTo(old);
		}
	}
	SPI_finish();
	result = construct_array(codes, n, TEXTOID, -1, false, TYPALIGN_INT);
	return result;
}

/*
 * The units a user acts for in this statement, from *cache when it was
 * computed for the same user and statement (*key), else afresh.
 */
static Datum
departments_of(Oid userid, StatementKey *key, ArrayType **cache)
{
	StatementKey now = statement_key();

	now.userid = userid;
	if (*cache == NULL || !statement_key_eq(&now, key))
	{
		ArrayType  *a = acting_departments(userid);
		MemoryContext old = MemoryContextSwitchTo(access_context());

		if (*cache)
			pfree(*cache);
		*cache = (ArrayType *) DatumGetPointer(datumCopy(PointerGetDatum(a), false, -1));
		MemoryContextSwitchTo(old);
		*key = now;
	}
	return datumCopy(PointerGetDatum(*cache), false, -1);
}

PG_FUNCTION_INFO_V1(credit_acting_departments);

/*
 * credit.acting_departments() → text[]: the units the current user acts for
 * (empty when none), computed once per statement.
 */
Datum
credit_acting_departments(PG_FUNCTION_ARGS)
{
	PG_RETURN_DATUM(departments_of(GetUserId(), &departments_key, &departments_cached));
}

PG_FUNCTION_INFO_V1(credit_caller);

/*
 * credit.caller() → name: the role the session acts as (the login role, or
 * the one SET ROLE chose), whatever SECURITY DEFINER functions or
 * owner-rights code run at the moment: code running with more rights than
 * its caller asks it whom it acts for.
 */
Datum
credit_caller(PG_FUNCTION_ARGS)
{
	PG_RETURN_DATUM(DirectFunctionCall1(namein, CStringGetDatum(GetUserNameFromId(GetOuterUserId(), false))));
}

static StatementKey caller_key = {InvalidOid};
static ArrayType *caller_cached = NULL;

PG_FUNCTION_INFO_V1(credit_caller_departments);

/*
 * credit.caller_departments() → text[]: the units credit.caller() acts for,
 * computed once per statement.
 */
Datum
credit_caller_departments(PG_FUNCTION_ARGS)
{
	PG_RETURN_DATUM(departments_of(GetOuterUserId(), &caller_key, &caller_cached));
}

/* ---- public-channel items ---- */

static CreditQuery public_items_query = {
	"SELECT c.code FROM credit.catalog_item c "
	"WHERE c.channel OPERATOR(pg_catalog.=) 'public' ORDER BY c.code COLLATE \"C\"",
	0, {InvalidOid}, NULL
};

static StatementKey items_key = {InvalidOid};
static char **items = NULL;		/* sorted (strcmp order) */
static int	nitems = 0;

static int
cmp_cstring(const void *a, const void *b)
{
	return strcmp(*(char *const *) a, *(char *const *) b);
}

/* Load the codes of the public-channel catalogue items. */
static void
load_public_items(void)
{
	CreditScope scope;
	uint64		i;
	MemoryContext cxt = access_context();

	for (i = 0; i < (uint64) nitems; i++)
		pfree(items[i]);
	if (items)
		pfree(items);
	items = NULL;
	nitems = 0;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	credit_scope_enter_reference(&scope);
	credit_query_exec(&public_items_query, NULL, NULL, true, SPI_OK_SELECT, "reading credit.catalog_item");
	credit_scope_exit(&scope);
	items = MemoryContextAlloc(cxt, sizeof(char *) * Max(SPI_processed, 1));
	for (i = 0; i < SPI_processed; i++)
		items[i] = MemoryContextStrdup(cxt, SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1));
	nitems = (int) SPI_processed;
	SPI_finish();
	qsort(items, nitems, sizeof(char *), cmp_cstring);
}

PG_FUNCTION_INFO_V1(credit_public_item);

/*
 * credit.public_item(item_code) → boolean: whether the catalogue item is of
 * the public channel (every unit reads such records), the catalogue read
 * once per statement.
 */
Datum
credit_public_item(PG_FUNCTION_ARGS)
{
	StatementKey key = statement_key();
	char	   *code;
	void	   *hit;

	/* the catalogue does not depend on the user: any user's key will do */
	key.userid = InvalidOid;
	if (items == NULL || !statement_key_eq(&key, &items_key))
	{
		load_public_items();
		items_key = key;
	}
	code = text_to_cstring(PG_GETARG_TEXT_PP(0));
	hit = bsearch(&code, items, nitems, sizeof(char *), cmp_cstring);
	pfree(code);
	PG_RETURN_BOOL(hit != NULL);
}

/* ---- settings ---- */

PG_FUNCTION_INFO_V1(credit_restoring_setting);

/* credit.restoring() → boolean: the session loads a dump (credit.restoring). */
Datum
credit_restoring_setting(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(credit_restoring);
}

PG_FUNCTION_INFO_V1(credit_auto_evaluation_setting);

/* credit.auto_evaluation() → boolean: the record triggers fold (credit.auto_evaluation). */
Datum
credit_auto_evaluation_setting(PG_FUNCTION_ARGS)
{
	const char *v = GetConfigOption("credit.auto_evaluation", false, false);
	bool		on = true;

	if (v == NULL || !parse_bool(v, &on))
		elog(ERROR, "credit.auto_evaluation is not defined");
	PG_RETURN_BOOL(on);
}

/*
 * May the current user read whole ID numbers (credit.subject.person_id, the
 * whole table or the column)?  Decides whether a report shows the number
 * whole and whether a pseudonym computed on demand is logged.
 */
bool
credit_may_read_person_id(void)
{
	Oid			nsp = get_namespace_oid("credit", false);
	Oid			rel = get_relname_relid("subject", nsp);
	AttrNumber	att;
	Oid			user = GetUserId();

	if (!OidIsValid(rel))
		return false;
	if (pg_class_aclcheck(rel, user, ACL_SELECT) == ACLCHECK_OK)
		return true;
	att = get_attnum(rel, "person_id");
	return att != InvalidAttrNumber && pg_attribute_aclcheck(rel, att, user, ACL_SELECT) == ACLCHECK_OK;
}
