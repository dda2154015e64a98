/*
 * ctl - what the ticketctl commands share: opening the configuration and the store,
 * option parsing, error reporting by exit code, JSON output and time formats.
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

#include "ctl.h"
#include "mime.h"

/* The configuration ctl_open loaded: error hints name its database and user. */
static const ticketd_config *opened;

/*
 * ctl_database_owner - root made or opened the database: its files belong to the
 * daemon's user, or every delivery would fail on "attempt to write a readonly
 * database". Nothing to do for anyone else, or when that user does not exist.
 */
static int
ctl_database_owner(const ticketd_config *config)
{
	static const char *const suffixes[] = { "", "-wal", "-shm" };
	struct passwd *pw = config->user != NULL ? getpwnam(config->user) : NULL;

	if (geteuid() != 0 || pw == NULL || pw->pw_uid == 0)
		return EX_OK;
	for (gsize i = 0; i < G_N_ELEMENTS(suffixes); i++) {
		g_autofree char *path = g_strconcat(config->database, suffixes[i], NULL);
		struct stat st;

		if (lstat(path, &st) != 0 || st.st_uid == pw->pw_uid)
			continue;
		if (chown(path, pw->pw_uid, pw->pw_gid) < 0) {
			fprintf(stderr, "ticketctl: %s: cannot give it to %s, the daemon's user: %s; run chown %s: %s%s\n",
			        path, config->user, g_strerror(errno), config->user, config->database,
			        " (and its -wal and -shm files)");
			return EX_NOPERM;
		}
	}
	return EX_OK;
}

int
ctl_open(ctl_context *ctx)
{
	g_autoptr(GError) error = NULL;

	/* Run as root, only a configuration root wrote may say which database root writes. */
	if ((ctx->config = config_load(config_path(ctx->config_file), &error)) == NULL ||
	    (geteuid() == 0 && !config_check_root_owned(ctx->config, &error))) {
		fprintf(stderr, "ticketctl: %s\n", error->message);
		return EX_CONFIG;
	}
	opened = ctx->config;
	mime_set_fallback_charsets((const char *const *)ctx->config->fallback_charsets);
	if ((ctx->db = store_open(ctx->config->database, &error)) == NULL)
		return ctl_store_error("opening the database", error);
	return ctl_database_owner(ctx->config);
}

void
ctl_close(ctl_context *ctx)
{
	opened = NULL;
	g_clear_pointer(&ctx->db, store_close);
	g_clear_pointer(&ctx->config, config_free);
}

gboolean
ctl_parse(ctl_context *ctx, const char *usage, const char *summary, GOptionEntry *entries,
          int *argc, char ***argv)
{
	g_autoptr(GOptionContext) options = g_option_context_new(usage);
	g_autoptr(GError) error = NULL;
	GOptionEntry json[] = {
		{ "json", 0, 0, G_OPTION_ARG_NONE, &ctx->json, "machine-readable output", NULL },
		{ NULL }
	};

	g_option_context_set_summary(options, summary);
	if (entries != NULL)
		g_option_context_add_main_entries(options, entries, NULL);
	g_option_context_add_main_entries(options, json, NULL);
	if (!g_option_context_parse(options, argc, argv, &error)) {
		fprintf(stderr, "ticketctl %s: %s (see ticketctl %s --help)\n", (*argv)[0], error->message, (*argv)[0]);
		return FALSE;
	}
	return TRUE;
}

/*
 * ctl_read_only_hint - how staff get write access: as members of the daemon's group,
 * with the group's write bit on the database, its -wal, -shm and directory (SQLite
 * gives new -wal and -shm files the database's mode).
 */
static void
ctl_read_only_hint(void)
{
	const char *database = opened != NULL ? opened->database : "DB";
	const char *user = opened != NULL ? opened->user : "ticketd";
	struct passwd *pw = getpwnam(user);
	struct group *group = pw != NULL ? getgrgid(pw->pw_gid) : NULL;
	g_autofree char *dir = g_path_get_dirname(database);

	fprintf(stderr, "ticketctl: %s may not write the database. Staff get write access, as root: "
	        "usermod -aG %s %s && chmod 0770 %s && chmod 0660 %s %s-wal %s-shm (then log in again); "
	        "or run ticketctl as %s: sudo -u %s ticketctl ... (see ticketctl(1), WRITE ACCESS)\n",
	        g_get_user_name(), group != NULL ? group->gr_name : user, g_get_user_name(), dir, database, database,
	        database, user, user);
}

int
ctl_store_error(const char *what, GError *error)
{
	fprintf(stderr, "ticketctl: %s: %s\n", what, error->message);
	if (error->domain == STORE_ERROR && (error->code == STORE_ERROR_BUSY || error->code == STORE_ERROR_FULL)) {
		fprintf(stderr, "ticketctl: the database is busy or full; try again\n");
		return EX_TEMPFAIL;
	}
	if (error->domain == STORE_ERROR && error->code == STORE_ERROR_NOT_FOUND)
		return EX_NOINPUT;
	if (error->domain == STORE_ERROR && error->code == STORE_ERROR_READONLY) {
		ctl_read_only_hint();
		return EX_NOPERM;
	}
	return EX_DATAERR;
}

void
ctl_print_json(JsonBuilder *builder)
{
	g_autoptr(JsonGenerator) generator = json_generator_new();
	g_autoptr(JsonNode) root = json_builder_get_root(builder);
	g_autofree char *text = NULL;

	json_generator_set_root(generator, root);
	json_generator_set_pretty(generator, TRUE);
	text = json_generator_to_data(generator, NULL);
	printf("%s\n", text);
}

void
ctl_json_string(JsonBuilder *builder, const char *name, const char *value)
{
	json_builder_set_member_name(builder, name);
	json_builder_add_string_value(builder, value);
}

void
ctl_json_int(JsonBuilder *builder, const char *name, gint64 value)
{
	json_builder_set_member_name(builder, name);
	json_builder_add_int_value(builder, value);
}

void
ctl_json_bool(JsonBuilder *builder, const char *name, gboolean value)
{
	json_builder_set_member_name(builder, name);
	json_builder_add_boolean_value(builder, value);
}

char *
ctl_time(int64_t seconds)
{
	g_autoptr(GDateTime) utc = g_date_time_new_from_unix_utc(seconds);
	g_autoptr(GDateTime) local = utc ? g_date_time_to_local(utc) : NULL;

	return local ? g_date_time_format(local, "%Y-%m-%d %H:%M") : g_strdup("?");
}

char *
ctl_bounce_text(const store_address_state *state)
{
	g_autofree char *when = ctl_time(state->bounced);

	return g_strdup_printf("%s (DSN %s, %s, notice %" G_GINT64_FORMAT ")",
	                       state->permanent ? "bounces for good: not mailed until it writes in or is unbounced"
	                                        : "last bounce temporary: still mailed",
	                       *state->status != '\0' ? state->status : "without status", when, state->outbox_id);
}

void
ctl_json_bounce(JsonBuilder *builder, const store_address_state *state)
{
	json_builder_set_member_name(builder, "bounce");
	if (state->address == NULL) {
		json_builder_add_null_value(builder);
		return;
	}
	json_builder_begin_object(builder);
	ctl_json_string(builder, "status", state->status);
	ctl_json_bool(builder, "permanent", state->permanent);
	ctl_json_int(builder, "bounced", state->bounced);
	ctl_json_int(builder, "outbox_id", state->outbox_id);
	json_builder_end_object(builder);
}

int64_t
ctl_parse_time(const char *text)
{
	g_autoptr(GDateTime) when = NULL;
	g_autoptr(GTimeZone) zone = g_time_zone_new_local();
	int y, m, d, hh = 0, mm = 0;
	char end;

	if (text[0] == '@')
		return g_ascii_strtoll(text + 1, NULL, 10);
	if ((when = g_date_time_new_from_iso8601(text, zone)) != NULL)
		return g_date_time_to_unix(when);
	if (sscanf(text, "%d-%d-%d %d:%d%c", &y, &m, &d, &hh, &mm, &end) != 5 &&
	    sscanf(text, "%d-%d-%d%c", &y, &m, &d, &end) != 3)
		return -1;
	when = g_date_time_new(zone, y, m, d, hh, mm, 0);
	return when ? g_date_time_to_unix(when) : -1;
}

char *
ctl_read_text(const char *command, const char *file)
{
	g_autoptr(GString) text = g_string_new(NULL);
	g_autoptr(GError) error = NULL;
	char buffer[8192];
	size_t got;
	char *contents = NULL;
	gsize length = 0;

	if (file != NULL && !g_file_get_contents(file, &contents, &length, &error)) {
		fprintf(stderr, "ticketctl %s: %s\n", command, error->message);
		return NULL;
	}
	if (file != NULL)
		g_string_append_len(text, contents, (gssize)length);
	while (file == NULL && text->len <= CTL_TEXT_MAX && (got = fread(buffer, 1, sizeof buffer, stdin)) > 0)
		g_string_append_len(text, buffer, (gssize)got);
	g_free(contents);
	if (text->len > CTL_TEXT_MAX || !g_utf8_validate(text->str, (gssize)text->len, NULL)) {
		fprintf(stderr, "ticketctl %s: the text must be UTF-8 and at most %d bytes\n", command, CTL_TEXT_MAX);
		return NULL;
	}
	g_strstrip(text->str);
	if (*text->str == '\0') {
		fprintf(stderr, "ticketctl %s: the text is empty; give it with --file FILE or on stdin\n", command);
		return NULL;
	}
	return g_strdup(text->str);
}

int
ctl_ticket(ctl_context *ctx, const char *command, const char *code, store_ticket *ticket)
{
	g_autofree char *upper = g_ascii_strup(code, -1);
	g_autoptr(GError) error = NULL;

	if (store_ticket_by_code(ctx->db, upper, ticket, &error))
		return EX_OK;
	if (error != NULL)
		return ctl_store_error("reading the ticket", error);
	fprintf(stderr, "ticketctl %s: no ticket %s (ticketctl list shows the codes)\n", command, upper);
	return EX_NOINPUT;
}
