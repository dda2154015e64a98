/*
 * ctl_accounts - customer accounts, their authorized sub-accounts and the departments:
 * `account add|list|show|disable|import`, `subaccount add|remove`, `department list`.
 * `account import FILE.csv` lets a hosting panel sync its customer list in one transaction.
 */
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "address.h"
#include "ctl.h"
#include "log.h"

/* account_address_ok - its domain folded in place, and one the notifier will mail. */
static gboolean
account_address_ok(char *email)
{
	address_fold_domain(email);
	return address_valid(email);
}

/* account_write - run one write in its own transaction. */
static int
account_write(ctl_context *ctx, const char *what, gboolean (*write)(ctl_context *, gpointer, GError **),
              gpointer data)
{
	g_autoptr(GError) error = NULL;

	if (!store_begin(ctx->db, &error))
		return ctl_store_error(what, error);
	if (!write(ctx, data, &error)) {
		store_rollback(ctx->db);
		return ctl_store_error(what, error);
	}
	if (!store_commit(ctx->db, &error)) {
		store_rollback(ctx->db);
		return ctl_store_error(what, error);
	}
	return EX_OK;
}

typedef struct { char *email; const char *name; const char *language; } account_fields;

static gboolean
account_add_write(ctl_context *ctx, gpointer data, GError **error)
{
	account_fields *fields = data;

	return store_account_add(ctx->db, fields->email, fields->name, fields->language, error) > 0;
}

static int
account_add(ctl_context *ctx, int argc, char **argv)
{
	g_autofree char *name = NULL, *language = NULL;
	GOptionEntry options[] = {
		/* FILENAME: the bytes as given, not converted from a C locale. */
		{ "name", 0, 0, G_OPTION_ARG_FILENAME, &name, "the holder's name (UTF-8)", "NAME" },
		{ "language", 0, 0, G_OPTION_ARG_STRING, &language, "es (default) or en", "LANG" },
		{ NULL }
	};
	account_fields fields;
	int code;

	if (!ctl_parse(ctx, "EMAIL", "Add a customer account.", options, &argc, &argv))
		return EX_USAGE;
	if (argc != 2 || !account_address_ok(argv[1])) {
		fprintf(stderr, "ticketctl account add: give one e-mail address\n");
		return EX_USAGE;
	}
	if (name != NULL && !g_utf8_validate(name, -1, NULL)) {
		fprintf(stderr, "ticketctl account add: the name is not UTF-8\n");
		return EX_USAGE;
	}
	if ((code = ctl_open(ctx)) != EX_OK)
		return code;
	fields = (account_fields){ argv[1], name ? name : "", language ? language : ctx->config->language };
	return account_write(ctx, "adding the account", account_add_write, &fields);
}

/* account_import_line - "email,name,language"; the name may be quoted. */
static gboolean
account_import_line(const char *line, char **email, char **name, char **language)
{
	g_autoptr(GPtrArray) fields = g_ptr_array_new_with_free_func(g_free);
	GString *field = g_string_new(NULL);
	gboolean quoted = FALSE;

	for (const char *p = line; ; p++) {
		if (*p == '"' && (quoted || field->len == 0)) {
			if (quoted && p[1] == '"')
				g_string_append_c(field, *++p);
			else
				quoted = !quoted;
		} else if ((*p == ',' && !quoted) || *p == '\0' || *p == '\r') {
			g_ptr_array_add(fields, g_strstrip(g_string_free(field, FALSE)));
			if (*p != ',')
				break;
			field = g_string_new(NULL);
		} else {
			g_string_append_c(field, *p);
		}
	}
	if (fields->len < 1 || !account_address_ok(g_ptr_array_index(fields, 0)))
		return FALSE;
	*email = g_strdup(g_ptr_array_index(fields, 0));
	*name = g_strdup(fields->len > 1 ? g_ptr_array_index(fields, 1) : "");
	*language = g_strdup(fields->len > 2 && *(char *)g_ptr_array_index(fields, 2) ? g_ptr_array_index(fields, 2) : "es");
	return TRUE;
}

typedef struct { char **lines; const char *path; int added, existing; } account_import_job;

static gboolean
account_import_write(ctl_context *ctx, gpointer data, GError **error)
{
	account_import_job *job = data;

	for (int i = 1; job->lines[i] != NULL; i++) {
		g_autofree char *email = NULL, *name = NULL, *language = NULL;
		store_account existing = { 0 };

		if (*g_strstrip(job->lines[i]) == '\0')
			continue;
		if (!account_import_line(job->lines[i], &email, &name, &language)) {
			g_set_error(error, STORE_ERROR, STORE_ERROR_FAILED,
			            "%s:%d: expected email,name,language; nothing was imported", job->path, i + 1);
			return FALSE;
		}
		if (store_account_by_email(ctx->db, email, &existing, error)) {
			store_account_clear(&existing);
			job->existing++;
			continue;
		}
		if (*error != NULL || store_account_add(ctx->db, email, name, language, error) <= 0)
			return FALSE;
		job->added++;
	}
	return TRUE;
}

static int
account_import(ctl_context *ctx, int argc, char **argv)
{
	g_autofree char *text = NULL;
	g_auto(GStrv) lines = NULL;
	g_autoptr(GError) error = NULL;
	account_import_job job = { 0 };
	int code;

	if (!ctl_parse(ctx, "FILE.csv", "Add the accounts of a CSV file (header email,name,language).",
	               NULL, &argc, &argv))
		return EX_USAGE;
	if (argc != 2) {
		fprintf(stderr, "ticketctl account import: name one CSV file\n");
		return EX_USAGE;
	}
	if (!g_file_get_contents(argv[1], &text, NULL, &error)) {
		fprintf(stderr, "ticketctl account import: %s\n", error->message);
		return EX_NOINPUT;
	}
	if ((code = ctl_open(ctx)) != EX_OK)
		return code;
	lines = g_strsplit(text, "\n", -1);
	job = (account_import_job){ lines, argv[1], 0, 0 };
	if (lines[0] == NULL || (code = account_write(ctx, "importing accounts", account_import_write, &job)) != EX_OK)
		return code ? code : EX_DATAERR;
	printf("%d accounts added, %d already present\n", job.added, job.existing);
	return EX_OK;
}

static void
account_json(JsonBuilder *json, const store_account *account)
{
	json_builder_begin_object(json);
	ctl_json_string(json, "email", account->email);
	ctl_json_string(json, "name", account->name);
	ctl_json_string(json, "language", account->language);
	ctl_json_bool(json, "disabled", account->disabled);
	json_builder_end_object(json);
}

static int
account_list(ctl_context *ctx, int argc, char **argv)
{
	g_autoptr(GPtrArray) accounts = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(JsonBuilder) json = json_builder_new();
	int code;

	if (!ctl_parse(ctx, "", "List the accounts.", NULL, &argc, &argv))
		return EX_USAGE;
	if ((code = ctl_open(ctx)) != EX_OK)
		return code;
	if ((accounts = store_account_list(ctx->db, &error)) == NULL)
		return ctl_store_error("listing accounts", error);
	json_builder_begin_array(json);
	for (guint i = 0; i < accounts->len; i++) {
		const store_account *account = g_ptr_array_index(accounts, i);
		g_autofree char *name = log_printable(account->name, 60);

		if (ctx->json)
			account_json(json, account);
		else
			printf("%-40s %-3s %-8s %s\n", account->email, account->language,
			       account->disabled ? "disabled" : "active", name);
	}
	json_builder_end_array(json);
	if (ctx->json)
		ctl_print_json(json);
	return EX_OK;
}

/* account_lookup - the account named on the command line, or an exit code. */
static int
account_lookup(ctl_context *ctx, const char *command, char *email, store_account *account)
{
	g_autoptr(GError) error = NULL;

	if (!account_address_ok(email)) {
		fprintf(stderr, "ticketctl %s: \"%s\" is not an e-mail address\n", command, email);
		return EX_USAGE;
	}
	if (store_account_by_email(ctx->db, email, account, &error))
		return EX_OK;
	if (error != NULL)
		return ctl_store_error("reading the account", error);
	fprintf(stderr, "ticketctl %s: no account %s (ticketctl account list shows them)\n", command, email);
	return EX_NOINPUT;
}

static int
account_show(ctl_context *ctx, int argc, char **argv)
{
	store_account account = { 0 };
	g_autoptr(GPtrArray) subaccounts = NULL;
	g_autoptr(GError) error = NULL;
	int code;

	if (!ctl_parse(ctx, "EMAIL", "Show an account and its sub-accounts.", NULL, &argc, &argv))
		return EX_USAGE;
	if (argc != 2)
		return EX_USAGE;
	if ((code = ctl_open(ctx)) != EX_OK || (code = account_lookup(ctx, "account show", argv[1], &account)) != EX_OK)
		return code;
	if ((subaccounts = store_subaccount_list(ctx->db, account.id, &error)) == NULL) {
		store_account_clear(&account);
		return ctl_store_error("reading sub-accounts", error);
	}
	if (ctx->json) {
		g_autoptr(JsonBuilder) json = json_builder_new();

		json_builder_begin_object(json);
		json_builder_set_member_name(json, "account");
		account_json(json, &account);
		json_builder_set_member_name(json, "subaccounts");
		json_builder_begin_array(json);
		for (guint i = 0; i < subaccounts->len; i++) {
			const store_subaccount *sub = g_ptr_array_index(subaccounts, i);

			json_builder_begin_object(json);
			ctl_json_string(json, "email", sub->email);
			ctl_json_bool(json, "notify", sub->notify);
			ctl_json_bool(json, "can_open", sub->can_open);
			json_builder_end_object(json);
		}
		json_builder_end_array(json);
		json_builder_end_object(json);
		ctl_print_json(json);
	} else {
		printf("%s  %s  language=%s  %s\n", account.email, account.name, account.language,
		       account.disabled ? "disabled" : "active");
		for (guint i = 0; i < subaccounts->len; i++) {
			const store_subaccount *sub = g_ptr_array_index(subaccounts, i);

			printf("  sub-account %s%s%s\n", sub->email, sub->notify ? " notify" : "",
			       sub->can_open ? " can-open" : "");
		}
	}
	store_account_clear(&account);
	return EX_OK;
}

typedef struct { int64_t id; int64_t account_id; char *email; gboolean notify, can_open; } subaccount_fields;

static gboolean
account_disable_write(ctl_context *ctx, gpointer data, GError **error)
{
	return store_account_set_disabled(ctx->db, ((subaccount_fields *)data)->account_id, TRUE, error);
}

static int
account_disable(ctl_context *ctx, int argc, char **argv)
{
	store_account account = { 0 };
	subaccount_fields fields = { 0 };
	int code;

	if (!ctl_parse(ctx, "EMAIL", "Disable an account: its mail follows the unknown-sender policy.",
	               NULL, &argc, &argv))
		return EX_USAGE;
	if (argc != 2)
		return EX_USAGE;
	if ((code = ctl_open(ctx)) != EX_OK || (code = account_lookup(ctx, "account disable", argv[1], &account)) != EX_OK)
		return code;
	fields.account_id = account.id;
	store_account_clear(&account);
	return account_write(ctx, "disabling the account", account_disable_write, &fields);
}

int
ctl_account(ctl_context *ctx, int argc, char **argv)
{
	const char *verb = argc > 1 ? argv[1] : "";

	if (strcmp(verb, "add") == 0)
		return account_add(ctx, argc - 1, argv + 1);
	if (strcmp(verb, "list") == 0)
		return account_list(ctx, argc - 1, argv + 1);
	if (strcmp(verb, "show") == 0)
		return account_show(ctx, argc - 1, argv + 1);
	if (strcmp(verb, "disable") == 0)
		return account_disable(ctx, argc - 1, argv + 1);
	if (strcmp(verb, "import") == 0)
		return account_import(ctx, argc - 1, argv + 1);
	fprintf(stderr, "usage: ticketctl account add|list|show|disable|import ...\n");
	return EX_USAGE;
}

static gboolean
subaccount_add_write(ctl_context *ctx, gpointer data, GError **error)
{
	subaccount_fields *fields = data;

	return store_subaccount_add(ctx->db, fields->account_id, fields->email, fields->notify,
	                            fields->can_open, error) > 0;
}

static gboolean
subaccount_remove_write(ctl_context *ctx, gpointer data, GError **error)
{
	return store_subaccount_remove(ctx->db, ((subaccount_fields *)data)->email, error);
}

int
ctl_subaccount(ctl_context *ctx, int argc, char **argv)
{
	subaccount_fields fields = { 0 };
	GOptionEntry options[] = {
		{ "notify", 0, 0, G_OPTION_ARG_NONE, &fields.notify, "mail this sub-account the ticket updates", NULL },
		{ "can-open", 0, 0, G_OPTION_ARG_NONE, &fields.can_open, "may open tickets for the account", NULL },
		{ NULL }
	};
	const char *verb = argc > 1 ? argv[1] : "";
	store_account account = { 0 };
	int code;

	argc--, argv++;
	if (strcmp(verb, "add") == 0) {
		if (!ctl_parse(ctx, "ACCOUNT EMAIL", "Authorize a sub-account of an account.", options, &argc, &argv))
			return EX_USAGE;
		if (argc != 3 || !account_address_ok(argv[2])) {
			fprintf(stderr, "usage: ticketctl subaccount add ACCOUNT EMAIL [--notify] [--can-open]\n");
			return EX_USAGE;
		}
		if ((code = ctl_open(ctx)) != EX_OK || (code = account_lookup(ctx, "subaccount add", argv[1], &account)) != EX_OK)
			return code;
		fields.account_id = account.id;
		fields.email = argv[2];
		store_account_clear(&account);
		return account_write(ctx, "adding the sub-account", subaccount_add_write, &fields);
	}
	if (strcmp(verb, "remove") == 0) {
		if (!ctl_parse(ctx, "EMAIL", "Remove a sub-account.", NULL, &argc, &argv))
			return EX_USAGE;
		if (argc != 2 || !account_address_ok(argv[1])) {
			fprintf(stderr, "usage: ticketctl subaccount remove EMAIL\n");
			return EX_USAGE;
		}
		if ((code = ctl_open(ctx)) != EX_OK)
			return code;
		fields.email = argv[1];
		return account_write(ctx, "removing the sub-account", subaccount_remove_write, &fields);
	}
	fprintf(stderr, "usage: ticketctl subaccount add|remove ...\n");
	return EX_USAGE;
}

int
ctl_department(ctl_context *ctx, int argc, char **argv)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(JsonBuilder) json = json_builder_new();

	if (argc < 2 || strcmp(argv[1], "list") != 0) {
		fprintf(stderr, "usage: ticketctl department list [--json]\n");
		return EX_USAGE;
	}
	argc--, argv++;
	if (!ctl_parse(ctx, "", "The departments of the configuration.", NULL, &argc, &argv))
		return EX_USAGE;
	if ((ctx->config = config_load(config_path(ctx->config_file), &error)) == NULL) {
		fprintf(stderr, "ticketctl: %s\n", error->message);
		return EX_CONFIG;
	}
	json_builder_begin_array(json);
	for (guint i = 0; i < ctx->config->departments->len; i++) {
		const department_config *department = g_ptr_array_index(ctx->config->departments, i);

		if (!ctx->json) {
			printf("%-14s %-30s %-8s %s\n", department->slug, department->address,
			       closed_reply_policy_name(department->closed_reply), department->name);
			continue;
		}
		json_builder_begin_object(json);
		ctl_json_string(json, "slug", department->slug);
		ctl_json_string(json, "name", department->name);
		ctl_json_string(json, "address", department->address);
		ctl_json_string(json, "closed_reply", closed_reply_policy_name(department->closed_reply));
		json_builder_end_object(json);
	}
	json_builder_end_array(json);
	if (ctx->json)
		ctl_print_json(json);
	return EX_OK;
}
