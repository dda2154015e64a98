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
	GString *problems;          /* "line N: \"...\": why\n" per bad line; empty when none */
} staff_commands;

/* staff_command_parse - the commands on the first lines of text, checked; never NULL. */
staff_commands *staff_command_parse(const ticketd_config *config, const char *text);
void staff_commands_free(staff_commands *commands);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(staff_commands, staff_commands_free)

/* staff_priority_from_word - low, medium, high, urgent from either language; NULL when none. */
const char *staff_priority_from_word(const char *word);

#endif
