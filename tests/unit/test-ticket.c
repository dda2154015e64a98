/*
 * test-ticket - every ticket transition against a temporary store: the status it leaves,
 * the event it records and the outbox rows it queues (one per recipient who may be
 * told), each case a row of one table; then opening, the closed-ticket policies and the
 * refusals.
 */
#include <glib/gstdio.h>
#include <string.h>

#include "code.h"
#include "event.h"
#include "log.h"
#include "status.h"
#include "ticket.h"

#define CUSTOMER "ana@cliente.es"
#define NOTIFIED "luis@cliente.es"      /* a sub-account that asked for mail */
#define AGENT "agente1@example.com"
#define NO_NOTICE (-1)

static char *work_dir;
static ticketd_config *config;
static store *db;
static int64_t account;

typedef enum {
	DO_STAFF_REPLY, DO_SET_STATUS, DO_CLOSE, DO_REOPEN, DO_SWEEP, DO_NOTE, DO_ASSIGN, DO_CUSTOMER_REPLY
} transition;

typedef struct {
	const char *name;
	transition what;
	const char *from;           /* the ticket's status before */
	const char *argument;       /* the status asked for, the agent, or NULL */
	const char *status;         /* the status after */
	const char *event;          /* the kind of the newest event, NULL: none recorded */
	int notice;                 /* the notify_kind of the queued rows, NO_NOTICE: none */
	int queued;                 /* outbox rows queued */
} transition_case;

static const transition_case cases[] = {
	{ "staff reply sets answered, one notice per recipient", DO_STAFF_REPLY, STATUS_OPEN, NULL,
	  STATUS_ANSWERED, EVENT_REPLY, NOTIFY_STAFF_REPLY, 2 },
	{ "staff reply with a chosen status", DO_STAFF_REPLY, STATUS_CUSTOMER_REPLY, STATUS_PENDING,
	  STATUS_PENDING, EVENT_REPLY, NOTIFY_STAFF_REPLY, 2 },
	{ "staff reply keeping the status still records the reply", DO_STAFF_REPLY, STATUS_ANSWERED, NULL,
	  STATUS_ANSWERED, EVENT_REPLY, NOTIFY_STAFF_REPLY, 2 },
	{ "status by a person", DO_SET_STATUS, STATUS_OPEN, STATUS_IN_PROGRESS,
	  STATUS_IN_PROGRESS, EVENT_STATUS, NOTIFY_STATUS, 2 },
	{ "the same status writes nothing", DO_SET_STATUS, STATUS_ON_HOLD, STATUS_ON_HOLD,
	  STATUS_ON_HOLD, NULL, NO_NOTICE, 0 },
	{ "close", DO_CLOSE, STATUS_ANSWERED, NULL, STATUS_CLOSED, EVENT_STATUS, NOTIFY_STATUS, 2 },
	{ "reopen a resolved ticket", DO_REOPEN, STATUS_RESOLVED, NULL, STATUS_OPEN, EVENT_STATUS, NOTIFY_STATUS, 2 },
	{ "a sweep that closes queues auto_closed", DO_SWEEP, STATUS_ANSWERED, STATUS_CLOSED,
	  STATUS_CLOSED, EVENT_SWEEP, NOTIFY_AUTO_CLOSED, 2 },
	{ "a sweep to another status queues status", DO_SWEEP, STATUS_PENDING, STATUS_RESOLVED,
	  STATUS_RESOLVED, EVENT_SWEEP, NOTIFY_STATUS, 2 },
	{ "note queues nothing", DO_NOTE, STATUS_OPEN, NULL, STATUS_OPEN, EVENT_NOTE, NO_NOTICE, 0 },
	{ "assign records an event and queues nothing", DO_ASSIGN, STATUS_OPEN, "agente2@example.com",
	  STATUS_OPEN, EVENT_ASSIGNED, NO_NOTICE, 0 },
	{ "unassign", DO_ASSIGN, STATUS_OPEN, NULL, STATUS_OPEN, EVENT_ASSIGNED, NO_NOTICE, 0 },
	{ "customer reply tells nobody", DO_CUSTOMER_REPLY, STATUS_ANSWERED, NULL,
	  STATUS_CUSTOMER_REPLY, EVENT_STATUS, NO_NOTICE, 0 },
	{ "customer reply to a resolved ticket reopens it, told to all but its author",
	  DO_CUSTOMER_REPLY, STATUS_RESOLVED, NULL, STATUS_CUSTOMER_REPLY, EVENT_REOPENED, NOTIFY_REOPENED, 1 },
	{ "customer reply to a closed ticket reopens it by default", DO_CUSTOMER_REPLY, STATUS_CLOSED, NULL,
	  STATUS_CUSTOMER_REPLY, EVENT_REOPENED, NOTIFY_REOPENED, 1 },
};

/* set_up - a configuration, a store and an account with one notified sub-account. */
static void
set_up(void)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *cwd = g_get_current_dir();
	g_autofree char *conf = NULL, *path = NULL, *text = NULL;

	work_dir = g_dir_make_tmp("test-ticket-XXXXXX", &error);
	g_assert_no_error(error);
	conf = g_build_filename(work_dir, "ticketd.conf", NULL);
	path = g_build_filename(work_dir, "ticketd.db", NULL);
	text = g_strdup_printf("[ticketd]\ndatabase = %s\ndomain = example.com\nstaff = " AGENT "\n"
	                       "templates = %s/etc/templates\n\n"
	                       "[department:soporte]\nname = Soporte\naddress = soporte@example.com\n\n"
	                       "[department:facturacion]\nname = Facturación\naddress = facturacion@example.com\n"
	                       "closed_reply = new\n\n"
	                       "[department:ventas]\nname = Ventas\naddress = ventas@example.com\n"
	                       "closed_reply = reject\n", path, cwd);
	g_assert_true(g_file_set_contents_full(conf, text, -1, G_FILE_SET_CONTENTS_NONE, 0640, &error));
	config = config_load(conf, &error);
	g_assert_no_error(error);
	db = store_open(path, &error);
	g_assert_no_error(error);
	account = store_account_add(db, CUSTOMER, "Ana", "es", &error);
	g_assert_no_error(error);
	g_assert_cmpint(store_subaccount_add(db, account, NOTIFIED, TRUE, FALSE, &error), >, 0);
	g_assert_no_error(error);
	g_unlink(conf);
}

static void
tear_down(void)
{
	static const char *const files[] = { "ticketd.db", "ticketd.db-wal", "ticketd.db-shm" };

	store_close(db);
	config_free(config);
	for (gsize i = 0; i < G_N_ELEMENTS(files); i++) {
		g_autofree char *path = g_build_filename(work_dir, files[i], NULL);

		g_unlink(path);
	}
	g_rmdir(work_dir);
	g_free(work_dir);
}

/* make_ticket - a ticket of the account in department with status; read back whole. */
static void
make_ticket(const char *department, const char *status, store_ticket *ticket)
{
	static int serial;
	g_autofree char *code = g_strdup_printf("TST-%06d", ++serial);
	g_autoptr(GError) error = NULL;
	int64_t id = store_ticket_add(db, code, account, department, "El correo no sale", status, 1000, &error);

	g_assert_no_error(error);
	g_assert_cmpint(id, >, 0);
	g_assert_true(store_ticket_by_id(db, id, ticket, &error));
	g_assert_no_error(error);
}

/* customer_mail - a message row as a customer's mail would give it. */
static store_message_row
customer_mail(const char *message_id)
{
	store_message_row row = {
		.author = CUSTOMER, .message_id = message_id, .subject = "RE: El correo no sale",
		.text = "Sigue igual.", .new_text = "Sigue igual.", .mail_class = "normal", .dedup_key = message_id,
	};

	return row;
}

/* customer_change - a change caused by a customer's mail to department. */
static ticket_change
customer_change(const char *department, const char *message_id)
{
	ticket_change change = {
		.config = config, .store = db, .actor = CUSTOMER, .now = 2000, .sender = CUSTOMER,
		.in_reply_to = message_id, .department = department, .code_seed = message_id,
	};

	return change;
}

/* apply - one case's transition; what it returned. */
static gboolean
apply(const transition_case *c, const store_ticket *ticket, GError **error)
{
	ticket_change change = { .config = config, .store = db, .actor = AGENT, .now = 2000 };
	ticket_reply reply = { .text = "Ya está arreglado.", .status = c->argument };
	store_message_row row = customer_mail("c1@cliente.es");
	ticket_message mail = { &row, NULL };
	ticket_reply_effect effect;
	g_autofree char *code = NULL;

	switch (c->what) {
	case DO_STAFF_REPLY:
		return ticket_staff_reply(&change, ticket, &reply, error);
	case DO_SET_STATUS:
		return ticket_set_status(&change, ticket, c->argument, error);
	case DO_CLOSE:
		return ticket_close(&change, ticket, error) != NULL;
	case DO_REOPEN:
		return ticket_reopen(&change, ticket, error) != NULL;
	case DO_SWEEP:
		change.actor = "ticketd";
		return ticket_sweep(&change, ticket, c->argument, "idle 72h", error);
	case DO_NOTE:
		return ticket_note(&change, ticket, "cliente VIP", error);
	case DO_ASSIGN:
		return ticket_assign(&change, ticket, c->argument, error);
	case DO_CUSTOMER_REPLY:
		change = customer_change("soporte", "c1@cliente.es");
		return ticket_customer_reply(&change, ticket, &mail, &effect, &code, error);
	}
	return FALSE;
}

/* queued - the outbox rows of a ticket in state queued and of kind (any kind when NULL). */
static int
queued(int64_t ticket_id, const char *kind)
{
	g_autoptr(GPtrArray) rows = store_outbox_list(db, FALSE, NULL);
	int n = 0;

	g_assert_nonnull(rows);
	for (guint i = 0; i < rows->len; i++) {
		const store_outbox_row *row = g_ptr_array_index(rows, i);

		if (row->ticket_id == ticket_id && strcmp(row->state, OUTBOX_QUEUED) == 0 &&
		    (kind == NULL || strcmp(row->kind, kind) == 0))
			n++;
	}
	return n;
}

/* newest_event - the kind of a ticket's newest event, NULL when it has none; to g_free. */
static char *
newest_event(int64_t ticket_id)
{
	g_autoptr(GPtrArray) events = store_event_list(db, ticket_id, NULL);
	const store_event *last;

	g_assert_nonnull(events);
	if (events->len == 0)
		return NULL;
	last = g_ptr_array_index(events, events->len - 1);
	return g_strdup(last->kind);
}

static void
test_transitions(void)
{
	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		const transition_case *c = &cases[i];
		store_ticket ticket = { 0 }, after = { 0 };
		g_autoptr(GError) error = NULL;
		g_autofree char *event = NULL;

		g_test_message("case %zu: %s", i, c->name);
		make_ticket("soporte", c->from, &ticket);
		g_assert_true(store_begin(db, &error));
		g_assert_true(apply(c, &ticket, &error));
		g_assert_no_error(error);
		g_assert_true(store_commit(db, &error));
		g_assert_true(store_ticket_by_id(db, ticket.id, &after, &error));
		g_assert_cmpstr(after.status, ==, c->status);
		event = newest_event(ticket.id);
		g_assert_cmpstr(event, ==, c->event);
		g_assert_cmpint(queued(ticket.id, NULL), ==, c->queued);
		if (c->notice != NO_NOTICE)
			g_assert_cmpint(queued(ticket.id, event_notice_name(c->notice)), ==, c->queued);
		store_ticket_clear(&ticket);
		store_ticket_clear(&after);
	}
}

static void
test_staff_reply_typed(void)
{
	store_ticket ticket = { 0 };
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) thread = NULL;
	ticket_change change = { .config = config, .store = db, .actor = AGENT, .now = 2000 };
	ticket_reply reply = { .text = "Hecho." };
	const store_message_row *last;

	make_ticket("soporte", STATUS_OPEN, &ticket);
	g_assert_true(store_begin(db, &error));
	g_assert_true(ticket_staff_reply(&change, &ticket, &reply, &error));
	g_assert_true(store_commit(db, &error));
	thread = store_message_list(db, ticket.id, &error);
	g_assert_cmpuint(thread->len, ==, 1);
	last = g_ptr_array_index(thread, 0);
	g_assert_cmpstr(last->direction, ==, MESSAGE_OUT);
	g_assert_cmpstr(last->author, ==, AGENT);
	g_assert_cmpstr(last->text, ==, "Hecho.");
	g_assert_cmpstr(ticket_reply_status(NULL), ==, STATUS_ANSWERED);
	store_ticket_clear(&ticket);
}

static void
test_open(void)
{
	store_message_row row = customer_mail("n1@cliente.es");
	ticket_message mail = { &row, NULL };
	ticket_change change = customer_change("soporte", "n1@cliente.es");
	store_ticket ticket = { 0 };
	g_autoptr(GError) error = NULL;
	g_autofree char *code = NULL, *event = NULL;
	int64_t id;

	row.subject = "";
	g_assert_true(store_begin(db, &error));
	id = ticket_open(&change, account, &mail, &code, &error);
	g_assert_no_error(error);
	g_assert_cmpint(id, >, 0);
	g_assert_true(store_commit(db, &error));
	g_assert_true(code_matches_mask(config->code_mask, code));
	g_assert_true(store_ticket_by_id(db, id, &ticket, &error));
	g_assert_cmpstr(ticket.status, ==, STATUS_OPEN);
	g_assert_cmpstr(ticket.department, ==, "soporte");
	g_assert_cmpstr(ticket.subject, ==, "(sin asunto)");
	event = newest_event(id);
	g_assert_cmpstr(event, ==, EVENT_CREATED);
	g_assert_cmpint(queued(id, event_notice_name(NOTIFY_CREATED)), ==, 2);     /* the sender is the account holder */
	store_ticket_clear(&ticket);
}

static void
test_closed_policies(void)
{
	static const struct {
		const char *department;
		ticket_reply_effect effect;
		const char *event;          /* on the closed ticket */
		notify_kind notice;         /* queued on the ticket it names, or on the new one it links */
	} policies[] = {
		{ "soporte", TICKET_REOPENED, EVENT_REOPENED, NOTIFY_REOPENED },
		{ "facturacion", TICKET_LINKED, NULL, NOTIFY_NEW_LINKED },     /* the closed one stays as it was */
		{ "ventas", TICKET_REFUSED, EVENT_REFUSED, NOTIFY_REFUSED },
	};

	for (gsize i = 0; i < G_N_ELEMENTS(policies); i++) {
		g_autofree char *id = g_strdup_printf("p%zu@cliente.es", i);
		store_message_row row = customer_mail(id);
		ticket_message mail = { &row, NULL };
		ticket_change change = customer_change(policies[i].department, id);
		store_ticket ticket = { 0 }, linked = { 0 };
		g_autoptr(GError) error = NULL;
		g_autofree char *code = NULL, *event = NULL, *linked_event = NULL;
		ticket_reply_effect effect;

		make_ticket(policies[i].department, STATUS_CLOSED, &ticket);
		g_assert_true(store_begin(db, &error));
		g_assert_true(ticket_customer_reply(&change, &ticket, &mail, &effect, &code, &error));
		g_assert_true(store_commit(db, &error));
		g_assert_cmpint(effect, ==, policies[i].effect);
		event = newest_event(ticket.id);
		g_assert_cmpstr(event, ==, policies[i].event);
		if (policies[i].effect == TICKET_LINKED) {
			g_assert_true(store_ticket_by_code(db, code, &linked, &error));
			linked_event = newest_event(linked.id);
			g_assert_cmpstr(linked_event, ==, EVENT_LINKED);
			g_assert_cmpint(queued(linked.id, event_notice_name(policies[i].notice)), ==, 2);
			store_ticket_clear(&linked);
		} else {
			g_assert_cmpint(queued(ticket.id, event_notice_name(policies[i].notice)), >, 0);
		}
		store_ticket_clear(&ticket);
	}
}

static void
test_refusals(void)
{
	ticket_change change = { .config = config, .store = db, .actor = AGENT, .now = 2000 };
	store_ticket closed = { 0 }, open = { 0 }, merged = { 0 };
	g_autoptr(GError) error = NULL;

	make_ticket("soporte", STATUS_CLOSED, &closed);
	make_ticket("soporte", STATUS_OPEN, &open);
	make_ticket("soporte", STATUS_OPEN, &merged);
	merged.merged_into = open.id;
	g_assert_true(store_begin(db, &error));
	g_assert_null(ticket_close(&change, &closed, &error));
	g_assert_error(error, TICKET_ERROR, TICKET_ERROR_CLOSED);
	g_clear_error(&error);
	g_assert_null(ticket_reopen(&change, &open, &error));
	g_assert_error(error, TICKET_ERROR, TICKET_ERROR_NOT_REOPENABLE);
	g_assert_nonnull(strstr(error->message, "only a resolved or closed ticket"));
	g_clear_error(&error);
	g_assert_false(ticket_merge(&change, &closed, &merged, &error));
	g_assert_error(error, TICKET_ERROR, TICKET_ERROR_MERGED);
	store_rollback(db);
	store_ticket_clear(&closed);
	store_ticket_clear(&open);
	store_ticket_clear(&merged);
}

int
main(int argc, char **argv)
{
	int status;

	g_test_init(&argc, &argv, NULL);
	g_unsetenv("TICKETD_NOW");
	g_unsetenv("TICKETD_CODE_SEED");
	log_set_quiet(TRUE);
	mime_init();
	set_up();
	g_test_add_func("/ticket/transitions", test_transitions);
	g_test_add_func("/ticket/staff-reply-typed", test_staff_reply_typed);
	g_test_add_func("/ticket/open", test_open);
	g_test_add_func("/ticket/closed-policies", test_closed_policies);
	g_test_add_func("/ticket/refusals", test_refusals);
	status = g_test_run();
	tear_down();
	mime_shutdown();
	return status;
}
