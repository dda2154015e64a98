#!/bin/sh
# 57-imap-daemon - the IMAP worker inside the running daemon: mail that waited on the
# server is fetched at start, mail APPENDed while the daemon idles becomes a ticket within
# seconds, LMTP keeps answering meanwhile, and SIGTERM stops the worker with the daemon.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/imap-lib.sh"

imap_setup || { echo "Bail out! private dovecot did not start: $(tail -3 "$D/dovecot.log" 2>/dev/null)"; exit 1; }
write_config --lmtp "" "user = $(daemon_user)" \
	"$(imap_section soporte "imaps://localhost:$IMAPS_PORT/INBOX" "ca_file=$D/test-ca.crt" after=seen)"
deliver_mail 1

work_for_daemon
database_for_daemon
start_ticketd
has_tickets() { [ "$(tickets)" -ge "$1" ]; }
lmtp_answers() { perl -MIO::Socket::INET -e '$s = IO::Socket::INET->new("127.0.0.1:'"$LMTP_PORT"'") or exit 1; exit(<$s> !~ /^220/)'; }

wait_for 10 has_tickets 1
ok $? "mail that waited on the server is fetched when the daemon starts"
sleep 1
start=$(now_ms)
append_mail 2
wait_for 10 has_tickets 2
ok $? "mail APPENDed while the daemon idles becomes a ticket"
echo "# APPEND -> ticket inside the daemon: $(( $(now_ms) - start )) ms"
lmtp_answers
ok $? "the LMTP listener answers while the IMAP worker idles"
kill -TERM "$TICKETD_PID"
stopped() { ! kill -0 "$TICKETD_PID" 2>/dev/null; }
wait_for 10 stopped
ok $? "SIGTERM stops the daemon and its IMAP worker"
wait_ticketd 2>/dev/null
is $? 0 "with exit status 0"

done_testing
