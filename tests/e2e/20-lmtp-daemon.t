#!/usr/bin/perl
# 20-lmtp-daemon - the running daemon over its unix socket and loopback TCP: a pipelined
# session, one ticket per department, a retried delivery that changes nothing, a slow
# client, an idle client, the connection cap, SIGHUP and SIGTERM, and (as root) the
# privilege drop.
use strict;
use warnings;
use Test::More;
use IO::Socket::UNIX;
use FindBin;
use lib $FindBin::Bin;
use Harness;

plan skip_all => "$TICKETD is not built" unless -x $TICKETD;
my $as_root = $< == 0;
work_for_daemon();
my $socket = "$WORK/lmtp.sock";

# config(DEPARTMENTS) - those departments, both listeners, five connections at most.
sub config {
	my ($departments) = @_;
	write_config(staff => 'agente1@example.com', departments => $departments,
	             ticketd => "user = ${\ daemon_user()}\nmax_message_size = 100000",
	             listen => "unix:$socket, inet:127.0.0.1:$LMTP_PORT",
	             lmtp => "socket_mode = 0666\nmax_connections = 5\nidle_timeout = 2\n"
	                   . "allowed_users = ${\ scalar getpwuid($<)}");
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

config('soporte ventas');
ok(start_ticketd(), 'the daemon listens on its unix socket and on TCP');

# The greeting and the capabilities, over the unix socket.
{
	my $s = IO::Socket::UNIX->new(Peer => $socket) or die "unix: $!";
	my $text = lmtp_talk($s, "LHLO mx.test\r\nQUIT\r\n");
	like($text, qr/^220 \S+ LMTP/, 'greeting over the unix socket');
	like($text, qr/250-PIPELINING\r\n250-ENHANCEDSTATUSCODES\r\n250-8BITMIME\r\n250-SIZE 100000\r\n250 SMTPUTF8\r\n/,
	     'capabilities');
}

# A pipelined session: everything up to DATA in one write, the rest in another.
{
	my $s = lmtp_connect();
	my $text = lmtp_talk($s, "LHLO mx.test\r\n" . transaction('p1', 'soporte@example.com', 'nadie@example.com',
	                'ventas@example.com'),
	                mail('p1@cliente.es', 'Migración del correo') . ".\r\n"
	                . transaction('p2', 'soporte@example.com') . mail('p2@cliente.es', 'Otra consulta')
	                . ".\r\nQUIT\r\n");
	is(lmtp_codes($text), '220 250 250/2.1.0 250/2.1.5 550/5.1.1 250/2.1.5 354 250/2.0.0 250/2.0.0 250/2.1.0 250/2.1.5 354 '
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
	my $text = lmtp_talk(lmtp_connect(), "LHLO mx.test\r\n" . transaction('p1', 'soporte@example.com', 'ventas@example.com')
	                . mail('p1@cliente.es', 'Migración del correo') . ".\r\nQUIT\r\n");
	like($text, qr/250 2\.0\.0 <soporte\@example\.com>.*\r\n250 2\.0\.0 <ventas\@example\.com>/s, 'a retry is accepted');
	is(sql('select count(*) from tickets'), $tickets, 'and makes no ticket twice');
	is(sql("select count(*) from messages where message_id = 'p1\@cliente.es'"), 2, 'nor a message');
}

# Another mail with a Message-ID already stored (someone else's, or a client reusing ids)
# is a mail of its own: kept, and its 250 names only its own ticket.
{
	my $earlier = sql("select group_concat(code) from tickets t join messages m on m.ticket_id = t.id"
	                  . " where m.message_id = 'p1\@cliente.es'");
	my $text = lmtp_talk(lmtp_connect(), "LHLO mx.test\r\nMAIL FROM:<eva\@otra-empresa.es>\r\n"
	                . "RCPT TO:<soporte\@example.com>\r\nDATA\r\n" . mail('p1@cliente.es', 'Factura', 'eva@otra-empresa.es')
	                . ".\r\nQUIT\r\n");
	my ($code) = $text =~ /250 2\.0\.0 <soporte\@example\.com> ([A-Z]{3}-\d{6}) action=new/;
	ok($code, 'a reused Message-ID from another sender opens her own ticket') or diag $text;
	unlike($text, qr/\Q$_\E/, "the reply does not name the earlier sender's ticket $_") for split /,/, $earlier;
	is(sql("select count(*) from messages where message_id = 'p1\@cliente.es'"), 3, 'the mail is stored');
	is(sql("select count(*) from events e join tickets t on t.id = e.ticket_id where t.code = '$code'"
	       . " and e.kind = 'message_id_reused'"), 1, 'and flagged on its ticket');
	like(`$TICKETCTL -c $CONF show $code 2>&1`, qr/message_id_reused.*p1\@cliente\.es/,
	     'ticketctl show tells staff the Message-ID was reused');
}

# One mail to soporte@ and to ventas+CODE@ of the same ticket: kept on that ticket once.
{
	my $code = sql("select code from tickets t join messages m on m.ticket_id = t.id"
	               . " where m.message_id = 'p2\@cliente.es'");
	my $text = lmtp_talk(lmtp_connect(), "LHLO mx.test\r\n" . transaction('p3', 'soporte@example.com', "ventas+$code\@example.com")
	                . mail('p3@cliente.es', "RE: [Ticket #$code] Otra consulta") . ".\r\nQUIT\r\n");
	like($text, qr/250 2\.0\.0 <soporte\@example\.com> $code action=reply\r\n250 2\.0\.0 <ventas\+$code\@example\.com> $code action=duplicate/,
	     'both recipients get 250 naming the ticket') or diag $text;
	is(sql("select count(*) from messages where message_id = 'p3\@cliente.es'"), 1, 'the mail is on it once');
}

# A slow client: one byte at a time.
{
	my $s = lmtp_connect();
	my $bytes = "LHLO slow\r\n" . transaction('s1', 'soporte@example.com') . mail('s1@cliente.es', 'Despacio') . ".\r\nQUIT\r\n";
	$s->autoflush(1);
	for my $c (split //, $bytes) { $s->print($c); select undef, undef, undef, 0.002; }
	like(lmtp_read_all($s), qr/250 2\.0\.0 <soporte\@example\.com>/, 'a slow client is served');
}

# An idle client is told so and closed.
{
	my $s = lmtp_connect();
	my $start = time;
	my $text = lmtp_read_all($s);
	like($text, qr/421 4\.4\.2/, 'an idle client gets 421 4.4.2 after idle_timeout');
	cmp_ok(time - $start, '<=', 5, 'in about idle_timeout seconds');
}

# The connection cap: the sixth client gets 421 4.3.2.
{
	my @held = map { my $s = lmtp_connect(); <$s>; $s } 1 .. 5;
	my $extra = lmtp_connect();
	like(scalar <$extra>, qr/^421 4\.3\.2/, 'past max_connections: 421 4.3.2');
	close $_ for @held;
	select undef, undef, undef, 0.6;
	my $again = lmtp_connect();
	like(scalar <$again>, qr/^220 /, 'and served again once others left');
}

# SIGHUP: a new department is known at once; the TCP listener stayed.
{
	my $keep = lmtp_connect();
	<$keep>;
	config('soporte ventas facturacion');
	kill 'HUP', $TICKETD_PID;
	select undef, undef, undef, 0.5;
	my $text = lmtp_talk(lmtp_connect(), "LHLO x\r\nMAIL FROM:<a\@b.es>\r\nRCPT TO:<facturacion\@example.com>\r\nQUIT\r\n");
	like($text, qr/250 2\.1\.5/, 'SIGHUP: the new department is accepted');
	like(lmtp_talk($keep, "NOOP\r\nQUIT\r\n"), qr/250 2\.0\.0 Ok/, 'a session open across the reload goes on');
}

# As root, the daemon runs as the configured user.
SKIP: {
	skip 'not root: no privilege drop to check', 1 unless $as_root;
	my $uid = (split ' ', `ps -o uid= -p $TICKETD_PID`)[0];
	is($uid, scalar getpwnam('nobody'), 'after binding, the daemon runs as user nobody');
}

# SIGTERM in the middle of DATA: no new clients, the transaction finishes, exit 0.
{
	my $s = lmtp_connect();
	$s->autoflush(1);
	$s->print("LHLO x\r\n" . transaction('t1', 'soporte@example.com') . "Subject: a medias\r\n");
	select undef, undef, undef, 0.3;
	kill 'TERM', $TICKETD_PID;
	select undef, undef, undef, 0.5;
	ok(!lmtp_connect(1), 'after SIGTERM no new connection is accepted');
	my $text = lmtp_talk($s, "Message-ID: <t1\@cliente.es>\r\nFrom: ana\@cliente.es\r\n\r\nfin\r\n.\r\nQUIT\r\n");
	like($text, qr/250 2\.0\.0 <soporte\@example\.com>/, 'the transaction in flight is finished');
	is(wait_ticketd(), 0, 'and the daemon exits 0');
	is(sql("select count(*) from messages where message_id = 't1\@cliente.es'"), 1, 'its message is stored');
	ok(!-e $socket, 'the unix socket is removed') or diag `ls -l $WORK`;
}

done_testing();
