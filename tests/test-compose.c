/*
 * test-compose - notifications as they leave: headers that thread and silence robots,
 * CRLF everywhere, a Spanish body that survives quoted-printable, no header injection
 * through a customer's subject, and strict addresses.
 */
#include <string.h>

#include "compose.h"
#include "mime.h"

static char *staff[] = { NULL };
static ticketd_config config = {
	.domain = "example.com", .subject_tag = "Ticket", .staff = staff,
	.smtp = { .from_name = "Soporte Example", .from_address = "soporte@example.com" },
};

static store_ticket ticket = {
	.id = 1, .code = "KQZ-482913", .department = "soporte", .subject = "No funciona el correo",
	.status = "open",
};

/* compose_text - a composed mail as a string, and its Message-ID. */
static char *
compose_text(notify_kind kind, const store_ticket *t, const char *language, char **message_id)
{
	notify_event event = {
		.kind = kind, .ticket_id = 1, .old_status = "open", .new_status = "answered",
		.text = "Hemos reiniciado el servidor de correo. ¿Puede probar ahora?",
		.in_reply_to = "m1@cliente.es", .references = "<m0@cliente.es> <m1@cliente.es>",
	};
	compose_request request = {
		.kind = kind, .ticket = t, .recipient = "ana@cliente.es", .recipient_name = "Ana Núñez",
		.language = language, .event = &event,
	};
	g_autoptr(GBytes) mail = compose_mail(&config, &request, message_id);
	gsize length;
	const char *data = g_bytes_get_data(mail, &length);

	return g_strndup(data, length);
}

static gboolean
has_header_line(const char *mail, const char *line)
{
	g_autofree char *needle = g_strconcat("\r\n", line, "\r\n", NULL);

	return strstr(mail, needle) != NULL;
}

static void
test_headers(void)
{
	g_autofree char *message_id = NULL;
	g_autofree char *mail = compose_text(NOTIFY_CREATED, &ticket, "es", &message_id);
	g_autofree char *expected_id = g_strdup_printf("Message-Id: <%s>", message_id);

	g_assert_true(g_str_has_suffix(message_id, "@example.com"));
	g_assert_true(has_header_line(mail, expected_id));
	g_assert_true(has_header_line(mail, "Subject: [Ticket #KQZ-482913] No funciona el correo"));
	g_assert_true(has_header_line(mail, "In-Reply-To: <m1@cliente.es>"));
	g_assert_true(has_header_line(mail, "References: <m0@cliente.es> <m1@cliente.es>"));
	g_assert_true(has_header_line(mail, "Reply-To: Soporte Example <soporte+KQZ-482913@example.com>"));
	g_assert_true(has_header_line(mail, "Auto-Submitted: auto-replied"));
	g_assert_true(has_header_line(mail, "X-Auto-Response-Suppress: All"));
	g_assert_true(has_header_line(mail, "X-Ticketd-Loop: example.com"));
	g_assert_true(has_header_line(mail, "Content-Transfer-Encoding: quoted-printable"));
	g_assert_nonnull(strstr(mail, "charset=utf-8"));
}

static void
test_auto_submitted_by_kind(void)
{
	static const struct { notify_kind kind; const char *header; } cases[] = {
		{ NOTIFY_CREATED, "Auto-Submitted: auto-replied" },
		{ NOTIFY_REOPENED, "Auto-Submitted: auto-replied" },
		{ NOTIFY_NEW_LINKED, "Auto-Submitted: auto-replied" },
		{ NOTIFY_REFUSED, "Auto-Submitted: auto-replied" },
		{ NOTIFY_STATUS, "Auto-Submitted: auto-generated" },
		{ NOTIFY_AUTO_CLOSED, "Auto-Submitted: auto-generated" },
		{ NOTIFY_STAFF_REPLY, NULL },
	};

	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree char *id = NULL;
		g_autofree char *mail = compose_text(cases[i].kind, &ticket, "es", &id);

		if (cases[i].header != NULL)
			g_assert_true(has_header_line(mail, cases[i].header));
		else
			g_assert_null(strstr(mail, "Auto-Submitted:"));
		g_assert_true(compose_automatic(cases[i].kind) == (cases[i].header != NULL));
	}
}

static void
test_crlf_everywhere(void)
{
	g_autofree char *id = NULL;
	g_autofree char *mail = compose_text(NOTIFY_STAFF_REPLY, &ticket, "es", &id);

	for (const char *p = mail; *p != '\0'; p++) {
		if (*p == '\n')
			g_assert_true(p > mail && p[-1] == '\r');
		g_assert_true((unsigned char)*p < 0x80);       /* 7-bit: curl never says 8BITMIME */
	}
}

static void
test_spanish_body_round_trip(void)
{
	g_autofree char *id = NULL;
	g_autofree char *mail = compose_text(NOTIFY_STAFF_REPLY, &ticket, "es", &id);
	g_autoptr(parsed_message) parsed = mime_parse(mail, strlen(mail));

	g_assert_nonnull(strstr(parsed->text, "Hemos reiniciado el servidor de correo. ¿Puede probar ahora?"));
	g_assert_nonnull(strstr(parsed->text, "Estado: Contestado"));
	g_assert_cmpstr(parsed->from->name, ==, "Soporte Example");
	g_assert_cmpstr(parsed->to->len ? ((mail_address *)g_ptr_array_index(parsed->to, 0))->name : "", ==, "Ana Núñez");
}

static void
test_english_template(void)
{
	g_autofree char *id = NULL;
	g_autofree char *mail = compose_text(NOTIFY_STATUS, &ticket, "en", &id);
	g_autoptr(parsed_message) parsed = mime_parse(mail, strlen(mail));

	g_assert_nonnull(strstr(parsed->text, "changed from \"Open\" to \"Answered\""));
}

static void
test_subject_cannot_inject(void)
{
	store_ticket hostile = ticket;
	g_autofree char *id = NULL;
	g_autofree char *mail = NULL;

	hostile.subject = "Hola\r\nBcc: victima@otro.es\r\n\r\ncuerpo falso";
	mail = compose_text(NOTIFY_CREATED, &hostile, "es", &id);
	g_assert_null(strstr(mail, "\r\nBcc:"));
	g_assert_true(has_header_line(mail, "Subject: [Ticket #KQZ-482913] Hola  Bcc: victima@otro.es    cuerpo falso"));
}

static void
test_addresses(void)
{
	static const struct { const char *address; gboolean valid; } cases[] = {
		{ "ana@cliente.es", TRUE }, { "ana.nunez+soporte@cliente.es", TRUE }, { "ñandú@correo.es", TRUE },
		{ "", FALSE }, { "ana", FALSE }, { "@cliente.es", FALSE }, { "ana@", FALSE },
		{ "ana@@cliente.es", FALSE }, { "ana@b@c.es", FALSE }, { "ana @cliente.es", FALSE },
		{ "ana@cliente.es\r\nRCPT TO:<x@y.es>", FALSE }, { "ana@cliente.es\n", FALSE },
		{ "<ana@cliente.es>", FALSE }, { "ana@cliente.es>", FALSE }, { "a,b@cliente.es", FALSE },
		{ "\"ana\"@cliente.es", FALSE }, { "ana@.cliente.es", FALSE }, { "ana@cliente.es.", FALSE },
		{ "ana\t@cliente.es", FALSE }, { "ana\x7f@cliente.es", FALSE }, { "ana@cliente\xff.es", FALSE },
	};

	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++)
		if (compose_address_valid(cases[i].address) != cases[i].valid)
			g_error("case %zu: \"%s\" should be %s", i, cases[i].address, cases[i].valid ? "valid" : "refused");
}

int
main(int argc, char **argv)
{
	g_autofree char *top = g_strdup(g_getenv("TICKETD_TOP") ? g_getenv("TICKETD_TOP") : ".");

	g_test_init(&argc, &argv, NULL);
	mime_init();
	config.templates_dir = g_build_filename(top, "etc", "templates", NULL);
	config.departments = g_ptr_array_new();
	{
		static department_config soporte = { "soporte", "Soporte técnico", "soporte@example.com", 0 };

		g_ptr_array_add(config.departments, &soporte);
	}
	g_test_add_func("/compose/headers", test_headers);
	g_test_add_func("/compose/auto-submitted-by-kind", test_auto_submitted_by_kind);
	g_test_add_func("/compose/crlf-everywhere-7bit", test_crlf_everywhere);
	g_test_add_func("/compose/spanish-body-round-trip", test_spanish_body_round_trip);
	g_test_add_func("/compose/english-template", test_english_template);
	g_test_add_func("/compose/subject-cannot-inject", test_subject_cannot_inject);
	g_test_add_func("/compose/addresses", test_addresses);
	return g_test_run();
}
