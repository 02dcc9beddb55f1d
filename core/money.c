/*
 * money.c - decimal text to and from fixed-point ps_money.
 */
#include "internal.h"
#include "pearlsync/money.h"

#include <stdio.h>

int
ps_money_parse(ps_money *out, const char *text)
{
	const char *p = text;
	int negative = 0, places = 0, digits = 0;
	int64_t whole = 0, frac = 0;

	if (text == NULL || *text == '\0')
		return ps_error_set(PS_EPARSE, "empty amount");
	if (*p == '-' || *p == '+')
		negative = *p++ == '-';
	for (; *p >= '0' && *p <= '9'; p++, digits++) {
		if (whole > (INT64_MAX / PS_MONEY_SCALE - (*p - '0')) / 10)
			goto too_big;
		whole = whole * 10 + (*p - '0');
	}
	if (*p == '.') {
		for (p++; *p >= '0' && *p <= '9'; p++, digits++) {
			if (places < 4) {
				frac = frac * 10 + (*p - '0');
				places++;
			} else if (*p != '0') {
				return ps_error_set(
					PS_EPARSE,
					"amount '%.40s' has more than four "
					"decimal places",
					text);
			}
		}
	}
	if (*p != '\0' || digits == 0)
		return ps_error_set(PS_EPARSE, "'%.40s' is not an amount",
				    text);
	for (; places < 4; places++)
		frac *= 10;
	if (whole == INT64_MAX / PS_MONEY_SCALE &&
	    frac > INT64_MAX % PS_MONEY_SCALE)
		goto too_big;
	*out = (whole * PS_MONEY_SCALE + frac) * (negative ? -1 : 1);
	return 0;
too_big:
	return ps_error_set(PS_ETOOBIG, "amount '%.40s' is too large", text);
}

char *
ps_money_format(char *buf, size_t cap, ps_money amount, int places)
{
	static const int64_t div[] = {10000, 1000, 100, 10, 1};
	uint64_t mag;
	int negative = amount < 0;
	int64_t step;

	if (places < 0)
		places = 0;
	if (places > 4)
		places = 4;
	mag = negative ? (uint64_t)0 - (uint64_t)amount : (uint64_t)amount;
	step = div[places];
	mag = (mag + (uint64_t)step / 2) / (uint64_t)step; /* half away */
	if (places == 0) {
		snprintf(buf, cap, "%s%llu", negative && mag ? "-" : "",
			 (unsigned long long)mag);
	} else {
		uint64_t scale = (uint64_t)(PS_MONEY_SCALE / step);
		snprintf(buf, cap, "%s%llu.%0*llu", negative && mag ? "-" : "",
			 (unsigned long long)(mag / scale), places,
			 (unsigned long long)(mag % scale));
	}
	return buf;
}
