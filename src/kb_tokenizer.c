/*
 * kb_tokenizer - the words help-centre articles and customer mail are matched by, and
 * the FTS5 tokenizer that indexes them. A word is lower-cased, dropped when it is a stop
 * word, stemmed with the Snowball stemmer of its language (libstemmer), and only then
 * folded to no accents: the Spanish stemmer needs "configuración" accented to find its
 * suffix, while customers write "configuracion".
 */
#include <libstemmer.h>
#include <sqlite3.h>
#include <string.h>

#include "kb.h"

G_DEFINE_QUARK(ticketd-kb-error-quark, kb_error)

/* Spanish stop words, unaccented: function words, the verbs every question uses, and the
 * greetings and courtesies of a mail, which say nothing about what is asked. */
static const char *const stop_es[] = {
	"a", "al", "algo", "alguien", "algun", "alguna", "algunas", "alguno", "algunos",
	"ante", "antes", "aqui", "asi", "aun", "aunque", "bastante", "cada", "casi", "como",
	"con", "contra", "cual", "cuales", "cualquier", "cuando", "cuanto", "de", "del",
	"desde", "despues", "donde", "durante", "e", "el", "ella", "ellas", "ello", "ellos",
	"en", "entonces", "entre", "era", "eramos", "eran", "eres", "es", "esa", "esas", "ese",
	"eso", "esos", "esta", "estaba", "estado", "estamos", "estan", "estar", "estas",
	"este", "esto", "estos", "estoy", "fue", "fueron", "ha", "habeis", "haber", "habia",
	"han", "has", "hasta", "hay", "haya", "he", "hemos", "la", "las", "le", "les", "lo",
	"los", "mas", "me", "mi", "mia", "mio", "mis", "mucho", "muchos", "muy", "nada",
	"ni", "no", "nos", "nosotros", "nuestra", "nuestras", "nuestro", "nuestros", "o",
	"os", "otra", "otras", "otro", "otros", "para", "pero", "poco", "por", "porque",
	"pues", "que", "quien", "quienes", "se", "sea", "sean", "segun", "ser", "si", "sido",
	"siempre", "sin", "sino", "sobre", "sois", "solo", "somos", "son", "soy", "su",
	"sus", "suya", "suyo", "tal", "tambien", "tan", "tanto", "te", "ti", "tu", "tus",
	"un", "una", "unas", "uno", "unos", "usted", "ustedes", "vosotras", "vosotros",
	"vuestra", "vuestro", "y", "ya", "yo",
	/* the verbs of asking */
	"puedo", "puede", "puedes", "podeis", "podemos", "pueden", "poder", "podria",
	"podrian", "podriais", "quiero", "quiere", "quieres", "queremos", "quereis",
	"quieren", "querria", "necesito", "necesita", "necesitamos", "necesitan",
	"tengo", "tiene", "tienes", "tenemos", "teneis", "tienen", "tener", "hago", "hace",
	"hacer", "hacemos", "haceis", "hacen", "deberia", "seria", "sabeis", "saber",
	/* the courtesies of a mail */
	"hola", "buenas", "buenos", "buen", "dia", "dias", "tarde", "tardes", "noches",
	"gracias", "saludo", "saludos", "favor", "cordial", "cordiales", "cordialmente",
	"atentamente", "estimado", "estimada", "estimados", "urgente", "ayuda",
	"ayudar", "ayudarme", "ayudais", "please",
};

/* English stop words. */
static const char *const stop_en[] = {
	"a", "about", "after", "again", "all", "am", "an", "and", "any", "are", "as", "at",
	"be", "been", "before", "being", "both", "but", "by", "can", "cannot", "cant",
	"could", "did", "do", "does", "doing", "dont", "for", "from", "had", "has", "have",
	"having", "he", "her", "here", "hers", "him", "his", "how", "i", "if", "im", "in",
	"into", "is", "it", "its", "ive", "just", "me", "more", "most", "my", "myself", "no",
	"nor", "not", "now", "of", "off", "on", "once", "only", "or", "other", "our", "ours",
	"out", "over", "own", "same", "she", "should", "so", "some", "such", "than", "that",
	"the", "their", "them", "then", "there", "these", "they", "this", "those", "through",
	"to", "too", "under", "until", "up", "us", "very", "was", "we", "were", "what",
	"when", "where", "which", "while", "who", "whom", "why", "will", "with", "would",
	"you", "your", "yours",
	/* asking and courtesies */
	"need", "want", "help", "please", "thanks", "thank", "hi", "hello", "dear",
	"regards", "best", "kind", "urgent", "get", "got",
};

/* The languages indexed, with their Snowball algorithm and stop words. */
static const struct {
	const char *language;
	const char *algorithm;
	const char *const *stop;
	gsize stop_count;
} languages[] = {
	{ "es", "spanish", stop_es, G_N_ELEMENTS(stop_es) },
	{ "en", "english", stop_en, G_N_ELEMENTS(stop_en) },
};

/* What a tokenizer instance or one kb_words() call holds. */
typedef struct {
	const char *language;
	struct sb_stemmer *stemmer;
	GHashTable *stop;           /* owned by stop_set(), shared */
	GString *scratch;
} analyzer;

gboolean
kb_language_known(const char *language)
{
	for (gsize i = 0; language != NULL && i < G_N_ELEMENTS(languages); i++)
		if (strcmp(languages[i].language, language) == 0)
			return TRUE;
	return FALSE;
}

/* stop_set - the stop words of languages[index] as a set, built once for the process. */
static GHashTable *
stop_set(gsize index)
{
	static GHashTable *sets[G_N_ELEMENTS(languages)];
	static gsize done;

	if (g_once_init_enter(&done)) {
		for (gsize i = 0; i < G_N_ELEMENTS(languages); i++) {
			sets[i] = g_hash_table_new(g_str_hash, g_str_equal);
			for (gsize w = 0; w < languages[i].stop_count; w++)
				g_hash_table_add(sets[i], (gpointer)languages[i].stop[w]);
		}
		g_once_init_leave(&done, 1);
	}
	return sets[index];
}

/* analyzer_init - for a known language; an unknown one is analysed as Spanish. */
static gboolean
analyzer_init(analyzer *a, const char *language)
{
	gsize index = 0;

	for (gsize i = 0; language != NULL && i < G_N_ELEMENTS(languages); i++)
		if (strcmp(languages[i].language, language) == 0)
			index = i;
	a->language = languages[index].language;
	a->stop = stop_set(index);
	a->stemmer = sb_stemmer_new(languages[index].algorithm, NULL);
	a->scratch = g_string_sized_new(64);
	return a->stemmer != NULL;
}

static void
analyzer_clear(analyzer *a)
{
	sb_stemmer_delete(a->stemmer);
	g_string_free(a->scratch, TRUE);
}

char *
kb_fold(const char *text, gssize length)
{
	g_autofree char *lower = g_utf8_strdown(text, length);
	g_autofree char *decomposed = g_utf8_normalize(lower, -1, G_NORMALIZE_NFD);
	GString *out = g_string_sized_new(strlen(lower));

	if (decomposed == NULL)     /* not UTF-8: keep it as it came */
		return g_string_free(g_string_append(out, lower), FALSE);
	for (const char *p = decomposed; *p != '\0'; p = g_utf8_next_char(p)) {
		gunichar c = g_utf8_get_char(p);
		/* Combining diacritical marks: the accent of "á", the tilde of "ñ". */
		if (c >= 0x0300 && c <= 0x036F)
			continue;
		g_string_append_unichar(out, c);
	}
	return g_string_free(out, FALSE);
}

/* restore_ending - "configuracion" → "configuración": Snowball only strips accented -ción. */
static void
restore_ending(GString *word)
{
	static const struct { const char *bare, *accented; } endings[] = {
		{ "cion", "ción" }, { "sion", "sión" },
	};

	for (gsize i = 0; i < G_N_ELEMENTS(endings); i++) {
		gsize n = strlen(endings[i].bare);
		if (word->len > n + 2 && strcmp(word->str + word->len - n, endings[i].bare) == 0) {
			g_string_truncate(word, word->len - n);
			g_string_append(word, endings[i].accented);
			return;
		}
	}
}

/*
 * analyzer_term - the term of one word into a->scratch; FALSE for a stop word. The
 * endings are restored only to a word written without any accent, the way a customer
 * types on a phone or a keyboard without Spanish layout.
 */
static gboolean
analyzer_term(analyzer *a, const char *word, int length)
{
	g_autofree char *lower = g_utf8_strdown(word, length);
	g_autofree char *folded = kb_fold(lower, -1);
	const sb_symbol *stem;

	if (g_hash_table_contains(a->stop, folded))
		return FALSE;
	g_string_assign(a->scratch, lower);
	if (strcmp(a->language, "es") == 0 && strcmp(lower, folded) == 0)
		restore_ending(a->scratch);
	stem = sb_stemmer_stem(a->stemmer, (const sb_symbol *)a->scratch->str,
	                       (int)a->scratch->len);
	if (stem != NULL) {
		g_autofree char *stem_folded = kb_fold((const char *)stem,
		                                       sb_stemmer_length(a->stemmer));
		g_string_assign(a->scratch, stem_folded);
	} else {
		g_string_assign(a->scratch, folded);
	}
	return a->scratch->len > 0;
}

/* word_end - the end of the run of letters and digits at p; invalid UTF-8 ends it. */
static const char *
word_end(const char *p, const char *end)
{
	while (p < end) {
		gunichar c = g_utf8_get_char_validated(p, end - p);
		if (c == (gunichar)-1 || c == (gunichar)-2 || !g_unichar_isalnum(c))
			break;
		p = g_utf8_next_char(p);
	}
	return p;
}

/*
 * analyze - call fn for every indexed word of text. One-character words and words over
 * KB_WORD_MAX bytes are skipped: neither says what an article is about.
 */
static void
analyze(analyzer *a, const char *text, gsize length, kb_word_fn fn, gpointer data)
{
	const char *p = text, *end = text + length;

	while (p < end) {
		const char *stop = word_end(p, end);
		if (stop == p) {
			gunichar c = g_utf8_get_char_validated(p, end - p);
			p = (c == (gunichar)-1 || c == (gunichar)-2) ? p + 1 : g_utf8_next_char(p);
			continue;
		}
		int n = (int)(stop - p);
		if (g_utf8_strlen(p, n) > 1 && n <= KB_WORD_MAX && analyzer_term(a, p, n)) {
			kb_word w = { p, n, (int)(p - text), (int)(stop - text),
			              a->scratch->str, (int)a->scratch->len };
			if (!fn(&w, data))
				return;
		}
		p = stop;
	}
}

void
kb_words(const char *language, const char *text, gsize length, kb_word_fn fn, gpointer data)
{
	analyzer a;

	if (analyzer_init(&a, language))
		analyze(&a, text, length, fn, data);
	analyzer_clear(&a);
}

/* first_term - kb_term's callback: keep the first term and stop. */
static gboolean
first_term(const kb_word *word, gpointer data)
{
	*(char **)data = g_strndup(word->term, word->term_length);
	return FALSE;
}

char *
kb_term(const char *language, const char *word)
{
	char *term = NULL;

	kb_words(language, word, strlen(word), first_term, &term);
	return term;
}

/* The FTS5 side: one analyzer per tokenizer instance (one table on one connection). */

/* tokenizer_create - FTS5 xCreate; the one argument is the language ("es" by default). */
static int
tokenizer_create(void *context, const char **argv, int argc, Fts5Tokenizer **out)
{
	analyzer *a = g_new0(analyzer, 1);

	if (argc > 1 || (argc == 1 && !kb_language_known(argv[0])) ||
	    !analyzer_init(a, argc == 1 ? argv[0] : "es")) {
		if (a->scratch != NULL)
			analyzer_clear(a);
		g_free(a);
		return SQLITE_ERROR;
	}
	*out = (Fts5Tokenizer *)a;
	return SQLITE_OK;
}

static void
tokenizer_delete(Fts5Tokenizer *tokenizer)
{
	analyzer *a = (analyzer *)tokenizer;

	analyzer_clear(a);
	g_free(a);
}

/* What the FTS5 token callback needs, and the first error it returned. */
typedef struct {
	void *context;
	int (*token)(void *, int, const char *, int, int, int);
	int rc;
} token_sink;

static gboolean
emit_token(const kb_word *word, gpointer data)
{
	token_sink *sink = data;

	sink->rc = sink->token(sink->context, 0, word->term, word->term_length,
	                       word->start, word->end);
	return sink->rc == SQLITE_OK;
}

static int
tokenizer_tokenize(Fts5Tokenizer *tokenizer, void *context, int flags, const char *text,
                   int length, int (*token)(void *, int, const char *, int, int, int))
{
	token_sink sink = { context, token, SQLITE_OK };

	if (length > 0)
		analyze((analyzer *)tokenizer, text, (gsize)length, emit_token, &sink);
	return sink.rc;
}

/* fts5_api_of - the connection's fts5_api, as the SQLite FTS5 documentation obtains it. */
static fts5_api *
fts5_api_of(sqlite3 *db)
{
	fts5_api *api = NULL;
	sqlite3_stmt *stmt = NULL;

	if (sqlite3_prepare_v2(db, "SELECT fts5(?1)", -1, &stmt, NULL) != SQLITE_OK)
		return NULL;
	sqlite3_bind_pointer(stmt, 1, (void *)&api, "fts5_api_ptr", NULL);
	sqlite3_step(stmt);
	sqlite3_finalize(stmt);
	return api;
}

gboolean
kb_tokenizer_register(sqlite3 *db, GError **error)
{
	static fts5_tokenizer methods = { tokenizer_create, tokenizer_delete, tokenizer_tokenize };
	fts5_api *api = fts5_api_of(db);

	if (api == NULL || api->iVersion < 2) {
		g_set_error(error, KB_ERROR, KB_ERROR_FAILED,
		            "this SQLite has no FTS5: the help centre cannot be searched");
		return FALSE;
	}
	if (api->xCreateTokenizer(api, KB_TOKENIZER, NULL, &methods, NULL) != SQLITE_OK) {
		g_set_error(error, KB_ERROR, KB_ERROR_FAILED,
		            "registering the %s tokenizer: %s", KB_TOKENIZER, sqlite3_errmsg(db));
		return FALSE;
	}
	return TRUE;
}
