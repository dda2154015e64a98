/*
 * ticketctl - the staff and admin side of ticketd: import and inspect mail, list and
 * show tickets, manage accounts, watch the outbox. `ticketctl --help` lists commands.
 */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>

#include "ctl.h"
#include "log.h"
#include "mime.h"
#include "version.h"

typedef struct {
	const char *name;
	int (*run)(ctl_context *ctx, int argc, char **argv);
	const char *summary;
} ctl_command;

static const ctl_command commands[] = {
	{ "import", ctl_import, "import DIR|FILE...      ingest a Maildir (cur/ and new/) or message files" },
	{ "inspect", ctl_inspect, "inspect FILE            what parse, classify and ingest make of a mail (JSON)" },
	{ "list", ctl_list, "list [filters]          tickets in queue order" },
	{ "show", ctl_show, "show CODE               a ticket's thread, events and attachments" },
	{ "reply", ctl_reply, "reply CODE              mail the customer a reply (--file, --status, --attach)" },
	{ "note", ctl_note, "note CODE               an internal note, never mailed" },
	{ "status", ctl_status, "status CODE STATUS      set a ticket's status; the customer is told" },
	{ "assign", ctl_assign, "assign CODE AGENT       assign a ticket (AGENT none unassigns)" },
	{ "close", ctl_close_ticket, "close CODE              close a ticket; the customer is told" },
	{ "reopen", ctl_reopen, "reopen CODE             reopen a resolved or closed ticket" },
	{ "open", ctl_open_ticket, "open --account ADDRESS --subject TEXT   open a ticket for a customer" },
	{ "priority", ctl_priority, "priority CODE P         set a ticket's priority (low medium high urgent)" },
	{ "staff", ctl_staff, "staff address AGENT     an agent's personal signed desk address" },
	{ "merge", ctl_merge, "merge CODE INTO-CODE    later replies to either land in INTO-CODE" },
	{ "search", ctl_search, "search QUERY            full-text search, accents ignored, ranked" },
	{ "attachment", ctl_attachment, "attachment CODE N       write attachment N's bytes to stdout" },
	{ "export", ctl_export, "export CODE --format mbox|json   the thread with the raw messages" },
	{ "sweep", ctl_sweep, "sweep [--now TIME]      apply the [sweep] timers once" },
	{ "account", ctl_account, "account add|list|show|disable|import   customer accounts" },
	{ "subaccount", ctl_subaccount, "subaccount add|remove   authorized sub-accounts of an account" },
	{ "watcher", ctl_watcher, "watcher add|remove|list CODE [ADDRESS]   the people in copy of a ticket" },
	{ "department", ctl_department, "department list         the departments of the configuration" },
	{ "held", ctl_held, "held list|show|release|discard   mail held for a person" },
	{ "stats", ctl_stats, "stats                   counts by status and department, oldest waiting" },
	{ "outbox", ctl_outbox, "outbox list|flush|retry  notifications waiting for SMTP" },
	{ "fetch", ctl_fetch, "fetch SOURCE [--once]   take the mail of an [imap:SOURCE] mailbox" },
	{ "kb", ctl_kb, "kb import|list|show|remove|search|suggest   the help centre" },
};

static void
ctl_usage(FILE *out)
{
	fprintf(out, "usage: ticketctl [-c FILE] [--json] COMMAND [ARGS]\n       ticketctl --help | --version\n\ncommands:\n");
	for (gsize i = 0; i < G_N_ELEMENTS(commands); i++)
		fprintf(out, "  %s\n", commands[i].summary);
	fprintf(out, "\n`ticketctl COMMAND --help` shows a command's options; see ticketctl(1).\n");
}

int
main(int argc, char **argv)
{
	ctl_context ctx = { 0 };
	int i;
	int code;

	umask(027);                 /* a database it creates holds customers' mail: 0640 */
	log_open("ticketctl", LOG_TO_STDERR);
	log_set_quiet(g_getenv("TICKETD_VERBOSE") == NULL);   /* one line per decision on request */
	/* Global options come before the command. */
	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "--json") == 0) {
			ctx.json = TRUE;
		} else if (strcmp(argv[i], "-c") == 0 && i + 1 < argc) {
			ctx.config_file = argv[++i];
		} else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			ctl_usage(stdout);
			return EX_OK;
		} else if (strcmp(argv[i], "--version") == 0) {
			printf("ticketctl %s\n", TICKETD_VERSION);
			return EX_OK;
		} else {
			fprintf(stderr, "ticketctl: unknown option %s\n", argv[i]);
			ctl_usage(stderr);
			return EX_USAGE;
		}
	}
	if (i == argc) {
		ctl_usage(stderr);
		return EX_USAGE;
	}
	for (gsize c = 0; c < G_N_ELEMENTS(commands); c++) {
		if (strcmp(argv[i], commands[c].name) != 0)
			continue;
		mime_init();
		code = commands[c].run(&ctx, argc - i, argv + i);
		ctl_close(&ctx);
		return code;
	}
	fprintf(stderr, "ticketctl: unknown command \"%s\"\n", argv[i]);
	ctl_usage(stderr);
	return EX_USAGE;
}
