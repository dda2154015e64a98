/*
 * fuzz-lmtp - the LMTP state machine fed any bytes, with callbacks that accept every
 * recipient and every message. The same input is fed whole and then in chunks whose
 * size the input's first byte sets; both must give the same replies.
 */
#include <stdint.h>
#include <string.h>

#include "lmtp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static failure
fuzz_check(void *context, const char *address)
{
	return strncmp(address, "nadie", 5) == 0 ? failure_permanent(FAILURE_NO_SUCH_USER) : failure_ok();
}

static void
fuzz_deliver(void *context, const lmtp_envelope *envelope, const char *data, gsize length,
             lmtp_outcome *outcomes)
{
	guint *delivered = context;

	for (guint i = 0; i < envelope->recipient_count; i++) {
		if (strlen(envelope->recipients[i]) > LMTP_PATH_MAX)
			__builtin_trap();
		outcomes[i].status = failure_ok();
		outcomes[i].detail = g_strdup("fuzz");
	}
	(*delivered)++;
}

/* fuzz_feed - the replies to data fed `chunk` bytes at a time (0: whole). */
static GString *
fuzz_feed(const char *data, gsize size, gsize chunk, guint *delivered)
{
	lmtp_settings settings = { .hostname = "lmtp.fuzz", .peer = "fuzz", .max_message_size = 4096,
	                           .max_recipients = 4, .fixed_date = TRUE };
	lmtp_callbacks callbacks = { fuzz_check, fuzz_deliver, delivered };
	g_autoptr(lmtp_session) session = lmtp_session_new(&settings, &callbacks);
	GString *replies = g_string_new(NULL);

	lmtp_session_greeting(session);
	for (gsize at = 0; at < size;) {
		gsize n = chunk == 0 ? size : MIN(chunk, size - at);
		GString *output;

		lmtp_session_feed(session, data + at, n);
		at += n;
		output = lmtp_session_output(session);
		g_string_append_len(replies, output->str, (gssize)output->len);
		g_string_truncate(output, 0);
		lmtp_session_busy(session);
		lmtp_session_pending(session);
		if (lmtp_session_done(session))
			break;
	}
	return replies;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	g_autoptr(GString) whole = NULL, chunked = NULL;
	guint whole_count = 0, chunked_count = 0;

	if (size == 0)
		return 0;
	whole = fuzz_feed((const char *)data + 1, size - 1, 0, &whole_count);
	chunked = fuzz_feed((const char *)data + 1, size - 1, (gsize)(data[0] % 13) + 1,
	                    &chunked_count);
	if (!g_string_equal(whole, chunked) || whole_count != chunked_count)
		__builtin_trap();
	return 0;
}
