/*
 * alerts.h - what stops or slows the sync now, each with its fix, for the
 * console's dashboard and `pearlsync status` alike.
 *
 * The alerts are computed from what the store already holds about the
 * present: the worker's heartbeat, the settings, the platforms' cached
 * lists and connection tests, the webhook registrations, the API budgets,
 * the hourly request counters and what the worker recorded of each
 * platform's authentication, and the anomalies (anomalies.h: order rate,
 * failure rate, throttling, stock zeroed) from the log's hourly buckets.  None
 * scans the sync log (it may hold millions of entries and the dashboard
 * refreshes every two seconds): a caller that has counted the failed entries
 * passes the figure in, and only while a platform's refused credentials are
 * unchanged are the failed entries of its flows counted for those parked.
 *
 * A platform switched off (its enabled setting) or never configured (no
 * connection setting given) is one the operator does not use: it raises
 * no alert.
 */
#ifndef PEARLSYNC_ALERTS_H
#define PEARLSYNC_ALERTS_H

#include <stddef.h>
#include <stdint.h>

#include "pearlsync/platform.h"
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

/*
 * What the worker recorded of one platform's authentication: the state of
 * its last answers (cache row "worker.platforms", rewritten when it
 * changes) and whether credentials it refused are still the ones set (the
 * cursor PS_AUTH_REFUSED_CURSOR "<platform>", holding their fingerprint
 * until they change).  While they are, the flows that need the platform
 * hold and their due entries are parked; both outlive a restart, the
 * answers' state does not.
 */
#define PS_AUTH_REFUSED_CURSOR "auth.refused."

typedef struct ps_auth_state {
	const char *auth;        /* "unknown", "ok", "auth_failed" (static) */
	int64_t auth_since_ms;   /* when auth last changed; 0: never */
	int64_t throttled_at_ms; /* the last throttle answer; 0: never */
	/* the first throttle answer after a pause of PS_THROTTLE_GAP_MS
	 * (anomalies.h): when the current episode began; 0: never */
	int64_t throttled_since_ms;
	int waiting;   /* refused credentials not changed yet */
	size_t parked; /* entries waiting for new credentials (waiting only;
			* counted when asked) */
} ps_auth_state;

/*
 * ps_auth_states_load - every platform's recorded state into out, indexed
 * by ps_platform (unknown, not waiting when nothing was recorded).  With
 * count_parked, also the parked entries of each waiting platform's flows
 * (their FAILED entries are read).  The one reader of what the worker
 * records, for the alerts, `pearlsync status` and /healthz.  Returns 0 or
 * a store PS_E*.
 */
int ps_auth_states_load(ps_auth_state out[PS_PLATFORM_MAX], ps_store *st,
			int count_parked);

/* ps_alert_level_name - "error", "warning" (static). */
const char *ps_alert_level_name(ps_alert_level level);

#endif
