/*
 * fuzz_redact.c - the redactor and the terminal escaper over any text.
 * The first byte picks the buffer's capacity (small ones reach the end
 * of the buffer quickly), the rest is the text, cut as vsnprintf cuts.
 * Checked: the result stays terminated inside the buffer, a registered
 * secret never survives, and the escaped text holds no control byte.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "pearlsync/common.h"
#include "pearlsync/log.h"

#define SECRET "Zq9-literal-secret"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t caps[] = {1, 2, 5, 8, 16, 64, 1024, 4096};
	size_t cap, n, i;
	char *buf, *shown;

	fuzz_quiet();
	ps_log_add_secret(SECRET);
	if (size == 0)
		return 0;
	cap = caps[data[0] % (sizeof(caps) / sizeof(caps[0]))];
	data++;
	size--;
	buf = malloc(cap); /* exact: ASan sees one byte past it */
	if (buf == NULL)
		return 0;
	n = size < cap - 1 ? size : cap - 1;
	memcpy(buf, data, n);
	buf[n] = '\0';
	ps_redact(buf, cap);
	if (strnlen(buf, cap) >= cap)
		abort();
	if (strstr(buf, SECRET) != NULL)
		abort();

	shown = malloc(cap);
	if (shown != NULL) {
		ps_log_escape(shown, cap, buf);
		for (i = 0; shown[i] != '\0'; i++) {
			unsigned char c = (unsigned char)shown[i];

			if ((c < 0x20 && c != '\t') || c == 0x7f)
				abort();
			if (c == 0xc2 && (unsigned char)shown[i + 1] >= 0x80 &&
			    (unsigned char)shown[i + 1] <= 0x9f)
				abort();
		}
		free(shown);
	}
	/* and the log path, which does both */
	ps_log_error("fuzz", "%s", buf);
	free(buf);
	return 0;
}
