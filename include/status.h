/*
 * status - the ticket statuses (DESIGN.md) and their labels: Spanish by default,
 * English, and a configured label where the postmaster set one.
 */
#ifndef TICKETD_STATUS_H
#define TICKETD_STATUS_H

#include <glib.h>

/* status_valid - one of open answered customer_reply on_hold in_progress pending resolved closed. */
gboolean status_valid(const char *status);

/* status_label - the label customers read, in lang ("es" when unknown). */
const char *status_label(const char *status, const char *lang);

/* status_set_label - a configured label replaces the built-in one for that language. */
void status_set_label(const char *status, const char *lang, const char *label);

#endif
