/*
 * test-html - html_to_text on the HTML that mailers send: paragraphs, line breaks,
 * lists, tables, entities, scripts and styles, broken markup and a lying <meta charset>;
 * each case again past the parser's bounds (the plain extraction must read the same);
 * and HTML built to make libxml2's parser quadratic, which must take well under a second.
 */
#include <string.h>

#include "html.h"

typedef struct {
	const char *name;
	const char *input;
	const char *expected;       /* NULL: only valid UTF-8 is required */
	const char *stripped;       /* what the plain extraction reads, when not expected */
} html_case;

static const html_case cases[] = {
	{ "paragraphs", "<p>Hola</p><p>Adiós</p>", "Hola\n\nAdiós" },
	{ "line breaks", "uno<br>dos<br/>tres", "uno\ndos\ntres" },
	{ "list items", "<ul><li>uno</li><li>dos</li></ul>", "- uno\n- dos" },
	{ "entities", "caf&eacute; &amp; t&#233; &lt;ok&gt; &euro;5&nbsp;x", "café & té <ok> €5 x" },
	{ "script, style and head dropped",
	  "<html><head><title>T</title><style>b{}</style></head><body>"
	  "<script>var x = 1;</script>texto</body></html>", "texto" },
	{ "whitespace collapsed", "  a \n\n  b\t c  ", "a b c" },
	{ "divs as lines", "<div>uno</div><div>dos</div><div><br></div><div>tres</div>",
	  "uno\ndos\n\ntres" },
	{ "table rows and cells", "<table><tr><td>a</td><td>b</td></tr><tr><td>c</td></tr></table>",
	  "a b\nc" },
	{ "headings and blockquote", "<h1>Título</h1><blockquote>cita</blockquote>fin",
	  "Título\n\ncita\n\nfin" },
	{ "broken markup", "<p>abierto<div>sin cerrar<b>negrita", "abierto\n\nsin cerrarnegrita",
	  "abierto\nsin cerrarnegrita" },  /* no parser to close the <p> before the <div> */
	{ "meta charset ignored",
	  "<html><head><meta charset=\"iso-8859-1\"></head><body>Mañana</body></html>",
	  "Mañana" },
	{ "pre keeps spacing", "<pre>a  b\n  c</pre>", "a  b\n  c" },
	{ "invalid UTF-8 and odd references", "caf\xe9 \xff&#0;&#xD800;<p>x", NULL },
	{ "empty", "", "" },
	{ "comment dropped", "a<!-- secreto -->b", "ab" },
};

static void
test_case(gconstpointer data)
{
	const html_case *c = data;
	g_autofree char *got = html_to_text(c->input, strlen(c->input));

	g_assert_true(g_utf8_validate(got, -1, NULL));
	if (c->expected != NULL)
		g_assert_cmpstr(got, ==, c->expected);
}

/* over_bounds - an empty element with more attributes than the parser is given. */
static GString *
over_bounds(void)
{
	GString *html = g_string_new("<i");

	for (int i = 0; i < 1000; i++)
		g_string_append_printf(html, " a%d", i);
	return g_string_append(html, "></i>");
}

/* test_case_stripped - the same case past the bounds: the plain extraction reads alike. */
static void
test_case_stripped(gconstpointer data)
{
	const html_case *c = data;
	g_autoptr(GString) html = g_string_append(over_bounds(), c->input);
	g_autofree char *got = html_to_text(html->str, html->len);

	g_assert_true(g_utf8_validate(got, -1, NULL));
	if (c->expected != NULL)
		g_assert_cmpstr(got, ==, c->stripped != NULL ? c->stripped : c->expected);
}

typedef struct {
	const char *name;
	const char *open;           /* repeated ... */
	int times;
	const char *close;          /* ... then this once */
	const char *expected;       /* in the text */
} hostile_case;

static const hostile_case hostile[] = {
	{ "200000 attributes on one element", " a=\"1\"", 200000, "><p>Hola &amp; adi&oacute;s</p>", "Hola & adiós" },
	{ "100000 elements", "<b>x</b>", 100000, "<p>fin &euro;</p>", "fin €" },
	{ "nested 20000 deep", "<div>", 20000, "<p>fondo</p>", "fondo" },
	{ "3 MB of text", "texto ", 500000, "<p>fin</p>", "fin" },
};

/* test_hostile - built to be slow in the parser: fast, and its text is still read. */
static void
test_hostile(gconstpointer data)
{
	const hostile_case *c = data;
	g_autoptr(GString) html = g_string_new("<html><body><p");
	g_autofree char *got = NULL;
	gint64 start;

	if (*c->open == '<')
		g_string_append(html, ">");
	for (int i = 0; i < c->times; i++)
		g_string_append(html, c->open);
	g_string_append(html, c->close);
	start = g_get_monotonic_time();
	got = html_to_text(html->str, html->len);
	g_assert_cmpint(g_get_monotonic_time() - start, <, G_USEC_PER_SEC / 2);
	g_assert_nonnull(strstr(got, c->expected));
}

int
main(int argc, char **argv)
{
	gsize i;

	g_test_init(&argc, &argv, NULL);
	for (i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree char *path = g_strdup_printf("/html/%zu", i);

		g_autofree char *stripped = g_strdup_printf("/html/stripped/%zu", i);

		g_test_add_data_func(path, &cases[i], test_case);
		g_test_add_data_func(stripped, &cases[i], test_case_stripped);
	}
	for (i = 0; i < G_N_ELEMENTS(hostile); i++) {
		g_autofree char *path = g_strdup_printf("/html/hostile/%s", hostile[i].name);

		g_test_add_data_func(path, &hostile[i], test_hostile);
	}
	return g_test_run();
}
