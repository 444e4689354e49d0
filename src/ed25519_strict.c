/*
 * ed25519_strict.c
 *      Strict checks of Ed25519 keys and signatures, and verification
 *      through OpenSSL (see ed25519_strict.h).
 *
 * OpenSSL's Ed25519 verification is the cofactorless equation of RFC 8032
 * ([S]B = R + [k]A, encodings compared) and refuses S >= L, but takes any
 * public key that decodes: under the identity point, R = identity and S = 0
 * verify every message.  The stricter rules here are those libsodium's
 * crypto_sign_verify_detached applies (the list of small-order encodings is
 * the same): a key or an R of small order is refused, as are encodings of
 * y >= p, and a key must decode to a point of the curve.
 *
 * Deliberately free of PostgreSQL headers (fuzz/ed25519_fuzzer.c).
 */
#include <string.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#include "ed25519_strict.h"

/*
 * Encodings (sign bit cleared) of the points of small order: y = 0 (order
 * 4), y = 1 (the identity), y = p - 1 (order 2), the two y of the points of
 * order 8, and the non-canonical y = p and y = p + 1 (0 and 1 again).
 */
static const uint8_t small_order[7][32] = {
	{0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00},
	{0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00},
	{0x26, 0xe8, 0x95, 0x8f, 0xc2, 0xb2, 0x27, 0xb0, 0x45, 0xc3, 0xf4, 0x89, 0xf2, 0xef, 0x98, 0xf0,
	0xd5, 0xdf, 0xac, 0x05, 0xd3, 0xc6, 0x33, 0x39, 0xb1, 0x38, 0x02, 0x88, 0x6d, 0x53, 0xfc, 0x05},
	{0xc7, 0x17, 0x6a, 0x70, 0x3d, 0x4d, 0xd8, 0x4f, 0xba, 0x3c, 0x0b, 0x76, 0x0d, 0x10, 0x67, 0x0f,
	0x2a, 0x20, 0x53, 0xfa, 0x2c, 0x39, 0xcc, 0xc6, 0x4e, 0xc7, 0xfd, 0x77, 0x92, 0xac, 0x03, 0x7a},
	{0xec, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f},
	{0xed, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f},
	{0xee, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f}
};

/* The group order L = 2^252 + 27742317777372353535851937790883648493, little-endian. */
static const uint8_t group_order[32] = {
	0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10
};

/* Is the encoding (sign bit ignored) that of a point of small order? */
static bool
has_small_order(const uint8_t e[32])
{
	int			i;

	for (i = 0; i < 7; i++)
		if (memcmp(e, small_order[i], 31) == 0 && (e[31] & 0x7f) == small_order[i][31])
			return true;
	return false;
}

/* Is y (the encoding without its sign bit) at least p = 2^255 - 19? */
static bool
y_not_canonical(const uint8_t e[32])
{
	int			i;

	if ((e[31] & 0x7f) != 0x7f)
		return false;
	for (i = 30; i > 0; i--)
		if (e[i] != 0xff)
			return false;
	return e[0] >= 0xed;
}

/* Is the little-endian scalar s below the group order L? */
static bool
scalar_canonical(const uint8_t s[32])
{
	int			i;

	for (i = 31; i >= 0; i--)
	{
		if (s[i] < group_order[i])
			return true;
		if (s[i] > group_order[i])
			return false;
	}
	return false;				/* s = L */
}

/*
 * Does the canonical encoding e decode to a point of the curve
 * -x^2 + y^2 = 1 + d x^2 y^2?  It does when (y^2 - 1) / (d y^2 + 1) is a
 * square mod p (Euler's criterion), and, when that is 0, the sign bit is
 * clear (x = 0 has no negative).  -1 when OpenSSL could not compute.
 */
static int
decodes(const uint8_t e[32])
{
	uint8_t		le[32];
	BN_CTX	   *ctx = BN_CTX_new();
	BIGNUM	   *p,
			   *d,
			   *y,
			   *u,
			   *v,
			   *t;
	int			ok = -1;

	if (ctx == NULL)
		return -1;
	BN_CTX_start(ctx);
	p = BN_CTX_get(ctx);
	d = BN_CTX_get(ctx);
	y = BN_CTX_get(ctx);
	u = BN_CTX_get(ctx);
	v = BN_CTX_get(ctx);
	t = BN_CTX_get(ctx);
	memcpy(le, e, 32);
	le[31] &= 0x7f;
	if (t == NULL ||
		!BN_set_bit(p, 255) || !BN_sub_word(p, 19) ||
	/* d = -121665 / 121666 */
		!BN_set_word(t, 121666) || BN_mod_inverse(t, t, p, ctx) == NULL ||
		!BN_set_word(d, 121665) || !BN_mod_mul(d, d, t, p, ctx) || !BN_sub(d, p, d) ||
		BN_lebin2bn(le, 32, y) == NULL ||
	/* u = y^2 - 1, v = d y^2 + 1 */
		!BN_mod_sqr(t, y, p, ctx) ||
		!BN_copy(u, t) || !BN_sub_word(u, 1) || !BN_nnmod(u, u, p, ctx) ||
		!BN_mod_mul(v, d, t, p, ctx) || !BN_add_word(v, 1) || !BN_nnmod(v, v, p, ctx))
		goto done;
	if (BN_is_zero(v))
	{
		ok = 0;
		goto done;
	}
	if (BN_mod_inverse(v, v, p, ctx) == NULL || !BN_mod_mul(u, u, v, p, ctx))
		goto done;
	if (BN_is_zero(u))
	{
		ok = (e[31] & 0x80) == 0;
		goto done;
	}
	/* u^((p - 1) / 2) is 1 for a square */
	if (!BN_copy(t, p) || !BN_sub_word(t, 1) || !BN_rshift1(t, t) || !BN_mod_exp(v, u, t, p, ctx))
		goto done;
	ok = BN_is_one(v);

done:
	BN_CTX_end(ctx);
	BN_CTX_free(ctx);
	ERR_clear_error();
	return ok;
}

/* Why a public key is unacceptable (see ed25519_strict.h), or NULL. */
const char *
ed25519_public_key_problem(const uint8_t pub[ED25519_KEY_LEN])
{
	int			on_curve;

	if (y_not_canonical(pub))
		return "The key is not a canonical encoding (its y coordinate is not below 2^255 - 19).";
	if (has_small_order(pub))
		return "The key is a point of small order: signatures under it can be forged.";
	on_curve = decodes(pub);
	if (on_curve < 0)
		return "The key could not be checked (OpenSSL failed).";
	if (!on_curve)
		return "The key is not a point of the Ed25519 curve.";
	return NULL;
}

/* Why a signature is malformed (see ed25519_strict.h), or NULL. */
const char *
ed25519_signature_problem(const uint8_t sig[ED25519_SIG_LEN])
{
	if (y_not_canonical(sig))
		return "R is not a canonical encoding.";
	if (has_small_order(sig))
		return "R is a point of small order.";
	if (!scalar_canonical(sig + 32))
		return "S is not below the group order L.";
	return NULL;
}

/* Strict verification (see ed25519_strict.h). */
bool
ed25519_verify_strict(const uint8_t pub[ED25519_KEY_LEN], const uint8_t *msg, size_t len,
					  const uint8_t *sig, size_t siglen)
{
	EVP_PKEY   *pkey;
	EVP_MD_CTX *ctx;
	bool		ok = false;

	if (siglen != ED25519_SIG_LEN || ed25519_public_key_problem(pub) != NULL ||
		ed25519_signature_problem(sig) != NULL)
		return false;
	pkey = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, pub, ED25519_KEY_LEN);
	if (pkey == NULL)
	{
		ERR_clear_error();
		return false;
	}
	ctx = EVP_MD_CTX_new();
	if (ctx != NULL && EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, pkey) == 1)
		ok = EVP_DigestVerify(ctx, sig, siglen, msg, len) == 1;
	EVP_MD_CTX_free(ctx);
	EVP_PKEY_free(pkey);
	ERR_clear_error();
	return ok;
}
