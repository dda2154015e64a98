/*
 * ctl_held - the mail ticketd held for a person: `held list [--all]`, `held show ID
 * [--raw]`, `held release ID [--to CODE]` (taken in as if it arrived now, once) and
 * `held discard ID`. The rules are the held part's; this reads options and prints.
 */
#include <stdio.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "ctl.h"
#include "held.h"
#include "log.h"

/* held_id_arg - the ID argument, or -1 after printing the usage. */
static gint64
held_id_arg(int argc, char **argv, const char *usage)
{
	char *end = NULL;
	gint64 id = argc == 2 ? g_ascii_strtoll(argv[1], &end, 10) : -1;

	if (id <= 0 || end == NULL || *end != '\0') {
		fprintf(stderr, "usage: ticketctl held %s (ticketctl held list shows the ids)\n", usage);
		return -1;
	}
	return id;
}

/* held_error - a refusal of the held part, or a store failure by its class. */
static int
held_error(const char *command, const char *what, GError *error)
{
	if (error->domain != HELD_ERROR)
		return ctl_store_error(what, error);
	fprintf(stderr, "ticketctl held %s: %s\n", command, error->message);
	return error->code == HELD_ERROR_NO_SUCH ? EX_NOINPUT : EX_DATAERR;
}

static void
held_json(JsonBuilder *json, const store_held *held)
{
	json_builder_begin_object(json);
	ctl_json_int(json, "id", held->id);
	ctl_json_string(json, "reason", held->reason);
	ctl_json_string(json, "from", held->sender);
	ctl_json_string(json, "to", held->recipient);
	ctl_json_int(json, "received", held->created);
	ctl_json_string(json, "outcome", held->outcome);
	ctl_json_string(json, "ticket", held->outcome_ticket);
	ctl_json_string(json, "settled_by", held->outcome_actor);
}

/* held_subject - the Subject of the held bytes, for people; "" when it has none. */
static char *
held_subject(ctl_context *ctx, const store_held *held)
{
	g_autoptr(GBytes) raw = store_held_raw(ctx->db, held->id, NULL);
	gsize length = 0;
	const char *bytes = raw ? g_bytes_get_data(raw, &length) : NULL;
	g_autoptr(parsed_message) message = bytes ? mime_parse(bytes, length) : NULL;

	return g_strdup(message && message->subject ? message->subject : "");
}

static int
held_list(ctl_context *ctx, int argc, char **argv)
{
	gboolean all = FALSE;
	GOptionEntry options[] = {
		{ "all", 0, 0, G_OPTION_ARG_NONE, &all, "also the mail released or discarded", NULL },
		{ NULL }
	};
	g_autoptr(GPtrArray) rows = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(JsonBuilder) json = json_builder_new();
	int code;

	if (!ctl_parse(ctx, "", "Mail held for a person, oldest first.", options, &argc, &argv))
		return EX_USAGE;
	if ((code = ctl_open(ctx)) != EX_OK)
		return code;
	if ((rows = store_held_list(ctx->db, all, &error)) == NULL)
		return ctl_store_error("listing held mail", error);
	json_builder_begin_array(json);
	if (!ctx->json)
		printf("%6s  %-16s  %-32s  %-32s  %s\n", "ID", "RECEIVED", "FROM", "SUBJECT", "REASON");
	for (guint i = 0; i < rows->len; i++) {
		const store_held *held = g_ptr_array_index(rows, i);
		g_autofree char *subject = held_subject(ctx, held);
		g_autofree char *when = ctl_time(held->created);
		g_autofree char *from = log_printable(held->sender ? held->sender : "", 32);
		g_autofree char *shown = log_printable(subject, 32);
		g_autofree char *reason = log_printable(held->reason, 200);

		if (ctx->json) {
			held_json(json, held);
			ctl_json_string(json, "subject", subject);
			json_builder_end_object(json);
			continue;
		}
		printf("%6" G_GINT64_FORMAT "  %-16s  %-32s  %-32s  %s%s%s\n", held->id, when, from, shown, reason,
		       held->outcome ? "  → " : "", held->outcome ? held->outcome : "");
	}
	json_builder_end_array(json);
	if (ctx->json)
		ctl_print_json(json);
	else
		printf("%u held\n", rows->len);
	return EX_OK;
}

static int
held_show(ctl_context *ctx, int argc, char **argv)
{
	gboolean raw_only = FALSE;
	GOptionEntry options[] = {
		{ "raw", 0, 0, G_OPTION_ARG_NONE, &raw_only, "write the exact bytes held to stdout", NULL },
		{ NULL }
	};
	g_autoptr(store_held) held = NULL;
	g_autoptr(GBytes) raw = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree char *subject = NULL;
	gsize length = 0;
	const char *bytes;
	gint64 id;
	int code;

	if (!ctl_parse(ctx, "ID", "One held mail: why, from whom, and the mail itself.", options, &argc, &argv))
		return EX_USAGE;
	if ((id = held_id_arg(argc, argv, "show ID [--raw]")) < 0)
		return EX_USAGE;
	if ((code = ctl_open(ctx)) != EX_OK)
		return code;
	if ((held = store_held_get(ctx->db, id, &error)) == NULL && error == NULL)
		g_set_error(&error, HELD_ERROR, HELD_ERROR_NO_SUCH, "no held mail #%" G_GINT64_FORMAT
		            " (ticketctl held list shows them)", id);
	if (held == NULL || (raw = store_held_raw(ctx->db, id, &error)) == NULL)
		return held_error("show", "reading held mail", error);
	bytes = g_bytes_get_data(raw, &length);
	if (raw_only) {
		fwrite(bytes ? bytes : "", 1, length, stdout);
		return EX_OK;
	}
	subject = held_subject(ctx, held);
	if (ctx->json) {
		g_autoptr(JsonBuilder) json = json_builder_new();
		g_autofree char *text = g_utf8_make_valid(bytes ? bytes : "", (gssize)length);

		held_json(json, held);
		ctl_json_string(json, "subject", subject);
		ctl_json_string(json, "raw", text);
		json_builder_end_object(json);
		ctl_print_json(json);
		return EX_OK;
	}
	{
		g_autofree char *when = ctl_time(held->created);
		g_autofree char *from = log_printable(held->sender ? held->sender : "", 254);
		g_autofree char *shown = log_printable(subject, 400);
		g_autofree char *text = log_printable(bytes ? bytes : "", MIN(length, 64 * 1024));

		printf("held #%" G_GINT64_FORMAT "\nreceived: %s\nfrom: %s\nto: %s\nsubject: %s\nreason: %s\n", held->id,
		       when, from, held->recipient ? held->recipient : "", shown, held->reason);
		if (held->outcome != NULL)
			printf("%s: by %s%s%s\n", held->outcome, held->outcome_actor, held->outcome_ticket ? ", into " : "",
			       held->outcome_ticket ? held->outcome_ticket : "");
		printf("\n%s\n", text);
	}
	return EX_OK;
}

/* held_actor - --actor, else the login name. */
static const char *
held_actor(const char *actor)
{
	return actor != NULL ? actor : g_get_user_name();
}

static int
held_release_cmd(ctl_context *ctx, int argc, char **argv)
{
	g_autofree char *to = NULL, *actor = NULL;
	GOptionEntry options[] = {
		{ "to", 0, 0, G_OPTION_ARG_STRING, &to, "append it to this ticket", "CODE" },
		{ "actor", 0, 0, G_OPTION_ARG_STRING, &actor, "who releases it (default: login name)", "WHO" },
		{ NULL }
	};
	g_autoptr(GError) error = NULL;
	ingest_result result = { 0 };
	gint64 id;
	int code;

	if (!ctl_parse(ctx, "ID", "Take a held mail in as if it arrived now, without the rule that held it.",
	               options, &argc, &argv))
		return EX_USAGE;
	if ((id = held_id_arg(argc, argv, "release ID [--to CODE]")) < 0)
		return EX_USAGE;
	if ((code = ctl_open(ctx)) != EX_OK)
		return code;
	if (!held_release(ctx->config, ctx->db, id, to, held_actor(actor), &result, &error)) {
		ingest_result_clear(&result);
		return held_error("release", "releasing held mail", error);
	}
	log_staff(held_actor(actor), "held #%" G_GINT64_FORMAT ": released, action=%s, ticket=%s", id,
	          ingest_action_name(result.decision.action), result.decision.ticket ? result.decision.ticket : "none");
	if (ctx->json) {
		g_autoptr(JsonBuilder) json = json_builder_new();

		json_builder_begin_object(json);
		ctl_json_int(json, "id", id);
		ctl_json_string(json, "action", ingest_action_name(result.decision.action));
		ctl_json_string(json, "ticket", result.decision.ticket);
		ctl_json_string(json, "reason", result.decision.reason);
		json_builder_end_object(json);
		ctl_print_json(json);
	} else {
		printf("held #%" G_GINT64_FORMAT ": released: %s%s%s\n", id, ingest_action_name(result.decision.action),
		       result.decision.ticket ? " " : "", result.decision.ticket ? result.decision.ticket : "");
	}
	ingest_result_clear(&result);
	return EX_OK;
}

static int
held_discard_cmd(ctl_context *ctx, int argc, char **argv)
{
	g_autofree char *actor = NULL;
	GOptionEntry options[] = {
		{ "actor", 0, 0, G_OPTION_ARG_STRING, &actor, "who discards it (default: login name)", "WHO" },
		{ NULL }
	};
	g_autoptr(GError) error = NULL;
	gint64 id;
	int code;

	if (!ctl_parse(ctx, "ID", "Never take a held mail in; it stays on record as discarded.", options, &argc, &argv))
		return EX_USAGE;
	if ((id = held_id_arg(argc, argv, "discard ID")) < 0)
		return EX_USAGE;
	if ((code = ctl_open(ctx)) != EX_OK)
		return code;
	if (!held_discard(ctx->db, id, held_actor(actor), &error))
		return held_error("discard", "discarding held mail", error);
	log_staff(held_actor(actor), "held #%" G_GINT64_FORMAT ": discarded", id);
	if (ctx->json)
		printf("{ \"id\": %" G_GINT64_FORMAT ", \"action\": \"discarded\" }\n", id);
	else
		printf("held #%" G_GINT64_FORMAT ": discarded\n", id);
	return EX_OK;
}

int
ctl_held(ctl_context *ctx, int argc, char **argv)
{
	const char *verb = argc > 1 ? argv[1] : "";

	if (strcmp(verb, "list") == 0)
		return held_list(ctx, argc - 1, argv + 1);
	if (strcmp(verb, "show") == 0)
		return held_show(ctx, argc - 1, argv + 1);
	if (strcmp(verb, "release") == 0)
		return held_release_cmd(ctx, argc - 1, argv + 1);
	if (strcmp(verb, "discard") == 0)
		return held_discard_cmd(ctx, argc - 1, argv + 1);
	fprintf(stderr, "usage: ticketctl held list [--all]|show ID [--raw]|release ID [--to CODE]|discard ID\n");
	return EX_USAGE;
}
