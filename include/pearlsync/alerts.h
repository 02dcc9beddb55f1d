/*
 * alerts.h - what stops or slows the sync now, each with its fix, for the
 * console's dashboard and `pearlsync status` alike.
 *
 * The alerts are computed from what the store already holds about the
 * present: the worker's heartbeat, the settings, the platforms' cached
 * lists and connection tests, the webhook registrations, the API budgets
 * and the hourly request counters.  None reads the sync log (it may hold
 * millions of entries and the dashboard refreshes every two seconds); a
 * caller that has counted the failed entries passes the figure in.
 *
 * A platform switched off (its enabled setting) or never configured (no
 * connection setting given) is one the operator does not use: it raises
 * no alert.
 */
#ifndef PEARLSYNC_ALERTS_H
#define PEARLSYNC_ALERTS_H

#include <stddef.h>
#include <stdint.h>

#include "pearlsync/store.h"

/* How bad, in the order alerts are listed (worst first). */
typedef enum ps_alert_level {
	PS_ALERT_ERROR = 0, /* work stops: nothing (or a flow) syncs */
	PS_ALERT_WARNING,   /* work is slowed or partly lost */
	PS_ALERT_LEVEL_COUNT
} ps_alert_level;

/* The most alerts kept; more are counted in ps_alerts.dropped. */
#define PS_ALERTS_MAX 32

typedef struct ps_alert {
	ps_alert_level level;
	/* what is wrong, for the operator: "Import orders is off: no
	 * BigCommerce order is imported" */
	char what[200];
	/* how to fix it, naming the key or the command: "pearlsync settings
	 * set bigcommerce.orders.enabled true (console: setup, Order sync)"
	 */
	char fix[200];
} ps_alert;

typedef struct ps_alerts {
	ps_alert v[PS_ALERTS_MAX]; /* worst first, then in the order found */
	size_t n;
	size_t dropped; /* alerts past PS_ALERTS_MAX */
} ps_alerts;

typedef struct ps_alerts_options {
	/* failed sync log entries, counted by the caller; -1: not known
	 * (no alert about them) */
	int64_t failed;
} ps_alerts_options;

#define PS_ALERTS_OPTIONS_INIT                                                 \
	{                                                                      \
		-1                                                             \
	}

/*
 * ps_alerts_load - every alert of st as of now (unix ms) into out
 * (caller's storage, overwritten).  opts may be NULL (defaults).
 * Returns 0 or a store PS_E* (out then holds what was found before).
 */
int ps_alerts_load(ps_alerts *out, ps_store *st, int64_t now,
		   const ps_alerts_options *opts);

/* ps_alert_level_name - "error", "warning" (static). */
const char *ps_alert_level_name(ps_alert_level level);

#endif
