#!/bin/sh
# 13-hostile-mail - a cheap mail must not cost a CPU for minutes: HTML built to make
# libxml2's parser quadratic is read in well under a second by `ticketd deliver`; and a
# parse that never ends (the preloaded stand-in for a parser bug, VENENO-HANG) is given
# up on after parse_timeout by deliver and by `ticketctl import`, the mail held raw.
. "$(dirname "$0")/lib.sh"

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

write_config "parse_timeout = 5"
"$TICKETCTL" -c "$CONF" account add cliente@tienda.es

# One <p> with 200,000 attributes, 2.3 MB, the only body of the mail.
perl -e 'print "From: cliente\@tienda.es\nTo: soporte\@example.com\nSubject: Factura\n",
	"Message-ID: <atributos\@tienda.es>\nMIME-Version: 1.0\nContent-Type: text/html; charset=utf-8\n\n",
	"<html><body><p", (map { " a$_=\"xx\"" } 1 .. 200000), ">Hola, no me llega la factura.</p></body></html>\n"' \
	> "$WORK/attributes.eml"
size=$(wc -c < "$WORK/attributes.eml")
[ "$size" -gt 2300000 ]
ok $? "the mail is over 2.3 MB ($size bytes)"
start=$(now_ms)
"$TICKETD" deliver -c "$CONF" -r soporte@example.com < "$WORK/attributes.eml" 2>>"$WORK/log"
code=$?
took=$(( $(now_ms) - start ))
is "$code" 0 "deliver takes it"
[ "$took" -lt 1000 ]
ok $? "in well under a second (${took} ms)"
is "$(sql "select count(*) from messages m join tickets t on t.id = m.ticket_id where t.subject = 'Factura' and m.text like '%no me llega la factura%'")" 1 \
	"its text is on the new ticket"

SHIM=$BUILD/tests/poison-shim.so
if [ ! -e "$SHIM" ]; then
	echo "ok 5 # SKIP $SHIM is not built"; echo "ok 6 # SKIP"; echo "ok 7 # SKIP"; echo "ok 8 # SKIP"
	tap_count=8
	done_testing
	exit
fi
hang() {     # hang MESSAGE-ID: a mail the preloaded parser never finishes
	printf 'From: cliente@tienda.es\nTo: soporte@example.com\nSubject: VENENO-HANG %s\nMessage-ID: <%s>\n\nHola.\n' "$1" "$1"
}
preloaded() { LD_PRELOAD=$SHIM ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0 "$@"; }

start=$(now_ms)
hang cuelga1@tienda.es | preloaded timeout 30 "$TICKETD" deliver -c "$CONF" -r soporte@example.com 2>>"$WORK/log"
code=$?
took=$(( $(now_ms) - start ))
is "$code" 0 "deliver gives up on a parse past parse_timeout and commits the mail held"
[ "$took" -ge 5000 ] && [ "$took" -lt 15000 ]
ok $? "after parse_timeout, not never (${took} ms)"
is "$(sql "select count(*) from held where reason like 'parsing took longer than parse_timeout%'")" 1 \
	"the mail is held raw with the reason"

mkdir -p "$WORK/maildir/cur" "$WORK/maildir/new" "$WORK/maildir/tmp"
hang cuelga2@tienda.es > "$WORK/maildir/cur/1:2,S"
printf 'From: cliente@tienda.es\nTo: soporte@example.com\nSubject: Otra consulta\nMessage-ID: <normal@tienda.es>\n\nHola.\n' \
	> "$WORK/maildir/cur/2:2,S"
preloaded timeout 30 "$TICKETCTL" -c "$CONF" import "$WORK/maildir" > "$WORK/import.out" 2>>"$WORK/log"
code=$?
is "$code:$(sql "select count(*) from held where reason like 'parsing took longer than parse_timeout%'"):$(sql "select count(*) from tickets where subject = 'Otra consulta'")" \
	"0:2:1" "import holds the hanging mail and goes on with the next"

done_testing
