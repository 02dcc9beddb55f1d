/*
 * fuzz_money.c - amounts as the platforms send them ("12.3400", "-0.5").
 * An amount that parses must format and parse back to the same value.
 */
#include <stdlib.h>

#include "fuzz.h"
#include "pearlsync/money.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_cstr(data, size);
	char buf[PS_MONEY_STR_MAX];
	ps_money m = 0, again = 0;

	fuzz_quiet();
	if (ps_money_parse(&m, text) == 0) {
		ps_money_format(buf, sizeof(buf), m, 4);
		if (ps_money_parse(&again, buf) != 0 || again != m)
			abort();
		ps_money_format(buf, sizeof(buf), m, 2);
		ps_money_format(buf, sizeof(buf), m, 0);
	}
	free(text);
	return 0;
}
