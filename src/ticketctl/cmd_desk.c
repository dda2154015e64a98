/*
 * ctl_desk - the desk's own commands: open a ticket for a customer (a phone call, a
 * visit), set a ticket's priority, and print an agent's personal signed desk address.
 * Each parses its options, makes one call of the ticket or staff part, and reports.
 */
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "address.h"
#include "ctl.h"
#include "staff.h"
#include "staff_command.h"
#include "ticket.h"

/* desk_report - "CODE: line", or {"code", "priority"|"address", "action"} with --json. */
static void
desk_report(ctl_context *ctx, const char *code, const char *name, const char *value, const char *action,
            const char *line)
{
	g_autoptr(JsonBuilder) json = NULL;

	if (!ctx->json) {
		printf("%s\n", line);
		return;
	}
	json = json_builder_new();
	json_builder_begin_object(json);
	if (code != NULL)
		ctl_json_string(json, "code", code);
	ctl_json_string(json, name, value);
	ctl_json_string(json, "action", action);
	json_builder_end_object(json);
	ctl_print_json(json);
}

/* desk_account - the account of address, or an exit code after saying why. */
static int
desk_account(ctl_context *ctx, const char *address, int64_t *id)
{
	store_account account = { 0 };
	g_autoptr(GError) error = NULL;

	if (store_account_by_email(ctx->db, address, &account, &error)) {
		*id = account.disabled ? 0 : account.id;
		store_account_clear(&account);
		if (*id != 0)
			return EX_OK;
		fprintf(stderr, "ticketctl open: the account %s is disabled\n", address);
		return EX_DATAERR;
	}
	if (error != NULL)
		return ctl_store_error("reading the account", error);
	fprintf(stderr, "ticketctl open: no account %s (ticketctl account add %s)\n", address, address);
	return EX_NOINPUT;
}

/* desk_open_commit - the ticket in one transaction; an exit code, *code set on success. */
static int
desk_open_commit(ctl_context *ctx, const char *address, ticket_change *change, ticket_opening *opening,
                 char **code)
{
	g_autoptr(GError) error = NULL;
	int status;

	if (!store_begin(ctx->db, &error))
		return ctl_store_error("opening the ticket", error);
	if ((status = desk_account(ctx, address, &opening->account_id)) != EX_OK) {
		store_rollback(ctx->db);
		return status;
	}
	if (ticket_staff_open(change, opening, code, &error) != 0 && store_commit(ctx->db, &error))
		return EX_OK;
	store_rollback(ctx->db);
	return ctl_store_error("opening the ticket", error);
}

/* desk_open_checks - the department and priority named on the command line; an exit code. */
static int
desk_open_checks(ctl_context *ctx, const char *department, const char *priority, const char *subject)
{
	if (subject == NULL || *subject == '\0' || !g_utf8_validate(subject, -1, NULL)) {
		fprintf(stderr, "ticketctl open: --subject TEXT is required (UTF-8)\n");
		return EX_USAGE;
	}
	if (department != NULL && config_department_by_slug(ctx->config, department) == NULL) {
		fprintf(stderr, "ticketctl open: no department %s (ticketctl department list)\n", department);
		return EX_USAGE;
	}
	if (priority != NULL && staff_priority_from_word(priority) == NULL) {
		fprintf(stderr, "ticketctl open: --priority is low, medium, high or urgent\n");
		return EX_USAGE;
	}
	return EX_OK;
}

int
ctl_open_ticket(ctl_context *ctx, int argc, char **argv)
{
	g_autofree char *account = NULL, *department = NULL, *subject = NULL, *file = NULL, *priority = NULL;
	g_autofree char *actor = NULL, *text = NULL, *code = NULL, *line = NULL, *address = NULL;
	g_auto(GStrv) attach = NULL;
	GOptionEntry options[] = {
		{ "account", 0, 0, G_OPTION_ARG_STRING, &account, "the customer's account (required)", "ADDRESS" },
		{ "department", 0, 0, G_OPTION_ARG_STRING, &department, "department slug (default: the first)", "SLUG" },
		{ "subject", 0, 0, G_OPTION_ARG_STRING, &subject, "the ticket's subject (required)", "TEXT" },
		{ "file", 0, 0, G_OPTION_ARG_FILENAME, &file, "the first message (default: stdin)", "FILE" },
		{ "attach", 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &attach, "attach a file (repeatable)", "FILE" },
		{ "priority", 0, 0, G_OPTION_ARG_STRING, &priority, "low, medium, high or urgent", "P" },
		{ "actor", 0, 0, G_OPTION_ARG_STRING, &actor, "who opens it (default: login name)", "WHO" },
		{ NULL }
	};
	g_autoptr(GPtrArray) files = NULL;
	g_autoptr(GError) error = NULL;
	ticket_opening opening = { 0 };
	ticket_change change;
	int status;

	if (!ctl_parse(ctx, "--account ADDRESS --subject TEXT", "Open a ticket for a customer; they get the code by mail.",
	               options, &argc, &argv))
		return EX_USAGE;
	if (argc != 1 || account == NULL) {
		fprintf(stderr, "usage: ticketctl open --account ADDRESS [--department SLUG] --subject TEXT "
		        "[--file F] [--attach F]... [--priority P]\n");
		return EX_USAGE;
	}
	if ((status = ctl_open(ctx)) != EX_OK || (status = desk_open_checks(ctx, department, priority, subject)) != EX_OK)
		return status;
	if ((text = ctl_read_text("open", file)) == NULL)
		return EX_DATAERR;
	if ((files = ticket_attachments_load(attach, &error)) == NULL) {
		fprintf(stderr, "ticketctl open: %s\n", error->message);
		return EX_NOINPUT;
	}
	address = address_written(account);
	change = (ticket_change){
		.config = ctx->config, .store = ctx->db, .actor = actor ? actor : g_get_user_name(), .now = store_now(),
		.department = department ? department
		              : ((department_config *)g_ptr_array_index(ctx->config->departments, 0))->slug,
	};
	opening = (ticket_opening){ .subject = subject, .text = text, .attachments = files,
	                            .priority = staff_priority_from_word(priority) };
	if ((status = desk_open_commit(ctx, address, &change, &opening, &code)) != EX_OK)
		return status;
	line = g_strdup_printf("%s: opened for %s in %s; the customer is told the code by mail", code, address,
	                       change.department);
	desk_report(ctx, code, "account", address, "open", line);
	return EX_OK;
}

int
ctl_priority(ctl_context *ctx, int argc, char **argv)
{
	g_autofree char *actor = NULL, *upper = NULL, *line = NULL;
	GOptionEntry options[] = {
		{ "actor", 0, 0, G_OPTION_ARG_STRING, &actor, "who makes the change (default: login name)", "WHO" },
		{ NULL }
	};
	store_ticket ticket = { 0 };
	g_autoptr(GError) error = NULL;
	const char *priority;
	ticket_change change;
	int status;

	if (!ctl_parse(ctx, "CODE PRIORITY", "Set a ticket's priority: higher comes first in the queue.", options,
	               &argc, &argv))
		return EX_USAGE;
	if (argc != 3 || (priority = staff_priority_from_word(argv[2])) == NULL) {
		fprintf(stderr, "usage: ticketctl priority CODE PRIORITY, PRIORITY one of low medium high urgent\n");
		return EX_USAGE;
	}
	if ((status = ctl_open(ctx)) != EX_OK)
		return status;
	upper = g_ascii_strup(argv[1], -1);
	if (!store_begin(ctx->db, &error))
		return ctl_store_error("setting the priority", error);
	if ((status = ctl_ticket(ctx, "priority", upper, &ticket)) != EX_OK) {
		store_rollback(ctx->db);
		return status;
	}
	change = (ticket_change){ .config = ctx->config, .store = ctx->db,
	                          .actor = actor ? actor : g_get_user_name(), .now = store_now() };
	if (!ticket_set_priority(&change, &ticket, priority, &error) || !store_commit(ctx->db, &error)) {
		store_rollback(ctx->db);
		store_ticket_clear(&ticket);
		return ctl_store_error("setting the priority", error);
	}
	line = g_strdup_printf("%s: priority %s", ticket.code, priority);
	desk_report(ctx, ticket.code, "priority", priority, "priority", line);
	store_ticket_clear(&ticket);
	return EX_OK;
}

int
ctl_staff(ctl_context *ctx, int argc, char **argv)
{
	g_autofree char *agent = NULL, *address = NULL;
	int status;

	if (!ctl_parse(ctx, "address AGENT", "An agent's personal signed desk address, for opening tickets by mail.",
	               NULL, &argc, &argv))
		return EX_USAGE;
	if (argc != 3 || strcmp(argv[1], "address") != 0) {
		fprintf(stderr, "usage: ticketctl staff address AGENT\n");
		return EX_USAGE;
	}
	if ((status = ctl_open(ctx)) != EX_OK)
		return status;
	agent = address_normalize(argv[2]);
	if (!config_is_staff(ctx->config, agent)) {
		fprintf(stderr, "ticketctl staff: %s is not staff (staff = in [ticketd] or a [department:SLUG] of %s)\n",
		        agent, ctx->config->path);
		return EX_NOINPUT;
	}
	if ((address = staff_desk_address(ctx->config, agent)) == NULL) {
		fprintf(stderr, "ticketctl staff: no key to sign addresses: %s\n", ctx->config->secret_problem);
		return EX_CONFIG;
	}
	desk_report(ctx, NULL, "address", address, "staff_address", address);
	return EX_OK;
}
