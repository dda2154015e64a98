#!/bin/sh
# 62-history - reading tickets back: search (accents ignored, ranked, snippets), an
# attachment's bytes, and export as mbox (From_ lines, >From quoting) and JSON with the
# raw messages byte for byte.
. "$(dirname "$0")/lib.sh"

ctl() { "$TICKETCTL" -c "$CONF" "$@"; }
deliver() { "$TICKETD" deliver -c "$CONF" -r soporte@example.com 2>>"$WORK/stderr"; }
write_config

printf 'From: Ana <ana@cliente.es>\nTo: soporte@example.com\nSubject: Migración del dominio\nMessage-ID: <m1@cliente.es>\nDate: Mon, 3 Feb 2025 10:00:00 +0100\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="b1"\n\n--b1\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\nQuiero la migración de mi web.\nFrom here on, todo en el servidor nuevo.\n>From quoted already\n\n--b1\nContent-Type: application/octet-stream; name="datos.bin"\nContent-Disposition: attachment; filename="datos.bin"\nContent-Transfer-Encoding: base64\n\nAAECA/8KDQ==\n--b1--\n' > "$WORK/m1"
printf 'From: Luis <luis@otro.es>\r\nTo: soporte@example.com\r\nSubject: Certificado caducado\r\nMessage-ID: <m2@otro.es>\r\nDate: Mon, 3 Feb 2025 11:00:00 +0100\r\n\r\nEl certificado SSL de mi tienda ha caducado; migracion pendiente.\r\n' > "$WORK/m2"
deliver < "$WORK/m1"; deliver < "$WORK/m2"
A=$(sql "select code from tickets where subject like 'Migr%'")
B=$(sql "select code from tickets where subject like 'Certif%'")

# search
ctl search migracion > "$WORK/out"; ok $? "search: exit 0"
is "$(grep -c "^$A\|^$B" "$WORK/out")" 2 "migracion finds both tickets, accent or not"
is "$(head -1 "$WORK/out" | cut -d' ' -f1)" "$A" "the one with the word in subject and text ranks first"
grep -q '\[migración\]' "$WORK/out"; ok $? "the snippet marks the match"
is "$(ctl --json search CERTIFICADO | grep -c '"code"')" 1 "--json, case ignored: one hit"
ctl search zzzinexistente 2>"$WORK/err"; ok $? "no hit: exit 0"
grep -q "nothing matches" "$WORK/err"; ok $? "and it says so"
ctl search 2>/dev/null; is $? 64 "no query: exit 64"

# attachment
ctl attachment "$A" 1 > "$WORK/datos.bin"; ok $? "attachment: exit 0"
is "$(od -An -tx1 "$WORK/datos.bin" | tr -d ' \n')" "00010203ff0a0d" "the decoded bytes, binary intact"
ctl attachment "$A" x 2>/dev/null; is $? 64 "a non-number: exit 64"
ctl attachment NOP-000000 1 2>/dev/null >/dev/null; is $? 66 "an unknown ticket: exit 66"

# export
echo "Ya está migrado." | ctl reply "$A" --actor agente1@example.com >/dev/null
ctl export "$A" --format mbox > "$WORK/a.mbox"; ok $? "export --format mbox: exit 0"
is "$(grep -c '^From ' "$WORK/a.mbox")" 2 "one From_ line per message (the mail and the reply)"
grep -q '^>From here on' "$WORK/a.mbox"; ok $? "a From line in a body is quoted"
grep -q '^>>From quoted already' "$WORK/a.mbox"; ok $? ">From gets one more > (mboxrd)"
# Undo the quoting, cut the first message out: the bytes received.
perl -ne 'if (/^From /) { $n++; next } next if $n != 1; s/^>(>*From )/$1/; print' "$WORK/a.mbox" | head -c "$(wc -c < "$WORK/m1")" > "$WORK/back"
cmp -s "$WORK/back" "$WORK/m1"; ok $? "the mbox holds the raw message byte for byte"
grep -q 'Ya está migrado' "$WORK/a.mbox"; ok $? "and the staff reply"
ctl export "$B" --format json > "$WORK/b.json"; ok $? "export --format json: exit 0"
perl -MJSON::PP -MMIME::Base64 -e 'local $/; my $j = decode_json(<STDIN>); print decode_base64($j->{messages}[0]{raw_base64})' \
	< "$WORK/b.json" > "$WORK/back"
cmp -s "$WORK/back" "$WORK/m2"; ok $? "the JSON raw_base64 is the CRLF message byte for byte"
grep -q '"kind" : "created"' "$WORK/b.json"; ok $? "the JSON carries the events"
ctl export "$B" --format pdf 2>/dev/null; is $? 64 "an unknown format: exit 64"

done_testing
