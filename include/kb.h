/*
 * kb - the help centre: articles read from Markdown files with a short header, the
 * words they are indexed by (a Spanish- or English-stemming FTS5 tokenizer that folds
 * accents after stemming), and the articles suggested for one customer mail.
 */
#ifndef TICKETD_KB_H
#define TICKETD_KB_H

#include <glib.h>

#define KB_ERROR (kb_error_quark())

typedef enum {
	KB_ERROR_PARSE,             /* an article file that is not one */
	KB_ERROR_FAILED             /* anything else (the stemmer, SQLite) */
} kb_error_code;

GQuark kb_error_quark(void);

/* The FTS5 tokenizer's name: tokenize='ticketd_kb es' or 'ticketd_kb en'. */
#define KB_TOKENIZER "ticketd_kb"
/* Words longer than this (URLs, base64, hashes) are not indexed nor searched. */
#define KB_WORD_MAX 40

/* One help-centre article as its file says it. */
typedef struct {
	char *id;                   /* the file name without .md: "correo-iphone" */
	char *title;
	char *language;             /* "es" or "en" */
	char **departments;         /* department slugs, NULL-terminated, at least one */
	char **tags;                /* NULL-terminated, may be empty */
	char *url;                  /* "" when none */
	char *body;                 /* the Markdown after the header */
} kb_article;

/* kb_language_known - whether the help centre indexes a language ("es", "en"). */
gboolean kb_language_known(const char *language);

/*
 * kb_article_parse - an article from the bytes of its file: a "---" line, "key: value"
 * lines (title, language, departments, tags, url), a "---" line, the body. id is the
 * file name without ".md"; NULL with KB_ERROR_PARSE naming the line when it is not one.
 */
kb_article *kb_article_parse(const char *id, const char *text, gsize length, GError **error);

/* kb_article_load - kb_article_parse of a file, its id from the file name. */
kb_article *kb_article_load(const char *path, GError **error);

void kb_article_free(kb_article *article);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(kb_article, kb_article_free)

/* kb_article_id_valid - lower-case letters, digits and '-', 1 to 80 of them. */
gboolean kb_article_id_valid(const char *id);

/* kb_article_excerpt - the first sentence of the body as one plain line, at most max bytes. */
char *kb_article_excerpt(const char *body, gsize max);

/*
 * One word of a text as the index sees it: where it is (byte offsets), and its term:
 * lower-cased, the Spanish -cion/-sion endings given back their accent, stemmed
 * (Snowball), then accents folded, so "configuración", "configuracion" and "configurar"
 * all give "configur", and "contraseña" and "contrasena" give "contrasen".
 */
typedef struct {
	const char *word;           /* into the text, not NUL-terminated */
	int length;
	int start;                  /* byte offsets of the word in the text */
	int end;
	const char *term;           /* NUL-terminated, valid until the callback returns */
	int term_length;
} kb_word;

/* Return FALSE to stop at this word. */
typedef gboolean (*kb_word_fn)(const kb_word *word, gpointer data);

/* kb_words - every word of text that is no stop word of language, in order. */
void kb_words(const char *language, const char *text, gsize length, kb_word_fn fn, gpointer data);

/* kb_term - the term one word is indexed as; NULL for a stop word or no word. */
char *kb_term(const char *language, const char *word);

/* kb_fold - lower-case without accents ("Ñandú" → "nandu"), for comparing words. */
char *kb_fold(const char *text, gssize length);

struct sqlite3;
struct store;

/* kb_tokenizer_register - make the KB_TOKENIZER available to FTS5 on this connection. */
gboolean kb_tokenizer_register(struct sqlite3 *db, GError **error);

/* What kb_import did. */
typedef struct {
	int added, updated, unchanged;
} kb_import_counts;

/*
 * kb_import - the articles of each path (a .md file, or a directory's .md files), added
 * or changed in place, in one transaction: one bad file and nothing is imported.
 */
gboolean kb_import(struct store *handle, char **paths, kb_import_counts *counts, GError **error);

/* kb_remove - FALSE with STORE_ERROR_NOT_FOUND when there is no article id. */
gboolean kb_remove(struct store *handle, const char *id, GError **error);

/* Suggestions ([kb] suggestions and threshold): at most this many, and none scoring
 * below the threshold; what a setting may be. */
#define KB_SUGGESTIONS_DEFAULT 3
#define KB_SUGGESTIONS_LIMIT 10
#define KB_THRESHOLD_DEFAULT 7.0
#define KB_THRESHOLD_MAX 1000
/* Bytes of a mail's subject and text that are searched: what it asks is at the top. */
#define KB_MAIL_TEXT_MAX 4096

/* One article found for a mail or a query. */
typedef struct {
	char *id;
	char *title;
	char *url;
	char *excerpt;              /* one line */
	double score;               /* -BM25: higher is better */
	char **matched;             /* the words of the mail it matched, as written */
} kb_suggestion;

void kb_suggestion_free(kb_suggestion *suggestion);

/*
 * kb_suggest - up to limit articles of department (NULL: any) in language that answer
 * text (a mail's subject and new text), best first, none below threshold; an empty
 * array when nothing is good enough or limit is 0. kb_suggestion * owned by the array.
 */
GPtrArray *kb_suggest(struct store *handle, const char *language, const char *department,
                      const char *text, double threshold, int limit, GError **error);

/* kb_search - like kb_suggest with no threshold and up to limit hits, for staff. */
GPtrArray *kb_search(struct store *handle, const char *language, const char *department,
                     const char *query, int limit, GError **error);

#endif
