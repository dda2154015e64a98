/*
 * config_sweep - the [sweep] rules that move idle tickets on, and the [labels] that
 * rename statuses: sections whose keys are not fixed names (several "rule =" lines,
 * LANG.STATUS keys), so they are read line by line here instead of by a table.
 */
#include <string.h>

#include "config-private.h"
#include "status.h"

/* The longest duration a rule may wait: ten years, in seconds. */
#define CONFIG_DURATION_MAX (10 * 365 * 86400)

void
config_sweep_rule_free(gpointer data)
{
	sweep_rule *rule = data;

	g_strfreev(rule->from);
	g_free(rule->to);
	g_free(rule);
}

/* config_duration - "72h", "3d", "90m", "30s" or plain seconds; -1 when invalid. */
static int64_t
config_duration(const char *text)
{
	char *end;
	gint64 number = g_ascii_strtoll(text, &end, 10);

	if (end == text || number <= 0 || number > CONFIG_DURATION_MAX)
		return -1;
	if (*end == '\0' || strcmp(end, "s") == 0)
		return number;
	if (strcmp(end, "m") == 0)
		return number * 60;
	if (strcmp(end, "h") == 0)
		return number * 3600;
	if (strcmp(end, "d") == 0)
		return number * 86400;
	return -1;
}

/* config_sweep_rule_parse - "answered,pending 72h closed"; NULL with *why set when invalid. */
static sweep_rule *
config_sweep_rule_parse(const char *value, const char **why)
{
	g_auto(GStrv) words = g_strsplit_set(value, " \t", -1);
	GStrvBuilder *kept = g_strv_builder_new();
	g_auto(GStrv) parts = NULL;
	sweep_rule *rule = g_new0(sweep_rule, 1);

	for (int i = 0; words[i] != NULL; i++)
		if (*words[i] != '\0')
			g_strv_builder_add(kept, words[i]);
	parts = g_strv_builder_end(kept);
	g_strv_builder_unref(kept);
	*why = "write FROM[,FROM...] DURATION TO, e.g. rule = " STATUS_ANSWERED "," STATUS_PENDING " 72h " STATUS_CLOSED;
	if (g_strv_length(parts) != 3) {
		config_sweep_rule_free(rule);
		return NULL;
	}
	rule->from = g_strsplit(parts[0], ",", -1);
	rule->to = g_strdup(parts[2]);
	rule->after = config_duration(parts[1]);
	*why = NULL;
	for (int i = 0; rule->from[i] != NULL; i++)
		if (!status_valid(rule->from[i]) || strcmp(rule->from[i], rule->to) == 0)
			*why = "a FROM status is unknown or the same as TO; see ticketd.conf(5)";
	if (rule->after < 0)
		*why = "the duration is a number followed by s, m, h or d, e.g. 72h";
	if (!status_valid(rule->to))
		*why = "TO is not a status: " STATUS_OPEN " " STATUS_ANSWERED " " STATUS_CUSTOMER_REPLY " " STATUS_ON_HOLD
		       " " STATUS_IN_PROGRESS " " STATUS_PENDING " " STATUS_RESOLVED " " STATUS_CLOSED;
	if (*why == NULL)
		return rule;
	config_sweep_rule_free(rule);
	return NULL;
}

/* config_sweep_defaults - the rules of config_sweep_default_rules, when [sweep] has none. */
static void
config_sweep_defaults(ticketd_config *config)
{
	const char *why;

	for (int i = 0; config_sweep_default_rules[i] != NULL; i++)
		g_ptr_array_add(config->sweep_rules, config_sweep_rule_parse(config_sweep_default_rules[i], &why));
}

/*
 * config_sweep_read_rules - every "rule =" line of [sweep] (GKeyFile keeps only the last,
 * so the lines are read here); "rule = none" alone turns the sweeper off; no rule: the
 * defaults.
 */
gboolean
config_sweep_read_rules(const config_section *section, const config_key *key, GError **error)
{
	const config_source *source = section->source;
	ticketd_config *config = section->config;
	gboolean in_sweep = FALSE, seen = FALSE;

	for (int i = 0; source->lines[i] != NULL; i++) {
		g_autofree char *line = g_strstrip(g_strdup(source->lines[i]));
		const char *why = NULL;
		sweep_rule *rule;

		if (line[0] == '[')
			in_sweep = strcmp(line, "[sweep]") == 0;
		if (!in_sweep || line[0] == '[' || line[0] == '#' || line[0] == ';' || line[0] == '\0' ||
		    g_str_has_prefix(line, "interval") || g_str_has_prefix(line, "remind"))
			continue;
		seen = TRUE;
		g_strstrip(strchr(line, '=') + 1);
		if (strcmp(strchr(line, '=') + 1, "none") == 0)
			continue;
		if ((rule = config_sweep_rule_parse(strchr(line, '=') + 1, &why)) == NULL) {
			g_set_error(error, CONFIG_ERROR, 1, "%s:%d: [%s] %s: %s", source->path, i + 1, section->group,
			            key->name, why);
			return FALSE;
		}
		g_ptr_array_add(config->sweep_rules, rule);
	}
	if (!seen)
		config_sweep_defaults(config);
	return TRUE;
}

/* config_sweep_read_remind - remind = 24h: how long before a rule closes a ticket the
 * customer is told; none or 0 (the default) sends no reminder. */
gboolean
config_sweep_read_remind(const config_section *section, const config_key *key, GError **error)
{
	g_autofree char *text = config_key_text(section, key);

	if (text == NULL || strcmp(text, "none") == 0 || strcmp(text, "0") == 0)
		return TRUE;
	if ((section->config->sweep_remind = config_duration(text)) < 0)
		return config_key_fail(error, section, key, "the duration is a number followed by s, m, h or d, "
		                       "e.g. remind = 24h; or none");
	return TRUE;
}

/* config_load_labels - [labels] LANG.STATUS = label replaces a built-in status label. */
gboolean
config_load_labels(const config_source *source, ticketd_config *config, GError **error)
{
	g_auto(GStrv) keys = g_key_file_get_keys(source->keys, "labels", NULL, NULL);

	for (int i = 0; keys != NULL && keys[i] != NULL; i++) {
		const char *dot = strchr(keys[i], '.');
		g_autofree char *lang = dot ? g_strndup(keys[i], (gsize)(dot - keys[i])) : NULL;
		g_autofree char *label = config_string(source, "labels", keys[i], "");

		if (dot == NULL || (strcmp(lang, "es") != 0 && strcmp(lang, "en") != 0) || !status_valid(dot + 1))
			return config_fail(error, source, "labels", keys[i],
			                   "write LANG.STATUS = label, LANG es or en, e.g. es." STATUS_OPEN " = Abierto");
		if (*label == '\0' || strpbrk(label, "\r\n") != NULL)
			return config_fail(error, source, "labels", keys[i], "the label is empty");
		g_hash_table_replace(config->labels, g_strconcat(lang, ":", dot + 1, NULL), g_steal_pointer(&label));
	}
	return TRUE;
}
