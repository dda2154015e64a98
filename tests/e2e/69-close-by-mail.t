#!/usr/bin/perl
# 68-close-by-mail - customers close their own ticket by mail, read from what smtp-sink
# received: every customer notice carries a mailto: close link; a mail to the close
# address or a reply starting #cerrar from the account or a sub-account closes the ticket
# and confirms it; a stranger's or a watcher's request is held and changes nothing;
# [sweep] remind warns once before a rule closes; a department's own From and signature.
use strict;
use warnings;
use utf8;

use Encode qw(decode);
use Test::More;
binmode Test::More->builder->$_, ":encoding(UTF-8)" for qw(output failure_output todo_output);
use FindBin;
use lib $FindBin::Bin;
use Harness;

plan skip_all => 'smtp-sink (Postfix) is not installed' unless sink_program();
write_config(smtp => "signature = Example Hosting\\nhttps://www.example.com",
             'department:facturacion' => "from = Facturación Example <facturacion\@example.com>\n"
                                       . "signature = Facturación Example\\nTel. 900 100 200",
             sections => "[sweep]\nremind = 24h\n");
start_sink();

my $T0 = 1738573200;                # 2025-02-03 09:00 UTC
my $H = 3600;

sub deliver {
	my (%m) = @_;
	my $headers = join '', map { "$_: $m{headers}{$_}\n" } sort keys %{$m{headers} // {}};
	my $mail = "From: $m{from}\nTo: $m{to}\nSubject: $m{subject}\nMessage-ID: <$m{id}>\n"
	         . "Date: Mon, 3 Feb 2025 10:00:00 +0100\nContent-Type: text/plain; charset=utf-8\n$headers\n$m{body}\n";
	utf8::encode($mail);
	my ($sender) = $m{from} =~ /([^\s<>]+\@[^\s<>]+)/;
	local $ENV{TICKETD_NOW} = $m{at} // $T0;
	return ticketd_deliver($mail, '-f', $sender, '-r', $m{rcpt} // $m{to});
}
# mails - flush, then the customer mails the sink received since the last call, and forget them.
sub mails {
	ctl('outbox', 'flush');
	my @got = grep { $_->{text} ne '' && $_->{rcpt} !~ /^agente/ } sink_messages();
	clear_sink();
	for (@got) {
		$_->{body} = decode('UTF-8', $_->{body});
		$_->{from} = decode('MIME-Header', $_->{headers}{from} // '');
	}
	return @got;
}
sub status_of { my ($code) = @_; return sql("select status from tickets where code = '$code'") }
sub held_count { return sql('select count(*) from held') }

ctl('account', 'add', '--name', 'María García', 'maria@cliente.es');
ctl('subaccount', 'add', 'maria@cliente.es', 'contable@cliente.es');

# The confirmation ends with the close link: the close address, a ready subject (RFC 6068).
is(deliver(from => 'María García <maria@cliente.es>', to => 'soporte@example.com', subject => 'La web no carga',
           id => 'm1@cliente.es', body => 'Desde esta mañana da error 500.',
           headers => { Cc => 'pedro@colega.es' }), 0, 'a new ticket');
my $code = sql("select code from tickets where subject = 'La web no carga'");
my ($confirmation) = grep { $_->{rcpt} eq 'maria@cliente.es' } mails();
like($confirmation->{body}, qr/Si ya está resuelto, puede cerrarlo: mailto:soporte\+\Q$code\E-cerrar\@example\.com\?subject=Cerrar%20%5BTicket%20%23\Q$code\E%5D/,
     'the confirmation ends with a mailto: close link to soporte+CODE-cerrar@ with a percent-encoded subject');
like($confirmation->{body}, qr/\n-- \nExample Hosting\nhttps:\/\/www\.example\.com/, 'and the global [smtp] signature');

# A stranger writing to the close address changes nothing: held with the reason.
is(deliver(from => 'intruso@otro.es', to => "soporte+$code-cerrar\@example.com", subject => 'cerrar',
           id => 's1@otro.es', body => 'cerrar'), 0, "a stranger's mail to the close address is accepted");
is(status_of($code), 'open', 'the ticket stays open');
like(sql('select reason from held order by id desc limit 1'), qr/request to close \Q$code\E from someone who is neither/,
     'the mail is held with the reason');
like(ctl('held', 'list'), qr/neither its account nor one of its sub-accounts/, 'ticketctl held list shows it');
is(scalar(mails()), 0, 'the customer is mailed nothing');

# A watcher may add to the thread but not close it.
is(deliver(from => 'pedro@colega.es', to => "soporte+$code-close\@example.com", subject => "Re: [Ticket #$code]",
           id => 'p1@colega.es', body => "#close"), 0, "a watcher's close request is accepted");
is(status_of($code), 'open', "a watcher's request does not close the ticket");
is(held_count(), 2, 'it is held too');

# The account holder writes to the close address: closed, the closing notice goes out.
is(deliver(from => 'María García <maria@cliente.es>', to => "soporte+$code-cerrar\@example.com",
           subject => "Cerrar [Ticket #$code]", id => 'm2@cliente.es', body => ''), 0,
   "the account's mail to the close address is accepted");
is(status_of($code), 'closed', 'the ticket is closed');
is(sql("select actor from events where kind = 'status' and new_status = 'closed'"), 'maria@cliente.es',
   'the history names the customer who closed it');
my @got = grep { $_->{rcpt} eq 'maria@cliente.es' } mails();
is(scalar @got, 1, 'the customer gets one mail');
like($got[0]{body}, qr/Hemos cerrado el ticket \Q$code\E .*como nos ha pedido/s, 'the closing notice');
unlike($got[0]{body}, qr/mailto:/, 'with no close link: nothing is left to close');

# A sub-account's reply whose first line is #cerrar closes another ticket; a second
# ticket's plain plus-address still threads (soporte+CODE@).
is(deliver(from => 'maria@cliente.es', to => 'soporte@example.com', subject => 'Factura duplicada',
           id => 'm3@cliente.es', body => 'Me han cobrado dos veces.'), 0, 'a second ticket');
my $code2 = sql("select code from tickets where subject = 'Factura duplicada'");
is(deliver(from => 'contable@cliente.es', to => "soporte+$code2\@example.com", subject => "Re: hola",
           id => 'c1@cliente.es', body => "Añado el justificante."), 0, 'a reply to the plus-address');
is(sql("select count(*) from messages m join tickets t on t.id = m.ticket_id where t.code = '$code2'"), 2,
   'soporte+CODE@ still threads');
is(status_of($code2), 'customer_reply', 'an ordinary reply does not close');
is(deliver(from => 'contable@cliente.es', to => 'soporte@example.com', subject => "RE: [Ticket #$code2] Factura duplicada",
           id => 'c0@cliente.es', body => "Gracias.\n#cerrar\n"), 0, 'a reply with #cerrar below its first line');
is(status_of($code2), 'customer_reply', 'does not close: only the first line counts');
mails();
is(deliver(from => 'contable@cliente.es', to => 'soporte@example.com', subject => "RE: [Ticket #$code2] Factura duplicada",
           id => 'c2@cliente.es', body => "\n  #cerrar\nYa está resuelto, gracias.\n\n> texto citado"), 0,
   "a sub-account's reply starting #cerrar");
is(status_of($code2), 'closed', '#cerrar on the first line closes the ticket');
is(scalar(grep { $_->{rcpt} eq 'maria@cliente.es' && $_->{body} =~ /Hemos cerrado/ } mails()), 1,
   'the account holder gets the closing notice');

# [sweep] remind = 24h: one reminder before the default rule (answered 72 h → closed).
is(deliver(from => 'maria@cliente.es', to => 'facturacion@example.com', subject => 'Cambio de titular',
           id => 'm4@cliente.es', body => 'Quiero cambiar el titular.'), 0, 'a facturacion ticket');
my $code3 = sql("select code from tickets where subject = 'Cambio de titular'");
my @fact = mails();
is($fact[0]{from}, 'Facturación Example <facturacion@example.com>',
   "a facturacion ticket's notice comes From the department's address");
like($fact[0]{body}, qr/\n-- \nFacturación Example\nTel\. 900 100 200\n/, "with the department's signature");
unlike($fact[0]{body}, qr/Example Hosting/, 'not the global one');
like($fact[0]{body}, qr/mailto:facturacion\+\Q$code3\E-cerrar\@example\.com/, "its close link is the department's");
{
	local $ENV{TICKETD_NOW} = $T0;
	open my $fh, '>:encoding(UTF-8)', "$WORK/reply.txt" or die; print $fh "Envíenos el DNI del nuevo titular.\n"; close $fh;
	ctl('reply', '--actor', 'agente1@example.com', '--file', "$WORK/reply.txt", $code3);
}
@fact = mails();
is($fact[0]{from}, 'Facturación Example <facturacion@example.com>',
   "the staff reply comes From the department's address too");
like($fact[0]{body}, qr/DNI.*\n-- \n.*Facturación Example\nTel\. 900 100 200\n/s, 'with one "-- " block and the signature');
is(scalar(() = $fact[0]{body} =~ /^-- $/mg), 1, 'exactly one signature separator');

ctl('sweep', '--now', '@' . ($T0 + 40 * $H));
is(scalar(mails()), 0, 'no reminder 40 h after the reply');
ctl('sweep', '--now', '@' . ($T0 + 49 * $H));
@got = grep { $_->{rcpt} eq 'maria@cliente.es' } mails();
is(scalar @got, 1, 'a reminder 49 h after the reply (24 h before the 72 h rule)');
like($got[0]{body}, qr/Se cerrará en 24 h si no responde/, '"se cerrará en 24 h si no responde"');
is(status_of($code3), 'answered', 'the reminder changes no status');
ctl('sweep', '--now', '@' . ($T0 + 60 * $H));
is(scalar(mails()), 0, 'only once per idle period');
is(sql("select count(*) from events where kind = 'reminded'"), 1, 'one reminded event in the history');
ctl('sweep', '--now', '@' . ($T0 + 73 * $H));
is(status_of($code3), 'closed', 'the rule closes it at 72 h');
@got = grep { $_->{rcpt} eq 'maria@cliente.es' } mails();
is(scalar @got, 1, 'with the auto-close notice');
like($got[0]{body}, qr/se ha cerrado porque no hemos recibido respuesta/, 'the auto_closed notice');

done_testing();
