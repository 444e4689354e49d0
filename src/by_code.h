/*
 * by_code.h
 *      The subject a code names, as approval systems send codes (by_code.c).
 */
#ifndef CREDIT_BY_CODE_H
#define CREDIT_BY_CODE_H

#include "postgres.h"

/*
 * The subject a code names (credit.subject_by_code): a USCC, an old
 * organisation code or an 18- or 15-digit ID number, dirty as sent, or a
 * text of digits that is no code (the id itself).  22P02 for a malformed
 * code, P0002 when no subject has it; a look-up by ID number is logged with
 * the purpose first.
 */
extern int64 credit_subject_of_code(text *code, const char *purpose);

#endif							/* CREDIT_BY_CODE_H */
