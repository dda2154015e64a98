/*
 * ctl_watcher - `watcher add|remove|list CODE [ADDRESS]`: the people in copy of a
 * ticket, who are copied on its notices and may answer on it. Who may watch is the
 * watcher part's rule; this file parses, makes the call and prints.
 */
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "ctl.h"
#include "watcher.h"

/* watcher_change - add or remove in one transaction; the exit code. */
static int
watcher_change(ctl_context *ctx, gboolean add, const char *code, const char *address)
{
	g_autoptr(GError) error = NULL;
	gboolean ok;

	if (!store_begin(ctx->db, &error))
		return ctl_store_error("changing the watchers", error);
	ok = add ? watcher_add(ctx->config, ctx->db, code, address, store_now(), &error)
	         : watcher_remove(ctx->db, code, address, &error);
	if (!ok || !store_commit(ctx->db, &error)) {
		store_rollback(ctx->db);
		return ctl_store_error(add ? "adding the watcher" : "removing the watcher", error);
	}
	if (ctx->json) {
		g_autoptr(JsonBuilder) builder = json_builder_new();

		json_builder_begin_object(builder);
		ctl_json_string(builder, "ticket", code);
		ctl_json_string(builder, "watcher", address);
		ctl_json_bool(builder, "watching", add);
		json_builder_end_object(builder);
		ctl_print_json(builder);
	} else {
		printf("%s %s %s\n", address, add ? "now watches" : "no longer watches", code);
	}
	return EX_OK;
}

/* watcher_print_list - one address a line, or a JSON array. */
static int
watcher_print_list(ctl_context *ctx, const char *code)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) watchers = watcher_list(ctx->db, code, &error);

	if (watchers == NULL)
		return ctl_store_error("listing the watchers", error);
	if (ctx->json) {
		g_autoptr(JsonBuilder) builder = json_builder_new();

		json_builder_begin_array(builder);
		for (guint i = 0; i < watchers->len; i++)
			json_builder_add_string_value(builder, g_ptr_array_index(watchers, i));
		json_builder_end_array(builder);
		ctl_print_json(builder);
		return EX_OK;
	}
	for (guint i = 0; i < watchers->len; i++)
		printf("%s\n", (char *)g_ptr_array_index(watchers, i));
	return EX_OK;
}

int
ctl_watcher(ctl_context *ctx, int argc, char **argv)
{
	const char *verb = argc > 1 ? argv[1] : "";
	gboolean list = strcmp(verb, "list") == 0;
	int code;

	if (!list && strcmp(verb, "add") != 0 && strcmp(verb, "remove") != 0) {
		fprintf(stderr, "usage: ticketctl watcher add|remove CODE ADDRESS, ticketctl watcher list CODE\n");
		return EX_USAGE;
	}
	argc--, argv++;
	if (!ctl_parse(ctx, list ? "CODE" : "CODE ADDRESS",
	               list ? "The people in copy of a ticket." : "Copy a person on a ticket, or stop.",
	               NULL, &argc, &argv))
		return EX_USAGE;
	if (argc != (list ? 2 : 3)) {
		fprintf(stderr, "usage: ticketctl watcher %s CODE%s\n", verb, list ? "" : " ADDRESS");
		return EX_USAGE;
	}
	if ((code = ctl_open(ctx)) != EX_OK)
		return code;
	return list ? watcher_print_list(ctx, argv[1]) : watcher_change(ctx, strcmp(verb, "add") == 0, argv[1], argv[2]);
}
