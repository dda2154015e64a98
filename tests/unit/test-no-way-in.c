/*
 * test-no-way-in - hostile text in every field that reaches the store comes back as
 * the same text: SQL metacharacters in a subject, a display name, an address's local
 * part, an attachment name, and in full-text searches (FTS5 syntax included). And a
 * password file that its group may read is refused like one the world may read.
 */
#include <glib/gstdio.h>
#include <sqlite3.h>
#include <string.h>
#include <unistd.h>

#include "ingest.h"

#define EVIL "x'); DROP TABLE tickets; --"

typedef struct {
	char *dir;
	char *db;
	ticketd_config *config;
	store *handle;
} fixture;

static void
fixture_set_up(fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *conf = NULL, *text = NULL;
	g_autofree char *top = g_strdup(g_getenv("TICKETD_TOP") ? g_getenv("TICKETD_TOP") : ".");

	f->dir = g_dir_make_tmp("test-no-way-in-XXXXXX", &error);
	g_assert_no_error(error);
	conf = g_build_filename(f->dir, "ticketd.conf", NULL);
	f->db = g_build_filename(f->dir, "ticketd.db", NULL);
	text = g_strdup_printf("[ticketd]\ndatabase = %s\ndomain = example.com\ntemplates = %s/etc/templates\n\n"
	                       "[department:soporte]\nname = Soporte\naddress = soporte@example.com\n", f->db, top);
	g_assert_true(g_file_set_contents_full(conf, text, -1, G_FILE_SET_CONTENTS_NONE, 0640, &error));
	f->config = config_load(conf, &error);
	g_assert_no_error(error);
	f->handle = store_open(f->db, &error);
	g_assert_no_error(error);
	g_unlink(conf);
}

static void
fixture_tear_down(fixture *f, gconstpointer data)
{
	static const char *const files[] = { "ticketd.db", "ticketd.db-wal", "ticketd.db-shm" };

	store_close(f->handle);
	config_free(f->config);
	for (gsize i = 0; i < G_N_ELEMENTS(files); i++) {
		g_autofree char *path = g_build_filename(f->dir, files[i], NULL);

		g_unlink(path);
	}
	g_rmdir(f->dir);
	g_free(f->dir);
	g_free(f->db);
}

/* query_text - one text value from the test database. */
static char *
query_text(const fixture *f, const char *sql)
{
	sqlite3 *handle = NULL;
	sqlite3_stmt *statement = NULL;
	char *value = NULL;

	g_assert_cmpint(sqlite3_open(f->db, &handle), ==, SQLITE_OK);
	g_assert_cmpint(sqlite3_prepare_v2(handle, sql, -1, &statement, NULL), ==, SQLITE_OK);
	if (sqlite3_step(statement) == SQLITE_ROW)
		value = g_strdup((const char *)sqlite3_column_text(statement, 0));
	sqlite3_finalize(statement);
	sqlite3_close(handle);
	return value;
}

static const char hostile_mail[] =
	"From: \"Robert'); DROP TABLE accounts;--\" <o'brien%x@cliente.es>\r\n"
	"To: soporte@example.com\r\n"
	"Subject: " EVIL " \"; SELECT * FROM held; /*\r\n"
	"Message-ID: <'or'1'='1@cliente.es>\r\n"
	"MIME-Version: 1.0\r\n"
	"Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n"
	"--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
	"Texto con comillas ' \" y punto y coma; UNION SELECT password FROM users\r\n"
	"--b\r\nContent-Type: application/pdf\r\n"
	"Content-Disposition: attachment; filename=\"" "f'); DELETE FROM messages; --.pdf\"\r\n\r\n"
	"%PDF\r\n--b--\r\n";

static void
test_stored_verbatim(fixture *f, gconstpointer data)
{
	g_autoptr(inbound) mail = inbound_new("test", hostile_mail, strlen(hostile_mail), "o'brien%x@cliente.es");
	ingest_result result = { 0 };
	g_autofree char *subject = NULL, *email = NULL, *name = NULL, *file = NULL, *tables = NULL;
	g_autofree char *id = NULL;

	ingest_message(f->config, f->handle, mail, "soporte@example.com", &result);
	g_assert_cmpint(result.failure.class, ==, FAILURE_OK);
	g_assert_cmpint(result.decision.action, ==, ACTION_NEW);
	ingest_result_clear(&result);
	subject = query_text(f, "SELECT subject FROM tickets");
	g_assert_cmpstr(subject, ==, EVIL " \"; SELECT * FROM held; /*");
	email = query_text(f, "SELECT email FROM accounts");
	g_assert_cmpstr(email, ==, "o'brien%x@cliente.es");
	name = query_text(f, "SELECT name FROM accounts");
	g_assert_cmpstr(name, ==, "Robert'); DROP TABLE accounts;--");
	file = query_text(f, "SELECT filename FROM attachments");
	g_assert_cmpstr(file, ==, "f'); DELETE FROM messages; --.pdf");
	id = query_text(f, "SELECT message_id FROM messages");
	g_assert_cmpstr(id, ==, "'or'1'='1@cliente.es");
	tables = query_text(f, "SELECT group_concat(name) FROM (SELECT name FROM sqlite_master "
	                    "WHERE type = 'table' AND name IN ('accounts', 'tickets', 'messages', 'held') ORDER BY name)");
	g_assert_cmpstr(tables, ==, "accounts,held,messages,tickets");
}

/* Whatever is typed is searched for as words, never run as SQL or FTS5 syntax. */
static void
test_search_is_words(fixture *f, gconstpointer data)
{
	static const char *const queries[] = {
		"x'); DROP TABLE tickets; --", "\"", "\"\"", "'", "*", "comillas*", "NEAR(a b)", "a OR b",
		"-texto", "^texto", "subject:texto", "texto)", "(texto", "{texto}", "texto AND", "NOT",
		"%", "_", "\\", "texto\" OR \"1", "' OR 1=1 --", "UNION SELECT password FROM users", "",
	};
	g_autoptr(inbound) mail = inbound_new("test", hostile_mail, strlen(hostile_mail), "o'brien%x@cliente.es");
	ingest_result result = { 0 };

	ingest_message(f->config, f->handle, mail, "soporte@example.com", &result);
	g_assert_cmpint(result.failure.class, ==, FAILURE_OK);
	ingest_result_clear(&result);
	for (gsize i = 0; i < G_N_ELEMENTS(queries); i++) {
		g_autoptr(GError) error = NULL;
		g_autoptr(GPtrArray) hits = store_search(f->handle, queries[i], 10, &error);

		if (error != NULL)
			g_error("search «%s»: %s", queries[i], error->message);
		g_assert_nonnull(hits);
	}
	{
		g_autoptr(GError) error = NULL;
		g_autoptr(GPtrArray) hits = store_search(f->handle, "UNION SELECT password", 10, &error);
		g_autofree char *tickets = query_text(f, "SELECT count(*) FROM tickets");

		g_assert_no_error(error);
		g_assert_cmpuint(hits->len, ==, 1);
		g_assert_cmpstr(tickets, ==, "1");
	}
}

/* A password file its group may read is refused too: only 0600 (or 0400) will do. */
static void
test_secret_group_readable(void)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *dir = g_dir_make_tmp("test-no-way-in-XXXXXX", &error);
	g_autofree char *secret = g_build_filename(dir, "smtp.secret", NULL);
	g_autofree char *conf = g_build_filename(dir, "ticketd.conf", NULL);
	g_autofree char *text = g_strdup_printf("[ticketd]\ndomain = example.com\n[department:s]\n"
	                                        "address = s@example.com\n[smtp]\nuser = u\npassword_file = %s\n",
	                                        secret);
	static const int modes[] = { 0640, 0604, 0660, 0400, 0600 };

	g_assert_true(g_file_set_contents(secret, "s3cr3t\n", -1, &error));
	g_assert_true(g_file_set_contents_full(conf, text, -1, G_FILE_SET_CONTENTS_NONE, 0640, &error));
	for (gsize i = 0; i < G_N_ELEMENTS(modes); i++) {
		g_autoptr(GError) load_error = NULL;
		g_autoptr(ticketd_config) config = NULL;

		g_chmod(secret, modes[i]);
		config = config_load(conf, &load_error);
		if ((modes[i] & 077) != 0) {
			g_assert_null(config);
			g_assert_nonnull(strstr(load_error->message, "readable by group or others"));
		} else {
			g_assert_no_error(load_error);
			g_assert_cmpstr(config->smtp.password, ==, "s3cr3t");
		}
	}
	g_unlink(secret);
	g_unlink(conf);
	g_rmdir(dir);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	mime_init();
	g_test_add("/no-way-in/stored-verbatim", fixture, NULL, fixture_set_up, test_stored_verbatim,
	           fixture_tear_down);
	g_test_add("/no-way-in/search-is-words", fixture, NULL, fixture_set_up, test_search_is_words,
	           fixture_tear_down);
	g_test_add_func("/no-way-in/secret-group-readable", test_secret_group_readable);
	return g_test_run();
}
