/*
 * ctl_fetch - `ticketctl fetch SOURCE --once`: one pass over an [imap:NAME] mailbox, for
 * cron setups and tests. Without --once the source is watched (IDLE or polling) in the
 * foreground until SIGINT or SIGTERM, as the daemon's worker would. Each message has
 * parse_timeout to be parsed, as in the daemon; past it, it is held raw.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "ctl.h"
#include "imap.h"
#include "inbound.h"
#include "log.h"

static volatile gboolean fetch_stop;

static void
fetch_on_signal(int signo)
{
	fetch_stop = TRUE;
}

/* fetch_watch - imap_run in the foreground; the store handle is the worker's own. */
static int
fetch_watch(ctl_context *ctx, const imap_source_config *source)
{
	struct sigaction action;

	memset(&action, 0, sizeof action);
	action.sa_handler = fetch_on_signal;
	sigemptyset(&action.sa_mask);
	sigaction(SIGINT, &action, NULL);
	sigaction(SIGTERM, &action, NULL);
	imap_run(source, ctx->config, &fetch_stop);
	return EX_OK;
}

/* fetch_once - one pass over the mailbox, and what it did. */
static int
fetch_once(ctl_context *ctx, const imap_source_config *source)
{
	g_autoptr(GError) error = NULL;
	imap_pass_counts counts;
	failure status = imap_fetch_once(source, ctx->config, ctx->db, &counts, &error);

	if (ctx->json)
		printf("{ \"source\": \"%s\", \"ingested\": %d, \"left\": %d, \"ok\": %s }\n", source->name,
		       counts.ingested, counts.left, status.class == FAILURE_OK ? "true" : "false");
	else
		printf("%s: %d ingested, %d left in the mailbox\n", source->name, counts.ingested, counts.left);
	if (status.class == FAILURE_OK)
		return EX_OK;
	fprintf(stderr, "ticketctl: fetch %s: %s\n", source->name, error->message);
	return failure_exit_code(status);
}

int
ctl_fetch(ctl_context *ctx, int argc, char **argv)
{
	gboolean once = FALSE;
	GOptionEntry options[] = {
		{ "once", 0, 0, G_OPTION_ARG_NONE, &once, "one pass, then exit", NULL },
		G_OPTION_ENTRY_NULL
	};
	const imap_source_config *source;
	int code;

	if (!ctl_parse(ctx, "SOURCE", "Fetch the mail of an [imap:SOURCE] mailbox.", options, &argc, &argv))
		return EX_USAGE;
	if (argc != 2) {
		fprintf(stderr, "usage: ticketctl fetch SOURCE [--once]\n");
		return EX_USAGE;
	}
	if ((code = ctl_open(ctx)) != EX_OK)
		return code;
	signal(SIGPIPE, SIG_IGN);
	if ((source = config_imap_source_by_name(ctx->config, argv[1])) == NULL) {
		g_autofree char *name = log_printable(argv[1], 80);

		fprintf(stderr, "ticketctl: %s has no [imap:%s] section\n", ctx->config->path, name);
		return EX_CONFIG;
	}
	code = once ? fetch_once(ctx, source) : fetch_watch(ctx, source);
	ctl_close(ctx);
	return inbound_exit_code(code);
}
