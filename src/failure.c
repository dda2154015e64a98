/*
 * failure - the one place where a failure class becomes an LMTP reply (RFC 2033 §4.2,
 * enhanced codes of RFC 3463), an exit code for pipe(8) and procmail (sysexits(3): 75
 * is retried, the others bounce) and an IMAP action.
 */
#include <sysexits.h>

#include "failure.h"
#include "log.h"

const char *
failure_class_name(failure_class class)
{
	static const char *const names[] = { "ok", "temporary", "permanent" };

	return class <= FAILURE_PERMANENT ? names[class] : "?";
}

const char *
failure_lmtp_reply(failure outcome)
{
	switch (outcome.class) {
	case FAILURE_OK:
		return "250 2.0.0";
	case FAILURE_TEMPORARY:
		return "451 4.3.0";
	case FAILURE_PERMANENT:
		break;
	}
	switch (outcome.cause) {
	case FAILURE_NO_SUCH_USER:
		return "550 5.1.1";
	case FAILURE_POLICY:
		return "550 5.7.1";
	case FAILURE_SETUP:
		return "554 5.3.5";
	case FAILURE_MESSAGE:
		break;
	}
	return "554 5.6.0";
}

int
failure_exit_code(failure outcome)
{
	switch (outcome.class) {
	case FAILURE_OK:
		return EX_OK;
	case FAILURE_TEMPORARY:
		return EX_TEMPFAIL;
	case FAILURE_PERMANENT:
		break;
	}
	switch (outcome.cause) {
	case FAILURE_MESSAGE: return EX_DATAERR;
	case FAILURE_NO_SUCH_USER: return EX_NOUSER;
	case FAILURE_POLICY: return EX_NOPERM;
	case FAILURE_SETUP: return EX_CONFIG;
	}
	log_panic("unknown failure cause %d", outcome.cause);
}

failure_imap_action
failure_imap_action_for(failure outcome)
{
	switch (outcome.class) {
	case FAILURE_OK:
		return FAILURE_IMAP_DONE;
	case FAILURE_TEMPORARY:
		return FAILURE_IMAP_RETRY;
	case FAILURE_PERMANENT:
		return FAILURE_IMAP_LEAVE;
	}
	log_panic("unknown failure class %d", outcome.class);
}
