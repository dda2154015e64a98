/*
 * ctl_staff - what staff do to a ticket from the command line. Every change is an event
 * with its actor, and queues the customer's notification in the same transaction.
 */
#include <stdio.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "ctl.h"
#include "notify.h"
#include "status.h"

/* staff_actor - who is acting: --actor, else the login name. */
static const char *
staff_actor(const char *given)
{
	return given != NULL ? given : g_get_user_name();
}

/* staff_ticket - the ticket named on the command line, or an exit code. */
static int
staff_ticket(ctl_context *ctx, const char *command, const char *code, store_ticket *ticket)
{
	g_autofree char *upper = g_ascii_strup(code, -1);
	g_autoptr(GError) error = NULL;

	if (store_ticket_by_code(ctx->db, upper, ticket, &error))
		return EX_OK;
	if (error != NULL)
		return ctl_store_error("reading the ticket", error);
	fprintf(stderr, "ticketctl %s: no ticket %s (ticketctl list shows the codes)\n", command, upper);
	return EX_NOINPUT;
}

/* staff_set_status - status, event and notification, in the open transaction. */
static gboolean
staff_set_status(ctl_context *ctx, const store_ticket *ticket, const char *status, const char *actor,
                 GError **error)
{
	notify_event event = {
		.kind = NOTIFY_STATUS, .ticket_id = ticket->id, .actor = actor,
		.old_status = ticket->status, .new_status = status,
	};
	int64_t now = store_now();

	return store_ticket_set_status(ctx->db, ticket->id, status, now, error) &&
	       store_event_add(ctx->db, ticket->id, "status", actor, ticket->status, status, NULL, now, error) &&
	       notify_queue(ctx->config, ctx->db, &event, now, error);
}

int
ctl_status(ctl_context *ctx, int argc, char **argv)
{
	g_autofree char *actor = NULL;
	GOptionEntry options[] = {
		{ "actor", 0, 0, G_OPTION_ARG_STRING, &actor, "who makes the change (default: login name)", "WHO" },
		{ NULL }
	};
	store_ticket ticket = { 0 };
	g_autoptr(GError) error = NULL;
	int code;

	if (!ctl_parse(ctx, "CODE STATUS", "Set a ticket's status; the customer is told by mail.", options, &argc, &argv))
		return EX_USAGE;
	if (argc != 3 || !status_valid(argv[2])) {
		fprintf(stderr, "usage: ticketctl status CODE STATUS, STATUS one of "
		        "open answered customer_reply on_hold in_progress pending resolved closed\n");
		return EX_USAGE;
	}
	if ((code = ctl_open(ctx)) != EX_OK)
		return code;
	if (!store_begin(ctx->db, &error))
		return ctl_store_error("changing the status", error);
	if ((code = staff_ticket(ctx, "status", argv[1], &ticket)) != EX_OK) {
		store_rollback(ctx->db);
		return code;
	}
	if (ticket.merged_into != 0) {
		fprintf(stderr, "ticketctl status: %s was merged into another ticket; change that one\n", ticket.code);
		code = EX_DATAERR;
	} else if (strcmp(ticket.status, argv[2]) != 0 &&
	           (!staff_set_status(ctx, &ticket, argv[2], staff_actor(actor), &error) ||
	            !store_commit(ctx->db, &error))) {
		code = ctl_store_error("changing the status", error);
	}
	if (code != EX_OK || strcmp(ticket.status, argv[2]) == 0)
		store_rollback(ctx->db);
	store_ticket_clear(&ticket);
	return code;
}
