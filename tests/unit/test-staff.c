/*
 * test-staff - the command lines of an agent's mail, table-driven (each case whole),
 * and the signed addresses: a token verifies only for its own ticket and agent.
 */
#include <glib/gstdio.h>
#include <string.h>

#include "secret.h"
#include "staff.h"
#include "staff_command.h"

typedef struct {
	const char *text;
	const char *status, *assign, *priority, *department, *customer;
	gboolean note, close;
	const char *rest;           /* the text left for the customer */
	const char *problem;        /* a fragment of the English report, NULL when none */
	staff_command_place place;  /* STAFF_AT_TICKET unless said */
} command_case;

static const command_case command_cases[] = {
	{ "#estado pendiente\nHola,\nya está.", .status = "pending", .rest = "Hola,\nya está." },
	{ "#status On hold\n\ntext", .status = "on_hold", .rest = "text" },
	{ "  #ESTADO Respuesta del cliente\nx", .status = "customer_reply", .rest = "x" },
	{ "#asignar agente2@example.com\n#prioridad alta", .assign = "agente2@example.com", .priority = "high", .rest = "" },
	{ "#assign nobody", .assign = "", .rest = "" },
	{ "#nota\nCliente VIP", .note = TRUE, .rest = "Cliente VIP" },
	{ "#departamento facturacion\n#cerrar\nAdiós", .department = "facturacion", .close = TRUE, .rest = "Adiós" },
	{ "#cliente Ana@Cliente.es\nLlamó", .customer = "Ana@cliente.es", .rest = "Llamó", .place = STAFF_AT_DESK },
	{ "#cliente ana@cliente.es\nLlamó", .rest = "Llamó", .problem = "#cliente belongs on the desk address" },
	{ "#cliente ana", .rest = "", .problem = "not an e-mail address", .place = STAFF_AT_DESK },
	{ "Hola\n#estado cerrado", .rest = "Hola\n#estado cerrado" },          /* only the first lines count */
	{ "#1 en la lista", .rest = "#1 en la lista" },                      /* not a command word */
	{ "#estdo resuelto\nYa", .rest = "Ya", .problem = "line 1: \"#estdo resuelto\": unknown command" },
	{ "#estado abiertísimo", .rest = "", .problem = "no such status" },
	{ "#asignar mallory@evil.example", .rest = "", .problem = "not an agent" },
	{ "#prioridad", .rest = "", .problem = "needs a value" },
	{ "#cerrar ya\nx", .rest = "x", .problem = "takes no value" },
	{ "#departamento marte", .rest = "", .problem = "no such department; use one of: soporte, facturacion" },
};

static ticketd_config *
test_config(const char *secret_path)
{
	g_autofree char *path = g_build_filename(g_get_tmp_dir(), "test-staff.conf", NULL);
	g_autofree char *text = g_strdup_printf(
		"[ticketd]\ndatabase = /nonexistent.db\ndomain = example.com\nstaff = agente1@example.com\n"
		"secret_file = %s\n[department:soporte]\naddress = soporte@example.com\n"
		"[department:facturacion]\naddress = facturacion@example.com\nstaff = agente2@example.com\n", secret_path);
	g_autoptr(GError) error = NULL;
	ticketd_config *config;

	g_assert_true(g_file_set_contents(path, text, -1, NULL));
	g_chmod(path, 0600);
	config = config_load(path, &error);
	g_assert_no_error(error);
	g_unlink(path);
	return config;
}

static ticketd_config *
test_config_with_key(void)
{
	g_autofree char *secret = g_build_filename(g_get_tmp_dir(), "test-staff.secret", NULL);
	ticketd_config *config;

	g_assert_true(g_file_set_contents(secret, "0123456789abcdef0123456789abcdef\n", -1, NULL));
	g_chmod(secret, 0600);
	config = test_config(secret);
	g_unlink(secret);
	return config;
}

static void
test_commands(void)
{
	g_autoptr(ticketd_config) config = test_config("/nonexistent/secret");

	for (gsize i = 0; i < G_N_ELEMENTS(command_cases); i++) {
		const command_case *c = &command_cases[i];
		g_autoptr(staff_commands) got = staff_command_parse(config, c->text, c->place);

		g_test_message("case %zu: %s", i, c->text);
		if (c->problem != NULL) {
			g_assert_nonnull(strstr(got->problems->str, c->problem));
			continue;
		}
		g_assert_cmpstr(got->problems->str, ==, "");
		g_assert_cmpstr(got->status, ==, c->status);
		g_assert_cmpstr(got->assign_set ? got->assign : NULL, ==, c->assign);
		g_assert_cmpstr(got->priority, ==, c->priority);
		g_assert_cmpstr(got->department, ==, c->department);
		g_assert_cmpstr(got->customer, ==, c->customer);
		g_assert_cmpint(got->note, ==, c->note);
		g_assert_cmpint(got->close, ==, c->close);
		g_assert_cmpstr(got->text, ==, c->rest);
	}
}

/* The agent reads what went wrong in the desk's language, with the line and the valid values. */
static void
test_command_report(void)
{
	g_autoptr(ticketd_config) config = test_config("/nonexistent/secret");
	g_autoptr(staff_commands) got = staff_command_parse(config, "#nota\n#estado abiero\n#prioridad\nHola",
	                                                    STAFF_AT_TICKET);
	g_autofree char *es = staff_command_report(config, got, "es");
	g_autofree char *en = staff_command_report(config, got, "en");

	g_assert_cmpstr(es, ==, "línea 2: «#estado abiero»: estado desconocido; valen: Abierto, Contestado, "
	                        "Respuesta del cliente, En espera, En curso, Pendiente, Resuelto, Cerrado\n"
	                        "línea 3: «#prioridad»: falta el valor tras la orden\n");
	g_assert_cmpstr(en, ==, got->problems->str);
	g_assert_nonnull(strstr(en, "line 2: \"#estado abiero\": no such status; use one of: Open, Answered,"));
	g_assert_cmpstr(got->text, ==, "Hola");
}

static void
test_tokens(void)
{
	g_autoptr(ticketd_config) config = test_config_with_key();
	store_ticket ticket = { .code = (char *)"KQZ-482913", .department = (char *)"soporte" };
	g_autofree char *address = staff_reply_address(config, &ticket, "agente1@example.com");
	g_autofree char *code = NULL, *token = NULL;
	g_autofree char *other = staff_token(config, "KQZ-482914", "agente1@example.com");
	g_autofree char *desk = staff_desk_address(config, "agente2@example.com");

	g_assert_true(g_str_has_prefix(address, "soporte+KQZ-482913."));
	g_assert_true(g_str_has_suffix(address, "@example.com"));
	{
		g_autofree char *detail = g_strndup(strchr(address, '+') + 1, strcspn(strchr(address, '+') + 1, "@"));

		g_assert_true(staff_signed_detail(detail, &code, &token));
	}
	g_assert_cmpstr(code, ==, "KQZ-482913");
	g_assert_cmpstr(staff_token_agent(config, code, token), ==, "agente1@example.com");
	g_assert_null(staff_token_agent(config, "KQZ-482914", token));   /* another ticket's */
	g_assert_null(staff_token_agent(config, code, other));           /* the agent's token of another ticket */
	g_assert_null(staff_token_agent(config, code, "aaaaaaaa"));
	g_assert_true(g_str_has_prefix(desk, "facturacion+desk."));      /* the agent's own department */
	g_assert_false(staff_signed_detail("KQZ-482913", &code, &token));
}

static void
test_secret_refused_when_others_read(void)
{
	g_autofree char *secret = g_build_filename(g_get_tmp_dir(), "test-staff.open-secret", NULL);
	g_autoptr(GError) error = NULL;
	g_autoptr(GBytes) key = NULL;

	g_assert_true(g_file_set_contents(secret, "0123456789abcdef0123456789abcdef\n", -1, NULL));
	g_chmod(secret, 0644);
	key = secret_load(secret, &error);
	g_unlink(secret);
	g_assert_null(key);
	g_assert_error(error, SECRET_ERROR, SECRET_ERROR_UNSAFE);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/staff/commands", test_commands);
	g_test_add_func("/staff/command-report", test_command_report);
	g_test_add_func("/staff/tokens", test_tokens);
	g_test_add_func("/staff/secret-refused-when-others-read", test_secret_refused_when_others_read);
	return g_test_run();
}
