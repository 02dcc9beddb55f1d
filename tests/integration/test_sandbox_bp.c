/*
 * test_sandbox_bp.c - the Brightpearl simulator against the quirks the
 * reference digest names: string-bodied 401 and 503 replies, throttle
 * headers on every reply and the rolling window, the sales-order duplicate
 * guard, id sets and their cap, resource search (columns, paging, sort,
 * filters), objects keyed by id, goods-out notes, payments, custom fields,
 * multi-message, webhook delivery with retries, and the merchant control
 * calls.  Each test starts its own sandbox.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <curl/curl.h>
#include <jansson.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sandbox_proc.h"

#if MHD_VERSION < 0x00097002
typedef int mhd_result;
#else
typedef enum MHD_Result mhd_result;
#endif

static const char *const bp_auth[] = {
	"brightpearl-app-ref: sandbox_pearlsync",
	"brightpearl-account-token: sandbox-token", NULL};

static sandbox_proc sp;

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
nap(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

static int
setup(void **st)
{
	const char *const args[] = {"--quota", "off", NULL};

	(void)st;
	return sandbox_proc_start(&sp, args, 20000);
}

static int
teardown(void **st)
{
	(void)st;
	return sandbox_proc_stop(&sp) == 0 ? 0 : -1;
}

static long
call_h(sandbox_reply *r, const char *const *hdrs, const char *method,
       const char *path, const char *body)
{
	char url[1024];

	snprintf(url, sizeof(url), "%s/public-api/sandbox%s",
		 sandbox_proc_url(&sp, "brightpearl"), path);
	return sandbox_http(r, method, url, hdrs, body, NULL);
}

static long
call(sandbox_reply *r, const char *method, const char *path, const char *body)
{
	return call_h(r, bp_auth, method, path, body);
}

static long
ctl(sandbox_reply *r, const char *method, const char *path, const char *body)
{
	char url[512];

	snprintf(url, sizeof(url), "%s%s", sp.control, path);
	return sandbox_http(r, method, url, NULL, body, NULL);
}

/* Request, assert status, return the parsed body (new reference). */
static json_t *
call_json(long want, const char *method, const char *path, const char *body)
{
	sandbox_reply r;
	json_error_t e;
	json_t *j;

	call(&r, method, path, body);
	if (r.status != want)
		fprintf(stderr, "%s %s -> %ld %s\n", method, path, r.status,
			r.body);
	assert_int_equal(r.status, want);
	j = json_loads(r.body, JSON_DECODE_ANY, &e);
	sandbox_reply_dispose(&r);
	assert_non_null(j);
	return j;
}

static json_t *
ctl_json(const char *method, const char *path, const char *body)
{
	sandbox_reply r;
	json_error_t e;
	json_t *j;

	assert_int_equal(ctl(&r, method, path, body), 200);
	j = json_loads(r.body, JSON_DECODE_ANY, &e);
	sandbox_reply_dispose(&r);
	assert_non_null(j);
	return j;
}

static json_int_t
response_int(json_t *j)
{
	json_int_t v = json_integer_value(json_object_get(j, "response"));

	json_decref(j);
	return v;
}

static json_int_t
create_order(const char *ext, int iiid, int product, int qty)
{
	char body[512];

	snprintf(body, sizeof(body),
		 "{\"customer\":{\"id\":201},\"externalRef\":\"%s\","
		 "\"installedIntegrationInstanceId\":%d,\"channelId\":1,"
		 "\"rows\":[{\"productId\":%d,\"quantity\":\"%d\","
		 "\"net\":\"%d.00\",\"tax\":\"0.00\",\"taxCode\":\"T\"}]}",
		 ext, iiid, product, qty, qty * 19);
	return response_int(
		call_json(200, "POST", "/order-service/sales-order", body));
}

/* inStock of a product in a warehouse, from product-availability. */
static json_int_t
in_stock(json_int_t pid, const char *wh)
{
	char path[128], key[32];
	json_t *j, *p;
	json_int_t v;

	snprintf(path, sizeof(path),
		 "/warehouse-service/product-availability/%lld",
		 (long long)pid);
	snprintf(key, sizeof(key), "%lld", (long long)pid);
	j = call_json(200, "GET", path, NULL);
	p = json_object_get(json_object_get(j, "response"), key);
	p = wh ? json_object_get(json_object_get(p, "warehouses"), wh)
	       : json_object_get(p, "total");
	v = json_integer_value(json_object_get(p, "inStock"));
	json_decref(j);
	return v;
}

/* ---- auth and envelope -------------------------------------------------- */

static void
test_sandbox_bp__401_bodies_are_strings_with_throttle_headers(void **st)
{
	const char *const none[] = {NULL};
	const char *const wrong[] = {"brightpearl-app-ref: sandbox_pearlsync",
				     "brightpearl-account-token: nope", NULL};
	const char *const bearer_ok[] = {"Authorization: Bearer sandbox-token",
					 "brightpearl-app-ref: "
					 "sandbox_pearlsync",
					 "brightpearl-dev-ref: sandbox_dev",
					 NULL};
	const char *const bearer_bad[] = {"Authorization: Bearer zzz", NULL};
	sandbox_reply r;
	char h[64];
	json_t *j;

	(void)st;
	assert_int_equal(
		call_h(&r, none, "GET", "/warehouse-service/warehouse", NULL),
		401);
	assert_string_equal(r.body, "{\"response\":\"Not authenticated. You "
				    "must provide a valid authentication "
				    "token.\"}");
	assert_non_null(sandbox_reply_header(
		&r, "brightpearl-requests-remaining", h, sizeof(h)));
	assert_non_null(sandbox_reply_header(
		&r, "brightpearl-next-throttle-period", h, sizeof(h)));
	assert_null(sandbox_reply_header(&r, "WWW-Authenticate", h, sizeof(h)));
	assert_string_equal(
		sandbox_reply_header(&r, "Message-Type", h, sizeof(h)),
		"api-proxy");
	sandbox_reply_dispose(&r);

	assert_int_equal(
		call_h(&r, wrong, "GET", "/warehouse-service/warehouse", NULL),
		401);
	assert_string_equal(r.body,
			    "{\"response\":\"Invalid instance token: nope\"}");
	sandbox_reply_dispose(&r);

	assert_int_equal(call_h(&r, bearer_bad, "GET",
				"/warehouse-service/warehouse", NULL),
			 401);
	assert_string_equal(r.body,
			    "{\"response\":\"Invalid instance token: zzz\"}");
	sandbox_reply_dispose(&r);

	assert_int_equal(call_h(&r, bearer_ok, "GET",
				"/warehouse-service/warehouse", NULL),
			 200);
	assert_non_null(sandbox_reply_header(
		&r, "Brightpearl-Installed-Integration-Instance-Id", h,
		sizeof(h)));
	sandbox_reply_dispose(&r);

	j = ctl_json("POST", "/brightpearl/auth", "{\"expired\":true}");
	json_decref(j);
	assert_int_equal(call_h(&r, bearer_ok, "GET",
				"/warehouse-service/warehouse", NULL),
			 401);
	assert_string_equal(r.body,
			    "{\"response\":\"Authorization token expired\"}");
	sandbox_reply_dispose(&r);
	json_decref(
		ctl_json("POST", "/brightpearl/auth", "{\"expired\":false}"));

	/* wrong account in the path */
	{
		char url[512];

		snprintf(url, sizeof(url),
			 "%s/public-api/otheraccount/warehouse-service/"
			 "warehouse",
			 sandbox_proc_url(&sp, "brightpearl"));
		assert_int_equal(
			sandbox_http(&r, "GET", url, bp_auth, NULL, NULL), 404);
		sandbox_reply_dispose(&r);
	}
}

static void
test_sandbox_bp__errors_use_the_errors_array(void **st)
{
	json_t *j;

	(void)st;
	j = call_json(404, "GET", "/contact-service/contact/99999", NULL);
	assert_string_equal(
		json_string_value(json_object_get(
			json_array_get(json_object_get(j, "errors"), 0),
			"code")),
		"CMNC-404");
	assert_null(json_object_get(j, "response"));
	json_decref(j);
	j = call_json(400, "POST", "/product-service/product",
		      "{\"salesChannels\":[]}");
	assert_string_equal(
		json_string_value(json_object_get(
			json_array_get(json_object_get(j, "errors"), 0),
			"message")),
		"You must supply a brand ID.");
	json_decref(j);
	j = call_json(400, "POST", "/contact-service/contact", "not json");
	assert_string_equal(
		json_string_value(json_object_get(
			json_array_get(json_object_get(j, "errors"), 0),
			"code")),
		"CMNC-010");
	json_decref(j);
}

/* The code of the first error of reply j. */
static const char *
err_code(json_t *j)
{
	return json_string_value(json_object_get(
		json_array_get(json_object_get(j, "errors"), 0), "code"));
}

/* A two-row sales order: externalRef tax-N, the second row's tax fields. */
#define TAX_ORDER_BODY                                                         \
	"{\"customerId\":201,\"externalRef\":\"tax-%d\","                      \
	"\"rows\":[{\"name\":\"Poster\",\"quantity\":1,\"net\":10,"            \
	"\"tax\":1,\"taxCode\":\"T\"},{\"name\":\"Book\","                     \
	"\"quantity\":1,\"net\":5,\"tax\":0%s}]}"

/* Sales-order rows need a taxCode (documented as required) that is one
 * of the account's (the strictness switch "tax_code_known"). */
static void
test_sandbox_bp__sales_order_rows_need_a_known_tax_code(void **st)
{
	char body[512];
	sandbox_reply r;
	json_t *j;

	(void)st;
	snprintf(body, sizeof(body), TAX_ORDER_BODY, 1, "");
	j = call_json(400, "POST", "/order-service/sales-order", body);
	assert_string_equal(err_code(j), "ORDC-023");
	assert_non_null(
		strstr(json_string_value(json_object_get(
			       json_array_get(json_object_get(j, "errors"), 0),
			       "message")),
		       "Row 2"));
	json_decref(j);
	snprintf(body, sizeof(body), TAX_ORDER_BODY, 2, ",\"taxCode\":\"\"");
	j = call_json(400, "POST", "/order-service/sales-order", body);
	assert_string_equal(err_code(j), "ORDC-023");
	json_decref(j);
	snprintf(body, sizeof(body), TAX_ORDER_BODY, 3, ",\"taxCode\":\"ZZ\"");
	j = call_json(400, "POST", "/order-service/sales-order", body);
	assert_string_equal(err_code(j), "ORDC-024");
	json_decref(j);
	/* nothing was created by the refusals */
	{
		json_t *all = ctl_json("GET", "/brightpearl/orders", NULL), *o;
		size_t i;

		json_array_foreach (all, i, o) {
			const char *e = json_string_value(
				json_object_get(o, "externalRef"));

			assert_true(e == NULL || strncmp(e, "tax-", 4) != 0);
		}
		json_decref(all);
	}

	/* the switch off: an unknown code passes, a missing one never */
	assert_int_equal(ctl(&r, "POST", "/brightpearl/strict",
			     "{\"tax_code_known\":false}"),
			 200);
	sandbox_reply_dispose(&r);
	j = call_json(200, "POST", "/order-service/sales-order", body);
	json_decref(j);
	snprintf(body, sizeof(body), TAX_ORDER_BODY, 4, "");
	j = call_json(400, "POST", "/order-service/sales-order", body);
	assert_string_equal(err_code(j), "ORDC-023");
	json_decref(j);
	assert_int_equal(ctl(&r, "POST", "/brightpearl/strict",
			     "{\"tax_code_known\":true}"),
			 200);
	sandbox_reply_dispose(&r);
	snprintf(body, sizeof(body), TAX_ORDER_BODY, 5, ",\"taxCode\":\"N\"");
	j = call_json(200, "POST", "/order-service/sales-order", body);
	json_decref(j);
	snprintf(body, sizeof(body), TAX_ORDER_BODY, 6, ",\"taxCode\":\"ZZ\"");
	j = call_json(400, "POST", "/order-service/sales-order", body);
	json_decref(j);
}

static long
oauth(sandbox_reply *r, const char *form)
{
	const char *const h[] = {
		"Content-Type: application/x-www-form-urlencoded", NULL};
	char url[512];

	snprintf(url, sizeof(url), "%s/oauth/token",
		 sandbox_proc_url(&sp, "brightpearl"));
	return sandbox_http(r, "POST", url, h, form, NULL);
}

static void
test_sandbox_bp__oauth_token_grants_and_errors(void **st)
{
	const char *const bearer[] = {"Authorization: Bearer sandbox-token",
				      "brightpearl-dev-ref: sandbox_dev", NULL};
	const char *const no_dev[] = {"Authorization: Bearer sandbox-token",
				      NULL};
	char hdr[128];
	const char *rotated[] = {hdr, "brightpearl-dev-ref: sandbox_dev", NULL};
	sandbox_reply r;
	json_t *j;

	(void)st;
	assert_int_equal(oauth(&r, "grant_type=authorization_code&code="
				   "sandbox-code&client_id=sandbox_pearlsync"
				   "&client_secret=x&redirect_uri=http%3A%2F"
				   "%2Flocalhost%2Fcb"),
			 200);
	j = json_loads(r.body, 0, NULL);
	sandbox_reply_dispose(&r);
	assert_string_equal(json_string_value(json_object_get(j, "token_type")),
			    "Bearer");
	assert_string_equal(json_string_value(json_object_get(
				    j, "installation_instance_id")),
			    "1");
	assert_int_equal(json_integer_value(json_object_get(j, "expires_in")),
			 604800);
	assert_null(strstr(json_string_value(json_object_get(j, "api_domain")),
			   "://"));
	json_decref(j);
	assert_int_equal(oauth(&r, "grant_type=authorization_code&code=x&"
				   "client_id=someone-else"),
			 400);
	assert_string_equal(r.body, "{\"error\":\"invalid_client\"}");
	sandbox_reply_dispose(&r);
	assert_int_equal(oauth(&r, "grant_type=refresh_token&refresh_token="
				   "stale&client_id=sandbox_pearlsync"),
			 400);
	assert_non_null(strstr(r.body, "\"invalid_grant\""));
	sandbox_reply_dispose(&r);
	/* refreshing cures an expired token */
	json_decref(
		ctl_json("POST", "/brightpearl/auth", "{\"expired\":true}"));
	assert_int_equal(
		call_h(&r, bearer, "GET", "/warehouse-service/warehouse", NULL),
		401);
	sandbox_reply_dispose(&r);
	assert_int_equal(oauth(&r, "grant_type=refresh_token&refresh_token="
				   "sandbox-refresh&client_id="
				   "sandbox_pearlsync"),
			 200);
	assert_null(strstr(r.body, "installation_instance_id"));
	j = json_loads(r.body, 0, NULL);
	sandbox_reply_dispose(&r);
	assert_int_equal(
		call_h(&r, bearer, "GET", "/warehouse-service/warehouse", NULL),
		200);
	sandbox_reply_dispose(&r);
	/* an OAuth call without the dev ref is refused */
	assert_int_equal(
		call_h(&r, no_dev, "GET", "/warehouse-service/warehouse", NULL),
		401);
	sandbox_reply_dispose(&r);
	/* the refresh rotated the refresh token: the used one is refused */
	assert_string_not_equal(
		json_string_value(json_object_get(j, "refresh_token")),
		"sandbox-refresh");
	assert_int_equal(oauth(&r, "grant_type=refresh_token&refresh_token="
				   "sandbox-refresh&client_id="
				   "sandbox_pearlsync"),
			 400);
	assert_non_null(strstr(r.body, "\"invalid_grant\""));
	sandbox_reply_dispose(&r);
	/* granted access tokens expire after the lifetime, in sandbox time */
	json_decref(ctl_json("POST", "/brightpearl/auth",
			     "{\"access_ttl_s\":300}"));
	snprintf(hdr, sizeof(hdr),
		 "refresh_token=%s&client_id="
		 "sandbox_pearlsync&grant_type=refresh_token",
		 json_string_value(json_object_get(j, "refresh_token")));
	json_decref(j);
	assert_int_equal(oauth(&r, hdr), 200);
	j = json_loads(r.body, 0, NULL);
	sandbox_reply_dispose(&r);
	assert_int_equal(json_integer_value(json_object_get(j, "expires_in")),
			 300);
	snprintf(hdr, sizeof(hdr), "Authorization: Bearer %s",
		 json_string_value(json_object_get(j, "access_token")));
	json_decref(j);
	assert_int_equal(call_h(&r, rotated, "GET",
				"/warehouse-service/warehouse", NULL),
			 200);
	sandbox_reply_dispose(&r);
	json_decref(
		ctl_json("POST", "/brightpearl/auth", "{\"advance_s\":301}"));
	assert_int_equal(call_h(&r, rotated, "GET",
				"/warehouse-service/warehouse", NULL),
			 401);
	assert_string_equal(r.body,
			    "{\"response\":\"Authorization token expired\"}");
	sandbox_reply_dispose(&r);
	/* later tests use the configured token without a lifetime */
	json_decref(
		ctl_json("POST", "/brightpearl/auth", "{\"access_ttl_s\":0}"));
}

/* ---- throttle ----------------------------------------------------------- */

static void
test_sandbox_bp__rolling_window_throttles_with_503_string(void **st)
{
	sandbox_reply r;
	char h[64];
	int i;
	long long deadline;

	(void)st;
	json_decref(ctl_json("POST", "/brightpearl/quota",
			     "{\"limit\":5,\"window_ms\":1500}"));
	for (i = 0; i < 5; i++) {
		assert_int_equal(
			call(&r, "GET", "/warehouse-service/warehouse", NULL),
			200);
		sandbox_reply_dispose(&r);
	}
	assert_int_equal(call(&r, "GET", "/warehouse-service/warehouse", NULL),
			 503);
	assert_string_equal(r.body,
			    "{\"response\":\"You have sent too many requests. "
			    "Please wait before sending another request\"}");
	assert_string_equal(
		sandbox_reply_header(&r, "brightpearl-requests-remaining", h,
				     sizeof(h)),
		"0");
	assert_non_null(sandbox_reply_header(
		&r, "brightpearl-next-throttle-period", h, sizeof(h)));
	assert_true(strtol(h, NULL, 10) > 0 && strtol(h, NULL, 10) <= 1500);
	sandbox_reply_dispose(&r);
	/* the window rolls: poll until a request is allowed again */
	deadline = now_ms() + 5000;
	for (;;) {
		call(&r, "GET", "/warehouse-service/warehouse", NULL);
		if (r.status == 200)
			break;
		sandbox_reply_dispose(&r);
		assert_true(now_ms() < deadline);
		nap(50);
	}
	sandbox_reply_dispose(&r);
	json_decref(ctl_json("POST", "/brightpearl/quota", "{\"limit\":0}"));
}

static void
test_sandbox_bp__remaining_counts_down_from_199(void **st)
{
	sandbox_reply r;
	char h[64];
	long first, second;

	(void)st;
	json_decref(ctl_json("POST", "/brightpearl/quota",
			     "{\"limit\":200,\"window_ms\":60000}"));
	call(&r, "GET", "/warehouse-service/warehouse", NULL);
	first = strtol(sandbox_reply_header(&r,
					    "brightpearl-requests-remaining", h,
					    sizeof(h)),
		       NULL, 10);
	sandbox_reply_dispose(&r);
	call(&r, "GET", "/no-such-service/thing", NULL);
	assert_int_equal(r.status, 404);
	second = strtol(sandbox_reply_header(&r,
					     "brightpearl-requests-remaining",
					     h, sizeof(h)),
			NULL, 10);
	sandbox_reply_dispose(&r);
	assert_int_equal(first, 199);
	assert_int_equal(second, 198);
	json_decref(ctl_json("POST", "/brightpearl/quota", "{\"limit\":0}"));
}

/* ---- orders ------------------------------------------------------------- */

static void
test_sandbox_bp__duplicate_guard_returns_existing_id(void **st)
{
	json_int_t a, b, c;
	json_t *j;

	(void)st;
	a = create_order("BC-100", 3, 1001, 1);
	b = create_order("BC-100", 3, 1001, 5);
	c = create_order("BC-100", 4, 1001, 1);
	assert_true(a > 0);
	assert_int_equal(a, b);
	assert_true(c != a);
	/* the duplicate changed nothing */
	j = ctl_json("GET", "/brightpearl/orders", NULL);
	{
		size_t i, n = 0;
		json_t *o;

		json_array_foreach (j, i, o) {
			const char *ext = json_string_value(
				json_object_get(o, "externalRef"));

			n += ext && strcmp(ext, "BC-100") == 0;
		}
		assert_int_equal(n, 2);
	}
	json_decref(j);
	j = call_json(200, "GET",
		      "/order-service/order-search?externalRef=BC-100"
		      "&installedIntegrationInstanceId=3",
		      NULL);
	assert_int_equal(json_array_size(json_object_get(
				 json_object_get(j, "response"), "results")),
			 1);
	json_decref(j);
}

static void
test_sandbox_bp__order_get_shapes(void **st)
{
	json_int_t id;
	char path[128];
	json_t *j, *o, *rows;
	const char *k;
	json_t *row;

	(void)st;
	id = create_order("BC-200", 3, 1002, 2);
	snprintf(path, sizeof(path), "/order-service/order/%lld",
		 (long long)id);
	j = call_json(200, "GET", path, NULL);
	o = json_array_get(json_object_get(j, "response"), 0);
	assert_int_equal(json_integer_value(json_object_get(o, "id")), id);
	rows = json_object_get(o, "orderRows");
	assert_true(json_is_object(rows)); /* keyed by row id */
	json_object_foreach (rows, k, row) {
		assert_string_equal(
			json_string_value(json_object_get(
				json_object_get(row, "quantity"), "magnitude")),
			"2.0000");
		assert_string_equal(
			json_string_value(json_object_get(row, "productSku")),
			"TEE-RED-M");
	}
	assert_string_equal(json_string_value(json_object_get(
				    json_object_get(o, "totalValue"), "total")),
			    "38.0000");
	json_decref(j);
	snprintf(path, sizeof(path), "/order-service/sales-order/%lld",
		 (long long)id);
	j = call_json(200, "GET", path, NULL);
	o = json_array_get(json_object_get(j, "response"), 0);
	assert_true(json_is_array(json_object_get(o, "rows")));
	assert_string_equal(
		json_string_value(json_object_get(o, "externalRef")), "BC-200");
	json_decref(j);
	/* a missing order is 200 with an empty array */
	j = call_json(200, "GET", "/order-service/order/999999", NULL);
	assert_int_equal(json_array_size(json_object_get(j, "response")), 0);
	json_decref(j);
}

static void
test_sandbox_bp__id_sets_cap_and_options(void **st)
{
	json_t *j, *uris;
	json_int_t first = 0, id;
	int i;

	(void)st;
	for (i = 0; i < 205; i++) {
		char ext[32];

		snprintf(ext, sizeof(ext), "CAP-%d", i);
		id = create_order(ext, 9, 1007, 1);
		if (i == 0)
			first = id;
	}
	{
		char path[128];

		snprintf(path, sizeof(path), "/order-service/order/%lld-%lld",
			 (long long)first, (long long)first + 204);
		j = call_json(200, "GET", path, NULL);
		assert_int_equal(
			json_array_size(json_object_get(j, "response")), 200);
		json_decref(j);
		snprintf(path, sizeof(path),
			 "/order-service/order/%lld,%lld-%lld,999999",
			 (long long)first, (long long)first + 2,
			 (long long)first + 3);
		j = call_json(200, "GET", path, NULL);
		assert_int_equal(
			json_array_size(json_object_get(j, "response")), 3);
		json_decref(j);
		snprintf(path, sizeof(path), "/order-service/order/%lld-%lld",
			 (long long)first, (long long)first + 204);
		j = call_json(200, "OPTIONS", path, NULL);
		uris = json_object_get(json_object_get(j, "response"),
				       "getUris");
		assert_int_equal(json_array_size(uris), 2);
		assert_true(strncmp(json_string_value(json_array_get(uris, 0)),
				    "/order/", 7) == 0);
		json_decref(j);
	}
	/* descending ranges and junk are rejected */
	json_decref(call_json(400, "GET", "/order-service/order/9-5", NULL));
	json_decref(call_json(400, "GET", "/order-service/order/1,,2", NULL));
	/* OPTIONS with nothing found */
	j = call_json(200, "OPTIONS", "/product-service/product/5-9", NULL);
	assert_int_equal(json_array_size(json_object_get(
				 json_object_get(j, "response"), "getUris")),
			 0);
	json_decref(j);
}

/* ---- search ------------------------------------------------------------- */

static void
test_sandbox_bp__search_paging_columns_sort_and_filters(void **st)
{
	json_t *j, *meta, *res;

	(void)st;
	j = call_json(200, "GET",
		      "/product-service/product-search?pageSize=5&"
		      "firstResult=6",
		      NULL);
	res = json_object_get(json_object_get(j, "response"), "results");
	meta = json_object_get(json_object_get(j, "response"), "metaData");
	assert_int_equal(json_array_size(res), 5);
	assert_true(json_is_array(json_array_get(res, 0)));
	assert_int_equal(
		json_integer_value(json_object_get(meta, "firstResult")), 6);
	assert_int_equal(
		json_integer_value(json_object_get(meta, "lastResult")), 10);
	assert_int_equal(
		json_integer_value(json_object_get(meta, "resultsAvailable")),
		12);
	assert_true(json_is_true(json_object_get(meta, "morePagesAvailable")));
	assert_true(json_is_object(json_object_get(j, "reference")));
	json_decref(j);

	j = call_json(200, "GET",
		      "/product-service/product-search?columns=SKU,productId"
		      "&sort=productId.DESC&pageSize=2",
		      NULL);
	res = json_object_get(json_object_get(j, "response"), "results");
	meta = json_object_get(json_object_get(j, "response"), "metaData");
	assert_int_equal(json_array_size(json_array_get(res, 0)), 2);
	assert_string_equal(
		json_string_value(json_object_get(
			json_array_get(json_object_get(meta, "columns"), 0),
			"name")),
		"SKU");
	assert_string_equal(
		json_string_value(json_array_get(json_array_get(res, 0), 0)),
		"GIFT-CARD");
	assert_string_equal(
		json_string_value(json_object_get(
			json_array_get(json_object_get(meta, "sorting"), 0),
			"direction")),
		"DESC");
	json_decref(j);

	/* the older "col|DESC" form too */
	j = call_json(200, "GET",
		      "/product-service/product-search?columns=productId"
		      "&sort=productId%7CDESC&pageSize=1",
		      NULL);
	res = json_object_get(json_object_get(j, "response"), "results");
	assert_int_equal(
		json_integer_value(json_array_get(json_array_get(res, 0), 0)),
		1012);
	json_decref(j);

	j = call_json(200, "GET",
		      "/product-service/product-search?SKU=MUG-LOGO", NULL);
	res = json_object_get(json_object_get(j, "response"), "results");
	assert_int_equal(json_array_size(res), 1);
	assert_int_equal(
		json_integer_value(json_array_get(json_array_get(res, 0), 0)),
		1008);
	json_decref(j);

	/* no rows: firstResult and lastResult are left out */
	j = call_json(200, "GET", "/product-service/product-search?SKU=NOPE",
		      NULL);
	meta = json_object_get(json_object_get(j, "response"), "metaData");
	assert_null(json_object_get(meta, "firstResult"));
	assert_null(json_object_get(meta, "lastResult"));
	assert_int_equal(
		json_integer_value(json_object_get(meta, "resultsAvailable")),
		0);
	json_decref(j);

	/* a filter of the wrong type is a 500 CMNC-018 */
	j = call_json(500, "GET",
		      "/order-service/order-search?orderStatusId=BAD%20PARAM",
		      NULL);
	assert_string_equal(
		json_string_value(json_object_get(
			json_array_get(json_object_get(j, "errors"), 0),
			"message")),
		"The filter orderStatusId=BAD PARAM cannot be "
		"parsed as: INTEGER");
	json_decref(j);

	/* contact search by e-mail (partial, case-insensitive) */
	j = call_json(200, "GET",
		      "/contact-service/contact-search?primaryEmail=ADA@",
		      NULL);
	res = json_object_get(json_object_get(j, "response"), "results");
	assert_int_equal(json_array_size(res), 1);
	assert_int_equal(
		json_integer_value(json_array_get(json_array_get(res, 0), 0)),
		201);
	json_decref(j);

	/* countOnly */
	j = call_json(200, "GET",
		      "/product-service/product-search?countOnly=true", NULL);
	meta = json_object_get(json_object_get(j, "response"), "metaData");
	assert_int_equal(json_array_size(json_object_get(
				 json_object_get(j, "response"), "results")),
			 0);
	assert_int_equal(
		json_integer_value(json_object_get(meta, "resultsAvailable")),
		12);
	json_decref(j);
}

static json_int_t
search_total(json_t *j)
{
	return json_integer_value(json_object_get(
		json_object_get(json_object_get(j, "response"), "metaData"),
		"resultsAvailable"));
}

static json_int_t
search_cell(json_t *j, size_t row)
{
	return json_integer_value(json_array_get(
		json_array_get(json_object_get(json_object_get(j, "response"),
					       "results"),
			       row),
		0));
}

/* A client pages through one search while others search the same table
 * and products are added: each page answers from the table as it is
 * (the sandbox reuses a search's filtered rows between pages). */
static void
test_sandbox_bp__search_pages_follow_changes(void **st)
{
	json_t *j;
	json_int_t total, last_of_first, id;

	(void)st;
	j = call_json(200, "GET",
		      "/product-service/product-search?stockTracked=true&"
		      "columns=productId&pageSize=3",
		      NULL);
	total = search_total(j);
	last_of_first = search_cell(j, 2);
	assert_true(total > 3);
	json_decref(j);
	/* another filter on the same rows between pages */
	j = call_json(200, "GET",
		      "/product-service/product-search?SKU=MUG-LOGO", NULL);
	assert_int_equal(search_total(j), 1);
	json_decref(j);
	j = call_json(200, "GET",
		      "/product-service/product-search?stockTracked=true&"
		      "columns=productId&pageSize=3&firstResult=4",
		      NULL);
	assert_int_equal(search_total(j), total);
	assert_true(search_cell(j, 0) > last_of_first);
	json_decref(j);
	/* a product added: the next page counts it */
	j = call_json(
		200, "POST", "/product-service/product",
		"{\"brandId\":1,\"identity\":{\"sku\":\"SEARCH-NEW\"},"
		"\"salesChannels\":[{\"salesChannelName\":\"Brightpearl\","
		"\"productName\":\"Search new\"}]}");
	id = json_integer_value(json_object_get(j, "response"));
	assert_true(id > 0);
	json_decref(j);
	j = call_json(200, "GET",
		      "/product-service/product-search?stockTracked=true&"
		      "columns=productId&pageSize=3&firstResult=4",
		      NULL);
	assert_int_equal(search_total(j), total + 1);
	json_decref(j);
	j = call_json(200, "GET",
		      "/product-service/product-search?SKU=SEARCH-NEW", NULL);
	assert_int_equal(search_total(j), 1);
	assert_int_equal(search_cell(j, 0), id);
	json_decref(j);
}

/* ---- contacts ----------------------------------------------------------- */

static void
test_sandbox_bp__contacts_create_flat_or_nested_and_patch(void **st)
{
	json_int_t a, b;
	char path[128];
	json_t *j, *c;

	(void)st;
	a = response_int(
		call_json(200, "POST", "/contact-service/contact",
			  "{\"firstName\":\"Grace\",\"lastName\":\"Hopper\","
			  "\"communication\":{\"emails\":{\"PRI\":{\"email\":"
			  "\"grace@example.com\"}}}}"));
	b = response_int(call_json(200, "POST", "/contact-service/contact",
				   "{\"firstName\":\"Edsger\",\"lastName\":"
				   "\"Dijkstra\",\"emails\":{\"PRI\":"
				   "\"ed@example.com\"}}"));
	j = call_json(200, "GET",
		      "/contact-service/contact-search?primaryEmail="
		      "ed@example.com",
		      NULL);
	assert_int_equal(
		json_integer_value(json_array_get(
			json_array_get(
				json_object_get(json_object_get(j, "response"),
						"results"),
				0),
			0)),
		b);
	json_decref(j);
	snprintf(path, sizeof(path), "/contact-service/contact/%lld,%lld",
		 (long long)a, (long long)b);
	j = call_json(200, "GET", path, NULL);
	assert_int_equal(json_array_size(json_object_get(j, "response")), 2);
	assert_non_null(json_object_get(j, "pagination"));
	c = json_array_get(json_object_get(j, "response"), 1);
	assert_string_equal(
		json_string_value(json_object_get(
			json_object_get(
				json_object_get(
					json_object_get(c, "communication"),
					"emails"),
				"PRI"),
			"email")),
		"ed@example.com");
	json_decref(j);
	snprintf(path, sizeof(path), "/contact-service/contact/%lld",
		 (long long)a);
	j = call_json(200, "PATCH", path,
		      "[{\"op\":\"replace\",\"path\":\"/firstName\","
		      "\"value\":\"Amazing Grace\"}]");
	assert_string_equal(
		json_string_value(json_object_get(
			json_object_get(j, "response"), "firstName")),
		"Amazing Grace");
	json_decref(j);
}

/* Row 0 of a contact-search reply (borrowed from j). */
static json_t *
first_row(json_t *j)
{
	return json_array_get(
		json_object_get(json_object_get(j, "response"), "results"), 0);
}

/* The updatedOn of contact id, from the search (owned copy). */
static char *
contact_updated_on(json_int_t id)
{
	char path[160], *text;
	json_t *j;

	snprintf(path, sizeof(path),
		 "/contact-service/contact-search?columns=updatedOn"
		 "&contactId=%lld",
		 (long long)id);
	j = call_json(200, "GET", path, NULL);
	text = strdup(json_string_value(json_array_get(first_row(j), 0)));
	json_decref(j);
	assert_non_null(text);
	return text;
}

static void
test_sandbox_bp__contact_search_phones_and_updated_on(void **st)
{
	json_int_t a, b, addr;
	json_t *j, *res, *row, *done;
	char path[512], body[512], *stamp, *later;
	char *enc;
	size_t i;
	long long deadline;
	const char *prev = "";
	int seen = 0;

	(void)st;
	a = response_int(call_json(
		200, "POST", "/contact-service/contact",
		"{\"firstName\":\"Kathleen\",\"lastName\":\"Booth\","
		"\"communication\":{\"emails\":{\"PRI\":{\"email\":"
		"\"kb@example.com\"}},\"telephones\":{\"PRI\":\"0101\","
		"\"SEC\":\"0202\",\"MOB\":\"0707\"}}}"));
	b = response_int(call_json(200, "POST", "/contact-service/contact",
				   "{\"firstName\":\"Tommy\",\"emails\":{"
				   "\"PRI\":\"tf@example.com\"},\"telephones\":"
				   "{\"PRI\":\"0303\"}}"));

	/* pri, sec and mob columns from the telephones, either form */
	snprintf(path, sizeof(path),
		 "/contact-service/contact-search?columns=contactId,pri,sec,"
		 "mob,primaryEmail&contactId=%lld,%lld&sort=contactId.ASC",
		 (long long)a, (long long)b);
	j = call_json(200, "GET", path, NULL);
	res = json_object_get(json_object_get(j, "response"), "results");
	assert_int_equal(json_array_size(res), 2);
	row = json_array_get(res, 0);
	assert_string_equal(json_string_value(json_array_get(row, 1)), "0101");
	assert_string_equal(json_string_value(json_array_get(row, 2)), "0202");
	assert_string_equal(json_string_value(json_array_get(row, 3)), "0707");
	row = json_array_get(res, 1);
	assert_string_equal(json_string_value(json_array_get(row, 1)), "0303");
	assert_true(json_is_null(json_array_get(row, 2)));
	assert_true(json_is_null(json_array_get(row, 3)));
	json_decref(j);

	/* linking an address bumps updatedOn (poll: the clock is in ms) */
	stamp = contact_updated_on(a);
	addr = response_int(call_json(200, "POST",
				      "/contact-service/postal-address",
				      "{\"addressLine1\":\"1 Birkbeck\"}"));
	snprintf(path, sizeof(path),
		 "/contact-service/contact/%lld/"
		 "postal-address",
		 (long long)a);
	snprintf(body, sizeof(body),
		 "[{\"postalAddressId\":%lld,\"type\":\"DEL\"}]",
		 (long long)addr);
	deadline = now_ms() + 5000;
	for (;;) {
		j = call_json(200, "PUT", path, body);
		json_decref(j);
		later = contact_updated_on(a);
		if (strcmp(later, stamp) > 0 || now_ms() > deadline)
			break;
		free(later);
	}
	assert_true(strcmp(later, stamp) > 0);
	j = call_json(400, "PUT", path,
		      "[{\"postalAddressId\":999999,\"type\":\"DEL\"}]");
	json_decref(j);

	/* an open PERIOD: updatedOn at or after the bound, ascending */
	enc = curl_easy_escape(NULL, stamp, 0);
	snprintf(path, sizeof(path),
		 "/contact-service/contact-search?columns=contactId,updatedOn"
		 "&updatedOn=%s/&sort=updatedOn.ASC",
		 enc);
	j = call_json(200, "GET", path, NULL);
	res = json_object_get(json_object_get(j, "response"), "results");
	assert_true(json_array_size(res) >= 2);
	json_array_foreach (res, i, row) {
		const char *u = json_string_value(json_array_get(row, 1));

		assert_true(strcmp(u, stamp) >= 0);
		assert_true(strcmp(u, prev) >= 0);
		assert_true(json_integer_value(json_array_get(row, 0)) != 201);
		prev = u;
		seen += json_integer_value(json_array_get(row, 0)) == b;
	}
	assert_int_equal(seen, 1);
	/* a was touched last: the last row is a, or one touched in the same
	 * millisecond (rows with equal stamps come in no set order) */
	row = json_array_get(res, json_array_size(res) - 1);
	assert_true(json_integer_value(json_array_get(row, 0)) == a ||
		    strcmp(json_string_value(json_array_get(row, 1)), later) ==
			    0);
	json_decref(j);

	/* paging over the same filter */
	snprintf(path, sizeof(path),
		 "/contact-service/contact-search?columns=contactId"
		 "&updatedOn=%s/&sort=updatedOn.ASC&pageSize=1&firstResult=2",
		 enc);
	j = call_json(200, "GET", path, NULL);
	assert_int_equal(json_array_size(json_object_get(
				 json_object_get(j, "response"), "results")),
			 1);
	assert_int_equal(json_integer_value(json_object_get(
				 json_object_get(json_object_get(j, "response"),
						 "metaData"),
				 "firstResult")),
			 2);
	json_decref(j);
	curl_free(enc);
	free(stamp);
	free(later);

	/* a multi-message creates addresses and contacts */
	j = call_json(
		200, "POST", "/multi-message",
		"{\"processingMode\":\"SEQUENTIAL\",\"onFail\":\"CONTINUE\","
		"\"messages\":[{\"label\":\"A\",\"uri\":"
		"\"/contact-service/postal-address\",\"httpMethod\":\"POST\","
		"\"body\":{\"addressLine1\":\"2 Mill Lane\"}},"
		"{\"label\":\"C\",\"uri\":\"/contact-service/contact\","
		"\"httpMethod\":\"POST\",\"body\":{\"firstName\":\"Mary\","
		"\"communication\":{\"emails\":{\"PRI\":{\"email\":"
		"\"mk@example.com\"}}}}}]}");
	done = json_object_get(json_object_get(j, "response"),
			       "processedMessages");
	assert_int_equal(json_array_size(done), 2);
	for (i = 0; i < 2; i++) {
		json_t *env = json_loads(
			json_string_value(json_object_get(
				json_object_get(json_array_get(done, i),
						"body"),
				"content")),
			JSON_DECODE_ANY, NULL);

		assert_int_equal(
			json_integer_value(json_object_get(
				json_array_get(done, i), "statusCode")),
			200);
		assert_true(json_integer_value(
				    json_object_get(env, "response")) > 0);
		json_decref(env);
	}
	json_decref(j);
	j = call_json(200, "GET",
		      "/contact-service/contact-search?primaryEmail="
		      "mk@example.com&columns=firstName",
		      NULL);
	assert_string_equal(json_string_value(json_array_get(first_row(j), 0)),
			    "Mary");
	json_decref(j);
}

/* ---- fulfilment --------------------------------------------------------- */

static void
test_sandbox_bp__goods_out_note_lifecycle(void **st)
{
	json_int_t id, gon;
	json_t *j, *g, *rows, *row;
	char path[256], body[512];
	const char *k;
	json_int_t row_id = 0;
	long long on_hand_before, on_hand_after;

	(void)st;
	on_hand_before = in_stock(1008, "2");
	id = create_order("BC-GON", 3, 1008, 3);
	snprintf(path, sizeof(path), "/order-service/order/%lld",
		 (long long)id);
	j = call_json(200, "GET", path, NULL);
	rows = json_object_get(
		json_array_get(json_object_get(j, "response"), 0), "orderRows");
	json_object_foreach (rows, k, row)
		row_id = strtoll(k, NULL, 10);
	json_decref(j);
	snprintf(path, sizeof(path),
		 "/warehouse-service/order/%lld/goods-note/goods-out",
		 (long long)id);
	snprintf(body, sizeof(body),
		 "{\"warehouses\":[{\"warehouseId\":2,\"products\":[{"
		 "\"productId\":1008,\"salesOrderRowId\":%lld,\"quantity\":3}"
		 "]}],\"priority\":false,\"shippingMethodId\":6}",
		 (long long)row_id);
	j = call_json(200, "POST", path, body);
	assert_true(json_is_array(json_object_get(j, "response")));
	gon = json_integer_value(
		json_array_get(json_object_get(j, "response"), 0));
	json_decref(j);
	/* over-fulfilment is refused */
	json_decref(call_json(400, "POST", path, body));
	snprintf(path, sizeof(path),
		 "/warehouse-service/goods-note/goods-out/%lld",
		 (long long)gon);
	json_decref(call_json(200, "PUT", path,
			      "{\"shipping\":{\"reference\":\"1Z999\","
			      "\"boxes\":1}}"));
	snprintf(path, sizeof(path),
		 "/warehouse-service/goods-note/goods-out/%lld/event",
		 (long long)gon);
	json_decref(call_json(200, "POST", path,
			      "{\"events\":[{\"eventCode\":\"SHW\","
			      "\"eventOwnerId\":4}]}"));
	/* no events after shipping */
	json_decref(call_json(400, "POST", path,
			      "{\"events\":[{\"eventCode\":\"PIC\"}]}"));
	snprintf(path, sizeof(path),
		 "/warehouse-service/order/%lld/goods-note/goods-out",
		 (long long)id);
	j = call_json(200, "GET", path, NULL);
	{
		char key[32];

		snprintf(key, sizeof(key), "%lld", (long long)gon);
		g = json_object_get(json_object_get(j, "response"), key);
	}
	assert_non_null(g);
	assert_string_equal(
		json_string_value(json_object_get(
			json_object_get(g, "shipping"), "reference")),
		"1Z999");
	assert_true(json_is_true(
		json_object_get(json_object_get(g, "status"), "shipped")));
	/* SHW back-filled printed, picked, packed */
	assert_true(json_is_true(
		json_object_get(json_object_get(g, "status"), "picked")));
	assert_non_null(json_object_get(
		json_array_get(json_object_get(g, "events"), 1), "occured"));
	json_decref(j);
	snprintf(path, sizeof(path),
		 "/warehouse-service/goods-note/goods-out/%lld",
		 (long long)gon);
	json_decref(call_json(400, "PUT", path,
			      "{\"shipping\":{\"reference\":\"LATE\"}}"));
	snprintf(path, sizeof(path), "/order-service/order/%lld",
		 (long long)id);
	j = call_json(200, "GET", path, NULL);
	assert_string_equal(
		json_string_value(json_object_get(
			json_array_get(json_object_get(j, "response"), 0),
			"shippingStatusCode")),
		"ASS");
	json_decref(j);
	on_hand_after = in_stock(1008, "2");
	assert_int_equal(on_hand_before - 3, on_hand_after);
}

static void
test_sandbox_bp__status_notes_custom_fields(void **st)
{
	json_int_t id;
	char path[128];
	json_t *j;

	(void)st;
	id = create_order("BC-ST", 3, 1001, 1);
	snprintf(path, sizeof(path), "/order-service/order/%lld/status",
		 (long long)id);
	json_decref(call_json(200, "PUT", path, "{\"orderStatusId\":7}"));
	/* an SC status does not belong to a sales order */
	json_decref(call_json(400, "PUT", path, "{\"orderStatusId\":10}"));
	snprintf(path, sizeof(path), "/order-service/order/%lld/note",
		 (long long)id);
	assert_true(response_int(call_json(200, "POST", path,
					   "{\"text\":\"gift\"}")) > 0);
	j = call_json(200, "GET", path, NULL);
	/* the status change wrote its own note */
	assert_int_equal(json_array_size(json_object_get(j, "response")), 2);
	json_decref(j);
	snprintf(path, sizeof(path), "/order-service/order/%lld/custom-field",
		 (long long)id);
	j = call_json(200, "PATCH", path,
		      "[{\"op\":\"add\",\"path\":\"/PCF_GIFT\",\"value\":"
		      "{\"id\":160}},{\"op\":\"add\",\"path\":\"/PCF_SOURCE\","
		      "\"value\":\"web\"}]");
	assert_int_equal(json_integer_value(json_object_get(
				 json_object_get(json_object_get(j, "response"),
						 "PCF_GIFT"),
				 "id")),
			 160);
	json_decref(j);
	json_decref(call_json(400, "PATCH", path,
			      "[{\"op\":\"add\",\"path\":\"/PCF_NOPE\","
			      "\"value\":1}]"));
	j = call_json(200, "GET", path, NULL);
	assert_string_equal(
		json_string_value(json_object_get(
			json_object_get(j, "response"), "PCF_SOURCE")),
		"web");
	json_decref(j);
}

static void
test_sandbox_bp__payments_unique_and_paid_status(void **st)
{
	json_int_t id;
	char body[512], path[128];
	json_t *j;

	(void)st;
	id = create_order("BC-PAY", 3, 1001, 1); /* 19.00 */
	snprintf(body, sizeof(body),
		 "{\"transactionRef\":\"TX-1\",\"paymentMethodCode\":"
		 "\"BIGCOMMERCE\",\"paymentType\":\"RECEIPT\",\"orderId\":%lld,"
		 "\"currencyIsoCode\":\"USD\",\"amountPaid\":19.0,"
		 "\"paymentDate\":\"2026-11-22T10:00:00Z\"}",
		 (long long)id);
	assert_true(response_int(call_json(
			    200, "POST", "/accounting-service/customer-payment",
			    body)) > 0);
	json_decref(call_json(400, "POST",
			      "/accounting-service/customer-payment", body));
	snprintf(path, sizeof(path), "/order-service/order/%lld",
		 (long long)id);
	j = call_json(200, "GET", path, NULL);
	assert_string_equal(
		json_string_value(json_object_get(
			json_array_get(json_object_get(j, "response"), 0),
			"orderPaymentStatus")),
		"PAID");
	json_decref(j);
	snprintf(path, sizeof(path),
		 "/accounting-service/customer-payment-search?orderId=%lld",
		 (long long)id);
	j = call_json(200, "GET", path, NULL);
	assert_int_equal(json_array_size(json_object_get(
				 json_object_get(j, "response"), "results")),
			 1);
	json_decref(j);
}

static void
test_sandbox_bp__multi_message_stops_on_failure(void **st)
{
	json_t *j, *done;
	json_int_t id;
	char body[1024];

	(void)st;
	id = create_order("BC-MM", 3, 1001, 1);
	snprintf(body, sizeof(body),
		 "{\"processingMode\":\"SEQUENTIAL\",\"onFail\":\"STOP\","
		 "\"messages\":["
		 "{\"label\":\"L1\",\"uri\":\"/order-service/order/%lld/note\","
		 "\"httpMethod\":\"POST\",\"body\":{\"text\":\"a\"}},"
		 "{\"label\":\"L2\",\"uri\":\"/order-service/order/999999/"
		 "note\","
		 "\"httpMethod\":\"POST\",\"body\":{\"text\":\"b\"}},"
		 "{\"label\":\"L3\",\"uri\":\"/order-service/order/%lld/note\","
		 "\"httpMethod\":\"POST\",\"body\":{\"text\":\"c\"}}]}",
		 (long long)id, (long long)id);
	j = call_json(207, "POST", "/multi-message", body);
	done = json_object_get(json_object_get(j, "response"),
			       "processedMessages");
	assert_int_equal(json_array_size(done), 2);
	assert_int_equal(json_integer_value(json_object_get(
				 json_array_get(done, 0), "statusCode")),
			 200);
	assert_non_null(
		strstr(json_string_value(json_object_get(
			       json_object_get(json_array_get(done, 0), "body"),
			       "content")),
		       "\"response\""));
	assert_string_equal(
		json_string_value(json_array_get(
			json_object_get(json_object_get(j, "response"),
					"unprocessedMessages"),
			0)),
		"L3");
	json_decref(j);
}

/* A multi-message of k notes on order id, into buf. */
static void
notes_multi(char *buf, size_t cap, json_int_t id, int k)
{
	size_t n;
	int i;

	n = (size_t)snprintf(buf, cap,
			     "{\"processingMode\":\"SEQUENTIAL\","
			     "\"onFail\":\"CONTINUE\",\"messages\":[");
	for (i = 0; i < k && n < cap; i++)
		n += (size_t)snprintf(
			buf + n, cap - n,
			"%s{\"label\":\"L%d\",\"uri\":\"/order-service/order/"
			"%lld/note\",\"httpMethod\":\"POST\",\"body\":"
			"{\"text\":\"n%d\"}}",
			i ? "," : "", i, (long long)id, i);
	if (n < cap)
		snprintf(buf + n, cap - n, "]}");
}

/* The remaining count a multi-message of k notes gets, asserting status. */
static long
multi_remaining(long want, json_int_t id, int k)
{
	sandbox_reply r;
	char body[4096], h[64];
	long rem;

	notes_multi(body, sizeof(body), id, k);
	assert_int_equal(call(&r, "POST", "/multi-message", body), want);
	rem = strtol(sandbox_reply_header(&r, "brightpearl-requests-remaining",
					  h, sizeof(h)),
		     NULL, 10);
	sandbox_reply_dispose(&r);
	return rem;
}

static size_t
order_notes(json_int_t id)
{
	json_t *st = ctl_json("GET", "/brightpearl/state", NULL), *n;
	const char *k;
	size_t count = 0;

	json_object_foreach (json_object_get(st, "notes"), k, n)
		if (json_integer_value(json_object_get(n, "orderId")) == id)
			count++;
	json_decref(st);
	return count;
}

/*
 * Brightpearl does not say how a multi-message is charged.  Under the
 * "per_message" switch each message is a unit of the quota: the headers
 * count down by the messages, a multi-message the window cannot pay for
 * whole is refused with the throttle 503 and does nothing, and smaller
 * requests still go.  Under "one" (the default) the same call is one unit.
 */
static void
test_sandbox_bp__multi_message_cost_switch(void **st)
{
	sandbox_reply r;
	json_t *j;
	json_int_t id, units0;
	char h[64];

	(void)st;
	id = create_order("BC-MMCOST", 3, 1001, 1);
	j = ctl_json("GET", "/brightpearl/config", NULL);
	assert_string_equal(
		json_string_value(json_object_get(j, "multi_message_cost")),
		"one");
	json_decref(j);
	assert_int_equal(ctl(&r, "POST", "/brightpearl/config",
			     "{\"multi_message_cost\":\"all\"}"),
			 400);
	sandbox_reply_dispose(&r);
	j = ctl_json("POST", "/brightpearl/config",
		     "{\"multi_message_cost\":\"per_message\"}");
	units0 = json_integer_value(json_object_get(j, "units_charged"));
	json_decref(j);
	json_decref(ctl_json("POST", "/brightpearl/quota",
			     "{\"limit\":12,\"window_ms\":60000}"));

	assert_int_equal(multi_remaining(200, id, 5), 7);
	assert_int_equal(multi_remaining(200, id, 5), 2);
	assert_int_equal(order_notes(id), 10);
	/* 5 messages, 2 units left: refused whole, nothing created */
	assert_int_equal(multi_remaining(503, id, 5), 2);
	assert_int_equal(order_notes(id), 10);
	/* one message still fits, and so does a plain request */
	assert_int_equal(multi_remaining(200, id, 1), 1);
	assert_int_equal(call(&r, "GET", "/warehouse-service/warehouse", NULL),
			 200);
	assert_string_equal(
		sandbox_reply_header(&r, "brightpearl-requests-remaining", h,
				     sizeof(h)),
		"0");
	sandbox_reply_dispose(&r);
	assert_int_equal(multi_remaining(503, id, 1), 0);
	j = ctl_json("GET", "/brightpearl/config", NULL);
	assert_int_equal(
		json_integer_value(json_object_get(j, "units_charged")) -
			units0,
		12);
	json_decref(j);

	/* "one": the same 5 messages cost a single unit */
	json_decref(ctl_json("POST", "/brightpearl/config",
			     "{\"multi_message_cost\":\"one\"}"));
	json_decref(ctl_json("POST", "/brightpearl/quota",
			     "{\"limit\":3,\"window_ms\":60000}"));
	assert_int_equal(multi_remaining(200, id, 5), 2);
	assert_int_equal(multi_remaining(200, id, 10), 1);
	assert_int_equal(order_notes(id), 26);
	json_decref(ctl_json("POST", "/brightpearl/quota", "{\"limit\":0}"));
}

/* ---- webhooks ----------------------------------------------------------- */

typedef struct listener {
	struct MHD_Daemon *d;
	pthread_mutex_t mu;
	int fail_first; /* answer 500 to this many requests first */
	int count;
	char bodies[8][512];
	char urls[8][256];
	int port;
} listener;

typedef struct lconn {
	char buf[1024];
	size_t len;
} lconn;

static mhd_result
on_hook(void *cls, struct MHD_Connection *c, const char *url,
	const char *method, const char *version, const char *data, size_t *size,
	void **ptr)
{
	listener *l = cls;
	lconn *lc = *ptr;
	struct MHD_Response *r;
	mhd_result ret;
	int status;

	(void)method;
	(void)version;
	if (!lc) {
		lc = calloc(1, sizeof(*lc));
		*ptr = lc;
		return MHD_YES;
	}
	if (*size) {
		size_t n = *size;

		if (lc->len + n >= sizeof(lc->buf))
			n = sizeof(lc->buf) - 1 - lc->len;
		memcpy(lc->buf + lc->len, data, n);
		lc->len += n;
		*size = 0;
		return MHD_YES;
	}
	pthread_mutex_lock(&l->mu);
	if (l->count < 8) {
		snprintf(l->bodies[l->count], sizeof(l->bodies[0]), "%.*s",
			 (int)lc->len, lc->buf);
		snprintf(l->urls[l->count], sizeof(l->urls[0]), "%s", url);
	}
	status = l->count < l->fail_first ? 500 : 200;
	l->count++;
	pthread_mutex_unlock(&l->mu);
	r = MHD_create_response_from_buffer(0, (void *)"",
					    MHD_RESPMEM_PERSISTENT);
	ret = MHD_queue_response(c, (unsigned)status, r);
	MHD_destroy_response(r);
	return ret;
}

static void
on_hook_done(void *cls, struct MHD_Connection *c, void **ptr,
	     enum MHD_RequestTerminationCode toe)
{
	(void)cls;
	(void)c;
	(void)toe;
	free(*ptr);
	*ptr = NULL;
}

static void
listener_start(listener *l, int fail_first)
{
	const union MHD_DaemonInfo *info;

	memset(l, 0, sizeof(*l));
	pthread_mutex_init(&l->mu, NULL);
	l->fail_first = fail_first;
	l->d = MHD_start_daemon(
		MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION,
		0, NULL, NULL, on_hook, l, MHD_OPTION_NOTIFY_COMPLETED,
		on_hook_done, l, MHD_OPTION_END);
	assert_non_null(l->d);
	info = MHD_get_daemon_info(l->d, MHD_DAEMON_INFO_BIND_PORT);
	l->port = info->port;
}

static void
listener_stop(listener *l)
{
	MHD_stop_daemon(l->d);
	pthread_mutex_destroy(&l->mu);
}

static int
listener_wait(listener *l, int n, int timeout_ms)
{
	long long deadline = now_ms() + timeout_ms;
	int c;

	for (;;) {
		pthread_mutex_lock(&l->mu);
		c = l->count;
		pthread_mutex_unlock(&l->mu);
		if (c >= n || now_ms() > deadline)
			return c;
		nap(10);
	}
}

static json_int_t
register_hook(listener *l, const char *event, int qos)
{
	char body[1024];

	snprintf(
		body, sizeof(body),
		"{\"subscribeTo\":\"%s\",\"httpMethod\":\"POST\","
		"\"uriTemplate\":\"http://127.0.0.1:%d/hook?token=s3cret\","
		"\"bodyTemplate\":\"{\\\"accountCode\\\": "
		"\\\"${account-code}\\\", \\\"resourceType\\\": "
		"\\\"${resource-type}\\\", \\\"id\\\": \\\"${resource-id}\\\", "
		"\\\"lifecycleEvent\\\": \\\"${lifecycle-event}\\\", "
		"\\\"fullEvent\\\": \\\"${full-event}\\\"}\","
		"\"contentType\":\"application/json\","
		"\"idSetAccepted\":false,\"qualityOfService\":%d}",
		event, l->port, qos);
	return response_int(
		call_json(200, "POST", "/integration-service/webhook", body));
}

static void
test_sandbox_bp__webhook_retries_until_accepted(void **st)
{
	listener l;
	json_int_t id, hook;
	char body[256];
	json_t *j, *d;
	size_t i;
	int found = 0;

	(void)st;
	listener_start(&l, 1);
	hook = register_hook(&l, "order.modified.order-status", 1);
	id = create_order("BC-HOOK", 3, 1001, 1);
	snprintf(body, sizeof(body), "{\"orderId\":%lld,\"statusId\":7}",
		 (long long)id);
	json_decref(ctl_json("POST", "/brightpearl/order-status", body));
	assert_int_equal(listener_wait(&l, 2, 10000), 2);
	pthread_mutex_lock(&l.mu);
	j = json_loads(l.bodies[1], 0, NULL);
	assert_non_null(j);
	snprintf(body, sizeof(body), "%lld", (long long)id);
	assert_string_equal(json_string_value(json_object_get(j, "id")), body);
	assert_string_equal(json_string_value(json_object_get(j, "fullEvent")),
			    "order.modified.order-status");
	assert_string_equal(
		json_string_value(json_object_get(j, "accountCode")),
		"sandbox");
	assert_string_equal(l.bodies[0], l.bodies[1]);
	pthread_mutex_unlock(&l.mu);
	json_decref(j);
	/* the delivery log shows two attempts, delivered */
	{
		long long deadline = now_ms() + 5000;

		while (!found && now_ms() < deadline) {
			j = ctl_json("GET", "/webhooks?platform=brightpearl",
				     NULL);
			json_array_foreach (j, i, d) {
				if (json_integer_value(json_object_get(
					    d, "hook_id")) == hook &&
				    strcmp(json_string_value(
						   json_object_get(d, "state")),
					   "delivered") == 0) {
					assert_int_equal(
						json_integer_value(
							json_object_get(
								d, "attempts")),
						2);
					found = 1;
				}
			}
			json_decref(j);
			if (!found)
				nap(20);
		}
	}
	assert_true(found);
	listener_stop(&l);
	{
		char path[64];

		snprintf(path, sizeof(path),
			 "/integration-service/webhook/%lld", (long long)hook);
		json_decref(call_json(200, "DELETE", path, NULL));
		json_decref(call_json(404, "DELETE", path, NULL));
	}
}

static void
test_sandbox_bp__webhook_qos0_no_retry_and_drops(void **st)
{
	listener l;
	json_int_t hook;
	json_t *j, *d;
	size_t i;
	int attempts = -1;
	long long deadline;

	(void)st;
	listener_start(&l, 100);
	hook = register_hook(&l, "product", 0); /* a resource prefix */
	json_decref(ctl_json("POST", "/brightpearl/stock",
			     "{\"sku\":\"CAP-BLK\",\"warehouseId\":2,"
			     "\"inStock\":5}"));
	assert_int_equal(listener_wait(&l, 1, 10000), 1);
	deadline = now_ms() + 5000;
	while (attempts < 0 && now_ms() < deadline) {
		j = ctl_json("GET", "/webhooks?platform=brightpearl", NULL);
		json_array_foreach (j, i, d)
			if (json_integer_value(json_object_get(d, "hook_id")) ==
				    hook &&
			    strcmp(json_string_value(
					   json_object_get(d, "state")),
				   "failed") == 0)
				attempts = (int)json_integer_value(
					json_object_get(d, "attempts"));
		json_decref(j);
		if (attempts < 0)
			nap(20);
	}
	assert_int_equal(attempts, 1);
	/* drop every delivery: nothing more arrives */
	json_decref(ctl_json("POST", "/webhooks",
			     "{\"platform\":\"brightpearl\",\"drop_rate\":1}"));
	json_decref(ctl_json("POST", "/brightpearl/stock",
			     "{\"sku\":\"CAP-BLK\",\"warehouseId\":2,"
			     "\"inStock\":6}"));
	j = ctl_json("GET", "/webhooks?platform=brightpearl", NULL);
	{
		int n = 0;

		json_array_foreach (j, i, d)
			n += json_integer_value(
				     json_object_get(d, "hook_id")) == hook;
		assert_int_equal(n, 1);
	}
	json_decref(j);
	json_decref(ctl_json("POST", "/webhooks",
			     "{\"platform\":\"brightpearl\",\"drop_rate\":0}"));
	listener_stop(&l);
	json_decref(call_json(400, "POST", "/integration-service/webhook",
			      "{\"subscribeTo\":\"contact.created\","
			      "\"uriTemplate\":\"http://x/\"}"));
}

static void
test_sandbox_bp__reservations_credits_and_state(void **st)
{
	const char *const staff[] = {"brightpearl-app-ref: sandbox_pearlsync",
				     "brightpearl-staff-token: sandbox-token",
				     NULL};
	json_int_t id, row_id = 0, credit;
	json_t *j, *row, *res;
	const char *k;
	char path[160], body[512];
	sandbox_reply r;

	(void)st;
	/* HOOD-GRY-M (1005) has 12 in warehouse 2: ask for 15, get 12 */
	id = create_order("BC-RES", 3, 1005, 15);
	snprintf(path, sizeof(path), "/order-service/order/%lld",
		 (long long)id);
	j = call_json(200, "GET", path, NULL);
	json_object_foreach (
		json_object_get(
			json_array_get(json_object_get(j, "response"), 0),
			"orderRows"),
		k, row)
		row_id = strtoll(k, NULL, 10);
	json_decref(j);
	snprintf(path, sizeof(path),
		 "/warehouse-service/order/%lld/reservation/warehouse/2",
		 (long long)id);
	snprintf(body, sizeof(body),
		 "{\"products\":[{\"productId\":\"1005\",\"salesOrderRowId\":"
		 "\"%lld\",\"quantity\":\"10\"},{\"productId\":1005,"
		 "\"salesOrderRowId\":%lld,\"quantity\":5}]}",
		 (long long)row_id, (long long)row_id);
	j = call_json(200, "POST", path, body);
	assert_int_equal(json_object_size(j), 0); /* {} */
	json_decref(j);
	json_decref(call_json(400, "POST", path, body)); /* one per order */
	snprintf(path, sizeof(path),
		 "/warehouse-service/order/%lld/reservation", (long long)id);
	j = call_json(200, "GET", path, NULL);
	res = json_object_get(json_array_get(json_object_get(j, "response"), 0),
			      "orderRows");
	assert_int_equal(json_object_size(res), 1); /* lines collapsed */
	json_object_foreach (res, k, row)
		assert_int_equal(
			json_integer_value(json_object_get(row, "quantity")),
			12);
	json_decref(j);
	j = call_json(404, "GET", "/warehouse-service/order/999999/reservation",
		      NULL);
	json_decref(j);

	/* a sales credit for it; 207 when only some ids exist */
	snprintf(body, sizeof(body),
		 "{\"customer\":{\"id\":201},\"parentId\":%lld,"
		 "\"rows\":[{\"productId\":1005,\"quantity\":1,"
		 "\"net\":49.5,\"tax\":0,\"taxCode\":\"N\"}]}",
		 (long long)id);
	credit = response_int(
		call_json(200, "POST", "/order-service/sales-credit", body));
	snprintf(path, sizeof(path), "/order-service/sales-credit/%lld",
		 (long long)credit);
	j = call_json(200, "GET", path, NULL);
	assert_int_equal(json_array_size(json_object_get(j, "response")), 1);
	json_decref(j);
	snprintf(path, sizeof(path), "/order-service/sales-credit/%lld,999999",
		 (long long)credit);
	j = call_json(207, "GET", path, NULL);
	assert_int_equal(json_array_size(json_object_get(j, "response")), 1);
	json_decref(j);

	/* staff-token auth and state read back */
	snprintf(path, sizeof(path), "/order-service/order/%lld/note",
		 (long long)id);
	assert_int_equal(
		call_h(&r, staff, "POST", path, "{\"text\":\"staff note\"}"),
		200);
	sandbox_reply_dispose(&r);
	j = ctl_json("GET", "/brightpearl/state", NULL);
	{
		json_t *n;
		int found = 0;

		json_object_foreach (json_object_get(j, "notes"), k, n)
			found |= strcmp(json_string_value(
						json_object_get(n, "text")),
					"staff note") == 0 &&
				 json_integer_value(
					 json_object_get(n, "orderId")) == id;
		assert_true(found);
		snprintf(path, sizeof(path), "%lld", (long long)id);
		assert_non_null(json_object_get(
			json_object_get(j, "reservations"), path));
	}
	json_decref(j);
}

static void
test_sandbox_bp__webhook_simulate_and_duplicates(void **st)
{
	listener l;
	json_int_t hook;
	char path[128];

	(void)st;
	listener_start(&l, 0);
	hook = register_hook(&l, "product.modified.on-hand-modified", 1);
	snprintf(path, sizeof(path),
		 "/integration-service/webhook/%lld/simulate", (long long)hook);
	json_decref(call_json(200, "POST", path,
			      "{\"testData\":{\"${resource-id}\":"
			      "\"1001-1002,1005\"}}"));
	assert_int_equal(listener_wait(&l, 3, 10000), 3);
	json_decref(call_json(400, "POST", path,
			      "{\"testData\":{\"${resource-id}\":\"1-11\"}}"));
	/* every delivery doubled */
	json_decref(ctl_json("POST", "/webhooks",
			     "{\"platform\":\"brightpearl\","
			     "\"duplicate_rate\":1}"));
	json_decref(ctl_json("POST", "/brightpearl/stock",
			     "{\"sku\":\"MUG-LOGO\",\"inStock\":3}"));
	assert_int_equal(listener_wait(&l, 5, 10000), 5);
	pthread_mutex_lock(&l.mu);
	assert_string_equal(l.bodies[3], l.bodies[4]);
	assert_non_null(strstr(l.bodies[3], "\"id\": \"1008\""));
	assert_string_equal(l.urls[3], "/hook");
	pthread_mutex_unlock(&l.mu);
	json_decref(ctl_json("POST", "/webhooks",
			     "{\"platform\":\"brightpearl\","
			     "\"duplicate_rate\":0}"));
	snprintf(path, sizeof(path), "/integration-service/webhook/%lld",
		 (long long)hook);
	json_decref(call_json(200, "DELETE", path, NULL));
	listener_stop(&l);
}

/* One contact is one of customer, supplier or staff (Contact Search
 * docs); a contact the merchant deletes is gone from GET and search. */
static void
test_sandbox_bp__contact_relationship_and_delete(void **st)
{
	json_t *j, *ids, *res;
	json_int_t id[3];
	char path[256], body[64];
	size_t i;
	sandbox_reply r;
	static const int want[3][3] = {{1, 0, 0}, {0, 1, 0}, {0, 0, 1}};

	(void)st;
	j = ctl_json("POST", "/brightpearl/seed",
		     "{\"customers\":[{\"email\":\"rel@example.com\"},"
		     "{\"email\":\"rel@example.com\",\"isSupplier\":true},"
		     "{\"email\":\"rel@example.com\",\"isStaff\":true}]}");
	ids = json_object_get(j, "customers");
	for (i = 0; i < 3; i++)
		id[i] = json_integer_value(json_array_get(ids, i));
	json_decref(j);
	snprintf(path, sizeof(path),
		 "/contact-service/contact-search?columns=contactId,"
		 "isCustomer,isSupplier,isStaff&contactId=%lld-%lld"
		 "&sort=contactId.ASC",
		 (long long)id[0], (long long)id[2]);
	j = call_json(200, "GET", path, NULL);
	res = json_object_get(json_object_get(j, "response"), "results");
	assert_int_equal(json_array_size(res), 3);
	for (i = 0; i < 3; i++) {
		json_t *row = json_array_get(res, i);

		assert_int_equal(json_integer_value(json_array_get(row, 0)),
				 id[i]);
		assert_int_equal(json_is_true(json_array_get(row, 1)),
				 want[i][0]);
		assert_int_equal(json_is_true(json_array_get(row, 2)),
				 want[i][1]);
		assert_int_equal(json_is_true(json_array_get(row, 3)),
				 want[i][2]);
	}
	json_decref(j);
	/* the filter: customers only */
	j = call_json(200, "GET",
		      "/contact-service/contact-search?columns=contactId"
		      "&primaryEmail=rel@example.com&isCustomer=true",
		      NULL);
	res = json_object_get(json_object_get(j, "response"), "results");
	assert_int_equal(json_array_size(res), 1);
	assert_int_equal(
		json_integer_value(json_array_get(json_array_get(res, 0), 0)),
		id[0]);
	json_decref(j);

	snprintf(body, sizeof(body), "{\"contactId\":%lld}", (long long)id[1]);
	assert_int_equal(ctl(&r, "POST", "/brightpearl/contact-delete", body),
			 200);
	sandbox_reply_dispose(&r);
	assert_int_equal(ctl(&r, "POST", "/brightpearl/contact-delete", body),
			 404);
	sandbox_reply_dispose(&r);
	snprintf(path, sizeof(path), "/contact-service/contact/%lld",
		 (long long)id[1]);
	j = call_json(404, "GET", path, NULL);
	json_decref(j);
	snprintf(path, sizeof(path),
		 "/contact-service/contact-search?columns=contactId"
		 "&contactId=%lld",
		 (long long)id[1]);
	j = call_json(200, "GET", path, NULL);
	assert_int_equal(json_array_size(json_object_get(
				 json_object_get(j, "response"), "results")),
			 0);
	json_decref(j);
}

static void
test_sandbox_bp__control_seed_and_ship(void **st)
{
	json_t *j, *ids;
	json_int_t pid, cid, oid;
	char body[512];

	(void)st;
	j = ctl_json("POST", "/brightpearl/seed",
		     "{\"products\":[{\"sku\":\"NEW-1\",\"name\":\"New one\","
		     "\"price\":\"5.50\",\"stock\":{\"2\":7}}],"
		     "\"customers\":[{\"email\":\"new@example.com\"}],"
		     "\"shippingMethods\":[{\"name\":\"Courier\",\"code\":"
		     "\"CR\"}]}");
	ids = json_object_get(j, "products");
	pid = json_integer_value(json_array_get(ids, 0));
	cid = json_integer_value(
		json_array_get(json_object_get(j, "customers"), 0));
	assert_true(pid > 0 && cid > 0);
	json_decref(j);
	snprintf(body, sizeof(body),
		 "{\"customerId\":%lld,\"rows\":[{\"productId\":%lld,"
		 "\"quantity\":2,\"net\":11,\"tax\":0,\"taxCode\":\"N\"}]}",
		 (long long)cid, (long long)pid);
	oid = response_int(
		call_json(200, "POST", "/order-service/sales-order", body));
	snprintf(body, sizeof(body),
		 "{\"orderId\":%lld,\"tracking\":\"TRK-9\"}", (long long)oid);
	j = ctl_json("POST", "/brightpearl/ship", body);
	assert_int_equal(json_array_size(json_object_get(j, "goodsOutNoteIds")),
			 1);
	json_decref(j);
	assert_int_equal(in_stock(pid, NULL), 5);
	j = call_json(
		200, "GET",
		"/warehouse-service/goods-note/goods-out-search?shipped=true",
		NULL);
	assert_true(json_array_size(json_object_get(
			    json_object_get(j, "response"), "results")) >= 1);
	json_decref(j);
}

/* ---- stock: reservations by row, goods-out and cancellation ------------- */

/* A field of a product's availability in warehouse wh. */
static json_int_t
avail_field(json_int_t pid, const char *wh, const char *field)
{
	char path[128], key[32];
	json_t *j, *p;
	json_int_t v;

	snprintf(path, sizeof(path),
		 "/warehouse-service/product-availability/%lld",
		 (long long)pid);
	snprintf(key, sizeof(key), "%lld", (long long)pid);
	j = call_json(200, "GET", path, NULL);
	p = json_object_get(json_object_get(j, "response"), key);
	p = json_object_get(json_object_get(p, "warehouses"), wh);
	v = json_integer_value(json_object_get(p, field));
	json_decref(j);
	return v;
}

/* The only row id of order id. */
static json_int_t
only_row(json_int_t id)
{
	char path[96];
	json_t *j, *row;
	const char *k;
	json_int_t row_id = 0;

	snprintf(path, sizeof(path), "/order-service/order/%lld",
		 (long long)id);
	j = call_json(200, "GET", path, NULL);
	json_object_foreach (
		json_object_get(
			json_array_get(json_object_get(j, "response"), 0),
			"orderRows"),
		k, row)
		row_id = strtoll(k, NULL, 10);
	json_decref(j);
	assert_true(row_id > 0);
	return row_id;
}

/* POST a reservation of qty of pid on row_id in warehouse wh; the reply. */
static json_t *
reserve(long want, json_int_t id, int wh, int pid, json_int_t row_id, int qty)
{
	char path[128], body[256];

	snprintf(path, sizeof(path),
		 "/warehouse-service/order/%lld/reservation/warehouse/%d",
		 (long long)id, wh);
	snprintf(body, sizeof(body),
		 "{\"products\":[{\"productId\":\"%d\",\"salesOrderRowId\":"
		 "\"%lld\",\"quantity\":\"%d\"}]}",
		 pid, (long long)row_id, qty);
	return call_json(want, "POST", path, body);
}

static const char *
error_code(json_t *j)
{
	return json_string_value(json_object_get(
		json_array_get(json_object_get(j, "errors"), 0), "code"));
}

static void
test_sandbox_bp__reservation_refuses_rows_and_warehouses_not_the_orders(
	void **st)
{
	json_int_t a, b, row_a, row_b, free_before;
	json_t *j;

	(void)st;
	a = create_order("BC-RROW-A", 3, 1004, 2);
	b = create_order("BC-RROW-B", 3, 1004, 1);
	row_a = only_row(a);
	row_b = only_row(b);
	free_before = avail_field(1004, "2", "onHand");
	/* another order's row, the placeholder row 0, a row of another
	 * product, a warehouse the account does not have */
	j = reserve(400, a, 2, 1004, row_b, 2);
	assert_string_equal(error_code(j), "WHSC-017");
	json_decref(j);
	json_decref(reserve(400, a, 2, 1004, 0, 2));
	json_decref(reserve(400, a, 2, 1003, row_a, 2));
	j = reserve(400, a, 99, 1004, row_a, 2);
	assert_string_equal(error_code(j), "WHSC-016");
	json_decref(j);
	/* nothing was taken by the refusals */
	assert_int_equal(avail_field(1004, "2", "onHand"), free_before);
	json_decref(call_json(404, "GET",
			      "/warehouse-service/order/999999/reservation",
			      NULL));
	/* the switch relaxes the row rule only */
	json_decref(ctl_json("POST", "/brightpearl/strict",
			     "{\"reservationRows\":false}"));
	json_decref(reserve(400, b, 99, 1004, 0, 1));
	json_decref(reserve(200, b, 2, 1004, 0, 1));
	j = ctl_json("POST", "/brightpearl/strict",
		     "{\"reservationRows\":true}");
	assert_true(json_is_true(json_object_get(j, "reservationRows")));
	assert_true(json_is_true(json_object_get(j, "reservationWarehouse")));
	json_decref(j);
	json_decref(reserve(200, a, 2, 1004, row_a, 2));
	assert_int_equal(avail_field(1004, "2", "onHand"), free_before - 3);
}

static void
test_sandbox_bp__sales_order_refuses_unknown_references(void **st)
{
	static const struct {
		const char *field, *code;
	} cases[] = {
		{"\"warehouseId\":99", "ORDC-060"},
		{"\"channelId\":99", "ORDC-061"},
		{"\"priceListId\":99", "ORDC-062"},
	};
	char body[512];
	size_t i;
	json_t *j;

	(void)st;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(body, sizeof(body),
			 "{\"customer\":{\"id\":201},%s,\"rows\":[{"
			 "\"productId\":1001,\"quantity\":\"1\",\"net\":"
			 "\"19.00\",\"tax\":\"0\",\"taxCode\":\"T\"}]}",
			 cases[i].field);
		j = call_json(400, "POST", "/order-service/sales-order", body);
		assert_string_equal(error_code(j), cases[i].code);
		json_decref(j);
	}
	/* known ids pass; the switch lets unknown ones through */
	json_decref(call_json(
		200, "POST", "/order-service/sales-order",
		"{\"customer\":{\"id\":201},\"warehouseId\":3,\"channelId\":1,"
		"\"priceListId\":1,\"rows\":[]}"));
	json_decref(ctl_json("POST", "/brightpearl/strict",
			     "{\"orderReferences\":false}"));
	json_decref(call_json(200, "POST", "/order-service/sales-order",
			      "{\"customer\":{\"id\":201},\"warehouseId\":99,"
			      "\"rows\":[]}"));
	json_decref(ctl_json("POST", "/brightpearl/strict",
			     "{\"orderReferences\":true}"));
	json_decref(call_json(400, "POST", "/order-service/sales-order",
			      "{\"customer\":{\"id\":201},\"warehouseId\":99,"
			      "\"rows\":[]}"));
}

static void
test_sandbox_bp__goods_out_ships_the_reservation_once(void **st)
{
	json_int_t id, row_id, free0, stock0, gon;
	char path[160], body[512];
	json_t *j;

	(void)st;
	free0 = avail_field(1009, "2", "onHand");
	stock0 = avail_field(1009, "2", "inStock");
	id = create_order("BC-GONRES", 3, 1009, 4);
	row_id = only_row(id);
	json_decref(reserve(200, id, 2, 1009, row_id, 3));
	assert_int_equal(avail_field(1009, "2", "onHand"), free0 - 3);
	/* a note for all four: three were reserved, one more is taken */
	snprintf(path, sizeof(path),
		 "/warehouse-service/order/%lld/goods-note/goods-out",
		 (long long)id);
	snprintf(body, sizeof(body),
		 "{\"warehouses\":[{\"warehouseId\":2,\"products\":[{"
		 "\"productId\":1009,\"salesOrderRowId\":%lld,\"quantity\":4}"
		 "]}]}",
		 (long long)row_id);
	j = call_json(200, "POST", path, body);
	gon = json_integer_value(
		json_array_get(json_object_get(j, "response"), 0));
	json_decref(j);
	assert_int_equal(avail_field(1009, "2", "onHand"), free0 - 4);
	assert_int_equal(avail_field(1009, "2", "allocated"),
			 stock0 - free0 + 4);
	/* the note took the reservation over */
	snprintf(path, sizeof(path),
		 "/warehouse-service/order/%lld/reservation", (long long)id);
	json_decref(call_json(404, "GET", path, NULL));
	snprintf(path, sizeof(path),
		 "/warehouse-service/goods-note/goods-out/%lld/event",
		 (long long)gon);
	json_decref(call_json(200, "POST", path,
			      "{\"events\":[{\"eventCode\":\"SHW\"}]}"));
	assert_int_equal(avail_field(1009, "2", "inStock"), stock0 - 4);
	assert_int_equal(avail_field(1009, "2", "onHand"), free0 - 4);
}

static void
test_sandbox_bp__cancelled_order_releases_its_reservation(void **st)
{
	json_int_t id, free0;
	char path[128], body[128];

	(void)st;
	free0 = avail_field(1010, "2", "onHand");
	id = create_order("BC-CANCEL", 3, 1010, 5);
	json_decref(reserve(200, id, 2, 1010, only_row(id), 5));
	assert_int_equal(avail_field(1010, "2", "onHand"), free0 - 5);
	/* another status keeps it */
	snprintf(body, sizeof(body), "{\"orderStatusId\":7}");
	snprintf(path, sizeof(path), "/order-service/order/%lld/status",
		 (long long)id);
	json_decref(call_json(200, "PUT", path, body));
	assert_int_equal(avail_field(1010, "2", "onHand"), free0 - 5);
	/* cancelled (status 5) releases it */
	snprintf(body, sizeof(body), "{\"orderStatusId\":5}");
	json_decref(call_json(200, "PUT", path, body));
	assert_int_equal(avail_field(1010, "2", "onHand"), free0);
	snprintf(path, sizeof(path),
		 "/warehouse-service/order/%lld/reservation", (long long)id);
	json_decref(call_json(404, "GET", path, NULL));
}

static int
listener_has(listener *l, const char *a, const char *b)
{
	int i, found = 0;

	pthread_mutex_lock(&l->mu);
	for (i = 0; i < l->count && i < 8; i++)
		found |= strstr(l->bodies[i], a) != NULL &&
			 strstr(l->bodies[i], b) != NULL;
	pthread_mutex_unlock(&l->mu);
	return found;
}

static void
test_sandbox_bp__stock_changes_fire_availability_events(void **st)
{
	listener l;
	json_int_t id, row_id, gon, hook;
	char path[160], body[512];
	json_t *j;

	(void)st;
	listener_start(&l, 0);
	id = create_order("BC-AVAIL", 3, 1011, 2);
	row_id = only_row(id);
	hook = register_hook(&l, "product.modified.on-hand-modified", 1);
	/* the reservation */
	json_decref(reserve(200, id, 2, 1011, row_id, 1));
	assert_int_equal(listener_wait(&l, 1, 10000), 1);
	assert_true(listener_has(&l, "\"id\": \"1011\"",
				 "product.modified.on-hand-modified"));
	/* a goods-out note for the unreserved unit too */
	snprintf(path, sizeof(path),
		 "/warehouse-service/order/%lld/goods-note/goods-out",
		 (long long)id);
	snprintf(body, sizeof(body),
		 "{\"warehouses\":[{\"warehouseId\":2,\"products\":[{"
		 "\"productId\":1011,\"salesOrderRowId\":%lld,\"quantity\":2}"
		 "]}]}",
		 (long long)row_id);
	j = call_json(200, "POST", path, body);
	gon = json_integer_value(
		json_array_get(json_object_get(j, "response"), 0));
	json_decref(j);
	assert_int_equal(listener_wait(&l, 2, 10000), 2);
	/* shipping it */
	snprintf(path, sizeof(path),
		 "/warehouse-service/goods-note/goods-out/%lld/event",
		 (long long)gon);
	json_decref(call_json(200, "POST", path,
			      "{\"events\":[{\"eventCode\":\"SHW\"}]}"));
	assert_int_equal(listener_wait(&l, 3, 10000), 3);
	snprintf(path, sizeof(path), "/integration-service/webhook/%lld",
		 (long long)hook);
	json_decref(call_json(200, "DELETE", path, NULL));
	listener_stop(&l);
}

/* The errors[0].code of a refused request (asserting its status). */
static void
assert_refused(long want, const char *code, const char *method,
	       const char *path, const char *body)
{
	json_t *j = call_json(want, method, path, body);

	assert_string_equal(
		json_string_value(json_object_get(
			json_array_get(json_object_get(j, "errors"), 0),
			"code")),
		code);
	assert_null(json_object_get(j, "response"));
	json_decref(j);
}

/* countryIsoCode is the 3-letter code (postal-address/post): a 2-letter
 * one is refused on a postal address and on a sales order's parties; a
 * stored address reads back with countryIsoCode2 and countryId as the
 * postal-address GET documents. */
static void
test_sandbox_bp__country_codes_are_alpha3(void **st)
{
	json_int_t id;
	char path[128];
	json_t *j, *a;

	(void)st;
	assert_refused(400, "CMNC-400", "POST",
		       "/contact-service/postal-address",
		       "{\"addressLine1\":\"1 High St\",\"countryIsoCode\":"
		       "\"GB\"}");
	assert_refused(400, "CMNC-400", "POST",
		       "/contact-service/postal-address",
		       "{\"addressLine1\":\"1 High St\",\"countryIsoCode\":"
		       "\"XYZ\"}");
	assert_refused(400, "CMNC-400", "POST", "/order-service/sales-order",
		       "{\"customer\":{\"id\":201},\"delivery\":{\"address\":"
		       "{\"addressFullName\":\"Joan Clarke\",\"addressLine1\":"
		       "\"1 Park\",\"countryIsoCode\":\"US\"}},\"rows\":[]}");
	id = response_int(call_json(200, "POST",
				    "/contact-service/postal-address",
				    "{\"addressLine1\":\"1 High St\","
				    "\"postalCode\":\"BP1 2AZ\","
				    "\"countryIsoCode\":\"GBR\"}"));
	snprintf(path, sizeof(path), "/contact-service/postal-address/%lld",
		 (long long)id);
	j = call_json(200, "GET", path, NULL);
	a = json_array_get(json_object_get(j, "response"), 0);
	assert_int_equal(json_integer_value(json_object_get(a, "addressId")),
			 id);
	assert_string_equal(
		json_string_value(json_object_get(a, "countryIsoCode")), "GBR");
	assert_string_equal(
		json_string_value(json_object_get(a, "countryIsoCode2")), "GB");
	assert_int_equal(json_integer_value(json_object_get(a, "countryId")),
			 222);
	json_decref(j);
	/* a sales order with alpha-3 parties is taken */
	response_int(call_json(
		200, "POST", "/order-service/sales-order",
		"{\"customer\":{\"id\":201},\"delivery\":{\"address\":"
		"{\"addressFullName\":\"Joan Clarke\",\"addressLine1\":"
		"\"1 Park\",\"countryIsoCode\":\"USA\"}},\"rows\":[]}"));
}

/* Contact PATCH is JSON-Patch: paths of any depth land nested, "replace"
 * of a member the contact lacks is refused with CMNC-044 and changes
 * nothing, "add" makes it; names over 32 characters are refused; the
 * contact reads back with the members a recorded GET has. */
static void
test_sandbox_bp__contact_patch_depth_add_replace_limits(void **st)
{
	json_int_t id;
	char path[128];
	json_t *j, *c, *tel;

	(void)st;
	id = response_int(
		call_json(200, "POST", "/contact-service/contact",
			  "{\"firstName\":\"Joan\",\"lastName\":\"Clarke\","
			  "\"communication\":{\"emails\":{\"PRI\":{\"email\":"
			  "\"joan@example.com\"}}}}"));
	snprintf(path, sizeof(path), "/contact-service/contact/%lld",
		 (long long)id);
	/* recorded members are there, empty or default */
	j = call_json(200, "GET", path, NULL);
	c = json_array_get(json_object_get(j, "response"), 0);
	assert_true(json_is_object(json_object_get(
		json_object_get(c, "communication"), "telephones")));
	assert_true(json_is_object(json_object_get(
		json_object_get(c, "communication"), "websites")));
	assert_non_null(json_object_get(c, "contactStatus"));
	assert_non_null(json_object_get(c, "financialDetails"));
	assert_int_equal(
		json_integer_value(json_object_get(
			json_object_get(c, "organisation"), "organisationId")),
		id);
	assert_string_equal(
		json_string_value(json_object_get(c, "tradeStatus")),
		"UNKNOWN");
	json_decref(j);
	/* replace of a phone it never had: refused, nothing changed */
	assert_refused(
		500, "CMNC-044", "PATCH", path,
		"[{\"op\":\"replace\",\"path\":\"/firstName\","
		"\"value\":\"Jo\"},{\"op\":\"replace\",\"path\":"
		"\"/communication/telephones/PRI\",\"value\":\"0123\"}]");
	/* a missing parent is refused too, even for add */
	assert_refused(500, "CMNC-044", "PATCH", path,
		       "[{\"op\":\"add\",\"path\":\"/nothing/here/PRI\","
		       "\"value\":\"x\"}]");
	/* add makes it, three levels deep, as a nested member */
	j = call_json(200, "PATCH", path,
		      "[{\"op\":\"add\",\"path\":"
		      "\"/communication/telephones/PRI\",\"value\":\"0123\"},"
		      "{\"op\":\"replace\",\"path\":"
		      "\"/communication/emails/PRI/email\",\"value\":"
		      "\"joan@new.example\"}]");
	c = json_object_get(j, "response");
	assert_string_equal(json_string_value(json_object_get(c, "firstName")),
			    "Joan");
	tel = json_object_get(json_object_get(c, "communication"),
			      "telephones");
	assert_string_equal(json_string_value(json_object_get(tel, "PRI")),
			    "0123");
	assert_null(json_object_get(c, "communication/telephones/PRI"));
	assert_null(json_object_get(json_object_get(c, "communication"),
				    "telephones/PRI"));
	assert_string_equal(
		json_string_value(json_object_get(
			json_object_get(
				json_object_get(
					json_object_get(c, "communication"),
					"emails"),
				"PRI"),
			"email")),
		"joan@new.example");
	json_decref(j);
	/* now it has a phone, replace is right */
	json_decref(call_json(200, "PATCH", path,
			      "[{\"op\":\"replace\",\"path\":"
			      "\"/communication/telephones/PRI\","
			      "\"value\":\"0456\"}]"));
	/* over 32 characters: refused on PATCH as on POST */
	assert_refused(400, "CONC-012", "PATCH", path,
		       "[{\"op\":\"replace\",\"path\":\"/lastName\",\"value\":"
		       "\"Abcdefghijklmnopqrstuvwxyzabcdefg\"}]");
	assert_refused(400, "CONC-012", "POST", "/contact-service/contact",
		       "{\"firstName\":\"Abcdefghijklmnopqrstuvwxyzabcdefg\"}");
	/* 32 characters, some of them two bytes, are fine */
	json_decref(call_json(
		200, "PATCH", path,
		"[{\"op\":\"replace\",\"path\":\"/lastName\","
		"\"value\":\"\u00c9bcdefghijklmnopqrstuvwxyzabcd\u00e9\"}]"));
}

/* order-shipping-status answers {id, code, description} as recorded. */
static void
test_sandbox_bp__shipping_statuses_have_descriptions(void **st)
{
	json_t *j, *v;
	size_t i;

	(void)st;
	j = call_json(200, "GET", "/order-service/order-shipping-status", NULL);
	assert_int_equal(json_array_size(json_object_get(j, "response")), 4);
	json_array_foreach (json_object_get(j, "response"), i, v) {
		assert_true(json_is_string(json_object_get(v, "description")));
		assert_null(json_object_get(v, "name"));
	}
	assert_string_equal(
		json_string_value(json_object_get(
			json_array_get(json_object_get(j, "response"), 3),
			"description")),
		"All stock shipped");
	json_decref(j);
}

/*
 * Sales credits (reference section 7.8) and their goods-in: the credit
 * needs a sales order as parent and a tax code per row; a repeat with
 * the same externalRef and instance is the same credit; a PAYMENT is
 * recorded against it; the goods-in (one per userBatchReference, at
 * most the row's quantity, never on a sales order) adds to on-hand.
 */
static void
test_sandbox_bp__sales_credit_payment_and_goods_in(void **state)
{
	json_int_t so, credit, again, row, before;
	char body[768], path[128];
	json_t *j, *c;

	(void)state;
	so = create_order("sc-parent-1", 9, 1002, 3);
	before = in_stock(1002, "2");
	/* refusals: a row without a tax code, a parent that is no SO */
	snprintf(body, sizeof(body),
		 "{\"customer\":{\"id\":201},\"parentId\":%lld,\"rows\":[{"
		 "\"productId\":1002,\"quantity\":1,\"net\":19,\"tax\":0}]}",
		 (long long)so);
	json_decref(
		call_json(400, "POST", "/order-service/sales-credit", body));
	json_decref(call_json(400, "POST", "/order-service/sales-credit",
			      "{\"customer\":{\"id\":201},\"parentId\":999999,"
			      "\"rows\":[{\"productId\":1002,\"quantity\":1,"
			      "\"net\":19,\"tax\":0,\"taxCode\":\"T\"}]}"));
	snprintf(body, sizeof(body),
		 "{\"customer\":{\"id\":201},\"parentId\":%lld,"
		 "\"externalRef\":\"sc-1-R1\","
		 "\"installedIntegrationInstanceId\":"
		 "9,\"rows\":[{\"productId\":1002,\"quantity\":2,\"net\":38,"
		 "\"tax\":3.8,\"taxCode\":\"T\",\"nominalCode\":\"4000\"}]}",
		 (long long)so);
	credit = response_int(
		call_json(200, "POST", "/order-service/sales-credit", body));
	again = response_int(
		call_json(200, "POST", "/order-service/sales-credit", body));
	assert_int_equal(again, credit); /* the duplicate guard */
	snprintf(path, sizeof(path), "/order-service/sales-credit/%lld",
		 (long long)credit);
	j = call_json(200, "GET", path, NULL);
	c = json_array_get(json_object_get(j, "response"), 0);
	assert_int_equal(json_integer_value(json_object_get(c, "parentId")),
			 so);
	row = json_integer_value(json_object_get(
		json_array_get(json_object_get(c, "rows"), 0), "id"));
	json_decref(j);
	/* found by externalRef among the credits */
	j = call_json(200, "GET",
		      "/order-service/order-search?orderTypeId=3&"
		      "externalRef=sc-1-R1",
		      NULL);
	assert_int_equal(json_array_size(json_object_get(
				 json_object_get(j, "response"), "results")),
			 1);
	json_decref(j);
	/* the refund paid out against the credit */
	snprintf(
		body, sizeof(body),
		"{\"paymentMethodCode\":\"PAYPAL\",\"paymentType\":\"PAYMENT\","
		"\"orderId\":%lld,\"currencyIsoCode\":\"USD\",\"amountPaid\":"
		"41.80,\"paymentDate\":\"2026-12-01T10:00:00Z\","
		"\"transactionRef\":\"sc-1-R1\"}",
		(long long)credit);
	json_decref(call_json(200, "POST",
			      "/accounting-service/customer-payment", body));
	json_decref(call_json(400, "POST",
			      "/accounting-service/customer-payment", body));
	/* goods-in: refused on the sales order, past the row, then taken */
	snprintf(path, sizeof(path),
		 "/warehouse-service/order/%lld/goods-note/goods-in",
		 (long long)so);
	snprintf(body, sizeof(body),
		 "{\"transfer\":false,\"warehouseId\":2,\"userBatchReference\":"
		 "\"sc-1-R1\",\"goodsMoved\":[{\"productId\":1002,"
		 "\"purchaseOrderRowId\":%lld,\"quantity\":2}]}",
		 (long long)row);
	json_decref(call_json(400, "POST", path, body));
	snprintf(path, sizeof(path),
		 "/warehouse-service/order/%lld/goods-note/goods-in",
		 (long long)credit);
	snprintf(body, sizeof(body),
		 "{\"transfer\":false,\"warehouseId\":2,\"goodsMoved\":[{"
		 "\"productId\":1002,\"purchaseOrderRowId\":%lld,"
		 "\"quantity\":3}]}",
		 (long long)row);
	json_decref(call_json(400, "POST", path, body));
	snprintf(body, sizeof(body),
		 "{\"transfer\":false,\"warehouseId\":2,\"userBatchReference\":"
		 "\"sc-1-R1\",\"goodsMoved\":[{\"productId\":1002,"
		 "\"purchaseOrderRowId\":%lld,\"quantity\":2}]}",
		 (long long)row);
	assert_true(response_int(call_json(200, "POST", path, body)) > 0);
	assert_int_equal(in_stock(1002, "2"), before + 2);
	/* the same batch reference again: refused, stock unchanged */
	json_decref(call_json(400, "POST", path, body));
	assert_int_equal(in_stock(1002, "2"), before + 2);
	j = call_json(200, "GET", path, NULL);
	assert_int_equal(json_object_size(json_object_get(j, "response")), 1);
	json_decref(j);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
			test_sandbox_bp__401_bodies_are_strings_with_throttle_headers),
		cmocka_unit_test(test_sandbox_bp__errors_use_the_errors_array),
		cmocka_unit_test(
			test_sandbox_bp__sales_order_rows_need_a_known_tax_code),
		cmocka_unit_test(
			test_sandbox_bp__oauth_token_grants_and_errors),
		cmocka_unit_test(
			test_sandbox_bp__rolling_window_throttles_with_503_string),
		cmocka_unit_test(
			test_sandbox_bp__remaining_counts_down_from_199),
		cmocka_unit_test(
			test_sandbox_bp__duplicate_guard_returns_existing_id),
		cmocka_unit_test(test_sandbox_bp__order_get_shapes),
		cmocka_unit_test(test_sandbox_bp__id_sets_cap_and_options),
		cmocka_unit_test(
			test_sandbox_bp__search_paging_columns_sort_and_filters),
		cmocka_unit_test(
			test_sandbox_bp__contacts_create_flat_or_nested_and_patch),
		cmocka_unit_test(
			test_sandbox_bp__contact_search_phones_and_updated_on),
		cmocka_unit_test(test_sandbox_bp__goods_out_note_lifecycle),
		cmocka_unit_test(test_sandbox_bp__status_notes_custom_fields),
		cmocka_unit_test(
			test_sandbox_bp__payments_unique_and_paid_status),
		cmocka_unit_test(
			test_sandbox_bp__multi_message_stops_on_failure),
		cmocka_unit_test(test_sandbox_bp__multi_message_cost_switch),
		cmocka_unit_test(
			test_sandbox_bp__webhook_retries_until_accepted),
		cmocka_unit_test(
			test_sandbox_bp__webhook_qos0_no_retry_and_drops),
		cmocka_unit_test(
			test_sandbox_bp__reservations_credits_and_state),
		cmocka_unit_test(
			test_sandbox_bp__webhook_simulate_and_duplicates),
		cmocka_unit_test(test_sandbox_bp__control_seed_and_ship),
		cmocka_unit_test(
			test_sandbox_bp__contact_relationship_and_delete),
		cmocka_unit_test(test_sandbox_bp__country_codes_are_alpha3),
		cmocka_unit_test(
			test_sandbox_bp__contact_patch_depth_add_replace_limits),
		cmocka_unit_test(
			test_sandbox_bp__shipping_statuses_have_descriptions),
		cmocka_unit_test(
			test_sandbox_bp__reservation_refuses_rows_and_warehouses_not_the_orders),
		cmocka_unit_test(
			test_sandbox_bp__sales_order_refuses_unknown_references),
		cmocka_unit_test(
			test_sandbox_bp__goods_out_ships_the_reservation_once),
		cmocka_unit_test(
			test_sandbox_bp__cancelled_order_releases_its_reservation),
		cmocka_unit_test(
			test_sandbox_bp__stock_changes_fire_availability_events),
		cmocka_unit_test(
			test_sandbox_bp__sales_credit_payment_and_goods_in),
		cmocka_unit_test(test_sandbox_bp__search_pages_follow_changes),
	};
	int rc;

	curl_global_init(CURL_GLOBAL_DEFAULT);
	rc = cmocka_run_group_tests(tests, setup, teardown);
	curl_global_cleanup();
	return rc;
}
