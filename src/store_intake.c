/*
 * store_intake - what the ways in have already taken, so that nothing is taken twice or
 * without limit: one delivery row per (dedup key, department), the mails recently
 * counted against each intake identity, and where each IMAP source stands (UIDVALIDITY
 * and the last UID taken care of).
 */
#include "store-private.h"

const char *const store_intake_sql[ST_COUNT] = {
	[ST_DELIVERY_FIND] = "SELECT d.action, t.code FROM deliveries d"
		" LEFT JOIN tickets t ON t.id = d.ticket_id"
		" WHERE d.dedup_key = ?1 AND d.department = ?2",
	[ST_DELIVERY_ADD] = "INSERT INTO deliveries(dedup_key, department, action, ticket_id,"
		" created) VALUES (?1, ?2, ?3, ?4, ?5)",
	[ST_DELIVERY_ANY] = "SELECT 1 FROM deliveries WHERE dedup_key = ?1 LIMIT 1",
	/* The count stops at the limit the caller compares with: a flood costs no more. */
	[ST_INTAKE_COUNT] = "SELECT count(*) FROM (SELECT 1 FROM intake WHERE identity = ?1"
		" AND created >= ?2 LIMIT ?3)",
	[ST_INTAKE_ADD] = "INSERT INTO intake(identity, created) VALUES (?1, ?2)",
	[ST_INTAKE_PRUNE] = "DELETE FROM intake WHERE identity = ?1 AND created < ?2",
	[ST_IMAP_STATE_GET] = "SELECT uidvalidity, last_uid FROM imap_state WHERE source = ?1",
	[ST_IMAP_STATE_SET] = "INSERT INTO imap_state(source, uidvalidity, last_uid, updated)"
		" VALUES (?1, ?2, ?3, ?4) ON CONFLICT(source) DO UPDATE SET"
		" uidvalidity = excluded.uidvalidity, last_uid = excluded.last_uid,"
		" updated = excluded.updated",
};

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

gboolean
store_delivery_known(store *handle, const char *dedup_key, GError **error)
{
	sqlite3_stmt *stmt = store_stmt_get(handle, ST_DELIVERY_ANY, error);

	if (stmt == NULL)
		return FALSE;
	store_bind_text(stmt, 1, dedup_key);
	if (store_stmt_step(handle, stmt, "looking up a delivery", error) != 1)
		return FALSE;
	store_stmt_done(stmt);
	return TRUE;
}

/* ---- The mail counted against an intake identity ---- */

int
store_intake_count(store *handle, const char *identity, int64_t since, int limit, GError **error)
{
	return store_count_since(handle, ST_INTAKE_COUNT, identity, since, limit,
	                         "counting a sender's recent mail", error);
}

/* store_intake_add - the rows past the window are dropped as the identity comes back. */
gboolean
store_intake_add(store *handle, const char *identity, int64_t now, int64_t forget, GError **error)
{
	sqlite3_stmt *stmt = store_stmt_get(handle, ST_INTAKE_PRUNE, error);

	if (stmt == NULL)
		return FALSE;
	store_bind_text(stmt, 1, identity);
	sqlite3_bind_int64(stmt, 2, forget);
	if (!store_stmt_run(handle, stmt, "forgetting a sender's old mail", error) ||
	    (stmt = store_stmt_get(handle, ST_INTAKE_ADD, error)) == NULL)
		return FALSE;
	store_bind_text(stmt, 1, identity);
	sqlite3_bind_int64(stmt, 2, now);
	return store_stmt_run(handle, stmt, "counting a sender's mail", error);
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
