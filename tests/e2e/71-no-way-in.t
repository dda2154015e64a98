#!/usr/bin/perl
# 71-no-way-in - hostile mail end to end. Attachment names with ../, backslashes, NUL,
# escape sequences and SQL stay names: `ticketctl show` prints them harmlessly. CR and
# LF hidden in a subject or a display name never become a header or a recipient of the
# notifications an SMTP server (Postfix's smtp-sink) receives; an account address with
# a line break is refused. A mail past an input limit is accepted and held whole.
use strict;
use warnings;
use Test::More;
use FindBin;
use lib $FindBin::Bin;
use Harness;

plan skip_all => "$TICKETD is not built" unless -x $TICKETD;
write_config(staff => '', departments => 'soporte', smtp => '');

sub deliver { my ($mail, $sender) = @_; return ticketd_deliver($mail, '-f', $sender, '-r', 'soporte@example.com') }

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
ok(!-e "$WORK/passwd" && !-e "$TOP/passwd" && !-e '/etc/passwd.txt.exe', 'and nothing is written as a file');

my $code = sql('select code from tickets');
my $show = ctl('show', $code);
is($? >> 8, 0, 'ticketctl show works on that ticket');
unlike($show, qr/[\x00-\x08\x0b-\x1f\x7f]/, 'its output has no control character (no escape sequence, no NUL)');
like($show, qr/passwd/, 'and names the attachments');
my $bytes = ctl('attachment', $code, '1');
is($bytes, "xyz", 'ticketctl attachment writes the data to stdout, never to a file of that name');
for my $query ("raros'); DROP TABLE tickets; --", 'raros" OR 1=1 --', 'NEAR(raros adjuntos)', '*', 'raros)') {
	ctl('search', $query);
	ok($? >> 8 <= 1, "ticketctl search «$query» answers without error");
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
ctl("account", "add", "mallory\@cliente.es\r\nRCPT TO:<victima\@otro.es>");
is(sql("select count(*) from accounts where email like 'mallory%'"), 0, 'an account address with CR LF is refused');

SKIP: {
	skip 'smtp-sink (Postfix) is not installed', 5 unless sink_program();
	start_sink();
	my $flush = ctl('outbox', 'flush');
	like($flush, qr/^2 notifications sent/, 'both confirmations are sent');
	my (@rcpts, @bcc, @heads);
	for my $head (map { $_->{head} } sink_messages()) {
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
	chmod 0644, $CONF;
	truncate "$WORK/ctl.err", 0;
	ctl('department', 'list');
	my $status = $? >> 8;
	chmod 0640, $CONF;
	is($status, 78, 'a world-readable configuration: exit 78 (EX_CONFIG)');
	open my $e, '<', "$WORK/ctl.err" or die;
	like(do { local $/; <$e> }, qr/\Q$CONF\E is readable by others; run chmod 640/, 'the error names the file and the fix');
}

done_testing();
