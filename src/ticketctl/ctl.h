/*
 * ctl - the commands of ticketctl, the staff and admin CLI. Each command gets its own
 * argv (argv[0] is the command name) and returns a sysexits(3) code:
 * 0 done, 64 usage, 65 bad input, 66 no such thing, 75 database busy: try again, 78 config.
 */
#ifndef TICKETD_CTL_H
#define TICKETD_CTL_H

#include <json-glib/json-glib.h>

#include "config.h"
#include "store.h"

typedef struct {
	const char *config_file;    /* -c FILE, or NULL */
	gboolean json;              /* --json: machine-readable output on stdout */
	ticketd_config *config;
	store *db;
} ctl_context;

/* ctl_open - load the configuration and open the store; an exit code, 0 on success. */
int ctl_open(ctl_context *ctx);
void ctl_close(ctl_context *ctx);

/* ctl_parse - command options with GOptionContext; FALSE after printing the usage error. */
gboolean ctl_parse(ctl_context *ctx, const char *usage, const char *summary, GOptionEntry *entries,
                   int *argc, char ***argv);
/* ctl_ticket - the ticket a command names (any case), from the open store; an exit code,
 * EX_NOINPUT with a line saying so when there is none. */
int ctl_ticket(ctl_context *ctx, const char *command, const char *code, store_ticket *ticket);
/* ctl_store_error - report a store failure; 75 when retrying can help, else 65/66. */
int ctl_store_error(const char *what, GError *error);
void ctl_print_json(JsonBuilder *builder);
/* ctl_json_string, ctl_json_int, ctl_json_bool - one member of the object being built. */
void ctl_json_string(JsonBuilder *builder, const char *name, const char *value);
void ctl_json_int(JsonBuilder *builder, const char *name, gint64 value);
void ctl_json_bool(JsonBuilder *builder, const char *name, gboolean value);
/* ctl_time - unix seconds as local "2025-02-03 10:15". */
char *ctl_time(int64_t seconds);
/* ctl_parse_time - "2025-02-03", "2025-02-03 10:15", ISO 8601 or @unix; -1 when invalid. */
int64_t ctl_parse_time(const char *text);
/* ctl_bounce_text - what bounces said of an address, one line: "bounces for good (DSN
 * 5.1.1, 2026-12-01 10:15, notice 42)" or "last bounce temporary (...)". */
char *ctl_bounce_text(const store_address_state *state);
/* ctl_json_bounce - member "bounce": the state as an object, null when state->address is NULL. */
void ctl_json_bounce(JsonBuilder *builder, const store_address_state *state);

#define CTL_TEXT_MAX (1024 * 1024)          /* a reply, note or first message, bytes */
/* ctl_read_text - the text of a reply, note or first message: --file, else stdin; UTF-8,
 * at most CTL_TEXT_MAX, not empty; NULL after saying why. */
char *ctl_read_text(const char *command, const char *file);

int ctl_import(ctl_context *ctx, int argc, char **argv);
int ctl_inspect(ctl_context *ctx, int argc, char **argv);
int ctl_list(ctl_context *ctx, int argc, char **argv);
int ctl_show(ctl_context *ctx, int argc, char **argv);
int ctl_account(ctl_context *ctx, int argc, char **argv);
int ctl_subaccount(ctl_context *ctx, int argc, char **argv);
int ctl_department(ctl_context *ctx, int argc, char **argv);
int ctl_outbox(ctl_context *ctx, int argc, char **argv);
int ctl_status(ctl_context *ctx, int argc, char **argv);
int ctl_reply(ctl_context *ctx, int argc, char **argv);
int ctl_note(ctl_context *ctx, int argc, char **argv);
int ctl_assign(ctl_context *ctx, int argc, char **argv);
int ctl_close_ticket(ctl_context *ctx, int argc, char **argv);
int ctl_reopen(ctl_context *ctx, int argc, char **argv);
int ctl_merge(ctl_context *ctx, int argc, char **argv);
int ctl_sweep(ctl_context *ctx, int argc, char **argv);
int ctl_search(ctl_context *ctx, int argc, char **argv);
int ctl_attachment(ctl_context *ctx, int argc, char **argv);
int ctl_export(ctl_context *ctx, int argc, char **argv);
int ctl_fetch(ctl_context *ctx, int argc, char **argv);
int ctl_kb(ctl_context *ctx, int argc, char **argv);
int ctl_open_ticket(ctl_context *ctx, int argc, char **argv);
int ctl_priority(ctl_context *ctx, int argc, char **argv);
int ctl_staff(ctl_context *ctx, int argc, char **argv);
int ctl_watcher(ctl_context *ctx, int argc, char **argv);
int ctl_held(ctl_context *ctx, int argc, char **argv);
int ctl_stats(ctl_context *ctx, int argc, char **argv);

#endif
