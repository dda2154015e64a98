/*
 * test-kb - the help centre's words and articles: the terms Spanish and English words
 * are indexed as (stemmed, accents folded after stemming, -cion endings restored), the
 * FTS5 tokenizer on a real SQLite connection, the article header parser (every sample
 * article, and the mistakes it must refuse), and the one-line excerpt.
 */
#include <sqlite3.h>
#include <string.h>

#include "kb.h"

/* Words that must meet: each pair gives the same term. */
typedef struct {
	const char *language;
	const char *a;
	const char *b;
} same_case;

static const same_case same_cases[] = {
	{ "es", "configuración", "configuracion" },
	{ "es", "configuración", "configurar" },
	{ "es", "configuracion", "Configura" },
	{ "es", "contraseña", "contrasena" },
	{ "es", "contraseñas", "CONTRASEÑA" },
	{ "es", "renovación", "renovacion" },
	{ "es", "renovación", "renovar" },
	{ "es", "suspensión", "suspension" },
	{ "es", "envía", "envia" },
	{ "es", "envío", "enviar" },
	{ "es", "móvil", "movil" },
	{ "es", "factura", "facturas" },
	{ "es", "facturación", "facturacion" },
	{ "es", "instalación", "instalacion" },
	{ "es", "instalación", "instalar" },
	{ "es", "cancelación", "cancelar" },
	{ "es", "boletín", "boletin" },
	{ "es", "automática", "automatica" },
	{ "es", "caducado", "caduca" },
	{ "es", "dominio", "dominios" },
	{ "en", "renewal", "renew" },
	{ "en", "sending", "send" },
	{ "en", "invoices", "invoice" },
};

/* Words and the term they index as; NULL for stop words and what is not a word. */
typedef struct {
	const char *language;
	const char *word;
	const char *term;
} term_case;

static const term_case term_cases[] = {
	{ "es", "configuración", "configur" },
	{ "es", "contraseña", "contrasen" },
	{ "es", "correo", "corre" },
	{ "es", "iPhone", "iphon" },
	{ "es", "550", "550" },
	{ "es", "que", NULL },
	{ "es", "qué", NULL },
	{ "es", "Hola", NULL },
	{ "es", "gracias", NULL },
	{ "es", "x", NULL },
	{ "es", "...", NULL },
	{ "en", "the", NULL },
	{ "en", "passwords", "password" },
	{ "fr", "correos", "corre" },          /* an unknown language is Spanish */
	{ "es", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", NULL },   /* over KB_WORD_MAX */
};

static void
test_same(gconstpointer data)
{
	const same_case *c = data;
	g_autofree char *a = kb_term(c->language, c->a);
	g_autofree char *b = kb_term(c->language, c->b);

	g_assert_nonnull(a);
	g_assert_cmpstr(a, ==, b);
}

static void
test_term(gconstpointer data)
{
	const term_case *c = data;
	g_autofree char *term = kb_term(c->language, c->word);

	g_assert_cmpstr(term, ==, c->term);
}

/* Collects the words of kb_words() as "word=term" strings. */
static gboolean
collect(const kb_word *word, gpointer data)
{
	g_ptr_array_add(data, g_strdup_printf("%.*s=%s@%d-%d", word->length, word->word,
	                                       word->term, word->start, word->end));
	return TRUE;
}

static void
test_words(void)
{
	const char text[] = "¿No envía el móvil? wp-admin\xff" "correo";
	g_autoptr(GPtrArray) words = g_ptr_array_new_with_free_func(g_free);

	kb_words("es", text, strlen(text), collect, words);
	g_assert_cmpuint(words->len, ==, 5);
	g_assert_cmpstr(words->pdata[0], ==, "envía=envi@5-11");
	g_assert_cmpstr(words->pdata[1], ==, "móvil=movil@15-21");
	g_assert_cmpstr(words->pdata[2], ==, "wp=wp@23-25");
	/* the invalid byte ends "admin" and is skipped; "correo" follows it */
	g_assert_cmpstr(words->pdata[3], ==, "admin=admin@26-31");
	g_assert_cmpstr(words->pdata[4], ==, "correo=corre@32-38");
}

static void
test_fold(void)
{
	g_autofree char *a = kb_fold("Ñandú ÜBER Configuración", -1);

	g_assert_cmpstr(a, ==, "nandu uber configuracion");
}

/* match_count - rows of t matching query. */
static int
match_count(sqlite3 *db, const char *query)
{
	sqlite3_stmt *stmt;
	int n = 0;

	g_assert_cmpint(sqlite3_prepare_v2(db, "SELECT count(*) FROM t WHERE t MATCH ?1", -1,
	                                   &stmt, NULL), ==, SQLITE_OK);
	sqlite3_bind_text(stmt, 1, query, -1, SQLITE_STATIC);
	g_assert_cmpint(sqlite3_step(stmt), ==, SQLITE_ROW);
	n = sqlite3_column_int(stmt, 0);
	sqlite3_finalize(stmt);
	return n;
}

static void
test_tokenizer(void)
{
	g_autoptr(GError) error = NULL;
	sqlite3 *db;

	g_assert_cmpint(sqlite3_open(":memory:", &db), ==, SQLITE_OK);
	g_assert_true(kb_tokenizer_register(db, &error));
	g_assert_no_error(error);
	g_assert_cmpint(sqlite3_exec(db,
	    "CREATE VIRTUAL TABLE t USING fts5(title, body, tokenize='" KB_TOKENIZER " es');"
	    "INSERT INTO t VALUES ('Configurar el correo en el móvil', 'La contraseña del buzón');"
	    "INSERT INTO t VALUES ('Renovación de dominios', 'Facturas y pagos');",
	    NULL, NULL, NULL), ==, SQLITE_OK);
	g_assert_cmpint(match_count(db, "configuracion"), ==, 1);
	g_assert_cmpint(match_count(db, "configuración"), ==, 1);
	g_assert_cmpint(match_count(db, "contrasena"), ==, 1);
	g_assert_cmpint(match_count(db, "movil AND correos"), ==, 1);
	g_assert_cmpint(match_count(db, "renovar OR factura"), ==, 1);
	g_assert_cmpint(match_count(db, "title:buzon"), ==, 0);
	/* a table asking for a language the tokenizer does not know is refused */
	g_assert_cmpint(sqlite3_exec(db, "CREATE VIRTUAL TABLE u USING fts5(x, tokenize='"
	                             KB_TOKENIZER " fr')", NULL, NULL, NULL), !=, SQLITE_OK);
	sqlite3_close(db);
}

/* Article files that must be refused, and a word of the reason. */
typedef struct {
	const char *name;
	const char *text;
	const char *reason;
} bad_case;

static const bad_case bad_cases[] = {
	{ "no header", "# Title\n\nbody\n", "starts with" },
	{ "header never ends", "---\ntitle: x\nlanguage: es\n", "does not end" },
	{ "unknown key", "---\ntitel: x\n---\nbody\n", "title, language" },
	{ "no colon", "---\ntitle x\n---\nbody\n", "key: value" },
	{ "key twice", "---\ntitle: a\ntitle: b\n---\nbody\n", "once" },
	{ "no title", "---\nlanguage: es\ndepartments: soporte\n---\nbody\n", "no title" },
	{ "empty title", "---\ntitle:\n---\nbody\n", "title of" },
	{ "language unknown", "---\ntitle: a\nlanguage: fr\n---\nbody\n", "es or en" },
	{ "no departments", "---\ntitle: a\nlanguage: es\n---\nbody\n", "departments" },
	{ "department not a slug", "---\ntitle: a\nlanguage: es\ndepartments: So porte\n---\nb\n",
	  "slugs" },
	{ "url not http", "---\ntitle: a\nurl: ftp://x\n---\nbody\n", "https://" },
	{ "no body", "---\ntitle: a\nlanguage: es\ndepartments: soporte\n---\n\n", "no body" },
	{ "not UTF-8", "---\ntitle: \xe1\n---\nbody\n", "UTF-8" },
};

static void
test_bad(gconstpointer data)
{
	const bad_case *c = data;
	g_autoptr(GError) error = NULL;
	g_autoptr(kb_article) article = kb_article_parse("x", c->text, strlen(c->text), &error);

	g_assert_null(article);
	g_assert_error(error, KB_ERROR, KB_ERROR_PARSE);
	if (strstr(error->message, c->reason) == NULL)
		g_error("%s: \"%s\" does not say \"%s\"", c->name, error->message, c->reason);
}

static void
test_parse(void)
{
	const char text[] = "---\r\ntitle: Correo en el móvil\r\nlanguage: es\r\n"
	                    "Departments: Soporte, ventas\r\ntags: correo, , iPhone\r\n"
	                    "url: https://ayuda.example.com/x\r\n---\r\n\r\n# Correo\r\n\r\nTexto.\r\n";
	g_autoptr(GError) error = NULL;
	g_autoptr(kb_article) a = kb_article_parse("correo-movil", text, strlen(text), &error);

	g_assert_no_error(error);
	g_assert_cmpstr(a->id, ==, "correo-movil");
	g_assert_cmpstr(a->title, ==, "Correo en el móvil");
	g_assert_cmpstr(a->language, ==, "es");
	g_assert_cmpuint(g_strv_length(a->departments), ==, 2);
	g_assert_cmpstr(a->departments[0], ==, "soporte");
	g_assert_cmpuint(g_strv_length(a->tags), ==, 2);
	g_assert_cmpstr(a->tags[1], ==, "iPhone");
	g_assert_cmpstr(a->url, ==, "https://ayuda.example.com/x");
	g_assert_cmpstr(a->body, ==, "# Correo\n\nTexto.");
	g_assert_null(kb_article_parse("Bad Name", text, strlen(text), NULL));
}

/* Every sample article parses, and there are enough of them for a help centre. */
static void
test_fixtures(void)
{
	const char *top = g_getenv("TICKETD_TOP") ? g_getenv("TICKETD_TOP") : ".";
	g_autofree char *dir_path = g_build_filename(top, "maildir-fixtures", "kb", NULL);
	g_autoptr(GDir) dir = g_dir_open(dir_path, 0, NULL);
	const char *name;
	int count = 0;

	g_assert_nonnull(dir);
	while ((name = g_dir_read_name(dir)) != NULL) {
		g_autofree char *path = g_build_filename(dir_path, name, NULL);
		g_autoptr(GError) error = NULL;
		g_autoptr(kb_article) a = kb_article_load(path, &error);
		g_assert_no_error(error);
		g_assert_cmpuint(strlen(a->url), >, 0);
		count++;
	}
	g_assert_cmpint(count, >=, 40);
}

static void
test_excerpt(void)
{
	g_autofree char *a = kb_article_excerpt("# Título\n\nEste **artículo** explica cómo "
	                                        "usar `IMAP` en el [móvil](https://x).\nOtra "
	                                        "frase. Y otra.\n\n1. Paso", 200);
	g_autofree char *b = kb_article_excerpt("Una frase muy larga sin punto que no cabe", 20);
	g_autofree char *c = kb_article_excerpt("Ñññññññññññññññññññ", 9);

	g_assert_cmpstr(a, ==, "Este artículo explica cómo usar IMAP en el móvil.");
	g_assert_cmpstr(b, ==, "Una frase muy…");
	g_assert_true(g_utf8_validate(c, -1, NULL));
	g_assert_cmpuint(strlen(c), <=, 9 + 3);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	for (gsize i = 0; i < G_N_ELEMENTS(same_cases); i++) {
		g_autofree char *path = g_strdup_printf("/kb/same/%zu", i);
		g_test_add_data_func(path, &same_cases[i], test_same);
	}
	for (gsize i = 0; i < G_N_ELEMENTS(term_cases); i++) {
		g_autofree char *path = g_strdup_printf("/kb/term/%zu", i);
		g_test_add_data_func(path, &term_cases[i], test_term);
	}
	for (gsize i = 0; i < G_N_ELEMENTS(bad_cases); i++) {
		g_autofree char *path = g_strdup_printf("/kb/article/bad/%s", bad_cases[i].name);
		g_test_add_data_func(path, &bad_cases[i], test_bad);
	}
	g_test_add_func("/kb/words", test_words);
	g_test_add_func("/kb/fold", test_fold);
	g_test_add_func("/kb/tokenizer", test_tokenizer);
	g_test_add_func("/kb/article/parse", test_parse);
	g_test_add_func("/kb/article/fixtures", test_fixtures);
	g_test_add_func("/kb/article/excerpt", test_excerpt);
	return g_test_run();
}
