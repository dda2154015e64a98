/*
 * ticket_staff - the transitions an agent makes by mail (a reply with commands, a note,
 * a mail of commands alone) and the tickets staff open for a customer, with the notices
 * that tell the rest of the desk. Written, like every transition, in the caller's
 * transaction.
 */
#include <string.h>

#include "status.h"
#include "ticket-private.h"

gboolean
ticket_set_priority(const ticket_change *change, const store_ticket *ticket, const char *priority, GError **error)
{
	if (ticket->priority != NULL && strcmp(ticket->priority, priority) == 0)
		return TRUE;
	return store_ticket_set_priority(change->store, ticket->id, priority, error) &&
	       store_event_add(change->store, ticket->id, EVENT_PRIORITY, change->actor, NULL, NULL, priority,
	                       change->now, error);
}

gboolean
ticket_set_department(const ticket_change *change, const store_ticket *ticket, const char *slug, GError **error)
{
	if (strcmp(ticket->department, slug) == 0)
		return TRUE;
	return store_ticket_set_department(change->store, ticket->id, slug, error) &&
	       store_event_add(change->store, ticket->id, EVENT_DEPARTMENT, change->actor, NULL, NULL, slug,
	                       change->now, error);
}

int64_t
ticket_staff_open(const ticket_change *change, const ticket_opening *opening, char **code, GError **error)
{
	store_message_row row = {
		.author = change->actor, .subject = opening->subject, .text = opening->text,
	};
	ticket_message message = { &row, opening->attachments };
	notify_event event = { .kind = NOTIFY_CREATED, .new_status = STATUS_OPEN };
	store_ticket ticket = { 0 };
	gboolean done;

	if (opening->mail != NULL)
		row = *opening->mail;   /* keeps the raw bytes of the agent's mail */
	row.subject = opening->subject;
	row.new_text = opening->text;
	if (opening->forwarded_from != NULL) {
		row.author = opening->forwarded_from;
		row.text = opening->forwarded_text;
	}
	if ((event.ticket_id = ticket_create(change, opening->account_id,
	                                     opening->forwarded_from ? MESSAGE_IN : MESSAGE_OUT, &message, code,
	                                     error)) == 0)
		return 0;
	ticket.id = event.ticket_id;
	ticket.subject = (char *)opening->subject;
	ticket.priority = (char *)"medium";
	done = (opening->note == NULL || *opening->note == '\0' || ticket_note(change, &ticket, opening->note, error)) &&
	       (opening->priority == NULL || ticket_set_priority(change, &ticket, opening->priority, error)) &&
	       ticket_notify(change, &event, error) &&
	       ticket_tell_staff(change, NOTIFY_STAFF_NEW, event.ticket_id, &message, error);
	if (!done)
		g_clear_pointer(code, g_free);
	return done ? event.ticket_id : 0;
}

/* ticket_staff_internal - a note, or a mail of commands alone: kept, mailed to no customer. */
static gboolean
ticket_staff_internal(const ticket_change *change, const store_ticket *ticket, const ticket_message *kept,
                      GError **error)
{
	return ticket_add_message(change, ticket->id, MESSAGE_NOTE, kept, error) != 0 &&
	       store_event_add(change->store, ticket->id, EVENT_NOTE, change->actor, NULL, NULL, "by mail",
	                       change->now, error);
}

/* ticket_staff_settings - what the commands set besides the text and status. */
static gboolean
ticket_staff_settings(const ticket_change *change, const store_ticket *ticket, const staff_commands *commands,
                      GError **error)
{
	return (!commands->assign_set || ticket_assign(change, ticket, commands->assign, error)) &&
	       (commands->priority == NULL || ticket_set_priority(change, ticket, commands->priority, error)) &&
	       (commands->department == NULL || ticket_set_department(change, ticket, commands->department, error));
}

gboolean
ticket_staff_mail(const ticket_change *change, const store_ticket *ticket, const staff_commands *commands,
                  const ticket_message *mail, GError **error)
{
	const char *status = commands->close ? STATUS_CLOSED : commands->status;
	store_message_row row = *mail->row;
	ticket_message kept = { &row, mail->attachments };
	ticket_reply reply = { .text = commands->text, .status = status, .mail = kept };

	row.new_text = commands->text;  /* what was said, without the command lines */
	if (!commands->note && *commands->text != '\0') {
		if (!ticket_staff_reply(change, ticket, &reply, error))
			return FALSE;
	} else if (!ticket_staff_internal(change, ticket, &kept, error) ||
	           (status != NULL && strcmp(ticket->status, status) != 0 &&
	            !ticket_record_status(change, ticket, status, EVENT_STATUS, "by mail; the customer is not told",
	                                  error))) {
		return FALSE;
	}
	return ticket_staff_settings(change, ticket, commands, error);
}

gboolean
ticket_tell_held(const ticket_change *change, const ticket_held *held, GError **error)
{
	notify_event event = {
		.kind = NOTIFY_STAFF_HELD, .ticket_id = held->ticket_id, .agent = held->agent, .reason = held->reason,
		.author = change->sender, .held_id = held->id, .department = change->department,
		.subject = held->subject,
	};
	notify_event answer = {
		.kind = held->sender_notice, .ticket_id = 0, .reason = held->reason, .held_id = held->id,
		.department = change->department, .subject = held->subject,
	};

	return ticket_notify(change, &event, error) && (!held->tell_sender || ticket_notify(change, &answer, error));
}

gboolean
ticket_tell_command_error(const ticket_change *change, const store_ticket *ticket, const char *problems,
                          GError **error)
{
	notify_event event = {
		.kind = NOTIFY_STAFF_COMMAND_ERROR, .ticket_id = ticket->id, .agent = change->actor, .reason = problems,
	};

	return ticket_notify(change, &event, error);
}
