/*
 * test_bc_dates.c - the BigCommerce date codecs: v2's RFC 2822 and v3's
 * ISO 8601 into Unix seconds, and RFC 2822 out for query filters.  Data
 * driven: each row is an input and the expected instant (checked against
 * an independent calendar computation) or a refusal.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "platforms/bigcommerce/bigcommerce_int.h"
#include "internal.h"

struct row {
	const char *text;
	int ok;
	int64_t want;
};

static void
test_bc_dates__rfc2822(void **state)
{
	static const struct row rows[] = {
		{"Tue, 05 Mar 2019 21:40:11 +0000", 1, 1551822011},
		{"05 Mar 2019 21:40:11 +0000", 1, 1551822011},
		{"Tue, 5 Mar 2019 21:40:11 +0000", 1, 1551822011},
		{"Thu, 20 Apr 2017 11:32:00 -0400", 1, 1492702320},
		{"Thu, 20 Apr 2017 17:02:00 +0530", 1, 1492687920},
		{"Tue, 05 Mar 2019 21:40 +0000", 1, 1551822000},
		{"Tue, 05 Mar 2019 21:40:11 GMT", 1, 1551822011},
		{"Thu, 01 Jan 1970 00:00:00 +0000", 1, 0},
		{"Tue, 29 Feb 2000 12:00:00 +0000", 1, 951825600},
		{"Fri, 31 Dec 2100 23:59:59 +0000", 1, 4133980799},
		{"", 0, 0},
		{"yesterday", 0, 0},
		{"Tue, 05 Foo 2019 21:40:11 +0000", 0, 0},
		{"Tue, 32 Mar 2019 21:40:11 +0000", 0, 0},
		{"Tue, 05 Mar 2019 24:40:11 +0000", 0, 0},
		{"Tue, 05 Mar 2019 21:40:11 +00", 0, 0},
		{"Tue, 05 Mar 2019 21:40:11 +0000 junk", 0, 0},
		{"2019-03-05T21:40:11Z", 0, 0},
	};
	size_t i;

	(void)state;
	for (i = 0; i < PS__ARRAY_LEN(rows); i++) {
		int64_t t = -1;
		int rc = ps_bc__date_parse_rfc2822(&t, rows[i].text);

		if (rows[i].ok) {
			if (rc != 0 || t != rows[i].want)
				fail_msg("'%s': rc %d t %lld", rows[i].text, rc,
					 (long long)t);
		} else if (rc != PS_EPARSE) {
			fail_msg("'%s' accepted", rows[i].text);
		}
	}
	assert_int_equal(ps_bc__date_parse_rfc2822(&(int64_t){0}, NULL),
			 PS_EPARSE);
}

static void
test_bc_dates__iso8601(void **state)
{
	static const struct row rows[] = {
		{"2019-03-05T21:40:11Z", 1, 1551822011},
		{"2019-03-05T21:40:11+00:00", 1, 1551822011},
		{"2019-03-05T21:40:11.123Z", 1, 1551822011},
		{"2017-04-20T11:32:00.000-04:00", 1, 1492702320},
		{"2017-04-20T11:32:00-0400", 1, 1492702320},
		{"2019-03-05T21:40:11", 1, 1551822011},
		{"2019-03-05 21:40:11", 1, 1551822011},
		{"2024-05-14", 1, 1715644800},
		{"2019-03-05T21:40Z", 1, 1551822000},
		{"2019-02-29T00:00:00Z", 0, 0},
		{"2019-13-01T00:00:00Z", 0, 0},
		{"2019-03-05T21:40:11.Z", 0, 0},
		{"2019-3-5", 0, 0},
		{"Tue, 05 Mar 2019 21:40:11 +0000", 0, 0},
		{"", 0, 0},
	};
	size_t i;

	(void)state;
	for (i = 0; i < PS__ARRAY_LEN(rows); i++) {
		int64_t t = -1;
		int rc = ps_bc__date_parse_iso8601(&t, rows[i].text);

		if (rows[i].ok) {
			if (rc != 0 || t != rows[i].want)
				fail_msg("'%s': rc %d t %lld", rows[i].text, rc,
					 (long long)t);
		} else if (rc != PS_EPARSE) {
			fail_msg("'%s' accepted", rows[i].text);
		}
	}
	assert_non_null(strstr(ps_error_last(), "not an ISO 8601 date"));
}

static void
test_bc_dates__format_round_trips(void **state)
{
	static const int64_t times[] = {0,          951825600,  1551822011,
					1709208000, 4133980799, 86399};
	char buf[48];
	size_t i;

	(void)state;
	ps_bc__date_format_rfc2822(buf, sizeof(buf), 1551822011);
	assert_string_equal(buf, "Tue, 05 Mar 2019 21:40:11 +0000");
	ps_bc__date_format_rfc2822(buf, sizeof(buf), 0);
	assert_string_equal(buf, "Thu, 01 Jan 1970 00:00:00 +0000");
	for (i = 0; i < PS__ARRAY_LEN(times); i++) {
		int64_t back = -1;

		ps_bc__date_format_rfc2822(buf, sizeof(buf), times[i]);
		assert_int_equal(ps_bc__date_parse_rfc2822(&back, buf), 0);
		assert_int_equal(back, times[i]);
	}
}

/*
 * Short and cut inputs, each copied into a heap block of exactly its size
 * so that reading one byte past its end is an ASan report: the parsers
 * must stop at the NUL whatever the first bytes promised ("X\x9f" looked
 * like the start of "Tue, ").
 */
static void
test_bc_dates__short_inputs_stay_in_bounds(void **state)
{
	static const char *const inputs[] = {
		"",
		"X",
		"X\x9f",
		"Tu",
		"Tue",
		"Tue,",
		"T\x9f,",
		"0",
		"05",
		"05 ",
		"05 M",
		"05 Mar",
		"05 Mar 2",
		"2",
		"2019",
		"2019-",
		"2019-03-0",
		"2019-03-05T",
		"2019-03-05T21:4",
		"2019-03-05T21:40:11.",
		"2019-03-05T21:40:11+0",
		"05 Mar 2019 21:40:11 +00",
		"05 Mar 2019 21:40:11 G",
	};
	size_t i;
	int64_t t;

	(void)state;
	for (i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++) {
		size_t n = strlen(inputs[i]) + 1;
		char *copy = malloc(n);

		assert_non_null(copy);
		memcpy(copy, inputs[i], n);
		assert_true(ps_bc__date_parse_rfc2822(&t, copy) < 0);
		assert_true(ps_bc__date_parse_iso8601(&t, copy) < 0);
		free(copy);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bc_dates__rfc2822),
		cmocka_unit_test(test_bc_dates__iso8601),
		cmocka_unit_test(test_bc_dates__format_round_trips),
		cmocka_unit_test(test_bc_dates__short_inputs_stay_in_bounds),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
