#!/bin/sh
# 66-held - nothing silent: held mail listed with its reason, shown, released into exactly
# one ticket (a second release changes nothing) or discarded; the sender and the desk told
# through a real SMTP server (smtp-sink); a status change staff make after auto_per_hour
# automatic mails still delivered; ticketctl saying who was mailed and who was not, and
# why; list filters and stats; staff actions logged with who ran them.
. "$(dirname "$0")/lib.sh"

start_sink

deliver() {     # deliver TO FROM MESSAGE-ID SUBJECT BODY
	printf 'From: %s\nTo: %s\nSubject: %s\nMessage-ID: <%s>\nDate: Mon, 3 Feb 2025 10:00:00 +0100\n\n%b\n' \
		"$2" "$1" "$4" "$3" "$5" | "$TICKETD" deliver -c "$CONF" -r "$1" 2>>"$WORK/stderr"
}
ctl() { "$TICKETCTL" -c "$CONF" "$@"; }
flush() { ctl outbox flush >/dev/null 2>&1; sleep 1; }
sink_reset() { rm -f "$WORK"/sink/*; }
tickets() { sql "select count(*) from tickets"; }

head -c 32 /dev/urandom | base64 > "$WORK/secret"; chmod 600 "$WORK/secret"
write_config --smtp "auto_per_hour = 2" "secret_file = $WORK/secret
unknown_sender = hold"
ctl account add ana@cliente.es --name "Ana" >/dev/null
ctl subaccount add --notify ana@cliente.es contable@cliente.es >/dev/null
ctl subaccount add ana@cliente.es becario@cliente.es >/dev/null

# 1. a sub-account that may not open tickets: held, listed, shown; sender and desk told
printf 'From: becario@cliente.es\nTo: soporte@example.com\nSubject: Alta de dominio\nMessage-ID: <h1@cliente.es>\n\nQuiero dar de alta un dominio.\n' |
	"$TICKETD" deliver -v -c "$CONF" -r soporte@example.com 2>>"$WORK/stderr"
grep -q 'action=hold.*reason=sub-account may not open tickets' "$WORK/stderr"; ok $? "the decision line says action=hold with its reason="
is "$(tickets)" 0 "no ticket is opened"
ctl held list > "$WORK/out"; ok $? "held list: exit 0"
grep -q 'becario@cliente.es.*Alta de dominio.*sub-account may not open tickets' "$WORK/out"; ok $? "held list shows sender, subject and reason"
ID=$(ctl --json held list | sed -n 's/.*"id" : \([0-9]*\).*/\1/p' | head -1)
ctl --json held list | grep -q '"reason" : "sub-account may not open tickets"'; ok $? "held list --json has the reason"
ctl --json held list | grep -q '"received" : [0-9]'; ok $? "and when it was received"
ctl held show "$ID" > "$WORK/out"; ok $? "held show: exit 0"
grep -q 'Quiero dar de alta un dominio' "$WORK/out"; ok $? "held show shows the mail itself"
ctl held show --raw "$ID" | grep -q '^Message-ID: <h1@cliente.es>'; ok $? "held show --raw writes the exact bytes"
ctl held show 999 2>/dev/null; is $? 66 "held show of no such id: exit 66"
flush
is "$(grep -l 'subcuenta que no tiene permiso' "$WORK"/sink/* 2>/dev/null | xargs grep -l 'becario@cliente.es' 2>/dev/null | wc -l | tr -d ' ')" 1 \
	"the sub-account gets one polite answer saying what happened"
is "$(grep -l "ticketctl held show $ID" "$WORK"/sink/* 2>/dev/null | wc -l | tr -d ' ')" 2 \
	"both agents of the department get a staff notice naming the held mail"
sink_reset

# 2. release: exactly one ticket, once
ctl held release "$ID" --actor agente1@example.com > "$WORK/out"; ok $? "held release: exit 0"
grep -q 'released: new' "$WORK/out"; ok $? "it says the mail became a new ticket"
is "$(tickets)" 1 "exactly one ticket"
is "$(sql "select a.email from tickets t join accounts a on a.id = t.account_id")" ana@cliente.es "of the sub-account's account"
A=$(sql "select code from tickets")
ctl held release "$ID" 2> "$WORK/err"; is $? 65 "a second release: exit 65"
grep -q 'already' "$WORK/err"; ok $? "saying it was released already"
is "$(tickets)" 1 "and nothing changed"
is "$(ctl --json held list | grep -c "\"id\" : $ID,")" 0 "a released mail leaves the held list"
is "$(ctl --json held list --all | grep -c '"outcome" : "released"')" 1 "held list --all shows it released"
flush
is "$(grep -l "$A" "$WORK"/sink/* 2>/dev/null | xargs grep -l '^X-Rcpt-Args: <ana@cliente.es>' 2>/dev/null | wc -l | tr -d ' ')" 1 \
	"the account holder gets the confirmation of the released ticket"

# 3. unknown sender held, released --to a ticket: appended there
deliver soporte@example.com extrano@otro.es h2@otro.es "Consulta" 'Soy el gestor de Ana.'
ID2=$(sql "select max(id) from held")
is "$(sql "select reason from held where id = $ID2")" "unknown sender, unknown_sender = hold" "an unknown sender is held"
ctl held release "$ID2" --to "$A" >/dev/null; ok $? "held release --to CODE: exit 0"
is "$(tickets)" 1 "no new ticket"
is "$(sql "select count(*) from messages m join tickets t on t.id = m.ticket_id where t.code = '$A' and m.author = 'extrano@otro.es'")" 1 \
	"the mail is on the named ticket"
ctl held release "$ID2" --to "$A" 2>/dev/null; is $? 65 "releasing it again: exit 65"

# 4. discard
deliver soporte@example.com otro@otro.es h3@otro.es "Spam" 'Compre ya.'
ID3=$(sql "select max(id) from held")
ctl held discard "$ID3" >/dev/null; ok $? "held discard: exit 0"
ctl held release "$ID3" 2>/dev/null; is $? 65 "a discarded mail cannot be released"
is "$(tickets)" 1 "and opened nothing"

# 5. staff-caused notices pass auto_per_hour; ticketctl says who was and was not mailed
sink_reset
deliver soporte@example.com ana@cliente.es a2@cliente.es "Segunda" 'Dos.'
deliver soporte@example.com ana@cliente.es a3@cliente.es "Tercera" 'Tres.'
C=$(sql "select code from tickets where subject = 'Tercera'")
is "$(sql "select count(*) from outbox where recipient = 'ana@cliente.es' and state = 'suppressed' and last_error like '%auto_per_hour%'")" 1 \
	"the third automatic mail within the hour is suppressed, with the rule"
ctl outbox list | grep -q 'suppressed.*ana@cliente.es.*auto_per_hour'; ok $? "outbox list shows the suppression and why"
ctl status "$C" pending --actor agente1@example.com > "$WORK/out"; ok $? "status: exit 0"
grep -q 'mailed to ana@cliente.es, contable@cliente.es' "$WORK/out"; ok $? "status says who was mailed"
grep -q 'not mailed to becario@cliente.es (no notify right)' "$WORK/out"; ok $? "and who was not, and why"
grep -q 'told by mail' "$WORK/out"; is $? 1 "and no longer claims the customer is told regardless"
flush
is "$(grep -l "$C" "$WORK"/sink/* 2>/dev/null | xargs grep -l 'Pendiente' 2>/dev/null | xargs grep -l '^X-Rcpt-Args: <ana@cliente.es>' 2>/dev/null | wc -l | tr -d ' ')" 1 \
	"the staff-caused status change reaches the customer past auto_per_hour"
ctl --json close "$C" > "$WORK/out"; ok $? "close --json: exit 0"
grep -q '"not_mailed"' "$WORK/out" && grep -q '"reason" : "no notify right"' "$WORK/out"; ok $? "close --json lists not_mailed with the reason"
ctl show "$C" > "$WORK/out"
grep -q 'not mailed: becario@cliente.es (no notify right)' "$WORK/out"; ok $? "show lists, under the events, who was not mailed and why"
grep -q 'mailed: ana@cliente.es' "$WORK/out"; ok $? "and who was"

# 6. the queue at a glance
ctl list > "$WORK/out"; grep -q "$C" "$WORK/out"; is $? 1 "list leaves closed tickets out by default"
grep -q 'AGE' "$WORK/out"; ok $? "list has an AGE column"
ctl list --all | grep -q "$C"; ok $? "list --all shows them"
is "$(ctl --json list --status Abierto,cerrado | grep -c '"code"')" 2 "--status takes labels, comma-separated"
is "$(ctl --json list --status open --status closed | grep -c '"code"')" 2 "and repeated"
ctl list --status nada 2>/dev/null; is $? 64 "an unknown status: exit 64"
ctl assign "$A" agente2@example.com >/dev/null
is "$(ctl --json list --assignee none | grep -c '"code"')" 1 "--assignee none: the unassigned open one"
is "$(ctl --json list | grep -c '"code"')" 2 "list shows every ticket that is not closed"
ctl reply "$A" --actor agente1@example.com --file /dev/stdin <<EOT >/dev/null
Hecho.
EOT
ctl --json stats > "$WORK/out"; ok $? "stats --json: exit 0"
grep -q '"closed" : 1' "$WORK/out"; ok $? "stats counts by status"
grep -q '"soporte" : 3' "$WORK/out"; ok $? "and by department"
grep -q '"median_first_reply_seconds" : [0-9]' "$WORK/out"; ok $? "and the median time to a first staff reply"
grep -q '"oldest_waiting"' "$WORK/out"; ok $? "and the oldest waiting ticket"

# 7. every staff action is logged with who ran it
TICKETD_VERBOSE=1 ctl note "$A" --actor agente2@example.com --file /dev/stdin 2> "$WORK/err" >/dev/null <<EOT
nota
EOT
grep -q "$A: ticketctl note.*actor=<agente2@example.com>, uid=$(id -u), login=" "$WORK/err"; ok $? "the note is logged with actor, uid and login"

done_testing
