/*
 * ticketd - the mail side of the support desk. `ticketd deliver` takes one message on
 * stdin, `ticketd check` checks the set-up; anything else runs the daemon (LMTP
 * listeners, notifier, sweeper).
 */
#include <string.h>
#include <sys/stat.h>

#include "check.h"
#include "daemon.h"
#include "deliver.h"

int
main(int argc, char **argv)
{
	/* Whatever umask started us: the database, its -wal and -shm hold customers' mail (0640). */
	umask(027);
	if (argc > 1 && strcmp(argv[1], "deliver") == 0)
		return deliver_main(argc - 1, argv + 1);
	if (argc > 1 && strcmp(argv[1], "check") == 0)
		return check_main(argc - 1, argv + 1);
	return daemon_main(argc, argv);
}
