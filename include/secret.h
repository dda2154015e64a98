/*
 * secret - the site's secret ([ticketd] secret_file): 32 random bytes written as hex,
 * readable by root and the daemon's group only. Signed reply addresses key on it.
 */
#ifndef TICKETD_SECRET_H
#define TICKETD_SECRET_H

#include <glib.h>
#include <sys/types.h>

/* secret_create - when path is missing, make it (0640, owner root, group gid); TRUE if it exists. */
gboolean secret_create(const char *path, gid_t gid, GError **error);

#endif
