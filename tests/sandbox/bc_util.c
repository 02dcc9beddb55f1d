/*
 * bc_util.c - BigCommerce wire formats for the simulator: money as
 * 4-decimal strings, RFC 2822 and ISO 8601 dates, v2 and v3 error bodies,
 * page/limit paging with the v3 pagination meta, and a small SHA-1 for the
 * webhook payload hash.
 */
#include "bc_sim.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

time_t
bc_now(const bc_state *st)
{
	return time(NULL) + (st ? st->clock_offset : 0);
}

const char *
bc_money_str(char *buf, size_t len, bc_money m)
{
	uint64_t mag = m < 0 ? (uint64_t)0 - (uint64_t)m : (uint64_t)m;

	snprintf(buf, len, "%s%llu.%04llu", m < 0 ? "-" : "",
		 (unsigned long long)(mag / BC_MONEY_SCALE),
		 (unsigned long long)(mag % BC_MONEY_SCALE));
	return buf;
}

/* Decimal text with up to 4 places (more are rounded) to money. */
static int
money_parse(bc_money *out, const char *s)
{
	int neg = 0, places = 0, digits = 0, round_up = 0;
	int64_t whole = 0, frac = 0;

	while (isspace((unsigned char)*s))
		s++;
	if (*s == '-' || *s == '+')
		neg = *s++ == '-';
	for (; isdigit((unsigned char)*s); s++, digits++) {
		if (whole > INT64_MAX / BC_MONEY_SCALE / 10)
			return -1;
		whole = whole * 10 + (*s - '0');
	}
	if (*s == '.') {
		for (s++; isdigit((unsigned char)*s); s++, digits++) {
			if (places < 4) {
				frac = frac * 10 + (*s - '0');
				places++;
			} else if (places++ == 4 && *s >= '5') {
				round_up = 1;
			}
		}
	}
	if (*s != '\0' || digits == 0)
		return -1;
	for (; places < 4; places++)
		frac *= 10;
	*out = (whole * BC_MONEY_SCALE + frac + round_up) * (neg ? -1 : 1);
	return 0;
}

int
bc_money_from_json(bc_money *out, const json_t *v)
{
	char buf[64];

	if (json_is_string(v))
		return money_parse(out, json_string_value(v));
	if (json_is_integer(v)) {
		*out = json_integer_value(v) * BC_MONEY_SCALE;
		return 0;
	}
	if (json_is_real(v)) {
		snprintf(buf, sizeof(buf), "%.6f", json_real_value(v));
		return money_parse(out, buf);
	}
	return -1;
}

bc_money
bc_money_mul(bc_money v, int64_t millionths)
{
	/* 128-bit-free: amounts here stay far below 2^63 / 10^6. */
	int64_t p = v * millionths;
	int64_t q = p / 1000000, r = p % 1000000;

	if (r >= 500000)
		q++;
	else if (r <= -500000)
		q--;
	return q;
}

static const char *const wdays[] = {"Sun", "Mon", "Tue", "Wed",
				    "Thu", "Fri", "Sat"};
static const char *const months[] = {"Jan", "Feb", "Mar", "Apr",
				     "May", "Jun", "Jul", "Aug",
				     "Sep", "Oct", "Nov", "Dec"};

const char *
bc_rfc2822(char *buf, size_t len, time_t t)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	/* Built by hand: strftime's %a/%b follow the locale. */
	snprintf(buf, len, "%s, %02d %s %04d %02d:%02d:%02d +0000",
		 wdays[tm.tm_wday], tm.tm_mday, months[tm.tm_mon],
		 tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
	return buf;
}

const char *
bc_iso8601(char *buf, size_t len, time_t t)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d+00:00",
		 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		 tm.tm_min, tm.tm_sec);
	return buf;
}

/* Days since 1970-01-01 for a proleptic Gregorian date. */
static int64_t
days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static int
read_num(const char **p, int ndig, int *out)
{
	int v = 0, i;

	for (i = 0; i < ndig; i++) {
		if (!isdigit((unsigned char)(*p)[i]))
			return -1;
		v = v * 10 + ((*p)[i] - '0');
	}
	*p += ndig;
	*out = v;
	return 0;
}

/* "+0000", "-04:00", "Z" or nothing (UTC); seconds east of UTC. */
static int
read_zone(const char *p, int *offset)
{
	int sign, hh, mm;

	while (*p == ' ')
		p++;
	*offset = 0;
	if (*p == '\0' || strcmp(p, "Z") == 0 || strcmp(p, "GMT") == 0 ||
	    strcmp(p, "UTC") == 0)
		return 0;
	if (*p != '+' && *p != '-')
		return -1;
	sign = *p++ == '-' ? -1 : 1;
	if (read_num(&p, 2, &hh) < 0)
		return -1;
	if (*p == ':')
		p++;
	if (read_num(&p, 2, &mm) < 0 || *p != '\0')
		return -1;
	*offset = sign * (hh * 3600 + mm * 60);
	return 0;
}

int
bc_parse_date(const char *s, time_t *out)
{
	const char *p = s;
	int y, mo = 0, d, h = 0, mi = 0, se = 0, off = 0, i;

	if (s == NULL || *s == '\0')
		return -1;
	if (isdigit((unsigned char)s[0]) && strlen(s) >= 10 && s[4] == '-') {
		/* ISO 8601: 2017-04-20[T11:32:00[.000][zone]] */
		if (read_num(&p, 4, &y) < 0 || *p++ != '-' ||
		    read_num(&p, 2, &mo) < 0 || *p++ != '-' ||
		    read_num(&p, 2, &d) < 0)
			return -1;
		if (*p == 'T' || *p == ' ') {
			p++;
			if (read_num(&p, 2, &h) < 0 || *p++ != ':' ||
			    read_num(&p, 2, &mi) < 0)
				return -1;
			if (*p == ':') {
				p++;
				if (read_num(&p, 2, &se) < 0)
					return -1;
				if (*p == '.')
					for (p++; isdigit((unsigned char)*p);)
						p++;
			}
		}
		if (read_zone(p, &off) < 0)
			return -1;
	} else if (isdigit((unsigned char)s[0])) {
		int64_t v;

		if (sb_parse_int(s, &v) != 0)
			return -1;
		*out = (time_t)v;
		return 0;
	} else {
		/* RFC 2822: "Thu, 20 Apr 2017 11:32:00 -0400" */
		const char *c = strchr(s, ',');

		p = c ? c + 1 : s;
		while (*p == ' ')
			p++;
		if (!isdigit((unsigned char)*p))
			return -1;
		d = (int)strtol(p, (char **)&p, 10);
		while (*p == ' ')
			p++;
		for (i = 0; i < 12; i++)
			if (strncmp(p, months[i], 3) == 0)
				mo = i + 1;
		if (mo == 0)
			return -1;
		p += 3;
		while (*p == ' ')
			p++;
		if (read_num(&p, 4, &y) < 0 || *p++ != ' ' ||
		    read_num(&p, 2, &h) < 0 || *p++ != ':' ||
		    read_num(&p, 2, &mi) < 0)
			return -1;
		if (*p == ':') {
			p++;
			if (read_num(&p, 2, &se) < 0)
				return -1;
		}
		if (read_zone(p, &off) < 0)
			return -1;
	}
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 ||
	    se > 60)
		return -1;
	*out = (time_t)(days_from_civil(y, mo, d) * 86400 + h * 3600 +
			mi * 60 + se - off);
	return 0;
}

/* ---- SHA-1 (FIPS 180-4), for the webhook "hash" member ---------------- */

#define ROL(x, n) (((x) << (n)) | ((x) >> (32 - (n))))

static void
sha1_block(uint32_t h[5], const unsigned char *b)
{
	uint32_t w[80], a, bb, c, d, e, f, k, t;
	int i;

	for (i = 0; i < 16; i++)
		w[i] = (uint32_t)b[i * 4] << 24 | (uint32_t)b[i * 4 + 1] << 16 |
		       (uint32_t)b[i * 4 + 2] << 8 | (uint32_t)b[i * 4 + 3];
	for (; i < 80; i++)
		w[i] = ROL(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
	a = h[0], bb = h[1], c = h[2], d = h[3], e = h[4];
	for (i = 0; i < 80; i++) {
		if (i < 20)
			f = (bb & c) | (~bb & d), k = 0x5A827999u;
		else if (i < 40)
			f = bb ^ c ^ d, k = 0x6ED9EBA1u;
		else if (i < 60)
			f = (bb & c) | (bb & d) | (c & d), k = 0x8F1BBCDCu;
		else
			f = bb ^ c ^ d, k = 0xCA62C1D6u;
		t = ROL(a, 5) + f + e + k + w[i];
		e = d, d = c, c = ROL(bb, 30), bb = a, a = t;
	}
	h[0] += a, h[1] += bb, h[2] += c, h[3] += d, h[4] += e;
}

void
bc_sha1_hex(char *out, const void *data, size_t len)
{
	uint32_t h[5] = {0x67452301u, 0xEFCDAB89u, 0x98BADCFEu, 0x10325476u,
			 0xC3D2E1F0u};
	const unsigned char *p = data;
	unsigned char tail[128];
	size_t rest = len % 64, full = len - rest, tl, i;
	uint64_t bits = (uint64_t)len * 8;

	for (i = 0; i < full; i += 64)
		sha1_block(h, p + i);
	memset(tail, 0, sizeof(tail));
	if (rest)
		memcpy(tail, p + full, rest);
	tail[rest] = 0x80;
	tl = rest < 56 ? 64 : 128;
	for (i = 0; i < 8; i++)
		tail[tl - 1 - i] = (unsigned char)(bits >> (8 * i));
	sha1_block(h, tail);
	if (tl == 128)
		sha1_block(h, tail + 64);
	for (i = 0; i < 5; i++)
		snprintf(out + i * 8, 9, "%08x", (unsigned)h[i]);
}

/* ---- requests and error bodies ----------------------------------------- */

int64_t
bc_query_int(const sb_request *req, const char *name, int64_t def)
{
	const char *v = sb_req_query(req, name);
	int64_t n;

	if (v == NULL || *v == '\0')
		return def;
	if (sb_parse_int(v, &n) != 0)
		return -1;
	return n;
}

void
bc_v2_error(sb_response *resp, int status, const char *message)
{
	sb_resp_json(resp, status,
		     json_pack("[{s:i, s:s}]", "status", status, "message",
			       message),
		     NULL);
}

void
bc_v3_error(sb_response *resp, int status, const char *title,
	    json_t *errors)
{
	sb_resp_json(resp, status,
		     json_pack("{s:i, s:s, s:s, s:o}", "status", status,
			       "title", title, "type",
			       "/api-docs/getting-started/api-status-codes",
			       "errors", errors ? errors : json_object()),
		     NULL);
}

int
bc_paging(const sb_request *req, sb_response *resp, int v3, int64_t *page,
	  int64_t *limit)
{
	*page = bc_query_int(req, "page", 1);
	*limit = bc_query_int(req, "limit", 50);
	if (*page < 1 || *limit < 1) {
		if (v3)
			bc_v3_error(resp, 422, "Invalid page or limit",
				    json_pack("{s:s}", "page",
					      "must be a positive integer"));
		else
			bc_v2_error(resp, 400,
				    "The page and limit parameters must be "
				    "positive integers.");
		return -1;
	}
	if (*limit > BC_PAGE_MAX) {
		if (v3)
			bc_v3_error(resp, 413,
				    "The limit is too large. The maximum "
				    "limit is 250",
				    NULL);
		else
			bc_v2_error(resp, 413,
				    "The limit is too large. The maximum "
				    "limit is 250.");
		return -1;
	}
	return 0;
}

json_t *
bc_pagination(int64_t total, int64_t count, int64_t page, int64_t limit)
{
	int64_t pages = total == 0 ? 0 : (total + limit - 1) / limit;
	char cur[64], prev[64], next[64];
	json_t *links;

	snprintf(cur, sizeof(cur), "?page=%lld&limit=%lld", (long long)page,
		 (long long)limit);
	links = json_pack("{s:s}", "current", cur);
	if (page > 1) {
		snprintf(prev, sizeof(prev), "?page=%lld&limit=%lld",
			 (long long)(page - 1), (long long)limit);
		json_object_set_new(links, "previous", json_string(prev));
	}
	if (page < pages) {
		snprintf(next, sizeof(next), "?page=%lld&limit=%lld",
			 (long long)(page + 1), (long long)limit);
		json_object_set_new(links, "next", json_string(next));
	}
	return json_pack("{s:{s:I, s:I, s:I, s:I, s:I, s:o}}", "pagination",
			 "total", (json_int_t)total, "count",
			 (json_int_t)count, "per_page", (json_int_t)limit,
			 "current_page", (json_int_t)page, "total_pages",
			 (json_int_t)pages, "links", links);
}

int
bc_list_has(const char *list, const char *item)
{
	size_t n = strlen(item);
	const char *p = list;

	while (p && *p) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);

		if (len == n && strncmp(p, item, n) == 0)
			return 1;
		p = end ? end + 1 : NULL;
	}
	return 0;
}
