/*
 * writes.c - what a supplier sends DSCO: acknowledgements, shipments,
 * item cancellations, inventory and invoices, each as the JSON body the
 * API reference gives, synchronous (200/201) or asynchronous (202 with
 * the standard envelope whose requestId keys the change log).
 *
 * None of these POSTs is idempotent on DSCO's side, so none is repeated
 * after a reply that may have been lost (ps_http_request.idempotent 0):
 * the flow looks at the order (its packages, its lifecycle) before it
 * sends again.
 */
#include "internal.h"
#include "platforms/dsco/dsco_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

static int
nomem(void)
{
	return ps_error_set(PS_ENOMEM, NULL);
}

/* Add the order identity fields of r that are set to obj. */
static int
set_ref(json_t *obj, const ps_dsco_order_ref *r, const char *what)
{
	if ((r->dsco_order_id == NULL || r->dsco_order_id[0] == '\0') &&
	    (r->po_number == NULL || r->po_number[0] == '\0') &&
	    (r->supplier_order_number == NULL ||
	     r->supplier_order_number[0] == '\0'))
		return ps_error_set(PS_EINVAL,
				    "DSCO %s: no dscoOrderId, poNumber or "
				    "supplierOrderNumber to name the order",
				    what);
	if (ps_conn__json_set_str(obj, "dscoOrderId", r->dsco_order_id, 0) <
		    0 ||
	    ps_conn__json_set_str(obj, "poNumber", r->po_number, 0) < 0 ||
	    ps_conn__json_set_str(obj, "supplierOrderNumber",
				  r->supplier_order_number, 0) < 0)
		return nomem();
	return 0;
}

/* {"id", "type"} naming the order by its first set key. */
static int
set_id_type(json_t *obj, const ps_dsco_order_ref *r, const char *what)
{
	const char *id, *type;

	if (r->dsco_order_id != NULL && r->dsco_order_id[0] != '\0') {
		id = r->dsco_order_id;
		type = "DSCO_ORDER_ID";
	} else if (r->po_number != NULL && r->po_number[0] != '\0') {
		id = r->po_number;
		type = "PO_NUMBER";
	} else if (r->supplier_order_number != NULL &&
		   r->supplier_order_number[0] != '\0') {
		id = r->supplier_order_number;
		type = "SUPPLIER_ORDER_NUMBER";
	} else {
		return ps_error_set(PS_EINVAL,
				    "DSCO %s: no key to name the order", what);
	}
	if (json_object_set_new(obj, "id", json_string(id)) < 0 ||
	    json_object_set_new(obj, "type", json_string(type)) < 0)
		return nomem();
	return 0;
}

/* Item identity fields of one line (one of them required). */
static int
set_item(json_t *obj, int64_t line_number, const char *sku,
	 const char *partner_sku, const char *dsco_item_id, const char *what)
{
	if ((sku == NULL || !*sku) && (partner_sku == NULL || !*partner_sku) &&
	    (dsco_item_id == NULL || !*dsco_item_id))
		return ps_error_set(PS_EINVAL,
				    "DSCO %s: a line has no sku, partnerSku "
				    "or dscoItemId",
				    what);
	if (ps_conn__json_set_int(obj, "lineNumber", line_number, 0) < 0 ||
	    ps_conn__json_set_str(obj, "sku", sku, 0) < 0 ||
	    ps_conn__json_set_str(obj, "partnerSku", partner_sku, 0) < 0 ||
	    ps_conn__json_set_str(obj, "dscoItemId", dsco_item_id, 0) < 0)
		return nomem();
	return 0;
}

/*
 * POST body to path expecting a 202 envelope: its requestId into
 * *out_request_id.  An envelope saying failure is PS_EDATA.
 */
static int
post_async(char **out_request_id, ps_dsco *d, const char *path,
	   const char *endpoint, const json_t *body, const char *what)
{
	struct ps_dsco__req rq = {"POST", path, endpoint, body, 0, what};
	ps_dsco_outcome env;
	json_t *root = NULL;
	int error;

	*out_request_id = NULL;
	memset(&env, 0, sizeof(env));
	if ((error = ps_dsco__call(&root, NULL, d, &rq)) < 0)
		goto done;
	if ((error = ps_dsco__envelope(&env, root, 1)) < 0)
		goto done;
	if (env.status == PS_DSCO_OUTCOME_FAILURE) {
		error = ps_error_set(PS_EDATA, "DSCO %s refused: %s", what,
				     env.messages[0] ? env.messages
						     : "no details");
		goto done;
	}
	if (env.request_id == NULL || env.request_id[0] == '\0') {
		error = ps_error_set(
			PS_EDATA, "DSCO %s: the reply has no requestId", what);
		goto done;
	}
	*out_request_id = env.request_id;
	env.request_id = NULL;
done:
	ps_dsco_outcome_dispose(&env);
	json_decref(root);
	return error;
}

/* POST body to path expecting 200/201 ({"success": true}). */
static int
post_sync(ps_dsco *d, const char *path, const char *endpoint,
	  const json_t *body, const char *what)
{
	struct ps_dsco__req rq = {"POST", path, endpoint, body, 0, what};
	ps_dsco_outcome env;
	json_t *root = NULL;
	int error;

	memset(&env, 0, sizeof(env));
	if ((error = ps_dsco__call(&root, NULL, d, &rq)) < 0)
		goto done;
	if (json_is_object(root) &&
	    (error = ps_dsco__envelope(&env, root, 0)) < 0)
		goto done;
	if (env.status == PS_DSCO_OUTCOME_FAILURE)
		error = ps_error_set(PS_EDATA, "DSCO %s refused: %s", what,
				     env.messages && env.messages[0]
					     ? env.messages
					     : "no details");
done:
	ps_dsco_outcome_dispose(&env);
	json_decref(root);
	return error;
}

/*
 * One item of a batch: its JSON into *out and, in what (cap bytes), its
 * name for the messages.
 */
typedef int (*batch_item_fn)(json_t **out, char *what, size_t cap,
			     const void *items, size_t i);

/*
 * POST the n items, each made by item(), as one JSON array to path
 * expecting a 202 envelope (post_async).  The request is named after its
 * item when there is one, else "<plural> of <n> orders"; n 0 fails
 * PS_EINVAL.
 */
static int
post_batch(char **out_request_id, ps_dsco *d, const char *path,
	   const char *endpoint, const char *plural, batch_item_fn item,
	   const void *items, size_t n)
{
	json_t *arr = json_array(), *one;
	char what[200];
	size_t i;
	int error = 0;

	*out_request_id = NULL;
	if (arr == NULL)
		return nomem();
	if (n == 0) {
		error = ps_error_set(PS_EINVAL, "DSCO %s: none to send",
				     plural);
		goto done;
	}
	for (i = 0; i < n; i++) {
		if ((error = item(&one, what, sizeof(what), items, i)) < 0)
			goto done;
		if (json_array_append_new(arr, one) < 0) {
			error = nomem();
			goto done;
		}
	}
	if (n > 1)
		snprintf(what, sizeof(what), "%s of %zu orders", plural, n);
	error = post_async(out_request_id, d, path, endpoint, arr, what);
done:
	json_decref(arr);
	return error;
}

/* --- acknowledge ---------------------------------------------------------- */

int
ps_dsco_orders_acknowledge(char **out_request_id, ps_dsco *d,
			   const ps_dsco_ack *acks, size_t n)
{
	json_t *arr = json_array();
	char what[160];
	size_t i;
	int error = 0;

	*out_request_id = NULL;
	if (arr == NULL)
		return nomem();
	if (n == 0) {
		error = ps_error_set(PS_EINVAL, "DSCO acknowledge: no orders");
		goto done;
	}
	for (i = 0; i < n; i++) {
		json_t *o = json_object();

		if (o == NULL || json_array_append_new(arr, o) < 0) {
			error = nomem();
			goto done;
		}
		ps_dsco__order_ref_name(what, sizeof(what), &acks[i].order);
		if ((error = set_id_type(o, &acks[i].order, what)) < 0)
			goto done;
		if (ps_conn__json_set_str(o, "supplierOrderNumber",
					  acks[i].new_supplier_order_number,
					  0) < 0) {
			error = nomem();
			goto done;
		}
	}
	if (n == 1)
		snprintf(what + strlen(what), sizeof(what) - strlen(what),
			 ": acknowledgement");
	else
		snprintf(what, sizeof(what), "acknowledgement of %zu orders",
			 n);
	error = post_async(out_request_id, d, "/order/acknowledge",
			   "order/acknowledge", arr, what);
done:
	json_decref(arr);
	return error;
}

/* --- shipments ------------------------------------------------------------ */

static int
shipment_json(json_t **out, const ps_dsco_shipment *s, const char *what)
{
	json_t *o = json_object(), *pkgs = json_array();
	size_t i, j;
	int error;

	*out = NULL;
	if (o == NULL || pkgs == NULL ||
	    json_object_set_new(o, "shipments", pkgs) < 0) {
		json_decref(o);
		return nomem();
	}
	if ((error = set_ref(o, &s->order, what)) < 0)
		goto done;
	if (s->npackages == 0) {
		error = ps_error_set(PS_EINVAL, "DSCO %s: no packages", what);
		goto done;
	}
	for (i = 0; i < s->npackages; i++) {
		const ps_dsco_ship_package *p = &s->packages[i];
		json_t *pj = json_object(), *lines = json_array();

		if (pj == NULL || lines == NULL ||
		    json_array_append_new(pkgs, pj) < 0) {
			json_decref(lines);
			error = nomem();
			goto done;
		}
		if (p->tracking_number == NULL || !*p->tracking_number) {
			error = ps_error_set(PS_EINVAL,
					     "DSCO %s: a package has no "
					     "tracking number",
					     what);
			json_decref(lines);
			goto done;
		}
		if (p->nlines == 0) {
			error = ps_error_set(PS_EINVAL,
					     "DSCO %s: package %s has no lines",
					     what, p->tracking_number);
			json_decref(lines);
			goto done;
		}
		if (ps_conn__json_set_str(pj, "trackingNumber",
					  p->tracking_number, 0) < 0 ||
		    ps_dsco__json_ms(pj, "shipDate", p->ship_date) < 0 ||
		    ps_conn__json_set_str(pj, "shipCarrier", p->carrier, 0) <
			    0 ||
		    ps_conn__json_set_str(pj, "shipMethod", p->method, 0) < 0 ||
		    ps_conn__json_set_str(pj, "shippingServiceLevelCode",
					  p->service_level, 0) < 0 ||
		    ps_conn__json_set_str(pj, "warehouseCode",
					  p->warehouse_code, 0) < 0 ||
		    ps_conn__json_set_str(pj, "trackingUrl", p->tracking_url,
					  0) < 0 ||
		    (p->has_ship_cost &&
		     ps_dsco__json_amount(pj, "shipCost", p->ship_cost) < 0) ||
		    json_object_set_new(pj, "lineItems", lines) < 0) {
			error = nomem();
			goto done;
		}
		for (j = 0; j < p->nlines; j++) {
			const ps_dsco_ship_line *l = &p->lines[j];
			json_t *lj = json_object();

			if (lj == NULL ||
			    json_array_append_new(lines, lj) < 0) {
				error = nomem();
				goto done;
			}
			if (l->quantity <= 0) {
				error = ps_error_set(PS_EINVAL,
						     "DSCO %s: a line's "
						     "quantity is %lld",
						     what,
						     (long long)l->quantity);
				goto done;
			}
			if ((error = set_item(lj, l->line_number, l->sku,
					      l->partner_sku, l->dsco_item_id,
					      what)) < 0)
				goto done;
			if (ps_conn__json_set_int(lj, "quantity", l->quantity,
						  1) < 0) {
				error = nomem();
				goto done;
			}
		}
	}
	*out = o;
	o = NULL;
done:
	json_decref(o);
	return error;
}

int
ps_dsco_shipment_send(ps_dsco *d, const ps_dsco_shipment *s)
{
	char what[200];
	json_t *body = NULL;
	int error;

	ps_dsco__order_ref_name(what, sizeof(what) - 10, &s->order);
	strcat(what, ": shipment");
	if ((error = shipment_json(&body, s, what)) < 0)
		return error;
	error = post_sync(d, "/order/singleShipment", "order/singleShipment",
			  body, what);
	json_decref(body);
	return error;
}

static int
shipment_item(json_t **out, char *what, size_t cap, const void *items, size_t i)
{
	const ps_dsco_shipment *s = (const ps_dsco_shipment *)items + i;

	ps_dsco__order_ref_name(what, cap - 10, &s->order);
	strcat(what, ": shipment");
	return shipment_json(out, s, what);
}

int
ps_dsco_shipments_batch(char **out_request_id, ps_dsco *d,
			const ps_dsco_shipment *s, size_t n)
{
	return post_batch(out_request_id, d, "/order/shipment/batch/small",
			  "order/shipment/batch/small", "shipments",
			  shipment_item, s, n);
}

/* --- cancellations -------------------------------------------------------- */

static int
cancel_json(json_t **out, const ps_dsco_cancel *c, const char *what)
{
	json_t *o = json_object(), *lines = json_array();
	size_t i;
	int error;

	*out = NULL;
	if (o == NULL || lines == NULL ||
	    json_object_set_new(o, "lineItems", lines) < 0) {
		json_decref(o);
		return nomem();
	}
	if ((error = set_id_type(o, &c->order, what)) < 0)
		goto done;
	if (c->nlines == 0) {
		error = ps_error_set(PS_EINVAL, "DSCO %s: no lines", what);
		goto done;
	}
	for (i = 0; i < c->nlines; i++) {
		const ps_dsco_cancel_line *l = &c->lines[i];
		json_t *lj = json_object();

		if (lj == NULL || json_array_append_new(lines, lj) < 0) {
			error = nomem();
			goto done;
		}
		if (l->quantity <= 0 || l->cancel_code == NULL ||
		    l->cancel_code[0] == '\0') {
			error = ps_error_set(PS_EINVAL,
					     "DSCO %s: a line needs a "
					     "quantity and a cancel code",
					     what);
			goto done;
		}
		if ((error = set_item(lj, l->line_number, l->sku,
				      l->partner_sku, l->dsco_item_id, what)) <
		    0)
			goto done;
		if (ps_conn__json_set_int(lj, "cancelledQuantity", l->quantity,
					  1) < 0 ||
		    ps_conn__json_set_str(lj, "cancelCode", l->cancel_code, 0) <
			    0 ||
		    ps_conn__json_set_str(lj, "cancelledReason", l->reason, 0) <
			    0) {
			error = nomem();
			goto done;
		}
	}
	*out = o;
	o = NULL;
done:
	json_decref(o);
	return error;
}

int
ps_dsco_items_cancel(ps_dsco_outcome *out, ps_dsco *d, const ps_dsco_cancel *c)
{
	struct ps_dsco__req rq = {
		"POST", "/order/item/cancel", "order/item/cancel", NULL, 0,
		NULL};
	char what[200];
	json_t *body = NULL, *root = NULL;
	long status = 0;
	int error;

	memset(out, 0, sizeof(*out));
	ps_dsco__order_ref_name(what, sizeof(what) - 16, &c->order);
	strcat(what, ": cancellation");
	if ((error = cancel_json(&body, c, what)) < 0)
		return error;
	rq.body = body;
	rq.what = what;
	if ((error = ps_dsco__call(&root, &status, d, &rq)) < 0)
		goto done;
	if ((error = ps_dsco__envelope(out, root, status == 202)) < 0)
		goto done;
	if (out->status == PS_DSCO_OUTCOME_FAILURE)
		error = ps_error_set(PS_EDATA, "DSCO %s refused: %s", what,
				     out->messages[0] ? out->messages
						      : "no details");
done:
	json_decref(root);
	json_decref(body);
	return error;
}

static int
cancel_item(json_t **out, char *what, size_t cap, const void *items, size_t i)
{
	const ps_dsco_cancel *c = (const ps_dsco_cancel *)items + i;

	ps_dsco__order_ref_name(what, cap - 16, &c->order);
	strcat(what, ": cancellation");
	return cancel_json(out, c, what);
}

int
ps_dsco_items_cancel_batch(char **out_request_id, ps_dsco *d,
			   const ps_dsco_cancel *c, size_t n)
{
	return post_batch(out_request_id, d, "/order/item/cancel/batch/small",
			  "order/item/cancel/batch/small", "cancellations",
			  cancel_item, c, n);
}

/* --- inventory ------------------------------------------------------------ */

static const char *const stock_status_names[] = {
	NULL, "in-stock", "out-of-stock", "discontinued", "hidden"};

static int
stock_json(json_t **out, const ps_dsco_stock_item *it)
{
	json_t *o = json_object(), *whs = json_array();
	int64_t total = 0;
	const char *status;
	size_t i;
	int error = 0;

	*out = NULL;
	if (o == NULL || whs == NULL) {
		json_decref(o);
		json_decref(whs);
		return nomem();
	}
	if (it->sku == NULL || it->sku[0] == '\0') {
		error = ps_error_set(PS_EINVAL, "DSCO inventory: an item has "
						"no sku");
		goto done;
	}
	if (it->nwarehouses == 0) {
		error = ps_error_set(PS_EINVAL,
				     "DSCO inventory of sku %s: no warehouse "
				     "(DSCO needs at least one)",
				     it->sku);
		goto done;
	}
	for (i = 0; i < it->nwarehouses; i++) {
		const ps_dsco_stock_warehouse *w = &it->warehouses[i];
		json_t *wj;

		if (w->code == NULL || w->code[0] == '\0' || w->quantity < 0) {
			error = ps_error_set(PS_EINVAL,
					     "DSCO inventory of sku %s: a "
					     "warehouse without a code or "
					     "with a negative quantity",
					     it->sku);
			goto done;
		}
		wj = json_pack("{s:s, s:I}", "code", w->code, "quantity",
			       (json_int_t)w->quantity);
		if (wj == NULL || json_array_append_new(whs, wj) < 0) {
			error = nomem();
			goto done;
		}
		total += w->quantity;
	}
	status = (unsigned)it->status < PS__ARRAY_LEN(stock_status_names) &&
				 it->status != PS_DSCO_STOCK_AUTO
			 ? stock_status_names[it->status]
		 : total > 0 ? "in-stock"
			     : "out-of-stock";
	if (ps_conn__json_set_str(o, "sku", it->sku, 0) < 0 ||
	    json_object_set_new(o, "status", json_string(status)) < 0 ||
	    ps_conn__json_set_int(o, "quantityAvailable", total, 1) < 0 ||
	    json_object_set(o, "warehouses", whs) < 0) {
		error = nomem();
		goto done;
	}
	*out = o;
	o = NULL;
done:
	json_decref(whs);
	json_decref(o);
	return error;
}

int
ps_dsco_inventory_send(ps_dsco *d, const ps_dsco_stock_item *item)
{
	char what[160];
	json_t *body = NULL;
	int error;

	if ((error = stock_json(&body, item)) < 0)
		return error;
	snprintf(what, sizeof(what), "inventory of sku %.100s", item->sku);
	error = post_sync(d, "/inventory/singleItem", "inventory/singleItem",
			  body, what);
	json_decref(body);
	return error;
}

int
ps_dsco_inventory_batch(char **out_request_id, ps_dsco *d,
			const ps_dsco_stock_item *items, size_t n,
			int skip_unknown)
{
	json_t *arr = json_array(), *one;
	char what[80];
	size_t i;
	int error = 0;

	*out_request_id = NULL;
	if (arr == NULL)
		return nomem();
	if (n == 0) {
		error = ps_error_set(PS_EINVAL, "DSCO inventory: no items");
		goto done;
	}
	for (i = 0; i < n; i++) {
		if ((error = stock_json(&one, &items[i])) < 0)
			goto done;
		if (json_array_append_new(arr, one) < 0) {
			error = nomem();
			goto done;
		}
	}
	snprintf(what, sizeof(what), "inventory of %zu item%s", n,
		 n == 1 ? "" : "s");
	error = post_async(out_request_id, d,
			   skip_unknown ? "/inventory/batch/small?"
					  "skipItemsThatDontExist=true"
					: "/inventory/batch/small",
			   "inventory/batch/small", arr, what);
done:
	json_decref(arr);
	return error;
}

/* --- invoices ------------------------------------------------------------- */

int
ps_dsco_invoice_send(ps_dsco *d, const ps_dsco_invoice *inv)
{
	json_t *o = json_object(), *lines = json_array(), *ship = NULL;
	char what[240], ref[160];
	size_t i;
	int error = 0;

	if (o == NULL || lines == NULL ||
	    json_object_set_new(o, "lineItems", lines) < 0) {
		json_decref(o);
		return nomem();
	}
	ps_dsco__order_ref_name(ref, sizeof(ref), &inv->order);
	snprintf(what, sizeof(what), "%s: invoice %.40s", ref,
		 inv->invoice_id ? inv->invoice_id : "");
	if (inv->invoice_id == NULL || inv->invoice_id[0] == '\0') {
		error = ps_error_set(PS_EINVAL, "DSCO %s: no invoice id", ref);
		goto done;
	}
	if (inv->nlines == 0) {
		error = ps_error_set(PS_EINVAL, "DSCO %s: no lines", what);
		goto done;
	}
	if (ps_conn__json_set_str(o, "invoiceId", inv->invoice_id, 0) < 0) {
		error = nomem();
		goto done;
	}
	if ((error = set_ref(o, &inv->order, what)) < 0)
		goto done;
	if (ps_dsco__json_ms(o, "invoiceDate", inv->invoice_date) < 0 ||
	    ps_conn__json_set_str(o, "currencyCode", inv->currency, 0) < 0 ||
	    ps_dsco__json_amount(o, "totalAmount", inv->total) < 0 ||
	    ps_dsco__json_amount(o, "lineItemsSubtotal", inv->subtotal) < 0 ||
	    ps_dsco__json_amount(o, "freightAmount", inv->freight) < 0 ||
	    ps_dsco__json_amount(o, "salesTaxAmount", inv->tax) < 0) {
		error = nomem();
		goto done;
	}
	for (i = 0; i < inv->nlines; i++) {
		const ps_dsco_invoice_line *l = &inv->lines[i];
		json_t *lj = json_object();

		if (lj == NULL || json_array_append_new(lines, lj) < 0) {
			error = nomem();
			goto done;
		}
		if ((error = set_item(lj, l->line_number, l->sku, NULL, NULL,
				      what)) < 0)
			goto done;
		if (ps_conn__json_set_int(lj, "quantity", l->quantity, 1) < 0 ||
		    ps_dsco__json_amount(lj, "unitPrice", l->unit_price) < 0 ||
		    ps_dsco__json_amount(lj, "extendedAmount",
					 l->unit_price * l->quantity) < 0) {
			error = nomem();
			goto done;
		}
	}
	if (inv->tracking_number != NULL && inv->tracking_number[0] != '\0') {
		if ((ship = json_object()) == NULL ||
		    ps_conn__json_set_str(ship, "trackingNumber",
					  inv->tracking_number, 0) < 0 ||
		    ps_conn__json_set_str(ship, "carrier", inv->carrier, 0) <
			    0 ||
		    ps_conn__json_set_str(ship, "method", inv->method, 0) < 0 ||
		    ps_dsco__json_ms(ship, "date", inv->ship_date) < 0 ||
		    ps_conn__json_set_str(ship, "warehouseCode",
					  inv->warehouse_code, 0) < 0 ||
		    json_object_set(o, "ship", ship) < 0) {
			error = nomem();
			goto done;
		}
	}
	error = post_sync(d, "/invoice", "invoice", o, what);
done:
	json_decref(ship);
	json_decref(o);
	return error;
}
