/*
 * held - the mail ticketd held for a person, and what a person does with it: release it
 * (taken in again through ingest exactly as if it arrived now, the rule that held it
 * waived, optionally into a named ticket) or discard it. Each held mail is settled once.
 */
#ifndef TICKETD_HELD_H
#define TICKETD_HELD_H

#include <glib.h>
#include "config.h"
#include "ingest.h"
#include "store.h"

#define HELD_ERROR (held_error_quark())

typedef enum {
	HELD_ERROR_NO_SUCH,         /* no held mail has this id */
	HELD_ERROR_SETTLED,         /* released or discarded before: nothing changes */
	HELD_ERROR_REFUSED          /* the release could go nowhere: it stays held, message says why */
} held_error_code;

GQuark held_error_quark(void);

/*
 * held_release - held mail id into a ticket, in one transaction with the record that it
 * was released (to_code: into that ticket; NULL: where it threads, else a new ticket).
 * result holds ingest's decision; the decision line is logged.
 */
gboolean held_release(const ticketd_config *config, store *store, int64_t id, const char *to_code,
                      const char *actor, ingest_result *result, GError **error);

/* held_discard - held mail id will never be taken in; kept on record as discarded. */
gboolean held_discard(store *store, int64_t id, const char *actor, GError **error);

#endif
