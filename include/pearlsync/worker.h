/*
 * worker.h - the worker: the loop that runs the sync flows.
 *
 * One ps_worker owns, for one process: the flows' state, the HTTP client
 * and connectors built from the stored settings (connect.h), the webhook
 * listener thread, and the schedule.  Each tick it
 *
 *   1. writes the heartbeat row (pid, started, beat, state);
 *   2. carries out operator requests (retry, pause, resume, run now);
 *   3. hands new webhook events to every flow's on_event, one transaction
 *      per event, and marks each processed;
 *   4. polls each enabled flow whose interval has passed;
 *   5. claims due log entries and performs them one at a time, recording
 *      synced / failed with backoff / failed waiting for the operator /
 *      pending waiting for a setting (ps_flow_classify);
 *   6. flushes the HTTP counters into the store.
 *
 * Time: the worker reads the wall clock (unix ms) and sleeps only through
 * options.clock, so tests run ticks against a fake clock without sleeping.
 * The HTTP client it builds (options.connect) gets a clock of its own that
 * keeps options.http's time (NULL: the system clock) but refreshes the
 * heartbeat at least every 5 s while the client waits (rate limiter, retry
 * backoff), with the state "...; waiting for a platform's rate limit or
 * retry backoff", unless a store transaction is open at that moment.
 *
 * Retry schedule of a transient failure after attempt n (n = the entry's
 * attempts, 1 for the first): d = min(backoff_cap_ms,
 * backoff_base_ms * 2^(n-1)); the next attempt is at now + d/2 + r mod
 * (d/2 + 1), r from options.random.  After sync.max_attempts attempts the
 * entry fails and waits for the operator.  While a platform a flow needs
 * is down (the HTTP client's circuit breaker for it is open) the flow's
 * due entries are not claimed; a transient failure then is due again when
 * the breaker lets a probe through, without a backoff step and without
 * giving up; at that time one entry is claimed as the probe, and the rest
 * follow once the platform answers.
 *
 * Flows: a flow's init is called the first time the worker needs it (its
 * first event, poll or entry), which for a flow that is switched on and
 * connected is the first tick: the place for start-up work such as
 * registering the flow's own webhooks.
 *
 * Service: ps_worker_run tells systemd what it does when $NOTIFY_SOCKET is
 * set (READY=1 after start, STATUS= lines, WATCHDOG=1 every half of
 * $WATCHDOG_USEC, STOPPING=1 once the stop flag is seen); the listener
 * also answers GET /healthz and /metrics (Prometheus text) from the
 * worker's counters and the store.  Each tick the worker records its
 * flows' polls and the platforms' auth state in the cache rows
 * "worker.flows" and "worker.platforms" for `pearlsync status`, and the
 * API budgets' pacing in PS_WORKER_PACING_CACHE for the console.
 *
 * Pacing: while orders arrive often or a platform's budget is short (the
 * HTTP client is pacing it), a flow that can batch holds its due entries
 * up to sync.batch_hold_ms so a batch forms; while a budget is short and
 * new orders have work, flows of a lower priority class on that platform
 * wait (flow.h: ps_flow_ops.priority).
 *
 * Threads: the worker runs on the caller's thread; the listener has its own
 * thread and its own store connection, inserts events and reads for
 * /healthz and /metrics; the counters they share are under a lock.
 */
#ifndef PEARLSYNC_WORKER_H
#define PEARLSYNC_WORKER_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "pearlsync/config.h"
#include "pearlsync/flow.h"
#include "pearlsync/http.h"
#include "pearlsync/platform.h"
#include "pearlsync/store.h"

typedef struct ps_worker ps_worker;

typedef struct ps_worker_options {
	/*
	 * Wall time: now_ms returns UNIX milliseconds (not monotonic), and
	 * sleep_ms waits between ticks.  NULL: the real clock.
	 */
	const ps_clock *clock;
	/* Jitter for the retry schedule.  NULL: ps_random_system(). */
	const ps_random *random;
	/* The flows to run, NULL-terminated.  NULL: ps_flows_all(). */
	const ps_flow_ops *const *flows;
	/* Time between ticks when idle (ms, > 0). */
	int64_t tick_ms;
	/* Non-zero: finish the entry in hand and return.  May be NULL. */
	const volatile sig_atomic_t *stop;
	/* Non-zero: run the webhook listener (config's address and port). */
	int listen;
	/* Non-zero: register and re-activate the platforms' hooks
	 * (platform.h, hooks_sync) when webhooks.public_url is set. */
	int register_hooks;
	/* Seconds between hook checks after the first (at start). */
	int64_t hooks_interval_ms;
	/* Retry schedule (see the top of this file). */
	int64_t backoff_base_ms;
	int64_t backoff_cap_ms;
	/* Entries claimed per store round trip (0: PS_FLOW_BATCH_MAX). */
	size_t claim_batch;
	/* Due entries at or above which flows are told to batch (backlog). */
	size_t backlog_threshold;
	/*
	 * Connectors to use instead of building them from the settings
	 * (tests), by platform id (platform.h).  Borrowed.  When all are
	 * NULL and connect is non-zero the worker connects every registered
	 * platform (ps_platforms_connect) each time the settings change.
	 */
	void *conn[PS_PLATFORM_MAX];
	int connect;
	/* The HTTP client's retry policy (NULL: defaults); see connect.h. */
	const ps_http_options *http;
	/*
	 * With conn: the client they send through (borrowed), whose
	 * circuit breakers hold a flow's entries while a platform it needs
	 * is down.  NULL: entries are not held.
	 */
	const ps_http *http_client;
} ps_worker_options;

/*
 * The cache row (ps_store_cache_get) the worker keeps each tick: a JSON
 * object, per platform whose budget is known, {"left", "quota",
 * "window_ms", "rate" (units a second while pacing, 0 otherwise),
 * "short" (pacing now), "waiting" (flows held back for new orders),
 * "holding" (flows holding due entries for a batch)}.
 */
#define PS_WORKER_PACING_CACHE "worker.pacing"

/* How old the pacing row may be before its readers ignore it (ms). */
#define PS_WORKER_PACING_FRESH_MS 30000

/* One platform's part of the pacing row, as ps_worker_pacing_load reads it. */
typedef struct ps_worker_pacing {
	int known;           /* the row names this platform */
	int short_budget;    /* pacing now */
	int64_t left, quota; /* budget units left, the window's whole */
	int64_t window_ms;   /* the budget's window */
	double rate;         /* units a second while pacing, 0 otherwise */
	char waiting[160];   /* "notes_bc, stock_bc": held back for orders */
	char holding[160];   /* flows holding due entries for a batch */
	size_t nwaiting, nholding;
} ps_worker_pacing;

/*
 * ps_worker_pacing_load - the worker's pacing row into out, indexed by
 * ps_platform; all unknown when the row is missing, unreadable or older
 * than PS_WORKER_PACING_FRESH_MS at now.  The one reader of that row, for
 * `pearlsync status`, the console's dashboard and /metrics.  Flow lists
 * longer than their buffers end with "...".  Returns 0 or a store PS_E*.
 */
int ps_worker_pacing_load(ps_worker_pacing out[PS_PLATFORM_MAX], ps_store *st,
			  int64_t now);

/*
 * ps_worker_pacing_describe - "3.3 requests/s; waiting: notes_bc;
 * holding: order_import_bc" into buf (cap bytes, truncated, always
 * terminated).  Returns buf.
 */
char *ps_worker_pacing_describe(char *buf, size_t cap,
				const ps_worker_pacing *p);

#define PS_WORKER_OPTIONS_INIT                                                 \
	{                                                                      \
		.tick_ms = 1000, .hooks_interval_ms = 300000,                  \
		.backoff_base_ms = 30000, .backoff_cap_ms = 3600000,           \
		.backlog_threshold = 50, .connect = 1,                         \
	}

/*
 * ps_worker_new - a worker over store (borrowed: it must outlive the
 * worker; the worker uses it from the calling thread only) and a copy of
 * cfg.  Calls every flow's init.  With options->listen the listener is
 * started here (its own store connection on cfg->db_path), so a bind
 * failure is reported at once (PS_EIO naming address and port).  *out is
 * NULL on failure.  Returns 0, PS_EINVAL, PS_ENOMEM, PS_EIO or the error of
 * a flow's init.
 */
int ps_worker_new(ps_worker **out, ps_store *store, const ps_config *cfg,
		  const ps_worker_options *options);

/*
 * ps_worker_free - stop the listener, call the flows' fini, free.  Writes
 * nothing (ps_worker_run writes the "stopped" heartbeat).  NULL is fine.
 */
void ps_worker_free(ps_worker *w);

/*
 * ps_worker_listen_port - the port the listener is bound to (useful when
 * the config asks for port 0: any free port), or 0 without a listener.
 */
int ps_worker_listen_port(const ps_worker *w);

/*
 * ps_worker_start - what happens once when a worker starts: in-flight
 * entries left by a previous process become due again
 * (ps_store_recover_interrupted), the heartbeat is written "starting".
 * ps_worker_run and ps_worker_run_once call it; tests may call it alone.
 */
int ps_worker_start(ps_worker *w);

/*
 * ps_worker_tick - one tick (steps 1-6 above), performing at most one
 * claim batch of due entries.  Returns 0 or the first store error (a
 * flow's failure is recorded on its entry, not returned).
 */
int ps_worker_tick(ps_worker *w);

/*
 * ps_worker_run - ps_worker_start, then ticks until *options.stop is set,
 * sleeping tick_ms between idle ticks; then writes the heartbeat state
 * "stopped".  Store errors are logged and the loop goes on (the database
 * may be busy for a moment).  Returns 0 once stopped.
 */
int ps_worker_run(ps_worker *w);

/*
 * ps_worker_run_once - ps_worker_start, then one full pass: requests,
 * events, a poll of every enabled flow, and due entries until none is due
 * (entries whose retry is scheduled later are left); then the heartbeat
 * "stopped".  *out_failed (may be NULL) receives how many entries failed
 * or were left pending during the pass.  Returns 0 or a store error.
 */
int ps_worker_run_once(ps_worker *w, size_t *out_failed);

/*
 * ps_worker_sync_flow - for `pearlsync sync-once FLOW`: poll that flow once
 * (even when its enabled setting is off) and perform its due entries until
 * none is due.  First, unless a worker is running (its heartbeat younger
 * than 15 s and not "stopped"), entries left in flight by a crashed run
 * are made due again (ps_store_recover_interrupted); the heartbeat is not
 * written.  *out_failed as above.  PS_ENOTFOUND if no flow has that
 * name or alias.
 */
int ps_worker_sync_flow(ps_worker *w, const char *flow, size_t *out_failed);

/*
 * ps_worker_retry_delay - the wait before the next attempt after attempt
 * number `attempt` failed transiently (see the top of this file); r is the
 * random value.  Exposed for tests and the documentation.
 */
int64_t ps_worker_retry_delay(int64_t base_ms, int64_t cap_ms, int attempt,
			      uint64_t r);

#endif
