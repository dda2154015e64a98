/*
 * ctl_staff - what staff do to a ticket from the command line: status, reply, note,
 * assign, close, reopen, merge, sweep. Each command reads its options and the ticket,
 * makes one transition of the ticket part in a transaction, and says what it did.
 */
#include <stdio.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "ctl.h"
#include "event.h"
#include "log.h"
#include "status.h"
#include "sweep.h"
#include "ticket.h"


/* staff_change - a change by --actor, else the login name, as of now. */
static ticket_change
staff_change(ctl_context *ctx, const char *actor)
{
	ticket_change change = {
		.config = ctx->config, .store = ctx->db, .actor = actor != NULL ? actor : g_get_user_name(),
		.now = store_now(),
	};

	return change;
}


/* staff_begin - open the store, begin, and read the ticket; what names a failed begin.
 * An exit code; on success the transaction is open. */
static int
staff_begin(ctl_context *ctx, const char *command, const char *what, const char *code, store_ticket *ticket)
{
	g_autoptr(GError) error = NULL;
	int status;

	if ((status = ctl_open(ctx)) != EX_OK)
		return status;
	if (!store_begin(ctx->db, &error))
		return ctl_store_error(what, error);
	if ((status = ctl_ticket(ctx, command, code, ticket)) != EX_OK)
		store_rollback(ctx->db);
	return status;
}

/* staff_open_ticket - staff_begin, refusing a merged-away ticket by naming the survivor. */
static int
staff_open_ticket(ctl_context *ctx, const char *command, const char *code, store_ticket *ticket)
{
	store_ticket survivor = { 0 };
	int status;

	if ((status = staff_begin(ctx, command, command, code, ticket)) != EX_OK || ticket->merged_into == 0)
		return status;
	store_ticket_by_id(ctx->db, ticket->merged_into, &survivor, NULL);
	fprintf(stderr, "ticketctl %s: %s was merged into %s; use %s instead\n", command, ticket->code,
	        survivor.code ? survivor.code : "another ticket", survivor.code ? survivor.code : "that one");
	store_ticket_clear(&survivor);
	store_ticket_clear(ticket);
	store_rollback(ctx->db);
	return EX_DATAERR;
}

/*
 * staff_finish - commit what done says was written, or roll back and report why: a
 * refusal of the ticket part as "ticketctl COMMAND: why", a store failure by its class.
 * The exit code. done is computed by the caller first: error is only set by that call.
 */
static int
staff_finish(ctl_context *ctx, const char *command, const char *what, gboolean done, GError *error)
{
	g_autoptr(GError) commit_error = NULL;

	if (done && store_commit(ctx->db, &commit_error))
		return EX_OK;
	store_rollback(ctx->db);
	if (error != NULL && error->domain == TICKET_ERROR) {
		fprintf(stderr, "ticketctl %s: %s%s\n", command, error->message,
		        error->code == TICKET_ERROR_NOT_REOPENABLE ? " (ticketctl status sets any status)" : "");
		return EX_DATAERR;
	}
	return ctl_store_error(what, error != NULL ? error : commit_error);
}

/* staff_mark - the outbox's newest row before a change: the change's notices come after. */
static int64_t
staff_mark(ctl_context *ctx)
{
	return MAX(store_outbox_last_id(ctx->db, NULL), 0);
}

/* staff_notices - the notices the change queued or stopped, read before the commit. */
static GPtrArray *
staff_notices(ctl_context *ctx, const store_ticket *ticket, int64_t mark)
{
	GPtrArray *rows = store_outbox_since(ctx->db, ticket->id, mark, NULL);

	return rows != NULL ? rows : g_ptr_array_new();
}

/* staff_told - "mailed to a@, b@; not mailed to c@ (why)", or "nobody was mailed". */
static char *
staff_told(GPtrArray *notices)
{
	GString *mailed = g_string_new(NULL), *unmailed = g_string_new(NULL);
	g_autofree char *m = NULL, *u = NULL;

	for (guint i = 0; notices != NULL && i < notices->len; i++) {
		const store_outbox_row *row = g_ptr_array_index(notices, i);
		g_autofree char *to = log_printable(row->recipient, 254);

		if (strcmp(row->state, OUTBOX_SUPPRESSED) == 0)
			g_string_append_printf(unmailed, "%s%s (%s)", unmailed->len ? ", " : "", to, row->last_error);
		else
			g_string_append_printf(mailed, "%s%s", mailed->len ? ", " : "", to);
	}
	m = g_string_free(mailed, FALSE);
	u = g_string_free(unmailed, FALSE);
	if (*m == '\0' && *u == '\0')
		return g_strdup("nobody was mailed");
	return g_strdup_printf("%s%s%s%s%s", *m ? "mailed to " : "", m, *m && *u ? "; " : "",
	                       *u ? "not mailed to " : "", u);
}

/* staff_json_notices - "mailed": [address], "not_mailed": [{address, reason}]. */
static void
staff_json_notices(JsonBuilder *json, GPtrArray *notices)
{
	for (int suppressed = 0; suppressed < 2; suppressed++) {
		json_builder_set_member_name(json, suppressed ? "not_mailed" : "mailed");
		json_builder_begin_array(json);
		for (guint i = 0; notices != NULL && i < notices->len; i++) {
			const store_outbox_row *row = g_ptr_array_index(notices, i);

			if ((strcmp(row->state, OUTBOX_SUPPRESSED) == 0) != suppressed)
				continue;
			if (!suppressed) {
				json_builder_add_string_value(json, row->recipient);
				continue;
			}
			json_builder_begin_object(json);
			ctl_json_string(json, "address", row->recipient);
			ctl_json_string(json, "reason", row->last_error);
			json_builder_end_object(json);
		}
		json_builder_end_array(json);
	}
}

/*
 * staff_report - one line for people, or {"code", "status", "action", "mailed",
 * "not_mailed"} with --json; notices (NULL: none asked for) say who was told. The
 * action goes to syslog with who did it.
 */
static void
staff_report(ctl_context *ctx, const ticket_change *change, const char *code, const char *status,
             const char *action, const char *line, GPtrArray *notices)
{
	g_autoptr(JsonBuilder) json = NULL;
	g_autofree char *told = notices != NULL ? staff_told(notices) : NULL;

	log_staff(change->actor, "%s: ticketctl %s, status=%s%s%s", code, action, status, told ? ": " : "",
	          told ? told : "");
	if (!ctx->json) {
		printf("%s: %s%s%s\n", code, line, told ? "; " : "", told ? told : "");
		return;
	}
	json = json_builder_new();
	json_builder_begin_object(json);
	ctl_json_string(json, "code", code);
	ctl_json_string(json, "status", status);
	ctl_json_string(json, "action", action);
	if (notices != NULL)
		staff_json_notices(json, notices);
	json_builder_end_object(json);
	ctl_print_json(json);
}

int
ctl_status(ctl_context *ctx, int argc, char **argv)
{
	g_autofree char *actor = NULL, *line = NULL;
	g_autoptr(GPtrArray) notices = NULL;
	int64_t mark;
	GOptionEntry options[] = {
		{ "actor", 0, 0, G_OPTION_ARG_STRING, &actor, "who makes the change (default: login name)", "WHO" },
		{ NULL }
	};
	store_ticket ticket = { 0 };
	g_autoptr(GError) error = NULL;
	ticket_change change;
	gboolean done;
	int code;

	if (!ctl_parse(ctx, "CODE STATUS", "Set a ticket's status; the customer is told by mail, and this says who was.", options, &argc, &argv))
		return EX_USAGE;
	if (argc != 3 || !status_valid(argv[2])) {
		fprintf(stderr, "usage: ticketctl status CODE STATUS, STATUS one of "
		        "open answered customer_reply on_hold in_progress pending resolved closed\n");
		return EX_USAGE;
	}
	if ((code = staff_begin(ctx, "status", "changing the status", argv[1], &ticket)) != EX_OK)
		return code;
	if (ticket.merged_into != 0) {
		fprintf(stderr, "ticketctl status: %s was merged into another ticket; change that one\n", ticket.code);
		store_rollback(ctx->db);
		store_ticket_clear(&ticket);
		return EX_DATAERR;
	}
	change = staff_change(ctx, actor);
	mark = staff_mark(ctx);
	done = ticket_set_status(&change, &ticket, argv[2], &error);
	notices = done ? staff_notices(ctx, &ticket, mark) : NULL;
	code = staff_finish(ctx, "status", "changing the status", done, error);
	line = strcmp(ticket.status, argv[2]) == 0 ? g_strdup_printf("already %s; nothing changed", argv[2])
	       : g_strdup_printf("%s → %s", ticket.status, argv[2]);
	if (code == EX_OK)
		staff_report(ctx, &change, ticket.code, argv[2], "status", line,
		             strcmp(ticket.status, argv[2]) == 0 ? NULL : notices);
	store_ticket_clear(&ticket);
	return code;
}

int
ctl_reply(ctl_context *ctx, int argc, char **argv)
{
	g_autofree char *actor = NULL, *file = NULL, *status = NULL, *text = NULL, *line = NULL;
	g_autoptr(GPtrArray) notices = NULL;
	int64_t mark;
	g_auto(GStrv) attach = NULL;
	GOptionEntry options[] = {
		{ "file", 0, 0, G_OPTION_ARG_FILENAME, &file, "the reply's text (default: stdin)", "FILE" },
		{ "status", 0, 0, G_OPTION_ARG_STRING, &status, "status to set (default: answered)", "STATUS" },
		{ "attach", 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &attach, "attach a file (repeatable)", "FILE" },
		{ "actor", 0, 0, G_OPTION_ARG_STRING, &actor, "who replies (default: login name)", "WHO" },
		{ NULL }
	};
	store_ticket ticket = { 0 };
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) files = NULL;
	ticket_change change;
	ticket_reply reply;
	gboolean done;
	int code;

	if (!ctl_parse(ctx, "CODE", "Reply to the customer; the text is mailed with the ticket's tag.",
	               options, &argc, &argv))
		return EX_USAGE;
	if (argc != 2 || (status != NULL && !status_valid(status))) {
		fprintf(stderr, "usage: ticketctl reply CODE [--file FILE] [--status STATUS] [--attach FILE]...,"
		        " STATUS one of open answered customer_reply on_hold in_progress pending resolved closed\n");
		return EX_USAGE;
	}
	if ((text = ctl_read_text("reply", file)) == NULL)
		return EX_DATAERR;
	if ((code = staff_open_ticket(ctx, "reply", argv[1], &ticket)) != EX_OK)
		return code;
	change = staff_change(ctx, actor);
	files = ticket_attachments_load(attach, &error);
	reply = (ticket_reply){ .text = text, .status = status, .mail = { .row = NULL, .attachments = files } };
	mark = staff_mark(ctx);
	done = files != NULL && ticket_staff_reply(&change, &ticket, &reply, &error);
	notices = done ? staff_notices(ctx, &ticket, mark) : NULL;
	code = staff_finish(ctx, "reply", "storing the reply", done, error);
	line = g_strdup_printf("reply stored, status %s", ticket_reply_status(status));
	if (code == EX_OK)
		staff_report(ctx, &change, ticket.code, ticket_reply_status(status), "reply", line, notices);
	store_ticket_clear(&ticket);
	return code;
}

int
ctl_note(ctl_context *ctx, int argc, char **argv)
{
	g_autofree char *actor = NULL, *file = NULL, *text = NULL;
	GOptionEntry options[] = {
		{ "file", 0, 0, G_OPTION_ARG_FILENAME, &file, "the note's text (default: stdin)", "FILE" },
		{ "actor", 0, 0, G_OPTION_ARG_STRING, &actor, "who writes (default: login name)", "WHO" },
		{ NULL }
	};
	store_ticket ticket = { 0 };
	g_autoptr(GError) error = NULL;
	ticket_change change;
	gboolean done;
	int code;

	if (!ctl_parse(ctx, "CODE", "Add an internal note: kept on the ticket, never mailed.", options, &argc, &argv))
		return EX_USAGE;
	if (argc != 2) {
		fprintf(stderr, "usage: ticketctl note CODE [--file FILE] [--actor WHO]\n");
		return EX_USAGE;
	}
	if ((text = ctl_read_text("note", file)) == NULL)
		return EX_DATAERR;
	if ((code = staff_open_ticket(ctx, "note", argv[1], &ticket)) != EX_OK)
		return code;
	change = staff_change(ctx, actor);
	done = ticket_note(&change, &ticket, text, &error);
	code = staff_finish(ctx, "note", "storing the note", done, error);
	if (code == EX_OK)
		staff_report(ctx, &change, ticket.code, ticket.status, "note", "internal note added (not mailed)", NULL);
	store_ticket_clear(&ticket);
	return code;
}

int
ctl_assign(ctl_context *ctx, int argc, char **argv)
{
	g_autofree char *actor = NULL, *line = NULL;
	GOptionEntry options[] = {
		{ "actor", 0, 0, G_OPTION_ARG_STRING, &actor, "who assigns (default: login name)", "WHO" },
		{ NULL }
	};
	store_ticket ticket = { 0 };
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) notices = NULL;
	int64_t mark;
	ticket_change change;
	const char *agent;
	gboolean done;
	int code;

	if (!ctl_parse(ctx, "CODE AGENT", "Assign a ticket to an agent; AGENT none unassigns it.", options, &argc, &argv))
		return EX_USAGE;
	if (argc != 3 || *argv[2] == '\0') {
		fprintf(stderr, "usage: ticketctl assign CODE AGENT (AGENT none unassigns)\n");
		return EX_USAGE;
	}
	agent = strcmp(argv[2], "none") == 0 ? NULL : argv[2];
	if ((code = staff_open_ticket(ctx, "assign", argv[1], &ticket)) != EX_OK)
		return code;
	change = staff_change(ctx, actor);
	mark = staff_mark(ctx);
	done = ticket_assign(&change, &ticket, agent, &error);
	notices = done && agent != NULL ? staff_notices(ctx, &ticket, mark) : NULL;
	code = staff_finish(ctx, "assign", "assigning the ticket", done, error);
	line = g_strdup_printf(agent ? "assigned to %s" : "unassigned", agent);
	if (code == EX_OK)
		staff_report(ctx, &change, ticket.code, ticket.status, "assign", line, notices);
	store_ticket_clear(&ticket);
	return code;
}

/* A person's close or reopen: the status the ticket now has, NULL when refused or failed. */
typedef const char *(*staff_move_func)(const ticket_change *change, const store_ticket *ticket, GError **error);

/* staff_move - close and reopen, which the ticket part refuses when they make no sense. */
static int
staff_move(ctl_context *ctx, int argc, char **argv, staff_move_func move, const char *what, const char *summary)
{
	g_autofree char *actor = NULL, *line = NULL;
	GOptionEntry options[] = {
		{ "actor", 0, 0, G_OPTION_ARG_STRING, &actor, "who acts (default: login name)", "WHO" },
		{ NULL }
	};
	store_ticket ticket = { 0 };
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) notices = NULL;
	int64_t mark;
	ticket_change change;
	const char *to;
	int code;

	if (!ctl_parse(ctx, "CODE", summary, options, &argc, &argv))
		return EX_USAGE;
	if (argc != 2) {
		fprintf(stderr, "usage: ticketctl %s CODE [--actor WHO]\n", argv[0]);
		return EX_USAGE;
	}
	if ((code = staff_open_ticket(ctx, argv[0], argv[1], &ticket)) != EX_OK)
		return code;
	change = staff_change(ctx, actor);
	mark = staff_mark(ctx);
	to = move(&change, &ticket, &error);
	notices = to != NULL ? staff_notices(ctx, &ticket, mark) : NULL;
	code = staff_finish(ctx, argv[0], what, to != NULL, error);
	if (code == EX_OK) {
		line = g_strdup_printf("%s → %s", ticket.status, to);
		staff_report(ctx, &change, ticket.code, to, argv[0], line, notices);
	}
	store_ticket_clear(&ticket);
	return code;
}

int
ctl_close_ticket(ctl_context *ctx, int argc, char **argv)
{
	return staff_move(ctx, argc, argv, ticket_close, "closing the ticket",
	                  "Close a ticket; the customer is told by mail.");
}

int
ctl_reopen(ctl_context *ctx, int argc, char **argv)
{
	return staff_move(ctx, argc, argv, ticket_reopen, "reopening the ticket",
	                  "Reopen a resolved or closed ticket; the customer is told by mail.");
}

int
ctl_merge(ctl_context *ctx, int argc, char **argv)
{
	g_autofree char *actor = NULL, *line = NULL;
	GOptionEntry options[] = {
		{ "actor", 0, 0, G_OPTION_ARG_STRING, &actor, "who merges (default: login name)", "WHO" },
		{ NULL }
	};
	store_ticket from = { 0 }, into = { 0 };
	g_autoptr(GError) error = NULL;
	ticket_change change;
	gboolean done;
	int code;

	if (!ctl_parse(ctx, "CODE INTO-CODE", "Merge CODE into INTO-CODE: later replies to either land in INTO-CODE.",
	               options, &argc, &argv))
		return EX_USAGE;
	if (argc != 3 || g_ascii_strcasecmp(argv[1], argv[2]) == 0) {
		fprintf(stderr, "usage: ticketctl merge CODE INTO-CODE (two different tickets)\n");
		return EX_USAGE;
	}
	if ((code = staff_open_ticket(ctx, "merge", argv[1], &from)) != EX_OK)
		return code;
	if ((code = ctl_ticket(ctx, "merge", argv[2], &into)) == EX_OK) {
		change = staff_change(ctx, actor);
		done = ticket_merge(&change, &from, &into, &error);
		code = staff_finish(ctx, "merge", "merging", done, error);
	} else {
		store_rollback(ctx->db);
	}
	line = g_strdup_printf("merged into %s; replies to either land there", into.code);
	if (code == EX_OK)
		staff_report(ctx, &change, from.code, from.status, "merge", line, NULL);
	store_ticket_clear(&from);
	store_ticket_clear(&into);
	return code;
}

int
ctl_sweep(ctl_context *ctx, int argc, char **argv)
{
	g_autofree char *when = NULL;
	GOptionEntry options[] = {
		{ "now", 0, 0, G_OPTION_ARG_STRING, &when, "act as if it were this time (2025-02-03 10:15, ISO 8601, @unix)", "TIME" },
		{ NULL }
	};
	g_autoptr(GError) error = NULL;
	int64_t now;
	int changed, code;

	if (!ctl_parse(ctx, "", "Apply the [sweep] rules once, as the daemon does every minute.", options, &argc, &argv))
		return EX_USAGE;
	now = when != NULL ? ctl_parse_time(when) : store_now();
	if (argc != 1 || now < 0) {
		fprintf(stderr, "usage: ticketctl sweep [--now TIME], TIME as 2025-02-03 10:15, ISO 8601 or @unix\n");
		return EX_USAGE;
	}
	if ((code = ctl_open(ctx)) != EX_OK)
		return code;
	if ((changed = sweep_run(ctx->config, ctx->db, now, &error)) < 0)
		return ctl_store_error("sweeping", error);
	if (ctx->json) {
		g_autoptr(JsonBuilder) json = json_builder_new();

		json_builder_begin_object(json);
		ctl_json_int(json, "changed", changed);
		json_builder_end_object(json);
		ctl_print_json(json);
	} else {
		printf("%d ticket%s changed\n", changed, changed == 1 ? "" : "s");
	}
	return EX_OK;
}
