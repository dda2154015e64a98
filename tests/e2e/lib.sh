# lib.sh - the end-to-end tests' harness for shell (sourced; the demo and the bench
# source it too): TAP output, a private work directory, its configuration written
# from tests/e2e/ticketd.conf.in, smtp-sink, the daemon, a private Postfix, free ports
# and waits. The helpers are named as in tests/e2e/Harness.pm, which does the part
# that needs a socket or the template.
TOP=${TICKETD_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${TICKETD_BUILD:-$TOP/build}
HARNESS=$TOP/tests/e2e/Harness.pm
TICKETD=$BUILD/ticketd
TICKETCTL=$BUILD/ticketctl
WORK=${WORK:-$(mktemp -d "${TMPDIR:-/tmp}/ticketd-test.XXXXXX")}
CONF=$WORK/ticketd.conf
CLEANUP_PIDS=
TICKETD_PID=
SINK_PID=
tap_count=0
tap_failed=0
trap 'tap_cleanup' EXIT

# tap_cleanup: stop what the test started, show the daemon's log if it failed, remove $WORK.
tap_cleanup() {
	stop_postfix
	[ -z "$TICKETD_PID" ] || stop_ticketd KILL 2>/dev/null || true
	for pid in $SINK_PID $CLEANUP_PIDS; do kill "$pid" 2>/dev/null || true; done
	[ "$tap_failed" -eq 0 ] || diag_ticketd_log
	[ -n "${KEEP_WORK:-}" ] || rm -rf "$WORK"
}

ok() {       # ok CONDITION-EXIT-STATUS DESCRIPTION
	tap_count=$((tap_count + 1))
	if [ "$1" -eq 0 ]; then echo "ok $tap_count - $2"
	else echo "not ok $tap_count - $2"; tap_failed=$((tap_failed + 1)); fi
}

is() {       # is GOT EXPECTED DESCRIPTION
	tap_count=$((tap_count + 1))
	if [ "$1" = "$2" ]; then echo "ok $tap_count - $3"
	else echo "not ok $tap_count - $3"; echo "#   got:      '$1'"; echo "#   expected: '$2'"
		tap_failed=$((tap_failed + 1)); fi
}

done_testing() { echo "1..$tap_count"; [ "$tap_failed" -eq 0 ]; }

skip_all() { echo "1..0 # SKIP $1"; exit 0; }

# free_port: a loopback TCP port nobody listens on now.
free_port() { perl "$HARNESS" free_port; }
SINK_PORT=${SINK_PORT:-$(free_port)}
LMTP_PORT=${LMTP_PORT:-$(free_port)}

# wait_for_port PORT [SECONDS]: something accepts on 127.0.0.1:PORT (10 s by default).
wait_for_port() { perl "$HARNESS" wait_for_port "$1" "${2:-10}"; }

# now_ms: milliseconds since the epoch.
now_ms() { perl -MTime::HiRes=time -e 'printf "%d\n", time * 1000'; }

# wait_for SECONDS COMMAND...: run COMMAND every 20 ms until it succeeds; 1 on timeout.
wait_for() {
	limit=$(($(now_ms) + $1 * 1000))
	shift
	until "$@"; do
		[ "$(now_ms)" -lt "$limit" ] || return 1
		sleep 0.02
	done
}

# write_config [--SETTING VALUE]... [TICKETD-LINES [SECTIONS]]: $CONF from the template,
# the settings those of Harness.pm's write_config (staff, departments, listen, ticketd,
# lmtp, smtp, department:NAME, sections): by default the three departments of the
# fixtures and two agents; lines for [ticketd]; sections appended.
write_config() { perl "$HARNESS" write_config "$CONF" "$WORK" "$SINK_PORT" "$LMTP_PORT" "$@"; }

# daemon_user: who the daemon runs as: as root, nobody, as in production; else ourselves.
daemon_user() { if [ "$(id -u)" = 0 ]; then echo nobody; else id -un; fi; }

# work_for_daemon: as root, the work directory becomes daemon_user's, so it can write there.
work_for_daemon() {
	[ "$(id -u)" = 0 ] || return 0
	chown nobody:"$(id -gn nobody)" "$WORK" && chmod 0755 "$WORK"
}

# database_for_daemon: as root, the database (made now if absent: empty is valid) becomes
# daemon_user's too, so that a test's sqlite3 or ticketctl cannot leave it root's.
database_for_daemon() {
	[ "$(id -u)" = 0 ] || return 0
	[ -e "$WORK/ticketd.db" ] || : > "$WORK/ticketd.db"
	chown nobody:"$(id -gn nobody)" "$WORK"/ticketd.db*
}

# load_accounts: the account holders and sub-accounts the fixtures were written for.
load_accounts() {
	"$TICKETCTL" -c "$CONF" account import "$TOP/maildir-fixtures/accounts.csv" || return 1
	tail -n +2 "$TOP/maildir-fixtures/subaccounts.csv" | while IFS=, read -r account email notify can_open; do
		set --
		[ "$notify" = 1 ] && set -- "$@" --notify
		[ "$can_open" = 1 ] && set -- "$@" --can-open
		"$TICKETCTL" -c "$CONF" subaccount add "$@" "$account" "$email" || return 1
	done
}

# sql QUERY: sqlite3's answer from the test's database; as root, run as the database's
# owner, so files it makes stay writable by the daemon.
sql() {
	owner=$(stat -c %U "$WORK/ticketd.db" 2>/dev/null || echo root)
	if [ "$(id -u)" = 0 ] && [ "$owner" != root ]; then runuser -u "$owner" -- sqlite3 "$WORK/ticketd.db" "$1"
	else sqlite3 "$WORK/ticketd.db" "$1"; fi
}

# start_sink [OPTION...]: Postfix's smtp-sink on $SINK_PORT, one file per mail in
# $WORK/sink, its output in $WORK/sink.log. Skips the whole test when it is not installed.
start_sink() {
	sink=$(command -v smtp-sink || echo /usr/sbin/smtp-sink)
	[ -x "$sink" ] || skip_all "smtp-sink (Postfix) is not installed"
	mkdir -p "$WORK/sink"
	"$sink" -u "$(id -un)" -d "$WORK/sink/%M." "$@" "127.0.0.1:$SINK_PORT" 50 >>"$WORK/sink.log" 2>&1 &
	SINK_PID=$!
	wait_for_port "$SINK_PORT" 5
}

stop_sink() {
	[ -n "$SINK_PID" ] || return 0
	kill "$SINK_PID" 2>/dev/null || true
	wait "$SINK_PID" 2>/dev/null || true
	SINK_PID=
}

# sink_count FIXED-STRING: how many received mails contain it.
sink_count() { grep -lF -- "$1" "$WORK"/sink/* 2>/dev/null | wc -l | tr -d ' '; }

# start_ticketd [FLAG...]: ticketd -f FLAGS on $CONF, its stderr in $WORK/ticketd.log;
# returns once every listener of the configuration answers. Sets TICKETD_PID.
start_ticketd() {
	"$TICKETD" -f "$@" -c "$CONF" 2>>"$WORK/ticketd.log" &
	TICKETD_PID=$!
	perl "$HARNESS" wait_for_ticketd "$CONF"
}

# wait_ticketd: wait for the daemon to exit; returns its exit status.
wait_ticketd() {
	wait "$TICKETD_PID"
	set -- $?
	TICKETD_PID=
	return "$1"
}

# stop_ticketd [SIGNAL]: signal the daemon (TERM) and wait; returns its exit status.
stop_ticketd() { kill -"${1:-TERM}" "$TICKETD_PID"; wait_ticketd; }

# diag_ticketd_log: the end of the daemon's log, for a test that failed.
diag_ticketd_log() {
	[ -s "$WORK/ticketd.log" ] || return 0
	{ echo "# the last lines of $WORK/ticketd.log:"; tail -20 "$WORK/ticketd.log" | sed 's/^/#   /'; } >&2
}

# postfix_sample_lines LAYOUT: etc/postfix/main.cf.sample's active lines and those of
# its layout LAYOUT (relay, local, virtual) uncommented, as written.
postfix_sample_lines() {
	awk -v want="$1" '
		/^# Layout "/ { split($0, part, "\""); layout = part[2] }
		/^#L / { if (layout == want) print substr($0, 4); next }
		/^[^#]/ { print }' "$TOP/etc/postfix/main.cf.sample"
}

# start_postfix LAYOUT: a private Postfix (config, queue and data under $WORK/postfix;
# the system's is not touched) taking SMTP on $SMTP_PORT: its own lines (paths, port,
# logging) followed by the shipped etc/postfix/*.sample with LAYOUT's lines, so that
# the samples are what the tests run. ticketd's socket is $PF/spool/private/ticketd-lmtp.
# Returns 1 if postconf -n or postfix check warned (said in $PF/warnings) or Postfix
# did not start.
start_postfix() {
	PF=$WORK/postfix
	SMTP_PORT=$(free_port)
	rm -rf "$PF"
	chmod 0755 "$WORK"
	mkdir -p "$PF/etc" "$PF/spool" "$PF/data"
	chown postfix "$PF/data"
	cat > "$PF/etc/main.cf" <<EOF
compatibility_level = 3.6
queue_directory = $PF/spool
data_directory = $PF/data
daemon_directory = $(postconf -dh daemon_directory)
meta_directory = /etc/postfix
mail_owner = postfix
setgid_group = postdrop
myhostname = mx.test.invalid
mydomain = test.invalid
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
default_transport = discard
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
alias_maps =
alias_database =
maillog_file = $PF/maillog
maillog_file_prefixes = $PF
queue_run_delay = 1s
minimal_backoff_time = 1s
maximal_backoff_time = 2s
smtpd_banner = \$myhostname ESMTP
EOF
	postfix_sample_lines "$1" >> "$PF/etc/main.cf"
	cat > "$PF/etc/master.cf" <<EOF
127.0.0.1:$SMTP_PORT inet n - n - - smtpd
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
local     unix  -       n       n       -       -       local
virtual   unix  -       n       n       -       -       virtual
lmtp      unix  -       -       n       -       -       lmtp
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
EOF
	grep -v '^#' "$TOP/etc/postfix/master.cf.sample" >> "$PF/etc/master.cf"
	{ postconf -c "$PF/etc" -n >/dev/null; postfix -c "$PF/etc" check; } > "$PF/warnings" 2>&1
	[ ! -s "$PF/warnings" ] || return 1
	postfix -c "$PF/etc" start >/dev/null 2>&1 || return 1
	wait_for_port "$SMTP_PORT" 5
}

stop_postfix() {
	[ -f "${PF:-/nonexistent}/etc/main.cf" ] || return 0
	postfix -c "$PF/etc" stop >/dev/null 2>&1
	for _ in 1 2 3 4 5 6 7 8 9 10; do
		[ -s "$PF/spool/pid/master.pid" ] && kill -0 "$(cat "$PF/spool/pid/master.pid")" 2>/dev/null || break
		sleep 0.5
	done
}
