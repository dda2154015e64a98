/*
 * imap - one [imap:NAME] mailbox as a source of mail: connect with verified TLS, take
 * every message above the last UID done with BODY.PEEK[], ingest it, and only after the
 * commit flag, move or delete it on the server. IDLE when offered, polling otherwise.
 */
#ifndef TICKETD_IMAP_H
#define TICKETD_IMAP_H

#include <glib.h>
#include "config.h"
#include "failure.h"
#include "store.h"

#define IMAP_ERROR (imap_error_quark())

/*
 * The outcome of a pass, and the error code of an IMAP_ERROR: FAILURE_OK, every message
 * above the last UID was taken care of; FAILURE_TEMPORARY, network, server or database
 * trouble, try again later; FAILURE_PERMANENT (cause FAILURE_SETUP), certificate, login
 * or mailbox refused, fix the setup.
 */

typedef struct {
	int ingested;               /* committed (new, reply, duplicate, ...) and acted upon */
	int left;                   /* left in place: over the size limit or refused by ingest */
} imap_pass_counts;

GQuark imap_error_quark(void);

/*
 * imap_fetch_once - connect, log in, one pass over the mailbox, log out: what
 * `ticketctl fetch SOURCE --once` runs. *error says why when not FAILURE_OK.
 */
failure imap_fetch_once(const imap_source_config *source, const ticketd_config *config,
                        store *db, imap_pass_counts *counts, GError **error);

/*
 * imap_run - the worker of one source, until *stop becomes TRUE (read with
 * g_atomic_int_get at least once a second, so the daemon's atomic flag can be passed): connect, catch up, IDLE (or poll), catch up again after every wake-up;
 * reconnect with backoff after errors. Opens and closes its own store handle. Meant for
 * a thread or process of its own, so that a stuck server never blocks anything else;
 * one thread per source. Each state change is logged once.
 */
void imap_run(const imap_source_config *source, const ticketd_config *config,
              volatile gboolean *stop);

#endif
