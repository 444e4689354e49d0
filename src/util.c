/*
 * util.c
 *      Small helpers shared by every concern: dates.
 */
#include "postgres.h"

#include "fmgr.h"

#include "access/xact.h"
#include "datatype/timestamp.h"
#include "pgtime.h"
#include "utils/date.h"
#include "utils/builtins.h"
#include "utils/datetime.h"

#include "util.h"

/*
 * CURRENT_DATE, computed once per transaction start and time zone (the
 * conversion is costly next to a probe of credit.match).
 */
DateADT
credit_today(void)
{
    static TimestampTz at = 0;
    static const pg_tz *tz = NULL;
    static DateADT today = 0;
    TimestampTz now = GetCurrentTransactionStartTimestamp();

    if (now != at || session_timezone != tz || tz == NULL)
    {
        today = GetSQLCurrentDate();
        at = now;
        tz = session_timezone;
    }
    return today;
}

/* Today's date in the session time zone as YYYYMMDD. */
int
credit_today_ymd(void)
{
    static DateADT cached = DATEVAL_NOBEGIN;
    static int  ymd = 0;
    DateADT     today = credit_today();

    if (today != cached)
    {
        int         y,
                    m,
                    d;

        j2date(today + POSTGRES_EPOCH_JDATE, &y, &m, &d);
        ymd = y * 10000 + m * 100 + d;
        cached = today;
    }
    return ymd;
}

/* A date as YYYY-MM-DD whatever DateStyle says (to_char(date, 'YYYY-MM-DD')). */
char *
credit_date_text(DateADT d)
{
    int         y;
    int         m;
    int         dd;

    if (DATE_IS_NOBEGIN(d))
        return pstrdup(EARLY);
    if (DATE_IS_NOEND(d))
        return pstrdup(LATE);
    j2date(d + POSTGRES_EPOCH_JDATE, &y, &m, &dd);
    if (y <= 0)                 /* ISO 8601 year numbering has no year 0 */
        return psprintf("%04d-%02d-%02d BC", 1 - y, m, dd);
    return psprintf("%04d-%02d-%02d", y, m, dd);
}

/* credit.iso_date(date) → text: the date as messages show it, whatever DateStyle says. */
PG_FUNCTION_INFO_V1(credit_iso_date);
Datum
credit_iso_date(PG_FUNCTION_ARGS)
{
    PG_RETURN_TEXT_P(cstring_to_text(credit_date_text(PG_GETARG_DATEADT(0))));
}
