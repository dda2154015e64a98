/*
 * inbound - a received message parsed once, with the recipients it is ingested for.
 */
#include "inbound.h"
#include "ingest.h"

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
