/*
 * evalstate_codec.h
 *      The binary form of an evaluation state (evalstate.h describes the
 *      format): writing and checked reading, in pure C without PostgreSQL
 *      headers, so that fuzz/ can build it outside the server.  evalstate.c
 *      turns the reasons into errors.
 */
#ifndef EVALSTATE_CODEC_H
#define EVALSTATE_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define EVALSTATE_VERSION 1
#define EVALSTATE_HEADER 14		/* version, flags, nitems, fingerprint,
								 * anchor, nentries */
#define EVALSTATE_ENTRY 14		/* index, count, sum */

/*
 * The dates PostgreSQL's date type holds, as days from 2000-01-01
 * (4714-11-24 BC to 5874897-12-31; evalstate.c checks them against
 * PostgreSQL's own limits): an anchor outside is refused.
 */
#define EVALSTATE_MIN_ANCHOR    (-2451545)
#define EVALSTATE_END_ANCHOR    2145031949	/* one past the last */

/* What a header holds. */
typedef struct EvalStateHeader
{
	int			nitems;
	uint32_t	fingerprint;
	int32_t		anchor;
	int			nentries;
} EvalStateHeader;

/* Write a header / an entry at p; return the position after it. */
extern char *evalcodec_put_header(char *p, int nitems, uint32_t fingerprint, int32_t anchor, int nentries);
extern char *evalcodec_put_entry(char *p, int idx, int32_t count, double sum);

/*
 * Read and check the header of len bytes at p: version, an anchor
 * PostgreSQL can hold, at most nitems entries, and a length that matches
 * the entries.  NULL when well-formed, else why not.
 */
extern const char *evalcodec_get_header(const char *p, size_t len, EvalStateHeader *h);

/*
 * Read and check the entry at p: an item index below nitems and above
 * prev_idx (entries are sorted by item, each item once; pass -1 for the
 * first), a finite sum, a count not negative unless allow_negative (a
 * delta of removed records).  NULL when well-formed, else why not.
 */
extern const char *evalcodec_get_entry(const char *p, int nitems, int prev_idx, bool allow_negative,
									   int *idx, int32_t *count, double *sum);

/*
 * *count + add without wrapping around: false (and *count unchanged) when
 * the result would not fit in 32 bits.
 */
extern bool evalcodec_count_add(int32_t *count, int64_t add);

#endif							/* EVALSTATE_CODEC_H */
