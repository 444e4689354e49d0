/*
 * normalize_core.c
 *      Matching keys of names (credit.normalize_name) and their similarity
 *      (credit.name_similarity), in pure C on ICU.
 *
 * Deliberately free of PostgreSQL headers so that fuzz/ can build it with
 * libFuzzer outside the server.  ICU does the Unicode work (NFKC with case
 * folding, the Traditional-Simplified transliterator, character classes);
 * only the domain rules (brackets, punctuation, legal forms, region prefixes)
 * are written here.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unicode/uchar.h>
#include <unicode/unorm2.h>
#include <unicode/uset.h>
#include <unicode/ustring.h>
#include <unicode/utf8.h>
#include <unicode/utf16.h>
#include <unicode/utrans.h>
#include <unicode/uversion.h>

#include "normalize_core.h"

/* Call the interrupt hook, if any. */
static inline void
nn_interrupt(const NameNormalizer *nn)
{
	if (nn->interrupt)
		nn->interrupt();
}

/* Does the transliterator change the n code units at b (n <= 8)? */
static bool
t2s_changes(const UTransliterator *t, const UChar *b, int32_t n)
{
	UChar		c[32];
	int32_t		len = n,
				limit = n;
	UErrorCode	err = U_ZERO_ERROR;

	memcpy(c, b, sizeof(UChar) * n);
	utrans_transUChars(t, c, &len, 32, 0, &limit, &err);
	return U_FAILURE(err) || len != n || memcmp(c, b, sizeof(UChar) * n) != 0;
}

static int	u64_cmp(const void *x, const void *y);

/* The transliterator's image of one BMP character, or -1 when it is not one BMP character. */
static int32_t
t2s_char(const UTransliterator *t, UChar32 c)
{
	UChar		b[8];
	int32_t		len = 1,
				limit = 1;
	UErrorCode	err = U_ZERO_ERROR;

	if (c > 0xFFFF)
		return -1;
	b[0] = (UChar) c;
	utrans_transUChars(t, b, &len, 8, 0, &limit, &err);
	return (U_FAILURE(err) || len != 1) ? -1 : (int32_t) b[0];
}

/*
 * ICU's Traditional-Simplified data maps a few characters in a cycle
 * (苎 → 苧 → 苎, 薴 → 苧): transliterating twice would change a key again.
 * Record, for every character of such an orbit, its smallest member; the
 * normaliser replaces transliterated characters by it, so keys are fixed
 * points.
 */
static bool
build_fix(NameNormalizer *nn, const USet *source)
{
	const UTransliterator *t = (const UTransliterator *) nn->t2s;
	int32_t		n = uset_size(source),
				i,
				cap = 8;

	nn->t2s_fix = malloc(sizeof(uint64_t) * cap);
	if (nn->t2s_fix == NULL)
		return false;
	for (i = 0; i < n; i++)
	{
		UChar32		orbit[8];
		int32_t		k = 0,
					j,
					min;
		int32_t		c = uset_charAt(source, i);
		int32_t		d = t2s_char(t, c);

		if (d < 0 || d == c || t2s_char(t, d) == d)
			continue;			/* not mapped alone, unchanged, or mapped to a
								 * fixed point */
		/* follow the orbit until it repeats */
		orbit[k++] = c;
		while (d >= 0 && k < 8)
		{
			for (j = 0; j < k && orbit[j] != d; j++)
				;
			if (j < k)
				break;
			orbit[k++] = d;
			d = t2s_char(t, d);
		}
		min = orbit[0];
		for (j = 1; j < k; j++)
			if (orbit[j] < min)
				min = orbit[j];
		for (j = 0; j < k; j++)
		{
			if (nn->t2s_nfix == cap)
			{
				uint64_t   *p = realloc(nn->t2s_fix, sizeof(uint64_t) * cap * 2);

				if (p == NULL)
					return false;
				nn->t2s_fix = p;
				cap *= 2;
			}
			nn->t2s_fix[nn->t2s_nfix++] = ((uint64_t) orbit[j] << 21) | (uint64_t) min;
		}
	}
	qsort(nn->t2s_fix, nn->t2s_nfix, sizeof(uint64_t), u64_cmp);
	return true;
}

/* The fixed-point representative of a transliterated BMP character. */
static UChar
t2s_fixed(const NameNormalizer *nn, UChar c)
{
	int32_t		lo = 0,
				hi = nn->t2s_nfix - 1;

	while (lo <= hi)
	{
		int32_t		mid = (lo + hi) / 2;
		uint32_t	from = (uint32_t) (nn->t2s_fix[mid] >> 21);

		if (from == c)
			return (UChar) (nn->t2s_fix[mid] & ((UINT64_C(1) << 21) - 1));
		if (from < c)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return c;
}

/* Order of uint64 keys for qsort and bsearch. */
static int
u64_cmp(const void *x, const void *y)
{
	uint64_t	a = *(const uint64_t *) x,
				b = *(const uint64_t *) y;

	return a < b ? -1 : a > b;
}

/*
 * What makes a string worth transliterating: a character the transliterator
 * changes on its own (the set), or a two-character phrase it changes although
 * each character alone stays (中嶽 → 中岳, 祇有 → 只有; the sorted pairs).
 * Most names have neither and skip the (slow) rule engine.
 */
static bool
build_trigger(NameNormalizer *nn, UErrorCode *err)
{
	const UTransliterator *t = (const UTransliterator *) nn->t2s;
	USet	   *source = uset_openEmpty(),
			   *trigger = uset_openEmpty();
	UChar32    *inert = NULL;
	int32_t		n,
				ninert = 0,
				cap = 64,
				i,
				j;

	nn->t2s_pairs = malloc(sizeof(uint64_t) * cap);
	utrans_getSourceSet(t, false, source, err);
	if (U_FAILURE(*err))
		goto done;
	n = uset_size(source);
	inert = malloc(sizeof(UChar32) * (n + 1));
	if (inert == NULL || nn->t2s_pairs == NULL)
	{
		*err = U_MEMORY_ALLOCATION_ERROR;
		goto done;
	}
	for (i = 0; i < n; i++)
	{
		UChar32		c = uset_charAt(source, i);
		UChar		b[2];
		int32_t		l = 0;

		U16_APPEND_UNSAFE(b, l, c);
		if (t2s_changes(t, b, l))
			uset_add(trigger, c);
		else
			inert[ninert++] = c;
	}
	for (i = 0; i < ninert; i++)
		for (j = 0; j < ninert; j++)
		{
			UChar		b[4];
			int32_t		l = 0;

			U16_APPEND_UNSAFE(b, l, inert[i]);
			U16_APPEND_UNSAFE(b, l, inert[j]);
			if (!t2s_changes(t, b, l))
				continue;
			if (nn->t2s_npairs == cap)
			{
				uint64_t   *p = realloc(nn->t2s_pairs, sizeof(uint64_t) * cap * 2);

				if (p == NULL)
				{
					*err = U_MEMORY_ALLOCATION_ERROR;
					goto done;
				}
				nn->t2s_pairs = p;
				cap *= 2;
			}
			nn->t2s_pairs[nn->t2s_npairs++] = ((uint64_t) inert[i] << 21) | (uint64_t) inert[j];
		}
	qsort(nn->t2s_pairs, nn->t2s_npairs, sizeof(uint64_t), u64_cmp);
	uset_freeze(trigger);

	/*
	 * a bitmap of the BMP characters of the set, and of the first characters
	 * of the pairs
	 */
	nn->t2s_bmp = calloc(2 * 65536 / 32, sizeof(uint32_t));
	if (nn->t2s_bmp == NULL)
	{
		*err = U_MEMORY_ALLOCATION_ERROR;
		goto done;
	}
	for (i = 0; i < 65536; i++)
		if (uset_contains(trigger, i))
			nn->t2s_bmp[i >> 5] |= UINT32_C(1) << (i & 31);
	for (i = 0; i < nn->t2s_npairs; i++)
	{
		uint32_t	c = (uint32_t) (nn->t2s_pairs[i] >> 21);

		if (c < 65536)
			nn->t2s_bmp[2048 + (c >> 5)] |= UINT32_C(1) << (c & 31);
	}
	if (!build_fix(nn, source))
		*err = U_MEMORY_ALLOCATION_ERROR;

done:
	free(inert);
	uset_close(source);
	nn->t2s_source = trigger;
	return U_SUCCESS(*err);
}

/* Does the UTF-16 string s (n units) need the transliterator? */
static bool
needs_t2s(const NameNormalizer *nn, const UChar *s, int32_t n)
{
	int32_t		i = 0;
	UChar32		prev = -1;
	bool		pair_start = false;
	uint32_t	steps = 0;

	if (nn->always_t2s)
		return true;
	while (i < n)
	{
		UChar32		c;

		if ((++steps & (NN_INTERRUPT_EVERY - 1)) == 0)
			nn_interrupt(nn);
		U16_NEXT(s, i, n, c);
		if (c < 65536)
		{
			if (nn->t2s_bmp[c >> 5] & (UINT32_C(1) << (c & 31)))
				return true;
		}
		else if (uset_contains((const USet *) nn->t2s_source, c))
			return true;
		if (pair_start)
		{
			uint64_t	key = ((uint64_t) prev << 21) | (uint64_t) c;

			if (bsearch(&key, nn->t2s_pairs, nn->t2s_npairs, sizeof(uint64_t), u64_cmp))
				return true;
		}
		prev = c;
		pair_start = c >= 65536 ||
			(nn->t2s_bmp[2048 + (c >> 5)] & (UINT32_C(1) << (c & 31))) != 0;
	}
	return false;
}

/* Open the NFKC_Casefold normaliser and the Traditional-Simplified transliterator. */
bool
nn_open(NameNormalizer *nn, const char **icu_error)
{
	UErrorCode	err = U_ZERO_ERROR;
	UChar		id[32];

	memset(nn, 0, sizeof(*nn));
	nn->t2s_chunk = NN_T2S_CHUNK;
	nn->nfkc_cf = unorm2_getNFKCCasefoldInstance(&err);
	if (U_FAILURE(err))
		goto fail;
	u_uastrcpy(id, "Traditional-Simplified");
	nn->t2s = utrans_openU(id, -1, UTRANS_FORWARD, NULL, 0, NULL, &err);
	if (U_FAILURE(err))
		goto fail;
	if (!build_trigger(nn, &err))
		goto fail;
	return true;

fail:
	if (icu_error)
		*icu_error = u_errorName(err);
	nn_close(nn);
	return false;
}

/* Release the transliterator and its source set (the normaliser is ICU's own). */
void
nn_close(NameNormalizer *nn)
{
	if (nn->t2s)
		utrans_close((UTransliterator *) nn->t2s);
	if (nn->t2s_source)
		uset_close((USet *) nn->t2s_source);
	free(nn->t2s_pairs);
	free(nn->t2s_bmp);
	free(nn->t2s_fix);
	memset(nn, 0, sizeof(*nn));
}

/* Version string of the rules and of the ICU library. */
void
nn_version(char *buf, size_t buflen)
{
	UVersionInfo v;
	char		icu[U_MAX_VERSION_STRING_LENGTH];

	u_getVersion(v);
	u_versionToString(v, icu);
	snprintf(buf, buflen, "rules %d, ICU %s", NN_RULES_VERSION, icu);
}

/* Does s (n bytes) end with the NUL-terminated literal lit? */
static bool
ends_with(const char *s, size_t n, const char *lit)
{
	size_t		l = strlen(lit);

	return n >= l && memcmp(s + n - l, lit, l) == 0;
}

/*
 * The rewriting rules that shorten a key anywhere in it, in one linear pass
 * (in place): 有限责任公司 and the inverted 责任有限公司 are the long form of
 * 有限公司; 华达(集团)有限公司 is 华达集团有限公司; empty brackets carry
 * nothing.  The key is read left to right onto a stack (the written part):
 * a rule applies where the stack ends with its pattern, and is tried again
 * after it applied, since a replacement may complete another pattern with
 * what precedes it ((()) → ( → nothing, 责任有限责任公司 → 责任有限公司 →
 * 有限公司).  Every replacement shortens the stack, so the pass is linear,
 * and no pattern is left anywhere in the result: each position of it was
 * once the stack's end, and checked there.  Patterns start with an ASCII
 * bracket or a UTF-8 lead byte, so they match whole characters only.
 */
static size_t
shortening_rules(const NameNormalizer *nn, char *s, size_t n)
{
	static const char group[] = "(集团)";
	static const char long_form[] = "有限责任公司";
	static const char inverted[] = "责任有限公司";
	static const char short_form[] = "有限公司";
	const size_t lg = sizeof(group) - 1,
				ll = sizeof(long_form) - 1,
				ls = sizeof(short_form) - 1;
	size_t		w = 0,
				r;

	for (r = 0; r < n; r++)
	{
		s[w++] = s[r];
		for (;;)
		{
			if (w >= 2 && s[w - 1] == ')' && s[w - 2] == '(')
				w -= 2;
			else if (s[w - 1] == ')' && ends_with(s, w, group))
			{
				/* drop the brackets: keep the 集团 between them */
				memmove(s + w - lg, group + 1, lg - 2);
				w -= 2;
			}
			else if (ends_with(s, w, long_form) || ends_with(s, w, inverted))
			{
				memcpy(s + w - ll, short_form, ls);
				w -= ll - ls;
			}
			else
				break;
			if (w == 0)
				break;
		}
		if ((r & (NN_INTERRUPT_EVERY - 1)) == NN_INTERRUPT_EVERY - 1)
			nn_interrupt(nn);
	}
	return w;
}

/* Remove the byte at position pos of s (n bytes). */
static size_t
remove_byte(char *s, size_t n, size_t pos)
{
	memmove(s + pos, s + pos + 1, n - pos - 1);
	return n - 1;
}

/*
 * The legal-form rules, applied to a key that has no white space, whose
 * brackets are all ( and ), and which has room for two more bytes.
 */
static size_t
legal_form_rules(const NameNormalizer *nn, char *s, size_t n)
{
    /* INDENT OFF */
    static const char *const partnership[] = {"特殊普通合伙", "普通合伙", "有限合伙"};
    static const char *const branch[] = {"分公司)", "分店)", "分厂)", "办事处)", "营业部)"};
	/* INDENT ON */
	size_t		i;

	/* long legal forms, (集团), empty brackets (nested ones included) */
	n = shortening_rules(nn, s, n);

	/* a partnership's kind is written in brackets: 合伙企业(普通合伙) */
	for (i = 0; i < sizeof(partnership) / sizeof(partnership[0]); i++)
	{
		size_t		l = strlen(partnership[i]);

		if (ends_with(s, n, partnership[i]) && n > l)
		{
			if (s[n - l - 1] != '(')
			{
				memmove(s + n - l + 1, s + n - l, l);
				s[n - l] = '(';
				n++;
			}
			s[n++] = ')';
			break;
		}
	}

	/*
	 * a trailing branch name loses its brackets:
	 * 有限公司(江阴分公司) → 有限公司江阴分公司
	 */
	for (i = 0; i < sizeof(branch) / sizeof(branch[0]); i++)
	{
		if (ends_with(s, n, branch[i]))
		{
			size_t		open = n - 1;

			while (open > 0 && s[open - 1] != '(' && s[open - 1] != ')')
				open--;
			/* open is one past the bracket that starts the group */
			if (open > 1 && s[open - 1] == '(')
			{
				n = remove_byte(s, n, n - 1);
				n = remove_byte(s, n, open - 1);
			}
			break;
		}
	}
	return n;
}

/*
 * Make room for need units in the buffer *buf (*cap allocated, the first
 * used units kept): at least twice the capacity it had.
 */
static void
grow_units(UChar **buf, int32_t used, int32_t *cap, int32_t need,
		   nn_alloc_fn alloc, nn_free_fn dealloc)
{
	int32_t		c = *cap * 2 > need ? *cap * 2 : need;
	UChar	   *p;

	if (need <= *cap)
		return;
	p = alloc(sizeof(UChar) * c);
	memcpy(p, *buf, sizeof(UChar) * used);
	dealloc(*buf);
	*buf = p;
	*cap = c;
}

/* Does a normalisation boundary come before the character starting at unit i of s (n units)? */
static bool
nfkc_boundary(const UNormalizer2 *nfkc, const UChar *s, int32_t i, int32_t n)
{
	UChar32		c = s[i];

	if (U16_IS_TRAIL(s[i]))
		return false;			/* inside a surrogate pair */
	if (U16_IS_LEAD(s[i]) && i + 1 < n && U16_IS_TRAIL(s[i + 1]))
		c = U16_GET_SUPPLEMENTARY(s[i], s[i + 1]);
	return unorm2_hasBoundaryBefore(nfkc, c);
}

/*
 * NFKC with case folding of the UTF-16 string *a (*na units), replacing it
 * when it changes.  The part the quick check passes is kept as is; the rest
 * is normalised in pieces of about nn->t2s_chunk units that end where ICU
 * says a character never interacts with what precedes it (so the pieces
 * give what one call would), calling the interrupt hook between pieces.
 * The result may be longer than the input (U+FDFA is 18 characters): more
 * than NN_MAX_INPUT units is NN_TOO_LONG, found as soon as it is reached.
 */
static NNStatus
nfkc_step(const NameNormalizer *nn, UChar **a, int32_t *na,
		  nn_alloc_fn alloc, nn_free_fn dealloc, UErrorCode *err)
{
	const UNormalizer2 *nfkc = (const UNormalizer2 *) nn->nfkc_cf;
	const UChar *s = *a;
	int32_t		chunk = nn->t2s_chunk >= 2 ? nn->t2s_chunk : NN_T2S_CHUNK,
				n = *na,
				start,
				no,
				ocap;
	UChar	   *o;

	*err = U_ZERO_ERROR;
	start = unorm2_spanQuickCheckYes(nfkc, s, n, err);
	if (U_FAILURE(*err))
		return NN_ICU_ERROR;
	if (start == n)
		return NN_OK;
	ocap = n + n / 4 + 64;
	o = alloc(sizeof(UChar) * ocap);
	memcpy(o, s, sizeof(UChar) * start);
	no = start;
	while (start < n)
	{
		int32_t		end = n - start > chunk ? start + chunk : n,
					e = end;

		/* end the piece before a character with a boundary before it */
		while (e < n && e > start && !nfkc_boundary(nfkc, s, e, n))
			e--;
		if (e == start)			/* none in the piece: on to the next boundary */
			for (e = end; e < n && !nfkc_boundary(nfkc, s, e, n); e++)
				;
		for (;;)
		{
			int32_t		got;

			*err = U_ZERO_ERROR;
			got = unorm2_normalize(nfkc, s + start, e - start, o + no, ocap - no, err);
			if (*err == U_BUFFER_OVERFLOW_ERROR)
			{
				grow_units(&o, no, &ocap, no + got + 64, alloc, dealloc);
				continue;
			}
			if (U_FAILURE(*err))
			{
				dealloc(o);
				return NN_ICU_ERROR;
			}
			no += got;
			break;
		}
		if (no > NN_MAX_INPUT)
		{
			dealloc(o);
			return NN_TOO_LONG;
		}
		start = e;
		nn_interrupt(nn);
	}
	dealloc(*a);
	*a = o;
	*na = no;
	return NN_OK;
}

/*
 * Transliterate n units of src into dst (capacity cap units); *dn gets the
 * length.  The transliterator works in place, so src is copied first; false
 * with *err set when dst is too small or ICU fails.
 */
static bool
t2s_whole(const NameNormalizer *nn, const UChar *src, int32_t n,
		  UChar *dst, int32_t cap, int32_t *dn, UErrorCode *err)
{
	int32_t		limit = n;

	memcpy(dst, src, sizeof(UChar) * n);
	*dn = n;
	*err = U_ZERO_ERROR;
	utrans_transUChars((const UTransliterator *) nn->t2s, dst, dn, cap, 0, &limit, err);
	return U_SUCCESS(*err);
}

/* Append n units to the growing buffer *o (*no used, *ocap allocated). */
static void
append_units(UChar **o, int32_t *no, int32_t *ocap, const UChar *src, int32_t n,
			 nn_alloc_fn alloc, nn_free_fn dealloc)
{
	grow_units(o, *no, ocap, *no + n, alloc, dealloc);
	memcpy(*o + *no, src, sizeof(UChar) * n);
	*no += n;
}

/*
 * Traditional → Simplified of the UTF-16 string *a (*na units), replacing
 * it.  A string of at most nn->t2s_chunk units is transliterated at once;
 * a longer one in steps of that many units with ICU's incremental
 * transliteration, which leaves unconverted what a later step may still
 * extend into a phrase, and with the last T2S_CONTEXT units converted kept
 * in front as context: every step is short, so the work is linear in the
 * length and the interrupt hook runs between steps.
 */
#define T2S_CONTEXT 16

static bool
t2s_step(const NameNormalizer *nn, UChar **a, int32_t *na,
		 nn_alloc_fn alloc, nn_free_fn dealloc, UErrorCode *err)
{
	const UTransliterator *t = (const UTransliterator *) nn->t2s;
	int32_t		chunk = nn->t2s_chunk >= 2 ? nn->t2s_chunk : NN_T2S_CHUNK;
	UChar	   *o,
			   *w;
	int32_t		no = 0,
				ocap,
				wn = 0,
				wcap,
				ctx = 0,
				in = 0,
				mult;

	if (*na <= chunk)
	{
		/* short (every real name): at once, with room for the longest image */
		for (mult = 2;; mult *= 4)
		{
			int32_t		cap = *na * mult + 16,
						nb;
			UChar	   *b = alloc(sizeof(UChar) * cap);

			if (t2s_whole(nn, *a, *na, b, cap, &nb, err))
			{
				dealloc(*a);
				*a = b;
				*na = nb;
				return true;
			}
			dealloc(b);
			if (*err != U_BUFFER_OVERFLOW_ERROR || mult >= 64)
				return false;
		}
	}

	ocap = *na + *na / 8 + 64;
	o = alloc(sizeof(UChar) * ocap);
	wcap = 8 * (chunk + 2 * T2S_CONTEXT) + 64;
	w = alloc(sizeof(UChar) * wcap);
	while (in < *na)
	{
		UTransPosition pos;
		int32_t		take = *na - in < chunk ? *na - in : chunk,
					keep;

		/* never split a surrogate pair */
		if (in + take < *na && U16_IS_LEAD((*a)[in + take - 1]))
			take--;

		/*
		 * room for four times the text (images are rarely longer); grow if
		 * the unconverted rest did not stay short
		 */
		grow_units(&w, wn, &wcap, (wn + take) * 4 + 64, alloc, dealloc);
		memcpy(w + wn, *a + in, sizeof(UChar) * take);
		wn += take;
		in += take;
		pos.contextStart = 0;
		pos.start = ctx;
		pos.limit = pos.contextLimit = wn;
		*err = U_ZERO_ERROR;
		utrans_transIncrementalUChars(t, w, &wn, wcap, &pos, err);
		if (U_FAILURE(*err))
		{
			dealloc(o);
			dealloc(w);
			return false;
		}
		/* [ctx, pos.start) is final; keep T2S_CONTEXT units before pos.start */
		append_units(&o, &no, &ocap, w + ctx, pos.start - ctx, alloc, dealloc);
		keep = pos.start > T2S_CONTEXT ? pos.start - T2S_CONTEXT : 0;
		if (keep > 0 && U16_IS_TRAIL(w[keep]) && U16_IS_LEAD(w[keep - 1]))
			keep--;
		memmove(w, w + keep, sizeof(UChar) * (wn - keep));
		wn -= keep;
		ctx = pos.start - keep;
		nn_interrupt(nn);
	}
	/* what the last step left for more text: there is none */
	{
		int32_t		limit = wn;

		*err = U_ZERO_ERROR;
		utrans_transUChars(t, w, &wn, wcap, ctx, &limit, err);
		if (U_FAILURE(*err))
		{
			dealloc(o);
			dealloc(w);
			return false;
		}
		append_units(&o, &no, &ocap, w + ctx, wn - ctx, alloc, dealloc);
	}
	dealloc(w);
	dealloc(*a);
	*a = o;
	*na = no;
	return true;
}

/* One pass of the normalisation; *rules_changed says whether the legal-form rules changed anything. */
static NNStatus
normalize_once(const NameNormalizer *nn, const char *in, size_t len,
			   nn_alloc_fn alloc, nn_free_fn dealloc,
			   char **out, size_t *outlen, const char **icu_error, bool *rules_changed)
{
	UErrorCode	err = U_ZERO_ERROR;
	UChar	   *a = NULL;
	int32_t		na,
				i;
	char	   *o;
	int32_t		no;
	NNStatus	st = NN_OK;

	*out = NULL;
	*outlen = 0;
	if (len > NN_MAX_INPUT)
		return NN_TOO_LONG;

	/* UTF-8 → UTF-16 (never more code units than bytes) */
	a = alloc(sizeof(UChar) * (len + 1));
	u_strFromUTF8(a, (int32_t) len + 1, &na, in, (int32_t) len, &err);
	if (U_FAILURE(err))
	{
		dealloc(a);
		return NN_BAD_UTF8;
	}

	/* NFKC with case folding: full-width → half-width, Latin case folded */
	if ((st = nfkc_step(nn, &a, &na, alloc, dealloc, &err)) != NN_OK)
		goto nfkc_fail;

	/*
	 * Characters (before the transliterator, whose phrases must see the
	 * characters adjacent as they will be in the key): white space, controls
	 * and format characters go; opening brackets of every kind become "(",
	 * closing ones ")"; other punctuation goes.  In place.
	 */
	{
		int32_t		w = 0;
		uint32_t	steps = 0;

		for (i = 0; i < na;)
		{
			UChar32		c;

			if ((++steps & (NN_INTERRUPT_EVERY - 1)) == 0)
				nn_interrupt(nn);
			U16_NEXT(a, i, na, c);
			if (c >= 0x4E00 && c <= 0x9FFF)
			{
				/*
				 * CJK unified ideographs: letters, kept (most of a Chinese
				 * name)
				 */
				U16_APPEND_UNSAFE(a, w, c);
				continue;
			}
			if (u_isUWhiteSpace(c))
				continue;
			switch (u_charType(c))
			{
				case U_CONTROL_CHAR:
				case U_FORMAT_CHAR:
				case U_CONNECTOR_PUNCTUATION:
				case U_DASH_PUNCTUATION:
				case U_OTHER_PUNCTUATION:
				case U_INITIAL_PUNCTUATION:
				case U_FINAL_PUNCTUATION:
				case U_SURROGATE:	/* a lone surrogate cannot come from valid
									 * UTF-8 */
					continue;
				case U_START_PUNCTUATION:
					c = '(';
					break;
				case U_END_PUNCTUATION:
					c = ')';
					break;
				default:
					break;
			}
			U16_APPEND_UNSAFE(a, w, c);
		}

		/*
		 * a removed character may have left combining marks to compose: 'e' +
		 * ' ̈'
		 */
		if (w < na)
		{
			na = w;
			if ((st = nfkc_step(nn, &a, &na, alloc, dealloc, &err)) != NN_OK)
				goto nfkc_fail;
		}
	}

	/* Traditional → Simplified, only when some character can change */
	if (needs_t2s(nn, a, na))
	{
		if (!t2s_step(nn, &a, &na, alloc, dealloc, &err))
			goto icu_fail;
		for (i = 0; i < na && nn->t2s_nfix > 0; i++)
			a[i] = t2s_fixed(nn, a[i]);
	}

	/* UTF-16 → UTF-8, two bytes of slack for the partnership rule */
	o = alloc((size_t) na * 3 + 3);
	err = U_ZERO_ERROR;
	u_strToUTF8(o, na * 3 + 1, &no, a, na, &err);
	if (U_FAILURE(err))
	{
		dealloc(o);
		goto icu_fail;
	}
	dealloc(a);

	/*
	 * The rules feed each other ((()办事处) → (办事处) →
	 * 办事处): run them to a fixed point.  The shortening rules leave none
	 * of their patterns; the end rules then apply once each (a branch group's
	 * brackets go, leaving no bracket at the end; a partnership's kind gets
	 * them, leaving a closing bracket after 合伙): a few linear passes
	 * reach it.
	 */
	{
		char	   *prev = alloc((size_t) no + 3);
		size_t		pn;
		int			pass;

		*rules_changed = false;
		for (pass = 0; pass < 8; pass++)
		{
			pn = (size_t) no;
			memcpy(prev, o, pn);
			no = (int32_t) legal_form_rules(nn, o, pn);
			if ((size_t) no == pn && memcmp(prev, o, pn) == 0)
				break;
			*rules_changed = true;
		}
		dealloc(prev);
	}
	o[no] = '\0';
	*out = o;
	*outlen = (size_t) no;
	return NN_OK;

nfkc_fail:
	if (st == NN_TOO_LONG)
	{
		dealloc(a);
		return NN_TOO_LONG;
	}
icu_fail:
	if (icu_error)
		*icu_error = u_errorName(err);
	if (a)
		dealloc(a);
	return NN_ICU_ERROR;
}

/*
 * Normalise a name into its matching key (see normalize_core.h).  When the
 * legal-form rules removed characters, neighbours may have become a phrase
 * the transliterator changes (祇(有 → 祇有 → 只有): the key is normalised
 * again until it stays, so that a key is its own key.
 */
NNStatus
nn_normalize(const NameNormalizer *nn, const char *in, size_t len,
			 nn_alloc_fn alloc, nn_free_fn dealloc,
			 char **out, size_t *outlen, const char **icu_error)
{
	bool		changed;
	NNStatus	st = normalize_once(nn, in, len, alloc, dealloc, out, outlen, icu_error, &changed);
	int			round;

	for (round = 0; st == NN_OK && changed && round < 16; round++)
	{
		char	   *again;
		size_t		againlen;

		st = normalize_once(nn, *out, *outlen, alloc, dealloc, &again, &againlen, icu_error, &changed);
		if (st != NN_OK)
		{
			dealloc(*out);
			*out = NULL;
			break;
		}
		if (againlen == *outlen && memcmp(again, *out, againlen) == 0)
		{
			dealloc(again);
			break;
		}
		dealloc(*out);
		*out = again;
		*outlen = againlen;
	}
	return st;
}

/* ---------------------------------------------------------------------- */
/* Splitting a key and comparing keys                                      */
/* ---------------------------------------------------------------------- */

/* Legal-form suffixes, longest first among those that end alike. */
/* INDENT OFF */
static const char *const legal_suffixes[] = {
    "股份有限公司", "集团有限公司", "有限公司", "分公司", "集团公司", "总公司", "公司",
    "合伙企业", "个人独资企业", "专业合作社", "合作社", "个体工商户",
    "经营部", "门市部", "商行", "加工厂", "总厂", "厂", "商店", "店",
    "事务所", "工作室", "中心"
};

/* Province-level names written without 省/市 in front of a name. */
static const char *const provinces[] = {
    "北京", "天津", "河北", "山西", "内蒙古", "辽宁", "吉林", "黑龙江", "上海", "江苏",
    "浙江", "安徽", "福建", "江西", "山东", "河南", "湖北", "湖南", "广东", "广西",
    "海南", "重庆", "四川", "贵州", "云南", "西藏", "陕西", "甘肃", "青海", "宁夏",
    "新疆", "香港", "澳门", "台湾"
};
/* INDENT ON */

/* Characters that end an administrative division's name. */
static bool
is_region_end(uint32_t c)
{
	switch (c)
	{
		case 0x7701:			/* 省 */
		case 0x5E02:			/* 市 */
		case 0x53BF:			/* 县 */
		case 0x533A:			/* 区 */
		case 0x5DDE:			/* 州 */
		case 0x76DF:			/* 盟 */
		case 0x65D7:			/* 旗 */
			return true;
		default:
			return false;
	}
}

/* A literal decoded into characters (at most 8). */
typedef struct DecodedLit
{
	int			n;
	uint32_t	c[8];
} DecodedLit;

#define NSUFFIXES   ((int) (sizeof(legal_suffixes) / sizeof(legal_suffixes[0])))
#define NPROVINCES  ((int) (sizeof(provinces) / sizeof(provinces[0])))

static DecodedLit dec_suffixes[NSUFFIXES];
static DecodedLit dec_provinces[NPROVINCES];
static DecodedLit dec_autonomous;
static bool decoded = false;

/* Decode a UTF-8 literal. */
static void
decode_lit(const char *lit, DecodedLit *d)
{
	int32_t		i = 0,
				len = (int32_t) strlen(lit);

	d->n = 0;
	while (i < len && d->n < 8)
	{
		UChar32		c;

		U8_NEXT((const uint8_t *) lit, i, len, c);
		d->c[d->n++] = (uint32_t) c;
	}
}

/* Decode the suffix and province tables once. */
static void
decode_tables(void)
{
	int			k;

	for (k = 0; k < NSUFFIXES; k++)
		decode_lit(legal_suffixes[k], &dec_suffixes[k]);
	for (k = 0; k < NPROVINCES; k++)
		decode_lit(provinces[k], &dec_provinces[k]);
	decode_lit("自治区", &dec_autonomous);
	decoded = true;
}

/* Do the characters of g at [at, at + d->n) equal the decoded literal? */
static inline bool
chars_at(const NNGrams *g, int at, const DecodedLit *d)
{
	int			k;

	if (at < 0 || at + d->n > g->nchars)
		return false;
	for (k = 0; k < d->n; k++)
		if (g->chars[at + k] != d->c[k])
			return false;
	return true;
}

/*
 * Characters of a province-level name (with 省, 市 or 自治区) at the start of
 * g, the name itself ending at or before limit; 0 when there is none.
 */
static int
province_prefix(const NNGrams *g, int limit)
{
	int			k;

	if (!decoded)
		decode_tables();
	for (k = 0; k < NPROVINCES; k++)
	{
		int			l = dec_provinces[k].n;

		if (l <= limit && chars_at(g, 0, &dec_provinces[k]))
		{
			if (l < g->nchars && g->chars[l] == 0x7701) /* 省 */
				return l + 1;
			if (l < g->nchars && g->chars[l] == 0x5E02) /* 市 */
				return l + 1;
			if (chars_at(g, l, &dec_autonomous))
				return l + 3;
			return l;
		}
	}
	return 0;
}

/* Decode a normalised key and find its region prefix, core and legal-form suffix. */
void
nn_split(const char *key, size_t len, NNGrams *g)
{
	int32_t		i = 0;
	int			start,
				end,
				k,
				step;

	g->nchars = 0;
	while (i < (int32_t) len && g->nchars < NN_MAX_CHARS)
	{
		UChar32		c;

		U8_NEXT((const uint8_t *) key, i, (int32_t) len, c);
		if (c < 0)
			c = 0xFFFD;
		g->chars[g->nchars++] = (uint32_t) c;
	}
	start = 0;
	end = g->nchars;

	/*
	 * a trailing bracket group, (普通合伙) or (江阴), is part of the
	 * suffix
	 */
	if (end > 0 && g->chars[end - 1] == ')')
	{
		for (k = end - 2; k >= 2; k--)
			if (g->chars[k] == '(' || g->chars[k] == ')')
				break;
		if (k >= 2 && g->chars[k] == '(')
			end = k;
	}
	/* then one legal form */
	if (!decoded)
		decode_tables();
	for (k = 0; k < NSUFFIXES; k++)
	{
		int			l = dec_suffixes[k].n;

		if (end - l >= 2 && chars_at(g, end - l, &dec_suffixes[k]))
		{
			end -= l;
			break;
		}
	}

	/*
	 * a region in brackets in front, (江阴)华达机械: the bracket group
	 * is the region prefix
	 */
	if (end > 0 && g->chars[0] == '(')
	{
		for (k = 1; k < 8 && k < end; k++)
			if (g->chars[k] == ')' || g->chars[k] == '(')
				break;
		if (k < 8 && k < end && g->chars[k] == ')' && k >= 3 && end - (k + 1) >= 2)
		{
			g->province_end = 0;
			g->core_start = k + 1;
			g->core_end = end;
			return;
		}
	}

	/* a province-level name, with or without 省/市/自治区 */
	start = province_prefix(g, end - 2);
	g->province_end = start;

	/*
	 * up to two divisions ending in 市/县/区/州/盟/旗, each 2-6
	 * characters
	 */
	for (step = 0; step < 2; step++)
	{
		int			p;

		for (p = start + 1; p < start + 6 && p < end; p++)
			if (is_region_end(g->chars[p]))
			{
				/*
				 * 苏州市, 新疆维吾尔自治区 ... : the division ends
				 * at the last of them
				 */
				while (p + 1 < end && is_region_end(g->chars[p + 1]))
					p++;
				break;
			}
		if (p < start + 6 && p < end && end - (p + 1) >= 2)
			start = p + 1;
		else
			break;
	}
	g->core_start = start;
	g->core_end = end;
}

/* Weight class of character i of g: 0 core, 1 region prefix, 2 legal-form suffix. */
static inline int
char_class(const NNGrams *g, int i)
{
	if (i < g->core_start)
		return 1;
	if (i >= g->core_end)
		return 2;
	return 0;
}

/*
 * A gram packed in 64 bits: bits 0-1 hold its weight class (a bigram takes
 * the lighter of its characters'), the rest the gram (a unigram: its
 * character; a bigram: both characters and bit 42 above them).
 */
#define GRAM_CLASS(g)   ((int) ((g) & 3))

/* Unigrams and bigrams of g, packed; returns how many. */
static int
grams_of(const NNGrams *g, uint64_t *out)
{
	int			n = 0,
				i;

	for (i = 0; i < g->nchars; i++)
		out[n++] = ((uint64_t) g->chars[i] << 2) | (uint64_t) char_class(g, i);
	for (i = 0; i + 1 < g->nchars; i++)
	{
		int			c1 = char_class(g, i),
					c2 = char_class(g, i + 1);

		out[n++] = (((UINT64_C(1) << 42) | ((uint64_t) g->chars[i] << 21) | g->chars[i + 1]) << 2) |
			(uint64_t) (c1 > c2 ? c1 : c2);
	}
	return n;
}

/* Sort packed grams (names are short: insertion sort, shell steps for long ones). */
static void
sort_grams(uint64_t *a, int n)
{
	static const int gaps[] = {57, 23, 10, 4, 1};
	int			gi;

	for (gi = 0; gi < 5; gi++)
	{
		int			gap = gaps[gi],
					i;

		for (i = gap; i < n; i++)
		{
			uint64_t	v = a[i];
			int			j = i;

			while (j >= gap && a[j - gap] > v)
			{
				a[j] = a[j - gap];
				j -= gap;
			}
			a[j] = v;
		}
	}
}

/* Weight of a packed gram. */
static inline double
gram_weight(uint64_t g)
{
	static const double weight[4] = {1.0, NN_REGION_WEIGHT, NN_SUFFIX_WEIGHT, NN_SUFFIX_WEIGHT};

	return weight[GRAM_CLASS(g)];
}

/*
 * Characters [from, to) of g without those that end its divisions: the last
 * of each run of 省/市/县/区/州... (常州市 → 常州, 江苏省江阴市 → 江苏江阴).
 */
static int
region_chars(const NNGrams *g, int from, int to, uint32_t *out)
{
	int			n = 0,
				i;

	for (i = from; i < to; i++)
		if (!is_region_end(g->chars[i]) ||
			(i + 1 < to && is_region_end(g->chars[i + 1])))
			out[n++] = g->chars[i];
	return n;
}

/* Is the character sequence x (nx) contained in y (ny)? */
static bool
contains_seq(const uint32_t *y, int ny, const uint32_t *x, int nx)
{
	int			i;

	for (i = 0; i + nx <= ny; i++)
		if (memcmp(y + i, x, sizeof(uint32_t) * nx) == 0)
			return true;
	return false;
}

/* Do two character sequences differ, neither containing the other? */
static bool
seq_conflict(const uint32_t *x, int nx, const uint32_t *y, int ny)
{
	return !(contains_seq(x, nx, y, ny) || contains_seq(y, ny, x, nx));
}

/*
 * Do two keys name different regions?  The divisions below the province
 * decide when both have some (江阴市 and 江苏省江阴市 agree, 江阴市 and 宜兴市
 * do not); else the provinces when both have one (江苏省 and 浙江省 do not);
 * a province alone never contradicts a city (江苏省 and 昆山市).
 */
static bool
region_conflict(const NNGrams *a, const NNGrams *b)
{
	uint32_t	xa[NN_MAX_CHARS],
				xb[NN_MAX_CHARS];
	int			na,
				nb;

	if (a->core_start == 0 || b->core_start == 0)
		return false;
	na = region_chars(a, a->province_end, a->core_start, xa);
	nb = region_chars(b, b->province_end, b->core_start, xb);
	if (na > 0 && nb > 0)
		return seq_conflict(xa, na, xb, nb);
	na = region_chars(a, 0, a->province_end, xa);
	nb = region_chars(b, 0, b->province_end, xb);
	if (na > 0 && nb > 0)
		return seq_conflict(xa, na, xb, nb);
	return false;
}

/* Region conflict of a split key and the region prefix of another key (see normalize_core.h). */
bool
nn_regions_conflict(const NNGrams *a, const char *key, size_t len, int core_start)
{
	NNGrams		b;
	int32_t		i = 0;

	if (a->core_start == 0 || core_start == 0)
		return false;
	b.nchars = 0;
	while (i < (int32_t) len && b.nchars < core_start && b.nchars < NN_MAX_CHARS)
	{
		UChar32		c;

		U8_NEXT((const uint8_t *) key, i, (int32_t) len, c);
		b.chars[b.nchars++] = (uint32_t) (c < 0 ? 0xFFFD : c);
	}
	b.core_start = b.core_end = b.nchars;
	b.province_end = province_prefix(&b, b.nchars);
	return region_conflict(a, &b);
}

/* Weighted Dice coefficient of the unigrams and bigrams of two split keys. */
double
nn_similarity(const NNGrams *a, const NNGrams *b)
{
	uint64_t	ga[2 * NN_MAX_CHARS],
				gb[2 * NN_MAX_CHARS];
	int			na,
				nb,
				i = 0,
				j = 0;
	double		total = 0,
				common = 0;
	bool		conflict;

	if (a->nchars == b->nchars &&
		memcmp(a->chars, b->chars, sizeof(uint32_t) * a->nchars) == 0)
		return 1.0;
	conflict = region_conflict(a, b);
	na = grams_of(a, ga);
	nb = grams_of(b, gb);
	if (na == 0 || nb == 0)
		return 0.0;
	sort_grams(ga, na);
	sort_grams(gb, nb);
	for (i = 0; i < na; i++)
		total += gram_weight(ga[i]);
	for (j = 0; j < nb; j++)
		total += gram_weight(gb[j]);
	i = j = 0;
	/* same gram: heavier class first, pairs matched in order */
	while (i < na && j < nb)
	{
		uint64_t	x = ga[i] >> 2,
					y = gb[j] >> 2;

		if (x == y)
		{
			common += gram_weight(ga[i]) + gram_weight(gb[j]);
			i++;
			j++;
		}
		else if (x < y)
			i++;
		else
			j++;
	}
	if (total <= 0)
		return 0.0;
	return conflict ? NN_REGION_CONFLICT * common / total : common / total;
}

/* Stem of the last division of the region prefix (see normalize_core.h). */
bool
nn_region_stem(const NNGrams *g, int *start, int *end)
{
	int			e = g->core_start - 1,
				s;

	if (e < 2 || !is_region_end(g->chars[e]))
		return false;

	/*
	 * back to the end of the previous division: an ending followed by a
	 * non-ending (省常 of 江苏省常州市)
	 */
	s = e;
	while (s > 0 && !(is_region_end(g->chars[s - 1]) && !is_region_end(g->chars[s])))
		s--;
	if (e - s < 2 || e - s > 4)
		return false;
	*start = s;
	*end = e;
	return true;
}

/* Hash of the bigram at characters i, i+1 (or of the unigram at i when it is last). */
uint32_t
nn_gram_hash(const NNGrams *g, int i)
{
	uint64_t	h = g->chars[i];

	if (i + 1 < g->nchars)
		h = (h << 21) | g->chars[i + 1];
	h ^= h >> 33;
	h *= UINT64_C(0xff51afd7ed558ccd);
	h ^= h >> 33;
	return (uint32_t) h;
}

/*
 * Hashes of the bigrams of the core (the whole key when the core is shorter
 * than two characters; a one-character key gives its unigram).
 */
int
nn_core_grams(const NNGrams *g, uint32_t *out, int max)
{
	int			s = g->core_start,
				e = g->core_end,
				n = 0,
				i;

	if (e - s < 2)
	{
		s = 0;
		e = g->nchars;
	}
	if (e - s == 1)
	{
		NNGrams		one = *g;

		one.nchars = 1;
		one.chars[0] = g->chars[s];
		if (max > 0)
			out[n++] = nn_gram_hash(&one, 0);
		return n;
	}
	for (i = s; i + 1 < e && n < max; i++)
	{
		uint32_t	h = nn_gram_hash(g, i);
		int			k;

		for (k = 0; k < n; k++)
			if (out[k] == h)
				break;
		if (k == n)
			out[n++] = h;
	}
	return n;
}
