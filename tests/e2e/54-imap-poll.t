#!/bin/sh
# 54-imap-poll - a server that offers neither IDLE nor MOVE: the worker polls every
# poll_interval, and after = move: falls back to UID COPY, \Deleted and UID EXPUNGE of
# that one message, leaving other clients' \Deleted mail alone.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/imap-lib.sh"

DOVECOT_EXTRA="imap_capability = IMAP4rev1 LITERAL+ SASL-IR ENABLE UIDPLUS"
imap_setup || { echo "Bail out! private dovecot did not start: $(tail -3 "$D/dovecot.log" 2>/dev/null)"; exit 1; }
write_config "max_message_size = 100000" "$(imap_section soporte "imaps://localhost:$IMAPS_PORT/INBOX" "ca_file=$D/test-ca.crt" \
	after=move:Procesados poll_interval=5)"

# An oversized message ticketd leaves in place, which another client then marks
# \Deleted without expunging: ticketd's expunges must not take it.
deliver_mail 0 INBOX 150000
"$TICKETCTL" -c "$CONF" fetch soporte --once >/dev/null 2>&1
doveadm -c "$DOVECOT_CONF" flags add -u "$IMAP_USER" '\Deleted' mailbox INBOX all
deliver_mail 1

TICKETD_VERBOSE=1 "$TICKETCTL" -c "$CONF" fetch soporte 2>"$WORK/worker.log" &
WORKER=$!
CLEANUP_PIDS="$CLEANUP_PIDS $WORKER"
log_has() { grep -qs "$1" "$WORK/worker.log"; }
has_tickets() { [ "$(tickets)" -ge "$1" ]; }

wait_for 10 log_has "no IDLE: polling"
ok $? "without IDLE the worker polls"
wait_for 10 has_tickets 1
ok $? "waiting mail is fetched"
append_mail 2
start=$(now_ms)
wait_for 15 has_tickets 2
ok $? "new mail is found by the next poll"
echo "# APPEND -> ticket while polling every 5 s: $(($(now_ms) - start)) ms"
is "$(mailbox_count Procesados)" 2 "without MOVE, messages are copied to Procesados"
is "$(mailbox_count INBOX)" 1 "and expunged from INBOX one by one"
is "$(mailbox_count INBOX deleted)" 1 "another client's \\Deleted message was not expunged"
is "$(tickets)" 2 "two messages, two tickets"
kill -TERM "$WORKER"
wait_for 5 sh -c "! kill -0 $WORKER 2>/dev/null"
ok $? "SIGTERM stops the polling worker"

done_testing
