/*
 * sweep - move idle tickets on by the configured rules. A ticket is idle for a rule when
 * neither its last status change nor its last customer message is newer than the rule's
 * duration: a customer who wrote in the meantime keeps the ticket where it is.
 */
#include "log.h"
#include "sweep.h"
#include "ticket.h"

/* Who the history names for a change no person made. */
#define SWEEP_ACTOR "ticketd"

/* sweep_duration - "72h" when whole hours, else seconds: for the event and the log. */
static char *
sweep_duration(int64_t seconds)
{
	if (seconds % 3600 == 0)
		return g_strdup_printf("%" G_GINT64_FORMAT "h", seconds / 3600);
	return g_strdup_printf("%" G_GINT64_FORMAT "s", seconds);
}

/* sweep_ticket - one ticket to its new status: event and notification. */
static gboolean
sweep_ticket(const ticketd_config *config, store *db, const store_ticket *ticket,
             const sweep_rule *rule, int64_t now, GError **error)
{
	g_autofree char *after = sweep_duration(rule->after);
	g_autofree char *detail = g_strdup_printf("idle %s", after);
	ticket_change change = { .config = config, .store = db, .actor = SWEEP_ACTOR, .now = now };

	if (!ticket_sweep(&change, ticket, rule->to, detail, error))
		return FALSE;
	log_info("%s: sweep: %s -> %s, %s", ticket->code, ticket->status, rule->to, detail);
	return TRUE;
}

/* sweep_batch - one transaction: up to SWEEP_BATCH tickets of one status that one rule
 * moves; a count, -1 on error. A moved ticket has a new status, so it is not found again. */
static int
sweep_batch(const ticketd_config *config, store *db, const sweep_rule *rule, const char *status,
            int64_t now, GError **error)
{
	g_autoptr(GPtrArray) idle = NULL;

	if (!store_begin(db, error))
		return -1;
	idle = store_ticket_idle(db, status, now - rule->after, SWEEP_BATCH, error);
	if (idle == NULL)
		goto fail;
	for (guint i = 0; i < idle->len; i++)
		if (!sweep_ticket(config, db, g_ptr_array_index(idle, i), rule, now, error))
			goto fail;
	if (!store_commit(db, error))
		goto fail;
	return (int)idle->len;
fail:
	store_rollback(db);
	return -1;
}

int
sweep_run(const ticketd_config *config, store *db, int64_t now, GError **error)
{
	int changed = 0;

	for (guint r = 0; r < config->sweep_rules->len; r++) {
		const sweep_rule *rule = g_ptr_array_index(config->sweep_rules, r);

		for (int s = 0; rule->from[s] != NULL; s++) {
			int moved;

			do {
				if ((moved = sweep_batch(config, db, rule, rule->from[s], now, error)) < 0)
					return -1;
				changed += moved;
			} while (moved == SWEEP_BATCH);
		}
	}
	return changed;
}
