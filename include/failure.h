/*
 * failure - the one failure class of every outcome: done, temporary (the sender or the
 * poller tries again) or permanent (a retry cannot help), with the cause a permanent
 * failure needs for its exact reply. Mapped here, once, to LMTP replies, sysexits(3)
 * exit codes and what the IMAP poller does with the message.
 */
#ifndef TICKETD_FAILURE_H
#define TICKETD_FAILURE_H

typedef enum {
	FAILURE_OK,                 /* done (or done before): 250, exit 0, flag or move */
	FAILURE_TEMPORARY,          /* try again later: 451 4.3.0, EX_TEMPFAIL, left for the next pass */
	FAILURE_PERMANENT           /* a retry cannot help: 5xx, exit by cause, left in the mailbox */
} failure_class;

/* Why a permanent failure is permanent; ignored for the other classes. */
typedef enum {
	FAILURE_MESSAGE,            /* the message itself: 554 5.6.0, EX_DATAERR */
	FAILURE_NO_SUCH_USER,       /* no department has the address: 550 5.1.1, EX_NOUSER */
	FAILURE_POLICY,             /* refused by policy: 550 5.7.1, EX_NOPERM */
	FAILURE_SETUP               /* certificate, login, mailbox: fix the setup, EX_CONFIG */
} failure_cause;

typedef struct {
	failure_class class;
	failure_cause cause;
} failure;

/* What the IMAP poller does with a message after its outcome. */
typedef enum {
	FAILURE_IMAP_DONE,          /* flag, move or delete it as configured, go on */
	FAILURE_IMAP_RETRY,         /* leave it unflagged, end the pass, read it again later */
	FAILURE_IMAP_LEAVE          /* leave it unflagged in the mailbox for a person, go on */
} failure_imap_action;

static inline failure
failure_ok(void)
{
	return (failure){ FAILURE_OK, FAILURE_MESSAGE };
}

static inline failure
failure_temporary(void)
{
	return (failure){ FAILURE_TEMPORARY, FAILURE_MESSAGE };
}

static inline failure
failure_permanent(failure_cause cause)
{
	return (failure){ FAILURE_PERMANENT, cause };
}

/* failure_class_name - "ok", "temporary", "permanent": the status= of a log line. */
const char *failure_class_name(failure_class class);

/* failure_lmtp_reply - the reply code and enhanced status code, e.g. "550 5.1.1". */
const char *failure_lmtp_reply(failure outcome);

/* failure_exit_code - the sysexits(3) code: 0, 75, 65, 67, 77 or 78. */
int failure_exit_code(failure outcome);

/* failure_imap_action_for - flag or move it, try it again later, or leave it. */
failure_imap_action failure_imap_action_for(failure outcome);

#endif
