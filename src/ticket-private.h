/*
 * ticket-private - what the files of the ticket part share: ticket.c (every transition)
 * and ticket_staff.c (what an agent does by mail, and tickets staff open for customers).
 */
#ifndef TICKETD_TICKET_PRIVATE_H
#define TICKETD_TICKET_PRIVATE_H

#include "event.h"
#include "notify.h"
#include "ticket.h"

/* ticket_notify - the notices of one event, answering the mail that caused it (if any). */
gboolean ticket_notify(const ticket_change *change, notify_event *event, GError **error);
/* ticket_add_message - the message and its attachments on a ticket; its row id, 0 on error. */
int64_t ticket_add_message(const ticket_change *change, int64_t ticket_id, const char *direction,
                           const ticket_message *message, GError **error);
/* ticket_record_status - the new status and the event of kind that records the move. */
gboolean ticket_record_status(const ticket_change *change, const store_ticket *ticket, const char *status,
                              const char *kind, const char *detail, GError **error);
int64_t ticket_create(const ticket_change *change, int64_t account_id, const char *direction,
                      const ticket_message *message, char **code_out, GError **error);
/* ticket_tell_staff - a staff notice of kind carrying message's text, author and files. */
gboolean ticket_tell_staff(const ticket_change *change, notify_kind kind, int64_t ticket_id,
                           const ticket_message *message, GError **error);

#endif
