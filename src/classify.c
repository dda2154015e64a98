/*
 * classify - what kind of mail this is, before anything is decided about it: a bounce
 * (DSN, null sender, MAILER-DAEMON), an automatic reply (RFC 3834 and the vendors'
 * headers, mailing lists), our own mail coming back, or mail from a person.
 */
#include <string.h>

#include "address.h"
#include "ingest.h"

const char *
mail_class_name(mail_class class)
{
	switch (class) {
	case MAIL_NORMAL: return "normal";
	case MAIL_BOUNCE: return "bounce";
	case MAIL_AUTO_REPLY: return "auto_reply";
	case MAIL_LOOP: return "loop";
	}
	return "?";
}

/* classify_is_bounce - a DSN, the null sender, or the mail system speaking (RFC 3464, 5321 §4.5.5). */
static gboolean
classify_is_bounce(const parsed_message *message, const char *envelope_sender)
{
	if (message->report_type != NULL &&
	    (strcmp(message->report_type, "delivery-status") == 0 ||
	     strcmp(message->report_type, "global-delivery-status") == 0))
		return TRUE;
	if (envelope_sender != NULL && *envelope_sender == '\0')
		return TRUE;
	if (message->return_path != NULL && *message->return_path == '\0')
		return TRUE;
	if (message->return_path != NULL && address_is_mail_system(message->return_path))
		return TRUE;
	/* "From: MAILER-DAEMON <>": the name is all some MTAs give. */
	return address_is_mail_system(message->from->address) ||
	       g_ascii_strcasecmp(message->from->name, "mailer-daemon") == 0;
}

/* classify_token_is - the value's first token (before ';' and spaces) equals word. */
static gboolean
classify_token_is(const char *value, const char *word)
{
	gsize n = strlen(word);

	while (*value == ' ' || *value == '\t')
		value++;
	return g_ascii_strncasecmp(value, word, n) == 0 &&
	       (value[n] == '\0' || value[n] == ';' || value[n] == ' ' || value[n] == '\t');
}

static gboolean
classify_is_auto_reply(const parsed_message *message)
{
	if (message->auto_submitted != NULL && !classify_token_is(message->auto_submitted, "no"))
		return TRUE;
	if (message->x_autoreply || message->x_auto_response_suppress)
		return TRUE;
	if (message->precedence != NULL &&
	    (classify_token_is(message->precedence, "bulk") || classify_token_is(message->precedence, "junk") ||
	     classify_token_is(message->precedence, "list")))
		return TRUE;
	return message->list_id != NULL;
}

/* classify_is_loop - our loop header, or a Message-ID of our domain not written by staff. */
static gboolean
classify_is_loop(const ticketd_config *config, const parsed_message *message)
{
	const char *at;

	if (message->loop != NULL)
		return TRUE;
	if (message->message_id == NULL || (at = strrchr(message->message_id, '@')) == NULL)
		return FALSE;
	return g_ascii_strcasecmp(at + 1, config->domain) == 0 &&
	       !config_is_staff(config, message->from->address);
}

mail_class
classify_message(const ticketd_config *config, const parsed_message *message,
                 const char *envelope_sender)
{
	if (classify_is_bounce(message, envelope_sender))
		return MAIL_BOUNCE;
	if (classify_is_loop(config, message))
		return MAIL_LOOP;
	if (classify_is_auto_reply(message))
		return MAIL_AUTO_REPLY;
	return MAIL_NORMAL;
}
