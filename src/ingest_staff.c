/*
 * ingest_staff - mail to an agent's signed address. It counts as that agent's only when
 * the token verifies for the ticket (or the desk), the From is that agent, and, with
 * require_dmarc_pass, DMARC passed: a From is easy to forge and a code is printed on
 * every notice, but the token is known only to the agent's mailbox. Anything else is
 * held with its reason, and the agent the token names is told. At the desk address an
 * agent opens a ticket for a customer, by #cliente or by forwarding the customer's mail.
 */
#include <string.h>

#include "address.h"
#include "code.h"
#include "ingest-private.h"
#include "log.h"
#include "staff.h"
#include "staff_forward.h"

gboolean
ingest_is_signed(const ingest_context *ctx)
{
	g_autofree char *code = NULL;
	g_autofree char *token = NULL;

	return staff_signed_detail(ctx->plus_detail, &code, &token);
}

char *
ingest_signed_code(const ingest_context *ctx)
{
	g_autofree char *code = NULL;
	g_autofree char *token = NULL;

	if (!staff_signed_detail(ctx->plus_detail, &code, &token) ||
	    !code_matches_mask(ctx->config->code_mask, code))
		return NULL;
	return g_steal_pointer(&code);
}

/* ingest_staff_hold - held with reason; the agent the token named, if any, is told. */
static void
ingest_staff_hold(ingest_context *ctx, const store_ticket *ticket, const char *agent, const char *reason)
{
	ctx->hold_quietly = agent == NULL;     /* a token of no agent: no one to tell of it */
	ingest_hold_for(ctx, reason, ticket, agent);
	if (ctx->error == NULL && ticket != NULL && ctx->result->decision.action == ACTION_HOLD &&
	    ctx->result->decision.ticket == NULL)
		ctx->result->decision.ticket = g_strdup(ticket->code);
}

/* ingest_staff_proof - why the mail is not the named agent's, or NULL when it is. */
static char *
ingest_staff_proof(ingest_context *ctx, const char *agent, const char *what)
{
	if (agent == NULL)
		return g_strdup_printf("signed address for %s whose token verifies for no agent "
		                       "(forged, or another ticket's or agent's token)", what);
	if (ingest_from_unsound(ctx->message))
		return g_strdup_printf("signed address of %s for %s, but the From is %s, read from a From that is "
		                       "malformed or names several addresses", agent, what, ctx->sender);
	if (!address_equal(agent, ctx->sender))
		return g_strdup_printf("signed address of %s for %s, but the From is %s", agent, what, ctx->sender);
	if (ctx->config->require_dmarc_pass && !ingest_dmarc_passed(ctx, NULL))
		return g_strdup_printf("signed address of %s for %s, but DMARC did not pass (require_dmarc_pass)",
		                       agent, what);
	return NULL;
}

/* ingest_staff_change - the transition of the agent's mail: no threading of its own, so
 * the customer's copy answers the customer's latest mail, not the agent's notice. */
static void
ingest_staff_change(ingest_context *ctx, ingest_transition *transition, const char *agent)
{
	ingest_transition_init(ctx, transition, MAIL_NORMAL);
	transition->change.actor = agent;
	transition->change.sender = NULL;
	transition->change.in_reply_to = NULL;
	transition->change.references = NULL;
}

/* ingest_staff_ticket - the agent's mail for one ticket, its commands parsed. */
static void
ingest_staff_ticket(ingest_context *ctx, const store_ticket *ticket, const char *agent)
{
	g_autoptr(staff_commands) commands = staff_command_parse(ctx->config, ctx->message->new_text, STAFF_AT_TICKET);
	g_auto(ingest_transition) transition = { 0 };

	ingest_staff_change(ctx, &transition, agent);
	if (commands->problem_list->len > 0) {
		g_autofree char *reason = g_strdup_printf("commands not applied: %s", commands->problems->str);
		/* Staff notices are written in the desk's language: so is what went wrong. */
		g_autofree char *report = staff_command_report(ctx->config, commands, ctx->config->language);

		g_strchomp(reason);
		ctx->hold_quietly = TRUE;       /* the agent is answered with the problems instead */
		ingest_hold(ctx, reason);
		if (ctx->error == NULL)
			ticket_tell_command_error(&transition.change, ticket, g_strchomp(report), &ctx->error);
		g_free(ctx->result->decision.ticket);
		ctx->result->decision.ticket = g_strdup(ticket->code);
		return;
	}
	if (!ticket_staff_mail(&transition.change, ticket, commands, &transition.message, &ctx->error))
		return;
	ingest_decided(ctx, ACTION_STAFF_REPLY, ticket->code, "staff mail from %s to its signed address: %s", agent,
	               commands->note ? "internal note" : *commands->text == '\0' ? "commands only, no customer mail"
	                                                                          : "reply to the customer");
}

/* ingest_desk_account - the customer's account for #cliente or a forward; 0 when held or
 * refused. */
static int64_t
ingest_desk_account(ingest_context *ctx, const char *customer)
{
	store_account account = { 0 };
	int64_t id = 0;

	if (store_account_by_email(ctx->store, customer, &account, &ctx->error)) {
		id = account.disabled ? 0 : account.id;
		store_account_clear(&account);
		if (id == 0)
			ingest_hold(ctx, "the customer (#cliente or the forwarded From) has a disabled account");
		return id;
	}
	if (ctx->error != NULL)
		return 0;
	switch (ctx->config->unknown_sender) {
	case UNKNOWN_SENDER_CREATE:
		return store_account_add(ctx->store, customer, "", ctx->config->language, &ctx->error);
	case UNKNOWN_SENDER_HOLD:
		ingest_hold(ctx, "the customer (#cliente or the forwarded From) is no account, unknown_sender = hold");
		return 0;
	case UNKNOWN_SENDER_REJECT:
		ingest_decided(ctx, ACTION_REJECT, NULL,
		               "the customer (#cliente or the forwarded From) is no account, unknown_sender = reject");
		ctx->result->failure = failure_permanent(FAILURE_POLICY);
		return 0;
	}
	return 0;
}

/* ingest_desk_opening - the ticket to open: the agent's words for #cliente, or the
 * customer's forwarded mail with the agent's words above it as a note. */
static void
ingest_desk_opening(ingest_context *ctx, const staff_forward *forward, const staff_commands *commands,
                    ticket_opening *opening)
{
	opening->priority = commands->priority;
	if (forward == NULL) {
		opening->subject = ctx->message->subject;
		opening->text = commands->text;
		opening->attachments = ctx->message->attachments;
		return;
	}
	opening->subject = forward->subject;
	opening->text = forward->new_text;
	opening->attachments = forward->attachments;
	opening->forwarded_from = forward->customer;
	opening->forwarded_text = forward->text;
	opening->note = commands->text;
}

/* ingest_staff_desk - an agent opening a ticket for a customer by mail: #cliente ADDRESS
 * first, or the customer's mail forwarded (then the forwarded From is the customer). */
static void
ingest_staff_desk(ingest_context *ctx, const char *agent)
{
	g_autoptr(staff_forward) forward = staff_forward_find(ctx->message);
	g_autoptr(staff_commands) commands = staff_command_parse(ctx->config, forward ? forward->agent_text
	                                                         : ctx->message->new_text, STAFF_AT_DESK);
	g_auto(ingest_transition) transition = { 0 };
	g_autofree char *code = NULL;
	ticket_opening opening = { 0 };
	const char *customer = commands->customer ? commands->customer : forward ? forward->customer : NULL;

	if (commands->problem_list->len > 0 || customer == NULL) {
		g_autofree char *reason = g_strdup_printf("desk mail not applied: %s",
		                                          commands->problems->len ? commands->problems->str
		                                          : "it needs #cliente ADDRESS on its first line, or a "
		                                            "customer's mail forwarded");

		ingest_hold(ctx, g_strchomp(reason));
		return;
	}
	if ((opening.account_id = ingest_desk_account(ctx, customer)) <= 0)
		return;
	ingest_staff_change(ctx, &transition, agent);
	ingest_desk_opening(ctx, forward, commands, &opening);
	opening.mail = &transition.row;
	if (commands->department != NULL)
		transition.change.department = commands->department;
	if (ticket_staff_open(&transition.change, &opening, &code, &ctx->error) == 0)
		return;
	ingest_decided(ctx, ACTION_NEW, code, "ticket opened by %s for %s at the desk address%s", agent, customer,
	               forward ? " from a forwarded mail" : "");
}

void
ingest_signed(ingest_context *ctx)
{
	g_autofree char *code = NULL;
	g_autofree char *token = NULL;
	g_autofree char *why = NULL;
	store_ticket ticket = { 0 };
	gboolean desk;
	const char *agent;

	staff_signed_detail(ctx->plus_detail, &code, &token);
	desk = strcmp(code, STAFF_DESK) == 0;
	if (ctx->config->secret == NULL) {
		g_autofree char *reason = g_strdup_printf("signed address, but no key to check it: %s",
		                                          ctx->config->secret_problem);

		ingest_hold(ctx, reason);
		return;
	}
	if (!desk && !store_ticket_by_code(ctx->store, code, &ticket, &ctx->error)) {
		if (ctx->error == NULL)
			ingest_hold(ctx, "signed address for no such ticket");
		return;
	}
	/* The token was made for the code in the address: a notice sent before a merge
	 * still answers, and the mail lands on the ticket that survived it. */
	if (!desk && !ingest_follow_merges(ctx, &ticket)) {
		store_ticket_clear(&ticket);
		return;
	}
	agent = staff_token_agent(ctx->config, code, token);
	if ((why = ingest_staff_proof(ctx, agent, desk ? "the desk" : code)) != NULL)
		ingest_staff_hold(ctx, desk ? NULL : &ticket, agent, why);
	else if (desk)
		ingest_staff_desk(ctx, agent);
	else
		ingest_staff_ticket(ctx, &ticket, agent);
	store_ticket_clear(&ticket);
}
