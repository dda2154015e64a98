#!/bin/sh
# 11-deliver - `ticketd deliver` as pipe(8) sees it: exit codes by failure class,
# a second delivery that changes nothing, one ticket per department addressed, the
# unknown-sender and closed-ticket policies; and `ticketctl inspect` storing nothing.
. "$(dirname "$0")/lib.sh"

mail() {     # mail FROM TO MESSAGE-ID SUBJECT [EXTRA-HEADER]
	printf 'From: Cliente <%s>\nTo: %s\nSubject: %s\nMessage-ID: <%s>\nDate: Mon, 3 Feb 2025 10:00:00 +0100\n%s\nHola, el correo no funciona desde ayer.\n' \
		"$1" "$2" "$4" "$3" "${5:-}"
}
deliver() { "$TICKETD" deliver -c "$CONF" "$@" 2>"$WORK/stderr"; }

write_config
mail ana@cliente.es soporte@example.com m1@cliente.es "No puedo enviar correos" > "$WORK/m1"
deliver -f ana@cliente.es -r soporte@example.com < "$WORK/m1"; ok $? "a new mail is committed: exit 0"
is "$(sql 'select count(*) from tickets')" 1 "it made one ticket"
is "$(sql "select status || ' ' || department from tickets")" "open soporte" "open, in the department addressed"
is "$(sql "select email from accounts")" "ana@cliente.es" "the unknown sender got an account (unknown_sender = create)"
deliver -f ana@cliente.es -r soporte@example.com < "$WORK/m1"; ok $? "the same mail again: exit 0"
is "$(sql 'select count(*) from tickets') $(sql 'select count(*) from messages')" "1 1" "and nothing doubled"

code=$(sql 'select code from tickets')
mail ana@cliente.es soporte@example.com m2@cliente.es "RE: [Ticket #$code] No puedo enviar correos" > "$WORK/m2"
deliver -r soporte@example.com < "$WORK/m2"; ok $? "a reply by subject tag: exit 0"
is "$(sql "select count(*) from messages m join tickets t on t.id = m.ticket_id where t.code = '$code'")" 2 "the reply joined the ticket"
is "$(sql 'select status from tickets')" customer_reply "the ticket is now customer_reply"

mail luis@otro.es soporte@example.com m3@otro.es "RE: [Ticket #$code] me cuelo" > "$WORK/m3"
deliver -r soporte@example.com < "$WORK/m3"; ok $? "a stranger's reply with a valid code: exit 0"
is "$(sql "select count(*) from messages m join tickets t on t.id = m.ticket_id where t.code = '$code'")" 2 "is not attached to that ticket"
is "$(sql "select count(*) from tickets t join accounts a on a.id = t.account_id where a.email = 'luis@otro.es'")" 1 "it opened the stranger's own ticket"

mail ana@cliente.es nadie@example.com m4@cliente.es "Hola" > "$WORK/m4"
deliver -r nadie@example.com < "$WORK/m4"; is $? 67 "no such department: exit 67 (EX_NOUSER)"

mail ana@cliente.es "soporte@example.com, ventas@example.com" m5@cliente.es "Migración y precio" > "$WORK/m5"
deliver < "$WORK/m5"; ok $? "a mail to two departments, without -r: exit 0"
is "$(sql "select group_concat(department, ',') from (select department from tickets t join messages m on m.ticket_id = t.id where m.message_id = 'm5@cliente.es' order by department)")" \
	"soporte,ventas" "one ticket in each department"
deliver < "$WORK/m5"; is "$(sql "select count(*) from messages where message_id = 'm5@cliente.es'")" 2 "delivered again: still one per department"

printf 'From: MAILER-DAEMON@mx.cliente.es\nTo: soporte@example.com\nSubject: Undelivered Mail\nMessage-ID: <b1@mx>\n\nfallo\n' > "$WORK/b1"
tickets=$(sql 'select count(*) from tickets')
deliver -f "" -r soporte@example.com < "$WORK/b1"; ok $? "a bounce with the null sender: exit 0"
is "$(sql 'select count(*) from tickets')" "$tickets" "it opened no ticket"
is "$(sql "select count(*) from held where reason like 'bounce%'")" 1 "it is kept, raw"

# inspect: the documented fields, the decision, and nothing stored.
mail eva@nueva.es ventas@example.com i1@nueva.es "Presupuesto" > "$WORK/i1"
"$TICKETCTL" -c "$CONF" inspect -r ventas@example.com "$WORK/i1" > "$WORK/inspect.json"; ok $? "inspect runs"
for field in from to cc reply_to subject message_id in_reply_to references date text new_text attachments class decision; do
	grep -q "\"$field\" :" "$WORK/inspect.json"; ok $? "inspect prints $field"
done
grep -q '"action" : "new"' "$WORK/inspect.json"; ok $? "inspect gives the decision"
is "$(sql "select count(*) from accounts where email = 'eva@nueva.es'")" 0 "inspect stored nothing"

# Without a Message-ID, the same bytes are the same mail, whatever trace headers and
# line ends a second delivery brings.
printf 'From: ana@cliente.es\nTo: soporte@example.com\nSubject: Sin identificador\n\nHola.\n' > "$WORK/n1"
deliver -r soporte@example.com < "$WORK/n1"; ok $? "a mail without Message-ID"
{ printf 'Return-Path: <ana@cliente.es>\r\nReceived: from mx by example.com; Mon, 3 Feb 2025 10:00:00 +0100\r\n'
  sed 's/$/\r/' "$WORK/n1"; } > "$WORK/n1-again"
deliver -r soporte@example.com < "$WORK/n1-again"
is "$(sql "select count(*) from messages where subject = 'Sin identificador'")" 1 "redelivered with a Received line and CRLF: not doubled"

# One transaction: a failure after the ticket row was written leaves nothing behind.
sql "create trigger fail_events before insert on events begin select raise(abort, 'injected failure'); end"
mail rosa@tienda.es soporte@example.com t1@tienda.es "Web caída" > "$WORK/t1"
deliver -r soporte@example.com < "$WORK/t1"; is $? 75 "a store failure mid-message: exit 75"
is "$(sql "select count(*) from accounts where email = 'rosa@tienda.es'") $(sql "select count(*) from messages where message_id = 't1@tienda.es'")" \
	"0 0" "no account, no ticket, no message were left half-written"
sql "drop trigger fail_events"
deliver -r soporte@example.com < "$WORK/t1"; ok $? "delivered again once the store works: exit 0"
is "$(sql "select count(*) from messages where message_id = 't1@tienda.es'")" 1 "and it is stored once"

# A temporary failure is 75: the database cannot be opened.
write_config "database = $WORK/no/such/dir/t.db"
deliver -r soporte@example.com < "$WORK/m1"; is $? 75 "an unusable database: exit 75 (EX_TEMPFAIL)"
write_config "max_message_size = 1024"
{ mail ana@cliente.es soporte@example.com big@cliente.es "Grande"; head -c 3000 /dev/zero | tr '\0' 'x'; } > "$WORK/big"
deliver -r soporte@example.com < "$WORK/big"; is $? 65 "a message over max_message_size: exit 65"

# unknown_sender = reject and hold.
write_config "unknown_sender = reject"
mail pablo@desconocido.es soporte@example.com r1@desconocido.es "Hola" > "$WORK/r1"
deliver -r soporte@example.com < "$WORK/r1"; is $? 77 "unknown_sender = reject: exit 77"
is "$(sql "select count(*) from accounts where email = 'pablo@desconocido.es'")" 0 "and nothing stored"
write_config "unknown_sender = hold"
deliver -r soporte@example.com < "$WORK/r1"; ok $? "unknown_sender = hold: exit 0"
is "$(sql "select count(*) from held where sender = 'pablo@desconocido.es'")" 1 "the mail is held"

# closed_reply: reopen (default), new, reject.
write_config
sql "update tickets set status = 'closed' where code = '$code'"
mail ana@cliente.es soporte@example.com c1@cliente.es "RE: [Ticket #$code] otra vez" > "$WORK/c1"
deliver -r soporte@example.com < "$WORK/c1"; ok $? "a reply to a closed ticket"
is "$(sql "select status from tickets where code = '$code'")" customer_reply "closed_reply = reopen reopens it"
write_config "closed_reply = new"
sql "update tickets set status = 'closed' where code = '$code'"
mail ana@cliente.es soporte@example.com c2@cliente.es "RE: [Ticket #$code] y otra" > "$WORK/c2"
deliver -r soporte@example.com < "$WORK/c2"
is "$(sql "select status from tickets where code = '$code'")" closed "closed_reply = new leaves it closed"
is "$(sql "select count(*) from events e join tickets t on t.id = e.ticket_id where e.kind = 'linked' and e.detail = '$code'")" 1 "and opens a new ticket linked to it"
write_config "closed_reply = reject"
mail ana@cliente.es soporte@example.com c3@cliente.es "RE: [Ticket #$code] por favor" > "$WORK/c3"
deliver -r soporte@example.com < "$WORK/c3"; ok $? "closed_reply = reject: the mail is accepted"
is "$(sql "select status from tickets where code = '$code'")" closed "the ticket stays closed"
is "$(sql "select count(*) from events e join tickets t on t.id = e.ticket_id where e.kind = 'refused' and t.code = '$code'")" 1 "the refusal is in the history"

done_testing
