/*
 * normalize.h
 *      Name keys and pseudonyms for the other concerns (match.c).
 */
#ifndef CREDIT_NORMALIZE_H
#define CREDIT_NORMALIZE_H

#include "postgres.h"

#include "normalize_core.h"

/* The backend's ICU objects, opened on first use. */
extern const NameNormalizer *credit_normalizer(void);

/* Matching key of a name given in the server encoding (palloc'd, server encoding). */
extern char *credit_normalize(const char *s, size_t len, size_t *outlen);

#define PSEUDONYM_LEN   32

/* Is credit.pseudonym_key set? */
extern bool credit_pseudonym_key_set(void);

/* Error when the current key is readable by roles other than superusers. */
extern void credit_pseudonym_key_guard(void);

/* HMAC-SHA256 of len bytes under credit.pseudonym_key; an error when it is unset or exposed. */
extern void credit_pseudonym_hmac(const char *data, size_t len, uint8 out[PSEUDONYM_LEN]);

/* Canonical identifier of text (USCC, resident ID, else the text as given). */
extern const char *credit_pseudonym_canonical(const char *s, size_t len, size_t *outlen);

#endif							/* CREDIT_NORMALIZE_H */
