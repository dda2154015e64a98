/*
 * test-lmtp - the LMTP state machine against a table of dialogues: every case runs
 * whole, one byte at a time, and in uneven chunks, and must give the same replies
 * and deliver the same bytes each way.
 */
#include <string.h>

#include "lmtp.h"

typedef struct {
	const char *name;
	const char *input;
	const char *output;         /* every reply, greeting included */
	const char *delivered;      /* message bodies delivered, trace headers cut, "|" between */
	gsize length;               /* 0: strlen(input) */
	gsize delivered_length;     /* 0: strlen(delivered) */
} lmtp_case;

#define GREET "220 lmtp.test LMTP ticketd ready\r\n"
#define LHLO "LHLO mx.example.com\r\n"
#define CAPS "250-lmtp.test\r\n250-PIPELINING\r\n250-ENHANCEDSTATUSCODES\r\n250-8BITMIME\r\n" \
             "250-SIZE 1000\r\n250 SMTPUTF8\r\n"
#define MAIL "MAIL FROM:<juan@example.com>\r\n"
#define MAIL_OK "250 2.1.0 Sender ok\r\n"
#define RCPT "RCPT TO:<soporte@example.com>\r\n"
#define RCPT_OK "250 2.1.5 Recipient ok\r\n"
#define GO "354 Start mail input; end with <CRLF>.<CRLF>\r\n"
#define SOPORTE_OK "250 2.0.0 <soporte@example.com> KQZ-000001 action=new\r\n"
#define BYE "221 2.0.0 Bye\r\n"
#define TXN MAIL RCPT "DATA\r\n"
#define TXN_OK MAIL_OK RCPT_OK GO

/* A body of 1001 bytes: one past the limit the tests set. */
#define L98 "01234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567"
#define K100 L98 "\r\n"
#define L490 L98 L98 L98 L98 L98
/* A command line of 2,450 bytes: past LMTP_LINE_MAX. */
#define LONG L490 L490 L490 L490 L490
#define BIG K100 K100 K100 K100 K100 K100 K100 K100 K100 K100 "x"

static const lmtp_case cases[] = {
	{ "one message", LHLO TXN "Subject: hola\r\n\r\nbody\r\n.\r\nQUIT\r\n",
	  GREET CAPS TXN_OK SOPORTE_OK BYE, "Subject: hola\r\n\r\nbody\r\n", 0, 0 },
	{ "lower-case commands", "lhlo x\r\nmail from:<a@b>\r\nrcpt to:<soporte@example.com>\r\ndata\r\nx\r\n.\r\nquit\r\n",
	  GREET "250-lmtp.test\r\n250-PIPELINING\r\n250-ENHANCEDSTATUSCODES\r\n250-8BITMIME\r\n"
	  "250-SIZE 1000\r\n250 SMTPUTF8\r\n" TXN_OK SOPORTE_OK BYE, "x\r\n", 0, 0 },
	{ "HELO and EHLO are refused", "HELO x\r\nEHLO x\r\nQUIT\r\n",
	  GREET "500 5.5.1 This is LMTP: use LHLO\r\n500 5.5.1 This is LMTP: use LHLO\r\n" BYE, "", 0, 0 },
	{ "LHLO needs a name", "LHLO\r\nLHLO \r\n", GREET "501 5.5.4 Syntax: LHLO hostname\r\n"
	  "501 5.5.4 Syntax: LHLO hostname\r\n", "", 0, 0 },
	{ "MAIL before LHLO", MAIL, GREET "503 5.5.1 Send LHLO first\r\n", "", 0, 0 },
	{ "null sender, SIZE, BODY, SMTPUTF8",
	  LHLO "MAIL FROM:<> SIZE=999 BODY=8BITMIME SMTPUTF8\r\n" RCPT "DATA\r\nx\r\n.\r\n",
	  GREET CAPS TXN_OK SOPORTE_OK, "x\r\n", 0, 0 },
	{ "SIZE over the limit", LHLO "MAIL FROM:<a@b> SIZE=1001\r\nMAIL FROM:<a@b> SIZE=99999999999999999999999\r\n"
	  "MAIL FROM:<a@b> SIZE=12a\r\n",
	  GREET CAPS "552 5.3.4 Message size exceeds fixed limit of 1000 bytes\r\n"
	  "501 5.5.4 Bad SIZE parameter\r\n501 5.5.4 Bad SIZE parameter\r\n", "", 0, 0 },
	{ "unknown parameters", LHLO "MAIL FROM:<a@b> AUTH=<>\r\nMAIL FROM:<a@b> BODY=BINARYMIME\r\n"
	  "MAIL FROM:<a@b> SMTPUTF8=yes\r\nMAIL FROM:<a@b>X\r\n",
	  GREET CAPS "555 5.5.4 Unsupported parameter\r\n501 5.5.4 BODY must be 7BIT or 8BITMIME\r\n"
	  "555 5.5.4 Unsupported parameter\r\n501 5.5.4 Syntax error in parameters\r\n", "", 0, 0 },
	{ "bad paths", LHLO "MAIL FROM:a@b\r\nMAIL FROM:<a@b\r\nMAIL TO:<a@b>\r\nMAIL FROM:<a b@c>\r\n"
	  "MAIL FROM:<@relay.example:a@b>\r\n",
	  GREET CAPS "501 5.5.4 Syntax: MAIL FROM:<address>\r\n501 5.5.4 Syntax: MAIL FROM:<address>\r\n"
	  "501 5.5.4 Syntax: MAIL FROM:<address>\r\n501 5.5.4 Syntax: MAIL FROM:<address>\r\n" MAIL_OK, "", 0, 0 },
	{ "quoted local part with > inside", LHLO "MAIL FROM:<\"a>b\"@example.com>\r\n",
	  GREET CAPS MAIL_OK, "", 0, 0 },
	{ "nested MAIL", LHLO MAIL MAIL, GREET CAPS MAIL_OK "503 5.5.1 Nested MAIL command\r\n", "", 0, 0 },
	{ "UTF-8 address needs SMTPUTF8", LHLO "MAIL FROM:<jos\xc3\xa9@example.com>\r\n"
	  "MAIL FROM:<jos\xc3\xa9@example.com> SMTPUTF8\r\n",
	  GREET CAPS "553 5.6.7 Non-ASCII address requires SMTPUTF8\r\n" MAIL_OK, "", 0, 0 },
	{ "RCPT without MAIL", LHLO RCPT, GREET CAPS "503 5.5.1 Need MAIL before RCPT\r\n", "", 0, 0 },
	{ "RCPT unknown, temporary, empty, with parameters", LHLO MAIL
	  "RCPT TO:<nadie@example.com>\r\nRCPT TO:<lento@example.com>\r\nRCPT TO:<>\r\n"
	  "RCPT TO:<soporte@example.com> NOTIFY=NEVER\r\nRCPT TO:soporte@example.com\r\n",
	  GREET CAPS MAIL_OK "550 5.1.1 <nadie@example.com>: no such department here\r\n"
	  "451 4.3.0 <lento@example.com>: temporary failure, try again later\r\n"
	  "501 5.1.3 Empty recipient address\r\n555 5.5.4 Unsupported parameter\r\n"
	  "501 5.5.4 Syntax: RCPT TO:<address>\r\n", "", 0, 0 },
	{ "too many recipients", LHLO MAIL RCPT "RCPT TO:<ventas@example.com>\r\n"
	  "RCPT TO:<facturacion@example.com>\r\nRCPT TO:<soporte@example.com>\r\n",
	  GREET CAPS MAIL_OK RCPT_OK RCPT_OK RCPT_OK "452 4.5.3 Too many recipients\r\n", "", 0, 0 },
	{ "DATA without MAIL or RCPT", LHLO "DATA\r\n" MAIL "DATA\r\nDATA x\r\n",
	  GREET CAPS "503 5.5.1 Need MAIL command\r\n" MAIL_OK "503 5.5.1 No valid recipients\r\n"
	  "501 5.5.4 DATA takes no argument\r\n", "", 0, 0 },
	{ "pipelined commands after a rejected RCPT", LHLO MAIL "RCPT TO:<nadie@example.com>\r\nDATA\r\n"
	  "Subject: x\r\n.\r\nRSET\r\n" TXN "y\r\n.\r\nQUIT\r\n",
	  GREET CAPS MAIL_OK "550 5.1.1 <nadie@example.com>: no such department here\r\n"
	  "503 5.5.1 No valid recipients\r\n500 5.5.2 Command not recognized\r\n"
	  "500 5.5.2 Command not recognized\r\n250 2.0.0 Ok\r\n" TXN_OK SOPORTE_OK BYE, "y\r\n", 0, 0 },
	{ "one reply per recipient, in order", LHLO MAIL "RCPT TO:<ventas@example.com>\r\n"
	  "RCPT TO:<nadie@example.com>\r\nRCPT TO:<falla@example.com>\r\nRCPT TO:<rechazo@example.com>\r\n"
	  "DATA\r\nx\r\n.\r\n",
	  GREET CAPS MAIL_OK RCPT_OK "550 5.1.1 <nadie@example.com>: no such department here\r\n"
	  RCPT_OK RCPT_OK GO "250 2.0.0 <ventas@example.com> KQZ-000002 action=new\r\n"
	  "451 4.3.0 <falla@example.com> store  busy\r\n550 5.7.1 <rechazo@example.com> not delivered\r\n",
	  "x\r\n", 0, 0 },
	{ "permanent failure", LHLO MAIL "RCPT TO:<permanente@example.com>\r\nDATA\r\nx\r\n.\r\n",
	  GREET CAPS TXN_OK "554 5.6.0 <permanente@example.com> not delivered\r\n", "x\r\n", 0, 0 },
	{ "dot-unstuffing", LHLO TXN "..hola\r\n...\r\n..\r\n.x\r\n.\r\n",
	  GREET CAPS TXN_OK SOPORTE_OK, ".hola\r\n..\r\n.\r\nx\r\n", 0, 0 },
	{ "empty message", LHLO TXN ".\r\n", GREET CAPS TXN_OK SOPORTE_OK, "", 0, 0 },
	{ "bare LF dot LF is not the end", LHLO TXN "a\n.\nb\r\n.\nc\r\n.\r\n",
	  GREET CAPS TXN_OK SOPORTE_OK, "a\n.\nb\r\n\nc\r\n", 0, 0 },
	{ "bare CR dot CR is not the end", LHLO TXN "a\r.\rb\r\n.\r\r\n.\r\n",
	  GREET CAPS TXN_OK SOPORTE_OK, "a\r.\rb\r\n\r\r\n", 0, 0 },
	{ "bare CR and LF at the end of data", LHLO TXN "a\r\r\n.\r\n", GREET CAPS TXN_OK SOPORTE_OK, "a\r\r\n", 0, 0 },
	{ "dot CR x is stuffing", LHLO TXN ".\rx\r\n.\r\n", GREET CAPS TXN_OK SOPORTE_OK, "\rx\r\n", 0, 0 },
	{ "two transactions and RSET", LHLO TXN "uno\r\n.\r\n" MAIL RCPT "RSET\r\n" TXN "dos\r\n.\r\nNOOP\r\n",
	  GREET CAPS TXN_OK SOPORTE_OK MAIL_OK RCPT_OK "250 2.0.0 Ok\r\n" TXN_OK SOPORTE_OK "250 2.0.0 Ok\r\n",
	  "uno\r\n|dos\r\n", 0, 0 },
	{ "LHLO resets the transaction", LHLO MAIL LHLO "DATA\r\n",
	  GREET CAPS MAIL_OK CAPS "503 5.5.1 Need MAIL command\r\n", "", 0, 0 },
	{ "VRFY, NOOP, unknown", "VRFY soporte\r\nNOOP\r\nSTARTTLS\r\n\r\n",
	  GREET "252 2.5.2 Cannot VRFY; send some mail and we will try\r\n250 2.0.0 Ok\r\n"
	  "500 5.5.2 Command not recognized\r\n500 5.5.2 Command not recognized\r\n", "", 0, 0 },
	{ "input after QUIT is ignored", "QUIT\r\nNOOP\r\n", GREET BYE, "", 0, 0 },
	{ "LF alone ends a command", "NOOP\nNOOP\r\n", GREET "250 2.0.0 Ok\r\n250 2.0.0 Ok\r\n", "", 0, 0 },
	{ "NUL in a command", "NO\0OP\r\nNOOP\r\n", GREET "500 5.5.2 NUL character in command\r\n"
	  "250 2.0.0 Ok\r\n", "", 13, 0 },
	{ "NUL in data is kept", LHLO TXN "a\0b\r\n.\r\n", GREET CAPS TXN_OK SOPORTE_OK, "a\0b\r\n",
	  sizeof(LHLO TXN "a\0b\r\n.\r\n") - 1, 5 },
	{ "message over the limit is read to the end", LHLO TXN BIG "\r\n.\r\n" "NOOP\r\n",
	  GREET CAPS TXN_OK "552 5.3.4 <soporte@example.com>: message size exceeds fixed limit\r\n"
	  "250 2.0.0 Ok\r\n", "", 0, 0 },
	{ "message at the limit", LHLO TXN K100 K100 K100 K100 K100 K100 K100 K100 K100 K100 ".\r\n",
	  GREET CAPS TXN_OK SOPORTE_OK, K100 K100 K100 K100 K100 K100 K100 K100 K100 K100, 0, 0 },
	{ "over-long command resynchronises", LHLO "NOOP " LONG "\r\nNOOP\r\n" "NOOP " L490 L490 L490 L490 "\r\n",
	  GREET CAPS "500 5.5.2 Line too long\r\n250 2.0.0 Ok\r\n250 2.0.0 Ok\r\n", "", 0, 0 },
	{ "data lines are not bound by the command cap", LHLO TXN "aaaa" K100 "\r\n.\r\n",
	  GREET CAPS TXN_OK SOPORTE_OK, "aaaa" K100 "\r\n", 0, 0 },
};

typedef struct {
	GString *delivered;
	GString *trace;             /* the trace headers of the last message */
	guint deliveries;
} test_state;

static failure
test_check(void *context, const char *address)
{
	static const char *const known[] = { "soporte@", "ventas@", "facturacion@", "falla@",
	                                     "rechazo@", "permanente@", NULL };

	if (g_str_has_prefix(address, "lento@"))
		return failure_temporary();
	for (int i = 0; known[i] != NULL; i++)
		if (g_str_has_prefix(address, known[i]))
			return failure_ok();
	return failure_permanent(FAILURE_NO_SUCH_USER);
}

/* test_body - skip Return-Path and Received (with its continuation lines). */
static const char *
test_body(const char *data, gsize length, gsize *body_length)
{
	const char *p = data;
	const char *end = data + length;

	g_assert_true(g_str_has_prefix(data, "Return-Path: <"));
	p = strstr(p, "\r\n") + 2;
	g_assert_true(g_str_has_prefix(p, "Received: from "));
	do {
		p = strstr(p, "\r\n") + 2;
	} while (*p == '\t');
	*body_length = (gsize)(end - p);
	return p;
}

static void
test_deliver(void *context, const lmtp_envelope *envelope, const char *data, gsize length,
             lmtp_outcome *outcomes)
{
	test_state *state = context;
	gsize body_length;
	const char *body = test_body(data, length, &body_length);

	if (state->deliveries++ > 0)
		g_string_append_c(state->delivered, '|');
	g_string_append_len(state->delivered, body, (gssize)body_length);
	g_string_assign(state->trace, "");
	g_string_append_len(state->trace, data, (gssize)(body - data));
	for (guint i = 0; i < envelope->recipient_count; i++) {
		const char *rcpt = envelope->recipients[i];

		if (g_str_has_prefix(rcpt, "soporte@")) {
			outcomes[i].status = failure_ok();
			outcomes[i].detail = g_strdup("KQZ-000001 action=new");
		} else if (g_str_has_prefix(rcpt, "ventas@")) {
			outcomes[i].status = failure_ok();
			outcomes[i].detail = g_strdup("KQZ-000002 action=new");
		} else if (g_str_has_prefix(rcpt, "falla@")) {
			outcomes[i].status = failure_temporary();
			outcomes[i].detail = g_strdup("store\r\nbusy");
		} else if (g_str_has_prefix(rcpt, "rechazo@")) {
			outcomes[i].status = failure_permanent(FAILURE_POLICY);
		} else if (g_str_has_prefix(rcpt, "permanente@")) {
			outcomes[i].status = failure_permanent(FAILURE_MESSAGE);
		}
	}
}

/* test_run - feed the input in chunks of `chunk` bytes (0: whole); check the results. */
static void
test_run(const lmtp_case *c, gsize chunk)
{
	test_state state = { g_string_new(NULL), g_string_new(NULL), 0 };
	lmtp_settings settings = { .hostname = "lmtp.test", .peer = "test", .max_message_size = 1000,
	                           .max_recipients = 3, .fixed_date = TRUE };
	lmtp_callbacks callbacks = { test_check, test_deliver, &state };
	g_autoptr(lmtp_session) session = lmtp_session_new(&settings, &callbacks);
	gsize length = c->length ? c->length : strlen(c->input);
	g_autoptr(GString) output = g_string_new(NULL);

	lmtp_session_greeting(session);
	for (gsize i = 0; i < length;) {
		gsize n = chunk == 0 ? length : MIN(chunk + (i % 3 == 1 && chunk > 1 ? 3 : 0), length - i);

		lmtp_session_feed(session, c->input + i, n);
		i += n;
		g_string_append_len(output, lmtp_session_output(session)->str,
		                    (gssize)lmtp_session_output(session)->len);
		g_string_truncate(lmtp_session_output(session), 0);
	}
	g_assert_cmpstr(output->str, ==, c->output);
	g_assert_cmpuint(state.delivered->len, ==, c->delivered_length ? c->delivered_length : strlen(c->delivered));
	g_assert_true(memcmp(state.delivered->str, c->delivered, state.delivered->len) == 0);
	g_string_free(state.delivered, TRUE);
	g_string_free(state.trace, TRUE);
}

static void
test_whole(gconstpointer data)
{
	test_run(data, 0);
}

static void
test_bytewise(gconstpointer data)
{
	test_run(data, 1);
}

static void
test_chunks(gconstpointer data)
{
	test_run(data, 7);
}

/* The trace headers: Return-Path and Received, with "for" when there is one recipient. */
static void
test_trace_headers(void)
{
	test_state state = { g_string_new(NULL), g_string_new(NULL), 0 };
	lmtp_settings settings = { .hostname = "lmtp.test", .peer = "127.0.0.1", .max_message_size = 1000,
	                           .max_recipients = 3, .fixed_date = TRUE };
	lmtp_callbacks callbacks = { test_check, test_deliver, &state };
	g_autoptr(lmtp_session) session = lmtp_session_new(&settings, &callbacks);
	const char *input = "LHLO mx\x01.example\r\nMAIL FROM:<>\r\n" RCPT "DATA\r\nx\r\n.\r\n";

	lmtp_session_feed(session, input, strlen(input));
	g_assert_cmpstr(state.trace->str, ==,
	                "Return-Path: <>\r\nReceived: from mx?.example (127.0.0.1)\r\n"
	                "\tby lmtp.test (ticketd) with LMTP id 000000000000\r\n"
	                "\tfor <soporte@example.com>; Thu, 01 Jan 1970 00:00:00 +0000\r\n");
	g_string_free(state.delivered, TRUE);
	g_string_free(state.trace, TRUE);
}

static void
test_busy(void)
{
	test_state state = { g_string_new(NULL), g_string_new(NULL), 0 };
	lmtp_settings settings = { .hostname = "h", .max_message_size = 1000 };
	lmtp_callbacks callbacks = { test_check, test_deliver, &state };
	g_autoptr(lmtp_session) session = lmtp_session_new(&settings, &callbacks);

	lmtp_session_feed(session, LHLO, strlen(LHLO));
	g_assert_false(lmtp_session_busy(session));
	lmtp_session_feed(session, MAIL "NO", strlen(MAIL) + 2);
	g_assert_true(lmtp_session_busy(session));
	g_assert_cmpuint(lmtp_session_pending(session), ==, 2);
	lmtp_session_feed(session, "OP\r\n" RCPT "DATA\r\nx", 4 + strlen(RCPT) + 7);
	g_assert_true(lmtp_session_busy(session));
	lmtp_session_feed(session, "\r\n.\r\n", 5);
	g_assert_false(lmtp_session_busy(session));
	g_assert_false(lmtp_session_done(session));
	lmtp_session_feed(session, "QUIT\r\n", 6);
	g_assert_true(lmtp_session_done(session));
	g_string_free(state.delivered, TRUE);
	g_string_free(state.trace, TRUE);
}

/* The 421 replies that end a connection the server closes on its own. */
static void
test_close_replies(void)
{
	static const struct {
		lmtp_close_reason reason;
		const char *reply;
	} closes[] = {
		{ LMTP_CLOSE_BUSY, "421 4.3.2 Too many connections, try again later\r\n" },
		{ LMTP_CLOSE_NO_SESSION, "421 4.3.2 Cannot start a session, try again later\r\n" },
		{ LMTP_CLOSE_SHUTDOWN, "421 4.3.2 Service shutting down\r\n" },
		{ LMTP_CLOSE_IDLE, "421 4.4.2 Idle timeout, closing connection\r\n" },
		{ LMTP_CLOSE_COMMAND_TIME, "421 4.4.2 Command not completed in time, closing connection\r\n" },
		{ LMTP_CLOSE_DATA_TIME, "421 4.4.2 Message data too slow, closing connection\r\n" },
		{ LMTP_CLOSE_NOT_ALLOWED, "421 4.7.1 Not authorised to deliver here, closing connection\r\n" },
	};

	for (gsize i = 0; i < G_N_ELEMENTS(closes); i++) {
		test_state state = { g_string_new(NULL), g_string_new(NULL), 0 };
		lmtp_settings settings = { .hostname = "lmtp.test", .max_message_size = 1000 };
		lmtp_callbacks callbacks = { test_check, test_deliver, &state };
		g_autoptr(lmtp_session) session = lmtp_session_new(&settings, &callbacks);
		g_autofree char *expected = g_strconcat(GREET, closes[i].reply, NULL);

		g_assert_cmpstr(lmtp_close_reply(closes[i].reason), ==, closes[i].reply);
		lmtp_session_greeting(session);
		lmtp_session_close(session, closes[i].reason);
		g_assert_true(lmtp_session_done(session));
		lmtp_session_feed(session, "NOOP\r\n", 6);             /* ignored: the session is over */
		g_assert_cmpstr(lmtp_session_output(session)->str, ==, expected);
		g_string_free(state.delivered, TRUE);
		g_string_free(state.trace, TRUE);
	}
}

static gint64 test_now;

static gint64
test_clock(void)
{
	return test_now;
}

/* test_feed_at - bytes from the client at second `at` of the fake clock. */
static void
test_feed_at(lmtp_session *session, gint64 at, const char *bytes)
{
	test_now = at * G_USEC_PER_SEC;
	lmtp_session_feed(session, bytes, strlen(bytes));
}

/*
 * A command line must end within command_timeout of its first byte and a message within
 * data_timeout plus a second per data_min_rate bytes: a byte now and then buys nothing.
 */
static void
test_deadlines(void)
{
	test_state state = { g_string_new(NULL), g_string_new(NULL), 0 };
	lmtp_settings settings = { .hostname = "lmtp.test", .max_message_size = 100000, .command_timeout = 10,
	                           .data_timeout = 20, .data_min_rate = 100, .clock = test_clock };
	lmtp_callbacks callbacks = { test_check, test_deliver, &state };
	g_autoptr(lmtp_session) session = lmtp_session_new(&settings, &callbacks);
	lmtp_close_reason reason = LMTP_CLOSE_IDLE;
	g_autoptr(GString) body = g_string_new(NULL);

	lmtp_session_greeting(session);
	g_assert_cmpint(lmtp_session_deadline(session, &reason), ==, G_MAXINT64);   /* idle: the caller's */
	test_feed_at(session, 100, "LHLO ");
	for (gint64 second = 101; second < 110; second++)
		test_feed_at(session, second, "m");
	g_assert_cmpint(lmtp_session_deadline(session, &reason), ==, 110 * G_USEC_PER_SEC);
	g_assert_cmpint(reason, ==, LMTP_CLOSE_COMMAND_TIME);
	test_feed_at(session, 109, "x\r\n");
	g_assert_cmpint(lmtp_session_deadline(session, &reason), ==, G_MAXINT64);
	test_feed_at(session, 200, MAIL RCPT "DATA\r\n");
	g_assert_cmpint(lmtp_session_deadline(session, &reason), ==, 220 * G_USEC_PER_SEC);
	g_assert_cmpint(reason, ==, LMTP_CLOSE_DATA_TIME);
	for (int i = 0; i < 10; i++)
		g_string_append(body, K100);
	test_feed_at(session, 205, body->str);              /* 1000 bytes at 100 B/s: 10 s more */
	g_assert_cmpint(lmtp_session_deadline(session, &reason), ==, 230 * G_USEC_PER_SEC);
	test_feed_at(session, 229, ".\r\n");
	g_assert_cmpint(lmtp_session_deadline(session, &reason), ==, G_MAXINT64);
	g_assert_cmpuint(state.delivered->len, ==, 1000);
	g_assert_cmpstr(lmtp_close_reason_name(LMTP_CLOSE_DATA_TIME), ==, "data-timeout");
	g_string_free(state.delivered, TRUE);
	g_string_free(state.trace, TRUE);
}

/* The reply text for each ingest result: ticket and action, or why not. */
static void
test_outcome_detail(void)
{
	static const struct {
		failure status;
		const char *ticket, *reason, *error;
		const char *detail;
	} results[] = {
		{ { FAILURE_OK, FAILURE_MESSAGE }, "KQZ-000001", NULL, NULL, "KQZ-000001 action=new" },
		{ { FAILURE_OK, FAILURE_MESSAGE }, NULL, NULL, NULL, "- action=new" },
		{ { FAILURE_TEMPORARY, FAILURE_MESSAGE }, NULL, NULL, "database is locked", "temporary failure, try again later" },
		{ { FAILURE_PERMANENT, FAILURE_MESSAGE }, NULL, "a reason", "unparsable", "unparsable" },
		{ { FAILURE_PERMANENT, FAILURE_POLICY }, NULL, "closed ticket", NULL, "closed ticket" },
		{ { FAILURE_PERMANENT, FAILURE_NO_SUCH_USER }, NULL, NULL, NULL, "refused" },
	};

	for (gsize i = 0; i < G_N_ELEMENTS(results); i++) {
		ingest_result result = {
			.failure = results[i].status,
			.decision = { .action = ACTION_NEW, .ticket = (char *)results[i].ticket,
			              .reason = (char *)results[i].reason },
			.error = (char *)results[i].error,
		};
		lmtp_outcome outcome = { 0 };

		lmtp_outcome_set(&outcome, &result);
		g_assert_cmpint(outcome.status.class, ==, results[i].status.class);
		g_assert_cmpint(outcome.status.cause, ==, results[i].status.cause);
		g_assert_cmpstr(outcome.detail, ==, results[i].detail);
		g_free(outcome.detail);
	}
}

/* test_feed_all - the replies to input fed in the given chunk sizes (0 = random). */
static char *
test_feed_all(const GString *input, gsize chunk, GRand *rand, GString *delivered)
{
	test_state state = { delivered, g_string_new(NULL), 0 };
	lmtp_settings settings = { .hostname = "h", .max_message_size = 300, .max_recipients = 3,
	                           .fixed_date = TRUE };
	lmtp_callbacks callbacks = { test_check, test_deliver, &state };
	g_autoptr(lmtp_session) session = lmtp_session_new(&settings, &callbacks);

	for (gsize i = 0; i < input->len;) {
		gsize n = chunk ? chunk : (gsize)g_rand_int_range(rand, 1, 40);

		n = MIN(n, input->len - i);
		lmtp_session_feed(session, input->str + i, n);
		i += n;
	}
	g_string_free(state.trace, TRUE);
	return g_strdup(lmtp_session_output(session)->str);
}

/*
 * Random dialogues built from protocol fragments and junk: the replies and the
 * delivered bytes never depend on how the input was cut.
 */
static void
test_random_cuts(void)
{
	static const char *const pieces[] = {
		"LHLO x\r\n", "MAIL FROM:<a@b>\r\n", "MAIL FROM:<> SIZE=100\r\n", "RCPT TO:<soporte@example.com>\r\n",
		"RCPT TO:<nadie@x>\r\n", "DATA\r\n", "RSET\r\n", "NOOP\r\n", ".", "\r", "\n", "\r\n", "\r\n.\r\n",
		"..", "x", "\0", "\xff", "Subject: hola\r\n", "0123456789abcdef0123456789abcdef0123456789",
	};
	GRand *rand = g_rand_new_with_seed(20330);

	for (int round = 0; round < 400; round++) {
		g_autoptr(GString) input = g_string_new(NULL);
		g_autoptr(GString) whole_data = g_string_new(NULL);
		g_autoptr(GString) cut_data = g_string_new(NULL);
		g_autoptr(GString) byte_data = g_string_new(NULL);
		g_autofree char *whole = NULL, *cut = NULL, *bytewise = NULL;
		int count = g_rand_int_range(rand, 1, 120);

		for (int i = 0; i < count; i++) {
			const char *piece = pieces[g_rand_int_range(rand, 0, G_N_ELEMENTS(pieces))];

			g_string_append_len(input, piece, *piece ? (gssize)strlen(piece) : 1);
		}
		whole = test_feed_all(input, input->len, rand, whole_data);
		cut = test_feed_all(input, 0, rand, cut_data);
		bytewise = test_feed_all(input, 1, rand, byte_data);
		g_assert_cmpstr(cut, ==, whole);
		g_assert_cmpstr(bytewise, ==, whole);
		g_assert_true(g_string_equal(cut_data, whole_data));
		g_assert_true(g_string_equal(byte_data, whole_data));
	}
	g_rand_free(rand);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree char *whole = g_strdup_printf("/lmtp/whole/%s", cases[i].name);
		g_autofree char *bytewise = g_strdup_printf("/lmtp/bytewise/%s", cases[i].name);
		g_autofree char *chunks = g_strdup_printf("/lmtp/chunks/%s", cases[i].name);

		g_test_add_data_func(whole, &cases[i], test_whole);
		g_test_add_data_func(bytewise, &cases[i], test_bytewise);
		g_test_add_data_func(chunks, &cases[i], test_chunks);
	}
	g_test_add_func("/lmtp/trace-headers", test_trace_headers);
	g_test_add_func("/lmtp/busy", test_busy);
	g_test_add_func("/lmtp/random-cuts", test_random_cuts);
	g_test_add_func("/lmtp/close-replies", test_close_replies);
	g_test_add_func("/lmtp/deadlines", test_deadlines);
	g_test_add_func("/lmtp/outcome-detail", test_outcome_detail);
	return g_test_run();
}
