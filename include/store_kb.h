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

/* One stored article. */
typedef struct {
	char *id;
	char *title;
	char *language;
	char *departments;          /* "soporte, ventas" */
	char *tags;                 /* "correo, iphone" */
	char *url;
	char *body;
	int64_t updated;
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

/* store_kb_generation - a number every change to the articles makes larger; -1 on error. */
int64_t store_kb_generation(store *handle, GError **error);

/* One article of a language: its row id, id (slug) and departments ("soporte, ventas"). */
typedef void (*store_kb_article_fn)(int64_t rowid, const char *id, const char *departments,
                                    gpointer data);
gboolean store_kb_articles_read(store *handle, const char *language, store_kb_article_fn fn,
                                gpointer data, GError **error);
/* One word where it occurs: its term, the article's row id and the column (0 title,
 * 1 tags, 2 body), each time the index has it, term by term. */
typedef void (*store_kb_instance_fn)(const char *term, int64_t rowid, int column, gpointer data);
gboolean store_kb_instances_read(store *handle, const char *language, store_kb_instance_fn fn,
                                 gpointer data, GError **error);

/* The help centre's ranking index of this handle (kb_index.c), freed with the handle. */
gpointer store_kb_cache(store *handle);
void store_kb_cache_set(store *handle, gpointer cache, GDestroyNotify free_func);

/* store_kb_words_like - words of language's articles sharing trigrams with match (an
 * FTS5 query of trigrams), most alike first; char * owned by the array. */
GPtrArray *store_kb_words_like(store *handle, const char *language, const char *match,
                               int limit, GError **error);
/* store_kb_words_set - replace the words of language the misspellings are looked up in. */
gboolean store_kb_words_set(store *handle, const char *language, GPtrArray *words,
                            GError **error);

#endif
