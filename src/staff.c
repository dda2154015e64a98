/*
 * staff - agents per department and their signed addresses. The token is the first
 * 40 bits of HMAC-SHA256(key, "ticketd-staff\0" CODE "\0" agent) in RFC 4648 base32,
 * lower case so that it survives mail systems that fold the local part.
 */
#include <string.h>

#include "address.h"
#include "staff.h"

#define STAFF_TOKEN_BITS (STAFF_TOKEN_CHARS * 5)
/* Separates this use of the key from any other ticketd may make of it. */
#define STAFF_TOKEN_CONTEXT "ticketd-staff"

/* staff_base32 - the first STAFF_TOKEN_BITS bits of digest, lower-case RFC 4648 base32. */
static char *
staff_base32(const guint8 *digest)
{
	static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz234567";
	char *out = g_malloc(STAFF_TOKEN_CHARS + 1);

	for (int i = 0; i < STAFF_TOKEN_CHARS; i++) {
		int bit = i * 5;
		unsigned value = ((unsigned)digest[bit / 8] << 8 | digest[bit / 8 + 1]) >> (11 - bit % 8);

		out[i] = alphabet[value & 31];
	}
	out[STAFF_TOKEN_CHARS] = '\0';
	return out;
}

char *
staff_token(const ticketd_config *config, const char *code, const char *agent)
{
	g_autoptr(GHmac) hmac = NULL;
	g_autofree char *upper = g_ascii_strup(code, -1);
	g_autofree char *lower = address_normalize(agent);
	guint8 digest[32];
	gsize length = sizeof digest;
	gsize key_length = 0;
	const guint8 *key;

	if (config->secret == NULL)
		return NULL;
	key = g_bytes_get_data(config->secret, &key_length);
	hmac = g_hmac_new(G_CHECKSUM_SHA256, key, key_length);
	/* The NULs between the parts keep ("AB", "c@x") and ("A", "Bc@x") apart. */
	g_hmac_update(hmac, (const guchar *)STAFF_TOKEN_CONTEXT, sizeof STAFF_TOKEN_CONTEXT);
	g_hmac_update(hmac, (const guchar *)upper, (gssize)strlen(upper) + 1);
	g_hmac_update(hmac, (const guchar *)lower, (gssize)strlen(lower));
	g_hmac_get_digest(hmac, digest, &length);
	return staff_base32(digest);
}

/* staff_plus - the department's address with detail "WHAT.token". */
static char *
staff_plus(const ticketd_config *config, const char *department, const char *what, const char *agent)
{
	const department_config *found = config_department_by_slug(config, department);
	const char *address = found ? found->address : config->smtp.from_address;
	const char *at = strchr(address, '@');
	g_autofree char *token = staff_token(config, what, agent);

	if (token == NULL || at == NULL)
		return NULL;
	return g_strdup_printf("%.*s+%s.%s%s", (int)(at - address), address, what, token, at);
}

char *
staff_reply_address(const ticketd_config *config, const store_ticket *ticket, const char *agent)
{
	return staff_plus(config, ticket->department, ticket->code, agent);
}

/* staff_home - the first department the agent is named in, else the first department. */
static const char *
staff_home(const ticketd_config *config, const char *agent)
{
	for (guint d = 0; d < config->departments->len; d++) {
		const department_config *department = g_ptr_array_index(config->departments, d);

		for (int i = 0; department->staff != NULL && department->staff[i] != NULL; i++)
			if (address_equal(department->staff[i], agent))
				return department->slug;
	}
	return ((const department_config *)g_ptr_array_index(config->departments, 0))->slug;
}

char *
staff_desk_address(const ticketd_config *config, const char *agent)
{
	return staff_plus(config, staff_home(config, agent), STAFF_DESK, agent);
}

gboolean
staff_signed_detail(const char *detail, char **code, char **token)
{
	const char *dot = detail ? strrchr(detail, '.') : NULL;

	if (dot == NULL || dot == detail || strlen(dot + 1) != STAFF_TOKEN_CHARS)
		return FALSE;
	*code = g_ascii_strup(detail, dot - detail);
	if (g_ascii_strcasecmp(*code, STAFF_DESK) == 0) {
		g_free(*code);
		*code = g_strdup(STAFF_DESK);
	}
	*token = g_ascii_strdown(dot + 1, -1);
	return TRUE;
}

/* staff_add - one borrowed address, once. */
static void
staff_add(GPtrArray *agents, char **list)
{
	for (int i = 0; list != NULL && list[i] != NULL; i++) {
		gboolean seen = FALSE;

		for (guint j = 0; j < agents->len; j++)
			seen = seen || address_equal(g_ptr_array_index(agents, j), list[i]);
		if (!seen)
			g_ptr_array_add(agents, list[i]);
	}
}

/* staff_same_token - compared without an early exit, so timing tells nothing. */
static gboolean
staff_same_token(const char *a, const char *b)
{
	unsigned differ = 0;

	for (int i = 0; i < STAFF_TOKEN_CHARS; i++)
		differ |= (unsigned char)a[i] ^ (unsigned char)b[i];
	return differ == 0;
}

const char *
staff_token_agent(const ticketd_config *config, const char *code, const char *token)
{
	g_autoptr(GPtrArray) agents = staff_of_department(config, NULL);
	const char *found = NULL;

	for (guint d = 0; d < config->departments->len; d++)
		staff_add(agents, ((const department_config *)g_ptr_array_index(config->departments, d))->staff);
	for (guint i = 0; i < agents->len && strlen(token) == STAFF_TOKEN_CHARS; i++) {
		g_autofree char *expected = staff_token(config, code, g_ptr_array_index(agents, i));

		if (expected != NULL && staff_same_token(expected, token) && found == NULL)
			found = g_ptr_array_index(agents, i);
	}
	return found;
}

GPtrArray *
staff_of_department(const ticketd_config *config, const char *department)
{
	const department_config *found = department ? config_department_by_slug(config, department) : NULL;
	GPtrArray *agents = g_ptr_array_new();

	staff_add(agents, config->staff);
	if (found != NULL)
		staff_add(agents, found->staff);
	return agents;
}
