/*
 * store - the SQLite database: schema and migrations (PRAGMA user_version), and every
 * query ticketd makes, each a prepared statement. WAL, synchronous=FULL, BEGIN IMMEDIATE.
 * The store is the only state the parts share; nothing else opens the database.
 * One store handle belongs to one thread at a time.
 */
#ifndef TICKETD_STORE_H
#define TICKETD_STORE_H

#include <glib.h>
#include <stdint.h>

#define STORE_SCHEMA_VERSION 10
#define STORE_ERROR (store_error_quark())

typedef enum {
	STORE_ERROR_BUSY,           /* locked past the busy timeout: retry later */
	STORE_ERROR_FULL,           /* disk full or I/O error: retry later */
	STORE_ERROR_TOO_NEW,        /* database written by a newer ticketd */
	STORE_ERROR_CONSTRAINT,     /* a uniqueness or foreign key rule */
	STORE_ERROR_NOT_FOUND,
	STORE_ERROR_READONLY,       /* this user may not write the database or its directory */
	STORE_ERROR_FAILED          /* anything else */
} store_error_code;

typedef struct store store;

typedef struct {
	int64_t id;
	char *email;
	char *name;
	char *language;             /* "es", "en" */
	gboolean disabled;
} store_account;

typedef struct {
	int64_t id;
	int64_t account_id;
	char *email;
	gboolean notify;
	gboolean can_open;
} store_subaccount;

typedef struct {
	int64_t id;
	char *code;
	int64_t account_id;
	char *account_email;
	char *department;           /* slug */
	char *subject;
	char *status;               /* internal name: open, answered, ... */
	char *priority;             /* low, medium, high, urgent */
	char *assignee;             /* NULL when unassigned */
	int64_t merged_into;        /* ticket id, 0 when not merged */
	int64_t created;            /* unix seconds */
	int64_t updated;
	int64_t last_customer;      /* last customer message, unix seconds */
	int message_count;
} store_ticket;

typedef struct {
	int64_t id;
	int64_t ticket_id;
	const char *direction;      /* "in", "out", "note" */
	const char *author;         /* e-mail address, "" when unknown */
	const char *message_id;     /* NULL when none */
	const char *in_reply_to;
	const char *references;     /* space-separated */
	const char *subject;
	const char *text;
	const char *new_text;
	const char *mail_class;     /* normal, bounce, auto_reply, loop */
	const char *dedup_key;      /* "sha256:<hex>" of the raw bytes without trace headers */
	const char *raw;            /* exact bytes received, may be NULL for notes */
	gsize raw_length;
	int64_t created;
} store_message_row;

typedef struct {
	int64_t id;
	int64_t ticket_id;          /* 0 for mail not about one ticket */
	char *recipient;
	char *kind;                 /* created, staff_reply, status, reopened, auto_closed, ... */
	char *message_id;
	char *envelope_from;        /* "" = null sender */
	GBytes *mail;               /* composed, CRLF, ready for SMTP */
	int attempts;
	int64_t next_try;
	int64_t created;
	char *state;                /* queued, sending, sent, failed, suppressed */
	char *last_error;
	gboolean person;            /* a person caused it: not automatic mail for auto_per_hour */
} store_outbox_row;

GQuark store_error_quark(void);

/* store_open - open or create, set pragmas, migrate; refuses a newer schema. */
store *store_open(const char *path, GError **error);
void store_close(store *store);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(store, store_close)
/* store_set_busy_timeout - how long to wait for another writer (default 10000 ms). */
void store_set_busy_timeout(store *store, int milliseconds);
/* store_setting - journal_mode, synchronous, foreign_keys, busy_timeout or user_version
 * as SQLite reports it for this handle (for diagnostics); a string to g_free. */
char *store_setting(store *store, const char *name, GError **error);
/* store_checkpoint - a passive WAL checkpoint, for a maintenance timer. */
gboolean store_checkpoint(store *store, GError **error);

/* Write transactions: BEGIN IMMEDIATE ... COMMIT. Errors carry store_error_code. */
gboolean store_begin(store *store, GError **error);
gboolean store_commit(store *store, GError **error);
void store_rollback(store *store);

/* Idempotence: one row per (dedup key, department) delivered. */
gboolean store_delivery_find(store *store, const char *dedup_key, const char *department,
                             char **action, char **ticket_code, GError **error);
gboolean store_delivery_add(store *store, const char *dedup_key, const char *department,
                            const char *action, int64_t ticket_id, GError **error);
/* store_delivery_known - this dedup key was delivered to some department. */
gboolean store_delivery_known(store *store, const char *dedup_key, GError **error);

/* Accounts and sub-accounts; lookups by lower-case address. FALSE+no error = not found. */
gboolean store_account_by_email(store *store, const char *email, store_account *out, GError **error);
gboolean store_account_by_id(store *store, int64_t id, store_account *out, GError **error);
int64_t store_account_add(store *store, const char *email, const char *name,
                          const char *language, GError **error);
gboolean store_account_set_disabled(store *store, int64_t id, gboolean disabled, GError **error);
GPtrArray *store_account_list(store *store, GError **error);             /* store_account * */
gboolean store_subaccount_by_email(store *store, const char *email, store_subaccount *out, GError **error);
int64_t store_subaccount_add(store *store, int64_t account_id, const char *email,
                             gboolean notify, gboolean can_open, GError **error);
gboolean store_subaccount_remove(store *store, const char *email, GError **error);
GPtrArray *store_subaccount_list(store *store, int64_t account_id, GError **error); /* store_subaccount * */
void store_account_clear(store_account *account);
void store_subaccount_clear(store_subaccount *subaccount);

/* Tickets. */
gboolean store_code_exists(store *store, const char *code, GError **error);
int64_t store_ticket_add(store *store, const char *code, int64_t account_id, const char *department,
                         const char *subject, const char *status, int64_t now, GError **error);
gboolean store_ticket_by_code(store *store, const char *code, store_ticket *out, GError **error);
gboolean store_ticket_by_id(store *store, int64_t id, store_ticket *out, GError **error);
/* store_ticket_by_message_id - the ticket a stored or sent Message-ID belongs to. */
gboolean store_ticket_by_message_id(store *store, const char *message_id, store_ticket *out, GError **error);
gboolean store_ticket_set_status(store *store, int64_t ticket_id, const char *status,
                                 int64_t now, GError **error);
gboolean store_ticket_set_assignee(store *store, int64_t ticket_id, const char *assignee, GError **error);
gboolean store_ticket_set_merged(store *store, int64_t ticket_id, int64_t into, GError **error);
/* store_ticket_set_priority - low, medium, high or urgent. */
gboolean store_ticket_set_priority(store *store, int64_t ticket_id, const char *priority, GError **error);
gboolean store_ticket_set_department(store *store, int64_t ticket_id, const char *department, GError **error);
gboolean store_ticket_touch_customer(store *store, int64_t ticket_id, int64_t now, GError **error);
void store_ticket_clear(store_ticket *ticket);

typedef struct {
	const char *status;         /* one status, or several comma-separated */
	const char *department;
	const char *account;        /* e-mail */
	const char *assignee;       /* "" = unassigned */
	int64_t since, until;       /* 0 = open-ended; compared with created */
} store_ticket_filter;
/* store_ticket_list - queue order: urgent, high, medium, low; then oldest last customer message. */
GPtrArray *store_ticket_list(store *store, const store_ticket_filter *filter, GError **error);
/* store_ticket_first_replies - per ticket staff replied to, seconds from its opening to the
 * first staff reply (int64_t). */
GArray *store_ticket_first_replies(store *store, GError **error);
/* store_ticket_idle - up to limit tickets in status, not merged, with neither a status
 * change nor a customer message after before: what the sweeper may move. store_ticket * */
GPtrArray *store_ticket_idle(store *store, const char *status, int64_t before, int limit,
                             GError **error);
/* store_ticket_to_remind - up to limit tickets in status, not merged, idle since a time
 * in (after, before] and without an EVENT_REMINDED since then. store_ticket * */
GPtrArray *store_ticket_to_remind(store *store, const char *status, int64_t before, int64_t after, int limit,
                                  GError **error);

/* Messages, raw bytes and attachments. */
int64_t store_message_add(store *store, const store_message_row *row, GError **error);
/* store_message_id_add - remember a Message-ID we sent, so replies to it thread. */
gboolean store_message_id_add(store *store, const char *message_id, int64_t ticket_id, GError **error);
gboolean store_attachment_add(store *store, int64_t message_id, const char *filename,
                              const char *content_type, gsize size, const char *sha256,
                              GBytes *data, GError **error);
/* store_message_has_key - the ticket holds a message of this dedup key already. */
gboolean store_message_has_key(store *store, int64_t ticket_id, const char *dedup_key, GError **error);
/* store_message_list - a ticket's thread, oldest first; rows owned by the array. */
GPtrArray *store_message_list(store *store, int64_t ticket_id, GError **error);

typedef struct {
	int64_t message_id;
	int index;                  /* 1-based within the ticket */
	char *filename;
	char *content_type;
	gsize size;
	char *sha256;
} store_attachment_info;
GPtrArray *store_attachment_list(store *store, int64_t ticket_id, GError **error);
GBytes *store_attachment_data(store *store, const char *sha256, GError **error);
GBytes *store_raw_message(store *store, int64_t message_id, GError **error);

/* Events. */
gboolean store_event_add(store *store, int64_t ticket_id, const char *kind, const char *actor,
                         const char *old_status, const char *new_status, const char *detail,
                         int64_t now, GError **error);
typedef struct {
	int64_t id;
	char *kind, *actor, *old_status, *new_status, *detail;
	int64_t created;
} store_event;
GPtrArray *store_event_list(store *store, int64_t ticket_id, GError **error);

/* Held mail: kept raw for a person to look at. */
int64_t store_hold_add(store *store, const char *reason, const char *sender, const char *recipient,
                       const char *raw, gsize length, int64_t now, GError **error);
typedef struct {
	int64_t id;
	char *reason, *sender, *recipient;
	int64_t created;
	char *outcome;              /* NULL while held; released or discarded */
	char *outcome_ticket;       /* the ticket a release went to, or NULL */
	char *outcome_actor, *outcome_detail;
	int64_t outcome_at;
} store_held;
void store_held_free(store_held *held);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(store_held, store_held_free)
/* store_held_list - held mail, oldest first; with all, the released and discarded too. */
GPtrArray *store_held_list(store *store, gboolean all, GError **error);
/* store_held_get - one held mail; NULL and no error when there is none. */
store_held *store_held_get(store *store, int64_t id, GError **error);
/* store_held_raw - the exact bytes held. */
GBytes *store_held_raw(store *store, int64_t id, GError **error);
/* store_held_settle - released (into ticket) or discarded, once: FALSE without error when
 * it was settled already. */
gboolean store_held_settle(store *store, int64_t id, const char *action, const char *ticket,
                           const char *actor, const char *detail, int64_t now, GError **error);
/* store_outbox_since - a ticket's outbox rows after row id after (suppressed ones too). */
GPtrArray *store_outbox_since(store *store, int64_t ticket_id, int64_t after, GError **error);
/* store_outbox_last_id - the newest outbox row's id, 0 when none; -1 on error. */
int64_t store_outbox_last_id(store *store, GError **error);

/* Full-text search over subjects and message text; accents ignored. */
typedef struct {
	char *code;
	char *subject;
	char *snippet;
	double rank;
} store_search_hit;
GPtrArray *store_search(store *store, const char *query, int limit, GError **error);

/* Outbox: composed notifications waiting for SMTP. */
int64_t store_outbox_add(store *store, const store_outbox_row *row, GError **error);
/* store_outbox_claim - atomically take one due row (state queued, next_try <= now, or
 * state sending whose lease ran out: its sender died), mark it sending with a lease
 * until now+lease; NULL and no error when nothing is due. No row goes to two claimers. */
store_outbox_row *store_outbox_claim(store *store, int64_t now, int64_t lease, GError **error);
gboolean store_outbox_mark(store *store, int64_t id, const char *state, int attempts,
                           int64_t next_try, const char *last_error, GError **error);
GPtrArray *store_outbox_list(store *store, gboolean failed_only, GError **error);
gboolean store_outbox_retry(store *store, int64_t id, int64_t now, GError **error);
/* store_outbox_count_recent - automatic mails to one address since a time, counted up to limit. */
int store_outbox_count_recent(store *store, const char *recipient, int64_t since, int limit, GError **error);
void store_outbox_row_free(store_outbox_row *row);
/* store_outbox_set_envelope_from - the row's own return path (VERP), known once it has an id. */
gboolean store_outbox_set_envelope_from(store *store, int64_t id, const char *envelope_from, GError **error);

/* What the bounces answering our notices said of an address (store_address.c). */
typedef struct {
	char *address;
	char *status;               /* the DSN's RFC 3463 status, "" when it gave none */
	gboolean permanent;         /* mail to the address stops until it writes in again */
	int64_t bounced;            /* when the bounce came */
	int64_t outbox_id;          /* the notice it answered */
	int64_t ticket_id;
} store_address_state;

/* store_outbox_bounced - the notice a bounce answers: the outbox row outbox_id (from a
 * VERP return path) or else the one of message_id, whose recipient is failed (or the
 * only one). FALSE and no error when none is ours. */
gboolean store_outbox_bounced(store *store, int64_t outbox_id, const char *message_id, const char *failed,
                              store_address_state *state, GError **error);
/* store_address_bounce_set - record a bounce on the address; *was_permanent says it was already. */
gboolean store_address_bounce_set(store *store, const store_address_state *state, gboolean *was_permanent,
                                  GError **error);
/* store_address_get - the address's state; FALSE and no error when it has none. */
gboolean store_address_get(store *store, const char *address, store_address_state *state, GError **error);
/* store_address_clear - it wrote in, or staff said so: mail to it is tried again.
 * NOT_FOUND when there was no state. */
gboolean store_address_clear(store *store, const char *address, GError **error);
/* store_address_bouncing - the address bounced for good: its reason, an interned string. */
const char *store_address_bouncing(store *store, const char *address, GError **error);
/* store_address_list - every address with a state, store_address_state *, newest first. */
GPtrArray *store_address_list(store *store, GError **error);
void store_address_state_clear(store_address_state *state);
void store_address_state_free(store_address_state *state);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(store_address_state, store_address_state_clear)

/* Watchers: people in copy of a ticket, mailed with its notices, who may reply to it. */
gboolean store_watcher_add(store *store, int64_t ticket_id, const char *email, int64_t now, GError **error);
/* store_watcher_remove - NOT_FOUND when the address was not watching the ticket. */
gboolean store_watcher_remove(store *store, int64_t ticket_id, const char *email, GError **error);
GPtrArray *store_watcher_list(store *store, int64_t ticket_id, GError **error);   /* char * */
gboolean store_watcher_is(store *store, int64_t ticket_id, const char *email, GError **error);
/* store_thread_ids - the Message-IDs of a ticket's thread as its customer sees it, oldest
 * first: the mail received from people and the notices queued to them. char * */
GPtrArray *store_thread_ids(store *store, int64_t ticket_id, GError **error);

/* store_intake_count - mails counted against one identity since a time, up to limit
 * (-1 on error). */
int store_intake_count(store *store, const char *identity, int64_t since, int limit, GError **error);
/* store_intake_add - count one mail against identity; its rows older than forget go. */
gboolean store_intake_add(store *store, const char *identity, int64_t now, int64_t forget, GError **error);

/*
 * IMAP sources: the mailbox's UIDVALIDITY and the highest UID taken care of, per
 * [imap:NAME]. FALSE with no error: the source has never been fetched.
 */
gboolean store_imap_state_get(store *store, const char *source, uint32_t *uidvalidity,
                              uint32_t *last_uid, GError **error);
gboolean store_imap_state_set(store *store, const char *source, uint32_t uidvalidity,
                              uint32_t last_uid, GError **error);

/* store_now - seconds since the epoch; tests move time with $TICKETD_NOW. */
int64_t store_now(void);

#endif
