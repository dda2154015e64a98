/*
 * store_account - accounts (the customers, by address) and their sub-accounts (people
 * the account lets open tickets or receive its notifications). Addresses are kept as
 * written (the local part's case is its host's business, RFC 5321 section 2.4) and
 * compare without regard to case, as the schema's COLLATE NOCASE has them: a sender is
 * matched to an account the way every MTA's lookup tables match a recipient, so
 * Ana.Nunez@ and ana.nunez@ are one customer however their client writes them.
 */
#include <string.h>

#include "store-private.h"

#define ACCOUNT_COLUMNS "id, email, name, language, disabled"
#define SUB_COLUMNS "id, account_id, email, notify, can_open"

const char *const store_account_sql[ST_COUNT] = {
	[ST_ACCOUNT_BY_EMAIL] = "SELECT " ACCOUNT_COLUMNS " FROM accounts WHERE email = ?1",
	[ST_ACCOUNT_BY_ID] = "SELECT " ACCOUNT_COLUMNS " FROM accounts WHERE id = ?1",
	[ST_ACCOUNT_ADD] = "INSERT INTO accounts(email, name, language, created)"
		" VALUES (?1, ?2, ?3, ?4)",
	[ST_ACCOUNT_SET_DISABLED] = "UPDATE accounts SET disabled = ?2 WHERE id = ?1",
	[ST_ACCOUNT_LIST] = "SELECT " ACCOUNT_COLUMNS " FROM accounts ORDER BY email",
	[ST_SUB_BY_EMAIL] = "SELECT " SUB_COLUMNS " FROM subaccounts WHERE email = ?1",
	[ST_SUB_ADD] = "INSERT INTO subaccounts(account_id, email, notify, can_open, created)"
		" VALUES (?1, ?2, ?3, ?4, ?5)",
	[ST_SUB_REMOVE] = "DELETE FROM subaccounts WHERE email = ?1",
	[ST_SUB_LIST] = "SELECT " SUB_COLUMNS " FROM subaccounts"
		" WHERE ?1 = 0 OR account_id = ?1 ORDER BY email",
};

static void
account_read(sqlite3_stmt *stmt, store_account *out)
{
	out->id = sqlite3_column_int64(stmt, 0);
	out->email = store_column_text(stmt, 1);
	out->name = store_column_text(stmt, 2);
	out->language = store_column_text(stmt, 3);
	out->disabled = sqlite3_column_int(stmt, 4) != 0;
}

/* account_lookup - run a one-row account query whose parameters are bound. */
static gboolean
account_lookup(struct store *handle, sqlite3_stmt *stmt, store_account *out, GError **error)
{
	if (store_stmt_step(handle, stmt, "looking up an account", error) != 1)
		return FALSE;
	if (out != NULL)
		account_read(stmt, out);
	store_stmt_done(stmt);
	return TRUE;
}

gboolean
store_account_by_email(store *handle, const char *email, store_account *out, GError **error)
{
	sqlite3_stmt *stmt = store_stmt_get(handle, ST_ACCOUNT_BY_EMAIL, error);

	if (stmt == NULL)
		return FALSE;
	store_bind_text(stmt, 1, email);
	return account_lookup(handle, stmt, out, error);
}

gboolean
store_account_by_id(store *handle, int64_t id, store_account *out, GError **error)
{
	sqlite3_stmt *stmt = store_stmt_get(handle, ST_ACCOUNT_BY_ID, error);

	if (stmt == NULL)
		return FALSE;
	sqlite3_bind_int64(stmt, 1, id);
	return account_lookup(handle, stmt, out, error);
}

int64_t
store_account_add(store *handle, const char *email, const char *name,
                  const char *language, GError **error)
{
	sqlite3_stmt *stmt = store_stmt_get(handle, ST_ACCOUNT_ADD, error);

	if (stmt == NULL)
		return 0;
	store_bind_text(stmt, 1, email);
	store_bind_text_or_empty(stmt, 2, name);
	store_bind_text(stmt, 3, language != NULL && *language != '\0' ? language : "es");
	sqlite3_bind_int64(stmt, 4, store_now());
	return store_insert(handle, stmt, "adding an account", error);
}

gboolean
store_account_set_disabled(store *handle, int64_t id, gboolean disabled, GError **error)
{
	sqlite3_stmt *stmt = store_stmt_get(handle, ST_ACCOUNT_SET_DISABLED, error);

	if (stmt == NULL)
		return FALSE;
	sqlite3_bind_int64(stmt, 1, id);
	sqlite3_bind_int(stmt, 2, disabled ? 1 : 0);
	return store_stmt_run_changed(handle, stmt, "disabling an account", error);
}

void
store_account_clear(store_account *account)
{
	g_free(account->email);
	g_free(account->name);
	g_free(account->language);
	memset(account, 0, sizeof *account);
}

static void
account_free(gpointer account)
{
	store_account_clear(account);
	g_free(account);
}

static gpointer
account_new(sqlite3_stmt *stmt)
{
	store_account *account = g_new0(store_account, 1);

	account_read(stmt, account);
	return account;
}

GPtrArray *
store_account_list(store *handle, GError **error)
{
	sqlite3_stmt *stmt = store_stmt_get(handle, ST_ACCOUNT_LIST, error);

	if (stmt == NULL)
		return NULL;
	return store_collect(handle, stmt, account_new, account_free, "listing accounts", error);
}

static void
subaccount_read(sqlite3_stmt *stmt, store_subaccount *out)
{
	out->id = sqlite3_column_int64(stmt, 0);
	out->account_id = sqlite3_column_int64(stmt, 1);
	out->email = store_column_text(stmt, 2);
	out->notify = sqlite3_column_int(stmt, 3) != 0;
	out->can_open = sqlite3_column_int(stmt, 4) != 0;
}

gboolean
store_subaccount_by_email(store *handle, const char *email, store_subaccount *out, GError **error)
{
	sqlite3_stmt *stmt = store_stmt_get(handle, ST_SUB_BY_EMAIL, error);

	if (stmt == NULL)
		return FALSE;
	store_bind_text(stmt, 1, email);
	if (store_stmt_step(handle, stmt, "looking up a sub-account", error) != 1)
		return FALSE;
	if (out != NULL)
		subaccount_read(stmt, out);
	store_stmt_done(stmt);
	return TRUE;
}

int64_t
store_subaccount_add(store *handle, int64_t account_id, const char *email,
                     gboolean notify, gboolean can_open, GError **error)
{
	sqlite3_stmt *stmt = store_stmt_get(handle, ST_SUB_ADD, error);

	if (stmt == NULL)
		return 0;
	sqlite3_bind_int64(stmt, 1, account_id);
	store_bind_text(stmt, 2, email);
	sqlite3_bind_int(stmt, 3, notify ? 1 : 0);
	sqlite3_bind_int(stmt, 4, can_open ? 1 : 0);
	sqlite3_bind_int64(stmt, 5, store_now());
	return store_insert(handle, stmt, "adding a sub-account", error);
}

gboolean
store_subaccount_remove(store *handle, const char *email, GError **error)
{
	sqlite3_stmt *stmt = store_stmt_get(handle, ST_SUB_REMOVE, error);

	if (stmt == NULL)
		return FALSE;
	store_bind_text(stmt, 1, email);
	return store_stmt_run_changed(handle, stmt, "removing a sub-account", error);
}

void
store_subaccount_clear(store_subaccount *subaccount)
{
	g_free(subaccount->email);
	memset(subaccount, 0, sizeof *subaccount);
}

static void
subaccount_free(gpointer subaccount)
{
	store_subaccount_clear(subaccount);
	g_free(subaccount);
}

static gpointer
subaccount_new(sqlite3_stmt *stmt)
{
	store_subaccount *subaccount = g_new0(store_subaccount, 1);

	subaccount_read(stmt, subaccount);
	return subaccount;
}

/* store_subaccount_list - one account's sub-accounts, or everyone's when account_id is 0. */
GPtrArray *
store_subaccount_list(store *handle, int64_t account_id, GError **error)
{
	sqlite3_stmt *stmt = store_stmt_get(handle, ST_SUB_LIST, error);

	if (stmt == NULL)
		return NULL;
	sqlite3_bind_int64(stmt, 1, account_id);
	return store_collect(handle, stmt, subaccount_new, subaccount_free,
	                     "listing sub-accounts", error);
}
