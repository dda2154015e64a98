/*
 * code - ticket codes: random ones from the configured mask (AAA-NNNNNN), and finding
 * a code in a subject tag ("RV: RE: [Ticket #KQZ-482913] ...") or in a plus-address.
 */
#ifndef TICKETD_CODE_H
#define TICKETD_CODE_H

#include <glib.h>

/* code_mask_valid - a mask has at least 4 random positions (A or N) and no spaces. */
gboolean code_mask_valid(const char *mask);

/* code_generate - a code from the mask drawn from rand; uniqueness is the caller's job. */
char *code_generate(const char *mask, GRand *rand);

/* code_matches_mask - code has the mask's shape (letters case-insensitive). */
gboolean code_matches_mask(const char *mask, const char *code);

/* code_from_subject - the code inside "[<tag> #CODE]", anywhere, any case; upper-cased. */
char *code_from_subject(const char *subject, const char *tag, const char *mask);

/* code_strip_reply_prefixes - "RV: RE: Fwd: x" → "x" (Re, RE, RV, RES, Fwd, ENC, AW, WG, SV, VS). */
const char *code_strip_reply_prefixes(const char *subject);

#endif
