#!/usr/bin/perl
# 79-full-disk - the disk under the database fills up while mail arrives. The database
# lives on a small tmpfs (so this runs only as root, and is skipped when mount is
# refused); a file then takes every free block. LMTP answers 4xx, never 250 for a mail
# it could not store, and `ticketd deliver` exits 75 (EX_TEMPFAIL), so the MTA keeps
# the mail. Once space is freed, what was refused lands on the retry, exactly once.
use strict;
use warnings;
use Test::More;
use IO::Socket::INET;
use POSIX ();
use Time::HiRes ();
use FindBin;
use lib $FindBin::Bin;
use Harness;

plan skip_all => "$TICKETD is not built" unless -x $TICKETD;
plan skip_all => 'mounting a tmpfs needs root' unless $< == 0;
my $disk = "$WORK/disk";
mkdir $disk or die "$disk: $!";
plan skip_all => 'mount -t tmpfs was refused here'
	unless system('mount', '-t', 'tmpfs', '-o', 'size=48m,mode=0755,uid=' . (getpwnam(daemon_user()))[2] . ',gid=' . (getpwnam(daemon_user()))[3], 'tmpfs', $disk) == 0;
my $mounted = 1;
# Before Harness's END: the daemon must let go of the files before the unmount.
END { local $?; if ($mounted) { stop_ticketd('KILL'); system('umount', '-l', $disk) } }

work_for_daemon();
write_config(staff => '', departments => 'soporte', ticketd => "user = " . daemon_user(),
             lmtp => 'idle_timeout = 30');
{
	open my $in, '<', $CONF or die "$CONF: $!";
	my $text = do { local $/; <$in> };
	$text =~ s{^database = .*$}{database = $disk/ticketd.db}m or die "no database line in $CONF";
	open my $out, '>', $CONF or die "$CONF: $!";
	print $out $text;
	close $out or die "$CONF: $!";
}
# sql() reads $WORK/ticketd.db; SQLite follows the link to the real file and its -wal.
symlink "$disk/ticketd.db", "$WORK/ticketd.db" or die "symlink: $!";

# mail(ID, LINES) - a customer's mail of its own, padded to weigh LINES lines (66 bytes each).
sub mail {
	my ($id, $lines) = @_;
	return "From: Cliente $id <cliente-$id\@cliente.es>\r\nTo: soporte\@example.com\r\nSubject: consulta $id\r\n"
	     . "Message-ID: <fd-$id\@cliente.es>\r\nDate: Mon, 3 Feb 2025 10:00:00 +0100\r\n\r\n"
	     . "Consulta $id.\r\n" . (sprintf("Linea %-6s de relleno que ocupa sitio en el disco del servidor.\r\n", $id) x $lines);
}

# deliver(LINES, NEXT) - one LMTP session, one transaction for each ID that NEXT gives
# (given the replies so far) until it gives undef, mails of LINES lines; the reply to each DATA.
sub deliver {
	my ($lines, $next) = @_;
	my $s = lmtp_connect();
	$s->autoflush(1);
	lmtp_reply($s) =~ /^220/ or return;
	print $s "LHLO full-disk.test\r\n";
	lmtp_reply($s);
	my %reply;
	while (defined(my $id = $next->(\%reply))) {
		print $s "MAIL FROM:<cliente-$id\@cliente.es>\r\nRCPT TO:<soporte\@example.com>\r\nDATA\r\n";
		my @setup = map { lmtp_reply($s) } 1 .. 3;
		if ($setup[2] !~ /^354/) { $reply{$id} = $setup[2] || $setup[1] || $setup[0]; next }
		print $s mail($id, $lines) . ".\r\n";
		($reply{$id} = lmtp_reply($s)) =~ s/\r?\n\z//;
	}
	print $s "QUIT\r\n";
	return %reply;
}

# deliver_ids(LINES, IDS) - deliver, one transaction per ID.
sub deliver_ids { my ($lines, @ids) = @_; return deliver($lines, sub { shift @ids }) }

sub stored { my ($id) = @_; return sql("select count(*) from messages where message_id = 'fd-$id\@cliente.es'") }

# check(WHEN, REPLIES) - what a full disk must never do: a 5xx, a broken session, a 250
# for a mail not stored, a mail stored behind a 4xx. The IDs deferred.
sub check {
	my ($when, %reply) = @_;
	my @ids = sort keys %reply;
	my @deferred = grep { $reply{$_} =~ /^4\d\d / } @ids;
	my $acked = grep { $reply{$_} =~ /^250 / } @ids;
	is($acked + @deferred, scalar @ids, "$when: every reply is a 250 or a 4xx ($acked stored, "
	   . scalar(@deferred) . ' deferred)') or diag join "\n", map { "$_: $reply{$_}" } @ids;
	is(join(' ', map { stored($_) } @ids), join(' ', map { $reply{$_} =~ /^250 / ? 1 : 0 } @ids),
	   "$when: a 250 for each mail stored, nothing stored behind a 4xx");
	return @deferred;
}

ok(start_ticketd('-n'), 'the daemon starts with its database on a 48 MB tmpfs');
my %before = deliver_ids(120, 'a1', 'a2');
is(join(' ', map { substr $_, 0, 3 } @before{qw(a1 a2)}), '250 250', 'with room, mail is stored');

# A file grows until the disk is full while one session delivers small mails, on until
# one is deferred: SQLite first reuses the space its write-ahead log already holds.
my $filler = fork // die;
if ($filler == 0) {
	open my $fill, '>', "$disk/fill" or die "fill: $!";
	for my $size (65536, 4096, 512) {
		my $block = "\0" x $size;
		while (syswrite $fill, $block) { Time::HiRes::sleep(0.001) }
	}
	POSIX::_exit(0);
}
my $n = 0;
my %during = deliver(120, sub {
	my ($reply) = @_;
	$filler = 0 if $filler && waitpid($filler, POSIX::WNOHANG()) == $filler;
	return undef if $n >= 2000 || (!$filler && grep { /^4/ } values %$reply);
	return 'm' . ++$n;
});
ok(!$filler, 'the disk filled up during the delivery');
my ($free) = `df -B1 --output=avail $disk` =~ /(\d+)\s*\z/;
cmp_ok($free, '<', 4096, "the disk is full ($free bytes free)");
my @deferred = check('while the disk filled', %during);
cmp_ok(scalar @deferred, '>', 0, 'once it is full, mail is deferred');
push @deferred, check('on the full disk', deliver_ids(16000, 'f1', 'f2'));
is(scalar(grep { /^f/ } @deferred), 2, 'a mail of 1 MB is deferred too');
like(ticketd_log(), qr/disk is full/, 'the log says the disk is full and what to do');

my $deliver_mail = mail('d1', 16000);
{
	open my $saved, '>&', \*STDERR or die;
	open STDERR, '>>', "$WORK/deliver.err" or die;
	my $code = ticketd_deliver($deliver_mail, '-f', 'cliente-d1@cliente.es', '-r', 'soporte@example.com');
	open STDERR, '>&', $saved or die;
	is($code, 75, 'ticketd deliver exits 75 (EX_TEMPFAIL) on a full disk');
}
like(do { open my $fh, '<', "$WORK/deliver.err" or die; local $/; <$fh> }, qr/disk is full/,
     'and says the disk is full');
is(stored('d1'), 0, 'and did not store it');

# Room again: the MTA's retry lands, once. A mail acknowledged and sent again is a duplicate.
unlink "$disk/fill" or die "fill: $!";
my %retry = (deliver_ids(120, grep { /^m/ } @deferred), deliver_ids(16000, grep { /^f/ } @deferred),
             deliver_ids(120, 'a1', 'm1'));
is(join(' ', map { substr $retry{$_}, 0, 3 } sort keys %retry), join(' ', map { 250 } keys %retry),
   'after space is freed every retry gets a 250');
is(ticketd_deliver($deliver_mail, '-f', 'cliente-d1@cliente.es', '-r', 'soporte@example.com'), 0,
   'and ticketd deliver stores the mail it deferred');
my @all = (keys %during, 'f1', 'f2', 'a1', 'a2', 'd1');
is(join(' ', map { stored($_) } @all), join(' ', map { 1 } @all), 'each of the ' . @all . ' mails is stored exactly once');
is(sql("select count(*) from messages m where not exists (select 1 from raw_messages r where r.message_id = m.id)"),
   0, 'no message without its raw bytes');
is(sql('pragma integrity_check'), 'ok', 'the database is intact');
is(stop_ticketd(), 0, 'the daemon lived through it and stops cleanly');

done_testing();
