#!/bin/sh
# 64-staff-mail - the desk in the mail loop, against a real SMTP server (smtp-sink):
# agents are told of new tickets and replies with a signed Reply-To, answer by mail with
# commands, and forged, misused or automatic mail to their address reaches no customer.
. "$(dirname "$0")/lib.sh"

start_sink

ctl() { "$TICKETCTL" -c "$CONF" "$@"; }
flush() { ctl outbox flush >/dev/null 2>&1; sleep 1; }
sink_reset() { rm -f "$WORK"/sink/*; }
# the files mailed to an address: its envelope recipient, since a customer notice is one mail
# To the account and Cc the others
to() { grep -l "^X-Rcpt-Args: <$1>" "$WORK"/sink/* 2>/dev/null; }
to_count() { to "$1" | wc -l | tr -d ' '; }
text() { perl -MMIME::QuotedPrint -0777 -ne 's/\r//g; print decode_qp($_)' "$@"; }   # mails as read
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
text $N1 > "$WORK/n1"
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
deliver "$REPLY1" "\"agente1@example.com\" <mallory@evil.example>" f1@evil.example "Re: [Ticket #$A]" "#cerrar\nCerrado."
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
U1=$(to agente1@example.com)
is "$(sql "select count(*) from messages where direction = 'note' and new_text like 'Cliente VIP%'")" 1 "#nota keeps the mail as an internal note"
is "$(to_count ana@cliente.es)$(to_count luis@cliente.es)" 00 "neither the note, the auto-reply nor the bad command reaches a customer"
grep -l "vacaciones" "$WORK"/sink/* >/dev/null 2>&1; is $? 1 "the agent's auto-reply is forwarded to no one"
is "$(to_count agente1@example.com)" 1 "the unknown command is answered to the agent"
text $U1 | grep -q '^línea 1: «#estdo resuelto»: orden desconocida'; ok $? "saying which line and why, in Spanish"
is "$(sql "select status from tickets where code = '$A'")" pending "and changes nothing"
sink_reset
deliver "$REPLY1" agente1@example.com u2@example.com "Re: [Ticket #$A]" "#prioridad urgente\n\n#estado abiero\nYa está."
flush
is "$(to_count agente1@example.com)$(to_count ana@cliente.es)" 10 "a bad second line is answered to the agent alone"
text "$(to agente1@example.com)" | grep -q '^línea 3: «#estado abiero»: estado desconocido; valen: Abierto, Contestado,'
ok $? "naming the line, why, and the statuses by their labels"
is "$(sql "select priority || ' ' || status from tickets where code = '$A'")" "medium pending" "and not even the good line applies"

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

# 9. a signed address of a merged ticket follows the merge to the survivor
sink_reset
deliver soporte@example.com ana@cliente.es m1@cliente.es "La web no carga" "La web da error 500."
M=$(sql "select code from tickets where subject = 'La web no carga'")
flush
REPLYM=$(sed -n 's/^Reply-To: .*<\(.*\)>.*/\1/p' "$(to agente1@example.com)")
ctl merge "$M" "$A" >/dev/null; ok $? "ticketctl merge $M into $A"
sink_reset
deliver "$REPLYM" agente1@example.com m2@example.com "Re: [Ticket #$M] La web no carga" "Lo seguimos en el otro ticket, Ana."
flush
is "$(sql "select count(*) from messages m join tickets t on t.id = m.ticket_id where t.code = '$A' and m.new_text like 'Lo seguimos%'")" 1 \
	"the agent's mail to the merged ticket's signed address lands on the survivor"
is "$(sql "select count(*) from messages m join tickets t on t.id = m.ticket_id where t.code = '$M'")" 1 "and nothing more on the merged-away one"
grep -q "^Subject: .*\[Ticket #$A\]" "$(to ana@cliente.es)"; ok $? "the customer gets it under the survivor's code"
deliver "$REPLYM" agente2@example.com m3@example.com "Re: [Ticket #$M]" "#cerrar"
is "$(sql "select count(*) from held where reason like '%signed address of agente1@example.com for $M, but the From is agente2%'")" 1 \
	"the merged ticket's token still proves only its own agent"
flush

# 10. the staff notice of a new ticket lists the help-centre suggestions of the confirmation
ctl kb import "$TICKETD_TOP/maildir-fixtures/kb" >/dev/null
sink_reset
deliver soporte@example.com ana@cliente.es k1@cliente.es "correo" "no me funciona el correo en el iphone, no envia"
flush
text "$(to agente1@example.com)" > "$WORK/k1"
grep -q '^- Configurar el correo en el iPhone o el iPad$' "$WORK/k1"; ok $? "the agent's notice names the article the customer was offered"
grep -q '^  https://ayuda.example.com/correo/iphone$' "$WORK/k1"; ok $? "with its link, to answer with"
grep -q 'https://ayuda.example.com/correo/iphone' $(to ana@cliente.es); ok $? "and the customer's confirmation offers the same"
grep -q '^Nuevo ticket' "$WORK/n1" && ! grep -q 'centro de ayuda' "$WORK/n1"; ok $? "a new ticket with nothing to suggest has no such block"

# 11. forwarding a customer's mail to the desk address opens a ticket for that customer
sink_reset
deliver "$DESK" agente1@example.com fw1@example.com "Fwd: Dominio caducado" \
	"#prioridad alta\nLlamó también por teléfono, es urgente.\n\n---------- Forwarded message ---------\nFrom: Pedro Gómez <pedro@otro.es>\nDate: Mon, 3 Feb 2025 at 09:00\nSubject: Dominio caducado\nTo: <agente1@example.com>\n\n\nMi dominio otro.es ha caducado y la web no carga.\n"
F=$(sql "select code from tickets where subject = 'Dominio caducado'")
[ -n "$F" ]; ok $? "an inline forward at the desk address opens a ticket under the forwarded subject ($F)"
is "$(sql "select a.email || ' ' || t.priority from tickets t join accounts a on a.id = t.account_id where t.code = '$F'")" \
	"pedro@otro.es high" "for the forwarded From, a new account (unknown_sender = create), with the agent's #prioridad"
is "$(sql "select m.direction || ' ' || m.author || ' ' || m.new_text from messages m join tickets t on t.id = m.ticket_id where t.code = '$F' order by m.id")" \
	"in pedro@otro.es Mi dominio otro.es ha caducado y la web no carga.
note agente1@example.com Llamó también por teléfono, es urgente." "the customer's words are the first message, the agent's lines above the forward a note"
flush
grep -q "$F" $(to pedro@otro.es) 2>/dev/null; ok $? "the customer gets the confirmation with the code"
text $(to pedro@otro.es) | grep -q "teléfono"; is $? 1 "and not the agent's note"
text "$(to agente2@example.com)" | grep -q "^Mi dominio otro.es ha caducado"; ok $? "the other agents are told, with the customer's text"
is "$(grep -l "$F" $(to agente1@example.com) 2>/dev/null | wc -l | tr -d ' ')" 0 "the forwarding agent is not"

sink_reset
printf 'From: agente1@example.com\nTo: %s\nSubject: RV: Certificado\nMessage-ID: <fw2@example.com>\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="fw"\n\n--fw\nContent-Type: text/plain; charset=utf-8\n\nOs reenvío lo de Ana.\n\n--fw\nContent-Type: message/rfc822\n\nFrom: Ana <ana@cliente.es>\nTo: agente1@example.com\nSubject: Certificado SSL caducado\nMessage-ID: <ssl1@cliente.es>\nDate: Mon, 3 Feb 2025 09:00:00 +0100\n\nEl certificado de mi web ha caducado.\n\n--fw--\n' "$DESK" |
	"$TICKETD" deliver -c "$CONF" -r "$DESK" 2>>"$WORK/stderr"
S=$(sql "select code from tickets where subject = 'Certificado SSL caducado'")
is "$(sql "select m.direction || ' ' || m.author || ' ' || m.new_text from messages m join tickets t on t.id = m.ticket_id where t.code = '$S' order by m.id")" \
	"in ana@cliente.es El certificado de mi web ha caducado.
note agente1@example.com Os reenvío lo de Ana." "a forwarded .eml opens a ticket for its From, the agent's text a note"
flush
grep -l "$S" $(to ana@cliente.es) >/dev/null 2>&1; ok $? "and its customer gets the code"

deliver "$DESK" agente1@example.com fw3@example.com "Nada" "Sin cliente ni reenvío."
is "$(sql "select count(*) from held where reason like '%needs #cliente ADDRESS on its first line, or a customer''s mail forwarded%'")" 1 \
	"a desk mail with neither #cliente nor a forward is held with its reason"

done_testing
