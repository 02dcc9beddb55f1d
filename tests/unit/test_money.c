/*
 * test_money.c - decimal strings to fixed-point and back, exactly.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "internal.h"
#include "pearlsync/money.h"

static void
test_money__parses_platform_forms(void **state)
{
	ps_money m;

	(void)state;
	assert_int_equal(ps_money_parse(&m, "12.3400"), 0);
	assert_int_equal(m, 123400);
	assert_int_equal(ps_money_parse(&m, "0"), 0);
	assert_int_equal(m, 0);
	assert_int_equal(ps_money_parse(&m, "-0.5"), 0);
	assert_int_equal(m, -5000);
	assert_int_equal(ps_money_parse(&m, "+7"), 0);
	assert_int_equal(m, 70000);
	assert_int_equal(ps_money_parse(&m, ".25"), 0);
	assert_int_equal(m, 2500);
	assert_int_equal(ps_money_parse(&m, "19.990000"), 0);
	assert_int_equal(m, 199900);
}

static void
test_money__refuses_what_it_cannot_keep_exactly(void **state)
{
	ps_money m = 42;

	(void)state;
	assert_int_equal(ps_money_parse(&m, NULL), PS_EPARSE);
	assert_int_equal(ps_money_parse(&m, ""), PS_EPARSE);
	assert_int_equal(ps_money_parse(&m, "-"), PS_EPARSE);
	assert_int_equal(ps_money_parse(&m, "."), PS_EPARSE);
	assert_int_equal(ps_money_parse(&m, "1e2"), PS_EPARSE);
	assert_int_equal(ps_money_parse(&m, " 1"), PS_EPARSE);
	assert_int_equal(ps_money_parse(&m, "1.00001"), PS_EPARSE);
	assert_non_null(strstr(ps_error_last(), "four decimal places"));
	assert_int_equal(ps_money_parse(&m, "99999999999999999999"),
			 PS_ETOOBIG);
	assert_int_equal(m, 42); /* untouched on failure */
}

static void
test_money__boundary_of_range(void **state)
{
	ps_money m;
	char buf[PS_MONEY_STR_MAX];

	(void)state;
	assert_int_equal(ps_money_parse(&m, "922337203685476.0000"), 0);
	assert_string_equal(ps_money_format(buf, sizeof(buf), m, 4),
			    "922337203685476.0000");
	assert_int_equal(ps_money_parse(&m, "922337203685477.5807"), 0);
	assert_int_equal(m, INT64_MAX);
	assert_int_equal(ps_money_parse(&m, "922337203685477.5808"),
			 PS_ETOOBIG);
	assert_int_equal(ps_money_parse(&m, "922337203685478"), PS_ETOOBIG);
}

static void
test_money__formats_with_rounding_half_away(void **state)
{
	char buf[PS_MONEY_STR_MAX];

	(void)state;
	assert_string_equal(ps_money_format(buf, sizeof(buf), 123400, 2),
			    "12.34");
	assert_string_equal(ps_money_format(buf, sizeof(buf), 123450, 2),
			    "12.35");
	assert_string_equal(ps_money_format(buf, sizeof(buf), -123450, 2),
			    "-12.35");
	assert_string_equal(ps_money_format(buf, sizeof(buf), 5, 4), "0.0005");
	assert_string_equal(ps_money_format(buf, sizeof(buf), 49, 2), "0.00");
	assert_string_equal(ps_money_format(buf, sizeof(buf), -49, 2), "0.00");
	assert_string_equal(ps_money_format(buf, sizeof(buf), 15000, 0), "2");
	assert_string_equal(ps_money_format(buf, sizeof(buf), INT64_MIN, 4),
			    "-922337203685477.5808");
	assert_int_equal(ps_money_from_cents(1234), 123400);
}

static void
test_money__sum_of_parsed_amounts_is_exact(void **state)
{
	static const char *const lines[] = {"0.10", "0.20", "0.30", "19.99",
					    "0.01"};
	ps_money sum = 0, m;
	char buf[PS_MONEY_STR_MAX];
	size_t i;

	(void)state;
	for (i = 0; i < PS__ARRAY_LEN(lines); i++) {
		assert_int_equal(ps_money_parse(&m, lines[i]), 0);
		sum += m;
	}
	assert_string_equal(ps_money_format(buf, sizeof(buf), sum, 2), "20.60");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_money__parses_platform_forms),
		cmocka_unit_test(
			test_money__refuses_what_it_cannot_keep_exactly),
		cmocka_unit_test(test_money__boundary_of_range),
		cmocka_unit_test(test_money__formats_with_rounding_half_away),
		cmocka_unit_test(test_money__sum_of_parsed_amounts_is_exact),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
