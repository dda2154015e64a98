/*
 * store_address - what the bounces answering ticketd's notices said of an address: the
 * notice a bounce answers, the last DSN status, when, and whether it stops mail to the
 * address until the address writes in again or staff clears it.
 */
#include <string.h>

#include "store-private.h"

#define ADDRESS_COLUMNS "address, status, permanent, bounced, coalesce(outbox_id, 0), coalesce(ticket_id, 0)"

const char *const store_address_sql[ST_COUNT] = {
	/* A notice to several people is one Message-ID on several rows: the DSN's failed
	 * recipient picks the row, or else the Message-ID must have only one. */
	[ST_OUTBOX_BOUNCED] = "SELECT recipient, 'x', 0, 0, id, coalesce(ticket_id, 0) FROM outbox"
		" WHERE (?1 <> 0 AND id = ?1)"
		" OR (?1 = 0 AND message_id = ?2 AND recipient = ?3 COLLATE NOCASE)"
		" OR (?1 = 0 AND message_id = ?2 AND ?2 IN (SELECT message_id FROM outbox WHERE message_id = ?2"
		"  GROUP BY message_id HAVING count(*) = 1))"
		" ORDER BY recipient = ?3 COLLATE NOCASE DESC, id LIMIT 1",
	[ST_ADDRESS_SET] = "INSERT INTO address_state(address, status, permanent, bounced, outbox_id, ticket_id)"
		" VALUES (lower(?1), ?2, ?3, ?4, nullif(?5, 0), nullif(?6, 0))"
		" ON CONFLICT(address) DO UPDATE SET status = excluded.status, permanent = excluded.permanent,"
		" bounced = excluded.bounced, outbox_id = excluded.outbox_id, ticket_id = excluded.ticket_id",
	[ST_ADDRESS_GET] = "SELECT " ADDRESS_COLUMNS " FROM address_state WHERE address = ?1",
	[ST_ADDRESS_CLEAR] = "DELETE FROM address_state WHERE address = ?1",
	[ST_ADDRESS_LIST] = "SELECT " ADDRESS_COLUMNS " FROM address_state ORDER BY bounced DESC, address",
};

void
store_address_state_clear(store_address_state *state)
{
	g_clear_pointer(&state->address, g_free);
	g_clear_pointer(&state->status, g_free);
}

void
store_address_state_free(store_address_state *state)
{
	if (state == NULL)
		return;
	store_address_state_clear(state);
	g_free(state);
}

/* address_read - one row of ADDRESS_COLUMNS into state. */
static void
address_read(sqlite3_stmt *stmt, store_address_state *state)
{
	state->address = store_column_text(stmt, 0);
	state->status = store_column_text(stmt, 1);
	state->permanent = sqlite3_column_int(stmt, 2) != 0;
	state->bounced = sqlite3_column_int64(stmt, 3);
	state->outbox_id = sqlite3_column_int64(stmt, 4);
	state->ticket_id = sqlite3_column_int64(stmt, 5);
}

/* address_one - run a bound query of at most one row; FALSE and no error when none. */
static gboolean
address_one(struct store *handle, sqlite3_stmt *stmt, const char *what, store_address_state *state,
            GError **error)
{
	memset(state, 0, sizeof *state);
	if (store_stmt_step(handle, stmt, what, error) != 1)
		return FALSE;
	address_read(stmt, state);
	store_stmt_done(stmt);
	return TRUE;
}

gboolean
store_outbox_bounced(store *handle, int64_t outbox_id, const char *message_id, const char *failed,
                     store_address_state *state, GError **error)
{
	sqlite3_stmt *stmt = store_stmt_get(handle, ST_OUTBOX_BOUNCED, error);

	if (stmt == NULL)
		return FALSE;
	sqlite3_bind_int64(stmt, 1, outbox_id);
	store_bind_text(stmt, 2, message_id);
	store_bind_text(stmt, 3, failed);
	return address_one(handle, stmt, "finding the notification a bounce answers", state, error);
}

gboolean
store_address_bounce_set(store *handle, const store_address_state *state, gboolean *was_permanent,
                         GError **error)
{
	store_address_state before = { 0 };
	sqlite3_stmt *stmt;

	*was_permanent = store_address_get(handle, state->address, &before, error) && before.permanent;
	store_address_state_clear(&before);
	if ((error != NULL && *error != NULL) || (stmt = store_stmt_get(handle, ST_ADDRESS_SET, error)) == NULL)
		return FALSE;
	store_bind_text(stmt, 1, state->address);
	store_bind_text_or_empty(stmt, 2, state->status);
	sqlite3_bind_int(stmt, 3, state->permanent);
	sqlite3_bind_int64(stmt, 4, state->bounced);
	sqlite3_bind_int64(stmt, 5, state->outbox_id);
	sqlite3_bind_int64(stmt, 6, state->ticket_id);
	return store_stmt_run(handle, stmt, "recording a bounce on the address", error);
}

gboolean
store_address_get(store *handle, const char *address, store_address_state *state, GError **error)
{
	sqlite3_stmt *stmt = store_stmt_get(handle, ST_ADDRESS_GET, error);

	memset(state, 0, sizeof *state);
	if (stmt == NULL)
		return FALSE;
	store_bind_text(stmt, 1, address);
	return address_one(handle, stmt, "reading the address's bounces", state, error);
}

gboolean
store_address_clear(store *handle, const char *address, GError **error)
{
	sqlite3_stmt *stmt = store_stmt_get(handle, ST_ADDRESS_CLEAR, error);

	if (stmt == NULL)
		return FALSE;
	store_bind_text(stmt, 1, address);
	return store_stmt_run_changed(handle, stmt, "clearing the address's bounces", error);
}

/* The reason is interned: one string per DSN status, which notify keeps as a rule's name. */
const char *
store_address_bouncing(store *handle, const char *address, GError **error)
{
	store_address_state state = { 0 };
	const char *reason = NULL;

	if (store_address_get(handle, address, &state, error) && state.permanent) {
		g_autofree char *text = g_strdup_printf("the address bounced for good (DSN %s): it is mailed "
		                                        "again when it writes in, or after ticketctl account unbounce",
		                                        *state.status != '\0' ? state.status : "without status");
		reason = g_intern_string(text);
	}
	store_address_state_clear(&state);
	return reason;
}

/* address_new - one row as a list element. */
static gpointer
address_new(sqlite3_stmt *stmt)
{
	store_address_state *state = g_new0(store_address_state, 1);

	address_read(stmt, state);
	return state;
}

GPtrArray *
store_address_list(store *handle, GError **error)
{
	sqlite3_stmt *stmt = store_stmt_get(handle, ST_ADDRESS_LIST, error);

	if (stmt == NULL)
		return NULL;
	return store_collect(handle, stmt, address_new, (GDestroyNotify)store_address_state_free,
	                     "listing bouncing addresses", error);
}
