#!/usr/bin/perl
# 70-kill - crash consistency. An LMTP client delivers while the daemon is killed with
# SIGKILL at random moments and restarted; like Postfix, the client delivers again
# every message that got no 250 (each from its own customer, under the intake limit).
# At the end each message is in the store exactly once.
# Then `ticketctl outbox flush` is killed the same way while an SMTP sink receives:
# each notification arrives at least once and at most twice (an expired lease is taken
# back; TICKETD_NOW moves time past it).
use strict;
use warnings;
use Test::More;
use IO::Socket::INET;
use Time::HiRes qw(sleep time);
use FindBin;
use lib $FindBin::Bin;
use Harness;

plan skip_all => "$TICKETD is not built" unless -x $TICKETD;
my $messages = 600;
my $kills = 15;
my $client;
END { local $?; if ($client) { kill 'KILL', $client; waitpid $client, 0 } }
srand($ENV{TICKETD_KILL_SEED} // time);

work_for_daemon();
write_config(staff => '', departments => 'soporte', ticketd => 'user = ' . daemon_user(),
             lmtp => 'idle_timeout = 10', smtp => 'auto_per_hour = 100000');

sub mail {
	my ($n) = @_;
	return "From: Cliente $n <cliente$n\@cliente.es>\r\nTo: soporte\@example.com\r\nSubject: consulta $n\r\n"
	     . "Message-ID: <kill-$n\@cliente.es>\r\nDate: Mon, 3 Feb 2025 10:00:00 +0100\r\n\r\n"
	     . "Consulta numero $n.\r\n" . ("Linea de relleno para que el mensaje pese algo.\r\n" x 40);
}

# deliver_pending - one session delivering every message not yet acknowledged, one
# transaction each; the numbers that got a 250 go to $acked. Stops at a broken session.
sub deliver_pending {
	my ($pending, $acked) = @_;
	my $s = lmtp_connect(1) or return;
	$s->autoflush(1);
	return unless lmtp_reply($s) =~ /^220/;
	print $s "LHLO kill.test\r\n";
	return unless lmtp_reply($s) =~ /^250/;
	for my $n (sort { $a <=> $b } keys %$pending) {
		print $s "MAIL FROM:<cliente$n\@cliente.es>\r\n";
		return unless lmtp_reply($s) =~ /^250/;
		print $s "RCPT TO:<soporte\@example.com>\r\n";
		return unless lmtp_reply($s) =~ /^250/;
		print $s "DATA\r\n";
		return unless lmtp_reply($s) =~ /^354/;
		print $s mail($n) . ".\r\n";
		my $r = lmtp_reply($s);
		return if $r eq '';
		next unless $r =~ /^250/;
		delete $pending->{$n};
		print $acked "$n\n";
	}
	print $s "QUIT\r\n";
}

# The client: like Postfix's queue, it tries again until every message got a 250.
ok(start_ticketd('-n'), 'the daemon starts');
pipe my $acked_read, my $acked_write or die;
$client = fork // die;
if ($client == 0) {
	close $acked_read;
	$acked_write->autoflush(1);
	$SIG{PIPE} = 'IGNORE';
	my %pending = map { $_ => 1 } 1 .. $messages;
	my $deadline = time + 50;
	while (%pending && time < $deadline) {
		deliver_pending(\%pending, $acked_write);
		sleep 0.05 if %pending;
	}
	exit(%pending ? 1 : 0);
}
close $acked_write;

# The killer: SIGKILL at a random moment after every $kill_every acknowledgements, a
# restart each time. Paced by the client's progress, not by the clock, so a fast
# machine cannot deliver everything before the kills happen.
my $start = time;
my $restarts = 0;
my $kill_every = int($messages / $kills);
my @acked;
while (defined(my $n = <$acked_read>)) {
	chomp $n;
	push @acked, $n;
	next unless @acked % $kill_every == 0 && @acked < $messages;
	sleep rand 0.03;
	stop_ticketd('KILL');
	# Its worker process dies with it (PR_SET_PDEATHSIG): wait until the port is free.
	wait_for(2, sub { !IO::Socket::INET->new(PeerAddr => "127.0.0.1:$LMTP_PORT") });
	$restarts++ if start_ticketd('-n');
}
cmp_ok($restarts, '>=', $kills - 1, "the daemon was killed and restarted $restarts times");
waitpid $client, 0;
$client = 0;
is($? >> 8, 0, 'the client got a 250 for every message in the end');
my %acked_count;
$acked_count{$_}++ for @acked;
is(scalar keys %acked_count, $messages, "all $messages messages acknowledged");
ok(!(grep { $_ > 1 } values %acked_count), 'each acknowledged once by the client');
cmp_ok(time - $start, '<', 60, 'within a minute');

# In the store: each message once, each on its own ticket, nothing half-written.
my $rows = sql("select count(*) from messages where message_id like 'kill-%'");
is($rows, $messages, 'every message is in the store');
is(sql("select count(*) from (select message_id from messages where message_id like 'kill-%' "
       . "group by message_id having count(*) > 1)"), 0, 'none twice');
is(sql("select count(*) from tickets"), $messages, 'one ticket per message');
is(sql("select count(*) from tickets t where not exists (select 1 from messages m where m.ticket_id = t.id)"), 0,
   'no ticket without its message');
is(sql("select count(*) from messages m where not exists (select 1 from raw_messages r where r.message_id = m.id)"),
   0, 'no message without its raw bytes');
is(sql('pragma integrity_check'), 'ok', 'the database is intact');
stop_ticketd();

# ---- the notifier, killed while it sends ----
SKIP: {
	skip 'smtp-sink (Postfix) is not installed', 5 unless sink_program();
	my $queued = sql("select count(*) from outbox where state = 'queued'");
	cmp_ok($queued, '>=', $messages, "$queued notifications queued");
	start_sink();

	# Each flush runs a lease (300 s) later than the one before, so it takes back what a
	# killed flush left in state sending.
	my $now = time;
	my $killed = 0;
	my $flush = sub {
		my ($kill_after) = @_;
		$now += 301;
		my $pid = fork // die;
		if (!$pid) {
			open STDOUT, '>', '/dev/null';
			open STDERR, '>>', "$WORK/flush.log";
			$ENV{TICKETD_NOW} = int $now;
			exec $TICKETCTL, '-c', $CONF, 'outbox', 'flush' or die;
		}
		if (defined $kill_after) {
			sleep $kill_after;
			kill 'KILL', $pid;
		}
		waitpid $pid, 0;
		$killed++ if ($? & 127) == 9;
	};
	$flush->(0.05 + rand 0.25) for 1 .. $kills;
	for (1 .. 5) {
		last if sql("select count(*) from outbox where state in ('queued', 'sending')") == 0;
		$flush->(undef);
	}
	cmp_ok($killed, '>', 0, "ticketctl outbox flush was killed $killed times while sending");
	is(sql("select count(*) from outbox where state <> 'sent'"), 0, 'every notification is marked sent');

	my %received;
	for my $mail (sink_messages()) {
		$received{$1}++ if $mail->{head} =~ /^Message-ID:\s*<([^>]+)>/mi;
	}
	my @ids = split /\n/, sql("select message_id from outbox");
	my @missing = grep { !$received{$_} } @ids;
	my @thrice = grep { ($received{$_} // 0) > 2 } @ids;
	is(scalar @missing, 0, 'no notification was lost') or diag "missing: @missing";
	is(scalar @thrice, 0, 'none was received more than twice') or diag "more than twice: @thrice";
	my $twice = grep { $received{$_} == 2 } @ids;
	note(scalar(@ids) . " notifications, $twice received twice");
}

done_testing();
