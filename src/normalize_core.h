/*
 * normalize_core.h
 *      Matching keys of organisation and person names, and the similarity of
 *      two keys: pure C on ICU, no PostgreSQL dependency, so that fuzz/ can
 *      build it outside the server.  normalize.c and match.c wrap it.
 */
#ifndef NORMALIZE_CORE_H
#define NORMALIZE_CORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Bumped whenever the hand-written rules change the keys they produce. */
#define NN_RULES_VERSION    2

/*
 * Longest input accepted, in bytes, and longest compatibility form (NFKC,
 * which may expand a character up to 18 times), in UTF-16 units.
 */
#define NN_MAX_INPUT        (16 * 1024 * 1024)

/* Allocator the caller provides (palloc in the server, malloc outside). */
typedef void *(*nn_alloc_fn) (size_t size);
typedef void (*nn_free_fn) (void *ptr);

/* ICU objects, opened once and reused. */
typedef struct NameNormalizer
{
	const void *nfkc_cf;		/* const UNormalizer2 * */
	void	   *t2s;			/* UTransliterator * (Traditional-Simplified) */
	void	   *t2s_source;		/* frozen USet *: characters t2s changes alone */
	uint64_t   *t2s_pairs;		/* sorted two-character phrases t2s changes */
	int			t2s_npairs;
	uint32_t   *t2s_bmp;		/* bits: BMP characters of t2s_source, then
								 * first characters of pairs */
	uint64_t   *t2s_fix;		/* sorted (from << 21 | to): characters whose
								 * t2s mapping is not a fixed point */
	int			t2s_nfix;
	bool		always_t2s;		/* transliterate every string (the fuzzer
								 * checks the filter) */
	int32_t		t2s_chunk;		/* UTF-16 units normalised and transliterated
								 * per step (NN_T2S_CHUNK) */
	void		(*interrupt) (void);	/* called between steps of long work;
										 * may not return */
} NameNormalizer;

/*
 * Long names are normalised and transliterated in steps of this many UTF-16
 * units, and the
 * interrupt hook is called between steps and every NN_INTERRUPT_EVERY units
 * of the other passes, so that the server can cancel a call at any time.
 * Every pass is linear in the length of its input.
 */
#define NN_T2S_CHUNK        4096
#define NN_INTERRUPT_EVERY  65536

/* Result codes of nn_normalize. */
typedef enum NNStatus
{
	NN_OK = 0,
	NN_BAD_UTF8,				/* the input is not valid UTF-8 */
	NN_TOO_LONG,				/* input or its NFKC form longer than
								 * NN_MAX_INPUT */
	NN_ICU_ERROR				/* ICU failed; *icu_error names the error */
} NNStatus;

/* Open the ICU objects; false (and the ICU error name) on failure. */
extern bool nn_open(NameNormalizer *nn, const char **icu_error);

/* Release what nn_open opened. */
extern void nn_close(NameNormalizer *nn);

/*
 * Normalise UTF-8 text of len bytes.  On NN_OK *out is a NUL-terminated
 * UTF-8 key allocated with alloc (*outlen bytes without the NUL).  Work
 * buffers are allocated with alloc and released with dealloc.
 */
extern NNStatus nn_normalize(const NameNormalizer *nn, const char *in, size_t len,
							 nn_alloc_fn alloc, nn_free_fn dealloc,
							 char **out, size_t *outlen, const char **icu_error);

/* Version string of the rules and of ICU, e.g. "rules 1, ICU 72.1". */
extern void nn_version(char *buf, size_t buflen);

/*
 * Name keys as weighted character n-grams.  A key (already normalised) is
 * split into a region prefix (江苏省江阴市 ...), a core and a legal-form
 * suffix (有限公司, (普通合伙) ...); grams of the prefix weigh
 * NN_REGION_WEIGHT, those of the suffix NN_SUFFIX_WEIGHT (an old legal
 * form is a common difference), those of the core 1.
 */
#define NN_REGION_WEIGHT    0.2
#define NN_SUFFIX_WEIGHT    0.15
#define NN_REGION_CONFLICT  0.85	/* factor when both keys name different
									 * regions */
#define NN_MAX_CHARS        256 /* longer keys are compared on their first 256
								 * characters */

typedef struct NNGrams
{
	int			nchars;
	int			core_start;		/* first character of the core */
	int			core_end;		/* one past its last character */
	int			province_end;	/* the region prefix's province part ends here
								 * (0: none) */
	uint32_t	chars[NN_MAX_CHARS];
} NNGrams;

/* Decode a normalised key and find its prefix, core and suffix. */
extern void nn_split(const char *key, size_t len, NNGrams *g);

/*
 * Similarity in [0, 1] of two split keys: the weighted Dice coefficient of
 * their character unigrams and bigrams (1 for equal keys), times
 * NN_REGION_CONFLICT when both name a region and the regions differ (see
 * nn_regions_conflict).
 */
extern double nn_similarity(const NNGrams *a, const NNGrams *b);

/*
 * The stem of the last division of a key's region prefix (江阴 of 江苏省江阴市,
 * 常州 of 常州市),
 * as characters [*start, *end) of g; false when there is none of 2-4 characters.
 */
extern bool nn_region_stem(const NNGrams *g, int *start, int *end);

/*
 * Do split key a and the key (len bytes) whose core starts at character
 * core_start name different regions?  Decodes only that key's prefix; the
 * same test nn_similarity applies (NN_REGION_CONFLICT).
 */
extern bool nn_regions_conflict(const NNGrams *a, const char *key, size_t len, int core_start);

/* Hash of the core bigram starting at character i (the index's n-gram). */
extern uint32_t nn_gram_hash(const NNGrams *g, int i);

/* Number of indexed n-grams of a split key and their hashes (at most max). */
extern int	nn_core_grams(const NNGrams *g, uint32_t *out, int max);

#endif							/* NORMALIZE_CORE_H */
