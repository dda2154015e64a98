#!/bin/sh
# 50-imap-fetch - `ticketctl fetch SOURCE --once` against a private Dovecot: mail that
# arrived while ticketd was down becomes tickets, and the after-commit action (seen,
# move:FOLDER, delete) really happens on the server; oversized mail stays untouched;
# the [imap:NAME] section is validated.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/imap-lib.sh"

imap_setup || { echo "Bail out! private dovecot did not start: $(tail -3 "$D/dovecot.log" 2>/dev/null)"; exit 1; }
doveadm -c "$DOVECOT_CONF" mailbox create -u "$IMAP_USER" Borrar Grande
write_config "max_message_size = 100000" "
$(imap_section soporte "imaps://localhost:$IMAPS_PORT/INBOX" "ca_file=$D/test-ca.crt" after=seen)

$(imap_section mover "imap://localhost:$IMAP_PORT/INBOX" "ca_file=$D/test-ca.crt" after=move:Procesados)

$(imap_section borrar "imaps://localhost:$IMAPS_PORT/Borrar" "ca_file=$D/test-ca.crt" after=delete)

$(imap_section grande "imaps://localhost:$IMAPS_PORT/Grande" "ca_file=$D/test-ca.crt")"
fetch() { "$TICKETCTL" -c "$CONF" fetch "$@" --once >"$WORK/fetch.out" 2>"$WORK/fetch.err"; }

# Mail that arrived while ticketd was down.
deliver_mail 1 && deliver_mail 2
fetch soporte
ok $? "fetch --once over implicit TLS succeeds"
is "$(tickets)" 2 "both waiting messages became tickets"
is "$(mailbox_count INBOX seen)" 2 "after = seen: both are \\Seen on the server"
is "$(sql "SELECT uidvalidity > 0, last_uid FROM imap_state WHERE source = 'soporte'")" "1|2" "the source's UIDVALIDITY and last UID are in the store"

fetch soporte
ok $? "a second pass succeeds"
is "$(tickets)" 2 "a second pass fetches nothing again"

deliver_mail 3
fetch soporte
is "$(tickets)" 3 "a new message is picked up by the next pass"
grep -q "1 ingested" "$WORK/fetch.out"
ok $? "the pass reports one message ingested"

# Another source on the same mailbox, over STARTTLS: all three again, recognised as
# duplicates by Message-ID, and moved.
fetch mover
ok $? "fetch --once over STARTTLS succeeds"
is "$(tickets)" 3 "re-reading the same mail makes no second ticket"
is "$(mailbox_count INBOX)" 0 "after = move: INBOX is empty"
is "$(mailbox_count Procesados)" 3 "after = move: the three are in Procesados (created on demand)"

deliver_mail 4 Borrar
fetch borrar
ok $? "fetch from a second mailbox succeeds"
is "$(tickets)" 4 "its message became a ticket"
is "$(mailbox_count Borrar)" 0 "after = delete: it is gone from the server"

deliver_mail 5 Grande 150000
deliver_mail 6 Grande
fetch grande
ok $? "a pass with an oversized message still succeeds"
is "$(tickets)" 5 "the oversized message made no ticket, the next one did"
is "$(mailbox_count Grande unseen)" 1 "the oversized message is left unread on the server"
grep -q "over max_message_size" "$WORK/fetch.err"
ok $? "the oversized message is reported"
fetch grande
grep -q "over max_message_size" "$WORK/fetch.err"
ok $((! $?)) "and reported once, not on every pass"

fetch nadie
is $? 78 "an unknown source is a configuration error"

# Configuration checks.
chmod 640 "$WORK/imap.secret"
"$TICKETCTL" -c "$CONF" fetch soporte --once >/dev/null 2>"$WORK/err"
is $? 78 "a group-readable password file is refused"
grep -q "ticketd.conf:[0-9]*: \[imap:soporte\] password_file: .*chmod 600" "$WORK/err"
ok $? "with file, line and key: $(cat "$WORK/err")"
chmod 600 "$WORK/imap.secret"

check_config() {   # check_config EXPECTED-ERROR-PATTERN SECTION-TEXT
	write_config "" "$2"
	"$TICKETCTL" -c "$CONF" department list >/dev/null 2>"$WORK/err"
	grep -q "$1" "$WORK/err"
	ok $? "refused: $(cat "$WORK/err")"
}
check_config "insecure_plaintext: plaintext is allowed only to a loopback host" \
	"$(imap_section a imap://imap.example.com/INBOX insecure_plaintext=yes)"
check_config "\[imap:a\] department:" "$(imap_section a imaps://imap.example.com/INBOX | sed 's/= soporte/= nadie/')"
check_config "\[imap:a\] after:" "$(imap_section a imaps://imap.example.com/INBOX after=archive)"
check_config "\[imap:a\] url:" "$(imap_section a pop3://imap.example.com/INBOX)"
check_config "\[imap:a\] url:" "$(imap_section a imaps://u@imap.example.com/INBOX)"
check_config "\[imap:a\] insecure_plaintext:" "$(imap_section a imaps://localhost/INBOX insecure_plaintext=yes)"
check_config "\[imap:a\] colour: unknown key" "$(imap_section a imaps://localhost/INBOX colour=red)"
write_config "" "$(imap_section a imap://127.0.0.1:$IMAP_PORT/INBOX insecure_plaintext=yes)"
"$TICKETCTL" -c "$CONF" department list >/dev/null 2>&1
ok $? "insecure_plaintext = yes is accepted for a loopback host"

# Mail that ingest refuses for good (unknown sender under unknown_sender = reject) is
# left unread in the mailbox, reported once, and the pass goes on.
doveadm -c "$DOVECOT_CONF" mailbox create -u "$IMAP_USER" Rechazo
write_config "unknown_sender = reject" "$(imap_section rechazo "imaps://localhost:$IMAPS_PORT/Rechazo" "ca_file=$D/test-ca.crt")"
before=$(tickets)
deliver_mail 7 Rechazo
fetch rechazo
ok $? "a pass with a refused message succeeds"
is "$(tickets)" "$before" "the refused message made no ticket"
is "$(mailbox_count Rechazo unseen)" 1 "it is left unread on the server"
grep -q "UID 1 of Rechazo refused (.*): left in the mailbox" "$WORK/fetch.err"
ok $? "it is reported: $(grep refused "$WORK/fetch.err")"
fetch rechazo
is "$(grep -c refused "$WORK/fetch.err")" 0 "once, not on every pass"

done_testing
