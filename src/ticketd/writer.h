/*
 * writer - group commit: one thread owns the write connection to the store. Sessions
 * hand it parsed messages and block; it applies everything queued in one transaction,
 * commits (one fsync), logs each decision, then wakes them all with their results.
 */
#ifndef TICKETD_WRITER_H
#define TICKETD_WRITER_H

#include <glib.h>
#include "config.h"
#include "ingest.h"
#include "store.h"

/* Items per transaction, at most: bounds the time a batch holds the write lock. */
#define WRITER_BATCH_MAX 256

/* One message for one recipient. The caller owns everything it points to. */
typedef struct {
	const ticketd_config *config;
	const inbound *mail;        /* parsed once for all its recipients */
	const char *recipient;      /* one of mail's envelope recipients */
	int guard_slot;             /* the message's slot in the guard table, or -1 */
	ingest_result result;       /* filled by the writer; ingest_result_clear() it */
} writer_item;

typedef struct writer writer;

/* writer_start - start the thread; it owns the store from now on. */
writer *writer_start(store *store);

/* writer_submit - apply and commit the items; returns once their results are final. */
void writer_submit(writer *writer, writer_item *items, guint count);

/* writer_stop - finish what is queued, stop the thread, close the store. */
void writer_stop(writer *writer);

#endif
