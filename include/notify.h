/*
 * notify - the outbound side. notify_queue() turns one ticket event into outbox rows
 * (one composed mail per recipient) inside the caller's transaction; notify_flush()
 * takes due rows and sends them over SMTP, with retry and backoff.
 */
#ifndef TICKETD_NOTIFY_H
#define TICKETD_NOTIFY_H

#include <glib.h>
#include <stdint.h>
#include "config.h"
#include "event.h"
#include "mime.h"
#include "store.h"

/* notify_queue - outbox rows for one event, in the caller's open transaction. */
gboolean notify_queue(const ticketd_config *config, store *store, const notify_event *event,
                      int64_t now, GError **error);

/* notify_flush - send every due row once; returns how many were sent, -1 on error. */
int notify_flush(const ticketd_config *config, store *store, GError **error);

/*
 * notify_flush_report - notify_flush, and *relay_down (when not NULL; set only to TRUE)
 * says the pass stopped because no server answered or TLS, login or setup failed: what
 * is still due waits for the next pass.
 */
int notify_flush_report(const ticketd_config *config, store *store, gboolean *relay_down, GError **error);

#endif
