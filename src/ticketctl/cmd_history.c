/*
 * ctl_history - reading what a ticket holds: search across all tickets, one attachment's
 * bytes, and export of a whole thread (mbox or JSON) with the raw messages as received,
 * so that nothing a customer sent is ever out of reach.
 */
#include <stdio.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "ctl.h"
#include "log.h"

/* history_ticket - open the store and read the ticket named on the command line. */
static int
history_ticket(ctl_context *ctx, const char *command, const char *code, store_ticket *ticket)
{
	int status = ctl_open(ctx);

	return status != EX_OK ? status : ctl_ticket(ctx, command, code, ticket);
}

static void
history_member(JsonBuilder *json, const char *name, const char *value)
{
	json_builder_set_member_name(json, name);
	if (value != NULL)
		json_builder_add_string_value(json, value);
	else
		json_builder_add_null_value(json);
}

static void
search_print(ctl_context *ctx, GPtrArray *hits)
{
	g_autoptr(JsonBuilder) json = json_builder_new();

	json_builder_begin_array(json);
	for (guint i = 0; i < hits->len; i++) {
		const store_search_hit *hit = g_ptr_array_index(hits, i);
		g_autofree char *subject = log_printable(hit->subject, 80);
		g_autofree char *snippet = log_printable(hit->snippet, 200);

		if (!ctx->json) {
			printf("%s  %s\n    %s\n", hit->code, subject, snippet);
			continue;
		}
		json_builder_begin_object(json);
		history_member(json, "code", hit->code);
		history_member(json, "subject", hit->subject);
		history_member(json, "snippet", hit->snippet);
		json_builder_set_member_name(json, "rank");
		json_builder_add_double_value(json, hit->rank);
		json_builder_end_object(json);
	}
	json_builder_end_array(json);
	if (ctx->json)
		ctl_print_json(json);
}

int
ctl_search(ctl_context *ctx, int argc, char **argv)
{
	int limit = 20;
	GOptionEntry options[] = {
		{ "limit", 0, 0, G_OPTION_ARG_INT, &limit, "at most this many tickets (default 20)", "N" },
		{ NULL }
	};
	g_autoptr(GPtrArray) hits = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree char *query = NULL;
	int code;

	if (!ctl_parse(ctx, "QUERY...", "Search subjects and messages; accents and case are ignored, best first.",
	               options, &argc, &argv))
		return EX_USAGE;
	if (argc < 2 || limit < 1) {
		fprintf(stderr, "usage: ticketctl search [--limit N] QUERY...\n");
		return EX_USAGE;
	}
	query = g_strjoinv(" ", argv + 1);
	if ((code = ctl_open(ctx)) != EX_OK)
		return code;
	if ((hits = store_search(ctx->db, query, limit, &error)) == NULL)
		return ctl_store_error("searching", error);
	search_print(ctx, hits);
	if (hits->len == 0 && !ctx->json)
		fprintf(stderr, "ticketctl search: nothing matches \"%s\"\n", query);
	return EX_OK;
}

/* history_attachment_write - attachment number n of the ticket, to stdout. */
static int
history_attachment_write(ctl_context *ctx, const store_ticket *ticket, int n)
{
	g_autoptr(GPtrArray) list = store_attachment_list(ctx->db, ticket->id, NULL);
	g_autoptr(GBytes) data = NULL;
	g_autoptr(GError) error = NULL;
	const store_attachment_info *info;
	gsize length;
	const char *bytes;

	if (list == NULL || n < 1 || (guint)n > list->len) {
		fprintf(stderr, "ticketctl attachment: %s has %u attachment(s); ticketctl show %s lists them\n",
		        ticket->code, list ? list->len : 0, ticket->code);
		return EX_NOINPUT;
	}
	info = g_ptr_array_index(list, (guint)n - 1);
	if ((data = store_attachment_data(ctx->db, info->sha256, &error)) == NULL)
		return ctl_store_error("reading the attachment", error);
	bytes = g_bytes_get_data(data, &length);
	if (fwrite(bytes, 1, length, stdout) != length || fflush(stdout) != 0) {
		perror("ticketctl attachment: writing stdout");
		return EX_IOERR;
	}
	return EX_OK;
}

int
ctl_attachment(ctl_context *ctx, int argc, char **argv)
{
	store_ticket ticket = { 0 };
	char *end;
	long n;
	int code;

	if (!ctl_parse(ctx, "CODE N", "Write attachment N of a ticket (numbered as ticketctl show lists them) to stdout.",
	               NULL, &argc, &argv))
		return EX_USAGE;
	n = argc == 3 ? strtol(argv[2], &end, 10) : 0;
	if (argc != 3 || *end != '\0' || n < 1 || n > 100000) {
		fprintf(stderr, "usage: ticketctl attachment CODE N > FILE (N from ticketctl show CODE)\n");
		return EX_USAGE;
	}
	if (isatty(STDOUT_FILENO)) {
		fprintf(stderr, "ticketctl attachment: redirect the output to a file: ticketctl attachment %s %ld > FILE\n",
		        argv[1], n);
		return EX_USAGE;
	}
	if ((code = history_ticket(ctx, "attachment", argv[1], &ticket)) == EX_OK)
		code = history_attachment_write(ctx, &ticket, (int)n);
	store_ticket_clear(&ticket);
	return code;
}

/* export_synthesize - a message kept without raw bytes (a staff reply or note) as mail. */
static GString *
export_synthesize(const store_ticket *ticket, const store_message_row *row)
{
	g_autoptr(GDateTime) when = g_date_time_new_from_unix_utc(row->created);
	g_autofree char *date = g_date_time_format(when, "%a, %d %b %Y %H:%M:%S +0000");
	GString *mail = g_string_new(NULL);

	g_string_append_printf(mail, "From: %s\nDate: %s\nSubject: [%s] %s\nX-Ticketd-Direction: %s\n"
	                       "MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n"
	                       "Content-Transfer-Encoding: 8bit\n\n%s\n",
	                       *row->author ? row->author : "ticketd", date, ticket->code,
	                       row->subject ? row->subject : "", row->direction, row->text ? row->text : "");
	return mail;
}

/* export_mbox_message - a From_ line, then the bytes with ^>*From_ lines quoted (mboxrd). */
static void
export_mbox_message(FILE *out, const char *author, int64_t created, const char *bytes, gsize length)
{
	g_autoptr(GDateTime) when = g_date_time_new_from_unix_utc(created);
	g_autofree char *date = g_date_time_format(when, "%a %b %e %H:%M:%S %Y");
	gboolean line_start = TRUE;

	fprintf(out, "From %s %s\n", *author && !strpbrk(author, " \t\r\n") ? author : "MAILER-DAEMON", date);
	for (gsize i = 0; i < length; i++) {
		if (line_start) {
			gsize j = i;

			while (j < length && bytes[j] == '>')
				j++;
			if (length - j >= 5 && memcmp(bytes + j, "From ", 5) == 0)
				fputc('>', out);
		}
		fputc(bytes[i], out);
		line_start = bytes[i] == '\n';
	}
	fputs(line_start ? "\n" : "\n\n", out);
}

/* export_raw - the message as received, or as a mail made from its row; owned bytes. */
static GBytes *
export_raw(ctl_context *ctx, const store_ticket *ticket, const store_message_row *row, gboolean *received)
{
	GBytes *raw = store_raw_message(ctx->db, row->id, NULL);
	GString *made;

	*received = raw != NULL;
	if (raw != NULL)
		return raw;
	made = export_synthesize(ticket, row);
	return g_string_free_to_bytes(made);
}

static int
export_mbox(ctl_context *ctx, const store_ticket *ticket, GPtrArray *messages)
{
	for (guint i = 0; i < messages->len; i++) {
		const store_message_row *row = g_ptr_array_index(messages, i);
		gboolean received;
		g_autoptr(GBytes) raw = export_raw(ctx, ticket, row, &received);
		gsize length;
		const char *bytes = g_bytes_get_data(raw, &length);

		export_mbox_message(stdout, row->author, row->created, bytes, length);
	}
	return fflush(stdout) == 0 && !ferror(stdout) ? EX_OK : EX_IOERR;
}

/* export_json_message - one message; raw_base64 holds the exact bytes received. */
static void
export_json_message(ctl_context *ctx, JsonBuilder *json, const store_ticket *ticket, const store_message_row *row)
{
	gboolean received;
	g_autoptr(GBytes) raw = export_raw(ctx, ticket, row, &received);
	gsize length;
	const guchar *bytes = g_bytes_get_data(raw, &length);
	g_autofree char *encoded = received ? g_base64_encode(bytes, length) : NULL;

	json_builder_begin_object(json);
	ctl_json_int(json, "id", row->id);
	history_member(json, "direction", row->direction);
	history_member(json, "author", row->author);
	history_member(json, "message_id", row->message_id);
	history_member(json, "subject", row->subject);
	history_member(json, "text", row->text);
	history_member(json, "class", row->mail_class);
	ctl_json_int(json, "created", row->created);
	history_member(json, "raw_base64", encoded);
	json_builder_end_object(json);
}

static void
export_json_events(JsonBuilder *json, GPtrArray *events)
{
	json_builder_set_member_name(json, "events");
	json_builder_begin_array(json);
	for (guint i = 0; events != NULL && i < events->len; i++) {
		const store_event *event = g_ptr_array_index(events, i);

		json_builder_begin_object(json);
		history_member(json, "kind", event->kind);
		history_member(json, "actor", event->actor);
		history_member(json, "old_status", event->old_status);
		history_member(json, "new_status", event->new_status);
		history_member(json, "detail", event->detail);
		ctl_json_int(json, "created", event->created);
		json_builder_end_object(json);
	}
	json_builder_end_array(json);
}

static int
export_json(ctl_context *ctx, const store_ticket *ticket, GPtrArray *messages)
{
	g_autoptr(JsonBuilder) json = json_builder_new();
	g_autoptr(GPtrArray) events = store_event_list(ctx->db, ticket->id, NULL);

	json_builder_begin_object(json);
	history_member(json, "code", ticket->code);
	history_member(json, "subject", ticket->subject);
	history_member(json, "status", ticket->status);
	history_member(json, "department", ticket->department);
	history_member(json, "account", ticket->account_email);
	history_member(json, "assignee", ticket->assignee);
	json_builder_set_member_name(json, "messages");
	json_builder_begin_array(json);
	for (guint i = 0; i < messages->len; i++)
		export_json_message(ctx, json, ticket, g_ptr_array_index(messages, i));
	json_builder_end_array(json);
	export_json_events(json, events);
	json_builder_end_object(json);
	ctl_print_json(json);
	return fflush(stdout) == 0 && !ferror(stdout) ? EX_OK : EX_IOERR;
}

int
ctl_export(ctl_context *ctx, int argc, char **argv)
{
	g_autofree char *format = NULL;
	GOptionEntry options[] = {
		{ "format", 0, 0, G_OPTION_ARG_STRING, &format, "mbox (default) or json", "mbox|json" },
		{ NULL }
	};
	store_ticket ticket = { 0 };
	g_autoptr(GPtrArray) messages = NULL;
	g_autoptr(GError) error = NULL;
	int code;

	if (!ctl_parse(ctx, "CODE", "Write a ticket's whole thread, raw messages byte for byte, to stdout.",
	               options, &argc, &argv))
		return EX_USAGE;
	if (format == NULL)
		format = g_strdup(ctx->json ? "json" : "mbox");
	if (argc != 2 || (strcmp(format, "mbox") != 0 && strcmp(format, "json") != 0)) {
		fprintf(stderr, "usage: ticketctl export CODE --format mbox|json > FILE\n");
		return EX_USAGE;
	}
	if ((code = history_ticket(ctx, "export", argv[1], &ticket)) != EX_OK)
		return code;
	if ((messages = store_message_list(ctx->db, ticket.id, &error)) == NULL)
		code = ctl_store_error("reading the thread", error);
	else
		code = strcmp(format, "json") == 0 ? export_json(ctx, &ticket, messages)
		                                   : export_mbox(ctx, &ticket, messages);
	store_ticket_clear(&ticket);
	return code;
}
