#!/bin/sh
# 60-staff - the staff commands of ticketctl end to end: reply (with attachment and a
# status), note, assign, close, reopen, merge; the mails a real SMTP server (smtp-sink)
# receives for them; refusals with their exit codes.
. "$(dirname "$0")/lib.sh"

start_sink

mail() {     # mail FROM MESSAGE-ID SUBJECT BODY
	printf 'From: Cliente <%s>\nTo: soporte@example.com\nSubject: %s\nMessage-ID: <%s>\nDate: Mon, 3 Feb 2025 10:00:00 +0100\n\n%s\n' \
		"$1" "$3" "$2" "$4"
}
deliver() { "$TICKETD" deliver -c "$CONF" -r soporte@example.com 2>>"$WORK/stderr"; }
ctl() { "$TICKETCTL" -c "$CONF" "$@"; }
flush() { ctl outbox flush >/dev/null 2>&1; }
sink_reset() { rm -f "$WORK"/sink/*; }

write_config --smtp ""
ctl account add ana@cliente.es --name "Ana" >/dev/null 2>&1
mail ana@cliente.es a1@cliente.es "No puedo enviar correos" "El correo no sale desde ayer." | deliver
mail ana@cliente.es a2@cliente.es "Factura duplicada" "Me han cobrado dos veces." | deliver
A=$(sql "select code from tickets where subject like 'No puedo%'")
B=$(sql "select code from tickets where subject like 'Factura%'")
flush; sleep 1; sink_reset

# reply
printf 'Hola Ana,\nya está arreglado el relay.\n' > "$WORK/reply.txt"
printf 'informe de prueba\n' > "$WORK/informe.txt"
ctl reply "$A" --file "$WORK/reply.txt" --attach "$WORK/informe.txt" --actor agente1@example.com >"$WORK/out"
ok $? "reply --file --attach: exit 0"
is "$(sql "select status from tickets where code = '$A'")" answered "the ticket is answered (the default status)"
is "$(sql "select count(*) from messages m join tickets t on t.id = m.ticket_id where t.code = '$A' and direction = 'out' and author = 'agente1@example.com'")" 1 \
	"the reply is stored as an outbound message by the actor"
is "$(sql "select filename || ' ' || size from attachments")" "informe.txt 18" "the attachment is stored with its size"
is "$(sql "select kind || ' ' || old_status || ' ' || new_status from events e join tickets t on t.id = e.ticket_id where t.code = '$A' and kind = 'reply'")" \
	"reply open answered" "an event records the reply and the status change"
is "$(sql "select count(*) from outbox where kind = 'staff_reply' and recipient = 'ana@cliente.es'")" 1 "one staff_reply row for the customer"
flush; sleep 1
is "$(sink_count "ana@cliente.es")" 1 "smtp-sink received one mail for the customer"
is "$(sink_count "[Ticket #$A]")" 1 "its subject carries the ticket tag"
is "$(grep -l 'relay' "$WORK"/sink/* | wc -l | tr -d ' ')" 1 "it carries the staff member's words"
grep -q 'Content-Disposition: attachment; filename=informe.txt' "$WORK"/sink/*; ok $? "and the attached file, by name"
grep -q '^aW5mb3JtZSBkZSBwcnVlYmEK' "$WORK"/sink/*; ok $? "with its bytes, base64"

ctl attachment "$A" 1 > "$WORK/got"; ok $? "attachment CODE 1: exit 0"
cmp -s "$WORK/got" "$WORK/informe.txt"; ok $? "the bytes are those attached"
ctl attachment "$A" 9 > "$WORK/got" 2>/dev/null; is $? 66 "attachment 9 of a ticket with one: exit 66"

echo "tarde" | ctl reply "$A" --status pending --actor agente1@example.com >/dev/null
is "$(sql "select status from tickets where code = '$A'")" pending "reply --status pending, text on stdin"
: | ctl reply "$A" 2>"$WORK/err"; is $? 65 "an empty reply is refused: exit 65"
grep -q -- "--file" "$WORK/err"; ok $? "and the error says how to give the text"
echo x | ctl reply "$A" --status nonsense 2>/dev/null; is $? 64 "an unknown status: exit 64"
echo x | ctl reply NOP-000000 2>/dev/null; is $? 66 "an unknown ticket: exit 66"

# note
sink_reset
echo "cliente VIP, revisar relay" | ctl note "$A" --actor agente2@example.com >/dev/null; ok $? "note: exit 0"
is "$(sql "select count(*) from messages where direction = 'note' and author = 'agente2@example.com'")" 1 "the note is stored"
is "$(sql "select count(*) from outbox where mail like '%VIP%'")" 0 "no outbox row carries it"
flush; sleep 1
is "$(sink_count "revisar relay")" 0 "and no mail carries it"

# assign
ctl --json assign "$A" agente2@example.com > "$WORK/out"; ok $? "assign: exit 0"
grep -q '"action" : "assign"' "$WORK/out"; ok $? "assign --json reports the action"
is "$(sql "select assignee from tickets where code = '$A'")" agente2@example.com "the ticket is assigned"
is "$(ctl --json list --assignee agente2@example.com | grep -c "\"$A\"")" 1 "list --assignee finds it"
ctl assign "$A" none >/dev/null; is "$(sql "select coalesce(assignee, '-') from tickets where code = '$A'")" - "assign none unassigns"

# close, reopen
sink_reset
ctl close "$A" --actor agente1@example.com >/dev/null; ok $? "close: exit 0"
is "$(sql "select status from tickets where code = '$A'")" closed "the ticket is closed"
is "$(sql "select actor || ' ' || new_status from events e join tickets t on t.id = e.ticket_id where t.code = '$A' order by e.id desc limit 1")" \
	"agente1@example.com closed" "the event names the actor"
flush; sleep 1
is "$(grep -l 'Cerrado' "$WORK"/sink/* 2>/dev/null | wc -l | tr -d ' ')" 1 "the customer is told, with the Spanish label Cerrado"
ctl close "$A" 2>"$WORK/err"; is $? 65 "closing a closed ticket: exit 65"
ctl reopen "$A" >/dev/null; ok $? "reopen: exit 0"
is "$(sql "select status from tickets where code = '$A'")" open "the ticket is open again"
ctl reopen "$A" 2>"$WORK/err"; is $? 65 "reopening an open ticket: exit 65"
grep -q "only a resolved or closed" "$WORK/err"; ok $? "and the error says why"

# status
is "$(ctl --json status "$A" in_progress | tr -d ' \n')" '{"code":"'"$A"'","status":"in_progress","action":"status","mailed":["ana@cliente.es"],"not_mailed":[]}' \
	"status --json reports the change and who was mailed"
is "$(ctl status "$A" in_progress)" "$A: already in_progress; nothing changed" "setting the same status changes nothing"
is "$(sql "select count(*) from events e join tickets t on t.id = e.ticket_id where t.code = '$A' and new_status = 'in_progress'")" 1 "and records no second event"
ctl status "$A" abierto 2>/dev/null; is $? 64 "an unknown status: exit 64"

# merge
ctl merge "$B" "$A" --actor agente1@example.com >/dev/null; ok $? "merge B into A: exit 0"
is "$(sql "select count(*) from events where kind = 'merged'")" 2 "an event on each ticket"
mail ana@cliente.es a3@cliente.es "RE: [Ticket #$B] Factura duplicada" "Sigue cobrado dos veces." | deliver
is "$(sql "select t.code from messages m join tickets t on t.id = m.ticket_id where m.message_id = 'a3@cliente.es'")" "$A" \
	"a reply to the merged-away code lands in the survivor"
echo x | ctl reply "$B" 2>"$WORK/err"; is $? 65 "replying to a merged-away ticket: exit 65"
grep -q "merged into $A" "$WORK/err"; ok $? "and the error names the survivor"
ctl merge "$A" "$A" 2>/dev/null; is $? 64 "merging a ticket into itself: exit 64"

done_testing
