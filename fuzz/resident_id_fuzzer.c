/*
 * resident_id_fuzzer.c
 *      libFuzzer harness of the resident ID parser (src/ident_parse.c), built
 *      outside the server.  Besides memory errors it checks that accepted input
 *      formats to a canonical number that reparses to the same value, and that
 *      the binary-input validator agrees with the text parser.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ident_parse.h"

/* A fixed "today" keeps runs reproducible. */
#define FUZZ_TODAY 20260101

/* Abort (a crash for libFuzzer) when an invariant does not hold. */
static void
require(int cond)
{
    if (!cond)
        abort();
}

/* Parse data as text and its first 8 bytes as a binary value. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char        reason[IDENT_REASON_LEN];
    char        small[8];
    char        canon[RESIDENT_ID_LEN];
    int64_t     v,
                w;

    memset(reason, 0, sizeof(reason));
    if (resident_id_parse((const char *) data, size, FUZZ_TODAY, &v, reason, sizeof(reason)))
    {
        require(v >= 0 && v < RESIDENT_ID_LIMIT);
        require(resident_id_validate_value(v, FUZZ_TODAY, reason, sizeof(reason)));
        resident_id_format(v, canon);
        require(resident_id_parse(canon, sizeof(canon), FUZZ_TODAY, &w, reason, sizeof(reason)));
        require(v == w);
        require(canon[17] == resident_id_check_char(canon));
    }
    else
    {
        require(memchr(reason, '\0', sizeof(reason)) != NULL);
        require(reason[0] != '\0');
        (void) resident_id_parse((const char *) data, size, FUZZ_TODAY, &v, small, sizeof(small));
        require(memchr(small, '\0', sizeof(small)) != NULL);
    }

    if (size >= sizeof(int64_t))
    {
        memcpy(&w, data, sizeof(w));
        if (resident_id_validate_value(w, FUZZ_TODAY, reason, sizeof(reason)))
        {
            /* what binary input accepts, text input accepts too */
            resident_id_format(w, canon);
            require(resident_id_parse(canon, sizeof(canon), FUZZ_TODAY, &v, reason, sizeof(reason)));
            require(v == w);
        }
    }
    return 0;
}
