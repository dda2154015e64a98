/*
 * smtp - one libcurl easy handle that sends one mail to one recipient at a time and
 * keeps its connection for the next. Addresses are validated before curl sees them (curl
 * 7.88 passes CR and LF through), and the outcome is read from the SMTP reply code.
 */
#include <curl/curl.h>
#include <string.h>

#include "address.h"
#include "compose.h"
#include "log.h"
#include "smtp.h"

struct smtp_client {
	CURL *curl;
	char *url;
	long last_reply;            /* SMTP code of the last send, 0 = no server answered */
	CURLcode last_result;
	char error[CURL_ERROR_SIZE];
};

typedef struct {
	const guint8 *data;
	gsize length;
	gsize sent;
} smtp_upload;

/* smtp_read - curl's read callback over the composed bytes (already CRLF, not dot-stuffed). */
static size_t
smtp_read(char *buffer, size_t size, size_t count, void *data)
{
	smtp_upload *upload = data;
	gsize n = MIN(size * count, upload->length - upload->sent);

	memcpy(buffer, upload->data + upload->sent, n);
	upload->sent += n;
	return n;
}

/*
 * smtp_url - the configured URL with our domain as its path: curl sends the path as the
 * EHLO name, and gethostname() otherwise. A path the postmaster wrote is kept.
 */
static char *
smtp_url(const ticketd_config *config)
{
	const char *url = config->smtp.url;
	const char *host = strstr(url, "://");
	const char *path = host ? strchr(host + 3, '/') : NULL;

	if (path != NULL && path[1] != '\0')
		return g_strdup(url);
	return g_strdup_printf("%.*s/%s", path ? (int)(path - url) : (int)strlen(url), url, config->domain);
}

/* smtp_client_new - one handle, so successive sends reuse the connection. */
smtp_client *
smtp_client_new(const ticketd_config *config)
{
	smtp_client *client = g_new0(smtp_client, 1);
	const smtp_config *smtp = &config->smtp;
	long timeout = smtp->timeout > 0 ? smtp->timeout : CONFIG_DEFAULT_SMTP_TIMEOUT;

	if ((client->curl = curl_easy_init()) == NULL)
		log_fatal("smtp: curl_easy_init failed (out of memory?)");
	client->url = smtp_url(config);
	curl_easy_setopt(client->curl, CURLOPT_URL, client->url);
	curl_easy_setopt(client->curl, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
	curl_easy_setopt(client->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(client->curl, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(client->curl, CURLOPT_READFUNCTION, smtp_read);
	curl_easy_setopt(client->curl, CURLOPT_ERRORBUFFER, client->error);
	curl_easy_setopt(client->curl, CURLOPT_CONNECTTIMEOUT, MIN(timeout, 30L));
	curl_easy_setopt(client->curl, CURLOPT_SERVER_RESPONSE_TIMEOUT, timeout);
	curl_easy_setopt(client->curl, CURLOPT_TIMEOUT, timeout * SMTP_TRANSFER_TIMEOUTS);
	/* A server that stops reading must not hold the sender until the whole timeout. */
	curl_easy_setopt(client->curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(client->curl, CURLOPT_LOW_SPEED_TIME, timeout);
	curl_easy_setopt(client->curl, CURLOPT_TCP_KEEPALIVE, 1L);
	/* Required means required: CURLUSESSL_TRY would let a man in the middle strip it. */
	if (smtp->starttls_required)
		curl_easy_setopt(client->curl, CURLOPT_USE_SSL, (long)CURLUSESSL_ALL);
	if (smtp->user != NULL) {
		curl_easy_setopt(client->curl, CURLOPT_USERNAME, smtp->user);
		curl_easy_setopt(client->curl, CURLOPT_PASSWORD, smtp->password ? smtp->password : "");
		curl_easy_setopt(client->curl, CURLOPT_SASL_IR, 1L);
	}
	return client;
}

void
smtp_client_free(smtp_client *client)
{
	if (client == NULL)
		return;
	curl_easy_cleanup(client->curl);
	g_free(client->url);
	g_free(client);
}

/* smtp_classify - 5xx is final; 4xx, no reply, TLS and login trouble may pass. */
static failure_class
smtp_classify(CURLcode result, long code)
{
	if (result == CURLE_OK)
		return FAILURE_OK;
	return code >= 500 && code <= 599 ? FAILURE_PERMANENT : FAILURE_TEMPORARY;
}

failure_class
smtp_send(smtp_client *client, const char *envelope_from, const char *recipient, GBytes *mail, char **error)
{
	struct curl_slist *recipients = NULL;
	smtp_upload upload = { 0 };
	g_autofree char *from = NULL;
	failure_class outcome;

	*error = NULL;
	client->last_reply = 0;
	client->last_result = CURLE_OK;
	if (!address_valid(recipient) || (*envelope_from != '\0' && !address_valid(envelope_from))) {
		*error = g_strdup("invalid envelope address");
		return FAILURE_PERMANENT;
	}
	upload.data = g_bytes_get_data(mail, &upload.length);
	from = g_strdup_printf("<%s>", envelope_from);
	recipients = curl_slist_append(NULL, recipient);   /* curl keeps the pointer: free after */
	client->error[0] = '\0';
	curl_easy_setopt(client->curl, CURLOPT_MAIL_FROM, from);
	curl_easy_setopt(client->curl, CURLOPT_MAIL_RCPT, recipients);
	curl_easy_setopt(client->curl, CURLOPT_READDATA, &upload);
	curl_easy_setopt(client->curl, CURLOPT_INFILESIZE_LARGE, (curl_off_t)upload.length);
	client->last_result = curl_easy_perform(client->curl);
	curl_easy_getinfo(client->curl, CURLINFO_RESPONSE_CODE, &client->last_reply);
	curl_easy_setopt(client->curl, CURLOPT_MAIL_RCPT, NULL);
	curl_easy_setopt(client->curl, CURLOPT_READDATA, NULL);
	curl_slist_free_all(recipients);
	outcome = smtp_classify(client->last_result, client->last_reply);
	if (outcome != FAILURE_OK)
		*error = g_strdup_printf("%s (reply %ld)", client->error[0] ? client->error
		                         : curl_easy_strerror(client->last_result), client->last_reply);
	return outcome;
}

long
smtp_last_reply(const smtp_client *client)
{
	return client->last_reply;
}

gboolean
smtp_needs_operator(const smtp_client *client)
{
	switch (client->last_result) {
	case CURLE_LOGIN_DENIED:
	case CURLE_USE_SSL_FAILED:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_URL_MALFORMAT:
	case CURLE_COULDNT_RESOLVE_HOST:
		return TRUE;
	default:
		return FALSE;
	}
}
