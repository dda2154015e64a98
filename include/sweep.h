/*
 * sweep - the timers: the [sweep] rules "status X untouched by the customer for D →
 * status Y", applied SWEEP_BATCH tickets to a transaction, each change an event with its
 * notification. The daemon runs it every [sweep] interval; ticketctl sweep runs it once.
 */
#ifndef TICKETD_SWEEP_H
#define TICKETD_SWEEP_H

#include <glib.h>
#include <stdint.h>
#include "config.h"
#include "store.h"

/* Tickets moved per transaction. A backlog (a daemon that was down, an imported
 * history) must not hold the write lock that deliveries wait for, nor sit in memory whole. */
#define SWEEP_BATCH 100

/* sweep_run - apply every rule as of now; how many tickets changed, -1 on error (the
 * batches committed before it stay). */
int sweep_run(const ticketd_config *config, store *db, int64_t now, GError **error);

#endif
