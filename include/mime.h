/*
 * mime - raw message bytes to one normalized inbound message (GMime 3).
 * Everything here is UTF-8 and free of control characters except '\n' in bodies.
 * The parser never fails: garbage gives a message with empty fields.
 */
#ifndef TICKETD_MIME_H
#define TICKETD_MIME_H

#include <glib.h>

/*
 * Input limits. A message over one is still parsed as far as the limit, its raw bytes
 * are kept by ingest, and parsed_message.limit_exceeded says which limit it went over.
 */
#define MIME_HEADER_FIELDS_MAX 1000             /* header fields of the message */
#define MIME_HEADER_BYTES_MAX (256u * 1024)     /* bytes before the blank line */
#define MIME_DEPTH_MAX 32                       /* nested multiparts and messages */
#define MIME_PARTS_MAX 500                      /* MIME entities walked */
#define MIME_ATTACHMENT_COUNT_MAX 100           /* attachments listed */
#define MIME_ATTACHMENT_BYTES_MAX (16u * 1024 * 1024) /* one decoded attachment */
#define MIME_ATTACHMENTS_MAX (64u * 1024 * 1024)      /* all decoded attachments */
/* Decoded attachments may reach this many times the raw size (past the floor). */
#define MIME_DECODED_RATIO_MAX 8
#define MIME_DECODED_FLOOR (1024u * 1024)

typedef struct {
	char *name;                 /* decoded display name, "" when absent */
	char *address;              /* addr-spec, local part as written, domain lower case; "" when absent */
} mail_address;

/* One top-level header field as the message carries it: unfolded, decoded, cleaned. */
typedef struct {
	char *name;                 /* as written, e.g. "X-Autorespond" */
	char *value;
} mail_header;

typedef struct {
	char *filename;             /* decoded, path separators and controls removed */
	char *content_type;         /* "application/pdf" */
	gsize size;                 /* decoded bytes */
	char sha256[65];            /* hex */
	GBytes *data;               /* decoded content */
} mail_attachment;

typedef struct {
	mail_address *from;         /* never NULL; empty fields when missing */
	/*
	 * The From was not RFC 5322: what a person reads was recovered leniently (a comma
	 * in an unquoted name, a stray line before the header, no address but a
	 * Reply-To ...). Such a From must not identify anyone.
	 */
	gboolean from_malformed;
	guint from_count;           /* addresses in From; more than one names no single sender */
	GPtrArray *to;              /* mail_address * */
	GPtrArray *cc;
	GPtrArray *reply_to;
	char *subject;              /* decoded (split encoded-words joined), "" if none */
	char *message_id;           /* without <>, NULL if none */
	char *in_reply_to;          /* without <>, NULL if none */
	GPtrArray *references;      /* char *, without <>, oldest first */
	char *date;                 /* ISO 8601 UTC, NULL when absent or unparsable */
	char *text;                 /* best text body, LF line ends */
	char *new_text;             /* text with quoted history and signature removed */
	GPtrArray *attachments;     /* mail_attachment * */

	/* What classify needs, as found in the top-level headers (NULL when absent). */
	char *return_path;          /* addr-spec from Return-Path, "" for <> */
	char *auto_submitted;
	char *precedence;
	char *list_id;
	char *loop;                 /* our own loop header, X-Ticketd-Loop */
	GPtrArray *authentication_results; /* char *, every such field, topmost first */
	gboolean x_autoreply;       /* X-Autoreply or X-Autorespond present */
	gboolean x_auto_response_suppress;
	gboolean list_unsubscribe;
	char *report_type;          /* multipart/report report-type, lower case */
	char *original_message_id;  /* Message-ID of the message a DSN returns */
	char *bounce_recipient;     /* the failed recipient a DSN names, lower case (a key, never mailed), or NULL */
	char *bounce_status;        /* its RFC 3463 status ("5.1.1"), or NULL */
	GPtrArray *headers;         /* mail_header *: every top-level field, in order */
	GPtrArray *part_types;      /* char *: every MIME entity's type ("message/delivery-status") */

	/* The first input limit the message went over, as a sentence; NULL when none. */
	char *limit_exceeded;
	/*
	 * Why the message was not parsed at all; NULL when it was. The daemon's
	 * poisoned-message guard hands over an unparsed message (mime_unparsed) in place
	 * of one the parser crashed on, or ran past its time on, too many times.
	 */
	char *unparsed;
} parsed_message;

void mime_init(void);
void mime_shutdown(void);
/*
 * mime_set_fallback_charsets - the charsets, in order, for text that declares none, or
 * whose declared one does not convert, and for raw 8-bit headers after UTF-8 and the
 * body's charset; NULL-terminated, copied. A byte no charset reads is taken as
 * windows-1252. May be called again (a reload) while other threads parse.
 */
void mime_set_fallback_charsets(const char *const *charsets);

parsed_message *mime_parse(const char *raw, gsize length);
/* mime_unparsed - the empty message that stands for one we must not parse, and why. */
parsed_message *mime_unparsed(const char *reason);
void parsed_message_free(parsed_message *message);
void mail_attachment_free(gpointer attachment);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(parsed_message, parsed_message_free)

/* mime_decode_header_words - RFC 2047 decode, each encoded-word on its own (GMime #133). */
char *mime_decode_header_words(const char *raw);

/* mime_header_get - the first top-level header field called name (any case), or NULL. */
const char *mime_header_get(const parsed_message *message, const char *name);

/* mime_has_part_type - whether any MIME entity of the message has this type. */
gboolean mime_has_part_type(const parsed_message *message, const char *type);

/* mime_to_utf8 - bytes in a declared (possibly lying or missing) charset to valid UTF-8. */
char *mime_to_utf8(const char *bytes, gsize length, const char *charset);

#endif
