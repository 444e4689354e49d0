/*
 * ed25519_fuzzer.c
 *      libFuzzer harness of the strict Ed25519 verifier that checks report
 *      signatures (src/ed25519_strict.c, on OpenSSL).  The input is a seed
 *      (32 bytes) and a message, or taken as a raw (key, signature, message).
 *      Besides memory errors it checks: a signature the seed's key makes
 *      verifies; the same with S + L (malleated), with another message, or
 *      under any point of small order (either sign) does not; small-order
 *      keys and R are refused; whatever verifies strictly has an acceptable
 *      key and signature and verifies under OpenSSL too.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "ed25519_strict.h"

/* Abort (a crash for libFuzzer) when an invariant does not hold. */
static void
require(int cond)
{
    if (!cond)
        abort();
}

/* The encodings of the points of small order (sign bit clear). */
static const char *const small_order_hex[] = {
    "0000000000000000000000000000000000000000000000000000000000000000",
    "0100000000000000000000000000000000000000000000000000000000000000",
    "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
    "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
};

/* The group order L, little-endian. */
static const uint8_t group_order[32] = {
    0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10
};

static void
from_hex(const char *h, uint8_t out[32])
{
    int         i;

    for (i = 0; i < 32; i++)
    {
        unsigned int v;

        sscanf(h + 2 * i, "%2x", &v);
        out[i] = (uint8_t) v;
    }
}

/* OpenSSL's own (cofactorless, not strict about keys) verification. */
static int
openssl_verifies(const uint8_t pub[32], const uint8_t *msg, size_t len, const uint8_t sig[64])
{
    EVP_PKEY   *pkey = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, pub, 32);
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    int         ok = 0;

    if (pkey != NULL && ctx != NULL && EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, pkey) == 1)
        ok = EVP_DigestVerify(ctx, sig, 64, msg, len) == 1;
    EVP_MD_CTX_free(ctx);
    EVP_PKEY_free(pkey);
    return ok;
}

/* Sign msg with the key of seed; pub and sig are written. */
static void
sign(const uint8_t seed[32], const uint8_t *msg, size_t len, uint8_t pub[32], uint8_t sig[64])
{
    EVP_PKEY   *pkey = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed, 32);
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    size_t      n = 32,
                s = 64;

    require(pkey != NULL && ctx != NULL);
    require(EVP_PKEY_get_raw_public_key(pkey, pub, &n) == 1 && n == 32);
    require(EVP_DigestSignInit(ctx, NULL, NULL, NULL, pkey) == 1);
    require(EVP_DigestSign(ctx, sig, &s, msg, len) == 1 && s == 64);
    EVP_MD_CTX_free(ctx);
    EVP_PKEY_free(pkey);
}

/* Run every check on one input. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t     pub[32],
                sig[64],
                bad[64],
                weak[32];
    const uint8_t *msg;
    size_t      len,
                i;
    unsigned int carry = 0;

    if (size < 32 || size > 4096)
        return 0;

    /* a genuine signature of the rest of the input under the seed's key */
    msg = data + 32;
    len = size - 32;
    sign(data, msg, len, pub, sig);
    require(ed25519_public_key_problem(pub) == NULL);
    require(ed25519_signature_problem(sig) == NULL);
    require(ed25519_verify_strict(pub, msg, len, sig, 64));
    require(!ed25519_verify_strict(pub, msg, len, sig, 63));

    /* S + L verifies under OpenSSL's equation but is not canonical */
    memcpy(bad, sig, 64);
    for (i = 0; i < 32; i++)
    {
        unsigned int v = bad[32 + i] + group_order[i] + carry;

        bad[32 + i] = (uint8_t) v;
        carry = v >> 8;
    }
    require(ed25519_signature_problem(bad) != NULL);
    require(!ed25519_verify_strict(pub, msg, len, bad, 64));

    /* another message */
    if (len > 0)
    {
        uint8_t    *m = malloc(len);

        memcpy(m, msg, len);
        m[0] ^= 1;
        require(!ed25519_verify_strict(pub, m, len, sig, 64));
        free(m);
    }

    /* small-order keys and R, either sign */
    for (i = 0; i < sizeof(small_order_hex) / sizeof(small_order_hex[0]); i++)
    {
        int         sgn;

        for (sgn = 0; sgn < 2; sgn++)
        {
            from_hex(small_order_hex[i], weak);
            weak[31] |= (uint8_t) (sgn << 7);
            require(ed25519_public_key_problem(weak) != NULL);
            require(!ed25519_verify_strict(weak, msg, len, sig, 64));
            memcpy(bad, weak, 32);
            memcpy(bad + 32, sig + 32, 32);
            require(ed25519_signature_problem(bad) != NULL);
            require(!ed25519_verify_strict(pub, msg, len, bad, 64));
        }
    }

    /* the input as a raw key, signature and message */
    if (size >= 96)
    {
        const uint8_t *rk = data,
                   *rs = data + 32;

        if (ed25519_verify_strict(rk, data + 96, size - 96, rs, 64))
        {
            require(ed25519_public_key_problem(rk) == NULL);
            require(ed25519_signature_problem(rs) == NULL);
            require(openssl_verifies(rk, data + 96, size - 96, rs));
        }
        (void) ed25519_public_key_problem(rk);
    }
    return 0;
}
