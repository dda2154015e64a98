/*
 * kb_article - one help-centre article from its Markdown file. The file starts with a
 * header between two "---" lines, one "key: value" per line (title, language,
 * departments, tags, url); the rest is the body. Anything else is refused with the line
 * that is wrong, so a typo in a header never indexes an article in the wrong place.
 */
#include <string.h>

#include "kb.h"

#define KB_ARTICLE_MAX   (256 * 1024)   /* bytes of one article file */
#define KB_TITLE_MAX     200            /* bytes of a title */
#define KB_ID_MAX        80
#define KB_HEADER_LINES  20             /* a header longer than this never ends */

/* What a header line may set; each key at most once. */
typedef enum { KEY_TITLE, KEY_LANGUAGE, KEY_DEPARTMENTS, KEY_TAGS, KEY_URL, KEY_COUNT } header_key;
static const char *const key_names[KEY_COUNT] = {
	"title", "language", "departments", "tags", "url",
};

void
kb_article_free(kb_article *article)
{
	if (article == NULL)
		return;
	g_free(article->id);
	g_free(article->title);
	g_free(article->language);
	g_strfreev(article->departments);
	g_strfreev(article->tags);
	g_free(article->url);
	g_free(article->body);
	g_free(article);
}

gboolean
kb_article_id_valid(const char *id)
{
	gsize n = id == NULL ? 0 : strlen(id);

	if (n == 0 || n > KB_ID_MAX)
		return FALSE;
	for (gsize i = 0; i < n; i++)
		if (!g_ascii_islower(id[i]) && !g_ascii_isdigit(id[i]) && id[i] != '-')
			return FALSE;
	return TRUE;
}

/* split_list - "soporte, ventas" → {"soporte", "ventas"}, empty items dropped. */
static char **
split_list(const char *value, gboolean lower)
{
	g_auto(GStrv) items = g_strsplit(value, ",", -1);
	GPtrArray *out = g_ptr_array_new();

	for (char **item = items; *item != NULL; item++) {
		char *text = g_strstrip(*item);
		if (*text != '\0')
			g_ptr_array_add(out, lower ? g_utf8_strdown(text, -1) : g_strdup(text));
	}
	g_ptr_array_add(out, NULL);
	return (char **)g_ptr_array_free(out, FALSE);
}

/* department_valid - a department slug as ticketd.conf names them. */
static gboolean
department_valid(const char *slug)
{
	for (const char *p = slug; *p != '\0'; p++)
		if (!g_ascii_isalnum(*p) && *p != '-' && *p != '_')
			return FALSE;
	return *slug != '\0';
}

/* header_value_check - NULL when value fits key, else what is wrong with it. */
static const char *
header_value_check(header_key key, const char *value)
{
	switch (key) {
	case KEY_TITLE:
		return *value == '\0' || strlen(value) > KB_TITLE_MAX ?
		       "a title of 1 to 200 bytes" : NULL;
	case KEY_LANGUAGE:
		return kb_language_known(value) ? NULL : "language es or en";
	case KEY_URL:
		return g_str_has_prefix(value, "https://") || g_str_has_prefix(value, "http://") ?
		       NULL : "a url starting with https:// or http://";
	default:
		return NULL;
	}
}

/* header_set - one "key: value" line into the article; FALSE with the reason in error. */
static gboolean
header_set(kb_article *article, gboolean *seen, const char *line, int number, GError **error)
{
	const char *colon = strchr(line, ':');
	g_autofree char *key = colon ? g_ascii_strdown(line, colon - line) : NULL;
	g_autofree char *value = colon ? g_strstrip(g_strdup(colon + 1)) : NULL;
	const char *problem = "a \"key: value\" line";
	int k = 0;

	if (key != NULL) {
		g_strstrip(key);
		for (k = 0; k < KEY_COUNT && strcmp(key, key_names[k]) != 0; k++)
			;
		problem = k == KEY_COUNT ? "title, language, departments, tags or url" :
		          seen[k] ? "each key once" : header_value_check(k, value);
	}
	if (problem != NULL) {
		g_set_error(error, KB_ERROR, KB_ERROR_PARSE, "%s:%d: expected %s",
		            article->id, number, problem);
		return FALSE;
	}
	seen[k] = TRUE;
	switch ((header_key)k) {
	case KEY_TITLE: article->title = g_steal_pointer(&value); break;
	case KEY_LANGUAGE: article->language = g_steal_pointer(&value); break;
	case KEY_DEPARTMENTS: article->departments = split_list(value, TRUE); break;
	case KEY_TAGS: article->tags = split_list(value, FALSE); break;
	case KEY_URL: article->url = g_steal_pointer(&value); break;
	case KEY_COUNT: g_assert_not_reached();
	}
	return TRUE;
}

/* header_complete - the keys an article cannot do without. */
static gboolean
header_complete(kb_article *article, GError **error)
{
	const char *missing = article->title == NULL ? "title" :
	                      article->language == NULL ? "language" :
	                      article->departments == NULL || article->departments[0] == NULL ?
	                      "departments" : NULL;

	for (char **d = article->departments; missing == NULL && *d != NULL; d++)
		if (!department_valid(*d))
			missing = "departments as slugs (letters, digits, - and _)";
	if (missing != NULL) {
		g_set_error(error, KB_ERROR, KB_ERROR_PARSE, "%s: the header has no %s",
		            article->id, missing);
		return FALSE;
	}
	if (article->tags == NULL)
		article->tags = g_new0(char *, 1);
	if (article->url == NULL)
		article->url = g_strdup("");
	return TRUE;
}

/* parse_header - the lines between the two "---"; the body is what follows. */
static gboolean
parse_header(kb_article *article, char **lines, GError **error)
{
	gboolean seen[KEY_COUNT] = { FALSE };
	int i;

	if (lines[0] == NULL || strcmp(g_strchomp(lines[0]), "---") != 0) {
		g_set_error(error, KB_ERROR, KB_ERROR_PARSE,
		            "%s:1: an article starts with a \"---\" line", article->id);
		return FALSE;
	}
	for (i = 1; lines[i] != NULL && i <= KB_HEADER_LINES; i++) {
		g_strchomp(lines[i]);
		if (strcmp(lines[i], "---") == 0)
			break;
		if (*lines[i] != '\0' && !header_set(article, seen, lines[i], i + 1, error))
			return FALSE;
	}
	if (lines[i] == NULL || i > KB_HEADER_LINES) {
		g_set_error(error, KB_ERROR, KB_ERROR_PARSE,
		            "%s: the header does not end with a \"---\" line", article->id);
		return FALSE;
	}
	article->body = g_strstrip(g_strjoinv("\n", lines + i + 1));
	return header_complete(article, error);
}

/* crlf_to_lf - a file written on Windows reads like one written anywhere else. */
static void
crlf_to_lf(char *text)
{
	char *out = text;

	for (const char *p = text; *p != '\0'; p++)
		if (!(p[0] == '\r' && p[1] == '\n'))
			*out++ = *p;
	*out = '\0';
}

kb_article *
kb_article_parse(const char *id, const char *text, gsize length, GError **error)
{
	g_autoptr(kb_article) article = g_new0(kb_article, 1);
	g_auto(GStrv) lines = NULL;

	article->id = g_strdup(id);
	if (!kb_article_id_valid(id)) {
		g_set_error(error, KB_ERROR, KB_ERROR_PARSE, "%s: an article's file name is "
		            "lower-case letters, digits and '-', then .md", id);
		return NULL;
	}
	if (length > KB_ARTICLE_MAX || !g_utf8_validate(text, length, NULL) ||
	    memchr(text, '\0', length) != NULL) {
		g_set_error(error, KB_ERROR, KB_ERROR_PARSE,
		            "%s: an article is UTF-8 text of at most %d bytes", id, KB_ARTICLE_MAX);
		return NULL;
	}
	g_autofree char *copy = g_strndup(text, length);
	crlf_to_lf(copy);
	lines = g_strsplit(copy, "\n", -1);
	if (!parse_header(article, lines, error))
		return NULL;
	if (*article->body == '\0') {
		g_set_error(error, KB_ERROR, KB_ERROR_PARSE, "%s: the article has no body", id);
		return NULL;
	}
	return g_steal_pointer(&article);
}

kb_article *
kb_article_load(const char *path, GError **error)
{
	g_autofree char *base = g_path_get_basename(path);
	g_autofree char *text = NULL;
	gsize length;

	if (!g_str_has_suffix(base, ".md")) {
		g_set_error(error, KB_ERROR, KB_ERROR_PARSE, "%s: an article file ends in .md", path);
		return NULL;
	}
	base[strlen(base) - 3] = '\0';
	if (!g_file_get_contents(path, &text, &length, error))
		return NULL;
	return kb_article_parse(base, text, length, error);
}

/* plain_append - Markdown inline markup removed: **, _, `, and [text](url) → text. */
static void
plain_append(GString *out, const char *line)
{
	for (const char *p = line; *p != '\0'; p++) {
		if (*p == '*' || *p == '`' || (*p == '_' && (p == line || p[-1] == ' ')))
			continue;
		if (*p == ']' && p[1] == '(') {
			const char *close = strchr(p, ')');
			if (close != NULL) {
				p = close;
				continue;
			}
		}
		if (*p == '[')
			continue;
		g_string_append_c(out, *p == '\t' ? ' ' : *p);
	}
}

/* first_paragraph - the first run of prose lines: no heading, list, table or code. */
static GString *
first_paragraph(const char *body)
{
	g_auto(GStrv) lines = g_strsplit(body, "\n", -1);
	GString *out = g_string_new(NULL);

	for (char **l = lines; *l != NULL; l++) {
		char *line = g_strstrip(*l);
		gboolean prose = *line != '\0' && strchr("#-*|>`0123456789", *line) == NULL;
		if (!prose) {
			if (out->len > 0)
				break;
			continue;
		}
		if (out->len > 0)
			g_string_append_c(out, ' ');
		plain_append(out, line);
	}
	return out;
}

char *
kb_article_excerpt(const char *body, gsize max)
{
	GString *text = first_paragraph(body);
	const char *stop = strstr(text->str, ". ");

	if (stop != NULL)
		g_string_truncate(text, stop - text->str + 1);
	if (text->len > max && max > 4) {
		/* Cut at the last space that leaves room for the ellipsis, on a character. */
		gsize cut = max - 3;
		while (cut > 0 && text->str[cut] != ' ')
			cut--;
		if (cut == 0)
			cut = g_utf8_find_prev_char(text->str, text->str + max - 3) - text->str;
		g_string_truncate(text, cut);
		g_string_append(text, "…");
	}
	return g_string_free(text, FALSE);
}
