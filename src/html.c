/*
 * html - the readable text of an HTML mail body. libxml2's HTML parser builds the tree
 * (it copes with the broken markup mailers produce and decodes entities); we walk it,
 * dropping scripts, styles and the head, and turn block elements into line breaks.
 */
#include <string.h>

#include <libxml/HTMLparser.h>
#include <libxml/tree.h>

#include "html.h"

/* Deeper trees are cut: the text past this depth is not worth a stack overflow. */
#define HTML_DEPTH_MAX 256

typedef struct {
	GString *out;
	int pre;                    /* inside <pre>: whitespace kept */
} html_walk;

/* element_is - case-insensitive match of a node name against a list. */
static gboolean
element_is(const xmlNode *node, const char *const *names)
{
	for (; *names != NULL; names++)
		if (g_ascii_strcasecmp((const char *)node->name, *names) == 0)
			return TRUE;
	return FALSE;
}

static const char *const skipped[] = {
	"script", "style", "head", "title", "noscript", "template", NULL,
};
static const char *const paragraphs[] = {
	"p", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "table", "pre", NULL,
};
static const char *const blocks[] = {
	"div", "li", "tr", "ul", "ol", "dl", "dt", "dd", "hr", "section", "article",
	"header", "footer", "address", "center", "form", NULL,
};
static const char *const cells[] = { "td", "th", NULL };

/* trim_trailing_spaces - no space left dangling before a line break. */
static void
trim_trailing_spaces(GString *out)
{
	while (out->len > 0 && out->str[out->len - 1] == ' ')
		g_string_truncate(out, out->len - 1);
}

/* line_break - end the current line unless already at the start of one. */
static void
line_break(GString *out)
{
	trim_trailing_spaces(out);
	if (out->len > 0 && out->str[out->len - 1] != '\n')
		g_string_append_c(out, '\n');
}

/* paragraph_break - leave one blank line, as a browser leaves space around <p>. */
static void
paragraph_break(GString *out)
{
	line_break(out);
	if (out->len > 0 && (out->len < 2 || out->str[out->len - 2] != '\n'))
		g_string_append_c(out, '\n');
}

/* append_text - a text node, whitespace runs collapsed to one space (not in <pre>). */
static void
append_text(html_walk *w, const char *text)
{
	const char *p;

	for (p = text; *p; p = g_utf8_next_char(p)) {
		gunichar u = g_utf8_get_char(p);

		if (w->pre) {
			g_string_append_len(w->out, p, g_utf8_next_char(p) - p);
			continue;
		}
		/* A non-breaking space is a space once the text leaves the browser. */
		if (g_unichar_isspace(u) || u == 0xa0) {
			if (w->out->len > 0 && w->out->str[w->out->len - 1] != ' ' &&
			    w->out->str[w->out->len - 1] != '\n')
				g_string_append_c(w->out, ' ');
			continue;
		}
		g_string_append_len(w->out, p, g_utf8_next_char(p) - p);
	}
}

static void walk_children(html_walk *w, xmlNode *node, int depth);

/* walk_element - one element: skipped, or its children framed by the breaks it implies. */
static void
walk_element(html_walk *w, xmlNode *node, int depth)
{
	static const char *const pre[] = { "pre", NULL };
	static const char *const br[] = { "br", NULL };
	static const char *const li[] = { "li", NULL };
	gboolean is_paragraph = element_is(node, paragraphs);
	gboolean is_block = element_is(node, blocks);

	if (element_is(node, skipped))
		return;
	if (element_is(node, br)) {
		trim_trailing_spaces(w->out);
		g_string_append_c(w->out, '\n');
		return;
	}
	if (is_paragraph)
		paragraph_break(w->out);
	else if (is_block)
		line_break(w->out);
	if (element_is(node, li))
		g_string_append(w->out, "- ");
	if (element_is(node, pre))
		w->pre++;
	walk_children(w, node, depth + 1);
	if (element_is(node, pre))
		w->pre--;
	if (is_paragraph)
		paragraph_break(w->out);
	else if (is_block)
		line_break(w->out);
	else if (element_is(node, cells))
		append_text(w, " ");
}

static void
walk_children(html_walk *w, xmlNode *node, int depth)
{
	xmlNode *child;

	if (depth > HTML_DEPTH_MAX)
		return;
	for (child = node->children; child != NULL; child = child->next) {
		if (child->type == XML_ELEMENT_NODE)
			walk_element(w, child, depth);
		else if ((child->type == XML_TEXT_NODE ||
		    child->type == XML_CDATA_SECTION_NODE) && child->content != NULL)
			append_text(w, (const char *)child->content);
	}
}

/* tidy_lines - lines right-trimmed, at most one blank line in a row, no blank ends. */
static char *
tidy_lines(const char *text)
{
	g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
	GString *out = g_string_new(NULL);
	int blank = 0, i;

	for (i = 0; lines[i] != NULL; i++) {
		char *line = g_strchomp(lines[i]);

		if (*line == '\0') {
			blank++;
			continue;
		}
		if (out->len > 0)
			g_string_append(out, blank > 0 ? "\n\n" : "\n");
		blank = 0;
		g_string_append(out, line);
	}
	return g_string_free(out, FALSE);
}

char *
html_to_text(const char *html, gsize length)
{
	html_walk w = { 0 };
	htmlDocPtr doc;
	char *text;

	if (html == NULL || length == 0 || length > G_MAXINT)
		return g_strdup("");
	/* libxml2 passes broken bytes through, and the walk steps by UTF-8 characters. */
	if (!g_utf8_validate(html, (gssize)length, NULL)) {
		g_autofree char *valid = g_utf8_make_valid(html, (gssize)length);

		return html_to_text(valid, strlen(valid));
	}
	/* The body was converted to UTF-8 already: a <meta charset> must not undo that. */
	doc = htmlReadMemory(html, (int)length, NULL, "UTF-8",
	    HTML_PARSE_RECOVER | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING |
	    HTML_PARSE_NONET | HTML_PARSE_IGNORE_ENC);
	if (doc == NULL)
		return g_strdup("");
	w.out = g_string_new(NULL);
	walk_children(&w, (xmlNode *)doc, 0);
	xmlFreeDoc(doc);
	text = tidy_lines(w.out->str);
	g_string_free(w.out, TRUE);
	/* Character references can name what UTF-8 cannot carry; never hand that out. */
	if (!g_utf8_validate(text, -1, NULL)) {
		char *valid = g_utf8_make_valid(text, -1);

		g_free(text);
		text = valid;
	}
	return text;
}
