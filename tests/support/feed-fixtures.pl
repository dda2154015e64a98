#!/usr/bin/perl
# feed-fixtures - import maildir-fixtures one message at a time, in name order, through
# `ticketctl import --json`, writing each message's result as a tab-separated line:
#   path  status  class  action  ticket  department
# A fixture that replies by subject tag or plus-address cannot know its ticket's random
# code when it is written, so it carries @CODE:<name of the original>@; this replaces
# it with the code that message's ticket got. Used by tests/e2e/10-fixtures.t and the demo.
use strict;
use warnings;
use JSON::PP;
use File::Temp qw(tempdir);
use IO::Socket::INET;

my ($ticketctl, $config, $fixtures, $mode, $lmtp) = @ARGV;
die "usage: feed-fixtures TICKETCTL CONFIG FIXTURES-DIR\n" unless defined $fixtures;

# Steps a fixture needs first (e.g. its ticket resolved by staff): tests/support/fixtures.steps.
my %steps;
(my $steps_file = $0) =~ s{[^/]*$}{fixtures.steps};
if (open my $steps, '<', $steps_file) {
	while (<$steps>) {
		next if /^#/ || !/\S/;
		chomp;
		my ($fixture, $command, $of, $argument) = split /\t/;
		push @{$steps{$fixture}}, [$command, $of, $argument];
	}
}

my @files = sort { base($a) cmp base($b) } map { glob("$fixtures/$_/*") } qw(cur new);
my %code;               # fixture name (no flags) -> ticket code
# $FEED_COPIES keeps the bytes as imported (codes filled in), for importing them again.
my $tmp = $ENV{FEED_COPIES} // tempdir(CLEANUP => 1);

sub base { my ($p) = @_; $p =~ s{.*/}{}; $p =~ s{:2,.*$}{}; return $p; }

for my $file (@files) {
	for my $step (@{$steps{base($file)} // []}) {
		my ($command, $of, $argument) = @$step;
		my $ticket = $code{$of} // die "$file: no ticket yet for $of\n";
		# The command's own report is not one of our result lines.
		my $report = `"$ticketctl" -c "$config" $command $ticket $argument`;
		$? == 0 or die "$file: ticketctl $command $ticket $argument failed: $report\n";
	}
	open my $in, '<:raw', $file or die "$file: $!\n";
	my $raw = do { local $/; <$in> };
	close $in;
	$raw =~ s{\@CODE:([^@\s]+)\@}{ $code{base($1)} // die "$file: no code yet for $1\n" }ge;
	my $copy = "$tmp/" . base($file);
	open my $out, '>:raw', $copy or die "$copy: $!\n";
	print $out $raw;
	close $out;
	if (defined $mode && $mode eq '--lmtp') {
		(my $rel = $file) =~ s{^\Q$fixtures\E/}{};
		for my $result (lmtp_deliver($lmtp, $raw)) {
			$code{base($file)} //= $result->{ticket} if $result->{action} =~ /^new/;
			print join("\t", $rel, map { $_ // '-' } @{$result}{qw(status class action ticket department)}), "\n";
		}
		next;
	}
	my $json = `"$ticketctl" -c "$config" --json import "$copy"`;
	die "$file: ticketctl import failed: exit " . ($? >> 8) . "\n" if $? != 0 && $? >> 8 != 75;
	(my $rel = $file) =~ s{^\Q$fixtures\E/}{};
	# One result per department the message is addressed to.
	for my $result (@{decode_json($json)->{messages}}) {
		$code{base($file)} //= $result->{ticket} if defined $result->{ticket} && $result->{action} =~ /^new/;
		print join("\t", $rel, map { $_ // '-' } @{$result}{qw(status class action ticket department)}), "\n";
	}
}

# lmtp_deliver - one LMTP transaction; a result per accepted recipient.
sub lmtp_deliver {
	my ($address, $raw) = @_;
	my ($head) = split /\r?\n\r?\n/, $raw, 2;
	$head =~ s/\r?\n[ \t]+/ /g;
	my %seen;
	my @rcpt = grep { !$seen{$_}++ } map { lc } map { /([\w.+-]+\@example\.com)/gi }
		grep { /^(To|Cc):/i } split /\r?\n/, $head;
	my $s = IO::Socket::INET->new(PeerAddr => $address, Timeout => 30) or die "lmtp $address: $!\n";
	my $reply = sub { my $r = ''; while (my $l = <$s>) { $r .= $l; last if $l =~ /^\d{3} / } $r };
	$reply->();
	print $s "LHLO demo.example.com\r\n"; $reply->();
	my ($from) = $head =~ /^Return-Path:\s*<([^>]*)>/mi;
	print $s "MAIL FROM:<" . ($from // '') . ">\r\n"; $reply->();
	my @accepted;
	for my $r (@rcpt) {
		print $s "RCPT TO:<$r>\r\n";
		push @accepted, $r if $reply->() =~ /^250/;
	}
	# Mail that names no department (Bcc, lists) belongs to the support mailbox.
	unless (@accepted) {
		print $s "RCPT TO:<soporte\@example.com>\r\n";
		push @accepted, 'soporte@example.com' if $reply->() =~ /^250/;
	}
	(my $data = $raw) =~ s/\r?\n/\r\n/g;
	$data =~ s/^\./../mg;
	$data .= "\r\n" unless $data =~ /\r\n$/;
	print $s "DATA\r\n"; $reply->();
	print $s $data, ".\r\n";
	my @results;
	for my $r (@accepted) {
		my $line = $reply->();
		my ($code, $ticket, $action) = $line =~ /^(\d{3}) [\d.]+ <[^>]*> (\S+) action=(\S+)/;
		($code) = $line =~ /^(\d{3})/ unless defined $code;
		my ($department) = $r =~ /^([^+@]+)/;
		push @results, { status => $code eq '250' ? 'ok' : "lmtp $code", action => $action // 'refused',
		                 ticket => (defined $ticket && $ticket ne '-') ? $ticket : undef, department => $department };
	}
	print $s "QUIT\r\n"; $reply->();
	return @results;
}
