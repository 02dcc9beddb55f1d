/*
 * orders.c - Brightpearl sales orders: create (exactly once, found again
 * by its external reference), read, status changes, notes, custom-field
 * values, the address changes of an existing order, and the batch forms of
 * the order, status and note writes.
 */
#include "platforms/brightpearl/brightpearl_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- orders ------------------------------------------------------------- */

int
ps_bp__build_order_create(ps_bp__msg *m, ps_bp *bp, const ps_bp_order *o)
{
	json_t *body = NULL, *cust, *rows, *row, *addr, *deliv, *cur;
	size_t i;
	int error = 0;

	memset(m, 0, sizeof(*m));
	if (o->customer_id <= 0)
		return ps_error_set(PS_EINVAL, "Brightpearl sales order: no "
					       "customer id");
	if ((body = json_object()) == NULL)
		goto nomem;
	if ((cust = json_pack("{s:I}", "id", (json_int_t)o->customer_id)) ==
		    NULL ||
	    ps_bp__set_new(body, "customer", cust) < 0)
		goto nomem;
	if ((addr = ps_bp__address_json(&o->customer)) != NULL &&
	    ps_bp__set_new(cust, "address", addr) < 0)
		goto nomem;
	if ((addr = ps_bp__address_json(&o->billing)) != NULL &&
	    ps_bp__set_new(body, "billing",
			   json_pack("{s:I, s:o}", "contactId",
				     (json_int_t)o->customer_id, "address",
				     addr)) < 0)
		goto nomem;
	if ((error = ps_conn__json_set_str(body, "ref", o->ref, 0)) < 0 ||
	    (error = ps_conn__json_set_str(body, "externalRef", o->external_ref,
					   0)) < 0 ||
	    (error = ps_conn__json_set_str(body, "placedOn", o->placed_on, 0)) <
		    0 ||
	    (error = ps_conn__json_set_str(body, "priceModeCode", o->price_mode,
					   0)) < 0 ||
	    (error = ps_conn__json_set_int(body, "statusId", o->status_id, 0)) <
		    0 ||
	    (error = ps_conn__json_set_int(body, "warehouseId", o->warehouse_id,
					   0)) < 0 ||
	    (error = ps_conn__json_set_int(body, "channelId", o->channel_id,
					   0)) < 0 ||
	    (error = ps_conn__json_set_int(body, "leadSourceId",
					   o->lead_source_id, 0)) < 0 ||
	    (error = ps_conn__json_set_int(body, "projectId", o->project_id,
					   0)) < 0 ||
	    (error = ps_conn__json_set_int(body, "staffOwnerId",
					   o->staff_owner_id, 0)) < 0 ||
	    (error = ps_conn__json_set_int(body, "priceListId",
					   o->price_list_id, 0)) < 0)
		goto done;
	if (o->external_ref != NULL && bp->instance_id > 0 &&
	    (error = ps_conn__json_set_int(body,
					   "installedIntegrationInstanceId",
					   bp->instance_id, 1)) < 0)
		goto done;
	if (o->currency != NULL) {
		if ((cur = json_object()) == NULL ||
		    ps_bp__set_new(body, "currency", cur) < 0 ||
		    (error = ps_conn__json_set_str(cur, "code", o->currency,
						   0)) < 0)
			goto nomem;
	}
	addr = ps_bp__address_json(&o->delivery);
	if (addr != NULL || o->shipping_method_id > 0 ||
	    o->delivery_date != NULL) {
		if ((deliv = json_object()) == NULL ||
		    ps_bp__set_new(body, "delivery", deliv) < 0) {
			json_decref(addr);
			goto nomem;
		}
		if (addr != NULL && ps_bp__set_new(deliv, "address", addr) < 0)
			goto nomem;
		if ((error = ps_conn__json_set_int(deliv, "shippingMethodId",
						   o->shipping_method_id, 0)) <
			    0 ||
		    (error = ps_conn__json_set_str(deliv, "date",
						   o->delivery_date, 0)) < 0)
			goto done;
	}
	if ((rows = json_array()) == NULL ||
	    ps_bp__set_new(body, "rows", rows) < 0)
		goto nomem;
	for (i = 0; i < o->nrows; i++) {
		const ps_bp_order_row *r = &o->rows[i];

		if (r->product_id <= 0 && r->name == NULL) {
			error = ps_error_set(PS_EINVAL,
					     "Brightpearl sales order row %zu "
					     "has neither product nor name",
					     i + 1);
			goto done;
		}
		if ((row = json_object()) == NULL ||
		    json_array_append_new(rows, row) < 0)
			goto nomem;
		if ((error = ps_conn__json_set_int(row, "productId",
						   r->product_id, 0)) < 0 ||
		    (error = ps_conn__json_set_str(row, "name", r->name, 0)) <
			    0 ||
		    (error = ps_bp__qty_string(row, "quantity", r->quantity)) <
			    0 ||
		    (error = ps_conn__json_set_str(row, "taxCode", r->tax_code,
						   0)) < 0 ||
		    (error = ps_conn__json_set_money(row, "net", r->net)) < 0 ||
		    (error = ps_conn__json_set_money(row, "tax", r->tax)) < 0 ||
		    (error = ps_conn__json_set_str(row, "nominalCode",
						   r->nominal_code, 0)) < 0 ||
		    (error = ps_conn__json_set_str(row, "externalRef",
						   r->external_ref, 0)) < 0)
			goto done;
	}
	if ((error = ps_bp__path(&m->path, "/order-service/sales-order")) < 0)
		goto done;
	m->method = "POST";
	m->body = body;
	body = NULL;
	/* the server-side guard makes a repeat harmless */
	m->idempotent = o->external_ref != NULL && bp->instance_id > 0;
	m->what = "sales order create";
	goto done;
nomem:
	error = ps_error_set(PS_ENOMEM,
			     "out of memory building a Brightpearl "
			     "sales order (or a field is not UTF-8)");
done:
	json_decref(body);
	if (error < 0)
		ps_bp__msg_dispose(m);
	return error;
}

static int
find_order(int64_t *out_id, ps_bp *bp, const void *ctx)
{
	return ps_bp_order_find_external(out_id, bp, ctx);
}

int
ps_bp_order_create(int64_t *out_id, int *out_existed, ps_bp *bp,
		   const ps_bp_order *order)
{
	ps_bp__msg m;
	int error;

	*out_id = 0;
	if (out_existed != NULL)
		*out_existed = 0;
	if ((error = ps_bp__build_order_create(&m, bp, order)) < 0)
		return error;
	/* only a guarded order can be looked for with certainty */
	error = ps_bp__create_recoverable(out_id, out_existed, bp, &m, 1,
					  m.idempotent ? find_order : NULL,
					  order->external_ref);
	ps_bp__msg_dispose(&m);
	return error;
}

void
ps_bp_order_list_dispose(ps_bp_order_list *l)
{
	size_t i;

	if (l == NULL)
		return;
	for (i = 0; i < l->n; i++)
		free(l->items[i].rows);
	free(l->items);
	json_decref((json_t *)l->priv__);
	memset(l, 0, sizeof(*l));
}

int
ps_bp__cmp_rows(const void *a, const void *b)
{
	int64_t x = ((const ps_bp_order_row *)a)->id;
	int64_t y = ((const ps_bp_order_row *)b)->id;

	return (x > y) - (x < y);
}

/* Field key of j, when present and not null, must be an object. */
static int
object_opt(const json_t *j, const char *key, const char *what)
{
	const json_t *v = json_object_get(j, key);

	if (v == NULL || json_is_null(v) || json_is_object(v))
		return 0;
	return ps_error_set(PS_EDATA,
			    "%s: field '%s' is %s, expected an object", what,
			    key, ps_conn__json_type_name(v));
}

/* orderRows {"<rowId>": {...}} of an /order/ GET. */
static int
order_rows_read(ps_bp_order *o, const json_t *rows, const char *what)
{
	const char *key;
	json_t *r;
	size_t i = 0;
	int error;
	char path[64];

	/* absent, or [] (an empty map as PHP writes it): no rows; any
	 * other shape is not a reply about rows at all */
	if (rows == NULL || json_is_null(rows) ||
	    (json_is_array(rows) && json_array_size(rows) == 0))
		return 0;
	if (!json_is_object(rows))
		return ps_error_set(PS_EDATA,
				    "%s: field 'orderRows' is %s, expected an "
				    "object of rows",
				    what, ps_conn__json_type_name(rows));
	if ((error = ps_bp__alloc_items((void **)&o->rows,
					json_object_size(rows),
					sizeof(*o->rows))) < 0)
		return error;
	json_object_foreach ((json_t *)rows, key, r) {
		ps_bp_order_row *row = &o->rows[i++];
		json_t *k = json_string(key);

		snprintf(path, sizeof(path), "orderRows.%s", key);
		error = ps_conn__json_int_value(&row->id, k, path, what);
		json_decref(k);
		if (error < 0 ||
		    (error = ps_conn__json_int_opt(&row->product_id, r,
						   "productId", what, 0)) < 0 ||
		    (error = ps_conn__json_str_opt(&row->name, r, "productName",
						   what)) < 0 ||
		    (error = ps_conn__json_str_opt(&row->sku, r, "productSku",
						   what)) < 0 ||
		    (error = ps_conn__json_int_opt(&row->quantity, r,
						   "quantity.magnitude", what,
						   0)) < 0 ||
		    (error = ps_conn__json_money_opt(&row->net, r,
						     "rowValue.rowNet.value",
						     what, 0)) < 0 ||
		    (error = ps_conn__json_money_opt(&row->tax, r,
						     "rowValue.rowTax.value",
						     what, 0)) < 0 ||
		    (error = ps_conn__json_str_opt(&row->tax_code, r,
						   "rowValue.taxCode", what)) <
			    0 ||
		    (error = ps_conn__json_str_opt(&row->nominal_code, r,
						   "nominalCode", what)) < 0 ||
		    (error = ps_conn__json_str_opt(&row->external_ref, r,
						   "externalRef", what)) < 0)
			return error;
	}
	o->nrows = i;
	ps_bp__sort_items(o->rows, o->nrows, sizeof(*o->rows), ps_bp__cmp_rows);
	return 0;
}

/* One order object of GET /order-service/order/{ids}. */
static int
order_read(ps_bp_order *o, const json_t *j)
{
	char what[PS__BP_WHAT_MAX];
	const json_t *inv;
	int error;

	memset(o, 0, sizeof(*o));
	if ((error = ps_conn__json_int(&o->id, j, "id", "Brightpearl order")) <
	    0)
		return error;
	snprintf(what, sizeof(what), "Brightpearl order %" PRId64, o->id);
	if ((error = ps_conn__json_str_opt(&o->order_type, j, "orderTypeCode",
					   what)) < 0 ||
	    (error = ps_conn__json_str_opt(&o->ref, j, "reference", what)) <
		    0 ||
	    (error = ps_conn__json_str_opt(&o->external_ref, j, "externalRef",
					   what)) < 0 ||
	    (error = ps_conn__json_int(&o->status_id, j,
				       "orderStatus.orderStatusId", what)) <
		    0 ||
	    (error = ps_conn__json_str_opt(&o->status_name, j,
					   "orderStatus.name", what)) < 0 ||
	    (error = ps_conn__json_int_opt(&o->parent_id, j, "parentOrderId",
					   what, 0)) < 0 ||
	    (error = ps_conn__json_str_opt(&o->payment_status, j,
					   "orderPaymentStatus", what)) < 0 ||
	    (error = ps_conn__json_str_opt(&o->placed_on, j, "placedOn",
					   what)) < 0 ||
	    (error = ps_conn__json_str_opt(&o->delivery_date, j,
					   "delivery.deliveryDate", what)) <
		    0 ||
	    (error = ps_conn__json_int_opt(&o->shipping_method_id, j,
					   "delivery.shippingMethodId", what,
					   0)) < 0 ||
	    (error = ps_conn__json_str_opt(&o->currency, j,
					   "currency.orderCurrencyCode",
					   what)) < 0 ||
	    (error = object_opt(j, "totalValue", what)) < 0 ||
	    (error = ps_conn__json_money_opt(&o->total_net, j, "totalValue.net",
					     what, 0)) < 0 ||
	    (error = ps_conn__json_money_opt(
		     &o->total_tax, j, "totalValue.taxAmount", what, 0)) < 0 ||
	    (error = ps_conn__json_money_opt(&o->total, j, "totalValue.total",
					     what, 0)) < 0 ||
	    (error = ps_conn__json_int_opt(&o->channel_id, j,
					   "assignment.current.channelId", what,
					   0)) < 0 ||
	    (error = ps_conn__json_int_opt(&o->lead_source_id, j,
					   "assignment.current.leadSourceId",
					   what, 0)) < 0 ||
	    (error = ps_conn__json_int_opt(&o->project_id, j,
					   "assignment.current.projectId", what,
					   0)) < 0 ||
	    (error = ps_conn__json_int_opt(
		     &o->staff_owner_id, j,
		     "assignment.current.staffOwnerContactId", what, 0)) < 0 ||
	    (error = ps_conn__json_int_opt(&o->price_list_id, j, "priceListId",
					   what, 0)) < 0 ||
	    (error = ps_conn__json_str_opt(&o->price_mode, j, "priceModeCode",
					   what)) < 0 ||
	    (error = ps_conn__json_int_opt(&o->warehouse_id, j, "warehouseId",
					   what, 0)) < 0 ||
	    (error = ps_conn__json_int(&o->customer_id, j,
				       "parties.customer.contactId", what)) < 0)
		return error;
	if ((error = ps_bp__address_read(
		     &o->customer, ps_conn__json_at(j, "parties.customer"),
		     what)) < 0 ||
	    (error = ps_bp__address_read(
		     &o->delivery, ps_conn__json_at(j, "parties.delivery"),
		     what)) < 0 ||
	    (error = ps_bp__address_read(&o->billing,
					 ps_conn__json_at(j, "parties.billing"),
					 what)) < 0)
		return error;
	inv = json_array_get(json_object_get(j, "invoices"), 0);
	if (json_is_object(inv) &&
	    ((error = ps_conn__json_str_opt(&o->invoice_ref, inv,
					    "invoiceReference", what)) < 0 ||
	     (error = ps_conn__json_str_opt(&o->invoice_date, inv, "taxDate",
					    what)) < 0))
		return error;
	return order_rows_read(o, json_object_get(j, "orderRows"), what);
}

/* Fill l from an array (or id-keyed object) of orders read by fn. */
int
ps_bp__order_list_fill(ps_bp_order_list *l, json_t *all,
		       int (*fn)(ps_bp_order *, const json_t *))
{
	json_t *arr = ps_bp__values_of(all), *item;
	size_t i;
	int error = 0;

	if (arr == NULL)
		return ps_error_set(PS_ENOMEM, NULL);
	l->priv__ = json_incref(all);
	if ((error = ps_bp__alloc_items((void **)&l->items,
					json_array_size(arr),
					sizeof(*l->items))) < 0)
		goto done;
	json_array_foreach (arr, i, item) {
		if ((error = fn(&l->items[l->n], item)) < 0) {
			free(l->items[l->n].rows);
			goto done;
		}
		l->n++;
	}
	ps_bp__sort_items(l->items, l->n, sizeof(*l->items),
			  ps_bp__cmp_id_field);
done:
	json_decref(arr);
	return error;
}

/*
 * The orders a get read must be orders it asked for, each once: a reply
 * about another order (or the same order twice) is not used, as
 * BigCommerce's order read refuses one about another order.  out->items
 * are sorted by id.
 */
static int
order_get_check(const ps_bp_order_list *out, const int64_t *ids, size_t n)
{
	size_t i, k;

	for (i = 0; i < out->n; i++) {
		for (k = 0; k < n && ids[k] != out->items[i].id; k++)
			;
		if (k == n)
			return ps_error_set(PS_EDATA,
					    "Brightpearl order get: the reply "
					    "holds order %" PRId64
					    ", which was not asked for; "
					    "nothing of it was used",
					    out->items[i].id);
		if (i > 0 && out->items[i - 1].id == out->items[i].id)
			return ps_error_set(PS_EDATA,
					    "Brightpearl order get: the reply "
					    "holds order %" PRId64
					    " twice; nothing of it was used",
					    out->items[i].id);
	}
	return 0;
}

int
ps_bp_order_get(ps_bp_order_list *out, ps_bp *bp, const int64_t *ids, size_t n)
{
	json_t *all = NULL;
	int error;

	memset(out, 0, sizeof(*out));
	if ((error = ps_bp__get_ids(&all, bp, "/order-service/order/", NULL,
				    ids, n, "order get")) < 0)
		return error;
	error = ps_bp__order_list_fill(out, all, order_read);
	json_decref(all);
	if (error == 0)
		error = order_get_check(out, ids, n);
	if (error < 0)
		ps_bp_order_list_dispose(out);
	return error;
}

int
ps_bp_order_find_external(int64_t *out_id, ps_bp *bp, const char *external_ref)
{
	ps_conn_buf q = PS_CONN_BUF_INIT(2048);
	json_t *rows = NULL, *row;
	const char *ref;
	int64_t id, inst;
	size_t i;
	int error;

	*out_id = 0;
	if (external_ref == NULL || external_ref[0] == '\0')
		return ps_error_set(PS_EINVAL, "Brightpearl order search: no "
					       "externalRef");
	ps_conn__buf_add(&q, "externalRef=");
	ps_conn__buf_add_urlenc(&q, external_ref);
	if ((error = ps_conn__buf_check(&q, "Brightpearl order search")) < 0 ||
	    (error = ps_bp__search(&rows, bp, "/order-service/order-search",
				   ps_conn__buf_str(&q),
				   "order search by externalRef")) < 0)
		goto done;
	json_array_foreach (rows, i, row) {
		/* the filter may be loose; insist on an exact match */
		if (ps_conn__json_str_opt(&ref, row, "externalRef",
					  "Brightpearl order search") < 0 ||
		    (ref != NULL && strcmp(ref, external_ref) != 0))
			continue;
		if (ps_conn__json_int_opt(&inst, row,
					  "installedIntegrationInstanceId",
					  "Brightpearl order search", 0) < 0 ||
		    (bp->instance_id > 0 && inst > 0 &&
		     inst != bp->instance_id))
			continue;
		if ((error = ps_conn__json_int(&id, row, "orderId",
					       "Brightpearl order search")) < 0)
			goto done;
		if (*out_id == 0 || id < *out_id)
			*out_id = id;
	}
	if (*out_id == 0)
		error = ps_error_set(PS_ENOTFOUND,
				     "no Brightpearl order has externalRef "
				     "'%s'",
				     external_ref);
done:
	json_decref(rows);
	ps_conn__buf_dispose(&q);
	return error;
}

int
ps_bp__build_status_set(ps_bp__msg *m, int64_t order_id, int64_t status_id,
			const char *note_text)
{
	int error;

	memset(m, 0, sizeof(*m));
	if (order_id <= 0 || status_id <= 0)
		return ps_error_set(PS_EINVAL,
				    "Brightpearl status change: "
				    "order and status ids are required");
	m->body = json_pack("{s:I}", "orderStatusId", (json_int_t)status_id);
	if (m->body == NULL)
		return ps_error_set(PS_ENOMEM, NULL);
	if (note_text != NULL &&
	    ps_bp__set_new(m->body, "orderNote",
			   json_pack("{s:s, s:b}", "text", note_text,
				     "isPublic", 0)) < 0) {
		ps_bp__msg_dispose(m);
		return ps_error_last_code();
	}
	if ((error = ps_bp__path(&m->path,
				 "/order-service/order/%" PRId64 "/status",
				 order_id)) < 0) {
		ps_bp__msg_dispose(m);
		return error;
	}
	m->method = "PUT";
	m->idempotent = 1;
	m->what = "order status change";
	return 0;
}

int
ps_bp_order_status_set(ps_bp *bp, int64_t order_id, int64_t status_id,
		       const char *note_text)
{
	ps_bp__msg m;
	json_t *root = NULL;
	int error;

	if ((error = ps_bp__build_status_set(&m, order_id, status_id,
					     note_text)) < 0)
		return error;
	error = ps_bp__send_msg(&root, bp, &m);
	json_decref(root);
	ps_bp__msg_dispose(&m);
	return error;
}

/* ---- notes -------------------------------------------------------------- */

int
ps_bp__build_note_add(ps_bp__msg *m, int64_t order_id, const char *text,
		      int is_public)
{
	int error;

	memset(m, 0, sizeof(*m));
	if (order_id <= 0 || text == NULL)
		return ps_error_set(PS_EINVAL, "Brightpearl note: order id and "
					       "text are required");
	m->body = json_pack("{s:s, s:b}", "text", text, "isPublic",
			    is_public != 0);
	if (m->body == NULL)
		return ps_error_set(PS_ENOMEM, "Brightpearl note: out of "
					       "memory or text not UTF-8");
	if ((error = ps_bp__path(&m->path,
				 "/order-service/order/%" PRId64 "/note",
				 order_id)) < 0) {
		ps_bp__msg_dispose(m);
		return error;
	}
	m->method = "POST";
	m->what = "order note add";
	return 0;
}

typedef struct note_key {
	int64_t order_id;
	const char *text;
} note_key;

static int
find_note(int64_t *out_id, ps_bp *bp, const void *ctx)
{
	const note_key *k = ctx;
	ps_bp_note_list l;
	size_t i;
	int error;

	*out_id = 0;
	if ((error = ps_bp_note_list_get(&l, bp, k->order_id)) < 0)
		return error;
	for (i = 0; i < l.n; i++)
		if (l.items[i].text != NULL &&
		    strcmp(l.items[i].text, k->text) == 0)
			*out_id = l.items[i].id; /* the newest wins */
	ps_bp_note_list_dispose(&l);
	return *out_id > 0 ? 0 : PS_ENOTFOUND;
}

int
ps_bp_note_add(int64_t *out_id, ps_bp *bp, int64_t order_id, const char *text,
	       int is_public)
{
	ps_bp__msg m;
	note_key k = {order_id, text};
	int64_t id = 0;
	int error;

	if (out_id != NULL)
		*out_id = 0;
	if ((error = ps_bp__build_note_add(&m, order_id, text, is_public)) < 0)
		return error;
	error = ps_bp__create_recoverable(&id, NULL, bp, &m, 1, find_note, &k);
	if (error == 0 && out_id != NULL)
		*out_id = id;
	ps_bp__msg_dispose(&m);
	return error;
}

void
ps_bp_note_list_dispose(ps_bp_note_list *l)
{
	if (l == NULL)
		return;
	free(l->items);
	json_decref((json_t *)l->priv__);
	memset(l, 0, sizeof(*l));
}

int
ps_bp_note_list_get(ps_bp_note_list *out, ps_bp *bp, int64_t order_id)
{
	char *path = NULL;
	json_t *root = NULL, *arr = NULL, *item;
	const char *what = "Brightpearl order note";
	size_t i;
	int error;

	memset(out, 0, sizeof(*out));
	if ((error = ps_bp__path(&path, "/order-service/order/%" PRId64 "/note",
				 order_id)) < 0)
		return error;
	if ((error = ps_bp__list_get(&root, &arr, &out->priv__,
				     (void **)&out->items, sizeof(*out->items),
				     bp, path, "order note list")) < 0)
		goto done;
	json_array_foreach (arr, i, item) {
		ps_bp_note *nt = &out->items[out->n];

		if ((error = ps_conn__json_int(&nt->id, item, "noteId", what)) <
			    0 ||
		    (error = ps_conn__json_str(&nt->text, item, "text", what)) <
			    0 ||
		    (error = ps_conn__json_bool_opt(&nt->is_public, item,
						    "isPublic", what, 0)) < 0 ||
		    (error = ps_conn__json_int_opt(&nt->contact_id, item,
						   "contactId", what, 0)) < 0 ||
		    (error = ps_conn__json_int_opt(&nt->status_id, item,
						   "orderStatusId", what, 0)) <
			    0 ||
		    (error = ps_conn__json_str_opt(&nt->added_on, item,
						   "addedOn", what)) < 0)
			goto done;
		out->n++;
	}
	ps_bp__sort_items(out->items, out->n, sizeof(*out->items),
			  ps_bp__cmp_id_field);
done:
	json_decref(arr);
	json_decref(root);
	free(path);
	if (error < 0)
		ps_bp_note_list_dispose(out);
	return error;
}

/* ---- custom-field values ------------------------------------------------ */

int
ps_bp__build_fields_set(ps_bp__msg *m, int64_t order_id,
			const ps_bp_field_value *values, size_t n)
{
	json_t *ops = NULL, *v;
	char key[160];
	size_t i;
	int error = 0;

	memset(m, 0, sizeof(*m));
	if ((ops = json_array()) == NULL)
		return ps_error_set(PS_ENOMEM, NULL);
	for (i = 0; i < n; i++) {
		const ps_bp_field_value *f = &values[i];

		if (f->code == NULL || f->code[0] == '\0' ||
		    strchr(f->code, '/') != NULL) {
			error = ps_error_set(PS_EINVAL,
					     "Brightpearl custom "
					     "field %zu: invalid code",
					     i + 1);
			goto done;
		}
		switch (f->type) {
		case PS_BP_FIELD_INTEGER:
			v = json_integer((json_int_t)f->number);
			break;
		case PS_BP_FIELD_YESNO:
			v = json_boolean(f->number != 0);
			break;
		case PS_BP_FIELD_SELECT:
			v = json_pack("{s:I}", "id", (json_int_t)f->number);
			break;
		case PS_BP_FIELD_TEXT:
		default:
			v = json_string(f->text != NULL ? f->text : "");
			break;
		}
		snprintf(key, sizeof(key), "/%s", f->code);
		if (v == NULL ||
		    json_array_append_new(
			    ops, json_pack("{s:s, s:s, s:o}", "op", "add",
					   "path", key, "value", v)) < 0) {
			error = ps_error_set(PS_ENOMEM,
					     "Brightpearl custom "
					     "field '%s': out of memory or "
					     "not UTF-8",
					     f->code);
			goto done;
		}
	}
	if ((error = ps_bp__path(
		     &m->path, "/order-service/order/%" PRId64 "/custom-field",
		     order_id)) < 0)
		goto done;
	m->method = "PATCH";
	m->body = ops;
	ops = NULL;
	m->idempotent = 1;
	m->what = "order custom fields update";
done:
	json_decref(ops);
	if (error < 0)
		ps_bp__msg_dispose(m);
	return error;
}

int
ps_bp_order_fields_set(ps_bp *bp, int64_t order_id,
		       const ps_bp_field_value *values, size_t n)
{
	ps_bp__msg m;
	json_t *root = NULL;
	int error;

	if (n == 0)
		return 0;
	if ((error = ps_bp__build_fields_set(&m, order_id, values, n)) < 0)
		return error;
	error = ps_bp__send_msg(&root, bp, &m);
	json_decref(root);
	ps_bp__msg_dispose(&m);
	return error;
}

/* ---- sales orders: address changes -------------------------------------- */

/* Fields of a sales-order GET that a PUT does not take (sales-order GET
 * page: read-only fields; row fields likewise). */
static const char *const so_read_only[] = {"id",
					   "createdOn",
					   "createdBy",
					   "updatedOn",
					   "total",
					   "isCanceled",
					   "orderPaymentStatus",
					   "allocationStatusCode",
					   "stockStatusCode",
					   "shippingStatusCode",
					   "version",
					   "invoice",
					   "orderWeighting",
					   "costPriceListId",
					   NULL};
static const char *const so_row_read_only[] = {
	"sku", "bundleChild", "bundleParent", "parentRowId", NULL};

void
ps_bp_sales_order_dispose(ps_bp_sales_order *so)
{
	if (so == NULL)
		return;
	json_decref((json_t *)so->priv__);
	memset(so, 0, sizeof(*so));
}

static int
sales_order_read(ps_bp_sales_order *so, json_t *j, int64_t id)
{
	char what[PS__BP_WHAT_MAX];
	const char *ref = NULL;
	int error;

	snprintf(what, sizeof(what), "Brightpearl sales order %" PRId64, id);
	so->priv__ = json_incref(j);
	so->id = id;
	if ((error = ps_conn__json_int(&so->version, j, "version", what)) < 0 ||
	    (error = ps_conn__json_str_opt(&so->shipping_status, j,
					   "shippingStatusCode", what)) < 0 ||
	    (error = ps_conn__json_str_opt(&ref, j, "invoice.invoiceReference",
					   what)) < 0 ||
	    (error = ps_bp__address_read(&so->billing,
					 ps_conn__json_at(j, "billing.address"),
					 what)) < 0 ||
	    (error = ps_bp__address_read(
		     &so->delivery, ps_conn__json_at(j, "delivery.address"),
		     what)) < 0)
		return error;
	if (so->shipping_status == NULL)
		so->shipping_status = "";
	so->invoiced = ref != NULL && ref[0] != '\0';
	return 0;
}

int
ps_bp_sales_order_get(ps_bp_sales_order *out, ps_bp *bp, int64_t id)
{
	json_t *root = NULL, *j = NULL, *item;
	char path[96];
	size_t i;
	int error;

	memset(out, 0, sizeof(*out));
	snprintf(path, sizeof(path), "/order-service/sales-order/%" PRId64, id);
	if ((error = ps_bp__request(&root, NULL, bp, "GET", path, NULL, 1,
				    "sales order get")) < 0)
		goto done;
	json_array_foreach (ps_bp__response(root), i, item) {
		if (json_integer_value(json_object_get(item, "id")) == id)
			j = item;
	}
	if (j == NULL) {
		error = ps_error_set(PS_ENOTFOUND,
				     "Brightpearl sales order %" PRId64
				     " not found (sales order get)",
				     id);
		goto done;
	}
	error = sales_order_read(out, j, id);
done:
	json_decref(root);
	if (error < 0)
		ps_bp_sales_order_dispose(out);
	return error;
}

static int
str_same(const char *a, const char *b)
{
	return strcmp(a ? a : "", b ? b : "") == 0;
}

/* Countries are the same in either ISO 3166-1 form ("GB" and "GBR"). */
static int
country_same(const char *a, const char *b)
{
	const char *a3 = ps_bp_country_iso3(a), *b3 = ps_bp_country_iso3(b);

	return a3 != NULL && b3 != NULL ? a3 == b3 : str_same(a, b);
}

int
ps_bp_address_equal(const ps_bp_address *a, const ps_bp_address *b)
{
	return str_same(a->full_name, b->full_name) &&
	       str_same(a->company, b->company) &&
	       str_same(a->line1, b->line1) && str_same(a->line2, b->line2) &&
	       str_same(a->line3, b->line3) && str_same(a->line4, b->line4) &&
	       str_same(a->postal_code, b->postal_code) &&
	       country_same(a->country_iso, b->country_iso) &&
	       str_same(a->telephone, b->telephone) &&
	       str_same(a->mobile, b->mobile) && str_same(a->email, b->email);
}

/* Set parent.address in body to a (an empty object when a is empty). */
static int
so_address_put(json_t *body, const char *parent, const ps_bp_address *a)
{
	json_t *p = json_object_get(body, parent), *addr;

	if (!json_is_object(p)) {
		if ((p = json_object()) == NULL ||
		    json_object_set_new(body, parent, p) < 0)
			return ps_error_set(PS_ENOMEM, NULL);
	}
	addr = ps_bp__address_json_all(a);
	return ps_bp__set_new(p, "address", addr);
}

/* The PUT body: the order as read without its read-only fields, with the
 * new addresses.  New reference in *out. */
static int
so_put_body(json_t **out, const ps_bp_sales_order *so,
	    const ps_bp_address *billing, const ps_bp_address *delivery)
{
	json_t *body = json_deep_copy((json_t *)so->priv__), *row;
	size_t i, k;
	int error = 0;

	*out = NULL;
	if (body == NULL)
		return ps_error_set(PS_ENOMEM, NULL);
	for (k = 0; so_read_only[k]; k++)
		json_object_del(body, so_read_only[k]);
	json_array_foreach (json_object_get(body, "rows"), i, row) {
		for (k = 0; so_row_read_only[k]; k++)
			json_object_del(row, so_row_read_only[k]);
	}
	if ((billing &&
	     (error = so_address_put(body, "billing", billing)) < 0) ||
	    (delivery &&
	     (error = so_address_put(body, "delivery", delivery)) < 0)) {
		json_decref(body);
		return error;
	}
	*out = body;
	return 0;
}

/* *copy: a (NULL: none) in storage of its own, *j (new reference). */
static int
address_copy(ps_bp_address **copy, ps_bp_address *buf, json_t **j,
	     const ps_bp_address *a)
{
	*copy = NULL;
	*j = NULL;
	if (a == NULL)
		return 0;
	if ((*j = ps_bp__address_json_all(a)) == NULL)
		return ps_error_set(PS_ENOMEM, NULL);
	*copy = buf;
	return ps_bp__address_read(buf, *j, "address");
}

static int
addresses_set(ps_bp *bp, ps_bp_sales_order *so, const ps_bp_address *billing,
	      const ps_bp_address *delivery)
{
	json_t *body = NULL, *root = NULL;
	char path[96];
	long status = 0;
	int64_t id = so->id;
	int tries, error = 0;

	snprintf(path, sizeof(path), "/order-service/sales-order/%" PRId64, id);
	for (tries = 1;; tries++) {
		if (so->invoiced || strcmp(so->shipping_status, "SPS") == 0 ||
		    strcmp(so->shipping_status, "ASS") == 0)
			return ps_error_set(
				PS_EDATA,
				"Brightpearl sales order %" PRId64
				" is %s: its addresses were not changed",
				so->id,
				so->invoiced ? "invoiced" : "(part) shipped");
		if ((billing == NULL ||
		     ps_bp_address_equal(billing, &so->billing)) &&
		    (delivery == NULL ||
		     ps_bp_address_equal(delivery, &so->delivery)))
			return 0;
		if ((error = so_put_body(&body, so, billing, delivery)) < 0)
			return error;
		error = ps_bp__request_if_match(&root, &status, bp, "PUT", path,
						body, so->version,
						"sales order update");
		json_decref(body);
		json_decref(root);
		body = root = NULL;
		if (error == 0 || status != 412)
			return error;
		if (tries >= PS_BP_PUT_TRIES)
			return ps_error_set(
				PS_EREMOTE,
				"Brightpearl sales order %" PRId64
				" changed under each of %d address updates "
				"(HTTP 412): will try again later",
				so->id, tries);
		/* someone changed the order since it was read: read again */
		ps_log_info("brightpearl",
			    "sales order %" PRId64 " changed since version "
			    "%" PRId64 " (412): reading it again",
			    so->id, so->version);
		ps_error_clear();
		ps_bp_sales_order_dispose(so);
		if ((error = ps_bp_sales_order_get(so, bp, id)) < 0)
			return error;
	}
}

int
ps_bp_sales_order_addresses_set(ps_bp *bp, ps_bp_sales_order *so,
				const ps_bp_address *billing,
				const ps_bp_address *delivery)
{
	ps_bp_address bbuf, dbuf, *b = NULL, *d = NULL;
	json_t *bj = NULL, *dj = NULL;
	int error;

	/* the caller's addresses may borrow from *so, which a 412 replaces */
	if ((error = address_copy(&b, &bbuf, &bj, billing)) == 0 &&
	    (error = address_copy(&d, &dbuf, &dj, delivery)) == 0)
		error = addresses_set(bp, so, b, d);
	json_decref(bj);
	json_decref(dj);
	return error;
}

/* ---- batch forms -------------------------------------------------------- */

int
ps_bp_batch_order_create(ps_bp_batch *b, const ps_bp_order *order)
{
	ps_bp__msg m = {0};
	int error;

	if ((error = ps_bp__build_order_create(&m, b->bp, order)) < 0)
		return error;
	return ps_bp__batch_push(b, &m);
}

int
ps_bp_batch_status_set(ps_bp_batch *b, int64_t order_id, int64_t status_id,
		       const char *note_text)
{
	ps_bp__msg m = {0};
	int error;

	if ((error = ps_bp__build_status_set(&m, order_id, status_id,
					     note_text)) < 0)
		return error;
	return ps_bp__batch_push(b, &m);
}

int
ps_bp_batch_note_add(ps_bp_batch *b, int64_t order_id, const char *text,
		     int is_public)
{
	ps_bp__msg m = {0};
	int error;

	if ((error = ps_bp__build_note_add(&m, order_id, text, is_public)) < 0)
		return error;
	return ps_bp__batch_push(b, &m);
}
