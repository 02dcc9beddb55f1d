/*
 * rate.c - DSCO's API metering, as the limiter's dialect.
 *
 * DSCO sends no budget headers that we know of; its API reference gives
 * per-endpoint limits instead (requests per second and per minute):
 *
 *	GET /order/page, GET /order/          10/s, 500/min
 *	POST /order/acknowledge               15/s, 1000/min
 *	POST /order/singleShipment            15/s, 300/min
 *	POST /invoice                         15/s, 1000/min
 *	POST /inventory/singleItem            5/s, 300/min
 *	anything else ("rate-limited")        no number given
 *
 * The limiter keeps one bucket per platform, so each limit becomes a
 * cost in one bucket of "units": the bucket refills DSCO_REFILL units a
 * second and holds DSCO_BURST, and an endpoint costs DSCO_REFILL divided
 * by its sustained rate per second.  Alone, each endpoint then runs at
 * its own per-minute limit, and bursts stay under its per-second one;
 * mixed traffic shares the bucket, which is the cautious reading.
 * Endpoints without a number cost as much as the order reads.  A 429 is
 * the throttle (ps_http retries it, honouring Retry-After).
 */
#include "rate_int.h"

#include <stddef.h>
#include <string.h>

#define DSCO_REFILL 100 /* units per second */
#define DSCO_BURST 120  /* units in a full bucket */

static const struct {
	const char *endpoint;
	long cost;
} costs[] = {
	{"order/page", 12},           /* 500/min: 8.3/s */
	{"order", 12},                /* 500/min */
	{"order/acknowledge", 7},     /* 1000/min, 15/s */
	{"order/singleShipment", 20}, /* 300/min: 5/s */
	{"invoice", 7},               /* 1000/min, 15/s */
	{"inventory/singleItem", 20}, /* 300/min, 5/s */
	{"oauth2/token", 1},          /* once an hour */
	{"hello", 1},
};

static long
dsco_rate__cost(const ps_http_request *req)
{
	size_t i;

	if (req->endpoint == NULL)
		return 12;
	for (i = 0; i < sizeof(costs) / sizeof(costs[0]); i++)
		if (strcmp(req->endpoint, costs[i].endpoint) == 0)
			return costs[i].cost;
	return 12;
}

const ps_http_dialect ps_dsco__rate_dialect = {
	.unit = "units",
	.read = NULL,
	.is_throttle = NULL,
	.throttle_hint_ms = NULL,
	.cost = dsco_rate__cost,
	.default_quota = DSCO_BURST,
	.default_refill_per_s = DSCO_REFILL,
	.default_window_ms = -1,
};
