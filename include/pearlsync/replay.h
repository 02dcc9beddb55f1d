/*
 * replay.h - re-running a flow over a past window ("we were down for an
 * hour").
 *
 * A flow that can be replayed has a replay slot (flow.h).  Given a window
 * it lists what its source platform holds in that window (orders created
 * or modified, goods-out notes shipped, notes added...) and, for each
 * object, decides with the keys the flow itself uses (the entry's dedupe
 * key, the cross-reference, a lookup by the reference the flow puts on
 * what it creates) whether the object is already synced, needs an entry
 * queued, or is filtered out.  It reports each object through a
 * ps_replay, which does the generic part: the queueing, against the sync
 * log's unique keys, and the tally.
 *
 * Queued entries are ordinary pending sync log entries: the running
 * worker claims them (ps_store_log_claim_due marks each IN_FLIGHT in a
 * committed transaction before it is performed, so two processes never
 * perform one entry), or `pearlsync replay --now` performs them itself
 * as sync-once does.  A replay writes nothing to any platform: only the
 * entries' perform does, with its usual exactly-once rules.  Running a
 * replay twice queues nothing the second time.
 */
#ifndef PEARLSYNC_REPLAY_H
#define PEARLSYNC_REPLAY_H

#include <stddef.h>
#include <stdint.h>

#include "pearlsync/common.h"
#include "pearlsync/flow.h"
#include "pearlsync/store.h"

/* What a replay found for one object. */
typedef enum ps_replay_outcome {
	PS_REPLAY_SYNCED = 0, /* already synced: the target has it */
	PS_REPLAY_QUEUED,     /* missing: an entry is queued (or re-opened) */
	PS_REPLAY_WAITING,    /* an entry for it is pending or in flight */
	PS_REPLAY_SKIPPED,    /* filtered out by the flow's settings */
	PS_REPLAY_OUTCOME_COUNT
} ps_replay_outcome;

/* "already synced", "queued", "in progress", "skipped"; static. */
const char *ps_replay_outcome_name(ps_replay_outcome o);
/* The same as one JSON word: "synced", "queued", "waiting", "skipped". */
const char *ps_replay_outcome_key(ps_replay_outcome o);

/* One object of the window, as reported (strings borrowed). */
typedef struct ps_replay_item {
	const char *object; /* "order", "goods-out note", ... */
	const char *id;     /* its id on the source platform */
	ps_replay_outcome outcome;
	const char *detail; /* why: "Brightpearl order 204", ... */
	int64_t entry_id;   /* the log entry queued or found; 0: none */
} ps_replay_item;

/* Called once per object, as the flow reports it.  Non-zero stops. */
typedef int (*ps_replay_cb)(const ps_replay_item *item, void *payload);

typedef struct ps_replay ps_replay;

typedef struct ps_replay_options {
	int64_t since_ms; /* unix ms, inclusive */
	int64_t until_ms; /* unix ms, inclusive; > since_ms */
	int dry_run;     /* non-zero: say what would be queued, write nothing */
	ps_replay_cb cb; /* may be NULL */
	void *payload;
} ps_replay_options;

#define PS_REPLAY_OPTIONS_INIT                                                 \
	{                                                                      \
		0, 0, 0, NULL, NULL                                            \
	}

/*
 * ps_replay_run - replay flow over the window of options: calls the
 * flow's replay slot with env (whose store, connectors, now and state the
 * caller set, as for a poll), then goes over the local log: the flow's
 * entries that failed at or after the window's start, existed by its end
 * and were not reported by the slot (an edit, a reconcile) are queued
 * again like `pearlsync retry` does (up to 1000).
 * totals[PS_REPLAY_OUTCOME_COUNT] (may be NULL) receives the count per outcome.
 * Returns 0, PS_EINVAL when the flow has no replay slot (the detail lists the
 * flows that have one) or the window is empty, or the flow's error (the objects
 * reported before it keep their entries).
 */
int ps_replay_run(size_t *totals, const ps_flow_ops *flow, ps_flow_env *env,
		  const ps_replay_options *options);

/*
 * ps_replay_supported - the names of the flows with a replay slot, ", "
 * between them ("order_import_bc (orders), ..."), into buf (always
 * terminated).  Returns buf.
 */
char *ps_replay_supported(char *buf, size_t cap);

/*
 * ps_replay_flow_held - why a worker would leave flow's queued entries
 * alone for now ("bigcommerce.orders.enabled is off", "paused by the
 * operator") into buf, "" when it would perform them.  Always terminates
 * buf; returns buf.
 */
char *ps_replay_flow_held(char *buf, size_t cap, ps_store *st,
			  const ps_flow_ops *flow);

/*
 * ps_replay_time_parse - a time for --since / --until into unix ms:
 * "YYYY-MM-DD" (midnight UTC), "YYYY-MM-DDTHH:MM[:SS]" followed by "Z" or
 * an offset "+HH:MM" / "-HH:MM" (a space may stand for the T; no zone
 * means UTC), or a duration before now_ms: "90m", "2h", "3d", "45s".
 * Returns 0 or PS_EINVAL with the detail set.
 */
int ps_replay_time_parse(int64_t *out, const char *text, int64_t now_ms);

/* ---- for the flows' replay slots -------------------------------------- */

/* The window: unix ms, inclusive both ends. */
int64_t ps_replay_since(const ps_replay *r);
int64_t ps_replay_until(const ps_replay *r);
/* Non-zero on a dry run: the slot writes nothing (ps_replay_queue does
 * not either). */
int ps_replay_dry_run(const ps_replay *r);
/* Non-zero when unix ms t is inside the window. */
int ps_replay_in_window(const ps_replay *r, int64_t t);

/*
 * ps_replay_report - report one object whose outcome the flow decided
 * itself (synced, skipped): detail is printf-formatted.  Returns 0, or
 * PS_ESTOPPED when the callback asked to stop.
 */
int ps_replay_report(ps_replay *r, const char *object, const char *id,
		     ps_replay_outcome outcome, int64_t entry_id,
		     const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));

/* ps_replay_queue's flags. */
/* an entry synced without a target (performed, found filtered and
 * skipped) is re-opened: the flow has checked it is wanted now */
#define PS_REPLAY_REOPEN_SKIPPED 0x1u

/*
 * ps_replay_queue - the entry e (as the flow's poll would record it:
 * flow, dedupe key, kind, subject...) for object id: added as pending
 * when its key is new (QUEUED); a FAILED one is made due again, its
 * attempts counted from zero (QUEUED, "failed before: <reason>"); a
 * PENDING or IN_FLIGHT one is left alone (WAITING); a SYNCED one is
 * reported SYNCED with its target (or, with PS_REPLAY_REOPEN_SKIPPED
 * and no target, re-opened: QUEUED).  On a dry run nothing is written
 * and the outcome is what would happen.  Each write is its own
 * transaction, so a replay killed half-way leaves whole entries and a
 * second run finds them.  Returns 0 or a store error.
 */
int ps_replay_queue(ps_replay *r, const char *object, const char *id,
		    const ps_log_entry *e, unsigned flags);

#endif
