/*
 * authres - Authentication-Results header fields (RFC 8601) parsed whole: the
 * authserv-id of the host that wrote each, its results (method=result, reason,
 * ptype.property=value), comments and quoted strings understood; and the one question
 * ticketd asks of them: did our own MTA find that DMARC passed for this From domain?
 */
#ifndef TICKETD_AUTHRES_H
#define TICKETD_AUTHRES_H

#include <glib.h>

#include "config.h"
#include "mime.h"

/* Bounds on one header field: a real one has a handful of results of a few properties. */
#define AUTHRES_RESULTS_MAX 64
#define AUTHRES_PROPERTIES_MAX 32
#define AUTHRES_COMMENT_DEPTH_MAX 16

typedef struct {
	char *ptype;                /* "header", "smtp", "body", "policy"; lower case */
	char *property;             /* "from", "mailfrom", "d"; lower case */
	char *value;                /* as written, quotes and escapes removed */
} authres_property;

typedef struct {
	char *method;               /* "dmarc", "dkim", "spf"; lower case, no version */
	char *result;               /* "pass", "fail", "none"; lower case */
	char *reason;               /* NULL when absent */
	GPtrArray *properties;      /* authres_property * */
} authres_result;

typedef struct {
	char *authserv_id;          /* as written; compare ignoring ASCII case */
	int version;                /* 1 when not written (RFC 8601 §2.2) */
	GPtrArray *results;         /* authres_result *; empty for "; none" */
} authres_header;

/* authres_parse - one field's value (after the colon); NULL when it is not RFC 8601. */
authres_header *authres_parse(const char *value);
void authres_header_free(authres_header *header);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(authres_header, authres_header_free)

/* authres_property_value - the value of ptype.property in result, or NULL. */
const char *authres_property_value(const authres_result *result, const char *ptype, const char *property);

/*
 * authres_dmarc_pass - the Authentication-Results fields written by one of the
 * configured authserv_id (our MTA) say dmarc=pass with header.from = domain, and none
 * of them says anything else about DMARC. Fields of any other authserv-id, and fields
 * that do not parse, are ignored: anyone may write them. Without authserv_id nothing
 * passes. *why (when not NULL) gets a static sentence saying why it did not pass.
 */
gboolean authres_dmarc_pass(const ticketd_config *config, const parsed_message *message, const char *domain,
                            const char **why);

#endif
