/*
 * fuzz_config.c - the config file loader (libconfig plus pearlsync's
 * validation of every key) over any file contents.  The loader reads a
 * path, so each input is written to one scratch file first.  The detail
 * of a refusal quotes the file, so it passes through the redactor too.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"
#include "pearlsync/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char path[64];

static void
remove_scratch(void)
{
	if (path[0] != '\0')
		unlink(path);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	ps_config cfg;
	FILE *f;

	fuzz_quiet();
	if (path[0] == '\0') {
		int fd;

		snprintf(path, sizeof(path), "/tmp/pearlsync-fuzz-conf.XXXXXX");
		if ((fd = mkstemp(path)) < 0)
			abort();
		close(fd);
		atexit(remove_scratch);
	}
	if ((f = fopen(path, "wb")) == NULL)
		abort();
	if (size > 0 && fwrite(data, 1, size, f) != size)
		abort();
	fclose(f);
	ps_config_init(&cfg);
	(void)ps_config_load_file(&cfg, path);
	return 0;
}
