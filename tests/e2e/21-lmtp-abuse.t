#!/usr/bin/perl
# 21-lmtp-abuse - what a broken or hostile client, and a failing store, do to the
# running daemon: over-long lines, NUL bytes, bare CR and LF around the final dot,
# DATA without RCPT, pipelining past a rejected RCPT, a disconnect inside DATA, too
# much mail, and a store that fails (a trigger) or is locked (a second sqlite3 holding
# BEGIN IMMEDIATE): those answer 451 4.3.0, and only that message.
use strict;
use warnings;
use Test::More;
use IO::Select;
use FindBin;
use lib $FindBin::Bin;
use Harness;

plan skip_all => "$TICKETD is not built" unless -x $TICKETD;
my $as_root = $< == 0;
work_for_daemon();
my $locker;
END { kill 'TERM', $locker if $locker }

write_config(staff => '', departments => 'soporte',
             ticketd => "user = ${\ daemon_user()}\nmax_message_size = 100000",
             lmtp => "max_connections = 20\nmax_recipients = 10\nidle_timeout = 30");

# A short busy timeout, so a locked database answers 451 quickly.
$ENV{TICKETD_BUSY_TIMEOUT} = 1000;
ok(start_ticketd(), 'the daemon is up') or BAIL_OUT('no daemon');

# connect_lmtp - a session past its greeting.
sub connect_lmtp {
	my $s = lmtp_connect();
	$s->autoflush(1);
	<$s>;                                   # greeting
	return $s;
}

# nothing_after_354 SOCKET - the replies up to 354 came, and then none within half a second.
sub nothing_after_354 {
	my ($s) = @_;
	my $buffer = '';
	my $select = IO::Select->new($s);
	while ($buffer !~ /^354 [^\n]*\n/m) {
		return 0 unless $select->can_read(10) && sysread($s, $buffer, 4096, length $buffer);
	}
	return $buffer =~ /354 [^\n]*\n\z/ && !$select->can_read(0.5);
}

sub mail {
	my ($id, $subject) = @_;
	return "From: Ana <ana\@cliente.es>\r\nTo: soporte\@example.com\r\nSubject: $subject\r\nMessage-ID: <$id>\r\n\r\nHola.\r\n";
}

my $start = "LHLO abuse.test\r\nMAIL FROM:<ana\@cliente.es>\r\nRCPT TO:<soporte\@example.com>\r\nDATA\r\n";
my $lhlo = "250";                           # lmtp_codes() keeps the last line of LHLO's reply

is(lmtp_codes(lmtp_talk(connect_lmtp(), "NOOP " . ('A' x 100_000) . "\r\nNOOP\r\nQUIT\r\n")), '500/5.5.2 250/2.0.0 221/2.0.0',
   'a 100 kB command line: 500 5.5.2, and the session goes on');
is(lmtp_codes(lmtp_talk(connect_lmtp(), ("\xff\x00" x 300_000) . "\r\nQUIT\r\n")), '500/5.5.2 221/2.0.0',
   '600 kB of binary without a line end: 500 5.5.2, in sync again');
is(lmtp_codes(lmtp_talk(connect_lmtp(), "NO\0OP\r\nQUIT\r\n")), '500/5.5.2 221/2.0.0', 'a NUL in a command: 500 5.5.2');
is(lmtp_codes(lmtp_talk(connect_lmtp(), "HELO x\r\nEHLO x\r\nQUIT\r\n")), '500/5.5.1 500/5.5.1 221/2.0.0', 'HELO and EHLO: 500 5.5.1');
is(lmtp_codes(lmtp_talk(connect_lmtp(), "LHLO x\r\nMAIL FROM:<a\@b.es>\r\nDATA\r\nQUIT\r\n")), "$lhlo 250/2.1.0 503/5.5.1 221/2.0.0",
   'DATA without RCPT: 503 5.5.1');
is(lmtp_codes(lmtp_talk(connect_lmtp(), "LHLO x\r\nMAIL FROM:<a\@b.es>\r\nRCPT TO:<nadie\@example.com>\r\nDATA\r\n"
              . "Subject: x\r\n.\r\nRSET\r\nQUIT\r\n")),
   "$lhlo 250/2.1.0 550/5.1.1 503/5.5.1 500/5.5.2 500/5.5.2 250/2.0.0 221/2.0.0",
   'pipelined after a rejected RCPT: 503 to DATA, the would-be content read as commands');
is(lmtp_codes(lmtp_talk(connect_lmtp(), "LHLO x\r\nMAIL FROM:<a\@b.es> SIZE=100001\r\nMAIL FROM:<a\@b.es> FOO=1\r\nQUIT\r\n")),
   "$lhlo 552/5.3.4 555/5.5.4 221/2.0.0", 'SIZE over the limit: 552 5.3.4; an unknown parameter: 555 5.5.4');
{
	my $text = lmtp_talk(connect_lmtp(), "LHLO x\r\nMAIL FROM:<a\@b.es>\r\n" . join('', map { "RCPT TO:<soporte\@example.com>\r\n" } 1 .. 11)
	                . "RSET\r\nQUIT\r\n");
	like(lmtp_codes($text), qr/(250\/2\.1\.5 ){10}452\/4\.5\.3 250\/2\.0\.0/, 'the eleventh recipient: 452 4.5.3');
}
{
	my $big = "Subject: grande\r\n\r\n" . (('x' x 998) . "\r\n") x 150;
	is(lmtp_codes(lmtp_talk(connect_lmtp(), $start, $big, ".\r\nNOOP\r\nQUIT\r\n")),
	   "$lhlo 250/2.1.0 250/2.1.5 354 552/5.3.4 250/2.0.0 221/2.0.0", '150 kB over a 100 kB limit: read to the end, then 552 5.3.4');
}

# The end of data is CRLF.CRLF and nothing else.
for my $case (["bare LF dot LF", "\n.\n"], ["bare CR dot CR", "\r.\r"], ["LF dot CRLF", "\n.\r\n"], ["CR LF dot LF", "\r\n.\n"]) {
	my ($name, $fake) = @$case;
	my $id = "end-" . length($fake) . "-" . ord(substr($fake, 0, 1)) . "-" . ord(substr($fake, -1)) . "\@abuse.test";
	my $s = connect_lmtp();
	$s->print($start, mail($id, "fin falso"), "tail", $fake);
	ok(nothing_after_354($s), "$name is not the end of data");
	like(lmtp_talk($s, "more\r\n.\r\nQUIT\r\n"), qr/250 2\.0\.0 <soporte/, "... CRLF.CRLF is");
}
is(sql("select count(*) from messages where message_id like 'end-%'"), 4, 'those four messages are stored');

{
	my $s = connect_lmtp();
	$s->print($start, mail('nul@abuse.test', "con NUL"), "a\0b\r\n.\r\n", "QUIT\r\n");
	like(lmtp_read_all($s), qr/250 2\.0\.0/, 'NUL bytes inside the data are accepted');
}

# A disconnect in the middle of DATA stores nothing.
{
	my $s = connect_lmtp();
	$s->print($start, mail('cut@abuse.test', 'cortado'), "sin final\r\n");
	select undef, undef, undef, 0.3;
	close $s;
	select undef, undef, undef, 0.5;
	is(sql("select count(*) from messages where message_id = 'cut\@abuse.test'"), 0, 'a disconnect inside DATA stores nothing');
	like(lmtp_talk(connect_lmtp(), "NOOP\r\nQUIT\r\n"), qr/250 2\.0\.0 Ok/, 'the daemon goes on');
}

# A store that fails inside the transaction: 451 4.3.0 for that message only, also
# when it shares a group commit with a good one.
{
	sql("create trigger ticketd_test_fail before insert on tickets when new.subject like '%FALLA%'"
	    . " begin select raise(abort, 'injected failure'); end");
	my @sessions = map { connect_lmtp() } 1 .. 6;
	for my $i (0 .. $#sessions) {
		my $subject = $i % 2 ? "FALLA $i" : "bien $i";
		$sessions[$i]->print($start, mail("batch$i\@abuse.test", $subject), ".\r\nQUIT\r\n");
	}
	my @got = map { lmtp_read_all($_) } @sessions;
	for my $i (0 .. $#got) {
		like($got[$i], $i % 2 ? qr/\r\n451 4\.3\.0 <soporte/ : qr/\r\n250 2\.0\.0 <soporte/,
		     $i % 2 ? "failing message $i: 451 4.3.0" : "good message $i beside it: 250 2.0.0");
	}
	is(sql("select count(*) from messages where message_id like 'batch%'"), 3, 'only the good ones are stored');
	sql('drop trigger ticketd_test_fail');
	like(lmtp_talk(connect_lmtp(), $start, mail('batch1@abuse.test', 'FALLA 1'), ".\r\nQUIT\r\n"), qr/250 2\.0\.0/,
	     'once the store works again, the retry is accepted');
}

# A database locked by another process past the busy timeout: 451 4.3.0.
{
	pipe my $read, my $write or die;
	$locker = fork // die;
	if ($locker == 0) {
		close $write;
		open STDIN, '<&', $read or die;
		open STDOUT, '>', '/dev/null';
		my @run = $as_root ? ('runuser', '-u', 'nobody', '--') : ();
		exec @run, 'sqlite3', "$WORK/ticketd.db" or die;
	}
	close $read;
	$write->autoflush(1);
	print $write "BEGIN IMMEDIATE;\nINSERT INTO accounts(email) SELECT 'lock\@abuse.test' WHERE 0;\n";
	select undef, undef, undef, 0.5;
	my $t0 = time;
	my $text = lmtp_talk(connect_lmtp(), $start, mail('locked@abuse.test', 'bloqueada'), ".\r\nQUIT\r\n");
	like($text, qr/\r\n451 4\.3\.0 <soporte/, 'a database locked by another process: 451 4.3.0');
	diag('answered after ' . (time - $t0) . ' s (TICKETD_BUSY_TIMEOUT=1000 ms)');
	print $write "COMMIT;\n.quit\n";
	close $write;
	waitpid $locker, 0;
	undef $locker;
	like(lmtp_talk(connect_lmtp(), $start, mail('locked@abuse.test', 'bloqueada'), ".\r\nQUIT\r\n"), qr/250 2\.0\.0/,
	     'unlocked, the retry is accepted');
	is(sql("select count(*) from messages where message_id = 'locked\@abuse.test'"), 1, 'and stored once');
}

is(stop_ticketd(), 0, 'SIGTERM: exit 0');
unlike(ticketd_log(), qr/panic|fatal/, 'no panic or fatal in the log');
done_testing();
