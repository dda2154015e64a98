#!/usr/bin/perl
# 20-lmtp-daemon - the running daemon over its unix socket and loopback TCP: a pipelined
# session, one ticket per department, a retried delivery that changes nothing, a slow
# client, an idle client, the connection cap, SIGHUP and SIGTERM, and (as root) the
# privilege drop.
use strict;
use warnings;
use Test::More;
use IO::Socket::INET;
use IO::Socket::UNIX;
use POSIX qw(:sys_wait_h);
use File::Temp qw(tempdir);

my $top = $ENV{TICKETD_TOP} // '.';
my $build = $ENV{TICKETD_BUILD} // "$top/build";
plan skip_all => "$build/ticketd is not built" unless -x "$build/ticketd";
my $work = tempdir('ticketd-lmtp.XXXXXX', TMPDIR => 1, CLEANUP => !$ENV{KEEP_WORK});
my $as_root = $< == 0;
my $user = $as_root ? 'nobody' : scalar getpwuid($<);
if ($as_root) {
	my ($uid, $gid) = (getpwnam('nobody'))[2, 3];
	chown $uid, $gid, $work;
	chmod 0755, $work;
}
my $port = free_port();
my $socket = "$work/lmtp.sock";
my $pid;
END { if ($pid) { kill 'TERM', $pid; waitpid $pid, 0; } }

sub free_port {
	my $s = IO::Socket::INET->new(Listen => 1, LocalAddr => '127.0.0.1:0') or die "port: $!";
	my $p = $s->sockport;
	close $s;
	return $p;
}

sub write_config {
	my ($extra_department, $max_connections) = @_;
	open my $fh, '>', "$work/ticketd.conf" or die;
	# As installed: not for others, readable by the daemon's group (it reloads as that user).
	chmod 0640, "$work/ticketd.conf";
	chown -1, (getpwnam($user))[3], "$work/ticketd.conf";
	print $fh <<"CONF";
[ticketd]
database = $work/ticketd.db
domain = example.com
staff = agente1\@example.com
templates = $top/etc/templates
pid_file = $work/ticketd.pid
user = $user
max_message_size = 100000

[department:soporte]
name = Soporte técnico
address = soporte\@example.com

[department:ventas]
name = Ventas
address = ventas\@example.com
$extra_department

[lmtp]
listen = unix:$socket, inet:127.0.0.1:$port
socket_mode = 0666
allowed_users = ${\ scalar getpwuid($<)}
max_connections = $max_connections
idle_timeout = 2
CONF
	close $fh;
}

sub start_daemon {
	$pid = fork // die;
	if ($pid == 0) {
		open STDERR, '>>', "$work/ticketd.log" or die;
		exec "$build/ticketd", '-f', '-c', "$work/ticketd.conf" or die "exec: $!";
	}
	for (1 .. 100) {
		return 1 if -S $socket && connect_inet(1);
		select undef, undef, undef, 0.05;
	}
	return 0;
}

sub connect_inet {
	my ($quiet) = @_;
	my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1:$port", Timeout => 5);
	die "connect: $!" unless $s || $quiet;
	return $s;
}

# talk SOCKET BYTES... - send each piece, then read every reply up to EOF.
sub talk {
	my ($s, @pieces) = @_;
	$s->print($_) for @pieces;
	return read_all($s);
}

sub read_all {
	my ($s) = @_;
	my $text = '';
	local $SIG{ALRM} = sub { die "timeout\n" };
	alarm 30;
	eval { while (defined(my $line = <$s>)) { $text .= $line; } };
	alarm 0;
	return $text;
}

# codes TEXT - the reply codes with their enhanced codes, continuation lines skipped.
sub codes { return join ' ', map { /^(\d{3}) (\d\.\d\.\d)/ ? "$1/$2" : substr($_, 0, 3) } grep { !/^\d{3}-/ } split /\r\n/, $_[0]; }

sub sql {
	my ($query) = @_;
	my @run = $as_root ? ('runuser', '-u', 'nobody', '--') : ();
	open my $fh, '-|', @run, 'sqlite3', "$work/ticketd.db", $query or die;
	local $/;
	my $out = <$fh> // '';
	close $fh;
	$out =~ s/\s+\z//;
	return $out;
}

sub mail {
	my ($id, $subject, $from) = @_;
	$from //= 'ana@cliente.es';
	return "From: Ana <$from>\r\nTo: soporte\@example.com\r\nSubject: $subject\r\n"
	     . "Message-ID: <$id>\r\nDate: Mon, 3 Feb 2025 10:00:00 +0100\r\n\r\nHola, el correo no funciona.\r\n";
}

sub transaction {
	my ($id, @rcpt) = @_;
	return "MAIL FROM:<ana\@cliente.es> BODY=8BITMIME\r\n" . join('', map { "RCPT TO:<$_>\r\n" } @rcpt)
	     . "DATA\r\n";
}

write_config('', 5);
ok(start_daemon(), 'the daemon listens on its unix socket and on TCP');

# The greeting and the capabilities, over the unix socket.
{
	my $s = IO::Socket::UNIX->new(Peer => $socket) or die "unix: $!";
	my $text = talk($s, "LHLO mx.test\r\nQUIT\r\n");
	like($text, qr/^220 \S+ LMTP/, 'greeting over the unix socket');
	like($text, qr/250-PIPELINING\r\n250-ENHANCEDSTATUSCODES\r\n250-8BITMIME\r\n250-SIZE 100000\r\n250 SMTPUTF8\r\n/,
	     'capabilities');
}

# A pipelined session: everything up to DATA in one write, the rest in another.
{
	my $s = connect_inet();
	my $text = talk($s, "LHLO mx.test\r\n" . transaction('p1', 'soporte@example.com', 'nadie@example.com',
	                'ventas@example.com'),
	                mail('p1@cliente.es', 'Migración del correo') . ".\r\n"
	                . transaction('p2', 'soporte@example.com') . mail('p2@cliente.es', 'Otra consulta')
	                . ".\r\nQUIT\r\n");
	is(codes($text), '220 250 250/2.1.0 250/2.1.5 550/5.1.1 250/2.1.5 354 250/2.0.0 250/2.0.0 250/2.1.0 250/2.1.5 354 '
	   . '250/2.0.0 221/2.0.0', 'pipelined: one reply per command, per recipient') or diag $text;
	like($text, qr/250 2\.0\.0 <soporte\@example\.com> [A-Z]{3}-\d{6} action=new/, 'the reply names the ticket');
	is(sql("select group_concat(department) from (select department from tickets t join messages m on m.ticket_id = t.id"
	       . " where m.message_id = 'p1\@cliente.es' order by department)"), 'soporte,ventas',
	   'one mail to two departments: one ticket in each');
	is(sql("select count(*) from messages where message_id = 'p2\@cliente.es'"), 1, 'the second transaction too');
}

# The same mail again, as Postfix retries after a lost connection: nothing doubles.
{
	my $tickets = sql('select count(*) from tickets');
	my $text = talk(connect_inet(), "LHLO mx.test\r\n" . transaction('p1', 'soporte@example.com', 'ventas@example.com')
	                . mail('p1@cliente.es', 'Migración del correo') . ".\r\nQUIT\r\n");
	like($text, qr/250 2\.0\.0 <soporte\@example\.com>.*\r\n250 2\.0\.0 <ventas\@example\.com>/s, 'a retry is accepted');
	is(sql('select count(*) from tickets'), $tickets, 'and makes no ticket twice');
	is(sql("select count(*) from messages where message_id = 'p1\@cliente.es'"), 2, 'nor a message');
}

# A slow client: one byte at a time.
{
	my $s = connect_inet();
	my $bytes = "LHLO slow\r\n" . transaction('s1', 'soporte@example.com') . mail('s1@cliente.es', 'Despacio') . ".\r\nQUIT\r\n";
	$s->autoflush(1);
	for my $c (split //, $bytes) { $s->print($c); select undef, undef, undef, 0.002; }
	like(read_all($s), qr/250 2\.0\.0 <soporte\@example\.com>/, 'a slow client is served');
}

# An idle client is told so and closed.
{
	my $s = connect_inet();
	my $start = time;
	my $text = read_all($s);
	like($text, qr/421 4\.4\.2/, 'an idle client gets 421 4.4.2 after idle_timeout');
	cmp_ok(time - $start, '<=', 5, 'in about idle_timeout seconds');
}

# The connection cap: the sixth client gets 421 4.3.2.
{
	my @held = map { my $s = connect_inet(); <$s>; $s } 1 .. 5;
	my $extra = connect_inet();
	like(scalar <$extra>, qr/^421 4\.3\.2/, 'past max_connections: 421 4.3.2');
	close $_ for @held;
	select undef, undef, undef, 0.6;
	my $again = connect_inet();
	like(scalar <$again>, qr/^220 /, 'and served again once others left');
}

# SIGHUP: a new department is known at once; the TCP listener stayed.
{
	my $keep = connect_inet();
	<$keep>;
	write_config("[department:facturacion]\nname = Facturación\naddress = facturacion\@example.com\n", 5);
	kill 'HUP', $pid;
	select undef, undef, undef, 0.5;
	my $text = talk(connect_inet(), "LHLO x\r\nMAIL FROM:<a\@b.es>\r\nRCPT TO:<facturacion\@example.com>\r\nQUIT\r\n");
	like($text, qr/250 2\.1\.5/, 'SIGHUP: the new department is accepted');
	like(talk($keep, "NOOP\r\nQUIT\r\n"), qr/250 2\.0\.0 Ok/, 'a session open across the reload goes on');
}

# As root, the daemon runs as the configured user.
SKIP: {
	skip 'not root: no privilege drop to check', 1 unless $as_root;
	my $uid = (split ' ', `ps -o uid= -p $pid`)[0];
	is($uid, scalar getpwnam('nobody'), 'after binding, the daemon runs as user nobody');
}

# SIGTERM in the middle of DATA: no new clients, the transaction finishes, exit 0.
{
	my $s = connect_inet();
	$s->autoflush(1);
	$s->print("LHLO x\r\n" . transaction('t1', 'soporte@example.com') . "Subject: a medias\r\n");
	select undef, undef, undef, 0.3;
	kill 'TERM', $pid;
	select undef, undef, undef, 0.5;
	ok(!connect_inet(1), 'after SIGTERM no new connection is accepted');
	my $text = talk($s, "Message-ID: <t1\@cliente.es>\r\nFrom: ana\@cliente.es\r\n\r\nfin\r\n.\r\nQUIT\r\n");
	like($text, qr/250 2\.0\.0 <soporte\@example\.com>/, 'the transaction in flight is finished');
	waitpid $pid, 0;
	is($? >> 8, 0, 'and the daemon exits 0');
	undef $pid;
	is(sql("select count(*) from messages where message_id = 't1\@cliente.es'"), 1, 'its message is stored');
	ok(!-e $socket, 'the unix socket is removed') or diag `ls -l $work`;
}

done_testing();
