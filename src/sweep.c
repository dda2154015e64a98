/*
 * sweep - move idle tickets on by the configured rules. A ticket is idle for a rule when
 * neither its last status change nor its last customer message is newer than the rule's
 * duration: a customer who wrote in the meantime keeps the ticket where it is. With
 * [sweep] remind, the customer is told once per idle period before a rule closes it.
 */
#include <string.h>

#include "log.h"
#include "status.h"
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

/*
 * sweep_remind_batch - one transaction: up to SWEEP_BATCH tickets of status that rule
 * closes within [sweep] remind and that were not reminded since they fell idle; a count,
 * -1 on error. A ticket seen only after its rule's duration (the daemon was down) is
 * closed without a reminder: a reminder then would promise a time already past.
 */
static int
sweep_remind_batch(const ticketd_config *config, store *db, const sweep_rule *rule, const char *status,
                   int64_t now, GError **error)
{
	g_autoptr(GPtrArray) due = NULL;
	g_autofree char *remind = sweep_duration(config->sweep_remind);
	g_autofree char *detail = g_strdup_printf("closes in %s unless the customer writes", remind);
	ticket_change change = { .config = config, .store = db, .actor = SWEEP_ACTOR, .now = now };

	if (!store_begin(db, error))
		return -1;
	due = store_ticket_to_remind(db, status, now - (rule->after - config->sweep_remind), now - rule->after,
	                             SWEEP_BATCH, error);
	if (due == NULL)
		goto fail;
	for (guint i = 0; i < due->len; i++) {
		const store_ticket *ticket = g_ptr_array_index(due, i);

		if (!ticket_remind(&change, ticket, detail, error))
			goto fail;
		log_info("%s: sweep: reminded, %s", ticket->code, detail);
	}
	if (!store_commit(db, error))
		goto fail;
	return (int)due->len;
fail:
	store_rollback(db);
	return -1;
}

/* sweep_batch_fn - one transaction of one rule for one status: a count, -1 on error. */
typedef int (*sweep_batch_fn)(const ticketd_config *config, store *db, const sweep_rule *rule, const char *status,
                              int64_t now, GError **error);

/* sweep_rule_all - batch after batch of each of the rule's statuses until none is full. */
static int
sweep_rule_all(const ticketd_config *config, store *db, const sweep_rule *rule, sweep_batch_fn batch, int64_t now,
               GError **error)
{
	int done = 0;

	for (int s = 0; rule->from[s] != NULL; s++) {
		int count;

		do {
			if ((count = batch(config, db, rule, rule->from[s], now, error)) < 0)
				return -1;
			done += count;
		} while (count == SWEEP_BATCH);
	}
	return done;
}

int
sweep_run(const ticketd_config *config, store *db, int64_t now, GError **error)
{
	int changed = 0;

	for (guint r = 0; config->sweep_remind > 0 && r < config->sweep_rules->len; r++) {
		const sweep_rule *rule = g_ptr_array_index(config->sweep_rules, r);

		/* A reminder as long as the rule itself would come the moment the ticket falls idle. */
		if (strcmp(rule->to, STATUS_CLOSED) == 0 && rule->after > config->sweep_remind &&
		    sweep_rule_all(config, db, rule, sweep_remind_batch, now, error) < 0)
			return -1;
	}
	for (guint r = 0; r < config->sweep_rules->len; r++) {
		int moved = sweep_rule_all(config, db, g_ptr_array_index(config->sweep_rules, r), sweep_batch, now, error);

		if (moved < 0)
			return -1;
		changed += moved;
	}
	return changed;
}
