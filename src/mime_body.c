/*
 * mime_body - the text a ticket shows: the best text part (text/plain, else text/html
 * turned into text by html.c), its charset made UTF-8, format=flowed undone, and the new
 * text quote.c leaves once quoted history and signature are gone. Also the decoded
 * content of a leaf part, which attachments share.
 */
#include <string.h>

#include "html.h"
#include "mime-private.h"
#include "quote.h"

/*
 * mime_part_decoded_bounds - what the content of a leaf part decodes to, at least and at
 * most, from its encoded length: base64 gives 3 bytes for 4 (a little less with the line
 * breaks), quoted-printable between a third and all of it. 0 and 0 when unknown.
 */
void
mime_part_decoded_bounds(GMimePart *part, gsize *least, gsize *most)
{
	GMimeDataWrapper *content = g_mime_part_get_content(part);
	gint64 length = content != NULL ? g_mime_stream_length(g_mime_data_wrapper_get_stream(content)) : -1;

	*least = *most = 0;
	if (length <= 0)
		return;
	switch (g_mime_data_wrapper_get_encoding(content)) {
	case GMIME_CONTENT_ENCODING_BASE64:
		*least = (gsize)length / 100 * 72;
		*most = (gsize)length / 4 * 3 + 3;
		break;
	case GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE:
		*least = (gsize)length / 3;
		*most = (gsize)length;
		break;
	case GMIME_CONTENT_ENCODING_UUENCODE:
		*least = (gsize)length / 2;
		*most = (gsize)length;
		break;
	default:
		*least = *most = (gsize)length;
	}
}

/* mime_part_bytes - the transfer-decoded, still unconverted content of a leaf part. */
GBytes *
mime_part_bytes(GMimePart *part)
{
	GMimeDataWrapper *content = g_mime_part_get_content(part);
	g_autoptr(GMimeStream) stream = NULL;
	GByteArray *array;
	gsize least, most;

	if (content == NULL)
		return g_bytes_new(NULL, 0);
	/* Sized once: a growing array would double past the content, twice the memory. */
	mime_part_decoded_bounds(part, &least, &most);
	stream = g_mime_stream_mem_new_with_byte_array(g_byte_array_sized_new((guint)MIN(most, G_MAXUINT)));
	g_mime_data_wrapper_write_to_stream(content, stream);
	array = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(stream));
	g_mime_stream_mem_set_owner(GMIME_STREAM_MEM(stream), FALSE);
	return g_byte_array_free_to_bytes(array);
}

/* mime_part_has_content - whether a leaf part holds anything but white space. */
gboolean
mime_part_has_content(GMimePart *part)
{
	g_autoptr(GBytes) bytes = mime_part_bytes(part);
	gsize length, i;
	const char *data = g_bytes_get_data(bytes, &length);

	for (i = 0; i < length; i++)
		if (!g_ascii_isspace(data[i]))
			return TRUE;
	return FALSE;
}

/* body_normalize - LF line ends; controls but '\n' and '\t' removed; no trailing space. */
static char *
body_normalize(const char *text)
{
	GString *out = g_string_sized_new(strlen(text));
	const char *p;

	for (p = text; *p; p = g_utf8_next_char(p)) {
		gunichar u = g_utf8_get_char(p);

		if (u == '\r') {
			g_string_append_c(out, '\n');
			if (p[1] == '\n')
				p++;
		} else if (u == '\n' || u == '\t') {
			g_string_append_c(out, (char)u);
		} else if (!mime_is_control(u) && u != 0xfeff) {
			g_string_append_len(out, p, g_utf8_next_char(p) - p);
		}
	}
	return g_strchomp(g_string_free(out, FALSE));
}

/* quote_depth - how many '>' open a format=flowed line; *rest is past them. */
static int
quote_depth(const char *line, const char **rest)
{
	int depth = 0;

	while (line[depth] == '>')
		depth++;
	*rest = line + depth;
	return depth;
}

/*
 * text_unflow - RFC 3676 format=flowed back to paragraphs: a line ending in a space
 * goes on with the next line of the same quote depth; space-stuffing is undone.
 */
static char *
text_unflow(const char *text, gboolean delsp)
{
	g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
	GString *out = g_string_sized_new(strlen(text));
	gboolean joining = FALSE;
	int i, depth, previous = -1;

	for (i = 0; lines[i] != NULL; i++) {
		const char *rest;
		gsize len;

		depth = quote_depth(lines[i], &rest);
		if (*rest == ' ')
			rest++;
		if (joining && depth != previous)
			g_string_append_c(out, '\n');
		else if (!joining && i > 0)
			g_string_append_c(out, '\n');
		if (!joining || depth != previous) {
			g_string_append_len(out, ">>>>>>>>>>>>>>>>", MIN(depth, 16));
			if (depth > 0)
				g_string_append_c(out, ' ');
		}
		len = strlen(rest);
		/* "-- " is the signature line, never a soft break. */
		joining = len > 0 && rest[len - 1] == ' ' && strcmp(rest, "-- ") != 0;
		g_string_append_len(out, rest, joining && delsp ? len - 1 : len);
		previous = depth;
	}
	return g_string_free(out, FALSE);
}

/* part_text - the text of a text part as UTF-8, HTML turned into text. */
static char *
part_text(GMimePart *part)
{
	g_autoptr(GBytes) bytes = mime_part_bytes(part);
	GMimeContentType *ct = g_mime_object_get_content_type(GMIME_OBJECT(part));
	const char *charset = g_mime_content_type_get_parameter(ct, "charset");
	gsize length;
	const char *data = g_bytes_get_data(bytes, &length);
	g_autofree char *utf8 = mime_to_utf8(data, length, charset);

	if (g_mime_content_type_is_type(ct, "text", "html")) {
		g_autofree char *text = html_to_text(utf8, strlen(utf8));

		return body_normalize(text);
	}
	if (g_strcmp0(g_mime_content_type_get_parameter(ct, "format"), "flowed") == 0) {
		g_autofree char *text = body_normalize(utf8);
		const char *delsp = g_mime_content_type_get_parameter(ct, "delsp");

		return text_unflow(text, g_ascii_strcasecmp(delsp ? delsp : "", "yes") == 0);
	}
	return body_normalize(utf8);
}

/* find_type - the first text/plain (or text/html) part under obj that is no attachment. */
static GMimePart *
find_type(GMimeObject *obj, gboolean want_html, int depth)
{
	GMimeContentType *ct;
	int i, n;

	if (obj == NULL || depth > 64)
		return NULL;
	if (GMIME_IS_MULTIPART(obj)) {
		n = g_mime_multipart_get_count(GMIME_MULTIPART(obj));
		for (i = 0; i < n; i++) {
			GMimePart *found = find_type(g_mime_multipart_get_part(
			    GMIME_MULTIPART(obj), i), want_html, depth + 1);

			if (found != NULL)
				return found;
		}
		return NULL;
	}
	/* A forwarded message/rfc822 is not this message's body. */
	if (!GMIME_IS_PART(obj) || mime_attachment_marked(obj))
		return NULL;
	ct = g_mime_object_get_content_type(obj);
	return g_mime_content_type_is_type(ct, "text", want_html ? "html" : "plain") ?
	    GMIME_PART(obj) : NULL;
}

/*
 * find_body - the part that is the message's text. Of the renderings in a
 * multipart/alternative, the text/plain one, which the desk shows as it is, else the
 * HTML. In any other multipart (mixed, related, signed, report) the first part that
 * holds a body: its later parts are what the sender attached (RFC 2046 5.1.3), so a
 * text/plain log or note after an HTML body is an attachment, not the body.
 */
static GMimePart *
find_body(GMimeObject *obj, int depth)
{
	GMimeContentType *ct;
	int i, n;

	if (obj == NULL || depth > 64)
		return NULL;
	ct = g_mime_object_get_content_type(obj);
	if (GMIME_IS_MULTIPART(obj) && g_mime_content_type_is_type(ct, "multipart", "alternative")) {
		GMimePart *plain = find_type(obj, FALSE, depth);

		return plain != NULL ? plain : find_type(obj, TRUE, depth);
	}
	if (GMIME_IS_MULTIPART(obj)) {
		n = g_mime_multipart_get_count(GMIME_MULTIPART(obj));
		for (i = 0; i < n; i++) {
			GMimePart *found = find_body(g_mime_multipart_get_part(GMIME_MULTIPART(obj), i),
			                             depth + 1);

			if (found != NULL)
				return found;
		}
		return NULL;
	}
	if (find_type(obj, FALSE, depth) != NULL)
		return GMIME_PART(obj);
	return find_type(obj, TRUE, depth);
}

/*
 * choose_body - the text part the ticket shows and its text, as find_body picks it;
 * the first text/html when that part is empty, as some mailers send a plain part.
 */
static GMimePart *
choose_body(GMimeMessage *msg, char **text)
{
	GMimeObject *top = g_mime_message_get_mime_part(msg);
	GMimePart *body = find_body(top, 0);
	GMimePart *html;

	*text = body ? part_text(body) : NULL;
	if (*text != NULL && **text != '\0')
		return body;
	html = find_type(top, TRUE, 0);
	if (html == NULL || html == body) {
		if (*text == NULL)
			*text = g_strdup("");
		return body;
	}
	g_free(*text);
	*text = part_text(html);
	return html;
}

/* mime_body_find - the part a message's text comes from, without reading it. */
GMimePart *
mime_body_find(GMimeMessage *msg)
{
	return find_body(g_mime_message_get_mime_part(msg), 0);
}

/*
 * mime_body_header_hint - the charset the body declares, when it is not UTF-8: mailers
 * that write raw 8-bit headers write them in the body's charset (GB2312, KOI8-R ...).
 */
const char *
mime_body_header_hint(GMimeMessage *msg, GMimePart *body)
{
	GMimeObject *top = g_mime_message_get_mime_part(msg);
	const char *charset = body ? g_mime_object_get_content_type_parameter(
	    GMIME_OBJECT(body), "charset") : NULL;

	/* Some put it on the top multipart instead. */
	if (charset == NULL && top != NULL)
		charset = g_mime_object_get_content_type_parameter(top, "charset");
	return mime_charset_is_utf8(charset) ? NULL : charset;
}

/*
 * mime_body_parse - m's text, from the part choose_body picks, and its new text without
 * the quoted history and signature (quote.c); returns that part, NULL when there is none.
 */
GMimePart *
mime_body_parse(GMimeMessage *msg, parsed_message *m)
{
	GMimePart *body = choose_body(msg, &m->text);

	m->new_text = quote_strip(m->text);
	return body;
}
