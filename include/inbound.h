/*
 * inbound - one received message as every source hands it to ingest (LMTP, `ticketd
 * deliver`, IMAP, `ticketctl import`): the exact bytes, parsed once, the envelope sender
 * and the recipients, either the envelope's or, without an envelope, one To/Cc address
 * per department the headers name. Each recipient is then one ingest_message() call.
 */
#ifndef TICKETD_INBOUND_H
#define TICKETD_INBOUND_H

#include <glib.h>
#include "config.h"
#include "mime.h"

/* A held mail taken in again by a person (ticketctl held release): the rule that held it
 * is waived, once, and the mail goes where staff said or where it threads. */
typedef struct {
	int64_t held_id;
	const char *reason;         /* the reason it was held with: not applied again */
	const char *to_code;        /* --to CODE: append to this ticket, or NULL */
	const char *actor;          /* who released it */
} inbound_release;

typedef struct {
	const char *source;         /* "lmtp", "deliver", "imap", "import", "release": in the log line */
	const char *raw;            /* the exact bytes, borrowed from the caller */
	gsize length;
	const parsed_message *message;
	const char *sender;         /* envelope MAIL FROM, "" for <>, NULL when there is none */
	GPtrArray *recipients;      /* const char *, borrowed: envelope RCPT TO, or from To/Cc */
	parsed_message *owned;      /* message, when inbound_new() parsed it */
	const inbound_release *release; /* set only when a person releases held mail */
} inbound;

/* inbound_new - parse raw once; raw and sender stay the caller's and must outlive it. */
inbound *inbound_new(const char *source, const char *raw, gsize length, const char *sender);

/*
 * inbound_new_within - inbound_new, but a parse that runs past seconds is given up:
 * the message is handed over unparsed, and ingest keeps it raw and holds it with the
 * reason. Parsing cannot be interrupted safely, so it goes on in a thread of its own,
 * on its own copy of the bytes, until it ends or the process does.
 */
inbound *inbound_new_within(const char *source, const char *raw, gsize length, const char *sender,
                            int seconds);

/* inbound_abandoned_parses - parses given up on that still run. */
guint inbound_abandoned_parses(void);

/*
 * inbound_exit_code - code, for main() to return; but while a parse given up on still
 * runs, the process ends here by _exit(code): exit()'s handlers (libxml2's cleanup)
 * would pull the parser's state from under it. Close the store first.
 */
int inbound_exit_code(int code);

/* inbound_new_parsed - a message parsed already (under the daemon's guard), still the caller's. */
inbound *inbound_new_parsed(const char *source, const char *raw, gsize length,
                            const parsed_message *message, const char *sender);

void inbound_free(inbound *mail);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(inbound, inbound_free)

/* inbound_add_recipient - one envelope recipient, in order; borrowed. */
void inbound_add_recipient(inbound *mail, const char *recipient);

/*
 * inbound_recipients_from_headers - no envelope recipient: the To and Cc addresses that
 * reach a department, one per department. Returns how many there are now.
 */
guint inbound_recipients_from_headers(inbound *mail, const ticketd_config *config);

/* inbound_too_big - over max_message_size: refused whole by every source, never cut. */
gboolean inbound_too_big(const ticketd_config *config, gsize length);

#endif
