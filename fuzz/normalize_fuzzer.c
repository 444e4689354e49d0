/*
 * normalize_fuzzer.c
 *      libFuzzer harness of the name normaliser and similarity
 *      (src/normalize_core.c) and of the identifier classifier
 *      (src/code_parse.c), built outside the server with ICU.  Besides memory
 *      errors it checks: keys are valid UTF-8 without white space; normalising
 *      a key gives it back; the transliteration filter never changes a key,
 *      nor does transliterating in steps (a normaliser with tiny steps);
 *      similarity is in [0, 1], 1 on equal keys, symmetric; a classified code
 *      reclassifies to itself.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <unicode/utf8.h>

#include "code_parse.h"
#include "normalize_core.h"

static NameNormalizer nn,
            nn_all;
static int  ready = 0;

/* Abort (a crash for libFuzzer) when an invariant does not hold. */
static void
require(int cond)
{
    if (!cond)
        abort();
}

/* Normalise with the given normaliser; NULL when the input is refused. */
static char *
key_of(const NameNormalizer *n, const char *s, size_t len, size_t *outlen)
{
    char       *out;
    const char *err;
    NNStatus    st = nn_normalize(n, s, len, malloc, free, &out, outlen, &err);

    require(st == NN_OK || st == NN_BAD_UTF8);
    return st == NN_OK ? out : NULL;
}

/* Is s valid UTF-8 free of ASCII white space? */
static int
clean_utf8(const char *s, size_t len)
{
    int32_t     i = 0;

    while (i < (int32_t) len)
    {
        UChar32     c;

        U8_NEXT((const uint8_t *) s, i, (int32_t) len, c);
        if (c < 0 || c == ' ' || c == '\t' || c == '\n' || c == '\r')
            return 0;
    }
    return 1;
}

/* Run every check on one input. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *) data;
    char       *k1,
               *k2,
               *k3,
               *a,
               *b;
    size_t      l1,
                l2,
                l3,
                la,
                lb,
                half = size / 2;
    char        canon[CODE_CANON_MAX + 1],
                canon2[CODE_CANON_MAX + 1];
    CodeKind    kind;

    if (!ready)
    {
        const char *err;

        require(nn_open(&nn, &err));
        require(nn_open(&nn_all, &err));
        nn_all.always_t2s = true;
        nn_all.t2s_chunk = 7;   /* steps of 7 units: NFKC and transliteration of most inputs in steps */
        ready = 1;
    }
    if (size > 4096)
        return 0;

    k1 = key_of(&nn, s, size, &l1);
    if (k1 != NULL)
    {
        require(strlen(k1) == l1);
        require(clean_utf8(k1, l1));
        k2 = key_of(&nn, k1, l1, &l2);
        require(k2 != NULL && l2 == l1 && memcmp(k1, k2, l1) == 0);
        k3 = key_of(&nn_all, s, size, &l3);
        require(k3 != NULL && l3 == l1 && memcmp(k1, k3, l1) == 0);
        free(k2);
        free(k3);
    }

    a = key_of(&nn, s, half, &la);
    b = key_of(&nn, s + half, size - half, &lb);
    if (a != NULL && b != NULL)
    {
        NNGrams    *ga = malloc(sizeof(NNGrams)),
                   *gb = malloc(sizeof(NNGrams));
        uint32_t    grams[NN_MAX_CHARS];
        double      ab,
                    ba;

        nn_split(a, la, ga);
        nn_split(b, lb, gb);
        require(ga->core_start >= 0 && ga->core_start <= ga->core_end && ga->core_end <= ga->nchars);
        require(nn_core_grams(ga, grams, NN_MAX_CHARS) <= NN_MAX_CHARS);
        ab = nn_similarity(ga, gb);
        ba = nn_similarity(gb, ga);
        require(ab >= 0.0 && ab <= 1.0 + 1e-9);
        require(ab - ba < 1e-9 && ba - ab < 1e-9);
        require(nn_similarity(ga, ga) == 1.0);
        if (la == lb && memcmp(a, b, la) == 0)
            require(ab == 1.0);
        free(ga);
        free(gb);
    }
    free(a);
    free(b);
    free(k1);

    kind = code_classify(s, size, 20260101, false, canon);
    if (kind != CODE_NONE)
    {
        require(strlen(canon) > 0 && strlen(canon) <= CODE_CANON_MAX);
        CodeKind    again = code_classify(canon, strlen(canon), 20260101, false, canon2);

        /* 18 characters can be valid both as an ID number and as a USCC */
        require(again == kind ||
                (kind == CODE_USCC && again == CODE_RESIDENT_ID));
        require(strcmp(canon, canon2) == 0);
    }
    else
        require(canon[0] == '\0');
    return 0;
}
