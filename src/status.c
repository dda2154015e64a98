/*
 * status - ticket statuses and their labels. The built-in labels are those of the
 * hosting help desks ticketd is modelled on; [labels] in the configuration may rename them.
 */
#include <string.h>

#include "status.h"

typedef struct {
	const char *name;
	const char *es;
	const char *en;
} status_names;

static const status_names statuses[] = {
	{ STATUS_OPEN, "Abierto", "Open" },
	{ STATUS_ANSWERED, "Contestado", "Answered" },
	{ STATUS_CUSTOMER_REPLY, "Respuesta del cliente", "Customer reply" },
	{ STATUS_ON_HOLD, "En espera", "On hold" },
	{ STATUS_IN_PROGRESS, "En curso", "In progress" },
	{ STATUS_PENDING, "Pendiente", "Pending" },
	{ STATUS_RESOLVED, "Resuelto", "Resolved" },
	{ STATUS_CLOSED, "Cerrado", "Closed" },
};

static const status_names *
status_find(const char *status)
{
	for (gsize i = 0; status != NULL && i < G_N_ELEMENTS(statuses); i++)
		if (strcmp(statuses[i].name, status) == 0)
			return &statuses[i];
	return NULL;
}

gboolean
status_valid(const char *status)
{
	return status_find(status) != NULL;
}

const char *
status_label(const ticketd_config *config, const char *status, const char *lang)
{
	const status_names *names = status_find(status);
	gboolean english = lang != NULL && strcmp(lang, "en") == 0;

	if (names == NULL)
		return status ? status : "";
	if (config != NULL && config->labels != NULL) {
		g_autofree char *key = g_strconcat(english ? "en" : "es", ":", status, NULL);
		const char *label = g_hash_table_lookup(config->labels, key);

		if (label != NULL)
			return label;
	}
	return english ? names->en : names->es;
}


/* status_same_word - equal once case-folded: a configured label may be "Atención técnica". */
static gboolean
status_same_word(const char *a, const char *b)
{
	g_autofree char *fa = g_utf8_casefold(a, -1);
	g_autofree char *fb = g_utf8_casefold(b, -1);

	return strcmp(fa, fb) == 0;
}

const char *
status_from_word(const ticketd_config *config, const char *word)
{
	if (word == NULL || !g_utf8_validate(word, -1, NULL))
		return NULL;
	for (gsize i = 0; i < G_N_ELEMENTS(statuses); i++) {
		const char *name = statuses[i].name;

		if (status_same_word(word, name) || status_same_word(word, status_label(config, name, "es")) ||
		    status_same_word(word, status_label(config, name, "en")))
			return name;
	}
	return NULL;
}
