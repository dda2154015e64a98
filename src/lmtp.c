/*
 * lmtp - RFC 2033 server side as a state machine fed with bytes: command lines are
 * capped and resynchronised at the next LF, pipelined input is processed in order,
 * the data stream is dot-unstuffed and ends only at CRLF.CRLF, whatever the read
 * boundaries, and every accepted recipient gets its own reply after DATA.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "lmtp.h"

typedef enum { INPUT_COMMAND, INPUT_DATA } input_state;

/* Where we are in the data stream; BOL means just after CRLF (or right after DATA). */
typedef enum { DATA_BOL, DATA_TEXT, DATA_CR, DATA_DOT, DATA_DOT_CR } data_state;

struct lmtp_session {
	char *hostname;
	char *peer;
	gsize max_message_size;
	guint max_recipients;
	gboolean fixed_date;
	lmtp_callbacks callbacks;
	gint64 (*clock)(void);
	gint64 command_budget;      /* µs for one command line, 0: none */
	gint64 data_budget;         /* µs for DATA before the rate's credit, 0: none */
	gint64 data_min_rate;       /* bytes per second, 0: no credit */
	gboolean line_begun;        /* a command line has begun, at line_started */
	gint64 line_started;
	gint64 data_started;        /* when 354 was queued */

	GString *out;
	GString *line;              /* the command being read */
	gboolean line_overflow;     /* the current line passed LMTP_LINE_MAX: skip to LF */
	gboolean done;              /* QUIT answered */
	char *lhlo;                 /* NULL until LHLO */

	/* The transaction. */
	gboolean in_mail;
	char *sender;
	gboolean body_8bit;
	gboolean smtputf8;
	gsize declared_size;        /* MAIL FROM SIZE=, 0 when not given */
	GPtrArray *recipients;      /* char *, accepted, in order */

	input_state input;
	data_state data_state;
	GString *data;              /* trace headers + unstuffed message */
	gsize data_size;            /* message bytes seen, counted even past the limit */
	gboolean data_too_big;
};

static void G_GNUC_PRINTF(2, 3)
lmtp_reply(lmtp_session *session, const char *format, ...)
{
	va_list ap;

	va_start(ap, format);
	g_string_append_vprintf(session->out, format, ap);
	va_end(ap);
	g_string_append(session->out, "\r\n");
}

lmtp_session *
lmtp_session_new(const lmtp_settings *settings, const lmtp_callbacks *callbacks)
{
	lmtp_session *session = g_new0(lmtp_session, 1);

	session->hostname = g_strdup(settings->hostname ? settings->hostname : "localhost");
	session->peer = g_strdup(settings->peer ? settings->peer : "unknown");
	session->max_message_size = settings->max_message_size;
	session->max_recipients = settings->max_recipients ? settings->max_recipients : CONFIG_DEFAULT_LMTP_MAX_RECIPIENTS;
	session->fixed_date = settings->fixed_date;
	session->callbacks = *callbacks;
	session->clock = settings->clock ? settings->clock : g_get_monotonic_time;
	session->command_budget = (gint64)settings->command_timeout * G_USEC_PER_SEC;
	session->data_budget = (gint64)settings->data_timeout * G_USEC_PER_SEC;
	session->data_min_rate = settings->data_min_rate;
	session->out = g_string_sized_new(512);
	session->line = g_string_sized_new(128);
	session->recipients = g_ptr_array_new_with_free_func(g_free);
	return session;
}

/* lmtp_transaction_reset - forget MAIL, RCPT and data: after RSET, LHLO and DATA. */
static void
lmtp_transaction_reset(lmtp_session *session)
{
	session->in_mail = FALSE;
	g_clear_pointer(&session->sender, g_free);
	session->body_8bit = FALSE;
	session->smtputf8 = FALSE;
	session->declared_size = 0;
	g_ptr_array_set_size(session->recipients, 0);
	if (session->data != NULL) {
		g_string_free(session->data, TRUE);
		session->data = NULL;
	}
	session->input = INPUT_COMMAND;
}

void
lmtp_session_free(lmtp_session *session)
{
	if (session == NULL)
		return;
	lmtp_transaction_reset(session);
	g_ptr_array_unref(session->recipients);
	g_string_free(session->out, TRUE);
	g_string_free(session->line, TRUE);
	g_free(session->lhlo);
	g_free(session->hostname);
	g_free(session->peer);
	g_free(session);
}

void
lmtp_session_greeting(lmtp_session *session)
{
	lmtp_reply(session, "220 %s LMTP ticketd ready", session->hostname);
}

GString *
lmtp_session_output(lmtp_session *session)
{
	return session->out;
}

gboolean
lmtp_session_done(const lmtp_session *session)
{
	return session->done;
}

gboolean
lmtp_session_busy(const lmtp_session *session)
{
	return session->in_mail || session->input == INPUT_DATA;
}

gsize
lmtp_session_pending(const lmtp_session *session)
{
	return session->line->len;
}

const char *
lmtp_close_reply(lmtp_close_reason reason)
{
	switch (reason) {
	case LMTP_CLOSE_BUSY:
		return "421 4.3.2 Too many connections, try again later\r\n";
	case LMTP_CLOSE_NO_SESSION:
		return "421 4.3.2 Cannot start a session, try again later\r\n";
	case LMTP_CLOSE_SHUTDOWN:
		return "421 4.3.2 Service shutting down\r\n";
	case LMTP_CLOSE_IDLE:
		return "421 4.4.2 Idle timeout, closing connection\r\n";
	case LMTP_CLOSE_COMMAND_TIME:
		return "421 4.4.2 Command not completed in time, closing connection\r\n";
	case LMTP_CLOSE_DATA_TIME:
		return "421 4.4.2 Message data too slow, closing connection\r\n";
	case LMTP_CLOSE_NOT_ALLOWED:
		/* 4xx, not 5xx: a mistake in allowed_users defers Postfix's mail, never bounces it. */
		return "421 4.7.1 Not authorised to deliver here, closing connection\r\n";
	}
	return "421 4.3.2 Service shutting down\r\n";
}

const char *
lmtp_close_reason_name(lmtp_close_reason reason)
{
	static const char *const names[] = {
		[LMTP_CLOSE_BUSY] = "busy", [LMTP_CLOSE_NO_SESSION] = "no-session",
		[LMTP_CLOSE_SHUTDOWN] = "shutdown", [LMTP_CLOSE_IDLE] = "idle",
		[LMTP_CLOSE_COMMAND_TIME] = "command-timeout", [LMTP_CLOSE_DATA_TIME] = "data-timeout",
		[LMTP_CLOSE_NOT_ALLOWED] = "user-not-allowed",
	};

	return (gsize)reason < G_N_ELEMENTS(names) && names[reason] ? names[reason] : "closed";
}

gint64
lmtp_session_deadline(const lmtp_session *session, lmtp_close_reason *reason)
{
	if (session->done)
		return G_MAXINT64;
	if (session->input == INPUT_DATA && session->data_budget > 0) {
		gint64 credit = session->data_min_rate > 0
		                ? (gint64)MIN(session->data_size, (gsize)G_MAXINT32) * G_USEC_PER_SEC / session->data_min_rate
		                : 0;

		*reason = LMTP_CLOSE_DATA_TIME;
		return session->data_started + session->data_budget + credit;
	}
	if (session->input == INPUT_COMMAND && session->line_begun && session->command_budget > 0) {
		*reason = LMTP_CLOSE_COMMAND_TIME;
		return session->line_started + session->command_budget;
	}
	return G_MAXINT64;
}

void
lmtp_session_close(lmtp_session *session, lmtp_close_reason reason)
{
	g_string_append(session->out, lmtp_close_reply(reason));
	session->done = TRUE;
}

void
lmtp_outcome_set(lmtp_outcome *outcome, const ingest_result *result)
{
	outcome->status = result->failure;
	if (result->failure.class == FAILURE_OK)
		outcome->detail = g_strdup_printf("%s action=%s", result->decision.ticket ? result->decision.ticket
		                                  : "-", ingest_action_name(result->decision.action));
	else if (result->failure.class == FAILURE_TEMPORARY)
		outcome->detail = g_strdup("temporary failure, try again later");
	else
		outcome->detail = g_strdup(result->error ? result->error
		                           : result->decision.reason ? result->decision.reason : "refused");
}

/*
 * lmtp_printable - text fit for a header or a reply line: printable ASCII, bounded.
 * Spaces are kept only when allowed; controls become spaces there, '?' elsewhere.
 */
static char *
lmtp_printable(const char *text, gsize max, gboolean spaces)
{
	GString *clean = g_string_sized_new(64);

	for (const char *p = text; *p != '\0' && clean->len < max; p++) {
		if (*p > 0x20 && *p < 0x7f)
			g_string_append_c(clean, *p);
		else
			g_string_append_c(clean, spaces && (unsigned char)*p <= 0x20 ? ' ' : '?');
	}
	return g_string_free(clean, FALSE);
}

/* lmtp_date - RFC 5322 date, English names whatever the locale. */
static char *
lmtp_date(gboolean fixed)
{
	static const char *const days[] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
	static const char *const months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
	                                      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	time_t now = fixed ? 0 : time(NULL);
	struct tm tm;
	long offset;

	if (fixed)
		gmtime_r(&now, &tm);
	else
		localtime_r(&now, &tm);
	offset = fixed ? 0 : tm.tm_gmtoff / 60;
	return g_strdup_printf("%s, %02d %s %04d %02d:%02d:%02d %c%02ld%02ld", days[tm.tm_wday],
	                       tm.tm_mday, months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour,
	                       tm.tm_min, tm.tm_sec, offset < 0 ? '-' : '+', labs(offset) / 60,
	                       labs(offset) % 60);
}

/* lmtp_trace_headers - Return-Path and Received, which a final delivery agent adds. */
static void
lmtp_trace_headers(lmtp_session *session)
{
	g_autofree char *lhlo = lmtp_printable(session->lhlo, 255, FALSE);
	g_autofree char *date = lmtp_date(session->fixed_date);
	g_autofree char *id = session->fixed_date ? g_strdup("000000000000")
	                                          : g_strdup_printf("%08x%04x", g_random_int(),
	                                                            g_random_int() & 0xffff);

	g_string_append_printf(session->data, "Return-Path: <%s>\r\n", session->sender);
	g_string_append_printf(session->data, "Received: from %s (%s)\r\n\tby %s (ticketd) with %s id %s",
	                       lhlo, session->peer, session->hostname,
	                       session->smtputf8 ? "UTF8LMTP" : "LMTP", id);
	if (session->recipients->len == 1)
		g_string_append_printf(session->data, "\r\n\tfor <%s>",
		                       (const char *)g_ptr_array_index(session->recipients, 0));
	g_string_append_printf(session->data, "; %s\r\n", date);
}

/*
 * lmtp_parse_path - "<local@domain>" with an optional source route, quoted local parts
 * allowed. On success *address is the bare address and *rest points past '>'.
 */
static gboolean
lmtp_parse_path(const char *text, char **address, const char **rest)
{
	const char *p = text;
	const char *start;
	gboolean quoted = FALSE;

	while (*p == ' ')
		p++;
	if (*p++ != '<')
		return FALSE;
	if (*p == '@') {                    /* source route "@a,@b:" is ignored (RFC 5321 §4.1.2) */
		const char *colon = strchr(p, ':');

		if (colon == NULL)
			return FALSE;
		p = colon + 1;
	}
	start = p;
	for (; *p != '\0'; p++) {
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return FALSE;
		if (quoted && *p == '\\' && p[1] != '\0')
			p++;
		else if (*p == '"')
			quoted = !quoted;
		else if (!quoted && *p == '>')
			break;
		else if (!quoted && (*p == '<' || *p == ' '))
			return FALSE;
	}
	if (*p != '>' || (gsize)(p - start) > LMTP_PATH_MAX)
		return FALSE;
	*address = g_strndup(start, (gsize)(p - start));
	*rest = p + 1;
	return TRUE;
}

static gboolean
lmtp_is_ascii(const char *text)
{
	for (; *text != '\0'; text++)
		if ((unsigned char)*text >= 0x80)
			return FALSE;
	return TRUE;
}

/* lmtp_mail_parameter - one MAIL FROM parameter; FALSE once a reply was sent. */
static gboolean
lmtp_mail_parameter(lmtp_session *session, const char *keyword, const char *value)
{
	if (g_ascii_strcasecmp(keyword, "SIZE") == 0 && value != NULL) {
		guint64 size = 0;

		if (*value == '\0' || strlen(value) > 20 || strspn(value, "0123456789") != strlen(value) ||
		    !g_ascii_string_to_unsigned(value, 10, 0, G_MAXUINT64, &size, NULL)) {
			lmtp_reply(session, "501 5.5.4 Bad SIZE parameter");
			return FALSE;
		}
		if (size > session->max_message_size) {
			lmtp_reply(session, "552 5.3.4 Message size exceeds fixed limit of %" G_GSIZE_FORMAT " bytes",
			           session->max_message_size);
			return FALSE;
		}
		session->declared_size = (gsize)size;
		return TRUE;
	}
	if (g_ascii_strcasecmp(keyword, "BODY") == 0 && value != NULL) {
		if (g_ascii_strcasecmp(value, "8BITMIME") == 0)
			session->body_8bit = TRUE;
		else if (g_ascii_strcasecmp(value, "7BIT") != 0) {
			lmtp_reply(session, "501 5.5.4 BODY must be 7BIT or 8BITMIME");
			return FALSE;
		}
		return TRUE;
	}
	if (g_ascii_strcasecmp(keyword, "SMTPUTF8") == 0 && value == NULL) {
		session->smtputf8 = TRUE;
		return TRUE;
	}
	lmtp_reply(session, "555 5.5.4 Unsupported parameter");
	return FALSE;
}

/* lmtp_parameters - walk "KEY[=VALUE] ..." after a path; FALSE once a reply was sent. */
static gboolean
lmtp_parameters(lmtp_session *session, const char *rest, gboolean is_mail)
{
	g_auto(GStrv) words = g_strsplit(rest, " ", -1);

	if (*rest != '\0' && *rest != ' ') {
		lmtp_reply(session, "501 5.5.4 Syntax error in parameters");
		return FALSE;
	}
	for (int i = 0; words[i] != NULL; i++) {
		char *equals;

		if (*words[i] == '\0')
			continue;
		if (!is_mail) {
			lmtp_reply(session, "555 5.5.4 Unsupported parameter");
			return FALSE;
		}
		equals = strchr(words[i], '=');
		if (equals != NULL)
			*equals++ = '\0';
		if (!lmtp_mail_parameter(session, words[i], equals))
			return FALSE;
	}
	return TRUE;
}

/* lmtp_prefix - "FROM:" or "TO:" at the start of the argument, any case. */
static const char *
lmtp_prefix(const char *argument, const char *prefix)
{
	gsize length = strlen(prefix);

	if (g_ascii_strncasecmp(argument, prefix, length) != 0)
		return NULL;
	return argument + length;
}

static void
lmtp_command_mail(lmtp_session *session, const char *argument)
{
	const char *path = lmtp_prefix(argument, "FROM:");
	const char *rest = NULL;
	char *address = NULL;

	if (session->lhlo == NULL) {
		lmtp_reply(session, "503 5.5.1 Send LHLO first");
		return;
	}
	if (session->in_mail) {
		lmtp_reply(session, "503 5.5.1 Nested MAIL command");
		return;
	}
	if (path == NULL || !lmtp_parse_path(path, &address, &rest)) {
		lmtp_reply(session, "501 5.5.4 Syntax: MAIL FROM:<address>");
		return;
	}
	session->body_8bit = session->smtputf8 = FALSE;
	session->declared_size = 0;
	if (!lmtp_parameters(session, rest, TRUE)) {
		g_free(address);
		return;
	}
	if (!session->smtputf8 && !lmtp_is_ascii(address)) {
		lmtp_reply(session, "553 5.6.7 Non-ASCII address requires SMTPUTF8");
		g_free(address);
		return;
	}
	session->sender = address;
	session->in_mail = TRUE;
	lmtp_reply(session, "250 2.1.0 Sender ok");
}

/* lmtp_rcpt_refused - the reply to a recipient the check did not accept. */
static void
lmtp_rcpt_refused(lmtp_session *session, failure verdict, const char *address)
{
	const char *why = verdict.class == FAILURE_TEMPORARY ? "temporary failure, try again later"
	                  : verdict.cause == FAILURE_NO_SUCH_USER ? "no such department here" : "refused";

	lmtp_reply(session, "%s <%s>: %s", failure_lmtp_reply(verdict), address, why);
}

static void
lmtp_command_rcpt(lmtp_session *session, const char *argument)
{
	const char *path = lmtp_prefix(argument, "TO:");
	const char *rest = NULL;
	g_autofree char *address = NULL;
	failure verdict;

	if (!session->in_mail) {
		lmtp_reply(session, "503 5.5.1 Need MAIL before RCPT");
		return;
	}
	if (path == NULL || !lmtp_parse_path(path, &address, &rest)) {
		lmtp_reply(session, "501 5.5.4 Syntax: RCPT TO:<address>");
		return;
	}
	if (*address == '\0') {
		lmtp_reply(session, "501 5.1.3 Empty recipient address");
		return;
	}
	if (!lmtp_parameters(session, rest, FALSE))
		return;
	if (!session->smtputf8 && !lmtp_is_ascii(address)) {
		lmtp_reply(session, "553 5.6.7 Non-ASCII address requires SMTPUTF8");
		return;
	}
	if (session->recipients->len >= session->max_recipients) {
		lmtp_reply(session, "452 4.5.3 Too many recipients");
		return;
	}
	verdict = session->callbacks.check_recipient(session->callbacks.context, address);
	if (verdict.class != FAILURE_OK) {
		lmtp_rcpt_refused(session, verdict, address);
		return;
	}
	g_ptr_array_add(session->recipients, g_steal_pointer(&address));
	lmtp_reply(session, "250 2.1.5 Recipient ok");
}

static void
lmtp_command_data(lmtp_session *session, const char *argument)
{
	if (*argument != '\0') {
		lmtp_reply(session, "501 5.5.4 DATA takes no argument");
		return;
	}
	if (!session->in_mail) {
		lmtp_reply(session, "503 5.5.1 Need MAIL command");
		return;
	}
	if (session->recipients->len == 0) {
		lmtp_reply(session, "503 5.5.1 No valid recipients");
		return;
	}
	session->input = INPUT_DATA;
	session->data_started = session->clock();
	session->data_state = DATA_BOL;
	session->data_size = 0;
	session->data_too_big = FALSE;
	/* One allocation of the announced size (bounded above), not a series of doublings. */
	session->data = g_string_sized_new(MAX(session->declared_size, 4096) + 1024);
	lmtp_trace_headers(session);
	lmtp_reply(session, "354 Start mail input; end with <CRLF>.<CRLF>");
}

static void
lmtp_command_lhlo(lmtp_session *session, const char *argument)
{
	if (*argument == '\0') {
		lmtp_reply(session, "501 5.5.4 Syntax: LHLO hostname");
		return;
	}
	lmtp_transaction_reset(session);
	g_free(session->lhlo);
	session->lhlo = g_strdup(argument);
	lmtp_reply(session, "250-%s", session->hostname);
	lmtp_reply(session, "250-PIPELINING");
	lmtp_reply(session, "250-ENHANCEDSTATUSCODES");
	lmtp_reply(session, "250-8BITMIME");
	lmtp_reply(session, "250-SIZE %" G_GSIZE_FORMAT, session->max_message_size);
	lmtp_reply(session, "250 SMTPUTF8");
}

/* lmtp_command - one complete command line, CRLF (or LF) removed. */
static void
lmtp_command(lmtp_session *session, const char *line, gsize length)
{
	const char *space;
	const char *argument;
	gsize verb_length;

	if (memchr(line, '\0', length) != NULL) {
		lmtp_reply(session, "500 5.5.2 NUL character in command");
		return;
	}
	space = strchr(line, ' ');
	verb_length = space ? (gsize)(space - line) : length;
	argument = space ? space + 1 : "";
#define VERB(name) (verb_length == sizeof(name) - 1 && g_ascii_strncasecmp(line, name, verb_length) == 0)
	if (VERB("LHLO"))
		lmtp_command_lhlo(session, argument);
	else if (VERB("MAIL"))
		lmtp_command_mail(session, argument);
	else if (VERB("RCPT"))
		lmtp_command_rcpt(session, argument);
	else if (VERB("DATA"))
		lmtp_command_data(session, argument);
	else if (VERB("RSET")) {
		lmtp_transaction_reset(session);
		lmtp_reply(session, "250 2.0.0 Ok");
	} else if (VERB("NOOP"))
		lmtp_reply(session, "250 2.0.0 Ok");
	else if (VERB("QUIT")) {
		lmtp_reply(session, "221 2.0.0 Bye");
		session->done = TRUE;
	} else if (VERB("VRFY"))
		lmtp_reply(session, "252 2.5.2 Cannot VRFY; send some mail and we will try");
	else if (VERB("HELO") || VERB("EHLO"))
		lmtp_reply(session, "500 5.5.1 This is LMTP: use LHLO");
	else
		lmtp_reply(session, "500 5.5.2 Command not recognized");
#undef VERB
}

/* lmtp_data_end - the final dot: deliver, then exactly one reply per recipient. */
static void
lmtp_data_end(lmtp_session *session)
{
	guint count = session->recipients->len;
	g_autofree lmtp_outcome *outcomes = g_new0(lmtp_outcome, count);
	lmtp_envelope envelope = {
		.sender = session->sender,
		.recipients = (const char *const *)session->recipients->pdata,
		.recipient_count = count,
		.body_8bit = session->body_8bit,
		.smtputf8 = session->smtputf8,
		.lhlo = session->lhlo,
	};

	if (session->data_too_big) {
		for (guint i = 0; i < count; i++)
			lmtp_reply(session, "552 5.3.4 <%s>: message size exceeds fixed limit",
			           (const char *)g_ptr_array_index(session->recipients, i));
		lmtp_transaction_reset(session);
		return;
	}
	for (guint i = 0; i < count; i++)
		outcomes[i].status = failure_temporary();
	session->callbacks.deliver(session->callbacks.context, &envelope, session->data->str,
	                           session->data->len, outcomes);
	for (guint i = 0; i < count; i++) {
		const char *recipient = g_ptr_array_index(session->recipients, i);
		g_autofree char *detail = outcomes[i].detail ? lmtp_printable(outcomes[i].detail, 200, TRUE) : NULL;

		lmtp_reply(session, "%s <%s> %s", failure_lmtp_reply(outcomes[i].status), recipient,
		           detail ? detail : outcomes[i].status.class == FAILURE_OK ? "delivered" : "not delivered");
		g_free(outcomes[i].detail);
	}
	lmtp_transaction_reset(session);
}

/* lmtp_data_append - message bytes, counted always, kept only below the limit. */
static void
lmtp_data_append(lmtp_session *session, const char *bytes, gsize length)
{
	session->data_size += length;
	if (session->data_size > session->max_message_size) {
		if (!session->data_too_big) {
			session->data_too_big = TRUE;
			g_string_truncate(session->data, 0);
		}
		return;
	}
	g_string_append_len(session->data, bytes, (gssize)length);
}

/* lmtp_data_consume - feed the data stream; returns how many bytes were used. */
static gsize
lmtp_data_consume(lmtp_session *session, const char *bytes, gsize length)
{
	gsize i = 0;

	while (i < length) {
		char c = bytes[i];

		switch (session->data_state) {
		case DATA_TEXT: {
			const char *cr = memchr(bytes + i, '\r', length - i);
			gsize run = cr ? (gsize)(cr - (bytes + i)) : length - i;

			lmtp_data_append(session, bytes + i, run);
			i += run;
			if (cr != NULL) {
				session->data_state = DATA_CR;
				i++;
			}
			continue;
		}
		case DATA_BOL:
			i++;
			if (c == '.')
				session->data_state = DATA_DOT;
			else if (c == '\r')
				session->data_state = DATA_CR;
			else {
				lmtp_data_append(session, &c, 1);
				session->data_state = DATA_TEXT;
			}
			continue;
		case DATA_CR:
			i++;
			if (c == '\n') {
				lmtp_data_append(session, "\r\n", 2);
				session->data_state = DATA_BOL;
			} else if (c == '\r') {
				lmtp_data_append(session, "\r", 1);
			} else {
				lmtp_data_append(session, "\r", 1);
				lmtp_data_append(session, &c, 1);
				session->data_state = DATA_TEXT;
			}
			continue;
		case DATA_DOT:              /* a leading dot is dropped (RFC 5321 §4.5.2) */
			if (c == '\r') {
				i++;
				session->data_state = DATA_DOT_CR;
			} else {
				session->data_state = DATA_TEXT;
			}
			continue;
		case DATA_DOT_CR:
			if (c == '\n') {
				i++;
				session->input = INPUT_COMMAND;
				lmtp_data_end(session);
				return i;
			}
			session->data_state = DATA_CR; /* ".\r" then more: the dot was stuffing */
			continue;
		}
	}
	return i;
}

/* lmtp_line_end - a full command line (or the end of an over-long one). */
static void
lmtp_line_end(lmtp_session *session)
{
	GString *line = session->line;

	if (session->line_overflow) {
		lmtp_reply(session, "500 5.5.2 Line too long");
	} else {
		g_string_truncate(line, line->len - 1);                 /* LF */
		if (line->len > 0 && line->str[line->len - 1] == '\r')
			g_string_truncate(line, line->len - 1);
		lmtp_command(session, line->str, line->len);
	}
	g_string_truncate(line, 0);
	session->line_overflow = FALSE;
	session->line_begun = FALSE;
}

void
lmtp_session_feed(lmtp_session *session, const char *bytes, gsize length)
{
	gsize i = 0;

	while (i < length && !session->done) {
		const char *lf;
		gsize run;

		if (session->input == INPUT_DATA) {
			i += lmtp_data_consume(session, bytes + i, length - i);
			continue;
		}
		if (!session->line_begun) {
			session->line_begun = TRUE;
			session->line_started = session->clock();
		}
		lf = memchr(bytes + i, '\n', length - i);
		run = lf ? (gsize)(lf - (bytes + i)) + 1 : length - i;
		if (session->line_overflow || session->line->len + run > LMTP_LINE_MAX) {
			/* Too long: keep only a possible final LF, to resynchronise on it. */
			session->line_overflow = TRUE;
			g_string_truncate(session->line, 0);
			if (lf != NULL)
				g_string_append_c(session->line, '\n');
		} else {
			g_string_append_len(session->line, bytes + i, (gssize)run);
		}
		i += run;
		if (lf != NULL)
			lmtp_line_end(session);
	}
}
