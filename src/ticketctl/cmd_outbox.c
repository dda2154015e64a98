/*
 * ctl_outbox - the notifications waiting for SMTP: `outbox list [--failed]`,
 * `outbox flush` (one pass of the notifier, for setups without the daemon, e.g. cron)
 * and `outbox retry ID` (a failed row goes back to the queue).
 */
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "ctl.h"
#include "notify.h"

static void
outbox_json_row(JsonBuilder *json, const store_outbox_row *row)
{
	json_builder_begin_object(json);
	ctl_json_int(json, "id", row->id);
	ctl_json_string(json, "recipient", row->recipient);
	ctl_json_string(json, "kind", row->kind);
	ctl_json_string(json, "state", row->state);
	ctl_json_int(json, "attempts", row->attempts);
	ctl_json_int(json, "next_try", row->next_try);
	ctl_json_string(json, "message_id", row->message_id);
	ctl_json_string(json, "last_error", row->last_error);
	json_builder_end_object(json);
}

static int
outbox_list(ctl_context *ctx, int argc, char **argv)
{
	gboolean failed_only = FALSE;
	GOptionEntry options[] = {
		{ "failed", 0, 0, G_OPTION_ARG_NONE, &failed_only, "only the rows that failed for good", NULL },
		{ NULL }
	};
	g_autoptr(GPtrArray) rows = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(JsonBuilder) json = json_builder_new();
	int code;

	if (!ctl_parse(ctx, "", "Notifications in the outbox.", options, &argc, &argv))
		return EX_USAGE;
	if ((code = ctl_open(ctx)) != EX_OK)
		return code;
	if ((rows = store_outbox_list(ctx->db, failed_only, &error)) == NULL)
		return ctl_store_error("listing the outbox", error);
	json_builder_begin_array(json);
	for (guint i = 0; i < rows->len; i++) {
		const store_outbox_row *row = g_ptr_array_index(rows, i);

		if (ctx->json)
			outbox_json_row(json, row);
		else
			printf("%6" G_GINT64_FORMAT " %-10s %-12s %-36s attempts=%d %s\n", row->id, row->state, row->kind,
			       row->recipient, row->attempts, row->last_error ? row->last_error : "");
	}
	json_builder_end_array(json);
	if (ctx->json)
		ctl_print_json(json);
	return EX_OK;
}

static int
outbox_flush(ctl_context *ctx, int argc, char **argv)
{
	g_autoptr(GError) error = NULL;
	gboolean relay_down = FALSE;
	int sent;
	int code;

	if (!ctl_parse(ctx, "", "Send every notification that is due, once.", NULL, &argc, &argv))
		return EX_USAGE;
	if ((code = ctl_open(ctx)) != EX_OK)
		return code;
	if ((sent = notify_flush_report(ctx->config, ctx->db, &relay_down, &error)) < 0)
		return ctl_store_error("flushing the outbox", error);
	if (ctx->json)
		printf("{ \"sent\": %d, \"relay_down\": %s }\n", sent, relay_down ? "true" : "false");
	else
		printf("%d notifications sent\n", sent);
	if (!relay_down)
		return EX_OK;
	/* 75 is what cron and systemd take for "try again later". */
	fprintf(stderr, "ticketctl outbox flush: the relay %s took no mail (see the log); "
	        "what is due waits for the next flush\n", ctx->config->smtp.url);
	return EX_TEMPFAIL;
}

static int
outbox_retry(ctl_context *ctx, int argc, char **argv)
{
	g_autoptr(GError) error = NULL;
	char *end = NULL;
	gint64 id;
	int code;

	if (!ctl_parse(ctx, "ID", "Queue a failed notification again.", NULL, &argc, &argv))
		return EX_USAGE;
	if (argc != 2 || (id = g_ascii_strtoll(argv[1], &end, 10)) <= 0 || *end != '\0') {
		fprintf(stderr, "usage: ticketctl outbox retry ID (ticketctl outbox list --failed shows the ids)\n");
		return EX_USAGE;
	}
	if ((code = ctl_open(ctx)) != EX_OK)
		return code;
	if (!store_outbox_retry(ctx->db, id, store_now(), &error))
		return ctl_store_error("queueing the notification again", error);
	return EX_OK;
}

int
ctl_outbox(ctl_context *ctx, int argc, char **argv)
{
	const char *verb = argc > 1 ? argv[1] : "";

	if (strcmp(verb, "list") == 0)
		return outbox_list(ctx, argc - 1, argv + 1);
	if (strcmp(verb, "flush") == 0)
		return outbox_flush(ctx, argc - 1, argv + 1);
	if (strcmp(verb, "retry") == 0)
		return outbox_retry(ctx, argc - 1, argv + 1);
	fprintf(stderr, "usage: ticketctl outbox list [--failed]|flush|retry ID\n");
	return EX_USAGE;
}
