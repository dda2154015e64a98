#!/bin/sh
# 74-local-trust - what another local user can do to ticketd: deliver over the unix
# socket (only [lmtp] allowed_users may), hold a session with a trickle of bytes (cut
# by command_timeout, data_timeout and data_min_rate with 421 4.4.2), read the
# database (0640 whatever the umask), and, with ticketd started as root, choose its
# configuration, its secrets, its user or the file its pid goes into (all refused).
. "$(dirname "$0")/lib.sh"

[ -x "$TICKETD" ] || skip_all "$TICKETD is not built"
[ "$(id -u)" = 0 ] || skip_all "another local user, and a daemon started as root, need root"
command -v setpriv >/dev/null 2>&1 || skip_all "setpriv (util-linux) is not installed"

SOCKET=$WORK/lmtp.sock
umask 022                       # started by hand, not by the unit (UMask=0027)

# lmtp_client unix:PATH|inet:PORT MODE: one dialogue; prints the replies after the greeting
# (or the greeting itself when it is a refusal) and, last, the seconds it took.
cat > "$WORK/client.pl" <<'PERL'
use strict;
use warnings;
use IO::Socket::INET;
use IO::Socket::UNIX;
use Time::HiRes qw(time sleep);
my ($where, $mode) = @ARGV;
my $s = $where =~ /^unix:(.*)/ ? IO::Socket::UNIX->new(Peer => $1)
      : IO::Socket::INET->new(PeerAddr => "127.0.0.1:" . substr($where, 5)) or die "connect: $!";
$s->autoflush(1);
local $SIG{ALRM} = sub { print "no reply in 30 s\n"; exit 1 };
alarm 30;
my $start = time;
my $greeting = <$s> // '';
if ($greeting !~ /^220 /) { print $greeting; printf "%.1f\n", time - $start; exit 0 }
my $mail = "From: <cliente\@cliente.es>\r\nSubject: $mode\r\nMessage-ID: <$mode.$$\@cliente.es>\r\n\r\nHola.\r\n";
# trickle BYTES: a byte every 0.3 s until the server says something.
sub trickle {
	$s->blocking(0);
	for my $c (split //, $_[0]) {
		last unless print $s $c;
		sleep 0.3;
		if (defined(my $got = <$s>)) { print $got; last }
	}
}
if ($mode eq 'command-trickle') {               # "LHLO xxx...", never ended
	trickle("LHLO " . "x" x 100);
} elsif ($mode eq 'data-trickle') {             # the message itself
	print $s "LHLO x\r\nMAIL FROM:<cliente\@cliente.es>\r\nRCPT TO:<soporte\@example.com>\r\nDATA\r\n";
	<$s> for 1 .. 9;                            # LHLO (6 lines), MAIL, RCPT, 354
	trickle($mail x 20);
} else {                                        # a whole mail at once
	print $s "LHLO x\r\nMAIL FROM:<cliente\@cliente.es>\r\nRCPT TO:<soporte\@example.com>\r\nDATA\r\n$mail.\r\nQUIT\r\n";
	<$s> for 1 .. 9;
	print scalar <$s> // '';
}
printf "%.1f\n", time - $start;
PERL
client() { perl "$WORK/client.pl" "$@"; }
as_nobody() { setpriv --reuid nobody --regid nogroup --clear-groups "$@"; }
mode_of() { stat -c %a "$1"; }

# start_daemon [LMTP-LINES]: as installed, by root, on both kinds of listener.
start_daemon() {
	write_config --listen "unix:$SOCKET, inet:127.0.0.1:$LMTP_PORT" \
		--lmtp "socket_mode = 0666
idle_timeout = 30
${1:-}" "user = $(daemon_user)"
	start_ticketd
	ok $? "the daemon listens on $SOCKET and 127.0.0.1:$LMTP_PORT"
}
work_for_daemon
start_daemon

# 4. Local users are Postfix: the kernel says who connects to the unix socket.
out=$(as_nobody perl "$WORK/client.pl" "unix:$SOCKET" whole)
case $out in "421 4.7.1 "*) r=0 ;; *) r=1 ;; esac
ok $r "a local user not in allowed_users gets 421 4.7.1 on the unix socket"
grep -q "reason=user-not-allowed pid=[0-9]* uid=65534 " "$WORK/ticketd.log"
ok $? "logged with the reason, the client's pid and uid"
is "$(sql "select count(*) from messages")" 0 "and nothing it sent is stored"
out=$(client "unix:$SOCKET" whole)
case $out in "250 2.0.0 <soporte@example.com> "*) r=0 ;; *) r=1 ;; esac
ok $r "root (in the default allowed_users) delivers on the unix socket"
out=$(as_nobody perl "$WORK/client.pl" "inet:$LMTP_PORT" whole)
case $out in "250 2.0.0 "*) r=0 ;; *) r=1 ;; esac
ok $r "loopback TCP trusts every local user, as documented"

# 6. Files others can read.
for f in ticketd.db ticketd.db-wal ticketd.db-shm; do
	is "$(mode_of "$WORK/$f")" 640 "the running daemon's $f is 0640 under umask 022"
done

stop_ticketd

# 8. A slow client holds a slot forever: a trickle restarts no deadline.
start_daemon "command_timeout = 2
data_timeout = 2
data_min_rate = 1000"
out=$(client "inet:$LMTP_PORT" command-trickle)
case $(echo "$out" | head -1) in "421 4.4.2 Command not completed in time"*) r=0 ;; *) r=1 ;; esac
ok $r "a command line trickled a byte every 0.3 s is cut with 421 4.4.2"
seconds=$(echo "$out" | tail -1)
[ "${seconds%.*}" -lt 5 ]; ok $? "after command_timeout (2 s), not idle_timeout (30 s): ${seconds} s"
out=$(client "inet:$LMTP_PORT" data-trickle)
case $(echo "$out" | head -1) in "421 4.4.2 Message data too slow"*) r=0 ;; *) r=1 ;; esac
ok $r "a message trickled a byte every 0.3 s is cut with 421 4.4.2"
seconds=$(echo "$out" | tail -1)
[ "${seconds%.*}" -lt 6 ]; ok $? "after data_timeout plus its rate's credit: ${seconds} s"
grep -q "reason=command-timeout" "$WORK/ticketd.log" && grep -q "reason=data-timeout" "$WORK/ticketd.log"
ok $? "both cuts are logged with their reason"
is "$(sql "select count(*) from messages where subject = 'data-trickle'")" 0 "the cut message is not stored"
out=$(client "inet:$LMTP_PORT" whole)
case $out in "250 2.0.0 "*) r=0 ;; *) r=1 ;; esac
ok $r "a client that sends at once is served as before"
stop_ticketd

# 6, without the daemon: deliver and ticketctl make a new database 0640 too.
rm -f "$WORK"/ticketd.db*
printf 'From: <cliente@cliente.es>\nSubject: deliver\nMessage-ID: <deliver@cliente.es>\n\nHola.\n' |
	"$TICKETD" deliver -c "$CONF" -r soporte@example.com
is "$(mode_of "$WORK/ticketd.db")" 640 "ticketd deliver creates the database 0640 under umask 022"
rm -f "$WORK"/ticketd.db*
"$TICKETCTL" -c "$CONF" list >/dev/null
is "$(mode_of "$WORK/ticketd.db")" 640 "ticketctl creates the database 0640 under umask 022"

# 7. A configuration anyone could have written, with ticketd started as root.
start_refused() {   # start_refused STATUS DESCRIPTION: the daemon must exit with STATUS at once
	"$TICKETD" -f -c "$CONF" 2>"$WORK/refused.log" &
	pid=$!
	for _ in $(seq 50); do kill -0 $pid 2>/dev/null || break; sleep 0.1; done
	if kill -0 $pid 2>/dev/null; then kill -TERM $pid; wait $pid; ok 1 "$2 (it started)"; return; fi
	wait $pid
	is $? "$1" "$2"
}
write_config "user = $(daemon_user)"
chown nobody "$CONF"
start_refused 78 "a configuration owned by another user is refused (exit 78)"
grep -q "ticketd.conf belongs to uid 65534, and ticketd runs as root.*chown root" "$WORK/refused.log"
ok $? "the error names the file and the chown that fixes it"
"$TICKETCTL" -c "$CONF" list >/dev/null 2>"$WORK/ctl.err"
is $? 78 "ticketctl run as root refuses it too"
echo x | "$TICKETD" deliver -c "$CONF" -r soporte@example.com 2>/dev/null
is $? 75 "ticketd deliver run as root refuses it with a temporary failure (the MTA keeps the mail)"
chown root "$CONF"

printf 'clave\n' > "$WORK/smtp.secret"; chmod 600 "$WORK/smtp.secret"; chown postfix "$WORK/smtp.secret"
write_config --smtp "password_file = $WORK/smtp.secret" "user = $(daemon_user)"
start_refused 78 "a password file owned by another user than root or the daemon's is refused"
grep -q "smtp.secret belongs to uid $(id -u postfix)" "$WORK/refused.log"; ok $? "naming the secret file"
chown nobody "$WORK/smtp.secret"
"$TICKETCTL" -c "$CONF" list >/dev/null
ok $? "owned by the daemon's user (who reads it again at reload), it is accepted"

write_config "user = root"
start_refused 78 "user = root is refused"
grep -q "user = root: ticketd started as root must drop" "$WORK/refused.log"; ok $? "with the reason"

# The pid file: never through a symbolic link, never into someone else's file.
write_config --lmtp "" "user = $(daemon_user)"
echo precious > "$WORK/victim"
ln -s "$WORK/victim" "$WORK/ticketd.pid"
start_refused 75 "a pid file that is a symbolic link is refused"
is "$(cat "$WORK/victim")" precious "and the file it points to is untouched"
rm -f "$WORK/ticketd.pid"
echo precious > "$WORK/ticketd.pid"; chown nobody "$WORK/ticketd.pid"
start_refused 75 "a pid file owned by another user is refused"
is "$(cat "$WORK/ticketd.pid")" precious "and left as it was"
grep -q "pid file $WORK/ticketd.pid: not a regular file of uid 0 with one name" "$WORK/refused.log"
ok $? "the error names the pid file"
rm -f "$WORK/ticketd.pid"
ln "$WORK/victim" "$WORK/ticketd.pid"
start_refused 75 "a pid file that is a hard link to another file is refused"
is "$(cat "$WORK/victim")" precious "and the other file is untouched"

done_testing
