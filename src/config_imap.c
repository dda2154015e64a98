/*
 * config_imap - the [imap:NAME] sections: a mailbox on a provider's server that feeds a
 * department. What is checked here is what libetpan would otherwise send as it is, and
 * that plaintext never leaves the machine.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>

#include "config-private.h"

/* IANA's ports for IMAP over TLS (RFC 8314) and for IMAP with STARTTLS (RFC 9051). */
#define CONFIG_IMAPS_PORT 993
#define CONFIG_IMAP_PORT 143
/* The mailbox of a url without a path (RFC 9051 §5.1: INBOX is always there). */
#define CONFIG_IMAP_MAILBOX "INBOX"
/* A source name keys its state in the store; the text sent to the server is capped. */
#define CONFIG_IMAP_NAME_MAX 64
#define CONFIG_IMAP_TEXT_MAX 1000

void
config_imap_source_free(gpointer data)
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
	return text != NULL && *text != '\0' && strpbrk(text, "\r\n") == NULL && strlen(text) <= CONFIG_IMAP_TEXT_MAX;
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

/* config_imap_plaintext_ok - insecure_plaintext only with imap:// to a loopback host. */
static gboolean
config_imap_plaintext_ok(const config_section *section, const imap_source_config *imap, GError **error)
{
	const char *group = section->group;

	if (!imap->insecure_plaintext)
		return TRUE;
	if (imap->tls == IMAP_TLS_IMPLICIT)
		return config_fail(error, section->source, group, "insecure_plaintext",
		                   "imaps:// is TLS; use imap:// for plaintext");
	if (!config_host_is_loopback(imap->host))
		return config_fail(error, section->source, group, "insecure_plaintext",
		                   "plaintext is allowed only to a loopback host, not %s", imap->host);
	return TRUE;
}

/* config_imap_check_url - imaps://host[:port][/MAILBOX] or imap://host[:port][/MAILBOX]. */
gboolean
config_imap_check_url(const config_section *section, const config_key *key, GError **error)
{
	imap_source_config *imap = section->target;
	g_autoptr(GUri) uri = NULL;
	g_autoptr(GError) uri_error = NULL;
	const char *scheme;
	const char *path;

	if (imap->url == NULL)
		return config_key_fail(error, section, key, "set the mailbox, e.g. url = imaps://imap.example.com/INBOX");
	if ((uri = g_uri_parse(imap->url, G_URI_FLAGS_NONE, &uri_error)) == NULL)
		return config_key_fail(error, section, key, "%s", uri_error->message);
	scheme = g_uri_get_scheme(uri);
	if (strcmp(scheme, "imaps") == 0)
		imap->tls = IMAP_TLS_IMPLICIT;
	else if (strcmp(scheme, "imap") == 0)
		imap->tls = imap->insecure_plaintext ? IMAP_TLS_NONE : IMAP_TLS_STARTTLS;
	else
		return config_key_fail(error, section, key, "use imaps://host/MAILBOX or imap://host/MAILBOX");
	if (g_uri_get_userinfo(uri) != NULL || g_uri_get_query(uri) != NULL || g_uri_get_fragment(uri) != NULL)
		return config_key_fail(error, section, key, "only host, port and mailbox; the user goes in user =");
	if (g_uri_get_host(uri) == NULL || *g_uri_get_host(uri) == '\0')
		return config_key_fail(error, section, key, "no host name");
	imap->host = g_strdup(g_uri_get_host(uri));
	imap->port = g_uri_get_port(uri) > 0 ? g_uri_get_port(uri)
	           : imap->tls == IMAP_TLS_IMPLICIT ? CONFIG_IMAPS_PORT : CONFIG_IMAP_PORT;
	path = g_uri_get_path(uri);
	while (*path == '/')
		path++;
	imap->mailbox = g_strdup(*path != '\0' ? path : CONFIG_IMAP_MAILBOX);
	if (!config_imap_text_ok(imap->mailbox))
		return config_key_fail(error, section, key, "the mailbox name has control characters");
	return config_imap_plaintext_ok(section, imap, error);
}

/* config_imap_check_user - the LOGIN name, sent as it is. */
gboolean
config_imap_check_user(const config_section *section, const config_key *key, GError **error)
{
	const imap_source_config *imap = section->target;

	if (!config_imap_text_ok(imap->user))
		return config_key_fail(error, section, key, "set the login name, without control characters");
	return TRUE;
}

/* config_imap_read_password - required: the file, private, with a password fit to send. */
gboolean
config_imap_read_password(const config_section *section, const config_key *key, GError **error)
{
	imap_source_config *imap = section->target;
	g_autofree char *path = config_path_absolute(section->source, config_key_text(section, key));

	if (path == NULL)
		return config_key_fail(error, section, key, "set the file that holds the password");
	if (!config_read_secret(section, key, path, &imap->password, error))
		return FALSE;
	if (!config_imap_text_ok(imap->password))
		return config_key_fail(error, section, key,
		                       "%s: the password is empty or has a line break or control character", path);
	return TRUE;
}

gboolean
config_imap_check_department(const config_section *section, const config_key *key, GError **error)
{
	const imap_source_config *imap = section->target;

	if (config_department_by_slug(section->config, imap->department) == NULL)
		return config_key_fail(error, section, key, "set the slug of a [department:SLUG] section");
	return TRUE;
}

/* config_imap_read_after - seen, move:FOLDER or delete. */
gboolean
config_imap_read_after(const config_section *section, const config_key *key, GError **error)
{
	imap_source_config *imap = section->target;
	g_autofree char *after = config_key_text(section, key);

	if (strcmp(after, "seen") == 0) {
		imap->after = IMAP_AFTER_SEEN;
	} else if (strcmp(after, "delete") == 0) {
		imap->after = IMAP_AFTER_DELETE;
	} else if (g_str_has_prefix(after, "move:")) {
		imap->after = IMAP_AFTER_MOVE;
		imap->after_folder = g_strdup(after + strlen("move:"));
		if (!config_imap_text_ok(imap->after_folder))
			return config_key_fail(error, section, key, "move: needs a folder name, e.g. move:Procesados");
		if (strcmp(imap->after_folder, imap->mailbox) == 0)
			return config_key_fail(error, section, key, "the folder is the mailbox itself");
	} else {
		return config_key_fail(error, section, key, "\"%s\" is not one of seen, move:FOLDER, delete", after);
	}
	return TRUE;
}

gboolean
config_imap_check_ca_file(const config_section *section, const config_key *key, GError **error)
{
	const imap_source_config *imap = section->target;
	struct stat st;

	if (imap->ca_file == NULL)
		return TRUE;
	if (access(imap->ca_file, R_OK) != 0 || stat(imap->ca_file, &st) != 0)
		return config_key_fail(error, section, key, "%s: %s", imap->ca_file, g_strerror(errno));
	/* Whoever can write the trust anchors can read the mailbox's password in transit. */
	config_file_note(section->config, imap->ca_file, &st, TRUE);
	return TRUE;
}

/* config_load_imap - one [imap:NAME] section: its name, then its table. */
static gboolean
config_load_imap(const config_source *source, ticketd_config *config, const char *group, GError **error)
{
	imap_source_config *imap = g_new0(imap_source_config, 1);
	const char *name = group + strlen("imap:");
	config_section section = { source, group, config, imap };

	g_ptr_array_add(config->imap_sources, imap);
	imap->name = g_strdup(name);
	if (*name == '\0' || strlen(name) > CONFIG_IMAP_NAME_MAX ||
	    strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789-_.") != strlen(name))
		return config_fail(error, source, group, NULL, "a source name is lower-case letters, digits, - _ and .");
	return config_load_keys(&section, config_imap_keys, error);
}

/* config_load_imap_sources - every [imap:NAME], once the departments they name are known. */
gboolean
config_load_imap_sources(const config_source *source, ticketd_config *config, char **groups, GError **error)
{
	for (int i = 0; groups[i] != NULL; i++)
		if (g_str_has_prefix(groups[i], "imap:") && !config_load_imap(source, config, groups[i], error))
			return FALSE;
	return TRUE;
}
