#!/bin/sh
# 12-intake - what a public address needs: a per-sender intake limit that holds the
# flood with one warning, DMARC required of known senders when configured, and bounces
# of our notifications marking the recipient instead of threading as replies.
. "$(dirname "$0")/lib.sh"

mail() {     # mail FROM MESSAGE-ID SUBJECT [EXTRA-HEADER]
	printf 'From: %s\nTo: soporte@example.com\nSubject: %s\nMessage-ID: <%s>\n%s\nHola.\n' "$1" "$3" "$2" "${4:-}"
}
deliver() { "$TICKETD" deliver -v -c "$CONF" -r soporte@example.com "$@" 2>>"$WORK/log"; }

write_config "intake_per_hour = 3"
for n in 1 2 3 4 5 6; do mail flood@robot.es "f$n@robot.es" "Pedido $n" | deliver; done
is "$(sql "select count(*) from tickets t join accounts a on a.id = t.account_id where a.email = 'flood@robot.es'")" 3 \
	"a sender over intake_per_hour opens no more tickets"
is "$(sql "select count(*) from held where sender = 'flood@robot.es' and reason = 'over intake_per_hour'")" 3 "its mail is kept, held"
is "$(grep -c 'warning:.*intake_per_hour' "$WORK/log")" 1 "and one warning is logged, not one per mail"
is "$(sql "select count(*) from outbox o join tickets t on t.id = o.ticket_id join accounts a on a.id = t.account_id where a.email = 'flood@robot.es' and o.kind not like 'staff_%'")" 3 \
	"held mail triggers no notification"
is "$(sql "select count(*) from outbox o join tickets t on t.id = o.ticket_id join accounts a on a.id = t.account_id where a.email = 'flood@robot.es' and o.kind like 'staff_%'")" 6 \
	"nor any staff notice beyond one per agent for each ticket opened"
mail flood@robot.es f7@robot.es "Pedido 7" | TICKETD_NOW=$(( $(date +%s) + 3700 )) "$TICKETD" deliver -c "$CONF" -r soporte@example.com
is "$(sql "select count(*) from tickets t join accounts a on a.id = t.account_id where a.email = 'flood@robot.es'")" 4 \
	"an hour later the sender is heard again"

write_config "intake_per_hour = 0"
for n in 1 2 3 4 5; do mail relay@panel.es "r$n@panel.es" "Aviso $n" | deliver; done
is "$(sql "select count(*) from tickets t join accounts a on a.id = t.account_id where a.email = 'relay@panel.es'")" 5 \
	"intake_per_hour = 0 turns the limit off"

write_config "require_dmarc_pass = yes"
mail cliente@tienda.es d0@tienda.es "Consulta" "Authentication-Results: mx.example.com; dmarc=pass header.from=tienda.es" | deliver
is $? 75 "require_dmarc_pass without authserv_id is a configuration error: the mail waits"
tail -n 1 "$WORK/log" | grep -q 'ticketd.conf:1: \[ticketd\] authserv_id: require_dmarc_pass = yes needs the authserv-id'
ok $? "and the error names the file and what to set"

write_config "require_dmarc_pass = yes
authserv_id = mx.example.com"
"$TICKETCTL" -c "$CONF" account add cliente@tienda.es
mail cliente@tienda.es d1@falso.es "Cambie mi contraseña" "Authentication-Results: mx.example.com; spf=fail; dmarc=fail header.from=tienda.es" | deliver
is "$(sql "select count(*) from held where sender = 'cliente@tienda.es'")" 1 "a known From failing DMARC is held"
is "$(sql "select count(*) from tickets t join accounts a on a.id = t.account_id where a.email = 'cliente@tienda.es'")" 0 "and opens nothing"
mail cliente@tienda.es d2@tienda.es "Consulta" | deliver
is "$(sql "select count(*) from held where sender = 'cliente@tienda.es'")" 2 "without Authentication-Results it is held too"
mail cliente@tienda.es d3@tienda.es "Consulta" "Authentication-Results: mx.example.com; dkim=pass; dmarc=pass header.from=tienda.es" | deliver
is "$(sql "select count(*) from tickets t join accounts a on a.id = t.account_id where a.email = 'cliente@tienda.es'")" 1 "dmarc=pass opens the ticket"
mail cliente@tienda.es d4@tienda.es "Consulta 2" "Authentication-Results: mx.evil.test; dmarc=pass header.from=tienda.es" | deliver
is "$(sql "select count(*) from held where sender = 'cliente@tienda.es'")" 3 "a dmarc=pass another authserv-id wrote is not believed"
mail cliente@tienda.es d5@tienda.es "Consulta 3" "Authentication-Results: mx.example.com; dmarc=pass header.from=evil.test" | deliver
is "$(sql "select count(*) from held where sender = 'cliente@tienda.es'")" 4 "nor our MTA's pass for another header.from"
grep -q 'action=hold.*reason=the From matches a known address but DMARC did not pass (require_dmarc_pass): dmarc=pass is for another header.from' "$WORK/log"
ok $? "the log line says why it is held"
mail 'cliente@tienda.es@evil.test' d6@evil.test "Consulta 4" "Authentication-Results: mx.example.com; dmarc=pass header.from=tienda.es" | deliver
is "$(sql "select count(*) from held where reason like 'the From is malformed%'")" 1 "a From of two @ identifies nobody: held"

write_config
notification=$(sql "select message_id from outbox where recipient = 'cliente@tienda.es' limit 1")
code=$(sql "select t.code from tickets t join accounts a on a.id = t.account_id where a.email = 'cliente@tienda.es'")
printf 'From: MAILER-DAEMON@mx.tienda.es\nTo: soporte@example.com\nSubject: Undelivered Mail Returned to Sender\nMessage-ID: <dsn1@mx.tienda.es>\nMIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status; boundary="b"\n\n--b\nContent-Type: text/plain\n\nNo existe el buzón.\n--b\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.tienda.es\n\nFinal-Recipient: rfc822; cliente@tienda.es\nAction: failed\nStatus: 5.1.1\n--b\nContent-Type: text/rfc822-headers\n\nFrom: soporte@example.com\nTo: cliente@tienda.es\nSubject: [Ticket #%s] Consulta\nMessage-ID: <%s>\n--b--\n' "$code" "$notification" |
	"$TICKETD" deliver -c "$CONF" -f "" -r soporte@example.com
ok $? "a bounce of our notification is taken"
is "$(sql "select detail from events e join tickets t on t.id = e.ticket_id where t.code = '$code' and e.kind = 'bouncing'")" \
	"cliente@tienda.es" "it marks the recipient as bouncing on the ticket"
is "$(sql "select count(*) from messages m join tickets t on t.id = m.ticket_id where t.code = '$code' and m.class = 'bounce'")" 1 \
	"it is stored on the ticket as a bounce, not as a customer reply"
is "$(sql "select status from tickets where code = '$code'")" open "the ticket's status is untouched"
"$TICKETCTL" -c "$CONF" status --actor agente1@example.com "$code" resolved
is "$(sql "select state || ' ' || last_error from outbox where recipient = 'cliente@tienda.es' and kind = 'status'")" \
	"suppressed mail to this address bounced" "no more notifications go to the bouncing address"

# A flood forging a customer's From is counted against its envelope sender, not her.
write_config "intake_per_hour = 3"
"$TICKETCTL" -c "$CONF" account add maria@cliente.es
for n in 1 2 3 4 5 6; do
	mail maria@cliente.es "forged$n@evil.test" "Urgente $n" | deliver -f attacker@evil.test
done
is "$(sql "select count(*) from held where reason = 'over intake_per_hour'")" 6 "the forger's flood is held past the limit"
grep -q 'warning:.*intake_per_hour.* counted for the envelope sender <attacker@evil.test>' "$WORK/log"
ok $? "the warning names whom it was counted against"
: > "$WORK/log"
mail maria@cliente.es real1@cliente.es "Mi consulta de verdad" | deliver -f maria@cliente.es
is "$(sql "select count(*) from tickets t join messages m on m.ticket_id = t.id where m.message_id = 'real1@cliente.es'")" 1 \
	"the customer's own mail still opens its ticket"
for n in 2 3 4; do mail maria@cliente.es "real$n@cliente.es" "Consulta $n" | deliver -f maria@cliente.es; done
is "$(sql "select count(*) from held where sender = 'maria@cliente.es' and reason = 'over intake_per_hour'")" 4 \
	"her own fourth mail in the hour is held, with its reason"
grep -q 'NOQUEUE: from=<maria@cliente.es>.*message-id=<real4@cliente.es>, action=hold.*reason=over intake_per_hour' "$WORK/log"
ok $? "and its decision is logged with the reason"

# The desk's own address in From never becomes a customer.
write_config
n=0
for from in soporte@example.com facturacion+KQZ-482913@example.com; do
	n=$((n + 1))
	mail "$from" "desk$n@evil.test" "Cambio de titular" | deliver -f intruso@evil.test
	is "$(sql "select count(*) from accounts where email = '$from'")" 0 "From: $from makes no account"
	is "$(sql "select count(*) from held where sender = '$from' and reason like '%desk''s own addresses%'")" 1 \
		"it is held with the reason"
done
grep -q "from=<soporte@example.com>.*action=hold.*reason=the From is one of the desk's own addresses" "$WORK/log"
ok $? "the hold is logged with the reason"

done_testing
