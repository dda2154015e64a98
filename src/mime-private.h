/*
 * mime-private - what the files of the MIME parser share: mime.c (entry, lifecycle,
 * part walk), mime_header.c, mime_body.c, mime_attach.c and mime_report.c. Nothing
 * outside them includes it; include/mime.h is the part's promise.
 */
#ifndef TICKETD_MIME_PRIVATE_H
#define TICKETD_MIME_PRIVATE_H

#include <gmime/gmime.h>

#include "mime.h"

/* GMime 3.2 declares no g_autoptr cleanups of its own. */
G_DEFINE_AUTOPTR_CLEANUP_FUNC(GMimeStream, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(GMimeParser, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(GMimeMessage, g_object_unref)

/* Our own parser options (fallback charsets), made by mime_init; NULL before. */
extern GMimeParserOptions *mime_parser_options;

/* The walk over the MIME tree that lists attachments, within the limits. */
typedef struct {
	parsed_message *m;
	GMimePart *body;
	const char *hint;
	gsize budget;               /* decoded attachment bytes this message may keep */
	gsize total;                /* decoded attachment bytes kept so far */
	guint parts;
} mime_attachment_walk;

/* Lines that are no header field skipped before the header (see header_start). */
#define MIME_STRAY_LINES_MAX 3

/* mime.c */
void mime_limit_note(parsed_message *m, const char *format, ...) G_GNUC_PRINTF(2, 3);

/* mime_header.c */
gboolean mime_charset_is_utf8(const char *charset);
gboolean mime_is_control(gunichar u);
gboolean mime_is_bidi_control(gunichar u);
char *mime_header_clean(const char *text);
char *mime_header_value_clean(const char *value);
char *mime_header_unfold(const char *raw);
char *mime_header_decode(const char *raw, const char *hint);
const char *mime_header_raw(GMimeObject *obj, const char *name);
char *mime_message_id_clean(const char *id);
mail_address *mime_address_new(const char *name, const char *address);
void mime_address_free(gpointer address);
void mime_header_field_free(gpointer header);
void mime_header_parse(GMimeMessage *msg, const char *hint, parsed_message *m);

/* mime_body.c */
void mime_part_decoded_bounds(GMimePart *part, gsize *least, gsize *most);
GBytes *mime_part_bytes(GMimePart *part);
GMimePart *mime_body_parse(GMimeMessage *msg, parsed_message *m);
GMimePart *mime_body_find(GMimeMessage *msg);
gboolean mime_part_has_content(GMimePart *part);
const char *mime_body_header_hint(GMimeMessage *msg, GMimePart *body);

/* mime_attach.c */
gboolean mime_attachment_marked(GMimeObject *obj);
gboolean mime_attachment_wanted(GMimeObject *obj, GMimeObject *parent, GMimePart *body);
mail_attachment *mime_attachment_new(mime_attachment_walk *walk, GMimeObject *obj);

/* mime_report.c */
void mime_report_parse(GMimeMessage *msg, parsed_message *m);

#endif
