/*
 * credit.h
 *      Declarations shared across the credit extension's C files.
 */
#ifndef CREDIT_H
#define CREDIT_H

#include "postgres.h"
#include "fmgr.h"

/* GUC variables (credit.c) */
extern char *credit_pseudonym_key;


#endif                          /* CREDIT_H */
