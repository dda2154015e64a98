/*
 * ticket - the one home of every ticket transition. Each writes, in the caller's open
 * transaction, the status, the event that records it and the notices it asks for, so
 * a change reads the same in the history whether a mail, a person or the sweeper made it.
 */
#include <string.h>

#include "code.h"
#include "event.h"
#include "log.h"
#include "notify.h"
#include "status.h"
#include "ticket-private.h"

/* A ticket opened by a mail without a subject still needs one a person can read. */
#define TICKET_NO_SUBJECT "(sin asunto)"
/* Codes drawn before the mask is declared too small for the tickets it must tell apart. */
#define TICKET_CODE_TRIES 1000

G_DEFINE_QUARK(ticketd-ticket-error-quark, ticket_error)

/* ticket_notify - the notices of one event, answering the mail that caused it (if any). */
gboolean
ticket_notify(const ticket_change *change, notify_event *event, GError **error)
{
	event->actor = change->actor;
	event->sender = change->sender;
	if (event->in_reply_to == NULL)
		event->in_reply_to = change->in_reply_to;
	event->references = change->references;
	return notify_queue(change->config, change->store, event, change->now, error);
}

/* ticket_add_message - the message and its attachments on a ticket; its row id, 0 on error. */
int64_t
ticket_add_message(const ticket_change *change, int64_t ticket_id, const char *direction,
                   const ticket_message *message, GError **error)
{
	store_message_row row = *message->row;
	int64_t id;

	row.ticket_id = ticket_id;
	row.direction = direction;
	row.created = change->now;
	if ((id = store_message_add(change->store, &row, error)) <= 0)
		return 0;
	/* Before any notice of this change is queued: the people copied are mailed with it. */
	for (guint i = 0; change->watchers != NULL && i < change->watchers->len; i++)
		if (!store_watcher_add(change->store, ticket_id, g_ptr_array_index(change->watchers, i), change->now,
		                       error))
			return 0;
	for (guint i = 0; message->attachments != NULL && i < message->attachments->len; i++) {
		const mail_attachment *attachment = g_ptr_array_index(message->attachments, i);

		if (!store_attachment_add(change->store, id, attachment->filename, attachment->content_type,
		                          attachment->size, attachment->sha256, attachment->data, error))
			return 0;
	}
	return id;
}

/* ticket_record_status - the new status and the event of kind that records the move. */
gboolean
ticket_record_status(const ticket_change *change, const store_ticket *ticket, const char *status,
                     const char *kind, const char *detail, GError **error)
{
	return store_ticket_set_status(change->store, ticket->id, status, change->now, error) &&
	       store_event_add(change->store, ticket->id, kind, change->actor, ticket->status, status, detail,
	                       change->now, error);
}

/* ticket_code_rand - random codes; $TICKETD_CODE_SEED makes them a function of the mail. */
static GRand *
ticket_code_rand(const ticket_change *change)
{
	const char *seed = g_getenv("TICKETD_CODE_SEED");

	if (seed == NULL || *seed == '\0')
		return g_rand_new();
	return g_rand_new_with_seed(g_str_hash(seed) ^ g_str_hash(change->code_seed ? change->code_seed : "") ^
	                            g_str_hash(change->department ? change->department : ""));
}

/* ticket_new_code - a code from the configured mask that no ticket has; NULL on error. */
static char *
ticket_new_code(const ticket_change *change, GError **error)
{
	g_autoptr(GRand) rand = ticket_code_rand(change);
	const char *mask = change->config->code_mask;

	for (int tries = 0;; tries++) {
		g_autofree char *code = code_generate(mask, rand);
		GError *lookup = NULL;

		if (!store_code_exists(change->store, code, &lookup) && lookup == NULL)
			return g_steal_pointer(&code);
		if (lookup != NULL) {
			g_propagate_error(error, lookup);
			return NULL;
		}
		if (tries == TICKET_CODE_TRIES)
			log_panic("no free ticket code for mask %s after %d tries", mask, TICKET_CODE_TRIES);
	}
}

/* ticket_create - the ticket, open, in the change's department, holding message (of
 * direction); EVENT_CREATED. */
int64_t
ticket_create(const ticket_change *change, int64_t account_id, const char *direction, const ticket_message *message,
              char **code_out, GError **error)
{
	const char *subject = message->row->subject;
	g_autofree char *code = ticket_new_code(change, error);
	int64_t id;

	if (code == NULL)
		return 0;
	if (subject == NULL || *subject == '\0')
		subject = TICKET_NO_SUBJECT;
	if ((id = store_ticket_add(change->store, code, account_id, change->department, subject, STATUS_OPEN,
	                           change->now, error)) <= 0 ||
	    !store_ticket_touch_customer(change->store, id, change->now, error) ||
	    ticket_add_message(change, id, direction, message, error) == 0 ||
	    !store_event_add(change->store, id, EVENT_CREATED, change->actor, NULL, STATUS_OPEN, NULL,
	                     change->now, error))
		return 0;
	*code_out = g_steal_pointer(&code);
	return id;
}

gboolean
ticket_tell_staff(const ticket_change *change, notify_kind kind, int64_t ticket_id, const ticket_message *message,
                  GError **error)
{
	notify_event event = {
		.kind = kind, .ticket_id = ticket_id, .text = message->row->new_text, .author = message->row->author,
		.attachments = message->attachments,
	};

	return ticket_notify(change, &event, error);
}

int64_t
ticket_open(const ticket_change *change, int64_t account_id, const ticket_message *message,
            char **code, GError **error)
{
	int64_t id = ticket_create(change, account_id, MESSAGE_IN, message, code, error);
	notify_event event = { .kind = NOTIFY_CREATED, .ticket_id = id, .new_status = STATUS_OPEN };

	if (id == 0)
		return 0;
	if (!ticket_notify(change, &event, error) || !ticket_tell_staff(change, NOTIFY_STAFF_NEW, id, message, error)) {
		g_clear_pointer(code, g_free);
		return 0;
	}
	return id;
}

/* ticket_link - closed_reply = new: a new ticket for the reply, naming the closed one. */
static gboolean
ticket_link(const ticket_change *change, const store_ticket *closed, const ticket_message *message,
            char **new_code, GError **error)
{
	int64_t id = ticket_create(change, closed->account_id, MESSAGE_IN, message, new_code, error);
	notify_event event = {
		.kind = NOTIFY_NEW_LINKED, .ticket_id = id, .new_status = STATUS_OPEN, .linked_code = closed->code,
	};

	return id != 0 &&
	       store_event_add(change->store, id, EVENT_LINKED, change->actor, NULL, NULL, closed->code,
	                       change->now, error) &&
	       ticket_notify(change, &event, error) && ticket_tell_staff(change, NOTIFY_STAFF_NEW, id, message, error);
}

/* ticket_refuse - closed_reply = reject: kept on the closed ticket, and the sender told. */
static gboolean
ticket_refuse(const ticket_change *change, const store_ticket *closed, const ticket_message *message,
              GError **error)
{
	notify_event event = { .kind = NOTIFY_REFUSED, .ticket_id = closed->id, .linked_code = closed->code };

	return ticket_add_message(change, closed->id, MESSAGE_IN, message, error) != 0 &&
	       store_event_add(change->store, closed->id, EVENT_REFUSED, change->actor, NULL, NULL,
	                       "reply to a closed ticket", change->now, error) &&
	       ticket_notify(change, &event, error);
}

/* ticket_closed_policy - what a reply to this closed ticket does: its department's rule. */
static closed_reply_policy
ticket_closed_policy(const ticketd_config *config, const store_ticket *ticket)
{
	const department_config *department = config_department_by_slug(config, ticket->department);

	return department ? department->closed_reply : config->closed_reply;
}

/* ticket_append_reply - appended as customer_reply; a resolved or closed ticket reopens. */
static gboolean
ticket_append_reply(const ticket_change *change, const store_ticket *ticket, const ticket_message *message,
                    gboolean reopen, GError **error)
{
	notify_event event = {
		.kind = NOTIFY_REOPENED, .ticket_id = ticket->id, .old_status = ticket->status,
		.new_status = STATUS_CUSTOMER_REPLY,
	};

	if (ticket_add_message(change, ticket->id, MESSAGE_IN, message, error) == 0 ||
	    !store_ticket_touch_customer(change->store, ticket->id, change->now, error))
		return FALSE;
	if (strcmp(ticket->status, STATUS_CUSTOMER_REPLY) != 0 &&
	    !ticket_record_status(change, ticket, STATUS_CUSTOMER_REPLY, reopen ? EVENT_REOPENED : EVENT_STATUS,
	                          NULL, error))
		return FALSE;
	return (!reopen || ticket_notify(change, &event, error)) &&
	       ticket_tell_staff(change, reopen ? NOTIFY_STAFF_REOPENED : NOTIFY_STAFF_CUSTOMER_REPLY, ticket->id,
	                         message, error);
}

gboolean
ticket_customer_reply(const ticket_change *change, const store_ticket *ticket, const ticket_message *message,
                      ticket_reply_effect *effect, char **new_code, GError **error)
{
	gboolean closed = strcmp(ticket->status, STATUS_CLOSED) == 0;
	gboolean reopen = closed || strcmp(ticket->status, STATUS_RESOLVED) == 0;

	switch (closed ? ticket_closed_policy(change->config, ticket) : CLOSED_REPLY_REOPEN) {
	case CLOSED_REPLY_NEW:
		*effect = TICKET_LINKED;
		return ticket_link(change, ticket, message, new_code, error);
	case CLOSED_REPLY_REJECT:
		*effect = TICKET_REFUSED;
		return ticket_refuse(change, ticket, message, error);
	case CLOSED_REPLY_REOPEN:
		break;
	}
	*effect = reopen ? TICKET_REOPENED : TICKET_REPLIED;
	return ticket_append_reply(change, ticket, message, reopen, error);
}

const char *
ticket_reply_status(const char *chosen)
{
	return chosen != NULL ? chosen : STATUS_ANSWERED;
}

/* ticket_last_customer_id - the Message-ID of the customer's latest mail, for threading. */
static char *
ticket_last_customer_id(store *db, int64_t ticket_id)
{
	g_autoptr(GPtrArray) thread = store_message_list(db, ticket_id, NULL);
	char *found = NULL;

	for (guint i = 0; thread != NULL && i < thread->len; i++) {
		const store_message_row *row = g_ptr_array_index(thread, i);

		if (strcmp(row->direction, MESSAGE_IN) == 0 && row->message_id != NULL) {
			g_free(found);
			found = g_strdup(row->message_id);
		}
	}
	return found;
}

/*
 * ticket_staff_reply - a reply typed at ticketctl, or mailed to a signed address (the
 * change carries no threading), answers the customer's latest mail; one that came by
 * the unsigned path answers what that mail answered (the change's threading).
 */
gboolean
ticket_staff_reply(const ticket_change *change, const store_ticket *ticket, const ticket_reply *reply,
                   GError **error)
{
	const char *status = ticket_reply_status(reply->status);
	g_autofree char *latest = change->in_reply_to == NULL ? ticket_last_customer_id(change->store, ticket->id)
	                          : NULL;
	store_message_row typed = {
		.author = change->actor, .subject = ticket->subject, .text = reply->text, .new_text = reply->text,
	};
	ticket_message message = { reply->mail.row ? reply->mail.row : &typed, reply->mail.attachments };
	notify_event event = {
		.kind = NOTIFY_STAFF_REPLY, .ticket_id = ticket->id, .old_status = ticket->status,
		.new_status = status, .text = reply->text, .in_reply_to = latest,
		.attachments = reply->mail.attachments,
	};

	if (ticket_add_message(change, ticket->id, MESSAGE_OUT, &message, error) == 0 ||
	    !store_event_add(change->store, ticket->id, EVENT_REPLY, change->actor, ticket->status, status, NULL,
	                     change->now, error))
		return FALSE;
	if (strcmp(ticket->status, status) != 0 &&
	    !store_ticket_set_status(change->store, ticket->id, status, change->now, error))
		return FALSE;
	return ticket_notify(change, &event, error);
}

/* ticket_content_type - a type from the file name, for the common attachments. */
static const char *
ticket_content_type(const char *name)
{
	static const char *const types[][2] = {
		{ ".pdf", "application/pdf" }, { ".txt", "text/plain" }, { ".png", "image/png" },
		{ ".jpg", "image/jpeg" }, { ".jpeg", "image/jpeg" }, { ".zip", "application/zip" },
		{ ".csv", "text/csv" }, { ".log", "text/plain" },
	};
	g_autofree char *lower = g_ascii_strdown(name, -1);

	for (gsize i = 0; i < G_N_ELEMENTS(types); i++)
		if (g_str_has_suffix(lower, types[i][0]))
			return types[i][1];
	return "application/octet-stream";
}

/* ticket_attachment_name - the file's name, without controls that could break a header. */
static char *
ticket_attachment_name(const char *path)
{
	char *name = g_path_get_basename(path);

	for (char *p = name; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '_';
	return name;
}

/* ticket_attachment_load - one file as a mail attachment; NULL when unreadable or too big. */
static mail_attachment *
ticket_attachment_load(const char *path, GError **error)
{
	char *data = NULL;
	gsize length;
	mail_attachment *attachment;
	g_autofree char *sha256 = NULL;

	if (!g_file_get_contents(path, &data, &length, error))
		return NULL;
	if (length > TICKET_ATTACH_MAX) {
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_NOSPC, "%s is larger than %d bytes", path, TICKET_ATTACH_MAX);
		g_free(data);
		return NULL;
	}
	sha256 = g_compute_checksum_for_data(G_CHECKSUM_SHA256, (const guchar *)data, length);
	attachment = g_new0(mail_attachment, 1);
	attachment->filename = ticket_attachment_name(path);
	attachment->content_type = g_strdup(ticket_content_type(attachment->filename));
	attachment->size = length;
	g_strlcpy(attachment->sha256, sha256, sizeof attachment->sha256);
	attachment->data = g_bytes_new_take(data, length);
	return attachment;
}

GPtrArray *
ticket_attachments_load(char **paths, GError **error)
{
	g_autoptr(GPtrArray) attachments = g_ptr_array_new_with_free_func(mail_attachment_free);

	for (int i = 0; paths != NULL && paths[i] != NULL; i++) {
		mail_attachment *attachment = ticket_attachment_load(paths[i], error);

		if (attachment == NULL)
			return NULL;
		g_ptr_array_add(attachments, attachment);
	}
	return g_steal_pointer(&attachments);
}

/* ticket_move - a person's status change: EVENT_STATUS and NOTIFY_STATUS, which a person
 * caused and so is sent whatever auto_per_hour says. */
static gboolean
ticket_move(const ticket_change *change, const store_ticket *ticket, const char *status, GError **error)
{
	notify_event event = {
		.kind = NOTIFY_STATUS, .ticket_id = ticket->id, .old_status = ticket->status, .new_status = status,
		.person = TRUE,
	};

	return ticket_record_status(change, ticket, status, EVENT_STATUS, NULL, error) &&
	       ticket_notify(change, &event, error);
}

gboolean
ticket_set_status(const ticket_change *change, const store_ticket *ticket, const char *status, GError **error)
{
	return strcmp(ticket->status, status) == 0 || ticket_move(change, ticket, status, error);
}

const char *
ticket_close(const ticket_change *change, const store_ticket *ticket, GError **error)
{
	if (strcmp(ticket->status, STATUS_CLOSED) == 0) {
		g_set_error(error, TICKET_ERROR, TICKET_ERROR_CLOSED, "%s is %s; it is closed already",
		            ticket->code, ticket->status);
		return NULL;
	}
	return ticket_move(change, ticket, STATUS_CLOSED, error) ? STATUS_CLOSED : NULL;
}

gboolean
ticket_customer_close(const ticket_change *change, const store_ticket *ticket, const ticket_message *message,
                      gboolean *closed, GError **error)
{
	notify_event event = {
		.kind = NOTIFY_CLOSED, .ticket_id = ticket->id, .old_status = ticket->status,
		.new_status = STATUS_CLOSED,
	};

	*closed = strcmp(ticket->status, STATUS_CLOSED) != 0;
	if (ticket_add_message(change, ticket->id, MESSAGE_IN, message, error) == 0 ||
	    !store_ticket_touch_customer(change->store, ticket->id, change->now, error))
		return FALSE;
	if (!*closed)
		return TRUE;
	return ticket_record_status(change, ticket, STATUS_CLOSED, EVENT_STATUS, "closed by the customer's mail",
	                            error) &&
	       ticket_notify(change, &event, error) &&
	       ticket_tell_staff(change, NOTIFY_STAFF_CUSTOMER_REPLY, ticket->id, message, error);
}

const char *
ticket_reopen(const ticket_change *change, const store_ticket *ticket, GError **error)
{
	if (strcmp(ticket->status, STATUS_CLOSED) != 0 && strcmp(ticket->status, STATUS_RESOLVED) != 0) {
		g_set_error(error, TICKET_ERROR, TICKET_ERROR_NOT_REOPENABLE,
		            "%s is %s; only a resolved or closed ticket can be reopened", ticket->code, ticket->status);
		return NULL;
	}
	return ticket_move(change, ticket, STATUS_OPEN, error) ? STATUS_OPEN : NULL;
}

gboolean
ticket_sweep(const ticket_change *change, const store_ticket *ticket, const char *status, const char *detail,
             GError **error)
{
	notify_event event = {
		.kind = strcmp(status, STATUS_CLOSED) == 0 ? NOTIFY_AUTO_CLOSED : NOTIFY_STATUS,
		.ticket_id = ticket->id, .old_status = ticket->status, .new_status = status,
	};

	return ticket_record_status(change, ticket, status, EVENT_SWEEP, detail, error) &&
	       ticket_notify(change, &event, error);
}

gboolean
ticket_remind(const ticket_change *change, const store_ticket *ticket, const char *detail, GError **error)
{
	notify_event event = { .kind = NOTIFY_REMINDER, .ticket_id = ticket->id, .new_status = ticket->status };

	return store_event_add(change->store, ticket->id, EVENT_REMINDED, change->actor, NULL, NULL, detail,
	                       change->now, error) &&
	       ticket_notify(change, &event, error);
}

gboolean
ticket_note(const ticket_change *change, const store_ticket *ticket, const char *text, GError **error)
{
	store_message_row row = { .author = change->actor, .subject = ticket->subject, .text = text, .new_text = text };
	ticket_message note = { &row, NULL };

	return ticket_add_message(change, ticket->id, MESSAGE_NOTE, &note, error) != 0 &&
	       store_event_add(change->store, ticket->id, EVENT_NOTE, change->actor, NULL, NULL, NULL, change->now,
	                       error);
}

gboolean
ticket_assign(const ticket_change *change, const store_ticket *ticket, const char *agent, GError **error)
{
	notify_event event = { .kind = NOTIFY_STAFF_ASSIGNED, .ticket_id = ticket->id, .agent = agent, .person = TRUE };

	if (agent != NULL && *agent == '\0')
		agent = NULL;
	return store_ticket_set_assignee(change->store, ticket->id, agent, error) &&
	       store_event_add(change->store, ticket->id, EVENT_ASSIGNED, change->actor, NULL, NULL,
	                       agent ? agent : "", change->now, error) &&
	       (agent == NULL || ticket_notify(change, &event, error));
}

gboolean
ticket_merge(const ticket_change *change, const store_ticket *from, const store_ticket *into, GError **error)
{
	g_autofree char *to_detail = g_strdup_printf("into %s", into->code);
	g_autofree char *from_detail = g_strdup_printf("from %s", from->code);

	if (into->merged_into != 0) {
		g_set_error(error, TICKET_ERROR, TICKET_ERROR_MERGED, "%s was itself merged away; merge into its survivor",
		            into->code);
		return FALSE;
	}
	return store_ticket_set_merged(change->store, from->id, into->id, error) &&
	       store_event_add(change->store, from->id, EVENT_MERGED, change->actor, NULL, NULL, to_detail,
	                       change->now, error) &&
	       store_event_add(change->store, into->id, EVENT_MERGED, change->actor, NULL, NULL, from_detail,
	                       change->now, error);
}

gboolean
ticket_robot_mail(const ticket_change *change, const store_ticket *ticket, const ticket_message *message,
                  const char *mail_class, GError **error)
{
	return ticket_add_message(change, ticket->id, MESSAGE_IN, message, error) != 0 &&
	       store_event_add(change->store, ticket->id, mail_class, change->actor, NULL, NULL, NULL, change->now,
	                       error);
}
