/*
 * test_date.c - ps_util__days_from_civil, the one calendar computation the
 * connectors and flows share.  Data driven: each row is a date and its day
 * number, taken from an independent calendar (leap days, century years,
 * the years before 1970 and the ends of the four-digit range); then every
 * day of 1968-2032 in turn, which must follow its predecessor by one.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "internal.h"

static void
test_date__known_days(void **state)
{
	static const struct {
		int y, m, d;
		int64_t days;
	} rows[] = {
		{1970, 1, 1, 0},         {1969, 12, 31, -1},
		{2000, 2, 29, 11016},    {2000, 3, 1, 11017},
		{2024, 12, 31, 20088},   {2100, 3, 1, 47541},
		{1600, 2, 29, -135081},  {1, 1, 1, -719162},
		{9999, 12, 31, 2932896},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		assert_int_equal(ps_util__days_from_civil(rows[i].y, rows[i].m,
							  rows[i].d),
				 rows[i].days);
}

static int
month_days(int y, int m)
{
	static const int len[] = {31, 28, 31, 30, 31, 30,
				  31, 31, 30, 31, 30, 31};

	if (m == 2 && y % 4 == 0 && (y % 100 != 0 || y % 400 == 0))
		return 29;
	return len[m - 1];
}

static void
test_date__consecutive_days(void **state)
{
	int64_t prev = ps_util__days_from_civil(1967, 12, 31);
	int y, m, d;

	(void)state;
	for (y = 1968; y <= 2032; y++)
		for (m = 1; m <= 12; m++)
			for (d = 1; d <= month_days(y, m); d++) {
				int64_t t = ps_util__days_from_civil(y, m, d);

				assert_int_equal(t, prev + 1);
				prev = t;
			}
	assert_int_equal(prev, ps_util__days_from_civil(2033, 1, 1) - 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_date__known_days),
		cmocka_unit_test(test_date__consecutive_days),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
