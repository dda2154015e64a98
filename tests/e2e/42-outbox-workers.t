#!/usr/bin/perl
# 42-outbox-workers - several flushes at once never send a row twice, and a sender killed
# in the middle of a send loses nothing: its row is sent once more after the lease.
use strict;
use warnings;
use utf8;

use Test::More;
use IO::Socket::INET;
use File::Temp qw(tempdir);
use POSIX qw(WNOHANG);

my $top = $ENV{TICKETD_TOP} // '.';
my $build = $ENV{TICKETD_BUILD} // "$top/build";
my ($sink_bin) = grep { -x } map { "$_/smtp-sink" } split(/:/, $ENV{PATH}), '/usr/sbin';
plan skip_all => 'smtp-sink (Postfix) is not installed' unless $sink_bin;

my $work = tempdir('ticketd-workers.XXXXXX', TMPDIR => 1, CLEANUP => !$ENV{KEEP_WORK});
my $port = do { my $s = IO::Socket::INET->new(Listen => 1, LocalAddr => '127.0.0.1:0'); $s->sockport };
my $conf = "$work/ticketd.conf";
my $sink_pid;
END { stop_sink() }

open my $fh, '>:encoding(UTF-8)', $conf or die;
chmod 0640, $conf;
print $fh <<"CONF";
[ticketd]
database = $work/ticketd.db
domain = example.com
templates = $top/etc/templates

[department:soporte]
name = Soporte técnico
address = soporte\@example.com

[smtp]
url = smtp://127.0.0.1:$port
from = Soporte Example <soporte\@example.com>
timeout = 5
auto_per_hour = 100
CONF
close $fh;

sub start_sink {
	my @options = @_;
	mkdir "$work/sink";
	$sink_pid = fork // die;
	if (!$sink_pid) {
		open STDOUT, '>', '/dev/null';
		exec $sink_bin, '-u', 'root', '-d', "$work/sink/%M.", @options, "127.0.0.1:$port", '50';
		die "smtp-sink: $!";
	}
	for (1 .. 50) { last if IO::Socket::INET->new("127.0.0.1:$port"); select undef, undef, undef, 0.1 }
}

sub stop_sink {
	return unless $sink_pid;
	local $?;
	kill 'TERM', $sink_pid;
	waitpid $sink_pid, 0;
	$sink_pid = undef;
}

# message_ids - the Message-ID of every mail the sink has.
sub message_ids {
	my @ids;
	for my $file (grep { -s } glob("$work/sink/*")) {     # an interrupted session leaves an empty file
		open my $in, '<', $file or die;
		local $/;
		my ($id) = <$in> =~ /^Message-Id:\s*(<[^>]+>)/mi;
		push @ids, $id // 'none';
	}
	return @ids;
}

# flush_process - a ticketctl outbox flush of its own; its pid is ticketctl's, not a shell's.
sub flush_process {
	my $pid = fork // die;
	return $pid if $pid;
	open STDOUT, '>', '/dev/null' or die;
	open STDERR, '>>', "$work/ctl.err" or die;
	exec "$build/ticketctl", '-c', $conf, 'outbox', 'flush';
	exit 127;
}

sub ctl { my $cmd = join ' ', map { "'$_'" } @_; return scalar `$build/ticketctl -c $conf $cmd 2>>$work/ctl.err` }
sub sql { my ($q) = @_; my $r = `sqlite3 $work/ticketd.db "$q"`; chomp $r; $r }

sub deliver {
	my ($n) = @_;
	open my $pipe, '|-', "$build/ticketd deliver -c $conf -f ana\@cliente.es -r soporte\@example.com" or die;
	print $pipe "From: ana\@cliente.es\nTo: soporte\@example.com\nSubject: Consulta $n\n"
	          . "Message-ID: <c$n\@cliente.es>\nDate: Mon, 3 Feb 2025 10:00:00 +0100\n\nTexto $n\n";
	close $pipe;
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
unlink glob("$work/sink/*");
ctl('status', '--actor', 'agente@example.com', sql('select code from tickets order by id limit 1'), 'pending');
is(sql("select count(*) from outbox where state = 'queued'"), 2, 'a status change queues two mails');
start_sink('-w', '30');
my $flush = flush_process();
for (1 .. 100) {
	last if sql("select count(*) from outbox where state = 'sending'") eq '1';
	select undef, undef, undef, 0.1;
}
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
