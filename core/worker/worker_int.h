/*
 * worker_int.h - declarations shared by the files of core/worker/ only.
 */
#ifndef PEARLSYNC_WORKER_INT_H
#define PEARLSYNC_WORKER_INT_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "pearlsync/http.h"
#include "pearlsync/store.h"

/* Largest webhook body the listener accepts. */
#define PS_WORKER__MAX_BODY ((size_t)256 * 1024)

/*
 * What one client may hold of the listener (see listener.c): connections
 * open at once from one address and in all, seconds a connection may stay
 * silent (headers or body), and milliseconds the whole body may take once
 * the headers are in.  A platform's delivery is one small request that
 * completes in milliseconds; these bound what an idle or slow client costs.
 */
#define PS_WORKER__LISTEN_PER_IP 32u
#define PS_WORKER__LISTEN_MAX_CONNECTIONS 256u
#define PS_WORKER__LISTEN_IDLE_TIMEOUT_S 5u
#define PS_WORKER__LISTEN_BODY_DEADLINE_MS 10000

typedef struct ps_listener ps_listener;

/*
 * What the worker and its listener know of the process, for /healthz and
 * /metrics: shared between the worker's thread (requests, auth) and the
 * listener's (deliveries, reads), so every field is read and written
 * under lock.  Counters run from the start of the process (Prometheus
 * counters; a restart resets them).  Times are unix ms, 0 = never.
 */
typedef enum ps_worker__auth {
	PS_WORKER__AUTH_UNKNOWN = 0, /* no answer from the platform yet */
	PS_WORKER__AUTH_OK,          /* the last answers were not 401/403 */
	PS_WORKER__AUTH_FAILED,      /* some answer of the last tick was */
} ps_worker__auth;

typedef struct ps_worker__platform_stats {
	int64_t requests[PS_HTTP_OUT_COUNT]; /* attempts by outcome */
	ps_worker__auth auth;
	int64_t auth_since;   /* when auth took its current value */
	int64_t throttled_at; /* last 429 (or dialect throttle) seen */
	/* the first of the current episode: after a pause longer than
	 * PS_THROTTLE_GAP_MS (anomalies.h) */
	int64_t throttled_since;
	int64_t hooks_received; /* deliveries stored (200) */
	int64_t hooks_refused;  /* deliveries answered 4xx/5xx */
	/* this tick's answers, until ps_worker__stats_tick_done */
	int64_t tick_auth;     /* 401/403 */
	int64_t tick_answered; /* any other answer from the platform */
	int tick_throttled;
} ps_worker__platform_stats;

typedef struct ps_worker__stats {
	pthread_mutex_t lock;
	int64_t started_at; /* the worker's start */
	ps_worker__platform_stats platform[PS_PLATFORM_MAX];
} ps_worker__stats;

/* ps_worker__stats_hooks - deliveries stored so far, every platform. */
int64_t ps_worker__stats_hooks(ps_worker__stats *s);

/* init: zeroes and makes the lock; dispose destroys it. */
void ps_worker__stats_init(ps_worker__stats *s, int64_t started_at);
void ps_worker__stats_dispose(ps_worker__stats *s);

/*
 * ps_worker__stats_requests - add count attempts of outcome for platform
 * (the worker, as it flushes the HTTP client's counts each tick).
 */
void ps_worker__stats_requests(ps_worker__stats *s, ps_platform platform,
			       ps_http_outcome outcome, int64_t count,
			       int64_t now);

/*
 * ps_worker__stats_tick_done - end of one flush: a platform that got a
 * 401/403 in it is "auth_failed", one that got other answers and none of
 * those is "ok"; platforms without requests keep their state.  Returns 1
 * when some platform's auth state or throttle time changed.
 */
int ps_worker__stats_tick_done(ps_worker__stats *s, int64_t now);

/* A webhook delivery to platform answered with status (the listener). */
void ps_worker__stats_delivery(ps_worker__stats *s, ps_platform platform,
			       unsigned status);

/* ps_worker__auth_name - "unknown", "ok", "auth_failed". */
const char *ps_worker__auth_name(ps_worker__auth a);

/*
 * ps_worker__health - the /healthz document into *out (caller frees) and
 * whether all is well (200) or not (503) into *out_status: the store
 * answers a query, the heartbeat is younger than PS_HEARTBEAT_STALE_MS
 * and not "stopped", no platform's auth failed.  st is the caller's
 * connection; stats may be NULL.  Returns 0 or PS_ENOMEM.
 */
int ps_worker__health(char **out, unsigned *out_status, ps_store *st,
		      ps_worker__stats *stats, int64_t now);

/*
 * ps_worker__metrics - the /metrics page (Prometheus text format 0.0.4)
 * into *out (caller frees).  A store failure is reported in the page
 * (pearlsync_store_up 0), not returned.  Returns 0 or PS_ENOMEM.
 */
int ps_worker__metrics(char **out, ps_store *st, ps_worker__stats *stats,
		       int64_t now);

/*
 * ps_worker__notify - send state ("READY=1", "STATUS=...", "WATCHDOG=1",
 * "STOPPING=1"; several separated by newlines) to the service manager at
 * $NOTIFY_SOCKET.  0 when sent or when there is no such variable;
 * PS_EINVAL (a malformed address) or PS_EIO.
 */
int ps_worker__notify(const char *state);

/*
 * ps_worker__watchdog_ms - $WATCHDOG_USEC in ms when it is meant for this
 * process ($WATCHDOG_PID absent or ours), else 0 (no watchdog).
 */
int64_t ps_worker__watchdog_ms(void);

/*
 * ps_worker__listener_start - bind address:port (port 0: any free port)
 * and serve /webhooks/<platform>[/...] on one internal thread with its own
 * store connection on db_path: each delivery goes to that platform's
 * webhook_accept (platform.h) and what it decodes is stored as an event.
 * clock gives received_at (unix ms).  PS_EIO if the bind fails.
 */
int ps_worker__listener_start(ps_listener **out, const char *db_path,
			      const char *address, int port,
			      const ps_clock *clock);

/*
 * ps_worker__listener_open - ps_worker__listener_start that also serves
 * GET /healthz and GET /metrics (monitor.c), with stats (borrowed; may be
 * NULL: store figures only) for the process's own counters, and counts
 * webhook deliveries into stats.
 */
int ps_worker__listener_open(ps_listener **out, const char *db_path,
			     const char *address, int port,
			     const ps_clock *clock, ps_worker__stats *stats);

/* The bound port. */
int ps_worker__listener_port(const ps_listener *l);

/* Stop the thread and free; NULL is fine. */
void ps_worker__listener_stop(ps_listener *l);

/* ---- the audit trail's choke point (audit_hook.c) --------------------- */

#include "pearlsync/flow.h"

/* Requests kept per attempt; more are counted in one summary row. */
#define PS_WORKER__AUDIT_REQUESTS 200

typedef struct ps_worker__audit_req {
	ps_platform platform;
	char method[8];
	char path[256];
	long status;
	int error;
	int64_t at, elapsed_ms, bytes;
} ps_worker__audit_req;

/* One attempt open while its flow performs. */
typedef struct ps_worker__audit_slot {
	int64_t attempt_id; /* 0: could not be recorded */
	int64_t entry_id;
	char outcome[48];
	char reason[PS_ERROR_MAX];
	char target[128];
} ps_worker__audit_slot;

/*
 * The worker's side of the audit trail (pearlsync/audit.h): the attempts
 * open now and the requests their flow made meanwhile.  Nothing here
 * ever fails an entry: a write that fails is logged and dropped.
 */
typedef struct ps_worker__audit {
	ps_store *st;                /* borrowed */
	const ps_clock *clock;       /* borrowed; wall ms */
	ps_worker__audit_slot *open; /* owned, PS_FLOW_BATCH_MAX of them */
	size_t nopen;
	ps_worker__audit_req *reqs; /* owned */
	size_t nreqs, dropped;
	int64_t next_prune; /* ms; 0: at the first tick */
} ps_worker__audit;

/* init: attach to http's observer (http may be NULL: no requests). */
int ps_worker__audit_init(ps_worker__audit *a, ps_store *st,
			  const ps_clock *clock, ps_http *http);
void ps_worker__audit_dispose(ps_worker__audit *a);
/* Open an attempt for each of v[0..k-1] before their flow performs. */
void ps_worker__audit_begin(ps_worker__audit *a, const ps_log_entry *v,
			    size_t k);
/*
 * What the i-th open attempt came to: code and res as the flow returned
 * them, the reason from ps_error_last() (left as it was).
 */
void ps_worker__audit_outcome(ps_worker__audit *a, size_t i, int code,
			      const ps_flow_result *res);
/* Write the open attempts' ends and their requests; close them. */
void ps_worker__audit_finish(ps_worker__audit *a);
/* Record a decoded event (inside the caller's transaction). */
void ps_worker__audit_event(ps_worker__audit *a, const ps_event *ev);
/* Prune by log.audit_keep_days, at most once a day. */
void ps_worker__audit_prune(ps_worker__audit *a, int64_t now);

#endif
