/*
 * mime_attach - one listed attachment of a parsed_message: the name staff see (the
 * sender's, decoded per encoded-word, or one made up from the part), its type, its
 * decoded bytes within the size limits, and their sha256. mime.c walks the parts.
 */
#include <string.h>

#include "mime-private.h"

/* Longest attachment name kept, in bytes. */
#define MIME_FILENAME_MAX 200

/* mime_attachment_marked - Content-Disposition: attachment, or a filename given. */
gboolean
mime_attachment_marked(GMimeObject *obj)
{
	return g_mime_part_is_attachment(GMIME_PART(obj)) ||
	    g_mime_part_get_filename(GMIME_PART(obj)) != NULL;
}

/*
 * filename_clean - an attachment name safe to show: last path component, no controls,
 * no bidirectional controls (U+202E makes "factura\u202Efdp.exe" read "factura.pdf"
 * with its real end hidden: Unicode TR #36 3.4), no leading dots.
 */
static char *
filename_clean(const char *name, guint index)
{
	g_autofree char *clean = mime_header_clean(name ? name : "");
	GString *out = g_string_new(NULL);
	const char *p = clean, *sep;

	/* Only the last path component is the name the sender meant. */
	for (sep = clean; *sep; sep++)
		if (*sep == '/' || *sep == '\\')
			p = sep + 1;
	for (; *p; p = g_utf8_next_char(p)) {
		gsize n = (gsize)(g_utf8_next_char(p) - p);

		if (out->len == 0 && (*p == '.' || *p == ' '))
			continue;
		if (mime_is_bidi_control(g_utf8_get_char(p)))
			continue;
		if (out->len + n > MIME_FILENAME_MAX)
			break;
		g_string_append_len(out, p, n);
	}
	g_strchomp(out->str);
	out->len = strlen(out->str);
	if (out->len == 0)
		g_string_printf(out, "adjunto-%u", index);
	return g_string_free(out, FALSE);
}

/* raw_param - the raw value of param (name= or filename=) in a raw header, or NULL. */
static char *
raw_param(const char *raw, const char *param)
{
	g_autofree char *value = mime_header_unfold(raw);
	g_autofree char *lower = g_ascii_strdown(value, -1);
	gsize plen = strlen(param);
	const char *found;

	/* Parameter names are case-insensitive: search the lower-cased copy. */
	for (found = lower; (found = strstr(found, param)) != NULL; found += plen) {
		const char *p = value + (found - lower), *v = p + plen, *end;

		if ((p > value && p[-1] != ';' && !g_ascii_isspace(p[-1])) || *v != '=')
			continue;
		v++;
		if (*v == '"') {
			end = strchr(++v, '"');
			return end ? g_strndup(v, (gsize)(end - v)) : g_strdup(v);
		}
		end = strchr(v, ';');
		return end ? g_strndup(v, (gsize)(end - v)) : g_strdup(v);
	}
	return NULL;
}

/* declared_name - the decoded filename= or name=; RFC 2047 names redone per word (#133). */
static char *
declared_name(GMimeObject *obj, const char *hint)
{
	const char *charset = g_mime_object_get_content_type_parameter(obj, "charset");
	static const struct { const char *header, *param; } places[] = {
		{ "Content-Disposition", "filename" }, { "Content-Type", "name" },
	};
	gsize i;

	for (i = 0; i < G_N_ELEMENTS(places); i++) {
		const char *raw = mime_header_raw(obj, places[i].header);
		g_autofree char *value = raw ? raw_param(raw, places[i].param) : NULL;

		if (value != NULL && (strstr(value, "=?") != NULL || !GMIME_IS_PART(obj) ||
		    !g_str_is_ascii(value)))
			return mime_header_decode(value, charset ? charset : hint);
	}
	if (!GMIME_IS_PART(obj))
		return NULL;
	return mime_header_value_clean(g_mime_part_get_filename(GMIME_PART(obj)));
}

/* What a part without a name is called, by type: the base name and its extension. */
static const struct {
	const char *type, *subtype;
	const char *base;           /* NULL: the name from Content-ID or the index */
	const char *extension;
} unnamed_types[] = {
	{ "message", "rfc822", "mensaje", ".eml" },
	{ "message", "global", "mensaje", ".eml" },
	{ "message", "delivery-status", "delivery-status", ".txt" },
	{ "message", "global-delivery-status", "delivery-status", ".txt" },
	{ "message", "disposition-notification", "disposition-notification", ".txt" },
	{ "message", "feedback-report", "feedback-report", ".txt" },
	{ "text", "rfc822-headers", "cabeceras", ".txt" },
	{ "message", "global-headers", "cabeceras", ".txt" },
	/* RFC 3156: the detached signature is conventionally signature.asc. */
	{ "application", "pgp-signature", "signature", ".asc" },
	{ "application", "pgp-encrypted", "pgp-encrypted", ".asc" },
	{ "application", "pkcs7-signature", "smime", ".p7s" },
	{ "application", "x-pkcs7-signature", "smime", ".p7s" },
	{ "application", "ms-tnef", "winmail", ".dat" },
	{ "text", "html", "mensaje", ".html" },
	{ "text", "calendar", "invitacion", ".ics" },
	{ "text", "csv", NULL, ".csv" },
	{ "text", "vcard", NULL, ".vcf" },
	{ "text", "x-vcard", NULL, ".vcf" },
	{ "text", "*", "informe", ".txt" },
	{ "image", "jpeg", NULL, ".jpg" },
	{ "image", "pjpeg", NULL, ".jpg" },
	{ "image", "svg+xml", NULL, ".svg" },
	{ "application", "pdf", NULL, ".pdf" },
	{ "application", "zip", NULL, ".zip" },
	{ "application", "json", NULL, ".json" },
	{ "message", "*", "mensaje", ".txt" },
};

/* unnamed_row - the row of unnamed_types for ct, or -1. */
static int
unnamed_row(GMimeContentType *ct)
{
	gsize i;

	for (i = 0; i < G_N_ELEMENTS(unnamed_types); i++)
		if (g_mime_content_type_is_type(ct, unnamed_types[i].type, unnamed_types[i].subtype))
			return (int)i;
	return -1;
}

/* name_extension - the extension a made-up name gets from the content type. */
static char *
name_extension(GMimeContentType *ct)
{
	int row = unnamed_row(ct);
	const char *subtype = g_mime_content_type_get_media_subtype(ct);

	if (row >= 0)
		return g_strdup(unnamed_types[row].extension);
	/* image/png → .png: a short plain subtype is the usual extension. */
	if (g_mime_content_type_is_type(ct, "image", "*") && subtype != NULL &&
	    strlen(subtype) <= 4 && strspn(subtype, "abcdefghijklmnopqrstuvwxyz0123456789") ==
	    strlen(subtype))
		return g_strconcat(".", subtype, NULL);
	return g_strdup("");
}

/*
 * reference_name - a name the part's references carry: the last path segment of its
 * Content-Location (RFC 2557), else the local part of its Content-ID when it reads as a
 * file name ("<image001.jpg@01D9...>", as Outlook writes them).
 */
static char *
reference_name(GMimeObject *obj)
{
	const char *location = g_mime_object_get_header(obj, "Content-Location");
	const char *id = g_mime_object_get_content_id(obj);
	g_autofree char *clean = NULL;
	char *at, *slash;

	if (location != NULL) {
		clean = mime_header_value_clean(location);
		clean[strcspn(clean, "?#")] = '\0';
		slash = strrchr(clean, '/');
		if (slash != NULL && slash[1] != '\0')
			return g_strdup(slash + 1);
		if (slash == NULL && strchr(clean, ':') == NULL && *clean != '\0')
			return g_steal_pointer(&clean);
		g_clear_pointer(&clean, g_free);
	}
	if (id == NULL)
		return NULL;
	clean = mime_header_value_clean(id);
	if ((at = strchr(clean, '@')) != NULL)
		*at = '\0';
	/* Only a name with an extension: most Content-IDs are opaque. */
	at = strrchr(clean, '.');
	if (at == NULL || at == clean || strlen(at) < 2 || strlen(at) > 5)
		return NULL;
	return g_steal_pointer(&clean);
}

/* message_subject_name - a forwarded message's subject, the name mailers give it. */
static char *
message_subject_name(GMimeObject *obj, const char *hint)
{
	GMimeMessage *inner;
	const char *subject;

	if (!GMIME_IS_MESSAGE_PART(obj))
		return NULL;
	inner = g_mime_message_part_get_message(GMIME_MESSAGE_PART(obj));
	subject = inner ? mime_header_raw(GMIME_OBJECT(inner), "Subject") : NULL;
	return subject ? mime_header_decode(subject, hint) : NULL;
}

/* with_extension - name, ending in ext (added when it does not already). */
static char *
with_extension(char *name, const char *ext)
{
	char *out;

	if (*ext == '\0' || g_str_has_suffix(name, ext))
		return name;
	out = g_strconcat(name, ext, NULL);
	g_free(name);
	return out;
}

/*
 * attachment_name - the sender's name for it; failing that a name staff can read: a
 * forwarded message's subject, the Content-Description, the Content-Location or
 * Content-ID, or the type ("mensaje.eml", "informe.txt", "image.gif"). NULL: numbered.
 */
static char *
attachment_name(GMimeObject *obj, const char *hint)
{
	GMimeContentType *ct = g_mime_object_get_content_type(obj);
	g_autofree char *ext = name_extension(ct);
	char *name = declared_name(obj, hint);
	int row;

	if (name != NULL && *name != '\0')
		return name;
	g_free(name);
	if ((name = reference_name(obj)) != NULL && *name != '\0')
		return name;
	g_free(name);
	name = message_subject_name(obj, hint);
	if (name == NULL || *name == '\0') {
		g_free(name);
		name = mime_header_value_clean(g_mime_object_get_header(obj,
		    "Content-Description"));
	}
	if (name != NULL && *name != '\0')
		return with_extension(name, ext);
	g_free(name);
	row = unnamed_row(ct);
	if (row >= 0 && unnamed_types[row].base != NULL)
		return g_strconcat(unnamed_types[row].base, ext, NULL);
	if (g_mime_content_type_is_type(ct, "image", "*"))
		return g_strconcat("image", ext, NULL);
	return *ext ? g_strconcat("adjunto", ext, NULL) : NULL;
}

void
mail_attachment_free(gpointer data)
{
	mail_attachment *a = data;

	if (a == NULL)
		return;
	g_free(a->filename);
	g_free(a->content_type);
	if (a->data != NULL)
		g_bytes_unref(a->data);
	g_free(a);
}

/*
 * is_rendering - a text part that shows the body again in another form: an alternative
 * beside it (RFC 2046 5.1.4), or the root of a multipart/related (RFC 2387), the HTML
 * whose images are the attachments.
 */
static gboolean
is_rendering(GMimeObject *obj, GMimeObject *parent)
{
	GMimeContentType *ct;

	if (parent == NULL || !GMIME_IS_MULTIPART(parent))
		return FALSE;
	ct = g_mime_object_get_content_type(parent);
	if (g_mime_content_type_is_type(ct, "multipart", "alternative"))
		return TRUE;
	return g_mime_content_type_is_type(ct, "multipart", "related") &&
	    g_mime_multipart_get_part(GMIME_MULTIPART(parent), 0) == obj;
}

/*
 * mime_attachment_wanted - whether a part that is not the body is listed. Every part a
 * sender put in is, whatever its type (a forwarded message, a delivery-status, an extra
 * HTML part, a PGP signature, a part without a name), except the renderings of a body.
 */
gboolean
mime_attachment_wanted(GMimeObject *obj, GMimeObject *parent, GMimePart *body)
{
	GMimeContentType *ct = g_mime_object_get_content_type(obj);

	/* A forwarded or returned message is kept whole, as a .eml. */
	if (GMIME_IS_MESSAGE_PART(obj))
		return TRUE;
	if (!GMIME_IS_PART(obj) || (GMimePart *)obj == body)
		return FALSE;
	if (mime_attachment_marked(obj))
		return TRUE;
	if (!g_mime_content_type_is_type(ct, "text", "*"))
		return TRUE;
	if (is_rendering(obj, parent))
		return FALSE;
	/* Text after the body is the sender's too (a log, a second HTML), unless it is empty. */
	return mime_part_has_content(GMIME_PART(obj));
}

/* object_bytes - a leaf's decoded content, or a whole forwarded message as written. */
static GBytes *
object_bytes(GMimeObject *obj)
{
	GMimeMessage *inner;
	g_autoptr(GMimeStream) stream = NULL;
	GByteArray *array;

	if (GMIME_IS_PART(obj))
		return mime_part_bytes(GMIME_PART(obj));
	inner = g_mime_message_part_get_message(GMIME_MESSAGE_PART(obj));
	if (inner == NULL)
		return g_bytes_new(NULL, 0);
	stream = g_mime_stream_mem_new();
	g_mime_object_write_to_stream(GMIME_OBJECT(inner), NULL, stream);
	array = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(stream));
	g_mime_stream_mem_set_owner(GMIME_STREAM_MEM(stream), FALSE);
	return g_byte_array_free_to_bytes(array);
}

/* attachment_bytes_within - the bytes, or none when they go over a size limit. */
static GBytes *
attachment_bytes_within(mime_attachment_walk *walk, GBytes *bytes, const char *name)
{
	gsize size = g_bytes_get_size(bytes);

	if (size > MIME_ATTACHMENT_BYTES_MAX) {
		mime_limit_note(walk->m, "attachment %s is over %u bytes decoded", name,
		                MIME_ATTACHMENT_BYTES_MAX);
	} else if (walk->total + size > walk->budget) {
		mime_limit_note(walk->m, "decoded attachments are over %zu bytes (%d times the "
		                "message, at most %u)", walk->budget, MIME_DECODED_RATIO_MAX,
		                MIME_ATTACHMENTS_MAX);
	} else {
		walk->total += size;
		return g_bytes_ref(bytes);
	}
	return g_bytes_new(NULL, 0);
}

/* mime_attachment_new - one listed attachment; its bytes dropped once over a limit. */
mail_attachment *
mime_attachment_new(mime_attachment_walk *walk, GMimeObject *obj)
{
	mail_attachment *a = g_new0(mail_attachment, 1);
	guint index = walk->m->attachments->len + 1;
	g_autofree char *name = attachment_name(obj, walk->hint);
	g_autofree char *type = g_mime_content_type_get_mime_type(
	    g_mime_object_get_content_type(obj));
	g_autoptr(GBytes) decoded = NULL;
	g_autoptr(GBytes) bytes = NULL;
	g_autoptr(GChecksum) sum = g_checksum_new(G_CHECKSUM_SHA256);
	const guchar *data;
	gsize length;

	a->filename = filename_clean(name, index);
	g_free(name);
	name = mime_header_value_clean(type ? type : "application/octet-stream");
	a->content_type = g_ascii_strdown(name, -1);
	/* One that must be over the limit is not decoded to find out (a 50 MB part). */
	if (walk->m->limit_exceeded == NULL && GMIME_IS_PART(obj)) {
		gsize least, most;

		mime_part_decoded_bounds(GMIME_PART(obj), &least, &most);
		if (least > MIME_ATTACHMENT_BYTES_MAX)
			mime_limit_note(walk->m, "attachment %s is over %u bytes decoded",
			                a->filename, MIME_ATTACHMENT_BYTES_MAX);
	}
	/* Past a limit the message is held whole: decoding more would only cost time. */
	if (walk->m->limit_exceeded == NULL) {
		decoded = object_bytes(obj);
		bytes = attachment_bytes_within(walk, decoded, a->filename);
	} else {
		bytes = g_bytes_new(NULL, 0);
	}
	data = g_bytes_get_data(bytes, &length);
	g_checksum_update(sum, data, (gssize)length);
	g_strlcpy(a->sha256, g_checksum_get_string(sum), sizeof a->sha256);
	a->size = length;
	a->data = g_steal_pointer(&bytes);
	return a;
}
