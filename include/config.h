/*
 * config - the one INI file (/etc/ticketd/ticketd.conf) that drives ticketd.
 * Loaded with GKeyFile and validated whole: every error names file, line and key.
 * The struct is read-only once loaded; a reload builds a new one.
 */
#ifndef TICKETD_CONFIG_H
#define TICKETD_CONFIG_H

#include <glib.h>
#include <sys/types.h>

#define CONFIG_DEFAULT_PATH "/etc/ticketd/ticketd.conf"
/* Defaults that other parts fall back on too; every other default is in src/config_keys.c. */
#define CONFIG_DEFAULT_SUBJECT_TAG "Ticket"
#define CONFIG_DEFAULT_SMTP_TIMEOUT 60
#define CONFIG_DEFAULT_LMTP_MAX_RECIPIENTS 50
#define CONFIG_ERROR (config_error_quark())

typedef enum { UNKNOWN_SENDER_CREATE, UNKNOWN_SENDER_REJECT, UNKNOWN_SENDER_HOLD } unknown_sender_policy;
typedef enum { CLOSED_REPLY_REOPEN, CLOSED_REPLY_NEW, CLOSED_REPLY_REJECT } closed_reply_policy;
/* What the people in copy of a customer's mail become: the ticket's watchers, or nothing. */
typedef enum { CC_WATCH, CC_IGNORE } cc_policy;

typedef struct {
	char *slug;                 /* [department:SLUG] */
	char *name;                 /* "Soporte técnico" */
	char *address;              /* soporte@example.com, lower case */
	closed_reply_policy closed_reply; /* per department, defaults to [ticketd] closed_reply */
	cc_policy cc;               /* per department, defaults to [ticketd] cc */
	char **staff;               /* its own agents, lower case, NULL-terminated; [ticketd] staff too */
	char *from_name;            /* its notices' From:, NULL for [smtp] from */
	char *from_address;
	char *signature;            /* ends its customers' notices, NULL for [smtp] signature */
} department_config;

typedef struct {
	char *url;                  /* smtp://host:port, smtps://host:port */
	gboolean starttls_required;
	char *user;
	char *password;             /* read from password_file, NULL without AUTH */
	char *from_name;            /* From: display name */
	char *from_address;         /* From: address */
	char *envelope_from;        /* MAIL FROM for human mail (staff replies); "" = null sender */
	char *signature;            /* ends every customer notice; NULL or "" for none */
	int timeout;                /* seconds */
	int retry_max_age;          /* seconds before a transient failure becomes final */
	int auto_per_hour;          /* automatic mails to one address per hour */
} smtp_config;

typedef struct {
	gboolean allow_remote;      /* inet: listeners off the loopback (dangerous) */
	char **listen;              /* "unix:/path", "inet:127.0.0.1:2424" */
	int socket_mode;
	char *socket_owner;
	GArray *allowed_uids;       /* uid_t: the users who may connect to a unix listener */
	int max_connections;
	int idle_timeout;           /* seconds of silence between two commands */
	int command_timeout;        /* seconds from a command line's first byte to its end */
	int data_timeout;           /* seconds for DATA, plus one per data_min_rate bytes sent */
	int data_min_rate;          /* bytes per second that earn DATA more time; 0: none */
	int max_recipients;
} lmtp_config;

/* [kb]: the help-centre articles a new ticket's confirmation suggests. */
typedef struct {
	double threshold;           /* no article scoring under this is suggested */
	int suggestions;            /* at most this many; 0: none */
} kb_config;

/* sweep_rule - [sweep] rule = FROM[,FROM...] DURATION TO: idle that long, move on. */
typedef struct {
	char **from;                /* statuses, NULL-terminated */
	char *to;
	int64_t after;              /* seconds without a status change or customer word */
} sweep_rule;

typedef enum { IMAP_TLS_IMPLICIT, IMAP_TLS_STARTTLS, IMAP_TLS_NONE } imap_tls_mode;
typedef enum { IMAP_AFTER_SEEN, IMAP_AFTER_MOVE, IMAP_AFTER_DELETE } imap_after_action;

typedef struct {
	char *name;                 /* [imap:NAME]: the key of its UID state in the store */
	char *url;                  /* as written, for logs */
	gboolean insecure_plaintext; /* imap:// without STARTTLS, to a loopback host only */
	imap_tls_mode tls;          /* imaps:// implicit, imap:// STARTTLS, none only on loopback */
	char *host;
	int port;
	char *mailbox;              /* modified UTF-7, "INBOX" */
	char *user;
	char *password;             /* read from password_file */
	char *department;           /* slug of a [department:*] */
	imap_after_action after;
	char *after_folder;         /* move:FOLDER, else NULL */
	char *ca_file;              /* NULL: the system trust store */
	int poll_interval;          /* seconds between passes without IDLE */
	int idle_interval;          /* seconds before IDLE is restarted */
	int timeout;                /* seconds for one network read or write */
} imap_source_config;

/* config_trusted_file - a file whose content the configuration took in, as it was when read. */
typedef struct {
	char *path;
	uid_t owner;
	mode_t mode;
	gboolean daemon_may_own;    /* re-read at reload by the daemon's user: it may own it */
} config_trusted_file;

typedef struct {
	char *path;                 /* the file this came from */
	char *database;
	char *domain;
	char *code_mask;            /* A = letter, N = digit, anything else literal */
	char *subject_tag;          /* "Ticket" → "[Ticket #KQZ-482913]" */
	unknown_sender_policy unknown_sender;
	closed_reply_policy closed_reply;
	cc_policy cc;
	char **staff;               /* lower-case addresses, NULL-terminated: every department's */
	char *secret_file;          /* the key of signed staff addresses */
	GBytes *secret;             /* its bytes; NULL when it could not be read */
	char *secret_problem;       /* why secret is NULL, for logs and hold reasons */
	gboolean staff_unsigned_reply; /* the weaker path: a staff From alone answers a ticket */
	gsize staff_attach_max;     /* bytes: larger attachments are listed, not attached, to staff */
	gsize max_message_size;
	int intake_per_hour;        /* mail from one sender per hour before it is only held */
	int parse_failures;         /* worker deaths on one message before it is held unparsed */
	int parse_timeout;          /* seconds one message may be parsed and decided */
	gboolean require_dmarc_pass; /* known senders must pass DMARC (Authentication-Results) */
	char **authserv_ids;        /* our MTA's authserv-id(s): the Authentication-Results trusted */
	char **fallback_charsets;   /* for text without a charset or with a wrong one, in order */
	char *templates_dir;
	char *language;             /* default language of new accounts: "es" */
	char *user;                 /* drop to this user when started as root */
	char *pid_file;
	GPtrArray *departments;     /* department_config * */
	int sweep_interval;         /* seconds between two rounds of the daemon's sweeper */
	GPtrArray *sweep_rules;     /* sweep_rule *, in file order */
	int64_t sweep_remind;       /* seconds before a rule closes a ticket to remind; 0: never */
	lmtp_config lmtp;
	smtp_config smtp;
	kb_config kb;
	GPtrArray *imap_sources;    /* imap_source_config * */
	GHashTable *labels;         /* [labels]: "lang:status" → label; status_label() reads it */
	GPtrArray *trusted_files;   /* config_trusted_file *: this file, its secrets and CA files */
} ticketd_config;

GQuark config_error_quark(void);

/* config_path - -c FILE, else $TICKETD_CONF, else the default path. */
const char *config_path(const char *from_command_line);

ticketd_config *config_load(const char *path, GError **error);
void config_free(ticketd_config *config);

/*
 * config_check_root_owned - for a process started as root: every file the configuration
 * was read from (itself, password files, CA files) is owned by root and writable by no
 * one else, or the error names the file and the chown/chmod that fixes it.
 */
gboolean config_check_root_owned(const ticketd_config *config, GError **error);

/* config_user_allowed - may a process of uid connect to the unix listeners ([lmtp] allowed_users)? */
gboolean config_user_allowed(const lmtp_config *lmtp, uid_t uid);

/* config_check_templates - templates/ and templates/LANG for every language exist; else file:line. */
gboolean config_check_templates(const ticketd_config *config, GError **error);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ticketd_config, config_free)

/*
 * config_department_for - the department an address belongs to, by exact address
 * or plus-address (soporte+KQZ-482913@). *detail gets the part after '+', or NULL.
 */
const department_config *config_department_for(const ticketd_config *config,
                                               const char *address, char **detail);
const department_config *config_department_by_slug(const ticketd_config *config,
                                                    const char *slug);
const imap_source_config *config_imap_source_by_name(const ticketd_config *config,
                                                     const char *name);
/* config_is_staff - in [ticketd] staff or in any department's staff. */
gboolean config_is_staff(const ticketd_config *config, const char *address);

const char *unknown_sender_policy_name(unknown_sender_policy policy);
const char *closed_reply_policy_name(closed_reply_policy policy);

#endif
