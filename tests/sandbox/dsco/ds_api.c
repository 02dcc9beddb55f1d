/*
 * ds_api.c - the DSCO simulator's resources: orders (page, single),
 * acknowledgements, shipments, item cancellations, inventory, invoices,
 * change logs, warehouses, and the route table.
 *
 * Lifecycle (README, DSCO): received -> created -> acknowledged ->
 * completed; completed once every line's quantity is shipped or
 * cancelled.  The legacy dscoStatus goes created -> shipment_pending (at
 * acknowledge) -> shipped (any quantity shipped); cancelled only when all
 * quantity is cancelled.
 */
#include "ds.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- orders ------------------------------------------------------------- */

json_t *
ds_order_by_id(ds_state *ds, const char *id)
{
	return id ? json_object_get(ds->orders, id) : NULL;
}

json_t *
ds_order_by_key(ds_state *ds, const char *key, const char *value)
{
	json_t *id = NULL;

	if (!value)
		return NULL;
	if (strcmp(key, "dscoOrderId") == 0)
		return ds_order_by_id(ds, value);
	if (strcmp(key, "poNumber") == 0)
		id = json_object_get(ds->by_po, value);
	else if (strcmp(key, "supplierOrderNumber") == 0)
		id = json_object_get(ds->by_son, value);
	return id ? ds_order_by_id(ds, json_string_value(id)) : NULL;
}

json_t *
ds_order_of(ds_state *ds, json_t *obj)
{
	static const char *const keys[] = {"dscoOrderId", "poNumber",
					   "supplierOrderNumber"};
	char buf[32];
	size_t i;

	for (i = 0; i < 3; i++) {
		const char *v = ds_id_text(json_object_get(obj, keys[i]), buf,
					   sizeof(buf));

		if (v)
			return ds_order_by_key(ds, keys[i], v);
	}
	return NULL;
}

json_t *
ds_order_render(json_t *order)
{
	json_t *out = json_deep_copy(order), *v;
	const char *k;
	void *tmp;

	json_object_foreach_safe (out, tmp, k, v)
		if (k[0] == '_')
			json_object_del(out, k);
	return out;
}

void
ds_order_touch(ds_state *ds, json_t *order, const char *reason)
{
	char when[40];
	int64_t now = ds_wall_ms();

	/* updates are strictly ordered even within one millisecond */
	if (now <= sb_json_int(json_object_get(order, "_updated_ms"), 0))
		now = sb_json_int(json_object_get(order, "_updated_ms"), 0) + 1;
	json_object_set_new(order, "_updated_ms", json_integer(now));
	json_object_set_new(order, "dscoLastUpdate",
			    json_string(ds_iso(when, sizeof(when), now)));
	ds_event_add(ds, order, reason);
}

static int64_t
jint(json_t *o, const char *k)
{
	return sb_json_int(json_object_get(o, k), 0);
}

static void
set_int(json_t *o, const char *k, int64_t v)
{
	json_object_set_new(o, k, json_integer((json_int_t)v));
}

void
ds_order_settle(json_t *order)
{
	json_t *lines = json_object_get(order, "lineItems"), *l;
	int64_t shipped = 0, cancelled = 0, remaining = 0, total = 0;
	const char *life;
	size_t i;

	json_array_foreach (lines, i, l) {
		int64_t acc = jint(l, "acceptedQuantity");
		int64_t rem = acc - jint(l, "shippedQuantity") -
			      jint(l, "cancelledQuantity");

		if (rem < 0)
			rem = 0;
		set_int(l, "remainingQuantity", rem);
		if (rem == 0 && jint(l, "shippedQuantity") == 0 &&
		    jint(l, "cancelledQuantity") > 0)
			json_object_set_new(l, "status",
					    json_string("cancelled"));
		shipped += jint(l, "shippedQuantity");
		cancelled += jint(l, "cancelledQuantity");
		remaining += rem;
		total += acc;
	}
	life = json_string_value(json_object_get(order, "dscoLifecycle"));
	if (remaining == 0 && total > 0 && life &&
	    strcmp(life, "received") != 0)
		json_object_set_new(order, "dscoLifecycle",
				    json_string("completed"));
	if (total > 0 && cancelled == total)
		json_object_set_new(order, "dscoStatus",
				    json_string("cancelled"));
	else if (shipped > 0)
		json_object_set_new(order, "dscoStatus",
				    json_string("shipped"));
}

void
ds_line_activity(json_t *line, const char *action, int64_t qty,
		 const char *reason)
{
	static unsigned long long n;
	json_t *act = json_object_get(line, "activity");
	char when[40], uuid[48];

	if (!json_is_array(act)) {
		act = json_array();
		json_object_set_new(line, "activity", act);
	}
	n++;
	snprintf(uuid, sizeof(uuid), "00000000-0000-4000-8000-%012llx", n);
	json_array_append_new(
		act, json_pack("{s:s,s:I,s:s,s:s,s:s}", "action", action,
			       "quantity", (json_int_t)qty, "reason", reason,
			       "uuid", uuid, "activityDate",
			       ds_iso(when, sizeof(when), ds_wall_ms())));
}

static json_t *
default_shipping(void)
{
	return json_pack("{s:s,s:s,s:s,s:s,s:[s],s:s,s:s,s:s,s:s,s:s}",
			 "firstName", "Pat", "lastName", "Sample", "name",
			 "Pat Sample", "address1", "100 Main St", "address",
			 "100 Main St", "city", "Springfield", "region", "IL",
			 "state", "IL", "postal", "62701", "country", "US");
}

json_t *
ds_order_create(ds_state *ds, json_t *in, const char **err)
{
	const char *po = sb_json_str(json_object_get(in, "poNumber"), NULL);
	const char *life =
		sb_json_str(json_object_get(in, "lifecycle"), "created");
	const char *created =
		sb_json_str(json_object_get(in, "createdAt"), NULL);
	json_t *lines = json_object_get(in, "lines"), *l, *o, *out_lines;
	json_t *shipping = json_object_get(in, "shipping"), *v;
	char id[32], when[40];
	int64_t ms = ds_wall_ms();
	double total = 0;
	size_t i;

	if (!po || !*po) {
		*err = "poNumber is required";
		return NULL;
	}
	if (json_object_get(ds->by_po, po)) {
		*err = "poNumber already exists";
		return NULL;
	}
	if (!json_is_array(lines) || json_array_size(lines) == 0) {
		*err = "lines[] is required";
		return NULL;
	}
	if (strcmp(life, "created") != 0 && strcmp(life, "received") != 0) {
		*err = "lifecycle must be created or received";
		return NULL;
	}
	if (created && ds_parse_time(created, &ms)) {
		*err = "createdAt is not ISO-8601";
		return NULL;
	}
	out_lines = json_array();
	json_array_foreach (lines, i, l) {
		const char *sku = sb_json_str(json_object_get(l, "sku"), NULL);
		int64_t q = sb_json_int(json_object_get(l, "quantity"), 0);
		json_t *item = sku ? json_object_get(ds->items, sku) : NULL;
		json_t *line;
		double cost =
			json_number_value(json_object_get(l, "expectedCost"));

		if (!sku || q < 1) {
			json_decref(out_lines);
			*err = "each line needs sku and quantity >= 1";
			return NULL;
		}
		line = json_deep_copy(l);
		if (!json_object_get(line, "lineNumber"))
			set_int(line, "lineNumber", (int64_t)i + 1);
		if (!json_object_get(line, "partnerSku"))
			json_object_set_new(line, "partnerSku",
					    json_string(sku));
		if (!json_object_get(line, "dscoItemId")) {
			const char *iid =
				item ? sb_json_str(json_object_get(
							   item, "dscoItemId"),
						   NULL)
				     : NULL;

			if (iid) {
				json_object_set_new(line, "dscoItemId",
						    json_string(iid));
			} else {
				snprintf(id, sizeof(id), "%lld",
					 (long long)++ds->next_item);
				json_object_set_new(line, "dscoItemId",
						    json_string(id));
			}
		}
		if (item && !json_object_get(line, "title") &&
		    json_object_get(item, "title"))
			json_object_set(line, "title",
					json_object_get(item, "title"));
		if (!json_object_get(line, "expectedCost"))
			json_object_set_new(line, "expectedCost", json_real(0));
		json_object_set_new(line, "status", json_string("accepted"));
		set_int(line, "acceptedQuantity", q);
		set_int(line, "cancelledQuantity", 0);
		set_int(line, "rejectedQuantity", 0);
		set_int(line, "shippedQuantity", 0);
		set_int(line, "remainingQuantity", q);
		json_object_set_new(line, "activity", json_array());
		total += cost * (double)q;
		json_array_append_new(out_lines, line);
	}
	snprintf(id, sizeof(id), "%lld", (long long)++ds->next_order);
	o = json_deep_copy(json_object_get(in, "extra"));
	if (!json_is_object(o)) {
		json_decref(o);
		o = json_object();
	}
	json_object_set_new(o, "dscoOrderId", json_string(id));
	json_object_set_new(o, "poNumber", json_string(po));
	if ((v = json_object_get(in, "consumerOrderNumber")) != NULL)
		json_object_set(o, "consumerOrderNumber", v);
	json_object_set_new(o, "dscoLifecycle", json_string(life));
	json_object_set_new(o, "dscoStatus", json_string("created"));
	/* the spec's enum ("Dropship"), or the lower case seen on the wire */
	json_object_set_new(
		o, "orderType",
		json_string(ds->observed_forms ? "dropship" : "Dropship"));
	json_object_set_new(
		o, "testFlag",
		json_boolean(json_is_true(json_object_get(in, "testFlag"))));
	json_object_set_new(o, "currencyCode", json_string("USD"));
	json_object_set_new(
		o, "dscoRetailerId",
		json_string(sb_json_str(json_object_get(in, "retailerId"),
					"1000012")));
	json_object_set_new(o, "dscoSupplierId", json_string("1000099"));
	json_object_set_new(o, "dscoSupplierName",
			    json_string("Sandbox Supplier"));
	json_object_set_new(o, "dscoTradingPartnerId", json_string("TP-1"));
	json_object_set_new(
		o, "dscoTradingPartnerName",
		json_string(sb_json_str(json_object_get(in, "retailerName"),
					"Sandbox Retailer")));
	ds_iso(when, sizeof(when), ms);
	json_object_set_new(o, "retailerCreateDate", json_string(when));
	json_object_set_new(o, "dscoCreateDate", json_string(when));
	json_object_set_new(o, "consumerOrderDate", json_string(when));
	json_object_set_new(
		o, "shipByDate",
		json_string(ds_iso(when, sizeof(when), ms + 3 * 86400000LL)));
	v = json_object_get(in, "shippingServiceLevelCode");
	json_object_set_new(o, "requestedShippingServiceLevelCode",
			    json_string(sb_json_str(v, "GCG")));
	json_object_set_new(o, "shippingServiceLevelCode",
			    json_string(sb_json_str(v, "GCG")));
	json_object_set_new(o, "shipping",
			    json_is_object(shipping) ? json_deep_copy(shipping)
						     : default_shipping());
	json_object_set_new(o, "lineItems", out_lines);
	json_object_set_new(o, "packages", json_array());
	set_int(o, "numberOfLineItems", (int64_t)json_array_size(out_lines));
	json_object_set_new(o, "extendedExpectedCostTotal", json_real(total));
	json_object_set_new(o, "cancelRequested", json_false());
	set_int(o, "_created_ms", ms);
	set_int(o, "_updated_ms", ms);
	json_object_set_new(o, "dscoLastUpdate",
			    json_string(ds_iso(when, sizeof(when), ms)));
	json_object_set_new(ds->orders, id, o);
	json_array_append_new(ds->order_ids, json_string(id));
	json_object_set_new(ds->by_po, po, json_string(id));
	ds_event_add(ds, o, "create");
	return o;
}

/* Visible to the supplier (not still "received"; test orders only on
 * request). */
static int
visible(json_t *o, int tests)
{
	const char *life =
		json_string_value(json_object_get(o, "dscoLifecycle"));

	if (life && strcmp(life, "received") == 0)
		return 0;
	return tests || !json_is_true(json_object_get(o, "testFlag"));
}

static int
status_wanted(sb_request *req, json_t *o)
{
	const char *st = json_string_value(json_object_get(o, "dscoStatus"));
	size_t i;
	int any = 0;

	for (i = 0; i < req->nquery; i++) {
		if (strcmp(req->query[i].name, "status") != 0)
			continue;
		any = 1;
		if (st && strcmp(req->query[i].value, st) == 0)
			return 1;
	}
	return !any;
}

static int
bad_status_param(sb_request *req)
{
	static const char *const ok[] = {"created", "shipment_pending",
					 "shipped", "cancelled"};
	size_t i, j;

	for (i = 0; i < req->nquery; i++) {
		int hit = 0;

		if (strcmp(req->query[i].name, "status") != 0)
			continue;
		for (j = 0; j < 4; j++)
			hit |= strcmp(req->query[i].value, ok[j]) == 0;
		if (!hit)
			return 1;
	}
	return 0;
}

static int64_t cmp_key_field; /* 0 created, 1 updated (qsort context) */

static int
cmp_orders(const void *a, const void *b)
{
	const char *k = cmp_key_field ? "_updated_ms" : "_created_ms";
	int64_t x = jint(*(json_t *const *)a, k);
	int64_t y = jint(*(json_t *const *)b, k);

	return x < y ? -1 : x > y;
}

static void
page_reply(ds_state *ds, sb_response *resp, json_t *scroll, const char *sid)
{
	int more;
	json_t *ids = ds_scroll_page(ds, scroll, &more), *orders, *v, *o;
	json_t *out;
	size_t i;

	orders = json_array();
	json_array_foreach (ids, i, v)
		if ((o = ds_order_by_id(ds, json_string_value(v))) != NULL)
			json_array_append_new(orders, ds_order_render(o));
	json_decref(ids);
	out = json_pack("{s:o}", "orders", orders);
	if (more)
		json_object_set_new(out, "scrollId", json_string(sid));
	sb_resp_json(resp, 200, out, NULL);
}

static int
r_order_page(ds_state *ds, sb_request *req, sb_response *resp)
{
	const char *scroll = sb_req_query(req, "scrollId");
	const char *con = sb_req_query(req, "consumerOrderNumber");
	const char *cs = sb_req_query(req, "ordersCreatedSince");
	const char *us = sb_req_query(req, "ordersUpdatedSince");
	const char *until = sb_req_query(req, "until");
	const char *per_s = sb_req_query(req, "ordersPerPage");
	const char *tests = sb_req_query(req, "includeTestOrders");
	int64_t per = 1000, since = 0, to = 0;
	json_t *sel, **arr, *v, *o, *s;
	size_t i, n = 0;
	char sid[64];

	if (scroll) {
		/* every other parameter is ignored */
		s = ds_scroll_get(ds, scroll);
		if (!s) {
			ds_message(resp, 404, "Page not found or expired");
			return 0;
		}
		page_reply(ds, resp, s, scroll);
		return 0;
	}
	if (per_s && (sb_parse_int(per_s, &per) || per < 10 || per > 1000)) {
		ds_fail(ds, resp, "INVALID_PARAMETER",
			"ordersPerPage must be between 10 and 1000");
		return 0;
	}
	if (bad_status_param(req)) {
		ds_fail(ds, resp, "INVALID_PARAMETER",
			"status must be created, shipment_pending, shipped or "
			"cancelled");
		return 0;
	}
	if (!con) {
		if ((!cs && !us) || !until) {
			ds_fail(ds, resp, "INVALID_PARAMETER",
				"ordersCreatedSince or ordersUpdatedSince, and "
				"until, are required");
			return 0;
		}
		if (ds_parse_time(cs ? cs : us, &since) ||
		    ds_parse_time(until, &to)) {
			ds_fail(ds, resp, "INVALID_PARAMETER",
				"dates must be ISO-8601");
			return 0;
		}
		if (to > ds_wall_ms() - ds->until_lag_s * 1000) {
			ds_fail(ds, resp, "INVALID_PARAMETER",
				"until must be at least %lld seconds in the "
				"past",
				(long long)ds->until_lag_s);
			return 0;
		}
	}
	arr = malloc((json_array_size(ds->order_ids) + 1) * sizeof(*arr));
	if (!arr) {
		ds_message(resp, 500, "Internal server error");
		return 0;
	}
	json_array_foreach (ds->order_ids, i, v) {
		o = ds_order_by_id(ds, json_string_value(v));
		if (!o || !visible(o, tests && strcmp(tests, "true") == 0) ||
		    !status_wanted(req, o))
			continue;
		if (con) {
			if (!json_is_string(json_object_get(
				    o, "consumerOrderNumber")) ||
			    strcmp(con, json_string_value(json_object_get(
						o, "consumerOrderNumber"))) !=
				    0)
				continue;
		} else if (cs) {
			/* created: since inclusive, until exclusive */
			if (jint(o, "_created_ms") < since ||
			    jint(o, "_created_ms") >= to)
				continue;
		} else {
			/* updated: since exclusive */
			if (jint(o, "_updated_ms") <= since ||
			    jint(o, "_updated_ms") >= to)
				continue;
		}
		arr[n++] = o;
	}
	cmp_key_field = !con && !cs;
	qsort(arr, n, sizeof(*arr), cmp_orders);
	sel = json_array();
	for (i = 0; i < n; i++)
		json_array_append(sel, json_object_get(arr[i], "dscoOrderId"));
	free(arr);
	s = ds_scroll_new(ds, sel, (size_t)per, sid, sizeof(sid));
	json_decref(sel);
	page_reply(ds, resp, s, sid);
	return 0;
}

static int
r_order_get(ds_state *ds, sb_request *req, sb_response *resp)
{
	const char *key = sb_req_query(req, "orderKey");
	const char *value = sb_req_query(req, "value");
	json_t *o;

	if (!key || !value ||
	    (strcmp(key, "dscoOrderId") != 0 && strcmp(key, "poNumber") != 0 &&
	     strcmp(key, "supplierOrderNumber") != 0)) {
		ds_fail(ds, resp, "INVALID_PARAMETER",
			"orderKey (dscoOrderId, poNumber or "
			"supplierOrderNumber) and value are required");
		return 0;
	}
	o = ds_order_by_key(ds, key, value);
	if (!o || !visible(o, 1)) {
		/* UNCONFIRMED: the spec gives no not-found reply */
		ds_message(resp, 404, "Order not found");
		return 0;
	}
	sb_resp_json(resp, 200, ds_order_render(o), NULL);
	return 0;
}

/* ---- acknowledge -------------------------------------------------------- */

/* The order an acknowledge or cancel names by {id, type}. */
static json_t *
order_by_type(ds_state *ds, json_t *item, json_t *msgs)
{
	const char *type = sb_json_str(json_object_get(item, "type"), NULL);
	char buf[32];
	const char *id =
		ds_id_text(json_object_get(item, "id"), buf, sizeof(buf));
	const char *key;
	json_t *o;

	if (!type || !id) {
		json_array_append_new(msgs, ds_msg("MISSING_FIELD", "error",
						   "id and type are required"));
		return NULL;
	}
	if (strcmp(type, "DSCO_ORDER_ID") == 0)
		key = "dscoOrderId";
	else if (strcmp(type, "PO_NUMBER") == 0)
		key = "poNumber";
	else if (strcmp(type, "SUPPLIER_ORDER_NUMBER") == 0)
		key = "supplierOrderNumber";
	else {
		json_array_append_new(
			msgs, ds_msg("INVALID_FIELD", "error",
				     "type '%s' is not DSCO_ORDER_ID, "
				     "PO_NUMBER or SUPPLIER_ORDER_NUMBER",
				     type));
		return NULL;
	}
	o = ds_order_by_key(ds, key, id);
	if (!o || !visible(o, 1)) {
		json_array_append_new(msgs,
				      ds_msg("ORDER_NOT_FOUND", "error",
					     "no order with %s '%s'", key, id));
		return NULL;
	}
	return o;
}

static void
set_supplier_number(ds_state *ds, json_t *o, json_t *son)
{
	const char *old;

	if (!json_is_string(son) || json_string_length(son) == 0)
		return;
	old = sb_json_str(json_object_get(o, "supplierOrderNumber"), NULL);
	if (old)
		json_object_del(ds->by_son, old);
	json_object_set(o, "supplierOrderNumber", son);
	json_object_set(ds->by_son, json_string_value(son),
			json_object_get(o, "dscoOrderId"));
}

int
ds_apply_ack(ds_state *ds, json_t *item, json_t *msgs)
{
	json_t *o = order_by_type(ds, item, msgs);
	const char *life;

	if (!o)
		return -1;
	life = json_string_value(json_object_get(o, "dscoLifecycle"));
	set_supplier_number(ds, o,
			    json_object_get(item, "supplierOrderNumber"));
	if (strcmp(life, "created") == 0) {
		json_object_set_new(o, "dscoLifecycle",
				    json_string("acknowledged"));
		if (strcmp(sb_json_str(json_object_get(o, "dscoStatus"), ""),
			   "created") == 0)
			json_object_set_new(o, "dscoStatus",
					    json_string("shipment_pending"));
	} else {
		json_array_append_new(msgs,
				      ds_msg("ALREADY_ACKNOWLEDGED", "info",
					     "order already %s", life));
	}
	ds_order_touch(ds, o, "update_status_lifecycle");
	return 0;
}

/* An async endpoint: the body must be a JSON array. */
static int
async_post(ds_state *ds, sb_request *req, sb_response *resp,
	   enum ds_async_kind kind)
{
	const char *err = NULL;
	json_t *body = sb_req_json(req, &err);
	char rid[64];

	if (!json_is_array(body)) {
		json_decref(body);
		ds_fail(ds, resp, "INVALID_BODY",
			"the body must be a JSON array");
		return 0;
	}
	ds_async_queue(ds, kind, body, rid, sizeof(rid));
	json_decref(body);
	ds_envelope(ds, resp, 202, "pending", rid, NULL);
	return 0;
}

static int
r_ack(ds_state *ds, sb_request *req, sb_response *resp)
{
	return async_post(ds, req, resp, DS_ASYNC_ACK);
}

/* ---- shipments ---------------------------------------------------------- */

static const char *const item_keys[] = {"dscoItemId", "sku", "partnerSku",
					"upc", "ean"};

/* The order line a shipment/cancel/invoice line names; borrowed or NULL.
 * With lineNumber, that line; else the first line whose identifier
 * matches (preferring one with quantity left). */
static json_t *
find_line(json_t *order, json_t *want)
{
	json_t *lines = json_object_get(order, "lineItems"), *l, *hit = NULL;
	json_t *ln = json_object_get(want, "lineNumber");
	size_t i, k;

	json_array_foreach (lines, i, l) {
		if (ln) {
			if (jint(l, "lineNumber") == sb_json_int(ln, -1))
				return l;
			continue;
		}
		for (k = 0; k < 5; k++) {
			const char *a = sb_json_str(
				json_object_get(want, item_keys[k]), NULL);
			const char *b = sb_json_str(
				json_object_get(l, item_keys[k]), NULL);

			if (a && b && strcmp(a, b) == 0)
				break;
		}
		if (k == 5)
			continue;
		if (jint(l, "remainingQuantity") > 0)
			return l;
		if (!hit)
			hit = l;
	}
	return hit;
}

static int
has_item_id(json_t *line)
{
	size_t k;

	for (k = 0; k < 5; k++) {
		json_t *v = json_object_get(line, item_keys[k]);

		if ((json_is_string(v) && json_string_length(v) > 0) ||
		    json_is_integer(v))
			return 1;
	}
	return 0;
}

static int refuse(json_t *msgs, const char *code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int
refuse(json_t *msgs, const char *code, const char *fmt, ...)
{
	char buf[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	json_array_append_new(msgs, ds_msg(code, "error", "%s", buf));
	return -1;
}

static int
tracking_known(json_t *order, const char *tn)
{
	json_t *p;
	size_t i;

	json_array_foreach (json_object_get(order, "packages"), i, p)
		if (strcmp(sb_json_str(json_object_get(p, "trackingNumber"),
				       ""),
			   tn) == 0)
			return 1;
	return 0;
}

/* Check every shipment of one order; 0 when all can be applied. */
static int
shipment_check(ds_state *ds, json_t *o, json_t *ships, json_t *msgs)
{
	json_t *s, *li, *want = json_object(), *seen = json_object();
	const char *life =
		json_string_value(json_object_get(o, "dscoLifecycle"));
	size_t i, j;
	int rc = 0;
	char key[32];

	if (ds_strict(ds, "requireAcknowledged") &&
	    strcmp(life, "created") == 0) {
		rc = refuse(msgs, "ORDER_NOT_ACKNOWLEDGED",
			    "cannot add shipment: order %s is not "
			    "acknowledged",
			    sb_json_str(json_object_get(o, "poNumber"), ""));
		goto done;
	}
	json_array_foreach (ships, i, s) {
		const char *tn =
			sb_json_str(json_object_get(s, "trackingNumber"), NULL);
		const char *lvl = sb_json_str(
			json_object_get(s, "shippingServiceLevelCode"), NULL);

		if (!json_is_object(s) || !tn || !*tn) {
			rc = refuse(msgs, "MISSING_FIELD",
				    "shipment %s%lld has no trackingNumber",
				    "#", (long long)i + 1);
			goto done;
		}
		if (ds_strict(ds, "duplicateTracking") &&
		    (tracking_known(o, tn) || json_object_get(seen, tn))) {
			rc = refuse(msgs, "DUPLICATE_TRACKING_NUMBER",
				    "tracking number %s is already on the "
				    "order",
				    tn);
			goto done;
		}
		json_object_set_new(seen, tn, json_true());
		if (lvl && !ds_in_list(ds->service_levels, lvl)) {
			rc = refuse(msgs, "INVALID_SHIPPING_SERVICE_LEVEL",
				    "shippingServiceLevelCode %s is not a "
				    "valid package service level",
				    lvl);
			goto done;
		}
		li = json_object_get(s, "lineItems");
		if (!json_is_array(li) || json_array_size(li) == 0) {
			rc = refuse(msgs, "MISSING_FIELD",
				    "shipment %s has no lineItems", tn);
			goto done;
		}
		for (j = 0; j < json_array_size(li); j++) {
			json_t *x = json_array_get(li, j), *line;
			int64_t q =
				sb_json_int(json_object_get(x, "quantity"), 0);
			int64_t before;

			if (!json_is_integer(json_object_get(x, "quantity")) ||
			    q < 1 || !has_item_id(x)) {
				rc = refuse(
					msgs, "MISSING_FIELD",
					"line %s%lld needs quantity >= 1 and "
					"an item identifier",
					"#", (long long)j + 1);
				goto done;
			}
			line = find_line(o, x);
			if (!line) {
				rc = refuse(msgs, "LINE_NOT_FOUND",
					    "no order line matches line "
					    "%s%lld",
					    "#", (long long)j + 1);
				goto done;
			}
			snprintf(key, sizeof(key), "%lld",
				 (long long)jint(line, "lineNumber"));
			before = sb_json_int(json_object_get(want, key), 0);
			if (jint(line, "remainingQuantity") == 0 &&
			    jint(line, "cancelledQuantity") > 0 &&
			    jint(line, "shippedQuantity") == 0) {
				rc = refuse(msgs, "LINE_CANCELLED",
					    "line %s is cancelled", key);
				goto done;
			}
			if (before + q > jint(line, "remainingQuantity")) {
				rc = refuse(msgs, "QUANTITY_EXCEEDED",
					    "line %s: shipping more than the "
					    "%lld remaining",
					    key,
					    (long long)jint(
						    line, "remainingQuantity"));
				goto done;
			}
			set_int(want, key, before + q);
		}
	}
done:
	json_decref(want);
	json_decref(seen);
	return rc;
}

static void
shipment_apply(ds_state *ds, json_t *o, json_t *s)
{
	static const char *const copy[] = {
		"trackingNumber",  "shipCarrier",
		"shipMethod",      "shippingServiceLevelCode",
		"shipDate",        "shipCost",
		"shipWeight",      "shipWeightUnits",
		"warehouseCode",   "warehouseRetailerCode",
		"warehouseDscoId", "trackingUrl",
		"untracked",       NULL};
	json_t *pkg = json_object(), *items = json_array(), *x;
	const char *tn = sb_json_str(json_object_get(s, "trackingNumber"), "");
	char reason[160], when[40];
	size_t i;

	for (i = 0; copy[i]; i++)
		if (json_object_get(s, copy[i]))
			json_object_set(pkg, copy[i],
					json_object_get(s, copy[i]));
	if (!json_object_get(pkg, "shipDate"))
		json_object_set_new(
			pkg, "shipDate",
			json_string(ds_iso(when, sizeof(when), ds_wall_ms())));
	set_int(pkg, "dscoPackageId", ++ds->next_package);
	snprintf(reason, sizeof(reason), "Tracking # %s added", tn);
	json_array_foreach (json_object_get(s, "lineItems"), i, x) {
		json_t *line = find_line(o, x);
		int64_t q = jint(x, "quantity");

		set_int(line, "shippedQuantity",
			jint(line, "shippedQuantity") + q);
		set_int(line, "remainingQuantity",
			jint(line, "remainingQuantity") - q);
		ds_line_activity(line, "ship", q, reason);
		json_array_append_new(
			items,
			json_pack("{s:I,s:I,s:O,s:O,s:O,s:I}", "quantity",
				  (json_int_t)q, "lineNumber",
				  (json_int_t)jint(line, "lineNumber"), "sku",
				  json_object_get(line, "sku"), "partnerSku",
				  json_object_get(line, "partnerSku"),
				  "dscoItemId",
				  json_object_get(line, "dscoItemId"),
				  "originalOrderQuantity",
				  (json_int_t)jint(line, "quantity")));
	}
	json_object_set_new(pkg, "items", items);
	json_array_append_new(json_object_get(o, "packages"), pkg);
}

int
ds_apply_shipment(ds_state *ds, json_t *item, json_t *msgs)
{
	json_t *o = ds_order_of(ds, item), *ships, *s;
	size_t i;

	if (!json_is_object(item))
		return refuse(msgs, "INVALID_BODY",
			      "each shipment request must be an object");
	if (!o || !visible(o, 1))
		return refuse(msgs, "ORDER_NOT_FOUND",
			      "no order matches dscoOrderId, poNumber or "
			      "supplierOrderNumber");
	ships = json_object_get(item, "shipments");
	if (!json_is_array(ships) || json_array_size(ships) == 0)
		return refuse(msgs, "MISSING_FIELD", "shipments[] is required");
	if (shipment_check(ds, o, ships, msgs))
		return -1;
	json_array_foreach (ships, i, s)
		shipment_apply(ds, o, s);
	ds_order_settle(o);
	ds_order_touch(ds, o, "add_shipment");
	return 0;
}

static int
sync_reply(ds_state *ds, sb_response *resp, int rc, json_t *msgs)
{
	if (rc == 0) {
		json_decref(msgs);
		/* {"success":true} as documented in prose; the schema
		 * (SuccessFailResponse) also requires "status" */
		sb_resp_json(resp, 201,
			     json_pack("{s:b,s:s}", "success", 1, "status",
				       "success"),
			     NULL);
	} else {
		ds_envelope(ds, resp, 400, "failure", NULL, msgs);
	}
	return 0;
}

static int
r_single_shipment(ds_state *ds, sb_request *req, sb_response *resp)
{
	json_t *body = sb_req_json(req, NULL), *msgs = json_array();
	int rc = ds_apply_shipment(ds, body, msgs);

	json_decref(body);
	return sync_reply(ds, resp, rc, msgs);
}

static int
r_shipment_batch(ds_state *ds, sb_request *req, sb_response *resp)
{
	return async_post(ds, req, resp, DS_ASYNC_SHIP);
}

/* ---- cancellations ------------------------------------------------------ */

int
ds_apply_cancel(ds_state *ds, json_t *item, json_t *msgs)
{
	json_t *o = order_by_type(ds, item, msgs), *li, *x, *want;
	size_t j;
	int rc = 0;
	char key[32];

	if (!o)
		return -1;
	li = json_object_get(item, "lineItems");
	if (!json_is_array(li) || json_array_size(li) == 0)
		return refuse(msgs, "MISSING_FIELD", "lineItems[] is required");
	want = json_object();
	json_array_foreach (li, j, x) {
		int64_t q =
			sb_json_int(json_object_get(x, "cancelledQuantity"), 0);
		const char *code =
			sb_json_str(json_object_get(x, "cancelCode"), NULL);
		json_t *line;
		int64_t before;

		if (q < 1 ||
		    (!has_item_id(x) && !json_object_get(x, "lineNumber"))) {
			rc = refuse(msgs, "MISSING_FIELD",
				    "line %s%lld needs cancelledQuantity >= 1 "
				    "and an item identifier",
				    "#", (long long)j + 1);
			break;
		}
		if (!code || !ds_in_list(ds->cancel_codes, code)) {
			rc = refuse(msgs, "INVALID_CANCEL_CODE",
				    "cancelCode '%s' is not a defined cancel "
				    "code",
				    code ? code : "");
			break;
		}
		line = find_line(o, x);
		if (!line) {
			rc = refuse(msgs, "LINE_NOT_FOUND",
				    "no order line matches line %s%lld", "#",
				    (long long)j + 1);
			break;
		}
		snprintf(key, sizeof(key), "%lld",
			 (long long)jint(line, "lineNumber"));
		before = sb_json_int(json_object_get(want, key), 0);
		if (before + q > jint(line, "remainingQuantity")) {
			rc = refuse(msgs, "QUANTITY_EXCEEDED",
				    "line %s: cancelling more than the %lld "
				    "remaining",
				    key,
				    (long long)jint(line, "remainingQuantity"));
			break;
		}
		set_int(want, key, before + q);
	}
	json_decref(want);
	if (rc)
		return rc;
	json_array_foreach (li, j, x) {
		json_t *line = find_line(o, x);
		int64_t q = jint(x, "cancelledQuantity");
		const char *why = sb_json_str(
			json_object_get(x, "cancelledReason"), "Cancelled");

		set_int(line, "cancelledQuantity",
			jint(line, "cancelledQuantity") + q);
		set_int(line, "remainingQuantity",
			jint(line, "remainingQuantity") - q);
		json_object_set(line, "cancelCode",
				json_object_get(x, "cancelCode"));
		json_object_set_new(line, "cancelledReason", json_string(why));
		ds_line_activity(line, "cancel", q, why);
	}
	ds_order_settle(o);
	ds_order_touch(ds, o, "update_status_lifecycle");
	return 0;
}

static int
r_item_cancel(ds_state *ds, sb_request *req, sb_response *resp)
{
	json_t *body = sb_req_json(req, NULL), *msgs = json_array();
	int rc = json_is_object(body) ? ds_apply_cancel(ds, body, msgs)
				      : refuse(msgs, "INVALID_BODY",
					       "the body must be an object");

	json_decref(body);
	if (rc == 0)
		ds_envelope(ds, resp, 200, "success", NULL, msgs);
	else
		ds_envelope(ds, resp, 400, "failure", NULL, msgs);
	return 0;
}

static int
r_item_cancel_batch(ds_state *ds, sb_request *req, sb_response *resp)
{
	return async_post(ds, req, resp, DS_ASYNC_CANCEL);
}

/* ---- inventory ---------------------------------------------------------- */

static const char *const inv_status[] = {"in-stock", "out-of-stock",
					 "discontinued", "hidden", NULL};

int
ds_apply_inventory(ds_state *ds, json_t *item, int skip, json_t *msgs)
{
	const char *sku = sb_json_str(json_object_get(item, "sku"), NULL);
	const char *st = sb_json_str(json_object_get(item, "status"), NULL);
	json_t *whs = json_object_get(item, "warehouses"), *w, *rec, *cur;
	json_t *qa = json_object_get(item, "quantityAvailable");
	int64_t sum = 0, total = 0;
	int all_q = 1;
	size_t i, k;
	char when[40];

	if (!json_is_object(item) || !sku || !*sku || strlen(sku) > 90)
		return refuse(msgs, "MISSING_FIELD",
			      "sku (at most 90 characters) is required");
	if (!st)
		return refuse(msgs, "MISSING_FIELD",
			      "status is required for sku %s", sku);
	for (k = 0; inv_status[k]; k++)
		if (strcmp(inv_status[k], st) == 0)
			break;
	if (!inv_status[k])
		return refuse(msgs, "INVALID_FIELD",
			      "status of sku %s is not in-stock, "
			      "out-of-stock, discontinued or hidden",
			      sku);
	if (!json_is_array(whs) || json_array_size(whs) == 0)
		return refuse(msgs, "MISSING_FIELD",
			      "warehouses[] (at least one) is required for "
			      "sku %s",
			      sku);
	json_array_foreach (whs, i, w) {
		if (!json_is_string(json_object_get(w, "code")))
			return refuse(msgs, "MISSING_FIELD",
				      "warehouse %s%lld has no code", "#",
				      (long long)i + 1);
		if (json_is_integer(json_object_get(w, "quantity")))
			sum += jint(w, "quantity");
		else
			all_q = 0;
	}
	if (!json_is_integer(qa) && !all_q)
		return refuse(msgs, "MISSING_FIELD",
			      "sku %s needs quantityAvailable or a quantity "
			      "per warehouse",
			      sku);
	if (json_is_integer(qa) && all_q && json_integer_value(qa) != sum)
		return refuse(msgs, "QUANTITY_MISMATCH",
			      "sku %s: quantityAvailable differs from the sum "
			      "of the warehouse quantities (%lld)",
			      sku, (long long)sum);
	if (!json_object_get(ds->items, sku)) {
		if (skip) {
			json_array_append_new(
				msgs,
				ds_msg("ITEM_SKIPPED", "info",
				       "sku %s does not exist; skipped", sku));
			return 0;
		}
		if (ds_strict(ds, "knownSku"))
			return refuse(msgs, "ITEM_NOT_FOUND",
				      "sku %s does not exist", sku);
	}
	rec = json_object_get(ds->inventory, sku);
	if (!rec) {
		rec = json_pack("{s:s,s:[]}", "sku", sku, "warehouses");
		json_object_set_new(ds->inventory, sku, rec);
	}
	json_object_set_new(rec, "status", json_string(st));
	if (json_object_get(json_object_get(ds->items, sku), "dscoItemId"))
		json_object_set(rec, "dscoItemId",
				json_object_get(json_object_get(ds->items, sku),
						"dscoItemId"));
	cur = json_object_get(rec, "warehouses");
	json_array_foreach (whs, i, w) {
		const char *code =
			json_string_value(json_object_get(w, "code"));
		json_t *slot = NULL, *c;
		int64_t q = json_is_integer(json_object_get(w, "quantity"))
				    ? jint(w, "quantity")
				    : (i == 0 ? json_integer_value(qa) : 0);

		json_array_foreach (cur, k, c)
			if (strcmp(json_string_value(
					   json_object_get(c, "code")),
				   code) == 0)
				slot = c;
		if (!slot) {
			slot = json_pack("{s:s}", "code", code);
			json_array_append_new(cur, slot);
		}
		set_int(slot, "quantity", q);
	}
	json_array_foreach (cur, k, w)
		total += jint(w, "quantity");
	set_int(rec, "quantityAvailable", total);
	json_object_set_new(
		rec, "lastUpdate",
		json_string(ds_iso(when, sizeof(when), ds_wall_ms())));
	return 0;
}

static int
r_inventory_single(ds_state *ds, sb_request *req, sb_response *resp)
{
	json_t *body = sb_req_json(req, NULL), *msgs = json_array();
	int rc = ds_apply_inventory(ds, body, 0, msgs);

	json_decref(body);
	return sync_reply(ds, resp, rc, msgs);
}

static int
r_inventory_batch(ds_state *ds, sb_request *req, sb_response *resp)
{
	const char *skip = sb_req_query(req, "skipItemsThatDontExist");

	return async_post(ds, req, resp,
			  skip && strcmp(skip, "true") == 0
				  ? DS_ASYNC_INVENTORY_SKIP
				  : DS_ASYNC_INVENTORY);
}

/* ---- invoices ----------------------------------------------------------- */

int
ds_apply_invoice(ds_state *ds, json_t *item, json_t *msgs)
{
	const char *id = sb_json_str(json_object_get(item, "invoiceId"), NULL);
	json_t *li = json_object_get(item, "lineItems"), *x, *o, *copy;
	char when[40];
	size_t i;

	if (!json_is_object(item) || !id || !*id)
		return refuse(msgs, "MISSING_FIELD", "invoiceId is required");
	if (!json_is_number(json_object_get(item, "totalAmount")))
		return refuse(msgs, "MISSING_FIELD",
			      "invoice %s needs totalAmount", id);
	o = ds_order_of(ds, item);
	if (!o || !visible(o, 1))
		return refuse(msgs, "ORDER_NOT_FOUND",
			      "invoice %s names no known order (dscoOrderId, "
			      "poNumber or supplierOrderNumber)",
			      id);
	if (!json_is_array(li) || json_array_size(li) == 0)
		return refuse(msgs, "MISSING_FIELD",
			      "invoice %s needs lineItems[]", id);
	json_array_foreach (li, i, x) {
		if (!json_is_number(json_object_get(x, "unitPrice")) ||
		    !json_is_integer(json_object_get(x, "quantity")) ||
		    jint(x, "quantity") < 1)
			return refuse(msgs, "MISSING_FIELD",
				      "invoice %s: line %lld needs unitPrice "
				      "and quantity >= 1",
				      id, (long long)i + 1);
	}
	if (json_object_get(ds->invoices, id))
		return refuse(msgs, "DUPLICATE_INVOICE",
			      "invoiceId %s already exists", id);
	copy = json_deep_copy(item);
	json_object_set(copy, "dscoOrderId", json_object_get(o, "dscoOrderId"));
	json_object_set(copy, "poNumber", json_object_get(o, "poNumber"));
	json_object_set_new(
		copy, "dscoCreateDate",
		json_string(ds_iso(when, sizeof(when), ds_wall_ms())));
	json_object_set_new(ds->invoices, id, copy);
	return 0;
}

static int
r_invoice(ds_state *ds, sb_request *req, sb_response *resp)
{
	json_t *body = sb_req_json(req, NULL), *msgs = json_array();
	int rc = ds_apply_invoice(ds, body, msgs);

	json_decref(body);
	return sync_reply(ds, resp, rc, msgs);
}

static int
r_invoice_batch(ds_state *ds, sb_request *req, sb_response *resp)
{
	return async_post(ds, req, resp, DS_ASYNC_INVOICE);
}

/* ---- logs, warehouses, hello -------------------------------------------- */

static int
r_order_log(ds_state *ds, sb_request *req, sb_response *resp)
{
	ds_log_get(ds, DS_LOG_ORDER, req, resp);
	return 0;
}

static int
r_inventory_log(ds_state *ds, sb_request *req, sb_response *resp)
{
	ds_log_get(ds, DS_LOG_INVENTORY, req, resp);
	return 0;
}

static int
r_invoice_log(ds_state *ds, sb_request *req, sb_response *resp)
{
	ds_log_get(ds, DS_LOG_INVOICE, req, resp);
	return 0;
}

static int
r_warehouses(ds_state *ds, sb_request *req, sb_response *resp)
{
	const char *type = sb_req_query(req, "idType");
	const char *value = sb_req_query(req, "idValue");
	const char *status = sb_req_query(req, "status");
	json_t *out = json_array(), *w;
	size_t i;

	json_array_foreach (ds->warehouses, i, w) {
		if (type && value) {
			const char *k = strcmp(type, "code") == 0 ? "code"
					: strcmp(type, "retailerCode") == 0
						? "retailerCode"
						: "warehouseId";

			if (strcmp(sb_json_str(json_object_get(w, k), ""),
				   value) != 0)
				continue;
		}
		if (status &&
		    strcmp(sb_json_str(json_object_get(w, "status"), ""),
			   status) != 0)
			continue;
		json_array_append(out, w);
	}
	sb_resp_json(resp, 200, json_pack("{s:o}", "warehouses", out), NULL);
	return 0;
}

static int
r_hello(ds_state *ds, sb_request *req, sb_response *resp)
{
	(void)ds;
	(void)req;
	sb_resp_json(resp, 200, json_pack("{s:s}", "hello", "World!"), NULL);
	return 0;
}

/* ---- routes ------------------------------------------------------------- */

typedef int (*ds_fn)(ds_state *ds, sb_request *req, sb_response *resp);

static const struct {
	const char *method, *path;
	ds_fn fn;
	enum ds_limit lim;
	const char *counter;
} ds_routes[] = {
	{"GET", "/hello", r_hello, DS_LIM_NONE, "GET hello"},
	{"GET", "/order/page", r_order_page, DS_LIM_ORDER_GET,
	 "GET order/page"},
	{"GET", "/order/log", r_order_log, DS_LIM_NONE, "GET order/log"},
	{"GET", "/order", r_order_get, DS_LIM_ORDER_GET, "GET order/"},
	{"GET", "/order/", r_order_get, DS_LIM_ORDER_GET, "GET order/"},
	{"POST", "/order/acknowledge", r_ack, DS_LIM_ACK,
	 "POST order/acknowledge"},
	{"POST", "/order/singleShipment", r_single_shipment, DS_LIM_SHIP,
	 "POST order/singleShipment"},
	{"POST", "/order/shipment/batch/small", r_shipment_batch, DS_LIM_NONE,
	 "POST order/shipment/batch/small"},
	{"POST", "/order/item/cancel", r_item_cancel, DS_LIM_NONE,
	 "POST order/item/cancel"},
	{"POST", "/order/item/cancel/batch/small", r_item_cancel_batch,
	 DS_LIM_NONE, "POST order/item/cancel/batch/small"},
	{"POST", "/inventory/singleItem", r_inventory_single, DS_LIM_INV_SINGLE,
	 "POST inventory/singleItem"},
	{"POST", "/inventory/batch/small", r_inventory_batch, DS_LIM_NONE,
	 "POST inventory/batch/small"},
	{"GET", "/inventory/log", r_inventory_log, DS_LIM_NONE,
	 "GET inventory/log"},
	{"POST", "/invoice", r_invoice, DS_LIM_INVOICE, "POST invoice"},
	{"POST", "/invoice/batch/small", r_invoice_batch, DS_LIM_NONE,
	 "POST invoice/batch/small"},
	{"GET", "/invoice/log", r_invoice_log, DS_LIM_NONE, "GET invoice/log"},
	{"GET", "/warehouse/page", r_warehouses, DS_LIM_NONE,
	 "GET warehouse/page"},
};

json_t *
ds_routes_json(void)
{
	json_t *out = json_array();
	size_t i;

	for (i = 0; i < sizeof(ds_routes) / sizeof(ds_routes[0]); i++)
		if (!ds_in_list(out, ds_routes[i].counter))
			json_array_append_new(
				out, json_string(ds_routes[i].counter));
	json_array_append_new(out, json_string("POST /oauth2/token"));
	ds_stream_routes(out);
	return out;
}

void
ds_api_handle(ds_state *ds, sb_request *req, sb_response *resp)
{
	size_t i;

	for (i = 0; i < sizeof(ds_routes) / sizeof(ds_routes[0]); i++) {
		if (strcmp(ds_routes[i].path, req->path) != 0 ||
		    strcmp(ds_routes[i].method, req->method) != 0)
			continue;
		req->endpoint = ds_routes[i].counter;
		if (ds_gate(ds, req, resp, ds_routes[i].lim) == 0)
			ds_routes[i].fn(ds, req, resp);
		return;
	}
	/*
	 * The AWS API Gateway answer for a route it does not know (observed
	 * for /order/changelog with a bearer header); without one, its
	 * "Missing Authentication Token".  Both UNCONFIRMED in detail.
	 */
	if (ds_stream_handle(ds, req, resp))
		return;
	req->endpoint = "unknown";
	if (sb_req_header(req, "Authorization"))
		ds_message(resp, 403,
			   "Invalid key=value pair (missing equal-sign) in "
			   "Authorization header (hashed with SHA-256 and "
			   "encoded with Base64): 'sandbox'.");
	else
		ds_message(resp, 403, "Missing Authentication Token");
}

/* ---- demo seed ---------------------------------------------------------- */

void
ds_seed_demo(ds_state *ds)
{
	static const struct {
		const char *sku, *title, *upc;
		int wh1, wh2;
	} cat[] = {
		{"TEE-RED-S", "Classic tee red S", "012345000011", 40, 5},
		{"TEE-RED-M", "Classic tee red M", "012345000028", 55, 8},
		{"TEE-RED-L", "Classic tee red L", "012345000035", 30, 0},
		{"TEE-BLU-M", "Classic tee blue M", "012345000042", 25, 4},
		{"HOOD-GRY-M", "Pullover hoodie grey M", "012345000059", 12, 2},
		{"CAP-BLK", "Baseball cap black", "012345000066", 80, 10},
		{"MUG-LOGO", "Logo mug 350ml", "012345000073", 120, 24},
		{"BAG-TOTE", "Canvas tote bag", "012345000080", 60, 6},
	};
	static const struct {
		const char *po, *con, *sku1, *sku2;
		int q1, q2;
		double c1, c2;
	} pos[] = {
		{"RTL-PO-1001", "WEB-50001", "TEE-RED-M", NULL, 2, 0, 9.5, 0},
		{"RTL-PO-1002", "WEB-50002", "MUG-LOGO", "CAP-BLK", 1, 1, 4.5,
		 7.0},
		{"RTL-PO-1003", "WEB-50003", "HOOD-GRY-M", NULL, 1, 0, 24.0, 0},
		{"RTL-PO-1004", "WEB-50004", "BAG-TOTE", "TEE-BLU-M", 3, 1, 6.0,
		 9.5},
	};
	size_t i;
	const char *err;

	json_array_append_new(
		ds->warehouses,
		json_pack("{s:s,s:s,s:s,s:s,s:[s],s:s,s:s,s:s,s:s}",
			  "warehouseId", "9001", "code", "WH01", "name",
			  "Main warehouse", "status", "active", "address",
			  "1 Depot Road", "city", "Columbus", "region", "OH",
			  "postal", "43004", "country", "US"));
	json_array_append_new(
		ds->warehouses,
		json_pack("{s:s,s:s,s:s,s:s,s:[s],s:s,s:s,s:s,s:s}",
			  "warehouseId", "9002", "code", "WH02", "name",
			  "Retail store", "status", "active", "address",
			  "12 High Street", "city", "Reno", "region", "NV",
			  "postal", "89501", "country", "US"));
	for (i = 0; i < sizeof(cat) / sizeof(cat[0]); i++) {
		char id[32];
		json_t *msgs = json_array();
		json_t *inv;

		snprintf(id, sizeof(id), "%lld", (long long)++ds->next_item);
		json_object_set_new(ds->items, cat[i].sku,
				    json_pack("{s:s,s:s,s:s,s:s}", "sku",
					      cat[i].sku, "dscoItemId", id,
					      "title", cat[i].title, "upc",
					      cat[i].upc));
		inv = json_pack("{s:s,s:s,s:[{s:s,s:i},{s:s,s:i}]}", "sku",
				cat[i].sku, "status",
				cat[i].wh1 + cat[i].wh2 > 0 ? "in-stock"
							    : "out-of-stock",
				"warehouses", "code", "WH01", "quantity",
				cat[i].wh1, "code", "WH02", "quantity",
				cat[i].wh2);
		ds_apply_inventory(ds, inv, 0, msgs);
		json_decref(inv);
		json_decref(msgs);
	}
	for (i = 0; i < sizeof(pos) / sizeof(pos[0]); i++) {
		json_t *in =
			json_pack("{s:s,s:s,s:[{s:s,s:i,s:f}]}", "poNumber",
				  pos[i].po, "consumerOrderNumber", pos[i].con,
				  "lines", "sku", pos[i].sku1, "quantity",
				  pos[i].q1, "expectedCost", pos[i].c1);

		if (pos[i].sku2)
			json_array_append_new(
				json_object_get(in, "lines"),
				json_pack("{s:s,s:i,s:f}", "sku", pos[i].sku2,
					  "quantity", pos[i].q2, "expectedCost",
					  pos[i].c2));
		ds_order_create(ds, in, &err);
		json_decref(in);
	}
}
