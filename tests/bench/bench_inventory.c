/*
 * bench_inventory.c - how the inventory flow (Brightpearl stock to
 * BigCommerce) fares at the real quotas.
 *
 * Starts pearlsync-sandbox with its real rate limits (Brightpearl 200
 * requests a minute, BigCommerce 150 per 30 s), seeds N products (20,000
 * by default) on both platforms through the control API with different
 * levels, then through the worker:
 *   1. a full reconcile (the inventory flow's poll and its entry): the
 *      Brightpearl and BigCommerce requests it used and the seconds taken;
 *   2. one stock change in Brightpearl: the seconds from the change to
 *      BigCommerce receiving the new level (webhook, listener, entry,
 *      send).
 * Usage: bench_inventory [N]   (PS_BIN_DIR locates the sandbox).
 */
#define _DEFAULT_SOURCE
#include <arpa/inet.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "pearlsync/bigcommerce.h"
#include "pearlsync/brightpearl.h"
#include "pearlsync/config.h"
#include "pearlsync/flow.h"
#include "pearlsync/log.h"
#include "pearlsync/store.h"
#include "pearlsync/worker.h"
#include "sandbox_proc.h"

#define SECRET "bench-secret"

static sandbox_proc sb;

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int64_t
now_ms(void)
{
	return (int64_t)(now_s() * 1000.0);
}

/* CPU seconds (user + system) of this process, which runs the worker. */
static double
self_cpu_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

/* CPU seconds of process pid (the sandbox) from /proc, or 0. */
static double
pid_cpu_s(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long ut = 0, st = 0;
	FILE *f;
	size_t len;

	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	if ((f = fopen(path, "r")) == NULL)
		return 0;
	len = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[len] = '\0';
	/* fields 14 and 15, counted after the command's closing ')' */
	if ((p = strrchr(buf, ')')) == NULL ||
	    sscanf(p + 1,
		   " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut,
		   &st) != 2)
		return 0;
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

static int
ctl(json_t **out, const char *method, const char *path, const char *body)
{
	sandbox_reply r;
	char url[512];

	if (out)
		*out = NULL;
	snprintf(url, sizeof(url), "%s%s", sb.control, path);
	sandbox_http(&r, method, url, NULL, body, NULL);
	if (r.status < 200 || r.status > 299) {
		fprintf(stderr, "bench: %s %s -> %ld %.300s\n", method, path,
			r.status, r.body ? r.body : "");
		sandbox_reply_dispose(&r);
		return -1;
	}
	if (out)
		*out = json_loadb(r.body, r.body_len, 0, NULL);
	sandbox_reply_dispose(&r);
	return 0;
}

static int64_t
count(const char *platform, const char *endpoint)
{
	json_t *j = NULL;
	int64_t n;

	if (ctl(&j, "GET", "/requests", NULL) < 0)
		return -1;
	if (endpoint)
		n = json_integer_value(json_object_get(
			json_object_get(json_object_get(j, platform),
					"endpoints"),
			endpoint));
	else
		n = json_integer_value(
			json_object_get(json_object_get(j, platform), "total"));
	json_decref(j);
	return n;
}

static int
free_port(void)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port = 0;

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&a, &len) == 0)
		port = ntohs(a.sin_port);
	if (fd >= 0)
		close(fd);
	return port;
}

static int
seed(long n)
{
	char buf[512];
	json_t *prods, *req;
	long i, j;

	/* Brightpearl: products with stock in warehouse 2, 1000 a call */
	for (i = 0; i < n; i += 1000) {
		char *body;
		int rc;

		prods = json_array();
		for (j = i; j < n && j < i + 1000; j++) {
			snprintf(buf, sizeof(buf), "BENCH-%06ld", j);
			json_array_append_new(
				prods,
				json_pack("{s:s,s:s,s:s,s:{s:i},s:b}", "sku",
					  buf, "name", buf, "price", "9.99",
					  "stock", "2", (int)(j % 50) + 5,
					  "stockTracked", 1));
		}
		req = json_pack("{s:o}", "products", prods);
		body = json_dumps(req, JSON_COMPACT);
		json_decref(req);
		rc = ctl(NULL, "POST", "/brightpearl/seed", body);
		free(body);
		if (rc < 0)
			return -1;
	}
	/* BigCommerce: one product per SKU, tracked, level 0; a list of
	 * 1000 a call */
	for (i = 0; i < n; i += 1000) {
		char *body;
		int rc;

		prods = json_array();
		for (j = i; j < n && j < i + 1000; j++) {
			char name[64];

			snprintf(buf, sizeof(buf), "BENCH-%06ld", j);
			snprintf(name, sizeof(name), "Bench %06ld", j);
			json_array_append_new(
				prods,
				json_pack("{s:s,s:s,s:i,s:f,s:s,s:s,s:i}",
					  "name", name, "type", "physical",
					  "weight", 1, "price", 9.99, "sku",
					  buf, "inventory_tracking", "product",
					  "inventory_level", 0));
		}
		body = json_dumps(prods, JSON_COMPACT);
		json_decref(prods);
		rc = ctl(NULL, "POST", "/bigcommerce/products", body);
		free(body);
		if (rc < 0)
			return -1;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	static const char *const args[] = {"--seed", "empty", "--quota", "real",
					   NULL};
	static const ps_flow_ops *flows[2];
	long n = argc > 1 ? strtol(argv[1], NULL, 10) : 20000;
	ps_worker_options o = PS_WORKER_OPTIONS_INIT;
	ps_bp_options bo = PS_BP_OPTIONS_INIT;
	ps_bc_options co = PS_BC_OPTIONS_INIT;
	ps_http *http = NULL;
	ps_bp *bp = NULL;
	ps_bc *bc = NULL;
	ps_store *st = NULL;
	ps_worker *w = NULL;
	ps_config cfg;
	char db[] = "/tmp/ps-bench-inv-XXXXXX", url[128];
	int64_t bp0, bc0, bp1, bc1, puts0;
	double t0, t1, lat = -1, ps_cpu0, ps_cpu1, sb_cpu0, sb_cpu1;
	int fd, port, rc = 1;

	if (n <= 0)
		n = 20000;
	ps_lib_init();
	ps_log_set_level(PS_LOG_ERROR);
	if (sandbox_proc_start(&sb, args, 15000) < 0)
		return 1;
	fprintf(stderr, "seeding %ld products on both platforms...\n", n);
	t0 = now_s();
	if (seed(n) < 0)
		goto done;
	fprintf(stderr, "seeded in %.1f s\n", now_s() - t0);
	if ((fd = mkstemp(db)) < 0)
		goto done;
	close(fd);
	unlink(db);
	if (ps_store_open(&st, db, 0) < 0 || ps_http_new(&http, NULL) < 0)
		goto done;
	bo.base_url = sandbox_proc_url(&sb, "brightpearl");
	bo.account = "sandbox";
	bo.app_ref = "sandbox_pearlsync";
	bo.token = "sandbox-token";
	co.base_url = sandbox_proc_url(&sb, "bigcommerce");
	co.store_hash = "sandbox";
	co.access_token = "sandbox-token";
	if (ps_bp_new(&bp, http, &bo) < 0 || ps_bc_new(&bc, http, &co) < 0)
		goto done;
	port = free_port();
	snprintf(url, sizeof(url), "http://127.0.0.1:%d", port);
	ps_store_setting_set(NULL, st, "bigcommerce.inventory.enabled", "true",
			     "bench", now_ms());
	ps_store_setting_set(NULL, st, "bigcommerce.inventory.warehouses", "2",
			     "bench", now_ms());
	ps_store_setting_set(NULL, st, "webhooks.public_url", url, "bench",
			     now_ms());
	ps_store_setting_set(NULL, st, "webhooks.secret", SECRET, "bench",
			     now_ms());
	flows[0] = ps_flow_find("inventory");
	flows[1] = NULL;
	ps_config_init(&cfg);
	snprintf(cfg.db_path, sizeof(cfg.db_path), "%s", db);
	snprintf(cfg.listen_address, sizeof(cfg.listen_address), "127.0.0.1");
	cfg.listen_port = port;
	o.flows = flows;
	o.listen = 1;
	o.conn[PS_PLATFORM_BRIGHTPEARL] = bp;
	o.conn[PS_PLATFORM_BIGCOMMERCE] = bc;
	o.connect = 0;
	o.tick_ms = 5;
	if (ps_worker_new(&w, st, &cfg, &o) < 0)
		goto done;

	/* 1. full reconcile: the first pass polls (registers the hook,
	 * records the reconcile) and performs it */
	ctl(NULL, "POST", "/requests/reset", "{}");
	bp0 = count("brightpearl", NULL);
	bc0 = count("bigcommerce", NULL);
	ps_cpu0 = self_cpu_s();
	sb_cpu0 = pid_cpu_s(sb.pid);
	t0 = now_s();
	if (ps_worker_run_once(w, NULL) < 0)
		goto done;
	t1 = now_s();
	ps_cpu1 = self_cpu_s();
	sb_cpu1 = pid_cpu_s(sb.pid);
	bp1 = count("brightpearl", NULL);
	bc1 = count("bigcommerce", NULL);

	/* 2. one stock change to BigCommerce */
	puts0 = count("bigcommerce", "PUT v3/inventory/adjustments/absolute");
	{
		double s0 = now_s(), end = s0 + 60;

		ctl(NULL, "POST", "/brightpearl/stock",
		    "{\"sku\":\"BENCH-000007\",\"warehouseId\":2,"
		    "\"inStock\":999}");
		while (now_s() < end) {
			if (ps_worker_tick(w) < 0)
				break;
			if (count("bigcommerce",
				  "PUT v3/inventory/adjustments/absolute") >
			    puts0) {
				lat = now_s() - s0;
				break;
			}
			usleep(5000);
		}
	}
	printf("inventory benchmark (%ld SKUs, real quotas)\n", n);
	printf("%-44s %10s\n", "measure", "value");
	printf("%-44s %10" PRId64 "\n", "full reconcile: Brightpearl requests",
	       bp1 - bp0);
	printf("%-44s %10" PRId64 "\n", "full reconcile: BigCommerce requests",
	       bc1 - bc0);
	printf("%-44s %10.1f   (target <= 120)\n", "full reconcile: seconds",
	       t1 - t0);
	if (lat >= 0)
		printf("%-44s %10.2f   (target <= 5)\n",
		       "one stock change to BigCommerce: seconds", lat);
	else
		printf("%-44s %10s\n",
		       "one stock change to BigCommerce: seconds", "timeout");
	/* the summary line scripts/bench table reads (tests/bench/README.md) */
	printf("BENCH name=inventory multi=one ps_cpu_s=%.2f sb_cpu_s=%.2f "
	       "bp_requests=%" PRId64 " bp_units=%" PRId64
	       " bc_requests=%" PRId64 " ds_requests=0 sh_requests=0 "
	       "wall_s=%.1f measured=%.1f unit=s skus=%ld "
	       "stock_change_s=%.2f\n",
	       ps_cpu1 - ps_cpu0, sb_cpu1 - sb_cpu0, bp1 - bp0, bp1 - bp0,
	       bc1 - bc0, t1 - t0, t1 - t0, n, lat);
	rc = 0;
done:
	ps_worker_free(w);
	ps_bp_free(bp);
	ps_bc_free(bc);
	ps_http_free(http);
	ps_store_close(st);
	unlink(db);
	sandbox_proc_stop(&sb);
	return rc;
}
