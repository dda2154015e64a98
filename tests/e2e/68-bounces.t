#!/bin/sh
# 68-bounces - bounces by address, with a life, against a real SMTP server (smtp-sink):
# staff replies go out with their own VERP return path; a permanent DSN (5.1.1) to it
# stops mail to the address, says so in ticketctl show and account show, and tells the
# desk once; the customer writing in again, or account unbounce, lets the next reply
# through; "mailbox full" (5.2.2) stops nothing; a DSN without VERP is matched by the
# Message-ID it quotes, whatever ticket its subject names.
. "$(dirname "$0")/lib.sh"

start_sink

mail() {     # mail FROM MESSAGE-ID SUBJECT
	printf 'From: %s\nTo: soporte@example.com\nSubject: %s\nMessage-ID: <%s>\nDate: Mon, 3 Feb 2025 10:00:00 +0100\n\nHola.\n' \
		"$1" "$3" "$2"
}
# dsn STATUS RECIPIENT ORIGINAL-MESSAGE-ID SUBJECT: a Postfix-like RFC 3464 report;
# an empty ORIGINAL-MESSAGE-ID quotes no header of the returned mail.
dsn() {
	printf 'From: MAILER-DAEMON@mx.cliente.es (Mail Delivery System)\nTo: soporte@example.com\nSubject: %s\nMessage-ID: <dsn%s@mx.cliente.es>\nMIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status; boundary="b"\n\n--b\nContent-Type: text/plain\n\nThis is the mail system at host mx.cliente.es.\n--b\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.cliente.es\n\nFinal-Recipient: rfc822; %s\nAction: failed\nStatus: %s\n--b\n' \
		"$4" "$(now_ms)" "$2" "$1"
	[ -n "$3" ] && printf 'Content-Type: text/rfc822-headers\n\nFrom: soporte@example.com\nTo: %s\nMessage-ID: <%s>\n--b--\n' "$2" "$3"
	[ -n "$3" ] || printf 'Content-Type: text/plain\n\n(no headers)\n--b--\n'
}
deliver() { "$TICKETD" deliver -v -c "$CONF" "$@" 2>>"$WORK/stderr"; }
ctl() { "$TICKETCTL" -c "$CONF" "$@"; }
flush() { ctl outbox flush >/dev/null 2>&1; }
sink_reset() { rm -f "$WORK"/sink/*; }
to_ana() { grep -l '^X-Rcpt-Args: <ana@cliente.es>' "$WORK"/sink/* 2>/dev/null | wc -l | tr -d ' '; }
reply() { echo "$2" | ctl reply "$1" --actor agente1@example.com >/dev/null; flush; }
last_reply_id() { sql "select max(id) from outbox where kind = 'staff_reply' and recipient = '$1'"; }
verp() { sql "select envelope_from from outbox where id = $1"; }

# The key that signs the return paths (and the agents' addresses).
head -c 32 /dev/urandom | base64 > "$WORK/secret"; chmod 600 "$WORK/secret"
write_config --smtp "" "secret_file = $WORK/secret"
ctl account add ana@cliente.es --name "Ana" >/dev/null
ctl account add luis@otro.es --name "Luis" >/dev/null
mail ana@cliente.es a1@cliente.es "No llega el correo" | deliver -r soporte@example.com
A=$(sql "select code from tickets where subject = 'No llega el correo'")
sink_reset; flush
grep -q '^X-Mail-Args: <>' "$WORK"/sink/*
ok $? "the confirmation (automatic) goes out with the null sender"

# A staff reply carries its own return path, and a 5.1.1 to it stops mail to the address.
sink_reset; reply "$A" "Ya está."
id=$(last_reply_id ana@cliente.es)
grep -q "^X-Mail-Args: <soporte+bounce-$id\.[a-z2-7]\{8\}@example.com>" "$WORK"/sink/*
ok $? "the staff reply's envelope sender names its outbox row, signed (VERP)"
dsn 5.1.1 ana@cliente.es "" "Undelivered Mail Returned to Sender" | deliver -f "" -r "soporte+bounce-$id.aaaaaaaa@example.com"
is "$(sql "select count(*) from address_state")" 0 "a bounce to a VERP address with a forged token records nothing"
dsn 5.1.1 ana@cliente.es "" "Undelivered Mail Returned to Sender" | deliver -f "" -r "$(verp "$id")"
ok $? "the bounce to the VERP address is taken"
is "$(sql "select status || ' ' || permanent || ' ' || outbox_id from address_state where address = 'ana@cliente.es'")" \
	"5.1.1 1 $id" "it is matched by the return path and recorded on the address, permanent"
grep -q "bounce: to=<ana@cliente.es>, outbox=$id, dsn=5.1.1, mail to it stops: reason=" "$WORK/stderr"
ok $? "the log line says so, with reason="
is "$(sql "select count(*) from outbox where kind = 'staff_bounce'")" 2 "the desk (both agents) is told"
ctl show "$A" >"$WORK/out"
grep -q "^ana@cliente.es bounces for good.*DSN 5.1.1" "$WORK/out"
ok $? "ticketctl show says the customer's address bounces, and why"
is "$(ctl --json show "$A" | perl -MJSON::PP -e 'my $j = decode_json(join "", <STDIN>); print "$j->{bounce}{status} ", $j->{bounce}{permanent} ? 1 : 0')" \
	"5.1.1 1" "show --json has the bounce"
ctl account show ana@cliente.es | grep -q "bounces for good"; ok $? "account show says it"
ctl account list | grep -q "^ana@cliente.es .*bounces for good"; ok $? "account list says it"
sink_reset; reply "$A" "¿Sigue?"
is "$(to_ana)" 0 "the next staff reply is not mailed"
is "$(sql "select state from outbox where id = (select max(id) from outbox where recipient = 'ana@cliente.es')")" \
	suppressed "it is recorded as suppressed"
like_reason=$(sql "select last_error from outbox where id = (select max(id) from outbox where recipient = 'ana@cliente.es')")
case "$like_reason" in *"bounced for good (DSN 5.1.1)"*) ok 0 "with the bounce as the reason";; *) ok 1 "reason: $like_reason";; esac
dsn 5.1.1 ana@cliente.es "" "Undelivered Mail Returned to Sender" | deliver -f "" -r "$(verp "$id")"
is "$(sql "select count(*) from outbox where kind = 'staff_bounce'")" 2 "a second bounce tells the desk nothing new"

# The customer writing in again lets the next reply through.
mail ana@cliente.es a2@cliente.es "Re: [Ticket #$A] No llega el correo" | deliver -r soporte@example.com
is "$(sql "select count(*) from address_state where address = 'ana@cliente.es'")" 0 "her mail clears the address"
grep -q "bounce: to=<ana@cliente.es>, bounces forgotten: it wrote in" "$WORK/stderr"; ok $? "and the log says so"
sink_reset; reply "$A" "Ahora sí."
is "$(to_ana)" 1 "the next staff reply reaches the SMTP server"

# So does account unbounce.
id=$(last_reply_id ana@cliente.es)
dsn 5.1.2 ana@cliente.es "" "Undelivered Mail Returned to Sender" | deliver -f "" -r "$(verp "$id")"
is "$(sql "select permanent from address_state where address = 'ana@cliente.es'")" 1 "5.1.2 (no such domain) is permanent"
told=$(sql "select count(*) from outbox where kind = 'staff_bounce'")
ctl account unbounce ana@cliente.es >"$WORK/out"; ok $? "account unbounce: exit 0"
sink_reset; reply "$A" "Probamos otra vez."
is "$(to_ana)" 1 "after unbounce the next staff reply is mailed"
ctl account unbounce ana@cliente.es 2>"$WORK/err"; is $? 66 "unbounce of an address without bounces: exit 66"
grep -q "no bounce is recorded for ana@cliente.es" "$WORK/err"; ok $? "and it says so"

# Mailbox full is temporary: the next reply is tried.
id=$(last_reply_id ana@cliente.es)
dsn 5.2.2 ana@cliente.es "" "Undelivered Mail Returned to Sender" | deliver -f "" -r "$(verp "$id")"
is "$(sql "select status || ' ' || permanent from address_state where address = 'ana@cliente.es'")" "5.2.2 0" \
	"mailbox full is recorded, not permanent"
is "$(sql "select count(*) from outbox where kind = 'staff_bounce'")" "$told" "and the desk is not told"
ctl show "$A" | grep -q "^ana@cliente.es last bounce temporary.*DSN 5.2.2"; ok $? "ticketctl show says the last bounce was temporary"
sink_reset; reply "$A" "¿Y ahora?"
is "$(to_ana)" 1 "the next staff reply is mailed"

# Without VERP (the plain desk address), the DSN's original Message-ID picks the notice:
# here a reply on Luis's ticket, though the DSN's subject names Ana's.
mail luis@otro.es l1@otro.es "Dominio caducado" | deliver -r soporte@example.com
B=$(sql "select code from tickets where subject = 'Dominio caducado'")
reply "$B" "Renovado."
original=$(sql "select message_id from outbox where id = $(last_reply_id luis@otro.es)")
dsn 5.1.1 luis@otro.es "$original" "Undelivered: [Ticket #$A] No llega el correo" | deliver -f "" -r soporte@example.com
is "$(sql "select permanent || ' ' || t.code from address_state s join tickets t on t.id = s.ticket_id where address = 'luis@otro.es'")" \
	"1 $B" "it is recorded on Luis's address, for his ticket"
is "$(sql "select permanent from address_state where address = 'ana@cliente.es'")" 0 "Ana's address is untouched"
ctl show "$B" | grep -q "^luis@otro.es bounces for good"; ok $? "ticketctl show of his ticket says so"

done_testing
