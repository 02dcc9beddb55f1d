/*
 * test_sandbox_core.c - the pearlsync-sandbox process and its framework:
 * start-up lines, clean exit on SIGTERM/SIGINT, options, the generic
 * control API (reset, request counters, fault injection with a seed),
 * transport faults, the body cap and HTTPS with --tls.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <curl/curl.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sandbox_proc.h"

static const char *const bp_auth[] = {
	"brightpearl-app-ref: sandbox_pearlsync",
	"brightpearl-account-token: sandbox-token", NULL};

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
start(sandbox_proc *sp, const char *const *args)
{
	assert_int_equal(sandbox_proc_start(sp, args, 20000), 0);
}

/* GET/POST on {brightpearl}/public-api/sandbox/{path} with auth. */
static long
bp(sandbox_proc *sp, sandbox_reply *r, const char *method, const char *path,
   const char *body)
{
	char url[512];

	snprintf(url, sizeof(url), "%s/public-api/sandbox%s",
		 sandbox_proc_url(sp, "brightpearl"), path);
	return sandbox_http(r, method, url, bp_auth, body, NULL);
}

static long
control(sandbox_proc *sp, sandbox_reply *r, const char *method,
	const char *path, const char *body)
{
	char url[512];

	snprintf(url, sizeof(url), "%s%s", sp->control, path);
	return sandbox_http(r, method, url, NULL, body, NULL);
}

static json_t *
body_json(const sandbox_reply *r)
{
	json_error_t e;

	return json_loads(r->body, JSON_DECODE_ANY, &e);
}

static void
test_sandbox_core__ready_then_exit_0_on_sigterm(void **st)
{
	sandbox_proc sp;
	const char *url;

	(void)st;
	start(&sp, NULL);
	url = sandbox_proc_url(&sp, "brightpearl");
	assert_non_null(url);
	assert_true(strncmp(url, "http://127.0.0.1:", 17) == 0);
	assert_non_null(strstr(url, "/brightpearl"));
	assert_true(strncmp(url, sp.base, strlen(sp.base)) == 0);
	assert_true(strncmp(sp.control, sp.base, strlen(sp.base)) == 0);
	assert_int_equal(sandbox_proc_stop(&sp), 0);
}

static void
test_sandbox_core__exits_0_on_sigint(void **st)
{
	sandbox_proc sp;
	sandbox_reply r;

	(void)st;
	start(&sp, NULL);
	assert_int_equal(control(&sp, &r, "GET", "/health", NULL), 200);
	sandbox_reply_dispose(&r);
	assert_int_equal(sandbox_proc_signal_stop(&sp, SIGINT), 0);
}

static void
test_sandbox_core__bad_options_fail_before_ready(void **st)
{
	const char *const bad1[] = {"--quota", "lots", NULL};
	const char *const bad2[] = {"--seed", "huge", NULL};
	const char *const bad3[] = {"--frobnicate", NULL};
	sandbox_proc sp;

	(void)st;
	assert_int_equal(sandbox_proc_start(&sp, bad1, 10000), -1);
	assert_int_equal(sandbox_proc_start(&sp, bad2, 10000), -1);
	assert_int_equal(sandbox_proc_start(&sp, bad3, 10000), -1);
}

static void
test_sandbox_core__two_sandboxes_get_distinct_ports(void **st)
{
	sandbox_proc a, b;

	(void)st;
	start(&a, NULL);
	start(&b, NULL);
	assert_string_not_equal(a.base, b.base);
	assert_int_equal(sandbox_proc_stop(&a), 0);
	assert_int_equal(sandbox_proc_stop(&b), 0);
}

static void
test_sandbox_core__unknown_prefix_and_control_call_are_404(void **st)
{
	sandbox_proc sp;
	sandbox_reply r;
	char url[512];

	(void)st;
	start(&sp, NULL);
	snprintf(url, sizeof(url), "%s/nowhere/x", sp.base);
	assert_int_equal(sandbox_http(&r, "GET", url, NULL, NULL, NULL), 404);
	sandbox_reply_dispose(&r);
	assert_int_equal(control(&sp, &r, "POST", "/no-such-call", "{}"), 404);
	sandbox_reply_dispose(&r);
	assert_int_equal(sandbox_proc_stop(&sp), 0);
}

static void
test_sandbox_core__counts_requests_per_endpoint_and_resets(void **st)
{
	sandbox_proc sp;
	sandbox_reply r;
	json_t *j, *eps;
	int i;

	(void)st;
	start(&sp, NULL);
	for (i = 0; i < 3; i++) {
		assert_int_equal(bp(&sp, &r, "GET",
				    "/warehouse-service/warehouse", NULL),
				 200);
		sandbox_reply_dispose(&r);
	}
	assert_int_equal(
		bp(&sp, &r, "GET", "/product-service/product/1001", NULL), 200);
	sandbox_reply_dispose(&r);
	assert_int_equal(control(&sp, &r, "GET", "/requests", NULL), 200);
	j = body_json(&r);
	sandbox_reply_dispose(&r);
	assert_non_null(j);
	assert_int_equal(json_integer_value(json_object_get(
				 json_object_get(j, "brightpearl"), "total")),
			 4);
	eps = json_object_get(json_object_get(j, "brightpearl"), "endpoints");
	assert_int_equal(json_integer_value(json_object_get(
				 eps, "GET /warehouse-service/warehouse")),
			 3);
	assert_int_equal(json_integer_value(json_object_get(
				 eps, "GET /product-service/product/{idset}")),
			 1);
	json_decref(j);
	assert_int_equal(control(&sp, &r, "POST", "/requests/reset", "{}"),
			 200);
	sandbox_reply_dispose(&r);
	control(&sp, &r, "GET", "/requests", NULL);
	j = body_json(&r);
	sandbox_reply_dispose(&r);
	assert_int_equal(json_integer_value(json_object_get(
				 json_object_get(j, "brightpearl"), "total")),
			 0);
	json_decref(j);
	assert_int_equal(sandbox_proc_stop(&sp), 0);
}

/* Statuses of n requests after faults were set with seed. */
static void
fault_run(sandbox_proc *sp, int seed, long *statuses, int n)
{
	sandbox_reply r;
	char body[256];
	int i;

	snprintf(body, sizeof(body),
		 "{\"platform\":\"brightpearl\",\"rate\":0.5,"
		 "\"kinds\":[\"500\",\"503\",\"429\"],\"seed\":%d}",
		 seed);
	assert_int_equal(control(sp, &r, "POST", "/faults", body), 200);
	sandbox_reply_dispose(&r);
	for (i = 0; i < n; i++) {
		statuses[i] =
			bp(sp, &r, "GET", "/warehouse-service/warehouse", NULL);
		sandbox_reply_dispose(&r);
	}
}

static void
test_sandbox_core__faults_with_a_seed_repeat_exactly(void **st)
{
	sandbox_proc sp;
	long a[40], b[40], c[40];
	int i, faults = 0, oks = 0, differ = 0;

	(void)st;
	start(&sp, NULL);
	fault_run(&sp, 42, a, 40);
	fault_run(&sp, 42, b, 40);
	fault_run(&sp, 7, c, 40);
	for (i = 0; i < 40; i++) {
		assert_int_equal(a[i], b[i]);
		assert_true(a[i] == 200 || a[i] == 500 || a[i] == 503 ||
			    a[i] == 429);
		faults += a[i] != 200;
		oks += a[i] == 200;
		differ += a[i] != c[i];
	}
	assert_true(faults > 5);
	assert_true(oks > 5);
	assert_true(differ > 0);
	assert_int_equal(sandbox_proc_stop(&sp), 0);
}

static void
set_fault(sandbox_proc *sp, const char *kind, int extra_ms)
{
	sandbox_reply r;
	char body[256];

	snprintf(body, sizeof(body),
		 "{\"platform\":\"brightpearl\",\"rate\":1,\"kinds\":[\"%s\"],"
		 "\"seed\":1,\"latency_ms\":%d,\"stall_ms\":%d}",
		 kind, extra_ms, extra_ms);
	assert_int_equal(control(sp, &r, "POST", "/faults", body), 200);
	sandbox_reply_dispose(&r);
}

static void
test_sandbox_core__transport_faults_break_the_reply(void **st)
{
	sandbox_proc sp;
	sandbox_reply r;
	long long t0;
	json_t *j;

	(void)st;
	start(&sp, NULL);
	set_fault(&sp, "drop", 0);
	assert_int_equal(
		bp(&sp, &r, "GET", "/warehouse-service/warehouse", NULL), 0);
	assert_int_equal(r.curl_code, CURLE_GOT_NOTHING);
	sandbox_reply_dispose(&r);

	set_fault(&sp, "truncate", 0);
	bp(&sp, &r, "GET", "/warehouse-service/warehouse", NULL);
	assert_int_equal(r.curl_code, CURLE_PARTIAL_FILE);
	sandbox_reply_dispose(&r);

	set_fault(&sp, "invalid", 0);
	assert_int_equal(
		bp(&sp, &r, "GET", "/warehouse-service/warehouse", NULL), 200);
	j = body_json(&r);
	assert_null(j);
	sandbox_reply_dispose(&r);

	set_fault(&sp, "latency", 300);
	t0 = now_ms();
	assert_int_equal(
		bp(&sp, &r, "GET", "/warehouse-service/warehouse", NULL), 200);
	assert_true(now_ms() - t0 >= 300);
	sandbox_reply_dispose(&r);

	set_fault(&sp, "stall", 400);
	t0 = now_ms();
	assert_int_equal(
		bp(&sp, &r, "GET", "/warehouse-service/warehouse", NULL), 200);
	assert_true(now_ms() - t0 >= 400);
	sandbox_reply_dispose(&r);

	/* faults never touch the control API */
	set_fault(&sp, "drop", 0);
	assert_int_equal(control(&sp, &r, "GET", "/faults", NULL), 200);
	j = body_json(&r);
	assert_true(json_integer_value(json_object_get(
			    json_object_get(j, "brightpearl"), "injected")) >=
		    0);
	json_decref(j);
	sandbox_reply_dispose(&r);
	assert_int_equal(control(&sp, &r, "POST", "/faults",
				 "{\"platform\":\"brightpearl\",\"rate\":0,"
				 "\"kinds\":[]}"),
			 200);
	sandbox_reply_dispose(&r);
	assert_int_equal(
		bp(&sp, &r, "GET", "/warehouse-service/warehouse", NULL), 200);
	sandbox_reply_dispose(&r);
	assert_int_equal(control(&sp, &r, "POST", "/faults",
				 "{\"kinds\":[\"gremlins\"]}"),
			 400);
	sandbox_reply_dispose(&r);
	assert_int_equal(sandbox_proc_stop(&sp), 0);
}

static void
test_sandbox_core__reset_switches_between_demo_and_empty(void **st)
{
	sandbox_proc sp;
	sandbox_reply r;
	json_t *j;

	(void)st;
	start(&sp, NULL);
	bp(&sp, &r, "GET", "/product-service/product-search", NULL);
	j = body_json(&r);
	assert_int_equal(json_integer_value(json_object_get(
				 json_object_get(json_object_get(j, "response"),
						 "metaData"),
				 "resultsAvailable")),
			 12);
	json_decref(j);
	sandbox_reply_dispose(&r);
	assert_int_equal(
		control(&sp, &r, "POST", "/reset", "{\"seed\":\"empty\"}"),
		200);
	sandbox_reply_dispose(&r);
	bp(&sp, &r, "GET", "/product-service/product-search", NULL);
	j = body_json(&r);
	assert_int_equal(json_integer_value(json_object_get(
				 json_object_get(json_object_get(j, "response"),
						 "metaData"),
				 "resultsAvailable")),
			 0);
	json_decref(j);
	sandbox_reply_dispose(&r);
	assert_int_equal(sandbox_proc_stop(&sp), 0);
}

static void
test_sandbox_core__oversized_body_is_413(void **st)
{
	sandbox_proc sp;
	sandbox_reply r;
	size_t n = 9u * 1024u * 1024u;
	char *big = malloc(n + 1);

	(void)st;
	assert_non_null(big);
	memset(big, 'a', n);
	big[n] = '\0';
	start(&sp, NULL);
	assert_int_equal(bp(&sp, &r, "POST", "/contact-service/contact", big),
			 413);
	sandbox_reply_dispose(&r);
	free(big);
	assert_int_equal(sandbox_proc_stop(&sp), 0);
}

static void
test_sandbox_core__quota_option_scales_and_turns_off(void **st)
{
	const char *const scaled[] = {"--quota", "x0.05", NULL};
	const char *const off[] = {"--quota", "off", NULL};
	sandbox_proc sp;
	sandbox_reply r;
	int i;

	(void)st;
	start(&sp, scaled); /* 200 * 0.05 = 10 per minute */
	for (i = 0; i < 10; i++) {
		assert_int_equal(bp(&sp, &r, "GET",
				    "/warehouse-service/warehouse", NULL),
				 200);
		sandbox_reply_dispose(&r);
	}
	assert_int_equal(
		bp(&sp, &r, "GET", "/warehouse-service/warehouse", NULL), 503);
	sandbox_reply_dispose(&r);
	assert_int_equal(sandbox_proc_stop(&sp), 0);

	/* a short rolling window frees the quota again */
	{
		const char *const fast[] = {"--quota", "x0.01",
					    "--bp-window-ms", "1000", NULL};
		long long deadline;

		start(&sp, fast); /* 2 per second */
		for (i = 0; i < 2; i++) {
			assert_int_equal(bp(&sp, &r, "GET",
					    "/warehouse-service/warehouse",
					    NULL),
					 200);
			sandbox_reply_dispose(&r);
		}
		assert_int_equal(bp(&sp, &r, "GET",
				    "/warehouse-service/warehouse", NULL),
				 503);
		sandbox_reply_dispose(&r);
		deadline = now_ms() + 5000;
		while (bp(&sp, &r, "GET", "/warehouse-service/warehouse",
			  NULL) != 200) {
			sandbox_reply_dispose(&r);
			assert_true(now_ms() < deadline);
		}
		sandbox_reply_dispose(&r);
		assert_int_equal(sandbox_proc_stop(&sp), 0);
	}

	start(&sp, off);
	for (i = 0; i < 230; i++) {
		assert_int_equal(bp(&sp, &r, "GET",
				    "/warehouse-service/warehouse", NULL),
				 200);
		sandbox_reply_dispose(&r);
	}
	assert_int_equal(sandbox_proc_stop(&sp), 0);
}

static void
test_sandbox_core__tls_serves_https(void **st)
{
	char dir[] = "/tmp/ps-sandbox-tls-XXXXXX";
	char cmd[1024], cert[256], key[256], url[512];
	const char *args[4];
	sandbox_proc sp;
	sandbox_reply r;

	(void)st;
	if (system("command -v openssl >/dev/null 2>&1") != 0) {
		skip();
		return;
	}
	assert_non_null(mkdtemp(dir));
	snprintf(cert, sizeof(cert), "%s/cert.pem", dir);
	snprintf(key, sizeof(key), "%s/key.pem", dir);
	snprintf(cmd, sizeof(cmd),
		 "openssl req -x509 -newkey rsa:2048 -nodes -days 1 "
		 "-subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 "
		 "-keyout %s -out %s >/dev/null 2>&1",
		 key, cert);
	assert_int_equal(system(cmd), 0);
	args[0] = "--tls";
	args[1] = cert;
	args[2] = key;
	args[3] = NULL;
	start(&sp, args);
	assert_true(strncmp(sandbox_proc_url(&sp, "brightpearl"), "https://",
			    8) == 0);
	snprintf(url, sizeof(url),
		 "%s/public-api/sandbox/warehouse-service/"
		 "warehouse",
		 sandbox_proc_url(&sp, "brightpearl"));
	/* untrusted without the CA, fine with it */
	sandbox_http(&r, "GET", url, bp_auth, NULL, NULL);
	assert_int_equal(r.status, 0);
	assert_int_equal(r.curl_code, CURLE_PEER_FAILED_VERIFICATION);
	sandbox_reply_dispose(&r);
	assert_int_equal(sandbox_http(&r, "GET", url, bp_auth, NULL, cert),
			 200);
	assert_non_null(strstr(r.body, "\"response\""));
	sandbox_reply_dispose(&r);
	assert_int_equal(sandbox_proc_stop(&sp), 0);
	unlink(cert);
	unlink(key);
	rmdir(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
			test_sandbox_core__ready_then_exit_0_on_sigterm),
		cmocka_unit_test(test_sandbox_core__exits_0_on_sigint),
		cmocka_unit_test(
			test_sandbox_core__bad_options_fail_before_ready),
		cmocka_unit_test(
			test_sandbox_core__two_sandboxes_get_distinct_ports),
		cmocka_unit_test(
			test_sandbox_core__unknown_prefix_and_control_call_are_404),
		cmocka_unit_test(
			test_sandbox_core__counts_requests_per_endpoint_and_resets),
		cmocka_unit_test(
			test_sandbox_core__faults_with_a_seed_repeat_exactly),
		cmocka_unit_test(
			test_sandbox_core__transport_faults_break_the_reply),
		cmocka_unit_test(
			test_sandbox_core__reset_switches_between_demo_and_empty),
		cmocka_unit_test(test_sandbox_core__oversized_body_is_413),
		cmocka_unit_test(
			test_sandbox_core__quota_option_scales_and_turns_off),
		cmocka_unit_test(test_sandbox_core__tls_serves_https),
	};
	int rc;

	curl_global_init(CURL_GLOBAL_DEFAULT);
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	curl_global_cleanup();
	return rc;
}
