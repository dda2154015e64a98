/*
 * store - ticketd's SQLite database: the schema and its migrations (PRAGMA user_version),
 * and every query the parts make, each a statement prepared once per handle and reset
 * after use. WAL with synchronous=FULL, so a commit is on disk before mail is
 * acknowledged; every write transaction is BEGIN IMMEDIATE, so several processes share it.
 */
#include <string.h>
#include <time.h>

#include "log.h"
#include "store-private.h"

#define STORE_BUSY_TIMEOUT_MS   10000
/* journal_size_limit: bytes of -wal kept after a checkpoint (64 MB). */
#define STORE_JOURNAL_LIMIT_SQL "PRAGMA journal_size_limit = 67108864"

#define OUTBOX_COLUMNS "id, coalesce(ticket_id, 0), recipient, kind, message_id," \
	" envelope_from, mail, attempts, next_try, created, state, last_error"

static const char *const core_sql[ST_COUNT] = {
	[ST_BEGIN] = "BEGIN IMMEDIATE",
	[ST_COMMIT] = "COMMIT",
	[ST_ROLLBACK] = "ROLLBACK",
	[ST_SAVEPOINT] = "SAVEPOINT store_step",
	[ST_RELEASE] = "RELEASE store_step",
	[ST_ROLLBACK_TO] = "ROLLBACK TO store_step",
	[ST_PRAGMA_JOURNAL] = "PRAGMA journal_mode",
	[ST_PRAGMA_SYNCHRONOUS] = "PRAGMA synchronous",
	[ST_PRAGMA_FOREIGN_KEYS] = "PRAGMA foreign_keys",
	[ST_PRAGMA_BUSY] = "PRAGMA busy_timeout",
	[ST_PRAGMA_VERSION] = "PRAGMA user_version",
	[ST_DELIVERY_FIND] = "SELECT d.action, t.code FROM deliveries d"
		" LEFT JOIN tickets t ON t.id = d.ticket_id"
		" WHERE d.dedup_key = ?1 AND d.department = ?2",
	[ST_DELIVERY_ADD] = "INSERT INTO deliveries(dedup_key, department, action, ticket_id,"
		" created) VALUES (?1, ?2, ?3, ?4, ?5)",
	[ST_OUTBOX_ADD] = "INSERT INTO outbox(ticket_id, recipient, kind, message_id,"
		" envelope_from, mail, attempts, next_try, state, last_error, created)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
	[ST_OUTBOX_DUE] = "SELECT id FROM outbox"
		" WHERE (state = 'queued' AND next_try <= ?1)"
		" OR (state = 'sending' AND lease_until <= ?1) ORDER BY next_try, id LIMIT 1",
	[ST_OUTBOX_LEASE] = "UPDATE outbox SET state = 'sending', lease_until = ?2 WHERE id = ?1",
	[ST_OUTBOX_GET] = "SELECT " OUTBOX_COLUMNS " FROM outbox WHERE id = ?1",
	[ST_OUTBOX_MARK] = "UPDATE outbox SET state = ?2, attempts = ?3, next_try = ?4,"
		" last_error = ?5,"
		" lease_until = CASE WHEN ?2 = 'sending' THEN lease_until END,"
		" sent = CASE WHEN ?2 = 'sent' THEN ?6 ELSE sent END WHERE id = ?1",
	[ST_OUTBOX_LIST] = "SELECT " OUTBOX_COLUMNS " FROM outbox"
		" WHERE ?1 = 0 OR state = 'failed' ORDER BY id",
	[ST_OUTBOX_RETRY] = "UPDATE outbox SET state = 'queued', next_try = ?2, attempts = 0,"
		" lease_until = NULL WHERE id = ?1 AND state = 'failed'",
	/* Both counts stop at the limit the caller compares with: a flood costs no more. */
	/* The terms after ?2 are those of the partial index outbox_automatic. */
	[ST_OUTBOX_COUNT] = "SELECT count(*) FROM (SELECT 1 FROM outbox WHERE recipient = ?1"
		" AND created >= ?2 AND kind <> 'staff_reply' AND state <> 'suppressed' LIMIT ?3)",
	[ST_INTAKE_COUNT] = "SELECT (SELECT count(*) FROM (SELECT 1 FROM messages WHERE author = ?1"
		" AND created >= ?2 LIMIT ?3)) + (SELECT count(*) FROM (SELECT 1 FROM held WHERE sender = ?1"
		" AND created >= ?2 LIMIT ?3))",
	[ST_OUTBOX_BY_MSGID] = "SELECT recipient, coalesce(ticket_id, 0) FROM outbox WHERE message_id = ?1",
	[ST_BOUNCING] = "SELECT count(*) FROM events WHERE ticket_id = ?1 AND kind = 'bouncing'"
		" AND detail = ?2 COLLATE NOCASE",
	[ST_IMAP_STATE_GET] = "SELECT uidvalidity, last_uid FROM imap_state WHERE source = ?1",
	[ST_IMAP_STATE_SET] = "INSERT INTO imap_state(source, uidvalidity, last_uid, updated)"
		" VALUES (?1, ?2, ?3, ?4) ON CONFLICT(source) DO UPDATE SET"
		" uidvalidity = excluded.uidvalidity, last_uid = excluded.last_uid,"
		" updated = excluded.updated",
};

G_DEFINE_QUARK(ticketd-store-error-quark, store_error)

int64_t
store_now(void)
{
	const char *fake = g_getenv("TICKETD_NOW");

	if (fake != NULL && *fake != '\0') {
		char *end = NULL;
		gint64 when = g_ascii_strtoll(fake, &end, 10);
		if (end != NULL && *end == '\0' && when > 0)
			return when;
	}
	return (int64_t)time(NULL);
}

/* error_code_for - the store_error_code of an (extended) SQLite result code. */
static store_error_code
error_code_for(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return STORE_ERROR_BUSY;
	case SQLITE_FULL:
	case SQLITE_IOERR:
		return STORE_ERROR_FULL;
	case SQLITE_CONSTRAINT:
		return STORE_ERROR_CONSTRAINT;
	default:
		return STORE_ERROR_FAILED;
	}
}

/* error_hint - what the operator should do about an SQLite result code. */
static const char *
error_hint(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return "another process holds the database lock; try again later";
	case SQLITE_FULL:
	case SQLITE_IOERR:
		return "the disk is full or failing; free space or check the disk, then try again";
	case SQLITE_CONSTRAINT:
		return "the row conflicts with one already stored or refers to a missing one";
	case SQLITE_CANTOPEN:
	case SQLITE_PERM:
	case SQLITE_READONLY:
	case SQLITE_AUTH:
		return "check the path and that ticketd's user may write the file and its directory";
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
		return "the file is not a usable ticketd database; restore it from a backup";
	default:
		return "see the SQLite message";
	}
}

/* store_set_error - a GError naming the database, the operation, SQLite's words and a hint. */
void
store_set_error(struct store *handle, int rc, const char *what, GError **error)
{
	const char *detail = handle->db != NULL ? sqlite3_errmsg(handle->db) : sqlite3_errstr(rc);

	g_set_error(error, STORE_ERROR, error_code_for(rc), "database %s: %s: %s (%s)",
	            handle->path, what, detail, error_hint(rc));
}

/* The parts' statement tables: each fills in only the ids of its own statements. */
static const char *const *const part_sql[] = {
	core_sql, store_account_sql, store_ticket_sql, store_message_sql,
	store_search_sql,
};

/* stmt_sql - the SQL of a statement id: exactly one part's table has it. */
static const char *
stmt_sql(store_stmt_id id)
{
	const char *sql = NULL;

	for (gsize part = 0; part < G_N_ELEMENTS(part_sql); part++) {
		if (part_sql[part][id] == NULL)
			continue;
		if (sql != NULL)
			log_panic("store: statement %d has SQL in two parts", (int)id);
		sql = part_sql[part][id];
	}
	if (sql == NULL)
		log_panic("store: statement %d has no SQL", (int)id);
	return sql;
}

/* store_stmt_get - the cached statement, prepared on first use. */
sqlite3_stmt *
store_stmt_get(struct store *handle, store_stmt_id id, GError **error)
{
	if (handle->stmt[id] == NULL) {
		int rc = sqlite3_prepare_v3(handle->db, stmt_sql(id), -1, SQLITE_PREPARE_PERSISTENT,
		                            &handle->stmt[id], NULL);
		if (rc != SQLITE_OK) {
			store_set_error(handle, rc, "preparing a statement", error);
			handle->stmt[id] = NULL;
			return NULL;
		}
	}
	return handle->stmt[id];
}

/* store_stmt_done - give the statement back: no open read, no data left bound. */
void
store_stmt_done(sqlite3_stmt *stmt)
{
	sqlite3_reset(stmt);
	sqlite3_clear_bindings(stmt);
}

/* store_stmt_step - 1: a row to read (then call store_stmt_done), 0: no more rows, -1: error. */
int
store_stmt_step(struct store *handle, sqlite3_stmt *stmt, const char *what, GError **error)
{
	int rc = sqlite3_step(stmt);

	if (rc == SQLITE_ROW)
		return 1;
	if (rc != SQLITE_DONE)
		store_set_error(handle, rc, what, error);
	store_stmt_done(stmt);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* store_stmt_run - run a statement that returns no rows we want. */
gboolean
store_stmt_run(struct store *handle, sqlite3_stmt *stmt, const char *what, GError **error)
{
	int result = store_stmt_step(handle, stmt, what, error);

	if (result == 1)
		store_stmt_done(stmt);
	return result >= 0;
}

/* store_stmt_run_changed - run an UPDATE or DELETE; NOT_FOUND when it touched no row. */
gboolean
store_stmt_run_changed(struct store *handle, sqlite3_stmt *stmt, const char *what, GError **error)
{
	if (!store_stmt_run(handle, stmt, what, error))
		return FALSE;
	if (sqlite3_changes(handle->db) == 0) {
		g_set_error(error, STORE_ERROR, STORE_ERROR_NOT_FOUND,
		            "database %s: %s: no such row", handle->path, what);
		return FALSE;
	}
	return TRUE;
}

void
store_bind_text(sqlite3_stmt *stmt, int index, const char *text)
{
	sqlite3_bind_text(stmt, index, text, -1, SQLITE_TRANSIENT);
}

/* store_bind_text_or_empty - for NOT NULL text columns: NULL becomes "". */
void
store_bind_text_or_empty(sqlite3_stmt *stmt, int index, const char *text)
{
	store_bind_text(stmt, index, text != NULL ? text : "");
}

/* store_bind_id - a row id, where 0 means none (NULL). */
void
store_bind_id(sqlite3_stmt *stmt, int index, int64_t id)
{
	if (id == 0)
		sqlite3_bind_null(stmt, index);
	else
		sqlite3_bind_int64(stmt, index, id);
}

/*
 * store_bind_bytes - exact bytes; a NULL or empty buffer becomes an empty BLOB, never NULL.
 * Bound in place, not copied (a raw message may be 50 MB): every statement is stepped
 * within the call that binds it, and store_stmt_done() clears the bindings.
 */
gboolean
store_bind_bytes(struct store *handle, sqlite3_stmt *stmt, int index, const void *data,
           gsize length, GError **error)
{
	int rc = sqlite3_bind_blob64(stmt, index, data != NULL ? data : "", length,
	                             SQLITE_STATIC);

	if (rc != SQLITE_OK) {
		store_set_error(handle, rc, "binding bytes", error);
		store_stmt_done(stmt);
		return FALSE;
	}
	return TRUE;
}

char *
store_column_text(sqlite3_stmt *stmt, int column)
{
	return g_strdup((const char *)sqlite3_column_text(stmt, column));
}

GBytes *
store_column_bytes(sqlite3_stmt *stmt, int column)
{
	const void *data = sqlite3_column_blob(stmt, column);
	int length = sqlite3_column_bytes(stmt, column);

	return g_bytes_new(data, (gsize)length);
}

/* pragma_text - run a one-off PRAGMA at open time and return its first column. */
static char *
pragma_text(struct store *handle, const char *sql, GError **error)
{
	sqlite3_stmt *stmt = NULL;
	char *value = NULL;
	int rc = sqlite3_prepare_v2(handle->db, sql, -1, &stmt, NULL);

	if (rc == SQLITE_OK) {
		rc = sqlite3_step(stmt);
		if (rc == SQLITE_ROW) {
			value = store_column_text(stmt, 0);
			rc = SQLITE_OK;
		} else if (rc == SQLITE_DONE) {
			value = g_strdup("");
			rc = SQLITE_OK;
		}
	}
	if (rc != SQLITE_OK)
		store_set_error(handle, rc, sql, error);
	sqlite3_finalize(stmt);
	return value;
}

/* configure - the per-connection settings, and WAL, which the file remembers. */
static gboolean
configure(struct store *handle, GError **error)
{
	static const char *const settings[] = {
		"PRAGMA synchronous = FULL",
		"PRAGMA foreign_keys = ON",
		STORE_JOURNAL_LIMIT_SQL,
	};
	g_autofree char *mode = pragma_text(handle, "PRAGMA journal_mode = WAL", error);

	if (mode == NULL)
		return FALSE;
	if (strcmp(mode, "wal") != 0 && strcmp(mode, "memory") != 0) {
		g_set_error(error, STORE_ERROR, STORE_ERROR_FAILED,
		            "database %s: cannot use write-ahead logging (journal mode stays %s); "
		            "keep the database on a local file system", handle->path, mode);
		return FALSE;
	}
	for (gsize i = 0; i < G_N_ELEMENTS(settings); i++) {
		g_autofree char *ignored = pragma_text(handle, settings[i], error);
		if (ignored == NULL)
			return FALSE;
	}
	return TRUE;
}

store *
store_open(const char *path, GError **error)
{
	struct store *handle = g_new0(struct store, 1);
	int rc;

	handle->path = g_strdup(path);
	rc = sqlite3_open_v2(path, &handle->db,
	                     SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		store_set_error(handle, rc, "opening", error);
		store_close(handle);
		return NULL;
	}
	sqlite3_extended_result_codes(handle->db, 1);
	sqlite3_busy_timeout(handle->db, STORE_BUSY_TIMEOUT_MS);
	if (!configure(handle, error) || !store_schema_migrate(handle, error)) {
		store_close(handle);
		return NULL;
	}
	return handle;
}

void
store_close(store *handle)
{
	if (handle == NULL)
		return;
	for (int id = 0; id < ST_COUNT; id++)
		sqlite3_finalize(handle->stmt[id]);
	sqlite3_close_v2(handle->db);
	g_free(handle->path);
	g_free(handle);
}

void
store_set_busy_timeout(store *handle, int milliseconds)
{
	sqlite3_busy_timeout(handle->db, milliseconds);
}

char *
store_setting(store *handle, const char *name, GError **error)
{
	static const struct { const char *name; store_stmt_id id; } known[] = {
		{ "journal_mode", ST_PRAGMA_JOURNAL },
		{ "synchronous", ST_PRAGMA_SYNCHRONOUS },
		{ "foreign_keys", ST_PRAGMA_FOREIGN_KEYS },
		{ "busy_timeout", ST_PRAGMA_BUSY },
		{ "user_version", ST_PRAGMA_VERSION },
	};
	sqlite3_stmt *stmt;
	char *value;

	for (gsize i = 0; i < G_N_ELEMENTS(known); i++) {
		if (strcmp(name, known[i].name) != 0)
			continue;
		if ((stmt = store_stmt_get(handle, known[i].id, error)) == NULL ||
		    store_stmt_step(handle, stmt, "reading a setting", error) != 1)
			return NULL;
		value = store_column_text(stmt, 0);
		store_stmt_done(stmt);
		return value;
	}
	g_set_error(error, STORE_ERROR, STORE_ERROR_NOT_FOUND,
	            "database %s: no setting called %s", handle->path, name);
	return NULL;
}

gboolean
store_checkpoint(store *handle, GError **error)
{
	int rc = sqlite3_wal_checkpoint_v2(handle->db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);

	if (rc != SQLITE_OK) {
		store_set_error(handle, rc, "checkpointing the write-ahead log", error);
		return FALSE;
	}
	return TRUE;
}

/* run - run one of the cached statements that take no parameters. */
static gboolean
run(struct store *handle, store_stmt_id id, const char *what, GError **error)
{
	sqlite3_stmt *stmt = store_stmt_get(handle, id, error);

	return stmt != NULL && store_stmt_run(handle, stmt, what, error);
}

gboolean
store_begin(store *handle, GError **error)
{
	return run(handle, ST_BEGIN, "starting a write transaction", error);
}

/* store_commit - on failure nothing of the transaction stays, and none stays open. */
gboolean
store_commit(store *handle, GError **error)
{
	if (run(handle, ST_COMMIT, "committing", error))
		return TRUE;
	store_rollback(handle);
	return FALSE;
}

void
store_rollback(store *handle)
{
	if (!sqlite3_get_autocommit(handle->db))
		run(handle, ST_ROLLBACK, "rolling back", NULL);
}

/* store_tx_enter - start a unit of work: own transaction when none is open, else a savepoint. */
gboolean
store_tx_enter(struct store *handle, store_tx_kind *kind, GError **error)
{
	if (sqlite3_get_autocommit(handle->db)) {
		*kind = TX_OWN;
		return store_begin(handle, error);
	}
	*kind = TX_SAVEPOINT;
	return run(handle, ST_SAVEPOINT, "starting a savepoint", error);
}

/* store_tx_leave - finish what store_tx_enter started: keep it when ok, else undo exactly it. */
gboolean
store_tx_leave(struct store *handle, store_tx_kind kind, gboolean ok, GError **error)
{
	if (kind == TX_OWN) {
		if (ok)
			return store_commit(handle, error);
		store_rollback(handle);
		return FALSE;
	}
	if (ok)
		return run(handle, ST_RELEASE, "releasing a savepoint", error);
	/* A failed statement may have ended the whole transaction already. */
	if (!sqlite3_get_autocommit(handle->db)) {
		run(handle, ST_ROLLBACK_TO, "rolling back a savepoint", NULL);
		run(handle, ST_RELEASE, "releasing a savepoint", NULL);
	}
	return FALSE;
}

/* store_insert - run a prepared INSERT; the new rowid, or 0 on error. */
int64_t
store_insert(struct store *handle, sqlite3_stmt *stmt, const char *what, GError **error)
{
	if (!store_stmt_run(handle, stmt, what, error))
		return 0;
	return sqlite3_last_insert_rowid(handle->db);
}

/* store_collect - run a bound query and turn each row into an element with read(). */
GPtrArray *
store_collect(struct store *handle, sqlite3_stmt *stmt, gpointer (*read)(sqlite3_stmt *),
        GDestroyNotify free_func, const char *what, GError **error)
{
	GPtrArray *list = g_ptr_array_new_with_free_func(free_func);
	int result;

	while ((result = store_stmt_step(handle, stmt, what, error)) == 1)
		g_ptr_array_add(list, read(stmt));
	if (result < 0) {
		g_ptr_array_unref(list);
		return NULL;
	}
	return list;
}

/* ---- Deliveries ---- */

gboolean
store_delivery_find(store *handle, const char *dedup_key, const char *department,
                    char **action, char **ticket_code, GError **error)
{
	sqlite3_stmt *stmt = store_stmt_get(handle, ST_DELIVERY_FIND, error);
	int found;

	if (stmt == NULL)
		return FALSE;
	store_bind_text(stmt, 1, dedup_key);
	store_bind_text(stmt, 2, department);
	found = store_stmt_step(handle, stmt, "looking up a delivery", error);
	if (found != 1)
		return FALSE;
	if (action != NULL)
		*action = store_column_text(stmt, 0);
	if (ticket_code != NULL)
		*ticket_code = store_column_text(stmt, 1);
	store_stmt_done(stmt);
	return TRUE;
}

gboolean
store_delivery_add(store *handle, const char *dedup_key, const char *department,
                   const char *action, int64_t ticket_id, GError **error)
{
	sqlite3_stmt *stmt = store_stmt_get(handle, ST_DELIVERY_ADD, error);

	if (stmt == NULL)
		return FALSE;
	store_bind_text(stmt, 1, dedup_key);
	store_bind_text(stmt, 2, department);
	store_bind_text(stmt, 3, action);
	store_bind_id(stmt, 4, ticket_id);
	sqlite3_bind_int64(stmt, 5, store_now());
	return store_stmt_run(handle, stmt, "recording a delivery", error);
}

/* ---- Outbox ---- */

/* store_outbox_add - state NULL = queued, next_try 0 = now, created 0 = now. */
int64_t
store_outbox_add(store *handle, const store_outbox_row *row, GError **error)
{
	sqlite3_stmt *stmt = store_stmt_get(handle, ST_OUTBOX_ADD, error);
	int64_t now = store_now();
	gsize size = 0;
	const void *mail = row->mail != NULL ? g_bytes_get_data(row->mail, &size) : NULL;

	if (stmt == NULL)
		return 0;
	store_bind_id(stmt, 1, row->ticket_id);
	store_bind_text(stmt, 2, row->recipient);
	store_bind_text(stmt, 3, row->kind);
	store_bind_text(stmt, 4, row->message_id);
	store_bind_text_or_empty(stmt, 5, row->envelope_from);
	if (!store_bind_bytes(handle, stmt, 6, mail, size, error))
		return 0;
	sqlite3_bind_int(stmt, 7, row->attempts);
	sqlite3_bind_int64(stmt, 8, row->next_try != 0 ? row->next_try : now);
	store_bind_text(stmt, 9, row->state != NULL ? row->state : "queued");
	store_bind_text(stmt, 10, row->last_error);
	sqlite3_bind_int64(stmt, 11, row->created != 0 ? row->created : now);
	return store_insert(handle, stmt, "queueing a notification", error);
}

static gpointer
outbox_row_new(sqlite3_stmt *stmt)
{
	store_outbox_row *row = g_new0(store_outbox_row, 1);

	row->id = sqlite3_column_int64(stmt, 0);
	row->ticket_id = sqlite3_column_int64(stmt, 1);
	row->recipient = store_column_text(stmt, 2);
	row->kind = store_column_text(stmt, 3);
	row->message_id = store_column_text(stmt, 4);
	row->envelope_from = store_column_text(stmt, 5);
	row->mail = store_column_bytes(stmt, 6);
	row->attempts = sqlite3_column_int(stmt, 7);
	row->next_try = sqlite3_column_int64(stmt, 8);
	row->created = sqlite3_column_int64(stmt, 9);
	row->state = store_column_text(stmt, 10);
	row->last_error = store_column_text(stmt, 11);
	return row;
}

void
store_outbox_row_free(store_outbox_row *row)
{
	if (row == NULL)
		return;
	g_free(row->recipient);
	g_free(row->kind);
	g_free(row->message_id);
	g_free(row->envelope_from);
	if (row->mail != NULL)
		g_bytes_unref(row->mail);
	g_free(row->state);
	g_free(row->last_error);
	g_free(row);
}

/* outbox_due - the id of one row to send now, 0 when none, -1 on error. */
static int64_t
outbox_due(struct store *handle, int64_t now, GError **error)
{
	sqlite3_stmt *stmt = store_stmt_get(handle, ST_OUTBOX_DUE, error);
	int64_t id;
	int found;

	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, now);
	if ((found = store_stmt_step(handle, stmt, "looking for due notifications", error)) != 1)
		return found;
	id = sqlite3_column_int64(stmt, 0);
	store_stmt_done(stmt);
	return id;
}

/* outbox_lease - mark the row sending until the lease ends and read it back. */
static store_outbox_row *
outbox_lease(struct store *handle, int64_t id, int64_t until, GError **error)
{
	sqlite3_stmt *stmt = store_stmt_get(handle, ST_OUTBOX_LEASE, error);
	store_outbox_row *row;

	if (stmt == NULL)
		return NULL;
	sqlite3_bind_int64(stmt, 1, id);
	sqlite3_bind_int64(stmt, 2, until);
	if (!store_stmt_run(handle, stmt, "leasing a notification", error) ||
	    (stmt = store_stmt_get(handle, ST_OUTBOX_GET, error)) == NULL)
		return NULL;
	sqlite3_bind_int64(stmt, 1, id);
	if (store_stmt_step(handle, stmt, "reading a notification", error) != 1)
		return NULL;
	row = outbox_row_new(stmt);
	store_stmt_done(stmt);
	return row;
}

/*
 * store_outbox_claim - also takes back rows whose sender's lease ran out (it crashed).
 * The choice and the lease are one write transaction, so no row goes to two claimers.
 */
store_outbox_row *
store_outbox_claim(store *handle, int64_t now, int64_t lease, GError **error)
{
	store_outbox_row *row = NULL;
	store_tx_kind kind;
	int64_t id;

	if (!store_tx_enter(handle, &kind, error))
		return NULL;
	id = outbox_due(handle, now, error);
	if (id > 0)
		row = outbox_lease(handle, id, now + lease, error);
	if (!store_tx_leave(handle, kind, id == 0 || row != NULL, error)) {
		store_outbox_row_free(row);
		return NULL;
	}
	return row;
}

/* store_outbox_mark - a state other than sending ends the lease; sent records the time. */
gboolean
store_outbox_mark(store *handle, int64_t id, const char *state, int attempts,
                  int64_t next_try, const char *last_error, GError **error)
{
	sqlite3_stmt *stmt = store_stmt_get(handle, ST_OUTBOX_MARK, error);

	if (stmt == NULL)
		return FALSE;
	sqlite3_bind_int64(stmt, 1, id);
	store_bind_text(stmt, 2, state);
	sqlite3_bind_int(stmt, 3, attempts);
	sqlite3_bind_int64(stmt, 4, next_try);
	store_bind_text(stmt, 5, last_error);
	sqlite3_bind_int64(stmt, 6, store_now());
	return store_stmt_run_changed(handle, stmt, "marking a notification", error);
}

static void
outbox_row_free(gpointer row)
{
	store_outbox_row_free(row);
}

GPtrArray *
store_outbox_list(store *handle, gboolean failed_only, GError **error)
{
	sqlite3_stmt *stmt = store_stmt_get(handle, ST_OUTBOX_LIST, error);

	if (stmt == NULL)
		return NULL;
	sqlite3_bind_int(stmt, 1, failed_only ? 1 : 0);
	return store_collect(handle, stmt, outbox_row_new, outbox_row_free, "listing the outbox", error);
}

/* store_outbox_retry - a failed row goes back to queued, due now, attempts from 0. */
gboolean
store_outbox_retry(store *handle, int64_t id, int64_t now, GError **error)
{
	sqlite3_stmt *stmt = store_stmt_get(handle, ST_OUTBOX_RETRY, error);

	if (stmt == NULL)
		return FALSE;
	sqlite3_bind_int64(stmt, 1, id);
	sqlite3_bind_int64(stmt, 2, now);
	return store_stmt_run_changed(handle, stmt, "retrying a failed notification", error);
}

/* store_outbox_count_recent - counts every kind but staff_reply, and no suppressed row; -1 on error. */
int
store_outbox_count_recent(store *handle, const char *recipient, int64_t since, int limit, GError **error)
{
	sqlite3_stmt *stmt = store_stmt_get(handle, ST_OUTBOX_COUNT, error);
	int count;

	if (stmt == NULL)
		return -1;
	store_bind_text(stmt, 1, recipient);
	sqlite3_bind_int64(stmt, 2, since);
	sqlite3_bind_int(stmt, 3, limit);
	if (store_stmt_step(handle, stmt, "counting recent notifications", error) != 1)
		return -1;
	count = sqlite3_column_int(stmt, 0);
	store_stmt_done(stmt);
	return count;
}

int
store_intake_count(store *handle, const char *sender, int64_t since, int limit, GError **error)
{
	sqlite3_stmt *stmt = store_stmt_get(handle, ST_INTAKE_COUNT, error);
	int count;

	if (stmt == NULL)
		return -1;
	store_bind_text(stmt, 1, sender);
	sqlite3_bind_int64(stmt, 2, since);
	sqlite3_bind_int(stmt, 3, limit);
	if (store_stmt_step(handle, stmt, "counting a sender's recent mail", error) != 1)
		return -1;
	count = sqlite3_column_int(stmt, 0);
	store_stmt_done(stmt);
	return count;
}

gboolean
store_outbox_by_message_id(store *handle, const char *message_id, char **recipient, int64_t *ticket_id,
                           GError **error)
{
	sqlite3_stmt *stmt = store_stmt_get(handle, ST_OUTBOX_BY_MSGID, error);

	if (stmt == NULL)
		return FALSE;
	store_bind_text(stmt, 1, message_id);
	if (store_stmt_step(handle, stmt, "finding a notification by Message-ID", error) != 1)
		return FALSE;
	*recipient = g_strdup((const char *)sqlite3_column_text(stmt, 0));
	*ticket_id = sqlite3_column_int64(stmt, 1);
	store_stmt_done(stmt);
	return TRUE;
}

gboolean
store_recipient_bouncing(store *handle, int64_t ticket_id, const char *recipient, GError **error)
{
	sqlite3_stmt *stmt = store_stmt_get(handle, ST_BOUNCING, error);
	gboolean bouncing;

	if (stmt == NULL)
		return FALSE;
	sqlite3_bind_int64(stmt, 1, ticket_id);
	store_bind_text(stmt, 2, recipient);
	if (store_stmt_step(handle, stmt, "checking a bouncing recipient", error) != 1)
		return FALSE;
	bouncing = sqlite3_column_int(stmt, 0) > 0;
	store_stmt_done(stmt);
	return bouncing;
}

/* ---- IMAP sources ---- */

gboolean
store_imap_state_get(store *handle, const char *source, uint32_t *uidvalidity,
                     uint32_t *last_uid, GError **error)
{
	sqlite3_stmt *stmt = store_stmt_get(handle, ST_IMAP_STATE_GET, error);

	if (stmt == NULL)
		return FALSE;
	store_bind_text(stmt, 1, source);
	if (store_stmt_step(handle, stmt, "reading an IMAP source's state", error) != 1)
		return FALSE;
	*uidvalidity = (uint32_t)sqlite3_column_int64(stmt, 0);
	*last_uid = (uint32_t)sqlite3_column_int64(stmt, 1);
	store_stmt_done(stmt);
	return TRUE;
}

gboolean
store_imap_state_set(store *handle, const char *source, uint32_t uidvalidity,
                     uint32_t last_uid, GError **error)
{
	sqlite3_stmt *stmt = store_stmt_get(handle, ST_IMAP_STATE_SET, error);

	if (stmt == NULL)
		return FALSE;
	store_bind_text(stmt, 1, source);
	sqlite3_bind_int64(stmt, 2, uidvalidity);
	sqlite3_bind_int64(stmt, 3, last_uid);
	sqlite3_bind_int64(stmt, 4, store_now());
	return store_stmt_run(handle, stmt, "recording an IMAP source's state", error);
}
