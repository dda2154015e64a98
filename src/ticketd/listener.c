/*
 * listener - the LMTP listening sockets (unix and TCP) of the daemon: opened from the
 * configuration and kept across reloads when unchanged, stale unix sockets replaced,
 * clients accepted and capped at max_connections, sockets removed on shutdown. What
 * a client says is session.c's business. A unix socket client must run as one of
 * [lmtp] allowed_users.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <pwd.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "daemon-private.h"
#include "log.h"

typedef struct {
	char *spec;                 /* as configured: "unix:/path" or "inet:host:port" */
	char *path;                 /* unix sockets: the file to remove at close */
	int fd;
} listener;

/* Every listener open now, in the order of the configuration. */
static GPtrArray *listeners;    /* listener * */

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

/* listener_update - listeners that did not change stay open, so a reload loses no client. */
gboolean
listener_update(const ticketd_config *config, gboolean fatal)
{
	GPtrArray *next = g_ptr_array_new_with_free_func(listener_close);
	gboolean ok = TRUE;

	for (int i = 0; config->lmtp.listen[i] != NULL; i++) {
		const char *spec = config->lmtp.listen[i];
		listener *kept = NULL;
		g_autoptr(GError) error = NULL;

		for (guint j = 0; listeners != NULL && j < listeners->len; j++) {
			listener *old = g_ptr_array_index(listeners, j);

			if (old != NULL && strcmp(old->spec, spec) == 0) {
				kept = g_ptr_array_steal_index(listeners, j);
				break;
			}
		}
		if (kept == NULL && (kept = listener_open(spec, &config->lmtp, &error)) == NULL) {
			if (fatal) {
				g_ptr_array_unref(next);    /* a failed start leaves no socket behind */
				log_fatal("%s", error->message);
			}
			log_warning("%s", error->message);
			ok = FALSE;
			continue;
		}
		g_ptr_array_add(next, kept);
	}
	if (listeners != NULL) {
		for (guint j = 0; j < listeners->len; j++)
			log_info("no longer listening on %s", ((listener *)g_ptr_array_index(listeners, j))->spec);
		g_ptr_array_unref(listeners);
	}
	listeners = next;
	return ok;
}

char **
listener_socket_paths(void)
{
	GStrvBuilder *builder = g_strv_builder_new();
	char **paths;

	for (guint i = 0; listeners != NULL && i < listeners->len; i++) {
		const listener *l = g_ptr_array_index(listeners, i);

		if (l->path != NULL)
			g_strv_builder_add(builder, l->path);
	}
	paths = g_strv_builder_end(builder);
	g_strv_builder_unref(builder);
	return paths;
}

guint
listener_count(void)
{
	return listeners != NULL ? listeners->len : 0;
}

void
listener_close_all(void)
{
	g_clear_pointer(&listeners, g_ptr_array_unref);
}

/* listener_leave_sockets - only the supervisor removes the socket files it made. */
void
listener_leave_sockets(void)
{
	for (guint i = 0; i < listeners->len; i++)
		g_clear_pointer(&((listener *)g_ptr_array_index(listeners, i))->path, g_free);
}

static char *
listener_peer_name(const struct sockaddr_storage *address)
{
	char host[NI_MAXHOST];

	if (address->ss_family == AF_UNIX)
		return g_strdup("unix socket");
	if (getnameinfo((const struct sockaddr *)address, sizeof *address, host, sizeof host, NULL, 0,
	                NI_NUMERICHOST) != 0)
		return g_strdup("unknown");
	return g_strdup(host);
}

/*
 * listener_peer_allowed - a unix socket client runs as a user of allowed_users (its
 * credentials are the kernel's, SO_PEERCRED, not anything it says); a TCP client is
 * not asked: loopback TCP trusts every local user, as ticketd.conf(5) warns.
 */
static gboolean
listener_peer_allowed(int fd, const struct sockaddr_storage *address, const lmtp_config *lmtp)
{
	struct ucred peer = { 0 };
	socklen_t length = sizeof peer;

	if (address->ss_family != AF_UNIX)
		return TRUE;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &peer, &length) != 0) {
		log_warning("refused a unix socket client: reason=no-credentials: %s", g_strerror(errno));
		return FALSE;
	}
	if (config_user_allowed(lmtp, peer.uid))
		return TRUE;
	log_warning("refused a unix socket client: reason=user-not-allowed pid=%ld uid=%u gid=%u "
	            "(not in [lmtp] allowed_users)", (long)peer.pid, (unsigned)peer.uid, (unsigned)peer.gid);
	return FALSE;
}

/* listener_refuse - the 421 for reason, then close; the client gets no session. */
static void
listener_refuse(int fd, lmtp_close_reason reason, daemon_config_ref *config)
{
	fcntl(fd, F_SETFL, O_NONBLOCK);
	session_refuse(fd, reason);
	close(fd);
	daemon_config_release(config);
}

/* listener_accept - one new client: a session of its own, or 421 past the cap. */
static void
listener_accept(int listen_fd)
{
	struct sockaddr_storage address = { 0 };
	socklen_t length = sizeof address;
	int fd = accept4(listen_fd, (struct sockaddr *)&address, &length, SOCK_CLOEXEC);
	daemon_config_ref *config;

	if (fd < 0) {
		if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
			log_warning("accept: %s", g_strerror(errno));
		return;
	}
	config = daemon_config();
	if (!listener_peer_allowed(fd, &address, &config->config->lmtp)) {
		listener_refuse(fd, LMTP_CLOSE_NOT_ALLOWED, config);
		return;
	}
	if (session_count() >= config->config->lmtp.max_connections) {
		g_autofree char *peer = listener_peer_name(&address);

		log_warning("too many connections (%d): refused %s", config->config->lmtp.max_connections, peer);
		listener_refuse(fd, LMTP_CLOSE_BUSY, config);
		return;
	}
	session_start(fd, listener_peer_name(&address), address.ss_family != AF_UNIX, config);
}

gboolean
listener_poll(int wake_fd)
{
	guint count = listeners->len;
	g_autofree struct pollfd *fds = g_new0(struct pollfd, count + 1);

	fds[0].fd = wake_fd;
	fds[0].events = POLLIN;
	for (guint i = 0; i < count; i++) {
		fds[i + 1].fd = ((listener *)g_ptr_array_index(listeners, i))->fd;
		fds[i + 1].events = POLLIN;
	}
	if (poll(fds, count + 1, -1) < 0) {
		if (errno != EINTR)
			log_fatal("poll: %s", g_strerror(errno));
		return FALSE;
	}
	if (fds[0].revents & POLLIN)
		return TRUE;
	for (guint i = 0; i < count; i++)
		if (fds[i + 1].revents & POLLIN)
			listener_accept(fds[i + 1].fd);
	return FALSE;
}
