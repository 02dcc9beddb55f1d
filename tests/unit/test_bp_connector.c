/*
 * test_bp_connector.c - the Brightpearl connector's request building and
 * reply parsing, against replies scripted from the wire reference's
 * documented examples (tests/unit/fixtures/bp/) through a recording fake
 * transport, plus the shared connector helpers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "platforms/connector.h"
#include "pearlsync/brightpearl.h"
#include "pearlsync/log.h"

#define MAX_STEPS 64
#define TOKEN "tok-SECRET-1234567"

/* ---- fake transport ----------------------------------------------------- */

typedef struct step {
	int rc;       /* what send returns */
	int attempts; /* reported in the response, 0 means 1 */
	long status;
	char *body; /* owned copy */
} step;

typedef struct sent {
	char method[8];
	char *url;
	char *body;
	char *headers; /* joined with '\n' */
	int idempotent;
	long cost; /* the cost declared to the limiter, 0: the dialect's */
	char endpoint[96];
} sent;

typedef struct fake {
	step steps[MAX_STEPS];
	size_t nsteps, next;
	sent reqs[MAX_STEPS];
	size_t nreqs;
	int repeat_last; /* when the script runs out, replay its last step */
} fake;

static char *
load_fixture(const char *name)
{
	char path[1024];
	const char *top = getenv("PS_SOURCE_DIR");
	FILE *f;
	long len;
	char *buf;

	snprintf(path, sizeof(path), "%s/tests/unit/fixtures/bp/%s",
		 top != NULL ? top : ".", name);
	f = fopen(path, "rb");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)len + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)len, f), (size_t)len);
	buf[len] = '\0';
	fclose(f);
	return buf;
}

static void
push(fake *fk, int rc, long status, const char *body)
{
	assert_true(fk->nsteps < MAX_STEPS);
	fk->steps[fk->nsteps].rc = rc;
	fk->steps[fk->nsteps].status = status;
	fk->steps[fk->nsteps].body = strdup(body != NULL ? body : "");
	fk->nsteps++;
}

static void
push_fixture(fake *fk, long status, const char *name)
{
	char *b = load_fixture(name);

	push(fk, 0, status, b);
	free(b);
}

static int
fake_send(void *ctx, ps_http_response *out, const ps_http_request *req)
{
	fake *fk = ctx;
	sent *s;
	step *st;
	size_t i, len = 0;

	assert_true(fk->nreqs < MAX_STEPS);
	s = &fk->reqs[fk->nreqs++];
	if (fk->repeat_last && fk->nreqs == MAX_STEPS) {
		fk->nreqs--; /* the last slot is reused from now on */
		free(s->url);
		free(s->body);
		free(s->headers);
	}
	snprintf(s->method, sizeof(s->method), "%s", req->method);
	snprintf(s->endpoint, sizeof(s->endpoint), "%s", req->endpoint);
	s->url = strdup(req->url);
	s->body = req->body != NULL ? strndup(req->body, req->body_len) : NULL;
	s->idempotent = req->idempotent;
	s->cost = req->cost;
	for (i = 0; req->headers[i] != NULL; i++)
		len += strlen(req->headers[i]) + 1;
	s->headers = calloc(1, len + 1);
	for (i = 0; req->headers[i] != NULL; i++) {
		strncat(s->headers, req->headers[i], len);
		strncat(s->headers, "\n", len);
	}
	assert_true(req->platform == PS_PLATFORM_BRIGHTPEARL);
	assert_string_equal(req->account, "acme");

	if (fk->next >= fk->nsteps && fk->repeat_last && fk->nsteps > 0)
		fk->next = fk->nsteps - 1;
	if (fk->next >= fk->nsteps) {
		fail_msg("unexpected request %s %s (last error: %s)",
			 req->method, req->url, ps_error_last());
		return PS_ERROR;
	}
	st = &fk->steps[fk->next++];
	out->status = st->status;
	out->attempts = st->attempts > 0 ? st->attempts : 1;
	out->body = strdup(st->body);
	out->body_len = strlen(st->body);
	if (st->rc < 0)
		return ps_error_set(st->rc, "fake transport failure");
	return 0;
}

static void
fake_dispose(fake *fk)
{
	size_t i;

	for (i = 0; i < fk->nsteps; i++)
		free(fk->steps[i].body);
	for (i = 0; i < fk->nreqs; i++) {
		free(fk->reqs[i].url);
		free(fk->reqs[i].body);
		free(fk->reqs[i].headers);
	}
	memset(fk, 0, sizeof(*fk));
}

typedef struct fixture {
	fake fk;
	ps_bp *bp;
} fixture;

static ps_bp *
make_bp(fake *fk, ps_bp_auth auth, int64_t instance, int idset_max)
{
	ps_bp_options o = PS_BP_OPTIONS_INIT;
	ps_bp *bp = NULL;

	o.base_url = "https://use1.example.test/";
	o.account = "acme";
	o.auth = auth;
	o.app_ref = "acme_pearlsync";
	o.token = TOKEN;
	if (auth == PS_BP_AUTH_OAUTH)
		o.dev_ref = "acme_dev";
	o.instance_id = instance;
	o.idset_max = idset_max;
	o.page_size = 2;
	o.send = fake_send;
	o.send_ctx = fk;
	assert_int_equal(ps_bp_new(&bp, NULL, &o), 0);
	return bp;
}

static int
setup(void **state)
{
	fixture *f = calloc(1, sizeof(*f));

	f->bp = make_bp(&f->fk, PS_BP_AUTH_PRIVATE, 7, 200);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	fixture *f = *state;

	ps_bp_free(f->bp);
	fake_dispose(&f->fk);
	free(f);
	return 0;
}

/* The JSON body of request i, parsed (new reference). */
static json_t *
req_json(fake *fk, size_t i)
{
	json_t *j;

	assert_true(i < fk->nreqs);
	assert_non_null(fk->reqs[i].body);
	j = json_loads(fk->reqs[i].body, 0, NULL);
	assert_non_null(j);
	return j;
}

#define URL(path) "https://use1.example.test/public-api/acme" path

/* ---- helpers (connector.h) ---------------------------------------------- */

static void
test_bp__idset_ranges_and_dedup(void **state)
{
	int64_t in[] = {9, 3, 1, 2, 5, 3, 10, 11, 7, 8};
	int64_t bad[] = {4, 0};
	int64_t *ids;
	size_t n;
	ps_conn_buf b = PS_CONN_BUF_INIT(0);

	(void)state;
	assert_int_equal(ps_conn__ids_normalise(&ids, &n, in, 0), 0);
	assert_null(ids);
	assert_int_equal(ps_conn__ids_normalise(&ids, &n, bad, 2), PS_EINVAL);
	assert_int_equal(ps_conn__ids_normalise(&ids, &n, in, 10), 0);
	assert_int_equal(n, 9);
	ps_conn__idset_add(&b, ids, n);
	assert_string_equal(ps_conn__buf_str(&b), "1-3,5,7-11");
	ps_conn__buf_clear(&b);
	ps_conn__idset_add(&b, ids + 3, 1);
	assert_string_equal(ps_conn__buf_str(&b), "5");
	free(ids);
	ps_conn__buf_dispose(&b);
}

static void
test_bp__buf_cap_and_urlenc(void **state)
{
	ps_conn_buf b = PS_CONN_BUF_INIT(8);
	char *s;

	(void)state;
	assert_string_equal(ps_conn__buf_str(&b), "");
	ps_conn__buf_add_urlenc(&b, "a b&");
	assert_string_equal(ps_conn__buf_str(&b), "a%20b%26");
	ps_conn__buf_add(&b, "x");
	assert_int_equal(ps_conn__buf_check(&b, "URL"), PS_ETOOBIG);
	assert_non_null(strstr(ps_error_last(), "URL is too long"));
	/* sticky: nothing more is appended */
	assert_string_equal(ps_conn__buf_str(&b), "a%20b%26");
	ps_conn__buf_clear(&b);
	ps_conn__buf_addf(&b, "#%d", 42);
	assert_int_equal(ps_conn__buf_detach(&s, &b), 0);
	assert_string_equal(s, "#42");
	free(s);
	assert_null(b.data);
}

static void
test_bp__json_getters_explain_failures(void **state)
{
	json_t *j = json_loads("{\"orderStatus\":{\"name\":\"New\"},"
			       "\"qty\":\"2.0000\",\"bad\":\"2.5\","
			       "\"net\":\"9.0909\",\"real\":10.5,"
			       "\"id\":\"17\",\"flag\":\"yes\"}",
			       0, NULL);
	int64_t v;
	ps_money m;
	int b;
	char *s;

	(void)state;
	assert_non_null(j);
	assert_int_equal(ps_conn__json_int(&v, j, "orderStatus.orderStatusId",
					   "Brightpearl order 123"),
			 PS_EDATA);
	assert_string_equal(ps_error_last(),
			    "Brightpearl order 123: field "
			    "'orderStatus.orderStatusId' missing");
	assert_int_equal(ps_conn__json_int(&v, j, "orderStatus.name", "X"),
			 PS_EDATA);
	assert_string_equal(ps_error_last(),
			    "X: field 'orderStatus.name' is \"New\", "
			    "expected an integer");
	assert_int_equal(ps_conn__json_int(&v, j, "qty", "X"), 0);
	assert_int_equal(v, 2);
	assert_int_equal(ps_conn__json_int(&v, j, "bad", "X"), PS_EDATA);
	assert_int_equal(ps_conn__json_int(&v, j, "id", "X"), 0);
	assert_int_equal(v, 17);
	assert_int_equal(ps_conn__json_int_opt(&v, j, "nope", "X", 5), 0);
	assert_int_equal(v, 5);
	assert_int_equal(ps_conn__json_money(&m, j, "net", "X"), 0);
	assert_int_equal(m, 90909);
	assert_int_equal(ps_conn__json_money(&m, j, "real", "X"), 0);
	assert_int_equal(m, 105000);
	assert_int_equal(ps_conn__json_money(&m, j, "orderStatus", "X"),
			 PS_EDATA);
	assert_string_equal(ps_error_last(), "X: field 'orderStatus' is an "
					     "object, expected an amount");
	assert_int_equal(ps_conn__json_bool_opt(&b, j, "flag", "X", 0),
			 PS_EDATA);
	assert_int_equal(ps_conn__json_dup(&s, j, "id", "X"), 0);
	assert_string_equal(s, "17");
	free(s);
	json_decref(j);
	assert_int_equal(ps_conn__json_parse(&j, "{\"a\":", 5, "Brightpearl"),
			 PS_EPARSE);
	assert_non_null(strstr(ps_error_last(),
			       "invalid JSON from Brightpearl (line 1"));
}

/* ---- context and auth --------------------------------------------------- */

static void
test_bp__new_requires_settings(void **state)
{
	ps_bp_options o = PS_BP_OPTIONS_INIT;
	ps_bp *bp = (ps_bp *)1;
	fake fk = {0};

	(void)state;
	o.send = fake_send;
	o.send_ctx = &fk;
	assert_int_equal(ps_bp_new(&bp, NULL, &o), PS_ESETTING);
	assert_null(bp);
	assert_string_equal(ps_error_last(), "Brightpearl base URL is not set");
	o.base_url = "http://x";
	o.account = "acme";
	o.app_ref = "acme_app";
	assert_int_equal(ps_bp_new(&bp, NULL, &o), PS_ESETTING);
	assert_string_equal(ps_error_last(), "Brightpearl token is not set");
}

static void
test_bp__private_and_oauth_headers(void **state)
{
	fake fk = {0};
	ps_bp *bp;
	char *name = NULL;

	(void)state;
	bp = make_bp(&fk, PS_BP_AUTH_PRIVATE, 0, 200);
	push(&fk, 0, 200, "{\"response\":{\"accountName\":\"Acme Ltd\"}}");
	assert_int_equal(ps_bp_check_connection(&name, bp), 0);
	assert_string_equal(name, "Acme Ltd");
	free(name);
	assert_string_equal(fk.reqs[0].url,
			    URL("/integration-service/account-configuration"));
	assert_non_null(strstr(fk.reqs[0].headers,
			       "brightpearl-app-ref: acme_pearlsync\n"));
	assert_non_null(strstr(fk.reqs[0].headers,
			       "brightpearl-account-token: " TOKEN "\n"));
	assert_null(strstr(fk.reqs[0].headers, "Authorization"));
	ps_bp_free(bp);
	fake_dispose(&fk);

	bp = make_bp(&fk, PS_BP_AUTH_OAUTH, 0, 200);
	/* no configuration resource: falls back and reports the code */
	push(&fk, 0, 404,
	     "{\"errors\":[{\"code\":\"CMNC-404\","
	     "\"message\":\"Cannot find the resource\"}]}");
	push(&fk, 0, 200, "{\"response\":[]}");
	assert_int_equal(ps_bp_check_connection(&name, bp), 0);
	assert_string_equal(name, "acme");
	free(name);
	assert_string_equal(fk.reqs[1].url, URL("/order-service/order-status"));
	assert_non_null(strstr(fk.reqs[1].headers,
			       "Authorization: Bearer " TOKEN "\n"));
	assert_null(strstr(fk.reqs[1].headers, "account-token"));
	ps_bp_free(bp);
	fake_dispose(&fk);
}

static void
test_bp__auth_failure_reads_string_body(void **state)
{
	fixture *f = *state;
	char *name = NULL;

	push(&f->fk, PS_EAUTH, 401,
	     "{\"response\":\"Invalid instance token: " TOKEN "\"}");
	assert_int_equal(ps_bp_check_connection(&name, f->bp), PS_EAUTH);
	assert_null(name);
	assert_non_null(strstr(ps_error_last(), "refused the credentials for "
						"account 'acme'"));
	assert_non_null(strstr(ps_error_last(), "Invalid instance token"));
	/* the token is redacted even when the server echoes it */
	assert_null(strstr(ps_error_last(), TOKEN));
}

/* ---- orders ------------------------------------------------------------- */

static void
test_bp__order_create_builds_guarded_body(void **state)
{
	fixture *f = *state;
	ps_bp_order_row rows[2] = {{0}};
	ps_bp_order o = {0};
	int64_t id;
	int existed;
	json_t *b;

	rows[0].product_id = 1007;
	rows[0].name = "Test tee";
	rows[0].quantity = 2;
	rows[0].net = ps_money_from_cents(1818);
	rows[0].tax = ps_money_from_cents(182);
	rows[0].tax_code = "T";
	rows[1].name = "Shipping";
	rows[1].quantity = 1;
	rows[1].net = ps_money_from_cents(500);
	o.customer_id = 200;
	o.external_ref = "bc-1042";
	o.ref = "#1042";
	o.status_id = 3;
	o.warehouse_id = 2;
	o.channel_id = 1;
	o.project_id = 9;
	o.lead_source_id = 4;
	o.price_list_id = 2;
	o.currency = "EUR";
	o.shipping_method_id = 6;
	o.delivery.full_name = "Ada Lovelace";
	o.delivery.line1 = "2 Engine Row";
	o.delivery.country_iso = "GB";
	o.rows = rows;
	o.nrows = 2;

	push(&f->fk, 0, 200, "{\"response\":322}");
	assert_int_equal(ps_bp_order_create(&id, &existed, f->bp, &o), 0);
	assert_int_equal(id, 322);
	assert_int_equal(existed, 0);
	assert_string_equal(f->fk.reqs[0].method, "POST");
	assert_string_equal(f->fk.reqs[0].url,
			    URL("/order-service/sales-order"));
	assert_string_equal(f->fk.reqs[0].endpoint,
			    "order-service/sales-order");
	assert_true(f->fk.reqs[0].idempotent);
	assert_non_null(strstr(f->fk.reqs[0].headers,
			       "Content-Type: application/json"));
	b = req_json(&f->fk, 0);
	assert_int_equal(json_integer_value(json_object_get(
				 json_object_get(b, "customer"), "id")),
			 200);
	assert_string_equal(
		json_string_value(json_object_get(b, "externalRef")),
		"bc-1042");
	assert_int_equal(json_integer_value(json_object_get(
				 b, "installedIntegrationInstanceId")),
			 7);
	assert_int_equal(json_integer_value(json_object_get(b, "projectId")),
			 9);
	assert_string_equal(json_string_value(json_object_get(
				    json_object_get(b, "currency"), "code")),
			    "EUR");
	assert_int_equal(
		json_integer_value(json_object_get(
			json_object_get(b, "delivery"), "shippingMethodId")),
		6);
	assert_string_equal(
		json_string_value(json_object_get(
			json_object_get(json_object_get(b, "delivery"),
					"address"),
			"addressLine1")),
		"2 Engine Row");
	assert_int_equal(json_array_size(json_object_get(b, "rows")), 2);
	{
		json_t *r0 = json_array_get(json_object_get(b, "rows"), 0);
		json_t *r1 = json_array_get(json_object_get(b, "rows"), 1);

		assert_string_equal(
			json_string_value(json_object_get(r0, "net")),
			"18.1800");
		assert_string_equal(
			json_string_value(json_object_get(r0, "tax")),
			"1.8200");
		assert_string_equal(
			json_string_value(json_object_get(r0, "quantity")),
			"2");
		assert_null(json_object_get(r1, "productId"));
		assert_string_equal(
			json_string_value(json_object_get(r1, "name")),
			"Shipping");
	}
	json_decref(b);
}

static void
test_bp__order_create_duplicate_without_id_is_found(void **state)
{
	fixture *f = *state;
	ps_bp_order o = {0};
	int64_t id;
	int existed;
	char *p1 = NULL;

	o.customer_id = 200;
	o.external_ref = "bc 7&8";
	push(&f->fk, 0, 200, "{}");
	p1 = strdup("{\"response\":{\"results\":[[51,\"bc 7&8\",7],"
		    "[49,\"bc 7&8\",99]],\"metaData\":{\"morePagesAvailable\":"
		    "false,\"resultsAvailable\":2,\"resultsReturned\":2,"
		    "\"firstResult\":1,\"lastResult\":2,\"columns\":[{\"name\":"
		    "\"orderId\"},{\"name\":\"externalRef\"},{\"name\":"
		    "\"installedIntegrationInstanceId\"}]}},\"reference\":{}}");
	push(&f->fk, 0, 200, p1);
	free(p1);
	assert_int_equal(ps_bp_order_create(&id, &existed, f->bp, &o), 0);
	/* 49 belongs to another integration instance */
	assert_int_equal(id, 51);
	assert_int_equal(existed, 1);
	assert_string_equal(f->fk.reqs[1].url,
			    URL("/order-service/order-search?externalRef="
				"bc%207%268&pageSize=2&firstResult=1"));
}

static void
test_bp__order_create_unguarded_is_not_idempotent(void **state)
{
	fake fk = {0};
	ps_bp *bp = make_bp(&fk, PS_BP_AUTH_PRIVATE, 0, 200);
	ps_bp_order o = {0};
	int64_t id;

	(void)state;
	o.customer_id = 5;
	o.external_ref = "bc-1";
	push(&fk, 0, 200, "{\"response\":9}");
	assert_int_equal(ps_bp_order_create(&id, NULL, bp, &o), 0);
	assert_false(fk.reqs[0].idempotent);
	assert_null(strstr(fk.reqs[0].body, "installedIntegrationInstanceId"));
	o.customer_id = 0;
	assert_int_equal(ps_bp_order_create(&id, NULL, bp, &o), PS_EINVAL);
	ps_bp_free(bp);
	fake_dispose(&fk);
}

static void
test_bp__order_get_parses_keyed_rows(void **state)
{
	fixture *f = *state;
	ps_bp_order_list l;
	int64_t ids[] = {1};
	const ps_bp_order *o;

	push_fixture(&f->fk, 200, "order_get.json");
	assert_int_equal(ps_bp_order_get(&l, f->bp, ids, 1), 0);
	assert_string_equal(f->fk.reqs[0].url, URL("/order-service/order/1"));
	assert_int_equal(l.n, 1);
	o = &l.items[0];
	assert_int_equal(o->id, 1);
	assert_string_equal(o->order_type, "SO");
	assert_string_equal(o->ref, "#1042");
	assert_int_equal(o->status_id, 4);
	assert_string_equal(o->status_name, "Invoiced");
	assert_int_equal(o->customer_id, 200);
	assert_string_equal(o->customer.email, "ada@example.com");
	assert_string_equal(o->delivery.line1, "2 Engine Row");
	assert_int_equal(o->shipping_method_id, 6);
	assert_int_equal(o->channel_id, 1);
	assert_int_equal(o->project_id, 3);
	assert_int_equal(o->lead_source_id, 4);
	assert_int_equal(o->warehouse_id, 2);
	assert_string_equal(o->currency, "USD");
	assert_int_equal(o->total, 100000);
	assert_int_equal(o->total_net, 90900);
	assert_int_equal(o->total_tax, 9100);
	assert_int_equal(o->nrows, 2);
	/* keyed rows come back sorted by row id */
	assert_int_equal(o->rows[0].id, 68);
	assert_int_equal(o->rows[0].product_id, 1007);
	assert_string_equal(o->rows[0].sku, "TEST001");
	assert_int_equal(o->rows[0].quantity, 2);
	assert_int_equal(o->rows[0].net, 90909);
	assert_int_equal(o->rows[0].tax, 9100);
	assert_int_equal(o->rows[1].id, 71);
	ps_bp_order_list_dispose(&l);
	ps_bp_order_list_dispose(&l);
}

static void
test_bp__order_get_missing_field_is_named(void **state)
{
	fixture *f = *state;
	ps_bp_order_list l;
	int64_t ids[] = {5};

	push(&f->fk, 0, 200,
	     "{\"response\":[{\"id\":5,\"orderStatus\":{},"
	     "\"parties\":{\"customer\":{\"contactId\":1}}}]}");
	assert_int_equal(ps_bp_order_get(&l, f->bp, ids, 1), PS_EDATA);
	assert_string_equal(ps_error_last(),
			    "Brightpearl order 5: field "
			    "'orderStatus.orderStatusId' missing");
	assert_null(l.items);
}

static void
test_bp__ids_are_chunked_and_404_is_empty(void **state)
{
	fake fk = {0};
	ps_bp *bp = make_bp(&fk, PS_BP_AUTH_PRIVATE, 0, 3);
	int64_t ids[] = {10, 2, 3, 1, 4, 7, 9, 8};
	ps_bp_order_list l;

	(void)state;
	push(&fk, 0, 404,
	     "{\"errors\":[{\"code\":\"CMNC-404\","
	     "\"message\":\"Not found\"}]}");
	push(&fk, 0, 200, "{\"response\":[]}");
	push(&fk, 0, 200, "{\"response\":[]}");
	assert_int_equal(ps_bp_order_get(&l, bp, ids, 8), 0);
	assert_int_equal(l.n, 0);
	assert_int_equal(fk.nreqs, 3);
	assert_string_equal(fk.reqs[0].url, URL("/order-service/order/1-3"));
	assert_string_equal(fk.reqs[1].url, URL("/order-service/order/4,7,8"));
	assert_string_equal(fk.reqs[2].url, URL("/order-service/order/9,10"));
	assert_true(fk.reqs[0].idempotent);
	ps_bp_order_list_dispose(&l);
	ps_bp_free(bp);
	fake_dispose(&fk);
}

static void
test_bp__error_bodies_become_sentences(void **state)
{
	fixture *f = *state;
	int64_t id;

	push_fixture(&f->fk, 400, "error_400.json");
	assert_int_equal(ps_bp_note_add(&id, f->bp, 12, "hello", 0), PS_EDATA);
	assert_string_equal(ps_error_last(),
			    "Brightpearl order note add: ORDC-005 You have not "
			    "supplied an order type code; ORDC-006 The order "
			    "type code is invalid (HTTP 400)");
	push(&f->fk, 0, 404, "{\"response\":\"Cannot find webhook: 99\"}");
	assert_int_equal(ps_bp_webhook_delete(f->bp, 99), PS_ENOTFOUND);
	assert_string_equal(ps_error_last(),
			    "Brightpearl webhook delete: Cannot find webhook: "
			    "99 (HTTP 404)");
	/* a garbled reply to a GET is asked again, then reported */
	for (int i = 0; i < 4; i++)
		push(&f->fk, 0, 200, "<html>gateway</html>");
	{
		ps_bp_webhook_list l;

		assert_int_equal(ps_bp_webhook_list_get(&l, f->bp), PS_EPARSE);
		assert_null(l.items);
	}
	assert_int_equal(f->fk.nreqs, 6);
	assert_non_null(strstr(ps_error_last(),
			       "invalid JSON from Brightpearl "
			       "(webhook list) (line 1, column"));
}

static void
test_bp__status_and_fields_requests(void **state)
{
	fixture *f = *state;
	ps_bp_field_value v[3] = {{"PCF_GIFT", PS_BP_FIELD_TEXT, "Happy", 0},
				  {"PCF_RUSH", PS_BP_FIELD_YESNO, NULL, 1},
				  {"PCF_SRC", PS_BP_FIELD_SELECT, NULL, 137}};
	json_t *b;

	push(&f->fk, 0, 200, "{}");
	assert_int_equal(ps_bp_order_status_set(f->bp, 55, 21, "Paid in BC"),
			 0);
	assert_string_equal(f->fk.reqs[0].method, "PUT");
	assert_string_equal(f->fk.reqs[0].url,
			    URL("/order-service/order/55/status"));
	b = req_json(&f->fk, 0);
	assert_int_equal(
		json_integer_value(json_object_get(b, "orderStatusId")), 21);
	assert_string_equal(
		json_string_value(ps_conn__json_at(b, "orderNote.text")),
		"Paid in BC");
	json_decref(b);

	push(&f->fk, 0, 200, "{\"response\":{\"PCF_GIFT\":\"Happy\"}}");
	assert_int_equal(ps_bp_order_fields_set(f->bp, 55, v, 3), 0);
	assert_string_equal(f->fk.reqs[1].method, "PATCH");
	assert_string_equal(f->fk.reqs[1].body,
			    "[{\"op\":\"add\",\"path\":\"/PCF_GIFT\",\"value\":"
			    "\"Happy\"},{\"op\":\"add\",\"path\":\"/PCF_RUSH\","
			    "\"value\":true},{\"op\":\"add\",\"path\":"
			    "\"/PCF_SRC\",\"value\":{\"id\":137}}]");
}

/* ---- search ------------------------------------------------------------- */

static void
test_bp__product_search_pages_and_filters(void **state)
{
	fixture *f = *state;
	ps_bp_product_list l;

	push_fixture(&f->fk, 200, "product_search_p1.json");
	push_fixture(&f->fk, 200, "product_search_p2.json");
	assert_int_equal(
		ps_bp_product_find(&l, f->bp, PS_BP_IDENTITY_SKU, "TEE-RED"),
		0);
	assert_int_equal(f->fk.nreqs, 2);
	assert_string_equal(f->fk.reqs[0].url,
			    URL("/product-service/product-search?SKU=TEE-RED&"
				"pageSize=2&firstResult=1"));
	assert_string_equal(f->fk.reqs[1].url,
			    URL("/product-service/product-search?SKU=TEE-RED&"
				"pageSize=2&firstResult=3"));
	/* TEE-RED-XL matched the search loosely and is dropped */
	assert_int_equal(l.n, 2);
	assert_int_equal(l.items[0].id, 1001);
	assert_string_equal(l.items[0].barcode, "5012345678900");
	assert_true(l.items[0].stock_tracked);
	assert_string_equal(l.items[0].status, "LIVE");
	assert_null(l.items[0].ean);
	assert_int_equal(l.items[1].id, 1003);
	assert_false(l.items[1].stock_tracked);
	ps_bp_product_list_dispose(&l);
}

/* The operator's search: exact SKU, then names, merged without
 * duplicates and sorted by id. */
static void
test_bp__product_search_merges_sku_and_name(void **state)
{
	fixture *f = *state;
	ps_bp_product_list l;

	assert_int_equal(ps_bp_product_search(&l, f->bp, "", 0), PS_EINVAL);
	push_fixture(&f->fk, 200, "product_search_p1.json");
	push_fixture(&f->fk, 200, "product_search_p2.json");
	push_fixture(&f->fk, 200, "product_search_p2.json");
	assert_int_equal(ps_bp_product_search(&l, f->bp, "TEE-RED", 0), 0);
	assert_int_equal(f->fk.nreqs, 3);
	assert_string_equal(
		f->fk.reqs[2].url,
		URL("/product-service/product-search?"
		    "productName=TEE-RED&pageSize=2&firstResult=1"));
	assert_int_equal(l.n, 3);
	assert_int_equal(l.items[0].id, 1001);
	assert_int_equal(l.items[1].id, 1002);
	assert_string_equal(l.items[1].sku, "TEE-RED-XL");
	assert_int_equal(l.items[2].id, 1003);
	assert_string_equal(l.items[2].name, "Red tee (old)");
	ps_bp_product_list_dispose(&l);
	/* a number is also looked up as a product id; max caps the list */
	push_fixture(&f->fk, 200, "product_search_p2.json");
	push_fixture(&f->fk, 200, "search_empty.json");
	push_fixture(&f->fk, 200, "product_search_p2.json");
	assert_int_equal(ps_bp_product_search(&l, f->bp, "1003", 1), 0);
	assert_string_equal(f->fk.reqs[3].url,
			    URL("/product-service/product-search?"
				"productId=1003&pageSize=2&firstResult=1"));
	assert_int_equal(l.n, 1);
	assert_int_equal(l.items[0].id, 1003);
	ps_bp_product_list_dispose(&l);
}

/* A SKU two products share is refused with both; an unknown one too. */
static void
test_bp__product_resolve_refuses_none_or_several(void **state)
{
	fixture *f = *state;
	char how[256];
	int64_t id = -1;

	push_fixture(&f->fk, 200, "product_search_p1.json");
	push_fixture(&f->fk, 200, "product_search_p2.json");
	assert_int_equal(
		ps_bp_product_resolve(&id, how, sizeof(how), f->bp, "TEE-RED"),
		PS_EINVAL);
	assert_int_equal(id, 0);
	assert_string_equal(how, "");
	assert_string_equal(ps_error_last(),
			    "SKU 'TEE-RED' matches 2 Brightpearl products "
			    "(1001 TEE-RED Red tee; 1003 TEE-RED Red tee "
			    "(old)): give the product id");
	push_fixture(&f->fk, 200, "search_empty.json");
	push_fixture(&f->fk, 200, "search_empty.json");
	push_fixture(&f->fk, 200, "search_empty.json");
	assert_int_equal(
		ps_bp_product_resolve(&id, how, sizeof(how), f->bp, "NOPE"),
		PS_ENOTFOUND);
	assert_string_equal(ps_error_last(),
			    "no Brightpearl product has SKU 'NOPE'");
	assert_int_equal(
		ps_bp_product_resolve(&id, how, sizeof(how), f->bp, ""),
		PS_EINVAL);
}

static void
test_bp__identity_names(void **state)
{
	ps_bp_identity id;

	(void)state;
	assert_int_equal(ps_bp_identity_parse(&id, "EAN"), 0);
	assert_int_equal(id, PS_BP_IDENTITY_EAN);
	assert_string_equal(ps_bp_identity_name(PS_BP_IDENTITY_MPN), "mpn");
	assert_int_equal(ps_bp_identity_parse(&id, "gtin"), PS_EINVAL);
	assert_int_equal(ps_bp_identity_parse(&id, NULL), PS_EINVAL);
}

static void
test_bp__empty_search_and_not_found(void **state)
{
	fixture *f = *state;
	int64_t id = -1;

	push_fixture(&f->fk, 200, "search_empty.json");
	assert_int_equal(ps_bp_order_find_external(&id, f->bp, "bc-404"),
			 PS_ENOTFOUND);
	assert_int_equal(id, 0);
	assert_string_equal(ps_error_last(),
			    "no Brightpearl order has externalRef 'bc-404'");
}

static void
test_bp__contact_email_match_is_exact(void **state)
{
	fixture *f = *state;
	ps_bp_ids ids;

	push(&f->fk, 0, 200,
	     "{\"response\":{\"results\":[[12,\"ADA@example.com\"],"
	     "[9,\"ada@example.com.au\"],[4,\"ada@example.com\"]],"
	     "\"metaData\":{\"morePagesAvailable\":false,\"resultsAvailable\":"
	     "3,"
	     "\"resultsReturned\":3,\"firstResult\":1,\"lastResult\":3,"
	     "\"columns\":[{\"name\":\"contactId\"},{\"name\":"
	     "\"primaryEmail\"}]}}}");
	assert_int_equal(
		ps_bp_contact_find_email(&ids, f->bp, "ada@example.com"), 0);
	assert_int_equal(ids.n, 2);
	assert_int_equal(ids.ids[0], 4);
	assert_int_equal(ids.ids[1], 12);
	assert_string_equal(f->fk.reqs[0].url,
			    URL("/contact-service/contact-search?primaryEmail="
				"ada%40example.com&pageSize=2&firstResult=1"));
	ps_bp_ids_dispose(&ids);
}

/* Suppliers and staff sharing the email are not customers. */
static void
test_bp__contact_email_match_skips_suppliers_and_staff(void **state)
{
	fixture *f = *state;
	ps_bp_ids ids;
	ps_bp_contact_list cl;
	int64_t two[2] = {6, 8};

	push(&f->fk, 0, 200,
	     "{\"response\":{\"results\":[[8,\"ada@example.com\",false,false,"
	     "true],[6,\"ada@example.com\",false,true,false],"
	     "[4,\"ada@example.com\",true,false,false]],"
	     "\"metaData\":{\"morePagesAvailable\":false,\"resultsAvailable\":"
	     "3,"
	     "\"resultsReturned\":3,\"firstResult\":1,\"lastResult\":3,"
	     "\"columns\":[{\"name\":\"contactId\"},{\"name\":"
	     "\"primaryEmail\"},{\"name\":\"isCustomer\"},{\"name\":"
	     "\"isSupplier\"},{\"name\":\"isStaff\"}]}}}");
	assert_int_equal(
		ps_bp_contact_find_email(&ids, f->bp, "ada@example.com"), 0);
	assert_int_equal(ids.n, 1);
	assert_int_equal(ids.ids[0], 4);
	ps_bp_ids_dispose(&ids);

	/* a contact GET: relationshipToAccount carries only the supplier and
	 * staff flags */
	push(&f->fk, 0, 200,
	     "{\"response\":[{\"contactId\":6,\"relationshipToAccount\":"
	     "{\"isSupplier\":true,\"isStaff\":false}},{\"contactId\":8,"
	     "\"relationshipToAccount\":{\"isSupplier\":false,\"isStaff\":"
	     "false}}]}");
	assert_int_equal(ps_bp_contact_get(&cl, f->bp, two, 2), 0);
	assert_int_equal(cl.n, 2);
	assert_int_equal(cl.items[0].is_customer, 0);
	assert_int_equal(cl.items[1].is_customer, 1);
	ps_bp_contact_list_dispose(&cl);
}

static void
test_bp__contact_create_posts_address_first(void **state)
{
	fixture *f = *state;
	ps_bp_contact c = {0};
	int64_t id;
	json_t *b;

	c.first_name = "Ada";
	c.last_name = "Lovelace";
	c.email = "ada@example.com";
	c.telephone = "0123";
	c.address.line1 = "1 Analytical Way";
	c.address.country_iso = "GB";
	push(&f->fk, 0, 200, "{\"response\":220}");
	push(&f->fk, 0, 200, "{\"response\":500}");
	assert_int_equal(ps_bp_contact_create(&id, f->bp, &c), 0);
	assert_int_equal(id, 500);
	assert_string_equal(f->fk.reqs[0].url,
			    URL("/contact-service/postal-address"));
	b = req_json(&f->fk, 1);
	assert_string_equal(json_string_value(ps_conn__json_at(
				    b, "communication.emails.PRI.email")),
			    "ada@example.com");
	assert_int_equal(
		json_integer_value(ps_conn__json_at(b, "postAddressIds.DEL")),
		220);
	assert_string_equal(json_string_value(ps_conn__json_at(
				    b, "communication.telephones.PRI")),
			    "0123");
	json_decref(b);
}

#define DIR_QUERY                                                              \
	"columns=contactId,primaryEmail,firstName,lastName,pri,updatedOn,"     \
	"isCustomer,isSupplier,isStaff"

static void
test_bp__contact_changes_pages_sorts_and_lowers(void **state)
{
	fixture *f = *state;
	ps_bp_contact_rows r;

	push_fixture(&f->fk, 200, "contact_dir_p1.json");
	push_fixture(&f->fk, 200, "contact_dir_p2.json");
	assert_int_equal(
		ps_bp_contact_changes(&r, f->bp, "2026-07-01T10:00:00.000Z"),
		0);
	assert_int_equal(f->fk.nreqs, 2);
	assert_string_equal(f->fk.reqs[0].method, "GET");
	assert_string_equal(
		f->fk.reqs[0].url,
		URL("/contact-service/contact-search?" DIR_QUERY
		    "&updatedOn=2026-07-01T10%3A00%3A00.000Z/"
		    "&sort=updatedOn.ASC&pageSize=2&firstResult=1"));
	assert_string_equal(
		f->fk.reqs[1].url,
		URL("/contact-service/contact-search?" DIR_QUERY
		    "&updatedOn=2026-07-01T10%3A00%3A00.000Z/"
		    "&sort=updatedOn.ASC&pageSize=2&firstResult=3"));
	assert_int_equal(r.n, 3);
	/* a tie on updatedOn goes by id; 09:30-01:00 is 10:30Z, the newest */
	assert_int_equal(r.items[0].id, 205);
	assert_null(r.items[0].email);
	assert_string_equal(r.items[0].first_name, "Alan");
	assert_null(r.items[0].last_name);
	assert_null(r.items[0].telephone);
	assert_int_equal(r.items[1].id, 207);
	assert_string_equal(r.items[1].email, "ada@example.com");
	assert_string_equal(r.items[1].first_name, "Ada");
	assert_string_equal(r.items[1].last_name, "Lovelace");
	assert_string_equal(r.items[1].telephone, "0123 456");
	assert_string_equal(r.items[1].updated_on, "2026-07-01T10:00:00.000Z");
	assert_int_equal(r.items[2].id, 203);
	assert_string_equal(r.items[2].email, "grace@example.com");
	assert_null(r.items[2].telephone); /* "" is none */
	/* without the flags a row is a customer; 203 is a supplier */
	assert_int_equal(r.items[0].is_customer, 1);
	assert_int_equal(r.items[1].is_customer, 1);
	assert_int_equal(r.items[2].is_customer, 0);
	assert_string_equal(r.max_updated_on, "2026-07-01T09:30:00.250-01:00");
	ps_bp_contact_rows_dispose(&r);
	assert_null(r.items);
	assert_null(r.max_updated_on);
	assert_int_equal(r.n, 0);
	ps_bp_contact_rows_dispose(NULL);
}

static void
test_bp__contact_changes_without_since_reads_all(void **state)
{
	fixture *f = *state;
	ps_bp_contact_rows r;
	const char *url = URL("/contact-service/contact-search?" DIR_QUERY
			      "&sort=updatedOn.ASC&pageSize=2&firstResult=1");

	push_fixture(&f->fk, 200, "search_empty.json");
	push_fixture(&f->fk, 200, "search_empty.json");
	assert_int_equal(ps_bp_contact_changes(&r, f->bp, NULL), 0);
	assert_int_equal(r.n, 0);
	assert_null(r.items);
	assert_null(r.max_updated_on);
	assert_int_equal(ps_bp_contact_changes(&r, f->bp, ""), 0);
	assert_int_equal(f->fk.nreqs, 2);
	assert_string_equal(f->fk.reqs[0].url, url);
	assert_string_equal(f->fk.reqs[1].url, url);
	ps_bp_contact_rows_dispose(&r);

	/* a row without an id is refused, and nothing is handed back */
	push(&f->fk, 0, 200,
	     "{\"response\":{\"results\":[[null,\"x@example.com\"]],"
	     "\"metaData\":{\"morePagesAvailable\":false,\"resultsAvailable\":"
	     "1,"
	     "\"resultsReturned\":1,\"firstResult\":1,\"lastResult\":1,"
	     "\"columns\":[{\"name\":\"contactId\"},{\"name\":"
	     "\"primaryEmail\"}]}}}");
	assert_int_equal(ps_bp_contact_changes(&r, f->bp, NULL), PS_EDATA);
	assert_int_equal(r.n, 0);
	assert_null(r.items);
}

/* A contact with every field the create body carries. */
static void
full_contact(ps_bp_contact *c)
{
	memset(c, 0, sizeof(*c));
	c->first_name = "Ada";
	c->last_name = "Lovelace";
	c->email = "Ada@Example.com";
	c->telephone = "0123";
	c->mobile = "0777";
	c->company = "Engines Ltd";
	c->price_list_id = 3;
	c->lead_source_id = 5;
	c->address.line1 = "1 Analytical Way";
	c->address.line2 = "Marylebone";
	c->address.line3 = "London";
	c->address.postal_code = "NW1";
	c->address.country_iso = "GB";
}

/* Message i of the multi-message request number req. */
static json_t *
multi_msg(json_t *multi, size_t i)
{
	return json_array_get(json_object_get(multi, "messages"), i);
}

static void
test_bp__batch_contact_bodies_equal_direct(void **state)
{
	fixture *f = *state;
	ps_bp_contact c;
	ps_bp_batch *b;
	json_t *addr_direct, *contact_direct, *plain_direct, *multi, *m;
	int64_t id;

	/* the direct calls: with an address, then without one */
	full_contact(&c);
	push(&f->fk, 0, 200, "{\"response\":220}");
	push(&f->fk, 0, 200, "{\"response\":500}");
	assert_int_equal(ps_bp_contact_create(&id, f->bp, &c), 0);
	assert_int_equal(id, 500);
	c.address.line1 = NULL;
	push(&f->fk, 0, 200, "{\"response\":501}");
	assert_int_equal(ps_bp_contact_create(&id, f->bp, &c), 0);
	assert_int_equal(f->fk.nreqs, 3);
	addr_direct = req_json(&f->fk, 0);
	contact_direct = req_json(&f->fk, 1);
	plain_direct = req_json(&f->fk, 2);
	assert_int_equal(json_integer_value(ps_conn__json_at(
				 contact_direct, "postAddressIds.BIL")),
			 220);
	assert_null(json_object_get(plain_direct, "postAddressIds"));

	/* the same three as one batch (the contact's address is ignored) */
	full_contact(&c);
	assert_int_equal(ps_bp_batch_new(&b, f->bp), 0);
	assert_int_equal(ps_bp_batch_address_create(b, &c.address), 0);
	assert_int_equal(ps_bp_batch_contact_create(b, &c, 220), 0);
	assert_int_equal(ps_bp_batch_contact_create(b, &c, 0), 0);
	assert_int_equal(ps_bp_batch_count(b), 3);
	push(&f->fk, 0, 200,
	     "{\"response\":{\"processedMessages\":["
	     "{\"label\":\"m0\",\"statusCode\":200,\"body\":{\"content\":"
	     "\"{\\\"response\\\":221}\"}},"
	     "{\"label\":\"m1\",\"statusCode\":200,\"body\":{\"content\":"
	     "\"{\\\"response\\\":\\\"601\\\"}\"}},"
	     "{\"label\":\"m2\",\"statusCode\":400,\"body\":{\"content\":"
	     "\"{\\\"errors\\\":[{\\\"code\\\":\\\"CONC-012\\\","
	     "\\\"message\\\":"
	     "\\\"First and last names are limited to 32 characters\\\"}]}\"}}"
	     "],\"unprocessedMessages\":[]}}");
	assert_int_equal(ps_bp_batch_send(b), 0);
	assert_int_equal(f->fk.nreqs, 4);
	assert_string_equal(f->fk.reqs[3].url, URL("/multi-message"));
	assert_false(f->fk.reqs[3].idempotent); /* a contact POST is not */
	/* the multi-message declares its three messages to the limiter (in
	 * case Brightpearl counts each); a direct call leaves it to the
	 * dialect */
	assert_int_equal(f->fk.reqs[3].cost, 3);
	assert_int_equal(f->fk.reqs[1].cost, 0);
	multi = req_json(&f->fk, 3);
	m = multi_msg(multi, 0);
	assert_string_equal(json_string_value(json_object_get(m, "uri")),
			    "/contact-service/postal-address");
	assert_string_equal(json_string_value(json_object_get(m, "httpMethod")),
			    "POST");
	assert_true(json_equal(json_object_get(m, "body"), addr_direct));
	m = multi_msg(multi, 1);
	assert_string_equal(json_string_value(json_object_get(m, "uri")),
			    "/contact-service/contact");
	assert_true(json_equal(json_object_get(m, "body"), contact_direct));
	assert_true(json_equal(json_object_get(multi_msg(multi, 2), "body"),
			       plain_direct));

	assert_int_equal(ps_bp_batch_result_get(b, 0)->error, 0);
	assert_int_equal(ps_bp_batch_result_get(b, 0)->id, 221);
	assert_int_equal(ps_bp_batch_result_get(b, 1)->id, 601);
	assert_int_equal(ps_bp_batch_result_get(b, 2)->error, PS_EDATA);
	assert_int_equal(ps_bp_batch_result_get(b, 2)->id, 0);
	ps_bp_batch_free(b);
	json_decref(multi);
	json_decref(addr_direct);
	json_decref(contact_direct);
	json_decref(plain_direct);

	/* an address needs its first line; nothing is queued */
	assert_int_equal(ps_bp_batch_new(&b, f->bp), 0);
	c.address.line1 = NULL;
	assert_int_equal(ps_bp_batch_address_create(b, &c.address), PS_EINVAL);
	assert_int_equal(ps_bp_batch_count(b), 0);
	ps_bp_batch_free(b);
}

/* What the caller knew was stale: Brightpearl refuses the op with its
 * 500 CMNC-044, which is a refusal (asked once, not retried, PS_EDATA),
 * and the update reads the contact and sends the right op. */
static void
test_bp__contact_update_stale_knowledge_reads_and_adds(void **state)
{
	fixture *f = *state;
	ps_bp_contact c = {0}, known = {0};

	c.telephone = "0123";
	known.telephone = "0999"; /* the caller thinks it has one */
	push(&f->fk, 0, 500,
	     "{\"errors\":[{\"code\":\"CMNC-044\",\"message\":\"Invalid "
	     "patch operation (replace) for given path "
	     "(/communication/telephones/PRI)\"}]}");
	push(&f->fk, 0, 200,
	     "{\"response\":[{\"contactId\":201,\"communication\":"
	     "{\"telephones\":{}}}]}");
	push(&f->fk, 0, 200, "{\"response\":{\"contactId\":201}}");
	assert_int_equal(ps_bp_contact_update_from(f->bp, 201, &known, &c), 0);
	assert_int_equal(f->fk.nreqs, 3);
	assert_string_equal(f->fk.reqs[0].method, "PATCH");
	assert_non_null(strstr(f->fk.reqs[0].body, "\"replace\""));
	assert_string_equal(f->fk.reqs[1].method, "GET");
	assert_string_equal(f->fk.reqs[2].body,
			    "[{\"op\":\"add\",\"path\":"
			    "\"/communication/telephones/PRI\",\"value\":"
			    "\"0123\"}]");
	/* known and right: one PATCH, no read */
	known.telephone = NULL;
	push(&f->fk, 0, 200, "{\"response\":{\"contactId\":201}}");
	assert_int_equal(ps_bp_contact_update_from(f->bp, 201, &known, &c), 0);
	assert_int_equal(f->fk.nreqs, 4);
	assert_string_equal(f->fk.reqs[3].method, "PATCH");
}

static void
test_bp__contact_update_patches_and_relinks(void **state)
{
	fixture *f = *state;
	ps_bp_contact c = {0};
	ps_bp_order_list l;
	json_t *b;

	c.last_name = "Byron";
	c.email = "ada@new.example";
	c.telephone = "+44 20 7946 0000";
	c.address.line1 = "3 New Street";
	/* the contact as it is: a last name and an email, no phone */
	push(&f->fk, 0, 200,
	     "{\"response\":[{\"contactId\":201,\"lastName\":\"Lovelace\","
	     "\"communication\":{\"emails\":{\"PRI\":{\"email\":"
	     "\"ada@old.example\"}},\"telephones\":{}}}]}");
	push(&f->fk, 0, 200, "{\"response\":{\"contactId\":201}}");
	push(&f->fk, 0, 200, "{\"response\":230}");
	push(&f->fk, 0, 200, "{}");
	assert_int_equal(ps_bp_contact_update(f->bp, 201, &c), 0);
	assert_int_equal(f->fk.nreqs, 4);
	assert_string_equal(f->fk.reqs[0].method, "GET");
	assert_string_equal(f->fk.reqs[1].method, "PATCH");
	assert_string_equal(f->fk.reqs[1].url,
			    URL("/contact-service/contact/201"));
	/* members it has are replaced; the phone it never had is added */
	assert_string_equal(f->fk.reqs[1].body,
			    "[{\"op\":\"replace\",\"path\":\"/lastName\","
			    "\"value\":\"Byron\"},{\"op\":\"replace\","
			    "\"path\":\"/communication/emails/PRI/email\","
			    "\"value\":\"ada@new.example\"},{\"op\":\"add\","
			    "\"path\":\"/communication/telephones/PRI\","
			    "\"value\":\"+44 20 7946 0000\"}]");
	assert_string_equal(f->fk.reqs[2].url,
			    URL("/contact-service/postal-address"));
	assert_string_equal(f->fk.reqs[3].method, "PUT");
	assert_string_equal(f->fk.reqs[3].url,
			    URL("/contact-service/contact/201/postal-address"));
	b = req_json(&f->fk, 3);
	assert_int_equal(json_array_size(b), 3);
	assert_int_equal(json_integer_value(json_object_get(
				 json_array_get(b, 2), "postalAddressId")),
			 230);
	assert_string_equal(json_string_value(json_object_get(
				    json_array_get(b, 2), "type")),
			    "DEL");
	json_decref(b);

	/* no ids: no request, an empty list */
	assert_int_equal(ps_bp_order_get(&l, f->bp, NULL, 0), 0);
	assert_int_equal(l.n, 0);
	assert_int_equal(f->fk.nreqs, 4);
	ps_bp_order_list_dispose(&l);
}

static void
test_bp__garbled_create_reply_is_looked_up(void **state)
{
	fixture *f = *state;
	ps_bp_webhook w = {0};
	int64_t id;

	w.subscribe_to = "goods-out-note.modified.shipped";
	w.uri_template = "https://hooks.example/bp?x=${resource-id}";
	w.body_template = "{}";
	w.content_type = "application/json";
	/* processed, but the reply is cut: the hook is found by URL */
	push(&f->fk, 0, 200, "{\"response\":");
	push(&f->fk, 0, 200,
	     "{\"response\":[{\"id\":4,\"subscribeTo\":"
	     "\"goods-out-note.modified.shipped\",\"uriTemplate\":"
	     "\"https://elsewhere.example/\"},{\"id\":9,\"subscribeTo\":"
	     "\"goods-out-note.modified.shipped\",\"uriTemplate\":"
	     "\"https://hooks.example/bp?x=${resource-id}\"}]}");
	assert_int_equal(ps_bp_webhook_create(&id, f->bp, &w), 0);
	assert_int_equal(id, 9);
	assert_int_equal(f->fk.nreqs, 2);
	assert_false(f->fk.reqs[0].idempotent);
}

/* ---- keyed maps --------------------------------------------------------- */

static void
test_bp__availability_per_warehouse(void **state)
{
	fixture *f = *state;
	ps_bp_stock_list l;
	int64_t ids[] = {1532, 1533};

	push_fixture(&f->fk, 200, "availability.json");
	assert_int_equal(ps_bp_availability_get(&l, f->bp, ids, 2), 0);
	assert_string_equal(f->fk.reqs[0].url,
			    URL("/warehouse-service/product-availability/"
				"1532,1533"));
	assert_int_equal(l.n, 3);
	assert_int_equal(l.items[0].warehouse_id, 0);
	assert_int_equal(l.items[0].on_hand, 48);
	assert_int_equal(l.items[1].warehouse_id, 2);
	assert_int_equal(l.items[1].allocated, 12);
	assert_int_equal(l.items[2].warehouse_id, 7);
	assert_int_equal(l.items[2].in_stock, 10);
	ps_bp_stock_list_dispose(&l);
}

static void
test_bp__goods_out_notes_keyed(void **state)
{
	fixture *f = *state;
	ps_bp_gon_list l;

	push_fixture(&f->fk, 200, "goods_out_get.json");
	assert_int_equal(ps_bp_gon_for_order(&l, f->bp, 988116), 0);
	assert_string_equal(f->fk.reqs[0].url,
			    URL("/warehouse-service/order/988116/goods-note/"
				"goods-out"));
	assert_int_equal(l.n, 1);
	assert_int_equal(l.items[0].id, 12447605);
	assert_int_equal(l.items[0].order_id, 988116);
	assert_int_equal(l.items[0].shipping_method_id, 49);
	assert_string_equal(l.items[0].tracking_ref, "1Z999AA10123456784");
	assert_true(l.items[0].shipped);
	assert_int_equal(l.items[0].nlines, 2);
	ps_bp_gon_list_dispose(&l);

	push(&f->fk, 0, 404, "{\"errors\":[]}");
	assert_int_equal(ps_bp_gon_for_order(&l, f->bp, 1), 0);
	assert_int_equal(l.n, 0);
	ps_bp_gon_list_dispose(&l);
}

/* A number past int64_t's range in a reply ("productId": 4.9E66) is
 * refused with the field named; converting it was undefined behaviour. */
static void
test_bp__goods_out_huge_number_is_refused(void **state)
{
	fixture *f = *state;
	ps_bp_gon_list l;

	push(&f->fk, 0, 200,
	     "{\"response\":{\"5\":{\"orderId\":7,\"warehouseId\":2,"
	     "\"status\":{\"shipped\":false},\"shipping\":{},"
	     "\"orderRows\":{\"9\":[{\"productId\":4.9E66,"
	     "\"quantity\":1}]}}}}");
	assert_true(ps_bp_gon_for_order(&l, f->bp, 7) < 0);
	assert_non_null(strstr(ps_error_last(), "productId"));
	assert_non_null(strstr(ps_error_last(), "out of range"));
	assert_int_equal(l.n, 0);
	ps_bp_gon_list_dispose(&l);
}

#define STATUSES                                                               \
	"{\"response\":[{\"statusId\":4,\"name\":\"Draft\","                   \
	"\"orderTypeCode\":\"SO\"},{\"statusId\":21,\"name\":\"Ready to "      \
	"ship\","                                                              \
	"\"orderTypeCode\":\"SO\"},{\"statusId\":22,\"name\":\"READY TO "      \
	"SHIP\","                                                              \
	"\"orderTypeCode\":\"SO\"},{\"statusId\":9,\"name\":\"Cancelled\","    \
	"\"orderTypeCode\":\"SO\"}]}"

static void
test_bp__order_status_resolve(void **state)
{
	fixture *f = *state;
	int64_t id = -1;

	/* an id is taken as it is, without a request */
	assert_int_equal(ps_bp_order_status_resolve(&id, f->bp, "21", "k"), 0);
	assert_int_equal(id, 21);
	assert_int_equal(f->fk.nreqs, 0);
	/* empty or unset: 0, no request */
	id = -1;
	assert_int_equal(ps_bp_order_status_resolve(&id, f->bp, "", "k"), 0);
	assert_int_equal(id, 0);
	assert_int_equal(ps_bp_order_status_resolve(&id, f->bp, NULL, "k"), 0);
	assert_int_equal(id, 0);
	assert_int_equal(f->fk.nreqs, 0);

	/* a name: the exact match wins over one differing in case */
	push(&f->fk, 0, 200, STATUSES);
	assert_int_equal(
		ps_bp_order_status_resolve(&id, f->bp, "READY TO SHIP", "k"),
		0);
	assert_int_equal(id, 22);
	assert_int_equal(f->fk.nreqs, 1);
	assert_string_equal(f->fk.reqs[0].method, "GET");
	assert_non_null(
		strstr(f->fk.reqs[0].url, "/order-service/order-status"));

	/* a name in other case, and a number that is not a whole id */
	push(&f->fk, 0, 200, STATUSES);
	assert_int_equal(
		ps_bp_order_status_resolve(&id, f->bp, "cancelled", "k"), 0);
	assert_int_equal(id, 9);
	push(&f->fk, 0, 200, STATUSES);
	assert_int_equal(ps_bp_order_status_resolve(&id, f->bp, "-4", "k"),
			 PS_ESETTING);

	/* an unknown name names the setting and the value */
	push(&f->fk, 0, 200, STATUSES);
	assert_int_equal(ps_bp_order_status_resolve(&id, f->bp, "Shipped",
						    "dsco.cancel_status"),
			 PS_ESETTING);
	assert_int_equal(id, 0);
	assert_non_null(strstr(ps_error_last(), "dsco.cancel_status"));
	assert_non_null(strstr(ps_error_last(), "'Shipped' is not a "
						"Brightpearl order status"));

	/* a failed list read is passed on */
	push(&f->fk, 0, 500,
	     "{\"errors\":[{\"code\":\"X\",\"message\":\"down\"}]}");
	f->fk.repeat_last = 1;
	assert_true(ps_bp_order_status_resolve(&id, f->bp, "Draft", "k") < 0);
	assert_int_equal(id, 0);
}

static void
test_bp__json_numbers_out_of_range(void **state)
{
	json_t *j = json_loads("{\"big\":4.9E66,\"neg\":-4.9E66,"
			       "\"edge\":9223372036854775808.0,"
			       "\"low\":-9223372036854775808.0,"
			       "\"ok\":17.0,\"money\":1e300,"
			       "\"nmoney\":-1e300,\"cents\":1e14}",
			       0, NULL);
	int64_t v = 0;
	ps_money m = 0;

	(void)state;
	assert_non_null(j);
	assert_int_equal(ps_conn__json_int(&v, j, "big", "X"), PS_EDATA);
	assert_non_null(
		strstr(ps_error_last(), "'big' is 4.9e+66, out of range"));
	assert_int_equal(ps_conn__json_int(&v, j, "neg", "X"), PS_EDATA);
	assert_int_equal(ps_conn__json_int(&v, j, "edge", "X"), PS_EDATA);
	assert_int_equal(ps_conn__json_int(&v, j, "low", "X"), 0);
	assert_true(v == INT64_MIN);
	assert_int_equal(ps_conn__json_int(&v, j, "ok", "X"), 0);
	assert_int_equal(v, 17);
	assert_int_equal(ps_conn__json_money(&m, j, "money", "X"), PS_EDATA);
	assert_non_null(strstr(ps_error_last(), "'money' amount out of range"));
	assert_int_equal(ps_conn__json_money(&m, j, "nmoney", "X"), PS_EDATA);
	assert_int_equal(ps_conn__json_money(&m, j, "cents", "X"), 0);
	assert_true(m == (ps_money)100000000000000 * 10000);
	json_decref(j);
}

static void
test_bp__delete_after_lost_reply_is_done(void **state)
{
	fixture *f = *state;

	push(&f->fk, 0, 404,
	     "{\"errors\":[{\"code\":\"CMNC-404\","
	     "\"message\":\"Cannot find webhook: 5\"}]}");
	f->fk.steps[f->fk.nsteps - 1].attempts = 2;
	assert_int_equal(ps_bp_webhook_delete(f->bp, 5), 0);
	push(&f->fk, 0, 404,
	     "{\"errors\":[{\"code\":\"CMNC-404\","
	     "\"message\":\"Cannot find webhook: 5\"}]}");
	assert_int_equal(ps_bp_webhook_delete(f->bp, 5), PS_ENOTFOUND);
}

/* ---- payments ----------------------------------------------------------- */

static void
test_bp__payment_lost_reply_is_recovered(void **state)
{
	fixture *f = *state;
	ps_bp_payment p = {0};
	int64_t id;
	json_t *b;

	p.order_id = 1081505;
	p.method_code = "PUNTOS";
	p.type = "RECEIPT";
	p.currency = "CRC";
	p.amount = ps_money_from_cents(10000);
	p.transaction_ref = "ch_123";
	p.payment_date = "2026-04-17T10:00:00-06:00";
	push(&f->fk, PS_ENET, 0, "");
	push(&f->fk, 0, 200,
	     "{\"response\":{\"results\":[[935250,\"other\",\"PUNTOS\"],"
	     "[935253,\"ch_123\",\"PUNTOS\"]],\"metaData\":{"
	     "\"morePagesAvailable\":false,\"resultsAvailable\":2,"
	     "\"resultsReturned\":2,\"firstResult\":1,\"lastResult\":2,"
	     "\"columns\":[{\"name\":\"paymentId\"},{\"name\":"
	     "\"transactionRef\"},{\"name\":\"paymentMethodCode\"}]}}}");
	assert_int_equal(ps_bp_payment_create(&id, f->bp, &p), 0);
	assert_int_equal(id, 935253);
	assert_true(f->fk.reqs[0].idempotent);
	b = req_json(&f->fk, 0);
	assert_string_equal(json_string_value(json_object_get(b, "amountPaid")),
			    "100.0000");
	assert_int_equal(json_integer_value(json_object_get(b, "orderId")),
			 1081505);
	json_decref(b);
	assert_string_equal(f->fk.reqs[1].url,
			    URL("/accounting-service/customer-payment-search?"
				"orderId=1081505&pageSize=2&firstResult=1"));

	/* not there: it did not take effect, so it is sent again */
	push(&f->fk, PS_ENET, 0, "");
	push_fixture(&f->fk, 200, "search_empty.json");
	push(&f->fk, 0, 200, "{\"response\":935300}");
	assert_int_equal(ps_bp_payment_create(&id, f->bp, &p), 0);
	assert_int_equal(id, 935300);
	assert_int_equal(f->fk.nreqs, 5);
	assert_string_equal(f->fk.reqs[4].method, "POST");

	/* a refusal that is not a duplicate stands, and is not resent */
	push_fixture(&f->fk, 400, "error_400.json");
	push_fixture(&f->fk, 200, "search_empty.json");
	assert_int_equal(ps_bp_payment_create(&id, f->bp, &p), PS_EDATA);
	assert_non_null(strstr(ps_error_last(), "ORDC-005"));
	assert_int_equal(f->fk.nreqs, 7);
}

static void
test_bp__note_add_recovers_after_drop(void **state)
{
	fixture *f = *state;
	int64_t id;

	/* dropped after sending: the note is there, so it is adopted */
	push(&f->fk, PS_ENET, 0, "");
	push(&f->fk, 0, 200,
	     "{\"response\":[{\"noteId\":3,\"text\":\"other\"},"
	     "{\"noteId\":8,\"text\":\"Gift: yes\",\"isPublic\":false}]}");
	assert_int_equal(ps_bp_note_add(&id, f->bp, 12, "Gift: yes", 0), 0);
	assert_int_equal(id, 8);
	assert_int_equal(f->fk.nreqs, 2);
	assert_string_equal(f->fk.reqs[1].url,
			    URL("/order-service/order/12/note"));

	/* a 400 on the first try is a plain refusal: no lookup */
	push_fixture(&f->fk, 400, "error_400.json");
	assert_int_equal(ps_bp_note_add(&id, f->bp, 12, "x", 0), PS_EDATA);
	assert_int_equal(f->fk.nreqs, 3);
}

/* ---- batches ------------------------------------------------------------ */

static void
test_bp__batch_splits_and_maps_results(void **state)
{
	fixture *f = *state;
	ps_bp_batch *b;
	const ps_bp_batch_result *r;
	json_t *j;
	size_t i;
	char ok[10 * 80 + 64];
	size_t off;

	assert_int_equal(ps_bp_batch_new(&b, f->bp), 0);
	for (i = 0; i < 11; i++)
		assert_int_equal(
			ps_bp_batch_note_add(b, (int64_t)(100 + i), "note", 0),
			0);
	assert_int_equal(ps_bp_batch_status_set(b, 200, 4, NULL), 0);
	assert_int_equal(ps_bp_batch_count(b), 12);
	assert_null(ps_bp_batch_result_get(b, 0));

	off = (size_t)snprintf(ok, sizeof(ok),
			       "{\"response\":{\"processedMessages\":[");
	for (i = 0; i < 10; i++)
		off += (size_t)snprintf(ok + off, sizeof(ok) - off,
					"%s{\"label\":\"m%zu\",\"statusCode\":"
					"200,\"body\":{\"content\":"
					"\"{\\\"response\\\":%zu}\"}}",
					i ? "," : "", i, 900 + i);
	snprintf(ok + off, sizeof(ok) - off, "]}}");
	push(&f->fk, 0, 200, ok);
	push(&f->fk, 0, 200,
	     "{\"response\":{\"processedMessages\":[{\"label\":\"m10\","
	     "\"statusCode\":200,\"body\":{\"content\":\"{\\\"response\\\":"
	     "1010}\"}},{\"label\":\"m11\",\"statusCode\":400,\"body\":{"
	     "\"content\":\"{\\\"errors\\\":[{\\\"code\\\":\\\"ORDC-009\\\","
	     "\\\"message\\\":\\\"Order status is hidden\\\"}]}\"}}],"
	     "\"unprocessedMessages\":[]}}");
	assert_int_equal(ps_bp_batch_send(b), 0);
	assert_int_equal(f->fk.nreqs, 2);
	assert_string_equal(f->fk.reqs[0].url, URL("/multi-message"));
	j = req_json(&f->fk, 0);
	assert_int_equal(json_array_size(json_object_get(j, "messages")), 10);
	assert_string_equal(
		json_string_value(ps_conn__json_at(
			json_array_get(json_object_get(j, "messages"), 3),
			"uri")),
		"/order-service/order/103/note");
	json_decref(j);
	j = req_json(&f->fk, 1);
	assert_int_equal(json_array_size(json_object_get(j, "messages")), 2);
	assert_string_equal(
		json_string_value(ps_conn__json_at(
			json_array_get(json_object_get(j, "messages"), 1),
			"httpMethod")),
		"PUT");
	json_decref(j);

	r = ps_bp_batch_result_get(b, 3);
	assert_int_equal(r->error, 0);
	assert_int_equal(r->id, 903);
	r = ps_bp_batch_result_get(b, 10);
	assert_int_equal(r->id, 1010);
	r = ps_bp_batch_result_get(b, 11);
	assert_int_equal(r->error, PS_EDATA);
	assert_int_equal(r->status, 400);
	assert_string_equal(r->message, "Order status is hidden");
	assert_null(ps_bp_batch_result_get(b, 12));
	assert_int_equal(ps_bp_batch_send(b), PS_EINVAL);
	ps_bp_batch_free(b);
}

static void
test_bp__batch_unprocessed_messages(void **state)
{
	fixture *f = *state;
	ps_bp_batch *b;
	ps_bp_payment p = {0};

	p.order_id = 1;
	p.method_code = "CARD";
	p.type = "RECEIPT";
	p.currency = "USD";
	p.payment_date = "2026-01-01T00:00:00Z";
	assert_int_equal(ps_bp_batch_new(&b, f->bp), 0);
	assert_int_equal(ps_bp_batch_payment_create(b, &p), 0);
	assert_int_equal(ps_bp_batch_note_add(b, 1, "x", 1), 0);
	assert_int_equal(ps_bp_batch_note_add(b, 1, "y", 1), 0);
	push_fixture(&f->fk, 200, "multi_message.json");
	assert_int_equal(ps_bp_batch_send(b), 0);
	assert_int_equal(ps_bp_batch_result_get(b, 0)->id, 111);
	assert_int_equal(ps_bp_batch_result_get(b, 1)->error, PS_EDATA);
	assert_int_equal(ps_bp_batch_result_get(b, 2)->error, PS_ESTOPPED);
	assert_int_equal(ps_bp_batch_result_get(b, 2)->status, 0);
	ps_bp_batch_free(b);

	/* a transport failure marks every message of the request */
	assert_int_equal(ps_bp_batch_new(&b, f->bp), 0);
	assert_int_equal(ps_bp_batch_note_add(b, 1, "x", 1), 0);
	push(&f->fk, PS_EREMOTE, 503, "");
	assert_int_equal(ps_bp_batch_send(b), PS_EREMOTE);
	assert_int_equal(ps_bp_batch_result_get(b, 0)->error, PS_EREMOTE);
	ps_bp_batch_free(b);
}

/* ---- failing allocator ----------------------------------------------- */

static long chaos_count, chaos_fail_at;

static void *
chaos_malloc(size_t n)
{
	if (chaos_fail_at > 0 && ++chaos_count == chaos_fail_at)
		return NULL;
	return malloc(n);
}

/*
 * Run op against the scripted reply with JSON allocation failing at the
 * 1st, 2nd, ... allocation until a run completes without reaching the
 * failure.  Every run must end cleanly (ASan checks leaks and crashes) and
 * a failed run must report an error.
 */
static void
chaos_loop(fixture *f, const char *fixture_name, int (*op)(fixture *f))
{
	long at;
	int rc;

	for (at = 1; at < 5000; at++) {
		fake_dispose(&f->fk);
		/*
		 * Jansson may report a failed allocation as a syntax error,
		 * which the connector answers by asking again: let it.
		 */
		f->fk.repeat_last = 1;
		push_fixture(&f->fk, 200, fixture_name);
		chaos_count = 0;
		chaos_fail_at = at;
		json_set_alloc_funcs(chaos_malloc, free);
		rc = op(f);
		json_set_alloc_funcs(malloc, free);
		if (chaos_count < at) {
			assert_int_equal(rc, 0); /* never failed: must work */
			break;
		}
		assert_true(rc < 0 || rc == 0);
	}
	assert_true(at > 1 && at < 5000);
	chaos_fail_at = 0;
}

static int
chaos_order_get(fixture *f)
{
	ps_bp_order_list l;
	int64_t id = 1;
	int rc = ps_bp_order_get(&l, f->bp, &id, 1);

	if (rc == 0) {
		assert_int_equal(l.n, 1);
		ps_bp_order_list_dispose(&l);
	}
	return rc;
}

static int
chaos_availability(fixture *f)
{
	ps_bp_stock_list l;
	int64_t id = 1532;
	int rc = ps_bp_availability_get(&l, f->bp, &id, 1);

	if (rc == 0)
		ps_bp_stock_list_dispose(&l);
	return rc;
}

static int
chaos_gon(fixture *f)
{
	ps_bp_gon_list l;
	int rc = ps_bp_gon_for_order(&l, f->bp, 988116);

	if (rc == 0)
		ps_bp_gon_list_dispose(&l);
	return rc;
}

static int
chaos_search(fixture *f)
{
	ps_bp_product_list l;
	int rc;

	/* the second page is the empty search */
	push_fixture(&f->fk, 200, "search_empty.json");
	rc = ps_bp_product_find(&l, f->bp, PS_BP_IDENTITY_SKU, "TEE-RED");
	if (rc == 0)
		ps_bp_product_list_dispose(&l);
	return rc;
}

static int
chaos_batch(fixture *f)
{
	ps_bp_batch *b = NULL;
	int rc, i;

	if ((rc = ps_bp_batch_new(&b, f->bp)) < 0)
		return rc;
	for (i = 0; i < 3 && rc == 0; i++)
		rc = ps_bp_batch_note_add(b, 1, "x", 0);
	if (rc == 0)
		rc = ps_bp_batch_send(b);
	ps_bp_batch_free(b);
	return rc;
}

static int
chaos_contact_changes(fixture *f)
{
	ps_bp_contact_rows r;
	int rc = ps_bp_contact_changes(&r, f->bp, "2026-07-01T10:00:00Z");

	ps_bp_contact_rows_dispose(&r);
	return rc;
}

static void
test_bp__parsing_survives_allocation_failures(void **state)
{
	fixture *f = *state;

	chaos_loop(f, "order_get.json", chaos_order_get);
	chaos_loop(f, "availability.json", chaos_availability);
	chaos_loop(f, "goods_out_get.json", chaos_gon);
	chaos_loop(f, "product_search_p1.json", chaos_search);
	chaos_loop(f, "multi_message.json", chaos_batch);
	chaos_loop(f, "contact_dir_p1.json", chaos_contact_changes);
}

/* ---- OAuth refresh and the order of save and use ----------------------- */

#define OA_NOW 1800000000
#define OA_EXPIRED "{\"response\":\"Authorization token expired\"}"
#define OA_GRANT                                                               \
	"{\"access_token\":\"acc-NEW-222222\",\"refresh_token\":"              \
	"\"ref-NEW-333333\",\"api_domain\":\"ws-use.brightpearl.com\","        \
	"\"token_type\":\"Bearer\",\"expires_in\":600}"

typedef struct saver {
	fake *fk;
	int fail;            /* answer PS_ESTORE */
	int calls;           /* attempts, failed ones included */
	size_t sent_at_save; /* requests sent when the last save ran */
	char access[64], refresh[64];
	int64_t expires_at;
} saver;

static int
oa_save(void *ctx, const ps_bp_tokens *t)
{
	saver *sv = ctx;

	sv->calls++;
	sv->sent_at_save = sv->fk->nreqs;
	if (sv->fail)
		return ps_error_set(PS_ESTORE, "disk full");
	snprintf(sv->access, sizeof(sv->access), "%s", t->access_token);
	snprintf(sv->refresh, sizeof(sv->refresh), "%s", t->refresh_token);
	sv->expires_at = t->expires_at;
	return 0;
}

static int64_t oa_clock = OA_NOW;

static int64_t
oa_now(void *ctx)
{
	(void)ctx;
	return oa_clock;
}

static ps_bp *
make_oauth(fake *fk, saver *sv, int64_t expires_at)
{
	ps_bp_options o = PS_BP_OPTIONS_INIT;
	ps_bp *bp = NULL;

	o.base_url = "https://use1.example.test/";
	o.account = "acme";
	o.auth = PS_BP_AUTH_OAUTH;
	o.app_ref = "acme_pearlsync";
	o.dev_ref = "acme_dev";
	o.token = TOKEN;
	o.refresh_token = "ref-OLD-111111";
	o.expires_at = expires_at;
	o.page_size = 2;
	o.send = fake_send;
	o.send_ctx = fk;
	o.save = oa_save;
	o.save_ctx = sv;
	o.now = oa_now;
	assert_int_equal(ps_bp_new(&bp, NULL, &o), 0);
	return bp;
}

/*
 * A 401 "expired": the connector trades the refresh token, saves the new
 * set, and only then repeats the request with the new bearer token.
 */
static void
test_bp__oauth_refresh_on_401_saves_before_use(void **state)
{
	fake fk = {0};
	saver sv = {0};
	ps_bp *bp;
	char *name = NULL;

	(void)state;
	sv.fk = &fk;
	oa_clock = OA_NOW;
	bp = make_oauth(&fk, &sv, OA_NOW + 3600);
	push(&fk, 0, 401, OA_EXPIRED);
	push(&fk, 0, 200, OA_GRANT);
	push(&fk, 0, 200, "{\"response\":{\"accountName\":\"Acme Ltd\"}}");
	assert_int_equal(ps_bp_check_connection(&name, bp), 0);
	free(name);
	assert_int_equal(fk.nreqs, 3);
	/* the refused call carried the old token and the dev ref */
	assert_non_null(strstr(fk.reqs[0].headers,
			       "Authorization: Bearer " TOKEN "\n"));
	assert_non_null(
		strstr(fk.reqs[0].headers, "brightpearl-dev-ref: acme_dev\n"));
	/* the token request, as the OAuth token POST page describes it */
	assert_string_equal(fk.reqs[1].url,
			    "https://use1.example.test/oauth/token");
	assert_string_equal(fk.reqs[1].method, "POST");
	assert_int_equal(fk.reqs[1].idempotent, 0);
	assert_non_null(strstr(fk.reqs[1].headers,
			       "application/x-www-form-urlencoded"));
	assert_string_equal(
		fk.reqs[1].body,
		"grant_type=refresh_token&refresh_token=ref-OLD-"
		"111111&client_id=acme_pearlsync&account_code=acme");
	/* saved once, all three values, after the grant, before any use */
	assert_int_equal(sv.calls, 1);
	assert_int_equal(sv.sent_at_save, 2);
	assert_string_equal(sv.access, "acc-NEW-222222");
	assert_string_equal(sv.refresh, "ref-NEW-333333");
	assert_int_equal(sv.expires_at, OA_NOW + 600);
	assert_non_null(strstr(fk.reqs[2].headers,
			       "Authorization: Bearer acc-NEW-222222\n"));
	ps_bp_free(bp);
	fake_dispose(&fk);
}

/*
 * The save fails: the new access token goes on no request, and the
 * granted set is kept and saved before the next request, without trading
 * the (already rotated) refresh token a second time.
 */
static void
test_bp__oauth_failed_save_never_uses_nor_loses(void **state)
{
	fake fk = {0};
	saver sv = {0};
	ps_bp *bp;
	char *name = NULL;
	size_t i;

	(void)state;
	sv.fk = &fk;
	sv.fail = 1;
	oa_clock = OA_NOW;
	bp = make_oauth(&fk, &sv, OA_NOW + 3600);
	push(&fk, 0, 401, OA_EXPIRED);
	push(&fk, 0, 200, OA_GRANT);
	assert_int_equal(ps_bp_check_connection(&name, bp), PS_ESTORE);
	assert_null(name);
	assert_int_equal(fk.nreqs, 2);
	assert_int_equal(sv.calls, 1);

	sv.fail = 0;
	push(&fk, 0, 200, "{\"response\":{\"accountName\":\"Acme Ltd\"}}");
	assert_int_equal(ps_bp_check_connection(&name, bp), 0);
	free(name);
	assert_int_equal(sv.calls, 2);
	assert_int_equal(sv.sent_at_save, 2); /* before the next request */
	assert_string_equal(sv.refresh, "ref-NEW-333333");
	assert_int_equal(fk.nreqs, 3);
	assert_string_not_equal(fk.reqs[2].url,
				"https://use1.example.test/oauth/token");
	assert_non_null(strstr(fk.reqs[2].headers,
			       "Authorization: Bearer acc-NEW-222222\n"));
	for (i = 0; i < 2; i++)
		assert_null(strstr(fk.reqs[i].headers, "acc-NEW"));
	ps_bp_free(bp);
	fake_dispose(&fk);
}

/* Near expiry the token is refreshed before the request, not after a 401. */
static void
test_bp__oauth_refresh_before_expiry(void **state)
{
	fake fk = {0};
	saver sv = {0};
	ps_bp *bp;
	char *name = NULL;

	(void)state;
	sv.fk = &fk;
	oa_clock = OA_NOW;
	bp = make_oauth(&fk, &sv, OA_NOW + PS_BP_REFRESH_MARGIN_S + 30);
	push(&fk, 0, 200, "{\"response\":{\"accountName\":\"Acme Ltd\"}}");
	assert_int_equal(ps_bp_check_connection(&name, bp), 0);
	free(name);
	assert_int_equal(fk.nreqs, 1); /* still comfortably valid */

	oa_clock = OA_NOW + 60; /* now within the margin */
	push(&fk, 0, 200, OA_GRANT);
	push(&fk, 0, 200, "{\"response\":{\"accountName\":\"Acme Ltd\"}}");
	assert_int_equal(ps_bp_check_connection(&name, bp), 0);
	free(name);
	assert_int_equal(fk.nreqs, 3);
	assert_string_equal(fk.reqs[1].url,
			    "https://use1.example.test/oauth/token");
	assert_int_equal(sv.sent_at_save, 2);
	assert_int_equal(sv.expires_at, OA_NOW + 60 + 600);
	assert_non_null(strstr(fk.reqs[2].headers,
			       "Authorization: Bearer acc-NEW-222222\n"));
	ps_bp_free(bp);
	fake_dispose(&fk);
}

/* A refused refresh token: PS_EAUTH saying what to do, no secret in it. */
static void
test_bp__oauth_refused_refresh_token(void **state)
{
	fake fk = {0};
	saver sv = {0};
	ps_bp *bp;
	char *name = NULL;

	(void)state;
	sv.fk = &fk;
	oa_clock = OA_NOW;
	bp = make_oauth(&fk, &sv, OA_NOW + 3600);
	push(&fk, 0, 401, OA_EXPIRED);
	push(&fk, 0, 400,
	     "{\"error\":\"invalid_grant\",\"error_description\":"
	     "\"Invalid authorization code or refresh token\"}");
	assert_int_equal(ps_bp_check_connection(&name, bp), PS_EAUTH);
	assert_non_null(strstr(ps_error_last(), "authorise the app again"));
	assert_null(strstr(ps_error_last(), "ref-OLD"));
	assert_null(strstr(ps_error_last(), TOKEN));
	assert_int_equal(sv.calls, 0);
	ps_bp_free(bp);
	fake_dispose(&fk);
}

/* Staff tokens have their own header; OAuth needs the dev ref. */
static void
test_bp__staff_header_and_oauth_needs_dev_ref(void **state)
{
	fake fk = {0};
	ps_bp_options o = PS_BP_OPTIONS_INIT;
	ps_bp *bp = NULL;
	char *name = NULL;

	(void)state;
	bp = make_bp(&fk, PS_BP_AUTH_STAFF, 0, 200);
	push(&fk, 0, 200, "{\"response\":{\"accountName\":\"Acme Ltd\"}}");
	assert_int_equal(ps_bp_check_connection(&name, bp), 0);
	free(name);
	assert_non_null(strstr(fk.reqs[0].headers,
			       "brightpearl-staff-token: " TOKEN "\n"));
	assert_null(strstr(fk.reqs[0].headers, "account-token"));
	assert_null(strstr(fk.reqs[0].headers, "Authorization"));
	ps_bp_free(bp);
	fake_dispose(&fk);

	o.base_url = "https://use1.example.test";
	o.account = "acme";
	o.auth = PS_BP_AUTH_OAUTH;
	o.app_ref = "acme_pearlsync";
	o.token = TOKEN;
	o.send = fake_send;
	o.send_ctx = &fk;
	assert_int_equal(ps_bp_new(&bp, NULL, &o), PS_ESETTING);
	assert_null(bp);
	assert_non_null(strstr(ps_error_last(), "developer reference"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bp__idset_ranges_and_dedup),
		cmocka_unit_test(test_bp__buf_cap_and_urlenc),
		cmocka_unit_test(test_bp__json_getters_explain_failures),
		cmocka_unit_test(test_bp__json_numbers_out_of_range),
		cmocka_unit_test(test_bp__new_requires_settings),
		cmocka_unit_test(test_bp__private_and_oauth_headers),
		cmocka_unit_test(
			test_bp__oauth_refresh_on_401_saves_before_use),
		cmocka_unit_test(
			test_bp__oauth_failed_save_never_uses_nor_loses),
		cmocka_unit_test(test_bp__oauth_refresh_before_expiry),
		cmocka_unit_test(test_bp__oauth_refused_refresh_token),
		cmocka_unit_test(test_bp__staff_header_and_oauth_needs_dev_ref),
		cmocka_unit_test(test_bp__identity_names),
		cmocka_unit_test(test_bp__ids_are_chunked_and_404_is_empty),
		cmocka_unit_test(
			test_bp__order_create_unguarded_is_not_idempotent),
		cmocka_unit_test_setup_teardown(
			test_bp__auth_failure_reads_string_body, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_bp__order_create_builds_guarded_body, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_bp__order_create_duplicate_without_id_is_found,
			setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_bp__order_get_parses_keyed_rows, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_bp__order_get_missing_field_is_named, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_bp__error_bodies_become_sentences, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_bp__status_and_fields_requests, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_bp__product_search_merges_sku_and_name, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_bp__product_resolve_refuses_none_or_several, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_bp__product_search_pages_and_filters, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_bp__empty_search_and_not_found, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_bp__contact_email_match_is_exact, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_bp__contact_email_match_skips_suppliers_and_staff,
			setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_bp__contact_create_posts_address_first, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_bp__contact_changes_pages_sorts_and_lowers, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_bp__contact_changes_without_since_reads_all, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_bp__batch_contact_bodies_equal_direct, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_bp__contact_update_stale_knowledge_reads_and_adds,
			setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_bp__contact_update_patches_and_relinks, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_bp__garbled_create_reply_is_looked_up, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_bp__delete_after_lost_reply_is_done, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_bp__availability_per_warehouse, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bp__goods_out_notes_keyed,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_bp__goods_out_huge_number_is_refused, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_bp__payment_lost_reply_is_recovered, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_bp__note_add_recovers_after_drop, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_bp__batch_splits_and_maps_results, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_bp__batch_unprocessed_messages, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_bp__parsing_survives_allocation_failures, setup,
			teardown),
		cmocka_unit_test_setup_teardown(test_bp__order_status_resolve,
						setup, teardown),
	};

	ps_lib_init();
	ps_log_set_level(PS_LOG_ERROR); /* retries warn; keep output clean */
	return cmocka_run_group_tests(tests, NULL, NULL);
}
