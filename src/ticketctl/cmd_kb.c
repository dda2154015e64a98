/*
 * ctl_kb - ticketctl kb: the help centre. import reads article files (changed ones are
 * updated in place), list/show/remove manage what is stored, search ranks articles for
 * a few words, and suggest shows what one mail would be offered, with the scores and
 * the words that matched.
 */
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "ctl.h"
#include "kb.h"
#include "log.h"
#include "mime.h"
#include "store_kb.h"

/* kb_fail_code - the exit code for a failed kb call: bad files are bad input. */
static int
kb_fail_code(const char *what, GError *error)
{
	if (error->domain != KB_ERROR)
		return ctl_store_error(what, error);
	fprintf(stderr, "ticketctl kb: %s\n", error->message);
	return EX_DATAERR;
}

static int
kb_import_command(ctl_context *ctx, int argc, char **argv)
{
	g_autoptr(GError) error = NULL;
	kb_import_counts counts;
	int code;

	if (!ctl_parse(ctx, "DIR|FILE...", "Import help-centre articles (Markdown with a header).",
	               NULL, &argc, &argv))
		return EX_USAGE;
	if (argc < 2) {
		fprintf(stderr, "usage: ticketctl kb import DIR|FILE...\n");
		return EX_USAGE;
	}
	if ((code = ctl_open(ctx)) != EX_OK)
		return code;
	if (!kb_import(ctx->db, argv + 1, &counts, &error))
		return kb_fail_code("importing articles", error);
	if (ctx->json) {
		g_autoptr(JsonBuilder) json = json_builder_new();
		json_builder_begin_object(json);
		ctl_json_int(json, "added", counts.added);
		ctl_json_int(json, "updated", counts.updated);
		ctl_json_int(json, "unchanged", counts.unchanged);
		json_builder_end_object(json);
		ctl_print_json(json);
	} else {
		printf("%d added, %d updated, %d unchanged\n", counts.added, counts.updated,
		       counts.unchanged);
	}
	return EX_OK;
}

/* article_json - one stored article as a JSON object; the body only when asked. */
static void
article_json(JsonBuilder *json, const store_kb_row *row, gboolean body)
{
	json_builder_begin_object(json);
	ctl_json_string(json, "id", row->id);
	ctl_json_string(json, "title", row->title);
	ctl_json_string(json, "language", row->language);
	ctl_json_string(json, "departments", row->departments);
	ctl_json_string(json, "tags", row->tags);
	ctl_json_string(json, "url", row->url);
	if (body)
		ctl_json_string(json, "body", row->body);
	ctl_json_int(json, "updated", row->updated);
	json_builder_end_object(json);
}

static int
kb_list_command(ctl_context *ctx, int argc, char **argv)
{
	g_autoptr(GPtrArray) rows = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(JsonBuilder) json = json_builder_new();
	int code;

	if (!ctl_parse(ctx, "", "The help-centre articles, by id.", NULL, &argc, &argv))
		return EX_USAGE;
	if ((code = ctl_open(ctx)) != EX_OK)
		return code;
	if ((rows = store_kb_list(ctx->db, &error)) == NULL)
		return ctl_store_error("listing articles", error);
	json_builder_begin_array(json);
	for (guint i = 0; i < rows->len; i++) {
		const store_kb_row *row = rows->pdata[i];
		if (ctx->json) {
			article_json(json, row, FALSE);
			continue;
		}
		g_autofree char *title = log_printable(row->title, 80);
		printf("%-32s %s  %-20s %s\n", row->id, row->language, row->departments, title);
	}
	json_builder_end_array(json);
	if (ctx->json)
		ctl_print_json(json);
	return EX_OK;
}

/* kb_one - ticketctl kb show|remove ID: parse, open, check the id. */
static int
kb_one(ctl_context *ctx, const char *usage, const char *summary, int *argc, char ***argv)
{
	if (!ctl_parse(ctx, "ID", summary, NULL, argc, argv))
		return EX_USAGE;
	if (*argc != 2 || !kb_article_id_valid((*argv)[1])) {
		fprintf(stderr, "usage: ticketctl kb %s ID (ticketctl kb list shows them)\n", usage);
		return EX_USAGE;
	}
	return ctl_open(ctx);
}

static int
kb_show_command(ctl_context *ctx, int argc, char **argv)
{
	g_autoptr(store_kb_row) row = NULL;
	g_autoptr(GError) error = NULL;
	int code;

	if ((code = kb_one(ctx, "show", "One article as stored.", &argc, &argv)) != EX_OK)
		return code;
	if ((row = store_kb_get(ctx->db, argv[1], &error)) == NULL)
		return ctl_store_error("reading the article", error);
	if (ctx->json) {
		g_autoptr(JsonBuilder) json = json_builder_new();
		article_json(json, row, TRUE);
		ctl_print_json(json);
		return EX_OK;
	}
	g_autofree char *when = ctl_time(row->updated);
	printf("id: %s\ntitle: %s\nlanguage: %s\ndepartments: %s\ntags: %s\nurl: %s\n"
	       "updated: %s\n\n%s\n", row->id, row->title, row->language, row->departments,
	       row->tags, row->url, when, row->body);
	return EX_OK;
}

static int
kb_remove_command(ctl_context *ctx, int argc, char **argv)
{
	g_autoptr(GError) error = NULL;
	int code;

	if ((code = kb_one(ctx, "remove", "Remove one article.", &argc, &argv)) != EX_OK)
		return code;
	if (!kb_remove(ctx->db, argv[1], &error))
		return ctl_store_error("removing the article", error);
	if (!ctx->json)
		printf("removed %s\n", argv[1]);
	return EX_OK;
}

/* suggestions_print - the articles found: text for a person, or the --json list. */
static void
suggestions_print(ctl_context *ctx, GPtrArray *hits)
{
	g_autoptr(JsonBuilder) json = json_builder_new();

	json_builder_begin_array(json);
	for (guint i = 0; i < hits->len; i++) {
		const kb_suggestion *s = hits->pdata[i];
		g_autofree char *matched = g_strjoinv(", ", s->matched);
		if (!ctx->json) {
			g_autofree char *title = log_printable(s->title, 80);
			g_autofree char *words = log_printable(matched, 200);
			printf("%6.2f  %-32s %s\n        %s\n        matched: %s\n", s->score, s->id,
			       title, s->url, words);
			continue;
		}
		json_builder_begin_object(json);
		ctl_json_string(json, "id", s->id);
		ctl_json_string(json, "title", s->title);
		json_builder_set_member_name(json, "score");
		json_builder_add_double_value(json, s->score);
		json_builder_set_member_name(json, "matched");
		json_builder_begin_array(json);
		for (char **w = s->matched; *w != NULL; w++)
			json_builder_add_string_value(json, *w);
		json_builder_end_array(json);
		ctl_json_string(json, "url", s->url);
		ctl_json_string(json, "excerpt", s->excerpt);
		json_builder_end_object(json);
	}
	json_builder_end_array(json);
	if (ctx->json)
		ctl_print_json(json);
}

static int
kb_search_command(ctl_context *ctx, int argc, char **argv)
{
	g_autofree char *language = NULL, *department = NULL, *words = NULL;
	int limit = 10;
	GOptionEntry options[] = {
		{ "language", 0, 0, G_OPTION_ARG_STRING, &language, "es (default) or en", "LANG" },
		{ "department", 0, 0, G_OPTION_ARG_STRING, &department, "only this department", "SLUG" },
		{ "limit", 0, 0, G_OPTION_ARG_INT, &limit, "at most this many (default 10)", "N" },
		{ NULL }
	};
	g_autoptr(GPtrArray) hits = NULL;
	g_autoptr(GError) error = NULL;
	int code;

	if (!ctl_parse(ctx, "QUERY...", "Rank help-centre articles for some words.", options,
	               &argc, &argv))
		return EX_USAGE;
	if (argc < 2 || limit < 1 || (language != NULL && !kb_language_known(language))) {
		fprintf(stderr, "usage: ticketctl kb search [--language es|en] [--department SLUG]"
		        " [--limit N] QUERY...\n");
		return EX_USAGE;
	}
	words = g_strjoinv(" ", argv + 1);
	if ((code = ctl_open(ctx)) != EX_OK)
		return code;
	hits = kb_search(ctx->db, language ? language : "es", department, words, limit, &error);
	if (hits == NULL)
		return ctl_store_error("searching the help centre", error);
	suggestions_print(ctx, hits);
	return EX_OK;
}

/* mail_department - the department of the first recipient that is one of ours. */
static const char *
mail_department(const ctl_context *ctx, const parsed_message *mail)
{
	for (guint i = 0; i < mail->to->len; i++) {
		const mail_address *to = mail->to->pdata[i];
		g_autofree char *detail = NULL;
		const department_config *d = config_department_for(ctx->config, to->address, &detail);
		if (d != NULL)
			return d->slug;
	}
	return NULL;
}

/* mail_language - the sender's account language, else the configured default. */
static char *
mail_language(const ctl_context *ctx, const parsed_message *mail)
{
	store_account account = { 0 };
	char *language;

	if (!store_account_by_email(ctx->db, mail->from->address, &account, NULL))
		return g_strdup(ctx->config->language);
	language = g_strdup(account.language);
	store_account_clear(&account);
	return language;
}

/* kb_suggest_mail - read and parse the mail, then ask the help centre. */
static int
kb_suggest_mail(ctl_context *ctx, const char *file, const char *language,
                const char *department)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(parsed_message) mail = NULL;
	g_autoptr(GPtrArray) hits = NULL;
	g_autofree char *raw = NULL, *text = NULL, *lang = NULL;
	gsize length;

	if (!g_file_get_contents(file, &raw, &length, &error)) {
		fprintf(stderr, "ticketctl kb suggest: %s\n", error->message);
		return EX_NOINPUT;
	}
	if (length > ctx->config->max_message_size) {
		fprintf(stderr, "ticketctl kb suggest: %s is larger than max_message_size\n", file);
		return EX_DATAERR;
	}
	mime_init();
	mail = mime_parse(raw, length);
	text = g_strdup_printf("%s\n%s", mail->subject, mail->new_text ? mail->new_text : "");
	lang = language ? g_strdup(language) : mail_language(ctx, mail);
	if (department == NULL)
		department = mail_department(ctx, mail);
	hits = kb_suggest(ctx->db, lang, department, text, ctx->config->kb.threshold,
	                  ctx->config->kb.suggestions, &error);
	if (hits == NULL)
		return ctl_store_error("searching the help centre", error);
	suggestions_print(ctx, hits);
	if (hits->len == 0 && !ctx->json)
		printf("nothing good enough to suggest\n");
	return EX_OK;
}

static int
kb_suggest_command(ctl_context *ctx, int argc, char **argv)
{
	g_autofree char *language = NULL, *department = NULL;
	GOptionEntry options[] = {
		{ "language", 0, 0, G_OPTION_ARG_STRING, &language,
		  "es or en (default: the sender's account, else [ticketd] language)", "LANG" },
		{ "department", 0, 0, G_OPTION_ARG_STRING, &department,
		  "the department (default: the one the mail was sent to)", "SLUG" },
		{ NULL }
	};
	int code;

	if (!ctl_parse(ctx, "FILE", "What a mail's confirmation would suggest, with the scores"
	               " and the words that matched.", options, &argc, &argv))
		return EX_USAGE;
	if (argc != 2 || (language != NULL && !kb_language_known(language))) {
		fprintf(stderr, "usage: ticketctl kb suggest [--language es|en] [--department SLUG]"
		        " FILE\n");
		return EX_USAGE;
	}
	if ((code = ctl_open(ctx)) != EX_OK)
		return code;
	return kb_suggest_mail(ctx, argv[1], language, department);
}

int
ctl_kb(ctl_context *ctx, int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*run)(ctl_context *, int, char **);
	} subcommands[] = {
		{ "import", kb_import_command }, { "list", kb_list_command },
		{ "show", kb_show_command }, { "remove", kb_remove_command },
		{ "search", kb_search_command }, { "suggest", kb_suggest_command },
	};

	for (gsize i = 0; argc >= 2 && i < G_N_ELEMENTS(subcommands); i++)
		if (strcmp(argv[1], subcommands[i].name) == 0)
			return subcommands[i].run(ctx, argc - 1, argv + 1);
	fprintf(stderr, "usage: ticketctl kb import|list|show|remove|search|suggest ...\n");
	return EX_USAGE;
}
