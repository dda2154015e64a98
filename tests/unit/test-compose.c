/*
 * test-compose - notifications as they leave: headers that thread and silence robots,
 * CRLF everywhere, a Spanish body that survives quoted-printable, no header injection
 * through a customer's subject, and strict addresses.
 */
#include <string.h>

#include "compose.h"
#include "mime.h"
#include "status.h"

static char *staff[] = { NULL };
static ticketd_config config = {
	.domain = "example.com", .subject_tag = "Ticket", .staff = staff,
	.smtp = { .from_name = "Soporte Example", .from_address = "soporte@example.com" },
};

static store_ticket ticket = {
	.id = 1, .code = "KQZ-482913", .department = "soporte", .subject = "No funciona el correo",
	.status = STATUS_OPEN,
};

/* compose_text - a composed mail as a string, and its Message-ID. */
static char *
compose_text(notify_kind kind, const store_ticket *t, const char *language, char **message_id)
{
	notify_event event = {
		.kind = kind, .ticket_id = 1, .old_status = STATUS_OPEN, .new_status = STATUS_ANSWERED,
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
	g_assert_true(has_header_line(mail, "Subject: [Ticket #KQZ-482913] Hola Bcc: victima@otro.es cuerpo falso"));
}

/* compose_with - a mail composed from one event and ticket, as a string. */
static char *
compose_with(const notify_event *event, const store_ticket *t, const char *language, const char *name)
{
	compose_request request = {
		.kind = event->kind, .ticket = t, .recipient = "ana@cliente.es", .recipient_name = name,
		.language = language, .event = event,
	};
	g_autofree char *id = NULL;
	g_autoptr(GBytes) mail = compose_mail(&config, &request, &id);
	gsize length;
	const char *data = g_bytes_get_data(mail, &length);

	return g_strndup(data, length);
}

/* header_value - the unfolded value of a header, or NULL. */
static char *
header_value(const char *mail, const char *name)
{
	g_autofree char *needle = g_strconcat("\r\n", name, ": ", NULL);
	const char *start = strstr(mail, needle);
	GString *value;

	if (start == NULL)
		return NULL;
	value = g_string_new(NULL);
	for (const char *p = start + strlen(needle); *p != '\0'; p++) {
		if (p[0] == '\r' && p[1] == '\n' && (p[2] == ' ' || p[2] == '\t')) {
			p++;
			continue;
		}
		if (p[0] == '\r')
			break;
		g_string_append_c(value, *p);
	}
	return g_string_free(value, FALSE);
}

static void
test_hostile_fields(void)
{
	/* Each field a customer or a stored row controls, with a line break or worse in it. */
	static const struct {
		const char *subject, *name, *in_reply_to, *references;
		const char *expect_subject;
	} cases[] = {
		{ "Hola\rBcc: x@y.es", "Ana", NULL, NULL, "[Ticket #KQZ-482913] Hola Bcc: x@y.es" },
		{ "Hola\nBcc: x@y.es", "Ana\r\nBcc: x@y.es", NULL, NULL, "[Ticket #KQZ-482913] Hola Bcc: x@y.es" },
		{ "Tab\there\x01\x7f", "Ana", "a@b\r\nBcc: x@y.es", NULL, "[Ticket #KQZ-482913] Tab here" },
		{ "Línea\xe2\x80\xa8separada", "Ana", NULL, "<a@b>\r\nBcc: x@y.es <c@d>",
		  "[Ticket #KQZ-482913] Línea separada" },
		{ "\xff\xfe latin1 \xf1", "\xff", "<a@b>", "x y z", "[Ticket #KQZ-482913] \xef\xbf\xbd" },
	};

	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		store_ticket hostile = ticket;
		notify_event event = {
			.kind = NOTIFY_CREATED, .ticket_id = 1,
			.in_reply_to = cases[i].in_reply_to, .references = cases[i].references,
		};
		g_autofree char *mail = NULL;
		g_autofree char *subject = NULL;
		g_autoptr(parsed_message) parsed = NULL;
		const char *body;

		hostile.subject = (char *)cases[i].subject;
		mail = compose_with(&event, &hostile, "es", cases[i].name);
		body = strstr(mail, "\r\n\r\n");
		g_assert_nonnull(body);
		/* No header line beyond ours, whatever was in the fields. */
		for (const char *p = mail; p < body; p = strstr(p, "\r\n") + 2) {
			if (*p == ' ' || *p == '\t')
				continue;
			g_assert_false(g_ascii_strncasecmp(p, "Bcc:", 4) == 0);
		}
		for (const char *p = mail; *p != '\0'; p++) {
			g_assert_true((unsigned char)*p < 0x80);
			if (*p == '\n')
				g_assert_true(p > mail && p[-1] == '\r');
			if (*p == '\r')
				g_assert_true(p[1] == '\n');
		}
		subject = header_value(mail, "Subject");
		g_assert_nonnull(subject);
		parsed = mime_parse(mail, strlen(mail));
		if (!g_str_has_prefix(parsed->subject, cases[i].expect_subject))
			g_error("case %zu: subject \"%s\" does not start with \"%s\"", i, parsed->subject,
			        cases[i].expect_subject);
		g_assert_cmpuint(parsed->to->len, ==, 1);
		g_assert_cmpstr(((mail_address *)g_ptr_array_index(parsed->to, 0))->address, ==, "ana@cliente.es");
		g_assert_null(strstr(parsed->subject, "\n"));
	}
}

static void
test_threading(void)
{
	static const struct {
		const char *in_reply_to, *references;
		const char *expect_in_reply_to, *expect_references;
	} cases[] = {
		{ "m1@c.es", NULL, "<m1@c.es>", "<m1@c.es>" },
		{ "<m1@c.es>", "<m0@c.es>", "<m1@c.es>", "<m0@c.es> <m1@c.es>" },
		{ "m1@c.es", "<m0@c.es> <m1@c.es>", "<m1@c.es>", "<m0@c.es> <m1@c.es>" },
		{ "m1@c.es", "m0@c.es  <m0@c.es>\t<bad id@c.es>", "<m1@c.es>", "<m0@c.es> <m1@c.es>" },
		{ NULL, NULL, NULL, NULL },
		{ "sin-arroba", "<m0@c.es>", NULL, "<m0@c.es>" },
	};

	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		notify_event event = {
			.kind = NOTIFY_CREATED, .ticket_id = 1,
			.in_reply_to = cases[i].in_reply_to, .references = cases[i].references,
		};
		g_autofree char *mail = compose_with(&event, &ticket, "es", "Ana");
		g_autofree char *in_reply_to = header_value(mail, "In-Reply-To");
		g_autofree char *references = header_value(mail, "References");

		g_assert_cmpstr(in_reply_to, ==, cases[i].expect_in_reply_to);
		g_assert_cmpstr(references, ==, cases[i].expect_references);
	}
}

static void
test_subject_cleanup(void)
{
	static const struct { const char *stored, *expect; } cases[] = {
		{ "No funciona el correo", "[Ticket #KQZ-482913] No funciona el correo" },
		{ "RE: [Ticket #ABC-123456] No funciona", "[Ticket #KQZ-482913] No funciona" },
		{ "RV: Re: [Ticket #ABC-123456] RE: Otra vez", "[Ticket #KQZ-482913] Otra vez" },
		{ "Factura [Ticket #ABC-123456] de marzo", "[Ticket #KQZ-482913] Factura de marzo" },
		{ "re: [TICKET #abc-123456] en minusculas", "[Ticket #KQZ-482913] en minusculas" },
		{ "Corchetes [sin cerrar #", "[Ticket #KQZ-482913] Corchetes [sin cerrar #" },
		{ "[Ticket #ABC-123456]", "[Ticket #KQZ-482913]" },
		{ "", "[Ticket #KQZ-482913]" }, { "Re: ", "[Ticket #KQZ-482913]" },
	};

	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		store_ticket t = ticket;
		notify_event event = { .kind = NOTIFY_STATUS, .ticket_id = 1 };
		g_autofree char *mail = NULL;
		g_autofree char *subject = NULL;

		t.subject = (char *)cases[i].stored;
		mail = compose_with(&event, &t, "es", "Ana");
		subject = header_value(mail, "Subject");
		g_assert_cmpstr(subject, ==, cases[i].expect);
	}
	{
		/* A very long subject is cut, and the cut stays valid UTF-8 once decoded. */
		store_ticket t = ticket;
		notify_event event = { .kind = NOTIFY_STATUS, .ticket_id = 1 };
		g_autoptr(GString) longer = g_string_new(NULL);
		g_autofree char *mail = NULL;
		g_autoptr(parsed_message) parsed = NULL;

		for (int i = 0; i < 100; i++)
			g_string_append(longer, "ñandú ");
		t.subject = longer->str;
		mail = compose_with(&event, &t, "es", "Ana");
		parsed = mime_parse(mail, strlen(mail));
		g_assert_true(g_utf8_validate(parsed->subject, -1, NULL));
		g_assert_cmpuint(g_utf8_strlen(parsed->subject, -1), <=, 200);
		g_assert_true(g_str_has_suffix(parsed->subject, "…"));
	}
}

static void
test_languages(void)
{
	/* An unknown or hostile language falls back to Spanish; never leaves templates_dir. */
	static const struct { const char *lang, *expect; } cases[] = {
		{ "es", "Hemos recibido su mensaje" }, { "en", "We have received your message" },
		{ "fr", "Hemos recibido su mensaje" }, { NULL, "Hemos recibido su mensaje" },
		{ "../../../../etc", "Hemos recibido su mensaje" }, { "", "Hemos recibido su mensaje" },
	};

	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		notify_event event = { .kind = NOTIFY_CREATED, .ticket_id = 1 };
		compose_request request = {
			.kind = NOTIFY_CREATED, .ticket = &ticket, .recipient = "ana@cliente.es",
			.recipient_name = "Ana", .language = cases[i].lang, .event = &event,
		};
		g_autofree char *text = compose_template_text(&config, &request);

		if (strstr(text, cases[i].expect) == NULL)
			g_error("case %zu (%s): body \"%s\"", i, cases[i].lang ? cases[i].lang : "NULL", text);
	}
}

static void
test_placeholders(void)
{
	/* Every placeholder of every template is filled; a value is never expanded again. */
	static const notify_kind kinds[] = {
		NOTIFY_CREATED, NOTIFY_STAFF_REPLY, NOTIFY_STATUS, NOTIFY_REOPENED, NOTIFY_AUTO_CLOSED,
		NOTIFY_NEW_LINKED, NOTIFY_REFUSED, NOTIFY_CLOSED, NOTIFY_REMINDER,
	};
	static const char *const langs[] = { "es", "en" };

	for (gsize l = 0; l < G_N_ELEMENTS(langs); l++)
		for (gsize i = 0; i < G_N_ELEMENTS(kinds); i++) {
			notify_event event = {
				.kind = kinds[i], .ticket_id = 1, .old_status = STATUS_OPEN, .new_status = STATUS_PENDING,
				.text = "Texto con {code} y\r\nun retorno", .linked_code = "ABC-123456",
			};
			compose_request request = {
				.kind = kinds[i], .ticket = &ticket, .recipient = "ana@cliente.es",
				.recipient_name = "Ana", .language = langs[l], .event = &event,
			};
			g_autofree char *text = compose_template_text(&config, &request);

			if (strchr(text, '\r') != NULL || strstr(text, "{name}") || strstr(text, "{status}") ||
			    strstr(text, "{subject}") || strstr(text, "{department}") || strstr(text, "{tag}") ||
			    strstr(text, "{linked_code}") || strstr(text, "{old_status}") || strstr(text, "{close_link}") ||
			    strstr(text, "{remind}"))
				g_error("%s/%s: \"%s\"", langs[l], event_notice_name(kinds[i]), text);
			g_assert_nonnull(strstr(text, kinds[i] == NOTIFY_REFUSED ? "ABC-123456" : "KQZ-482913"));
			if (kinds[i] == NOTIFY_STAFF_REPLY)
				g_assert_nonnull(strstr(text, "Texto con {code} y\nun retorno"));
			if (kinds[i] == NOTIFY_STATUS)
				g_assert_nonnull(strstr(text, l == 0 ? "Pendiente" : "Pending"));
		}
}

/* compose_body_for - the body of a notice of kind whose event sets new_status. */
static char *
compose_body_for(notify_kind kind, const store_ticket *t, const char *new_status, const char *language)
{
	notify_event event = { .kind = kind, .ticket_id = 1, .new_status = new_status, .text = "Hecho." };
	compose_request request = {
		.kind = kind, .ticket = t, .recipient = "ana@cliente.es", .language = language, .event = &event,
	};

	return compose_template_text(&config, &request);
}

/* test_close_link - every customer notice of a ticket still open ends with the mailto:
 * link (RFC 6068, percent-encoded subject); none once closed, none for staff, none for
 * held mail that reached no ticket. */
static void
test_close_link(void)
{
	static const char link_es[] = "Si ya está resuelto, puede cerrarlo: mailto:soporte+KQZ-482913-cerrar@example.com"
	                              "?subject=Cerrar%20%5BTicket%20%23KQZ-482913%5D\n";
	static const char link_en[] = "If it is solved already, you can close it: mailto:soporte+KQZ-482913-cerrar@"
	                              "example.com?subject=Close%20%5BTicket%20%23KQZ-482913%5D\n";
	static const notify_kind open_kinds[] = {
		NOTIFY_CREATED, NOTIFY_STAFF_REPLY, NOTIFY_STATUS, NOTIFY_REOPENED, NOTIFY_NEW_LINKED, NOTIFY_REMINDER,
	};
	store_ticket ticketless = ticket;

	for (gsize i = 0; i < G_N_ELEMENTS(open_kinds); i++) {
		g_autofree char *es = compose_body_for(open_kinds[i], &ticket, STATUS_ANSWERED, "es");
		g_autofree char *en = compose_body_for(open_kinds[i], &ticket, STATUS_ANSWERED, "en");

		if (strstr(es, link_es) == NULL || strstr(en, link_en) == NULL)
			g_error("%s: no close link in \"%s\" / \"%s\"", event_notice_name(open_kinds[i]), es, en);
	}
	{
		g_autofree char *closed = compose_body_for(NOTIFY_STATUS, &ticket, STATUS_CLOSED, "es");
		g_autofree char *auto_closed = compose_body_for(NOTIFY_AUTO_CLOSED, &ticket, STATUS_CLOSED, "es");
		g_autofree char *by_mail = compose_body_for(NOTIFY_CLOSED, &ticket, STATUS_CLOSED, "es");
		g_autofree char *to_staff = compose_body_for(NOTIFY_STAFF_NEW, &ticket, NULL, "es");
		g_autofree char *held = NULL;

		ticketless.code = "";
		ticketless.status = "";
		held = compose_body_for(NOTIFY_HELD_SUBACCOUNT, &ticketless, NULL, "es");
		g_assert_null(strstr(closed, "mailto:"));
		g_assert_null(strstr(auto_closed, "mailto:"));
		g_assert_null(strstr(by_mail, "mailto:"));
		g_assert_null(strstr(to_staff, "mailto:"));
		g_assert_null(strstr(held, "mailto:"));
	}
}

/* test_signature - the department's signature ends a customer notice, after one "-- "
 * line even in a staff reply that has its own; [smtp]'s is the default; staff get none. */
static void
test_signature(void)
{
	department_config *soporte = g_ptr_array_index(config.departments, 0);
	g_autofree char *global = NULL;
	g_autofree char *own = NULL;
	g_autofree char *reply = NULL;
	g_autofree char *to_staff = NULL;

	config.smtp.signature = "Example Hosting";
	global = compose_body_for(NOTIFY_STATUS, &ticket, STATUS_ANSWERED, "es");
	soporte->signature = "Soporte Example\nTel. 900 000 000";
	own = compose_body_for(NOTIFY_STATUS, &ticket, STATUS_ANSWERED, "es");
	reply = compose_body_for(NOTIFY_STAFF_REPLY, &ticket, STATUS_ANSWERED, "es");
	to_staff = compose_body_for(NOTIFY_STAFF_NEW, &ticket, NULL, "es");
	soporte->signature = NULL;
	config.smtp.signature = NULL;
	g_assert_true(g_str_has_suffix(global, "\n\n-- \nExample Hosting\n"));
	g_assert_true(g_str_has_suffix(own, "\n\n-- \nSoporte Example\nTel. 900 000 000\n"));
	g_assert_null(strstr(own, "Example Hosting"));
	g_assert_true(g_str_has_suffix(reply, "en el asunto.\n\nSoporte Example\nTel. 900 000 000\n"));
	g_assert_null(strstr(strstr(reply, "\n-- \n") + 1, "\n-- \n"));
	g_assert_null(strstr(to_staff, "Soporte Example\nTel."));
}

/* test_department_from - a department's from is the From of its tickets' notices. */
static void
test_department_from(void)
{
	department_config *soporte = g_ptr_array_index(config.departments, 0);
	g_autofree char *message_id = NULL;
	g_autofree char *mail = NULL;
	g_autofree char *global = NULL;

	global = compose_text(NOTIFY_STATUS, &ticket, "es", &message_id);
	g_clear_pointer(&message_id, g_free);
	soporte->from_name = "Soporte Example Hosting";
	soporte->from_address = "ayuda@example.com";
	mail = compose_text(NOTIFY_STATUS, &ticket, "es", &message_id);
	soporte->from_name = NULL;
	soporte->from_address = NULL;
	g_assert_true(has_header_line(global, "From: Soporte Example <soporte@example.com>"));
	g_assert_true(has_header_line(mail, "From: Soporte Example Hosting <ayuda@example.com>"));
	g_assert_true(has_header_line(mail, "Reply-To: Soporte Example Hosting <soporte+KQZ-482913@example.com>"));
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
	g_test_add_func("/compose/hostile-fields", test_hostile_fields);
	g_test_add_func("/compose/threading", test_threading);
	g_test_add_func("/compose/subject-cleanup", test_subject_cleanup);
	g_test_add_func("/compose/languages", test_languages);
	g_test_add_func("/compose/placeholders", test_placeholders);
	g_test_add_func("/compose/close-link", test_close_link);
	g_test_add_func("/compose/signature", test_signature);
	g_test_add_func("/compose/department-from", test_department_from);
	return g_test_run();
}
