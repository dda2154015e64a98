/*
 * store_ticket - tickets: their codes, status, priority, assignee and merges, the queue
 * listing (higher priority first, then oldest customer word), the idle query the sweeper moves tickets from, and the
 * events that record every change to a ticket.
 */
#include <string.h>

#include "event.h"
#include "status.h"
#include "store-private.h"

#define TICKET_SELECT \
	"SELECT t.id, t.code, coalesce(t.account_id, 0), a.email, t.department, t.subject," \
	" t.status, t.priority, t.assignee, coalesce(t.merged_into, 0), t.created, t.updated," \
	" coalesce(t.last_customer, 0)," \
	" (SELECT count(*) FROM messages m WHERE m.ticket_id = t.id)" \
	" FROM tickets t LEFT JOIN accounts a ON a.id = t.account_id "
/* When the ticket's idle period began: its last status change or customer message. */
#define TICKET_IDLE_SINCE \
	"max(coalesce((SELECT max(e.created) FROM events e WHERE e.ticket_id = t.id" \
	" AND e.new_status IS NOT NULL), t.created), coalesce(t.last_customer, 0))"
#define TICKET_FILTER \
	" (?2 IS NULL OR t.department = ?2) AND (?3 IS NULL OR a.email = ?3)" \
	" AND (?4 IS NULL OR t.assignee = ?4 OR (?4 = '' AND t.assignee IS NULL))" \
	" AND (?5 = 0 OR t.created >= ?5)" \
	" AND (?6 = 0 OR t.created < ?6)" \
	" ORDER BY CASE t.priority WHEN 'urgent' THEN 0 WHEN 'high' THEN 1 WHEN 'low' THEN 3 ELSE 2 END," \
	" coalesce(t.last_customer, t.created), t.id"

const char *const store_ticket_sql[ST_COUNT] = {
	[ST_CODE_EXISTS] = "SELECT 1 FROM tickets WHERE code = ?1",
	[ST_TICKET_ADD] = "INSERT INTO tickets(code, account_id, department, subject, status,"
		" created, updated) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)",
	[ST_TICKET_BY_CODE] = TICKET_SELECT "WHERE t.code = ?1",
	[ST_TICKET_BY_ID] = TICKET_SELECT "WHERE t.id = ?1",
	[ST_TICKET_BY_MSGID] = TICKET_SELECT
		"JOIN message_ids x ON x.ticket_id = t.id WHERE x.message_id = ?1",
	[ST_TICKET_SET_STATUS] = "UPDATE tickets SET status = ?2, updated = max(updated, ?3)"
		" WHERE id = ?1",
	[ST_TICKET_SET_ASSIGNEE] = "UPDATE tickets SET assignee = ?2 WHERE id = ?1",
	[ST_TICKET_SET_MERGED] = "UPDATE tickets SET merged_into = ?2 WHERE id = ?1",
	[ST_TICKET_SET_PRIORITY] = "UPDATE tickets SET priority = ?2 WHERE id = ?1",
	[ST_TICKET_SET_DEPARTMENT] = "UPDATE tickets SET department = ?2 WHERE id = ?1",
	[ST_TICKET_TOUCH] = "UPDATE tickets SET last_customer = ?2,"
		" updated = max(updated, ?2) WHERE id = ?1",
	[ST_TICKET_LIST] = TICKET_SELECT "WHERE ?1 IS NULL AND" TICKET_FILTER,
	[ST_TICKET_LIST_STATUS] = TICKET_SELECT "WHERE instr(',' || ?1 || ',', ',' || t.status || ',') > 0 AND"
		TICKET_FILTER,
	/* From a ticket's opening to the first reply staff mailed: what the desk's speed is. */
	[ST_TICKET_FIRST_REPLIES] = "SELECT min(e.created) - t.created FROM tickets t"
		" JOIN events e ON e.ticket_id = t.id AND e.kind = '" EVENT_REPLY "' GROUP BY t.id",
	/* Idle since the later of the last status change and the last customer message. */
	[ST_TICKET_IDLE] = TICKET_SELECT "WHERE t.status = ?1 AND t.merged_into IS NULL"
		" AND " TICKET_IDLE_SINCE " <= ?2 ORDER BY t.id LIMIT ?3",
	/* One reminder per idle period: none since the period began. */
	[ST_TICKET_TO_REMIND] = TICKET_SELECT "WHERE t.status = ?1 AND t.merged_into IS NULL"
		" AND " TICKET_IDLE_SINCE " <= ?2 AND " TICKET_IDLE_SINCE " > ?3"
		" AND NOT EXISTS (SELECT 1 FROM events r WHERE r.ticket_id = t.id AND r.kind = '" EVENT_REMINDED "'"
		" AND r.created >= " TICKET_IDLE_SINCE ") ORDER BY t.id LIMIT ?4",
	[ST_EVENT_ADD] = "INSERT INTO events(ticket_id, kind, actor, old_status, new_status,"
		" detail, created) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
	[ST_EVENT_LIST] = "SELECT id, kind, actor, old_status, new_status, detail, created"
		" FROM events WHERE ticket_id = ?1 ORDER BY created, id",
};

gboolean
store_code_exists(store *handle, const char *code, GError **error)
{
	sqlite3_stmt *stmt = store_stmt_get(handle, ST_CODE_EXISTS, error);

	if (stmt == NULL)
		return FALSE;
	store_bind_text(stmt, 1, code);
	if (store_stmt_step(handle, stmt, "looking up a ticket code", error) != 1)
		return FALSE;
	store_stmt_done(stmt);
	return TRUE;
}

int64_t
store_ticket_add(store *handle, const char *code, int64_t account_id, const char *department,
                 const char *subject, const char *status, int64_t now, GError **error)
{
	sqlite3_stmt *stmt = store_stmt_get(handle, ST_TICKET_ADD, error);

	if (stmt == NULL)
		return 0;
	store_bind_text(stmt, 1, code);
	store_bind_id(stmt, 2, account_id);
	store_bind_text(stmt, 3, department);
	store_bind_text_or_empty(stmt, 4, subject);
	store_bind_text(stmt, 5, status != NULL ? status : STATUS_OPEN);
	sqlite3_bind_int64(stmt, 6, now);
	return store_insert(handle, stmt, "adding a ticket", error);
}

static void
ticket_read(sqlite3_stmt *stmt, store_ticket *out)
{
	out->id = sqlite3_column_int64(stmt, 0);
	out->code = store_column_text(stmt, 1);
	out->account_id = sqlite3_column_int64(stmt, 2);
	out->account_email = store_column_text(stmt, 3);
	out->department = store_column_text(stmt, 4);
	out->subject = store_column_text(stmt, 5);
	out->status = store_column_text(stmt, 6);
	out->priority = store_column_text(stmt, 7);
	out->assignee = store_column_text(stmt, 8);
	out->merged_into = sqlite3_column_int64(stmt, 9);
	out->created = sqlite3_column_int64(stmt, 10);
	out->updated = sqlite3_column_int64(stmt, 11);
	out->last_customer = sqlite3_column_int64(stmt, 12);
	out->message_count = sqlite3_column_int(stmt, 13);
}

/* ticket_lookup - run a one-row ticket query whose parameters are bound. */
static gboolean
ticket_lookup(struct store *handle, sqlite3_stmt *stmt, store_ticket *out, GError **error)
{
	if (store_stmt_step(handle, stmt, "looking up a ticket", error) != 1)
		return FALSE;
	if (out != NULL)
		ticket_read(stmt, out);
	store_stmt_done(stmt);
	return TRUE;
}

gboolean
store_ticket_by_code(store *handle, const char *code, store_ticket *out, GError **error)
{
	sqlite3_stmt *stmt = store_stmt_get(handle, ST_TICKET_BY_CODE, error);

	if (stmt == NULL)
		return FALSE;
	store_bind_text(stmt, 1, code);
	return ticket_lookup(handle, stmt, out, error);
}

gboolean
store_ticket_by_id(store *handle, int64_t id, store_ticket *out, GError **error)
{
	sqlite3_stmt *stmt = store_stmt_get(handle, ST_TICKET_BY_ID, error);

	if (stmt == NULL)
		return FALSE;
	sqlite3_bind_int64(stmt, 1, id);
	return ticket_lookup(handle, stmt, out, error);
}

gboolean
store_ticket_by_message_id(store *handle, const char *message_id, store_ticket *out, GError **error)
{
	sqlite3_stmt *stmt = store_stmt_get(handle, ST_TICKET_BY_MSGID, error);
	g_autofree char *key = NULL;

	if (stmt == NULL || message_id == NULL)
		return FALSE;
	key = store_message_id_key(message_id);
	store_bind_text(stmt, 1, key);
	return ticket_lookup(handle, stmt, out, error);
}

gboolean
store_ticket_set_status(store *handle, int64_t ticket_id, const char *status,
                        int64_t now, GError **error)
{
	sqlite3_stmt *stmt = store_stmt_get(handle, ST_TICKET_SET_STATUS, error);

	if (stmt == NULL)
		return FALSE;
	sqlite3_bind_int64(stmt, 1, ticket_id);
	store_bind_text(stmt, 2, status);
	sqlite3_bind_int64(stmt, 3, now);
	return store_stmt_run_changed(handle, stmt, "changing a ticket's status", error);
}

/* store_ticket_set_assignee - NULL or "" leaves the ticket unassigned. */
gboolean
store_ticket_set_assignee(store *handle, int64_t ticket_id, const char *assignee, GError **error)
{
	sqlite3_stmt *stmt = store_stmt_get(handle, ST_TICKET_SET_ASSIGNEE, error);

	if (stmt == NULL)
		return FALSE;
	sqlite3_bind_int64(stmt, 1, ticket_id);
	store_bind_text(stmt, 2, assignee != NULL && *assignee != '\0' ? assignee : NULL);
	return store_stmt_run_changed(handle, stmt, "assigning a ticket", error);
}

/* store_ticket_set_text - one text column of a ticket, by the statement that sets it. */
static gboolean
store_ticket_set_text(store *handle, int which, int64_t ticket_id, const char *value, const char *what,
                      GError **error)
{
	sqlite3_stmt *stmt = store_stmt_get(handle, which, error);

	if (stmt == NULL)
		return FALSE;
	sqlite3_bind_int64(stmt, 1, ticket_id);
	store_bind_text(stmt, 2, value);
	return store_stmt_run_changed(handle, stmt, what, error);
}

gboolean
store_ticket_set_priority(store *handle, int64_t ticket_id, const char *priority, GError **error)
{
	return store_ticket_set_text(handle, ST_TICKET_SET_PRIORITY, ticket_id, priority, "setting the priority",
	                             error);
}

gboolean
store_ticket_set_department(store *handle, int64_t ticket_id, const char *department, GError **error)
{
	return store_ticket_set_text(handle, ST_TICKET_SET_DEPARTMENT, ticket_id, department,
	                             "moving a ticket to another department", error);
}

/* store_ticket_set_merged - into 0 undoes a merge. */
gboolean
store_ticket_set_merged(store *handle, int64_t ticket_id, int64_t into, GError **error)
{
	sqlite3_stmt *stmt = store_stmt_get(handle, ST_TICKET_SET_MERGED, error);

	if (stmt == NULL)
		return FALSE;
	sqlite3_bind_int64(stmt, 1, ticket_id);
	store_bind_id(stmt, 2, into);
	return store_stmt_run_changed(handle, stmt, "merging a ticket", error);
}

/* store_ticket_touch_customer - the customer wrote now: the queue order starts from here. */
gboolean
store_ticket_touch_customer(store *handle, int64_t ticket_id, int64_t now, GError **error)
{
	sqlite3_stmt *stmt = store_stmt_get(handle, ST_TICKET_TOUCH, error);

	if (stmt == NULL)
		return FALSE;
	sqlite3_bind_int64(stmt, 1, ticket_id);
	sqlite3_bind_int64(stmt, 2, now);
	return store_stmt_run_changed(handle, stmt, "recording a customer message", error);
}

void
store_ticket_clear(store_ticket *ticket)
{
	g_free(ticket->code);
	g_free(ticket->account_email);
	g_free(ticket->department);
	g_free(ticket->subject);
	g_free(ticket->status);
	g_free(ticket->priority);
	g_free(ticket->assignee);
	memset(ticket, 0, sizeof *ticket);
}

static void
ticket_free(gpointer ticket)
{
	store_ticket_clear(ticket);
	g_free(ticket);
}

static gpointer
ticket_new(sqlite3_stmt *stmt)
{
	store_ticket *ticket = g_new0(store_ticket, 1);

	ticket_read(stmt, ticket);
	return ticket;
}

/* store_ticket_list - NULL filter fields match anything; since <= created < until. */
GPtrArray *
store_ticket_list(store *handle, const store_ticket_filter *filter, GError **error)
{
	static const store_ticket_filter everything = { 0 };
	sqlite3_stmt *stmt;

	if (filter == NULL)
		filter = &everything;
	stmt = store_stmt_get(handle,
	                      filter->status != NULL ? ST_TICKET_LIST_STATUS : ST_TICKET_LIST,
	                      error);
	if (stmt == NULL)
		return NULL;
	store_bind_text(stmt, 1, filter->status);
	store_bind_text(stmt, 2, filter->department);
	store_bind_text(stmt, 3, filter->account);
	store_bind_text(stmt, 4, filter->assignee);
	sqlite3_bind_int64(stmt, 5, filter->since);
	sqlite3_bind_int64(stmt, 6, filter->until);
	return store_collect(handle, stmt, ticket_new, ticket_free, "listing tickets", error);
}

GArray *
store_ticket_first_replies(store *handle, GError **error)
{
	sqlite3_stmt *stmt = store_stmt_get(handle, ST_TICKET_FIRST_REPLIES, error);
	GArray *delays;
	int step;

	if (stmt == NULL)
		return NULL;
	delays = g_array_new(FALSE, FALSE, sizeof(int64_t));
	while ((step = store_stmt_step(handle, stmt, "measuring first replies", error)) == 1) {
		int64_t delay = sqlite3_column_int64(stmt, 0);

		g_array_append_val(delays, delay);
	}
	if (step < 0) {
		g_array_unref(delays);
		return NULL;
	}
	return delays;
}

/* store_ticket_idle - up to limit unmerged tickets in status whose last status change
 * and last customer message are both at or before the time given, oldest first. */
GPtrArray *
store_ticket_idle(store *handle, const char *status, int64_t before, int limit, GError **error)
{
	sqlite3_stmt *stmt = store_stmt_get(handle, ST_TICKET_IDLE, error);

	if (stmt == NULL)
		return NULL;
	store_bind_text(stmt, 1, status);
	sqlite3_bind_int64(stmt, 2, before);
	sqlite3_bind_int(stmt, 3, limit);
	return store_collect(handle, stmt, ticket_new, ticket_free, "finding idle tickets", error);
}

/* store_ticket_to_remind - tickets idle since a time in (after, before] not yet reminded
 * in this idle period, oldest first. */
GPtrArray *
store_ticket_to_remind(store *handle, const char *status, int64_t before, int64_t after, int limit,
                       GError **error)
{
	sqlite3_stmt *stmt = store_stmt_get(handle, ST_TICKET_TO_REMIND, error);

	if (stmt == NULL)
		return NULL;
	store_bind_text(stmt, 1, status);
	sqlite3_bind_int64(stmt, 2, before);
	sqlite3_bind_int64(stmt, 3, after);
	sqlite3_bind_int(stmt, 4, limit);
	return store_collect(handle, stmt, ticket_new, ticket_free, "finding tickets to remind", error);
}

/* ---- Events ---- */

gboolean
store_event_add(store *handle, int64_t ticket_id, const char *kind, const char *actor,
                const char *old_status, const char *new_status, const char *detail,
                int64_t now, GError **error)
{
	sqlite3_stmt *stmt = store_stmt_get(handle, ST_EVENT_ADD, error);

	if (stmt == NULL)
		return FALSE;
	store_bind_id(stmt, 1, ticket_id);
	store_bind_text(stmt, 2, kind);
	store_bind_text_or_empty(stmt, 3, actor);
	store_bind_text(stmt, 4, old_status);
	store_bind_text(stmt, 5, new_status);
	store_bind_text(stmt, 6, detail);
	sqlite3_bind_int64(stmt, 7, now);
	return store_stmt_run(handle, stmt, "recording an event", error);
}

static void
event_free(gpointer data)
{
	store_event *event = data;

	g_free(event->kind);
	g_free(event->actor);
	g_free(event->old_status);
	g_free(event->new_status);
	g_free(event->detail);
	g_free(event);
}

static gpointer
event_new(sqlite3_stmt *stmt)
{
	store_event *event = g_new0(store_event, 1);

	event->id = sqlite3_column_int64(stmt, 0);
	event->kind = store_column_text(stmt, 1);
	event->actor = store_column_text(stmt, 2);
	event->old_status = store_column_text(stmt, 3);
	event->new_status = store_column_text(stmt, 4);
	event->detail = store_column_text(stmt, 5);
	event->created = sqlite3_column_int64(stmt, 6);
	return event;
}

GPtrArray *
store_event_list(store *handle, int64_t ticket_id, GError **error)
{
	sqlite3_stmt *stmt = store_stmt_get(handle, ST_EVENT_LIST, error);

	if (stmt == NULL)
		return NULL;
	sqlite3_bind_int64(stmt, 1, ticket_id);
	return store_collect(handle, stmt, event_new, event_free, "listing events", error);
}
