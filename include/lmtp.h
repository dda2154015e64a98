/*
 * lmtp - the RFC 2033 server protocol as a socket-free state machine. Bytes go in with
 * lmtp_session_feed(), replies come out of lmtp_session_output(); recipients are checked
 * and messages delivered through callbacks. No I/O happens here, so the whole dialogue
 * can be tested in memory, whole and one byte at a time.
 */
#ifndef TICKETD_LMTP_H
#define TICKETD_LMTP_H

#include <glib.h>
#include "failure.h"
#include "ingest.h"

/* A command line longer than this (CRLF included) is answered 500 5.5.2. */
#define LMTP_LINE_MAX 2048
/* An envelope address longer than this is refused (RFC 5321 §4.5.3.1.3: 256). */
#define LMTP_PATH_MAX 256

typedef struct {
	const char *sender;         /* MAIL FROM, "" for the null sender <> */
	const char *const *recipients; /* accepted RCPT TO, in order */
	guint recipient_count;
	gboolean body_8bit;         /* BODY=8BITMIME */
	gboolean smtputf8;          /* SMTPUTF8 */
	const char *lhlo;           /* the client's LHLO argument */
} lmtp_envelope;

/* One result per accepted recipient; detail is a short printable text or NULL. */
typedef struct {
	failure status;
	char *detail;               /* g_free'd by the session */
} lmtp_outcome;

typedef struct {
	/*
	 * check_recipient - may this address receive mail? Must have no side effect.
	 * OK: 250 2.1.5; temporary: 451 4.3.0; permanent, no such user: 550 5.1.1.
	 */
	failure (*check_recipient)(void *context, const char *address);
	/*
	 * deliver - store the message for every recipient; fill outcomes[i] for
	 * envelope->recipients[i]. Returns only once the results are durable.
	 */
	void (*deliver)(void *context, const lmtp_envelope *envelope, const char *data,
	                gsize length, lmtp_outcome *outcomes);
	void *context;
} lmtp_callbacks;

typedef struct {
	const char *hostname;       /* in the greeting and the Received: line */
	const char *peer;           /* "unix socket", "127.0.0.1", for Received: */
	gsize max_message_size;     /* announced as SIZE; larger messages get 552 5.3.4 */
	guint max_recipients;       /* past this, 452 4.5.3 */
	gboolean fixed_date;        /* tests: a fixed date in Received: */
	int command_timeout;        /* seconds from a command line's first byte to its end; 0: none */
	int data_timeout;           /* seconds from 354 to the final dot, plus the rate's credit; 0: none */
	int data_min_rate;          /* bytes per second that earn DATA one more second; 0: none */
	gint64 (*clock)(void);      /* monotonic microseconds; NULL: g_get_monotonic_time */
} lmtp_settings;

typedef struct lmtp_session lmtp_session;

lmtp_session *lmtp_session_new(const lmtp_settings *settings, const lmtp_callbacks *callbacks);
void lmtp_session_free(lmtp_session *session);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(lmtp_session, lmtp_session_free)

/* lmtp_session_greeting - queue the 220 banner. */
void lmtp_session_greeting(lmtp_session *session);

/*
 * lmtp_session_feed - process bytes from the client in order; every complete command
 * is answered into the output. Input after QUIT is ignored.
 */
void lmtp_session_feed(lmtp_session *session, const char *bytes, gsize length);

/* lmtp_session_output - replies waiting to be written; the caller empties it. */
GString *lmtp_session_output(lmtp_session *session);

/* lmtp_session_done - QUIT was answered: flush the output and close. */
gboolean lmtp_session_done(const lmtp_session *session);

/* lmtp_session_busy - a transaction is in progress (MAIL given, or inside DATA). */
gboolean lmtp_session_busy(const lmtp_session *session);

/* lmtp_session_pending - bytes received but not yet forming a complete command. */
gsize lmtp_session_pending(const lmtp_session *session);

/* Why the server ends a connection on its own; each reason has its one 421 reply. */
typedef enum {
	LMTP_CLOSE_BUSY,            /* past the connection cap: 421 4.3.2 */
	LMTP_CLOSE_NO_SESSION,      /* no session could be started: 421 4.3.2 */
	LMTP_CLOSE_SHUTDOWN,        /* the server is stopping: 421 4.3.2 */
	LMTP_CLOSE_IDLE,            /* the client was silent past the idle timeout: 421 4.4.2 */
	LMTP_CLOSE_COMMAND_TIME,    /* a command line not finished in command_timeout: 421 4.4.2 */
	LMTP_CLOSE_DATA_TIME,       /* the message slower than data_timeout and data_min_rate: 421 4.4.2 */
	LMTP_CLOSE_NOT_ALLOWED      /* a unix socket peer not in allowed_users: 421 4.7.1 */
} lmtp_close_reason;

/* lmtp_close_reply - the whole 421 line, CRLF included, for a client refused before any session. */
const char *lmtp_close_reply(lmtp_close_reason reason);

/* lmtp_close_reason_name - the reason as a log line gives it: reason=idle, reason=data-timeout. */
const char *lmtp_close_reason_name(lmtp_close_reason reason);

/*
 * lmtp_session_deadline - by when (the settings' clock) the client must finish the command
 * line or the message it has begun, and *reason to close with past it; G_MAXINT64 between
 * commands, where only the caller's idle timeout applies. Every byte of a trickle counts
 * only through data_min_rate, so sending slowly never buys time.
 */
gint64 lmtp_session_deadline(const lmtp_session *session, lmtp_close_reason *reason);

/* lmtp_session_close - queue the 421 for reason; the session is done, later input is ignored. */
void lmtp_session_close(lmtp_session *session, lmtp_close_reason reason);

/* lmtp_outcome_set - the reply text for one recipient: its ticket and action, or why not. */
void lmtp_outcome_set(lmtp_outcome *outcome, const ingest_result *result);

#endif
