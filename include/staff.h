/*
 * staff - who the desk's agents are and the addresses only they can use. An agent's
 * reply address for a ticket (soporte+KQZ-482913.k3f9q2ab@example.com) and personal desk
 * address (soporte+desk.k3f9q2ab@example.com) carry a short HMAC-SHA256 over the ticket
 * code (or "desk") and the agent's address, keyed by [ticketd] secret_file: a code alone,
 * a From alone, or another agent's or ticket's token never verifies.
 */
#ifndef TICKETD_STAFF_H
#define TICKETD_STAFF_H

#include <glib.h>

#include "config.h"
#include "store.h"

/* base32 characters of a token: 40 bits, beyond guessing by mail at any rate we accept. */
#define STAFF_TOKEN_CHARS 8
/* The plus detail of a personal desk address, before its token. */
#define STAFF_DESK "desk"

/*
 * staff_token - the token of (code or STAFF_DESK, agent), lower-case base32; NULL without a
 * key. It is signed over the code in upper case and the agent's address in lower case, so
 * one agent has one token however a client or MTA writes the address back.
 */
char *staff_token(const ticketd_config *config, const char *code, const char *agent);

/* staff_reply_address - the agent's signed address for the ticket; NULL without a key. */
char *staff_reply_address(const ticketd_config *config, const store_ticket *ticket, const char *agent);

/* staff_desk_address - the agent's personal signed desk address; NULL without a key. */
char *staff_desk_address(const ticketd_config *config, const char *agent);

/*
 * staff_signed_detail - split a plus detail "CODE.token" or "desk.token"; FALSE when it
 * is no signed detail. *code is upper case (or STAFF_DESK), *token lower case.
 */
gboolean staff_signed_detail(const char *detail, char **code, char **token);

/*
 * staff_token_agent - the agent (borrowed from config) whose token for code this is,
 * compared in constant time against every agent of every department (a ticket may have
 * moved since the notice); NULL when none.
 */
const char *staff_token_agent(const ticketd_config *config, const char *code, const char *token);

/* staff_of_department - [ticketd] staff and the department's own (NULL: none), once
 * each: a new array of borrowed strings. */
GPtrArray *staff_of_department(const ticketd_config *config, const char *department);

#endif
