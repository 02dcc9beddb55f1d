/*
 * test_sandbox_bc.c - the BigCommerce simulator in pearlsync-sandbox,
 * quirk by quirk: the 401 bodies, 204 on an empty v2 list, page/limit,
 * money strings, RFC 2822 dates, v3 envelopes and error bodies, the quota
 * headers and 429, partial shipments and the status changes they cause,
 * webhooks delivered with the hook's custom headers, retried and finally
 * deactivated, and the control API.
 *
 * One sandbox runs for the whole group and is reset before each test.
 * Webhook destinations are a libmicrohttpd listener in this process.
 */
/* cmocka needs these first */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
/* clang-format on */

#include <ctype.h>
#include <jansson.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sandbox_proc.h"

static sandbox_proc sbx;

static const char *const auth[] = {"X-Auth-Token: sandbox-token",
				   "Accept: application/json", NULL};
static const char *const bad_auth[] = {"X-Auth-Token: wrong-token", NULL};

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
pause_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

/* A request to {bigcommerce}/stores/sandbox{path} ("/v2/orders"). */
static long
bc(sandbox_reply *r, const char *method, const char *path, const char *body)
{
	char url[1024];

	snprintf(url, sizeof(url), "%s/stores/sandbox%s",
		 sandbox_proc_url(&sbx, "bigcommerce"), path);
	return sandbox_http(r, method, url, auth, body, NULL);
}

static long
control(sandbox_reply *r, const char *method, const char *path,
	const char *body)
{
	char url[512];

	snprintf(url, sizeof(url), "%s%s", sbx.control, path);
	return sandbox_http(r, method, url, NULL, body, NULL);
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

/* Run a request that must answer `want`, return its parsed body. */
static json_t *
bc_json(const char *method, const char *path, const char *body, long want)
{
	sandbox_reply r;
	json_t *j;

	bc(&r, method, path, body);
	if (r.status != want)
		fail_msg("%s %s: status %ld, want %ld: %.300s", method, path,
			 r.status, want, r.body ? r.body : "");
	j = parse(&r);
	sandbox_reply_dispose(&r);
	return j;
}

static json_t *
control_json(const char *method, const char *path, const char *body, long want)
{
	sandbox_reply r;
	json_t *j;

	control(&r, method, path, body);
	if (r.status != want)
		fail_msg("%s %s: status %ld, want %ld: %.300s", method, path,
			 r.status, want, r.body ? r.body : "");
	j = parse(&r);
	sandbox_reply_dispose(&r);
	return j;
}

static const char *
jstr(const json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));

	if (s == NULL)
		fail_msg("member '%s' is not a string", key);
	return s;
}

static long long
jint(const json_t *obj, const char *key)
{
	const json_t *v = json_object_get(obj, key);

	if (!json_is_integer(v))
		fail_msg("member '%s' is not an integer", key);
	return (long long)json_integer_value(v);
}

/* "12.3400": optional minus, digits, a dot, exactly four digits. */
static int
is_money(const char *s)
{
	size_t i = 0, d = 0;

	if (s[i] == '-')
		i++;
	while (isdigit((unsigned char)s[i]))
		i++, d++;
	if (d == 0 || s[i] != '.')
		return 0;
	for (i++, d = 0; isdigit((unsigned char)s[i]); i++)
		d++;
	return d == 4 && s[i] == '\0';
}

/* "Tue, 20 Nov 2012 00:00:00 +0000" */
static int
is_rfc2822(const char *s)
{
	static const char *const days = "SunMonTueWedThuFriSat";
	static const char *const mons = "JanFebMarAprMayJunJulAugSepOctNovDec";
	char day[4], mon[4], zone[6];
	int dd, yy, h, m, sec, n = 0;

	if (strlen(s) != 31 ||
	    sscanf(s, "%3s, %2d %3s %4d %2d:%2d:%2d %5s%n", day, &dd, mon, &yy,
		   &h, &m, &sec, zone, &n) != 8 ||
	    n != 31)
		return 0;
	return strstr(days, day) && (strstr(days, day) - days) % 3 == 0 &&
	       strstr(mons, mon) && (strstr(mons, mon) - mons) % 3 == 0 &&
	       strcmp(zone, "+0000") == 0 && dd >= 1 && dd <= 31 && h < 24 &&
	       m < 60 && sec < 61;
}

/* ---- a webhook receiver in this process --------------------------------- */

#define MAX_HITS 64

typedef struct receiver {
	struct MHD_Daemon *daemon;
	int port;
	pthread_mutex_t lock;
	int fail_first; /* answer 500 to this many requests, then 200 */
	int always_fail;
	int hits;
	char *bodies[MAX_HITS];
	char secret[MAX_HITS][64]; /* X-Secret header of each hit */
	char sig[MAX_HITS][80];    /* webhook-signature header */
} receiver;

typedef struct upload {
	char *buf;
	size_t len;
} upload;

static enum MHD_Result
receive(void *cls, struct MHD_Connection *conn, const char *url,
	const char *method, const char *version, const char *data,
	size_t *data_size, void **state)
{
	receiver *rc = cls;
	upload *up = *state;
	struct MHD_Response *resp;
	enum MHD_Result ret;
	int status;
	const char *secret, *sig;

	(void)url;
	(void)method;
	(void)version;
	if (up == NULL) {
		up = calloc(1, sizeof(*up));
		if (up == NULL)
			return MHD_NO;
		*state = up;
		return MHD_YES;
	}
	if (*data_size > 0) {
		char *n = realloc(up->buf, up->len + *data_size + 1);

		if (n == NULL)
			return MHD_NO;
		memcpy(n + up->len, data, *data_size);
		up->buf = n;
		up->len += *data_size;
		up->buf[up->len] = '\0';
		*data_size = 0;
		return MHD_YES;
	}
	secret = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Secret");
	sig = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
					  "webhook-signature");
	pthread_mutex_lock(&rc->lock);
	if (rc->hits < MAX_HITS) {
		rc->bodies[rc->hits] = up->buf ? up->buf : strdup("");
		up->buf = NULL;
		snprintf(rc->secret[rc->hits], sizeof(rc->secret[0]), "%s",
			 secret ? secret : "");
		snprintf(rc->sig[rc->hits], sizeof(rc->sig[0]), "%s",
			 sig ? sig : "");
	}
	status = rc->always_fail || rc->hits < rc->fail_first ? 500 : 200;
	rc->hits++;
	pthread_mutex_unlock(&rc->lock);
	resp = MHD_create_response_from_buffer(0, (void *)"",
					       MHD_RESPMEM_PERSISTENT);
	ret = MHD_queue_response(conn, (unsigned)status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static void
receive_done(void *cls, struct MHD_Connection *conn, void **state,
	     enum MHD_RequestTerminationCode code)
{
	upload *up = *state;

	(void)cls;
	(void)conn;
	(void)code;
	if (up) {
		free(up->buf);
		free(up);
	}
	*state = NULL;
}

static void
receiver_start(receiver *rc, int fail_first, int always_fail)
{
	const union MHD_DaemonInfo *info;

	memset(rc, 0, sizeof(*rc));
	pthread_mutex_init(&rc->lock, NULL);
	rc->fail_first = fail_first;
	rc->always_fail = always_fail;
	rc->daemon = MHD_start_daemon(
		MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG, 0, NULL,
		NULL, receive, rc, MHD_OPTION_NOTIFY_COMPLETED, receive_done,
		NULL, MHD_OPTION_END);
	assert_non_null(rc->daemon);
	info = MHD_get_daemon_info(rc->daemon, MHD_DAEMON_INFO_BIND_PORT);
	assert_non_null(info);
	rc->port = info->port;
}

static int
receiver_hits(receiver *rc)
{
	int n;

	pthread_mutex_lock(&rc->lock);
	n = rc->hits;
	pthread_mutex_unlock(&rc->lock);
	return n;
}

static void
receiver_stop(receiver *rc)
{
	int i;

	MHD_stop_daemon(rc->daemon);
	for (i = 0; i < rc->hits && i < MAX_HITS; i++)
		free(rc->bodies[i]);
	pthread_mutex_destroy(&rc->lock);
}

/* Wait (polling, 10 s at most) until the receiver has seen n requests. */
static void
wait_hits(receiver *rc, int n)
{
	long long deadline = now_ms() + 10000;

	while (receiver_hits(rc) < n && now_ms() < deadline)
		pause_ms(10);
	assert_true(receiver_hits(rc) >= n);
}

/* ---- fixtures --------------------------------------------------------------
 */

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
	long status;

	(void)state;
	status = control(&r, "POST", "/reset", "{\"seed\":\"empty\"}");
	sandbox_reply_dispose(&r);
	if (status != 200)
		return -1;
	/* Catalogue for the tests: one simple product tracked by product,
	 * one with two variants tracked by variant. */
	control(&r, "POST", "/bigcommerce/products",
		"{\"name\":\"Mug\",\"type\":\"physical\",\"weight\":1,"
		"\"price\":10,\"sku\":\"MUG-1\",\"inventory_tracking\":"
		"\"product\",\"inventory_level\":50}");
	sandbox_reply_dispose(&r);
	control(&r, "POST", "/bigcommerce/products",
		"{\"name\":\"Tee\",\"type\":\"physical\",\"weight\":1,"
		"\"price\":20,\"inventory_tracking\":\"variant\",\"variants\":["
		"{\"sku\":\"TEE-S\",\"inventory_level\":5},"
		"{\"sku\":\"TEE-M\",\"inventory_level\":6}]}");
	status = r.status;
	sandbox_reply_dispose(&r);
	return status == 201 ? 0 : -1;
}

static const char *const billing =
	"\"billing_address\":{\"first_name\":\"Jo\",\"last_name\":\"Bloggs\","
	"\"street_1\":\"1 Road\",\"city\":\"Austin\",\"state\":\"Texas\","
	"\"zip\":\"78701\",\"country\":\"United States\","
	"\"country_iso2\":\"US\",\"email\":\"jo@example.com\"}";

/* Place an order through the control API; returns its id. */
static long long
place(const char *extra)
{
	char body[2048];
	json_t *j;
	long long id;

	snprintf(body, sizeof(body), "{%s, %s}", billing, extra);
	j = control_json("POST", "/bigcommerce/orders", body, 201);
	id = jint(json_object_get(j, "order"), "id");
	json_decref(j);
	return id;
}

/* ---- auth and routing
 * -------------------------------------------------------- */

static void
test_bc__401_bodies_and_unknown_store(void **state)
{
	sandbox_reply r;
	char url[512];
	json_t *j;

	(void)state;
	snprintf(url, sizeof(url), "%s/stores/sandbox/v2/orders",
		 sandbox_proc_url(&sbx, "bigcommerce"));
	assert_int_equal(sandbox_http(&r, "GET", url, NULL, NULL, NULL), 401);
	j = parse(&r);
	/* v2: an array of {status, message} */
	assert_true(json_is_array(j));
	assert_int_equal(jint(json_array_get(j, 0), "status"), 401);
	assert_non_null(jstr(json_array_get(j, 0), "message"));
	json_decref(j);
	sandbox_reply_dispose(&r);

	snprintf(url, sizeof(url), "%s/stores/sandbox/v3/catalog/products",
		 sandbox_proc_url(&sbx, "bigcommerce"));
	assert_int_equal(sandbox_http(&r, "GET", url, bad_auth, NULL, NULL),
			 401);
	j = parse(&r);
	/* v3: one object with the documented title */
	assert_int_equal(jint(j, "status"), 401);
	assert_string_equal(jstr(j, "title"),
			    "Unauthorized - the v3 Auth client ID or token in "
			    "the request are not a valid combination for this "
			    "store.");
	assert_non_null(jstr(j, "type"));
	json_decref(j);
	sandbox_reply_dispose(&r);

	/* a body that is not declared as JSON: 415 */
	{
		static const char *const form[] = {
			"X-Auth-Token: sandbox-token",
			"Content-Type: application/x-www-form-urlencoded",
			NULL};

		snprintf(url, sizeof(url), "%s/stores/sandbox/v3/hooks",
			 sandbox_proc_url(&sbx, "bigcommerce"));
		assert_int_equal(
			sandbox_http(&r, "POST", url, form, "{}", NULL), 415);
		sandbox_reply_dispose(&r);
	}

	snprintf(url, sizeof(url), "%s/stores/otherstore/v2/orders",
		 sandbox_proc_url(&sbx, "bigcommerce"));
	assert_int_equal(sandbox_http(&r, "GET", url, auth, NULL, NULL), 404);
	j = parse(&r);
	assert_int_equal(jint(json_array_get(j, 0), "status"), 404);
	json_decref(j);
	sandbox_reply_dispose(&r);
}

/* ---- v2 shapes
 * ------------------------------------------------------------------ */

static void
test_bc__v2_empty_list_is_204(void **state)
{
	sandbox_reply r;

	(void)state;
	assert_int_equal(bc(&r, "GET", "/v2/orders", NULL), 204);
	assert_int_equal(r.body_len, 0);
	sandbox_reply_dispose(&r);
	place("\"lines\":[{\"sku\":\"MUG-1\",\"quantity\":1}]");
	assert_int_equal(bc(&r, "GET", "/v2/orders?status_id=5", NULL), 204);
	assert_int_equal(r.body_len, 0);
	sandbox_reply_dispose(&r);
	assert_int_equal(bc(&r, "GET", "/v2/orders", NULL), 200);
	sandbox_reply_dispose(&r);
}

static void
test_bc__v2_paging_money_and_dates(void **state)
{
	json_t *j, *o;
	sandbox_reply r;
	long long first;
	int i;

	(void)state;
	/* 2 x 10.00 + 5.00 shipping, 20% tax on top. */
	first = place("\"lines\":[{\"sku\":\"MUG-1\",\"quantity\":2,"
		      "\"price\":\"10.00\"}],\"shipping_cost\":\"5.00\","
		      "\"tax_rate\":\"0.2\"");
	place("\"lines\":[{\"sku\":\"MUG-1\",\"quantity\":1}]");
	place("\"lines\":[{\"sku\":\"TEE-S\",\"quantity\":1}]");

	j = bc_json("GET", "/v2/orders?limit=2&page=1", NULL, 200);
	assert_true(json_is_array(j)); /* bare array, no envelope */
	assert_int_equal(json_array_size(j), 2);
	o = json_array_get(j, 0);
	assert_int_equal(jint(o, "id"), first); /* id ascending */
	assert_string_equal(jstr(o, "subtotal_ex_tax"), "20.0000");
	assert_string_equal(jstr(o, "subtotal_inc_tax"), "24.0000");
	assert_string_equal(jstr(o, "shipping_cost_inc_tax"), "6.0000");
	assert_string_equal(jstr(o, "total_inc_tax"), "30.0000");
	assert_string_equal(jstr(o, "total_tax"), "5.0000");
	static const char *const money[] = {"total_ex_tax", "discount_amount",
					    "coupon_discount",
					    "refunded_amount", NULL};
	for (i = 0; money[i]; i++)
		assert_true(is_money(jstr(o, money[i])));
	assert_true(is_rfc2822(jstr(o, "date_created")));
	assert_true(is_rfc2822(jstr(o, "date_modified")));
	assert_string_equal(jstr(o, "date_shipped"), "");
	json_decref(j);

	j = bc_json("GET", "/v2/orders?limit=2&page=2", NULL, 200);
	assert_int_equal(json_array_size(j), 1);
	json_decref(j);
	/* a page past the end is empty: 204 */
	assert_int_equal(bc(&r, "GET", "/v2/orders?limit=2&page=3", NULL), 204);
	sandbox_reply_dispose(&r);
	/* limit above 250 */
	assert_int_equal(bc(&r, "GET", "/v2/orders?limit=251", NULL), 413);
	sandbox_reply_dispose(&r);

	j = bc_json("GET", "/v2/orders/count", NULL, 200);
	assert_int_equal(jint(j, "count"), 3);
	json_decref(j);

	j = bc_json("GET", "/v2/orders?sort=id:desc&limit=1", NULL, 200);
	assert_int_equal(jint(json_array_get(j, 0), "id"), first + 2);
	json_decref(j);
}

static void
test_bc__v2_date_filters(void **state)
{
	sandbox_reply r;
	json_t *j;
	long long old_id, new_id;
	char path[256], when[64];
	time_t t = time(NULL) - 3600;
	struct tm tm;

	(void)state;
	/* An order modified two hours ago, one now. */
	json_decref(control_json("POST", "/bigcommerce/config",
				 "{\"clock_offset_s\":-7200}", 200));
	old_id = place("\"lines\":[{\"sku\":\"MUG-1\",\"quantity\":1}]");
	json_decref(control_json("POST", "/bigcommerce/config",
				 "{\"clock_offset_s\":0}", 200));
	new_id = place("\"lines\":[{\"sku\":\"MUG-1\",\"quantity\":1}],"
		       "\"status_id\":7");

	/* RFC 2822, URL-encoded */
	gmtime_r(&t, &tm);
	strftime(when, sizeof(when), "%d%%20%b%%20%Y%%20%H:%M:%S%%20%%2B0000",
		 &tm);
	snprintf(path, sizeof(path), "/v2/orders?min_date_modified=Mon,%%20%s",
		 when);
	j = bc_json("GET", path, NULL, 200);
	assert_int_equal(json_array_size(j), 1);
	assert_int_equal(jint(json_array_get(j, 0), "id"), new_id);
	json_decref(j);
	/* ISO 8601 max_date_modified */
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S%%2B00:00", &tm);
	snprintf(path, sizeof(path), "/v2/orders?max_date_modified=%s", when);
	j = bc_json("GET", path, NULL, 200);
	assert_int_equal(json_array_size(j), 1);
	assert_int_equal(jint(json_array_get(j, 0), "id"), old_id);
	json_decref(j);
	/* status_id and min_id */
	j = bc_json("GET", "/v2/orders?status_id=7", NULL, 200);
	assert_int_equal(json_array_size(j), 1);
	assert_int_equal(jint(json_array_get(j, 0), "id"), new_id);
	json_decref(j);
	snprintf(path, sizeof(path), "/v2/orders?min_id=%lld", new_id + 1);
	assert_int_equal(bc(&r, "GET", path, NULL), 204);
	sandbox_reply_dispose(&r);
	assert_int_equal(
		bc(&r, "GET", "/v2/orders?min_date_modified=junk", NULL), 400);
	sandbox_reply_dispose(&r);
}

static void
test_bc__v2_order_update_status_and_notes(void **state)
{
	json_t *j;
	char path[64];
	long long id;
	sandbox_reply r;

	(void)state;
	id = place("\"lines\":[{\"sku\":\"MUG-1\",\"quantity\":1}],"
		   "\"status_id\":11");
	snprintf(path, sizeof(path), "/v2/orders/%lld", id);
	j = bc_json("PUT", path,
		    "{\"status_id\":5,\"staff_notes\":\"cancelled in ERP\"}",
		    200);
	assert_int_equal(jint(j, "status_id"), 5);
	assert_string_equal(jstr(j, "status"), "Cancelled");
	assert_string_equal(jstr(j, "staff_notes"), "cancelled in ERP");
	json_decref(j);
	/* read-only field: v2 error array with 400 */
	assert_int_equal(bc(&r, "PUT", path, "{\"items_shipped\":3}"), 400);
	j = parse(&r);
	assert_int_equal(jint(json_array_get(j, 0), "status"), 400);
	assert_non_null(strstr(jstr(json_array_get(j, 0), "message"),
			       "cannot be written to"));
	json_decref(j);
	sandbox_reply_dispose(&r);
	/* the fixed status list */
	j = bc_json("GET", "/v2/order_statuses", NULL, 200);
	assert_int_equal(json_array_size(j), 15);
	assert_string_equal(jstr(json_array_get(j, 11), "name"),
			    "Awaiting Fulfillment");
	assert_string_equal(jstr(json_array_get(j, 3), "name"),
			    "Partially Shipped");
	json_decref(j);
}

/* ---- shipments
 * --------------------------------------------------------------------- */

static void
test_bc__partial_then_full_shipment(void **state)
{
	json_t *j, *lines, *addr;
	long long id, l1, l2, a;
	char path[128], body[512];
	sandbox_reply r;

	(void)state;
	id = place("\"lines\":[{\"sku\":\"MUG-1\",\"quantity\":2},"
		   "{\"sku\":\"TEE-M\",\"quantity\":1}],\"status_id\":11");
	snprintf(path, sizeof(path), "/v2/orders/%lld/products", id);
	lines = bc_json("GET", path, NULL, 200);
	l1 = jint(json_array_get(lines, 0), "id");
	l2 = jint(json_array_get(lines, 1), "id");
	json_decref(lines);
	snprintf(path, sizeof(path), "/v2/orders/%lld/shipping_addresses", id);
	addr = bc_json("GET", path, NULL, 200);
	a = jint(json_array_get(addr, 0), "id");
	json_decref(addr);

	snprintf(path, sizeof(path), "/v2/orders/%lld/shipments", id);
	assert_int_equal(bc(&r, "GET", path, NULL), 204);
	sandbox_reply_dispose(&r);
	/* ship 1 of 2 mugs: Partially Shipped */
	snprintf(body, sizeof(body),
		 "{\"order_address_id\":\"%lld\",\"tracking_number\":\"T1\","
		 "\"shipping_provider\":\"ups\",\"items\":[{"
		 "\"order_product_id\":%lld,\"quantity\":1}]}",
		 a, l1);
	j = bc_json("POST", path, body, 201);
	assert_true(is_rfc2822(jstr(j, "date_created")));
	assert_int_equal(jint(json_array_get(json_object_get(j, "items"), 0),
			      "quantity"),
			 1);
	json_decref(j);
	snprintf(path, sizeof(path), "/v2/orders/%lld", id);
	j = bc_json("GET", path, NULL, 200);
	assert_int_equal(jint(j, "status_id"), 3);
	assert_string_equal(jstr(j, "status"), "Partially Shipped");
	assert_int_equal(
		json_integer_value(json_object_get(j, "items_shipped")), 1);
	assert_string_equal(jstr(j, "date_shipped"), "");
	json_decref(j);

	/* 2 more mugs than remain: rejected, nothing changes */
	snprintf(path, sizeof(path), "/v2/orders/%lld/shipments", id);
	snprintf(body, sizeof(body),
		 "{\"order_address_id\":%lld,\"items\":[{"
		 "\"order_product_id\":%lld,\"quantity\":2}]}",
		 a, l1);
	assert_int_equal(bc(&r, "POST", path, body), 422);
	j = parse(&r);
	assert_true(json_is_array(j));
	json_decref(j);
	sandbox_reply_dispose(&r);
	/* unknown address */
	snprintf(body, sizeof(body),
		 "{\"order_address_id\":1,\"items\":[{"
		 "\"order_product_id\":%lld,\"quantity\":1}]}",
		 l1);
	assert_int_equal(bc(&r, "POST", path, body), 400);
	sandbox_reply_dispose(&r);

	/* the rest: Shipped */
	snprintf(body, sizeof(body),
		 "{\"order_address_id\":%lld,\"items\":[{"
		 "\"order_product_id\":%lld,\"quantity\":1},{"
		 "\"order_product_id\":%lld,\"quantity\":1}]}",
		 a, l1, l2);
	json_decref(bc_json("POST", path, body, 201));
	j = bc_json("GET", path, NULL, 200);
	assert_int_equal(json_array_size(j), 2);
	json_decref(j);
	snprintf(path, sizeof(path), "/v2/orders/%lld", id);
	j = bc_json("GET", path, NULL, 200);
	assert_int_equal(jint(j, "status_id"), 2);
	assert_string_equal(jstr(j, "status"), "Shipped");
	assert_true(is_rfc2822(jstr(j, "date_shipped")));
	json_decref(j);
	snprintf(path, sizeof(path), "/v2/orders/%lld/products", id);
	lines = bc_json("GET", path, NULL, 200);
	assert_int_equal(json_integer_value(json_object_get(
				 json_array_get(lines, 0), "quantity_shipped")),
			 2);
	json_decref(lines);
}

/* ---- v3 shapes
 * ---------------------------------------------------------------------- */

static void
test_bc__v3_envelopes_and_errors(void **state)
{
	json_t *j, *meta, *data;
	sandbox_reply r;
	char body[8192];
	size_t n;
	int i;

	(void)state;
	j = bc_json("GET", "/v3/catalog/products?sku:in=MUG-1,NOPE", NULL, 200);
	data = json_object_get(j, "data");
	meta = json_object_get(json_object_get(j, "meta"), "pagination");
	assert_int_equal(json_array_size(data), 1);
	assert_int_equal(jint(meta, "total"), 1);
	assert_int_equal(jint(meta, "per_page"), 50);
	assert_int_equal(jint(meta, "current_page"), 1);
	assert_non_null(json_object_get(meta, "links"));
	assert_null(json_object_get(json_array_get(data, 0), "variants"));
	json_decref(j);
	j = bc_json("GET",
		    "/v3/catalog/products?include=variants&limit=1&page=2",
		    NULL, 200);
	data = json_object_get(j, "data");
	assert_string_equal(
		jstr(json_array_get(json_object_get(json_array_get(data, 0),
						    "variants"),
				    1),
		     "sku"),
		"TEE-M");
	json_decref(j);
	/* include_fields: the id and the fields named, nothing else;
	 * exclude_fields: all but those; include=variants still adds them */
	j = bc_json("GET",
		    "/v3/catalog/products?sku=MUG-1&include_fields=sku,"
		    "inventory_tracking,no_such_field",
		    NULL, 200);
	data = json_array_get(json_object_get(j, "data"), 0);
	assert_int_equal(json_object_size(data), 3);
	assert_true(jint(data, "id") > 0);
	assert_string_equal(jstr(data, "sku"), "MUG-1");
	assert_non_null(json_object_get(data, "inventory_tracking"));
	json_decref(j);
	j = bc_json("GET",
		    "/v3/catalog/products?sku=MUG-1&include=variants&"
		    "include_fields=name",
		    NULL, 200);
	data = json_array_get(json_object_get(j, "data"), 0);
	assert_int_equal(json_object_size(data), 3);
	assert_non_null(json_object_get(data, "name"));
	assert_true(json_array_size(json_object_get(data, "variants")) > 0);
	json_decref(j);
	j = bc_json("GET",
		    "/v3/catalog/products?sku=MUG-1&exclude_fields=name,sku",
		    NULL, 200);
	data = json_array_get(json_object_get(j, "data"), 0);
	assert_null(json_object_get(data, "name"));
	assert_null(json_object_get(data, "sku"));
	assert_non_null(json_object_get(data, "price"));
	json_decref(j);
	/* empty v3 list: 200 with data [] */
	j = bc_json("GET", "/v3/catalog/variants?sku=NOPE", NULL, 200);
	assert_int_equal(json_array_size(json_object_get(j, "data")), 0);
	json_decref(j);

	/* 422: {status, title, type, errors} */
	assert_int_equal(bc(&r, "POST", "/v3/catalog/products",
			    "{\"type\":\"physical\",\"weight\":1}"),
			 422);
	j = parse(&r);
	assert_int_equal(jint(j, "status"), 422);
	assert_non_null(jstr(j, "title"));
	assert_non_null(jstr(j, "type"));
	assert_true(json_is_object(json_object_get(j, "errors")));
	json_decref(j);
	sandbox_reply_dispose(&r);

	/* variants batch: 50 allowed, 51 is 413 */
	n = (size_t)snprintf(body, sizeof(body), "[");
	for (i = 0; i < 51; i++)
		n += (size_t)snprintf(body + n, sizeof(body) - n,
				      "%s{\"id\":201,\"inventory_level\":%d}",
				      i ? "," : "", i);
	snprintf(body + n, sizeof(body) - n, "]");
	assert_int_equal(bc(&r, "PUT", "/v3/catalog/variants", body), 413);
	j = parse(&r);
	assert_int_equal(jint(j, "status"), 413);
	assert_non_null(strstr(jstr(j, "title"), "50"));
	json_decref(j);
	sandbox_reply_dispose(&r);
	j = bc_json("PUT", "/v3/catalog/variants",
		    "[{\"id\":201,\"inventory_level\":17}]", 200);
	assert_int_equal(jint(json_array_get(json_object_get(j, "data"), 0),
			      "inventory_level"),
			 17);
	json_decref(j);
	/* the product tracked by variant sums its variants: 17 + 6 */
	j = bc_json("GET", "/v3/catalog/products?sku:in=", NULL, 200);
	json_decref(j);
	j = bc_json("GET", "/v3/catalog/products?name=Tee", NULL, 200);
	assert_int_equal(jint(json_array_get(json_object_get(j, "data"), 0),
			      "inventory_level"),
			 23);
	json_decref(j);
}

static void
test_bc__inventory_adjustments(void **state)
{
	json_t *j, *inv;
	sandbox_reply r;
	char ctype[128];
	size_t i;
	int seen = 0;

	(void)state;
	j = bc_json("PUT", "/v3/inventory/adjustments/absolute",
		    "{\"reason\":\"ERP\",\"items\":["
		    "{\"location_id\":1,\"sku\":\"MUG-1\",\"quantity\":7},"
		    "{\"location_id\":1,\"sku\":\"TEE-S\",\"quantity\":3}]}",
		    200);
	assert_non_null(jstr(j, "transaction_id"));
	json_decref(j);
	/* a variant id of a product tracked by product: 422 problem+json */
	assert_int_equal(bc(&r, "PUT", "/v3/inventory/adjustments/absolute",
			    "{\"items\":[{\"location_id\":1,"
			    "\"variant_id\":200,\"quantity\":1}]}"),
			 422);
	assert_non_null(
		sandbox_reply_header(&r, "Content-Type", ctype, sizeof(ctype)));
	assert_string_equal(ctype, "application/problem+json");
	j = parse(&r);
	assert_non_null(strstr(jstr(j, "title"), "tracked by product"));
	json_decref(j);
	sandbox_reply_dispose(&r);

	inv = control_json("GET", "/bigcommerce/inventory", NULL, 200);
	json_array_foreach (inv, i, j) {
		if (strcmp(jstr(j, "sku"), "MUG-1") == 0)
			assert_int_equal(jint(j, "inventory_level"), 7), seen++;
		if (strcmp(jstr(j, "sku"), "TEE-S") == 0)
			assert_int_equal(jint(j, "inventory_level"), 3), seen++;
	}
	assert_int_equal(seen, 2);
	json_decref(inv);
}

static void
test_bc__customers_email_in(void **state)
{
	json_t *j;
	sandbox_reply r;

	(void)state;
	j = bc_json("POST", "/v3/customers",
		    "[{\"email\":\"Ann@Example.com\",\"first_name\":\"Ann\","
		    "\"last_name\":\"Lee\"}]",
		    200);
	assert_string_equal(
		jstr(json_array_get(json_object_get(j, "data"), 0), "email"),
		"Ann@Example.com");
	json_decref(j);
	j = bc_json("GET", "/v3/customers?email:in=ann@example.com", NULL, 200);
	assert_int_equal(json_array_size(json_object_get(j, "data")), 1);
	json_decref(j);
	j = bc_json("GET", "/v3/customers?email:in=nobody@example.com", NULL,
		    200);
	assert_int_equal(json_array_size(json_object_get(j, "data")), 0);
	json_decref(j);
	/* duplicate email: 422 */
	assert_int_equal(bc(&r, "POST", "/v3/customers",
			    "[{\"email\":\"ann@example.com\",\"first_name\":"
			    "\"A\",\"last_name\":\"L\"}]"),
			 422);
	sandbox_reply_dispose(&r);
}

/* ---- quota
 * ---------------------------------------------------------------------- */

static void
test_bc__quota_headers_and_429(void **state)
{
	sandbox_reply r;
	char v[64];
	json_t *j;
	int i;
	long long deadline;
	long status;

	(void)state;
	/* The real window: 150 per 30 s on every response. */
	bc(&r, "GET", "/v2/time", NULL);
	assert_int_equal(r.status, 200);
	assert_string_equal(sandbox_reply_header(&r,
						 "X-Rate-Limit-Requests-Quota",
						 v, sizeof(v)),
			    "150");
	assert_string_equal(sandbox_reply_header(&r,
						 "X-Rate-Limit-Time-Window-Ms",
						 v, sizeof(v)),
			    "30000");
	assert_string_equal(sandbox_reply_header(&r,
						 "X-Rate-Limit-Requests-Left",
						 v, sizeof(v)),
			    "149");
	assert_non_null(sandbox_reply_header(&r, "X-Rate-Limit-Time-Reset-Ms",
					     v, sizeof(v)));
	sandbox_reply_dispose(&r);

	/* A short window of 3 requests. */
	json_decref(control_json("POST", "/bigcommerce/config",
				 "{\"quota\":3,\"window_ms\":400}", 200));
	for (i = 2; i >= 0; i--) {
		char want[8];

		assert_int_equal(bc(&r, "GET", "/v2/time", NULL), 200);
		snprintf(want, sizeof(want), "%d", i);
		assert_string_equal(
			sandbox_reply_header(&r, "X-Rate-Limit-Requests-Left",
					     v, sizeof(v)),
			want);
		sandbox_reply_dispose(&r);
	}
	assert_int_equal(bc(&r, "GET", "/v3/catalog/products", NULL), 429);
	assert_string_equal(sandbox_reply_header(&r,
						 "X-Rate-Limit-Requests-Left",
						 v, sizeof(v)),
			    "0");
	assert_string_equal(sandbox_reply_header(&r,
						 "X-Rate-Limit-Requests-Quota",
						 v, sizeof(v)),
			    "3");
	assert_non_null(
		sandbox_reply_header(&r, "X-Retry-After", v, sizeof(v)));
	assert_true(
		strtol(sandbox_reply_header(&r, "X-Rate-Limit-Time-Reset-Ms", v,
					    sizeof(v)),
		       NULL, 10) <= 400);
	j = parse(&r);
	assert_int_equal(jint(j, "status"), 429);
	json_decref(j);
	sandbox_reply_dispose(&r);
	/* the window refills */
	deadline = now_ms() + 5000;
	do {
		pause_ms(50);
		status = bc(&r, "GET", "/v2/time", NULL);
		sandbox_reply_dispose(&r);
	} while (status == 429 && now_ms() < deadline);
	assert_int_equal(status, 200);
}

static void
test_bc__injected_429_has_no_quota_headers(void **state)
{
	sandbox_reply r;
	char v[64];
	json_t *j;

	(void)state;
	json_decref(control_json("POST", "/faults",
				 "{\"platform\":\"bigcommerce\",\"rate\":1,"
				 "\"kinds\":[\"429\"],\"seed\":7}",
				 200));
	assert_int_equal(bc(&r, "GET", "/v3/catalog/products", NULL), 429);
	assert_null(sandbox_reply_header(&r, "X-Rate-Limit-Requests-Left", v,
					 sizeof(v)));
	j = parse(&r);
	assert_int_equal(jint(j, "status"), 429);
	json_decref(j);
	sandbox_reply_dispose(&r);
	assert_int_equal(bc(&r, "GET", "/v2/orders", NULL), 429);
	assert_int_equal(r.body_len, 0);
	sandbox_reply_dispose(&r);
}

static void
test_bc__quota_options(void **state)
{
	sandbox_proc other;
	static const char *const args[] = {
		"--quota", "x2", "--bc-window-ms", "1000", "--seed",
		"empty",   NULL};
	sandbox_reply r;
	char url[512], v[64];

	(void)state;
	assert_int_equal(sandbox_proc_start(&other, args, 20000), 0);
	snprintf(url, sizeof(url), "%s/stores/sandbox/v2/time",
		 sandbox_proc_url(&other, "bigcommerce"));
	assert_int_equal(sandbox_http(&r, "GET", url, auth, NULL, NULL), 200);
	assert_string_equal(sandbox_reply_header(&r,
						 "X-Rate-Limit-Requests-Quota",
						 v, sizeof(v)),
			    "300");
	assert_string_equal(sandbox_reply_header(&r,
						 "X-Rate-Limit-Time-Window-Ms",
						 v, sizeof(v)),
			    "1000");
	sandbox_reply_dispose(&r);
	assert_int_equal(sandbox_proc_stop(&other), 0);
}

/* ---- webhooks
 * ------------------------------------------------------------------- */

static long long
create_hook(receiver *rc, const char *scope)
{
	char body[512];
	json_t *j;
	long long id;

	snprintf(body, sizeof(body),
		 "{\"scope\":\"%s\",\"destination\":"
		 "\"http://127.0.0.1:%d/bc-hook\",\"is_active\":true,"
		 "\"headers\":{\"X-Secret\":\"hush-123\"}}",
		 scope, rc->port);
	j = bc_json("POST", "/v3/hooks", body, 200);
	id = jint(json_object_get(j, "data"), "id");
	assert_true(json_is_true(
		json_object_get(json_object_get(j, "data"), "is_active")));
	json_decref(j);
	return id;
}

static void
test_bc__webhook_thin_payload_with_custom_headers(void **state)
{
	receiver rc;
	json_t *j, *data;
	long long id;
	int i, created = -1, status_updated = -1;
	char path[96];

	(void)state;
	receiver_start(&rc, 0, 0);
	create_hook(&rc, "store/order/*");
	id = place("\"lines\":[{\"sku\":\"MUG-1\",\"quantity\":1}],"
		   "\"status_id\":11");
	snprintf(path, sizeof(path), "/bigcommerce/orders/%lld/status", id);
	json_decref(control_json("POST", path, "{\"status_id\":9}", 200));
	/* created, statusUpdated, updated */
	wait_hits(&rc, 3);
	pthread_mutex_lock(&rc.lock);
	for (i = 0; i < rc.hits && i < MAX_HITS; i++) {
		j = json_loads(rc.bodies[i], 0, NULL);
		assert_non_null(j);
		assert_string_equal(rc.secret[i], "hush-123");
		/* Standard Webhooks: "v1," + base64 of a 32-byte HMAC */
		assert_int_equal(strncmp(rc.sig[i], "v1,", 3), 0);
		assert_int_equal(strlen(rc.sig[i]), 3 + 44);
		if (strcmp(jstr(j, "scope"), "store/order/created") == 0)
			created = i;
		if (strcmp(jstr(j, "scope"), "store/order/statusUpdated") ==
		    0) {
			status_updated = i;
			data = json_object_get(j, "data");
			assert_int_equal(jint(json_object_get(data, "status"),
					      "previous_status_id"),
					 11);
			assert_int_equal(jint(json_object_get(data, "status"),
					      "new_status_id"),
					 9);
		}
		/* thin payload */
		data = json_object_get(j, "data");
		assert_string_equal(jstr(data, "type"), "order");
		assert_int_equal(jint(data, "id"), id);
		assert_string_equal(jstr(j, "producer"), "stores/sandbox");
		assert_non_null(jstr(j, "store_id"));
		assert_int_equal(strlen(jstr(j, "hash")), 40);
		assert_true(jint(j, "created_at") > 1500000000);
		json_decref(j);
	}
	pthread_mutex_unlock(&rc.lock);
	assert_true(created >= 0);
	assert_true(status_updated >= 0);
	receiver_stop(&rc);
}

static long long
hook_active(long long id)
{
	char path[64];
	json_t *j;
	long long active;

	snprintf(path, sizeof(path), "/v3/hooks/%lld", id);
	j = bc_json("GET", path, NULL, 200);
	active = json_is_true(
		json_object_get(json_object_get(j, "data"), "is_active"));
	json_decref(j);
	return active;
}

static void
test_bc__webhook_retried_then_deactivated(void **state)
{
	receiver rc;
	long long hook, deadline;
	char path[64];

	(void)state;
	/* Retry delays divided by a million: 60 s becomes 0.06 ms.  The
	 * polling below must not run into the store's quota. */
	json_decref(control_json("POST", "/bigcommerce/config", "{\"quota\":0}",
				 200));
	json_decref(control_json("POST", "/webhooks",
				 "{\"platform\":\"bigcommerce\","
				 "\"time_scale\":1000000}",
				 200));
	receiver_start(&rc, 0, 1);
	hook = create_hook(&rc, "store/order/created");
	place("\"lines\":[{\"sku\":\"MUG-1\",\"quantity\":1}]");
	/* the first attempt and 11 retries, then the hook is off */
	deadline = now_ms() + 10000;
	while (hook_active(hook) && now_ms() < deadline)
		pause_ms(20);
	assert_false(hook_active(hook));
	assert_int_equal(receiver_hits(&rc), 12);
	/* events while deactivated are lost */
	place("\"lines\":[{\"sku\":\"MUG-1\",\"quantity\":1}]");
	pause_ms(100);
	assert_int_equal(receiver_hits(&rc), 12);
	/* re-enable with PUT is_active */
	snprintf(path, sizeof(path), "/v3/hooks/%lld", hook);
	json_decref(bc_json("PUT", path, "{\"is_active\":true}", 200));
	assert_true(hook_active(hook));
	place("\"lines\":[{\"sku\":\"MUG-1\",\"quantity\":1}]");
	wait_hits(&rc, 13);
	receiver_stop(&rc);
}

static void
test_bc__webhook_retry_then_success(void **state)
{
	receiver rc;
	long long hook;
	json_t *j;

	(void)state;
	json_decref(control_json("POST", "/webhooks",
				 "{\"platform\":\"bigcommerce\","
				 "\"time_scale\":1000000}",
				 200));
	receiver_start(&rc, 2, 0);
	hook = create_hook(&rc, "store/order/created");
	place("\"lines\":[{\"sku\":\"MUG-1\",\"quantity\":1}]");
	wait_hits(&rc, 3);
	pause_ms(50);
	assert_int_equal(receiver_hits(&rc), 3);
	assert_true(hook_active(hook));
	/* same event, same hash on every attempt */
	pthread_mutex_lock(&rc.lock);
	{
		json_t *a = json_loads(rc.bodies[0], 0, NULL);
		json_t *b = json_loads(rc.bodies[2], 0, NULL);

		assert_string_equal(jstr(a, "hash"), jstr(b, "hash"));
		json_decref(a);
		json_decref(b);
	}
	pthread_mutex_unlock(&rc.lock);
	/* hook validation */
	j = bc_json("POST", "/v3/hooks", "{\"scope\":\"store/order/created\"}",
		    422);
	assert_non_null(
		json_object_get(json_object_get(j, "errors"), "destination"));
	json_decref(j);
	receiver_stop(&rc);
}

/* ---- control API
 * ---------------------------------------------------------------- */

static void
test_bc__control_places_orders(void **state)
{
	json_t *j, *o, *tx, *inv, *x;
	char path[128];
	long long id, guest;
	size_t i;
	sandbox_reply r;

	(void)state;
	/* registered customer (created on the fly), tax inclusive, coupon,
	 * captured payment, notes, GBP */
	j = control_json(
		"POST", "/bigcommerce/orders",
		"{\"billing_address\":{\"first_name\":\"Kim\",\"last_name\":"
		"\"Ng\",\"street_1\":\"9 Lane\",\"city\":\"Leeds\",\"zip\":"
		"\"LS1 1AA\",\"country\":\"United Kingdom\",\"email\":"
		"\"kim@example.com\"},\"customer\":{\"email\":"
		"\"kim@example.com\",\"first_name\":\"Kim\",\"last_name\":"
		"\"Ng\"},\"lines\":[{\"sku\":\"MUG-1\",\"quantity\":2,"
		"\"price\":\"12.00\"},{\"sku\":\"TEE-S\",\"quantity\":1,"
		"\"price\":\"24.00\"}],\"tax_rate\":\"0.2\","
		"\"prices_include_tax\":true,\"shipping_cost\":\"6.00\","
		"\"coupon\":{\"code\":\"TENOFF\",\"amount\":\"10.00\"},"
		"\"currency\":\"GBP\",\"customer_message\":\"Ring twice\","
		"\"staff_notes\":\"VIP\",\"status_id\":11,\"payment\":{"
		"\"gateway\":\"braintree\",\"captured\":true}}",
		201);
	o = json_object_get(j, "order");
	id = jint(o, "id");
	assert_true(jint(o, "customer_id") > 0);
	assert_string_equal(jstr(o, "currency_code"), "GBP");
	assert_true(
		json_is_true(json_object_get(o, "is_tax_inclusive_pricing")));
	assert_string_equal(jstr(o, "subtotal_inc_tax"), "48.0000");
	assert_string_equal(jstr(o, "subtotal_ex_tax"), "40.0000");
	assert_string_equal(jstr(o, "coupon_discount"), "10.0000");
	/* 48 + 6 - 10 */
	assert_string_equal(jstr(o, "total_inc_tax"), "44.0000");
	assert_string_equal(jstr(o, "customer_message"), "Ring twice");
	assert_string_equal(jstr(o, "staff_notes"), "VIP");
	assert_string_equal(jstr(o, "payment_status"), "captured");
	json_decref(j);

	snprintf(path, sizeof(path), "/v3/orders/%lld/transactions", id);
	j = bc_json("GET", path, NULL, 200);
	tx = json_array_get(json_object_get(j, "data"), 0);
	assert_string_equal(jstr(tx, "event"), "purchase");
	assert_string_equal(jstr(tx, "currency"), "GBP");
	assert_true(json_real_value(json_object_get(tx, "amount")) > 43.99);
	json_decref(j);

	/* a refund of one mug: Partially Refunded */
	snprintf(path, sizeof(path), "/v2/orders/%lld/products", id);
	j = bc_json("GET", path, NULL, 200);
	{
		char body[256], cpath[96];
		long long line = jint(json_array_get(j, 0), "id");

		json_decref(j);
		snprintf(body, sizeof(body),
			 "{\"items\":[{\"item_type\":\"PRODUCT\","
			 "\"item_id\":%lld,\"quantity\":1}],"
			 "\"reason\":\"damaged\"}",
			 line);
		snprintf(cpath, sizeof(cpath),
			 "/bigcommerce/orders/%lld/refunds", id);
		j = control_json("POST", cpath, body, 201);
		o = json_object_get(j, "order");
		assert_int_equal(jint(o, "status_id"), 14);
		assert_string_equal(jstr(o, "refunded_amount"), "12.0000");
		assert_string_equal(jstr(o, "payment_status"),
				    "partially refunded");
		json_decref(j);
		/* refunding more than was bought is refused */
		snprintf(body, sizeof(body),
			 "{\"items\":[{\"item_type\":\"PRODUCT\","
			 "\"item_id\":%lld,\"quantity\":2}]}",
			 line);
		control(&r, "POST", cpath, body);
		assert_int_equal(r.status, 422);
		sandbox_reply_dispose(&r);
	}
	snprintf(path, sizeof(path), "/v3/orders/%lld/payment_actions/refunds",
		 id);
	j = bc_json("GET", path, NULL, 200);
	tx = json_array_get(json_object_get(j, "data"), 0);
	assert_non_null(tx);
	assert_true(json_real_value(json_object_get(tx, "total_amount")) >
		    11.99);
	assert_string_equal(jstr(tx, "reason"), "damaged");
	json_decref(j);

	/* guest, payment only authorised */
	guest = place(
		"\"lines\":[{\"sku\":\"TEE-M\",\"quantity\":1}],"
		"\"payment\":{\"gateway\":\"stripe\",\"captured\":false}");
	snprintf(path, sizeof(path), "/v2/orders/%lld", guest);
	j = bc_json("GET", path, NULL, 200);
	assert_int_equal(jint(j, "customer_id"), 0);
	assert_string_equal(jstr(j, "payment_status"), "authorized");
	assert_int_equal(jint(j, "status_id"), 1); /* default Pending */
	json_decref(j);
	snprintf(path, sizeof(path), "/v3/orders/%lld/transactions", guest);
	j = bc_json("GET", path, NULL, 200);
	assert_string_equal(
		jstr(json_array_get(json_object_get(j, "data"), 0), "event"),
		"authorization");
	json_decref(j);

	/* status change as the merchant */
	snprintf(path, sizeof(path), "/bigcommerce/orders/%lld/status", guest);
	j = control_json("POST", path, "{\"status_id\":10}", 200);
	assert_string_equal(jstr(json_object_get(j, "order"), "status"),
			    "Completed");
	json_decref(j);
	control(&r, "POST", path, "{\"status_id\":15}");
	assert_int_equal(r.status, 400);
	sandbox_reply_dispose(&r);

	/* stock taken by the orders; set it back through control */
	inv = control_json("GET", "/bigcommerce/inventory", NULL, 200);
	json_array_foreach (inv, i, x) {
		if (strcmp(jstr(x, "sku"), "MUG-1") == 0)
			assert_int_equal(jint(x, "inventory_level"), 48);
		if (strcmp(jstr(x, "sku"), "TEE-M") == 0)
			assert_int_equal(jint(x, "inventory_level"), 5);
	}
	json_decref(inv);
	json_decref(control_json("POST", "/bigcommerce/inventory",
				 "{\"sku\":\"MUG-1\",\"level\":99}", 200));
	j = bc_json("GET", "/v3/catalog/products?sku=MUG-1", NULL, 200);
	assert_int_equal(jint(json_array_get(json_object_get(j, "data"), 0),
			      "inventory_level"),
			 99);
	json_decref(j);

	/* state read-back and counters */
	j = control_json("GET", "/bigcommerce/state", NULL, 200);
	assert_int_equal(json_array_size(json_object_get(j, "orders")), 2);
	json_decref(j);
	j = control_json("GET", "/requests", NULL, 200);
	assert_true(jint(json_object_get(json_object_get(j, "bigcommerce"),
					 "endpoints"),
			 "GET v3/orders/{id}/transactions") >= 2);
	json_decref(j);
	/* an unknown SKU is rejected as a control error */
	control(&r, "POST", "/bigcommerce/orders", "{\"lines\":[]}");
	assert_int_equal(r.status, 400);
	sandbox_reply_dispose(&r);
}

static void
test_bc__demo_seed(void **state)
{
	json_t *j;
	sandbox_reply r;

	(void)state;
	control(&r, "POST", "/reset", "{\"seed\":\"demo\"}");
	assert_int_equal(r.status, 200);
	sandbox_reply_dispose(&r);
	j = bc_json("GET", "/v3/catalog/variants?sku:in=TEE-RED-M,CAP-BLK",
		    NULL, 200);
	assert_int_equal(json_array_size(json_object_get(j, "data")), 2);
	json_decref(j);
	j = bc_json("GET", "/v2/orders", NULL, 200);
	assert_true(json_array_size(j) >= 3);
	json_decref(j);
}

/* ---- refunds: quote, refund, refusals -------------------------------- */

/* POST a refund body to order id's payment_actions/<what>; the status. */
static long
refund_post(long long id, const char *what, const char *body, json_t **out)
{
	sandbox_reply r;
	char path[128];
	long status;

	snprintf(path, sizeof(path), "/v3/orders/%lld/payment_actions/%s", id,
		 what);
	status = bc(&r, "POST", path, body);
	if (out != NULL)
		*out = parse(&r);
	sandbox_reply_dispose(&r);
	return status;
}

static void
test_bc__refund_quote_refund_and_refusals(void **state)
{
	long long id, line, addr;
	char body[512], path[96];
	json_t *j, *d, *o;

	(void)state;
	/* 2 mugs at 10.00 + 10% tax, shipping 5.00 + 10% */
	id = place("\"lines\":[{\"sku\":\"MUG-1\",\"quantity\":2}],"
		   "\"tax_rate\":\"0.1\",\"shipping_cost\":\"5.00\"");
	snprintf(path, sizeof(path), "/bigcommerce/orders/%lld", id);
	j = control_json("GET", path, NULL, 200);
	line = jint(json_array_get(json_object_get(j, "products"), 0), "id");
	addr = jint(json_array_get(json_object_get(j, "shipping_addresses"), 0),
		    "id");
	json_decref(j);

	/* a quote: one mug and half the shipping, with their tax */
	snprintf(body, sizeof(body),
		 "{\"items\":[{\"item_type\":\"PRODUCT\",\"item_id\":%lld,"
		 "\"quantity\":1},{\"item_type\":\"SHIPPING\",\"item_id\":"
		 "%lld,\"amount\":2.75}]}",
		 line, addr);
	assert_int_equal(refund_post(id, "refund_quotes", body, &j), 201);
	d = json_object_get(j, "data");
	assert_true(
		json_number_value(json_object_get(d, "total_refund_amount")) >
			13.74 &&
		json_number_value(json_object_get(d, "total_refund_amount")) <
			13.76);
	assert_true(json_number_value(json_object_get(
			    d, "total_refund_tax_amount")) > 1.24 &&
		    json_number_value(json_object_get(
			    d, "total_refund_tax_amount")) < 1.26);
	assert_true(json_array_size(json_object_get(d, "refund_methods")) > 0);
	json_decref(j);

	/* refusals, each 422 and changing nothing */
	snprintf(body, sizeof(body),
		 "{\"items\":[{\"item_type\":\"PRODUCT\",\"item_id\":%lld,"
		 "\"quantity\":3}]}",
		 line); /* more than bought */
	assert_int_equal(refund_post(id, "refund_quotes", body, NULL), 422);
	snprintf(body, sizeof(body),
		 "{\"items\":[{\"item_type\":\"PRODUCT\",\"item_id\":999999,"
		 "\"quantity\":1}]}"); /* not a line of the order */
	assert_int_equal(refund_post(id, "refunds", body, NULL), 422);
	snprintf(body, sizeof(body),
		 "{\"items\":[{\"item_type\":\"SHIPPING\",\"item_id\":%lld,"
		 "\"amount\":6.00}]}",
		 addr); /* more than the shipping cost 5.50 */
	assert_int_equal(refund_post(id, "refund_quotes", body, NULL), 422);
	snprintf(body, sizeof(body),
		 "{\"items\":[{\"item_type\":\"ORDER\",\"item_id\":%lld,"
		 "\"amount\":1}]}",
		 id + 1000); /* ORDER names another order */
	assert_int_equal(refund_post(id, "refund_quotes", body, NULL), 422);
	snprintf(body, sizeof(body),
		 "{\"items\":[{\"item_type\":\"FEE\",\"item_id\":1,"
		 "\"amount\":1}]}");
	assert_int_equal(refund_post(id, "refund_quotes", body, NULL), 422);
	snprintf(body, sizeof(body),
		 "{\"items\":[{\"item_type\":\"PRODUCT\",\"item_id\":%lld,"
		 "\"quantity\":1}],\"payments\":[{\"provider_id\":"
		 "\"storecredit\",\"amount\":5.00,\"offline\":false}]}",
		 line); /* payments do not add up to the 11.00 */
	assert_int_equal(refund_post(id, "refunds", body, NULL), 422);
	j = control_json("GET", path, NULL, 200);
	assert_string_equal(
		jstr(json_object_get(j, "order"), "refunded_amount"), "0.0000");
	assert_int_equal(json_array_size(json_object_get(j, "refunds")), 0);
	json_decref(j);

	/* the refund: 11.00 for a mug, 2.75 of shipping */
	snprintf(body, sizeof(body),
		 "{\"items\":[{\"item_type\":\"PRODUCT\",\"item_id\":%lld,"
		 "\"quantity\":1},{\"item_type\":\"SHIPPING\",\"item_id\":"
		 "%lld,\"amount\":2.75}],\"payments\":[{\"provider_id\":"
		 "\"storecredit\",\"amount\":13.75,\"offline\":false}]}",
		 line, addr);
	assert_int_equal(refund_post(id, "refunds", body, &j), 201);
	d = json_object_get(j, "data");
	assert_true(jint(d, "id") > 0);
	assert_int_equal(json_array_size(json_object_get(d, "items")), 2);
	assert_string_equal(
		jstr(json_array_get(json_object_get(d, "payments"), 0),
		     "provider_id"),
		"storecredit");
	json_decref(j);
	j = control_json("GET", path, NULL, 200);
	o = json_object_get(j, "order");
	assert_string_equal(jstr(o, "refunded_amount"), "13.7500");
	assert_int_equal(jint(o, "status_id"), 14);
	assert_int_equal(jint(json_array_get(json_object_get(j, "products"), 0),
			      "quantity_refunded"),
			 1);
	json_decref(j);
	/* what is left: one mug, 2.75 of shipping; 3.00 more is refused */
	snprintf(body, sizeof(body),
		 "{\"items\":[{\"item_type\":\"SHIPPING\",\"item_id\":%lld,"
		 "\"amount\":3.00}]}",
		 addr);
	assert_int_equal(refund_post(id, "refund_quotes", body, NULL), 422);
	/* the listing across orders by creation time */
	j = bc_json("GET",
		    "/v3/orders/payment_actions/refunds?created:min="
		    "2000-01-01T00%3A00%3A00Z",
		    NULL, 200);
	assert_int_equal(json_array_size(json_object_get(j, "data")), 1);
	json_decref(j);
	j = bc_json("GET",
		    "/v3/orders/payment_actions/refunds?created:min="
		    "2999-01-01T00%3A00%3A00Z",
		    NULL, 200);
	assert_int_equal(json_array_size(json_object_get(j, "data")), 0);
	json_decref(j);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_bc__401_bodies_and_unknown_store,
				       reset),
		cmocka_unit_test_setup(test_bc__v2_empty_list_is_204, reset),
		cmocka_unit_test_setup(test_bc__v2_paging_money_and_dates,
				       reset),
		cmocka_unit_test_setup(test_bc__v2_date_filters, reset),
		cmocka_unit_test_setup(
			test_bc__v2_order_update_status_and_notes, reset),
		cmocka_unit_test_setup(test_bc__partial_then_full_shipment,
				       reset),
		cmocka_unit_test_setup(test_bc__v3_envelopes_and_errors, reset),
		cmocka_unit_test_setup(test_bc__inventory_adjustments, reset),
		cmocka_unit_test_setup(test_bc__customers_email_in, reset),
		cmocka_unit_test_setup(test_bc__quota_headers_and_429, reset),
		cmocka_unit_test_setup(
			test_bc__injected_429_has_no_quota_headers, reset),
		cmocka_unit_test(test_bc__quota_options),
		cmocka_unit_test_setup(
			test_bc__webhook_thin_payload_with_custom_headers,
			reset),
		cmocka_unit_test_setup(
			test_bc__webhook_retried_then_deactivated, reset),
		cmocka_unit_test_setup(test_bc__webhook_retry_then_success,
				       reset),
		cmocka_unit_test_setup(test_bc__control_places_orders, reset),
		cmocka_unit_test_setup(test_bc__demo_seed, reset),
		cmocka_unit_test_setup(
			test_bc__refund_quote_refund_and_refusals, reset),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
