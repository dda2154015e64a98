/*
 * worker - the ticketd process that does the mail work, forked by the supervisor with
 * the listeners open: the group-commit writer, the timed workers (notifier, sweeper),
 * one thread per IMAP source, and a session per accepted client until SIGTERM, or
 * until a reload retires it. Shutdown lets every transaction in flight finish first.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include "daemon-private.h"
#include "guard.h"
#include "imap.h"
#include "log.h"
#include "mime.h"
#include "notify.h"
#include "sweep.h"

/* Seconds a shutdown waits for transactions in flight before giving up on them. */
#define WORKER_DRAIN_SECONDS 60
/* Seconds between two looks at the outbox. */
#define WORKER_NOTIFY_SECONDS 5

static struct {
	GMutex lock;                /* with wake: the timed workers' sleep */
	GCond wake;                 /* under lock: stop now */
	gint stopping;              /* SIGTERM seen (atomic) */
	gint retiring;              /* replaced after a reload: no new sessions */
	gint threads_stop;          /* the notifier, sweeper and IMAP workers end (atomic) */
	int signal_pipe[2];
	GPtrArray *threads;         /* GThread *: notifier, sweeper, one per IMAP source */
} work;

/* worker_signal - TERM and INT stop, HUP retires: only a byte down the pipe here. */
static void
worker_signal(int signo)
{
	char byte = signo == SIGHUP ? 'R' : 'T';
	int saved = errno;

	(void)!write(work.signal_pipe[1], &byte, 1);
	errno = saved;
}

/* worker_store_open - a store handle, with $TICKETD_BUSY_TIMEOUT (ms) when set. */
static store *
worker_store_open(const char *path)
{
	g_autoptr(GError) error = NULL;
	store *db = store_open(path, &error);
	const char *busy = g_getenv("TICKETD_BUSY_TIMEOUT");
	guint64 milliseconds;

	if (db == NULL)
		log_fatal("%s: %s", path, error->message);
	if (busy != NULL && g_ascii_string_to_unsigned(busy, 10, 0, 600000, &milliseconds, NULL))
		store_set_busy_timeout(db, (int)milliseconds);
	return db;
}

/* ---- the timed workers: notifier and sweeper ---- */

typedef struct {
	const char *name;
	int seconds;
	int (*run)(const ticketd_config *config, store *db, GError **error);
	store *db;                  /* a connection of its own */
} periodic_job;

/* worker_sweep - the time-based status rules as of now. */
static int
worker_sweep(const ticketd_config *config, store *db, GError **error)
{
	return sweep_run(config, db, store_now(), error);
}

/* worker_periodic_thread - run a job every few seconds until the worker stops or retires. */
static gpointer
worker_periodic_thread(gpointer data)
{
	periodic_job *job = data;

	for (;;) {
		g_autoptr(GError) error = NULL;
		daemon_config_ref *config;
		gint64 until = g_get_monotonic_time() + job->seconds * G_USEC_PER_SEC;
		gboolean stop;

		g_mutex_lock(&work.lock);
		while (!(stop = g_atomic_int_get(&work.threads_stop)) &&
		       g_cond_wait_until(&work.wake, &work.lock, until))
			;
		g_mutex_unlock(&work.lock);
		if (stop)
			break;
		config = daemon_config();
		/* A busy database only means the next round does it. */
		if (job->run(config->config, job->db, &error) < 0)
			log_warning("%s: %s", job->name, error ? error->message : "failed");
		daemon_config_release(config);
	}
	store_close(job->db);
	g_free(job);
	return NULL;
}

static void
worker_start_periodic(const char *name, int seconds, int (*run)(const ticketd_config *, store *, GError **),
                      const char *database)
{
	periodic_job *job = g_new0(periodic_job, 1);

	*job = (periodic_job){ name, seconds, run, worker_store_open(database) };
	g_ptr_array_add(work.threads, g_thread_new(name, worker_periodic_thread, job));
}

typedef struct {
	const imap_source_config *source;
	daemon_config_ref *config;  /* held for the worker's life: a reload does not move it */
} mailbox_job;

/* worker_imap_thread - one mailbox source, so a stuck server blocks nothing else. */
static gpointer
worker_imap_thread(gpointer data)
{
	mailbox_job *job = data;

	imap_run(job->source, job->config->config, (volatile gboolean *)&work.threads_stop);
	daemon_config_release(job->config);
	g_free(job);
	return NULL;
}

/* worker_start_threads - notifier, sweeper and the IMAP sources of the configuration. */
static void
worker_start_threads(const ticketd_config *config, gboolean notifier)
{
	work.threads = g_ptr_array_new();
	if (notifier)
		worker_start_periodic("notifications", WORKER_NOTIFY_SECONDS, notify_flush, config->database);
	worker_start_periodic("sweep", config->sweep_interval, worker_sweep, config->database);
	for (guint i = 0; i < config->imap_sources->len; i++) {
		mailbox_job *job = g_new0(mailbox_job, 1);

		job->source = g_ptr_array_index(config->imap_sources, i);
		job->config = daemon_config();
		g_ptr_array_add(work.threads, g_thread_new("imap", worker_imap_thread, job));
	}
}

/* worker_stop_threads - wake the timed workers; IMAP workers see the flag within a second. */
static void
worker_stop_threads(void)
{
	g_atomic_int_set(&work.threads_stop, 1);
	g_mutex_lock(&work.lock);
	g_cond_broadcast(&work.wake);
	g_mutex_unlock(&work.lock);
	for (guint i = 0; i < work.threads->len; i++)
		g_thread_join(g_ptr_array_index(work.threads, i));
	g_ptr_array_unref(work.threads);
}

/* worker_signal_read - a worker's signals: T to stop, R to retire; FALSE when none. */
static gboolean
worker_signal_read(void)
{
	char byte;
	gboolean any = FALSE;

	while (read(work.signal_pipe[0], &byte, 1) == 1) {
		any = TRUE;
		if (byte == 'T') {
			g_atomic_int_set(&work.stopping, 1);
			session_shutdown();
		} else
			g_atomic_int_set(&work.retiring, 1);
	}
	return any;
}

/* worker_loop - accept until SIGTERM, or until the supervisor retires us. */
static void
worker_loop(void)
{
	while (!g_atomic_int_get(&work.stopping) && !g_atomic_int_get(&work.retiring))
		if (listener_poll(work.signal_pipe[0]))
			worker_signal_read();
	g_atomic_int_set(&work.threads_stop, 1);
}

/* worker_signals - a worker's own: the supervisor's pipe and handlers stay behind. */
static void
worker_signals(void)
{
	struct sigaction action = { .sa_handler = worker_signal, .sa_flags = SA_RESTART };

	if (pipe2(work.signal_pipe, O_CLOEXEC | O_NONBLOCK) < 0)
		log_fatal("pipe: %s", g_strerror(errno));
	sigemptyset(&action.sa_mask);
	sigaction(SIGTERM, &action, NULL);
	sigaction(SIGINT, &action, NULL);
	sigaction(SIGHUP, &action, NULL);
}

/* worker_drain - after SIGTERM: let sessions finish their transactions, then stop. */
static void
worker_drain(void)
{
	gint64 deadline = g_get_monotonic_time() + WORKER_DRAIN_SECONDS * G_USEC_PER_SEC;

	log_info("stopping: finishing the transactions in flight");
	listener_close_all();                       /* stop accepting */
	while (session_count() > 0 && g_get_monotonic_time() < deadline)
		g_usleep(50 * 1000);
	if (session_count() > 0)
		log_warning("stopping with %d sessions still open", session_count());
}

/*
 * worker_retire - a worker replaced after a reload takes no new sessions; the open ones
 * go on with the old configuration until their clients quit or idle out, or SIGTERM.
 */
static void
worker_retire(void)
{
	listener_close_all();
	log_info("retiring: %d sessions still open", session_count());
	while (session_count() > 0 && !g_atomic_int_get(&work.stopping)) {
		struct pollfd pfd = { .fd = work.signal_pipe[0], .events = POLLIN };

		if (poll(&pfd, 1, DAEMON_TICK_MS) > 0)
			worker_signal_read();
	}
	if (g_atomic_int_get(&work.stopping))
		worker_drain();
}

int
worker_serve(const ticketd_config *config, const char *hostname, gboolean notifier, int ready_fd)
{
	char ready = 0;
	writer *commits;

	worker_signals();
	listener_leave_sockets();
	mime_init();
	commits = writer_start(worker_store_open(config->database));
	session_setup(hostname, commits);
	guard_watchdog_start();
	worker_start_threads(config, notifier);
	(void)!write(ready_fd, &ready, 1);
	close(ready_fd);
	log_detached();
	worker_loop();
	if (g_atomic_int_get(&work.retiring) && !g_atomic_int_get(&work.stopping))
		worker_retire();
	else
		worker_drain();
	writer_stop(commits);
	worker_stop_threads();
	return 0;
}
