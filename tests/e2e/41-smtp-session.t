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
use FindBin;
use lib $FindBin::Bin;
use Harness;

plan skip_all => 'smtp-sink (Postfix) is not installed' unless sink_program();

# config(SMTP-LINES) - two departments, one agent; more lines for [smtp].
sub config {
	my ($extra) = @_;
	write_config(staff => 'agente1@example.com', departments => 'soporte ventas', smtp => $extra // '');
}

# received - what the sink received, bodies as text.
sub received { return map { utf8::decode($_->{body}); $_ } sink_messages() }

sub deliver {
	my (%m) = @_;
	my $mail = "From: $m{from}\nTo: $m{to}\nSubject: $m{subject}\nMessage-ID: <$m{id}>\n"
	         . "Date: Mon, 3 Feb 2025 10:00:00 +0100\nContent-Type: text/plain; charset=utf-8\n\n$m{body}\n";
	utf8::encode($mail);
	return ticketd_deliver($mail, '-f', $m{envelope} // $m{from}, '-r', $m{to});
}

config();
ctl('account', 'add', '--name', 'Peter Smith', '--language', 'en', 'peter@smith-hosting.co.uk');
ctl('subaccount', 'add', '--notify', 'peter@smith-hosting.co.uk', 'ops@smith-hosting.co.uk');
start_sink('-v');

for my $n (1 .. 3) {
	deliver(from => 'peter@smith-hosting.co.uk', to => 'soporte@example.com', subject => "Server $n is down",
	        id => "s$n\@smith-hosting.co.uk", body => "Server $n does not answer.");
}
like(ctl('outbox', 'flush'), qr/^6 notifications sent/, 'three tickets, two recipients each: six mails');
my $talk = sink_log();
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
config("starttls = required");
start_sink('-v');
deliver(from => 'peter@smith-hosting.co.uk', to => 'soporte@example.com', subject => 'Secret',
        id => 's9@smith-hosting.co.uk', body => 'My password is hunter2');
like(ctl('outbox', 'flush'), qr/^0 notifications sent/, 'starttls = required: nothing sent');
$talk = sink_log();
unlike($talk, qr/MAIL FROM/, 'not even a MAIL FROM in clear text') or diag $talk;
is(scalar(received()), 0, 'the sink received nothing');
is(sql("select count(*) from outbox where state = 'queued' and attempts = 1"), 1,
   'the row waits for a server that can do TLS');
like(sql("select last_error from outbox where state = 'queued' and attempts = 1"), qr/SSL|TLS|STARTTLS/i,
     'and says why');
is(sql("select count(*) from outbox where state = 'queued'"), 2, 'its sibling was not tried: it waits too');

# Back to clear text: what waited arrives.
stop_sink();
config();
start_sink('-v');
{
	local $ENV{TICKETD_NOW} = time + 7200;
	like(ctl('outbox', 'flush'), qr/^2 notifications sent/, 'what waited is sent once the setup is fixed');
}

done_testing();
