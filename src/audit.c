/*
 * audit.c
 *      Look-ups of people logged so that the caller's ROLLBACK cannot undo
 *      them: every row of credit.query_log is written and committed by a
 *      background worker of the database, in a transaction of its own,
 *      before the look-up returns its answer.
 *
 * With credit in shared_preload_libraries, shared memory holds one request
 * slot per backend and a table of workers, one per database, started on
 * demand (a dynamic background worker) and stopped after a minute without
 * work.  A backend that looks a person up:
 *
 *   1. fills its slot (who, when, subject, purpose, detail) and marks it
 *      pending;
 *   2. wakes its database's worker, starting one if there is none;
 *   3. waits on its latch until the worker has committed the row (or says
 *      why it could not), and only then returns, with the row's id.
 *
 * The worker takes every pending request of its database, inserts each in
 * a subtransaction of one transaction (one commit for the batch), commits,
 * then marks the requests done and wakes their backends.  A backend
 * interrupted while waiting (cancel, timeout) gets no answer; its request is
 * still logged, and the slot is reused only once the worker is done with it.
 * A worker that exits puts the requests it had taken back to pending, so
 * the next worker logs them.
 *
 * Without preloading there is no shared memory to hand requests over, and
 * a look-up is refused (55000) with the fix in the hint.
 */
#include "postgres.h"

#include <signal.h>

#include "access/xact.h"
#include "access/xlog.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/lwlock.h"
#include "storage/proc.h"
#include "storage/shmem.h"
#include "tcop/tcopprot.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "audit.h"
#include "util.h"

/* databases with a worker at the same time */
#define AUDIT_WORKERS       32
/* a worker without work for this long stops */
#define AUDIT_IDLE_MS       60000
/* a worker that has not announced itself this long after it was asked for is started again */
#define AUDIT_START_MS      10000
#define AUDIT_ERROR_MAX     256

typedef enum AuditState
{
	AUDIT_FREE = 0,
	AUDIT_PENDING,				/* waiting for the worker */
	AUDIT_TAKEN,				/* in the worker's current batch */
	AUDIT_DONE,					/* committed: result_id is the row */
	AUDIT_FAILED				/* not logged: error says why */
} AuditState;

typedef struct AuditRequest
{
	AuditState	state;
	Oid			dboid;
	pid_t		taker;			/* worker holding it (AUDIT_TAKEN) */
	Latch	   *latch;			/* the requesting backend's */
	NameData	who;
	TimestampTz at;
	bool		has_subject;
	int64		subject_id;
	int64		result_id;
	char		purpose[AUDIT_PURPOSE_MAX + 1];
	char		detail[AUDIT_DETAIL_MAX + 1];
	char		error[AUDIT_ERROR_MAX];
} AuditRequest;

typedef struct AuditWorkerSlot
{
	Oid			dboid;			/* InvalidOid: free */
	pid_t		pid;			/* 0 until the worker has started */
	Latch	   *latch;
	TimestampTz asked_at;		/* when a backend registered the worker */
} AuditWorkerSlot;

typedef struct AuditShared
{
	LWLock	   *lock;			/* every field below */
	int			nrequests;
	AuditWorkerSlot workers[AUDIT_WORKERS];
	AuditRequest requests[FLEXIBLE_ARRAY_MEMBER];	/* one per backend id */
} AuditShared;

static AuditShared *audit = NULL;
static shmem_request_hook_type prev_shmem_request_hook = NULL;
static shmem_startup_hook_type prev_shmem_startup_hook = NULL;

PGDLLEXPORT void credit_audit_worker_main(Datum arg);

static Size
audit_shmem_size(void)
{
	return add_size(offsetof(AuditShared, requests), mul_size(sizeof(AuditRequest), MaxBackends));
}

/* shmem_request_hook: the shared state and its lock. */
static void
audit_shmem_request(void)
{
	if (prev_shmem_request_hook)
		prev_shmem_request_hook();
	RequestAddinShmemSpace(audit_shmem_size());
	RequestNamedLWLockTranche("credit audit", 1);
}

/* shmem_startup_hook: create (or attach to) the shared state. */
static void
audit_shmem_startup(void)
{
	bool		found;

	if (prev_shmem_startup_hook)
		prev_shmem_startup_hook();
	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	audit = ShmemInitStruct("credit audit", audit_shmem_size(), &found);
	if (!found)
	{
		memset(audit, 0, audit_shmem_size());
		audit->lock = &(GetNamedLWLockTranche("credit audit"))->lock;
		audit->nrequests = MaxBackends;
	}
	LWLockRelease(AddinShmemInitLock);
}

/* Called from _PG_init: only a preloaded library gets the shared memory. */
void
credit_audit_init(void)
{
	if (!process_shared_preload_libraries_in_progress)
		return;
	prev_shmem_request_hook = shmem_request_hook;
	shmem_request_hook = audit_shmem_request;
	prev_shmem_startup_hook = shmem_startup_hook;
	shmem_startup_hook = audit_shmem_startup;
}

/* ---- the requesting backend ---- */

/* Is the process alive (a worker that exited without clearing its slot is not)? */
static bool
process_alive(pid_t pid)
{
	return pid > 0 && (kill(pid, 0) == 0 || errno != ESRCH);
}

/*
 * Make sure this database has a worker and wake it; start one if there is
 * none, or if the one asked for has not started in time.
 */
static void
wake_worker(void)
{
	int			i;
	int			slot = -1;
	bool		start = false;
	TimestampTz now = GetCurrentTimestamp();
	BackgroundWorker w;
	BackgroundWorkerHandle *handle;

	LWLockAcquire(audit->lock, LW_EXCLUSIVE);
	for (i = 0; i < AUDIT_WORKERS; i++)
		if (audit->workers[i].dboid == MyDatabaseId)
		{
			slot = i;
			break;
		}
	if (slot >= 0)
	{
		AuditWorkerSlot *ws = &audit->workers[slot];

		if (ws->pid != 0 && ws->latch != NULL && process_alive(ws->pid))
			SetLatch(ws->latch);
		else if ((ws->pid != 0 && !process_alive(ws->pid)) ||
				 (ws->pid == 0 && TimestampDifferenceExceeds(ws->asked_at, now, AUDIT_START_MS)))
		{
			ws->pid = 0;
			ws->latch = NULL;
			ws->asked_at = now;
			start = true;
		}
	}
	else
	{
		for (i = 0; i < AUDIT_WORKERS; i++)
			if (audit->workers[i].dboid == InvalidOid)
			{
				slot = i;
				break;
			}
		if (slot < 0)
		{
			LWLockRelease(audit->lock);
			ereport(ERROR,
					(errcode(ERRCODE_CONFIGURATION_LIMIT_EXCEEDED),
					 errmsg("look-ups of people are being logged in %d databases already", AUDIT_WORKERS),
					 errdetail("Each database logs look-ups through a background worker of its own.")));
		}
		audit->workers[slot].dboid = MyDatabaseId;
		audit->workers[slot].pid = 0;
		audit->workers[slot].latch = NULL;
		audit->workers[slot].asked_at = now;
		start = true;
	}
	LWLockRelease(audit->lock);
	if (!start)
		return;

	memset(&w, 0, sizeof(w));
	w.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	w.bgw_start_time = BgWorkerStart_RecoveryFinished;
	w.bgw_restart_time = BGW_NEVER_RESTART;
	snprintf(w.bgw_library_name, BGW_MAXLEN, "credit");
	snprintf(w.bgw_function_name, BGW_MAXLEN, "credit_audit_worker_main");
	snprintf(w.bgw_name, BGW_MAXLEN, "credit audit worker for database %u", MyDatabaseId);
	snprintf(w.bgw_type, BGW_MAXLEN, "credit audit worker");
	w.bgw_main_arg = ObjectIdGetDatum(MyDatabaseId);
	w.bgw_notify_pid = 0;
	if (!RegisterDynamicBackgroundWorker(&w, &handle))
	{
		LWLockAcquire(audit->lock, LW_EXCLUSIVE);
		if (audit->workers[slot].dboid == MyDatabaseId && audit->workers[slot].pid == 0)
			audit->workers[slot].dboid = InvalidOid;
		LWLockRelease(audit->lock);
		ereport(ERROR,
				(errcode(ERRCODE_CONFIGURATION_LIMIT_EXCEEDED),
				 errmsg("could not start the worker that logs look-ups of people"),
				 errdetail("A look-up of a person is answered only once it is logged."),
				 errhint("Raise max_worker_processes.")));
	}
}

/* The state of a request slot (read under the lock). */
static AuditState
request_state(AuditRequest *r)
{
	AuditState	st;

	LWLockAcquire(audit->lock, LW_SHARED);
	st = r->state;
	LWLockRelease(audit->lock);
	return st;
}

/*
 * Wait until the worker is done with the request (done or failed); every
 * second without an answer, see that a worker is there.
 */
static void
wait_for_worker(AuditRequest *r)
{
	for (;;)
	{
		AuditState	st = request_state(r);
		int			rc;

		if (st != AUDIT_PENDING && st != AUDIT_TAKEN)
			return;
		rc = WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH, 1000, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
		CHECK_FOR_INTERRUPTS();
		if (rc & WL_TIMEOUT)
			wake_worker();
	}
}

int64
credit_audit_log(bool has_subject, int64 subject_id, const char *purpose, const char *detail_json)
{
	AuditRequest *r;
	int			idx = MyBackendId - 1;
	AuditState	st;
	int64		id;
	char		error[AUDIT_ERROR_MAX];

	if (audit == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("looking a person up needs credit in shared_preload_libraries"),
				 errdetail("Every look-up of a person is logged in credit.query_log by a background worker of the extension, "
						   "so that the caller's ROLLBACK cannot undo it; the worker needs the shared memory of a preloaded library."),
				 errhint("Set shared_preload_libraries = 'credit' (or 'pg_cron,credit' where pg_cron is used) in postgresql.conf and restart the server.")));
	if (RecoveryInProgress())
		ereport(ERROR,
				(errcode(ERRCODE_READ_ONLY_SQL_TRANSACTION),
				 errmsg("cannot look a person up during recovery"),
				 errdetail("A look-up of a person is answered only once it is logged in credit.query_log, which a standby cannot write.")));
	if (strlen(purpose) > AUDIT_PURPOSE_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_STRING_DATA_RIGHT_TRUNCATION),
				 errmsg("the purpose of a look-up is at most %d bytes long", AUDIT_PURPOSE_MAX)));
	if (strlen(detail_json) > AUDIT_DETAIL_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_STRING_DATA_RIGHT_TRUNCATION),
				 errmsg("the detail of a logged look-up is at most %d bytes long", AUDIT_DETAIL_MAX)));
	if (idx < 0 || idx >= audit->nrequests)
		elog(ERROR, "credit audit: backend id %d out of range", MyBackendId);
	r = &audit->requests[idx];

	/* a request left by an interrupted look-up is finished first */
	wait_for_worker(r);

	/* the slot is ours: nobody reads it while it is not pending */
	r->dboid = MyDatabaseId;
	r->latch = MyLatch;
	namestrcpy(&r->who, GetUserNameFromId(GetSessionUserId(), false));
	r->at = GetCurrentTimestamp();
	r->has_subject = has_subject;
	r->subject_id = subject_id;
	r->result_id = 0;
	strlcpy(r->purpose, purpose, sizeof(r->purpose));
	strlcpy(r->detail, detail_json, sizeof(r->detail));
	r->error[0] = '\0';
	LWLockAcquire(audit->lock, LW_EXCLUSIVE);
	r->state = AUDIT_PENDING;
	LWLockRelease(audit->lock);

	wake_worker();
	wait_for_worker(r);

	LWLockAcquire(audit->lock, LW_EXCLUSIVE);
	st = r->state;
	id = r->result_id;
	strlcpy(error, r->error, sizeof(error));
	r->state = AUDIT_FREE;
	LWLockRelease(audit->lock);
	if (st != AUDIT_DONE)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("could not log the look-up in credit.query_log: %s", error),
				 errdetail("A look-up of a person is answered only once it is logged.")));
	return id;
}

/* Refuse (22023) a look-up's purpose that is missing or blank. */
void
credit_audit_require_purpose(const char *purpose)
{
	if (purpose == NULL || purpose[strspn(purpose, " \t\r\n")] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a purpose is required to log a look-up")));
}

PG_FUNCTION_INFO_V1(credit_log_lookup);

/*
 * credit.log_lookup(subject_id, purpose, detail) → bigint: log a look-up as
 * the session user, committed before it returns.
 */
Datum
credit_log_lookup(PG_FUNCTION_ARGS)
{
	char	   *purpose = PG_ARGISNULL(1) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(1));
	char	   *detail = "{}";

	credit_audit_require_purpose(purpose);
	if (!PG_ARGISNULL(2))
	{
		Jsonb	   *j = PG_GETARG_JSONB_P(2);

		detail = JsonbToCString(NULL, &j->root, VARSIZE(j));
	}

	/*
	 * A look-up is of someone: a subject, or, for a search that found none
	 * (credit.find_person), a detail saying what was looked up.  A row with
	 * neither would log nothing.
	 */
	if (PG_ARGISNULL(0) && (PG_ARGISNULL(2) || JB_ROOT_COUNT(PG_GETARG_JSONB_P(2)) == 0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a look-up needs a subject, or a detail saying what was looked up"),
				 errhint("Pass the subject's id, or for a search that found no subject, what was searched for in detail.")));
	PG_RETURN_INT64(credit_audit_log(!PG_ARGISNULL(0), PG_ARGISNULL(0) ? 0 : PG_GETARG_INT64(0),
									 purpose, detail));
}

/* ---- the worker ---- */

static int	my_slot = -1;

static CreditQuery insert_query = {
	"INSERT INTO credit.query_log (who, at, subject_id, purpose, detail) "
	"VALUES ($1, $2, $3, $4, $5::pg_catalog.jsonb) RETURNING id",
	5, {NAMEOID, TIMESTAMPTZOID, INT8OID, TEXTOID, TEXTOID}, NULL
};

/* On exit: free the worker's slot; requests it had taken go back to pending. */
static void
worker_exit(int code, Datum arg)
{
	int			i;

	if (audit == NULL)
		return;
	LWLockReleaseAll();
	LWLockAcquire(audit->lock, LW_EXCLUSIVE);
	if (my_slot >= 0 && audit->workers[my_slot].pid == MyProcPid)
	{
		audit->workers[my_slot].dboid = InvalidOid;
		audit->workers[my_slot].pid = 0;
		audit->workers[my_slot].latch = NULL;
	}
	for (i = 0; i < audit->nrequests; i++)
		if (audit->requests[i].state == AUDIT_TAKEN && audit->requests[i].taker == MyProcPid)
		{
			audit->requests[i].state = AUDIT_PENDING;
			SetLatch(audit->requests[i].latch); /* its backend starts a new
												 * worker */
		}
	LWLockRelease(audit->lock);
}

/*
 * Insert the row of one request in a subtransaction of the batch's
 * transaction; false (and why in error) when it fails.
 */
static bool
log_one(AuditRequest *r, int64 *id, char *error)
{
	MemoryContext txn_cxt = CurrentMemoryContext;
	ResourceOwner owner = CurrentResourceOwner;
	Datum		values[5];
	char		nulls[5] = {' ', ' ', ' ', ' ', ' '};
	volatile bool ok = false;

	values[0] = NameGetDatum(&r->who);
	values[1] = TimestampTzGetDatum(r->at);
	values[2] = Int64GetDatum(r->subject_id);
	nulls[2] = r->has_subject ? ' ' : 'n';
	values[3] = CStringGetTextDatum(r->purpose);
	values[4] = CStringGetTextDatum(r->detail);

	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(txn_cxt);
	PG_TRY();
	{
		bool		isnull;

		if (credit_query_run(&insert_query, values, nulls, false, 1) != SPI_OK_INSERT_RETURNING ||
			SPI_processed != 1)
			elog(ERROR, "inserting into credit.query_log failed");
		*id = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
		ReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(txn_cxt);
		CurrentResourceOwner = owner;
		ok = true;
	}
	PG_CATCH();
	{
		ErrorData  *e;

		MemoryContextSwitchTo(txn_cxt);
		e = CopyErrorData();
		FlushErrorState();
		RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(txn_cxt);
		CurrentResourceOwner = owner;
		strlcpy(error, e->message, AUDIT_ERROR_MAX);
		FreeErrorData(e);
	}
	PG_END_TRY();
	return ok;
}

/* Insert the rows of the requests idx[0..n-1], commit, and hand out the answers. */
static void
log_batch(const int *idx, int n, int64 *ids, bool *ok, char (*errors)[AUDIT_ERROR_MAX])
{
	MemoryContext worker_cxt = CurrentMemoryContext;

	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	PG_TRY();
	{
		CreditScope scope;
		int			i;

		if (SPI_connect() != SPI_OK_CONNECT)
			elog(ERROR, "SPI_connect failed");
		PushActiveSnapshot(GetTransactionSnapshot());
		pgstat_report_activity(STATE_RUNNING, "logging look-ups in credit.query_log");
		credit_scope_enter(&scope, true);
		for (i = 0; i < n; i++)
			ok[i] = log_one(&audit->requests[idx[i]], &ids[i], errors[i]);
		credit_scope_exit(&scope);
		SPI_finish();
		PopActiveSnapshot();
		CommitTransactionCommand();
	}
	PG_CATCH();
	{
		ErrorData  *e;
		int			i;

		MemoryContextSwitchTo(worker_cxt);
		e = CopyErrorData();
		FlushErrorState();
		AbortCurrentTransaction();
		ereport(LOG,
				(errmsg("credit audit worker could not log %d look-ups: %s", n, e->message)));
		for (i = 0; i < n; i++)
		{
			ok[i] = false;
			strlcpy(errors[i], e->message, AUDIT_ERROR_MAX);
		}
		FreeErrorData(e);
	}
	PG_END_TRY();
	MemoryContextSwitchTo(worker_cxt);
	pgstat_report_activity(STATE_IDLE, NULL);

	/* committed (or not at all): now the backends may answer */
	LWLockAcquire(audit->lock, LW_EXCLUSIVE);
	for (int i = 0; i < n; i++)
	{
		AuditRequest *r = &audit->requests[idx[i]];

		if (r->state != AUDIT_TAKEN || r->taker != MyProcPid)
			continue;
		r->result_id = ok[i] ? ids[i] : 0;
		if (!ok[i])
			strlcpy(r->error, errors[i], AUDIT_ERROR_MAX);
		r->state = ok[i] ? AUDIT_DONE : AUDIT_FAILED;
		SetLatch(r->latch);
	}
	LWLockRelease(audit->lock);
}

/*
 * Main function of a database's audit worker (a dynamic background worker,
 * argument: the database's OID): logs the database's pending look-ups until
 * it has had nothing to do for AUDIT_IDLE_MS.
 */
void
credit_audit_worker_main(Datum arg)
{
	Oid			dboid = DatumGetObjectId(arg);
	int			i;
	int		   *idx;
	int64	   *ids;
	bool	   *ok;
	char		(*errors)[AUDIT_ERROR_MAX];
	TimestampTz last_work;

	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();
	BackgroundWorkerInitializeConnectionByOid(dboid, InvalidOid, 0);
	if (audit == NULL)
		proc_exit(1);

	/* announce ourselves in the database's slot, unless a live worker has it */
	LWLockAcquire(audit->lock, LW_EXCLUSIVE);
	for (i = 0; i < AUDIT_WORKERS; i++)
		if (audit->workers[i].dboid == dboid)
			break;
	if (i < AUDIT_WORKERS && audit->workers[i].pid != 0 && audit->workers[i].pid != MyProcPid &&
		process_alive(audit->workers[i].pid))
	{
		LWLockRelease(audit->lock);
		proc_exit(0);
	}
	if (i == AUDIT_WORKERS)
		for (i = 0; i < AUDIT_WORKERS; i++)
			if (audit->workers[i].dboid == InvalidOid)
				break;
	if (i == AUDIT_WORKERS)
	{
		LWLockRelease(audit->lock);
		proc_exit(1);
	}
	audit->workers[i].dboid = dboid;
	audit->workers[i].pid = MyProcPid;
	audit->workers[i].latch = MyLatch;
	my_slot = i;
	LWLockRelease(audit->lock);
	before_shmem_exit(worker_exit, (Datum) 0);

	/*
	 * never wait long behind a lock: the backends waiting are told why
	 * instead
	 */
	SetConfigOption("lock_timeout", "10s", PGC_SUSET, PGC_S_OVERRIDE);
	SetConfigOption("application_name", "credit audit worker", PGC_USERSET, PGC_S_OVERRIDE);

	idx = palloc(sizeof(int) * audit->nrequests);
	ids = palloc(sizeof(int64) * audit->nrequests);
	ok = palloc(sizeof(bool) * audit->nrequests);
	errors = palloc(sizeof(*errors) * audit->nrequests);
	last_work = GetCurrentTimestamp();
	for (;;)
	{
		int			n = 0;
		TimestampTz now;
		long		idle_ms;

		ResetLatch(MyLatch);
		CHECK_FOR_INTERRUPTS();

		LWLockAcquire(audit->lock, LW_EXCLUSIVE);
		for (i = 0; i < audit->nrequests; i++)
		{
			AuditRequest *r = &audit->requests[i];

			if (r->state == AUDIT_PENDING && r->dboid == dboid)
			{
				r->state = AUDIT_TAKEN;
				r->taker = MyProcPid;
				idx[n++] = i;
			}
		}
		now = GetCurrentTimestamp();
		idle_ms = (long) ((now - last_work) / 1000);
		if (n == 0 && idle_ms >= AUDIT_IDLE_MS)
		{
			/* nothing pending (checked under the lock): stop */
			audit->workers[my_slot].dboid = InvalidOid;
			audit->workers[my_slot].pid = 0;
			audit->workers[my_slot].latch = NULL;
			LWLockRelease(audit->lock);
			proc_exit(0);
		}
		LWLockRelease(audit->lock);

		if (n > 0)
		{
			log_batch(idx, n, ids, ok, errors);
			last_work = GetCurrentTimestamp();
			continue;
		}
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 AUDIT_IDLE_MS - idle_ms, PG_WAIT_EXTENSION);
	}
}

/* A person's ID number masked for a log detail: 110105********002X. */
void
credit_audit_append_masked_id(StringInfo buf, const char *canon)
{
	appendStringInfo(buf, "%.6s********%.4s", canon, canon + 14);
}
