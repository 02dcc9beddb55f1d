/*
 * flow_fixture.c - the sandbox, scratch database, connectors and worker
 * shared by the end-to-end flow tests, and the asserting helpers their
 * bodies call (see flow_fixture.h).
 */
#define _DEFAULT_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
/* cmocka needs the four above first */
#include <cmocka.h>

#include "flow_fixture.h"

#include <arpa/inet.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "pearlsync/config.h"
#include "pearlsync/flow.h"
#include "pearlsync/log.h"

int64_t
flow_fixture_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int
flow_fixture_free_port(void)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port = 0;

	if (fd < 0)
		return 0;
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&a, &len) == 0)
		port = ntohs(a.sin_port);
	close(fd);
	return port;
}

int
flow_fixture_set(flow_fixture *fx, const char *key, const char *value)
{
	if (value != NULL && value[0] == '\0')
		value = NULL;
	if (ps_store_setting_set(NULL, fx->st, key, value, "test",
				 flow_fixture_now_ms()) < 0) {
		fprintf(stderr, "setting %s: %s\n", key, ps_error_last());
		return -1;
	}
	return 0;
}

int
flow_fixture_map(flow_fixture *fx, const char *kind, const char *direction,
		 const char *source, const char *target)
{
	ps_mapping m = {kind, direction, source, target};

	if (ps_store_mapping_set(NULL, fx->st, &m, "test",
				 flow_fixture_now_ms()) < 0) {
		fprintf(stderr, "mapping %s %s %s: %s\n", kind, direction,
			source, ps_error_last());
		return -1;
	}
	return 0;
}

/* Connectors to the sandbox over a new client with ho. */
static int
connect_to_sandbox(flow_fixture *fx, const ps_http_options *ho)
{
	ps_bp_options bo = PS_BP_OPTIONS_INIT;
	ps_bc_options co = PS_BC_OPTIONS_INIT;
	ps_dsco_options dopt = PS_DSCO_OPTIONS_INIT;
	ps_sh_options so = PS_SH_OPTIONS_INIT;

	dopt.base_url = sandbox_proc_url(&fx->sb, "dsco");
	dopt.client_id = "sandbox-client";
	dopt.client_secret = "sandbox-secret";
	bo.base_url = sandbox_proc_url(&fx->sb, "brightpearl");
	bo.account = "sandbox";
	bo.app_ref = "sandbox_pearlsync";
	bo.token = "sandbox-token";
	bo.instance_id = 7;
	co.base_url = sandbox_proc_url(&fx->sb, "bigcommerce");
	co.store_hash = "sandbox";
	co.access_token = "sandbox-token";
	so.base_url = sandbox_proc_url(&fx->sb, "shiphero");
	so.access_token = "sandbox-token";
	if (ps_http_new(&fx->http, ho) < 0 ||
	    ps_bp_new(&fx->bp, fx->http, &bo) < 0 ||
	    ps_bc_new(&fx->bc, fx->http, &co) < 0 ||
	    ps_dsco_new(&fx->ds, fx->http, &dopt) < 0 ||
	    ps_sh_new(&fx->sh, fx->http, &so) < 0) {
		fprintf(stderr, "fixture: %s\n", ps_error_last());
		return -1;
	}
	return 0;
}

int
flow_fixture_start_import(flow_fixture *fx)
{
	static const char *const flows[] = {"orders", NULL};
	static const char *const settings[][2] = {
		{"brightpearl.account", "sandbox"},
		{"brightpearl.installed_integration_instance_id", "7"},
		{"bigcommerce.orders.enabled", "true"},
		{"bigcommerce.orders.import_statuses", "11"},
		{"bigcommerce.defaults.channel_id", "1"},
		{"bigcommerce.defaults.warehouse_id", "2"},
		{"bigcommerce.defaults.tax_code", "T"},
		{"sync.poll_interval_seconds", "86400"},
	};
	size_t i;

	for (i = 0; i < sizeof(settings) / sizeof(*settings); i++)
		if (flow_fixture_set(fx, settings[i][0], settings[i][1]) < 0)
			return -1;
	if (flow_fixture_map(fx, "order_status", "bc>bp", "11", "2") < 0 ||
	    flow_fixture_start_worker(fx, flows) < 0)
		return -1;
	/* the first pass registers the hooks and imports the demo orders */
	return ps_worker_run_once(fx->worker, NULL) < 0 ? -1 : 0;
}

int
flow_fixture_setup_steps(flow_fixture *fx)
{
	static const char *const settings[][2] = {
		{"brightpearl.account", "sandbox"},
		{"bigcommerce.store_hash", "sandbox"},
		{"bigcommerce.orders.enabled", "true"},
		{"bigcommerce.orders.start_date", "2000-01-01"},
		{"bigcommerce.defaults.channel_id", "1"},
		{"bigcommerce.defaults.warehouse_id", "2"},
		{"bigcommerce.defaults.tax_code", "T"},
		{"bigcommerce.defaults.order_status_id", "2"},
		{"bigcommerce.orders.sync_statuses", "2,5,7,8"},
		{"bigcommerce.fulfilment.enabled", "true"},
		{"bigcommerce.fulfilment.trigger", "goods_out"},
	};
	/* direction, source ("" is the default row), target */
	static const char *const statuses[][3] = {
		{"bc>bp", "11", "2"}, {"bc>bp", "9", "7"}, {"bc>bp", "", "2"},
		{"bp>bc", "2", "11"}, {"bp>bc", "", "11"},
	};
	size_t i;

	for (i = 0; i < sizeof(settings) / sizeof(*settings); i++)
		if (flow_fixture_set(fx, settings[i][0], settings[i][1]) < 0)
			return -1;
	for (i = 0; i < sizeof(statuses) / sizeof(*statuses); i++)
		if (flow_fixture_map(fx, "order_status", statuses[i][0],
				     statuses[i][1], statuses[i][2]) < 0)
			return -1;
	return 0;
}

int
flow_fixture_open(flow_fixture *fx, const char *const *sandbox_args)
{
	static const char *const dflt[] = {"--seed", "demo", "--quota", "off",
					   NULL};
	ps_http_options ho = PS_HTTP_OPTIONS_INIT;
	char url[128];

	memset(fx, 0, sizeof(*fx));
	ps_lib_init();
	ps_log_set_level(PS_LOG_WARN);
	if (sandbox_proc_start(&fx->sb, sandbox_args ? sandbox_args : dflt,
			       15000) < 0)
		return -1;
	if (test_db_mkdir(&fx->db, "flow") < 0)
		goto fail;
	ho.max_attempts = 4;
	ho.backoff_base_ms = 2;
	ho.backoff_cap_ms = 20;
	if (ps_store_open(&fx->st, fx->db.path, 0) < 0) {
		fprintf(stderr, "fixture: %s\n", ps_error_last());
		goto fail;
	}
	if (connect_to_sandbox(fx, &ho) < 0)
		goto fail;
	if ((fx->listen_port = flow_fixture_free_port()) == 0)
		goto fail;
	snprintf(url, sizeof(url), "http://127.0.0.1:%d", fx->listen_port);
	if (flow_fixture_set(fx, "webhooks.public_url", url) < 0 ||
	    flow_fixture_set(fx, "webhooks.secret", FLOW_FIXTURE_SECRET) < 0)
		goto fail;
	return 0;
fail:
	flow_fixture_close(fx);
	return -1;
}

int
flow_fixture_reconnect(flow_fixture *fx, const ps_http_options *ho)
{
	if (fx->worker != NULL) {
		fprintf(stderr, "fixture: reconnect after the worker "
				"started\n");
		return -1;
	}
	ps_bp_free(fx->bp);
	ps_bc_free(fx->bc);
	ps_dsco_free(fx->ds);
	fx->ds = NULL;
	ps_sh_free(fx->sh);
	ps_http_free(fx->http);
	fx->bp = NULL;
	fx->bc = NULL;
	fx->sh = NULL;
	fx->http = NULL;
	return connect_to_sandbox(fx, ho);
}

/* A worker over fx->flows (empty: every flow). */
static int
worker_new(flow_fixture *fx)
{
	ps_worker_options o = PS_WORKER_OPTIONS_INIT;
	ps_config cfg;

	ps_config_init(&cfg);
	snprintf(cfg.db_path, sizeof(cfg.db_path), "%s", fx->db.path);
	snprintf(cfg.listen_address, sizeof(cfg.listen_address), "127.0.0.1");
	cfg.listen_port = fx->listen_port;
	o.flows = fx->flows[0] != NULL ? fx->flows : NULL;
	o.listen = 1;
	o.register_hooks = 1;
	o.conn[PS_PLATFORM_BRIGHTPEARL] = fx->bp;
	o.conn[PS_PLATFORM_BIGCOMMERCE] = fx->bc;
	o.conn[PS_PLATFORM_DSCO] = fx->ds;
	o.conn[PS_PLATFORM_SHIPHERO] = fx->sh_in_worker ? fx->sh : NULL;
	o.http_client = fx->http;
	o.clock = fx->clock;
	o.connect = 0;
	o.tick_ms = 10;
	o.backoff_base_ms = 10;
	o.backoff_cap_ms = 50;
	if (ps_worker_new(&fx->worker, fx->st, &cfg, &o) < 0) {
		fprintf(stderr, "fixture: worker: %s\n", ps_error_last());
		return -1;
	}
	return 0;
}

int
flow_fixture_start_worker(flow_fixture *fx, const char *const *flows)
{
	size_t i;

	for (i = 0; flows != NULL && flows[i] != NULL; i++) {
		if (i == FLOW_FIXTURE_MAX_FLOWS) {
			fprintf(stderr, "fixture: more than %d flows\n",
				FLOW_FIXTURE_MAX_FLOWS);
			return -1;
		}
		if ((fx->flows[i] = ps_flow_find(flows[i])) == NULL) {
			fprintf(stderr, "fixture: no flow '%s'\n", flows[i]);
			return -1;
		}
	}
	fx->flows[i] = NULL;
	return worker_new(fx);
}

int
flow_fixture_restart_worker(flow_fixture *fx)
{
	ps_worker_free(fx->worker);
	fx->worker = NULL;
	ps_store_close(fx->st);
	fx->st = NULL;
	if (ps_store_open(&fx->st, fx->db.path, 0) < 0) {
		fprintf(stderr, "fixture: reopen: %s\n", ps_error_last());
		return -1;
	}
	return worker_new(fx);
}

int
flow_fixture_teardown(void **state)
{
	flow_fixture_close(*state);
	return 0;
}

void
flow_fixture_close(flow_fixture *fx)
{
	ps_worker_free(fx->worker);
	ps_bp_free(fx->bp);
	ps_bc_free(fx->bc);
	ps_dsco_free(fx->ds);
	fx->ds = NULL;
	ps_sh_free(fx->sh);
	ps_http_free(fx->http);
	ps_store_close(fx->st);
	test_db_close(&fx->db);
	if (fx->sb.pid > 0)
		sandbox_proc_stop(&fx->sb);
	memset(fx, 0, sizeof(*fx));
}

json_t *
flow_fixture_ctl(flow_fixture *fx, const char *method, const char *path,
		 const char *body)
{
	sandbox_reply r;
	char url[512];
	json_t *j = NULL;

	snprintf(url, sizeof(url), "%s%s", fx->sb.control, path);
	sandbox_http(&r, method, url, NULL, body, NULL);
	if (r.status < 200 || r.status > 299)
		fprintf(stderr, "control %s %s -> %ld %.300s\n", method, path,
			r.status, r.body ? r.body : "");
	else
		j = r.body_len ? json_loadb(r.body, r.body_len, 0, NULL)
			       : json_object();
	sandbox_reply_dispose(&r);
	return j;
}

int64_t
flow_fixture_requests(flow_fixture *fx, const char *platform,
		      const char *endpoint)
{
	json_t *j = flow_fixture_ctl(fx, "GET", "/requests", NULL), *p, *v;
	int64_t n = -1;

	if (j == NULL)
		return -1;
	p = json_object_get(j, platform);
	v = endpoint
		    ? json_object_get(json_object_get(p, "endpoints"), endpoint)
		    : json_object_get(p, "total");
	if (json_is_integer(v))
		n = json_integer_value(v);
	else if (p != NULL)
		n = 0; /* an endpoint never called has no counter */
	json_decref(j);
	return n;
}

int
flow_fixture_run_until(flow_fixture *fx, int (*check)(void *arg), void *arg,
		       int64_t deadline_ms)
{
	int64_t end = flow_fixture_now_ms() + deadline_ms;

	do {
		if (ps_worker_run_once(fx->worker, NULL) < 0) {
			fprintf(stderr, "worker pass: %s\n", ps_error_last());
			return -1;
		}
		if (check(arg))
			return 1;
		usleep(20000);
	} while (flow_fixture_now_ms() < end);
	return 0;
}

void
flow_fixture_log_dump(flow_fixture *fx)
{
	ps_log_query q = PS_LOG_QUERY_INIT;
	ps_log_entry *rows = NULL;
	size_t n = 0, i;

	if (ps_store_log_list(&rows, &n, fx->st, &q) == 0)
		for (i = 0; i < n; i++)
			fprintf(stderr, "entry %s %s %s %s\n",
				rows[i].dedupe_key,
				ps_entry_status_name(rows[i].status),
				rows[i].reason ? rows[i].reason : "",
				rows[i].detail ? rows[i].detail : "");
	ps_log_entries_free(rows, n);
}

/* ---- for cmocka test bodies ------------------------------------------- */

json_t *
fx_ctl(flow_fixture *fx, const char *method, const char *path, const char *body)
{
	json_t *j = flow_fixture_ctl(fx, method, path, body);

	assert_non_null(j);
	return j;
}

void
fx_ctl_ok(flow_fixture *fx, const char *method, const char *path,
	  const char *body)
{
	json_decref(fx_ctl(fx, method, path, body));
}

void
fx_set(flow_fixture *fx, const char *key, const char *value)
{
	assert_int_equal(flow_fixture_set(fx, key, value), 0);
}

void
fx_map(flow_fixture *fx, const char *kind, const char *direction,
       const char *source, const char *target)
{
	assert_int_equal(flow_fixture_map(fx, kind, direction, source, target),
			 0);
}

void
fx_passes(flow_fixture *fx, int n, int pause_ms)
{
	int i;

	for (i = 0; i < n; i++) {
		assert_int_equal(ps_worker_run_once(fx->worker, NULL), 0);
		if (pause_ms > 0)
			usleep((useconds_t)pause_ms * 1000);
	}
}

int
fx_run_until(flow_fixture *fx, int (*check)(void *arg), void *arg,
	     int64_t deadline_ms)
{
	int rc = flow_fixture_run_until(fx, check, arg, deadline_ms);

	assert_true(rc >= 0);
	return rc;
}

int64_t
fx_requests(flow_fixture *fx, const char *platform, const char *endpoint)
{
	int64_t n = flow_fixture_requests(fx, platform, endpoint);

	assert_true(n >= 0);
	return n;
}

size_t
fx_count(const char *hay, const char *needle)
{
	size_t n = 0;
	const char *p = hay;

	while (hay && (p = strstr(p, needle)) != NULL) {
		n++;
		p += strlen(needle);
	}
	return n;
}

void
fx_round(flow_fixture *fx)
{
	/* the sandbox delivers its webhooks during the pause */
	fx_passes(fx, 1, 150);
	fx_passes(fx, 1, 0);
}

/* step until check(arg) holds (1) or deadline_ms pass (0). */
static int
steps_until(flow_fixture *fx, void (*step)(flow_fixture *fx),
	    int (*check)(int64_t arg), int64_t arg, int64_t deadline_ms)
{
	int64_t end = flow_fixture_now_ms() + deadline_ms;

	do {
		step(fx);
		if (check(arg))
			return 1;
	} while (flow_fixture_now_ms() < end);
	return 0;
}

int
fx_rounds_until(flow_fixture *fx, int (*check)(int64_t arg), int64_t arg,
		int64_t deadline_ms)
{
	return steps_until(fx, fx_round, check, arg, deadline_ms);
}

/* A worker tick (the webhook events the listener stored, the polls that
 * are due, due entries), then 20 ms. */
static void
tick(flow_fixture *fx)
{
	assert_int_equal(ps_worker_tick(fx->worker), 0);
	usleep(20000);
}

int
fx_ticks_until(flow_fixture *fx, int (*check)(int64_t arg), int64_t arg,
	       int64_t deadline_ms)
{
	return steps_until(fx, tick, check, arg, deadline_ms);
}

size_t
fx_failed_entries(flow_fixture *fx)
{
	ps_log_query q = PS_LOG_QUERY_INIT;
	ps_log_entry *rows = NULL;
	size_t n = 0, i;

	q.status = PS_ENTRY_FAILED;
	assert_int_equal(ps_store_log_list(&rows, &n, fx->st, &q), 0);
	for (i = 0; i < n; i++)
		fprintf(stderr, "failed: %s %s: %s\n", rows[i].flow,
			rows[i].dedupe_key,
			rows[i].reason ? rows[i].reason : "");
	ps_log_entries_free(rows, n);
	return n;
}

long
fx_api(json_t **out, flow_fixture *fx, const char *platform, const char *method,
       const char *path, const char *const *headers, const char *body)
{
	sandbox_reply r;
	char url[512];
	long status;

	assert_true((size_t)snprintf(url, sizeof(url), "%s%s",
				     sandbox_proc_url(&fx->sb, platform),
				     path) < sizeof(url));
	status = sandbox_http(&r, method, url, headers, body, NULL);
	if (out)
		*out = r.body_len ? json_loadb(r.body, r.body_len, 0, NULL)
				  : NULL;
	sandbox_reply_dispose(&r);
	return status;
}

/* ---- orders made as the order import would ---------------------------- */

int64_t
fx_bp_product(flow_fixture *fx, const char *sku)
{
	ps_bp_product_list pl = {NULL, 0, NULL};
	int64_t id;

	assert_int_equal(
		ps_bp_product_find(&pl, fx->bp, PS_BP_IDENTITY_SKU, sku), 0);
	assert_int_equal(pl.n, 1);
	id = pl.items[0].id;
	ps_bp_product_list_dispose(&pl);
	return id;
}

int64_t
fx_bp_order_of(flow_fixture *fx, int64_t bc_id)
{
	char id[24], *v = NULL;
	int64_t bp_id;

	snprintf(id, sizeof(id), "%" PRId64, bc_id);
	if (ps_store_xref_get(&v, fx->st, "order", PS_PLATFORM_BIGCOMMERCE, id,
			      PS_PLATFORM_BRIGHTPEARL) < 0)
		return 0;
	bp_id = strtoll(v, NULL, 10);
	free(v);
	return bp_id;
}

json_t *
fx_bp_order(flow_fixture *fx, int64_t bp_id)
{
	json_t *all = fx_ctl(fx, "GET", "/brightpearl/orders", NULL), *o;
	json_t *out = NULL;
	size_t i;

	json_array_foreach (all, i, o) {
		if (json_integer_value(json_object_get(o, "id")) == bp_id)
			out = json_incref(o);
	}
	json_decref(all);
	assert_non_null(out);
	return out;
}

int64_t
fx_bc_order_place(flow_fixture *fx, const char *lines_json,
		  const char *fields_json)
{
	return fx_bc_order_place_at(fx, "1 Road", lines_json, fields_json);
}

int64_t
fx_bc_order_place_at(flow_fixture *fx, const char *street,
		     const char *lines_json, const char *fields_json)
{
	char body[1024];
	json_t *r;
	int64_t id;
	int n;

	n = snprintf(body, sizeof(body),
		     "{\"customer\":{\"email\":\"ada@example.com\","
		     "\"first_name\":\"Ada\",\"last_name\":\"L\"},"
		     "\"billing_address\":{\"first_name\":\"Ada\","
		     "\"last_name\":\"L\",\"street_1\":\"%s\",\"city\":"
		     "\"Town\",\"zip\":\"12345\",\"country\":"
		     "\"United States\",\"country_iso2\":\"US\",\"email\":"
		     "\"ada@example.com\"},\"lines\":%s,%s}",
		     street, lines_json, fields_json);
	assert_true(n > 0 && (size_t)n < sizeof(body));
	r = fx_ctl(fx, "POST", "/bigcommerce/orders", body);
	id = json_integer_value(
		json_object_get(json_object_get(r, "order"), "id"));
	json_decref(r);
	assert_true(id > 0);
	return id;
}

fx_order
fx_order_make(flow_fixture *fx, const char *sku1, int q1, const char *sku2,
	      int q2)
{
	ps_bp_order_row rows[2];
	ps_bp_order o;
	char lines[256], ext[32], b[32];
	fx_order p;

	snprintf(lines, sizeof(lines),
		 "[{\"sku\":\"%s\",\"quantity\":%d},"
		 "{\"sku\":\"%s\",\"quantity\":%d}]",
		 sku1, q1, sku2, q2);
	p.bc_id = fx_bc_order_place(fx, lines, "\"status_id\":11");
	memset(rows, 0, sizeof(rows));
	memset(&o, 0, sizeof(o));
	rows[0].product_id = fx_bp_product(fx, sku1);
	rows[0].name = sku1;
	rows[0].quantity = q1;
	rows[1].product_id = fx_bp_product(fx, sku2);
	rows[1].name = sku2;
	rows[1].quantity = q2;
	rows[0].tax_code = rows[1].tax_code = "T";
	snprintf(ext, sizeof(ext), "%" PRId64, p.bc_id);
	o.customer_id = 201;
	o.external_ref = ext;
	o.status_id = 2;
	o.warehouse_id = 2;
	o.shipping_method_id = 6;
	o.rows = rows;
	o.nrows = 2;
	assert_int_equal(ps_bp_order_create(&p.bp_id, NULL, fx->bp, &o), 0);
	snprintf(b, sizeof(b), "%" PRId64, p.bp_id);
	assert_int_equal(ps_store_xref_set(fx->st, "order",
					   PS_PLATFORM_BIGCOMMERCE, ext,
					   PS_PLATFORM_BRIGHTPEARL, b,
					   flow_fixture_now_ms()),
			 0);
	return p;
}

int64_t
fx_ship(flow_fixture *fx, int64_t bp_id, const char *rows_json,
	const char *tracking)
{
	char body[1024], rows[480] = "";
	json_t *r;
	int64_t id;

	if (rows_json != NULL)
		assert_true((size_t)snprintf(rows, sizeof(rows), ",\"rows\":%s",
					     rows_json) < sizeof(rows));
	snprintf(body, sizeof(body),
		 "{\"orderId\":%" PRId64 ",\"warehouseId\":2,\"tracking\":"
		 "\"%s\",\"shippingMethodId\":7%s,\"ship\":true}",
		 bp_id, tracking, rows);
	r = fx_ctl(fx, "POST", "/brightpearl/ship", body);
	id = json_integer_value(
		json_array_get(json_object_get(r, "goodsOutNoteIds"), 0));
	json_decref(r);
	return id;
}

void
fx_bp_status_set(flow_fixture *fx, int64_t bp_id, int status_id)
{
	char body[128];

	snprintf(body, sizeof(body),
		 "{\"orderId\":%" PRId64 ",\"statusId\":%d}", bp_id, status_id);
	fx_ctl_ok(fx, "POST", "/brightpearl/order-status", body);
}

/* ---- the BigCommerce side, from the sandbox's own state --------------- */

json_t *
fx_bc_order(flow_fixture *fx, int64_t bc_id)
{
	char path[64];

	snprintf(path, sizeof(path), "/bigcommerce/orders/%" PRId64, bc_id);
	return fx_ctl(fx, "GET", path, NULL);
}

int
fx_bc_status(flow_fixture *fx, int64_t bc_id)
{
	json_t *j = fx_bc_order(fx, bc_id);
	int s = (int)json_integer_value(
		json_object_get(json_object_get(j, "order"), "status_id"));

	json_decref(j);
	return s;
}

json_t *
fx_bc_shipments(flow_fixture *fx, int64_t bc_id)
{
	json_t *j = fx_bc_order(fx, bc_id);
	json_t *s = json_incref(json_object_get(j, "shipments"));

	json_decref(j);
	return s;
}

size_t
fx_bc_shipment_count(flow_fixture *fx, int64_t bc_id)
{
	json_t *s = fx_bc_shipments(fx, bc_id);
	size_t n = json_array_size(s);

	json_decref(s);
	return n;
}

int64_t
fx_bc_level(flow_fixture *fx, const char *sku)
{
	json_t *j = fx_ctl(fx, "GET", "/bigcommerce/inventory", NULL);
	json_t *items = json_is_array(j) ? j : json_object_get(j, "items");
	json_t *it;
	int64_t level = -1;
	size_t i;

	json_array_foreach (items, i, it)
		if (strcmp(json_string_value(json_object_get(it, "sku")),
			   sku) == 0)
			level = json_integer_value(
				json_object_get(it, "inventory_level"));
	json_decref(j);
	return level;
}
