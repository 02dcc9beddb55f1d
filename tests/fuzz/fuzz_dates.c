/*
 * fuzz_dates.c - BigCommerce's date parsers (RFC 2822 from v2, ISO 8601
 * from v3) over any text, in a block of exactly its size.  A date that
 * parses must survive formatting and parsing again unchanged.
 */
#include <stdlib.h>

#include "platforms/bigcommerce/bigcommerce_int.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
round_trip(int64_t t)
{
	char buf[64];
	int64_t again = 0;

	ps_bc__date_format_rfc2822(buf, sizeof(buf), t);
	if (ps_bc__date_parse_rfc2822(&again, buf) != 0 || again != t)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_cstr(data, size);
	int64_t t = 0;

	fuzz_quiet();
	if (ps_bc__date_parse_rfc2822(&t, text) == 0)
		round_trip(t);
	if (ps_bc__date_parse_iso8601(&t, text) == 0)
		round_trip(t);
	free(text);
	return 0;
}
