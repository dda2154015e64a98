/*
 * daemon-private - what the parts of the long-running ticketd promise each other:
 * daemon.c (process setup, the supervisor's hooks, the current configuration),
 * worker.c (the worker process and its threads), listener.c (sockets, accepting,
 * the connection cap) and session.c (one LMTP connection). main.c sees only daemon.h.
 */
#ifndef TICKETD_DAEMON_PRIVATE_H
#define TICKETD_DAEMON_PRIVATE_H

#include <glib.h>

#include "config.h"
#include "lmtp.h"
#include "writer.h"

/* How often a session or a retiring worker looks up from its wait to notice a shutdown. */
#define DAEMON_TICK_MS 500

/* daemon.c */

/* The configuration, shared by reference: a reload swaps it, old users keep theirs. */
typedef struct {
	ticketd_config *config;
} daemon_config_ref;

/* daemon_config - a reference to the current configuration; daemon_config_release() it. */
daemon_config_ref *daemon_config(void);
void daemon_config_release(daemon_config_ref *ref);

/* worker.c */

/*
 * worker_serve - the worker process: everything that touches mail, until SIGTERM or
 * until a reload retires it. ready_fd gets one byte once it accepts.
 */
int worker_serve(const ticketd_config *config, const char *hostname, gboolean notifier, int ready_fd);

/* listener.c */

/* listener_update - open what is new in the configuration, close what went; fatal: die on failure. */
gboolean listener_update(const ticketd_config *config, gboolean fatal);

/* listener_socket_paths - the files of the unix listeners, NULL-terminated; g_strfreev() it. */
char **listener_socket_paths(void);

/* listener_count - how many listeners are open. */
guint listener_count(void);

/* listener_close_all - stop accepting; unix sockets are removed unless left to another process. */
void listener_close_all(void);

/* listener_leave_sockets - a worker: closing its inherited listeners leaves the socket files. */
void listener_leave_sockets(void);

/*
 * listener_poll - wait for clients or for wake_fd. TRUE when wake_fd is readable (nothing
 * accepted then); otherwise every waiting client is accepted and FALSE returned.
 */
gboolean listener_poll(int wake_fd);

/* cleaner.c */

/* cleaner_start - as root: a process that removes paths once every daemon process has ended. */
void cleaner_start(char **paths);
/* cleaner_finish - the supervisor, exiting: returns once the cleaner has removed them. */
void cleaner_finish(void);

/* session.c */

/* session_setup - before the first session: the name in the greeting, the writer to submit to. */
void session_setup(const char *hostname, writer *commits);

/*
 * session_start - a thread for one accepted client; takes fd, peer and the configuration
 * reference. A client that cannot have a thread is refused with 421.
 */
void session_start(int fd, char *peer, gboolean tcp, daemon_config_ref *config);

/* session_refuse - write the 421 for reason to a client that gets no session. */
void session_refuse(int fd, lmtp_close_reason reason);

/* session_count - sessions open now. */
int session_count(void);

/* session_shutdown - sessions say 421 and close as soon as no transaction is in flight. */
void session_shutdown(void);

#endif
