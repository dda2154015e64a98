/*
 * notify - ticket events to mail. notify_queue() picks the recipients of one event (the
 * account, the sub-accounts that asked for mail and the watchers; for a staff notice the
 * assignee or the department's staff, never the agent who acted), refuses to mail robots
 * and ourselves, and stores in the outbox, in the caller's transaction, one composed mail
 * for the customer's side (To the account, Cc the others) and one per agent.
 * notify_flush() sends what is due: 4xx and no connection retry with backoff, 5xx fails.
 */
#include <string.h>

#include "address.h"
#include "compose.h"
#include "kb.h"
#include "log.h"
#include "notify.h"
#include "smtp.h"
#include "staff.h"

/* Lease on a row being sent: a crashed sender's rows are taken again after it. It must
 * outlast the longest send, or a slow server would let a second worker send the row too. */
#define NOTIFY_LEASE_MIN 300
#define NOTIFY_BACKOFF_FIRST 60
/* The author of a change gets no copy of their own words. */
#define NOTIFY_AUTHOR "the author of the change"
#define NOTIFY_BACKOFF_MAX 3600
/*
 * Marking a row sent after the relay said 250 is tried this often, a second apart, on a
 * busy or full database: a row left sending is sent again once its lease ends. Each try
 * first waits out the store's busy timeout (10 s); all of them stay inside the lease.
 */
#define NOTIFY_MARK_TRIES 12
G_STATIC_ASSERT(NOTIFY_MARK_TRIES * 11 < NOTIFY_LEASE_MIN);

typedef struct {
	char *address;
	char *name;
	char *language;
	const char *unmailed;       /* a rule of who is mailed left this one out: why */
} notify_recipient;

static void
notify_recipient_free(gpointer data)
{
	notify_recipient *recipient = data;

	g_free(recipient->address);
	g_free(recipient->name);
	g_free(recipient->language);
	g_free(recipient);
}

/* notify_add - one recipient, once; the new one, NULL when it was there already. */
static notify_recipient *
notify_add(GPtrArray *recipients, const char *address, const char *name, const char *language)
{
	notify_recipient *recipient;

	if (address == NULL || *address == '\0')
		return NULL;
	for (guint i = 0; i < recipients->len; i++)
		if (g_ascii_strcasecmp(((notify_recipient *)g_ptr_array_index(recipients, i))->address, address) == 0)
			return NULL;
	recipient = g_new0(notify_recipient, 1);
	/* The local part goes out as written: its host may read case in it. */
	recipient->address = g_strdup(address);
	recipient->name = g_strdup(name ? name : "");
	recipient->language = g_strdup(language ? language : "es");
	g_ptr_array_add(recipients, recipient);
	return recipient;
}

/* notify_always_to_sender - the answers to one mail go to whoever wrote it. */
static gboolean
notify_always_to_sender(notify_kind kind)
{
	return kind == NOTIFY_CREATED || kind == NOTIFY_NEW_LINKED || kind == NOTIFY_REFUSED ||
	       kind == NOTIFY_CLOSED;
}

/* notify_held_reply - the answer to a held mail: to its sender alone, no ticket needed. */
static gboolean
notify_held_reply(notify_kind kind)
{
	return kind == NOTIFY_HELD_SUBACCOUNT || kind == NOTIFY_HELD_UNKNOWN;
}

/* notify_to_author - notices meant for the author of the change: the answers to their
 * mail, what was wrong with their commands, a mail held in their name. */
static gboolean
notify_to_author(notify_kind kind)
{
	return notify_always_to_sender(kind) || notify_held_reply(kind) || kind == NOTIFY_STAFF_COMMAND_ERROR ||
	       kind == NOTIFY_STAFF_HELD;
}

/*
 * notify_staff_recipients - one named agent (assigned, held, command error), else the
 * ticket's assignee, else its department's staff ([ticketd] staff included).
 */
static GPtrArray *
notify_staff_recipients(const ticketd_config *config, const notify_event *event, const store_ticket *ticket)
{
	GPtrArray *recipients = g_ptr_array_new_with_free_func(notify_recipient_free);
	g_autoptr(GPtrArray) agents = NULL;

	if (event->agent != NULL || ticket->assignee != NULL) {
		notify_add(recipients, event->agent ? event->agent : ticket->assignee, NULL, config->language);
		return recipients;
	}
	agents = staff_of_department(config, ticket->department);
	for (guint i = 0; i < agents->len; i++)
		notify_add(recipients, g_ptr_array_index(agents, i), NULL, config->language);
	return recipients;
}

/* notify_author_role - account, subaccount, staff or other: who wrote a staff notice's text. */
static const char *
notify_author_role(const ticketd_config *config, store *db, const store_ticket *ticket, const char *author)
{
	store_subaccount subaccount = { 0 };
	const char *role = "other";

	if (author == NULL)
		return role;
	if (ticket->account_email != NULL && address_equal(ticket->account_email, author))
		return "account";
	if (config_is_staff(config, author))
		return "staff";
	if (store_subaccount_by_email(db, author, &subaccount, NULL) && subaccount.account_id == ticket->account_id)
		role = "subaccount";
	store_subaccount_clear(&subaccount);
	return role;
}

/* notify_add_watchers - the people in copy, on every notice but a refusal (the sender's alone). */
static gboolean
notify_add_watchers(store *db, const notify_event *event, const store_ticket *ticket, GPtrArray *recipients,
                    const char *language, GError **error)
{
	g_autoptr(GPtrArray) watchers = NULL;

	if (event->kind == NOTIFY_REFUSED)
		return TRUE;
	if ((watchers = store_watcher_list(db, ticket->id, error)) == NULL)
		return FALSE;
	for (guint i = 0; i < watchers->len; i++)
		notify_add(recipients, g_ptr_array_index(watchers, i), NULL, language);
	return TRUE;
}

/*
 * notify_recipients - the account, its sub-accounts that asked for mail, the sender,
 * the ticket's watchers.
 * A disabled account gets nothing, nor do the sub-accounts it had authorized.
 */
static GPtrArray *
notify_recipients(store *db, const notify_event *event, const store_ticket *ticket, GError **error)
{
	g_autoptr(GPtrArray) recipients = g_ptr_array_new_with_free_func(notify_recipient_free);
	g_autoptr(GPtrArray) subaccounts = NULL;
	store_account account = { 0 };
	gboolean ok;

	if (!store_account_by_id(db, ticket->account_id, &account, error)) {
		if (error != NULL && *error != NULL)
			return NULL;
		return g_steal_pointer(&recipients);    /* a ticket without account mails no one */
	}
	if (!account.disabled)
		notify_add(recipients, account.email, account.name, account.language);
	if (notify_always_to_sender(event->kind))
		notify_add(recipients, event->sender, NULL, account.language);
	if (account.disabled) {             /* its sub-accounts were authorized through it */
		store_account_clear(&account);
		return g_steal_pointer(&recipients);
	}
	if ((subaccounts = store_subaccount_list(db, account.id, error)) == NULL) {
		store_account_clear(&account);
		return NULL;
	}
	for (guint i = 0; i < subaccounts->len; i++) {
		const store_subaccount *sub = g_ptr_array_index(subaccounts, i);

		notify_recipient *added = notify_add(recipients, sub->email, NULL, account.language);

		/* Listed all the same, so that who was not told is on record with the reason. */
		if (added != NULL && !sub->notify)
			added->unmailed = "no notify right";
	}
	ok = notify_add_watchers(db, event, ticket, recipients, account.language, error);
	store_account_clear(&account);
	return ok ? g_steal_pointer(&recipients) : NULL;
}

/* notify_suppressed - why a recipient must not be mailed, or NULL. */
static const char *
notify_suppressed(const ticketd_config *config, store *db, const notify_event *event,
                  const char *address, int64_t now, GError **error)
{
	const char *bounced;
	int recent;

	if (!address_valid(address))
		return "invalid address";
	/* Agents' mailboxes are often on the desk's own domain: for them only the desk's
	 * addresses themselves count as ours. */
	if (NOTIFY_IS_STAFF(event->kind) ? config_department_for(config, address, NULL) != NULL ||
	                                   address_equal(address, config->smtp.from_address)
	                                 : address_is_ours(config, address))
		return "our own address";
	if (address_is_robot(address))
		return "a robot's address (bounce or no-reply)";
	if (!NOTIFY_IS_STAFF(event->kind) && config_is_staff(config, address))
		return "staff address";
	if (NOTIFY_IS_STAFF(event->kind) && config->secret == NULL)
		return "no key to sign the agent's reply address (secret_file)";
	if (event->actor != NULL && g_ascii_strcasecmp(event->actor, address) == 0 &&
	    !notify_to_author(event->kind))
		return NOTIFY_AUTHOR;
	/* A permanent bounce stops every notice, a person's too: the address does not take
	 * our mail until it writes in again or staff unbounces it. */
	if ((bounced = store_address_bouncing(db, address, error)) != NULL)
		return bounced;
	/* auto_per_hour is against robots answering robots: a person's action is always told,
	 * and so is the desk's own staff, whose auto-replies ticketd never answers (a busy
	 * hour must not silence the agents). */
	if (!compose_automatic(event->kind) || event->person || NOTIFY_IS_STAFF(event->kind) ||
	    (error != NULL && *error != NULL))
		return NULL;
	if ((recent = store_outbox_count_recent(db, address, now - 3600,
	                                            config->smtp.auto_per_hour + 1, error)) < 0)
		return NULL;
	return recent >= config->smtp.auto_per_hour ? "over auto_per_hour automatic mails in the last hour" : NULL;
}

/* The help-centre articles of one event, searched once per language of its recipients. */
typedef struct {
	GPtrArray *articles;
	const char *language;
} notify_suggested;

/*
 * notify_suggestions - the help-centre articles a new ticket's confirmation offers, for
 * the words of the mail that opened it, and the staff notice of it lists (so an agent
 * can answer with one); NULL for other notices. A failed search only costs the
 * suggestions: the notice goes out without them.
 */
static GPtrArray *
notify_suggestions(const ticketd_config *config, store *db, const notify_event *event,
                   const store_ticket *ticket, const char *language)
{
	g_autoptr(GPtrArray) thread = NULL;
	g_autofree char *words = NULL;
	const store_message_row *first;

	if ((event->kind != NOTIFY_CREATED && event->kind != NOTIFY_STAFF_NEW) ||
	    config->kb.suggestions == 0 ||
	    (thread = store_message_list(db, ticket->id, NULL)) == NULL || thread->len == 0)
		return NULL;
	first = thread->pdata[0];
	words = g_strdup_printf("%s\n%s", ticket->subject, first->new_text ? first->new_text : "");
	return kb_suggest(db, language, ticket->department, words, config->kb.threshold,
	                  config->kb.suggestions, NULL);
}

/* notify_suggested_in - the event's suggestions in language, searched only when the
 * previous recipient read another language. */
static const GPtrArray *
notify_suggested_in(const ticketd_config *config, notify_suggested *suggested, store *db,
                    const notify_event *event, const store_ticket *ticket, const char *language)
{
	if (suggested->language == NULL || strcmp(suggested->language, language) != 0) {
		g_clear_pointer(&suggested->articles, g_ptr_array_unref);
		suggested->articles = notify_suggestions(config, db, event, ticket, language);
		suggested->language = language;
	}
	return suggested->articles;
}

/* notify_verp - a signed return path of the row's own, when it has one at all and there is a key. */
static gboolean
notify_verp(const ticketd_config *config, store *db, const store_outbox_row *row, GError **error)
{
	const char *at = strrchr(row->envelope_from, '@');
	g_autofree char *detail = g_strdup_printf(NOTIFY_VERP_DETAIL "%" G_GINT64_FORMAT, row->id);
	g_autofree char *token = at != NULL ? staff_token(config, detail, row->recipient) : NULL;
	g_autofree char *verp = NULL;

	if (token == NULL)
		return TRUE;
	verp = g_strdup_printf("%.*s+%s.%s%s", (int)(at - row->envelope_from), row->envelope_from, detail, token, at);
	return store_outbox_set_envelope_from(db, row->id, verp, error);
}

/*
 * notify_queue_mail - one composed mail To the first of mailed, Cc the others, and one
 * outbox row per recipient of those same bytes: each envelope recipient gets it once,
 * and each row retries, fails or is suppressed on its own.
 */
static gboolean
notify_queue_mail(const ticketd_config *config, store *db, const notify_event *event,
                  const store_ticket *ticket, const GPtrArray *mailed, notify_suggested *suggested, int64_t now,
                  GError **error)
{
	const notify_recipient *to = g_ptr_array_index(mailed, 0);
	const GPtrArray *suggestions = notify_suggested_in(config, suggested, db, event, ticket, to->language);
	g_autoptr(GPtrArray) cc = g_ptr_array_new();
	g_autoptr(GPtrArray) thread = NOTIFY_IS_STAFF(event->kind) ? NULL : store_thread_ids(db, ticket->id, error);
	compose_request request = {
		.kind = event->kind, .ticket = ticket, .recipient = to->address,
		.recipient_name = to->name, .language = to->language, .event = event,
		.suggestions = suggestions, .cc = cc, .thread = thread,
		.author_role = NOTIFY_IS_STAFF(event->kind) ? notify_author_role(config, db, ticket, event->author) : NULL,
	};
	g_autofree char *message_id = NULL;
	g_autoptr(GBytes) mail = NULL;

	if (!NOTIFY_IS_STAFF(event->kind) && thread == NULL)
		return FALSE;
	for (guint i = 1; i < mailed->len; i++)
		g_ptr_array_add(cc, ((notify_recipient *)g_ptr_array_index(mailed, i))->address);
	mail = compose_mail(config, &request, &message_id);
	for (guint i = 0; i < mailed->len; i++) {
		store_outbox_row row = {
			.ticket_id = ticket->id, .recipient = ((notify_recipient *)g_ptr_array_index(mailed, i))->address,
			.kind = (char *)event_notice_name(event->kind), .message_id = message_id,
			.envelope_from = compose_automatic(event->kind) ? "" : config->smtp.envelope_from,
			.mail = mail, .next_try = now, .created = now, .state = OUTBOX_QUEUED, .person = event->person,
		};

		if ((row.id = store_outbox_add(db, &row, error)) <= 0 || !notify_verp(config, db, &row, error))
			return FALSE;
	}
	return ticket->id == 0 || store_message_id_add(db, message_id, ticket->id, error);
}

/* notify_record_suppressed - a row that says who was not mailed, and why. */
static gboolean
notify_record_suppressed(store *db, const notify_event *event, const store_ticket *ticket,
                         const char *address, const char *reason, int64_t now, GError **error)
{
	g_autoptr(GBytes) nothing = g_bytes_new_static("", 0);
	store_outbox_row row = {
		.ticket_id = ticket->id, .recipient = (char *)address, .kind = (char *)event_notice_name(event->kind),
		.envelope_from = "", .mail = nothing, .next_try = now, .created = now, .state = OUTBOX_SUPPRESSED,
		.last_error = (char *)reason,
	};
	g_autofree char *printable = log_printable(address, 254);

	log_info("%s: to=<%s>, %s notification suppressed: reason=%s", *ticket->code ? ticket->code : "NOQUEUE",
	         printable,
	         event_notice_name(event->kind), reason);
	return store_outbox_add(db, &row, error) > 0;
}

/* notify_log_author - the one line a postmaster greps for when someone was not told. */
static void
notify_log_author(const store_ticket *ticket, const notify_event *event, const char *address)
{
	g_autofree char *printable = log_printable(address, 254);

	log_info("%s: to=<%s>, %s notification not sent: %s", ticket->code, printable,
	         event_notice_name(event->kind), NOTIFY_AUTHOR);
}

/*
 * notify_queue_mailed - the customer's side gets one mail for all; each agent their own,
 * since each has a Reply-To signed for them alone.
 */
static gboolean
notify_queue_mailed(const ticketd_config *config, store *db, const notify_event *event,
                    const store_ticket *ticket, GPtrArray *mailed, notify_suggested *suggested, int64_t now,
                    GError **error)
{
	if (mailed->len == 0)
		return TRUE;
	if (!NOTIFY_IS_STAFF(event->kind))
		return notify_queue_mail(config, db, event, ticket, mailed, suggested, now, error);
	for (guint i = 0; i < mailed->len; i++) {
		g_autoptr(GPtrArray) one = g_ptr_array_new();

		g_ptr_array_add(one, g_ptr_array_index(mailed, i));
		if (!notify_queue_mail(config, db, event, ticket, one, suggested, now, error))
			return FALSE;
	}
	return TRUE;
}

/*
 * notify_ticket - the ticket a notice is about; for held mail that reached no ticket, one
 * made of the department and subject alone (code "", id 0), so the sender and the
 * department's staff are told all the same. FALSE when there is nothing to tell about.
 */
static gboolean
notify_ticket(store *db, const notify_event *event, store_ticket *ticket, GError **error)
{
	if (event->ticket_id != 0 || (event->kind != NOTIFY_STAFF_HELD && !notify_held_reply(event->kind)))
		return store_ticket_by_id(db, event->ticket_id, ticket, error);
	if (event->department == NULL)
		return FALSE;
	ticket->code = g_strdup("");
	ticket->department = g_strdup(event->department);
	ticket->subject = g_strdup(event->subject ? event->subject : "");
	ticket->status = g_strdup("");
	return TRUE;
}

gboolean
notify_queue(const ticketd_config *config, store *db, const notify_event *event, int64_t now, GError **error)
{
	store_ticket ticket = { 0 };
	g_autoptr(GPtrArray) recipients = NULL;
	g_autoptr(GPtrArray) mailed = g_ptr_array_new();
	notify_suggested suggested = { 0 };
	gboolean ok = TRUE;

	if (!notify_ticket(db, event, &ticket, error))
		return error == NULL || *error == NULL;     /* no ticket: nothing to tell */
	if (NOTIFY_IS_STAFF(event->kind))
		recipients = notify_staff_recipients(config, event, &ticket);
	else if (notify_held_reply(event->kind)) {
		recipients = g_ptr_array_new_with_free_func(notify_recipient_free);
		notify_add(recipients, event->sender, NULL, config->language);
	} else if ((recipients = notify_recipients(db, event, &ticket, error)) == NULL) {
		store_ticket_clear(&ticket);
		return FALSE;
	}
	for (guint i = 0; ok && i < recipients->len; i++) {
		notify_recipient *recipient = g_ptr_array_index(recipients, i);
		const char *reason = recipient->unmailed ? recipient->unmailed
		                     : notify_suppressed(config, db, event, recipient->address, now, error);

		if (error != NULL && *error != NULL)
			ok = FALSE;
		else if (reason != NULL && strcmp(reason, NOTIFY_AUTHOR) == 0)
			notify_log_author(&ticket, event, recipient->address);   /* a rule, not a suppression */
		else if (reason != NULL)
			ok = notify_record_suppressed(db, event, &ticket, recipient->address, reason, now, error);
		else
			g_ptr_array_add(mailed, recipient);
	}
	ok = ok && notify_queue_mailed(config, db, event, &ticket, mailed, &suggested, now, error);
	g_clear_pointer(&suggested.articles, g_ptr_array_unref);
	store_ticket_clear(&ticket);
	return ok;
}

/* notify_backoff - exponential, capped, with jitter so retries do not come in herds. */
static int64_t
notify_backoff(int attempts)
{
	int64_t delay = NOTIFY_BACKOFF_FIRST << MIN(attempts, 10);

	delay = MIN(delay, NOTIFY_BACKOFF_MAX);
	return delay + g_random_int_range(0, (gint32)(delay / 4 + 1));
}

/* notify_lease - longer than the longest send the SMTP client allows. */
static int64_t
notify_lease(const ticketd_config *config)
{
	int64_t longest = (int64_t)MAX(config->smtp.timeout, 1) * SMTP_TRANSFER_TIMEOUTS + 60;

	return MAX(longest, NOTIFY_LEASE_MIN);
}

/* notify_retryable - a store error that waiting may cure: busy, or full. */
static gboolean
notify_retryable(const GError *error)
{
	return error != NULL && error->domain == STORE_ERROR &&
	       (error->code == STORE_ERROR_BUSY || error->code == STORE_ERROR_FULL);
}

/* notify_mark_sent - the relay took the mail: the mark must hold, or it goes out twice. */
static gboolean
notify_mark_sent(store *db, const store_outbox_row *row, int attempts, int64_t now, GError **error)
{
	for (int try = 1;; try++) {
		g_autoptr(GError) local = NULL;

		if (store_outbox_mark(db, row->id, OUTBOX_SENT, attempts, now, NULL, &local))
			return TRUE;
		if (try == NOTIFY_MARK_TRIES || !notify_retryable(local)) {
			log_warning("outbox %" G_GINT64_FORMAT ": sent, but not marked sent after %d tries (%s): "
			            "it goes out once more when its lease ends", row->id, try, local->message);
			g_propagate_error(error, g_steal_pointer(&local));
			return FALSE;
		}
		log_warning("outbox %" G_GINT64_FORMAT ": sent; marking it sent failed (%s), trying again",
		            row->id, local->message);
		g_usleep(G_USEC_PER_SEC);
	}
}

/*
 * notify_settle - record the outcome of one attempt. A temporary failure is retried until
 * the row is retry_max_age old; the first attempt after `outbox retry` always is.
 */
static gboolean
notify_settle(const ticketd_config *config, store *db, const store_outbox_row *row, failure_class result,
              const char *reason, int64_t now, GError **error)
{
	int attempts = row->attempts + 1;
	g_autofree char *printable = log_printable(row->recipient, 254);
	g_autofree char *why = log_printable(reason ? reason : "", 400);
	g_autofree char *detail = NULL;

	if (result == FAILURE_OK) {
		log_info("outbox %" G_GINT64_FORMAT ": to=<%s>, message-id=<%s>, kind=%s, status=sent", row->id,
		         printable, row->message_id, row->kind);
		return notify_mark_sent(db, row, attempts, now, error);
	}
	if (result == FAILURE_TEMPORARY && (row->attempts == 0 || now - row->created < config->smtp.retry_max_age)) {
		int64_t next = now + notify_backoff(row->attempts);

		log_warning("outbox %" G_GINT64_FORMAT ": to=<%s>, kind=%s, attempt %d, status=deferred (%s), "
		            "next try in %" G_GINT64_FORMAT " s", row->id, printable, row->kind, attempts, why, next - now);
		return store_outbox_mark(db, row->id, OUTBOX_QUEUED, attempts, next, reason, error);
	}
	if (result == FAILURE_TEMPORARY)
		detail = g_strdup_printf("gave up after %d attempts: %s", attempts, reason ? reason : "");
	log_warning("outbox %" G_GINT64_FORMAT ": to=<%s>, kind=%s, status=failed (%s)", row->id, printable,
	            row->kind, detail ? detail : why);
	return store_outbox_mark(db, row->id, OUTBOX_FAILED, attempts, now, detail ? detail : reason, error) &&
	       (row->ticket_id == 0 ||
	        store_event_add(db, row->ticket_id, EVENT_DELIVERY_FAILED, "ticketd", NULL, NULL,
	                        detail ? detail : reason, now, error));
}

int
notify_flush(const ticketd_config *config, store *db, GError **error)
{
	return notify_flush_report(config, db, NULL, error);
}

/*
 * notify_flush_report - claim, send, mark, until nothing is due. One SMTP client (so one
 * connection) for the whole run. When no server answers at all, or TLS or login fails,
 * the rest wait for the next run instead of each failing the same way.
 */
int
notify_flush_report(const ticketd_config *config, store *db, gboolean *relay_down, GError **error)
{
	g_autoptr(smtp_client) client = NULL;
	int64_t lease = notify_lease(config);
	int sent = 0;
	store_outbox_row *row;

	while ((row = store_outbox_claim(db, store_now(), lease, error)) != NULL) {
		g_autofree char *reason = NULL;
		failure_class result;
		gboolean ok;

		if (client == NULL)
			client = smtp_client_new(config);
		result = smtp_send(client, row->envelope_from, row->recipient, row->mail, &reason);
		ok = notify_settle(config, db, row, result, reason, store_now(), error);
		if (result == FAILURE_OK)
			sent++;
		store_outbox_row_free(row);
		if (!ok)
			return -1;
		if (result != FAILURE_TEMPORARY)
			continue;
		if (smtp_needs_operator(client)) {
			/* TLS, login or setup: every other row would fail the same way. */
			log_warning("smtp %s: %s: check [smtp] in the configuration, the server or its certificate",
			            config->smtp.url, reason);
		} else if (smtp_last_reply(client) / 100 == 4 && smtp_last_reply(client) != 421) {
			/* A 4xx for this mail: the next may go. 421 is the relay closing (RFC 5321
			 * §3.8), and any other code here means the connection broke mid-mail. */
			continue;
		}
		if (relay_down != NULL)
			*relay_down = TRUE;
		break;
	}
	return error != NULL && *error != NULL ? -1 : sent;
}
