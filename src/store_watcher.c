/*
 * store_watcher - the people in copy of a ticket (its watchers), and the chain of
 * Message-IDs a ticket's thread has in its customer's mailbox, which every notice
 * names in References so that mail readers keep the ticket in one thread.
 */
#include "event.h"
#include "store-private.h"

/* Watchers are kept as written; the column is COLLATE NOCASE, so one person is one row. */
const char *const store_watcher_sql[ST_COUNT] = {
	[ST_WATCHER_ADD] = "INSERT INTO watchers(ticket_id, email, created) VALUES (?1, ?2, ?3)"
		" ON CONFLICT(ticket_id, email) DO NOTHING",
	[ST_WATCHER_REMOVE] = "DELETE FROM watchers WHERE ticket_id = ?1 AND email = ?2",
	[ST_WATCHER_LIST] = "SELECT email FROM watchers WHERE ticket_id = ?1 ORDER BY created, email",
	[ST_WATCHER_IS] = "SELECT count(*) FROM watchers WHERE ticket_id = ?1 AND email = ?2",
	/* What the customer's mailbox holds: people's mail (not robots'), and our notices
	 * to them; never a staff notice, whose chain is the agents' own. */
	[ST_THREAD_IDS] = "SELECT message_id FROM ("
		" SELECT message_id, created, 0 AS source, id FROM messages WHERE ticket_id = ?1"
		"  AND direction = '" MESSAGE_IN "' AND class = 'normal' AND coalesce(message_id, '') <> ''"
		" UNION ALL"
		" SELECT message_id, min(created), 1, min(id) FROM outbox WHERE ticket_id = ?1"
		"  AND state <> '" OUTBOX_SUPPRESSED "' AND coalesce(message_id, '') <> ''"
		"  AND (kind = '" NOTICE_STAFF_REPLY "' OR kind NOT LIKE 'staff\\_%' ESCAPE '\\')"
		"  GROUP BY message_id)"
		" ORDER BY created, source, id",
};

gboolean
store_watcher_add(store *handle, int64_t ticket_id, const char *email, int64_t now, GError **error)
{
	sqlite3_stmt *stmt = store_stmt_get(handle, ST_WATCHER_ADD, error);

	if (stmt == NULL)
		return FALSE;
	store_bind_id(stmt, 1, ticket_id);
	store_bind_text(stmt, 2, email);
	sqlite3_bind_int64(stmt, 3, now);
	return store_stmt_run(handle, stmt, "adding a watcher", error);
}

gboolean
store_watcher_remove(store *handle, int64_t ticket_id, const char *email, GError **error)
{
	sqlite3_stmt *stmt = store_stmt_get(handle, ST_WATCHER_REMOVE, error);

	if (stmt == NULL)
		return FALSE;
	store_bind_id(stmt, 1, ticket_id);
	store_bind_text(stmt, 2, email);
	return store_stmt_run_changed(handle, stmt, "removing a watcher", error);
}

/* watcher_text - the first column of a row, as a string the list owns. */
static gpointer
watcher_text(sqlite3_stmt *stmt)
{
	return store_column_text(stmt, 0);
}

GPtrArray *
store_watcher_list(store *handle, int64_t ticket_id, GError **error)
{
	sqlite3_stmt *stmt = store_stmt_get(handle, ST_WATCHER_LIST, error);

	if (stmt == NULL)
		return NULL;
	store_bind_id(stmt, 1, ticket_id);
	return store_collect(handle, stmt, watcher_text, g_free, "listing watchers", error);
}

gboolean
store_watcher_is(store *handle, int64_t ticket_id, const char *email, GError **error)
{
	sqlite3_stmt *stmt = store_stmt_get(handle, ST_WATCHER_IS, error);
	gboolean watching;

	if (stmt == NULL)
		return FALSE;
	store_bind_id(stmt, 1, ticket_id);
	store_bind_text(stmt, 2, email);
	if (store_stmt_step(handle, stmt, "looking up a watcher", error) != 1)
		return FALSE;
	watching = sqlite3_column_int(stmt, 0) > 0;
	store_stmt_done(stmt);
	return watching;
}

GPtrArray *
store_thread_ids(store *handle, int64_t ticket_id, GError **error)
{
	sqlite3_stmt *stmt = store_stmt_get(handle, ST_THREAD_IDS, error);

	if (stmt == NULL)
		return NULL;
	store_bind_id(stmt, 1, ticket_id);
	return store_collect(handle, stmt, watcher_text, g_free, "reading a ticket's thread", error);
}
