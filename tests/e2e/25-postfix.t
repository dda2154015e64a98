#!/bin/sh
# 25-postfix - a private Postfix instance (its own config, queue and data directories
# under the test's work directory, SMTP on a loopback port; the system's Postfix is
# not touched) receives mail over SMTP and delivers it over LMTP to ticketd, by unix
# socket for soporte@ and by TCP for ventas@. Asserted from both sides: the tickets,
# a threaded reply, status=sent in Postfix's log, a bounce for an unknown recipient,
# and a deferral on a store failure that is delivered once the store works again.
. "$(dirname "$0")/lib.sh"

command -v postfix >/dev/null 2>&1 && command -v postconf >/dev/null 2>&1 \
	&& [ -x /usr/lib/postfix/sbin/master ] || skip_all "postfix is not installed"
[ "$(id -u)" = 0 ] || skip_all "starting a private Postfix instance needs root"
[ -x "$TICKETD" ] || skip_all "$TICKETD is not built"
getent passwd postfix >/dev/null || skip_all "no postfix user"

# ticketd: drops to nobody, its unix socket owned by postfix as on a real system.
write_config --listen "unix:$WORK/lmtp.sock, inet:127.0.0.1:$LMTP_PORT" \
	--lmtp "socket_mode = 0660
socket_owner = postfix" "user = $(daemon_user)"
work_for_daemon
start_ticketd
[ -S "$WORK/lmtp.sock" ]; ok $? "ticketd listens on $WORK/lmtp.sock and 127.0.0.1:$LMTP_PORT"

# The two setups of etc/postfix/: the unix socket, and loopback TCP for ventas@.
start_postfix "inline:{ ventas@example.com=ticketd:inet:[127.0.0.1]:$LMTP_PORT, example.com=ticketd:unix:$WORK/lmtp.sock }"
ok $? "a private Postfix starts (config_directory $PF/etc)"

# smtp_send FROM TO SUBJECT MESSAGE-ID - one mail over SMTP; prints Postfix's queue id.
smtp_send() {
	perl -MIO::Socket::INET -e '
		my ($port, $from, $to, $subject, $id) = @ARGV;
		my $s = IO::Socket::INET->new("127.0.0.1:$port") or die "smtp: $!";
		my $last;
		sub reply { do { $last = <$s> } while $last =~ /^\d{3}-/; die "smtp: $last" unless $last =~ /^[23]/ }
		sub cmd { print $s "$_[0]\r\n"; reply() }
		reply(); cmd("EHLO cliente.test"); cmd("MAIL FROM:<$from>"); cmd("RCPT TO:<$to>"); cmd("DATA");
		print $s "From: Cliente <$from>\r\nTo: $to\r\nSubject: $subject\r\nMessage-ID: <$id>\r\n"
		       . "Date: Mon, 3 Feb 2025 10:00:00 +0100\r\nContent-Type: text/plain; charset=utf-8\r\n"
		       . "Content-Transfer-Encoding: 8bit\r\n\r\nHola, el correo no funciona desde ayer.\r\nGracias.\r\n";
		cmd("."); my ($qid) = $last =~ /queued as (\w+)/; cmd("QUIT"); print "$qid\n";
	' "$SMTP_PORT" "$@"
}

# wait_log PATTERN - Postfix's log shows it within 30 seconds.
wait_log() {
	for _ in $(seq 150); do grep -Eq "$1" "$PF/maillog" 2>/dev/null && return 0; sleep 0.2; done
	echo "# not in the log: $1"; sed 's/^/# /' "$PF/maillog" | tail -5; return 1
}

qid=$(smtp_send ana@cliente.es soporte@example.com "No puedo enviar correos" p1@cliente.es)
wait_log "$qid: to=<soporte@example.com>, relay=.*lmtp.sock.*status=sent \\(250 2.0.0"
ok $? "Postfix delivered over the unix socket: status=sent"
is "$(sql "select t.department || ' ' || t.status from tickets t join messages m on m.ticket_id = t.id where m.message_id = 'p1@cliente.es'")" \
	"soporte open" "the ticket exists, open, in soporte"
code=$(sql "select t.code from tickets t join messages m on m.ticket_id = t.id where m.message_id = 'p1@cliente.es'")

qid=$(smtp_send ana@cliente.es soporte@example.com "RE: [Ticket #$code] No puedo enviar correos" p2@cliente.es)
wait_log "$qid: to=<soporte@example.com>.*status=sent"; ok $? "the reply is delivered"
is "$(sql "select count(*) from messages m join tickets t on t.id = m.ticket_id where t.code = '$code'")" 2 "and threads into $code"
is "$(sql "select status from tickets where code = '$code'")" customer_reply "which is now customer_reply"

qid=$(smtp_send luis@tienda.es ventas@example.com "Presupuesto de hosting" v1@tienda.es)
wait_log "$qid: to=<ventas@example.com>, relay=127.0.0.1\\[127.0.0.1\\]:$LMTP_PORT.*status=sent"
ok $? "Postfix delivered over loopback TCP: status=sent"
is "$(sql "select t.department from tickets t join messages m on m.ticket_id = t.id where m.message_id = 'v1@tienda.es'")" \
	ventas "a ticket in ventas"

qid=$(smtp_send ana@cliente.es nadie@example.com "Hola" n1@cliente.es)
wait_log "$qid: to=<nadie@example.com>.*dsn=5.1.1, status=bounced"; ok $? "an unknown recipient bounces: 550 5.1.1"

# A store failure: Postfix defers (4.3.0), then delivers once the store works.
sql "create trigger ticketd_test_fail before insert on tickets begin select raise(abort, 'injected failure'); end"
qid=$(smtp_send eva@nueva.es soporte@example.com "Web caída" f1@nueva.es)
wait_log "$qid: to=<soporte@example.com>.*dsn=4.3.0, status=deferred"; ok $? "a store failure: 451 4.3.0, Postfix defers"
is "$(sql "select count(*) from messages where message_id = 'f1@nueva.es'")" 0 "nothing of it was stored"
sql "drop trigger ticketd_test_fail"
postqueue -c "$PF/etc" -f
wait_log "$qid: to=<soporte@example.com>.*status=sent"; ok $? "after postqueue -f it is delivered"
is "$(sql "select count(*) from messages where message_id = 'f1@nueva.es'")" 1 "and stored once"

grep -Eq "from=<ana@cliente.es>, to=<soporte@example.com>, message-id=<p1@cliente.es>, action=new, department=soporte" \
	"$WORK/ticketd.log"; ok $? "ticketd logs one line per decision"
grep -Eq "fatal|panic" "$WORK/ticketd.log"; is $? 1 "no fatal or panic in ticketd's log"

stop_postfix
stop_ticketd; is $? 0 "ticketd stops on SIGTERM with exit 0"
done_testing
