#!/usr/bin/perl
# 46-threading - every notice threads in the customer's mail client: In-Reply-To the
# message it answers (the customer's, else the thread's last) and References the ticket's
# chain from its first message, whatever the kind: confirmation, status, auto-close,
# reopen. Read from what smtp-sink received.
use strict;
use warnings;
use utf8;

use Test::More;
use FindBin;
use lib $FindBin::Bin;
use Harness;

plan skip_all => 'smtp-sink (Postfix) is not installed' unless sink_program();
write_config(departments => 'soporte', smtp => '');
start_sink();

sub deliver {
	my ($id, $subject, $headers) = @_;
	return ticketd_deliver("From: ana\@cliente.es\nTo: soporte\@example.com\nSubject: $subject\n"
	                       . "Message-ID: <$id>\nDate: Mon, 3 Feb 2025 10:00:00 +0100\n" . ($headers // '')
	                       . "\nNo funciona.\n", '-f', 'ana@cliente.es', '-r', 'soporte@example.com');
}
# notice - flush, then the one mail (one Message-ID) the sink got since the last call: its headers.
sub notice {
	ctl('outbox', 'flush');
	my @got = grep { $_->{text} ne '' } sink_messages();
	my %ids = map { $_->{headers}{'message-id'} => 1 } @got;
	clear_sink();
	is(scalar keys %ids, 1, 'one notice') or diag explain \@got;
	return $got[0]{headers} // {};
}

ctl('account', 'add', 'ana@cliente.es');
# The author of a reply gets no copy of the reopen notice; her notified colleague does.
ctl('subaccount', 'add', '--notify', 'ana@cliente.es', 'contable@cliente.es');
deliver('m1@cliente.es', 'Error 500');
my $code = sql('select code from tickets');
my $created = notice();
is($created->{'in-reply-to'}, '<m1@cliente.es>', 'the confirmation answers the customer');
my $n1 = $created->{'message-id'};

ctl('status', '--actor', 'agente1@example.com', $code, 'pending');
my $status = notice();
is($status->{'in-reply-to'}, $n1, 'a status notice answers the last message of the thread');
is($status->{references}, "<m1\@cliente.es> $n1", 'References: the first message, then the rest of the chain');
my $s1 = $status->{'message-id'};

$ENV{TICKETD_NOW} = time + 80 * 3600;       # the sweeper's notice is due when it ran
ctl('sweep');
my $closed = notice();
is(sql("select status from tickets where code = '$code'"), 'closed', 'the sweeper closed the idle ticket');
is($closed->{'in-reply-to'}, $s1, 'the auto-close notice answers the status notice');
is($closed->{references}, "<m1\@cliente.es> $n1 $s1", 'and References the whole chain from the first message');
my $a1 = $closed->{'message-id'};

{
	local $ENV{TICKETD_NOW} = $ENV{TICKETD_NOW} + 3600;
	deliver('m2@cliente.es', "RE: [Ticket #$code] Error 500", "In-Reply-To: $a1\nReferences: $n1 $a1\n");
	my $reopened = notice();
	is($reopened->{'in-reply-to'}, '<m2@cliente.es>', "the reopen notice answers the customer's reply");
	like($reopened->{references}, qr/^<m1\@cliente\.es> .*\Q$a1\E <m2\@cliente\.es>$/,
	     'References start at the first message and end with the reply it answers');
	is(sql("select count(*) from message_ids m join tickets t on t.id = m.ticket_id where t.code = '$code'"), 6,
	   'every notice and message has its Message-ID recorded on the ticket');
}

done_testing();
