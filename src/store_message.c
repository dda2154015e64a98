/*
 * store_message - a ticket's thread: its messages, the exact bytes each was received as,
 * the Message-IDs that thread replies to it, and its attachments, whose data is kept once
 * per sha256; also mail held for a person to look at. Large bytes are written in place
 * through the incremental BLOB API, never copied whole into a statement.
 */
#include <string.h>

#include "store-private.h"

#define STORE_BLOB_CHUNK (1024 * 1024)  /* bytes per sqlite3_blob_write() */
#define MESSAGE_COLUMNS "id, ticket_id, direction, author, message_id, in_reply_to, refs," \
	" subject, text, new_text, class, dedup_key, created"

const char *const store_message_sql[ST_COUNT] = {
	[ST_MESSAGE_ADD] = "INSERT INTO messages(ticket_id, direction, author, message_id,"
		" in_reply_to, refs, subject, text, new_text, class, dedup_key, created)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
	[ST_RAW_ADD] = "INSERT INTO raw_messages(message_id, bytes) VALUES (?1, ?2)",
	[ST_MSGID_ADD] = "INSERT INTO message_ids(message_id, ticket_id) VALUES (?1, ?2)"
		" ON CONFLICT(message_id) DO NOTHING",
	/* A ticket was updated when its latest message came. */
	[ST_TICKET_BUMP] = "UPDATE tickets SET updated = max(updated, ?2) WHERE id = ?1",
	[ST_MESSAGE_LIST] = "SELECT " MESSAGE_COLUMNS " FROM messages WHERE ticket_id = ?1"
		" ORDER BY created, id",
	[ST_RAW_GET] = "SELECT bytes FROM raw_messages WHERE message_id = ?1",
	[ST_BLOB_ADD] = "INSERT INTO blobs(sha256, data, size) VALUES (?1, ?2, ?3)"
		" ON CONFLICT(sha256) DO NOTHING",
	[ST_BLOB_GET] = "SELECT data FROM blobs WHERE sha256 = ?1",
	[ST_ATTACHMENT_ADD] = "INSERT INTO attachments(message_id, position, filename,"
		" content_type, size, sha256) VALUES (?1, (SELECT coalesce(max(position), 0) + 1"
		" FROM attachments WHERE message_id = ?1), ?2, ?3, ?4, ?5)",
	[ST_ATTACHMENT_LIST] = "SELECT a.message_id, a.filename, a.content_type, a.size,"
		" a.sha256 FROM attachments a JOIN messages m ON m.id = a.message_id"
		" WHERE m.ticket_id = ?1 ORDER BY m.created, m.id, a.position",
	[ST_HOLD_ADD] = "INSERT INTO held(reason, sender, recipient, raw, created)"
		" VALUES (?1, ?2, ?3, ?4, ?5)",
	/* Through messages_ticket: a ticket's own messages, never the whole table. */
	[ST_MESSAGE_HAS_KEY] = "SELECT 1 FROM messages WHERE ticket_id = ?1 AND dedup_key = ?2 LIMIT 1",
};

/* message_insert - the messages row alone; its id, or 0. */
static int64_t
message_insert(struct store *handle, const store_message_row *row, int64_t created,
               GError **error)
{
	sqlite3_stmt *stmt = store_stmt_get(handle, ST_MESSAGE_ADD, error);

	if (stmt == NULL)
		return 0;
	sqlite3_bind_int64(stmt, 1, row->ticket_id);
	store_bind_text(stmt, 2, row->direction);
	store_bind_text_or_empty(stmt, 3, row->author);
	store_bind_text(stmt, 4, row->message_id);
	store_bind_text(stmt, 5, row->in_reply_to);
	store_bind_text(stmt, 6, row->references);
	store_bind_text_or_empty(stmt, 7, row->subject);
	store_bind_text_or_empty(stmt, 8, row->text);
	store_bind_text_or_empty(stmt, 9, row->new_text);
	store_bind_text(stmt, 10, row->mail_class != NULL ? row->mail_class : "normal");
	store_bind_text(stmt, 11, row->dedup_key);
	sqlite3_bind_int64(stmt, 12, created);
	return store_insert(handle, stmt, "adding a message", error);
}

/*
 * blob_write - fill a zeroblob() column in chunks. A raw message goes in this way
 * because binding it would have SQLite build one more whole copy of it in memory.
 */
static gboolean
blob_write(struct store *handle, const char *table, const char *column, int64_t rowid,
           const char *bytes, gsize length, GError **error)
{
	sqlite3_blob *blob = NULL;
	int rc = SQLITE_OK;

	if (length == 0)
		return TRUE;
	rc = sqlite3_blob_open(handle->db, "main", table, column, rowid, 1, &blob);
	for (gsize at = 0; rc == SQLITE_OK && at < length; at += STORE_BLOB_CHUNK)
		rc = sqlite3_blob_write(blob, bytes + at, (int)MIN(STORE_BLOB_CHUNK, length - at), (int)at);
	sqlite3_blob_close(blob);
	if (rc != SQLITE_OK) {
		store_set_error(handle, rc, "writing the raw message", error);
		return FALSE;
	}
	return TRUE;
}

static gboolean
raw_insert(struct store *handle, int64_t id, const char *raw, gsize length, GError **error)
{
	sqlite3_stmt *stmt = store_stmt_get(handle, ST_RAW_ADD, error);

	if (stmt == NULL)
		return FALSE;
	sqlite3_bind_int64(stmt, 1, id);
	sqlite3_bind_zeroblob64(stmt, 2, length);
	return store_stmt_run(handle, stmt, "keeping the raw message", error) &&
	       blob_write(handle, "raw_messages", "bytes", id, raw, length, error);
}

static gboolean
ticket_bump(struct store *handle, int64_t ticket_id, int64_t when, GError **error)
{
	sqlite3_stmt *stmt = store_stmt_get(handle, ST_TICKET_BUMP, error);

	if (stmt == NULL)
		return FALSE;
	sqlite3_bind_int64(stmt, 1, ticket_id);
	sqlite3_bind_int64(stmt, 2, when);
	return store_stmt_run(handle, stmt, "updating a ticket", error);
}

/* message_add_all - the message, its raw bytes, its Message-ID, the ticket's time. */
static int64_t
message_add_all(struct store *handle, const store_message_row *row, GError **error)
{
	int64_t created = row->created != 0 ? row->created : store_now();
	int64_t id = message_insert(handle, row, created, error);

	if (id == 0)
		return 0;
	if (row->raw != NULL && !raw_insert(handle, id, row->raw, row->raw_length, error))
		return 0;
	if (row->message_id != NULL && *row->message_id != '\0' &&
	    !store_message_id_add(handle, row->message_id, row->ticket_id, error))
		return 0;
	if (!ticket_bump(handle, row->ticket_id, created, error))
		return 0;
	return id;
}

gboolean
store_message_has_key(store *handle, int64_t ticket_id, const char *dedup_key, GError **error)
{
	sqlite3_stmt *stmt = store_stmt_get(handle, ST_MESSAGE_HAS_KEY, error);

	if (stmt == NULL)
		return FALSE;
	sqlite3_bind_int64(stmt, 1, ticket_id);
	store_bind_text(stmt, 2, dedup_key);
	if (store_stmt_step(handle, stmt, "looking for a message on its ticket", error) != 1)
		return FALSE;
	store_stmt_done(stmt);
	return TRUE;
}

/* store_message_add - all of it or nothing; created 0 means now. Returns the row id, 0 on error. */
int64_t
store_message_add(store *handle, const store_message_row *row, GError **error)
{
	store_tx_kind kind;
	int64_t id;

	if (!store_tx_enter(handle, &kind, error))
		return 0;
	id = message_add_all(handle, row, error);
	if (!store_tx_leave(handle, kind, id != 0, error))
		return 0;
	return id;
}

/* store_message_id_key - a Message-ID as the message_ids table keeps it: no blanks, no <>. */
char *
store_message_id_key(const char *message_id)
{
	char *key = g_strstrip(g_strdup(message_id));
	gsize length = strlen(key);

	if (length >= 2 && key[0] == '<' && key[length - 1] == '>') {
		memmove(key, key + 1, length - 2);
		key[length - 2] = '\0';
	}
	return key;
}

/* store_message_id_add - also for received ones; a Message-ID already known keeps its ticket. */
gboolean
store_message_id_add(store *handle, const char *message_id, int64_t ticket_id, GError **error)
{
	sqlite3_stmt *stmt = store_stmt_get(handle, ST_MSGID_ADD, error);
	g_autofree char *key = NULL;

	if (stmt == NULL)
		return FALSE;
	key = store_message_id_key(message_id);
	if (*key == '\0')
		return TRUE;
	store_bind_text(stmt, 1, key);
	sqlite3_bind_int64(stmt, 2, ticket_id);
	return store_stmt_run(handle, stmt, "remembering a Message-ID", error);
}

/* sha256_matches - whether data hashes to the hex digest given (any letter case). */
static gboolean
sha256_matches(GBytes *data, const char *sha256)
{
	g_autofree char *actual = g_compute_checksum_for_bytes(G_CHECKSUM_SHA256, data);

	return g_ascii_strcasecmp(actual, sha256) == 0;
}

static gboolean
blob_insert(struct store *handle, const char *sha256, GBytes *data, GError **error)
{
	sqlite3_stmt *stmt = store_stmt_get(handle, ST_BLOB_ADD, error);
	gsize size = 0;
	const void *bytes = g_bytes_get_data(data, &size);

	if (stmt == NULL)
		return FALSE;
	store_bind_text(stmt, 1, sha256);
	if (!store_bind_bytes(handle, stmt, 2, bytes, size, error))
		return FALSE;
	sqlite3_bind_int64(stmt, 3, (sqlite3_int64)size);
	return store_stmt_run(handle, stmt, "storing attachment data", error);
}

static gboolean
attachment_insert(struct store *handle, int64_t message_id, const char *filename,
                  const char *content_type, gsize size, const char *sha256, GError **error)
{
	sqlite3_stmt *stmt = store_stmt_get(handle, ST_ATTACHMENT_ADD, error);

	if (stmt == NULL)
		return FALSE;
	sqlite3_bind_int64(stmt, 1, message_id);
	store_bind_text_or_empty(stmt, 2, filename);
	store_bind_text(stmt, 3, content_type != NULL ? content_type : "application/octet-stream");
	sqlite3_bind_int64(stmt, 4, (sqlite3_int64)size);
	store_bind_text(stmt, 5, sha256);
	return store_stmt_run(handle, stmt, "adding an attachment", error);
}

/*
 * store_attachment_add - the data is stored once per sha256 (lower-case hex; computed
 * when NULL). data may be NULL only when that sha256 is already stored.
 */
gboolean
store_attachment_add(store *handle, int64_t message_id, const char *filename,
                     const char *content_type, gsize size, const char *sha256,
                     GBytes *data, GError **error)
{
	g_autofree char *digest = NULL;
	store_tx_kind kind;
	gboolean ok;

	if (sha256 == NULL && data == NULL) {
		g_set_error(error, STORE_ERROR, STORE_ERROR_FAILED,
		            "database %s: an attachment needs its data or its sha256", handle->path);
		return FALSE;
	}
	digest = sha256 != NULL ? g_ascii_strdown(sha256, -1)
	                        : g_compute_checksum_for_bytes(G_CHECKSUM_SHA256, data);
	if (data != NULL && !sha256_matches(data, digest)) {
		g_set_error(error, STORE_ERROR, STORE_ERROR_FAILED,
		            "database %s: attachment %s: the data does not match its sha256 %s",
		            handle->path, filename != NULL ? filename : "", digest);
		return FALSE;
	}
	if (!store_tx_enter(handle, &kind, error))
		return FALSE;
	ok = (data == NULL || blob_insert(handle, digest, data, error)) &&
	     attachment_insert(handle, message_id, filename, content_type, size, digest, error);
	return store_tx_leave(handle, kind, ok, error);
}

static void
message_row_free(gpointer data)
{
	store_message_row *row = data;

	g_free((char *)row->direction);
	g_free((char *)row->author);
	g_free((char *)row->message_id);
	g_free((char *)row->in_reply_to);
	g_free((char *)row->references);
	g_free((char *)row->subject);
	g_free((char *)row->text);
	g_free((char *)row->new_text);
	g_free((char *)row->mail_class);
	g_free((char *)row->dedup_key);
	g_free(row);
}

/* message_row_new - a thread row; raw stays NULL (store_raw_message() reads it). */
static gpointer
message_row_new(sqlite3_stmt *stmt)
{
	store_message_row *row = g_new0(store_message_row, 1);

	row->id = sqlite3_column_int64(stmt, 0);
	row->ticket_id = sqlite3_column_int64(stmt, 1);
	row->direction = store_column_text(stmt, 2);
	row->author = store_column_text(stmt, 3);
	row->message_id = store_column_text(stmt, 4);
	row->in_reply_to = store_column_text(stmt, 5);
	row->references = store_column_text(stmt, 6);
	row->subject = store_column_text(stmt, 7);
	row->text = store_column_text(stmt, 8);
	row->new_text = store_column_text(stmt, 9);
	row->mail_class = store_column_text(stmt, 10);
	row->dedup_key = store_column_text(stmt, 11);
	row->created = sqlite3_column_int64(stmt, 12);
	return row;
}

GPtrArray *
store_message_list(store *handle, int64_t ticket_id, GError **error)
{
	sqlite3_stmt *stmt = store_stmt_get(handle, ST_MESSAGE_LIST, error);

	if (stmt == NULL)
		return NULL;
	sqlite3_bind_int64(stmt, 1, ticket_id);
	return store_collect(handle, stmt, message_row_new, message_row_free, "listing messages", error);
}

static void
attachment_info_free(gpointer data)
{
	store_attachment_info *info = data;

	g_free(info->filename);
	g_free(info->content_type);
	g_free(info->sha256);
	g_free(info);
}

static gpointer
attachment_info_new(sqlite3_stmt *stmt)
{
	store_attachment_info *info = g_new0(store_attachment_info, 1);

	info->message_id = sqlite3_column_int64(stmt, 0);
	info->filename = store_column_text(stmt, 1);
	info->content_type = store_column_text(stmt, 2);
	info->size = (gsize)sqlite3_column_int64(stmt, 3);
	info->sha256 = store_column_text(stmt, 4);
	return info;
}

/* store_attachment_list - a ticket's attachments in thread order, numbered from 1. */
GPtrArray *
store_attachment_list(store *handle, int64_t ticket_id, GError **error)
{
	sqlite3_stmt *stmt = store_stmt_get(handle, ST_ATTACHMENT_LIST, error);
	GPtrArray *list;

	if (stmt == NULL)
		return NULL;
	sqlite3_bind_int64(stmt, 1, ticket_id);
	list = store_collect(handle, stmt, attachment_info_new, attachment_info_free,
	                     "listing attachments", error);
	for (guint i = 0; list != NULL && i < list->len; i++)
		((store_attachment_info *)g_ptr_array_index(list, i))->index = (int)i + 1;
	return list;
}

/* bytes_lookup - one BLOB by a bound key; NULL with NOT_FOUND when there is none. */
static GBytes *
bytes_lookup(struct store *handle, sqlite3_stmt *stmt, const char *what, GError **error)
{
	GBytes *bytes;
	int found = store_stmt_step(handle, stmt, what, error);

	if (found == 0)
		g_set_error(error, STORE_ERROR, STORE_ERROR_NOT_FOUND,
		            "database %s: %s: no such row", handle->path, what);
	if (found != 1)
		return NULL;
	bytes = store_column_bytes(stmt, 0);
	store_stmt_done(stmt);
	return bytes;
}

GBytes *
store_attachment_data(store *handle, const char *sha256, GError **error)
{
	sqlite3_stmt *stmt = store_stmt_get(handle, ST_BLOB_GET, error);
	g_autofree char *digest = NULL;

	if (stmt == NULL)
		return NULL;
	digest = g_ascii_strdown(sha256, -1);
	store_bind_text(stmt, 1, digest);
	return bytes_lookup(handle, stmt, "reading attachment data", error);
}

GBytes *
store_raw_message(store *handle, int64_t message_id, GError **error)
{
	sqlite3_stmt *stmt = store_stmt_get(handle, ST_RAW_GET, error);

	if (stmt == NULL)
		return NULL;
	sqlite3_bind_int64(stmt, 1, message_id);
	return bytes_lookup(handle, stmt, "reading a raw message", error);
}

/* ---- Held mail ---- */

int64_t
store_hold_add(store *handle, const char *reason, const char *sender, const char *recipient,
               const char *raw, gsize length, int64_t now, GError **error)
{
	sqlite3_stmt *stmt = store_stmt_get(handle, ST_HOLD_ADD, error);
	int64_t id;

	if (stmt == NULL)
		return 0;
	store_bind_text_or_empty(stmt, 1, reason);
	store_bind_text(stmt, 2, sender);
	store_bind_text(stmt, 3, recipient);
	sqlite3_bind_zeroblob64(stmt, 4, length);
	sqlite3_bind_int64(stmt, 5, now);
	if ((id = store_insert(handle, stmt, "holding a message", error)) == 0 ||
	    !blob_write(handle, "held", "raw", id, raw, length, error))
		return 0;
	return id;
}
