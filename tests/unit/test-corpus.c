/*
 * test-corpus - acceptance against other projects' real mail (read in place from
 * $TICKETD_CORPORA or /work/shared/corpora, skipped when absent): Zammad's parser
 * expectations for sender, subject, attachment names and plain bodies, and discourse's
 * email_reply_trimmer expectations for quote_strip. Rates below the floors fail.
 */
#include <string.h>

#include "mime.h"
#include "quote.h"

/* Floors at the rates reached; a drop below them is a regression. */
#define FLOOR_ZAMMAD_FROM_EMAIL 0.96
#define FLOOR_ZAMMAD_FROM_NAME 0.98
#define FLOOR_ZAMMAD_SUBJECT 0.98
#define FLOOR_ZAMMAD_ATTACHMENTS 0.95
#define FLOOR_ZAMMAD_PLAIN_BODY 0.93
#define FLOOR_ZAMMAD_ALL 0.88
#define FLOOR_REPLY_TRIMMER 0.96

typedef struct {
	const char *field;
	guint passed;
	guint total;
} corpus_score;

/* corpora_dir - where the corpora live, or NULL when they are not on this machine. */
static char *
corpora_dir(void)
{
	const char *dir = g_getenv("TICKETD_CORPORA");

	if (dir == NULL || *dir == '\0')
		dir = "/work/shared/corpora";
	return g_file_test(dir, G_FILE_TEST_IS_DIR) ? g_strdup(dir) : NULL;
}

/* score_report - print a pass rate and check it against its floor. */
static void
score_report(const char *corpus, const corpus_score *s, double floor)
{
	double rate = s->total ? (double)s->passed / s->total : 1.0;

	g_printerr("# corpus %s%s%s: %u/%u (%.1f%%)\n", corpus, s->field ? " " : "",
	    s->field ? s->field : "", s->passed, s->total, 100.0 * rate);
	if (rate < floor)
		g_test_fail_printf("corpus %s %s: %.3f below floor %.3f", corpus,
		    s->field ? s->field : "", rate, floor);
}

/* squash - whitespace runs as one space, ends trimmed: how subjects are compared. */
static char *
squash(const char *text)
{
	GString *out = g_string_new(NULL);
	const char *p;

	for (p = text; *p; p = g_utf8_next_char(p)) {
		if (g_unichar_isspace(g_utf8_get_char(p))) {
			if (out->len > 0 && out->str[out->len - 1] != ' ')
				g_string_append_c(out, ' ');
		} else {
			g_string_append_len(out, p, g_utf8_next_char(p) - p);
		}
	}
	return g_strstrip(g_string_free(out, FALSE));
}

/* yaml_double_quoted - the few escapes Ruby's YAML emitter writes in "..." strings. */
static char *
yaml_double_quoted(const char *s)
{
	GString *out = g_string_new(NULL);

	for (; *s && *s != '"'; s++) {
		if (*s != '\\' || s[1] == '\0') {
			g_string_append_c(out, *s);
			continue;
		}
		s++;
		switch (*s) {
		case 'n': g_string_append_c(out, '\n'); break;
		case 'r': g_string_append_c(out, '\r'); break;
		case 't': g_string_append_c(out, '\t'); break;
		case 'e': g_string_append_c(out, 0x1b); break;
		case '0': g_string_append_c(out, ' '); break;
		case 'x': case 'u': case 'U': {
			int digits = *s == 'x' ? 2 : *s == 'u' ? 4 : 8;
			g_autofree char *hex = g_strndup(s + 1, (gsize)digits);

			g_string_append_unichar(out, (gunichar)g_ascii_strtoull(hex, NULL, 16));
			s += strlen(hex);
			break;
		}
		default: g_string_append_c(out, *s); break;
		}
	}
	return g_string_free(out, FALSE);
}

/* yaml_single_quoted - a '...' string, where '' stands for one quote. */
static char *
yaml_single_quoted(const char *s)
{
	GString *out = g_string_new(NULL);

	for (; *s; s++) {
		if (*s == '\'' && s[1] == '\'')
			s++;
		else if (*s == '\'')
			break;
		g_string_append_c(out, *s);
	}
	return g_string_free(out, FALSE);
}

/* yaml_scalar - a one-line YAML scalar (plain, '...' or "..."), joined if continued. */
static char *
yaml_scalar(char **lines, int i, const char *value)
{
	g_autoptr(GString) joined = g_string_new(value);
	char quote = *value;
	int j;

	if (quote != '\'' && quote != '"')
		return g_strdup(g_strstrip(joined->str));
	/* A quoted scalar folded over several lines: rejoin with spaces. */
	for (j = i + 1; lines[j] != NULL && (joined->len < 2 ||
	    joined->str[joined->len - 1] != quote); j++) {
		g_string_append_c(joined, ' ');
		g_string_append(joined, g_strstrip(lines[j]));
	}
	return quote == '"' ? yaml_double_quoted(joined->str + 1) :
	    yaml_single_quoted(joined->str + 1);
}

typedef struct {
	char *from_email;
	char *from_display_name;
	char *subject;
	char *body;                 /* only when Zammad kept it as text/plain */
	gboolean plain;
	GPtrArray *attachments;     /* real attachment names, sorted */
} zammad_expect;

/* yaml_block - a "|", "|-", "|+" or "|2-" block scalar: the indented lines below. */
static char *
yaml_block(char **lines, int i, const char *header)
{
	GString *out = g_string_new(NULL);
	int indent = g_ascii_isdigit(header[1]) ? header[1] - '0' : 2;
	int j;

	for (j = i + 1; lines[j] != NULL; j++) {
		const char *l = lines[j];
		int k;

		for (k = 0; k < indent && l[k] == ' '; k++)
			;
		if (k < indent && l[k] != '\0')
			break;
		g_string_append(out, l + k);
		g_string_append_c(out, '\n');
	}
	return g_string_free(out, FALSE);
}

/* zammad_expect_read - the fields we compare, by line matching of the Ruby YAML. */
static gboolean
zammad_expect_read(const char *path, zammad_expect *e)
{
	g_autofree char *text = NULL;
	g_auto(GStrv) lines = NULL;
	char *pending = NULL;
	gboolean skip = FALSE, in_attachments = FALSE;
	int i;

	if (!g_file_get_contents(path, &text, NULL, NULL))
		return FALSE;
	lines = g_strsplit(text, "\n", -1);
	e->attachments = g_ptr_array_new_with_free_func(g_free);
	for (i = 0; lines[i] != NULL; i++) {
		const char *l = lines[i];

		if (g_str_has_prefix(l, "from_email: "))
			e->from_email = yaml_scalar(lines, i, l + 12);
		else if (g_str_has_prefix(l, "from_display_name: "))
			e->from_display_name = yaml_scalar(lines, i, l + 19);
		else if (g_str_has_prefix(l, "subject:"))
			e->subject = yaml_scalar(lines, i, l[8] ? l + 9 : "");
		else if (g_str_has_prefix(l, "body: ") && e->body == NULL)
			e->body = l[6] == '|' ? yaml_block(lines, i, l + 6) : yaml_scalar(lines, i, l + 6);
		else if (strcmp(l, "content_type: text/plain") == 0)
			e->plain = TRUE;
		else if (g_str_has_prefix(l, "attachments:"))
			in_attachments = TRUE;
		else if (in_attachments && l[0] != ' ' && l[0] != '-' && l[0] != '\0')
			in_attachments = FALSE;
		if (!in_attachments)
			continue;
		if (g_str_has_prefix(l, "- ")) {
			if (pending != NULL && !skip)
				g_ptr_array_add(e->attachments, pending);
			else
				g_free(pending);
			pending = NULL;
			skip = FALSE;
		} else if (g_str_has_prefix(l, "  filename: ")) {
			g_free(pending);
			pending = yaml_scalar(lines, i, l + 12);
		} else if (strstr(l, "content-alternative: true") != NULL ||
		    strstr(l, "original-format: true") != NULL) {
			skip = TRUE;
		}
	}
	if (pending != NULL && !skip)
		g_ptr_array_add(e->attachments, pending);
	else
		g_free(pending);
	g_ptr_array_sort(e->attachments, (GCompareFunc)g_strcmp0);
	return e->from_email != NULL;
}

static void
zammad_expect_clear(zammad_expect *e)
{
	g_free(e->from_email);
	g_free(e->from_display_name);
	g_free(e->subject);
	g_free(e->body);
	if (e->attachments != NULL)
		g_ptr_array_unref(e->attachments);
}

/* pstrcmp - g_ptr_array_sort comparator for char * elements. */
static int
pstrcmp(gconstpointer a, gconstpointer b)
{
	return g_strcmp0(*(char *const *)a, *(char *const *)b);
}

/* names_joined - attachment names as one line for the --verbose report. */
static char *
names_joined(GPtrArray *names)
{
	GString *out = g_string_new(NULL);
	guint i;

	for (i = 0; i < names->len; i++)
		g_string_append_printf(out, "%s%s", i ? "|" : "", (char *)names->pdata[i]);
	return g_string_free(out, FALSE);
}

/* attachments_match - our attachment names against Zammad's, as sorted lists. */
static gboolean
attachments_match(const parsed_message *m, GPtrArray *expected, char **got_names,
    char **want_names)
{
	g_autoptr(GPtrArray) got = g_ptr_array_new();
	guint i;

	for (i = 0; i < m->attachments->len; i++)
		g_ptr_array_add(got, ((mail_attachment *)g_ptr_array_index(m->attachments, i))->filename);
	g_ptr_array_sort(got, pstrcmp);
	g_ptr_array_sort(expected, pstrcmp);
	*got_names = names_joined(got);
	*want_names = names_joined(expected);
	if (got->len != expected->len)
		return FALSE;
	for (i = 0; i < got->len; i++)
		if (g_strcmp0(g_ptr_array_index(got, i), g_ptr_array_index(expected, i)) != 0)
			return FALSE;
	return TRUE;
}

/* check_field - count one comparison, and say which case failed under --verbose. */
static gboolean
check_field(corpus_score *s, const char *name, gboolean ok, const char *got,
    const char *want)
{
	s->total++;
	if (ok)
		s->passed++;
	else if (g_test_verbose())
		g_printerr("# %s %s: got \"%s\" want \"%s\"\n", name, s->field, got, want);
	return ok;
}

static void
test_zammad(void)
{
	g_autofree char *top = corpora_dir();
	g_autofree char *dir = NULL;
	corpus_score email = { "from_email", 0, 0 }, name = { "from_display_name", 0, 0 },
	    subject = { "subject", 0, 0 }, files = { "attachments", 0, 0 },
	    body = { "plain_body", 0, 0 },
	    all = { NULL, 0, 0 };
	g_autoptr(GDir) listing = NULL;
	const char *entry;

	dir = top ? g_build_filename(top, "zammad", "test", "data", "mail", NULL) : NULL;
	if (dir == NULL || !g_file_test(dir, G_FILE_TEST_IS_DIR)) {
		g_test_skip("zammad corpus not found");
		return;
	}
	listing = g_dir_open(dir, 0, NULL);
	while (listing != NULL && (entry = g_dir_read_name(listing)) != NULL) {
		g_autofree char *box = g_build_filename(dir, entry, NULL);
		g_autofree char *yml = NULL;
		g_autofree char *raw = NULL;
		g_autofree char *got_subject = NULL, *want_subject = NULL;
		g_autofree char *got_names = NULL, *want_names = NULL;
		gboolean matched;
		g_autoptr(parsed_message) m = NULL;
		zammad_expect e = { 0 };
		gsize length;
		gboolean ok = TRUE;

		if (!g_str_has_suffix(entry, ".box") ||
		    !g_file_get_contents(box, &raw, &length, NULL))
			continue;
		yml = g_strdup_printf("%.*s.yml", (int)(strlen(box) - 4), box);
		if (!zammad_expect_read(yml, &e)) {
			zammad_expect_clear(&e);
			continue;
		}
		m = mime_parse(raw, length);
		ok &= check_field(&email, box, g_ascii_strcasecmp(m->from->address,
		    e.from_email) == 0, m->from->address, e.from_email);
		ok &= check_field(&name, box, g_strcmp0(m->from->name,
		    e.from_display_name ? e.from_display_name : "") == 0, m->from->name,
		    e.from_display_name);
		got_subject = squash(m->subject);
		want_subject = squash(e.subject ? e.subject : "");
		ok &= check_field(&subject, box, strcmp(got_subject, want_subject) == 0,
		    got_subject, want_subject);
		if (e.plain && e.body != NULL) {
			g_autofree char *got_body = squash(m->new_text);
			g_autofree char *want_body = squash(e.body);

			/* Zammad keeps the quoted history (ours must be found in it) and
			 * does not undo format=flowed: words are compared, not line breaks. */
			ok &= check_field(&body, box, strstr(want_body, got_body) != NULL,
			    got_body, want_body);
		}
		matched = attachments_match(m, e.attachments, &got_names, &want_names);
		ok &= check_field(&files, box, matched, got_names, want_names);
		all.total++;
		all.passed += ok ? 1 : 0;
		zammad_expect_clear(&e);
	}
	score_report("zammad", &email, FLOOR_ZAMMAD_FROM_EMAIL);
	score_report("zammad", &name, FLOOR_ZAMMAD_FROM_NAME);
	score_report("zammad", &subject, FLOOR_ZAMMAD_SUBJECT);
	score_report("zammad", &files, FLOOR_ZAMMAD_ATTACHMENTS);
	score_report("zammad", &body, FLOOR_ZAMMAD_PLAIN_BODY);
	score_report("zammad", &all, FLOOR_ZAMMAD_ALL);
}

/* normalize_reply - LF ends, lines right-trimmed, no trailing blank lines. */
static char *
normalize_reply(const char *text)
{
	g_autofree char *lf = NULL;
	g_auto(GStrv) lines = NULL;
	GString *out = g_string_new(NULL);
	int i;

	lf = g_strjoinv("\n", (lines = g_strsplit(text, "\r\n", -1)));
	g_strfreev(lines);
	lines = g_strsplit(lf, "\n", -1);
	for (i = 0; lines[i] != NULL; i++) {
		g_string_append(out, g_strchomp(lines[i]));
		g_string_append_c(out, '\n');
	}
	while (out->len > 0 && out->str[out->len - 1] == '\n')
		g_string_truncate(out, out->len - 1);
	return g_string_free(out, FALSE);
}

static void
test_reply_trimmer(void)
{
	g_autofree char *top = corpora_dir();
	g_autofree char *dir = NULL;
	corpus_score score = { NULL, 0, 0 };
	g_autofree char *emails = NULL;
	g_autoptr(GDir) listing = NULL;
	const char *entry;

	dir = top ? g_build_filename(top, "email_reply_trimmer", "test", NULL) : NULL;
	emails = dir ? g_build_filename(dir, "emails", NULL) : NULL;
	if (emails == NULL || (listing = g_dir_open(emails, 0, NULL)) == NULL) {
		g_test_skip("email_reply_trimmer corpus not found");
		return;
	}
	while ((entry = g_dir_read_name(listing)) != NULL) {
		g_autofree char *in_path = g_build_filename(dir, "emails", entry, NULL);
		g_autofree char *want_path = g_build_filename(dir, "trimmed", entry, NULL);
		g_autofree char *in = NULL, *want = NULL, *input = NULL, *got = NULL;
		g_autofree char *got_norm = NULL, *want_norm = NULL;

		if (!g_str_has_suffix(entry, ".txt") ||
		    !g_file_get_contents(in_path, &in, NULL, NULL) ||
		    !g_file_get_contents(want_path, &want, NULL, NULL))
			continue;
		input = normalize_reply(in);
		got = quote_strip(input);
		got_norm = normalize_reply(got);
		want_norm = normalize_reply(want);
		score.field = entry;
		check_field(&score, "reply_trimmer", strcmp(got_norm, want_norm) == 0,
		    got_norm, want_norm);
	}
	score.field = NULL;
	score_report("reply_trimmer", &score, FLOOR_REPLY_TRIMMER);
}

int
main(int argc, char **argv)
{
	int rc;

	g_test_init(&argc, &argv, NULL);
	mime_init();
	g_test_add_func("/corpus/zammad", test_zammad);
	g_test_add_func("/corpus/reply-trimmer", test_reply_trimmer);
	rc = g_test_run();
	mime_shutdown();
	return rc;
}
