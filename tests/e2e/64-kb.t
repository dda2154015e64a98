#!/bin/sh
# 64-kb - the help centre from ticketctl: import the sample articles (again: nothing
# changes; a changed file: updated in place, same id), list, show, search, remove, and
# what a mail would be suggested (--json: id, title, score, matched; [] for none), and
# the confirmation's suggestions as [kb] suggestions and threshold have them.
. "$(dirname "$0")/lib.sh"

ctl() { "$TICKETCTL" -c "$CONF" "$@"; }
write_config
KB="$TICKETD_TOP/maildir-fixtures/kb"
N=$(ls "$KB"/*.md | wc -l | tr -d ' ')

is "$(ctl kb import "$KB")" "$N added, 0 updated, 0 unchanged" "import: every sample article"
is "$(ctl kb import "$KB")" "0 added, 0 updated, $N unchanged" "import again: nothing changes"
mkdir "$WORK/kb"
sed 's/^title: .*/title: Cuentas FTP para el diseñador/' "$KB/ftp-cuentas.md" > "$WORK/kb/ftp-cuentas.md"
ID=$(sql "select id from kb_articles where slug = 'ftp-cuentas'")
is "$(ctl --json kb import "$WORK/kb" | tr -d ' \n')" '{"added":0,"updated":1,"unchanged":0}' "a changed file: updated"
is "$(sql "select id || ' ' || title from kb_articles where slug = 'ftp-cuentas'")" "$ID Cuentas FTP para el diseñador" "in place: same row, new title"
is "$(ctl kb list | wc -l | tr -d ' ')" "$N" "list: one line per article"
ctl kb show ftp-cuentas | grep -q '^departments: soporte$'; ok $? "show: the header"
is "$(ctl --json kb show ftp-cuentas | grep -c '"body"')" 1 "show --json: with the body"
ctl kb show nada 2>/dev/null; is $? 66 "show an unknown id: exit 66"

printf 'From: Ana <ana@cliente.es>\nTo: soporte@example.com\nSubject: correo\nMessage-ID: <k1@cliente.es>\n\nno me funciona el correo en el iphone, no envia\n' > "$WORK/m1"
printf 'From: Ana <ana@cliente.es>\nTo: soporte@example.com\nSubject: boletin\nMessage-ID: <k2@cliente.es>\n\nquiero darme de baja del boletin\n' > "$WORK/m2"
ctl --json kb suggest "$WORK/m1" > "$WORK/s1"; ok $? "suggest: exit 0"
is "$(grep -m1 '"id"' "$WORK/s1" | tr -d ' ,')" '"id":"correo-iphone"' "the iPhone mail gets the mobile-mail article first"
grep -q '"score"' "$WORK/s1" && grep -q '"matched"' "$WORK/s1"; ok $? "with its score and the words that matched"
is "$(ctl --json kb suggest "$WORK/m2" | tr -d ' \n')" '[]' "the newsletter mail gets nothing"
ctl kb suggest "$WORK/m1" | grep -q 'matched: .*iphone'; ok $? "suggest as text: the matched words"
is "$(ctl kb suggest --department facturacion "$WORK/m1" | grep -c correo-iphone)" 0 "another department: not its articles"

ctl kb search contrasena | grep -q 'correo-contrasena'; ok $? "search: contrasena finds contraseña"
ctl kb remove ftp-cuentas > /dev/null; ok $? "remove: exit 0"
ctl kb remove ftp-cuentas 2>/dev/null; is $? 66 "remove it again: exit 66"
printf 'no header\n' > "$WORK/kb/malo.md"
ctl kb import "$WORK/kb" 2>/dev/null; is $? 65 "a bad article: exit 65"
is "$(sql "select count(*) from kb_articles where slug = 'ftp-cuentas'")" 0 "and nothing of that import was written"
ctl kb 2>/dev/null; is $? 64 "no subcommand: exit 64"

# the confirmation of a new ticket lists what suggest found, and nothing when nothing is
ctl import "$WORK/m1" "$WORK/m2" > /dev/null; ok $? "both mails open tickets"
created() { sql "select mail from outbox where kind = 'created' and ticket_id = (select id from tickets where subject = '$1')" | tr -d '\r'; }
created correo > "$WORK/c1"
created boletin > "$WORK/c2"
grep -q '^- Configurar el correo en el iPhone o el iPad$' "$WORK/c1"; ok $? "the iPhone confirmation names the mobile-mail article"
grep -q '^  https://ayuda.example.com/correo/iphone$' "$WORK/c1"; ok $? "with its link"
is "$(grep -c 'centro de ayuda' "$WORK/c2")" 0 "the newsletter confirmation suggests nothing"
grep -q '^Un saludo,$' "$WORK/c2"; ok $? "and reads as it always did"

# [kb] in ticketd.conf: suggestions = N lists at most N, 0 none; a threshold above every
# score suggests nothing
mail_phones() { printf 'From: <%s@cliente.es>\nTo: soporte@example.com\nSubject: %s\nMessage-ID: <%s@cliente.es>\n\nconfigurar el correo en el iphone, android, outlook y thunderbird\n' "$1" "$1" "$1" > "$WORK/$1"; ctl import "$WORK/$1" > /dev/null; created "$1" > "$WORK/c-$1"; }
mail_phones todos
is "$(grep -c '^- ' "$WORK/c-todos")" 3 "by default, three articles"
is "$(grep -c 'centro de ayuda' "$WORK/c-todos")" 1 "under the heading"
write_config "" "[kb]
suggestions = 1"
mail_phones uno
is "$(grep -c '^- ' "$WORK/c-uno")" 1 "suggestions = 1: one article"
grep -q '^- Configurar el correo en Android$' "$WORK/c-uno"; ok $? "the best one"
write_config "" "[kb]
suggestions = 0"
mail_phones ninguno
is "$(grep -c 'centro de ayuda' "$WORK/c-ninguno")" 0 "suggestions = 0: none"
write_config "" "[kb]
threshold = 500"
mail_phones umbral
is "$(grep -c 'centro de ayuda' "$WORK/c-umbral")" 0 "threshold above every score: none"
done_testing
