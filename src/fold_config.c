/*
 * fold_config.c
 *      The context of one fold (fold.h): the models and warning rules from
 *      the model cache, the rules rating each item, the table of touched
 *      (subject, model) pairs and the record warnings noted.
 */
#include "postgres.h"

#include "utils/memutils.h"

#include "fold.h"

const char *const fold_cause_name[] = {"insert", "update", "delete", "decay"};
const char *const fold_warning_kind[] = {
	"grade_drop", "serious_record", "listed", "related_listed", "repeat_offence", "commitment_broken"
};

/* An empty set of subject ids in the fold's memory. */
static HTAB *
subject_set_create(FoldCtx *c, const char *name)
{
	HASHCTL		ctl;

	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = sizeof(int64);
	ctl.entrysize = sizeof(int64);
	ctl.hcxt = c->cxt;
	return hash_create(name, 16, &ctl, HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
}

/* Set up a fold's context: configuration from the cache, empty tables. */
void
fold_ctx_init(FoldCtx *c, const char *name, DateADT today, FoldCause cause)
{
	const CreditModels *all = credit_models_all();
	HASHCTL		ctl;
	int			i;
	int			k;

	memset(c, 0, sizeof(*c));
	c->cxt = AllocSetContextCreate(CurrentMemoryContext, "credit fold", ALLOCSET_DEFAULT_SIZES);
	MemoryContextSetIdentifier(c->cxt, name);
	c->today = today;
	c->cause = cause;
	c->nmodels = all->nmodels;
	c->models = MemoryContextAlloc(c->cxt, sizeof(EvalModel *) * Max(all->nmodels, 1));
	memcpy(c->models, all->models, sizeof(EvalModel *) * all->nmodels);

	c->repeat_threshold = 3;
	c->repeat_window = 365;
	c->drop_threshold = 1;
	for (i = 0; i < all->nwarn; i++)
	{
		const CreditWarningRule *w = &all->warn[i];

		for (k = 0; k < FOLD_W_NKINDS; k++)
			if (strcmp(w->kind, fold_warning_kind[k]) == 0)
				c->warn_enabled[k] = w->enabled;
		if (strcmp(w->kind, "repeat_offence") == 0)
		{
			if (w->has_threshold)
				c->repeat_threshold = w->threshold;
			if (w->has_window)
				c->repeat_window = w->window_days;
		}
		else if (strcmp(w->kind, "grade_drop") == 0 && w->has_threshold)
			c->drop_threshold = w->threshold;
	}

	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = FOLD_ITEM_KEY_MAX;
	ctl.entrysize = sizeof(FoldItem);
	ctl.hcxt = c->cxt;
	c->items = hash_create("credit fold items", 128, &ctl, HASH_ELEM | HASH_STRINGS | HASH_CONTEXT);

	fold_ctx_new_pairs(c);
	c->repeat_subjects = subject_set_create(c, "credit repeat subjects");
}

/*
 * A fresh, empty table of touched pairs and of listed and rescoped subjects
 * (the commit queue folds in rounds).
 */
void
fold_ctx_new_pairs(FoldCtx *c)
{
	HASHCTL		ctl;

	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = sizeof(FoldKey);
	ctl.entrysize = sizeof(FoldPair);
	ctl.hcxt = c->cxt;
	c->pairs = hash_create("credit fold pairs", 32, &ctl, HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	c->listed_subjects = subject_set_create(c, "credit listed subjects");
	c->rescoped_subjects = subject_set_create(c, "credit rescoped subjects");
}

/* Remember a subject put on a list: its grade rows are flagged (fold_apply). */
void
fold_note_listed(FoldCtx *c, int64 subject)
{
	(void) hash_search(c->listed_subjects, &subject, HASH_ENTER, NULL);
}

/*
 * Remember a subject whose kind or industries changed: its rows outside a
 * model's scope are dropped (fold_apply).
 */
void
fold_note_rescoped(FoldCtx *c, int64 subject)
{
	(void) hash_search(c->rescoped_subjects, &subject, HASH_ENTER, NULL);
}

/* The rules rating an item (computed once per fold and item); NULL for an overlong code. */
FoldItem *
fold_item(FoldCtx *c, const char *item, int len)
{
	char		key[FOLD_ITEM_KEY_MAX];
	FoldItem   *fi;
	bool		found;
	int			k;

	if (len >= FOLD_ITEM_KEY_MAX)
		return NULL;
	memset(key, 0, sizeof(key));
	memcpy(key, item, len);
	fi = hash_search(c->items, key, HASH_ENTER, &found);
	if (found)
		return fi;
	fi->n = 0;
	fi->model = MemoryContextAlloc(c->cxt, sizeof(int16) * Max(c->nmodels, 1));
	fi->rule = MemoryContextAlloc(c->cxt, sizeof(int16) * Max(c->nmodels, 1));
	for (k = 0; k < c->nmodels; k++)
	{
		int			r = evalmodel_rule_index(c->models[k], item, len);

		if (r >= 0)
		{
			fi->model[fi->n] = k;
			fi->rule[fi->n] = r;
			fi->n++;
		}
	}
	fi->flags = credit_catalog_flags(key);
	return fi;
}

/* Index of a model code among the fold's models (sorted by code), -1 if absent. */
int
fold_model_index(const FoldCtx *c, const char *code)
{
	int			lo = 0;
	int			hi = c->nmodels - 1;

	while (lo <= hi)
	{
		int			mid = (lo + hi) / 2;
		int			cmp = strcmp(c->models[mid]->code, code);

		if (cmp == 0)
			return mid;
		if (cmp < 0)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return -1;
}

/* The pair of a subject and model index, created (zeroed) when new. */
FoldPair *
fold_pair_enter(FoldCtx *c, int64 subject, int model, bool *found)
{
	FoldKey		key;
	FoldPair   *p;

	memset(&key, 0, sizeof(key));
	key.subject = subject;
	key.model = model;
	p = hash_search(c->pairs, &key, HASH_ENTER, found);
	if (!*found)
		memset(((char *) p) + sizeof(FoldKey), 0, sizeof(FoldPair) - sizeof(FoldKey));
	return p;
}

/* The pair of a subject and model code, or NULL. */
FoldPair *
fold_pair_lookup(FoldCtx *c, int64 subject, const char *model)
{
	FoldKey		key;
	int			k = fold_model_index(c, model);

	if (k < 0)
		return NULL;
	memset(&key, 0, sizeof(key));
	key.subject = subject;
	key.model = k;
	return hash_search(c->pairs, &key, HASH_FIND, NULL);
}

/* qsort comparator: by subject, then model code (models are sorted by code). */
static int
pair_cmp(const void *a, const void *b)
{
	const FoldPair *x = *(FoldPair *const *) a;
	const FoldPair *y = *(FoldPair *const *) b;

	if (x->key.subject != y->key.subject)
		return x->key.subject < y->key.subject ? -1 : 1;
	return x->key.model < y->key.model ? -1 : (x->key.model > y->key.model ? 1 : 0);
}

/* Sort pairs into the one lock order of every fold: (subject, model code bytewise). */
void
fold_pairs_sort(FoldCtx *c, FoldPair **w, int n)
{
	if (n > 1)
		qsort(w, n, sizeof(FoldPair *), pair_cmp);
}

/* The touched pairs in lock order. */
FoldPair  **
fold_pairs_sorted(FoldCtx *c, int *nout)
{
	HASH_SEQ_STATUS seq;
	FoldPair   *p;
	FoldPair  **w = MemoryContextAlloc(c->cxt, sizeof(FoldPair *) * Max(hash_get_num_entries(c->pairs), 1));
	int			n = 0;

	hash_seq_init(&seq, c->pairs);
	while ((p = hash_seq_search(&seq)) != NULL)
		w[n++] = p;
	fold_pairs_sort(c, w, n);
	*nout = n;
	return w;
}

/* Remember a warning to raise for an inserted record. */
void
fold_note_record_warning(FoldCtx *c, int64 subject, int64 record, const char *item, const char *kind)
{
	if (c->nrw == c->rw_cap)
	{
		int			cap = Max(64, c->rw_cap * 2);
		MemoryContext old = MemoryContextSwitchTo(c->cxt);

		if (c->rw_cap == 0)
		{
			c->rw_subject = palloc(sizeof(int64) * cap);
			c->rw_record = palloc(sizeof(int64) * cap);
			c->rw_item = palloc(sizeof(char *) * cap);
			c->rw_kind = palloc(sizeof(char *) * cap);
		}
		else
		{
			c->rw_subject = repalloc(c->rw_subject, sizeof(int64) * cap);
			c->rw_record = repalloc(c->rw_record, sizeof(int64) * cap);
			c->rw_item = repalloc(c->rw_item, sizeof(char *) * cap);
			c->rw_kind = repalloc(c->rw_kind, sizeof(char *) * cap);
		}
		c->rw_cap = cap;
		MemoryContextSwitchTo(old);
	}
	c->rw_subject[c->nrw] = subject;
	c->rw_record[c->nrw] = record;
	c->rw_item[c->nrw] = MemoryContextStrdup(c->cxt, item);
	c->rw_kind[c->nrw] = kind;
	c->nrw++;
}
