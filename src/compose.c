/*
 * compose - notifications as finished mail. The body comes from
 * templates/<lang>/<event>.txt with {placeholders}; the mail is UTF-8 quoted-printable
 * with CRLF line ends (curl sends bytes as they are and never BODY=8BITMIME), and carries
 * the headers that thread replies and stop auto-responders (RFC 3834).
 */
#include <gmime/gmime.h>
#include <string.h>

#include "address.h"
#include "code.h"
#include "compose.h"
#include "kb.h"
#include "log.h"
#include "staff.h"
#include "status.h"

/* Characters of the customer's subject kept after the tag; the rest becomes "…". */
#define COMPOSE_SUBJECT_MAX 160
/* References kept: the newest ones, as RFC 5322 suggests when the list grows long. */
#define COMPOSE_REFERENCES_MAX 20

G_DEFINE_AUTOPTR_CLEANUP_FUNC(GMimeMessage, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(GMimeTextPart, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(GMimeFormatOptions, g_mime_format_options_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(GMimeContentType, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(GMimeStream, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(GMimeDataWrapper, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(GMimePart, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(GMimeObject, g_object_unref)

/* compose_message_id_valid - a Message-ID (without <>) safe to put back in a header. */
static gboolean
compose_message_id_valid(const char *id)
{
	gsize length = strlen(id);

	if (length == 0 || length > 998)
		return FALSE;
	for (const char *p = id; *p != '\0'; p++)
		if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 0x7f || *p == '<' || *p == '>')
			return FALSE;
	return strchr(id, '@') != NULL;
}

/* compose_automatic - every notice but a person's reply is automatic mail. */
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
	case NOTIFY_HELD_SUBACCOUNT:
	case NOTIFY_HELD_UNKNOWN:
	case NOTIFY_CLOSED:
		return "auto-replied";
	case NOTIFY_REMINDER:
	case NOTIFY_STATUS:
	case NOTIFY_AUTO_CLOSED:
	case NOTIFY_STAFF_NEW:
	case NOTIFY_STAFF_CUSTOMER_REPLY:
	case NOTIFY_STAFF_REOPENED:
	case NOTIFY_STAFF_ASSIGNED:
	case NOTIFY_STAFF_HELD:
	case NOTIFY_STAFF_BOUNCE:
	case NOTIFY_STAFF_COMMAND_ERROR:
		return "auto-generated";
	case NOTIFY_STAFF_REPLY:
		return NULL;
	}
	return "auto-generated";
}

/*
 * compose_clean - one line of valid UTF-8: each run of control or line-separator
 * characters becomes one space, so nothing a customer wrote can start a header.
 */
static char *
compose_clean(const char *text)
{
	g_autofree char *valid = g_utf8_make_valid(text ? text : "", -1);
	GString *out = g_string_sized_new(strlen(valid));
	gboolean in_control = FALSE;

	for (const char *p = valid; *p != '\0'; p = g_utf8_next_char(p)) {
		gunichar c = g_utf8_get_char(p);
		GUnicodeType type = g_unichar_type(c);

		if (g_unichar_iscntrl(c) || type == G_UNICODE_LINE_SEPARATOR || type == G_UNICODE_PARAGRAPH_SEPARATOR) {
			if (!in_control)
				g_string_append_c(out, ' ');
			in_control = TRUE;
			continue;
		}
		in_control = FALSE;
		g_string_append_unichar(out, c);
	}
	return g_string_free(out, FALSE);
}

/* compose_body_text - valid UTF-8 with LF line ends: a bare CR must not reach the wire. */
static char *
compose_body_text(const char *text)
{
	g_autofree char *valid = g_utf8_make_valid(text ? text : "", -1);
	GString *out = g_string_sized_new(strlen(valid));

	for (const char *p = valid; *p != '\0'; p++) {
		if (*p == '\r') {
			g_string_append_c(out, '\n');
			if (p[1] == '\n')
				p++;
		} else if ((unsigned char)*p < ' ' && *p != '\n' && *p != '\t') {
			g_string_append_c(out, ' ');
		} else {
			g_string_append_c(out, *p);
		}
	}
	return g_string_free(out, FALSE);
}

/*
 * compose_subject - the ticket's subject as the tag will follow it: one clean line,
 * without reply prefixes or an older tag of ours (a ticket opened by a reply to a closed
 * one), cut at COMPOSE_SUBJECT_MAX characters.
 */
static char *
compose_subject(const ticketd_config *config, const char *subject)
{
	g_autofree char *clean = compose_clean(subject);
	g_autofree char *tag = g_strdup_printf("[%s #", config->subject_tag ? config->subject_tag : CONFIG_DEFAULT_SUBJECT_TAG);
	g_autofree char *open = g_ascii_strdown(tag, -1);
	GString *out = g_string_new(code_strip_reply_prefixes(clean));
	char *start;

	for (;;) {
		/* ASCII lower-casing keeps every byte where it was: offsets hold for out. */
		g_autofree char *lower = g_ascii_strdown(out->str, (gssize)out->len);
		const char *end;
		gsize from;

		if ((start = strstr(lower, open)) == NULL || (end = strchr(start, ']')) == NULL)
			break;
		from = (gsize)(start - lower);
		g_string_erase(out, (gssize)from, (gssize)(end + 1 - start));
		while ((from == 0 || out->str[from - 1] == ' ') && out->str[from] == ' ')
			g_string_erase(out, (gssize)from, 1);
		if (from == 0)
			g_string_erase(out, 0, code_strip_reply_prefixes(out->str) - out->str);
	}
	while (out->len > 0 && out->str[out->len - 1] == ' ')
		g_string_truncate(out, out->len - 1);
	while (out->len > 0 && out->str[0] == ' ')
		g_string_erase(out, 0, 1);
	if (g_utf8_strlen(out->str, -1) > COMPOSE_SUBJECT_MAX) {
		g_autofree char *cut = g_utf8_substring(out->str, 0, COMPOSE_SUBJECT_MAX);

		g_string_assign(out, cut);
		g_string_append(out, "…");
	}
	return g_string_free(out, FALSE);
}

/* compose_language - a language tag safe to use as a directory name, "es" otherwise. */
static const char *
compose_language(const char *lang)
{
	gsize n = lang ? strlen(lang) : 0;

	if (n < 2 || n > 8)
		return "es";
	for (gsize i = 0; i < n; i++)
		if (!g_ascii_isalnum(lang[i]) && !(lang[i] == '-' && i > 0))
			return "es";
	return lang;
}

/* compose_read_template - the template of a kind in lang, else in Spanish, else built in. */
static char *
compose_read_template(const ticketd_config *config, const char *kind, const char *lang)
{
	const char *langs[] = { lang, "es" };
	g_autofree char *name = g_strconcat(kind, ".txt", NULL);

	for (gsize i = 0; i < G_N_ELEMENTS(langs); i++) {
		g_autofree char *path = g_build_filename(config->templates_dir, langs[i], name, NULL);
		char *text = NULL;

		if (g_file_get_contents(path, &text, NULL, NULL) && g_utf8_validate(text, -1, NULL))
			return text;
		if (text != NULL)
			log_warning("template %s is not UTF-8: not used", path);
		g_free(text);
	}
	/* A missing template must not stop mail from being taken in: say so and go on. */
	log_warning("no template %s/%s/%s.txt: using the built-in text; see ticketd.conf(5) templates",
	            config->templates_dir, lang, kind);
	return g_strdup("{text}\n\n[{tag} #{code}] {subject}: {status}\n");
}

/* compose_department_address - the department's address, or our From without one. */
static const char *
compose_department_address(const ticketd_config *config, const store_ticket *ticket)
{
	const department_config *department = config_department_by_slug(config, ticket->department);

	return department ? department->address : config->smtp.from_address;
}

/* compose_close_address - the ticket's close address: soporte+KQZ-482913-cerrar@. */
static char *
compose_close_address(const ticketd_config *config, const store_ticket *ticket)
{
	const char *address = compose_department_address(config, ticket);
	const char *at = strchr(address, '@');

	return g_strdup_printf("%.*s+%s" ADDRESS_CLOSE_SUFFIX "%s", (int)(at - address), address, ticket->code, at);
}

/*
 * compose_close_link - the {close_link} line: a mailto: URI (RFC 6068) to the close
 * address with a ready subject, percent-encoded, then a blank line; "" for staff, for
 * held mail that reached no ticket and for a ticket closed already: nothing to close.
 */
static char *
compose_close_link(const ticketd_config *config, const compose_request *request, gboolean english)
{
	const char *status = request->event->new_status ? request->event->new_status : request->ticket->status;
	g_autofree char *address = compose_close_address(config, request->ticket);
	g_autofree char *subject = NULL;
	g_autofree char *to = NULL;
	g_autofree char *query = NULL;

	if (NOTIFY_IS_STAFF(request->kind) || *request->ticket->code == '\0' || strcmp(status, STATUS_CLOSED) == 0)
		return g_strdup("");
	subject = g_strdup_printf("%s [%s #%s]", english ? "Close" : "Cerrar",
	                          config->subject_tag ? config->subject_tag : CONFIG_DEFAULT_SUBJECT_TAG,
	                          request->ticket->code);
	/* RFC 6068 §2: "+" and "@" may stand as they are in the address; a value escapes all
	 * but the unreserved characters. */
	to = g_uri_escape_string(address, "+@", FALSE);
	query = g_uri_escape_string(subject, NULL, FALSE);
	return g_strdup_printf("%s mailto:%s?subject=%s\n\n",
	                       english ? "If it is solved already, you can close it:" : "Si ya está resuelto, puede cerrarlo:",
	                       to, query);
}

/* compose_remind - the {remind} of a reminder: "24 h", "90 min", "3 días". */
static char *
compose_remind(const ticketd_config *config, gboolean english)
{
	int64_t seconds = config->sweep_remind;

	if (seconds >= 2 * 86400 && seconds % 86400 == 0)
		return g_strdup_printf("%" G_GINT64_FORMAT " %s", seconds / 86400, english ? "days" : "días");
	if (seconds % 3600 == 0)
		return g_strdup_printf("%" G_GINT64_FORMAT " h", seconds / 3600);
	return g_strdup_printf("%" G_GINT64_FORMAT " min", (seconds + 59) / 60);
}

/*
 * compose_suggestions - the {suggestions} block: a heading and, per article, its title,
 * one line of excerpt and its link, ending in a blank line; "" when there are none, so
 * a confirmation without articles reads as it always did.
 */
static char *
compose_suggestions(const GPtrArray *suggestions, gboolean english, gboolean staff)
{
	GString *out = g_string_new(NULL);

	if (suggestions == NULL || suggestions->len == 0)
		return g_string_free(out, FALSE);
	if (staff)
		g_string_append(out, english ? "Help-centre articles that may answer it (you can reply with one):\n\n"
		                : "Artículos del centro de ayuda que pueden resolverlo (puede contestar con uno):\n\n");
	else
		g_string_append(out, english ?
		                "These articles of our help centre may answer your question right away:\n\n" :
		                "Quizá estos artículos de nuestro centro de ayuda le resuelvan la consulta "
		                "ahora mismo:\n\n");
	for (guint i = 0; i < suggestions->len; i++) {
		const kb_suggestion *s = suggestions->pdata[i];
		g_string_append_printf(out, "- %s\n  %s\n  %s\n", s->title, s->excerpt, s->url);
	}
	g_string_append_c(out, '\n');
	return g_string_free(out, FALSE);
}

/* compose_role - who wrote the customer's text, as the desk reads it. */
static const char *
compose_role(const char *role, gboolean english)
{
	static const char *const roles[][3] = {
		{ "account", "titular de la cuenta", "account holder" },
		{ "subaccount", "subcuenta autorizada", "authorized sub-account" },
		{ "staff", "agente", "agent" },
	};

	for (gsize i = 0; role != NULL && i < G_N_ELEMENTS(roles); i++)
		if (strcmp(role, roles[i][0]) == 0)
			return roles[i][english ? 2 : 1];
	return english ? "in copy (watcher)" : "en copia (observador)";
}

/* compose_fits - whether an attachment travels with a staff notice or is only listed. */
static gboolean
compose_fits(const ticketd_config *config, const mail_attachment *attachment)
{
	return attachment->size <= config->staff_attach_max;
}

/* compose_attachment_list - one line per file; those over staff_attach_max say so. */
static char *
compose_attachment_list(const ticketd_config *config, const GPtrArray *attachments, gboolean english)
{
	GString *out = g_string_new(NULL);

	for (guint i = 0; attachments != NULL && i < attachments->len; i++) {
		const mail_attachment *attachment = g_ptr_array_index(attachments, i);
		g_autofree char *name = compose_clean(attachment->filename);

		g_string_append_printf(out, "- %s (%s, %" G_GSIZE_FORMAT " bytes)%s\n", name, attachment->content_type,
		                       attachment->size, compose_fits(config, attachment) ? ""
		                       : english ? ": too large to attach, see ticketctl attachment"
		                                 : ": demasiado grande para adjuntar, véase ticketctl attachment");
	}
	if (out->len == 0)
		g_string_append(out, english ? "(none)\n" : "(ninguno)\n");
	return g_string_free(out, FALSE);
}

/* compose_staff_values - the placeholders only staff notices fill. */
static void
compose_staff_values(const ticketd_config *config, const compose_request *request, gboolean english,
                     GHashTable *values)
{
	const notify_event *event = request->event;
	const store_ticket *ticket = request->ticket;
	g_autofree char *author = compose_clean(event->author ? event->author : "");

	g_hash_table_insert(values, "author", g_strdup_printf("%s (%s)", author,
	                                                     compose_role(request->author_role, english)));
	g_hash_table_insert(values, "agent", compose_clean(event->agent ? event->agent : ""));

	g_hash_table_insert(values, "priority", g_strdup(ticket->priority ? ticket->priority : "medium"));
	g_hash_table_insert(values, "assignee", g_strdup(ticket->assignee ? ticket->assignee
	                                                : english ? "nobody" : "nadie"));
	g_hash_table_insert(values, "attachments", compose_attachment_list(config, event->attachments, english));
}

/* compose_values - every {placeholder} of the templates and its text for this mail. */
static GHashTable *
compose_values(const ticketd_config *config, const compose_request *request, const char *lang)
{
	GHashTable *values = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, g_free);
	const notify_event *event = request->event;
	const store_ticket *ticket = request->ticket;
	const department_config *department = config_department_by_slug(config, ticket->department);
	gboolean english = strcmp(lang, "en") == 0;
	const char *name = request->recipient_name;

	g_hash_table_insert(values, "code", g_strdup(*ticket->code ? ticket->code : "-"));
	g_hash_table_insert(values, "tag", g_strdup(config->subject_tag ? config->subject_tag : CONFIG_DEFAULT_SUBJECT_TAG));
	g_hash_table_insert(values, "subject", compose_subject(config, ticket->subject));
	g_hash_table_insert(values, "department", g_strdup(department ? department->name : ticket->department));
	g_hash_table_insert(values, "department_address", g_strdup(compose_department_address(config, ticket)));
	g_hash_table_insert(values, "status",
	                    g_strdup(status_label(config, event->new_status ? event->new_status : ticket->status, lang)));
	g_hash_table_insert(values, "old_status",
	                    g_strdup(event->old_status ? status_label(config, event->old_status, lang) : ""));
	g_hash_table_insert(values, "text", g_strdup(event->text ? event->text : ""));
	g_hash_table_insert(values, "name", name && *name ? compose_clean(name)
	                                    : g_strdup(english ? "customer" : "cliente"));
	g_hash_table_insert(values, "linked_code", g_strdup(event->linked_code ? event->linked_code : ""));
	g_hash_table_insert(values, "suggestions", compose_suggestions(request->suggestions, english,
	                                                          NOTIFY_IS_STAFF(request->kind)));
	g_hash_table_insert(values, "reason", compose_body_text(event->reason));   /* a line per problem */
	g_hash_table_insert(values, "held_id", g_strdup_printf("%" G_GINT64_FORMAT, event->held_id));
	g_hash_table_insert(values, "close_link", compose_close_link(config, request, english));
	g_hash_table_insert(values, "remind", compose_remind(config, english));
	if (NOTIFY_IS_STAFF(request->kind))
		compose_staff_values(config, request, english, values);
	return values;
}

/* compose_signature - what ends a customer's notice: the department's, else [smtp]'s. */
static const char *
compose_signature(const ticketd_config *config, const compose_request *request)
{
	const department_config *department = config_department_by_slug(config, request->ticket->department);

	if (NOTIFY_IS_STAFF(request->kind))
		return NULL;
	return department != NULL && department->signature != NULL ? department->signature : config->smtp.signature;
}

/* compose_template_text - the body: the template with {placeholders} filled, one pass,
 * then the signature after the "-- " line (RFC 3676 §4.3) that mail readers know. */
char *
compose_template_text(const ticketd_config *config, const compose_request *request)
{
	const char *signature = compose_signature(config, request);
	const char *lang = compose_language(request->language);
	g_autofree char *template = compose_read_template(config, event_notice_name(request->kind), lang);
	g_autoptr(GHashTable) values = compose_values(config, request, lang);
	GString *out = g_string_sized_new(strlen(template) + 256);

	for (const char *p = template; *p != '\0'; p++) {
		const char *close = *p == '{' ? strchr(p, '}') : NULL;
		g_autofree char *name = close && close - p <= 32 ? g_strndup(p + 1, (gsize)(close - p - 1)) : NULL;
		const char *value = name ? g_hash_table_lookup(values, name) : NULL;

		if (value == NULL) {
			g_string_append_c(out, *p);
			continue;
		}
		g_string_append(out, value);     /* not scanned again: a value cannot hold a placeholder */
		p = close;
	}
	if (signature != NULL && *signature != '\0') {
		while (out->len > 0 && out->str[out->len - 1] == '\n')
			g_string_truncate(out, out->len - 1);
		/* A body that has its "-- " block already (a staff reply's) gets one, not two. */
		g_string_append_printf(out, "\n\n%s%s\n", strstr(out->str, "\n-- \n") ? "" : "-- \n", signature);
	}
	{
		g_autofree char *text = g_string_free(out, FALSE);

		return compose_body_text(text);
	}
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

/*
 * compose_body - UTF-8 whatever the content, quoted-printable. The content is built by
 * hand because g_mime_text_part_set_text() would pick the smallest charset that holds the
 * text (iso-8859-1 for most Spanish) and 8bit; libcurl never asks for BODY=8BITMIME, so
 * the mail must be 7-bit clean.
 */
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

/* compose_attachment - one file, base64, its name RFC 2231-encoded by GMime when needed. */
static GMimePart *
compose_attachment(const mail_attachment *attachment)
{
	GMimePart *part = g_mime_part_new_with_type("application", "octet-stream");
	g_autoptr(GMimeContentType) type = g_mime_content_type_parse(NULL, attachment->content_type);
	gsize size = 0;
	const void *bytes = g_bytes_get_data(attachment->data, &size);
	g_autoptr(GMimeStream) stream = g_mime_stream_mem_new_with_buffer(bytes, size);
	g_autoptr(GMimeDataWrapper) content = g_mime_data_wrapper_new_with_stream(stream, GMIME_CONTENT_ENCODING_DEFAULT);

	if (type != NULL)
		g_mime_object_set_content_type(GMIME_OBJECT(part), type);
	g_mime_part_set_content(part, content);
	g_mime_part_set_content_encoding(part, GMIME_CONTENT_ENCODING_BASE64);
	g_mime_part_set_filename(part, attachment->filename);
	return part;
}

/*
 * compose_content - the text alone, or with the attachments in a multipart/mixed. A
 * staff notice carries only the files within staff_attach_max; its text lists the rest.
 */
static GMimeObject *
compose_content(const ticketd_config *config, GMimeTextPart *text, const compose_request *request)
{
	const GPtrArray *attachments = request->event->attachments;
	GMimeMultipart *mixed = NULL;

	for (guint i = 0; attachments != NULL && i < attachments->len; i++) {
		const mail_attachment *attachment = g_ptr_array_index(attachments, i);
		g_autoptr(GMimePart) part = NULL;

		if (NOTIFY_IS_STAFF(request->kind) && !compose_fits(config, attachment))
			continue;
		if (mixed == NULL) {
			mixed = g_mime_multipart_new_with_subtype("mixed");
			g_mime_multipart_add(mixed, GMIME_OBJECT(text));
		}
		part = compose_attachment(attachment);
		g_mime_multipart_add(mixed, GMIME_OBJECT(part));
	}
	return mixed != NULL ? GMIME_OBJECT(mixed) : g_object_ref(GMIME_OBJECT(text));
}

/* compose_plus_address - the department's address with the code: soporte+KQZ-482913@. */
static char *
compose_plus_address(const ticketd_config *config, const store_ticket *ticket)
{
	const char *address = compose_department_address(config, ticket);
	const char *at = strchr(address, '@');

	return g_strdup_printf("%.*s+%s%s", (int)(at - address), address, ticket->code, at);
}

/* compose_from - the department's From (name and address), else [smtp] from. */
static void
compose_from(const ticketd_config *config, const store_ticket *ticket, const char **name, const char **address)
{
	const department_config *department = config_department_by_slug(config, ticket->department);

	*name = config->smtp.from_name;
	*address = config->smtp.from_address;
	if (department != NULL && department->from_address != NULL) {
		*name = department->from_name;
		*address = department->from_address;
	}
}

/* compose_add_reference - one <id> to a References list, once, when it is well formed. */
static void
compose_add_reference(GPtrArray *ids, const char *token)
{
	g_autofree char *id = g_strdup(token);
	gsize n;

	g_strstrip(id);
	n = strlen(id);
	if (n >= 2 && id[0] == '<' && id[n - 1] == '>') {
		memmove(id, id + 1, n - 2);
		id[n - 2] = '\0';
	}
	if (!compose_message_id_valid(id))
		return;
	for (guint i = 0; i < ids->len; i++)
		if (strcmp(g_ptr_array_index(ids, i), id) == 0)
			return;
	g_ptr_array_add(ids, g_steal_pointer(&id));
}

/*
 * compose_threading - In-Reply-To the message the notice answers (the customer's, else
 * the thread's last); References the chain ending with it (RFC 5322 3.6.4): the ticket's
 * thread from its first message, then what the answered mail's own chain adds, so mail
 * readers keep every notice of a ticket under one root even when a client drops a header. A staff notice's chain starts at
 * root, one id per ticket, so an agent's mail client groups every notice of a ticket
 * even when the customer's own chain breaks.
 */
static void
compose_threading(GMimeObject *object, const notify_event *event, const char *root, const GPtrArray *thread)
{
	g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func(g_free);
	g_auto(GStrv) tokens = g_strsplit_set(event->references ? event->references : "", " \t\r\n", -1);
	g_autofree char *in_reply_to = NULL;
	const char *parent = event->in_reply_to;
	GString *references = g_string_new(NULL);
	guint first;

	if (root != NULL)
		compose_add_reference(ids, root);
	for (guint i = 0; thread != NULL && i < thread->len; i++)
		compose_add_reference(ids, g_ptr_array_index(thread, i));
	for (gsize i = 0; tokens[i] != NULL; i++)
		if (*tokens[i] != '\0')
			compose_add_reference(ids, tokens[i]);
	if (parent == NULL && thread != NULL && thread->len > 0)
		parent = g_ptr_array_index(thread, thread->len - 1);
	if (parent != NULL) {
		g_autoptr(GPtrArray) one = g_ptr_array_new_with_free_func(g_free);

		compose_add_reference(one, parent);
		if (one->len == 1) {
			in_reply_to = g_strdup(g_ptr_array_index(one, 0));
			g_ptr_array_remove_index(one, 0);
			for (guint i = 0; i < ids->len; i++)
				if (strcmp(g_ptr_array_index(ids, i), in_reply_to) == 0)
					g_ptr_array_remove_index(ids, i--);
			g_ptr_array_add(ids, g_strdup(in_reply_to));
		}
	}
	if (in_reply_to != NULL) {
		g_autofree char *value = g_strdup_printf("<%s>", in_reply_to);

		g_mime_object_set_header(object, "In-Reply-To", value, NULL);
	}
	/* Keep the first (the thread's root) and the newest ones. */
	first = ids->len > COMPOSE_REFERENCES_MAX ? ids->len - (COMPOSE_REFERENCES_MAX - 1) : 1;
	for (guint i = 0; i < ids->len; i++)
		if (i == 0 || i >= first)
			g_string_append_printf(references, "%s<%s>", references->len ? " " : "",
			                       (char *)g_ptr_array_index(ids, i));
	if (references->len > 0)
		g_mime_object_set_header(object, "References", references->str, NULL);
	g_string_free(references, TRUE);
}

GBytes *
compose_mail(const ticketd_config *config, const compose_request *request, char **message_id)
{
	g_autoptr(GMimeMessage) message = g_mime_message_new(TRUE);
	GMimeObject *object = GMIME_OBJECT(message);
	g_autofree char *body = compose_template_text(config, request);
	g_autofree char *subject_text = compose_subject(config, request->ticket->subject);
	/* Held mail that reached no ticket has no code to tag or sign: the plain desk address. */
	gboolean ticketless = *request->ticket->code == '\0';
	g_autofree char *subject = ticketless ? g_strdup_printf("Re: %s", subject_text)
	                           : g_strdup_printf("[%s #%s]%s%s", config->subject_tag ? config->subject_tag : CONFIG_DEFAULT_SUBJECT_TAG,
	                                           request->ticket->code, *subject_text ? " " : "", subject_text);
	g_autofree char *reply_to = ticketless ? g_strdup(compose_department_address(config, request->ticket))
	                            : NOTIFY_IS_STAFF(request->kind)
	                            ? staff_reply_address(config, request->ticket, request->recipient)
	                            : compose_plus_address(config, request->ticket);
	g_autofree char *root = NOTIFY_IS_STAFF(request->kind) && !ticketless
	                        ? g_strdup_printf("ticket.%s@%s", request->ticket->code, config->domain) : NULL;
	g_autoptr(GDateTime) now = g_date_time_new_from_unix_utc(store_now());
	g_autoptr(GMimeTextPart) part = compose_body(body);
	g_autoptr(GMimeObject) content = compose_content(config, part, request);
	g_autoptr(GMimeFormatOptions) format = g_mime_format_options_new();
	const char *auto_submitted = compose_auto_submitted(request->kind);
	const char *from_name, *from_address;
	char *text;

	if (reply_to == NULL)           /* no key: notify suppresses staff notices before this */
		reply_to = compose_plus_address(config, request->ticket);
	compose_from(config, request->ticket, &from_name, &from_address);
	compose_add_mailbox(message, GMIME_ADDRESS_TYPE_FROM, from_name, from_address);
	compose_add_mailbox(message, GMIME_ADDRESS_TYPE_TO, request->recipient_name, request->recipient);
	/* Everyone told sees everyone else: "reply all" keeps them all on the ticket. */
	for (guint i = 0; request->cc != NULL && i < request->cc->len; i++)
		compose_add_mailbox(message, GMIME_ADDRESS_TYPE_CC, NULL, g_ptr_array_index(request->cc, i));
	compose_add_mailbox(message, GMIME_ADDRESS_TYPE_REPLY_TO, from_name, reply_to);
	g_mime_message_set_subject(message, subject, "utf-8");
	g_mime_message_set_date(message, now);
	*message_id = g_mime_utils_generate_message_id(config->domain);
	g_mime_message_set_message_id(message, *message_id);
	compose_threading(object, request->event, root, request->thread);
	if (auto_submitted != NULL)
		g_mime_object_set_header(object, "Auto-Submitted", auto_submitted, NULL);
	g_mime_object_set_header(object, "X-Auto-Response-Suppress", "All", NULL);
	g_mime_object_set_header(object, "X-Ticketd-Loop", config->domain, NULL);
	g_mime_message_set_mime_part(message, content);
	g_mime_format_options_set_newline_format(format, GMIME_NEWLINE_FORMAT_DOS);
	text = g_mime_object_to_string(object, format);
	return g_bytes_new_take(text, strlen(text));
}
