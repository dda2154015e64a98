#!/usr/bin/perl
# 10-fixtures - every message of maildir-fixtures, imported in order into an empty
# database, gets the class, the action and the ticket tests/e2e/fixtures.expected says;
# importing the same mails again changes nothing.
use strict;
use warnings;
use Test::More;
use JSON::PP;
use FindBin;
use lib $FindBin::Bin;
use Harness;

# The fixtures' agents answer by the older, weaker path: a staff From threading to a ticket.
write_config(ticketd => 'staff_unsigned_reply = yes');
ok(load_accounts() && -s $CONF, 'configuration written, accounts loaded') or BAIL_OUT('no test setup');
my $ctl = "$TICKETCTL -c $CONF";

# The results, one line per (file, department).
my (%results, %code);
mkdir "$WORK/copies" or die "$WORK/copies: $!";
$ENV{FEED_COPIES} = "$WORK/copies";
for (`$TOP/tests/support/feed-fixtures.pl $TICKETCTL $CONF $TOP/maildir-fixtures`) {
	chomp;
	my ($path, $status, $class, $action, $ticket, $department) = split /\t/;
	push @{$results{$path}}, { status => $status, class => $class, action => $action,
	                           ticket => $ticket, department => $department };
}
is($?, 0, 'all fixtures fed');

sub name { my ($p) = @_; $p =~ s{.*/}{}; $p =~ s{:2,.*$}{}; $p }
for my $path (keys %results) {
	my $first = $results{$path}[0];
	$code{name($path)} = $first->{ticket} if $first->{action} =~ /^new/;
}

open my $expected, '<', "$TOP/tests/e2e/fixtures.expected" or die "fixtures.expected: $!";
my $cases = 0;
while (<$expected>) {
	next if /^#/ || /^\s*$/;
	chomp;
	my ($path, $class, $action, $ref, $notes) = split /\t/;
	my $got = $results{$path}[0];
	$cases++;
	unless ($got) { fail("$path: imported"); next; }
	is($got->{class}, $class, "$path: class $class");
	is($got->{action}, $action, "$path: action $action ($notes)");
	if ($ref eq '=') {
		like($got->{ticket}, qr/^[A-Z]{3}-\d{6}$/, "$path: opens a ticket");
	} elsif ($ref eq '-') {
		is($got->{ticket}, '-', "$path: tied to no ticket");
	} else {
		(my $origin = $ref) =~ s/^@//;
		is($got->{ticket}, $code{name($origin)}, "$path: lands in the ticket of $origin");
	}
}
cmp_ok($cases, '>=', 40, 'at least 40 fixtures have expectations');

# A mail to two departments makes one ticket in each, never two in one.
my @multi = grep { @{$results{$_}} > 1 } keys %results;
ok(@multi >= 1, 'a fixture is addressed to two departments');
for my $path (@multi) {
	my %departments = map { $_->{department} => 1 } @{$results{$path}};
	is(scalar keys %departments, scalar @{$results{$path}}, "$path: one result per department");
	my %tickets = map { $_->{ticket} => 1 } grep { $_->{action} eq 'new' } @{$results{$path}};
	is(scalar keys %tickets, scalar @{$results{$path}}, "$path: one ticket per department");
}

# Everything again, byte for byte as it was imported (the codes filled in): nothing new,
# nothing doubled.
my $before = `sqlite3 $WORK/ticketd.db 'select count(*) from tickets; select count(*) from messages'`;
my $again = decode_json(scalar `$ctl --json import $WORK/copies/*`);
is($again->{actions}{new} + $again->{actions}{reply} + $again->{actions}{reopen}, 0,
   'a second import makes no ticket and no reply');
cmp_ok($again->{actions}{duplicate}, '>=', $again->{total} - $again->{actions}{hold} - $again->{actions}{drop}
       - $again->{actions}{reject}, 'a second import counts duplicates');
is(`sqlite3 $WORK/ticketd.db 'select count(*) from tickets; select count(*) from messages'`, $before,
   'ticket and message counts unchanged');

# The raw bytes are kept exactly.
my ($first_file) = sort glob("$TOP/maildir-fixtures/cur/*");
my $first_id = `sqlite3 $WORK/ticketd.db "select message_id from raw_messages order by message_id limit 1"`;
chomp $first_id;
my $stored = `sqlite3 $WORK/ticketd.db "select hex(bytes) from raw_messages where message_id = $first_id"`;
chomp $stored;
open my $fh, '<:raw', $first_file or die;
my $bytes = do { local $/; <$fh> };
is($stored, uc unpack('H*', $bytes), 'the first message is stored byte for byte');

# list and show let a person see the result.
my $list = decode_json(scalar `$ctl list --all --json`);     # closed ones too
cmp_ok(scalar @$list, '>=', 15, 'list --json shows the tickets');
my $show = decode_json(scalar `$ctl show --json $list->[0]{code}`);
is($show->{ticket}{code}, $list->[0]{code}, 'show --json gives the ticket');
cmp_ok(scalar @{$show->{messages}}, '>=', 1, 'show --json gives its thread');
like(scalar `$ctl list`, qr/CODE\s+STATUS\s+DEPARTMENT/, 'list prints a table');
my @queue = map { $_->{last_customer} || $_->{created} } @$list;
is_deeply([@queue], [sort { $a <=> $b } @queue], 'list is in queue order');

done_testing();
