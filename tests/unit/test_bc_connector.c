/*
 * test_bc_connector.c - the BigCommerce connector against scripted replies.
 *
 * A fake transport stands in for ps_http_send(): each test scripts the
 * replies (JSON fixtures written from the API specs' examples, inline
 * bodies, 204s, transport errors) and asserts the requests the connector
 * built (method, URL with query, headers, JSON body) and the C structs it
 * parsed.  End-to-end runs against the sandbox are in
 * tests/integration/test_connector_bc.c.
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

#include "platforms/bigcommerce/bigcommerce_int.h"
#include "internal.h"
#include "pearlsync/bigcommerce.h"

#define TOKEN "tok-unit-7f3a9c"

/* Warnings the connector logs on purpose go here, not to the test output. */
static FILE *log_sink;
#define MAXQ 16

struct reply {
	int rc; /* what "ps_http_send" returns */
	long status;
	const char *file; /* fixture name, or NULL */
	const char *body; /* inline body, or NULL */
};

struct sent {
	char *method, *url, *headers, *body;
	int idempotent;
};

struct fake {
	struct reply q[MAXQ];
	size_t nq, next;
	struct sent sent[MAXQ];
	size_t nsent;
};

static char *
load_fixture(const char *name)
{
	const char *dir = getenv("PS_SOURCE_DIR");
	char path[1024];
	FILE *f;
	char *buf;
	long n;

	snprintf(path, sizeof(path), "%s/tests/unit/fixtures/bc/%s",
		 dir ? dir : ".", name);
	f = fopen(path, "rb");
	if (f == NULL)
		fail_msg("fixture %s missing", path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

/* A fixture parsed (new reference). */
static void
fixture_root(json_t **out, const char *name)
{
	char *text = load_fixture(name);

	*out = json_loads(text, 0, NULL);
	assert_non_null(*out);
	free(text);
}

static int
fake_send(void *ctx, ps_http_response *out, const ps_http_request *req)
{
	struct fake *fk = ctx;
	struct sent *s;
	struct reply *r;
	size_t i, hl = 0;

	assert_true(fk->nsent < MAXQ);
	s = &fk->sent[fk->nsent++];
	s->method = strdup(req->method);
	s->url = strdup(req->url);
	s->body = req->body ? strndup(req->body, req->body_len) : NULL;
	s->idempotent = req->idempotent;
	assert_int_equal(req->platform, PS_PLATFORM_BIGCOMMERCE);
	assert_string_equal(req->account, "abc123");
	assert_non_null(req->endpoint);
	for (i = 0; req->headers[i]; i++)
		hl += strlen(req->headers[i]) + 1;
	s->headers = calloc(1, hl + 1);
	for (i = 0; req->headers[i]; i++) {
		strncat(s->headers, req->headers[i], hl);
		strncat(s->headers, "\n", hl);
	}
	if (fk->next >= fk->nq)
		fail_msg("unexpected request %s %s", req->method, req->url);
	r = &fk->q[fk->next++];
	out->status = r->status;
	out->attempts = 1;
	if (r->file)
		out->body = load_fixture(r->file);
	else
		out->body = strdup(r->body ? r->body : "");
	out->body_len = strlen(out->body);
	if (r->rc < 0)
		return ps_error_set(r->rc, "bigcommerce %s: scripted failure",
				    req->endpoint);
	return 0;
}

static void
fake_push(struct fake *fk, int rc, long status, const char *file,
	  const char *body)
{
	assert_true(fk->nq < MAXQ);
	fk->q[fk->nq].rc = rc;
	fk->q[fk->nq].status = status;
	fk->q[fk->nq].file = file;
	fk->q[fk->nq].body = body;
	fk->nq++;
}

static void
fake_reset(struct fake *fk)
{
	size_t i;

	for (i = 0; i < fk->nsent; i++) {
		free(fk->sent[i].method);
		free(fk->sent[i].url);
		free(fk->sent[i].headers);
		free(fk->sent[i].body);
	}
	memset(fk, 0, sizeof(*fk));
}

struct env {
	struct fake fk;
	ps_bc *bc;
};

static ps_bc *
make_bc(struct fake *fk, int page_limit, int batch)
{
	ps_bc_options o = PS_BC_OPTIONS_INIT;
	ps_bc *bc = NULL;

	o.base_url = "http://127.0.0.1:9/bigcommerce/";
	o.store_hash = "abc123";
	o.access_token = TOKEN;
	if (page_limit)
		o.page_limit = page_limit;
	if (batch)
		o.inventory_batch = batch;
	assert_int_equal(ps_bc_new(&bc, NULL, &o), 0);
	ps_bc__set_transport(bc, fake_send, fk);
	return bc;
}

static int
setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));

	e->bc = make_bc(&e->fk, 0, 0);
	*state = e;
	if (log_sink == NULL)
		log_sink = fopen("/dev/null", "w");
	ps_log_set_stream(log_sink);
	return 0;
}

static int
teardown(void **state)
{
	struct env *e = *state;

	/* every scripted reply was consumed */
	assert_int_equal(e->fk.next, e->fk.nq);
	fake_reset(&e->fk);
	ps_bc_free(e->bc);
	free(e);
	ps_log_clear_secrets();
	return 0;
}

#define ROOT "http://127.0.0.1:9/bigcommerce/stores/abc123"
#define INCLUDE "?include=consignments.line_items&consignment_structure=object"

/* The body sent as JSON, compared member by member via jansson. */
static void
assert_body(const char *body, const char *want)
{
	json_t *a, *b;

	assert_non_null(body);
	a = json_loads(body, 0, NULL);
	b = json_loads(want, 0, NULL);
	assert_non_null(a);
	assert_non_null(b);
	if (!json_equal(a, b))
		fail_msg("body %s, want %s", body, want);
	json_decref(a);
	json_decref(b);
}

/* --- tests ---------------------------------------------------------------- */

static void
test_bc__new_refuses_missing_settings(void **state)
{
	ps_bc_options o = PS_BC_OPTIONS_INIT;
	ps_bc *bc = (ps_bc *)&o;

	(void)state;
	assert_int_equal(ps_bc_new(&bc, NULL, NULL), PS_EINVAL);
	assert_null(bc);
	assert_int_equal(ps_bc_new(&bc, NULL, &o), PS_EINVAL);
	assert_non_null(strstr(ps_error_last(), "store hash"));
	o.store_hash = "abc123";
	assert_int_equal(ps_bc_new(&bc, NULL, &o), PS_EINVAL);
	assert_non_null(strstr(ps_error_last(), "access token"));
	o.access_token = "";
	assert_int_equal(ps_bc_new(&bc, NULL, &o), PS_EINVAL);
	o.access_token = TOKEN;
	o.page_limit = 251;
	assert_int_equal(ps_bc_new(&bc, NULL, &o), PS_EINVAL);
	o.page_limit = 0;
	assert_int_equal(ps_bc_new(&bc, NULL, &o), PS_EINVAL);
	o.page_limit = 250;
	o.inventory_batch = 2001;
	assert_int_equal(ps_bc_new(&bc, NULL, &o), PS_EINVAL);
	o.inventory_batch = 1;
	o.store_hash = "abc/../x";
	assert_int_equal(ps_bc_new(&bc, NULL, &o), PS_EINVAL);
	assert_null(bc);
	ps_bc_free(NULL);
}

static void
test_bc__check_connection_sends_token_and_reads_name(void **state)
{
	struct env *e = *state;
	char *name = NULL;

	fake_push(&e->fk, 0, 200, "store.json", NULL);
	assert_int_equal(ps_bc_check_connection(&name, e->bc), 0);
	assert_string_equal(name, "Pearl Outfitters");
	free(name);
	assert_string_equal(e->fk.sent[0].method, "GET");
	assert_string_equal(e->fk.sent[0].url, ROOT "/v2/store");
	assert_non_null(
		strstr(e->fk.sent[0].headers, "X-Auth-Token: " TOKEN "\n"));
	assert_non_null(
		strstr(e->fk.sent[0].headers, "Accept: application/json\n"));
	assert_null(strstr(e->fk.sent[0].headers, "Content-Type"));
	assert_true(e->fk.sent[0].idempotent);
}

static void
test_bc__auth_failure_names_store_not_token(void **state)
{
	struct env *e = *state;
	char *name = NULL;

	fake_push(&e->fk, PS_EAUTH, 401, NULL,
		  "[{\"status\":401,\"message\":\"bad token\"}]");
	assert_int_equal(ps_bc_check_connection(&name, e->bc), PS_EAUTH);
	assert_null(name);
	assert_non_null(strstr(ps_error_last(), "abc123"));
	assert_non_null(strstr(ps_error_last(), "access token"));
	assert_null(strstr(ps_error_last(), TOKEN));
}

static void
test_bc__order_get_parses_money_dates_lines_addresses(void **state)
{
	struct env *e = *state;
	ps_bc_order o;

	fake_push(&e->fk, 0, 200, "order_218.json", NULL);
	fake_push(&e->fk, 0, 200, "order_218_products.json", NULL);
	fake_push(&e->fk, 0, 200, "order_218_shipping_addresses.json", NULL);
	/* a reply without consignments: the separate lists are read */
	assert_int_equal(ps_bc_order_get(&o, e->bc, 218), 0);
	assert_int_equal(e->fk.nsent, 3);
	assert_string_equal(e->fk.sent[0].url, ROOT "/v2/orders/218" INCLUDE);
	assert_string_equal(e->fk.sent[1].url,
			    ROOT "/v2/orders/218/products?limit=250&page=1");
	assert_string_equal(
		e->fk.sent[2].url,
		ROOT "/v2/orders/218/shipping_addresses?limit=250&page=1");

	assert_int_equal(o.id, 218);
	assert_int_equal(o.customer_id, 11);
	assert_int_equal(o.status_id, 7);
	assert_string_equal(o.status, "Awaiting Payment");
	assert_int_equal(o.subtotal_ex_tax, 626793); /* "62.6793" exactly */
	assert_int_equal(o.total_inc_tax, 698400);
	assert_int_equal(o.shipping_cost_tax, 9100);
	assert_int_equal(o.discount_amount, 50000);
	assert_int_equal(o.date_created, 1551822011); /* Tue, 05 Mar 2019 */
	assert_int_equal(o.date_modified, 1552317445);
	assert_int_equal(o.date_shipped, 0);
	assert_false(o.is_tax_inclusive_pricing);
	assert_string_equal(o.payment_status, "authorized");
	assert_string_equal(o.default_currency_code, "USD");
	assert_string_equal(o.staff_notes, "");
	assert_string_equal(o.billing_address.email, "janedoe@example.com");
	assert_string_equal(o.billing_address.zip, "78108");
	/* class 0 (the store's default) is a class, not "unknown" */
	assert_int_equal(o.shipping_cost_tax_class_id, 0);
	assert_int_equal(o.handling_cost_tax_class_id, 0);
	assert_int_equal(o.wrapping_cost_tax_class_id, 0);

	assert_int_equal(o.nproducts, 2);
	assert_int_equal(o.products[0].id, 65);
	assert_string_equal(o.products[0].sku, "S-ORAN");
	assert_int_equal(o.products[0].quantity, 1);
	assert_int_equal(o.products[0].price_inc_tax, 652300);
	assert_int_equal(o.products[0].discount, 15900);
	assert_int_equal(o.products[0].order_address_id, 51);
	assert_int_equal(o.products[0].parent_order_product_id, 0);
	assert_string_equal(o.products[1].sku, "ABS");

	assert_int_equal(o.nshipping_addresses, 1);
	assert_int_equal(o.shipping_addresses[0].id, 42);
	assert_string_equal(o.shipping_addresses[0].shipping_method,
			    "Fixed Shipping");
	assert_int_equal(o.shipping_addresses[0].cost_inc_tax, 43200);
	assert_string_equal(o.shipping_addresses[0].address.city, "Austin");
	ps_bc_order_dispose(&o);
	ps_bc_order_dispose(&o); /* twice is harmless */
}

/* The order 218 fixtures' lines and address, however they were read. */
static void
assert_order_218_parts(const ps_bc_order *o)
{
	assert_int_equal(o->nproducts, 2);
	assert_int_equal(o->products[0].id, 65);
	assert_string_equal(o->products[0].sku, "S-ORAN");
	assert_int_equal(o->products[0].quantity, 1);
	assert_int_equal(o->products[0].price_inc_tax, 652300);
	assert_int_equal(o->products[0].discount, 15900);
	assert_int_equal(o->products[0].order_address_id, 51);
	assert_int_equal(o->products[1].id, 66);
	assert_string_equal(o->products[1].sku, "ABS");
	assert_int_equal(o->nshipping_addresses, 1);
	assert_int_equal(o->shipping_addresses[0].id, 42);
	assert_string_equal(o->shipping_addresses[0].shipping_method,
			    "Fixed Shipping");
	assert_int_equal(o->shipping_addresses[0].cost_inc_tax, 43200);
	assert_int_equal(o->shipping_addresses[0].items_total, 2);
	assert_string_equal(o->shipping_addresses[0].address.city, "Austin");
	assert_string_equal(o->shipping_addresses[0].address.phone,
			    "1234567890");
}

static void
test_bc__order_get_inline_consignments_one_request(void **state)
{
	struct env *e = *state;
	ps_bc_order o;

	/* line 65 ships, line 66 is in the download consignment */
	fake_push(&e->fk, 0, 200, "order_218_consignments.json", NULL);
	assert_int_equal(ps_bc_order_get(&o, e->bc, 218), 0);
	assert_int_equal(e->fk.nsent, 1);
	assert_string_equal(e->fk.sent[0].url, ROOT "/v2/orders/218" INCLUDE);
	assert_int_equal(o.id, 218);
	assert_int_equal(o.total_inc_tax, 698400);
	assert_order_218_parts(&o);
	ps_bc_order_dispose(&o);
}

static void
test_bc__order_get_cut_lines_read_from_products(void **state)
{
	struct env *e = *state;
	ps_bc_order o;
	json_t *root, *items, *line;
	char *fifty;
	size_t i;

	/* a "__warning__": the lines come from /products, not the address */
	fake_push(&e->fk, 0, 200, "order_218_cut.json", NULL);
	fake_push(&e->fk, 0, 200, "order_218_products.json", NULL);
	assert_int_equal(ps_bc_order_get(&o, e->bc, 218), 0);
	assert_int_equal(e->fk.nsent, 2);
	assert_string_equal(e->fk.sent[1].url,
			    ROOT "/v2/orders/218/products?limit=250&page=1");
	assert_order_218_parts(&o);
	ps_bc_order_dispose(&o);

	/* exactly 50 inline lines and no warning: may be cut all the same */
	fixture_root(&root, "order_218_consignments.json");
	items = json_object_get(
		json_array_get(
			json_object_get(json_object_get(root, "consignments"),
					"shipping"),
			0),
		"line_items");
	line = json_array_get(items, 0);
	for (i = 1; i < 50; i++)
		json_array_append_new(items, json_deep_copy(line));
	fifty = json_dumps(root, JSON_COMPACT);
	fake_push(&e->fk, 0, 200, NULL, fifty);
	fake_push(&e->fk, 0, 200, "order_218_products.json", NULL);
	assert_int_equal(ps_bc_order_get(&o, e->bc, 218), 0);
	assert_int_equal(e->fk.nsent, 4);
	assert_non_null(strstr(e->fk.sent[3].url, "/v2/orders/218/products?"));
	assert_order_218_parts(&o);
	ps_bc_order_dispose(&o);

	/* the line read fails: so does the order, with nothing left over */
	fake_push(&e->fk, 0, 200, "order_218_cut.json", NULL);
	fake_push(&e->fk, PS_ETIMEOUT, 0, NULL, NULL);
	assert_int_equal(ps_bc_order_get(&o, e->bc, 218), PS_ETIMEOUT);
	assert_null(o.products);
	assert_null(o.shipping_addresses);
	free(fifty);
	json_decref(root);
}

static void
test_bc__orders_get_many_runs_and_missing_ids(void **state)
{
	struct env *e = *state;
	/* 218..230 fit one page (run 1: 218, 225 unasked, 230 cut);
	 * 600 and 999 are 250 or more apart: a run each; 999 is gone */
	static const int64_t ids[] = {600, 230, 218, 999, 218};
	ps_bc_order_list l;

	fake_push(&e->fk, 0, 200, "orders_many_run1.json", NULL);
	fake_push(&e->fk, 0, 200, "orders_many_run2.json", NULL);
	fake_push(&e->fk, 0, 204, NULL, "");
	fake_push(&e->fk, 0, 200, "order_218_products.json", NULL);
	assert_int_equal(ps_bc_orders_get_many(&l, e->bc, ids, 5), 0);
	assert_int_equal(e->fk.nsent, 4);
	assert_string_equal(e->fk.sent[0].url,
			    ROOT "/v2/orders?min_id=218&max_id=230"
				 "&include=consignments.line_items"
				 "&consignment_structure=object"
				 "&limit=250&page=1");
	assert_string_equal(e->fk.sent[1].url,
			    ROOT "/v2/orders?min_id=600&max_id=600"
				 "&include=consignments.line_items"
				 "&consignment_structure=object"
				 "&limit=250&page=1");
	assert_non_null(strstr(e->fk.sent[2].url, "?min_id=999&max_id=999&"));
	assert_string_equal(e->fk.sent[3].url,
			    ROOT "/v2/orders/230/products?limit=250&page=1");
	assert_int_equal(l.count, 5);
	assert_int_equal(l.items[0].id, 600);
	assert_order_218_parts(&l.items[0]);
	assert_int_equal(l.items[1].id, 230);
	assert_order_218_parts(&l.items[1]);
	assert_int_equal(l.items[2].id, 218);
	assert_int_equal(l.items[2].total_inc_tax, 698400);
	assert_order_218_parts(&l.items[2]);
	assert_int_equal(l.items[3].id, 0); /* not returned */
	assert_null(l.items[3].products);
	assert_int_equal(l.items[4].id, 0); /* a repeat */
	ps_bc_order_list_dispose(&l);

	/* the cut order's line read fails: that order alone is left out */
	fake_push(&e->fk, 0, 200, "orders_many_run1.json", NULL);
	fake_push(&e->fk, 0, 500, NULL, "");
	assert_int_equal(ps_bc_orders_get_many(&l, e->bc, ids + 1, 2), 0);
	assert_int_equal(l.count, 2);
	assert_int_equal(l.items[0].id, 0);
	assert_int_equal(l.items[1].id, 218);
	ps_bc_order_list_dispose(&l);

	/* a failed run: nothing is returned and nothing leaks */
	fake_push(&e->fk, 0, 200, "orders_many_run1.json", NULL);
	fake_push(&e->fk, PS_ETIMEOUT, 0, NULL, NULL);
	assert_int_equal(ps_bc_orders_get_many(&l, e->bc, ids, 3), PS_ETIMEOUT);
	assert_int_equal(l.count, 0);
	assert_null(l.items);

	/* nothing asked: nothing sent */
	assert_int_equal(ps_bc_orders_get_many(&l, e->bc, ids, 0), 0);
	assert_int_equal(l.count, 0);
	assert_int_equal(e->fk.nsent, 8);
}

static void
test_bc__orders_get_many_pages_a_full_run(void **state)
{
	struct env *e = *state;
	ps_bc *bc = make_bc(&e->fk, 2, 0);
	static const int64_t ids[] = {219, 218};
	ps_bc_order_list l;

	/* limit 2: 218 and 219 share a run; three rows fill the page, so
	 * page 2 is asked for; 219 was not among the rows */
	fake_push(&e->fk, 0, 200, "orders_many_run1.json", NULL);
	fake_push(&e->fk, 0, 204, NULL, "");
	assert_int_equal(ps_bc_orders_get_many(&l, bc, ids, 2), 0);
	assert_int_equal(e->fk.nsent, 2);
	assert_non_null(
		strstr(e->fk.sent[0].url, "?min_id=218&max_id=219&include="));
	assert_non_null(strstr(e->fk.sent[0].url, "&limit=2&page=1"));
	assert_non_null(strstr(e->fk.sent[1].url, "&limit=2&page=2"));
	assert_int_equal(l.count, 2);
	assert_int_equal(l.items[0].id, 0);
	assert_int_equal(l.items[1].id, 218);
	assert_order_218_parts(&l.items[1]);
	ps_bc_order_list_dispose(&l);
	ps_bc_free(bc);
}

static void
test_bc__order_get_missing_is_notfound(void **state)
{
	struct env *e = *state;
	ps_bc_order o;

	fake_push(&e->fk, 0, 404, NULL,
		  "[{\"status\":404,\"message\":\"The requested resource was "
		  "not found.\"}]");
	assert_int_equal(ps_bc_order_get(&o, e->bc, 999), PS_ENOTFOUND);
	assert_string_equal(ps_error_last(), "BigCommerce order 999 not found");
	assert_null(o.products);
}

static void
test_bc__order_bad_money_names_order_and_field(void **state)
{
	struct env *e = *state;
	ps_bc_order_list l;

	fake_push(&e->fk, 0, 200, NULL,
		  "[{\"id\":1042,\"status_id\":11,\"date_created\":\"Tue, 05 "
		  "Mar 2019 21:40:11 +0000\",\"date_modified\":\"Tue, 05 Mar "
		  "2019 21:40:11 +0000\",\"subtotal_ex_tax\":\"1\","
		  "\"subtotal_inc_tax\":\"1\",\"total_ex_tax\":\"1\","
		  "\"total_inc_tax\":\"12.3x\"}]");
	assert_int_equal(ps_bc_orders_list(&l, e->bc, NULL), PS_EDATA);
	assert_string_equal(ps_error_last(),
			    "BigCommerce order 1042: field 'total_inc_tax' is "
			    "\"12.3x\", not an amount");
	assert_null(l.items);
	assert_int_equal(l.count, 0);

	fake_push(
		&e->fk, 0, 200, NULL,
		"[{\"id\":1043,\"status_id\":11,\"date_created\":\"Tue, 05 "
		"Mar 2019 21:40:11 +0000\",\"date_modified\":\"yesterday\"}]");
	assert_int_equal(ps_bc_orders_list(&l, e->bc, NULL), PS_EDATA);
	assert_string_equal(ps_error_last(),
			    "BigCommerce order 1043: field "
			    "'date_modified' is \"yesterday\", not a date");

	fake_push(&e->fk, 0, 200, NULL,
		  "[{\"id\":1044,\"status_id\":11,\"date_created\":\"\","
		  "\"date_modified\":\"\",\"subtotal_ex_tax\":\"1\","
		  "\"subtotal_inc_tax\":\"1\",\"total_ex_tax\":\"1\"}]");
	assert_int_equal(ps_bc_orders_list(&l, e->bc, NULL), PS_EDATA);
	assert_string_equal(ps_error_last(), "BigCommerce order 1044: field "
					     "'total_inc_tax' missing");

	/* a garbled 2xx body is asked for again, up to three sends */
	fake_push(&e->fk, 0, 200, NULL, "[{\"id\":1,\"status_id\":");
	fake_push(&e->fk, 0, 200, NULL, "<html>");
	fake_push(&e->fk, 0, 200, NULL, "[{\"id\":1,");
	assert_int_equal(ps_bc_orders_list(&l, e->bc, NULL), PS_EPARSE);
	assert_non_null(strstr(ps_error_last(), "listing orders"));
	assert_non_null(strstr(ps_error_last(), "line 1"));
	assert_int_equal(e->fk.nsent, 6);
	fake_push(&e->fk, 0, 200, NULL, "[{\"id\":1,\"status_id\":");
	fake_push(&e->fk, 0, 204, NULL, "");
	assert_int_equal(ps_bc_orders_list(&l, e->bc, NULL), 0);
	assert_int_equal(l.count, 0);
}

static const char order_row_json[] =
	"{\"id\":%d,\"status_id\":11,\"date_created\":\"Tue, 05 Mar 2019 "
	"21:40:11 +0000\",\"date_modified\":\"Wed, 06 Mar 2019 0%d:00:00 "
	"+0000\",\"subtotal_ex_tax\":\"10.00\",\"subtotal_inc_tax\":\"12\","
	"\"total_ex_tax\":\"10.0000\",\"total_inc_tax\":\"12.0000\","
	"\"billing_address\":null}";

static void
test_bc__orders_list_walks_pages_until_short_or_204(void **state)
{
	struct env *e = *state;
	ps_bc_order_list l;
	char p1[1024], p2[1024], a[400], b[400], c[400];
	ps_bc *bc = make_bc(&e->fk, 2, 0);

	(void)state;
	snprintf(a, sizeof(a), order_row_json, 1, 1);
	snprintf(b, sizeof(b), order_row_json, 2, 2);
	snprintf(c, sizeof(c), order_row_json, 3, 3);
	snprintf(p1, sizeof(p1), "[%s,%s]", a, b);
	snprintf(p2, sizeof(p2), "[%s]", c);
	/* full page then a short one: two requests */
	fake_push(&e->fk, 0, 200, NULL, p1);
	fake_push(&e->fk, 0, 200, NULL, p2);
	assert_int_equal(
		ps_bc_orders_list_modified_since(&l, bc, 1551822011, 11), 0);
	assert_int_equal(l.count, 3);
	assert_int_equal(l.items[2].id, 3);
	assert_int_equal(l.items[2].date_modified, 1551841200);
	assert_string_equal(l.items[0].billing_address.email, "");
	assert_null(l.items[0].products);
	assert_string_equal(e->fk.sent[0].url,
			    ROOT "/v2/orders?sort=date_modified:asc"
				 "&min_date_modified=Tue%2C%2005%20Mar%202019"
				 "%2021%3A40%3A11%20%2B0000&status_id=11"
				 "&limit=2&page=1");
	assert_non_null(strstr(e->fk.sent[1].url, "&limit=2&page=2"));
	ps_bc_order_list_dispose(&l);

	/* full page then 204 (what v2 sends past the end) */
	fake_push(&e->fk, 0, 200, NULL, p1);
	fake_push(&e->fk, 0, 204, NULL, "");
	assert_int_equal(ps_bc_orders_list(&l, bc, NULL), 0);
	assert_int_equal(l.count, 2);
	assert_string_equal(e->fk.sent[2].url,
			    ROOT "/v2/orders?sort="
				 "date_modified:asc&limit=2&page=1");
	ps_bc_order_list_dispose(&l);

	/* no orders at all: one 204 */
	fake_push(&e->fk, 0, 204, NULL, "");
	assert_int_equal(ps_bc_orders_list(&l, bc, NULL), 0);
	assert_int_equal(l.count, 0);
	ps_bc_order_list_dispose(&l);

	/* a transport failure on page 2 loses page 1 cleanly */
	fake_push(&e->fk, 0, 200, NULL, p1);
	fake_push(&e->fk, PS_ETIMEOUT, 0, NULL, NULL);
	assert_int_equal(ps_bc_orders_list(&l, bc, NULL), PS_ETIMEOUT);
	assert_non_null(strstr(ps_error_last(), "BigCommerce: listing orders"));
	assert_int_equal(l.count, 0);
	ps_bc_free(bc);
}

/*
 * skip_bad: one malformed order (a total "NaN", then one without a usable
 * id) is set aside with the reason, and the good ones on both pages come
 * back; without skip_bad the same page fails whole.
 */
static void
test_bc__orders_list_skip_bad_goes_on(void **state)
{
	struct env *e = *state;
	ps_bc_order_query q = PS_BC_ORDER_QUERY_INIT;
	ps_bc_order_list l;
	char p1[1400], p2[1024], a[400], bad[400], c[400];
	ps_bc *bc = make_bc(&e->fk, 3, 0);

	snprintf(a, sizeof(a), order_row_json, 1, 1);
	snprintf(bad, sizeof(bad), order_row_json, 2, 2);
	snprintf(c, sizeof(c), order_row_json, 3, 3);
	memcpy(strstr(bad, "\"12.0000\""), "\"NaN\"    ", 9);
	snprintf(p1, sizeof(p1), "[%s,%s,%s]", a, bad, c);
	snprintf(p2, sizeof(p2), "[{\"id\":\"x\"}]");
	fake_push(&e->fk, 0, 200, NULL, p1);
	fake_push(&e->fk, 0, 200, NULL, p2);
	q.skip_bad = 1;
	assert_int_equal(ps_bc_orders_list(&l, bc, &q), 0);
	assert_int_equal(l.count, 2);
	assert_int_equal(l.items[0].id, 1);
	assert_int_equal(l.items[1].id, 3);
	assert_int_equal(l.nbad, 2);
	assert_int_equal(l.bad[0].id, 2);
	assert_string_equal(l.bad[0].reason,
			    "BigCommerce order 2: field 'total_inc_tax' is "
			    "\"NaN\", not an amount");
	assert_int_equal(l.bad[1].id, 0);
	assert_non_null(strstr(l.bad[1].reason, "'id'"));
	ps_bc_order_list_dispose(&l);
	assert_null(l.bad);

	/* the default stays all or nothing */
	fake_push(&e->fk, 0, 200, NULL, p1);
	assert_int_equal(ps_bc_orders_list(&l, bc, NULL), PS_EDATA);
	assert_int_equal(l.count, 0);
	assert_int_equal(l.nbad, 0);

	/* get_many: the bad order alone is left for a direct read (id 0) */
	{
		static const int64_t ids[] = {1, 2, 3};
		int k;

		fake_push(&e->fk, 0, 200, NULL, p1);
		fake_push(&e->fk, 0, 204, NULL, ""); /* a full page: more? */
		for (k = 0; k < 4; k++) /* each good order's two lists */
			fake_push(&e->fk, 0, 204, NULL, "");
		assert_int_equal(ps_bc_orders_get_many(&l, bc, ids, 3), 0);
		assert_int_equal(l.count, 3);
		assert_int_equal(l.items[0].id, 1);
		assert_int_equal(l.items[1].id, 0);
		assert_int_equal(l.items[2].id, 3);
		ps_bc_order_list_dispose(&l);
	}
	ps_bc_free(bc);
}

/* A read of order 5050 that answers about order 424242 is refused. */
static void
test_bc__order_get_refuses_another_order(void **state)
{
	struct env *e = *state;
	ps_bc_order o;
	char row[400];

	snprintf(row, sizeof(row), order_row_json, 424242, 1);
	fake_push(&e->fk, 0, 200, NULL, row);
	assert_int_equal(ps_bc_order_get(&o, e->bc, 5050), PS_EREMOTE);
	assert_string_equal(ps_error_last(),
			    "BigCommerce: reading order 5050: the reply is "
			    "about order 424242 (field 'id'); nothing of it "
			    "was used");
	assert_int_equal(o.id, 0);
	assert_int_equal(e->fk.nsent, 1); /* nothing read by the wrong id */
}

static void
test_bc__order_updates_send_only_changed_fields(void **state)
{
	struct env *e = *state;

	fake_push(&e->fk, 0, 200, "order_218.json", NULL);
	assert_int_equal(ps_bc_order_update_status(e->bc, 218, 2), 0);
	assert_string_equal(e->fk.sent[0].method, "PUT");
	assert_string_equal(e->fk.sent[0].url, ROOT "/v2/orders/218");
	assert_body(e->fk.sent[0].body, "{\"status_id\":2}");
	assert_non_null(strstr(e->fk.sent[0].headers,
			       "Content-Type: application/json\n"));
	assert_true(e->fk.sent[0].idempotent);

	fake_push(&e->fk, 0, 200, "order_218.json", NULL);
	assert_int_equal(
		ps_bc_order_update_notes(e->bc, 218, "Packed by Ann", NULL), 0);
	assert_body(e->fk.sent[1].body, "{\"staff_notes\":\"Packed by Ann\"}");

	fake_push(&e->fk, 0, 200, "order_218.json", NULL);
	assert_int_equal(ps_bc_order_update_notes(e->bc, 218, "", "Gift"), 0);
	assert_body(e->fk.sent[2].body,
		    "{\"staff_notes\":\"\",\"customer_message\":\"Gift\"}");

	assert_int_equal(ps_bc_order_update_notes(e->bc, 218, NULL, NULL),
			 PS_EINVAL);

	fake_push(&e->fk, 0, 404, NULL, "");
	assert_int_equal(ps_bc_order_update_status(e->bc, 77, 2), PS_ENOTFOUND);
	assert_non_null(strstr(ps_error_last(), "order 77 not found"));

	fake_push(&e->fk, 0, 400, "error_v2_400.json", NULL);
	assert_int_equal(ps_bc_order_update_status(e->bc, 218, 2), PS_EDATA);
	assert_non_null(strstr(ps_error_last(),
			       "HTTP 400: The field "
			       "'item_total' cannot be written to"));
	assert_non_null(strstr(ps_error_last(), "(read-only)"));
}

static void
test_bc__order_statuses(void **state)
{
	struct env *e = *state;
	ps_bc_order_status_list l;

	fake_push(&e->fk, 0, 200, "order_statuses.json", NULL);
	assert_int_equal(ps_bc_order_statuses_list(&l, e->bc), 0);
	assert_string_equal(e->fk.sent[0].url, ROOT "/v2/order_statuses");
	assert_int_equal(l.count, 15);
	assert_int_equal(l.items[0].id, 0);
	assert_string_equal(l.items[0].custom_label, "Incomplete - Testing");
	assert_int_equal(l.items[11].id, 11);
	assert_string_equal(l.items[11].system_label, "Awaiting Fulfillment");
	assert_int_equal(l.items[2].order, 8);
	ps_bc_order_status_list_dispose(&l);
}

static void
test_bc__shipment_create_body_and_reply(void **state)
{
	struct env *e = *state;
	ps_bc_shipment_item items[2] = {{194, 0, 1}, {195, 0, 2}};
	ps_bc_shipment_new s = {0};
	ps_bc_shipment out;

	s.order_address_id = 131;
	s.items = items;
	s.nitems = 2;
	s.tracking_number = "EJ958083578US";
	s.shipping_provider = "usps";
	s.shipping_method = "First Class";
	fake_push(&e->fk, 0, 201, "shipment_11.json", NULL);
	assert_int_equal(ps_bc_shipment_create(&out, e->bc, 228, &s), 0);
	assert_string_equal(e->fk.sent[0].method, "POST");
	assert_string_equal(e->fk.sent[0].url, ROOT "/v2/orders/228/shipments");
	assert_false(e->fk.sent[0].idempotent);
	assert_body(
		e->fk.sent[0].body,
		"{\"order_address_id\":131,\"items\":[{\"order_product_id\":"
		"194,\"quantity\":1},{\"order_product_id\":195,\"quantity\""
		":2}],\"tracking_number\":\"EJ958083578US\","
		"\"shipping_provider\":\"usps\",\"shipping_method\":"
		"\"First Class\"}");
	assert_int_equal(out.id, 11);
	assert_int_equal(out.order_id, 228);
	assert_int_equal(out.order_address_id, 131);
	assert_int_equal(out.date_created, 1552494937);
	assert_string_equal(out.tracking_number, "EJ958083578US");
	assert_int_equal(out.nitems, 2);
	assert_int_equal(out.items[1].order_product_id, 195);
	ps_bc_shipment_dispose(&out);

	/* refused: PS_EDATA with BigCommerce's words, no second POST */
	fake_push(&e->fk, 0, 422, "error_v3_422.json", NULL);
	assert_int_equal(ps_bc_shipment_create(&out, e->bc, 228, &s), PS_EDATA);
	assert_non_null(strstr(ps_error_last(),
			       "JSON data is missing or invalid; destination: "
			       "error.path.missing."));

	s.nitems = 0;
	assert_int_equal(ps_bc_shipment_create(&out, e->bc, 228, &s),
			 PS_EINVAL);
	s.nitems = 2;
	items[1].quantity = 0;
	assert_int_equal(ps_bc_shipment_create(&out, e->bc, 228, &s),
			 PS_EINVAL);
}

static void
test_bc__shipment_with_ref_is_exactly_once(void **state)
{
	struct env *e = *state;
	ps_bc_shipment_item items[1] = {{65, 0, 1}};
	ps_bc_shipment_new s = {0};
	ps_bc_shipment out;
	static const char existing[] =
		"[{\"id\":12,\"order_id\":218,\"order_address_id\":42,"
		"\"date_created\":\"Wed, 13 Mar 2019 16:35:37 +0000\","
		"\"comments\":\"Box 1 "
		"[gon-77]\",\"items\":[{\"order_product_id\""
		":65,\"product_id\":77,\"quantity\":1}]}]";

	s.order_address_id = 42;
	s.items = items;
	s.nitems = 1;
	s.comments = "Box 1";
	s.ref = "gon-77";

	/* not there yet: list (204), then POST once */
	fake_push(&e->fk, 0, 204, NULL, "");
	fake_push(&e->fk, 0, 201, "shipment_11.json", NULL);
	assert_int_equal(ps_bc_shipment_create(&out, e->bc, 218, &s), 0);
	assert_string_equal(e->fk.sent[0].method, "GET");
	assert_string_equal(e->fk.sent[1].method, "POST");
	assert_non_null(
		strstr(e->fk.sent[1].body, "\"comments\":\"Box 1 [gon-77]\""));
	ps_bc_shipment_dispose(&out);

	/* the POST dropped after sending, but it was made: adopt it */
	fake_push(&e->fk, 0, 204, NULL, "");
	fake_push(&e->fk, PS_ENET, 0, NULL, NULL);
	fake_push(&e->fk, 0, 200, NULL, existing);
	assert_int_equal(ps_bc_shipment_create(&out, e->bc, 218, &s), 0);
	assert_int_equal(out.id, 12);
	assert_int_equal(out.items[0].product_id, 77);
	ps_bc_shipment_dispose(&out);

	/* the POST failed before reaching the store: try again, once more */
	fake_push(&e->fk, 0, 204, NULL, "");
	fake_push(&e->fk, PS_EREMOTE, 503, NULL, "");
	fake_push(&e->fk, 0, 204, NULL, "");
	fake_push(&e->fk, 0, 201, "shipment_11.json", NULL);
	assert_int_equal(ps_bc_shipment_create(&out, e->bc, 218, &s), 0);
	assert_int_equal(out.id, 11);
	ps_bc_shipment_dispose(&out);

	/* already there from an earlier run: no POST at all */
	fake_push(&e->fk, 0, 200, NULL, existing);
	assert_int_equal(ps_bc_shipment_create(&out, e->bc, 218, &s), 0);
	assert_int_equal(out.id, 12);
	ps_bc_shipment_dispose(&out);
	assert_int_equal(e->fk.nsent, 10);
}

static void
test_bc__shipments_list_204_is_empty(void **state)
{
	struct env *e = *state;
	ps_bc_shipment_list l;

	fake_push(&e->fk, 0, 204, NULL, "");
	assert_int_equal(ps_bc_shipments_list(&l, e->bc, 5), 0);
	assert_int_equal(l.count, 0);
	assert_string_equal(e->fk.sent[0].url, ROOT "/v2/orders/5/shipments"
						    "?limit=250&page=1");
	ps_bc_shipment_list_dispose(&l);
}

static void
test_bc__catalog_find_sku_reads_tracking(void **state)
{
	struct env *e = *state;
	ps_bc_sku s;

	fake_push(&e->fk, 0, 200, "variants_sku.json", NULL);
	fake_push(&e->fk, 0, 200, "product_158.json", NULL);
	assert_int_equal(ps_bc_catalog_find_sku(&s, e->bc, "SMGRE"), 0);
	assert_string_equal(e->fk.sent[0].url,
			    ROOT "/v3/catalog/variants"
				 "?sku=SMGRE&limit=250&page=1");
	assert_non_null(strstr(e->fk.sent[1].url, ROOT
			       "/v3/catalog/products/158?include_fields="));
	assert_non_null(strstr(e->fk.sent[1].url, "inventory_tracking"));
	assert_string_equal(s.sku, "SMGRE");
	assert_int_equal(s.product_id, 158);
	assert_int_equal(s.variant_id, 382);
	assert_false(s.is_base_variant);
	assert_int_equal(s.tracking, PS_BC_TRACKING_VARIANT);
	assert_int_equal(s.inventory_level, 7);
	assert_string_equal(s.product_name, "Chambray Shirt");
	assert_string_equal(ps_bc_tracking_name(s.tracking), "variant");
	ps_bc_sku_dispose(&s);

	fake_push(&e->fk, 0, 200, "customers_empty.json", NULL);
	assert_int_equal(ps_bc_catalog_find_sku(&s, e->bc, "TEE RED/M"),
			 PS_ENOTFOUND);
	assert_string_equal(e->fk.sent[2].url,
			    ROOT "/v3/catalog/variants"
				 "?sku=TEE%20RED%2FM&limit=250&page=1");
	assert_string_equal(ps_error_last(),
			    "SKU 'TEE RED/M' not found in "
			    "BigCommerce (variant search by SKU)");
	assert_int_equal(ps_bc_catalog_find_sku(&s, e->bc, ""), PS_EINVAL);
}

static void
test_bc__catalog_list_skus_joins_products(void **state)
{
	struct env *e = *state;
	ps_bc_sku_list l;

	fake_push(&e->fk, 0, 200, NULL,
		  "{\"data\":[{\"id\":2,\"name\":\"Mug\",\"sku\":\"MUG\","
		  "\"inventory_tracking\":\"product\",\"inventory_level\":9,"
		  "\"base_variant_id\":20},{\"id\":1,\"name\":\"Tee\",\"sku\":"
		  "\"TEE\",\"inventory_tracking\":\"variant\","
		  "\"inventory_level\":0,\"base_variant_id\":10},{\"id\":3,"
		  "\"name\":\"Gift\",\"inventory_tracking\":\"none\"}],"
		  "\"meta\":{\"pagination\":{\"total\":3,\"total_pages\":1}}}");
	fake_push(&e->fk, 0, 200, NULL,
		  "{\"data\":[{\"id\":10,\"product_id\":1,\"sku\":\"TEE\","
		  "\"inventory_level\":0},{\"id\":11,\"product_id\":1,\"sku\":"
		  "\"TEE-M\",\"inventory_level\":4,\"option_values\":[{\"id\":"
		  "1}]},{\"id\":20,\"product_id\":2,\"sku\":\"MUG\","
		  "\"inventory_level\":1},{\"id\":30,\"product_id\":3,\"sku\":"
		  "\"\"},{\"id\":40,\"product_id\":99,\"sku\":\"NEW\"}],"
		  "\"meta\":{\"pagination\":{\"total\":5,\"total_pages\":1}}}");
	assert_int_equal(ps_bc_catalog_list_skus(&l, e->bc), 0);
	assert_int_equal(l.count, 3);
	assert_string_equal(l.items[1].sku, "TEE-M");
	assert_int_equal(l.items[1].tracking, PS_BC_TRACKING_VARIANT);
	assert_int_equal(l.items[1].inventory_level, 4);
	assert_true(l.items[0].is_base_variant);
	assert_string_equal(l.items[2].sku, "MUG");
	assert_int_equal(l.items[2].tracking, PS_BC_TRACKING_PRODUCT);
	assert_int_equal(l.items[2].inventory_level, 9);
	ps_bc_sku_list_dispose(&l);
}

static void
test_bc__inventory_list_reads_the_location(void **state)
{
	struct env *e = *state;
	ps_bc_sku_list l;

	/* products for the tracking, then the location's items in pages of
	 * 1000: the second page is the last by total_pages */
	fake_push(&e->fk, 0, 200, NULL,
		  "{\"data\":[{\"id\":2,\"name\":\"Mug\","
		  "\"inventory_tracking\":\"product\",\"base_variant_id\":20},"
		  "{\"id\":1,\"name\":\"Tee\",\"inventory_tracking\":"
		  "\"variant\"},{\"id\":3,\"name\":\"Gift\","
		  "\"inventory_tracking\":\"none\"}],\"meta\":{\"pagination\":"
		  "{\"total\":3,\"total_pages\":1}}}");
	fake_push(&e->fk, 0, 200, NULL,
		  "{\"data\":[{\"identity\":{\"sku\":\"TEE-M\","
		  "\"variant_id\":11,\"product_id\":1},"
		  "\"available_to_sell\":3,\"total_inventory_onhand\":4},"
		  "{\"identity\":{\"sku\":\"\",\"variant_id\":30,"
		  "\"product_id\":3},\"total_inventory_onhand\":0}],"
		  "\"meta\":{\"pagination\":{\"total\":4,\"total_pages\":2}}}");
	fake_push(&e->fk, 0, 200, NULL,
		  "{\"data\":[{\"identity\":{\"sku\":\"MUG\",\"variant_id\":"
		  "20,\"product_id\":2},\"total_inventory_onhand\":9},"
		  "{\"identity\":{\"sku\":\"NEW\",\"variant_id\":40,"
		  "\"product_id\":99},\"total_inventory_onhand\":1}],"
		  "\"meta\":{\"pagination\":{\"total\":4,\"total_pages\":2}}}");
	assert_int_equal(ps_bc_inventory_list(&l, e->bc), 0);
	assert_int_equal(e->fk.nsent, 3);
	assert_non_null(strstr(e->fk.sent[0].url,
			       ROOT "/v3/catalog/products?include_fields="));
	assert_string_equal(e->fk.sent[1].url,
			    ROOT "/v3/inventory/locations/1/items"
				 "?limit=1000&page=1");
	assert_string_equal(e->fk.sent[2].url,
			    ROOT "/v3/inventory/locations/1/items"
				 "?limit=1000&page=2");
	/* no SKU, and a product created between the walks: left out */
	assert_int_equal(l.count, 2);
	assert_string_equal(l.items[0].sku, "TEE-M");
	assert_int_equal(l.items[0].tracking, PS_BC_TRACKING_VARIANT);
	assert_int_equal(l.items[0].variant_id, 11);
	assert_int_equal(l.items[0].inventory_level, 4); /* on hand */
	assert_string_equal(l.items[1].sku, "MUG");
	assert_int_equal(l.items[1].tracking, PS_BC_TRACKING_PRODUCT);
	assert_true(l.items[1].is_base_variant);
	assert_int_equal(l.items[1].inventory_level, 9);
	ps_bc_sku_list_dispose(&l);

	/* a level that is not a number names the item and the field */
	fake_push(&e->fk, 0, 200, NULL,
		  "{\"data\":[],\"meta\":{\"pagination\":{\"total\":0,"
		  "\"total_pages\":1}}}");
	fake_push(&e->fk, 0, 200, NULL,
		  "{\"data\":[{\"identity\":{\"sku\":\"X\",\"variant_id\":"
		  "7,\"product_id\":1},\"total_inventory_onhand\":\"many\"}]}");
	assert_int_equal(ps_bc_inventory_list(&l, e->bc), PS_EDATA);
	assert_non_null(strstr(ps_error_last(), "variant 7"));
	assert_non_null(strstr(ps_error_last(), "total_inventory_onhand"));
	assert_int_equal(l.count, 0);

	/* an unknown location is the operator's to fix */
	fake_push(&e->fk, 0, 200, NULL,
		  "{\"data\":[],\"meta\":{\"pagination\":{\"total\":0,"
		  "\"total_pages\":1}}}");
	fake_push(&e->fk, 0, 404, NULL,
		  "{\"status\":404,\"title\":\"Location not found\"}");
	assert_int_equal(ps_bc_inventory_list(&l, e->bc), PS_ENOTFOUND);
	assert_non_null(strstr(ps_error_last(), "stock at location 1"));
}

/* Empty pages: nothing to sort or search (qsort and bsearch must not see
 * the NULL array of an empty list, which UBSan reports). */
static void
test_bc__empty_pages_sort_and_search_nothing(void **state)
{
	struct env *e = *state;
	static const int64_t ids[] = {218};
	ps_bc_sku_list l;
	ps_bc_order_list ol;

	fake_push(&e->fk, 0, 200, NULL,
		  "{\"data\":[],\"meta\":{\"pagination\":{\"total\":0,"
		  "\"total_pages\":1}}}");
	fake_push(&e->fk, 0, 200, NULL,
		  "{\"data\":[{\"id\":40,\"product_id\":99,\"sku\":\"NEW\"}],"
		  "\"meta\":{\"pagination\":{\"total\":1,\"total_pages\":1}}}");
	assert_int_equal(ps_bc_catalog_list_skus(&l, e->bc), 0);
	assert_int_equal(l.count, 0);
	ps_bc_sku_list_dispose(&l);

	fake_push(&e->fk, 0, 200, NULL,
		  "{\"data\":[],\"meta\":{\"pagination\":{\"total\":0,"
		  "\"total_pages\":1}}}");
	fake_push(&e->fk, 0, 200, NULL,
		  "{\"data\":[],\"meta\":{\"pagination\":{\"total\":0,"
		  "\"total_pages\":1}}}");
	assert_int_equal(ps_bc_inventory_list(&l, e->bc), 0);
	assert_int_equal(l.count, 0);
	ps_bc_sku_list_dispose(&l);

	/* none of the orders asked for exists */
	fake_push(&e->fk, 0, 204, NULL, "");
	assert_int_equal(ps_bc_orders_get_many(&ol, e->bc, ids, 1), 0);
	assert_int_equal(ol.count, 1);
	assert_int_equal(ol.items[0].id, 0);
	ps_bc_order_list_dispose(&ol);
}

static void
test_bc__inventory_set_batches_absolute_adjustments(void **state)
{
	struct env *e = *state;
	ps_bc_stock st[5] = {
		{PS_BC_TRACKING_VARIANT, 1, 11, 4},
		{PS_BC_TRACKING_PRODUCT, 2, 20, 9},
		{PS_BC_TRACKING_VARIANT, 1, 12, 0},
		{PS_BC_TRACKING_VARIANT, 5, 50, 100},
		{PS_BC_TRACKING_PRODUCT, 6, 0, 2147483647},
	};
	ps_bc *bc = make_bc(&e->fk, 0, 2);
	size_t sent = 99;

	fake_push(&e->fk, 0, 200, NULL, "{\"transaction_id\":\"t1\"}");
	fake_push(&e->fk, 0, 200, NULL, "{\"transaction_id\":\"t2\"}");
	fake_push(&e->fk, 0, 200, NULL, "{\"transaction_id\":\"t3\"}");
	assert_int_equal(ps_bc_inventory_set(&sent, bc, st, 5, "ERP sync"), 0);
	assert_int_equal(sent, 5);
	assert_int_equal(e->fk.nsent, 3);
	assert_string_equal(e->fk.sent[0].method, "PUT");
	assert_string_equal(e->fk.sent[0].url,
			    ROOT "/v3/inventory/adjustments/absolute");
	assert_true(e->fk.sent[0].idempotent);
	assert_body(e->fk.sent[0].body,
		    "{\"reason\":\"ERP sync\",\"items\":[{\"location_id\":1,"
		    "\"variant_id\":11,\"quantity\":4},{\"location_id\":1,"
		    "\"product_id\":2,\"quantity\":9}]}");
	assert_body(e->fk.sent[2].body,
		    "{\"reason\":\"ERP sync\",\"items\":[{\"location_id\":1,"
		    "\"product_id\":6,\"quantity\":2147483647}]}");

	/* a failing batch stops the run and says how far it got */
	fake_push(&e->fk, 0, 200, NULL, "{\"transaction_id\":\"t4\"}");
	fake_push(&e->fk, 0, 422, NULL,
		  "{\"status\":422,\"title\":\"[Item with variant_id 106 is "
		  "tracked by product, please update stock by product id]\"}");
	assert_int_equal(ps_bc_inventory_set(&sent, bc, st, 5, NULL), PS_EDATA);
	assert_int_equal(sent, 2);
	assert_non_null(strstr(ps_error_last(), "items 3-4 of 5"));
	assert_non_null(strstr(ps_error_last(), "tracked by product"));

	/* untracked items are the caller's to skip: nothing is sent */
	st[2].tracking = PS_BC_TRACKING_NONE;
	assert_int_equal(ps_bc_inventory_set(&sent, bc, st, 5, NULL),
			 PS_EINVAL);
	assert_int_equal(e->fk.nsent, 5);
	assert_int_equal(ps_bc_inventory_set(&sent, bc, st, 0, NULL), 0);
	assert_int_equal(sent, 0);
	ps_bc_free(bc);
}

static void
test_bc__customers(void **state)
{
	struct env *e = *state;
	ps_bc_customer_list l;
	ps_bc_customer c;

	fake_push(&e->fk, 0, 200, "customers_jane.json", NULL);
	assert_int_equal(
		ps_bc_customers_find_email(&l, e->bc, "jane+1@example.com"), 0);
	assert_string_equal(e->fk.sent[0].url,
			    ROOT "/v3/customers?email:in=jane%2B1%40example.com"
				 "&limit=250&page=1");
	assert_int_equal(l.count, 1);
	assert_int_equal(l.items[0].id, 11);
	assert_string_equal(l.items[0].last_name, "Doe");
	assert_int_equal(l.items[0].date_created, 1531502944);
	ps_bc_customer_list_dispose(&l);

	fake_push(&e->fk, 0, 200, "customers_jane.json", NULL);
	assert_int_equal(ps_bc_customer_get(&c, e->bc, 11), 0);
	assert_string_equal(e->fk.sent[1].url,
			    ROOT "/v3/customers?id:in=11&limit=250&page=1");
	assert_string_equal(c.email, "janedoe@example.com");
	ps_bc_customer_dispose(&c);

	/* v3 pages are followed by total_pages even when the server gave
	 * fewer rows than asked for */
	fake_push(&e->fk, 0, 200, NULL,
		  "{\"data\":[{\"id\":1,\"email\":\"a@x.io\"}],\"meta\":"
		  "{\"pagination\":{\"per_page\":1,\"total_pages\":2}}}");
	fake_push(&e->fk, 0, 200, NULL,
		  "{\"data\":[{\"id\":2,\"email\":\"a@x.io\"}],\"meta\":"
		  "{\"pagination\":{\"per_page\":1,\"total_pages\":2}}}");
	assert_int_equal(ps_bc_customers_find_email(&l, e->bc, "a@x.io"), 0);
	assert_int_equal(l.count, 2);
	assert_int_equal(l.items[1].id, 2);
	assert_non_null(strstr(e->fk.sent[3].url, "&page=2"));
	ps_bc_customer_list_dispose(&l);

	fake_push(&e->fk, 0, 200, "customers_empty.json", NULL);
	assert_int_equal(ps_bc_customer_get(&c, e->bc, 12), PS_ENOTFOUND);
	assert_string_equal(ps_error_last(),
			    "BigCommerce customer 12 not found");
}

static void
test_bc__transactions_captured_vs_authorised(void **state)
{
	struct env *e = *state;
	ps_bc_transaction_list l;

	fake_push(&e->fk, 0, 200, "transactions_218.json", NULL);
	assert_int_equal(ps_bc_transactions_list(&l, e->bc, 218), 0);
	/* no paging: orders.v3 declares no query parameters for it */
	assert_string_equal(e->fk.sent[0].url,
			    ROOT "/v3/orders/218/transactions");
	assert_int_equal(e->fk.nsent, 1);
	assert_int_equal(l.count, 4);
	assert_int_equal(l.items[0].event, PS_BC_TXN_AUTHORIZATION);
	assert_true(l.items[0].authorized);
	assert_false(l.items[0].captured);
	assert_int_equal(l.items[0].amount, 698400); /* 69.84, no float loss */
	assert_int_equal(l.items[0].order_id, 218);  /* sent as a string */
	assert_int_equal(l.items[0].date_created, 1551822012);
	assert_int_equal(l.items[1].event, PS_BC_TXN_CAPTURE);
	assert_true(l.items[1].captured);
	assert_int_equal(l.items[1].date_created, 1551862800);
	assert_false(l.items[2].ok); /* status error: neither */
	assert_false(l.items[2].captured);
	assert_true(l.items[2].test);
	assert_int_equal(l.items[2].amount, 100000);
	assert_int_equal(l.items[3].amount, 1000);
	assert_string_equal(l.items[3].gateway_transaction_id, "");
	ps_bc_transaction_list_dispose(&l);

	fake_push(&e->fk, 0, 204, NULL, "");
	assert_int_equal(ps_bc_transactions_list(&l, e->bc, 219), 0);
	assert_int_equal(l.count, 0);
	ps_bc_transaction_list_dispose(&l);
}

static void
test_bc__order_taxes_classes_by_line_and_fee(void **state)
{
	struct env *e = *state;
	ps_bc_order_tax_list l;
	int64_t ids[2] = {218, 219};
	ps_bc_order_tax_list two[2];
	int mixed = 7;

	fake_push(&e->fk, 0, 200, "order_taxes_218.json", NULL);
	assert_int_equal(ps_bc_order_taxes_list(&l, e->bc, 218), 0);
	assert_string_equal(e->fk.sent[0].method, "GET");
	assert_string_equal(e->fk.sent[0].url,
			    ROOT "/v2/orders/218/taxes?details=true"
				 "&limit=250&page=1");
	assert_int_equal(l.count, 5);
	assert_int_equal(l.items[0].id, 31);
	assert_int_equal(l.items[0].tax_class_id, 4);
	assert_string_equal(l.items[0].class_name, "Clothing");
	assert_string_equal(l.items[0].name, "State Tax");
	assert_int_equal(l.items[0].order_product_id, 65); /* "65" */
	assert_int_equal(l.items[0].rate, 62500);
	assert_int_equal(l.items[0].line_amount, 72200);
	assert_int_equal(l.items[1].order_product_id, 65); /* 65 */
	assert_string_equal(l.items[3].line_item_type, "shipping");
	assert_int_equal(l.items[3].order_product_id, 0); /* null */
	assert_int_equal(l.items[4].tax_class_id, -1);    /* null */

	/* two rates on line 65, one class; line 66 exempt class 1 */
	assert_int_equal(ps_bc_order_taxes_class(&l, "item", 65, &mixed), 4);
	assert_int_equal(mixed, 0);
	assert_int_equal(ps_bc_order_taxes_class(&l, "item", 66, NULL), 1);
	assert_int_equal(ps_bc_order_taxes_class(&l, "item", 67, NULL), -1);
	assert_int_equal(ps_bc_order_taxes_class(&l, "shipping", 0, NULL), 2);
	assert_int_equal(ps_bc_order_taxes_class(&l, "handling", 0, NULL), -1);
	/* automatic tax names no class */
	assert_int_equal(ps_bc_order_taxes_class(&l, "gift-wrapping", 0, NULL),
			 -1);
	/* rows disagreeing about a line's class decide nothing */
	l.items[1].tax_class_id = 5;
	assert_int_equal(ps_bc_order_taxes_class(&l, "item", 65, &mixed), -1);
	assert_int_equal(mixed, 1);
	ps_bc_order_tax_list_dispose(&l);

	/* no taxes: 204; a bad class fails naming order and field */
	fake_push(&e->fk, 0, 204, NULL, "");
	fake_push(&e->fk, 0, 200, NULL,
		  "[{\"id\":9,\"tax_class_id\":\"x\","
		  "\"line_item_type\":\"item\"}]");
	assert_int_equal(ps_bc_order_taxes_list_many(two, e->bc, ids, 2),
			 PS_EDATA);
	assert_non_null(strstr(ps_error_last(), "order 219"));
	assert_non_null(strstr(ps_error_last(), "tax_class_id"));
	assert_int_equal(two[0].count, 0);
	assert_null(two[0].items);
}

static void
test_bc__refunds(void **state)
{
	struct env *e = *state;
	ps_bc_refund_list l;

	fake_push(&e->fk, 0, 200, "refunds_218.json", NULL);
	assert_int_equal(ps_bc_refunds_list(&l, e->bc, 218), 0);
	assert_string_equal(e->fk.sent[0].url, ROOT "/v3/orders/218/"
						    "payment_actions/refunds");
	assert_int_equal(l.count, 1);
	assert_int_equal(l.items[0].id, 7);
	assert_int_equal(l.items[0].total_amount, 125000);
	assert_int_equal(l.items[0].total_tax, 9000);
	assert_string_equal(l.items[0].reason, "Damaged");
	assert_int_equal(l.items[0].nitems, 2);
	assert_string_equal(l.items[0].items[0].item_type, "PRODUCT");
	assert_int_equal(l.items[0].items[0].item_id, 65);
	assert_int_equal(l.items[0].items[0].quantity, 1);
	assert_int_equal(l.items[0].items[1].requested_amount, 12500);
	ps_bc_refund_list_dispose(&l);
}

static void
test_bc__webhooks(void **state)
{
	struct env *e = *state;
	ps_bc_header_spec h[1] = {{"X-Pearlsync-Secret", "abc123"}};
	ps_bc_webhook w;
	ps_bc_webhook_list l;
	ps_bc *bc = make_bc(&e->fk, 2, 0);

	fake_push(&e->fk, 0, 200, "hook_created.json", NULL);
	assert_int_equal(ps_bc_webhook_create(&w, bc, "store/order/created",
					      "https://pearl.example.com/bc/"
					      "hooks",
					      h, 1),
			 0);
	assert_string_equal(e->fk.sent[0].method, "POST");
	assert_string_equal(e->fk.sent[0].url, ROOT "/v3/hooks");
	assert_body(e->fk.sent[0].body,
		    "{\"scope\":\"store/order/created\",\"destination\":"
		    "\"https://pearl.example.com/bc/hooks\",\"is_active\":true,"
		    "\"headers\":{\"X-Pearlsync-Secret\":\"abc123\"}}");
	assert_int_equal(w.id, 18048287);
	assert_true(w.is_active);
	assert_int_equal(w.created_at, 1561488106);
	assert_int_equal(w.nheaders, 1);
	assert_string_equal(w.headers[0].name, "X-Pearlsync-Secret");
	assert_string_equal(w.headers[0].value, "abc123");
	ps_bc_webhook_dispose(&w);

	fake_push(&e->fk, 0, 200, "hooks_page1.json", NULL);
	fake_push(&e->fk, 0, 200, "hooks_page2.json", NULL);
	assert_int_equal(ps_bc_webhooks_list(&l, bc), 0);
	assert_string_equal(e->fk.sent[2].url, ROOT "/v3/hooks?limit=2&page=2");
	assert_int_equal(l.count, 3);
	assert_false(l.items[1].is_active);
	assert_int_equal(l.items[1].nheaders, 0);
	assert_string_equal(l.items[2].scope, "store/shipment/created");
	ps_bc_webhook_list_dispose(&l);

	fake_push(&e->fk, 0, 200, "hook_created.json", NULL);
	assert_int_equal(ps_bc_webhook_set_active(&w, bc, 18048288, 1), 0);
	assert_string_equal(e->fk.sent[3].method, "PUT");
	assert_string_equal(e->fk.sent[3].url, ROOT "/v3/hooks/18048288");
	assert_body(e->fk.sent[3].body, "{\"is_active\":true}");
	ps_bc_webhook_dispose(&w);

	fake_push(&e->fk, 0, 200, "hook_created.json", NULL);
	assert_int_equal(ps_bc_webhook_delete(bc, 18048287), 0);
	assert_string_equal(e->fk.sent[4].method, "DELETE");

	/* dropped after sending: the hook exists, adopt it */
	fake_push(&e->fk, PS_ETIMEOUT, 0, NULL, NULL);
	fake_push(&e->fk, 0, 200, "hooks_page1.json", NULL);
	fake_push(&e->fk, 0, 200, "hooks_page2.json", NULL);
	assert_int_equal(ps_bc_webhook_create(&w, bc, "store/order/created",
					      "https://pearl.example.com/bc/"
					      "hooks",
					      NULL, 0),
			 0);
	assert_int_equal(w.id, 18048287);
	ps_bc_webhook_dispose(&w);

	/* refused because it exists (a restarted worker): adopt it */
	fake_push(&e->fk, 0, 422, NULL,
		  "{\"status\":422,\"title\":\"A webhook with this scope and "
		  "destination already exists\"}");
	fake_push(&e->fk, 0, 200, "hooks_page1.json", NULL);
	fake_push(&e->fk, 0, 200, "hooks_page2.json", NULL);
	assert_int_equal(ps_bc_webhook_create(&w, bc,
					      "store/order/statusUpdated",
					      "https://pearl.example.com/bc/"
					      "hooks",
					      NULL, 0),
			 0);
	assert_int_equal(w.id, 18048288);
	assert_false(w.is_active); /* the caller re-activates it */
	ps_bc_webhook_dispose(&w);

	/* refused and no such hook to adopt: BigCommerce's reason */
	fake_push(&e->fk, 0, 422, "error_v3_422.json", NULL);
	fake_push(&e->fk, 0, 200, NULL, "{\"data\":[],\"meta\":{}}");
	assert_int_equal(ps_bc_webhook_create(&w, bc, "store/order/created",
					      "x", NULL, 0),
			 PS_EDATA);
	assert_non_null(strstr(ps_error_last(), "error.path.missing"));
	assert_int_equal(ps_bc_webhook_create(&w, bc, "", "x", NULL, 0),
			 PS_EINVAL);
	ps_bc_free(bc);
}

/* Carrier names and tracking numbers to BigCommerce's AfterShip slugs. */
static void
test_bc__tracking_carrier(void **state)
{
	(void)state;
	assert_string_equal(ps_bc_tracking_carrier("UPS", NULL), "ups");
	assert_string_equal(
		ps_bc_tracking_carrier("Royal Mail Tracked 48", NULL),
		"royal-mail");
	assert_string_equal(ps_bc_tracking_carrier("FedEx Ground", NULL),
			    "fedex");
	assert_string_equal(ps_bc_tracking_carrier("usps priority", NULL),
			    "usps");
	assert_string_equal(ps_bc_tracking_carrier("Parcelforce 24", NULL),
			    "parcel-force");
	/* a carrier's letters inside another word do not count */
	assert_null(ps_bc_tracking_carrier("Groups shipping", NULL));
	assert_null(ps_bc_tracking_carrier("Standard shipping", NULL));
	/* the tracking number's shape, when the name says nothing */
	assert_string_equal(ps_bc_tracking_carrier("Standard shipping",
						   "1Z999AA10123456784"),
			    "ups");
	assert_null(ps_bc_tracking_carrier(NULL, "1Z999AA1012345678"));
	assert_null(ps_bc_tracking_carrier(NULL, "TRACK-1"));
	assert_null(ps_bc_tracking_carrier(NULL, NULL));
}

/* Where BigCommerce's own API can deliver webhooks: https on 443 only. */
static void
test_bc__webhook_destination(void **state)
{
	ps_bc_options o = PS_BC_OPTIONS_INIT;
	struct env *e = *state;
	ps_bc *live = NULL;

	o.base_url = "https://api.bigcommerce.com";
	o.store_hash = "abc123";
	o.access_token = TOKEN;
	assert_int_equal(ps_bc_new(&live, NULL, &o), 0);
	assert_int_equal(ps_bc_webhook_destination_check(
				 live, "https://hooks.example.com"),
			 0);
	assert_int_equal(ps_bc_webhook_destination_check(
				 live, "https://hooks.example.com:443/ps"),
			 0);
	assert_int_equal(ps_bc_webhook_destination_check(
				 live, "https://[2001:db8::1]/ps"),
			 0);
	assert_int_equal(ps_bc_webhook_destination_check(
				 live, "http://hooks.example.com"),
			 PS_ESETTING);
	assert_non_null(strstr(ps_error_last(), "https://"));
	assert_int_equal(ps_bc_webhook_destination_check(
				 live, "https://hooks.example.com:8443"),
			 PS_ESETTING);
	assert_int_equal(ps_bc_webhook_destination_check(
				 live, "https://[2001:db8::1]:8443/ps"),
			 PS_ESETTING);
	assert_int_equal(ps_bc_webhook_destination_check(live, "ftp://x"),
			 PS_ESETTING);
	/* a stand-in (the sandbox) delivers to a loopback listener */
	assert_int_equal(
		ps_bc_webhook_destination_check(e->bc, "http://127.0.0.1:8080"),
		0);
	ps_bc_free(live);
}

int
main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bc__new_refuses_missing_settings),
		cmocka_unit_test(test_bc__tracking_carrier),
		T(test_bc__webhook_destination),
		T(test_bc__check_connection_sends_token_and_reads_name),
		T(test_bc__auth_failure_names_store_not_token),
		T(test_bc__order_get_parses_money_dates_lines_addresses),
		T(test_bc__order_get_inline_consignments_one_request),
		T(test_bc__order_get_cut_lines_read_from_products),
		T(test_bc__orders_get_many_runs_and_missing_ids),
		T(test_bc__orders_get_many_pages_a_full_run),
		T(test_bc__order_get_missing_is_notfound),
		T(test_bc__order_bad_money_names_order_and_field),
		T(test_bc__orders_list_walks_pages_until_short_or_204),
		T(test_bc__orders_list_skip_bad_goes_on),
		T(test_bc__order_get_refuses_another_order),
		T(test_bc__order_updates_send_only_changed_fields),
		T(test_bc__order_statuses),
		T(test_bc__shipment_create_body_and_reply),
		T(test_bc__shipment_with_ref_is_exactly_once),
		T(test_bc__shipments_list_204_is_empty),
		T(test_bc__catalog_find_sku_reads_tracking),
		T(test_bc__catalog_list_skus_joins_products),
		T(test_bc__inventory_list_reads_the_location),
		T(test_bc__empty_pages_sort_and_search_nothing),
		T(test_bc__inventory_set_batches_absolute_adjustments),
		T(test_bc__customers),
		T(test_bc__transactions_captured_vs_authorised),
		T(test_bc__order_taxes_classes_by_line_and_fee),
		T(test_bc__refunds),
		T(test_bc__webhooks),
	};
#undef T
	return cmocka_run_group_tests(tests, NULL, NULL);
}
