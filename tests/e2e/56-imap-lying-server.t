#!/bin/sh
# 56-imap-lying-server - a server whose RFC822.SIZE understates the message it then
# sends: the read stops at max_message_size (never the whole literal in memory), the
# message is left in the mailbox and skipped, and the next pass goes on with the rest.
# A fake plaintext server on loopback, so this also runs insecure_plaintext = yes.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/imap-lib.sh"

cat > "$WORK/liar.pl" <<'PERL'
use strict; use warnings; use IO::Socket::INET;
$SIG{PIPE} = 'IGNORE';
my ($portfile, $log) = @ARGV;
my $listen = IO::Socket::INET->new(Listen => 5, LocalAddr => '127.0.0.1:0', ReuseAddr => 1) or die;
open(my $p, '>', "$portfile.tmp") or die; print $p $listen->sockport, "\n"; close $p;
rename("$portfile.tmp", $portfile);
open(my $out, '>', $log) or die; $out->autoflush(1);
my $small = "From: Cliente <cliente\@example.net>\r\nTo: soporte\@example.com\r\n"
	. "Subject: Consulta\r\nMessage-ID: <liar-2\@example.net>\r\n\r\nHola.\r\n";
while (my $c = $listen->accept) {
	$c->autoflush(1);
	print $c "* OK fake server ready\r\n";
	while (my $line = <$c>) {
		print $out $line;
		my ($tag, @words) = split ' ', $line;
		my $command = uc(join ' ', @words);
		if ($command =~ /^CAPABILITY/) { print $c "* CAPABILITY IMAP4rev1 UIDPLUS\r\n$tag OK done\r\n"; }
		elsif ($command =~ /^SELECT/) { print $c "* 2 EXISTS\r\n* OK [UIDVALIDITY 42] ok\r\n$tag OK [READ-WRITE] done\r\n"; }
		elsif ($command =~ /^UID SEARCH/) { print $c "* SEARCH 1 2\r\n$tag OK done\r\n"; }
		elsif ($command =~ /^UID FETCH (\d+) \(UID RFC822\.SIZE\)/) {
			print $c "* $1 FETCH (UID $1 RFC822.SIZE 500)\r\n$tag OK done\r\n";
		} elsif ($command =~ /^UID FETCH 1 /) {
			print $c "* 1 FETCH (UID 1 BODY[] {3000000}\r\n";
			print $c ("x" x 999 . "\n") for 1 .. 3000;
			print $c ")\r\n$tag OK done\r\n";
		} elsif ($command =~ /^UID FETCH 2 /) {
			printf $c "* 2 FETCH (UID 2 BODY[] {%d}\r\n%s)\r\n$tag OK done\r\n", length $small, $small;
		} elsif ($command =~ /^LOGOUT/) { print $c "* BYE\r\n$tag OK bye\r\n"; last; }
		else { print $c "$tag OK done\r\n"; }
	}
	close $c;
}
PERL
perl "$WORK/liar.pl" "$WORK/liar.port" "$WORK/liar.log" &
CLEANUP_PIDS="$CLEANUP_PIDS $!"
wait_for 5 test -s "$WORK/liar.port"
printf 'clave\n' > "$WORK/imap.secret"; chmod 600 "$WORK/imap.secret"
write_config "max_message_size = 100000" \
	"$(imap_section liar "imap://127.0.0.1:$(cat "$WORK/liar.port")/INBOX" insecure_plaintext=yes)"
fetch() { timeout 60 "$TICKETCTL" -c "$CONF" fetch liar --once >/dev/null 2>"$WORK/err"; }

fetch
is $? 75 "a literal larger than announced cuts the pass (the connection is unusable)"
grep -q "UID 1 of INBOX is over max_message_size 100000: left in the mailbox" "$WORK/err"
ok $? "the message is reported: $(head -1 "$WORK/err")"
is "$(sql "SELECT last_uid FROM imap_state")" 1 "and skipped for good"
fetch
ok $? "the next pass succeeds"
is "$(tickets)" 1 "the next message became a ticket"
grep -q "UID STORE 2 +FLAGS.SILENT (\\\\Seen)" "$WORK/liar.log"
ok $? "and was flagged \\Seen"
grep -q "UID STORE 1" "$WORK/liar.log"
ok $((! $?)) "the oversized one was not touched"

done_testing
