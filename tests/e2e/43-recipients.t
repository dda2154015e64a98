#!/usr/bin/perl
# 43-recipients - who receives each notification, read from what smtp-sink received:
# the account, the sub-accounts that asked for mail, the sender of a new ticket; never
# the author of a change about their own words, never staff, never a sub-account that
# did not ask.
use strict;
use warnings;
use utf8;

use Test::More;
binmode Test::More->builder->$_, ":encoding(UTF-8)" for qw(output failure_output todo_output);
use MIME::QuotedPrint;
use FindBin;
use lib $FindBin::Bin;
use Harness;

plan skip_all => 'smtp-sink (Postfix) is not installed' unless sink_program();
# The agent here answers by the older, weaker path: a staff From threading by subject tag.
write_config(staff => 'agente1@example.com, jefa@proveedor-externo.es', departments => 'soporte',
             ticketd => 'staff_unsigned_reply = yes', smtp => 'envelope_from = rebotes@example.com');
start_sink();

# mails - flush, then what the sink received since the last call: { rcpt => [kinds...] }.
sub mails {
	ctl('outbox', 'flush');
	my %got;
	for my $text (map { $_->{text} } grep { $_->{text} ne '' } sink_messages()) {
		my ($rcpt) = $text =~ /^X-Rcpt-Args: <([^>]*)>/m;
		my ($from) = $text =~ /^X-Mail-Args: <([^>]*)>/m;
		my ($auto) = $text =~ /^Auto-Submitted: (\S+)/m;
		push @{$got{$rcpt}}, { from => $from, auto => $auto // 'none', text => $text };
	}
	clear_sink();
	return \%got;
}
sub rcpts { my ($got) = @_; return join ' ', sort keys %$got }

sub deliver {
	my (%m) = @_;
	my $headers = join '', map { "$_: $m{headers}{$_}\n" } sort keys %{$m{headers} // {}};
	my $mail = "From: $m{from}\nTo: soporte\@example.com\nSubject: $m{subject}\nMessage-ID: <$m{id}>\n"
	         . "Date: Mon, 3 Feb 2025 10:00:00 +0100\nContent-Type: text/plain; charset=utf-8\n$headers\n$m{body}\n";
	utf8::encode($mail);
	return ticketd_deliver($mail, '-f', $m{from}, '-r', 'soporte@example.com');
}

ctl('account', 'add', '--name', 'María García', 'maria@cliente.es');
ctl('subaccount', 'add', '--notify', '--can-open', 'maria@cliente.es', 'contable@cliente.es');
ctl('subaccount', 'add', '--can-open', 'maria@cliente.es', 'becario@cliente.es');
ctl('subaccount', 'add', '--notify', 'maria@cliente.es', 'auditor@cliente.es');

# A sub-account that did not ask for mail opens a ticket: it gets the confirmation anyway.
is(deliver(from => 'becario@cliente.es', subject => 'Certificado caducado', id => 'b1@cliente.es',
           body => 'El certificado SSL caducó ayer.'), 0, 'a sub-account opens a ticket');
my $code = sql('select code from tickets');
my $got = mails();
is(rcpts($got), 'auditor@cliente.es becario@cliente.es contable@cliente.es maria@cliente.es',
   'confirmation: the sender, the account and the sub-accounts that asked');
is(scalar(grep { @$_ != 1 } values %$got), 0, 'one mail each');

# Staff change the status: everyone who asked, not the sub-account that did not, not staff.
ctl('status', '--actor', 'agente1@example.com', $code, 'in_progress');
$got = mails();
is(rcpts($got), 'auditor@cliente.es contable@cliente.es maria@cliente.es',
   'status change: the account and the notified sub-accounts only');
is($got->{'maria@cliente.es'}[0]{auto}, 'auto-generated', 'a status notice is auto-generated');
like(decode_qp($got->{'maria@cliente.es'}[0]{text}), qr/En curso/, 'with the Spanish label');

# A customer reply tells nobody anything.
deliver(from => 'contable@cliente.es', subject => "RE: [Ticket #$code] Certificado caducado",
        id => 'c1@cliente.es', body => 'Adjunto la captura.');
is(rcpts(mails()), '', 'a customer reply sends no notification');

# A staff reply by mail: human mail with our envelope sender, never back to staff.
deliver(from => 'agente1@example.com', subject => "RE: [Ticket #$code] Certificado caducado",
        id => 'a1@example.com', body => 'Renovado. Compruebe ahora, por favor.');
$got = mails();
is(rcpts($got), 'auditor@cliente.es contable@cliente.es maria@cliente.es', 'staff reply: account and notified');
is($got->{'maria@cliente.es'}[0]{from}, 'rebotes@example.com', 'with the configured envelope sender');
is($got->{'maria@cliente.es'}[0]{auto}, 'none', 'and no Auto-Submitted');

# Resolved, then a sub-account's reply reopens it: the others hear, the author does not.
# A staff member outside our domain who is also listed as a notified sub-account.
ctl('subaccount', 'add', '--notify', 'maria@cliente.es', 'jefa@proveedor-externo.es');
ctl('status', '--actor', 'agente1@example.com', $code, 'resolved');
$got = mails();
is(rcpts($got), 'auditor@cliente.es contable@cliente.es maria@cliente.es',
   'staff get no customer notification, even listed as a sub-account');
like(sql("select last_error from outbox where recipient = 'jefa\@proveedor-externo.es' and state = 'suppressed'"),
     qr/staff/, 'the suppression is kept with its reason');
deliver(from => 'contable@cliente.es', subject => "RE: [Ticket #$code] Certificado caducado",
        id => 'c2@cliente.es', body => 'Vuelve a fallar.');
is(sql("select status from tickets where code = '$code'"), 'customer_reply', 'the reply reopened the ticket');
$got = mails();
is(rcpts($got), 'auditor@cliente.es maria@cliente.es', 'reopened: told to the others, not to its author');
is($got->{'maria@cliente.es'}[0]{auto}, 'auto-replied', 'a reopening notice is auto-replied');

# Staff sets a status for the customer's own change? No: an actor never gets their own change.
ctl('status', '--actor', 'maria@cliente.es', $code, 'on_hold');
is(rcpts(mails()), 'auditor@cliente.es contable@cliente.es', 'the author of a status change is not told');

# A disabled account (a customer who left) is no longer mailed, nor are the people it
# had authorized: they were reachable only through it.
ctl('account', 'disable', 'maria@cliente.es');
ctl('status', '--actor', 'agente1@example.com', $code, 'closed');
is(rcpts(mails()), '', 'a disabled account: no notification to it or its sub-accounts');

done_testing();
