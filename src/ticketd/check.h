/*
 * check - `ticketd check`, in the manner of `postfix check`: the set-up a daemon needs,
 * one line per problem with what to run, and an exit code for scripts.
 */
#ifndef TICKETD_CHECK_H
#define TICKETD_CHECK_H

/* check_main - `ticketd check [-c FILE]`: 0 nothing found, 1 problems found, 78 no configuration. */
int check_main(int argc, char **argv);

#endif
