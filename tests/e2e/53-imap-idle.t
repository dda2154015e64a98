#!/bin/sh
# 53-imap-idle - the worker (imap_run, as the daemon runs it; here in the foreground with
# `ticketctl fetch SOURCE`) waits with IDLE: mail APPENDed while it idles becomes a ticket
# within seconds (the time is printed); it reconnects after the server restarts, logs each
# state once, and stops promptly on SIGTERM.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/imap-lib.sh"

imap_setup || { echo "Bail out! private dovecot did not start: $(tail -3 "$D/dovecot.log" 2>/dev/null)"; exit 1; }
write_config "" "$(imap_section soporte "imaps://localhost:$IMAPS_PORT/INBOX" "ca_file=$D/test-ca.crt" after=move:Procesados)"
deliver_mail 1

TICKETD_VERBOSE=1 "$TICKETCTL" -c "$CONF" fetch soporte 2>"$WORK/worker.log" &
WORKER=$!
CLEANUP_PIDS="$CLEANUP_PIDS $WORKER"
log_has() { grep -qs "$1" "$WORK/worker.log"; }
has_tickets() { [ "$(tickets)" -ge "$1" ]; }

wait_for 10 log_has "waiting with IDLE"
ok $? "the worker connects and waits with IDLE"
wait_for 10 has_tickets 1
ok $? "mail that was waiting is fetched first"

for n in 2 3; do
	sleep 1
	start=$(now_ms)
	append_mail "$n"
	ok $? "message $n APPENDed while the worker idles"
	appended=$(now_ms)
	wait_for 10 has_tickets "$n"
	ok $? "message $n became a ticket while idling"
	done_at=$(now_ms)
	echo "# APPEND -> ticket: $((done_at - start)) ms from the start of the APPEND session," \
		"$((done_at - appended)) ms after its OK"
	[ $((done_at - appended)) -lt 5000 ]
	ok $? "within seconds"
done
is "$(mailbox_count Procesados)" 3 "every message was moved after its commit"

# The server drops the session and goes away for a while, then comes back: one warning
# per state, a reconnect with backoff, and mail still flows.
doveadm -c "$DOVECOT_CONF" kick "$IMAP_USER" >/dev/null 2>&1
wait_for 10 log_has "connection lost while idling\|ending IDLE failed"
ok $? "the lost connection is noticed: $(grep -i "trying again" "$WORK/worker.log" | head -1)"
stop_dovecot
sleep 6
start_dovecot localhost || echo "Bail out! dovecot did not restart"
wait_for 30 sh -c "[ \$(grep -c 'waiting with IDLE' '$WORK/worker.log') -ge 2 ]"
ok $? "the worker reconnects with backoff"
is "$(grep -c "Connection refused\|connection to localhost.*failed" "$WORK/worker.log")" 1 \
	"a failing reconnect is logged once, not on every try"
append_mail 4
wait_for 10 has_tickets 4
ok $? "mail appended after the reconnect becomes a ticket"

kill -TERM "$WORKER"
wait_for 5 sh -c "! kill -0 $WORKER 2>/dev/null"
ok $? "SIGTERM stops the worker within seconds"
log_has "imap soporte: stopped"
ok $? "and it says so"
is "$(tickets)" 4 "four messages, four tickets"

done_testing
