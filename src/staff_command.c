/*
 * staff_command - command lines at the top of an agent's mail. Only the first lines
 * count (blank lines between them are fine); the first line that is no command starts
 * the text. A bad line is reported with its number and why, and then nothing of the
 * mail is applied: an agent who wrote "#estado pendeinte" must not see half a change.
 */
#include <string.h>

#include "address.h"
#include "staff_command.h"
#include "status.h"

typedef struct {
	const char *word;
	staff_command_kind kind;
	gboolean needs_argument;
} staff_command_word;

static const staff_command_word staff_command_words[] = {
	{ "estado", STAFF_COMMAND_STATUS, TRUE }, { "status", STAFF_COMMAND_STATUS, TRUE },
	{ "asignar", STAFF_COMMAND_ASSIGN, TRUE }, { "assign", STAFF_COMMAND_ASSIGN, TRUE },
	{ "nota", STAFF_COMMAND_NOTE, FALSE }, { "note", STAFF_COMMAND_NOTE, FALSE },
	{ "prioridad", STAFF_COMMAND_PRIORITY, TRUE }, { "priority", STAFF_COMMAND_PRIORITY, TRUE },
	{ "departamento", STAFF_COMMAND_DEPARTMENT, TRUE }, { "department", STAFF_COMMAND_DEPARTMENT, TRUE },
	{ "cerrar", STAFF_COMMAND_CLOSE, FALSE }, { "close", STAFF_COMMAND_CLOSE, FALSE },
	{ "cliente", STAFF_COMMAND_CUSTOMER, TRUE }, { "customer", STAFF_COMMAND_CUSTOMER, TRUE },
};

const char *
staff_priority_from_word(const char *word)
{
	static const char *const priorities[][2] = {
		{ "low", "baja" }, { "medium", "media" }, { "high", "alta" }, { "urgent", "urgente" },
	};

	for (gsize i = 0; word != NULL && i < G_N_ELEMENTS(priorities); i++)
		if (g_ascii_strcasecmp(word, priorities[i][0]) == 0 || g_ascii_strcasecmp(word, priorities[i][1]) == 0)
			return priorities[i][0];
	return NULL;
}

/* staff_command_problem - one bad line, quoted printable and short, and why. */
static void
staff_command_problem(staff_commands *commands, int line, const char *text, const char *why)
{
	g_autofree char *valid = g_utf8_make_valid(text, -1);
	g_autofree char *quoted = g_utf8_strlen(valid, -1) > STAFF_COMMAND_QUOTE_MAX
	                          ? g_utf8_substring(valid, 0, STAFF_COMMAND_QUOTE_MAX) : g_strdup(valid);

	g_string_append_printf(commands->problems, "line %d: \"%s\": %s\n", line, quoted, why);
}

/* staff_command_assign - an agent of the desk, or nadie/nobody; else why not. */
static const char *
staff_command_assign(const ticketd_config *config, staff_commands *commands, const char *argument)
{
	if (g_ascii_strcasecmp(argument, "nadie") == 0 || g_ascii_strcasecmp(argument, "nobody") == 0) {
		commands->assign = g_strdup("");
	} else if (config_is_staff(config, argument)) {
		commands->assign = address_normalize(argument);
	} else {
		return "not an agent of the desk (staff =), nor nadie/nobody";
	}
	commands->assign_set = TRUE;
	return NULL;
}

/* staff_command_apply - one command and its argument into commands; NULL, or why not. */
static const char *
staff_command_apply(const ticketd_config *config, staff_commands *commands, staff_command_kind kind,
                    const char *argument)
{
	switch (kind) {
	case STAFF_COMMAND_STATUS:
		return (commands->status = status_from_word(config, argument)) ? NULL
		       : "no such status (open answered customer_reply on_hold in_progress pending resolved "
		         "closed, or their labels)";
	case STAFF_COMMAND_ASSIGN:
		return staff_command_assign(config, commands, argument);
	case STAFF_COMMAND_NOTE:
		commands->note = TRUE;
		return NULL;
	case STAFF_COMMAND_PRIORITY:
		return (commands->priority = staff_priority_from_word(argument)) ? NULL
		       : "no such priority (baja media alta urgente, or low medium high urgent)";
	case STAFF_COMMAND_DEPARTMENT:
		if (config_department_by_slug(config, argument) == NULL)
			return "no such department (ticketctl department list shows the slugs)";
		commands->department = g_strdup(argument);
		return NULL;
	case STAFF_COMMAND_CLOSE:
		commands->close = TRUE;
		return NULL;
	case STAFF_COMMAND_CUSTOMER:
		commands->customer = address_written(argument);
		return address_valid(commands->customer) ? NULL : "not an e-mail address";
	}
	return "unknown command";
}

/* staff_command_line - one "#word argument" line; FALSE when it is no command line. */
static gboolean
staff_command_line(const ticketd_config *config, staff_commands *commands, int number, const char *line)
{
	const char *start = line + strspn(line, " \t");
	gsize length = strcspn(start + 1, " \t");
	g_autofree char *word = NULL;
	g_autofree char *argument = NULL;
	const char *why = "unknown command (#estado #asignar #nota #prioridad #departamento #cerrar #cliente)";

	if (*start != '#' || length == 0 || !g_ascii_isalpha(start[1]))
		return FALSE;
	word = g_strndup(start + 1, length);
	argument = g_strstrip(g_strdup(start + 1 + length));
	for (gsize i = 0; i < G_N_ELEMENTS(staff_command_words); i++) {
		const staff_command_word *known = &staff_command_words[i];

		if (g_ascii_strcasecmp(word, known->word) != 0)
			continue;
		if (known->needs_argument && *argument == '\0')
			why = "needs a value after the command";
		else if (!known->needs_argument && *argument != '\0')
			why = "takes no value";
		else
			why = staff_command_apply(config, commands, known->kind, argument);
		break;
	}
	if (why != NULL)
		staff_command_problem(commands, number, line, why);
	commands->count++;
	return TRUE;
}

staff_commands *
staff_command_parse(const ticketd_config *config, const char *text)
{
	staff_commands *commands = g_new0(staff_commands, 1);
	g_auto(GStrv) lines = g_strsplit(text ? text : "", "\n", -1);
	int at = 0;

	commands->problems = g_string_new(NULL);
	for (; lines[at] != NULL && commands->count < STAFF_COMMAND_MAX_LINES; at++) {
		g_strchomp(lines[at]);
		if (*lines[at] == '\0')
			continue;
		if (!staff_command_line(config, commands, at + 1, lines[at]))
			break;
	}
	commands->text = g_strjoinv("\n", lines + at);
	g_strstrip(commands->text);
	return commands;
}

void
staff_commands_free(staff_commands *commands)
{
	if (commands == NULL)
		return;
	g_free(commands->assign);
	g_free(commands->department);
	g_free(commands->customer);
	g_free(commands->text);
	g_string_free(commands->problems, TRUE);
	g_free(commands);
}
