/*
 * uscc_fuzzer.c
 *      libFuzzer harness of the USCC parser (src/ident_parse.c), built outside
 *      the server.  Besides memory errors it checks the parser's invariants:
 *      accepted input yields a canonical code that validates and reparses to
 *      itself, and every refusal comes with a NUL-terminated reason.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ident_parse.h"

/* Abort (a crash for libFuzzer) when an invariant does not hold. */
static void
require(int cond)
{
    if (!cond)
        abort();
}

/* Parse data strictly and leniently; check what the SQL type relies on. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char        out[USCC_LEN];
    char        again[USCC_LEN];
    char        reason[IDENT_REASON_LEN];
    char        small[8];
    const char *s = (const char *) data;
    int         lenient;

    for (lenient = 0; lenient <= 1; lenient++)
    {
        memset(reason, 0, sizeof(reason));
        if (uscc_parse(s, size, lenient, out, reason, sizeof(reason)))
        {
            require(uscc_validate_canonical(out, USCC_LEN, lenient, reason, sizeof(reason)));
            require(uscc_parse(out, USCC_LEN, lenient, again, reason, sizeof(reason)));
            require(memcmp(out, again, USCC_LEN) == 0);
            for (int i = 0; i < USCC_LEN; i++)
                require((out[i] >= '0' && out[i] <= '9') || (out[i] >= 'A' && out[i] <= 'Z'));
            require(out[16] == orgcode_check_char(out + 8));
            if (!lenient)
                require(out[17] == uscc_check_char(out));
        }
        else
        {
            require(memchr(reason, '\0', sizeof(reason)) != NULL);
            require(reason[0] != '\0');
            /* a short reason buffer truncates, never overflows */
            (void) uscc_parse(s, size, lenient, out, small, sizeof(small));
            require(memchr(small, '\0', sizeof(small)) != NULL);
        }
        /* binary input path: raw bytes must be canonical */
        (void) uscc_validate_canonical(s, size, lenient, reason, sizeof(reason));
        require(memchr(reason, '\0', sizeof(reason)) != NULL);
    }
    return 0;
}
