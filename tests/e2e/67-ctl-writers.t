#!/usr/bin/perl
# 67-ctl-writers - agents at work while mail pours in. Four `ticketctl` writers (reply,
# note, status, assign, each in a loop on a ticket of its own) and a cron-style
# `ticketctl outbox flush` loop run during a 20-session LMTP load, while the daemon's
# own notifier sends too: two notifiers at once. A writer may be told "busy, try
# again" (exit 75) and tries again; it never fails otherwise. Every mail acknowledged
# is stored once, every change a writer was told was made is there, and every
# notification reaches the relay exactly once.
use strict;
use warnings;
use Test::More;
use POSIX ();
use Time::HiRes qw(sleep time);
use FindBin;
use lib $FindBin::Bin;
use Harness;
use Load;

plan skip_all => "$TICKETD is not built" unless -x $TICKETD;
plan skip_all => 'smtp-sink (Postfix) is not installed' unless sink_program();
my $sessions = 20;
my $per_session = 100;
my $messages = $sessions * $per_session;
my @writers;
END { local $?; for (@writers) { kill 'KILL', $_->{pid}; waitpid $_->{pid}, 0 } }

work_for_daemon();
write_config(departments => 'soporte', ticketd => "user = " . daemon_user(),
             lmtp => "idle_timeout = 30\nmax_connections = 100", smtp => 'auto_per_hour = 100000');

# Four tickets of one customer, one per writer.
ctl('account', 'add', '--name', 'Ana', 'ana@cliente.es');
for my $n (1 .. 4) {
	ticketd_deliver("From: Ana <ana\@cliente.es>\nTo: soporte\@example.com\nSubject: Caso $n\n"
	                . "Message-ID: <caso$n\@cliente.es>\nDate: Mon, 3 Feb 2025 10:00:00 +0100\n\nNo funciona $n.\n",
	                '-f', 'ana@cliente.es', '-r', 'soporte@example.com');
}
my @codes = split /\n/, sql("select code from tickets order by id");
is(scalar @codes, 4, 'four tickets for the writers');

# writer(NAME, ARGS) - a process running `ticketctl ARGS->(I)` for I = 1, 2, ... until
# $WORK/stop exists, again after each exit 75; it prints "I CODE" per run to
# $WORK/NAME.runs (its output goes to NAME.out, its errors to ctl.err), so the test knows which changes it was told were made.
sub writer {
	my ($name, $args) = @_;
	my $pid = fork // die;
	if ($pid == 0) {
		@writers = ();
		open STDOUT, '>>', "$WORK/$name.out" or die;
		open STDERR, '>>', "$WORK/ctl.err" or die;
		open my $runs, '>', "$WORK/$name.runs" or die;
		$runs->autoflush(1);
		for (my $i = 1; !-e "$WORK/stop"; $i++) {
			my $code;
			do {
				system($TICKETCTL, '-c', $CONF, $args->($i)) == -1 and die "$TICKETCTL: $!";
				$code = $? & 127 ? 128 + ($? & 127) : $? >> 8;
				print $runs "$i $code\n";
			} while ($code == 75 && !-e "$WORK/stop");
		}
		POSIX::_exit(0);
	}
	push @writers, { name => $name, pid => $pid };
}

# runs(NAME) - the writer's runs: [I, exit code] each.
sub runs {
	my ($name) = @_;
	open my $fh, '<', "$WORK/$name.runs" or die "$name.runs: $!";
	return map { [split] } <$fh>;
}

start_sink();
ok(start_ticketd(), 'the daemon starts, its notifier on');
my @status = qw(pending in_progress on_hold);
my @agents = qw(agente1@example.com agente2@example.com);
my $text = sub { my ($what, $i) = @_; my $f = "$WORK/$what-$i"; open my $fh, '>', $f or die; print $fh "$what $i\n"; close $fh; $f };
writer('reply', sub { ('reply', $codes[0], '--actor', $agents[0], '--file', $text->('respuesta', $_[0])) });
writer('note', sub { ('note', $codes[1], '--actor', $agents[1], '--file', $text->('nota', $_[0])) });
writer('status', sub { ('status', $codes[2], $status[$_[0] % @status], '--actor', $agents[0]) });
writer('assign', sub { ('assign', $codes[3], $agents[$_[0] % @agents], '--actor', $agents[1]) });
writer('flush', sub { ('outbox', 'flush') });
my $start = time;
my $load = load_run(sessions => $sessions, per_session => $per_session, mail => sub { load_mail('cw', @_) },
                    sender => \&load_sender);
my $took = time - $start;
open my $stop, '>', "$WORK/stop" or die;
waitpid $_->{pid}, 0 for @writers;
@writers = ();
cmp_ok($took, '<', 40, sprintf('the load took %.1f s', $took));

# The load: each acknowledged once, each stored once.
is($load->{failed}, 0, "each of the $sessions sessions got a 250 for every message");
my %acked;
$acked{$_}++ for @{$load->{acked}};
is(scalar keys %acked, $messages, "all $messages messages acknowledged, none twice")
	or diag scalar(@{$load->{acked}}) . ' acknowledgements';
my %stored = map { /^cw-(\S+)\@cliente\.es\|(\d+)$/ ? ($1 => $2) : () }
	split /\n/, sql("select message_id, count(*) from messages where message_id like 'cw-%' group by message_id");
is(scalar(grep { ($stored{$_} // 0) == 1 } keys %acked), $messages, 'every acknowledged mail is stored once');
is(scalar keys %stored, $messages, 'and nothing else');

# The writers: only "busy, try again", and each change they were told of is there.
my %done;
for my $name (qw(reply note status assign flush)) {
	my @runs = runs($name);
	my @bad = grep { $_->[1] != 0 && $_->[1] != 75 } @runs;
	my @ok = grep { $_->[1] == 0 } @runs;
	my $busy = grep { $_->[1] == 75 } @runs;
	is(scalar @bad, 0, "ticketctl $name: no failure but busy (" . scalar(@ok) . " done, $busy busy and retried)")
		or diag join ', ', map { "run $_->[0]: exit $_->[1]" } @bad;
	# How many runs fit in the load is the machine's timing (a fast one finishes the load
	# before a writer's third run); that each writer got through during it is not.
	cmp_ok(scalar @runs, '>=', 1, "ticketctl $name ran during the load");
	cmp_ok(scalar @ok, '>=', 1, "ticketctl $name got its change in during the load");
	$done{$name} = [map { $_->[0] } @ok];
}
my ($t1, $t2, $t3, $t4) = map { sql("select id from tickets where code = '$_'") } @codes;
is(sql("select group_concat(text, '|') from (select trim(text) as text from messages where ticket_id = $t1 "
       . "and direction = 'out' order by id)"), join('|', map { "respuesta $_" } @{$done{reply}}),
   'every reply is on its ticket, once, in order');
is(sql("select group_concat(text, '|') from (select trim(text) as text from messages where ticket_id = $t2 "
       . "and direction = 'note' order by id)"), join('|', map { "nota $_" } @{$done{note}}),
   'every note is on its ticket, once, in order');
is(sql("select count(*) from events where ticket_id = $t3 and kind = 'status' and actor = '$agents[0]'"),
   scalar @{$done{status}}, 'every status change is recorded');
is(sql("select status from tickets where id = $t3"), $status[$done{status}[-1] % @status],
   'and the ticket has the last one');
is(sql("select count(*) from events where ticket_id = $t4 and kind = 'assigned'"), scalar @{$done{assign}},
   'every assignment is recorded');
is(sql("select assignee from tickets where id = $t4"), $agents[$done{assign}[-1] % @agents],
   'and the ticket has the last assignee');

# Two notifiers: whatever the daemon and the flushes sent, each notification went once.
ctl('outbox', 'flush');
is(sql("select count(*) from outbox where state in ('queued', 'sending')"), 0, 'the outbox is empty in the end');
my %received;
for my $mail (sink_messages()) { $received{$1}++ if $mail->{head} =~ /^Message-ID:\s*<([^>]+)>/mi }
my @sent = split /\n/, sql("select message_id from outbox where state = 'sent'");
cmp_ok(scalar @sent, '>=', $messages, scalar(@sent) . ' notifications sent');
is(scalar(grep { ($received{$_} // 0) != 1 } @sent), 0, 'each received exactly once');
my $by_daemon = () = ticketd_log() =~ /^ticketd: outbox \d+: .*status=sent/mg;
my $by_flush = 0;
{ open my $fh, '<', "$WORK/flush.out" or die; /^(\d+) notifications? sent/ and $by_flush += $1 for <$fh> }
cmp_ok($by_daemon, '>', 0, "the daemon's notifier sent $by_daemon of them");
cmp_ok($by_flush, '>', 0, "the flushes sent $by_flush");
is(sql('pragma integrity_check'), 'ok', 'the database is intact');
is(stop_ticketd(), 0, 'the daemon stops cleanly');

done_testing();
