/*
 * store_kb - the help-centre tables (schema versions 5 and 9, store_schema.c): articles with
 * their departments, an FTS5 index per language kept in step here, and the
 * trigram table of article words that misspellings are corrected against; what kb_index.c
 * reads to rank in memory, and the generation that tells it the articles changed. What a
 * suggestion reads is cached statements; importing, which is rare and done by ticketctl,
 * prepares its statements per call.
 */
#include <sqlite3.h>
#include <string.h>

#include "store-private.h"
#include "store_kb.h"

#define KB_ROW_COLUMNS "slug, title, language, departments, tags, url, body, updated"

/* kb_fail - the store's error for the statement that just failed. */
static gboolean
kb_fail(store *handle, const char *what, GError **error)
{
	store_set_error(handle, sqlite3_extended_errcode(handle->db), what, error);
	return FALSE;
}

/* prepare - one statement, its text fixed at compile time (or by language, checked). */
static sqlite3_stmt *
prepare(store *handle, const char *sql, GError **error)
{
	sqlite3_stmt *stmt = NULL;

	if (sqlite3_prepare_v2(handle->db, sql, -1, &stmt, NULL) != SQLITE_OK) {
		kb_fail(handle, "preparing a query", error);
		return NULL;
	}
	return stmt;
}

/* run - step a statement that returns no rows and finalize it. */
static gboolean
run(store *handle, sqlite3_stmt *stmt, const char *what, GError **error)
{
	int rc = sqlite3_step(stmt);

	sqlite3_finalize(stmt);
	return rc == SQLITE_DONE || kb_fail(handle, what, error);
}

static char *
text_at(sqlite3_stmt *stmt, int column)
{
	const unsigned char *text = sqlite3_column_text(stmt, column);

	return text != NULL ? g_strdup((const char *)text) : NULL;
}

void
store_kb_row_free(store_kb_row *row)
{
	if (row == NULL)
		return;
	g_free(row->id);
	g_free(row->title);
	g_free(row->language);
	g_free(row->departments);
	g_free(row->tags);
	g_free(row->url);
	g_free(row->body);
	g_free(row);
}

/* row_read - a store_kb_row from the KB_ROW_COLUMNS at the statement's cursor. */
static store_kb_row *
row_read(sqlite3_stmt *stmt)
{
	store_kb_row *row = g_new0(store_kb_row, 1);

	row->id = text_at(stmt, 0);
	row->title = text_at(stmt, 1);
	row->language = text_at(stmt, 2);
	row->departments = text_at(stmt, 3);
	row->tags = text_at(stmt, 4);
	row->url = text_at(stmt, 5);
	row->body = text_at(stmt, 6);
	row->updated = sqlite3_column_int64(stmt, 7);
	return row;
}

/* generation_bump - every change to the articles makes the processes' ranking stale. */
static gboolean
generation_bump(store *handle, GError **error)
{
	sqlite3_stmt *stmt = prepare(handle, "UPDATE kb_state SET generation = generation + 1",
	                             error);

	return stmt != NULL && run(handle, stmt, "marking the help centre changed", error);
}

/* existing_digest - the digest stored for id, or NULL (and no error) when it is new. */
static char *
existing_digest(store *handle, const char *id, GError **error)
{
	sqlite3_stmt *stmt = prepare(handle, "SELECT digest FROM kb_articles WHERE slug = ?1", error);
	char *digest = NULL;
	int rc;

	if (stmt == NULL)
		return NULL;
	sqlite3_bind_text(stmt, 1, id, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(stmt)) == SQLITE_ROW)
		digest = text_at(stmt, 0);
	else if (rc != SQLITE_DONE)
		kb_fail(handle, "reading an article", error);
	sqlite3_finalize(stmt);
	return digest;
}

/* put_departments - the article's department rows, replacing the ones it had. */
static gboolean
put_departments(store *handle, const kb_article *article, GError **error)
{
	sqlite3_stmt *stmt = prepare(handle, "DELETE FROM kb_departments WHERE article_id ="
	                             " (SELECT id FROM kb_articles WHERE slug = ?1)", error);

	if (stmt == NULL)
		return FALSE;
	sqlite3_bind_text(stmt, 1, article->id, -1, SQLITE_STATIC);
	if (!run(handle, stmt, "replacing an article's departments", error))
		return FALSE;
	for (char **d = article->departments; *d != NULL; d++) {
		stmt = prepare(handle, "INSERT OR IGNORE INTO kb_departments(department, article_id)"
		               " SELECT ?1, id FROM kb_articles WHERE slug = ?2", error);
		if (stmt == NULL)
			return FALSE;
		sqlite3_bind_text(stmt, 1, *d, -1, SQLITE_STATIC);
		sqlite3_bind_text(stmt, 2, article->id, -1, SQLITE_STATIC);
		if (!run(handle, stmt, "adding an article's department", error))
			return FALSE;
	}
	return TRUE;
}

/* fts_exec - one statement over the index of each language ({lang} in its text), bound
 * to an article id. */
static gboolean
fts_exec(store *handle, const char *sql_text, const char *id, const char *what, GError **error)
{
	static const char *const languages[] = { "es", "en" };

	for (gsize i = 0; i < G_N_ELEMENTS(languages); i++) {
		g_autoptr(GString) sql = g_string_new(sql_text);
		g_string_replace(sql, "{lang}", languages[i], 0);
		sqlite3_stmt *stmt = prepare(handle, sql->str, error);
		if (stmt == NULL)
			return FALSE;
		sqlite3_bind_text(stmt, 1, id, -1, SQLITE_STATIC);
		if (!run(handle, stmt, what, error))
			return FALSE;
	}
	return TRUE;
}

/* fts_forget - take an article's words out of its language's index, before it changes. */
static gboolean
fts_forget(store *handle, const char *id, GError **error)
{
	return fts_exec(handle, "INSERT INTO kb_fts_{lang}(kb_fts_{lang}, rowid, title, tags, body)"
	                " SELECT 'delete', id, title, tags, body FROM kb_articles"
	                " WHERE slug = ?1 AND language = '{lang}'", id, "unindexing an article", error);
}

/* fts_learn - put an article's words into its language's index. */
static gboolean
fts_learn(store *handle, const char *id, GError **error)
{
	return fts_exec(handle, "INSERT INTO kb_fts_{lang}(rowid, title, tags, body)"
	                " SELECT id, title, tags, body FROM kb_articles"
	                " WHERE slug = ?1 AND language = '{lang}'", id, "indexing an article", error);
}

gboolean
store_kb_put(store *handle, const kb_article *article, const char *digest, int64_t now,
             store_kb_outcome *outcome, GError **error)
{
	GError *local = NULL;
	g_autofree char *old = existing_digest(handle, article->id, &local);
	g_autofree char *departments = g_strjoinv(", ", article->departments);
	g_autofree char *tags = g_strjoinv(", ", article->tags);
	sqlite3_stmt *stmt;

	if (local != NULL) {
		g_propagate_error(error, local);
		return FALSE;
	}
	*outcome = old == NULL ? STORE_KB_ADDED :
	           strcmp(old, digest) == 0 ? STORE_KB_UNCHANGED : STORE_KB_UPDATED;
	if (*outcome == STORE_KB_UNCHANGED)
		return TRUE;
	if (*outcome == STORE_KB_UPDATED && !fts_forget(handle, article->id, error))
		return FALSE;
	/* An upsert keeps the row's id: links and the index entry stay the article's. */
	stmt = prepare(handle, "INSERT INTO kb_articles(slug, title, language, departments, tags,"
	               " url, body, digest, updated) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"
	               " ON CONFLICT(slug) DO UPDATE SET title = excluded.title,"
	               " language = excluded.language, departments = excluded.departments,"
	               " tags = excluded.tags, url = excluded.url, body = excluded.body,"
	               " digest = excluded.digest, updated = excluded.updated", error);
	if (stmt == NULL)
		return FALSE;
	sqlite3_bind_text(stmt, 1, article->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 2, article->title, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 3, article->language, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 4, departments, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 5, tags, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 6, article->url, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 7, article->body, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 8, digest, -1, SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 9, now);
	return run(handle, stmt, "storing an article", error) &&
	       put_departments(handle, article, error) && fts_learn(handle, article->id, error) &&
	       generation_bump(handle, error);
}

gboolean
store_kb_remove(store *handle, const char *id, GError **error)
{
	sqlite3_stmt *stmt;

	if (!fts_forget(handle, id, error) ||
	    (stmt = prepare(handle, "DELETE FROM kb_articles WHERE slug = ?1", error)) == NULL)
		return FALSE;
	sqlite3_bind_text(stmt, 1, id, -1, SQLITE_STATIC);
	if (!run(handle, stmt, "removing an article", error))
		return FALSE;
	if (sqlite3_changes(handle->db) == 0) {
		g_set_error(error, STORE_ERROR, STORE_ERROR_NOT_FOUND, "no article %s", id);
		return FALSE;
	}
	return generation_bump(handle, error);
}

/* rows_read - every row of a KB_ROW_COLUMNS query, finalized after. */
static GPtrArray *
rows_read(store *handle, sqlite3_stmt *stmt, GError **error)
{
	GPtrArray *rows = g_ptr_array_new_with_free_func((GDestroyNotify)store_kb_row_free);
	int rc;

	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW)
		g_ptr_array_add(rows, row_read(stmt));
	sqlite3_finalize(stmt);
	if (rc != SQLITE_DONE) {
		g_ptr_array_unref(rows);
		kb_fail(handle, "reading articles", error);
		return NULL;
	}
	return rows;
}

/* What a mail's suggestions read, cached: they run in the commit that opens a ticket. */
const char *const store_kb_sql[ST_COUNT] = {
	[ST_KB_GENERATION] = "SELECT generation FROM kb_state",
	[ST_KB_GET] = "SELECT " KB_ROW_COLUMNS " FROM kb_articles WHERE slug = ?1",
	[ST_KB_WORDS_LIKE] = "SELECT word FROM kb_words WHERE kb_words MATCH ?1"
		" AND language = ?2 ORDER BY rank LIMIT ?3",
};

store_kb_row *
store_kb_get(store *handle, const char *id, GError **error)
{
	sqlite3_stmt *stmt = store_stmt_get(handle, ST_KB_GET, error);
	store_kb_row *row;
	int found;

	if (stmt == NULL)
		return NULL;
	store_bind_text(stmt, 1, id);
	if ((found = store_stmt_step(handle, stmt, "reading an article", error)) <= 0) {
		if (found == 0)
			g_set_error(error, STORE_ERROR, STORE_ERROR_NOT_FOUND, "no article %s", id);
		return NULL;
	}
	row = row_read(stmt);
	store_stmt_done(stmt);
	return row;
}

GPtrArray *
store_kb_list(store *handle, GError **error)
{
	sqlite3_stmt *stmt = prepare(handle, "SELECT " KB_ROW_COLUMNS " FROM kb_articles"
	                             " ORDER BY slug", error);

	return stmt != NULL ? rows_read(handle, stmt, error) : NULL;
}

int64_t
store_kb_generation(store *handle, GError **error)
{
	sqlite3_stmt *stmt = store_stmt_get(handle, ST_KB_GENERATION, error);
	int64_t generation;

	if (stmt == NULL || store_stmt_step(handle, stmt, "reading the help centre's generation",
	                                    error) != 1)
		return -1;
	generation = sqlite3_column_int64(stmt, 0);
	store_stmt_done(stmt);
	return generation;
}

/* language_checked - only the languages the schema has an index for make table names. */
static gboolean
language_checked(const char *language, GError **error)
{
	if (kb_language_known(language))
		return TRUE;
	g_set_error(error, STORE_ERROR, STORE_ERROR_NOT_FOUND,
	            "the help centre has no articles in language %s", language);
	return FALSE;
}

gboolean
store_kb_articles_read(store *handle, const char *language, store_kb_article_fn fn,
                       gpointer data, GError **error)
{
	sqlite3_stmt *stmt = language_checked(language, error) ?
	    prepare(handle, "SELECT id, slug, departments FROM kb_articles WHERE language = ?1",
	            error) : NULL;
	int rc;

	if (stmt == NULL)
		return FALSE;
	sqlite3_bind_text(stmt, 1, language, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW)
		fn(sqlite3_column_int64(stmt, 0), (const char *)sqlite3_column_text(stmt, 1),
		   (const char *)sqlite3_column_text(stmt, 2), data);
	sqlite3_finalize(stmt);
	return rc == SQLITE_DONE || kb_fail(handle, "reading the articles", error);
}

gboolean
store_kb_instances_read(store *handle, const char *language, store_kb_instance_fn fn,
                        gpointer data, GError **error)
{
	static const char *const columns[] = { "title", "tags", "body" };
	g_autofree char *sql = NULL;
	sqlite3_stmt *stmt;
	int rc;

	if (!language_checked(language, error))
		return FALSE;
	sql = g_strdup_printf("SELECT term, doc, col FROM kb_instances_%s", language);
	if ((stmt = prepare(handle, sql, error)) == NULL)
		return FALSE;
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		const char *column = (const char *)sqlite3_column_text(stmt, 2);
		int c = 0;
		while (c < (int)G_N_ELEMENTS(columns) && g_strcmp0(column, columns[c]) != 0)
			c++;
		fn((const char *)sqlite3_column_text(stmt, 0), sqlite3_column_int64(stmt, 1), c, data);
	}
	sqlite3_finalize(stmt);
	return rc == SQLITE_DONE || kb_fail(handle, "reading the help centre's index", error);
}

gpointer
store_kb_cache(store *handle)
{
	return handle->kb_cache;
}

void
store_kb_cache_set(store *handle, gpointer cache, GDestroyNotify free_func)
{
	if (handle->kb_cache != NULL)
		handle->kb_cache_free(handle->kb_cache);
	handle->kb_cache = cache;
	handle->kb_cache_free = free_func;
}

/* word_row - the one column of a kb_words row. */
static gpointer
word_row(sqlite3_stmt *stmt)
{
	return store_column_text(stmt, 0);
}

GPtrArray *
store_kb_words_like(store *handle, const char *language, const char *match, int limit,
                    GError **error)
{
	sqlite3_stmt *stmt = store_stmt_get(handle, ST_KB_WORDS_LIKE, error);

	if (stmt == NULL)
		return NULL;
	store_bind_text(stmt, 1, match);
	store_bind_text(stmt, 2, language);
	sqlite3_bind_int(stmt, 3, limit);
	return store_collect(handle, stmt, word_row, g_free, "looking up similar words", error);
}

gboolean
store_kb_words_set(store *handle, const char *language, GPtrArray *words, GError **error)
{
	sqlite3_stmt *stmt = prepare(handle, "DELETE FROM kb_words WHERE language = ?1", error);

	if (stmt == NULL)
		return FALSE;
	sqlite3_bind_text(stmt, 1, language, -1, SQLITE_STATIC);
	if (!run(handle, stmt, "clearing the word list", error))
		return FALSE;
	if ((stmt = prepare(handle, "INSERT INTO kb_words(word, language) VALUES (?1, ?2)",
	                    error)) == NULL)
		return FALSE;
	for (guint i = 0; i < words->len; i++) {
		sqlite3_bind_text(stmt, 1, words->pdata[i], -1, SQLITE_STATIC);
		sqlite3_bind_text(stmt, 2, language, -1, SQLITE_STATIC);
		if (sqlite3_step(stmt) != SQLITE_DONE) {
			sqlite3_finalize(stmt);
			return kb_fail(handle, "adding to the word list", error);
		}
		sqlite3_reset(stmt);
	}
	sqlite3_finalize(stmt);
	return TRUE;
}
