/*
 * address - the one address validator, comparison and plus-address split, the robots'
 * mailboxes, and "is it ours". Configuration, ticketctl, ingest and the notifier all ask
 * here, so an address one of them accepts is never one another refuses.
 */
#include <string.h>

#include "address.h"

/*
 * Local parts no person reads. RFC 3834 §2 tells responders to leave the mail system's
 * senders and "do not reply" mailboxes alone; MAILER-DAEMON and postmaster (RFC 5321
 * §4.5.1) are also where bounces come from, so they alone make inbound mail a bounce.
 */
static const struct {
	const char *local;
	gboolean mail_system;
} address_robots[] = {
	{ "mailer-daemon", TRUE }, { "postmaster", TRUE }, { "post_master", TRUE },
	{ "noreply", FALSE }, { "no-reply", FALSE }, { "no_reply", FALSE },
	{ "donotreply", FALSE }, { "do-not-reply", FALSE }, { "do_not_reply", FALSE },
	{ "bounce", FALSE }, { "bounces", FALSE },          /* return paths of bulk senders */
	{ "auto-reply", FALSE }, { "autoreply", FALSE },
};

/* VERP return paths (bounces-123-ana=cliente.es@lists.example): a prefix, then anything. */
static const char *const address_robot_prefixes[] = { "bounce-", "bounces-" };

/* address_char_ok - one character of an address: printable, no delimiter, no trick. */
static gboolean
address_char_ok(gunichar c)
{
	if (c <= ' ' || c == 0x7f)
		return FALSE;
	if (c < 0x80)
		return strchr("<>,;:\"()[]\\", (int)c) == NULL;
	/* NEXT LINE, LINE SEPARATOR, no-break space, bidi overrides and unassigned points. */
	return !g_unichar_iscntrl(c) && !g_unichar_isspace(c) && g_unichar_type(c) != G_UNICODE_FORMAT &&
	       g_unichar_isdefined(c);
}

/* address_dots_ok - a dot-string (RFC 5321 §4.1.2): no empty part, not empty itself. */
static gboolean
address_dots_ok(const char *start, gsize length)
{
	if (length == 0 || start[0] == '.' || start[length - 1] == '.')
		return FALSE;
	for (gsize i = 0; i + 1 < length; i++)
		if (start[i] == '.' && start[i + 1] == '.')
			return FALSE;
	return TRUE;
}

gboolean
address_valid(const char *address)
{
	const char *at;
	gsize length;

	if (address == NULL || (length = strlen(address)) == 0 || length > ADDRESS_MAX)
		return FALSE;
	if (!g_utf8_validate(address, (gssize)length, NULL))
		return FALSE;
	for (const char *p = address; *p != '\0'; p = g_utf8_next_char(p))
		if (!address_char_ok(g_utf8_get_char(p)))
			return FALSE;
	if ((at = strchr(address, '@')) == NULL || strchr(at + 1, '@') != NULL)
		return FALSE;
	if ((gsize)(at - address) > ADDRESS_LOCAL_MAX)
		return FALSE;
	return address_dots_ok(address, (gsize)(at - address)) &&
	       address_dots_ok(at + 1, length - (gsize)(at - address) - 1);
}

void
address_lower(char *address)
{
	for (char *p = address; *p != '\0'; p++)
		*p = g_ascii_tolower(*p);
}

void
address_fold_domain(char *address)
{
	char *at = strrchr(address, '@');

	if (at != NULL)
		address_lower(at + 1);
}

char *
address_written(const char *text)
{
	char *copy = g_strstrip(g_strdup(text));

	address_fold_domain(copy);
	return copy;
}

char *
address_normalize(const char *text)
{
	char *copy = g_strstrip(g_strdup(text));

	address_lower(copy);
	return copy;
}

gboolean
address_equal(const char *a, const char *b)
{
	return a != NULL && b != NULL && g_ascii_strcasecmp(a, b) == 0;
}

char *
address_base(const char *address, char **detail)
{
	const char *at = address ? strchr(address, '@') : NULL;
	const char *plus;
	char *base;

	if (detail != NULL)
		*detail = NULL;
	if (at == NULL)
		return NULL;
	plus = memchr(address, '+', (gsize)(at - address));
	base = plus ? g_strdup_printf("%.*s%s", (int)(plus - address), address, at) : g_strdup(address);
	if (plus != NULL && detail != NULL)
		*detail = g_strndup(plus + 1, (gsize)(at - plus - 1));
	address_lower(base);
	return base;
}

char *
address_close_code(const char *detail)
{
	static const char *const suffixes[] = { ADDRESS_CLOSE_SUFFIX, "-close", NULL };
	gsize length = detail ? strlen(detail) : 0;

	for (int i = 0; suffixes[i] != NULL; i++) {
		gsize n = strlen(suffixes[i]);

		if (length > n && g_ascii_strcasecmp(detail + length - n, suffixes[i]) == 0)
			return g_strndup(detail, length - n);
	}
	return NULL;
}

/* address_robot_local - the lower-case local part without +detail; a bare name is all local. */
static char *
address_robot_local(const char *address)
{
	const char *at = strchr(address, '@');
	char *local = g_ascii_strdown(address, at ? at - address : -1);
	char *plus = strchr(local, '+');

	if (plus != NULL)
		*plus = '\0';
	return local;
}

/* address_robot_match - the local part is a robot's; only the mail system's when asked. */
static gboolean
address_robot_match(const char *address, gboolean mail_system_only)
{
	g_autofree char *local = NULL;

	if (address == NULL)
		return FALSE;
	local = address_robot_local(address);
	for (gsize i = 0; i < G_N_ELEMENTS(address_robots); i++)
		if ((address_robots[i].mail_system || !mail_system_only) && strcmp(local, address_robots[i].local) == 0)
			return TRUE;
	for (gsize i = 0; !mail_system_only && i < G_N_ELEMENTS(address_robot_prefixes); i++)
		if (g_str_has_prefix(local, address_robot_prefixes[i]))
			return TRUE;
	return FALSE;
}

gboolean
address_is_mail_system(const char *address)
{
	return address_robot_match(address, TRUE);
}

gboolean
address_is_robot(const char *address)
{
	return address_robot_match(address, FALSE);
}

gboolean
address_is_ours(const ticketd_config *config, const char *address)
{
	const char *at;

	if (address == NULL)
		return FALSE;
	if (config_department_for(config, address, NULL) != NULL || address_equal(address, config->smtp.from_address) ||
	    address_equal(address, config->smtp.envelope_from))
		return TRUE;
	for (guint i = 0; i < config->departments->len; i++)
		if (address_equal(address, ((department_config *)g_ptr_array_index(config->departments, i))->from_address))
			return TRUE;
	at = strrchr(address, '@');
	return at != NULL && address_equal(at + 1, config->domain);
}
