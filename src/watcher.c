/*
 * watcher - who becomes a ticket's watcher: the people a customer copied, never the
 * desk itself, a robot, an agent or someone with an account (whose own rights decide
 * what they are mailed), and the changes staff make by hand.
 */
#include <string.h>

#include "address.h"
#include "watcher.h"

const char *
watcher_refusal(const ticketd_config *config, store *db, const char *address, GError **error)
{
	store_account account = { 0 };
	store_subaccount subaccount = { 0 };

	if (!address_valid(address))
		return "not an e-mail address";
	if (address_is_ours(config, address))
		return "one of the desk's own addresses";
	if (address_is_robot(address))
		return "a robot's address (bounce or no-reply)";
	if (config_is_staff(config, address))
		return "a staff address: agents follow tickets through the staff notices";
	if (store_account_by_email(db, address, &account, error)) {
		store_account_clear(&account);
		return "an account: its own rights decide what it is mailed";
	}
	if ((error == NULL || *error == NULL) && store_subaccount_by_email(db, address, &subaccount, error)) {
		store_subaccount_clear(&subaccount);
		return "a sub-account: its own rights decide what it is mailed";
	}
	return NULL;
}

/* watcher_take - one address of the mail's To or Cc, when it may watch and is new. */
static gboolean
watcher_take(const ticketd_config *config, store *db, GPtrArray *watchers, const char *sender,
             const mail_address *address, GError **error)
{
	if (*address->address == '\0' || address_equal(address->address, sender))
		return TRUE;
	for (guint i = 0; i < watchers->len; i++)
		if (address_equal(g_ptr_array_index(watchers, i), address->address))
			return TRUE;
	if (watcher_refusal(config, db, address->address, error) == NULL && *error == NULL)
		g_ptr_array_add(watchers, address_written(address->address));
	return *error == NULL;
}

GPtrArray *
watcher_from_mail(const ticketd_config *config, store *db, const department_config *department,
                  const parsed_message *message, GError **error)
{
	g_autoptr(GPtrArray) watchers = g_ptr_array_new_with_free_func(g_free);
	GError *failure = NULL;

	if ((department != NULL ? department->cc : config->cc) == CC_IGNORE)
		return g_steal_pointer(&watchers);
	for (int list = 0; list < 2; list++) {
		GPtrArray *addresses = list == 0 ? message->to : message->cc;

		for (guint i = 0; i < addresses->len; i++)
			if (!watcher_take(config, db, watchers, message->from->address, g_ptr_array_index(addresses, i),
			                  &failure)) {
				g_propagate_error(error, failure);
				return NULL;
			}
	}
	return g_steal_pointer(&watchers);
}

/* watcher_ticket - the ticket of code, or NOT_FOUND saying so. */
static gboolean
watcher_ticket(store *db, const char *code, store_ticket *ticket, GError **error)
{
	if (store_ticket_by_code(db, code, ticket, error))
		return TRUE;
	if (error == NULL || *error == NULL)
		g_set_error(error, STORE_ERROR, STORE_ERROR_NOT_FOUND, "no ticket %s: see ticketctl list", code);
	return FALSE;
}

gboolean
watcher_add(const ticketd_config *config, store *db, const char *code, const char *address, int64_t now,
            GError **error)
{
	store_ticket ticket = { 0 };
	g_autofree char *email = address_written(address);
	const char *refusal;
	gboolean ok;

	if (!watcher_ticket(db, code, &ticket, error))
		return FALSE;
	refusal = watcher_refusal(config, db, email, error);
	if (refusal != NULL)
		g_set_error(error, STORE_ERROR, STORE_ERROR_FAILED, "%s cannot watch %s: %s", email, code, refusal);
	ok = refusal == NULL && (error == NULL || *error == NULL) &&
	     store_watcher_add(db, ticket.id, email, now, error);
	store_ticket_clear(&ticket);
	return ok;
}

gboolean
watcher_remove(store *db, const char *code, const char *address, GError **error)
{
	store_ticket ticket = { 0 };
	g_autofree char *email = address_written(address);
	GError *failure = NULL;
	gboolean ok;

	if (!watcher_ticket(db, code, &ticket, error))
		return FALSE;
	if (!(ok = store_watcher_remove(db, ticket.id, email, &failure)) &&
	    failure->domain == STORE_ERROR && failure->code == STORE_ERROR_NOT_FOUND) {
		g_clear_error(&failure);
		g_set_error(&failure, STORE_ERROR, STORE_ERROR_NOT_FOUND, "%s does not watch %s", email, code);
	}
	if (failure != NULL)
		g_propagate_error(error, failure);
	store_ticket_clear(&ticket);
	return ok;
}

GPtrArray *
watcher_list(store *db, const char *code, GError **error)
{
	store_ticket ticket = { 0 };
	GPtrArray *watchers;

	if (!watcher_ticket(db, code, &ticket, error))
		return NULL;
	watchers = store_watcher_list(db, ticket.id, error);
	store_ticket_clear(&ticket);
	return watchers;
}
