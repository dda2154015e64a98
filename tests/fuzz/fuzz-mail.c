/*
 * fuzz-mail - raw mail as it comes off the wire: parse, classify, and decide what
 * ingest would do, in a transaction that is rolled back; every field must keep the
 * promise of mime.h (valid UTF-8, no control characters). The store is a fresh SQLite
 * file per fuzzing process, with one known account, so decisions reach past "new".
 */
#include <glib/gstdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ingest.h"
#include "log.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static ticketd_config *fuzz_config;
static store *fuzz_store;
static char *fuzz_dir;

/* fuzz_cleanup - the temporary database and its directory go when the process ends. */
static void
fuzz_cleanup(void)
{
	const char *suffixes[] = { "ticketd.db", "ticketd.db-wal", "ticketd.db-shm", "ticketd.conf", NULL };

	store_close(fuzz_store);
	config_free(fuzz_config);
	for (int i = 0; suffixes[i] != NULL; i++) {
		g_autofree char *path = g_build_filename(fuzz_dir, suffixes[i], NULL);

		g_unlink(path);
	}
	g_rmdir(fuzz_dir);
	g_free(fuzz_dir);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *conf = NULL, *db = NULL, *text = NULL, *templates = NULL;
	g_autofree char *cwd = g_get_current_dir();

	mime_init();
	log_set_quiet(TRUE);
	fuzz_dir = g_dir_make_tmp("fuzz-mail-XXXXXX", &error);
	if (fuzz_dir == NULL)
		abort();
	conf = g_build_filename(fuzz_dir, "ticketd.conf", NULL);
	db = g_build_filename(fuzz_dir, "ticketd.db", NULL);
	/* make fuzz runs from the top of the tree, where the templates are. */
	templates = g_build_filename(g_getenv("TICKETD_TOP") ? g_getenv("TICKETD_TOP") : cwd, "etc",
	                             "templates", NULL);
	text = g_strdup_printf("[ticketd]\ndatabase = %s\ndomain = example.com\ntemplates = %s\n"
	                       "staff = agente1@example.com\n\n"
	                       "[department:soporte]\nname = Soporte\naddress = soporte@example.com\n\n"
	                       "[department:ventas]\nname = Ventas\naddress = ventas@example.com\n"
	                       "closed_reply = new\n", db, templates);
	/* 0640: config_load refuses a file that others may read. */
	if (!g_file_set_contents_full(conf, text, -1, G_FILE_SET_CONTENTS_NONE, 0640, &error) ||
	    (fuzz_config = config_load(conf, &error)) == NULL ||
	    (fuzz_store = store_open(db, &error)) == NULL ||
	    store_account_add(fuzz_store, "cliente@example.org", "Cliente", "es", &error) <= 0) {
		g_printerr("fuzz-mail: %s\n", error ? error->message : "setup failed");
		abort();
	}
	atexit(fuzz_cleanup);
	return 0;
}

/* fuzz_check_text - mime.h's promise: valid UTF-8, no control but '\n' and '\t' in bodies. */
static void
fuzz_check_text(const char *text, gboolean body)
{
	if (text == NULL)
		return;
	if (!g_utf8_validate(text, -1, NULL))
		__builtin_trap();
	for (const char *p = text; *p; p = g_utf8_next_char(p)) {
		gunichar u = g_utf8_get_char(p);

		if ((u < 0x20 || (u >= 0x7f && u < 0xa0)) && !(body && (u == '\n' || u == '\t')))
			__builtin_trap();
	}
}

/* fuzz_check_addresses - every name and address of a list is clean text. */
static void
fuzz_check_addresses(GPtrArray *addresses)
{
	for (guint i = 0; i < addresses->len; i++) {
		const mail_address *a = g_ptr_array_index(addresses, i);

		fuzz_check_text(a->name, FALSE);
		fuzz_check_text(a->address, FALSE);
	}
}

/* fuzz_check_message - the fields ingest stores and staff read. */
static void
fuzz_check_message(const parsed_message *m)
{
	fuzz_check_text(m->from->name, FALSE);
	fuzz_check_text(m->from->address, FALSE);
	fuzz_check_addresses(m->to);
	fuzz_check_addresses(m->cc);
	fuzz_check_addresses(m->reply_to);
	fuzz_check_text(m->subject, FALSE);
	fuzz_check_text(m->message_id, FALSE);
	fuzz_check_text(m->in_reply_to, FALSE);
	for (guint i = 0; i < m->references->len; i++)
		fuzz_check_text(g_ptr_array_index(m->references, i), FALSE);
	fuzz_check_text(m->text, TRUE);
	fuzz_check_text(m->new_text, TRUE);
	for (guint i = 0; i < m->attachments->len; i++) {
		const mail_attachment *a = g_ptr_array_index(m->attachments, i);

		fuzz_check_text(a->filename, FALSE);
		fuzz_check_text(a->content_type, FALSE);
		if (*a->filename == '\0' || *a->filename == '.' || strchr(a->filename, '/') != NULL ||
		    strchr(a->filename, '\\') != NULL || a->size != g_bytes_get_size(a->data))
			__builtin_trap();
	}
	fuzz_check_text(m->return_path, FALSE);
	fuzz_check_text(m->original_message_id, FALSE);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	g_autoptr(parsed_message) message = mime_parse((const char *)data, size);
	g_autoptr(GPtrArray) recipients = ingest_header_recipients(fuzz_config, message);
	g_autoptr(inbound) mail = inbound_new_parsed("fuzz", (const char *)data, size, message,
	                                             message->return_path);
	ingest_result result = { 0 };

	fuzz_check_message(message);
	classify_message(fuzz_config, message, mail->sender);
	ingest_decide(fuzz_config, fuzz_store, mail, "soporte@example.com", &result);
	ingest_result_clear(&result);
	if (recipients->len > 0) {
		ingest_decide(fuzz_config, fuzz_store, mail, g_ptr_array_index(recipients, 0), &result);
		ingest_result_clear(&result);
	}
	g_free(ingest_dedup_key(message, (const char *)data, size));
	return 0;
}
