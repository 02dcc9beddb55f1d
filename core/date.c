/*
 * date.c - calendar arithmetic shared by the connectors and flows that turn
 * ISO 8601 and RFC 2822 dates into epoch times.
 *
 * No time zone or locale is involved (no mktime, timegm is not POSIX): the
 * callers parse the fields, apply their own offset and need only the day
 * count of a UTC calendar date.
 */
#include "internal.h"

/*
 * Howard Hinnant's days_from_civil: years counted from March so the leap
 * day is the last of its year, eras of 400 years (146097 days) so the
 * division is exact for negative years too.
 */
int64_t
ps_util__days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}
