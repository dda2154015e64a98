/*
 * quote - the new words of a reply: quoted history ('>' lines, Gmail's "El ... escribió:"
 * and "On ... wrote:", Outlook's "-----Mensaje original-----" and De:/Enviado:/Para:/Asunto:
 * blocks, Apple Mail, forwarded headers) and the "-- " signature removed.
 */
#ifndef TICKETD_QUOTE_H
#define TICKETD_QUOTE_H

#include <glib.h>

/* quote_strip - never NULL; the whole text when nothing looks quoted. */
char *quote_strip(const char *text);

/* quote_is_banner - a forward or original-message banner line ("-----Mensaje original-----",
 * "---------- Forwarded message ---------", "Begin forwarded message:"). */
gboolean quote_is_banner(const char *line);

#endif
