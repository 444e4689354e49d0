/*
 * feed_fuzzer.c
 *      libFuzzer harness of the feed value parsers (src/feed_parse.c), built
 *      outside the server.  Besides memory errors it checks what the intake
 *      relies on: an accepted date is a real date from 1900 on and reads the
 *      same with spaces around it, an accepted amount or value reads the same
 *      with spaces around it, and blank text is neither.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "feed_parse.h"

/* Abort (a crash for libFuzzer) when an invariant does not hold. */
static void
require(int cond)
{
    if (!cond)
        abort();
}

/* Parse data as a date, an amount and a value; check the invariants. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const int mdays[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    const char *s = (const char *) data;
    char       *padded;
    int         y,
                m,
                d,
                y2,
                m2,
                d2;
    bool        blank = feed_blank(s, size);

    padded = malloc(size + 2);
    padded[0] = ' ';
    memcpy(padded + 1, data, size);
    padded[size + 1] = ' ';
    if (feed_date(s, size, &y, &m, &d))
    {
        require(!blank);
        require(y >= 1900 && y <= 9999 && m >= 1 && m <= 12 && d >= 1 && d <= mdays[m - 1]);
        require(feed_date(padded, size + 2, &y2, &m2, &d2) && y2 == y && m2 == m && d2 == d);
    }
    for (int k = 0; k < 2; k++)
    {
        FeedNumberKind kind = k == 0 ? FEED_AMOUNT : FEED_VALUE;

        if (feed_number(s, size, kind))
        {
            require(!blank);
            require(feed_number(padded, size + 2, kind));
        }
    }
    free(padded);
    return 0;
}
