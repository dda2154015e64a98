#!/usr/bin/perl
# 41-smtp-session - the SMTP conversation itself, as smtp-sink -v shows it: our domain in
# EHLO, one connection for a whole flush, the null sender and one recipient per message,
# English templates for an English account, robots never mailed, and with
# starttls = required nothing at all sent to a server that cannot do TLS.
use strict;
use warnings;
use utf8;

use Test::More;
binmode Test::More->builder->$_, ":encoding(UTF-8)" for qw(output failure_output todo_output);
use JSON::PP;
use MIME::QuotedPrint;
use IO::Socket::INET;
use File::Temp qw(tempdir);

my $top = $ENV{TICKETD_TOP} // '.';
my $build = $ENV{TICKETD_BUILD} // "$top/build";
my ($sink_bin) = grep { -x } map { "$_/smtp-sink" } split(/:/, $ENV{PATH}), '/usr/sbin';
plan skip_all => 'smtp-sink (Postfix) is not installed' unless $sink_bin;

my $work = tempdir('ticketd-smtp.XXXXXX', TMPDIR => 1, CLEANUP => !$ENV{KEEP_WORK});
my $port = do { my $s = IO::Socket::INET->new(Listen => 1, LocalAddr => '127.0.0.1:0'); $s->sockport };
my $conf = "$work/ticketd.conf";
my $sink_pid;
END { stop_sink() }

sub write_config {
	my ($extra) = @_;
	open my $fh, '>:encoding(UTF-8)', $conf or die;
	chmod 0640, $conf;
	print $fh <<"CONF";
[ticketd]
database = $work/ticketd.db
domain = example.com
staff = agente1\@example.com
templates = $top/etc/templates

[department:soporte]
name = Soporte técnico
address = soporte\@example.com

[department:ventas]
name = Ventas
address = ventas\@example.com

[smtp]
url = smtp://127.0.0.1:$port
from = Soporte Example <soporte\@example.com>
timeout = 5
${\ ($extra // '')}
CONF
	close $fh;
}

# start_sink - smtp-sink with the conversation (-v) in sink.log, mails in sink/.
sub start_sink {
	mkdir "$work/sink";
	$sink_pid = fork // die;
	if (!$sink_pid) {
		open STDOUT, '>>', "$work/sink.log" or die;
		open STDERR, '>&', \*STDOUT or die;
		exec $sink_bin, '-v', '-u', 'root', '-d', "$work/sink/%M.", "127.0.0.1:$port", '10';
		die "smtp-sink: $!";
	}
	for (1 .. 50) { last if IO::Socket::INET->new("127.0.0.1:$port"); select undef, undef, undef, 0.1 }
	# That probe was a connection too: start the log from here.
	select undef, undef, undef, 0.2;
	truncate "$work/sink.log", 0;
}

sub stop_sink {
	return unless $sink_pid;
	local $?;
	kill 'TERM', $sink_pid;
	waitpid $sink_pid, 0;
	$sink_pid = undef;
}

sub conversation { open my $fh, '<', "$work/sink.log" or return ''; local $/; <$fh> }

sub received {
	my @mails;
	for my $file (sort glob("$work/sink/*")) {
		open my $fh, '<', $file or die;
		my $text = do { local $/; <$fh> };
		my ($head, $body) = split /\r?\n\r?\n/, $text, 2;
		$head =~ s/\r?\n[ \t]+/ /g;
		my %headers;
		for (split /\r?\n/, $head) { my ($n, $v) = /^([^:]+):\s*(.*)$/ or next; $headers{lc $n} //= $v }
		my ($rcpt) = ($headers{'x-rcpt-args'} // '') =~ /<([^>]*)>/;
		my $decoded = decode_qp($body // '');
		utf8::decode($decoded);
		push @mails, { rcpt => $rcpt, headers => \%headers, body => $decoded };
	}
	return @mails;
}

sub clear_sink { unlink glob("$work/sink/*"); truncate "$work/sink.log", 0 }
sub ctl { my $cmd = join ' ', map { "'$_'" } @_; utf8::encode($cmd); return scalar `$build/ticketctl -c $conf $cmd 2>>$work/ctl.err` }
sub sql { my ($q) = @_; my $r = `sqlite3 $work/ticketd.db "$q"`; chomp $r; $r }

sub deliver {
	my (%m) = @_;
	my $mail = "From: $m{from}\nTo: $m{to}\nSubject: $m{subject}\nMessage-ID: <$m{id}>\n"
	         . "Date: Mon, 3 Feb 2025 10:00:00 +0100\nContent-Type: text/plain; charset=utf-8\n\n$m{body}\n";
	utf8::encode($mail);
	open my $pipe, '|-', "$build/ticketd", 'deliver', '-c', $conf, '-f', $m{envelope} // $m{from}, '-r', $m{to}
		or die;
	print $pipe $mail;
	close $pipe;
	return $? >> 8;
}

write_config();
ctl('account', 'add', '--name', 'Peter Smith', '--language', 'en', 'peter@smith-hosting.co.uk');
ctl('subaccount', 'add', '--notify', 'peter@smith-hosting.co.uk', 'ops@smith-hosting.co.uk');
start_sink();

for my $n (1 .. 3) {
	deliver(from => 'peter@smith-hosting.co.uk', to => 'soporte@example.com', subject => "Server $n is down",
	        id => "s$n\@smith-hosting.co.uk", body => "Server $n does not answer.");
}
like(ctl('outbox', 'flush'), qr/^6 notifications sent/, 'three tickets, two recipients each: six mails');
my $talk = conversation();
my @ehlo = $talk =~ /^.*EHLO (\S+)/mg;
is(scalar @ehlo, 1, 'one connection (one EHLO) for the whole flush') or diag $talk;
is($ehlo[0], 'example.com', 'EHLO names our domain, not the host name');
my @mail_from = $talk =~ /MAIL FROM:<([^>]*)>/g;
is(scalar @mail_from, 6, 'six transactions');
is(scalar(grep { $_ ne '' } @mail_from), 0, 'every confirmation with the null sender');
my @rcpt = $talk =~ /RCPT TO:<([^>]*)>/g;
is(scalar @rcpt, 6, 'one recipient per transaction');

my @mails = received();
my ($peter) = grep { $_->{rcpt} eq 'peter@smith-hosting.co.uk' } @mails;
like($peter->{body}, qr/We have received your message and opened ticket [A-Z]{3}-\d{6} with Soporte técnico/,
     'an English account reads the English template');
like($peter->{body}, qr/Status: Open/, 'with the English status label');
like($peter->{headers}{to}, qr/Peter Smith <peter\@smith-hosting\.co\.uk>/, 'To carries the holder\'s name');
ok(!grep({ $_->{headers}{to} =~ /,/ } @mails), 'every mail has exactly one To address');

# Robots: accounts whose address no person reads, and our own addresses, get nothing.
clear_sink();
ctl('account', 'add', 'no-reply@tienda-online.es');
ctl('account', 'add', 'ventas@example.com');
deliver(from => 'no-reply@tienda-online.es', to => 'soporte@example.com', subject => 'Pedido 1',
        id => 'r1@tienda-online.es', body => 'Su pedido');
deliver(from => 'ventas@example.com', to => 'soporte@example.com', subject => 'Interno',
        id => 'r2@example.com', body => 'hola');
ctl('outbox', 'flush');
is(scalar(received()), 0, 'no mail to a no-reply address or to one of our own');
is(sql("select count(*) from outbox where recipient in ('no-reply\@tienda-online.es', 'ventas\@example.com')"
       . " and state <> 'suppressed'"), 0, 'nothing queued for them');
like(sql("select group_concat(last_error, '|') from outbox where state = 'suppressed'"), qr/robot|own/,
     'each suppression says why');

# STARTTLS required and a server without TLS: nothing goes out in clear text.
stop_sink();
write_config("starttls = required");
start_sink();
deliver(from => 'peter@smith-hosting.co.uk', to => 'soporte@example.com', subject => 'Secret',
        id => 's9@smith-hosting.co.uk', body => 'My password is hunter2');
like(ctl('outbox', 'flush'), qr/^0 notifications sent/, 'starttls = required: nothing sent');
$talk = conversation();
unlike($talk, qr/MAIL FROM/, 'not even a MAIL FROM in clear text') or diag $talk;
is(scalar(received()), 0, 'the sink received nothing');
is(sql("select count(*) from outbox where state = 'queued' and attempts = 1"), 1,
   'the row waits for a server that can do TLS');
like(sql("select last_error from outbox where state = 'queued' and attempts = 1"), qr/SSL|TLS|STARTTLS/i,
     'and says why');
is(sql("select count(*) from outbox where state = 'queued'"), 2, 'its sibling was not tried: it waits too');

# Back to clear text: what waited arrives.
stop_sink();
write_config();
start_sink();
{
	local $ENV{TICKETD_NOW} = time + 7200;
	like(ctl('outbox', 'flush'), qr/^2 notifications sent/, 'what waited is sent once the setup is fixed');
}

done_testing();
