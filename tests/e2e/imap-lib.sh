# imap-lib.sh - sourced by the tests/5?-imap-*.t after lib.sh: a private Dovecot on
# loopback (its own config, base_dir, state and Maildir under $WORK; never the system's),
# TLS with a CA and certificates made here, and helpers to deliver and look at mail.
command -v dovecot >/dev/null 2>&1 && command -v doveadm >/dev/null 2>&1 ||
	skip_all "dovecot is not installed (make deps)"
command -v openssl >/dev/null 2>&1 || { echo "Bail out! openssl is not installed (make deps)"; exit 1; }

D=$WORK/dovecot
DOVECOT_CONF=$D/dovecot.conf
IMAP_USER=soporte@example.com
IMAP_PASSWORD=clave-secreta-1
MAIL_USER=$(id -un)
# As root, mail belongs to nobody; otherwise every Dovecot process runs as us.
DOVECOT_USERS="default_internal_user = $MAIL_USER
default_login_user = $MAIL_USER
default_internal_group = $(id -gn)
"
[ "$(id -u)" = 0 ] && MAIL_USER=nobody && DOVECOT_USERS=

# make_ca NAME: a CA key and self-signed certificate in $D/NAME-ca.{key,crt}.
make_ca() {
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=ticketd test $1 CA" \
		-keyout "$D/$1-ca.key" -out "$D/$1-ca.crt" >/dev/null 2>&1
}

# make_cert NAME CA SAN: a server certificate in $D/NAME.{key,crt} signed by CA.
make_cert() {
	openssl req -newkey rsa:2048 -nodes -subj "/CN=$1" -keyout "$D/$1.key" -out "$D/$1.csr" \
		>/dev/null 2>&1 &&
	printf 'subjectAltName = %s\nextendedKeyUsage = serverAuth\n' "$3" > "$D/$1.ext" &&
	openssl x509 -req -in "$D/$1.csr" -CA "$D/$2-ca.crt" -CAkey "$D/$2-ca.key" -CAcreateserial \
		-days 2 -extfile "$D/$1.ext" -out "$D/$1.crt" >/dev/null 2>&1
}

# start_dovecot [CERT-NAME [SNI-CERT-NAME]]: IMAP (STARTTLS) on $IMAP_PORT, IMAPS on
# $IMAPS_PORT; with a second name, that certificate is served to clients whose SNI asks for it.
# $DOVECOT_EXTRA is appended to the configuration.
start_dovecot() {
	cert=${1:-localhost}
	sni=${2:-}
	mkdir -p "$D/run" "$D/state" "$D/mail"
	chmod 0755 "$WORK" "$D"
	chown "$MAIL_USER" "$D/mail"
	IMAP_PORT=${IMAP_PORT:-$(free_port)}
	IMAPS_PORT=${IMAPS_PORT:-$(free_port)}
	printf '%s:{PLAIN}%s\n' "$IMAP_USER" "$IMAP_PASSWORD" > "$D/passwd"
	cat > "$DOVECOT_CONF" <<EOF
base_dir = $D/run
state_dir = $D/state
log_path = $D/dovecot.log
info_log_path = $D/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = required
ssl_cert = <$D/$cert.crt
ssl_key = <$D/$cert.key
auth_mechanisms = plain login
mail_location = maildir:$D/mail/%n
first_valid_uid = 0
$DOVECOT_USERS
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u $D/passwd
}
userdb {
  driver = static
  args = uid=$MAIL_USER gid=$(id -gn "$MAIL_USER") home=$D/mail/%n
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = $IMAP_PORT
  }
  inet_listener imaps {
    address = 127.0.0.1
    port = $IMAPS_PORT
    ssl = yes
  }
}
service anvil {
  chroot =
}
service imap-login {
  chroot =
}
EOF
	printf '%s\n' "${DOVECOT_EXTRA:-}" >> "$DOVECOT_CONF"
	[ -z "$sni" ] || printf 'local_name %s {\n  ssl_cert = <%s\n  ssl_key = <%s\n}\n' \
		"$sni" "$D/$sni.crt" "$D/$sni.key" >> "$DOVECOT_CONF"
	dovecot -c "$DOVECOT_CONF" || return 1
	CLEANUP_DOVECOT=$DOVECOT_CONF
	wait_for_port "$IMAPS_PORT" 5
}

stop_dovecot() {
	[ -n "${CLEANUP_DOVECOT:-}" ] && dovecot -c "$CLEANUP_DOVECOT" stop >/dev/null 2>&1
	CLEANUP_DOVECOT=
	i=0
	while [ -e "$D/run/master.pid" ] && [ $i -lt 50 ]; do i=$((i + 1)); sleep 0.1; done
}

# tap_cleanup from lib.sh, plus our Dovecot.
imap_cleanup() {
	stop_dovecot
	tap_cleanup
}
trap 'imap_cleanup' EXIT

# imap_setup: CAs, certificates, Dovecot started, the password file.
imap_setup() {
	mkdir -p "$D"
	make_ca test && make_ca other &&
	make_cert localhost test "DNS:localhost" &&
	start_dovecot localhost || return 1
	printf '%s\n' "$IMAP_PASSWORD" > "$WORK/imap.secret"
	chmod 600 "$WORK/imap.secret"
}

# imap_section NAME URL [KEY=VALUE...]: an [imap:NAME] section for write_config.
imap_section() {
	name=$1 url=$2
	shift 2
	printf '[imap:%s]\nurl = %s\nuser = %s\npassword_file = %s\ndepartment = soporte\n' \
		"$name" "$url" "$IMAP_USER" "$WORK/imap.secret"
	for kv in "$@"; do printf '%s = %s\n' "${kv%%=*}" "${kv#*=}"; done
}

# deliver_mail N [MAILBOX] [BODY-BYTES]: message N (a customer's first mail) saved into the mailbox.
deliver_mail() {
	mail_text "$1" "${3:-}" | doveadm -c "$DOVECOT_CONF" save -u "$IMAP_USER" -m "${2:-INBOX}"
}

# mail_text N [BODY-BYTES]: a first mail from a customer, Message-ID imap-test-N@example.net.
mail_text() {
	printf 'From: Cliente %s <cliente%s@example.net>\r\n' "$1" "$1"
	printf 'To: soporte@example.com\r\n'
	printf 'Subject: No funciona el correo %s\r\n' "$1"
	printf 'Message-ID: <imap-test-%s@example.net>\r\n' "$1"
	printf 'Date: Mon, 23 Nov 2026 10:00:00 +0000\r\n'
	printf 'MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n'
	printf 'Hola, desde esta mañana no puedo enviar correo (%s).\r\n' "$1"
	if [ -n "${2:-}" ]; then
		perl -e 'my $n = shift; my $l = ("x" x 76) . "\r\n"; print $l x int($n / 78)' "$2"
	fi
}

# mailbox_count [MAILBOX] [SEARCH...]: messages in a mailbox matching a doveadm search.
mailbox_count() {
	box=${1:-INBOX}
	[ $# -gt 0 ] && shift
	[ $# -gt 0 ] || set -- all
	doveadm -c "$DOVECOT_CONF" search -u "$IMAP_USER" mailbox "$box" "$@" 2>/dev/null | wc -l | tr -d ' '
}

# logins: how many times Dovecot let our user in (a refused certificate must mean none).
logins() { grep -c "Login: user=<$IMAP_USER>" "$D/dovecot.log"; }

# tickets: how many tickets the database holds.
tickets() { sql "SELECT count(*) FROM tickets" 2>/dev/null || echo 0; }

# append_mail N: message N by a real IMAP APPEND (LITERAL+) over TLS, as a mail client would.
append_mail() {
	mail_text "$1" > "$WORK/append.eml"
	{
		printf 'a LOGIN %s %s\r\n' "$IMAP_USER" "$IMAP_PASSWORD"
		printf 'b APPEND INBOX {%d+}\r\n' "$(wc -c < "$WORK/append.eml")"
		cat "$WORK/append.eml"
		printf '\r\nc LOGOUT\r\n'
	} | openssl s_client -quiet -connect "127.0.0.1:$IMAPS_PORT" -servername localhost \
		-CAfile "$D/test-ca.crt" > "$WORK/append.out" 2>/dev/null
	grep -q '^b OK' "$WORK/append.out"
}
