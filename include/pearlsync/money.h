/*
 * money.h - amounts of money without floating point.
 *
 * BigCommerce sends money as decimal strings with up to four places
 * ("12.3400"); Brightpearl sends JSON numbers or strings with up to four.
 * A ps_money is a count of ten-thousandths of the currency unit, so both
 * round-trip exactly and sums are exact.  The range (+-9.2e14 units) is far
 * beyond any order.
 */
#ifndef PEARLSYNC_MONEY_H
#define PEARLSYNC_MONEY_H

#include <stddef.h>
#include <stdint.h>

typedef int64_t ps_money;

#define PS_MONEY_SCALE 10000 /* units of ps_money per currency unit */
#define PS_MONEY_STR_MAX 32  /* enough for any ps_money formatted */

/*
 * ps_money_parse - a decimal string ("12.34", "-0.5", "100", "1e2" is
 * refused) into *out.  At most four decimal places; more (non-zero) digits
 * are refused rather than rounded, so nothing is silently lost.  Leading
 * and trailing spaces are refused too.  Returns 0, PS_EPARSE (not a
 * number, the detail says why) or PS_ETOOBIG (out of range).
 */
int ps_money_parse(ps_money *out, const char *text);

/*
 * ps_money_format - write amount into buf with places decimals (0..4),
 * rounding half away from zero when places < 4 ("12.34" for places 2).
 * Returns buf.  cap must be at least PS_MONEY_STR_MAX.
 */
char *ps_money_format(char *buf, size_t cap, ps_money amount, int places);

/* ps_money_from_cents - 1234 -> 12.34 as ps_money. */
#define ps_money_from_cents(c) ((ps_money)(c) * (PS_MONEY_SCALE / 100))

#endif
