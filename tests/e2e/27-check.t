#!/bin/sh
# 27-check - what a postmaster meets in the first hour. `ticketd check` prints nothing
# for a set-up as make install leaves it, and one line with what to run for each
# problem planted in it (owners and modes, a missing secret or template, a master.cf
# service that would take ticketd's socket, a relay that does not answer, ...).
# Configuration mistakes are refused with file and line; --help and --version; a
# daemon that cannot start says why on the terminal and exits 75; a database made
# by root through ticketctl belongs to the daemon's user; a staff member who may not
# write is told how to get write access; list --status takes the Spanish labels.
. "$(dirname "$0")/lib.sh"

[ -x "$TICKETD" ] || skip_all "$TICKETD is not built"
[ "$(id -u)" = 0 ] || skip_all "owners and modes are planted as root"
command -v setpriv >/dev/null || skip_all "no setpriv"
command -v postconf >/dev/null || skip_all "postfix is not installed"
start_sink
GROUP=$(id -gn nobody)
PORT=$(perl -MIO::Socket::INET -e 'print IO::Socket::INET->new(Listen => 1, LocalAddr => "127.0.0.1:0")->sockport')

# The set-up make install leaves, in $WORK: config and secret root:GROUP 0640, the
# database directory nobody 0750, and a Postfix configuration of its own (MAIL_CONFIG).
chmod 0755 "$WORK"
write_config --smtp "" --listen "unix:$WORK/pf/spool/private/ticketd-lmtp, inet:127.0.0.1:$PORT" "user = nobody
secret_file = $WORK/secret"
sed -i "s|^database = .*|database = $WORK/db/ticketd.db|" "$CONF"
chgrp "$GROUP" "$CONF"
(umask 027; od -An -tx1 -N32 /dev/urandom | tr -d '[:space:]' > "$WORK/secret"; echo >> "$WORK/secret")
chgrp "$GROUP" "$WORK/secret"
install -d -o nobody -g "$GROUP" -m 0750 "$WORK/db"
mkdir -p "$WORK/pf/etc" "$WORK/pf/spool/private"
printf 'compatibility_level = 3.6\nqueue_directory = %s\n' "$WORK/pf/spool" > "$WORK/pf/etc/main.cf"
printf 'smtp inet n - y - - smtpd\nlmtp unix - - y - - lmtp\n' > "$WORK/pf/etc/master.cf"
grep -v '^#' "$TOP/etc/postfix/master.cf.sample" >> "$WORK/pf/etc/master.cf"
export MAIL_CONFIG="$WORK/pf/etc"

check() { "$TICKETD" check -c "$CONF" > "$WORK/check" 2>&1; }
check; is $? 0 "ticketd check: exit 0 on the set-up make install leaves"
is "$(cat "$WORK/check")" "" "and prints nothing"

# planted PROBLEM-TEXT DESCRIPTION - check finds it: exit 1 and a line that says so.
planted() {
	check; is $? 1 "$2: exit 1"
	grep -qF -- "$1" "$WORK/check"; ok $? "$2: says so"
	[ "$(grep -c . "$WORK/check")" = 1 ]; ok $? "$2: in one line"
	grep -q "run \|set \|start \|copy \|use " "$WORK/check"; ok $? "$2: with what to do"
}
chgrp root "$CONF"; planted "chown root:$GROUP $CONF && chmod 0640 $CONF" "configuration not in the daemon's group"
chgrp "$GROUP" "$CONF"
mv "$WORK/secret" "$WORK/secret.x"; planted "secret_file $WORK/secret: No such file" "secret missing"
mv "$WORK/secret.x" "$WORK/secret"; chmod 0660 "$WORK/secret"
planted "chmod 0640 $WORK/secret" "secret writable by the group"
chmod 0640 "$WORK/secret"
chown root "$WORK/db"; planted "database directory $WORK/db: owner 0" "database directory not the daemon's"
chown nobody "$WORK/db"
touch "$WORK/db/ticketd.db-wal"; planted "database $WORK/db/ticketd.db-wal: owner 0, not nobody" "a root-owned -wal file"
rm "$WORK/db/ticketd.db-wal"
cp -R "$TOP/etc/templates" "$WORK/templates"; rm "$WORK/templates/en/status.txt"
sed -i "s|^templates = .*|templates = $WORK/templates|" "$CONF"
planted "template $WORK/templates/en/status.txt" "an English template missing"
rm -r "$WORK/templates/en"; planted "$WORK/templates/en: no such directory" "a language's templates missing"
sed -i "s|^templates = .*|templates = $TOP/etc/templates|" "$CONF"
echo 'ticketd-lmtp unix - - y - - lmtp' >> "$WORK/pf/etc/master.cf"
planted "is the socket of Postfix's master.cf service \"ticketd-lmtp\"" "a master.cf service that takes ticketd's socket"
sed -i '$d' "$WORK/pf/etc/master.cf"
sed -i "s|^url = .*|url = smtp://127.0.0.1:1|" "$CONF"; planted "[smtp] url smtp://127.0.0.1:1: Connection refused" "the relay down"
sed -i "s|^url = .*|url = smtp://127.0.0.1:$SINK_PORT|" "$CONF"
sed -i "s|^user = nobody|user = nadie-tal-vez|" "$CONF"; planted "[ticketd] user nadie-tal-vez: no such user" "no such user"
sed -i "s|^user = .*|user = nobody|" "$CONF"
sed -i "s|^\[lmtp\]|[lmtp]\nallow_remote = yes|" "$CONF"; planted "allow_remote = yes" "allow_remote said aloud"
sed -i "/^allow_remote/d" "$CONF"
check; is $? 0 "all put back: nothing found again"

# Configuration mistakes: refused with file and line, exit 78, "fatal:".
refused() {  # refused SED-SCRIPT EXPECTED DESCRIPTION [CHECK-EXIT]
	cp "$CONF" "$WORK/bad.conf"; sed -i "$1" "$WORK/bad.conf"
	"$TICKETD" -f -c "$WORK/bad.conf" 2>"$WORK/err" </dev/null; is $? 78 "$3: exit 78"
	grep -qF "ticketd: fatal: $WORK/bad.conf:$2" "$WORK/err"; ok $? "$3: fatal:, with file and line"
	"$TICKETD" check -c "$WORK/bad.conf" >/dev/null; is $? "${4:-78}" "$3: ticketd check exits ${4:-78}"
}
refused "s|^domain = example.com|domain = example.com\ndomain = example.org|" "4: [ticketd] domain: given twice (first on line 3)" "a key given twice"
refused "s|^user = nobody|language = es_ES|" "7: [ticketd] language: unknown language \"es_ES\"" "language = es_ES"
refused "s|^templates = .*|templates = /nonexistent|" "5: [ticketd] templates: /nonexistent: no such directory" "missing templates" 1
refused "s|^listen = .*|listen = inet:0.0.0.0:2424|" "" "a listener off the loopback"
grep -qF "[lmtp] listen: \"inet:0.0.0.0:2424\" is not a loopback address" "$WORK/err"; ok $? "which says why"
cp "$CONF" "$WORK/remote.conf"; sed -i "s|^listen = .*|listen = inet:0.0.0.0:2424\nallow_remote = yes|" "$WORK/remote.conf"
"$TICKETD" check -c "$WORK/remote.conf" | grep -q "allow_remote = yes"; ok $? "allow_remote = yes lets it load"

# --help and --version.
"$TICKETD" --help >"$WORK/out"; is $? 0 "ticketd --help: exit 0"
grep -q "ticketd check" "$WORK/out"; ok $? "and the usage names ticketd check"
is "$("$TICKETD" --version)" "ticketd $(sed -n 's/.*TICKETD_VERSION "\(.*\)"/\1/p' "$TOP/include/version.h")" "ticketd --version"
"$TICKETCTL" --version | grep -q "^ticketctl [0-9]"; ok $? "ticketctl --version"
"$TICKETCTL" --help | grep -q "^usage: ticketctl"; ok $? "ticketctl --help"
"$TICKETD" --bogus 2>/dev/null; is $? 64 "an unknown option: 64"

# A daemon that cannot bind says so on the terminal before detaching, exits 75,
# and leaves no pid file behind.
perl -MIO::Socket::INET -e 'my $s = IO::Socket::INET->new(Listen => 1, LocalAddr => "127.0.0.1:$ARGV[0]", ReuseAddr => 1) or die; sleep 10' "$PORT" &
BLOCKER=$!; CLEANUP_PIDS="$CLEANUP_PIDS $BLOCKER"
sleep 0.5
"$TICKETD" -c "$CONF" 2>"$WORK/err"; is $? 75 "a bind failure in daemon mode: exit 75"
grep -q "^ticketd: fatal: inet:127.0.0.1:$PORT: Address already in use" "$WORK/err"; ok $? "said on stderr as fatal:"
[ ! -e "$WORK/pf/spool/private/ticketd-lmtp" ]; ok $? "the unix socket it had bound is removed"
kill "$BLOCKER"

# ticketctl as root makes the database the daemon's user's.
"$TICKETCTL" -c "$CONF" account import "$TOP/maildir-fixtures/accounts.csv" >/dev/null; ok $? "root imports the accounts first"
is "$(stat -c %U "$WORK/db/ticketd.db")" nobody "the database it made belongs to the daemon's user"
check; is "$(cat "$WORK/check")" "" "and ticketd check is content"
printf 'From: Ana <ana@cliente.es>\nTo: soporte@example.com\nSubject: Ayuda\nMessage-ID: <c1@cliente.es>\n\nHola.\n' |
	"$TICKETD" deliver -c "$CONF" -r soporte@example.com 2>/dev/null
code=$(sqlite3 "$WORK/db/ticketd.db" "select code from tickets")
[ -n "$code" ]; ok $? "a mail becomes a ticket"

# list --status: the Spanish labels, and no silent empty list for a typo.
"$TICKETCTL" -c "$CONF" list --status abierto | grep -q "$code"; ok $? "list --status abierto lists the open ticket"
"$TICKETCTL" -c "$CONF" list --status Abierto | grep -q "$code"; ok $? "Abierto too"
"$TICKETCTL" -c "$CONF" list --status open | grep -q "$code"; ok $? "and the name open"
"$TICKETCTL" -c "$CONF" list --status abiertos >/dev/null 2>"$WORK/err"; is $? 64 "an unknown status: exit 64"
grep -q 'unknown status "abiertos"' "$WORK/err"; ok $? "and says so"

# A staff member who may not write: told how to get write access, no crash.
as_staff() { setpriv --reuid nobody --regid "$GROUP" --clear-groups "$@"; }
chown root "$WORK/db/ticketd.db"; chmod 0644 "$WORK/db/ticketd.db"; chmod 0755 "$WORK/db"; chown root "$WORK/db"
echo "nota" > "$WORK/nota"; chmod 0644 "$WORK/nota"
for command in "note $code --file $WORK/nota" "reply $code --file $WORK/nota" "assign $code agente2@example.com" \
	"status $code pending"; do
	as_staff "$TICKETCTL" -c "$CONF" $command --actor agente1@example.com >/dev/null 2>"$WORK/err" </dev/null
	is $? 77 "read-only database: $command exits 77 (no crash)"
	grep -q "Staff get write access, as root: usermod -aG $GROUP nobody" "$WORK/err"; ok $? "$command: says how to get write access"
done
done_testing
