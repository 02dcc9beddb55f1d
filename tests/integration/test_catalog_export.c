/*
 * test_catalog_export.c - Brightpearl products and prices reach the
 * BigCommerce catalog (flow product_export_bc) end to end.
 *
 * The flow runs in a worker against pearlsync-sandbox started empty
 * (flow_fixture.h): the test plays the merchant through the control API
 * (Brightpearl products, their prices on list 1, a rename in BigCommerce)
 * and reads the outcome from the BigCommerce simulator's own state: its
 * catalog, the catalog writes it received (bodies as sent) and its
 * request counters.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
/* cmocka needs the four above first */
#include <cmocka.h>

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "flow_fixture.h"
#include "pearlsync/store.h"

#define DEADLINE_MS 30000
#define MANY 200

static flow_fixture fx;

/* ---- the sandbox's state ---------------------------------------------- */

/* The BigCommerce product that has a variant with sku (new reference),
 * NULL when none; *count how many products do. */
static json_t *
bc_product_of(const char *sku, size_t *count)
{
	json_t *cat = fx_ctl(&fx, "GET", "/bigcommerce/catalog", NULL);
	json_t *p, *v, *found = NULL;
	size_t i, j, n = 0;

	json_array_foreach (cat, i, p) {
		int has = 0;

		json_array_foreach (json_object_get(p, "variants"), j, v)
			if (strcmp(json_string_value(json_object_get(v, "sku")),
				   sku) == 0)
				has = 1;
		if (has && n++ == 0)
			found = json_incref(p);
	}
	json_decref(cat);
	if (count)
		*count = n;
	return found;
}

static size_t
bc_product_count(void)
{
	json_t *cat = fx_ctl(&fx, "GET", "/bigcommerce/catalog", NULL);
	size_t n = json_array_size(cat);

	json_decref(cat);
	return n;
}

static double
num(const json_t *o, const char *key)
{
	return json_number_value(json_object_get(o, key));
}

static const char *
str(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "";
}

/* The catalog writes BigCommerce received since the last clear (new). */
static json_t *
writes(void)
{
	return fx_ctl(&fx, "GET", "/bigcommerce/catalog-writes", NULL);
}

static void
writes_clear(void)
{
	fx_ctl_ok(&fx, "DELETE", "/bigcommerce/catalog-writes", NULL);
}

/* The member names of object o, sorted, comma-joined, into buf. */
static const char *
keys_of(char *buf, size_t cap, const json_t *o)
{
	const char *k, *names[16];
	json_t *v;
	size_t n = 0, i, j, len = 0;

	json_object_foreach ((json_t *)o, k, v)
		if (n < 16)
			names[n++] = k;
	for (i = 1; i < n; i++)
		for (j = i; j > 0 && strcmp(names[j - 1], names[j]) > 0; j--) {
			const char *t = names[j];

			names[j] = names[j - 1];
			names[j - 1] = t;
		}
	buf[0] = '\0';
	for (i = 0; i < n; i++)
		len += (size_t)snprintf(buf + len, cap - len, "%s%s",
					i ? "," : "", names[i]);
	return buf;
}

static void
bp_seed(const char *products_json)
{
	size_t cap = strlen(products_json) + 32;
	char *body = malloc(cap);

	assert_non_null(body);
	snprintf(body, cap, "{\"products\":%s}", products_json);
	fx_ctl_ok(&fx, "POST", "/brightpearl/seed", body);
	free(body);
}

static void
bp_edit(const char *json)
{
	fx_ctl_ok(&fx, "POST", "/brightpearl/product", json);
}

/* ---- checks for the worker loop ---------------------------------------- */

typedef struct want {
	const char *sku;
	const char *field;
	double value;     /* a number field */
	const char *text; /* or a string field (NULL: number) */
} want;

static int
has_field(void *arg)
{
	const want *w = arg;
	json_t *p = bc_product_of(w->sku, NULL);
	json_t *f;
	int ok = 0;

	if (p == NULL)
		return 0;
	f = w->field ? json_object_get(p, w->field) : NULL;
	if (w->field == NULL)
		ok = 1;
	else if (w->text)
		ok = json_is_string(f) &&
		     strcmp(json_string_value(f), w->text) == 0;
	else
		ok = json_is_number(f) &&
		     fabs(json_number_value(f) - w->value) < 0.00005;
	json_decref(p);
	return ok;
}

static void
settle(want *w)
{
	int rc = fx_run_until(&fx, has_field, w, DEADLINE_MS);

	if (rc != 1) {
		flow_fixture_log_dump(&fx);
		fx_failed_entries(&fx);
	}
	assert_int_equal(rc, 1);
}

/* Entries of the flow still pending or in flight. */
static size_t
unsettled(void)
{
	ps_log_query q = PS_LOG_QUERY_INIT;
	ps_log_entry *rows = NULL;
	size_t n = 0, i, k = 0;

	q.flow = "product_export_bc";
	assert_int_equal(ps_store_log_list(&rows, &n, fx.st, &q), 0);
	for (i = 0; i < n; i++)
		k += rows[i].status != PS_ENTRY_SYNCED &&
		     rows[i].status != PS_ENTRY_FAILED;
	ps_log_entries_free(rows, n);
	return k;
}

/* The newest entry of the flow whose detail or reason mentions text. */
static int
entry_with(ps_log_entry *out, const char *text)
{
	ps_log_query q = PS_LOG_QUERY_INIT;
	ps_log_entry *rows = NULL;
	size_t n = 0, i;
	int found = 0;

	ps_log_entry_init(out);
	q.flow = "product_export_bc";
	q.text = text;
	assert_int_equal(ps_store_log_list(&rows, &n, fx.st, &q), 0);
	for (i = 0; i < n && !found; i++) {
		assert_int_equal(ps_store_log_get(out, fx.st, rows[i].id), 0);
		found = 1;
	}
	ps_log_entries_free(rows, n);
	return found;
}

/* ---- tests ------------------------------------------------------------ */

/*
 * A new Brightpearl product appears in BigCommerce with its name, SKU,
 * barcode, weight and the price of the chosen list; the description is
 * the merchant's by default and is not sent.
 */
static void
test_catalog__new_product_appears(void **state)
{
	want w = {"CAT-ONE", "price", 12.5, NULL};
	ps_log_entry e;
	json_t *p, *v;
	size_t count;

	(void)state;
	bp_seed("[{\"sku\":\"CAT-ONE\",\"name\":\"Catalog One\","
		"\"price\":12.5,\"weight\":1.25,\"barcode\":\"012345678905\","
		"\"description\":\"<p>From Brightpearl</p>\"}]");
	settle(&w);
	p = bc_product_of("CAT-ONE", &count);
	assert_int_equal(count, 1);
	assert_string_equal(str(p, "name"), "Catalog One");
	assert_string_equal(str(p, "sku"), "CAT-ONE");
	assert_string_equal(str(p, "upc"), "012345678905");
	assert_string_equal(str(p, "type"), "physical");
	assert_true(fabs(num(p, "weight") - 1.25) < 0.00005);
	assert_true(fabs(num(p, "price") - 12.5) < 0.00005);
	assert_string_equal(str(p, "description"), "");
	v = json_array_get(json_object_get(p, "variants"), 0);
	assert_string_equal(str(v, "sku"), "CAT-ONE");
	json_decref(p);

	assert_true(entry_with(&e, "CAT-ONE"));
	assert_int_equal(e.status, PS_ENTRY_SYNCED);
	assert_non_null(strstr(e.detail, "created BigCommerce product"));
	assert_string_equal(e.kind, "product.export");
	ps_log_entry_dispose(&e);
}

/*
 * One field changes in Brightpearl: the one request BigCommerce gets is a
 * batch update of that product carrying its id and that field only.
 * Nothing changes: nothing is sent.
 */
static void
test_catalog__one_change_sends_one_field(void **state)
{
	want w = {"CAT-TWO", "price", 20, NULL};
	char keys[128];
	json_t *wr, *body;
	int64_t id;

	(void)state;
	bp_seed("[{\"sku\":\"CAT-TWO\",\"name\":\"Catalog Two\","
		"\"price\":20,\"weight\":2}]");
	settle(&w);
	writes_clear();
	fx_ctl_ok(&fx, "POST", "/requests/reset", "{}");

	bp_edit("{\"sku\":\"CAT-TWO\",\"price\":17.99}");
	w.value = 17.99;
	settle(&w);
	wr = writes();
	assert_int_equal(json_array_size(wr), 1);
	assert_string_equal(str(json_array_get(wr, 0), "method"), "PUT");
	assert_string_equal(str(json_array_get(wr, 0), "path"),
			    "v3/catalog/products");
	body = json_object_get(json_array_get(wr, 0), "body");
	assert_int_equal(json_array_size(body), 1);
	assert_string_equal(
		keys_of(keys, sizeof(keys), json_array_get(body, 0)),
		"id,price");
	id = json_integer_value(json_object_get(json_array_get(body, 0), "id"));
	assert_true(id > 0);
	json_decref(wr);
	assert_int_equal(fx_requests(&fx, "bigcommerce", NULL), 1);

	/* a change Brightpearl makes that touches no synced field */
	writes_clear();
	bp_edit("{\"sku\":\"CAT-TWO\",\"price\":17.99}");
	fx_passes(&fx, 3, 20);
	assert_int_equal(unsettled(), 0);
	wr = writes();
	assert_int_equal(json_array_size(wr), 0);
	json_decref(wr);
}

/*
 * The merchant owns names (bigcommerce.catalog.sync_name false) and, by
 * default, descriptions: a rename in BigCommerce stays, and Brightpearl's
 * new name and description are never sent, while its weight change is.
 */
static void
test_catalog__merchant_owned_field_is_kept(void **state)
{
	static const char *const hdr[] = {"X-Auth-Token: sandbox-token",
					  "Content-Type: application/json",
					  NULL};
	want w = {"CAT-OWN", "weight", 3, NULL};
	char keys[128];
	json_t *p, *wr, *res = NULL;
	char path[96];
	long status;

	(void)state;
	bp_seed("[{\"sku\":\"CAT-OWN\",\"name\":\"Owned Name\","
		"\"price\":5,\"weight\":3}]");
	settle(&w);
	p = bc_product_of("CAT-OWN", NULL);
	snprintf(path, sizeof(path), "/stores/sandbox/v3/catalog/products/%lld",
		 (long long)json_integer_value(json_object_get(p, "id")));
	json_decref(p);
	status = fx_api(&res, &fx, "bigcommerce", "PUT", path, hdr,
			"{\"name\":\"The Merchant's Name\"}");
	json_decref(res);
	assert_int_equal(status, 200);
	fx_set(&fx, "bigcommerce.catalog.sync_name", "false");
	writes_clear();

	bp_edit("{\"sku\":\"CAT-OWN\",\"name\":\"Brightpearl Rename\","
		"\"description\":\"<p>new</p>\",\"weight\":3.5}");
	w.value = 3.5;
	settle(&w);
	p = bc_product_of("CAT-OWN", NULL);
	assert_string_equal(str(p, "name"), "The Merchant's Name");
	assert_string_equal(str(p, "description"), "");
	json_decref(p);
	wr = writes();
	assert_int_equal(json_array_size(wr), 1);
	assert_string_equal(
		keys_of(keys, sizeof(keys),
			json_array_get(
				json_object_get(json_array_get(wr, 0), "body"),
				0)),
		"id,weight");
	json_decref(wr);
	fx_set(&fx, "bigcommerce.catalog.sync_name", "true");
}

static int
variant_price(void *arg)
{
	json_t *p = bc_product_of("CAT-V-RED-M", NULL), *v;
	size_t i;
	int ok = 0;

	json_array_foreach (p ? json_object_get(p, "variants") : NULL, i, v)
		if (strcmp(str(v, "sku"), "CAT-V-RED-M") == 0)
			ok = fabs(num(v, "price") - *(double *)arg) < 0.00005;
	json_decref(p);
	return ok;
}

/*
 * Three Brightpearl products of one group, told apart by Colour and
 * Size, become one BigCommerce product with three variants carrying
 * their options, SKUs and prices; one variant's new price is one variant
 * batch update with that variant's id and price only.
 */
static void
test_catalog__variants_by_option(void **state)
{
	want w = {"CAT-V-RED-S", NULL, 0, NULL};
	double price = 31;
	char keys[128];
	json_t *p, *v, *ov, *wr, *body;
	size_t i, count;
	int seen = 0;

	(void)state;
	bp_seed("["
		"{\"sku\":\"CAT-V-RED-S\",\"name\":\"Catalog Tee\","
		"\"price\":30,\"weight\":0.2,\"groupId\":500,"
		"\"options\":[{\"name\":\"Colour\",\"value\":\"Red\"},"
		"{\"name\":\"Size\",\"value\":\"S\"}]},"
		"{\"sku\":\"CAT-V-RED-M\",\"name\":\"Catalog Tee\","
		"\"price\":30,\"weight\":0.25,\"groupId\":500,"
		"\"options\":[{\"name\":\"Colour\",\"value\":\"Red\"},"
		"{\"name\":\"Size\",\"value\":\"M\"}]},"
		"{\"sku\":\"CAT-V-BLU-M\",\"name\":\"Catalog Tee\","
		"\"price\":32,\"weight\":0.25,\"groupId\":500,"
		"\"options\":[{\"name\":\"Colour\",\"value\":\"Blue\"},"
		"{\"name\":\"Size\",\"value\":\"M\"}]}]");
	settle(&w);
	fx_passes(&fx, 2, 20);
	p = bc_product_of("CAT-V-BLU-M", &count);
	if (count != 1)
		flow_fixture_log_dump(&fx);
	assert_int_equal(count, 1);
	assert_string_equal(str(p, "name"), "Catalog Tee");
	assert_int_equal(json_array_size(json_object_get(p, "variants")), 3);
	json_array_foreach (json_object_get(p, "variants"), i, v) {
		ov = json_object_get(v, "option_values");
		assert_int_equal(json_array_size(ov), 2);
		if (strcmp(str(v, "sku"), "CAT-V-BLU-M") == 0) {
			assert_string_equal(str(json_array_get(ov, 0), "label"),
					    "Blue");
			assert_string_equal(str(json_array_get(ov, 0),
						"option_display_name"),
					    "Colour");
			assert_string_equal(str(json_array_get(ov, 1), "label"),
					    "M");
			assert_true(fabs(num(v, "price") - 32) < 0.00005);
			seen = 1;
		}
	}
	assert_true(seen);
	json_decref(p);

	writes_clear();
	bp_edit("{\"sku\":\"CAT-V-RED-M\",\"price\":31}");
	assert_int_equal(fx_run_until(&fx, variant_price, &price, DEADLINE_MS),
			 1);
	wr = writes();
	assert_int_equal(json_array_size(wr), 1);
	assert_string_equal(str(json_array_get(wr, 0), "path"),
			    "v3/catalog/variants");
	body = json_object_get(json_array_get(wr, 0), "body");
	assert_int_equal(json_array_size(body), 1);
	assert_string_equal(
		keys_of(keys, sizeof(keys), json_array_get(body, 0)),
		"id,price");
	json_decref(wr);
}

/* The SKU tick_price_is reads; its arg is the price in cents. */
static const char *tick_sku;

static int
tick_price_is(int64_t cents)
{
	json_t *p = bc_product_of(tick_sku, NULL), *v;
	size_t i;
	int ok = 0;

	json_array_foreach (p ? json_object_get(p, "variants") : NULL, i, v)
		if (strcmp(str(v, "sku"), tick_sku) == 0)
			ok = fabs(num(v, "price") * 100 - (double)cents) <
			     0.005;
	json_decref(p);
	return ok;
}

/*
 * Brightpearl's product webhooks are the fast path: with the poll a day
 * away, worker ticks alone (the listener takes the webhook) carry a price
 * change, of a product alone and of a variant (whose webhook names the
 * product; the flow finds its group).
 */
static void
test_catalog__webhook_carries_a_change(void **state)
{
	ps_log_entry e;

	(void)state;
	tick_sku = "CAT-ONE";
	bp_edit("{\"sku\":\"CAT-ONE\",\"price\":13.75}");
	assert_int_equal(fx_ticks_until(&fx, tick_price_is, 1375, DEADLINE_MS),
			 1);
	tick_sku = "CAT-V-BLU-M";
	bp_edit("{\"sku\":\"CAT-V-BLU-M\",\"price\":33.5}");
	assert_int_equal(fx_ticks_until(&fx, tick_price_is, 3350, DEADLINE_MS),
			 1);
	/* the entry came from the webhook, and did the group */
	assert_true(entry_with(&e, "CAT-V-RED-S"));
	assert_int_equal(e.status, PS_ENTRY_SYNCED);
	assert_non_null(strstr(e.dedupe_key, ":ev"));
	assert_string_equal(e.kind, "product.export");
	assert_non_null(strstr(e.detail, "group 500"));
	ps_log_entry_dispose(&e);
}

static int
synced_entry(void *arg)
{
	ps_log_entry e;
	int ok = entry_with(&e, (const char *)arg) &&
		 e.status == PS_ENTRY_SYNCED;

	ps_log_entry_dispose(&e);
	return ok;
}

/*
 * The create reaches BigCommerce but its reply is lost (cut short, as
 * when the worker dies before reading it): the retry finds the product
 * by SKU and adopts it; one product, one create.
 */
static void
test_catalog__lost_create_reply_makes_no_duplicate(void **state)
{
	static char lost[] = "CAT-LOST";
	ps_log_entry e;
	json_t *p;
	size_t count;

	(void)state;
	fx_ctl_ok(&fx, "POST", "/requests/reset", "{}");
	fx_ctl_ok(&fx, "POST", "/faults",
		  "{\"platform\":\"bigcommerce\",\"rate\":1,"
		  "\"kinds\":[\"truncate\"],\"seed\":1}");
	bp_seed("[{\"sku\":\"CAT-LOST\",\"name\":\"Catalog Lost\","
		"\"price\":9,\"weight\":1}]");
	fx_passes(&fx, 1, 0);
	fx_ctl_ok(&fx, "POST", "/faults",
		  "{\"platform\":\"bigcommerce\",\"rate\":0}");
	/* created once, unlinked */
	p = bc_product_of("CAT-LOST", &count);
	assert_int_equal(count, 1);
	json_decref(p);

	assert_int_equal(fx_run_until(&fx, synced_entry, lost, DEADLINE_MS), 1);
	p = bc_product_of("CAT-LOST", &count);
	assert_int_equal(count, 1);
	json_decref(p);
	assert_int_equal(
		fx_requests(&fx, "bigcommerce", "POST v3/catalog/products"), 1);
	assert_true(entry_with(&e, "CAT-LOST"));
	assert_non_null(strstr(e.detail, "adopted"));
	ps_log_entry_dispose(&e);
}

/* A name BigCommerce refuses: the entry fails with BigCommerce's words
 * and waits for the operator; nothing is created. */
static void
test_catalog__refused_name_fails_the_entry(void **state)
{
	char body[600], name[300];
	ps_log_entry e;
	size_t count;
	json_t *p;

	(void)state;
	memset(name, 'N', 251);
	name[251] = '\0';
	snprintf(body, sizeof(body),
		 "[{\"sku\":\"CAT-LONG\",\"name\":\"%s\",\"price\":1,"
		 "\"weight\":1}]",
		 name);
	bp_seed(body);
	fx_passes(&fx, 2, 20);
	p = bc_product_of("CAT-LONG", &count);
	assert_null(p);
	assert_int_equal(count, 0);
	assert_true(entry_with(&e, "CAT-LONG") ||
		    entry_with(&e, "JSON data is missing"));
	ps_log_entry_dispose(&e);
	assert_int_equal(fx_failed_entries(&fx), 1);
}

static int
split_done(void *arg)
{
	json_t *a = bc_product_of("CAT-SPLIT-A", NULL);
	json_t *c = bc_product_of("CAT-SPLIT-C", NULL);
	int ok = a && c && fabs(num(a, "price") - 2.5) < 0.00005 &&
		 fabs(num(c, "price") - 4.5) < 0.00005;

	(void)arg;
	json_decref(a);
	json_decref(c);
	return ok && unsettled() == 0;
}

/*
 * BigCommerce refuses a whole batch for one bad item (here a rename to
 * a name another product has: 409).  The batch is sent again one item a
 * request: the other two products are updated and only the renamed
 * product's entry fails, with BigCommerce's words.  A negative weight is
 * refused too (422) and touches nothing.
 */
static void
test_catalog__refused_batch_item_fails_alone(void **state)
{
	want w = {"CAT-SPLIT-C", NULL, 0, NULL};
	json_t *wr, *p;
	ps_log_entry e;
	size_t i, sizes[8] = {0};

	(void)state;
	bp_seed("[{\"sku\":\"CAT-SPLIT-A\",\"name\":\"Split A\",\"price\":1,"
		"\"weight\":1},"
		"{\"sku\":\"CAT-SPLIT-B\",\"name\":\"Split B\",\"price\":1,"
		"\"weight\":1},"
		"{\"sku\":\"CAT-SPLIT-C\",\"name\":\"Split C\",\"price\":1,"
		"\"weight\":1}]");
	settle(&w);
	fx_passes(&fx, 2, 20);
	writes_clear();
	bp_edit("{\"sku\":\"CAT-SPLIT-A\",\"price\":2.5}");
	bp_edit("{\"sku\":\"CAT-SPLIT-B\",\"name\":\"Split A\"}");
	bp_edit("{\"sku\":\"CAT-SPLIT-C\",\"price\":4.5}");
	assert_int_equal(fx_run_until(&fx, split_done, NULL, DEADLINE_MS), 1);
	p = bc_product_of("CAT-SPLIT-B", NULL);
	assert_string_equal(str(p, "name"), "Split B");
	json_decref(p);
	/* one batch of three, then each alone */
	wr = writes();
	if (json_array_size(wr) != 4 ||
	    json_array_size(json_object_get(json_array_get(wr, 0), "body")) !=
		    3) {
		char *t = json_dumps(wr, JSON_COMPACT);

		fprintf(stderr, "catalog writes: %s\n", t);
		free(t);
	}
	assert_int_equal(json_array_size(wr), 4);
	for (i = 0; i < 4; i++)
		sizes[i] = json_array_size(
			json_object_get(json_array_get(wr, i), "body"));
	assert_int_equal(sizes[0], 3);
	assert_int_equal(sizes[1] + sizes[2] + sizes[3], 3);
	json_decref(wr);
	assert_true(entry_with(&e, "CAT-SPLIT-B"));
	assert_int_equal(e.status, PS_ENTRY_FAILED);
	assert_non_null(strstr(e.reason, "The product name is a duplicate"));
	ps_log_entry_dispose(&e);

	/* a weight BigCommerce cannot take */
	writes_clear();
	bp_edit("{\"sku\":\"CAT-SPLIT-C\",\"weight\":-1}");
	fx_passes(&fx, 3, 20);
	p = bc_product_of("CAT-SPLIT-C", NULL);
	assert_true(fabs(num(p, "weight") - 1) < 0.00005);
	json_decref(p);
	assert_true(entry_with(&e, "error.min"));
	assert_int_equal(e.status, PS_ENTRY_FAILED);
	assert_non_null(strstr(e.reason, "weight"));
	ps_log_entry_dispose(&e);
}

static int
all_there(void *arg)
{
	(void)arg;
	return bc_product_count() >= *(size_t *)arg && unsettled() == 0;
}

/*
 * 200 new products, then a price change of each: the reads from
 * Brightpearl go in id sets, the creates one a request (BigCommerce
 * creates one product a request), the updates ten a request.
 */
static void
test_catalog__two_hundred_products_batched(void **state)
{
	json_t *arr = json_array();
	size_t i, want_n;
	char *text, sku[32], edit[96];
	int64_t bp_total, bc_total;

	(void)state;
	for (i = 0; i < MANY; i++) {
		snprintf(sku, sizeof(sku), "CAT-BULK-%04zu", i);
		json_array_append_new(arr, json_pack("{s:s,s:s,s:f,s:f}", "sku",
						     sku, "name", sku, "price",
						     10.0 + (double)i, "weight",
						     1.0));
	}
	text = json_dumps(arr, JSON_COMPACT);
	json_decref(arr);
	want_n = bc_product_count() + MANY;
	fx_ctl_ok(&fx, "POST", "/requests/reset", "{}");
	bp_seed(text);
	free(text);
	assert_int_equal(fx_run_until(&fx, all_there, &want_n, 120000), 1);
	bp_total = fx_requests(&fx, "brightpearl", NULL);
	bc_total = fx_requests(&fx, "bigcommerce", NULL);
	fprintf(stderr,
		"200 new products: Brightpearl %" PRId64
		" requests (search %" PRId64 ", product %" PRId64
		", price %" PRId64 "); BigCommerce %" PRId64
		" (POST products %" PRId64 ")\n",
		bp_total,
		fx_requests(&fx, "brightpearl",
			    "GET /product-service/product-search"),
		fx_requests(&fx, "brightpearl",
			    "GET /product-service/product/{idset}"),
		fx_requests(&fx, "brightpearl",
			    "GET /product-service/product-price/{idset}"),
		bc_total,
		fx_requests(&fx, "bigcommerce", "POST v3/catalog/products"));
	assert_int_equal(
		fx_requests(&fx, "bigcommerce", "POST v3/catalog/products"),
		MANY);
	assert_int_equal(bc_total, MANY);
	/* 50 entries a batch: product and price reads per batch */
	assert_true(fx_requests(&fx, "brightpearl",
				"GET /product-service/product/{idset}") <= 8);
	assert_true(fx_requests(&fx, "brightpearl",
				"GET /product-service/product-price/{idset}") <=
		    8);

	for (i = 0; i < MANY; i++) {
		snprintf(edit, sizeof(edit),
			 "{\"sku\":\"CAT-BULK-%04zu\",\"price\":%zu.5}", i,
			 100 + i);
		bp_edit(edit);
	}
	fx_ctl_ok(&fx, "POST", "/requests/reset", "{}");
	fx_passes(&fx, 1, 0);
	assert_int_equal(fx_run_until(&fx, all_there, &want_n, 120000), 1);
	bc_total = fx_requests(&fx, "bigcommerce", NULL);
	fprintf(stderr,
		"200 price changes: Brightpearl %" PRId64
		" requests; BigCommerce %" PRId64 " (PUT products %" PRId64
		")\n",
		fx_requests(&fx, "brightpearl", NULL), bc_total,
		fx_requests(&fx, "bigcommerce", "PUT v3/catalog/products"));
	/* ten a request; the sandbox delivers the 200 webhooks while the
	 * worker ticks, so on a loaded machine the entries can fall due in
	 * two or three waves, each ending in a part-full batch */
	assert_true(fx_requests(&fx, "bigcommerce",
				"PUT v3/catalog/products") >= MANY / 10);
	assert_true(fx_requests(&fx, "bigcommerce",
				"PUT v3/catalog/products") <= MANY / 10 + 3);
	assert_int_equal(bc_total, fx_requests(&fx, "bigcommerce",
					       "PUT v3/catalog/products"));
	{
		json_t *p = bc_product_of("CAT-BULK-0199", NULL);

		assert_true(fabs(num(p, "price") - 299.5) < 0.00005);
		json_decref(p);
	}
}

/* ---- fixture ---------------------------------------------------------- */

static int
setup(void **state)
{
	static const char *const args[] = {"--seed", "empty", "--quota", "off",
					   NULL};
	static const char *const flows[] = {"catalog", NULL};

	*state = &fx;
	if (flow_fixture_open(&fx, args) < 0 ||
	    flow_fixture_set(&fx, "bigcommerce.catalog.price_list_id", "1") <
		    0 ||
	    flow_fixture_set(&fx, "bigcommerce.catalog.enabled", "true") < 0 ||
	    /* only an explicit pass polls: a tick moves on webhooks alone */
	    flow_fixture_set(&fx, "sync.poll_interval_seconds", "86400") < 0 ||
	    flow_fixture_start_worker(&fx, flows) < 0)
		return -1;
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_catalog__new_product_appears),
		cmocka_unit_test(test_catalog__one_change_sends_one_field),
		cmocka_unit_test(test_catalog__merchant_owned_field_is_kept),
		cmocka_unit_test(test_catalog__variants_by_option),
		cmocka_unit_test(test_catalog__webhook_carries_a_change),
		cmocka_unit_test(
			test_catalog__lost_create_reply_makes_no_duplicate),
		cmocka_unit_test(test_catalog__refused_name_fails_the_entry),
		cmocka_unit_test(test_catalog__refused_batch_item_fails_alone),
		cmocka_unit_test(test_catalog__two_hundred_products_batched),
	};

	return cmocka_run_group_tests(tests, setup, flow_fixture_teardown);
}
