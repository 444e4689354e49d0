/*
 * match_index.c
 *      The per-backend index of active list entries: hash maps on canonical
 *      codes, organisation codes, pseudonyms and name keys, and an inverted
 *      index of the name keys' core bigrams for fuzzy candidates.
 *
 * Built in its own memory context by one query over credit.list_entry; a
 * relcache invalidation of credit.list or credit.list_entry (sent by the
 * statement triggers of those tables), a new day, a new pseudonym key or the
 * end of a transaction that built it under a transaction snapshot makes it
 * stale, and the next probe rebuilds it.  Probes run no query.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "common/hashfn.h"
#include "executor/spi.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/syscache.h"

#include <unicode/utf8.h>

#include "cache.h"
#include "credit.h"
#include "util.h"
#include "match.h"

const char *const match_level_names[LEVEL_COUNT] =
{"code", "org_code", "pseudonym", "name", "fuzzy"};

/*
 * Fuzzy candidates come from two places: entries whose name core (the name
 * without region prefix and legal form) equals the probe's, or equals it
 * once a region stem seen in the entries (江阴 of 江阴市) is taken off the
 * front of either (a region written without 市 is read as part of the core:
 * 江阴华达机械); and entries sharing the probe's rare core bigrams (posting
 * lists at most RARE_POSTING long): all of the probe's rare bigrams but two
 * (a typo changes two), and at least RARE_SHARED, for cores of at least
 * RARE_MIN_CORE characters (in a shorter one a typo costs too much similarity).
 */
#define RARE_POSTING    16		/* a bigram in at most this many entries is
								 * rare */
#define RARE_SHARED     2
#define RARE_MIN_CORE   6		/* shortest core searched by rare bigrams */
#define CORE_HIT        128		/* count mark of a core-key candidate */
#define MAX_CANDIDATES  4096	/* candidates examined per probe, at most */

static MIndex *current = NULL;

/*
 * A change of a list table makes the index stale (cache.c); so does the end
 * of a transaction whose snapshot built it.
 */
static void
match_xact_callback(XactEvent event, void *arg)
{
	if (current != NULL && current->xact_snapshot &&
		(event == XACT_EVENT_COMMIT || event == XACT_EVENT_ABORT ||
		 event == XACT_EVENT_PARALLEL_COMMIT || event == XACT_EVENT_PARALLEL_ABORT))
		credit_cache_stale(CREDIT_CACHE_LIST);
}

/* Register the transaction callback (from _PG_init). */
void
credit_match_init(void)
{
	RegisterXactCallback(match_xact_callback, NULL);
}

/* ---------------------------------------------------------------------- */
/* Hash maps                                                               */
/* ---------------------------------------------------------------------- */

/* Allocate a map for n keys, every bucket empty. */
static void
map_init(MMap *m, int32 n)
{
	uint32		size = 16;

	while (size < (uint32) n * 2)
		size <<= 1;
	m->mask = size - 1;
	m->heads = palloc(sizeof(int32) * size);
	memset(m->heads, 0xFF, sizeof(int32) * size);
}

/* Bucket of a byte string. */
static inline uint32
map_bucket(const MMap *m, const void *key, int len)
{
	return hash_bytes((const unsigned char *) key, len) & m->mask;
}

/* ---------------------------------------------------------------------- */
/* Building                                                                */
/* ---------------------------------------------------------------------- */

/*
 * Sort (gram << 32 | entry) pairs by gram, keeping the entry order of equal
 * grams: a stable radix sort on the gram's four bytes (pairs come in entry
 * order).  tmp has room for n pairs.
 */
static void
sort_pairs(uint64 *pairs, uint64 *tmp, int32 n)
{
	int			byte;

	for (byte = 4; byte < 8; byte++)
	{
		int32		count[257];
		int32		i;
		int			shift = byte * 8;

		memset(count, 0, sizeof(count));
		for (i = 0; i < n; i++)
			count[((pairs[i] >> shift) & 0xFF) + 1]++;
		for (i = 0; i < 256; i++)
			count[i + 1] += count[i];
		for (i = 0; i < n; i++)
			tmp[count[(pairs[i] >> shift) & 0xFF]++] = pairs[i];
		memcpy(pairs, tmp, sizeof(uint64) * n);
	}
}

/* Organisation code of a canonical code of a kind, "" when it has none. */
static void
org_of(CodeKind kind, const char *canon, char *org)
{
	if (kind == CODE_USCC)
	{
		memcpy(org, canon + 8, ORG_CODE_LEN);
		org[ORG_CODE_LEN] = '\0';
	}
	else if (kind == CODE_ORG_CODE)
		strlcpy(org, canon, ORG_CODE_LEN + 1);
	else
		org[0] = '\0';
}

/* Code kind from its SQL name. */
static CodeKind
kind_from_name(const char *s)
{
	int			k;

	if (s == NULL)
		return CODE_NONE;
	for (k = CODE_USCC; k <= CODE_PSEUDONYM; k++)
		if (strcmp(s, code_kind_name((CodeKind) k)) == 0)
			return (CodeKind) k;
	return CODE_NONE;
}

static CreditQuery q_lists = {
	"SELECT l.code FROM credit.list l ORDER BY l.code COLLATE pg_catalog.\"C\"", 0, {0}
};
static CreditQuery q_entries = {
	"SELECT e.id, e.list_code, e.name_key, e.code_kind, e.code_canonical"
	"  FROM credit.list_entry e WHERE credit.list_entry_active(e.listed_on, e.expires_on, e.removed_on)", 0, {0}
};

/*
 * Read the active entries with SPI into ix, with the owner's rights: the
 * index serves every caller (what a caller may see of an entry is decided
 * where results are returned).
 */
static void
load_entries(MIndex *ix)
{
	MemoryContext old;
	CreditScope scope;
	uint64		i,
				n;

	credit_scope_enter(&scope, true);
	{
		if (SPI_connect() != SPI_OK_CONNECT)
			elog(ERROR, "SPI_connect failed");
		credit_query_exec(&q_lists, NULL, NULL, true, SPI_OK_SELECT, "reading credit.list");
		old = MemoryContextSwitchTo(ix->cxt);
		ix->nlists = (int32) SPI_processed;
		ix->lists = palloc(sizeof(char *) * (ix->nlists + 1));
		for (i = 0; i < SPI_processed; i++)
			ix->lists[i] = SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1);
		MemoryContextSwitchTo(old);

		credit_query_exec(&q_entries, NULL, NULL, true, SPI_OK_SELECT, "reading credit.list_entry");
		n = SPI_processed;
		old = MemoryContextSwitchTo(ix->cxt);
		ix->entries = palloc0(sizeof(MEntry) * (n + 1));
		ix->nentries = 0;
		for (i = 0; i < n; i++)
		{
			HeapTuple	t = SPI_tuptable->vals[i];
			TupleDesc	d = SPI_tuptable->tupdesc;
			MEntry	   *e = &ix->entries[ix->nentries];
			bool		isnull;
			char	   *list = SPI_getvalue(t, d, 2);
			char	   *key = SPI_getvalue(t, d, 3);
			char	   *canon = SPI_getvalue(t, d, 5);
			int			lo = 0,
						hi = ix->nlists - 1;

			e->id = DatumGetInt64(SPI_getbinval(t, d, 1, &isnull));
			e->list = -1;
			while (lo <= hi)
			{
				int			mid = (lo + hi) / 2,
							c = strcmp(ix->lists[mid], list);

				if (c == 0)
				{
					e->list = mid;
					break;
				}
				if (c < 0)
					lo = mid + 1;
				else
					hi = mid - 1;
			}
			if (e->list < 0)
				continue;		/* a list created after we read credit.list */
			e->kind = (uint8) kind_from_name(SPI_getvalue(t, d, 4));
			if (key == NULL)
				key = pstrdup("");
			if (GetDatabaseEncoding() != PG_UTF8)
				key = (char *) pg_server_to_any(key, strlen(key), PG_UTF8);
			e->name_key = key;
			e->name_len = (int32) strlen(key);
			e->canon = (e->kind != CODE_NONE && canon != NULL) ? canon : NULL;
			if (e->canon == NULL)
				e->kind = CODE_NONE;
			org_of((CodeKind) e->kind, e->canon, e->org);
			if (e->kind == CODE_PSEUDONYM)
			{
				hex_decode(e->canon, 2 * PSEUDONYM_LEN, (char *) e->pseudonym);
				e->has_pseudonym = true;
				ix->npseudonyms++;
			}
			ix->nentries++;
		}
		MemoryContextSwitchTo(old);
		SPI_finish();
	}
	credit_scope_exit(&scope);
}

/* Byte offset of character idx of a UTF-8 key. */
static int32
char_offset(const char *key, int32 len, int idx)
{
	int32		off = 0;

	while (idx > 0 && off < len)
	{
		off++;
		while (off < len && (key[off] & 0xC0) == 0x80)
			off++;
		idx--;
	}
	return off;
}

/* Find a byte string in a map of nodes; the node index or -1. */
static int32
node_find(const MMap *m, const MCoreNode *nodes, const MIndex *ix, const char *key, int32 len)
{
	int32		i;

	for (i = m->heads[map_bucket(m, key, len)]; i >= 0; i = nodes[i].next)
		if (nodes[i].len == len &&
			memcmp(ix->entries[nodes[i].entry].name_key + nodes[i].off, key, len) == 0)
			return i;
	return -1;
}

/* Add node (entry, off, len) to a map. */
static void
node_add(MMap *m, MCoreNode *nodes, int32 *count, int32 entry, const char *key, int32 off, int32 len)
{
	MCoreNode  *node = &nodes[*count];
	uint32		b = map_bucket(m, key + off, len);

	node->entry = entry;
	node->off = off;
	node->len = len;
	node->next = m->heads[b];
	m->heads[b] = (*count)++;
}

/*
 * Byte range of the core of a key without a leading region stem known to the
 * index (2-4 characters, at least 2 left); false when it starts with none.
 */
static bool
core_without_stem(const MIndex *ix, const char *key, int32 len, int cs, int ce, int32 *off, int32 *end)
{
	int			l;
	int32		i = char_offset(key, len, cs);
	UChar32		first;

	/* most cores start with no stem's first character */
	U8_NEXT((const uint8_t *) key, i, len, first);
	if (first < 0 || (ix->stem_first & (UINT64_C(1) << (first % 64))) == 0)
		return false;
	for (l = 2; l <= 4 && ce - cs - l >= 2; l++)
	{
		int32		o = char_offset(key, len, cs),
					m = char_offset(key, len, cs + l);

		if (node_find(&ix->by_stem, ix->stem_nodes, ix, key + o, m - o) >= 0)
		{
			*off = m;
			*end = char_offset(key, len, ce);
			return true;
		}
	}
	return false;
}

/* Register entry i under its core key, and under the core without a leading region stem. */
static void
add_core_nodes(MIndex *ix, int32 i)
{
	MEntry	   *e = &ix->entries[i];
	int32		off = char_offset(e->name_key, e->name_len, e->core_start),
				end = char_offset(e->name_key, e->name_len, e->core_end);

	if (e->core_end - e->core_start < 2)
		return;
	node_add(&ix->by_core, ix->core_nodes, &ix->ncore, i, e->name_key, off, end - off);
	if (core_without_stem(ix, e->name_key, e->name_len, e->core_start, e->core_end, &off, &end))
		node_add(&ix->by_core, ix->core_nodes, &ix->ncore, i, e->name_key, off, end - off);
}

/* Build the maps and the n-gram index over the loaded entries. */
static void
build_maps(MIndex *ix)
{
	int32		n = ix->nentries,
				i,
				npairs = 0,
				cap = n * 4 + 16;
	uint64	   *pairs;
	NNGrams    *g = palloc(sizeof(NNGrams));

	map_init(&ix->by_code, n);
	map_init(&ix->by_org, n);
	map_init(&ix->by_name, n);
	map_init(&ix->by_pseud, n);
	map_init(&ix->by_core, n * 2);
	map_init(&ix->by_stem, n);
	ix->core_nodes = MemoryContextAllocHuge(CurrentMemoryContext, sizeof(MCoreNode) * ((Size) n * 2 + 1));
	ix->stem_nodes = MemoryContextAllocHuge(CurrentMemoryContext, sizeof(MCoreNode) * ((Size) n + 1));
	ix->ncore = ix->nstem = 0;
	pairs = MemoryContextAllocHuge(CurrentMemoryContext, sizeof(uint64) * cap);

	/* first the cores, and the region stems the entries show */
	for (i = 0; i < n; i++)
	{
		MEntry	   *e = &ix->entries[i];
		int			ss,
					se;

		uint32		grams[NN_MAX_CHARS];
		int			k,
					ng;

		if (e->name_len == 0)
			continue;
		nn_split(e->name_key, e->name_len, g);
		e->core_start = (int16) g->core_start;
		e->core_end = (int16) g->core_end;
		ng = nn_core_grams(g, grams, NN_MAX_CHARS);
		for (k = 0; k < ng; k++)
		{
			if (npairs == cap)
			{
				cap *= 2;
				pairs = repalloc_huge(pairs, sizeof(uint64) * cap);
			}
			pairs[npairs++] = ((uint64) grams[k] << 32) | (uint32) i;
		}
		if (nn_region_stem(g, &ss, &se))
		{
			int32		o = char_offset(e->name_key, e->name_len, ss),
						m = char_offset(e->name_key, e->name_len, se);

			if (node_find(&ix->by_stem, ix->stem_nodes, ix, e->name_key + o, m - o) < 0)
			{
				node_add(&ix->by_stem, ix->stem_nodes, &ix->nstem, i, e->name_key, o, m - o);
				ix->stem_first |= UINT64_C(1) << (g->chars[ss] % 64);
			}
		}
	}

	for (i = n - 1; i >= 0; i--)	/* prepend in reverse: chains run by id */
	{
		MEntry	   *e = &ix->entries[i];
		uint32		b;

		e->next_code = e->next_org = e->next_name = e->next_pseud = -1;
		if (e->kind == CODE_USCC || e->kind == CODE_RESIDENT_ID)
		{
			b = map_bucket(&ix->by_code, e->canon, strlen(e->canon));
			e->next_code = ix->by_code.heads[b];
			ix->by_code.heads[b] = i;

			/*
			 * a person's raw ID number is found by pseudonym too when a key
			 * is set (pseudonyms stand for personal numbers; USCCs are
			 * public)
			 */
			if (ix->key_copy != NULL && e->kind == CODE_RESIDENT_ID)
			{
				credit_pseudonym_hmac(e->canon, strlen(e->canon), e->pseudonym);
				e->has_pseudonym = true;
			}
		}
		if (e->org[0] != '\0')
		{
			b = map_bucket(&ix->by_org, e->org, ORG_CODE_LEN);
			e->next_org = ix->by_org.heads[b];
			ix->by_org.heads[b] = i;
		}
		if (e->has_pseudonym)
		{
			b = map_bucket(&ix->by_pseud, e->pseudonym, PSEUDONYM_LEN);
			e->next_pseud = ix->by_pseud.heads[b];
			ix->by_pseud.heads[b] = i;
		}
		if (e->name_len > 0)
		{
			b = map_bucket(&ix->by_name, e->name_key, e->name_len);
			e->next_name = ix->by_name.heads[b];
			ix->by_name.heads[b] = i;

			add_core_nodes(ix, i);
		}
	}

	/* the inverted index: sort (gram, entry) pairs and cut them into postings */
	{
		uint64	   *tmp = MemoryContextAllocHuge(CurrentMemoryContext, sizeof(uint64) * (npairs + 1));

		sort_pairs(pairs, tmp, npairs);
		pfree(tmp);
	}
	ix->postings = MemoryContextAllocHuge(CurrentMemoryContext, sizeof(int32) * (npairs + 1));
	ix->gram = MemoryContextAllocHuge(CurrentMemoryContext, sizeof(uint32) * (npairs + 1));
	ix->gram_start = MemoryContextAllocHuge(CurrentMemoryContext, sizeof(int32) * (npairs + 2));
	ix->ngrams = 0;
	for (i = 0; i < npairs; i++)
	{
		uint32		gh = (uint32) (pairs[i] >> 32);

		if (ix->ngrams == 0 || ix->gram[ix->ngrams - 1] != gh)
		{
			ix->gram[ix->ngrams] = gh;
			ix->gram_start[ix->ngrams] = i;
			ix->ngrams++;
		}
		ix->postings[i] = (int32) (pairs[i] & 0xFFFFFFFF);
	}
	ix->gram_start[ix->ngrams] = npairs;

	/*
	 * a hash table over the distinct grams, so that a probe finds each with
	 * one look
	 */
	{
		uint32		size = 16;

		while (size < (uint32) ix->ngrams * 2)
			size <<= 1;
		ix->gram_mask = size - 1;
		ix->gram_slots = MemoryContextAllocHuge(CurrentMemoryContext, sizeof(int32) * size);
		memset(ix->gram_slots, 0, sizeof(int32) * size);
		for (i = 0; i < ix->ngrams; i++)
		{
			uint32		slot = ix->gram[i] & ix->gram_mask;

			while (ix->gram_slots[slot] != 0)
				slot = (slot + 1) & ix->gram_mask;
			ix->gram_slots[slot] = i + 1;
		}
	}
	pfree(pairs);
	pfree(g);

	ix->counts = MemoryContextAllocHuge(CurrentMemoryContext, sizeof(uint16) * (n + 1));
	memset(ix->counts, 0, sizeof(uint16) * (n + 1));
	ix->touched = MemoryContextAllocHuge(CurrentMemoryContext, sizeof(int32) * (n + 1));
}

/* Is the current index usable? */
static bool
index_fresh(void)
{
	const char *key = credit_pseudonym_key_set() ? credit_pseudonym_key : NULL;

	if (current == NULL || current->inval_count != credit_cache_generation(CREDIT_CACHE_LIST))
		return false;
	if (current->built_on != credit_today())
		return false;
	if ((key == NULL) != (current->key_copy == NULL) ||
		(key != NULL && strcmp(key, current->key_copy) != 0))
		return false;
	return true;
}

/* The current index, rebuilt first when stale. */
MIndex *
match_index_get(void)
{
	MemoryContext cxt,
				old;
	MIndex	   *ix;
	uint64		gen;

	/* a key other roles can read is refused here too, even for a built index */
	if (credit_pseudonym_key_set())
		credit_pseudonym_key_guard();
	if (index_fresh())
		return current;

	gen = credit_cache_generation(CREDIT_CACHE_LIST);

	cxt = AllocSetContextCreate(TopMemoryContext, "credit list index", ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(cxt);
	PG_TRY();
	{
		ix = palloc0(sizeof(MIndex));
		ix->cxt = cxt;
		ix->inval_count = gen;
		ix->built_on = credit_today();
		ix->xact_snapshot = IsolationUsesXactSnapshot();
		ix->lenient = credit_uscc_lenient;
		ix->key_copy = credit_pseudonym_key_set() ? pstrdup(credit_pseudonym_key) : NULL;
		load_entries(ix);
		build_maps(ix);
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(old);
		MemoryContextDelete(cxt);
		PG_RE_THROW();
	}
	PG_END_TRY();
	MemoryContextSwitchTo(old);

	if (current != NULL)
		MemoryContextDelete(current->cxt);
	current = ix;
	return ix;
}

/* ---------------------------------------------------------------------- */
/* Probing                                                                 */
/* ---------------------------------------------------------------------- */

/*
 * Fill the organisation code of a probe and its pseudonym: given, or of a
 * person's ID number when a key is set and some entry was sent as a pseudonym.
 */
void
match_probe_prepare(MIndex *ix, MProbe *p)
{
	org_of(p->kind, p->canon, p->org);
	p->has_pseudonym = false;
	if (p->kind == CODE_PSEUDONYM)
	{
		hex_decode(p->canon, 2 * PSEUDONYM_LEN, (char *) p->pseudonym);
		p->has_pseudonym = true;
	}
	else if (p->kind == CODE_RESIDENT_ID && ix->key_copy != NULL && ix->npseudonyms > 0)
	{
		credit_pseudonym_hmac(p->canon, strlen(p->canon), p->pseudonym);
		p->has_pseudonym = true;
	}
}

/*
 * Do the probe's and the entry's identifiers contradict each other?  Only
 * when both carry a recognised code and these name different subjects; a
 * name match is then not a match.
 */
static bool
codes_conflict(const MProbe *p, const MEntry *e)
{
	bool		p18 = p->kind == CODE_USCC || p->kind == CODE_RESIDENT_ID;
	bool		e18 = e->kind == CODE_USCC || e->kind == CODE_RESIDENT_ID;

	if (p->kind == CODE_NONE || e->kind == CODE_NONE)
		return false;
	if (p->has_pseudonym && e->has_pseudonym)
		return memcmp(p->pseudonym, e->pseudonym, PSEUDONYM_LEN) != 0;
	if (p->kind == CODE_PSEUDONYM || e->kind == CODE_PSEUDONYM)
		return false;			/* no key: cannot tell */
	if (p18 && e18)
		return strcmp(p->canon, e->canon) != 0;
	if (p->org[0] != '\0' && e->org[0] != '\0')
		return strcmp(p->org, e->org) != 0;
	return true;				/* a person's number against an organisation's
								 * code */
}

/* Record a hit, keeping the strongest level per entry. */
static void
add_hit(int32 entry, MatchLevel level, double sim, MHit **hits, int *nhits, int *cap, int first)
{
	int			i;

	for (i = first; i < *nhits; i++)
		if ((*hits)[i].entry == entry)
		{
			if (level < (*hits)[i].level)
				(*hits)[i].level = level;
			if (sim > (*hits)[i].similarity)
				(*hits)[i].similarity = sim;
			return;
		}
	if (*nhits == *cap)
	{
		*cap = *cap * 2 + 8;
		*hits = *hits ? repalloc(*hits, sizeof(MHit) * *cap) : palloc(sizeof(MHit) * *cap);
	}
	(*hits)[*nhits].entry = entry;
	(*hits)[*nhits].level = level;
	(*hits)[*nhits].similarity = sim;
	(*nhits)++;
}

/* Order hits: level, then similarity descending, then entry id. */
static int
hit_cmp(const void *a, const void *b, void *arg)
{
	const MHit *x = a,
			   *y = b;
	const MIndex *ix = arg;
	int64		ia,
				ib;

	if (x->level != y->level)
		return x->level < y->level ? -1 : 1;
	if (x->similarity != y->similarity)
		return x->similarity > y->similarity ? -1 : 1;
	ia = ix->entries[x->entry].id;
	ib = ix->entries[y->entry].id;
	return ia < ib ? -1 : ia > ib;
}

/* Run one probe against the index (see match.h). */
void
match_probe(MIndex *ix, const MProbe *p, const bool *lists, double min_similarity,
			MHit **hits, int *nhits, int *cap)
{
	int			first = *nhits;
	int32		i;
	NNGrams    *pg = NULL;

#define WANTED(e) ((lists == NULL || lists[(e)->list]) && (e)->id != p->self_id)

	if (p->kind == CODE_USCC || p->kind == CODE_RESIDENT_ID)
	{
		for (i = ix->by_code.heads[map_bucket(&ix->by_code, p->canon, strlen(p->canon))];
			 i >= 0; i = ix->entries[i].next_code)
		{
			MEntry	   *e = &ix->entries[i];

			if (WANTED(e) && strcmp(e->canon, p->canon) == 0)
				add_hit(i, LEVEL_CODE, -1, hits, nhits, cap, first);
		}
	}
	if (p->org[0] != '\0')
	{
		for (i = ix->by_org.heads[map_bucket(&ix->by_org, p->org, ORG_CODE_LEN)];
			 i >= 0; i = ix->entries[i].next_org)
		{
			MEntry	   *e = &ix->entries[i];

			if (WANTED(e) && strcmp(e->org, p->org) == 0)
				add_hit(i, LEVEL_ORG_CODE, -1, hits, nhits, cap, first);
		}
	}
	if (p->has_pseudonym)
	{
		for (i = ix->by_pseud.heads[map_bucket(&ix->by_pseud, p->pseudonym, PSEUDONYM_LEN)];
			 i >= 0; i = ix->entries[i].next_pseud)
		{
			MEntry	   *e = &ix->entries[i];

			if (WANTED(e) && memcmp(e->pseudonym, p->pseudonym, PSEUDONYM_LEN) == 0)
				add_hit(i, LEVEL_PSEUDONYM, -1, hits, nhits, cap, first);
		}
	}
	if (p->name_key != NULL && p->name_len > 0)
	{
		uint32		grams[NN_MAX_CHARS];
		int			ng,
					k,
					shift,
					nrare = 0,
					need,
					ntouched = 0;
		NNGrams    *eg;

		pg = palloc(sizeof(NNGrams));
		nn_split(p->name_key, p->name_len, pg);

		if (pg->core_end - pg->core_start < 2)
		{
			/* no core to look up by: equal names only */
			for (i = ix->by_name.heads[map_bucket(&ix->by_name, p->name_key, (int) p->name_len)];
				 i >= 0; i = ix->entries[i].next_name)
			{
				MEntry	   *e = &ix->entries[i];

				if (WANTED(e) && (size_t) e->name_len == p->name_len &&
					memcmp(e->name_key, p->name_key, p->name_len) == 0 &&
					!codes_conflict(p, e))
					add_hit(i, LEVEL_NAME, 1.0, hits, nhits, cap, first);
			}
		}
		else
		{
			/*
			 * Entries with the same core, with or without a leading region
			 * stem: among them those with the same name (an equal name has an
			 * equal core), the rest fuzzy candidates.
			 */
			for (shift = 0; shift < 2; shift++)
			{
				int32		off = char_offset(p->name_key, (int32) p->name_len, pg->core_start),
							end = char_offset(p->name_key, (int32) p->name_len, pg->core_end);

				if (shift == 1 &&
					!core_without_stem(ix, p->name_key, (int32) p->name_len, pg->core_start, pg->core_end,
									   &off, &end))
					break;
				for (i = ix->by_core.heads[map_bucket(&ix->by_core, p->name_key + off, end - off)];
					 i >= 0; i = ix->core_nodes[i].next)
				{
					MCoreNode  *node = &ix->core_nodes[i];

					if (node->len == end - off && ix->counts[node->entry] < CORE_HIT &&
						memcmp(ix->entries[node->entry].name_key + node->off, p->name_key + off, node->len) == 0)
					{
						if (ix->counts[node->entry] == 0)
						{
							if (ntouched == MAX_CANDIDATES)
								continue;
							ix->touched[ntouched++] = node->entry;
						}
						ix->counts[node->entry] += CORE_HIT;
					}
				}
			}
			for (k = 0; k < ntouched; k++)
			{
				MEntry	   *e = &ix->entries[ix->touched[k]];

				if (WANTED(e) && (size_t) e->name_len == p->name_len &&
					memcmp(e->name_key, p->name_key, p->name_len) == 0 &&
					!codes_conflict(p, e))
					add_hit(ix->touched[k], LEVEL_NAME, 1.0, hits, nhits, cap, first);
			}
		}

		/* fuzzy: only when nothing stronger matched */
		if (*nhits == first && min_similarity <= 1.0)
		{
			/*
			 * entries sharing rare core bigrams: a typo keeps a name above a
			 * useful threshold only in a core of RARE_MIN_CORE characters or
			 * more
			 */
			ng = pg->core_end - pg->core_start >= RARE_MIN_CORE ? nn_core_grams(pg, grams, NN_MAX_CHARS) : 0;
			for (k = 0; k < ng; k++)
			{
				uint32		slot = grams[k] & ix->gram_mask;
				int			at = -1;

				while (ix->gram_slots[slot] != 0)
				{
					if (ix->gram[ix->gram_slots[slot] - 1] == grams[k])
					{
						at = ix->gram_slots[slot] - 1;
						break;
					}
					slot = (slot + 1) & ix->gram_mask;
				}
				if (at < 0 || ix->gram_start[at + 1] - ix->gram_start[at] > RARE_POSTING)
					continue;
				nrare++;
				for (i = ix->gram_start[at]; i < ix->gram_start[at + 1]; i++)
				{
					int32		en = ix->postings[i];

					if (ix->counts[en] == 0)
					{
						if (ntouched == MAX_CANDIDATES)
							continue;
						ix->touched[ntouched++] = en;
					}
					ix->counts[en]++;
				}
			}

			/*
			 * a typo costs at most two bigrams: share all rare ones but two,
			 * and at least two
			 */
			need = Max(RARE_SHARED, nrare - 2);
			eg = palloc(sizeof(NNGrams));
			for (k = 0; k < ntouched; k++)
			{
				int32		en = ix->touched[k];
				MEntry	   *e = &ix->entries[en];

				if ((ix->counts[en] >= CORE_HIT || ix->counts[en] >= need) &&
					WANTED(e) && !codes_conflict(p, e) &&

				/*
				 * different regions cap the similarity below
				 * NN_REGION_CONFLICT
				 */
					!(min_similarity >= NN_REGION_CONFLICT &&
					  nn_regions_conflict(pg, e->name_key, e->name_len, e->core_start)))
				{
					double		sim;

					nn_split(e->name_key, e->name_len, eg);
					sim = nn_similarity(pg, eg);
					if (sim >= min_similarity)
						add_hit(en, LEVEL_FUZZY, sim, hits, nhits, cap, first);
				}
			}
			pfree(eg);
		}
		for (k = 0; k < ntouched; k++)
			ix->counts[ix->touched[k]] = 0;
	}

	/* similarity of the names for the code levels */
	for (i = first; i < *nhits; i++)
	{
		MHit	   *h = &(*hits)[i];

		if (h->similarity < 0)
		{
			MEntry	   *e = &ix->entries[h->entry];

			if (p->name_key == NULL)
				continue;
			if ((size_t) e->name_len == p->name_len &&
				memcmp(e->name_key, p->name_key, p->name_len) == 0)
				h->similarity = 1.0;
			else
			{
				NNGrams    *eg = palloc(sizeof(NNGrams));

				if (pg == NULL)
				{
					pg = palloc(sizeof(NNGrams));
					nn_split(p->name_key, p->name_len, pg);
				}
				nn_split(e->name_key, e->name_len, eg);
				h->similarity = nn_similarity(pg, eg);
				pfree(eg);
			}
		}
	}
	if (pg)
		pfree(pg);
	if (*nhits - first > 1)
		qsort_arg(*hits + first, *nhits - first, sizeof(MHit), hit_cmp, ix);
#undef WANTED
}
