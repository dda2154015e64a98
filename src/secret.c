/*
 * secret - reading the key of signed staff addresses. The file may be shared with the
 * ticketd group (mode 0640: staff running ticketctl print their desk address) but never
 * with others: with the key anyone could forge an agent's reply address.
 */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "secret.h"

G_DEFINE_QUARK(ticketd-secret-error-quark, secret_error)

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
