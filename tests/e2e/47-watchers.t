#!/usr/bin/perl
# 45-watchers - the people a customer copies become the ticket's watchers: every notice is
# one mail To the account, Cc the notified sub-accounts and the watchers, read here from
# what smtp-sink received; a watcher's "reply all" joins that ticket and opens no account;
# staff add, remove and list watchers; a department with cc = ignore keeps no one.
use strict;
use warnings;
use utf8;

use Test::More;
binmode Test::More->builder->$_, ":encoding(UTF-8)" for qw(output failure_output todo_output);
use FindBin;
use lib $FindBin::Bin;
use Harness;

plan skip_all => 'smtp-sink (Postfix) is not installed' unless sink_program();
write_config(departments => 'soporte ventas', smtp => '', 'department:ventas' => 'cc = ignore');
start_sink();

sub deliver {
	my (%m) = @_;
	my $headers = join '', map { "$_: $m{headers}{$_}\n" } sort keys %{$m{headers} // {}};
	my $mail = "From: $m{from}\nTo: $m{to}\nSubject: $m{subject}\nMessage-ID: <$m{id}>\n"
	         . "Date: Mon, 3 Feb 2025 10:00:00 +0100\nContent-Type: text/plain; charset=utf-8\n$headers\n$m{body}\n";
	utf8::encode($mail);
	my ($sender) = $m{from} =~ /([^\s<>]+\@[^\s<>]+)/;
	return ticketd_deliver($mail, '-f', $sender, '-r', $m{rcpt} // $m{to});
}

# mails - flush, then the mails the sink received since the last call, and forget them.
sub mails {
	ctl('outbox', 'flush');
	my @got = grep { $_->{text} ne '' } sink_messages();
	clear_sink();
	return @got;
}
sub addresses { my ($list) = @_; return join ' ', sort map { lc } ($list // '') =~ /([^\s<>,"]+\@[^\s<>,"]+)/g }

ctl('account', 'add', '--name', 'María García', 'maria@cliente.es');
ctl('subaccount', 'add', '--notify', 'maria@cliente.es', 'contable@cliente.es');

# María opens a ticket with two colleagues, her notified sub-account and the desk in copy.
is(deliver(from => 'María García <maria@cliente.es>', to => 'soporte@example.com, Pedro <pedro@colega.es>',
           subject => 'La web no carga', id => 'm1@cliente.es', body => 'Desde esta mañana da error 500.',
           headers => { Cc => 'luisa@otra-empresa.es, contable@cliente.es, ventas@example.com' },
           rcpt => 'soporte@example.com'), 0, 'a customer mail with people in copy is delivered');
my $code = sql('select code from tickets');
is(ctl("watcher", "list", $code), "luisa\@otra-empresa.es\npedro\@colega.es\n",
   'the people in To and Cc watch it; not the desk, not the sub-account, not the sender');
is(sql('select count(*) from accounts'), 1, 'no account for the people in copy');

my @got = mails();
is(join(' ', sort map { $_->{rcpt} } @got), 'contable@cliente.es luisa@otra-empresa.es maria@cliente.es pedro@colega.es',
   'the confirmation reaches each of them once');
my %ids = map { $_->{headers}{'message-id'} => 1 } @got;
is(scalar keys %ids, 1, 'as one mail: one Message-ID for all');
is(addresses($got[0]{headers}{to}), 'maria@cliente.es', 'To the account holder');
is(addresses($got[0]{headers}{cc}), 'contable@cliente.es luisa@otra-empresa.es pedro@colega.es',
   'Cc the notified sub-account and the watchers');

# The next staff reply: one mail, To the customer, Cc both colleagues and the sub-account.
open my $fh, '>', "$WORK/reply.txt" or die; print $fh "Reiniciado el servidor web.\n"; close $fh;
ctl('reply', '--actor', 'agente1@example.com', '--file', "$WORK/reply.txt", $code);
@got = mails();
%ids = map { $_->{headers}{'message-id'} => 1 } @got;
is(scalar @got, 4, 'the staff reply goes to four envelope recipients');
is(scalar keys %ids, 1, 'as one mail');
is(addresses($got[0]{headers}{to}), 'maria@cliente.es', 'To the customer');
like(addresses($got[0]{headers}{cc}), qr/^contable\@cliente\.es luisa\@otra-empresa\.es pedro\@colega\.es$/,
     'Cc both colleagues');
my ($notice) = map { $_->{headers}{'message-id'} } @got;

# Pedro answers "reply all": it joins the same ticket and opens no account.
is(deliver(from => 'pedro@colega.es', to => "soporte+$code\@example.com",
           subject => "RE: [Ticket #$code] La web no carga", id => 'p1@colega.es', body => 'Ya carga, gracias.',
           headers => { Cc => 'maria@cliente.es, luisa@otra-empresa.es', 'In-Reply-To' => $notice }), 0,
   "a watcher's reply all is delivered");
is(sql('select count(*) from tickets'), 1, 'no new ticket');
is(sql("select count(*) from messages m join tickets t on t.id = m.ticket_id where t.code = '$code' and m.author = 'pedro\@colega.es'"),
   1, "the watcher's reply is on the ticket");
is(sql('select count(*) from accounts'), 1, 'and no new account');
is(sql("select status from tickets where code = '$code'"), 'customer_reply', 'the ticket has a customer reply');

# A stranger naming the code is not a watcher: it does not join the ticket.
deliver(from => 'otro@desconocido.es', to => 'soporte@example.com', subject => "RE: [Ticket #$code] La web no carga",
        id => 'x1@desconocido.es', body => 'Hola');
is(sql("select count(*) from messages m join tickets t on t.id = m.ticket_id where t.code = '$code' and m.author = 'otro\@desconocido.es'"),
   0, 'a stranger naming the code does not post to it');
mails();

# Staff remove one watcher and add another; the desk's own address cannot watch.
like(ctl('watcher', 'remove', $code, 'luisa@otra-empresa.es'), qr/no longer watches/, 'watcher remove');
like(ctl('--json', 'watcher', 'add', $code, 'jefe@colega.es'), qr/"watching"\s*:\s*true/, 'watcher add --json');
system($TICKETCTL, '-c', $CONF, 'watcher', 'add', $code, 'soporte@example.com');
is($? >> 8, 65, 'the desk address cannot watch a ticket (65)');
ctl('status', '--actor', 'agente1@example.com', $code, 'in_progress');
@got = mails();
is(join(' ', sort map { $_->{rcpt} } @got), 'contable@cliente.es jefe@colega.es maria@cliente.es pedro@colega.es',
   'the next notice follows the changed list');
is(addresses($got[0]{headers}{cc}), 'contable@cliente.es jefe@colega.es pedro@colega.es', 'and its Cc says so');

# cc = ignore in [department:ventas]: the people in copy are not kept.
deliver(from => 'maria@cliente.es', to => 'ventas@example.com', subject => 'Presupuesto', id => 'v1@cliente.es',
        body => 'Quiero un presupuesto.', headers => { Cc => 'pedro@colega.es' });
my $sales = sql("select code from tickets where department = 'ventas'");
is(ctl('watcher', 'list', $sales), '', 'cc = ignore keeps no watchers');
is(join(' ', sort map { $_->{rcpt} } mails()), 'contable@cliente.es maria@cliente.es', 'and mails only the account');

done_testing();
