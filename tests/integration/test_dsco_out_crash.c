/*
 * test_dsco_out_crash.c - exactly once through the real worker process:
 * goods-out notes, invoices and stock of DSCO orders go to DSCO while
 * `pearlsync worker` is killed with SIGKILL at seeded random moments and
 * 30% of DSCO's replies are faulted (429, 503, 500, dropped, truncated).
 * Afterwards (faults off, `worker --once` until every entry is synced)
 * DSCO holds exactly one package per note with that note's quantities,
 * one invoice per invoiced order, and the stock levels Brightpearl has.
 *
 * The sandbox's own guards against duplicates (a tracking number already
 * on the order, more than a line has left) are switched off or out of
 * reach: the POs order ten of each item and the notes ship a few, so a
 * package sent twice would be accepted and show.
 *
 * DSCO_CRASH_SEED changes the kill moments and the fault sequence.
 */
#define _DEFAULT_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "flow_fixture.h"
#include "pearlsync/dsco.h"
#include "pearlsync/store.h"

#define NPO 24
#define KILLS 15

static flow_fixture fx;
static char conf[512];
static char errlog[512]; /* stderr of the runs that are not killed */

typedef struct po {
	char dsco_id[32];
	int64_t bp_id;
	char invoice[32]; /* "" when not invoiced */
} po;

static po pos[NPO];

static const char *
jstr(const json_t *j)
{
	const char *v = json_string_value(j);

	return v != NULL ? v : "";
}

static json_t *
order_obj(json_t *r)
{
	json_t *o = json_object_get(r, "order");

	return o != NULL ? o : r;
}

static void
po_make(po *p, int k)
{
	static const char *const skus[] = {"TEE-RED-S",  "TEE-RED-M",
					   "TEE-RED-L",  "TEE-BLU-M",
					   "HOOD-GRY-M", "MUG-LOGO"};
	const char *s1 = skus[k % 6], *s2 = skus[(k + 1) % 6];
	char body[512], b[32], *rid = NULL;
	ps_bp_order_row rows[2];
	ps_bp_order o;
	ps_dsco_ack ack;
	json_t *r;

	snprintf(body, sizeof(body),
		 "{\"poNumber\":\"CRASH-%d\",\"lines\":["
		 "{\"sku\":\"%s\",\"quantity\":10,\"expectedCost\":7.5,"
		 "\"lineNumber\":1},"
		 "{\"sku\":\"%s\",\"quantity\":10,\"expectedCost\":4,"
		 "\"lineNumber\":2}]}",
		 k, s1, s2);
	r = fx_ctl(&fx, "POST", "/dsco/orders", body);
	snprintf(p->dsco_id, sizeof(p->dsco_id), "%s",
		 jstr(json_object_get(order_obj(r), "dscoOrderId")));
	json_decref(r);
	memset(&ack, 0, sizeof(ack));
	ack.order.dsco_order_id = p->dsco_id;
	assert_int_equal(ps_dsco_orders_acknowledge(&rid, fx.ds, &ack, 1), 0);
	free(rid);
	fx_ctl_ok(&fx, "POST", "/dsco/process", "{}");
	memset(rows, 0, sizeof(rows));
	memset(&o, 0, sizeof(o));
	rows[0].product_id = fx_bp_product(&fx, s1);
	rows[0].quantity = 10;
	rows[0].net = ps_money_from_cents(7500);
	rows[1].product_id = fx_bp_product(&fx, s2);
	rows[1].quantity = 10;
	rows[1].net = ps_money_from_cents(4000);
	rows[0].tax_code = rows[1].tax_code = "T";
	o.customer_id = 201;
	o.ref = "CRASH";
	o.status_id = 2;
	o.warehouse_id = 2;
	o.shipping_method_id = 7;
	o.rows = rows;
	o.nrows = 2;
	assert_int_equal(ps_bp_order_create(&p->bp_id, NULL, fx.bp, &o), 0);
	snprintf(b, sizeof(b), "%" PRId64, p->bp_id);
	assert_int_equal(ps_store_xref_set(fx.st, "order", PS_PLATFORM_DSCO,
					   p->dsco_id, PS_PLATFORM_BRIGHTPEARL,
					   b, flow_fixture_now_ms()),
			 0);
	/* two notes: 2 of the first item; then 3 of the second and 1 more
	 * of the first */
	snprintf(body, sizeof(body), "[{\"sku\":\"%s\",\"quantity\":2}]", s1);
	snprintf(b, sizeof(b), "CR-%d-A", k);
	assert_true(fx_ship(&fx, p->bp_id, body, b) > 0);
	snprintf(body, sizeof(body),
		 "[{\"sku\":\"%s\",\"quantity\":3},"
		 "{\"sku\":\"%s\",\"quantity\":1}]",
		 s2, s1);
	snprintf(b, sizeof(b), "CR-%d-B", k);
	assert_true(fx_ship(&fx, p->bp_id, body, b) > 0);
	p->invoice[0] = '\0';
	if (k % 2 == 0) {
		snprintf(body, sizeof(body), "{\"orderId\":%" PRId64 "}",
			 p->bp_id);
		r = fx_ctl(&fx, "POST", "/brightpearl/invoice", body);
		snprintf(p->invoice, sizeof(p->invoice), "%s",
			 jstr(json_object_get(r, "invoiceReference")));
		json_decref(r);
	}
}

static pid_t
spawn(const char *args)
{
	const char *bin = getenv("PS_BIN_DIR");
	char path[512];
	pid_t pid;

	snprintf(path, sizeof(path), "%s/pearlsync", bin ? bin : ".");
	pid = fork();
	if (pid == 0) {
		/* a killed worker says nothing; the others' stderr is kept
		 * for the sanitizers' reports */
		if (freopen("/dev/null", "w", stdout) == NULL ||
		    freopen(strcmp(args, "worker") == 0 ? "/dev/null" : errlog,
			    "a", stderr) == NULL)
			_exit(127);
		if (strcmp(args, "once") == 0)
			execl(path, path, "--config", conf, "worker", "--once",
			      "--no-listen", (char *)NULL);
		else if (strcmp(args, "retry") == 0)
			execl(path, path, "--config", conf, "retry", "--failed",
			      (char *)NULL);
		else
			execl(path, path, "--config", conf, "worker",
			      "--no-listen", (char *)NULL);
		_exit(127);
	}
	return pid;
}

static int
wait_for(pid_t pid)
{
	int st = 0;

	while (waitpid(pid, &st, 0) < 0)
		;
	return st;
}

/* Entries of any flow not yet synced (verbose: each on stderr). */
static size_t
unsynced(int verbose)
{
	ps_log_entry *v = NULL;
	ps_log_query f = PS_LOG_QUERY_INIT;
	size_t n = 0, i, left = 0;

	f.limit = 1000;
	assert_int_equal(ps_store_log_list(&v, &n, fx.st, &f), 0);
	for (i = 0; i < n; i++)
		if (v[i].status != PS_ENTRY_SYNCED) {
			if (verbose)
				fprintf(stderr, "left: %s %s %s\n",
					v[i].dedupe_key,
					v[i].reason ? v[i].reason : "",
					v[i].status == PS_ENTRY_FAILED
						? "failed"
						: "");
			left++;
		}
	ps_log_entries_free(v, n);
	return left;
}

static int
setup(void **state)
{
	static const char *const settings[][2] = {
		{"brightpearl.base_url", NULL},
		{"brightpearl.account", "sandbox"},
		{"brightpearl.app_ref", "sandbox_pearlsync"},
		{"brightpearl.token", "sandbox-token"},
		{"dsco.base_url", NULL},
		{"dsco.client_id", "sandbox-client"},
		{"dsco.client_secret", "sandbox-secret"},
		{"dsco.enabled", "true"},
		{"dsco.inventory_enabled", "true"},
		{"dsco.inventory.warehouses", "2,3"},
		{"sync.poll_interval_seconds", "5"},
	};
	size_t i;
	FILE *fp;

	*state = &fx;
	if (flow_fixture_open(&fx, NULL) < 0)
		return -1;
	for (i = 0; i < sizeof(settings) / sizeof(*settings); i++) {
		const char *v = settings[i][1];

		if (v == NULL)
			v = sandbox_proc_url(&fx.sb,
					     i == 0 ? "brightpearl" : "dsco");
		if (flow_fixture_set(&fx, settings[i][0], v) < 0)
			return -1;
	}
	if (flow_fixture_map(&fx, "dsco_shipping_method", "bp>dsco", "7",
			     "UPCG") < 0 ||
	    flow_fixture_map(&fx, "dsco_warehouse", "bp>dsco", "2", "WH01") <
		    0 ||
	    flow_fixture_map(&fx, "dsco_warehouse", "bp>dsco", "3", "WH02") < 0)
		return -1;
	test_db_file(conf, sizeof(conf), &fx.db, "p.conf");
	test_db_file(errlog, sizeof(errlog), &fx.db, "stderr.txt");
	if ((fp = fopen(conf, "w")) == NULL)
		return -1;
	fprintf(fp, "database = \"%s\";\nlog_level = \"warn\";\n", fx.db.path);
	fclose(fp);
	return 0;
}

/* Units of each item over all packages of p, and the package count. */
static size_t
packages_of(const po *p, const char *tracking_a, const char *tracking_b,
	    int64_t *a_units, int64_t *b_units)
{
	char path[96];
	json_t *r, *pk, *it;
	size_t i, j, n;

	snprintf(path, sizeof(path), "/dsco/order?dscoOrderId=%s", p->dsco_id);
	r = fx_ctl(&fx, "GET", path, NULL);
	n = json_array_size(json_object_get(order_obj(r), "packages"));
	*a_units = *b_units = 0;
	json_array_foreach (json_object_get(order_obj(r), "packages"), i, pk) {
		const char *t = jstr(json_object_get(pk, "trackingNumber"));
		int64_t *u = strcmp(t, tracking_a) == 0   ? a_units
			     : strcmp(t, tracking_b) == 0 ? b_units
							  : NULL;

		if (u == NULL)
			continue;
		json_array_foreach (json_object_get(pk, "items"), j, it)
			*u += json_integer_value(
				json_object_get(it, "quantity"));
	}
	json_decref(r);
	return n;
}

static void
test_kills_and_faults(void **state)
{
	const char *s = getenv("DSCO_CRASH_SEED");
	unsigned seed = s ? (unsigned)strtoul(s, NULL, 10) : 20261203u;
	char body[256];
	json_t *inv;
	int k, tries;

	(void)state;
	fx_ctl_ok(&fx, "POST", "/dsco/config",
		  "{\"strict\":{\"duplicateTracking\":false}}");
	for (k = 0; k < NPO; k++)
		po_make(&pos[k], k);
	fx_ctl_ok(&fx, "POST", "/brightpearl/stock",
		  "{\"sku\":\"CAP-BLK\",\"warehouseId\":2,\"inStock\":17}");
	snprintf(body, sizeof(body),
		 "{\"platform\":\"dsco\",\"rate\":0.3,\"seed\":%u,"
		 "\"kinds\":[\"429\",\"503\",\"500\",\"drop\","
		 "\"truncate\"]}",
		 seed);
	fx_ctl_ok(&fx, "POST", "/faults", body);
	srand(seed);
	for (k = 0; k < KILLS; k++) {
		pid_t pid = spawn("worker");
		struct timespec ts;
		long ms = 60 + rand() % 400;

		ts.tv_sec = ms / 1000;
		ts.tv_nsec = (ms % 1000) * 1000000L;
		nanosleep(&ts, NULL);
		kill(pid, SIGKILL);
		wait_for(pid);
	}
	fprintf(stderr, "after the kills: %zu entries left to do\n",
		unsynced(0));
	fx_ctl_ok(&fx, "POST", "/faults", "{\"platform\":\"*\",\"rate\":0}");
	for (tries = 0; tries < 8; tries++) {
		wait_for(spawn("once"));
		if (unsynced(0) == 0)
			break;
		wait_for(spawn("retry"));
		sleep(1);
	}
	assert_int_equal(unsynced(1), 0);
	{
		/* no sanitizer report from the runs that ended by themselves */
		char line[512];
		FILE *fp = fopen(errlog, "r");

		while (fp != NULL && fgets(line, sizeof(line), fp) != NULL)
			assert_null(strstr(line, "Sanitizer"));
		if (fp != NULL)
			fclose(fp);
	}

	for (k = 0; k < NPO; k++) {
		char ta[32], tb[32];
		int64_t a, b;
		size_t n;

		snprintf(ta, sizeof(ta), "CR-%d-A", k);
		snprintf(tb, sizeof(tb), "CR-%d-B", k);
		n = packages_of(&pos[k], ta, tb, &a, &b);
		assert_int_equal(n, 2);
		assert_int_equal(a, 2);
		assert_int_equal(b, 4);
		if (pos[k].invoice[0] != '\0') {
			json_t *all =
				fx_ctl(&fx, "GET", "/dsco/invoices", NULL);

			inv = json_object_get(all, pos[k].invoice);
			assert_non_null(inv);
			assert_string_equal(
				jstr(json_object_get(inv, "invoiceId")),
				pos[k].invoice);
			json_decref(all);
		}
	}
	{
		/* one invoice per invoiced order, none other */
		json_t *all = fx_ctl(&fx, "GET", "/dsco/invoices", NULL);

		assert_int_equal(json_object_size(all), NPO / 2);
		json_decref(all);
	}
	{
		json_t *all = fx_ctl(&fx, "GET", "/dsco/inventory", NULL), *w;
		size_t i;
		int64_t q = -1;

		json_array_foreach (
			json_object_get(json_object_get(all, "CAP-BLK"),
					"warehouses"),
			i, w)
			if (strcmp(jstr(json_object_get(w, "code")), "WH01") ==
			    0)
				q = json_integer_value(
					json_object_get(w, "quantity"));
		assert_int_equal(q, 17);
		json_decref(all);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kills_and_faults),
	};

	return cmocka_run_group_tests(tests, setup, flow_fixture_teardown);
}
