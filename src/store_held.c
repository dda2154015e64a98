/*
 * store_held - the mail held for a person: listing it, reading one with its exact bytes,
 * and recording once what became of it (released into a ticket, or discarded). The held
 * row itself is never changed, so what arrived and why it was held stay on record.
 */
#include "store-private.h"

#define HELD_COLUMNS "h.id, h.reason, h.sender, h.recipient, h.created," \
	" o.action, o.ticket, o.actor, o.detail, coalesce(o.created, 0)" \
	" FROM held h LEFT JOIN held_outcome o ON o.held_id = h.id"

const char *const store_held_sql[ST_COUNT] = {
	[ST_HELD_LIST] = "SELECT " HELD_COLUMNS " WHERE ?1 OR o.held_id IS NULL ORDER BY h.id",
	[ST_HELD_GET] = "SELECT " HELD_COLUMNS " WHERE h.id = ?1",
	[ST_HELD_RAW] = "SELECT raw FROM held WHERE id = ?1",
	/* The primary key makes a second outcome for the same mail a no-op. */
	[ST_HELD_SETTLE] = "INSERT OR IGNORE INTO held_outcome(held_id, action, ticket, actor, detail, created)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
};

static gpointer
held_row_new(sqlite3_stmt *stmt)
{
	store_held *held = g_new0(store_held, 1);

	held->id = sqlite3_column_int64(stmt, 0);
	held->reason = store_column_text(stmt, 1);
	held->sender = store_column_text(stmt, 2);
	held->recipient = store_column_text(stmt, 3);
	held->created = sqlite3_column_int64(stmt, 4);
	held->outcome = store_column_text(stmt, 5);
	held->outcome_ticket = store_column_text(stmt, 6);
	held->outcome_actor = store_column_text(stmt, 7);
	held->outcome_detail = store_column_text(stmt, 8);
	held->outcome_at = sqlite3_column_int64(stmt, 9);
	return held;
}

void
store_held_free(store_held *held)
{
	if (held == NULL)
		return;
	g_free(held->reason);
	g_free(held->sender);
	g_free(held->recipient);
	g_free(held->outcome);
	g_free(held->outcome_ticket);
	g_free(held->outcome_actor);
	g_free(held->outcome_detail);
	g_free(held);
}

static void
held_row_free(gpointer held)
{
	store_held_free(held);
}

GPtrArray *
store_held_list(store *handle, gboolean all, GError **error)
{
	sqlite3_stmt *stmt = store_stmt_get(handle, ST_HELD_LIST, error);

	if (stmt == NULL)
		return NULL;
	sqlite3_bind_int(stmt, 1, all);
	return store_collect(handle, stmt, held_row_new, held_row_free, "listing held mail", error);
}

store_held *
store_held_get(store *handle, int64_t id, GError **error)
{
	sqlite3_stmt *stmt = store_stmt_get(handle, ST_HELD_GET, error);
	store_held *held;

	if (stmt == NULL)
		return NULL;
	sqlite3_bind_int64(stmt, 1, id);
	if (store_stmt_step(handle, stmt, "reading held mail", error) != 1)
		return NULL;
	held = held_row_new(stmt);
	store_stmt_done(stmt);
	return held;
}

GBytes *
store_held_raw(store *handle, int64_t id, GError **error)
{
	sqlite3_stmt *stmt = store_stmt_get(handle, ST_HELD_RAW, error);
	GBytes *raw;

	if (stmt == NULL)
		return NULL;
	sqlite3_bind_int64(stmt, 1, id);
	if (store_stmt_step(handle, stmt, "reading held mail", error) != 1)
		return NULL;
	raw = store_column_bytes(stmt, 0);
	store_stmt_done(stmt);
	return raw;
}

gboolean
store_held_settle(store *handle, int64_t id, const char *action, const char *ticket, const char *actor,
                  const char *detail, int64_t now, GError **error)
{
	sqlite3_stmt *stmt = store_stmt_get(handle, ST_HELD_SETTLE, error);

	if (stmt == NULL)
		return FALSE;
	sqlite3_bind_int64(stmt, 1, id);
	store_bind_text(stmt, 2, action);
	store_bind_text(stmt, 3, ticket);
	store_bind_text(stmt, 4, actor);
	store_bind_text(stmt, 5, detail);
	sqlite3_bind_int64(stmt, 6, now);
	if (!store_stmt_run(handle, stmt, "settling held mail", error))
		return FALSE;
	return sqlite3_changes(handle->db) == 1;
}
