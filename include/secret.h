/*
 * secret - the key that signs staff reply addresses ([ticketd] secret_file): read once
 * with the configuration, refused when others may read it, since whoever holds it can
 * write as any agent.
 */
#ifndef TICKETD_SECRET_H
#define TICKETD_SECRET_H

#include <glib.h>
#include <sys/types.h>

#define SECRET_ERROR (secret_error_quark())
/* Fewer bytes than this cannot be a key generated for the purpose. */
#define SECRET_MIN_BYTES 16
#define SECRET_MAX_BYTES 4096

typedef enum {
	SECRET_ERROR_MISSING,       /* no such file: signed addresses cannot be made or checked */
	SECRET_ERROR_UNREADABLE,    /* permission denied or I/O error */
	SECRET_ERROR_UNSAFE,        /* readable by others, or too short: refused */
} secret_error_code;

GQuark secret_error_quark(void);

/* secret_load - the key bytes of path (trailing newline dropped); NULL with error. */
GBytes *secret_load(const char *path, GError **error);

/*
 * secret_create - when path is missing, make a key there: 32 random bytes as hex,
 * 0640, owner root, group gid (the daemon's first start, as make install does).
 * TRUE when it exists afterwards.
 */
gboolean secret_create(const char *path, gid_t gid, GError **error);

#endif
