#!/bin/sh
# demo - the main job on the embedded SQLite default: a fresh database under the build
# tree, the accounts of the fixtures, the daemon started on a loopback port, every
# message of maildir-fixtures delivered to it over LMTP, the notifications captured by a
# local SMTP sink, a staff status change reaching the customer, an agent answering by mail
# through the signed Reply-To of a notice, and a table of the tickets.
set -eu
BUILD=${1:-build}
TOP=$(cd "$(dirname "$0")/../.." && pwd)
DEMO=$BUILD/demo
rm -rf "$DEMO" && mkdir -p "$DEMO"
DEMO=$(cd "$DEMO" && pwd)
BUILD=$(cd "$BUILD" && pwd)
# The end-to-end tests' harness, on the demo's directory, which stays.
WORK=$DEMO KEEP_WORK=1 TICKETD_BUILD=$BUILD TICKETD_TOP=$TOP
. "$TOP/tests/e2e/lib.sh"
export TICKETD_CONF="$CONF"
# Started as root, the daemon drops to an unprivileged user, as in production.
work_for_daemon
# The key of the agents' signed addresses: never readable by others.
head -c 32 /dev/urandom | base64 > "$DEMO/secret" && chmod 640 "$DEMO/secret"
[ "$(id -u)" = 0 ] && chown "$(daemon_user)" "$DEMO/secret"
write_config --lmtp "" --smtp "" "user = $(daemon_user)
secret_file = $DEMO/secret"

# A local SMTP sink stands for the customers' mailboxes: every mail lands in a file.
start_sink

echo "== accounts from maildir-fixtures/accounts.csv"
load_accounts

echo "== the help centre from maildir-fixtures/kb"
"$BUILD/ticketctl" kb import "$TOP/maildir-fixtures/kb"

[ "$(id -u)" = 0 ] && chown nobody "$DEMO"/ticketd.db*

echo "== ticketd listening on 127.0.0.1:$LMTP_PORT (LMTP)"
start_ticketd

echo "== delivering maildir-fixtures over LMTP, one message at a time"
printf '%-44s %-12s %-12s %s\n' MESSAGE DEPARTMENT ACTION TICKET
"$TOP/tests/support/feed-fixtures.pl" "$BUILD/ticketctl" "$TICKETD_CONF" "$TOP/maildir-fixtures" --lmtp "127.0.0.1:$LMTP_PORT" \
	> "$DEMO/delivered.tsv"
awk -F'\t' '{ printf "%-44s %-12s %-12s %s\n", substr($1, 5, 44), $6, $4, $5 }' "$DEMO/delivered.tsv"
stop_ticketd 2>/dev/null || true
echo "(the daemon's log, one line per decision, is in $DEMO/ticketd.log)"

echo "== a staff member replies to the first ticket, then resolves it; the customer is told"
FIRST=$(awk -F'\t' 'NR == 1 { print $5 }' "$DEMO/delivered.tsv")
printf 'Hola:\n\nHemos reiniciado el servicio de correo; ya puede enviar con normalidad.\n\nUn saludo,\nAgente 1\n' |
	"$BUILD/ticketctl" reply --actor agente1@example.com "$FIRST"
"$BUILD/ticketctl" status --actor agente1@example.com "$FIRST" resolved
"$BUILD/ticketctl" outbox flush
sleep 1

echo "== agente1 answers $FIRST by mail, replying to the notice's signed Reply-To"
NOTICE=$(grep -l "^Subject: \[Ticket #$FIRST\]" "$DEMO"/sink/* | xargs grep -l '^To: .*agente1@example.com' | head -1)
REPLY_TO=$(sed -n 's/^Reply-To: .*<\(.*\)>.*/\1/p' "$NOTICE")
echo "Reply-To of agente1's notice: $REPLY_TO"
printf 'From: Agente 1 <agente1@example.com>\nTo: %s\nSubject: Re: [Ticket #%s]\nMessage-ID: <demo-agente1@example.com>\n\n#estado pendiente\n#prioridad alta\nHola de nuevo: si vuelve a fallar, envienos la cabecera completa del correo rechazado.\n' \
	"$REPLY_TO" "$FIRST" | "$BUILD/ticketd" deliver -c "$TICKETD_CONF" -r "$REPLY_TO"
"$BUILD/ticketctl" show "$FIRST" | head -3
"$BUILD/ticketctl" outbox flush
stop_sink

echo "== notifications received by the sink, by kind"
"$BUILD/ticketctl" --json outbox list | perl -MJSON::PP -e '
	my (%sent, %to, %other);
	for my $row (@{decode_json(join "", <STDIN>)}) {
		if ($row->{state} eq "sent") { $sent{$row->{kind}}++; $to{$row->{kind}}{$row->{recipient}}++ }
		else { $other{"$row->{state} $row->{kind}"}++ }
	}
	printf "%-12s %5s  %s\n", "KIND", "SENT", "RECIPIENTS";
	for my $kind (sort keys %sent) {
		my @to = sort keys %{$to{$kind}};
		printf "%-12s %5d  %s%s\n", $kind, $sent{$kind}, join(", ", @to[0 .. ($#to < 2 ? $#to : 2)]),
		       @to > 3 ? sprintf(" and %d more", @to - 3) : "";
	}
	printf "%-12s %5d  (%s)\n", "not sent", $other{$_}, $_ for sort keys %other;'
echo
echo "== the status change, as the customer received it"
MAIL=$(grep -l "^Subject: \[Ticket #$FIRST\]" "$DEMO"/sink/* | xargs grep -l "Auto-Submitted: auto-generated" | head -1)
sed -n '/^From:/,/^$/p' "$MAIL" | grep -E '^(From|To|Reply-To|Subject|Message-Id|In-Reply-To|Auto-Submitted):'
perl -MMIME::QuotedPrint -0777 -ne 'my ($h, $b) = split /\r?\n\r?\n/, $_, 2; print decode_qp($b)' "$MAIL"

echo "== the staff reply, as the customer received it"
MAIL=$(grep -l "^Subject: .*\[Ticket #$FIRST\]" "$DEMO"/sink/* | xargs grep -l "Hemos reiniciado" | head -1)
sed -n '/^From:/,/^$/p' "$MAIL" | grep -E '^(From|To|Reply-To|Subject|Message-Id|In-Reply-To):'
perl -MMIME::QuotedPrint -0777 -ne 'my ($h, $b) = split /\r?\n\r?\n/, $_, 2; print decode_qp($b)' "$MAIL"

echo "== a customer's mail about their iPhone, and the article its confirmation suggests"
printf 'From: Ana <ana@cliente.es>\nTo: soporte@example.com\nSubject: correo en el movil\n\nno me funciona el correo en el iphone, no envia\n' > "$DEMO/iphone.eml"
"$BUILD/ticketctl" kb suggest "$DEMO/iphone.eml"

echo "== the same Maildir again: nothing is doubled"
"$BUILD/ticketctl" import "$TOP/maildir-fixtures"

echo "== tickets"
"$BUILD/ticketctl" list
echo
echo "The database is $DEMO/ticketd.db; try: TICKETD_CONF=$TICKETD_CONF $BUILD/ticketctl show CODE"
