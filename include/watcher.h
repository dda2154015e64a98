/*
 * watcher - the people in copy of a customer's mail (Cc, and To other than the desk's
 * addresses): they become the ticket's watchers, are copied on its notices and may
 * answer on that ticket alone. They have no account and open nothing.
 */
#ifndef TICKETD_WATCHER_H
#define TICKETD_WATCHER_H

#include <glib.h>
#include <stdint.h>
#include "config.h"
#include "mime.h"
#include "store.h"

/* watcher_refusal - why address may not watch a ticket, or NULL when it may. */
const char *watcher_refusal(const ticketd_config *config, store *db, const char *address, GError **error);

/*
 * watcher_from_mail - the To and Cc addresses of a customer's mail to department that
 * become watchers (none when its cc = ignore); never the sender, the desk, robots, staff
 * or an address with an account or sub-account of its own. char *, NULL on error.
 */
GPtrArray *watcher_from_mail(const ticketd_config *config, store *db, const department_config *department,
                             const parsed_message *message, GError **error);

/* watcher_add, watcher_remove, watcher_list - a person's changes, in the caller's
 * transaction; STORE_ERROR_NOT_FOUND names the missing ticket or watcher. */
gboolean watcher_add(const ticketd_config *config, store *db, const char *code, const char *address,
                     int64_t now, GError **error);
gboolean watcher_remove(store *db, const char *code, const char *address, GError **error);
GPtrArray *watcher_list(store *db, const char *code, GError **error);      /* char * */

#endif
