#!/bin/sh
# 61-sweep - the timers: the default rules (answered or pending 72 h → closed, resolved
# 72 h → closed) announced by mail, a customer who wrote keeping the ticket, configured
# rules and labels, and [sweep] errors that name the file and line. TICKETD_NOW moves time.
. "$(dirname "$0")/lib.sh"

start_sink
T0=1738573200                      # 2025-02-03 09:00 UTC
H=3600
mail() {     # mail MESSAGE-ID SUBJECT
	printf 'From: Ana <ana@cliente.es>\nTo: soporte@example.com\nSubject: %s\nMessage-ID: <%s>\nDate: Mon, 3 Feb 2025 10:00:00 +0100\n\nHola, no funciona.\n' "$2" "$1"
}
at() { when=$1; shift; TICKETD_NOW=$when "$@"; }
deliver() { at "$1" "$TICKETD" deliver -c "$CONF" -r soporte@example.com 2>>"$WORK/stderr"; }
ctl() { "$TICKETCTL" -c "$CONF" "$@"; }
status_of() { sql "select status from tickets where subject = '$1'"; }
code_of() { sql "select code from tickets where subject = '$1'"; }

write_config --smtp ""
for s in uno dos tres cuatro cinco; do mail "$s@cliente.es" "$s" | deliver $T0; done
echo "Hecho." | at $T0 "$TICKETCTL" -c "$CONF" reply "$(code_of uno)" >/dev/null
echo "¿Nos da la contraseña?" | at $T0 "$TICKETCTL" -c "$CONF" reply "$(code_of dos)" --status pending >/dev/null
at $T0 "$TICKETCTL" -c "$CONF" status "$(code_of tres)" resolved >/dev/null
echo "Mire ahora." | at $T0 "$TICKETCTL" -c "$CONF" reply "$(code_of cuatro)" >/dev/null
mail cuatro2@cliente.es "RE: [Ticket #$(code_of cuatro)] cuatro" | deliver $((T0 + 48 * H))
echo "Mire ahora." | at $T0 "$TICKETCTL" -c "$CONF" reply "$(code_of cinco)" >/dev/null
sql "update tickets set last_customer = $((T0 + 10 * H)) where subject = 'cinco'"
ctl outbox flush >/dev/null 2>&1; sleep 1; rm -f "$WORK"/sink/*

is "$(ctl sweep --now @$((T0 + 71 * H)))" "0 tickets changed" "after 71 h nothing is idle long enough"
is "$(status_of uno) $(status_of dos) $(status_of tres)" "answered pending resolved" "answered, pending and resolved stay"
is "$(ctl --json sweep --now @$((T0 + 73 * H)) | tr -d ' \n')" '{"changed":3}' "after 73 h three tickets change (--json)"
is "$(status_of uno) $(status_of dos) $(status_of tres)" "closed closed closed" "answered, pending and resolved → closed"
is "$(status_of cuatro)" customer_reply "the customer who replied keeps the ticket open (customer_reply)"
is "$(status_of cinco)" answered "a customer word after the status change keeps it answered"
is "$(sql "select count(*) from events where kind = 'sweep' and actor = 'ticketd' and new_status = 'closed'")" 3 \
	"an event for each, by ticketd"
is "$(sql "select count(*) from outbox where kind = 'auto_closed' and recipient = 'ana@cliente.es'")" 3 "an auto_closed notification for each"
ctl outbox flush >/dev/null 2>&1; sleep 1
is "$(sink_count "ana@cliente.es")" 3 "smtp-sink received the three mails"
is "$(sink_count "[Ticket #$(code_of uno)]")" 1 "each under its ticket tag"
is "$(sink_count "Cerrado")" 3 "each naming the Spanish label Cerrado"
is "$(ctl sweep --now @$((T0 + 200 * H)))" "1 ticket changed" "cinco is closed once 72 h pass after the customer's word"
is "$(TICKETD_NOW=$((T0 + 300 * H)) "$TICKETCTL" -c "$CONF" sweep)" "0 tickets changed" "TICKETD_NOW is the default time; nothing left"

# Configured rules and labels.
rm -f "$WORK/ticketd.db"*; rm -f "$WORK"/sink/*
write_config --smtp "" "" "[sweep]
rule = on_hold 2h pending
rule = pending 1d resolved

[labels]
es.pending = Esperando su respuesta
es.resolved = Solucionado"
mail seis@cliente.es seis | deliver $T0
at $T0 "$TICKETCTL" -c "$CONF" status "$(code_of seis)" on_hold >/dev/null
ctl outbox flush >/dev/null 2>&1; sleep 1; rm -f "$WORK"/sink/*
is "$(ctl sweep --now @$((T0 + 3 * H)))" "1 ticket changed" "rule = on_hold 2h pending"
is "$(status_of seis)" pending "the ticket waits for the customer"
is "$(ctl sweep --now @$((T0 + 26 * H)))" "0 tickets changed" "a rule counts from the last status change"
is "$(ctl sweep --now @$((T0 + 28 * H)))" "1 ticket changed" "rule = pending 1d resolved"
is "$(sql "select count(*) from outbox where kind = 'status' and created > $T0")" 2 "a status notification for each sweep (not auto_closed)"
ctl outbox flush >/dev/null 2>&1; sleep 1
is "$(sink_count "Solucionado")" 1 "the configured label es.resolved reaches the customer"
is "$(sql "select count(*) from tickets where status = 'closed'")" 0 "without the defaults nothing closes"

write_config "" "[sweep]
rule = none"
is "$(ctl sweep --now @$((T0 + 900 * H)))" "0 tickets changed" "rule = none turns the sweeper off"

# A backlog larger than one transaction (100 tickets): every ticket moves, each with
# its event and its notification.
rm -f "$WORK/ticketd.db"*
write_config --smtp ""
mail ocho@cliente.es ocho | deliver $T0
sql "with recursive n(i) as (select 1 union all select i + 1 from n where i < 250)
     insert into tickets(code, account_id, department, subject, status, created, updated)
     select printf('BKL-%06d', i), (select id from accounts where email = 'ana@cliente.es'),
            'soporte', 'atraso ' || i, 'answered', $T0, $T0 from n"
is "$(ctl sweep --now @$((T0 + 73 * H)))" "250 tickets changed" "a backlog of 250 idle tickets is swept in one run"
is "$(sql "select count(*) from tickets where subject like 'atraso %' and status = 'closed'")" 250 "all of them closed"
is "$(sql "select count(*) from events where kind = 'sweep'") $(sql "select count(*) from outbox where kind = 'auto_closed'")" \
	"250 250" "each with one event and one notification"
is "$(status_of ocho)" open "an open ticket is no rule's business"

# Inside the daemon: the sweeper runs every [sweep] interval seconds, and the daemon's
# own notifier mails the closing notice.
write_config --smtp "" --lmtp "" "user = $(daemon_user)" "[sweep]
interval = 1
rule = answered 72h closed"
mail siete@cliente.es siete | deliver $T0
echo "Hecho." | at $T0 "$TICKETCTL" -c "$CONF" reply "$(code_of siete)" >/dev/null
ctl outbox flush >/dev/null 2>&1; sleep 1; rm -f "$WORK"/sink/*
work_for_daemon
database_for_daemon
start_ticketd
for _ in $(seq 150); do
	[ "$(status_of siete)" = closed ] && [ "$(sink_count "[Ticket #$(code_of siete)]")" = 1 ] && break
	sleep 0.1
done
is "$(status_of siete)" closed "the daemon's sweeper closes an answered ticket idle for 72 h"
is "$(sql "select actor from events e join tickets t on t.id = e.ticket_id where t.subject = 'siete' and e.kind = 'sweep'")" \
	ticketd "as ticketd, in the ticket's history"
is "$(sink_count "[Ticket #$(code_of siete)]")" 1 "and its notifier mails the notice"
stop_ticketd; is $? 0 "the daemon stops cleanly"

# Errors name the file and line.
write_config "" "[sweep]
rule = answered 72x closed"
line=$(grep -n '72x' "$CONF" | cut -d: -f1)
ctl sweep 2>"$WORK/err"; is $? 78 "a bad duration: exit 78 (EX_CONFIG)"
grep -q "ticketd.conf:$line: \[sweep\] rule: the duration" "$WORK/err"; ok $? "the error names file:line and the key"
write_config "" "[sweep]
rule = answered 72h finished"
ctl sweep 2>"$WORK/err"; grep -q "TO is not a status" "$WORK/err"; ok $? "an unknown target status is named"
write_config "" "[labels]
es.opened = Abierto"
ctl sweep 2>"$WORK/err"; is $? 78 "an unknown status in [labels]: exit 78"
grep -q "\[labels\] es.opened" "$WORK/err"; ok $? "the error names the key"

done_testing
