/*
 * mime_report - the fields classify decides on: from the message's own header the
 * auto-reply, list and loop fields, Authentication-Results and Return-Path; for a
 * multipart/report (a DSN or an MDN, RFC 6522) its report-type and the Message-ID of
 * the message it returns.
 */
#include <string.h>

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

/* report_message_id - the Message-ID of the original a multipart/report returns. */
static char *
report_message_id(GMimeMultipart *report)
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
		m->original_message_id = report_message_id(GMIME_MULTIPART(top));
	}
}
