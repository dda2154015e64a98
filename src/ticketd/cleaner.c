/*
 * cleaner - removes the unix sockets and the pid file when the daemon stops. They sit
 * in directories that only root may write (Postfix's private/, /run/ticketd), which
 * the daemon cannot touch once it runs as [ticketd] user; so a process forked before
 * the privilege drop keeps root, reads nothing but a pipe, and when the last daemon
 * process has closed that pipe, removes the files it was given if they are still the
 * ones the daemon made (a successor's socket is left alone).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "daemon-private.h"
#include "log.h"

/* The cleaner, and this process's end of the pipe it waits on. */
static pid_t cleaner_pid;
static int cleaner_holder = -1;

typedef struct {
	char *path;
	dev_t dev;
	ino_t ino;
} cleaner_file;

/* cleaner_wait - in the cleaner: until every holder of the pipe is gone, then remove. */
static G_NORETURN void
cleaner_wait(int pipe_fd, const cleaner_file *files, guint count)
{
	char byte;
	int null = open("/dev/null", O_RDWR);

	/* SIGTERM is for the daemon; the cleaner ends when it has. */
	signal(SIGTERM, SIG_IGN);
	signal(SIGINT, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	if (null >= 0) {
		dup2(null, 0);
		dup2(null, 1);
		dup2(null, 2);
	}
	close_range(3, (unsigned)pipe_fd - 1, 0);
	close_range((unsigned)pipe_fd + 1, ~0U, 0);
	for (;;) {
		ssize_t got = read(pipe_fd, &byte, 1);

		if (got == 0 || (got < 0 && errno != EINTR))
			break;
	}
	for (guint i = 0; i < count; i++) {
		struct stat st;

		if (lstat(files[i].path, &st) == 0 && st.st_dev == files[i].dev && st.st_ino == files[i].ino)
			unlink(files[i].path);
	}
	_exit(0);
}

void
cleaner_start(char **paths)
{
	GArray *files = g_array_new(FALSE, TRUE, sizeof(cleaner_file));
	int holder[2];
	pid_t pid;

	for (int i = 0; paths[i] != NULL; i++) {
		struct stat st;
		cleaner_file file = { paths[i], 0, 0 };

		if (lstat(paths[i], &st) != 0)
			continue;
		file.dev = st.st_dev;
		file.ino = st.st_ino;
		g_array_append_val(files, file);
	}
	/* Without O_CLOEXEC: the workers, forked later, hold the pipe too. */
	if (files->len == 0 || pipe(holder) < 0 || (pid = fork()) < 0) {
		if (files->len > 0)
			log_warning("cannot start the socket cleaner: %s; sockets stay after a stop", g_strerror(errno));
		g_array_unref(files);
		return;
	}
	if (pid == 0) {
		close(holder[1]);
		cleaner_wait(holder[0], (const cleaner_file *)(void *)files->data, files->len);
	}
	close(holder[0]);
	cleaner_pid = pid;
	cleaner_holder = holder[1];
	g_array_unref(files);
}

/* cleaner_finish - the daemon's last act: let go, and return once the files are gone. */
void
cleaner_finish(void)
{
	if (cleaner_holder < 0)
		return;
	close(cleaner_holder);
	cleaner_holder = -1;
	while (waitpid(cleaner_pid, NULL, 0) < 0 && errno == EINTR)
		;
}
