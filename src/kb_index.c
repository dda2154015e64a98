/*
 * kb_index - the help centre's ranking in memory. Suggesting runs inside the commit that
 * opens a ticket, and FTS5's bm25() over an OR query walks the position lists of every
 * article that has any of the mail's words (most of them, with a dozen words): about
 * 9 ms of a commit on 1,000 articles. So each store handle keeps, per language, what
 * BM25 needs (for each term the articles that have it and how often in each column, and
 * each article's length), read once from the FTS5 index through fts5vocab and read again
 * only when store_kb_generation says the articles changed. A ranking is then a few
 * thousand additions. The index also remembers the corrections of misspelt words (a
 * trigram query each, the costliest step left) for as long as the articles stay. The formula is FTS5's own (fts5_aux.c, bm25): k1 = 1.2, b = 0.75,
 * IDF log((N - n + 0.5) / (n + 0.5)) floored at 1e-6, column weights applied to the
 * frequencies, the length that of the whole article; computed in the same order, so the
 * scores are the ones bm25() gives.
 */
#include <math.h>
#include <string.h>

#include "kb-private.h"
#include "store_kb.h"

#define KB_BM25_K1 1.2
#define KB_BM25_B  0.75
#define KB_BM25_IDF_MIN 1e-6
#define KB_COLUMNS 3            /* title, tags, body */
/* Corrections remembered per language: customers misspell the same words, but a flood of
 * made-up ones must not grow the daemon without end. */
#define KB_CORRECTIONS_MAX 20000

/* One article that has a term: which one, and how often in each column. */
typedef struct {
	guint article;
	guint16 count[KB_COLUMNS];
} posting;

typedef struct {
	char *id;
	char **departments;
	int length;                 /* its terms, all columns */
} article;

struct kb_index {
	GArray *articles;           /* article */
	GHashTable *postings;       /* term → GArray of posting, by article */
	GHashTable *by_rowid;       /* kb_articles.id → index in articles + 1 */
	double average_length;
	GHashTable *corrections;    /* folded word → article word, or "" for none */
};

/* What a store handle caches: the generation read with, and one index per language. */
typedef struct {
	int64_t generation;
	GHashTable *languages;      /* language → kb_index */
} cache;

static void
article_clear(gpointer data)
{
	article *a = data;

	g_free(a->id);
	g_strfreev(a->departments);
}

static void
index_free(gpointer data)
{
	kb_index *index = data;

	g_array_unref(index->articles);
	g_hash_table_unref(index->postings);
	g_hash_table_unref(index->by_rowid);
	g_hash_table_unref(index->corrections);
	g_free(index);
}

static void
cache_free(gpointer data)
{
	cache *c = data;

	g_hash_table_unref(c->languages);
	g_free(c);
}

/* article_add - store_kb_articles_read's callback. */
static void
article_add(int64_t rowid, const char *id, const char *departments, gpointer data)
{
	kb_index *index = data;
	article a = { g_strdup(id), g_strsplit(departments ? departments : "", ", ", -1), 0 };

	g_array_append_val(index->articles, a);
	g_hash_table_insert(index->by_rowid, g_memdup2(&rowid, sizeof rowid),
	                    GUINT_TO_POINTER(index->articles->len));
}

/* instance_add - store_kb_instances_read's callback: one occurrence of a term. */
static void
instance_add(const char *term, int64_t rowid, int column, gpointer data)
{
	kb_index *index = data;
	guint n = GPOINTER_TO_UINT(g_hash_table_lookup(index->by_rowid, &rowid));
	GArray *list;
	posting *last;

	if (n == 0 || column >= KB_COLUMNS || term == NULL)
		return;
	if ((list = g_hash_table_lookup(index->postings, term)) == NULL) {
		list = g_array_new(FALSE, FALSE, sizeof(posting));
		g_hash_table_insert(index->postings, g_strdup(term), list);
	}
	last = list->len ? &g_array_index(list, posting, list->len - 1) : NULL;
	if (last == NULL || last->article != n - 1) {
		posting p = { n - 1, { 0 } };
		g_array_append_val(list, p);
		last = &g_array_index(list, posting, list->len - 1);
	}
	if (last->count[column] < G_MAXUINT16)
		last->count[column]++;
	g_array_index(index->articles, article, n - 1).length++;
}

/* index_build - one language's index, read from the store. */
static kb_index *
index_build(store *handle, const char *language, GError **error)
{
	kb_index *index = g_new0(kb_index, 1);
	gint64 total = 0;

	index->articles = g_array_new(FALSE, FALSE, sizeof(article));
	g_array_set_clear_func(index->articles, article_clear);
	index->postings = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
	                                        (GDestroyNotify)g_array_unref);
	index->by_rowid = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL);
	index->corrections = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	if (!store_kb_articles_read(handle, language, article_add, index, error) ||
	    !store_kb_instances_read(handle, language, instance_add, index, error)) {
		index_free(index);
		return NULL;
	}
	for (guint i = 0; i < index->articles->len; i++)
		total += g_array_index(index->articles, article, i).length;
	index->average_length = index->articles->len ? (double)total / index->articles->len : 0;
	return index;
}

kb_index *
kb_index_get(store *handle, const char *language, GError **error)
{
	cache *c = store_kb_cache(handle);
	int64_t generation = store_kb_generation(handle, error);
	kb_index *index;

	if (generation < 0)
		return NULL;
	if (c == NULL || c->generation != generation) {
		c = g_new0(cache, 1);
		c->generation = generation;
		c->languages = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, index_free);
		store_kb_cache_set(handle, c, cache_free);
	}
	if ((index = g_hash_table_lookup(c->languages, language)) == NULL) {
		if ((index = index_build(handle, language, error)) == NULL)
			return NULL;
		g_hash_table_insert(c->languages, g_strdup(language), index);
	}
	return index;
}

gboolean
kb_index_corrected(const kb_index *index, const char *folded, const char **fixed)
{
	const char *known = g_hash_table_lookup(index->corrections, folded);

	if (known == NULL)
		return FALSE;
	*fixed = *known != '\0' ? known : NULL;
	return TRUE;
}

void
kb_index_remember(kb_index *index, const char *folded, const char *fixed)
{
	if (g_hash_table_size(index->corrections) < KB_CORRECTIONS_MAX)
		g_hash_table_replace(index->corrections, g_strdup(folded), g_strdup(fixed ? fixed : ""));
}

int
kb_index_size(const kb_index *index)
{
	return (int)index->articles->len;
}

int
kb_index_articles(const kb_index *index, const char *term)
{
	GArray *list = g_hash_table_lookup(index->postings, term);

	return list != NULL ? (int)list->len : 0;
}

/* hit_order - best score first, then by id, as ORDER BY score DESC, slug. */
static gint
hit_order(gconstpointer a, gconstpointer b)
{
	const kb_index_hit *x = a, *y = b;

	if (x->score != y->score)
		return x->score > y->score ? -1 : 1;
	return strcmp(x->id, y->id);
}

/* hits_keep - put hit in its place among the best limit so far, or leave it out: a
 * mail's words reach most articles, and only the first few are wanted. */
static void
hits_keep(GArray *hits, const kb_index_hit *hit, int limit)
{
	guint at = hits->len;

	while (at > 0 && hit_order(hit, &g_array_index(hits, kb_index_hit, at - 1)) < 0)
		at--;
	if (at < (guint)limit)
		g_array_insert_val(hits, at, *hit);
	if (hits->len > (guint)limit)
		g_array_set_size(hits, limit);
}

/* in_department - whether an article is one of department's (NULL: any). */
static gboolean
in_department(const article *a, const char *department)
{
	return department == NULL || g_strv_contains((const char *const *)a->departments, department);
}

/*
 * kb_index_rank scores term by term: each article that has term i gets idf_i * f * (k1 + 1)
 * / (f + k1 * (1 - b + b * length / average)), f its weighted frequency of the term. The
 * additions reach each article in query order, as bm25() sums them (a term an article
 * lacks adds exactly 0 there), so the sums are the same doubles.
 */
GArray *
kb_index_rank(const kb_index *index, const char *const *terms, guint count,
              const double weights[3], const char *department, int limit)
{
	guint rows = index->articles->len;
	g_autofree double *score = g_new0(double, rows);
	g_autofree uint64_t *matched = g_new0(uint64_t, rows);
	g_autoptr(GArray) touched = g_array_new(FALSE, FALSE, sizeof(guint));
	GArray *hits = g_array_new(FALSE, FALSE, sizeof(kb_index_hit));

	count = MIN(count, KB_INDEX_WORDS_MAX);
	for (guint i = 0; i < count; i++) {
		GArray *list = g_hash_table_lookup(index->postings, terms[i]);
		double n = list ? list->len : 0;
		double idf = log((rows - n + 0.5) / (n + 0.5));
		if (idf <= 0.0)
			idf = KB_BM25_IDF_MIN;
		for (guint p = 0; list != NULL && p < list->len; p++) {
			const posting *post = &g_array_index(list, posting, p);
			const article *a = &g_array_index(index->articles, article, post->article);
			double f = 0.0, norm;
			if (!in_department(a, department))
				continue;
			for (int c = 0; c < KB_COLUMNS; c++)
				f += weights[c] * post->count[c];
			norm = KB_BM25_K1 * (1 - KB_BM25_B + KB_BM25_B * (double)a->length /
			                     index->average_length);
			if (matched[post->article] == 0)
				g_array_append_val(touched, post->article);
			score[post->article] += idf * ((f * (KB_BM25_K1 + 1.0)) / (f + norm));
			matched[post->article] |= (uint64_t)1 << i;
		}
	}
	for (guint i = 0; i < touched->len; i++) {
		guint n = g_array_index(touched, guint, i);
		kb_index_hit hit = { g_array_index(index->articles, article, n).id, score[n], matched[n] };
		hits_keep(hits, &hit, limit);
	}
	return hits;
}
