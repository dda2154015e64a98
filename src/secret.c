/*
 * secret - reading the key of signed staff addresses, and making it on first start. The file may be shared with the
 * ticketd group (mode 0640: staff running ticketctl print their desk address) but never
 * with others: with the key anyone could forge an agent's reply address.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "secret.h"

G_DEFINE_QUARK(ticketd-secret-error-quark, secret_error)

/* The key secret_create makes. */
#define SECRET_NEW_BYTES 32

GBytes *
secret_load(const char *path, GError **error)
{
	struct stat st;
	char *text = NULL;
	gsize length = 0;
	g_autoptr(GError) read_error = NULL;

	if (stat(path, &st) != 0) {
		g_set_error(error, SECRET_ERROR, errno == ENOENT ? SECRET_ERROR_MISSING : SECRET_ERROR_UNREADABLE,
		            "%s: %s", path, g_strerror(errno));
		return NULL;
	}
	if ((st.st_mode & 0007) != 0) {
		g_set_error(error, SECRET_ERROR, SECRET_ERROR_UNSAFE,
		            "%s is readable by others: anyone could sign staff addresses; run chmod 640 %s", path, path);
		return NULL;
	}
	if (st.st_size > SECRET_MAX_BYTES) {
		g_set_error(error, SECRET_ERROR, SECRET_ERROR_UNSAFE, "%s is larger than %d bytes: not a key file",
		            path, SECRET_MAX_BYTES);
		return NULL;
	}
	if (!g_file_get_contents(path, &text, &length, &read_error)) {
		g_set_error(error, SECRET_ERROR, SECRET_ERROR_UNREADABLE, "%s", read_error->message);
		return NULL;
	}
	while (length > 0 && (text[length - 1] == '\n' || text[length - 1] == '\r'))
		length--;
	if (length < SECRET_MIN_BYTES) {
		g_set_error(error, SECRET_ERROR, SECRET_ERROR_UNSAFE,
		            "%s holds fewer than %d bytes; make a key with: head -c 32 /dev/urandom | base64 > %s",
		            path, SECRET_MIN_BYTES, path);
		g_free(text);
		return NULL;
	}
	return g_bytes_new_take(text, length);
}

/* secret_write - the hex text of SECRET_NEW_BYTES random bytes, durable in fd. */
static gboolean
secret_write(int fd)
{
	guint8 bytes[SECRET_NEW_BYTES];
	char text[SECRET_NEW_BYTES * 2 + 2];

	if (getrandom(bytes, sizeof bytes, 0) != (ssize_t)sizeof bytes)
		return FALSE;
	for (int i = 0; i < SECRET_NEW_BYTES; i++)
		g_snprintf(text + 2 * i, 3, "%02x", bytes[i]);
	text[SECRET_NEW_BYTES * 2] = '\n';
	text[SECRET_NEW_BYTES * 2 + 1] = '\0';
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
	if (fd < 0 || (geteuid() == 0 && fchown(fd, 0, gid) < 0) || fchmod(fd, 0640) < 0 || !secret_write(fd)) {
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
