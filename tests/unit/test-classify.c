/*
 * test-classify - bounce, auto-reply, loop or normal: a table of header shapes, then
 * the labelled bounces and auto-replies of the set-of-emails corpus when it is present.
 */
#include <stdio.h>
#include <string.h>

#include "ingest.h"

static char *staff[] = { "agente1@example.com", NULL };
static ticketd_config config = { .domain = "example.com", .staff = staff };

static const struct {
	const char *headers;
	const char *envelope_sender;
	mail_class expected;
} cases[] = {
	{ "From: Ana <ana@cliente.es>\n", "ana@cliente.es", MAIL_NORMAL },
	{ "From: ana@cliente.es\nAuto-Submitted: no\n", NULL, MAIL_NORMAL },
	{ "From: ana@cliente.es\nAuto-Submitted: auto-replied\n", NULL, MAIL_AUTO_REPLY },
	{ "From: ana@cliente.es\nAuto-Submitted: Auto-Generated; owner-email=x@y\n", NULL, MAIL_AUTO_REPLY },
	{ "From: ana@cliente.es\nX-Autoreply: yes\n", NULL, MAIL_AUTO_REPLY },
	{ "From: ana@cliente.es\nX-Autorespond: Estoy de vacaciones\n", NULL, MAIL_AUTO_REPLY },
	{ "From: ana@cliente.es\nPrecedence: bulk\n", NULL, MAIL_AUTO_REPLY },
	{ "From: ana@cliente.es\nPrecedence: junk\n", NULL, MAIL_AUTO_REPLY },
	{ "From: ana@cliente.es\nPrecedence: list\n", NULL, MAIL_LIST },
	{ "From: ana@cliente.es\nPrecedence: first-class\n", NULL, MAIL_NORMAL },
	{ "From: ana@cliente.es\nX-Auto-Response-Suppress: All\n", NULL, MAIL_AUTO_REPLY },
	{ "From: lista@lists.cliente.es\nList-Id: <usuarios.lists.cliente.es>\n", NULL, MAIL_LIST },
	{ "From: ana@cliente.es\n", "", MAIL_BOUNCE },
	{ "Return-Path: <>\nFrom: ana@cliente.es\n", NULL, MAIL_BOUNCE },
	{ "From: Mail Delivery System <MAILER-DAEMON@mx.cliente.es>\n", NULL, MAIL_BOUNCE },
	{ "From: postmaster@cliente.es\n", NULL, MAIL_BOUNCE },
	{ "Return-Path: <MAILER-DAEMON@mx.cliente.es>\nFrom: Avisos <avisos@cliente.es>\n", NULL, MAIL_BOUNCE },
	/* A no-reply robot is no bounce: its mail may still open a ticket (a shop's order). */
	{ "From: Tienda <noreply@tienda.es>\n", "noreply@tienda.es", MAIL_NORMAL },
	{ "Return-Path: <bounces-ana=cliente.es@lists.es>\nFrom: ana@cliente.es\n", NULL, MAIL_NORMAL },
	{ "From: x@mx.es\nContent-Type: multipart/report; report-type=delivery-status; boundary=b\n\n--b\n"
	  "Content-Type: text/plain\n\nfallo\n--b--\n", NULL, MAIL_BOUNCE },
	{ "From: soporte@example.com\nX-Ticketd-Loop: example.com\n", NULL, MAIL_LOOP },
	/* Another company's ticketd answering us names its own instance: a customer's mail. */
	{ "From: soporte@proveedor.es\nX-Ticketd-Loop: proveedor.es\n", "soporte@proveedor.es", MAIL_NORMAL },
	/* RFC 3834 3.3: auto-replies SHOULD go to <>; they are auto-replies, not bounces. */
	{ "Return-Path: <>\nFrom: ana@cliente.es\nAuto-Submitted: auto-replied\nSubject: Fuera de la oficina\n", "", MAIL_AUTO_REPLY },
	{ "From: ana@cliente.es\nSubject: Respuesta automática: Factura\n", "", MAIL_AUTO_REPLY },
	{ "From: ana@cliente.es\nSubject: Automatic reply: invoice\n", "ana@cliente.es", MAIL_AUTO_REPLY },
	{ "From: ana@cliente.es\nSubject: Ausente: su consulta\n", "ana@cliente.es", MAIL_AUTO_REPLY },
	{ "From: ana@cliente.es\nSubject: Réponse automatique : facture\n", "ana@cliente.es", MAIL_AUTO_REPLY },
	{ "From: ana@cliente.es\nSubject: Abwesenheitsnotiz: Rechnung\n", "ana@cliente.es", MAIL_AUTO_REPLY },
	{ "From: ana@cliente.es\nSubject: Risposta automatica: fattura\n", "ana@cliente.es", MAIL_AUTO_REPLY },
	{ "From: ana@cliente.es\nSubject: Resposta automática: fatura\n", "ana@cliente.es", MAIL_AUTO_REPLY },
	{ "From: ana@cliente.es\nX-MS-Exchange-Inbox-Rules-Loop: ana@cliente.es\nSubject: Re: factura\n", "ana@cliente.es", MAIL_AUTO_REPLY },
	{ "From: MAILER-DAEMON <>\nSubject: failure notice\n", "", MAIL_BOUNCE },
	{ "From: Mail Delivery System <Mailer-Daemon@mx.es>\nAuto-Submitted: auto-replied\n"
	  "X-Failed-Recipients: nadie@cliente.es\nSubject: Mail delivery failed\n", "", MAIL_BOUNCE },
	{ "From: MAILER-DAEMON@mx.es\nSubject: failure notice\n\nHi. This is the qmail-send program at mx.es.\n"
	  "<nadie@cliente.es>:\nSorry, no mailbox here by that name. (#5.1.1)\n", NULL, MAIL_BOUNCE },
	/* A customer telling us about a bounce is a person. */
	{ "From: ana@cliente.es\nSubject: Undeliverable: me llega esto\n\nHola, me rebota el correo.\n", "ana@cliente.es", MAIL_NORMAL },
	{ "From: abuse@isp.es\nContent-Type: multipart/report; report-type=feedback-report; boundary=b\n\n--b\n"
	  "Content-Type: text/plain\n\nqueja\n--b\nContent-Type: message/feedback-report\n\nFeedback-Type: abuse\n--b--\n",
	  "abuse@isp.es", MAIL_ABUSE_REPORT },
	{ "From: ana@cliente.es\nContent-Type: multipart/report; report-type=disposition-notification; boundary=b\n\n--b\n"
	  "Content-Type: text/plain\n\nleído\n--b\nContent-Type: message/disposition-notification\n\n"
	  "Disposition: manual-action/MDN-sent-manually; displayed\n--b--\n", "", MAIL_RECEIPT },
	{ "From: ana@cliente.es\nSubject: Leído: Factura de enero\n\nSu mensaje fue leído el lunes.\n", "ana@cliente.es", MAIL_RECEIPT },
	{ "From: no-reply@sns.amazonaws.com\nSubject: AWS Notification Message\n\n"
	  "{\"notificationType\":\"Bounce\",\"bounce\":{\"bounceType\":\"Permanent\"}}\n", "no-reply@sns.amazonaws.com", MAIL_BOUNCE },
	{ "From: ana@cliente.es\nMessage-ID: <abc.123@example.com>\n", NULL, MAIL_LOOP },
	{ "From: agente1@example.com\nMessage-ID: <abc.123@example.com>\n", NULL, MAIL_NORMAL },
	{ "From: ana@cliente.es\nMessage-ID: <abc.123@cliente.es>\n", NULL, MAIL_NORMAL },
};

static void
test_header_shapes(void)
{
	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree char *raw = g_strconcat(cases[i].headers, strstr(cases[i].headers, "\n\n") ? "" : "\nHola.\n", NULL);
		g_autoptr(parsed_message) message = mime_parse(raw, strlen(raw));
		mail_class got = classify_message(&config, message, cases[i].envelope_sender);

		if (got != cases[i].expected)
			g_error("case %zu: %s, expected %s:\n%s", i, mail_class_name(got),
			        mail_class_name(cases[i].expected), cases[i].headers);
	}
}

static char *
corpus_dir(void)
{
	const char *env = g_getenv("TICKETD_CORPORA");
	const char *top = g_getenv("TICKETD_TOP") ? g_getenv("TICKETD_TOP") : ".";

	g_autofree char *beside = g_build_filename(top, "..", "shared", "corpora", NULL);

	if (env != NULL)
		return g_build_filename(env, "set-of-emails", NULL);
	/* A worktree sits one level deeper than a checkout beside shared/. */
	return g_build_filename(g_file_test(beside, G_FILE_TEST_IS_DIR) ? beside : "/work/shared/corpora",
	                        "set-of-emails", NULL);
}

/* classify_file - the class of one corpus file, or -1 when the file is not there. */
static int
classify_file(const char *path)
{
	g_autofree char *raw = NULL;
	gsize length;
	g_autoptr(parsed_message) message = NULL;

	if (!g_file_get_contents(path, &raw, &length, NULL))
		return -1;
	message = mime_parse(raw, length);
	return classify_message(&config, message, NULL);
}

/* The rate reached when this was written; a drop below it fails the suite. */
#define SET_OF_EMAILS_FLOOR 0.98

static void
test_set_of_emails(void)
{
	g_autofree char *dir = corpus_dir();
	g_autofree char *expected_path = g_build_filename(dir, "EXPECTED.tsv", NULL);
	g_autofree char *text = NULL;
	g_auto(GStrv) lines = NULL;
	int total = 0, passed = 0;

	if (!g_file_get_contents(expected_path, &text, NULL, NULL)) {
		g_test_skip("set-of-emails corpus not present");
		return;
	}
	lines = g_strsplit(text, "\n", -1);
	for (int i = 0; lines[i] != NULL; i++) {
		g_auto(GStrv) fields = g_strsplit(lines[i], "\t", -1);
		g_autofree char *path = NULL;
		mail_class expected;
		int got;

		if (lines[i][0] == '#' || g_strv_length(fields) < 8)
			continue;
		expected = strcmp(fields[7], "vacation") == 0 ? MAIL_AUTO_REPLY :
		           strcmp(fields[7], "feedback") == 0 ? MAIL_ABUSE_REPORT : MAIL_BOUNCE;
		path = g_build_filename(dir, fields[0], NULL);
		if ((got = classify_file(path)) < 0)
			continue;           /* listed but not shipped in the corpus */
		total++;
		if (got == (int)expected)
			passed++;
		else if (g_test_verbose())
			g_printerr("# set-of-emails: %s is not %s\n", fields[0], mail_class_name(expected));
	}
	{
		const char *not_bounces[] = { "maildir/not/is-not-bounce-01.eml", "maildir/not/is-not-bounce-02.eml" };

		for (gsize i = 0; i < G_N_ELEMENTS(not_bounces); i++) {
			g_autofree char *path = g_build_filename(dir, not_bounces[i], NULL);

			total++;
			if (classify_file(path) == MAIL_NORMAL)
				passed++;
		}
	}
	g_printerr("# corpus set-of-emails (bounce/auto-reply/abuse labels): %d/%d (%.1f%%)\n", passed, total,
	       100.0 * passed / total);
	g_assert_cmpfloat((double)passed / total, >=, SET_OF_EMAILS_FLOOR);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	mime_init();
	g_test_add_func("/classify/header-shapes", test_header_shapes);
	g_test_add_func("/classify/set-of-emails", test_set_of_emails);
	return g_test_run();
}
