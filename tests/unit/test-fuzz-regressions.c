/*
 * test-fuzz-regressions - every input kept in tests/fuzz/regressions/TARGET/ (what the
 * fuzzers found, and inputs near the limits) replayed through the code the daemon runs:
 * mail is parsed and committed by ingest, LMTP dialogues are fed whole and one byte at a
 * time, configurations are loaded, texts are quote-stripped. Passing means no crash,
 * no sanitizer report, and the same LMTP replies either way.
 */
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "ingest.h"
#include "log.h"
#include "lmtp.h"
#include "quote.h"

typedef void (*replay_func)(const char *data, gsize length);

static ticketd_config *mail_config;
static store *mail_store;
static char *work_dir;

static void
replay_mail(const char *data, gsize length)
{
	g_autoptr(parsed_message) message = mime_parse(data, length);
	g_autoptr(inbound) mail = inbound_new_parsed("test", data, length, message, message->return_path);
	ingest_result result = { 0 };

	classify_message(mail_config, message, mail->sender);
	ingest_message(mail_config, mail_store, mail, "soporte@example.com", &result);
	g_assert_cmpint(result.failure.class, !=, FAILURE_TEMPORARY);
	ingest_result_clear(&result);
}

static failure
accept_all(void *context, const char *address)
{
	return failure_ok();
}

static void
deliver_all(void *context, const lmtp_envelope *envelope, const char *data, gsize length,
            lmtp_outcome *outcomes)
{
	for (guint i = 0; i < envelope->recipient_count; i++)
		outcomes[i].status = failure_ok();
}

/* lmtp_replies - the replies to data fed `chunk` bytes at a time (0: whole). */
static char *
lmtp_replies(const char *data, gsize length, gsize chunk)
{
	lmtp_settings settings = { .hostname = "lmtp.test", .peer = "test", .max_message_size = 4096,
	                           .max_recipients = 4, .fixed_date = TRUE };
	lmtp_callbacks callbacks = { accept_all, deliver_all, NULL };
	g_autoptr(lmtp_session) session = lmtp_session_new(&settings, &callbacks);
	GString *replies = g_string_new(NULL);

	lmtp_session_greeting(session);
	for (gsize at = 0; at < length && !lmtp_session_done(session);) {
		gsize n = chunk == 0 ? length : MIN(chunk, length - at);
		GString *output;

		lmtp_session_feed(session, data + at, n);
		at += n;
		output = lmtp_session_output(session);
		g_string_append_len(replies, output->str, (gssize)output->len);
		g_string_truncate(output, 0);
	}
	return g_string_free(replies, FALSE);
}

static void
replay_lmtp(const char *data, gsize length)
{
	g_autofree char *whole = lmtp_replies(data, length, 0);
	g_autofree char *bytewise = lmtp_replies(data, length, 1);

	g_assert_cmpstr(whole, ==, bytewise);
}

static void
replay_config(const char *data, gsize length)
{
	g_autofree char *path = g_build_filename(work_dir, "replay.conf", NULL);
	g_autoptr(GError) error = NULL;
	g_autoptr(ticketd_config) config = NULL;

	g_assert_true(g_file_set_contents_full(path, data, (gssize)length, G_FILE_SET_CONTENTS_NONE, 0600, NULL));
	config = config_load(path, &error);
	g_assert_true((config == NULL) != (error == NULL));
	g_unlink(path);
}

static void
replay_quote(const char *data, gsize length)
{
	g_autofree char *text = g_utf8_make_valid(data, (gssize)length);
	g_autofree char *stripped = quote_strip(text);

	g_assert_nonnull(stripped);
}

static void
replay_file(gconstpointer data)
{
	const char *path = data;
	g_autofree char *dir = g_path_get_dirname(path);
	g_autofree char *target = g_path_get_basename(dir);
	static const struct { const char *name; replay_func replay; } targets[] = {
		{ "mail", replay_mail }, { "lmtp", replay_lmtp }, { "config", replay_config },
		{ "quote", replay_quote },
	};
	g_autofree char *bytes = NULL;
	gsize length = 0;

	g_assert_true(g_file_get_contents(path, &bytes, &length, NULL));
	for (gsize i = 0; i < G_N_ELEMENTS(targets); i++)
		if (strcmp(target, targets[i].name) == 0) {
			targets[i].replay(bytes, length);
			return;
		}
	g_error("%s: no fuzz target %s", path, target);
}

/* setup_mail_store - the store and configuration mail is committed to. */
static void
setup_mail_store(void)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *conf = g_build_filename(work_dir, "ticketd.conf", NULL);
	g_autofree char *db = g_build_filename(work_dir, "ticketd.db", NULL);
	g_autofree char *text = g_strdup_printf("[ticketd]\ndatabase = %s\ndomain = example.com\n"
	                                        "templates = /nonexistent\n\n[department:soporte]\n"
	                                        "name = Soporte\naddress = soporte@example.com\n", db);

	g_assert_true(g_file_set_contents_full(conf, text, -1, G_FILE_SET_CONTENTS_NONE, 0640, &error));
	mail_config = config_load(conf, &error);
	g_assert_no_error(error);
	mail_store = store_open(db, &error);
	g_assert_no_error(error);
	g_unlink(conf);
}

static gint
compare_names(gconstpointer a, gconstpointer b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
remove_work_dir(void)
{
	static const char *const files[] = { "ticketd.db", "ticketd.db-wal", "ticketd.db-shm" };

	store_close(mail_store);
	config_free(mail_config);
	for (gsize i = 0; i < G_N_ELEMENTS(files); i++) {
		g_autofree char *path = g_build_filename(work_dir, files[i], NULL);

		g_unlink(path);
	}
	g_rmdir(work_dir);
	g_free(work_dir);
}

int
main(int argc, char **argv)
{
	g_autofree char *root = g_build_filename(g_getenv("TICKETD_TOP") ? g_getenv("TICKETD_TOP") : ".",
	                                         "tests", "fuzz", "regressions", NULL);
	g_autoptr(GPtrArray) paths = g_ptr_array_new_with_free_func(g_free);
	static const char *const targets[] = { "mail", "lmtp", "config", "quote" };
	int status;

	g_test_init(&argc, &argv, NULL);
	g_log_set_always_fatal(G_LOG_LEVEL_CRITICAL);
	mime_init();
	log_set_quiet(TRUE);
	work_dir = g_dir_make_tmp("test-fuzz-regressions-XXXXXX", NULL);
	g_assert_nonnull(work_dir);
	setup_mail_store();
	for (gsize t = 0; t < G_N_ELEMENTS(targets); t++) {
		g_autofree char *dir_path = g_build_filename(root, targets[t], NULL);
		g_autoptr(GDir) dir = g_dir_open(dir_path, 0, NULL);
		g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
		const char *name;

		while (dir != NULL && (name = g_dir_read_name(dir)) != NULL)
			g_ptr_array_add(names, g_strdup(name));
		g_ptr_array_sort(names, compare_names);
		for (guint i = 0; i < names->len; i++) {
			char *path = g_build_filename(dir_path, g_ptr_array_index(names, i), NULL);
			g_autofree char *test = g_strdup_printf("/fuzz-regressions/%s/%s", targets[t],
			                                        (char *)g_ptr_array_index(names, i));

			g_ptr_array_add(paths, path);
			g_test_add_data_func(test, path, replay_file);
		}
	}
	status = g_test_run();
	remove_work_dir();
	return status;
}
