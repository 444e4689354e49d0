/*
 * ed25519_strict.h
 *      Strict Ed25519 (RFC 8032, section 5.1.7, with the stricter rules the
 *      cofactorless verifiers of common libraries ship): canonical encodings,
 *      no points of small order, S < L.  Pure C on OpenSSL's libcrypto, no
 *      PostgreSQL dependency, so that fuzz/ can build it outside the server;
 *      report.c is its SQL face.
 */
#ifndef ED25519_STRICT_H
#define ED25519_STRICT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ED25519_KEY_LEN     32	/* seed and public key, bytes */
#define ED25519_SIG_LEN     64	/* R (32 bytes) then S (32 bytes) */

/*
 * Why a 32-byte public key is unacceptable, or NULL when it is a canonical
 * encoding of a point of the curve that is not of small order (the
 * identity, the point of order 2 and those of order 4 and 8 let one
 * signature verify many messages).
 */
extern const char *ed25519_public_key_problem(const uint8_t pub[ED25519_KEY_LEN]);

/*
 * Why a 64-byte signature is malformed, or NULL: R must be a canonical
 * encoding not of small order, S a canonical scalar (below the group order
 * L): S + L would verify the same message (malleability).
 */
extern const char *ed25519_signature_problem(const uint8_t sig[ED25519_SIG_LEN]);

/*
 * Does sig (siglen bytes) verify msg under pub?  The key and the signature
 * are checked as above first, then OpenSSL verifies.  Never fails otherwise;
 * OpenSSL's error queue is left empty.
 */
extern bool ed25519_verify_strict(const uint8_t pub[ED25519_KEY_LEN],
								  const uint8_t *msg, size_t len,
								  const uint8_t *sig, size_t siglen);

#endif							/* ED25519_STRICT_H */
