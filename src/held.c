/*
 * held - releasing and discarding held mail. A release runs the one ingest path on the
 * held bytes inside the transaction that records the release, so the mail lands in
 * exactly one ticket, and a second release (or one racing it) finds it settled.
 */
#include <string.h>

#include "held.h"
#include "log.h"

G_DEFINE_QUARK(ticketd-held-error-quark, held_error)

/* held_open - the held mail id, unsettled, in the open transaction; NULL with error set. */
static store_held *
held_open(store *db, int64_t id, GError **error)
{
	store_held *held = store_held_get(db, id, error);

	if (held == NULL) {
		if (error == NULL || *error == NULL)
			g_set_error(error, HELD_ERROR, HELD_ERROR_NO_SUCH, "no held mail #%" G_GINT64_FORMAT
			            " (ticketctl held list shows them)", id);
		return NULL;
	}
	if (held->outcome != NULL) {
		g_set_error(error, HELD_ERROR, HELD_ERROR_SETTLED, "held mail #%" G_GINT64_FORMAT " was %s%s%s by %s"
		            " already; nothing changed", id, held->outcome, held->outcome_ticket ? " into " : "",
		            held->outcome_ticket ? held->outcome_ticket : "", held->outcome_actor);
		store_held_free(held);
		return NULL;
	}
	return held;
}

/* held_settled_meanwhile - another release won the race: say so as a settled mail. */
static gboolean
held_settled_meanwhile(int64_t id, GError **error)
{
	if (error != NULL && *error != NULL)
		return FALSE;
	g_set_error(error, HELD_ERROR, HELD_ERROR_SETTLED, "held mail #%" G_GINT64_FORMAT
	            " was settled by someone else meanwhile; nothing changed", id);
	return FALSE;
}

/* held_ingest - the held bytes through ingest as the release says; FALSE when refused. */
static gboolean
held_ingest(const ticketd_config *config, store *db, const store_held *held, const inbound *mail,
            ingest_result *result, GError **error)
{
	g_autofree char *reason = NULL;

	ingest_apply(config, db, mail, held->recipient, result);
	reason = g_strdup_printf("released from hold #%" G_GINT64_FORMAT " by %s: %s", held->id,
	                         mail->release->actor, result->error ? result->error
	                         : result->decision.reason ? result->decision.reason : "");
	g_free(result->decision.reason);
	result->decision.reason = g_steal_pointer(&reason);
	if (result->failure.class == FAILURE_OK)
		return TRUE;
	if (result->failure.class == FAILURE_TEMPORARY)
		g_set_error(error, STORE_ERROR, STORE_ERROR_BUSY, "%s", result->error ? result->error : "try again");
	else
		g_set_error(error, HELD_ERROR, HELD_ERROR_REFUSED, "held mail #%" G_GINT64_FORMAT " stays held: %s",
		            held->id, result->error ? result->error : result->decision.reason);
	return FALSE;
}

/* held_release_in - held_release once the transaction is open; the caller ends it. */
static gboolean
held_release_in(const ticketd_config *config, store *db, const store_held *held, inbound *mail,
                ingest_result *result, GError **error)
{
	return held_ingest(config, db, held, mail, result, error) &&
	       (store_held_settle(db, held->id, "released", result->decision.ticket, mail->release->actor,
	                          ingest_action_name(result->decision.action), store_now(), error) ||
	        held_settled_meanwhile(held->id, error)) &&
	       store_commit(db, error);
}

gboolean
held_release(const ticketd_config *config, store *db, int64_t id, const char *to_code, const char *actor,
             ingest_result *result, GError **error)
{
	g_autoptr(store_held) held = NULL;
	g_autoptr(GBytes) raw = NULL;
	g_autoptr(inbound) mail = NULL;
	g_autofree char *code = to_code ? g_ascii_strup(to_code, -1) : NULL;
	inbound_release release = { id, NULL, code, actor };
	gsize length = 0;
	const char *bytes;
	gboolean done;

	memset(result, 0, sizeof *result);
	if (!store_begin(db, error))
		return FALSE;
	if ((held = held_open(db, id, error)) == NULL || (raw = store_held_raw(db, id, error)) == NULL) {
		store_rollback(db);
		return FALSE;
	}
	release.reason = held->reason;
	bytes = g_bytes_get_data(raw, &length);
	mail = inbound_new("release", bytes ? bytes : "", length, NULL);
	mail->release = &release;
	if (!(done = held_release_in(config, db, held, mail, result, error))) {
		store_rollback(db);
		if (result->failure.class == FAILURE_OK)         /* the commit failed: nothing was kept */
			result->failure = failure_temporary();
	}
	if (result->decision.reason != NULL)
		ingest_log(mail, held->recipient, result);
	return done;
}

gboolean
held_discard(store *db, int64_t id, const char *actor, GError **error)
{
	g_autoptr(store_held) held = NULL;
	g_autofree char *who = log_printable(actor, 254);
	g_autofree char *from = NULL;

	if (!store_begin(db, error))
		return FALSE;
	if ((held = held_open(db, id, error)) == NULL) {
		store_rollback(db);
		return FALSE;
	}
	if (!store_held_settle(db, id, "discarded", NULL, actor, NULL, store_now(), error)) {
		store_rollback(db);
		return held_settled_meanwhile(id, error);
	}
	if (!store_commit(db, error)) {
		store_rollback(db);
		return FALSE;
	}
	from = log_printable(held->sender ? held->sender : "", 256);
	log_info("held #%" G_GINT64_FORMAT ": from=<%s>, action=discard, by=%s, reason=%s", id, from, who,
	         held->reason);
	return TRUE;
}
