/*
 * test-quote - quote_strip on the reply shapes customers' mail clients produce:
 * Gmail (Spanish and English, wrapped attributions), Outlook (Spanish and English),
 * '>' quoting, signatures, phone footers, and text that must come back unchanged.
 */
#include "quote.h"

typedef struct {
	const char *name;
	const char *input;
	const char *expected;
} quote_case;

static const quote_case cases[] = {
	{ "no quote, unchanged",
	  "Hola,\n\nel servidor no responde desde ayer.\nGracias.",
	  "Hola,\n\nel servidor no responde desde ayer.\nGracias." },
	{ "gmail es",
	  "Ya funciona, gracias.\n\nEl lun, 3 feb 2025 a las 10:00, Juan <j@x.es> escribió:\n"
	  "> ¿Puede probar otra vez?\n>\n",
	  "Ya funciona, gracias." },
	{ "gmail es, attribution wrapped over two lines",
	  "Ya funciona.\n\nEl lun, 3 feb 2025 a las 10:00, Soporte Técnico <\n"
	  "soporte@example.com> escribió:\n\n> ¿Puede probar otra vez?\n",
	  "Ya funciona." },
	{ "gmail en",
	  "Works now.\n\nOn Mon, Feb 3, 2025 at 10:00 AM Juan <j@x.es> wrote:\n> try again\n",
	  "Works now." },
	{ "outlook es",
	  "Adjunto la factura.\n\n-----Mensaje original-----\nDe: Soporte\n"
	  "Enviado: lunes, 3 de febrero de 2025 10:00\nPara: cliente@x.es\nAsunto: RE: hola\n",
	  "Adjunto la factura." },
	{ "outlook en",
	  "See attached.\n\n-----Original Message-----\nFrom: Support\nSent: Monday\n"
	  "To: c@x.es\nSubject: hi\n\nold text\n",
	  "See attached." },
	{ "outlook es, separator and header block",
	  "Recibido.\n\n________________________________\nDe: Soporte <s@x.es>\n"
	  "Enviado: lunes, 3 de febrero de 2025 10:00\nPara: Cliente\nAsunto: hola\n\nviejo\n",
	  "Recibido." },
	{ "outlook en, bare header block",
	  "Thanks!\n\nFrom: Support <s@x.es>\nSent: Monday, February 3, 2025 10:00 AM\n"
	  "To: me\nSubject: RE: hi\n\nold\n",
	  "Thanks!" },
	{ "trailing '>' block",
	  "De acuerdo.\n\n> texto anterior\n> más texto\n\n",
	  "De acuerdo." },
	{ "inline quote followed by new text is kept",
	  "> ¿Qué versión de PHP usa?\n8.2\n\n> ¿Y el dominio?\nejemplo.es\n",
	  "> ¿Qué versión de PHP usa?\n8.2\n\n> ¿Y el dominio?\nejemplo.es" },
	{ "signature",
	  "Gracias por la ayuda.\n\n-- \nJuan Pérez\nEmpresa S.L.\n",
	  "Gracias por la ayuda." },
	{ "iphone footer es",
	  "Perfecto.\n\nEnviado desde mi iPhone\n",
	  "Perfecto." },
	{ "iphone footer en, then quote",
	  "Perfect.\n\nSent from my iPhone\n\n> On 3 Feb 2025, at 10:00, S <s@x> wrote:\n",
	  "Perfect." },
	{ "gmail forward",
	  "Mira este correo.\n\n---------- Forwarded message ---------\nDe: X <x@x.es>\n"
	  "Date: lun, 3 feb 2025\nSubject: algo\n\ntexto\n",
	  "Mira este correo." },
	{ "apple forward es",
	  "Te lo reenvío.\n\nInicio del mensaje reenviado:\n\nDe: X\nAsunto: algo\n",
	  "Te lo reenvío." },
	{ "only a quote: the whole text stays", "> solo cita\n", "> solo cita" },
	{ "prose starting like a footer is kept",
	  "Sent from the office, the invoice number is 42.\nThanks",
	  "Sent from the office, the invoice number is 42.\nThanks" },
	{ "bottom-posted reply below the quote",
	  "On Mon, Feb 3, 2025 at 10:00 AM Soporte <s@x.es> wrote:\n\n> ¿Funciona?\n>\n\n"
	  "Sí, ya funciona.\n",
	  "Sí, ya funciona." },
	{ "gmail date-first attribution",
	  "Gracias.\n\n2025-02-03 10:00 GMT+01:00 Soporte <\ns@x.es>:\n\n> hola\n",
	  "Gracias." },
	{ "outlook header block, another language",
	  "Hej!\n\nFrån: Foo Bar [mailto:noreply@foo.bar]\nSkickat: den 5 juni 2017 12:22\n"
	  "Till: someone@domain.com\nÄmne: Photos\n\nold\n",
	  "Hej!" },
	{ "leading blank lines and trailing rules dropped", "\n\nhola\n\n____\n--\n", "hola" },
	{ "prose with De: and Para: is not a header block",
	  "Datos del traslado:\nDe: servidor antiguo\nPara: servidor nuevo\nGracias",
	  "Datos del traslado:\nDe: servidor antiguo\nPara: servidor nuevo\nGracias" },
	{ "prose starting Enviado desde is kept",
	  "Enviado desde el panel el formulario, pero no llega.\nGracias",
	  "Enviado desde el panel el formulario, pero no llega.\nGracias" },
	{ "invalid UTF-8 made valid", "caf\xe9\n\n> x\n", "caf\xef\xbf\xbd" },
	{ "empty", "", "" },
	{ "CRLF-free blank tail trimmed", "hola\n\n\n", "hola" },
	{ "gmail es on a phone: \"El El\" and a.m. in a wrapped attribution",
	  "Gracias.\n\nEl El vie, 3 de marzo de 2023 a la(s) 9:21 a.m., Soporte <\n"
	  "soporte@example.com> escribió:\n\n> hola\n",
	  "Gracias." },
	{ "outlook es: De / Enviado el / Para / Asunto without a banner",
	  "Gracias.\n\nDe: Soporte <soporte@example.com>\nEnviado el: lunes, 15 de enero de 2025 17:03\n"
	  "Para: Ana <ana@x.es>\nAsunto: RE: factura\n\nhola\n",
	  "Gracias." },
	/* Thunderbird and mutt answer between the quotes: the answers are the reply. */
	{ "inline reply below an attribution keeps the answers",
	  "Respondo entre líneas.\nEl lun, 3 feb 2025 a las 10:00, Soporte <s@x.es> escribió:\n"
	  "> ¿Qué versión de PHP usa?\n\n8.2\n\n> ¿Y el dominio?\n\nejemplo.es\n",
	  "Respondo entre líneas.\n> ¿Qué versión de PHP usa?\n\n8.2\n\n> ¿Y el dominio?\n\n"
	  "ejemplo.es" },
	{ "an attribution over a quote and a footer is still history",
	  "Gracias.\nOn Mon, Feb 3, 2025 at 10:00 AM S <s@x.es> wrote:\n> hola\n\n"
	  "Enviado desde mi iPhone\n",
	  "Gracias." },
	/* Phone clients that quote without prefixes leave the attribution on top. */
	{ "opening attribution with no quote under it",
	  "On 8 May 2017 17:34, \"Ana\" <ana@x.es> wrote:\n\nel dominio es ejemplo.es\n",
	  "el dominio es ejemplo.es" },
	/* HTML-to-text of a linked name breaks the attribution over blank lines. */
	{ "attribution broken around a mailto link",
	  "Uno\n\nOn Thu, 31 Mar 2016 at 11:16 Ana\n\n<\nmailto:Ana <ana@x.es>\n> wrote:\n\n"
	  "Dos\n",
	  "Uno" },
	/* Gmail in date-first locales writes no verb: date, name, address. */
	{ "date-first attribution without a verb",
	  "Sigue sin guardar.\n\n2013/7/20 Soporte via Foro <info@x.es>\n\n| ¿Persiste?\n",
	  "Sigue sin guardar." },
	{ "supercite initials quote",
	  "Hecho.\n\nJP> ¿Puede reiniciar?\nJP>\n", "Hecho." },
	{ "prose with a '>' comparison is not a quote",
	  "Uso PHP 8.2 y x>3 falla.\n", "Uso PHP 8.2 y x>3 falla." },
	/* Hotmail and webmail signatures hang below a rule instead of "-- ". */
	{ "signature below a rule",
	  "Gracias.\n\n__________________\nAna Pérez\nEmpresa S.L.\n", "Gracias." },
	{ "a rule inside a long text is kept",
	  "Paso 1\n----------\nuno\ndos\ntres\ncuatro\ncinco\nseis\n",
	  "Paso 1\n----------\nuno\ndos\ntres\ncuatro\ncinco\nseis" },
};

static void
test_case(gconstpointer data)
{
	const quote_case *c = data;
	g_autofree char *got = quote_strip(c->input);

	g_assert_cmpstr(got, ==, c->expected);
}

int
main(int argc, char **argv)
{
	gsize i;

	g_test_init(&argc, &argv, NULL);
	for (i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree char *path = g_strdup_printf("/quote/%zu", i);

		g_test_add_data_func(path, &cases[i], test_case);
	}
	return g_test_run();
}
