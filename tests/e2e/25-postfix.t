#!/bin/sh
# 25-postfix - a private Postfix instance (its own config, queue and data directories
# under the test's work directory, SMTP on a loopback port; the system's Postfix is
# not touched) built from the shipped etc/postfix/*.sample, once for each of their
# layouts (relay domain, addresses in mydestination, virtual domain): the sample's
# lines are used as written, only the one layout's lines uncommented. ticketd listens
# where the samples say, private/ticketd-lmtp in the queue directory. Asserted from
# both sides: a new mail, a tagged reply and a plus-address reply become one ticket,
# status=sent in Postfix's log, postconf and postfix check print no warning, and (relay
# layout) a bounce for an unknown recipient and a deferral on a store failure that is
# delivered once the store works again; the socket is removed when ticketd stops.
. "$(dirname "$0")/lib.sh"

command -v postfix >/dev/null 2>&1 && command -v postconf >/dev/null 2>&1 \
	&& [ -x /usr/lib/postfix/sbin/master ] || skip_all "postfix is not installed"
[ "$(id -u)" = 0 ] || skip_all "starting a private Postfix instance needs root"
[ -x "$TICKETD" ] || skip_all "$TICKETD is not built"
getent passwd postfix >/dev/null || skip_all "no postfix user"

SOCKET=$WORK/postfix/spool/private/ticketd-lmtp
trap 'stop_postfix; tap_cleanup' EXIT

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

ticket_of() { sql "select t.code from tickets t join messages m on m.ticket_id = t.id where m.message_id = '$1'"; }

# ticketd_start - as the samples say: the socket in private/, owned by postfix, drop to
# the daemon's user.
ticketd_start() {
	rm -f "$WORK/ticketd.db" "$WORK/ticketd.db-wal" "$WORK/ticketd.db-shm"
	write_config --listen "unix:$SOCKET" --lmtp "socket_mode = 0660
socket_owner = postfix" "user = $(daemon_user)"
	work_for_daemon
	: > "$WORK/ticketd.log"
	start_ticketd -n
	[ -S "$SOCKET" ]; ok $? "$layout: ticketd listens on private/ticketd-lmtp"
}

ticketd_stop() {
	stop_ticketd; is $? 0 "$layout: ticketd stops on SIGTERM with exit 0"
	[ ! -e "$SOCKET" ]; ok $? "$layout: and removes its socket from Postfix's private/"
	[ ! -e "$WORK/ticketd.pid" ]; ok $? "$layout: and its pid file"
	grep -Eq "fatal|panic" "$WORK/ticketd.log"; is $? 1 "$layout: no fatal or panic in ticketd's log"
}

# three_mails - new, tagged reply, plus-address reply: one ticket, threaded.
three_mails() {
	n=$1
	qid=$(smtp_send ana@cliente.es soporte@example.com "No puedo enviar correos" "$n-1@cliente.es")
	wait_log "$qid: to=<soporte@example.com>, relay=.*ticketd-lmtp.*status=sent \\(250 2.0.0"
	ok $? "$layout: a new mail, status=sent over private/ticketd-lmtp"
	code=$(ticket_of "$n-1@cliente.es")
	is "$(sql "select department || ' ' || status from tickets where code = '$code'")" "soporte open" \
		"$layout: it is a ticket, open, in soporte"
	qid=$(smtp_send ana@cliente.es soporte@example.com "RE: [Ticket #$code] No puedo enviar correos" "$n-2@cliente.es")
	wait_log "$qid: to=<soporte@example.com>.*status=sent"; ok $? "$layout: a tagged reply is delivered"
	is "$(ticket_of "$n-2@cliente.es")" "$code" "$layout: and threads into $code"
	qid=$(smtp_send ana@cliente.es "soporte+$code@example.com" "Otra cosa" "$n-3@cliente.es")
	wait_log "$qid: to=<soporte\\+$code@example.com>.*status=sent"; ok $? "$layout: a plus-address reply is delivered"
	is "$(ticket_of "$n-3@cliente.es")" "$code" "$layout: and threads into $code by its address"
	is "$(sql "select count(*) from messages m join tickets t on t.id = m.ticket_id where t.code = '$code'")" 3 \
		"$layout: three messages, one ticket"
}

for layout in relay local virtual; do
	start_postfix "$layout"; ok $? "$layout: a private Postfix from the samples starts, postconf -n and postfix check silent"
	[ -s "$PF/warnings" ] && sed 's/^/# /' "$PF/warnings"
	ticketd_start
	three_mails "$layout"
	if [ "$layout" = relay ]; then
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
		grep -Eq "from=<ana@cliente.es>, to=<soporte@example.com>, message-id=<relay-1@cliente.es>, action=new, department=soporte" \
			"$WORK/ticketd.log"; ok $? "ticketd logs one line per decision"
	fi
	grep -q "warning" "$PF/maillog"; is $? 1 "$layout: Postfix logged no warning"
	stop_postfix
	ticketd_stop
done

# The installed daemon with the installed sample configuration, only its paths moved
# into $WORK (and its loopback port and relay, which must be free on this machine),
# behind the relay layout: a mail to soporte@ becomes a ticket, and ticketd check is
# content with the set-up.
layout=installed
ROOT=$WORK/root
make -s -C "$TOP" BUILD="$BUILD" DESTDIR="$ROOT" install >/dev/null 2>&1; ok $? "make install DESTDIR=$ROOT"
start_postfix relay; ok $? "installed: a private Postfix starts"
user=ticketd
getent passwd ticketd >/dev/null || user=nobody     # no ticketd user on this machine: the unprivileged one
CONF=$ROOT/etc/ticketd/ticketd.conf
sed -i -e "s|/var/lib/ticketd|$WORK/db|; s|/var/spool/postfix|$PF/spool|; s|/run/ticketd|$WORK/run|" \
	-e "s|/etc/ticketd|$ROOT/etc/ticketd|; s|^user = ticketd|user = $user|; s|127.0.0.1:2424|127.0.0.1:$(free_port)|" \
	-e "s|^url = smtp://127.0.0.1:25|url = smtp://127.0.0.1:$SMTP_PORT|" "$CONF"
group=$(id -gn "$user")
install -d -o "$user" -g "$group" -m 0750 "$WORK/db"
chgrp "$group" "$CONF"
"$ROOT/usr/local/sbin/ticketd" -c "$CONF" 2>"$WORK/ticketd.log"; ok $? "installed: ticketd starts in the background"
for _ in $(seq 50); do [ -S "$SOCKET" ] && break; sleep 0.1; done
is "$(stat -c '%U:%G %a' "$ROOT/etc/ticketd/secret")" "root:$group 640" "installed: it made the secret, root:$group 0640"
MAIL_CONFIG=$PF/etc "$ROOT/usr/local/sbin/ticketd" check -c "$CONF" >"$WORK/check" 2>&1; ok $? "installed: ticketd check is content"
sed 's/^/# /' "$WORK/check"
qid=$(smtp_send ana@cliente.es soporte@example.com "No puedo enviar correos" inst-1@cliente.es)
wait_log "$qid: to=<soporte@example.com>, relay=.*ticketd-lmtp.*status=sent"; ok $? "installed: status=sent"
is "$(sqlite3 "$WORK/db/ticketd.db" "select t.department from tickets t join messages m on m.ticket_id = t.id where m.message_id = 'inst-1@cliente.es'")" \
	soporte "installed: the mail to soporte@ is a ticket"
kill "$(cat "$WORK/run/ticketd.pid")"
for _ in $(seq 50); do [ -e "$WORK/run/ticketd.pid" ] || break; sleep 0.2; done
[ ! -e "$SOCKET" ] && [ ! -e "$WORK/run/ticketd.pid" ]; ok $? "installed: a stop removes the socket and the pid file"
stop_postfix
done_testing
