/*
 * test-store - the SQLite store: migrations, pragmas, every table's queries, search with
 * accents and hostile input, outbox leases under concurrency, rollback and busy mapping.
 * Each test gets a fresh database in its own temporary directory.
 */
#include <glib/gstdio.h>
#include <sqlite3.h>
#include <string.h>
#include <stdio.h>
#include <sys/wait.h>

#include "store.h"

typedef struct {
	char *dir;
	char *path;
	store *store;
} fixture;

static void
fixture_set_up(fixture *f, gconstpointer data)
{
	GError *error = NULL;

	g_unsetenv("TICKETD_NOW");
	f->dir = g_dir_make_tmp("test-store-XXXXXX", &error);
	g_assert_no_error(error);
	f->path = g_build_filename(f->dir, "ticketd.db", NULL);
	f->store = store_open(f->path, &error);
	g_assert_no_error(error);
	g_assert_nonnull(f->store);
}

static void
fixture_tear_down(fixture *f, gconstpointer data)
{
	static const char *const suffixes[] = { "", "-wal", "-shm", "-journal" };

	store_close(f->store);
	for (gsize i = 0; i < G_N_ELEMENTS(suffixes); i++) {
		g_autofree char *file = g_strconcat(f->path, suffixes[i], NULL);
		g_remove(file);
	}
	g_rmdir(f->dir);
	g_free(f->path);
	g_free(f->dir);
}

/* raw_int - one integer from SQL run on a separate, plain connection. */
static int64_t
raw_int(const char *path, const char *sql)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *stmt = NULL;
	int64_t value;

	g_assert_cmpint(sqlite3_open(path, &db), ==, SQLITE_OK);
	g_assert_cmpint(sqlite3_prepare_v2(db, sql, -1, &stmt, NULL), ==, SQLITE_OK);
	g_assert_cmpint(sqlite3_step(stmt), ==, SQLITE_ROW);
	value = sqlite3_column_int64(stmt, 0);
	sqlite3_finalize(stmt);
	sqlite3_close(db);
	return value;
}

static int64_t
add_account(store *s, const char *email)
{
	GError *error = NULL;
	int64_t id = store_account_add(s, email, "Cliente", NULL, &error);

	g_assert_no_error(error);
	g_assert_cmpint(id, >, 0);
	return id;
}

static int64_t
add_ticket(store *s, const char *code, int64_t account, const char *department,
           const char *subject, int64_t now)
{
	GError *error = NULL;
	int64_t id = store_ticket_add(s, code, account, department, subject, "open", now, &error);

	g_assert_no_error(error);
	g_assert_cmpint(id, >, 0);
	return id;
}

static int64_t
add_message(store *s, int64_t ticket, const char *message_id, const char *subject,
            const char *text, int64_t created)
{
	store_message_row row = {
		.ticket_id = ticket, .direction = "in", .author = "ana@cliente.es",
		.message_id = message_id, .subject = subject, .text = text, .new_text = text,
		.mail_class = "normal", .dedup_key = message_id, .created = created,
	};
	GError *error = NULL;
	int64_t id = store_message_add(s, &row, &error);

	g_assert_no_error(error);
	g_assert_cmpint(id, >, 0);
	return id;
}

/* ---- migrations and settings ---- */

static void
test_migrate_empty(fixture *f, gconstpointer data)
{
	static const char *const tables[] = {
		"accounts", "subaccounts", "tickets", "messages", "raw_messages", "blobs",
		"attachments", "message_ids", "deliveries", "events", "held", "outbox",
		"messages_fts", "imap_state",
	};
	GError *error = NULL;

	g_assert_cmpint(raw_int(f->path, "PRAGMA user_version"), ==, STORE_SCHEMA_VERSION);
	for (gsize i = 0; i < G_N_ELEMENTS(tables); i++) {
		g_autofree char *sql = g_strdup_printf(
			"SELECT count(*) FROM sqlite_master WHERE name = '%s'", tables[i]);
		g_test_message("table %s", tables[i]);
		g_assert_cmpint(raw_int(f->path, sql), ==, 1);
	}
	/* Opening a current database again changes nothing. */
	store_close(f->store);
	f->store = store_open(f->path, &error);
	g_assert_no_error(error);
	g_assert_cmpint(raw_int(f->path, "PRAGMA user_version"), ==, STORE_SCHEMA_VERSION);
}

static void
test_migrate_too_new(fixture *f, gconstpointer data)
{
	GError *error = NULL;
	sqlite3 *db = NULL;
	store *newer;
	g_autofree char *version = NULL;

	store_close(f->store);
	f->store = NULL;
	g_assert_cmpint(sqlite3_open(f->path, &db), ==, SQLITE_OK);
	g_assert_cmpint(sqlite3_exec(db, "PRAGMA user_version = 99", NULL, NULL, NULL), ==,
	                SQLITE_OK);
	sqlite3_close(db);

	newer = store_open(f->path, &error);
	g_assert_null(newer);
	g_assert_error(error, STORE_ERROR, STORE_ERROR_TOO_NEW);
	g_assert_nonnull(strstr(error->message, f->path));
	g_assert_nonnull(strstr(error->message, "version 99"));
	version = g_strdup_printf("version %d", STORE_SCHEMA_VERSION);
	g_assert_nonnull(strstr(error->message, version));
	g_clear_error(&error);
	g_assert_cmpint(raw_int(f->path, "PRAGMA user_version"), ==, 99);
}

static void
test_settings(fixture *f, gconstpointer data)
{
	static const struct { const char *name, *value; } cases[] = {
		{ "journal_mode", "wal" },
		{ "synchronous", "2" },                 /* FULL */
		{ "foreign_keys", "1" },
		{ "busy_timeout", "10000" },
		{ "user_version", G_STRINGIFY(STORE_SCHEMA_VERSION) },
	};
	GError *error = NULL;

	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree char *value = store_setting(f->store, cases[i].name, &error);
		g_assert_no_error(error);
		g_assert_cmpstr(value, ==, cases[i].value);
	}
	g_assert_null(store_setting(f->store, "cache_size; DROP TABLE tickets", &error));
	g_assert_error(error, STORE_ERROR, STORE_ERROR_NOT_FOUND);
	g_clear_error(&error);
	g_assert_true(store_checkpoint(f->store, &error));
	g_assert_no_error(error);
}

/* ---- accounts ---- */

static void
test_open_errors(fixture *f, gconstpointer data)
{
	g_autofree char *missing = g_build_filename(f->dir, "no-such-dir", "ticketd.db", NULL);
	g_autofree char *garbage = g_build_filename(f->dir, "garbage.db", NULL);
	static const char junk[] = "this is not an SQLite database, just some text that is long "
		"enough to look like a header and a page of data, with nothing else in it at all.";
	const char *paths[] = { missing, garbage };
	GError *error = NULL;

	g_assert_true(g_file_set_contents(garbage, junk, sizeof junk - 1, &error));
	for (gsize i = 0; i < G_N_ELEMENTS(paths); i++) {
		store *s = store_open(paths[i], &error);
		g_assert_null(s);
		g_assert_error(error, STORE_ERROR, STORE_ERROR_FAILED);
		g_assert_nonnull(strstr(error->message, paths[i]));
		g_test_message("%s", error->message);
		g_clear_error(&error);
	}
	g_remove(garbage);
}

static void
test_accounts(fixture *f, gconstpointer data)
{
	GError *error = NULL;
	store_account account = { 0 };
	int64_t id = add_account(f->store, "Ana@Cliente.es");
	g_autoptr(GPtrArray) list = NULL;

	g_assert_true(store_account_by_email(f->store, "ana@cliente.es", &account, &error));
	g_assert_no_error(error);
	g_assert_cmpint(account.id, ==, id);
	g_assert_cmpstr(account.language, ==, "es");
	g_assert_false(account.disabled);
	store_account_clear(&account);

	g_assert_cmpint(store_account_add(f->store, "ANA@CLIENTE.ES", "", "en", &error), ==, 0);
	g_assert_error(error, STORE_ERROR, STORE_ERROR_CONSTRAINT);
	g_assert_nonnull(strstr(error->message, f->path));
	g_clear_error(&error);

	g_assert_true(store_account_set_disabled(f->store, id, TRUE, &error));
	g_assert_true(store_account_by_id(f->store, id, &account, &error));
	g_assert_no_error(error);
	g_assert_true(account.disabled);
	g_assert_cmpstr(account.email, ==, "Ana@Cliente.es");
	store_account_clear(&account);

	g_assert_false(store_account_by_email(f->store, "nadie@cliente.es", &account, &error));
	g_assert_no_error(error);
	g_assert_false(store_account_set_disabled(f->store, 999, TRUE, &error));
	g_assert_error(error, STORE_ERROR, STORE_ERROR_NOT_FOUND);
	g_clear_error(&error);

	add_account(f->store, "bea@cliente.es");
	list = store_account_list(f->store, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(list->len, ==, 2);
}

static void
test_subaccounts(fixture *f, gconstpointer data)
{
	GError *error = NULL;
	store_subaccount sub = { 0 };
	int64_t account = add_account(f->store, "jefe@empresa.es");
	int64_t id = store_subaccount_add(f->store, account, "Tecnico@Empresa.es", TRUE, FALSE,
	                                  &error);
	g_autoptr(GPtrArray) list = NULL;

	g_assert_no_error(error);
	g_assert_cmpint(id, >, 0);
	g_assert_true(store_subaccount_by_email(f->store, "TECNICO@empresa.ES", &sub, &error));
	g_assert_cmpint(sub.account_id, ==, account);
	g_assert_true(sub.notify);
	g_assert_false(sub.can_open);
	store_subaccount_clear(&sub);

	g_assert_cmpint(store_subaccount_add(f->store, 4242, "x@empresa.es", TRUE, TRUE, &error),
	                ==, 0);
	g_assert_error(error, STORE_ERROR, STORE_ERROR_CONSTRAINT);
	g_clear_error(&error);

	list = store_subaccount_list(f->store, account, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(list->len, ==, 1);
	g_assert_true(store_subaccount_remove(f->store, "tecnico@empresa.es", &error));
	g_assert_no_error(error);
	g_assert_false(store_subaccount_remove(f->store, "tecnico@empresa.es", &error));
	g_assert_error(error, STORE_ERROR, STORE_ERROR_NOT_FOUND);
	g_clear_error(&error);
	g_assert_false(store_subaccount_by_email(f->store, "tecnico@empresa.es", NULL, &error));
	g_assert_no_error(error);
}

/* ---- tickets and messages ---- */

static void
test_tickets(fixture *f, gconstpointer data)
{
	GError *error = NULL;
	store_ticket ticket = { 0 };
	int64_t account = add_account(f->store, "ana@cliente.es");
	int64_t id = add_ticket(f->store, "KQZ-482913", account, "soporte", "Cámara rota", 1000);

	g_assert_true(store_code_exists(f->store, "KQZ-482913", &error));
	g_assert_false(store_code_exists(f->store, "KQZ-000000", &error));
	g_assert_no_error(error);
	g_assert_true(store_ticket_by_code(f->store, "kqz-482913", &ticket, &error));
	g_assert_cmpint(ticket.id, ==, id);
	g_assert_cmpstr(ticket.account_email, ==, "ana@cliente.es");
	g_assert_cmpstr(ticket.priority, ==, "medium");
	g_assert_cmpstr(ticket.status, ==, "open");
	g_assert_null(ticket.assignee);
	g_assert_cmpint(ticket.last_customer, ==, 0);
	store_ticket_clear(&ticket);

	g_assert_cmpint(store_ticket_add(f->store, "KQZ-482913", account, "soporte", "otra",
	                                 "open", 1001, &error), ==, 0);
	g_assert_error(error, STORE_ERROR, STORE_ERROR_CONSTRAINT);
	g_clear_error(&error);

	add_message(f->store, id, "<abc.123@cliente.es>", "Cámara rota", "No va", 1100);
	g_assert_true(store_message_id_add(f->store, "ticketd.1@example.com", id, &error));
	g_assert_no_error(error);
	static const char *const known[] = {
		"abc.123@cliente.es", "<abc.123@cliente.es>", " <ticketd.1@example.com> ",
	};
	for (gsize i = 0; i < G_N_ELEMENTS(known); i++) {
		g_assert_true(store_ticket_by_message_id(f->store, known[i], &ticket, &error));
		g_assert_cmpstr(ticket.code, ==, "KQZ-482913");
		g_assert_cmpint(ticket.message_count, ==, 1);
		g_assert_cmpint(ticket.updated, ==, 1100);
		store_ticket_clear(&ticket);
	}
	g_assert_false(store_ticket_by_message_id(f->store, "otro@x", &ticket, &error));
	g_assert_no_error(error);
}

static void
test_ticket_updates(fixture *f, gconstpointer data)
{
	GError *error = NULL;
	store_ticket ticket = { 0 };
	int64_t account = add_account(f->store, "ana@cliente.es");
	int64_t id = add_ticket(f->store, "KQZ-482913", account, "soporte", "Cámara rota", 1000);

	g_assert_true(store_ticket_set_status(f->store, id, "answered", 1200, &error));
	g_assert_true(store_ticket_set_assignee(f->store, id, "pepe", &error));
	g_assert_true(store_ticket_touch_customer(f->store, id, 1300, &error));
	g_assert_no_error(error);
	g_assert_false(store_ticket_set_status(f->store, id, "bogus", 1200, &error));
	g_assert_error(error, STORE_ERROR, STORE_ERROR_CONSTRAINT);
	g_clear_error(&error);
	g_assert_true(store_ticket_by_id(f->store, id, &ticket, &error));
	g_assert_cmpstr(ticket.status, ==, "answered");
	g_assert_cmpstr(ticket.assignee, ==, "pepe");
	g_assert_cmpint(ticket.last_customer, ==, 1300);
	g_assert_cmpint(ticket.updated, ==, 1300);
	store_ticket_clear(&ticket);

	int64_t other = add_ticket(f->store, "ABC-111111", account, "soporte", "dup", 1400);
	g_assert_true(store_ticket_set_merged(f->store, other, id, &error));
	g_assert_true(store_ticket_by_id(f->store, other, &ticket, &error));
	g_assert_cmpint(ticket.merged_into, ==, id);
	store_ticket_clear(&ticket);
	g_assert_false(store_ticket_set_status(f->store, 999, "closed", 1, &error));
	g_assert_error(error, STORE_ERROR, STORE_ERROR_NOT_FOUND);
	g_clear_error(&error);
}

static void
test_messages(fixture *f, gconstpointer data)
{
	GError *error = NULL;
	int64_t id = add_ticket(f->store, "MSG-000001", 0, "ventas", "Hola", 10);
	g_autoptr(GPtrArray) thread = NULL;
	const store_message_row *row;

	add_message(f->store, id, "a@x", "Hola", "primero", 20);
	add_message(f->store, id, "a@x", "Re: Hola", "mismo Message-ID", 30);
	thread = store_message_list(f->store, id, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(thread->len, ==, 2);
	row = g_ptr_array_index(thread, 0);
	g_assert_cmpstr(row->text, ==, "primero");
	g_assert_cmpstr(row->direction, ==, "in");
	g_assert_null(row->in_reply_to);
	g_assert_cmpint(raw_int(f->path, "SELECT count(*) FROM message_ids"), ==, 1);

	store_message_row bad = { .ticket_id = 999, .direction = "in", .created = 5 };
	g_assert_cmpint(store_message_add(f->store, &bad, &error), ==, 0);
	g_assert_error(error, STORE_ERROR, STORE_ERROR_CONSTRAINT);
	g_clear_error(&error);
	g_assert_cmpint(raw_int(f->path, "SELECT count(*) FROM messages"), ==, 2);
}

static void
test_raw_bytes(fixture *f, gconstpointer data)
{
	static const char raw[] = "From: a@x\r\nSubject: nul\r\n\r\nuno\0dos\r\n\xff\xfe\0\0fin\n.\r\n";
	GError *error = NULL;
	int64_t id = add_ticket(f->store, "RAW-000001", 0, "soporte", "nul", 10);
	store_message_row row = {
		.ticket_id = id, .direction = "in", .raw = raw, .raw_length = sizeof raw - 1,
		.created = 11,
	};
	int64_t message = store_message_add(f->store, &row, &error);
	g_autoptr(GBytes) back = NULL;
	gsize length = 0;
	const char *bytes;

	g_assert_no_error(error);
	back = store_raw_message(f->store, message, &error);
	g_assert_no_error(error);
	bytes = g_bytes_get_data(back, &length);
	g_assert_cmpmem(bytes, length, raw, sizeof raw - 1);

	g_assert_null(store_raw_message(f->store, 999, &error));
	g_assert_error(error, STORE_ERROR, STORE_ERROR_NOT_FOUND);
	g_clear_error(&error);

	g_assert_cmpint(store_hold_add(f->store, "unknown sender", "", "soporte@example.com",
	                               raw, sizeof raw - 1, 12, &error), >, 0);
	g_assert_no_error(error);
	g_assert_cmpint(raw_int(f->path, "SELECT length(raw) FROM held"), ==, sizeof raw - 1);
}

static void
test_attachment_dedup(fixture *f, gconstpointer data)
{
	static const char content[] = "%PDF-1.4\n\0binary\xff";
	GError *error = NULL;
	g_autoptr(GBytes) pdf = g_bytes_new_static(content, sizeof content - 1);
	g_autofree char *sha = g_compute_checksum_for_bytes(G_CHECKSUM_SHA256, pdf);
	int64_t ticket = add_ticket(f->store, "ATT-000001", 0, "facturacion", "Factura", 10);
	int64_t first = add_message(f->store, ticket, "1@x", "Factura", "adjunta", 11);
	int64_t second = add_message(f->store, ticket, "2@x", "Re: Factura", "otra vez", 12);
	g_autoptr(GPtrArray) list = NULL;
	g_autoptr(GBytes) back = NULL;

	g_assert_true(store_attachment_add(f->store, first, "factura.pdf", "application/pdf",
	                                   sizeof content - 1, sha, pdf, &error));
	g_assert_true(store_attachment_add(f->store, second, "factura (1).pdf", "application/pdf",
	                                   sizeof content - 1, NULL, pdf, &error));
	g_assert_true(store_attachment_add(f->store, second, "copia.pdf", NULL,
	                                   sizeof content - 1, sha, NULL, &error));
	g_assert_no_error(error);
	g_assert_cmpint(raw_int(f->path, "SELECT count(*) FROM blobs"), ==, 1);
	g_assert_cmpint(raw_int(f->path, "SELECT count(*) FROM attachments"), ==, 3);

	list = store_attachment_list(f->store, ticket, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(list->len, ==, 3);
	for (guint i = 0; i < list->len; i++) {
		store_attachment_info *info = g_ptr_array_index(list, i);
		g_assert_cmpint(info->index, ==, (int)i + 1);
		g_assert_cmpstr(info->sha256, ==, sha);
	}
	g_assert_cmpstr(((store_attachment_info *)g_ptr_array_index(list, 2))->filename, ==,
	                "copia.pdf");

	back = store_attachment_data(f->store, sha, &error);
	g_assert_no_error(error);
	g_assert_true(g_bytes_equal(back, pdf));

	g_assert_false(store_attachment_add(f->store, first, "x", NULL, 1,
	                                    "00000000000000000000000000000000", pdf, &error));
	g_assert_error(error, STORE_ERROR, STORE_ERROR_FAILED);
	g_clear_error(&error);
	g_assert_false(store_attachment_add(f->store, first, "x", NULL, 1,
	                                    "ab", NULL, &error));
	g_assert_error(error, STORE_ERROR, STORE_ERROR_CONSTRAINT);
	g_clear_error(&error);
}

static void
test_deliveries(fixture *f, gconstpointer data)
{
	GError *error = NULL;
	int64_t ticket = add_ticket(f->store, "DLV-000001", 0, "soporte", "x", 10);
	g_autofree char *action = NULL;
	g_autofree char *code = NULL;

	g_assert_false(store_delivery_find(f->store, "m@x", "soporte", &action, &code, &error));
	g_assert_no_error(error);
	g_assert_true(store_delivery_add(f->store, "m@x", "soporte", "new", ticket, &error));
	g_assert_true(store_delivery_add(f->store, "m@x", "ventas", "drop", 0, &error));
	g_assert_no_error(error);
	g_assert_false(store_delivery_add(f->store, "m@x", "soporte", "reply", ticket, &error));
	g_assert_error(error, STORE_ERROR, STORE_ERROR_CONSTRAINT);
	g_clear_error(&error);

	g_assert_true(store_delivery_find(f->store, "m@x", "soporte", &action, &code, &error));
	g_assert_cmpstr(action, ==, "new");
	g_assert_cmpstr(code, ==, "DLV-000001");
	g_clear_pointer(&action, g_free);
	g_clear_pointer(&code, g_free);
	g_assert_true(store_delivery_find(f->store, "m@x", "ventas", &action, &code, &error));
	g_assert_cmpstr(action, ==, "drop");
	g_assert_null(code);
}

static void
test_events(fixture *f, gconstpointer data)
{
	GError *error = NULL;
	int64_t ticket = add_ticket(f->store, "EVT-000001", 0, "soporte", "x", 10);
	g_autoptr(GPtrArray) events = NULL;
	store_event *event;

	g_assert_true(store_event_add(f->store, ticket, "status", "pepe@example.com", "open",
	                              "answered", NULL, 20, &error));
	g_assert_true(store_event_add(f->store, ticket, "assigned", NULL, NULL, NULL, "pepe",
	                              30, &error));
	g_assert_no_error(error);
	events = store_event_list(f->store, ticket, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(events->len, ==, 2);
	event = g_ptr_array_index(events, 0);
	g_assert_cmpstr(event->new_status, ==, "answered");
	g_assert_cmpint(event->created, ==, 20);
	event = g_ptr_array_index(events, 1);
	g_assert_cmpstr(event->actor, ==, "");
	g_assert_cmpstr(event->detail, ==, "pepe");
}

/* ---- queue order ---- */

static void
test_list_order(fixture *f, gconstpointer data)
{
	GError *error = NULL;
	int64_t ana = add_account(f->store, "ana@cliente.es");
	int64_t bea = add_account(f->store, "bea@cliente.es");
	int64_t one = add_ticket(f->store, "ORD-000001", ana, "soporte", "uno", 100);
	int64_t two = add_ticket(f->store, "ORD-000002", bea, "soporte", "dos", 200);
	int64_t three = add_ticket(f->store, "ORD-000003", ana, "ventas", "tres", 300);
	static const struct {
		store_ticket_filter filter;
		const char *expected;
	} cases[] = {
		{ { 0 }, "ORD-000002 ORD-000003 ORD-000001" },
		{ { .department = "soporte" }, "ORD-000002 ORD-000001" },
		{ { .account = "ANA@cliente.es" }, "ORD-000003 ORD-000001" },
		{ { .status = "customer_reply" }, "ORD-000003 ORD-000001" },
		{ { .status = "open" }, "ORD-000002" },
		{ { .assignee = "pepe" }, "ORD-000001" },
		{ { .since = 200 }, "ORD-000002 ORD-000003" },
		{ { .since = 100, .until = 300 }, "ORD-000002 ORD-000001" },
		{ { .status = "closed" }, "" },
		{ { .status = "open,customer_reply" }, "ORD-000002 ORD-000003 ORD-000001" },
		{ { .status = "closed,open" }, "ORD-000002" },
		{ { .status = "custom" }, "" },
		{ { .assignee = "" }, "ORD-000002 ORD-000003" },
	};

	g_assert_true(store_ticket_touch_customer(f->store, one, 500, &error));
	g_assert_true(store_ticket_touch_customer(f->store, three, 250, &error));
	g_assert_true(store_ticket_set_status(f->store, one, "customer_reply", 500, &error));
	g_assert_true(store_ticket_set_status(f->store, three, "customer_reply", 250, &error));
	g_assert_true(store_ticket_set_assignee(f->store, one, "pepe", &error));
	g_assert_no_error(error);
	(void)two;
	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(GPtrArray) list = store_ticket_list(f->store, &cases[i].filter, &error);
		g_autoptr(GString) codes = g_string_new(NULL);
		g_assert_no_error(error);
		for (guint j = 0; j < list->len; j++)
			g_string_append_printf(codes, "%s%s", j ? " " : "",
			                       ((store_ticket *)g_ptr_array_index(list, j))->code);
		g_test_message("case %zu", i);
		g_assert_cmpstr(codes->str, ==, cases[i].expected);
	}
}

/* ---- search ---- */

static void
search_fill(store *s)
{
	int64_t a = add_ticket(s, "SRC-000001", 0, "soporte", "La cámara no graba", 10);
	int64_t b = add_ticket(s, "SRC-000002", 0, "soporte", "Pingüino de peluche", 20);
	int64_t c = add_ticket(s, "SRC-000003", 0, "facturacion", "Factura de marzo", 30);

	add_message(s, a, "a1@x", "La cámara no graba", "Desde ayer la cámara IP no graba.", 11);
	add_message(s, a, "a2@x", "Re: La cámara no graba", "Sigue igual, la cámara falla.", 12);
	add_message(s, a, "a3@x", "Re: La cámara no graba", "¿Alguna acción? Cámara, cámara.", 13);
	add_message(s, b, "b1@x", "Pingüino de peluche", "Quiero añadir un pingüino.", 21);
	add_message(s, c, "c1@x", "Factura de marzo", "La facturación está mal.", 31);
}

static char *
search_codes(store *s, const char *query)
{
	GError *error = NULL;
	g_autoptr(GPtrArray) hits = store_search(s, query, 0, &error);
	GString *codes = g_string_new(NULL);

	g_assert_no_error(error);
	g_assert_nonnull(hits);
	for (guint i = 0; i < hits->len; i++) {
		store_search_hit *hit = g_ptr_array_index(hits, i);
		g_assert_nonnull(hit->snippet);
		g_assert_nonnull(hit->subject);
		g_string_append_printf(codes, "%s%s", i ? " " : "", hit->code);
	}
	return g_string_free(codes, FALSE);
}

static void
test_search_accents(fixture *f, gconstpointer data)
{
	static const struct { const char *query, *expected; } cases[] = {
		{ "camara", "SRC-000001" },
		{ "CÁMARA", "SRC-000001" },
		{ "pinguino", "SRC-000002" },
		{ "anadir", "SRC-000002" },
		{ "accion", "SRC-000001" },
		{ "factu*", "SRC-000003" },
		{ "  camara   graba ", "SRC-000001" },
		{ "camara pinguino", "" },
		{ "telefono", "" },
		{ "", "" },
	};

	search_fill(f->store);
	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree char *codes = search_codes(f->store, cases[i].query);
		g_test_message("query [%s]", cases[i].query);
		g_assert_cmpstr(codes, ==, cases[i].expected);
	}
}

static void
test_search_grouped(fixture *f, gconstpointer data)
{
	GError *error = NULL;
	g_autoptr(GPtrArray) hits = NULL;
	store_search_hit *hit;

	search_fill(f->store);
	hits = store_search(f->store, "la", 0, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(hits->len, ==, 2);          /* SRC-000001 matched by three messages */
	hit = g_ptr_array_index(hits, 0);
	g_assert_cmpfloat(hit->rank, >=, ((store_search_hit *)g_ptr_array_index(hits, 1))->rank);
	g_clear_pointer(&hits, g_ptr_array_unref);
	hits = store_search(f->store, "camara", 1, &error);
	g_assert_cmpuint(hits->len, ==, 1);
	hit = g_ptr_array_index(hits, 0);
	g_assert_nonnull(strstr(hit->snippet, "["));
}

static void
test_search_hostile(fixture *f, gconstpointer data)
{
	static const char *const queries[] = {
		"\"", "'", ")", "(", "NEAR(", "NEAR(camara graba", "*", "**", "camara*", "\"camara",
		"; DROP TABLE tickets; --", "camara OR", "AND", "NOT camara", "-camara", "^camara",
		"subject:camara", "{subject text}:camara", "camara\"; DELETE FROM messages; --",
		"\"\"\"", "+", "camara + graba", "\xc3", "'); DROP TABLE messages_fts; --",
	};
	GError *error = NULL;
	store_ticket ticket = { 0 };

	search_fill(f->store);
	for (gsize i = 0; i < G_N_ELEMENTS(queries); i++) {
		g_autoptr(GPtrArray) hits = store_search(f->store, queries[i], 10, &error);
		g_autofree char *printable = g_strescape(queries[i], NULL);
		g_test_message("query [%s]", printable);
		g_assert_no_error(error);
		g_assert_nonnull(hits);
	}
	g_assert_true(store_ticket_by_code(f->store, "SRC-000001", &ticket, &error));
	store_ticket_clear(&ticket);
	g_assert_cmpint(raw_int(f->path, "SELECT count(*) FROM tickets"), ==, 3);
	g_assert_cmpint(raw_int(f->path, "SELECT count(*) FROM messages"), ==, 5);
	g_free(search_codes(f->store, "camara"));
}

/* ---- outbox ---- */

static const char mail[] = "From: soporte@example.com\r\n\r\nHola\r\n";

static int64_t
queue_mail(store *s, const char *recipient, const char *kind, int64_t created)
{
	g_autoptr(GBytes) bytes = g_bytes_new_static(mail, sizeof mail - 1);
	store_outbox_row row = {
		.recipient = (char *)recipient, .kind = (char *)kind, .message_id = "n@example.com",
		.envelope_from = "", .mail = bytes, .next_try = created, .created = created,
	};
	GError *error = NULL;
	int64_t id = store_outbox_add(s, &row, &error);

	g_assert_no_error(error);
	g_assert_cmpint(id, >, 0);
	return id;
}

static void
test_outbox_claim(fixture *f, gconstpointer data)
{
	GError *error = NULL;
	int64_t id = queue_mail(f->store, "ana@cliente.es", "created", 1000);
	store_outbox_row *row;

	g_assert_null(store_outbox_claim(f->store, 999, 60, &error));       /* not due yet */
	g_assert_no_error(error);
	row = store_outbox_claim(f->store, 1000, 60, &error);
	g_assert_no_error(error);
	g_assert_nonnull(row);
	g_assert_cmpint(row->id, ==, id);
	g_assert_cmpstr(row->state, ==, "sending");
	g_assert_cmpstr(row->envelope_from, ==, "");
	g_assert_cmpmem(g_bytes_get_data(row->mail, NULL), g_bytes_get_size(row->mail),
	                mail, sizeof mail - 1);
	store_outbox_row_free(row);
	g_assert_null(store_outbox_claim(f->store, 1000, 60, &error));
	g_assert_no_error(error);
	g_assert_null(store_outbox_claim(f->store, 1059, 60, &error));      /* lease holds */
	g_assert_no_error(error);
}

static void
test_outbox_lease_expired(fixture *f, gconstpointer data)
{
	GError *error = NULL;
	int64_t id = queue_mail(f->store, "ana@cliente.es", "created", 1000);
	store_outbox_row *row = store_outbox_claim(f->store, 1000, 60, &error);

	g_assert_nonnull(row);
	store_outbox_row_free(row);
	row = store_outbox_claim(f->store, 1060, 60, &error);              /* sender died */
	g_assert_no_error(error);
	g_assert_nonnull(row);
	g_assert_cmpint(row->id, ==, id);
	store_outbox_row_free(row);
	g_assert_null(store_outbox_claim(f->store, 1061, 60, &error));
	g_assert_no_error(error);
}

static void
test_outbox_mark(fixture *f, gconstpointer data)
{
	GError *error = NULL;
	int64_t sent = queue_mail(f->store, "Ana@Cliente.es", "created", 1000);
	int64_t failed = queue_mail(f->store, "ana@cliente.es", "status", 1000);
	g_autoptr(GPtrArray) list = NULL;
	store_outbox_row *row;

	queue_mail(f->store, "ana@cliente.es", "staff_reply", 1000);
	queue_mail(f->store, "ana@cliente.es", "status", 500);
	queue_mail(f->store, "bea@cliente.es", "status", 1000);
	g_setenv("TICKETD_NOW", "1005", TRUE);
	g_assert_true(store_outbox_mark(f->store, sent, "sent", 1, 0, NULL, &error));
	g_assert_true(store_outbox_mark(f->store, failed, "failed", 3, 0, "550 5.1.1 no", &error));
	g_assert_no_error(error);
	g_assert_cmpint(raw_int(f->path, "SELECT sent FROM outbox WHERE id = 1"), ==, 1005);
	g_assert_false(store_outbox_mark(f->store, 999, "sent", 1, 0, NULL, &error));
	g_assert_error(error, STORE_ERROR, STORE_ERROR_NOT_FOUND);
	g_clear_error(&error);
	g_assert_false(store_outbox_mark(f->store, sent, "lost", 1, 0, NULL, &error));
	g_assert_error(error, STORE_ERROR, STORE_ERROR_CONSTRAINT);
	g_clear_error(&error);

	g_assert_cmpint(store_outbox_count_recent(f->store, "ANA@cliente.es", 900, 100, &error), ==, 2);
	g_assert_cmpint(store_outbox_count_recent(f->store, "ana@cliente.es", 0, 100, &error), ==, 3);
	/* The count stops at the limit the caller compares with. */
	g_assert_cmpint(store_outbox_count_recent(f->store, "ana@cliente.es", 0, 2, &error), ==, 2);
	g_assert_no_error(error);

	list = store_outbox_list(f->store, TRUE, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(list->len, ==, 1);
	row = g_ptr_array_index(list, 0);
	g_assert_cmpstr(row->last_error, ==, "550 5.1.1 no");
	g_assert_cmpint(row->attempts, ==, 3);
	g_clear_pointer(&list, g_ptr_array_unref);
	list = store_outbox_list(f->store, FALSE, &error);
	g_assert_cmpuint(list->len, ==, 5);

	g_assert_false(store_outbox_retry(f->store, sent, 2000, &error));    /* not failed */
	g_assert_error(error, STORE_ERROR, STORE_ERROR_NOT_FOUND);
	g_clear_error(&error);
	g_assert_true(store_outbox_retry(f->store, failed, 2000, &error));
	g_assert_no_error(error);
	g_assert_cmpint(raw_int(f->path, "SELECT next_try FROM outbox WHERE id = 2"), ==, 2000);
	g_assert_cmpint(raw_int(f->path, "SELECT state = 'queued' FROM outbox WHERE id = 2"),
	                ==, 1);
	g_unsetenv("TICKETD_NOW");
}

typedef struct {
	const char *path;
	GMutex *lock;
	GHashTable *seen;           /* id → number of times claimed */
	int claimed;
} claimer;

static gpointer
claim_until_empty(gpointer data)
{
	claimer *c = data;
	GError *error = NULL;
	store *s = store_open(c->path, &error);
	store_outbox_row *row;

	g_assert_no_error(error);
	while ((row = store_outbox_claim(s, 5000, 600, &error)) != NULL) {
		g_mutex_lock(c->lock);
		int64_t *key = g_new(int64_t, 1);
		*key = row->id;
		guint times = GPOINTER_TO_UINT(g_hash_table_lookup(c->seen, key));
		g_hash_table_replace(c->seen, key, GUINT_TO_POINTER(times + 1));
		c->claimed++;
		g_mutex_unlock(c->lock);
		store_outbox_row_free(row);
	}
	g_assert_no_error(error);
	store_close(s);
	return NULL;
}

static void
test_outbox_concurrent(fixture *f, gconstpointer data)
{
	enum { ROWS = 200, THREADS = 4 };
	GMutex lock;
	GHashTableIter iter;
	gpointer value;
	GThread *threads[THREADS];
	claimer shared = { .path = f->path, .lock = &lock,
	                   .seen = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL) };

	g_mutex_init(&lock);
	for (int i = 0; i < ROWS; i++)
		queue_mail(f->store, "ana@cliente.es", "created", 1000 + i);
	for (int i = 0; i < THREADS; i++)
		threads[i] = g_thread_new("claimer", claim_until_empty, &shared);
	for (int i = 0; i < THREADS; i++)
		g_thread_join(threads[i]);
	g_assert_cmpint(shared.claimed, ==, ROWS);
	g_assert_cmpuint(g_hash_table_size(shared.seen), ==, ROWS);
	g_hash_table_iter_init(&iter, shared.seen);
	while (g_hash_table_iter_next(&iter, NULL, &value))
		g_assert_cmpuint(GPOINTER_TO_UINT(value), ==, 1);
	g_hash_table_unref(shared.seen);
	g_mutex_clear(&lock);
}

static const char *test_program;            /* argv[0], to start claimer processes */

/* claim_child - `test-store --claim-child DB`: claim until nothing is due, print each id. */
static int
claim_child(const char *path)
{
	GError *error = NULL;
	store *s = store_open(path, &error);
	store_outbox_row *row;

	if (s == NULL)
		return 2;
	while ((row = store_outbox_claim(s, 5000, 600, &error)) != NULL) {
		printf("%" G_GINT64_FORMAT "\n", (gint64)row->id);
		store_outbox_row_free(row);
	}
	store_close(s);
	return error == NULL ? 0 : 4;
}

/* read_claims - the ids one claimer process printed, each seen only once overall. */
static void
read_claims(int fd, GHashTable *seen)
{
	g_autoptr(GIOChannel) channel = g_io_channel_unix_new(fd);
	char *line = NULL;

	g_io_channel_set_close_on_unref(channel, TRUE);
	while (g_io_channel_read_line(channel, &line, NULL, NULL, NULL) == G_IO_STATUS_NORMAL) {
		gint64 id = g_ascii_strtoll(line, NULL, 10);
		g_free(line);
		g_assert_false(g_hash_table_contains(seen, &id));
		g_hash_table_add(seen, g_memdup2(&id, sizeof id));
	}
}

static void
test_outbox_processes(fixture *f, gconstpointer data)
{
	enum { ROWS = 150, CHILDREN = 3 };
	g_autoptr(GHashTable) seen = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL);
	const char *argv[] = { test_program, "--claim-child", f->path, NULL };
	GPid children[CHILDREN];
	int out[CHILDREN];
	GError *error = NULL;

	for (int i = 0; i < ROWS; i++)
		queue_mail(f->store, "ana@cliente.es", "created", 1000 + i);
	for (int i = 0; i < CHILDREN; i++) {
		g_spawn_async_with_pipes(NULL, (char **)argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD,
		                         NULL, NULL, &children[i], NULL, &out[i], NULL, &error);
		g_assert_no_error(error);
	}
	for (int i = 0; i < CHILDREN; i++) {
		int status = 0;
		read_claims(out[i], seen);
		g_assert_cmpint(waitpid(children[i], &status, 0), ==, children[i]);
		g_assert_true(g_spawn_check_wait_status(status, &error));
		g_assert_no_error(error);
		g_spawn_close_pid(children[i]);
	}
	g_assert_cmpuint(g_hash_table_size(seen), ==, ROWS);
}

/* ---- transactions ---- */

static void
test_rollback(fixture *f, gconstpointer data)
{
	GError *error = NULL;
	store_message_row bad = { .ticket_id = 999, .direction = "in", .created = 5 };

	g_assert_true(store_begin(f->store, &error));
	add_account(f->store, "fantasma@cliente.es");
	add_ticket(f->store, "RBK-000001", 0, "soporte", "x", 10);
	store_rollback(f->store);
	g_assert_false(store_account_by_email(f->store, "fantasma@cliente.es", NULL, &error));
	g_assert_false(store_code_exists(f->store, "RBK-000001", &error));
	g_assert_no_error(error);

	/* A failed unit of work inside a caller's transaction undoes only itself. */
	g_assert_true(store_begin(f->store, &error));
	add_account(f->store, "real@cliente.es");
	g_assert_cmpint(store_message_add(f->store, &bad, &error), ==, 0);
	g_assert_error(error, STORE_ERROR, STORE_ERROR_CONSTRAINT);
	g_clear_error(&error);
	g_assert_true(store_commit(f->store, &error));
	g_assert_no_error(error);
	g_assert_true(store_account_by_email(f->store, "real@cliente.es", NULL, &error));
	g_assert_cmpint(raw_int(f->path, "SELECT count(*) FROM messages"), ==, 0);

	g_assert_false(store_commit(f->store, &error));                  /* none open */
	g_assert_nonnull(error);
	g_clear_error(&error);
}

static void
test_busy(fixture *f, gconstpointer data)
{
	GError *error = NULL;
	sqlite3 *other = NULL;
	store_outbox_row *row;

	g_assert_cmpint(sqlite3_open(f->path, &other), ==, SQLITE_OK);
	g_assert_cmpint(sqlite3_exec(other, "BEGIN IMMEDIATE", NULL, NULL, NULL), ==, SQLITE_OK);
	store_set_busy_timeout(f->store, 50);

	g_assert_false(store_begin(f->store, &error));
	g_assert_error(error, STORE_ERROR, STORE_ERROR_BUSY);
	g_assert_nonnull(strstr(error->message, f->path));
	g_assert_nonnull(strstr(error->message, "try again"));
	g_clear_error(&error);
	g_assert_cmpint(store_account_add(f->store, "ana@cliente.es", "", "", &error), ==, 0);
	g_assert_error(error, STORE_ERROR, STORE_ERROR_BUSY);
	g_clear_error(&error);
	row = store_outbox_claim(f->store, 1000, 60, &error);
	g_assert_null(row);
	g_assert_error(error, STORE_ERROR, STORE_ERROR_BUSY);
	g_clear_error(&error);

	/* Readers still read while another process writes. */
	g_assert_false(store_account_by_email(f->store, "ana@cliente.es", NULL, &error));
	g_assert_no_error(error);
	sqlite3_exec(other, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_close(other);
	g_assert_cmpint(store_account_add(f->store, "ana@cliente.es", "", "", &error), >, 0);
	g_assert_no_error(error);
}

static void
test_now(fixture *f, gconstpointer data)
{
	static const struct { const char *value; gboolean fake; } cases[] = {
		{ "1700000000", TRUE }, { "", FALSE }, { "mañana", FALSE }, { "12x", FALSE },
		{ "-5", FALSE },
	};

	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_setenv("TICKETD_NOW", cases[i].value, TRUE);
		if (cases[i].fake)
			g_assert_cmpint(store_now(), ==, 1700000000);
		else
			g_assert_cmpint(store_now(), >, 1700000000);
	}
	g_unsetenv("TICKETD_NOW");
}

/* A version 2 database (before IMAP state) is migrated and keeps its rows. */
static void
test_migrate_from_v2(fixture *f, gconstpointer data)
{
	GError *error = NULL;
	sqlite3 *db = NULL;
	uint32_t validity = 0, last = 0;

	g_assert_cmpint(store_account_add(f->store, "ana@example.net", "Ana", "es", &error), >, 0);
	g_assert_no_error(error);
	store_close(f->store);
	g_assert_cmpint(sqlite3_open(f->path, &db), ==, SQLITE_OK);
	g_assert_cmpint(sqlite3_exec(db, "DROP TABLE imap_state; DROP INDEX outbox_automatic; DROP TABLE intake;"
	                             " DROP TABLE held_outcome; ALTER TABLE outbox DROP COLUMN automatic;"
	                             " PRAGMA user_version = 2", NULL, NULL, NULL),
	                ==, SQLITE_OK);
	sqlite3_close(db);
	f->store = store_open(f->path, &error);
	g_assert_no_error(error);
	g_assert_cmpint(raw_int(f->path, "PRAGMA user_version"), ==, STORE_SCHEMA_VERSION);
	g_assert_cmpint(raw_int(f->path, "SELECT count(*) FROM accounts"), ==, 1);
	g_assert_false(store_imap_state_get(f->store, "soporte", &validity, &last, &error));
	g_assert_no_error(error);
}

/* A version 3 database keeps its held mail, byte for byte, when held is rebuilt. */
static void
test_migrate_held_from_v3(fixture *f, gconstpointer data)
{
	GError *error = NULL;
	sqlite3 *db = NULL;
	static const char raw[] = "From: a@b.es\r\n\r\nretenido\r\n";

	g_assert_cmpint(store_hold_add(f->store, "unknown sender", "a@b.es", "soporte@example.com", raw,
	                               sizeof raw - 1, 1700000000, &error), >, 0);
	g_assert_no_error(error);
	store_close(f->store);
	g_assert_cmpint(sqlite3_open(f->path, &db), ==, SQLITE_OK);
	g_assert_cmpint(sqlite3_exec(db, "DROP TABLE held_outcome; CREATE TABLE held_v3 (id INTEGER PRIMARY KEY, reason TEXT NOT NULL,"
	                             " sender TEXT, recipient TEXT, raw BLOB NOT NULL, created INTEGER NOT NULL);"
	                             "INSERT INTO held_v3 SELECT id, reason, sender, recipient, raw, created FROM held;"
	                             "DROP TABLE held; ALTER TABLE held_v3 RENAME TO held;"
	                             "CREATE INDEX held_sender ON held(sender, created);"
	                             "DROP INDEX outbox_automatic; DROP TABLE intake; ALTER TABLE outbox DROP COLUMN automatic;"
	                             " PRAGMA user_version = 3", NULL, NULL, NULL),
	                ==, SQLITE_OK);
	sqlite3_close(db);
	f->store = store_open(f->path, &error);
	g_assert_no_error(error);
	g_assert_cmpint(raw_int(f->path, "PRAGMA user_version"), ==, STORE_SCHEMA_VERSION);
	g_assert_cmpint(raw_int(f->path, "SELECT count(*) FROM held WHERE reason = 'unknown sender'"
	                        " AND sender = 'a@b.es' AND created = 1700000000"), ==, 1);
	g_assert_cmpint(raw_int(f->path, "SELECT length(raw) FROM held"), ==, sizeof raw - 1);
	g_assert_cmpint(raw_int(f->path, "SELECT cid FROM pragma_table_info('held') WHERE name = 'raw'"), ==, 5);
}

static void
test_imap_state(fixture *f, gconstpointer data)
{
	static const struct { const char *source; uint32_t validity, last; } writes[] = {
		{ "soporte", 1700000000, 0 },
		{ "soporte", 1700000000, 7 },
		{ "ventas", 4294967295u, 4294967295u },     /* both are 32-bit unsigned in IMAP */
		{ "soporte", 1700000001, 0 },               /* UIDVALIDITY changed: start again */
	};
	GError *error = NULL;
	uint32_t validity = 0, last = 0;

	g_assert_false(store_imap_state_get(f->store, "soporte", &validity, &last, &error));
	g_assert_no_error(error);
	for (gsize i = 0; i < G_N_ELEMENTS(writes); i++) {
		g_assert_true(store_imap_state_set(f->store, writes[i].source, writes[i].validity,
		                                   writes[i].last, &error));
		g_assert_no_error(error);
		g_assert_true(store_imap_state_get(f->store, writes[i].source, &validity, &last, &error));
		g_assert_no_error(error);
		g_assert_cmpuint(validity, ==, writes[i].validity);
		g_assert_cmpuint(last, ==, writes[i].last);
	}
	g_assert_true(store_imap_state_get(f->store, "ventas", &validity, &last, &error));
	g_assert_cmpuint(last, ==, 4294967295u);
	g_assert_cmpint(raw_int(f->path, "SELECT count(*) FROM imap_state"), ==, 2);
}

int
main(int argc, char **argv)
{
	static const struct { const char *path; void (*test)(fixture *, gconstpointer); } tests[] = {
		{ "/store/migrate/empty", test_migrate_empty },
		{ "/store/migrate/too-new", test_migrate_too_new },
		{ "/store/settings", test_settings },
		{ "/store/open-errors", test_open_errors },
		{ "/store/accounts", test_accounts },
		{ "/store/subaccounts", test_subaccounts },
		{ "/store/tickets", test_tickets },
		{ "/store/tickets/updates", test_ticket_updates },
		{ "/store/messages", test_messages },
		{ "/store/raw-bytes", test_raw_bytes },
		{ "/store/attachments/dedup", test_attachment_dedup },
		{ "/store/deliveries", test_deliveries },
		{ "/store/events", test_events },
		{ "/store/list/order", test_list_order },
		{ "/store/search/accents", test_search_accents },
		{ "/store/search/grouped", test_search_grouped },
		{ "/store/search/hostile", test_search_hostile },
		{ "/store/outbox/claim", test_outbox_claim },
		{ "/store/outbox/lease-expired", test_outbox_lease_expired },
		{ "/store/outbox/mark", test_outbox_mark },
		{ "/store/outbox/concurrent", test_outbox_concurrent },
		{ "/store/outbox/processes", test_outbox_processes },
		{ "/store/rollback", test_rollback },
		{ "/store/busy", test_busy },
		{ "/store/now", test_now },
		{ "/store/migrate/from-v2", test_migrate_from_v2 },
		{ "/store/migrate/held-from-v3", test_migrate_held_from_v3 },
		{ "/store/imap-state", test_imap_state },
	};

	if (argc == 3 && strcmp(argv[1], "--claim-child") == 0)
		return claim_child(argv[2]);
	test_program = argv[0];
	g_test_init(&argc, &argv, NULL);
	for (gsize i = 0; i < G_N_ELEMENTS(tests); i++)
		g_test_add(tests[i].path, fixture, NULL, fixture_set_up, tests[i].test,
		           fixture_tear_down);
	return g_test_run();
}
