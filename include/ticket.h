/*
 * ticket - every transition of a ticket, each written in the caller's open transaction
 * with its status, the event that records it and the notices it asks for: whether a
 * customer's mail, a staff member (by mail or at ticketctl) or a [sweep] rule caused it.
 * The caller commits; on any failure it rolls back, and nothing of the change remains.
 */
#ifndef TICKETD_TICKET_H
#define TICKETD_TICKET_H

#include <glib.h>
#include <stdint.h>

#include "config.h"
#include "event.h"
#include "mime.h"
#include "staff_command.h"
#include "store.h"

#define TICKET_ERROR (ticket_error_quark())

/* A transition that makes no sense for this ticket; the message says why, for people. */
typedef enum {
	TICKET_ERROR_CLOSED,        /* closing a closed ticket */
	TICKET_ERROR_NOT_REOPENABLE, /* reopening one that is neither resolved nor closed */
	TICKET_ERROR_MERGED         /* merging into a ticket that was itself merged away */
} ticket_error_code;

/* The largest file a staff reply carries, bytes. */
#define TICKET_ATTACH_MAX (25 * 1024 * 1024)

/* Who makes a change, when, and the mail that caused it (if one did). */
typedef struct {
	const ticketd_config *config;
	store *store;
	const char *actor;          /* a sender's address, a login name, "ticketd" */
	int64_t now;
	/* Set only when a mail caused the change (NULL from ticketctl and the sweeper): */
	const char *sender;         /* its From: told of a ticket it opened or had refused */
	const char *in_reply_to;    /* its Message-ID: the notices answer it */
	const char *references;     /* its chain, "<a> <b>", for the notices */
	const char *department;     /* slug of the address it reached: where a new ticket goes */
	const char *code_seed;      /* with $TICKETD_CODE_SEED, new codes are a function of it */
	const GPtrArray *watchers;  /* char *: the people it copied, who watch the ticket it lands on */
} ticket_change;

/* A message put on a ticket: the row (its ticket_id, direction and created are filled
 * in here) and the attachments kept with it. */
typedef struct {
	const store_message_row *row;
	const GPtrArray *attachments; /* mail_attachment *, or NULL */
} ticket_message;

/* What a customer's reply did to the ticket it names. */
typedef enum {
	TICKET_REPLIED,             /* appended, customer_reply */
	TICKET_REOPENED,            /* appended to a resolved or closed ticket, which reopened */
	TICKET_LINKED,              /* the ticket was closed: a new one links it (closed_reply = new) */
	TICKET_REFUSED              /* the ticket was closed: refused with a reply (closed_reply = reject) */
} ticket_reply_effect;

/* A staff reply, by mail or from ticketctl. */
typedef struct {
	const char *text;           /* the words mailed to the customer */
	const char *status;         /* the status it sets; NULL: answered */
	ticket_message mail;        /* .row: the staff mail as received, NULL from ticketctl
	                             * (a row by the actor holding text); .attachments are mailed */
} ticket_reply;

GQuark ticket_error_quark(void);

/* ticket_open - a new ticket holding message, EVENT_CREATED, and the confirmation;
 * *code gets its code. The ticket id, 0 on error. */
int64_t ticket_open(const ticket_change *change, int64_t account_id, const ticket_message *message,
                    char **code, GError **error);

/*
 * ticket_customer_reply - a reply from the account or its sub-accounts: appended as
 * customer_reply, reopening a resolved ticket; a closed one follows the department's
 * closed_reply policy. *effect says which; *new_code gets a linked ticket's code.
 */
gboolean ticket_customer_reply(const ticket_change *change, const store_ticket *ticket,
                               const ticket_message *message, ticket_reply_effect *effect,
                               char **new_code, GError **error);

/* ticket_reply_status - the status a staff reply sets when it names none, or the one it names. */
const char *ticket_reply_status(const char *chosen);

/* ticket_staff_reply - the reply and its attachments, EVENT_REPLY, the status, and
 * NOTIFY_STAFF_REPLY (human mail) to the customer. */
gboolean ticket_staff_reply(const ticket_change *change, const store_ticket *ticket,
                            const ticket_reply *reply, GError **error);

/* ticket_attachments_load - the files a staff reply carries, named and typed for mail;
 * NULL when one cannot be read or is over TICKET_ATTACH_MAX. */
GPtrArray *ticket_attachments_load(char **paths, GError **error);

/* ticket_set_status - a person's change, EVENT_STATUS and NOTIFY_STATUS; nothing is
 * written when the ticket has that status already. */
gboolean ticket_set_status(const ticket_change *change, const store_ticket *ticket, const char *status,
                           GError **error);

/* ticket_close - a person closes the ticket; the status it now has, NULL when it was
 * closed already or on error. */
const char *ticket_close(const ticket_change *change, const store_ticket *ticket, GError **error);

/*
 * ticket_customer_close - the account or a sub-account asked by mail to close the ticket
 * (its close address, or #cerrar): the mail is kept, the ticket closed with EVENT_STATUS,
 * NOTIFY_CLOSED confirms it to the customer and the desk gets the mail. A closed ticket
 * only keeps the mail; *closed says whether this closed it.
 */
gboolean ticket_customer_close(const ticket_change *change, const store_ticket *ticket,
                               const ticket_message *message, gboolean *closed, GError **error);

/* ticket_reopen - a person reopens a resolved or closed ticket; the status it now has,
 * NULL when refused or on error. */
const char *ticket_reopen(const ticket_change *change, const store_ticket *ticket, GError **error);

/* ticket_sweep - a [sweep] rule's change: EVENT_SWEEP with detail, NOTIFY_AUTO_CLOSED
 * when it closes, NOTIFY_STATUS otherwise. */
gboolean ticket_sweep(const ticket_change *change, const store_ticket *ticket, const char *status,
                      const char *detail, GError **error);

/* ticket_remind - a [sweep] rule will close the idle ticket in [sweep] remind:
 * EVENT_REMINDED with detail (no status change, so the ticket stays idle) and
 * NOTIFY_REMINDER to the customer. */
gboolean ticket_remind(const ticket_change *change, const store_ticket *ticket, const char *detail,
                       GError **error);

/* ticket_note - an internal note, EVENT_NOTE; never mailed. */
gboolean ticket_note(const ticket_change *change, const store_ticket *ticket, const char *text,
                     GError **error);

/* ticket_assign - to an agent, or unassigned when agent is NULL or ""; EVENT_ASSIGNED, and
 * the agent is told (unless they assigned it to themselves); no mail to the customer. */
gboolean ticket_assign(const ticket_change *change, const store_ticket *ticket, const char *agent,
                       GError **error);

/* ticket_merge - later replies to from land in into; EVENT_MERGED on each, no mail.
 * Refused when into was itself merged away. */
gboolean ticket_merge(const ticket_change *change, const store_ticket *from, const store_ticket *into,
                      GError **error);

/* ticket_robot_mail - a bounce, auto-reply or loop on its ticket: kept, an event of its
 * class (bounce, auto_reply, loop), never answered. */
gboolean ticket_robot_mail(const ticket_change *change, const store_ticket *ticket,
                           const ticket_message *message, const char *mail_class, GError **error);

/*
 * ticket_bounce_record (ticket_bounce.c) - a bounce that answers one of our notices, by
 * the VERP plus detail it was addressed to (NULL: none) or by the DSN's original
 * Message-ID, is recorded on the notice's recipient with its status. A permanent one
 * stops mail to the address and tells the desk, once. One that answers nothing of
 * ours changes nothing.
 */
gboolean ticket_bounce_record(const ticket_change *change, const parsed_message *message,
                              const char *plus_detail, GError **error);
/* ticket_bounce_forget - the address takes mail again (why: "it wrote in", "unbounce by
 * ana"): its bounces are forgotten, with a log line when there were any. */
gboolean ticket_bounce_forget(store *db, const char *address, const char *why, GError **error);

/* ticket_set_priority - low, medium, high or urgent; EVENT_PRIORITY, no mail. */
gboolean ticket_set_priority(const ticket_change *change, const store_ticket *ticket, const char *priority,
                             GError **error);

/* ticket_set_department - moved to another department; EVENT_DEPARTMENT, no mail. */
gboolean ticket_set_department(const ticket_change *change, const store_ticket *ticket, const char *slug,
                               GError **error);

/* A ticket a person opens for a customer (ticketctl open, #cliente by mail). */
typedef struct {
	int64_t account_id;
	const char *subject;
	const char *text;           /* the first message, written by change->actor */
	const GPtrArray *attachments; /* mail_attachment *, or NULL */
	const char *priority;       /* NULL: medium */
	const store_message_row *mail; /* the agent's mail when it came by mail, else NULL */
	/* A customer's mail the agent forwarded: it is the first message, written by the
	 * customer (direction in); the agent's own words above it become a note. */
	const char *forwarded_from; /* NULL: the first message is the agent's */
	const char *forwarded_text; /* the whole forwarded text; text is its quote-stripped words */
	const char *note;           /* NULL or "": none */
} ticket_opening;

/*
 * ticket_staff_open - the ticket in change->department with a staff-authored first
 * message (or the customer's forwarded one, and the agent's note), EVENT_CREATED, the confirmation with the code to the account and its notified
 * sub-accounts, and the notice to the department's other agents. The id, 0 on error.
 */
int64_t ticket_staff_open(const ticket_change *change, const ticket_opening *opening, char **code,
                          GError **error);

/*
 * ticket_staff_mail - an agent's mail to their signed address, commands already parsed
 * and without problems: the text goes to the customer as a staff reply (status from
 * #estado or #cerrar, else answered), or with #nota becomes an internal note; a mail of
 * only commands mails no customer. Then assignee, priority and department.
 */
gboolean ticket_staff_mail(const ticket_change *change, const store_ticket *ticket,
                           const staff_commands *commands, const ticket_message *mail, GError **error);

/* A mail that was held: what the desk and its sender are told. */
typedef struct {
	int64_t id;                 /* the held row: ticketctl held show ID */
	int64_t ticket_id;          /* the ticket it was for, 0 when none */
	const char *reason;
	const char *subject;
	const char *agent;          /* the agent told (a signed address's); NULL: the desk */
	gboolean tell_sender;       /* a person who gets sender_notice */
	notify_kind sender_notice;  /* NOTIFY_HELD_SUBACCOUNT or NOTIFY_HELD_UNKNOWN */
} ticket_held;

/* ticket_tell_held - the agent, else the ticket's assignee or its department's staff,
 * is told why a mail was held; with tell_sender its sender gets one polite answer. */
gboolean ticket_tell_held(const ticket_change *change, const ticket_held *held, GError **error);

/* ticket_tell_command_error - the agent's commands were not applied: they alone get why. */
gboolean ticket_tell_command_error(const ticket_change *change, const store_ticket *ticket, const char *problems,
                                   GError **error);

#endif
