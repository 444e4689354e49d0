/*
 * match.h
 *      The per-backend index of active list entries (match_index.c) and the
 *      probes credit.match and credit.cross_match run against it (match.c).
 */
#ifndef CREDIT_MATCH_H
#define CREDIT_MATCH_H

#include "postgres.h"

#include "code_parse.h"
#include "normalize.h"

/* Match levels, strongest first (the order of MatchLevel is the rank). */
typedef enum MatchLevel
{
	LEVEL_CODE = 0,				/* same USCC / resident ID after normalisation */
	LEVEL_ORG_CODE,				/* an old organisation code matches a USCC */
	LEVEL_PSEUDONYM,			/* same pseudonym */
	LEVEL_NAME,					/* equal name keys */
	LEVEL_FUZZY,				/* name similarity at or above the threshold */
	LEVEL_COUNT
} MatchLevel;

extern const char *const match_level_names[LEVEL_COUNT];

/* One active entry. */
typedef struct MEntry
{
	int64		id;
	int32		list;			/* index into MIndex.lists */
	uint8		kind;			/* CodeKind of the entry's code */
	bool		has_pseudonym;
	char	   *name_key;		/* UTF-8 */
	int32		name_len;
	char	   *canon;			/* canonical code, NULL when none */
	char		org[ORG_CODE_LEN + 1];	/* organisation code, "" when none */
	uint8		pseudonym[PSEUDONYM_LEN];
	int32		next_code;		/* hash chains: next entry with the same key,
								 * -1 */
	int32		next_org;
	int32		next_name;
	int32		next_pseud;
	int16		core_start;		/* core of the name key, in characters */
	int16		core_end;
} MEntry;

/* Open-addressing heads of one hash map: bucket → first entry, -1. */
typedef struct MMap
{
	uint32		mask;
	int32	   *heads;
} MMap;

/* One registration of an entry under a core key (a substring of its name key). */
typedef struct MCoreNode
{
	int32		entry;
	int32		next;			/* next node in the bucket, -1 */
	int32		off;			/* bytes of the key within the entry's
								 * name_key */
	int32		len;
} MCoreNode;

/* The index. Everything lives in cxt. */
typedef struct MIndex
{
	MemoryContext cxt;
	int32		nlists;
	char	  **lists;			/* list codes, sorted */
	int32		nentries;
	MEntry	   *entries;
	int32		npseudonyms;	/* entries sent as pseudonyms */
	MMap		by_code;		/* canonical 18-character codes */
	MMap		by_org;			/* organisation codes (of USCCs and of old
								 * codes) */
	MMap		by_name;		/* name keys */
	MMap		by_pseud;		/* pseudonyms (given, or computed from codes) */
	MMap		by_core;		/* core keys of names → nodes (fuzzy
								 * candidates) */
	int32		ncore;
	MCoreNode  *core_nodes;
	MMap		by_stem;		/* region stems seen in entries (江阴 of
								 * 江阴市) → nodes */
	int32		nstem;
	MCoreNode  *stem_nodes;
	uint64		stem_first;		/* bit (first character % 64) of every stem */

	/*
	 * n-gram inverted index (CSR): sorted distinct gram hashes and their
	 * postings
	 */
	int32		ngrams;
	uint32	   *gram;
	int32	   *gram_start;		/* ngrams + 1 offsets into postings */
	int32	   *postings;		/* entry indexes */
	uint32		gram_mask;		/* open-addressing table of the grams: slot →
								 * gram index + 1, 0 empty */
	int32	   *gram_slots;
	/* scratch for candidate counting */
	uint16	   *counts;
	int32	   *touched;
	/* what the index was built under */
	uint64		inval_count;
	int32		built_on;		/* DateADT */
	bool		xact_snapshot;	/* built under a transaction snapshot */
	char	   *key_copy;		/* credit.pseudonym_key at build, NULL when
								 * unset */
	bool		lenient;
} MIndex;

/* One match of a probe. */
typedef struct MHit
{
	int32		entry;
	MatchLevel	level;
	double		similarity;
} MHit;

/* A probe: what credit.match got, parsed. */
typedef struct MProbe
{
	const char *name_key;		/* UTF-8 key, NULL when no name */
	size_t		name_len;
	CodeKind	kind;
	char		canon[CODE_CANON_MAX + 1];
	char		org[ORG_CODE_LEN + 1];
	bool		has_pseudonym;
	uint8		pseudonym[PSEUDONYM_LEN];
	int64		self_id;		/* entry to skip (cross_match of a list with
								 * itself), 0 */
} MProbe;

/* The current index, rebuilt first when stale. */
extern MIndex *match_index_get(void);

/* Fill the organisation code and pseudonym of a parsed probe. */
extern void match_probe_prepare(MIndex *ix, MProbe *p);

/*
 * Run a probe; lists is a bool per index list (NULL: all).  Hits are
 * appended to *hits (palloc'd; *nhits and *cap updated), strongest first.
 */
extern void match_probe(MIndex *ix, const MProbe *p, const bool *lists, double min_similarity,
						MHit **hits, int *nhits, int *cap);

/* Register the relcache and transaction callbacks (from _PG_init). */
extern void credit_match_init(void);

#endif							/* CREDIT_MATCH_H */
