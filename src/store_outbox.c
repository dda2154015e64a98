/*
 * store_outbox - the composed notifications waiting for SMTP: queueing, the claim that
 * leases one due row to one sender (and takes back a lease whose sender died), marking
 * the outcome, retries, the count of recent automatic mail to an address, and the bounce
 * marks that stop mail to a recipient of a ticket.
 */
#include "event.h"
#include "store-private.h"

#define OUTBOX_COLUMNS "id, coalesce(ticket_id, 0), recipient, kind, message_id," \
	" envelope_from, mail, attempts, next_try, created, state, last_error, automatic"

const char *const store_outbox_sql[ST_COUNT] = {
	[ST_OUTBOX_ADD] = "INSERT INTO outbox(ticket_id, recipient, kind, message_id,"
		" envelope_from, mail, attempts, next_try, state, last_error, created, automatic)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
	[ST_OUTBOX_DUE] = "SELECT id FROM outbox"
		" WHERE (state = '" OUTBOX_QUEUED "' AND next_try <= ?1)"
		" OR (state = '" OUTBOX_SENDING "' AND lease_until <= ?1) ORDER BY next_try, id LIMIT 1",
	[ST_OUTBOX_LEASE] = "UPDATE outbox SET state = '" OUTBOX_SENDING "', lease_until = ?2"
		" WHERE id = ?1",
	[ST_OUTBOX_GET] = "SELECT " OUTBOX_COLUMNS " FROM outbox WHERE id = ?1",
	[ST_OUTBOX_MARK] = "UPDATE outbox SET state = ?2, attempts = ?3, next_try = ?4,"
		" last_error = ?5,"
		" lease_until = CASE WHEN ?2 = '" OUTBOX_SENDING "' THEN lease_until END,"
		" sent = CASE WHEN ?2 = '" OUTBOX_SENT "' THEN ?6 ELSE sent END WHERE id = ?1",
	[ST_OUTBOX_LIST] = "SELECT " OUTBOX_COLUMNS " FROM outbox"
		" WHERE ?1 = 0 OR state = '" OUTBOX_FAILED "' ORDER BY id",
	[ST_OUTBOX_RETRY] = "UPDATE outbox SET state = '" OUTBOX_QUEUED "', next_try = ?2,"
		" attempts = 0, lease_until = NULL WHERE id = ?1 AND state = '" OUTBOX_FAILED "'",
	/* The count stops at the limit the caller compares with: a flood costs no more.
	 * The terms after ?2 are those of the partial index outbox_automatic. */
	[ST_OUTBOX_COUNT] = "SELECT count(*) FROM (SELECT 1 FROM outbox WHERE recipient = ?1"
		" AND created >= ?2 AND automatic = 1"
		" AND state <> '" OUTBOX_SUPPRESSED "' LIMIT ?3)",
	[ST_OUTBOX_BY_MSGID] = "SELECT recipient, coalesce(ticket_id, 0) FROM outbox WHERE message_id = ?1",
	[ST_OUTBOX_SINCE] = "SELECT " OUTBOX_COLUMNS " FROM outbox WHERE ticket_id = ?1 AND id > ?2 ORDER BY id",
	[ST_OUTBOX_LAST] = "SELECT coalesce(max(id), 0) FROM outbox",
	[ST_BOUNCING] = "SELECT count(*) FROM events WHERE ticket_id = ?1"
		" AND kind = '" EVENT_BOUNCING "'"
		" AND detail = ?2 COLLATE NOCASE",
};

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
	store_bind_text(stmt, 9, row->state != NULL ? row->state : OUTBOX_QUEUED);
	store_bind_text(stmt, 10, row->last_error);
	sqlite3_bind_int64(stmt, 11, row->created != 0 ? row->created : now);
	/* A staff reply is a person's words whoever queued it. */
	sqlite3_bind_int(stmt, 12, !row->person && g_strcmp0(row->kind, NOTICE_STAFF_REPLY) != 0);
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
	row->person = sqlite3_column_int(stmt, 12) == 0;
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

/* store_outbox_count_recent - counts automatic rows only, and no suppressed one; -1 on error. */
int
store_outbox_count_recent(store *handle, const char *recipient, int64_t since, int limit, GError **error)
{
	return store_count_since(handle, ST_OUTBOX_COUNT, recipient, since, limit,
	                         "counting recent notifications", error);
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

GPtrArray *
store_outbox_since(store *handle, int64_t ticket_id, int64_t after, GError **error)
{
	sqlite3_stmt *stmt = store_stmt_get(handle, ST_OUTBOX_SINCE, error);

	if (stmt == NULL)
		return NULL;
	sqlite3_bind_int64(stmt, 1, ticket_id);
	sqlite3_bind_int64(stmt, 2, after);
	return store_collect(handle, stmt, outbox_row_new, outbox_row_free, "listing a ticket's notices", error);
}

int64_t
store_outbox_last_id(store *handle, GError **error)
{
	sqlite3_stmt *stmt = store_stmt_get(handle, ST_OUTBOX_LAST, error);
	int64_t id;

	if (stmt == NULL || store_stmt_step(handle, stmt, "reading the outbox", error) != 1)
		return -1;
	id = sqlite3_column_int64(stmt, 0);
	store_stmt_done(stmt);
	return id;
}

/* ---- Bounce marks ---- */

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
