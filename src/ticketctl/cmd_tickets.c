/*
 * ctl_tickets - looking at tickets and mail: `list` (queue order, filters), `show CODE`
 * (thread, events, attachments) and `inspect FILE` (the postmaster's "why did this mail
 * do that": everything parse and classify found, and the decision, nothing stored).
 */
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "ctl.h"
#include "event.h"
#include "ingest.h"
#include "log.h"
#include "status.h"

static void
json_address(JsonBuilder *json, const mail_address *address)
{
	json_builder_begin_object(json);
	ctl_json_string(json, "name", address->name);
	ctl_json_string(json, "address", address->address);
	json_builder_end_object(json);
}

static void
json_addresses(JsonBuilder *json, const char *name, GPtrArray *addresses)
{
	json_builder_set_member_name(json, name);
	json_builder_begin_array(json);
	for (guint i = 0; i < addresses->len; i++)
		json_address(json, g_ptr_array_index(addresses, i));
	json_builder_end_array(json);
}

/* inspect_json - the fields ticketctl(1) documents for inspect. */
static void
inspect_json(JsonBuilder *json, const parsed_message *message, const ingest_result *result)
{
	json_builder_begin_object(json);
	json_builder_set_member_name(json, "from");
	json_address(json, message->from);
	json_addresses(json, "to", message->to);
	json_addresses(json, "cc", message->cc);
	json_addresses(json, "reply_to", message->reply_to);
	ctl_json_string(json, "subject", message->subject);
	ctl_json_string(json, "message_id", message->message_id);
	ctl_json_string(json, "in_reply_to", message->in_reply_to);
	json_builder_set_member_name(json, "references");
	json_builder_begin_array(json);
	for (guint i = 0; i < message->references->len; i++)
		json_builder_add_string_value(json, g_ptr_array_index(message->references, i));
	json_builder_end_array(json);
	ctl_json_string(json, "date", message->date);
	ctl_json_string(json, "text", message->text);
	ctl_json_string(json, "new_text", message->new_text);
	json_builder_set_member_name(json, "attachments");
	json_builder_begin_array(json);
	for (guint i = 0; i < message->attachments->len; i++) {
		const mail_attachment *attachment = g_ptr_array_index(message->attachments, i);

		json_builder_begin_object(json);
		ctl_json_string(json, "filename", attachment->filename);
		ctl_json_string(json, "content_type", attachment->content_type);
		ctl_json_int(json, "size", (gint64)attachment->size);
		ctl_json_string(json, "sha256", attachment->sha256);
		json_builder_end_object(json);
	}
	json_builder_end_array(json);
	ctl_json_string(json, "class", mail_class_name(result->class));
	ctl_json_string(json, "signal", result->class_signal);
	ctl_json_string(json, "bounce_recipient", message->bounce_recipient);
	ctl_json_string(json, "bounce_status", message->bounce_status);
	ctl_json_string(json, "original_message_id", message->original_message_id);
	json_builder_set_member_name(json, "decision");
	json_builder_begin_object(json);
	ctl_json_string(json, "action", result->failure.class == FAILURE_TEMPORARY ? "tempfail" :
	            ingest_action_name(result->decision.action));
	ctl_json_string(json, "ticket", result->decision.ticket);
	ctl_json_string(json, "department", result->decision.department);
	ctl_json_string(json, "reason", result->error ? result->error : result->decision.reason);
	json_builder_end_object(json);
	json_builder_end_object(json);
}

int
ctl_inspect(ctl_context *ctx, int argc, char **argv)
{
	g_autofree char *sender = NULL;
	g_autofree char *recipient = NULL;
	GOptionEntry options[] = {
		{ "sender", 'f', 0, G_OPTION_ARG_STRING, &sender, "envelope sender (\"\" for <>)", "SENDER" },
		{ "recipient", 'r', 0, G_OPTION_ARG_STRING, &recipient, "envelope recipient", "RCPT" },
		{ NULL }
	};
	g_autofree char *raw = NULL;
	gsize length;
	g_autoptr(GError) error = NULL;
	g_autoptr(inbound) mail = NULL;
	g_autoptr(JsonBuilder) json = json_builder_new();
	ingest_result result = { 0 };
	int code;

	if (!ctl_parse(ctx, "FILE", "Print as JSON what ticketd would do with a mail; nothing is stored.",
	               options, &argc, &argv))
		return EX_USAGE;
	if (argc != 2) {
		fprintf(stderr, "ticketctl inspect: name one message file\n");
		return EX_USAGE;
	}
	if (!g_file_get_contents(argv[1], &raw, &length, &error)) {
		fprintf(stderr, "ticketctl inspect: %s\n", error->message);
		return EX_NOINPUT;
	}
	if ((code = ctl_open(ctx)) != EX_OK)
		return code;
	mail = inbound_new("inspect", raw, length, sender);
	ingest_decide(ctx->config, ctx->db, mail, recipient, &result);
	inspect_json(json, mail->message, &result);
	ctl_print_json(json);
	code = result.failure.class == FAILURE_TEMPORARY ? EX_TEMPFAIL : EX_OK;
	ingest_result_clear(&result);
	return code;
}

static void
list_json_ticket(JsonBuilder *json, const store_ticket *ticket)
{
	json_builder_begin_object(json);
	ctl_json_string(json, "code", ticket->code);
	ctl_json_string(json, "status", ticket->status);
	ctl_json_string(json, "department", ticket->department);
	ctl_json_string(json, "account", ticket->account_email);
	ctl_json_string(json, "subject", ticket->subject);
	ctl_json_string(json, "priority", ticket->priority);
	ctl_json_string(json, "assignee", ticket->assignee);
	ctl_json_int(json, "messages", ticket->message_count);
	ctl_json_int(json, "created", ticket->created);
	ctl_json_int(json, "updated", ticket->updated);
	ctl_json_int(json, "last_customer", ticket->last_customer);
	json_builder_end_object(json);
}

/* list_age - how long since the customer's last word (or the opening): "3d4h", "2h5m", "40m". */
static char *
list_age(const store_ticket *ticket, int64_t now)
{
	int64_t age = MAX(now - (ticket->last_customer ? ticket->last_customer : ticket->created), 0);

	if (age >= 86400)
		return g_strdup_printf("%" G_GINT64_FORMAT "d%" G_GINT64_FORMAT "h", age / 86400, age % 86400 / 3600);
	if (age >= 3600)
		return g_strdup_printf("%" G_GINT64_FORMAT "h%" G_GINT64_FORMAT "m", age / 3600, age % 3600 / 60);
	return g_strdup_printf("%" G_GINT64_FORMAT "m", age / 60);
}

/* list_print_table - the columns a person scans: code, status, department, priority, age, count, subject. */
static void
list_print_table(GPtrArray *tickets)
{
	int64_t now = store_now();

	printf("%-12s %-16s %-12s %-8s %6s %4s  %-16s  %-28s %s\n", "CODE", "STATUS", "DEPARTMENT", "PRIORITY", "AGE",
	       "MSGS", "LAST CUSTOMER", "ACCOUNT", "SUBJECT");
	for (guint i = 0; i < tickets->len; i++) {
		const store_ticket *ticket = g_ptr_array_index(tickets, i);
		g_autofree char *when = ctl_time(ticket->last_customer ? ticket->last_customer : ticket->created);
		g_autofree char *age = list_age(ticket, now);
		g_autofree char *subject = log_printable(ticket->subject, 60);
		g_autofree char *account = log_printable(ticket->account_email, 28);

		printf("%-12s %-16s %-12s %-8s %6s %4d  %-16s  %-28s %s\n", ticket->code, ticket->status, ticket->department,
		       ticket->priority, age, ticket->message_count, when, account, subject);
	}
	printf("%u tickets\n", tickets->len);
}

/*
 * list_statuses - the --status values (repeated or comma-separated, internal names or
 * labels) as "a,b"; without any, every status but closed unless --all. NULL after saying
 * which word is no status.
 */
static char *
list_statuses(const ticketd_config *config, char **words, gboolean all)
{
	static const char *const statuses[] = {
		STATUS_OPEN, STATUS_ANSWERED, STATUS_CUSTOMER_REPLY, STATUS_ON_HOLD, STATUS_IN_PROGRESS,
		STATUS_PENDING, STATUS_RESOLVED, STATUS_CLOSED,
	};
	GString *out = g_string_new(NULL);

	for (int i = 0; words != NULL && words[i] != NULL; i++) {
		g_auto(GStrv) parts = g_strsplit(words[i], ",", -1);

		for (int j = 0; parts[j] != NULL; j++) {
			const char *status = status_from_word(config, g_strstrip(parts[j]));

			if (status == NULL) {
				fprintf(stderr, "ticketctl list: unknown status \"%s\"; use a name or label of ticketctl(1) "
				        "STATUSES, e.g. open or Abierto\n", parts[j]);
				g_string_free(out, TRUE);
				return NULL;
			}
			g_string_append_printf(out, "%s%s", out->len ? "," : "", status);
		}
	}
	if (out->len > 0 || all)
		return g_string_free(out, FALSE);
	for (gsize i = 0; i < G_N_ELEMENTS(statuses) - 1; i++)     /* all but the last: closed */
		g_string_append_printf(out, "%s%s", i ? "," : "", statuses[i]);
	return g_string_free(out, FALSE);
}

int
ctl_list(ctl_context *ctx, int argc, char **argv)
{
	g_autofree char *department = NULL, *account = NULL, *assignee = NULL, *statuses = NULL;
	g_autofree char *since = NULL, *until = NULL;
	g_auto(GStrv) status = NULL;
	gboolean all = FALSE;
	GOptionEntry options[] = {
		{ "status", 0, 0, G_OPTION_ARG_STRING_ARRAY, &status, "only these statuses (repeatable, or a,b)", "STATUS" },
		{ "all", 0, 0, G_OPTION_ARG_NONE, &all, "closed tickets too", NULL },
		{ "department", 0, 0, G_OPTION_ARG_STRING, &department, "only this department", "SLUG" },
		{ "account", 0, 0, G_OPTION_ARG_STRING, &account, "only this account", "EMAIL" },
		{ "assignee", 0, 0, G_OPTION_ARG_STRING, &assignee, "only tickets assigned to (none: unassigned)", "AGENT" },
		{ "since", 0, 0, G_OPTION_ARG_STRING, &since, "created at or after", "DATE" },
		{ "until", 0, 0, G_OPTION_ARG_STRING, &until, "created before", "DATE" },
		{ NULL }
	};
	store_ticket_filter filter = { 0 };
	g_autoptr(GPtrArray) tickets = NULL;
	g_autoptr(GError) error = NULL;
	int code;

	if (!ctl_parse(ctx, "", "Open tickets in queue order: higher priority, then oldest customer word first.",
	               options, &argc, &argv))
		return EX_USAGE;
	if ((code = ctl_open(ctx)) != EX_OK)
		return code;
	if ((statuses = list_statuses(ctx->config, status, all)) == NULL)
		return EX_USAGE;
	filter = (store_ticket_filter){ *statuses ? statuses : NULL, department, account,
	                                assignee && strcmp(assignee, "none") == 0 ? "" : assignee, 0, 0 };
	if ((since && (filter.since = ctl_parse_time(since)) < 0) || (until && (filter.until = ctl_parse_time(until)) < 0)) {
		fprintf(stderr, "ticketctl list: dates look like 2025-02-03 or \"2025-02-03 10:15\"\n");
		return EX_USAGE;
	}
	if ((tickets = store_ticket_list(ctx->db, &filter, &error)) == NULL)
		return ctl_store_error("listing tickets", error);
	if (ctx->json) {
		g_autoptr(JsonBuilder) json = json_builder_new();

		json_builder_begin_array(json);
		for (guint i = 0; i < tickets->len; i++)
			list_json_ticket(json, g_ptr_array_index(tickets, i));
		json_builder_end_array(json);
		ctl_print_json(json);
	} else {
		list_print_table(tickets);
	}
	return EX_OK;
}

/* show_notice_of - whether a notice belongs to the event before next: notices are queued
 * in the transaction of their event, so at its time, before any later event. */
static gboolean
show_notice_of(const store_outbox_row *row, const store_event *next)
{
	return next == NULL || row->created < next->created;
}

/* show_json_notices - an event's notices: recipient, kind, state, and why one was not sent. */
static void
show_json_notices(JsonBuilder *json, GPtrArray *notices, guint *n, const store_event *next)
{
	json_builder_set_member_name(json, "notices");
	json_builder_begin_array(json);
	for (; *n < notices->len && show_notice_of(notices->pdata[*n], next); (*n)++) {
		const store_outbox_row *row = notices->pdata[*n];

		json_builder_begin_object(json);
		ctl_json_string(json, "recipient", row->recipient);
		ctl_json_string(json, "kind", row->kind);
		ctl_json_string(json, "state", row->state);
		ctl_json_string(json, "reason", strcmp(row->state, OUTBOX_SUPPRESSED) == 0 ? row->last_error : NULL);
		json_builder_end_object(json);
	}
	json_builder_end_array(json);
}

static void
show_json(JsonBuilder *json, const store_ticket *ticket, GPtrArray *messages, GPtrArray *events,
          GPtrArray *attachments, GPtrArray *notices, const store_address_state *bounce)
{
	guint n = 0;

	json_builder_begin_object(json);
	json_builder_set_member_name(json, "ticket");
	list_json_ticket(json, ticket);
	ctl_json_bounce(json, bounce);
	json_builder_set_member_name(json, "messages");
	json_builder_begin_array(json);
	for (guint i = 0; i < messages->len; i++) {
		const store_message_row *row = g_ptr_array_index(messages, i);

		json_builder_begin_object(json);
		ctl_json_int(json, "id", row->id);
		ctl_json_string(json, "direction", row->direction);
		ctl_json_string(json, "author", row->author);
		ctl_json_string(json, "message_id", row->message_id);
		ctl_json_string(json, "subject", row->subject);
		ctl_json_string(json, "class", row->mail_class);
		ctl_json_string(json, "text", row->text);
		ctl_json_string(json, "new_text", row->new_text);
		ctl_json_int(json, "created", row->created);
		json_builder_end_object(json);
	}
	json_builder_end_array(json);
	json_builder_set_member_name(json, "events");
	json_builder_begin_array(json);
	for (guint i = 0; i < events->len; i++) {
		const store_event *event = g_ptr_array_index(events, i);

		json_builder_begin_object(json);
		ctl_json_string(json, "kind", event->kind);
		ctl_json_string(json, "actor", event->actor);
		ctl_json_string(json, "old_status", event->old_status);
		ctl_json_string(json, "new_status", event->new_status);
		ctl_json_string(json, "detail", event->detail);
		ctl_json_int(json, "created", event->created);
		show_json_notices(json, notices, &n, i + 1 < events->len ? g_ptr_array_index(events, i + 1) : NULL);
		json_builder_end_object(json);
	}
	json_builder_end_array(json);
	json_builder_set_member_name(json, "attachments");
	json_builder_begin_array(json);
	for (guint i = 0; i < attachments->len; i++) {
		const store_attachment_info *info = g_ptr_array_index(attachments, i);

		json_builder_begin_object(json);
		ctl_json_int(json, "index", info->index);
		ctl_json_int(json, "message", info->message_id);
		ctl_json_string(json, "filename", info->filename);
		ctl_json_string(json, "content_type", info->content_type);
		ctl_json_int(json, "size", (gint64)info->size);
		ctl_json_string(json, "sha256", info->sha256);
		json_builder_end_object(json);
	}
	json_builder_end_array(json);
	json_builder_end_object(json);
}

static void
show_text(const store_ticket *ticket, GPtrArray *messages, GPtrArray *events, GPtrArray *attachments,
          GPtrArray *notices, const store_address_state *bounce)
{
	g_autofree char *subject = log_printable(ticket->subject, 200);
	g_autofree char *bounces = bounce->address != NULL ? ctl_bounce_text(bounce) : NULL;

	printf("%s  %s\nstatus: %s   priority: %s   department: %s   account: %s   assignee: %s\n", ticket->code,
	       subject, ticket->status, ticket->priority, ticket->department, ticket->account_email,
	       ticket->assignee ? ticket->assignee : "-");
	if (bounces != NULL)
		printf("%s %s\n", ticket->account_email, bounces);
	printf("\n");
	for (guint i = 0; i < messages->len; i++) {
		const store_message_row *row = g_ptr_array_index(messages, i);
		g_autofree char *when = ctl_time(row->created);
		g_autofree char *author = log_printable(row->author, 100);

		printf("--- %s  %s  %s%s%s\n", when, row->direction, author,
		       strcmp(row->mail_class, "normal") ? "  class=" : "",
		       strcmp(row->mail_class, "normal") ? row->mail_class : "");
		printf("%s\n\n", row->new_text && *row->new_text ? row->new_text : row->text ? row->text : "");
	}
	for (guint i = 0; i < attachments->len; i++) {
		const store_attachment_info *info = g_ptr_array_index(attachments, i);
		g_autofree char *name = log_printable(info->filename, 100);

		printf("attachment %d: %s (%s, %zu bytes)\n", info->index, name, info->content_type, info->size);
	}
	for (guint i = 0, n = 0; i < events->len; i++) {
		const store_event *event = g_ptr_array_index(events, i);
		const store_event *next = i + 1 < events->len ? g_ptr_array_index(events, i + 1) : NULL;
		g_autofree char *when = ctl_time(event->created);

		printf("event %s %s %s%s%s%s\n", when, event->kind, event->actor ? event->actor : "",
		       event->new_status ? " → " : "", event->new_status ? event->new_status : "",
		       event->detail ? event->detail : "");
		for (; n < notices->len && show_notice_of(notices->pdata[n], next); n++) {
			const store_outbox_row *row = notices->pdata[n];
			g_autofree char *to = log_printable(row->recipient, 254);

			if (strcmp(row->state, OUTBOX_SUPPRESSED) == 0)
				printf("  not mailed: %s (%s) %s\n", to, row->last_error ? row->last_error : "", row->kind);
			else
				printf("  mailed: %s %s (%s)\n", to, row->kind, row->state);
		}
	}
}

int
ctl_show(ctl_context *ctx, int argc, char **argv)
{
	store_ticket ticket = { 0 };
	g_auto(store_address_state) bounce = { 0 };
	g_autoptr(GPtrArray) messages = NULL, events = NULL, attachments = NULL, notices = NULL;
	g_autoptr(GError) error = NULL;
	int code;

	if (!ctl_parse(ctx, "CODE", "A ticket's thread, attachments and history.", NULL, &argc, &argv))
		return EX_USAGE;
	if (argc != 2) {
		fprintf(stderr, "ticketctl show: name one ticket code, e.g. ticketctl show KQZ-482913\n");
		return EX_USAGE;
	}
	if ((code = ctl_open(ctx)) != EX_OK)
		return code;
	if ((code = ctl_ticket(ctx, "show", argv[1], &ticket)) != EX_OK)
		return code;
	if ((messages = store_message_list(ctx->db, ticket.id, &error)) == NULL ||
	    (events = store_event_list(ctx->db, ticket.id, &error)) == NULL ||
	    (attachments = store_attachment_list(ctx->db, ticket.id, &error)) == NULL ||
	    (notices = store_outbox_since(ctx->db, ticket.id, 0, &error)) == NULL ||
	    (!store_address_get(ctx->db, ticket.account_email, &bounce, &error) && error != NULL)) {
		store_ticket_clear(&ticket);
		return ctl_store_error("reading the ticket", error);
	}
	if (ctx->json) {
		g_autoptr(JsonBuilder) json = json_builder_new();

		show_json(json, &ticket, messages, events, attachments, notices, &bounce);
		ctl_print_json(json);
	} else {
		show_text(&ticket, messages, events, attachments, notices, &bounce);
	}
	store_ticket_clear(&ticket);
	return EX_OK;
}
