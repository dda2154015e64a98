/*
 * staff_forward - an agent forwarding a customer's mail to their desk address opens a
 * ticket for that customer. The agent's mail is proven theirs by the signed address;
 * the forwarded From inside it is what the agent vouches for, so it is read only from
 * the forward itself: an attached message's own From, or the De:/From: line of the
 * header block that mail clients print under a forward banner.
 */
#include <string.h>

#include "address.h"
#include "code.h"
#include "quote.h"
#include "staff_forward.h"

/* The header names of a forwarded block, in the languages of the banners quote knows. */
static const char *const staff_forward_from_names[] = { "from", "de", "von", "da", NULL };
static const char *const staff_forward_subject_names[] = { "subject", "asunto", "betreff", "objet", "oggetto", NULL };

void
staff_forward_free(staff_forward *forward)
{
	if (forward == NULL)
		return;
	g_free(forward->customer);
	g_free(forward->subject);
	g_free(forward->text);
	g_free(forward->new_text);
	g_free(forward->agent_text);
	if (forward->inner != NULL)
		parsed_message_free(forward->inner);
	g_free(forward);
}

char *
staff_forward_address(const char *value)
{
	const char *stops = " \t<>[]()\"',;:";
	const char *at = value ? strchr(value, '@') : NULL;
	const char *start = at, *end;
	g_autofree char *raw = NULL;
	g_autofree char *address = NULL;

	if (at == NULL)
		return NULL;
	while (start > value && strchr(stops, start[-1]) == NULL)
		start--;
	end = at + strcspn(at, stops);
	raw = g_strndup(start, (gsize)(end - start));
	address = address_written(raw);
	return address_valid(address) ? g_steal_pointer(&address) : NULL;
}

/* staff_forward_field - the value of a "Name: value" line (or "*Name:* value", as an
 * HTML forward reads as text) whose name is one of names; NULL when it is none. */
static const char *
staff_forward_field(const char *line, const char *const *names)
{
	const char *p = line + strspn(line, " \t*");

	for (gsize i = 0; names[i] != NULL; i++) {
		gsize n = strlen(names[i]);
		const char *q = p + n;

		if (g_ascii_strncasecmp(p, names[i], n) != 0)
			continue;
		q += strspn(q, "* \t");
		if (*q == ':')
			return q + 1 + strspn(q + 1, "* \t");
	}
	return NULL;
}

/* staff_forward_unquote - a line without one level of '>': Apple Mail quotes what it forwards. */
static const char *
staff_forward_unquote(const char *line, gboolean quoted)
{
	const char *p = line + strspn(line, " ");

	if (!quoted || *p != '>')
		return line;
	return p[1] == ' ' ? p + 2 : p + 1;
}

/* staff_forward_blank - nothing but white space on the line. */
static gboolean
staff_forward_blank(const char *line)
{
	return line[strspn(line, " \t\r")] == '\0';
}

/* staff_forward_join - lines [from, to) unquoted, one text, stripped. */
static char *
staff_forward_join(char **lines, guint from, guint to, gboolean quoted)
{
	GString *out = g_string_new(NULL);

	for (guint i = from; i < to; i++)
		g_string_append_printf(out, "%s%s", i > from ? "\n" : "", staff_forward_unquote(lines[i], quoted));
	return g_strstrip(g_string_free(out, FALSE));
}

/*
 * staff_forward_block - the forward under the banner at lines[banner]: its header block
 * (the lines up to the first blank one) must name a From, and the rest is the body.
 */
static staff_forward *
staff_forward_block(const parsed_message *message, char **lines, guint banner, guint n)
{
	g_autoptr(staff_forward) forward = g_new0(staff_forward, 1);
	guint i = banner + 1, limit;
	gboolean quoted;
	g_autofree char *agent = NULL;

	while (i < n && staff_forward_blank(staff_forward_unquote(lines[i], TRUE)))
		i++;
	quoted = i < n && *(lines[i] + strspn(lines[i], " ")) == '>';
	for (limit = MIN(n, i + STAFF_FORWARD_HEADER_LINES); i < limit; i++) {
		const char *line = staff_forward_unquote(lines[i], quoted);
		const char *value;

		if (staff_forward_blank(line))
			break;
		if (forward->customer == NULL && (value = staff_forward_field(line, staff_forward_from_names)) != NULL)
			forward->customer = staff_forward_address(value);
		else if (forward->subject == NULL &&
		         (value = staff_forward_field(line, staff_forward_subject_names)) != NULL)
			forward->subject = g_strstrip(g_strdup(value));
	}
	if (forward->customer == NULL)
		return NULL;
	if (forward->subject == NULL || *forward->subject == '\0') {
		g_free(forward->subject);
		forward->subject = g_strdup(code_strip_reply_prefixes(message->subject));
	}
	forward->text = staff_forward_join(lines, i, n, quoted);
	forward->new_text = quote_strip(forward->text);
	agent = staff_forward_join(lines, 0, banner, FALSE);
	forward->agent_text = g_strstrip(quote_strip(agent));
	forward->attachments = message->attachments;
	return g_steal_pointer(&forward);
}

/* staff_forward_inline - the first banner of the text that a From line follows. */
static staff_forward *
staff_forward_inline(const parsed_message *message)
{
	g_auto(GStrv) lines = g_strsplit(message->text ? message->text : "", "\n", -1);
	guint n = g_strv_length(lines);
	staff_forward *forward = NULL;

	for (guint i = 0; forward == NULL && i < n; i++)
		if (quote_is_banner(lines[i]))
			forward = staff_forward_block(message, lines, i, n);
	return forward;
}

/* staff_forward_attached - the first attached message whose From names one person. */
static staff_forward *
staff_forward_attached(const parsed_message *message)
{
	for (guint i = 0; message->attachments != NULL && i < message->attachments->len; i++) {
		const mail_attachment *attachment = g_ptr_array_index(message->attachments, i);
		gsize size = 0;
		const char *data;
		staff_forward *forward;
		parsed_message *inner;

		if (g_ascii_strcasecmp(attachment->content_type, "message/rfc822") != 0 || attachment->data == NULL)
			continue;
		data = g_bytes_get_data(attachment->data, &size);
		inner = mime_parse(data, size);
		/* As at the front door: a From GMime had to guess at names nobody. */
		if (inner->from_malformed || inner->from_count != 1 || !address_valid(inner->from->address)) {
			parsed_message_free(inner);
			continue;
		}
		forward = g_new0(staff_forward, 1);
		forward->inner = inner;
		forward->customer = g_strdup(inner->from->address);
		forward->subject = g_strdup(*inner->subject ? inner->subject : code_strip_reply_prefixes(message->subject));
		forward->text = g_strdup(inner->text);
		forward->new_text = g_strdup(inner->new_text);
		forward->agent_text = g_strstrip(g_strdup(message->new_text ? message->new_text : ""));
		forward->attachments = inner->attachments;
		return forward;
	}
	return NULL;
}

staff_forward *
staff_forward_find(const parsed_message *message)
{
	staff_forward *forward = staff_forward_attached(message);

	return forward != NULL ? forward : staff_forward_inline(message);
}
