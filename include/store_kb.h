/*
 * store_kb - the help-centre tables of the store: articles, their departments, one
 * FTS5 index per language (the kb tokenizer: stems, accents folded) and a trigram table
 * of the words articles use, where a misspelt word of a mail finds the one it meant.
 */
#ifndef TICKETD_STORE_KB_H
#define TICKETD_STORE_KB_H

#include <glib.h>
#include <stdint.h>

#include "kb.h"
#include "store.h"

typedef enum {
	STORE_KB_UNCHANGED,         /* the same file was imported before */
	STORE_KB_ADDED,
	STORE_KB_UPDATED            /* same id, new text: changed in place */
} store_kb_outcome;

/* One stored article; for a search hit, score is -bm25 (higher is better) and matched
 * has bit i set when the article has the query's word i; else both 0. */
typedef struct {
	char *id;
	char *title;
	char *language;
	char *departments;          /* "soporte, ventas" */
	char *tags;                 /* "correo, iphone" */
	char *url;
	char *body;
	int64_t updated;
	double score;
	uint64_t matched;
} store_kb_row;

void store_kb_row_free(store_kb_row *row);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(store_kb_row, store_kb_row_free)

/* store_kb_put - add an article or change the one with its id in place; digest is of
 * the file's bytes, so an unchanged file is left alone. */
gboolean store_kb_put(store *handle, const kb_article *article, const char *digest,
                      int64_t now, store_kb_outcome *outcome, GError **error);
/* store_kb_remove - FALSE with STORE_ERROR_NOT_FOUND when there is no such article. */
gboolean store_kb_remove(store *handle, const char *id, GError **error);
/* store_kb_get - NULL with STORE_ERROR_NOT_FOUND when there is no such article. */
store_kb_row *store_kb_get(store *handle, const char *id, GError **error);
/* store_kb_list - every article, by id; store_kb_row * owned by the array. */
GPtrArray *store_kb_list(store *handle, GError **error);

/* How store_kb_match ranks: BM25 weights of the title, tags and body columns. */
typedef struct {
	double title, tags, body;
} store_kb_weights;

/*
 * store_kb_match - articles of language matching an FTS5 query of at most
 * KB_MATCH_WORDS_MAX words, best first, at most limit; department NULL for any. The
 * body is not read (NULL in the rows).
 */
GPtrArray *store_kb_match(store *handle, const char *language, const char *department,
                          const char *match, const store_kb_weights *weights, int limit,
                          GError **error);
/* store_kb_count - the articles in language; -1 on error. */
int store_kb_count(store *handle, const char *language, GError **error);
/* store_kb_term_articles - how many articles of language are indexed under term (0: none);
 * -1 on error. */
int store_kb_term_articles(store *handle, const char *language, const char *term,
                           GError **error);
/* store_kb_words_like - words of language's articles sharing trigrams with match (an
 * FTS5 query of trigrams), most alike first; char * owned by the array. */
GPtrArray *store_kb_words_like(store *handle, const char *language, const char *match,
                               int limit, GError **error);
/* store_kb_words_set - replace the words of language the misspellings are looked up in. */
gboolean store_kb_words_set(store *handle, const char *language, GPtrArray *words,
                            GError **error);

#endif
