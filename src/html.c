/*
 * html - the readable text of an HTML mail body. libxml2's HTML parser builds the tree
 * (it copes with the broken markup mailers produce and decodes entities); we walk it,
 * dropping scripts, styles and the head, and turn block elements into line breaks.
 * libxml2 2.9's HTML parser is quadratic in the attributes of one element (200,000 of
 * them took 69 s), so a cheap pre-scan bounds what reaches it; past a bound the text is
 * taken by the same scanner instead: tags stripped, entities decoded.
 */
#include <string.h>

#include <libxml/HTMLparser.h>
#include <libxml/tree.h>

#include "html.h"

/* Deeper trees are cut: the text past this depth is not worth a stack overflow. */
#define HTML_DEPTH_MAX 256

/*
 * What the HTML parser is given at most; the largest real mail bodies stay well below
 * (a newsletter is some hundred KB, a few thousand elements, a dozen attributes each).
 */
#define HTML_PARSE_BYTES_MAX (2u * 1024 * 1024)
#define HTML_PARSE_ATTRIBUTES_MAX 128           /* on one element */
#define HTML_PARSE_ELEMENTS_MAX 50000
#define HTML_PARSE_NESTING_MAX 1000             /* elements open at once, as written */

typedef struct {
	GString *out;
	int pre;                    /* inside <pre>: whitespace kept */
} html_walk;

/* name_is - case-insensitive match of an element name against a list. */
static gboolean
name_is(const char *name, const char *const *names)
{
	for (; *names != NULL; names++)
		if (g_ascii_strcasecmp(name, *names) == 0)
			return TRUE;
	return FALSE;
}

static gboolean
element_is(const xmlNode *node, const char *const *names)
{
	return name_is((const char *)node->name, names);
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
/* Elements whose content is not markup, only ended by their end tag; dropped. */
static const char *const raw_text[] = { "script", "style", "title", NULL };
/* Elements that never have an end tag (HTML Living Standard, "void elements"). */
static const char *const voids[] = {
	"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr", NULL,
};

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

/* A tag as the pre-scan reads it: enough to count and to strip, not to build a tree. */
typedef struct {
	char name[16];              /* lower case, cut; "" for comments and declarations */
	gboolean closing;           /* </name> */
	gboolean self_closing;      /* <name/> */
	gsize attributes;
	const char *end;            /* just past the '>', or the end of the input */
} html_tag;

/* skip_past - just after the first needle at or after p, or end. */
static const char *
skip_past(const char *p, const char *end, const char *needle)
{
	gsize n = strlen(needle);

	for (; p + n <= end; p++)
		if (g_ascii_strncasecmp(p, needle, n) == 0)
			return p + n;
	return end;
}

/* tag_attributes - count the attributes from p to the tag's '>'; returns the '>' or end. */
static const char *
tag_attributes(const char *p, const char *end, html_tag *tag)
{
	while (p < end) {
		while (p < end && g_ascii_isspace(*p))
			p++;
		if (p == end || *p == '>')
			return p;
		if (*p == '/') {
			tag->self_closing = p + 1 < end && p[1] == '>';
			p++;
			continue;
		}
		tag->attributes++;
		while (p < end && !g_ascii_isspace(*p) && *p != '=' && *p != '>' && *p != '/')
			p++;
		while (p < end && g_ascii_isspace(*p))
			p++;
		if (p == end || *p != '=')
			continue;
		for (p++; p < end && g_ascii_isspace(*p); p++)
			;
		if (p < end && (*p == '"' || *p == '\'')) {
			const char *close = memchr(p + 1, *p, (gsize)(end - p - 1));

			p = close != NULL ? close + 1 : end;
		} else {
			while (p < end && !g_ascii_isspace(*p) && *p != '>')
				p++;
		}
	}
	return p;
}

/* tag_read - the tag at p (a '<'); FALSE when the '<' starts no tag and is text. */
static gboolean
tag_read(const char *p, const char *end, html_tag *tag)
{
	gsize n = 0;

	memset(tag, 0, sizeof *tag);
	if (end - p >= 4 && memcmp(p, "<!--", 4) == 0) {
		tag->end = skip_past(p + 4, end, "-->");
		return TRUE;
	}
	if (end - p >= 2 && (p[1] == '!' || p[1] == '?')) {
		tag->end = skip_past(p + 2, end, ">");
		return TRUE;
	}
	p++;
	if (p < end && *p == '/') {
		tag->closing = TRUE;
		p++;
	}
	if (p == end || !g_ascii_isalpha(*p))
		return FALSE;
	for (; p < end && (g_ascii_isalnum(*p) || *p == '-' || *p == ':'); p++)
		if (n + 1 < sizeof tag->name)
			tag->name[n++] = g_ascii_tolower(*p);
	p = tag_attributes(p, end, tag);
	tag->end = p < end ? p + 1 : end;
	return TRUE;
}

/* raw_text_end - past the </script> or </style> that ends such an element's content. */
static const char *
raw_text_end(const html_tag *tag, const char *end)
{
	g_autofree char *close = g_strconcat("</", tag->name, NULL);

	return skip_past(skip_past(tag->end, end, close), end, ">");
}

/*
 * html_over_bounds - which bound of the parser the HTML goes past, or NULL: one linear
 * pass counting tags, attributes and the elements left open.
 */
static const char *
html_over_bounds(const char *html, gsize length)
{
	const char *p = html, *end = html + length;
	gsize elements = 0, open = 0;
	html_tag tag;

	if (length > HTML_PARSE_BYTES_MAX)
		return "size";
	while ((p = memchr(p, '<', (gsize)(end - p))) != NULL) {
		if (!tag_read(p, end, &tag)) {
			p++;
			continue;
		}
		p = tag.end;
		if (tag.name[0] == '\0')
			continue;
		if (tag.attributes > HTML_PARSE_ATTRIBUTES_MAX)
			return "attributes on one element";
		if (tag.closing)
			open -= open > 0;
		else if (++elements > HTML_PARSE_ELEMENTS_MAX)
			return "elements";
		else if (!tag.self_closing && !name_is(tag.name, voids) && ++open > HTML_PARSE_NESTING_MAX)
			return "nesting";
	}
	return NULL;
}

/* append_entity - the character reference at p ('&') decoded into w; returns past it. */
static const char *
append_entity(html_walk *w, const char *p, const char *end)
{
	const char *semi = memchr(p, ';', (gsize)MIN(end - p, 33));
	g_autofree char *name = semi != NULL ? g_strndup(p + 1, (gsize)(semi - p - 1)) : NULL;
	gunichar u = 0;
	char utf8[8];

	if (name != NULL && name[0] == '#') {
		gboolean hex = name[1] == 'x' || name[1] == 'X';
		char *stop;
		guint64 n = g_ascii_strtoull(name + 1 + hex, &stop, hex ? 16 : 10);

		u = *stop == '\0' && stop != name + 1 + hex ? (n <= 0x10ffff && g_unichar_validate((gunichar)n) &&
		    n != 0 ? (gunichar)n : 0xfffd) : 0;
	} else if (name != NULL) {
		const htmlEntityDesc *entity = htmlEntityLookup((const xmlChar *)name);

		u = entity != NULL ? entity->value : 0;
	}
	if (u == 0) {
		append_text(w, "&");
		return p + 1;
	}
	utf8[g_unichar_to_utf8(u, utf8)] = '\0';
	append_text(w, utf8);
	return semi + 1;
}

/* append_text_run - the text between two tags, references decoded, blanks collapsed. */
static void
append_text_run(html_walk *w, const char *p, const char *end)
{
	while (p < end) {
		const char *amp = memchr(p, '&', (gsize)(end - p));
		g_autofree char *plain = g_strndup(p, (gsize)((amp != NULL ? amp : end) - p));

		append_text(w, plain);
		p = amp != NULL ? append_entity(w, amp, end) : end;
	}
}

/* strip_tag - the line breaks a tag stands for in the plain extraction. */
static void
strip_tag(html_walk *w, const html_tag *tag)
{
	if (name_is(tag->name, (const char *const[]){ "br", NULL }))
		g_string_append_c(w->out, '\n');
	else if (name_is(tag->name, paragraphs))
		paragraph_break(w->out);
	else if (name_is(tag->name, blocks))
		line_break(w->out);
	else if (name_is(tag->name, cells))
		append_text(w, " ");
	if (!tag->closing && name_is(tag->name, (const char *const[]){ "li", NULL }))
		g_string_append(w->out, "- ");
	if (name_is(tag->name, (const char *const[]){ "pre", NULL }))
		w->pre = tag->closing ? MAX(w->pre - 1, 0) : w->pre + 1;
}

/*
 * html_strip - the text of HTML the parser must not see: tags dropped (with the breaks
 * they imply), script and style content dropped, character references decoded.
 */
static void
html_strip(html_walk *w, const char *html, gsize length)
{
	const char *p = html, *end = html + length;
	html_tag tag;

	while (p < end) {
		const char *lt = memchr(p, '<', (gsize)(end - p));

		append_text_run(w, p, lt != NULL ? lt : end);
		if (lt == NULL)
			break;
		if (!tag_read(lt, end, &tag)) {
			append_text(w, "<");
			p = lt + 1;
			continue;
		}
		strip_tag(w, &tag);
		p = !tag.closing && name_is(tag.name, raw_text) && !tag.self_closing ? raw_text_end(&tag, end) : tag.end;
	}
}

/* html_parse - the tree libxml2 builds, walked into w. */
static void
html_parse(html_walk *w, const char *html, gsize length)
{
	/* The body was converted to UTF-8 already: a <meta charset> must not undo that. */
	htmlDocPtr doc = htmlReadMemory(html, (int)length, NULL, "UTF-8",
	    HTML_PARSE_RECOVER | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING |
	    HTML_PARSE_NONET | HTML_PARSE_IGNORE_ENC);

	if (doc == NULL)
		return;
	walk_children(w, (xmlNode *)doc, 0);
	xmlFreeDoc(doc);
}

char *
html_to_text(const char *html, gsize length)
{
	html_walk w = { 0 };
	char *text;

	if (html == NULL || length == 0 || length > G_MAXINT)
		return g_strdup("");
	/* libxml2 passes broken bytes through, and the walk steps by UTF-8 characters. */
	if (!g_utf8_validate(html, (gssize)length, NULL)) {
		g_autofree char *valid = g_utf8_make_valid(html, (gssize)length);

		return html_to_text(valid, strlen(valid));
	}
	w.out = g_string_new(NULL);
	if (html_over_bounds(html, length) != NULL)
		html_strip(&w, html, length);
	else
		html_parse(&w, html, length);
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
