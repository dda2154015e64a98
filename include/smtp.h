/*
 * smtp - sending one composed mail to one recipient through libcurl. One client keeps
 * its connection across messages; failures are told apart by the SMTP reply code.
 */
#ifndef TICKETD_SMTP_H
#define TICKETD_SMTP_H

#include <glib.h>

#include "config.h"
#include "failure.h"

/* The whole of one send may take this many timeouts; the outbox lease must outlast it. */
#define SMTP_TRANSFER_TIMEOUTS 5

typedef struct smtp_client smtp_client;

smtp_client *smtp_client_new(const ticketd_config *config);
void smtp_client_free(smtp_client *client);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(smtp_client, smtp_client_free)

/*
 * smtp_send - envelope_from "" is the null sender. FAILURE_OK: sent; FAILURE_TEMPORARY:
 * 4xx, no connection, TLS or login trouble, retry later; FAILURE_PERMANENT: 5xx or an
 * invalid address, a retry cannot help. *error says why when not sent.
 */
failure_class smtp_send(smtp_client *client, const char *envelope_from, const char *recipient,
                        GBytes *mail, char **error);

/* smtp_last_reply - the SMTP reply code of the last send; 0 when no server answered. */
long smtp_last_reply(const smtp_client *client);

/* smtp_needs_operator - the last failure was TLS, login or setup: retrying alone won't fix it. */
gboolean smtp_needs_operator(const smtp_client *client);

#endif
