/*
 * mime - raw message bytes to one parsed_message (GMime 3.2.13): the entry point, the
 * input limits on the raw header, the walk over the MIME tree that hands each attachment
 * to mime_attach.c, and the parsed_message lifecycle. Every string handed out is valid
 * UTF-8 without control characters (bodies keep '\n' and '\t'). Never fails: garbage
 * gives empty fields. Decoding lives in mime_header.c, mime_body.c and mime_report.c.
 */
#include <string.h>

#include "mime-private.h"

GMimeParserOptions *mime_parser_options;

void
mime_init(void)
{
	static const char *fallback[] = { "utf-8", "windows-1252", NULL };

	if (mime_parser_options != NULL)
		return;
	g_mime_init();
	/* Our own options: the defaults are a process-wide singleton and stay untouched. */
	mime_parser_options = g_mime_parser_options_new();
	g_mime_parser_options_set_fallback_charsets(mime_parser_options, fallback);
}

void
mime_shutdown(void)
{
	if (mime_parser_options == NULL)
		return;
	g_mime_parser_options_free(mime_parser_options);
	mime_parser_options = NULL;
	mime_set_fallback_charsets(NULL);
	g_mime_shutdown();
}

/* mime_limit_note - remember the first limit a message went over; later ones add nothing. */
void
mime_limit_note(parsed_message *m, const char *format, ...)
{
	va_list args;

	if (m->limit_exceeded != NULL)
		return;
	va_start(args, format);
	m->limit_exceeded = g_strdup_vprintf(format, args);
	va_end(args);
}

/*
 * attachment_walk_object - obj and what it holds, in the order GMimePartIter visits
 * them (forwarded messages are entered), stopping at the depth and part limits.
 */
static void
attachment_walk_object(mime_attachment_walk *walk, GMimeObject *parent, GMimeObject *obj, int depth)
{
	if (obj == NULL)
		return;
	if (depth > MIME_DEPTH_MAX) {
		mime_limit_note(walk->m, "MIME parts nested deeper than %d", MIME_DEPTH_MAX);
		return;
	}
	if (++walk->parts > MIME_PARTS_MAX) {
		mime_limit_note(walk->m, "more than %d MIME parts", MIME_PARTS_MAX);
		return;
	}
	{
		g_autofree char *type = g_mime_content_type_get_mime_type(
		    g_mime_object_get_content_type(obj));

		g_ptr_array_add(walk->m->part_types, g_ascii_strdown(type ? type : "", -1));
	}
	if ((GMimePart *)obj != walk->body && mime_attachment_wanted(obj, parent, walk->body)) {
		if (walk->m->attachments->len == MIME_ATTACHMENT_COUNT_MAX)
			mime_limit_note(walk->m, "more than %d attachments",
			                MIME_ATTACHMENT_COUNT_MAX);
		else
			g_ptr_array_add(walk->m->attachments, mime_attachment_new(walk, obj));
	}
	if (GMIME_IS_MULTIPART(obj)) {
		int i, n = g_mime_multipart_get_count(GMIME_MULTIPART(obj));

		for (i = 0; i < n && walk->parts <= MIME_PARTS_MAX; i++)
			attachment_walk_object(walk, obj, g_mime_multipart_get_part(GMIME_MULTIPART(obj),
			                       i), depth + 1);
	} else if (GMIME_IS_MESSAGE_PART(obj)) {
		GMimeMessage *inner = g_mime_message_part_get_message(GMIME_MESSAGE_PART(obj));

		GMimePart *outer = walk->body;

		/* The forwarded message's own body is in its .eml, not a file of its own. */
		if (inner != NULL) {
			walk->body = mime_body_find(inner);
			attachment_walk_object(walk, obj, g_mime_message_get_mime_part(inner), depth + 1);
			walk->body = outer;
		}
	}
}

/* collect_attachments - every attachment, forwarded messages and their parts included. */
static void
collect_attachments(GMimeMessage *msg, GMimePart *body, parsed_message *m, const char *hint,
    gsize raw_length)
{
	mime_attachment_walk walk = { .m = m, .body = body, .hint = hint };

	walk.budget = MIN((gsize)MIME_ATTACHMENTS_MAX,
	    MAX((gsize)MIME_DECODED_FLOOR, raw_length * MIME_DECODED_RATIO_MAX));
	attachment_walk_object(&walk, NULL, g_mime_message_get_mime_part(msg), 0);
}

/*
 * header_limits - count the header fields and bytes before the first blank line of
 * the raw message; GMime gives no such count, and an abusive header block is cheap.
 */
static void
header_limits(const char *raw, gsize length, parsed_message *m)
{
	guint fields = 0;
	gsize at = 0;

	while (at < length && raw[at] != '\n' && !(raw[at] == '\r' && at + 1 < length &&
	    raw[at + 1] == '\n')) {
		const char *nl = memchr(raw + at, '\n', length - at);
		gsize end = nl ? (gsize)(nl - raw) : length, name = at;

		if (raw[at] != ' ' && raw[at] != '\t') {
			/* A line that is no "Name:" field ends the header block, for GMime too. */
			while (name < end && raw[name] > ' ' && raw[name] != ':' && raw[name] != 0x7f)
				name++;
			if (name == at)
				break;
			while (name < end && (raw[name] == ' ' || raw[name] == '\t'))
				name++;
			if (name == end || raw[name] != ':')
				break;
			fields++;
		}
		at = nl ? end + 1 : length;
	}
	if (fields > MIME_HEADER_FIELDS_MAX)
		mime_limit_note(m, "more than %d header fields", MIME_HEADER_FIELDS_MAX);
	else if (at > MIME_HEADER_BYTES_MAX)
		mime_limit_note(m, "header over %u bytes", MIME_HEADER_BYTES_MAX);
}

/* line_is_field - the line at raw[at..end) opens a header field ("Name:") or is the
 * mbox "From " line GMime skips itself. */
static gboolean
line_is_field(const char *raw, gsize at, gsize end)
{
	gsize name = at;

	if (end - at >= 5 && memcmp(raw + at, "From ", 5) == 0)
		return TRUE;
	while (name < end && raw[name] > ' ' && raw[name] != ':' && raw[name] != 0x7f)
		name++;
	if (name == at)
		return FALSE;
	while (name < end && (raw[name] == ' ' || raw[name] == '\t'))
		name++;
	return name < end && raw[name] == ':';
}

/* line_end - the offset of the '\n' ending the line at at, or length. */
static gsize
line_end(const char *raw, gsize length, gsize at)
{
	const char *nl = memchr(raw + at, '\n', length - at);

	return nl ? (gsize)(nl - raw) : length;
}

/*
 * header_start - where the header really starts: past up to MIME_STRAY_LINES_MAX lines
 * that are no field (a blank line, a pasted banner) when two fields follow them. GMime
 * ends the header at the first such line and would see a message without From.
 */
static gsize
header_start(const char *raw, gsize length)
{
	gsize at = 0, end, next;
	int k;

	for (k = 0; k <= MIME_STRAY_LINES_MAX && at < length; k++) {
		end = line_end(raw, length, at);
		if (line_is_field(raw, at, end))
			break;
		at = end + 1;
	}
	if (at == 0 || at >= length || k > MIME_STRAY_LINES_MAX)
		return 0;
	end = line_end(raw, length, at);
	next = end + 1;
	if (next >= length || !line_is_field(raw, next, line_end(raw, length, next)))
		return 0;
	return at;
}

/* parsed_message_empty - a message with every field empty, the result for garbage. */
static parsed_message *
parsed_message_empty(void)
{
	parsed_message *m = g_new0(parsed_message, 1);

	m->from = mime_address_new("", "");
	m->to = g_ptr_array_new_with_free_func(mime_address_free);
	m->cc = g_ptr_array_new_with_free_func(mime_address_free);
	m->reply_to = g_ptr_array_new_with_free_func(mime_address_free);
	m->subject = g_strdup("");
	m->references = g_ptr_array_new_with_free_func(g_free);
	m->attachments = g_ptr_array_new_with_free_func(mail_attachment_free);
	m->headers = g_ptr_array_new_with_free_func(mime_header_field_free);
	m->part_types = g_ptr_array_new_with_free_func(g_free);
	return m;
}

/* parse_nothing - garbage or nothing: the message keeps its empty fields. */
static void
parse_nothing(parsed_message *m)
{
	m->text = g_strdup("");
	m->new_text = g_strdup("");
}

/* parse_stream - everything GMime reads; every GMime object is gone on return. */
static void
parse_stream(GMimeStream *stream, gsize length, parsed_message *m)
{
	g_autoptr(GMimeParser) parser = g_mime_parser_new_with_stream(stream);
	g_autoptr(GMimeMessage) msg = g_mime_parser_construct_message(parser,
	    mime_parser_options);
	GMimePart *body;
	const char *hint;

	if (msg == NULL) {
		parse_nothing(m);
		return;
	}
	body = mime_body_parse(msg, m);
	hint = mime_body_header_hint(msg, body);
	mime_header_parse(msg, hint, m);
	collect_attachments(msg, body, m, hint, length);
	mime_report_parse(msg, m);
}

parsed_message *
mime_parse(const char *raw, gsize length)
{
	parsed_message *m = parsed_message_empty();
	GByteArray *view;
	GMimeStream *stream;
	gsize skip;

	if (mime_parser_options == NULL)
		mime_init();
	if (raw == NULL || length == 0) {
		parse_nothing(m);
		return m;
	}
	/* Only what GMime reads is moved on; ingest keeps every byte of raw. */
	if ((skip = header_start(raw, length)) > 0) {
		raw += skip;
		length -= skip;
		m->from_malformed = TRUE;
	}
	header_limits(raw, length, m);
	/*
	 * The stream reads raw in place: g_mime_stream_mem_new_with_buffer() would copy a
	 * 50 MB message once more. The byte array only borrows the buffer; the stream does
	 * not own the array, and the buffer is taken back from it once GMime is done.
	 */
	view = g_byte_array_new_take((guint8 *)raw, length);
	stream = g_mime_stream_mem_new_with_byte_array(view);
	g_mime_stream_mem_set_owner(GMIME_STREAM_MEM(stream), FALSE);
	parse_stream(stream, length, m);
	g_object_unref(stream);
	(void)g_byte_array_steal(view, NULL);
	g_byte_array_unref(view);
	return m;
}

parsed_message *
mime_unparsed(const char *reason)
{
	parsed_message *m = parsed_message_empty();

	parse_nothing(m);
	m->unparsed = g_strdup(reason);
	return m;
}

const char *
mime_header_get(const parsed_message *m, const char *name)
{
	for (guint i = 0; i < m->headers->len; i++) {
		const mail_header *h = g_ptr_array_index(m->headers, i);

		if (g_ascii_strcasecmp(h->name, name) == 0)
			return h->value;
	}
	return NULL;
}

gboolean
mime_has_part_type(const parsed_message *m, const char *type)
{
	for (guint i = 0; i < m->part_types->len; i++)
		if (strcmp(g_ptr_array_index(m->part_types, i), type) == 0)
			return TRUE;
	return FALSE;
}

void
parsed_message_free(parsed_message *m)
{
	if (m == NULL)
		return;
	mime_address_free(m->from);
	g_ptr_array_unref(m->to);
	g_ptr_array_unref(m->cc);
	g_ptr_array_unref(m->reply_to);
	g_free(m->subject);
	g_free(m->message_id);
	g_free(m->in_reply_to);
	g_ptr_array_unref(m->references);
	g_free(m->date);
	g_free(m->text);
	g_free(m->new_text);
	g_ptr_array_unref(m->attachments);
	g_free(m->return_path);
	g_free(m->auto_submitted);
	g_free(m->precedence);
	g_free(m->list_id);
	g_free(m->loop);
	if (m->authentication_results != NULL)
		g_ptr_array_unref(m->authentication_results);
	g_free(m->report_type);
	g_free(m->original_message_id);
	g_free(m->bounce_recipient);
	g_free(m->bounce_status);
	g_ptr_array_unref(m->headers);
	g_ptr_array_unref(m->part_types);
	g_free(m->limit_exceeded);
	g_free(m->unparsed);
	g_free(m);
}
