/*
 * deliver - `ticketd deliver`: one message on stdin, ingested for each -r recipient
 * (or for the department its To/Cc names), then an exit code by sysexits(3) that
 * pipe(8), procmail and .forward understand: 0 committed, 75 try again later.
 * Without the daemon's watchdog it keeps its own time: a parse past parse_timeout is
 * held raw, and an alarm ends any other wait with 75.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "deliver.h"
#include "inbound.h"
#include "ingest.h"
#include "log.h"

/*
 * Past the parse, the decision waits only on the store, each lock at most its busy
 * timeout (10 s); a minute more than parse_timeout means something hangs.
 */
#define DELIVER_SLACK_SECONDS 60

/* deliver_on_alarm - nothing was decided in time: the sender tries again later. */
static void
deliver_on_alarm(int signo)
{
	static const char message[] = "ticketd deliver: no decision within parse_timeout and a minute "
	                              "(the database may be locked): try again later\n";

	if (write(STDERR_FILENO, message, sizeof message - 1) < 0) {
		/* nothing more can be said */
	}
	_exit(EX_TEMPFAIL);
}

/* deliver_alarm - from now on the whole delivery has parse_timeout and a minute. */
static void
deliver_alarm(const ticketd_config *config)
{
	struct sigaction action;

	memset(&action, 0, sizeof action);
	action.sa_handler = deliver_on_alarm;
	sigemptyset(&action.sa_mask);
	sigaction(SIGALRM, &action, NULL);
	alarm((unsigned)config->parse_timeout + DELIVER_SLACK_SECONDS);
}

/* deliver_read - stdin, refusing more than max_message_size bytes; NULL on a read error. */
static GByteArray *
deliver_read(const ticketd_config *config, gboolean *too_big)
{
	GByteArray *raw = g_byte_array_new();
	guint8 buffer[65536];
	ssize_t n;

	*too_big = FALSE;
	while ((n = read(STDIN_FILENO, buffer, sizeof buffer)) != 0) {
		if (n < 0) {
			g_byte_array_unref(raw);
			return NULL;
		}
		if (inbound_too_big(config, raw->len + (gsize)n)) {
			*too_big = TRUE;
			continue;       /* drain, so the writer does not see EPIPE */
		}
		g_byte_array_append(raw, buffer, (guint)n);
	}
	return raw;
}

/* deliver_one - ingest for one recipient (NULL: from the headers); the exit code. */
static int
deliver_one(const ticketd_config *config, store *db, const inbound *mail, const char *recipient)
{
	ingest_result result;
	int code;

	ingest_message(config, db, mail, recipient, &result);
	code = failure_exit_code(result.failure);
	if (code != EX_OK)
		fprintf(stderr, "ticketd deliver: %s\n",
		        result.error ? result.error : result.decision.reason ? result.decision.reason : "refused");
	ingest_result_clear(&result);
	return code;
}

/* deliver_worst - EX_TEMPFAIL wins: a retry redoes all, and the done ones are duplicates. */
static int
deliver_worst(int a, int b)
{
	if (a == EX_TEMPFAIL || b == EX_TEMPFAIL)
		return EX_TEMPFAIL;
	return a != EX_OK ? a : b;
}

/*
 * deliver_all - the -r recipients, else those To and Cc name; with neither, once for
 * no recipient, so that the refusal is ingest's.
 */
static int
deliver_all(const ticketd_config *config, store *db, inbound *mail, char **recipients)
{
	int code = EX_OK;

	for (int i = 0; recipients != NULL && recipients[i] != NULL; i++)
		inbound_add_recipient(mail, recipients[i]);
	if (mail->recipients->len == 0 && inbound_recipients_from_headers(mail, config) == 0)
		return deliver_one(config, db, mail, NULL);
	for (guint i = 0; i < mail->recipients->len; i++)
		code = deliver_worst(code, deliver_one(config, db, mail, g_ptr_array_index(mail->recipients, i)));
	return code;
}

int
deliver_main(int argc, char **argv)
{
	g_autofree char *config_file = NULL;
	g_autofree char *sender = NULL;
	g_auto(GStrv) recipients = NULL;
	gboolean verbose = FALSE;
	GOptionEntry options[] = {
		{ "config", 'c', 0, G_OPTION_ARG_FILENAME, &config_file, "configuration file", "FILE" },
		{ "sender", 'f', 0, G_OPTION_ARG_STRING, &sender, "envelope sender (\"\" for <>)", "SENDER" },
		{ "recipient", 'r', 0, G_OPTION_ARG_STRING_ARRAY, &recipients, "envelope recipient, repeatable", "RCPT" },
		{ "verbose", 'v', 0, G_OPTION_ARG_NONE, &verbose, "log to stderr instead of syslog", NULL },
		{ NULL }
	};
	g_autoptr(GOptionContext) context = g_option_context_new("< message");
	g_autoptr(GError) error = NULL;
	g_autoptr(ticketd_config) config = NULL;
	g_autoptr(store) db = NULL;
	g_autoptr(GByteArray) raw = NULL;
	g_autoptr(inbound) mail = NULL;
	gboolean too_big;
	int code;

	g_option_context_add_main_entries(context, options, NULL);
	g_option_context_set_summary(context, "Ingest one message from standard input.\n"
	    "Exit status: 0 committed, 75 try again later, 65 bad message, 67 no such department, "
	    "77 refused by policy.");
	if (!g_option_context_parse(context, &argc, &argv, &error)) {
		fprintf(stderr, "ticketd deliver: %s (see ticketd deliver --help)\n", error->message);
		return EX_USAGE;
	}
	log_open("ticketd", verbose ? LOG_TO_STDERR : LOG_TO_SYSLOG);
	/* Run as root, only a configuration root wrote may say what root opens. */
	if ((config = config_load(config_path(config_file), &error)) == NULL ||
	    (geteuid() == 0 && !config_check_root_owned(config, &error))) {
		log_warning("%s", error->message);
		fprintf(stderr, "ticketd deliver: %s\n", error->message);
		return EX_TEMPFAIL;
	}
	if ((raw = deliver_read(config, &too_big)) == NULL) {
		fprintf(stderr, "ticketd deliver: reading standard input: %s\n", g_strerror(errno));
		return EX_TEMPFAIL;
	}
	if (too_big) {
		fprintf(stderr, "ticketd deliver: message larger than max_message_size (%zu bytes)\n",
		        config->max_message_size);
		log_warning("message refused: larger than max_message_size %zu", config->max_message_size);
		return failure_exit_code(failure_permanent(FAILURE_MESSAGE));
	}
	deliver_alarm(config);
	mime_init();
	mime_set_fallback_charsets((const char *const *)config->fallback_charsets);
	if ((db = store_open(config->database, &error)) == NULL) {
		log_warning("%s", error->message);
		fprintf(stderr, "ticketd deliver: %s\n", error->message);
		return EX_TEMPFAIL;
	}
	mail = inbound_new_within("deliver", (const char *)raw->data, raw->len, sender, config->parse_timeout);
	code = deliver_all(config, db, mail, recipients);
	g_clear_pointer(&db, store_close);
	return inbound_exit_code(code);
}
