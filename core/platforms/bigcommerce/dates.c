/*
 * dates.c - the BigCommerce date codecs: RFC 2822 (v2) and ISO 8601 (v3)
 * into Unix seconds, and Unix seconds back into RFC 2822 for v2 queries.
 */
#include "pearlsync/bigcommerce.h"
#include "platforms/bigcommerce/bigcommerce_int.h"
#include "platforms/connector.h"
#include "internal.h"
#include "pearlsync/log.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

/* --- dates ---------------------------------------------------------------- */

static void
civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
	int64_t era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

static const char *const month_names[12] = {"Jan", "Feb", "Mar", "Apr",
					    "May", "Jun", "Jul", "Aug",
					    "Sep", "Oct", "Nov", "Dec"};
static const char *const day_names[7] = {"Thu", "Fri", "Sat", "Sun",
					 "Mon", "Tue", "Wed"};

/* Read exactly n digits (n <= 9) at *p; advance.  -1 if not digits. */
static int
digits(const char **p, int n)
{
	int v = 0, i;

	for (i = 0; i < n; i++) {
		if ((*p)[i] < '0' || (*p)[i] > '9')
			return -1;
		v = v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	return v;
}

static int
valid_time(int64_t y, int mo, int d, int h, int mi, int s)
{
	static const int mdays[12] = {31, 29, 31, 30, 31, 30,
				      31, 31, 30, 31, 30, 31};

	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	if (mo == 2 && d == 29 && !leap)
		return 0;
	return y >= 1900 && y <= 9999 && mo >= 1 && mo <= 12 && d >= 1 &&
	       d <= mdays[mo - 1] && h >= 0 && h <= 23 && mi >= 0 && mi <= 59 &&
	       s >= 0 && s <= 60;
}

int
ps_bc__date_parse_rfc2822(int64_t *out, const char *text)
{
	const char *p = text;
	int d, mo = -1, h, mi, s = 0, zone = 0, i, y;

	if (text == NULL)
		return ps_error_set(PS_EPARSE, "no date");
	while (*p == ' ')
		p++;
	/* Optional "Tue, ": look at p[3] only when p[1] and p[2] are not
	 * the end of a shorter string */
	if (p[0] >= 'A' && p[0] <= 'Z' && p[1] != '\0' && p[2] != '\0' &&
	    p[3] == ',') {
		p += 4;
		while (*p == ' ')
			p++;
	}
	d = digits(&p, 2);
	if (d < 0) {
		p = p[0] >= '0' && p[0] <= '9' ? p : NULL;
		d = p ? digits(&p, 1) : -1;
	}
	if (d < 0 || *p++ != ' ')
		goto bad;
	for (i = 0; i < 12; i++)
		if (strncmp(p, month_names[i], 3) == 0)
			mo = i + 1;
	if (mo < 0)
		goto bad;
	p += 3;
	if (*p++ != ' ' || (y = digits(&p, 4)) < 0 || *p++ != ' ')
		goto bad;
	if ((h = digits(&p, 2)) < 0 || *p++ != ':' || (mi = digits(&p, 2)) < 0)
		goto bad;
	if (*p == ':') {
		p++;
		if ((s = digits(&p, 2)) < 0)
			goto bad;
	}
	while (*p == ' ')
		p++;
	if (*p == '+' || *p == '-') {
		int sign = *p++ == '-' ? -1 : 1, hh, mm;

		if ((hh = digits(&p, 2)) < 0 || (mm = digits(&p, 2)) < 0 ||
		    hh > 23 || mm > 59)
			goto bad;
		zone = sign * (hh * 3600 + mm * 60);
	} else if (strcmp(p, "GMT") == 0 || strcmp(p, "UT") == 0 ||
		   strcmp(p, "UTC") == 0 || strcmp(p, "Z") == 0) {
		p += strlen(p);
	} else if (*p != '\0') {
		goto bad;
	}
	while (*p == ' ')
		p++;
	if (*p != '\0' || !valid_time(y, mo, d, h, mi, s))
		goto bad;
	*out = ps_util__days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 +
	       s - zone;
	return 0;
bad:
	return ps_error_set(PS_EPARSE, "'%.60s' is not an RFC 2822 date", text);
}

int
ps_bc__date_parse_iso8601(int64_t *out, const char *text)
{
	const char *p = text;
	int y, mo, d, h = 0, mi = 0, s = 0, zone = 0;

	if (text == NULL)
		return ps_error_set(PS_EPARSE, "no date");
	if ((y = digits(&p, 4)) < 0 || *p++ != '-' ||
	    (mo = digits(&p, 2)) < 0 || *p++ != '-' || (d = digits(&p, 2)) < 0)
		goto bad;
	if (*p == 'T' || *p == 't' || *p == ' ') {
		p++;
		if ((h = digits(&p, 2)) < 0 || *p++ != ':' ||
		    (mi = digits(&p, 2)) < 0)
			goto bad;
		if (*p == ':') {
			p++;
			if ((s = digits(&p, 2)) < 0)
				goto bad;
			if (*p == '.' || *p == ',') {
				p++;
				if (*p < '0' || *p > '9')
					goto bad;
				while (*p >= '0' && *p <= '9')
					p++;
			}
		}
		if (*p == 'Z' || *p == 'z') {
			p++;
		} else if (*p == '+' || *p == '-') {
			int sign = *p++ == '-' ? -1 : 1, hh, mm;

			if ((hh = digits(&p, 2)) < 0)
				goto bad;
			if (*p == ':')
				p++;
			if ((mm = digits(&p, 2)) < 0 || hh > 23 || mm > 59)
				goto bad;
			zone = sign * (hh * 3600 + mm * 60);
		}
	}
	if (*p != '\0' || !valid_time(y, mo, d, h, mi, s))
		goto bad;
	*out = ps_util__days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 +
	       s - zone;
	return 0;
bad:
	return ps_error_set(PS_EPARSE, "'%.60s' is not an ISO 8601 date", text);
}

void
ps_bc__date_format_rfc2822(char *buf, size_t cap, int64_t t)
{
	int64_t days = t >= 0 ? t / 86400 : (t - 86399) / 86400;
	int64_t secs = t - days * 86400, y;
	int m, d, wd = (int)(((days % 7) + 7) % 7);

	civil_from_days(days, &y, &m, &d);
	snprintf(buf, cap, "%s, %02d %s %04lld %02d:%02d:%02d +0000",
		 day_names[wd], d, month_names[m - 1], (long long)y,
		 (int)(secs / 3600), (int)(secs / 60 % 60), (int)(secs % 60));
}
