#!/bin/sh
# 51-imap-tls - the certificate is checked before any credential is sent: a certificate
# for another host name, or from a CA that is not trusted (a configured ca_file or the
# system store), is refused over implicit TLS and STARTTLS, and nothing is fetched. SNI
# is sent: a server that picks its certificate by SNI gives the right one.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/imap-lib.sh"

imap_setup || { echo "Bail out! private dovecot did not start: $(tail -3 "$D/dovecot.log" 2>/dev/null)"; exit 1; }
make_cert wrong.example test "DNS:wrong.example"
write_config "" "
$(imap_section wrong-name "imaps://127.0.0.1:$IMAPS_PORT/INBOX" "ca_file=$D/test-ca.crt")

$(imap_section other-ca "imaps://localhost:$IMAPS_PORT/INBOX" "ca_file=$D/other-ca.crt")

$(imap_section system-ca "imaps://localhost:$IMAPS_PORT/INBOX")

$(imap_section starttls-other-ca "imap://localhost:$IMAP_PORT/INBOX" "ca_file=$D/other-ca.crt")

$(imap_section starttls-wrong-name "imap://127.0.0.1:$IMAP_PORT/INBOX" "ca_file=$D/test-ca.crt")

$(imap_section good "imaps://localhost:$IMAPS_PORT/INBOX" "ca_file=$D/test-ca.crt")

$(imap_section good-starttls "imap://localhost:$IMAP_PORT/INBOX" "ca_file=$D/test-ca.crt")"
deliver_mail 1 && deliver_mail 2

refused() {   # refused SOURCE REASON-PATTERN WHAT
	"$TICKETCTL" -c "$CONF" fetch "$1" --once >/dev/null 2>"$WORK/err"
	is $? 78 "$3: refused as a setup error"
	grep -q "certificate refused, nothing sent: .*$2" "$WORK/err"
	ok $? "$3: the reason is given: $(cat "$WORK/err")"
}
refused wrong-name "does not match" "a certificate for another host name (implicit TLS)"
refused other-ca "issuer" "a certificate from a CA other than ca_file"
refused system-ca "issuer" "a certificate from a CA the system store does not know"
refused starttls-other-ca "issuer" "STARTTLS, a certificate from another CA"
refused starttls-wrong-name "does not match" "STARTTLS, a certificate for another host name"
is "$(tickets)" 0 "nothing was fetched"
is "$(mailbox_count INBOX unseen)" 2 "nothing was marked on the server"
is "$(logins)" 0 "no login happened: the credentials were never sent"

"$TICKETCTL" -c "$CONF" fetch good --once >/dev/null 2>"$WORK/err"
ok $? "the right certificate and CA are accepted"
is "$(tickets)" 2 "and the mail is fetched"

# A server whose default certificate is for another name; the right one only by SNI.
deliver_mail 3
stop_dovecot
start_dovecot wrong.example localhost || echo "Bail out! dovecot did not restart"
"$TICKETCTL" -c "$CONF" fetch good --once >/dev/null 2>"$WORK/err"
ok $? "SNI is sent with implicit TLS: the server picks the right certificate $(cat "$WORK/err")"
deliver_mail 4
"$TICKETCTL" -c "$CONF" fetch good-starttls --once >/dev/null 2>"$WORK/err"
ok $? "SNI is sent with STARTTLS too $(cat "$WORK/err")"
is "$(tickets)" 4 "both passes fetched their mail"
refused wrong-name "does not match" "without SNI (an IP address) the default certificate is refused"

done_testing
