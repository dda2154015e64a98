/*
 * test-address - the one address module: what is a valid address, how addresses are
 * normalised and split at '+', which mailboxes are robots', and which addresses are ours.
 */
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "address.h"

/* test_valid - what may go into a header and an SMTP envelope, and what may not. */
static void
test_valid(void)
{
	static const struct { const char *address; gboolean valid; } cases[] = {
		{ "ana@cliente.es", TRUE }, { "ana.nunez+soporte@cliente.es", TRUE }, { "ñandú@correo.es", TRUE },
		{ "", FALSE }, { "ana", FALSE }, { "@cliente.es", FALSE }, { "ana@", FALSE },
		{ "ana@@cliente.es", FALSE }, { "ana@b@c.es", FALSE }, { "ana @cliente.es", FALSE },
		{ "ana@cliente.es\r\nRCPT TO:<x@y.es>", FALSE }, { "ana@cliente.es\n", FALSE },
		{ "<ana@cliente.es>", FALSE }, { "ana@cliente.es>", FALSE }, { "a,b@cliente.es", FALSE },
		{ "\"ana\"@cliente.es", FALSE }, { "ana@.cliente.es", FALSE }, { "ana@cliente.es.", FALSE },
		{ "ana\t@cliente.es", FALSE }, { "ana\x7f@cliente.es", FALSE }, { "ana@cliente\xff.es", FALSE },
		{ "ana@cliente.es\r", FALSE }, { "\rana@cliente.es", FALSE }, { "ana\x01@cliente.es", FALSE },
		{ "ana\xc2\x85@cliente.es", FALSE },          /* U+0085 NEXT LINE */
		{ "ana\xe2\x80\xa8@cliente.es", FALSE },      /* U+2028 LINE SEPARATOR */
		{ "ana\xe2\x80\xae@cliente.es", FALSE },      /* U+202E right-to-left override */
		{ "ana\xc2\xa0@cliente.es", FALSE },           /* no-break space */
		{ ".ana@cliente.es", FALSE }, { "ana.@cliente.es", FALSE },
		{ "josé.pérez@correo.es", TRUE }, { "a@b", TRUE },
		{ "ana..nunez@cliente.es", FALSE }, { "ana@cliente..es", FALSE }, { NULL, FALSE },
		{ "ana@[192.0.2.1]", FALSE }, { "ana:x@cliente.es", FALSE }, { "ana;@cliente.es", FALSE },
		{ "Ana.Nunez@Cliente.ES", TRUE }, { "soporte+KQZ-482913@example.com", TRUE },
	};
	g_autoptr(GString) longest = g_string_new(NULL);

	/* 254 bytes is the most an address may be; 255 is too long. */
	g_string_append(longest, "a@");
	while (longest->len < 250)
		g_string_append(longest, "b.");
	g_string_append(longest, "esxx");
	g_assert_cmpuint(longest->len, ==, 254);
	g_assert_true(address_valid(longest->str));
	g_string_append_c(longest, 'x');
	g_assert_false(address_valid(longest->str));

	/* A local part is at most 64 bytes (RFC 5321 §4.5.3.1.1). */
	g_string_assign(longest, "");
	while (longest->len < ADDRESS_LOCAL_MAX)
		g_string_append_c(longest, 'a');
	g_string_append(longest, "@cliente.es");
	g_assert_true(address_valid(longest->str));
	g_string_prepend_c(longest, 'a');
	g_assert_false(address_valid(longest->str));

	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++)
		if (address_valid(cases[i].address) != cases[i].valid)
			g_error("case %zu: \"%s\" should be %s", i, cases[i].address, cases[i].valid ? "valid" : "refused");
}

/* test_normalize - stripped and lower-cased; ASCII only, UTF-8 kept as it is. */
static void
test_normalize(void)
{
	static const struct { const char *text, *expected; } cases[] = {
		{ "ana@cliente.es", "ana@cliente.es" },
		{ "  Ana.Nunez@Cliente.ES\t", "ana.nunez@cliente.es" },
		{ "ÑANDÚ@Correo.es", "ÑandÚ@correo.es" },
		{ "", "" },
	};

	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree char *normal = address_normalize(cases[i].text);

		g_assert_cmpstr(normal, ==, cases[i].expected);
	}
	g_assert_true(address_equal("Ana@Cliente.es", "ana@cliente.ES"));
	/* A local part keeps its case (RFC 5321 2.4); only the domain is folded. */
	{
		g_autofree char *written = address_written("  Ana.Nunez@Cliente.ES\t");
		g_autofree char *bare = address_written("Ana.Nunez");

		g_assert_cmpstr(written, ==, "Ana.Nunez@cliente.es");
		g_assert_cmpstr(bare, ==, "Ana.Nunez");
		g_assert_true(address_equal(written, "ana.nunez@CLIENTE.es"));
	}
	g_assert_false(address_equal("ana@cliente.es", "ana@cliente.com"));
	g_assert_false(address_equal(NULL, "ana@cliente.es"));
}

/* test_base - the address without its +detail, and the detail. */
static void
test_base(void)
{
	static const struct { const char *address, *base, *detail; } cases[] = {
		{ "soporte@example.com", "soporte@example.com", NULL },
		{ "soporte+KQZ-482913@example.com", "soporte@example.com", "KQZ-482913" },
		{ "Soporte+@Example.com", "soporte@example.com", "" },
		{ "soporte+a+b@example.com", "soporte@example.com", "a+b" },
		{ "soporte@ex+ample.com", "soporte@ex+ample.com", NULL },
		{ "soporte", NULL, NULL },
		{ NULL, NULL, NULL },
	};

	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree char *detail = NULL;
		g_autofree char *base = address_base(cases[i].address, &detail);

		g_assert_cmpstr(base, ==, cases[i].base);
		g_assert_cmpstr(detail, ==, cases[i].detail);
	}
}

/* test_close_code - a close address's detail gives its code; a plain code or a signed
 * detail is no close detail, so soporte+CODE@ and soporte+CODE.token@ keep their meaning. */
static void
test_close_code(void)
{
	static const struct { const char *detail, *code; } cases[] = {
		{ "KQZ-482913-cerrar", "KQZ-482913" }, { "kqz-482913-CERRAR", "kqz-482913" },
		{ "KQZ-482913-close", "KQZ-482913" }, { "KQZ-482913-Close", "KQZ-482913" },
		{ "KQZ-482913", NULL }, { "KQZ-482913.abcdefghijkl", NULL }, { "-cerrar", NULL },
		{ "cerrar", NULL }, { "KQZ-482913-cerrarx", NULL }, { "KQZ-482913cerrar", NULL },
		{ "", NULL }, { NULL, NULL },
	};

	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree char *code = address_close_code(cases[i].detail);

		g_assert_cmpstr(code, ==, cases[i].code);
	}
}

/* test_robots - mailboxes no person reads; only the mail system's make mail a bounce. */
static void
test_robots(void)
{
	static const struct { const char *address; gboolean robot, mail_system; } cases[] = {
		{ "MAILER-DAEMON@mx.cliente.es", TRUE, TRUE }, { "MAILER-DAEMON", TRUE, TRUE },
		{ "postmaster@cliente.es", TRUE, TRUE }, { "post_master@cliente.es", TRUE, TRUE },
		{ "mailer-daemon+x@cliente.es", TRUE, TRUE },
		{ "noreply@tienda.es", TRUE, FALSE }, { "No-Reply@tienda.es", TRUE, FALSE },
		{ "no_reply@tienda.es", TRUE, FALSE }, { "donotreply@tienda.es", TRUE, FALSE },
		{ "do-not-reply@tienda.es", TRUE, FALSE }, { "do_not_reply@tienda.es", TRUE, FALSE },
		{ "noreply+avisos@tienda.es", TRUE, FALSE }, { "bounce@lists.es", TRUE, FALSE },
		{ "bounces@lists.es", TRUE, FALSE }, { "bounce-123@lists.es", TRUE, FALSE },
		{ "bounces-ana=cliente.es@lists.es", TRUE, FALSE }, { "auto-reply@tienda.es", TRUE, FALSE },
		{ "autoreply@tienda.es", TRUE, FALSE },
		{ "ana@cliente.es", FALSE, FALSE }, { "postmaster.ana@cliente.es", FALSE, FALSE },
		{ "noreplyana@cliente.es", FALSE, FALSE }, { "ana@noreply.es", FALSE, FALSE },
		{ "bouncer@cliente.es", FALSE, FALSE }, { "", FALSE, FALSE }, { NULL, FALSE, FALSE },
	};

	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		if (address_is_robot(cases[i].address) != cases[i].robot)
			g_error("case %zu: \"%s\" should %sbe a robot", i, cases[i].address, cases[i].robot ? "" : "not ");
		if (address_is_mail_system(cases[i].address) != cases[i].mail_system)
			g_error("case %zu: \"%s\" should %sbe the mail system", i, cases[i].address,
			        cases[i].mail_system ? "" : "not ");
	}
}

/* ours_config - two departments on example.com, From and envelope sender elsewhere. */
static ticketd_config *
ours_config(void)
{
	static const char text[] =
		"[ticketd]\ndomain = example.com\n"
		"[department:soporte]\naddress = Soporte@example.com\n"
		"[department:ventas]\naddress = ventas@tienda.example.net\n"
		"[smtp]\nfrom = Avisos <avisos@notify.example.org>\nenvelope_from = rebotes@bounce.example.org\n";
	g_autoptr(GError) error = NULL;
	char *path = NULL;
	int fd = g_file_open_tmp("ticketd-XXXXXX.conf", &path, &error);
	ticketd_config *config;

	g_assert_no_error(error);
	close(fd);
	g_file_set_contents_full(path, text, -1, G_FILE_SET_CONTENTS_NONE, 0640, &error);
	g_assert_no_error(error);
	config = config_load(path, &error);
	g_assert_no_error(error);
	g_unlink(path);
	g_free(path);
	return config;
}

/* test_ours - departments and their plus-addresses, our From, our envelope, our domain. */
static void
test_ours(void)
{
	static const struct { const char *address; gboolean ours; } cases[] = {
		{ "soporte@example.com", TRUE }, { "SOPORTE+KQZ-482913@example.com", TRUE },
		{ "ventas@tienda.example.net", TRUE }, { "ventas+x@Tienda.Example.NET", TRUE },
		{ "avisos@notify.example.org", TRUE }, { "Rebotes@bounce.example.org", TRUE },
		{ "cualquiera@example.com", TRUE }, { "ana@EXAMPLE.COM", TRUE },
		{ "ana@cliente.es", FALSE }, { "otro@tienda.example.net", FALSE },
		{ "soporte@example.com.cliente.es", FALSE }, { "avisos+x@notify.example.org", FALSE },
		{ NULL, FALSE },
	};
	g_autoptr(ticketd_config) config = ours_config();

	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++)
		if (address_is_ours(config, cases[i].address) != cases[i].ours)
			g_error("case %zu: \"%s\" should %sbe ours", i, cases[i].address, cases[i].ours ? "" : "not ");
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/address/valid", test_valid);
	g_test_add_func("/address/normalize", test_normalize);
	g_test_add_func("/address/base", test_base);
	g_test_add_func("/address/close-code", test_close_code);
	g_test_add_func("/address/robots", test_robots);
	g_test_add_func("/address/ours", test_ours);
	return g_test_run();
}
