/*
 * store - ticketd's SQLite database handle: open and close, the pragmas, settings,
 * checkpoints, write transactions and the savepoints that nest in them, what SQLite's
 * errors mean, and the statement cache and binding helpers that the store_*.c files share
 * (store_schema.c migrates; one file per part holds its queries). WAL with
 * synchronous=FULL, so a commit is on disk before mail is acknowledged; every write
 * transaction is BEGIN IMMEDIATE, so several processes share the database.
 */
#include <string.h>
#include <time.h>

#include "kb.h"
#include "log.h"
#include "store-private.h"

#define STORE_BUSY_TIMEOUT_MS   10000
/* journal_size_limit: bytes of -wal kept after a checkpoint (64 MB). */
#define STORE_JOURNAL_LIMIT_SQL "PRAGMA journal_size_limit = 67108864"

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
	case SQLITE_READONLY:
		return STORE_ERROR_READONLY;
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
	store_intake_sql, store_search_sql, store_outbox_sql, store_watcher_sql, store_held_sql,
	store_kb_sql,
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
	/* The help-centre index names its tokenizer: each connection must know it. */
	if (!kb_tokenizer_register(handle->db, error) || !configure(handle, error) ||
	    !store_schema_migrate(handle, error)) {
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
	if (handle->kb_cache != NULL)
		handle->kb_cache_free(handle->kb_cache);
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

/* store_count_since - a count(*) query bound as (?1 address, ?2 since, ?3 limit); -1 on error. */
int
store_count_since(struct store *handle, store_stmt_id id, const char *address, int64_t since,
                  int limit, const char *what, GError **error)
{
	sqlite3_stmt *stmt = store_stmt_get(handle, id, error);
	int count;

	if (stmt == NULL)
		return -1;
	store_bind_text(stmt, 1, address);
	sqlite3_bind_int64(stmt, 2, since);
	sqlite3_bind_int(stmt, 3, limit);
	if (store_stmt_step(handle, stmt, what, error) != 1)
		return -1;
	count = sqlite3_column_int(stmt, 0);
	store_stmt_done(stmt);
	return count;
}
