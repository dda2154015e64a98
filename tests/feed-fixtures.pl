#!/usr/bin/perl
# feed-fixtures - import maildir-fixtures one message at a time, in name order, through
# `ticketctl import --json`, writing each message's result as a tab-separated line:
#   path  status  class  action  ticket  department
# A fixture that replies by subject tag or plus-address cannot know its ticket's random
# code when it is written, so it carries @CODE:<name of the original>@; this replaces
# it with the code that message's ticket got. Used by tests/10-fixtures.t and the demo.
use strict;
use warnings;
use JSON::PP;
use File::Temp qw(tempdir);

my ($ticketctl, $config, $fixtures) = @ARGV;
die "usage: feed-fixtures TICKETCTL CONFIG FIXTURES-DIR\n" unless defined $fixtures;

# Steps a fixture needs first (e.g. its ticket resolved by staff): tests/fixtures.steps.
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
my $tmp = tempdir(CLEANUP => 1);

sub base { my ($p) = @_; $p =~ s{.*/}{}; $p =~ s{:2,.*$}{}; return $p; }

for my $file (@files) {
	for my $step (@{$steps{base($file)} // []}) {
		my ($command, $of, $argument) = @$step;
		my $ticket = $code{$of} // die "$file: no ticket yet for $of\n";
		system($ticketctl, '-c', $config, $command, $ticket, $argument) == 0
			or die "$file: ticketctl $command $ticket $argument failed\n";
	}
	open my $in, '<:raw', $file or die "$file: $!\n";
	my $raw = do { local $/; <$in> };
	close $in;
	$raw =~ s{\@CODE:([^@\s]+)\@}{ $code{base($1)} // die "$file: no code yet for $1\n" }ge;
	my $copy = "$tmp/" . base($file);
	open my $out, '>:raw', $copy or die "$copy: $!\n";
	print $out $raw;
	close $out;
	my $json = `"$ticketctl" -c "$config" --json import "$copy"`;
	die "$file: ticketctl import failed: exit " . ($? >> 8) . "\n" if $? != 0 && $? >> 8 != 75;
	(my $rel = $file) =~ s{^\Q$fixtures\E/}{};
	# One result per department the message is addressed to.
	for my $result (@{decode_json($json)->{messages}}) {
		$code{base($file)} //= $result->{ticket} if defined $result->{ticket} && $result->{action} =~ /^new/;
		print join("\t", $rel, map { $_ // '-' } @{$result}{qw(status class action ticket department)}), "\n";
	}
}
