/*
 * reconcile.h - what differs between the platforms of a pair: the
 * reconciliation report behind `pearlsync reconcile` and its console
 * screen.
 *
 * Each pair of platforms that has something to compare (BigCommerce and
 * Brightpearl: orders, totals, shipments, stock) plugs a `ps_reconciler`
 * into its flow group (setup.h, ps_flow_group.reconciler).  The command
 * line and the console call the generic functions below, which run every
 * group's reconciler whose two platforms are connected and name no
 * platform themselves.
 *
 * A reconciler only reads: the platforms through their list, search and
 * id-set reads (never one read per order where a batched read exists),
 * the store for the log entries and cross-references.  The one write is
 * queue: it records the import of a missing order as a due log entry of
 * the pair's import flow (or makes its failed entry due again), so the
 * worker imports it through the normal flow with its exactly-once guards.
 */
#ifndef PEARLSYNC_RECONCILE_H
#define PEARLSYNC_RECONCILE_H

#include <stddef.h>
#include <stdint.h>

#include "pearlsync/common.h"
#include "pearlsync/config.h"
#include "pearlsync/flow.h"
#include "pearlsync/http.h"
#include "pearlsync/store.h"

/* What kind of difference an item is. */
typedef enum ps_recon_kind {
	/* a source order in the window with no target order */
	PS_RECON_MISSING = 0,
	/* a target order claiming a source order that does not exist */
	PS_RECON_ORPHAN,
	/* the two orders' totals differ to the cent */
	PS_RECON_TOTAL,
	/* shipped on the target side, not on the source */
	PS_RECON_SHIPMENT,
	/* a stock level differs */
	PS_RECON_STOCK,
	PS_RECON_KIND_COUNT
} ps_recon_kind;

/*
 * ps_recon_kind_name - "missing", "orphan", "total", "shipment", "stock"
 * (the JSON's "kind"); ps_recon_kind_title - "Missing orders", ...
 * Static strings.
 */
const char *ps_recon_kind_name(ps_recon_kind k);
const char *ps_recon_kind_title(ps_recon_kind k);

/* Why a MISSING order has no target order (ps_recon_item.why). */
#define PS_RECON_WHY_FILTERED "filtered"     /* its status is not imported */
#define PS_RECON_WHY_GUEST "guest"           /* guest orders are off */
#define PS_RECON_WHY_FAILED "failed"         /* its import failed */
#define PS_RECON_WHY_NEVER_SEEN "never_seen" /* no log entry at all */
#define PS_RECON_WHY_PENDING "pending"       /* queued, not imported yet */
#define PS_RECON_WHY_SKIPPED "skipped"       /* skipped, importable now */

/* One difference. */
typedef struct ps_recon_item {
	ps_recon_kind kind;
	char group[24];        /* the flow group: "bigcommerce" */
	char why[16];          /* MISSING: a PS_RECON_WHY_*; else "" */
	char source_id[64];    /* the source's object: order id, SKU */
	char target_id[64];    /* the target's: order id, product id; "" */
	char source_value[32]; /* TOTAL/STOCK/SHIPMENT: the source figure */
	char target_value[32]; /* ... and the target's */
	char text[320];        /* one line an operator reads */
	int queueable;         /* queue can record its import */
} ps_recon_item;

/* The window and what to compare. */
typedef struct ps_recon_query {
	int64_t since; /* unix s: orders created at or after */
	int64_t until; /* unix s: ... and at or before */
} ps_recon_query;

/* The most notes a report keeps (what was not compared, and why). */
#define PS_RECON_NOTES_MAX 8

typedef struct ps_recon_report {
	ps_recon_item *items; /* owned */
	size_t n, cap;
	int64_t since, until; /* the window, unix s */
	size_t orders;        /* source orders in the window */
	size_t skus;          /* stock levels compared */
	/* requests sent per platform id while the report ran */
	int64_t requests[PS_PLATFORM_MAX];
	/* "stock not compared: bigcommerce.inventory.warehouses is not set" */
	char notes[PS_RECON_NOTES_MAX][192];
	size_t nnotes;
} ps_recon_report;

/* One pair's reconciliation: listed in its flow group. */
typedef struct ps_reconciler {
	const char *name;  /* the group's name: "bigcommerce" */
	const char *title; /* "BigCommerce and Brightpearl" */
	ps_platform source, target;
	/*
	 * run - add every difference between source and target in the
	 * window q to out (ps_recon_add) and count out->orders and
	 * out->skus.  env has both connectors and the store; no state
	 * (env->state is NULL).  Reads only.  0 or a PS_E* code with a
	 * detail (a platform unreachable, a setting missing).
	 */
	int (*run)(ps_recon_report *out, ps_flow_env *env,
		   const ps_recon_query *q);
	/*
	 * queue - record the import of one queueable item of this
	 * reconciler's as a due log entry of the pair's import flow (or
	 * make its failed entry due again).  1 when queued, 0 when there
	 * was nothing to queue (already due), or a PS_E* store error.
	 */
	int (*queue)(ps_store *st, const ps_recon_item *item, int64_t now);
} ps_reconciler;

/* ps_recon_add - append a copy of item to r.  0 or PS_ENOMEM. */
int ps_recon_add(ps_recon_report *r, const ps_recon_item *item);

/* ps_recon_note - add a printf-formatted note to r (bounded). */
void ps_recon_note(ps_recon_report *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* ps_recon_report_dispose - free r's items and zero it (NULL is fine). */
void ps_recon_report_dispose(ps_recon_report *r);

/* ps_recon_count - how many items of kind r holds. */
size_t ps_recon_count(const ps_recon_report *r, ps_recon_kind kind);

/* ps_recon_queueable - how many items of r queue can record. */
size_t ps_recon_queueable(const ps_recon_report *r);

/*
 * ps_reconcile_run - connect every configured platform on http, run the
 * reconciler of every flow group whose two platforms are connected over
 * window q and fill *out (dispose it after, also on error), with the
 * requests each platform was sent.  PS_ESETTING saying what is missing
 * when no reconciler can run (platforms not set up); a reconciler's error
 * as it returned it, prefixed with its title.
 */
int ps_reconcile_run(ps_recon_report *out, ps_store *st, const ps_config *cfg,
		     ps_http *http, const ps_recon_query *q, int64_t now);

/*
 * ps_reconcile_queue - queue every queueable item of r through its
 * group's reconciler, in one transaction; *out_queued counts the
 * entries recorded or made due.  0 or a PS_E* store error (nothing is
 * queued then).
 */
int ps_reconcile_queue(size_t *out_queued, ps_store *st,
		       const ps_recon_report *r, int64_t now);

/*
 * ps_reconcile_json - r as a JSON document (owned, free()): {"since",
 * "until", "orders", "skus", "requests": {platform: n}, "notes": [...],
 * "counts": {kind: n}, "differences": [{"kind", "group", "why",
 * "source_id", "target_id", "source_value", "target_value", "text",
 * "queueable"}]}, and "queued": queued when queued >= 0 (the report was
 * queued).  NULL when out of memory.
 */
char *ps_reconcile_json(const ps_recon_report *r, long queued);

/*
 * ps_reconcile_parse_time - an operator's time into unix s: a date
 * "2026-03-01" (midnight UTC), a time "2026-03-01T14:30[:05][Z]" (UTC),
 * "now", or a time ago: "90m", "6h", "7d" (before now, unix s).
 * PS_EINVAL naming the text otherwise.
 */
int ps_reconcile_parse_time(int64_t *out, const char *text, int64_t now);

#endif
