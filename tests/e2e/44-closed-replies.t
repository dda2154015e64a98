#!/usr/bin/perl
# 44-closed-replies - the answers to a reply to a closed ticket, as received over SMTP:
# closed_reply = new sends the confirmation of the new ticket, naming the closed one;
# closed_reply = reject sends the refusal with the address to write to instead.
use strict;
use warnings;
use utf8;

use Test::More;
binmode Test::More->builder->$_, ":encoding(UTF-8)" for qw(output failure_output todo_output);
use FindBin;
use lib $FindBin::Bin;
use Harness;

plan skip_all => 'smtp-sink (Postfix) is not installed' unless sink_program();
write_config(staff => 'agente1@example.com', departments => 'soporte ventas', ticketd => 'subject_tag = Caso',
             'department:soporte' => 'closed_reply = new', 'department:ventas' => 'closed_reply = reject',
             smtp => '');
start_sink();

# mails - flush, then the mails received since the last call, headers unfolded, body decoded.
sub mails {
	ctl('outbox', 'flush');
	my @mails = grep { $_->{text} ne '' } sink_messages();
	clear_sink();
	utf8::decode($_->{body}) for @mails;
	return @mails;
}

sub deliver {
	my (%m) = @_;
	my $mail = "From: maria\@cliente.es\nTo: $m{to}\nSubject: $m{subject}\nMessage-ID: <$m{id}>\n"
	         . "Date: Mon, 3 Feb 2025 10:00:00 +0100\nContent-Type: text/plain; charset=utf-8\n\n$m{body}\n";
	utf8::encode($mail);
	return ticketd_deliver($mail, '-f', 'maria@cliente.es', '-r', $m{to});
}

ctl('account', 'add', '--name', 'María García', 'maria@cliente.es');

# closed_reply = new
deliver(to => 'soporte@example.com', subject => 'Copia de seguridad', id => 'n1@cliente.es', body => 'Hola');
my $old = sql("select code from tickets where department = 'soporte'");
my ($confirmation) = mails();
is($confirmation->{headers}{subject}, "[Caso #$old] Copia de seguridad", 'the configured subject tag');
like($confirmation->{body}, qr/conservando \[Caso #\Q$old\E\] en el asunto/, 'and the body names the same tag');
ctl('status', '--actor', 'agente1@example.com', $old, 'closed');
mails();
deliver(to => 'soporte@example.com', subject => "RE: [Caso #$old] Copia de seguridad", id => 'n2@cliente.es',
        body => 'Necesito otra restauración.');
my $new = sql("select code from tickets where department = 'soporte' and code <> '$old'");
ok($new, 'the reply opened a new ticket');
my @mails = mails();
is(scalar @mails, 1, 'one mail about it');
my $h = $mails[0]{headers};
is($h->{subject}, "[Caso #$new] Copia de seguridad", 'under the new code, without the old tag');
is($h->{'in-reply-to'}, '<n2@cliente.es>', 'in reply to the customer\'s message');
is($h->{'auto-submitted'}, 'auto-replied', 'auto-replied');
like($h->{'reply-to'}, qr/<soporte\+\Q$new\E\@example\.com>/, 'replies go to the new ticket');
like($mails[0]{body}, qr/El ticket \Q$old\E ya estaba cerrado.*\n?.*\Q$new\E/, 'the body names both tickets');

# closed_reply = reject
deliver(to => 'ventas@example.com', subject => 'Presupuesto', id => 'v1@cliente.es', body => 'Hola');
my $sales = sql("select code from tickets where department = 'ventas'");
mails();
ctl('status', '--actor', 'agente1@example.com', $sales, 'closed');
mails();
deliver(to => 'ventas@example.com', subject => "Re: [Caso #$sales] Presupuesto", id => 'v2@cliente.es',
        body => '¿Sigue en pie?');
is(sql("select status from tickets where code = '$sales'"), 'closed', 'the closed ticket stays closed');
@mails = mails();
is(scalar @mails, 1, 'one refusal');
like($mails[0]{body}, qr/El ticket \Q$sales\E está cerrado y ya no admite respuestas/, 'it says why');
like($mails[0]{body}, qr/ventas\@example\.com/, 'and where to write instead');
like($mails[0]{body}, qr/El equipo de Ventas/, 'signed by the department');
is($mails[0]{headers}{'auto-submitted'}, 'auto-replied', 'auto-replied');
is($mails[0]{headers}{'in-reply-to'}, '<v2@cliente.es>', 'in reply to the refused message');

done_testing();
