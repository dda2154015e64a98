/*
 * mime_header - header text to clean UTF-8 (GMime 3.2.13): charset fallback, RFC 2047
 * encoded-words decoded one at a time around GMime bug #133, addresses with their
 * display names, Message-ID and References lists, the Date; and the envelope fields of
 * a parsed_message built from them.
 */
#include <string.h>

#include "address.h"
#include "mime-private.h"

/* Longest encoded-word we accept (RFC 2047 says 75; mailers write longer ones). */
#define ENCODED_WORD_MAX 256

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

/*
 * The configured fallback charsets ([ticketd] fallback_charsets), tried in order on text
 * that declares none or whose declared charset does not convert. Guarded: a reload
 * replaces the list while parses run in other threads.
 */
static GMutex fallback_lock;
static char **fallback_charsets;

void
mime_set_fallback_charsets(const char *const *charsets)
{
	char **old;

	g_mutex_lock(&fallback_lock);
	old = fallback_charsets;
	fallback_charsets = charsets != NULL ? g_strdupv((char **)charsets) : NULL;
	g_mutex_unlock(&fallback_lock);
	g_strfreev(old);
}

/* convert_whole - bytes read as charset, or NULL unless every byte converts to clean UTF-8. */
static char *
convert_whole(const char *bytes, gsize length, const char *charset)
{
	g_autofree char *converted = NULL;
	gsize written = 0;

	converted = g_convert(bytes, (gssize)length, "UTF-8", charset, NULL, &written, NULL);
	if (converted == NULL || memchr(converted, '\0', written) != NULL ||
	    !g_utf8_validate(converted, (gssize)written, NULL))
		return NULL;
	return g_steal_pointer(&converted);
}

/*
 * fallback_decode - the first configured charset that reads every byte, else the
 * lenient reading, which always succeeds.
 */
static char *
fallback_decode(const char *bytes, gsize length)
{
	char *text = NULL;

	g_mutex_lock(&fallback_lock);
	for (int i = 0; text == NULL && fallback_charsets != NULL && fallback_charsets[i]; i++)
		text = convert_whole(bytes, length, fallback_charsets[i]);
	g_mutex_unlock(&fallback_lock);
	return text != NULL ? text : lenient_decode(bytes, length);
}

/*
 * has_utf8_sequence - some multi-byte UTF-8 in text that is not all UTF-8: a writer
 * that mixes (a quoted Latin-1 line in a UTF-8 reply) is read byte by byte instead, so
 * the UTF-8 it did write is not turned into mojibake by a single-byte fallback.
 */
static gboolean
has_utf8_sequence(const char *bytes, gsize length)
{
	for (gsize i = 0; i < length; i++) {
		gunichar u;

		if ((guchar)bytes[i] < 0xc2)
			continue;
		u = g_utf8_get_char_validated(bytes + i, (gssize)(length - i));
		if (u != (gunichar)-1 && u != (gunichar)-2)
			return TRUE;
	}
	return FALSE;
}

/* mime_charset_is_utf8 - declared charsets whose valid-UTF-8 bytes are taken as is. */
gboolean
mime_charset_is_utf8(const char *charset)
{
	const char *canon;

	if (charset == NULL || *charset == '\0')
		return TRUE;
	canon = g_mime_charset_canon_name(charset);
	return g_ascii_strcasecmp(canon, "utf-8") == 0 ||
	    g_ascii_strcasecmp(canon, "us-ascii") == 0;
}

/*
 * Declared charsets that mailers really write in a superset: the superset reads every
 * byte the declared one would and the extra characters too (WHATWG Encoding, 4.2).
 */
static const struct { const char *declared, *superset; } charset_supersets[] = {
	{ "gb2312", "GB18030" }, { "gbk", "GB18030" }, { "x-gbk", "GB18030" },
	{ "euc-cn", "GB18030" }, { "big5", "BIG5-HKSCS" }, { "x-x-big5", "BIG5-HKSCS" },
	{ "shift_jis", "CP932" }, { "shift-jis", "CP932" }, { "sjis", "CP932" },
	{ "x-sjis", "CP932" }, { "ms_kanji", "CP932" }, { "windows-31j", "CP932" },
	{ "iso-2022-jp", "ISO-2022-JP-2" }, { "euc-kr", "CP949" }, { "ks_c_5601-1987", "CP949" },
	{ "tis-620", "CP874" }, { "iso-8859-11", "CP874" }, { "iso-8859-8-i", "ISO-8859-8" },
	{ "iso-8859-9", "CP1254" }, { "latin5", "CP1254" },
};

/* charset_iconv_name - what iconv should read a declared charset as. */
static const char *
charset_iconv_name(const char *charset)
{
	gsize i;

	for (i = 0; i < G_N_ELEMENTS(charset_supersets); i++)
		if (g_ascii_strcasecmp(charset, charset_supersets[i].declared) == 0)
			return charset_supersets[i].superset;
	/* iso-8859-1 is really windows-1252 in practice (€ and curly quotes). */
	return g_mime_charset_iconv_name(g_mime_charset_iso_to_windows(charset));
}

char *
mime_to_utf8(const char *bytes, gsize length, const char *charset)
{
	char *converted;

	if (bytes == NULL || length == 0)
		return g_strdup("");
	if (mime_charset_is_utf8(charset)) {
		/* NUL fails validation, so such text goes the lenient way, NUL → space. */
		if (g_utf8_validate(bytes, (gssize)length, NULL))
			return g_strndup(bytes, length);
		if (memchr(bytes, '\0', length) != NULL || has_utf8_sequence(bytes, length))
			return lenient_decode(bytes, length);
		/* No charset, or "utf-8"/"us-ascii" over 8-bit text: a lie or a default. */
		return fallback_decode(bytes, length);
	}
	/* An unknown name or invalid sequences: the declared charset is wrong. */
	converted = convert_whole(bytes, length, charset_iconv_name(charset));
	return converted != NULL ? converted : fallback_decode(bytes, length);
}

/* mime_is_control - C0, DEL and C1 code points. */
gboolean
mime_is_control(gunichar u)
{
	return u < 0x20 || (u >= 0x7f && u < 0xa0);
}

/*
 * mime_is_bidi_control - the embeddings, overrides and isolates of Unicode's bidirectional
 * algorithm (U+202A-U+202E, U+2066-U+2069): in a name or subject they reorder what
 * follows, so "factura\u202Efdp.exe" shows as "factura" + "exe.pdf" (Unicode TR #36 2.1).
 */
gboolean
mime_is_bidi_control(gunichar u)
{
	return (u >= 0x202a && u <= 0x202e) || (u >= 0x2066 && u <= 0x2069);
}

/*
 * mime_header_clean - controls become spaces, bidirectional controls go, ends trimmed;
 * the input must be UTF-8.
 */
char *
mime_header_clean(const char *text)
{
	GString *out;
	const char *p;

	if (text == NULL)
		return g_strdup("");
	out = g_string_sized_new(strlen(text));
	for (p = text; *p; p = g_utf8_next_char(p)) {
		gunichar u = g_utf8_get_char(p);

		if (mime_is_control(u))
			g_string_append_c(out, ' ');
		else if (mime_is_bidi_control(u))
			continue;
		else
			g_string_append_len(out, p, g_utf8_next_char(p) - p);
	}
	return g_strstrip(g_string_free(out, FALSE));
}

/* mime_header_value_clean - any header text (maybe not UTF-8) to a clean string or NULL. */
char *
mime_header_value_clean(const char *value)
{
	g_autofree char *utf8 = NULL;

	if (value == NULL)
		return NULL;
	utf8 = mime_to_utf8(value, strlen(value), NULL);
	return mime_header_clean(utf8);
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
	decoded = g_mime_utils_header_decode_text(mime_parser_options, copy);

	if (decoded == NULL)
		return g_strdup("");
	return mime_to_utf8(decoded, strlen(decoded), NULL);
}

/* mime_header_unfold - a raw header value without its CR and LF (folding keeps the blanks). */
char *
mime_header_unfold(const char *raw)
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
 * message's own text declares (mailers write both alike), else the fallback list.
 */
static char *
header_text_to_utf8(const char *bytes, gsize length, const char *hint)
{
	char *converted;

	if (g_utf8_validate(bytes, (gssize)length, NULL) || hint == NULL)
		return mime_to_utf8(bytes, length, NULL);
	converted = convert_whole(bytes, length, charset_iconv_name(hint));
	return converted != NULL ? converted : mime_to_utf8(bytes, length, NULL);
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
	g_autofree char *value = mime_header_unfold(raw);
	GString *out = g_string_new(NULL);
	const char *p = value;

	while (*p) {
		const char *literal = p, *run_start;
		g_autoptr(GString) run = g_string_new(NULL);
		gsize n = 0;

		while (*p && (n = encoded_word_length(p)) == 0)
			p++;
		if (p > literal) {
			g_autofree char *text = header_text_to_utf8(literal, (gsize)(p - literal),
			    hint);

			g_string_append(out, text);
		}
		run_start = p;
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
		/* Inside an addr-spec an encoded-word is no word (RFC 2047 5): decoding it
		 * would turn the address into another one. */
		if (reencode && (*p == '@' || (out->len > 0 && out->str[out->len - 1] == '@'))) {
			g_string_append_len(out, run_start, (gssize)(p - run_start));
		} else if (reencode) {
			g_autofree char *b64 = g_base64_encode((const guchar *)run->str, run->len);

			g_string_append_printf(out, "=?UTF-8?B?%s?=", b64);
		} else {
			g_string_append_len(out, run->str, run->len);
		}
	}
	return g_string_free(out, FALSE);
}

/* mime_header_decode - raw header value to clean UTF-8; hint as in header_text_to_utf8. */
char *
mime_header_decode(const char *raw, const char *hint)
{
	g_autofree char *decoded = NULL;

	if (raw == NULL)
		return g_strdup("");
	if (mime_parser_options == NULL)
		mime_init();
	decoded = decode_words(raw, FALSE, hint);
	return mime_header_clean(decoded);
}

char *
mime_decode_header_words(const char *raw)
{
	return mime_header_decode(raw, NULL);
}

/* mime_header_raw - the raw (undecoded, folded) value of a header of obj, or NULL. */
const char *
mime_header_raw(GMimeObject *obj, const char *name)
{
	GMimeHeaderList *list = g_mime_object_get_header_list(obj);
	GMimeHeader *header;

	if (list == NULL)
		return NULL;
	header = g_mime_header_list_get_header(list, name);
	return header ? g_mime_header_get_raw_value(header) : NULL;
}

/* mime_address_new - a cleaned address entry, its local part as written. */
mail_address *
mime_address_new(const char *name, const char *address)
{
	mail_address *a = g_new0(mail_address, 1);

	a->name = mime_header_value_clean(name ? name : "");
	a->address = mime_header_value_clean(address ? address : "");
	address_fold_domain(a->address);
	return a;
}

void
mime_address_free(gpointer data)
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
			g_ptr_array_add(out, mime_address_new(internet_address_get_name(ia),
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

/* parse_address_value - the addresses of one raw header value, names decoded per word. */
static GPtrArray *
parse_address_value(const char *raw, const char *hint)
{
	GPtrArray *out = g_ptr_array_new_with_free_func(mime_address_free);
	g_autofree char *normalized = NULL;
	InternetAddressList *list;

	if (raw == NULL)
		return out;
	normalized = decode_words(raw, TRUE, hint);
	list = internet_address_list_parse(mime_parser_options, normalized);
	if (list != NULL) {
		flatten_addresses(list, out, 0);
		g_object_unref(list);
	}
	if (out->len == 1)
		comment_as_name(g_ptr_array_index(out, 0), normalized);
	return out;
}

/* bare_at_signs - '@' outside quoted strings and comments; -1 when a quote, comment or <> is open. */
static int
bare_at_signs(const char *text)
{
	int ats = 0, comment = 0, angle = 0;
	gboolean quoted = FALSE;

	for (const char *p = text; *p; p++) {
		if (*p == '\\' && (quoted || comment) && p[1] != '\0')
			p++;
		else if (quoted)
			quoted = *p != '"';
		else if (*p == '(')
			comment++;
		else if (comment > 0)
			comment -= *p == ')';
		else if (*p == '"')
			quoted = TRUE;
		else if (*p == '<' || *p == '>')
			angle += *p == '<' ? 1 : -1;
		else
			ats += *p == '@';
		if (angle < 0 || angle > 1)
			return -1;
	}
	return quoted || comment > 0 || angle != 0 ? -1 : ats;
}

/*
 * from_sound - a From value that names its sender for sure: as many bare '@' as
 * addresses read (GMime reads maria@cliente.es@evil.test as maria@cliente.es, silently),
 * and an address the one validator accepts.
 */
static gboolean
from_sound(const char *value, const char *hint, guint count, const mail_address *address)
{
	g_autofree char *normalized = decode_words(value, TRUE, hint);

	return bare_at_signs(normalized) == (int)count && address_valid(address->address);
}

/*
 * strictly_same - whether the value parses as RFC 5322 demands into the same first
 * address: GMime's default (loose) mode repairs unquoted commas and dots silently.
 */
static gboolean
strictly_same(const char *raw, const char *address)
{
	static GMimeParserOptions *strict;
	static gsize done;
	g_autofree char *normalized = decode_words(raw, TRUE, NULL);
	InternetAddressList *list;
	gboolean same = FALSE;

	if (g_once_init_enter(&done)) {
		strict = g_mime_parser_options_new();
		g_mime_parser_options_set_address_compliance_mode(strict,
		    GMIME_RFC_COMPLIANCE_STRICT);
		g_once_init_leave(&done, 1);
	}
	list = internet_address_list_parse(strict, normalized);
	if (list != NULL && internet_address_list_length(list) > 0) {
		InternetAddress *ia = internet_address_list_get_address(list, 0);

		same = INTERNET_ADDRESS_IS_MAILBOX(ia) && g_ascii_strcasecmp(address,
		    internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(ia))) == 0;
	}
	if (list != NULL)
		g_object_unref(list);
	return same;
}

/*
 * phrase_has_comma - a ',' outside quotes and comments before the '<': RFC 5322 reads two
 * addresses there, GMime one ("Pérez, Ana <ana@x.es>", as some address books write).
 */
static gboolean
phrase_has_comma(const char *raw)
{
	gboolean quoted = FALSE;
	int comment = 0;
	const char *p;

	for (p = raw; *p && (*p != '<' || quoted || comment); p++) {
		if (*p == '\\' && p[1] != '\0')
			p++;
		else if (*p == '"' && !comment)
			quoted = !quoted;
		else if (*p == '(' && !quoted)
			comment++;
		else if (*p == ')' && !quoted && comment > 0)
			comment--;
		else if (*p == ',' && !quoted && !comment)
			return *p != '\0' && strchr(p, '<') != NULL;
	}
	return FALSE;
}

/* parse_addresses - the addresses of the first header called name. */
static GPtrArray *
parse_addresses(GMimeObject *obj, const char *name, const char *hint)
{
	return parse_address_value(mime_header_raw(obj, name), hint);
}

/* has_at - an address entry that holds an addr-spec, not a piece of a broken name. */
static gboolean
has_at(const mail_address *a)
{
	const char *at = strchr(a->address, '@');

	return at != NULL && at != a->address && at[1] != '\0';
}

/*
 * lenient_mailbox - the mailbox a person reads in a From no RFC 5322 parser takes: the
 * last "<...@...>" as written (spaces in its local part too), else the word around the
 * last '@'; the text before it is the name. NULL when there is no '@' at all. The
 * address is looked for before any encoded-word is decoded: one is no word inside an
 * addr-spec (RFC 2047 section 5), and "=?UTF-8?B?YW5hQGNsaWVudGUuZXM=?=" decoded would
 * be ana@cliente.es, a customer who never wrote this mail.
 */
static mail_address *
lenient_mailbox(const char *raw, const char *hint)
{
	g_autofree char *unfolded = mime_header_unfold(raw);
	g_autofree char *value = header_text_to_utf8(unfolded, strlen(unfolded), hint);
	g_autofree char *name = NULL, *local = NULL, *domain = NULL, *address = NULL, *decoded = NULL;
	char *open = strrchr(value, '<'), *close, *at, *start, *end;

	if (open != NULL && (close = strchr(open, '>')) != NULL && memchr(open, '@', (gsize)(close - open))) {
		address = g_strndup(open + 1, (gsize)(close - open - 1));
		name = g_strndup(value, (gsize)(open - value));
	} else if ((at = strrchr(value, '@')) != NULL) {
		/* Without <>, "Ana Pérez ana@x.es": the words before the address are a name. */
		for (start = at; start > value && !strchr("<>,;\"() \t", start[-1]); start--)
			;
		for (end = at + 1; *end && !strchr("<>,;\"() \t", *end); end++)
			;
		local = g_strstrip(g_strndup(start, (gsize)(at - start)));
		domain = g_strndup(at + 1, (gsize)(end - at - 1));
		if (*local == '\0' || *domain == '\0')
			return NULL;
		address = g_strdup_printf("%s@%s", local, domain);
		name = g_strndup(value, (gsize)(start - value));
	} else {
		return NULL;
	}
	g_strstrip(address);
	decoded = decode_words(name, FALSE, hint);
	g_strdelimit(decoded, "\"", ' ');
	return mime_address_new(g_strstrip(decoded), address);
}

/* from_values - the raw values of every From field: some mailers write two. */
static GPtrArray *
from_values(GMimeObject *obj)
{
	GMimeHeaderList *list = g_mime_object_get_header_list(obj);
	GPtrArray *out = g_ptr_array_new();
	int i, n = list ? g_mime_header_list_get_count(list) : 0;

	for (i = 0; i < n && out->len < 8; i++) {
		GMimeHeader *h = g_mime_header_list_get_header_at(list, i);

		if (g_ascii_strcasecmp(g_mime_header_get_name(h), "From") == 0)
			g_ptr_array_add(out, (gpointer)g_mime_header_get_raw_value(h));
	}
	return out;
}

/*
 * from_value_parse - the sender one From value gives, strictly when it parses, else
 * leniently; *count gets its addresses, *malformed whether it was not RFC 5322.
 */
static mail_address *
from_value_parse(const char *raw, const char *hint, guint *count, gboolean *malformed)
{
	g_autoptr(GPtrArray) list = parse_address_value(raw, hint);
	mail_address *first = NULL;
	guint i;

	*count = 0;
	for (i = 0; i < list->len; i++) {
		mail_address *a = g_ptr_array_index(list, i);

		if (!has_at(a)) {
			*malformed = TRUE;     /* a piece of a name, or an address GMime gave up on */
			continue;
		}
		if (++*count == 1)
			first = a;
		if (!address_valid(a->address))
			*malformed = TRUE;
	}
	if (first != NULL && !*malformed) {
		/* from_sound first: GMime 3.2.13's strict mode leaks on a phrase holding an '@'. */
		*malformed = !from_sound(raw, hint, *count, first) || !strictly_same(raw, first->address) ||
		    (*count == 1 && phrase_has_comma(raw));
		return g_ptr_array_steal_index(list, 0);
	}
	if ((*count <= 1 && strchr(raw, '@') != NULL) || first == NULL) {
		mail_address *lenient = lenient_mailbox(raw, hint);

		if (lenient != NULL) {
			*malformed = TRUE;
			*count = MAX(*count, 1);
			return lenient;
		}
	}
	if (first == NULL) {
		/* "MAILER-DAEMON (Mail Delivery System)": an unqualified mailbox, kept as written. */
		mail_address *bare = list->len == 1 ? g_ptr_array_index(list, 0) : NULL;

		if (bare == NULL || *bare->address == '\0')
			return NULL;
		*count = 1;
		return g_ptr_array_steal_index(list, 0);
	}
	return mime_address_new(first->name, first->address);
}

/*
 * parse_from - the sender: the first From that names an address (a second From after a
 * broken one, as some spam tools write), else the Reply-To, which is where a person
 * would answer; anything but one well-formed From is recorded as malformed.
 */
static void
parse_from(GMimeObject *obj, const char *hint, parsed_message *m)
{
	g_autoptr(GPtrArray) values = from_values(obj);
	guint i;

	for (i = 0; i < values->len; i++) {
		gboolean malformed = i > 0;
		guint count;
		mail_address *a = from_value_parse(g_ptr_array_index(values, i), hint, &count,
		    &malformed);

		if (a == NULL)
			continue;
		/* Two From fields name nobody for sure either (RFC 5322 §3.6 allows one). */
		malformed |= values->len > 1;
		mime_address_free(m->from);
		m->from = a;
		m->from_count = count;
		m->from_malformed |= malformed;
		return;
	}
	m->from_malformed |= values->len > 0;
	if (m->reply_to->len > 0) {
		const mail_address *r = g_ptr_array_index(m->reply_to, 0);

		mime_address_free(m->from);
		m->from = mime_address_new(r->name, r->address);
		m->from_count = 1;
		m->from_malformed = TRUE;
	}
}

/* mime_message_id_clean - a Message-ID without surrounding blanks and <>, NULL if empty. */
char *
mime_message_id_clean(const char *id)
{
	g_autofree char *clean = mime_header_value_clean(id);
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
	refs = g_mime_references_parse(mime_parser_options, value);
	if (refs == NULL)
		return out;
	for (i = 0; i < g_mime_references_length(refs); i++) {
		char *id = mime_message_id_clean(g_mime_references_get_message_id(refs, i));

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

	if (date == NULL || mime_header_raw(GMIME_OBJECT(msg), "Date") == NULL)
		return NULL;
	utc = g_date_time_to_utc(date);
	return utc ? g_date_time_format(utc, "%Y-%m-%dT%H:%M:%SZ") : NULL;
}

/*
 * mime_header_parse - the envelope fields of m: addresses, subject, ids and date; hint is
 * the charset the body declares, for raw 8-bit header text (see header_text_to_utf8).
 */
void
mime_header_parse(GMimeMessage *msg, const char *hint, parsed_message *m)
{
	GMimeObject *obj = GMIME_OBJECT(msg);
	const char *subject = mime_header_raw(obj, "Subject");
	g_autoptr(GPtrArray) in_reply_to = parse_references(
	    g_mime_object_get_header(obj, "In-Reply-To"));

	g_ptr_array_unref(m->to);
	m->to = parse_addresses(obj, "To", hint);
	g_ptr_array_unref(m->cc);
	m->cc = parse_addresses(obj, "Cc", hint);
	g_ptr_array_unref(m->reply_to);
	m->reply_to = parse_addresses(obj, "Reply-To", hint);
	parse_from(obj, hint, m);
	if (subject != NULL) {
		g_free(m->subject);
		m->subject = mime_header_decode(subject, hint);
	}
	m->message_id = mime_message_id_clean(g_mime_message_get_message_id(msg));
	if (in_reply_to->len > 0)
		m->in_reply_to = g_strdup(g_ptr_array_index(in_reply_to, 0));
	g_ptr_array_unref(m->references);
	m->references = parse_references(g_mime_object_get_header(obj, "References"));
	m->date = format_date(msg);
}
