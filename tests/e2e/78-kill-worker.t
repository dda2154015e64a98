#!/usr/bin/perl
# 78-kill-worker - the worker process (the supervisor's child, which holds every session)
# is killed with SIGKILL again and again while 20 LMTP sessions deliver at once; the
# supervisor keeps the listening socket and starts a new worker. Like Postfix, each
# session delivers again every message that got no 250. At the end every message
# acknowledged is stored exactly once, every one not acknowledged landed on a retry,
# and no connection was ever refused: clients wait in the listen queue instead.
use strict;
use warnings;
use Test::More;
use Time::HiRes qw(sleep time);
use FindBin;
use lib $FindBin::Bin;
use Harness;
use Load;

plan skip_all => "$TICKETD is not built" unless -x $TICKETD;
my $sessions = 20;
my $per_session = 25;
my $messages = $sessions * $per_session;
# A worker that dies young is replaced after 1, 2, 4, 8 s (the pause doubles): four kills
# keep the test under 40 s.
my $kills = 4;
srand($ENV{TICKETD_KILL_SEED} // time);

work_for_daemon();
write_config(staff => '', departments => 'soporte', ticketd => "user = " . daemon_user(),
             lmtp => "idle_timeout = 30\nmax_connections = 100");

# worker_pid - the supervisor's child that runs as the daemon's user: the worker (none
# while a restart is pending; as root the other child is a cleaner).
sub worker_pid { my $pid = `pgrep -P $TICKETD_PID -u ${\ daemon_user()}`; chomp $pid; return $pid =~ /^(\d+)$/ ? $1 : undef }

ok(start_ticketd('-n'), 'the daemon starts');
my $supervisor = $TICKETD_PID;
my $start = time;

# The killer: SIGKILL to the worker at a random moment after every $kill_every
# acknowledgements. Paced by the clients' progress, so every kill lands under load.
my $kill_every = int($messages / ($kills + 1));
my %killed;
my $load = load_run(sessions => $sessions, per_session => $per_session, mail => sub { load_mail('kw', @_) },
                    sender => \&load_sender, on_ack => sub {
	my ($acked) = @_;
	return unless $acked % $kill_every == 0 && keys(%killed) < $kills;
	sleep rand 0.05;
	my $worker = worker_pid() or return;
	kill 'KILL', $worker and $killed{$worker} = 1;
});
my $took = time - $start;
my @acked = @{$load->{acked}};

is(scalar keys %killed, $kills, "the worker was killed $kills times under load");
ok(kill(0, $supervisor), 'the supervisor outlived every worker');
my @restarts = ticketd_log() =~ /starting a new worker in (\d+) s/g;
my @deaths = ticketd_log() =~ /worker \d+ was killed by signal 9/g;
# A kill can land on a worker pgrep saw an instant before it was reaped; what matters is
# that every death the supervisor saw was followed by a new worker.
ok(@deaths >= $kills - 1, 'the supervisor saw the workers die (' . scalar(@deaths) . " of $kills kills)");
is(scalar @restarts, scalar @deaths, 'and started a new one each time (pauses: ' . join(', ', @restarts) . ' s)');
cmp_ok($load->{cut}, '>=', $kills, "the kills cut $load->{cut} sessions, which delivered again");
is($load->{failed}, 0, "each of the $sessions sessions got a 250 for every message in the end");
my %acked_count;
$acked_count{$_}++ for @acked;
is(scalar keys %acked_count, $messages, "all $messages messages acknowledged");
ok(!(grep { $_ > 1 } values %acked_count), 'each acknowledged once');
is($load->{refused}, 0, 'no connection was refused: the socket stays open while no worker runs');
# The longest pause is 8 s; a client waits in the listen queue for the next worker.
cmp_ok($load->{longest_wait}, '<', 12_000, "the longest wait for a greeting was $load->{longest_wait} ms");
cmp_ok($took, '<', 40, sprintf('within 40 s (%.1f s)', $took));

# In the store: the Message-IDs acknowledged are those stored, each once, nothing half-written.
my %stored = map { /^kw-(\S+)\@cliente\.es\|(\d+)$/ ? ($1 => $2) : () }
	split /\n/, sql("select message_id, count(*) from messages where message_id like 'kw-%' group by message_id");
my @lost = grep { !$stored{$_} } keys %acked_count;
my @doubled = grep { $stored{$_} > 1 } keys %stored;
my @unasked = grep { !$acked_count{$_} } keys %stored;
is(scalar @lost, 0, 'every acknowledged message is stored') or diag "lost: @lost";
is(scalar @doubled, 0, 'none twice') or diag "doubled: @doubled";
is(scalar @unasked, 0, 'and nothing is stored that was not acknowledged in the end') or diag "@unasked";
is(sql("select count(*) from held"), 0, 'nothing was held: no message was in work at three kills')
	or diag sql('select reason from held');
is(sql("select count(*) from tickets t where not exists (select 1 from messages m where m.ticket_id = t.id)"), 0,
   'no ticket without its message');
is(sql("select count(*) from messages m where not exists (select 1 from raw_messages r where r.message_id = m.id)"),
   0, 'no message without its raw bytes');
is(sql('pragma integrity_check'), 'ok', 'the database is intact');
is(stop_ticketd(), 0, 'the daemon stops cleanly after all that');

done_testing();
