/*
 * check - `ticketd check`: what stops the daemon from starting or mail from arriving,
 * found before a customer finds it. Checks the configuration, the owners and modes of
 * the configuration, the secret, the database and its directory, the templates of
 * every language, the listeners, a Postfix master.cf service whose socket would be
 * ticketd's, and the SMTP relay of the notifications. Prints one line per problem,
 * each with what to run; prints nothing when all is well.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <netdb.h>
#include <poll.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

#include "check.h"
#include "config.h"
#include "event.h"

/* How long the SMTP relay may take to greet. */
#define CHECK_RELAY_TIMEOUT_MS 5000

typedef struct {
	const ticketd_config *config;
	const struct passwd *user;  /* [ticketd] user, NULL when it does not exist */
	const char *user_name;
	char *group_name;           /* owned */
	int problems;
} check_context;

static void G_GNUC_PRINTF(2, 3)
check_problem(check_context *ctx, const char *format, ...)
{
	va_list args;
	g_autofree char *line = NULL;

	va_start(args, format);
	line = g_strdup_vprintf(format, args);
	va_end(args);
	printf("ticketd check: %s\n", line);
	ctx->problems++;
}

/* check_private_file - root:GROUP 0640, as make install leaves the configuration and the secret. */
static void
check_private_file(check_context *ctx, const char *what, const char *path)
{
	struct stat st;

	if (stat(path, &st) != 0) {
		check_problem(ctx, "%s %s: %s; run make install, or start ticketd once as root to make it",
		              what, path, g_strerror(errno));
		return;
	}
	if (st.st_uid == 0 && (ctx->user == NULL || st.st_gid == ctx->user->pw_gid) && (st.st_mode & 07777) == 0640)
		return;
	check_problem(ctx, "%s %s: owner %u:%u mode %04o, not root:%s 0640; run chown root:%s %s && chmod 0640 %s",
	              what, path, (unsigned)st.st_uid, (unsigned)st.st_gid, (unsigned)(st.st_mode & 07777),
	              ctx->group_name, ctx->group_name, path, path);
}

/* check_database - the directory the daemon's user writes (0750), the files it owns. */
static void
check_database(check_context *ctx)
{
	g_autofree char *dir = g_path_get_dirname(ctx->config->database);
	static const char *const suffixes[] = { "", "-wal", "-shm" };
	struct stat st;

	if (ctx->user == NULL)
		return;
	if (stat(dir, &st) != 0) {
		check_problem(ctx, "database directory %s: %s; run install -d -o %s -g %s -m 0750 %s", dir,
		              g_strerror(errno), ctx->user_name, ctx->group_name, dir);
		return;
	}
	if (st.st_uid != ctx->user->pw_uid || (st.st_mode & 0700) != 0700 || (st.st_mode & 0007) != 0)
		check_problem(ctx, "database directory %s: owner %u mode %04o, not %s 0750; run chown %s:%s %s && "
		              "chmod 0750 %s", dir, (unsigned)st.st_uid, (unsigned)(st.st_mode & 07777), ctx->user_name,
		              ctx->user_name, ctx->group_name, dir, dir);
	for (gsize i = 0; i < G_N_ELEMENTS(suffixes); i++) {
		g_autofree char *path = g_strconcat(ctx->config->database, suffixes[i], NULL);

		if (stat(path, &st) == 0 && st.st_uid != ctx->user->pw_uid)
			check_problem(ctx, "database %s: owner %u, not %s: the daemon cannot write it; run chown %s:%s %s",
			              path, (unsigned)st.st_uid, ctx->user_name, ctx->user_name, ctx->group_name, path);
	}
}

/* check_templates - every notice's template in every language, else the built-in text goes out. */
static void
check_templates(check_context *ctx)
{
	static const char *const languages[] = { "es", "en" };
	g_autoptr(GError) error = NULL;

	if (!config_check_templates(ctx->config, &error)) {
		check_problem(ctx, "%s", error->message);
		return;
	}
	for (gsize l = 0; l < G_N_ELEMENTS(languages); l++)
		for (notify_kind kind = NOTIFY_CREATED; kind <= NOTIFY_LAST_CUSTOMER; kind++) {
			g_autofree char *name = g_strconcat(event_notice_name(kind), ".txt", NULL);
			g_autofree char *path = g_build_filename(ctx->config->templates_dir, languages[l], name, NULL);

			if (access(path, R_OK) != 0)
				check_problem(ctx, "template %s: %s; copy it from the etc/templates/%s of the source",
				              path, g_strerror(errno), languages[l]);
		}
}

/* check_listen - a unix socket's directory exists; a listener off the loopback is said aloud. */
static void
check_listen(check_context *ctx)
{
	for (int i = 0; ctx->config->lmtp.listen[i] != NULL; i++) {
		const char *spec = ctx->config->lmtp.listen[i];
		g_autofree char *dir = NULL;

		if (!g_str_has_prefix(spec, "unix:"))
			continue;
		dir = g_path_get_dirname(spec + 5);
		if (!g_file_test(dir, G_FILE_TEST_IS_DIR))
			check_problem(ctx, "[lmtp] listen %s: no directory %s; install Postfix, or fix the path", spec, dir);
	}
	if (ctx->config->lmtp.allow_remote)
		check_problem(ctx, "[lmtp] allow_remote = yes: LMTP may face the network and anyone reaching it files "
		              "mail as anyone; set allow_remote = no unless a firewall admits the MTA alone");
}

/* check_postconf - the output of postconf ARG (Postfix's MAIL_CONFIG is honoured), or NULL. */
static char *
check_postconf(const char *postconf, const char *arg)
{
	const char *argv[] = { postconf, arg, arg[1] == 'h' ? "queue_directory" : NULL, NULL };
	char *out = NULL;
	int status;

	if (!g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL, &out, NULL, &status,
	                  NULL) || !g_spawn_check_wait_status(status, NULL)) {
		g_free(out);
		return NULL;
	}
	return out;
}

/* check_master_line - one `postconf -M` service: the socket master(8) makes for it is not ours. */
static void
check_master_line(check_context *ctx, const char *queue, const char *line)
{
	g_auto(GStrv) fields = g_strsplit_set(line, " \t", -1);
	g_autofree char *socket = NULL;
	int n = 0;
	const char *word[3] = { NULL, NULL, NULL };

	for (int i = 0; fields[i] != NULL && n < 3; i++)
		if (*fields[i] != '\0')
			word[n++] = fields[i];
	if (n < 3 || !g_str_has_prefix(word[1], "unix"))
		return;
	socket = g_build_filename(queue, strcmp(word[2], "n") == 0 ? "public" : "private", word[0], NULL);
	for (int i = 0; ctx->config->lmtp.listen[i] != NULL; i++)
		if (g_str_has_prefix(ctx->config->lmtp.listen[i], "unix:") &&
		    strcmp(ctx->config->lmtp.listen[i] + 5, socket) == 0)
			check_problem(ctx, "[lmtp] listen unix:%s is the socket of Postfix's master.cf service \"%s\": "
			              "Postfix takes it; listen on unix:%s-lmtp and use the next-hop %s:unix:%s/%s-lmtp",
			              socket, word[0], socket, word[0], strcmp(word[2], "n") == 0 ? "public" : "private",
			              word[0]);
}

/* check_postfix - when Postfix is installed: no master.cf service collides with a listener. */
static void
check_postfix(check_context *ctx)
{
	g_autofree char *postconf = g_find_program_in_path("postconf");
	g_autofree char *queue = NULL;
	g_autofree char *services = NULL;
	g_auto(GStrv) lines = NULL;

	if (postconf == NULL && access("/usr/sbin/postconf", X_OK) == 0)
		postconf = g_strdup("/usr/sbin/postconf");
	if (postconf == NULL)
		return;
	if ((queue = check_postconf(postconf, "-h")) == NULL || (services = check_postconf(postconf, "-M")) == NULL) {
		check_problem(ctx, "%s -M fails (is Postfix set up? no main.cf?); set it up with etc/postfix/*.sample, "
		              "then run postfix check", postconf);
		return;
	}
	g_strstrip(queue);
	lines = g_strsplit(services, "\n", -1);
	for (int i = 0; lines[i] != NULL; i++)
		check_master_line(ctx, queue, lines[i]);
}

/* check_connect - a TCP connection to host:port within the timeout; -1 with errno set. */
static int
check_connect(const char *host, const char *port)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM };
	struct addrinfo *found = NULL;
	struct pollfd pfd = { .events = POLLOUT };
	int fd, error = 0;
	socklen_t length = sizeof error;

	if (getaddrinfo(host, port, &hints, &found) != 0) {
		errno = EHOSTUNREACH;
		return -1;
	}
	fd = socket(found->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd >= 0 && connect(fd, found->ai_addr, found->ai_addrlen) < 0 && errno == EINPROGRESS) {
		pfd.fd = fd;
		if (poll(&pfd, 1, CHECK_RELAY_TIMEOUT_MS) != 1)
			error = ETIMEDOUT;
		else
			getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length);
	} else if (fd >= 0 && errno != 0 && errno != EINPROGRESS) {
		error = errno;
	}
	freeaddrinfo(found);
	if (fd >= 0 && error != 0) {
		close(fd);
		errno = error;
		return -1;
	}
	return fd;
}

/* check_relay - [smtp] url accepts a connection and greets with 220. */
static void
check_relay(check_context *ctx)
{
	const char *url = ctx->config->smtp.url;
	const char *hostport = strstr(url, "://") + 3;
	const char *colon = strrchr(hostport, ':');
	g_autofree char *host = g_strndup(hostport, colon ? (gsize)(colon - hostport) : strcspn(hostport, "/"));
	g_autofree char *port = colon ? g_strndup(colon + 1, strcspn(colon + 1, "/"))
	                              : g_strdup(g_str_has_prefix(url, "smtps:") ? "465" : "25");
	struct pollfd pfd = { .events = POLLIN };
	char greeting[4] = "";
	int fd;

	errno = 0;
	if ((fd = check_connect(host, port)) < 0) {
		check_problem(ctx, "[smtp] url %s: %s; notifications wait in the outbox: start the MTA or fix url",
		              url, g_strerror(errno));
		return;
	}
	pfd.fd = fd;
	if (!g_str_has_prefix(url, "smtps:") &&
	    (poll(&pfd, 1, CHECK_RELAY_TIMEOUT_MS) != 1 || read(fd, greeting, 3) != 3 || strcmp(greeting, "220") != 0))
		check_problem(ctx, "[smtp] url %s: no 220 greeting within %d s; check the MTA's log", url,
		              CHECK_RELAY_TIMEOUT_MS / 1000);
	close(fd);
}

/* check_user - [ticketd] user exists and is not root; its group owns the private files. */
static void
check_user(check_context *ctx)
{
	struct group *group;

	ctx->user_name = ctx->config->user;
	ctx->user = getpwnam(ctx->config->user);
	if (ctx->user == NULL) {
		ctx->group_name = g_strdup(ctx->config->user);
		check_problem(ctx, "[ticketd] user %s: no such user; run make install, or adduser --system --group "
		              "--home /var/lib/ticketd %s", ctx->config->user, ctx->config->user);
		return;
	}
	group = getgrgid(ctx->user->pw_gid);
	ctx->group_name = group != NULL ? g_strdup(group->gr_name) : g_strdup_printf("%u", ctx->user->pw_gid);
}

int
check_main(int argc, char **argv)
{
	const char *file = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(ticketd_config) config = NULL;
	check_context ctx = { 0 };
	int option;

	while ((option = getopt(argc, argv, "c:")) != -1) {
		if (option != 'c') {
			fprintf(stderr, "usage: ticketd check [-c FILE]\n");
			return EX_USAGE;
		}
		file = optarg;
	}
	file = config_path(file);
	if ((config = config_load(file, &error)) == NULL) {
		printf("ticketd check: %s\n", error->message);
		return EX_CONFIG;
	}
	ctx.config = config;
	check_user(&ctx);
	check_private_file(&ctx, "configuration", file);
	check_private_file(&ctx, "[ticketd] secret_file", config->secret_file);
	check_database(&ctx);
	check_templates(&ctx);
	check_listen(&ctx);
	check_postfix(&ctx);
	check_relay(&ctx);
	g_free(ctx.group_name);
	return ctx.problems == 0 ? EX_OK : 1;
}
