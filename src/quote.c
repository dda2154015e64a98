/*
 * quote - the new words of a customer's reply. Mail clients append the history below a
 * marker (an "El ... escribió:" attribution, an Outlook header block, a forward banner,
 * a "-- " signature, a phone footer) or as a trailing block of '>' lines; we keep what
 * comes before. Inline '>' quotes followed by new text are kept: only markers cut.
 */
#include <string.h>

#include "quote.h"

/* Lines longer than this are prose, never a marker (and keep the regexes cheap). */
#define QUOTE_MARKER_LINE_MAX 300
/* How far below a "From:" line the rest of an Outlook header block may be. */
#define QUOTE_HEADER_SPAN 4
/* A rule followed by at most this many lines to the end is a signature's separator. */
#define QUOTE_SIGNATURE_LINES 4
/* Supercite's citation prefix ("JP>") is the writer's initials: a few letters at most. */
#define QUOTE_CITE_PREFIX_MAX 4

typedef struct {
	GRegex *attribution_verb;   /* "escribió", "wrote" in any of a dozen languages */
	GRegex *attribution_lead;   /* "El lun, ...", "On Mon, ...": how one begins */
	GRegex *attribution_end;    /* what ends an attribution: ':' or "----" */
	GRegex *gmail_iso_date;     /* "2016-10-24 15:36 GMT+02:00 Foo <f@x>:" */
	GRegex *banner;             /* "-----Mensaje original-----", forward banners */
	GRegex *separator;          /* "______" or "------" rules before a header block */
	GRegex *header_from;        /* "De:", "From:", "*From:*" */
	GRegex *header_other;       /* "Enviado:", "Sent:", "Para:", "Asunto:" ... */
	GRegex *signature;          /* "-- " */
	GRegex *gmail_iso_line;     /* "2016-03-03 17:21 GMT+01:00 Some One" */
	GRegex *date_first;         /* "2013/7/20 Some One <s@x>" */
	GRegex *footer;             /* "Enviado desde mi iPhone", "Sent from my ..." */
} quote_patterns;

/* patterns - the compiled regexes, built once for the process. */
static const quote_patterns *
patterns(void)
{
	static quote_patterns p;
	static gsize done;
	const GRegexCompileFlags f = G_REGEX_CASELESS | G_REGEX_OPTIMIZE;

	if (g_once_init_enter(&done)) {
		p.attribution_verb = g_regex_new(
		    "(wrote|escribió|escribio|a[\\s\\x{a0}]écrit|schrieb|scrisse|ha scritto|"
		    "escreveu|schreef|geschreven|skrev|napisał|написал|написав|napsal|"
		    "kirjoitti|yazdı|пише|пишет|scrie|έγραψε|写道|寫道)", f, 0, NULL);
		p.attribution_lead = g_regex_new(
		    "^\\s*(>\\s*)?(on|el|le|am|il|em|op|den|dne|w dniu|в|у|in article)\\s.*\\d",
		    f, 0, NULL);
		p.attribution_end = g_regex_new("([:：]|-{2,})[\\s\\x{a0}]*$", f, 0, NULL);
		p.gmail_iso_date = g_regex_new(
		    "^\\s*\\d{4}-\\d{2}-\\d{2} \\d{1,2}:\\d{2} GMT.*@.*:$", f, 0, NULL);
		p.banner = g_regex_new(
		    "^[\\s*]*(>\\s*)?(-{2,}\\s*(mensaje original|original message|mensagem original|"
		    "message d'origine|ursprüngliche nachricht|messaggio originale|"
		    "original nachricht|oorspronkelijk bericht|forwarded message|mensaje reenviado|"
		    "message transféré|weitergeleitete nachricht|mensagem encaminhada)"
		    "\\s*-{0,}|(begin forwarded message|inicio del mensaje reenviado|"
		    "comienzo del mensaje reenviado|début du message réexpédié)\\s*:)[\\s*]*$",
		    f, 0, NULL);
		p.separator = g_regex_new("^\\s*(_{10,}|-{10,})\\s*$", f, 0, NULL);
		p.header_from = g_regex_new(
		    "^\\s*\\*?(from|de|von|van|da|od|от|від|från|fra)\\s*:", f, 0, NULL);
		p.header_other = g_regex_new(
		    "^\\s*\\*?(sent|date|enviado el|enviado|fecha|gesendet|datum|envoyé|to|para|an|à|"
		    "subject|asunto|betreff|objet|cc|data|inviato|oggetto|verzonden|aan|"
		    "onderwerp|wysłano|temat|do|отправлено|кому|тема|дата|skickat|till|ämne|"
		    "sendt|til|emne|dato|enviada|assunto)\\s*:", f, 0, NULL);
		p.signature = g_regex_new("^--\\s?$", 0, 0, NULL);
		p.footer = g_regex_new(
		    "^\\s*\\(?(enviado desde mi|enviado de mi|enviado do meu|sent from my|"
		    "get outlook for|(enviado desde|sent from|sent with|sent via|obtener|descargar) "
		    "\\[?(outlook|yahoo|mail|mailbox|correo|windows|airmail|spark|protonmail|"
		    "blackberry|samsung|android|ios|iphone|ipad)|"
		    "envoyé de mon|envoyé depuis mon|von meinem .* gesendet|verzonden met|"
		    "verzonden vanaf|inviato da|inviato dal mio|sendt fra min|skickat från min|"
		    "gesendet von meinem)\\b", f, 0, NULL);
		p.gmail_iso_line = g_regex_new(
		    "^\\s*\\d{4}-\\d{2}-\\d{2} \\d{1,2}:\\d{2} GMT[+-]\\d{2}:\\d{2}\\s", f, 0, NULL);
		/* Gmail in locales that write the date first puts no verb at all, only the
		 * date, the name and the address alone on the line. */
		p.date_first = g_regex_new(
		    "^\\s*\\d{4}[-/.]\\d{1,2}[-/.]\\d{1,2}\\s.*<[^<>\\s]+@[^<>\\s]+>\\s*:?$",
		    f, 0, NULL);
		g_once_init_leave(&done, 1);
	}
	return &p;
}

/* matches - a regex against one line, never on over-long prose. */
static gboolean
matches(GRegex *re, const char *line)
{
	return strlen(line) <= QUOTE_MARKER_LINE_MAX && g_regex_match(re, line, 0, NULL);
}

/* is_blank - only whitespace on the line. */
static gboolean
is_blank(const char *line)
{
	for (; *line; line++)
		if (!g_ascii_isspace(*line))
			return FALSE;
	return TRUE;
}

/*
 * is_quoted - a '>' line, the classic quoting of the history, or Supercite's
 * "JP>" (Emacs and some news readers cite with the writer's initials).
 */
static gboolean
is_quoted(const char *line)
{
	int k;

	while (*line == ' ')
		line++;
	for (k = 0; k < QUOTE_CITE_PREFIX_MAX && g_ascii_isalpha(line[k]); k++)
		;
	return line[k] == '>' && (k == 0 || line[k + 1] == '\0' || line[k + 1] == ' ');
}

/* is_rule - a line drawn with one repeated character, or Gmail's tracking dot. */
static gboolean
is_rule(const char *line)
{
	const char *p;

	while (*line == ' ')
		line++;
	if (strcmp(line, "\xe1\x90\xa7") == 0)
		return TRUE;
	if (line[0] == '\0' || strchr("-_*#~=+", line[0]) == NULL || line[1] != line[0])
		return FALSE;
	for (p = line; *p == line[0]; p++)
		;
	return *p == '\0';
}

/* next_content - the first non-blank line at or after i, or n. */
static guint
next_content(char **lines, guint i, guint n)
{
	while (i < n && is_blank(lines[i]))
		i++;
	return i;
}

/* attribution_text - whether one joined run of lines reads as "On <date>, <who> wrote:". */
static gboolean
attribution_text(const quote_patterns *p, const char *text, gboolean quote_follows)
{
	if (!matches(p->attribution_end, text))
		return FALSE;
	if (g_regex_match(p->gmail_iso_date, text, 0, NULL))
		return TRUE;
	if (!g_regex_match(p->attribution_verb, text, 0, NULL))
		return FALSE;
	/* A date or an address makes it an attribution; "Juan wrote:" needs the quote below. */
	return quote_follows || strpbrk(text, "@0123456789") != NULL;
}

/*
 * lead_above_fragment - when an attribution begins with a bare fragment ("<", a
 * "mailto:" link), the line that opens it ("On Thu, 31 Mar 2016 at 11:16 Some One"):
 * HTML-to-text conversion of a linked name breaks the attribution over blank lines.
 */
static guint
lead_above_fragment(const quote_patterns *p, char **lines, guint start)
{
	const char *top = lines[start];
	guint k;

	while (*top == ' ')
		top++;
	if (*top != '<' && !g_str_has_prefix(top, "mailto:"))
		return start;
	for (k = start; k > 0 && start - k < 3; k--) {
		const char *above = lines[k - 1];

		if (is_blank(above))
			continue;
		return matches(p->attribution_lead, above) &&
		    !g_regex_match(p->attribution_verb, above, 0, NULL) ? k - 1 : start;
	}
	return start;
}

/* extend_attribution - take in the lines above that begin it ("El lun, ... <"). */
static guint
extend_attribution(const quote_patterns *p, char **lines, guint start, guint last)
{
	guint k;

	for (k = 1; k <= 2 && k <= start && last - start + k < 3; k++) {
		const char *above = lines[start - k];

		if (is_blank(above))
			break;
		if (matches(p->attribution_lead, above) || g_str_has_suffix(above, "<") ||
		    g_str_has_suffix(above, ","))
			return lead_above_fragment(p, lines, start - k);
	}
	return lead_above_fragment(p, lines, start);
}

/*
 * attribution_start - where an attribution ending on line i starts (mailers wrap it
 * over up to three lines), or -1. The shortest run that reads as one wins, so the
 * customer's last sentence above it is never taken for part of it.
 */
static int
attribution_start(const quote_patterns *p, char **lines, guint i, guint n)
{
	g_autoptr(GString) joined = NULL;
	gboolean quote_follows;
	guint k, next;

	/* Checked first: most lines end otherwise, and the look-ahead is not free. */
	if (!matches(p->attribution_end, lines[i]))
		return -1;
	next = next_content(lines, i + 1, n);
	quote_follows = next < n && is_quoted(lines[next]);
	joined = g_string_new(lines[i]);
	for (k = 0; k < 3 && k <= i; k++) {
		if (k > 0) {
			if (is_blank(lines[i - k]))
				break;
			g_string_prepend_c(joined, ' ');
			g_string_prepend(joined, lines[i - k]);
		}
		if (attribution_text(p, joined->str, quote_follows))
			return (int)extend_attribution(p, lines, i - k, i);
	}
	return -1;
}

/* is_header_block - "From:" followed closely by "Sent:", "To:", "Subject:" lines. */
static gboolean
is_header_block(const quote_patterns *p, char **lines, guint i, guint n)
{
	guint j, found = 0;

	if (!matches(p->header_from, lines[i]))
		return FALSE;
	/* Two more header lines, so "De: mi parte" followed by "Para: ..." in prose stays. */
	for (j = i + 1; j < n && j <= i + QUOTE_HEADER_SPAN + 1; j++)
		if (matches(p->header_other, lines[j]) && ++found == 2)
			return TRUE;
	return FALSE;
}

/* is_marker - whether the history (or the signature) starts at line i. */
static gboolean
is_marker(const quote_patterns *p, char **lines, guint i, guint n)
{
	const char *line = lines[i];
	guint next;

	if (matches(p->signature, line) || matches(p->banner, line) ||
	    matches(p->gmail_iso_line, line) || matches(p->date_first, line) ||
	    is_header_block(p, lines, i, n))
		return TRUE;
	if (matches(p->separator, line)) {
		next = next_content(lines, i + 1, n);
		/* Outlook draws the rule above its header block; Hotmail and many webmail
		 * signatures draw it above a few closing lines. */
		return next < n && (is_header_block(p, lines, next, n) ||
		    n - next <= QUOTE_SIGNATURE_LINES);
	}
	/* Phone footers are short; a long line starting "Sent from my" is prose. */
	return strlen(line) < 80 && matches(p->footer, line);
}

/*
 * interleaved_after - whether the attribution ending on line i opens an inline reply:
 * a '>' block and then new words that are no marker. The answers written between the
 * quotes are the reply, so only the attribution goes.
 */
static gboolean
interleaved_after(const quote_patterns *p, char **lines, guint i, guint n)
{
	guint j = next_content(lines, i + 1, n);

	if (j >= n || !is_quoted(lines[j]))
		return FALSE;
	while (j < n && (is_blank(lines[j]) || is_quoted(lines[j])))
		j++;
	return j < n && !is_rule(lines[j]) && !is_marker(p, lines, j, n) &&
	    attribution_start(p, lines, j, n) < 0;
}

/*
 * content_end - where the kept text ends: the first marker, less a trailing quote.
 * The attribution lines of an inline reply are marked in drop instead.
 */
static guint
content_end(char **lines, guint n, gboolean *drop)
{
	const quote_patterns *p = patterns();
	guint end = n, i;

	for (i = 0; i < n; i++) {
		int start = attribution_start(p, lines, i, n);

		/* At the very top it is a bottom-posted reply, which quote_strip handles. */
		if (start > 0 && interleaved_after(p, lines, i, n)) {
			for (; start <= (int)i; start++)
				drop[start] = TRUE;
			continue;
		}
		if (start >= 0 || is_marker(p, lines, i, n)) {
			end = start >= 0 ? (guint)start : i;
			break;
		}
	}
	/* A trailing block of '>' lines (and blank lines among them) is history, and
	 * rules left below the text ("--", "____", Gmail's "ᐧ") say nothing. */
	while (end > 0 && (is_blank(lines[end - 1]) || is_quoted(lines[end - 1]) ||
	    is_rule(lines[end - 1])))
		end--;
	return end;
}

/*
 * reply_below_quote - where a bottom-posted reply starts: below the attribution and
 * '>' block that open the text, or right below an opening attribution with no '>'
 * under it (a phone client that quoted without prefixes, or an inline reply whose
 * history went first); 0 when the text does not open that way.
 */
static guint
reply_below_quote(char **lines, guint begin, guint n)
{
	const quote_patterns *p = patterns();
	guint i = begin, j;

	for (j = begin; j < n && j < begin + 3; j++) {
		if (attribution_start(p, lines, j, n) == (int)begin) {
			i = j + 1;
			break;
		}
	}
	if (i == begin)
		return 0;
	i = next_content(lines, i, n);
	if (i >= n)
		return 0;
	if (!is_quoted(lines[i]))
		return i;
	while (i < n && (is_blank(lines[i]) || is_quoted(lines[i])))
		i++;
	return i < n ? i : 0;
}

gboolean
quote_is_banner(const char *line)
{
	g_autofree char *trimmed = g_strchomp(g_strdup(line ? line : ""));

	return g_utf8_validate(trimmed, -1, NULL) && matches(patterns()->banner, trimmed);
}

char *
quote_strip(const char *text)
{
	g_auto(GStrv) original = NULL;
	g_auto(GStrv) lines = NULL;
	GString *out;
	g_autofree gboolean *drop = NULL;
	guint n, begin, end, i;

	if (text == NULL)
		return g_strdup("");
	/* The regexes need valid UTF-8; mime hands out nothing else, other callers might. */
	if (!g_utf8_validate(text, -1, NULL)) {
		g_autofree char *valid = g_utf8_make_valid(text, -1);

		return quote_strip(valid);
	}
	/* Markers are matched on right-trimmed copies; the kept lines stay as written. */
	original = g_strsplit(text, "\n", -1);
	lines = g_strdupv(original);
	n = g_strv_length(lines);
	for (i = 0; i < n; i++)
		g_strchomp(lines[i]);
	drop = g_new0(gboolean, n + 1);    /* never NULL, even for an empty text: memset needs a pointer */
	begin = next_content(lines, 0, n);
	for (;;) {
		guint below;

		memset(drop, 0, n * sizeof *drop);
		end = begin + content_end(lines + begin, n - begin, drop + begin);
		if (end > begin)
			break;
		/* Bottom-posted: the reply is what follows the opening quote. */
		below = reply_below_quote(lines, begin, n);
		if (below == 0) {
			/* Nothing new at all (a bare forward, a quote only): keep it all. */
			end = n;
			break;
		}
		begin = next_content(lines, below, n);
	}
	while (end > begin && is_blank(lines[end - 1]))
		end--;
	out = g_string_new(NULL);
	for (i = begin; i < end; i++) {
		if (drop[i])
			continue;
		if (i > begin)
			g_string_append_c(out, '\n');
		g_string_append(out, original[i]);
	}
	return g_string_free(out, FALSE);
}
