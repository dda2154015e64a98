/*
 * writer - group commit for the daemon. Every session queues its items and waits; the
 * writer thread takes all that is queued, runs BEGIN IMMEDIATE, ingest_apply() for each,
 * COMMIT, logs each decision with ingest_log(), and only then wakes the sessions. A store failure inside the batch rolls it
 * back and the items are retried one by one, so one bad message cannot fail the others.
 */
#include <string.h>

#include "log.h"
#include "guard.h"
#include "writer.h"

typedef struct {
	writer_item *items;
	guint count;
	gboolean done;
} writer_job;

struct writer {
	store *store;
	GThread *thread;
	GMutex lock;
	GCond queued;               /* a job arrived, or stop */
	GCond finished;             /* some job is done */
	GQueue jobs;                /* writer_job *, oldest first */
	gboolean stopping;
};

/*
 * writer_poisoned - did this item leave the transaction in a state we cannot commit?
 * A refusal (no such department, policy) writes nothing; any other failure may have
 * written half a message.
 */
static gboolean
writer_poisoned(const writer_item *item)
{
	const failure *outcome = &item->result.failure;

	return outcome->class == FAILURE_TEMPORARY ||
	       (outcome->class == FAILURE_PERMANENT && outcome->cause == FAILURE_MESSAGE);
}

/* writer_apply - decide and write one item; the guard times it while it runs. */
static void
writer_apply(writer *w, writer_item *item)
{
	guard_busy(item->guard_slot);
	ingest_apply(item->config, w->store, item->mail, item->recipient, &item->result);
	guard_idle(item->guard_slot);
}

/* writer_one - one item in a transaction of its own. */
static void
writer_one(writer *w, writer_item *item)
{
	g_autoptr(GError) error = NULL;

	if (!store_begin(w->store, &error)) {
		ingest_result_defer(&item->result, error->message);
		return;
	}
	writer_apply(w, item);
	if (item->result.failure.class != FAILURE_OK) {
		store_rollback(w->store);
	} else if (!store_commit(w->store, &error)) {
		store_rollback(w->store);
		ingest_result_uncommitted(&item->result, error->message);
	}
}

/* writer_batch - all items of all jobs in one transaction, or one by one on trouble. */
static void
writer_batch(writer *w, GPtrArray *jobs)
{
	g_autoptr(GError) error = NULL;
	gboolean poisoned = FALSE;
	guint applied = 0;

	if (!store_begin(w->store, &error)) {
		for (guint j = 0; j < jobs->len; j++) {
			writer_job *job = g_ptr_array_index(jobs, j);

			for (guint i = 0; i < job->count; i++)
				ingest_result_defer(&job->items[i].result, error->message);
		}
		return;
	}
	for (guint j = 0; j < jobs->len && !poisoned; j++) {
		writer_job *job = g_ptr_array_index(jobs, j);

		for (guint i = 0; i < job->count && !poisoned; i++) {
			writer_apply(w, &job->items[i]);
			applied++;
			poisoned = writer_poisoned(&job->items[i]);
		}
	}
	if (!poisoned && store_commit(w->store, &error))
		return;
	store_rollback(w->store);
	if (!poisoned) {
		log_warning("group commit of %u items failed: %s", applied, error->message);
		for (guint j = 0; j < jobs->len; j++) {
			writer_job *job = g_ptr_array_index(jobs, j);

			for (guint i = 0; i < job->count; i++)
				ingest_result_uncommitted(&job->items[i].result, error->message);
		}
		return;
	}
	/* Something failed inside: redo each item alone, so only that one fails. */
	for (guint j = 0; j < jobs->len; j++) {
		writer_job *job = g_ptr_array_index(jobs, j);

		for (guint i = 0; i < job->count; i++) {
			ingest_result_clear(&job->items[i].result);
			writer_one(w, &job->items[i]);
		}
	}
}

static gpointer
writer_thread(gpointer data)
{
	writer *w = data;
	g_autoptr(GPtrArray) jobs = g_ptr_array_new();

	g_mutex_lock(&w->lock);
	for (;;) {
		guint items = 0;

		while (g_queue_is_empty(&w->jobs) && !w->stopping)
			g_cond_wait(&w->queued, &w->lock);
		if (g_queue_is_empty(&w->jobs))
			break;
		g_ptr_array_set_size(jobs, 0);
		while (!g_queue_is_empty(&w->jobs) && items < WRITER_BATCH_MAX) {
			writer_job *job = g_queue_pop_head(&w->jobs);

			g_ptr_array_add(jobs, job);
			items += job->count;
		}
		g_mutex_unlock(&w->lock);
		writer_batch(w, jobs);
		for (guint j = 0; j < jobs->len; j++) {
			writer_job *job = g_ptr_array_index(jobs, j);

			for (guint i = 0; i < job->count; i++)
				ingest_log(job->items[i].mail, job->items[i].recipient, &job->items[i].result);
		}
		g_mutex_lock(&w->lock);
		for (guint j = 0; j < jobs->len; j++)
			((writer_job *)g_ptr_array_index(jobs, j))->done = TRUE;
		g_cond_broadcast(&w->finished);
	}
	g_mutex_unlock(&w->lock);
	return NULL;
}

writer *
writer_start(store *db)
{
	writer *w = g_new0(struct writer, 1);

	w->store = db;
	g_mutex_init(&w->lock);
	g_cond_init(&w->queued);
	g_cond_init(&w->finished);
	g_queue_init(&w->jobs);
	w->thread = g_thread_new("writer", writer_thread, w);
	return w;
}

void
writer_submit(writer *w, writer_item *items, guint count)
{
	writer_job job = { items, count, FALSE };

	for (guint i = 0; i < count; i++)
		memset(&items[i].result, 0, sizeof items[i].result);
	g_mutex_lock(&w->lock);
	g_queue_push_tail(&w->jobs, &job);
	g_cond_signal(&w->queued);
	while (!job.done)
		g_cond_wait(&w->finished, &w->lock);
	g_mutex_unlock(&w->lock);
}

void
writer_stop(writer *w)
{
	g_mutex_lock(&w->lock);
	w->stopping = TRUE;
	g_cond_signal(&w->queued);
	g_mutex_unlock(&w->lock);
	g_thread_join(w->thread);
	store_close(w->store);
	g_mutex_clear(&w->lock);
	g_cond_clear(&w->queued);
	g_cond_clear(&w->finished);
	g_free(w);
}
