/*
 * address - e-mail addresses by one set of rules for every part: which text may go into
 * a header and an SMTP envelope, how addresses are compared, which mailboxes are robots'
 * and which addresses are our own (department addresses, their plus-addresses, our From).
 */
#ifndef TICKETD_ADDRESS_H
#define TICKETD_ADDRESS_H

#include <glib.h>

#include "config.h"

/* RFC 5321 §4.5.3.1.1: a local part is at most 64 octets. */
#define ADDRESS_LOCAL_MAX 64
/* RFC 5321 §4.5.3.1.3: a path is at most 256 octets, so an address without <> 254. */
#define ADDRESS_MAX 254

/*
 * address_valid - local@domain that may go into a header and an SMTP envelope as it is:
 * UTF-8 without controls, spaces or line separators, no delimiter of SMTP or of address
 * lists, exactly one @, no empty dot-separated part, within the RFC 5321 lengths.
 */
gboolean address_valid(const char *address);

/*
 * address_lower - ASCII lower case, in place: a key to compare by (our own addresses,
 * staff tokens), never the form a customer's mail goes out to.
 */
void address_lower(char *address);

/* address_normalize - a copy without surrounding white space, in ASCII lower case. */
char *address_normalize(const char *text);

/*
 * address_fold_domain - the domain in ASCII lower case, in place; the local part stays as
 * written, since only its own host may read case in it (RFC 5321 section 2.4). Compare
 * such addresses with address_equal.
 */
void address_fold_domain(char *address);

/* address_written - a copy without surrounding white space, its domain folded. */
char *address_written(const char *text);

/*
 * address_equal - the same address, ASCII case ignored: how a sender is matched to an
 * account, a watcher or a staff member, as MTAs' lookup tables match (a host that does
 * read case in local parts is rare; two customers told apart only by case rarer still).
 */
gboolean address_equal(const char *a, const char *b);

/*
 * address_base - soporte+KQZ-482913@example.com → soporte@example.com, lower case;
 * *detail (when not NULL) gets the part after '+', or NULL. NULL without an @.
 */
char *address_base(const char *address, char **detail);

/* A ticket's close address: soporte+KQZ-482913-cerrar@example.com; "-close" is read too. */
#define ADDRESS_CLOSE_SUFFIX "-cerrar"

/*
 * address_close_code - the code of a close address's plus detail (KQZ-482913-cerrar,
 * KQZ-482913-close, case ignored) as written, or NULL when detail is no close detail.
 */
char *address_close_code(const char *detail);

/* address_is_mail_system - MAILER-DAEMON or postmaster: the senders of bounces. */
gboolean address_is_mail_system(const char *address);

/* address_is_robot - a mailbox no person reads: the mail system's, bounces', "no reply". */
gboolean address_is_robot(const char *address);

/* address_is_ours - a department or its plus-address, our From or envelope sender, or
 * any address on our domain: mail to it would come back to ticketd. */
gboolean address_is_ours(const ticketd_config *config, const char *address);

#endif
