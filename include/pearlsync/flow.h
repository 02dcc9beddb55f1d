/*
 * flow.h - the contract between the worker and a sync flow.
 *
 * A flow is one direction of sync (BigCommerce orders into Brightpearl,
 * Brightpearl shipments back to BigCommerce, ...).  It is a const table of
 * operations, listed in the registry (ps_flows_all).  The worker owns the
 * loop and the state machine; a flow only:
 *
 *   - turns inbound webhook events into sync log entries   (on_event)
 *   - discovers work by polling from a stored cursor        (poll)
 *   - performs one claimed entry                            (perform)
 *   - optionally performs several at once                   (perform_batch)
 *
 * and never decides about retries: perform returns 0 or a PS_E* code with
 * an operator-readable ps_error_set() detail, and the worker classifies the
 * code (ps_flow_classify) into "retry with backoff", "wait for the
 * operator" or "pending: waiting for a setting".
 *
 * Exactly once: before perform is called the entry is IN_FLIGHT in a
 * committed transaction (ps_store_log_claim_due).  A perform that creates
 * an object must put the entry's source reference on it and, when
 * entry->attempts > 1 or the entry's reason says it was interrupted, look
 * the object up by that reference first and adopt it instead of creating a
 * second one.
 */
#ifndef PEARLSYNC_FLOW_H
#define PEARLSYNC_FLOW_H

#include <signal.h>
#include <stdint.h>

#include "pearlsync/common.h"
#include "pearlsync/http.h"
#include "pearlsync/store.h"

/*
 * What a flow may use while it runs.  Everything is borrowed from the
 * worker (or a test) and outlives the call.
 */
typedef struct ps_flow_env {
	ps_store *store;
	/*
	 * The connectors by platform id (platform.h): NULL when that
	 * platform is not configured.  A flow casts the ones it serves to
	 * their types (ps_bp *, ps_bc *...).
	 */
	void *conn[PS_PLATFORM_MAX];
	int64_t now; /* unix ms, set by the worker before a call */
	const volatile sig_atomic_t *stop; /* non-zero: finish up quickly */
	void *state; /* the flow's own, from init (or NULL) */
	/*
	 * Non-zero when the flow should prefer throughput over latency
	 * (many entries due): a flow may batch writes (Brightpearl
	 * multi-message) when this is set.
	 */
	int backlog;
	/*
	 * Non-zero during a poll an operator asked for ("run now"): a flow
	 * that polls on a longer interval of its own runs anyway.
	 */
	int run_now;
} ps_flow_env;

/*
 * One thing a flow owns: it alone writes field of object on platform with
 * a value taken from platform `from` (the direction: from -> platform).
 * No two flows own the same field of the same object in the same
 * direction (README.md, "Who writes what", lists the same rows).
 */
typedef struct ps_flow_owns {
	ps_platform platform; /* where the flow writes */
	const char *object;   /* "order", "contact", "shipment", ... */
	/*
	 * "status", "lines", ...; "*": the object as a whole (the flow
	 * creates it), overlapping every field of it.
	 */
	const char *field;
	ps_platform from; /* where the value comes from */
} ps_flow_owns;

/* What perform reports on success. */
typedef struct ps_flow_result {
	char *target_id; /* owned (malloc): the object created or updated */
	char *detail;    /* owned: what was sent, for the log detail */
	/*
	 * owned, or NULL: a part of the work that failed although the
	 * object was made ("reservation not made in warehouse 99: ...").
	 * The entry is synced (retrying would not undo the object) with
	 * the reason "warning: <this>", which the log shows.
	 */
	char *warning;
} ps_flow_result;

#define PS_FLOW_RESULT_INIT                                                    \
	{                                                                      \
		NULL, NULL, NULL                                               \
	}
void ps_flow_result_dispose(ps_flow_result *r);

struct ps_replay; /* replay.h */

/* A flow's priority class while a budget is short (ps_flow_ops.priority). */
typedef enum ps_flow_priority {
	PS_FLOW_PRIORITY_NORMAL = 0, /* waits for the first class */
	PS_FLOW_PRIORITY_FIRST,      /* new orders: what merchants wait on */
} ps_flow_priority;

typedef struct ps_flow_ops {
	/* The log entries' flow column and the CLI's name: "order_import_bc".
	 */
	const char *name;
	/* A short name for the command line ("orders"), or NULL. */
	const char *alias;
	/* One line for `pearlsync status` and the console. */
	const char *description;
	ps_platform source, target;
	/*
	 * When a platform's API budget runs short (the limiter is pacing),
	 * a flow of a lower class waits, polls and due entries alike, while
	 * a flow of a higher class on the same platform has work, so new
	 * orders go before notes and stock.  Default (0): normal.
	 */
	ps_flow_priority priority;
	/* The setting that switches the flow on
	 * ("bigcommerce.orders.enabled"), or NULL. */
	const char *enabled_setting;
	/* What the flow writes (nowns rows; NULL and 0: nothing). */
	const ps_flow_owns *owns;
	size_t nowns;

	/*
	 * init - build per-worker state (caches) into *out_state; NULL slot:
	 * no state.  fini frees it (NULL is fine).
	 */
	int (*init)(void **out_state, ps_flow_env *env);
	void (*fini)(void *state);

	/*
	 * on_event - an inbound webhook event (any platform; ignore those not
	 * for this flow by returning 0).  Record log entries with
	 * ps_store_log_add inside the caller's transaction; return 0 or a
	 * PS_E* code (the event is then left unprocessed and offered again).
	 * NULL slot: the flow takes no events.
	 */
	int (*on_event)(ps_flow_env *env, const ps_event *ev);

	/*
	 * poll - discover work since the flow's stored cursor, record log
	 * entries and advance the cursor in one transaction (the flow opens
	 * it).  Called every poll_interval_ms and on an operator's "run now".
	 * NULL slot: no polling.
	 */
	int (*poll)(ps_flow_env *env);
	int64_t poll_interval_ms; /* 0: use the setting
				     sync.poll_interval_seconds */

	/*
	 * perform - carry out one claimed entry (status IN_FLIGHT).  On
	 * success fill *res and return 0; the worker marks it SYNCED.  The
	 * flow may update the entry's descriptive columns itself
	 * (ps_store_log_set_fields).  On failure return a PS_E* code with an
	 * operator-readable detail.
	 */
	int (*perform)(ps_flow_env *env, const ps_log_entry *entry,
		       ps_flow_result *res);

	/*
	 * perform_batch - optional (NULL: not supported): carry out n
	 * claimed entries of this flow at once (1 < n <= PS_FLOW_BATCH_MAX),
	 * so that writes can share requests (Brightpearl multi-message).
	 * The worker uses it when more than one entry of the flow is due.
	 * Every entry gets its own outcome: codes[i] is 0 (results[i] then
	 * as from perform) or a PS_E* code, in which case results[i].detail
	 * holds the operator-readable reason (owned; the worker uses it as
	 * the entry's reason).  The worker marks each entry individually,
	 * so the state machine and the exactly-once rules of perform apply
	 * to each entry unchanged.  The return value is 0, or a PS_E* code
	 * when nothing was attempted (the worker then falls back to perform
	 * one entry at a time).
	 */
	int (*perform_batch)(ps_flow_env *env, const ps_log_entry *entries,
			     size_t n, ps_flow_result *results, int *codes);

	/*
	 * preview - optional (NULL: the flow has none): describe in *out
	 * (owned, free()) what performing an entry for source object
	 * source_id would send, and why, writing nothing anywhere: reads
	 * only.  The caller has run init; env->state is set.  Returns 0 or
	 * the PS_E* code the entry would fail with (detail set).  `pearlsync
	 * preview` calls it.
	 */
	int (*preview)(char **out, ps_flow_env *env, const char *source_id);
	/*
	 * preview_requests - optional: the exact requests performing the
	 * entry for source_id would send, as one JSON document in *out
	 * (owned): {"order": ID, "imported_as": target id or null,
	 * "skipped": why it is filtered out or null, "requests": [{"step",
	 * "method", "path", "body"}], "why": [reasons]}.  "body" is the
	 * body's exact bytes, ids assigned during the write shown as
	 * {placeholders}.  An object done already sends nothing unless
	 * flags has PS_FLOW_PREVIEW_AS_NEW (plan it as if it were new).
	 * Reads only, like preview; returns its codes.
	 */
	int (*preview_requests)(char **out, ps_flow_env *env,
				const char *source_id, unsigned flags);
	/* The log entry kind whose synced entries are the objects done
	 * ("order.import"), for `preview --recent`; NULL: none. */
	const char *preview_kind;
	/* The noun `pearlsync preview` takes for it ("order"), or NULL. */
	const char *preview_noun;
	/* One sentence for `pearlsync preview --help`: what ID is, what
	 * the preview prints. */
	const char *preview_help;

	/*
	 * replay - optional (NULL: the flow cannot be replayed): list what
	 * the source platform holds in the window of r (replay.h) and hand
	 * each object to r, with the keys this flow uses: ps_replay_queue
	 * with the entry its poll or webhook would record, or
	 * ps_replay_report when it is synced already or filtered out (say
	 * why).  Called outside any transaction, after init (env->state
	 * set); writes only sync log entries (through ps_replay_queue, so
	 * the keys dedupe) and cross-references it found, never to a
	 * platform, and nothing on a dry run (ps_replay_dry_run).  Returns
	 * 0 or a PS_E* code.
	 * `pearlsync replay` calls it.
	 */
	int (*replay)(ps_flow_env *env, struct ps_replay *r);
	/* One sentence for `pearlsync replay --help`: what the window
	 * selects for this flow. */
	const char *replay_help;
} ps_flow_ops;

/* preview_requests flags */
#define PS_FLOW_PREVIEW_AS_NEW 0x1u /* plan a done object as if new */

/* The most entries the worker hands to one perform_batch call. */
#define PS_FLOW_BATCH_MAX 50

/* What the worker does with a failed entry. */
typedef enum ps_flow_disposition {
	PS_FLOW_RETRY = 0,     /* transient: retry with backoff */
	PS_FLOW_WAIT_OPERATOR, /* data or mapping: failed until retried */
	PS_FLOW_WAIT_SETTING,  /* pending: "waiting for <setting>" */
} ps_flow_disposition;

/*
 * ps_flow_classify - the disposition of an error code: PS_ENET,
 * PS_ETIMEOUT, PS_ERATELIMIT, PS_EREMOTE, PS_EBUSY, PS_EPARSE (a garbled
 * reply) retry; PS_ESETTING waits for a setting; everything else (PS_EDATA,
 * PS_EMAPPING, PS_ENOTFOUND, PS_EAUTH, ...) waits for the operator.
 */
ps_flow_disposition ps_flow_classify(int code);

/*
 * ps_flows_all - the registry: every flow, NULL-terminated, in the order
 * the worker runs them.  Static.
 */
const ps_flow_ops *const *ps_flows_all(void);

/* ps_flow_find - the flow whose name or alias is name, or NULL. */
const ps_flow_ops *ps_flow_find(const char *name);

#endif
