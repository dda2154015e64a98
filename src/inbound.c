/*
 * inbound - a received message parsed once, with the recipients it is ingested for;
 * for the sources without the daemon's watchdog, parsed under a time limit.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "inbound.h"
#include "ingest.h"
#include "log.h"

/* One timed parse, shared by the caller and the parsing thread; the last one out frees it. */
typedef struct {
	gatomicrefcount refs;
	GMutex lock;
	GCond finished;
	char *raw;                  /* the thread's own copy */
	gsize length;
	parsed_message *message;    /* set by the thread when it is done */
	gboolean abandoned;         /* the caller gave up waiting */
} inbound_parse;

static gint inbound_abandoned;

/* inbound_make - the shared part of both constructors. */
static inbound *
inbound_make(const char *source, const char *raw, gsize length, const char *sender)
{
	inbound *mail = g_new0(inbound, 1);

	mail->source = source;
	mail->raw = raw;
	mail->length = length;
	mail->sender = sender;
	mail->recipients = g_ptr_array_new();
	return mail;
}

inbound *
inbound_new(const char *source, const char *raw, gsize length, const char *sender)
{
	inbound *mail = inbound_make(source, raw, length, sender);

	mail->owned = mime_parse(raw, length);
	mail->message = mail->owned;
	return mail;
}

static void
inbound_parse_unref(inbound_parse *job)
{
	if (!g_atomic_ref_count_dec(&job->refs))
		return;
	if (job->message != NULL)
		parsed_message_free(job->message);
	g_free(job->raw);
	g_mutex_clear(&job->lock);
	g_cond_clear(&job->finished);
	g_free(job);
}

/* inbound_parse_thread - parse; hand the result over, or drop it if nobody waits any more. */
static gpointer
inbound_parse_thread(gpointer data)
{
	inbound_parse *job = data;
	parsed_message *message = mime_parse(job->raw, job->length);

	g_mutex_lock(&job->lock);
	job->message = message;
	if (job->abandoned)
		g_atomic_int_dec_and_test(&inbound_abandoned);
	g_cond_signal(&job->finished);
	g_mutex_unlock(&job->lock);
	inbound_parse_unref(job);
	return NULL;
}

/* inbound_parse_within - the parse, or NULL when it did not end within seconds. */
static parsed_message *
inbound_parse_within(const char *raw, gsize length, int seconds)
{
	inbound_parse *job = g_new0(inbound_parse, 1);
	gint64 deadline = g_get_monotonic_time() + (gint64)seconds * G_USEC_PER_SEC;
	parsed_message *message;

	g_atomic_ref_count_init(&job->refs);
	g_atomic_ref_count_inc(&job->refs);
	g_mutex_init(&job->lock);
	g_cond_init(&job->finished);
	job->raw = g_memdup2(raw, length + 1);
	job->raw[length] = '\0';
	job->length = length;
	g_thread_unref(g_thread_new("parse", inbound_parse_thread, job));
	g_mutex_lock(&job->lock);
	while (job->message == NULL && g_cond_wait_until(&job->finished, &job->lock, deadline))
		;
	message = g_steal_pointer(&job->message);
	if (message == NULL) {
		job->abandoned = TRUE;
		g_atomic_int_inc(&inbound_abandoned);
	}
	g_mutex_unlock(&job->lock);
	inbound_parse_unref(job);
	return message;
}

inbound *
inbound_new_within(const char *source, const char *raw, gsize length, const char *sender, int seconds)
{
	inbound *mail = inbound_make(source, raw, length, sender);

	mail->owned = inbound_parse_within(raw, length, seconds);
	if (mail->owned == NULL) {
		log_warning("%s: parsing a message of %zu bytes took longer than %d s (parse_timeout): "
		            "it is kept raw and held", source, length, seconds);
		mail->owned = mime_unparsed("parsing took longer than parse_timeout: kept raw, not parsed");
	}
	mail->message = mail->owned;
	return mail;
}

guint
inbound_abandoned_parses(void)
{
	return (guint)g_atomic_int_get(&inbound_abandoned);
}

int
inbound_exit_code(int code)
{
	if (inbound_abandoned_parses() == 0)
		return code;
	fflush(NULL);
	_exit(code);
}

inbound *
inbound_new_parsed(const char *source, const char *raw, gsize length, const parsed_message *message,
                   const char *sender)
{
	inbound *mail = inbound_make(source, raw, length, sender);

	mail->message = message;
	return mail;
}

void
inbound_free(inbound *mail)
{
	if (mail == NULL)
		return;
	g_ptr_array_unref(mail->recipients);
	g_clear_pointer(&mail->owned, parsed_message_free);
	g_free(mail);
}

void
inbound_add_recipient(inbound *mail, const char *recipient)
{
	g_ptr_array_add(mail->recipients, (gpointer)recipient);
}

guint
inbound_recipients_from_headers(inbound *mail, const ticketd_config *config)
{
	g_autoptr(GPtrArray) named = ingest_header_recipients(config, mail->message);

	for (guint i = 0; i < named->len; i++)
		inbound_add_recipient(mail, g_ptr_array_index(named, i));
	return mail->recipients->len;
}

gboolean
inbound_too_big(const ticketd_config *config, gsize length)
{
	return length > config->max_message_size;
}
