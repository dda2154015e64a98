/*
 * test-staff-forward - the customer's mail inside an agent's forward, as the common mail
 * clients write it (each case whole): who the customer is, the subject, their words and
 * the agent's own lines above the forward.
 */
#include <string.h>

#include "staff_forward.h"

typedef struct {
	const char *name;
	const char *body;           /* the agent's mail body, after the header */
	const char *customer;       /* NULL: no forward found */
	const char *subject;
	const char *new_text;
	const char *agent_text;
} forward_case;

static const forward_case forward_cases[] = {
	{ "gmail", "#prioridad alta\nLlamó ayer.\n\n---------- Forwarded message ---------\n"
	  "From: Pedro Gómez <Pedro@Otro.es>\nDate: Mon, 3 Feb 2025 at 09:00\nSubject: Dominio caducado\n"
	  "To: <soporte@example.com>\n\n\nMi dominio ha caducado.\n",
	  "Pedro@otro.es", "Dominio caducado", "Mi dominio ha caducado.", "#prioridad alta\nLlamó ayer." },
	{ "thunderbird es", "-------- Mensaje reenviado --------\nAsunto: \tNo llega el correo\nFecha: \tlun, 3 feb 2025\n"
	  "De: \tAna <ana@cliente.es>\nPara: \tsoporte@example.com\n\nNo me llega nada.\n",
	  "ana@cliente.es", "No llega el correo", "No me llega nada.", "" },
	{ "apple mail quoted", "Mira esto.\n\nBegin forwarded message:\n\n> From: Luis <luis@cliente.es>\n"
	  "> Subject: Factura\n> Date: 3 February 2025\n>\n> Me cobraron dos veces.\n",
	  "luis@cliente.es", "Factura", "Me cobraron dos veces.", "Mira esto." },
	{ "outlook es", "Te lo paso.\n\n-----Mensaje original-----\nDe: Ana López [mailto:ana@cliente.es]\n"
	  "Enviado el: lunes, 3 de febrero de 2025 9:00\nPara: soporte\nAsunto: Copia de seguridad\n\n"
	  "Necesito restaurar la copia.\n",
	  "ana@cliente.es", "Copia de seguridad", "Necesito restaurar la copia.", "Te lo paso." },
	{ "html as text", "---------- Forwarded message ---------\n*From:* Eva <eva@cliente.es>\n*Subject:* SSL\n\nCaducó.\n",
	  "eva@cliente.es", "SSL", "Caducó.", "" },
	{ "banner without a From", "-----Mensaje original-----\nEnviado: hoy\n\nHola\n", NULL },
	{ "no forward at all", "#cliente ana@cliente.es\nLlamó.\n", NULL },
};

static void
test_inline(void)
{
	for (gsize i = 0; i < G_N_ELEMENTS(forward_cases); i++) {
		const forward_case *c = &forward_cases[i];
		g_autofree char *raw = g_strdup_printf("From: agente1@example.com\nTo: soporte+desk.x@example.com\n"
		                                       "Subject: Fwd: lo de antes\nMessage-ID: <f%zu@example.com>\n"
		                                       "Content-Type: text/plain; charset=utf-8\n\n%s", i, c->body);
		g_autoptr(parsed_message) message = mime_parse(raw, strlen(raw));
		g_autoptr(staff_forward) forward = staff_forward_find(message);

		g_test_message("case %s", c->name);
		if (c->customer == NULL) {
			g_assert_null(forward);
			continue;
		}
		g_assert_nonnull(forward);
		g_assert_cmpstr(forward->customer, ==, c->customer);
		g_assert_cmpstr(forward->subject, ==, c->subject);
		g_assert_cmpstr(forward->new_text, ==, c->new_text);
		g_assert_cmpstr(forward->agent_text, ==, c->agent_text);
	}
}

static char *
attached_mail(const char *from, const char *subject)
{
	return g_strdup_printf("From: agente1@example.com\nTo: soporte+desk.x@example.com\nSubject: RV: algo\n"
	                       "MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=b\n\n--b\n"
	                       "Content-Type: text/plain; charset=utf-8\n\nOs lo reenvío.\n--b\n"
	                       "Content-Type: message/rfc822\n\nFrom: %s\nSubject: %s\n\nEl texto de ella.\n--b--\n",
	                       from, subject);
}

/* An attached message is read by its own headers; a From naming two people names nobody. */
static void
test_attached(void)
{
	g_autofree char *one = attached_mail( "Ana <ana@cliente.es>", "Certificado");
	g_autofree char *two = attached_mail( "ana@cliente.es, eve@evil.example", "Certificado");
	g_autofree char *bare = attached_mail( "ana@cliente.es", "");
	g_autoptr(parsed_message) m1 = mime_parse(one, strlen(one));
	g_autoptr(parsed_message) m2 = mime_parse(two, strlen(two));
	g_autoptr(parsed_message) m3 = mime_parse(bare, strlen(bare));
	g_autoptr(staff_forward) f1 = staff_forward_find(m1);
	g_autoptr(staff_forward) f2 = staff_forward_find(m2);
	g_autoptr(staff_forward) f3 = staff_forward_find(m3);

	g_assert_nonnull(f1);
	g_assert_cmpstr(f1->customer, ==, "ana@cliente.es");
	g_assert_cmpstr(f1->subject, ==, "Certificado");
	g_assert_cmpstr(f1->new_text, ==, "El texto de ella.");
	g_assert_cmpstr(f1->agent_text, ==, "Os lo reenvío.");
	g_assert_null(f2);
	g_assert_nonnull(f3);
	g_assert_cmpstr(f3->subject, ==, "algo");    /* the agent's subject without RV: */
}

static void
test_address(void)
{
	static const char *const cases[][2] = {
		{ "Ana <ana@cliente.es>", "ana@cliente.es" }, { "\"López, Ana\" <Ana@Cliente.ES>", "Ana@cliente.es" },
		{ "Ana [mailto:ana@cliente.es]", "ana@cliente.es" }, { "ana@cliente.es", "ana@cliente.es" },
		{ "Ana", NULL }, { "@", NULL }, { "", NULL },
	};

	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree char *got = staff_forward_address(cases[i][0]);

		g_assert_cmpstr(got, ==, cases[i][1]);
	}
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	mime_init();
	g_test_add_func("/staff-forward/inline", test_inline);
	g_test_add_func("/staff-forward/attached", test_attached);
	g_test_add_func("/staff-forward/address", test_address);
	return g_test_run();
}
