/*
 * guard - the table of messages in work, shared between the supervisor and its
 * workers (an anonymous shared mapping made before the first fork). A worker claims a
 * slot per message with its pid; the supervisor reads the slots of a worker that died
 * and counts a failure against each message that was being worked on. Messages are
 * known by ingest's content key, which a retried delivery repeats.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "guard.h"
#include "ingest.h"
#include "log.h"

#define GUARD_SLOTS 512             /* messages in work at once, above max_connections */
#define GUARD_SUSPECTS 256          /* messages remembered with failures */
#define GUARD_DIGEST 72          /* "sha256:" and 64 hex digits, NUL */

typedef struct {
	gint pid;                   /* the worker that claimed it; 0 when free */
	gint busy;                  /* being parsed or decided now, not waiting in a queue */
	gint overdue;               /* the watchdog found it busy past parse_timeout */
	gint64 since;               /* monotonic µs at which it became busy */
	char digest[GUARD_DIGEST];
} guard_entry;

typedef struct {
	gint failures;              /* 0 when the entry is free */
	char digest[GUARD_DIGEST];
} guard_suspect;

typedef struct {
	gint failures_max;
	gint timeout;               /* seconds */
	guint next_suspect;         /* the entry a new suspect replaces (supervisor only) */
	guard_entry slots[GUARD_SLOTS];
	guard_suspect suspects[GUARD_SUSPECTS];
} guard_table;

static guard_table *table;

void
guard_open(void)
{
	void *map = mmap(NULL, sizeof *table, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (map == MAP_FAILED)
		log_fatal("guard: cannot map the shared table: %s", g_strerror(errno));
	table = map;
}

void
guard_configure(int failures, int timeout_seconds)
{
	if (table == NULL)
		return;
	g_atomic_int_set(&table->failures_max, failures);
	g_atomic_int_set(&table->timeout, timeout_seconds);
}

/* guard_digest - the content key of ingest, so a redelivery's new trace headers do not count. */
static void
guard_digest(const char *raw, gsize length, char digest[GUARD_DIGEST])
{
	g_autofree char *key = ingest_content_key(raw, length);

	memset(digest, 0, GUARD_DIGEST);
	g_strlcpy(digest, key, GUARD_DIGEST);
}

/* guard_name - "sha256:" and the first 16 hex digits, for log lines. */
static char *
guard_name(const char digest[GUARD_DIGEST])
{
	return g_strndup(digest, strlen("sha256:") + 16);
}

static guard_suspect *
guard_suspect_find(const char digest[GUARD_DIGEST])
{
	for (int i = 0; i < GUARD_SUSPECTS; i++) {
		guard_suspect *s = &table->suspects[i];

		if (g_atomic_int_get(&s->failures) > 0 && memcmp(s->digest, digest, GUARD_DIGEST) == 0)
			return s;
	}
	return NULL;
}

static int
guard_claim(const char digest[GUARD_DIGEST])
{
	gint pid = (gint)getpid();

	for (int i = 0; i < GUARD_SLOTS; i++) {
		guard_entry *slot = &table->slots[i];

		if (g_atomic_int_get(&slot->pid) == 0 && g_atomic_int_compare_and_exchange(&slot->pid, 0, pid)) {
			memcpy(slot->digest, digest, GUARD_DIGEST);
			guard_busy(i);
			return i;
		}
	}
	return -1;
}

parsed_message *
guard_parse(const char *raw, gsize length, int *slot)
{
	char digest[GUARD_DIGEST];
	guard_suspect *suspect;
	int failures;

	*slot = -1;
	if (table == NULL)
		return mime_parse(raw, length);
	guard_digest(raw, length, digest);
	suspect = guard_suspect_find(digest);
	failures = suspect != NULL ? g_atomic_int_get(&suspect->failures) : 0;
	if (failures >= g_atomic_int_get(&table->failures_max)) {
		g_autofree char *name = guard_name(digest);

		log_warning("message %s: the worker failed on it %d times (parse_failures); "
		            "it is not parsed again but kept raw and held for a person", name, failures);
		return mime_unparsed("the worker crashed or ran past parse_timeout on it, parse_failures times");
	}
	*slot = guard_claim(digest);
	return mime_parse(raw, length);
}

void
guard_busy(int slot)
{
	if (table == NULL || slot < 0)
		return;
	table->slots[slot].since = g_get_monotonic_time();
	g_atomic_int_set(&table->slots[slot].busy, 1);
}

void
guard_idle(int slot)
{
	if (table == NULL || slot < 0)
		return;
	g_atomic_int_set(&table->slots[slot].busy, 0);
}

void
guard_leave(int slot)
{
	if (table == NULL || slot < 0)
		return;
	g_atomic_int_set(&table->slots[slot].busy, 0);
	g_atomic_int_set(&table->slots[slot].pid, 0);
}

/* guard_overdue - a slot of ours busy past the timeout, or -1. */
static int
guard_overdue(gint pid)
{
	gint64 limit = (gint64)g_atomic_int_get(&table->timeout) * G_USEC_PER_SEC;
	gint64 now = g_get_monotonic_time();

	for (int i = 0; i < GUARD_SLOTS; i++) {
		guard_entry *slot = &table->slots[i];

		if (g_atomic_int_get(&slot->pid) == pid && g_atomic_int_get(&slot->busy) &&
		    limit > 0 && now - slot->since > limit)
			return i;
	}
	return -1;
}

/*
 * guard_watchdog - a message that runs past parse_timeout is stuck in code we cannot
 * interrupt safely; the worker dies, the supervisor blames it and starts another.
 */
static gpointer
guard_watchdog(gpointer data)
{
	gint pid = GPOINTER_TO_INT(data);

	for (;;) {
		int i;

		g_usleep(G_USEC_PER_SEC);
		if ((i = guard_overdue(pid)) >= 0) {
			g_autofree char *name = guard_name(table->slots[i].digest);

			g_atomic_int_set(&table->slots[i].overdue, 1);
			log_warning("message %s: worked on for more than %d s (parse_timeout); "
			            "stopping this worker, its sessions will be retried", name,
			            g_atomic_int_get(&table->timeout));
			kill(getpid(), SIGKILL);
		}
	}
	return NULL;
}

void
guard_watchdog_start(void)
{
	if (table != NULL)
		g_thread_unref(g_thread_new("watchdog", guard_watchdog, GINT_TO_POINTER((gint)getpid())));
}

/* guard_count - one more failure against a message; it may evict the oldest suspect. */
static void
guard_count(const char digest[GUARD_DIGEST], const char *how)
{
	guard_suspect *suspect = guard_suspect_find(digest);
	g_autofree char *name = guard_name(digest);
	int failures, max = g_atomic_int_get(&table->failures_max);

	if (suspect == NULL) {
		suspect = &table->suspects[table->next_suspect++ % GUARD_SUSPECTS];
		g_atomic_int_set(&suspect->failures, 0);
		memcpy(suspect->digest, digest, GUARD_DIGEST);
	}
	failures = g_atomic_int_add(&suspect->failures, 1) + 1;
	log_warning("message %s: the worker %s while working on it (failure %d of %d)%s", name, how,
	            failures, max, failures >= max ? "; its next delivery is kept raw and held" : "");
}

void
guard_blame(pid_t pid, const char *how)
{
	gboolean overdue = FALSE;

	if (table == NULL)
		return;
	for (int i = 0; i < GUARD_SLOTS; i++)
		if (table->slots[i].pid == pid && table->slots[i].overdue)
			overdue = TRUE;
	for (int i = 0; i < GUARD_SLOTS; i++) {
		guard_entry *slot = &table->slots[i];

		if (slot->pid != pid)
			continue;
		/* After a timeout only the overdue message is to blame; after a crash, all busy. */
		if (slot->busy && (!overdue || slot->overdue))
			guard_count(slot->digest, how);
		slot->busy = slot->overdue = 0;
		g_atomic_int_set(&slot->pid, 0);
	}
}
