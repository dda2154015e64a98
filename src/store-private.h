/*
 * store-private - what the store's files share and nothing else includes: the handle,
 * the ids of the prepared statements and their cache, the binding and column helpers,
 * transactions that nest as savepoints, and the error mapping. include/store.h is
 * the store's promise to the other parts; this is how its files keep it.
 */
#ifndef TICKETD_STORE_PRIVATE_H
#define TICKETD_STORE_PRIVATE_H

#include <sqlite3.h>

#include "store.h"

/*
 * The statements, prepared lazily (after migration) and kept for the handle's life.
 * Each part's file holds the SQL of its own ids in a table indexed by these ids.
 */
typedef enum {
	/* store.c: transactions and settings */
	ST_BEGIN, ST_COMMIT, ST_ROLLBACK, ST_SAVEPOINT, ST_RELEASE, ST_ROLLBACK_TO,
	ST_PRAGMA_JOURNAL, ST_PRAGMA_SYNCHRONOUS, ST_PRAGMA_FOREIGN_KEYS, ST_PRAGMA_BUSY,
	ST_PRAGMA_VERSION,
	/* store_account.c: accounts and sub-accounts */
	ST_ACCOUNT_BY_EMAIL, ST_ACCOUNT_BY_ID, ST_ACCOUNT_ADD, ST_ACCOUNT_SET_DISABLED,
	ST_ACCOUNT_LIST,
	ST_SUB_BY_EMAIL, ST_SUB_ADD, ST_SUB_REMOVE, ST_SUB_LIST,
	/* store_ticket.c: tickets and their events */
	ST_CODE_EXISTS, ST_TICKET_ADD, ST_TICKET_BY_CODE, ST_TICKET_BY_ID, ST_TICKET_BY_MSGID,
	ST_TICKET_SET_STATUS, ST_TICKET_SET_ASSIGNEE, ST_TICKET_SET_MERGED, ST_TICKET_TOUCH,
	ST_TICKET_SET_PRIORITY, ST_TICKET_SET_DEPARTMENT,
	ST_TICKET_LIST, ST_TICKET_LIST_STATUS, ST_TICKET_IDLE, ST_TICKET_TO_REMIND, ST_TICKET_FIRST_REPLIES,
	ST_EVENT_ADD, ST_EVENT_LIST,
	/* store_message.c: messages, raw bytes, attachments and held mail */
	ST_MESSAGE_ADD, ST_RAW_ADD, ST_MSGID_ADD, ST_TICKET_BUMP, ST_MESSAGE_LIST, ST_RAW_GET,
	ST_BLOB_ADD, ST_BLOB_GET, ST_ATTACHMENT_ADD, ST_ATTACHMENT_LIST, ST_HOLD_ADD,
	ST_MESSAGE_HAS_KEY,
	/* store_intake.c: deliveries, a sender's recent mail, IMAP sources */
	ST_DELIVERY_FIND, ST_DELIVERY_ADD, ST_DELIVERY_ANY, ST_INTAKE_COUNT, ST_INTAKE_ADD, ST_INTAKE_PRUNE,
	ST_IMAP_STATE_GET, ST_IMAP_STATE_SET,
	/* store_search.c: full-text search */
	ST_SEARCH,
	/* store_outbox.c: the outbox */
	ST_OUTBOX_ADD, ST_OUTBOX_DUE, ST_OUTBOX_LEASE, ST_OUTBOX_GET, ST_OUTBOX_MARK,
	ST_OUTBOX_LIST, ST_OUTBOX_RETRY, ST_OUTBOX_COUNT, ST_OUTBOX_SET_ENVELOPE,
	/* store_address.c: what bounces said of an address */
	ST_OUTBOX_BOUNCED, ST_ADDRESS_SET, ST_ADDRESS_GET, ST_ADDRESS_CLEAR, ST_ADDRESS_LIST,
	/* store_watcher.c: a ticket's watchers and the chain of its thread */
	ST_WATCHER_ADD, ST_WATCHER_REMOVE, ST_WATCHER_LIST, ST_WATCHER_IS, ST_THREAD_IDS,
	ST_OUTBOX_SINCE, ST_OUTBOX_LAST,
	/* store_held.c: held mail and what became of it */
	ST_HELD_LIST, ST_HELD_GET, ST_HELD_RAW, ST_HELD_SETTLE,
	/* store_kb.c: the help centre's searches */
	ST_KB_GENERATION, ST_KB_GET, ST_KB_WORDS_LIKE,
	ST_COUNT
} store_stmt_id;

/* Each part's SQL, indexed by store_stmt_id; store.c holds its own table. */
extern const char *const store_account_sql[ST_COUNT];   /* store_account.c */
extern const char *const store_ticket_sql[ST_COUNT];    /* store_ticket.c */
extern const char *const store_message_sql[ST_COUNT];   /* store_message.c */
extern const char *const store_intake_sql[ST_COUNT];    /* store_intake.c */
extern const char *const store_search_sql[ST_COUNT];    /* store_search.c */
extern const char *const store_outbox_sql[ST_COUNT];    /* store_outbox.c */
extern const char *const store_watcher_sql[ST_COUNT];   /* store_watcher.c */
extern const char *const store_held_sql[ST_COUNT];      /* store_held.c */
extern const char *const store_address_sql[ST_COUNT];   /* store_address.c */
extern const char *const store_kb_sql[ST_COUNT];        /* store_kb.c */

struct store {
	sqlite3 *db;
	char *path;
	sqlite3_stmt *stmt[ST_COUNT];
	gpointer kb_cache;          /* the help centre's ranking index (kb_index.c), or NULL */
	GDestroyNotify kb_cache_free;
};

/* How a unit of work is made atomic: its own transaction, or a savepoint in the caller's. */
typedef enum { TX_OWN, TX_SAVEPOINT } store_tx_kind;

/* Errors: a GError naming the database, the operation, SQLite's words and a hint. */
void store_set_error(struct store *handle, int rc, const char *what, GError **error);

/* store_stmt_get - the cached statement of id, prepared on first use; NULL with error set. */
sqlite3_stmt *store_stmt_get(struct store *handle, store_stmt_id id, GError **error);
/* store_stmt_done - give the statement back: no open read, no data left bound. */
void store_stmt_done(sqlite3_stmt *stmt);
/* store_stmt_step - 1: a row to read (then call store_stmt_done), 0: no more rows, -1: error. */
int store_stmt_step(struct store *handle, sqlite3_stmt *stmt, const char *what, GError **error);
gboolean store_stmt_run(struct store *handle, sqlite3_stmt *stmt, const char *what, GError **error);
/* store_stmt_run_changed - an UPDATE or DELETE; NOT_FOUND when it touched no row. */
gboolean store_stmt_run_changed(struct store *handle, sqlite3_stmt *stmt, const char *what,
                                GError **error);
/* store_insert - run a prepared INSERT; the new rowid, or 0 on error. */
int64_t store_insert(struct store *handle, sqlite3_stmt *stmt, const char *what, GError **error);
/* store_collect - run a bound query and turn each row into an element with read(). */
GPtrArray *store_collect(struct store *handle, sqlite3_stmt *stmt,
                         gpointer (*read)(sqlite3_stmt *), GDestroyNotify free_func,
                         const char *what, GError **error);
/* store_count_since - a count(*) query bound as (?1 address, ?2 since, ?3 limit); -1 on error. */
int store_count_since(struct store *handle, store_stmt_id id, const char *address, int64_t since,
                      int limit, const char *what, GError **error);

/* Parameters and columns; text binds are copies, store_bind_bytes binds in place. */
void store_bind_text(sqlite3_stmt *stmt, int index, const char *text);
void store_bind_text_or_empty(sqlite3_stmt *stmt, int index, const char *text);
void store_bind_id(sqlite3_stmt *stmt, int index, int64_t id);
gboolean store_bind_bytes(struct store *handle, sqlite3_stmt *stmt, int index, const void *data,
                          gsize length, GError **error);
char *store_column_text(sqlite3_stmt *stmt, int column);
GBytes *store_column_bytes(sqlite3_stmt *stmt, int column);

/* Units of work that nest: store_tx_leave keeps or undoes what store_tx_enter began. */
gboolean store_tx_enter(struct store *handle, store_tx_kind *kind, GError **error);
gboolean store_tx_leave(struct store *handle, store_tx_kind kind, gboolean ok, GError **error);

/* store_schema_migrate (store_schema.c) - bring the schema up to date; refuse a newer one. */
gboolean store_schema_migrate(struct store *handle, GError **error);

/* store_message_id_key (store_message.c) - a Message-ID as the message_ids table keeps
 * it: no blanks, no <>; to g_free. */
char *store_message_id_key(const char *message_id);

#endif
