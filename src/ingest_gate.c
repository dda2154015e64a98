/*
 * ingest_gate - who may come in: a From that identifies nobody, DMARC as our own MTA
 * found it (RFC 8601), and the intake limit counted per identity that a forger cannot
 * take cheaply.
 */
#include <string.h>

#include "address.h"
#include "authres.h"
#include "ingest-private.h"
#include "log.h"

/*
 * ingest_over_limits - a message past a parsing limit, or one the parser must not see
 * again, is held whole with the reason: never threaded or answered from a partial
 * parse, never dropped.
 */
gboolean
ingest_over_limits(ingest_context *ctx)
{
	g_autofree char *reason = NULL;

	if (ctx->message->limit_exceeded == NULL && ctx->message->unparsed == NULL)
		return FALSE;
	reason = ctx->message->unparsed != NULL ? g_strdup(ctx->message->unparsed)
	         : g_strdup_printf("over an input limit: %s", ctx->message->limit_exceeded);
	ingest_hold(ctx, reason);
	return TRUE;
}

gboolean
ingest_dmarc_passed(const ingest_context *ctx, const char **why)
{
	const char *at = strrchr(ctx->sender, '@');

	return authres_dmarc_pass(ctx->config, ctx->message, at != NULL ? at + 1 : NULL, why);
}

/* ingest_from_verified - the From is vouched for by the receiving MTA's DMARC result. */
static gboolean
ingest_from_verified(const ingest_context *ctx)
{
	return ingest_dmarc_passed(ctx, NULL);
}

/* ingest_same_domain - both addresses end in the same domain, case ignored. */
static gboolean
ingest_same_domain(const char *a, const char *b)
{
	const char *at_a = strrchr(a, '@');
	const char *at_b = strrchr(b, '@');

	return at_a != NULL && at_b != NULL && g_ascii_strcasecmp(at_a, at_b) == 0;
}

/*
 * ingest_intake_identity - whom intake_per_hour counts this mail against. Anyone can
 * write a customer's From, so it counts only when DMARC vouched for it or the envelope
 * sender is on its domain; otherwise the envelope sender does, and a flood forging a
 * customer's From fills the forger's count, not the customer's. Without an envelope
 * (import, IMAP) the From is all there is. A string to g_free.
 */
static char *
ingest_intake_identity(const ingest_context *ctx, const char **how)
{
	const char *envelope = ctx->envelope->sender;

	*how = "From";
	if (envelope == NULL || ingest_from_verified(ctx) || ingest_same_domain(envelope, ctx->sender))
		return g_strdup(ctx->sender);
	*how = "envelope sender";
	return *envelope != '\0' ? address_written(envelope) : g_strdup("<>");
}

/*
 * ingest_over_intake - past intake_per_hour mails of one identity in the last hour;
 * every mail that comes this way counts, held or not, so a flood stays held.
 */
static gboolean
ingest_over_intake(ingest_context *ctx)
{
	const char *how = NULL;
	g_autofree char *identity = ingest_intake_identity(ctx, &how);
	int limit = ctx->config->intake_per_hour;
	int recent = store_intake_count(ctx->store, identity, ctx->now - 3600, limit + 1, &ctx->error);

	if (recent < 0 || !store_intake_add(ctx->store, identity, ctx->now, ctx->now - 3600, &ctx->error))
		return FALSE;
	if (recent < limit)
		return FALSE;
	ctx->hold_quietly = recent > limit;     /* the desk heard of the first */
	if (recent == limit) {
		g_autofree char *printable = log_printable(identity, 256);
		g_autofree char *from = log_printable(ctx->sender, 256);

		log_warning("from=<%s>: more than %d mails in an hour (intake_per_hour) counted for the %s <%s>: "
		            "its mail is held, opens no ticket and triggers no mail until the hour has passed, "
		            "reason=over intake_per_hour", from, recent, how, printable);
	}
	return TRUE;
}

/* ingest_gate - why a known sender's mail must only be held, or NULL. */
const char *
ingest_gate(ingest_context *ctx, sender_identity identity)
{
	const char *why;

	if (ctx->config->require_dmarc_pass && identity.role != SENDER_UNKNOWN && !ingest_dmarc_passed(ctx, &why)) {
		g_free(ctx->gate_reason);
		ctx->gate_reason = g_strdup_printf("the From matches a known address but DMARC did not pass "
		                                   "(require_dmarc_pass): %s", why);
		return ctx->gate_reason;
	}
	/* 0 turns the limit off: the count below costs up to intake_per_hour index steps. */
	if (identity.role == SENDER_STAFF || ctx->config->intake_per_hour == 0)
		return NULL;
	return ingest_over_intake(ctx) ? "over intake_per_hour" : NULL;
}

/* ingest_from_unsound - a From that identifies nobody: malformed, or more than one address. */
gboolean
ingest_from_unsound(const parsed_message *message)
{
	return message->from_malformed || message->from_count > 1;
}
