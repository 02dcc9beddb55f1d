/*
 * bc_control.c - registration of the BigCommerce platform, its demo seed
 * and its control calls under /_sandbox/bigcommerce/...
 *
 * The control API acts as the shopper and the merchant: it places orders
 * (which raise store/order/created like a checkout), changes an order's
 * status, creates products and customers, sets stock and reads state back
 * for assertions.  Reset, request counters, faults and webhook delivery
 * controls are the framework's (see README.md).
 */
#include "bc_sim.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MSG_LEN 512

static void
ctl_error(sb_response *resp, int status, const char *msg)
{
	sb_resp_json(resp, status, json_pack("{s:s}", "error", msg), NULL);
}

static void
apply_quota(bc_state *st)
{
	sb_sandbox *sb = st->pf->sb;
	int64_t window =
		sb->opt.bc_window_ms > 0 ? sb->opt.bc_window_ms : BC_WINDOW_MS;

	sb_window_dispose(&st->quota);
	sb_window_init(&st->quota, SB_WINDOW_FIXED,
		       sb_quota_scale(sb, BC_QUOTA_REAL), window);
}

/* The full picture of one order for assertions; new reference. */
static json_t *
order_state(bc_state *st, const bc_order *o)
{
	json_t *ships = json_array(), *sh;
	size_t i;

	json_array_foreach (o->shipments, i, sh) {
		json_array_append_new(ships, bc_shipment_json(st, sh));
	}
	return json_pack("{s:o, s:O, s:O, s:o, s:O, s:O, s:o}", "order",
			 bc_order_json(st, o), "products", o->lines,
			 "shipping_addresses", o->addresses, "shipments", ships,
			 "transactions", o->transactions, "refunds", o->refunds,
			 "taxes",
			 o->taxes ? json_incref(o->taxes) : json_array());
}

static json_t *
inventory_state(bc_state *st)
{
	json_t *out = json_array(), *p, *v;
	size_t i, j;

	json_array_foreach (st->products, i, p) {
		json_array_foreach (json_object_get(p, "variants"), j, v) {
			json_array_append_new(
				out,
				json_pack(
					"{s:O, s:O, s:O, s:O, s:O}", "sku",
					json_object_get(v, "sku"), "product_id",
					json_object_get(p, "id"), "variant_id",
					json_object_get(v, "id"),
					"inventory_tracking",
					json_object_get(p,
							"inventory_tracking"),
					"inventory_level",
					json_object_get(v, "inventory_level")));
		}
	}
	return out;
}

static json_t *
bc_state_json(sb_platform *pf)
{
	bc_state *st = pf->priv;
	json_t *orders = json_array();
	size_t i;

	for (i = 0; i < st->norders; i++)
		json_array_append_new(orders, order_state(st, &st->orders[i]));
	return json_pack("{s:s, s:o, s:o, s:O, s:O}", "store_hash",
			 st->store_hash, "orders", orders, "inventory",
			 inventory_state(st), "customers", st->customers,
			 "hooks", st->hooks);
}

static int64_t
segment_id(const char *s, const char **rest)
{
	int64_t v = 0;
	int digits = 0;

	while (*s >= '0' && *s <= '9' && digits < 18)
		v = v * 10 + (*s++ - '0'), digits++;
	*rest = s;
	return digits ? v : -1;
}

/* The line of o with id, or NULL (borrowed). */
static json_t *
line_by_id(const bc_order *o, int64_t id)
{
	json_t *l;
	size_t i;

	json_array_foreach (o->lines, i, l) {
		if (sb_json_int(json_object_get(l, "id"), 0) == id)
			return l;
	}
	return NULL;
}

/*
 * Damage order o's stored data as a bad day would (tests of hostile
 * input; the API itself refuses such values): body {"order": {member:
 * value, ...}, "read": {member: value, ...}, "lines": [{"id": line id,
 * member: value, ...}]}.  "order" members are served as given over the
 * computed ones wherever the order is served (dates and id included);
 * "read" members only in GET /v2/orders/{id} ("id" there makes a read
 * answer about another order, as a mixed-up cache would); line members
 * replace the stored ones.  Nothing else changes (no webhook,
 * date_modified kept).  A missing line is 404 and changes nothing.
 */
static void
ctl_corrupt(bc_state *st, bc_order *o, sb_request *req, sb_response *resp)
{
	json_t *body = sb_req_json(req, NULL), *ord, *rd, *lines, *l, *line;
	size_t i;

	ord = json_object_get(body, "order");
	rd = json_object_get(body, "read");
	lines = json_object_get(body, "lines");
	if ((ord != NULL && !json_is_object(ord)) ||
	    (rd != NULL && !json_is_object(rd)) ||
	    (lines != NULL && !json_is_array(lines))) {
		json_decref(body);
		ctl_error(resp, 400,
			  "order and read must be objects, lines an array");
		return;
	}
	json_array_foreach (lines, i, l) {
		if (line_by_id(o, sb_json_int(json_object_get(l, "id"), 0)) ==
		    NULL) {
			json_decref(body);
			ctl_error(resp, 404, "no such line");
			return;
		}
	}
	json_array_foreach (lines, i, l) {
		line = line_by_id(o, sb_json_int(json_object_get(l, "id"), 0));
		json_object_update(line, l);
	}
	if (ord != NULL) {
		if (o->raw == NULL)
			o->raw = json_object();
		json_object_update(o->raw, ord);
	}
	if (rd != NULL) {
		if (o->raw_read == NULL)
			o->raw_read = json_object();
		json_object_update(o->raw_read, rd);
	}
	json_decref(body);
	sb_resp_json(resp, 200, order_state(st, o), NULL);
}

static void
ctl_orders(bc_state *st, const char *rest, sb_request *req, sb_response *resp)
{
	char msg[MSG_LEN];
	json_t *body = NULL;
	bc_order *o;
	int status;
	int64_t id;

	if (*rest == '\0') {
		if (strcmp(req->method, "POST") == 0) {
			body = sb_req_json(req, NULL);
			o = bc_order_create(st, body, 1, &status, msg,
					    sizeof(msg));
			json_decref(body);
			if (o == NULL)
				ctl_error(resp, status ? status : 500, msg);
			else
				sb_resp_json(resp, 201, order_state(st, o),
					     NULL);
			return;
		}
		body = json_array();
		for (size_t i = 0; i < st->norders; i++)
			json_array_append_new(body,
					      order_state(st, &st->orders[i]));
		sb_resp_json(resp, 200, body, NULL);
		return;
	}
	id = segment_id(rest + 1, &rest);
	if (id < 0 || (o = bc_order_find(st, id)) == NULL) {
		ctl_error(resp, 404, "no such order");
		return;
	}
	if (strcmp(rest, "/status") == 0 && strcmp(req->method, "POST") == 0) {
		body = sb_req_json(req, NULL);
		status = (int)sb_json_int(json_object_get(body, "status_id"),
					  -1);
		json_decref(body);
		if (bc_status_name(status) == NULL) {
			ctl_error(resp, 400, "status_id must be 0..14");
			return;
		}
		bc_order_set_status(st, o, status);
		sb_resp_json(resp, 200, order_state(st, o), NULL);
		return;
	}
	if (strcmp(rest, "/shipments") == 0 &&
	    strcmp(req->method, "POST") == 0) {
		json_t *sh;

		body = sb_req_json(req, NULL);
		sh = bc_shipment_create(st, o, body, &status, msg, sizeof(msg));
		json_decref(body);
		if (sh == NULL)
			ctl_error(resp, status ? status : 500, msg);
		else
			sb_resp_json(resp, 201, order_state(st, o), NULL);
		return;
	}
	if (strcmp(rest, "/refunds") == 0 && strcmp(req->method, "POST") == 0) {
		json_t *rf;

		body = sb_req_json(req, NULL);
		rf = bc_refund_create(st, o, body, msg, sizeof(msg));
		json_decref(body);
		if (rf == NULL)
			ctl_error(resp, 422, msg);
		else
			sb_resp_json(resp, 201, order_state(st, o), NULL);
		return;
	}
	if (strcmp(rest, "/archive") == 0 && strcmp(req->method, "POST") == 0) {
		/* the merchant archives the order in the control panel: what
		 * DELETE /v2/orders/{id} does (reference section 6, Archive:
		 * is_deleted true, not destroyed) */
		json_object_set_new(o->order, "is_deleted", json_true());
		o->modified = bc_now(st);
		bc_event(st, "store/order/archived",
			 json_pack("{s:s, s:I}", "type", "order", "id",
				   (json_int_t)o->id));
		sb_resp_json(resp, 200, order_state(st, o), NULL);
		return;
	}
	if (strcmp(rest, "/corrupt") == 0 && strcmp(req->method, "POST") == 0) {
		ctl_corrupt(st, o, req, resp);
		return;
	}
	if (*rest == '\0' && strcmp(req->method, "GET") == 0) {
		sb_resp_json(resp, 200, order_state(st, o), NULL);
		return;
	}
	ctl_error(resp, 404, "unknown order control call");
}

static void
ctl_inventory(bc_state *st, sb_request *req, sb_response *resp)
{
	json_t *body, *items, *it, *p = NULL, *v;
	size_t i;

	if (strcmp(req->method, "GET") == 0 && sb_req_query(req, "sku")) {
		/* ?sku=A,B: those SKUs only, through the index */
		const char *q = sb_req_query(req, "sku");
		char sku[256];

		items = json_array();
		while (q && *q) {
			const char *end = strchr(q, ',');
			size_t len = end ? (size_t)(end - q) : strlen(q);

			if (len < sizeof(sku)) {
				memcpy(sku, q, len);
				sku[len] = '\0';
				if ((v = bc_variant_by_sku(st, sku, &p)) !=
				    NULL)
					json_array_append_new(
						items,
						json_pack(
							"{s:O, s:O, s:O, s:O, "
							"s:O}",
							"sku",
							json_object_get(v,
									"sku"),
							"product_id",
							json_object_get(p,
									"id"),
							"variant_id",
							json_object_get(v,
									"id"),
							"inventory_tracking",
							json_object_get(
								p, "inventory_"
								   "tracking"),
							"inventory_level",
							json_object_get(
								v, "inventory_"
								   "level")));
			}
			q = end ? end + 1 : NULL;
		}
		sb_resp_json(resp, 200, items, NULL);
		return;
	}
	if (strcmp(req->method, "GET") == 0) {
		sb_resp_json(resp, 200, inventory_state(st), NULL);
		return;
	}
	/* {"sku": "...", "level": n} or {"items": [{sku, level}, ...]} */
	body = sb_req_json(req, NULL);
	items = json_object_get(body, "items");
	if (!json_is_array(items)) {
		items = json_pack("[O]", body);
		json_decref(body);
		body = items;
	} else {
		json_incref(items);
		json_decref(body);
		body = items;
	}
	json_array_foreach (body, i, it) {
		const char *sku = sb_json_str(json_object_get(it, "sku"), "");

		if ((v = bc_variant_by_sku(st, sku, &p)) == NULL ||
		    !json_is_integer(json_object_get(it, "level"))) {
			json_decref(body);
			ctl_error(resp, 404, "unknown SKU or missing level");
			return;
		}
	}
	json_array_foreach (body, i, it) {
		v = bc_variant_by_sku(
			st, sb_json_str(json_object_get(it, "sku"), ""), &p);
		bc_inventory_set(st, p, v,
				 sb_json_int(json_object_get(it, "level"), 0));
	}
	json_decref(body);
	sb_resp_json(resp, 200, inventory_state(st), NULL);
}

void
bc_control(sb_platform *pf, const char *action, sb_request *req,
	   sb_response *resp)
{
	bc_state *st = pf->priv;
	char msg[MSG_LEN];
	json_t *body, *x;
	int status;

	if (strncmp(action, "orders", 6) == 0 &&
	    (action[6] == '\0' || action[6] == '/')) {
		ctl_orders(st, action + 6, req, resp);
		return;
	}
	if (strcmp(action, "inventory") == 0) {
		ctl_inventory(st, req, resp);
		return;
	}
	if (strcmp(action, "state") == 0) {
		sb_resp_json(resp, 200, bc_state_json(pf), NULL);
		return;
	}
	if (strcmp(action, "routes") == 0) {
		sb_resp_json(resp, 200, bc_routes_json(), NULL);
		return;
	}
	if (strcmp(action, "catalog") == 0 && strcmp(req->method, "GET") == 0) {
		/* every product with its variants, as the API serves them */
		sb_resp_json(resp, 200, json_deep_copy(st->products), NULL);
		return;
	}
	if (strcmp(action, "catalog-writes") == 0) {
		/* the catalog writes received, in order; DELETE forgets them */
		if (strcmp(req->method, "DELETE") == 0)
			json_array_clear(st->catalog_writes);
		sb_resp_json(resp, 200, json_deep_copy(st->catalog_writes),
			     NULL);
		return;
	}
	if (strcmp(action, "hooks") == 0) {
		sb_resp_json(resp, 200, json_deep_copy(st->hooks), NULL);
		return;
	}
	if (strcmp(action, "products") == 0 &&
	    strcmp(req->method, "POST") == 0 &&
	    json_is_array(body = sb_req_json(req, NULL))) {
		/* a list: many products in one call (benchmarks seed 20,000
		 * SKUs); stops at the first refused, reply the count made */
		size_t i, made = 0;

		json_array_foreach (body, i, x) {
			if (bc_product_create(st, x, &status, msg,
					      sizeof(msg)) == NULL)
				break;
			made++;
		}
		if (made < json_array_size(body)) {
			json_decref(body);
			ctl_error(resp, status, msg);
			return;
		}
		json_decref(body);
		sb_resp_json(resp, 201,
			     json_pack("{s:I}", "created", (json_int_t)made),
			     NULL);
		return;
	}
	if (strcmp(action, "products") == 0 &&
	    strcmp(req->method, "POST") == 0) {
		x = bc_product_create(st, body, &status, msg, sizeof(msg));
		json_decref(body);
		if (x == NULL)
			ctl_error(resp, status, msg);
		else
			sb_resp_json(resp, 201, bc_product_json(x, 1), NULL);
		return;
	}
	if (strcmp(action, "customers") == 0 &&
	    strcmp(req->method, "POST") == 0) {
		body = sb_req_json(req, NULL);
		x = bc_customer_create(st, body, msg, sizeof(msg));
		json_decref(body);
		if (x == NULL)
			ctl_error(resp, 422, msg);
		else
			sb_resp_json(resp, 201, json_deep_copy(x), NULL);
		return;
	}
	if (strcmp(action, "config") == 0 && strcmp(req->method, "POST") == 0) {
		body = sb_req_json(req, NULL);
		x = json_object_get(body, "order_create_status");
		if (json_is_integer(x) && (json_integer_value(x) == 200 ||
					   json_integer_value(x) == 201))
			st->order_post_status = (int)json_integer_value(x);
		x = json_object_get(body, "clock_offset_s");
		if (json_is_integer(x))
			st->clock_offset = (time_t)json_integer_value(x);
		x = json_object_get(body, "client_secret");
		if (json_is_string(x))
			snprintf(st->client_secret, sizeof(st->client_secret),
				 "%s", json_string_value(x));
		x = json_object_get(body, "quota");
		if (json_is_integer(x)) {
			int64_t w =
				sb_json_int(json_object_get(body, "window_ms"),
					    st->quota.window_ms);

			sb_window_dispose(&st->quota);
			sb_window_init(&st->quota, SB_WINDOW_FIXED,
				       (int)json_integer_value(x), w);
		}
		json_decref(body);
		sb_resp_json(resp, 200,
			     json_pack("{s:i, s:I, s:i, s:I}",
				       "order_create_status",
				       st->order_post_status, "clock_offset_s",
				       (json_int_t)st->clock_offset, "quota",
				       st->quota.limit, "window_ms",
				       (json_int_t)st->quota.window_ms),
			     NULL);
		return;
	}
	ctl_error(resp, 404, "unknown bigcommerce control call");
}

/* ---- demo seed ------------------------------------------------------------
 */

/*
 * The demo catalogue uses the SKUs, names and prices of the Brightpearl demo
 * seed (bp_api.c) so that a sync run matches products out of the box: the
 * tees and hoodies are products with variants (tracked by variant), the
 * rest simple products tracked by product, the gift card untracked.  Stock
 * equals Brightpearl's main warehouse.
 */
static const struct {
	const char *parent; /* product name; variants share it */
	const char *sku, *label;
	double price;
	int stock; /* -1: not tracked */
} demo_catalog[] = {
	{"Classic tee", "TEE-RED-S", "Red S", 19.00, 40},
	{"Classic tee", "TEE-RED-M", "Red M", 19.00, 55},
	{"Classic tee", "TEE-RED-L", "Red L", 19.00, 30},
	{"Classic tee", "TEE-BLU-M", "Blue M", 19.00, 25},
	{"Pullover hoodie", "HOOD-GRY-M", "Grey M", 49.50, 12},
	{"Pullover hoodie", "HOOD-GRY-L", "Grey L", 49.50, 0},
	{"Baseball cap black", "CAP-BLK", NULL, 15.00, 80},
	{"Logo mug 350ml", "MUG-LOGO", NULL, 9.95, 120},
	{"Canvas tote bag", "BAG-TOTE", NULL, 12.50, 60},
	{"Crew socks 3-pack", "SOCK-3PK", NULL, 11.00, 90},
	{"Steel bottle 750ml", "BTL-STEEL", NULL, 24.00, 18},
	{"Gift card", "GIFT-CARD", NULL, 25.00, -1},
};

static void
seed_catalog(bc_state *st)
{
	size_t n = sizeof(demo_catalog) / sizeof(demo_catalog[0]), i, j;
	char msg[MSG_LEN];
	int status;

	for (i = 0; i < n; i = j) {
		json_t *body, *variants = json_array();

		for (j = i; j < n && strcmp(demo_catalog[j].parent,
					    demo_catalog[i].parent) == 0;
		     j++)
			if (demo_catalog[j].label)
				json_array_append_new(
					variants,
					json_pack("{s:s, s:f, s:i, s:[{s:s, "
						  "s:s}]}",
						  "sku", demo_catalog[j].sku,
						  "price",
						  demo_catalog[j].price,
						  "inventory_level",
						  demo_catalog[j].stock,
						  "option_values",
						  "option_display_name",
						  "Colour / size", "label",
						  demo_catalog[j].label));
		body = json_pack(
			"{s:s, s:s, s:f, s:f, s:s, s:i}", "name",
			demo_catalog[i].parent, "type", "physical", "weight",
			0.5, "price", demo_catalog[i].price,
			"inventory_tracking",
			json_array_size(variants)   ? "variant"
			: demo_catalog[i].stock < 0 ? "none"
						    : "product",
			"inventory_level",
			demo_catalog[i].stock < 0 ? 0 : demo_catalog[i].stock);
		if (json_array_size(variants))
			json_object_set_new(body, "variants", variants);
		else {
			json_decref(variants);
			json_object_set_new(body, "sku",
					    json_string(demo_catalog[i].sku));
		}
		(void)bc_product_create(st, body, &status, msg, sizeof(msg));
		json_decref(body);
	}
}

void
bc_seed_demo(bc_state *st)
{
	char msg[MSG_LEN];
	int status;
	json_t *body;

	seed_catalog(st);
	body = json_pack("{s:s, s:s, s:s}", "email", "ada@example.com",
			 "first_name", "Ada", "last_name", "Lovelace");
	bc_customer_create(st, body, msg, sizeof(msg));
	json_decref(body);

	/* A paid order from a registered customer (tax exclusive). */
	body = json_pack(
		"{s:{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}, s:i, s:I, "
		"s:[{s:s, s:i}, {s:s, s:i}], s:s, s:s, s:s, s:s, s:b, s:s, "
		"s:{s:s, s:b}}",
		"billing_address", "first_name", "Ada", "last_name", "Lovelace",
		"street_1", "12 St James's Square", "city", "Austin", "state",
		"Texas", "zip", "78701", "country", "United States",
		"country_iso2", "US", "email", "ada@example.com", "status_id",
		11, "customer_id", (json_int_t)1, "lines", "sku", "TEE-RED-M",
		"quantity", 2, "sku", "MUG-LOGO", "quantity", 1,
		"customer_message", "Please gift wrap", "staff_notes", "",
		"currency", "USD", "tax_rate", "0.0825", "prices_include_tax",
		0, "shipping_cost", "5.00", "payment", "gateway", "braintree",
		"captured", 1);
	bc_order_create(st, body, 1, &status, msg, sizeof(msg));
	json_decref(body);
	/* A guest order, tax inclusive, payment only authorised, coupon. */
	body = json_pack("{s:{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}, s:i, "
			 "s:[{s:s, s:i}, {s:s, s:i}], s:s, s:s, s:s, s:s, s:b, "
			 "s:{s:s, s:s}, s:{s:s, s:b}}",
			 "billing_address", "first_name", "Sam", "last_name",
			 "Guest", "street_1", "2 High Street", "city",
			 "Portland", "state", "Oregon", "zip", "97201",
			 "country", "United States", "email", "sam@example.org",
			 "status_id", 11, "lines", "sku", "CAP-BLK", "quantity",
			 1, "sku", "SOCK-3PK", "quantity", 2, "currency", "USD",
			 "tax_rate", "0.1", "shipping_cost", "4.00",
			 "staff_notes", "Guest checkout", "prices_include_tax",
			 1, "coupon", "code", "WELCOME5", "amount", "5.00",
			 "payment", "gateway", "stripe", "captured", 0);
	bc_order_create(st, body, 1, &status, msg, sizeof(msg));
	json_decref(body);
	/* An abandoned checkout: Pending, no payment. */
	body = json_pack("{s:{s:s, s:s, s:s, s:s, s:s, s:s, s:s}, s:i, "
			 "s:[{s:s, s:i}]}",
			 "billing_address", "first_name", "Pat", "last_name",
			 "Pending", "street_1", "3 Elm Road", "city", "Denver",
			 "zip", "80202", "country", "United States", "email",
			 "pat@example.net", "status_id", 1, "lines", "sku",
			 "HOOD-GRY-M", "quantity", 1);
	bc_order_create(st, body, 1, &status, msg, sizeof(msg));
	json_decref(body);
}

/* ---- platform ops
 * ------------------------------------------------------------ */

static void
bc_reset(sb_platform *pf, int demo)
{
	bc_state *st = pf->priv;

	bc_state_clear(st);
	st->clock_offset = 0;
	st->order_post_status = 201;
	apply_quota(st);
	if (demo)
		bc_seed_demo(st);
}

static void
bc_free(sb_platform *pf)
{
	bc_state_free(pf->priv);
}

static const sb_platform_ops bc_ops = {
	"bigcommerce",  bc_handle,      bc_control,    bc_reset,
	bc_fault_reply, bc_on_delivery, bc_state_json, bc_free};

void
sb_bc_register(sb_sandbox *sb)
{
	bc_state *st = bc_state_new(NULL);
	sb_platform *pf;

	if (st == NULL)
		return;
	pf = sb_platform_add(sb, &bc_ops, st);
	if (pf == NULL) {
		bc_state_free(st);
		return;
	}
	st->pf = pf;
	snprintf(st->store_hash, sizeof(st->store_hash), "%s",
		 sb->opt.bc_store ? sb->opt.bc_store : "sandbox");
	snprintf(st->token, sizeof(st->token), "%s",
		 sb->opt.bc_token ? sb->opt.bc_token : "sandbox-token");
	apply_quota(st);
}
