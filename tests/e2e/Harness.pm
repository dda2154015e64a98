# Harness - the one harness of the end-to-end tests: a private work directory, the
# configuration written from tests/e2e/ticketd.conf.in, Postfix's smtp-sink, the daemon,
# free ports and waits, an LMTP client, the test's database, and the daemon's log shown
# when a test fails. Perl tests `use Harness`; lib.sh (and through it the demo and the
# bench) runs it as a program for what needs a socket or the template:
#   perl Harness.pm free_port | wait_for_port PORT [SECONDS] | wait_for_ticketd CONF
#   perl Harness.pm write_config CONF WORK SINK-PORT LMTP-PORT [--KEY VALUE]... [TICKETD [SECTIONS]]
package Harness;
use strict;
use warnings;
use Cwd qw(abs_path);
use Exporter ();
use File::Basename qw(dirname);
use File::Temp qw(tempdir);
use IO::Socket::INET;
use MIME::QuotedPrint qw(decode_qp);
use POSIX qw(WNOHANG);
use Time::HiRes qw(sleep time);

our @ISA = ('Exporter');
our @EXPORT = qw($TOP $BUILD $TICKETD $TICKETCTL $WORK $CONF $SINK_PORT $LMTP_PORT $TICKETD_PID
                 write_config daemon_user work_for_daemon free_port wait_for wait_for_port
                 sink_program start_sink stop_sink sink_messages sink_log clear_sink
                 start_ticketd wait_ticketd stop_ticketd ticketd_log
                 lmtp_connect lmtp_talk lmtp_read_all lmtp_codes lmtp_reply
                 sql ctl ticketd_deliver load_accounts);

our $TOP = $ENV{TICKETD_TOP} // abs_path(dirname(__FILE__) . '/../..');
our $BUILD = $ENV{TICKETD_BUILD} // "$TOP/build";
our $TICKETD = "$BUILD/ticketd";
our $TICKETCTL = "$BUILD/ticketctl";
our ($WORK, $CONF, $SINK_PORT, $LMTP_PORT, $TICKETD_PID, $SINK_PID);
my $test_pid;                   # the test that imported us; its children never clean up

# import - `use Harness` gives the test its work directory and two free ports.
sub import {
	unless ($test_pid) {
		require Test::More;
		$test_pid = $$;
		$WORK = tempdir('ticketd-test.XXXXXX', TMPDIR => 1, CLEANUP => !$ENV{KEEP_WORK});
		$CONF = "$WORK/ticketd.conf";
		$SINK_PORT = free_port();
		$LMTP_PORT = free_port();
	}
	__PACKAGE__->export_to_level(1, @_);
}

# ---- configuration ----

# template_sections - ticketd.conf.in as [name, lines...] pairs, its comments left out.
sub template_sections {
	open my $in, '<:raw', "$TOP/tests/e2e/ticketd.conf.in" or die "ticketd.conf.in: $!";
	my @sections;
	while (my $line = <$in>) {
		next if $line =~ /^#/ || $line !~ /\S/;
		if ($line =~ /^\[([^\]]+)\]/) { push @sections, [$1]; next }
		push @{$sections[-1]}, $line;
	}
	return @sections;
}

# bytes - a value as UTF-8 bytes, whether the test wrote it under `use utf8` or not.
sub bytes { my ($text) = @_; utf8::encode($text) if utf8::is_utf8($text); return $text }

# lines - text given for a section, as whole lines.
sub lines {
	my ($text) = @_;
	return '' if !defined $text || $text eq '';
	$text = bytes($text);
	return $text =~ /\n\z/ ? $text : "$text\n";
}

# render_config(SETTINGS) - the configuration text: staff ('' for none; the two agents by
# default), departments (default all three), listen (of [lmtp]), sections (appended), and
# per section of the template the lines to add at its end; [lmtp] and [smtp] are written
# only when asked for, by lines (maybe '') or, for [lmtp], a listen.
sub render_config {
	my (%set) = @_;
	my %value = (WORK => $WORK, TOP => $TOP, SINK_PORT => $SINK_PORT,
	             STAFF => $set{staff} // 'agente1@example.com, agente2@example.com',
	             LISTEN => $set{listen} // "inet:127.0.0.1:$LMTP_PORT");
	$set{lmtp} //= '' if defined $set{listen};
	my %departments = map { $_ => 1 } split /[\s,]+/, $set{departments} // 'soporte facturacion ventas';
	my @sections = template_sections();
	my %known = map { $_->[0] => 1 } @sections;
	for (keys %set) { die "write_config: unknown setting $_\n" unless $known{$_} || /^(staff|departments|listen|sections)$/ }
	my @out;
	for my $section (@sections) {
		my ($name, @body) = @$section;
		my ($department) = $name =~ /^department:(.+)$/;
		next if $department ? !$departments{$department} : ($name ne 'ticketd' && !defined $set{$name});
		my $text = "[$name]\n";
		for my $line (@body) {
			my @names = $line =~ /\@(\w+)\@/g;
			die "ticketd.conf.in: no value for \@$_\@\n" for grep { !exists $value{$_} } @names;
			next if grep { ($value{$_} // '') eq '' } @names;
			$text .= $line =~ s/\@(\w+)\@/bytes($value{$1})/ger;
		}
		push @out, $text . lines($set{$name});
	}
	return join("\n", @out) . (defined $set{sections} ? "\n" . lines($set{sections}) : '');
}

# write_config(SETTINGS) - $CONF from the template (see render_config); private, as
# installed: readable by the daemon's group, which it reloads as.
sub write_config {
	my (%set) = @_;
	my $text = render_config(%set);
	open my $fh, '>:raw', $CONF or die "$CONF: $!";
	chmod 0640, $CONF;
	my ($user) = ($set{ticketd} // '') =~ /^user = (\S+)$/m;
	chown -1, (getpwnam($user))[3], $CONF if $user && $< == 0;
	print $fh $text;
	close $fh or die "$CONF: $!";
}

# daemon_user - who the daemon runs as: as root, nobody, as in production; else ourselves.
sub daemon_user { return $< == 0 ? 'nobody' : scalar getpwuid($<) }

# work_for_daemon - as root, the work directory becomes daemon_user's, so it can write there.
sub work_for_daemon {
	return unless $< == 0;
	chown((getpwnam(daemon_user()))[2, 3], $WORK);
	chmod 0755, $WORK;
}

# ---- ports and waits ----

# free_port - a loopback TCP port nobody listens on now.
sub free_port {
	my $s = IO::Socket::INET->new(Listen => 1, LocalAddr => '127.0.0.1:0') or die "port: $!";
	return $s->sockport;
}

# wait_for(SECONDS, CODE) - call CODE every 50 ms until it returns true; false on timeout.
sub wait_for {
	my ($seconds, $code) = @_;
	my $limit = time + $seconds;
	while (1) {
		return 1 if $code->();
		return 0 if time > $limit;
		sleep 0.05;
	}
}

# wait_for_port(PORT[, SECONDS]) - something accepts on 127.0.0.1:PORT (10 s by default).
sub wait_for_port {
	my ($port, $seconds) = @_;
	return wait_for($seconds // 10, sub { IO::Socket::INET->new(PeerAddr => "127.0.0.1:$port", Timeout => 1) });
}

# listeners(CONF) - the [lmtp] listen endpoints of a configuration file.
sub listeners {
	my ($conf) = @_;
	open my $fh, '<', $conf or die "$conf: $!";
	my $in_lmtp = 0;
	while (<$fh>) {
		$in_lmtp = $1 eq 'lmtp' if /^\[([^\]]+)\]/;
		return split /\s*,\s*/, $1 if $in_lmtp && /^listen\s*=\s*(.*?)\s*$/;
	}
	return ();
}

# wait_for_listeners(CONF, ALIVE) - every listener of CONF answers within 10 s; false if
# ALIVE says the daemon died first.
sub wait_for_listeners {
	my ($conf, $alive) = @_;
	my @endpoints = listeners($conf);
	my $died = 0;
	my $up = wait_for(10, sub {
		return $died = 1 unless $alive->();
		for (@endpoints) {
			if (/^unix:(.*)/) { return 0 unless -S $1 }
			elsif (/^inet:(.*)/) { return 0 unless IO::Socket::INET->new(PeerAddr => $1, Timeout => 1) }
		}
		return 1;
	});
	return $up && !$died;
}

# ---- smtp-sink: the notifications' SMTP server ----

# sink_program - the smtp-sink of Postfix, or undef when it is not installed.
sub sink_program {
	my ($sink) = grep { -x } map { "$_/smtp-sink" } split(/:/, $ENV{PATH} // ''), '/usr/sbin';
	return $sink;
}

# start_sink(OPTIONS...) - smtp-sink on $SINK_PORT, one file per mail in $WORK/sink, its
# conversation (with -v) in $WORK/sink.log from after the probe that saw it listen.
sub start_sink {
	my @options = @_;
	my $sink = sink_program() or die "smtp-sink (Postfix) is not installed\n";
	mkdir "$WORK/sink";
	$SINK_PID = fork // die "fork: $!";
	if (!$SINK_PID) {
		open STDOUT, '>>', "$WORK/sink.log" or die "sink.log: $!";
		open STDERR, '>&', \*STDOUT or die;
		exec $sink, '-u', scalar(getpwuid($<)), '-d', "$WORK/sink/%M.", @options, "127.0.0.1:$SINK_PORT", '50';
		die "smtp-sink: $!";
	}
	wait_for_port($SINK_PORT, 5) or die "smtp-sink did not start\n";
	sleep 0.2;
	truncate "$WORK/sink.log", 0;
}

sub stop_sink {
	return unless $SINK_PID;
	local $?;               # waitpid must not become the test's exit status
	kill 'TERM', $SINK_PID;
	waitpid $SINK_PID, 0;
	$SINK_PID = undef;
}

# sink_messages - every file the sink wrote, in name order: { file, text, head, body
# (quoted-printable decoded), headers (lower-case name => first value, unfolded), rcpt,
# mail_from (the envelope, from smtp-sink's X-Rcpt-Args and X-Mail-Args) }.
sub sink_messages {
	my @mails;
	for my $file (sort glob("$WORK/sink/*")) {
		open my $fh, '<:raw', $file or die "$file: $!";
		my $text = do { local $/; <$fh> } // '';
		my ($head, $body) = split /\r?\n\r?\n/, $text, 2;
		(my $unfolded = $head // '') =~ s/\r?\n[ \t]+/ /g;
		my %headers;
		for (split /\r?\n/, $unfolded) { my ($n, $v) = /^([^:]+):\s*(.*)$/ or next; $headers{lc $n} //= $v }
		my ($rcpt) = ($headers{'x-rcpt-args'} // '') =~ /<([^>]*)>/;
		my ($from) = ($headers{'x-mail-args'} // '') =~ /<([^>]*)>/;
		push @mails, { file => $file, text => $text, head => $head // '', body => decode_qp($body // ''),
		               headers => \%headers, rcpt => $rcpt, mail_from => $from };
	}
	return @mails;
}

# sink_log - what smtp-sink wrote (with -v, the conversation) since it started or was cleared.
sub sink_log { open my $fh, '<', "$WORK/sink.log" or return ''; local $/; return <$fh> // '' }

# clear_sink - forget what the sink received: its mails and its conversation log.
sub clear_sink { unlink glob("$WORK/sink/*"); truncate "$WORK/sink.log", 0 }

# ---- the daemon ----

# start_ticketd(FLAGS...) - ticketd -f FLAGS on $CONF, its stderr in $WORK/ticketd.log;
# true once every listener of the configuration answers, false if it died or never did.
sub start_ticketd {
	my @flags = @_;
	$TICKETD_PID = fork // die "fork: $!";
	if ($TICKETD_PID == 0) {
		open STDERR, '>>', "$WORK/ticketd.log" or die "ticketd.log: $!";
		exec $TICKETD, '-f', @flags, '-c', $CONF or die "exec: $!";
	}
	my $pid = $TICKETD_PID;
	return wait_for_listeners($CONF, sub { waitpid($pid, WNOHANG) != $pid }) ? 1 : 0;
}

# wait_ticketd - wait for the daemon to exit; its exit status.
sub wait_ticketd {
	return undef unless $TICKETD_PID;
	waitpid $TICKETD_PID, 0;
	$TICKETD_PID = undef;
	return $? >> 8;
}

# stop_ticketd([SIGNAL]) - signal the daemon (TERM) and wait; its exit status.
sub stop_ticketd {
	my ($signal) = @_;
	kill $signal // 'TERM', $TICKETD_PID if $TICKETD_PID;
	return wait_ticketd();
}

# ticketd_log - what the daemon wrote to its log so far.
sub ticketd_log { open my $fh, '<', "$WORK/ticketd.log" or return ''; local $/; return <$fh> // '' }

# diag_ticketd_log - the end of the daemon's log, for a test that failed.
sub diag_ticketd_log {
	my @lines = split /\n/, ticketd_log();
	return unless @lines;
	Test::More::diag("the last lines of $WORK/ticketd.log:");
	Test::More::diag("  $_") for @lines > 20 ? @lines[-20 .. -1] : @lines;
}

END {
	if ($test_pid && $test_pid == $$) {
		my $failed = $? != 0 || !Test::More->builder->is_passing;
		local $?;
		kill 'KILL', $TICKETD_PID if $TICKETD_PID;
		wait_ticketd();
		stop_sink();
		diag_ticketd_log() if $failed;
	}
}

# ---- an LMTP client ----

# lmtp_connect([QUIET]) - a connection to the daemon's LMTP port; undef if refused and QUIET.
sub lmtp_connect {
	my ($quiet) = @_;
	my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1:$LMTP_PORT", Timeout => 5);
	die "connect: $!" unless $s || $quiet;
	return $s;
}

# lmtp_talk(SOCKET, BYTES...) - send each piece, then read every reply up to EOF.
sub lmtp_talk {
	my ($s, @pieces) = @_;
	$s->print($_) for @pieces;
	return lmtp_read_all($s);
}

# lmtp_read_all(SOCKET) - everything the server says until it closes (a minute at most).
sub lmtp_read_all {
	my ($s) = @_;
	my $text = '';
	local $SIG{ALRM} = sub { die "timeout\n" };
	alarm 60;
	eval { while (defined(my $line = <$s>)) { $text .= $line; } };
	alarm 0;
	return $text;
}

# lmtp_codes(TEXT) - the reply codes with their enhanced codes, continuation lines skipped.
sub lmtp_codes {
	return join ' ', map { /^(\d{3}) (\d\.\d\.\d)/ ? "$1/$2" : substr($_, 0, 3) } grep { !/^\d{3}-/ } split /\r\n/, $_[0];
}

# lmtp_reply(SOCKET) - one reply line (the last of a multi-line one), '' when the connection broke.
sub lmtp_reply {
	my ($s) = @_;
	while (defined(my $line = <$s>)) { return $line if $line =~ /^\d{3} /; }
	return '';
}

# ---- the database and the programs ----

# sql(QUERY) - sqlite3's answer from the test's database, trailing white space trimmed;
# as root, run as the database's owner, so files it makes stay writable by the daemon.
sub sql {
	my ($query) = @_;
	my $db = "$WORK/ticketd.db";
	my $owner = (stat $db)[4];
	my @run = $< == 0 && $owner ? ('runuser', '-u', scalar getpwuid($owner), '--') : ();
	open my $fh, '-|', @run, 'sqlite3', $db, bytes($query) or die "sqlite3: $!";
	local $/;
	my $out = <$fh> // '';
	close $fh;
	$out =~ s/\s+\z//;
	return $out;
}

# ctl(ARGS...) - ticketctl -c $CONF ARGS: its output; $? is its wait status, its errors
# go to $WORK/ctl.err.
sub ctl {
	my @args = map { bytes($_) } @_;
	my $pid = open(my $out, '-|') // die "fork: $!";
	if (!$pid) {
		open STDERR, '>>', "$WORK/ctl.err" or die "ctl.err: $!";
		exec $TICKETCTL, '-c', $CONF, @args or die "exec: $!";
	}
	my $text = do { local $/; <$out> } // '';
	close $out;
	return $text;
}

# ticketd_deliver(MAIL, ARGS...) - MAIL, printed as it is, on the stdin of ticketd deliver
# -c $CONF ARGS; its exit status.
sub ticketd_deliver {
	my ($mail, @args) = @_;
	open my $pipe, '|-', $TICKETD, 'deliver', '-c', $CONF, @args or die "deliver: $!";
	print $pipe $mail;
	close $pipe;
	return $? >> 8;
}

# load_accounts - lib.sh's load_accounts on $CONF: the fixtures' accounts and sub-accounts.
sub load_accounts {
	local $ENV{WORK} = $WORK;
	return system('sh', '-c', '. "$0"; trap - EXIT; load_accounts >/dev/null', "$TOP/tests/e2e/lib.sh") == 0;
}

# ---- as a program ----

# harness_command(COMMAND, ARGS...) - what lib.sh asks of the harness; the exit status.
sub harness_command {
	my ($command, @args) = @_;
	if ($command eq 'free_port') { print free_port(), "\n"; return 0 }
	return wait_for_port(@args) ? 0 : 1 if $command eq 'wait_for_port';
	return wait_for_listeners($args[0], sub { 1 }) ? 0 : 1 if $command eq 'wait_for_ticketd';
	die "usage: perl Harness.pm free_port|wait_for_port|wait_for_ticketd|write_config ...\n"
		unless $command eq 'write_config';
	($CONF, $WORK, $SINK_PORT, $LMTP_PORT) = splice @args, 0, 4;
	my %set;
	while (@args && $args[0] =~ /^--(.+)/) { shift @args; $set{$1} = shift @args }
	my ($ticketd, $sections) = @args;
	$set{ticketd} = $ticketd if defined $ticketd && $ticketd ne '';
	$set{sections} = $sections if defined $sections && $sections ne '';
	write_config(%set);
	return 0;
}

exit harness_command(@ARGV) unless caller;
1;
