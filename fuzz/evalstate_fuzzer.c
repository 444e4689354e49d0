/*
 * evalstate_fuzzer.c
 *      libFuzzer harness of the evaluation state decoder
 *      (src/evalstate_codec.c).  Besides memory errors it checks: an accepted
 *      state has an anchor PostgreSQL can hold, at most as many entries as
 *      items, entries in strictly increasing item order below the item
 *      count, finite sums and (as a stored state) no negative count; it
 *      encodes back to exactly the bytes read; a delta accepts what a state
 *      accepts; adding counts never wraps around.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "evalstate_codec.h"

/* Abort (a crash for libFuzzer) when an invariant does not hold. */
static void
require(int cond)
{
    if (!cond)
        abort();
}

/* Decode data as a state (or a delta); true when every part is accepted, checking each. */
static int
decode(const char *data, size_t size, int delta, char *reencoded)
{
    EvalStateHeader h;
    const char *p;
    char       *w = reencoded;
    int         prev = -1,
                i;

    if (evalcodec_get_header(data, size, &h) != NULL)
        return 0;
    require(h.anchor >= EVALSTATE_MIN_ANCHOR && h.anchor < EVALSTATE_END_ANCHOR);
    require(h.nentries <= h.nitems);
    require(size == EVALSTATE_HEADER + (size_t) h.nentries * EVALSTATE_ENTRY);
    w = evalcodec_put_header(w, h.nitems, h.fingerprint, h.anchor, h.nentries);
    p = data + EVALSTATE_HEADER;
    for (i = 0; i < h.nentries; i++)
    {
        int         idx;
        int32_t     count;
        double      sum;

        if (evalcodec_get_entry(p, h.nitems, prev, delta, &idx, &count, &sum) != NULL)
            return 0;
        require(idx > prev && idx < h.nitems);
        require(isfinite(sum));
        require(delta || count >= 0);
        w = evalcodec_put_entry(w, idx, count, sum);
        prev = idx;
        p += EVALSTATE_ENTRY;
    }
    require((size_t) (w - reencoded) == size);
    require(memcmp(reencoded, data, size) == 0);
    return 1;
}

/* Run every check on one input. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char       *buf;

    if (size > 65536)
        return 0;
    buf = malloc(size + 1);
    if (decode((const char *) data, size, 0, buf))
        require(decode((const char *) data, size, 1, buf));
    else
        (void) decode((const char *) data, size, 1, buf);
    free(buf);

    /* counts: the checked sum agrees with 64-bit arithmetic, or is refused */
    if (size >= 8)
    {
        int32_t     a,
                    b,
                    c;
        int64_t     wide;

        memcpy(&a, data, 4);
        memcpy(&b, data + 4, 4);
        c = a;
        wide = (int64_t) a + b;
        if (evalcodec_count_add(&c, b))
            require(c == wide);
        else
            require(c == a && (wide > INT32_MAX || wide < INT32_MIN));
    }
    return 0;
}
