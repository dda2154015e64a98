/*
 * kb-private - what the help centre's files share and nothing else includes: the ranking
 * index that kb.c asks for a mail's best articles (kb_index.c).
 */
#ifndef TICKETD_KB_PRIVATE_H
#define TICKETD_KB_PRIVATE_H

#include <glib.h>
#include <stdint.h>

#include "kb.h"
#include "store.h"

/* The words a query may have: one bit each in kb_index_hit.matched. */
#define KB_INDEX_WORDS_MAX 64

/* One language's articles as BM25 ranks them, read from the FTS5 index. */
typedef struct kb_index kb_index;

/*
 * kb_index_get - the index of language for this store handle: built on first use and
 * again when the articles changed (store_kb_generation), owned by the handle. NULL on
 * a database error.
 */
kb_index *kb_index_get(store *handle, const char *language, GError **error);

/* kb_index_size - the articles of the index. */
int kb_index_size(const kb_index *index);
/* kb_index_articles - how many articles have term (0: none). */
int kb_index_articles(const kb_index *index, const char *term);

/*
 * kb_index_corrected - the correction remembered for a folded word no article has: TRUE
 * with *fixed the article word (NULL: none is alike enough) when it was looked up
 * before. kb_index_remember keeps one, up to a bound, for as long as the articles stay.
 */
gboolean kb_index_corrected(const kb_index *index, const char *folded, const char **fixed);
void kb_index_remember(kb_index *index, const char *folded, const char *fixed);

/* One ranked article: its id, -BM25 (higher is better), bit i set when it has terms[i]. */
typedef struct {
	const char *id;             /* owned by the index */
	double score;
	uint64_t matched;
} kb_index_hit;

/*
 * kb_index_rank - the articles of department (NULL: any) having any of terms (at most
 * KB_INDEX_WORDS_MAX), best first and then by id, at most limit: the order and scores
 * FTS5's bm25() gives with these column weights (title, tags, body). kb_index_hit, to
 * g_array_unref.
 */
GArray *kb_index_rank(const kb_index *index, const char *const *terms, guint count,
                      const double weights[3], const char *department, int limit);

#endif
