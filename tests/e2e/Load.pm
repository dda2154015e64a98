# Load - the LMTP load of the stress tests (78-kill-worker, 67-ctl-writers): client
# processes, one session each at a time, each delivering its own messages one
# transaction each and, like Postfix's queue, delivering again every message that got
# no 250. They report to the test through one pipe, a line each (shorter than
# PIPE_BUF, so lines never mix): "ack ID", "cut" (a session broke with mail pending),
# "refused" (connect refused) and "wait MS" (from connect to the greeting).
package Load;
use strict;
use warnings;
use Errno qw(ECONNREFUSED);
use Exporter ();
use IO::Socket::INET;
use POSIX ();
use Time::HiRes qw(sleep time);
use Harness;

our @ISA = ('Exporter');
our @EXPORT = qw(load_run load_mail load_sender);

my @clients;
END { local $?; for (@clients) { kill 'KILL', $_; waitpid $_, 0 } }

# load_mail(PREFIX, SESSION, N) - the mail of message (SESSION, N): a customer of its own,
# so no intake limit is reached, with Message-ID <PREFIX-SESSION-N@cliente.es>.
sub load_mail {
	my ($prefix, $session, $n) = @_;
	my $id = "$session-$n";
	return "From: Cliente $id <cliente$id\@cliente.es>\r\nTo: soporte\@example.com\r\nSubject: consulta $id\r\n"
	     . "Message-ID: <$prefix-$id\@cliente.es>\r\nDate: Mon, 3 Feb 2025 10:00:00 +0100\r\n\r\n"
	     . "Consulta numero $id.\r\n" . ("Linea de relleno para que el mensaje pese algo.\r\n" x 30);
}

# load_sender(SESSION, N) - the envelope sender of message (SESSION, N), its From.
sub load_sender { my ($session, $n) = @_; return "cliente$session-$n\@cliente.es" }

# load_session(LOAD, SESSION, PENDING, REPORT) - one connection delivering what is pending.
sub load_session {
	my ($load, $session, $pending, $report) = @_;
	my $asked = time;
	my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1:$LMTP_PORT", Timeout => 30);
	if (!$s) {
		print $report "refused\n" if $! == ECONNREFUSED;
		return;
	}
	$s->autoflush(1);
	return unless lmtp_reply($s) =~ /^220/;
	printf $report "wait %d\n", (time - $asked) * 1000;
	print $s "LHLO load.test\r\n";
	return unless lmtp_reply($s) =~ /^250/;
	for my $n (sort { $a <=> $b } keys %$pending) {
		print $s 'MAIL FROM:<' . $load->{sender}->($session, $n) . ">\r\n";
		return unless lmtp_reply($s) =~ /^250/;
		print $s "RCPT TO:<soporte\@example.com>\r\n";
		return unless lmtp_reply($s) =~ /^250/;
		print $s "DATA\r\n";
		return unless lmtp_reply($s) =~ /^354/;
		print $s $load->{mail}->($session, $n) . ".\r\n";
		my $r = lmtp_reply($s);
		return if $r eq '';
		next unless $r =~ /^250/;
		delete $pending->{$n};
		print $report "ack $session-$n\n";
	}
	print $s "QUIT\r\n";
}

# load_client(LOAD, SESSION, REPORT) - a process that retries until each of its messages got a 250.
sub load_client {
	my ($load, $session, $report) = @_;
	$report->autoflush(1);
	$SIG{PIPE} = 'IGNORE';
	my %pending = map { $_ => 1 } 1 .. $load->{per_session};
	my $deadline = time + $load->{seconds};
	while (%pending && time < $deadline) {
		load_session($load, $session, \%pending, $report);
		next unless %pending;
		print $report "cut\n";
		sleep 0.05;
	}
	POSIX::_exit(%pending ? 1 : 0);
}

# load_run(sessions => N, per_session => N, mail => CODE, sender => CODE, seconds => S,
# on_ack => CODE) - run the clients to the end; mail and sender give the text and the
# envelope sender of message (SESSION, N), on_ack is called with the number of
# acknowledgements so far. A summary: acked (the IDs "SESSION-N" as acknowledged, in
# order), cut, refused, longest_wait (ms), failed (clients that gave up at the deadline).
sub load_run {
	my (%load) = @_;
	$load{seconds} //= 35;
	$load{on_ack} //= sub { };
	pipe my $report_read, my $report_write or die "pipe: $!";
	for my $session (1 .. $load{sessions}) {
		my $pid = fork // die "fork: $!";
		if ($pid == 0) { close $report_read; load_client(\%load, $session, $report_write) }
		push @clients, $pid;
	}
	close $report_write;
	my %summary = (acked => [], cut => 0, refused => 0, longest_wait => 0, failed => 0);
	while (defined(my $line = <$report_read>)) {
		if ($line =~ /^(refused|cut)/) { $summary{$1}++; next }
		if ($line =~ /^wait (\d+)/) { $summary{longest_wait} = $1 if $1 > $summary{longest_wait}; next }
		next unless $line =~ /^ack (\S+)/;
		push @{$summary{acked}}, $1;
		$load{on_ack}->(scalar @{$summary{acked}});
	}
	for (@clients) { waitpid $_, 0; $summary{failed}++ if $? }
	@clients = ();
	return \%summary;
}

1;
