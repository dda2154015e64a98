/*
 * staff_forward - the customer's mail inside an agent's forward to the desk address,
 * whether attached whole (message/rfc822) or inline under a forward banner with its
 * De:/From: lines: who the customer is, what they wrote, and the agent's own words
 * above it.
 */
#ifndef TICKETD_STAFF_FORWARD_H
#define TICKETD_STAFF_FORWARD_H

#include <glib.h>

#include "mime.h"

/* Lines read after a banner looking for the forwarded header block. */
#define STAFF_FORWARD_HEADER_LINES 12

typedef struct {
	char *customer;             /* the forwarded From's address: valid, lower case */
	char *subject;              /* the forwarded Subject, else the agent's without Fwd:/RV: */
	char *text;                 /* the customer's mail as forwarded */
	char *new_text;             /* the same without its own quoted history */
	char *agent_text;           /* the agent's lines above the forward, quote-stripped */
	const GPtrArray *attachments; /* mail_attachment *: the customer's files */
	parsed_message *inner;      /* the attached message, parsed; NULL for an inline forward */
} staff_forward;

/* staff_forward_find - the forwarded customer mail of message: an attached message
 * first, else the first inline banner followed by a From line; NULL when none. */
staff_forward *staff_forward_find(const parsed_message *message);
void staff_forward_free(staff_forward *forward);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(staff_forward, staff_forward_free)

/* staff_forward_address - the addr-spec in a header value as mail clients print it
 * ("Ana <ana@x.es>", "Ana [mailto:ana@x.es]", "ana@x.es"), its domain folded; NULL when none. */
char *staff_forward_address(const char *value);

#endif
