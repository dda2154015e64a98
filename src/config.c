/*
 * config - load and validate /etc/ticketd/ticketd.conf. GKeyFile does the parsing;
 * this file adds what a postmaster needs from errors: the file, the line and the key,
 * unknown keys refused (a typo must not silently mean a default), paths made absolute.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <arpa/inet.h>

#include "code.h"
#include "config.h"
#include "status.h"

G_DEFINE_QUARK(ticketd-config-error-quark, config_error)

typedef struct {
	const char *path;
	GKeyFile *keys;
	char **lines;               /* the file, for line numbers in errors */
} config_source;

static const char *const ticketd_keys[] = {
	"database", "domain", "code_mask", "subject_tag", "unknown_sender", "closed_reply",
	"staff", "max_message_size", "templates", "language", "user", "pid_file", "intake_per_hour",
	"require_dmarc_pass", "parse_failures", "parse_timeout", NULL
};
static const char *const department_keys[] = { "name", "address", "closed_reply", NULL };
static const char *const lmtp_keys[] = {
	"listen", "socket_mode", "socket_owner", "max_connections", "idle_timeout",
	"max_recipients", NULL
};
static const char *const smtp_keys[] = {
	"url", "starttls", "user", "password_file", "from", "envelope_from", "timeout",
	"retry_max_age", "auto_per_hour", NULL
};
static const char *const imap_keys[] = {
	"url", "user", "password_file", "department", "after", "ca_file", "insecure_plaintext",
	"poll_interval", "idle_interval", "timeout", NULL
};

const char *
config_path(const char *from_command_line)
{
	const char *env = g_getenv("TICKETD_CONF");

	if (from_command_line != NULL)
		return from_command_line;
	if (env != NULL && *env != '\0')
		return env;
	return CONFIG_DEFAULT_PATH;
}

/* config_line_of - the 1-based line where key is set inside [group], or where the group starts. */
static int
config_line_of(const config_source *source, const char *group, const char *key)
{
	gboolean in_group = FALSE;
	int group_line = 0;

	for (int i = 0; source->lines[i] != NULL; i++) {
		g_autofree char *line = g_strstrip(g_strdup(source->lines[i]));

		if (line[0] == '[') {
			in_group = strncmp(line + 1, group, strlen(group)) == 0 &&
			    line[1 + strlen(group)] == ']';
			if (in_group)
				group_line = i + 1;
			continue;
		}
		if (in_group && key != NULL && strncmp(line, key, strlen(key)) == 0) {
			const char *rest = line + strlen(key);

			while (*rest == ' ' || *rest == '\t')
				rest++;
			if (*rest == '=')
				return i + 1;
		}
	}
	return group_line;
}

/* config_fail - set an error "FILE:LINE: [group] key: message". Always returns FALSE. */
static gboolean G_GNUC_PRINTF(5, 6)
config_fail(GError **error, const config_source *source, const char *group, const char *key,
            const char *format, ...)
{
	va_list args;
	g_autofree char *message = NULL;

	va_start(args, format);
	message = g_strdup_vprintf(format, args);
	va_end(args);
	g_set_error(error, CONFIG_ERROR, 1, "%s:%d: [%s]%s%s: %s", source->path,
	            config_line_of(source, group, key), group, key ? " " : "", key ? key : "", message);
	return FALSE;
}

/* config_check_syntax - every line is UTF-8 and blank, a comment, a [group] or key = value. */
static gboolean
config_check_syntax(const config_source *source, GError **error)
{
	for (int i = 0; source->lines[i] != NULL; i++) {
		g_autofree char *line = g_strstrip(g_strdup(source->lines[i]));

		if (!g_utf8_validate(line, -1, NULL)) {
			g_set_error(error, CONFIG_ERROR, 1, "%s:%d: not UTF-8; save the file as UTF-8",
			            source->path, i + 1);
			return FALSE;
		}
		if (line[0] == '\0' || line[0] == '#' || line[0] == ';')
			continue;
		if (line[0] == '[' && line[strlen(line) - 1] == ']')
			continue;
		if (strchr(line, '=') != NULL && line[0] != '=')
			continue;
		g_set_error(error, CONFIG_ERROR, 1,
		            "%s:%d: not a [section] or a key = value line; fix or comment it out with #",
		            source->path, i + 1);
		return FALSE;
	}
	return TRUE;
}

/* config_check_keys - refuse keys a section does not know: a typo must not pass silently. */
static gboolean
config_check_keys(const config_source *source, const char *group, const char *const *known,
                  GError **error)
{
	g_auto(GStrv) keys = g_key_file_get_keys(source->keys, group, NULL, NULL);

	for (int i = 0; keys != NULL && keys[i] != NULL; i++)
		if (!g_strv_contains(known, keys[i]))
			return config_fail(error, source, group, keys[i],
			                   "unknown key; see ticketd.conf(5) for the keys of this section");
	return TRUE;
}

/* config_string - a key's value, stripped, or a copy of fallback when absent. */
static char *
config_string(const config_source *source, const char *group, const char *key, const char *fallback)
{
	char *value = g_key_file_get_string(source->keys, group, key, NULL);

	if (value == NULL)
		return g_strdup(fallback);
	return g_strstrip(value);
}

/* config_number - a non-negative integer key within [min, max]. */
static gboolean
config_number(const config_source *source, const char *group, const char *key, gint64 fallback,
              gint64 min, gint64 max, gint64 *out, GError **error)
{
	g_autofree char *text = config_string(source, group, key, NULL);
	char *end = NULL;
	gint64 value;

	if (text == NULL) {
		*out = fallback;
		return TRUE;
	}
	errno = 0;
	value = g_ascii_strtoll(text, &end, text[0] == '0' && text[1] != '\0' ? 8 : 10);
	if (errno != 0 || end == text || *end != '\0' || value < min || value > max)
		return config_fail(error, source, group, key, "\"%s\" is not a number from %" G_GINT64_FORMAT
		                   " to %" G_GINT64_FORMAT, text, min, max);
	*out = value;
	return TRUE;
}

/* config_boolean - yes/no (also true/false, on/off). */
static gboolean
config_boolean(const config_source *source, const char *group, const char *key, gboolean fallback,
               gboolean *out, GError **error)
{
	g_autofree char *text = config_string(source, group, key, NULL);

	if (text == NULL)
		*out = fallback;
	else if (g_strv_contains((const char *const[]){ "yes", "true", "on", NULL }, text))
		*out = TRUE;
	else if (g_strv_contains((const char *const[]){ "no", "false", "off", NULL }, text))
		*out = FALSE;
	else
		return config_fail(error, source, group, key, "\"%s\" is neither yes nor no", text);
	return TRUE;
}

/* config_address_ok - a plain lower-case local@domain with nothing that could inject. */
static gboolean
config_address_ok(const char *address)
{
	const char *at = strchr(address, '@');

	if (at == NULL || at == address || at[1] == '\0' || strchr(at + 1, '@') != NULL)
		return FALSE;
	for (const char *p = address; *p != '\0'; p++)
		if ((unsigned char)*p <= ' ' || strchr("<>,;\"()\\", *p) != NULL)
			return FALSE;
	return strlen(address) <= 254;
}

/* config_path_absolute - relative paths are relative to the configuration file. */
static char *
config_path_absolute(const config_source *source, char *path)
{
	g_autofree char *dir = NULL;

	if (path == NULL || g_path_is_absolute(path))
		return path;
	dir = g_path_get_dirname(source->path);
	{
		g_autofree char *absolute_dir = g_canonicalize_filename(dir, NULL);
		char *joined = g_build_filename(absolute_dir, path, NULL);

		g_free(path);
		return joined;
	}
}

static gboolean
config_closed_policy(const config_source *source, const char *group, const char *fallback,
                     closed_reply_policy *out, GError **error)
{
	g_autofree char *value = config_string(source, group, "closed_reply", fallback);

	if (strcmp(value, "reopen") == 0)
		*out = CLOSED_REPLY_REOPEN;
	else if (strcmp(value, "new") == 0)
		*out = CLOSED_REPLY_NEW;
	else if (strcmp(value, "reject") == 0)
		*out = CLOSED_REPLY_REJECT;
	else
		return config_fail(error, source, group, "closed_reply",
		                   "\"%s\" is not one of reopen, new, reject", value);
	return TRUE;
}

static gboolean
config_load_main(const config_source *source, ticketd_config *config, GError **error)
{
	const char *group = "ticketd";
	g_autofree char *unknown = NULL;
	g_auto(GStrv) staff = NULL;
	gint64 size;

	if (!g_key_file_has_group(source->keys, group))
		return config_fail(error, source, group, NULL, "the [ticketd] section is missing");
	if (!config_check_keys(source, group, ticketd_keys, error))
		return FALSE;
	config->database = config_path_absolute(source,
	    config_string(source, group, "database", "/var/lib/ticketd/ticketd.db"));
	config->domain = config_string(source, group, "domain", NULL);
	if (config->domain == NULL || *config->domain == '\0' || strchr(config->domain, '@'))
		return config_fail(error, source, group, "domain",
		                   "set the mail domain of the support addresses, e.g. domain = example.com");
	config->code_mask = config_string(source, group, "code_mask", "AAA-NNNNNN");
	if (!code_mask_valid(config->code_mask))
		return config_fail(error, source, group, "code_mask",
		                   "\"%s\" needs at least 4 of A (letter) or N (digit), no spaces, [ ] # + @",
		                   config->code_mask);
	config->subject_tag = config_string(source, group, "subject_tag", "Ticket");
	if (*config->subject_tag == '\0' || strpbrk(config->subject_tag, "[]#\r\n") != NULL)
		return config_fail(error, source, group, "subject_tag", "must be a word without [ ] #");
	unknown = config_string(source, group, "unknown_sender", "create");
	if (strcmp(unknown, "create") == 0)
		config->unknown_sender = UNKNOWN_SENDER_CREATE;
	else if (strcmp(unknown, "reject") == 0)
		config->unknown_sender = UNKNOWN_SENDER_REJECT;
	else if (strcmp(unknown, "hold") == 0)
		config->unknown_sender = UNKNOWN_SENDER_HOLD;
	else
		return config_fail(error, source, group, "unknown_sender",
		                   "\"%s\" is not one of create, reject, hold", unknown);
	if (!config_closed_policy(source, group, "reopen", &config->closed_reply, error))
		return FALSE;
	staff = g_key_file_get_string_list(source->keys, group, "staff", NULL, NULL);
	config->staff = g_new0(char *, staff ? g_strv_length(staff) + 1 : 1);
	for (int i = 0; staff != NULL && staff[i] != NULL; i++) {
		config->staff[i] = g_ascii_strdown(g_strstrip(staff[i]), -1);
		if (!config_address_ok(config->staff[i]))
			return config_fail(error, source, group, "staff", "\"%s\" is not an e-mail address",
			                   config->staff[i]);
	}
	if (!config_number(source, group, "max_message_size", 26214400, 1024, G_GINT64_CONSTANT(1) << 32,
	                   &size, error))
		return FALSE;
	config->max_message_size = (gsize)size;
	if (!config_number(source, group, "intake_per_hour", 30, 0, 100000, &size, error) ||
	    !config_boolean(source, group, "require_dmarc_pass", FALSE, &config->require_dmarc_pass, error))
		return FALSE;
	config->intake_per_hour = (int)size;
	if (!config_number(source, group, "parse_failures", 3, 1, 100, &size, error))
		return FALSE;
	config->parse_failures = (int)size;
	if (!config_number(source, group, "parse_timeout", 60, 5, 3600, &size, error))
		return FALSE;
	config->parse_timeout = (int)size;
	config->templates_dir = config_path_absolute(source,
	    config_string(source, group, "templates", "/etc/ticketd/templates"));
	config->language = config_string(source, group, "language", "es");
	config->user = config_string(source, group, "user", "ticketd");
	config->pid_file = config_path_absolute(source,
	    config_string(source, group, "pid_file", "/run/ticketd/ticketd.pid"));
	return TRUE;
}

static void
department_free(gpointer data)
{
	department_config *department = data;

	g_free(department->slug);
	g_free(department->name);
	g_free(department->address);
	g_free(department);
}

/* config_load_department - one [department:SLUG] section. */
static gboolean
config_load_department(const config_source *source, ticketd_config *config, const char *group,
                       GError **error)
{
	department_config *department = g_new0(department_config, 1);
	const char *slug = group + strlen("department:");

	g_ptr_array_add(config->departments, department);
	department->slug = g_strdup(slug);
	if (*slug == '\0' || strspn(slug, "abcdefghijklmnopqrstuvwxyz0123456789-_") != strlen(slug))
		return config_fail(error, source, group, NULL,
		                   "a department slug is lower-case letters, digits, - and _");
	if (!config_check_keys(source, group, department_keys, error))
		return FALSE;
	department->name = config_string(source, group, "name", slug);
	{
		g_autofree char *address = config_string(source, group, "address", NULL);

		if (address == NULL)
			return config_fail(error, source, group, "address",
			                   "every department needs its address, e.g. %s@%s", slug, config->domain);
		department->address = g_ascii_strdown(address, -1);
	}
	if (!config_address_ok(department->address) || strchr(department->address, '+') != NULL)
		return config_fail(error, source, group, "address",
		                   "\"%s\" is not a plain e-mail address (no '+')", department->address);
	for (guint i = 0; i + 1 < config->departments->len; i++) {
		department_config *other = g_ptr_array_index(config->departments, i);

		if (strcmp(other->address, department->address) == 0)
			return config_fail(error, source, group, "address", "already used by [department:%s]",
			                   other->slug);
	}
	department->closed_reply = config->closed_reply;
	return config_closed_policy(source, group, closed_reply_policy_name(config->closed_reply),
	                            &department->closed_reply, error);
}

static gboolean
config_load_lmtp(const config_source *source, ticketd_config *config, GError **error)
{
	const char *group = "lmtp";
	lmtp_config *lmtp = &config->lmtp;
	g_autofree char *listen = NULL;
	gint64 number;

	if (!config_check_keys(source, group, lmtp_keys, error))
		return FALSE;
	listen = config_string(source, group, "listen", "inet:127.0.0.1:2424");
	lmtp->listen = g_strsplit_set(listen, ", ", -1);
	{
		/* Drop the empty strings a ", " separator leaves. */
		GStrvBuilder *builder = g_strv_builder_new();

		for (int i = 0; lmtp->listen[i] != NULL; i++) {
			if (*lmtp->listen[i] == '\0')
				continue;
			if (!g_str_has_prefix(lmtp->listen[i], "unix:") && !g_str_has_prefix(lmtp->listen[i], "inet:"))
				return config_fail(error, source, group, "listen",
				                   "\"%s\" is neither unix:/path nor inet:host:port", lmtp->listen[i]);
			g_strv_builder_add(builder, lmtp->listen[i]);
		}
		g_strfreev(lmtp->listen);
		lmtp->listen = g_strv_builder_end(builder);
		g_strv_builder_unref(builder);
	}
	if (!config_number(source, group, "socket_mode", 0660, 0, 0777, &number, error))
		return FALSE;
	lmtp->socket_mode = (int)number;
	lmtp->socket_owner = config_string(source, group, "socket_owner", NULL);
	if (!config_number(source, group, "max_connections", 50, 1, 10000, &number, error))
		return FALSE;
	lmtp->max_connections = (int)number;
	if (!config_number(source, group, "idle_timeout", 300, 1, 3600, &number, error))
		return FALSE;
	lmtp->idle_timeout = (int)number;
	if (!config_number(source, group, "max_recipients", 50, 1, 1000, &number, error))
		return FALSE;
	lmtp->max_recipients = (int)number;
	return TRUE;
}

/* config_read_secret - a password file that only its owner may read. */
static gboolean
config_read_secret(const config_source *source, const char *group, const char *key,
                   const char *path, char **out, GError **error)
{
	struct stat st;
	g_autofree char *text = NULL;
	g_autoptr(GError) read_error = NULL;

	if (stat(path, &st) != 0)
		return config_fail(error, source, group, key, "%s: %s", path, g_strerror(errno));
	if ((st.st_mode & 077) != 0)
		return config_fail(error, source, group, key,
		                   "%s is readable by group or others; run chmod 600 %s", path, path);
	if (!g_file_get_contents(path, &text, NULL, &read_error))
		return config_fail(error, source, group, key, "%s", read_error->message);
	*out = g_strdup(g_strchomp(text));
	return TRUE;
}

static gboolean
config_load_smtp(const config_source *source, ticketd_config *config, GError **error)
{
	const char *group = "smtp";
	smtp_config *smtp = &config->smtp;
	g_autofree char *starttls = NULL;
	g_autofree char *from = NULL;
	g_autofree char *password_file = NULL;
	gint64 number;

	if (!config_check_keys(source, group, smtp_keys, error))
		return FALSE;
	smtp->url = config_string(source, group, "url", "smtp://127.0.0.1:25");
	if (!g_str_has_prefix(smtp->url, "smtp://") && !g_str_has_prefix(smtp->url, "smtps://"))
		return config_fail(error, source, group, "url", "use smtp://host:port or smtps://host:port");
	starttls = config_string(source, group, "starttls", "no");
	if (strcmp(starttls, "required") != 0 && strcmp(starttls, "no") != 0)
		return config_fail(error, source, group, "starttls", "\"%s\" is not one of required, no", starttls);
	smtp->starttls_required = strcmp(starttls, "required") == 0;
	smtp->user = config_string(source, group, "user", NULL);
	password_file = config_path_absolute(source, config_string(source, group, "password_file", NULL));
	if (password_file != NULL &&
	    !config_read_secret(source, group, "password_file", password_file, &smtp->password, error))
		return FALSE;
	from = config_string(source, group, "from", NULL);
	if (from == NULL)
		from = g_strdup_printf("soporte@%s", config->domain);
	{
		/* "Soporte Example <soporte@example.com>" or a bare address. */
		const char *lt = strrchr(from, '<');

		if (lt != NULL && g_str_has_suffix(from, ">")) {
			smtp->from_name = g_strstrip(g_strndup(from, (gsize)(lt - from)));
			smtp->from_address = g_ascii_strdown(lt + 1, (gssize)strlen(lt + 1) - 1);
		} else {
			smtp->from_name = g_strdup("");
			smtp->from_address = g_ascii_strdown(from, -1);
		}
		if (!config_address_ok(smtp->from_address))
			return config_fail(error, source, group, "from", "\"%s\" has no valid address", from);
	}
	smtp->envelope_from = config_string(source, group, "envelope_from", smtp->from_address);
	if (*smtp->envelope_from != '\0' && !config_address_ok(smtp->envelope_from))
		return config_fail(error, source, group, "envelope_from", "not an e-mail address");
	if (!config_number(source, group, "timeout", 60, 1, 3600, &number, error))
		return FALSE;
	smtp->timeout = (int)number;
	if (!config_number(source, group, "retry_max_age", 5 * 86400, 60, 30 * 86400, &number, error))
		return FALSE;
	smtp->retry_max_age = (int)number;
	if (!config_number(source, group, "auto_per_hour", 10, 0, 100000, &number, error))
		return FALSE;
	smtp->auto_per_hour = (int)number;
	return TRUE;
}

static void
imap_source_free(gpointer data)
{
	imap_source_config *imap = data;

	g_free(imap->name);
	g_free(imap->url);
	g_free(imap->host);
	g_free(imap->mailbox);
	g_free(imap->user);
	if (imap->password != NULL)
		memset(imap->password, 0, strlen(imap->password));
	g_free(imap->password);
	g_free(imap->department);
	g_free(imap->after_folder);
	g_free(imap->ca_file);
	g_free(imap);
}

/* config_imap_text_ok - what is sent to the IMAP server: libetpan sends CR, LF and NUL raw. */
static gboolean
config_imap_text_ok(const char *text)
{
	return text != NULL && *text != '\0' && strpbrk(text, "\r\n") == NULL && strlen(text) <= 1000;
}

/* config_host_is_loopback - localhost, 127.0.0.0/8 or ::1: the only hosts plaintext may reach. */
static gboolean
config_host_is_loopback(const char *host)
{
	struct in_addr v4;
	struct in6_addr v6;

	if (g_ascii_strcasecmp(host, "localhost") == 0)
		return TRUE;
	if (inet_pton(AF_INET, host, &v4) == 1)
		return (ntohl(v4.s_addr) >> 24) == 127;
	return inet_pton(AF_INET6, host, &v6) == 1 && IN6_IS_ADDR_LOOPBACK(&v6);
}

/* config_imap_url - imaps://host[:port][/MAILBOX] or imap://host[:port][/MAILBOX]. */
static gboolean
config_imap_url(const config_source *source, const char *group, imap_source_config *imap,
                gboolean insecure_plaintext, GError **error)
{
	g_autoptr(GUri) uri = NULL;
	g_autoptr(GError) uri_error = NULL;
	const char *scheme;
	const char *path;

	if (imap->url == NULL)
		return config_fail(error, source, group, "url", "set the mailbox, e.g. url = imaps://imap.example.com/INBOX");
	if ((uri = g_uri_parse(imap->url, G_URI_FLAGS_NONE, &uri_error)) == NULL)
		return config_fail(error, source, group, "url", "%s", uri_error->message);
	scheme = g_uri_get_scheme(uri);
	if (strcmp(scheme, "imaps") == 0)
		imap->tls = IMAP_TLS_IMPLICIT;
	else if (strcmp(scheme, "imap") == 0)
		imap->tls = insecure_plaintext ? IMAP_TLS_NONE : IMAP_TLS_STARTTLS;
	else
		return config_fail(error, source, group, "url", "use imaps://host/MAILBOX or imap://host/MAILBOX");
	if (g_uri_get_userinfo(uri) != NULL || g_uri_get_query(uri) != NULL || g_uri_get_fragment(uri) != NULL)
		return config_fail(error, source, group, "url", "only host, port and mailbox; the user goes in user =");
	if (g_uri_get_host(uri) == NULL || *g_uri_get_host(uri) == '\0')
		return config_fail(error, source, group, "url", "no host name");
	imap->host = g_strdup(g_uri_get_host(uri));
	imap->port = g_uri_get_port(uri) > 0 ? g_uri_get_port(uri) : imap->tls == IMAP_TLS_IMPLICIT ? 993 : 143;
	path = g_uri_get_path(uri);
	while (*path == '/')
		path++;
	imap->mailbox = g_strdup(*path != '\0' ? path : "INBOX");
	if (!config_imap_text_ok(imap->mailbox))
		return config_fail(error, source, group, "url", "the mailbox name has control characters");
	if (insecure_plaintext && imap->tls == IMAP_TLS_IMPLICIT)
		return config_fail(error, source, group, "insecure_plaintext", "imaps:// is TLS; use imap:// for plaintext");
	if (insecure_plaintext && !config_host_is_loopback(imap->host))
		return config_fail(error, source, group, "insecure_plaintext",
		                   "plaintext is allowed only to a loopback host, not %s", imap->host);
	return TRUE;
}

/* config_imap_after - seen, move:FOLDER or delete. */
static gboolean
config_imap_after(const config_source *source, const char *group, imap_source_config *imap,
                  GError **error)
{
	g_autofree char *after = config_string(source, group, "after", "seen");

	if (strcmp(after, "seen") == 0) {
		imap->after = IMAP_AFTER_SEEN;
	} else if (strcmp(after, "delete") == 0) {
		imap->after = IMAP_AFTER_DELETE;
	} else if (g_str_has_prefix(after, "move:")) {
		imap->after = IMAP_AFTER_MOVE;
		imap->after_folder = g_strdup(after + strlen("move:"));
		if (!config_imap_text_ok(imap->after_folder))
			return config_fail(error, source, group, "after", "move: needs a folder name, e.g. move:Procesados");
		if (strcmp(imap->after_folder, imap->mailbox) == 0)
			return config_fail(error, source, group, "after", "the folder is the mailbox itself");
	} else {
		return config_fail(error, source, group, "after", "\"%s\" is not one of seen, move:FOLDER, delete", after);
	}
	return TRUE;
}

/* config_load_imap - one [imap:NAME] section: a mailbox that feeds a department. */
static gboolean
config_load_imap(const config_source *source, ticketd_config *config, const char *group,
                 GError **error)
{
	imap_source_config *imap = g_new0(imap_source_config, 1);
	const char *name = group + strlen("imap:");
	g_autofree char *insecure = NULL;
	g_autofree char *password_file = NULL;
	gint64 number;

	g_ptr_array_add(config->imap_sources, imap);
	imap->name = g_strdup(name);
	if (*name == '\0' || strlen(name) > 64 ||
	    strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789-_.") != strlen(name))
		return config_fail(error, source, group, NULL, "a source name is lower-case letters, digits, - _ and .");
	if (!config_check_keys(source, group, imap_keys, error))
		return FALSE;
	insecure = config_string(source, group, "insecure_plaintext", "no");
	if (strcmp(insecure, "yes") != 0 && strcmp(insecure, "no") != 0)
		return config_fail(error, source, group, "insecure_plaintext", "\"%s\" is not one of yes, no", insecure);
	imap->url = config_string(source, group, "url", NULL);
	if (!config_imap_url(source, group, imap, strcmp(insecure, "yes") == 0, error))
		return FALSE;
	imap->user = config_string(source, group, "user", NULL);
	if (!config_imap_text_ok(imap->user))
		return config_fail(error, source, group, "user", "set the login name, without control characters");
	password_file = config_path_absolute(source, config_string(source, group, "password_file", NULL));
	if (password_file == NULL)
		return config_fail(error, source, group, "password_file", "set the file that holds the password");
	if (!config_read_secret(source, group, "password_file", password_file, &imap->password, error))
		return FALSE;
	if (!config_imap_text_ok(imap->password))
		return config_fail(error, source, group, "password_file",
		                   "%s: the password is empty or has a line break or control character", password_file);
	imap->department = config_string(source, group, "department", NULL);
	if (config_department_by_slug(config, imap->department) == NULL)
		return config_fail(error, source, group, "department", "set the slug of a [department:SLUG] section");
	if (!config_imap_after(source, group, imap, error))
		return FALSE;
	imap->ca_file = config_path_absolute(source, config_string(source, group, "ca_file", NULL));
	if (imap->ca_file != NULL && access(imap->ca_file, R_OK) != 0)
		return config_fail(error, source, group, "ca_file", "%s: %s", imap->ca_file, g_strerror(errno));
	if (!config_number(source, group, "poll_interval", 60, 5, 86400, &number, error))
		return FALSE;
	imap->poll_interval = (int)number;
	if (!config_number(source, group, "idle_interval", 600, 30, 1740, &number, error))
		return FALSE;
	imap->idle_interval = (int)number;
	if (!config_number(source, group, "timeout", 60, 5, 3600, &number, error))
		return FALSE;
	imap->timeout = (int)number;
	return TRUE;
}

/* config_load_imap_sources - every [imap:NAME], once the departments they name are known. */
static gboolean
config_load_imap_sources(const config_source *source, ticketd_config *config, char **groups,
                         GError **error)
{
	for (int i = 0; groups[i] != NULL; i++)
		if (g_str_has_prefix(groups[i], "imap:") && !config_load_imap(source, config, groups[i], error))
			return FALSE;
	return TRUE;
}

/* config_load_sections - every section, in an order where defaults are known first. */
static void
sweep_rule_free(gpointer data)
{
	sweep_rule *rule = data;

	g_strfreev(rule->from);
	g_free(rule->to);
	g_free(rule);
}

/* config_duration - "72h", "3d", "90m", "30s" or plain seconds; -1 when invalid. */
static int64_t
config_duration(const char *text)
{
	char *end;
	gint64 number = g_ascii_strtoll(text, &end, 10);

	if (end == text || number <= 0 || number > 10 * 365 * 86400)
		return -1;
	if (*end == '\0' || strcmp(end, "s") == 0)
		return number;
	if (strcmp(end, "m") == 0)
		return number * 60;
	if (strcmp(end, "h") == 0)
		return number * 3600;
	if (strcmp(end, "d") == 0)
		return number * 86400;
	return -1;
}

/* sweep_rule_parse - "answered,pending 72h closed"; NULL with *why set when invalid. */
static sweep_rule *
sweep_rule_parse(const char *value, const char **why)
{
	g_auto(GStrv) words = g_strsplit_set(value, " \t", -1);
	GStrvBuilder *kept = g_strv_builder_new();
	g_auto(GStrv) parts = NULL;
	sweep_rule *rule = g_new0(sweep_rule, 1);

	for (int i = 0; words[i] != NULL; i++)
		if (*words[i] != '\0')
			g_strv_builder_add(kept, words[i]);
	parts = g_strv_builder_end(kept);
	g_strv_builder_unref(kept);
	*why = "write FROM[,FROM...] DURATION TO, e.g. rule = answered,pending 72h closed";
	if (g_strv_length(parts) != 3) {
		sweep_rule_free(rule);
		return NULL;
	}
	rule->from = g_strsplit(parts[0], ",", -1);
	rule->to = g_strdup(parts[2]);
	rule->after = config_duration(parts[1]);
	*why = NULL;
	for (int i = 0; rule->from[i] != NULL; i++)
		if (!status_valid(rule->from[i]) || strcmp(rule->from[i], rule->to) == 0)
			*why = "a FROM status is unknown or the same as TO; see ticketd.conf(5)";
	if (rule->after < 0)
		*why = "the duration is a number followed by s, m, h or d, e.g. 72h";
	if (!status_valid(rule->to))
		*why = "TO is not a status: open answered customer_reply on_hold in_progress pending resolved closed";
	if (*why == NULL)
		return rule;
	sweep_rule_free(rule);
	return NULL;
}

/* config_sweep_defaults - answered or pending for 72 h, resolved for 72 h: closed. */
static void
config_sweep_defaults(ticketd_config *config)
{
	static const char *const defaults[] = { "answered,pending 72h closed", "resolved 72h closed" };
	const char *why;

	for (gsize i = 0; i < G_N_ELEMENTS(defaults); i++)
		g_ptr_array_add(config->sweep_rules, sweep_rule_parse(defaults[i], &why));
}

/* config_load_sweep - the interval, and every "rule =" line of [sweep] (GKeyFile keeps
 * only the last, so the lines are read here); "rule = none" alone turns the sweeper off;
 * no rule: the defaults. */
static gboolean
config_load_sweep(const config_source *source, ticketd_config *config, GError **error)
{
	static const char *const sweep_keys[] = { "rule", "interval", NULL };
	gboolean in_sweep = FALSE, seen = FALSE;
	gint64 interval;

	if (!config_check_keys(source, "sweep", sweep_keys, error) ||
	    !config_number(source, "sweep", "interval", 60, 1, 86400, &interval, error))
		return FALSE;
	config->sweep_interval = (int)interval;
	for (int i = 0; source->lines[i] != NULL; i++) {
		g_autofree char *line = g_strstrip(g_strdup(source->lines[i]));
		const char *why = NULL;
		sweep_rule *rule;

		if (line[0] == '[')
			in_sweep = strcmp(line, "[sweep]") == 0;
		if (!in_sweep || line[0] == '[' || line[0] == '#' || line[0] == ';' || line[0] == '\0' ||
		    g_str_has_prefix(line, "interval"))
			continue;
		seen = TRUE;
		g_strstrip(strchr(line, '=') + 1);
		if (strcmp(strchr(line, '=') + 1, "none") == 0)
			continue;
		if ((rule = sweep_rule_parse(strchr(line, '=') + 1, &why)) == NULL) {
			g_set_error(error, CONFIG_ERROR, 1, "%s:%d: [sweep] rule: %s", source->path, i + 1, why);
			return FALSE;
		}
		g_ptr_array_add(config->sweep_rules, rule);
	}
	if (!seen)
		config_sweep_defaults(config);
	return TRUE;
}

/* config_load_labels - [labels] LANG.STATUS = label replaces a built-in status label. */
static gboolean
config_load_labels(const config_source *source, ticketd_config *config, GError **error)
{
	g_auto(GStrv) keys = g_key_file_get_keys(source->keys, "labels", NULL, NULL);

	for (int i = 0; keys != NULL && keys[i] != NULL; i++) {
		const char *dot = strchr(keys[i], '.');
		g_autofree char *lang = dot ? g_strndup(keys[i], (gsize)(dot - keys[i])) : NULL;
		g_autofree char *label = config_string(source, "labels", keys[i], "");

		if (dot == NULL || (strcmp(lang, "es") != 0 && strcmp(lang, "en") != 0) || !status_valid(dot + 1))
			return config_fail(error, source, "labels", keys[i],
			                   "write LANG.STATUS = label, LANG es or en, e.g. es.open = Abierto");
		if (*label == '\0' || strpbrk(label, "\r\n") != NULL)
			return config_fail(error, source, "labels", keys[i], "the label is empty");
		g_hash_table_replace(config->labels, g_strconcat(lang, ":", dot + 1, NULL), g_steal_pointer(&label));
	}
	return TRUE;
}

/* config_load_sections - every section, in an order where defaults are known first. */
static gboolean
config_load_sections(const config_source *source, ticketd_config *config, GError **error)
{
	g_auto(GStrv) groups = g_key_file_get_groups(source->keys, NULL);

	if (!config_load_main(source, config, error))
		return FALSE;
	for (int i = 0; groups[i] != NULL; i++) {
		if (g_str_has_prefix(groups[i], "department:")) {
			if (!config_load_department(source, config, groups[i], error))
				return FALSE;
		} else if (strcmp(groups[i], "ticketd") != 0 && strcmp(groups[i], "lmtp") != 0 &&
		           strcmp(groups[i], "smtp") != 0 && strcmp(groups[i], "sweep") != 0 &&
		           strcmp(groups[i], "labels") != 0 && !g_str_has_prefix(groups[i], "imap:")) {
			return config_fail(error, source, groups[i], NULL,
			                   "unknown section; see ticketd.conf(5)");
		}
	}
	if (config->departments->len == 0)
		return config_fail(error, source, "ticketd", NULL,
		                   "no [department:SLUG] section: mail would have nowhere to go");
	return config_load_lmtp(source, config, error) && config_load_smtp(source, config, error) &&
	       config_load_sweep(source, config, error) && config_load_labels(source, config, error) &&
	       config_load_imap_sources(source, config, groups, error);
}

/*
 * config_file_private - the configuration names the database, the secrets' files and
 * who is staff: others may not read it, and no one but its owner may change it.
 * Group read is fine (staff in the ticketd group run ticketctl).
 */
static gboolean
config_file_private(const char *path, GError **error)
{
	struct stat st;

	if (stat(path, &st) != 0)
		return TRUE;                /* reading it says what is wrong */
	if ((st.st_mode & 0022) != 0) {
		g_set_error(error, CONFIG_ERROR, 1, "%s is writable by group or others; run chmod 640 %s",
		            path, path);
		return FALSE;
	}
	if ((st.st_mode & 0004) != 0) {
		g_set_error(error, CONFIG_ERROR, 1, "%s is readable by others; run chmod 640 %s", path, path);
		return FALSE;
	}
	return TRUE;
}

ticketd_config *
config_load(const char *path, GError **error)
{
	g_autoptr(ticketd_config) config = g_new0(ticketd_config, 1);
	g_autoptr(GKeyFile) keys = g_key_file_new();
	g_autofree char *text = NULL;
	g_auto(GStrv) lines = NULL;
	g_autoptr(GError) local_error = NULL;
	gsize length;
	config_source source = { path, NULL, NULL };

	config->path = g_strdup(path);
	config->departments = g_ptr_array_new_with_free_func(department_free);
	config->sweep_rules = g_ptr_array_new_with_free_func(sweep_rule_free);
	config->imap_sources = g_ptr_array_new_with_free_func(imap_source_free);
	config->labels = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	if (!config_file_private(path, error))
		return NULL;
	if (!g_file_get_contents(path, &text, &length, &local_error)) {
		g_set_error(error, CONFIG_ERROR, 1, "%s: %s", path, local_error->message);
		return NULL;
	}
	lines = g_strsplit(text, "\n", -1);
	source.lines = lines;
	source.keys = keys;
	if (!config_check_syntax(&source, error))
		return NULL;
	g_key_file_set_list_separator(keys, ',');
	if (!g_key_file_load_from_data(keys, text, length, G_KEY_FILE_NONE, &local_error)) {
		g_set_error(error, CONFIG_ERROR, 1, "%s: %s", path, local_error->message);
		return NULL;
	}
	if (!config_load_sections(&source, config, error))
		return NULL;
	/* Only a whole, valid configuration changes the labels: a broken reload keeps them. */
	status_use_labels(config->labels);
	return g_steal_pointer(&config);
}

void
config_free(ticketd_config *config)
{
	if (config == NULL)
		return;
	g_free(config->path);
	g_hash_table_unref(config->labels);
	g_free(config->database);
	g_free(config->domain);
	g_free(config->code_mask);
	g_free(config->subject_tag);
	g_strfreev(config->staff);
	g_free(config->templates_dir);
	g_free(config->language);
	g_free(config->user);
	g_free(config->pid_file);
	if (config->departments != NULL)
		g_ptr_array_unref(config->departments);
	if (config->sweep_rules != NULL)
		g_ptr_array_unref(config->sweep_rules);
	g_strfreev(config->lmtp.listen);
	g_free(config->lmtp.socket_owner);
	g_free(config->smtp.url);
	g_free(config->smtp.user);
	g_free(config->smtp.password);
	g_free(config->smtp.from_name);
	g_free(config->smtp.from_address);
	g_free(config->smtp.envelope_from);
	if (config->imap_sources != NULL)
		g_ptr_array_unref(config->imap_sources);
	g_free(config);
}

const department_config *
config_department_for(const ticketd_config *config, const char *address, char **detail)
{
	const char *at;
	const char *plus;
	g_autofree char *base = NULL;

	if (detail != NULL)
		*detail = NULL;
	if (address == NULL || (at = strchr(address, '@')) == NULL)
		return NULL;
	plus = memchr(address, '+', (gsize)(at - address));
	base = plus ? g_strdup_printf("%.*s%s", (int)(plus - address), address, at)
	            : g_strdup(address);
	{
		g_autofree char *lower = g_ascii_strdown(base, -1);

		for (guint i = 0; i < config->departments->len; i++) {
			const department_config *department = g_ptr_array_index(config->departments, i);

			if (strcmp(department->address, lower) != 0)
				continue;
			if (plus != NULL && detail != NULL)
				*detail = g_strndup(plus + 1, (gsize)(at - plus - 1));
			return department;
		}
	}
	return NULL;
}

const department_config *
config_department_by_slug(const ticketd_config *config, const char *slug)
{
	for (guint i = 0; slug != NULL && i < config->departments->len; i++) {
		const department_config *department = g_ptr_array_index(config->departments, i);

		if (strcmp(department->slug, slug) == 0)
			return department;
	}
	return NULL;
}

const imap_source_config *
config_imap_source_by_name(const ticketd_config *config, const char *name)
{
	for (guint i = 0; name != NULL && i < config->imap_sources->len; i++) {
		const imap_source_config *imap = g_ptr_array_index(config->imap_sources, i);

		if (strcmp(imap->name, name) == 0)
			return imap;
	}
	return NULL;
}

gboolean
config_is_staff(const ticketd_config *config, const char *address)
{
	for (int i = 0; address != NULL && config->staff[i] != NULL; i++)
		if (g_ascii_strcasecmp(config->staff[i], address) == 0)
			return TRUE;
	return FALSE;
}

const char *
unknown_sender_policy_name(unknown_sender_policy policy)
{
	switch (policy) {
	case UNKNOWN_SENDER_CREATE: return "create";
	case UNKNOWN_SENDER_REJECT: return "reject";
	case UNKNOWN_SENDER_HOLD: return "hold";
	}
	return "?";
}

const char *
closed_reply_policy_name(closed_reply_policy policy)
{
	switch (policy) {
	case CLOSED_REPLY_REOPEN: return "reopen";
	case CLOSED_REPLY_NEW: return "new";
	case CLOSED_REPLY_REJECT: return "reject";
	}
	return "?";
}
