/*
 * ingest_dedup - the same mail is never taken twice, and a different one is never taken
 * for it: a delivery is known by its content (trace headers aside), a Message-ID seen
 * with other content is kept and flagged, and one mail to two addresses of one ticket
 * is stored on it once.
 */
#include <string.h>

#include "event.h"
#include "ingest-private.h"
#include "log.h"

/* ingest_skip_trace_headers - past the leading trace lines a redelivery adds anew. */
static gsize
ingest_skip_trace_headers(const char *raw, gsize length)
{
	static const char *const trace[] = { "Return-Path:", "Received:", "Delivered-To:", "X-Original-To:", NULL };
	gsize at = 0;

	for (;;) {
		gboolean is_trace = FALSE;

		for (int i = 0; trace[i] != NULL; i++)
			if (length - at >= strlen(trace[i]) &&
			    g_ascii_strncasecmp(raw + at, trace[i], strlen(trace[i])) == 0)
				is_trace = TRUE;
		if (!is_trace)
			return at;
		/* Skip the line and its continuation lines. */
		do {
			const char *nl = memchr(raw + at, '\n', length - at);

			if (nl == NULL)
				return length;
			at = (gsize)(nl - raw) + 1;
		} while (at < length && (raw[at] == ' ' || raw[at] == '\t'));
	}
}

/*
 * ingest_dedup_key - the same mail is the same Message-ID with the same content, and the
 * content holds the Message-ID: a client that reuses ids, or a stranger who copies one,
 * sends a mail of its own that must be kept, never taken for the earlier one.
 */
char *
ingest_dedup_key(const parsed_message *message, const char *raw, gsize length)
{
	(void)message;
	return ingest_content_key(raw, length);
}

char *
ingest_content_key(const char *raw, gsize length)
{
	gsize start = ingest_skip_trace_headers(raw, length);
	gsize run = start;
	g_autoptr(GChecksum) checksum = g_checksum_new(G_CHECKSUM_SHA256);

	/* Line ends count as LF: LMTP carries CRLF where a Maildir file has LF. */
	for (gsize i = start; i < length; i++) {
		if (raw[i] == '\r' && i + 1 < length && raw[i + 1] == '\n') {
			g_checksum_update(checksum, (const guchar *)raw + run, i - run);
			run = i + 1;
		}
	}
	g_checksum_update(checksum, (const guchar *)raw + run, length - run);
	return g_strconcat("sha256:", g_checksum_get_string(checksum), NULL);
}

/* ingest_stored_as - a message of the ticket has this Message-ID and this content. */
static gboolean
ingest_stored_as(ingest_context *ctx, const char *code)
{
	store_ticket ticket = { 0 };
	g_autoptr(GPtrArray) messages = NULL;
	gboolean same = FALSE;

	if (!store_ticket_by_code(ctx->store, code, &ticket, &ctx->error))
		return FALSE;
	messages = store_message_list(ctx->store, ticket.id, &ctx->error);
	store_ticket_clear(&ticket);
	for (guint i = 0; messages != NULL && !same && ctx->error == NULL && i < messages->len; i++) {
		const store_message_row *row = g_ptr_array_index(messages, i);
		g_autoptr(GBytes) raw = NULL;
		g_autofree char *key = NULL;
		gsize length = 0;
		const char *bytes;

		if (g_strcmp0(row->message_id, ctx->message->message_id) != 0 ||
		    (raw = store_raw_message(ctx->store, row->id, &ctx->error)) == NULL)
			continue;
		bytes = g_bytes_get_data(raw, &length);
		key = ingest_content_key(bytes, length);
		same = strcmp(key, ctx->dedup_key) == 0;
	}
	return same;
}

/*
 * ingest_delivered_before - a delivery row for this mail and department. Rows written
 * before schema 6 are keyed by the bare Message-ID: such a row is this mail only when
 * its ticket holds a message with the Message-ID and this content; one without a ticket
 * (held) cannot be compared, and is taken for this mail as it was when it was written.
 */
static gboolean
ingest_delivered_before(ingest_context *ctx, char **action, char **code)
{
	const char *id = ctx->message->message_id;

	if (store_delivery_find(ctx->store, ctx->dedup_key, ctx->department->slug, action, code, &ctx->error))
		return TRUE;
	if (ctx->error != NULL || id == NULL || *id == '\0' ||
	    !store_delivery_find(ctx->store, id, ctx->department->slug, action, code, &ctx->error))
		return FALSE;
	return *code == NULL || ingest_stored_as(ctx, *code);
}

/* ingest_duplicate - this very mail delivered before: report what was done then, change nothing. */
gboolean
ingest_duplicate(ingest_context *ctx)
{
	g_autofree char *action = NULL;
	g_autofree char *code = NULL;
	store_ticket earlier = { 0 };
	const char *id = ctx->message->message_id;

	if (ingest_delivered_before(ctx, &action, &code)) {
		ingest_decided(ctx, ACTION_DUPLICATE, code, "delivered before (action=%s)", action);
		return TRUE;
	}
	/* A Message-ID we know on a mail never delivered: someone else's id, or a reused one. */
	if (ctx->error == NULL && id != NULL && *id != '\0' &&
	    !store_delivery_known(ctx->store, ctx->dedup_key, &ctx->error) && ctx->error == NULL &&
	    store_ticket_by_message_id(ctx->store, id, &earlier, &ctx->error)) {
		ctx->reused_from = g_strdup(earlier.code);
		store_ticket_clear(&earlier);
	}
	return FALSE;
}

/* ingest_on_ticket_already - one mail sent to two addresses that reach the same ticket. */
gboolean
ingest_on_ticket_already(ingest_context *ctx, const store_ticket *ticket)
{
	if (!store_message_has_key(ctx->store, ticket->id, ctx->dedup_key, &ctx->error))
		return FALSE;
	ingest_decided(ctx, ACTION_DUPLICATE, ticket->code, "the same mail is on ticket %s already, "
	               "sent to another of its addresses", ticket->code);
	return TRUE;
}

/*
 * ingest_flag_reused - a mail of its own that carries a Message-ID another mail had: the
 * decision's reason says so in the log line, and the ticket that keeps it records it
 * for `ticketctl show`.
 */
void
ingest_flag_reused(ingest_context *ctx)
{
	ingest_decision *decision = &ctx->result->decision;
	g_autofree char *id = log_printable(ctx->message->message_id, 256);
	g_autofree char *detail = g_strdup_printf("Message-ID <%s> was already used by another mail (ticket %s): "
	                                          "kept as a mail of its own", id, ctx->reused_from);
	char *reason = g_strdup_printf("%s; its Message-ID was already used by another mail", decision->reason);
	store_ticket ticket = { 0 };

	g_free(decision->reason);
	decision->reason = reason;
	if (decision->ticket == NULL || decision->action == ACTION_DUPLICATE ||
	    !store_ticket_by_code(ctx->store, decision->ticket, &ticket, &ctx->error))
		return;
	store_event_add(ctx->store, ticket.id, EVENT_MESSAGE_ID_REUSED, "ticketd", NULL, NULL, detail, ctx->now,
	                &ctx->error);
	store_ticket_clear(&ticket);
}

/* ingest_remember_delivery - what this delivery did, so a second one changes nothing. */
void
ingest_remember_delivery(ingest_context *ctx)
{
	store_ticket ticket = { 0 };
	int64_t ticket_id = 0;

	if (ctx->result->decision.ticket != NULL &&
	    store_ticket_by_code(ctx->store, ctx->result->decision.ticket, &ticket, &ctx->error)) {
		ticket_id = ticket.id;
		store_ticket_clear(&ticket);
	}
	if (ctx->error == NULL)
		store_delivery_add(ctx->store, ctx->dedup_key, ctx->department->slug,
		                   ingest_action_name(ctx->result->decision.action), ticket_id, &ctx->error);
}
