/*
 * log - info, warning, fatal and panic lines to syslog (mail facility) or stderr.
 * Untrusted text must go through log_printable() before it reaches a format.
 */
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <syslog.h>
#include <unistd.h>

#include "log.h"

static log_target target = LOG_TO_STDERR;
static const char *program_name = "ticketd";
static gboolean quiet;
static gboolean also_stderr;    /* a daemon still starting: its terminal sees the errors */

void
log_open(const char *program, log_target to)
{
	program_name = program;
	target = to;
	if (target == LOG_TO_SYSLOG)
		openlog(program, LOG_PID | LOG_NDELAY, LOG_MAIL);
}

void
log_set_quiet(gboolean on)
{
	quiet = on;
}

/* log_emit - one line at a syslog priority, with a severity word on stderr. */
static void G_GNUC_PRINTF(3, 0)
log_emit(int priority, const char *severity, const char *format, va_list args)
{
	g_autofree char *line = g_strdup_vprintf(format, args);

	if (target == LOG_TO_SYSLOG) {
		syslog(priority, "%s%s", severity, line);
		if (also_stderr && priority != LOG_INFO)
			fprintf(stderr, "%s: %s%s\n", program_name, severity, line);
		return;
	}
	if (quiet && priority == LOG_INFO)
		return;
	fprintf(stderr, "%s: %s%s\n", program_name, severity, line);
}

void
log_start_detached(void)
{
	also_stderr = TRUE;
}

/* log_detached - started: stderr goes to /dev/null, so a closed terminal is never written. */
void
log_detached(void)
{
	int null;

	if (!also_stderr)
		return;
	also_stderr = FALSE;
	fflush(stderr);
	if ((null = open("/dev/null", O_WRONLY | O_CLOEXEC)) >= 0) {
		dup2(null, 2);
		close(null);
	}
}

void
log_info(const char *format, ...)
{
	va_list args;

	va_start(args, format);
	log_emit(LOG_INFO, "", format, args);
	va_end(args);
}

void
log_staff(const char *actor, const char *format, ...)
{
	static gboolean opened;
	g_autofree char *what = NULL, *who = log_printable(actor ? actor : "", 254), *line = NULL;
	g_autofree char *login = log_printable(g_get_user_name(), 64);
	va_list args;

	va_start(args, format);
	what = g_strdup_vprintf(format, args);
	va_end(args);
	line = g_strdup_printf("%s, actor=<%s>, uid=%u, login=%s", what, who, (unsigned)getuid(), login);
	if (target != LOG_TO_SYSLOG && !opened) {
		openlog(program_name, LOG_PID, LOG_MAIL);
		opened = TRUE;
	}
	syslog(LOG_INFO, "%s", line);
	if (target != LOG_TO_SYSLOG && !quiet)
		fprintf(stderr, "%s: %s\n", program_name, line);
}

void
log_warning(const char *format, ...)
{
	va_list args;

	va_start(args, format);
	log_emit(LOG_WARNING, "warning: ", format, args);
	va_end(args);
}

void
log_fatal(const char *format, ...)
{
	va_list args;

	va_start(args, format);
	log_emit(LOG_CRIT, "fatal: ", format, args);
	va_end(args);
	exit(75);
}

void
log_fatal_status(int status, const char *format, ...)
{
	va_list args;

	va_start(args, format);
	log_emit(LOG_CRIT, "fatal: ", format, args);
	va_end(args);
	exit(status);
}

void
log_panic(const char *format, ...)
{
	va_list args;

	va_start(args, format);
	log_emit(LOG_CRIT, "panic: ", format, args);
	va_end(args);
	abort();
}

char *
log_printable(const char *text, gsize max)
{
	GString *out = g_string_sized_new(64);
	const char *p;

	if (text == NULL)
		return g_string_free(out, FALSE);
	for (p = text; *p != '\0' && out->len < max; p++) {
		unsigned char c = (unsigned char)*p;

		/* Bytes of valid UTF-8 pass; controls and DEL become '?'. */
		g_string_append_c(out, (c < 0x20 || c == 0x7f) ? '?' : (char)c);
	}
	if (!g_utf8_validate(out->str, out->len, NULL)) {
		char *valid = g_utf8_make_valid(out->str, out->len);

		g_string_assign(out, valid);
		g_free(valid);
	}
	if (*p != '\0')
		g_string_append(out, "...");
	return g_string_free(out, FALSE);
}
