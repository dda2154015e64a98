/*
 * ctl_staff - what staff do to a ticket from the command line: status, reply, note,
 * assign, close, reopen, merge, sweep. Every change is an event with its actor, and
 * queues the customer's notification in the same transaction.
 */
#include <stdio.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "ctl.h"
#include "notify.h"
#include "status.h"
#include "sweep.h"

#define STAFF_TEXT_MAX (1024 * 1024)        /* a reply or note, bytes */
#define STAFF_ATTACH_MAX (25 * 1024 * 1024) /* one attachment, bytes */

static void staff_report(ctl_context *ctx, const char *code, const char *status, const char *action,
                         const char *line);

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
	if (code == EX_OK) {
		g_autofree char *line = strcmp(ticket.status, argv[2]) == 0
		    ? g_strdup_printf("already %s; nothing changed", argv[2])
		    : g_strdup_printf("%s → %s; the customer is told by mail", ticket.status, argv[2]);

		staff_report(ctx, ticket.code, argv[2], "status", line);
	}
	store_ticket_clear(&ticket);
	return code;
}

/* staff_open_ticket - open the store, begin, and read the ticket; refuses a merged-away
 * one naming the survivor. An exit code; on success the transaction is open. */
static int
staff_open_ticket(ctl_context *ctx, const char *command, const char *code, store_ticket *ticket)
{
	g_autoptr(GError) error = NULL;
	store_ticket survivor = { 0 };
	int status;

	if ((status = ctl_open(ctx)) != EX_OK)
		return status;
	if (!store_begin(ctx->db, &error))
		return ctl_store_error(command, error);
	if ((status = staff_ticket(ctx, command, code, ticket)) != EX_OK) {
		store_rollback(ctx->db);
		return status;
	}
	if (ticket->merged_into == 0)
		return EX_OK;
	store_ticket_by_id(ctx->db, ticket->merged_into, &survivor, NULL);
	fprintf(stderr, "ticketctl %s: %s was merged into %s; use %s instead\n", command, ticket->code,
	        survivor.code ? survivor.code : "another ticket", survivor.code ? survivor.code : "that one");
	store_ticket_clear(&survivor);
	store_ticket_clear(ticket);
	store_rollback(ctx->db);
	return EX_DATAERR;
}

/* staff_finish - commit, or roll back and report; the exit code. */
static int
staff_finish(ctl_context *ctx, const char *what, gboolean done, GError *error)
{
	g_autoptr(GError) commit_error = NULL;

	if (done && store_commit(ctx->db, &commit_error))
		return EX_OK;
	store_rollback(ctx->db);
	return ctl_store_error(what, error != NULL ? error : commit_error);
}

/* staff_read_text - the text of a reply or note: --file, else stdin; NULL after a message. */
static char *
staff_read_text(const char *command, const char *file)
{
	g_autoptr(GString) text = g_string_new(NULL);
	g_autoptr(GError) error = NULL;
	char buffer[8192];
	size_t got;
	char *contents = NULL;
	gsize length = 0;

	if (file != NULL && !g_file_get_contents(file, &contents, &length, &error)) {
		fprintf(stderr, "ticketctl %s: %s\n", command, error->message);
		return NULL;
	}
	if (file != NULL)
		g_string_append_len(text, contents, (gssize)length);
	while (file == NULL && text->len <= STAFF_TEXT_MAX && (got = fread(buffer, 1, sizeof buffer, stdin)) > 0)
		g_string_append_len(text, buffer, (gssize)got);
	g_free(contents);
	if (text->len > STAFF_TEXT_MAX || !g_utf8_validate(text->str, (gssize)text->len, NULL)) {
		fprintf(stderr, "ticketctl %s: the text must be UTF-8 and at most %d bytes\n", command, STAFF_TEXT_MAX);
		return NULL;
	}
	g_strstrip(text->str);
	if (*text->str == '\0') {
		fprintf(stderr, "ticketctl %s: the text is empty; give it with --file FILE or on stdin\n", command);
		return NULL;
	}
	return g_strdup(text->str);
}

/* staff_content_type - a type from the file name, for the common attachments. */
static const char *
staff_content_type(const char *name)
{
	static const char *const types[][2] = {
		{ ".pdf", "application/pdf" }, { ".txt", "text/plain" }, { ".png", "image/png" },
		{ ".jpg", "image/jpeg" }, { ".jpeg", "image/jpeg" }, { ".zip", "application/zip" },
		{ ".csv", "text/csv" }, { ".log", "text/plain" },
	};
	g_autofree char *lower = g_ascii_strdown(name, -1);

	for (gsize i = 0; i < G_N_ELEMENTS(types); i++)
		if (g_str_has_suffix(lower, types[i][0]))
			return types[i][1];
	return "application/octet-stream";
}

/* staff_attachment_name - the file's name, without controls that could break a header. */
static char *
staff_attachment_name(const char *path)
{
	char *name = g_path_get_basename(path);

	for (char *p = name; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '_';
	return name;
}

/* staff_attach - store the --attach files on the message; *mailed gets them for the mail. */
static gboolean
staff_attach(ctl_context *ctx, int64_t message_id, char **files, GPtrArray *mailed, GError **error)
{
	for (int i = 0; files != NULL && files[i] != NULL; i++) {
		g_autofree char *data = NULL;
		g_autofree char *name = staff_attachment_name(files[i]);
		g_autofree char *sha256 = NULL;
		g_autoptr(GBytes) bytes = NULL;
		gsize length;

		if (!g_file_get_contents(files[i], &data, &length, error))
			return FALSE;
		if (length > STAFF_ATTACH_MAX) {
			g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_NOSPC, "%s is larger than %d bytes",
			            files[i], STAFF_ATTACH_MAX);
			return FALSE;
		}
		sha256 = g_compute_checksum_for_data(G_CHECKSUM_SHA256, (const guchar *)data, length);
		bytes = g_bytes_new(data, length);
		mail_attachment *attachment;

		if (!store_attachment_add(ctx->db, message_id, name, staff_content_type(name), length, sha256,
		                          bytes, error))
			return FALSE;
		attachment = g_new0(mail_attachment, 1);
		attachment->filename = g_strdup(name);
		attachment->content_type = g_strdup(staff_content_type(name));
		attachment->size = length;
		g_strlcpy(attachment->sha256, sha256, sizeof attachment->sha256);
		attachment->data = g_bytes_ref(bytes);
		g_ptr_array_add(mailed, attachment);
	}
	return TRUE;
}

/* staff_last_customer_id - the Message-ID of the customer's latest mail, for threading. */
static char *
staff_last_customer_id(ctl_context *ctx, int64_t ticket_id)
{
	g_autoptr(GPtrArray) thread = store_message_list(ctx->db, ticket_id, NULL);
	char *found = NULL;

	for (guint i = 0; thread != NULL && i < thread->len; i++) {
		const store_message_row *row = g_ptr_array_index(thread, i);

		if (strcmp(row->direction, "in") == 0 && row->message_id != NULL) {
			g_free(found);
			found = g_strdup(row->message_id);
		}
	}
	return found;
}

/* staff_add_text - a reply ("out") or note row by actor; its id, 0 on error. */
static int64_t
staff_add_text(ctl_context *ctx, const store_ticket *ticket, const char *direction, const char *actor,
               const char *text, int64_t now, GError **error)
{
	store_message_row row = {
		.ticket_id = ticket->id, .direction = direction, .author = actor,
		.subject = ticket->subject, .text = text, .new_text = text, .created = now,
	};

	return store_message_add(ctx->db, &row, error);
}

/* staff_reply_commit - the reply, its attachments, the status and the notification. */
static gboolean
staff_reply_commit(ctl_context *ctx, const store_ticket *ticket, const char *actor, const char *text,
                   const char *status, char **files, GError **error)
{
	int64_t now = store_now();
	g_autofree char *in_reply_to = staff_last_customer_id(ctx, ticket->id);
	g_autoptr(GPtrArray) attachments = g_ptr_array_new_with_free_func(mail_attachment_free);
	notify_event event = {
		.kind = NOTIFY_STAFF_REPLY, .ticket_id = ticket->id, .actor = actor,
		.old_status = ticket->status, .new_status = status, .text = text, .in_reply_to = in_reply_to,
		.attachments = attachments,
	};
	int64_t message_id = staff_add_text(ctx, ticket, "out", actor, text, now, error);

	if (message_id == 0 || !staff_attach(ctx, message_id, files, attachments, error) ||
	    !store_event_add(ctx->db, ticket->id, "reply", actor, ticket->status, status, NULL, now, error))
		return FALSE;
	if (strcmp(ticket->status, status) != 0 &&
	    !store_ticket_set_status(ctx->db, ticket->id, status, now, error))
		return FALSE;
	return notify_queue(ctx->config, ctx->db, &event, now, error);
}

/* staff_report - one line for people, or {"code", "status", "action"} with --json. */
static void
staff_report(ctl_context *ctx, const char *code, const char *status, const char *action, const char *line)
{
	g_autoptr(JsonBuilder) json = NULL;

	if (!ctx->json) {
		printf("%s: %s\n", code, line);
		return;
	}
	json = json_builder_new();
	json_builder_begin_object(json);
	ctl_json_string(json, "code", code);
	ctl_json_string(json, "status", status);
	ctl_json_string(json, "action", action);
	json_builder_end_object(json);
	ctl_print_json(json);
}

int
ctl_reply(ctl_context *ctx, int argc, char **argv)
{
	g_autofree char *actor = NULL, *file = NULL, *status = NULL, *text = NULL, *line = NULL;
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
	int code;

	if (!ctl_parse(ctx, "CODE", "Reply to the customer; the text is mailed with the ticket's tag.",
	               options, &argc, &argv))
		return EX_USAGE;
	if (argc != 2 || (status != NULL && !status_valid(status))) {
		fprintf(stderr, "usage: ticketctl reply CODE [--file FILE] [--status STATUS] [--attach FILE]...,"
		        " STATUS one of open answered customer_reply on_hold in_progress pending resolved closed\n");
		return EX_USAGE;
	}
	if ((text = staff_read_text("reply", file)) == NULL)
		return EX_DATAERR;
	if ((code = staff_open_ticket(ctx, "reply", argv[1], &ticket)) != EX_OK)
		return code;
	if (status == NULL)
		status = g_strdup("answered");
	code = staff_finish(ctx, "storing the reply",
	                    staff_reply_commit(ctx, &ticket, staff_actor(actor), text, status, attach, &error), error);
	line = g_strdup_printf("reply queued for the customer, status %s", status);
	if (code == EX_OK)
		staff_report(ctx, ticket.code, status, "reply", line);
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
	int64_t now = store_now();
	int code;

	if (!ctl_parse(ctx, "CODE", "Add an internal note: kept on the ticket, never mailed.", options, &argc, &argv))
		return EX_USAGE;
	if (argc != 2) {
		fprintf(stderr, "usage: ticketctl note CODE [--file FILE] [--actor WHO]\n");
		return EX_USAGE;
	}
	if ((text = staff_read_text("note", file)) == NULL)
		return EX_DATAERR;
	if ((code = staff_open_ticket(ctx, "note", argv[1], &ticket)) != EX_OK)
		return code;
	code = staff_finish(ctx, "storing the note",
	                    staff_add_text(ctx, &ticket, "note", staff_actor(actor), text, now, &error) != 0 &&
	                    store_event_add(ctx->db, ticket.id, "note", staff_actor(actor), NULL, NULL, NULL, now, &error),
	                    error);
	if (code == EX_OK)
		staff_report(ctx, ticket.code, ticket.status, "note", "internal note added (not mailed)");
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
	const char *agent;
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
	code = staff_finish(ctx, "assigning the ticket",
	                    store_ticket_set_assignee(ctx->db, ticket.id, agent, &error) &&
	                    store_event_add(ctx->db, ticket.id, "assigned", staff_actor(actor), NULL, NULL,
	                                    agent ? agent : "", store_now(), &error),
	                    error);
	line = g_strdup_printf(agent ? "assigned to %s" : "unassigned", agent);
	if (code == EX_OK)
		staff_report(ctx, ticket.code, ticket.status, "assign", line);
	store_ticket_clear(&ticket);
	return code;
}

/* staff_move - close and reopen: a status change that refuses what makes no sense. */
static int
staff_move(ctl_context *ctx, int argc, char **argv, const char *to, const char *summary)
{
	g_autofree char *actor = NULL, *line = NULL;
	GOptionEntry options[] = {
		{ "actor", 0, 0, G_OPTION_ARG_STRING, &actor, "who acts (default: login name)", "WHO" },
		{ NULL }
	};
	store_ticket ticket = { 0 };
	g_autoptr(GError) error = NULL;
	gboolean reopening = strcmp(to, "open") == 0;
	int code;

	if (!ctl_parse(ctx, "CODE", summary, options, &argc, &argv))
		return EX_USAGE;
	if (argc != 2) {
		fprintf(stderr, "usage: ticketctl %s CODE [--actor WHO]\n", argv[0]);
		return EX_USAGE;
	}
	if ((code = staff_open_ticket(ctx, argv[0], argv[1], &ticket)) != EX_OK)
		return code;
	if (reopening ? strcmp(ticket.status, "closed") != 0 && strcmp(ticket.status, "resolved") != 0
	              : strcmp(ticket.status, "closed") == 0) {
		fprintf(stderr, "ticketctl %s: %s is %s; %s\n", argv[0], ticket.code, ticket.status,
		        reopening ? "only a resolved or closed ticket can be reopened (ticketctl status sets any status)"
		                  : "it is closed already");
		store_rollback(ctx->db);
		store_ticket_clear(&ticket);
		return EX_DATAERR;
	}
	code = staff_finish(ctx, reopening ? "reopening the ticket" : "closing the ticket",
	                    staff_set_status(ctx, &ticket, to, staff_actor(actor), &error), error);
	line = g_strdup_printf("%s → %s; the customer is told by mail", ticket.status, to);
	if (code == EX_OK)
		staff_report(ctx, ticket.code, to, argv[0], line);
	store_ticket_clear(&ticket);
	return code;
}

int
ctl_close_ticket(ctl_context *ctx, int argc, char **argv)
{
	return staff_move(ctx, argc, argv, "closed", "Close a ticket; the customer is told by mail.");
}

int
ctl_reopen(ctl_context *ctx, int argc, char **argv)
{
	return staff_move(ctx, argc, argv, "open", "Reopen a resolved or closed ticket; the customer is told by mail.");
}

/* staff_merge_commit - the link and an event on each ticket. */
static gboolean
staff_merge_commit(ctl_context *ctx, const store_ticket *from, const store_ticket *into, const char *actor,
                   GError **error)
{
	int64_t now = store_now();
	g_autofree char *to_detail = g_strdup_printf("into %s", into->code);
	g_autofree char *from_detail = g_strdup_printf("from %s", from->code);

	return store_ticket_set_merged(ctx->db, from->id, into->id, error) &&
	       store_event_add(ctx->db, from->id, "merged", actor, NULL, NULL, to_detail, now, error) &&
	       store_event_add(ctx->db, into->id, "merged", actor, NULL, NULL, from_detail, now, error);
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
	if ((code = staff_ticket(ctx, "merge", argv[2], &into)) == EX_OK && into.merged_into != 0) {
		fprintf(stderr, "ticketctl merge: %s was itself merged away; merge into its survivor\n", into.code);
		code = EX_DATAERR;
	}
	if (code == EX_OK)
		code = staff_finish(ctx, "merging", staff_merge_commit(ctx, &from, &into, staff_actor(actor), &error), error);
	else
		store_rollback(ctx->db);
	line = g_strdup_printf("merged into %s; replies to either land there", into.code);
	if (code == EX_OK)
		staff_report(ctx, from.code, from.status, "merge", line);
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
