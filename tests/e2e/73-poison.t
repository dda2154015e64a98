#!/usr/bin/perl
# 73-poison - a poisoned message cannot wedge the queue. ticketd runs with a preloaded
# stand-in for a parser bug (tests/support/poison-shim.c): a message whose subject holds
# VENENO-CRASH aborts the parser, one with VENENO-HANG never returns. The worker
# process dies (or its watchdog kills it past parse_timeout); the supervisor keeps
# the listener, starts a new worker, and after parse_failures deaths on one message
# its next delivery is stored raw and held. Other sessions go on meanwhile.
use strict;
use warnings;
use Test::More;
use IO::Socket::INET;
use POSIX ();
use Time::HiRes qw(sleep time);
use FindBin;
use lib $FindBin::Bin;
use Harness;

plan skip_all => "$TICKETD is not built" unless -x $TICKETD;
plan skip_all => "$BUILD/tests/poison-shim.so is not built" unless -e "$BUILD/tests/poison-shim.so";

work_for_daemon();
write_config(staff => '', departments => 'soporte', lmtp => '',
             ticketd => 'user = ' . daemon_user() . "\nparse_failures = 2\nparse_timeout = 5");
{
	local $ENV{LD_PRELOAD} = "$BUILD/tests/poison-shim.so";
	local $ENV{ASAN_OPTIONS} = join ':', grep { defined } $ENV{ASAN_OPTIONS}, 'verify_asan_link_order=0';
	start_ticketd('-n');
}
my $daemon = $TICKETD_PID;

sub mail {
	my ($id, $subject) = @_;
	return "From: Cliente <cliente\@cliente.es>\r\nTo: soporte\@example.com\r\nSubject: $subject\r\n"
	     . "Message-ID: <$id\@cliente.es>\r\n\r\nHola.\r\n";
}

# deliver - one LMTP transaction; the reply to the data ('' when the connection broke).
sub deliver {
	my ($mail) = @_;
	my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1:$LMTP_PORT", Timeout => 40) or return "connect: $!";
	$s->autoflush(1);
	return 'no greeting' unless lmtp_reply($s) =~ /^220/;
	for my $command ("LHLO poison.test", 'MAIL FROM:<cliente@cliente.es>', 'RCPT TO:<soporte@example.com>') {
		print $s "$command\r\n";
		return "refused: $command" unless lmtp_reply($s) =~ /^250/;
	}
	print $s "DATA\r\n";
	return 'no 354' unless lmtp_reply($s) =~ /^354/;
	print $s $mail . ".\r\n";
	my $r = lmtp_reply($s);
	print $s "QUIT\r\n" if $r ne '';
	return $r;
}

# worker_pid - the supervisor's child that runs as the daemon's user (as root, the other
# child is the cleaner, which keeps root to remove the sockets and the pid file).
sub worker_pid { my $pid = `pgrep -P $daemon -u ${\ daemon_user()}`; chomp $pid; return $pid }

sub wait_for_log { my ($pattern, $seconds) = @_; return wait_for($seconds, sub { ticketd_log() =~ $pattern }) }

like(deliver(mail('sano-1', 'Consulta normal')), qr/^250 /, 'a normal message is delivered');
my $first_worker = worker_pid();
ok($first_worker, "the supervisor ($daemon) runs a worker ($first_worker)");

# A message that crashes the parser: the session breaks, no reply is a 250 or a 5xx.
is(deliver(mail('veneno-1', 'VENENO-CRASH factura')), '', 'a crashing message: the connection breaks, no reply');
ok(wait_for_log(qr/worker $first_worker was killed by signal 6/, 5), 'the worker death is logged');
like(ticketd_log(), qr/message sha256:[0-9a-f]{16}: the worker .* \(failure 1 of 2\)/, 'the message is blamed once');
ok(kill(0, $daemon), 'the supervisor is still running');
like(deliver(mail('sano-2', 'Otra consulta')), qr/^250 /, 'the listener stayed: the next session is served');
isnt(worker_pid(), $first_worker, 'by a new worker');

# Like Postfix, deliver again: a second death, then it is held raw instead of parsed.
is(deliver(mail('veneno-1', 'VENENO-CRASH factura')), '', 'the retry crashes the worker again');
ok(wait_for_log(qr/\(failure 2 of 2\); its next delivery is kept raw and held/, 5), 'its second failure is the last');
like(deliver(mail('veneno-1', 'VENENO-CRASH factura')), qr/^250 /, 'the third delivery gets a 250');
is(sql("select count(*) from held where reason like '%parse_failures%'"), 1, 'the message is held for a person');
my $raw = sql("select cast(raw as text) from held where reason like '%parse_failures%'");
my $sent = mail('veneno-1', 'VENENO-CRASH factura') =~ s/\s+\z//r;       # sql() trims the end
ok($raw =~ /^Return-Path: <cliente\@cliente\.es>\r\nReceived: / && substr($raw, -length $sent) eq $sent,
   'with its raw bytes, all of them, after the trace headers of the delivery');
like(ticketd_log(), qr/failed on it 2 times \(parse_failures\); it is not parsed again/, 'and a log line says why');
like(deliver(mail('veneno-1', 'VENENO-CRASH factura')), qr/^250 /, 'a fourth delivery is accepted');
is(sql("select count(*) from held where reason like '%parse_failures%'"), 1, 'and changes nothing');

# A message that hangs the parser: other sessions go on; past parse_timeout the worker
# is stopped and replaced, and the message blamed.
my $hung = fork // die;
if ($hung == 0) { POSIX::_exit(deliver(mail('cuelga-1', 'VENENO-HANG dominio')) eq '' ? 0 : 1) }
sleep 1;
my $t0 = time;
like(deliver(mail('sano-3', 'Consulta durante el cuelgue')), qr/^250 /, 'while one message hangs, another is delivered');
cmp_ok(time - $t0, '<', 3, 'without waiting for it');
waitpid $hung, 0;
is($? >> 8, 0, 'the hung session breaks without a reply');
like(ticketd_log(), qr/worked on for more than 5 s \(parse_timeout\)/, 'the watchdog says why');
# The session breaks when the worker dies; the supervisor logs the blame once it has reaped it.
my $blamed = qr/was killed by signal 9 .*\n(?:.*\n)*?.*\(failure 1 of 2\)/;
wait_for_log($blamed, 5);
like(ticketd_log(), $blamed, 'and the hanging message is blamed');
like(deliver(mail('sano-4', 'Después del cuelgue')), qr/^250 /, 'a new worker serves the next session');

# A worker killed by hand while idle: replaced, and no message is blamed.
my $before = () = ticketd_log() =~ /\(failure \d of 2\)/g;
my $idle = worker_pid();
kill 'KILL', $idle;
ok(wait_for_log(qr/worker $idle was killed by signal 9/, 5), 'an idle worker killed by hand is noticed');
like(deliver(mail('sano-5', 'Tras matar al trabajador')), qr/^250 /, 'and replaced');
my $after = () = ticketd_log() =~ /\(failure \d of 2\)/g;
is($after, $before, 'no message is blamed for it');

is(sql("select count(*) from tickets"), 5, 'the five normal messages opened their tickets, the poisoned none');
is(sql("select count(*) from messages where message_id like 'veneno%' or message_id like 'cuelga%'"), 0,
   'no poisoned message was threaded');

is(stop_ticketd(), 0, 'SIGTERM: the supervisor and its worker stop, exit 0');
done_testing();
