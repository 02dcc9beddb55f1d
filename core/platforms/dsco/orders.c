/*
 * orders.c - reading DSCO orders: the Order object into ps_dsco_order,
 * the order pages of a window followed by scrollId, and one order by key.
 *
 * The reader is liberal, as DSCO's own advice and what real accounts send
 * ask: ids may be strings of digits or numbers, enums come in any case
 * ("dropship"), address objects may be {} or null, unknown fields are
 * ignored, a package's tracking URL is trackingUrl or tracking_url, and a
 * date that does not parse is treated as absent.
 */
#include "internal.h"
#include "platforms/dsco/dsco_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

/* A safety stop for a scroll that never ends. */
#define DSCO_PAGES_MAX 100000

/* --- enums ---------------------------------------------------------------- */

static const char *const lifecycle_names[] = {"", "received", "created",
					      "acknowledged", "completed"};
static const char *const status_names[] = {"", "created", "shipment_pending",
					   "shipped", "cancelled"};
static const char *const line_status_names[] = {"", "accepted", "rejected",
						"cancelled"};

static int
enum_of(const char *s, const char *const *names, int n)
{
	int i;

	for (i = 1; s != NULL && i < n; i++)
		if (strcasecmp(s, names[i]) == 0)
			return i;
	return 0;
}

const char *
ps_dsco_lifecycle_name(ps_dsco_lifecycle l)
{
	return (unsigned)l < PS__ARRAY_LEN(lifecycle_names) ? lifecycle_names[l]
							    : "";
}

const char *
ps_dsco_status_name(ps_dsco_status s)
{
	return (unsigned)s < PS__ARRAY_LEN(status_names) ? status_names[s] : "";
}

const char *
ps_dsco_line_status_name(ps_dsco_line_status s)
{
	return (unsigned)s < PS__ARRAY_LEN(line_status_names)
		       ? line_status_names[s]
		       : "";
}

/* --- parsing -------------------------------------------------------------- */

/* An optional string (or number) at path into *dst, owned. */
static int
sdup(const char **dst, const json_t *o, const char *path, const char *what)
{
	char *s = NULL;
	const json_t *v = ps_conn__json_at(o, path);
	int error;

	*dst = NULL;
	if (v == NULL || json_is_object(v) || json_is_array(v) ||
	    json_is_boolean(v))
		return 0; /* absent, or a shape we do not read */
	if ((error = ps_conn__json_dup_opt(&s, o, path, what)) < 0)
		return error;
	*dst = s;
	return 0;
}

/* A string as sdup, the first of two keys present. */
static int
sdup2(const char **dst, const json_t *o, const char *a, const char *b,
      const char *what)
{
	int error = sdup(dst, o, a, what);

	if (error == 0 && *dst == NULL)
		error = sdup(dst, o, b, what);
	return error;
}

/* An optional date: unix ms, 0 when absent or not a date. */
static int64_t
date_opt(const json_t *o, const char *key)
{
	int64_t ms;

	if (ps_dsco_date_parse(
		    &ms, json_string_value(json_object_get(o, key))) < 0) {
		ps_error_clear();
		return 0;
	}
	return ms;
}

static int
bool_opt(int *out, const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);

	*out = json_is_true(v) ||
	       (json_is_string(v) &&
		strcasecmp(json_string_value(v), "true") == 0) ||
	       (json_is_integer(v) && json_integer_value(v) != 0);
	return 0;
}

static void
free_str(const char **p)
{
	free((char *)*p);
	*p = NULL;
}

static void
address_dispose(ps_dsco_address *a)
{
	free_str(&a->name);
	free_str(&a->company);
	free_str(&a->address1);
	free_str(&a->address2);
	free_str(&a->city);
	free_str(&a->region);
	free_str(&a->postal);
	free_str(&a->country);
	free_str(&a->phone);
	free_str(&a->email);
}

static int
address_parse(ps_dsco_address *a, const json_t *o, const char *what)
{
	const json_t *lines = json_object_get(o, "address");
	int error = 0;

	if (o == NULL || json_is_null(o))
		return 0; /* no address */
	if (!json_is_object(o))
		return ps_error_set(PS_EDATA,
				    "%s: an address is %s, expected an object",
				    what, ps_conn__json_type_name(o));
	if ((error = sdup(&a->name, o, "name", what)) < 0)
		return error;
	if (a->name == NULL || a->name[0] == '\0') {
		const char *f =
			json_string_value(json_object_get(o, "firstName"));
		const char *l =
			json_string_value(json_object_get(o, "lastName"));
		ps_conn_buf b = PS_CONN_BUF_INIT(0);

		if (f != NULL || l != NULL) {
			char *s = NULL;

			ps_conn__buf_add(&b, f ? f : "");
			if (f && l && f[0] && l[0])
				ps_conn__buf_add(&b, " ");
			ps_conn__buf_add(&b, l ? l : "");
			if ((error = ps_conn__buf_detach(&s, &b)) < 0)
				return error;
			free_str(&a->name);
			a->name = s;
		}
	}
	if ((error = sdup(&a->company, o, "company", what)) < 0 ||
	    (error = sdup(&a->address1, o, "address1", what)) < 0 ||
	    (error = sdup(&a->address2, o, "address2", what)) < 0 ||
	    (error = sdup(&a->city, o, "city", what)) < 0 ||
	    (error = sdup2(&a->region, o, "region", "state", what)) < 0 ||
	    (error = sdup(&a->postal, o, "postal", what)) < 0 ||
	    (error = sdup(&a->country, o, "country", what)) < 0 ||
	    (error = sdup(&a->phone, o, "phone", what)) < 0 ||
	    (error = sdup(&a->email, o, "email", what)) < 0)
		return error;
	if (json_is_array(lines)) {
		if (a->address1 == NULL &&
		    json_is_string(json_array_get(lines, 0)) &&
		    (a->address1 = ps_util__strdup(json_string_value(
			     json_array_get(lines, 0)))) == NULL)
			return ps_error_set(PS_ENOMEM, NULL);
		if (a->address2 == NULL &&
		    json_is_string(json_array_get(lines, 1)) &&
		    (a->address2 = ps_util__strdup(json_string_value(
			     json_array_get(lines, 1)))) == NULL)
			return ps_error_set(PS_ENOMEM, NULL);
	}
	return 0;
}

static void
line_dispose(ps_dsco_order_line *l)
{
	free_str(&l->sku);
	free_str(&l->partner_sku);
	free_str(&l->dsco_item_id);
	free_str(&l->upc);
	free_str(&l->ean);
	free_str(&l->title);
	free_str(&l->cancel_requested_code);
	free_str(&l->cancel_code);
	free_str(&l->warehouse_code);
}

static int
line_parse(ps_dsco_order_line *l, const json_t *o, const char *what)
{
	int error;

	if (!json_is_object(o))
		return ps_error_set(PS_EDATA,
				    "%s: a line item is not an "
				    "object",
				    what);
	if ((error = ps_conn__json_int_opt(&l->line_number, o, "lineNumber",
					   what, 0)) < 0 ||
	    (error = ps_conn__json_int(&l->quantity, o, "quantity", what)) <
		    0 ||
	    (error = sdup(&l->sku, o, "sku", what)) < 0 ||
	    (error = sdup(&l->partner_sku, o, "partnerSku", what)) < 0 ||
	    (error = sdup(&l->dsco_item_id, o, "dscoItemId", what)) < 0 ||
	    (error = sdup(&l->upc, o, "upc", what)) < 0 ||
	    (error = sdup(&l->ean, o, "ean", what)) < 0 ||
	    (error = sdup(&l->title, o, "title", what)) < 0 ||
	    (error = sdup(&l->cancel_requested_code, o, "cancelRequestedCode",
			  what)) < 0 ||
	    (error = sdup(&l->cancel_code, o, "cancelCode", what)) < 0 ||
	    (error = sdup(&l->warehouse_code, o, "warehouseCode", what)) < 0 ||
	    (error = ps_conn__json_money_opt(&l->expected_cost, o,
					     "expectedCost", what, 0)) < 0 ||
	    (error = ps_conn__json_money_opt(&l->consumer_price, o,
					     "consumerPrice", what, 0)) < 0 ||
	    (error = ps_conn__json_int_opt(&l->accepted_quantity, o,
					   "acceptedQuantity", what, 0)) < 0 ||
	    (error = ps_conn__json_int_opt(&l->cancelled_quantity, o,
					   "cancelledQuantity", what, 0)) < 0 ||
	    (error = ps_conn__json_int_opt(&l->shipped_quantity, o,
					   "shippedQuantity", what, 0)) < 0 ||
	    (error = ps_conn__json_int_opt(&l->remaining_quantity, o,
					   "remainingQuantity", what, -1)) < 0)
		return error;
	/* a line orders at least one unit; cancellations are counted in
	 * cancelledQuantity, never by lowering quantity */
	if (l->quantity < 1)
		return ps_error_set(PS_EDATA,
				    "%s: field 'quantity' is %" PRId64
				    ", expected at least 1",
				    what, l->quantity);
	if (l->cancelled_quantity < 0 || l->shipped_quantity < 0 ||
	    l->accepted_quantity < 0)
		return ps_error_set(PS_EDATA,
				    "%s: a line's accepted, cancelled or "
				    "shipped quantity is negative",
				    what);
	l->status = (ps_dsco_line_status)enum_of(
		json_string_value(json_object_get(o, "status")),
		line_status_names, PS__ARRAY_LEN(line_status_names));
	return bool_opt(&l->cancel_requested, o, "cancelRequested");
}

static void
package_dispose(ps_dsco_package *p)
{
	size_t i;

	free_str(&p->tracking_number);
	free_str(&p->ship_carrier);
	free_str(&p->ship_method);
	free_str(&p->service_level);
	free_str(&p->tracking_url);
	for (i = 0; i < p->nitems; i++)
		free_str(&p->items[i].sku);
	free(p->items);
	p->items = NULL;
	p->nitems = 0;
}

static int
package_parse(ps_dsco_package *p, const json_t *o, const char *what)
{
	const json_t *items = json_object_get(o, "items");
	size_t i;
	int error;

	if (!json_is_object(o))
		return 0;
	if ((error = sdup(&p->tracking_number, o, "trackingNumber", what)) <
		    0 ||
	    (error = sdup(&p->ship_carrier, o, "shipCarrier", what)) < 0 ||
	    (error = sdup(&p->ship_method, o, "shipMethod", what)) < 0 ||
	    (error = sdup(&p->service_level, o, "shippingServiceLevelCode",
			  what)) < 0 ||
	    (error = sdup2(&p->tracking_url, o, "trackingUrl", "tracking_url",
			   what)) < 0)
		return error;
	p->ship_date = date_opt(o, "shipDate");
	if (!json_is_array(items) || json_array_size(items) == 0)
		return 0;
	p->items = calloc(json_array_size(items), sizeof(*p->items));
	if (p->items == NULL)
		return ps_error_set(PS_ENOMEM, NULL);
	for (i = 0; i < json_array_size(items); i++) {
		const json_t *it = json_array_get(items, i);
		ps_dsco_package_item *pi = &p->items[p->nitems];

		if (!json_is_object(it))
			continue;
		p->nitems++;
		if ((error = ps_conn__json_int_opt(&pi->line_number, it,
						   "lineNumber", what, 0)) <
			    0 ||
		    (error = ps_conn__json_int_opt(&pi->quantity, it,
						   "quantity", what, 0)) < 0 ||
		    (error = sdup2(&pi->sku, it, "sku", "partnerSku", what)) <
			    0)
			return error;
	}
	return 0;
}

void
ps_dsco_order_dispose(ps_dsco_order *o)
{
	size_t i;

	if (o == NULL)
		return;
	free_str(&o->dsco_order_id);
	free_str(&o->po_number);
	free_str(&o->consumer_order_number);
	free_str(&o->supplier_order_number);
	free_str(&o->cancel_requested_code);
	free_str(&o->order_type);
	free_str(&o->currency);
	free_str(&o->retailer_id);
	free_str(&o->trading_partner_name);
	free_str(&o->requested_carrier);
	free_str(&o->requested_method);
	free_str(&o->requested_service_level);
	free_str(&o->ship_carrier);
	free_str(&o->ship_method);
	free_str(&o->ship_service_level);
	free_str(&o->requested_warehouse_code);
	free_str(&o->ship_warehouse_code);
	free_str(&o->gift_message);
	address_dispose(&o->shipping);
	for (i = 0; i < o->nlines; i++)
		line_dispose(&o->lines[i]);
	free(o->lines);
	for (i = 0; i < o->npackages; i++)
		package_dispose(&o->packages[i]);
	free(o->packages);
	memset(o, 0, sizeof(*o));
}

/* Lower-case s in place (owned). */
static void
lower(const char *s)
{
	char *p;

	for (p = (char *)s; p != NULL && *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
}

/* Parse one Order object into *o (zeroed first; disposed on failure). */
static int
order_parse(ps_dsco_order *o, const json_t *j)
{
	char what[160];
	const json_t *lines, *pkgs;
	const char *id;
	size_t i;
	int error = 0;

	memset(o, 0, sizeof(*o));
	if (!json_is_object(j))
		return ps_error_set(PS_EDATA,
				    "DSCO order: expected an object, got %s",
				    ps_conn__json_type_name(j));
	if ((error = sdup(&o->dsco_order_id, j, "dscoOrderId", "DSCO order")) <
		    0 ||
	    (error = sdup(&o->po_number, j, "poNumber", "DSCO order")) < 0)
		goto done;
	id = o->dsco_order_id ? o->dsco_order_id : o->po_number;
	snprintf(what, sizeof(what), "DSCO order %s",
		 id != NULL ? id : "(no id)");
	if (o->dsco_order_id == NULL || o->dsco_order_id[0] == '\0') {
		error = ps_error_set(PS_EDATA,
				     "%s: field 'dscoOrderId' "
				     "missing",
				     what);
		goto done;
	}
	/* DSCO's ids are positive; a sign is no id it ever gave */
	if (o->dsco_order_id[0] == '-' || o->dsco_order_id[0] == '+' ||
	    strcmp(o->dsco_order_id, "0") == 0) {
		error = ps_error_set(PS_EDATA,
				     "%s: field 'dscoOrderId' is not an "
				     "order id",
				     what);
		goto done;
	}
	/* the retailer's PO number names the order everywhere (its
	 * Brightpearl reference, the operator's log): an order has one */
	if (o->po_number == NULL || o->po_number[0] == '\0') {
		error = ps_error_set(PS_EDATA, "%s: field 'poNumber' missing",
				     what);
		goto done;
	}
	if ((error = sdup(&o->consumer_order_number, j, "consumerOrderNumber",
			  what)) < 0 ||
	    (error = sdup(&o->supplier_order_number, j, "supplierOrderNumber",
			  what)) < 0 ||
	    (error = sdup(&o->cancel_requested_code, j, "cancelRequestedCode",
			  what)) < 0 ||
	    (error = sdup(&o->order_type, j, "orderType", what)) < 0 ||
	    (error = sdup(&o->currency, j, "currencyCode", what)) < 0 ||
	    (error = sdup(&o->retailer_id, j, "dscoRetailerId", what)) < 0 ||
	    (error = sdup(&o->trading_partner_name, j, "dscoTradingPartnerName",
			  what)) < 0 ||
	    (error = sdup(&o->requested_carrier, j, "requestedShipCarrier",
			  what)) < 0 ||
	    (error = sdup(&o->requested_method, j, "requestedShipMethod",
			  what)) < 0 ||
	    (error = sdup(&o->requested_service_level, j,
			  "requestedShippingServiceLevelCode", what)) < 0 ||
	    (error = sdup(&o->ship_carrier, j, "shipCarrier", what)) < 0 ||
	    (error = sdup(&o->ship_method, j, "shipMethod", what)) < 0 ||
	    (error = sdup(&o->ship_service_level, j, "shippingServiceLevelCode",
			  what)) < 0 ||
	    (error = sdup(&o->requested_warehouse_code, j,
			  "requestedWarehouseCode", what)) < 0 ||
	    (error = sdup(&o->ship_warehouse_code, j, "shipWarehouseCode",
			  what)) < 0 ||
	    (error = sdup(&o->gift_message, j, "giftMessage", what)) < 0 ||
	    (error = bool_opt(&o->cancel_requested, j, "cancelRequested")) <
		    0 ||
	    (error = bool_opt(&o->test, j, "testFlag")) < 0)
		goto done;
	lower(o->order_type);
	o->lifecycle = (ps_dsco_lifecycle)enum_of(
		json_string_value(json_object_get(j, "dscoLifecycle")),
		lifecycle_names, PS__ARRAY_LEN(lifecycle_names));
	o->status = (ps_dsco_status)enum_of(
		json_string_value(json_object_get(j, "dscoStatus")),
		status_names, PS__ARRAY_LEN(status_names));
	o->created = date_opt(j, "dscoCreateDate");
	if (o->created == 0)
		o->created = date_opt(j, "retailerCreateDate");
	o->last_update = date_opt(j, "dscoLastUpdate");
	o->ship_by = date_opt(j, "shipByDate");
	if ((error = address_parse(&o->shipping, json_object_get(j, "shipping"),
				   what)) < 0)
		goto done;
	lines = json_object_get(j, "lineItems");
	if (!json_is_array(lines) || json_array_size(lines) == 0) {
		error = ps_error_set(PS_EDATA, "%s: no line items", what);
		goto done;
	}
	o->lines = calloc(json_array_size(lines), sizeof(*o->lines));
	if (o->lines == NULL) {
		error = ps_error_set(PS_ENOMEM, NULL);
		goto done;
	}
	for (i = 0; i < json_array_size(lines); i++) {
		o->nlines++;
		if ((error = line_parse(&o->lines[i], json_array_get(lines, i),
					what)) < 0)
			goto done;
	}
	pkgs = json_object_get(j, "packages");
	if (json_is_array(pkgs) && json_array_size(pkgs) > 0) {
		o->packages =
			calloc(json_array_size(pkgs), sizeof(*o->packages));
		if (o->packages == NULL) {
			error = ps_error_set(PS_ENOMEM, NULL);
			goto done;
		}
		for (i = 0; i < json_array_size(pkgs); i++) {
			o->npackages++;
			if ((error = package_parse(&o->packages[i],
						   json_array_get(pkgs, i),
						   what)) < 0)
				goto done;
		}
	}
done:
	if (error < 0)
		ps_dsco_order_dispose(o);
	return error;
}

/* --- pages ---------------------------------------------------------------- */

/*
 * Called with each order; may take it (then it zeroes *o).  Return as
 * ps_dsco_order_fn.
 */
typedef int (*order_take_fn)(void *ctx, ps_dsco_order *o);

static const char *const query_status_names[] = {
	"", "created", "shipment_pending", "shipped", "cancelled"};

static int
window_path(ps_conn_buf *p, ps_dsco *d, const ps_dsco_order_query *q,
	    int64_t until)
{
	char since_s[PS_DSCO_DATE_MAX], until_s[PS_DSCO_DATE_MAX];
	int s;

	ps_conn__buf_add(p, "/order/page?");
	if (q->consumer_order_number != NULL) {
		ps_conn__buf_add(p, "consumerOrderNumber=");
		ps_conn__buf_add_urlenc(p, q->consumer_order_number);
	} else {
		ps_conn__buf_add(p, q->window == PS_DSCO_WINDOW_CREATED
					    ? "ordersCreatedSince="
					    : "ordersUpdatedSince=");
		ps_conn__buf_add_urlenc(p, ps_dsco_date_format(since_s,
							       sizeof(since_s),
							       q->since));
		ps_conn__buf_add(p, "&until=");
		ps_conn__buf_add_urlenc(
			p,
			ps_dsco_date_format(until_s, sizeof(until_s), until));
	}
	for (s = 1; s < (int)PS__ARRAY_LEN(query_status_names); s++)
		if (q->statuses & PS_DSCO_STATUS_BIT(s))
			ps_conn__buf_addf(p, "&status=%s",
					  query_status_names[s]);
	if (q->include_test)
		ps_conn__buf_add(p, "&includeTestOrders=true");
	ps_conn__buf_addf(p, "&ordersPerPage=%d", d->orders_per_page);
	return ps_conn__buf_check(p, "a DSCO order page URL");
}

/*
 * Pass order j, which did not parse, to q->bad with what can be read of
 * its ids and the reason just set.
 */
static int
report_bad(const ps_dsco_order_query *q, const json_t *j)
{
	const json_t *id = json_object_get(j, "dscoOrderId");
	const json_t *po = json_object_get(j, "poNumber");
	char reason[PS_ERROR_MAX], num[24];
	const char *ids = NULL;

	snprintf(reason, sizeof(reason), "%s", ps_error_last());
	ps_error_clear();
	if (json_is_string(id) && json_string_length(id) > 0)
		ids = json_string_value(id);
	else if (json_is_integer(id) && json_integer_value(id) > 0) {
		snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT,
			 json_integer_value(id));
		ids = num;
	}
	return q->bad(q->bad_ctx, ids,
		      json_is_string(po) && json_string_length(po) > 0
			      ? json_string_value(po)
			      : NULL,
		      reason);
}

static int
orders_walk(int *out_more, int64_t *out_until, ps_dsco *d,
	    const ps_dsco_order_query *q, size_t max, order_take_fn fn,
	    void *ctx)
{
	ps_conn_buf path = PS_CONN_BUF_INIT(0);
	json_t *root = NULL;
	char *scroll = NULL;
	int64_t until, latest = ps_dsco__now(d) - PS_DSCO_UNTIL_LAG_MS;
	size_t seen = 0;
	int page, error = 0, more = 0;

	until = q->until != 0 && q->until < latest ? q->until : latest;
	if (out_until != NULL)
		*out_until = until;
	if (q->consumer_order_number == NULL && q->since >= until)
		goto done; /* an empty window: nothing to ask */
	for (page = 1;; page++) {
		struct ps_dsco__req rq = {"GET", NULL, "order/page",
					  NULL,  1,    "order page"};
		const json_t *orders, *sid;
		size_t i, n;

		ps_conn__buf_clear(&path);
		if (scroll == NULL) {
			error = window_path(&path, d, q, until);
		} else {
			ps_conn__buf_add(&path, "/order/page?scrollId=");
			ps_conn__buf_add_urlenc(&path, scroll);
			error = ps_conn__buf_check(&path,
						   "a DSCO order page URL");
		}
		if (error < 0)
			goto done;
		rq.path = path.data;
		json_decref(root);
		root = NULL;
		if ((error = ps_dsco__call(&root, NULL, d, &rq)) < 0) {
			if (error == PS_ENOTFOUND && scroll != NULL)
				error = ps_util__error_wrap(
					PS_EREMOTE,
					"DSCO: order page %d expired before "
					"it was read (pages last 5 minutes)",
					page);
			goto done;
		}
		if (root == NULL) {
			/* DSCO ends a scroll with an empty list, never with
			 * no reply: taking silence for the end would move
			 * the window past orders never read */
			error = ps_error_set(PS_EDATA,
					     "DSCO order page %d: an empty "
					     "reply where a page was expected",
					     page);
			goto done;
		}
		orders = json_object_get(root, "orders");
		if (!json_is_object(root)) {
			error = ps_error_set(PS_EDATA,
					     "DSCO order page %d: expected an "
					     "object",
					     page);
			goto done;
		}
		if (orders != NULL && !json_is_array(orders) &&
		    !json_is_null(orders)) {
			/* not the end: a page that cannot be read */
			error = ps_error_set(PS_EDATA,
					     "DSCO order page %d: 'orders' is "
					     "%s, expected a list",
					     page,
					     ps_conn__json_type_name(orders));
			goto done;
		}
		n = json_is_array(orders) ? json_array_size(orders) : 0;
		if (n == 0)
			break; /* an empty page: the end */
		sid = json_object_get(root, "scrollId");
		for (i = 0; i < n; i++) {
			ps_dsco_order o;
			int r;

			if (max > 0 && seen >= max) {
				more = 1;
				goto done;
			}
			if ((error = order_parse(
				     &o, json_array_get(orders, i))) < 0) {
				if (error != PS_EDATA || q->bad == NULL)
					goto done;
				/* one bad order: reported, and the read
				 * goes on past it */
				if ((error = report_bad(
					     q, json_array_get(orders, i))) < 0)
					goto done;
				seen++;
				continue;
			}
			seen++;
			r = fn(ctx, &o);
			ps_dsco_order_dispose(&o);
			if (r < 0) {
				error = r;
				goto done;
			}
			if (r > 0) {
				more = 1;
				goto done;
			}
		}
		if (sid != NULL && !json_is_null(sid) && !json_is_string(sid)) {
			/* not the end: a next page we cannot ask for */
			error = ps_error_set(PS_EDATA,
					     "DSCO order page %d: 'scrollId' "
					     "is %s, expected a string",
					     page,
					     ps_conn__json_type_name(sid));
			goto done;
		}
		if (!json_is_string(sid) || json_string_length(sid) == 0)
			break;
		if (max > 0 && seen >= max) {
			more = 1; /* another page may hold more */
			break;
		}
		free(scroll);
		if ((scroll = ps_util__strdup(json_string_value(sid))) ==
		    NULL) {
			error = ps_error_set(PS_ENOMEM, NULL);
			goto done;
		}
		if (page >= DSCO_PAGES_MAX) {
			error = ps_error_set(PS_EREMOTE,
					     "DSCO: the order pages never end "
					     "(page %d)",
					     page);
			goto done;
		}
	}
done:
	if (out_more != NULL)
		*out_more = error == 0 ? more : 0;
	free(scroll);
	json_decref(root);
	ps_conn__buf_dispose(&path);
	return error;
}

struct const_ctx {
	ps_dsco_order_fn fn;
	void *ctx;
};

static int
call_const(void *ctx, ps_dsco_order *o)
{
	struct const_ctx *c = ctx;

	return c->fn(c->ctx, o);
}

int
ps_dsco_orders_foreach(int *out_more, int64_t *out_until, ps_dsco *d,
		       const ps_dsco_order_query *q, size_t max,
		       ps_dsco_order_fn fn, void *ctx)
{
	struct const_ctx c = {fn, ctx};

	return orders_walk(out_more, out_until, d, q, max, call_const, &c);
}

static int
take(void *ctx, ps_dsco_order *o)
{
	ps_dsco_order_list *l = ctx;
	ps_dsco_order *p;

	p = realloc(l->items, (l->count + 1) * sizeof(*p));
	if (p == NULL)
		return ps_error_set(PS_ENOMEM, NULL);
	l->items = p;
	l->items[l->count++] = *o;
	memset(o, 0, sizeof(*o));
	return 0;
}

int
ps_dsco_orders_list(ps_dsco_order_list *out, int64_t *out_until, ps_dsco *d,
		    const ps_dsco_order_query *q, size_t max)
{
	int error;

	memset(out, 0, sizeof(*out));
	error = orders_walk(&out->more, out_until, d, q, max, take, out);
	if (error < 0)
		ps_dsco_order_list_dispose(out);
	return error;
}

void
ps_dsco_order_list_dispose(ps_dsco_order_list *l)
{
	size_t i;

	if (l == NULL)
		return;
	for (i = 0; i < l->count; i++)
		ps_dsco_order_dispose(&l->items[i]);
	free(l->items);
	memset(l, 0, sizeof(*l));
}

static const char *const key_names[] = {"dscoOrderId", "poNumber",
					"supplierOrderNumber"};

int
ps_dsco_order_get(ps_dsco_order *out, ps_dsco *d, ps_dsco_key key,
		  const char *value)
{
	ps_conn_buf path = PS_CONN_BUF_INIT(0);
	struct ps_dsco__req rq = {"GET", NULL, "order", NULL, 1, NULL};
	json_t *root = NULL;
	const json_t *o;
	char what[200];
	int error;

	memset(out, 0, sizeof(*out));
	if ((unsigned)key >= PS__ARRAY_LEN(key_names) || value == NULL ||
	    value[0] == '\0')
		return ps_error_set(PS_EINVAL, "DSCO order: no key to look "
					       "up by");
	snprintf(what, sizeof(what), "order %s %.120s",
		 key == PS_DSCO_KEY_DSCO_ORDER_ID ? ""
		 : key == PS_DSCO_KEY_PO_NUMBER   ? "PO"
						  : "supplier order",
		 value);
	if (key == PS_DSCO_KEY_DSCO_ORDER_ID)
		snprintf(what, sizeof(what), "order %.120s", value);
	ps_conn__buf_add(&path, "/order/?orderKey=");
	ps_conn__buf_add(&path, key_names[key]);
	ps_conn__buf_add(&path, "&value=");
	ps_conn__buf_add_urlenc(&path, value);
	if ((error = ps_conn__buf_check(&path, "a DSCO order URL")) < 0)
		goto done;
	rq.path = path.data;
	rq.what = what;
	if ((error = ps_dsco__call(&root, NULL, d, &rq)) < 0)
		goto done;
	o = json_is_array(root) ? json_array_get(root, 0) : root;
	if (o == NULL) {
		error = ps_error_set(PS_ENOTFOUND, "DSCO %s: not found", what);
		goto done;
	}
	error = order_parse(out, o);
done:
	json_decref(root);
	ps_conn__buf_dispose(&path);
	return error;
}
