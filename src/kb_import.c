/*
 * kb_import - article files into the help centre. Every file is read and checked before
 * anything is written; then one transaction adds the new articles, changes the changed
 * ones in place (same id, so links and suggestions keep pointing at them), leaves the
 * unchanged ones alone, and rebuilds the word list misspellings are corrected against.
 */
#include <string.h>

#include "kb.h"
#include "store.h"
#include "store_kb.h"

#define KB_IMPORT_FILES_MAX 100000

/* One article read from disk, with the digest of its bytes. */
typedef struct {
	kb_article *article;
	char *digest;
} import_item;

static void
import_item_free(gpointer data)
{
	import_item *item = data;

	kb_article_free(item->article);
	g_free(item->digest);
	g_free(item);
}

/* read_file - one .md file into items; FALSE when it is not an article. */
static gboolean
read_file(const char *path, GPtrArray *items, GHashTable *ids, GError **error)
{
	g_autofree char *base = g_path_get_basename(path);
	g_autofree char *text = NULL;
	gsize length;
	import_item *item;

	if (!g_str_has_suffix(base, ".md")) {
		g_set_error(error, KB_ERROR, KB_ERROR_PARSE, "%s: an article file ends in .md", path);
		return FALSE;
	}
	base[strlen(base) - 3] = '\0';
	if (g_hash_table_contains(ids, base)) {
		g_set_error(error, KB_ERROR, KB_ERROR_PARSE, "%s: a second article %s", path, base);
		return FALSE;
	}
	if (!g_file_get_contents(path, &text, &length, error))
		return FALSE;
	item = g_new0(import_item, 1);
	if ((item->article = kb_article_parse(base, text, length, error)) == NULL) {
		g_prefix_error(error, "%s: ", path);
		import_item_free(item);
		return FALSE;
	}
	item->digest = g_compute_checksum_for_data(G_CHECKSUM_SHA256, (const guchar *)text, length);
	g_hash_table_add(ids, g_strdup(base));
	g_ptr_array_add(items, item);
	return TRUE;
}

/* sort_strings - g_ptr_array_sort's comparison for an array of strings. */
static gint
sort_strings(gconstpointer a, gconstpointer b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* read_dir - the .md files of a directory, in name order; other files are skipped. */
static gboolean
read_dir(const char *path, GPtrArray *items, GHashTable *ids, GError **error)
{
	g_autoptr(GDir) dir = g_dir_open(path, 0, error);
	g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
	const char *name;

	if (dir == NULL)
		return FALSE;
	while ((name = g_dir_read_name(dir)) != NULL && names->len < KB_IMPORT_FILES_MAX)
		if (g_str_has_suffix(name, ".md"))
			g_ptr_array_add(names, g_build_filename(path, name, NULL));
	g_ptr_array_sort(names, sort_strings);
	for (guint i = 0; i < names->len; i++)
		if (!read_file(names->pdata[i], items, ids, error))
			return FALSE;
	return TRUE;
}

/* Collects the folded words of articles, for the spelling list. */
static gboolean
word_collect(const kb_word *word, gpointer data)
{
	g_hash_table_add(data, kb_fold(word->word, word->length));
	return TRUE;
}

/* words_rebuild - the list of each language's article words, from what is stored now. */
static gboolean
words_rebuild(store *handle, GError **error)
{
	static const char *const languages[] = { "es", "en" };
	g_autoptr(GPtrArray) rows = store_kb_list(handle, error);

	if (rows == NULL)
		return FALSE;
	for (gsize l = 0; l < G_N_ELEMENTS(languages); l++) {
		g_autoptr(GHashTable) set = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
		g_autoptr(GPtrArray) words = NULL;
		for (guint i = 0; i < rows->len; i++) {
			const store_kb_row *row = rows->pdata[i];
			g_autofree char *text = NULL;
			if (strcmp(row->language, languages[l]) != 0)
				continue;
			text = g_strjoin("\n", row->title, row->tags, row->body, NULL);
			kb_words(languages[l], text, strlen(text), word_collect, set);
		}
		words = g_ptr_array_new();
		GHashTableIter it;
		gpointer key;
		g_hash_table_iter_init(&it, set);
		while (g_hash_table_iter_next(&it, &key, NULL))
			g_ptr_array_add(words, key);
		g_ptr_array_sort(words, sort_strings);
		if (!store_kb_words_set(handle, languages[l], words, error))
			return FALSE;
	}
	return TRUE;
}

/* import_write - every item into the store, counting what changed. */
static gboolean
import_write(store *handle, GPtrArray *items, kb_import_counts *counts, GError **error)
{
	int64_t now = store_now();

	for (guint i = 0; i < items->len; i++) {
		const import_item *item = items->pdata[i];
		store_kb_outcome outcome;
		if (!store_kb_put(handle, item->article, item->digest, now, &outcome, error))
			return FALSE;
		counts->added += outcome == STORE_KB_ADDED;
		counts->updated += outcome == STORE_KB_UPDATED;
		counts->unchanged += outcome == STORE_KB_UNCHANGED;
	}
	return counts->added + counts->updated == 0 || words_rebuild(handle, error);
}

gboolean
kb_import(store *handle, char **paths, kb_import_counts *counts, GError **error)
{
	g_autoptr(GPtrArray) items = g_ptr_array_new_with_free_func(import_item_free);
	g_autoptr(GHashTable) ids = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);

	memset(counts, 0, sizeof *counts);
	for (char **p = paths; *p != NULL; p++) {
		gboolean ok = g_file_test(*p, G_FILE_TEST_IS_DIR) ?
		              read_dir(*p, items, ids, error) : read_file(*p, items, ids, error);
		if (!ok)
			return FALSE;
	}
	if (!store_begin(handle, error))
		return FALSE;
	if (!import_write(handle, items, counts, error)) {
		store_rollback(handle);
		return FALSE;
	}
	return store_commit(handle, error);
}

gboolean
kb_remove(store *handle, const char *id, GError **error)
{
	if (!store_begin(handle, error))
		return FALSE;
	if (!store_kb_remove(handle, id, error) || !words_rebuild(handle, error)) {
		store_rollback(handle);
		return FALSE;
	}
	return store_commit(handle, error);
}
