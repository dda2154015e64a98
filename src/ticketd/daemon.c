/*
 * daemon - `ticketd [-c FILE] [-f] [-n]`: bind the LMTP listeners, write the pid file,
 * drop privileges, then hand over to the supervisor, which runs the worker process:
 * the store for the group-commit writer, the workers (the notifier, the sweeper, one
 * per IMAP source), and one thread per connection until SIGTERM. SIGHUP reloads the
 * configuration in the supervisor, which starts a worker with it and retires the old
 * one; listeners that did not change stay open. Shutdown lets every transaction in
 * flight finish first.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sysexits.h>
#include <unistd.h>

#include "config.h"
#include "daemon.h"
#include "guard.h"
#include "lmtp.h"
#include "log.h"
#include "mime.h"
#include "imap.h"
#include "notify.h"
#include "supervisor.h"
#include "sweep.h"
#include "writer.h"

/* Seconds a shutdown waits for transactions in flight before giving up on them. */
#define DAEMON_DRAIN_SECONDS 60
/* How often a connection looks up from its socket to notice a shutdown. */
#define DAEMON_TICK_MS 500
#define DAEMON_READ_SIZE 65536
/* Seconds between two looks at the outbox. */
#define DAEMON_NOTIFY_SECONDS 5

typedef struct {
	char *spec;                 /* as configured: "unix:/path" or "inet:host:port" */
	char *path;                 /* unix sockets: the file to remove at close */
	int fd;
} listener;

/* The configuration, shared by reference: a reload swaps it, old users keep theirs. */
typedef struct {
	ticketd_config *config;
} config_ref;

typedef struct {
	int fd;
	gboolean tcp;
	char *peer;
	config_ref *config;
} connection;

static struct {
	GMutex lock;
	config_ref *config;         /* the current one; take it with daemon_config() */
	writer *writer;
	char *hostname;
	GPtrArray *listeners;       /* listener * */
	gint connections;           /* open now (atomic) */
	gint stopping;              /* SIGTERM seen (atomic) */
	gint retiring;              /* a worker replaced after a reload: no new sessions */
	gint workers_stop;          /* the notifier, sweeper and IMAP workers end (atomic) */
	gboolean notifier;          /* run the notifier (not with -n) */
	int signal_pipe[2];
	GPtrArray *workers;         /* GThread *: notifier, sweeper, one per IMAP source */
	GCond workers_wake;        /* under lock: stop now */
} server;

static void
config_ref_clear(gpointer data)
{
	config_free(((config_ref *)data)->config);
}

static void
config_ref_release(config_ref *ref)
{
	g_atomic_rc_box_release_full(ref, config_ref_clear);
}

/* daemon_config - a reference to the current configuration. */
static config_ref *
daemon_config(void)
{
	config_ref *ref;

	g_mutex_lock(&server.lock);
	ref = g_atomic_rc_box_acquire(server.config);
	g_mutex_unlock(&server.lock);
	return ref;
}

static void
daemon_signal(int signo)
{
	char byte = signo == SIGHUP ? 'R' : 'T';
	int saved = errno;

	(void)!write(server.signal_pipe[1], &byte, 1);
	errno = saved;
}

/* write_all - the whole buffer, or FALSE; never raises SIGPIPE. */
static gboolean
write_all(int fd, const char *bytes, gsize length)
{
	while (length > 0) {
		ssize_t n = send(fd, bytes, length, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == ENOTSOCK)
			n = write(fd, bytes, length);
		if (n <= 0)
			return FALSE;
		bytes += n;
		length -= (gsize)n;
	}
	return TRUE;
}

/* ---- listeners ---- */

static int
listener_open_unix(const char *path, const lmtp_config *lmtp, GError **error)
{
	struct sockaddr_un address = { .sun_family = AF_UNIX };
	struct stat st;
	int fd;

	if (strlen(path) >= sizeof address.sun_path || *path != '/') {
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL, "unix:%s: not an absolute path that fits", path);
		return -1;
	}
	strcpy(address.sun_path, path);
	if (lstat(path, &st) == 0) {
		int probe;

		if (!S_ISSOCK(st.st_mode)) {
			g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_EXIST, "%s exists and is not a socket", path);
			return -1;
		}
		probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (probe >= 0 && connect(probe, (struct sockaddr *)&address, sizeof address) == 0) {
			close(probe);
			g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_EXIST, "%s: another server is listening", path);
			return -1;
		}
		if (probe >= 0)
			close(probe);
		unlink(path);                                           /* stale, from a crash */
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&address, sizeof address) < 0 ||
	    chmod(path, (mode_t)lmtp->socket_mode) < 0 || listen(fd, 128) < 0) {
		g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno), "unix:%s: %s", path, g_strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (lmtp->socket_owner != NULL && *lmtp->socket_owner != '\0') {
		struct passwd *pw = getpwnam(lmtp->socket_owner);

		if (pw == NULL || chown(path, pw->pw_uid, pw->pw_gid) < 0) {
			g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_PERM, "unix:%s: cannot give it to %s: %s", path,
			            lmtp->socket_owner, pw == NULL ? "no such user" : g_strerror(errno));
			close(fd);
			unlink(path);
			return -1;
		}
	}
	return fd;
}

static int
listener_open_inet(const char *hostport, GError **error)
{
	g_autofree char *host = NULL;
	const char *colon = strrchr(hostport, ':');
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
	                          .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE };
	struct addrinfo *found = NULL;
	int fd = -1, one = 1, rc;

	if (colon == NULL || colon == hostport || colon[1] == '\0') {
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL, "inet:%s: expected host:port", hostport);
		return -1;
	}
	host = g_strndup(hostport, (gsize)(colon - hostport));
	if (*host == '[' && host[strlen(host) - 1] == ']') {
		memmove(host, host + 1, strlen(host) - 2);
		host[strlen(host) - 2] = '\0';
	}
	if ((rc = getaddrinfo(host, colon + 1, &hints, &found)) != 0) {
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL, "inet:%s: %s", hostport, gai_strerror(rc));
		return -1;
	}
	fd = socket(found->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
	    bind(fd, found->ai_addr, found->ai_addrlen) < 0 || listen(fd, 128) < 0) {
		g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno), "inet:%s: %s", hostport, g_strerror(errno));
		if (fd >= 0)
			close(fd);
		fd = -1;
	}
	freeaddrinfo(found);
	return fd;
}

static listener *
listener_open(const char *spec, const lmtp_config *lmtp, GError **error)
{
	listener *l;
	int fd;

	if (g_str_has_prefix(spec, "unix:"))
		fd = listener_open_unix(spec + 5, lmtp, error);
	else if (g_str_has_prefix(spec, "inet:"))
		fd = listener_open_inet(spec + 5, error);
	else {
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL, "%s: neither unix: nor inet:", spec);
		return NULL;
	}
	if (fd < 0)
		return NULL;
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	l = g_new0(listener, 1);
	l->spec = g_strdup(spec);
	l->path = g_str_has_prefix(spec, "unix:") ? g_strdup(spec + 5) : NULL;
	l->fd = fd;
	log_info("listening on %s", spec);
	return l;
}

static void
listener_close(gpointer data)
{
	listener *l = data;

	close(l->fd);
	if (l->path != NULL)
		unlink(l->path);
	g_free(l->spec);
	g_free(l->path);
	g_free(l);
}

/* daemon_listeners_update - open what is new in the configuration, close what went. */
static gboolean
daemon_listeners_update(const ticketd_config *config, gboolean fatal)
{
	GPtrArray *next = g_ptr_array_new_with_free_func(listener_close);
	gboolean ok = TRUE;

	for (int i = 0; config->lmtp.listen[i] != NULL; i++) {
		const char *spec = config->lmtp.listen[i];
		listener *kept = NULL;
		g_autoptr(GError) error = NULL;

		for (guint j = 0; server.listeners != NULL && j < server.listeners->len; j++) {
			listener *old = g_ptr_array_index(server.listeners, j);

			if (old != NULL && strcmp(old->spec, spec) == 0) {
				kept = g_ptr_array_steal_index(server.listeners, j);
				break;
			}
		}
		if (kept == NULL && (kept = listener_open(spec, &config->lmtp, &error)) == NULL) {
			if (fatal)
				log_fatal("%s", error->message);
			log_warning("%s", error->message);
			ok = FALSE;
			continue;
		}
		g_ptr_array_add(next, kept);
	}
	if (server.listeners != NULL) {
		for (guint j = 0; j < server.listeners->len; j++)
			log_info("no longer listening on %s", ((listener *)g_ptr_array_index(server.listeners, j))->spec);
		g_ptr_array_unref(server.listeners);
	}
	server.listeners = next;
	return ok;
}

/* ---- one connection ---- */

static failure
connection_check_recipient(void *context, const char *address)
{
	connection *c = context;

	return config_department_for(c->config->config, address, NULL) ? failure_ok()
	       : failure_permanent(FAILURE_NO_SUCH_USER);
}

/* connection_deliver - parse here, in the session's thread, under guard; commit in the writer's. */
static void
connection_deliver(void *context, const lmtp_envelope *envelope, const char *data, gsize length,
                   lmtp_outcome *outcomes)
{
	connection *c = context;
	int slot;
	g_autoptr(parsed_message) message = guard_parse(data, length, &slot);
	g_autoptr(inbound) mail = inbound_new_parsed("lmtp", data, length, message, envelope->sender);
	g_autofree writer_item *items = g_new0(writer_item, envelope->recipient_count);

	guard_idle(slot);                   /* the writer times its own part */
	for (guint i = 0; i < envelope->recipient_count; i++) {
		inbound_add_recipient(mail, envelope->recipients[i]);
		items[i].guard_slot = slot;
		items[i].config = c->config->config;
		items[i].mail = mail;
		items[i].recipient = envelope->recipients[i];
	}
	writer_submit(server.writer, items, envelope->recipient_count);
	guard_leave(slot);
	for (guint i = 0; i < envelope->recipient_count; i++) {
		const ingest_result *result = &items[i].result;

		outcomes[i].status = result->failure;
		if (result->failure.class == FAILURE_OK)
			outcomes[i].detail = g_strdup_printf("%s action=%s", result->decision.ticket ? result->decision.ticket
			                                     : "-", ingest_action_name(result->decision.action));
		else if (result->failure.class == FAILURE_TEMPORARY)
			outcomes[i].detail = g_strdup("temporary failure, try again later");
		else
			outcomes[i].detail = g_strdup(result->error ? result->error
			                              : result->decision.reason ? result->decision.reason : "refused");
		ingest_result_clear(&items[i].result);
	}
}

/* connection_flush - write the replies waiting in the session. */
static gboolean
connection_flush(connection *c, lmtp_session *session)
{
	GString *out = lmtp_session_output(session);
	gboolean ok = write_all(c->fd, out->str, out->len);

	g_string_truncate(out, 0);
	return ok;
}

static gpointer
connection_thread(gpointer data)
{
	connection *c = data;
	const ticketd_config *config = c->config->config;
	lmtp_settings settings = {
		.hostname = server.hostname, .peer = c->peer,
		.max_message_size = config->max_message_size,
		.max_recipients = (guint)config->lmtp.max_recipients,
	};
	lmtp_callbacks callbacks = { connection_check_recipient, connection_deliver, c };
	g_autoptr(lmtp_session) session = lmtp_session_new(&settings, &callbacks);
	g_autofree char *buffer = g_malloc(DAEMON_READ_SIZE);
	gint64 idle_since = g_get_monotonic_time();

	lmtp_session_greeting(session);
	while (connection_flush(c, session) && !lmtp_session_done(session)) {
		struct pollfd pfd = { .fd = c->fd, .events = POLLIN };
		ssize_t n;

		if (g_atomic_int_get(&server.stopping) && !lmtp_session_busy(session) &&
		    lmtp_session_pending(session) == 0) {
			const char *bye = "421 4.3.2 Service shutting down\r\n";

			write_all(c->fd, bye, strlen(bye));
			break;
		}
		if (poll(&pfd, 1, DAEMON_TICK_MS) == 0) {
			if (g_get_monotonic_time() - idle_since >= (gint64)config->lmtp.idle_timeout * G_USEC_PER_SEC) {
				const char *bye = "421 4.4.2 Idle timeout, closing connection\r\n";

				log_info("timeout after %d s from %s", config->lmtp.idle_timeout, c->peer);
				write_all(c->fd, bye, strlen(bye));
				break;
			}
			continue;
		}
		n = read(c->fd, buffer, DAEMON_READ_SIZE);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0) {
			if (lmtp_session_busy(session))
				log_info("lost connection from %s in the middle of a transaction", c->peer);
			break;
		}
		idle_since = g_get_monotonic_time();
		if (c->tcp)                 /* ACK now: a client's Nagle may hold back the final dot */
			setsockopt(c->fd, IPPROTO_TCP, TCP_QUICKACK, &(int){ 1 }, sizeof(int));
		lmtp_session_feed(session, buffer, (gsize)n);
	}
	close(c->fd);
	config_ref_release(c->config);
	g_free(c->peer);
	g_free(c);
	g_atomic_int_dec_and_test(&server.connections);
	return NULL;
}

static char *
daemon_peer_name(const struct sockaddr_storage *address)
{
	char host[NI_MAXHOST];

	if (address->ss_family == AF_UNIX)
		return g_strdup("unix socket");
	if (getnameinfo((const struct sockaddr *)address, sizeof *address, host, sizeof host, NULL, 0,
	                NI_NUMERICHOST) != 0)
		return g_strdup("unknown");
	return g_strdup(host);
}

/* daemon_accept - one new client: a thread of its own, or 421 past the cap. */
static void
daemon_accept(int listen_fd)
{
	struct sockaddr_storage address = { 0 };
	socklen_t length = sizeof address;
	int fd = accept4(listen_fd, (struct sockaddr *)&address, &length, SOCK_CLOEXEC);
	config_ref *config;
	connection *c;
	GThread *thread;

	if (fd < 0) {
		if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
			log_warning("accept: %s", g_strerror(errno));
		return;
	}
	config = daemon_config();
	if (g_atomic_int_get(&server.connections) >= config->config->lmtp.max_connections) {
		const char *busy = "421 4.3.2 Too many connections, try again later\r\n";
		g_autofree char *peer = daemon_peer_name(&address);

		log_warning("too many connections (%d): refused %s", config->config->lmtp.max_connections, peer);
		fcntl(fd, F_SETFL, O_NONBLOCK);
		write_all(fd, busy, strlen(busy));
		close(fd);
		config_ref_release(config);
		return;
	}
	c = g_new0(connection, 1);
	c->fd = fd;
	c->peer = daemon_peer_name(&address);
	c->config = config;
	c->tcp = address.ss_family != AF_UNIX;
	/* A client that stops reading must not hold its thread forever. */
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO,
	           &(struct timeval){ .tv_sec = config->config->lmtp.idle_timeout }, sizeof(struct timeval));
	if (c->tcp)                         /* replies are written whole: no need to wait */
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &(int){ 1 }, sizeof(int));
	g_atomic_int_inc(&server.connections);
	thread = g_thread_try_new("lmtp", connection_thread, c, NULL);
	if (thread == NULL) {
		const char *busy = "421 4.3.2 Cannot start a session, try again later\r\n";

		write_all(fd, busy, strlen(busy));
		close(fd);
		config_ref_release(config);
		g_free(c->peer);
		g_free(c);
		g_atomic_int_dec_and_test(&server.connections);
		return;
	}
	g_thread_unref(thread);
}

/* daemon_store_open - a store handle, with $TICKETD_BUSY_TIMEOUT (ms) when set. */
static store *
daemon_store_open(const char *path)
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

/* daemon_sweep - the time-based status rules as of now. */
static int
daemon_sweep(const ticketd_config *config, store *db, GError **error)
{
	return sweep_run(config, db, store_now(), error);
}

/* periodic_thread - run a job every few seconds until the worker stops or retires. */
static gpointer
periodic_thread(gpointer data)
{
	periodic_job *job = data;

	for (;;) {
		g_autoptr(GError) error = NULL;
		config_ref *config;
		gint64 until = g_get_monotonic_time() + job->seconds * G_USEC_PER_SEC;
		gboolean stop;

		g_mutex_lock(&server.lock);
		while (!(stop = g_atomic_int_get(&server.workers_stop)) &&
		       g_cond_wait_until(&server.workers_wake, &server.lock, until))
			;
		g_mutex_unlock(&server.lock);
		if (stop)
			break;
		config = daemon_config();
		/* A busy database only means the next round does it. */
		if (job->run(config->config, job->db, &error) < 0)
			log_warning("%s: %s", job->name, error ? error->message : "failed");
		config_ref_release(config);
	}
	store_close(job->db);
	g_free(job);
	return NULL;
}

static void
daemon_start_periodic(const char *name, int seconds, int (*run)(const ticketd_config *, store *, GError **),
                      const char *database)
{
	periodic_job *job = g_new0(periodic_job, 1);

	*job = (periodic_job){ name, seconds, run, daemon_store_open(database) };
	g_ptr_array_add(server.workers, g_thread_new(name, periodic_thread, job));
}

typedef struct {
	const imap_source_config *source;
	config_ref *config;         /* held for the worker's life: a reload does not move it */
} imap_job;

/* imap_thread - one mailbox source, so a stuck server blocks nothing else. */
static gpointer
imap_thread(gpointer data)
{
	imap_job *job = data;

	imap_run(job->source, job->config->config, (volatile gboolean *)&server.workers_stop);
	config_ref_release(job->config);
	g_free(job);
	return NULL;
}

/* daemon_start_workers - notifier, sweeper and the IMAP sources of the configuration. */
static void
daemon_start_workers(const ticketd_config *config, gboolean notifier)
{
	server.workers = g_ptr_array_new();
	if (notifier)
		daemon_start_periodic("notifications", DAEMON_NOTIFY_SECONDS, notify_flush, config->database);
	daemon_start_periodic("sweep", config->sweep_interval, daemon_sweep, config->database);
	for (guint i = 0; i < config->imap_sources->len; i++) {
		imap_job *job = g_new0(imap_job, 1);

		job->source = g_ptr_array_index(config->imap_sources, i);
		job->config = daemon_config();
		g_ptr_array_add(server.workers, g_thread_new("imap", imap_thread, job));
	}
}

/* daemon_stop_workers - wake the timed workers; IMAP workers see the flag within a second. */
static void
daemon_stop_workers(void)
{
	g_atomic_int_set(&server.workers_stop, 1);
	g_mutex_lock(&server.lock);
	g_cond_broadcast(&server.workers_wake);
	g_mutex_unlock(&server.lock);
	for (guint i = 0; i < server.workers->len; i++)
		g_thread_join(g_ptr_array_index(server.workers, i));
	g_ptr_array_unref(server.workers);
}

/* ---- process setup ---- */

/* daemon_drop_privileges - look up, then setgroups, setresgid, setresuid; all or die. */
static void
daemon_drop_privileges(const char *user)
{
	struct passwd *pw;
	uid_t ruid, euid, suid;

	if (geteuid() != 0 || user == NULL || *user == '\0' || strcmp(user, "root") == 0)
		return;
	if ((pw = getpwnam(user)) == NULL)
		log_fatal("user %s: no such user", user);
	if (pw->pw_uid == 0)
		log_fatal("user %s: has uid 0, will not run as root", user);
	if (setgroups(1, &pw->pw_gid) < 0)
		log_fatal("setgroups(%u): %s", (unsigned)pw->pw_gid, g_strerror(errno));
	if (setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) < 0)
		log_fatal("setresgid(%u): %s", (unsigned)pw->pw_gid, g_strerror(errno));
	if (setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) < 0)
		log_fatal("setresuid(%u): %s", (unsigned)pw->pw_uid, g_strerror(errno));
	if (getresuid(&ruid, &euid, &suid) < 0 || ruid != pw->pw_uid || euid != pw->pw_uid ||
	    suid != pw->pw_uid || setuid(0) == 0)
		log_panic("privileges were not dropped to %s", user);
}

/* daemon_pid_file - refuse to start twice; write our pid. */
static void
daemon_pid_file(const char *path)
{
	g_autofree char *old = NULL;
	g_autofree char *text = g_strdup_printf("%ld\n", (long)getpid());
	g_autoptr(GError) error = NULL;

	if (path == NULL || *path == '\0')
		return;
	if (g_file_get_contents(path, &old, NULL, NULL)) {
		long pid = strtol(old, NULL, 10);

		if (pid > 1 && pid != getpid() && kill((pid_t)pid, 0) == 0)
			log_fatal("%s: ticketd is already running as pid %ld", path, pid);
	}
	if (!g_file_set_contents(path, text, -1, &error))
		log_fatal("pid file: %s", error->message);
}

/*
 * daemon_detach - fork into the background; the parent waits for the child to say
 * it is ready (listeners bound, store open), so a failed start exits non-zero.
 */
static int
daemon_detach(void)
{
	int ready[2];
	pid_t pid;
	char status = 1;
	int null;

	if (pipe2(ready, O_CLOEXEC) < 0 || (pid = fork()) < 0)
		log_fatal("fork: %s", g_strerror(errno));
	if (pid > 0) {
		close(ready[1]);
		if (read(ready[0], &status, 1) != 1)
			status = EX_SOFTWARE;
		_exit(status);
	}
	close(ready[0]);
	setsid();
	if ((null = open("/dev/null", O_RDWR)) >= 0) {
		dup2(null, 0);
		dup2(null, 1);
		dup2(null, 2);
		if (null > 2)
			close(null);
	}
	return ready[1];
}

/* daemon_reload - supervisor, SIGHUP: a new configuration, or the old one if the new is broken. */
static gboolean
daemon_reload(void *data)
{
	const char *path = data;
	g_autoptr(GError) error = NULL;
	ticketd_config *fresh = config_load(path, &error);
	config_ref *ref, *old;

	if (fresh == NULL) {
		log_warning("reload: %s; keeping the running configuration", error->message);
		return FALSE;
	}
	if (g_strcmp0(fresh->database, server.config->config->database) != 0)
		log_warning("reload: database changes take effect at restart");
	daemon_listeners_update(fresh, FALSE);
	guard_configure(fresh->parse_failures, fresh->parse_timeout);
	ref = g_atomic_rc_box_new0(config_ref);
	ref->config = fresh;
	g_mutex_lock(&server.lock);
	old = server.config;
	server.config = ref;
	g_mutex_unlock(&server.lock);
	config_ref_release(old);
	log_info("reloaded %s", path);
	return TRUE;
}

/* daemon_unlisten - supervisor, SIGTERM: close the listeners, remove the unix sockets. */
static void
daemon_unlisten(void *data)
{
	(void)data;
	g_clear_pointer(&server.listeners, g_ptr_array_unref);
}

/* daemon_signal_read - a worker's signals: T to stop, R to retire; FALSE when none. */
static gboolean
daemon_signal_read(void)
{
	char byte;
	gboolean any = FALSE;

	while (read(server.signal_pipe[0], &byte, 1) == 1) {
		any = TRUE;
		if (byte == 'T')
			g_atomic_int_set(&server.stopping, 1);
		else
			g_atomic_int_set(&server.retiring, 1);
	}
	return any;
}

/* daemon_loop - worker: accept until SIGTERM, or until the supervisor retires us. */
static void
daemon_loop(void)
{
	while (!g_atomic_int_get(&server.stopping) && !g_atomic_int_get(&server.retiring)) {
		guint count = server.listeners->len;
		g_autofree struct pollfd *fds = g_new0(struct pollfd, count + 1);

		fds[0].fd = server.signal_pipe[0];
		fds[0].events = POLLIN;
		for (guint i = 0; i < count; i++) {
			fds[i + 1].fd = ((listener *)g_ptr_array_index(server.listeners, i))->fd;
			fds[i + 1].events = POLLIN;
		}
		if (poll(fds, count + 1, -1) < 0) {
			if (errno != EINTR)
				log_fatal("poll: %s", g_strerror(errno));
			continue;
		}
		if ((fds[0].revents & POLLIN) && daemon_signal_read())
			continue;
		for (guint i = 0; i < count; i++)
			if (fds[i + 1].revents & POLLIN)
				daemon_accept(fds[i + 1].fd);
	}
	g_atomic_int_set(&server.workers_stop, 1);
}

/* daemon_signals - a worker's own: the supervisor's pipe and handlers stay behind. */
static void
daemon_signals(void)
{
	struct sigaction action = { .sa_handler = daemon_signal, .sa_flags = SA_RESTART };

	if (pipe2(server.signal_pipe, O_CLOEXEC | O_NONBLOCK) < 0)
		log_fatal("pipe: %s", g_strerror(errno));
	sigemptyset(&action.sa_mask);
	sigaction(SIGTERM, &action, NULL);
	sigaction(SIGINT, &action, NULL);
	sigaction(SIGHUP, &action, NULL);
}

static void
daemon_usage(void)
{
	fprintf(stderr, "usage: ticketd [-fn] [-c FILE]\n       ticketd deliver [-c FILE] [-f SENDER] [-r RECIPIENT]...\n");
}

/* daemon_drain - after SIGTERM: let sessions finish their transactions, then stop. */
static void
daemon_drain(void)
{
	gint64 deadline = g_get_monotonic_time() + DAEMON_DRAIN_SECONDS * G_USEC_PER_SEC;

	log_info("stopping: finishing the transactions in flight");
	g_clear_pointer(&server.listeners, g_ptr_array_unref);      /* stop accepting */
	while (g_atomic_int_get(&server.connections) > 0 && g_get_monotonic_time() < deadline)
		g_usleep(50 * 1000);
	if (g_atomic_int_get(&server.connections) > 0)
		log_warning("stopping with %d sessions still open", g_atomic_int_get(&server.connections));
}

/*
 * daemon_retire - a worker replaced after a reload takes no new sessions; the open ones
 * go on with the old configuration until their clients quit or idle out, or SIGTERM.
 */
static void
daemon_retire(void)
{
	g_clear_pointer(&server.listeners, g_ptr_array_unref);
	log_info("retiring: %d sessions still open", g_atomic_int_get(&server.connections));
	while (g_atomic_int_get(&server.connections) > 0 && !g_atomic_int_get(&server.stopping)) {
		struct pollfd pfd = { .fd = server.signal_pipe[0], .events = POLLIN };

		if (poll(&pfd, 1, DAEMON_TICK_MS) > 0)
			daemon_signal_read();
	}
	if (g_atomic_int_get(&server.stopping))
		daemon_drain();
}

/*
 * daemon_serve - the worker process: everything that touches mail. The listeners are
 * inherited; only the supervisor removes their sockets.
 */
static int
daemon_serve(int ready_fd, void *data)
{
	const ticketd_config *config = server.config->config;
	char ready = 0;

	(void)data;
	daemon_signals();
	for (guint i = 0; i < server.listeners->len; i++)
		g_clear_pointer(&((listener *)g_ptr_array_index(server.listeners, i))->path, g_free);
	mime_init();
	server.writer = writer_start(daemon_store_open(config->database));
	guard_watchdog_start();
	daemon_start_workers(config, server.notifier);
	(void)!write(ready_fd, &ready, 1);
	close(ready_fd);
	daemon_loop();
	if (g_atomic_int_get(&server.retiring) && !g_atomic_int_get(&server.stopping))
		daemon_retire();
	else
		daemon_drain();
	writer_stop(server.writer);
	daemon_stop_workers();
	config_ref_release(server.config);
	return 0;
}

int
daemon_main(int argc, char **argv)
{
	const char *config_file = NULL;
	gboolean foreground = FALSE;
	g_autoptr(GError) error = NULL;
	ticketd_config *config;
	char hostname[256] = "localhost";
	g_autofree char *pid_file = NULL;
	supervisor_hooks hooks = { daemon_serve, daemon_reload, daemon_unlisten, NULL };
	int ready_fd = -1;
	int option, status;

	server.notifier = TRUE;
	while ((option = getopt(argc, argv, "c:fnh")) != -1) {
		switch (option) {
		case 'c':
			config_file = optarg;
			break;
		case 'f':
			foreground = TRUE;
			break;
		case 'n':
			server.notifier = FALSE;
			break;
		default:
			daemon_usage();
			return EX_USAGE;
		}
	}
	if (optind != argc) {
		daemon_usage();
		return EX_USAGE;
	}
	log_open("ticketd", foreground ? LOG_TO_STDERR : LOG_TO_SYSLOG);
	config_file = config_path(config_file);
	if ((config = config_load(config_file, &error)) == NULL) {
		log_warning("%s", error->message);
		if (!foreground)
			fprintf(stderr, "ticketd: %s\n", error->message);
		return EX_CONFIG;
	}
	if (!foreground)
		ready_fd = daemon_detach();
	g_mutex_init(&server.lock);
	server.config = g_atomic_rc_box_new0(config_ref);
	server.config->config = config;
	gethostname(hostname, sizeof hostname - 1);
	server.hostname = g_strdup(hostname);
	signal(SIGPIPE, SIG_IGN);
	daemon_listeners_update(config, TRUE);
	pid_file = g_strdup(config->pid_file);
	daemon_pid_file(pid_file);
	daemon_drop_privileges(config->user);
	guard_open();
	guard_configure(config->parse_failures, config->parse_timeout);
	log_info("ticketd started: %u listeners, database %s", server.listeners->len, config->database);
	hooks.data = (void *)config_file;
	status = supervisor_run(&hooks, ready_fd);
	if (pid_file != NULL && *pid_file != '\0')
		unlink(pid_file);
	config_ref_release(server.config);
	log_info("stopped");
	return status;
}
