/*
 * secret - create the site's secret file on first start: random bytes from the
 * kernel, written whole and synced before anyone can rely on it, never replaced.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "secret.h"

#define SECRET_BYTES 32

/* secret_write - the hex text of SECRET_BYTES random bytes, durable in fd. */
static gboolean
secret_write(int fd)
{
	guint8 bytes[SECRET_BYTES];
	char text[SECRET_BYTES * 2 + 2];

	if (getrandom(bytes, sizeof bytes, 0) != (ssize_t)sizeof bytes)
		return FALSE;
	for (int i = 0; i < SECRET_BYTES; i++)
		g_snprintf(text + 2 * i, 3, "%02x", bytes[i]);
	text[SECRET_BYTES * 2] = '\n';
	text[SECRET_BYTES * 2 + 1] = '\0';
	return write(fd, text, sizeof text - 1) == (ssize_t)(sizeof text - 1) && fsync(fd) == 0;
}

gboolean
secret_create(const char *path, gid_t gid, GError **error)
{
	int fd;

	if (access(path, F_OK) == 0)
		return TRUE;
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
	if (fd < 0 && errno == EEXIST)
		return TRUE;
	if (fd < 0 || fchown(fd, 0, gid) < 0 || fchmod(fd, 0640) < 0 || !secret_write(fd)) {
		int saved = errno;

		g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(saved), "%s: cannot create it: %s", path,
		            g_strerror(saved));
		if (fd >= 0) {
			close(fd);
			unlink(path);
		}
		return FALSE;
	}
	return close(fd) == 0;
}
