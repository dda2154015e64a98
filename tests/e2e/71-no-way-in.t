#!/usr/bin/perl
# 71-no-way-in - hostile mail end to end. Attachment names with ../, backslashes, NUL,
# escape sequences and SQL stay names: `ticketctl show` prints them harmlessly. CR and
# LF hidden in a subject or a display name never become a header or a recipient of the
# notifications an SMTP server (Postfix's smtp-sink) receives; an account address with
# a line break is refused. A mail past an input limit is accepted and held whole.
use strict;
use warnings;
use Test::More;
use IO::Socket::INET;
use File::Temp qw(tempdir);

my $top = $ENV{TICKETD_TOP} // '.';
my $build = $ENV{TICKETD_BUILD} // "$top/build";
plan skip_all => "$build/ticketd is not built" unless -x "$build/ticketd";
my ($sink_bin) = grep { -x } map { "$_/smtp-sink" } split(/:/, $ENV{PATH}), '/usr/sbin';

my $work = tempdir('ticketd-nowayin.XXXXXX', TMPDIR => 1, CLEANUP => !$ENV{KEEP_WORK});
my $port = do { my $s = IO::Socket::INET->new(Listen => 1, LocalAddr => '127.0.0.1:0'); $s->sockport };
my $conf = "$work/ticketd.conf";
my $sink_pid;
END { if ($sink_pid) { local $?; kill 'TERM', $sink_pid; waitpid $sink_pid, 0 } }

open my $fh, '>', $conf or die;
chmod 0640, $conf;
print $fh <<"CONF";
[ticketd]
database = $work/ticketd.db
domain = example.com
templates = $top/etc/templates

[department:soporte]
name = Soporte
address = soporte\@example.com

[smtp]
url = smtp://127.0.0.1:$port
from = Soporte <soporte\@example.com>
timeout = 5
CONF
close $fh;

sub ctl { my @args = @_; open my $p, '-|', "$build/ticketctl", '-c', $conf, @args or die; local $/; my $o = <$p> // ''; close $p; return ($o, $? >> 8) }
sub ctl_quiet { open my $saved, '>&', \*STDERR or die; open STDERR, '>', '/dev/null' or die; my @r = ctl(@_); open STDERR, '>&', $saved or die; return @r }
sub sql { my ($q) = @_; open my $p, '-|', 'sqlite3', "$work/ticketd.db", $q or die; local $/; my $o = <$p> // ''; close $p; $o =~ s/\s+\z//; return $o }

sub deliver {
	my ($mail, $sender) = @_;
	open my $pipe, '|-', "$build/ticketd", 'deliver', '-c', $conf, '-f', $sender, '-r', 'soporte@example.com' or die;
	print $pipe $mail;
	close $pipe;
	return $? >> 8;
}

sub attachment {
	my ($disposition) = @_;
	return "--b\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; $disposition\r\n\r\nxyz\r\n";
}

# Attachment names that try to be paths, hide bytes or drive the terminal.
my $mail = "From: Ana <ana\@cliente.es>\r\nTo: soporte\@example.com\r\nSubject: adjuntos raros\r\n"
         . "Message-ID: <adjuntos\@cliente.es>\r\nMIME-Version: 1.0\r\n"
         . "Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n"
         . "--b\r\nContent-Type: text/plain\r\n\r\nvan los archivos\r\n"
         . attachment('filename="../../../etc/passwd"')
         . attachment('filename="..\\\\..\\\\windows\\\\win.ini"')
         . attachment("filename*=utf-8''..%2F..%2Fsecreto%00.txt.exe")
         . attachment("filename*=utf-8''%1B%5B2J%1B%5D0%3Bowned%07rojo.txt")
         . attachment('filename="=?utf-8?q?nul=00byte=0D=0Aline.txt?="')
         . attachment('filename="x\'); DROP TABLE attachments; --.pdf"')
         . attachment('filename="..."')
         . "--b--\r\n";
is(deliver($mail, 'ana@cliente.es'), 0, 'a mail with hostile attachment names is delivered');
my @names = split /\n/, sql('select filename from attachments order by id');
is(scalar @names, 7, 'every attachment is listed');
ok(!(grep { m{[/\\]} } @names), 'no stored name holds a path separator') or diag explain \@names;
ok(!(grep { /[\x00-\x1f\x7f]/ } @names), 'no stored name holds a control character') or diag explain \@names;
ok(!(grep { /^\./ } @names), 'no stored name starts with a dot') or diag explain \@names;
is($names[0], 'passwd', '../../../etc/passwd is kept as the name passwd');
is($names[5], "x'); DROP TABLE attachments; --.pdf", 'SQL in a name is just a name');
is(sql("select count(*) from attachments where length(filename) <> length(cast(filename as blob))"
       . " and instr(filename, char(0)) > 0"), 0, 'no NUL inside a stored name');
ok(!-e "$work/passwd" && !-e "$top/passwd" && !-e '/etc/passwd.txt.exe', 'and nothing is written as a file');

my $code = sql('select code from tickets');
my ($show, $status) = ctl('show', $code);
is($status, 0, 'ticketctl show works on that ticket');
unlike($show, qr/[\x00-\x08\x0b-\x1f\x7f]/, 'its output has no control character (no escape sequence, no NUL)');
like($show, qr/passwd/, 'and names the attachments');
my ($bytes) = ctl('attachment', $code, '1');
is($bytes, "xyz", 'ticketctl attachment writes the data to stdout, never to a file of that name');
for my $query ("raros'); DROP TABLE tickets; --", 'raros" OR 1=1 --', 'NEAR(raros adjuntos)', '*', 'raros)') {
	my ($found, $rc) = ctl_quiet('search', $query);
	ok($rc <= 1, "ticketctl search «$query» answers without error");
}
is(sql('select count(*) from tickets'), 1, 'and every table is still there');

# Past an input limit: delivered (exit 0), held whole with the limit as its reason.
$mail = "From: Ana <ana\@cliente.es>\r\nTo: soporte\@example.com\r\nSubject: demasiados\r\n"
      . "Message-ID: <limite\@cliente.es>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n"
      . join('', map { attachment("filename=\"f$_.bin\"") } 1 .. 101) . "--b--\r\n";
is(deliver($mail, 'ana@cliente.es'), 0, 'a mail with 101 attachments is accepted');
is(sql("select reason || ' ' || length(raw) from held where reason like 'over an input limit%'"),
   'over an input limit: more than 100 attachments ' . length($mail), 'and held whole, with the limit as reason');
is(sql("select count(*) from messages where message_id = 'limite\@cliente.es'"), 0, 'it opened no ticket');

# CR and LF in fields that reach the notifications' headers.
$mail = "From: =?utf-8?q?Ana=0D=0ABcc:_victima\@otro.es?= <ana\@cliente.es>\r\nTo: soporte\@example.com\r\n"
      . "Subject: =?utf-8?q?Hola=0D=0ABcc:_victima\@otro.es=0D=0A=0D=0Acuerpo_falso?=\r\n"
      . "Message-ID: <crlf\@cliente.es>\r\n\r\nhola\r\n";
is(deliver($mail, 'ana@cliente.es'), 0, 'a mail with CR LF in its encoded subject and name is delivered');
unlike(sql("select subject from tickets where subject like 'Hola%'"), qr/[\r\n]/, 'the stored subject has no line break');
my ($out) = ctl_quiet("account", "add", "mallory\@cliente.es\r\nRCPT TO:<victima\@otro.es>");
is(sql("select count(*) from accounts where email like 'mallory%'"), 0, 'an account address with CR LF is refused');

SKIP: {
	skip 'smtp-sink (Postfix) is not installed', 5 unless $sink_bin;
	mkdir "$work/sink";
	$sink_pid = fork // die;
	if (!$sink_pid) {
		exec $sink_bin, '-u', scalar(getpwuid($<)), '-d', "$work/sink/%M.", "127.0.0.1:$port", '10';
		die "smtp-sink: $!";
	}
	for (1 .. 50) { last if IO::Socket::INET->new("127.0.0.1:$port"); select undef, undef, undef, 0.1 }
	my ($flush) = ctl('outbox', 'flush');
	like($flush, qr/^2 notifications sent/, 'both confirmations are sent');
	my (@rcpts, @bcc, @heads);
	for my $file (glob "$work/sink/*") {
		open my $m, '<', $file or die;
		my $text = do { local $/; <$m> };
		my ($head) = split /\r?\n\r?\n/, $text, 2;
		push @rcpts, $1 while $head =~ /^X-Rcpt-Args: .*?<([^>]*)>/mg;
		push @bcc, $1 while $head =~ /^(Bcc:.*)$/mgi;
		push @heads, $head;
	}
	is_deeply([sort @rcpts], ['ana@cliente.es', 'ana@cliente.es'], 'the only recipient is the account');
	is(scalar @bcc, 0, 'no Bcc header appeared') or diag "@bcc";
	ok(!(grep { /^cuerpo falso/m } @heads), 'no text became a header line');
	my ($subject) = map { /^Subject: (.*(?:\r?\n[ \t].*)*)/m ? $1 : () } grep { /crlf|Hola/ } @heads;
	unlike($subject // '', qr/\r?\nBcc/i, 'the subject stays one header');
}

# A configuration others may read is refused, with what to do.
{
	chmod 0644, $conf;
	open my $saved, '>&', \*STDERR or die;
	open STDERR, '>', "$work/perm.err" or die;
	my (undef, $status) = ctl('department', 'list');
	open STDERR, '>&', $saved or die;
	chmod 0640, $conf;
	is($status, 78, 'a world-readable configuration: exit 78 (EX_CONFIG)');
	open my $e, '<', "$work/perm.err" or die;
	like(do { local $/; <$e> }, qr/\Q$conf\E is readable by others; run chmod 640/, 'the error names the file and the fix');
}

done_testing();
