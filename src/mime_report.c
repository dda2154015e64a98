/*
 * mime_report - the fields classify decides on: every top-level header field, the
 * auto-reply, list and loop fields, Authentication-Results and Return-Path; for a
 * multipart/report (a DSN or an MDN, RFC 6522) its report-type; and what a bounce says:
 * the failed recipient, its status and the Message-ID of the message it returns, from
 * the RFC 3464 fields, else from what non-standard DSNs write in their text.
 */
#include <string.h>

#include "address.h"
#include "mime-private.h"

/* headers_message_id - the Message-ID in a block of raw headers (text/rfc822-headers). */
static char *
headers_message_id(const char *bytes, gsize length)
{
	g_autofree char *text = mime_to_utf8(bytes, length, NULL);
	g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
	g_autoptr(GString) value = NULL;
	int i;

	for (i = 0; lines[i] != NULL; i++) {
		char *line = g_strchomp(lines[i]);

		if (value != NULL) {
			if (*line != ' ' && *line != '\t')
				break;
			g_string_append(value, line);
		} else if (g_ascii_strncasecmp(line, "Message-ID:", 11) == 0) {
			value = g_string_new(line + 11);
		} else if (*line == '\0') {
			break;
		}
	}
	return value ? mime_message_id_clean(value->str) : NULL;
}

/* returned_message_id - the Message-ID of the original a report or bounce returns. */
static char *
returned_message_id(GMimeMultipart *report)
{
	int i, n = g_mime_multipart_get_count(report);

	for (i = 0; i < n; i++) {
		GMimeObject *part = g_mime_multipart_get_part(report, i);
		GMimeContentType *ct = g_mime_object_get_content_type(part);

		if (GMIME_IS_MESSAGE_PART(part)) {
			GMimeMessage *inner = g_mime_message_part_get_message(
			    GMIME_MESSAGE_PART(part));
			const char *id = inner ? g_mime_message_get_message_id(inner) : NULL;

			if (id != NULL)
				return mime_message_id_clean(id);
		} else if (GMIME_IS_PART(part) &&
		    (g_mime_content_type_is_type(ct, "text", "rfc822-headers") ||
		    g_mime_content_type_is_type(ct, "message", "global-headers"))) {
			g_autoptr(GBytes) bytes = mime_part_bytes(GMIME_PART(part));
			gsize length;
			const char *data = g_bytes_get_data(bytes, &length);

			return headers_message_id(data, length);
		}
	}
	return NULL;
}

/* return_path_clean - the addr-spec of Return-Path, "" for the null sender <>. */
static char *
return_path_clean(const char *value)
{
	g_autofree char *clean = mime_header_value_clean(value);
	char *start, *end;

	if (clean == NULL)
		return NULL;
	start = strchr(clean, '<');
	if (start != NULL) {
		end = strchr(++start, '>');
		if (end != NULL)
			*end = '\0';
	} else {
		start = clean;
	}
	return g_utf8_strdown(g_strstrip(start), -1);
}

void
mime_header_field_free(gpointer data)
{
	mail_header *h = data;

	g_free(h->name);
	g_free(h->value);
	g_free(h);
}

/* collect_headers - every top-level field, decoded, for classify's tables. */
static void
collect_headers(GMimeObject *obj, parsed_message *m)
{
	GMimeHeaderList *list = g_mime_object_get_header_list(obj);
	int i, n = list ? g_mime_header_list_get_count(list) : 0;

	for (i = 0; i < n && i < MIME_HEADER_FIELDS_MAX; i++) {
		GMimeHeader *header = g_mime_header_list_get_header_at(list, i);
		mail_header *h = g_new0(mail_header, 1);

		h->name = mime_header_value_clean(g_mime_header_get_name(header));
		h->value = mime_header_decode(g_mime_header_get_raw_value(header), NULL);
		g_ptr_array_add(m->headers, h);
	}
}

/* first_address - the first addr-spec in text ("rfc822; a@b", "<a@b>: ..."), lower case. */
static char *
first_address(const char *text)
{
	static GRegex *re;
	static gsize done;
	g_autoptr(GMatchInfo) match = NULL;
	char *found;

	if (text == NULL)
		return NULL;
	if (g_once_init_enter(&done)) {
		re = g_regex_new("[^\\s<>()\\[\\]\"',;:@]+@[a-z0-9][a-z0-9.-]*\\.[a-z]{2,}",
		    G_REGEX_CASELESS | G_REGEX_OPTIMIZE, 0, NULL);
		g_once_init_leave(&done, 1);
	}
	if (!g_regex_match(re, text, 0, &match))
		return NULL;
	found = g_match_info_fetch(match, 0);
	address_lower(found);
	return found;
}

/* dsn_status - an RFC 3463 status "class.subject.detail" at the start of text, or NULL. */
static char *
dsn_status(const char *text)
{
	static GRegex *re;
	static gsize done;
	g_autoptr(GMatchInfo) match = NULL;

	if (text == NULL)
		return NULL;
	if (g_once_init_enter(&done)) {
		re = g_regex_new("(?<![\\d.])[245]\\.\\d{1,3}\\.\\d{1,3}(?![\\d.])", G_REGEX_OPTIMIZE, 0,
		    NULL);
		g_once_init_leave(&done, 1);
	}
	return g_regex_match(re, text, 0, &match) ? g_match_info_fetch(match, 0) : NULL;
}

/*
 * dsn_fields_text - the first recipient block of a message/delivery-status body (RFC
 * 3464 2.3): its Final-Recipient (or Original-Recipient) and Status.
 */
static void
dsn_fields_text(const char *text, parsed_message *m)
{
	g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
	int i;

	for (i = 0; lines[i] != NULL; i++) {
		char *line = g_strstrip(lines[i]);

		if (m->bounce_recipient == NULL &&
		    (g_ascii_strncasecmp(line, "Final-Recipient:", 16) == 0 ||
		    g_ascii_strncasecmp(line, "Original-Recipient:", 19) == 0))
			m->bounce_recipient = first_address(strchr(line, ':') + 1);
		else if (m->bounce_status == NULL && g_ascii_strncasecmp(line, "Status:", 7) == 0)
			m->bounce_status = dsn_status(line + 7);
	}
}

/* dsn_fields - the delivery-status part under obj, read as dsn_fields_text says. */
static void
dsn_fields(GMimeObject *obj, parsed_message *m, int depth)
{
	GMimeContentType *ct;

	if (obj == NULL || depth > MIME_DEPTH_MAX || m->bounce_status != NULL)
		return;
	if (GMIME_IS_MULTIPART(obj)) {
		int i, n = g_mime_multipart_get_count(GMIME_MULTIPART(obj));

		for (i = 0; i < n && i < MIME_PARTS_MAX; i++)
			dsn_fields(g_mime_multipart_get_part(GMIME_MULTIPART(obj), i), m, depth + 1);
		return;
	}
	ct = g_mime_object_get_content_type(obj);
	if (GMIME_IS_PART(obj) && (g_mime_content_type_is_type(ct, "message", "delivery-status") ||
	    g_mime_content_type_is_type(ct, "message", "global-delivery-status"))) {
		g_autoptr(GBytes) bytes = mime_part_bytes(GMIME_PART(obj));
		gsize length;
		const char *data = g_bytes_get_data(bytes, &length);
		g_autofree char *text = mime_to_utf8(data, length, NULL);

		dsn_fields_text(text, m);
	}
}

/* is_party - an address the report itself is from or to: the sender it returns to. */
static gboolean
is_party(const parsed_message *m, const char *address)
{
	guint i;

	if (address_equal(address, m->from->address))
		return TRUE;
	for (i = 0; i < m->to->len; i++)
		if (address_equal(address, ((mail_address *)g_ptr_array_index(m->to, i))->address))
			return TRUE;
	return FALSE;
}

/* failed_address - the first address of the text that is not the report's own parties. */
static char *
failed_address(const parsed_message *m)
{
	const char *p = m->text;
	int tries;

	for (tries = 0; tries < 16 && p != NULL && *p; tries++) {
		char *found = first_address(p);
		const char *at;

		if (found == NULL)
			return NULL;
		if (!is_party(m, found))
			return found;
		/* Go on past this one: look again after its first occurrence (any case). */
		at = strchr(p, '@');
		g_free(found);
		p = at ? at + 1 : NULL;
	}
	return NULL;
}

/*
 * text_bounce_facts - what a DSN that is no multipart/report (qmail, Exim, Exchange,
 * hosted services) says in its text: the first status code, the first address in it
 * that is not the sender it returns to ("<a@b>:" in qmail's, "a@b" on its own line in
 * Exim's), the Message-ID of the copy it quotes. Meaningful only when classify calls the message a bounce.
 */
static void
text_bounce_facts(parsed_message *m)
{
	const char *id;

	if (m->text == NULL)
		return;
	if (m->bounce_status == NULL)
		m->bounce_status = dsn_status(m->text);
	if (m->bounce_recipient == NULL)
		m->bounce_recipient = failed_address(m);
	if (m->original_message_id == NULL && (id = strstr(m->text, "\nMessage-ID:")) == NULL)
		id = strstr(m->text, "\nMessage-Id:");
	if (m->original_message_id == NULL && id != NULL) {
		const char *end = strchr(id + 1, '\n');
		g_autofree char *value = end ? g_strndup(id + 12, (gsize)(end - id - 12)) :
		    g_strdup(id + 12);

		m->original_message_id = mime_message_id_clean(value);
	}
}

/* all_values - the cleaned value of every field called name, topmost first. */
static GPtrArray *
all_values(GMimeObject *obj, const char *name)
{
	GMimeHeaderList *list = g_mime_object_get_header_list(obj);
	GPtrArray *out = g_ptr_array_new_with_free_func(g_free);
	int n = list != NULL ? g_mime_header_list_get_count(list) : 0;

	for (int i = 0; i < n; i++) {
		GMimeHeader *header = g_mime_header_list_get_header_at(list, i);

		if (g_ascii_strcasecmp(g_mime_header_get_name(header), name) == 0)
			g_ptr_array_add(out, mime_header_value_clean(g_mime_header_get_value(header)));
	}
	return out;
}

/* mime_report_parse - the top-level headers classify looks at, and a report's fields. */
void
mime_report_parse(GMimeMessage *msg, parsed_message *m)
{
	GMimeObject *obj = GMIME_OBJECT(msg);
	GMimeObject *top = g_mime_message_get_mime_part(msg);

	m->return_path = return_path_clean(g_mime_object_get_header(obj, "Return-Path"));
	m->auto_submitted = mime_header_value_clean(
	    g_mime_object_get_header(obj, "Auto-Submitted"));
	m->precedence = mime_header_value_clean(g_mime_object_get_header(obj, "Precedence"));
	m->list_id = mime_header_value_clean(g_mime_object_get_header(obj, "List-Id"));
	m->loop = mime_header_value_clean(g_mime_object_get_header(obj, "X-Ticketd-Loop"));
	m->authentication_results = all_values(obj, "Authentication-Results");
	m->x_autoreply = mime_header_raw(obj, "X-Autoreply") != NULL ||
	    mime_header_raw(obj, "X-Autorespond") != NULL;
	m->x_auto_response_suppress = mime_header_raw(obj, "X-Auto-Response-Suppress") != NULL;
	m->list_unsubscribe = mime_header_raw(obj, "List-Unsubscribe") != NULL;
	if (top != NULL && GMIME_IS_MULTIPART(top) && g_mime_content_type_is_type(
	    g_mime_object_get_content_type(top), "multipart", "report")) {
		g_autofree char *type = mime_header_value_clean(
		    g_mime_object_get_content_type_parameter(top, "report-type"));

		m->report_type = type ? g_ascii_strdown(type, -1) : NULL;
	}
	/* Exim, qmail and hosted services return the original as a part of multipart/mixed. */
	if (top != NULL && GMIME_IS_MULTIPART(top))
		m->original_message_id = returned_message_id(GMIME_MULTIPART(top));
	collect_headers(obj, m);
	dsn_fields(top, m, 0);
	if (m->bounce_recipient == NULL)
		m->bounce_recipient = first_address(mime_header_get(m, "X-Failed-Recipients"));
	text_bounce_facts(m);
}
