/*
 * staff_command - command lines at the top of an agent's mail. Only the first lines
 * count (blank lines between them are fine); the first line that is no command starts
 * the text. A bad line is reported with its number and why (in the agent's language,
 * naming what would have been valid), and then nothing of the mail is applied: an
 * agent who wrote "#estado pendeinte" must not see half a change.
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

/* What each problem says to the agent. */
static const struct {
	const char *es;
	const char *en;
} staff_problem_texts[] = {
	[STAFF_PROBLEM_UNKNOWN] = { "orden desconocida (#estado #asignar #nota #prioridad #departamento #cerrar "
	                            "#cliente)",
	                            "unknown command (#estado #asignar #nota #prioridad #departamento #cerrar #cliente, "
	                            "or #status #assign #note #priority #department #close #customer)" },
	[STAFF_PROBLEM_NEEDS_VALUE] = { "falta el valor tras la orden", "needs a value after the command" },
	[STAFF_PROBLEM_NO_VALUE] = { "esta orden no lleva valor", "takes no value" },
	[STAFF_PROBLEM_STATUS] = { "estado desconocido; valen", "no such status; use one of" },
	[STAFF_PROBLEM_AGENT] = { "no es agente del servicio (staff =) ni «nadie»",
	                          "not an agent of the desk (staff =), nor nadie/nobody" },
	[STAFF_PROBLEM_PRIORITY] = { "prioridad desconocida; valen: baja, media, alta, urgente",
	                             "no such priority; use one of: low, medium, high, urgent (or baja, media, "
	                             "alta, urgente)" },
	[STAFF_PROBLEM_DEPARTMENT] = { "departamento desconocido; valen", "no such department; use one of" },
	[STAFF_PROBLEM_ADDRESS] = { "no es una dirección de correo", "not an e-mail address" },
	[STAFF_PROBLEM_CUSTOMER_HERE] = { "#cliente solo vale en su dirección personal del servicio (ticketctl staff "
	                                  "address), no en la respuesta a un ticket",
	                                  "#cliente belongs on the desk address (ticketctl staff address), not in a "
	                                  "reply to a ticket" },
};
G_STATIC_ASSERT(G_N_ELEMENTS(staff_problem_texts) == STAFF_PROBLEM_CUSTOMER_HERE + 1);

/* staff_problem_choices - what would have been valid, as this desk names it; NULL when
 * the text says it already. Labels and departments come from the configuration. */
static char *
staff_problem_choices(const ticketd_config *config, staff_problem_kind kind, const char *language)
{
	static const char *const statuses[] = {
		STATUS_OPEN, STATUS_ANSWERED, STATUS_CUSTOMER_REPLY, STATUS_ON_HOLD, STATUS_IN_PROGRESS,
		STATUS_PENDING, STATUS_RESOLVED, STATUS_CLOSED,
	};
	GString *out = g_string_new(NULL);

	for (gsize i = 0; kind == STAFF_PROBLEM_STATUS && i < G_N_ELEMENTS(statuses); i++)
		g_string_append_printf(out, "%s%s", i ? ", " : "", status_label(config, statuses[i], language));
	for (guint i = 0; kind == STAFF_PROBLEM_DEPARTMENT && i < config->departments->len; i++)
		g_string_append_printf(out, "%s%s", i ? ", " : "",
		                       ((const department_config *)g_ptr_array_index(config->departments, i))->slug);
	if (out->len == 0)
		return g_string_free(out, TRUE);
	return g_string_free(out, FALSE);
}

/* staff_problem_line - one problem in one language, ending in a newline. */
static void
staff_problem_line(GString *out, const ticketd_config *config, const staff_command_problem *problem,
                   const char *language)
{
	gboolean english = g_strcmp0(language, "en") == 0;
	g_autofree char *choices = staff_problem_choices(config, problem->kind, language);
	const char *why = english ? staff_problem_texts[problem->kind].en : staff_problem_texts[problem->kind].es;

	g_string_append_printf(out, english ? "line %d: \"%s\": %s%s%s\n" : "línea %d: «%s»: %s%s%s\n", problem->line,
	                       problem->quoted, why, choices ? ": " : "", choices ? choices : "");
}

char *
staff_command_report(const ticketd_config *config, const staff_commands *commands, const char *language)
{
	GString *out = g_string_new(NULL);

	for (guint i = 0; i < commands->problem_list->len; i++)
		staff_problem_line(out, config, g_ptr_array_index(commands->problem_list, i), language);
	return g_string_free(out, FALSE);
}

static void
staff_command_problem_free(gpointer data)
{
	staff_command_problem *problem = data;

	g_free(problem->quoted);
	g_free(problem);
}

/* staff_command_problem_add - one bad line, quoted printable and short, and why. */
static void
staff_command_problem_add(const ticketd_config *config, staff_commands *commands, int line, const char *text,
                          staff_problem_kind kind)
{
	g_autofree char *valid = g_utf8_make_valid(text, -1);
	staff_command_problem *problem = g_new0(staff_command_problem, 1);

	problem->line = line;
	problem->kind = kind;
	problem->quoted = g_utf8_strlen(valid, -1) > STAFF_COMMAND_QUOTE_MAX
	                  ? g_utf8_substring(valid, 0, STAFF_COMMAND_QUOTE_MAX) : g_strdup(valid);
	g_ptr_array_add(commands->problem_list, problem);
	staff_problem_line(commands->problems, config, problem, "en");
}

/* staff_command_assign - an agent of the desk, or nadie/nobody; FALSE when neither. */
static gboolean
staff_command_assign(const ticketd_config *config, staff_commands *commands, const char *argument)
{
	if (g_ascii_strcasecmp(argument, "nadie") == 0 || g_ascii_strcasecmp(argument, "nobody") == 0)
		commands->assign = g_strdup("");
	else if (config_is_staff(config, argument))
		commands->assign = address_normalize(argument);
	else
		return FALSE;
	commands->assign_set = TRUE;
	return TRUE;
}

/* staff_command_apply - one command and its argument into commands; FALSE with *why when
 * it cannot be applied here. */
static gboolean
staff_command_apply(const ticketd_config *config, staff_commands *commands, staff_command_kind kind,
                    const char *argument, staff_command_place place, staff_problem_kind *why)
{
	switch (kind) {
	case STAFF_COMMAND_STATUS:
		*why = STAFF_PROBLEM_STATUS;
		return (commands->status = status_from_word(config, argument)) != NULL;
	case STAFF_COMMAND_ASSIGN:
		*why = STAFF_PROBLEM_AGENT;
		return staff_command_assign(config, commands, argument);
	case STAFF_COMMAND_NOTE:
		commands->note = TRUE;
		return TRUE;
	case STAFF_COMMAND_PRIORITY:
		*why = STAFF_PROBLEM_PRIORITY;
		return (commands->priority = staff_priority_from_word(argument)) != NULL;
	case STAFF_COMMAND_DEPARTMENT:
		*why = STAFF_PROBLEM_DEPARTMENT;
		if (config_department_by_slug(config, argument) == NULL)
			return FALSE;
		commands->department = g_strdup(argument);
		return TRUE;
	case STAFF_COMMAND_CLOSE:
		commands->close = TRUE;
		return TRUE;
	case STAFF_COMMAND_CUSTOMER:
		/* At a ticket's address the customer is the ticket's: naming another would be
		 * a ticket opened by a reply, which nobody meant. */
		*why = place == STAFF_AT_DESK ? STAFF_PROBLEM_ADDRESS : STAFF_PROBLEM_CUSTOMER_HERE;
		commands->customer = address_written(argument);
		return place == STAFF_AT_DESK && address_valid(commands->customer);
	}
	*why = STAFF_PROBLEM_UNKNOWN;
	return FALSE;
}

/* staff_command_line - one "#word argument" line; FALSE when it is no command line. */
static gboolean
staff_command_line(const ticketd_config *config, staff_commands *commands, int number, const char *line,
                   staff_command_place place)
{
	const char *start = line + strspn(line, " \t");
	gsize length = strcspn(start + 1, " \t");
	g_autofree char *word = NULL;
	g_autofree char *argument = NULL;
	staff_problem_kind why = STAFF_PROBLEM_UNKNOWN;
	gboolean applied = FALSE;

	if (*start != '#' || length == 0 || !g_ascii_isalpha(start[1]))
		return FALSE;
	word = g_strndup(start + 1, length);
	argument = g_strstrip(g_strdup(start + 1 + length));
	for (gsize i = 0; i < G_N_ELEMENTS(staff_command_words); i++) {
		const staff_command_word *known = &staff_command_words[i];

		if (g_ascii_strcasecmp(word, known->word) != 0)
			continue;
		if (known->needs_argument && *argument == '\0')
			why = STAFF_PROBLEM_NEEDS_VALUE;
		else if (!known->needs_argument && *argument != '\0')
			why = STAFF_PROBLEM_NO_VALUE;
		else
			applied = staff_command_apply(config, commands, known->kind, argument, place, &why);
		break;
	}
	if (!applied)
		staff_command_problem_add(config, commands, number, line, why);
	commands->count++;
	return TRUE;
}

staff_commands *
staff_command_parse(const ticketd_config *config, const char *text, staff_command_place place)
{
	staff_commands *commands = g_new0(staff_commands, 1);
	g_auto(GStrv) lines = g_strsplit(text ? text : "", "\n", -1);
	int at = 0;

	commands->problems = g_string_new(NULL);
	commands->problem_list = g_ptr_array_new_with_free_func(staff_command_problem_free);
	for (; lines[at] != NULL && commands->count < STAFF_COMMAND_MAX_LINES; at++) {
		g_strchomp(lines[at]);
		if (*lines[at] == '\0')
			continue;
		if (!staff_command_line(config, commands, at + 1, lines[at], place))
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
	g_ptr_array_unref(commands->problem_list);
	g_free(commands);
}
