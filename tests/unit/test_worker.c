/*
 * test_worker.c - the worker loop with fake flows and a fake clock: the
 * state machine of entries (synced, retried on the exact backoff schedule,
 * given up, waiting for a setting, waiting for the operator), recovery of
 * an entry left in flight, operator requests, event dispatch and the stop
 * flag, and the heartbeat kept fresh while the HTTP client waits.
 */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
/* clang-format on */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mock_server.h"
#include "pearlsync/brightpearl.h"
#include "pearlsync/flow.h"
#include "pearlsync/platform.h"
#include "pearlsync/settings.h"
#include "pearlsync/store.h"
#include "pearlsync/worker.h"
#include "store/store_int.h"
#include "test_db.h"
#include "pearlsync/platform.h"

/*
 * Two platforms of the test's own, without a connector: the worker lets
 * a flow between them run without connecting anything (the built-in
 * plug-ins all have connectors).
 */
#define P_TOY_SRC ((ps_platform)12)
#define P_TOY_DST ((ps_platform)13)
static const ps_platform_ops toy_src_ops = {
	.id = P_TOY_SRC, .name = "toysrc", .code = "ts", .title = "Toy source"};
static const ps_platform_ops toy_dst_ops = {
	.id = P_TOY_DST, .name = "toydst", .code = "td", .title = "Toy target"};

#define T0 1790000000000LL

/* ---- fake clock and randomness ------------------------------------------ */

static int64_t fake_now;

static int64_t
clock_now(void *ctx)
{
	(void)ctx;
	return fake_now;
}

static void
clock_sleep(void *ctx, int64_t ms)
{
	(void)ctx;
	fake_now += ms;
}

static const ps_clock fake_clock = {clock_now, clock_sleep, NULL};

static uint64_t
rand_seven(void *ctx)
{
	(void)ctx;
	return 7;
}

static const ps_random fake_random = {rand_seven, NULL};

/* ---- the fake flow ---------------------------------------------------------
 */

#define MAX_SCRIPT 16

static struct {
	int codes[MAX_SCRIPT]; /* perform results, in order; then 0 */
	const char *details[MAX_SCRIPT];
	size_t ncodes, next;
	int performs, polls, events, event_fail; /* event_fail: refuse N */
	int last_attempts;
	char last_object[32]; /* the last event on_event saw, decoded */
	int64_t last_ids[2];
	size_t last_nids;
	int64_t perform_ms; /* fake time each perform takes */
	char last_reason[256];
	volatile sig_atomic_t *stop_in_perform;
} fk;

static int
fake_perform(ps_flow_env *env, const ps_log_entry *e, ps_flow_result *res)
{
	int code = 0;

	(void)env;
	fk.performs++;
	fake_now += fk.perform_ms;
	fk.last_attempts = e->attempts;
	snprintf(fk.last_reason, sizeof(fk.last_reason), "%s",
		 e->reason ? e->reason : "");
	if (fk.stop_in_perform != NULL)
		*fk.stop_in_perform = 1;
	if (fk.next < fk.ncodes) {
		code = fk.codes[fk.next];
		if (code < 0)
			ps_error_set(code, "%s", fk.details[fk.next]);
		fk.next++;
	}
	if (code == 0) {
		res->target_id = strdup("SO-1");
		res->detail = strdup("sent");
	}
	return code;
}

static int
fake_poll(ps_flow_env *env)
{
	(void)env;
	fk.polls++;
	return 0;
}

static int
fake_on_event(ps_flow_env *env, const ps_event *ev)
{
	ps_log_entry e;
	char key[64];

	fk.events++;
	snprintf(fk.last_object, sizeof(fk.last_object), "%s",
		 ev->object ? ev->object : "(null)");
	fk.last_nids = ev->nids;
	memset(fk.last_ids, 0, sizeof(fk.last_ids));
	if (ev->nids > 0)
		memcpy(fk.last_ids, ev->ids,
		       (ev->nids < 2 ? ev->nids : 2) * sizeof(*ev->ids));
	if (fk.event_fail > 0) {
		fk.event_fail--;
		/* write something first: it must be rolled back */
		ps_log_entry_init(&e);
		e.flow = (char *)"fake";
		e.dedupe_key = (char *)"half-done";
		ps_store_log_add(NULL, env->store, &e, env->now);
		return ps_error_set(PS_EBUSY, "not now");
	}
	snprintf(key, sizeof(key), "event-%lld", (long long)ev->id);
	ps_log_entry_init(&e);
	e.flow = (char *)"fake";
	e.dedupe_key = key;
	e.source_platform = P_TOY_SRC;
	e.target_platform = P_TOY_DST;
	return ps_store_log_add(NULL, env->store, &e, env->now) < 0 ? -1 : 0;
}

static const ps_flow_ops fake_flow = {
	.name = "fake",
	.alias = "fk",
	.description = "a fake flow",
	.source = P_TOY_SRC,
	.target = P_TOY_DST,
	.on_event = fake_on_event,
	.poll = fake_poll,
	.poll_interval_ms = 600000,
	.perform = fake_perform,
};

/* needs BigCommerce, which the tests never connect */
static const ps_flow_ops needs_bc_flow = {
	.name = "needs_bc",
	.description = "needs BigCommerce",
	.source = PS_PLATFORM_BIGCOMMERCE,
	.target = PS_PLATFORM_BRIGHTPEARL,
	.poll = fake_poll,
	.perform = fake_perform,
};

static const ps_flow_ops switched_flow = {
	.name = "switched",
	.description = "has a switch",
	.source = P_TOY_SRC,
	.target = P_TOY_DST,
	.enabled_setting = "dsco.enabled",
	.poll = fake_poll,
	.perform = fake_perform,
};

/* perform_batch: each entry through the script; batch_decline: refuse
 * the whole call (the worker then performs one at a time) */
static int batch_calls, batch_decline;
static size_t batch_last_n;

static int
fake_perform_batch(ps_flow_env *env, const ps_log_entry *entries, size_t n,
		   ps_flow_result *results, int *codes)
{
	size_t i;

	batch_calls++;
	batch_last_n = n;
	if (batch_decline)
		return ps_error_set(PS_EINVAL, "not now");
	for (i = 0; i < n; i++) {
		ps_error_clear();
		codes[i] = fake_perform(env, &entries[i], &results[i]);
		if (codes[i] < 0)
			results[i].detail = strdup(ps_error_last());
	}
	ps_error_set(PS_EDATA, "a stale error the worker must not use");
	return 0;
}

static const ps_flow_ops batch_flow = {
	.name = "fake",
	.description = "a fake flow that batches",
	.source = P_TOY_SRC,
	.target = P_TOY_DST,
	.perform = fake_perform,
	.perform_batch = fake_perform_batch,
};

static const ps_flow_ops *const one_flow[] = {&fake_flow, NULL};

/*
 * A flow whose init talks to a platform (here: a second connection that
 * must be able to write, as the listener must while the worker waits on
 * the network) and whose poll leaves a transaction open.
 */
static struct {
	const char *db_path;
	int inits, init_in_tx, other_write, poll_leaks;
} lk;

static int
leaky_init(void **out_state, ps_flow_env *env)
{
	ps_store *other = NULL;

	*out_state = NULL;
	lk.inits++;
	lk.init_in_tx = ps_store_in_transaction(env->store);
	lk.other_write = -1;
	if (ps_store_open(&other, lk.db_path, 0) == 0) {
		ps_store__set_busy_timeout(other, 0);
		lk.other_write =
			ps_store_event_add(NULL, other, PS_PLATFORM_BRIGHTPEARL,
					   "during-init", "{}", env->now);
		ps_error_clear();
	}
	ps_store_close(other);
	return 0;
}

static int
leaky_poll(ps_flow_env *env)
{
	if (lk.poll_leaks)
		return ps_store_begin(env->store); /* never committed */
	return 0;
}

static int
leaky_on_event(ps_flow_env *env, const ps_event *ev)
{
	(void)env;
	(void)ev;
	return 0;
}

static const ps_flow_ops leaky_flow = {
	.name = "leaky",
	.description = "init calls out; poll may leak a transaction",
	.source = P_TOY_SRC,
	.target = P_TOY_DST,
	.init = leaky_init,
	.on_event = leaky_on_event,
	.poll = leaky_poll,
	.poll_interval_ms = 1000,
};

static const ps_flow_ops *const leaky_flows[] = {&leaky_flow, NULL};

/*
 * A flow whose poll makes one Brightpearl call that the platform throttles
 * for a minute, then reads the heartbeat through a second connection (as
 * `pearlsync status` would) once the call returns.
 */
static struct {
	const char *db_path;
	int polls, call_rc, hb_rc;
	int64_t beat_at;
	char state[256];
} wt;

static int
waiting_poll(ps_flow_env *env)
{
	ps_store *other = NULL;
	ps_heartbeat hb;
	char *name = NULL;

	wt.polls++;
	if (env->conn[PS_PLATFORM_BRIGHTPEARL] == NULL)
		return 0;
	wt.call_rc = ps_bp_check_connection(&name,
					    env->conn[PS_PLATFORM_BRIGHTPEARL]);
	free(name);
	ps_heartbeat_init(&hb);
	wt.hb_rc = -1;
	if (ps_store_open(&other, wt.db_path, 0) == 0) {
		wt.hb_rc = ps_store_heartbeat_get(&hb, other);
		wt.beat_at = hb.beat_at;
		snprintf(wt.state, sizeof(wt.state), "%s",
			 hb.state != NULL ? hb.state : "");
	}
	ps_heartbeat_dispose(&hb);
	ps_store_close(other);
	ps_error_clear();
	return 0;
}

static const ps_flow_ops waiting_flow = {
	.name = "waiting",
	.description = "its poll waits out a Brightpearl throttle",
	.source = PS_PLATFORM_BRIGHTPEARL,
	.target = P_TOY_SRC,
	.poll = waiting_poll,
	.poll_interval_ms = 1000,
};

static const ps_flow_ops *const waiting_flows[] = {&waiting_flow, NULL};

static const ps_flow_ops *const batch_flows[] = {&batch_flow, NULL};
static const ps_flow_ops *const skipping_flows[] = {&needs_bc_flow,
						    &switched_flow, NULL};

/* ---- fixture ----------------------------------------------------------------
 */

struct fixture {
	test_db db;
	ps_config cfg;
	ps_store *st; /* db.st */
	ps_worker *w;
	volatile sig_atomic_t stop;
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	if (test_db_open(&f->db, "worker") < 0)
		return -1;
	f->st = f->db.st;
	ps_config_init(&f->cfg);
	snprintf(f->cfg.db_path, sizeof(f->cfg.db_path), "%s", f->db.path);
	memset(&fk, 0, sizeof(fk));
	fake_now = T0;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	ps_worker_free(f->w);
	test_db_close(&f->db);
	free(f);
	return 0;
}

static void
make_worker(struct fixture *f, const ps_flow_ops *const *flows)
{
	ps_worker_options o = PS_WORKER_OPTIONS_INIT;

	o.clock = &fake_clock;
	o.random = &fake_random;
	o.flows = flows;
	o.stop = &f->stop;
	o.connect = 0;
	o.backoff_base_ms = 1000;
	o.backoff_cap_ms = 8000;
	o.claim_batch = 4;
	assert_int_equal(ps_worker_new(&f->w, f->st, &f->cfg, &o), 0);
}

static int64_t
add_entry(struct fixture *f, const char *key)
{
	ps_log_entry e;
	int64_t id = 0;

	ps_log_entry_init(&e);
	e.flow = (char *)"fake";
	e.dedupe_key = (char *)key;
	e.source_platform = P_TOY_SRC;
	e.target_platform = P_TOY_DST;
	assert_int_equal(ps_store_log_add(&id, f->st, &e, fake_now), 0);
	return id;
}

static void
get_entry(struct fixture *f, int64_t id, ps_log_entry *out)
{
	assert_int_equal(ps_store_log_get(out, f->st, id), 0);
}

static void
script(int code, const char *detail)
{
	fk.codes[fk.ncodes] = code;
	fk.details[fk.ncodes] = detail;
	fk.ncodes++;
}

/* ---- tests ------------------------------------------------------------------
 */

static void
test_retry_delay(void **state)
{
	(void)state;
	assert_int_equal(ps_worker_retry_delay(1000, 8000, 1, 0), 500);
	assert_int_equal(ps_worker_retry_delay(1000, 8000, 1, 7), 507);
	assert_int_equal(ps_worker_retry_delay(1000, 8000, 1, 501), 500);
	assert_int_equal(ps_worker_retry_delay(1000, 8000, 2, 7), 1007);
	assert_int_equal(ps_worker_retry_delay(1000, 8000, 4, 7), 4007);
	assert_int_equal(ps_worker_retry_delay(1000, 8000, 9, 7), 4007);
	assert_int_equal(ps_worker_retry_delay(1000, 8000, 60, 4000), 8000);
}

static void
test_success_synced(void **state)
{
	struct fixture *f = *state;
	ps_log_entry e;
	int64_t id;

	id = add_entry(f, "k1");
	make_worker(f, one_flow);
	assert_int_equal(ps_worker_start(f->w), 0);
	assert_int_equal(ps_worker_tick(f->w), 0);
	assert_int_equal(fk.performs, 1);
	assert_int_equal(fk.polls, 1);
	get_entry(f, id, &e);
	assert_int_equal(e.status, PS_ENTRY_SYNCED);
	assert_string_equal(e.target_id, "SO-1");
	assert_string_equal(e.detail, "sent");
	assert_int_equal(e.synced_at, T0);
	ps_log_entry_dispose(&e);
	/* nothing due: a second tick performs nothing, polls not yet */
	assert_int_equal(ps_worker_tick(f->w), 0);
	assert_int_equal(fk.performs, 1);
	assert_int_equal(fk.polls, 1);
	fake_now += 600000;
	assert_int_equal(ps_worker_tick(f->w), 0);
	assert_int_equal(fk.polls, 2);
}

static void
test_transient_backoff_then_operator(void **state)
{
	struct fixture *f = *state;
	ps_log_entry e;
	int64_t id;

	assert_int_equal(ps_store_setting_set(NULL, f->st, "sync.max_attempts",
					      "3", "test", T0),
			 0);
	id = add_entry(f, "k1");
	script(PS_ENET, "connection reset by Brightpearl");
	script(PS_ERATELIMIT, "rate limited");
	script(PS_EREMOTE, "503 from Brightpearl");
	make_worker(f, one_flow);
	assert_int_equal(ps_worker_tick(f->w), 0);
	get_entry(f, id, &e);
	assert_int_equal(e.status, PS_ENTRY_FAILED);
	assert_int_equal(e.attempts, 1);
	assert_int_equal(e.error_code, PS_ENET);
	assert_int_equal(e.next_attempt_at, T0 + 507);
	assert_string_equal(e.reason, "connection reset by Brightpearl");
	ps_log_entry_dispose(&e);

	/* not due a millisecond early */
	fake_now = T0 + 506;
	assert_int_equal(ps_worker_tick(f->w), 0);
	assert_int_equal(fk.performs, 1);
	fake_now = T0 + 507;
	assert_int_equal(ps_worker_tick(f->w), 0);
	assert_int_equal(fk.performs, 2);
	get_entry(f, id, &e);
	assert_int_equal(e.attempts, 2);
	assert_int_equal(e.next_attempt_at, T0 + 507 + 1007);
	ps_log_entry_dispose(&e);

	fake_now = T0 + 507 + 1007;
	assert_int_equal(ps_worker_tick(f->w), 0);
	get_entry(f, id, &e);
	assert_int_equal(e.status, PS_ENTRY_FAILED);
	assert_int_equal(e.attempts, 3);
	assert_int_equal(e.next_attempt_at, 0);
	assert_non_null(strstr(e.reason, "503 from Brightpearl"));
	assert_non_null(strstr(e.reason, "gave up after 3 attempts"));
	ps_log_entry_dispose(&e);
	fake_now += 86400000;
	assert_int_equal(ps_worker_tick(f->w), 0);
	assert_int_equal(fk.performs, 3);
}

static void
test_setting_and_data_errors(void **state)
{
	struct fixture *f = *state;
	ps_log_entry e;
	int64_t a, b;

	a = add_entry(f, "a");
	b = add_entry(f, "b");
	script(PS_ESETTING,
	       "setting 'bigcommerce.defaults.warehouse_id' is not set");
	script(PS_EDATA, "SKU 'TEE-RED-M' not found in Brightpearl");
	make_worker(f, one_flow);
	assert_int_equal(ps_worker_tick(f->w), 0);
	get_entry(f, a, &e);
	assert_int_equal(e.status, PS_ENTRY_PENDING);
	assert_non_null(e.reason);
	assert_true(strncmp(e.reason,
			    "waiting for bigcommerce.defaults.warehouse_id",
			    33) == 0);
	/* looked at again after the poll interval (default 60 s) */
	assert_int_equal(e.next_attempt_at, T0 + 60000);
	ps_log_entry_dispose(&e);
	get_entry(f, b, &e);
	assert_int_equal(e.status, PS_ENTRY_FAILED);
	assert_int_equal(e.error_code, PS_EDATA);
	assert_int_equal(e.next_attempt_at, 0);
	assert_string_equal(e.reason,
			    "SKU 'TEE-RED-M' not found in Brightpearl");
	ps_log_entry_dispose(&e);
	/* the setting is "fixed": the pending entry is done a minute later */
	fake_now = T0 + 60000;
	assert_int_equal(ps_worker_tick(f->w), 0);
	get_entry(f, a, &e);
	assert_int_equal(e.status, PS_ENTRY_SYNCED);
	ps_log_entry_dispose(&e);
	get_entry(f, b, &e);
	assert_int_equal(e.status, PS_ENTRY_FAILED);
	ps_log_entry_dispose(&e);
}

static void
test_stopped_wait_is_not_a_failure(void **state)
{
	struct fixture *f = *state;
	ps_log_entry e;
	int64_t id;

	id = add_entry(f, "k1");
	script(PS_ESTOPPED, "stopped while waiting for the rate limit");
	make_worker(f, one_flow);
	assert_int_equal(ps_worker_tick(f->w), 0);
	get_entry(f, id, &e);
	assert_int_equal(e.status, PS_ENTRY_PENDING);
	assert_int_equal(e.next_attempt_at, T0);
	assert_non_null(strstr(e.reason, "interrupted"));
	ps_log_entry_dispose(&e);
}

static void
test_heartbeat_during_slow_batch(void **state)
{
	struct fixture *f = *state;
	ps_heartbeat hb;

	add_entry(f, "a");
	add_entry(f, "b");
	add_entry(f, "c");
	fk.perform_ms = 3000;
	make_worker(f, one_flow);
	assert_int_equal(ps_worker_tick(f->w), 0);
	assert_int_equal(fk.performs, 3);
	ps_heartbeat_init(&hb);
	assert_int_equal(ps_store_heartbeat_get(&hb, f->st), 0);
	/* written at the tick's start, then after the 2nd entry (6 s) */
	assert_int_equal(hb.beat_at, T0 + 6000);
	ps_heartbeat_dispose(&hb);
}

static void
test_crash_recovery(void **state)
{
	struct fixture *f = *state;
	ps_log_entry *v = NULL, e;
	size_t n = 0;
	int64_t id;

	id = add_entry(f, "k1");
	/* a previous worker claimed it and died before recording anything */
	assert_int_equal(
		ps_store_log_claim_due(&v, &n, f->st, "fake", 10, fake_now), 0);
	assert_int_equal(n, 1);
	ps_log_entries_free(v, n);
	make_worker(f, one_flow);
	/* without the start step the entry stays in flight */
	assert_int_equal(ps_worker_tick(f->w), 0);
	assert_int_equal(fk.performs, 0);
	ps_worker_free(f->w);
	f->w = NULL;
	make_worker(f, one_flow);
	assert_int_equal(ps_worker_start(f->w), 0);
	assert_int_equal(ps_worker_tick(f->w), 0);
	assert_int_equal(fk.performs, 1);
	assert_int_equal(fk.last_attempts, 2);
	assert_non_null(strstr(fk.last_reason, "interrupted"));
	get_entry(f, id, &e);
	assert_int_equal(e.status, PS_ENTRY_SYNCED);
	ps_log_entry_dispose(&e);
}

static void
complete_request(struct fixture *f, ps_request_kind kind, const char *arg,
		 const char *want_in_result)
{
	ps_request r;
	int64_t rid = 0;

	assert_int_equal(ps_store_request_add(&rid, f->st, kind, arg, fake_now),
			 0);
	assert_int_equal(ps_worker_tick(f->w), 0);
	ps_request_init(&r);
	assert_int_equal(ps_store_request_get(&r, f->st, rid), 0);
	assert_true(r.done_at > 0);
	assert_non_null(r.result);
	assert_non_null(strstr(r.result, want_in_result));
	ps_request_dispose(&r);
}

static void
test_operator_requests(void **state)
{
	struct fixture *f = *state;
	ps_log_entry e;
	char *paused = NULL;
	int64_t id;
	char arg[32];

	id = add_entry(f, "k1");
	script(PS_EDATA, "bad data");
	make_worker(f, one_flow);
	assert_int_equal(ps_worker_tick(f->w), 0);
	assert_int_equal(fk.performs, 1);
	assert_int_equal(fk.polls, 1);

	/* retry_entry: due now, attempts from zero */
	snprintf(arg, sizeof(arg), "%lld", (long long)id);
	complete_request(f, PS_REQUEST_RETRY_ENTRY, arg, "will be retried");
	assert_int_equal(fk.performs, 2);
	get_entry(f, id, &e);
	assert_int_equal(e.status, PS_ENTRY_SYNCED);
	assert_int_equal(e.attempts, 1);
	ps_log_entry_dispose(&e);
	complete_request(f, PS_REQUEST_RETRY_ENTRY, "99999", "99999");

	/* run_flow: a poll before the interval is up, by alias */
	complete_request(f, PS_REQUEST_RUN_FLOW, "fk", "will run now");
	assert_int_equal(fk.polls, 2);
	complete_request(f, PS_REQUEST_RUN_FLOW, "nope", "no flow 'nope'");

	/* pause: recorded in the setting; nothing performed or polled */
	complete_request(f, PS_REQUEST_PAUSE_FLOW, "fake", "paused");
	complete_request(f, PS_REQUEST_RUN_FLOW, "fake",
			 "skipped: paused by the operator");
	assert_int_equal(
		ps_store_setting_get(&paused, f->st, "sync.paused_flows"), 0);
	assert_string_equal(paused, "fake");
	free(paused);
	id = add_entry(f, "k2");
	fake_now += 600000;
	assert_int_equal(ps_worker_tick(f->w), 0);
	assert_int_equal(fk.performs, 2);
	assert_int_equal(fk.polls, 2);
	get_entry(f, id, &e);
	assert_int_equal(e.status, PS_ENTRY_PENDING);
	ps_log_entry_dispose(&e);

	/* resume: the setting is cleared and the entry done */
	complete_request(f, PS_REQUEST_RESUME_FLOW, "fake", "resumed");
	assert_int_equal(
		ps_store_setting_get(&paused, f->st, "sync.paused_flows"),
		PS_ENOTFOUND);
	assert_int_equal(fk.performs, 3);
	get_entry(f, id, &e);
	assert_int_equal(e.status, PS_ENTRY_SYNCED);
	ps_log_entry_dispose(&e);

	/* retry_failed for the flow */
	id = add_entry(f, "k3");
	script(PS_EMAPPING, "no mapping");
	assert_int_equal(ps_worker_tick(f->w), 0);
	get_entry(f, id, &e);
	assert_int_equal(e.status, PS_ENTRY_FAILED);
	ps_log_entry_dispose(&e);
	complete_request(f, PS_REQUEST_RETRY_FAILED, "fake",
			 "1 entries will be retried");
	get_entry(f, id, &e);
	assert_int_equal(e.status, PS_ENTRY_SYNCED);
	ps_log_entry_dispose(&e);
}

/*
 * The first event runs the flows' init before the dispatch transaction:
 * another connection (the listener) can write meanwhile.
 */
static void
test_init_outside_event_transaction(void **state)
{
	struct fixture *f = *state;

	memset(&lk, 0, sizeof(lk));
	lk.db_path = f->cfg.db_path;
	assert_int_equal(ps_store_event_add(NULL, f->st,
					    PS_PLATFORM_BIGCOMMERCE,
					    "store/order/created",
					    "{\"data\":{\"id\":1}}", fake_now),
			 0);
	make_worker(f, leaky_flows);
	assert_int_equal(ps_worker_tick(f->w), 0);
	assert_int_equal(lk.inits, 1);
	assert_int_equal(lk.init_in_tx, 0);
	assert_int_equal(lk.other_write, 0);
	assert_int_equal(ps_store_in_transaction(f->st), 0);
}

/*
 * A poll that leaves a transaction open: rolled back at once, so the
 * heartbeat of the next tick reaches other connections (the console, the
 * status command) and the listener can still store events.
 */
static void
test_leaked_poll_transaction_closed(void **state)
{
	struct fixture *f = *state;
	ps_store *other = NULL;
	ps_heartbeat hb;

	memset(&lk, 0, sizeof(lk));
	lk.db_path = f->cfg.db_path;
	lk.poll_leaks = 1;
	make_worker(f, leaky_flows);
	assert_int_equal(ps_worker_tick(f->w), 0);
	assert_int_equal(ps_store_in_transaction(f->st), 0);
	fake_now += 2000;
	assert_int_equal(ps_worker_tick(f->w), 0);
	assert_int_equal(ps_store_in_transaction(f->st), 0);
	assert_int_equal(ps_store_open(&other, f->cfg.db_path, 0), 0);
	ps_store__set_busy_timeout(other, 0);
	ps_heartbeat_init(&hb);
	assert_int_equal(ps_store_heartbeat_get(&hb, other), 0);
	assert_int_equal(hb.beat_at, fake_now);
	ps_heartbeat_dispose(&hb);
	assert_int_equal(ps_store_event_add(NULL, other,
					    PS_PLATFORM_BIGCOMMERCE, "t", "{}",
					    fake_now),
			 0);
	ps_store_close(other);
}

/*
 * sync-once after a crash: the entry the dead run left in flight is
 * performed; while a worker is running (fresh heartbeat) it is left to it.
 */
static void
test_sync_flow_recovers_in_flight(void **state)
{
	struct fixture *f = *state;
	ps_log_entry *v = NULL, e;
	ps_heartbeat hb;
	size_t n = 0, failed = 9;
	int64_t id;

	id = add_entry(f, "k1");
	assert_int_equal(
		ps_store_log_claim_due(&v, &n, f->st, "fake", 10, fake_now), 0);
	assert_int_equal(n, 1);
	ps_log_entries_free(v, n);
	/* a worker beats now: its in-flight entry is not taken */
	ps_heartbeat_init(&hb);
	hb.pid = 1;
	hb.started_at = fake_now;
	hb.beat_at = fake_now;
	hb.state = (char *)"running";
	assert_int_equal(ps_store_heartbeat_set(f->st, &hb), 0);
	make_worker(f, one_flow);
	assert_int_equal(ps_worker_sync_flow(f->w, "fake", &failed), 0);
	assert_int_equal(fk.performs, 0);
	get_entry(f, id, &e);
	assert_int_equal(e.status, PS_ENTRY_IN_FLIGHT);
	ps_log_entry_dispose(&e);
	/* the worker died: its heartbeat goes stale; sync-once recovers */
	fake_now += 16000;
	assert_int_equal(ps_worker_sync_flow(f->w, "fake", &failed), 0);
	assert_int_equal(failed, 0);
	assert_int_equal(fk.performs, 1);
	assert_non_null(strstr(fk.last_reason, "interrupted"));
	get_entry(f, id, &e);
	assert_int_equal(e.status, PS_ENTRY_SYNCED);
	ps_log_entry_dispose(&e);
	/* sync-once writes no heartbeat of its own */
	ps_heartbeat_init(&hb);
	assert_int_equal(ps_store_heartbeat_get(&hb, f->st), 0);
	assert_int_equal(hb.beat_at, fake_now - 16000);
	ps_heartbeat_dispose(&hb);
}

/* A "stopped" heartbeat, however fresh, is no running worker. */
static void
test_sync_flow_recovers_after_clean_stop(void **state)
{
	struct fixture *f = *state;
	ps_log_entry *v = NULL;
	ps_heartbeat hb;
	size_t n = 0;

	add_entry(f, "k1");
	assert_int_equal(
		ps_store_log_claim_due(&v, &n, f->st, "fake", 10, fake_now), 0);
	ps_log_entries_free(v, n);
	ps_heartbeat_init(&hb);
	hb.pid = 1;
	hb.started_at = fake_now;
	hb.beat_at = fake_now;
	hb.state = (char *)"stopped";
	assert_int_equal(ps_store_heartbeat_set(f->st, &hb), 0);
	make_worker(f, one_flow);
	assert_int_equal(ps_worker_sync_flow(f->w, "fake", NULL), 0);
	assert_int_equal(fk.performs, 1);
}

static void
test_events(void **state)
{
	struct fixture *f = *state;
	ps_log_entry e;
	int64_t ev = 0;
	char key[64];

	assert_int_equal(ps_store_event_add(&ev, f->st, PS_PLATFORM_BIGCOMMERCE,
					    "store/order/created",
					    "{\"data\":{\"id\":1}}", fake_now),
			 0);
	fk.event_fail = 1;
	make_worker(f, one_flow);
	assert_int_equal(ps_worker_tick(f->w), 0);
	assert_int_equal(fk.events, 1);
	/* refused: what on_event wrote was rolled back */
	ps_log_entry_init(&e);
	assert_int_equal(ps_store_log_get_by_key(&e, f->st, "half-done"),
			 PS_ENOTFOUND);
	/* offered again later, then its entry is recorded and performed */
	assert_int_equal(ps_worker_tick(f->w), 0);
	assert_int_equal(fk.events, 1);
	fake_now += 5000;
	assert_int_equal(ps_worker_tick(f->w), 0);
	assert_int_equal(fk.events, 2);
	snprintf(key, sizeof(key), "event-%lld", (long long)ev);
	assert_int_equal(ps_store_log_get_by_key(&e, f->st, key), 0);
	assert_int_equal(e.status, PS_ENTRY_SYNCED);
	ps_log_entry_dispose(&e);
	/* processed: a new worker does not see it again */
	ps_worker_free(f->w);
	f->w = NULL;
	make_worker(f, one_flow);
	assert_int_equal(ps_worker_start(f->w), 0);
	assert_int_equal(ps_worker_tick(f->w), 0);
	assert_int_equal(fk.events, 2);
}

/*
 * The flows see events decoded: one stored untyped (object "", as before
 * events were typed) is decoded by its platform's plug-in first; a typed
 * one is handed over as stored, its body unread; one that does not decode
 * is dropped (marked processed) without reaching the flows.
 */
static void
test_events_decoded(void **state)
{
	struct fixture *f = *state;
	static const int64_t ids[] = {6, 8};

	/* the body's event name wins over the stored topic */
	assert_int_equal(
		ps_store_event_add(NULL, f->st, PS_PLATFORM_BRIGHTPEARL,
				   "order.modified",
				   "{\"fullEvent\":\"goods-out-note.modified."
				   "shipped\",\"id\":\"3-4\"}",
				   fake_now),
		0);
	make_worker(f, one_flow);
	assert_int_equal(ps_worker_tick(f->w), 0);
	assert_int_equal(fk.events, 1);
	assert_string_equal(fk.last_object, "goods-out-note");
	assert_int_equal(fk.last_nids, 2);
	assert_int_equal(fk.last_ids[0], 3);
	assert_int_equal(fk.last_ids[1], 4);

	/* typed: a body that would not decode is not read */
	assert_int_equal(ps_store_event_add_typed(
				 NULL, f->st, PS_PLATFORM_BIGCOMMERCE,
				 &(ps_event_change){"store/order/updated",
						    "order", ids, 2, 0, NULL},
				 "garbage", fake_now),
			 0);
	fake_now += 1000;
	assert_int_equal(ps_worker_tick(f->w), 0);
	assert_int_equal(fk.events, 2);
	assert_string_equal(fk.last_object, "order");
	assert_int_equal(fk.last_nids, 2);
	assert_int_equal(fk.last_ids[0], 6);
	assert_int_equal(fk.last_ids[1], 8);

	/* untyped and undecodable: dropped, never offered again */
	assert_int_equal(
		ps_store_event_add(NULL, f->st, PS_PLATFORM_BIGCOMMERCE,
				   "store/order/created", "{}", fake_now),
		0);
	fake_now += 1000;
	assert_int_equal(ps_worker_tick(f->w), 0);
	fake_now += 60000;
	assert_int_equal(ps_worker_tick(f->w), 0);
	assert_int_equal(fk.events, 2);
	ps_worker_free(f->w);
	f->w = NULL;
	make_worker(f, one_flow);
	assert_int_equal(ps_worker_start(f->w), 0);
	assert_int_equal(ps_worker_tick(f->w), 0);
	assert_int_equal(fk.events, 2);
}

static void
test_refused_event_survives_restart(void **state)
{
	struct fixture *f = *state;
	int64_t ev = 0;

	assert_int_equal(ps_store_event_add(&ev, f->st, PS_PLATFORM_BIGCOMMERCE,
					    "store/order/created",
					    "{\"data\":{\"id\":1}}", fake_now),
			 0);
	fk.event_fail = 1;
	make_worker(f, one_flow);
	assert_int_equal(ps_worker_tick(f->w), 0);
	assert_int_equal(fk.events, 1);
	ps_worker_free(f->w);
	f->w = NULL;
	make_worker(f, one_flow);
	assert_int_equal(ps_worker_start(f->w), 0);
	assert_int_equal(ps_worker_tick(f->w), 0);
	assert_int_equal(fk.events, 2);
}

static void
test_stop_finishes_entry_in_hand(void **state)
{
	struct fixture *f = *state;
	ps_heartbeat hb;
	ps_log_entry e;
	int64_t a, b, c;

	a = add_entry(f, "a");
	b = add_entry(f, "b");
	c = add_entry(f, "c");
	fk.stop_in_perform = &f->stop;
	make_worker(f, one_flow);
	assert_int_equal(ps_worker_run(f->w), 0);
	assert_int_equal(fk.performs, 1);
	get_entry(f, a, &e);
	assert_int_equal(e.status, PS_ENTRY_SYNCED);
	ps_log_entry_dispose(&e);
	get_entry(f, b, &e);
	assert_int_equal(e.status, PS_ENTRY_PENDING);
	ps_log_entry_dispose(&e);
	get_entry(f, c, &e);
	assert_int_equal(e.status, PS_ENTRY_PENDING);
	ps_log_entry_dispose(&e);
	ps_heartbeat_init(&hb);
	assert_int_equal(ps_store_heartbeat_get(&hb, f->st), 0);
	assert_string_equal(hb.state, "stopped");
	assert_int_equal(hb.pid, (int64_t)getpid());
	ps_heartbeat_dispose(&hb);
}

static void
test_run_once_drains(void **state)
{
	struct fixture *f = *state;
	size_t failed = 99;
	int i;
	char key[16];

	for (i = 0; i < 10; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		add_entry(f, key);
	}
	script(0, NULL);
	script(PS_ETIMEOUT, "timed out");
	make_worker(f, one_flow);
	assert_int_equal(ps_worker_run_once(f->w, &failed), 0);
	/* batch of 4: all ten done in one pass; the timed-out one waits */
	assert_int_equal(fk.performs, 10);
	assert_int_equal(fk.polls, 1);
	assert_int_equal(failed, 1);
	assert_int_equal(ps_worker_sync_flow(f->w, "fk", &failed), 0);
	assert_int_equal(failed, 0);
	assert_int_equal(fk.polls, 2);
	assert_int_equal(ps_worker_sync_flow(f->w, "nope", &failed),
			 PS_ENOTFOUND);
}

/* The status of entry id. */
static ps_entry_status
status_of(struct fixture *f, int64_t id)
{
	ps_log_entry e;
	ps_entry_status s;

	get_entry(f, id, &e);
	s = e.status;
	ps_log_entry_dispose(&e);
	return s;
}

/*
 * Holding for a batch (no HTTP client here, so the budget is never short:
 * only arrivals count).  An entry alone goes at once; one due within 2 s
 * of the last claim is held until a full batch is due or the oldest has
 * waited sync.batch_hold_ms (3 s); an entry long after the last goes at
 * once again; a hold of 0 never holds.
 */
static void
test_batch_hold_while_arrivals_are_often(void **state)
{
	struct fixture *f = *state;
	int64_t a, b, c, d, e[4];
	int i;

	batch_calls = batch_decline = 0;
	make_worker(f, batch_flows);
	assert_int_equal(ps_worker_start(f->w), 0);
	a = add_entry(f, "h1");
	assert_int_equal(ps_worker_tick(f->w), 0);
	assert_int_equal(status_of(f, a), PS_ENTRY_SYNCED);
	assert_int_equal(batch_calls, 0);
	/* 0.5 s later: arrivals are often, held */
	fake_now += 500;
	b = add_entry(f, "h2");
	assert_int_equal(ps_worker_tick(f->w), 0);
	assert_int_equal(status_of(f, b), PS_ENTRY_PENDING);
	fake_now += 1500;
	c = add_entry(f, "h3");
	assert_int_equal(ps_worker_tick(f->w), 0);
	assert_int_equal(status_of(f, b), PS_ENTRY_PENDING);
	/* 2.5 s: still held; 3 s: b and c go as one batch */
	fake_now += 1000;
	assert_int_equal(ps_worker_tick(f->w), 0);
	assert_int_equal(status_of(f, b), PS_ENTRY_PENDING);
	fake_now += 500;
	assert_int_equal(ps_worker_tick(f->w), 0);
	assert_int_equal(status_of(f, b), PS_ENTRY_SYNCED);
	assert_int_equal(status_of(f, c), PS_ENTRY_SYNCED);
	assert_int_equal(batch_calls, 1);
	assert_int_equal(batch_last_n, 2);
	/* a full batch (claim_batch 4) goes without waiting */
	fake_now += 100;
	for (i = 0; i < 4; i++) {
		char key[8];

		snprintf(key, sizeof(key), "f%d", i);
		e[i] = add_entry(f, key);
	}
	assert_int_equal(ps_worker_tick(f->w), 0);
	for (i = 0; i < 4; i++)
		assert_int_equal(status_of(f, e[i]), PS_ENTRY_SYNCED);
	assert_int_equal(batch_calls, 2);
	/* rare again: at once */
	fake_now += 10000;
	d = add_entry(f, "h4");
	assert_int_equal(ps_worker_tick(f->w), 0);
	assert_int_equal(status_of(f, d), PS_ENTRY_SYNCED);
	/* no hold at all */
	assert_int_equal(ps_store_setting_set(NULL, f->st, "sync.batch_hold_ms",
					      "0", "test", fake_now),
			 0);
	fake_now += 500;
	d = add_entry(f, "h5");
	assert_int_equal(ps_worker_tick(f->w), 0);
	assert_int_equal(status_of(f, d), PS_ENTRY_SYNCED);
}

/* Several due entries go through perform_batch, each marked on its own;
 * a declined batch falls back to one at a time. */
static void
test_batch_each_entry_marked(void **state)
{
	struct fixture *f = *state;
	ps_log_entry e;
	int64_t a, b, c, d;

	batch_calls = batch_decline = 0;
	a = add_entry(f, "b1");
	b = add_entry(f, "b2");
	c = add_entry(f, "b3");
	script(0, NULL);
	script(PS_EDATA, "unknown SKU X-1");
	script(PS_ETIMEOUT, "timed out");
	make_worker(f, batch_flows);
	assert_int_equal(ps_worker_start(f->w), 0);
	assert_int_equal(ps_worker_tick(f->w), 0);
	assert_int_equal(batch_calls, 1);
	assert_int_equal(batch_last_n, 3);
	assert_int_equal(fk.performs, 3);
	get_entry(f, a, &e);
	assert_int_equal(e.status, PS_ENTRY_SYNCED);
	assert_string_equal(e.target_id, "SO-1");
	ps_log_entry_dispose(&e);
	get_entry(f, b, &e);
	assert_int_equal(e.status, PS_ENTRY_FAILED);
	assert_int_equal(e.error_code, PS_EDATA);
	assert_non_null(strstr(e.reason, "unknown SKU X-1"));
	assert_int_equal(e.next_attempt_at, 0);
	ps_log_entry_dispose(&e);
	get_entry(f, c, &e);
	assert_int_equal(e.status, PS_ENTRY_FAILED);
	assert_int_equal(e.error_code, PS_ETIMEOUT);
	assert_non_null(strstr(e.reason, "timed out"));
	assert_true(e.next_attempt_at > fake_now);
	ps_log_entry_dispose(&e);

	/* declined: the due entries are performed one at a time */
	batch_decline = 1;
	d = add_entry(f, "b4");
	fake_now += 60000;
	assert_int_equal(ps_worker_tick(f->w), 0);
	assert_int_equal(batch_calls, 2);
	assert_int_equal(fk.performs, 5);
	get_entry(f, c, &e);
	assert_int_equal(e.status, PS_ENTRY_SYNCED);
	ps_log_entry_dispose(&e);
	get_entry(f, d, &e);
	assert_int_equal(e.status, PS_ENTRY_SYNCED);
	ps_log_entry_dispose(&e);
}

static void
test_skipped_flows(void **state)
{
	struct fixture *f = *state;
	ps_heartbeat hb;

	make_worker(f, skipping_flows);
	assert_int_equal(ps_worker_tick(f->w), 0);
	assert_int_equal(ps_worker_tick(f->w), 0);
	assert_int_equal(fk.polls, 0);
	ps_heartbeat_init(&hb);
	assert_int_equal(ps_store_heartbeat_get(&hb, f->st), 0);
	assert_non_null(strstr(hb.state, "needs_bc: bigcommerce is not "
					 "configured"));
	assert_non_null(strstr(hb.state, "switched: dsco.enabled is off"));
	ps_heartbeat_dispose(&hb);
	assert_int_equal(ps_store_setting_set(NULL, f->st, "dsco.enabled",
					      "true", "test", fake_now),
			 0);
	assert_int_equal(ps_worker_tick(f->w), 0);
	assert_int_equal(fk.polls, 1);
	assert_int_equal(ps_store_heartbeat_get(&hb, f->st), 0);
	assert_null(strstr(hb.state, "switched"));
	ps_heartbeat_dispose(&hb);
}

/*
 * A flow's poll waits 60 s in the HTTP client (a 429 with Retry-After):
 * the heartbeat other processes read must not be left at the tick's start,
 * or `status` calls the worker stopped after 15 s although it is waiting.
 */
static void
test_heartbeat_during_http_wait(void **state)
{
	struct fixture *f = *state;
	ps_worker_options o = PS_WORKER_OPTIONS_INIT;
	ps_http_options ho = PS_HTTP_OPTIONS_INIT;
	mock_server *m = NULL;
	int64_t start;

	assert_int_equal(mock_server_start(&m, NULL), 0);
	assert_int_equal(ps_store_setting_set(NULL, f->st,
					      "brightpearl.account", "acme",
					      "test", fake_now),
			 0);
	assert_int_equal(ps_store_setting_set(NULL, f->st,
					      "brightpearl.app_ref", "acme_app",
					      "test", fake_now),
			 0);
	assert_int_equal(ps_store_setting_set(NULL, f->st, "brightpearl.token",
					      "tok", "test", fake_now),
			 0);
	assert_int_equal(
		ps_store_setting_set(NULL, f->st, "brightpearl.base_url",
				     mock_server_url(m), "test", fake_now),
		0);
	mock_server_reply(m, 429, "Retry-After: 60\n", "");
	mock_server_reply(m, 200, "Content-Type: application/json\n",
			  "{\"response\":[]}");
	memset(&wt, 0, sizeof(wt));
	wt.db_path = f->cfg.db_path;
	ho.clock = &fake_clock;
	ho.random = &fake_random;
	o.clock = &fake_clock;
	o.random = &fake_random;
	o.flows = waiting_flows;
	o.stop = &f->stop;
	o.connect = 1;
	o.http = &ho;
	assert_int_equal(ps_worker_new(&f->w, f->st, &f->cfg, &o), 0);
	assert_int_equal(ps_worker_start(f->w), 0);
	start = fake_now;
	assert_int_equal(ps_worker_tick(f->w), 0);

	assert_int_equal(wt.polls, 1);
	assert_int_equal(mock_server_request_count(m), 2); /* the wait ran */
	assert_true(fake_now - start >= 60000);
	assert_int_equal(wt.hb_rc, 0);
	/* beaten during the wait: at most one beat interval behind */
	assert_true(wt.beat_at > start);
	assert_true(fake_now - wt.beat_at <= 5000);
	assert_non_null(strstr(wt.state, "waiting"));
	mock_server_stop(m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_retry_delay),
		cmocka_unit_test_setup_teardown(test_success_synced, setup,
						teardown),
		cmocka_unit_test_setup_teardown(
			test_transient_backoff_then_operator, setup, teardown),
		cmocka_unit_test_setup_teardown(test_setting_and_data_errors,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_stopped_wait_is_not_a_failure, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_heartbeat_during_slow_batch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_crash_recovery, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_operator_requests, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_events, setup, teardown),
		cmocka_unit_test_setup_teardown(test_events_decoded, setup,
						teardown),
		cmocka_unit_test_setup_teardown(
			test_init_outside_event_transaction, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_sync_flow_recovers_in_flight, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_sync_flow_recovers_after_clean_stop, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_leaked_poll_transaction_closed, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_refused_event_survives_restart, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_stop_finishes_entry_in_hand, setup, teardown),
		cmocka_unit_test_setup_teardown(test_run_once_drains, setup,
						teardown),
		cmocka_unit_test_setup_teardown(
			test_batch_hold_while_arrivals_are_often, setup,
			teardown),
		cmocka_unit_test_setup_teardown(test_batch_each_entry_marked,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_skipped_flows, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_heartbeat_during_http_wait,
						setup, teardown),
	};

	if (ps_lib_init() != 0 || ps_platform_register(&toy_src_ops) != 0 ||
	    ps_platform_register(&toy_dst_ops) != 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
