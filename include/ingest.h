/*
 * ingest - the one path every inbound message takes, whatever brought it
 * (LMTP, deliver, IMAP, Maildir import): classify, route, thread, decide, commit, for
 * one recipient of an inbound message parsed once. The caller acknowledges only after
 * ingest_message() (or its own commit of ingest_apply()) left the failure class OK.
 */
#ifndef TICKETD_INGEST_H
#define TICKETD_INGEST_H

#include <glib.h>
#include "config.h"
#include "failure.h"
#include "inbound.h"
#include "mime.h"
#include "store.h"

/* What a mail is, by classify.c; all but normal are stored and never answered. */
typedef enum {
	MAIL_NORMAL,
	MAIL_BOUNCE,                /* a delivery report (RFC 3464), standard or not */
	MAIL_AUTO_REPLY,            /* RFC 3834 auto-replies, out-of-office, vacation */
	MAIL_LOOP,                  /* our own mail come back */
	MAIL_RECEIPT,               /* a read receipt (RFC 8098 MDN) */
	MAIL_ABUSE_REPORT,          /* an abuse or complaint report (RFC 5965 ARF) */
	MAIL_LIST,                  /* a mailing list or bulk sender (RFC 2369, 2919) */
	MAIL_CLASS_COUNT
} mail_class;

typedef enum {
	ACTION_NEW,                 /* a new ticket, status open */
	ACTION_REPLY,               /* appended, status customer_reply */
	ACTION_STAFF_REPLY,         /* appended from staff, status answered */
	ACTION_REOPEN,              /* appended, resolved/closed → customer_reply */
	ACTION_NEW_LINKED,          /* reply to a closed ticket opened a new one */
	ACTION_REFUSE,              /* reply to a closed ticket, refused with a reply */
	ACTION_REJECT,              /* unknown sender under unknown_sender = reject */
	ACTION_HOLD,                /* kept raw for a person */
	ACTION_DROP,                /* bounce / auto-reply / loop: stored, logged, nothing else */
	ACTION_DUPLICATE            /* delivered before: nothing changes */
} ingest_action;

typedef struct {
	ingest_action action;
	char *ticket;               /* code, NULL when none */
	char *linked_ticket;        /* the closed ticket a new_linked one refers to */
	const char *department;     /* slug, borrowed from config */
	char *reason;               /* one human sentence */
} ingest_decision;

/* The envelope one decision sees: the inbound's sender and one of its recipients. */
typedef struct {
	const char *sender;         /* envelope MAIL FROM, "" for <>, NULL when unknown */
	const char *recipient;      /* envelope RCPT TO; NULL: use To/Cc */
} ingest_envelope;

typedef struct {
	failure failure;            /* ok, temporary (error says why) or permanent */
	ingest_decision decision;
	mail_class class;
	const char *class_signal;   /* static: the rule of classify that decided the class */
	char *error;                /* why, for a temporary or permanent failure */
} ingest_result;

const char *mail_class_name(mail_class class);
const char *ingest_action_name(ingest_action action);

/* classify_message - bounce, auto-reply, receipt, abuse report, list, loop or normal. */
mail_class classify_message(const ticketd_config *config, const parsed_message *message,
                            const char *envelope_sender);

/* classify_explain - the same, and in *signal (static text) the rule that decided. */
mail_class classify_explain(const ticketd_config *config, const parsed_message *message,
                            const char *envelope_sender, const char **signal);

/*
 * ingest_decide - the decision for one recipient (NULL: the first department To/Cc
 * names), in a transaction rolled back: for `ticketctl inspect`.
 */
void ingest_decide(const ticketd_config *config, store *store, const inbound *mail,
                   const char *recipient, ingest_result *result);

/*
 * ingest_message - the entry of deliver, IMAP and import: decide and commit the message
 * for one recipient in one transaction of its own, then log the decision. The raw bytes
 * are kept exactly.
 */
void ingest_message(const ticketd_config *config, store *store, const inbound *mail,
                    const char *recipient, ingest_result *result);

/*
 * ingest_apply - decide and write inside a transaction the caller holds (group commit).
 * The caller commits, and on a failed commit reports a temporary failure for all it
 * applied, then logs each with ingest_log().
 */
void ingest_apply(const ticketd_config *config, store *store, const inbound *mail,
                  const char *recipient, ingest_result *result);

void ingest_result_clear(ingest_result *result);

/* ingest_result_defer - clear result to a temporary failure: nothing of it was kept. */
void ingest_result_defer(ingest_result *result, const char *why);

/*
 * ingest_result_uncommitted - the commit of an applied decision failed: a temporary
 * failure whose error says why and what the decision had been, naming no ticket (its
 * code was never committed).
 */
void ingest_result_uncommitted(ingest_result *result, const char *why);

/*
 * ingest_header_recipients - without an envelope (Maildir import, deliver without -r):
 * the To and Cc addresses that reach a department, one per department. The strings
 * belong to message.
 */
GPtrArray *ingest_header_recipients(const ticketd_config *config, const parsed_message *message);

/*
 * ingest_log - the one log line of a decision, after its commit, the same from every
 * source (Postfix style): "CODE: from=<>, to=<>, message-id=<>, action=, department=,
 * class=, source=, status=, reason=", CODE being NOQUEUE when no ticket holds the mail.
 */
void ingest_log(const inbound *mail, const char *recipient, const ingest_result *result);

/*
 * ingest_dedup_key - what makes two deliveries the same mail: "sha256:<hex>" of the raw
 * bytes, Message-ID included, not counting the trace headers (Return-Path, Received,
 * Delivered-To, X-Original-To) a retried delivery may carry differently, nor CR before LF.
 */
char *ingest_dedup_key(const parsed_message *message, const char *raw, gsize length);

/* ingest_content_key - "sha256:<hex>" of the raw bytes, the same way, whatever the Message-ID. */
char *ingest_content_key(const char *raw, gsize length);

#endif
