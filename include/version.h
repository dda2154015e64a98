/*
 * version - the release of ticketd, printed by `ticketd --version` and
 * `ticketctl --version`.
 */
#ifndef TICKETD_VERSION_H
#define TICKETD_VERSION_H

#define TICKETD_VERSION "0.9.0"

#endif
