/*
 * authres - Authentication-Results (RFC 8601 §2.2) by its grammar: authserv-id,
 * optional version, then "; none" or results "method[/version]=result [reason=value]
 * [ptype.property=value ...]", with comments (nested) and quoted strings anywhere CFWS
 * may stand. A field that does not follow the grammar is ignored whole, never guessed at.
 */
#include <string.h>

#include "authres.h"

typedef struct {
	const char *p;
} authres_cursor;

/* RFC 2045 tspecials: they end a token. */
static const char token_specials[] = "()<>@,;:\\\"/[]?=";

static gboolean
authres_is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* authres_skip_comment - one (comment), nested and with quoted-pairs; FALSE if unclosed. */
static gboolean
authres_skip_comment(authres_cursor *cur)
{
	int depth = 0;

	do {
		char c = *cur->p;

		if (c == '\0')
			return FALSE;
		if (c == '\\' && cur->p[1] != '\0')
			cur->p++;
		else if (c == '(' && ++depth > AUTHRES_COMMENT_DEPTH_MAX)
			return FALSE;
		else if (c == ')')
			depth--;
		cur->p++;
	} while (depth > 0);
	return TRUE;
}

/* authres_skip_cfws - folding white space and comments; FALSE on an unclosed comment. */
static gboolean
authres_skip_cfws(authres_cursor *cur)
{
	for (;;) {
		if (authres_is_blank(*cur->p))
			cur->p++;
		else if (*cur->p == '(') {
			if (!authres_skip_comment(cur))
				return FALSE;
		} else
			return TRUE;
	}
}

/* authres_quoted - a quoted-string, quotes and backslashes removed; NULL if unclosed. */
static char *
authres_quoted(authres_cursor *cur)
{
	GString *out = g_string_new(NULL);

	for (cur->p++; *cur->p != '"'; cur->p++) {
		if (*cur->p == '\\' && cur->p[1] != '\0')
			cur->p++;
		if (*cur->p == '\0') {
			g_string_free(out, TRUE);
			return NULL;
		}
		g_string_append_c(out, *cur->p);
	}
	cur->p++;
	return g_string_free(out, FALSE);
}

/* authres_run - the longest run of bytes that are not blanks, controls or in stops. */
static char *
authres_run(authres_cursor *cur, const char *stops)
{
	const char *start = cur->p;

	while (*cur->p != '\0' && (guchar)*cur->p > ' ' && *cur->p != 0x7f && strchr(stops, *cur->p) == NULL)
		cur->p++;
	return cur->p > start ? g_strndup(start, (gsize)(cur->p - start)) : NULL;
}

/* authres_value - RFC 2045 value: a token or a quoted-string. */
static char *
authres_value(authres_cursor *cur)
{
	return *cur->p == '"' ? authres_quoted(cur) : authres_run(cur, token_specials);
}

/*
 * authres_pvalue - a property's value: a value, or [local-part]@domain. Property values
 * in the wild hold '/', '+' and '=' (header.b of DKIM), so only what ends a result or
 * starts a comment or a quoted string ends one.
 */
static char *
authres_pvalue(authres_cursor *cur)
{
	g_autofree char *local = NULL;
	g_autofree char *rest = NULL;

	if (*cur->p != '"')
		return authres_run(cur, ";()\"\\");
	if ((local = authres_quoted(cur)) == NULL)
		return NULL;
	if (*cur->p != '@')
		return g_steal_pointer(&local);
	rest = authres_run(cur, ";()\"\\");
	return g_strconcat(local, rest, NULL);
}

/* authres_keyword - RFC 8601 Keyword (letters, digits, '-'; '_' seen in the wild), lower case. */
static char *
authres_keyword(authres_cursor *cur)
{
	const char *start = cur->p;

	while (g_ascii_isalnum(*cur->p) || *cur->p == '-' || *cur->p == '_')
		cur->p++;
	return cur->p > start ? g_ascii_strdown(start, cur->p - start) : NULL;
}

/* authres_digits - a version number, at most 9 digits; -1 when there is none. */
static int
authres_digits(authres_cursor *cur)
{
	int n = 0, count = 0;

	while (g_ascii_isdigit(*cur->p) && count < 9) {
		n = n * 10 + (*cur->p++ - '0');
		count++;
	}
	return count > 0 && !g_ascii_isdigit(*cur->p) ? n : -1;
}

static void
authres_property_free(gpointer data)
{
	authres_property *property = data;

	g_free(property->ptype);
	g_free(property->property);
	g_free(property->value);
	g_free(property);
}

static void
authres_result_free(gpointer data)
{
	authres_result *result = data;

	g_free(result->method);
	g_free(result->result);
	g_free(result->reason);
	g_ptr_array_unref(result->properties);
	g_free(result);
}

void
authres_header_free(authres_header *header)
{
	if (header == NULL)
		return;
	g_free(header->authserv_id);
	g_ptr_array_unref(header->results);
	g_free(header);
}

/* authres_parse_property - "ptype.property=pvalue" after its ptype. */
static gboolean
authres_parse_property(authres_cursor *cur, authres_result *result, char *ptype)
{
	authres_property *property;

	if (result->properties->len >= AUTHRES_PROPERTIES_MAX)
		return FALSE;
	property = g_new0(authres_property, 1);
	property->ptype = ptype;
	g_ptr_array_add(result->properties, property);
	cur->p++;                                       /* the '.' */
	if (!authres_skip_cfws(cur) || (property->property = authres_keyword(cur)) == NULL ||
	    !authres_skip_cfws(cur) || *cur->p != '=')
		return FALSE;
	cur->p++;
	return authres_skip_cfws(cur) && (property->value = authres_pvalue(cur)) != NULL;
}

/* authres_parse_details - the reason and properties after "method=result". */
static gboolean
authres_parse_details(authres_cursor *cur, authres_result *result)
{
	for (;;) {
		char *word;

		if (!authres_skip_cfws(cur))
			return FALSE;
		if (*cur->p == '\0' || *cur->p == ';')
			return TRUE;
		if ((word = authres_keyword(cur)) == NULL || !authres_skip_cfws(cur)) {
			g_free(word);
			return FALSE;
		}
		if (*cur->p == '.') {
			if (!authres_parse_property(cur, result, word))
				return FALSE;
			continue;
		}
		if (*cur->p != '=' || strcmp(word, "reason") != 0 || result->reason != NULL) {
			g_free(word);
			return FALSE;
		}
		g_free(word);
		cur->p++;
		if (!authres_skip_cfws(cur) || (result->reason = authres_value(cur)) == NULL)
			return FALSE;
	}
}

/* authres_parse_result - one resinfo after its ';': method[/version] = result ... */
static gboolean
authres_parse_result(authres_cursor *cur, authres_result *result)
{
	if ((result->method = authres_keyword(cur)) == NULL || !authres_skip_cfws(cur))
		return FALSE;
	if (*cur->p == '/') {
		cur->p++;
		if (!authres_skip_cfws(cur) || authres_digits(cur) < 0 || !authres_skip_cfws(cur))
			return FALSE;
	}
	if (*cur->p != '=')
		return FALSE;
	cur->p++;
	if (!authres_skip_cfws(cur) || (result->result = authres_keyword(cur)) == NULL)
		return FALSE;
	return authres_parse_details(cur, result);
}

/* authres_parse_results - "; none", or one or more "; resinfo" to the end. */
static gboolean
authres_parse_results(authres_cursor *cur, authres_header *header)
{
	if (*cur->p != ';')
		return FALSE;
	while (*cur->p == ';') {
		authres_result *result;
		authres_cursor look;
		g_autofree char *word = NULL;

		cur->p++;
		if (!authres_skip_cfws(cur))
			return FALSE;
		if (*cur->p == '\0')
			return header->results->len > 0;        /* a stray final ';' */
		look = *cur;
		word = authres_keyword(&look);
		if (header->results->len == 0 && word != NULL && strcmp(word, "none") == 0 &&
		    authres_skip_cfws(&look) && *look.p == '\0')
			return TRUE;
		if (header->results->len >= AUTHRES_RESULTS_MAX)
			return FALSE;
		result = g_new0(authres_result, 1);
		result->properties = g_ptr_array_new_with_free_func(authres_property_free);
		g_ptr_array_add(header->results, result);
		if (!authres_parse_result(cur, result))
			return FALSE;
	}
	return *cur->p == '\0';
}

authres_header *
authres_parse(const char *value)
{
	g_autoptr(authres_header) header = NULL;
	authres_cursor cur = { value };

	if (value == NULL)
		return NULL;
	header = g_new0(authres_header, 1);
	header->version = 1;
	header->results = g_ptr_array_new_with_free_func(authres_result_free);
	if (!authres_skip_cfws(&cur) || (header->authserv_id = authres_value(&cur)) == NULL ||
	    !authres_skip_cfws(&cur))
		return NULL;
	if (g_ascii_isdigit(*cur.p) && ((header->version = authres_digits(&cur)) < 0 || !authres_skip_cfws(&cur)))
		return NULL;
	if (!authres_parse_results(&cur, header))
		return NULL;
	return g_steal_pointer(&header);
}

const char *
authres_property_value(const authres_result *result, const char *ptype, const char *property)
{
	for (guint i = 0; i < result->properties->len; i++) {
		const authres_property *p = g_ptr_array_index(result->properties, i);

		if (strcmp(p->ptype, ptype) == 0 && strcmp(p->property, property) == 0)
			return p->value;
	}
	return NULL;
}

/* authres_ours - written by one of our authserv_id, in a version we understand. */
static gboolean
authres_ours(const ticketd_config *config, const authres_header *header)
{
	/* RFC 8601 §2.2: a field of an unknown version must be ignored. */
	if (header->version != 1)
		return FALSE;
	for (int i = 0; config->authserv_ids[i] != NULL; i++)
		if (g_ascii_strcasecmp(config->authserv_ids[i], header->authserv_id) == 0)
			return TRUE;
	return FALSE;
}

/* authres_dmarc_verdict - one DMARC result of ours: pass for domain, or why not. */
static const char *
authres_dmarc_verdict(const authres_result *result, const char *domain)
{
	const char *from = authres_property_value(result, "header", "from");

	if (strcmp(result->result, "pass") != 0)
		return "our MTA's Authentication-Results does not say dmarc=pass";
	if (from == NULL || g_ascii_strcasecmp(from, domain) != 0)
		return "dmarc=pass is for another header.from than the From's domain";
	return NULL;
}

/* authres_dmarc_refusal - why our own fields do not show DMARC passing for domain, or NULL. */
static const char *
authres_dmarc_refusal(const ticketd_config *config, const GPtrArray *fields, const char *domain)
{
	gboolean passed = FALSE;

	if (config->authserv_ids == NULL || config->authserv_ids[0] == NULL)
		return "authserv_id is not set, so no Authentication-Results is trusted";
	for (guint i = 0; fields != NULL && i < fields->len; i++) {
		g_autoptr(authres_header) header = authres_parse(g_ptr_array_index(fields, i));

		if (header == NULL || !authres_ours(config, header))
			continue;
		for (guint j = 0; j < header->results->len; j++) {
			const authres_result *result = g_ptr_array_index(header->results, j);
			const char *refused;

			if (strcmp(result->method, "dmarc") != 0)
				continue;
			/* One result of ours that is not a pass for this domain outweighs any pass:
			 * the pass may have come from outside under our name. */
			if ((refused = authres_dmarc_verdict(result, domain)) != NULL)
				return refused;
			passed = TRUE;
		}
	}
	return passed ? NULL : "no Authentication-Results of our authserv_id gives a dmarc result";
}

gboolean
authres_dmarc_pass(const ticketd_config *config, const parsed_message *message, const char *domain,
                   const char **why)
{
	const char *refused = domain == NULL || *domain == '\0' ? "the From has no domain"
	                      : authres_dmarc_refusal(config, message->authentication_results, domain);

	if (why != NULL)
		*why = refused;
	return refused == NULL;
}
