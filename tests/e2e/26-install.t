#!/bin/sh
# 26-install - make install into a DESTDIR writes the tree a package ships (programs,
# man pages, templates, the configuration 0640, the systemd unit with the PREFIX's
# sbin directory) and prints what the package's postinst must do; make uninstall
# removes it all again but never a database, a secret or an edited configuration.
. "$(dirname "$0")/lib.sh"

[ -x "$TICKETD" ] || skip_all "$TICKETD is not built"
command -v make >/dev/null || skip_all "no make"
ROOT=$WORK/root
inst() { make -s -C "$TOP" BUILD="$BUILD" DESTDIR="$ROOT" PREFIX=/usr "$@"; }

inst install >"$WORK/out" 2>&1; ok $? "make install DESTDIR=... PREFIX=/usr succeeds"
mode() { stat -c '%a' "$ROOT$1" 2>/dev/null; }
is "$(mode /usr/sbin/ticketd)" 755 "ticketd in /usr/sbin, 0755"
is "$(mode /usr/bin/ticketctl)" 755 "ticketctl in /usr/bin, 0755"
is "$(mode /etc/ticketd/ticketd.conf)" 640 "the configuration, 0640"
cmp -s "$TOP/etc/ticketd.conf" "$ROOT/etc/ticketd/ticketd.conf"; ok $? "it is the sample"
for lang in es en; do
	is "$(ls "$ROOT/etc/ticketd/templates/$lang" | wc -l)" "$(ls "$TOP/etc/templates/$lang" | wc -l)" "every $lang template"
	is "$(mode /etc/ticketd/templates/$lang/created.txt)" 644 "$lang templates 0644"
done
for page in man1/ticketctl.1 man5/ticketd.conf.5 man8/ticketd.8; do
	is "$(mode /usr/share/man/$page)" 644 "man page $page"
done
grep -q '^ExecStart=/usr/sbin/ticketd -c /etc/ticketd/ticketd.conf$' "$ROOT/etc/systemd/system/ticketd.service"
ok $? "the unit runs /usr/sbin/ticketd"
grep -q /usr/local "$ROOT/etc/systemd/system/ticketd.service"; is $? 1 "and names no /usr/local path"
[ ! -e "$ROOT/etc/ticketd/secret" ]; ok $? "no secret in the package: each system makes its own"
grep -q "postinst must run" "$WORK/out"; ok $? "it prints what a postinst must do"
for step in "useradd --system" "install -d -o ticketd -g ticketd -m 0750 /var/lib/ticketd" \
	"chown root:ticketd /etc/ticketd/ticketd.conf" "/dev/urandom" "chmod 0640 /etc/ticketd/secret" \
	"/usr/sbin/ticketd check"; do
	grep -qF -- "$step" "$WORK/out"; ok $? "postinst: $step"
done

echo "customised" >> "$ROOT/etc/ticketd/ticketd.conf"
inst install >/dev/null 2>&1
grep -q customised "$ROOT/etc/ticketd/ticketd.conf"; ok $? "a second install keeps an edited configuration"

mkdir -p "$ROOT/var/lib/ticketd" && echo data > "$ROOT/var/lib/ticketd/ticketd.db"
echo 0123 > "$ROOT/etc/ticketd/secret"
inst uninstall >"$WORK/out" 2>&1; ok $? "make uninstall succeeds"
left=$(cd "$ROOT" && find . -type f | sort | tr '\n' ' ')
is "$left" "./etc/ticketd/secret ./etc/ticketd/ticketd.conf ./var/lib/ticketd/ticketd.db " \
	"it leaves the database, the secret and the edited configuration, nothing else"
grep -q "kept, if present" "$WORK/out"; ok $? "and says what it kept"
rm "$ROOT/etc/ticketd/secret"; cp "$TOP/etc/ticketd.conf" "$ROOT/etc/ticketd/ticketd.conf"
inst uninstall >/dev/null 2>&1
[ ! -e "$ROOT/etc/ticketd" ]; ok $? "an unedited configuration goes with it"

[ ! -e "$ROOT/usr/sbin/ticketd" ]; ok $? "the programs are gone"
done_testing
