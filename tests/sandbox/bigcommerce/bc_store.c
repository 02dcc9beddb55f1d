/*
 * bc_store.c - the simulated BigCommerce store: orders with their lines,
 * shipping addresses, shipments, transactions and refunds; the catalog
 * (products with variants and default-location stock); customers; webhook
 * registrations and the events they receive.
 *
 * Objects are kept in the shape the API serves them; money is computed in
 * ten-thousandths and written back as 4-decimal strings.  Order state
 * changes follow the reference: a shipment raises quantity_shipped and
 * moves the order to Partially Shipped (3) or, once every line is fully
 * shipped, Shipped (2); every change bumps date_modified and raises the
 * matching store/order/... events.
 */
#include "bc_sim.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- order statuses (fixed ids; spec orderStatusCollection_Resp) ------- */

static const struct {
	const char *name;
	int order;
	const char *desc;
} statuses[] = {
	{"Incomplete", 0,
	 "An incomplete order happens when a shopper reached the payment page, "
	 "but did not complete the transaction."},
	{"Pending", 1,
	 "Customer started the checkout process, but did not "
	 "complete it."},
	{"Shipped", 8,
	 "Order has been shipped, but receipt has not been "
	 "confirmed; seller has used the Ship Items action."},
	{"Partially Shipped", 6,
	 "Only some items in the order have been "
	 "shipped, due to some products being "
	 "pre-order only or other reasons."},
	{"Refunded", 11, "Seller has used the Refund action."},
	{"Cancelled", 9,
	 "Seller has cancelled an order, due to a stock "
	 "inconsistency or other reasons."},
	{"Declined", 10,
	 "Seller has marked the order as declined for lack "
	 "of manual payment, or other reasons."},
	{"Awaiting Payment", 2,
	 "Customer has completed checkout process, "
	 "but payment has yet to be confirmed."},
	{"Awaiting Pickup", 5,
	 "Order has been pulled, and is awaiting "
	 "customer pickup from a seller-specified "
	 "location."},
	{"Awaiting Shipment", 4,
	 "Order has been pulled and packaged, and "
	 "is awaiting collection from a shipping "
	 "provider."},
	{"Completed", 7,
	 "Client has paid for their digital product and "
	 "their file(s) are available for download."},
	{"Awaiting Fulfillment", 3,
	 "Customer has completed the checkout "
	 "process and payment has been "
	 "confirmed."},
	{"Manual Verification Required", 13,
	 "Order on hold while some "
	 "aspect needs to be manually "
	 "confirmed."},
	{"Disputed", 12,
	 "Customer has initiated a dispute resolution "
	 "process for the PayPal transaction that paid for "
	 "the order."},
	{"Partially Refunded", 14,
	 "Seller has partially refunded the "
	 "order."},
};

const char *
bc_status_name(int id)
{
	if (id < 0 || id >= (int)(sizeof(statuses) / sizeof(statuses[0])))
		return NULL;
	return statuses[id].name;
}

json_t *
bc_status_json(int id)
{
	return json_pack("{s:i, s:s, s:s, s:s, s:s, s:i}", "id", id, "name",
			 statuses[id].name, "system_label", statuses[id].name,
			 "custom_label", statuses[id].name,
			 "system_description", statuses[id].desc, "order",
			 statuses[id].order);
}

/* ---- state ------------------------------------------------------------- */

static const int64_t hook_schedule_s[BC_HOOK_RETRIES] = {
	60, 180, 300, 600, 900, 1800, 3600, 7200, 21600, 50400, 86400};

bc_state *
bc_state_new(sb_platform *pf)
{
	bc_state *st = calloc(1, sizeof(*st));
	size_t i;

	if (st == NULL)
		return NULL;
	st->pf = pf;
	snprintf(st->client_id, sizeof(st->client_id), "sandbox-client");
	snprintf(st->store_id, sizeof(st->store_id), "1000001");
	snprintf(st->client_secret, sizeof(st->client_secret),
		 "sandbox-client-secret");
	st->order_post_status = 201;
	for (i = 0; i < BC_HOOK_RETRIES; i++)
		st->hook_schedule_ms[i] = hook_schedule_s[i] * 1000;
	st->products = json_array();
	st->customers = json_array();
	st->hooks = json_array();
	bc_catalog_init(st);
	bc_state_clear(st);
	return st;
}

static void
order_dispose(bc_order *o)
{
	json_decref(o->order);
	json_decref(o->lines);
	json_decref(o->addresses);
	json_decref(o->shipments);
	json_decref(o->transactions);
	json_decref(o->refunds);
	json_decref(o->taxes);
	json_decref(o->raw);
	json_decref(o->raw_read);
}

void
bc_state_clear(bc_state *st)
{
	size_t i;

	for (i = 0; i < st->norders; i++)
		order_dispose(&st->orders[i]);
	st->norders = 0;
	json_array_clear(st->products);
	bc_catalog_clear(st);
	json_array_clear(st->customers);
	json_array_clear(st->hooks);
	/* Realistic-looking id ranges, distinct per resource. */
	st->next_order = 100;
	st->next_line = 1000;
	st->next_address = 500;
	st->next_shipment = 1;
	st->next_product = 110;
	st->next_variant = 200;
	st->next_customer = 1;
	st->next_hook = 20000001;
	st->next_transaction = 1;
	st->next_refund = 1;
	st->next_inventory_tx = 1;
}

void
bc_state_free(bc_state *st)
{
	if (st == NULL)
		return;
	bc_state_clear(st);
	free(st->orders);
	json_decref(st->products);
	bc_catalog_free(st);
	json_decref(st->customers);
	json_decref(st->hooks);
	sb_window_dispose(&st->quota);
	free(st);
}

/* ---- webhooks ------------------------------------------------------------ */

static int
scope_matches(const char *hook_scope, const char *scope)
{
	size_t n = strlen(hook_scope);

	if (strcmp(hook_scope, scope) == 0)
		return 1;
	/* A trailing wildcard ("store/order/" then "*") covers the family. */
	return n >= 2 && strcmp(hook_scope + n - 2, "/*") == 0 &&
	       strncmp(hook_scope, scope, n - 1) == 0;
}

void
bc_event(bc_state *st, const char *scope, json_t *data)
{
	char hash[41], producer[96], *data_text = NULL, *body = NULL;
	char wh_id[48], wh_ts[24], wh_sig[64];
	size_t i;
	json_t *hook, *payload = NULL;
	int wanted = 0;

	/* no active hook for the scope: nothing to sign or send (a
	 * 2,000-item stock write fires 2,000 events) */
	json_array_foreach (st->hooks, i, hook)
		wanted |=
			json_is_true(json_object_get(hook, "is_active")) &&
			scope_matches(
				sb_json_str(json_object_get(hook, "scope"), ""),
				scope);
	if (!wanted) {
		st->next_event++; /* the ids stay as if it were sent */
		goto done;
	}
	data_text = json_dumps(data, JSON_COMPACT | JSON_SORT_KEYS);
	if (data_text == NULL)
		goto done;
	bc_sha1_hex(hash, data_text, strlen(data_text));
	snprintf(producer, sizeof(producer), "stores/%s", st->store_hash);
	payload = json_pack("{s:s, s:s, s:O, s:s, s:I, s:s}", "scope", scope,
			    "store_id", st->store_id, "data", data, "hash",
			    hash, "created_at", (json_int_t)bc_now(st),
			    "producer", producer);
	body = json_dumps(payload, JSON_COMPACT);
	if (body == NULL)
		goto done;
	/*
	 * Standard Webhooks signature: HMAC-SHA256 over "id.timestamp.body"
	 * keyed with the client secret, sent as "v1,<base64>".  The same
	 * headers go with every retry of this event.
	 */
	{
		char *signed_text;
		size_t slen;
		unsigned char mac[32];

		snprintf(wh_id, sizeof(wh_id), "msg_bc_%lld",
			 (long long)++st->next_event);
		snprintf(wh_ts, sizeof(wh_ts), "%lld", (long long)bc_now(st));
		slen = strlen(wh_id) + strlen(wh_ts) + strlen(body) + 3;
		signed_text = malloc(slen);
		if (signed_text == NULL)
			goto done;
		snprintf(signed_text, slen, "%s.%s.%s", wh_id, wh_ts, body);
		bc_hmac_sha256(mac, st->client_secret,
			       strlen(st->client_secret), signed_text,
			       strlen(signed_text));
		free(signed_text);
		memcpy(wh_sig, "v1,", 3);
		bc_base64(wh_sig + 3, sizeof(wh_sig) - 3, mac, sizeof(mac));
	}
	json_array_foreach (st->hooks, i, hook) {
		sb_pair hdr[16];
		size_t nh = 0;
		const char *k;
		json_t *v, *headers = json_object_get(hook, "headers");

		if (!json_is_true(json_object_get(hook, "is_active")) ||
		    !scope_matches(
			    sb_json_str(json_object_get(hook, "scope"), ""),
			    scope))
			continue;
		hdr[0].name = (char *)"webhook-id";
		hdr[0].value = wh_id;
		hdr[1].name = (char *)"webhook-timestamp";
		hdr[1].value = wh_ts;
		hdr[2].name = (char *)"webhook-signature";
		hdr[2].value = wh_sig;
		nh = 3;
		if (json_is_object(headers))
			json_object_foreach (headers, k, v) {
				if (nh == 16 || !json_is_string(v))
					continue;
				hdr[nh].name = (char *)k;
				hdr[nh].value = (char *)json_string_value(v);
				nh++;
			}
		sb_deliver(
			st->pf, "POST",
			sb_json_str(json_object_get(hook, "destination"), ""),
			"application/json", body, hdr, nh, st->hook_schedule_ms,
			BC_HOOK_RETRIES,
			(uint64_t)sb_json_int(json_object_get(hook, "id"), 0),
			scope);
	}
done:
	free(body);
	free(data_text);
	json_decref(payload);
	json_decref(data);
}

json_t *
bc_hook_find(bc_state *st, int64_t id)
{
	size_t i;
	json_t *h;

	json_array_foreach (st->hooks, i, h) {
		if (sb_json_int(json_object_get(h, "id"), 0) == id)
			return h;
	}
	return NULL;
}

int
bc_on_delivery(sb_platform *pf, sb_delivery *d, int status, int last_attempt)
{
	bc_state *st = pf->priv;
	json_t *hook;

	if (status >= 200 && status < 300)
		return 1;
	if (!last_attempt)
		return 0;
	/* The last retry failed: BigCommerce deactivates the hook. */
	hook = bc_hook_find(st, (int64_t)d->hook_id);
	if (hook != NULL) {
		json_object_set_new(hook, "is_active", json_false());
		json_object_set_new(hook, "updated_at",
				    json_integer((json_int_t)bc_now(st)));
	}
	return -1;
}

/* ---- catalog ---------------------------------------------------------------
 */

json_t *
bc_product_find(bc_state *st, int64_t id)
{
	char key[32];

	snprintf(key, sizeof(key), "%lld", (long long)id);
	return json_object_get(st->ix_product, key);
}

json_t *
bc_variant_find(bc_state *st, int64_t id, json_t **product)
{
	char key[32];
	json_t *v;

	snprintf(key, sizeof(key), "%lld", (long long)id);
	v = json_object_get(st->ix_variant, key);
	if (v != NULL && product)
		*product = json_object_get(st->ix_owner, key);
	return v;
}

json_t *
bc_variant_by_sku(bc_state *st, const char *sku, json_t **product)
{
	json_t *p = NULL, *v = bc_variant_by_sku_ci(st, sku, &p);

	/* the index ignores case; this lookup is exact */
	if (v == NULL ||
	    strcmp(sb_json_str(json_object_get(v, "sku"), ""), sku) != 0)
		return NULL;
	if (product)
		*product = p;
	return v;
}

static void
set_iso_now(bc_state *st, json_t *obj, const char *key)
{
	char buf[40];

	json_object_set_new(
		obj, key,
		json_string(bc_iso8601(buf, sizeof(buf), bc_now(st))));
}

static double
num_or(const json_t *v, double def)
{
	return json_is_number(v) ? json_number_value(v) : def;
}

static json_t *
variant_new(bc_state *st, int64_t product_id, const json_t *spec, double price)
{
	json_t *v = json_pack(
		"{s:I, s:I, s:s, s:I, s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:f, "
		"s:b, s:f, s:b, s:s, s:s, s:I, s:i, s:s, s:o}",
		"id", (json_int_t)st->next_variant, "product_id",
		(json_int_t)product_id, "sku",
		sb_json_str(json_object_get(spec, "sku"), ""), "sku_id",
		(json_int_t)st->next_variant + 100000, "price",
		num_or(json_object_get(spec, "price"), price),
		"calculated_price",
		num_or(json_object_get(spec, "price"), price), "sale_price",
		0.0, "retail_price", 0.0, "weight",
		num_or(json_object_get(spec, "weight"), 1.0), "width", 0.0,
		"height", 0.0, "depth", 0.0, "is_free_shipping", 0,
		"fixed_cost_shipping_price", 0.0, "purchasing_disabled", 0,
		"purchasing_disabled_message", "", "upc",
		sb_json_str(json_object_get(spec, "upc"), ""),
		"inventory_level",
		(json_int_t)sb_json_int(
			json_object_get(spec, "inventory_level"), 0),
		"inventory_warning_level",
		(int)sb_json_int(
			json_object_get(spec, "inventory_warning_level"), 0),
		"bin_picking_number",
		sb_json_str(json_object_get(spec, "bin_picking_number"), ""),
		"option_values", json_array());
	json_t *ov = json_object_get(spec, "option_values");

	st->next_variant++;
	if (json_is_array(ov))
		json_object_set(v, "option_values", ov);
	return v;
}

static void
product_sum_inventory(json_t *p)
{
	size_t i;
	json_t *v;
	int64_t sum = 0;

	if (strcmp(sb_json_str(json_object_get(p, "inventory_tracking"), ""),
		   "variant") != 0)
		return;
	json_array_foreach (json_object_get(p, "variants"), i, v) {
		sum += sb_json_int(json_object_get(v, "inventory_level"), 0);
	}
	json_object_set_new(p, "inventory_level", json_integer(sum));
}

json_t *
bc_product_create(bc_state *st, const json_t *body, int *status, char *msg,
		  size_t msglen)
{
	const char *name = sb_json_str(json_object_get(body, "name"), NULL);
	const char *type = sb_json_str(json_object_get(body, "type"), NULL);
	const char *sku = sb_json_str(json_object_get(body, "sku"), "");
	const char *tracking = sb_json_str(
		json_object_get(body, "inventory_tracking"), "none");
	json_t *variants = json_object_get(body, "variants"), *p, *v;
	double price = num_or(json_object_get(body, "price"), 0);
	int64_t id;
	size_t j;

	*status = 422;
	if (!json_is_object(body) || name == NULL || type == NULL ||
	    !json_is_number(json_object_get(body, "weight"))) {
		snprintf(msg, msglen, "%s",
			 name == NULL   ? "name"
			 : type == NULL ? "type"
					: "weight");
		return NULL;
	}
	if (strcmp(type, "physical") != 0 && strcmp(type, "digital") != 0) {
		snprintf(msg, msglen, "type");
		return NULL;
	}
	if (strcmp(tracking, "none") != 0 && strcmp(tracking, "product") != 0 &&
	    strcmp(tracking, "variant") != 0) {
		snprintf(msg, msglen, "inventory_tracking");
		return NULL;
	}
	{
		const char *field, *code;
		json_t *seen = json_object();

		*status = bc_catalog_check(st, NULL, NULL, body, msg, msglen,
					   &field, &code);
		json_array_foreach (variants, j, v) {
			const char *vs =
				sb_json_str(json_object_get(v, "sku"), "");

			if (*status == 0)
				*status =
					bc_catalog_check(st, NULL, v, v, msg,
							 msglen, &field, &code);
			/* two variants of the request with one SKU */
			if (*status == 0 && *vs &&
			    json_object_get(seen, vs) != NULL) {
				*status = 409;
				snprintf(msg, msglen,
					 "The SKU '%s' is already in use", vs);
			}
			json_object_set_new(seen, vs, json_true());
		}
		json_decref(seen);
		if (*status != 0) {
			/* 422s name the field (v3_field_error's shape) */
			if (*status == 422)
				snprintf(msg, msglen, "%s", field);
			return NULL;
		}
	}
	id = st->next_product++;
	p = json_pack(
		"{s:I, s:s, s:s, s:s, s:s, s:f, s:f, s:f, s:f, s:f, "
		"s:f, s:f, s:i, s:I, s:i, s:s, s:b, s:b, s:s, s:o, "
		"s:i, s:i}",
		"id", (json_int_t)id, "name", name, "type", type, "sku", sku,
		"description",
		sb_json_str(json_object_get(body, "description"), ""), "weight",
		num_or(json_object_get(body, "weight"), 0), "width", 0.0,
		"depth", 0.0, "height", 0.0, "price", price, "cost_price",
		num_or(json_object_get(body, "cost_price"), 0),
		"calculated_price", price, "tax_class_id", 0, "inventory_level",
		(json_int_t)sb_json_int(
			json_object_get(body, "inventory_level"), 0),
		"inventory_warning_level", 0, "inventory_tracking", tracking,
		"is_visible",
		!json_is_false(json_object_get(body, "is_visible")),
		"is_free_shipping", 0, "availability", "available",
		"categories", json_array(), "brand_id", 0, "total_sold", 0);
	json_object_set_new(
		p, "upc",
		json_string(sb_json_str(json_object_get(body, "upc"), "")));
	set_iso_now(st, p, "date_created");
	set_iso_now(st, p, "date_modified");
	if (json_is_array(variants) && json_array_size(variants) > 0) {
		json_t *list = json_array();

		json_array_foreach (variants, j, v) {
			json_array_append_new(list,
					      variant_new(st, id, v, price));
		}
		json_object_set_new(p, "variants", list);
	} else {
		/* A product without options has one base variant, which
		 * carries the product's SKU, barcode and weight. */
		json_t *spec = json_pack(
			"{s:s, s:I, s:s, s:O}", "sku", sku, "inventory_level",
			(json_int_t)sb_json_int(
				json_object_get(body, "inventory_level"), 0),
			"upc", sb_json_str(json_object_get(body, "upc"), ""),
			"weight", json_object_get(p, "weight"));

		json_object_set_new(
			p, "variants",
			json_pack("[o]", variant_new(st, id, spec, price)));
		json_decref(spec);
	}
	v = json_array_get(json_object_get(p, "variants"), 0);
	json_object_set(p, "base_variant_id", json_object_get(v, "id"));
	product_sum_inventory(p);
	json_array_append_new(st->products, p);
	bc_index_product(st, p);
	bc_event(st, "store/product/created",
		 json_pack("{s:s, s:I}", "type", "product", "id",
			   (json_int_t)id));
	return p;
}

json_t *
bc_product_fields(const json_t *p, int with_variants, const char *include,
		  const char *exclude)
{
	json_t *out = json_object(), *v;
	const char *k;

	json_object_foreach ((json_t *)p, k, v) {
		int keep = strcmp(k, "variants") == 0
				   ? with_variants
				   : strcmp(k, "id") == 0 ||
					     ((include == NULL ||
					       bc_list_has(include, k)) &&
					      (exclude == NULL ||
					       !bc_list_has(exclude, k)));

		if (keep)
			json_object_set_new(out, k, json_deep_copy(v));
	}
	return out;
}

json_t *
bc_product_json(const json_t *p, int with_variants)
{
	return bc_product_fields(p, with_variants, NULL, NULL);
}

void
bc_inventory_set(bc_state *st, json_t *product, json_t *variant, int64_t level)
{
	const char *tracking = sb_json_str(
		json_object_get(product, "inventory_tracking"), "none");
	int64_t pid = sb_json_int(json_object_get(product, "id"), 0);
	int64_t vid = sb_json_int(json_object_get(variant, "id"), 0);

	json_object_set_new(variant, "inventory_level", json_integer(level));
	if (strcmp(tracking, "variant") == 0) {
		product_sum_inventory(product);
		bc_event(st, "store/sku/inventory/updated",
			 json_pack("{s:s, s:I, s:{s:I, s:I, s:s, s:I}}", "type",
				   "sku", "id", (json_int_t)vid, "inventory",
				   "product_id", (json_int_t)pid, "variant_id",
				   (json_int_t)vid, "method", "absolute",
				   "value", (json_int_t)level));
	} else {
		json_object_set_new(product, "inventory_level",
				    json_integer(level));
		if (strcmp(tracking, "product") == 0)
			bc_event(st, "store/product/inventory/updated",
				 json_pack("{s:s, s:I, s:{s:I, s:s, s:I}}",
					   "type", "product", "id",
					   (json_int_t)pid, "inventory",
					   "product_id", (json_int_t)pid,
					   "method", "absolute", "value",
					   (json_int_t)level));
	}
	set_iso_now(st, product, "date_modified");
}

/* ---- customers ---------------------------------------------------------- */

json_t *
bc_customer_find(bc_state *st, int64_t id)
{
	size_t i;
	json_t *c;

	json_array_foreach (st->customers, i, c) {
		if (sb_json_int(json_object_get(c, "id"), 0) == id)
			return c;
	}
	return NULL;
}

json_t *
bc_customer_create(bc_state *st, const json_t *body, char *msg, size_t msglen)
{
	const char *email = sb_json_str(json_object_get(body, "email"), NULL);
	const char *first =
		sb_json_str(json_object_get(body, "first_name"), NULL);
	const char *last =
		sb_json_str(json_object_get(body, "last_name"), NULL);
	json_t *c, *addrs, *a, *in = json_object_get(body, "addresses");
	int64_t id;
	size_t i;

	if (email == NULL || first == NULL || last == NULL) {
		snprintf(msg, msglen, "%s",
			 email == NULL   ? "email"
			 : first == NULL ? "first_name"
					 : "last_name");
		return NULL;
	}
	if (strchr(email, '@') == NULL) {
		snprintf(msg, msglen, "email");
		return NULL;
	}
	json_array_foreach (st->customers, i, c) {
		if (strcasecmp(sb_json_str(json_object_get(c, "email"), ""),
			       email) == 0) {
			snprintf(msg, msglen,
				 "The email address %s is already in use",
				 email);
			return NULL;
		}
	}
	id = st->next_customer++;
	addrs = json_array();
	json_array_foreach (in, i, a) {
		json_t *copy = json_deep_copy(a);

		json_object_set_new(copy, "id",
				    json_integer(st->next_address++));
		json_object_set_new(copy, "customer_id", json_integer(id));
		if (!json_object_get(copy, "state_or_province"))
			json_object_set_new(copy, "state_or_province",
					    json_string(""));
		if (!json_object_get(copy, "postal_code"))
			json_object_set_new(copy, "postal_code",
					    json_string(""));
		json_array_append_new(addrs, copy);
	}
	c = json_pack(
		"{s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:I, "
		"s:I, s:i, s:{s:b}, s:o, s:[{s:f}], s:b, s:i, s:[i]}",
		"id", (json_int_t)id, "email", email, "first_name", first,
		"last_name", last, "company",
		sb_json_str(json_object_get(body, "company"), ""), "phone",
		sb_json_str(json_object_get(body, "phone"), ""), "notes",
		sb_json_str(json_object_get(body, "notes"), ""),
		"registration_ip_address", "", "tax_exempt_category",
		sb_json_str(json_object_get(body, "tax_exempt_category"), ""),
		"customer_group_id",
		(json_int_t)sb_json_int(
			json_object_get(body, "customer_group_id"), 0),
		"address_count", (json_int_t)json_array_size(addrs),
		"attribute_count", 0, "authentication", "force_password_reset",
		0, "addresses", addrs, "store_credit_amounts", "amount", 0.0,
		"accepts_product_review_abandoned_cart_emails", 0,
		"origin_channel_id", 1, "channel_ids", 1);
	set_iso_now(st, c, "date_created");
	set_iso_now(st, c, "date_modified");
	json_array_append_new(st->customers, c);
	bc_event(st, "store/customer/created",
		 json_pack("{s:s, s:I}", "type", "customer", "id",
			   (json_int_t)id));
	return c;
}

/* ---- orders ------------------------------------------------------------- */

bc_order *
bc_order_find(bc_state *st, int64_t id)
{
	size_t i;

	for (i = 0; i < st->norders; i++)
		if (st->orders[i].id == id)
			return &st->orders[i];
	return NULL;
}

static void
set_money(json_t *obj, const char *key, bc_money m)
{
	char buf[40];

	json_object_set_new(obj, key,
			    json_string(bc_money_str(buf, sizeof(buf), m)));
}

static json_t *
link(const bc_state *st, int64_t id, const char *what)
{
	char url[256], res[96];

	snprintf(res, sizeof(res), "/orders/%lld/%s", (long long)id, what);
	snprintf(url, sizeof(url), "https://api.bigcommerce.com/stores/%s/v2%s",
		 st->store_hash, res);
	return json_pack("{s:s, s:s}", "url", url, "resource", res);
}

json_t *
bc_order_json(bc_state *st, const bc_order *o)
{
	json_t *out = json_copy(o->order); /* only top-level keys change */
	char buf[40];

	json_object_set_new(
		out, "date_created",
		json_string(bc_rfc2822(buf, sizeof(buf), o->created)));
	json_object_set_new(
		out, "date_modified",
		json_string(bc_rfc2822(buf, sizeof(buf), o->modified)));
	json_object_set_new(
		out, "date_shipped",
		json_string(o->shipped
				    ? bc_rfc2822(buf, sizeof(buf), o->shipped)
				    : ""));
	/* The spec's example spells this link without the underscore. */
	json_object_set_new(out, "products", link(st, o->id, "products"));
	json_object_set_new(out, "shipping_addresses",
			    link(st, o->id, "shippingaddresses"));
	json_object_set_new(out, "coupons", link(st, o->id, "coupons"));
	if (o->raw != NULL)
		json_object_update(out, o->raw);
	return out;
}

json_t *
bc_shipment_json(const bc_state *st, const json_t *sh)
{
	json_t *out = json_deep_copy(sh);
	char buf[40];

	(void)st;
	json_object_set_new(
		out, "date_created",
		json_string(bc_rfc2822(
			buf, sizeof(buf),
			(time_t)sb_json_int(json_object_get(sh, "_t"), 0))));
	json_object_del(out, "_t");
	return out;
}

static void
order_touch(bc_state *st, bc_order *o)
{
	o->modified = bc_now(st);
}

static void
fire_order(bc_state *st, const char *scope, int64_t id)
{
	bc_event(
		st, scope,
		json_pack("{s:s, s:I}", "type", "order", "id", (json_int_t)id));
}

void
bc_order_set_status(bc_state *st, bc_order *o, int status_id)
{
	int prev = (int)sb_json_int(json_object_get(o->order, "status_id"), 0);

	if (prev == status_id)
		return;
	json_object_set_new(o->order, "status_id", json_integer(status_id));
	json_object_set_new(o->order, "status",
			    json_string(bc_status_name(status_id)));
	order_touch(st, o);
	bc_event(st, "store/order/statusUpdated",
		 json_pack("{s:s, s:I, s:{s:i, s:i}}", "type", "order", "id",
			   (json_int_t)o->id, "status", "previous_status_id",
			   prev, "new_status_id", status_id));
	fire_order(st, "store/order/updated", o->id);
}

/* One requested line, resolved. */
typedef struct line_spec {
	int64_t product_id, variant_id;
	const char *name, *sku;
	int64_t qty;
	bc_money ex, inc; /* unit prices */
	json_t *product, *variant;
	int64_t tax_class; /* BigCommerce tax class id, -1: none said */
	int64_t rate;      /* millionths, as tax_rate() */
} line_spec;

static const char *const address_keys[] = {
	"first_name", "last_name",    "company", "street_1",
	"street_2",   "city",         "state",   "zip",
	"country",    "country_iso2", "phone",   "email"};

static json_t *
address_copy(const json_t *in)
{
	json_t *out = json_object();
	size_t i;

	for (i = 0; i < sizeof(address_keys) / sizeof(address_keys[0]); i++)
		json_object_set_new(
			out, address_keys[i],
			json_string(sb_json_str(
				json_object_get(in, address_keys[i]), "")));
	if (json_string_length(json_object_get(out, "country_iso2")) == 0 &&
	    strcmp(sb_json_str(json_object_get(out, "country"), ""),
		   "United Kingdom") == 0)
		json_object_set_new(out, "country_iso2", json_string("GB"));
	json_object_set_new(out, "form_fields", json_array());
	return out;
}

/* Round to whole cents, as the storefront's tax calculation does. */
static bc_money
cents(bc_money m)
{
	return (m >= 0 ? m + 50 : m - 50) / 100 * 100;
}

/* Tax rate in millionths from "0.2", 0.2 or 20 (percent when > 1). */
static int64_t
tax_rate(const json_t *v)
{
	bc_money m = 0;

	if (v == NULL || bc_money_from_json(&m, v) < 0)
		return 0;
	if (m > BC_MONEY_SCALE)
		m /= 100;
	return m * 100;
}

/*
 * Resolve one line.  Control lines name a SKU and a price (inclusive or
 * exclusive of tax per the order); API lines carry product_id/variant_id or
 * a custom name with price_inc_tax/price_ex_tax.
 */
static int
resolve_line(bc_state *st, const json_t *in, int control, int64_t rate,
	     int inclusive, line_spec *ls, char *msg, size_t msglen)
{
	json_t *p = NULL, *v = NULL;
	bc_money price = 0;
	int have_price;

	memset(ls, 0, sizeof(*ls));
	ls->tax_class = -1;
	if (control && json_object_get(in, "tax_rate"))
		rate = tax_rate(json_object_get(in, "tax_rate"));
	ls->rate = rate;
	ls->qty = sb_json_int(json_object_get(in, "quantity"), 0);
	if (ls->qty < 1) {
		snprintf(msg, msglen, "The field 'quantity' is invalid.");
		return -1;
	}
	if (control) {
		ls->sku = sb_json_str(json_object_get(in, "sku"), "");
		if (*ls->sku)
			v = bc_variant_by_sku(st, ls->sku, &p);
		have_price = bc_money_from_json(
				     &price, json_object_get(in, "price")) == 0;
		if (!have_price && v)
			bc_money_from_json(&price, json_object_get(v, "price"));
		if (inclusive) {
			ls->inc = price;
			ls->ex =
				cents((price * 1000000 + (1000000 + rate) / 2) /
				      (1000000 + rate));
		} else {
			ls->ex = price;
			ls->inc = price + cents(bc_money_mul(price, rate));
		}
		ls->name = sb_json_str(json_object_get(in, "name"), NULL);
	} else {
		int64_t pid = sb_json_int(json_object_get(in, "product_id"), 0);
		int64_t vid = sb_json_int(json_object_get(in, "variant_id"), 0);
		int hi = bc_money_from_json(
				 &ls->inc,
				 json_object_get(in, "price_inc_tax")) == 0;
		int he = bc_money_from_json(
				 &ls->ex,
				 json_object_get(in, "price_ex_tax")) == 0;

		if (pid) {
			p = bc_product_find(st, pid);
			if (p == NULL) {
				snprintf(msg, msglen,
					 "The product with ID %lld does not "
					 "exist.",
					 (long long)pid);
				return -1;
			}
			v = vid ? bc_variant_find(st, vid, NULL)
				: json_array_get(json_object_get(p, "variants"),
						 0);
			if (v == NULL) {
				snprintf(msg, msglen,
					 "The variant with ID %lld does not "
					 "exist.",
					 (long long)vid);
				return -1;
			}
			if (!hi && !he) {
				bc_money_from_json(&ls->ex,
						   json_object_get(v, "price"));
				ls->inc = ls->ex;
				hi = he = 1;
			}
		} else if (json_object_get(in, "name") == NULL) {
			snprintf(msg, msglen,
				 "The field 'name' is required for a custom "
				 "product.");
			return -1;
		}
		if (!hi && !he) {
			snprintf(msg, msglen,
				 "The field 'price_inc_tax' is required.");
			return -1;
		}
		if (!hi)
			ls->inc = ls->ex;
		if (!he)
			ls->ex = ls->inc;
		ls->sku = sb_json_str(json_object_get(in, "sku"), "");
		ls->name = sb_json_str(json_object_get(in, "name"), NULL);
	}
	if (v) {
		ls->product = p;
		ls->variant = v;
		ls->product_id = sb_json_int(json_object_get(p, "id"), 0);
		ls->variant_id = sb_json_int(json_object_get(v, "id"), 0);
		ls->sku = sb_json_str(json_object_get(v, "sku"), "");
		if (ls->name == NULL)
			ls->name = sb_json_str(json_object_get(p, "name"), "");
	}
	if (ls->name == NULL)
		ls->name = *ls->sku ? ls->sku : "Custom item";
	/* the line's tax class: as the control line says, else the
	 * catalogue product's (control orders default to class 0) */
	if (json_is_integer(json_object_get(in, "tax_class_id")) && control)
		ls->tax_class =
			json_integer_value(json_object_get(in, "tax_class_id"));
	else if (p != NULL)
		ls->tax_class =
			sb_json_int(json_object_get(p, "tax_class_id"), 0);
	else if (control)
		ls->tax_class = 0;
	return 0;
}

static json_t *
line_json(bc_order *o, const line_spec *ls, int64_t id, int64_t address_id)
{
	json_t *l = json_pack(
		"{s:I, s:I, s:I, s:I, s:s, s:s, s:s, s:s, s:s, s:I, s:i, "
		"s:i, s:b, s:i, s:o, s:o, s:s, s:s, s:s, s:s, s:s, s:s}",
		"id", (json_int_t)id, "order_id", (json_int_t)o->id,
		"product_id", (json_int_t)ls->product_id, "order_address_id",
		(json_int_t)address_id, "name", ls->name, "name_customer",
		ls->name, "name_merchant", ls->name, "sku", ls->sku, "type",
		"physical", "quantity", (json_int_t)ls->qty, "quantity_shipped",
		0, "quantity_refunded", 0, "is_refunded", 0, "return_id", 0,
		"applied_discounts", json_array(), "product_options",
		json_array(), "upc", "", "bin_picking_number", "", "brand", "",
		"weight", "1.0000", "refund_amount", "0.0000",
		"wrapping_message", "");
	bc_money tax = ls->inc - ls->ex;

	if (ls->variant_id)
		json_object_set_new(l, "variant_id",
				    json_integer(ls->variant_id));
	set_money(l, "base_price", ls->ex);
	set_money(l, "price_ex_tax", ls->ex);
	set_money(l, "price_inc_tax", ls->inc);
	set_money(l, "price_tax", tax);
	set_money(l, "base_total", ls->ex * ls->qty);
	set_money(l, "total_ex_tax", ls->ex * ls->qty);
	set_money(l, "total_inc_tax", ls->inc * ls->qty);
	set_money(l, "total_tax", tax * ls->qty);
	set_money(l, "discounted_total_inc_tax", ls->inc * ls->qty);
	set_money(l, "base_cost_price", 0);
	set_money(l, "cost_price_ex_tax", 0);
	set_money(l, "cost_price_inc_tax", 0);
	set_money(l, "cost_price_tax", 0);
	set_money(l, "fixed_shipping_cost", 0);
	set_money(l, "base_wrapping_cost", 0);
	set_money(l, "wrapping_cost_ex_tax", 0);
	set_money(l, "wrapping_cost_inc_tax", 0);
	set_money(l, "wrapping_cost_tax", 0);
	return l;
}

/* The name BigCommerce gives a tax class: its built-in ones, else a
 * made-up one. */
static const char *
tax_class_name(int64_t id, char *buf, size_t len)
{
	static const char *const builtin[] = {"Default Tax Class",
					      "Non-Taxable Products",
					      "Shipping", "Gift Wrapping"};

	if (id >= 0 && id < 4)
		return builtin[id];
	snprintf(buf, len, "Tax Class %lld", (long long)id);
	return buf;
}

/*
 * One row of GET /v2/orders/{id}/taxes?details=true (orders.v2.oas2.yml
 * orderTaxes_Base): what is taxed (type, the line for "item"), its class
 * (-1: null, as an order created through the API with a custom line) and
 * the amount.  API-created orders say class "API Tax Override" as the
 * spec documents.
 */
static json_t *
tax_row_json(const bc_order *o, int64_t id, int64_t address_id,
	     const char *type, int64_t line, int64_t cls, int64_t rate,
	     bc_money amount, int control)
{
	char pct[32], amt[48], name[48];
	json_t *t;

	snprintf(pct, sizeof(pct), "%lld.%04lld", (long long)(rate / 10000),
		 (long long)(rate % 10000));
	bc_money_str(amt, sizeof(amt), amount);
	t = json_pack("{s:I, s:I, s:I, s:i, s:s, s:s, s:s, s:s, s:i, s:s, "
		      "s:s, s:i, s:s}",
		      "id", (json_int_t)id, "order_id", (json_int_t)o->id,
		      "order_address_id", (json_int_t)address_id, "tax_rate_id",
		      1, "sales_tax_id", "", "name", "Tax", "class",
		      control ? tax_class_name(cls, name, sizeof(name))
			      : "API Tax Override",
		      "rate", pct, "priority", 0, "priority_amount", amt,
		      "line_amount", amt, "order_pickup_method_id", 0,
		      "line_item_type", type);
	json_object_set_new(t, "tax_class_id",
			    cls >= 0 ? json_integer(cls) : json_null());
	if (line > 0) {
		char l[24];

		snprintf(l, sizeof(l), "%lld", (long long)line);
		json_object_set_new(t, "order_product_id", json_string(l));
	} else {
		json_object_set_new(t, "order_product_id", json_null());
	}
	return t;
}

static bc_order *
order_slot(bc_state *st)
{
	if (st->norders == st->cap_orders) {
		size_t cap = st->cap_orders ? st->cap_orders * 2 : 64;
		bc_order *n = realloc(st->orders, cap * sizeof(*n));

		if (n == NULL)
			return NULL;
		st->orders = n;
		st->cap_orders = cap;
	}
	memset(&st->orders[st->norders], 0, sizeof(bc_order));
	return &st->orders[st->norders++];
}

/* One successful transaction of order o: gateway gateway (method) paid or
 * authorised amount; gtx its gateway transaction id. */
static void
add_txn(bc_state *st, bc_order *o, const char *event, const char *method,
	const char *gateway, const char *gtx, bc_money amount,
	const char *currency)
{
	char when[40], oid[24];
	json_t *tx;

	snprintf(oid, sizeof(oid), "%lld", (long long)o->id);
	tx = json_pack(
		"{s:I, s:s, s:s, s:s, s:f, s:s, s:s, s:s, s:b, s:s, s:b, s:s}",
		"id", (json_int_t)st->next_transaction++, "order_id", oid,
		"event", event, "method", method, "amount",
		(double)amount / BC_MONEY_SCALE, "currency", currency,
		"gateway", gateway, "gateway_transaction_id", gtx, "test", 1,
		"status", "ok", "fraud_review", 0, "date_created",
		bc_iso8601(when, sizeof(when), bc_now(st)));
	if (strcmp(method, "credit_card") == 0)
		json_object_set_new(tx, "credit_card",
				    json_pack("{s:s, s:s, s:s, s:i, s:i}",
					      "card_type", "visa", "card_iin",
					      "411111", "card_last4", "1111",
					      "card_expiry_month", 12,
					      "card_expiry_year", 2030));
	json_array_append_new(o->transactions, tx);
}

/*
 * Payment from the control API: a captured (purchase) or authorised
 * transaction at the gateway, after any "store_credit" and
 * "gift_certificate" amounts, each its own captured transaction as
 * BigCommerce records a split tender; the order's store_credit_amount,
 * gift_certificate_amount, payment_status and payment_provider_id (the
 * gateway's transaction id) agree with them.
 */
static void
add_payment(bc_state *st, bc_order *o, const json_t *pay, bc_money total,
	    const char *currency)
{
	const char *gateway =
		sb_json_str(json_object_get(pay, "gateway"), "braintree");
	int captured = !json_is_false(json_object_get(pay, "captured"));
	bc_money sc = 0, gc = 0;
	char gtx[48];

	if (bc_money_from_json(&sc, json_object_get(pay, "store_credit")) < 0 ||
	    sc < 0 || sc > total)
		sc = 0;
	if (bc_money_from_json(&gc, json_object_get(pay, "gift_certificate")) <
		    0 ||
	    gc < 0 || gc > total - sc)
		gc = 0;
	if (sc > 0) {
		add_txn(st, o, "purchase", "store_credit", "storecredit", "",
			sc, currency);
		set_money(o->order, "store_credit_amount", sc);
	}
	if (gc > 0) {
		add_txn(st, o, "purchase", "gift_certificate",
			"giftcertificate", "", gc, currency);
		set_money(o->order, "gift_certificate_amount", gc);
	}
	snprintf(gtx, sizeof(gtx), "sbx-%lld-%lld", (long long)o->id,
		 (long long)st->next_transaction);
	if (total - sc - gc > 0)
		add_txn(st, o, captured ? "purchase" : "authorization",
			sb_json_str(json_object_get(pay, "method_type"),
				    "credit_card"),
			gateway, gtx, total - sc - gc, currency);
	else
		gtx[0] = '\0', captured = 1;
	json_object_set_new(o->order, "payment_status",
			    json_string(captured ? "captured" : "authorized"));
	json_object_set_new(o->order, "payment_provider_id", json_string(gtx));
}

static json_t *
control_customer(bc_state *st, const json_t *body, int64_t *customer_id,
		 char *msg, size_t msglen)
{
	json_t *c = json_object_get(body, "customer"), *found;
	const char *email = sb_json_str(json_object_get(c, "email"), NULL);
	size_t i;

	*customer_id = sb_json_int(json_object_get(body, "customer_id"), 0);
	if (*customer_id)
		return bc_customer_find(st, *customer_id);
	if (!json_is_object(c) || email == NULL)
		return NULL;
	json_array_foreach (st->customers, i, found) {
		if (strcasecmp(sb_json_str(json_object_get(found, "email"), ""),
			       email) == 0) {
			*customer_id =
				sb_json_int(json_object_get(found, "id"), 0);
			return found;
		}
	}
	found = bc_customer_create(st, c, msg, msglen);
	if (found)
		*customer_id = sb_json_int(json_object_get(found, "id"), 0);
	return found;
}

bc_order *
bc_order_create(bc_state *st, const json_t *body, int control, int *status,
		char *msg, size_t msglen)
{
	const json_t *billing = json_object_get(body, "billing_address");
	const json_t *lines_in =
		json_object_get(body, control ? "lines" : "products");
	const json_t *ship_in = json_object_get(body, "shipping_addresses");
	int inclusive =
		json_is_true(json_object_get(body, "prices_include_tax"));
	int64_t rate =
		control ? tax_rate(json_object_get(body, "tax_rate")) : 0;
	int64_t status_id, customer_id = 0;
	line_spec *specs = NULL;
	size_t n, i;
	bc_money sub_ex = 0, sub_inc = 0, ship_ex = 0, ship_inc = 0;
	bc_money discount = 0, coupon = 0, total_ex, total_inc;
	bc_order *o = NULL;
	json_t *a, *line, *cust = NULL;
	const char *currency = sb_json_str(
		json_object_get(body, control ? "currency" : "currency_code"),
		"USD");
	int64_t items = 0, address_id;
	/* control "shipping_tax_class_id"; BigCommerce's Shipping class */
	int64_t ship_class = control && json_is_integer(json_object_get(
						body, "shipping_tax_class_id"))
				     ? json_integer_value(json_object_get(
					       body, "shipping_tax_class_id"))
				     : 2;
	char oidres[48];

	*status = 400;
	if (!json_is_object(body)) {
		snprintf(msg, msglen, "The request body is not a JSON object.");
		return NULL;
	}
	if (!json_is_object(billing)) {
		snprintf(msg, msglen,
			 "The required field 'billing_address' was not "
			 "supplied.");
		return NULL;
	}
	if (json_string_length(json_object_get(billing, "zip")) < 2) {
		snprintf(msg, msglen, "The field 'zip' is invalid.");
		return NULL;
	}
	n = json_array_size(lines_in);
	if (n == 0) {
		snprintf(msg, msglen,
			 "The required field 'products' was not supplied.");
		return NULL;
	}
	status_id =
		json_object_get(body, "status_id")
			? sb_json_int(json_object_get(body, "status_id"), -1)
			: 1;
	if (bc_status_name((int)status_id) == NULL) {
		snprintf(msg, msglen, "The field 'status_id' is invalid.");
		return NULL;
	}
	if (control) {
		cust = control_customer(st, body, &customer_id, msg, msglen);
		if (customer_id && cust == NULL) {
			snprintf(msg, msglen, "Customer %lld does not exist.",
				 (long long)customer_id);
			return NULL;
		}
		if (json_object_get(body, "customer") && cust == NULL)
			return NULL;
	} else {
		customer_id =
			sb_json_int(json_object_get(body, "customer_id"), 0);
	}
	specs = calloc(n, sizeof(*specs));
	if (specs == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		if (resolve_line(st, json_array_get(lines_in, i), control, rate,
				 inclusive, &specs[i], msg, msglen) < 0)
			goto fail;
		sub_ex += specs[i].ex * specs[i].qty;
		sub_inc += specs[i].inc * specs[i].qty;
		items += specs[i].qty;
	}
	if (control) {
		bc_money sc = 0;

		bc_money_from_json(&sc, json_object_get(body, "shipping_cost"));
		if (inclusive) {
			ship_inc = sc;
			ship_ex = cents((sc * 1000000 + (1000000 + rate) / 2) /
					(1000000 + rate));
		} else {
			ship_ex = sc;
			ship_inc = sc + cents(bc_money_mul(sc, rate));
		}
		bc_money_from_json(
			&coupon,
			json_object_get(json_object_get(body, "coupon"),
					"amount"));
		bc_money_from_json(&discount,
				   json_object_get(body, "discount_amount"));
	} else {
		int he = bc_money_from_json(
				 &ship_ex,
				 json_object_get(body,
						 "shipping_cost_ex_tax")) == 0;
		int hi = bc_money_from_json(
				 &ship_inc,
				 json_object_get(body,
						 "shipping_cost_inc_tax")) == 0;

		if (!he && !hi)
			bc_money_from_json(
				&ship_ex,
				json_object_get(body, "base_shipping_cost"));
		if (!hi)
			ship_inc = ship_ex;
		if (!he && hi)
			ship_ex = ship_inc;
		bc_money_from_json(&discount,
				   json_object_get(body, "discount_amount"));
	}
	o = order_slot(st);
	if (o == NULL)
		goto fail;
	o->id = st->next_order++;
	o->created = o->modified = bc_now(st);
	if (!control && json_is_string(json_object_get(body, "date_created"))) {
		time_t t;

		if (bc_parse_date(json_string_value(json_object_get(
					  body, "date_created")),
				  &t) == 0)
			o->created = t;
	}
	o->lines = json_array();
	o->addresses = json_array();
	o->shipments = json_array();
	o->transactions = json_array();
	o->refunds = json_array();

	/* Shipping addresses: as given, else the billing address. */
	if (json_array_size(ship_in) == 0) {
		a = address_copy(billing);
		json_object_set_new(
			a, "shipping_method",
			json_string(sb_json_str(
				json_object_get(body, "shipping_method"),
				"Flat Rate")));
		json_array_append_new(o->addresses, a);
	} else {
		json_array_foreach (ship_in, i, a) {
			json_t *c = address_copy(a);

			json_object_set_new(
				c, "shipping_method",
				json_string(sb_json_str(
					json_object_get(a, "shipping_method"),
					"Flat Rate")));
			json_array_append_new(o->addresses, c);
		}
	}
	json_array_foreach (o->addresses, i, a) {
		json_object_set_new(a, "id", json_integer(st->next_address++));
		json_object_set_new(a, "order_id", json_integer(o->id));
		json_object_set_new(a, "items_total",
				    json_integer(i == 0 ? items : 0));
		json_object_set_new(a, "items_shipped", json_integer(0));
		set_money(a, "base_cost", i == 0 ? ship_ex : 0);
		set_money(a, "cost_ex_tax", i == 0 ? ship_ex : 0);
		set_money(a, "cost_inc_tax", i == 0 ? ship_inc : 0);
		set_money(a, "cost_tax", i == 0 ? ship_inc - ship_ex : 0);
		json_object_set_new(a, "cost_tax_class_id",
				    json_integer(ship_class));
		set_money(a, "base_handling_cost", 0);
		set_money(a, "handling_cost_ex_tax", 0);
		set_money(a, "handling_cost_inc_tax", 0);
		set_money(a, "handling_cost_tax", 0);
		json_object_set_new(a, "handling_cost_tax_class_id",
				    json_integer(2));
		json_object_set_new(a, "shipping_zone_id", json_integer(1));
		json_object_set_new(a, "shipping_zone_name",
				    json_string("Default"));
		snprintf(oidres, sizeof(oidres),
			 "/orders/%lld/shipping_addresses/%lld/"
			 "shipping_quotes",
			 (long long)o->id,
			 (long long)sb_json_int(json_object_get(a, "id"), 0));
		json_object_set_new(
			a, "shipping_quotes",
			json_pack("{s:s, s:s}", "url", "", "resource", oidres));
	}
	address_id = sb_json_int(
		json_object_get(json_array_get(o->addresses, 0), "id"), 0);
	for (i = 0; i < n; i++)
		json_array_append_new(
			o->lines,
			line_json(o, &specs[i], st->next_line++, address_id));
	/* one tax row per taxed line and for taxed shipping */
	o->taxes = json_array();
	for (i = 0; i < n; i++) {
		bc_money t = (specs[i].inc - specs[i].ex) * specs[i].qty;

		if (t == 0)
			continue;
		json_array_append_new(
			o->taxes,
			tax_row_json(
				o, o->id * 100 + (int64_t)i + 1, address_id,
				"item",
				sb_json_int(json_object_get(
						    json_array_get(o->lines, i),
						    "id"),
					    0),
				specs[i].tax_class, specs[i].rate, t, control));
	}
	if (ship_inc != ship_ex)
		json_array_append_new(
			o->taxes,
			tax_row_json(o, o->id * 100 + (int64_t)n + 1,
				     address_id, "shipping", 0, ship_class,
				     rate, ship_inc - ship_ex, control));
	/* The coupon is spread over the lines as an order-level discount. */
	if (coupon > 0) {
		const char *code = sb_json_str(
			json_object_get(json_object_get(body, "coupon"),
					"code"),
			"COUPON");
		bc_money left = coupon;

		json_array_foreach (o->lines, i, line) {
			bc_money part =
				i + 1 == n
					? left
					: coupon * specs[i].inc * specs[i].qty /
						  (sub_inc ? sub_inc : 1);
			char amt[40];
			json_t *d;

			left -= part;
			d = json_pack(
				"{s:s, s:s, s:s, s:s, s:s}", "id", "coupon",
				"amount", bc_money_str(amt, sizeof(amt), part),
				"name", code, "code", code, "target", "order");
			json_array_append_new(
				json_object_get(line, "applied_discounts"), d);
			set_money(line, "discounted_total_inc_tax",
				  specs[i].inc * specs[i].qty - part);
		}
	}
	total_ex = sub_ex + ship_ex - discount - coupon;
	total_inc = sub_inc + ship_inc - discount - coupon;
	{
		const char *pm =
			sb_json_str(json_object_get(body, "payment_method"),
				    control && json_object_get(body, "payment")
					    ? "Credit Card"
					    : "Manual");
		json_t *ord = json_pack(
			"{s:I, s:I, s:i, s:s, s:s, s:s, s:s, s:s, s:i, "
			"s:s, s:s, s:s, s:s, s:b, s:b, s:s, s:i, s:s, s:I, "
			"s:I, s:i, s:b, s:s, s:s, s:s, s:s, s:s, s:s, s:s, "
			"s:s, s:i, s:i, s:i, s:s, s:s, s:s}",
			"id", (json_int_t)o->id, "customer_id",
			(json_int_t)customer_id, "channel_id",
			(int)sb_json_int(json_object_get(body, "channel_id"),
					 1),
			"status", bc_status_name((int)status_id), "cart_id", "",
			"order_source",
			sb_json_str(json_object_get(body, "order_source"),
				    control ? "www" : "external"),
			"customer_message",
			sb_json_str(json_object_get(body, "customer_message"),
				    ""),
			"staff_notes",
			sb_json_str(json_object_get(body, "staff_notes"), ""),
			"status_id", (int)status_id, "payment_method", pm,
			"payment_status", "", "payment_provider_id", "",
			"currency_code", currency, "is_tax_inclusive_pricing",
			inclusive, "is_email_opt_in", 0, "ebay_order_id", "0",
			"currency_id", 1, "default_currency_code", currency,
			"items_total", (json_int_t)items, "items_shipped",
			(json_int_t)0, "shipping_address_count",
			(int)json_array_size(o->addresses), "is_deleted", 0,
			"ip_address", "127.0.0.1", "ip_address_v6", "",
			"geoip_country", "", "geoip_country_iso2", "",
			"customer_locale", "en", "external_order_id",
			sb_json_str(json_object_get(body, "external_order_id"),
				    ""),
			"tax_provider_id", "BasicTaxProvider",
			"currency_exchange_rate", "1.0000000000",
			"default_currency_id", 1, "shipping_cost_tax_class_id",
			(int)ship_class, "handling_cost_tax_class_id", 2,
			"store_default_currency_code", currency,
			"store_default_to_transactional_exchange_rate",
			"1.0000000000", "external_source",
			sb_json_str(json_object_get(body, "external_source"),
				    ""));

		json_decref(o->order);
		o->order = ord;
		json_object_set_new(ord, "billing_address",
				    address_copy(billing));
		json_object_set_new(ord, "order_is_digital", json_false());
		json_object_set_new(ord, "wrapping_cost_tax_class_id",
				    json_integer(3));
		json_object_set_new(ord, "fees", json_array());
		json_object_set_new(ord, "external_merchant_id", json_null());
		json_object_set_new(ord, "external_id", json_null());
	}
	set_money(o->order, "subtotal_ex_tax", sub_ex);
	set_money(o->order, "subtotal_inc_tax", sub_inc);
	set_money(o->order, "subtotal_tax", sub_inc - sub_ex);
	set_money(o->order, "base_shipping_cost", ship_ex);
	set_money(o->order, "shipping_cost_ex_tax", ship_ex);
	set_money(o->order, "shipping_cost_inc_tax", ship_inc);
	set_money(o->order, "shipping_cost_tax", ship_inc - ship_ex);
	set_money(o->order, "base_handling_cost", 0);
	set_money(o->order, "handling_cost_ex_tax", 0);
	set_money(o->order, "handling_cost_inc_tax", 0);
	set_money(o->order, "handling_cost_tax", 0);
	set_money(o->order, "base_wrapping_cost", 0);
	set_money(o->order, "wrapping_cost_ex_tax", 0);
	set_money(o->order, "wrapping_cost_inc_tax", 0);
	set_money(o->order, "wrapping_cost_tax", 0);
	set_money(o->order, "total_ex_tax", total_ex);
	set_money(o->order, "total_inc_tax", total_inc);
	set_money(o->order, "total_tax", total_inc - total_ex);
	set_money(o->order, "discount_amount", discount);
	set_money(o->order, "coupon_discount", coupon);
	set_money(o->order, "store_credit_amount", 0);
	set_money(o->order, "gift_certificate_amount", 0);
	set_money(o->order, "refunded_amount", 0);
	if (control && json_is_object(json_object_get(body, "payment")))
		add_payment(st, o, json_object_get(body, "payment"), total_inc,
			    currency);

	/* Placing an order takes tracked stock. */
	for (i = 0; i < n; i++) {
		const char *tr;

		if (specs[i].variant == NULL)
			continue;
		tr = sb_json_str(
			json_object_get(specs[i].product, "inventory_tracking"),
			"none");
		if (strcmp(tr, "none") == 0)
			continue;
		json_object_set_new(
			specs[i].variant, "inventory_level",
			json_integer(
				sb_json_int(json_object_get(specs[i].variant,
							    "inventory_level"),
					    0) -
				specs[i].qty));
		if (strcmp(tr, "variant") == 0)
			product_sum_inventory(specs[i].product);
		else
			json_object_set(specs[i].product, "inventory_level",
					json_object_get(specs[i].variant,
							"inventory_level"));
	}
	free(specs);
	*status = 0;
	fire_order(st, "store/order/created", o->id);
	return o;
fail:
	free(specs);
	return NULL;
}

int
bc_order_update(bc_state *st, bc_order *o, const json_t *body, char *msg,
		size_t msglen)
{
	static const char *const read_only[] = {"id",
						"date_modified",
						"date_shipped",
						"status",
						"subtotal_tax",
						"total_tax",
						"items_shipped",
						"payment_status",
						"is_deleted_",
						NULL};
	const char *text_fields[] = {"staff_notes", "customer_message",
				     "external_order_id", NULL};
	json_t *v;
	size_t i;
	int changed = 0;

	if (!json_is_object(body)) {
		snprintf(msg, msglen, "The request body is not a JSON object.");
		return 400;
	}
	for (i = 0; read_only[i]; i++)
		if (json_object_get(body, read_only[i])) {
			snprintf(msg, msglen,
				 "The field '%s' cannot be written to. Please "
				 "remove it from your request before trying "
				 "again.",
				 read_only[i]);
			return 400;
		}
	v = json_object_get(body, "status_id");
	if (v && (!json_is_integer(v) ||
		  bc_status_name((int)json_integer_value(v)) == NULL)) {
		snprintf(msg, msglen, "The field 'status_id' is invalid.");
		return 400;
	}
	for (i = 0; text_fields[i]; i++) {
		v = json_object_get(body, text_fields[i]);
		if (v == NULL)
			continue;
		if (!json_is_string(v)) {
			snprintf(msg, msglen, "The field '%s' is invalid.",
				 text_fields[i]);
			return 400;
		}
		if (json_string_length(v) > 65535) {
			snprintf(msg, msglen, "The field '%s' is too long.",
				 text_fields[i]);
			return 400;
		}
		json_object_set(o->order, text_fields[i], v);
		changed = 1;
	}
	v = json_object_get(body, "billing_address");
	if (json_is_object(v)) {
		const char *k;
		json_t *x;

		json_object_foreach (v, k, x) {
			if (json_is_string(x))
				json_object_set(
					json_object_get(o->order,
							"billing_address"),
					k, x);
		}
		changed = 1;
	}
	v = json_object_get(body, "is_deleted");
	if (json_is_boolean(v)) {
		json_object_set(o->order, "is_deleted", v);
		changed = 1;
	}
	v = json_object_get(body, "status_id");
	if (v &&
	    json_integer_value(v) !=
		    sb_json_int(json_object_get(o->order, "status_id"), -1)) {
		/* statusUpdated + updated */
		bc_order_set_status(st, o, (int)json_integer_value(v));
		return 0;
	}
	if (changed) {
		order_touch(st, o);
		fire_order(st, "store/order/updated", o->id);
	}
	return 0;
}

int
bc_order_address_update(bc_state *st, bc_order *o, json_t *a,
			const json_t *body, char *msg, size_t msglen)
{
	/* shippingAddress_Base plus shipping_method (orders.v2.oas2.yml);
	 * form_fields are accepted and not stored */
	static const char *const writable[] = {
		"first_name",      "last_name", "company",
		"street_1",        "street_2",  "city",
		"state",           "zip",       "country",
		"country_iso2",    "phone",     "email",
		"shipping_method", NULL};
	const char *k;
	json_t *v;
	size_t i;

	if (!json_is_object(body)) {
		snprintf(msg, msglen, "The request body is not a JSON object.");
		return 400;
	}
	json_object_foreach ((json_t *)body, k, v) {
		for (i = 0; writable[i] && strcmp(writable[i], k) != 0; i++)
			;
		if (writable[i] == NULL && strcmp(k, "form_fields") != 0) {
			snprintf(msg, msglen,
				 "The field '%s' cannot be written to. Please "
				 "remove it from your request before trying "
				 "again.",
				 k);
			return 400;
		}
		if (writable[i] != NULL && !json_is_string(v)) {
			snprintf(msg, msglen, "The field '%s' is invalid.", k);
			return 400;
		}
	}
	json_object_foreach ((json_t *)body, k, v) {
		if (json_is_string(v))
			json_object_set(a, k, v);
	}
	order_touch(st, o);
	fire_order(st, "store/order/updated", o->id);
	return 0;
}

static json_t *
find_by_id(json_t *array, int64_t id)
{
	size_t i;
	json_t *x;

	json_array_foreach (array, i, x) {
		if (sb_json_int(json_object_get(x, "id"), 0) == id)
			return x;
	}
	return NULL;
}

json_t *
bc_shipment_create(bc_state *st, bc_order *o, const json_t *body, int *status,
		   char *msg, size_t msglen)
{
	json_t *items = json_object_get(body, "items"), *it, *line, *addr;
	json_t *sh, *out_items;
	int64_t addr_id, *want = NULL, shipped = 0;
	size_t i, n;
	int all = 1;
	const char *provider;
	char gen[300];

	*status = 400;
	addr_id = sb_json_int(json_object_get(body, "order_address_id"), 0);
	addr = find_by_id(o->addresses, addr_id);
	if (addr == NULL) {
		snprintf(msg, msglen,
			 "The field 'order_address_id' is invalid.");
		return NULL;
	}
	n = json_array_size(items);
	if (n == 0) {
		snprintf(msg, msglen,
			 "The required field 'items' was not supplied.");
		return NULL;
	}
	want = calloc(json_array_size(o->lines) + 1, sizeof(*want));
	if (want == NULL)
		return NULL;
	/* Validate everything first: sum requests per line (the same line
	 * may appear twice) against ordered minus already shipped. */
	json_array_foreach (items, i, it) {
		int64_t opid =
			sb_json_int(json_object_get(it, "order_product_id"), 0);
		int64_t q = sb_json_int(json_object_get(it, "quantity"), 0);
		size_t k;

		line = NULL;
		json_array_foreach (o->lines, k, line) {
			if (sb_json_int(json_object_get(line, "id"), 0) == opid)
				break;
		}
		if (k == json_array_size(o->lines)) {
			snprintf(msg, msglen,
				 "Order product %lld does not belong to "
				 "order %lld.",
				 (long long)opid, (long long)o->id);
			goto fail;
		}
		if (q < 1) {
			snprintf(msg, msglen,
				 "The field 'quantity' is invalid.");
			goto fail;
		}
		want[k] += q;
		if (want[k] >
		    sb_json_int(json_object_get(line, "quantity"), 0) -
			    sb_json_int(
				    json_object_get(line, "quantity_shipped"),
				    0)) {
			snprintf(msg, msglen,
				 "The quantity specified for order product "
				 "%lld is greater than the quantity remaining "
				 "to ship.",
				 (long long)opid);
			*status = 422;
			goto fail;
		}
	}
	out_items = json_array();
	json_array_foreach (o->lines, i, line) {
		int64_t q = sb_json_int(json_object_get(line, "quantity"), 0);
		int64_t qs =
			sb_json_int(json_object_get(line, "quantity_shipped"),
				    0) +
			want[i];

		if (want[i] > 0) {
			json_object_set_new(line, "quantity_shipped",
					    json_integer(qs));
			json_array_append_new(
				out_items,
				json_pack("{s:O, s:O, s:I}", "order_product_id",
					  json_object_get(line, "id"),
					  "product_id",
					  json_object_get(line, "product_id"),
					  "quantity", (json_int_t)want[i]));
		}
		shipped += qs;
		if (qs < q)
			all = 0;
	}
	json_object_set_new(o->order, "items_shipped", json_integer(shipped));
	{
		int64_t on_addr = 0;

		json_array_foreach (o->lines, i, line) {
			if (sb_json_int(
				    json_object_get(line, "order_address_id"),
				    0) == addr_id)
				on_addr += sb_json_int(
					json_object_get(line,
							"quantity_shipped"),
					0);
		}
		json_object_set_new(addr, "items_shipped",
				    json_integer(on_addr));
	}
	provider = sb_json_str(json_object_get(body, "shipping_provider"), "");
	gen[0] = '\0';
	if (json_string_length(json_object_get(body, "tracking_number")) > 0)
		snprintf(gen, sizeof(gen), "https://track.aftership.com/%s/%s",
			 *provider ? provider
				   : sb_json_str(
					     json_object_get(
						     body, "tracking_carrier"),
					     "unknown"),
			 sb_json_str(json_object_get(body, "tracking_number"),
				     ""));
	sh = json_pack(
		"{s:I, s:I, s:O, s:I, s:I, s:s, s:s, s:s, s:s, s:s, s:s, "
		"s:s, s:o, s:o, s:o, s:s, s:s}",
		"id", (json_int_t)st->next_shipment++, "order_id",
		(json_int_t)o->id, "customer_id",
		json_object_get(o->order, "customer_id"), "order_address_id",
		(json_int_t)addr_id, "_t", (json_int_t)bc_now(st),
		"tracking_number",
		sb_json_str(json_object_get(body, "tracking_number"), ""),
		"merchant_shipping_cost",
		sb_json_str(json_object_get(body, "merchant_shipping_cost"),
			    "0.0000"),
		"shipping_method",
		sb_json_str(json_object_get(body, "shipping_method"), ""),
		"comments", sb_json_str(json_object_get(body, "comments"), ""),
		"shipping_provider", provider, "tracking_carrier",
		sb_json_str(json_object_get(body, "tracking_carrier"), ""),
		"tracking_link",
		sb_json_str(json_object_get(body, "tracking_link"), ""),
		"billing_address",
		json_deep_copy(json_object_get(o->order, "billing_address")),
		"shipping_address", json_deep_copy(addr), "items", out_items,
		"shipping_provider_display_name",
		*provider ? provider : "Custom", "generated_tracking_link",
		gen);
	/* The embedded shipping address carries only address fields. */
	{
		json_t *sa = json_object_get(sh, "shipping_address");
		json_t *clean = json_object();

		for (i = 0; i < sizeof(address_keys) / sizeof(address_keys[0]);
		     i++)
			json_object_set(clean, address_keys[i],
					json_object_get(sa, address_keys[i]));
		json_object_set_new(sh, "shipping_address", clean);
		json_object_del(json_object_get(sh, "billing_address"),
				"form_fields");
	}
	json_array_append_new(o->shipments, sh);
	if (all && o->shipped == 0)
		o->shipped = bc_now(st);
	free(want);
	*status = 0;
	order_touch(st, o);
	bc_event(st, "store/shipment/created",
		 json_pack("{s:s, s:O, s:I}", "type", "shipment", "id",
			   json_object_get(sh, "id"), "orderId",
			   (json_int_t)o->id));
	if (sb_json_int(json_object_get(o->order, "status_id"), 0) !=
	    (all ? 2 : 3))
		bc_order_set_status(st, o, all ? 2 : 3);
	else
		fire_order(st, "store/order/updated", o->id);
	return sh;
fail:
	free(want);
	return NULL;
}

/*
 * Refunds, as orders.v3 "Payment Actions" describe them: items by
 * item_type (QuantityBoundItem PRODUCT by order product id and quantity;
 * AmountBoundItem SHIPPING and HANDLING by order address id, ORDER by
 * the order id, with an amount), a quote first, then the refund with
 * payments whose amounts add up to the quote.  What this sandbox
 * refuses, with 422 as BigCommerce does: an unknown item type (and the
 * FEE, TAX and GIFT_WRAPPING kinds, which its orders never carry), an
 * item id the order does not have, a quantity below 1 or above what is
 * left unrefunded, an amount not above 0 or above what is left of that
 * cost, a total above what is left of the order, and payments that do
 * not add up to the refund.  PRODUCT amounts are the line's unit price
 * including tax times the quantity, their tax the unit tax times it;
 * SHIPPING and HANDLING carry their share of the cost's tax; ORDER
 * recalculates no tax (TaxExemptItem).
 */
typedef struct refund_calc {
	bc_money total, tax, order_level;
	json_t *items; /* the refund's items (owned) */
	int64_t *qty;  /* per order line */
} refund_calc;

/* What was refunded before on a cost of address aid (SHIPPING...). */
static bc_money
refunded_on(const bc_order *o, const char *type, int64_t aid)
{
	const json_t *r, *it;
	size_t i, j;
	bc_money sum = 0, m;

	json_array_foreach (o->refunds, i, r) {
		json_array_foreach (json_object_get(r, "items"), j, it) {
			if (strcmp(sb_json_str(json_object_get(it, "item_type"),
					       ""),
				   type) != 0 ||
			    sb_json_int(json_object_get(it, "item_id"), 0) !=
				    aid)
				continue;
			if (bc_money_from_json(
				    &m, json_object_get(
						it, "requested_amount")) == 0)
				sum += m;
		}
	}
	return sum;
}

static double
money_num(bc_money m)
{
	return (double)m / BC_MONEY_SCALE;
}

static int
refund_item(refund_calc *c, const bc_order *o, const json_t *it, char *msg,
	    size_t msglen)
{
	const char *type = sb_json_str(json_object_get(it, "item_type"), "");
	const json_t *jid = json_object_get(it, "item_id");
	int64_t id = sb_json_int(jid, 0);
	const char *reason = sb_json_str(json_object_get(it, "reason"), "");
	bc_money amount = 0, tax = 0;
	json_t *line = NULL, *a = NULL;
	size_t k;

	if (!json_is_integer(jid) && !json_is_real(jid)) {
		snprintf(msg, msglen, "item_id is required");
		return -1;
	}
	if (strcmp(type, "PRODUCT") == 0) {
		const json_t *jq = json_object_get(it, "quantity");
		int64_t q = sb_json_int(jq, 0), left;
		bc_money inc = 0, ex = 0;

		json_array_foreach (o->lines, k, line) {
			if (sb_json_int(json_object_get(line, "id"), 0) == id)
				break;
		}
		if (k == json_array_size(o->lines)) {
			snprintf(msg, msglen,
				 "Order product %lld does not exist on order "
				 "%lld",
				 (long long)id, (long long)o->id);
			return -1;
		}
		left = sb_json_int(json_object_get(line, "quantity"), 0) -
		       sb_json_int(json_object_get(line, "quantity_refunded"),
				   0) -
		       c->qty[k];
		if (!json_is_integer(jq) || q < 1 || q > left) {
			snprintf(msg, msglen,
				 "item %lld cannot be refunded %lld times "
				 "(%lld left to refund)",
				 (long long)id, (long long)q, (long long)left);
			return -1;
		}
		bc_money_from_json(&inc,
				   json_object_get(line, "price_inc_tax"));
		bc_money_from_json(&ex, json_object_get(line, "price_ex_tax"));
		c->qty[k] += q;
		amount = cents(inc * q);
		tax = cents((inc - ex) * q);
		json_array_append_new(
			c->items,
			json_pack("{s:s, s:I, s:I, s:f, s:s}", "item_type",
				  "PRODUCT", "item_id", (json_int_t)id,
				  "quantity", (json_int_t)q, "requested_amount",
				  money_num(amount), "reason", reason));
	} else if (strcmp(type, "SHIPPING") == 0 ||
		   strcmp(type, "HANDLING") == 0) {
		int ship = type[0] == 'S';
		bc_money cost = 0, cost_tax = 0, left;

		json_array_foreach (o->addresses, k, a) {
			if (sb_json_int(json_object_get(a, "id"), 0) == id)
				break;
		}
		if (k == json_array_size(o->addresses)) {
			snprintf(msg, msglen,
				 "Order address %lld does not exist on order "
				 "%lld",
				 (long long)id, (long long)o->id);
			return -1;
		}
		bc_money_from_json(&cost,
				   json_object_get(a, ship ? "cost_inc_tax"
							   : "handling_cost_"
							     "inc_tax"));
		bc_money_from_json(&cost_tax,
				   json_object_get(a, ship ? "cost_tax"
							   : "handling_cost_"
							     "tax"));
		left = cost - refunded_on(o, type, id);
		if (bc_money_from_json(&amount, json_object_get(it, "amount")) <
			    0 ||
		    amount <= 0 || cents(amount) != amount || amount > left) {
			snprintf(msg, msglen,
				 "%s amount for address %lld must be above 0 "
				 "and at most %.2f",
				 type, (long long)id, money_num(left));
			return -1;
		}
		tax = cost > 0 ? cents(cost_tax * amount / cost) : 0;
		json_array_append_new(
			c->items,
			json_pack("{s:s, s:I, s:f, s:s}", "item_type", type,
				  "item_id", (json_int_t)id, "requested_amount",
				  money_num(amount), "reason", reason));
	} else if (strcmp(type, "ORDER") == 0) {
		if (id != o->id) {
			snprintf(msg, msglen,
				 "ORDER item_id %lld is not order %lld",
				 (long long)id, (long long)o->id);
			return -1;
		}
		if (bc_money_from_json(&amount, json_object_get(it, "amount")) <
			    0 ||
		    amount <= 0 || cents(amount) != amount) {
			snprintf(msg, msglen,
				 "ORDER amount must be a positive amount in "
				 "cents");
			return -1;
		}
		c->order_level += amount;
		json_array_append_new(
			c->items,
			json_pack("{s:s, s:I, s:f, s:s}", "item_type", "ORDER",
				  "item_id", (json_int_t)id, "requested_amount",
				  money_num(amount), "reason", reason));
	} else {
		snprintf(msg, msglen, "item_type '%s' cannot be refunded",
			 type);
		return -1;
	}
	c->total += amount;
	c->tax += tax;
	return 0;
}

/* The refund's items checked and priced into *c (dispose c->items and
 * c->qty); -1 with msg when BigCommerce would refuse them. */
static int
refund_calc_run(refund_calc *c, const bc_order *o, const json_t *items,
		char *msg, size_t msglen)
{
	const json_t *it;
	bc_money total_inc = 0, refunded = 0;
	size_t i;

	memset(c, 0, sizeof(*c));
	c->items = json_array();
	c->qty = calloc(json_array_size(o->lines) + 1, sizeof(*c->qty));
	if (c->items == NULL || c->qty == NULL) {
		snprintf(msg, msglen, "out of memory");
		return -1;
	}
	if (!json_is_array(items) || json_array_size(items) == 0) {
		snprintf(msg, msglen, "items are required");
		return -1;
	}
	json_array_foreach (items, i, it) {
		if (refund_item(c, o, it, msg, msglen) < 0)
			return -1;
	}
	bc_money_from_json(&total_inc,
			   json_object_get(o->order, "total_inc_tax"));
	bc_money_from_json(&refunded,
			   json_object_get(o->order, "refunded_amount"));
	if (c->total > total_inc - refunded) {
		snprintf(msg, msglen,
			 "The refund amount %.2f is more than the %.2f left to "
			 "refund on order %lld",
			 money_num(c->total), money_num(total_inc - refunded),
			 (long long)o->id);
		return -1;
	}
	return 0;
}

static void
refund_calc_dispose(refund_calc *c)
{
	json_decref(c->items);
	free(c->qty);
	c->items = NULL;
	c->qty = NULL;
}

/* The gateway the order was paid with: its last purchase's or
 * authorisation's (a split tender's store credit or gift certificate
 * comes first). */
static const char *
order_provider(const bc_order *o)
{
	const json_t *t, *paid = NULL;
	const char *g, *ev;
	size_t i;

	json_array_foreach (o->transactions, i, t) {
		ev = sb_json_str(json_object_get(t, "event"), "");
		if (strcmp(ev, "purchase") == 0 ||
		    strcmp(ev, "authorization") == 0)
			paid = t;
	}
	g = sb_json_str(json_object_get(paid, "gateway"), "");

	if (g[0] == '\0')
		g = sb_json_str(
			json_object_get(o->order, "payment_provider_id"), "");
	return g[0] != '\0' ? g : "custom";
}

json_t *
bc_refund_quote(bc_state *st, bc_order *o, const json_t *body, char *msg,
		size_t msglen)
{
	refund_calc c;
	json_t *q = NULL;
	const char *prov = order_provider(o);

	(void)st;
	if (refund_calc_run(&c, o, json_object_get(body, "items"), msg,
			    msglen) == 0)
		q = json_pack(
			"{s:I, s:f, s:f, s:f, s:f, s:f, s:b, "
			"s:[[{s:s, s:s, s:f, s:b, s:b, s:s}], "
			"[{s:s, s:s, s:f, s:b, s:b, s:s}]]}",
			"order_id", (json_int_t)o->id, "total_refund_amount",
			money_num(c.total), "total_refund_tax_amount",
			money_num(c.tax), "order_level_refund_amount",
			money_num(c.order_level), "rounding", 0.0, "adjustment",
			0.0, "tax_inclusive", 1, "refund_methods",
			"provider_id", prov, "provider_description", prov,
			"amount", money_num(c.total), "offline", 0,
			"offline_provider", 0, "offline_reason", "",
			"provider_id", "custom", "provider_description",
			"Custom", "amount", money_num(c.total), "offline", 1,
			"offline_provider", 1, "offline_reason",
			"This is an offline payment provider.");
	refund_calc_dispose(&c);
	return q;
}

json_t *
bc_refund_post(bc_state *st, bc_order *o, const json_t *body, int control,
	       char *msg, size_t msglen)
{
	refund_calc c;
	json_t *line, *r = NULL, *pays = NULL, *p;
	bc_money total_inc = 0, refunded = 0, paid = 0, m;
	size_t i, k;
	char when[40], oid[24];
	int all = 1;

	if (refund_calc_run(&c, o, json_object_get(body, "items"), msg,
			    msglen) < 0)
		goto done;
	/* the control API's shortcut: a merchant override amount and one
	 * payment of it */
	if (control &&
	    bc_money_from_json(&m, json_object_get(body, "amount")) == 0)
		c.total = m;
	pays = json_array();
	if (control && json_object_get(body, "payments") == NULL) {
		json_array_append_new(
			pays,
			json_pack(
				"{s:I, s:s, s:f, s:b, s:b, s:s, s:s}", "id",
				(json_int_t)st->next_refund, "provider_id",
				sb_json_str(
					json_object_get(body, "provider_id"),
					order_provider(o)),
				"amount", money_num(c.total), "offline",
				json_is_true(json_object_get(body, "offline")),
				"is_declined", 0, "declined_message", "",
				"transaction_id", ""));
		paid = c.total;
	} else {
		/* RefundRequest_Post: payments must add up to the quote */
		json_array_foreach (json_object_get(body, "payments"), i, p) {
			const char *prov = sb_json_str(
				json_object_get(p, "provider_id"), "");

			if (prov[0] == '\0' ||
			    bc_money_from_json(
				    &m, json_object_get(p, "amount")) < 0 ||
			    m < 0) {
				snprintf(msg, msglen,
					 "payments[%zu] needs a provider_id "
					 "and an amount",
					 i);
				goto done;
			}
			paid += m;
			json_array_append_new(
				pays,
				json_pack("{s:I, s:s, s:f, s:b, s:b, s:s, s:s}",
					  "id", (json_int_t)st->next_refund,
					  "provider_id", prov, "amount",
					  money_num(m), "offline",
					  json_is_true(json_object_get(
						  p, "offline")),
					  "is_declined", 0, "declined_message",
					  "", "transaction_id", ""));
		}
		if (json_array_size(pays) == 0 || paid != c.total) {
			snprintf(msg, msglen,
				 "The refund payments (%.2f) do not match the "
				 "refund amount (%.2f)",
				 money_num(paid), money_num(c.total));
			goto done;
		}
	}
	json_array_foreach (o->lines, k, line) {
		int64_t done =
			sb_json_int(json_object_get(line, "quantity_refunded"),
				    0) +
			c.qty[k];

		if (c.qty[k] > 0) {
			json_object_set_new(line, "quantity_refunded",
					    json_integer(done));
			json_object_set_new(
				line, "is_refunded",
				json_boolean(
					done ==
					sb_json_int(json_object_get(line,
								    "quantity"),
						    0)));
		}
		if (done < sb_json_int(json_object_get(line, "quantity"), 0))
			all = 0;
	}
	bc_money_from_json(&total_inc,
			   json_object_get(o->order, "total_inc_tax"));
	bc_money_from_json(&refunded,
			   json_object_get(o->order, "refunded_amount"));
	refunded += c.total;
	set_money(o->order, "refunded_amount", refunded);
	snprintf(oid, sizeof(oid), "%lld", (long long)o->id);
	r = json_pack("{s:I, s:I, s:i, s:s, s:s, s:f, s:f, s:b, s:O, s:O}",
		      "id", (json_int_t)st->next_refund, "order_id",
		      (json_int_t)o->id, "user_id", 0, "created",
		      bc_iso8601(when, sizeof(when), bc_now(st)), "reason",
		      sb_json_str(json_object_get(body, "reason"), ""),
		      "total_amount", money_num(c.total), "total_tax",
		      money_num(c.tax), "uses_merchant_override_values",
		      control && json_object_get(body, "amount") != NULL,
		      "items", c.items, "payments", pays);
	st->next_refund++;
	json_array_append_new(o->refunds, r);
	json_array_append_new(
		o->transactions,
		json_pack(
			"{s:I, s:s, s:s, s:s, s:f, s:s, s:s, s:s, s:b, s:s, "
			"s:b, s:s}",
			"id", (json_int_t)st->next_transaction++, "order_id",
			oid, "event", "refund", "method", "credit_card",
			"amount", money_num(c.total), "currency",
			sb_json_str(json_object_get(o->order, "currency_code"),
				    "USD"),
			"gateway", "custom", "gateway_transaction_id", "",
			"test", 1, "status", "ok", "fraud_review", 0,
			"date_created", when));
	json_object_set_new(o->order, "payment_status",
			    json_string(refunded >= total_inc
						? "refunded"
						: "partially refunded"));
	order_touch(st, o);
	/* webhooks.v3 store_order_refund_created: data.refund.refund_id */
	bc_event(st, "store/order/refund/created",
		 json_pack("{s:s, s:I, s:{s:O}}", "type", "order", "id",
			   (json_int_t)o->id, "refund", "refund_id",
			   json_object_get(r, "id")));
	bc_order_set_status(st, o, all && refunded >= total_inc ? 4 : 14);
done:
	json_decref(pays);
	refund_calc_dispose(&c);
	return r;
}

json_t *
bc_refund_create(bc_state *st, bc_order *o, const json_t *body, char *msg,
		 size_t msglen)
{
	return bc_refund_post(st, o, body, 1, msg, msglen);
}
