/*
 * fuzz-mail - raw mail as it comes off the wire: parse, classify, and decide what
 * ingest would do, in a transaction that is rolled back. The store is a fresh SQLite
 * file per fuzzing process, with one known account, so decisions reach past "new".
 */
#include <glib/gstdio.h>
#include <stdint.h>
#include <stdlib.h>
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
	g_autofree char *conf = NULL, *db = NULL, *text = NULL;

	mime_init();
	log_set_quiet(TRUE);
	fuzz_dir = g_dir_make_tmp("fuzz-mail-XXXXXX", &error);
	if (fuzz_dir == NULL)
		abort();
	conf = g_build_filename(fuzz_dir, "ticketd.conf", NULL);
	db = g_build_filename(fuzz_dir, "ticketd.db", NULL);
	text = g_strdup_printf("[ticketd]\ndatabase = %s\ndomain = example.com\n"
	                       "staff = agente1@example.com\n\n"
	                       "[department:soporte]\nname = Soporte\naddress = soporte@example.com\n\n"
	                       "[department:ventas]\nname = Ventas\naddress = ventas@example.com\n"
	                       "closed_reply = new\n", db);
	if (!g_file_set_contents(conf, text, -1, &error) ||
	    (fuzz_config = config_load(conf, &error)) == NULL ||
	    (fuzz_store = store_open(db, &error)) == NULL ||
	    store_account_add(fuzz_store, "cliente@example.org", "Cliente", "es", &error) <= 0) {
		g_printerr("fuzz-mail: %s\n", error ? error->message : "setup failed");
		abort();
	}
	atexit(fuzz_cleanup);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	g_autoptr(parsed_message) message = mime_parse((const char *)data, size);
	g_autoptr(GPtrArray) recipients = ingest_header_recipients(fuzz_config, message);
	ingest_envelope envelope = { message->return_path, "soporte@example.com" };
	ingest_result result = { 0 };

	classify_message(fuzz_config, message, envelope.sender);
	ingest_decide(fuzz_config, fuzz_store, (const char *)data, size, message, &envelope, &result);
	ingest_result_clear(&result);
	if (recipients->len > 0) {
		envelope.recipient = g_ptr_array_index(recipients, 0);
		ingest_decide(fuzz_config, fuzz_store, (const char *)data, size, message, &envelope,
		              &result);
		ingest_result_clear(&result);
	}
	g_free(ingest_dedup_key(message, (const char *)data, size));
	return 0;
}
