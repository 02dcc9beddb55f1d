/*
 * fuzz_csv.c - the CSV reader behind `pearlsync mappings import`, over
 * any bytes (not NUL-terminated: the reader takes a length).
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "pearlsync/csv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* an exact-size copy, so a read past the length is an ASan report */
	char *text = malloc(size ? size : 1);
	ps_csv *csv = NULL;
	ps_csv_error err;
	size_t i, j;

	fuzz_quiet();
	if (text == NULL)
		return 0;
	if (size > 0)
		memcpy(text, data, size);
	if (ps_csv_parse(&csv, &err, text, size, NULL) == 0) {
		for (i = 0; i < csv->n; i++)
			for (j = 0; j < csv->rows[i].nfields; j++)
				if (csv->rows[i].field[j] == NULL)
					abort();
		ps_csv_free(csv);
	}
	free(text);
	return 0;
}
