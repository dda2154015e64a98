#!/bin/sh
# 49-local-part - a customer's address as their host reads it (RFC 5321 section 2.4: the
# local part may be case-sensitive, the domain is not): the account keeps the local part
# as written, smtp-sink receives the notice for exactly that mailbox, and the same
# customer writing it in another case is still the same account and ticket.
. "$(dirname "$0")/lib.sh"

command -v smtp-sink >/dev/null || [ -x /usr/sbin/smtp-sink ] || skip_all "smtp-sink (Postfix) is not installed"
write_config --smtp "" --staff ""
ctl() { "$TICKETCTL" -c "$CONF" "$@" 2>>"$WORK/ctl.err"; }
deliver() { "$TICKETD" deliver -c "$CONF" -f "$1" -r soporte@example.com 2>>"$WORK/deliver.err"; }
start_sink

printf 'From: Ana Núñez <Ana.Nunez@Cliente.ES>\nTo: soporte@example.com, Pedro <Pedro.Gil@Colega.ES>\nSubject: Consulta\nMessage-ID: <lp1@cliente.es>\nContent-Type: text/plain; charset=utf-8\n\nHola.\n' |
	deliver Ana.Nunez@Cliente.ES
is "$?" 0 "a mail from a mixed-case address is delivered"
is "$(sql "select email from accounts")" "Ana.Nunez@cliente.es" "the account keeps the local part as written, the domain folded"
code=$(sql "select code from tickets")
is "$(ctl watcher list "$code")" "Pedro.Gil@colega.es" "so does the watcher in copy"
ctl outbox flush >/dev/null
is "$(grep -l 'X-Rcpt-Args: <Ana.Nunez@cliente.es>' "$WORK"/sink/* 2>/dev/null | wc -l | tr -d ' ')" 1 \
	"the confirmation's envelope recipient is the local part as written"
is "$(grep -l 'X-Rcpt-Args: <Pedro.Gil@colega.es>' "$WORK"/sink/* 2>/dev/null | wc -l | tr -d ' ')" 1 \
	"and the watcher's"
is "$(grep -il 'X-Rcpt-Args: <ana.nunez@cliente.es>' "$WORK"/sink/* 2>/dev/null | wc -l | tr -d ' ')" 1 \
	"no second notice to a lower-cased copy of the address"

# The same customer from a client that writes the address in lower case.
printf 'From: ana.nunez@cliente.es\nTo: soporte@example.com\nSubject: Re: [Ticket #%s] Consulta\nMessage-ID: <lp2@cliente.es>\n\nSigue igual.\n' "$code" |
	deliver ana.nunez@cliente.es
is "$?" 0 "a reply with the address in another case is delivered"
is "$(sql "select count(*) from accounts")" 1 "it is the same account: addresses match without regard to case"
is "$(sql "select count(*) from messages m join tickets t on t.id = m.ticket_id where t.code = '$code'")" 2 \
	"and the reply joined the ticket"
ctl account show ANA.NUNEZ@cliente.es | grep -q '^Ana.Nunez@cliente.es '
ok $? "ticketctl account show finds it in any case and shows it as written"

done_testing
