/*
 * event - the names of notice kinds, as the outbox and the template files spell them.
 */
#include "event.h"

const char *
event_notice_name(notify_kind kind)
{
	static const char *const names[] = {
		"created", NOTICE_STAFF_REPLY, "status", "reopened", "auto_closed", "new_linked", "refused",
		"held_subaccount", "held_unknown", "closed", "reminder", "staff_new", "staff_customer_reply",
		"staff_reopened", "staff_assigned", "staff_held",
		"staff_bounce", "staff_command_error"
	};

	return kind <= NOTIFY_STAFF_COMMAND_ERROR ? names[kind] : "?";
}
