#!/bin/sh
# 48-relay-faults - a relay that hangs up: with a 421 at MAIL FROM (nothing taken), or
# with no reply at all after the whole mail was sent (it may have it). Neither counts
# as sent: the notification waits with the reason, and the next run sends it; a customer gets it at least once and, after a silent hang-up, at most twice.
. "$(dirname "$0")/lib.sh"

command -v smtp-sink >/dev/null || [ -x /usr/sbin/smtp-sink ] || skip_all "smtp-sink (Postfix) is not installed"
write_config --staff "" --smtp ""
"$TICKETCTL" -c "$CONF" account add ana@cliente.es
printf 'From: ana@cliente.es\nTo: soporte@example.com\nSubject: Consulta\nMessage-ID: <r1@cliente.es>\n\nHola.\n' |
	"$TICKETD" deliver -c "$CONF" -f ana@cliente.es -r soporte@example.com
is "$(sql "select count(*) from outbox where state = 'queued'")" 1 "a confirmation is queued"
later=$(date +%s)
flush() {    # flush: one run a retry interval after the one before; its exit status
	later=$((later + 7200))
	TICKETD_NOW=$later "$TICKETCTL" -c "$CONF" outbox flush >>"$WORK/flush.out" 2>>"$WORK/ctl.err"
}

start_sink -Q MAIL
flush
is "$?" 75 "421 at MAIL FROM: outbox flush exits 75, as a cron job needs"
is "$(sql "select state || ' ' || attempts from outbox")" "queued 1" "421 at MAIL FROM: the notification waits"
grep -q "outbox 1: .*attempt 1, status=deferred (MAIL failed: 421" "$WORK/ctl.err"
ok $? "the log says why"
"$TICKETCTL" -c "$CONF" outbox list | grep -q 421
ok $? "and so does outbox list"
is "$(sink_count 'r1@cliente.es')" 0 "the relay took nothing"
stop_sink

start_sink -q .
flush
is "$?" 75 "no reply after the whole mail: outbox flush exits 75"
is "$(sql "select state || ' ' || attempts from outbox")" "queued 2" \
	"no reply after the whole mail: the notification is not marked sent"
grep -q "outbox 1: .*attempt 2, status=deferred" "$WORK/ctl.err"
ok $? "the log says it was deferred"
stop_sink

start_sink
flush
is "$?" 0 "the relay is well again: outbox flush exits 0"
is "$(sql "select state from outbox")" sent "the notification is sent"
got=$(sink_count 'r1@cliente.es')
ok "$([ "$got" -ge 1 ] && [ "$got" -le 2 ]; echo $?)" "the customer got it at least once, at most twice ($got)"
flush
is "$(sink_count 'r1@cliente.es')" "$got" "and it is not sent again"

done_testing
