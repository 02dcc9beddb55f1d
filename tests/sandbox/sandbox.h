/*
 * sandbox.h - the internal API of pearlsync-sandbox.
 *
 * One process serves every simulated platform on one libmicrohttpd daemon.
 * The framework (server.c, framework.c, deliver.c, main.c) owns the daemon,
 * the command-line options, request parsing, the control API under
 * /_sandbox/, request counters, fault injection, rate-limit windows and the
 * queue of outbound webhook deliveries.  A platform (bp_*.c, bc_*.c, later
 * dsco and shiphero) registers itself with sb_platform_add() from its
 * sb_<code>_register() function and then only sees parsed requests for its
 * own URL prefix (/brightpearl, /bigcommerce, ...) and its own control calls
 * (/_sandbox/<name>/...).
 *
 * Threads: the daemon runs one thread per connection.  Every platform
 * callback (handle, control, reset, on_delivery) is called with the
 * sandbox's one mutex held, so platform state needs no locking of its own.
 * The framework releases the mutex while it sleeps for injected latency or
 * stalls and while the delivery thread talks to a webhook receiver.
 *
 * Nothing in here is part of pearlsync's public API: names use the sb_
 * prefix rather than ps_.
 */
#ifndef PEARLSYNC_SANDBOX_H
#define PEARLSYNC_SANDBOX_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <jansson.h>

typedef struct sb_sandbox sb_sandbox;
typedef struct sb_platform sb_platform;

/* Largest request body accepted; larger ones get 413. */
#define SB_MAX_BODY (8u * 1024u * 1024u)
/* Most path parameters one route pattern may capture. */
#define SB_MAX_PARAMS 8
/* Most headers (and query pairs) kept for one request. */
#define SB_MAX_PAIRS 64

/* ---- seeded PRNG (splitmix64) ------------------------------------------- */

typedef struct sb_rng {
	uint64_t state;
} sb_rng;

void sb_rng_seed(sb_rng *r, uint64_t seed);
uint64_t sb_rng_next(sb_rng *r);
/* A double in [0, 1). */
double sb_rng_unit(sb_rng *r);

/* ---- time --------------------------------------------------------------- */

/* Monotonic clock in milliseconds (for windows and schedules). */
int64_t sb_now_ms(void);
/*
 * sb_iso_now - the current wall-clock time (UTC) as ISO-8601 with
 * milliseconds: "2026-11-22T14:03:07.123+00:00", or "...07.123Z" when
 * utc_z != 0.  Writes into buf (at least 40 bytes) and returns it.
 */
const char *sb_iso_now(char *buf, size_t len, int utc_z);

/* ---- requests and responses --------------------------------------------- */

typedef struct sb_pair {
	char *name;  /* owned; header names as received */
	char *value; /* owned; query values URL-decoded */
} sb_pair;

typedef struct sb_request {
	const char *method; /* "GET", "POST", ... (borrowed from MHD) */
	const char *url;    /* full path as received, without the query */
	const char *path;   /* url after the platform prefix ("" or "/...") */
	sb_pair headers[SB_MAX_PAIRS];
	size_t nheaders;
	sb_pair query[SB_MAX_PAIRS]; /* in arrival order, decoded */
	size_t nquery;
	char *body; /* owned, NUL-terminated, may be NULL when empty */
	size_t body_len;
	/* Filled by sb_route_match(): captured "{name}" segments, decoded. */
	const char *params[SB_MAX_PARAMS];
	size_t nparams;
	char param_buf[2048];
	/* The counter key for this request, set by the router or handler,
	 * e.g. "GET /order-service/order/{idset}"; NULL counts as "other". */
	const char *endpoint;
} sb_request;

/* Case-insensitive header lookup; borrowed value or NULL. */
const char *sb_req_header(const sb_request *req, const char *name);
/* Query lookup (case-sensitive, first match); borrowed or NULL. */
const char *sb_req_query(const sb_request *req, const char *name);
/*
 * sb_req_json - parse the request body as JSON.  New reference, or NULL
 * with *err (optional) describing the problem when the body is absent or
 * malformed.
 */
json_t *sb_req_json(const sb_request *req, const char **err);

typedef struct sb_response {
	int status;
	char *body; /* owned (malloc) or NULL */
	size_t body_len;
	sb_pair headers[SB_MAX_PAIRS];
	size_t nheaders;
	/* Fault effects, applied by the server when the reply is queued. */
	int drop;        /* close the connection without a reply */
	int truncate;    /* announce the full length, send half, close */
	int64_t hold_ms; /* set by a handler: wait this long (unlocked) first */
} sb_response;

/*
 * Response builders.  Each replaces any body already set; headers
 * accumulate.  sb_resp_json steals the reference to value and serialises it
 * compactly with content type ctype (NULL means "application/json").
 */
void sb_resp_json(sb_response *resp, int status, json_t *value,
		  const char *ctype);
void sb_resp_text(sb_response *resp, int status, const char *ctype,
		  const char *text);
void sb_resp_empty(sb_response *resp, int status);
/* Add (or, with replace != 0, replace) a header; printf-style value. */
void sb_resp_header(sb_response *resp, int replace, const char *name,
		    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
const char *sb_resp_get_header(const sb_response *resp, const char *name);
void sb_resp_dispose(sb_response *resp);

/* ---- routing ------------------------------------------------------------ */

typedef int (*sb_route_fn)(sb_platform *pf, sb_request *req, sb_response *resp);

/*
 * A route: method ("GET", "*" for any) and a pattern of '/'-separated
 * segments where "{name}" captures one segment and a final "{name...}"
 * captures the rest.  A trailing '/' on the request path is ignored.  The
 * pattern string is also the request-counter key (prefixed by the method).
 */
typedef struct sb_route {
	const char *method;
	const char *pattern;
	sb_route_fn fn;
	const char *counter; /* counter key, e.g. "GET order/{idset}" */
} sb_route;

/*
 * sb_route_match - find the first route in table[0..n) that matches
 * req->method and path; fill req->params and req->endpoint.  Returns the
 * route, or NULL (then *path_matched says whether some route matched the
 * path with another method, for a 405).
 */
const sb_route *sb_route_match(const sb_route *table, size_t n, sb_request *req,
			       const char *path, int *path_matched);

/* ---- rate-limit windows ------------------------------------------------- */

enum sb_window_kind {
	SB_WINDOW_ROLLING, /* sliding: a request counts for window_ms */
	SB_WINDOW_FIXED    /* fixed: the quota refills every window_ms */
};

typedef struct sb_window {
	enum sb_window_kind kind;
	int limit;         /* requests per window; <= 0 means unlimited */
	int64_t window_ms; /* window length */
	int64_t *stamps;   /* rolling: ring of request times (owned) */
	size_t cap, head, count;
	int64_t fixed_start; /* fixed: start of the current window */
	int fixed_used;
} sb_window;

void sb_window_init(sb_window *w, enum sb_window_kind kind, int limit,
		    int64_t window_ms);
void sb_window_dispose(sb_window *w);
/* Forget all requests (reset / reconfigure). */
void sb_window_clear(sb_window *w);
/*
 * sb_window_take - count one request at now_ms.  Returns 1 if it is within
 * the limit, 0 if over (an over-limit request is not counted).  *remaining
 * gets the requests left after this one; *reset_ms the time until the
 * oldest counted request leaves the window (rolling) or the window refills
 * (fixed).  Unlimited windows report remaining = limit-or-large.
 */
int sb_window_take(sb_window *w, int64_t now_ms, int *remaining,
		   int64_t *reset_ms);
/*
 * sb_window_take_n - the same for a request that costs n units (n >= 1):
 * all n are counted, or none when fewer than n are left.
 */
int sb_window_take_n(sb_window *w, int64_t now_ms, int n, int *remaining,
		     int64_t *reset_ms);

/*
 * The global --quota setting.  Platforms apply it to their real limits with
 * sb_quota_scale(): off -> 0 (unlimited), xN -> limit * N.
 */
enum sb_quota_mode { SB_QUOTA_REAL, SB_QUOTA_OFF, SB_QUOTA_SCALED };
int sb_quota_scale(const sb_sandbox *sb, int real_limit);

/* ---- fault injection ---------------------------------------------------- */

enum sb_fault_kind {
	SB_FAULT_LATENCY = 1 << 0,  /* sleep latency_ms, then answer */
	SB_FAULT_429 = 1 << 1,      /* answer 429 (platform body) */
	SB_FAULT_503 = 1 << 2,      /* answer 503 outage */
	SB_FAULT_500 = 1 << 3,      /* answer 500 */
	SB_FAULT_DROP = 1 << 4,     /* close the connection, no reply */
	SB_FAULT_TRUNCATE = 1 << 5, /* half the body, then close */
	SB_FAULT_INVALID = 1 << 6,  /* body replaced by malformed JSON */
	SB_FAULT_STALL = 1 << 7     /* wait stall_ms before answering */
};

typedef struct sb_faults {
	double rate;       /* probability per request, 0..1 */
	unsigned kinds;    /* SB_FAULT_* mask; 0 = none */
	int latency_ms;    /* for LATENCY */
	int stall_ms;      /* for STALL */
	uint64_t seed;     /* the seed last set */
	sb_rng rng;        /* drawn under the sandbox lock */
	uint64_t injected; /* faults injected so far */
} sb_faults;

/* "latency" -> SB_FAULT_LATENCY etc.; 0 if unknown. */
unsigned sb_fault_from_name(const char *name);
const char *sb_fault_name(unsigned kind);

/* ---- outbound webhook deliveries ---------------------------------------- */

typedef struct sb_delivery {
	uint64_t id;  /* sandbox-wide delivery number */
	char *url;    /* http://host:port/path (owned); https unsupported */
	char *method; /* "POST", "PUT", "GET", "DELETE" (owned) */
	char *ctype;  /* Content-Type or NULL (owned) */
	char *body;   /* owned or NULL */
	sb_pair headers[16]; /* extra headers (owned) */
	size_t nheaders;
	int attempts;       /* attempts made so far */
	int64_t next_at_ms; /* monotonic time of the next attempt */
	int last_status;    /* HTTP status of the last attempt; 0 = no reply */
	int done;           /* 1 delivered, -1 given up, 0 pending */
	const int64_t *schedule_ms; /* delays before retry 1..n (borrowed) */
	size_t nschedule;
	uint64_t hook_id; /* the platform's hook id, for its bookkeeping */
	char *event;      /* event name, for read-back (owned) */
	sb_platform *pf;
	struct sb_delivery *next;
} sb_delivery;

/*
 * sb_deliver - queue a delivery (copies every string).  The framework
 * applies the platform's webhook drop/duplicate rates, makes the first
 * attempt as soon as the delivery thread wakes, and retries on failure
 * after schedule_ms[0], [1], ... (each divided by the platform's
 * webhook_time_scale); after the last it gives up.  After each attempt the
 * platform's on_delivery callback decides whether a reply counts as
 * success.  Call with the lock held.  Returns the delivery id, 0 if dropped
 * on purpose.
 */
uint64_t sb_deliver(sb_platform *pf, const char *method, const char *url,
		    const char *ctype, const char *body, const sb_pair *headers,
		    size_t nheaders, const int64_t *schedule_ms,
		    size_t nschedule, uint64_t hook_id, const char *event);

/* ---- platforms ---------------------------------------------------------- */

/*
 * What a platform implements.  Every callback runs with the lock held.
 */
typedef struct sb_platform_ops {
	/* "brightpearl": the URL prefix (/brightpearl), the control prefix
	 * (/_sandbox/brightpearl/...) and the name in the ready line. */
	const char *name;
	/* Answer one API request (path relative to the prefix).  Set
	 * req->endpoint for the counters.  Must always fill resp. */
	void (*handle)(sb_platform *pf, sb_request *req, sb_response *resp);
	/* Answer POST/GET /_sandbox/<name>/<action...>; NULL = none.  action
	 * is the rest of the path without the leading '/'. */
	void (*control)(sb_platform *pf, const char *action, sb_request *req,
			sb_response *resp);
	/* Empty the state, then load the demo data if demo != 0. */
	void (*reset)(sb_platform *pf, int demo);
	/* Build the reply for an injected 429/503/500 (status given);
	 * NULL = a generic JSON error. */
	void (*fault_reply)(sb_platform *pf, int status, sb_request *req,
			    sb_response *resp);
	/* Classify a delivery attempt: return 1 = delivered, 0 = retry,
	 * -1 = give up now (e.g. 4xx under at-least-once).  NULL = 2xx is
	 * success, anything else retried.  Also the place to deactivate a
	 * hook after the last attempt (d->done is set afterwards). */
	int (*on_delivery)(sb_platform *pf, sb_delivery *d, int status,
			   int last_attempt);
	/* Add state to GET /_sandbox/state under the platform's name; new
	 * reference or NULL. */
	json_t *(*state)(sb_platform *pf);
	/* Free the platform's private state. */
	void (*free)(sb_platform *pf);
} sb_platform_ops;

struct sb_platform {
	const sb_platform_ops *ops;
	sb_sandbox *sb;
	void *priv;       /* the platform's state (owned via ops->free) */
	sb_faults faults; /* fault injection for API requests */
	/* webhook controls */
	double hook_drop_rate;  /* 0..1: deliveries silently lost */
	double hook_dup_rate;   /* 0..1: deliveries sent twice */
	double hook_time_scale; /* retry delays divided by this (>= 1) */
	/* the timeout of one delivery attempt, ms; 0 = 5000 */
	int64_t hook_timeout_ms;
	sb_rng hook_rng;
	json_t *counters; /* {"GET order/{idset}": n, ...} (owned) */
	uint64_t requests;
	/* the last SB_RECENT_MAX requests, oldest first: {"method",
	 * "path", "body" (the exact bytes as a string; null when none or
	 * not UTF-8), "status"} (owned) */
	json_t *recent;
};

/* How many requests per platform GET /_sandbox/requests/recent keeps. */
#define SB_RECENT_MAX 500

/*
 * sb_platform_add - register a platform; the sandbox owns the result and
 * calls ops->free at exit.  priv is handed to ops.  Call from
 * sb_<code>_register() only (before the daemon starts).
 */
sb_platform *sb_platform_add(sb_sandbox *sb, const sb_platform_ops *ops,
			     void *priv);
sb_platform *sb_platform_find(sb_sandbox *sb, const char *name);

/*
 * Registration functions, one per platform, called by main() in this
 * order.
 */
void sb_bp_register(sb_sandbox *sb);
void sb_bc_register(sb_sandbox *sb);
void sb_dsco_register(sb_sandbox *sb);
/* --dsco-NAME VALUE (name without the prefix); 0, or -1 if unknown/bad. */
int sb_dsco_option(const char *name, const char *value);
void sb_sh_register(sb_sandbox *sb);

/* ---- the sandbox -------------------------------------------------------- */

/* Options from the command line; strings are borrowed from argv. */
typedef struct sb_options {
	const char *listen_host; /* "127.0.0.1" */
	int listen_port;         /* 0 = any free port */
	int seed_demo;           /* --seed demo (1) or empty (0) */
	enum sb_quota_mode quota_mode;
	double quota_scale;             /* for SB_QUOTA_SCALED */
	const char *tls_cert, *tls_key; /* files, or NULL for plain HTTP */
	const char *bp_account, *bp_app_ref, *bp_token;
	int64_t bp_window_ms;     /* rolling window, default 60000 */
	int bp_multi_per_message; /* --bp-multi-message-cost per_message */
	const char *bc_store, *bc_token;
	int64_t bc_window_ms; /* 0 = the platform's default */
	/* ShipHero; NULL/0 = the simulator's defaults (README) */
	const char *sh_user, *sh_password, *sh_refresh, *sh_token, *sh_schema;
	int64_t sh_token_ttl_s;
} sb_options;

#define SB_OPTIONS_INIT                                                        \
	{                                                                      \
		"127.0.0.1", 0, 1, SB_QUOTA_REAL, 1.0, NULL, NULL, "sandbox",  \
			"sandbox_pearlsync", "sandbox-token", 60000, 0,        \
			"sandbox", "sandbox-token", 0, NULL, NULL, NULL, NULL, \
			NULL, 0                                                \
	}

#define SB_MAX_PLATFORMS 8

struct sb_sandbox {
	sb_options opt;
	pthread_mutex_t lock;
	sb_platform *platforms[SB_MAX_PLATFORMS];
	size_t nplatforms;
	char base_url[128]; /* "http://127.0.0.1:PORT", set when listening */
	/* delivery queue */
	sb_delivery *deliveries; /* every delivery, newest first (owned) */
	uint64_t next_delivery_id;
	pthread_cond_t wake; /* signalled on new work and on shutdown */
	pthread_t deliver_thread;
	int deliver_started;
	int stopping; /* set under lock at shutdown */
	struct MHD_Daemon *daemon;
	char *tls_cert_pem, *tls_key_pem; /* owned; kept while serving */
};

/* Lock helpers (the one sandbox mutex). */
void sb_lock(sb_sandbox *sb);
void sb_unlock(sb_sandbox *sb);
/*
 * sb_sleep_ms - sleep up to ms with the lock NOT held, returning early
 * (1) when the sandbox is stopping.
 */
int sb_sleep_ms(sb_sandbox *sb, int64_t ms);
/* sb_deadline - the absolute time ms from now for waits on sb->wake, whose
 * clock is CLOCK_MONOTONIC. */
void sb_deadline(struct timespec *ts, int64_t ms);

/* framework.c */
int sb_init(sb_sandbox *sb, const sb_options *opt);
void sb_dispose(sb_sandbox *sb);
/* Reset every platform (and counters, faults, deliveries). */
void sb_reset_all(sb_sandbox *sb, int demo);
/*
 * sb_dispatch - the whole life of one request: control API or platform,
 * counters, faults.  Called by server.c without the lock held.
 */
void sb_dispatch(sb_sandbox *sb, sb_request *req, sb_response *resp);

/* server.c */
int sb_server_start(sb_sandbox *sb);
void sb_server_stop(sb_sandbox *sb);

/* deliver.c */
int sb_deliver_start(sb_sandbox *sb);
void sb_deliver_stop(sb_sandbox *sb);
/* Deliveries as JSON for the control API; new reference. */
json_t *sb_deliveries_json(sb_sandbox *sb, const char *platform);

/* ---- small JSON helpers used by every platform -------------------------- */

/* The integer value of a JSON integer, real or numeric string; def if not. */
int64_t sb_json_int(const json_t *v, int64_t def);
/* The string of a JSON string, or def. */
const char *sb_json_str(const json_t *v, const char *def);
/* Strict decimal parse of a whole string into *out; 0 on success. */
int sb_parse_int(const char *s, int64_t *out);

#endif
