/*
 * classify - what kind of mail this is, before anything is decided about it: our own
 * mail coming back, a report (DSN, read receipt, abuse report), an automatic reply, a
 * mailing list, or mail from a person. The rules are tables, each row with the reason
 * it exists; they are weighed in the order of classify_message, strongest first, and
 * the row that decided is the signal `ticketctl inspect` shows.
 */
#include <string.h>

#include "address.h"
#include "ingest.h"

/* Longest text searched for phrases: reports say what they are at the top. */
#define CLASSIFY_TEXT_MAX 4096

const char *
mail_class_name(mail_class class)
{
	switch (class) {
	case MAIL_NORMAL: return "normal";
	case MAIL_BOUNCE: return "bounce";
	case MAIL_AUTO_REPLY: return "auto_reply";
	case MAIL_RECEIPT: return "receipt";
	case MAIL_ABUSE_REPORT: return "abuse_report";
	case MAIL_LIST: return "list";
	case MAIL_LOOP: return "loop";
	case MAIL_CLASS_COUNT: break;
	}
	return "?";
}

/* A report's structure says what it is (RFC 6522 report-type, or the part it carries). */
static const struct {
	const char *type;           /* report-type, or a part's type */
	gboolean part;
	mail_class class;
	const char *signal;
} report_rules[] = {
	{ "delivery-status", FALSE, MAIL_BOUNCE, "report-type=delivery-status (RFC 3464)" },
	{ "global-delivery-status", FALSE, MAIL_BOUNCE, "report-type=global-delivery-status (RFC 6533)" },
	{ "disposition-notification", FALSE, MAIL_RECEIPT, "report-type=disposition-notification (RFC 8098)" },
	{ "global-disposition-notification", FALSE, MAIL_RECEIPT, "report-type=global-disposition-notification (RFC 6533)" },
	{ "feedback-report", FALSE, MAIL_ABUSE_REPORT, "report-type=feedback-report (RFC 5965 ARF)" },
	/* Exchange and hosted services put the parts in multipart/mixed. */
	{ "message/delivery-status", TRUE, MAIL_BOUNCE, "a message/delivery-status part (RFC 3464)" },
	{ "message/global-delivery-status", TRUE, MAIL_BOUNCE, "a message/global-delivery-status part (RFC 6533)" },
	{ "message/feedback-report", TRUE, MAIL_ABUSE_REPORT, "a message/feedback-report part (RFC 5965)" },
	{ "message/disposition-notification", TRUE, MAIL_RECEIPT, "a message/disposition-notification part (RFC 8098)" },
};

/* When a header rule is weighed (see classify_explain). */
typedef enum { header_bounce, header_auto, header_late } header_stage;

/* Header fields that name the message's kind; value NULL: present at all. */
static const struct {
	header_stage stage;
	const char *header;
	const char *value;          /* first token, case-insensitive; NULL: any */
	mail_class class;
	const char *signal;
} header_rules[] = {
	{ header_bounce, "X-Failed-Recipients", NULL, MAIL_BOUNCE, "X-Failed-Recipients (Exim's DSNs)" },
	{ header_bounce, "X-Amazon-Mail-Delivery-Status", NULL, MAIL_BOUNCE, "X-Amazon-Mail-Delivery-Status (Amazon SES)" },
	{ header_bounce, "Feedback-Type", NULL, MAIL_ABUSE_REPORT, "Feedback-Type (RFC 5965 fields in the header)" },
	{ header_bounce, "X-HmXmrOriginalRecipient", NULL, MAIL_ABUSE_REPORT, "X-HmXmrOriginalRecipient (Outlook.com complaint)" },
	{ header_auto, "Auto-Submitted", "auto-replied", MAIL_AUTO_REPLY, "Auto-Submitted: auto-replied (RFC 3834 5)" },
	{ header_auto, "Auto-Submitted", "auto-notified", MAIL_AUTO_REPLY, "Auto-Submitted: auto-notified (RFC 5231)" },
	{ header_auto, "X-Autoreply", NULL, MAIL_AUTO_REPLY, "X-Autoreply (vacation programs, cPanel)" },
	{ header_auto, "X-Autorespond", NULL, MAIL_AUTO_REPLY, "X-Autorespond (autoresponders)" },
	{ header_auto, "X-Autoresponder", NULL, MAIL_AUTO_REPLY, "X-Autoresponder (autoresponders)" },
	{ header_auto, "X-Auto-Reply", NULL, MAIL_AUTO_REPLY, "X-Auto-Reply (autoresponders)" },
	{ header_auto, "X-Vacation", NULL, MAIL_AUTO_REPLY, "X-Vacation (vacation programs)" },
	{ header_auto, "X-MS-Exchange-Inbox-Rules-Loop", NULL, MAIL_AUTO_REPLY, "X-MS-Exchange-Inbox-Rules-Loop (an Exchange rule answered)" },
	{ header_auto, "X-MS-Exchange-Generated-Message-Source", NULL, MAIL_AUTO_REPLY, "X-MS-Exchange-Generated-Message-Source (Exchange wrote it)" },
	/* Weak signs, weighed after the subject: lists and bulk mail. */
	{ header_late, "List-Id", NULL, MAIL_LIST, "List-Id (RFC 2919)" },
	{ header_late, "List-Post", NULL, MAIL_LIST, "List-Post (RFC 2369)" },
	{ header_late, "Precedence", "list", MAIL_LIST, "Precedence: list" },
	{ header_late, "List-Unsubscribe", NULL, MAIL_LIST, "List-Unsubscribe (RFC 2369, bulk senders)" },
	/* RFC 3834 2: any other value than "no" is automatic. */
	{ header_late, "Auto-Submitted", NULL, MAIL_AUTO_REPLY, "Auto-Submitted other than no (RFC 3834 5)" },
	{ header_late, "Precedence", "junk", MAIL_AUTO_REPLY, "Precedence: junk (vacation programs)" },
	{ header_late, "Precedence", "bulk", MAIL_AUTO_REPLY, "Precedence: bulk (RFC 3834 2)" },
	{ header_late, "Precedence", "auto_reply", MAIL_AUTO_REPLY, "Precedence: auto_reply" },
	{ header_late, "X-Auto-Response-Suppress", NULL, MAIL_AUTO_REPLY, "X-Auto-Response-Suppress (Exchange's automatic mail)" },
};

/*
 * Subject openings of automatic replies as the clients write them (Outlook, Gmail,
 * Exchange, Zimbra, Thunderbird's vacation filter) in es, en, pt, fr, de, it.
 */
static const char *const auto_reply_subjects[] = {
	"automatic reply", "auto reply", "auto-reply", "autoreply", "auto:", "auto response",
	"autoresponse", "out of office", "out of the office", "away from the office",
	"respuesta automática", "respuesta automatica", "fuera de la oficina", "fuera de oficina",
	"ausente", "ausencia", "de vacaciones", "resposta automática", "resposta automatica",
	"ausência", "fora do escritório", "réponse automatique", "reponse automatique",
	"absence", "absent du bureau", "automatische antwort", "abwesenheitsnotiz",
	"abwesend", "nicht im büro", "risposta automatica", "fuori sede", "assente",
	"fuori ufficio", "vacation", "on vacation", "de férias",
};

/* Subject phrases of delivery reports that are no multipart/report (qmail, Exim, ...). */
static const char *const bounce_subjects[] = {
	"undelivered mail returned to sender", "undeliverable", "undelivered mail",
	"delivery status notification (failure)", "delivery status notification (delay)",
	"delivery failure", "delivery failed", "failure notice", "mail delivery failed",
	"mail delivery failure", "returned mail", "mail system error", "delivery notification",
	"non remis", "non délivré", "échec de la remise", "no se puede entregar",
	"no se pudo entregar", "no entregado", "error de entrega", "mensaje no entregado",
	"notificación de estado de entrega", "unzustellbar", "nicht zustellbar",
	"non recapitabile", "mancata consegna", "não é possível entregar", "não entregue",
	"falha na entrega", "message not delivered", "could not send message",
	"delivery has failed", "mail could not be delivered", "warning: could not send",
	"nondeliverable", "rejected:", "message you sent blocked", "delayed mail",
	"there was an error sending your mail", "mail error", "error sending message",
};

/* The opening words of DSN texts (RFC 3464 2.1's "human-readable part" as MTAs write it). */
static const char *const bounce_phrases[] = {
	"this is the mail system at host", "this is the qmail-send program",
	"i'm afraid i wasn't able to deliver", "i'm sorry to have to inform you",
	"this message was created automatically by mail delivery software",
	"delivery has failed to these recipients", "delivery to the following recipient",
	"the following message to", "could not be delivered to", "was not delivered to",
	"your message did not reach", "your message couldn't be delivered",
	"your message wasn't delivered", "message could not be delivered",
	"the original message was received at", "permanent error", "unable to deliver",
	"undeliverable message", "delivery failed", "addresses had permanent fatal errors",
	"mail delivery failed", "returned mail: see transcript", "user unknown",
	"mailbox unavailable", "no such user", "recipient address rejected",
	"returned permanent errors", "we had trouble delivering your message",
	"no se ha podido entregar", "no se pudo entregar", "no pudo ser entregado",
	"non è stato possibile recapitare", "n'a pas pu être remis", "konnte nicht zugestellt",
	"não foi possível entregar",
};

/* Subject openings of read receipts (RFC 8098 MDNs written by hand, or by Outlook). */
static const char *const receipt_subjects[] = {
	"read:", "leído:", "leido:", "lido:", "lu :", "lu:", "gelesen:", "letto:",
	"read receipt", "return receipt", "acuse de recibo", "confirmación de lectura",
	"not read:", "no leído:",
};

/* What the body of a read receipt says (Outlook, Thunderbird, Gmail). */
static const char *const receipt_phrases[] = {
	"was read", "was displayed", "fue leído", "ha sido leído", "se ha leído", "foi lido",
	"a été lu", "wurde gelesen", "è stato letto", "has been displayed",
};

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

/* classify_lower - a lower-cased, bounded copy of text for phrase matching. */
static char *
classify_lower(const char *text)
{
	gsize n = text ? strlen(text) : 0;
	const char *end;

	if (n > CLASSIFY_TEXT_MAX) {
		/* Cut on a character boundary so the copy stays UTF-8. */
		end = g_utf8_find_prev_char(text, text + CLASSIFY_TEXT_MAX + 1);
		n = end ? (gsize)(end - text) : 0;
	}
	return g_utf8_strdown(text ? text : "", (gssize)n);
}

/* classify_subject_opens - the subject starts with one of the phrases (after "Re:"-less trim). */
static gboolean
classify_subject_opens(const char *subject, const char *const *phrases, gsize n)
{
	g_autofree char *lower = classify_lower(subject);
	const char *s = lower;
	gsize i;

	while (*s == ' ' || *s == '[' || *s == '*')
		s++;
	for (i = 0; i < n; i++)
		if (g_str_has_prefix(s, phrases[i]))
			return TRUE;
	return FALSE;
}

/* classify_contains - any of the phrases anywhere in the (bounded) text. */
static gboolean
classify_contains(const char *text, const char *const *phrases, gsize n)
{
	g_autofree char *lower = classify_lower(text);
	gsize i;

	for (i = 0; i < n; i++)
		if (strstr(lower, phrases[i]) != NULL)
			return TRUE;
	return FALSE;
}

/* classify_loop - our loop header: compose.c writes the instance's domain in it. */
static const char *
classify_loop(const parsed_message *message, const ticketd_config *config)
{
	/* Another ticketd's header names its own domain: that mail is a customer's. */
	if (message->loop != NULL && g_ascii_strcasecmp(message->loop, config->domain) == 0)
		return "X-Ticketd-Loop names this instance";
	return NULL;
}

/* classify_report - a report by its structure. */
static const char *
classify_report(const parsed_message *message, mail_class *class)
{
	gsize i;

	for (i = 0; i < G_N_ELEMENTS(report_rules); i++) {
		gboolean hit = report_rules[i].part ? mime_has_part_type(message, report_rules[i].type) :
		               g_strcmp0(message->report_type, report_rules[i].type) == 0;

		if (hit) {
			*class = report_rules[i].class;
			return report_rules[i].signal;
		}
	}
	return NULL;
}

/* classify_json_notice - a mail service's JSON bounce or complaint (Amazon SES via SNS). */
static const char *
classify_json_notice(const parsed_message *message, mail_class *class)
{
	const char *t = message->text;

	while (t != NULL && g_ascii_isspace(*t))
		t++;
	if (t == NULL || *t != '{')
		return NULL;
	if (strstr(t, "\"bounceType\"") != NULL || strstr(t, "\"notificationType\":\"Bounce\"") != NULL ||
	    strstr(t, "\"notificationType\": \"Bounce\"") != NULL) {
		*class = MAIL_BOUNCE;
		return "a JSON bounce notice (notificationType Bounce)";
	}
	if (strstr(t, "\"complaintFeedbackType\"") != NULL || strstr(t, "\"Complaint\"") != NULL) {
		*class = MAIL_ABUSE_REPORT;
		return "a JSON complaint notice (notificationType Complaint)";
	}
	return NULL;
}

/* classify_header_table - the first rule of the stage whose header the message carries. */
static const char *
classify_header_table(const parsed_message *message, header_stage stage, mail_class *class)
{
	gsize i;

	for (i = 0; i < G_N_ELEMENTS(header_rules); i++) {
		const char *value = mime_header_get(message, header_rules[i].header);

		if (header_rules[i].stage != stage || value == NULL ||
		    (header_rules[i].value != NULL && !classify_token_is(value, header_rules[i].value)))
			continue;
		/* RFC 3834 5: "no" says a person wrote it. */
		if (g_ascii_strcasecmp(header_rules[i].header, "Auto-Submitted") == 0 &&
		    classify_token_is(value, "no"))
			continue;
		*class = header_rules[i].class;
		return header_rules[i].signal;
	}
	return NULL;
}

/* classify_null_sender - the envelope or Return-Path is <>, or the mail system sends. */
static gboolean
classify_null_sender(const parsed_message *message, const char *envelope_sender)
{
	return (envelope_sender != NULL && *envelope_sender == '\0') ||
	       (message->return_path != NULL && *message->return_path == '\0');
}

/* classify_mail_system - MAILER-DAEMON or postmaster speaking (RFC 5321 4.5.5). */
static gboolean
classify_mail_system(const parsed_message *message)
{
	const char *from = mime_header_get(message, "From");
	g_autofree char *lower = classify_lower(from);

	if (message->return_path != NULL && *message->return_path != '\0' &&
	    address_is_mail_system(message->return_path))
		return TRUE;
	/* "From: MAILER-DAEMON <>": the name is all some MTAs give. */
	return address_is_mail_system(message->from->address) ||
	       g_ascii_strcasecmp(message->from->name, "mailer-daemon") == 0 ||
	       strstr(lower, "mailer-daemon") != NULL;
}

/*
 * classify_text_bounce - a delivery report that is no multipart/report (qmail, Exim,
 * DragonFly, old Exchange, hosted services): its subject or opening words, from the mail
 * system or a no-reply robot; words and subject together from anyone. A customer who
 * writes "undeliverable" is still a person.
 */
static const char *
classify_text_bounce(const parsed_message *message, mail_class *class)
{
	gboolean robot = classify_mail_system(message) || address_is_robot(message->from->address);
	gboolean subject = classify_subject_opens(message->subject, bounce_subjects,
	                                          G_N_ELEMENTS(bounce_subjects));
	gboolean words = classify_contains(message->text, bounce_phrases, G_N_ELEMENTS(bounce_phrases));

	if (!(subject || words) || !(robot || (subject && words)))
		return NULL;
	*class = MAIL_BOUNCE;
	return subject ? "a delivery report's subject from the mail system" :
	                 "a delivery report's words from the mail system";
}

/* classify_text_auto - a read receipt or an auto-reply by what its subject says. */
static const char *
classify_text_auto(const parsed_message *message, const char *envelope_sender, mail_class *class)
{
	if (classify_subject_opens(message->subject, receipt_subjects, G_N_ELEMENTS(receipt_subjects)) &&
	    (classify_null_sender(message, envelope_sender) || *message->text == '\0' ||
	     mime_header_get(message, "Original-Message-ID") != NULL ||
	     classify_contains(message->text, receipt_phrases, G_N_ELEMENTS(receipt_phrases)))) {
		*class = MAIL_RECEIPT;
		return "a read receipt's subject (RFC 8098 as clients write it)";
	}
	if (classify_subject_opens(message->subject, auto_reply_subjects, G_N_ELEMENTS(auto_reply_subjects))) {
		*class = MAIL_AUTO_REPLY;
		return "an automatic reply's subject (Outlook, Gmail, vacation programs)";
	}
	return NULL;
}

/* classify_our_message_id - a Message-ID of our domain not written by staff. */
static const char *
classify_our_message_id(const ticketd_config *config, const parsed_message *message)
{
	const char *at;

	if (message->message_id == NULL || (at = strrchr(message->message_id, '@')) == NULL)
		return NULL;
	if (g_ascii_strcasecmp(at + 1, config->domain) == 0 &&
	    !config_is_staff(config, message->from->address))
		return "a Message-ID of our domain not written by staff";
	return NULL;
}

/*
 * classify_explain - the rules in the order they are weighed: our loop header; the
 * structure of a report; a bounce's own header fields and words (MTAs mark DSNs
 * Auto-Submitted too); auto-reply fields and subjects; lists; and only then the null
 * sender, because RFC 3834 3.3 asks auto-replies to use <> as well.
 */
mail_class
classify_explain(const ticketd_config *config, const parsed_message *message,
                 const char *envelope_sender, const char **signal)
{
	mail_class class = MAIL_NORMAL;
	const char *why;

	if ((why = classify_loop(message, config)) != NULL)
		class = MAIL_LOOP;
	else if ((why = classify_report(message, &class)) != NULL ||
	         (why = classify_json_notice(message, &class)) != NULL ||
	         (why = classify_header_table(message, header_bounce, &class)) != NULL ||
	         (why = classify_text_bounce(message, &class)) != NULL ||
	         (why = classify_header_table(message, header_auto, &class)) != NULL ||
	         (why = classify_text_auto(message, envelope_sender, &class)) != NULL ||
	         (why = classify_header_table(message, header_late, &class)) != NULL)
		;
	else if (classify_null_sender(message, envelope_sender))
		class = MAIL_BOUNCE, why = "the null sender <> (RFC 5321 4.5.5)";
	else if (classify_mail_system(message))
		class = MAIL_BOUNCE, why = "MAILER-DAEMON or postmaster is the sender";
	else if ((why = classify_our_message_id(config, message)) != NULL)
		class = MAIL_LOOP;
	else
		why = "no robot signal";
	if (signal != NULL)
		*signal = why;
	return class;
}

mail_class
classify_message(const ticketd_config *config, const parsed_message *message,
                 const char *envelope_sender)
{
	return classify_explain(config, message, envelope_sender, NULL);
}
