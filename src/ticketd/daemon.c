/*
 * daemon - `ticketd [-c FILE] [-f] [-n]`: read the options and the configuration, bind
 * the LMTP listeners, write the pid file, drop privileges, then hand over to the
 * supervisor, which runs worker.c in a worker process. SIGHUP reloads the
 * configuration in the supervisor, which starts a worker with it and retires the old
 * one; listeners that did not change stay open.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sysexits.h>
#include <unistd.h>

#include "daemon.h"
#include "daemon-private.h"
#include "guard.h"
#include "log.h"
#include "secret.h"
#include "version.h"
#include "supervisor.h"

static struct {
	GMutex lock;
	daemon_config_ref *config;  /* the current one; take it with daemon_config() */
	char *hostname;
	gboolean notifier;          /* run the notifier (not with -n) */
	gboolean root_started;      /* every configuration must be root's, reloads included */
} server;

static void
daemon_config_clear(gpointer data)
{
	config_free(((daemon_config_ref *)data)->config);
}

daemon_config_ref *
daemon_config(void)
{
	daemon_config_ref *ref;

	g_mutex_lock(&server.lock);
	ref = g_atomic_rc_box_acquire(server.config);
	g_mutex_unlock(&server.lock);
	return ref;
}

void
daemon_config_release(daemon_config_ref *ref)
{
	g_atomic_rc_box_release_full(ref, daemon_config_clear);
}

/* daemon_drop_privileges - look up, then setgroups, setresgid, setresuid; all or die. */
static void
daemon_drop_privileges(const char *user)
{
	struct passwd *pw;
	uid_t ruid, euid, suid;

	if (geteuid() != 0)
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

/*
 * daemon_check_root - started as root: a configuration only root could have written
 * (it chooses the files root writes), and a user to drop to, for root must not parse
 * hostile mail.
 */
static gboolean
daemon_check_root(const ticketd_config *config, GError **error)
{
	const struct passwd *pw;

	if (!server.root_started)
		return TRUE;
	if (!config_check_root_owned(config, error))
		return FALSE;
	pw = config->user != NULL && *config->user != '\0' ? getpwnam(config->user) : NULL;
	if (config->user == NULL || *config->user == '\0' || (pw != NULL && pw->pw_uid == 0)) {
		g_set_error(error, CONFIG_ERROR, 1, "%s: [ticketd] user = %s: ticketd started as root must drop "
		            "to an unprivileged user; set user = ticketd (an account of its own)", config->path,
		            config->user != NULL ? config->user : "");
		return FALSE;
	}
	return TRUE;
}

/* daemon_pid_open - the pid file, refused if it is a symbolic link, not ours, or has another name. */
static int
daemon_pid_open(const char *path)
{
	int fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC, 0644);
	struct stat st;

	if (fd < 0)
		log_fatal("pid file %s: %s%s", path, g_strerror(errno),
		          errno == ELOOP ? "; it is a symbolic link: remove it" : "");
	/* A file of someone else's, or a hard link to another file, would be overwritten for them. */
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid() || st.st_nlink != 1)
		log_fatal("pid file %s: not a regular file of uid %u with one name; remove it", path,
		          (unsigned)geteuid());
	return fd;
}

/* daemon_pid_file - refuse to start twice; write our pid. */
static void
daemon_pid_file(const char *path)
{
	g_autofree char *text = g_strdup_printf("%ld\n", (long)getpid());
	char old[32] = "";
	ssize_t n;
	int fd;

	if (path == NULL || *path == '\0')
		return;
	fd = daemon_pid_open(path);
	if ((n = read(fd, old, sizeof old - 1)) > 0) {
		long pid;

		old[n] = '\0';
		pid = strtol(old, NULL, 10);
		if (pid > 1 && pid != getpid() && kill((pid_t)pid, 0) == 0)
			log_fatal("%s: ticketd is already running as pid %ld", path, pid);
	}
	if (ftruncate(fd, 0) != 0 || pwrite(fd, text, strlen(text), 0) != (ssize_t)strlen(text) || close(fd) != 0)
		log_fatal("pid file %s: %s", path, g_strerror(errno));
}

/*
 * daemon_detach - fork into the background; the parent waits for the child to say
 * it is ready (listeners bound, store open), so a failed start exits non-zero with the
 * child's own code. Until then the child's warnings and fatal errors reach stderr too.
 */
static int
daemon_detach(void)
{
	int ready[2];
	pid_t pid;
	char status = 1;
	int null, child;

	if (pipe2(ready, O_CLOEXEC) < 0 || (pid = fork()) < 0)
		log_fatal("fork: %s", g_strerror(errno));
	if (pid > 0) {
		close(ready[1]);
		if (read(ready[0], &status, 1) != 1)
			status = waitpid(pid, &child, 0) == pid && WIFEXITED(child) ? (char)WEXITSTATUS(child)
			                                                            : EX_SOFTWARE;
		_exit(status);
	}
	close(ready[0]);
	setsid();
	log_start_detached();
	if ((null = open("/dev/null", O_RDWR)) >= 0) {
		dup2(null, 0);
		dup2(null, 1);
		if (null > 2)
			close(null);
	}
	return ready[1];
}

/* daemon_run_directory - the pid file's directory, made when missing (no systemd RuntimeDirectory). */
static void
daemon_run_directory(const char *pid_file)
{
	g_autofree char *dir = NULL;

	if (pid_file == NULL || *pid_file == '\0')
		return;
	dir = g_path_get_dirname(pid_file);
	if (g_mkdir_with_parents(dir, 0755) < 0)
		log_fatal("%s: cannot create it: %s", dir, g_strerror(errno));
}

/* daemon_secret - [ticketd] secret_file, made on the first start: readable by the daemon's group. */
static void
daemon_secret(ticketd_config *config)
{
	struct passwd *pw;
	g_autoptr(GError) error = NULL;

	if (geteuid() != 0 || config->secret != NULL || config->secret_file == NULL)
		return;
	pw = config->user != NULL ? getpwnam(config->user) : NULL;
	if (!secret_create(config->secret_file, pw != NULL ? pw->pw_gid : 0, &error))
		log_fatal("[ticketd] secret_file %s; make it as make install does: "
		          "(umask 027; od -An -tx1 -N32 /dev/urandom | tr -d '[:space:]'; echo) > %s && chgrp %s %s",
		          error->message, config->secret_file, config->user, config->secret_file);
	/* The configuration was read before the file existed: take the new key now. */
	if ((config->secret = secret_load(config->secret_file, &error)) == NULL)
		log_fatal("[ticketd] secret_file %s", error->message);
	g_clear_pointer(&config->secret_problem, g_free);
	log_info("made the secret %s", config->secret_file);
}

/* daemon_cleaner - sockets and pid file outlive the privilege drop: a root cleaner removes them. */
static void
daemon_cleaner(const ticketd_config *config)
{
	g_auto(GStrv) paths = listener_socket_paths();
	g_autoptr(GStrvBuilder) builder = g_strv_builder_new();
	g_auto(GStrv) all = NULL;

	if (geteuid() != 0 || config->user == NULL || *config->user == '\0' || strcmp(config->user, "root") == 0)
		return;             /* no drop: the supervisor removes them itself */
	g_strv_builder_addv(builder, (const char **)paths);
	if (config->pid_file != NULL && *config->pid_file != '\0')
		g_strv_builder_add(builder, config->pid_file);
	all = g_strv_builder_end(builder);
	cleaner_start(all);
}

/* daemon_reload - supervisor, SIGHUP: a new configuration, or the old one if the new is broken. */
static gboolean
daemon_reload(void *data)
{
	const char *path = data;
	g_autoptr(GError) error = NULL;
	ticketd_config *fresh = config_load(path, &error);
	daemon_config_ref *ref, *old;

	if (fresh == NULL || !config_check_templates(fresh, &error) || !daemon_check_root(fresh, &error)) {
		log_warning("reload: %s; keeping the running configuration", error->message);
		config_free(fresh);
		return FALSE;
	}
	if (g_strcmp0(fresh->database, server.config->config->database) != 0)
		log_warning("reload: database changes take effect at restart");
	listener_update(fresh, FALSE);
	guard_configure(fresh->parse_failures, fresh->parse_timeout);
	mime_set_fallback_charsets((const char *const *)fresh->fallback_charsets);
	ref = g_atomic_rc_box_new0(daemon_config_ref);
	ref->config = fresh;
	g_mutex_lock(&server.lock);
	old = server.config;
	server.config = ref;
	g_mutex_unlock(&server.lock);
	daemon_config_release(old);
	log_info("reloaded %s", path);
	return TRUE;
}

/* daemon_unlisten - supervisor, SIGTERM: close the listeners, remove the unix sockets. */
static void
daemon_unlisten(void *data)
{
	(void)data;
	listener_close_all();
}

/* daemon_serve - supervisor hook, in the worker process: the current configuration's work. */
static int
daemon_serve(int ready_fd, void *data)
{
	int status;

	(void)data;
	status = worker_serve(server.config->config, server.hostname, server.notifier, ready_fd);
	daemon_config_release(server.config);
	return status;
}

static void
daemon_usage(FILE *out)
{
	fprintf(out, "usage: ticketd [-fn] [-c FILE]          the daemon (-f: foreground, -n: no notifier)\n"
	             "       ticketd check [-c FILE]          check the set-up, one line per problem\n"
	             "       ticketd deliver [-c FILE] [-f SENDER] [-r RECIPIENT]...\n"
	             "       ticketd --help | --version\n"
	             "see ticketd(8)\n");
}

/*
 * daemon_options - -c FILE, -f (foreground), -n (no notifier), --help, --version;
 * EX_OK to go on, else the code to exit with (-1 for --help and --version: exit 0).
 */
static int
daemon_options(int argc, char **argv, const char **config_file, gboolean *foreground)
{
	static const struct option longs[] = {
		{ "help", no_argument, NULL, 'h' }, { "version", no_argument, NULL, 'V' }, { NULL, 0, NULL, 0 }
	};
	int option;

	server.notifier = TRUE;
	while ((option = getopt_long(argc, argv, "c:fnh", longs, NULL)) != -1) {
		switch (option) {
		case 'c':
			*config_file = optarg;
			break;
		case 'f':
			*foreground = TRUE;
			break;
		case 'n':
			server.notifier = FALSE;
			break;
		case 'h':
			daemon_usage(stdout);
			return -1;
		case 'V':
			printf("ticketd %s\n", TICKETD_VERSION);
			return -1;
		default:
			daemon_usage(stderr);
			return EX_USAGE;
		}
	}
	if (optind != argc) {
		daemon_usage(stderr);
		return EX_USAGE;
	}
	return EX_OK;
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
	int status;

	if ((status = daemon_options(argc, argv, &config_file, &foreground)) != EX_OK)
		return status < 0 ? EX_OK : status;
	log_open("ticketd", foreground ? LOG_TO_STDERR : LOG_TO_SYSLOG);
	if (!foreground)
		log_start_detached();
	server.root_started = geteuid() == 0;
	config_file = config_path(config_file);
	if ((config = config_load(config_file, &error)) == NULL || !config_check_templates(config, &error) ||
	    !daemon_check_root(config, &error))
		log_fatal_status(EX_CONFIG, "%s", error->message);
	mime_set_fallback_charsets((const char *const *)config->fallback_charsets);
	if (!foreground)
		ready_fd = daemon_detach();
	g_mutex_init(&server.lock);
	server.config = g_atomic_rc_box_new0(daemon_config_ref);
	server.config->config = config;
	gethostname(hostname, sizeof hostname - 1);
	server.hostname = g_strdup(hostname);
	signal(SIGPIPE, SIG_IGN);
	listener_update(config, TRUE);
	pid_file = g_strdup(config->pid_file);
	daemon_run_directory(pid_file);
	daemon_pid_file(pid_file);
	daemon_secret(config);
	daemon_cleaner(config);
	daemon_drop_privileges(config->user);
	guard_open();
	guard_configure(config->parse_failures, config->parse_timeout);
	log_info("ticketd started: %u listeners, database %s", listener_count(), config->database);
	hooks.data = (void *)config_file;
	status = supervisor_run(&hooks, ready_fd);
	if (pid_file != NULL && *pid_file != '\0')
		unlink(pid_file);
	cleaner_finish();
	daemon_config_release(server.config);
	log_info("stopped");
	return status;
}
