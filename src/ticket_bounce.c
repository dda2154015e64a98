/*
 * ticket_bounce - a bounce of one of ticketd's notices, recorded on the address it
 * failed for. A permanent failure stops mail to the address (notify asks the store)
 * until the address writes in again or staff clears it, and tells the desk once; a
 * temporary one is only remembered, and the next notice is tried.
 */
#include <string.h>

#include "log.h"
#include "staff.h"
#include "ticket-private.h"

/* The widest RFC 3463 status: class "." subject "." detail, each of up to three digits. */
#define BOUNCE_STATUS_MAX 11

/* bounce_status - the DSN's status when it reads as RFC 3463 "c.s.d" with class 2, 4 or 5, else "". */
static const char *
bounce_status(const char *status)
{
	int dots = 0, digits = 0;

	if (status == NULL || status[0] == '\0' || strlen(status) > BOUNCE_STATUS_MAX ||
	    strchr("245", status[0]) == NULL)
		return "";
	for (const char *p = status; *p != '\0'; p++) {
		if (*p == '.' && digits > 0)
			dots++, digits = 0;
		else if (g_ascii_isdigit(*p) && digits < 3)
			digits++;
		else
			return "";
	}
	return dots == 2 && digits > 0 ? status : "";
}

/*
 * bounce_permanent - class 5 (RFC 3463 section 3.1), but X.2.2 "mailbox full" is, in
 * the RFC's own words, useful for persistent transient errors too: the customer empties
 * the mailbox, and the next notice must be tried. A bounce without a status stops nothing.
 */
static gboolean
bounce_permanent(const char *status)
{
	return status[0] == '5' && strcmp(status + 1, ".2.2") != 0;
}

/* bounce_verp_id - the outbox id a VERP plus detail ("bounce-42.k3f9q2ab") names, 0 when
 * none; *token is what follows the dot. */
static int64_t
bounce_verp_id(const char *plus_detail, const char **token)
{
	gsize length = strlen(NOTIFY_VERP_DETAIL), digits;

	if (plus_detail == NULL || g_ascii_strncasecmp(plus_detail, NOTIFY_VERP_DETAIL, length) != 0)
		return 0;
	plus_detail += length;
	digits = strspn(plus_detail, "0123456789");
	if (digits == 0 || digits > 18 || plus_detail[digits] != '.')
		return 0;
	*token = plus_detail + digits + 1;
	return (int64_t)g_ascii_strtoull(plus_detail, NULL, 10);
}

/* bounce_verp_signed - the token is the one the notice to recipient was sent with;
 * compared in constant time. */
static gboolean
bounce_verp_signed(const ticketd_config *config, int64_t id, const char *recipient, const char *token)
{
	g_autofree char *detail = g_strdup_printf(NOTIFY_VERP_DETAIL "%" G_GINT64_FORMAT, id);
	g_autofree char *want = staff_token(config, detail, recipient);
	guchar differ = 0;

	if (want == NULL || strlen(token) != strlen(want))
		return FALSE;
	for (gsize i = 0; want[i] != '\0'; i++)
		differ |= (guchar)(want[i] ^ g_ascii_tolower(token[i]));
	return differ == 0;
}

/* bounce_notice - the notice a bounce answers: its signed VERP row, else the Message-ID's. */
static gboolean
bounce_notice(const ticket_change *change, const parsed_message *message, const char *plus_detail,
              store_address_state *state, GError **error)
{
	const char *token = NULL;
	int64_t verp = bounce_verp_id(plus_detail, &token);

	if (verp != 0 && store_outbox_bounced(change->store, verp, NULL, NULL, state, error)) {
		if (bounce_verp_signed(change->config, verp, state->address, token))
			return TRUE;
		log_info("bounce: outbox=%" G_GINT64_FORMAT ": the return path's token does not verify: "
		         "matched by Message-ID instead", verp);
		store_address_state_clear(state);
	}
	if ((error != NULL && *error != NULL) || message->original_message_id == NULL)
		return FALSE;
	return store_outbox_bounced(change->store, 0, message->original_message_id, message->bounce_recipient,
	                            state, error);
}

/* bounce_tell - the desk learns that the ticket's customer no longer gets our mail. */
static gboolean
bounce_tell(const ticket_change *change, const store_address_state *state, GError **error)
{
	g_autofree char *reason = g_strdup_printf("mail to %s bounced for good (DSN %s)", state->address,
	                                          *state->status != '\0' ? state->status : "without status");
	notify_event event = { .kind = NOTIFY_STAFF_BOUNCE, .ticket_id = state->ticket_id, .reason = reason };

	return ticket_notify(change, &event, error);
}

/* bounce_log - the one line a postmaster greps for: what the bounce did to the address. */
static void
bounce_log(const store_address_state *state)
{
	g_autofree char *printable = log_printable(state->address, 254);

	log_info("bounce: to=<%s>, outbox=%" G_GINT64_FORMAT ", dsn=%s, %s", printable, state->outbox_id,
	         *state->status != '\0' ? state->status : "none",
	         state->permanent ? "mail to it stops: reason=permanent failure, until it writes in or "
	                            "ticketctl account unbounce"
	                          : "temporary: the next notice is tried");
}

gboolean
ticket_bounce_record(const ticket_change *change, const parsed_message *message, const char *plus_detail,
                     GError **error)
{
	g_auto(store_address_state) state = { 0 };
	g_autoptr(GError) lookup = NULL;
	gboolean was_permanent = FALSE;
	const char *status = bounce_status(message->bounce_status);

	if (!bounce_notice(change, message, plus_detail, &state, &lookup)) {
		if (lookup != NULL) {
			g_propagate_error(error, g_steal_pointer(&lookup));
			return FALSE;
		}
		log_info("bounce: answers no notice of ours: nothing recorded");
		return TRUE;
	}
	g_free(state.status);
	state.status = g_strdup(status);
	state.permanent = bounce_permanent(status);
	state.bounced = change->now;
	if (!store_address_bounce_set(change->store, &state, &was_permanent, error))
		return FALSE;
	bounce_log(&state);
	/* Once: a second bounce of the same dead mailbox tells the desk nothing new. */
	if (!state.permanent || was_permanent || state.ticket_id == 0)
		return TRUE;
	return bounce_tell(change, &state, error);
}

gboolean
ticket_bounce_forget(store *db, const char *address, const char *why, GError **error)
{
	g_autoptr(GError) missing = NULL;
	g_autofree char *printable = NULL;

	if (address == NULL || *address == '\0')
		return TRUE;
	if (!store_address_clear(db, address, &missing)) {
		if (g_error_matches(missing, STORE_ERROR, STORE_ERROR_NOT_FOUND))
			return TRUE;
		g_propagate_error(error, g_steal_pointer(&missing));
		return FALSE;
	}
	printable = log_printable(address, 254);
	log_info("bounce: to=<%s>, bounces forgotten: %s, it is mailed again", printable, why);
	return TRUE;
}
