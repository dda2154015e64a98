#!/usr/bin/perl
# 15-sisimai - an independent referee for robot mail: every message of the set-of-emails
# corpus (when present) and of tests/mime goes through Sisimai, the reference bounce
# analyser (libsisimai-perl), and through `ticketctl inspect`. A bounce for one must be a
# bounce for the other, a vacation an auto_reply, a feedback report an abuse_report;
# a disagreement fails unless tests/mime/sisimai-known.tsv explains it.
use strict;
use warnings;
use Test::More;
use JSON::PP;
use FindBin;
use lib $FindBin::Bin;
use Harness;

eval { require Sisimai; 1 } or plan skip_all => 'Sisimai not installed (make deps installs libsisimai-perl)';
write_config();
ok(-s $CONF, 'configuration written') or BAIL_OUT('no test setup');
my $top = $TOP;

my %known;
if (open my $fh, '<', "$top/tests/mime/sisimai-known.tsv") {
	while (<$fh>) {
		next if /^#/ || /^\s*$/;
		chomp;
		my ($file, $why) = split /\t/;
		$known{$file} = $why;
	}
}

my $corpora = $ENV{TICKETD_CORPORA} // (-d "$top/../shared/corpora" ? "$top/../shared/corpora" : '/work/shared/corpora');
my @files = sort glob("$top/tests/mime/*.eml");
push @files, sort glob("$corpora/set-of-emails/maildir/bsd/*.eml"), sort glob("$corpora/set-of-emails/maildir/not/*.eml")
	if -d "$corpora/set-of-emails";

# referee - what Sisimai says the message is, in ticketd's classes ('' for a person's mail).
sub referee {
	my ($path) = @_;
	my $found = Sisimai->make($path, 'vacation' => 1) // [];
	return ('', undef) unless @$found;
	my $reason = $found->[0]->reason // '';
	my $class = $reason eq 'vacation' ? 'auto_reply' : $reason eq 'feedback' ? 'abuse_report' : 'bounce';
	return ($class, $found->[0]->recipient ? $found->[0]->recipient->address : undef);
}

my ($agree, $robots) = (0, 0);
for my $path (@files) {
	(my $name = $path) =~ s{^\Q$corpora\E/|^\Q$top\E/}{};   # the corpora may lie under the top
	my ($want, $recipient) = referee($path);
	my $json = `$TICKETCTL -c $CONF inspect -r soporte\@example.com '$path' 2>/dev/null`;
	my $got = eval { decode_json($json) } // {};
	my $class = $got->{class} // 'none';
	my $same = $want eq '' ? $class !~ /^(bounce|abuse_report)$/ : $class eq $want;
	$robots++ if $want ne '';
	$agree++ if $same && $want ne '';
	if ($same || $known{$name}) {
		pass("$name: Sisimai " . ($want || 'not a bounce') . ", ticketd $class" .
		     ($same ? '' : " (known: $known{$name})"));
	} else {
		fail("$name: Sisimai says " . ($want || 'not a bounce') . ", ticketd $class ($got->{signal})");
	}
	# The failed recipient must agree as well when both name one.
	if ($want eq 'bounce' && defined $recipient && defined $got->{bounce_recipient} && !$known{$name}) {
		is(lc $got->{bounce_recipient}, lc $recipient, "$name: the same failed recipient")
			or diag("signal: $got->{signal}");
	}
}
diag(sprintf 'Sisimai agreement on robot mail: %d/%d', $agree, $robots) if $robots;
done_testing();
