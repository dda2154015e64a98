/*
 * test-code - ticket codes: generation from masks, and finding a code in subject tags
 * behind reply prefixes, case-insensitively, never a code of the wrong shape.
 */
#include <string.h>

#include "code.h"

static void
test_generate_follows_mask(void)
{
	g_autoptr(GRand) rand = g_rand_new_with_seed(7);

	for (int i = 0; i < 1000; i++) {
		g_autofree char *code = code_generate("AAA-NNNNNN", rand);

		g_assert_cmpuint(strlen(code), ==, 10);
		g_assert_true(code_matches_mask("AAA-NNNNNN", code));
		g_assert_null(strpbrk(code, "IO"));
	}
}

static void
test_generate_is_random(void)
{
	g_autoptr(GRand) rand = g_rand_new();
	g_autoptr(GHashTable) seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);

	for (int i = 0; i < 2000; i++)
		g_hash_table_add(seen, code_generate("AAA-NNNNNN", rand));
	/* 24^3 * 10^6 codes: 2000 draws collide essentially never. */
	g_assert_cmpuint(g_hash_table_size(seen), >, 1995);
}

static void
test_mask_validity(void)
{
	static const struct { const char *mask; gboolean valid; } cases[] = {
		{ "AAA-NNNNNN", TRUE }, { "NNNN", TRUE }, { "T-AANN", TRUE }, { "AAN", FALSE },
		{ "", FALSE }, { "AAA NNN", FALSE }, { "AAA#NNN", FALSE }, { "AA]NNNN", FALSE },
	};

	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++)
		g_assert_true(code_mask_valid(cases[i].mask) == cases[i].valid);
}

static void
test_subject_tags(void)
{
	static const struct { const char *subject; const char *code; } cases[] = {
		{ "[Ticket #KQZ-482913] No funciona el correo", "KQZ-482913" },
		{ "RE: [Ticket #KQZ-482913] No funciona el correo", "KQZ-482913" },
		{ "RV: RE: Fwd: [Ticket #KQZ-482913] x", "KQZ-482913" },
		{ "Re: [ticket #kqz-482913] minúsculas", "KQZ-482913" },
		{ "Consulta [Ticket #ABC-123456] al final", "ABC-123456" },
		{ "[ Ticket #ABC-123456 ] espacios", "ABC-123456" },
		{ "[Ticket #ABC-12345] corto", NULL },
		{ "[Ticket #ABC-1234567] largo", NULL },
		{ "[Factura #ABC-123456] otra etiqueta", NULL },
		{ "Ticket #ABC-123456 sin corchetes", NULL },
		{ "[Ticket ABC-123456] sin almohadilla", NULL },
		{ "[Ticket #", NULL },
		{ "", NULL },
		{ "[x] [Ticket #QWE-000001]", "QWE-000001" },
	};

	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree char *code = code_from_subject(cases[i].subject, "Ticket", "AAA-NNNNNN");

		g_assert_cmpstr(code, ==, cases[i].code);
	}
}

static void
test_reply_prefixes(void)
{
	static const struct { const char *subject; const char *rest; } cases[] = {
		{ "RE: hola", "hola" }, { "RV: RE: hola", "hola" }, { "Res: Enc: hola", "hola" },
		{ "AW: WG: SV: VS: Fwd: hola", "hola" }, { "Recordatorio: hola", "Recordatorio: hola" },
		{ "hola", "hola" },
	};

	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++)
		g_assert_cmpstr(code_strip_reply_prefixes(cases[i].subject), ==, cases[i].rest);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/code/generate-follows-mask", test_generate_follows_mask);
	g_test_add_func("/code/generate-is-random", test_generate_is_random);
	g_test_add_func("/code/mask-validity", test_mask_validity);
	g_test_add_func("/code/subject-tags", test_subject_tags);
	g_test_add_func("/code/reply-prefixes", test_reply_prefixes);
	return g_test_run();
}
