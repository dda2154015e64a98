/*
 * ingest-private - what the files of the ingest part share: the decision for one mail
 * (ingest.c) and the staff side of it, signed addresses and commands (ingest_staff.c).
 */
#ifndef TICKETD_INGEST_PRIVATE_H
#define TICKETD_INGEST_PRIVATE_H

#include "ingest.h"
#include "ticket.h"

typedef enum { SENDER_UNKNOWN, SENDER_ACCOUNT, SENDER_SUBACCOUNT, SENDER_STAFF, SENDER_DISABLED } sender_role;

typedef struct {
	sender_role role;
	int64_t account_id;
	gboolean can_open;
} sender_identity;

typedef struct {
	const ticketd_config *config;
	store *store;
	const char *raw;
	gsize length;
	const parsed_message *message;
	const ingest_envelope *envelope;
	const department_config *department;
	char *plus_detail;
	char *dedup_key;
	char *gate_reason;          /* a hold reason made for this mail, when one was */
	char *reused_from;          /* the ticket of another mail with this Message-ID */
	const char *sender;         /* From address, lower case, "" when missing */
	int64_t now;
	ingest_result *result;
	GError *error;              /* the store failure that makes this temporary */
	const inbound_release *release; /* a person releasing this mail from hold, or NULL */
	gboolean hold_quietly;      /* a flood past intake_per_hour: held, nobody told again */
} ingest_context;

/* The mail as the ticket transitions see it: who changed what, and the message to keep. */
typedef struct {
	char *references;
	GPtrArray *watchers;        /* char *: who the customer copied, NULL for other mail */
	store_message_row row;
	ticket_message message;
	ticket_change change;
} ingest_transition;

void ingest_transition_clear(ingest_transition *transition);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(ingest_transition, ingest_transition_clear)

/* ingest_transition_init - this mail, of class, as the message and the change it makes. */
void ingest_transition_init(ingest_context *ctx, ingest_transition *transition, mail_class class);

/* ingest_decided - set the action, ticket and the one-sentence reason. */
void ingest_decided(ingest_context *ctx, ingest_action action, const char *code, const char *format, ...)
	G_GNUC_PRINTF(4, 5);

/* ingest_hold - kept raw, for a person to look at; the desk is told. */
void ingest_hold(ingest_context *ctx, const char *reason);

/* ingest_hold_for - held as mail for ticket (NULL: none); agent (NULL: the desk) is told.
 * Released by a person, the same reason holds it no more: it goes in instead. */
void ingest_hold_for(ingest_context *ctx, const char *reason, const store_ticket *ticket, const char *agent);

/* ingest_from_unsound - a From that identifies nobody: malformed, or more than one address. */
gboolean ingest_from_unsound(const parsed_message *message);

/* ingest_dmarc_passed - our MTA's Authentication-Results say DMARC passed for the From's
 * domain (RFC 8601, authserv_id); *why says why not, when why is not NULL. */
gboolean ingest_dmarc_passed(const ingest_context *ctx, const char **why);

/* ingest_follow_merges - a merged ticket's replies land in the survivor: *ticket becomes
 * it. FALSE on a store error. */
gboolean ingest_follow_merges(ingest_context *ctx, store_ticket *ticket);

/* ingest_signed - mail to an agent's signed address (soporte+CODE.token@, +desk.token@):
 * the agent's reply, commands or ticket for a customer, or held with the reason. */
void ingest_signed(ingest_context *ctx);

/* ingest_signed_code - the ticket code a signed plus detail names, or NULL. */
char *ingest_signed_code(const ingest_context *ctx);

/* ingest_is_signed - the mail reached a signed address, an agent's for a ticket or desk. */
gboolean ingest_is_signed(const ingest_context *ctx);

/* ingest_duplicate - this very mail delivered before: report what was done then, change nothing. */
gboolean ingest_duplicate(ingest_context *ctx);

/* ingest_on_ticket_already - one mail sent to two addresses that reach the same ticket. */
gboolean ingest_on_ticket_already(ingest_context *ctx, const store_ticket *ticket);

/*
 * ingest_flag_reused - a mail of its own that carries a Message-ID another mail had: the
 * decision's reason says so in the log line, and the ticket that keeps it records it
 * for `ticketctl show`.
 */
void ingest_flag_reused(ingest_context *ctx);

/* ingest_remember_delivery - what this delivery did, so a second one changes nothing. */
void ingest_remember_delivery(ingest_context *ctx);

/*
 * ingest_over_limits - a message past a parsing limit, or one the parser must not see
 * again, is held whole with the reason: never threaded or answered from a partial
 * parse, never dropped.
 */
gboolean ingest_over_limits(ingest_context *ctx);

/* ingest_gate - why a known sender's mail must only be held, or NULL. */
const char *ingest_gate(ingest_context *ctx, sender_identity identity);

/* ingest_plus_code - the ticket code the plus detail names: CODE, CODE-cerrar, CODE.token. */
char *ingest_plus_code(const ingest_context *ctx);

/* ingest_close_asked - mail to a close address, or whose first line is #cerrar / #close. */
gboolean ingest_close_asked(const ingest_context *ctx);

/* ingest_close - a request to close ticket (NULL: it named none): closed when the
 * account or a sub-account asked, else held with the reason. */
void ingest_close(ingest_context *ctx, sender_identity identity, const store_ticket *ticket);

#endif
