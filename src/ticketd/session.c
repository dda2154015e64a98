/*
 * session - one LMTP connection in a thread of its own: reads the socket, feeds the
 * lmtp.c protocol engine and writes its replies, parses each message under guard and
 * hands it to the group-commit writer. A session ends on QUIT, on a lost client, past
 * the idle timeout or a command's or message's deadline, or at shutdown once no
 * transaction is in flight.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "daemon-private.h"
#include "guard.h"
#include "log.h"
#include "mime.h"

#define SESSION_READ_SIZE 65536

typedef struct {
	int fd;
	gboolean tcp;
	char *peer;
	daemon_config_ref *config;
} connection;

static struct {
	const char *hostname;
	writer *writer;
	gint count;                 /* open now (atomic) */
	gint stopping;              /* SIGTERM seen (atomic) */
} sessions;

void
session_setup(const char *hostname, writer *commits)
{
	sessions.hostname = hostname;
	sessions.writer = commits;
}

int
session_count(void)
{
	return g_atomic_int_get(&sessions.count);
}

void
session_shutdown(void)
{
	g_atomic_int_set(&sessions.stopping, 1);
}

/* session_write_all - the whole buffer, or FALSE; never raises SIGPIPE. */
static gboolean
session_write_all(int fd, const char *bytes, gsize length)
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

void
session_refuse(int fd, lmtp_close_reason reason)
{
	const char *reply = lmtp_close_reply(reason);

	session_write_all(fd, reply, strlen(reply));
}

static failure
session_check_recipient(void *context, const char *address)
{
	connection *c = context;

	return config_department_for(c->config->config, address, NULL) ? failure_ok()
	       : failure_permanent(FAILURE_NO_SUCH_USER);
}

/* session_deliver - parse here, in the session's thread, under guard; commit in the writer's. */
static void
session_deliver(void *context, const lmtp_envelope *envelope, const char *data, gsize length,
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
	writer_submit(sessions.writer, items, envelope->recipient_count);
	guard_leave(slot);
	for (guint i = 0; i < envelope->recipient_count; i++) {
		lmtp_outcome_set(&outcomes[i], &items[i].result);
		ingest_result_clear(&items[i].result);
	}
}

/* session_flush - write the replies waiting in the session. */
static gboolean
session_flush(connection *c, lmtp_session *session)
{
	GString *out = lmtp_session_output(session);
	gboolean ok = session_write_all(c->fd, out->str, out->len);

	g_string_truncate(out, 0);
	return ok;
}

/* session_seconds_allowed - what the reason's limit was, for the log line. */
static int
session_seconds_allowed(const lmtp_config *lmtp, lmtp_close_reason reason)
{
	return reason == LMTP_CLOSE_COMMAND_TIME ? lmtp->command_timeout
	       : reason == LMTP_CLOSE_DATA_TIME ? lmtp->data_timeout : lmtp->idle_timeout;
}

/*
 * session_wait - wait for input; FALSE when the session closed for a shutdown, an idle
 * client, or a command or message not finished by its deadline (a trickle of bytes
 * restarts the idle timer, never the deadline).
 */
static gboolean
session_wait(connection *c, lmtp_session *session, gint64 idle_since)
{
	const lmtp_config *lmtp = &c->config->config->lmtp;
	struct pollfd pfd = { .fd = c->fd, .events = POLLIN };
	gint64 idle_end = idle_since + (gint64)lmtp->idle_timeout * G_USEC_PER_SEC;

	for (;;) {
		lmtp_close_reason reason = LMTP_CLOSE_IDLE;
		gint64 deadline = lmtp_session_deadline(session, &reason);
		gint64 now = g_get_monotonic_time();

		if (g_atomic_int_get(&sessions.stopping) && !lmtp_session_busy(session) &&
		    lmtp_session_pending(session) == 0) {
			lmtp_session_close(session, LMTP_CLOSE_SHUTDOWN);
			return FALSE;
		}
		if (idle_end <= deadline) {
			deadline = idle_end;
			reason = LMTP_CLOSE_IDLE;
		}
		if (now >= deadline) {
			log_info("closed %s: reason=%s, past %d s", c->peer, lmtp_close_reason_name(reason),
			         session_seconds_allowed(lmtp, reason));
			lmtp_session_close(session, reason);
			return FALSE;
		}
		if (poll(&pfd, 1, (int)MIN(DAEMON_TICK_MS, (deadline - now + 999) / 1000)) != 0)
			return TRUE;
	}
}

/* session_free - close the client and forget it: the count goes down with it. */
static void
session_free(connection *c)
{
	close(c->fd);
	daemon_config_release(c->config);
	g_free(c->peer);
	g_free(c);
	g_atomic_int_dec_and_test(&sessions.count);
}

static gpointer
session_thread(gpointer data)
{
	connection *c = data;
	const ticketd_config *config = c->config->config;
	lmtp_settings settings = {
		.hostname = sessions.hostname, .peer = c->peer,
		.max_message_size = config->max_message_size,
		.max_recipients = (guint)config->lmtp.max_recipients,
		.command_timeout = config->lmtp.command_timeout,
		.data_timeout = config->lmtp.data_timeout,
		.data_min_rate = config->lmtp.data_min_rate,
	};
	lmtp_callbacks callbacks = { session_check_recipient, session_deliver, c };
	g_autoptr(lmtp_session) session = lmtp_session_new(&settings, &callbacks);
	g_autofree char *buffer = g_malloc(SESSION_READ_SIZE);
	gint64 idle_since = g_get_monotonic_time();

	lmtp_session_greeting(session);
	while (session_flush(c, session) && !lmtp_session_done(session)) {
		ssize_t n;

		if (!session_wait(c, session, idle_since)) {
			session_flush(c, session);
			break;
		}
		n = read(c->fd, buffer, SESSION_READ_SIZE);
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
	session_free(c);
	return NULL;
}

void
session_start(int fd, char *peer, gboolean tcp, daemon_config_ref *config)
{
	connection *c = g_new0(connection, 1);
	GThread *thread;

	c->fd = fd;
	c->peer = peer;
	c->config = config;
	c->tcp = tcp;
	/* A client that stops reading must not hold its thread forever. */
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO,
	           &(struct timeval){ .tv_sec = config->config->lmtp.idle_timeout }, sizeof(struct timeval));
	if (c->tcp)                         /* replies are written whole: no need to wait */
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &(int){ 1 }, sizeof(int));
	g_atomic_int_inc(&sessions.count);
	thread = g_thread_try_new("lmtp", session_thread, c, NULL);
	if (thread == NULL) {
		session_refuse(fd, LMTP_CLOSE_NO_SESSION);
		session_free(c);
		return;
	}
	g_thread_unref(thread);
}
