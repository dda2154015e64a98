/*
 * supervisor - the ticketd process that holds the listeners and the pid file and does
 * no mail work itself. It runs the work in a worker process and starts another when
 * one dies, so a message that crashes or hangs the parser costs the sessions in
 * flight (which the client retries) but never the listeners. SIGHUP starts a worker
 * with the new configuration and retires the old one once the new one is ready.
 */
#ifndef TICKETD_SUPERVISOR_H
#define TICKETD_SUPERVISOR_H

#include <glib.h>

typedef struct {
	/* worker: serve until told to stop; ready_fd gets one byte once accepting. */
	int (*serve)(int ready_fd, void *data);
	/* supervisor, on SIGHUP: load the configuration again; FALSE keeps the old one. */
	gboolean (*reload)(void *data);
	/* supervisor, on SIGTERM: stop listening (close and remove the sockets). */
	void (*shutdown)(void *data);
	void *data;
} supervisor_hooks;

/*
 * supervisor_run - run workers until SIGTERM; returns the exit code. started_fd, when
 * not -1, gets one status byte once the first worker is ready (0) or failed to start.
 * A first worker that fails to start ends the supervisor with its exit code.
 */
int supervisor_run(const supervisor_hooks *hooks, int started_fd);

#endif
