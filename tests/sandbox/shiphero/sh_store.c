/*
 * sh_store.c - the simulated ShipHero account: warehouses, orders with
 * line items, shipments with labels, products with per-warehouse stock,
 * webhooks, and the Shipment Update deliveries.
 *
 * Orders are found by legacy id and partner_order_id, products by SKU,
 * through string maps; shipments are kept in creation order so a
 * date_from filter is a binary search.
 */
#include "sh_sim.h"

#include "bigcommerce/bc_sim.h" /* bc_hmac_sha256, bc_base64 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- string map --------------------------------------------------------- */

static size_t
str_hash(const char *s)
{
	size_t h = 1469598103934665603ull;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211ull;
	return h;
}

void
sh_map_init(sh_map *m)
{
	memset(m, 0, sizeof(*m));
}

void
sh_map_clear(sh_map *m)
{
	size_t i;

	for (i = 0; i < m->cap; i++)
		free(m->keys[i]);
	free(m->keys);
	free(m->vals);
	sh_map_init(m);
}

static int
map_grow(sh_map *m)
{
	sh_map n;
	size_t i;

	n.cap = m->cap ? m->cap * 2 : 64;
	n.n = 0;
	n.keys = calloc(n.cap, sizeof(*n.keys));
	n.vals = calloc(n.cap, sizeof(*n.vals));
	if (n.keys == NULL || n.vals == NULL) {
		free(n.keys);
		free(n.vals);
		return -1;
	}
	for (i = 0; i < m->cap; i++) {
		size_t j;

		if (m->keys[i] == NULL)
			continue;
		for (j = str_hash(m->keys[i]) & (n.cap - 1); n.keys[j];
		     j = (j + 1) & (n.cap - 1))
			;
		n.keys[j] = m->keys[i];
		n.vals[j] = m->vals[i];
		n.n++;
	}
	free(m->keys);
	free(m->vals);
	*m = n;
	return 0;
}

int
sh_map_put(sh_map *m, const char *key, int64_t val)
{
	size_t j;

	if ((m->n + 1) * 2 > m->cap && map_grow(m))
		return -1;
	for (j = str_hash(key) & (m->cap - 1); m->keys[j];
	     j = (j + 1) & (m->cap - 1)) {
		if (strcmp(m->keys[j], key) == 0) {
			m->vals[j] = val;
			return 0;
		}
	}
	m->keys[j] = strdup(key);
	if (m->keys[j] == NULL)
		return -1;
	m->vals[j] = val;
	m->n++;
	return 0;
}

int64_t
sh_map_get(const sh_map *m, const char *key)
{
	size_t j;

	if (m->cap == 0 || key == NULL)
		return -1;
	for (j = str_hash(key) & (m->cap - 1); m->keys[j];
	     j = (j + 1) & (m->cap - 1))
		if (strcmp(m->keys[j], key) == 0)
			return m->vals[j];
	return -1;
}

/* ---- ids, dates --------------------------------------------------------- */

time_t
sh_now(const sh_state *st)
{
	return time(NULL) + st->clock_offset;
}

const char *
sh_date(char *buf, size_t len, time_t t)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
	return buf;
}

static time_t
timegm_utc(struct tm *tm)
{
	/* days from civil (no timegm in POSIX) */
	int64_t y = tm->tm_year + 1900, m = tm->tm_mon + 1, d = tm->tm_mday;
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return (time_t)((era * 146097 + doe - 719468) * 86400 +
			tm->tm_hour * 3600 + tm->tm_min * 60 + tm->tm_sec);
}

int
sh_parse_date(const char *s, time_t *out)
{
	struct tm tm;
	int y, mo, d, h = 0, mi = 0, se = 0, n = 0;
	char sep;

	if (s == NULL)
		return -1;
	if (sscanf(s, "%4d-%2d-%2d%n", &y, &mo, &d, &n) != 3 || n != 10)
		return -1;
	sep = s[10];
	if (sep == 'T' || sep == ' ') {
		int m = 0;

		if (sscanf(s + 11, "%2d:%2d:%2d%n", &h, &mi, &se, &m) != 3 ||
		    m != 8)
			return -1;
		/* fractions and a zone suffix are tolerated and ignored */
	} else if (sep != '\0') {
		return -1;
	}
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 ||
	    se > 60)
		return -1;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = se;
	*out = timegm_utc(&tm);
	return 0;
}

const char *
sh_gid(char *buf, size_t len, const char *type, int64_t legacy)
{
	char raw[64];
	int n = snprintf(raw, sizeof(raw), "%s:%lld", type, (long long)legacy);

	bc_base64(buf, len, (const unsigned char *)raw, (size_t)n);
	return buf;
}

int
sh_unbase64(const char *in, char *out, size_t outlen)
{
	unsigned acc = 0;
	int bits = 0;
	size_t n = 0;

	for (; *in && *in != '='; in++) {
		int v;
		char c = *in;

		if (c >= 'A' && c <= 'Z')
			v = c - 'A';
		else if (c >= 'a' && c <= 'z')
			v = c - 'a' + 26;
		else if (c >= '0' && c <= '9')
			v = c - '0' + 52;
		else if (c == '+' || c == '-')
			v = 62;
		else if (c == '/' || c == '_')
			v = 63;
		else
			return -1;
		acc = (acc << 6) | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (n + 1 >= outlen)
				return -1;
			out[n++] = (char)((acc >> bits) & 0xFF);
		}
	}
	out[n] = '\0';
	return 0;
}

int64_t
sh_legacy_of(const char *id, const char *type)
{
	char raw[96];
	int64_t v;
	size_t tl = strlen(type);

	if (id == NULL)
		return -1;
	if (sb_parse_int(id, &v) == 0)
		return v;
	if (strlen(id) > 120 || sh_unbase64(id, raw, sizeof(raw)))
		return -1;
	if (strncmp(raw, type, tl) != 0 || raw[tl] != ':' ||
	    sb_parse_int(raw + tl + 1, &v))
		return -1;
	return v;
}

/* ---- state -------------------------------------------------------------- */

sh_state *
sh_state_new(void)
{
	sh_state *st = calloc(1, sizeof(*st));
	static const int64_t schedule[SH_HOOK_RETRIES] = {10000, 30000, 60000,
							  300000, 900000};

	if (st == NULL)
		return NULL;
	memcpy(st->hook_schedule_ms, schedule, sizeof(schedule));
	st->warehouses = json_array();
	st->orders = json_array();
	st->shipments = json_array();
	st->products = json_array();
	st->webhooks = json_array();
	sh_map_init(&st->by_partner_id);
	sh_map_init(&st->by_sku);
	sh_map_init(&st->by_legacy_order);
	st->token_ttl_s = SH_TOKEN_TTL_S;
	return st;
}

void
sh_state_clear(sh_state *st)
{
	json_array_clear(st->warehouses);
	json_array_clear(st->orders);
	json_array_clear(st->shipments);
	json_array_clear(st->products);
	json_array_clear(st->webhooks);
	sh_map_clear(&st->by_partner_id);
	sh_map_clear(&st->by_sku);
	sh_map_clear(&st->by_legacy_order);
	st->next_order = 555301500;
	st->next_line = 1370678520;
	st->next_shipment = 419523005;
	st->next_label = 310083748;
	st->next_ship_line = 828656700;
	st->next_product = 71000001;
	st->next_wp = 91000001;
	st->next_webhook = 1001;
}

void
sh_state_free(sh_state *st)
{
	if (st == NULL)
		return;
	sh_state_clear(st);
	json_decref(st->warehouses);
	json_decref(st->orders);
	json_decref(st->shipments);
	json_decref(st->products);
	json_decref(st->webhooks);
	free(st->tokens);
	gql_schema_free(st->schema);
	free(st);
}

static void
set_gid(json_t *o, const char *type, int64_t legacy)
{
	char gid[64];

	json_object_set_new(
		o, "id", json_string(sh_gid(gid, sizeof(gid), type, legacy)));
	json_object_set_new(o, "legacy_id", json_integer(legacy));
}

static void
set_now(sh_state *st, json_t *o, const char *key)
{
	char d[32];

	json_object_set_new(o, key,
			    json_string(sh_date(d, sizeof(d), sh_now(st))));
}

json_t *
sh_warehouse_find(sh_state *st, const char *id)
{
	int64_t legacy = sh_legacy_of(id, "Warehouse");
	json_t *w;
	size_t i;

	json_array_foreach (st->warehouses, i, w) {
		if (sb_json_int(json_object_get(w, "legacy_id"), 0) == legacy)
			return w;
	}
	return NULL;
}

json_t *
sh_order_by_legacy(sh_state *st, int64_t legacy)
{
	char key[32];
	int64_t i;

	snprintf(key, sizeof(key), "%lld", (long long)legacy);
	i = sh_map_get(&st->by_legacy_order, key);
	return i < 0 ? NULL : json_array_get(st->orders, (size_t)i);
}

json_t *
sh_order_by_partner(sh_state *st, const char *partner_order_id)
{
	int64_t i = sh_map_get(&st->by_partner_id, partner_order_id);

	return i < 0 ? NULL : json_array_get(st->orders, (size_t)i);
}

json_t *
sh_order_find(sh_state *st, const char *id)
{
	int64_t legacy = sh_legacy_of(id, "Order");

	return legacy < 0 ? NULL : sh_order_by_legacy(st, legacy);
}

json_t *
sh_product_by_sku(sh_state *st, const char *sku)
{
	int64_t i = sh_map_get(&st->by_sku, sku);

	return i < 0 ? NULL : json_array_get(st->products, (size_t)i);
}

/* ---- orders ------------------------------------------------------------- */

static json_t *
address_of(const json_t *in)
{
	static const char *const keys[] = {
		"first_name", "last_name", "company",      "address1",
		"address2",   "city",      "state",        "state_code",
		"zip",        "country",   "country_code", "email",
		"phone"};
	json_t *a = json_object();
	size_t i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		json_t *v = json_object_get(in, keys[i]);

		json_object_set_new(a, keys[i],
				    json_is_string(v) ? json_copy(v)
						      : json_null());
	}
	return a;
}

static const char *const order_strings[] = {
	"order_number", "partner_order_id",
	"shop_name",    "total_tax",
	"subtotal",     "total_discounts",
	"total_price",  "box_name",
	"currency",     "gift_note",
	"email",        "profile",
	"packing_note", "custom_invoice_url",
	"incoterms",    "tax_id",
	"tax_type",     "dry_ice_weight_in_lbs"};

json_t *
sh_order_create(sh_state *st, const json_t *data, char *msg, size_t msglen)
{
	const char *poid =
		sb_json_str(json_object_get(data, "partner_order_id"), NULL);
	json_t *o, *lines, *in, *l, *sl;
	char key[32];
	size_t i, j;
	int64_t legacy;

	if (poid != NULL && sh_order_by_partner(st, poid) != NULL) {
		snprintf(msg, msglen,
			 "Order with partner_order_id %.120s already exists",
			 poid);
		return NULL;
	}
	in = json_object_get(data, "line_items");
	json_array_foreach (in, i, l) {
		const char *wh =
			sb_json_str(json_object_get(l, "warehouse_id"), NULL);
		const char *plid = sb_json_str(
			json_object_get(l, "partner_line_item_id"), "");

		if (wh != NULL && sh_warehouse_find(st, wh) == NULL) {
			snprintf(msg, msglen, "Invalid warehouse id %.80s", wh);
			return NULL;
		}
		if (sb_json_int(json_object_get(l, "quantity"), 0) < 0) {
			snprintf(msg, msglen,
				 "Quantity can't be a negative value");
			return NULL;
		}
		for (j = 0; j < i; j++) {
			if (strcmp(sb_json_str(json_object_get(
						       json_array_get(in, j),
						       "partner_line_item_id"),
					       ""),
				   plid) == 0) {
				snprintf(msg, msglen,
					 "Duplicated partner_line_item_id "
					 "%.80s in the order",
					 plid);
				return NULL;
			}
		}
	}
	legacy = st->next_order++;
	o = json_object();
	set_gid(o, "Order", legacy);
	for (i = 0; i < sizeof(order_strings) / sizeof(order_strings[0]); i++) {
		json_t *v = json_object_get(data, order_strings[i]);

		json_object_set_new(o, order_strings[i],
				    json_is_string(v) ? json_copy(v)
						      : json_null());
	}
	if (json_is_null(json_object_get(o, "order_number")))
		json_object_set_new(o, "order_number",
				    json_sprintf("%lld", (long long)legacy));
	if (json_is_null(json_object_get(o, "profile")))
		json_object_set_new(o, "profile", json_string("default"));
	json_object_set_new(o, "fulfillment_status",
			    json_string(sb_json_str(
				    json_object_get(data, "fulfillment_status"),
				    "pending")));
	{
		char d[32];
		time_t t;
		const char *od =
			sb_json_str(json_object_get(data, "order_date"), NULL);
		const char *rsd = sb_json_str(
			json_object_get(data, "required_ship_date"), NULL);

		if (od == NULL || sh_parse_date(od, &t))
			t = sh_now(st);
		json_object_set_new(o, "order_date",
				    json_string(sh_date(d, sizeof(d), t)));
		if (rsd != NULL && sh_parse_date(rsd, &t) == 0)
			json_object_set_new(
				o, "required_ship_date",
				json_string(sh_date(d, sizeof(d), t)));
		else
			json_object_set_new(o, "required_ship_date",
					    json_null());
	}
	set_now(st, o, "updated_at");
	json_object_set_new(o, "account_id", json_string("QWNjb3VudDo0MjIy"));
	json_object_set_new(o, "ready_to_ship",
			    json_boolean(!json_is_false(
				    json_object_get(data, "ready_to_ship"))));
	json_object_set_new(o, "source", json_string("api"));
	json_object_set_new(o, "tags",
			    json_is_array(json_object_get(data, "tags"))
				    ? json_copy(json_object_get(data, "tags"))
				    : json_array());
	sl = json_object_get(data, "shipping_lines");
	json_object_set_new(
		o, "shipping_lines",
		sl ? json_pack("{s:O?, s:O?, s:O?, s:O?}", "title",
			       json_object_get(sl, "title"), "carrier",
			       json_object_get(sl, "carrier"), "method",
			       json_object_get(sl, "method"), "price",
			       json_object_get(sl, "price"))
		   : json_null());
	json_object_set_new(
		o, "shipping_address",
		address_of(json_object_get(data, "shipping_address")));
	json_object_set_new(
		o, "billing_address",
		json_object_get(data, "billing_address")
			? address_of(json_object_get(data, "billing_address"))
			: json_null());
	json_object_set_new(o, "holds",
			    json_pack("{s:b, s:b, s:b, s:b, s:b}",
				      "payment_hold", 0, "operator_hold", 0,
				      "fraud_hold", 0, "address_hold", 0,
				      "client_hold", 0));
	lines = json_array();
	json_array_foreach (in, i, l) {
		int64_t lid = st->next_line++;
		int64_t qty = sb_json_int(json_object_get(l, "quantity"), 0);
		const char *wh =
			sb_json_str(json_object_get(l, "warehouse_id"), NULL);
		json_t *w = wh ? sh_warehouse_find(st, wh)
			       : json_array_get(st->warehouses, 0);
		json_t *line = json_object();
		const char *sku = sb_json_str(json_object_get(l, "sku"), "");
		json_t *p = sh_product_by_sku(st, sku);

		set_gid(line, "LineItem", lid);
		json_object_set_new(line, "sku", json_string(sku));
		json_object_set(line, "partner_line_item_id",
				json_object_get(l, "partner_line_item_id"));
		json_object_set_new(line, "quantity", json_integer(qty));
		json_object_set(line, "price", json_object_get(l, "price"));
		json_object_set_new(
			line, "product_name",
			json_string(sb_json_str(
				json_object_get(l, "product_name"),
				sb_json_str(json_object_get(p, "name"), sku))));
		json_object_set_new(line, "fulfillment_status",
				    json_string("pending"));
		json_object_set_new(line, "quantity_pending_fulfillment",
				    json_integer(qty));
		json_object_set_new(line, "quantity_shipped", json_integer(0));
		json_object_set_new(line, "quantity_allocated",
				    json_integer(qty));
		json_object_set_new(line, "backorder_quantity",
				    json_integer(0));
		json_object_set(line, "warehouse_id", json_object_get(w, "id"));
		json_object_set(line, "warehouse",
				json_object_get(w, "identifier"));
		json_object_set_new(line, "locked_to_warehouse_id",
				    wh ? json_copy(json_object_get(w, "id"))
				       : json_null());
		json_object_set(line, "order_id", json_object_get(o, "id"));
		json_object_set(line, "product_id", json_object_get(p, "id"));
		json_object_set(line, "barcode", json_object_get(l, "barcode"));
		json_object_set(line, "created_at",
				json_object_get(o, "updated_at"));
		json_object_set(line, "updated_at",
				json_object_get(o, "updated_at"));
		json_array_append_new(lines, line);
	}
	json_object_set_new(o, "line_items", lines);
	json_array_append_new(st->orders, o);
	snprintf(key, sizeof(key), "%lld", (long long)legacy);
	sh_map_put(&st->by_legacy_order, key,
		   (int64_t)json_array_size(st->orders) - 1);
	if (poid != NULL)
		sh_map_put(&st->by_partner_id, poid,
			   (int64_t)json_array_size(st->orders) - 1);
	return o;
}

void
sh_order_set_status(sh_state *st, json_t *order, const char *status)
{
	json_object_set_new(order, "fulfillment_status", json_string(status));
	set_now(st, order, "updated_at");
}

json_t *
sh_order_view(sh_state *st, json_t *order)
{
	json_t *v = json_copy(order), *ships = json_array(), *s;
	const char *id = sb_json_str(json_object_get(order, "id"), "");
	size_t i;

	/* an order's shipments are few; a scan of the shipments would not
	 * scale, so they are found through the order's own list */
	json_array_foreach (json_object_get(order, "_shipments"), i, s) {
		json_t *sh = json_array_get(st->shipments,
					    (size_t)json_integer_value(s));

		if (sh &&
		    strcmp(sb_json_str(json_object_get(sh, "order_id"), ""),
			   id) == 0)
			json_array_append(ships, sh);
	}
	json_object_del(v, "_shipments");
	json_object_set_new(v, "shipments", ships);
	return v;
}

json_t *
sh_shipment_view(sh_state *st, json_t *shipment)
{
	json_t *v = json_copy(shipment);
	json_t *o = sh_order_find(
		st, sb_json_str(json_object_get(shipment, "order_id"), ""));
	json_t *ov = json_copy(o);

	json_object_del(ov, "_shipments");
	json_object_set_new(v, "order", ov ? ov : json_null());
	json_object_set(v, "warehouse",
			sh_warehouse_find(
				st, sb_json_str(json_object_get(shipment,
								"warehouse_id"),
						"")));
	return v;
}

/* ---- products ----------------------------------------------------------- */

static json_t *
warehouse_product(sh_state *st, json_t *w, const char *sku, int64_t on_hand,
		  const json_t *price)
{
	json_t *wp = json_object();

	set_gid(wp, "WarehouseProduct", st->next_wp++);
	json_object_set_new(wp, "sku", json_string(sku));
	json_object_set(wp, "warehouse_id", json_object_get(w, "id"));
	json_object_set(wp, "warehouse_identifier",
			json_object_get(w, "identifier"));
	json_object_set_new(wp, "on_hand", json_integer(on_hand));
	json_object_set_new(wp, "available", json_integer(on_hand));
	json_object_set_new(wp, "allocated", json_integer(0));
	json_object_set_new(wp, "backorder", json_integer(0));
	json_object_set_new(wp, "price",
			    json_is_string(price) ? json_copy((json_t *)price)
						  : json_string("0.00"));
	json_object_set_new(wp, "active", json_true());
	set_now(st, wp, "created_at");
	set_now(st, wp, "updated_at");
	return wp;
}

json_t *
sh_product_create(sh_state *st, const json_t *data, char *msg, size_t msglen)
{
	const char *sku = sb_json_str(json_object_get(data, "sku"), NULL);
	const char *name = sb_json_str(json_object_get(data, "name"), NULL);
	json_t *p, *wps, *in, *x, *dim;
	size_t i;

	if (sku == NULL || *sku == '\0' || name == NULL) {
		snprintf(msg, msglen, "sku and name are required");
		return NULL;
	}
	if (sh_product_by_sku(st, sku) != NULL) {
		snprintf(msg, msglen, "The SKU %.120s already exists", sku);
		return NULL;
	}
	in = json_object_get(data, "warehouse_products");
	json_array_foreach (in, i, x) {
		const char *wh =
			sb_json_str(json_object_get(x, "warehouse_id"), "");

		if (sh_warehouse_find(st, wh) == NULL) {
			snprintf(msg, msglen, "Invalid warehouse id %.80s", wh);
			return NULL;
		}
	}
	p = json_object();
	set_gid(p, "Product", st->next_product++);
	json_object_set_new(p, "account_id", json_string("QWNjb3VudDo0MjIy"));
	json_object_set_new(p, "sku", json_string(sku));
	json_object_set_new(p, "name", json_string(name));
	json_object_set(p, "barcode", json_object_get(data, "barcode"));
	json_object_set(p, "customs_value",
			json_object_get(data, "customs_value"));
	dim = json_object_get(data, "dimensions");
	json_object_set_new(p, "dimensions",
			    json_pack("{s:O?, s:O?, s:O?, s:O?}", "weight",
				      json_object_get(dim, "weight"), "height",
				      json_object_get(dim, "height"), "width",
				      json_object_get(dim, "width"), "length",
				      json_object_get(dim, "length")));
	json_object_set_new(p, "kit", json_false());
	json_object_set_new(p, "virtual", json_false());
	json_object_set_new(p, "active", json_true());
	json_object_set_new(p, "tags",
			    json_is_array(json_object_get(data, "tags"))
				    ? json_copy(json_object_get(data, "tags"))
				    : json_array());
	set_now(st, p, "created_at");
	set_now(st, p, "updated_at");
	wps = json_array();
	json_array_foreach (in, i, x) {
		json_t *w = sh_warehouse_find(
			st,
			sb_json_str(json_object_get(x, "warehouse_id"), ""));

		json_array_append_new(
			wps,
			warehouse_product(
				st, w, sku,
				sb_json_int(json_object_get(x, "on_hand"), 0),
				json_object_get(data, "price")));
	}
	json_object_set_new(p, "warehouse_products", wps);
	json_object_set(p, "price", json_object_get(data, "price"));
	json_array_append_new(st->products, p);
	sh_map_put(&st->by_sku, sku,
		   (int64_t)json_array_size(st->products) - 1);
	return p;
}

int
sh_stock_set(sh_state *st, const char *sku, const char *warehouse_id,
	     int64_t on_hand, char *msg, size_t msglen)
{
	json_t *p = sh_product_by_sku(st, sku), *w, *wp;
	size_t i;

	if (p == NULL) {
		snprintf(msg, msglen, "no product with sku %.80s",
			 sku ? sku : "");
		return -1;
	}
	w = warehouse_id ? sh_warehouse_find(st, warehouse_id)
			 : json_array_get(st->warehouses, 0);
	if (w == NULL) {
		snprintf(msg, msglen, "no such warehouse");
		return -1;
	}
	json_array_foreach (json_object_get(p, "warehouse_products"), i, wp) {
		if (json_equal(json_object_get(wp, "warehouse_id"),
			       json_object_get(w, "id"))) {
			int64_t alloc = sb_json_int(
				json_object_get(wp, "allocated"), 0);

			json_object_set_new(wp, "on_hand",
					    json_integer(on_hand));
			json_object_set_new(
				wp, "available",
				json_integer(on_hand - alloc > 0
						     ? on_hand - alloc
						     : 0));
			set_now(st, wp, "updated_at");
			set_now(st, p, "updated_at");
			return 0;
		}
	}
	json_array_append_new(json_object_get(p, "warehouse_products"),
			      warehouse_product(st, w, sku, on_hand,
						json_object_get(p, "price")));
	set_now(st, p, "updated_at");
	return 0;
}

/* ---- webhooks ----------------------------------------------------------- */

json_t *
sh_webhook_create(sh_state *st, const json_t *data, char *msg, size_t msglen)
{
	const char *name = sb_json_str(json_object_get(data, "name"), "");
	const char *url = sb_json_str(json_object_get(data, "url"), "");
	const char *shop =
		sb_json_str(json_object_get(data, "shop_name"), "api");
	char secret[48];
	json_t *h;
	size_t i;
	int64_t legacy;

	if (strncmp(url, "http://", 7) != 0 &&
	    strncmp(url, "https://", 8) != 0) {
		snprintf(msg, msglen, "Invalid url %.120s", url);
		return NULL;
	}
	json_array_foreach (st->webhooks, i, h) {
		if (strcmp(sb_json_str(json_object_get(h, "name"), ""), name) ==
			    0 &&
		    strcmp(sb_json_str(json_object_get(h, "shop_name"), ""),
			   shop) == 0) {
			snprintf(msg, msglen,
				 "A webhook named %.60s already exists for "
				 "shop %.60s",
				 name, shop);
			return NULL;
		}
	}
	legacy = st->next_webhook++;
	snprintf(secret, sizeof(secret), "shsecret%016llx",
		 (unsigned long long)sb_rng_next(&st->pf->hook_rng));
	h = json_object();
	set_gid(h, "Webhook", legacy);
	json_object_set_new(h, "account_id", json_string("QWNjb3VudDo0MjIy"));
	json_object_set_new(h, "shop_name", json_string(shop));
	json_object_set_new(h, "name", json_string(name));
	json_object_set_new(h, "url", json_string(url));
	json_object_set_new(h, "source", json_string("api"));
	json_object_set_new(h, "health", json_string("HEALTHY"));
	json_object_set_new(h, "failures", json_integer(0));
	json_object_set_new(h, "_secret", json_string(secret));
	json_array_append_new(st->webhooks, h);
	return h;
}

int
sh_webhook_delete(sh_state *st, const char *name, const char *shop)
{
	json_t *h;
	size_t i;

	json_array_foreach (st->webhooks, i, h) {
		if (strcmp(sb_json_str(json_object_get(h, "name"), ""), name) ==
			    0 &&
		    (shop == NULL ||
		     strcmp(sb_json_str(json_object_get(h, "shop_name"), ""),
			    shop) == 0)) {
			json_array_remove(st->webhooks, i);
			return 0;
		}
	}
	return -1;
}

/*
 * Health (reference §8, thresholds ours): a delivery given up after its
 * retries moves a HEALTHY hook to WARNING, a second one to UNHEALTHY,
 * which disables it; a delivered one makes it HEALTHY again.
 */
int
sh_on_delivery(sb_platform *pf, sb_delivery *d, int status, int last_attempt)
{
	sh_state *st = pf->priv;
	int ok = status >= 200 && status < 300;
	json_t *h;
	size_t i;

	if (!ok && !last_attempt)
		return 0;
	json_array_foreach (st->webhooks, i, h) {
		int64_t failures;

		if (sb_json_int(json_object_get(h, "legacy_id"), 0) !=
		    (int64_t)d->hook_id)
			continue;
		failures = sb_json_int(json_object_get(h, "failures"), 0);
		failures = ok ? 0 : failures + 1;
		json_object_set_new(h, "failures", json_integer(failures));
		json_object_set_new(h, "health",
				    json_string(failures == 0   ? "HEALTHY"
						: failures == 1 ? "WARNING"
								: "UNHEALTHY"));
	}
	return ok ? 1 : -1;
}

static void
send_event(sh_state *st, const char *name, json_t *payload)
{
	char *body = json_dumps(payload, JSON_COMPACT);
	unsigned char mac[32];
	char sig[64], msgid[48];
	json_t *h;
	size_t i;

	if (body == NULL)
		return;
	json_array_foreach (st->webhooks, i, h) {
		const char *secret =
			sb_json_str(json_object_get(h, "_secret"), "");
		sb_pair hdr[2];

		if (strcmp(sb_json_str(json_object_get(h, "name"), ""), name) !=
			    0 ||
		    strcmp(sb_json_str(json_object_get(h, "health"), ""),
			   "UNHEALTHY") == 0)
			continue;
		bc_hmac_sha256(mac, secret, strlen(secret), body, strlen(body));
		bc_base64(sig, sizeof(sig), mac, sizeof(mac));
		snprintf(msgid, sizeof(msgid), "%016llx-%016llx",
			 (unsigned long long)sb_rng_next(&st->pf->hook_rng),
			 (unsigned long long)st->next_request++);
		hdr[0].name = (char *)"X-ShipHero-HMAC-SHA256";
		hdr[0].value = sig;
		hdr[1].name = (char *)"X-ShipHero-Message-ID";
		hdr[1].value = msgid;
		sb_deliver(st->pf, "POST",
			   sb_json_str(json_object_get(h, "url"), ""),
			   "application/json", body, hdr, 2,
			   st->hook_schedule_ms, SH_HOOK_RETRIES,
			   (uint64_t)sb_json_int(
				   json_object_get(h, "legacy_id"), 0),
			   name);
	}
	free(body);
}

/* ---- shipping ----------------------------------------------------------- */

/* Shipped units leave the line's warehouse: on_hand and available drop
 * (never below 0; an unknown SKU has no stock to take). */
static void
take_stock(sh_state *st, json_t *line, int64_t q)
{
	json_t *p = sh_product_by_sku(
		st, sb_json_str(json_object_get(line, "sku"), ""));
	json_t *wp;
	size_t i;

	json_array_foreach (json_object_get(p, "warehouse_products"), i, wp) {
		int64_t oh, av;

		if (!json_equal(json_object_get(wp, "warehouse_id"),
				json_object_get(line, "warehouse_id")))
			continue;
		oh = sb_json_int(json_object_get(wp, "on_hand"), 0) - q;
		av = sb_json_int(json_object_get(wp, "available"), 0) - q;
		json_object_set_new(wp, "on_hand",
				    json_integer(oh > 0 ? oh : 0));
		json_object_set_new(wp, "available",
				    json_integer(av > 0 ? av : 0));
		set_now(st, wp, "updated_at");
		return;
	}
}

static json_t *
line_by_partner_id(json_t *order, const char *plid)
{
	json_t *l;
	size_t i;

	json_array_foreach (json_object_get(order, "line_items"), i, l) {
		if (strcmp(sb_json_str(
				   json_object_get(l, "partner_line_item_id"),
				   ""),
			   plid) == 0)
			return l;
	}
	return NULL;
}

size_t
sh_shipments_from(sh_state *st, time_t t)
{
	size_t lo = 0, hi = json_array_size(st->shipments);

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int64_t ct = sb_json_int(
			json_object_get(json_array_get(st->shipments, mid),
					"_created"),
			0);

		if (ct < (int64_t)t)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/*
 * The Shipment Update of package i (0-based) of npk in shipment ship:
 * the confirmed keys of reference §9 plus its suggested ones, sent to
 * every hook of that name.
 */
static void
notify_package(sh_state *st, json_t *order, json_t *ship, json_t *w, json_t *x,
	       size_t i, size_t npk)
{
	json_t *lines = json_object_get(x, "_lines");
	json_t *ful = json_pack(
		"{s:I, s:s, s:O, s:I, s:O, s:s, s:O?, s:O?, s:O, s:O, "
		"s:s, s:I, s:I, s:O, s:O, s:O, s:I, s:s}",
		"shipment_id",
		(json_int_t)sb_json_int(json_object_get(ship, "legacy_id"), 0),
		"shipment_uuid", json_string_value(json_object_get(ship, "id")),
		"warehouse", json_object_get(w, "identifier"), "warehouse_id",
		(json_int_t)sb_json_int(json_object_get(w, "legacy_id"), 0),
		"warehouse_uuid", json_object_get(w, "id"), "webhook_type",
		"Shipment Update", "partner_order_id",
		json_object_get(order, "partner_order_id"), "order_number",
		json_object_get(order, "order_number"), "tracking_number",
		json_object_get(x, "tracking_number"), "line_items", lines,
		"custom_tracking_url", "", "package_number", (json_int_t)i + 1,
		"total_packages", (json_int_t)npk, "shipping_method",
		json_object_get(x, "shipping_method"), "shipping_carrier",
		json_object_get(x, "carrier"), "order_uuid",
		json_object_get(order, "id"), "order_id",
		(json_int_t)sb_json_int(json_object_get(order, "legacy_id"), 0),
		"shipped_at",
		json_string_value(json_object_get(ship, "created_date")));
	json_t *payload;

	json_object_set_new(
		ful, "packages",
		json_pack("[{s:O, s:O, s:O, s:O, s:O, s:O}]", "name",
			  json_object_get(x, "box_name"), "tracking_number",
			  json_object_get(x, "tracking_number"),
			  "shipping_carrier", json_object_get(x, "carrier"),
			  "shipping_method",
			  json_object_get(x, "shipping_method"), "tracking_url",
			  json_object_get(x, "tracking_url"), "line_items",
			  lines));
	payload = json_pack("{s:s, s:s, s:o}", "test", "0", "webhook_type",
			    "Shipment Update", "fulfillment", ful);
	send_event(st, "Shipment Update", payload);
	json_decref(payload);
}

json_t *
sh_ship(sh_state *st, json_t *order, const json_t *packages, char *msg,
	size_t msglen)
{
	json_t *pk = NULL, *ship, *labels, *slines, *p, *x, *l, *w = NULL;
	const char *status =
		sb_json_str(json_object_get(order, "fulfillment_status"), "");
	size_t i, j, npk;
	int64_t sid, all_left = 0;
	char d[32];

	if (strcmp(status, "canceled") == 0 ||
	    strcmp(status, "fulfilled") == 0) {
		snprintf(msg, msglen, "order is %s", status);
		return NULL;
	}
	if (packages == NULL || json_array_size(packages) == 0) {
		json_t *lines = json_array();

		json_array_foreach (json_object_get(order, "line_items"), i,
				    l) {
			int64_t left = sb_json_int(
				json_object_get(l,
						"quantity_pending_fulfillment"),
				0);

			if (left > 0)
				json_array_append_new(
					lines,
					json_pack(
						"{s:O, s:I}",
						"partner_line_item_id",
						json_object_get(
							l,
							"partner_line_item_id"),
						"quantity", (json_int_t)left));
		}
		pk = json_pack("[{s:o}]", "lines", lines);
		packages = pk;
	}
	/* check every quantity before changing anything */
	json_array_foreach (json_object_get(order, "line_items"), i, l)
		json_object_set_new(l, "_take", json_integer(0));
	json_array_foreach (packages, i, p) {
		json_array_foreach (json_object_get(p, "lines"), j, x) {
			const char *plid = sb_json_str(
				json_object_get(x, "partner_line_item_id"), "");
			int64_t q =
				sb_json_int(json_object_get(x, "quantity"), 0);

			l = line_by_partner_id(order, plid);
			if (l == NULL || q <= 0) {
				snprintf(msg, msglen,
					 l ? "quantity must be positive"
					   : "no line %.80s",
					 plid);
				goto fail;
			}
			json_object_set_new(
				l, "_take",
				json_integer(
					sb_json_int(json_object_get(l, "_take"),
						    0) +
					q));
			if (sb_json_int(json_object_get(l, "_take"), 0) >
			    sb_json_int(
				    json_object_get(
					    l, "quantity_pending_fulfillment"),
				    0)) {
				snprintf(
					msg, msglen,
					"line %.80s: more than is left to ship",
					plid);
				goto fail;
			}
		}
	}
	npk = json_array_size(packages);
	if (npk == 0 || npk > 50) {
		snprintf(msg, msglen, "between 1 and 50 packages");
		goto fail;
	}
	sid = st->next_shipment++;
	ship = json_object();
	set_gid(ship, "Shipment", sid);
	json_object_set(ship, "order_id", json_object_get(order, "id"));
	json_object_set_new(ship, "user_id", json_string("VXNlcjoxMDAx"));
	json_object_set_new(ship, "_created", json_integer(sh_now(st)));
	json_object_set_new(ship, "created_date",
			    json_string(sh_date(d, sizeof(d), sh_now(st))));
	json_object_set_new(ship, "profile", json_string("default"));
	json_object_set_new(ship, "picked_up", json_false());
	json_object_set_new(ship, "needs_refund", json_false());
	json_object_set_new(ship, "refunded", json_false());
	json_object_set_new(ship, "delivered", json_false());
	json_object_set_new(ship, "dropshipment", json_false());
	json_object_set_new(ship, "shipped_off_shiphero", json_false());
	json_object_set_new(ship, "completed", json_true());
	json_object_set_new(ship, "total_packages",
			    json_integer((json_int_t)npk));
	{
		json_t *sa = json_object_get(order, "shipping_address");

		json_object_set_new(
			ship, "address",
			json_pack("{s:s, s:O?, s:O?, s:O?, s:O?, s:O?, s:O?, "
				  "s:O?}",
				  "name", "", "address1",
				  json_object_get(sa, "address1"), "address2",
				  json_object_get(sa, "address2"), "city",
				  json_object_get(sa, "city"), "state",
				  json_object_get(sa, "state"), "country",
				  json_object_get(sa, "country"), "zip",
				  json_object_get(sa, "zip"), "phone",
				  json_object_get(sa, "phone")));
	}
	labels = json_array();
	slines = json_array();
	json_array_foreach (packages, i, p) {
		int64_t lab = st->next_label++;
		const char *carrier =
			sb_json_str(json_object_get(p, "carrier"), "ups");
		const char *method =
			sb_json_str(json_object_get(p, "method"), "Ground");
		char tracking[64], url[160];
		json_t *label = json_object(), *wline = json_array();

		snprintf(
			tracking, sizeof(tracking), "%s",
			sb_json_str(json_object_get(p, "tracking_number"), ""));
		if (tracking[0] == '\0' &&
		    !json_is_string(json_object_get(p, "tracking_number")))
			snprintf(tracking, sizeof(tracking), "1Z%012lld",
				 (long long)lab);
		snprintf(url, sizeof(url), "https://tracking.example.com/%s/%s",
			 carrier, tracking);
		set_gid(label, "ShippingLabel", lab);
		json_object_set(label, "shipment_id",
				json_object_get(ship, "id"));
		json_object_set(label, "order_id",
				json_object_get(order, "id"));
		json_object_set(label, "order_number",
				json_object_get(order, "order_number"));
		json_object_set_new(label, "account_id",
				    json_string("QWNjb3VudDo0MjIy"));
		json_object_set_new(label, "order_account_id",
				    json_string("4222"));
		json_object_set_new(label, "status", json_string("valid"));
		json_object_set_new(label, "tracking_number",
				    json_string(tracking));
		json_object_set_new(label, "tracking_url", json_string(url));
		json_object_set_new(label, "carrier", json_string(carrier));
		json_object_set_new(label, "shipping_name",
				    json_sprintf("%s %s", carrier, method));
		json_object_set_new(label, "shipping_method",
				    json_string(method));
		json_object_set_new(label, "cost", json_string("0.00"));
		json_object_set_new(label, "package_number",
				    json_integer((json_int_t)i + 1));
		json_object_set_new(label, "box_name",
				    json_sprintf("Package #%zu", i + 1));
		json_object_set_new(label, "insurance_amount",
				    json_string("0.00"));
		json_object_set_new(label, "source", json_string("api"));
		json_object_set(label, "created_date",
				json_object_get(ship, "created_date"));
		json_array_foreach (json_object_get(p, "lines"), j, x) {
			int64_t q =
				sb_json_int(json_object_get(x, "quantity"), 0);
			int64_t slid = st->next_ship_line++;
			json_t *sl = json_object();
			int64_t left;

			l = line_by_partner_id(
				order,
				sb_json_str(json_object_get(
						    x, "partner_line_item_id"),
					    ""));
			if (w == NULL)
				w = sh_warehouse_find(
					st,
					sb_json_str(json_object_get(
							    l, "warehouse_id"),
						    ""));
			left = sb_json_int(
				       json_object_get(
					       l,
					       "quantity_pending_fulfillment"),
				       0) -
			       q;
			json_object_set_new(l, "quantity_pending_fulfillment",
					    json_integer(left));
			json_object_set_new(
				l, "quantity_shipped",
				json_integer(
					sb_json_int(
						json_object_get(
							l, "quantity_shipped"),
						0) +
					q));
			json_object_set_new(l, "quantity_allocated",
					    json_integer(left));
			json_object_set_new(l, "fulfillment_status",
					    json_string(left == 0 ? "fulfilled"
								  : "pending"));
			take_stock(st, l, q);
			set_gid(sl, "ShippedLineItem", slid);
			json_object_set(sl, "line_item_id",
					json_object_get(l, "id"));
			json_object_set(sl, "shipment_id",
					json_object_get(ship, "id"));
			json_object_set(sl, "shipping_label_id",
					json_object_get(label, "id"));
			json_object_set_new(sl, "quantity", json_integer(q));
			json_object_set(sl, "line_item", l);
			json_array_append_new(slines, sl);
			json_array_append_new(
				wline,
				json_pack(
					"{s:O, s:I, s:I, s:O, s:[], s:s, "
					"s:s, s:n, s:n, s:n}",
					"id",
					json_object_get(l,
							"partner_line_item_id"),
					"shiphero_id",
					(json_int_t)sb_json_int(
						json_object_get(l, "legacy_id"),
						0),
					"quantity", (json_int_t)q, "sku",
					json_object_get(l, "sku"),
					"serial_numbers", "customs_description",
					"", "package",
					json_string_value(json_object_get(
						label, "box_name")),
					"lot_id", "lot_name",
					"lot_expiration"));
		}
		json_object_set_new(label, "_lines", wline);
		json_array_append_new(labels, label);
	}
	if (w == NULL)
		w = json_array_get(st->warehouses, 0);
	json_object_set(ship, "warehouse_id", json_object_get(w, "id"));
	json_array_foreach (labels, i, x)
		json_object_set(x, "warehouse_id", json_object_get(w, "id"));
	json_object_set_new(ship, "line_items", slines);
	json_object_set_new(ship, "shipping_labels", labels);
	json_array_append_new(st->shipments, ship);
	{
		json_t *list = json_object_get(order, "_shipments");

		if (list == NULL) {
			list = json_array();
			json_object_set_new(order, "_shipments", list);
		}
		json_array_append_new(list,
				      json_integer((json_int_t)json_array_size(
							   st->shipments) -
						   1));
	}
	json_array_foreach (json_object_get(order, "line_items"), i, l) {
		all_left += sb_json_int(
			json_object_get(l, "quantity_pending_fulfillment"), 0);
		json_object_del(l, "_take");
	}
	/* partial: the order stays pending until every unit has shipped
	 * (ShipHero's own partial status strings are unconfirmed) */
	sh_order_set_status(st, order, all_left == 0 ? "fulfilled" : "pending");

	/* one Shipment Update per package (reference §9) */
	json_array_foreach (labels, i, x) {
		notify_package(st, order, ship, w, x, i, npk);
		json_object_del(x, "_lines");
	}
	json_decref(pk);
	return ship;
fail:
	json_array_foreach (json_object_get(order, "line_items"), i, l)
		json_object_del(l, "_take");
	json_decref(pk);
	return NULL;
}
