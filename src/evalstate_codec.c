/*
 * evalstate_codec.c
 *      Writing and checked reading of the binary form of evaluation states
 *      (see evalstate_codec.h).  Big-endian, fixed layout; deliberately free
 *      of PostgreSQL headers (fuzz/evalstate_fuzzer.c).
 */
#include <math.h>
#include <string.h>

#include "evalstate_codec.h"

/* Big-endian writers and readers. */
static char *
put16(char *p, uint16_t v)
{
	p[0] = (char) (v >> 8);
	p[1] = (char) v;
	return p + 2;
}

static char *
put32(char *p, uint32_t v)
{
	p = put16(p, (uint16_t) (v >> 16));
	return put16(p, (uint16_t) v);
}

static uint16_t
get16(const char *p)
{
	return (uint16_t) (((uint16_t) (uint8_t) p[0] << 8) | (uint8_t) p[1]);
}

static uint32_t
get32(const char *p)
{
	return ((uint32_t) get16(p) << 16) | get16(p + 2);
}

/* Write a header at p. */
char *
evalcodec_put_header(char *p, int nitems, uint32_t fingerprint, int32_t anchor, int nentries)
{
	*p++ = EVALSTATE_VERSION;
	*p++ = 0;
	p = put16(p, (uint16_t) nitems);
	p = put32(p, fingerprint);
	p = put32(p, (uint32_t) anchor);
	return put16(p, (uint16_t) nentries);
}

/* Write an entry at p. */
char *
evalcodec_put_entry(char *p, int idx, int32_t count, double sum)
{
	uint64_t	bits;

	memcpy(&bits, &sum, 8);
	p = put16(p, (uint16_t) idx);
	p = put32(p, (uint32_t) count);
	p = put32(p, (uint32_t) (bits >> 32));
	return put32(p, (uint32_t) bits);
}

/* Read and check a header (see evalstate_codec.h). */
const char *
evalcodec_get_header(const char *p, size_t len, EvalStateHeader *h)
{
	if (len < EVALSTATE_HEADER)
		return "too short";
	if ((uint8_t) p[0] != EVALSTATE_VERSION)
		return "unknown version";
	if (p[1] != 0)
		return "unknown flags";
	h->nitems = get16(p + 2);
	h->fingerprint = get32(p + 4);
	h->anchor = (int32_t) get32(p + 8);
	h->nentries = get16(p + 12);
	if (h->anchor < EVALSTATE_MIN_ANCHOR || h->anchor >= EVALSTATE_END_ANCHOR)
		return "anchor out of the range of dates";
	if (h->nentries > h->nitems)
		return "more entries than items";
	if (len != EVALSTATE_HEADER + (size_t) h->nentries * EVALSTATE_ENTRY)
		return "length does not match the number of entries";
	return NULL;
}

/* Read and check an entry (see evalstate_codec.h). */
const char *
evalcodec_get_entry(const char *p, int nitems, int prev_idx, bool allow_negative,
					int *idx, int32_t *count, double *sum)
{
	uint64_t	bits = ((uint64_t) get32(p + 6) << 32) | get32(p + 10);

	*idx = get16(p);
	*count = (int32_t) get32(p + 2);
	memcpy(sum, &bits, 8);
	if (*idx >= nitems)
		return "item index out of range";
	if (*idx <= prev_idx)
		return "entries not in item order, or an item twice";
	if (!isfinite(*sum))
		return "sum not finite";
	if (*count < 0 && !allow_negative)
		return "negative count";
	return NULL;
}

/* *count + add, refusing what does not fit (see evalstate_codec.h). */
bool
evalcodec_count_add(int32_t *count, int64_t add)
{
	int64_t		r = (int64_t) *count + add;

	if (r > INT32_MAX || r < INT32_MIN)
		return false;
	*count = (int32_t) r;
	return true;
}
