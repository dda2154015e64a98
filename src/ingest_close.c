/*
 * ingest_close - closing a ticket by mail: the code a plus-address names (soporte+CODE@,
 * the close address soporte+CODE-cerrar@, an agent's signed soporte+CODE.token@), whether
 * a mail asks to close its ticket, and the decision: the account or one of its
 * sub-accounts closes it; anyone else's request is held with the reason, nothing changed.
 */
#include <string.h>

#include "address.h"
#include "code.h"
#include "ingest-private.h"

char *
ingest_plus_code(const ingest_context *ctx)
{
	g_autofree char *close_code = address_close_code(ctx->plus_detail);
	const char *detail = close_code != NULL ? close_code : ctx->plus_detail;

	if (detail != NULL && code_matches_mask(ctx->config->code_mask, detail))
		return g_ascii_strup(detail, -1);
	return ingest_signed_code(ctx);
}

/* ingest_close_command - the first line with words on it is #cerrar or #close alone. */
static gboolean
ingest_close_command(const char *text)
{
	const char *start = text != NULL ? text : "";
	const char *end;
	g_autofree char *line = NULL;

	while (*start != '\0' && g_ascii_isspace(*start))
		start++;
	end = start + strcspn(start, "\r\n");
	line = g_strstrip(g_strndup(start, (gsize)(end - start)));
	return g_ascii_strcasecmp(line, "#cerrar") == 0 || g_ascii_strcasecmp(line, "#close") == 0;
}

gboolean
ingest_close_asked(const ingest_context *ctx)
{
	g_autofree char *close_code = address_close_code(ctx->plus_detail);
	const parsed_message *message = ctx->message;

	return close_code != NULL || ingest_close_command(message->new_text ? message->new_text : message->text);
}

/*
 * ingest_may_close - the account or one of its sub-accounts: the people whose request
 * the ticket is. A watcher may add to the thread but not end it for them; staff close
 * with #cerrar at their signed address or with ticketctl close.
 */
static gboolean
ingest_may_close(sender_identity identity, const store_ticket *ticket)
{
	return (identity.role == SENDER_ACCOUNT || identity.role == SENDER_SUBACCOUNT) &&
	       identity.account_id == ticket->account_id;
}

void
ingest_close(ingest_context *ctx, sender_identity identity, const store_ticket *ticket)
{
	g_auto(ingest_transition) transition = { 0 };
	g_autofree char *reason = NULL;
	gboolean closed = FALSE;

	if (ticket == NULL) {
		ingest_hold(ctx, "a request to close names no ticket: nothing closed");
		return;
	}
	if (!ingest_may_close(identity, ticket)) {
		reason = g_strdup_printf("a request to close %s from someone who is neither its account nor one of "
		                         "its sub-accounts: nothing changed", ticket->code);
		ingest_hold_for(ctx, reason, ticket, NULL);
		return;
	}
	ingest_transition_init(ctx, &transition, MAIL_NORMAL);
	if (!ticket_customer_close(&transition.change, ticket, &transition.message, &closed, &ctx->error))
		return;
	ingest_decided(ctx, ACTION_REPLY, ticket->code, "%s", closed ? "the customer closed the ticket by mail"
	               : "a request to close a ticket closed already: the mail is kept");
}
