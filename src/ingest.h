/*
 * ingest.h
 *      Declarations shared by the record triggers (record.c, trigger.c).
 */
#ifndef INGEST_H
#define INGEST_H

#include "postgres.h"

/* What the catalogue says about an item, for warnings. */
#define CATALOG_KNOWN       0x01
#define CATALOG_NEGATIVE    0x02   /* polarity negative */
#define CATALOG_SERIOUS     0x04   /* negative and severity serious */
#define CATALOG_LIST        0x08   /* negative list item (category list) */
#define CATALOG_COMMITMENT  0x10   /* negative commitment item (broken commitment) */

/* record.c */
extern uint8 credit_catalog_flags(Oid nspid, const char *code);

#endif                          /* INGEST_H */
