/*
 * test-html - html_to_text on the HTML that mailers send: paragraphs, line breaks,
 * lists, tables, entities, scripts and styles, broken markup and a lying <meta charset>.
 */
#include <string.h>

#include "html.h"

typedef struct {
	const char *name;
	const char *input;
	const char *expected;       /* NULL: only valid UTF-8 is required */
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
	{ "broken markup", "<p>abierto<div>sin cerrar<b>negrita", "abierto\n\nsin cerrarnegrita" },
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

int
main(int argc, char **argv)
{
	gsize i;

	g_test_init(&argc, &argv, NULL);
	for (i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree char *path = g_strdup_printf("/html/%zu", i);

		g_test_add_data_func(path, &cases[i], test_case);
	}
	return g_test_run();
}
