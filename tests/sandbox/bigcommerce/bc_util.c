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
static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
				     "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

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
	const char *zone_start = p;
	int sign, hh, mm;

	while (*p == ' ')
		p++;
	*offset = 0;
	if (*p == '\0' || strcmp(p, "Z") == 0 || strcmp(p, "GMT") == 0 ||
	    strcmp(p, "UTC") == 0)
		return 0;
	/* An unencoded "+0000" in a query string arrives as " 0000". */
	if (isdigit((unsigned char)*p) && p > zone_start && p[-1] == ' ')
		sign = 1;
	else if (*p != '+' && *p != '-')
		return -1;
	else
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
	*out = (time_t)(days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 +
			se - off);
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
	sb_resp_json(
		resp, status,
		json_pack("[{s:i, s:s}]", "status", status, "message", message),
		NULL);
}

void
bc_v3_error(sb_response *resp, int status, const char *title, json_t *errors)
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
			 "total", (json_int_t)total, "count", (json_int_t)count,
			 "per_page", (json_int_t)limit, "current_page",
			 (json_int_t)page, "total_pages", (json_int_t)pages,
			 "links", links);
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

/* ---- SHA-256, HMAC and base64 for Standard Webhooks signatures --------- */

static const uint32_t k256[64] = {
	0x428a2f98u, 0x71374491u, 0xb5c0fbcfu, 0xe9b5dba5u, 0x3956c25bu,
	0x59f111f1u, 0x923f82a4u, 0xab1c5ed5u, 0xd807aa98u, 0x12835b01u,
	0x243185beu, 0x550c7dc3u, 0x72be5d74u, 0x80deb1feu, 0x9bdc06a7u,
	0xc19bf174u, 0xe49b69c1u, 0xefbe4786u, 0x0fc19dc6u, 0x240ca1ccu,
	0x2de92c6fu, 0x4a7484aau, 0x5cb0a9dcu, 0x76f988dau, 0x983e5152u,
	0xa831c66du, 0xb00327c8u, 0xbf597fc7u, 0xc6e00bf3u, 0xd5a79147u,
	0x06ca6351u, 0x14292967u, 0x27b70a85u, 0x2e1b2138u, 0x4d2c6dfcu,
	0x53380d13u, 0x650a7354u, 0x766a0abbu, 0x81c2c92eu, 0x92722c85u,
	0xa2bfe8a1u, 0xa81a664bu, 0xc24b8b70u, 0xc76c51a3u, 0xd192e819u,
	0xd6990624u, 0xf40e3585u, 0x106aa070u, 0x19a4c116u, 0x1e376c08u,
	0x2748774cu, 0x34b0bcb5u, 0x391c0cb3u, 0x4ed8aa4au, 0x5b9cca4fu,
	0x682e6ff3u, 0x748f82eeu, 0x78a5636fu, 0x84c87814u, 0x8cc70208u,
	0x90befffau, 0xa4506cebu, 0xbef9a3f7u, 0xc67178f2u};

#define ROR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

static void
sha256_block(uint32_t h[8], const unsigned char *b)
{
	uint32_t w[64], s[8], t1, t2;
	int i;

	for (i = 0; i < 16; i++)
		w[i] = (uint32_t)b[i * 4] << 24 | (uint32_t)b[i * 4 + 1] << 16 |
		       (uint32_t)b[i * 4 + 2] << 8 | (uint32_t)b[i * 4 + 3];
	for (; i < 64; i++)
		w[i] = w[i - 16] +
		       (ROR(w[i - 15], 7) ^ ROR(w[i - 15], 18) ^
			(w[i - 15] >> 3)) +
		       w[i - 7] +
		       (ROR(w[i - 2], 17) ^ ROR(w[i - 2], 19) ^
			(w[i - 2] >> 10));
	memcpy(s, h, sizeof(s));
	for (i = 0; i < 64; i++) {
		t1 = s[7] + (ROR(s[4], 6) ^ ROR(s[4], 11) ^ ROR(s[4], 25)) +
		     ((s[4] & s[5]) ^ (~s[4] & s[6])) + k256[i] + w[i];
		t2 = (ROR(s[0], 2) ^ ROR(s[0], 13) ^ ROR(s[0], 22)) +
		     ((s[0] & s[1]) ^ (s[0] & s[2]) ^ (s[1] & s[2]));
		memmove(s + 1, s, 7 * sizeof(uint32_t));
		s[4] += t1;
		s[0] = t1 + t2;
	}
	for (i = 0; i < 8; i++)
		h[i] += s[i];
}

/* SHA-256 of the concatenation a || b (b may be NULL). */
static void
sha256_two(unsigned char out[32], const unsigned char *a, size_t alen,
	   const unsigned char *b, size_t blen)
{
	uint32_t h[8] = {0x6a09e667u, 0xbb67ae85u, 0x3c6ef372u, 0xa54ff53au,
			 0x510e527fu, 0x9b05688cu, 0x1f83d9abu, 0x5be0cd19u};
	unsigned char blk[64];
	size_t fill = 0, i, total = alen + blen;
	uint64_t bits = (uint64_t)total * 8;

	for (i = 0; i < total; i++) {
		blk[fill++] = i < alen ? a[i] : b[i - alen];
		if (fill == 64) {
			sha256_block(h, blk);
			fill = 0;
		}
	}
	blk[fill++] = 0x80;
	if (fill > 56) {
		memset(blk + fill, 0, 64 - fill);
		sha256_block(h, blk);
		fill = 0;
	}
	memset(blk + fill, 0, 56 - fill);
	for (i = 0; i < 8; i++)
		blk[63 - i] = (unsigned char)(bits >> (8 * i));
	sha256_block(h, blk);
	for (i = 0; i < 8; i++) {
		out[i * 4] = (unsigned char)(h[i] >> 24);
		out[i * 4 + 1] = (unsigned char)(h[i] >> 16);
		out[i * 4 + 2] = (unsigned char)(h[i] >> 8);
		out[i * 4 + 3] = (unsigned char)h[i];
	}
}

void
bc_hmac_sha256(unsigned char out[32], const void *key, size_t klen,
	       const void *msg, size_t mlen)
{
	unsigned char k[64], ipad[64], opad[64], inner[32];
	size_t i;

	memset(k, 0, sizeof(k));
	if (klen > 64)
		sha256_two(k, key, klen, NULL, 0);
	else
		memcpy(k, key, klen);
	for (i = 0; i < 64; i++) {
		ipad[i] = k[i] ^ 0x36;
		opad[i] = k[i] ^ 0x5c;
	}
	sha256_two(inner, ipad, 64, msg, mlen);
	sha256_two(out, opad, 64, inner, 32);
}

void
bc_base64(char *out, size_t outlen, const unsigned char *in, size_t len)
{
	static const char tab[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrs"
		"tuvwxyz0123456789+/";
	size_t i, o = 0;

	for (i = 0; i < len && o + 5 <= outlen; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16;

		if (i + 1 < len)
			v |= (uint32_t)in[i + 1] << 8;
		if (i + 2 < len)
			v |= in[i + 2];
		out[o++] = tab[(v >> 18) & 63];
		out[o++] = tab[(v >> 12) & 63];
		out[o++] = i + 1 < len ? tab[(v >> 6) & 63] : '=';
		out[o++] = i + 2 < len ? tab[v & 63] : '=';
	}
	out[o] = '\0';
}
