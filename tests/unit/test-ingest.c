/*
 * test-ingest - the decision without the daemon: one table of mails (inline texts and
 * files of maildir-fixtures/) run through ingest_message() against a temporary store
 * and config, each checked for its failure class, action, ticket and what was stored;
 * then the failure classes mapped to LMTP replies, exit codes and IMAP actions, and the
 * one log line of a decision.
 */
#include <glib/gstdio.h>
#include <sqlite3.h>
#include <string.h>

#include "ingest.h"
#include "log.h"
#include "status.h"

#define CUSTOMER "maria.garcia@cliente-hosting.es"
#define SUBACCOUNT "pedidos@cliente-hosting.es"
#define STRANGER "desconocido@otro-dominio.es"

/* The first mail of the customer: the ticket a case replies to, with placeholder @CODE@. */
#define BASE_MAIL \
	"From: =?UTF-8?Q?Mar=C3=ADa_Garc=C3=ADa?= <" CUSTOMER ">\r\n" \
	"To: soporte@example.com\r\n" \
	"Subject: Sin acceso al correo\r\n" \
	"Message-ID: <base.1@cliente-hosting.es>\r\n" \
	"Date: Tue, 4 Feb 2025 10:00:00 +0100\r\n" \
	"Content-Type: text/plain; charset=utf-8\r\n\r\n" \
	"No puedo entrar en el webmail desde esta mañana.\r\n"

/* MAIL - a short plain mail with the given From, extra headers and subject. */
#define MAIL(from, headers, subject) \
	"From: " from "\r\nTo: soporte@example.com\r\n" headers \
	"Subject: " subject "\r\nDate: Tue, 4 Feb 2025 11:00:00 +0100\r\n" \
	"Content-Type: text/plain; charset=utf-8\r\n\r\nUn texto.\r\n"

typedef enum { TICKET_NONE, TICKET_BASE, TICKET_OTHER } ticket_expect;

typedef struct {
	const char *name;
	gboolean with_base;         /* BASE_MAIL made a ticket first */
	const char *base_status;    /* then that ticket was set to this status, or NULL */
	const char *config;         /* lines added to [ticketd] */
	gboolean sabotage;          /* every insert into tickets fails */
	const char *mail;           /* inline text (@CODE@: the base ticket's code) */
	const char *fixture;        /* or a file of maildir-fixtures/ */
	const char *sender;         /* envelope MAIL FROM, NULL when none */
	const char *recipient;      /* envelope RCPT TO (@CODE@ replaced) */
	failure_class class;
	failure_cause cause;
	const char *lmtp_reply;
	int exit_code;
	mail_class mail_class;
	ingest_action action;
	ticket_expect ticket;
	const char *ticket_status;  /* of the decision's ticket afterwards, or NULL */
	int tickets, messages, held;
} ingest_case;

/* Known senders must pass DMARC, as our MTA mx.example.com found it. */
#define DMARC_CONFIG "require_dmarc_pass = yes\nauthserv_id = mx.example.com\n"

#define OK FAILURE_OK, FAILURE_MESSAGE, "250 2.0.0", 0

static const ingest_case cases[] = {
	{ "new-ticket", FALSE, NULL, NULL, FALSE, BASE_MAIL, NULL, CUSTOMER, "soporte@example.com",
	  OK, MAIL_NORMAL, ACTION_NEW, TICKET_OTHER, STATUS_OPEN, 1, 1, 0 },
	{ "reply-by-tag", TRUE, NULL, NULL, FALSE,
	  MAIL(CUSTOMER, "", "RE: [Ticket #@CODE@] Sin acceso al correo"), NULL, CUSTOMER, "soporte@example.com",
	  OK, MAIL_NORMAL, ACTION_REPLY, TICKET_BASE, STATUS_CUSTOMER_REPLY, 1, 2, 0 },
	{ "reply-by-plus-address", TRUE, NULL, NULL, FALSE,
	  MAIL(CUSTOMER, "", "Otra pregunta"), NULL, CUSTOMER, "soporte+@CODE@@example.com",
	  OK, MAIL_NORMAL, ACTION_REPLY, TICKET_BASE, STATUS_CUSTOMER_REPLY, 1, 2, 0 },
	{ "reply-by-in-reply-to", TRUE, NULL, NULL, FALSE,
	  MAIL(CUSTOMER, "In-Reply-To: <base.1@cliente-hosting.es>\r\n", "Más datos"), NULL, CUSTOMER,
	  "soporte@example.com", OK, MAIL_NORMAL, ACTION_REPLY, TICKET_BASE, STATUS_CUSTOMER_REPLY, 1, 2, 0 },
	{ "stranger-with-code-gets-own-ticket", TRUE, NULL, NULL, FALSE,
	  MAIL(STRANGER, "", "Re: [Ticket #@CODE@] Sin acceso al correo"), NULL, STRANGER, "soporte@example.com",
	  OK, MAIL_NORMAL, ACTION_NEW, TICKET_OTHER, STATUS_OPEN, 2, 2, 0 },
	{ "stranger-with-code-held", TRUE, NULL, "unknown_sender = hold\n", FALSE,
	  MAIL(STRANGER, "", "Re: [Ticket #@CODE@] Sin acceso al correo"), NULL, STRANGER, "soporte@example.com",
	  OK, MAIL_NORMAL, ACTION_HOLD, TICKET_NONE, NULL, 1, 1, 1 },
	{ "subaccount-without-can-open-held", FALSE, NULL, NULL, FALSE,
	  MAIL(SUBACCOUNT, "", "Pedido nuevo"), NULL, SUBACCOUNT, "soporte@example.com",
	  OK, MAIL_NORMAL, ACTION_HOLD, TICKET_NONE, NULL, 0, 0, 1 },
	{ "auto-reply-stored-on-its-ticket", TRUE, NULL, NULL, FALSE,
	  MAIL(CUSTOMER, "Auto-Submitted: auto-replied\r\nIn-Reply-To: <base.1@cliente-hosting.es>\r\n",
	       "Fuera de la oficina"), NULL, CUSTOMER, "soporte@example.com",
	  OK, MAIL_AUTO_REPLY, ACTION_DROP, TICKET_BASE, STATUS_OPEN, 1, 2, 0 },
	{ "bounce-dropped-and-kept", FALSE, NULL, NULL, FALSE,
	  MAIL("MAILER-DAEMON@mx.otro-dominio.es", "", "Undelivered Mail Returned to Sender"), NULL, "",
	  "soporte@example.com", OK, MAIL_BOUNCE, ACTION_DROP, TICKET_NONE, NULL, 0, 0, 1 },
	{ "duplicate-changes-nothing", TRUE, NULL, NULL, FALSE, BASE_MAIL, NULL, CUSTOMER, "soporte@example.com",
	  OK, MAIL_NORMAL, ACTION_DUPLICATE, TICKET_BASE, STATUS_OPEN, 1, 1, 0 },
	/* A Message-ID is the sender's claim, not the mail: another mail with it is kept. */
	{ "reused-message-id-from-another-sender-kept", TRUE, NULL, NULL, FALSE,
	  MAIL(STRANGER, "Message-ID: <base.1@cliente-hosting.es>\r\n", "Factura"), NULL, STRANGER,
	  "soporte@example.com", OK, MAIL_NORMAL, ACTION_NEW, TICKET_OTHER, STATUS_OPEN, 2, 2, 0 },
	{ "reused-message-id-from-the-same-customer-kept", TRUE, NULL, NULL, FALSE,
	  MAIL(CUSTOMER, "Message-ID: <base.1@cliente-hosting.es>\r\n", "Otra consulta"), NULL, CUSTOMER,
	  "soporte@example.com", OK, MAIL_NORMAL, ACTION_NEW, TICKET_OTHER, STATUS_OPEN, 2, 2, 0 },
	{ "redelivery-with-new-trace-headers-is-a-duplicate", TRUE, NULL, NULL, FALSE,
	  "Return-Path: <" CUSTOMER ">\r\nDelivered-To: soporte@example.com\r\n"
	  "Received: from mx2.example.com by mail.example.com;\r\n\tTue, 4 Feb 2025 10:05:00 +0100\r\n" BASE_MAIL,
	  NULL, CUSTOMER, "soporte@example.com", OK, MAIL_NORMAL, ACTION_DUPLICATE, TICKET_BASE, STATUS_OPEN, 1, 1, 0 },
	/* Anyone can write the desk's own From; it is never made a customer. */
	{ "desk-address-never-an-account", FALSE, NULL, NULL, FALSE,
	  MAIL("soporte@example.com", "", "Cambio de titular"), NULL, "alguien@otro-dominio.es",
	  "soporte@example.com", OK, MAIL_NORMAL, ACTION_HOLD, TICKET_NONE, NULL, 0, 0, 1 },
	{ "desk-plus-address-never-an-account", FALSE, NULL, NULL, FALSE,
	  MAIL("facturacion+KQZ-482913@example.com", "", "Pago"), NULL, "alguien@otro-dominio.es",
	  "soporte@example.com", OK, MAIL_NORMAL, ACTION_HOLD, TICKET_NONE, NULL, 0, 0, 1 },
	{ "reply-to-resolved-reopens", TRUE, STATUS_RESOLVED, NULL, FALSE,
	  MAIL(CUSTOMER, "", "Re: [Ticket #@CODE@] Sin acceso al correo"), NULL, CUSTOMER, "soporte@example.com",
	  OK, MAIL_NORMAL, ACTION_REOPEN, TICKET_BASE, STATUS_CUSTOMER_REPLY, 1, 2, 0 },
	{ "unknown-department", FALSE, NULL, NULL, FALSE, BASE_MAIL, NULL, CUSTOMER, "nadie@example.com",
	  FAILURE_PERMANENT, FAILURE_NO_SUCH_USER, "550 5.1.1", 67,
	  MAIL_NORMAL, ACTION_REJECT, TICKET_NONE, NULL, 0, 0, 0 },
	{ "unknown-sender-rejected", FALSE, NULL, "unknown_sender = reject\n", FALSE,
	  MAIL(STRANGER, "", "Hola"), NULL, STRANGER, "soporte@example.com",
	  FAILURE_PERMANENT, FAILURE_POLICY, "550 5.7.1", 77,
	  MAIL_NORMAL, ACTION_REJECT, TICKET_NONE, NULL, 0, 0, 0 },
	{ "store-failure-is-temporary", FALSE, NULL, NULL, TRUE, BASE_MAIL, NULL, CUSTOMER, "soporte@example.com",
	  FAILURE_TEMPORARY, FAILURE_MESSAGE, "451 4.3.0", 75,
	  MAIL_NORMAL, ACTION_NEW, TICKET_NONE, NULL, 0, 0, 0 },
	{ "from-with-two-at-signs-held", TRUE, NULL, NULL, FALSE,
	  MAIL(CUSTOMER "@evil.test", "", "RE: [Ticket #@CODE@] Sin acceso al correo"), NULL, STRANGER,
	  "soporte@example.com", OK, MAIL_NORMAL, ACTION_HOLD, TICKET_NONE, NULL, 1, 1, 1 },
	{ "from-unquoted-address-as-name-held", TRUE, NULL, NULL, FALSE,
	  MAIL(CUSTOMER " <eve@evil.test>", "", "RE: [Ticket #@CODE@] Sin acceso al correo"), NULL, STRANGER,
	  "soporte@example.com", OK, MAIL_NORMAL, ACTION_HOLD, TICKET_NONE, NULL, 1, 1, 1 },
	{ "from-with-two-addresses-held", TRUE, NULL, NULL, FALSE,
	  MAIL(CUSTOMER ", eve@evil.test", "", "RE: [Ticket #@CODE@] Sin acceso al correo"), NULL, STRANGER,
	  "soporte@example.com", OK, MAIL_NORMAL, ACTION_HOLD, TICKET_NONE, NULL, 1, 1, 1 },
	{ "dmarc-pass-of-our-mta-opens", FALSE, NULL, DMARC_CONFIG, FALSE,
	  MAIL(CUSTOMER, "Authentication-Results: mx.example.com; spf=pass smtp.mailfrom=cliente-hosting.es;\r\n"
	       "  dkim=pass (2048-bit key) header.d=cliente-hosting.es; dmarc=pass header.from=cliente-hosting.es\r\n",
	       "Consulta"), NULL, CUSTOMER, "soporte@example.com",
	  OK, MAIL_NORMAL, ACTION_NEW, TICKET_OTHER, STATUS_OPEN, 1, 1, 0 },
	{ "dmarc-pass-of-another-authserv-held", FALSE, NULL, DMARC_CONFIG, FALSE,
	  MAIL(CUSTOMER, "Authentication-Results: mx.evil.test; dmarc=pass header.from=cliente-hosting.es\r\n",
	       "Consulta"), NULL, CUSTOMER, "soporte@example.com",
	  OK, MAIL_NORMAL, ACTION_HOLD, TICKET_NONE, NULL, 0, 0, 1 },
	{ "dmarc-pass-for-another-header-from-held", FALSE, NULL, DMARC_CONFIG, FALSE,
	  MAIL(CUSTOMER, "Authentication-Results: mx.example.com; dmarc=pass header.from=evil.test\r\n",
	       "Consulta"), NULL, CUSTOMER, "soporte@example.com",
	  OK, MAIL_NORMAL, ACTION_HOLD, TICKET_NONE, NULL, 0, 0, 1 },
	{ "dmarc-pass-only-in-a-comment-held", FALSE, NULL, DMARC_CONFIG, FALSE,
	  MAIL(CUSTOMER, "Authentication-Results: mx.example.com; dmarc=fail (p=reject; dmarc=pass) "
	       "header.from=cliente-hosting.es\r\n", "Consulta"), NULL, CUSTOMER, "soporte@example.com",
	  OK, MAIL_NORMAL, ACTION_HOLD, TICKET_NONE, NULL, 0, 0, 1 },
	{ "dmarc-forged-pass-under-our-fail-held", FALSE, NULL, DMARC_CONFIG, FALSE,
	  MAIL(CUSTOMER, "Authentication-Results: mx.example.com; dmarc=fail header.from=cliente-hosting.es\r\n"
	       "Authentication-Results: mx.example.com; dmarc=pass header.from=cliente-hosting.es\r\n",
	       "Consulta"), NULL, CUSTOMER, "soporte@example.com",
	  OK, MAIL_NORMAL, ACTION_HOLD, TICKET_NONE, NULL, 0, 0, 1 },
	{ "fixture-new-ticket", FALSE, NULL, NULL, FALSE, NULL, "cur/001-sin-acceso-correo:2,S", NULL,
	  "soporte@example.com", OK, MAIL_NORMAL, ACTION_NEW, TICKET_OTHER, STATUS_OPEN, 1, 1, 0 },
	{ "fixture-dsn-bounce", FALSE, NULL, NULL, FALSE, NULL, "cur/024-rebote-dsn-postfix:2,S", NULL,
	  "soporte@example.com", OK, MAIL_BOUNCE, ACTION_DROP, TICKET_NONE, NULL, 0, 0, 1 },
	{ "fixture-precedence-bulk", FALSE, NULL, NULL, FALSE, NULL, "cur/022-precedence-bulk:2,S", NULL,
	  "soporte@example.com", OK, MAIL_AUTO_REPLY, ACTION_DROP, TICKET_NONE, NULL, 0, 0, 1 },
	{ "fixture-no-from-held", FALSE, NULL, NULL, FALSE, NULL, "cur/031-sin-from:2,S", NULL,
	  "soporte@example.com", OK, MAIL_NORMAL, ACTION_HOLD, TICKET_NONE, NULL, 0, 0, 1 },
};

typedef struct {
	char *dir;
	char *db;
	ticketd_config *config;
	store *handle;
	char *base_code;            /* the ticket BASE_MAIL opened, or NULL */
} fixture;

static const char *
test_top(void)
{
	return g_getenv("TICKETD_TOP") ? g_getenv("TICKETD_TOP") : ".";
}

/* test_sql - run statements on the test database beside the store's own connection. */
static int
test_sql(const fixture *f, const char *sql)
{
	sqlite3 *handle = NULL;
	sqlite3_stmt *statement = NULL;
	int value = -1;

	g_assert_cmpint(sqlite3_open(f->db, &handle), ==, SQLITE_OK);
	g_assert_cmpint(sqlite3_prepare_v2(handle, sql, -1, &statement, NULL), ==, SQLITE_OK);
	if (sqlite3_step(statement) == SQLITE_ROW)
		value = sqlite3_column_int(statement, 0);
	sqlite3_finalize(statement);
	sqlite3_close(handle);
	return value;
}

/* test_ingest - one mail for one recipient through the entry deliver, IMAP and import use. */
static void
test_ingest(const fixture *f, const char *raw, gsize length, const char *sender, const char *recipient,
            ingest_result *result)
{
	g_autoptr(inbound) mail = inbound_new("test", raw, length, sender);

	ingest_message(f->config, f->handle, mail, recipient, result);
}

/* test_accounts - the customer, and a sub-account of hers that may not open tickets. */
static void
test_accounts(fixture *f)
{
	g_autoptr(GError) error = NULL;
	int64_t account = store_account_add(f->handle, CUSTOMER, "María García", "es", &error);

	g_assert_no_error(error);
	store_subaccount_add(f->handle, account, SUBACCOUNT, TRUE, FALSE, &error);
	g_assert_no_error(error);
}

/* test_base - BASE_MAIL opens the ticket the case replies to, then takes the case's status. */
static void
test_base(fixture *f, const ingest_case *c)
{
	ingest_result result = { 0 };
	store_ticket ticket = { 0 };
	g_autoptr(GError) error = NULL;

	test_ingest(f, BASE_MAIL, strlen(BASE_MAIL), CUSTOMER, "soporte@example.com", &result);
	g_assert_cmpint(result.failure.class, ==, FAILURE_OK);
	g_assert_cmpint(result.decision.action, ==, ACTION_NEW);
	f->base_code = g_strdup(result.decision.ticket);
	ingest_result_clear(&result);
	if (c == NULL || c->base_status == NULL)
		return;
	g_assert_true(store_ticket_by_code(f->handle, f->base_code, &ticket, &error));
	g_assert_true(store_ticket_set_status(f->handle, ticket.id, c->base_status, store_now(), &error));
	g_assert_no_error(error);
	store_ticket_clear(&ticket);
}

static void
fixture_set_up(fixture *f, gconstpointer data)
{
	const ingest_case *c = data;
	g_autoptr(GError) error = NULL;
	g_autofree char *conf = NULL, *text = NULL;
	g_autofree char *top = g_canonicalize_filename(test_top(), NULL);

	f->dir = g_dir_make_tmp("test-ingest-XXXXXX", &error);
	g_assert_no_error(error);
	conf = g_build_filename(f->dir, "ticketd.conf", NULL);
	f->db = g_build_filename(f->dir, "ticketd.db", NULL);
	text = g_strdup_printf("[ticketd]\ndatabase = %s\ndomain = example.com\ntemplates = %s/etc/templates\n"
	                       "staff = agente1@example.com\n%s\n"
	                       "[department:soporte]\nname = Soporte\naddress = soporte@example.com\n",
	                       f->db, top, c != NULL && c->config != NULL ? c->config : "");
	g_assert_true(g_file_set_contents_full(conf, text, -1, G_FILE_SET_CONTENTS_NONE, 0640, &error));
	f->config = config_load(conf, &error);
	g_assert_no_error(error);
	f->handle = store_open(f->db, &error);
	g_assert_no_error(error);
	g_unlink(conf);
	test_accounts(f);
}

/* fixture_tear_down - the store closed, then its directory and whatever SQLite left there. */
static void
fixture_tear_down(fixture *f, gconstpointer data)
{
	g_autoptr(GDir) dir = NULL;
	const char *name;

	store_close(f->handle);
	config_free(f->config);
	dir = g_dir_open(f->dir, 0, NULL);
	while (dir != NULL && (name = g_dir_read_name(dir)) != NULL) {
		g_autofree char *path = g_build_filename(f->dir, name, NULL);

		g_unlink(path);
	}
	g_rmdir(f->dir);
	g_free(f->dir);
	g_free(f->db);
	g_free(f->base_code);
}

/* test_fill - @CODE@ becomes the base ticket's code. */
static char *
test_fill(const fixture *f, const char *text)
{
	g_auto(GStrv) parts = g_strsplit(text, "@CODE@", -1);

	return g_strjoinv(f->base_code ? f->base_code : "NONE", parts);
}

/* test_case_mail - the case's bytes: inline, or read from maildir-fixtures/. */
static char *
test_case_mail(const fixture *f, const ingest_case *c, gsize *length)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *path = NULL;
	char *raw = NULL;

	if (c->mail != NULL) {
		raw = test_fill(f, c->mail);
		*length = strlen(raw);
		return raw;
	}
	path = g_build_filename(test_top(), "maildir-fixtures", c->fixture, NULL);
	g_assert_true(g_file_get_contents(path, &raw, length, &error));
	g_assert_no_error(error);
	return raw;
}

/* test_check_ticket - the decision names the ticket the case expects, in its status. */
static void
test_check_ticket(const fixture *f, const ingest_case *c, const ingest_result *result)
{
	store_ticket ticket = { 0 };
	g_autoptr(GError) error = NULL;

	if (c->ticket == TICKET_NONE) {
		g_assert_null(result->decision.ticket);
		return;
	}
	g_assert_nonnull(result->decision.ticket);
	if (c->ticket == TICKET_BASE)
		g_assert_cmpstr(result->decision.ticket, ==, f->base_code);
	else
		g_assert_cmpstr(result->decision.ticket, !=, f->base_code);
	g_assert_true(store_ticket_by_code(f->handle, result->decision.ticket, &ticket, &error));
	g_assert_cmpstr(ticket.status, ==, c->ticket_status);
	store_ticket_clear(&ticket);
}

static void
test_case(fixture *f, gconstpointer data)
{
	const ingest_case *c = data;
	g_autofree char *recipient = NULL;
	g_autofree char *raw = NULL;
	gsize length = 0;
	ingest_result result = { 0 };

	if (c->with_base)
		test_base(f, c);
	if (c->sabotage)
		test_sql(f, "CREATE TRIGGER test_fail BEFORE INSERT ON tickets BEGIN "
		         "SELECT raise(abort, 'injected failure'); END");
	recipient = test_fill(f, c->recipient);
	raw = test_case_mail(f, c, &length);
	test_ingest(f, raw, length, c->sender, recipient, &result);
	g_assert_cmpint(result.failure.class, ==, c->class);
	if (c->class == FAILURE_PERMANENT)
		g_assert_cmpint(result.failure.cause, ==, c->cause);
	g_assert_cmpstr(failure_lmtp_reply(result.failure), ==, c->lmtp_reply);
	g_assert_cmpint(failure_exit_code(result.failure), ==, c->exit_code);
	g_assert_cmpint(result.class, ==, c->mail_class);
	if (c->class != FAILURE_TEMPORARY) {
		g_assert_cmpint(result.decision.action, ==, c->action);
		test_check_ticket(f, c, &result);
	}
	g_assert_cmpint(test_sql(f, "SELECT count(*) FROM tickets"), ==, c->tickets);
	g_assert_cmpint(test_sql(f, "SELECT count(*) FROM messages"), ==, c->messages);
	g_assert_cmpint(test_sql(f, "SELECT count(*) FROM held"), ==, c->held);
	ingest_result_clear(&result);
}

/* test_child_logs - run the test again in a child and match its stderr; TRUE in the child. */
static gboolean
test_child_logs(const char *pattern)
{
	if (g_test_subprocess())
		return TRUE;
	g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
	g_test_trap_assert_passed();
	g_test_trap_assert_stderr(pattern);
	return FALSE;
}

/* Each failure class, mapped once: the LMTP reply, the exit code, the IMAP action. */
static void
test_failure_mapping(void)
{
	static const struct {
		failure outcome;
		const char *lmtp_reply;
		int exit_code;
		failure_imap_action imap;
		const char *name;
	} map[] = {
		{ { FAILURE_OK, FAILURE_MESSAGE }, "250 2.0.0", 0, FAILURE_IMAP_DONE, "ok" },
		{ { FAILURE_TEMPORARY, FAILURE_MESSAGE }, "451 4.3.0", 75, FAILURE_IMAP_RETRY, "temporary" },
		{ { FAILURE_PERMANENT, FAILURE_MESSAGE }, "554 5.6.0", 65, FAILURE_IMAP_LEAVE, "permanent" },
		{ { FAILURE_PERMANENT, FAILURE_NO_SUCH_USER }, "550 5.1.1", 67, FAILURE_IMAP_LEAVE, "permanent" },
		{ { FAILURE_PERMANENT, FAILURE_POLICY }, "550 5.7.1", 77, FAILURE_IMAP_LEAVE, "permanent" },
		{ { FAILURE_PERMANENT, FAILURE_SETUP }, "554 5.3.5", 78, FAILURE_IMAP_LEAVE, "permanent" },
	};

	for (gsize i = 0; i < G_N_ELEMENTS(map); i++) {
		g_assert_cmpstr(failure_lmtp_reply(map[i].outcome), ==, map[i].lmtp_reply);
		g_assert_cmpint(failure_exit_code(map[i].outcome), ==, map[i].exit_code);
		g_assert_cmpint(failure_imap_action_for(map[i].outcome), ==, map[i].imap);
		g_assert_cmpstr(failure_class_name(map[i].outcome.class), ==, map[i].name);
	}
}

/* The one log line of a decision, as every source writes it. */
static void
test_log_line(fixture *f, gconstpointer data)
{
	ingest_result result = { 0 };

	if (!test_child_logs("*test-ingest: \?\?\?-\?\?\?\?\?\?: from=<" CUSTOMER ">, to=<soporte@example.com>, "
	                     "message-id=<base.1@cliente-hosting.es>, action=new, department=soporte, "
	                     "class=normal, source=test, status=ok, reason=new ticket\n"
	                     "test-ingest: NOQUEUE: from=<" CUSTOMER ">, to=<nadie@example.com>, "
	                     "message-id=<base.1@cliente-hosting.es>, action=reject, department=none, "
	                     "class=normal, source=test, status=permanent, "
	                     "reason=no department has this address\n*"))
		return;
	log_set_quiet(FALSE);
	test_ingest(f, BASE_MAIL, strlen(BASE_MAIL), CUSTOMER, "soporte@example.com", &result);
	ingest_result_clear(&result);
	test_ingest(f, BASE_MAIL, strlen(BASE_MAIL), CUSTOMER, "nadie@example.com", &result);
	ingest_result_clear(&result);
}

/* The kept mail with a reused Message-ID says so: in the log line and on its ticket. */
static void
test_reused_id_flagged(fixture *f, gconstpointer data)
{
	static const char other[] = MAIL(STRANGER, "Message-ID: <base.1@cliente-hosting.es>\r\n", "Factura");
	ingest_result result = { 0 };

	if (!test_child_logs("*test-ingest: \?\?\?-\?\?\?\?\?\?: from=<" STRANGER ">, to=<soporte@example.com>, "
	                     "message-id=<base.1@cliente-hosting.es>, action=new, department=soporte, "
	                     "class=normal, source=test, status=ok, reason=new sender: account created, "
	                     "new ticket; its Message-ID was already used by another mail\n*"))
		return;
	test_base(f, NULL);
	log_set_quiet(FALSE);
	test_ingest(f, other, strlen(other), STRANGER, "soporte@example.com", &result);
	g_assert_cmpint(result.decision.action, ==, ACTION_NEW);
	g_assert_cmpstr(result.decision.ticket, !=, f->base_code);
	g_assert_cmpint(test_sql(f, "SELECT count(*) FROM events e JOIN tickets t ON t.id = e.ticket_id"
	                         " JOIN accounts a ON a.id = t.account_id WHERE e.kind = 'message_id_reused'"
	                         " AND a.email = '" STRANGER "' AND e.detail LIKE '%<base.1@cliente-hosting.es>%'"),
	                ==, 1);
	ingest_result_clear(&result);
	/* The stranger's mail delivered again is now the duplicate of itself, not of hers. */
	test_ingest(f, other, strlen(other), STRANGER, "soporte@example.com", &result);
	g_assert_cmpint(result.decision.action, ==, ACTION_DUPLICATE);
	g_assert_cmpstr(result.decision.ticket, !=, f->base_code);
	g_assert_cmpint(test_sql(f, "SELECT count(*) FROM messages"), ==, 2);
	ingest_result_clear(&result);
}

/* One mail to soporte@ and to facturacion+CODE@, both reaching the ticket: kept on it once. */
static void
test_two_addresses_one_ticket(fixture *f, gconstpointer data)
{
	static const char reply[] = MAIL(CUSTOMER, "Message-ID: <two.1@cliente-hosting.es>\r\n",
	                                 "RE: [Ticket #@CODE@] Sin acceso al correo");
	g_autofree char *raw = NULL, *plus = NULL;
	g_autoptr(GError) error = NULL;
	ingest_result first = { 0 }, second = { 0 };
	g_autoptr(inbound) mail = NULL;

	test_base(f, NULL);
	raw = test_fill(f, reply);
	plus = g_strdup_printf("facturacion+%s@example.com", f->base_code);
	/* As one LMTP transaction with two recipients: in one group commit. */
	mail = inbound_new("test", raw, strlen(raw), CUSTOMER);
	g_assert_true(store_begin(f->handle, &error));
	ingest_apply(f->config, f->handle, mail, "soporte@example.com", &first);
	ingest_apply(f->config, f->handle, mail, plus, &second);
	g_assert_true(store_commit(f->handle, &error));
	g_assert_cmpint(first.decision.action, ==, ACTION_REPLY);
	g_assert_cmpint(second.decision.action, ==, ACTION_DUPLICATE);
	g_assert_cmpstr(second.decision.ticket, ==, f->base_code);
	g_assert_cmpint(test_sql(f, "SELECT count(*) FROM messages WHERE message_id = 'two.1@cliente-hosting.es'"),
	                ==, 1);
	g_assert_cmpint(test_sql(f, "SELECT count(*) FROM tickets"), ==, 1);
	ingest_result_clear(&first);
	ingest_result_clear(&second);
	/* Delivered again to the second address (a retried session): still once. */
	test_ingest(f, raw, strlen(raw), CUSTOMER, plus, &second);
	g_assert_cmpint(second.decision.action, ==, ACTION_DUPLICATE);
	g_assert_cmpint(test_sql(f, "SELECT count(*) FROM messages WHERE message_id = 'two.1@cliente-hosting.es'"),
	                ==, 1);
	ingest_result_clear(&second);
}

/* A failed commit: temporary, no ticket named, and the line says what had been decided. */
static void
test_commit_failure_logged(fixture *f, gconstpointer data)
{
	ingest_result result = { 0 };

	if (!test_child_logs("*test-ingest: warning: NOQUEUE: from=<" CUSTOMER ">, to=<soporte@example.com>, "
	                     "message-id=<base.1@cliente-hosting.es>, action=none, department=soporte, "
	                     "class=normal, source=test, status=temporary, reason=commit failed, nothing "
	                     "kept: *FOREIGN KEY*; the decision was action=new: new ticket\n*"))
		return;
	/* A deferred foreign key is checked at COMMIT: every statement succeeds, the commit fails. */
	test_sql(f, "CREATE TABLE test_parent (id INTEGER PRIMARY KEY)");
	test_sql(f, "CREATE TABLE test_child (parent INTEGER REFERENCES test_parent(id) DEFERRABLE INITIALLY DEFERRED)");
	test_sql(f, "CREATE TRIGGER test_fail AFTER INSERT ON tickets BEGIN INSERT INTO test_child VALUES (1); END");
	log_set_quiet(FALSE);
	test_ingest(f, BASE_MAIL, strlen(BASE_MAIL), CUSTOMER, "soporte@example.com", &result);
	g_assert_cmpint(result.failure.class, ==, FAILURE_TEMPORARY);
	g_assert_null(result.decision.ticket);
	g_assert_cmpint(test_sql(f, "SELECT count(*) FROM tickets"), ==, 0);
	ingest_result_clear(&result);
}

/* intake_per_hour counts a forged From against the forger's envelope, not the customer. */
static void
test_intake_identity(fixture *f, gconstpointer data)
{
	static const char forged[] = MAIL(CUSTOMER, "", "Urgente");
	static const char real[] = MAIL(CUSTOMER, "Message-ID: <real.1@cliente-hosting.es>\r\n", "Mi consulta");
	static const char own[] = MAIL(CUSTOMER, "Message-ID: <own.9@cliente-hosting.es>\r\n", "Otra más");
	ingest_result result = { 0 };

	for (int i = 0; i < 5; i++) {
		g_autofree char *raw = g_strdup_printf("Message-ID: <forged.%d@evil.test>\r\n%s", i, forged);

		test_ingest(f, raw, strlen(raw), "attacker@evil.test", "soporte@example.com", &result);
		g_assert_cmpint(result.decision.action, ==, i < 3 ? ACTION_NEW : ACTION_HOLD);
		ingest_result_clear(&result);
	}
	g_assert_cmpint(test_sql(f, "SELECT count(*) FROM held WHERE reason = 'over intake_per_hour'"), ==, 2);
	/* Her own mail, from her own domain, is heard. */
	test_ingest(f, real, strlen(real), CUSTOMER, "soporte@example.com", &result);
	g_assert_cmpint(result.decision.action, ==, ACTION_NEW);
	ingest_result_clear(&result);
	/* A bounce address on her domain (VERP) vouches for her From as well: it counts as hers. */
	for (int i = 0; i < 2; i++) {
		g_autofree char *raw = g_strdup_printf("Message-ID: <verp.%d@cliente-hosting.es>\r\n%s", i, forged);

		test_ingest(f, raw, strlen(raw), "bounce+x@cliente-hosting.es", "soporte@example.com", &result);
		g_assert_cmpint(result.decision.action, ==, ACTION_NEW);
		ingest_result_clear(&result);
	}
	/* Her fourth mail in the hour is held like anyone's, with the reason kept. */
	test_ingest(f, own, strlen(own), CUSTOMER, "soporte@example.com", &result);
	g_assert_cmpint(result.decision.action, ==, ACTION_HOLD);
	g_assert_cmpstr(result.decision.reason, ==, "over intake_per_hour");
	g_assert_cmpint(test_sql(f, "SELECT count(*) FROM held WHERE reason = 'over intake_per_hour'"
	                         " AND sender = '" CUSTOMER "'"), ==, 3);
	ingest_result_clear(&result);
}

/* A delivery recorded before schema 6 (keyed by the bare Message-ID) still stops a redelivery. */
static void
test_legacy_delivery(fixture *f, gconstpointer data)
{
	static const char other[] = MAIL(STRANGER, "Message-ID: <base.1@cliente-hosting.es>\r\n", "Factura");
	ingest_result result = { 0 };

	test_base(f, NULL);
	test_sql(f, "UPDATE deliveries SET dedup_key = 'base.1@cliente-hosting.es'");
	test_sql(f, "UPDATE messages SET dedup_key = 'base.1@cliente-hosting.es'");
	test_ingest(f, BASE_MAIL, strlen(BASE_MAIL), CUSTOMER, "soporte@example.com", &result);
	g_assert_cmpint(result.decision.action, ==, ACTION_DUPLICATE);
	g_assert_cmpstr(result.decision.ticket, ==, f->base_code);
	ingest_result_clear(&result);
	test_ingest(f, other, strlen(other), STRANGER, "soporte@example.com", &result);
	g_assert_cmpint(result.decision.action, ==, ACTION_NEW);
	g_assert_cmpint(test_sql(f, "SELECT count(*) FROM messages"), ==, 2);
	ingest_result_clear(&result);
}

static const ingest_case intake_config = { .name = "intake", .config = "intake_per_hour = 3\n" };
static const ingest_case two_departments = {
	.name = "two-departments",
	.config = "[department:facturacion]\nname = Facturación\naddress = facturacion@example.com\n",
};

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	log_open("test-ingest", LOG_TO_STDERR);
	log_set_quiet(TRUE);        /* one decision line per case is noise here; test_log_line reads them */
	mime_init();
	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree char *path = g_strdup_printf("/ingest/decision/%s", cases[i].name);

		g_test_add(path, fixture, &cases[i], fixture_set_up, test_case, fixture_tear_down);
	}
	g_test_add_func("/ingest/failure-mapping", test_failure_mapping);
	g_test_add("/ingest/log-line", fixture, NULL, fixture_set_up, test_log_line, fixture_tear_down);
	g_test_add("/ingest/dedup/reused-id-flagged", fixture, NULL, fixture_set_up, test_reused_id_flagged,
	           fixture_tear_down);
	g_test_add("/ingest/dedup/two-addresses-one-ticket", fixture, &two_departments, fixture_set_up,
	           test_two_addresses_one_ticket, fixture_tear_down);
	g_test_add("/ingest/dedup/legacy-delivery", fixture, NULL, fixture_set_up, test_legacy_delivery,
	           fixture_tear_down);
	g_test_add("/ingest/commit-failure-logged", fixture, NULL, fixture_set_up, test_commit_failure_logged,
	           fixture_tear_down);
	g_test_add("/ingest/intake-identity", fixture, &intake_config, fixture_set_up, test_intake_identity,
	           fixture_tear_down);
	return g_test_run();
}
