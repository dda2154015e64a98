/*
 * test-mime - mime_parse against hand-written messages: split encoded-words (GMime
 * #133), lying and missing charsets, HTML-only bodies, attachments (RFC 2231/2047
 * names, inside forwarded messages), DSN fields, and garbage that must not crash.
 */
#include <string.h>

#include "ingest.h"
#include "mime.h"

typedef struct {
	const char *name;
	const char *raw;
	const char *from_name;          /* NULL: not checked */
	const char *from_address;
	const char *subject;
	const char *text;               /* exact text, NULL: not checked */
	const char *text_absent;        /* must not appear in the text */
	const char *attachments;        /* "name|type|size" joined by ";", NULL: none */
	const char *report_type;
	const char *original_message_id;
	gsize length;                   /* 0: strlen(raw) */
} mime_case;

/* Random bytes with a NUL inside, so the length is given. */
#define RANDOM "\x01\x02\xff\xfe--\r\n\r\n\x80\x81==?=?utf-8?b?\r\n\x00garbage"

#define MIMEHDR "MIME-Version: 1.0\r\n"
#define HDR "From: Juan <juan@example.com>\r\nTo: soporte@example.com\r\n" \
	"Subject: prueba\r\nMessage-ID: <m1@example.com>\r\nMIME-Version: 1.0\r\n"

static const mime_case cases[] = {
	{ "b-words split with padding (#133)",
	  "From: =?UTF-8?B?Sm9zw6k=?= =?UTF-8?B?IFDDqXJleg==?= <Jose.Perez@Example.COM>\r\n"
	  "Subject: =?UTF-8?B?SGVsbG8=?= =?UTF-8?B?IHdvcmxk?=\r\n\r\nhola\r\n",
	  "José Pérez", "Jose.Perez@example.com", "Hello world", "hola", NULL, NULL, NULL, NULL, 0 },
	/* An encoded-word is no word inside an addr-spec (RFC 2047 5): decoded, these
	 * would name ana@cliente.es, who never wrote them. */
	{ "an encoded-word that decodes to an address is no address",
	  "From: =?UTF-8?B?YW5hQGNsaWVudGUuZXM=?=\r\nSubject: x\r\n\r\nhola\r\n",
	  "", "=?UTF-8?B?YW5hQGNsaWVudGUuZXM=?=", "x", "hola", NULL, NULL, NULL, NULL, 0 },
	{ "an encoded-word in angle brackets stays as written",
	  "From: <=?UTF-8?B?YW5hQGNsaWVudGUuZXM=?=>\r\nSubject: x\r\n\r\nhola\r\n",
	  "", "=?UTF-8?B?YW5hQGNsaWVudGUuZXM=?=", "x", "hola", NULL, NULL, NULL, NULL, 0 },
	{ "an encoded <address> after a name is not taken for the sender",
	  "From: ana =?UTF-8?B?PGFuYUBjbGllbnRlLmVzPg==?=\r\nSubject: x\r\n\r\nhola\r\n",
	  "", "", "x", "hola", NULL, NULL, NULL, NULL, 0 },
	{ "an encoded-word in a local part is kept, the name decoded",
	  "From: =?UTF-8?B?QW5h?= <=?UTF-8?Q?x?=@Evil.TEST>\r\nSubject: x\r\n\r\nhola\r\n",
	  "Ana", "=?UTF-8?Q?x?=@evil.test", "x", "hola", NULL, NULL, NULL, NULL, 0 },
	{ "a malformed From keeps its local part's case",
	  "From: Ana Nuñez Ana.Nunez@Cliente.ES\r\nSubject: x\r\n\r\nhola\r\n",
	  NULL, "Ana.Nunez@cliente.es", "x", "hola", NULL, NULL, NULL, NULL, 0 },
	{ "q-words split over a folded line",
	  "From: =?ISO-8859-1?Q?Mar=EDa?= <maria@example.com>\r\n"
	  "Subject: =?ISO-8859-1?Q?Factura_de_ma?=\r\n =?ISO-8859-1?Q?=F1ana?= y m\xc3\xa1s\r\n"
	  "\r\nhola\r\n",
	  "María", "maria@example.com", "Factura de mañana y más", NULL, NULL, NULL, NULL, NULL, 0 },
	{ "raw 8-bit latin-1 subject, control characters replaced",
	  "From: a@example.com\r\nSubject: caf\xe9 =?utf-8?q?a=0D=0Ab?=\r\n\r\nx\r\n",
	  "", "a@example.com", "café a  b", NULL, NULL, NULL, NULL, NULL, 0 },
	{ "raw 8-bit headers in the charset the body declares",
	  "From: \xcf\xf0\xe8\xe2\xe5\xf2 <ivan@example.ru>\r\nSubject: \xcf\xf0\xe8\xe2\xe5\xf2\r\n"
	  "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=windows-1251\r\n\r\n"
	  "\xcf\xf0\xe8\xe2\xe5\xf2\r\n",
	  "Привет", "ivan@example.ru", "Привет", "Привет", NULL, NULL, NULL, NULL, 0 },
	{ "raw GB2312 headers under a GB2312 body",
	  "From: \xc0\xee\xc4\xc8 <li@example.cn>\r\nSubject: \xc4\xe3\xba\xc3\r\n"
	  "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=gb2312\r\n"
	  "Content-Transfer-Encoding: 8bit\r\n\r\n\xc4\xe3\xba\xc3\r\n",
	  "李娜", "li@example.cn", "你好", "你好", NULL, NULL, NULL, NULL, 0 },
	{ "iso-8859-1 body",
	  HDR "Content-Type: text/plain; charset=iso-8859-1\r\n"
	  "Content-Transfer-Encoding: 8bit\r\n\r\nMa\xf1" "ana caf\xe9\r\n",
	  NULL, NULL, NULL, "Mañana café", NULL, NULL, NULL, NULL, 0 },
	{ "windows-1252 body with euro and curly quotes",
	  HDR "Content-Type: text/plain; charset=windows-1252\r\n"
	  "Content-Transfer-Encoding: quoted-printable\r\n\r\n=80 100 =93ok=94\r\n",
	  NULL, NULL, NULL, "€ 100 “ok”", NULL, NULL, NULL, NULL, 0 },
	{ "declared utf-8, really latin-1",
	  HDR "Content-Type: text/plain; charset=utf-8\r\n"
	  "Content-Transfer-Encoding: 8bit\r\n\r\nMa\xf1" "ana caf\xe9\r\n",
	  NULL, NULL, NULL, "Mañana café", NULL, NULL, NULL, NULL, 0 },
	{ "no charset, latin-1 bytes",
	  HDR "Content-Type: text/plain\r\n\r\nMa\xf1" "ana caf\xe9\r\n",
	  NULL, NULL, NULL, "Mañana café", NULL, NULL, NULL, NULL, 0 },
	{ "bare CR and control characters in the body",
	  HDR "Content-Type: text/plain; charset=utf-8\r\n\r\nuno\rdos\x01\ttres\r\n",
	  NULL, NULL, NULL, "uno\ndos\ttres", NULL, NULL, NULL, NULL, 0 },
	{ "format=flowed joined back into paragraphs",
	  HDR "Content-Type: text/plain; charset=utf-8; format=flowed; delsp=no\r\n\r\n"
	  "Hola, el dominio no \r\nresuelve.\r\n\r\n> cita \r\n> seguida\r\n-- \r\nJuan\r\n",
	  NULL, NULL, NULL, "Hola, el dominio no resuelve.\n\n> cita seguida\n-- \nJuan",
	  NULL, NULL, NULL, NULL, 0 },
	{ "html only",
	  HDR "Content-Type: text/html; charset=utf-8\r\n\r\n"
	  "<html><head><title>t</title><style>p {color: red}</style></head><body>"
	  "<p>Hola</p><p>L&iacute;nea 1<br>L&iacute;nea 2</p>"
	  "<ul><li>uno</li><li>dos &amp; tres</li></ul>"
	  "<script>alert('x')</script></body></html>\r\n",
	  NULL, NULL, NULL, "Hola\n\nLínea 1\nLínea 2\n\n- uno\n- dos & tres", "alert", NULL, NULL, NULL, 0 },
	{ "multipart/alternative picks text/plain",
	  HDR "Content-Type: multipart/alternative; boundary=\"b1\"\r\n\r\n"
	  "--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\ntexto plano\r\n"
	  "--b1\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>texto html</p>\r\n"
	  "--b1--\r\n",
	  NULL, NULL, NULL, "texto plano", NULL, NULL, NULL, NULL, 0 },
	{ "empty text/plain alternative falls back to the html",
	  HDR "Content-Type: multipart/alternative; boundary=\"b1\"\r\n\r\n"
	  "--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n \r\n"
	  "--b1\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>texto html</p>\r\n"
	  "--b1--\r\n",
	  NULL, NULL, NULL, "texto html", NULL, NULL, NULL, NULL, 0 },
	{ "alternative inside mixed, with RFC 2231 and split RFC 2047 names",
	  HDR "Content-Type: multipart/mixed; boundary=\"m\"\r\n\r\n"
	  "--m\r\nContent-Type: multipart/alternative; boundary=\"a\"\r\n\r\n"
	  "--a\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>solo html</p>\r\n"
	  "--a\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nadjunto la factura\r\n"
	  "--a--\r\n"
	  "--m\r\nContent-Type: application/pdf\r\n"
	  "Content-Disposition: attachment; filename*=UTF-8''factura%20ni%C3%B1o.pdf\r\n"
	  "Content-Transfer-Encoding: base64\r\n\r\nSG9sYSBhZGp1bnRv\r\n"
	  "--m\r\nContent-Type: application/pdf;\r\n"
	  " NAME=\"=?UTF-8?B?aW5mb3JtZQ==?= =?UTF-8?B?IGHDsW8ucGRm?=\"\r\n"
	  "Content-Transfer-Encoding: base64\r\n\r\nSG9sYSBhZGp1bnRv\r\n"
	  "--m\r\nContent-Type: image/png\r\nContent-Disposition: attachment;"
	  " filename=\"../../.hidden/x.png\"\r\n\r\npng\r\n"
	  "--m\r\nContent-Type: application/octet-stream\r\n\r\nbin\r\n"
	  "--m--\r\n",
	  NULL, NULL, NULL, "adjunto la factura", NULL,
	  "factura niño.pdf|application/pdf|12;informe año.pdf|application/pdf|12;"
	  "x.png|image/png|3;adjunto-4|application/octet-stream|3", NULL, NULL, 0 },
	{ "forwarded message/rfc822 with its own attachment",
	  HDR "Content-Type: multipart/mixed; boundary=\"o\"\r\n\r\n"
	  "--o\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nte reenvío el correo\r\n"
	  "--o\r\nContent-Type: message/rfc822\r\n\r\n"
	  "From: otro@example.com\r\nSubject: original\r\nMIME-Version: 1.0\r\n"
	  "Content-Type: multipart/mixed; boundary=\"i\"\r\n\r\n"
	  "--i\r\nContent-Type: text/plain\r\n\r\ncuerpo reenviado\r\n"
	  "--i\r\nContent-Type: application/zip; name=logs.zip\r\n\r\nzipdata\r\n"
	  "--i--\r\n"
	  "--o--\r\n",
	  NULL, NULL, NULL, "te reenvío el correo", "cuerpo reenviado",
	  "original.eml|message/rfc822|215;logs.zip|application/zip|7", NULL, NULL, 0 },
	{ "delivery status notification",
	  "From: MAILER-DAEMON@mx.example.com (Mail Delivery System)\r\n"
	  "Return-Path: <>\r\nSubject: Undelivered Mail Returned to Sender\r\n"
	  "Auto-Submitted: auto-replied\r\nMIME-Version: 1.0\r\n"
	  "Content-Type: multipart/report; report-type=Delivery-Status; boundary=\"r\"\r\n\r\n"
	  "--r\r\nContent-Type: text/plain\r\n\r\nI'm sorry to have to inform you\r\n"
	  "--r\r\nContent-Type: message/delivery-status\r\n\r\n"
	  "Reporting-MTA: dns; mx.example.com\r\n\r\nFinal-Recipient: rfc822; x@y\r\n"
	  "Action: failed\r\nStatus: 5.1.1\r\n"
	  "--r\r\nContent-Type: text/rfc822-headers\r\n\r\n"
	  "From: soporte@example.com\r\nMessage-ID:\r\n <notif-1@ticketd.example.com>\r\n"
	  "Subject: [Ticket #KQZ-482913]\r\n"
	  "--r--\r\n",
	  "Mail Delivery System", "MAILER-DAEMON@mx.example.com",
	  "Undelivered Mail Returned to Sender", "I'm sorry to have to inform you", NULL,
	  "delivery-status.txt|message/delivery-status|97;cabeceras.txt|text/rfc822-headers|101",
	  "delivery-status",
	  "notif-1@ticketd.example.com", 0 },
	{ "missing From",
	  "To: soporte@example.com\r\nSubject: sin remitente\r\n\r\nhola\r\n",
	  "", "", "sin remitente", "hola", NULL, NULL, NULL, NULL, 0 },
	{ "empty input", "", "", "", "", "", NULL, NULL, NULL, NULL, 0 },
	{ "random bytes",
	  RANDOM, "", "", "", NULL, NULL, NULL, NULL, NULL, sizeof RANDOM - 1 },
	{ "header without a body", "Subject: =?utf-8?B?", "", "", "=?utf-8?B?", "", NULL, NULL, NULL, NULL, 0 },
	{ "bidirectional overrides cannot disguise an attachment's type (Unicode TR #36)",
	  "From: a@x.es\r\nSubject: =?UTF-8?Q?pago_factura=E2=80=AEfdp.exe?=\r\n" MIMEHDR
	  "Content-Type: multipart/mixed; boundary=m\r\n\r\n--m\r\nContent-Type: text/plain\r\n\r\nx\r\n"
	  "--m\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment;"
	  " filename*=UTF-8''factura%E2%80%AEfdp.exe\r\n\r\nMZ\r\n"
	  "--m\r\nContent-Type: application/octet-stream; name=\"=?UTF-8?B?4oGndGVzdOKBqS5leGU=?=\"\r\n\r\nMZ\r\n"
	  "--m--\r\n",
	  "", "a@x.es", "pago facturafdp.exe", "x", NULL,
	  "facturafdp.exe|application/octet-stream|2;test.exe|application/octet-stream|2", NULL, NULL, 0 },
	{ "every part kept: unnamed parts named by Content-ID, Content-Location and type",
	  HDR "Content-Type: multipart/mixed; boundary=m\r\n\r\n"
	  "--m\r\nContent-Type: multipart/alternative; boundary=a\r\n\r\n"
	  "--a\r\nContent-Type: text/plain\r\n\r\nhola\r\n"
	  "--a\r\nContent-Type: multipart/related; boundary=r\r\n\r\n"
	  "--r\r\nContent-Type: text/html\r\n\r\n<p>hola <img src=cid:image001.jpg@01D9></p>\r\n"
	  "--r\r\nContent-Type: image/jpeg\r\nContent-ID: <image001.jpg@01D9>\r\n\r\njpg\r\n"
	  "--r\r\nContent-Type: image/png\r\nContent-Location: http://x.es/img/logo.png?v=2\r\n\r\npng\r\n"
	  "--r--\r\n--a--\r\n"
	  "--m\r\nContent-Type: text/html\r\n\r\n<p>segunda parte</p>\r\n"
	  "--m\r\nContent-Type: text/plain\r\n\r\nregistro\r\n"
	  "--m\r\nContent-Type: message/rfc822\r\n\r\nFrom: b@y.es\r\n\r\nreenviado\r\n"
	  "--m\r\nContent-Type: application/pgp-signature\r\n\r\n-----BEGIN PGP SIGNATURE-----\r\n"
	  "--m--\r\n",
	  NULL, NULL, NULL, "hola", NULL,
	  "image001.jpg|image/jpeg|3;logo.png|image/png|3;mensaje.html|text/html|20;"
	  "informe.txt|text/plain|8;mensaje.eml|message/rfc822|23;signature.asc|application/pgp-signature|29",
	  NULL, NULL, 0 },
};

/* check_attachments - the listed attachments against "name|type|size;..." */
static void
check_attachments(const parsed_message *m, const char *expected)
{
	g_autoptr(GString) got = g_string_new(NULL);
	guint i;

	for (i = 0; i < m->attachments->len; i++) {
		const mail_attachment *a = g_ptr_array_index(m->attachments, i);

		g_assert_true(g_utf8_validate(a->filename, -1, NULL));
		g_assert_cmpuint(strlen(a->sha256), ==, 64);
		g_assert_cmpuint(g_bytes_get_size(a->data), ==, a->size);
		g_string_append_printf(got, "%s%s|%s|%zu", i ? ";" : "", a->filename,
		    a->content_type, a->size);
	}
	g_assert_cmpstr(got->str, ==, expected ? expected : "");
}

/* check_valid - every string the parser hands out is valid UTF-8 and not NULL. */
static void
check_valid(const parsed_message *m)
{
	g_assert_nonnull(m->from);
	g_assert_true(g_utf8_validate(m->from->name, -1, NULL));
	g_assert_true(g_utf8_validate(m->from->address, -1, NULL));
	g_assert_true(g_utf8_validate(m->subject, -1, NULL));
	g_assert_true(g_utf8_validate(m->text, -1, NULL));
	g_assert_true(g_utf8_validate(m->new_text, -1, NULL));
	g_assert_null(strchr(m->subject, '\n'));
	g_assert_null(strchr(m->text, '\r'));
}

static void
test_case(gconstpointer data)
{
	const mime_case *c = data;
	g_autoptr(parsed_message) m = mime_parse(c->raw,
	    c->length ? c->length : strlen(c->raw));

	check_valid(m);
	if (c->from_name != NULL)
		g_assert_cmpstr(m->from->name, ==, c->from_name);
	if (c->from_address != NULL)
		g_assert_cmpstr(m->from->address, ==, c->from_address);
	if (c->subject != NULL)
		g_assert_cmpstr(m->subject, ==, c->subject);
	if (c->text != NULL)
		g_assert_cmpstr(m->text, ==, c->text);
	if (c->text_absent != NULL)
		g_assert_null(strstr(m->text, c->text_absent));
	check_attachments(m, c->attachments);
	g_assert_cmpstr(m->report_type, ==, c->report_type);
	g_assert_cmpstr(m->original_message_id, ==, c->original_message_id);
}

/* test_threading_headers - ids without <>, references oldest first, date in UTC. */
static void
test_threading_headers(void)
{
	static const char raw[] =
	    "From: Ana <ana@example.com>\r\nTo: \"Soporte, Ventas\" <Soporte@Example.com>,"
	    " equipo: a@x.es, b@x.es;\r\nCc: c@x.es\r\nReply-To: r@x.es\r\n"
	    "Subject: Re: [Ticket #KQZ-482913] hola\r\n"
	    "Message-ID: <new@example.com>\r\nIn-Reply-To: <two@ticketd>\r\n"
	    "References: <one@ticketd>\r\n <two@ticketd>\r\n"
	    "Date: Mon, 3 Feb 2025 11:00:00 +0100\r\n"
	    "X-Autoreply: yes\r\nList-Unsubscribe: <mailto:u@x>\r\nPrecedence: bulk\r\n"
	    "X-Ticketd-Loop: soporte@example.com\r\n\r\nGracias\r\n\r\n"
	    "El lun, 3 feb 2025 a las 10:00, Soporte <soporte@example.com> escribió:\r\n"
	    "> hola\r\n";
	g_autoptr(parsed_message) m = mime_parse(raw, strlen(raw));
	const mail_address *to;

	g_assert_cmpstr(m->message_id, ==, "new@example.com");
	g_assert_cmpstr(m->in_reply_to, ==, "two@ticketd");
	g_assert_cmpuint(m->references->len, ==, 2);
	g_assert_cmpstr(g_ptr_array_index(m->references, 0), ==, "one@ticketd");
	g_assert_cmpstr(m->date, ==, "2025-02-03T10:00:00Z");
	g_assert_cmpuint(m->to->len, ==, 3);
	to = g_ptr_array_index(m->to, 0);
	g_assert_cmpstr(to->name, ==, "Soporte, Ventas");
	/* The local part as written (RFC 5321 2.4), the domain folded. */
	g_assert_cmpstr(to->address, ==, "Soporte@example.com");
	g_assert_cmpuint(m->cc->len, ==, 1);
	g_assert_cmpuint(m->reply_to->len, ==, 1);
	g_assert_true(m->x_autoreply);
	g_assert_true(m->list_unsubscribe);
	g_assert_false(m->x_auto_response_suppress);
	g_assert_cmpstr(m->precedence, ==, "bulk");
	g_assert_cmpstr(m->loop, ==, "soporte@example.com");
	g_assert_null(m->return_path);
	g_assert_null(m->auto_submitted);
	g_assert_cmpstr(m->new_text, ==, "Gracias");
}

/* test_lenient_from - the sender a person reads, and whether the From was RFC 5322. */
static void
test_lenient_from(void)
{
	static const struct { const char *header, *address, *name; gboolean malformed; guint count; } c[] = {
		{ "From: Ana <ana@x.es>\r\n", "ana@x.es", "Ana", FALSE, 1 },
		{ "From: Pérez, Ana <ana@x.es>\r\n", "ana@x.es", "Pérez, Ana", TRUE, 1 },
		{ "From: \"Pérez, Ana\" <ana@x.es>\r\n", "ana@x.es", "Pérez, Ana", FALSE, 1 },
		{ "From: Ana Pérez ana@x.es\r\n", "ana@x.es", "Ana Pérez", TRUE, 1 },
		{ "From: Ana Sanz <ana sanz@x.es>\r\n", "ana sanz@x.es", "Ana Sanz", TRUE, 1 },
		{ "From: a@x.es, b@y.es\r\n", "a@x.es", "", FALSE, 2 },
		{ "Linea suelta antes de la cabecera\r\nFrom: Ana <ana@x.es>\r\nTo: s@e.com\r\n", "ana@x.es", "Ana", TRUE, 1 },
		{ "From: [??????]\r\nFrom: Ana <ana@x.es>\r\n", "ana@x.es", "Ana", TRUE, 1 },
		{ "From: \"Ana\" <>\r\nReply-To: Ana <ana@x.es>\r\n", "ana@x.es", "Ana", TRUE, 1 },
		/* An encoded-word in an addr-spec is no word: decoding it makes another address. */
		{ "From: =?utf-8?q?ana?=@x.es\r\n", "=?utf-8?q?ana?=@x.es", "", FALSE, 1 },
	};
	gsize i;

	for (i = 0; i < G_N_ELEMENTS(c); i++) {
		g_autofree char *raw = g_strconcat(c[i].header, "Subject: s\r\n\r\nhola\r\n", NULL);
		g_autoptr(parsed_message) m = mime_parse(raw, strlen(raw));

		if (g_strcmp0(m->from->address, c[i].address) != 0 || g_strcmp0(m->from->name, c[i].name) != 0 ||
		    m->from_malformed != c[i].malformed || m->from_count != c[i].count)
			g_error("case %zu: <%s> \"%s\" malformed=%d count=%u", i, m->from->address,
			        m->from->name, m->from_malformed, m->from_count);
	}
}

/* test_bounce_facts - recipient, status and original Message-ID of DSNs, standard or not. */
static void
test_bounce_facts(void)
{
	static const char exim[] = "From: Mail Delivery System <Mailer-Daemon@mx.es>\r\n"
	    "X-Failed-Recipients: Nadie@Cliente.es\r\nSubject: Mail delivery failed\r\n\r\n"
	    "This message was created automatically by mail delivery software.\r\n\r\n"
	    "  nadie@cliente.es\r\n    SMTP error from remote mail server after RCPT TO:<nadie@cliente.es>:\r\n"
	    "    550 5.1.1 User unknown\r\n\r\n------ This is a copy of the message, including all the headers.\r\n"
	    "\r\nMessage-ID: <n-1@ticketd.example.com>\r\nSubject: [Ticket #KQZ-482913]\r\n";
	g_autoptr(parsed_message) m = mime_parse(exim, strlen(exim));

	g_assert_cmpstr(m->bounce_recipient, ==, "nadie@cliente.es");
	g_assert_cmpstr(m->bounce_status, ==, "5.1.1");
	g_assert_cmpstr(m->original_message_id, ==, "n-1@ticketd.example.com");
}

/* golden_render - the fields a NNN.ref holds, one "key: value" a line, text escaped. */
static char *
golden_render(const parsed_message *m, const char *class, const char *signal)
{
	GString *out = g_string_new(NULL);
	g_autoptr(GString) body = g_string_new(NULL);
	const char *p;
	guint i;

	for (p = m->new_text; *p; p++)
		if (*p == '\n' || *p == '\\')
			g_string_append(body, *p == '\n' ? "\\n" : "\\\\");
		else
			g_string_append_c(body, *p);

	g_string_append_printf(out, "from: %s\nname: %s\nmalformed: %s\nsubject: %s\nbody: %s\n",
	                       m->from->address, m->from->name, m->from_malformed ? "yes" : "no", m->subject, body->str);
	for (i = 0; i < m->attachments->len; i++) {
		const mail_attachment *a = g_ptr_array_index(m->attachments, i);

		g_string_append_printf(out, "attachment: %s\t%s\t%s\n", a->filename, a->content_type, a->sha256);
	}
	g_string_append_printf(out, "class: %s\nsignal: %s\n", class, signal);
	if (m->bounce_recipient || m->bounce_status || m->original_message_id)
		g_string_append_printf(out, "bounce: %s %s %s\n", m->bounce_recipient ? m->bounce_recipient : "-",
		                       m->bounce_status ? m->bounce_status : "-",
		                       m->original_message_id ? m->original_message_id : "-");
	return g_string_free(out, FALSE);
}

/*
 * test_golden - tests/mime/NNN.eml against NNN.ref (Postfix's .in/.ref habit): what
 * staff see of each kind of real mail. TICKETD_GOLDEN_WRITE=1 writes the .ref files,
 * to be read and checked by a person before they are committed.
 */
static void
test_golden(void)
{
	static char *staff[] = { NULL };
	ticketd_config config = { .domain = "example.com", .staff = staff };
	const char *top = g_getenv("TICKETD_TOP") ? g_getenv("TICKETD_TOP") : ".";
	g_autofree char *dir = g_build_filename(top, "tests", "mime", NULL);
	g_autoptr(GDir) listing = g_dir_open(dir, 0, NULL);
	const char *entry;
	guint checked = 0;

	g_assert_nonnull(listing);
	while ((entry = g_dir_read_name(listing)) != NULL) {
		g_autofree char *eml = g_build_filename(dir, entry, NULL);
		g_autofree char *ref = NULL, *raw = NULL, *want = NULL, *got = NULL;
		g_autoptr(parsed_message) m = NULL;
		const char *signal;
		mail_class class;
		gsize length;

		if (!g_str_has_suffix(entry, ".eml"))
			continue;
		ref = g_strdup_printf("%.*s.ref", (int)(strlen(eml) - 4), eml);
		g_assert_true(g_file_get_contents(eml, &raw, &length, NULL));
		m = mime_parse(raw, length);
		class = classify_explain(&config, m, NULL, &signal);
		got = golden_render(m, mail_class_name(class), signal);
		if (g_getenv("TICKETD_GOLDEN_WRITE") != NULL)
			g_assert_true(g_file_set_contents(ref, got, -1, NULL));
		if (!g_file_get_contents(ref, &want, NULL, NULL))
			g_error("%s: no %s (write it with TICKETD_GOLDEN_WRITE=1 and check it)", entry, ref);
		if (strcmp(got, want) != 0)
			g_error("%s differs from %s:\n--- got\n%s--- want\n%s", entry, ref, got, want);
		checked++;
	}
	g_assert_cmpuint(checked, >=, 8);
}

/* test_bad_date - an unparsable Date gives NULL, not the epoch. */
static void
test_bad_date(void)
{
	static const char raw[] = "From: a@x.es\r\nDate: mañana por la tarde\r\n\r\nx\r\n";
	g_autoptr(parsed_message) m = mime_parse(raw, strlen(raw));

	g_assert_null(m->date);
	g_assert_null(m->message_id);
	g_assert_null(m->in_reply_to);
	g_assert_cmpuint(m->references->len, ==, 0);
}

/* test_to_utf8 - the charset routine on its own. */
static void
test_to_utf8(void)
{
	static const struct { const char *bytes, *charset, *expected; } c[] = {
		{ "caf\xc3\xa9", "utf-8", "café" },
		{ "caf\xe9", "utf-8", "café" },
		{ "caf\xe9", NULL, "café" },
		{ "caf\xe9", "x-bogus", "café" },
		{ "\x80", "iso-8859-1", "€" },
		{ "\xcf\xf0\xe8\xe2\xe5\xf2", "windows-1251", "Привет" },
		{ "\x81", "windows-1252", "\xef\xbf\xbd" },
	};
	gsize i;

	for (i = 0; i < G_N_ELEMENTS(c); i++) {
		g_autofree char *got = mime_to_utf8(c[i].bytes, strlen(c[i].bytes), c[i].charset);

		g_assert_cmpstr(got, ==, c[i].expected);
	}
}

/* parse_text - mime_parse on a C string. */
static parsed_message *
parse_text(const char *raw)
{
	return mime_parse(raw, strlen(raw));
}

/* test_fallback_default - without a list, undeclared 8-bit text reads as windows-1252. */
static void
test_fallback_default(void)
{
	g_autoptr(parsed_message) m = parse_text(HDR
	    "Content-Type: multipart/mixed; boundary=b\r\n\r\n"
	    "--b\r\nContent-Type: text/plain\r\n\r\nadjunto\r\n"
	    "--b\r\nContent-Type: application/pdf\r\n"
	    "Content-Disposition: attachment; filename=\"a\xf1o \x80.pdf\"\r\n"
	    "Content-Transfer-Encoding: base64\r\n\r\nJVBERg==\r\n--b--\r\n");
	const mail_attachment *a;

	g_assert_cmpuint(m->attachments->len, ==, 1);
	a = g_ptr_array_index(m->attachments, 0);
	g_assert_cmpstr(a->filename, ==, "año €.pdf");
}

/*
 * test_fallback_configured - the configured list reads text that declares no charset
 * or a wrong one; UTF-8 and the body's declared charset still go first.
 */
static void
test_fallback_configured(void)
{
	static const char *const list[] = { "gb18030", "windows-1252", NULL };
	static const char *const koi8[] = { "koi8-r", NULL };

	mime_set_fallback_charsets(list);
	{
		/* Raw GB2312 subject, body without a charset. */
		g_autoptr(parsed_message) m = parse_text("From: li@example.cn\r\n"
		    "Subject: \xc4\xe3\xba\xc3\r\n\r\n\xc4\xe3\xba\xc3\r\n");

		g_assert_cmpstr(m->subject, ==, "你好");
		g_assert_cmpstr(m->text, ==, "你好");
	}
	{
		/* Declared utf-8, written in GB2312: the declaration lies. */
		g_autoptr(parsed_message) m = parse_text(HDR
		    "Content-Type: text/plain; charset=utf-8\r\n\r\n\xc4\xe3\xba\xc3\r\n");

		g_assert_cmpstr(m->text, ==, "你好");
	}
	{
		/* Valid UTF-8 is never re-read through the list. */
		g_autoptr(parsed_message) m = parse_text("From: a@example.com\r\n"
		    "Subject: caf\xc3\xa9\r\n\r\nhola\r\n");

		g_assert_cmpstr(m->subject, ==, "café");
	}
	{
		/* The body's own charset wins over the list for raw 8-bit headers. */
		g_autoptr(parsed_message) m = parse_text("From: a@example.com\r\n"
		    "Subject: Ma\xf1" "ana\r\nMIME-Version: 1.0\r\n"
		    "Content-Type: text/plain; charset=iso-8859-1\r\n\r\nMa\xf1" "ana\r\n");

		g_assert_cmpstr(m->subject, ==, "Mañana");
		g_assert_cmpstr(m->text, ==, "Mañana");
	}
	mime_set_fallback_charsets(koi8);
	{
		/* An unknown declared charset falls to the list too. */
		g_autoptr(parsed_message) m = parse_text(HDR
		    "Content-Type: text/plain; charset=x-bogus\r\n\r\n"
		    "\xf0\xd2\xc9\xd7\xc5\xd4\r\n");

		g_assert_cmpstr(m->text, ==, "Привет");
	}
	mime_set_fallback_charsets(NULL);
}

int
main(int argc, char **argv)
{
	gsize i;
	int rc;

	g_test_init(&argc, &argv, NULL);
	mime_init();
	for (i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree char *path = g_strdup_printf("/mime/parse/%zu", i);

		g_test_add_data_func(path, &cases[i], test_case);
	}
	g_test_add_func("/mime/threading-headers", test_threading_headers);
	g_test_add_func("/mime/to-utf8", test_to_utf8);
	g_test_add_func("/mime/fallback-default", test_fallback_default);
	g_test_add_func("/mime/fallback-configured", test_fallback_configured);
	g_test_add_func("/mime/bad-date", test_bad_date);
	g_test_add_func("/mime/lenient-from", test_lenient_from);
	g_test_add_func("/mime/bounce-facts", test_bounce_facts);
	g_test_add_func("/mime/golden", test_golden);
	rc = g_test_run();
	mime_shutdown();
	return rc;
}
