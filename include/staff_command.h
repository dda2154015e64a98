/*
 * staff_command - the command lines an agent writes at the top of a mail to the desk
 * (#estado pendiente, #assign nobody, #nota, ...), in Spanish or English, parsed apart
 * from the text the customer is to receive, and checked against the configuration.
 */
#ifndef TICKETD_STAFF_COMMAND_H
#define TICKETD_STAFF_COMMAND_H

#include <glib.h>

#include "config.h"

/* Command lines read at the top of one mail; more is not a person writing commands. */
#define STAFF_COMMAND_MAX_LINES 20
/* Characters of a bad line quoted back to the agent. */
#define STAFF_COMMAND_QUOTE_MAX 80

typedef enum {
	STAFF_COMMAND_STATUS,       /* #estado / #status STATUS (name or label) */
	STAFF_COMMAND_ASSIGN,       /* #asignar / #assign AGENT | nadie | nobody */
	STAFF_COMMAND_NOTE,         /* #nota / #note: the mail is an internal note */
	STAFF_COMMAND_PRIORITY,     /* #prioridad / #priority low|medium|high|urgent (or Spanish) */
	STAFF_COMMAND_DEPARTMENT,   /* #departamento / #department SLUG */
	STAFF_COMMAND_CLOSE,        /* #cerrar / #close */
	STAFF_COMMAND_CUSTOMER,     /* #cliente / #customer ADDRESS: open a ticket for them */
} staff_command_kind;

/* Why a command line was not applied; each is said to the agent in their language. */
typedef enum {
	STAFF_PROBLEM_UNKNOWN,      /* no such command word */
	STAFF_PROBLEM_NEEDS_VALUE,
	STAFF_PROBLEM_NO_VALUE,
	STAFF_PROBLEM_STATUS,       /* no status of that name or label */
	STAFF_PROBLEM_AGENT,        /* #asignar someone who is no agent */
	STAFF_PROBLEM_PRIORITY,
	STAFF_PROBLEM_DEPARTMENT,
	STAFF_PROBLEM_ADDRESS,      /* #cliente without an e-mail address */
	STAFF_PROBLEM_CUSTOMER_HERE /* #cliente in a reply: it belongs on the desk address */
} staff_problem_kind;

/* One bad command line. */
typedef struct {
	int line;                   /* 1 = the first line of the text */
	char *quoted;               /* the line, valid UTF-8, at most STAFF_COMMAND_QUOTE_MAX characters */
	staff_problem_kind kind;
} staff_command_problem;

/* Where the mail was sent: #cliente is a command of the desk address only. */
typedef enum { STAFF_AT_TICKET, STAFF_AT_DESK } staff_command_place;

typedef struct {
	/* What the commands ask for; NULL / FALSE when not asked. */
	const char *status;         /* internal name */
	char *assign;               /* an agent, or "" to unassign */
	gboolean assign_set;
	gboolean note;
	const char *priority;       /* low, medium, high, urgent */
	char *department;           /* a configured slug */
	gboolean close;
	char *customer;             /* an address */
	int count;                  /* command lines read */
	char *text;                 /* the mail's text without the command lines, stripped */
	GPtrArray *problem_list;    /* staff_command_problem *, in line order; empty when none */
	GString *problems;          /* the same in English, "line N: \"...\": why\n" per line, for logs */
} staff_commands;

/* staff_command_parse - the commands on the first lines of text, checked; never NULL. */
staff_commands *staff_command_parse(const ticketd_config *config, const char *text, staff_command_place place);

/*
 * staff_command_report - the problems as the agent reads them, one line each, in
 * language ("es" unless "en"): "línea 2: «#estado abiero»: estado desconocido (...)",
 * naming what would have been valid (the configured labels, departments).
 */
char *staff_command_report(const ticketd_config *config, const staff_commands *commands, const char *language);
void staff_commands_free(staff_commands *commands);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(staff_commands, staff_commands_free)

/* staff_priority_from_word - low, medium, high, urgent from either language; NULL when none. */
const char *staff_priority_from_word(const char *word);

#endif
