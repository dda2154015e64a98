/*
 * smtp - one libcurl easy handle that sends one mail to one recipient at a time and
 * keeps its connection for the next. Addresses are validated before curl sees them (curl
 * 7.88 passes CR and LF through), and the outcome is read from the SMTP reply code.
 */
#include <curl/curl.h>
#include <string.h>

#include "compose.h"
#include "smtp.h"

struct smtp_client {
	CURL *curl;
	char *url;
	gboolean starttls_required;
	char error[CURL_ERROR_SIZE];
};

typedef struct {
	const guint8 *data;
	gsize length;
	gsize sent;
} smtp_upload;

/* smtp_read - curl's read callback over the composed bytes (already CRLF). */
static size_t
smtp_read(char *buffer, size_t size, size_t count, void *data)
{
	smtp_upload *upload = data;
	gsize n = MIN(size * count, upload->length - upload->sent);

	memcpy(buffer, upload->data + upload->sent, n);
	upload->sent += n;
	return n;
}

smtp_client *
smtp_client_new(const ticketd_config *config)
{
	smtp_client *client = g_new0(smtp_client, 1);
	const smtp_config *smtp = &config->smtp;

	/* The path of the URL is the EHLO name: our domain, not gethostname(). */
	client->url = g_strdup_printf("%s%s%s", smtp->url, g_str_has_suffix(smtp->url, "/") ? "" : "/", config->domain);
	client->curl = curl_easy_init();
	client->starttls_required = smtp->starttls_required;
	curl_easy_setopt(client->curl, CURLOPT_URL, client->url);
	curl_easy_setopt(client->curl, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
	curl_easy_setopt(client->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(client->curl, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(client->curl, CURLOPT_READFUNCTION, smtp_read);
	curl_easy_setopt(client->curl, CURLOPT_ERRORBUFFER, client->error);
	curl_easy_setopt(client->curl, CURLOPT_CONNECTTIMEOUT, (long)MIN(smtp->timeout, 30));
	curl_easy_setopt(client->curl, CURLOPT_SERVER_RESPONSE_TIMEOUT, (long)smtp->timeout);
	curl_easy_setopt(client->curl, CURLOPT_TIMEOUT, (long)smtp->timeout * 5);
	curl_easy_setopt(client->curl, CURLOPT_TCP_KEEPALIVE, 1L);
	if (smtp->starttls_required)
		curl_easy_setopt(client->curl, CURLOPT_USE_SSL, (long)CURLUSESSL_ALL);
	if (smtp->user != NULL) {
		curl_easy_setopt(client->curl, CURLOPT_USERNAME, smtp->user);
		curl_easy_setopt(client->curl, CURLOPT_PASSWORD, smtp->password ? smtp->password : "");
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

smtp_result
smtp_send(smtp_client *client, const char *envelope_from, const char *recipient, GBytes *mail, char **error)
{
	struct curl_slist *recipients = NULL;
	smtp_upload upload = { 0 };
	g_autofree char *from = NULL;
	long code = 0;
	CURLcode result;

	*error = NULL;
	if (!compose_address_valid(recipient) || (*envelope_from != '\0' && !compose_address_valid(envelope_from))) {
		*error = g_strdup("invalid envelope address");
		return SMTP_PERMANENT;
	}
	upload.data = g_bytes_get_data(mail, &upload.length);
	from = g_strdup_printf("<%s>", envelope_from);
	recipients = curl_slist_append(NULL, recipient);
	client->error[0] = '\0';
	curl_easy_setopt(client->curl, CURLOPT_MAIL_FROM, from);
	curl_easy_setopt(client->curl, CURLOPT_MAIL_RCPT, recipients);
	curl_easy_setopt(client->curl, CURLOPT_READDATA, &upload);
	curl_easy_setopt(client->curl, CURLOPT_INFILESIZE_LARGE, (curl_off_t)upload.length);
	result = curl_easy_perform(client->curl);
	curl_easy_getinfo(client->curl, CURLINFO_RESPONSE_CODE, &code);
	curl_easy_setopt(client->curl, CURLOPT_MAIL_RCPT, NULL);
	curl_slist_free_all(recipients);
	if (result == CURLE_OK)
		return SMTP_SENT;
	*error = g_strdup_printf("%s (reply %ld)", client->error[0] ? client->error : curl_easy_strerror(result), code);
	/* 5xx is final; 4xx, no reply, TLS and login trouble may pass. */
	return code >= 500 && code <= 599 ? SMTP_PERMANENT : SMTP_TEMPORARY;
}
