/*
 * intake.h
 *      The rows of an intake statement as the checks read them
 *      (intake_check.c) and as their records are assigned
 *      (intake_records.c).
 */
#ifndef CREDIT_INTAKE_H
#define CREDIT_INTAKE_H

#include "postgres.h"

#include "executor/spi.h"
#include "utils/date.h"

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

/* A field of a row's category (intake_check.c). */
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

#endif							/* CREDIT_INTAKE_H */
