#!/bin/sh
# 64-staff-mail - the desk in the mail loop, against a real SMTP server (smtp-sink):
# agents are told of new tickets and replies with a signed Reply-To, answer by mail with
# commands, and forged, misused or automatic mail to their address reaches no customer.
. "$(dirname "$0")/lib.sh"

start_sink

ctl() { "$TICKETCTL" -c "$CONF" "$@"; }
flush() { ctl outbox flush >/dev/null 2>&1; sleep 1; }
sink_reset() { rm -f "$WORK"/sink/*; }
to() { grep -l "^To: .*<\?$1>\?" "$WORK"/sink/* 2>/dev/null; }   # the files mailed to an address
to_count() { to "$1" | wc -l | tr -d ' '; }
deliver() {  # deliver RCPT FROM MESSAGE-ID SUBJECT BODY [EXTRA-HEADER]
	printf 'From: %s\nTo: %s\nSubject: %s\nMessage-ID: <%s>\n%sDate: Mon, 3 Feb 2025 10:00:00 +0100\n\n%b\n' \
		"$2" "$1" "$4" "$3" "${6:+$6
}" "$5" | "$TICKETD" deliver -c "$CONF" -r "$1" 2>>"$WORK/stderr"
}

head -c 32 /dev/urandom | base64 > "$WORK/secret"; chmod 600 "$WORK/secret"
write_config --smtp "" "secret_file = $WORK/secret" "[department:hosting]
address = hosting@example.com
staff = agente3@example.com"
ctl account add ana@cliente.es --name "Ana" >/dev/null
ctl subaccount add --notify ana@cliente.es luis@cliente.es >/dev/null

# 1. a new ticket reaches the department's staff, with the text and a signed Reply-To
deliver soporte@example.com ana@cliente.es a1@cliente.es "No puedo enviar correos" 'El correo no sale desde ayer.\nError 550 al enviar.'
A=$(sql "select code from tickets where subject like 'No puedo%'")
flush
is "$(to_count agente1@example.com)" 1 "a new ticket: agente1 (staff of every department) gets one notice"
is "$(to_count agente2@example.com)" 1 "and agente2"
is "$(to_count agente3@example.com)" 0 "but not agente3, staff of another department"
N1=$(to agente1@example.com)
grep -q "Error 550 al enviar" $N1; ok $? "the notice carries the customer's text"
grep -q "^Subject: \[Ticket #$A\]" $N1; ok $? "its subject carries [Ticket #CODE]"
grep -q "^Auto-Submitted: auto-generated" $N1; ok $? "it is marked Auto-Submitted: auto-generated"
grep -q "ana@cliente.es (titular de la cuenta)" $N1; ok $? "it says who wrote it"
REPLY1=$(sed -n 's/^Reply-To: .*<\(.*\)>.*/\1/p' $N1)
REPLY2=$(sed -n 's/^Reply-To: .*<\(.*\)>.*/\1/p' "$(to agente2@example.com)")
expr "$REPLY1" : "soporte+$A\.[a-z2-7]\{8\}@example.com$" >/dev/null; ok $? "its Reply-To is a signed address ($REPLY1)"
[ "$REPLY1" != "$REPLY2" ]; ok $? "each agent's signed address is their own"
NOTICE_ID=$(sed -n 's/^Message-ID: <\(.*\)>.*/\1/p' $N1)
is "$(to_count ana@cliente.es)" 1 "the customer gets only the confirmation"

# 2. a customer reply reaches the staff, not the customer's sub-accounts twice
sink_reset
deliver soporte@example.com ana@cliente.es a2@cliente.es "RE: [Ticket #$A] No puedo enviar correos" 'Sigue sin salir, adjunto otra prueba.'
flush
is "$(to_count agente1@example.com)" 1 "a customer reply: agente1 is told"
grep -q "Sigue sin salir" "$(to agente1@example.com)"; ok $? "with the customer's new text"
is "$(to_count luis@cliente.es)" 0 "the sub-account gets no copy of the customer's own reply"

# 3. the agent answers with #estado pendiente and two lines, quoting the notice
sink_reset
deliver "$REPLY1" "Agente Uno <agente1@example.com>" r1@example.com "Re: [Ticket #$A] No puedo enviar correos" \
	"#estado pendiente\nHola Ana, hemos reiniciado el relay.\n¿Puede probar de nuevo?\n\nEl lun, 3 feb 2025, Soporte escribió:\n> Sigue sin salir, adjunto otra prueba." \
	"In-Reply-To: <$NOTICE_ID>"
flush
is "$(sql "select status from tickets where code = '$A'")" pending "the agent's #estado pendiente set the ticket pending"
is "$(to_count ana@cliente.es)" 1 "the customer receives the agent's reply"
is "$(to_count luis@cliente.es)" 1 "and so does the notified sub-account"
C=$(to ana@cliente.es)
grep -q "hemos reiniciado el relay" $C && grep -q "Puede probar de nuevo" $C; ok $? "with the agent's two lines"
grep -q "#estado" $C; is $? 1 "without the command line"
grep -q "Sigue sin salir" $C; is $? 1 "without the quoted notice"
is "$(to_count agente1@example.com)" 0 "the acting agent gets no notice of their own reply"
grep -q "^Auto-Submitted" $C; is $? 1 "the reply is a person's mail, not automatic"

# 4. forged From, another ticket's token, another agent's token: nothing happens
deliver soporte@example.com ana@cliente.es b1@cliente.es "Factura duplicada" "Me han cobrado dos veces."
B=$(sql "select code from tickets where subject like 'Factura%'")
flush; sink_reset
before=$(sql "select count(*) from messages")
deliver "$REPLY1" "agente1@example.com <mallory@evil.example>" f1@evil.example "Re: [Ticket #$A]" "#cerrar\nCerrado."
TOKEN1=${REPLY1#*.}; TOKEN1=${TOKEN1%@*}
deliver "soporte+$B.$TOKEN1@example.com" agente1@example.com f2@example.com "Re: [Ticket #$B]" "#cerrar\nCerrado."
deliver "$REPLY1" agente2@example.com f3@example.com "Re: [Ticket #$A]" "#cerrar\nCerrado."
flush
is "$(sql "select status from tickets where code = '$A'") $(sql "select status from tickets where code = '$B'")" "pending open" \
	"forged, other-ticket and other-agent mail change no status"
is "$(sql "select count(*) from messages")" "$before" "and put nothing on a ticket"
is "$(to_count ana@cliente.es)" 0 "and reach no customer"
is "$(sql "select count(*) from held where reason like '%but the From is mallory@evil.example%'")" 1 "the forged From is held with its reason"
is "$(sql "select count(*) from held where reason like '%verifies for no agent%'")" 1 "another ticket's token is held with its reason"
is "$(sql "select count(*) from held where reason like '%agente1@example.com%but the From is agente2@example.com%'")" 1 \
	"another agent's token is held with its reason"
is "$(to_count agente1@example.com)" 2 "the agent named in the token is told of the two mails in their name"
grep -q "mallory@evil.example" $(to agente1@example.com); ok $? "and the notice names the sender"

# 5. #nota reaches no customer; an auto-reply reaches no customer; unknown command
sink_reset
deliver "$REPLY1" agente1@example.com n1@example.com "Re: [Ticket #$A]" "#nota\nCliente VIP, revisar el relay a fondo."
deliver "$REPLY1" agente1@example.com o1@example.com "Fuera de la oficina" "Estoy de vacaciones hasta el lunes." "Auto-Submitted: auto-replied"
deliver "$REPLY1" agente1@example.com u1@example.com "Re: [Ticket #$A]" "#estdo resuelto\nYa está."
flush
is "$(sql "select count(*) from messages where direction = 'note' and new_text like 'Cliente VIP%'")" 1 "#nota keeps the mail as an internal note"
is "$(to_count ana@cliente.es)$(to_count luis@cliente.es)" 00 "neither the note, the auto-reply nor the bad command reaches a customer"
grep -l "vacaciones" "$WORK"/sink/* >/dev/null 2>&1; is $? 1 "the agent's auto-reply is forwarded to no one"
is "$(to_count agente1@example.com)" 1 "the unknown command is answered to the agent"
grep -q 'line 1: "#estdo resuelto": unknown command' "$(to agente1@example.com)"; ok $? "saying which line and why"
is "$(sql "select status from tickets where code = '$A'")" pending "and changes nothing"

# 6. a mail of commands only mails no customer
sink_reset
deliver "$REPLY1" agente1@example.com c1@example.com "Re: [Ticket #$A]" "#prioridad alta\n#asignar agente2@example.com"
flush
is "$(sql "select priority || ' ' || assignee from tickets where code = '$A'")" "high agente2@example.com" "#prioridad and #asignar apply"
is "$(to_count ana@cliente.es)" 0 "a mail of commands only mails no customer"
is "$(to_count agente2@example.com)" 1 "the new assignee is told"
is "$(ctl list | sed -n 2p | cut -d' ' -f1)" "$A" "the high-priority ticket comes first in the queue"

# 7. the old unsigned path is off by default
deliver soporte@example.com agente1@example.com s1@example.com "RE: [Ticket #$A] No puedo" "Respuesta sin firmar."
is "$(sql "select count(*) from held where reason like '%unsigned address%'")" 1 "a staff From to an unsigned address is held"

# 8. tickets opened for a customer: ticketctl open, and #cliente at the desk address
sink_reset
echo "Llamada: no le llegan los correos." | ctl open --account ana@cliente.es --subject "Llamada de Ana" --priority alta --actor agente1@example.com > "$WORK/out"
ok $? "ticketctl open: exit 0"
O=$(sql "select code from tickets where subject = 'Llamada de Ana'")
is "$(sql "select priority || ' ' || m.author || ' ' || m.direction from tickets t join messages m on m.ticket_id = t.id where t.code = '$O'")" \
	"high agente1@example.com out" "the ticket holds the agent's first message, with its priority"
DESK=$(ctl staff address agente1@example.com)
expr "$DESK" : 'soporte+desk\.[a-z2-7]\{8\}@example.com$' >/dev/null; ok $? "staff address prints the agent's desk address ($DESK)"
deliver "$DESK" agente1@example.com d1@example.com "Alta de dominio" "#cliente ana@cliente.es\nQuiere dar de alta otro dominio."
D=$(sql "select code from tickets where subject = 'Alta de dominio'")
[ -n "$D" ]; ok $? "#cliente at the desk address opens a ticket ($D)"
deliver "$DESK" agente2@example.com d2@example.com "Otro" "#cliente ana@cliente.es\nNo."
is "$(sql "select count(*) from tickets where subject = 'Otro'")" 0 "another agent cannot use that desk address"
flush
grep -l "$O" $(to ana@cliente.es) >/dev/null; ok $? "the customer gets the code of the ticket opened by ticketctl"
grep -l "$D" $(to ana@cliente.es) >/dev/null; ok $? "and of the one opened by mail"
is "$(grep -l "$D" $(to agente1@example.com) 2>/dev/null | wc -l | tr -d ' ')" 0 "the agent who opened it is not notified of it"
is "$(grep -l "$D" $(to agente2@example.com) | wc -l | tr -d ' ')" 1 "the other agents are"

done_testing
