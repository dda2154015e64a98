/*
 * log - one logging vocabulary, the Postfix way: info for decisions, warning for
 * trouble that ticketd survives, fatal for a broken environment (exit 75),
 * panic for a broken invariant of our own (abort). Syslog, mail facility, or stderr.
 */
#ifndef TICKETD_LOG_H
#define TICKETD_LOG_H

#include <glib.h>

typedef enum { LOG_TO_STDERR, LOG_TO_SYSLOG } log_target;

void log_open(const char *program, log_target target);
void log_set_quiet(gboolean quiet);     /* stderr only: hide info lines */
/* log_start_detached - syslog, and warnings and fatal errors on stderr until log_detached(). */
void log_start_detached(void);
void log_detached(void);

void log_info(const char *format, ...) G_GNUC_PRINTF(1, 2);
void log_warning(const char *format, ...) G_GNUC_PRINTF(1, 2);
G_NORETURN void log_fatal(const char *format, ...) G_GNUC_PRINTF(1, 2);
/* log_fatal_status - a fatal error with its own exit code (78 for the configuration). */
G_NORETURN void log_fatal_status(int status, const char *format, ...) G_GNUC_PRINTF(2, 3);
G_NORETURN void log_panic(const char *format, ...) G_GNUC_PRINTF(1, 2);

/* log_staff - what a person did at ticketctl, with who: the actor named (--actor or the
 * login) and the real uid and login. Always to syslog (mail facility), whatever the target,
 * so the desk's actions are on record where the daemon's decisions are. */
void log_staff(const char *actor, const char *format, ...) G_GNUC_PRINTF(2, 3);

/* log_printable - untrusted text made safe for a log line or terminal, cut at max bytes. */
char *log_printable(const char *text, gsize max);

#endif
