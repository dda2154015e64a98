/*
 * fuzz-config - the configuration parser: the input becomes a file, config_load reads
 * it. Either a configuration or an error naming the file comes back, never a crash.
 */
#include <glib/gstdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *fuzz_path;

static void
fuzz_cleanup(void)
{
	g_unlink(fuzz_path);
	g_free(fuzz_path);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	int fd = g_file_open_tmp("fuzz-config-XXXXXX.conf", &fuzz_path, NULL);

	if (fd < 0)
		abort();
	close(fd);
	atexit(fuzz_cleanup);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(ticketd_config) config = NULL;

	if (!g_file_set_contents_full(fuzz_path, (const char *)data, (gssize)size, G_FILE_SET_CONTENTS_NONE,
	                              0600, NULL))
		abort();
	config = config_load(fuzz_path, &error);
	if ((config == NULL) == (error == NULL))
		__builtin_trap();
	if (config != NULL) {
		config_department_for(config, "soporte+ABC-123456@example.com", NULL);
		config_is_staff(config, "agente1@example.com");
	} else if (strstr(error->message, fuzz_path) == NULL) {
		/* Every error names the file, as a postmaster needs it. */
		__builtin_trap();
	}
	return 0;
}
