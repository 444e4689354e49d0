/*
 * util.h
 *      Helpers shared by every concern: dates, encodings, array builders, running as the
 *      extension's owner with a pinned search_path, and saved SPI plans keyed
 *      by identity.
 */
#ifndef CREDIT_UTIL_H
#define CREDIT_UTIL_H

#include "postgres.h"

#include "access/htup.h"
#include "access/tupdesc.h"
#include "executor/spi.h"
#include "utils/date.h"
#include "utils/relcache.h"

/* ---- dates ---- */

/* CURRENT_DATE (cached per transaction start and time zone), and as YYYYMMDD. */
extern DateADT credit_today(void);
extern int	credit_today_ymd(void);

/*
 * A date as ISO 8601 text (YYYY-MM-DD, "infinity", "-infinity") whatever the
 * session's DateStyle says: the one form messages show dates in.
 */
extern char *credit_date_text(DateADT d);

/* ---- encodings ---- */

/*
 * Text in the server encoding, converted to UTF-8 when needed so that the
 * parsers (which work on UTF-8) recognise full-width characters; *len is
 * updated.
 */
extern const char *credit_to_utf8(const char *s, size_t *len);

/* A reason produced from UTF-8 input, readable in the server encoding. */
extern const char *credit_reason_to_server(const char *reason);

/*
 * Input quoted in a message: at most CREDIT_CLIP_BYTES bytes (whole
 * characters), then "...", as PostgreSQL shows values in "Failing row
 * contains" details, so a huge value never floods the message and the log.
 */
#define CREDIT_CLIP_BYTES 64
extern char *credit_clip(const char *s, size_t len);

/*
 * The error (22023) for a subject that does not exist or is not given (NULL),
 * worded alike by every function that takes a subject.
 */
extern void credit_subject_missing(bool isnull, int64 subject_id) pg_attribute_noreturn();

/* ---- one-dimensional arrays for query arguments ---- */

extern Datum credit_int8_array(const int64 *v, int n);
extern Datum credit_float8_array(const double *v, int n);
extern Datum credit_bool_array(const bool *v, int n);
extern Datum credit_date_array(const DateADT *v, int n);

/* text or bytea datums; nulls may be NULL (no NULL element) */
extern Datum credit_varlena_array(Datum *d, bool *nulls, int n, Oid type);

/* text from C strings; a NULL pointer gives a NULL element */
extern Datum credit_text_array(char *const *s, int n);

/*
 * The elements of a one-dimensional array column of an SPI result row: their
 * number, -1 when the column is NULL, -2 when the array has more dimensions.
 */
extern int	credit_spi_array(HeapTuple tup, TupleDesc td, int col, Oid elemtype,
							 Datum **d, bool **nulls);

/* ---- running with more rights than the caller ---- */

/*
 * A scope of code that runs SPI queries: the search_path is pinned to
 * "pg_catalog, pg_temp" for its duration (so neither a caller's schema nor
 * its pg_temp can supply a type, function or operator the queries name), and
 * with as_owner the user is switched to the extension's owner (as a
 * SECURITY DEFINER function would be; row-level security is not forced on the
 * owner).  (Not a security-restricted operation: the fold queues a deferred
 * trigger event, which such operations may not.)  Every query run inside
 * names its objects schema-qualified.  Scopes nest; leave them in reverse
 * order.  An error inside needs no cleanup: transaction (or subtransaction)
 * abort restores the user and the settings.
 */
typedef struct CreditScope
{
	Oid			save_userid;
	int			save_sec;
	int			guc_level;		/* -1: pinned by an override */
	bool		switched;
} CreditScope;

extern void credit_scope_enter(CreditScope *s, bool as_owner);
extern void credit_scope_exit(CreditScope *s);
extern void credit_scope_enter_reference(CreditScope *s);

/*
 * The same scope with the search path pinned by an override instead of the
 * setting (cheaper, for the per-request read paths; see util.c): only the
 * extension's own queries and functions may run inside.
 */
extern void credit_scope_enter_read(CreditScope *s, bool as_owner);

/* Whether Citus is loaded into this server. */
extern bool credit_citus_loaded(void);

/* Whether this backend runs a Citus coordinator's commands on a worker. */
extern bool credit_citus_worker_backend(void);

/* Whether a relation is a shard of a table Citus distributes (false without Citus). */
extern bool credit_citus_shard(Relation rel);

/* ---- saved plans ---- */

#define CREDIT_QUERY_MAXARGS 16

/*
 * A static query of the extension: its text names every object
 * schema-qualified; the plan is prepared on first use (generic, for any
 * array sizes) and kept for the backend's life in the struct itself, so a
 * plan is found by the query's identity, never by its text.  The plan cache
 * revalidates it after DDL.
 */
typedef struct CreditQuery
{
	const char *sql;
	int			nargs;
	Oid			argtypes[CREDIT_QUERY_MAXARGS];
	SPIPlanPtr	plan;
} CreditQuery;

/* The saved plan of a query, prepared on first use (inside a credit_scope). */
extern SPIPlanPtr credit_query_plan(CreditQuery *q);

/* Run a saved query inside a credit_scope (values as for SPI_execute_plan). */
extern int	credit_query_run(CreditQuery *q, Datum *values, const char *nulls,
							 bool readonly, long count);

/* Run a saved query and error out unless SPI returned the expected code. */
extern void credit_query_exec(CreditQuery *q, Datum *values, const char *nulls,
							  bool readonly, int expected, const char *what);

#endif							/* CREDIT_UTIL_H */
