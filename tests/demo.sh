#!/bin/sh
# demo - the main job on the embedded SQLite default: a fresh database under the build
# tree, the accounts of the fixtures, every message of maildir-fixtures ingested, and a
# table of the tickets made.
set -eu
BUILD=${1:-build}
TOP=$(cd "$(dirname "$0")/.." && pwd)
DEMO=$BUILD/demo
rm -rf "$DEMO" && mkdir -p "$DEMO"
export TICKETD_CONF="$DEMO/ticketd.conf"
cat > "$TICKETD_CONF" <<CONF
[ticketd]
database = $DEMO/ticketd.db
domain = example.com
staff = agente1@example.com, agente2@example.com
templates = $TOP/etc/templates
pid_file = $DEMO/ticketd.pid

[department:soporte]
name = Soporte técnico
address = soporte@example.com

[department:facturacion]
name = Facturación
address = facturacion@example.com

[department:ventas]
name = Ventas
address = ventas@example.com
CONF

echo "== accounts from maildir-fixtures/accounts.csv"
"$BUILD/ticketctl" account import "$TOP/maildir-fixtures/accounts.csv"
tail -n +2 "$TOP/maildir-fixtures/subaccounts.csv" | while IFS=, read -r account email notify can_open; do
	set --
	[ "$notify" = 1 ] && set -- "$@" --notify
	[ "$can_open" = 1 ] && set -- "$@" --can-open
	"$BUILD/ticketctl" subaccount add "$@" "$account" "$email"
done

echo "== ingesting maildir-fixtures, one message at a time"
"$TOP/tests/feed-fixtures.pl" "$BUILD/ticketctl" "$TICKETD_CONF" "$TOP/maildir-fixtures" |
	awk -F'\t' '{ printf "%-52s %-10s %-12s %s\n", substr($1, 1, 52), $3, $4, $5 }'

echo "== the same Maildir again: nothing is doubled"
"$BUILD/ticketctl" import "$TOP/maildir-fixtures"

echo "== tickets"
"$BUILD/ticketctl" list
echo
echo "The database is $DEMO/ticketd.db; try: TICKETD_CONF=$TICKETD_CONF $BUILD/ticketctl show CODE"
