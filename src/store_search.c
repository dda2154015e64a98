/*
 * store_search - full-text search over message subjects and text, through the FTS5 index
 * that the schema's triggers keep in step with messages (unicode61, diacritics removed, so
 * "facturacion" finds "facturación"). The user's words are quoted, never FTS5 syntax.
 */
#include <string.h>

#include "store-private.h"

#define STORE_SEARCH_LIMIT 50  /* hits when the caller asks for 0 */

const char *const store_search_sql[ST_COUNT] = {
	/* Best message per ticket: min() makes SQLite take the other columns from that row. */
	[ST_SEARCH] = "WITH hits AS MATERIALIZED ("
		" SELECT m.ticket_id AS ticket_id, bm25(messages_fts, 2.0, 1.0) AS score,"
		" snippet(messages_fts, -1, '[', ']', '…', 12) AS snip"
		" FROM messages_fts JOIN messages m ON m.id = messages_fts.rowid"
		" WHERE messages_fts MATCH ?1)"
		" SELECT t.code, t.subject, h.snip, min(h.score) AS best"
		" FROM hits h JOIN tickets t ON t.id = h.ticket_id"
		" GROUP BY h.ticket_id ORDER BY best, t.id LIMIT ?2",
};

/* search_append_word - one word as an FTS5 string ("" doubles a quote); '*' = prefix. */
static void
search_append_word(GString *expression, const char *word)
{
	gsize length = strlen(word);
	gboolean prefix = FALSE;

	while (length > 0 && word[length - 1] == '*') {
		prefix = TRUE;
		length--;
	}
	if (length == 0)
		return;
	if (expression->len > 0)
		g_string_append_c(expression, ' ');
	g_string_append_c(expression, '"');
	for (gsize i = 0; i < length; i++) {
		if (word[i] == '"')
			g_string_append_c(expression, '"');
		g_string_append_c(expression, word[i]);
	}
	g_string_append_c(expression, '"');
	if (prefix)
		g_string_append_c(expression, '*');
}

/* search_expression - the user's words, all required; nothing typed becomes FTS5 syntax. */
static char *
search_expression(const char *query)
{
	g_auto(GStrv) words = g_strsplit_set(query, " \t\r\n\f\v", -1);
	GString *expression = g_string_new(NULL);

	for (char **word = words; *word != NULL; word++)
		search_append_word(expression, *word);
	if (expression->len == 0) {
		g_string_free(expression, TRUE);
		return NULL;
	}
	return g_string_free(expression, FALSE);
}

static void
search_hit_free(gpointer data)
{
	store_search_hit *hit = data;

	g_free(hit->code);
	g_free(hit->subject);
	g_free(hit->snippet);
	g_free(hit);
}

/* search_hit_new - rank is positive, larger is better (bm25 negated). */
static gpointer
search_hit_new(sqlite3_stmt *stmt)
{
	store_search_hit *hit = g_new0(store_search_hit, 1);

	hit->code = store_column_text(stmt, 0);
	hit->subject = store_column_text(stmt, 1);
	hit->snippet = store_column_text(stmt, 2);
	hit->rank = -sqlite3_column_double(stmt, 3);
	return hit;
}

/* store_search - best matching message per ticket, best ticket first; limit 0 = 50. */
GPtrArray *
store_search(store *handle, const char *query, int limit, GError **error)
{
	g_autofree char *expression = search_expression(query != NULL ? query : "");
	sqlite3_stmt *stmt;

	if (expression == NULL)
		return g_ptr_array_new_with_free_func(search_hit_free);
	if ((stmt = store_stmt_get(handle, ST_SEARCH, error)) == NULL)
		return NULL;
	store_bind_text(stmt, 1, expression);
	sqlite3_bind_int(stmt, 2, limit > 0 ? limit : STORE_SEARCH_LIMIT);
	return store_collect(handle, stmt, search_hit_new, search_hit_free, "searching", error);
}
