/*
 * flow_fixture.h - one fixture for tests that drive flows end to end: a
 * pearlsync-sandbox child, a scratch database, connectors pointed at the
 * sandbox, and a worker with its webhook listener on a free loopback port
 * (webhooks.public_url and webhooks.secret are set to reach it, so the
 * flows register their webhooks and the sandbox delivers them).
 *
 * The test acts as the merchant through the sandbox's control API and
 * reads outcomes from the sandbox's own state.
 *
 * Two layers.  The flow_fixture_* functions return -1 (with a reason on
 * stderr) rather than asserting, so they work from setup functions and
 * benchmarks alike.  The fx_* functions are for cmocka test bodies: each
 * calls the flow_fixture_* function it names (or the control API) and
 * fails the test when that fails, so the test reads as what it checks.
 */
#ifndef PEARLSYNC_TEST_FLOW_FIXTURE_H
#define PEARLSYNC_TEST_FLOW_FIXTURE_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "pearlsync/bigcommerce.h"
#include "pearlsync/brightpearl.h"
#include "pearlsync/dsco.h"
#include "pearlsync/flow.h"
#include "pearlsync/http.h"
#include "pearlsync/shiphero.h"
#include "pearlsync/store.h"
#include "pearlsync/worker.h"
#include "sandbox_proc.h"
#include "test_db.h"

/* The webhooks.secret the fixture sets: the path token of the listener's
 * webhook URLs (http://127.0.0.1:PORT/webhooks/brightpearl/SECRET/...). */
#define FLOW_FIXTURE_SECRET "fixture-path-secret"

/* Room in flow_fixture.flows, less the terminating NULL. */
#define FLOW_FIXTURE_MAX_FLOWS 8

typedef struct flow_fixture {
	sandbox_proc sb;
	test_db db;      /* scratch directory and path (st below), removed
			  * by close */
	int listen_port; /* the worker's listener */
	ps_http *http;
	ps_bp *bp;
	ps_bc *bc;
	ps_dsco *ds; /* the sandbox's DSCO, client credentials */
	ps_sh *sh;   /* the sandbox's ShipHero (its never-expiring token) */
	int sh_in_worker; /* non-zero: the worker gets sh too */
	/* The worker's clock (NULL: the real one); set before the worker
	 * starts, and give the HTTP client the same (reconnect). */
	const ps_clock *clock;
	ps_store *st;
	ps_worker *worker; /* NULL until flow_fixture_start_worker */
	/* The worker's flows, NULL-ended; empty: every flow. */
	const ps_flow_ops *flows[FLOW_FIXTURE_MAX_FLOWS + 1];
} flow_fixture;

/*
 * flow_fixture_open - start the sandbox with args (NULL-terminated; NULL
 * means "--seed demo --quota off"), open a scratch database, build the
 * connectors and set the webhook settings.  Log level: warnings.  0, or
 * -1 with everything opened so far closed again.
 */
int flow_fixture_open(flow_fixture *fx, const char *const *sandbox_args);

/*
 * flow_fixture_reconnect - new connectors over a new HTTP client with ho
 * (the fixture's own has a test's short backoffs; NULL: the production
 * defaults), before the worker starts.  0 or -1.
 */
int flow_fixture_reconnect(flow_fixture *fx, const ps_http_options *ho);

/*
 * flow_fixture_start_worker - a worker over the flows named (names or
 * aliases, NULL-terminated, at most FLOW_FIXTURE_MAX_FLOWS; NULL: every
 * flow) with the listener on, hook registration on, the fixture's
 * connectors (connect off), a 10 ms tick and short backoffs.  0 or -1.
 */
int flow_fixture_start_worker(flow_fixture *fx, const char *const *flows);

/*
 * flow_fixture_restart_worker - as after a restart of the process: free
 * the worker, close and reopen the database (no cache survives), and
 * start a worker over the same flows.  0 or -1.
 */
int flow_fixture_restart_worker(flow_fixture *fx);

/* flow_fixture_close - free the worker, connectors, store; stop the
 * sandbox; remove the database and its directory.  Accepts a fixture
 * that failed to open. */
void flow_fixture_close(flow_fixture *fx);

/* flow_fixture_teardown - a cmocka group teardown: flow_fixture_close of
 * the fixture *state points to (the group's setup sets it).  0. */
int flow_fixture_teardown(void **state);

/* flow_fixture_set - set a setting as the operator would; value NULL or
 * "" unsets it.  0 or -1. */
int flow_fixture_set(flow_fixture *fx, const char *key, const char *value);

/* flow_fixture_map - set one mapping (kind "order_status", direction
 * "bp>bc"; source "" is the default row).  0 or -1. */
int flow_fixture_map(flow_fixture *fx, const char *kind, const char *direction,
		     const char *source, const char *target);

/*
 * flow_fixture_setup_steps - the order settings the setup steps leave:
 * orders on from 2000-01-01, channel 1, warehouse 2, default Brightpearl
 * status 2, statuses 2,5,7,8 synced back, shipments on by goods-out
 * note; order statuses mapped both ways with defaults (bc>bp 11->2,
 * 9->7, default 2; bp>bc 2->11, default 11).  Before the worker starts.
 * 0 or -1.
 */
int flow_fixture_setup_steps(flow_fixture *fx);

/*
 * flow_fixture_start_import - the order import alone, as most order tests
 * run it: orders on (BigCommerce status 11 imported and mapped to
 * Brightpearl 2, channel 1, warehouse 2, the duplicate guard's instance 7),
 * polls a day apart so webhooks carry the orders, the worker started with
 * only the import, and its first pass (hooks registered, the demo store's
 * orders imported).  0 or -1.
 */
int flow_fixture_start_import(flow_fixture *fx);

/*
 * flow_fixture_ctl - one control API call (path after "/_sandbox", body
 * JSON or NULL).  The parsed reply (new reference; {} when empty), or
 * NULL on a non-2xx status or an unparsable body.
 */
json_t *flow_fixture_ctl(flow_fixture *fx, const char *method, const char *path,
			 const char *body);

/*
 * flow_fixture_requests - requests the sandbox served for platform
 * ("bigcommerce") since its counters were last reset: to endpoint (the
 * counter key, "GET v3/catalog/products"), or all when endpoint is NULL.
 * -1 when the counters cannot be read.
 */
int64_t flow_fixture_requests(flow_fixture *fx, const char *platform,
			      const char *endpoint);

/*
 * flow_fixture_run_until - worker passes until check(arg) is non-zero
 * (1) or deadline_ms pass (0); -1 when a pass fails.
 */
int flow_fixture_run_until(flow_fixture *fx, int (*check)(void *arg), void *arg,
			   int64_t deadline_ms);

/* flow_fixture_log_dump - every log entry to stderr (key, status, reason,
 * detail), for a test that is about to fail. */
void flow_fixture_log_dump(flow_fixture *fx);

/* flow_fixture_now_ms - wall clock, unix ms. */
int64_t flow_fixture_now_ms(void);

/* flow_fixture_free_port - a loopback TCP port free at the time of the
 * call, or 0. */
int flow_fixture_free_port(void);

/* ---- for cmocka test bodies: these fail the test ------------------------ */

/* fx_ctl - flow_fixture_ctl that must succeed; the reply (new reference). */
json_t *fx_ctl(flow_fixture *fx, const char *method, const char *path,
	       const char *body);

/* fx_ctl_ok - fx_ctl, reply dropped. */
void fx_ctl_ok(flow_fixture *fx, const char *method, const char *path,
	       const char *body);

/* fx_set - flow_fixture_set that must succeed ("" unsets). */
void fx_set(flow_fixture *fx, const char *key, const char *value);

/* fx_map - flow_fixture_map that must succeed. */
void fx_map(flow_fixture *fx, const char *kind, const char *direction,
	    const char *source, const char *target);

/* fx_passes - n worker passes that must succeed, pause_ms after each. */
void fx_passes(flow_fixture *fx, int n, int pause_ms);

/* fx_run_until - flow_fixture_run_until whose passes must succeed: 1 when
 * check held, 0 at the deadline. */
int fx_run_until(flow_fixture *fx, int (*check)(void *arg), void *arg,
		 int64_t deadline_ms);

/* fx_requests - flow_fixture_requests that must read the counters. */
int64_t fx_requests(flow_fixture *fx, const char *platform,
		    const char *endpoint);

/* fx_count - occurrences of needle in hay (NULL: 0), not overlapping. */
size_t fx_count(const char *hay, const char *needle);

/*
 * fx_round - a round: a worker pass (every poll), a pause of 150 ms for
 * the sandbox's webhook deliveries, a second pass; so a write that comes
 * back as a webhook or in the next poll is seen within the round that
 * made it.  The passes must succeed.
 */
void fx_round(flow_fixture *fx);

/*
 * fx_rounds_until - fx_round until check(arg) holds (1) or deadline_ms
 * pass (0).  The checks read one order: arg is its id, or what the test
 * packs into it (id * 100 + status).
 */
int fx_rounds_until(flow_fixture *fx, int (*check)(int64_t arg), int64_t arg,
		    int64_t deadline_ms);

/*
 * fx_ticks_until - as fx_rounds_until with worker ticks only (20 ms
 * apart): no poll runs unless it is due, so with a long poll interval
 * only a webhook delivered to the listener can move the order.
 */
int fx_ticks_until(flow_fixture *fx, int (*check)(int64_t arg), int64_t arg,
		   int64_t deadline_ms);

/* fx_failed_entries - how many log entries of any flow failed; each is
 * printed to stderr (flow, key, reason) for the reader. */
size_t fx_failed_entries(flow_fixture *fx);

/*
 * fx_api - one request to the platform API ("brightpearl",
 * "bigcommerce") the sandbox serves, as a client other than pearlsync
 * would send it: path after the platform's base URL, headers
 * NULL-terminated (may be NULL), body or NULL.  The HTTP status; the
 * parsed reply in *out (new reference; NULL when empty or unparsable)
 * when out is not NULL.
 */
long fx_api(json_t **out, flow_fixture *fx, const char *platform,
	    const char *method, const char *path, const char *const *headers,
	    const char *body);

/* ---- orders made as the order import would ------------------------------ */

/* A BigCommerce order and its imported Brightpearl twin. */
typedef struct fx_order {
	int64_t bc_id, bp_id;
} fx_order;

/* fx_bp_product - the Brightpearl product id of sku (exactly one). */
int64_t fx_bp_product(flow_fixture *fx, const char *sku);

/* fx_bp_order_of - the Brightpearl order the order cross-reference links
 * BigCommerce order bc_id to; 0 while there is none (not imported). */
int64_t fx_bp_order_of(flow_fixture *fx, int64_t bc_id);

/* fx_bp_order - Brightpearl order bp_id as the sandbox holds it
 * (/_sandbox/brightpearl/orders, the /order/ shape; new reference).  The
 * order must exist. */
json_t *fx_bp_order(flow_fixture *fx, int64_t bp_id);

/*
 * fx_bc_order_place - a shopper's BigCommerce order (Ada's customer and
 * billing address) placed through the control API: lines_json is the
 * "lines" array ([{"sku":..,"quantity":..}]), fields_json more members
 * of the order ("\"status_id\":11").  Its id.
 */
int64_t fx_bc_order_place(flow_fixture *fx, const char *lines_json,
			  const char *fields_json);

/* fx_bc_order_place_at - fx_bc_order_place with street as the billing
 * address's street_1 (fx_bc_order_place: "1 Road"). */
int64_t fx_bc_order_place_at(flow_fixture *fx, const char *street,
			     const char *lines_json, const char *fields_json);

/*
 * fx_order_make - a BigCommerce order of two lines (fx_bc_order_place,
 * status 11) and its Brightpearl twin made as the import would
 * (externalRef, customer 201, status 2, warehouse 2, method 6) with the
 * order xref between them.
 */
fx_order fx_order_make(flow_fixture *fx, const char *sku1, int q1,
		       const char *sku2, int q2);

/*
 * fx_ship - the merchant ships rows_json ([{"sku":..,"quantity":..}];
 * NULL: everything left) of Brightpearl order bp_id: a goods-out note in
 * warehouse 2 with tracking and method 7.  The first note's id (0 when
 * the reply names none).
 */
int64_t fx_ship(flow_fixture *fx, int64_t bp_id, const char *rows_json,
		const char *tracking);

/* fx_bp_status_set - the merchant sets Brightpearl order bp_id's status. */
void fx_bp_status_set(flow_fixture *fx, int64_t bp_id, int status_id);

/* ---- the BigCommerce side, from the sandbox's own state ----------------- */

/* fx_bc_order - the order picture: order, products, shipping addresses,
 * shipments (new reference). */
json_t *fx_bc_order(flow_fixture *fx, int64_t bc_id);

/* fx_bc_status - the order's status id. */
int fx_bc_status(flow_fixture *fx, int64_t bc_id);

/* fx_bc_shipments - the order's shipments (new reference, an array). */
json_t *fx_bc_shipments(flow_fixture *fx, int64_t bc_id);

/* fx_bc_shipment_count - how many shipments the order has. */
size_t fx_bc_shipment_count(flow_fixture *fx, int64_t bc_id);

/* fx_bc_level - the inventory level of sku, -1 when no item has it. */
int64_t fx_bc_level(flow_fixture *fx, const char *sku);

#endif
