#!/bin/sh
# 52-imap-resilience - exactly once against a real Dovecot: a connection killed in the
# middle of a message loses and doubles nothing; a crash between the commit and the
# \Seen flag (state and flags rolled back by hand) re-fetches into duplicates, not
# tickets; a UIDVALIDITY change re-reads the mailbox and doubles nothing.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/imap-lib.sh"

imap_setup || { echo "Bail out! private dovecot did not start: $(tail -3 "$D/dovecot.log" 2>/dev/null)"; exit 1; }

# A TCP proxy to Dovecot's IMAPS port that cuts its first connection after LIMIT bytes
# from the server, and passes later connections whole.
cat > "$WORK/cut-proxy.pl" <<'PERL'
use strict; use warnings; use IO::Socket::INET; use IO::Select;
my ($target, $limit, $portfile) = @ARGV;
my $listen = IO::Socket::INET->new(Listen => 5, LocalAddr => '127.0.0.1:0', ReuseAddr => 1) or die "listen: $!";
open(my $out, '>', "$portfile.tmp") or die; print $out $listen->sockport, "\n"; close $out;
rename("$portfile.tmp", $portfile);
my $first = 1;
while (my $client = $listen->accept) {
	my $server = IO::Socket::INET->new("127.0.0.1:$target") or die "connect: $!";
	my $select = IO::Select->new($client, $server);
	my $down = 0;
	LOOP: while (1) {
		for my $fh ($select->can_read) {
			my $n = sysread($fh, my $buffer, 16384);
			last LOOP unless $n;
			if ($fh == $client) { syswrite($server, $buffer); next; }
			$down += $n;
			if ($first && $down > $limit) { syswrite($client, substr($buffer, 0, $n - ($down - $limit))); last LOOP; }
			syswrite($client, $buffer);
		}
	}
	close $client; close $server; $first = 0;
}
PERL
perl "$WORK/cut-proxy.pl" "$IMAPS_PORT" 100000 "$WORK/proxy.port" &
CLEANUP_PIDS="$CLEANUP_PIDS $!"
wait_for 5 test -s "$WORK/proxy.port"
PROXY_PORT=$(cat "$WORK/proxy.port")

write_config "" "$(imap_section soporte "imaps://localhost:$PROXY_PORT/INBOX" "ca_file=$D/test-ca.crt")"
fetch() { TICKETD_VERBOSE=1 "$TICKETCTL" -c "$CONF" fetch soporte --once >"$WORK/fetch.out" 2>"$WORK/fetch.err"; }
state() { sql "SELECT last_uid FROM imap_state WHERE source = 'soporte'"; }
messages() { sql "SELECT count(*) FROM messages"; }

deliver_mail 1 "" 60000 && deliver_mail 2 "" 60000 && deliver_mail 3 "" 60000
fetch
is $? 75 "a connection cut in the middle of the second message is a temporary failure"
is "$(tickets)" 1 "the first message, read whole, became a ticket"
is "$(mailbox_count INBOX seen)" 1 "only it is \\Seen"
is "$(state)" 1 "the last UID done is the first"
fetch
ok $? "the next pass succeeds"
is "$(tickets)" 3 "no message was lost"
is "$(messages)" 3 "and none was doubled"
is "$(mailbox_count INBOX seen)" 3 "all are \\Seen"
is "$(state)" 3 "the last UID done is the third"

# A crash after the commit, before the flag and the last UID were written.
doveadm -c "$DOVECOT_CONF" flags remove -u "$IMAP_USER" '\Seen' mailbox INBOX all
sql "UPDATE imap_state SET last_uid = 0"
fetch
ok $? "after a crash between commit and flag, the pass succeeds"
is "$(tickets)" 3 "re-fetched mail makes no second ticket"
is "$(messages)" 3 "and no second message"
is "$(grep -c "action=duplicate" "$WORK/fetch.err")" 3 "each is logged as a duplicate"
is "$(mailbox_count INBOX seen)" 3 "and flagged now"

# The server renumbers the mailbox.
doveadm -c "$DOVECOT_CONF" mailbox update -u "$IMAP_USER" --uid-validity 12345 INBOX
fetch
ok $? "a pass after a UIDVALIDITY change succeeds"
grep -q "UIDVALIDITY of INBOX changed from [0-9]* to 12345" "$WORK/fetch.err"
ok $? "the change is logged"
is "$(tickets)" 3 "re-reading the mailbox doubles no ticket"
is "$(messages)" 3 "and no message"
is "$(sql "SELECT uidvalidity || ':' || last_uid FROM imap_state")" "12345:3" "the new UIDVALIDITY is kept"
deliver_mail 4
fetch
is "$(tickets)" 4 "new mail after the change is fetched"

done_testing
