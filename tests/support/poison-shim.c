/*
 * poison-shim - preloaded into ticketd by 73-poison.t only. It stands for a bug in the
 * parser that a mail from the internet could trigger: a message whose subject holds
 * VENENO-CRASH makes GMime's message construction abort, one with VENENO-HANG makes
 * it spin forever. Everything else goes to the real GMime untouched.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <gmime/gmime.h>

GMimeMessage *
g_mime_parser_construct_message(GMimeParser *parser, GMimeParserOptions *options)
{
	GMimeMessage *(*real)(GMimeParser *, GMimeParserOptions *) =
	    (GMimeMessage *(*)(GMimeParser *, GMimeParserOptions *))dlsym(RTLD_NEXT, __func__);
	GMimeMessage *message = real(parser, options);
	const char *subject = message != NULL ? g_mime_message_get_subject(message) : NULL;

	if (subject != NULL && strstr(subject, "VENENO-CRASH") != NULL)
		abort();
	while (subject != NULL && strstr(subject, "VENENO-HANG") != NULL)
		sleep(1);
	return message;
}
