#!/bin/sh
# 72-responder-war - a robot that answers every mail it gets, played against ticketd
# through a real SMTP server (smtp-sink): each round the outbox is flushed, and the robot
# answers every notification it received. The exchange must stop by itself, within the
# configured limits, with every robot mail kept and one warning logged.
. "$(dirname "$0")/lib.sh"

start_sink
ROBOT=robot@autoresponder.es
deliver() { "$TICKETD" deliver -v -c "$CONF" -f "$ROBOT" -r soporte@example.com 2>>"$WORK/log"; }
robot_sent=0
below() { [ "$1" -lt "$2" ]; ok $? "$3"; }     # below GOT LIMIT DESCRIPTION

# robot_mail SUBJECT IN-REPLY-TO [HEADER]: one mail from the robot.
robot_mail() {
	robot_sent=$((robot_sent + 1))
	printf 'From: Robot <%s>\nTo: soporte@example.com\nSubject: %s\nMessage-ID: <war%d.%s@autoresponder.es>\n%s%s\nGracias por su mensaje. Le responderemos lo antes posible.\n' \
		"$ROBOT" "$1" "$robot_sent" "$$" "${2:+In-Reply-To: $2
}" "${3:+$3
}" | deliver
}

# received: mails the sink holds now, once the outbox says they were sent.
received() {
	sent=$(sql "select count(*) from outbox where recipient = '$ROBOT' and state = 'sent'")
	for _ in $(seq 50); do
		[ "$(ls "$WORK/sink" | wc -l)" -ge $((sent - answered)) ] && break
		sleep 0.1
	done
	ls "$WORK/sink" | wc -l | tr -d ' '
}

# war MODE HEADER: rounds of flush and answer until the robot gets nothing; sets ROUNDS
# and GOT (mails the robot received). MODE new: each answer is a fresh mail without
# the ticket tag or In-Reply-To (the robot that opens a ticket per answer); threaded:
# each answer keeps the subject and In-Reply-To.
war() {
	ROUNDS=0 GOT=0 answered=0
	while [ $ROUNDS -lt 40 ]; do
		"$TICKETCTL" -c "$CONF" outbox flush >/dev/null 2>&1
		n=$(received)
		[ "$n" -eq 0 ] && return
		GOT=$((GOT + n)) ROUNDS=$((ROUNDS + 1))
		for f in "$WORK"/sink/*; do
			subject=$(sed -n 's/^Subject: //p' "$f" | head -1 | tr -d '\r')
			id=$(sed -n 's/^Message-I[Dd]: //p' "$f" | head -1 | tr -d '\r')
			if [ "$1" = new ]; then robot_mail "Acuse de recibo $robot_sent" "" "$2"
			else robot_mail "Re: $subject" "$id" "$2"; fi
			rm -f "$f"
			answered=$((answered + 1))
		done
	done
}

# 1. The robot that opens a new ticket with every answer: intake_per_hour stops it.
write_config --smtp "" "intake_per_hour = 5"
robot_mail "Alerta: disco al 90%"
war new
is "$GOT" 5 "a robot opening a ticket per answer gets 5 mails (intake_per_hour = 5), then nothing"
below "$ROUNDS" 40 "the exchange stopped by itself, after $ROUNDS rounds"
is "$(sql "select count(*) from tickets t join accounts a on a.id = t.account_id where a.email = '$ROBOT'")" 5 \
	"it opened 5 tickets"
is "$(sql "select count(*) from held where sender = '$ROBOT' and reason = 'over intake_per_hour'")" \
	$((robot_sent - 5)) "the rest of its mail is kept, held"
is "$(grep -c 'warning:.*intake_per_hour' "$WORK/log")" 1 "with one warning in the log"

# 2. The robot that answers in the thread: a customer's reply is never answered.
rm -f "$WORK"/ticketd.db*; : > "$WORK/log"; robot_sent=0
write_config --smtp ""
robot_mail "Pedido 4411: estado"
war threaded
is "$GOT" 1 "a robot answering in the thread gets the confirmation only"
is "$(sql "select count(*) from messages m join tickets t on t.id = m.ticket_id where t.subject = 'Pedido 4411: estado'")" 2 \
	"its answer is on the ticket"

# 3. A robot that never stops opening tickets, under a high intake limit: auto_per_hour
#    (default 10) caps the automatic mails it gets.
rm -f "$WORK"/ticketd.db*; : > "$WORK/log"; robot_sent=0
write_config --smtp "" "intake_per_hour = 1000"
robot_mail "Alerta: disco al 91%"
war new
is "$GOT" 10 "a robot under a high intake limit gets auto_per_hour = 10 mails, then nothing"
is "$(sql "select count(*) from outbox where recipient = '$ROBOT' and state = 'suppressed'")" 1 \
	"its last notification is suppressed with a reason"
is "$(sql "select last_error from outbox where recipient = '$ROBOT' and state = 'suppressed'")" \
	"over auto_per_hour automatic mails in the last hour" "the reason names the limit"

# 4. A well-behaved auto-responder (Auto-Submitted: auto-replied) is never answered.
rm -f "$WORK"/ticketd.db*; : > "$WORK/log"; robot_sent=0
write_config --smtp ""
robot_mail "Alerta: disco al 92%"
war threaded "Auto-Submitted: auto-replied"
is "$GOT" 1 "an auto-reply gets nothing back: the robot got only the first confirmation"
is "$(sql "select count(*) from messages where class = 'auto_reply'")" 1 "its auto-reply is stored on the ticket, classed auto_reply"

done_testing
