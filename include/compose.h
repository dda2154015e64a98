/*
 * compose - one outbound notification as a finished mail (GMime): the template of its
 * event in the reader's language, UTF-8 quoted-printable, CRLF, and the headers that make
 * replies thread and keep robots quiet (Message-ID, In-Reply-To, Reply-To, Auto-Submitted).
 */
#ifndef TICKETD_COMPOSE_H
#define TICKETD_COMPOSE_H

#include <glib.h>

#include "config.h"
#include "event.h"
#include "mime.h"
#include "store.h"

typedef struct {
	notify_kind kind;
	const store_ticket *ticket;
	const char *recipient;      /* validated address */
	const char *recipient_name; /* may be NULL or "" */
	const char *language;       /* "es" or "en" */
	const notify_event *event;
	const GPtrArray *suggestions; /* kb_suggestion *: help-centre articles, or NULL */
	const char *author_role;    /* staff notices: "account", "subaccount", "staff" or "other" */
	const GPtrArray *cc;        /* char *: the others the same mail goes to, or NULL */
	const GPtrArray *thread;    /* char *: the Message-IDs of the ticket's thread so far, oldest
	                             * first; the mail answers the last unless event->in_reply_to */
} compose_request;

/* compose_automatic - whether a kind of notification is automatic mail (null sender). */
gboolean compose_automatic(notify_kind kind);

/* compose_mail - the CRLF bytes of the mail; *message_id gets its Message-ID (no <>). */
GBytes *compose_mail(const ticketd_config *config, const compose_request *request, char **message_id);

/*
 * compose_template_text - the body: templates_dir/<lang>/<kind>.txt (else es/, else built
 * in) with {code} {tag} {subject} {department} {department_address} {status} {old_status}
 * {text} {name} {linked_code} {suggestions} filled, and for staff notices {author} {agent}
 * {reason} {priority} {assignee} {attachments}; LF line ends, valid UTF-8; never NULL.
 */
char *compose_template_text(const ticketd_config *config, const compose_request *request);

#endif
