/*
 * status - the ticket statuses (DESIGN.md) and their labels: Spanish by default,
 * English, and a configured label where the postmaster set one.
 */
#ifndef TICKETD_STATUS_H
#define TICKETD_STATUS_H

#include <glib.h>

/* The internal names, as the database keeps them (tickets.status). */
#define STATUS_OPEN           "open"
#define STATUS_ANSWERED       "answered"
#define STATUS_CUSTOMER_REPLY "customer_reply"
#define STATUS_ON_HOLD        "on_hold"
#define STATUS_IN_PROGRESS    "in_progress"
#define STATUS_PENDING        "pending"
#define STATUS_RESOLVED       "resolved"
#define STATUS_CLOSED         "closed"

/* status_valid - one of open answered customer_reply on_hold in_progress pending resolved closed. */
gboolean status_valid(const char *status);

/* status_label - the label customers read, in lang ("es" when unknown). */
const char *status_label(const char *status, const char *lang);

/*
 * status_use_labels - the configured labels, "lang:status" → label, replace the built-in
 * ones (those not named keep theirs). Called at start-up and by a reload in the
 * single-threaded supervisor, never while other threads read labels.
 */
void status_use_labels(GHashTable *labels);

#endif
