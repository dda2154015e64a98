#!/bin/sh
# 55-imap-starttls-abuse - imap:// never falls back to clear text: against a fake server
# that offers no STARTTLS, or that injects a response after "OK Begin TLS"
# (CVE-2020-15953), ticketctl gives up without sending LOGIN.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/imap-lib.sh"

# fake-imap.pl MODE PORTFILE LOG: one plaintext IMAP session, every command logged.
cat > "$WORK/fake-imap.pl" <<'PERL'
use strict; use warnings; use IO::Socket::INET;
my ($mode, $portfile, $log) = @ARGV;
my $listen = IO::Socket::INET->new(Listen => 1, LocalAddr => '127.0.0.1:0', ReuseAddr => 1) or die;
open(my $p, '>', "$portfile.tmp") or die; print $p $listen->sockport, "\n"; close $p;
rename("$portfile.tmp", $portfile);
open(my $out, '>', $log) or die; $out->autoflush(1);
my $c = $listen->accept or die;
$c->autoflush(1);
my $caps = $mode eq 'nostarttls' ? 'IMAP4rev1 AUTH=PLAIN' : 'IMAP4rev1 STARTTLS AUTH=PLAIN';
print $c "* OK fake server ready\r\n";
while (my $line = <$c>) {
	print $out $line;
	my ($tag, $command) = split ' ', $line;
	$command = uc($command // '');
	if ($command eq 'CAPABILITY') { print $c "* CAPABILITY $caps\r\n$tag OK done\r\n"; }
	elsif ($command eq 'STARTTLS') { print $c "$tag OK Begin TLS negotiation now\r\n* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\n"; }
	elsif ($command eq 'LOGOUT') { print $c "* BYE\r\n$tag OK bye\r\n"; last; }
	else { print $c "$tag OK whatever\r\n"; }
}
close $c;
PERL

for mode in nostarttls inject; do
	rm -f "$WORK/fake.port"
	perl "$WORK/fake-imap.pl" "$mode" "$WORK/fake.port" "$WORK/fake-$mode.log" &
	CLEANUP_PIDS="$CLEANUP_PIDS $!"
	wait_for 5 test -s "$WORK/fake.port"
	printf 'clave\n' > "$WORK/imap.secret"; chmod 600 "$WORK/imap.secret"
	write_config "" "$(imap_section fake "imap://localhost:$(cat "$WORK/fake.port")/INBOX")"
	timeout 30 "$TICKETCTL" -c "$CONF" fetch fake --once >/dev/null 2>"$WORK/err"
	code=$?
	case $mode in
	nostarttls)
		is $code 78 "a server without STARTTLS is refused for imap://"
		grep -q "offers no STARTTLS and imap:// requires it" "$WORK/err"
		ok $? "with the reason: $(cat "$WORK/err")" ;;
	inject)
		is $code 75 "a response injected after OK Begin TLS drops the connection"
		grep -q "STARTTLS with localhost failed" "$WORK/err"
		ok $? "with the reason: $(cat "$WORK/err")" ;;
	esac
	grep -qi " LOGIN " "$WORK/fake-$mode.log"
	ok $((! $?)) "$mode: no LOGIN was sent in clear text"
	wait
done

done_testing
