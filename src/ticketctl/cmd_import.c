/*
 * ctl_import - `ticketctl import DIR|FILE...`: every message of a Maildir (cur/ and new/,
 * in name order) or the named files, through the same ingest path as LMTP. A progress
 * bar on a terminal, then a summary by action and by class. A message whose parse runs
 * past parse_timeout is held raw, and the import goes on.
 */
#include <stdio.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "ctl.h"
#include "inbound.h"
#include "ingest.h"

typedef struct {
	int total;
	int done;
	int counts[ACTION_DUPLICATE + 1];
	int classes[MAIL_CLASS_COUNT];
	int failed;                 /* could not be stored now: try again */
	JsonBuilder *json;          /* per-message results, with --json */
} import_tally;

static int
import_compare_names(gconstpointer a, gconstpointer b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* import_collect - the files to ingest: Maildir cur/ and new/ sorted, or files as given. */
static gboolean
import_collect(const char *path, GPtrArray *files)
{
	static const char *const subdirs[] = { "cur", "new" };
	g_autoptr(GPtrArray) found = g_ptr_array_new_with_free_func(g_free);

	if (!g_file_test(path, G_FILE_TEST_IS_DIR)) {
		if (!g_file_test(path, G_FILE_TEST_IS_REGULAR))
			return FALSE;
		g_ptr_array_add(files, g_strdup(path));
		return TRUE;
	}
	for (gsize i = 0; i < G_N_ELEMENTS(subdirs); i++) {
		g_autofree char *dir_path = g_build_filename(path, subdirs[i], NULL);
		g_autoptr(GDir) dir = g_dir_open(dir_path, 0, NULL);
		const char *name;

		while (dir != NULL && (name = g_dir_read_name(dir)) != NULL)
			if (name[0] != '.')
				g_ptr_array_add(found, g_build_filename(dir_path, name, NULL));
	}
	if (found->len == 0 && !g_file_test(path, G_FILE_TEST_EXISTS))
		return FALSE;
	g_ptr_array_sort(found, import_compare_names);
	for (guint i = 0; i < found->len; i++)
		g_ptr_array_add(files, g_strdup(g_ptr_array_index(found, i)));
	return TRUE;
}

/* import_progress - a bar on stderr when it is a terminal. */
static void
import_progress(const import_tally *tally)
{
	int width = 30;
	int filled = tally->total ? tally->done * width / tally->total : width;

	if (!isatty(STDERR_FILENO))
		return;
	fprintf(stderr, "\r[%.*s%*s] %d/%d", filled, "##############################", width - filled, "",
	        tally->done, tally->total);
	if (tally->done == tally->total)
		fputc('\n', stderr);
	fflush(stderr);
}

static void
import_json_result(JsonBuilder *json, const char *file, const ingest_result *result)
{
	json_builder_begin_object(json);
	ctl_json_string(json, "file", file);
	json_builder_set_member_name(json, "status");
	json_builder_add_string_value(json, result->failure.class == FAILURE_OK ? "ok" :
	                              result->failure.class == FAILURE_TEMPORARY ? "tempfail" : "refused");
	ctl_json_string(json, "class", mail_class_name(result->class));
	ctl_json_string(json, "action", ingest_action_name(result->decision.action));
	ctl_json_string(json, "ticket", result->decision.ticket);
	ctl_json_string(json, "department", result->decision.department);
	ctl_json_string(json, "reason", result->error ? result->error : result->decision.reason);
	json_builder_end_object(json);
}

/* import_count - tally one result, and list it with --json. */
static void
import_count(import_tally *tally, const char *file, const ingest_result *result)
{
	if (result->failure.class == FAILURE_TEMPORARY)
		tally->failed++;
	else
		tally->counts[result->decision.action]++;
	tally->classes[result->class]++;
	if (tally->json != NULL)
		import_json_result(tally->json, file, result);
}

/*
 * import_one - ingest one file for each department its To and Cc name; mail that names
 * none (Bcc, lists, our own mail coming back) belongs to the Maildir's department.
 */
static void
import_one(ctl_context *ctx, const char *file, const department_config *mailbox, import_tally *tally)
{
	g_autofree char *raw = NULL;
	gsize length = 0;
	g_autoptr(GError) error = NULL;
	g_autoptr(inbound) mail = NULL;
	ingest_result result = { 0 };

	if (!g_file_get_contents(file, &raw, &length, &error)) {
		fprintf(stderr, "ticketctl import: %s\n", error->message);
		tally->failed++;
		return;
	}
	if (inbound_too_big(ctx->config, length)) {
		result.failure = failure_permanent(FAILURE_MESSAGE);
		result.decision.action = ACTION_REJECT;
		result.decision.reason = g_strdup("larger than max_message_size");
		import_count(tally, file, &result);
		ingest_result_clear(&result);
		return;
	}
	mail = inbound_new_within("import", raw, length, NULL, ctx->config->parse_timeout);
	if (inbound_recipients_from_headers(mail, ctx->config) == 0)
		inbound_add_recipient(mail, mailbox->address);
	for (guint i = 0; i < mail->recipients->len; i++) {
		ingest_message(ctx->config, ctx->db, mail, g_ptr_array_index(mail->recipients, i), &result);
		import_count(tally, file, &result);
		ingest_result_clear(&result);
	}
}

static void
import_summary_text(const import_tally *tally)
{
	printf("%d messages: %d new tickets, %d replies, %d staff replies, %d reopened, "
	       "%d duplicates, %d refused, %d held, %d dropped", tally->total,
	       tally->counts[ACTION_NEW] + tally->counts[ACTION_NEW_LINKED], tally->counts[ACTION_REPLY],
	       tally->counts[ACTION_STAFF_REPLY], tally->counts[ACTION_REOPEN], tally->counts[ACTION_DUPLICATE],
	       tally->counts[ACTION_REJECT] + tally->counts[ACTION_REFUSE], tally->counts[ACTION_HOLD],
	       tally->counts[ACTION_DROP]);
	if (tally->failed)
		printf(", %d failed (run the import again)", tally->failed);
	printf("\nby class:");
	for (int c = 0; c < MAIL_CLASS_COUNT; c++)
		printf("%s %d %s", c ? "," : "", tally->classes[c], mail_class_name(c));
	printf("\n");
}

static void
import_summary_json(import_tally *tally)
{
	JsonBuilder *json = tally->json;

	json_builder_end_array(json);
	ctl_json_int(json, "total", tally->total);
	ctl_json_int(json, "failed", tally->failed);
	json_builder_set_member_name(json, "actions");
	json_builder_begin_object(json);
	for (int a = 0; a <= ACTION_DUPLICATE; a++) {
		json_builder_set_member_name(json, ingest_action_name(a));
		json_builder_add_int_value(json, tally->counts[a]);
	}
	json_builder_end_object(json);
	json_builder_set_member_name(json, "classes");
	json_builder_begin_object(json);
	for (int c = 0; c < MAIL_CLASS_COUNT; c++) {
		json_builder_set_member_name(json, mail_class_name(c));
		json_builder_add_int_value(json, tally->classes[c]);
	}
	json_builder_end_object(json);
	json_builder_end_object(json);
	ctl_print_json(json);
}

int
ctl_import(ctl_context *ctx, int argc, char **argv)
{
	g_autoptr(GPtrArray) files = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(JsonBuilder) json = NULL;
	import_tally tally = { 0 };
	g_autofree char *slug = NULL;
	GOptionEntry options[] = {
		{ "department", 0, 0, G_OPTION_ARG_STRING, &slug,
		  "the department of mail that names none (default: the first configured)", "SLUG" },
		{ NULL }
	};
	const department_config *mailbox;
	int code;

	if (!ctl_parse(ctx, "DIR|FILE...", "Ingest a Maildir or message files, in name order.", options, &argc, &argv))
		return EX_USAGE;
	if (argc < 2) {
		fprintf(stderr, "ticketctl import: name a Maildir or message files\n");
		return EX_USAGE;
	}
	for (int i = 1; i < argc; i++)
		if (!import_collect(argv[i], files)) {
			fprintf(stderr, "ticketctl import: %s: no such Maildir or file\n", argv[i]);
			return EX_NOINPUT;
		}
	if ((code = ctl_open(ctx)) != EX_OK)
		return code;
	mailbox = slug ? config_department_by_slug(ctx->config, slug) : g_ptr_array_index(ctx->config->departments, 0);
	if (mailbox == NULL) {
		fprintf(stderr, "ticketctl import: no department \"%s\" (ticketctl department list)\n", slug);
		return EX_USAGE;
	}
	if (ctx->json) {
		json = tally.json = json_builder_new();
		json_builder_begin_object(json);
		json_builder_set_member_name(json, "messages");
		json_builder_begin_array(json);
	}
	tally.total = (int)files->len;
	for (guint i = 0; i < files->len; i++) {
		import_one(ctx, g_ptr_array_index(files, i), mailbox, &tally);
		tally.done++;
		import_progress(&tally);
	}
	if (ctx->json)
		import_summary_json(&tally);
	else
		import_summary_text(&tally);
	ctl_close(ctx);
	return inbound_exit_code(tally.failed ? EX_TEMPFAIL : EX_OK);
}
