# lib.sh - shared by the end-to-end tests (sourced): TAP output, a private work
# directory, a configuration for it, and the built binaries.
TOP=${TICKETD_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${TICKETD_BUILD:-$TOP/build}
TICKETD=$BUILD/ticketd
TICKETCTL=$BUILD/ticketctl
WORK=$(mktemp -d "${TMPDIR:-/tmp}/ticketd-test.XXXXXX")
CONF=$WORK/ticketd.conf
tap_count=0
tap_failed=0
trap 'tap_cleanup' EXIT

tap_cleanup() {
	for pid in $CLEANUP_PIDS; do kill "$pid" 2>/dev/null; done
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

# write_config [EXTRA-INI-TEXT]: the three departments of the fixtures, two agents.
write_config() {
	cat > "$CONF" <<CONF
[ticketd]
database = $WORK/ticketd.db
domain = example.com
staff = agente1@example.com, agente2@example.com
templates = $TOP/etc/templates
pid_file = $WORK/ticketd.pid
${1:-}

[department:soporte]
name = Soporte técnico
address = soporte@example.com

[department:facturacion]
name = Facturación
address = facturacion@example.com

[department:ventas]
name = Ventas
address = ventas@example.com
${2:-}
CONF
	chmod 640 "$CONF"
}

# daemon_user: whom a test's daemon drops to. ticketd started as root refuses to stay
# root, so as root that is nobody; otherwise the test's own user.
daemon_user() { if [ "$(id -u)" = 0 ]; then echo nobody; else id -un; fi; }

# give_work_to_daemon: as root, the work directory and the database become the daemon
# user's, who creates the database's -wal and -shm next to it and removes the pid file.
# The database is made now (empty is valid), so a test's sqlite3 polling cannot make it root's.
give_work_to_daemon() {
	[ "$(id -u)" = 0 ] || return 0
	[ -e "$WORK/ticketd.db" ] || : > "$WORK/ticketd.db"
	chown nobody "$WORK" "$WORK"/ticketd.db* 2>/dev/null
	chmod 0755 "$WORK"
}

# load_accounts: the account holders and sub-accounts the fixtures were written for.
load_accounts() {
	"$TICKETCTL" -c "$CONF" account import "$TOP/maildir-fixtures/accounts.csv" >/dev/null || return 1
	tail -n +2 "$TOP/maildir-fixtures/subaccounts.csv" | while IFS=, read -r account email notify can_open; do
		set --
		[ "$notify" = 1 ] && set -- "$@" --notify
		[ "$can_open" = 1 ] && set -- "$@" --can-open
		"$TICKETCTL" -c "$CONF" subaccount add "$@" "$account" "$email" || return 1
	done
}

# sql QUERY: one value from the test's database.
sql() { sqlite3 "$WORK/ticketd.db" "$1"; }

# start_sink: Postfix's smtp-sink on a free loopback port, one file per mail in
# $WORK/sink; sets SINK_PORT. Skips the whole test when smtp-sink is not installed.
start_sink() {
	sink=$(command -v smtp-sink || echo /usr/sbin/smtp-sink)
	[ -x "$sink" ] || skip_all "smtp-sink (Postfix) is not installed"
	SINK_PORT=$(perl -MIO::Socket::INET -e 'print IO::Socket::INET->new(Listen => 1, LocalAddr => "127.0.0.1:0")->sockport')
	mkdir -p "$WORK/sink"
	"$sink" -u root -d "$WORK/sink/%M." "127.0.0.1:$SINK_PORT" 10 &
	CLEANUP_PIDS="$CLEANUP_PIDS $!"
}

# sink_count FIXED-STRING: how many received mails contain it.
sink_count() { grep -lF -- "$1" "$WORK"/sink/* 2>/dev/null | wc -l | tr -d ' '; }
