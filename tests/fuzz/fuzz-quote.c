/*
 * fuzz-quote - quote_strip on any text. Its callers hand it the UTF-8 body mime_parse
 * made, so the input is made valid UTF-8 first, as mime_parse would.
 */
#include <stdint.h>
#include <string.h>

#include "quote.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	g_autofree char *text = g_utf8_make_valid((const char *)data, (gssize)size);
	g_autofree char *stripped = NULL;

	/* A NUL ends the string the caller holds; mime_parse never leaves one inside. */
	stripped = quote_strip(text);
	if (strlen(stripped) > strlen(text) + 1)
		__builtin_trap();
	return 0;
}
