#!/usr/bin/perl
# 42-outbox-workers - several flushes at once never send a row twice, and a sender killed
# in the middle of a send loses nothing: its row is sent once more after the lease.
use strict;
use warnings;
use utf8;

use Test::More;
use FindBin;
use lib $FindBin::Bin;
use Harness;

plan skip_all => 'smtp-sink (Postfix) is not installed' unless sink_program();
write_config(staff => '', departments => 'soporte', smtp => 'auto_per_hour = 100');

# message_ids - the Message-ID and envelope recipient of every mail the sink has: the
# account and its sub-account get one mail (To and Cc), each by its own delivery.
sub message_ids {
	# an interrupted session leaves an empty file
	return map { ($_->{text} =~ /^Message-Id:\s*(<[^>]+>)/mi ? $1 : 'none') . " to $_->{rcpt}" }
	       grep { $_->{text} ne '' } sink_messages();
}

# flush_process - a ticketctl outbox flush of its own; its pid is ticketctl's, not a shell's.
sub flush_process {
	my $pid = fork // die;
	return $pid if $pid;
	open STDOUT, '>', '/dev/null' or die;
	open STDERR, '>>', "$WORK/ctl.err" or die;
	exec $TICKETCTL, '-c', $CONF, 'outbox', 'flush';
	exit 127;
}

sub deliver {
	my ($n) = @_;
	ticketd_deliver("From: ana\@cliente.es\nTo: soporte\@example.com\nSubject: Consulta $n\n"
	                . "Message-ID: <c$n\@cliente.es>\nDate: Mon, 3 Feb 2025 10:00:00 +0100\n\nTexto $n\n",
	                '-f', 'ana@cliente.es', '-r', 'soporte@example.com');
}

ctl('account', 'add', '--name', 'Ana', 'ana@cliente.es');
ctl('subaccount', 'add', '--notify', 'ana@cliente.es', 'equipo@cliente.es');
deliver($_) for 1 .. 15;
is(sql("select count(*) from outbox where state = 'queued'"), 30, 'thirty notifications queued');

# Five workers at once.
start_sink();
my @pids = map { flush_process() } 1 .. 5;
waitpid $_, 0 for @pids;
my @ids = message_ids();
is(scalar @ids, 30, 'five concurrent flushes deliver all thirty');
my %seen;
$seen{$_}++ for @ids;
is(scalar keys %seen, 30, 'each exactly once');
is(sql("select count(*) from outbox where state = 'sent'"), 30, 'every row is marked sent');
stop_sink();

# A sender killed while the server sits on DATA: the row is leased, not lost.
clear_sink();
ctl('status', '--actor', 'agente@example.com', sql('select code from tickets order by id limit 1'), 'pending');
is(sql("select count(*) from outbox where state = 'queued'"), 2, 'a status change queues two mails');
start_sink('-w', '30');
my $flush = flush_process();
wait_for(10, sub { sql("select count(*) from outbox where state = 'sending'") eq '1' });
is(sql("select count(*) from outbox where state = 'sending'"), 1, 'one row is being sent');
kill 'KILL', $flush;
waitpid $flush, 0;
stop_sink();
start_sink();
like(ctl('outbox', 'flush'), qr/^1 notifications? sent/, 'another worker sends the other row, not the leased one');
is(sql("select count(*) from outbox where state = 'sending'"), 1, 'the dead sender\'s row keeps its lease');
{
	local $ENV{TICKETD_NOW} = time + 3600;
	like(ctl('outbox', 'flush'), qr/^1 notifications? sent/, 'after the lease it is sent');
}
# The killed sender may have handed the whole mail over before the server answered: the row
# may then arrive twice, never more, and the other exactly once.
my %count;
$count{$_}++ for message_ids();
is(scalar keys %count, 2, 'both mails arrived');
ok(!grep({ $_ > 2 } values %count), 'none more than once again after the crash');
is(sql("select count(*) from outbox where state = 'sent'"), 32, 'and every row is sent');

done_testing();
