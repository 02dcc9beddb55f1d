/*
 * test_dsco_client.c - the DSCO connector against scripted replies over
 * loopback (tests/support/mock_server.h), through the real HTTP client
 * with a fake clock: the token (form body, refresh before expiry and
 * once on a 401, the static token), the retry rules, order pages by
 * scrollId, the order reader on a real-looking order, the bodies of
 * shipments, inventory, invoices and cancellations, change-log
 * follow-up, and error details without secrets.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "internal.h"
#include "mock_server.h"
#include "platforms/connector.h"
#include "platforms/dsco/rate_int.h"
#include "pearlsync/dsco.h"
#include "pearlsync/log.h"

#define CLIENT_ID "cid-42"
#define SECRET "s3cr+t&x=SECRET"
#define SECRET_ENC "s3cr%2Bt%26x%3DSECRET"
#define LEGACY "legacy-TOKEN-987"
/* 2026-12-03T12:00:00Z */
#define T0 1796299200000LL

#define JSON_HDR "Content-Type: application/json\n"
#define TOKEN_REPLY(t)                                                         \
	"{\"access_token\":\"" t "\",\"token_type\":\"Bearer\","               \
	"\"expires_in\":3600}"

typedef struct fixture {
	mock_server *m;
	mock_clock clk;
	mock_random rnd;
	mock_clock wall;
	ps_http *h;
	ps_dsco *d;
	char base[128];
	int64_t now; /* the connector's wall clock, unix ms */
	int64_t slept;
	int nsleeps;
	int saves;
} fixture;

static const uint64_t fixed_random[] = {0};

static int64_t
fake_now(void *ctx)
{
	return ((fixture *)ctx)->now;
}

static void
fake_sleep(void *ctx, int64_t ms)
{
	fixture *f = ctx;

	f->slept += ms;
	f->nsleeps++;
	f->now += ms;
}

static int
count_save(void *ctx, const char *token, int64_t expires_at)
{
	fixture *f = ctx;

	assert_non_null(token);
	assert_true(expires_at > f->now);
	f->saves++;
	return 0;
}

static void
open_dsco(fixture *f, ps_dsco_auth auth)
{
	ps_dsco_options o = PS_DSCO_OPTIONS_INIT;

	ps_dsco_free(f->d);
	f->d = NULL;
	o.base_url = f->base;
	o.auth = auth;
	if (auth == PS_DSCO_AUTH_CLIENT_CREDENTIALS) {
		o.client_id = CLIENT_ID;
		o.client_secret = SECRET;
	} else {
		o.access_token = LEGACY;
	}
	o.now = fake_now;
	o.now_ctx = f;
	o.sleep = fake_sleep;
	o.sleep_ctx = f;
	o.save = count_save;
	o.save_ctx = f;
	o.orders_per_page = 50;
	assert_int_equal(ps_dsco_new(&f->d, f->h, &o), 0);
}

static int
setup(void **state)
{
	ps_http_options o = PS_HTTP_OPTIONS_INIT;
	fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	assert_int_equal(mock_server_start(&f->m, NULL), 0);
	mock_clock_init(&f->clk, f->m, 1000000);
	mock_random_init(&f->rnd, fixed_random, 1);
	mock_clock_init(&f->wall, NULL, T0);
	o.connect_timeout_ms = 2000;
	o.total_timeout_ms = 5000;
	o.max_attempts = 4;
	o.backoff_base_ms = 100;
	o.backoff_cap_ms = 1000;
	o.clock = &f->clk.clock;
	o.random = &f->rnd.random;
	o.wall = &f->wall.clock;
	o.breaker_threshold = 0;
	assert_int_equal(ps_http_new(&f->h, &o), 0);
	snprintf(f->base, sizeof(f->base), "%s/api/v3", mock_server_url(f->m));
	f->now = T0;
	open_dsco(f, PS_DSCO_AUTH_CLIENT_CREDENTIALS);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	fixture *f = *state;

	ps_dsco_free(f->d);
	ps_http_free(f->h);
	mock_server_stop(f->m);
	free(f);
	return 0;
}

static const mock_request *
req(fixture *f, size_t i)
{
	assert_true(i < mock_server_request_count(f->m));
	return mock_server_request(f->m, i);
}

/* The request body of request i parsed (new reference). */
static json_t *
req_json(fixture *f, size_t i)
{
	json_error_t e;
	json_t *j = json_loads(req(f, i)->body, 0, &e);

	if (j == NULL)
		fail_msg("request %zu body is not JSON: %s", i, e.text);
	return j;
}

static void
assert_json_equal(json_t *got, const char *want_text)
{
	json_error_t e;
	json_t *want = json_loads(want_text, 0, &e);

	if (want == NULL)
		fail_msg("expected JSON does not parse: %s", e.text);
	if (!json_equal(got, want)) {
		char *g = json_dumps(got, JSON_SORT_KEYS | JSON_COMPACT);
		char *w = json_dumps(want, JSON_SORT_KEYS | JSON_COMPACT);

		print_error("got  %s\nwant %s\n", g, w);
		free(g);
		free(w);
		fail();
	}
	json_decref(want);
	json_decref(got);
}

static void
reply_json(fixture *f, int status, const char *body)
{
	mock_server_reply(f->m, status, JSON_HDR, body);
}

static void
assert_no_secret(const char *s)
{
	assert_null(strstr(s, SECRET));
	assert_null(strstr(s, "SECRET"));
	assert_null(strstr(s, "at-1"));
	assert_null(strstr(s, LEGACY));
}

/* ---- token ----------------------------------------------------------------
 */

static void
test_dsco__token_form_body_and_bearer(void **state)
{
	fixture *f = *state;
	const mock_request *q;
	char *name = NULL;

	reply_json(f, 200, TOKEN_REPLY("at-1"));
	reply_json(f, 200, "{\"hello\":\"World!\"}");
	assert_int_equal(ps_dsco_check_connection(&name, f->d), 0);
	assert_string_equal(name, "client " CLIENT_ID);
	free(name);
	assert_int_equal(mock_server_request_count(f->m), 2);

	q = req(f, 0);
	assert_string_equal(q->method, "POST");
	assert_string_equal(q->path, "/api/v3/oauth2/token");
	assert_string_equal(q->body, "grant_type=client_credentials&client_id="
				     "cid-42&client_secret=" SECRET_ENC);
	assert_string_equal(mock_request_header(q, "Content-Type"),
			    "application/x-www-form-urlencoded");
	assert_null(mock_request_header(q, "Authorization"));

	q = req(f, 1);
	assert_string_equal(q->method, "GET");
	assert_string_equal(q->path, "/api/v3/hello");
	assert_string_equal(mock_request_header(q, "Authorization"),
			    "Bearer at-1");
	assert_string_equal(mock_request_header(q, "Accept"),
			    "application/json");
	assert_int_equal(f->saves, 1);
}

static void
test_dsco__token_refreshed_60s_before_expiry(void **state)
{
	fixture *f = *state;
	char *name = NULL;

	reply_json(f, 200, TOKEN_REPLY("at-1"));
	reply_json(f, 200, "{\"hello\":\"World!\"}");
	assert_int_equal(ps_dsco_check_connection(&name, f->d), 0);
	free(name);

	/* 61 s before expiry: the token is still used */
	f->now = T0 + 3600 * 1000 - 61000;
	reply_json(f, 200, "{\"hello\":\"World!\"}");
	assert_int_equal(ps_dsco_check_connection(&name, f->d), 0);
	free(name);
	assert_int_equal(mock_server_request_count(f->m), 3);

	/* 59 s before expiry: a new one first */
	f->now = T0 + 3600 * 1000 - 59000;
	reply_json(f, 200, TOKEN_REPLY("at-2"));
	reply_json(f, 200, "{\"hello\":\"World!\"}");
	assert_int_equal(ps_dsco_check_connection(&name, f->d), 0);
	free(name);
	assert_int_equal(mock_server_request_count(f->m), 5);
	assert_string_equal(req(f, 3)->path, "/api/v3/oauth2/token");
	assert_string_equal(mock_request_header(req(f, 4), "Authorization"),
			    "Bearer at-2");
	assert_int_equal(f->saves, 2);
}

static void
test_dsco__token_refreshed_once_on_401(void **state)
{
	fixture *f = *state;
	char *name = NULL;

	reply_json(f, 200, TOKEN_REPLY("at-1"));
	reply_json(f, 401, "{\"message\":\"Unauthorized\"}");
	reply_json(f, 200, TOKEN_REPLY("at-2"));
	reply_json(f, 200, "{\"hello\":\"World!\"}");
	assert_int_equal(ps_dsco_check_connection(&name, f->d), 0);
	free(name);
	assert_int_equal(mock_server_request_count(f->m), 4);
	assert_string_equal(req(f, 2)->path, "/api/v3/oauth2/token");
	assert_string_equal(mock_request_header(req(f, 3), "Authorization"),
			    "Bearer at-2");

	/* refused again after the new token: no second refresh */
	mock_server_clear(f->m);
	reply_json(f, 401, "{\"message\":\"Unauthorized\"}");
	reply_json(f, 200, TOKEN_REPLY("at-3"));
	reply_json(f, 401, "{\"message\":\"Unauthorized\"}");
	reply_json(f, 200, TOKEN_REPLY("at-4"));
	assert_int_equal(ps_dsco_check_connection(&name, f->d), PS_EAUTH);
	assert_null(name);
	assert_int_equal(mock_server_request_count(f->m), 3);
	assert_non_null(strstr(ps_error_last(), "DSCO"));
	assert_non_null(strstr(ps_error_last(), "401"));
	assert_no_secret(ps_error_last());
}

static void
test_dsco__token_refused_names_client_not_secret(void **state)
{
	fixture *f = *state;
	char *name = NULL;

	reply_json(f, 401,
		   "{\"error\":\"invalid_client\",\"error_description\""
		   ":\"bad credentials for " SECRET "\"}");
	assert_int_equal(ps_dsco_check_connection(&name, f->d), PS_EAUTH);
	assert_int_equal(mock_server_request_count(f->m), 1);
	assert_non_null(strstr(ps_error_last(), "invalid_client"));
	assert_non_null(strstr(ps_error_last(), CLIENT_ID));
	assert_no_secret(ps_error_last());
}

static void
test_dsco__static_token(void **state)
{
	fixture *f = *state;
	char *name = NULL;

	open_dsco(f, PS_DSCO_AUTH_STATIC_TOKEN);
	reply_json(f, 200, "{\"hello\":\"World!\"}");
	assert_int_equal(ps_dsco_check_connection(&name, f->d), 0);
	assert_string_equal(name, "static token");
	free(name);
	assert_int_equal(mock_server_request_count(f->m), 1);
	assert_string_equal(mock_request_header(req(f, 0), "Authorization"),
			    "Bearer " LEGACY);

	/* a refused static token is final: nothing to refresh */
	reply_json(f, 401, "{\"message\":\"Unauthorized\"}");
	assert_int_equal(ps_dsco_check_connection(&name, f->d), PS_EAUTH);
	assert_int_equal(mock_server_request_count(f->m), 2);
	assert_non_null(strstr(ps_error_last(), "dsco.token"));
	assert_no_secret(ps_error_last());
	assert_int_equal(ps_dsco_token_refresh(f->d), PS_ESETTING);
}

static void
test_dsco__new_refuses_missing_settings(void **state)
{
	fixture *f = *state;
	ps_dsco_options o = PS_DSCO_OPTIONS_INIT;
	ps_dsco *d = (ps_dsco *)f;

	o.base_url = f->base;
	o.client_id = CLIENT_ID;
	assert_int_equal(ps_dsco_new(&d, f->h, &o), PS_ESETTING);
	assert_null(d);
	assert_non_null(strstr(ps_error_last(), "dsco.client_secret"));
	o.auth = PS_DSCO_AUTH_STATIC_TOKEN;
	assert_int_equal(ps_dsco_new(&d, f->h, &o), PS_ESETTING);
	assert_non_null(strstr(ps_error_last(), "dsco.token"));
}

/* ---- retries --------------------------------------------------------------
 */

static void
token_first(fixture *f)
{
	reply_json(f, 200, TOKEN_REPLY("at-1"));
}

static void
test_dsco__retry_rules(void **state)
{
	fixture *f = *state;
	char *name = NULL;

	/* 503 then 200: retried by the client */
	token_first(f);
	reply_json(f, 503, "{\"message\":\"busy\"}");
	reply_json(f, 200, "{\"hello\":\"World!\"}");
	assert_int_equal(ps_dsco_check_connection(&name, f->d), 0);
	free(name);
	name = NULL;
	assert_int_equal(mock_server_request_count(f->m), 3);

	/* 400: never retried */
	mock_server_clear(f->m);
	reply_json(f, 400,
		   "{\"status\":\"failure\",\"messages\":[{\"code\":"
		   "\"BAD\",\"severity\":\"error\",\"description\":"
		   "\"nope\"}]}");
	assert_int_equal(ps_dsco_check_connection(&name, f->d), PS_EDATA);
	assert_int_equal(mock_server_request_count(f->m), 1);
	assert_non_null(strstr(ps_error_last(), "BAD: nope"));

	/* 429 with Retry-After: waited as asked, then retried */
	mock_server_clear(f->m);
	mock_server_reply(f->m, 429, JSON_HDR "Retry-After: 2\n",
			  "{\"message\":\"Too Many Requests\"}");
	reply_json(f, 200, "{\"hello\":\"World!\"}");
	memset(f->clk.waits, 0, sizeof(f->clk.waits));
	assert_int_equal(ps_dsco_check_connection(&name, f->d), 0);
	free(name);
	name = NULL;
	assert_int_equal(mock_server_request_count(f->m), 2);
	assert_true(f->clk.waits[1] >= 2000);

	/* 408: sent again by the connector after its backoff */
	mock_server_clear(f->m);
	reply_json(f, 408, "{\"message\":\"Request Timeout\"}");
	reply_json(f, 408, "{\"message\":\"Request Timeout\"}");
	reply_json(f, 200, "{\"hello\":\"World!\"}");
	f->slept = 0;
	assert_int_equal(ps_dsco_check_connection(&name, f->d), 0);
	free(name);
	name = NULL;
	assert_int_equal(mock_server_request_count(f->m), 3);
	assert_int_equal(f->slept, 1000 + 2000);

	/* 408 every time: gives up after PS_DSCO_RETRY_MAX attempts */
	mock_server_clear(f->m);
	{
		int i;

		for (i = 0; i < PS_DSCO_RETRY_MAX + 2; i++)
			reply_json(f, 408, "{\"message\":\"Request Timeout\"}");
	}
	assert_int_equal(ps_dsco_check_connection(&name, f->d), PS_EDATA);
	assert_int_equal(mock_server_request_count(f->m), PS_DSCO_RETRY_MAX);
}

/* ---- orders ---------------------------------------------------------------
 */

/* The real order shape (reference digest §4.4), with extra fields. */
static const char real_order[] =
	"{\"dscoOrderId\":\"1022178919\",\"poNumber\":\"BOX.75546037."
	"69931481\","
	"\"consumerOrderNumber\":\"C-889\",\"dscoLifecycle\":\"acknowledged\","
	"\"dscoStatus\":\"shipment_pending\",\"orderType\":\"dropship\","
	"\"testFlag\":false,\"currencyCode\":\"USD\","
	"\"dscoRetailerId\":\"1000012345\",\"dscoTradingPartnerId\":null,"
	"\"dscoTradingPartnerName\":null,"
	"\"dscoCreateDate\":\"2025-11-06T23:02:30+00:00\","
	"\"dscoLastUpdate\":\"2025-11-07T01:15:00.250Z\","
	"\"shipByDate\":\"2025-11-10T00:00:00-05:00\","
	"\"requestedShipCarrier\":\"Generic\",\"requestedShipMethod\":"
	"\"Ground\",\"requestedShippingServiceLevelCode\":\"GCG\","
	"\"shipCarrier\":\"USPS\",\"shipMethod\":\"Ground Advantage\","
	"\"shippingServiceLevelCode\":\"USGA\","
	"\"shipWarehouseCode\":\"WH01\",\"cancelRequested\":false,"
	"\"shipping\":{\"firstName\":\"Ada\",\"lastName\":\"Lovelace\","
	"\"address1\":\"12 Analytical Way\",\"address\":[\"12 Analytical Way\","
	"\"Apt 3\"],\"city\":\"Austin\",\"state\":\"TX\",\"region\":\"TX\","
	"\"postal\":\"78701\",\"country\":\"US\",\"phone\":\"555-0100\","
	"\"email\":null,\"addressType\":\"residential\"},"
	"\"billTo\":{},\"buyer\":null,\"customer\":null,"
	"\"futureField\":{\"nested\":[1,2,3]},"
	"\"lineItems\":[{\"lineNumber\":1,\"quantity\":2,"
	"\"sku\":\"JAX-FA-076-DS\",\"partnerSku\":\"JAX-FA-076-DS\","
	"\"dscoItemId\":\"1296623843\",\"expectedCost\":7.7,"
	"\"consumerPrice\":21,\"title\":\"Faux fern\",\"status\":\"accepted\","
	"\"acceptedQuantity\":2,\"cancelledQuantity\":0,\"rejectedQuantity\":0,"
	"\"retailerLineId\":\"202413999\",\"retailerItemIds\":[\"2504BD1DD\"],"
	"\"activity\":[{\"action\":\"accept\",\"quantity\":2}]},"
	"{\"lineNumber\":2,\"quantity\":1,\"sku\":\"JAX-FA-085-DS\","
	"\"dscoItemId\":1296623850,\"expectedCost\":12.25,\"status\":"
	"\"cancelled\",\"cancelledQuantity\":1,\"remainingQuantity\":0,"
	"\"cancelRequested\":true,\"cancelRequestedCode\":\"CXRR\","
	"\"cancelCode\":\"CXSS\",\"warehouseCode\":\"WH02\"}],"
	"\"packages\":[{\"trackingNumber\":\"9400150899562158461951\","
	"\"shipCarrier\":\"USPS\",\"shipMethod\":\"Ground Advantage\","
	"\"shippingServiceLevelCode\":\"USGA\",\"shipDate\":"
	"\"2025-11-11T22:38:59Z\",\"tracking_url\":\"https://t.example/9400\","
	"\"shipWeightUnits\":\"LB\",\"dscoPackageId\":77,"
	"\"items\":[{\"lineNumber\":1,\"sku\":\"JAX-FA-076-DS\",\"quantity\":2,"
	"\"originalOrderQuantity\":2}]}]}";

static void
test_dsco__order_parse_real_shape(void **state)
{
	fixture *f = *state;
	ps_dsco_order o;
	const ps_dsco_order_line *l;
	int64_t ms;

	token_first(f);
	reply_json(f, 200, real_order);
	assert_int_equal(ps_dsco_order_get(&o, f->d, PS_DSCO_KEY_DSCO_ORDER_ID,
					   "1022178919"),
			 0);
	assert_string_equal(req(f, 1)->path, "/api/v3/order/");
	assert_string_equal(req(f, 1)->query,
			    "orderKey=dscoOrderId&value=1022178919");

	assert_string_equal(o.dsco_order_id, "1022178919");
	assert_string_equal(o.po_number, "BOX.75546037.69931481");
	assert_string_equal(o.consumer_order_number, "C-889");
	assert_null(o.supplier_order_number);
	assert_int_equal(o.lifecycle, PS_DSCO_LIFECYCLE_ACKNOWLEDGED);
	assert_int_equal(o.status, PS_DSCO_STATUS_SHIPMENT_PENDING);
	assert_string_equal(o.order_type, "dropship");
	assert_int_equal(o.test, 0);
	assert_int_equal(o.cancel_requested, 0);
	assert_string_equal(o.currency, "USD");
	assert_null(o.trading_partner_name);
	assert_int_equal(ps_dsco_date_parse(&ms, "2025-11-06T23:02:30Z"), 0);
	assert_int_equal(o.created, ms);
	assert_int_equal(o.last_update,
			 ms + (2 * 3600 + 12 * 60 + 30) * 1000LL + 250);
	assert_int_equal(ps_dsco_date_parse(&ms, "2025-11-10T05:00:00Z"), 0);
	assert_int_equal(o.ship_by, ms);
	assert_string_equal(o.requested_service_level, "GCG");
	assert_string_equal(o.ship_service_level, "USGA");
	assert_string_equal(o.ship_carrier, "USPS");
	assert_string_equal(o.ship_warehouse_code, "WH01");
	assert_string_equal(o.shipping.name, "Ada Lovelace");
	assert_string_equal(o.shipping.address1, "12 Analytical Way");
	assert_string_equal(o.shipping.address2, "Apt 3");
	assert_string_equal(o.shipping.region, "TX");
	assert_string_equal(o.shipping.postal, "78701");
	assert_null(o.shipping.email);

	assert_int_equal(o.nlines, 2);
	l = &o.lines[0];
	assert_int_equal(l->line_number, 1);
	assert_int_equal(l->quantity, 2);
	assert_string_equal(l->sku, "JAX-FA-076-DS");
	assert_string_equal(l->dsco_item_id, "1296623843");
	assert_int_equal(l->expected_cost, 77000);
	assert_int_equal(l->consumer_price, 210000);
	assert_int_equal(l->status, PS_DSCO_LINE_ACCEPTED);
	assert_int_equal(l->accepted_quantity, 2);
	assert_int_equal(l->remaining_quantity, -1);
	l = &o.lines[1];
	assert_string_equal(l->dsco_item_id, "1296623850"); /* a number */
	assert_int_equal(l->status, PS_DSCO_LINE_CANCELLED);
	assert_int_equal(l->cancelled_quantity, 1);
	assert_int_equal(l->remaining_quantity, 0);
	assert_int_equal(l->cancel_requested, 1);
	assert_string_equal(l->cancel_requested_code, "CXRR");
	assert_string_equal(l->cancel_code, "CXSS");
	assert_string_equal(l->warehouse_code, "WH02");

	assert_int_equal(o.npackages, 1);
	assert_string_equal(o.packages[0].tracking_number,
			    "9400150899562158461951");
	assert_string_equal(o.packages[0].tracking_url,
			    "https://t.example/9400");
	assert_string_equal(o.packages[0].service_level, "USGA");
	assert_int_equal(o.packages[0].nitems, 1);
	assert_int_equal(o.packages[0].items[0].quantity, 2);
	assert_int_equal(o.packages[0].items[0].line_number, 1);
	ps_dsco_order_dispose(&o);

	/* not found */
	mock_server_reply(f->m, 404, JSON_HDR, "{\"message\":\"Not Found\"}");
	assert_int_equal(
		ps_dsco_order_get(&o, f->d, PS_DSCO_KEY_PO_NUMBER, "PO 1&2"),
		PS_ENOTFOUND);
	assert_string_equal(req(f, 2)->query,
			    "orderKey=poNumber&value=PO%201%262");
}

static int
collect(void *ctx, const ps_dsco_order *o)
{
	ps_conn_buf *b = ctx;

	ps_conn__buf_add(b, o->dsco_order_id);
	ps_conn__buf_add(b, ",");
	return 0;
}

/* A minimal order with id id. */
static char *
order_json(const char *id)
{
	char *s = malloc(400);

	assert_non_null(s);
	snprintf(s, 400,
		 "{\"dscoOrderId\":\"%s\",\"poNumber\":\"PO-%s\","
		 "\"shipping\":{\"name\":\"X\",\"city\":\"C\",\"region\":\"R\","
		 "\"postal\":\"1\"},\"lineItems\":[{\"quantity\":1,\"sku\":"
		 "\"S\"}]}",
		 id, id);
	return s;
}

static void
test_dsco__orders_paged_by_scroll_id(void **state)
{
	fixture *f = *state;
	ps_dsco_order_query q = {0};
	ps_conn_buf b = PS_CONN_BUF_INIT(0);
	char page[2048], *o1 = order_json("1"), *o2 = order_json("2"),
			 *o3 = order_json("3");
	const char *query;
	int more = -1;
	int64_t until = 0;

	token_first(f);
	snprintf(page, sizeof(page),
		 "{\"scrollId\":\"s/1+\",\"orders\":[%s,%s]}", o1, o2);
	reply_json(f, 200, page);
	snprintf(page, sizeof(page), "{\"scrollId\":\"s2\",\"orders\":[%s]}",
		 o3);
	reply_json(f, 200, page);
	reply_json(f, 200, "{\"scrollId\":\"s3\",\"orders\":[]}");

	q.window = PS_DSCO_WINDOW_UPDATED;
	q.since = T0 - 3600 * 1000;
	q.until = T0; /* too late: DSCO wants 5 s in the past */
	q.statuses = PS_DSCO_STATUS_BIT(PS_DSCO_STATUS_CREATED) |
		     PS_DSCO_STATUS_BIT(PS_DSCO_STATUS_SHIPMENT_PENDING);
	assert_int_equal(
		ps_dsco_orders_foreach(&more, &until, f->d, &q, 0, collect, &b),
		0);
	assert_string_equal(ps_conn__buf_str(&b), "1,2,3,");
	assert_int_equal(more, 0);
	assert_int_equal(until, T0 - 5000);
	assert_int_equal(mock_server_request_count(f->m), 4);
	query = req(f, 1)->query;
	assert_string_equal(req(f, 1)->path, "/api/v3/order/page");
	assert_string_equal(query,
			    "ordersUpdatedSince=2026-12-03T11%3A00%3A00.000Z"
			    "&until=2026-12-03T11%3A59%3A55.000Z"
			    "&status=created&status=shipment_pending"
			    "&ordersPerPage=50");
	assert_string_equal(req(f, 2)->query, "scrollId=s%2F1%2B");
	assert_string_equal(req(f, 3)->query, "scrollId=s2");
	ps_conn__buf_dispose(&b);

	/* a cap stops early and says there is more; one page read */
	mock_server_clear(f->m);
	snprintf(page, sizeof(page), "{\"scrollId\":\"s1\",\"orders\":[%s,%s]}",
		 o1, o2);
	reply_json(f, 200, page);
	{
		ps_dsco_order_list l;

		q.window = PS_DSCO_WINDOW_CREATED;
		q.until = 0;
		assert_int_equal(ps_dsco_orders_list(&l, NULL, f->d, &q, 2), 0);
		assert_int_equal(l.count, 2);
		assert_int_equal(l.more, 1);
		assert_string_equal(l.items[1].dsco_order_id, "2");
		assert_int_equal(mock_server_request_count(f->m), 1);
		assert_non_null(
			strstr(req(f, 0)->query, "ordersCreatedSince="));
		ps_dsco_order_list_dispose(&l);
	}
	free(o1);
	free(o2);
	free(o3);
}

static void
test_dsco__order_page_with_bad_order_names_it(void **state)
{
	fixture *f = *state;
	ps_dsco_order_query q = {0};
	ps_dsco_order_list l;

	token_first(f);
	reply_json(f, 200,
		   "{\"orders\":[{\"dscoOrderId\":\"555\","
		   "\"poNumber\":\"P\",\"lineItems\":[]}]}");
	q.since = T0 - 60000;
	assert_int_equal(ps_dsco_orders_list(&l, NULL, f->d, &q, 0), PS_EDATA);
	assert_non_null(strstr(ps_error_last(), "DSCO order 555"));
	assert_null(l.items);
}

/* ---- writes ---------------------------------------------------------------
 */

static void
test_dsco__shipment_body(void **state)
{
	fixture *f = *state;
	const ps_dsco_ship_line lines[] = {{1, "JAX-FA-076-DS", NULL, NULL, 1},
					   {0, NULL, NULL, "1296623850", 2}};
	ps_dsco_ship_package pkg = {0};
	ps_dsco_shipment s = {
		{"1022178919", "BOX.75546037.69931481", NULL}, &pkg, 1};
	int64_t shipped;

	assert_int_equal(ps_dsco_date_parse(&shipped, "2025-11-11T22:38:59Z"),
			 0);
	pkg.tracking_number = "9400150899562158461951";
	pkg.ship_date = shipped;
	pkg.carrier = "USPS";
	pkg.method = "Ground Advantage";
	pkg.service_level = "USGA";
	pkg.warehouse_code = "WH01";
	pkg.ship_cost = 42500;
	pkg.has_ship_cost = 1;
	pkg.lines = lines;
	pkg.nlines = 2;

	token_first(f);
	reply_json(f, 201, "{\"success\":true}");
	assert_int_equal(ps_dsco_shipment_send(f->d, &s), 0);
	assert_string_equal(req(f, 1)->method, "POST");
	assert_string_equal(req(f, 1)->path, "/api/v3/order/singleShipment");
	assert_string_equal(mock_request_header(req(f, 1), "Content-Type"),
			    "application/json");
	assert_json_equal(
		req_json(f, 1),
		"{\"dscoOrderId\":\"1022178919\",\"poNumber\":"
		"\"BOX.75546037.69931481\",\"shipments\":[{\"trackingNumber\":"
		"\"9400150899562158461951\",\"shipDate\":"
		"\"2025-11-11T22:38:59.000Z\",\"shipCarrier\":\"USPS\","
		"\"shipMethod\":\"Ground "
		"Advantage\",\"shippingServiceLevelCode\":"
		"\"USGA\",\"warehouseCode\":\"WH01\",\"shipCost\":4.25,"
		"\"lineItems\":[{\"lineNumber\":1,\"sku\":\"JAX-FA-076-DS\","
		"\"quantity\":1},{\"dscoItemId\":\"1296623850\",\"quantity\":2}"
		"]"
		"}]}");

	/* refused: the order and DSCO's messages in the detail */
	reply_json(f, 400,
		   "{\"status\":\"failure\",\"messages\":[{\"code\":"
		   "\"INVALID_SHIP_METHOD\",\"severity\":\"error\","
		   "\"description\":\"GCG is not a package code\"}]}");
	assert_int_equal(ps_dsco_shipment_send(f->d, &s), PS_EDATA);
	assert_non_null(strstr(ps_error_last(),
			       "DSCO order 1022178919: shipment refused: "
			       "INVALID_SHIP_METHOD: GCG is not a package "
			       "code"));
	assert_int_equal(mock_server_request_count(f->m), 3);

	/* a lost reply to a POST is not sent again (no retry of a 5xx
	 * after the budget is tested in test_http; here: 502 then 201) */
}

static void
test_dsco__acknowledge_and_follow(void **state)
{
	fixture *f = *state;
	ps_dsco_ack ack = {{"1022178919", NULL, NULL}, "SO-10045"};
	ps_dsco_outcome out;
	char *rid = NULL;

	token_first(f);
	reply_json(f, 202,
		   "{\"status\":\"pending\",\"requestId\":\"r-77\","
		   "\"eventDate\":\"2025-11-06T23:05:00Z\"}");
	assert_int_equal(ps_dsco_orders_acknowledge(&rid, f->d, &ack, 1), 0);
	assert_string_equal(rid, "r-77");
	assert_string_equal(req(f, 1)->path, "/api/v3/order/acknowledge");
	assert_json_equal(req_json(f, 1),
			  "[{\"id\":\"1022178919\",\"type\":\"DSCO_ORDER_ID\","
			  "\"supplierOrderNumber\":\"SO-10045\"}]");

	/* processing, then completed with a success */
	reply_json(f, 200, "{\"status\":\"PROCESSING\",\"logs\":[]}");
	reply_json(f, 200,
		   "{\"status\":\"COMPLETED\",\"logs\":[{\"payload\":"
		   "{\"id\":\"1022178919\"},\"status\":\"success\","
		   "\"requestId\":\"r-77\",\"results\":[]}]}");
	f->slept = 0;
	assert_int_equal(ps_dsco_request_follow(&out, f->d, PS_DSCO_LOG_ORDER,
						rid, NULL),
			 0);
	assert_int_equal(out.status, PS_DSCO_OUTCOME_SUCCESS);
	assert_string_equal(out.request_id, "r-77");
	assert_int_equal(f->slept, 1000);
	assert_string_equal(req(f, 2)->path, "/api/v3/order/log");
	assert_string_equal(req(f, 2)->query, "requestId=r-77");
	ps_dsco_outcome_dispose(&out);
	free(rid);
}

static void
test_dsco__follow_failure_and_timeout(void **state)
{
	fixture *f = *state;
	ps_dsco_follow_options fo = {500, 2000, 5000};
	ps_dsco_outcome out;
	int i;

	token_first(f);
	reply_json(f, 200,
		   "{\"status\":\"COMPLETED\",\"logs\":[{\"payload\":{"
		   "\"dscoOrderId\":\"1022178919\",\"shipments\":[]},"
		   "\"status\":\"failure\",\"results\":[{\"code\":"
		   "\"INVALID_SHIP_METHOD\",\"severity\":\"error\","
		   "\"description\":\"GCG is not a package code\"}]},"
		   "{\"payload\":{\"dscoOrderId\":\"1022178920\"},"
		   "\"status\":\"success\"}]}");
	assert_int_equal(ps_dsco_request_follow(&out, f->d, PS_DSCO_LOG_ORDER,
						"r-9", &fo),
			 PS_EDATA);
	assert_int_equal(out.status, PS_DSCO_OUTCOME_FAILURE);
	assert_string_equal(out.messages, "order 1022178919: "
					  "INVALID_SHIP_METHOD: GCG is not a "
					  "package code");
	assert_non_null(strstr(ps_error_last(), "DSCO request r-9: failed: "
						"order 1022178919"));
	ps_dsco_outcome_dispose(&out);

	/* never finishes: polled with doubling waits up to the total */
	mock_server_clear(f->m);
	for (i = 0; i < 10; i++)
		reply_json(f, 200, "{\"status\":\"PROCESSING\",\"logs\":[]}");
	f->slept = 0;
	f->nsleeps = 0;
	assert_int_equal(ps_dsco_request_follow(&out, f->d,
						PS_DSCO_LOG_INVENTORY, "r-10",
						&fo),
			 PS_ETIMEOUT);
	assert_int_equal(out.status, PS_DSCO_OUTCOME_PENDING);
	assert_int_equal(f->slept, 5000); /* 500+1000+2000+1500 */
	assert_int_equal(f->nsleeps, 4);
	assert_int_equal(mock_server_request_count(f->m), 5);
	assert_string_equal(req(f, 0)->path, "/api/v3/inventory/log");
	ps_dsco_outcome_dispose(&out);
}

static void
test_dsco__inventory_bodies(void **state)
{
	fixture *f = *state;
	const ps_dsco_stock_warehouse w1[] = {{"WH01", 40}, {"WH02", 5}};
	const ps_dsco_stock_warehouse w2[] = {{"WH01", 0}};
	const ps_dsco_stock_item items[] = {
		{"ABC123", PS_DSCO_STOCK_AUTO, w1, 2},
		{"ZERO-1", PS_DSCO_STOCK_AUTO, w2, 1},
		{"OLD-9", PS_DSCO_STOCK_DISCONTINUED, w2, 1}};
	char *rid = NULL;

	token_first(f);
	reply_json(f, 202, "{\"status\":\"pending\",\"requestId\":\"inv-1\"}");
	assert_int_equal(ps_dsco_inventory_batch(&rid, f->d, items, 3, 1), 0);
	assert_string_equal(rid, "inv-1");
	free(rid);
	assert_string_equal(req(f, 1)->path, "/api/v3/inventory/batch/small");
	assert_string_equal(req(f, 1)->query, "skipItemsThatDontExist=true");
	assert_json_equal(
		req_json(f, 1),
		"[{\"sku\":\"ABC123\",\"status\":\"in-stock\","
		"\"quantityAvailable\":45,\"warehouses\":[{\"code\":\"WH01\","
		"\"quantity\":40},{\"code\":\"WH02\",\"quantity\":5}]},"
		"{\"sku\":\"ZERO-1\",\"status\":\"out-of-stock\","
		"\"quantityAvailable\":0,\"warehouses\":[{\"code\":\"WH01\","
		"\"quantity\":0}]},"
		"{\"sku\":\"OLD-9\",\"status\":\"discontinued\","
		"\"quantityAvailable\":0,\"warehouses\":[{\"code\":\"WH01\","
		"\"quantity\":0}]}]");

	reply_json(f, 201, "{\"success\":true}");
	assert_int_equal(ps_dsco_inventory_send(f->d, &items[0]), 0);
	assert_string_equal(req(f, 2)->path, "/api/v3/inventory/singleItem");
	assert_null(req(f, 2)->query);

	/* a 202 saying failure is a refusal */
	reply_json(f, 202,
		   "{\"status\":\"failure\",\"requestId\":\"x\","
		   "\"messages\":[{\"code\":\"TOO_BIG\"}]}");
	assert_int_equal(ps_dsco_inventory_batch(&rid, f->d, items, 1, 0),
			 PS_EDATA);
	assert_null(rid);
	assert_null(req(f, 3)->query);
	assert_non_null(strstr(ps_error_last(), "TOO_BIG"));
}

static void
test_dsco__invoice_and_cancel_bodies(void **state)
{
	fixture *f = *state;
	const ps_dsco_invoice_line il[] = {{1, "JAX-FA-076-DS", 2, 77000}};
	const ps_dsco_cancel_line cl[] = {
		{2, "JAX-FA-085-DS", NULL, NULL, 1, "CXSS", "Out of stock"}};
	ps_dsco_invoice inv = {0};
	ps_dsco_cancel c = {{NULL, "BOX.1", NULL}, cl, 1};
	ps_dsco_outcome out;

	inv.invoice_id = "INV-20045";
	inv.order.po_number = "BOX.75546037.69931481";
	assert_int_equal(
		ps_dsco_date_parse(&inv.invoice_date, "2025-11-12T00:00:00Z"),
		0);
	inv.currency = "USD";
	inv.total = 196500;
	inv.subtotal = 154000;
	inv.freight = 42500;
	inv.tax = 0;
	inv.lines = il;
	inv.nlines = 1;
	inv.tracking_number = "9400";
	inv.carrier = "USPS";
	inv.warehouse_code = "WH01";

	token_first(f);
	reply_json(f, 201, "{\"success\":true}");
	assert_int_equal(ps_dsco_invoice_send(f->d, &inv), 0);
	assert_string_equal(req(f, 1)->path, "/api/v3/invoice");
	assert_json_equal(
		req_json(f, 1),
		"{\"invoiceId\":\"INV-20045\",\"poNumber\":"
		"\"BOX.75546037.69931481\",\"invoiceDate\":"
		"\"2025-11-12T00:00:00.000Z\",\"currencyCode\":\"USD\","
		"\"totalAmount\":19.65,\"lineItemsSubtotal\":15.4,"
		"\"freightAmount\":4.25,\"salesTaxAmount\":0.0,"
		"\"lineItems\":[{\"lineNumber\":1,\"sku\":\"JAX-FA-076-DS\","
		"\"quantity\":2,\"unitPrice\":7.7,\"extendedAmount\":15.4}],"
		"\"ship\":{\"trackingNumber\":\"9400\",\"carrier\":\"USPS\","
		"\"warehouseCode\":\"WH01\"}}");

	/* cancel answered at once */
	reply_json(f, 200, "{\"status\":\"success\",\"requestId\":\"c-1\"}");
	assert_int_equal(ps_dsco_items_cancel(&out, f->d, &c), 0);
	assert_int_equal(out.status, PS_DSCO_OUTCOME_SUCCESS);
	ps_dsco_outcome_dispose(&out);
	assert_string_equal(req(f, 2)->path, "/api/v3/order/item/cancel");
	assert_json_equal(req_json(f, 2),
			  "{\"id\":\"BOX.1\",\"type\":\"PO_NUMBER\","
			  "\"lineItems\":[{\"lineNumber\":2,\"sku\":"
			  "\"JAX-FA-085-DS\",\"cancelledQuantity\":1,"
			  "\"cancelCode\":\"CXSS\",\"cancelledReason\":"
			  "\"Out of stock\"}]}");

	/* queued: pending with the request id to follow */
	reply_json(f, 202, "{\"requestId\":\"c-2\"}");
	assert_int_equal(ps_dsco_items_cancel(&out, f->d, &c), 0);
	assert_int_equal(out.status, PS_DSCO_OUTCOME_PENDING);
	assert_string_equal(out.request_id, "c-2");
	ps_dsco_outcome_dispose(&out);
}

static void
test_dsco__batches(void **state)
{
	fixture *f = *state;
	const ps_dsco_cancel_line cl[] = {
		{2, "JAX-FA-085-DS", NULL, NULL, 1, "CXSS", NULL}};
	const ps_dsco_ship_line sl[] = {{1, "JAX-FA-076-DS", NULL, NULL, 1}};
	ps_dsco_ship_package pkg = {0};
	ps_dsco_shipment s = {{NULL, "BOX.7", NULL}, &pkg, 1};
	ps_dsco_cancel c[] = {{{NULL, "BOX.1", NULL}, cl, 1},
			      {{"99", NULL, NULL}, cl, 1}};
	json_t *body;
	char *rid = NULL;

	pkg.tracking_number = "T1";
	pkg.lines = sl;
	pkg.nlines = 1;

	/* none, or an item that cannot be sent: nothing is posted */
	assert_int_equal(ps_dsco_items_cancel_batch(&rid, f->d, c, 0),
			 PS_EINVAL);
	assert_non_null(strstr(ps_error_last(), "cancellations: none"));
	assert_int_equal(ps_dsco_shipments_batch(&rid, f->d, &s, 0), PS_EINVAL);
	c[1].nlines = 0;
	assert_int_equal(ps_dsco_items_cancel_batch(&rid, f->d, c, 2),
			 PS_EINVAL);
	assert_non_null(strstr(ps_error_last(), ": cancellation: no lines"));
	assert_null(rid);
	c[1].nlines = 1;
	assert_int_equal(mock_server_request_count(f->m), 0);

	/* two cancellations in one array, the request id kept */
	token_first(f);
	reply_json(f, 202, "{\"status\":\"pending\",\"requestId\":\"cb-1\"}");
	assert_int_equal(ps_dsco_items_cancel_batch(&rid, f->d, c, 2), 0);
	assert_string_equal(rid, "cb-1");
	free(rid);
	rid = NULL;
	assert_string_equal(req(f, 1)->path,
			    "/api/v3/order/item/cancel/batch/small");
	assert_json_equal(
		req_json(f, 1),
		"[{\"id\":\"BOX.1\",\"type\":\"PO_NUMBER\",\"lineItems\":"
		"[{\"lineNumber\":2,\"sku\":\"JAX-FA-085-DS\","
		"\"cancelledQuantity\":1,\"cancelCode\":\"CXSS\"}]},"
		"{\"id\":\"99\",\"type\":\"DSCO_ORDER_ID\",\"lineItems\":"
		"[{\"lineNumber\":2,\"sku\":\"JAX-FA-085-DS\","
		"\"cancelledQuantity\":1,\"cancelCode\":\"CXSS\"}]}]");

	/* one shipment refused: the message names its order */
	reply_json(f, 202,
		   "{\"status\":\"failure\",\"requestId\":\"x\","
		   "\"messages\":[{\"code\":\"NO_ORDER\"}]}");
	assert_int_equal(ps_dsco_shipments_batch(&rid, f->d, &s, 1), PS_EDATA);
	assert_null(rid);
	assert_string_equal(req(f, 2)->path,
			    "/api/v3/order/shipment/batch/small");
	body = req_json(f, 2);
	assert_true(json_is_array(body) && json_array_size(body) == 1);
	json_decref(body);
	assert_non_null(strstr(ps_error_last(), "BOX.7"));
	assert_non_null(strstr(ps_error_last(), "shipment refused"));
	assert_non_null(strstr(ps_error_last(), "NO_ORDER"));
}

/* ---- reference lists, rate, dates -----------------------------------------
 */

static void
test_dsco__warehouses_and_tables(void **state)
{
	fixture *f = *state;
	ps_dsco_warehouse_list l;
	const ps_dsco_code *c;
	size_t n, i;
	int found = 0;

	token_first(f);
	reply_json(f, 200,
		   "{\"scrollId\":\"w1\",\"warehouses\":[{"
		   "\"warehouseId\":1001,\"code\":\"WH01\",\"name\":"
		   "\"Main\",\"status\":\"active\",\"extra\":1}]}");
	reply_json(f, 200,
		   "{\"warehouses\":[{\"warehouseId\":\"1002\","
		   "\"code\":\"WH02\",\"name\":\"East\"}]}");
	assert_int_equal(ps_dsco_warehouses_list(&l, f->d), 0);
	assert_int_equal(l.count, 2);
	assert_string_equal(l.items[0].warehouse_id, "1001");
	assert_string_equal(l.items[1].code, "WH02");
	assert_string_equal(req(f, 2)->query, "scrollId=w1");
	ps_dsco_warehouse_list_dispose(&l);

	c = ps_dsco_service_levels(&n);
	for (i = 0; i < n; i++)
		if (strcmp(c[i].code, "USGA") == 0 ||
		    strcmp(c[i].code, "FECG") == 0)
			found++;
	assert_int_equal(found, 2);
	c = ps_dsco_cancel_codes(&n);
	assert_int_equal(n, 8);
	assert_string_equal(c[0].code, "CXSS");
}

static void
test_dsco__rate_costs(void **state)
{
	const ps_http_dialect *d = &ps_dsco__rate_dialect;
	ps_http_request r = {0};

	(void)state;
	assert_non_null(d->cost);
	r.endpoint = "order/singleShipment";
	/* 300/min: one every 200 ms at the refill rate */
	assert_int_equal(d->cost(&r) * 1000 / d->default_refill_per_s, 200);
	r.endpoint = "order/page";
	/* at most 500 a minute */
	assert_true(60 * d->default_refill_per_s / d->cost(&r) <= 500);
	/* and a burst never passes 10 a second */
	assert_true(d->default_quota / d->cost(&r) <= 10);
	r.endpoint = "inventory/singleItem";
	assert_true(60 * d->default_refill_per_s / d->cost(&r) <= 300);
}

static void
test_dsco__dates(void **state)
{
	char buf[PS_DSCO_DATE_MAX];
	int64_t a, b;

	(void)state;
	assert_int_equal(ps_dsco_date_parse(&a, "2014-01-01T10:30:00.000Z"), 0);
	assert_int_equal(ps_dsco_date_parse(&b, "2014-01-01T11:30:00+01:00"),
			 0);
	assert_int_equal(a, b);
	assert_string_equal(ps_dsco_date_format(buf, sizeof(buf), a),
			    "2014-01-01T10:30:00.000Z");
	assert_string_equal(ps_dsco_date_format(buf, sizeof(buf), T0 + 7),
			    "2026-12-03T12:00:00.007Z");
	assert_int_equal(ps_dsco_date_parse(&a, "2025-02-30x"), PS_EPARSE);
	assert_int_equal(ps_dsco_date_parse(&a, "yesterday"), PS_EPARSE);
}

int
main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_dsco__token_form_body_and_bearer),
		T(test_dsco__token_refreshed_60s_before_expiry),
		T(test_dsco__token_refreshed_once_on_401),
		T(test_dsco__token_refused_names_client_not_secret),
		T(test_dsco__static_token),
		T(test_dsco__new_refuses_missing_settings),
		T(test_dsco__retry_rules),
		T(test_dsco__order_parse_real_shape),
		T(test_dsco__orders_paged_by_scroll_id),
		T(test_dsco__order_page_with_bad_order_names_it),
		T(test_dsco__shipment_body),
		T(test_dsco__acknowledge_and_follow),
		T(test_dsco__follow_failure_and_timeout),
		T(test_dsco__inventory_bodies),
		T(test_dsco__invoice_and_cancel_bodies),
		T(test_dsco__batches),
		T(test_dsco__warehouses_and_tables),
		cmocka_unit_test(test_dsco__rate_costs),
		cmocka_unit_test(test_dsco__dates),
	};
#undef T
	int rc;

	ps_lib_init();
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	ps_lib_shutdown();
	return rc;
}
