/*
 * test-config - ticketd.conf: the documented defaults, and for each mistake a
 * postmaster makes, an error that names the file, the line and the key.
 */
#include <sys/stat.h>
#include <glib/gstdio.h>
#include <unistd.h>
#include <pwd.h>
#include <string.h>

#include "config.h"
#include "status.h"

static const char minimal[] =
	"[ticketd]\n"
	"domain = example.com\n"
	"\n"
	"[department:soporte]\n"
	"name = Soporte técnico\n"
	"address = Soporte@Example.com\n";

/* write_config - text into a fresh file; the path, to be freed. */
static char *
write_config(const char *text)
{
	g_autoptr(GError) error = NULL;
	char *path = NULL;
	int fd = g_file_open_tmp("ticketd-XXXXXX.conf", &path, &error);

	g_assert_no_error(error);
	close(fd);
	g_file_set_contents_full(path, text, -1, G_FILE_SET_CONTENTS_NONE, 0640, &error);
	g_assert_no_error(error);
	return path;
}

static void
test_defaults(void)
{
	g_autofree char *path = write_config(minimal);
	g_autoptr(GError) error = NULL;
	g_autoptr(ticketd_config) config = config_load(path, &error);
	const department_config *department;
	g_autofree char *detail = NULL;

	g_assert_no_error(error);
	g_assert_cmpstr(config->code_mask, ==, "AAA-NNNNNN");
	g_assert_cmpstr(config->subject_tag, ==, "Ticket");
	g_assert_cmpint(config->unknown_sender, ==, UNKNOWN_SENDER_CREATE);
	g_assert_cmpint(config->closed_reply, ==, CLOSED_REPLY_REOPEN);
	g_assert_cmpuint(config->max_message_size, ==, 26214400);
	g_assert_cmpstr(config->database, ==, "/var/lib/ticketd/ticketd.db");
	g_assert_cmpint(config->lmtp.max_connections, ==, 50);
	g_assert_cmpint(config->smtp.auto_per_hour, ==, 10);
	g_assert_cmpfloat(config->kb.threshold, ==, 7.0);
	g_assert_cmpint(config->kb.suggestions, ==, 3);
	g_assert_cmpstr(config->smtp.from_address, ==, "soporte@example.com");
	g_assert_cmpstr(config->smtp.envelope_from, ==, "soporte@example.com");
	g_assert_cmpint(config->smtp.timeout, ==, CONFIG_DEFAULT_SMTP_TIMEOUT);
	g_assert_cmpint(config->smtp.retry_max_age, ==, 432000);
	g_assert_false(config->smtp.starttls_required);
	g_assert_cmpint(config->lmtp.idle_timeout, ==, 300);
	g_assert_cmpint(config->lmtp.max_recipients, ==, CONFIG_DEFAULT_LMTP_MAX_RECIPIENTS);
	g_assert_cmpint(config->lmtp.socket_mode, ==, 0660);
	/* Postfix's socket only: loopback TCP would let every local user deliver. */
	g_assert_cmpstr(config->lmtp.listen[0], ==, "unix:/var/spool/postfix/private/ticketd-lmtp");
	g_assert_null(config->lmtp.listen[1]);
	g_assert_true(config_user_allowed(&config->lmtp, 0));
	g_assert_true(getpwnam("postfix") == NULL || config_user_allowed(&config->lmtp, getpwnam("postfix")->pw_uid));
	g_assert_false(config_user_allowed(&config->lmtp, 65534));
	g_assert_cmpint(config->lmtp.command_timeout, ==, 60);
	g_assert_cmpint(config->lmtp.data_timeout, ==, 300);
	g_assert_cmpint(config->lmtp.data_min_rate, ==, 500);
	g_assert_cmpint(config->intake_per_hour, ==, 30);
	g_assert_cmpint(config->parse_failures, ==, 3);
	g_assert_cmpint(config->parse_timeout, ==, 60);
	g_assert_cmpint(config->sweep_interval, ==, 60);
	g_assert_false(config->require_dmarc_pass);
	g_assert_cmpstr(config->language, ==, "es");
	department = config_department_for(config, "soporte+KQZ-482913@example.com", &detail);
	g_assert_nonnull(department);
	g_assert_cmpstr(department->slug, ==, "soporte");
	g_assert_cmpstr(department->name, ==, "Soporte técnico");
	g_assert_cmpstr(detail, ==, "KQZ-482913");
	g_assert_nonnull(config_department_for(config, "SOPORTE@example.com", NULL));
	g_assert_null(config_department_for(config, "ventas@example.com", NULL));
	g_assert_null(config_department_for(config, "soporte@example.org", NULL));
	g_unlink(path);
}

static void
test_full_sample(void)
{
	g_autofree char *sample = g_build_filename(g_getenv("TICKETD_TOP") ? g_getenv("TICKETD_TOP") : ".",
	                                           "etc", "ticketd.conf", NULL);
	g_autofree char *text = NULL;
	g_autofree char *path = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(ticketd_config) config = NULL;

	/* A copy, installed as make install does (0640): git keeps the sample 0644. */
	g_assert_true(g_file_get_contents(sample, &text, NULL, &error));
	path = write_config(text);
	config = config_load(path, &error);
	g_unlink(path);
	g_assert_no_error(error);
	g_assert_cmpuint(config->departments->len, ==, 3);
	g_assert_true(config_is_staff(config, "Agente1@example.com"));
	g_assert_false(config_is_staff(config, "cliente@example.org"));
	g_assert_cmpint(config_department_by_slug(config, "facturacion")->closed_reply, ==, CLOSED_REPLY_NEW);
	g_assert_cmpint(config_department_by_slug(config, "soporte")->closed_reply, ==, CLOSED_REPLY_REOPEN);
	g_assert_cmpstr(config->lmtp.listen[0], ==, "unix:/var/spool/postfix/private/ticketd-lmtp");
	g_assert_null(config->lmtp.listen[1]);
	g_assert_cmpstr(config->smtp.from_name, ==, "Soporte Example");
}

/* test_sample_states_defaults - etc/ticketd.conf writes out the defaults it shows as
 * such; a default changed in the table and not in the sample fails here. */
static void
test_sample_states_defaults(void)
{
	g_autofree char *sample = g_build_filename(g_getenv("TICKETD_TOP") ? g_getenv("TICKETD_TOP") : ".",
	                                           "etc", "ticketd.conf", NULL);
	g_autofree char *text = NULL;
	g_autofree char *sample_path = NULL;
	g_autofree char *minimal_path = write_config(minimal);
	g_autoptr(GError) error = NULL;
	g_autoptr(ticketd_config) shown = NULL;
	g_autoptr(ticketd_config) plain = NULL;

	g_assert_true(g_file_get_contents(sample, &text, NULL, &error));
	sample_path = write_config(text);
	shown = config_load(sample_path, &error);
	g_assert_no_error(error);
	plain = config_load(minimal_path, &error);
	g_assert_no_error(error);
	g_unlink(sample_path);
	g_unlink(minimal_path);
	g_assert_cmpstr(shown->database, ==, plain->database);
	g_assert_cmpstr(shown->code_mask, ==, plain->code_mask);
	g_assert_cmpstr(shown->subject_tag, ==, plain->subject_tag);
	g_assert_cmpint(shown->unknown_sender, ==, plain->unknown_sender);
	g_assert_cmpint(shown->closed_reply, ==, plain->closed_reply);
	g_assert_cmpuint(shown->max_message_size, ==, plain->max_message_size);
	g_assert_cmpint(shown->intake_per_hour, ==, plain->intake_per_hour);
	g_assert_cmpint(shown->parse_failures, ==, plain->parse_failures);
	g_assert_cmpint(shown->parse_timeout, ==, plain->parse_timeout);
	g_assert_cmpint(shown->require_dmarc_pass, ==, plain->require_dmarc_pass);
	g_assert_cmpstr(shown->templates_dir, ==, plain->templates_dir);
	g_assert_cmpstr(shown->language, ==, plain->language);
	g_assert_cmpstr(shown->user, ==, plain->user);
	g_assert_cmpstr(shown->pid_file, ==, plain->pid_file);
	g_assert_cmpint(shown->lmtp.socket_mode, ==, plain->lmtp.socket_mode);
	g_assert_cmpint(shown->lmtp.max_connections, ==, plain->lmtp.max_connections);
	g_assert_cmpstr(shown->lmtp.listen[0], ==, plain->lmtp.listen[0]);
	g_assert_cmpuint(shown->lmtp.allowed_uids->len, ==, plain->lmtp.allowed_uids->len);
	g_assert_cmpint(shown->lmtp.idle_timeout, ==, plain->lmtp.idle_timeout);
	g_assert_cmpint(shown->lmtp.command_timeout, ==, plain->lmtp.command_timeout);
	g_assert_cmpint(shown->lmtp.data_timeout, ==, plain->lmtp.data_timeout);
	g_assert_cmpint(shown->lmtp.data_min_rate, ==, plain->lmtp.data_min_rate);
	g_assert_cmpstr(shown->smtp.url, ==, plain->smtp.url);
	g_assert_cmpint(shown->smtp.starttls_required, ==, plain->smtp.starttls_required);
	g_assert_cmpint(shown->sweep_interval, ==, plain->sweep_interval);
	g_assert_cmpfloat(shown->kb.threshold, ==, plain->kb.threshold);
	g_assert_cmpint(shown->kb.suggestions, ==, plain->kb.suggestions);
	g_assert_cmpuint(shown->sweep_rules->len, ==, plain->sweep_rules->len);
	for (guint i = 0; i < plain->sweep_rules->len; i++) {
		const sweep_rule *a = g_ptr_array_index(shown->sweep_rules, i);
		const sweep_rule *b = g_ptr_array_index(plain->sweep_rules, i);

		g_assert_true(g_strv_equal((const char *const *)a->from, (const char *const *)b->from));
		g_assert_cmpstr(a->to, ==, b->to);
		g_assert_cmpint(a->after, ==, b->after);
	}
}

/* Each mistake, and what the error must say (after "FILE:"). */
static const struct { const char *text; const char *expected; } mistakes[] = {
	{ "[ticketd]\ndomain = example.com\n", ":1: [ticketd]: no [department:SLUG] section" },
	{ "[ticketd]\ndomain = example.com\nunknown_sender = maybe\n[department:soporte]\naddress = s@example.com\n",
	  ":3: [ticketd] unknown_sender: \"maybe\" is not one of create, reject, hold" },
	{ "[ticketd]\ndomain = example.com\nclosed_reply = later\n[department:soporte]\naddress = s@example.com\n",
	  ":3: [ticketd] closed_reply: \"later\" is not one of reopen, new, reject" },
	{ "[ticketd]\ndomain = example.com\ncode_mask = AN\n[department:soporte]\naddress = s@example.com\n",
	  ":3: [ticketd] code_mask:" },
	{ "[ticketd]\ndomain = example.com\nmax_message_size = lots\n[department:soporte]\naddress = s@example.com\n",
	  ":3: [ticketd] max_message_size: \"lots\" is not a number" },
	{ "[ticketd]\ndomain = example.com\ndatabse = /tmp/x.db\n[department:soporte]\naddress = s@example.com\n",
	  ":3: [ticketd] databse: unknown key" },
	{ "[ticketd]\ndomain = example.com\nstaff = agente1@example.com, no es correo\n[department:soporte]\naddress = s@example.com\n",
	  ":3: [ticketd] staff:" },
	{ "[ticketd]\ndomain = example.com\nrequire_dmarc_pass = quizas\n[department:soporte]\naddress = s@example.com\n",
	  ":3: [ticketd] require_dmarc_pass: \"quizas\" is neither yes nor no" },
	{ "[ticketd]\ndomain = example.com\nrequire_dmarc_pass = yes\n[department:soporte]\naddress = s@example.com\n",
	  ":1: [ticketd] authserv_id: require_dmarc_pass = yes needs the authserv-id your MTA writes" },
	{ "[ticketd]\ndomain = example.com\nauthserv_id = mx.example.com; dmarc=pass\n[department:soporte]\naddress = s@example.com\n",
	  ":3: [ticketd] authserv_id: \"mx.example.com;\" is not an authserv-id" },
	{ "[ticketd]\ndomain = example.com\nfallback_charsets = gb18030, latin-42\n[department:soporte]\naddress = s@example.com\n",
	  ":3: [ticketd] fallback_charsets: \"latin-42\" is not a charset this system's iconv reads" },
	{ "[ticketd]\ndomain = example.com\nparse_timeout = 4\n[department:soporte]\naddress = s@example.com\n",
	  ":3: [ticketd] parse_timeout: \"4\" is not a number from 5 to 3600" },
	{ "[ticketd]\ndomain = example.com\n[department:soporte]\nname = Soporte\n",
	  ":3: [department:soporte] address: every department needs its address" },
	{ "[ticketd]\ndomain = example.com\n[department:soporte]\naddress = soporte+x@example.com\n",
	  ":4: [department:soporte] address:" },
	{ "[ticketd]\ndomain = example.com\n[department:a]\naddress = s@example.com\n[department:b]\naddress = s@example.com\n",
	  ":6: [department:b] address: already used by [department:a]" },
	{ "[ticketd]\ndomain = example.com\n[department:Soporte Técnico]\naddress = s@example.com\n",
	  ":3: [department:Soporte Técnico]: a department slug is" },
	{ "[ticketd]\ndomain = example.com\n[department:s]\naddress = s@example.com\n[lmtp]\nmax_connections = 0\n",
	  ":6: [lmtp] max_connections:" },
	{ "[ticketd]\ndomain = example.com\n[department:s]\naddress = s@example.com\n[lmtp]\nlisten = tcp:1.2.3.4:24\n",
	  ":6: [lmtp] listen: \"tcp:1.2.3.4:24\" is neither" },
	{ "[ticketd]\ndomain = example.com\n[department:s]\naddress = s@example.com\n[lmtp]\nallowed_users = root, nadie-tal\n",
	  ":6: [lmtp] allowed_users: \"nadie-tal\": no such user" },
	{ "[ticketd]\ndomain = example.com\n[department:s]\naddress = s@example.com\n[lmtp]\ndata_min_rate = -1\n",
	  ":6: [lmtp] data_min_rate: \"-1\" is not a number" },
	{ "[ticketd]\ndomain = example.com\n[department:s]\naddress = s@example.com\n[smtp]\nstarttls = yes\n",
	  ":6: [smtp] starttls: \"yes\" is not one of required, no" },
	{ "[ticketd]\ndomain = example.com\n[department:s]\naddress = s@example.com\n[smtp]\nfrom = Soporte <s@@example.com>\n",
	  ":6: [smtp] from: \"Soporte <s@@example.com>\" has no valid address" },
	{ "[ticketd]\ndomain = example.com\n[department:s]\naddress = s@example.com\n[smtp]\nurl = http://x/\n",
	  ":6: [smtp] url:" },
	{ "[ticketd]\ndomain = example.com\n[department:s]\naddress = s@example.com\n[smtp]\npassword_file = /nonexistent/secret\n",
	  ":6: [smtp] password_file: /nonexistent/secret:" },
	{ "[ticketd]\ndomain = example.com\n[department:s]\naddress = s@example.com\n[kb]\nthreshold = alto\n",
	  ":6: [kb] threshold: \"alto\" is not a score from 0 to 1000" },
	{ "[ticketd]\ndomain = example.com\n[department:s]\naddress = s@example.com\n[kb]\nsuggestions = 11\n",
	  ":6: [kb] suggestions: \"11\" is not a number from 0 to 10" },
	{ "[ticketd]\ndomain = example.com\n[department:s]\naddress = s@example.com\n[correo]\nx = 1\n",
	  ":5: [correo]: unknown section" },
	{ "[ticketd]\ndomain = example.com\nesto no es una clave\n", ":3: not a [section] or a key = value line" },
	{ "[department:s]\naddress = s@example.com\n", ":0: [ticketd]: the [ticketd] section is missing" },
	{ "[ticketd]\n[department:s]\naddress = s@example.com\n", ":1: [ticketd] domain: set the mail domain" },
	{ "[ticketd]\ndomain = example.com\n[department:s]\nname = Soporte t\xe9\x63nico\naddress = s@example.com\n",
	  ":4: not UTF-8; save the file as UTF-8" },
	{ "[ticketd]\ndomain = example.com\n[department:s]\naddress = s@example.com\n[sweep]\nrule = resolved 72h closed\nrule = answered 3 days closed\n",
	  ":7: [sweep] rule: write FROM[,FROM...] DURATION TO" },
	{ "[ticketd]\ndomain = example.com\n[department:s]\naddress = s@example.com\n[sweep]\nrule = answered 72x closed\n",
	  ":6: [sweep] rule: the duration is a number followed by s, m, h or d" },
	{ "[ticketd]\ndomain = example.com\n[department:s]\naddress = s@example.com\n[sweep]\nrule = answered,contestado 72h closed\n",
	  ":6: [sweep] rule: a FROM status is unknown" },
	{ "[ticketd]\ndomain = example.com\n[department:s]\naddress = s@example.com\n[sweep]\nrule = closed 72h closed\n",
	  ":6: [sweep] rule: a FROM status is unknown or the same as TO" },
	{ "[ticketd]\ndomain = example.com\n[department:s]\naddress = s@example.com\n[sweep]\nrule = answered 72h cerrado\n",
	  ":6: [sweep] rule: TO is not a status" },
	{ "[ticketd]\ndomain = example.com\n[department:s]\naddress = s@example.com\n[sweep]\nrules = answered 72h closed\n",
	  ":6: [sweep] rules: unknown key" },
	{ "[ticketd]\ndomain = example.com\n[department:s]\naddress = s@example.com\n[sweep]\nremind = mañana\n",
	  ":6: [sweep] remind: the duration is a number followed by s, m, h or d" },
	{ "[ticketd]\ndomain = example.com\n[department:s]\naddress = s@example.com\nfrom = Facturación <facturacion>\n",
	  ":5: [department:s] from: \"Facturación <facturacion>\" has no valid address" },
	{ "[ticketd]\ndomain = example.com\n[department:s]\naddress = s@example.com\nsignature = x\nsignature_file = /etc/hostname\n",
	  ":6: [department:s] signature_file: write signature or signature_file, not both" },
	{ "[ticketd]\ndomain = example.com\n[department:s]\naddress = s@example.com\n[smtp]\nsignature_file = /nonexistent/firma\n",
	  ":6: [smtp] signature_file: /nonexistent/firma: " },
	{ "[ticketd]\ndomain = example.com\n[department:s]\naddress = s@example.com\n[labels]\nfr.open = Ouvert\n",
	  ":6: [labels] fr.open: write LANG.STATUS = label" },
	{ "[ticketd]\ndomain = example.com\n[department:s]\naddress = s@example.com\n[labels]\nes.abierto = Abierto\n",
	  ":6: [labels] es.abierto: write LANG.STATUS = label" },
};

/* [kb] as written: a threshold with decimals, and 0 suggestions turning them off. */
static void
test_kb(void)
{
	g_autofree char *text = g_strconcat(minimal, "[kb]\nthreshold = 5.5\nsuggestions = 0\n", NULL);
	g_autofree char *path = write_config(text);
	g_autoptr(GError) error = NULL;
	g_autoptr(ticketd_config) config = config_load(path, &error);

	g_assert_no_error(error);
	g_assert_cmpfloat(config->kb.threshold, ==, 5.5);
	g_assert_cmpint(config->kb.suggestions, ==, 0);
}

/* test_sweep_rules - the defaults, several rules in file order, "none", durations. */
static void
test_sweep_rules(void)
{
	static const struct { const char *section; guint count; const char *first_from; int64_t first_after; } cases[] = {
		{ "", 2, STATUS_ANSWERED, 72 * 3600 },
		{ "[sweep]\n# comment\n", 2, STATUS_ANSWERED, 72 * 3600 },
		{ "[sweep]\nrule = none\n", 0, NULL, 0 },
		{ "[sweep]\nrule = on_hold 2d pending\nrule = pending 90m resolved\nrule = resolved 30 closed\n", 3, STATUS_ON_HOLD, 2 * 86400 },
		{ "[sweep]\nrule = in_progress,on_hold   45s   open\n", 1, STATUS_IN_PROGRESS, 45 },
	};

	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree char *text = g_strconcat(minimal, cases[i].section, NULL);
		g_autofree char *path = write_config(text);
		g_autoptr(GError) error = NULL;
		g_autoptr(ticketd_config) config = config_load(path, &error);
		const sweep_rule *rule;

		g_assert_no_error(error);
		g_assert_cmpuint(config->sweep_rules->len, ==, cases[i].count);
		if (cases[i].count == 0)
			continue;
		rule = g_ptr_array_index(config->sweep_rules, 0);
		g_assert_cmpstr(rule->from[0], ==, cases[i].first_from);
		g_assert_cmpint(rule->after, ==, cases[i].first_after);
	}
}

/* test_voice - a department's from and signature; [smtp]'s stay the default; remind. */
static void
test_voice(void)
{
	g_autofree char *signature_path = g_build_filename(g_get_tmp_dir(), "ticketd-test-firma.txt", NULL);
	g_autofree char *text = NULL;
	g_autofree char *path = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(ticketd_config) config = NULL;
	const department_config *billing;

	g_assert_true(g_file_set_contents(signature_path, "Facturación Example\nTel. 900 100 200\n\n", -1, NULL));
	text = g_strdup_printf("%s\n[department:facturacion]\naddress = facturacion@example.com\n"
	                       "from = Facturación Example <Facturacion@Example.com>\nsignature_file = %s\n"
	                       "[smtp]\nsignature = Example\\nwww.example.com\n[sweep]\nremind = 24h\n",
	                       minimal, signature_path);
	path = write_config(text);
	config = config_load(path, &error);
	g_assert_no_error(error);
	billing = config_department_by_slug(config, "facturacion");
	g_assert_cmpstr(billing->from_name, ==, "Facturación Example");
	g_assert_cmpstr(billing->from_address, ==, "facturacion@example.com");
	g_assert_cmpstr(billing->signature, ==, "Facturación Example\nTel. 900 100 200");
	g_assert_null(config_department_by_slug(config, "soporte")->from_address);
	g_assert_null(config_department_by_slug(config, "soporte")->signature);
	g_assert_cmpstr(config->smtp.signature, ==, "Example\nwww.example.com");
	g_assert_cmpint(config->sweep_remind, ==, 24 * 3600);
	g_assert_cmpuint(config->sweep_rules->len, ==, 2);     /* remind is no rule: the defaults */
	unlink(signature_path);
}

/* test_file_permissions - others may not read the configuration, nor group change it. */
static void
test_file_permissions(void)
{
	static const struct { int mode; const char *expected; } cases[] = {
		{ 0640, NULL },
		{ 0600, NULL },
		{ 0644, " is readable by others; run chmod 640 " },
		{ 0660, " is writable by group or others; run chmod 640 " },
		{ 0642, " is writable by group or others; run chmod 640 " },
	};

	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree char *path = write_config(minimal);
		g_autofree char *expected = NULL;
		g_autoptr(GError) error = NULL;
		g_autoptr(ticketd_config) config = NULL;

		g_assert_cmpint(chmod(path, (mode_t)cases[i].mode), ==, 0);
		config = config_load(path, &error);
		if (cases[i].expected == NULL) {
			g_assert_no_error(error);
			g_assert_nonnull(config);
		} else {
			expected = g_strconcat(path, cases[i].expected, path, NULL);
			g_assert_null(config);
			g_assert_cmpstr(error->message, ==, expected);
		}
		g_unlink(path);
	}
}

/* test_labels - a configured label replaces the built-in one, in its language only. */
static void
test_labels(void)
{
	g_autofree char *text = g_strconcat(minimal, "[labels]\nes.pending = Esperando su respuesta\nen.closed = Done\n", NULL);
	g_autofree char *path = write_config(text);
	g_autoptr(GError) error = NULL;
	g_autoptr(ticketd_config) config = config_load(path, &error);

	g_assert_no_error(error);
	g_assert_nonnull(config);
	g_assert_cmpstr(status_label(config, STATUS_PENDING, "es"), ==, "Esperando su respuesta");
	g_assert_cmpstr(status_label(config, STATUS_PENDING, "en"), ==, "Pending");
	g_assert_cmpstr(status_label(config, STATUS_CLOSED, "en"), ==, "Done");
	g_assert_cmpstr(status_label(config, STATUS_CLOSED, "es"), ==, "Cerrado");
	g_assert_cmpstr(status_label(NULL, STATUS_PENDING, "es"), ==, "Pendiente");
}

/* test_labels_reload - a label taken out of the file is back to built-in after a reload;
 * a broken file changes nothing. */
static void
test_labels_reload(void)
{
	g_autofree char *first = g_strconcat(minimal, "[labels]\nes.pending = Esperando su respuesta\n", NULL);
	g_autofree char *broken = g_strconcat(minimal, "[labels]\nes.pending = Otra\nfr.open = Ouvert\n", NULL);
	g_autofree char *path = write_config(first);
	g_autofree char *broken_path = write_config(broken);
	g_autofree char *plain_path = write_config(minimal);
	g_autoptr(ticketd_config) config = config_load(path, NULL);
	g_autoptr(ticketd_config) failed = NULL;
	g_autoptr(ticketd_config) plain = NULL;

	g_assert_nonnull(config);
	g_assert_cmpstr(status_label(config, STATUS_PENDING, "es"), ==, "Esperando su respuesta");
	failed = config_load(broken_path, NULL);
	g_assert_null(failed);
	/* A reload that fails keeps the configuration in use, and its labels with it. */
	g_assert_cmpstr(status_label(config, STATUS_PENDING, "es"), ==, "Esperando su respuesta");
	plain = config_load(plain_path, NULL);
	g_assert_nonnull(plain);
	g_assert_cmpstr(status_label(plain, STATUS_PENDING, "es"), ==, "Pendiente");
	/* The labels belong to each configuration: loading another changes no one's. */
	g_assert_cmpstr(status_label(config, STATUS_PENDING, "es"), ==, "Esperando su respuesta");
}

static void
test_mistakes(void)
{
	for (gsize i = 0; i < G_N_ELEMENTS(mistakes); i++) {
		g_autofree char *path = write_config(mistakes[i].text);
		g_autofree char *expected = g_strconcat(path, mistakes[i].expected, NULL);
		g_autoptr(GError) error = NULL;
		g_autoptr(ticketd_config) config = config_load(path, &error);

		g_assert_null(config);
		g_assert_nonnull(error);
		if (!g_str_has_prefix(error->message, expected))
			g_error("case %zu: got \"%s\", expected it to start with \"%s\"", i, error->message, expected);
		g_unlink(path);
	}
}

static void
test_secret_permissions(void)
{
	g_autofree char *secret = write_config("s3cr3t\n");
	g_autofree char *text = g_strdup_printf("[ticketd]\ndomain = example.com\n[department:s]\naddress = s@example.com\n"
	                                        "[smtp]\nuser = ticketd\npassword_file = %s\n", secret);
	g_autofree char *path = write_config(text);
	g_autoptr(GError) error = NULL;
	g_autoptr(ticketd_config) loose = NULL;
	g_autoptr(ticketd_config) tight = NULL;

	g_chmod(secret, 0644);
	loose = config_load(path, &error);
	g_assert_null(loose);
	g_assert_nonnull(strstr(error->message, "readable by group or others; run chmod 600"));
	g_clear_error(&error);
	g_chmod(secret, 0600);
	tight = config_load(path, &error);
	g_assert_no_error(error);
	g_assert_cmpstr(tight->smtp.password, ==, "s3cr3t");
	g_unlink(secret);
	g_unlink(path);
}

/* imap_config - a configuration with one [imap:NAME] section of extra lines; NULL + error. */
static ticketd_config *
imap_config(const char *secret, const char *lines, GError **error)
{
	g_autofree char *text = g_strdup_printf("[ticketd]\ndomain = example.com\n"
	                                        "[imap:soporte]\nuser = soporte@example.com\n"
	                                        "password_file = %s\n%s"
	                                        "[department:soporte]\naddress = soporte@example.com\n",
	                                        secret, lines);
	g_autofree char *path = write_config(text);
	ticketd_config *config = config_load(path, error);

	g_unlink(path);
	return config;
}

static void
test_imap_sources(void)
{
	static const struct {
		const char *lines;
		imap_tls_mode tls;
		const char *host, *mailbox;
		int port;
		imap_after_action after;
	} good[] = {
		{ "url = imaps://imap.example.com/INBOX\ndepartment = soporte\n", IMAP_TLS_IMPLICIT,
		  "imap.example.com", "INBOX", 993, IMAP_AFTER_SEEN },
		{ "url = imap://imap.example.com\ndepartment = soporte\nafter = delete\n", IMAP_TLS_STARTTLS,
		  "imap.example.com", "INBOX", 143, IMAP_AFTER_DELETE },
		{ "url = imaps://[::1]:10993/Soporte/Entrada\ndepartment = soporte\nafter = move:Procesados\n",
		  IMAP_TLS_IMPLICIT, "::1", "Soporte/Entrada", 10993, IMAP_AFTER_MOVE },
		{ "url = imap://127.0.0.1:1143/INBOX\ndepartment = soporte\ninsecure_plaintext = yes\n",
		  IMAP_TLS_NONE, "127.0.0.1", "INBOX", 1143, IMAP_AFTER_SEEN },
	};
	static const struct { const char *lines, *expected; } bad[] = {
		{ "department = soporte\n", "[imap:soporte] url: set the mailbox" },
		{ "url = imaps://imap.example.com/INBOX\n", "[imap:soporte] department:" },
		{ "url = imaps://imap.example.com/IN%0ABOX\ndepartment = soporte\n", "[imap:soporte] url:" },
		{ "url = imaps://imap.example.com/\ndepartment = soporte\nafter = move:\n", "[imap:soporte] after:" },
		{ "url = imaps://imap.example.com/\ndepartment = soporte\nafter = move:INBOX\n",
		  "[imap:soporte] after: the folder is the mailbox itself" },
		{ "url = imap://10.0.0.1/\ndepartment = soporte\ninsecure_plaintext = yes\n",
		  "[imap:soporte] insecure_plaintext: plaintext is allowed only to a loopback host" },
		{ "url = imap://localhost/\ndepartment = soporte\ninsecure_plaintext = si\n",
		  "[imap:soporte] insecure_plaintext: \"si\" is not one of yes, no" },
		{ "url = imaps://localhost/\ndepartment = soporte\npoll_interval = 1\n", "[imap:soporte] poll_interval:" },
		{ "url = imaps://localhost/\ndepartment = soporte\nidle_interval = 3600\n", "[imap:soporte] idle_interval:" },
		{ "url = imaps://localhost/\ndepartment = soporte\nca_file = /nonexistent/ca.pem\n",
		  "[imap:soporte] ca_file: /nonexistent/ca.pem:" },
	};
	g_autofree char *secret = write_config("s3cr3t\n");
	g_autofree char *broken = write_config("s3c\rr3t\n");

	g_chmod(secret, 0600);
	g_chmod(broken, 0600);
	for (gsize i = 0; i < G_N_ELEMENTS(good); i++) {
		g_autoptr(GError) error = NULL;
		g_autoptr(ticketd_config) config = imap_config(secret, good[i].lines, &error);
		const imap_source_config *source;

		g_assert_no_error(error);
		source = config_imap_source_by_name(config, "soporte");
		g_assert_nonnull(source);
		g_assert_cmpint(source->tls, ==, good[i].tls);
		g_assert_cmpstr(source->host, ==, good[i].host);
		g_assert_cmpstr(source->mailbox, ==, good[i].mailbox);
		g_assert_cmpint(source->port, ==, good[i].port);
		g_assert_cmpint(source->after, ==, good[i].after);
		g_assert_cmpstr(source->password, ==, "s3cr3t");
		g_assert_cmpint(source->poll_interval, ==, 60);
		g_assert_cmpint(source->idle_interval, ==, 600);
		g_assert_null(config_imap_source_by_name(config, "ventas"));
	}
	for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
		g_autoptr(GError) error = NULL;
		g_autoptr(ticketd_config) config = imap_config(secret, bad[i].lines, &error);

		g_assert_null(config);
		if (strstr(error->message, bad[i].expected) == NULL)
			g_error("case %zu: got \"%s\", expected \"%s\"", i, error->message, bad[i].expected);
	}
	{
		g_autoptr(GError) error = NULL;
		g_autoptr(ticketd_config) config = imap_config(broken, "url = imaps://localhost/\ndepartment = soporte\n",
		                                               &error);

		g_assert_null(config);
		g_assert_nonnull(strstr(error->message, "line break or control character"));
	}
	g_unlink(secret);
	g_unlink(broken);
}

static void
test_search_order(void)
{
	g_setenv("TICKETD_CONF", "/from/environment.conf", TRUE);
	g_assert_cmpstr(config_path("/from/command/line.conf"), ==, "/from/command/line.conf");
	g_assert_cmpstr(config_path(NULL), ==, "/from/environment.conf");
	g_unsetenv("TICKETD_CONF");
	g_assert_cmpstr(config_path(NULL), ==, CONFIG_DEFAULT_PATH);
}

static void
test_relative_paths(void)
{
	g_autofree char *path = write_config("[ticketd]\ndomain = example.com\ndatabase = datos/t.db\n"
	                                     "[department:s]\naddress = s@example.com\n");
	g_autofree char *dir = g_path_get_dirname(path);
	g_autofree char *expected = g_build_filename(dir, "datos", "t.db", NULL);
	g_autoptr(GError) error = NULL;
	g_autoptr(ticketd_config) config = config_load(path, &error);

	g_assert_no_error(error);
	g_assert_cmpstr(config->database, ==, expected);
	g_unlink(path);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/config/defaults", test_defaults);
	g_test_add_func("/config/full-sample", test_full_sample);
	g_test_add_func("/config/sample-states-defaults", test_sample_states_defaults);
	g_test_add_func("/config/mistakes-name-file-line-key", test_mistakes);
	g_test_add_func("/config/sweep-rules", test_sweep_rules);
	g_test_add_func("/config/department-voice", test_voice);
	g_test_add_func("/config/file-permissions", test_file_permissions);
	g_test_add_func("/config/labels", test_labels);
	g_test_add_func("/config/labels-reload", test_labels_reload);
	g_test_add_func("/config/secret-permissions", test_secret_permissions);
	g_test_add_func("/config/search-order", test_search_order);
	g_test_add_func("/config/imap-sources", test_imap_sources);
	g_test_add_func("/config/relative-paths", test_relative_paths);
	g_test_add_func("/config/kb", test_kb);
	return g_test_run();
}
