/*
 * status - the ticket statuses and their labels: Spanish by default,
 * English, and a configured label where the postmaster set one.
 */
#ifndef TICKETD_STATUS_H
#define TICKETD_STATUS_H

#include <glib.h>

#include "config.h"

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

/*
 * status_label - the label customers read, in lang ("es" when unknown): the one [labels]
 * of config names, else the built-in one. config NULL: the built-in labels.
 */
const char *status_label(const ticketd_config *config, const char *status, const char *lang);

/*
 * status_from_word - the status a person named: its internal name, or its label in
 * Spanish or English (configured or built in), case ignored; NULL when none.
 */
const char *status_from_word(const ticketd_config *config, const char *word);

#endif
