/*
 * config_keys - every key of ticketd.conf, section by section: its default, where it
 * goes, its bounds, and the check that makes a written value safe to use. ticketd.conf(5)
 * documents these rows; rows are read in order, so a key may depend on one above it.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pwd.h>
#include <string.h>

#include "address.h"
#include "code.h"
#include "config-private.h"
#include "kb.h"
#include "secret.h"
#include "status.h"

const config_choice config_unknown_sender_choices[] = {
	{ "create", UNKNOWN_SENDER_CREATE }, { "reject", UNKNOWN_SENDER_REJECT }, { "hold", UNKNOWN_SENDER_HOLD },
	{ NULL, 0 }
};
const config_choice config_closed_reply_choices[] = {
	{ "reopen", CLOSED_REPLY_REOPEN }, { "new", CLOSED_REPLY_NEW }, { "reject", CLOSED_REPLY_REJECT },
	{ NULL, 0 }
};
static const config_choice cc_choices[] = { { "watch", CC_WATCH }, { "ignore", CC_IGNORE }, { NULL, 0 } };
static const config_choice starttls_choices[] = { { "required", TRUE }, { "no", FALSE }, { NULL, 0 } };
static const config_choice yes_no_choices[] = { { "yes", TRUE }, { "no", FALSE }, { NULL, 0 } };

/* The longest signature: a few lines, not a letter. */
#define CONFIG_SIGNATURE_MAX 4096

const char *const config_languages[] = { "es", "en", NULL };

const char *const config_sweep_default_rules[] = {
	STATUS_ANSWERED "," STATUS_PENDING " 72h " STATUS_CLOSED, STATUS_RESOLVED " 72h " STATUS_CLOSED, NULL
};

static gboolean
config_check_domain(const config_section *section, const config_key *key, GError **error)
{
	const char *domain = section->config->domain;

	if (domain == NULL || *domain == '\0' || strchr(domain, '@'))
		return config_key_fail(error, section, key,
		                       "set the mail domain of the support addresses, e.g. domain = example.com");
	return TRUE;
}

static gboolean
config_check_code_mask(const config_section *section, const config_key *key, GError **error)
{
	if (!code_mask_valid(section->config->code_mask))
		return config_key_fail(error, section, key,
		                       "\"%s\" needs at least 4 of A (letter) or N (digit), no spaces, [ ] # + @",
		                       section->config->code_mask);
	return TRUE;
}

/* config_check_subject_tag - one word that cannot close or confuse the [Tag #CODE] it makes. */
static gboolean
config_check_subject_tag(const config_section *section, const config_key *key, GError **error)
{
	const char *tag = section->config->subject_tag;

	if (*tag == '\0' || strpbrk(tag, "[]#\r\n") != NULL)
		return config_key_fail(error, section, key, "must be a word without [ ] #");
	return TRUE;
}

/*
 * config_staff_list - staff = a@x, b@y: lower-case addresses, NULL-terminated, in *out.
 * Unlike a customer's, an agent's address is folded whole: it is the desk's own, on a
 * host its operator runs, and the one canonical form tickets.assignee and the signed
 * staff tokens are kept in.
 */
static gboolean
config_staff_list(const config_section *section, const config_key *key, char ***out, GError **error)
{
	g_auto(GStrv) staff = g_key_file_get_string_list(section->source->keys, section->group, key->name,
	                                                 NULL, NULL);

	*out = g_new0(char *, staff ? g_strv_length(staff) + 1 : 1);
	for (int i = 0; staff != NULL && staff[i] != NULL; i++) {
		(*out)[i] = address_normalize(staff[i]);
		if (!address_valid((*out)[i]))
			return config_key_fail(error, section, key, "\"%s\" is not an e-mail address", (*out)[i]);
	}
	return TRUE;
}

static gboolean
config_read_staff(const config_section *section, const config_key *key, GError **error)
{
	return config_staff_list(section, key, &section->config->staff, error);
}

static gboolean
config_read_department_staff(const config_section *section, const config_key *key, GError **error)
{
	return config_staff_list(section, key, &((department_config *)section->target)->staff, error);
}

/*
 * config_read_secret_file - the key of signed staff addresses. A missing or unreadable
 * file leaves signing off (said at each use, so a running desk keeps taking mail); one
 * that others may read is refused here, because it lets anyone write as an agent.
 */
static gboolean
config_read_secret_file(const config_section *section, const config_key *key, GError **error)
{
	ticketd_config *config = section->config;
	g_autoptr(GError) problem = NULL;
	struct stat st;

	config->secret_file = config_path_absolute(section->source, config_key_text(section, key));
	if ((config->secret = secret_load(config->secret_file, &problem)) != NULL) {
		if (stat(config->secret_file, &st) == 0)    /* for config_check_root_owned */
			config_file_note(config, config->secret_file, &st, TRUE);
		return TRUE;
	}
	if (problem->code == SECRET_ERROR_UNSAFE)
		return config_key_fail(error, section, key, "%s", problem->message);
	config->secret_problem = g_strdup(problem->message);
	return TRUE;
}

/*
 * config_read_authserv_id - authserv_id = mx.example.com[, mx2.example.com]: the hosts
 * whose Authentication-Results are believed. require_dmarc_pass without one could pass
 * no mail of a known sender at all, so it is refused at start rather than found out
 * from a held queue full of customers.
 */
static gboolean
config_read_authserv_id(const config_section *section, const config_key *key, GError **error)
{
	ticketd_config *config = section->config;
	g_autofree char *text = config_key_text(section, key);
	g_auto(GStrv) words = g_strsplit_set(text != NULL ? text : "", ", \t", -1);
	GStrvBuilder *builder = g_strv_builder_new();

	for (int i = 0; words[i] != NULL; i++) {
		if (*words[i] == '\0')
			continue;
		if (strpbrk(words[i], ";()\"\\") != NULL) {
			g_strv_builder_unref(builder);
			return config_key_fail(error, section, key, "\"%s\" is not an authserv-id (a host name, "
			                       "as your MTA writes it first in Authentication-Results)", words[i]);
		}
		g_strv_builder_add(builder, words[i]);
	}
	config->authserv_ids = g_strv_builder_end(builder);
	g_strv_builder_unref(builder);
	if (config->require_dmarc_pass && config->authserv_ids[0] == NULL)
		return config_key_fail(error, section, key, "require_dmarc_pass = yes needs the authserv-id your "
		                       "MTA writes in Authentication-Results, e.g. authserv_id = mx.%s", config->domain);
	return TRUE;
}

/* config_check_language - one that has templates and labels: es or en, not a locale name. */
static gboolean
config_check_language(const config_section *section, const config_key *key, GError **error)
{
	if (!g_strv_contains(config_languages, section->config->language))
		return config_key_fail(error, section, key, "unknown language \"%s\"; write es or en",
		                       section->config->language);
	return TRUE;
}

/*
 * config_read_fallback_charsets - fallback_charsets = gb18030, windows-1252: the
 * charsets tried, in order, on text that declares none or a wrong one. Each name must
 * be one iconv converts from, or every such mail would silently fall through it.
 */
static gboolean
config_read_fallback_charsets(const config_section *section, const config_key *key, GError **error)
{
	g_autofree char *text = config_key_text(section, key);
	g_auto(GStrv) words = g_strsplit_set(text != NULL ? text : "", ", \t", -1);
	GStrvBuilder *builder = g_strv_builder_new();

	for (int i = 0; words[i] != NULL; i++) {
		GIConv cd;

		if (*words[i] == '\0')
			continue;
		if ((cd = g_iconv_open("UTF-8", words[i])) == (GIConv)-1) {
			g_strv_builder_unref(builder);
			return config_key_fail(error, section, key, "\"%s\" is not a charset this system's "
			                       "iconv reads (see iconv -l), e.g. windows-1252", words[i]);
		}
		g_iconv_close(cd);
		g_strv_builder_add(builder, words[i]);
	}
	section->config->fallback_charsets = g_strv_builder_end(builder);
	g_strv_builder_unref(builder);
	return TRUE;
}

/* [ticketd]: the daemon and the rules every department shares. */
const config_key config_ticketd_keys[] = {
	CONFIG_PATH("database", ticketd_config, database, "/var/lib/ticketd/ticketd.db", NULL),
	CONFIG_STR("domain", ticketd_config, domain, NULL, config_check_domain),
	CONFIG_STR("code_mask", ticketd_config, code_mask, "AAA-NNNNNN", config_check_code_mask),
	CONFIG_STR("subject_tag", ticketd_config, subject_tag, CONFIG_DEFAULT_SUBJECT_TAG, config_check_subject_tag),
	CONFIG_CHOICE("unknown_sender", ticketd_config, unknown_sender, "create", config_unknown_sender_choices),
	CONFIG_CHOICE("closed_reply", ticketd_config, closed_reply, "reopen", config_closed_reply_choices),
	CONFIG_CHOICE("cc", ticketd_config, cc, "watch", cc_choices),
	CONFIG_OTHER("staff", NULL, config_read_staff),
	/* Beside the file by default (/etc/ticketd/secret); the daemon makes it on first start. */
	CONFIG_OTHER("secret_file", "secret", config_read_secret_file),
	CONFIG_BOOL("staff_unsigned_reply", ticketd_config, staff_unsigned_reply, FALSE),
	CONFIG_INT("staff_attach_max", ticketd_config, staff_attach_max, 2097152, 0, 26214400),
	CONFIG_INT("max_message_size", ticketd_config, max_message_size, 26214400, 1024, G_GINT64_CONSTANT(1) << 32),
	CONFIG_INT("intake_per_hour", ticketd_config, intake_per_hour, 30, 0, 100000),
	CONFIG_BOOL("require_dmarc_pass", ticketd_config, require_dmarc_pass, FALSE),
	CONFIG_OTHER("authserv_id", NULL, config_read_authserv_id),
	/* Spanish and Latin American desks get undeclared 8-bit text from Windows and
	 * Outlook in windows-1252 (€, curly quotes, ñ; Latin-1's letters at the same bytes).
	 * It reads all but five bytes, so a charset after it would almost never be tried. */
	CONFIG_OTHER("fallback_charsets", "windows-1252", config_read_fallback_charsets),
	CONFIG_INT("parse_failures", ticketd_config, parse_failures, 3, 1, 100),
	CONFIG_INT("parse_timeout", ticketd_config, parse_timeout, 60, 5, 3600),
	CONFIG_PATH("templates", ticketd_config, templates_dir, "/etc/ticketd/templates", NULL),
	CONFIG_STR("language", ticketd_config, language, "es", config_check_language),
	CONFIG_STR("user", ticketd_config, user, "ticketd", NULL),
	CONFIG_PATH("pid_file", ticketd_config, pid_file, "/run/ticketd/ticketd.pid", NULL),
	{ NULL }
};

/* config_read_department_address - required, plain (the plus part is ours), and unique. */
static gboolean
config_read_department_address(const config_section *section, const config_key *key, GError **error)
{
	department_config *department = section->target;
	GPtrArray *departments = section->config->departments;
	g_autofree char *address = config_key_text(section, key);

	if (address == NULL)
		return config_key_fail(error, section, key, "every department needs its address, e.g. %s@%s",
		                       department->slug, section->config->domain);
	department->address = address_normalize(address);
	if (!address_valid(department->address) || strchr(department->address, '+') != NULL)
		return config_key_fail(error, section, key, "\"%s\" is not a plain e-mail address (no '+')",
		                       department->address);
	for (guint i = 0; i + 1 < departments->len; i++) {
		department_config *other = g_ptr_array_index(departments, i);

		if (strcmp(other->address, department->address) == 0)
			return config_key_fail(error, section, key, "already used by [department:%s]", other->slug);
	}
	return TRUE;
}

/* config_loopback - host (as in inet:host:port, maybe [bracketed]) is a loopback address. */
static gboolean
config_loopback(const char *hostport)
{
	const char *colon = strrchr(hostport, ':');
	g_autofree char *host = g_strndup(hostport, colon != NULL ? (gsize)(colon - hostport) : strlen(hostport));
	struct in_addr v4;
	struct in6_addr v6;

	if (*host == '[' && g_str_has_suffix(host, "]")) {
		memmove(host, host + 1, strlen(host));
		host[strlen(host) - 1] = '\0';
	}
	if (inet_pton(AF_INET, host, &v4) == 1)
		return (ntohl(v4.s_addr) >> 24) == 127;
	return inet_pton(AF_INET6, host, &v6) == 1 && IN6_IS_ADDR_LOOPBACK(&v6);
}

/*
 * config_read_listen - "unix:/path, inet:host:port": the endpoints, in order. LMTP
 * has no authentication and is meant for the local MTA alone (RFC 2033, section 5):
 * an address off the loopback needs allow_remote = yes.
 */
static gboolean
config_read_listen(const config_section *section, const config_key *key, GError **error)
{
	lmtp_config *lmtp = section->target;
	g_autofree char *listen = config_key_text(section, key);
	g_auto(GStrv) words = g_strsplit_set(listen, ", ", -1);
	GStrvBuilder *builder = g_strv_builder_new();

	for (int i = 0; words[i] != NULL; i++) {
		if (*words[i] == '\0')
			continue;           /* what a ", " separator leaves */
		if (!g_str_has_prefix(words[i], "unix:") && !g_str_has_prefix(words[i], "inet:")) {
			g_strv_builder_unref(builder);
			return config_key_fail(error, section, key, "\"%s\" is neither unix:/path nor inet:host:port",
			                       words[i]);
		}
		if (g_str_has_prefix(words[i], "inet:") && !lmtp->allow_remote && !config_loopback(words[i] + 5)) {
			g_strv_builder_unref(builder);
			return config_key_fail(error, section, key,
			                       "\"%s\" is not a loopback address: LMTP must not face the network; "
			                       "use inet:127.0.0.1:PORT, or set allow_remote = yes (dangerous)",
			                       words[i]);
		}
		g_strv_builder_add(builder, words[i]);
	}
	lmtp->listen = g_strv_builder_end(builder);
	g_strv_builder_unref(builder);
	return TRUE;
}

/*
 * config_read_allowed_users - user names, resolved now (and at each reload) to the uids
 * the unix listeners accept. A name written here must exist; of the default list, a
 * user this system lacks (no Postfix installed) is only left out.
 */
static gboolean
config_read_allowed_users(const config_section *section, const config_key *key, GError **error)
{
	lmtp_config *lmtp = section->target;
	g_autofree char *written = config_string(section->source, section->group, key->name, NULL);
	g_auto(GStrv) names = g_strsplit_set(written != NULL ? written : key->text, ", ", -1);

	lmtp->allowed_uids = g_array_new(FALSE, FALSE, sizeof(uid_t));
	for (int i = 0; names[i] != NULL; i++) {
		const struct passwd *pw;

		if (*names[i] == '\0')
			continue;           /* what a ", " separator leaves */
		if ((pw = getpwnam(names[i])) != NULL)
			g_array_append_val(lmtp->allowed_uids, pw->pw_uid);
		else if (written != NULL)
			return config_key_fail(error, section, key, "\"%s\": no such user; name the users whose "
			                       "processes deliver here (Postfix's mail_owner)", names[i]);
	}
	if (lmtp->allowed_uids->len == 0)
		return config_key_fail(error, section, key, "no user could deliver over the unix socket; "
		                       "name Postfix's mail_owner (postfix)");
	return TRUE;
}

/*
 * [lmtp]: where Postfix delivers, who may, and how much one client may ask. The
 * deadlines follow Postfix's smtpd (smtpd_per_request_deadline, smtpd_min_data_rate
 * = 500): a client that trickles bytes restarts no timer.
 */
const config_key config_lmtp_keys[] = {
	CONFIG_BOOL("allow_remote", lmtp_config, allow_remote, FALSE),
	CONFIG_OTHER("listen", "unix:/var/spool/postfix/private/ticketd-lmtp", config_read_listen),
	CONFIG_INT("socket_mode", lmtp_config, socket_mode, 0660, 0, 0777),
	CONFIG_STR("socket_owner", lmtp_config, socket_owner, NULL, NULL),
	CONFIG_OTHER("allowed_users", "postfix, root", config_read_allowed_users),
	CONFIG_INT("max_connections", lmtp_config, max_connections, 50, 1, 10000),
	CONFIG_INT("idle_timeout", lmtp_config, idle_timeout, 300, 1, 3600),
	CONFIG_INT("command_timeout", lmtp_config, command_timeout, 60, 1, 3600),
	CONFIG_INT("data_timeout", lmtp_config, data_timeout, 300, 1, 86400),
	CONFIG_INT("data_min_rate", lmtp_config, data_min_rate, 500, 0, 1 << 30),
	CONFIG_INT("max_recipients", lmtp_config, max_recipients, CONFIG_DEFAULT_LMTP_MAX_RECIPIENTS, 1, 1000),
	{ NULL }
};

static gboolean
config_check_smtp_url(const config_section *section, const config_key *key, GError **error)
{
	const char *url = section->config->smtp.url;

	if (!g_str_has_prefix(url, "smtp://") && !g_str_has_prefix(url, "smtps://"))
		return config_key_fail(error, section, key, "use smtp://host:port or smtps://host:port");
	return TRUE;
}

static gboolean
config_read_smtp_password(const config_section *section, const config_key *key, GError **error)
{
	g_autofree char *path = config_path_absolute(section->source, config_key_text(section, key));

	return path == NULL || config_read_secret(section, key, path, &section->config->smtp.password, error);
}

/* config_mailbox - "Soporte Example <soporte@example.com>" or a bare address, split;
 * FALSE when the address is not valid. */
static gboolean
config_mailbox(const char *from, char **name, char **address)
{
	const char *lt = strrchr(from, '<');

	if (lt != NULL && g_str_has_suffix(from, ">")) {
		*name = g_strstrip(g_strndup(from, (gsize)(lt - from)));
		*address = g_ascii_strdown(lt + 1, (gssize)strlen(lt + 1) - 1);
	} else {
		*name = g_strdup("");
		*address = g_ascii_strdown(from, -1);
	}
	return address_valid(*address);
}

/*
 * config_read_from - "Soporte Example <soporte@example.com>" or a bare address; without
 * one, the key's default local part on [ticketd] domain. The envelope sender inherits it.
 */
static gboolean
config_read_from(const config_section *section, const config_key *key, GError **error)
{
	smtp_config *smtp = section->target;
	g_autofree char *from = config_string(section->source, section->group, key->name, NULL);

	if (from == NULL)
		from = g_strconcat(key->text, "@", section->config->domain, NULL);
	if (!config_mailbox(from, &smtp->from_name, &smtp->from_address))
		return config_key_fail(error, section, key, "\"%s\" has no valid address", from);
	smtp->envelope_from = g_strdup(smtp->from_address);
	return TRUE;
}

/* config_read_department_from - the From of the department's notices; none: [smtp] from. */
static gboolean
config_read_department_from(const config_section *section, const config_key *key, GError **error)
{
	department_config *department = section->target;
	g_autofree char *from = config_string(section->source, section->group, key->name, NULL);

	if (from == NULL)
		return TRUE;
	if (!config_mailbox(from, &department->from_name, &department->from_address))
		return config_key_fail(error, section, key, "\"%s\" has no valid address; write e.g. "
		                       "from = %s <%s>", from, department->name, department->address);
	return TRUE;
}

/*
 * config_signature - signature = text (\n for a new line) or signature_file = PATH, not
 * both: valid UTF-8 of at most CONFIG_SIGNATURE_MAX bytes, without NUL, trailing new
 * lines dropped. *out keeps what it had when neither is written.
 */
static gboolean
config_signature(const config_section *section, const config_key *key, char **out, GError **error)
{
	g_autofree char *path = config_string(section->source, section->group, key->name, NULL);
	g_autoptr(GError) read_error = NULL;
	char *text = NULL;
	gsize length = 0;
	struct stat st;

	if (path == NULL)
		return TRUE;
	if (*out != NULL)
		return config_key_fail(error, section, key, "write signature or signature_file, not both");
	path = config_path_absolute(section->source, g_steal_pointer(&path));
	if (stat(path, &st) != 0)
		return config_key_fail(error, section, key, "%s: %s", path, g_strerror(errno));
	/* A device or a FIFO would be read without end. */
	if (!S_ISREG(st.st_mode) || st.st_size > CONFIG_SIGNATURE_MAX)
		return config_key_fail(error, section, key, "%s is not a file of at most %d bytes", path,
		                       CONFIG_SIGNATURE_MAX);
	if (!g_file_get_contents(path, &text, &length, &read_error))
		return config_key_fail(error, section, key, "%s", read_error->message);
	*out = text;
	if (length > CONFIG_SIGNATURE_MAX || memchr(text, '\0', length) != NULL || !g_utf8_validate(text, -1, NULL))
		return config_key_fail(error, section, key, "%s is not UTF-8 text of at most %d bytes", path,
		                       CONFIG_SIGNATURE_MAX);
	g_strchomp(text);
	config_file_note(section->config, path, &st, TRUE);
	return TRUE;
}

/* config_check_signature - the text of signature = within the bounds of a signature file. */
static gboolean
config_check_signature(const config_section *section, const config_key *key, GError **error)
{
	char *text = *(char **)config_key_field(section, key);

	if (text != NULL && strlen(text) > CONFIG_SIGNATURE_MAX)
		return config_key_fail(error, section, key, "longer than %d bytes; use signature_file",
		                       CONFIG_SIGNATURE_MAX);
	return TRUE;
}

static gboolean
config_read_smtp_signature_file(const config_section *section, const config_key *key, GError **error)
{
	return config_signature(section, key, &((smtp_config *)section->target)->signature, error);
}

static gboolean
config_read_department_signature_file(const config_section *section, const config_key *key, GError **error)
{
	return config_signature(section, key, &((department_config *)section->target)->signature, error);
}

/* config_check_envelope_from - an address, or "" for the null sender. */
static gboolean
config_check_envelope_from(const config_section *section, const config_key *key, GError **error)
{
	const char *envelope_from = section->config->smtp.envelope_from;

	if (*envelope_from != '\0' && !address_valid(envelope_from))
		return config_key_fail(error, section, key, "not an e-mail address");
	return TRUE;
}

/* [department:SLUG]: name defaults to the slug, closed_reply and cc to [ticketd]'s. */
const config_key config_department_keys[] = {
	CONFIG_STR("name", department_config, name, NULL, NULL),
	CONFIG_OTHER("address", NULL, config_read_department_address),
	CONFIG_CHOICE("closed_reply", department_config, closed_reply, NULL, config_closed_reply_choices),
	CONFIG_CHOICE("cc", department_config, cc, NULL, cc_choices),
	CONFIG_OTHER("staff", NULL, config_read_department_staff),
	/* The department's own voice; without them, [smtp] from and signature. */
	CONFIG_OTHER("from", NULL, config_read_department_from),
	CONFIG_STR("signature", department_config, signature, NULL, config_check_signature),
	CONFIG_OTHER("signature_file", NULL, config_read_department_signature_file),
	{ NULL }
};

/* [smtp]: how notifications leave. */
const config_key config_smtp_keys[] = {
	CONFIG_STR("url", smtp_config, url, "smtp://127.0.0.1:25", config_check_smtp_url),
	CONFIG_CHOICE("starttls", smtp_config, starttls_required, "no", starttls_choices),
	CONFIG_STR("user", smtp_config, user, NULL, NULL),
	CONFIG_OTHER("password_file", NULL, config_read_smtp_password),
	CONFIG_OTHER("from", "soporte", config_read_from),    /* the local part, on [ticketd] domain */
	CONFIG_STR("envelope_from", smtp_config, envelope_from, NULL, config_check_envelope_from),
	CONFIG_INT("timeout", smtp_config, timeout, CONFIG_DEFAULT_SMTP_TIMEOUT, 1, 3600),
	CONFIG_INT("retry_max_age", smtp_config, retry_max_age, 5 * 86400, 60, 30 * 86400),
	CONFIG_INT("auto_per_hour", smtp_config, auto_per_hour, 10, 0, 100000),
	CONFIG_STR("signature", smtp_config, signature, NULL, config_check_signature),
	CONFIG_OTHER("signature_file", NULL, config_read_smtp_signature_file),
	{ NULL }
};

/* [imap:NAME]: a mailbox that feeds a department; url needs insecure_plaintext first. */
const config_key config_imap_keys[] = {
	CONFIG_CHOICE("insecure_plaintext", imap_source_config, insecure_plaintext, "no", yes_no_choices),
	CONFIG_STR("url", imap_source_config, url, NULL, config_imap_check_url),
	CONFIG_STR("user", imap_source_config, user, NULL, config_imap_check_user),
	CONFIG_OTHER("password_file", NULL, config_imap_read_password),
	CONFIG_STR("department", imap_source_config, department, NULL, config_imap_check_department),
	CONFIG_OTHER("after", "seen", config_imap_read_after),
	CONFIG_PATH("ca_file", imap_source_config, ca_file, NULL, config_imap_check_ca_file),
	CONFIG_INT("poll_interval", imap_source_config, poll_interval, 60, 5, 86400),
	/* RFC 2177: a client re-issues IDLE at least every 29 minutes. */
	CONFIG_INT("idle_interval", imap_source_config, idle_interval, 600, 30, 1740),
	CONFIG_INT("timeout", imap_source_config, timeout, 60, 5, 3600),
	{ NULL }
};

/* [sweep]: without any rule line, config_sweep_default_rules apply. */
const config_key config_sweep_keys[] = {
	CONFIG_INT("interval", ticketd_config, sweep_interval, 60, 1, 86400),
	CONFIG_OTHER("remind", NULL, config_sweep_read_remind),
	CONFIG_OTHER("rule", NULL, config_sweep_read_rules),
	{ NULL }
};

/* config_read_kb_threshold - a BM25 score, in C syntax whatever the locale. */
static gboolean
config_read_kb_threshold(const config_section *section, const config_key *key, GError **error)
{
	g_autofree char *text = config_key_text(section, key);
	char *end = NULL;
	double value = g_ascii_strtod(g_strstrip(text), &end);

	if (end == text || *end != '\0' || !(value >= 0 && value <= KB_THRESHOLD_MAX))
		return config_key_fail(error, section, key, "\"%s\" is not a score from 0 to %d, e.g. 7.0",
		                       text, KB_THRESHOLD_MAX);
	((kb_config *)section->target)->threshold = value;
	return TRUE;
}

/* [kb]: what a confirmation suggests from the help centre. */
const config_key config_kb_keys[] = {
	CONFIG_OTHER("threshold", G_STRINGIFY(KB_THRESHOLD_DEFAULT), config_read_kb_threshold),
	CONFIG_INT("suggestions", kb_config, suggestions, KB_SUGGESTIONS_DEFAULT, 0, KB_SUGGESTIONS_LIMIT),
	{ NULL }
};
