/*
 * config - load and validate /etc/ticketd/ticketd.conf. GKeyFile does the parsing;
 * this file adds what a postmaster needs from errors: the file, the line and the key,
 * unknown keys refused (a typo must not silently mean a default), paths made absolute.
 * Each section's keys are a table (config_keys.c) that config_load_keys walks.
 */
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "address.h"
#include "config-private.h"

G_DEFINE_QUARK(ticketd-config-error-quark, config_error)

/* Sections with a fixed name; [department:SLUG] and [imap:NAME] are told by their prefix. */
static const char *const config_fixed_groups[] = { "ticketd", "lmtp", "smtp", "sweep", "kb", "labels", NULL };

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

/* config_failv - set an error "FILE:LINE: [group] key: message". Always returns FALSE. */
static gboolean G_GNUC_PRINTF(5, 0)
config_failv(GError **error, const config_source *source, const char *group, const char *key,
             const char *format, va_list args)
{
	g_autofree char *message = g_strdup_vprintf(format, args);

	g_set_error(error, CONFIG_ERROR, 1, "%s:%d: [%s]%s%s: %s", source->path,
	            config_line_of(source, group, key), group, key ? " " : "", key ? key : "", message);
	return FALSE;
}

gboolean
config_fail(GError **error, const config_source *source, const char *group, const char *key,
            const char *format, ...)
{
	va_list args;

	va_start(args, format);
	config_failv(error, source, group, key, format, args);
	va_end(args);
	return FALSE;
}

gboolean
config_key_fail(GError **error, const config_section *section, const config_key *key, const char *format, ...)
{
	va_list args;

	va_start(args, format);
	config_failv(error, section->source, section->group, key->name, format, args);
	va_end(args);
	return FALSE;
}

/*
 * config_check_twice - a key given twice in one section: GKeyFile would keep the last
 * silently, and the postmaster may be editing the first. [sweep] rule is a list.
 */
static gboolean
config_check_twice(const config_source *source, GHashTable *seen, const char *group, const char *line,
                   int number, GError **error)
{
	g_autofree char *key = g_strstrip(g_strndup(line, (gsize)(strchr(line, '=') - line)));
	char *where = g_strconcat(group, "]", key, NULL);
	gpointer first;

	if (strcmp(group, "sweep") == 0 && strcmp(key, "rule") == 0) {
		g_free(where);
		return TRUE;
	}
	if (g_hash_table_lookup_extended(seen, where, NULL, &first)) {
		g_set_error(error, CONFIG_ERROR, 1, "%s:%d: [%s] %s: given twice (first on line %d); keep one",
		            source->path, number, group, key, GPOINTER_TO_INT(first));
		g_free(where);
		return FALSE;
	}
	g_hash_table_insert(seen, where, GINT_TO_POINTER(number));
	return TRUE;
}

/* config_check_syntax - every line is UTF-8 and blank, a comment, a [group] or key = value. */
static gboolean
config_check_syntax(const config_source *source, GError **error)
{
	g_autoptr(GHashTable) seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	g_autofree char *group = g_strdup("");

	for (int i = 0; source->lines[i] != NULL; i++) {
		g_autofree char *line = g_strstrip(g_strdup(source->lines[i]));

		if (!g_utf8_validate(line, -1, NULL)) {
			g_set_error(error, CONFIG_ERROR, 1, "%s:%d: not UTF-8; save the file as UTF-8",
			            source->path, i + 1);
			return FALSE;
		}
		if (line[0] == '\0' || line[0] == '#' || line[0] == ';')
			continue;
		if (line[0] == '[' && line[strlen(line) - 1] == ']') {
			g_free(group);
			group = g_strndup(line + 1, strlen(line) - 2);
			continue;
		}
		if (strchr(line, '=') != NULL && line[0] != '=') {
			if (!config_check_twice(source, seen, group, line, i + 1, error))
				return FALSE;
			continue;
		}
		g_set_error(error, CONFIG_ERROR, 1,
		            "%s:%d: not a [section] or a key = value line; fix or comment it out with #",
		            source->path, i + 1);
		return FALSE;
	}
	return TRUE;
}

/* config_check_keys - refuse keys the section's table lacks: a typo must not pass silently. */
static gboolean
config_check_keys(const config_section *section, const config_key *known, GError **error)
{
	g_auto(GStrv) keys = g_key_file_get_keys(section->source->keys, section->group, NULL, NULL);

	for (int i = 0; keys != NULL && keys[i] != NULL; i++) {
		const config_key *key = known;

		while (key->name != NULL && strcmp(key->name, keys[i]) != 0)
			key++;
		if (key->name == NULL)
			return config_fail(error, section->source, section->group, keys[i],
			                   "unknown key; see ticketd.conf(5) for the keys of this section");
	}
	return TRUE;
}

/* config_string - a key's value, stripped, or a copy of fallback when absent. */
char *
config_string(const config_source *source, const char *group, const char *key, const char *fallback)
{
	char *value = g_key_file_get_string(source->keys, group, key, NULL);

	if (value == NULL)
		return g_strdup(fallback);
	return g_strstrip(value);
}

char *
config_key_text(const config_section *section, const config_key *key)
{
	return config_string(section->source, section->group, key->name, key->text);
}

void *
config_key_field(const config_section *section, const config_key *key)
{
	return key->offset < 0 ? NULL : (char *)section->target + key->offset;
}

/* config_number - an INT key: a non-negative integer within its bounds, else its default. */
static gboolean
config_number(const config_section *section, const config_key *key, gint64 *out, GError **error)
{
	g_autofree char *text = config_string(section->source, section->group, key->name, NULL);
	char *end = NULL;
	gint64 value;

	if (text == NULL) {
		*out = key->number;
		return TRUE;
	}
	errno = 0;
	value = g_ascii_strtoll(text, &end, text[0] == '0' && text[1] != '\0' ? 8 : 10);
	if (errno != 0 || end == text || *end != '\0' || value < key->min || value > key->max)
		return config_key_fail(error, section, key, "\"%s\" is not a number from %" G_GINT64_FORMAT
		                       " to %" G_GINT64_FORMAT, text, key->min, key->max);
	*out = value;
	return TRUE;
}

/* config_boolean - a BOOL key: yes/no (also true/false, on/off), else its default. */
static gboolean
config_boolean(const config_section *section, const config_key *key, gboolean *out, GError **error)
{
	g_autofree char *text = config_string(section->source, section->group, key->name, NULL);

	if (text == NULL)
		*out = key->number != 0;
	else if (g_strv_contains((const char *const[]){ "yes", "true", "on", NULL }, text))
		*out = TRUE;
	else if (g_strv_contains((const char *const[]){ "no", "false", "off", NULL }, text))
		*out = FALSE;
	else
		return config_key_fail(error, section, key, "\"%s\" is neither yes nor no", text);
	return TRUE;
}

/* config_choose - a CHOICE key: one of its words, "is not one of a, b, c" otherwise. */
static gboolean
config_choose(const config_section *section, const config_key *key, int *out, GError **error)
{
	g_autofree char *text = config_key_text(section, key);
	g_autoptr(GString) names = g_string_new(NULL);

	if (text == NULL)
		return TRUE;
	for (const config_choice *choice = key->choices; choice->name != NULL; choice++) {
		if (strcmp(choice->name, text) == 0) {
			*out = choice->value;
			return TRUE;
		}
		g_string_append_printf(names, "%s%s", names->len ? ", " : "", choice->name);
	}
	return config_key_fail(error, section, key, "\"%s\" is not one of %s", text, names->str);
}

/* config_load_key - one row: its value (or default) into its field, then its check. */
static gboolean
config_load_key(const config_section *section, const config_key *key, GError **error)
{
	void *field = config_key_field(section, key);
	gint64 number = 0;
	char *text;

	switch (key->kind) {
	case CONFIG_KIND_INT:
		if (!config_number(section, key, &number, error))
			return FALSE;
		if (key->size == sizeof(int))
			*(int *)field = (int)number;
		else
			*(gsize *)field = (gsize)number;
		break;
	case CONFIG_KIND_BOOL:
		if (!config_boolean(section, key, field, error))
			return FALSE;
		break;
	case CONFIG_KIND_CHOICE:
		if (!config_choose(section, key, field, error))
			return FALSE;
		break;
	case CONFIG_KIND_STR:
	case CONFIG_KIND_PATH:
		if ((text = config_key_text(section, key)) == NULL)
			break;
		g_free(*(char **)field);
		*(char **)field = key->kind == CONFIG_KIND_PATH ? config_path_absolute(section->source, text) : text;
		break;
	case CONFIG_KIND_OTHER:
		break;
	}
	return key->check == NULL || key->check(section, key, error);
}

gboolean
config_load_keys(const config_section *section, const config_key *keys, GError **error)
{
	if (!config_check_keys(section, keys, error))
		return FALSE;
	for (const config_key *key = keys; key->name != NULL; key++)
		if (!config_load_key(section, key, error))
			return FALSE;
	return TRUE;
}

/* config_path_absolute - relative paths are relative to the configuration file. */
char *
config_path_absolute(const config_source *source, char *path)
{
	g_autofree char *dir = NULL;
	g_autofree char *absolute_dir = NULL;
	char *joined;

	if (path == NULL || g_path_is_absolute(path))
		return path;
	dir = g_path_get_dirname(source->path);
	absolute_dir = g_canonicalize_filename(dir, NULL);
	joined = g_build_filename(absolute_dir, path, NULL);
	g_free(path);
	return joined;
}

/* config_file_note - remember a file the configuration took in, as it was when read. */
void
config_file_note(ticketd_config *config, const char *path, const struct stat *st, gboolean daemon_may_own)
{
	config_trusted_file *file = g_new0(config_trusted_file, 1);

	file->path = g_strdup(path);
	file->owner = st->st_uid;
	file->mode = st->st_mode;
	file->daemon_may_own = daemon_may_own;
	g_ptr_array_add(config->trusted_files, file);
}

static void
config_file_free(gpointer data)
{
	config_trusted_file *file = data;

	g_free(file->path);
	g_free(file);
}

/*
 * config_file_read - a regular file's content and its stat, both from one descriptor:
 * what is checked is what is read, even if the path is swapped in between.
 */
static gboolean
config_file_read(const char *path, struct stat *st, char **text, gsize *length, GError **error)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	g_autoptr(GString) content = g_string_new(NULL);
	char buffer[8192];
	ssize_t n;

	if (fd < 0 || fstat(fd, st) != 0) {
		g_set_error(error, CONFIG_ERROR, 1, "%s: %s", path, g_strerror(errno));
		if (fd >= 0)
			close(fd);
		return FALSE;
	}
	if (!S_ISREG(st->st_mode)) {
		g_set_error(error, CONFIG_ERROR, 1, "%s: not a regular file", path);
		close(fd);
		return FALSE;
	}
	while ((n = read(fd, buffer, sizeof buffer)) > 0 || (n < 0 && errno == EINTR))
		if (n > 0)
			g_string_append_len(content, buffer, n);
	if (n < 0)
		g_set_error(error, CONFIG_ERROR, 1, "%s: %s", path, g_strerror(errno));
	close(fd);
	*length = content->len;
	*text = g_string_free(g_steal_pointer(&content), FALSE);
	return n == 0;
}

/* config_read_secret - a password file that only its owner may read. */
gboolean
config_read_secret(const config_section *section, const config_key *key, const char *path, char **out,
                   GError **error)
{
	struct stat st;
	g_autofree char *text = NULL;
	g_autoptr(GError) read_error = NULL;
	gsize length;

	if (!config_file_read(path, &st, &text, &length, &read_error))
		return config_key_fail(error, section, key, "%s", read_error->message);
	if ((st.st_mode & 077) != 0)
		return config_key_fail(error, section, key, "%s is readable by group or others; run chmod 600 %s",
		                       path, path);
	/* The daemon reads it again at reload, after dropping to its user: that user may own it. */
	config_file_note(section->config, path, &st, TRUE);
	*out = g_strdup(g_strchomp(text));
	return TRUE;
}

static void
department_free(gpointer data)
{
	department_config *department = data;

	g_free(department->slug);
	g_free(department->name);
	g_free(department->address);
	g_strfreev(department->staff);
	g_free(department->from_name);
	g_free(department->from_address);
	g_free(department->signature);
	g_free(department);
}

/* config_load_department - one [department:SLUG]; name, closed_reply and cc inherit. */
static gboolean
config_load_department(const config_source *source, ticketd_config *config, const char *group,
                       GError **error)
{
	department_config *department = g_new0(department_config, 1);
	const char *slug = group + strlen("department:");
	config_section section = { source, group, config, department };

	g_ptr_array_add(config->departments, department);
	department->slug = g_strdup(slug);
	if (*slug == '\0' || strspn(slug, "abcdefghijklmnopqrstuvwxyz0123456789-_") != strlen(slug))
		return config_fail(error, source, group, NULL,
		                   "a department slug is lower-case letters, digits, - and _");
	department->name = g_strdup(slug);
	department->closed_reply = config->closed_reply;
	department->cc = config->cc;
	return config_load_keys(&section, config_department_keys, error);
}

/* config_load_group - a section with a fixed name, read by its table into target. */
static gboolean
config_load_group(const config_source *source, ticketd_config *config, const char *group,
                  const config_key *keys, void *target, GError **error)
{
	config_section section = { source, group, config, target };

	return config_load_keys(&section, keys, error);
}

/* config_group_known - a section ticketd reads. */
static gboolean
config_group_known(const char *group)
{
	return g_strv_contains(config_fixed_groups, group) || g_str_has_prefix(group, "department:") ||
	       g_str_has_prefix(group, "imap:");
}

/* config_load_sections - every section, in an order where defaults are known first. */
static gboolean
config_load_sections(const config_source *source, ticketd_config *config, GError **error)
{
	g_auto(GStrv) groups = g_key_file_get_groups(source->keys, NULL);

	if (!g_key_file_has_group(source->keys, "ticketd"))
		return config_fail(error, source, "ticketd", NULL, "the [ticketd] section is missing");
	if (!config_load_group(source, config, "ticketd", config_ticketd_keys, config, error))
		return FALSE;
	for (int i = 0; groups[i] != NULL; i++) {
		if (!config_group_known(groups[i]))
			return config_fail(error, source, groups[i], NULL, "unknown section; see ticketd.conf(5)");
		if (g_str_has_prefix(groups[i], "department:") &&
		    !config_load_department(source, config, groups[i], error))
			return FALSE;
	}
	if (config->departments->len == 0)
		return config_fail(error, source, "ticketd", NULL,
		                   "no [department:SLUG] section: mail would have nowhere to go");
	return config_load_group(source, config, "lmtp", config_lmtp_keys, &config->lmtp, error) &&
	       config_load_group(source, config, "smtp", config_smtp_keys, &config->smtp, error) &&
	       config_load_group(source, config, "sweep", config_sweep_keys, config, error) &&
	       config_load_group(source, config, "kb", config_kb_keys, &config->kb, error) &&
	       config_load_labels(source, config, error) &&
	       config_load_imap_sources(source, config, groups, error);
}
/*
 * config_file_private - the configuration names the database, the secrets' files and
 * who is staff: others may not read it, and no one but its owner may change it.
 * Group read is fine (staff in the ticketd group run ticketctl).
 */
static gboolean
config_file_private(const char *path, const struct stat *st, GError **error)
{
	if ((st->st_mode & 0022) != 0) {
		g_set_error(error, CONFIG_ERROR, 1, "%s is writable by group or others; run chmod 640 %s",
		            path, path);
		return FALSE;
	}
	if ((st->st_mode & 0004) != 0) {
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
	struct stat st;
	config_source source = { path, NULL, NULL };

	config->path = g_strdup(path);
	config->departments = g_ptr_array_new_with_free_func(department_free);
	config->sweep_rules = g_ptr_array_new_with_free_func(config_sweep_rule_free);
	config->imap_sources = g_ptr_array_new_with_free_func(config_imap_source_free);
	config->labels = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	config->trusted_files = g_ptr_array_new_with_free_func(config_file_free);
	if (!config_file_read(path, &st, &text, &length, error) || !config_file_private(path, &st, error))
		return NULL;
	config_file_note(config, path, &st, FALSE);
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
	return g_steal_pointer(&config);
}

/*
 * config_check_templates - the templates directory and one for each language of the
 * configuration: what the daemon needs before it starts, said with file and line.
 */
gboolean
config_check_templates(const ticketd_config *config, GError **error)
{
	g_autofree char *text = NULL;
	g_auto(GStrv) lines = NULL;
	config_source source = { config->path, NULL, NULL };

	for (int i = 0; config_languages[i] != NULL; i++) {
		g_autofree char *dir = g_build_filename(config->templates_dir, config_languages[i], NULL);
		const char *missing = !g_file_test(config->templates_dir, G_FILE_TEST_IS_DIR) ? config->templates_dir : dir;

		if (g_file_test(dir, G_FILE_TEST_IS_DIR))
			continue;
		if (!g_file_get_contents(config->path, &text, NULL, NULL))
			text = g_strdup("");
		lines = g_strsplit(text, "\n", -1);
		source.lines = lines;
		return config_fail(error, &source, "ticketd", "templates",
		                   "%s: no such directory; run make install (it puts them in /etc/ticketd/templates) "
		                   "or set templates to where they are", missing);
	}
	return TRUE;
}

void
config_free(ticketd_config *config)
{
	if (config == NULL)
		return;
	g_free(config->path);
	if (config->labels != NULL)
		g_hash_table_unref(config->labels);
	g_free(config->database);
	g_free(config->domain);
	g_free(config->code_mask);
	g_free(config->subject_tag);
	g_strfreev(config->staff);
	g_free(config->secret_file);
	if (config->secret != NULL)
		g_bytes_unref(config->secret);
	g_free(config->secret_problem);
	g_strfreev(config->authserv_ids);
	g_strfreev(config->fallback_charsets);
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
	g_free(config->smtp.signature);
	if (config->imap_sources != NULL)
		g_ptr_array_unref(config->imap_sources);
	if (config->lmtp.allowed_uids != NULL)
		g_array_unref(config->lmtp.allowed_uids);
	if (config->trusted_files != NULL)
		g_ptr_array_unref(config->trusted_files);
	g_free(config);
}

/* config_file_owner_ok - root's, or the daemon user's where it re-reads the file as that user. */
static gboolean
config_file_owner_ok(const config_trusted_file *file, const struct passwd *daemon_user)
{
	return file->owner == 0 || (file->daemon_may_own && daemon_user != NULL && file->owner == daemon_user->pw_uid);
}

gboolean
config_check_root_owned(const ticketd_config *config, GError **error)
{
	/*
	 * A root process does what its configuration says (which database it opens, which
	 * files it writes): a file another user could have written would let that user
	 * choose for root.
	 */
	const struct passwd *daemon_user = config->user != NULL ? getpwnam(config->user) : NULL;

	for (guint i = 0; i < config->trusted_files->len; i++) {
		const config_trusted_file *file = g_ptr_array_index(config->trusted_files, i);

		if (!config_file_owner_ok(file, daemon_user)) {
			g_set_error(error, CONFIG_ERROR, 1, "%s belongs to uid %u, and ticketd runs as root: only root%s%s "
			            "may own it; run chown root %s", file->path, (unsigned)file->owner,
			            file->daemon_may_own && daemon_user != NULL ? " or " : "",
			            file->daemon_may_own && daemon_user != NULL ? config->user : "", file->path);
			return FALSE;
		}
		if ((file->mode & 0022) != 0) {
			g_set_error(error, CONFIG_ERROR, 1, "%s is writable by group or others, and ticketd runs as root; "
			            "run chmod go-w %s", file->path, file->path);
			return FALSE;
		}
	}
	return TRUE;
}

gboolean
config_user_allowed(const lmtp_config *lmtp, uid_t uid)
{
	for (guint i = 0; i < lmtp->allowed_uids->len; i++)
		if (g_array_index(lmtp->allowed_uids, uid_t, i) == uid)
			return TRUE;
	return FALSE;
}

const department_config *
config_department_for(const ticketd_config *config, const char *address, char **detail)
{
	g_autofree char *plus_detail = NULL;
	g_autofree char *base = address_base(address, &plus_detail);

	if (detail != NULL)
		*detail = NULL;
	for (guint i = 0; base != NULL && i < config->departments->len; i++) {
		const department_config *department = g_ptr_array_index(config->departments, i);

		if (strcmp(department->address, base) != 0)
			continue;
		if (detail != NULL)
			*detail = g_steal_pointer(&plus_detail);
		return department;
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
		if (address_equal(config->staff[i], address))
			return TRUE;
	for (guint d = 0; address != NULL && config->departments != NULL && d < config->departments->len; d++) {
		const department_config *department = g_ptr_array_index(config->departments, d);

		for (int i = 0; department->staff != NULL && department->staff[i] != NULL; i++)
			if (address_equal(department->staff[i], address))
				return TRUE;
	}
	return FALSE;
}

/* config_choice_name - the word a CHOICE table gives value. */
static const char *
config_choice_name(const config_choice *choices, int value)
{
	for (const config_choice *choice = choices; choice->name != NULL; choice++)
		if (choice->value == value)
			return choice->name;
	return "?";
}

const char *
unknown_sender_policy_name(unknown_sender_policy policy)
{
	return config_choice_name(config_unknown_sender_choices, (int)policy);
}

const char *
closed_reply_policy_name(closed_reply_policy policy)
{
	return config_choice_name(config_closed_reply_choices, (int)policy);
}
