/*
 * guard - a poisoned message cannot wedge the queue. The daemon's worker process notes
 * each message it is parsing or deciding in a table shared with the supervisor. When
 * the worker dies (a crash, or the watchdog after parse_timeout), the supervisor
 * blames the messages that were being worked on. A message blamed parse_failures
 * times is no longer parsed: ingest keeps it raw and holds it for a person.
 * Without guard_open() (ticketctl, ticketd deliver) every call here does nothing.
 */
#ifndef TICKETD_GUARD_H
#define TICKETD_GUARD_H

#include <sys/types.h>
#include <glib.h>
#include "mime.h"

/* guard_open - supervisor, before the first worker: the shared table. */
void guard_open(void);

/* guard_configure - supervisor: failures before a message is held; seconds of work allowed. */
void guard_configure(int failures, int timeout_seconds);

/*
 * guard_parse - worker: parse raw under guard, noting it in a slot (*slot, -1 when the
 * table is full or absent). A message that failed too often comes back unparsed.
 */
parsed_message *guard_parse(const char *raw, gsize length, int *slot);

/* guard_busy, guard_idle - the slot's message is worked on now / waits (in a queue). */
void guard_busy(int slot);
void guard_idle(int slot);

/* guard_leave - worker: done with the slot's message, whatever became of it. */
void guard_leave(int slot);

/* guard_watchdog_start - worker: a thread that kills the worker past parse_timeout. */
void guard_watchdog_start(void);

/* guard_blame - supervisor, once worker pid is gone: count a failure against its messages. */
void guard_blame(pid_t pid, const char *how);

#endif
