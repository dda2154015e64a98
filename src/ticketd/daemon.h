/*
 * daemon - the long-running ticketd: listeners (LMTP on unix socket and loopback TCP),
 * the group-commit writer, workers, signals (TERM, HUP), pid file, privilege drop.
 */
#ifndef TICKETD_DAEMON_H
#define TICKETD_DAEMON_H

/* daemon_main - `ticketd [-c FILE] [-f]`; returns the process exit code. */
int daemon_main(int argc, char **argv);

#endif
