/*
 * intake.h
 *      The rows of an intake statement as the checks read them
 *      (intake_check.c, each row read and judged in intake_problem.c), as
 *      their records are assigned (intake_records.c), and the statements'
 *      buffers they come in and go on in (intake.c).
 */
#ifndef CREDIT_INTAKE_H
#define CREDIT_INTAKE_H

#include "postgres.h"

#include "executor/spi.h"
#include "utils/date.h"
#include "utils/tuplestore.h"

#include "code_parse.h"
#include "util.h"

/* The text columns of a sent row, in the order of credit.intake. */
enum
{
	C_DEPARTMENT,
	C_SUBJECT_CODE,
	C_SUBJECT_NAME,
	C_SUBJECT_KIND,
	C_ITEM_CODE,
	C_DOCUMENT_NO,
	C_DECIDED_ON,
	C_VALUE,
	C_AMOUNT,
	C_DETAILS,
	C_NCOLS
};

/* The names of the columns C_*. */
extern const char *const col_name[C_NCOLS];

/*
 * Longest document number (决定文书号) a row may carry, in characters: it is
 * part of the decision key (credit.decision), whose index holds a key of at
 * most about 2,700 bytes; real ones have some 20 characters.
 */
#define INTAKE_DOCUMENT_MAX 200

/*
 * Longest unit code (credit.department.code) kept of a row naming no unit:
 * no unit's code is longer, and the rows are indexed by unit.
 */
#define INTAKE_UNIT_MAX 40

/* A field of a row's category (intake_problem.c). */
typedef struct Field Field;

/* One row of the statement, and what became of it. */
typedef struct Row
{
	int			line;
	Datum		id;				/* the row it corrects (an UPDATE of the view) */
	bool		id_null;
	char	   *col[C_NCOLS];	/* NULL when NULL */
	const char *unit;			/* the unit's code when it exists */
	char	   *item;			/* item_code trimmed */
	const char *category;		/* of a known item */
	bool		item_known;
	CodeKind	code_kind;
	char		code_key[CODE_CANON_MAX + 1];
	bool		has_date;
	DateADT		date;
	const char *problem;
	const char *json_problem;
	const Field *lacking;
	const Field *malformed;
	char	   *malformed_value;
	const char *amount_problem;	/* why amount is no amount in CNY, or NULL */
	int			required;
	int			present;
	bool		kind_ok;
	char	   *message;
	bool		has_subject;
	int64		subject_id;
	int			timely;			/* -1: NULL */
	/* the record of a ready row */
	int64		record_id;
	bool		has_party;
	int64		party;
	char	   *doc;			/* trimmed document number; NULL when none */
	const char *status;			/* accepted or updated */
	const char *makes;			/* insert or update: the last row of its
								 * record; else NULL */
	struct Decision *decision;	/* of a row with a decision key */
} Row;

/* A decision of the statement: rows of one unit, item, document number and party. */
typedef struct Decision
{
	Row		   *first;			/* its first row (ordered by line) */
	Row		   *last;
	int64		record_id;
	bool		claimed;		/* new: the statement claimed the key */
} Decision;

/* One field of a row's category (the rows of credit.intake_field of that field, merged). */
struct Field
{
	const char *field;
	int			column;			/* C_* when it names a column, else -1 (a key
								 * of details) */
	int			rank;			/* least position */
	char		kind;			/* least kind: 'd'ate < 'n'umber < 't'ext */
	bool		mandatory;
	bool		rejects;
};

/* The fields of the rows of one category (NULL: of an unknown item). */
typedef struct FieldSet
{
	const char *category;
	int			n;
	Field	   *f;
	bool		has_details;	/* some field is a key of details */
	struct FieldSet *next;
} FieldSet;

/* A row of credit.intake_field. */
typedef struct FieldRow
{
	char	   *layout;
	char	   *code;
	char	   *field;
	char	   *label;
	char		kind;
	int			version;
	int			position;
	bool		mandatory;
	bool		rejects;
} FieldRow;

/* The tables of one statement's checks. */
typedef struct Tables
{
	char	  **units;			/* credit.department codes, sorted */
	int			nunits;
	char	  **items;			/* credit.catalog_item codes, sorted, */
	char	  **categories;		/* and their categories */
	int			nitems;
	FieldRow   *fields;
	int			nfields;
	FieldSet   *sets;
} Tables;

/* strcmp of two strings given by their addresses (qsort, bsearch). */
extern int	cmp_str(const void *a, const void *b);

/* Index of s in a sorted array of strings, or -1. */
extern int	find_str(char **v, int n, const char *s);

/* Whether a column value is absent: NULL or spaces only (nullif(btrim(x), '') IS NULL). */
extern bool absent(const char *s);

/* Read the units, the catalogue and the feed's fields (inside the scope, SPI connected). */
extern void tables_load(Tables *t, MemoryContext cxt);

/* The code, unit, item, date, fields and details of a row (what needs no query). */
extern void row_read(Row *r, Tables *t, char **units, int nunits, MemoryContext cxt);

/* Characters of a text (the database's encoding). */
extern int	text_chars(const char *s);

/* The row's problem, in the order a clerk fixes them, or NULL. */
extern const char *row_problem(Row *r, DateADT today);

/* The words of a rejected row's problem (code_reason: credit.code_problem's, for invalid_code). */
extern char *row_message(Row *r, Tables *t, char **units, int nunits, const char *code_reason);

/*
 * Run a query of the checks (inside the scope, SPI connected) and come back
 * to cxt, the context the checks allocate in (SPI leaves its own current).
 */
extern void run_query(CreditQuery *q, Datum *args, bool readonly, const char *what, MemoryContext cxt);

/* Column col of an SPI result row as a string (palloc'd in cxt), NULL when NULL. */
extern char *spi_text(HeapTuple tup, int col, MemoryContext cxt);

/* A text with the spaces around it removed (btrim), in a fresh string; NULL stays NULL. */
extern char *trim_spaces(const char *s);

/* The record of each ready row of the statement (intake_records.c). */
extern void intake_assign_records(Row *rows, int n, MemoryContext cxt);

/*
 * The statements' buffers (intake.c): a frame opened for the view (or row
 * type) relid, its tuplestore to fill; and the top frame, relid's, taken off
 * the stack (its rows, and the memory they are in, for the caller to delete).
 */
extern Tuplestorestate *intake_frame_push(Oid relid);
extern Tuplestorestate *intake_frame_pop(Oid relid, const char *what, MemoryContext *cxt);

#endif							/* CREDIT_INTAKE_H */
