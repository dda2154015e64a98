#!/bin/sh
# bench.sh - LMTP throughput of ticketd against Dovecot's LMTP server (delivering to
# Maildir) and Postfix's smtp-sink (the do-nothing ceiling), the same load to each in
# the same run: smtp-source in LMTP mode, BENCH_MESSAGES messages of 4 KB (each with
# its own Message-Id) at 1, 8 and 20 sessions, then a realistic Spanish multipart mail
# with an attachment, unique per message, sent by a client that also times every
# reply (p99). Checks that every message landed; prints msg/s, ticketd/Dovecot, p99
# latency and peak RSS. A benchmark: it reports, it does not fail CI.
#   usage: sh tests/support/bench.sh [BUILD-DIR]     (environment: BENCH_MESSAGES, BENCH_SESSIONS,
#   BENCH_BIG, BENCH_KB)
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${1:-${TICKETD_BUILD:-$TOP/build}}
MESSAGES=${BENCH_MESSAGES:-10000}
SESSIONS=${BENCH_SESSIONS:-"1 8 20"}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/ticketd-bench.XXXXXX")
TICKETD_BUILD=$BUILD TICKETD_TOP=$TOP
. "$TOP/tests/e2e/lib.sh"
PIDS=
cleanup() {
	[ -n "${DOVECOT_CONF:-}" ] && dovecot -c "$DOVECOT_CONF" stop >/dev/null 2>&1
	for pid in $PIDS; do kill "$pid" 2>/dev/null; done
	tap_cleanup
	wait 2>/dev/null
}
trap cleanup EXIT
trap 'exit 1' INT TERM

for tool in smtp-source smtp-sink dovecot sqlite3 perl; do
	command -v $tool >/dev/null 2>&1 || { echo "bench: $tool is not installed (make deps)" >&2; exit 1; }
done
[ -x "$BUILD/ticketd" ] || { echo "bench: $BUILD/ticketd is not built" >&2; exit 1; }
T_PORT=$LMTP_PORT; D_PORT=$(free_port); S_PORT=$(free_port)
RUN_USER=$(daemon_user)
work_for_daemon
chmod 0755 "$WORK"
as_user() { if [ "$(id -u)" = 0 ]; then runuser -u nobody -- "$@"; else "$@"; fi; }

# --- the three servers ---
write_config --staff "" --departments soporte --lmtp "max_connections = 100" "user = $RUN_USER
# smtp-source sends every message From one address: no flood limit, which would both
# hold it and make every message count that sender's last hour.
intake_per_hour = 0"
# BENCH_KB=N: a help centre of N articles (the samples, copied), so every confirmation
# is searched for suggestions as in production.
if [ "${BENCH_KB:-0}" -gt 0 ]; then
	mkdir -p "$WORK/kb"
	i=0
	while [ "$i" -lt "$BENCH_KB" ]; do
		for f in "$TOP"/maildir-fixtures/kb/*.md; do
			[ "$i" -lt "$BENCH_KB" ] || break
			sed 's/^departments: .*/departments: soporte/' "$f" > "$WORK/kb/$(basename "$f" .md)-$i.md"
			i=$((i + 1))
		done
	done
	"$BUILD/ticketctl" -c "$CONF" kb import "$WORK/kb" ||
		{ echo "bench: importing the help centre failed" >&2; exit 1; }
	chown "$RUN_USER" "$WORK"/ticketd.db*
fi
start_ticketd -n

mkdir -p "$WORK/dovecot/run" "$WORK/dovecot/state" "$WORK/mail"
chown "$RUN_USER" "$WORK/mail"
DOVECOT_CONF=$WORK/dovecot/dovecot.conf
cat > "$DOVECOT_CONF" <<EOF
base_dir = $WORK/dovecot/run
state_dir = $WORK/dovecot/state
log_path = $WORK/dovecot/dovecot.log
info_log_path = /dev/null
protocols = lmtp
listen = 127.0.0.1
ssl = no
mail_location = maildir:$WORK/mail/%n
first_valid_uid = 0
passdb {
  driver = static
  args = nopassword=y
}
userdb {
  driver = static
  args = uid=$RUN_USER gid=$(id -gn "$RUN_USER") home=$WORK/mail/%n allow_all_users=yes
}
service lmtp {
  inet_listener lmtp {
    address = 127.0.0.1
    port = $D_PORT
  }
  process_limit = 100
}
service anvil {
  chroot =
}
EOF
dovecot -c "$DOVECOT_CONF" || { echo "bench: dovecot did not start" >&2; exit 1; }

SINK_USER=
[ "$(id -u)" = 0 ] && SINK_USER="-u nobody"
smtp-sink $SINK_USER -L -c 127.0.0.1:$S_PORT 256 > "$WORK/sink.out" 2>&1 &
PIDS="$PIDS $!"
for port in $T_PORT $D_PORT $S_PORT; do wait_for_port $port; done

# --- measuring ---
now() { date +%s.%N; }
# landed SERVER - messages stored so far.
landed() {
	case $1 in
	ticketd) as_user sqlite3 "$WORK/ticketd.db" 'select count(*) from messages' 2>/dev/null || echo 0 ;;
	dovecot) find "$WORK/mail" -type f -path '*/new/*' 2>/dev/null | wc -l ;;
	sink) tr '\r' '\n' < "$WORK/sink.out" | sed -n 's/.*mesg=\([0-9]*\).*/\1/p' | tail -1 | awk '{ n = $1 } END { print n + 0 }' ;;
	esac
}
port_of() { case $1 in ticketd) echo $T_PORT ;; dovecot) echo $D_PORT ;; sink) echo $S_PORT ;; esac; }
# server_pids SERVER - the processes whose memory counts.
server_pids() {
	case $1 in
	ticketd) echo $TICKETD_PID && pgrep -P "$TICKETD_PID" ;;
	dovecot) master=$(cat "$WORK/dovecot/run/master.pid" 2>/dev/null) && echo "$master" && pgrep -P "$master" ;;
	sink) pgrep -f "smtp-sink.* -L -c 127.0.0.1:$S_PORT" ;;
	esac
}
# rss_watch SERVER FILE - record the peak of summed RSS (kB) until killed.
rss_watch() {
	peak=0
	while :; do
		sum=0
		for pid in $(server_pids "$1"); do
			kb=$(awk '/^VmRSS/ { print $2 }' /proc/$pid/status 2>/dev/null)
			sum=$((sum + ${kb:-0}))
		done
		[ $sum -gt $peak ] && peak=$sum && echo $peak > "$2"
		sleep 0.2
	done
}

# run NAME SERVER COMMAND... - time one load; prints "msg/s landed p99 rss".
run() {
	name=$1; server=$2; shift 2
	before=$(landed "$server")
	echo 0 > "$WORK/rss"
	rss_watch "$server" "$WORK/rss" &
	watcher=$!
	start=$(now)
	"$@" > "$WORK/client.out" 2>&1
	end=$(now)
	# Let the last writes settle (Dovecot logs, sink counters) before counting.
	sleep 0.5
	kill $watcher 2>/dev/null; wait $watcher 2>/dev/null
	after=$(landed "$server")
	p99=$(awk '/^p99/ { print $2 }' "$WORK/client.out")
	awk -v n="$MESSAGES" -v s="$start" -v e="$end" -v got=$((after - before)) -v p="${p99:--}" -v r="$(cat "$WORK/rss")" \
		'BEGIN { printf "%.0f %d %s %.1f\n", n / (e - s), got, p, r / 1024 }'
}

# The realistic client: N sessions, each keeps its connection for several transactions.
cat > "$WORK/client.pl" <<'PERL'
use strict; use warnings; use IO::Socket::INET; use Time::HiRes qw(time);
use Socket qw(IPPROTO_TCP TCP_NODELAY);
my ($port, $total, $sessions, $tag, $rcpt) = @ARGV;
$rcpt //= 'soporte@example.com';
use MIME::Base64;
my $b64 = encode_base64('%PDF-1.4 factura ' . ('x' x 9000));
my @kids;
for my $k (0 .. $sessions - 1) {
	my $pid = fork // die; if ($pid) { push @kids, $pid; next; }
	my $s = IO::Socket::INET->new("127.0.0.1:$port") or die "connect: $!";
	setsockopt($s, IPPROTO_TCP, TCP_NODELAY, 1);   # time the server, not our Nagle
	my $r = sub { my $l; do { $l = <$s> // die "eof\n" } while $l =~ /^\d{3}-/; $l };
	$r->(); print $s "LHLO bench\r\n"; $r->();
	my @lat;
	for (my $i = $k; $i < $total; $i += $sessions) {
		my $id = "$tag.$i.$$\@cliente.example";
		my $mail = "From: \"Ana Belén Núñez\" <ana$i\@cliente.example>\r\nTo: soporte\@example.com\r\n"
		 . "Subject: =?UTF-8?Q?No_puedo_acceder_al_panel_de_facturaci=C3=B3n_n=C2=BA_$i?=\r\n"
		 . "Message-ID: <$id>\r\nDate: Mon, 3 Feb 2025 10:00:00 +0100\r\nMIME-Version: 1.0\r\n"
		 . "Content-Type: multipart/mixed; boundary=\"sep$i\"\r\n\r\n--sep$i\r\n"
		 . "Content-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
		 . "Buenos días:\r\n\r\nDesde ayer no puedo acceder al área de clientes para descargar la factura "
		 . "de diciembre. Adjunto la captura del error. ¿Podéis revisarlo?\r\n\r\nUn saludo,\r\nAna\r\n\r\n"
		 . "El 2 feb 2025, Soporte escribió:\r\n> Gracias por contactar.\r\n\r\n--sep$i\r\n"
		 . "Content-Type: application/pdf; name=\"factura-$i.pdf\"\r\nContent-Disposition: attachment; "
		 . "filename=\"factura-$i.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\n$b64\r\n--sep$i--\r\n";
		$mail =~ s/\r\n/\n/g; $mail =~ s/\n/\r\n/g; $mail =~ s/^\./../mg;
		print $s "MAIL FROM:<ana$i\@cliente.example> BODY=8BITMIME\r\nRCPT TO:<$rcpt>\r\nDATA\r\n";
		$r->() =~ /^250/ or die "MAIL"; $r->() =~ /^250/ or die "RCPT"; $r->() =~ /^354/ or die "DATA";
		print $s $mail; my $t0 = time; print $s ".\r\n";
		my $reply = $r->(); push @lat, time - $t0;
		$reply =~ /^250/ or warn "reply: $reply";
	}
	print $s "QUIT\r\n"; $r->();
	open my $fh, '>', "/tmp/bench-lat.$tag.$k" or die; print $fh "$_\n" for @lat; exit 0;
}
waitpid $_, 0 for @kids;
my @all; for my $k (0 .. $sessions - 1) { open my $fh, '<', "/tmp/bench-lat.$tag.$k" or next; push @all, <$fh>; unlink "/tmp/bench-lat.$tag.$k"; }
@all = sort { $a <=> $b } @all;
printf "p99 %.1f\n", 1000 * $all[int(0.99 * $#all)] if @all;
PERL

# Not measured: the first messages pay for cold caches, in every server alike.
warm_up() { smtp-source -L -s 4 -m 300 -l 4096 -f cliente@example.org -t "$2" 127.0.0.1:$1 >/dev/null 2>&1; }
warm_up $T_PORT soporte@example.com; warm_up $D_PORT warmup@example.com; warm_up $S_PORT soporte@example.com

echo "ticketd LMTP benchmark: $MESSAGES messages per run, $(nproc) CPUs, $(uname -r)"
echo "(msg/s; landed = messages found stored afterwards; p99 = reply latency after the final dot, ms; rss = peak MB)"
printf '\n%-28s %8s %8s %8s   %8s %8s   %8s %8s   %7s\n' load ticketd landed rss dovecot landed sink landed "t/d"
for s in $SESSIONS; do
	set -- $(run "4k-$s" ticketd smtp-source -L -s "$s" -m "$MESSAGES" -l 4096 -f cliente@example.org -t soporte@example.com 127.0.0.1:$T_PORT)
	t=$1 tl=$2 tr=$4
	# Each Dovecot run delivers to a fresh mailbox, so it never pays for the previous runs.
	set -- $(run "4k-$s" dovecot smtp-source -L -s "$s" -m "$MESSAGES" -l 4096 -f cliente@example.org -t "soporte4k$s@example.com" 127.0.0.1:$D_PORT)
	d=$1 dl=$2
	set -- $(run "4k-$s" sink smtp-source -L -s "$s" -m "$MESSAGES" -l 4096 -f cliente@example.org -t soporte@example.com 127.0.0.1:$S_PORT)
	k=$1 kl=$2
	printf '%-28s %8s %8s %8s   %8s %8s   %8s %8s   %7s\n' "smtp-source 4 KB, $s sess" "$t" "$tl" "$tr" "$d" "$dl" "$k" "$kl" \
		"$(awk -v a="$t" -v b="$d" 'BEGIN { printf "%.2f", b ? a / b : 0 }')"
done
printf '\n%-28s %8s %8s %8s   %8s %8s %8s   %8s %8s %8s\n' load ticketd landed p99 dovecot landed p99 sink landed p99
for s in $SESSIONS; do
	set -- $(run real ticketd perl "$WORK/client.pl" $T_PORT "$MESSAGES" "$s" "t$s"); t=$1 tl=$2 tp=$3
	set -- $(run real dovecot perl "$WORK/client.pl" $D_PORT "$MESSAGES" "$s" "d$s" "soportereal$s@example.com"); d=$1 dl=$2 dp=$3
	set -- $(run real sink perl "$WORK/client.pl" $S_PORT "$MESSAGES" "$s" "s$s"); k=$1 kl=$2 kp=$3
	printf '%-28s %8s %8s %8s   %8s %8s %8s   %8s %8s %8s\n' "multipart es, $s sess" "$t" "$tl" "$tp" "$d" "$dl" "$dp" "$k" "$kl" "$kp"
done
echo
echo "ticketd database: $(du -h "$WORK/ticketd.db" | cut -f1), $(landed ticketd) messages; log warnings: $(grep -c warning "$WORK/ticketd.log")"

# The same ticketd load against a database that already holds BENCH_BIG messages
# (default 1,000,000; 0 skips): rows written straight into the store's tables, with
# codes (PRE-0000001) that the code mask can never generate. Old tickets are closed or
# open, as the sweeper leaves them: none is due for it during the run.
BIG=${BENCH_BIG:-1000000}
[ "$BIG" -gt 0 ] || exit 0
stop_ticketd 2>/dev/null
t0=$(now)
as_user sqlite3 "$WORK/ticketd.db" <<EOF || { echo "bench: prefill failed" >&2; exit 1; }
PRAGMA synchronous = OFF;
BEGIN;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $BIG / 10)
INSERT INTO accounts(email, name, created) SELECT 'cliente' || i || '@relleno.example', 'Cliente ' || i, 1700000000 FROM n;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $BIG / 2)
INSERT INTO tickets(code, account_id, department, subject, status, created, updated, last_customer)
SELECT printf('PRE-%07d', i),
       (SELECT min(id) FROM accounts) + i % ($BIG / 10), 'soporte', 'Consulta número ' || i,
       CASE i % 4 WHEN 3 THEN 'open' ELSE 'closed' END,
       1700000000 + i, 1700000000 + i, 1700000000 + i FROM n;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $BIG)
INSERT INTO messages(ticket_id, direction, author, message_id, subject, text, new_text, dedup_key, created)
SELECT (SELECT min(id) FROM tickets) + i % ($BIG / 2), 'in', 'cliente' || (i % ($BIG / 10)) || '@relleno.example',
       'relleno.' || i || '@relleno.example', 'Consulta número ' || (i % ($BIG / 2)),
       'Hola, el servicio ' || (i % 977) || ' no responde desde ' || (i % 31) || ' de enero; factura ' || i,
       'el servicio ' || (i % 977) || ' no responde', 'relleno.' || i || '@relleno.example', 1700000000 + i FROM n;
INSERT INTO raw_messages(message_id, bytes)
SELECT id, CAST('From: <' || author || '>' || char(13, 10) || 'Message-ID: <' || message_id || '>' || char(13, 10)
       || 'Subject: ' || subject || char(13, 10, 13, 10) || text || char(13, 10) AS BLOB)
  FROM messages WHERE message_id LIKE 'relleno.%';
INSERT INTO deliveries(dedup_key, department, action, ticket_id, created)
SELECT dedup_key, 'soporte', 'new', ticket_id, created FROM messages WHERE message_id LIKE 'relleno.%';
COMMIT;
-- One transaction leaves the million rows' full-text index as a single level-0 segment,
-- which FTS5 would then merge piece by piece inside the measured commits. A store grown
-- message by message has merged it long ago, into large segments at the upper levels:
-- optimize leaves it that way.
INSERT INTO messages_fts(messages_fts) VALUES ('optimize');
EOF
echo "prefilled $BIG messages in $(awk -v s="$t0" -v e="$(now)" 'BEGIN { printf "%.0f", e - s }') s: $(du -h "$WORK/ticketd.db" | cut -f1)"
start_ticketd -n
warm_up $T_PORT soporte@example.com
printf '\n%-28s %8s %8s %8s\n' "load, $(landed ticketd) stored" ticketd landed rss
for s in $SESSIONS; do
	set -- $(run "big-$s" ticketd smtp-source -L -s "$s" -m "$MESSAGES" -l 4096 -f cliente@example.org -t soporte@example.com 127.0.0.1:$T_PORT)
	printf '%-28s %8s %8s %8s\n' "smtp-source 4 KB, $s sess" "$1" "$2" "$4"
	set -- $(run "big-real-$s" ticketd perl "$WORK/client.pl" $T_PORT "$MESSAGES" "$s" "b$s")
	printf '%-28s %8s %8s %8s  p99 %s ms\n' "multipart es, $s sess" "$1" "$2" "$4" "$3"
done
