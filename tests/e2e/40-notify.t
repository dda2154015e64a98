#!/usr/bin/perl
# 40-notify - notifications as a real SMTP server (Postfix's smtp-sink) receives them:
# who gets them, their headers and Spanish body, a reply to one threading back, nothing
# lost while the server is down or answers 4xx, a 5xx marked failed, robots never mailed.
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

# config(SMTP-LINES) - one department, one agent; more lines for [smtp].
sub config {
	my ($extra) = @_;
	# The agent here answers by the older, weaker path: a staff From threading by subject tag.
	write_config(staff => 'agente1@example.com', departments => 'soporte', ticketd => 'staff_unsigned_reply = yes',
	             smtp => "envelope_from = soporte\@example.com\n" . ($extra // ''));
}

sub flush { ctl('outbox', 'flush') }
sub outbox { decode_json(ctl('--json', 'outbox', 'list', @_)) }

sub mail {
	my (%m) = @_;
	my $headers = join '', map { "$_: $m{headers}{$_}\n" } sort keys %{$m{headers} // {}};
	return "From: $m{from}\nTo: soporte\@example.com\nSubject: $m{subject}\nMessage-ID: <$m{id}>\n"
	     . "Date: Mon, 3 Feb 2025 10:00:00 +0100\nContent-Type: text/plain; charset=utf-8\n$headers\n$m{body}\n";
}

config();
ctl('account', 'add', '--name', 'María García', 'maria@cliente-hosting.es');
ctl('subaccount', 'add', '--notify', 'maria@cliente-hosting.es', 'contable@cliente-hosting.es');
ctl('subaccount', 'add', 'maria@cliente-hosting.es', 'becario@cliente-hosting.es');
start_sink();

# A new ticket: the confirmation to the account and the sub-account that asked for mail.
is(ticketd_deliver(mail(from => 'María García <maria@cliente-hosting.es>', subject => 'No puedo enviar correos',
                id => 'm1@cliente-hosting.es', body => 'Desde ayer el correo no sale.'),
           '-f', 'maria@cliente-hosting.es', '-r', 'soporte@example.com'), 0, 'a new mail is delivered');
my $code = sql('select code from tickets');
like(flush(), qr/^2 notifications sent/, 'outbox flush sends two confirmations');
my @mails = sink_messages();
is_deeply([sort map { $_->{rcpt} } @mails], ['contable@cliente-hosting.es', 'maria@cliente-hosting.es'],
          'to the account and its notified sub-account, never the other sub-account');
my ($confirmation) = grep { $_->{rcpt} eq 'maria@cliente-hosting.es' } @mails;
my $h = $confirmation->{headers};
is($h->{subject}, "[Ticket #$code] No puedo enviar correos", 'Subject carries the tag and the subject');
like($h->{'message-id'}, qr/^<[^@>]+\@example\.com>$/, 'Message-ID on our domain');
is($h->{'in-reply-to'}, '<m1@cliente-hosting.es>', 'In-Reply-To the customer message');
is($h->{references}, '<m1@cliente-hosting.es>', 'References the customer message');
like($h->{'reply-to'}, qr/<soporte\+\Q$code\E\@example\.com>$/, "Reply-To the department's plus-address");
is($h->{'auto-submitted'}, 'auto-replied', 'Auto-Submitted: auto-replied');
is($h->{'x-auto-response-suppress'}, 'All', 'X-Auto-Response-Suppress: All');
is($h->{'x-ticketd-loop'}, 'example.com', 'our loop header');
unlike($h->{to}, qr/contable/, 'a recipient does not see the other');
is($confirmation->{mail_from}, '', 'automatic mail goes with the null sender');
my $body = $confirmation->{body};
utf8::decode($body);
like($body, qr/Hola, María García:/, 'the body greets the account holder, accents intact');
like($body, qr/departamento de Soporte técnico/, 'the body names the department in Spanish');
like($body, qr/Estado: Abierto/, 'the status label is Spanish');

# A reply to the notification with the tag edited away still threads by In-Reply-To.
is(ticketd_deliver(mail(from => 'maria@cliente-hosting.es', subject => 'Sigue igual', id => 'm2@cliente-hosting.es',
                body => 'Sigue sin funcionar.', headers => { 'In-Reply-To' => $h->{'message-id'} }),
           '-r', 'soporte@example.com'), 0, 'a reply without the tag');
is(sql("select count(*) from messages m join tickets t on t.id = m.ticket_id where t.code = '$code'"), 2,
   'it threaded to the ticket by In-Reply-To');
is(sql("select count(*) from outbox where state = 'queued'"), 0, 'a customer reply mails no one about itself');

# A staff reply by mail reaches the customer as human mail, quote-stripped.
clear_sink();
ticketd_deliver(mail(from => 'agente1@example.com', subject => "RE: [Ticket #$code] No puedo enviar correos",
             id => 'staff1@example.com', body => "Ya está arreglado, pruebe ahora.\n\nEl lun, 3 feb 2025 a las 10:00, María escribió:\n> Sigue sin funcionar."),
        '-r', 'soporte@example.com');
flush();
my ($staff) = grep { $_->{rcpt} eq 'maria@cliente-hosting.es' } sink_messages();
ok($staff, 'the staff reply reached the customer');
my $staff_body = $staff->{body};
utf8::decode($staff_body);
like($staff_body, qr/^Ya está arreglado, pruebe ahora\./, 'with the staff words');
unlike($staff_body, qr/Sigue sin funcionar/, 'without the quoted history');
ok(!exists $staff->{headers}{'auto-submitted'}, 'a staff reply is not marked automatic');
is($staff->{mail_from}, 'soporte@example.com', 'and goes with the configured envelope sender');

# Robots get nothing.
my $rows = sql('select count(*) from outbox');
ticketd_deliver(mail(from => 'maria@cliente-hosting.es', subject => 'Fuera de la oficina', id => 'auto1@cliente-hosting.es',
             body => 'Estaré fuera.', headers => { 'Auto-Submitted' => 'auto-replied' }), '-r', 'soporte@example.com');
ticketd_deliver(mail(from => 'MAILER-DAEMON@mx.cliente-hosting.es', subject => 'Undelivered', id => 'dsn1@mx',
             body => 'fallo'), '-f', '', '-r', 'soporte@example.com');
is(sql('select count(*) from outbox'), $rows, 'an auto-reply and a bounce queue no notification');

# The server down: nothing lost, everything arrives once it is up.
stop_sink();
clear_sink();
ctl('status', '--actor', 'agente1@example.com', $code, 'pending');
ctl('status', '--actor', 'agente1@example.com', $code, 'on_hold');
flush();
is(scalar @{[grep { $_->{state} eq 'queued' && $_->{attempts} > 0 } @{outbox()}]}, 1,
   'with the server down the first row is deferred') or diag explain outbox();
is(sql("select count(*) from outbox where state = 'queued'"), 4, 'and all four rows wait');
start_sink();
{
	local $ENV{TICKETD_NOW} = time + 7200;     # past any backoff
	flush();
}
my @back = sink_messages();
is(scalar @back, 4, 'once the server is up, every mail arrives');
my %once;
$once{"$_->{headers}{'message-id'} $_->{rcpt}"}++ for @back;
is(scalar(grep { $_ > 1 } values %once), 0, 'each exactly once');
like(join(' ', map { $_->{body} } @back), qr/de .En espera.|En espera/, 'a status label reached the customer');

# A 4xx is retried, a 5xx fails and says so.
stop_sink();
clear_sink();
start_sink('-r', 'RCPT');
ctl('status', '--actor', 'agente1@example.com', $code, 'in_progress');
flush();
is(scalar(sink_messages()), 0, '4xx: nothing delivered');
is(sql("select count(*) from outbox where state = 'queued' and attempts = 1 and last_error like '%4%'"), 2,
   '4xx: the rows are queued again with the reason');
stop_sink();
start_sink();
{ local $ENV{TICKETD_NOW} = time + 7200; flush(); }
is(scalar(sink_messages()), 2, 'after the 4xx passes, they are delivered');
stop_sink();
clear_sink();
start_sink('-f', 'RCPT');
ctl('status', '--actor', 'agente1@example.com', $code, 'answered');
flush();
my $failed = outbox('--failed');
is(scalar @$failed, 2, '5xx: the rows are failed');
like($failed->[0]{last_error}, qr/5\d\d/, 'with the SMTP reply');
my $show = decode_json(ctl('--json', 'show', $code));
is(scalar(grep { $_->{kind} eq 'delivery_failed' } @{$show->{events}}), 2, "the failure is on the ticket's history");
ctl('outbox', 'retry', $failed->[0]{id});
is(sql("select state from outbox where id = $failed->[0]{id}"), 'queued', 'outbox retry queues a failed row again');
stop_sink();

# Never mail a robot more than auto_per_hour automatic mails in an hour.
config("auto_per_hour = 2");
start_sink();
clear_sink();
for my $n (1 .. 3) {
	ticketd_deliver(mail(from => 'robot@tienda-online.es', subject => "Pedido $n", id => "p$n\@tienda-online.es", body => 'x'),
	        '-r', 'soporte@example.com');
}
flush();
is(scalar(grep { $_->{rcpt} eq 'robot@tienda-online.es' } sink_messages()), 2, 'only auto_per_hour confirmations to one address');
is(sql("select count(*) from outbox where recipient = 'robot\@tienda-online.es' and state = 'suppressed'"), 1,
   'the next one is suppressed, with its reason');

# An auto-responder war: a robot that answers every mail it gets with a fresh mail, no
# tag, no threading, no Auto-Submitted, no subject an auto-reply is known by. The
# exchange must stop within the limit.
config("auto_per_hour = 5");
clear_sink();
my %answered;
my $rounds = 0;
ticketd_deliver(mail(from => 'robot@autorespuestas.es', subject => 'Hola', id => 'r0@autorespuestas.es', body => 'x'),
        '-r', 'soporte@example.com');
while ($rounds < 20) {
	flush();
	my @new = grep { $_->{rcpt} eq 'robot@autorespuestas.es' && !$answered{$_->{file}}++ } sink_messages();
	last unless @new;
	$rounds++;
	for my $n (1 .. @new) {
		ticketd_deliver(mail(from => 'robot@autorespuestas.es', subject => "Su mensaje $rounds.$n",
		             id => "r$rounds.$n\@autorespuestas.es", body => 'Gracias por su mensaje.'),
		        '-r', 'soporte@example.com');
	}
}
cmp_ok($rounds, '<=', 6, "the war stops by itself ($rounds rounds)");
is(scalar(grep { $_->{rcpt} eq 'robot@autorespuestas.es' } sink_messages()), 5, 'the robot got auto_per_hour mails, no more');

done_testing();
