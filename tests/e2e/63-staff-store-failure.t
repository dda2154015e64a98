#!/bin/sh
# 63-staff-store-failure - a staff command whose write the database refuses rolls back
# and says why with exit 65; it never crashes reading an error it had not been given.
# A trigger stands in for the failing statement (root ignores a read-only file).
. "$(dirname "$0")/lib.sh"

ctl() { "$TICKETCTL" -c "$CONF" "$@"; }
deliver() { "$TICKETD" deliver -c "$CONF" -r soporte@example.com 2>>"$WORK/stderr"; }
mail() {     # mail MESSAGE-ID SUBJECT
	printf 'From: Ana <ana@cliente.es>\nTo: soporte@example.com\nSubject: %s\nMessage-ID: <%s>\nDate: Mon, 3 Feb 2025 10:00:00 +0100\n\nNo funciona.\n' \
		"$2" "$1"
}
write_config
ctl account add ana@cliente.es --name "Ana" >/dev/null 2>&1
mail a1@cliente.es "Correo caído" | deliver
mail a2@cliente.es "Factura" | deliver
A=$(sql "select code from tickets where subject like 'Correo%'")
B=$(sql "select code from tickets where subject like 'Factura%'")
ctl close "$B" --actor agente1@example.com >/dev/null
sql "create trigger refuse_saboteur before insert on events when new.actor = 'saboteur'
     begin select raise(abort, 'refused by the test trigger'); end"
events=$(sql "select count(*) from events")
queued=$(sql "select count(*) from outbox")

# each command: exit 65 (not a signal), the store's reason, nothing written
check() {    # check WHAT COMMAND...
	what=$1; shift
	"$@" --actor saboteur >/dev/null 2>"$WORK/err" </dev/null
	is $? 65 "$*: a refused write exits 65"
	grep -q "ticketctl: $what: .*refused by the test trigger" "$WORK/err"; ok $? "$*: and says why"
}
echo "nota" > "$WORK/text"
check "storing the note" ctl note "$A" --file "$WORK/text"
check "storing the reply" ctl reply "$A" --file "$WORK/text"
check "assigning the ticket" ctl assign "$A" agente2@example.com
check "closing the ticket" ctl close "$A"
check "reopening the ticket" ctl reopen "$B"
check "changing the status" ctl status "$A" pending
check "merging" ctl merge "$A" "$B"

is "$(sql "select count(*) from events")" "$events" "no event was kept"
is "$(sql "select status || ' ' || coalesce(assignee, '-') || ' ' || coalesce(merged_into, 0) from tickets where code = '$A'")" \
	"open - 0" "the ticket is as it was"
is "$(sql "select count(*) from messages where direction in ('note', 'out')")" 0 "no note or reply was kept"
is "$(sql "select count(*) from outbox")" "$queued" "and nothing was queued"

done_testing
