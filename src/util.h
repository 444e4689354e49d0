/*
 * util.h
 *      Small helpers shared by every concern: dates.
 */
#ifndef CREDIT_UTIL_H
#define CREDIT_UTIL_H

#include "postgres.h"

#include "utils/date.h"

/* CURRENT_DATE (cached per transaction start and time zone), and as YYYYMMDD. */
extern DateADT credit_today(void);
extern int  credit_today_ymd(void);

/*
 * A date as ISO 8601 text (YYYY-MM-DD, "infinity", "-infinity") whatever the
 * session's DateStyle says: the one form messages show dates in.
 */
extern char *credit_date_text(DateADT d);

#endif                          /* CREDIT_UTIL_H */
