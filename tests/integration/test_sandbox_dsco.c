/*
 * test_sandbox_dsco.c - the DSCO simulator in pearlsync-sandbox: OAuth2
 * and static tokens, 401/403 bodies, order paging with scrollId and the
 * window rules, acknowledge followed through the change log, every
 * shipment refusal, partial then full shipment, cancellations, inventory
 * and invoice validation and logs, the per-endpoint rate limit, injected
 * faults, the control API and the demo seed.
 *
 * One sandbox runs for the whole group and is reset (empty) before each
 * test.
 */
/* cmocka needs these first */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
/* clang-format on */

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sandbox_proc.h"

static sandbox_proc sbx;
static time_t t0; /* the clock at the start of each test */

static const char *const auth[] = {"Authorization: Bearer sandbox-dsco-token",
				   "Accept: application/json", NULL};

static void
pause_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

/* ISO-8601 UTC of now + offset seconds. */
static const char *
iso_at(char *buf, size_t len, long offset_s)
{
	time_t t = time(NULL) + offset_s;
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return buf;
}

static const char *
iso_abs(char *buf, size_t len, time_t t)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return buf;
}

static json_t *
parse(const sandbox_reply *r)
{
	json_error_t err;
	json_t *j = json_loads(r->body ? r->body : "", 0, &err);

	if (j == NULL)
		fail_msg("invalid JSON (%s): %.200s", err.text,
			 r->body ? r->body : "");
	return j;
}

/* A request to {dsco}{path} with the given headers (NULL = static token). */
static long
ds_h(sandbox_reply *r, const char *method, const char *path,
     const char *const *hdrs, const char *body)
{
	char url[2048];

	snprintf(url, sizeof(url), "%s%s", sandbox_proc_url(&sbx, "dsco"),
		 path);
	return sandbox_http(r, method, url, hdrs ? hdrs : auth, body, NULL);
}

/* Run a request that must answer `want`; its parsed body. */
static json_t *
ds(const char *method, const char *path, const char *body, long want)
{
	sandbox_reply r;
	json_t *j;

	ds_h(&r, method, path, NULL, body);
	if (r.status != want)
		fail_msg("%s %s: status %ld, want %ld: %.400s", method, path,
			 r.status, want, r.body ? r.body : "");
	j = parse(&r);
	sandbox_reply_dispose(&r);
	return j;
}

static json_t *
control_json(const char *method, const char *path, const char *body, long want)
{
	sandbox_reply r;
	char url[512];
	json_t *j;

	snprintf(url, sizeof(url), "%s%s", sbx.control, path);
	sandbox_http(&r, method, url, NULL, body, NULL);
	if (r.status != want)
		fail_msg("%s %s: status %ld, want %ld: %.300s", method, path,
			 r.status, want, r.body ? r.body : "");
	j = parse(&r);
	sandbox_reply_dispose(&r);
	return j;
}

static const char *
jstr(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	return s ? s : "";
}

static long long
jint(json_t *o, const char *k)
{
	return json_integer_value(json_object_get(o, k));
}

/* The first error code of a failure envelope. */
static const char *
first_code(json_t *env)
{
	return jstr(json_array_get(json_object_get(env, "messages"), 0),
		    "code");
}

/* Create a PO; returns its dscoOrderId (static buffer). */
static const char *
po(const char *number, const char *lines, long age_s)
{
	static char id[32];
	char body[2048], when[40];
	json_t *j;

	snprintf(body, sizeof(body),
		 "{\"poNumber\":\"%s\",\"consumerOrderNumber\":\"C-%s\","
		 "\"createdAt\":\"%s\",\"lines\":%s}",
		 number, number, iso_abs(when, sizeof(when), t0 - age_s),
		 lines);
	j = control_json("POST", "/dsco/orders", body, 200);
	snprintf(id, sizeof(id), "%s", jstr(j, "dscoOrderId"));
	json_decref(j);
	return id;
}

static json_t *
order(const char *key, const char *value)
{
	char path[256];

	snprintf(path, sizeof(path), "/order/?orderKey=%s&value=%s", key,
		 value);
	return ds("GET", path, NULL, 200);
}

/* Poll a change log until COMPLETED; returns the reply. */
static json_t *
log_wait(const char *which, const char *rid)
{
	char path[256];
	int i;

	snprintf(path, sizeof(path), "/%s/log?requestId=%s", which, rid);
	for (i = 0; i < 100; i++) {
		json_t *j = ds("GET", path, NULL, 200);

		if (strcmp(jstr(j, "status"), "COMPLETED") == 0)
			return j;
		assert_string_equal(jstr(j, "status"), "PROCESSING");
		assert_int_equal(json_array_size(json_object_get(j, "logs")),
				 0);
		json_decref(j);
		pause_ms(50);
	}
	fail_msg("change log %s never completed", rid);
	return NULL;
}

static void
ack(const char *id)
{
	char body[256];
	json_t *j;

	snprintf(body, sizeof(body),
		 "[{\"id\":\"%s\",\"type\":\"DSCO_ORDER_ID\"}]", id);
	j = ds("POST", "/order/acknowledge", body, 202);
	json_decref(log_wait("order", jstr(j, "requestId")));
	json_decref(j);
}

static const char *const two_lines =
	"[{\"sku\":\"TEE-RED-M\",\"quantity\":3,\"expectedCost\":9.5},"
	"{\"sku\":\"MUG-LOGO\",\"quantity\":1,\"expectedCost\":4.5}]";

/* ---- tests -------------------------------------------------------------- */

static void
test_ds__token_and_auth(void **state)
{
	const char *hdr[3] = {NULL,
			      "Content-Type: "
			      "application/x-www-form-urlencoded",
			      NULL};
	char bearer[256];
	sandbox_reply r;
	json_t *j;

	(void)state;
	ds_h(&r, "POST", "/oauth2/token", hdr + 1,
	     "grant_type=client_credentials&client_id=sandbox-client&"
	     "client_secret=wrong");
	assert_int_equal(r.status, 401);
	j = parse(&r);
	assert_string_equal(jstr(j, "error"), "invalid_client");
	json_decref(j);
	sandbox_reply_dispose(&r);
	ds_h(&r, "POST", "/oauth2/token", hdr + 1,
	     "grant_type=password&client_id=sandbox-client&"
	     "client_secret=sandbox-secret");
	assert_int_equal(r.status, 400);
	j = parse(&r);
	assert_string_equal(jstr(j, "error"), "invalid_request");
	json_decref(j);
	sandbox_reply_dispose(&r);
	ds_h(&r, "POST", "/oauth2/token", hdr + 1, "client_id=sandbox-client");
	assert_int_equal(r.status, 400);
	sandbox_reply_dispose(&r);

	ds_h(&r, "POST", "/oauth2/token", hdr + 1,
	     "grant_type=client_credentials&client_id=sandbox-client&"
	     "client_secret=sandbox-secret");
	assert_int_equal(r.status, 200);
	j = parse(&r);
	sandbox_reply_dispose(&r);
	assert_string_equal(jstr(j, "token_type"), "Bearer");
	assert_int_equal(jint(j, "expires_in"), 3600);
	/* lower-case "bearer" as in the spec's examples */
	snprintf(bearer, sizeof(bearer), "Authorization: bearer %s",
		 jstr(j, "access_token"));
	json_decref(j);
	hdr[0] = bearer;
	hdr[1] = NULL;
	assert_int_equal(ds_h(&r, "GET", "/hello", hdr, NULL), 200);
	j = parse(&r);
	assert_string_equal(jstr(j, "hello"), "World!");
	json_decref(j);
	sandbox_reply_dispose(&r);

	/* missing and wrong tokens: 401 {"message":"Unauthorized"} */
	assert_int_equal(ds_h(&r, "GET", "/order/page?ordersPerPage=10",
			      (const char *const[]){"Accept: x", NULL}, NULL),
			 401);
	j = parse(&r);
	assert_string_equal(jstr(j, "message"), "Unauthorized");
	json_decref(j);
	sandbox_reply_dispose(&r);

	/* tokens expire after the TTL; several stay valid at once */
	json_decref(
		control_json("POST", "/dsco/config", "{\"tokenTtlS\":1}", 200));
	hdr[0] = "Content-Type: application/x-www-form-urlencoded";
	ds_h(&r, "POST", "/oauth2/token", hdr,
	     "grant_type=client_credentials&client_id=sandbox-client&"
	     "client_secret=sandbox-secret");
	j = parse(&r);
	sandbox_reply_dispose(&r);
	assert_int_equal(jint(j, "expires_in"), 1);
	snprintf(bearer, sizeof(bearer), "Authorization: Bearer %s",
		 jstr(j, "access_token"));
	json_decref(j);
	hdr[0] = bearer;
	assert_int_equal(ds_h(&r, "GET", "/hello", hdr, NULL), 200);
	sandbox_reply_dispose(&r);
	pause_ms(1200);
	assert_int_equal(ds_h(&r, "GET", "/hello", hdr, NULL), 401);
	sandbox_reply_dispose(&r);
	/* the legacy static token never expires */
	assert_int_equal(ds_h(&r, "GET", "/hello", NULL, NULL), 200);
	sandbox_reply_dispose(&r);
}

static void
test_ds__unknown_path_is_403(void **state)
{
	sandbox_reply r;
	json_t *j;

	(void)state;
	assert_int_equal(
		ds_h(&r, "GET", "/order/changelog?requestId=x", NULL, NULL),
		403);
	j = parse(&r);
	assert_non_null(strstr(jstr(j, "message"),
			       "Invalid key=value pair (missing equal-sign)"));
	json_decref(j);
	sandbox_reply_dispose(&r);
}

static void
test_ds__paging_and_windows(void **state)
{
	char path[512], a[40], b[40], num[32];
	const char *scroll;
	json_t *j, *k;
	int i;

	(void)state;
	for (i = 0; i < 20; i++) {
		snprintf(num, sizeof(num), "PG-%02d", i);
		po(num, "[{\"sku\":\"TEE-RED-M\",\"quantity\":1}]", 600 - i);
	}
	/* until must be at least 5 s in the past */
	snprintf(path, sizeof(path),
		 "/order/page?ordersCreatedSince=%s&until=%s",
		 iso_at(a, sizeof(a), -3600), iso_at(b, sizeof(b), -1));
	j = ds("GET", path, NULL, 400);
	assert_string_equal(jstr(j, "status"), "failure");
	json_decref(j);
	/* until is required */
	snprintf(path, sizeof(path), "/order/page?ordersCreatedSince=%s", a);
	json_decref(ds("GET", path, NULL, 400));
	/* ordersPerPage 10..1000 */
	snprintf(path, sizeof(path),
		 "/order/page?ordersCreatedSince=%s&until=%s&ordersPerPage=9",
		 a, iso_at(b, sizeof(b), -10));
	json_decref(ds("GET", path, NULL, 400));

	snprintf(path, sizeof(path),
		 "/order/page?ordersCreatedSince=%s&until=%s&ordersPerPage=10",
		 a, b);
	j = ds("GET", path, NULL, 200);
	assert_int_equal(json_array_size(json_object_get(j, "orders")), 10);
	assert_string_equal(
		jstr(json_array_get(json_object_get(j, "orders"), 0),
		     "poNumber"),
		"PG-00");
	scroll = jstr(j, "scrollId");
	assert_true(*scroll);
	snprintf(path, sizeof(path), "/order/page?scrollId=%s", scroll);
	json_decref(j);
	k = ds("GET", path, NULL, 200);
	assert_int_equal(json_array_size(json_object_get(k, "orders")), 10);
	assert_string_equal(
		jstr(json_array_get(json_object_get(k, "orders"), 9),
		     "poNumber"),
		"PG-19");
	json_decref(k);
	/* a full page said "maybe more": the next one is empty, the end */
	k = ds("GET", path, NULL, 200);
	assert_int_equal(json_array_size(json_object_get(k, "orders")), 0);
	assert_null(json_object_get(k, "scrollId"));
	json_decref(k);

	/* created window: since inclusive (PG-10 made 590 s ago) */
	snprintf(path, sizeof(path),
		 "/order/page?ordersCreatedSince=%s&until=%s",
		 iso_abs(a, sizeof(a), t0 - 590), b);
	j = ds("GET", path, NULL, 200);
	assert_int_equal(json_array_size(json_object_get(j, "orders")), 10);
	json_decref(j);

	/* status filter, repeatable */
	snprintf(path, sizeof(path),
		 "/order/page?ordersCreatedSince=%s&until=%s&status=shipped",
		 iso_at(a, sizeof(a), -3600), b);
	j = ds("GET", path, NULL, 200);
	assert_int_equal(json_array_size(json_object_get(j, "orders")), 0);
	json_decref(j);
	snprintf(path, sizeof(path),
		 "/order/page?ordersCreatedSince=%s&until=%s&status=shipped&"
		 "status=created",
		 a, b);
	j = ds("GET", path, NULL, 200);
	assert_int_equal(json_array_size(json_object_get(j, "orders")), 20);
	json_decref(j);

	/* consumerOrderNumber */
	j = ds("GET", "/order/page?consumerOrderNumber=C-PG-07", NULL, 200);
	assert_int_equal(json_array_size(json_object_get(j, "orders")), 1);
	json_decref(j);

	/* updated window (since exclusive): only what changed lately */
	json_decref(
		control_json("POST", "/dsco/config", "{\"untilLagS\":0}", 200));
	iso_at(a, sizeof(a), -2);
	ack(po("UPD-1", "[{\"sku\":\"CAP-BLK\",\"quantity\":1}]", 7200));
	pause_ms(1100);
	snprintf(path, sizeof(path),
		 "/order/page?ordersUpdatedSince=%s&until=%s", a,
		 iso_at(b, sizeof(b), 0));
	j = ds("GET", path, NULL, 200);
	assert_int_equal(json_array_size(json_object_get(j, "orders")), 1);
	assert_string_equal(
		jstr(json_array_get(json_object_get(j, "orders"), 0),
		     "dscoLifecycle"),
		"acknowledged");
	json_decref(j);

	/* a page not fetched in time is gone: 404 */
	json_decref(control_json("POST", "/dsco/config",
				 "{\"scrollTtlMs\":100}", 200));
	snprintf(path, sizeof(path),
		 "/order/page?ordersCreatedSince=%s&until=%s&ordersPerPage=10",
		 iso_at(a, sizeof(a), -3600), b);
	j = ds("GET", path, NULL, 200);
	snprintf(path, sizeof(path), "/order/page?scrollId=%s",
		 jstr(j, "scrollId"));
	json_decref(j);
	pause_ms(250);
	json_decref(ds("GET", path, NULL, 404));
	/* single order: 404 when absent */
	json_decref(
		ds("GET", "/order/?orderKey=poNumber&value=NOPE", NULL, 404));
	json_decref(ds("GET", "/order/?orderKey=colour&value=x", NULL, 400));

	/* bulk creation for benchmarks; paging over them stays exact */
	j = control_json("POST", "/dsco/orders-bulk",
			 "{\"count\":2500,\"prefix\":\"BK\"}", 200);
	assert_int_equal(jint(j, "created"), 2500);
	json_decref(j);
	j = ds("GET", "/order/?orderKey=poNumber&value=BK-002500", NULL, 200);
	assert_string_equal(jstr(j, "dscoLifecycle"), "created");
	json_decref(j);
	/* an `until` a little ahead is allowed with a negative lag */
	json_decref(control_json("POST", "/dsco/config",
				 "{\"untilLagS\":-10,\"scrollTtlMs\":300000}",
				 200));
	json_decref(control_json("POST", "/dsco/quota",
				 "{\"perSecond\":0,\"perMinute\":0}", 200));
	snprintf(
		path, sizeof(path),
		"/order/page?ordersCreatedSince=%s&until=%s&ordersPerPage=1000",
		iso_at(a, sizeof(a), -60), iso_at(b, sizeof(b), 2));
	{
		size_t total = 0, pages = 0;

		j = ds("GET", path, NULL, 200);
		for (;;) {
			size_t got =
				json_array_size(json_object_get(j, "orders"));

			total += got;
			pages++;
			if (!json_object_get(j, "scrollId"))
				break;
			snprintf(path, sizeof(path), "/order/page?scrollId=%s",
				 jstr(j, "scrollId"));
			json_decref(j);
			j = ds("GET", path, NULL, 200);
		}
		json_decref(j);
		assert_int_equal(total, 2500);
		assert_int_equal(pages, 3);
	}
}

static void
test_ds__acknowledge_through_the_log(void **state)
{
	char body[256], path[128];
	const char *id;
	json_t *j, *l, *o;

	(void)state;
	id = po("ACK-1", two_lines, 60);
	snprintf(body, sizeof(body),
		 "[{\"id\":\"%s\",\"type\":\"DSCO_ORDER_ID\","
		 "\"supplierOrderNumber\":\"SO-77\"},"
		 "{\"id\":\"999\",\"type\":\"DSCO_ORDER_ID\"}]",
		 id);
	j = ds("POST", "/order/acknowledge", body, 202);
	assert_string_equal(jstr(j, "status"), "pending");
	/* async: not done at once (default delay a few hundred ms) */
	snprintf(path, sizeof(path), "/order/log?requestId=%s",
		 jstr(j, "requestId"));
	l = ds("GET", path, NULL, 200);
	assert_string_equal(jstr(l, "status"), "PROCESSING");
	json_decref(l);
	o = order("poNumber", "ACK-1");
	assert_string_equal(jstr(o, "dscoLifecycle"), "created");
	json_decref(o);
	l = log_wait("order", jstr(j, "requestId"));
	json_decref(j);
	assert_int_equal(json_array_size(json_object_get(l, "logs")), 2);
	assert_string_equal(
		jstr(json_array_get(json_object_get(l, "logs"), 0), "status"),
		"success");
	assert_string_equal(
		jstr(json_array_get(json_object_get(l, "logs"), 1), "status"),
		"failure");
	json_decref(l);
	o = order("supplierOrderNumber", "SO-77");
	assert_string_equal(jstr(o, "dscoLifecycle"), "acknowledged");
	assert_string_equal(jstr(o, "dscoStatus"), "shipment_pending");
	json_decref(o);
	/* the log by date with a status filter */
	{
		char a[40], b[40];

		snprintf(path, sizeof(path),
			 "/order/log?startDate=%s&endDate=%s&status=failure",
			 iso_at(a, sizeof(a), -60), iso_at(b, sizeof(b), 60));
		l = ds("GET", path, NULL, 200);
		assert_int_equal(json_array_size(json_object_get(l, "logs")),
				 1);
		assert_null(json_object_get(l, "status"));
		json_decref(l);
	}
	json_decref(ds("GET", "/order/log", NULL, 400));
}

/* POST a single shipment; returns the HTTP status and the first error
 * code in code. */
static long
ship(const char *body, char *code, size_t len)
{
	sandbox_reply r;
	long st = ds_h(&r, "POST", "/order/singleShipment", NULL, body);
	json_t *j = parse(&r);

	snprintf(code, len, "%s", first_code(j));
	if (st == 201)
		assert_true(json_is_true(json_object_get(j, "success")));
	json_decref(j);
	sandbox_reply_dispose(&r);
	return st;
}

static void
test_ds__shipment_rules(void **state)
{
	char code[64], body[1024];
	const char *id;
	json_t *o, *l;

	(void)state;
	id = po("SHP-1", two_lines, 60);
	/* not yet acknowledged (UNCONFIRMED rule, on by default) */
	snprintf(body, sizeof(body),
		 "{\"dscoOrderId\":\"%s\",\"shipments\":[{\"trackingNumber\":"
		 "\"1Z1\",\"shippingServiceLevelCode\":\"UPCG\",\"lineItems\":"
		 "[{\"sku\":\"TEE-RED-M\",\"quantity\":1}]}]}",
		 id);
	assert_int_equal(ship(body, code, sizeof(code)), 400);
	assert_string_equal(code, "ORDER_NOT_ACKNOWLEDGED");
	ack(id);
	/* no tracking number */
	assert_int_equal(ship("{\"poNumber\":\"SHP-1\",\"shipments\":[{"
			      "\"lineItems\":[{\"sku\":\"TEE-RED-M\","
			      "\"quantity\":1}]}]}",
			      code, sizeof(code)),
			 400);
	assert_string_equal(code, "MISSING_FIELD");
	/* no line items */
	assert_int_equal(ship("{\"poNumber\":\"SHP-1\",\"shipments\":[{"
			      "\"trackingNumber\":\"1Z1\"}]}",
			      code, sizeof(code)),
			 400);
	assert_string_equal(code, "MISSING_FIELD");
	/* a line without an item identifier */
	assert_int_equal(ship("{\"poNumber\":\"SHP-1\",\"shipments\":[{"
			      "\"trackingNumber\":\"1Z1\",\"lineItems\":[{"
			      "\"quantity\":1}]}]}",
			      code, sizeof(code)),
			 400);
	assert_string_equal(code, "MISSING_FIELD");
	/* the order-level generic code is no package service level */
	assert_int_equal(ship("{\"poNumber\":\"SHP-1\",\"shipments\":[{"
			      "\"trackingNumber\":\"1Z1\","
			      "\"shippingServiceLevelCode\":\"GCG\","
			      "\"lineItems\":[{\"sku\":\"TEE-RED-M\","
			      "\"quantity\":1}]}]}",
			      code, sizeof(code)),
			 400);
	assert_string_equal(code, "INVALID_SHIPPING_SERVICE_LEVEL");
	/* more than remains */
	assert_int_equal(ship("{\"poNumber\":\"SHP-1\",\"shipments\":[{"
			      "\"trackingNumber\":\"1Z1\",\"lineItems\":[{"
			      "\"sku\":\"TEE-RED-M\",\"quantity\":4}]}]}",
			      code, sizeof(code)),
			 400);
	assert_string_equal(code, "QUANTITY_EXCEEDED");
	/* unknown order */
	assert_int_equal(ship("{\"poNumber\":\"NOPE\",\"shipments\":[{"
			      "\"trackingNumber\":\"1Z1\",\"lineItems\":[{"
			      "\"sku\":\"TEE-RED-M\",\"quantity\":1}]}]}",
			      code, sizeof(code)),
			 400);
	assert_string_equal(code, "ORDER_NOT_FOUND");
	/* cancel the mug line, then shipping it is refused */
	json_decref(ds("POST", "/order/item/cancel",
		       "{\"id\":\"SHP-1\",\"type\":\"PO_NUMBER\",\"lineItems\":"
		       "[{\"lineNumber\":2,\"sku\":\"MUG-LOGO\","
		       "\"cancelledQuantity\":1,\"cancelCode\":\"CXSS\","
		       "\"cancelledReason\":\"Out of stock\"}]}",
		       200));
	assert_int_equal(ship("{\"poNumber\":\"SHP-1\",\"shipments\":[{"
			      "\"trackingNumber\":\"1Z1\",\"lineItems\":[{"
			      "\"sku\":\"MUG-LOGO\",\"quantity\":1}]}]}",
			      code, sizeof(code)),
			 400);
	assert_string_equal(code, "LINE_CANCELLED");
	/* nothing was applied by the refusals */
	o = order("poNumber", "SHP-1");
	assert_int_equal(json_array_size(json_object_get(o, "packages")), 0);
	json_decref(o);

	/* partial: 1 of 3 */
	assert_int_equal(ship("{\"poNumber\":\"SHP-1\",\"shipments\":[{"
			      "\"trackingNumber\":\"1Z1\","
			      "\"shippingServiceLevelCode\":\"UPCG\","
			      "\"lineItems\":[{\"sku\":\"TEE-RED-M\","
			      "\"quantity\":1}]}]}",
			      code, sizeof(code)),
			 201);
	o = order("poNumber", "SHP-1");
	assert_string_equal(jstr(o, "dscoLifecycle"), "acknowledged");
	assert_string_equal(jstr(o, "dscoStatus"), "shipped");
	l = json_array_get(json_object_get(o, "lineItems"), 0);
	assert_int_equal(jint(l, "shippedQuantity"), 1);
	assert_int_equal(jint(l, "remainingQuantity"), 2);
	assert_string_equal(
		jstr(json_array_get(json_object_get(l, "activity"), 0),
		     "reason"),
		"Tracking # 1Z1 added");
	json_decref(o);
	/* the same tracking number again (UNCONFIRMED rule) */
	assert_int_equal(ship("{\"poNumber\":\"SHP-1\",\"shipments\":[{"
			      "\"trackingNumber\":\"1Z1\",\"lineItems\":[{"
			      "\"sku\":\"TEE-RED-M\",\"quantity\":1}]}]}",
			      code, sizeof(code)),
			 400);
	assert_string_equal(code, "DUPLICATE_TRACKING_NUMBER");
	/* the rest: the order completes */
	assert_int_equal(ship("{\"poNumber\":\"SHP-1\",\"shipments\":[{"
			      "\"trackingNumber\":\"1Z2\",\"lineItems\":[{"
			      "\"lineNumber\":1,\"sku\":\"TEE-RED-M\","
			      "\"quantity\":2}]}]}",
			      code, sizeof(code)),
			 201);
	o = order("poNumber", "SHP-1");
	assert_string_equal(jstr(o, "dscoLifecycle"), "completed");
	assert_int_equal(json_array_size(json_object_get(o, "packages")), 2);
	assert_int_equal(
		jint(json_array_get(json_object_get(o, "lineItems"), 0),
		     "remainingQuantity"),
		0);
	json_decref(o);

	/* the switches turn the UNCONFIRMED rules off */
	json_decref(control_json("POST", "/dsco/config",
				 "{\"strict\":{\"requireAcknowledged\":false,"
				 "\"duplicateTracking\":false}}",
				 200));
	po("SHP-2", two_lines, 60);
	assert_int_equal(ship("{\"poNumber\":\"SHP-2\",\"shipments\":[{"
			      "\"trackingNumber\":\"1Z1\",\"lineItems\":[{"
			      "\"sku\":\"TEE-RED-M\",\"quantity\":1}]},{"
			      "\"trackingNumber\":\"1Z1\",\"lineItems\":[{"
			      "\"sku\":\"TEE-RED-M\",\"quantity\":1}]}]}",
			      code, sizeof(code)),
			 201);
}

static void
test_ds__batch_shipment_and_cancel_logs(void **state)
{
	json_t *j, *l, *o;

	(void)state;
	ack(po("BAT-1", two_lines, 60));
	j = ds("POST", "/order/shipment/batch/small",
	       "[{\"poNumber\":\"BAT-1\",\"shipments\":[{\"trackingNumber\":"
	       "\"T-9\",\"shippingServiceLevelCode\":\"USGA\",\"lineItems\":"
	       "[{\"sku\":\"TEE-RED-M\",\"quantity\":3}]}]},"
	       "{\"poNumber\":\"BAT-1\",\"shipments\":[{\"trackingNumber\":"
	       "\"T-10\",\"shippingServiceLevelCode\":\"GCG\",\"lineItems\":"
	       "[{\"sku\":\"MUG-LOGO\",\"quantity\":1}]}]}]",
	       202);
	l = log_wait("order", jstr(j, "requestId"));
	json_decref(j);
	assert_string_equal(
		jstr(json_array_get(json_object_get(l, "logs"), 0), "status"),
		"success");
	assert_string_equal(
		jstr(json_array_get(json_object_get(l, "logs"), 1), "status"),
		"failure");
	json_decref(l);
	/* cancel: an unknown code is refused, a configured one accepted */
	j = ds("POST", "/order/item/cancel",
	       "{\"id\":\"BAT-1\",\"type\":\"PO_NUMBER\",\"lineItems\":[{"
	       "\"sku\":\"MUG-LOGO\",\"cancelledQuantity\":1,\"cancelCode\":"
	       "\"ZZZZ\"}]}",
	       400);
	assert_string_equal(first_code(j), "INVALID_CANCEL_CODE");
	json_decref(j);
	json_decref(control_json("POST", "/dsco/config",
				 "{\"cancelCodes\":[\"ZZZZ\"]}", 200));
	j = ds("POST", "/order/item/cancel/batch/small",
	       "[{\"id\":\"BAT-1\",\"type\":\"PO_NUMBER\",\"lineItems\":[{"
	       "\"sku\":\"MUG-LOGO\",\"cancelledQuantity\":1,\"cancelCode\":"
	       "\"ZZZZ\"}]}]",
	       202);
	l = log_wait("order", jstr(j, "requestId"));
	json_decref(j);
	assert_string_equal(
		jstr(json_array_get(json_object_get(l, "logs"), 0), "status"),
		"success");
	json_decref(l);
	o = order("poNumber", "BAT-1");
	assert_string_equal(jstr(o, "dscoLifecycle"), "completed");
	assert_string_equal(
		jstr(json_array_get(json_object_get(o, "lineItems"), 1),
		     "status"),
		"cancelled");
	json_decref(o);
}

static void
test_ds__received_orders_are_hidden_until_released(void **state)
{
	json_t *o;

	(void)state;
	json_decref(control_json("POST", "/dsco/orders",
				 "{\"poNumber\":\"REC-1\",\"lifecycle\":"
				 "\"received\",\"lines\":[{\"sku\":\"CAP-BLK\","
				 "\"quantity\":1}]}",
				 200));
	json_decref(
		ds("GET", "/order/?orderKey=poNumber&value=REC-1", NULL, 404));
	json_decref(control_json("POST", "/dsco/release",
				 "{\"poNumber\":\"REC-1\"}", 200));
	o = order("poNumber", "REC-1");
	assert_string_equal(jstr(o, "dscoLifecycle"), "created");
	json_decref(o);
}

/* The URL-encoded form of a stream position (it holds '/'). */
static const char *
enc(char *buf, size_t len, const char *s)
{
	size_t o = 0;

	for (; *s && o + 4 < len; s++) {
		if (*s == '/')
			o += (size_t)snprintf(buf + o, len - o, "%%2F");
		else
			buf[o++] = *s;
	}
	buf[o] = '\0';
	return buf;
}

static void
test_ds__order_stream(void **state)
{
	char path[512], id[80], pos[128], epos[256];
	json_t *j, *ev;

	(void)state;
	po("ST-1", two_lines, 60);
	j = ds("POST", "/stream",
	       "{\"objectType\":\"order\",\"description\":\"t\",\"query\":"
	       "{\"queryType\":\"order\",\"dscoLifecycle\":[\"created\","
	       "\"acknowledged\"]}}",
	       201);
	snprintf(id, sizeof(id), "%s", jstr(j, "id"));
	snprintf(pos, sizeof(pos), "%s",
		 jstr(json_array_get(json_object_get(j, "partitions"), 0),
		      "position"));
	json_decref(j);
	/* a new stream starts at the tip: nothing yet */
	snprintf(path, sizeof(path), "/stream/%s/0/%s", id,
		 enc(epos, sizeof(epos), pos));
	j = ds("GET", path, NULL, 200);
	assert_int_equal(json_array_size(json_object_get(j, "events")), 0);
	json_decref(j);
	/* a change after it shows, with its reason and the order now */
	po("ST-2", two_lines, 0);
	ack(po("ST-3", two_lines, 0));
	j = ds("GET", path, NULL, 200);
	ev = json_object_get(j, "events");
	assert_int_equal(json_array_size(ev), 3);
	assert_string_equal(
		jstr(json_object_get(json_array_get(ev, 2), "payload"),
		     "dscoLifecycle"),
		"acknowledged");
	assert_string_equal(jstr(json_array_get(ev, 2), "eventReasons"),
			    "update_status_lifecycle");
	/* checkpoint after the first: the next read starts there */
	snprintf(pos, sizeof(pos), "%s", jstr(json_array_get(ev, 0), "id"));
	json_decref(j);
	snprintf(path, sizeof(path), "/stream/%s/0/%s", id,
		 enc(epos, sizeof(epos), pos));
	json_decref(ds("PUT", path, NULL, 200));
	snprintf(path, sizeof(path), "/stream?id=%s", id);
	j = ds("GET", path, NULL, 200);
	assert_string_equal(
		jstr(json_array_get(json_object_get(json_array_get(j, 0),
						    "partitions"),
				    0),
		     "position"),
		pos);
	json_decref(j);
	snprintf(path, sizeof(path), "/stream/%s/0/%s", id,
		 enc(epos, sizeof(epos), pos));
	j = ds("GET", path, NULL, 200);
	assert_int_equal(json_array_size(json_object_get(j, "events")), 2);
	json_decref(j);
	/* sync: every matching order once more, for this stream */
	snprintf(path, sizeof(path), "/stream/%s", id);
	json_decref(ds("POST", path, "{\"operationType\":\"sync\"}", 202));
	snprintf(path, sizeof(path), "/stream/%s/0/%s", id,
		 enc(epos, sizeof(epos), pos));
	j = ds("GET", path, NULL, 200);
	assert_int_equal(json_array_size(json_object_get(j, "events")), 5);
	assert_string_equal(
		jstr(json_array_get(json_object_get(j, "events"), 4), "source"),
		"sync");
	json_decref(j);
	json_decref(ds("GET", "/stream/nope/0/0", NULL, 404));
}

static void
test_ds__retailer_cancels(void **state)
{
	json_t *o;

	(void)state;
	po("RC-1", two_lines, 60);
	json_decref(control_json("POST", "/dsco/request-cancel",
				 "{\"poNumber\":\"RC-1\",\"code\":\"CXRR\"}",
				 200));
	o = order("poNumber", "RC-1");
	assert_true(json_is_true(json_object_get(o, "cancelRequested")));
	assert_string_equal(jstr(o, "cancelRequestedCode"), "CXRR");
	json_decref(o);
	json_decref(control_json("POST", "/dsco/cancel",
				 "{\"poNumber\":\"RC-1\"}", 200));
	o = order("poNumber", "RC-1");
	assert_string_equal(jstr(o, "dscoStatus"), "cancelled");
	assert_string_equal(jstr(o, "dscoLifecycle"), "completed");
	json_decref(o);
}

static void
test_ds__inventory(void **state)
{
	json_t *j, *l, *inv;

	(void)state;
	json_decref(control_json("POST", "/dsco/items",
				 "{\"items\":[{\"sku\":\"TEE-RED-M\"}]}", 200));
	json_decref(ds("POST", "/inventory/singleItem",
		       "{\"sku\":\"TEE-RED-M\",\"status\":\"in-stock\","
		       "\"quantityAvailable\":45,\"warehouses\":[{\"code\":"
		       "\"WH01\",\"quantity\":40},{\"code\":\"WH02\","
		       "\"quantity\":5}]}",
		       201));
	j = ds("POST", "/inventory/singleItem",
	       "{\"sku\":\"TEE-RED-M\",\"status\":\"in-stock\","
	       "\"quantityAvailable\":44,\"warehouses\":[{\"code\":\"WH01\","
	       "\"quantity\":40},{\"code\":\"WH02\",\"quantity\":5}]}",
	       400);
	assert_string_equal(first_code(j), "QUANTITY_MISMATCH");
	json_decref(j);
	j = ds("POST", "/inventory/singleItem",
	       "{\"sku\":\"TEE-RED-M\",\"status\":\"in-stock\","
	       "\"quantityAvailable\":4}",
	       400);
	assert_string_equal(first_code(j), "MISSING_FIELD");
	json_decref(j);
	j = ds("POST", "/inventory/singleItem",
	       "{\"sku\":\"TEE-RED-M\",\"warehouses\":[{\"code\":\"WH01\","
	       "\"quantity\":1}]}",
	       400);
	assert_string_equal(first_code(j), "MISSING_FIELD");
	json_decref(j);
	j = ds("POST", "/inventory/singleItem",
	       "{\"sku\":\"NOT-THERE\",\"status\":\"in-stock\",\"warehouses\":"
	       "[{\"code\":\"WH01\",\"quantity\":1}]}",
	       400);
	assert_string_equal(first_code(j), "ITEM_NOT_FOUND");
	json_decref(j);
	/* batch: unknown SKUs fail unless skipped */
	j = ds("POST", "/inventory/batch/small",
	       "[{\"sku\":\"TEE-RED-M\",\"status\":\"in-stock\",\"warehouses\":"
	       "[{\"code\":\"WH01\",\"quantity\":7}]},{\"sku\":\"NOT-THERE\","
	       "\"status\":\"in-stock\",\"warehouses\":[{\"code\":\"WH01\","
	       "\"quantity\":1}]}]",
	       202);
	l = log_wait("inventory", jstr(j, "requestId"));
	json_decref(j);
	assert_string_equal(
		jstr(json_array_get(json_object_get(l, "logs"), 0), "status"),
		"success");
	assert_string_equal(
		jstr(json_array_get(json_object_get(l, "logs"), 1), "status"),
		"failure");
	json_decref(l);
	j = ds("POST", "/inventory/batch/small?skipItemsThatDontExist=true",
	       "[{\"sku\":\"NOT-THERE\",\"status\":\"in-stock\",\"warehouses\":"
	       "[{\"code\":\"WH01\",\"quantity\":1}]}]",
	       202);
	l = log_wait("inventory", jstr(j, "requestId"));
	json_decref(j);
	assert_string_equal(
		jstr(json_array_get(json_object_get(l, "logs"), 0), "status"),
		"success");
	json_decref(l);
	/* levels per warehouse: WH01 now 7, WH02 still 5 */
	inv = control_json("GET", "/dsco/inventory", NULL, 200);
	assert_int_equal(
		jint(json_object_get(inv, "TEE-RED-M"), "quantityAvailable"),
		12);
	assert_null(json_object_get(inv, "NOT-THERE"));
	json_decref(inv);
}

static void
test_ds__invoices(void **state)
{
	json_t *j, *l;

	(void)state;
	po("INV-PO", two_lines, 60);
	json_decref(ds("POST", "/invoice",
		       "{\"invoiceId\":\"INV-1\",\"poNumber\":\"INV-PO\","
		       "\"totalAmount\":19.65,\"lineItems\":[{\"sku\":"
		       "\"TEE-RED-M\",\"quantity\":1,\"unitPrice\":9.5}]}",
		       201));
	j = ds("POST", "/invoice",
	       "{\"invoiceId\":\"INV-1\",\"poNumber\":\"INV-PO\","
	       "\"totalAmount\":19.65,\"lineItems\":[{\"sku\":\"TEE-RED-M\","
	       "\"quantity\":1,\"unitPrice\":9.5}]}",
	       400);
	assert_string_equal(first_code(j), "DUPLICATE_INVOICE");
	json_decref(j);
	j = ds("POST", "/invoice",
	       "{\"invoiceId\":\"INV-2\",\"poNumber\":\"INV-PO\","
	       "\"totalAmount\":19.65,\"lineItems\":[{\"sku\":\"TEE-RED-M\","
	       "\"quantity\":1}]}",
	       400);
	assert_string_equal(first_code(j), "MISSING_FIELD");
	json_decref(j);
	j = ds("POST", "/invoice",
	       "{\"invoiceId\":\"INV-2\",\"poNumber\":\"INV-PO\","
	       "\"lineItems\":[{\"sku\":\"TEE-RED-M\",\"quantity\":1,"
	       "\"unitPrice\":1}]}",
	       400);
	assert_string_equal(first_code(j), "MISSING_FIELD");
	json_decref(j);
	j = ds("POST", "/invoice/batch/small",
	       "[{\"invoiceId\":\"INV-3\",\"poNumber\":\"INV-PO\","
	       "\"totalAmount\":4.5,\"lineItems\":[{\"sku\":\"MUG-LOGO\","
	       "\"quantity\":1,\"unitPrice\":4.5}]},{\"invoiceId\":\"INV-4\","
	       "\"poNumber\":\"NOPE\",\"totalAmount\":1,\"lineItems\":[{"
	       "\"sku\":\"MUG-LOGO\",\"quantity\":1,\"unitPrice\":1}]}]",
	       202);
	l = log_wait("invoice", jstr(j, "requestId"));
	json_decref(j);
	assert_string_equal(
		jstr(json_array_get(json_object_get(l, "logs"), 0), "status"),
		"success");
	assert_string_equal(
		jstr(json_array_get(json_object_get(l, "logs"), 1), "status"),
		"failure");
	json_decref(l);
	j = control_json("GET", "/dsco/invoices", NULL, 200);
	assert_non_null(json_object_get(j, "INV-3"));
	assert_null(json_object_get(j, "INV-4"));
	json_decref(j);
}

static void
test_ds__rate_limit_429(void **state)
{
	sandbox_reply r;
	int i, got = 0;
	json_t *j;

	(void)state;
	/* GET /order/ allows 10 per second */
	for (i = 0; i < 30 && !got; i++) {
		ds_h(&r, "GET", "/order/?orderKey=poNumber&value=X", NULL,
		     NULL);
		if (r.status == 429) {
			got = 1;
			j = parse(&r);
			assert_string_equal(jstr(j, "message"),
					    "Too Many Requests");
			json_decref(j);
		} else {
			assert_int_equal(r.status, 404);
		}
		sandbox_reply_dispose(&r);
	}
	assert_true(got);
	assert_true(i >= 11);
	/* another endpoint has its own window */
	assert_int_equal(ds_h(&r, "GET", "/warehouse/page", NULL, NULL), 200);
	sandbox_reply_dispose(&r);
}

static void
test_ds__faults(void **state)
{
	sandbox_reply r;
	json_t *j;

	(void)state;
	json_decref(control_json("POST", "/faults",
				 "{\"platform\":\"dsco\",\"rate\":1,"
				 "\"kinds\":[\"503\"],\"seed\":3}",
				 200));
	assert_int_equal(ds_h(&r, "GET", "/hello", NULL, NULL), 503);
	j = parse(&r);
	assert_string_equal(jstr(j, "message"), "Service Unavailable");
	json_decref(j);
	sandbox_reply_dispose(&r);
	json_decref(control_json("POST", "/faults",
				 "{\"platform\":\"dsco\",\"rate\":1,"
				 "\"kinds\":[\"429\"],\"seed\":3}",
				 200));
	assert_int_equal(ds_h(&r, "GET", "/hello", NULL, NULL), 429);
	j = parse(&r);
	assert_string_equal(jstr(j, "message"), "Too Many Requests");
	json_decref(j);
	sandbox_reply_dispose(&r);
	json_decref(control_json("POST", "/faults",
				 "{\"platform\":\"dsco\",\"rate\":0,"
				 "\"kinds\":[]}",
				 200));
	assert_int_equal(ds_h(&r, "GET", "/hello", NULL, NULL), 200);
	sandbox_reply_dispose(&r);
}

static void
test_ds__demo_seed_and_state(void **state)
{
	json_t *j, *d, *w;

	(void)state;
	json_decref(control_json("POST", "/reset", "{\"seed\":\"demo\"}", 200));
	j = ds("GET", "/order/page?consumerOrderNumber=WEB-50002", NULL, 200);
	assert_int_equal(json_array_size(json_object_get(j, "orders")), 1);
	assert_string_equal(
		jstr(json_array_get(json_object_get(j, "orders"), 0),
		     "dscoLifecycle"),
		"created");
	json_decref(j);
	w = ds("GET", "/warehouse/page?idType=code&idValue=WH02", NULL, 200);
	assert_int_equal(json_array_size(json_object_get(w, "warehouses")), 1);
	json_decref(w);
	j = control_json("GET", "/state", NULL, 200);
	d = json_object_get(j, "dsco");
	assert_non_null(d);
	assert_int_equal(json_object_size(json_object_get(d, "orders")), 4);
	/* catalogue SKUs match the Brightpearl demo products */
	assert_non_null(
		json_object_get(json_object_get(d, "items"), "TEE-RED-M"));
	assert_int_equal(jint(json_object_get(json_object_get(d, "inventory"),
					      "MUG-LOGO"),
			      "quantityAvailable"),
			 144);
	json_decref(j);
}

/* ---- fixtures ----------------------------------------------------------- */

static int
group_setup(void **state)
{
	(void)state;
	return sandbox_proc_start(&sbx, NULL, 20000) == 0 ? 0 : -1;
}

static int
group_teardown(void **state)
{
	(void)state;
	return sandbox_proc_stop(&sbx) == 0 ? 0 : -1;
}

static int
reset(void **state)
{
	sandbox_reply r;
	char url[512];
	long status;

	(void)state;
	t0 = time(NULL);
	snprintf(url, sizeof(url), "%s/reset", sbx.control);
	status = sandbox_http(&r, "POST", url, NULL, "{\"seed\":\"empty\"}",
			      NULL);
	sandbox_reply_dispose(&r);
	if (status != 200)
		return -1;
	snprintf(url, sizeof(url), "%s/dsco/items", sbx.control);
	status = sandbox_http(&r, "POST", url, NULL,
			      "{\"items\":[{\"sku\":\"TEE-RED-M\"},{\"sku\":"
			      "\"MUG-LOGO\"},{\"sku\":\"CAP-BLK\"}]}",
			      NULL);
	sandbox_reply_dispose(&r);
	return status == 200 ? 0 : -1;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_ds__token_and_auth, reset),
		cmocka_unit_test_setup(test_ds__unknown_path_is_403, reset),
		cmocka_unit_test_setup(test_ds__paging_and_windows, reset),
		cmocka_unit_test_setup(test_ds__acknowledge_through_the_log,
				       reset),
		cmocka_unit_test_setup(test_ds__shipment_rules, reset),
		cmocka_unit_test_setup(test_ds__batch_shipment_and_cancel_logs,
				       reset),
		cmocka_unit_test_setup(
			test_ds__received_orders_are_hidden_until_released,
			reset),
		cmocka_unit_test_setup(test_ds__retailer_cancels, reset),
		cmocka_unit_test_setup(test_ds__order_stream, reset),
		cmocka_unit_test_setup(test_ds__inventory, reset),
		cmocka_unit_test_setup(test_ds__invoices, reset),
		cmocka_unit_test_setup(test_ds__rate_limit_429, reset),
		cmocka_unit_test_setup(test_ds__faults, reset),
		cmocka_unit_test_setup(test_ds__demo_seed_and_state, reset),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
