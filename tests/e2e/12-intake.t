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
"$TICKETCTL" -c "$CONF" account add cliente@tienda.es
mail cliente@tienda.es d1@falso.es "Cambie mi contraseña" "Authentication-Results: mx.example.com; spf=fail; dmarc=fail header.from=tienda.es" | deliver
is "$(sql "select count(*) from held where sender = 'cliente@tienda.es'")" 1 "a known From failing DMARC is held"
is "$(sql "select count(*) from tickets t join accounts a on a.id = t.account_id where a.email = 'cliente@tienda.es'")" 0 "and opens nothing"
mail cliente@tienda.es d2@tienda.es "Consulta" | deliver
is "$(sql "select count(*) from held where sender = 'cliente@tienda.es'")" 2 "without Authentication-Results it is held too"
mail cliente@tienda.es d3@tienda.es "Consulta" "Authentication-Results: mx.example.com; dkim=pass; dmarc=pass header.from=tienda.es" | deliver
is "$(sql "select count(*) from tickets t join accounts a on a.id = t.account_id where a.email = 'cliente@tienda.es'")" 1 "dmarc=pass opens the ticket"

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

done_testing
