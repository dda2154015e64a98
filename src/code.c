/*
 * code - ticket codes. A code is random, drawn from a mask where A is a letter and N a
 * digit (AAA-NNNNNN → KQZ-482913); it is found in replies by its subject tag.
 */
#include <string.h>

#include "code.h"

static const char code_letters[] = "ABCDEFGHJKLMNPQRSTUVWXYZ";  /* no I, O: read aloud */

gboolean
code_mask_valid(const char *mask)
{
	int random_positions = 0;

	if (mask == NULL || *mask == '\0' || strlen(mask) > 32)
		return FALSE;
	for (const char *p = mask; *p != '\0'; p++) {
		if (*p == 'A' || *p == 'N')
			random_positions++;
		else if (!g_ascii_isgraph(*p) || *p == '[' || *p == ']' || *p == '#' || *p == '+' || *p == '@')
			return FALSE;
	}
	return random_positions >= 4;
}

char *
code_generate(const char *mask, GRand *rand)
{
	GString *code = g_string_sized_new(strlen(mask));

	for (const char *p = mask; *p != '\0'; p++) {
		if (*p == 'A')
			g_string_append_c(code, code_letters[g_rand_int_range(rand, 0, sizeof code_letters - 1)]);
		else if (*p == 'N')
			g_string_append_c(code, (char)('0' + g_rand_int_range(rand, 0, 10)));
		else
			g_string_append_c(code, *p);
	}
	return g_string_free(code, FALSE);
}

/* code_shape_at - how many bytes of text, from its start, match the mask; 0 = no match. */
static gsize
code_shape_at(const char *mask, const char *text)
{
	gsize i;

	for (i = 0; mask[i] != '\0'; i++) {
		char c = text[i];

		if (c == '\0')
			return 0;
		if (mask[i] == 'A' ? !g_ascii_isalpha(c) :
		    mask[i] == 'N' ? !g_ascii_isdigit(c) :
		    g_ascii_toupper(c) != g_ascii_toupper(mask[i]))
			return 0;
	}
	return i;
}

gboolean
code_matches_mask(const char *mask, const char *code)
{
	return code != NULL && code_shape_at(mask, code) == strlen(mask) && code[strlen(mask)] == '\0';
}

char *
code_from_subject(const char *subject, const char *tag, const char *mask)
{
	gsize tag_length = strlen(tag);

	if (subject == NULL)
		return NULL;
	for (const char *p = strchr(subject, '['); p != NULL; p = strchr(p + 1, '[')) {
		const char *q = p + 1;
		gsize length;

		while (*q == ' ')
			q++;
		if (g_ascii_strncasecmp(q, tag, tag_length) != 0)
			continue;
		q += tag_length;
		while (*q == ' ')
			q++;
		if (*q++ != '#')
			continue;
		length = code_shape_at(mask, q);
		if (length == 0 || (q[length] != ']' && q[length] != ' '))
			continue;
		return g_ascii_strup(q, (gssize)length);
	}
	return NULL;
}

const char *
code_strip_reply_prefixes(const char *subject)
{
	static const char *const prefixes[] = {
		"re", "rv", "res", "fwd", "fw", "enc", "aw", "wg", "sv", "vs", "tr", NULL
	};
	const char *p = subject;
	gboolean again = TRUE;

	while (again) {
		again = FALSE;
		while (*p == ' ')
			p++;
		for (int i = 0; prefixes[i] != NULL; i++) {
			gsize n = strlen(prefixes[i]);

			if (g_ascii_strncasecmp(p, prefixes[i], n) == 0 && p[n] == ':') {
				p += n + 1;
				again = TRUE;
				break;
			}
		}
	}
	return p;
}
