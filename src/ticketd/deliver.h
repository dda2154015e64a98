/*
 * deliver - `ticketd deliver`: one message on stdin, for Postfix pipe(8), procmail and
 * .forward. Exits 0 once committed, and by sysexits otherwise (75 = try again).
 */
#ifndef TICKETD_DELIVER_H
#define TICKETD_DELIVER_H

/* deliver_main - `ticketd deliver [-c FILE] [-f SENDER] [-r RECIPIENT]...`. */
int deliver_main(int argc, char **argv);

#endif
