/*
 * kb - the help centre's rules: importing article files (changed ones in place), and
 * which articles answer a customer's mail. A mail's words are looked up as the stemming
 * index of the customer's language has them; a word no article has is first corrected
 * to the most alike article word by trigrams; BM25 (kb_index.c, in memory) ranks with
 * the title above tags and body, and only articles of the mail's department above a
 * threshold are suggested, at most three.
 */
#include <string.h>

#include "kb-private.h"
#include "store.h"
#include "store_kb.h"

/* BM25 weights of title, tags and body: a word in the title says most about what an
 * article answers. */
static const double kb_weights[3] = { 4.0, 2.0, 1.0 };
/* Distinct words of a mail that are searched; the rest add noise, not meaning. */
#define KB_QUERY_WORDS_MAX 40
G_STATIC_ASSERT(KB_QUERY_WORDS_MAX <= KB_INDEX_WORDS_MAX);
/* A misspelt word is corrected to an article word this alike (Dice over trigrams). */
#define KB_SPELLING_MIN 0.5
#define KB_SPELLING_CANDIDATES 20
#define KB_SPELLING_LENGTH_MIN 4       /* characters; shorter words are never corrected */
/* Misspellings looked up per mail (a trigram query each, about 0.2 ms on 1,000
 * articles): a mail of made-up words must not hold the commit; the first words are the
 * subject's and the question's. */
#define KB_SPELLING_LOOKUPS_MAX 8
#define KB_EXCERPT_MAX 160

void
kb_suggestion_free(kb_suggestion *suggestion)
{
	if (suggestion == NULL)
		return;
	g_free(suggestion->id);
	g_free(suggestion->title);
	g_free(suggestion->url);
	g_free(suggestion->excerpt);
	g_strfreev(suggestion->matched);
	g_free(suggestion);
}

/* One distinct word of a mail: its term, the word searched, and the word as written. */
typedef struct {
	char *term;
	char *search;               /* the word, or the article word it was corrected to */
	char *written;
} query_word;

static void
query_word_free(gpointer data)
{
	query_word *w = data;

	g_free(w->term);
	g_free(w->search);
	g_free(w->written);
	g_free(w);
}

/* The distinct words of a mail, in order. */
typedef struct {
	GPtrArray *words;           /* query_word * */
	GHashTable *terms;          /* term → query_word, borrowed */
	int lookups;                /* misspellings looked up in the store so far */
} query;

static gboolean
query_add(const kb_word *word, gpointer data)
{
	query *q = data;
	query_word *w;

	if (g_hash_table_contains(q->terms, word->term))
		return TRUE;
	w = g_new0(query_word, 1);
	w->term = g_strndup(word->term, word->term_length);
	w->written = g_strndup(word->word, word->length);
	w->search = g_strdup(w->written);
	g_ptr_array_add(q->words, w);
	g_hash_table_insert(q->terms, w->term, w);
	return q->words->len < KB_QUERY_WORDS_MAX;
}

/* trigrams - the set of three-character pieces of "  word " (padded, as pg_trgm does). */
static GHashTable *
trigrams(const char *word, gboolean padded)
{
	g_autofree char *text = padded ? g_strdup_printf("  %s ", word) : g_strdup(word);
	GHashTable *set = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);

	for (const char *p = text; *p != '\0'; p = g_utf8_next_char(p)) {
		const char *end = p;
		int n;
		for (n = 0; n < 3 && *end != '\0'; n++)
			end = g_utf8_next_char(end);
		if (n < 3)
			break;
		g_hash_table_add(set, g_strndup(p, end - p));
	}
	return set;
}

/* similarity - Dice's coefficient of the padded trigram sets of two words. */
static double
similarity(const char *a, const char *b)
{
	g_autoptr(GHashTable) ta = trigrams(a, TRUE);
	g_autoptr(GHashTable) tb = trigrams(b, TRUE);
	GHashTableIter it;
	gpointer key;
	guint common = 0;

	g_hash_table_iter_init(&it, ta);
	while (g_hash_table_iter_next(&it, &key, NULL))
		common += g_hash_table_contains(tb, key);
	return 2.0 * common / (g_hash_table_size(ta) + g_hash_table_size(tb));
}

/* trigram_match - an FTS5 query matching any trigram of word: "con" OR "ont" OR ... */
static char *
trigram_match(const char *word)
{
	g_autoptr(GHashTable) set = trigrams(word, FALSE);
	GString *match = g_string_new(NULL);
	GHashTableIter it;
	gpointer key;

	g_hash_table_iter_init(&it, set);
	while (g_hash_table_iter_next(&it, &key, NULL))
		g_string_append_printf(match, "%s\"%s\"", match->len ? " OR " : "", (char *)key);
	return g_string_free(match, FALSE);
}

/* correct - the article word most like a word no article has, or NULL. */
static char *
correct(store *handle, kb_index *index, query *q, const char *language, const char *written,
        GError **error)
{
	g_autofree char *folded = kb_fold(written, -1);
	g_autofree char *match = NULL;
	g_autoptr(GPtrArray) candidates = NULL;
	const char *best = NULL;
	double best_score = KB_SPELLING_MIN;

	if (g_utf8_strlen(folded, -1) < KB_SPELLING_LENGTH_MIN)
		return NULL;
	if (kb_index_corrected(index, folded, &best))
		return g_strdup(best);
	if (q->lookups++ >= KB_SPELLING_LOOKUPS_MAX)
		return NULL;
	match = trigram_match(folded);
	candidates = store_kb_words_like(handle, language, match, KB_SPELLING_CANDIDATES, error);
	for (guint i = 0; candidates != NULL && i < candidates->len; i++) {
		double score = similarity(folded, candidates->pdata[i]);
		if (score >= best_score) {
			best_score = score;
			best = candidates->pdata[i];
		}
	}
	if (candidates != NULL)
		kb_index_remember(index, folded, best);
	return g_strdup(best);
}

/*
 * query_resolve - keep the words some article has, correcting the others; FALSE only on
 * a database error. A word that stays unknown is dropped: it can match nothing.
 */
static gboolean
query_resolve(store *handle, kb_index *index, const char *language, query *q,
              GError **error)
{
	GError *local = NULL;

	for (guint i = 0; i < q->words->len;) {
		query_word *w = q->words->pdata[i];
		g_autofree char *fixed = NULL;
		g_autofree char *term = NULL;

		if (kb_index_articles(index, w->term) > 0) {
			i++;
			continue;
		}
		if ((fixed = correct(handle, index, q, language, w->written, &local)) == NULL && local != NULL) {
			g_propagate_error(error, local);
			return FALSE;
		}
		if (fixed != NULL && (term = kb_term(language, fixed)) != NULL &&
		    !g_hash_table_contains(q->terms, term)) {
			g_hash_table_remove(q->terms, w->term);
			g_free(w->search);
			w->search = g_steal_pointer(&fixed);
			g_free(w->term);
			w->term = g_steal_pointer(&term);
			g_hash_table_insert(q->terms, w->term, w);
			i++;
			continue;
		}
		g_hash_table_remove(q->terms, w->term);
		g_ptr_array_remove_index(q->words, i);
	}
	return TRUE;
}

/* query_terms - the terms of the query's words, in order, borrowed. */
static const char **
query_terms(const query *q)
{
	const char **terms = g_new(const char *, q->words->len + 1);

	for (guint i = 0; i < q->words->len; i++)
		terms[i] = ((const query_word *)q->words->pdata[i])->term;
	terms[q->words->len] = NULL;
	return terms;
}

/* suggestion_new - a hit with its excerpt and the mail's words it has (hit->matched). */
static kb_suggestion *
suggestion_new(store *handle, const kb_index_hit *hit, const query *q, GError **error)
{
	g_autoptr(store_kb_row) row = store_kb_get(handle, hit->id, error);
	GPtrArray *matched;
	kb_suggestion *s;

	if (row == NULL)
		return NULL;
	matched = g_ptr_array_new();
	for (guint i = 0; i < q->words->len; i++)
		if (hit->matched & ((uint64_t)1 << i))
			g_ptr_array_add(matched, g_strdup(((const query_word *)q->words->pdata[i])->written));
	g_ptr_array_add(matched, NULL);
	s = g_new0(kb_suggestion, 1);
	s->id = g_strdup(row->id);
	s->title = g_strdup(row->title);
	s->url = g_strdup(row->url);
	s->excerpt = kb_article_excerpt(row->body, KB_EXCERPT_MAX);
	s->score = hit->score;
	s->matched = (char **)g_ptr_array_free(matched, FALSE);
	return s;
}

/* find - the ranked articles for text, up to limit of them scoring at least threshold. */
static GPtrArray *
find(store *handle, const char *language, const char *department, const char *text,
     double threshold, int limit, GError **error)
{
	query q = { g_ptr_array_new_with_free_func(query_word_free),
	            g_hash_table_new(g_str_hash, g_str_equal) };
	GPtrArray *out = g_ptr_array_new_with_free_func((GDestroyNotify)kb_suggestion_free);
	g_autoptr(GArray) hits = NULL;
	g_autofree const char **terms = NULL;
	kb_index *index = NULL;
	gsize length = strlen(text);

	if (!kb_language_known(language)) {
		g_set_error(error, STORE_ERROR, STORE_ERROR_NOT_FOUND,
		            "the help centre has no articles in language %s", language);
		goto failed;
	}
	if (limit > 0 && (index = kb_index_get(handle, language, error)) == NULL)
		goto failed;
	/* No suggestion wanted, or no article: nothing to read the mail for. */
	if (index == NULL || kb_index_size(index) == 0)
		goto done;
	/* Cut on a character so the last word is whole or gone, never half a letter. */
	if (length > KB_MAIL_TEXT_MAX)
		length = g_utf8_find_prev_char(text, text + KB_MAIL_TEXT_MAX + 1) - text;
	kb_words(language, text, length, query_add, &q);
	if (!query_resolve(handle, index, language, &q, error))
		goto failed;
	terms = query_terms(&q);
	hits = kb_index_rank(index, terms, q.words->len, kb_weights, department, limit);
	for (guint i = 0; i < hits->len; i++) {
		const kb_index_hit *hit = &g_array_index(hits, kb_index_hit, i);
		kb_suggestion *s;
		if (hit->score < threshold)
			break;
		if ((s = suggestion_new(handle, hit, &q, error)) == NULL)
			goto failed;
		g_ptr_array_add(out, s);
	}
done:
	g_hash_table_unref(q.terms);
	g_ptr_array_unref(q.words);
	return out;
failed:
	g_hash_table_unref(q.terms);
	g_ptr_array_unref(q.words);
	g_ptr_array_unref(out);
	return NULL;
}

GPtrArray *
kb_suggest(store *handle, const char *language, const char *department, const char *text,
           double threshold, int limit, GError **error)
{
	return find(handle, language, department, text, threshold, limit, error);
}

GPtrArray *
kb_search(store *handle, const char *language, const char *department, const char *words,
          int limit, GError **error)
{
	return find(handle, language, department, words, -G_MAXDOUBLE, limit > 0 ? limit : 10, error);
}
