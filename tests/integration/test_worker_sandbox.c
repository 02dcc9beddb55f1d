/*
 * test_worker_sandbox.c - the worker against pearlsync-sandbox: it
 * registers the three BigCommerce order hooks with its secret header,
 * turns a deactivated hook back on, and the sandbox's delivery of a placed
 * order's webhook reaches the listener and is stored as an event.  After
 * a tick the store's cache holds what the console's dashboard reads: the
 * hooks with is_active (ps_store_hooks_list) and the API budget left (the
 * budgets table).
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
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "pearlsync/settings.h"
#include "pearlsync/store.h"
#include "pearlsync/worker.h"
#include "sandbox_proc.h"
#include "test_db.h"

#define SECRET "hook-secret-9f2c"

static const ps_flow_ops *const no_flows[] = {NULL};
static const char *const auth[] = {"X-Auth-Token: sandbox-token", NULL};

struct fixture {
	sandbox_proc sbx;
	test_db db;
	ps_config cfg;
	ps_store *st; /* db.st */
	ps_worker *w;
	char dest[256];
};

static int64_t
wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
set(struct fixture *f, const char *key, const char *value)
{
	assert_int_equal(ps_store_setting_set(NULL, f->st, key, value, "test",
					      wall_ms()),
			 0);
}

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	ps_worker_options o = PS_WORKER_OPTIONS_INIT;
	char url[64];

	if (f == NULL)
		return -1;
	if (sandbox_proc_start(&f->sbx, NULL, 20000) != 0)
		return -1;
	if (test_db_open(&f->db, "wsbx") < 0)
		return -1;
	f->st = f->db.st;
	ps_config_init(&f->cfg);
	snprintf(f->cfg.db_path, sizeof(f->cfg.db_path), "%s", f->db.path);
	f->cfg.listen_port = 0;
	set(f, "bigcommerce.store_hash", "sandbox");
	set(f, "bigcommerce.token", "sandbox-token");
	set(f, "bigcommerce.base_url",
	    sandbox_proc_url(&f->sbx, "bigcommerce"));
	set(f, "webhooks.secret", SECRET);
	/* the sandbox signs its deliveries with this app secret (Standard
	 * Webhooks): the listener checks every signature it is given */
	set(f, "bigcommerce.client_secret", "sandbox-client-secret");
	o.flows = no_flows;
	o.listen = 1;
	o.register_hooks = 1;
	o.hooks_interval_ms = 1; /* look at the hooks on every tick */
	o.connect = 1;
	if (ps_worker_new(&f->w, f->st, &f->cfg, &o) < 0)
		return -1;
	snprintf(url, sizeof(url), "http://127.0.0.1:%d",
		 ps_worker_listen_port(f->w));
	set(f, "webhooks.public_url", url);
	snprintf(f->dest, sizeof(f->dest), "%s/webhooks/bigcommerce", url);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	ps_worker_free(f->w);
	sandbox_proc_stop(&f->sbx);
	test_db_close(&f->db);
	free(f);
	return 0;
}

/* The sandbox's hooks (new reference, an array). */
static json_t *
hooks(struct fixture *f)
{
	sandbox_reply r;
	char url[256];
	json_t *doc;

	snprintf(url, sizeof(url), "%s/bigcommerce/hooks", f->sbx.control);
	assert_int_equal(sandbox_http(&r, "GET", url, NULL, NULL, NULL), 200);
	doc = json_loads(r.body, 0, NULL);
	sandbox_reply_dispose(&r);
	assert_non_null(doc);
	if (json_is_object(doc) &&
	    json_is_array(json_object_get(doc, "data"))) {
		json_t *a = json_incref(json_object_get(doc, "data"));

		json_decref(doc);
		doc = a;
	}
	assert_true(json_is_array(doc));
	return doc;
}

/* The hook for scope pointing at us, borrowed from arr, or NULL. */
static json_t *
find_hook(json_t *arr, const char *dest, const char *scope)
{
	size_t i;
	json_t *h;

	json_array_foreach (arr, i, h) {
		const char *s = json_string_value(json_object_get(h, "scope"));
		const char *d =
			json_string_value(json_object_get(h, "destination"));

		if (s && d && strcmp(s, scope) == 0 && strcmp(d, dest) == 0)
			return h;
	}
	return NULL;
}

static int
count_hooks_calls(int64_t bucket, ps_platform platform, const char *endpoint,
		  const char *outcome, int64_t count, void *payload)
{
	int64_t *total = payload;

	(void)bucket;
	if (platform == PS_PLATFORM_BIGCOMMERCE &&
	    strstr(endpoint, "hooks") != NULL && strcmp(outcome, "ok") == 0)
		*total += count;
	return 0;
}

static const char *const scopes[] = {
	"store/order/created", "store/order/updated",
	"store/order/statusUpdated", "store/order/refund/created"};

static void
test_register_and_reactivate(void **state)
{
	struct fixture *f = *state;
	json_t *arr, *h;
	sandbox_reply r;
	char url[300];
	long long id;
	int64_t calls = 0;
	size_t i;

	assert_int_equal(ps_worker_tick(f->w), 0);
	arr = hooks(f);
	for (i = 0; i < 4; i++) {
		h = find_hook(arr, f->dest, scopes[i]);
		assert_non_null(h);
		assert_true(json_is_true(json_object_get(h, "is_active")));
		assert_string_equal(json_string_value(json_object_get(
					    json_object_get(h, "headers"),
					    "X-Pearlsync-Secret")),
				    SECRET);
	}
	assert_int_equal(json_array_size(arr), 4);
	/* the calls were counted and flushed to the store */
	assert_int_equal(ps_store_http_count_foreach(f->st, 0,
						     count_hooks_calls, &calls),
			 0);
	assert_true(calls >= 4); /* one list, three creates */
	id = (long long)json_integer_value(json_object_get(
		find_hook(arr, f->dest, "store/order/updated"), "id"));
	json_decref(arr);

	/* a second tick changes nothing: no duplicates */
	assert_int_equal(ps_worker_tick(f->w), 0);
	arr = hooks(f);
	assert_int_equal(json_array_size(arr), 4);
	json_decref(arr);

	/* BigCommerce switches one off; the worker turns it back on */
	snprintf(url, sizeof(url), "%s/stores/sandbox/v3/hooks/%lld",
		 sandbox_proc_url(&f->sbx, "bigcommerce"), id);
	assert_int_equal(sandbox_http(&r, "PUT", url, auth,
				      "{\"is_active\":false}", NULL),
			 200);
	sandbox_reply_dispose(&r);
	arr = hooks(f);
	assert_true(json_is_false(json_object_get(
		find_hook(arr, f->dest, "store/order/updated"), "is_active")));
	json_decref(arr);
	assert_int_equal(ps_worker_tick(f->w), 0);
	arr = hooks(f);
	h = find_hook(arr, f->dest, "store/order/updated");
	assert_true(json_is_true(json_object_get(h, "is_active")));
	assert_int_equal(
		(long long)json_integer_value(json_object_get(h, "id")), id);
	assert_int_equal(json_array_size(arr), 4);
	json_decref(arr);
}

/* The cache row kind as JSON (new reference), or NULL when absent. */
static void
test_cache_rows_for_dashboard(void **state)
{
	struct fixture *f = *state;
	ps_store_budget *budgets = NULL;
	size_t nbudgets = 0;
	ps_hook_state *hooks = NULL;
	size_t nhooks = 0;
	sandbox_reply r;
	char url[300];
	long long id = 0;
	size_t i, reactivated = 0;

	assert_int_equal(ps_store_hooks_list(&hooks, &nhooks, f->st), 0);
	assert_int_equal(nhooks, 0);
	assert_int_equal(ps_store_budget_list(&budgets, &nbudgets, f->st), 0);
	assert_int_equal(nbudgets, 0);
	assert_int_equal(ps_worker_tick(f->w), 0);
	/* the API budget left, of the store only (Brightpearl: not set up) */
	assert_int_equal(ps_store_budget_list(&budgets, &nbudgets, f->st), 0);
	assert_int_equal(nbudgets, 1);
	assert_int_equal(budgets[0].platform, PS_PLATFORM_BIGCOMMERCE);
	assert_string_equal(budgets[0].account, "sandbox");
	assert_string_equal(budgets[0].unit, "requests");
	assert_true(budgets[0].remaining >= 0);
	assert_true(budgets[0].quota > 0);
	assert_true(budgets[0].remaining <= budgets[0].quota);
	ps_store_budgets_free(budgets, nbudgets);
	/* our four hooks (order scopes and the refund one), all active */
	assert_int_equal(ps_store_hooks_list(&hooks, &nhooks, f->st), 0);
	assert_int_equal(nhooks, 4);
	for (i = 0; i < nhooks; i++) {
		assert_int_equal(hooks[i].platform, PS_PLATFORM_BIGCOMMERCE);
		assert_true(hooks[i].active);
		assert_false(hooks[i].reactivated);
		assert_string_equal(hooks[i].destination, f->dest);
		if (strcmp(hooks[i].topic, "store/order/created") == 0)
			id = atoll(hooks[i].hook_id);
	}
	ps_hook_states_free(hooks, nhooks);
	assert_true(id > 0);
	/* one switched off by BigCommerce: turned on, and recorded so */
	snprintf(url, sizeof(url), "%s/stores/sandbox/v3/hooks/%lld",
		 sandbox_proc_url(&f->sbx, "bigcommerce"), id);
	assert_int_equal(sandbox_http(&r, "PUT", url, auth,
				      "{\"is_active\":false}", NULL),
			 200);
	sandbox_reply_dispose(&r);
	assert_int_equal(ps_worker_tick(f->w), 0);
	assert_int_equal(ps_store_hooks_list(&hooks, &nhooks, f->st), 0);
	assert_int_equal(nhooks, 4);
	for (i = 0; i < nhooks; i++) {
		assert_true(hooks[i].active);
		if (hooks[i].reactivated) {
			reactivated++;
			assert_int_equal(atoll(hooks[i].hook_id), id);
		}
	}
	assert_int_equal(reactivated, 1);
	ps_hook_states_free(hooks, nhooks);
}

static void
test_delivery_reaches_listener(void **state)
{
	struct fixture *f = *state;
	int64_t deadline;
	ps_event *v = NULL;
	sandbox_reply r;
	char url[256], want[64];
	json_t *doc;
	long long order_id;
	long status;
	size_t n = 0, i;
	struct timespec pause = {0, 20000000};
	int found = 0;

	assert_int_equal(ps_worker_tick(f->w), 0);
	snprintf(url, sizeof(url), "%s/bigcommerce/orders", f->sbx.control);
	status = sandbox_http(&r, "POST", url, NULL,
			      "{\"billing_address\":{\"first_name\":\"Jo\","
			      "\"last_name\":\"Bloggs\",\"street_1\":\"1 Main "
			      "St\",\"city\":\"Austin\",\"state\":\"Texas\","
			      "\"zip\":\"78701\",\"country\":\"United States\","
			      "\"country_iso2\":\"US\",\"email\":"
			      "\"jo@example.com\"},\"lines\":[{\"sku\":"
			      "\"MUG-LOGO\",\"quantity\":1}]}",
			      NULL);
	doc = json_loads(r.body, 0, NULL);
	sandbox_reply_dispose(&r);
	assert_int_equal(status, 201);
	order_id = (long long)json_integer_value(
		json_object_get(json_object_get(doc, "order"), "id"));
	json_decref(doc);
	assert_true(order_id > 0);
	snprintf(want, sizeof(want), "\"id\":%lld", order_id);

	deadline = wall_ms() + 15000;
	while (!found && wall_ms() < deadline) {
		assert_int_equal(
			ps_store_event_claim(&v, &n, f->st, 10, wall_ms()), 0);
		for (i = 0; i < n; i++)
			if (v[i].platform == PS_PLATFORM_BIGCOMMERCE &&
			    strcmp(v[i].topic, "store/order/created") == 0 &&
			    strstr(v[i].payload, want) != NULL)
				found = 1;
		ps_events_free(v, n);
		if (!found)
			nanosleep(&pause, NULL);
	}
	assert_true(found);
}

/*
 * With the app's client secret set, a delivery carrying the right secret
 * header but a signature that does not match its body is refused; the
 * sandbox's own signed deliveries get through (test above).
 */
static void
test_forged_signature_refused(void **state)
{
	struct fixture *f = *state;
	char ts[32], hdr_ts[64];
	const char *headers[] = {"X-Pearlsync-Secret: " SECRET,
				 "webhook-id: msg_forged_1", hdr_ts,
				 "webhook-signature: v1,"
				 "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
				 NULL};
	const char *body = "{\"scope\":\"store/order/created\","
			   "\"store_id\":\"1000001\",\"data\":{\"type\":"
			   "\"order\",\"id\":4242},\"created_at\":1}";
	sandbox_reply r;
	long status;

	snprintf(ts, sizeof(ts), "%lld", (long long)(wall_ms() / 1000));
	snprintf(hdr_ts, sizeof(hdr_ts), "webhook-timestamp: %s", ts);
	status = sandbox_http(&r, "POST", f->dest, headers, body, NULL);
	sandbox_reply_dispose(&r);
	assert_int_equal(status, 401);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_register_and_reactivate,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_cache_rows_for_dashboard,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_forged_signature_refused,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_delivery_reaches_listener,
						setup, teardown),
	};

	ps_lib_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
