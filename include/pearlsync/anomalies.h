/*
 * anomalies.h - figures far from the usual: the alerts (alerts.h), the
 * worker's /metrics and the daily report read the same evaluation.
 *
 * Four kinds, each with its threshold among the "alerts." settings:
 *
 *   order_drop      a flow's order imports in the last hour below
 *                   alerts.order_drop_percent of the median for the same
 *                   hour of the day over the past alerts.history_days
 *                   days; only once the log holds half that many days and
 *                   when that hour usually brings at least
 *                   alerts.order_min_usual orders;
 *   failure_spike   a flow's failed share in the last hour above its share
 *                   over the past alerts.history_days days by
 *                   alerts.failure_spike_points percentage points, with at
 *                   least alerts.failure_min failures;
 *   throttled       a platform throttling us without a pause of
 *                   PS_THROTTLE_GAP_MS for alerts.throttle_seconds;
 *   zero_stock      a flow's last inventory pass (ps_stock_pass_record)
 *                   setting alerts.zero_stock_skus SKUs or more to zero.
 *
 * "The last hour" is the current hour's bucket plus the share of the
 * previous one the 60 minutes still cover (the log is counted by hour:
 * table log_hourly); a past day's window is weighted the same way, so the
 * comparison holds at any minute.  Everything is read from maintained
 * rows: a few hundred hourly buckets, one cache row per flow, the
 * worker's platform record.  Never the log.
 */
#ifndef PEARLSYNC_ANOMALIES_H
#define PEARLSYNC_ANOMALIES_H

#include <stddef.h>
#include <stdint.h>

#include "pearlsync/store.h"

/* A pause in throttle answers longer than this ends an episode. */
#define PS_THROTTLE_GAP_MS (5 * 60 * 1000LL)

/* A pass older than this raises no zero_stock alert any more. */
#define PS_STOCK_PASS_FRESH_MS (24 * 3600 * 1000LL)

typedef enum ps_anomaly_kind {
	PS_ANOMALY_ORDER_DROP = 0,
	PS_ANOMALY_FAILURE_SPIKE,
	PS_ANOMALY_THROTTLED,
	PS_ANOMALY_ZERO_STOCK,
	PS_ANOMALY_KIND_COUNT
} ps_anomaly_kind;

typedef struct ps_anomaly {
	ps_anomaly_kind kind;
	char subject[64]; /* the flow's name, or the platform's */
	int active;       /* past its threshold */
	/*
	 * order_drop: orders in the last hour, usual: the median, threshold:
	 * the order count below which it is an anomaly; failure_spike: the
	 * failed share (0..1), usual: the past days' share, threshold: the
	 * share above which it is one; throttled: seconds throttled, usual
	 * 0, threshold alerts.throttle_seconds; zero_stock: SKUs zeroed by
	 * the last pass, usual 0, threshold alerts.zero_stock_skus.
	 */
	double value, usual, threshold;
	int64_t count, total; /* failure_spike: failed of finished; the
			       * last pass's zeroed of products */
	int64_t since;        /* throttled: episode start; zero_stock: the
			       * pass (ms) */
	int days;             /* order_drop: days the median is of */
	char detail[128];     /* zero_stock: the first SKUs zeroed */
} ps_anomaly;

#define PS_ANOMALIES_MAX 64

typedef struct ps_anomalies {
	ps_anomaly v[PS_ANOMALIES_MAX]; /* every evaluation, active or not */
	size_t n;
} ps_anomalies;

/*
 * ps_anomalies_load - evaluate every kind for every flow or platform it
 * applies to (the flows with orders in the compared hours, the flows that
 * finished entries, the platforms throttled, the flows that recorded an
 * inventory pass) as of now (ms) into out.  Returns 0 or a store PS_E*.
 */
int ps_anomalies_load(ps_anomalies *out, ps_store *st, int64_t now);

/* ps_anomaly_kind_name - "order_drop", ... (static). */
const char *ps_anomaly_kind_name(ps_anomaly_kind kind);

/*
 * ps_anomaly_describe - one line for an operator (what, then the figures)
 * into what, and the fix into fix.
 */
void ps_anomaly_describe(const ps_anomaly *a, char *what, size_t what_cap,
			 char *fix, size_t fix_cap);

/*
 * ps_stock_pass_record - an inventory flow's pass over every product
 * ended: products compared, zeroed of them set to zero from a positive
 * level, skus the first of those (comma-separated, may be NULL).  Kept in
 * the cache row "stock_pass.<flow>" (the last pass only).  Any flow that
 * writes stock levels calls it after a full pass.  Returns 0 or PS_E*.
 */
int ps_stock_pass_record(ps_store *st, const char *flow, int64_t now,
			 int64_t products, int64_t zeroed, const char *skus);

#endif
