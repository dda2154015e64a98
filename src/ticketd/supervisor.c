/*
 * supervisor - one current worker, and after a reload the old ones it retires. The
 * workers' deaths arrive as SIGCHLD through the signal pipe; a worker that died of
 * anything but a clean exit is blamed in the guard table and replaced, after a pause
 * that doubles while it keeps dying young.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "guard.h"
#include "log.h"
#include "supervisor.h"

/* A worker that lived this long had no crash loop: the next starts at once. */
#define SUPERVISOR_STABLE_SECONDS 30
#define SUPERVISOR_PAUSE_MAX_SECONDS 30

typedef struct {
	pid_t pid;
	int ready_fd;               /* read end; -1 once it said ready or died */
	gint64 started;             /* monotonic µs */
} worker;

static const worker worker_none = { .pid = 0, .ready_fd = -1 };

static struct {
	const supervisor_hooks *hooks;
	int signal_pipe[2];
	worker current;             /* pid 0: none running */
	worker next;                /* started by a reload, not ready yet */
	GArray *retiring;           /* pid_t: old workers finishing their sessions */
	int started_fd;             /* tell the starting parent, once */
	gboolean ever_ready;
	gboolean stopping;
	int pause;                  /* seconds before the next restart */
	gint64 restart_at;          /* monotonic µs; 0: none scheduled */
} sup;

static void
supervisor_signal(int signo)
{
	char byte = signo == SIGHUP ? 'H' : signo == SIGCHLD ? 'C' : 'T';
	int saved = errno;

	(void)!write(sup.signal_pipe[1], &byte, 1);
	errno = saved;
}

static void
supervisor_signals(void)
{
	struct sigaction action = { .sa_handler = supervisor_signal, .sa_flags = SA_RESTART };

	if (pipe2(sup.signal_pipe, O_CLOEXEC | O_NONBLOCK) < 0)
		log_fatal("pipe: %s", g_strerror(errno));
	sigemptyset(&action.sa_mask);
	sigaction(SIGTERM, &action, NULL);
	sigaction(SIGINT, &action, NULL);
	sigaction(SIGHUP, &action, NULL);
	sigaction(SIGCHLD, &action, NULL);
}

/* supervisor_child_setup - in the new worker: die with the supervisor, own signals. */
static void
supervisor_child_setup(pid_t parent)
{
	struct sigaction action = { .sa_handler = SIG_DFL };

	/* A worker outliving a killed supervisor would hold the listeners of the next one. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
		_exit(75);
	close(sup.signal_pipe[0]);
	close(sup.signal_pipe[1]);
	sigemptyset(&action.sa_mask);
	sigaction(SIGCHLD, &action, NULL);
	if (sup.started_fd >= 0)
		close(sup.started_fd);
}

static worker
supervisor_start(void)
{
	int ready[2];
	pid_t parent = getpid();
	worker w = worker_none;

	if (pipe2(ready, O_CLOEXEC) < 0) {
		log_warning("pipe: %s", g_strerror(errno));
		return w;
	}
	if ((w.pid = fork()) < 0) {
		log_warning("fork: %s", g_strerror(errno));
		close(ready[0]);
		close(ready[1]);
		return worker_none;
	}
	if (w.pid == 0) {
		supervisor_child_setup(parent);
		close(ready[0]);
		exit(sup.hooks->serve(ready[1], sup.hooks->data));
	}
	close(ready[1]);
	w.ready_fd = ready[0];
	w.started = g_get_monotonic_time();
	return w;
}

static void
supervisor_tell_started(char status)
{
	if (sup.started_fd < 0)
		return;
	(void)!write(sup.started_fd, &status, 1);
	close(sup.started_fd);
	sup.started_fd = -1;
	log_detached();
}

/* supervisor_ready - a worker said it accepts: a reload's worker replaces the current one. */
static void
supervisor_ready(worker *w)
{
	close(w->ready_fd);
	w->ready_fd = -1;
	sup.ever_ready = TRUE;
	supervisor_tell_started(0);
	if (w == &sup.next) {
		if (sup.current.pid > 0) {
			log_info("worker %ld ready with the new configuration; worker %ld finishes its sessions",
			         (long)sup.next.pid, (long)sup.current.pid);
			kill(sup.current.pid, SIGHUP);
			g_array_append_val(sup.retiring, sup.current.pid);
			if (sup.current.ready_fd >= 0)
				close(sup.current.ready_fd);
		}
		sup.current = sup.next;
		sup.next = worker_none;
	}
}

/* supervisor_check_ready - its one byte, or EOF: it died before ready (SIGCHLD says how). */
static void
supervisor_check_ready(worker *w)
{
	char byte;

	if (w->ready_fd < 0)
		return;
	if (read(w->ready_fd, &byte, 1) == 1) {
		supervisor_ready(w);
		return;
	}
	close(w->ready_fd);
	w->ready_fd = -1;
}

static char *
supervisor_describe(int status)
{
	if (WIFSIGNALED(status))
		return g_strdup_printf("was killed by signal %d (%s)", WTERMSIG(status), strsignal(WTERMSIG(status)));
	return g_strdup_printf("exited with status %d", WEXITSTATUS(status));
}

/* supervisor_replace - after a worker died; the current one is started again: replace it, later if it dies young. */
static void
supervisor_replace(worker *w)
{
	gint64 lived = g_get_monotonic_time() - w->started;

	if (w->ready_fd >= 0)
		close(w->ready_fd);
	*w = worker_none;
	if (w != &sup.current || sup.stopping)
		return;
	sup.pause = lived > SUPERVISOR_STABLE_SECONDS * G_USEC_PER_SEC ? 0
	            : CLAMP(sup.pause * 2, 1, SUPERVISOR_PAUSE_MAX_SECONDS);
	sup.restart_at = g_get_monotonic_time() + (gint64)sup.pause * G_USEC_PER_SEC;
	log_info("starting a new worker in %d s", sup.pause);
}

static void
supervisor_reap_one(pid_t pid, int status)
{
	gboolean clean = WIFEXITED(status) && WEXITSTATUS(status) == 0;
	g_autofree char *how = supervisor_describe(status);

	if (!clean) {
		log_warning("worker %ld %s", (long)pid, how);
		guard_blame(pid, how);
	}
	for (guint i = 0; i < sup.retiring->len; i++)
		if (g_array_index(sup.retiring, pid_t, i) == pid)
			g_array_remove_index_fast(sup.retiring, i);
	if (pid == sup.next.pid)
		supervisor_replace(&sup.next);
	if (pid != sup.current.pid)
		return;
	if (!sup.ever_ready && !sup.stopping) {
		/* The first worker never started: a broken setup, not a poisoned message. */
		int code = WIFEXITED(status) && WEXITSTATUS(status) != 0 ? WEXITSTATUS(status) : 75;

		supervisor_tell_started((char)code);
		exit(code);
	}
	supervisor_replace(&sup.current);
}

static void
supervisor_reap(void)
{
	pid_t pid;
	int status;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
		supervisor_reap_one(pid, status);
}

static void
supervisor_stop(void)
{
	if (sup.stopping)
		return;
	sup.stopping = TRUE;
	sup.restart_at = 0;
	sup.hooks->shutdown(sup.hooks->data);
	if (sup.current.pid > 0)
		kill(sup.current.pid, SIGTERM);
	if (sup.next.pid > 0)
		kill(sup.next.pid, SIGTERM);
	for (guint i = 0; i < sup.retiring->len; i++)
		kill(g_array_index(sup.retiring, pid_t, i), SIGTERM);
}

static void
supervisor_reload(void)
{
	if (sup.stopping || !sup.hooks->reload(sup.hooks->data))
		return;
	if (sup.next.pid > 0)               /* a reload still starting: it is outdated */
		kill(sup.next.pid, SIGTERM);
	if (sup.current.pid == 0) {         /* none running: the restart will read it */
		sup.restart_at = g_get_monotonic_time();
		return;
	}
	sup.next = supervisor_start();
}

static void
supervisor_signals_read(void)
{
	char byte;

	while (read(sup.signal_pipe[0], &byte, 1) == 1) {
		if (byte == 'T')
			supervisor_stop();
		else if (byte == 'H')
			supervisor_reload();
		else
			supervisor_reap();
	}
}

static gboolean
supervisor_running(void)
{
	return sup.current.pid > 0 || sup.next.pid > 0 || sup.retiring->len > 0;
}

static int
supervisor_timeout(void)
{
	gint64 left;

	if (sup.restart_at == 0)
		return -1;
	left = sup.restart_at - g_get_monotonic_time();
	return left <= 0 ? 0 : (int)(left / 1000) + 1;
}

/* supervisor_wait - one round: signals, ready workers, a restart that is due. */
static void
supervisor_wait(void)
{
	struct pollfd fds[3] = {
		{ .fd = sup.signal_pipe[0], .events = POLLIN },
		{ .fd = sup.current.ready_fd, .events = POLLIN },
		{ .fd = sup.next.ready_fd, .events = POLLIN },
	};

	if (poll(fds, 3, supervisor_timeout()) < 0 && errno != EINTR)
		log_fatal("poll: %s", g_strerror(errno));
	if (fds[0].revents & POLLIN)
		supervisor_signals_read();
	/* A reaped worker's pipe is closed and -1 by now: only a live one is read. */
	if (fds[1].fd >= 0 && fds[1].fd == sup.current.ready_fd && fds[1].revents != 0)
		supervisor_check_ready(&sup.current);
	if (fds[2].fd >= 0 && fds[2].fd == sup.next.ready_fd && fds[2].revents != 0)
		supervisor_check_ready(&sup.next);
	if (sup.restart_at != 0 && g_get_monotonic_time() >= sup.restart_at && !sup.stopping) {
		sup.restart_at = 0;
		sup.current = supervisor_start();
		if (sup.current.pid == 0)
			sup.restart_at = g_get_monotonic_time() + SUPERVISOR_PAUSE_MAX_SECONDS * G_USEC_PER_SEC;
	}
}

int
supervisor_run(const supervisor_hooks *hooks, int started_fd)
{
	sup.hooks = hooks;
	sup.started_fd = started_fd;
	sup.retiring = g_array_new(FALSE, FALSE, sizeof(pid_t));
	sup.next = worker_none;
	supervisor_signals();
	sup.current = supervisor_start();
	if (sup.current.pid == 0)
		log_fatal("cannot start a worker");
	while (!sup.stopping || supervisor_running())
		supervisor_wait();
	g_array_unref(sup.retiring);
	close(sup.signal_pipe[0]);
	close(sup.signal_pipe[1]);
	return 0;
}
