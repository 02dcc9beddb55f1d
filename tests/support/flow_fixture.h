/*
 * flow_fixture.h - one fixture for tests that drive flows end to end: a
 * pearlsync-sandbox child, a scratch database, connectors pointed at the
 * sandbox, and a worker with its webhook listener on a free loopback port
 * (webhooks.public_url and webhooks.secret are set to reach it, so the
 * flows register their webhooks and the sandbox delivers them).
 *
 * The test acts as the merchant through the sandbox's control API
 * (flow_fixture_ctl) and reads outcomes from the sandbox's own state.
 * Functions return -1 (with a reason on stderr) rather than asserting, so
 * the fixture works from setup functions and benchmarks alike.
 */
#ifndef PEARLSYNC_TEST_FLOW_FIXTURE_H
#define PEARLSYNC_TEST_FLOW_FIXTURE_H

#include <stdint.h>

#include <jansson.h>

#include "pearlsync/bigcommerce.h"
#include "pearlsync/brightpearl.h"
#include "pearlsync/flow.h"
#include "pearlsync/http.h"
#include "pearlsync/store.h"
#include "pearlsync/worker.h"
#include "sandbox_proc.h"

typedef struct flow_fixture {
	sandbox_proc sb;
	char db_path[256]; /* scratch database, removed by close */
	int listen_port;   /* the worker's listener */
	ps_http *http;
	ps_bp *bp;
	ps_bc *bc;
	ps_store *st;
	ps_worker *worker;           /* NULL until flow_fixture_start_worker */
	const ps_flow_ops *flows[9]; /* the worker's, NULL-ended */
} flow_fixture;

/*
 * flow_fixture_open - start the sandbox with args (NULL-terminated; NULL
 * means "--seed demo --quota off"), open a scratch database, build the
 * connectors and set the webhook settings.  0, or -1 with everything
 * opened so far closed again.
 */
int flow_fixture_open(flow_fixture *fx, const char *const *sandbox_args);

/*
 * flow_fixture_start_worker - a worker over the flows named (names or
 * aliases, NULL-terminated, at most 8) with the listener on, hook
 * registration on, the fixture's connectors, a 10 ms tick and short
 * backoffs.  0 or -1.
 */
int flow_fixture_start_worker(flow_fixture *fx, const char *const *flows);

/* flow_fixture_close - free the worker, connectors, store; stop the
 * sandbox; remove the database.  Accepts a fixture that failed to open. */
void flow_fixture_close(flow_fixture *fx);

/* flow_fixture_set - set a setting as the operator would.  0 or -1. */
int flow_fixture_set(flow_fixture *fx, const char *key, const char *value);

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

/* flow_fixture_now_ms - wall clock, unix ms. */
int64_t flow_fixture_now_ms(void);

#endif
