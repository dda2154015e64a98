/*
 * compose - notifications as finished mail. The body comes from
 * templates/<lang>/<event>.txt with {placeholders}; the mail is UTF-8 quoted-printable
 * with CRLF line ends (curl sends bytes as they are and never BODY=8BITMIME), and carries
 * the headers that thread replies and stop auto-responders (RFC 3834).
 */
#include <gmime/gmime.h>
#include <string.h>

#include "compose.h"
#include "log.h"
#include "status.h"

G_DEFINE_AUTOPTR_CLEANUP_FUNC(GMimeMessage, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(GMimeTextPart, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(GMimeFormatOptions, g_mime_format_options_free)

gboolean
compose_address_valid(const char *address)
{
	const char *at;
	gsize length;

	if (address == NULL || (length = strlen(address)) == 0 || length > 254)
		return FALSE;
	for (const char *p = address; *p != '\0'; p++) {
		unsigned char c = (unsigned char)*p;

		/* Control characters, spaces and the delimiters of SMTP and headers. */
		if (c <= ' ' || c == 0x7f || strchr("<>,;:\"()[]\\", c) != NULL)
			return FALSE;
	}
	if (!g_utf8_validate(address, (gssize)length, NULL))
		return FALSE;
	at = strchr(address, '@');
	return at != NULL && at != address && at[1] != '\0' && strchr(at + 1, '@') == NULL &&
	       at[1] != '.' && address[length - 1] != '.';
}

gboolean
compose_automatic(notify_kind kind)
{
	return kind != NOTIFY_STAFF_REPLY;
}

/* compose_auto_submitted - RFC 3834: replies to a message, or notices of our own. */
static const char *
compose_auto_submitted(notify_kind kind)
{
	switch (kind) {
	case NOTIFY_CREATED:
	case NOTIFY_REOPENED:
	case NOTIFY_NEW_LINKED:
	case NOTIFY_REFUSED:
		return "auto-replied";
	case NOTIFY_STATUS:
	case NOTIFY_AUTO_CLOSED:
		return "auto-generated";
	case NOTIFY_STAFF_REPLY:
		return NULL;
	}
	return "auto-generated";
}

/* compose_clean - a copy with control characters as spaces: nothing can start a header. */
static char *
compose_clean(const char *text)
{
	char *copy = g_strdup(text ? text : "");

	for (char *p = copy; *p != '\0'; p++)
		if ((unsigned char)*p < ' ' || *p == 0x7f)
			*p = ' ';
	return copy;
}

/* compose_read_template - the template file of a kind in lang, else in Spanish. */
static char *
compose_read_template(const ticketd_config *config, const char *kind, const char *lang)
{
	const char *langs[] = { lang, "es" };

	for (gsize i = 0; i < G_N_ELEMENTS(langs); i++) {
		g_autofree char *name = g_strconcat(kind, ".txt", NULL);
		g_autofree char *path = g_build_filename(config->templates_dir, langs[i], name, NULL);
		char *text = NULL;

		if (g_file_get_contents(path, &text, NULL, NULL) && g_utf8_validate(text, -1, NULL))
			return text;
		g_free(text);
	}
	/* A missing template must not stop mail from being taken in: say so and go on. */
	log_warning("no template %s/%s/%s.txt: using the built-in text; see ticketd.conf(5) templates",
	            config->templates_dir, lang, kind);
	return g_strdup("{text}\n\n[{code}] {subject}: {status}\n");
}

/* compose_value - the text of one {placeholder}, or NULL for an unknown name. */
static const char *
compose_value(const ticketd_config *config, const compose_request *request, const char *name)
{
	const notify_event *event = request->event;
	gboolean english = g_strcmp0(request->language, "en") == 0;

	if (strcmp(name, "code") == 0)
		return request->ticket->code;
	if (strcmp(name, "subject") == 0)
		return request->ticket->subject;        /* made one line by the caller */
	if (strcmp(name, "department") == 0) {
		const department_config *department = config_department_by_slug(config, request->ticket->department);

		return department ? department->name : request->ticket->department;
	}
	if (strcmp(name, "status") == 0)
		return status_label(event->new_status ? event->new_status : request->ticket->status, request->language);
	if (strcmp(name, "old_status") == 0)
		return event->old_status ? status_label(event->old_status, request->language) : "";
	if (strcmp(name, "text") == 0)
		return event->text ? event->text : "";
	if (strcmp(name, "name") == 0)
		return request->recipient_name && *request->recipient_name ? request->recipient_name
		       : english ? "customer" : "cliente";
	if (strcmp(name, "linked_code") == 0)
		return event->linked_code ? event->linked_code : "";
	return NULL;
}

char *
compose_template_text(const ticketd_config *config, const compose_request *request)
{
	g_autofree char *template = compose_read_template(config, notify_kind_name(request->kind), request->language);
	GString *out = g_string_sized_new(strlen(template) + 256);

	for (const char *p = template; *p != '\0'; p++) {
		const char *close = *p == '{' ? strchr(p, '}') : NULL;
		g_autofree char *name = close ? g_strndup(p + 1, (gsize)(close - p - 1)) : NULL;
		const char *value = name ? compose_value(config, request, name) : NULL;
		g_autofree char *one_line = value && strcmp(name, "subject") == 0 ? compose_clean(value) : NULL;

		if (value == NULL) {
			g_string_append_c(out, *p);
			continue;
		}
		g_string_append(out, one_line ? one_line : value);
		p = close;
	}
	return g_string_free(out, FALSE);
}

/* compose_add_mailbox - a UTF-8 display name; the address was validated before. */
static void
compose_add_mailbox(GMimeMessage *message, GMimeAddressType type, const char *name, const char *address)
{
	g_autofree char *clean = compose_clean(name);
	InternetAddress *mailbox = internet_address_mailbox_new(clean, address);

	internet_address_set_charset(mailbox, "utf-8");
	internet_address_list_add(g_mime_message_get_addresses(message, type), mailbox);
	g_object_unref(mailbox);
}

/* compose_body - UTF-8 whatever the content, quoted-printable (LIBRARIES.md 2.7). */
static GMimeTextPart *
compose_body(const char *text)
{
	GMimeTextPart *part = g_mime_text_part_new_with_subtype("plain");
	GMimeStream *stream = g_mime_stream_mem_new_with_buffer(text, strlen(text));
	GMimeDataWrapper *content = g_mime_data_wrapper_new_with_stream(stream, GMIME_CONTENT_ENCODING_DEFAULT);

	g_mime_part_set_content(GMIME_PART(part), content);
	g_mime_text_part_set_charset(part, "utf-8");
	g_mime_part_set_content_encoding(GMIME_PART(part), GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE);
	g_object_unref(content);
	g_object_unref(stream);
	return part;
}

/* compose_plus_address - the department's address with the code: soporte+KQZ-482913@. */
static char *
compose_plus_address(const ticketd_config *config, const store_ticket *ticket)
{
	const department_config *department = config_department_by_slug(config, ticket->department);
	const char *address = department ? department->address : config->smtp.from_address;
	const char *at = strchr(address, '@');

	return g_strdup_printf("%.*s+%s%s", (int)(at - address), address, ticket->code, at);
}

/* compose_threading - In-Reply-To and References to the customer's message. */
static void
compose_threading(GMimeObject *object, const notify_event *event)
{
	if (event->in_reply_to != NULL && *event->in_reply_to != '\0') {
		g_autofree char *clean = compose_clean(event->in_reply_to);
		g_autofree char *value = g_strdup_printf("<%s>", g_strstrip(clean));

		g_mime_object_set_header(object, "In-Reply-To", value, NULL);
	}
	if (event->references != NULL && *event->references != '\0') {
		g_autofree char *clean = compose_clean(event->references);

		g_mime_object_set_header(object, "References", g_strstrip(clean), NULL);
	}
}

GBytes *
compose_mail(const ticketd_config *config, const compose_request *request, char **message_id)
{
	g_autoptr(GMimeMessage) message = g_mime_message_new(TRUE);
	GMimeObject *object = GMIME_OBJECT(message);
	g_autofree char *body = compose_template_text(config, request);
	g_autofree char *subject_text = compose_clean(request->ticket->subject);
	g_autofree char *subject = g_strdup_printf("[%s #%s] %s", config->subject_tag, request->ticket->code,
	                                           subject_text);
	g_autofree char *reply_to = compose_plus_address(config, request->ticket);
	g_autoptr(GDateTime) now = g_date_time_new_from_unix_utc(store_now());
	g_autoptr(GMimeTextPart) part = compose_body(body);
	g_autoptr(GMimeFormatOptions) format = g_mime_format_options_new();
	const char *auto_submitted = compose_auto_submitted(request->kind);
	char *text;

	compose_add_mailbox(message, GMIME_ADDRESS_TYPE_FROM, config->smtp.from_name, config->smtp.from_address);
	compose_add_mailbox(message, GMIME_ADDRESS_TYPE_TO, request->recipient_name, request->recipient);
	compose_add_mailbox(message, GMIME_ADDRESS_TYPE_REPLY_TO, config->smtp.from_name, reply_to);
	g_mime_message_set_subject(message, subject, "utf-8");
	g_mime_message_set_date(message, now);
	*message_id = g_mime_utils_generate_message_id(config->domain);
	g_mime_message_set_message_id(message, *message_id);
	compose_threading(object, request->event);
	if (auto_submitted != NULL)
		g_mime_object_set_header(object, "Auto-Submitted", auto_submitted, NULL);
	g_mime_object_set_header(object, "X-Auto-Response-Suppress", "All", NULL);
	g_mime_object_set_header(object, "X-Ticketd-Loop", config->domain, NULL);
	g_mime_message_set_mime_part(message, GMIME_OBJECT(part));
	g_mime_format_options_set_newline_format(format, GMIME_NEWLINE_FORMAT_DOS);
	text = g_mime_object_to_string(object, format);
	return g_bytes_new_take(text, strlen(text));
}
