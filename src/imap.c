/*
 * imap - fetch mail from an [imap:NAME] mailbox with libetpan. libetpan checks no
 * certificate, sends CR/LF raw and keeps stale capabilities after STARTTLS, so this file
 * does those checks itself: the certificate against the host name, CR/LF in every
 * argument, capabilities asked again after STARTTLS (RFC 3501 §6.2.1). Exactly once: BODY.PEEK[], commit,
 * then \Seen/move/delete, then the last UID; a re-fetch is a duplicate to ingest.
 */
#include <errno.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <libetpan/libetpan.h>

#include "imap.h"
#include "ingest.h"
#include "log.h"

#define IMAP_BACKOFF_FIRST 5            /* seconds before the first reconnect */
#define IMAP_BACKOFF_MAX   300          /* and never more than this */
#define IMAP_TEXT_MAX      1000         /* bytes of any string handed to libetpan */

G_DEFINE_QUARK(ticketd-imap-error-quark, imap_error)

/* One connection to one source. */
typedef struct {
	const imap_source_config *source;
	const ticketd_config *config;
	store *db;
	mailimap *session;
	gboolean idle_ready;        /* mailstream_setup_idle done */
	uint32_t uidvalidity;       /* of the selected mailbox */
	volatile gboolean *stop;    /* NULL for a single pass */
	GByteArray *body;           /* the message being fetched */
	gboolean body_overflow;
} imap_conn;

static gboolean
imap_stopping(const imap_conn *conn)
{
	return conn->stop != NULL && g_atomic_int_get(conn->stop);
}

/* imap_rc_name - libetpan's result codes in words; the rest are refused commands. */
static const char *
imap_rc_name(int rc)
{
	switch (rc) {
	case MAILIMAP_ERROR_STREAM: return "connection lost";
	case MAILIMAP_ERROR_PARSE: return "unparsable answer";
	case MAILIMAP_ERROR_CONNECTION_REFUSED: return "cannot connect";
	case MAILIMAP_ERROR_MEMORY: return "out of memory";
	case MAILIMAP_ERROR_PROTOCOL: return "protocol error";
	case MAILIMAP_ERROR_DONT_ACCEPT_CONNECTION: return "the server refused the session";
	case MAILIMAP_ERROR_STARTTLS: return "STARTTLS refused or tampered with";
	case MAILIMAP_ERROR_SSL: return "TLS handshake failed";
	default: return "refused by the server";
	}
}

/* imap_fail - set *error from a libetpan result and the server's last words; returns status. */
static failure_class G_GNUC_PRINTF(5, 6)
imap_fail(const imap_conn *conn, GError **error, failure_class status, int rc,
          const char *format, ...)
{
	va_list args;
	g_autofree char *what = NULL;
	g_autofree char *said = NULL;
	const char *response = conn->session != NULL ? conn->session->imap_response : NULL;

	va_start(args, format);
	what = g_strdup_vprintf(format, args);
	va_end(args);
	/* The last response text belongs to this failure only when the server refused. */
	if (response != NULL && *response != '\0' && rc > MAILIMAP_ERROR_DONT_ACCEPT_CONNECTION &&
	    rc != MAILIMAP_ERROR_STARTTLS && rc != MAILIMAP_ERROR_SSL)
		said = log_printable(response, 200);
	if (rc >= 0 && said != NULL)
		g_set_error(error, IMAP_ERROR, status, "%s: %s (libetpan %d); server said: %s", what,
		            imap_rc_name(rc), rc, said);
	else if (rc >= 0)
		g_set_error(error, IMAP_ERROR, status, "%s: %s (libetpan %d)", what, imap_rc_name(rc), rc);
	else
		g_set_error(error, IMAP_ERROR, status, "%s", what);
	return status;
}

/* imap_text_ok - libetpan sends quoted strings with CR, LF and NUL raw: refuse them. */
static gboolean
imap_text_ok(const char *text)
{
	return text != NULL && *text != '\0' && strlen(text) <= IMAP_TEXT_MAX &&
	       strpbrk(text, "\r\n") == NULL;
}

static gboolean
imap_host_is_address(const char *host)
{
	unsigned char buffer[sizeof(struct in6_addr)];

	return inet_pton(AF_INET, host, buffer) == 1 || inet_pton(AF_INET6, host, buffer) == 1;
}

/* imap_tls_callback - send SNI, which the plain libetpan connect does not (never for an IP). */
static void
imap_tls_callback(struct mailstream_ssl_context *context, void *data)
{
	const char *host = data;

	if (!imap_host_is_address(host))
		mailstream_ssl_set_server_name(context, (char *)host);
}

/* imap_verify_chain - the chain against the trust list, for the host name; a reason on failure. */
static char *
imap_verify_chain(const imap_source_config *source, gnutls_x509_crt_t *certs, unsigned count)
{
	gnutls_x509_trust_list_t trust = NULL;
	gnutls_typed_vdata_st checks[] = {
		{ GNUTLS_DT_DNS_HOSTNAME, (unsigned char *)source->host, 0 },
		{ GNUTLS_DT_KEY_PURPOSE_OID, (unsigned char *)GNUTLS_KP_TLS_WWW_SERVER, 0 },
	};
	unsigned int status = 0;
	char *reason = NULL;
	int rc;

	if ((rc = gnutls_x509_trust_list_init(&trust, 0)) < 0)
		return g_strdup(gnutls_strerror(rc));
	if (source->ca_file != NULL)
		rc = gnutls_x509_trust_list_add_trust_file(trust, source->ca_file, NULL, GNUTLS_X509_FMT_PEM, 0, 0);
	else
		rc = gnutls_x509_trust_list_add_system_trust(trust, 0, 0);
	if (rc <= 0) {
		reason = g_strdup_printf("no trusted CA loaded from %s%s%s", source->ca_file ? source->ca_file : "the system store",
		                         rc < 0 ? ": " : "", rc < 0 ? gnutls_strerror(rc) : "");
	} else if ((rc = gnutls_x509_trust_list_verify_crt2(trust, certs, count, checks, G_N_ELEMENTS(checks),
	                                                     0, &status, NULL)) < 0) {
		reason = g_strdup(gnutls_strerror(rc));
	} else if (status != 0) {
		gnutls_datum_t text = { NULL, 0 };

		if (gnutls_certificate_verification_status_print(status, GNUTLS_CRT_X509, &text, 0) == 0) {
			reason = g_strstrip(g_strdup((const char *)text.data));
			gnutls_free(text.data);
		} else {
			reason = g_strdup_printf("verification status 0x%x", status);
		}
	}
	gnutls_x509_trust_list_deinit(trust, 1);
	return reason;
}

/* imap_verify_peer - chain and host name, after the handshake and before any credential. */
static failure_class
imap_verify_peer(imap_conn *conn, GError **error)
{
	carray *chain = mailstream_get_certificate_chain(conn->session->imap_stream);
	unsigned count = chain != NULL ? carray_count(chain) : 0;
	gnutls_x509_crt_t *certs = g_new0(gnutls_x509_crt_t, count ? count : 1);
	g_autofree char *reason = NULL;

	for (unsigned i = 0; i < count && reason == NULL; i++) {
		MMAPString *der = carray_get(chain, i);
		gnutls_datum_t datum = { (unsigned char *)der->str, (unsigned int)der->len };
		int rc = gnutls_x509_crt_init(&certs[i]);

		if (rc >= 0)
			rc = gnutls_x509_crt_import(certs[i], &datum, GNUTLS_X509_FMT_DER);
		if (rc < 0)
			reason = g_strdup_printf("certificate %u: %s", i, gnutls_strerror(rc));
	}
	if (count == 0)
		reason = g_strdup("the server sent no certificate");
	if (reason == NULL)
		reason = imap_verify_chain(conn->source, certs, count);
	for (unsigned i = 0; i < count; i++)
		if (certs[i] != NULL)
			gnutls_x509_crt_deinit(certs[i]);
	g_free(certs);
	if (chain != NULL)
		mailstream_certificate_chain_free(chain);
	if (reason != NULL) {
		g_autofree char *clean = log_printable(reason, 300);

		return imap_fail(conn, error, FAILURE_PERMANENT, -1,
		                 "%s: certificate refused, nothing sent: %s", conn->source->host, clean);
	}
	return FAILURE_OK;
}

/* imap_refresh_capabilities - ask again: what came before TLS must not be trusted. */
static failure_class
imap_refresh_capabilities(imap_conn *conn, GError **error)
{
	struct mailimap_capability_data *capabilities = NULL;
	int rc = mailimap_capability(conn->session, &capabilities);

	if (rc != MAILIMAP_NO_ERROR)
		return imap_fail(conn, error, FAILURE_TEMPORARY, rc, "CAPABILITY failed");
	mailimap_capability_data_free(capabilities);
	return FAILURE_OK;
}

/* imap_open_tls - TCP and TLS (implicit or STARTTLS), certificate verified; or loopback plaintext. */
static failure_class
imap_open_tls(imap_conn *conn, GError **error)
{
	const imap_source_config *source = conn->source;
	mailimap *session = conn->session;
	int rc;

	if (source->tls == IMAP_TLS_IMPLICIT) {
		rc = mailimap_ssl_connect_with_callback(session, source->host, (uint16_t)source->port,
		                                        imap_tls_callback, source->host);
		if (rc != MAILIMAP_NO_ERROR_AUTHENTICATED && rc != MAILIMAP_NO_ERROR_NON_AUTHENTICATED)
			return imap_fail(conn, error, FAILURE_TEMPORARY, rc, "TLS connection to %s port %d failed",
			                 source->host, source->port);
		return imap_verify_peer(conn, error);
	}
	rc = mailimap_socket_connect(session, source->host, (uint16_t)source->port);
	if (rc != MAILIMAP_NO_ERROR_AUTHENTICATED && rc != MAILIMAP_NO_ERROR_NON_AUTHENTICATED)
		return imap_fail(conn, error, FAILURE_TEMPORARY, rc, "connection to %s port %d failed",
		                 source->host, source->port);
	if (source->tls == IMAP_TLS_NONE)
		return FAILURE_OK;
	if (imap_refresh_capabilities(conn, error) != FAILURE_OK)
		return FAILURE_TEMPORARY;
	if (!mailimap_has_extension(session, "STARTTLS"))
		return imap_fail(conn, error, FAILURE_PERMANENT, -1,
		                 "%s offers no STARTTLS and imap:// requires it; nothing sent", source->host);
	/* An error here includes bytes injected after "OK Begin TLS" (CVE-2020-15953): drop. */
	rc = mailimap_socket_starttls_with_callback(session, imap_tls_callback, source->host);
	if (rc != MAILIMAP_NO_ERROR)
		return imap_fail(conn, error, FAILURE_TEMPORARY, rc, "STARTTLS with %s failed", source->host);
	return imap_verify_peer(conn, error);
}

/*
 * imap_check_after - the after action must be possible before anything is fetched:
 * deleting or moving one message alone needs UID EXPUNGE (UIDPLUS) or MOVE, since a
 * plain EXPUNGE would also remove what other clients marked \Deleted.
 */
static failure_class
imap_check_after(imap_conn *conn, GError **error)
{
	gboolean uidplus = mailimap_has_uidplus(conn->session);

	if (conn->source->after == IMAP_AFTER_DELETE && !uidplus)
		return imap_fail(conn, error, FAILURE_PERMANENT, -1,
		                 "%s has no UIDPLUS: after = delete could expunge other clients' mail; use seen",
		                 conn->source->host);
	if (conn->source->after == IMAP_AFTER_MOVE && !uidplus && !mailimap_has_extension(conn->session, "MOVE"))
		return imap_fail(conn, error, FAILURE_PERMANENT, -1,
		                 "%s has neither MOVE nor UIDPLUS: after = move is not possible; use seen",
		                 conn->source->host);
	return FAILURE_OK;
}

/* imap_login - LOGIN unless refused, then SELECT; remembers UIDVALIDITY. */
static failure_class
imap_login(imap_conn *conn, GError **error)
{
	const imap_source_config *source = conn->source;
	struct mailimap_selection_info *selection;
	int rc;

	if (imap_refresh_capabilities(conn, error) != FAILURE_OK)
		return FAILURE_TEMPORARY;
	if (mailimap_has_extension(conn->session, "LOGINDISABLED"))
		return imap_fail(conn, error, FAILURE_PERMANENT, -1, "%s refuses LOGIN (LOGINDISABLED)", source->host);
	if (!imap_text_ok(source->user) || !imap_text_ok(source->password) || !imap_text_ok(source->mailbox))
		return imap_fail(conn, error, FAILURE_PERMANENT, -1, "user, password or mailbox has a line break");
	rc = mailimap_login(conn->session, source->user, source->password);
	if (rc == MAILIMAP_ERROR_LOGIN)
		return imap_fail(conn, error, FAILURE_PERMANENT, rc, "login as %s refused", source->user);
	if (rc != MAILIMAP_NO_ERROR)
		return imap_fail(conn, error, FAILURE_TEMPORARY, rc, "LOGIN failed");
	/* The OK [CAPABILITY ...] of LOGIN updated the cache; ask when it did not. */
	if (conn->session->imap_connection_info == NULL ||
	    conn->session->imap_connection_info->imap_capability == NULL)
		if (imap_refresh_capabilities(conn, error) != FAILURE_OK)
			return FAILURE_TEMPORARY;
	rc = mailimap_select(conn->session, source->mailbox);
	if (rc == MAILIMAP_ERROR_SELECT)
		return imap_fail(conn, error, FAILURE_PERMANENT, rc, "mailbox %s cannot be selected", source->mailbox);
	if (rc != MAILIMAP_NO_ERROR)
		return imap_fail(conn, error, FAILURE_TEMPORARY, rc, "SELECT %s failed", source->mailbox);
	selection = conn->session->imap_selection_info;
	if (selection == NULL || selection->sel_uidvalidity == 0)
		return imap_fail(conn, error, FAILURE_PERMANENT, -1,
		                 "%s sent no UIDVALIDITY for %s; UIDs cannot be trusted", source->host, source->mailbox);
	conn->uidvalidity = selection->sel_uidvalidity;
	return imap_check_after(conn, error);
}

/* imap_connect - a session logged in, with the mailbox selected. */
static failure_class
imap_connect(imap_conn *conn, GError **error)
{
	failure_class status;

	conn->session = mailimap_new(0, NULL);
	mailimap_set_timeout(conn->session, conn->source->timeout);
	conn->idle_ready = FALSE;
	if ((status = imap_open_tls(conn, error)) != FAILURE_OK)
		return status;
	return imap_login(conn, error);
}

/* imap_disconnect - LOGOUT when still possible, and free everything. */
static void
imap_disconnect(imap_conn *conn)
{
	if (conn->session == NULL)
		return;
	if (conn->idle_ready && conn->session->imap_stream != NULL)
		mailstream_unsetup_idle(conn->session->imap_stream);
	conn->idle_ready = FALSE;
	if (conn->session->imap_stream != NULL)
		mailimap_logout(conn->session);
	mailimap_free(conn->session);
	conn->session = NULL;
}

static gint
imap_uid_compare(gconstpointer a, gconstpointer b)
{
	uint32_t x = *(const uint32_t *)a;
	uint32_t y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* imap_search_new - UIDs above last, ascending; "last+1:*" also matches the last message. */
static failure_class
imap_search_new(imap_conn *conn, uint32_t last, GArray **uids, GError **error)
{
	struct mailimap_set *set = mailimap_set_new_interval(last + 1, 0);
	struct mailimap_search_key *key = mailimap_search_key_new_uid(set);
	clist *result = NULL;
	int rc = mailimap_uid_search(conn->session, NULL, key, &result);

	mailimap_search_key_free(key);
	if (rc != MAILIMAP_NO_ERROR)
		return imap_fail(conn, error, FAILURE_TEMPORARY, rc, "UID SEARCH failed");
	*uids = g_array_new(FALSE, FALSE, sizeof(uint32_t));
	for (clistiter *cur = clist_begin(result); cur != NULL; cur = clist_next(cur)) {
		uint32_t *uid = clist_content(cur);

		if (uid != NULL && *uid > last)
			g_array_append_val(*uids, *uid);
	}
	mailimap_search_result_free(result);
	g_array_sort(*uids, imap_uid_compare);
	return FAILURE_OK;
}

/* imap_static_item - the static attribute of a type in a FETCH answer about uid, or NULL. */
static struct mailimap_msg_att_static *
imap_static_item(clist *result, uint32_t uid, int type)
{
	for (clistiter *m = clist_begin(result); m != NULL; m = clist_next(m)) {
		struct mailimap_msg_att *message = clist_content(m);
		struct mailimap_msg_att_static *found = NULL;
		uint32_t message_uid = 0;

		for (clistiter *i = clist_begin(message->att_list); i != NULL; i = clist_next(i)) {
			struct mailimap_msg_att_item *item = clist_content(i);

			if (item->att_type != MAILIMAP_MSG_ATT_ITEM_STATIC || item->att_data.att_static == NULL)
				continue;
			if (item->att_data.att_static->att_type == MAILIMAP_MSG_ATT_UID)
				message_uid = item->att_data.att_static->att_data.att_uid;
			else if (item->att_data.att_static->att_type == type)
				found = item->att_data.att_static;
		}
		/* Unsolicited FETCH (flag changes by others) lands here too: match by UID. */
		if (message_uid == uid && found != NULL)
			return found;
	}
	return NULL;
}

/* imap_uid_fetch - UID FETCH of one UID with the given attributes (UID is always added). */
static int
imap_uid_fetch(imap_conn *conn, uint32_t uid, struct mailimap_fetch_att *att, clist **result)
{
	struct mailimap_set *set = mailimap_set_new_single(uid);
	struct mailimap_fetch_type *type = mailimap_fetch_type_new_fetch_att_list_empty();
	int rc;

	mailimap_fetch_type_new_fetch_att_list_add(type, mailimap_fetch_att_new_uid());
	mailimap_fetch_type_new_fetch_att_list_add(type, att);
	rc = mailimap_uid_fetch(conn->session, set, type, result);
	mailimap_fetch_type_free(type);
	mailimap_set_free(set);
	return rc;
}

/* imap_fetch_size - RFC822.SIZE of one UID; *found FALSE when it is gone. */
static failure_class
imap_fetch_size(imap_conn *conn, uint32_t uid, uint32_t *size, gboolean *found, GError **error)
{
	clist *result = NULL;
	struct mailimap_msg_att_static *item;
	int rc = imap_uid_fetch(conn, uid, mailimap_fetch_att_new_rfc822_size(), &result);

	if (rc != MAILIMAP_NO_ERROR)
		return imap_fail(conn, error, FAILURE_TEMPORARY, rc, "UID FETCH %u RFC822.SIZE failed", uid);
	item = imap_static_item(result, uid, MAILIMAP_MSG_ATT_RFC822_SIZE);
	*found = item != NULL;
	*size = item != NULL ? item->att_data.att_rfc822_size : 0;
	mailimap_fetch_list_free(result);
	return FAILURE_OK;
}

/* imap_body_chunk - the body arrives here piece by piece; past the limit the read stops. */
static bool
imap_body_chunk(int type, struct mailimap_msg_att_body_section *section, const char *bytes,
                size_t length, void *data)
{
	imap_conn *conn = data;

	if (inbound_too_big(conn->config, conn->body->len + length)) {
		conn->body_overflow = TRUE;
		return false;
	}
	g_byte_array_append(conn->body, (const guint8 *)bytes, (guint)length);
	return true;
}

/*
 * imap_fetch_body - UID FETCH uid BODY.PEEK[], streamed into conn->body and never past
 * the size limit. *found FALSE when the message is gone. An oversized literal leaves the
 * connection unusable: the caller must reconnect.
 */
static failure_class
imap_fetch_body(imap_conn *conn, uint32_t uid, gboolean *found, GError **error)
{
	clist *result = NULL;
	struct mailimap_msg_att_static *item;
	int rc;

	conn->body = g_byte_array_new();
	conn->body_overflow = FALSE;
	mailimap_set_msg_body_handler(conn->session, imap_body_chunk, conn);
	rc = imap_uid_fetch(conn, uid, mailimap_fetch_att_new_body_peek_section(mailimap_section_new(NULL)),
	                    &result);
	mailimap_set_msg_body_handler(conn->session, NULL, NULL);
	if (conn->body_overflow) {
		if (rc == MAILIMAP_NO_ERROR)
			mailimap_fetch_list_free(result);
		return imap_fail(conn, error, FAILURE_TEMPORARY, -1,
		                 "UID %u: the server sent more than max_message_size %zu bytes", uid,
		                 conn->config->max_message_size);
	}
	if (rc != MAILIMAP_NO_ERROR)
		return imap_fail(conn, error, FAILURE_TEMPORARY, rc, "UID FETCH %u BODY.PEEK[] failed", uid);
	item = imap_static_item(result, uid, MAILIMAP_MSG_ATT_BODY_SECTION);
	*found = item != NULL;
	/* Without the handler (or if libetpan kept it anyway) the bytes are in the item. */
	if (item != NULL && conn->body->len == 0 && item->att_data.att_body_section != NULL &&
	    item->att_data.att_body_section->sec_body_part != NULL) {
		struct mailimap_msg_att_body_section *section = item->att_data.att_body_section;

		if (inbound_too_big(conn->config, section->sec_length))
			conn->body_overflow = TRUE;
		else
			g_byte_array_append(conn->body, (const guint8 *)section->sec_body_part,
			                    (guint)section->sec_length);
	}
	mailimap_fetch_list_free(result);
	if (conn->body_overflow)
		return imap_fail(conn, error, FAILURE_TEMPORARY, -1,
		                 "UID %u: the server sent more than max_message_size", uid);
	return FAILURE_OK;
}

/* imap_store_flag - UID STORE uid +FLAGS.SILENT (flag). */
static int
imap_store_flag(imap_conn *conn, uint32_t uid, struct mailimap_flag *flag)
{
	struct mailimap_set *set = mailimap_set_new_single(uid);
	struct mailimap_flag_list *flags = mailimap_flag_list_new_empty();
	struct mailimap_store_att_flags *change;
	int rc;

	mailimap_flag_list_add(flags, flag);
	change = mailimap_store_att_flags_new_add_flags_silent(flags);
	rc = mailimap_uid_store(conn->session, set, change);
	mailimap_store_att_flags_free(change);
	mailimap_set_free(set);
	return rc;
}

/* imap_delete - \Deleted, then UID EXPUNGE of this UID only: never a plain EXPUNGE. */
static failure_class
imap_delete(imap_conn *conn, uint32_t uid, GError **error)
{
	struct mailimap_set *set;
	int rc;

	if ((rc = imap_store_flag(conn, uid, mailimap_flag_new_deleted())) != MAILIMAP_NO_ERROR)
		return imap_fail(conn, error, FAILURE_TEMPORARY, rc, "UID STORE %u +FLAGS (\\Deleted) failed", uid);
	set = mailimap_set_new_single(uid);
	rc = mailimap_uid_expunge(conn->session, set);
	mailimap_set_free(set);
	if (rc != MAILIMAP_NO_ERROR)
		return imap_fail(conn, error, FAILURE_TEMPORARY, rc, "UID EXPUNGE %u failed", uid);
	return FAILURE_OK;
}

/* imap_move_once - UID MOVE when offered, else UID COPY and delete. */
static int
imap_move_once(imap_conn *conn, uint32_t uid, gboolean *copied)
{
	struct mailimap_set *set = mailimap_set_new_single(uid);
	int rc;

	*copied = FALSE;
	if (mailimap_has_extension(conn->session, "MOVE")) {
		rc = mailimap_uid_move(conn->session, set, conn->source->after_folder);
	} else {
		rc = mailimap_uid_copy(conn->session, set, conn->source->after_folder);
		*copied = rc == MAILIMAP_NO_ERROR;
	}
	mailimap_set_free(set);
	return rc;
}

/* imap_move - to the after folder, creating it the first time it is missing. */
static failure_class
imap_move(imap_conn *conn, uint32_t uid, GError **error)
{
	const char *folder = conn->source->after_folder;
	gboolean copied;
	int rc;

	rc = imap_move_once(conn, uid, &copied);
	if (rc == MAILIMAP_ERROR_UID_MOVE || rc == MAILIMAP_ERROR_UID_COPY) {
		/* Most likely [TRYCREATE]; a CREATE of an existing folder fails harmlessly. */
		if (mailimap_create(conn->session, folder) == MAILIMAP_NO_ERROR)
			log_info("imap %s: created folder %s", conn->source->name, folder);
		rc = imap_move_once(conn, uid, &copied);
	}
	if (rc != MAILIMAP_NO_ERROR)
		return imap_fail(conn, error, FAILURE_TEMPORARY, rc, "moving UID %u to %s failed", uid, folder);
	return copied ? imap_delete(conn, uid, error) : FAILURE_OK;
}

/* imap_after - what the configuration says to do with a message once it is committed. */
static failure_class
imap_after(imap_conn *conn, uint32_t uid, GError **error)
{
	int rc;

	switch (conn->source->after) {
	case IMAP_AFTER_SEEN:
		if ((rc = imap_store_flag(conn, uid, mailimap_flag_new_seen())) != MAILIMAP_NO_ERROR)
			return imap_fail(conn, error, FAILURE_TEMPORARY, rc, "UID STORE %u +FLAGS (\\Seen) failed", uid);
		return FAILURE_OK;
	case IMAP_AFTER_MOVE:
		return imap_move(conn, uid, error);
	case IMAP_AFTER_DELETE:
		return imap_delete(conn, uid, error);
	}
	log_panic("imap %s: unknown after action %d", conn->source->name, conn->source->after);
}

static const char *
imap_after_name(const imap_source_config *source)
{
	switch (source->after) {
	case IMAP_AFTER_SEEN: return "marked \\Seen";
	case IMAP_AFTER_MOVE: return "moved";
	case IMAP_AFTER_DELETE: return "deleted";
	}
	return "?";
}

/* imap_advance - the last UID done: the next pass starts after it. */
static failure_class
imap_advance(imap_conn *conn, uint32_t uid, GError **error)
{
	g_autoptr(GError) store_error = NULL;

	if (!store_imap_state_set(conn->db, conn->source->name, conn->uidvalidity, uid, &store_error))
		return imap_fail(conn, error, FAILURE_TEMPORARY, -1, "recording UID %u: %s", uid, store_error->message);
	return FAILURE_OK;
}

/* imap_ingest - hand the fetched bytes to ingest; flag or move only after its commit. */
static failure_class
imap_ingest(imap_conn *conn, uint32_t uid, imap_pass_counts *counts, GError **error)
{
	const department_config *department = config_department_by_slug(conn->config, conn->source->department);
	g_autoptr(inbound) mail = inbound_new_within("imap", (const char *)conn->body->data, conn->body->len, NULL,
	                                             conn->config->parse_timeout);
	ingest_result result = { 0 };
	failure_class status = FAILURE_OK;

	ingest_message(conn->config, conn->db, mail, department->address, &result);
	switch (failure_imap_action_for(result.failure)) {
	case FAILURE_IMAP_DONE:
		if ((status = imap_after(conn, uid, error)) == FAILURE_OK) {
			log_info("imap %s: UID %u of %s: %s%s%s, %s", conn->source->name, uid, conn->source->mailbox,
			         ingest_action_name(result.decision.action), result.decision.ticket ? " " : "",
			         result.decision.ticket ? result.decision.ticket : "", imap_after_name(conn->source));
			counts->ingested++;
		}
		break;
	case FAILURE_IMAP_RETRY: {
		g_autofree char *why = log_printable(result.error ? result.error : "ingest failed", 300);

		status = imap_fail(conn, error, FAILURE_TEMPORARY, -1, "UID %u deferred: %s", uid, why);
		break;
	}
	case FAILURE_IMAP_LEAVE: {
		/* A retry cannot help: leave it for a person, unflagged, and go on. */
		g_autofree char *why = log_printable(result.error ? result.error :
		                                     result.decision.reason ? result.decision.reason : "?", 300);

		log_warning("imap %s: UID %u of %s refused (%s): left in the mailbox", conn->source->name, uid,
		            conn->source->mailbox, why);
		counts->left++;
		break;
	}
	}
	ingest_result_clear(&result);
	return status;
}

/* imap_take - one UID: size check, fetch, ingest, after-action, advance. */
static failure_class
imap_take(imap_conn *conn, uint32_t uid, imap_pass_counts *counts, GError **error)
{
	failure_class status;
	uint32_t size = 0;
	gboolean found = FALSE;

	if ((status = imap_fetch_size(conn, uid, &size, &found, error)) != FAILURE_OK)
		return status;
	if (found && inbound_too_big(conn->config, size)) {
		log_warning("imap %s: UID %u of %s is %u bytes, over max_message_size %zu: left in the mailbox",
		            conn->source->name, uid, conn->source->mailbox, size, conn->config->max_message_size);
		counts->left++;
		return imap_advance(conn, uid, error);
	}
	if (found) {
		status = imap_fetch_body(conn, uid, &found, error);
		if (status == FAILURE_OK && found)
			status = imap_ingest(conn, uid, counts, error);
		g_clear_pointer(&conn->body, g_byte_array_unref);
		if (status != FAILURE_OK && conn->body_overflow) {
			/* The server's RFC822.SIZE was wrong: skip it for good, but the read was cut. */
			log_warning("imap %s: UID %u of %s is over max_message_size %zu: left in the mailbox",
			            conn->source->name, uid, conn->source->mailbox, conn->config->max_message_size);
			counts->left++;
			if (imap_advance(conn, uid, NULL) != FAILURE_OK)
				log_warning("imap %s: UID %u will be read again", conn->source->name, uid);
		}
		if (status != FAILURE_OK)
			return status;
	}
	/* Gone (expunged by someone else meanwhile) or done. */
	return imap_advance(conn, uid, error);
}

/* imap_pass - everything above the last UID done, in UID order; stops at the first deferral. */
static failure_class
imap_pass(imap_conn *conn, imap_pass_counts *counts, GError **error)
{
	g_autoptr(GError) store_error = NULL;
	g_autoptr(GArray) uids = NULL;
	uint32_t known_validity = 0;
	uint32_t last = 0;
	failure_class status;

	if (!store_imap_state_get(conn->db, conn->source->name, &known_validity, &last, &store_error)) {
		if (store_error != NULL)
			return imap_fail(conn, error, FAILURE_TEMPORARY, -1, "%s", store_error->message);
		known_validity = 0;
	}
	if (known_validity != conn->uidvalidity) {
		if (known_validity != 0)
			log_warning("imap %s: UIDVALIDITY of %s changed from %u to %u: reading the whole mailbox again;"
			            " mail already ingested is recognised by its Message-ID", conn->source->name,
			            conn->source->mailbox, known_validity, conn->uidvalidity);
		last = 0;
		if ((status = imap_advance(conn, 0, error)) != FAILURE_OK)
			return status;
	}
	if ((status = imap_search_new(conn, last, &uids, error)) != FAILURE_OK)
		return status;
	for (guint i = 0; i < uids->len && !imap_stopping(conn); i++)
		if ((status = imap_take(conn, g_array_index(uids, uint32_t, i), counts, error)) != FAILURE_OK)
			return status;
	return FAILURE_OK;
}

failure
imap_fetch_once(const imap_source_config *source, const ticketd_config *config, store *db,
                imap_pass_counts *counts, GError **error)
{
	imap_conn conn = { .source = source, .config = config, .db = db };
	failure_class status;

	memset(counts, 0, sizeof *counts);
	if ((status = imap_connect(&conn, error)) == FAILURE_OK)
		status = imap_pass(&conn, counts, error);
	imap_disconnect(&conn);
	/* What a retry alone cannot fix here is the certificate, the login or the mailbox. */
	return status == FAILURE_PERMANENT ? failure_permanent(FAILURE_SETUP)
	       : (failure){ status, FAILURE_MESSAGE };
}

/* ---- The worker: IDLE or poll, reconnect with backoff ---- */

/* imap_report - log a state once, not on every retry: only when it differs from the last. */
static void
imap_report(char **last_state, gboolean warning, const char *state)
{
	if (*last_state != NULL && strcmp(*last_state, state) == 0)
		return;
	if (warning)
		log_warning("%s", state);
	else
		log_info("%s", state);
	g_free(*last_state);
	*last_state = g_strdup(state);
}

/* imap_sleep - up to seconds, a second at a time, so a stop request is seen quickly. */
static void
imap_sleep(volatile gboolean *stop, int seconds)
{
	for (int i = 0; i < seconds && !g_atomic_int_get(stop); i++)
		sleep(1);
}

/*
 * imap_idle - IDLE until the server has news, idle_interval passes or a stop request; then
 * DONE. Data libetpan already buffered (EXISTS in the same segment as "+ idling") counts
 * as news: mailstream_wait_idle only watches the socket.
 */
static failure_class
imap_idle(imap_conn *conn, GError **error)
{
	mailstream *stream = conn->session->imap_stream;
	time_t started = time(NULL);
	int rc;

	if (!conn->idle_ready) {
		if (mailstream_setup_idle(stream) < 0)
			return imap_fail(conn, error, FAILURE_TEMPORARY, -1, "IDLE setup failed");
		conn->idle_ready = TRUE;
	}
	if ((rc = mailimap_idle(conn->session)) != MAILIMAP_NO_ERROR)
		return imap_fail(conn, error, FAILURE_TEMPORARY, rc, "IDLE failed");
	while (!imap_stopping(conn) && time(NULL) - started < conn->source->idle_interval) {
		if (stream->read_buffer_len > 0)
			break;
		rc = mailstream_wait_idle(stream, 1);
		if (rc == MAILSTREAM_IDLE_HASDATA || rc == MAILSTREAM_IDLE_INTERRUPTED)
			break;
		if (rc == MAILSTREAM_IDLE_ERROR || rc == MAILSTREAM_IDLE_CANCELLED) {
			mailimap_idle_done(conn->session);
			return imap_fail(conn, error, FAILURE_TEMPORARY, -1, "connection lost while idling");
		}
	}
	if ((rc = mailimap_idle_done(conn->session)) != MAILIMAP_NO_ERROR)
		return imap_fail(conn, error, FAILURE_TEMPORARY, rc, "ending IDLE failed");
	return FAILURE_OK;
}

/* imap_session - one connection's life: catch up, then IDLE or poll and catch up again. */
static failure_class
imap_session(imap_conn *conn, char **last_state, gboolean *connected, GError **error)
{
	imap_pass_counts counts = { 0 };
	failure_class status;
	g_autofree char *state = NULL;

	*connected = FALSE;
	if ((status = imap_connect(conn, error)) != FAILURE_OK)
		return status;
	*connected = TRUE;
	state = g_strdup_printf("imap %s: connected to %s, %s selected, %s", conn->source->name,
	                        conn->source->host, conn->source->mailbox,
	                        mailimap_has_idle(conn->session) ? "waiting with IDLE" :
	                        "no IDLE: polling");
	imap_report(last_state, FALSE, state);
	while (!imap_stopping(conn)) {
		if ((status = imap_pass(conn, &counts, error)) != FAILURE_OK)
			return status;
		if (imap_stopping(conn))
			break;
		if (mailimap_has_idle(conn->session)) {
			if ((status = imap_idle(conn, error)) != FAILURE_OK)
				return status;
		} else {
			int rc;

			imap_sleep(conn->stop, conn->source->poll_interval);
			/* NOOP keeps the session and lets the server report new mail. */
			if (!imap_stopping(conn) && (rc = mailimap_noop(conn->session)) != MAILIMAP_NO_ERROR)
				return imap_fail(conn, error, FAILURE_TEMPORARY, rc, "NOOP failed");
		}
	}
	return FAILURE_OK;
}

void
imap_run(const imap_source_config *source, const ticketd_config *config, volatile gboolean *stop)
{
	imap_conn conn = { .source = source, .config = config, .stop = stop };
	g_autofree char *last_state = NULL;
	int backoff = IMAP_BACKOFF_FIRST;

	while (!g_atomic_int_get(stop)) {
		g_autoptr(GError) error = NULL;
		gboolean connected = FALSE;
		failure_class status;

		if (conn.db == NULL && (conn.db = store_open(config->database, &error)) == NULL) {
			status = FAILURE_TEMPORARY;
		} else {
			status = imap_session(&conn, &last_state, &connected, &error);
			imap_disconnect(&conn);
		}
		if (g_atomic_int_get(stop))
			break;
		if (error != NULL) {
			g_autofree char *state = g_strdup_printf("imap %s: %s; trying again%s", source->name,
			                                          error->message, status == FAILURE_PERMANENT ?
			                                          " until the configuration or server is fixed" :
			                                          " with backoff");

			imap_report(&last_state, TRUE, state);
		}
		if (connected)
			backoff = IMAP_BACKOFF_FIRST;
		imap_sleep(stop, backoff);
		backoff = MIN(backoff * 2, IMAP_BACKOFF_MAX);
	}
	imap_disconnect(&conn);
	g_clear_pointer(&conn.db, store_close);
	log_info("imap %s: stopped", source->name);
}
