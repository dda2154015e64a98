/*
 * test-authres - Authentication-Results by RFC 8601: the examples of its Appendix B and
 * hostile fields, each parsed whole and then cut at every byte (a cut field must parse
 * or be refused, never crash); then the DMARC question against forged, mismatched and
 * conflicting fields.
 */
#include <string.h>

#include "authres.h"

typedef struct {
	const char *name;
	const char *value;
	const char *expected;       /* authres_show() of the parse; NULL: refused */
} authres_case;

static const authres_case parse_cases[] = {
	/* RFC 8601 Appendix B */
	{ "B.2 none", "example.org 1; none", "example.org v1" },
	{ "B.3 spf", "example.com; spf=pass smtp.mailfrom=example.net",
	  "example.com v1; spf=pass smtp.mailfrom=example.net" },
	{ "B.4 auth with comment", "example.com;\r\n  auth=pass (cram-md5) smtp.auth=sender@example.net;\r\n"
	  "  spf=pass smtp.mailfrom=example.net",
	  "example.com v1; auth=pass smtp.auth=sender@example.net; spf=pass smtp.mailfrom=example.net" },
	{ "B.4 iprev", "example.com; iprev=pass\r\n  policy.iprev=192.0.2.200",
	  "example.com v1; iprev=pass policy.iprev=192.0.2.200" },
	{ "B.5 two dkim", "example.com;\r\n  dkim=pass (good signature) header.d=mail-router.example.net;\r\n"
	  "  dkim=fail (bad signature) header.d=newyork.example.com",
	  "example.com v1; dkim=pass header.d=mail-router.example.net; dkim=fail header.d=newyork.example.com" },
	{ "B.6 reason", "example.com;\r\n  dkim=pass reason=\"good signature\"\r\n    header.i=@mail-router.example.net;\r\n"
	  "  dkim=fail reason=\"bad signature\"\r\n    header.i=@newyork.example.com",
	  "example.com v1; dkim=pass reason=\"good signature\" header.i=@mail-router.example.net; "
	  "dkim=fail reason=\"bad signature\" header.i=@newyork.example.com" },
	{ "B.7 comments everywhere", "foo.example.net (foobar) 1 (baz);\r\n  dkim (Because I like it) / 1 (One yay) = "
	  "(wait for it) fail\r\n  policy (A dot can go here) . (like that) expired\r\n"
	  "  (this surprised me) = (as I wasn't expecting it) 1362471462",
	  "foo.example.net v1; dkim=fail policy.expired=1362471462" },
	/* the wild */
	{ "opendmarc", "mx.example.com; dmarc=pass (p=none dis=none) header.from=cliente.es",
	  "mx.example.com v1; dmarc=pass header.from=cliente.es" },
	{ "case folded", "MX.Example.COM; DMARC=Pass Header.From=Cliente.ES",
	  "MX.Example.COM v1; dmarc=pass header.from=Cliente.ES" },
	{ "dkim header.b", "mx.example.com; dkim=pass header.d=cliente.es header.b=Kq2+/8a=",
	  "mx.example.com v1; dkim=pass header.d=cliente.es header.b=Kq2+/8a=" },
	{ "quoted authserv-id and value", "\"mx.example.com\"; dmarc=pass header.from=\"clien\\\"te.es\"",
	  "mx.example.com v1; dmarc=pass header.from=clien\"te.es" },
	{ "quoted local part", "mx.example.com; spf=pass smtp.mailfrom=\"a b\"@cliente.es",
	  "mx.example.com v1; spf=pass smtp.mailfrom=a b@cliente.es" },
	{ "final semicolon", "mx.example.com; spf=pass smtp.mailfrom=cliente.es;",
	  "mx.example.com v1; spf=pass smtp.mailfrom=cliente.es" },
	{ "version 2 kept", "mx.example.com 2; dmarc=pass header.from=cliente.es",
	  "mx.example.com v2; dmarc=pass header.from=cliente.es" },
	{ "a pass inside a comment is a comment", "mx.example.com; dmarc=fail (p=reject; dmarc=pass) header.from=c.es",
	  "mx.example.com v1; dmarc=fail header.from=c.es" },
	{ "nested comments", "mx.example.com; dmarc=fail (a (b (c) ) ) header.from=c.es",
	  "mx.example.com v1; dmarc=fail header.from=c.es" },
	/* refused */
	{ "empty", "", NULL },
	{ "authserv-id only", "mx.example.com", NULL },
	{ "no semicolon", "mx.example.com dmarc=pass header.from=c.es", NULL },
	{ "substring bait", "dmarc=pass", NULL },
	{ "unclosed comment", "mx.example.com; dmarc=pass (header.from=c.es", NULL },
	{ "unclosed quote", "mx.example.com; dmarc=pass header.from=\"c.es", NULL },
	{ "method without result", "mx.example.com; dmarc", NULL },
	{ "result without method", "mx.example.com; =pass", NULL },
	{ "trailing garbage", "mx.example.com; dmarc=pass header.from=c.es garbage", NULL },
	{ "property without value", "mx.example.com; dmarc=pass header.from=", NULL },
	{ "property without name", "mx.example.com; dmarc=pass header.=c.es", NULL },
	{ "two reasons", "mx.example.com; dmarc=pass reason=a reason=b", NULL },
	{ "none then results", "mx.example.com; none; dmarc=pass header.from=c.es", NULL },
	{ "only semicolons", "mx.example.com;;;", NULL },
	{ "comments too deep", "mx.example.com; dmarc=pass ((((((((((((((((((x)))))))))))))))))) header.from=c.es",
	  NULL },
	{ "control byte", "mx.example.com; dmarc=pass header.from=c\x01.es", NULL },
};

/* authres_show - a parse as one canonical line, for comparing. */
static char *
authres_show(const authres_header *header)
{
	GString *out = g_string_new(NULL);

	g_string_append_printf(out, "%s v%d", header->authserv_id, header->version);
	for (guint i = 0; i < header->results->len; i++) {
		const authres_result *r = g_ptr_array_index(header->results, i);

		g_string_append_printf(out, "; %s=%s", r->method, r->result);
		if (r->reason != NULL)
			g_string_append_printf(out, " reason=\"%s\"", r->reason);
		for (guint j = 0; j < r->properties->len; j++) {
			const authres_property *p = g_ptr_array_index(r->properties, j);

			g_string_append_printf(out, " %s.%s=%s", p->ptype, p->property, p->value);
		}
	}
	return g_string_free(out, FALSE);
}

static void
test_parse(gconstpointer data)
{
	const authres_case *c = data;
	g_autoptr(authres_header) header = authres_parse(c->value);
	g_autofree char *shown = header != NULL ? authres_show(header) : NULL;
	gsize length = strlen(c->value);

	g_assert_cmpstr(shown, ==, c->expected);
	/* Every cut of the field: parsed or refused, within bounds (ASan watches). */
	for (gsize cut = 0; cut < length; cut++) {
		g_autofree char *part = g_strndup(c->value, cut);
		g_autoptr(authres_header) partial = authres_parse(part);

		if (partial != NULL)
			g_assert_nonnull(partial->authserv_id);
	}
}

/* test_too_many_results - a field of endless results is refused, not walked forever. */
static void
test_too_many_results(void)
{
	g_autoptr(GString) value = g_string_new("mx.example.com");
	g_autoptr(authres_header) header = NULL;

	for (int i = 0; i <= AUTHRES_RESULTS_MAX; i++)
		g_string_append(value, "; dmarc=pass header.from=c.es");
	header = authres_parse(value->str);
	g_assert_null(header);
}

typedef struct {
	const char *name;
	const char *fields[3];      /* NULL-terminated, topmost first */
	const char *domain;
	gboolean pass;
} dmarc_case;

static const dmarc_case dmarc_cases[] = {
	{ "our pass", { "mx.example.com; spf=pass smtp.mailfrom=cliente.es; dmarc=pass header.from=cliente.es" },
	  "cliente.es", TRUE },
	{ "our pass, case ignored", { "MX.EXAMPLE.COM; DMARC=PASS header.from=CLIENTE.ES" }, "cliente.es", TRUE },
	{ "second authserv-id of ours", { "mx2.example.com; dmarc=pass header.from=cliente.es" }, "cliente.es", TRUE },
	{ "pass in a field apart from dkim", { "mx.example.com; dkim=pass header.d=cliente.es",
	  "mx.example.com; dmarc=pass header.from=cliente.es" }, "cliente.es", TRUE },
	{ "forged by another authserv-id", { "mx.evil.test; dmarc=pass header.from=cliente.es" }, "cliente.es", FALSE },
	{ "another header.from", { "mx.example.com; dmarc=pass header.from=evil.test" }, "cliente.es", FALSE },
	{ "a subdomain is another domain", { "mx.example.com; dmarc=pass header.from=mail.cliente.es" },
	  "cliente.es", FALSE },
	{ "no header.from", { "mx.example.com; dmarc=pass" }, "cliente.es", FALSE },
	{ "our fail", { "mx.example.com; dmarc=fail header.from=cliente.es" }, "cliente.es", FALSE },
	{ "our fail outweighs a forged pass", { "mx.example.com; dmarc=fail header.from=cliente.es",
	  "mx.example.com; dmarc=pass header.from=cliente.es" }, "cliente.es", FALSE },
	{ "no dmarc result of ours", { "mx.example.com; spf=pass smtp.mailfrom=cliente.es" }, "cliente.es", FALSE },
	{ "pass only in a comment", { "mx.example.com; dmarc=none (dmarc=pass) header.from=cliente.es" },
	  "cliente.es", FALSE },
	{ "unknown version", { "mx.example.com 2; dmarc=pass header.from=cliente.es" }, "cliente.es", FALSE },
	{ "does not parse", { "mx.example.com; dmarc=pass header.from=cliente.es (" }, "cliente.es", FALSE },
	{ "no field", { NULL }, "cliente.es", FALSE },
	{ "no domain", { "mx.example.com; dmarc=pass header.from=cliente.es" }, NULL, FALSE },
};

static void
test_dmarc(gconstpointer data)
{
	const dmarc_case *c = data;
	char *ours[] = { "mx.example.com", "mx2.example.com", NULL };
	ticketd_config config = { .authserv_ids = ours };
	parsed_message message = { .authentication_results = g_ptr_array_new() };
	const char *why = "unset";
	gboolean passed;

	for (int i = 0; c->fields[i] != NULL; i++)
		g_ptr_array_add(message.authentication_results, (gpointer)c->fields[i]);
	passed = authres_dmarc_pass(&config, &message, c->domain, &why);
	g_assert_cmpint(passed, ==, c->pass);
	if (passed)
		g_assert_null(why);
	else
		g_assert_nonnull(why);
	g_ptr_array_unref(message.authentication_results);
}

/* test_dmarc_without_authserv_id - nothing is trusted when our MTA is not named. */
static void
test_dmarc_without_authserv_id(void)
{
	char *none[] = { NULL };
	ticketd_config config = { .authserv_ids = none };
	parsed_message message = { .authentication_results = g_ptr_array_new() };
	const char *why = NULL;

	g_ptr_array_add(message.authentication_results, "mx.example.com; dmarc=pass header.from=cliente.es");
	g_assert_false(authres_dmarc_pass(&config, &message, "cliente.es", &why));
	g_assert_nonnull(strstr(why, "authserv_id"));
	g_ptr_array_unref(message.authentication_results);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	for (gsize i = 0; i < G_N_ELEMENTS(parse_cases); i++) {
		g_autofree char *path = g_strdup_printf("/authres/parse/%s", parse_cases[i].name);

		g_test_add_data_func(path, &parse_cases[i], test_parse);
	}
	g_test_add_func("/authres/parse/too-many-results", test_too_many_results);
	for (gsize i = 0; i < G_N_ELEMENTS(dmarc_cases); i++) {
		g_autofree char *path = g_strdup_printf("/authres/dmarc/%s", dmarc_cases[i].name);

		g_test_add_data_func(path, &dmarc_cases[i], test_dmarc);
	}
	g_test_add_func("/authres/dmarc/without-authserv-id", test_dmarc_without_authserv_id);
	return g_test_run();
}
