/*
 * notify - the outbound side. notify_queue() turns one ticket event into outbox rows
 * (one composed mail per recipient) inside the caller's transaction; notify_flush()
 * takes due rows and sends them over SMTP, with retry and backoff.
 */
#ifndef TICKETD_NOTIFY_H
#define TICKETD_NOTIFY_H

#include <glib.h>
#include <stdint.h>
#include "config.h"
#include "mime.h"
#include "store.h"

typedef enum {
	NOTIFY_CREATED,             /* confirmation with the code (auto-replied) */
	NOTIFY_STAFF_REPLY,         /* a staff member's words (human mail) */
	NOTIFY_STATUS,              /* status changed, old and new label (auto-generated) */
	NOTIFY_REOPENED,            /* a reply reopened a resolved or closed ticket */
	NOTIFY_AUTO_CLOSED,         /* the sweeper closed an idle ticket */
	NOTIFY_NEW_LINKED,          /* a reply to a closed ticket opened this new one */
	NOTIFY_REFUSED              /* a reply to a closed ticket was refused */
} notify_kind;

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
	const GPtrArray *attachments; /* mail_attachment *: the files a staff reply carries */
} notify_event;

const char *notify_kind_name(notify_kind kind);

/* notify_queue - outbox rows for one event, in the caller's open transaction. */
gboolean notify_queue(const ticketd_config *config, store *store, const notify_event *event,
                      int64_t now, GError **error);

/* notify_flush - send every due row once; returns how many were sent, -1 on error. */
int notify_flush(const ticketd_config *config, store *store, GError **error);

#endif
