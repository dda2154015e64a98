#!/bin/sh
# 45-outbox-relay - what a cron job running `ticketctl outbox flush` relies on: exit 75
# while the relay is down (and nothing lost), and a notification the relay accepted is
# marked sent even when the database is locked at that moment, so it never goes twice.
. "$(dirname "$0")/lib.sh"

command -v smtp-sink >/dev/null || [ -x /usr/sbin/smtp-sink ] || skip_all "smtp-sink (Postfix) is not installed"
write_config --smtp "" --staff ""   # the customer's confirmation alone: no staff notices
flush() { "$TICKETCTL" -c "$CONF" outbox flush 2>>"$WORK/ctl.err"; }
"$TICKETCTL" -c "$CONF" account add ana@cliente.es
printf 'From: ana@cliente.es\nTo: soporte@example.com\nSubject: Consulta\nMessage-ID: <o1@cliente.es>\n\nHola.\n' |
	"$TICKETD" deliver -c "$CONF" -f ana@cliente.es -r soporte@example.com
is "$(sql "select count(*) from outbox where state = 'queued'")" 1 "a confirmation is queued"

# No relay listens on the port.
out=$(flush); code=$?
is "$code" 75 "outbox flush exits 75 when the relay is down"
is "$out" "0 notifications sent" "and says nothing was sent"
grep -q "relay smtp://127.0.0.1:$SINK_PORT took no mail" "$WORK/ctl.err"
ok $? "the error names the relay"
is "$(sql "select state || ' ' || attempts from outbox")" "queued 1" "the notification waits for the next run"

# The relay is back, but sits on DATA for 3 s; meanwhile another writer holds the
# database for 14 s, past the 10 s busy timeout of the mark that follows the 250.
start_sink -w 3
TICKETD_NOW=$(( $(date +%s) + 600 )) "$TICKETCTL" -c "$CONF" outbox flush >"$WORK/flush.out" 2>>"$WORK/ctl.err" &
flusher=$!
leased() { [ "$(sql "select state from outbox")" = sending ]; }
wait_for 5 leased
is "$(sql "select state from outbox")" sending "the row is leased while it is sent"
printf 'BEGIN IMMEDIATE;\nUPDATE accounts SET name = name;\n.shell sleep 14\nCOMMIT;\n' | sqlite3 "$WORK/ticketd.db" &
locker=$!
wait "$flusher"
is "$?" 0 "the flush ends well once the database is free again"
wait "$locker"
is "$(cat "$WORK/flush.out")" "1 notifications sent" "it reports the mail sent"
is "$(sql "select state from outbox")" sent "the row is marked sent, not left to its lease"
grep -q "marking it sent failed.*trying again" "$WORK/ctl.err"
ok $? "the retried mark is logged"
TICKETD_NOW=$(( $(date +%s) + 7200 )) "$TICKETCTL" -c "$CONF" outbox flush >/dev/null 2>>"$WORK/ctl.err"
is "$(sink_count 'o1@cliente.es')" 1 \
	"after the lease would have ended the customer still has exactly one mail"

done_testing
