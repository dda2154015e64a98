/*
 * ingest - one inbound message for one recipient: classify, route to a department,
 * identify the sender, thread to a ticket, decide, and write it all in the caller's
 * transaction (ticket, message, raw bytes, attachments, events, outbox rows).
 * Any store failure makes the whole message a temporary failure: the sender retries,
 * nothing is lost.
 */
#include <string.h>

#include "address.h"
#include "authres.h"
#include "code.h"
#include "event.h"
#include "ingest-private.h"
#include "log.h"
#include "staff.h"
#include "watcher.h"

/* A thread never follows more merges than this: a loop in merged_into is our bug. */
#define INGEST_MAX_MERGE_HOPS 16

const char *
ingest_action_name(ingest_action action)
{
	static const char *const names[] = {
		"new", "reply", "staff_reply", "reopen", "new_linked", "refuse", "reject", "hold",
		"drop", "duplicate"
	};

	return action <= ACTION_DUPLICATE ? names[action] : "?";
}

void
ingest_result_clear(ingest_result *result)
{
	g_free(result->decision.ticket);
	g_free(result->decision.linked_ticket);
	g_free(result->decision.reason);
	g_free(result->error);
	memset(result, 0, sizeof *result);
}

void
ingest_result_defer(ingest_result *result, const char *why)
{
	ingest_result_clear(result);
	result->failure = failure_temporary();
	result->error = g_strdup(why);
}

void
ingest_result_uncommitted(ingest_result *result, const char *why)
{
	g_autofree char *error = g_strdup_printf("commit failed, nothing kept: %s; the decision was action=%s: %s",
	                                         why, ingest_action_name(result->decision.action),
	                                         result->decision.reason ? result->decision.reason : "");
	const char *department = result->decision.department;
	mail_class class = result->class;

	ingest_result_defer(result, error);
	result->decision.department = department;
	result->class = class;
}

void
ingest_decided(ingest_context *ctx, ingest_action action, const char *code, const char *format, ...)
{
	va_list args;

	ctx->result->decision.action = action;
	g_free(ctx->result->decision.ticket);
	ctx->result->decision.ticket = g_strdup(code);
	g_free(ctx->result->decision.reason);
	va_start(args, format);
	ctx->result->decision.reason = g_strdup_vprintf(format, args);
	va_end(args);
}

/* ingest_route - the department from the envelope recipient, else from To and Cc. */
static gboolean
ingest_route(ingest_context *ctx)
{
	const parsed_message *message = ctx->message;

	if (ctx->envelope->recipient != NULL) {
		ctx->department = config_department_for(ctx->config, ctx->envelope->recipient, &ctx->plus_detail);
		return ctx->department != NULL;
	}
	for (int list = 0; list < 2; list++) {
		GPtrArray *addresses = list == 0 ? message->to : message->cc;

		for (guint i = 0; i < addresses->len; i++) {
			const mail_address *address = g_ptr_array_index(addresses, i);

			ctx->department = config_department_for(ctx->config, address->address, &ctx->plus_detail);
			if (ctx->department != NULL)
				return TRUE;
		}
	}
	return FALSE;
}

GPtrArray *
ingest_header_recipients(const ticketd_config *config, const parsed_message *message)
{
	GPtrArray *recipients = g_ptr_array_new();
	g_autoptr(GPtrArray) departments = g_ptr_array_new();

	for (int list = 0; list < 2; list++) {
		GPtrArray *addresses = list == 0 ? message->to : message->cc;

		for (guint i = 0; i < addresses->len; i++) {
			const mail_address *address = g_ptr_array_index(addresses, i);
			const department_config *department = config_department_for(config, address->address, NULL);

			if (department == NULL || g_ptr_array_find(departments, department, NULL))
				continue;
			g_ptr_array_add(departments, (gpointer)department);
			g_ptr_array_add(recipients, address->address);
		}
	}
	return recipients;
}

/* ingest_identify - staff, an account holder, a sub-account, or a stranger. */
static sender_identity
ingest_identify(ingest_context *ctx)
{
	sender_identity identity = { SENDER_UNKNOWN, 0, FALSE };
	store_account account = { 0 };
	store_subaccount subaccount = { 0 };

	if (*ctx->sender == '\0')
		return identity;
	if (config_is_staff(ctx->config, ctx->sender)) {
		identity.role = SENDER_STAFF;
		return identity;
	}
	if (store_account_by_email(ctx->store, ctx->sender, &account, &ctx->error)) {
		identity.role = account.disabled ? SENDER_DISABLED : SENDER_ACCOUNT;
		identity.account_id = account.id;
		identity.can_open = !account.disabled;
		store_account_clear(&account);
		return identity;
	}
	if (ctx->error == NULL && store_subaccount_by_email(ctx->store, ctx->sender, &subaccount, &ctx->error)) {
		if (store_account_by_id(ctx->store, subaccount.account_id, &account, &ctx->error) && !account.disabled) {
			identity.role = SENDER_SUBACCOUNT;
			identity.account_id = subaccount.account_id;
			identity.can_open = subaccount.can_open;
		} else if (ctx->error == NULL) {
			identity.role = SENDER_DISABLED;
		}
		store_account_clear(&account);
		store_subaccount_clear(&subaccount);
	}
	return identity;
}

gboolean
ingest_follow_merges(ingest_context *ctx, store_ticket *ticket)
{
	for (int hops = 0; ticket->merged_into != 0; hops++) {
		int64_t into = ticket->merged_into;

		if (hops == INGEST_MAX_MERGE_HOPS)
			log_panic("ticket %s: merge chain longer than %d", ticket->code, INGEST_MAX_MERGE_HOPS);
		store_ticket_clear(ticket);
		if (!(store_ticket_by_id(ctx->store, into, ticket, &ctx->error)))
			return FALSE;
	}
	return TRUE;
}

/* ingest_by_message_id - the ticket a Message-ID we received or sent belongs to. */
static gboolean
ingest_by_message_id(ingest_context *ctx, const char *message_id, store_ticket *ticket)
{
	return message_id != NULL && *message_id != '\0' &&
	       (store_ticket_by_message_id(ctx->store, message_id, ticket, &ctx->error));
}

/* ingest_by_code - a code from a subject tag or a plus-address. */
static gboolean
ingest_by_code(ingest_context *ctx, const char *code, store_ticket *ticket)
{
	return code != NULL && (store_ticket_by_code(ctx->store, code, ticket, &ctx->error));
}

/* ingest_thread - code in the subject, then plus-address, then In-Reply-To and References. */
static gboolean
ingest_thread(ingest_context *ctx, store_ticket *ticket)
{
	const parsed_message *message = ctx->message;
	g_autofree char *subject_code = code_from_subject(message->subject, ctx->config->subject_tag,
	                                                  ctx->config->code_mask);
	g_autofree char *plus_code = ingest_plus_code(ctx);
	gboolean found = FALSE;

	found = ingest_by_code(ctx, subject_code, ticket) || ingest_by_code(ctx, plus_code, ticket) ||
	        ingest_by_message_id(ctx, message->in_reply_to, ticket);
	for (guint i = message->references->len; !found && i > 0; i--)
		found = ingest_by_message_id(ctx, g_ptr_array_index(message->references, i - 1), ticket);
	if (!found)
		found = ingest_by_message_id(ctx, message->original_message_id, ticket);
	return found && ingest_follow_merges(ctx, ticket);
}

/* ingest_references - the chain a notification answering this message should carry. */
static char *
ingest_references(const parsed_message *message)
{
	GString *chain = g_string_new(NULL);

	for (guint i = 0; i < message->references->len; i++)
		g_string_append_printf(chain, "%s<%s>", chain->len ? " " : "",
		                       (char *)g_ptr_array_index(message->references, i));
	if (message->message_id != NULL)
		g_string_append_printf(chain, "%s<%s>", chain->len ? " " : "", message->message_id);
	return g_string_free(chain, FALSE);
}

void
ingest_transition_clear(ingest_transition *transition)
{
	g_free(transition->references);
	g_clear_pointer(&transition->watchers, g_ptr_array_unref);
}

void
ingest_transition_init(ingest_context *ctx, ingest_transition *transition, mail_class class)
{
	const parsed_message *message = ctx->message;

	transition->references = ingest_references(message);
	transition->row = (store_message_row){
		.author = ctx->sender, .message_id = message->message_id, .in_reply_to = message->in_reply_to,
		.references = transition->references, .subject = message->subject, .text = message->text,
		.new_text = message->new_text, .mail_class = mail_class_name(class),
		.dedup_key = ctx->dedup_key, .raw = ctx->raw, .raw_length = ctx->length,
	};
	transition->message = (ticket_message){ &transition->row, message->attachments };
	transition->change = (ticket_change){
		.config = ctx->config, .store = ctx->store, .actor = ctx->sender, .now = ctx->now,
		.sender = ctx->sender, .in_reply_to = message->message_id, .references = transition->references,
		.department = ctx->department->slug,
		.code_seed = message->message_id != NULL ? message->message_id : ctx->dedup_key,
	};
}

/* ingest_customer_transition - a customer's mail: the people it copied watch its ticket. */
static gboolean
ingest_customer_transition(ingest_context *ctx, ingest_transition *transition)
{
	ingest_transition_init(ctx, transition, MAIL_NORMAL);
	transition->watchers = watcher_from_mail(ctx->config, ctx->store, ctx->department, ctx->message, &ctx->error);
	transition->change.watchers = transition->watchers;
	return transition->watchers != NULL && ticket_bounce_forget(ctx->store, ctx->sender, "it wrote in", &ctx->error);
}

/* ingest_new - a new ticket; confirmation to the sender and the account. */
static void
ingest_new(ingest_context *ctx, int64_t account_id, const char *why)
{
	g_auto(ingest_transition) transition = { 0 };
	g_autofree char *code = NULL;

	if (!ingest_customer_transition(ctx, &transition))
		return;
	if (ticket_open(&transition.change, account_id, &transition.message, &code, &ctx->error) == 0)
		return;
	ingest_decided(ctx, ACTION_NEW, code, "%s", why);
}

/* ingest_new_account - the unknown-sender policy "create": the account as the mail arrives. */
static void
ingest_new_account(ingest_context *ctx)
{
	int64_t account_id;

	if (!((account_id = store_account_add(ctx->store, ctx->sender, ctx->message->from->name,
	                                                   ctx->config->language, &ctx->error)) > 0))
		return;
	ingest_new(ctx, account_id, "new sender: account created, new ticket");
}

/* The holds whose sender, a person, is answered with a template of the same name. */
#define INGEST_HELD_SUBACCOUNT "sub-account may not open tickets"
#define INGEST_HELD_UNKNOWN "unknown sender, unknown_sender = hold"

static void ingest_staff_reply(ingest_context *ctx, const store_ticket *ticket);
static void ingest_customer_reply(ingest_context *ctx, const store_ticket *ticket);

/* ingest_waived - a person released this mail from the hold that reason names. */
static gboolean
ingest_waived(const ingest_context *ctx, const char *reason)
{
	return ctx->release != NULL && strcmp(ctx->release->reason, reason) == 0;
}

/* ingest_release_refused - a release that cannot go anywhere: the mail stays held. */
static void
ingest_release_refused(ingest_context *ctx, const char *why)
{
	ingest_decided(ctx, ACTION_REJECT, NULL, "%s", why);
	ctx->result->failure = failure_permanent(FAILURE_POLICY);
}

/*
 * ingest_released - held mail a person let in: into the ticket they named, else the
 * ticket it threads to, else a new ticket of the sender's account (a sub-account's too:
 * staff decided), else a new account, as unknown_sender = create would.
 */
static void
ingest_released(ingest_context *ctx)
{
	const char *to = ctx->release->to_code;
	sender_identity identity = ingest_identify(ctx);
	store_ticket ticket = { 0 };
	gboolean found = FALSE;

	if (ctx->error == NULL)
		found = to != NULL ? ingest_by_code(ctx, to, &ticket) && ingest_follow_merges(ctx, &ticket)
		                   : ingest_thread(ctx, &ticket);
	if (ctx->error != NULL)
		;
	else if (to != NULL && !found)
		ingest_release_refused(ctx, "no such ticket: ticketctl list shows the codes");
	else if (found && identity.role == SENDER_STAFF)
		ingest_staff_reply(ctx, &ticket);
	else if (found)
		ingest_customer_reply(ctx, &ticket);
	else if (identity.account_id != 0)
		ingest_new(ctx, identity.account_id, "new ticket");
	else if (identity.role == SENDER_UNKNOWN && *ctx->sender != '\0')
		ingest_new_account(ctx);
	else
		ingest_release_refused(ctx, "it threads to no ticket and has no sender to open one for: name one "
		                       "with --to CODE");
	if (found)
		store_ticket_clear(&ticket);
}

/* ingest_tell_held - the desk (or the agent) hears of held mail; a person answered. */
static void
ingest_tell_held(ingest_context *ctx, int64_t held_id, const char *reason, const store_ticket *ticket,
                 const char *agent)
{
	g_auto(ingest_transition) transition = { 0 };
	gboolean subaccount = strcmp(reason, INGEST_HELD_SUBACCOUNT) == 0;
	ticket_held held = {
		.id = held_id, .ticket_id = ticket ? ticket->id : 0, .reason = reason,
		.subject = ctx->message->subject, .agent = agent,
		.tell_sender = subaccount || strcmp(reason, INGEST_HELD_UNKNOWN) == 0,
		.sender_notice = subaccount ? NOTIFY_HELD_SUBACCOUNT : NOTIFY_HELD_UNKNOWN,
	};

	if (ctx->hold_quietly)
		return;
	ingest_transition_init(ctx, &transition, MAIL_NORMAL);
	ticket_tell_held(&transition.change, &held, &ctx->error);
}

void
ingest_hold_for(ingest_context *ctx, const char *reason, const store_ticket *ticket, const char *agent)
{
	const char *recipient = ctx->envelope->recipient ? ctx->envelope->recipient : ctx->department->address;
	int64_t id;

	if (ingest_waived(ctx, reason)) {
		ingest_released(ctx);
		return;
	}
	if (!((id = store_hold_add(ctx->store, reason, ctx->sender, recipient, ctx->raw, ctx->length,
	                           ctx->now, &ctx->error)) > 0))
		return;
	ingest_tell_held(ctx, id, reason, ticket, agent);
	if (ctx->error == NULL)
		ingest_decided(ctx, ACTION_HOLD, NULL, "%s", reason);
}

void
ingest_hold(ingest_context *ctx, const char *reason)
{
	ingest_hold_for(ctx, reason, NULL, NULL);
}

/* ingest_unthreaded - mail that opens no existing thread: a new ticket, or the policy. */
static void
ingest_unthreaded(ingest_context *ctx, sender_identity identity, const char *why)
{
	if ((identity.role == SENDER_ACCOUNT || identity.role == SENDER_SUBACCOUNT) && identity.can_open) {
		ingest_new(ctx, identity.account_id, why);
		return;
	}
	if (identity.role == SENDER_STAFF) {
		ingest_hold(ctx, "staff mail that threads to no ticket: open tickets by mail at your desk address "
		            "(ticketctl staff address)");
		return;
	}
	/* Known, but not allowed to open: a person decides, whatever unknown_sender says. */
	if (identity.role != SENDER_UNKNOWN) {
		ingest_hold(ctx, identity.role == SENDER_DISABLED ? "sender's account is disabled" : INGEST_HELD_SUBACCOUNT);
		return;
	}
	switch (ctx->config->unknown_sender) {
	case UNKNOWN_SENDER_CREATE:
		/* Anyone can write our own From: an account for it would be mailed by ticketd itself. */
		if (address_is_ours(ctx->config, ctx->sender))
			ingest_hold(ctx, "the From is one of the desk's own addresses: never made a customer account");
		else
			ingest_new_account(ctx);
		return;
	case UNKNOWN_SENDER_HOLD:
		ingest_hold(ctx, INGEST_HELD_UNKNOWN);
		return;
	case UNKNOWN_SENDER_REJECT:
		ingest_decided(ctx, ACTION_REJECT, NULL, "unknown sender, unknown_sender = reject");
		ctx->result->failure = failure_permanent(FAILURE_POLICY);
		return;
	}
}

/* ingest_may_reply - a code alone authorizes nothing: the account, its sub-accounts, staff. */
static gboolean
ingest_may_reply(sender_identity identity, const store_ticket *ticket)
{
	return identity.role == SENDER_STAFF ||
	       ((identity.role == SENDER_ACCOUNT || identity.role == SENDER_SUBACCOUNT) &&
	        identity.account_id == ticket->account_id);
}

/* ingest_watching - a stranger copied on the ticket: may answer on it, and only on it. */
static gboolean
ingest_watching(ingest_context *ctx, sender_identity identity, const store_ticket *ticket)
{
	return identity.role == SENDER_UNKNOWN && store_watcher_is(ctx->store, ticket->id, ctx->sender, &ctx->error);
}

/* ingest_staff_reply - staff answering by mail: relayed to the customer, quote-stripped. */
static void
ingest_staff_reply(ingest_context *ctx, const store_ticket *ticket)
{
	g_auto(ingest_transition) transition = { 0 };
	ticket_reply reply = { .text = ctx->message->new_text };

	ingest_transition_init(ctx, &transition, MAIL_NORMAL);
	reply.mail = transition.message;
	if (!ticket_staff_reply(&transition.change, ticket, &reply, &ctx->error))
		return;
	ingest_decided(ctx, ACTION_STAFF_REPLY, ticket->code, "staff reply by mail from %s", ctx->sender);
}

/* ingest_customer_reply - appended, reopened, or by a closed ticket's policy linked or refused. */
static void
ingest_customer_reply(ingest_context *ctx, const store_ticket *ticket)
{
	g_auto(ingest_transition) transition = { 0 };
	g_autofree char *code = NULL;
	ticket_reply_effect effect;

	if (!ingest_customer_transition(ctx, &transition))
		return;
	if (!ticket_customer_reply(&transition.change, ticket, &transition.message, &effect, &code, &ctx->error))
		return;
	switch (effect) {
	case TICKET_LINKED:
		ingest_decided(ctx, ACTION_NEW_LINKED, code, "reply to closed ticket %s, closed_reply = new",
		               ticket->code);
		ctx->result->decision.linked_ticket = g_strdup(ticket->code);
		return;
	case TICKET_REFUSED:
		ingest_decided(ctx, ACTION_REFUSE, ticket->code, "reply to closed ticket, closed_reply = reject");
		return;
	case TICKET_REOPENED:
		ingest_decided(ctx, ACTION_REOPEN, ticket->code, "reply reopened the ticket");
		return;
	case TICKET_REPLIED:
		ingest_decided(ctx, ACTION_REPLY, ticket->code, "reply threaded to the ticket");
		return;
	}
}

/* ingest_machine_mail - bounces, auto-replies and loops: stored, never answered. */
static void
ingest_machine_mail(ingest_context *ctx, mail_class class, gboolean threaded, const store_ticket *ticket)
{
	g_autofree char *reason = g_strdup_printf("%s: stored, no ticket opened, nothing mailed",
	                                          mail_class_name(class));
	g_auto(ingest_transition) transition = { 0 };
	store_ticket named = { 0 };

	if (!threaded && ingest_waived(ctx, reason)) {     /* released: staff name its ticket */
		if (ctx->release->to_code == NULL || !ingest_by_code(ctx, ctx->release->to_code, &named)) {
			if (ctx->error == NULL)
				ingest_release_refused(ctx, "robot mail threads to no ticket: name one with --to CODE");
			return;
		}
		ingest_machine_mail(ctx, class, TRUE, &named);
		store_ticket_clear(&named);
		return;
	}
	ingest_transition_init(ctx, &transition, class);
	/* A bounce of our notification is recorded on the address it failed for. */
	if (class == MAIL_BOUNCE &&
	    !ticket_bounce_record(&transition.change, ctx->message, ctx->plus_detail, &ctx->error))
		return;
	if (threaded) {
		if (!ticket_robot_mail(&transition.change, ticket, &transition.message, mail_class_name(class),
		                       &ctx->error))
			return;
	} else if (!(store_hold_add(ctx->store, reason, ctx->sender, ctx->department->address,
	                                         ctx->raw, ctx->length, ctx->now, &ctx->error) > 0)) {
		return;
	}
	ingest_decided(ctx, ACTION_DROP, threaded ? ticket->code : NULL, "%s", reason);
}

/* ingest_person_mail - mail from a person: a reply, a staff reply, or a new ticket. */
static void
ingest_person_mail(ingest_context *ctx, gboolean threaded, const store_ticket *ticket)
{
	sender_identity identity;
	const char *held;

	if (*ctx->sender == '\0') {
		ingest_hold(ctx, "no From address");
		return;
	}
	/* A signed address has its own proof of who wrote it, and tells the agent it names. */
	if (ingest_is_signed(ctx)) {
		ingest_signed(ctx);
		return;
	}
	/* GMime keeps the first address of a From it cannot read whole: never take it for a person. */
	if (ingest_from_unsound(ctx->message)) {
		ingest_hold(ctx, ctx->message->from_count > 1 ? "the From holds more than one address: nobody is identified"
		                                              : "the From is malformed: nobody is identified");
		return;
	}
	identity = ingest_identify(ctx);
	if (ctx->error != NULL)
		return;
	held = ingest_gate(ctx, identity);
	if (ctx->error != NULL)
		return;
	if (held != NULL)
		ingest_hold(ctx, held);
	else if (threaded && identity.role == SENDER_STAFF && !ctx->config->staff_unsigned_reply)
		ingest_hold(ctx, "staff mail to an unsigned address: answer through the signed Reply-To of a "
		            "staff notice (staff_unsigned_reply = no)");
	else if (threaded && ingest_may_reply(identity, ticket) && identity.role == SENDER_STAFF)
		ingest_staff_reply(ctx, ticket);
	else if (ingest_close_asked(ctx))
		ingest_close(ctx, identity, threaded ? ticket : NULL);
	else if (threaded && ingest_may_reply(identity, ticket))
		ingest_customer_reply(ctx, ticket);
	else if (threaded && ingest_watching(ctx, identity, ticket))
		ingest_customer_reply(ctx, ticket);    /* opens no account */
	else if (ctx->error != NULL)
		return;
	else
		ingest_unthreaded(ctx, identity, threaded ? "sender may not reply to the ticket it names: new ticket"
		                                          : "new ticket");
}

/* ingest_threaded - after threading: on the ticket already, robot mail, or a person's. */
static void
ingest_threaded(ingest_context *ctx, gboolean threaded, const store_ticket *ticket)
{
	if (threaded && (ingest_on_ticket_already(ctx, ticket) || ctx->error != NULL))
		return;
	if (ctx->result->class != MAIL_NORMAL)
		ingest_machine_mail(ctx, ctx->result->class, threaded, ticket);
	else
		ingest_person_mail(ctx, threaded, ticket);
}

/* ingest_decide_and_write - everything after routing, inside the open transaction. */
static void
ingest_decide_and_write(ingest_context *ctx)
{
	store_ticket ticket = { 0 };
	gboolean threaded;

	/* A release is the same mail again on purpose: delivered before, as a hold. */
	if (ctx->release == NULL && (ingest_duplicate(ctx) || ctx->error != NULL))
		return;
	if (ingest_over_limits(ctx)) {
		if (ctx->error == NULL && ctx->result->failure.class == FAILURE_OK && ctx->release == NULL)
			ingest_remember_delivery(ctx);
		return;
	}
	threaded = ingest_thread(ctx, &ticket);
	if (ctx->error == NULL)
		ingest_threaded(ctx, threaded, &ticket);
	if (threaded)
		store_ticket_clear(&ticket);
	if (ctx->error == NULL && ctx->result->failure.class == FAILURE_OK && ctx->reused_from != NULL)
		ingest_flag_reused(ctx);
	if (ctx->error == NULL && ctx->result->failure.class == FAILURE_OK && ctx->release == NULL)
		ingest_remember_delivery(ctx);
}

void
ingest_apply(const ticketd_config *config, store *db, const inbound *mail, const char *recipient,
             ingest_result *result)
{
	ingest_envelope envelope = { mail->sender, recipient };
	ingest_context ctx = {
		.config = config, .store = db, .raw = mail->raw, .length = mail->length, .message = mail->message,
		.envelope = &envelope, .sender = mail->message->from->address, .now = store_now(), .result = result,
		.release = mail->release,
	};

	memset(result, 0, sizeof *result);
	result->class = classify_explain(config, mail->message, mail->sender, &result->class_signal);
	if (!ingest_route(&ctx)) {
		result->failure = failure_permanent(FAILURE_NO_SUCH_USER);
		result->error = g_strdup("no department has this address");
		ingest_decided(&ctx, ACTION_REJECT, NULL, "recipient is not a department address");
		return;
	}
	result->decision.department = ctx.department->slug;
	ctx.dedup_key = ingest_dedup_key(mail->message, mail->raw, mail->length);
	ingest_decide_and_write(&ctx);
	if (ctx.error != NULL) {
		result->failure = failure_temporary();
		result->error = g_strdup(ctx.error->message);
		g_error_free(ctx.error);
	}
	g_free(ctx.plus_detail);
	g_free(ctx.dedup_key);
	g_free(ctx.gate_reason);
	g_free(ctx.reused_from);
}

void
ingest_message(const ticketd_config *config, store *db, const inbound *mail, const char *recipient,
               ingest_result *result)
{
	g_autoptr(GError) error = NULL;

	if (!store_begin(db, &error)) {
		memset(result, 0, sizeof *result);      /* result may be uninitialized */
		ingest_result_defer(result, error->message);
		ingest_log(mail, recipient, result);
		return;
	}
	ingest_apply(config, db, mail, recipient, result);
	if (result->failure.class != FAILURE_OK) {
		store_rollback(db);
	} else if (!store_commit(db, &error)) {
		store_rollback(db);
		ingest_result_uncommitted(result, error->message);
	}
	ingest_log(mail, recipient, result);
}

void
ingest_decide(const ticketd_config *config, store *db, const inbound *mail, const char *recipient,
              ingest_result *result)
{
	g_autoptr(GError) error = NULL;

	if (!store_begin(db, &error)) {
		memset(result, 0, sizeof *result);      /* result may be uninitialized */
		ingest_result_defer(result, error->message);
		return;
	}
	ingest_apply(config, db, mail, recipient, result);
	store_rollback(db);
}

/* ingest_log_code - the ticket that holds the mail; none when it was not kept. */
static const char *
ingest_log_code(const ingest_result *result)
{
	if (result->failure.class == FAILURE_TEMPORARY || result->decision.ticket == NULL)
		return "NOQUEUE";
	return result->decision.ticket;
}

void
ingest_log(const inbound *mail, const char *recipient, const ingest_result *result)
{
	gboolean deferred = result->failure.class == FAILURE_TEMPORARY;
	g_autofree char *from = log_printable(mail->message->from->address, 256);
	g_autofree char *to = log_printable(recipient ? recipient : "", 256);
	g_autofree char *message_id = log_printable(mail->message->message_id ? mail->message->message_id : "", 256);
	g_autofree char *reason = log_printable(result->error ? result->error
	                                        : result->decision.reason ? result->decision.reason : "", 512);
	g_autofree char *line = g_strdup_printf(
		"%s: from=<%s>, to=<%s>, message-id=<%s>, action=%s, department=%s, class=%s, source=%s, "
		"status=%s, reason=%s", ingest_log_code(result), from, to, message_id,
		deferred ? "none" : ingest_action_name(result->decision.action),
		result->decision.department ? result->decision.department : "none",
		mail_class_name(result->class), mail->source, failure_class_name(result->failure.class), reason);

	/* A deferral is trouble ticketd survives; every other outcome is a decision. */
	if (deferred)
		log_warning("%s", line);
	else
		log_info("%s", line);
}
