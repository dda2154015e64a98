/*
 * mime - raw message bytes to one parsed_message (GMime 3.2.13). Works around the
 * Debian GMime's RFC 2047 bug (#133) and its charset gaps: every string handed out is
 * valid UTF-8 without control characters (bodies keep '\n' and '\t'). Never fails:
 * garbage gives empty fields. See LIBRARIES.md section 2.
 */
#include <string.h>

#include <gmime/gmime.h>

#include "html.h"
#include "mime.h"
#include "quote.h"

/* Longest encoded-word we accept (RFC 2047 says 75; mailers write longer ones). */
#define ENCODED_WORD_MAX 256
/* Longest attachment name kept, in bytes. */
#define MIME_FILENAME_MAX 200

/* GMime 3.2 declares no g_autoptr cleanups of its own. */
G_DEFINE_AUTOPTR_CLEANUP_FUNC(GMimeStream, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(GMimeParser, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(GMimeMessage, g_object_unref)

static GMimeParserOptions *parser_options;

void
mime_init(void)
{
	static const char *fallback[] = { "utf-8", "windows-1252", NULL };

	if (parser_options != NULL)
		return;
	g_mime_init();
	/* Our own options: the defaults are a process-wide singleton and stay untouched. */
	parser_options = g_mime_parser_options_new();
	g_mime_parser_options_set_fallback_charsets(parser_options, fallback);
}

void
mime_shutdown(void)
{
	if (parser_options == NULL)
		return;
	g_mime_parser_options_free(parser_options);
	parser_options = NULL;
	g_mime_shutdown();
}

/* windows-1252 code points for 0x80..0x9f; the five holes become U+FFFD. */
static const gunichar cp1252_high[32] = {
	0x20ac, 0xfffd, 0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021,
	0x02c6, 0x2030, 0x0160, 0x2039, 0x0152, 0xfffd, 0x017d, 0xfffd,
	0xfffd, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014,
	0x02dc, 0x2122, 0x0161, 0x203a, 0x0153, 0xfffd, 0x017e, 0x0178,
};

/*
 * lenient_decode - valid UTF-8 sequences kept, every other byte read as windows-1252.
 * Always succeeds, so it is the last resort for text whose charset lies or is missing.
 */
static char *
lenient_decode(const char *bytes, gsize length)
{
	GString *out = g_string_sized_new(length + 16);
	gsize i = 0;

	while (i < length) {
		guchar c = (guchar)bytes[i];
		gunichar u;

		if (c < 0x80) {
			g_string_append_c(out, c == 0 ? ' ' : (char)c);
			i++;
			continue;
		}
		u = g_utf8_get_char_validated(bytes + i, (gssize)(length - i));
		if (u != (gunichar)-1 && u != (gunichar)-2) {
			const char *next = g_utf8_next_char(bytes + i);

			g_string_append_len(out, bytes + i, next - (bytes + i));
			i = (gsize)(next - bytes);
			continue;
		}
		g_string_append_unichar(out, c < 0xa0 ? cp1252_high[c - 0x80] : (gunichar)c);
		i++;
	}
	return g_string_free(out, FALSE);
}

/* charset_is_utf8_family - declared charsets whose valid-UTF-8 bytes are taken as is. */
static gboolean
charset_is_utf8_family(const char *charset)
{
	const char *canon;

	if (charset == NULL || *charset == '\0')
		return TRUE;
	canon = g_mime_charset_canon_name(charset);
	return g_ascii_strcasecmp(canon, "utf-8") == 0 ||
	    g_ascii_strcasecmp(canon, "us-ascii") == 0;
}

char *
mime_to_utf8(const char *bytes, gsize length, const char *charset)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *converted = NULL;
	const char *iconv_name;
	gsize written = 0;

	if (bytes == NULL || length == 0)
		return g_strdup("");
	if (charset_is_utf8_family(charset)) {
		/* NUL fails validation, so such text goes the lenient way, NUL → space. */
		if (g_utf8_validate(bytes, (gssize)length, NULL))
			return g_strndup(bytes, length);
		return lenient_decode(bytes, length);
	}
	/* iso-8859-1 is really windows-1252 in practice (€ and curly quotes). */
	iconv_name = g_mime_charset_iconv_name(g_mime_charset_iso_to_windows(charset));
	converted = g_convert(bytes, (gssize)length, "UTF-8", iconv_name, NULL, &written,
	    &error);
	if (converted == NULL || memchr(converted, '\0', written) != NULL ||
	    !g_utf8_validate(converted, (gssize)written, NULL))
		return lenient_decode(bytes, length);
	return g_steal_pointer(&converted);
}

/* is_control - C0, DEL and C1 code points. */
static gboolean
is_control(gunichar u)
{
	return u < 0x20 || (u >= 0x7f && u < 0xa0);
}

/* header_clean - controls become spaces, ends trimmed; the input must be valid UTF-8. */
static char *
header_clean(const char *text)
{
	GString *out;
	const char *p;

	if (text == NULL)
		return g_strdup("");
	out = g_string_sized_new(strlen(text));
	for (p = text; *p; p = g_utf8_next_char(p)) {
		gunichar u = g_utf8_get_char(p);

		if (is_control(u))
			g_string_append_c(out, ' ');
		else
			g_string_append_len(out, p, g_utf8_next_char(p) - p);
	}
	return g_strstrip(g_string_free(out, FALSE));
}

/* header_value_clean - any header text (maybe invalid UTF-8) to a clean string or NULL. */
static char *
header_value_clean(const char *value)
{
	g_autofree char *utf8 = NULL;

	if (value == NULL)
		return NULL;
	utf8 = mime_to_utf8(value, strlen(value), NULL);
	return header_clean(utf8);
}

/* encoded_word_length - length of the RFC 2047 encoded-word starting at p, 0 if none. */
static gsize
encoded_word_length(const char *p)
{
	const char *q = p + 2;

	if (p[0] != '=' || p[1] != '?')
		return 0;
	while (*q && *q != '?' && !g_ascii_isspace(*q))
		q++;
	if (*q != '?' || q == p + 2)
		return 0;
	q++;
	if (*q == '\0' || strchr("BbQq", *q) == NULL || q[1] != '?')
		return 0;
	q += 2;
	/* Mailers put unencoded spaces inside words; accept them up to the word's end. */
	while (*q && !(q[0] == '?' && q[1] == '=') && q - p < ENCODED_WORD_MAX)
		q++;
	if (q[0] != '?' || q[1] != '=')
		return 0;
	return (gsize)(q + 2 - p);
}

/* decode_one_word - one encoded-word to UTF-8, on its own so #133 cannot bite. */
static char *
decode_one_word(const char *word, gsize length)
{
	g_autofree char *copy = g_strndup(word, length);
	char *text = strchr(copy + 2, '?') + 1;
	gboolean q_encoding = (*text == 'Q' || *text == 'q');
	g_autofree char *decoded = NULL;
	char *p, *w;

	/* Stray spaces: in Q-encoding they meant '_' (a space); in base64, nothing. */
	for (p = w = text + 2; *p; p++) {
		if (*p != ' ' && *p != '\t')
			*w++ = *p;
		else if (q_encoding)
			*w++ = '_';
	}
	*w = '\0';
	decoded = g_mime_utils_header_decode_text(parser_options, copy);

	if (decoded == NULL)
		return g_strdup("");
	return mime_to_utf8(decoded, strlen(decoded), NULL);
}

/* unfold - a raw header value without its CR and LF (folding keeps the whitespace). */
static char *
unfold(const char *raw)
{
	GString *out = g_string_sized_new(strlen(raw));
	const char *p;

	for (p = raw; *p; p++)
		if (*p != '\r' && *p != '\n')
			g_string_append_c(out, *p);
	return g_string_free(out, FALSE);
}

/*
 * header_text_to_utf8 - raw 8-bit header text: UTF-8 if it is, else the charset the
 * message's own text declares (mailers write both alike), else windows-1252.
 */
static char *
header_text_to_utf8(const char *bytes, gsize length, const char *hint)
{
	g_autofree char *converted = NULL;
	gsize written = 0;

	if (g_utf8_validate(bytes, (gssize)length, NULL) || hint == NULL)
		return mime_to_utf8(bytes, length, NULL);
	converted = g_convert(bytes, (gssize)length, "UTF-8", g_mime_charset_iconv_name(hint),
	    NULL, &written, NULL);
	if (converted == NULL || memchr(converted, '\0', written) != NULL)
		return mime_to_utf8(bytes, length, NULL);
	return g_steal_pointer(&converted);
}

/*
 * decode_words - walk a raw header value: runs of adjacent encoded-words are decoded
 * word by word and joined without the whitespace between them (RFC 2047 6.2). With
 * reencode, each run goes back out as one UTF-8 B-word for GMime's address parser.
 * Literal 8-bit text is made UTF-8 either way.
 */
static char *
decode_words(const char *raw, gboolean reencode, const char *hint)
{
	g_autofree char *value = unfold(raw);
	GString *out = g_string_new(NULL);
	const char *p = value;

	while (*p) {
		const char *literal = p;
		g_autoptr(GString) run = g_string_new(NULL);
		gsize n = 0;

		while (*p && (n = encoded_word_length(p)) == 0)
			p++;
		if (p > literal) {
			g_autofree char *text = header_text_to_utf8(literal, (gsize)(p - literal),
			    hint);

			g_string_append(out, text);
		}
		while (n > 0) {
			g_autofree char *word = decode_one_word(p, n);
			const char *after = p + n;

			g_string_append(run, word);
			p = after;
			while (*after == ' ' || *after == '\t')
				after++;
			n = encoded_word_length(after);
			if (n > 0)
				p = after;
		}
		if (run->len == 0)
			continue;
		if (reencode) {
			g_autofree char *b64 = g_base64_encode((const guchar *)run->str, run->len);

			g_string_append_printf(out, "=?UTF-8?B?%s?=", b64);
		} else {
			g_string_append_len(out, run->str, run->len);
		}
	}
	return g_string_free(out, FALSE);
}

/* decode_header - a raw header value to clean UTF-8; hint as in header_text_to_utf8. */
static char *
decode_header(const char *raw, const char *hint)
{
	g_autofree char *decoded = NULL;

	if (raw == NULL)
		return g_strdup("");
	if (parser_options == NULL)
		mime_init();
	decoded = decode_words(raw, FALSE, hint);
	return header_clean(decoded);
}

char *
mime_decode_header_words(const char *raw)
{
	return decode_header(raw, NULL);
}

/* raw_header - the raw (undecoded, folded) value of a header of obj, or NULL. */
static const char *
raw_header(GMimeObject *obj, const char *name)
{
	GMimeHeaderList *list = g_mime_object_get_header_list(obj);
	GMimeHeader *header;

	if (list == NULL)
		return NULL;
	header = g_mime_header_list_get_header(list, name);
	return header ? g_mime_header_get_raw_value(header) : NULL;
}

/* mail_address_new - a cleaned, lower-cased address entry. */
static mail_address *
mail_address_new(const char *name, const char *address)
{
	mail_address *a = g_new0(mail_address, 1);
	g_autofree char *addr = header_value_clean(address ? address : "");

	a->name = header_value_clean(name ? name : "");
	a->address = g_utf8_strdown(addr, -1);
	return a;
}

static void
mail_address_free(gpointer data)
{
	mail_address *a = data;

	if (a == NULL)
		return;
	g_free(a->name);
	g_free(a->address);
	g_free(a);
}

/* flatten_addresses - mailboxes of list into out, group members in place of groups. */
static void
flatten_addresses(InternetAddressList *list, GPtrArray *out, int depth)
{
	int i, n;

	if (list == NULL || depth > 8)
		return;
	n = internet_address_list_length(list);
	for (i = 0; i < n; i++) {
		InternetAddress *ia = internet_address_list_get_address(list, i);

		if (INTERNET_ADDRESS_IS_GROUP(ia)) {
			flatten_addresses(internet_address_group_get_members(
			    INTERNET_ADDRESS_GROUP(ia)), out, depth + 1);
		} else if (INTERNET_ADDRESS_IS_MAILBOX(ia)) {
			g_ptr_array_add(out, mail_address_new(internet_address_get_name(ia),
			    internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(ia))));
		}
	}
}

/* comment_as_name - "addr (Name)", the RFC 822 way MTAs still sign bounces. */
static void
comment_as_name(mail_address *a, const char *value)
{
	const char *open = strchr(value, '('), *close = open ? strrchr(open, ')') : NULL;
	g_autofree char *comment = NULL;

	if (*a->name != '\0' || strchr(value, '<') != NULL || close == NULL)
		return;
	comment = g_strndup(open + 1, (gsize)(close - open - 1));
	g_free(a->name);
	a->name = mime_decode_header_words(comment);
}

/* parse_addresses - the addresses of one header, display names decoded per word. */
static GPtrArray *
parse_addresses(GMimeObject *obj, const char *name, const char *hint)
{
	GPtrArray *out = g_ptr_array_new_with_free_func(mail_address_free);
	const char *raw = raw_header(obj, name);
	g_autofree char *normalized = NULL;
	InternetAddressList *list;

	if (raw == NULL)
		return out;
	normalized = decode_words(raw, TRUE, hint);
	list = internet_address_list_parse(parser_options, normalized);
	if (list != NULL) {
		flatten_addresses(list, out, 0);
		g_object_unref(list);
	}
	if (out->len == 1)
		comment_as_name(g_ptr_array_index(out, 0), normalized);
	return out;
}

/* strip_angles - a Message-ID without surrounding whitespace and <>, NULL if empty. */
static char *
strip_angles(const char *id)
{
	g_autofree char *clean = header_value_clean(id);
	char *p;
	gsize len;

	if (clean == NULL)
		return NULL;
	p = clean;
	if (*p == '<')
		p++;
	len = strlen(p);
	if (len > 0 && p[len - 1] == '>')
		p[--len] = '\0';
	return len > 0 ? g_strdup(g_strstrip(p)) : NULL;
}

/* parse_references - the ids of a References or In-Reply-To value, oldest first. */
static GPtrArray *
parse_references(const char *value)
{
	GPtrArray *out = g_ptr_array_new_with_free_func(g_free);
	GMimeReferences *refs;
	int i;

	if (value == NULL)
		return out;
	refs = g_mime_references_parse(parser_options, value);
	if (refs == NULL)
		return out;
	for (i = 0; i < g_mime_references_length(refs); i++) {
		char *id = strip_angles(g_mime_references_get_message_id(refs, i));

		if (id != NULL)
			g_ptr_array_add(out, id);
	}
	g_mime_references_free(refs);
	return out;
}

/* format_date - the Date header as ISO 8601 UTC, NULL when absent. */
static char *
format_date(GMimeMessage *msg)
{
	GDateTime *date = g_mime_message_get_date(msg);
	g_autoptr(GDateTime) utc = NULL;

	if (date == NULL || raw_header(GMIME_OBJECT(msg), "Date") == NULL)
		return NULL;
	utc = g_date_time_to_utc(date);
	return utc ? g_date_time_format(utc, "%Y-%m-%dT%H:%M:%SZ") : NULL;
}

/*
 * part_decoded_bounds - what the content of a leaf part decodes to, at least and at most,
 * from its encoded length: base64 gives 3 bytes for 4 (a little less with the line
 * breaks), quoted-printable between a third and all of it. 0 and 0 when unknown.
 */
static void
part_decoded_bounds(GMimePart *part, gsize *least, gsize *most)
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

/* part_bytes - the transfer-decoded, still unconverted content of a leaf part. */
static GBytes *
part_bytes(GMimePart *part)
{
	GMimeDataWrapper *content = g_mime_part_get_content(part);
	g_autoptr(GMimeStream) stream = NULL;
	GByteArray *array;
	gsize least, most;

	if (content == NULL)
		return g_bytes_new(NULL, 0);
	/* Sized once: a growing array would double past the content, twice the memory. */
	part_decoded_bounds(part, &least, &most);
	stream = g_mime_stream_mem_new_with_byte_array(g_byte_array_sized_new((guint)MIN(most, G_MAXUINT)));
	g_mime_data_wrapper_write_to_stream(content, stream);
	array = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(stream));
	g_mime_stream_mem_set_owner(GMIME_STREAM_MEM(stream), FALSE);
	return g_byte_array_free_to_bytes(array);
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
		} else if (!is_control(u) && u != 0xfeff) {
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
	g_autoptr(GBytes) bytes = part_bytes(part);
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

/* has_attachment_marks - Content-Disposition: attachment, or a filename given. */
static gboolean
has_attachment_marks(GMimeObject *obj)
{
	return g_mime_part_is_attachment(GMIME_PART(obj)) ||
	    g_mime_part_get_filename(GMIME_PART(obj)) != NULL;
}

/* find_body - the best text part under obj: text/plain first, else text/html. */
static GMimePart *
find_body(GMimeObject *obj, gboolean want_html, int depth)
{
	GMimeContentType *ct;
	int i, n;

	if (obj == NULL || depth > 64)
		return NULL;
	if (GMIME_IS_MULTIPART(obj)) {
		n = g_mime_multipart_get_count(GMIME_MULTIPART(obj));
		for (i = 0; i < n; i++) {
			GMimePart *found = find_body(g_mime_multipart_get_part(
			    GMIME_MULTIPART(obj), i), want_html, depth + 1);

			if (found != NULL)
				return found;
		}
		return NULL;
	}
	/* A forwarded message/rfc822 is not this message's body. */
	if (!GMIME_IS_PART(obj) || has_attachment_marks(obj))
		return NULL;
	ct = g_mime_object_get_content_type(obj);
	return g_mime_content_type_is_type(ct, "text", want_html ? "html" : "plain") ?
	    GMIME_PART(obj) : NULL;
}

/* filename_clean - an attachment name safe to show: last path component, no controls,
 * no leading dots. */
static char *
filename_clean(const char *name, guint index)
{
	g_autofree char *clean = header_clean(name ? name : "");
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
	g_autofree char *value = unfold(raw);
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
		const char *raw = raw_header(obj, places[i].header);
		g_autofree char *value = raw ? raw_param(raw, places[i].param) : NULL;

		if (value != NULL && (strstr(value, "=?") != NULL || !GMIME_IS_PART(obj) ||
		    !g_str_is_ascii(value)))
			return decode_header(value, charset ? charset : hint);
	}
	return GMIME_IS_PART(obj) ? header_value_clean(g_mime_part_get_filename(GMIME_PART(obj))) :
	    NULL;
}

/* name_extension - the extension a made-up name gets from the content type. */
static const char *
name_extension(GMimeContentType *ct)
{
	if (g_mime_content_type_is_type(ct, "message", "rfc822"))
		return ".eml";
	if (g_mime_content_type_is_type(ct, "text", "*") ||
	    g_mime_content_type_is_type(ct, "message", "*"))
		return ".txt";
	return "";
}

/*
 * attachment_name - the sender's name for it; failing that a name staff can read: a
 * forwarded message's subject, the Content-Description, or the type ("image.gif").
 */
static char *
attachment_name(GMimeObject *obj, const char *hint)
{
	GMimeContentType *ct = g_mime_object_get_content_type(obj);
	g_autofree char *name = declared_name(obj, hint);
	const char *ext = name_extension(ct);

	if (name != NULL && *name != '\0')
		return g_steal_pointer(&name);
	g_clear_pointer(&name, g_free);
	if (GMIME_IS_MESSAGE_PART(obj)) {
		GMimeMessage *inner = g_mime_message_part_get_message(GMIME_MESSAGE_PART(obj));
		const char *subject = inner ? raw_header(GMIME_OBJECT(inner), "Subject") : NULL;

		name = subject ? decode_header(subject, hint) : NULL;
	}
	if (name == NULL || *name == '\0') {
		g_free(name);
		name = header_value_clean(g_mime_object_get_header(obj, "Content-Description"));
	}
	if (name != NULL && *name != '\0')
		return g_str_has_suffix(name, ext) ? g_steal_pointer(&name) :
		    g_strconcat(name, ext, NULL);
	if (g_mime_content_type_is_type(ct, "image", "*"))
		return g_strdup_printf("image.%s", g_mime_content_type_get_media_subtype(ct));
	if (g_mime_content_type_is_type(ct, "message", "delivery-status"))
		return g_strdup("delivery-status.txt");
	return NULL;
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

/* is_attachment - whether a part that is not the body is worth listing. */
static gboolean
is_attachment(GMimeObject *obj)
{
	GMimeContentType *ct = g_mime_object_get_content_type(obj);

	/* A forwarded or returned message is kept whole, as a .eml. */
	if (GMIME_IS_MESSAGE_PART(obj))
		return TRUE;
	if (!GMIME_IS_PART(obj))
		return FALSE;
	if (has_attachment_marks(obj))
		return TRUE;
	/* Alternatives of the body, inline text and forwarded bodies are text, not files. */
	return !g_mime_content_type_is_type(ct, "text", "*");
}

/* object_bytes - a leaf's decoded content, or a whole forwarded message as written. */
static GBytes *
object_bytes(GMimeObject *obj)
{
	GMimeMessage *inner;
	g_autoptr(GMimeStream) stream = NULL;
	GByteArray *array;

	if (GMIME_IS_PART(obj))
		return part_bytes(GMIME_PART(obj));
	inner = g_mime_message_part_get_message(GMIME_MESSAGE_PART(obj));
	if (inner == NULL)
		return g_bytes_new(NULL, 0);
	stream = g_mime_stream_mem_new();
	g_mime_object_write_to_stream(GMIME_OBJECT(inner), NULL, stream);
	array = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(stream));
	g_mime_stream_mem_set_owner(GMIME_STREAM_MEM(stream), FALSE);
	return g_byte_array_free_to_bytes(array);
}

/* limit_note - remember the first limit a message went over (later ones add nothing). */
static void G_GNUC_PRINTF(2, 3)
limit_note(parsed_message *m, const char *format, ...)
{
	va_list args;

	if (m->limit_exceeded != NULL)
		return;
	va_start(args, format);
	m->limit_exceeded = g_strdup_vprintf(format, args);
	va_end(args);
}

/* The walk over the MIME tree that lists attachments, within the limits. */
typedef struct {
	parsed_message *m;
	GMimePart *body;
	const char *hint;
	gsize budget;               /* decoded attachment bytes this message may keep */
	gsize total;                /* decoded attachment bytes kept so far */
	guint parts;
} attachment_walk;

/* attachment_bytes_within - the bytes, or none when they go over a size limit. */
static GBytes *
attachment_bytes_within(attachment_walk *walk, GBytes *bytes, const char *name)
{
	gsize size = g_bytes_get_size(bytes);

	if (size > MIME_ATTACHMENT_BYTES_MAX) {
		limit_note(walk->m, "attachment %s is over %u bytes decoded", name,
		           MIME_ATTACHMENT_BYTES_MAX);
	} else if (walk->total + size > walk->budget) {
		limit_note(walk->m, "decoded attachments are over %zu bytes (%d times the message, "
		           "at most %u)", walk->budget, MIME_DECODED_RATIO_MAX, MIME_ATTACHMENTS_MAX);
	} else {
		walk->total += size;
		return g_bytes_ref(bytes);
	}
	return g_bytes_new(NULL, 0);
}

/* attachment_new - one listed attachment; its bytes dropped once over a limit. */
static mail_attachment *
attachment_new(attachment_walk *walk, GMimeObject *obj)
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
	name = header_value_clean(type ? type : "application/octet-stream");
	a->content_type = g_ascii_strdown(name, -1);
	/* One that must be over the limit is not decoded to find out (a 50 MB part). */
	if (walk->m->limit_exceeded == NULL && GMIME_IS_PART(obj)) {
		gsize least, most;

		part_decoded_bounds(GMIME_PART(obj), &least, &most);
		if (least > MIME_ATTACHMENT_BYTES_MAX)
			limit_note(walk->m, "attachment %s is over %u bytes decoded", a->filename,
			           MIME_ATTACHMENT_BYTES_MAX);
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

/*
 * attachment_walk_object - obj and what it holds, in the order GMimePartIter visits
 * them (forwarded messages are entered), stopping at the depth and part limits.
 */
static void
attachment_walk_object(attachment_walk *walk, GMimeObject *obj, int depth)
{
	if (obj == NULL)
		return;
	if (depth > MIME_DEPTH_MAX) {
		limit_note(walk->m, "MIME parts nested deeper than %d", MIME_DEPTH_MAX);
		return;
	}
	if (++walk->parts > MIME_PARTS_MAX) {
		limit_note(walk->m, "more than %d MIME parts", MIME_PARTS_MAX);
		return;
	}
	if ((GMimePart *)obj != walk->body && is_attachment(obj)) {
		if (walk->m->attachments->len == MIME_ATTACHMENT_COUNT_MAX)
			limit_note(walk->m, "more than %d attachments", MIME_ATTACHMENT_COUNT_MAX);
		else
			g_ptr_array_add(walk->m->attachments, attachment_new(walk, obj));
	}
	if (GMIME_IS_MULTIPART(obj)) {
		int i, n = g_mime_multipart_get_count(GMIME_MULTIPART(obj));

		for (i = 0; i < n && walk->parts <= MIME_PARTS_MAX; i++)
			attachment_walk_object(walk, g_mime_multipart_get_part(GMIME_MULTIPART(obj), i),
			                       depth + 1);
	} else if (GMIME_IS_MESSAGE_PART(obj)) {
		GMimeMessage *inner = g_mime_message_part_get_message(GMIME_MESSAGE_PART(obj));

		if (inner != NULL)
			attachment_walk_object(walk, g_mime_message_get_mime_part(inner), depth + 1);
	}
}

/* collect_attachments - every attachment, forwarded messages and their parts included. */
static void
collect_attachments(GMimeMessage *msg, GMimePart *body, parsed_message *m, const char *hint,
    gsize raw_length)
{
	attachment_walk walk = { .m = m, .body = body, .hint = hint };

	walk.budget = MIN((gsize)MIME_ATTACHMENTS_MAX,
	    MAX((gsize)MIME_DECODED_FLOOR, raw_length * MIME_DECODED_RATIO_MAX));
	attachment_walk_object(&walk, g_mime_message_get_mime_part(msg), 0);
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
		limit_note(m, "more than %d header fields", MIME_HEADER_FIELDS_MAX);
	else if (at > MIME_HEADER_BYTES_MAX)
		limit_note(m, "header over %u bytes", MIME_HEADER_BYTES_MAX);
}

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
	return value ? strip_angles(value->str) : NULL;
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
				return strip_angles(id);
		} else if (GMIME_IS_PART(part) &&
		    (g_mime_content_type_is_type(ct, "text", "rfc822-headers") ||
		    g_mime_content_type_is_type(ct, "message", "global-headers"))) {
			g_autoptr(GBytes) bytes = part_bytes(GMIME_PART(part));
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
	g_autofree char *clean = header_value_clean(value);
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

/* parse_classify_headers - the top-level headers classify looks at. */
static void
parse_classify_headers(GMimeMessage *msg, parsed_message *m)
{
	GMimeObject *obj = GMIME_OBJECT(msg);
	GMimeObject *top = g_mime_message_get_mime_part(msg);

	m->return_path = return_path_clean(g_mime_object_get_header(obj, "Return-Path"));
	m->auto_submitted = header_value_clean(g_mime_object_get_header(obj, "Auto-Submitted"));
	m->precedence = header_value_clean(g_mime_object_get_header(obj, "Precedence"));
	m->list_id = header_value_clean(g_mime_object_get_header(obj, "List-Id"));
	m->loop = header_value_clean(g_mime_object_get_header(obj, "X-Ticketd-Loop"));
	m->authentication_results = header_value_clean(
	    g_mime_object_get_header(obj, "Authentication-Results"));
	m->x_autoreply = raw_header(obj, "X-Autoreply") != NULL ||
	    raw_header(obj, "X-Autorespond") != NULL;
	m->x_auto_response_suppress = raw_header(obj, "X-Auto-Response-Suppress") != NULL;
	m->list_unsubscribe = raw_header(obj, "List-Unsubscribe") != NULL;
	if (top != NULL && GMIME_IS_MULTIPART(top) && g_mime_content_type_is_type(
	    g_mime_object_get_content_type(top), "multipart", "report")) {
		g_autofree char *type = header_value_clean(
		    g_mime_object_get_content_type_parameter(top, "report-type"));

		m->report_type = type ? g_ascii_strdown(type, -1) : NULL;
		m->original_message_id = report_message_id(GMIME_MULTIPART(top));
	}
}

/*
 * choose_body - the text part the ticket shows and its text: text/plain first, else
 * text/html; also text/html when the plain part is empty, as some mailers send it.
 */
static GMimePart *
choose_body(GMimeMessage *msg, char **text)
{
	GMimeObject *top = g_mime_message_get_mime_part(msg);
	GMimePart *plain = find_body(top, FALSE, 0);
	GMimePart *html;

	*text = plain ? part_text(plain) : NULL;
	if (*text != NULL && **text != '\0')
		return plain;
	html = find_body(top, TRUE, 0);
	if (html == NULL) {
		if (*text == NULL)
			*text = g_strdup("");
		return plain;
	}
	g_free(*text);
	*text = part_text(html);
	return html;
}

/*
 * header_hint - the charset the body declares, when it is not UTF-8: mailers that
 * write raw 8-bit headers write them in the body's charset (GB2312, KOI8-R ...).
 */
static const char *
header_hint(GMimeMessage *msg, GMimePart *body)
{
	GMimeObject *top = g_mime_message_get_mime_part(msg);
	const char *charset = body ? g_mime_object_get_content_type_parameter(
	    GMIME_OBJECT(body), "charset") : NULL;

	/* Some put it on the top multipart instead. */
	if (charset == NULL && top != NULL)
		charset = g_mime_object_get_content_type_parameter(top, "charset");
	return charset_is_utf8_family(charset) ? NULL : charset;
}

/* parse_body - new_text and attachments, once the body text is known. */
static void
parse_body(GMimeMessage *msg, GMimePart *body, parsed_message *m, gsize raw_length)
{
	m->new_text = quote_strip(m->text);
	collect_attachments(msg, body, m, header_hint(msg, body), raw_length);
}

/* parsed_message_empty - a message with every field empty, the result for garbage. */
static parsed_message *
parsed_message_empty(void)
{
	parsed_message *m = g_new0(parsed_message, 1);

	m->from = mail_address_new("", "");
	m->to = g_ptr_array_new_with_free_func(mail_address_free);
	m->cc = g_ptr_array_new_with_free_func(mail_address_free);
	m->reply_to = g_ptr_array_new_with_free_func(mail_address_free);
	m->subject = g_strdup("");
	m->references = g_ptr_array_new_with_free_func(g_free);
	m->attachments = g_ptr_array_new_with_free_func(mail_attachment_free);
	return m;
}

/* parse_envelope_headers - addresses, subject, ids and date. */
static void
parse_envelope_headers(GMimeMessage *msg, const char *hint, parsed_message *m)
{
	GMimeObject *obj = GMIME_OBJECT(msg);
	const char *subject = raw_header(obj, "Subject");
	g_autoptr(GPtrArray) from = parse_addresses(obj, "From", hint);
	g_autoptr(GPtrArray) in_reply_to = parse_references(
	    g_mime_object_get_header(obj, "In-Reply-To"));

	if (from->len > 0) {
		mail_address_free(m->from);
		m->from = g_ptr_array_steal_index(from, 0);
	}
	g_ptr_array_unref(m->to);
	m->to = parse_addresses(obj, "To", hint);
	g_ptr_array_unref(m->cc);
	m->cc = parse_addresses(obj, "Cc", hint);
	g_ptr_array_unref(m->reply_to);
	m->reply_to = parse_addresses(obj, "Reply-To", hint);
	if (subject != NULL) {
		g_free(m->subject);
		m->subject = decode_header(subject, hint);
	}
	m->message_id = strip_angles(g_mime_message_get_message_id(msg));
	if (in_reply_to->len > 0)
		m->in_reply_to = g_strdup(g_ptr_array_index(in_reply_to, 0));
	g_ptr_array_unref(m->references);
	m->references = parse_references(g_mime_object_get_header(obj, "References"));
	m->date = format_date(msg);
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
	g_autoptr(GMimeMessage) msg = g_mime_parser_construct_message(parser, parser_options);
	GMimePart *body;

	if (msg == NULL) {
		parse_nothing(m);
		return;
	}
	body = choose_body(msg, &m->text);
	parse_envelope_headers(msg, header_hint(msg, body), m);
	parse_body(msg, body, m, length);
	parse_classify_headers(msg, m);
}

parsed_message *
mime_parse(const char *raw, gsize length)
{
	parsed_message *m = parsed_message_empty();
	GByteArray *view;
	GMimeStream *stream;

	if (parser_options == NULL)
		mime_init();
	if (raw == NULL || length == 0) {
		parse_nothing(m);
		return m;
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

void
parsed_message_free(parsed_message *m)
{
	if (m == NULL)
		return;
	mail_address_free(m->from);
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
	g_free(m->authentication_results);
	g_free(m->report_type);
	g_free(m->original_message_id);
	g_free(m->limit_exceeded);
	g_free(m->unparsed);
	g_free(m);
}
