/*
 * event - the names ticketd writes into its database, each defined here once: the kinds
 * of ticket events, the kinds of notices (and the event that asks for one), the states
 * of an outbox row and the directions of a message. Statuses are in status.h.
 * A string of this kind written anywhere else is a bug: it drifts from the schema.
 */
#ifndef TICKETD_EVENT_H
#define TICKETD_EVENT_H

#include <glib.h>
#include <stdint.h>

/* Ticket events (events.kind): what happened to a ticket, shown by `ticketctl show`. */
#define EVENT_CREATED   "created"       /* a new ticket */
#define EVENT_STATUS    "status"        /* a status change by a person or a mail */
#define EVENT_REOPENED  "reopened"      /* a customer reply reopened a resolved/closed ticket */
#define EVENT_REPLY     "reply"         /* a staff reply */
#define EVENT_NOTE      "note"          /* an internal note */
#define EVENT_ASSIGNED  "assigned"
#define EVENT_MERGED    "merged"
#define EVENT_LINKED    "linked"        /* a new ticket opened by a reply to a closed one */
#define EVENT_REFUSED   "refused"       /* a reply to a closed ticket was refused */
#define EVENT_BOUNCING  "bouncing"      /* before schema 10, a bounce named this recipient: history */
#define EVENT_SWEEP     "sweep"         /* a [sweep] rule moved the ticket */
#define EVENT_REMINDED  "reminded"      /* the customer was told a [sweep] rule will close it */
#define EVENT_DELIVERY_FAILED "delivery_failed" /* a notification failed for good */
#define EVENT_PRIORITY  "priority"      /* a person set the priority (detail: the new one) */
#define EVENT_DEPARTMENT "department"   /* moved to another department (detail: its slug) */
#define EVENT_MESSAGE_ID_REUSED "message_id_reused" /* a mail came with another mail's Message-ID */
/* Robot mail on a ticket is recorded under its mail class name: bounce, auto_reply, loop. */

/* Outbox states (outbox.state). */
#define OUTBOX_QUEUED     "queued"
#define OUTBOX_SENDING    "sending"
#define OUTBOX_SENT       "sent"
#define OUTBOX_FAILED     "failed"
#define OUTBOX_SUPPRESSED "suppressed"  /* never sent: a rule stopped it, said in last_error */

/* Message directions (messages.direction). */
#define MESSAGE_IN   "in"               /* a mail received */
#define MESSAGE_OUT  "out"              /* a staff reply mailed */
#define MESSAGE_NOTE "note"             /* internal, never mailed */

/* The kinds of notices; event_notice_name() gives the outbox.kind and template name. */
typedef enum {
	NOTIFY_CREATED,             /* confirmation with the code (auto-replied) */
	NOTIFY_STAFF_REPLY,         /* a staff member's words (human mail) */
	NOTIFY_STATUS,              /* status changed, old and new label (auto-generated) */
	NOTIFY_REOPENED,            /* a reply reopened a resolved or closed ticket */
	NOTIFY_AUTO_CLOSED,         /* the sweeper closed an idle ticket */
	NOTIFY_NEW_LINKED,          /* a reply to a closed ticket opened this new one */
	NOTIFY_REFUSED,             /* a reply to a closed ticket was refused */
	NOTIFY_HELD_SUBACCOUNT,     /* to the sender: a sub-account that may not open tickets */
	NOTIFY_HELD_UNKNOWN,        /* to the sender: unknown_sender = hold, a person will look */
	NOTIFY_CLOSED,              /* the customer closed the ticket by mail: confirmed to them */
	NOTIFY_REMINDER,            /* a [sweep] rule will close the idle ticket soon (remind =) */
	/* Notices to staff: automatic mail with the agent's signed Reply-To. */
	NOTIFY_STAFF_NEW,           /* a new ticket, with the customer's text */
	NOTIFY_STAFF_CUSTOMER_REPLY, /* the customer wrote again */
	NOTIFY_STAFF_REOPENED,      /* the customer's reply reopened the ticket */
	NOTIFY_STAFF_ASSIGNED,      /* the ticket was assigned to the recipient */
	NOTIFY_STAFF_HELD,          /* mail for the ticket was held: reason says why */
	NOTIFY_STAFF_BOUNCE,        /* a notice to the customer failed for good */
	NOTIFY_STAFF_COMMAND_ERROR  /* the agent's mail had a command we could not apply */
} notify_kind;

/* NOTIFY_IS_STAFF - a notice for the desk rather than the customer; the customer's
 * kinds are NOTIFY_CREATED up to NOTIFY_LAST_CUSTOMER. */
#define NOTIFY_LAST_CUSTOMER NOTIFY_REMINDER
#define NOTIFY_IS_STAFF(kind) ((kind) >= NOTIFY_STAFF_NEW)

/* The outbox.kind of a staff reply: the one notice that is never automatic mail. */
#define NOTICE_STAFF_REPLY "staff_reply"

/* One event that asks for notices: what the notifier queues and compose fills in. */
typedef struct {
	notify_kind kind;
	int64_t ticket_id;
	const char *actor;          /* who caused it; gets no copy of their own words */
	const char *sender;         /* envelope or From of the mail that caused it, or NULL */
	const char *old_status;
	const char *new_status;
	const char *text;           /* staff reply text */
	const char *in_reply_to;    /* the customer's Message-ID this answers, or NULL */
	const char *references;     /* space-separated, or NULL */
	const char *linked_code;    /* NEW_LINKED and REFUSED: the closed ticket */
	const GPtrArray *attachments; /* mail_attachment *: the files a staff reply carries,
	                             * or the customer's, for staff notices */
	const char *author;         /* staff notices: who wrote text */
	const char *agent;          /* staff notices to one agent (assigned, held, command error) */
	const char *reason;         /* held, bounce and command error: why */
	gboolean person;            /* a person at the desk caused it: never held back by
	                             * auto_per_hour, nor counted in it */
	int64_t held_id;            /* held notices: the held mail (ticketctl held show ID) */
	const char *department;     /* held notices without a ticket (ticket_id 0): its slug */
	const char *subject;        /* and the held mail's subject */
} notify_event;

/* event_notice_name - created, staff_reply, status, reopened, auto_closed, new_linked, refused,
 * held_subaccount, held_unknown, closed, reminder, staff_new, staff_customer_reply, staff_reopened, staff_assigned, staff_held, staff_bounce,
 * staff_command_error. */
const char *event_notice_name(notify_kind kind);

#endif
