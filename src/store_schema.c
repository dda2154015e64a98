/*
 * store_schema - the tables ticketd keeps, as one migration per schema version, and the
 * migration itself: PRAGMA user_version says where a database stands, every missing step
 * runs in one BEGIN IMMEDIATE transaction, and a database newer than this ticketd is
 * refused rather than guessed at.
 */
#include "event.h"
#include "kb.h"
#include "status.h"
#include "store-private.h"

/*
 * Schema version 1. Each step ends by recording its own version, in the same transaction.
 * SQLite keeps this text in sqlite_master, so it stays as first written, down to the two
 * spaces in the CHECK lists: every database carries the same schema.
 */
static const char schema_v1[] =
	"CREATE TABLE accounts ("
	" id INTEGER PRIMARY KEY,"
	" email TEXT NOT NULL UNIQUE COLLATE NOCASE,"
	" name TEXT NOT NULL DEFAULT '',"
	" language TEXT NOT NULL DEFAULT 'es',"
	" disabled INTEGER NOT NULL DEFAULT 0,"
	" created INTEGER NOT NULL);"
	"CREATE TABLE subaccounts ("
	" id INTEGER PRIMARY KEY,"
	" account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,"
	" email TEXT NOT NULL UNIQUE COLLATE NOCASE,"
	" notify INTEGER NOT NULL DEFAULT 1,"
	" can_open INTEGER NOT NULL DEFAULT 1,"
	" created INTEGER NOT NULL);"
	"CREATE INDEX subaccounts_account ON subaccounts(account_id);"
	"CREATE TABLE tickets ("
	" id INTEGER PRIMARY KEY,"
	" code TEXT NOT NULL UNIQUE COLLATE NOCASE,"
	" account_id INTEGER REFERENCES accounts(id),"
	" department TEXT NOT NULL,"
	" subject TEXT NOT NULL DEFAULT '',"
	" status TEXT NOT NULL DEFAULT '" STATUS_OPEN "' CHECK (status IN ("
	"'" STATUS_OPEN "', '" STATUS_ANSWERED "',  '" STATUS_CUSTOMER_REPLY "',"
	" '" STATUS_ON_HOLD "', '" STATUS_IN_PROGRESS "', '" STATUS_PENDING "',"
	" '" STATUS_RESOLVED "', '" STATUS_CLOSED "')),"
	" priority TEXT NOT NULL DEFAULT 'medium',"
	" assignee TEXT,"
	" merged_into INTEGER REFERENCES tickets(id),"
	" created INTEGER NOT NULL,"
	" updated INTEGER NOT NULL,"
	" last_customer INTEGER);"
	"CREATE INDEX tickets_queue ON tickets(status, last_customer);"
	"CREATE INDEX tickets_account ON tickets(account_id);"
	"CREATE TABLE messages ("
	" id INTEGER PRIMARY KEY,"
	" ticket_id INTEGER NOT NULL REFERENCES tickets(id),"
	" direction TEXT NOT NULL CHECK (direction IN ('" MESSAGE_IN "', '" MESSAGE_OUT "',"
	" '" MESSAGE_NOTE "')),"
	" author TEXT NOT NULL DEFAULT '',"
	" message_id TEXT,"
	" in_reply_to TEXT,"
	" refs TEXT,"
	" subject TEXT NOT NULL DEFAULT '',"
	" text TEXT NOT NULL DEFAULT '',"
	" new_text TEXT NOT NULL DEFAULT '',"
	" class TEXT NOT NULL DEFAULT 'normal',"
	" dedup_key TEXT,"
	" created INTEGER NOT NULL);"
	"CREATE INDEX messages_ticket ON messages(ticket_id, created);"
	"CREATE TABLE raw_messages ("
	" message_id INTEGER PRIMARY KEY REFERENCES messages(id) ON DELETE CASCADE,"
	" bytes BLOB NOT NULL);"
	"CREATE TABLE blobs ("
	" sha256 TEXT PRIMARY KEY,"
	" data BLOB NOT NULL,"
	" size INTEGER NOT NULL);"
	"CREATE TABLE attachments ("
	" id INTEGER PRIMARY KEY,"
	" message_id INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,"
	" position INTEGER NOT NULL,"
	" filename TEXT NOT NULL DEFAULT '',"
	" content_type TEXT NOT NULL DEFAULT 'application/octet-stream',"
	" size INTEGER NOT NULL,"
	" sha256 TEXT NOT NULL REFERENCES blobs(sha256),"
	" UNIQUE (message_id, position));"
	"CREATE INDEX attachments_sha256 ON attachments(sha256);"
	"CREATE TABLE message_ids ("
	" message_id TEXT PRIMARY KEY,"
	" ticket_id INTEGER NOT NULL REFERENCES tickets(id)) WITHOUT ROWID;"
	"CREATE TABLE deliveries ("
	" dedup_key TEXT NOT NULL,"
	" department TEXT NOT NULL,"
	" action TEXT NOT NULL,"
	" ticket_id INTEGER REFERENCES tickets(id),"
	" created INTEGER NOT NULL,"
	" PRIMARY KEY (dedup_key, department)) WITHOUT ROWID;"
	"CREATE TABLE events ("
	" id INTEGER PRIMARY KEY,"
	" ticket_id INTEGER REFERENCES tickets(id),"
	" kind TEXT NOT NULL,"
	" actor TEXT NOT NULL DEFAULT '',"
	" old_status TEXT,"
	" new_status TEXT,"
	" detail TEXT,"
	" created INTEGER NOT NULL);"
	"CREATE INDEX events_ticket ON events(ticket_id, created);"
	"CREATE TABLE held ("
	" id INTEGER PRIMARY KEY,"
	" reason TEXT NOT NULL,"
	" sender TEXT,"
	" recipient TEXT,"
	" raw BLOB NOT NULL,"
	" created INTEGER NOT NULL);"
	"CREATE TABLE outbox ("
	" id INTEGER PRIMARY KEY,"
	" ticket_id INTEGER REFERENCES tickets(id),"
	" recipient TEXT NOT NULL COLLATE NOCASE,"
	" kind TEXT NOT NULL,"
	" message_id TEXT,"
	" envelope_from TEXT NOT NULL DEFAULT '',"
	" mail BLOB NOT NULL,"
	" attempts INTEGER NOT NULL DEFAULT 0,"
	" next_try INTEGER NOT NULL,"
	" state TEXT NOT NULL DEFAULT '" OUTBOX_QUEUED "' CHECK (state IN ("
	"'" OUTBOX_QUEUED "', '" OUTBOX_SENDING "', '" OUTBOX_SENT "',  '" OUTBOX_FAILED "',"
	" '" OUTBOX_SUPPRESSED "')),"
	" lease_until INTEGER,"
	" last_error TEXT,"
	" created INTEGER NOT NULL,"
	" sent INTEGER);"
	"CREATE INDEX outbox_due ON outbox(state, next_try);"
	"CREATE INDEX outbox_recipient ON outbox(recipient, created);"
	"CREATE VIRTUAL TABLE messages_fts USING fts5(subject, text, content='messages',"
	" content_rowid='id', tokenize='unicode61 remove_diacritics 2', prefix='2 3');"
	"CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN"
	" INSERT INTO messages_fts(rowid, subject, text) VALUES (new.id, new.subject, new.text);"
	" END;"
	"CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN"
	" INSERT INTO messages_fts(messages_fts, rowid, subject, text)"
	"  VALUES ('delete', old.id, old.subject, old.text);"
	" END;"
	"CREATE TRIGGER messages_fts_update AFTER UPDATE OF subject, text ON messages BEGIN"
	" INSERT INTO messages_fts(messages_fts, rowid, subject, text)"
	"  VALUES ('delete', old.id, old.subject, old.text);"
	" INSERT INTO messages_fts(rowid, subject, text) VALUES (new.id, new.subject, new.text);"
	" END;"
	"PRAGMA application_id = 1953063787;"     /* "tick" */
	"PRAGMA user_version = 1;";

/* Schema version 2: what the per-sender intake limit and bounce tracking look up. */
static const char schema_v2[] =
	"CREATE INDEX messages_author ON messages(author, created);"
	"CREATE INDEX held_sender ON held(sender, created);"
	"CREATE INDEX outbox_message_id ON outbox(message_id);"
	"PRAGMA user_version = 2;";

/* Schema version 3: where each IMAP source stands, so a pass starts after the last UID done. */
static const char schema_v3[] =
	"CREATE TABLE imap_state ("
	" source TEXT PRIMARY KEY,"
	" uidvalidity INTEGER NOT NULL,"
	" last_uid INTEGER NOT NULL,"
	" updated INTEGER NOT NULL);"
	"PRAGMA user_version = 3;";

/*
 * Schema version 4: held keeps its raw bytes in the last column, the only place where
 * SQLite writes a zeroblob() in place instead of first building the whole record (a
 * held message may be 50 MB). The automatic mails per recipient are counted from an
 * index of their own, without stepping over the suppressed ones.
 */
static const char schema_v4[] =
	"CREATE TABLE held_v4 ("
	" id INTEGER PRIMARY KEY,"
	" reason TEXT NOT NULL,"
	" sender TEXT,"
	" recipient TEXT,"
	" created INTEGER NOT NULL,"
	" raw BLOB NOT NULL);"
	"INSERT INTO held_v4(id, reason, sender, recipient, created, raw)"
	" SELECT id, reason, sender, recipient, created, raw FROM held;"
	"DROP TABLE held;"
	"ALTER TABLE held_v4 RENAME TO held;"
	"CREATE INDEX held_sender ON held(sender, created);"
	"CREATE INDEX outbox_automatic ON outbox(recipient, created)"
	" WHERE kind <> '" NOTICE_STAFF_REPLY "' AND state <> '" OUTBOX_SUPPRESSED "';"
	"PRAGMA user_version = 4;";

/* The index of one language, reading its text from kb_articles, and its vocabulary. */
#define KB_FTS(lang) \
	"CREATE VIRTUAL TABLE IF NOT EXISTS kb_fts_" lang " USING fts5(title, tags, body," \
	" content='kb_articles', content_rowid='id', tokenize='" KB_TOKENIZER " " lang "');" \
	"CREATE VIRTUAL TABLE IF NOT EXISTS kb_vocab_" lang " USING fts5vocab(kb_fts_" lang ", 'row');"

/*
 * Schema version 5: the help centre. Each language has its own FTS5 index, since a
 * tokenizer stems for one language; the index reads its text from kb_articles, and
 * store_kb.c keeps it in step (not triggers: a trigger naming the index would make every
 * ALTER TABLE from the sqlite3 shell, which has no kb tokenizer, fail). kb_words holds
 * the words articles use, by trigram, for correcting a mail's misspellings.
 */
static const char schema_v5[] =
	"CREATE TABLE IF NOT EXISTS kb_articles ("
	" id INTEGER PRIMARY KEY,"
	" slug TEXT NOT NULL UNIQUE,"
	" title TEXT NOT NULL,"
	" language TEXT NOT NULL,"
	" departments TEXT NOT NULL,"
	" tags TEXT NOT NULL,"
	" url TEXT NOT NULL,"
	" body TEXT NOT NULL,"
	" digest TEXT NOT NULL,"
	" updated INTEGER NOT NULL);"
	"CREATE TABLE IF NOT EXISTS kb_departments ("
	" department TEXT NOT NULL,"
	" article_id INTEGER NOT NULL REFERENCES kb_articles(id) ON DELETE CASCADE,"
	" PRIMARY KEY (department, article_id)) WITHOUT ROWID;"
	"CREATE INDEX IF NOT EXISTS kb_departments_article ON kb_departments(article_id);"
	"CREATE VIRTUAL TABLE IF NOT EXISTS kb_words USING fts5(word, language UNINDEXED, tokenize='trigram');"
	KB_FTS("es")
	KB_FTS("en")
	"PRAGMA user_version = 5;";

/*
 * Schema version 6: intake_per_hour counts each mail against the identity that vouches
 * for it (the From only when it is authenticated, else the envelope sender), which the
 * messages and held tables do not keep. Counting starts afresh from here.
 */
static const char schema_v6[] =
	"CREATE TABLE intake ("
	" identity TEXT NOT NULL COLLATE NOCASE,"
	" created INTEGER NOT NULL);"
	"CREATE INDEX intake_identity ON intake(identity, created);"
	"PRAGMA user_version = 6;";

/*
 * Schema version 7: the people in copy of a customer's mail, who are mailed with the
 * ticket's notices and may answer on that ticket (and only on it).
 */
static const char schema_v7[] =
	"CREATE TABLE IF NOT EXISTS watchers ("
	" ticket_id INTEGER NOT NULL REFERENCES tickets(id),"
	" email TEXT NOT NULL COLLATE NOCASE,"
	" created INTEGER NOT NULL,"
	" PRIMARY KEY (ticket_id, email)) WITHOUT ROWID;"
	"CREATE INDEX IF NOT EXISTS outbox_ticket ON outbox(ticket_id, created);"
	"PRAGMA user_version = 7;";

/*
 * Schema version 8: what became of held mail (released into a ticket or discarded, by
 * whom, when), kept beside held so its raw bytes stay the last column; and which outbox
 * rows are automatic mail, the only ones auto_per_hour counts: a notice a person caused
 * is not (a status change or close at ticketctl, like a staff reply).
 */
static const char schema_v8[] =
	"CREATE TABLE held_outcome ("
	" held_id INTEGER PRIMARY KEY REFERENCES held(id),"
	" action TEXT NOT NULL CHECK (action IN ('released', 'discarded')),"
	" ticket TEXT,"
	" actor TEXT NOT NULL,"
	" detail TEXT,"
	" created INTEGER NOT NULL);"
	"ALTER TABLE outbox ADD COLUMN automatic INTEGER NOT NULL DEFAULT 1;"
	"UPDATE outbox SET automatic = 0 WHERE kind = '" NOTICE_STAFF_REPLY "';"
	"DROP INDEX outbox_automatic;"
	"CREATE INDEX outbox_automatic ON outbox(recipient, created)"
	" WHERE automatic = 1 AND state <> '" OUTBOX_SUPPRESSED "';"
	"PRAGMA user_version = 8;";

/* Each word of one language's articles where it occurs (term, doc, col, offset). */
#define KB_INSTANCES(lang) \
	"CREATE VIRTUAL TABLE IF NOT EXISTS kb_instances_" lang \
	" USING fts5vocab(kb_fts_" lang ", 'instance');"

/*
 * Schema version 9: what the help centre ranks suggestions with in memory. The words of
 * each index by article, read once into a process's ranking index, and a generation
 * that store_kb.c bumps with every change to the articles, so a process knows when its
 * copy is stale with one read.
 */
static const char schema_v9[] =
	KB_INSTANCES("es")
	KB_INSTANCES("en")
	"CREATE TABLE IF NOT EXISTS kb_state ("
	" id INTEGER PRIMARY KEY CHECK (id = 1),"
	" generation INTEGER NOT NULL);"
	"INSERT OR IGNORE INTO kb_state(id, generation) VALUES (1, 1);"
	"PRAGMA user_version = 9;";

/* migrations[n] takes a database from version n to n + 1. */
static const char *const migrations[] = {
	schema_v1, schema_v2, schema_v3, schema_v4, schema_v5, schema_v6, schema_v7, schema_v8,
	schema_v9
};
G_STATIC_ASSERT(G_N_ELEMENTS(migrations) == STORE_SCHEMA_VERSION);

/* schema_version - PRAGMA user_version, or -1 on error. */
static int
schema_version(struct store *handle, GError **error)
{
	sqlite3_stmt *stmt = store_stmt_get(handle, ST_PRAGMA_VERSION, error);
	int version;

	if (stmt == NULL || store_stmt_step(handle, stmt, "reading the schema version", error) != 1)
		return -1;
	version = sqlite3_column_int(stmt, 0);
	store_stmt_done(stmt);
	return version;
}

/* migrate_steps - inside the open transaction, bring the schema up to date. */
static gboolean
migrate_steps(struct store *handle, GError **error)
{
	int version = schema_version(handle, error);

	if (version < 0)
		return FALSE;
	if (version > STORE_SCHEMA_VERSION) {
		g_set_error(error, STORE_ERROR, STORE_ERROR_TOO_NEW,
		            "database %s has schema version %d but this ticketd knows only up to "
		            "version %d: run the newer ticketd that wrote it, or restore a backup",
		            handle->path, version, STORE_SCHEMA_VERSION);
		return FALSE;
	}
	for (int step = version; step < STORE_SCHEMA_VERSION; step++) {
		int rc = sqlite3_exec(handle->db, migrations[step], NULL, NULL, NULL);
		if (rc != SQLITE_OK) {
			g_autofree char *what = g_strdup_printf("migrating the schema to version %d",
			                                        step + 1);
			store_set_error(handle, rc, what, error);
			return FALSE;
		}
	}
	return TRUE;
}

/* store_schema_migrate - one BEGIN IMMEDIATE transaction: two processes never migrate at once. */
gboolean
store_schema_migrate(struct store *handle, GError **error)
{
	if (!store_begin(handle, error))
		return FALSE;
	if (!migrate_steps(handle, error)) {
		store_rollback(handle);
		return FALSE;
	}
	return store_commit(handle, error);
}
