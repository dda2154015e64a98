/*
 * sweep - the timers: the [sweep] rules "status X untouched by the customer for D →
 * status Y", applied in one transaction, each change an event with its notification.
 * The daemon runs it every minute; ticketctl sweep runs it once.
 */
#ifndef TICKETD_SWEEP_H
#define TICKETD_SWEEP_H

#include <glib.h>
#include <stdint.h>
#include "config.h"
#include "store.h"

/* sweep_run - apply every rule as of now, 100 tickets per transaction; how many tickets
 * changed, -1 on error (the batches committed before it stay). */
int sweep_run(const ticketd_config *config, store *db, int64_t now, GError **error);

#endif
