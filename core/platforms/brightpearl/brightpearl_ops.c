/*
 * brightpearl_ops.c - the typed Brightpearl operations: each builds its
 * request from a C struct and reads the reply into C structs with the
 * type-checked getters of connector.h.
 *
 * Lists keep the parsed replies alive (priv__) and point their strings
 * into them, so reading a thousand orders costs no string copies; the
 * list's _dispose releases both.  Brightpearl's string-keyed maps
 * (orderRows, availability, goods-out notes) are walked here and turned
 * into arrays sorted by id, so callers see a stable order.
 */
#include "platforms/brightpearl/brightpearl_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define PS__BP_WHAT_MAX 96

/* ---- small helpers ------------------------------------------------------ */

/* An array of n zeroed elements of size sz in *out, or PS_ENOMEM. */
static int
alloc_items(void **out, size_t n, size_t sz)
{
	*out = NULL;
	if (n == 0)
		return 0;
	*out = calloc(n, sz);
	if (*out == NULL)
		return ps_error_set(PS_ENOMEM, NULL);
	return 0;
}

/* qsort that accepts an empty (NULL) array. */
static void
sort_items(void *base, size_t n, size_t sz,
	   int (*cmp)(const void *, const void *))
{
	if (n > 1)
		qsort(base, n, sz, cmp);
}

/* The elements of a reply that is either an array or an object keyed by
 * id, as an array (new reference). */
static json_t *
values_of(json_t *v)
{
	json_t *arr, *item;
	const char *key;

	if (json_is_array(v))
		return json_incref(v);
	arr = json_array();
	if (arr == NULL || !json_is_object(v))
		return arr;
	json_object_foreach(v, key, item)
		json_array_append(arr, item);
	return arr;
}

/*
 * GET the list at path: *root the reply, *arr its values (values_of),
 * *priv a reference to *root for the strings the items will borrow, and
 * *items a zeroed array of as many size-byte items.  A 404 is an empty
 * list (Brightpearl may report an empty collection as "not found"): 0,
 * with *arr and *items left NULL.
 */
static int
list_get(json_t **root, json_t **arr, void **priv, void **items, size_t size,
	 ps_bp *bp, const char *path, const char *what)
{
	int error;

	error = ps_bp__request(root, NULL, bp, "GET", path, NULL, 1, what);
	if (error == PS_ENOTFOUND) {
		ps_error_clear();
		return 0;
	}
	if (error < 0)
		return error;
	*arr = values_of(ps_bp__response(*root));
	*priv = json_incref(*root);
	return alloc_items(items, json_array_size(*arr), size);
}

static int
cmp_id_field(const void *a, const void *b)
{
	/* every list item starts with int64_t id */
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

/* Build a JSON address object from a with every field a has (an empty
 * object when none), NULL when out of memory. */
static json_t *
address_json_all(const ps_bp_address *a)
{
	json_t *o;
	int error = 0;

	if ((o = json_object()) == NULL)
		return NULL;
	if ((error = ps_conn__json_set_str(o, "addressFullName", a->full_name,
					   0)) < 0 ||
	    (error = ps_conn__json_set_str(o, "companyName", a->company, 0)) <
		    0 ||
	    (error = ps_conn__json_set_str(o, "addressLine1", a->line1, 0)) <
		    0 ||
	    (error = ps_conn__json_set_str(o, "addressLine2", a->line2, 0)) <
		    0 ||
	    (error = ps_conn__json_set_str(o, "addressLine3", a->line3, 0)) <
		    0 ||
	    (error = ps_conn__json_set_str(o, "addressLine4", a->line4, 0)) <
		    0 ||
	    (error = ps_conn__json_set_str(o, "postalCode", a->postal_code,
					   0)) < 0 ||
	    (error = ps_conn__json_set_str(o, "countryIsoCode", a->country_iso,
					   0)) < 0 ||
	    (error = ps_conn__json_set_str(o, "telephone", a->telephone, 0)) <
		    0 ||
	    (error = ps_conn__json_set_str(o, "mobileTelephone", a->mobile,
					   0)) < 0 ||
	    (error = ps_conn__json_set_str(o, "email", a->email, 0)) < 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* Build a JSON address object from a, NULL when a is empty. */
static json_t *
address_json(const ps_bp_address *a)
{
	if (a->line1 == NULL && a->full_name == NULL && a->postal_code == NULL)
		return NULL;
	return address_json_all(a);
}

/* Read an address object (borrowed strings). */
static int
address_read(ps_bp_address *a, const json_t *o, const char *what)
{
	int error = 0;

	memset(a, 0, sizeof(*a));
	if (!json_is_object(o))
		return 0;
	if ((error = ps_conn__json_str_opt(&a->full_name, o,
					   "addressFullName", what)) < 0 ||
	    (error = ps_conn__json_str_opt(&a->company, o, "companyName",
					   what)) < 0 ||
	    (error = ps_conn__json_str_opt(&a->line1, o, "addressLine1",
					   what)) < 0 ||
	    (error = ps_conn__json_str_opt(&a->line2, o, "addressLine2",
					   what)) < 0 ||
	    (error = ps_conn__json_str_opt(&a->line3, o, "addressLine3",
					   what)) < 0 ||
	    (error = ps_conn__json_str_opt(&a->line4, o, "addressLine4",
					   what)) < 0 ||
	    (error = ps_conn__json_str_opt(&a->postal_code, o, "postalCode",
					   what)) < 0 ||
	    (error = ps_conn__json_str_opt(&a->country_iso, o,
					   "countryIsoCode", what)) < 0 ||
	    (error = ps_conn__json_str_opt(&a->telephone, o, "telephone",
					   what)) < 0 ||
	    (error = ps_conn__json_str_opt(&a->mobile, o, "mobileTelephone",
					   what)) < 0 ||
	    (error = ps_conn__json_str_opt(&a->email, o, "email", what)) < 0)
		return error;
	return 0;
}

static int
set_new(json_t *o, const char *key, json_t *v)
{
	if (v == NULL || json_object_set_new(o, key, v) < 0)
		return ps_error_set(PS_ENOMEM, NULL);
	return 0;
}

static int
qty_string(json_t *o, const char *key, int64_t qty)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%" PRId64, qty);
	return set_new(o, key, json_string(buf));
}


/*
 * Creating something is not idempotent, but after a failure whose fate is
 * unknown (the connection dropped after the request went out, a garbled or
 * 5xx reply) the object can often be looked for.  create_recoverable sends
 * m; on such a failure it calls find (when given): found means the first
 * attempt took effect and its id is returned; not found means it did not,
 * so it is safe to send again.  The result is at most one object, and
 * usually success where a plain retry would have risked a duplicate.
 */
#define PS__BP_CREATE_TRIES 4

typedef int (*find_fn)(int64_t *out_id, ps_bp *bp, const void *ctx);

static int
fate_unknown(int error)
{
	return error == PS_ENET || error == PS_ETIMEOUT ||
	       error == PS_EPARSE || error == PS_EREMOTE;
}

static int
create_recoverable(int64_t *out_id, int *out_found, ps_bp *bp,
		   const ps_bp__msg *m, int want_id, find_fn find,
		   const void *ctx)
{
	char saved[PS_ERROR_MAX];
	json_t *root = NULL;
	int error = 0, saved_code, tries, found;

	*out_id = 0;
	if (out_found != NULL)
		*out_found = 0;
	for (tries = 0; tries < PS__BP_CREATE_TRIES; tries++) {
		json_decref(root);
		root = NULL;
		error = ps_bp__send_msg(&root, bp, m);
		if (error == 0) {
			if (want_id)
				error = ps_bp__reply_id(out_id, root, m->what);
			/* an ack without the id still happened: look it up */
			if (error == 0 || find == NULL)
				break;
		}
		/*
		 * A refusal (PS_EDATA) after an attempt that may have got
		 * through (an earlier try here, or a retry inside the HTTP
		 * client for a request marked idempotent) may be the server
		 * refusing a duplicate, e.g. a payment's transaction
		 * reference: look before believing it.
		 */
		if (find == NULL ||
		    (error < 0 && !fate_unknown(error) &&
		     !(error == PS_EDATA && (tries > 0 || m->idempotent))))
			break;
		saved_code = error;
		ps_util__strlcpy(saved, ps_error_last(), sizeof(saved));
		found = find(out_id, bp, ctx);
		if (found == 0) {
			ps_log_info("brightpearl",
				    "%s: %s; it took effect, adopting id "
				    "%" PRId64,
				    m->what, saved, *out_id);
			ps_error_clear();
			if (out_found != NULL)
				*out_found = 1;
			error = 0;
			break;
		}
		if (found != PS_ENOTFOUND) {
			error = found;
			break;
		}
		error = ps_error_set(saved_code, "%s", saved);
		if (!fate_unknown(saved_code))
			break;
		ps_log_warn("brightpearl", "%s: %s; not created, sending "
			    "again", m->what, saved);
	}
	json_decref(root);
	return error;
}

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
	    set_new(body, "customer", cust) < 0)
		goto nomem;
	if ((addr = address_json(&o->customer)) != NULL &&
	    set_new(cust, "address", addr) < 0)
		goto nomem;
	if ((addr = address_json(&o->billing)) != NULL &&
	    set_new(body, "billing",
		    json_pack("{s:I, s:o}", "contactId",
			      (json_int_t)o->customer_id, "address", addr)) <
		    0)
		goto nomem;
	if ((error = ps_conn__json_set_str(body, "ref", o->ref, 0)) < 0 ||
	    (error = ps_conn__json_set_str(body, "externalRef", o->external_ref,
					   0)) < 0 ||
	    (error = ps_conn__json_set_str(body, "placedOn", o->placed_on,
					   0)) < 0 ||
	    (error = ps_conn__json_set_str(body, "priceModeCode",
					   o->price_mode, 0)) < 0 ||
	    (error = ps_conn__json_set_int(body, "statusId", o->status_id,
					   0)) < 0 ||
	    (error = ps_conn__json_set_int(body, "warehouseId",
					   o->warehouse_id, 0)) < 0 ||
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
		    set_new(body, "currency", cur) < 0 ||
		    (error = ps_conn__json_set_str(cur, "code", o->currency,
						   0)) < 0)
			goto nomem;
	}
	addr = address_json(&o->delivery);
	if (addr != NULL || o->shipping_method_id > 0 ||
	    o->delivery_date != NULL) {
		if ((deliv = json_object()) == NULL ||
		    set_new(body, "delivery", deliv) < 0) {
			json_decref(addr);
			goto nomem;
		}
		if (addr != NULL && set_new(deliv, "address", addr) < 0)
			goto nomem;
		if ((error = ps_conn__json_set_int(deliv, "shippingMethodId",
						   o->shipping_method_id,
						   0)) < 0 ||
		    (error = ps_conn__json_set_str(deliv, "date",
						   o->delivery_date, 0)) < 0)
			goto done;
	}
	if ((rows = json_array()) == NULL || set_new(body, "rows", rows) < 0)
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
		    (error = qty_string(row, "quantity", r->quantity)) < 0 ||
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
	error = ps_error_set(PS_ENOMEM, "out of memory building a Brightpearl "
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
	error = create_recoverable(out_id, out_existed, bp, &m, 1,
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

static int
cmp_rows(const void *a, const void *b)
{
	int64_t x = ((const ps_bp_order_row *)a)->id;
	int64_t y = ((const ps_bp_order_row *)b)->id;

	return (x > y) - (x < y);
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

	if (!json_is_object(rows))
		return 0;
	if ((error = alloc_items((void **)&o->rows, json_object_size(rows),
				 sizeof(*o->rows))) < 0)
		return error;
	json_object_foreach((json_t *)rows, key, r) {
		ps_bp_order_row *row = &o->rows[i++];
		json_t *k = json_string(key);

		snprintf(path, sizeof(path), "orderRows.%s", key);
		error = ps_conn__json_int_value(&row->id, k, path, what);
		json_decref(k);
		if (error < 0 ||
		    (error = ps_conn__json_int_opt(&row->product_id, r,
						   "productId", what, 0)) < 0 ||
		    (error = ps_conn__json_str_opt(&row->name, r,
						   "productName", what)) < 0 ||
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
						   "nominalCode", what)) < 0)
			return error;
	}
	o->nrows = i;
	sort_items(o->rows, o->nrows, sizeof(*o->rows), cmp_rows);
	return 0;
}

/* One order object of GET /order-service/order/{ids}. */
static int
order_read(ps_bp_order *o, const json_t *j)
{
	char what[PS__BP_WHAT_MAX];
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
	    (error = ps_conn__json_money_opt(&o->total_net, j,
					     "totalValue.net", what, 0)) < 0 ||
	    (error = ps_conn__json_money_opt(&o->total_tax, j,
					     "totalValue.taxAmount", what,
					     0)) < 0 ||
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
	    (error = ps_conn__json_int_opt(&o->price_list_id, j,
					   "priceListId", what, 0)) < 0 ||
	    (error = ps_conn__json_str_opt(&o->price_mode, j, "priceModeCode",
					   what)) < 0 ||
	    (error = ps_conn__json_int_opt(&o->warehouse_id, j, "warehouseId",
					   what, 0)) < 0 ||
	    (error = ps_conn__json_int(&o->customer_id, j,
				       "parties.customer.contactId", what)) < 0)
		return error;
	if ((error = address_read(&o->customer,
				  ps_conn__json_at(j, "parties.customer"),
				  what)) < 0 ||
	    (error = address_read(&o->delivery,
				  ps_conn__json_at(j, "parties.delivery"),
				  what)) < 0 ||
	    (error = address_read(&o->billing,
				  ps_conn__json_at(j, "parties.billing"),
				  what)) < 0)
		return error;
	return order_rows_read(o, json_object_get(j, "orderRows"), what);
}

/* Fill l from an array (or id-keyed object) of orders read by fn. */
static int
order_list_fill(ps_bp_order_list *l, json_t *all,
		int (*fn)(ps_bp_order *, const json_t *))
{
	json_t *arr = values_of(all), *item;
	size_t i;
	int error = 0;

	if (arr == NULL)
		return ps_error_set(PS_ENOMEM, NULL);
	l->priv__ = json_incref(all);
	if ((error = alloc_items((void **)&l->items, json_array_size(arr),
				 sizeof(*l->items))) < 0)
		goto done;
	json_array_foreach(arr, i, item) {
		if ((error = fn(&l->items[l->n], item)) < 0) {
			free(l->items[l->n].rows);
			goto done;
		}
		l->n++;
	}
	sort_items(l->items, l->n, sizeof(*l->items), cmp_id_field);
done:
	json_decref(arr);
	return error;
}

int
ps_bp_order_get(ps_bp_order_list *out, ps_bp *bp, const int64_t *ids,
		size_t n)
{
	json_t *all = NULL;
	int error;

	memset(out, 0, sizeof(*out));
	if ((error = ps_bp__get_ids(&all, bp, "/order-service/order/", NULL,
				    ids, n, "order get")) < 0)
		return error;
	error = order_list_fill(out, all, order_read);
	json_decref(all);
	if (error < 0)
		ps_bp_order_list_dispose(out);
	return error;
}

int
ps_bp_order_find_external(int64_t *out_id, ps_bp *bp,
			  const char *external_ref)
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
	json_array_foreach(rows, i, row) {
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
		return ps_error_set(PS_EINVAL, "Brightpearl status change: "
				    "order and status ids are required");
	m->body = json_pack("{s:I}", "orderStatusId", (json_int_t)status_id);
	if (m->body == NULL)
		return ps_error_set(PS_ENOMEM, NULL);
	if (note_text != NULL &&
	    set_new(m->body, "orderNote",
		    json_pack("{s:s, s:b}", "text", note_text, "isPublic", 0)) <
		    0) {
		ps_bp__msg_dispose(m);
		return ps_error_last_code();
	}
	if ((error = ps_bp__path(&m->path, "/order-service/order/%" PRId64
				 "/status", order_id)) < 0) {
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
ps_bp_note_add(int64_t *out_id, ps_bp *bp, int64_t order_id,
	       const char *text, int is_public)
{
	ps_bp__msg m;
	note_key k = {order_id, text};
	int64_t id = 0;
	int error;

	if (out_id != NULL)
		*out_id = 0;
	if ((error = ps_bp__build_note_add(&m, order_id, text, is_public)) <
	    0)
		return error;
	error = create_recoverable(&id, NULL, bp, &m, 1, find_note, &k);
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
	if ((error = ps_bp__path(&path, "/order-service/order/%" PRId64
				 "/note", order_id)) < 0)
		return error;
	if ((error = list_get(&root, &arr, &out->priv__, (void **)&out->items,
			     sizeof(*out->items), bp, path,
			     "order note list")) < 0)
		goto done;
	json_array_foreach(arr, i, item) {
		ps_bp_note *nt = &out->items[out->n];

		if ((error = ps_conn__json_int(&nt->id, item, "noteId",
					       what)) < 0 ||
		    (error = ps_conn__json_str(&nt->text, item, "text",
					       what)) < 0 ||
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
	sort_items(out->items, out->n, sizeof(*out->items), cmp_id_field);
done:
	json_decref(arr);
	json_decref(root);
	free(path);
	if (error < 0)
		ps_bp_note_list_dispose(out);
	return error;
}

/* ---- custom fields ------------------------------------------------------ */

void
ps_bp_field_meta_list_dispose(ps_bp_field_meta_list *l)
{
	if (l == NULL)
		return;
	free(l->items);
	json_decref((json_t *)l->priv__);
	memset(l, 0, sizeof(*l));
}

int
ps_bp_custom_fields_list(ps_bp_field_meta_list *out, ps_bp *bp)
{
	json_t *root = NULL, *arr = NULL, *item;
	const char *what = "Brightpearl custom field";
	size_t i;
	int error;

	memset(out, 0, sizeof(*out));
	if ((error = list_get(&root, &arr, &out->priv__, (void **)&out->items,
			     sizeof(*out->items), bp,
			     "/order-service/sale/custom-field-meta-data",
			     "custom field list")) < 0)
		goto done;
	json_array_foreach(arr, i, item) {
		ps_bp_field_meta *f = &out->items[out->n];

		if ((error = ps_conn__json_int(&f->id, item, "id", what)) < 0 ||
		    (error = ps_conn__json_str(&f->code, item, "code", what)) <
			    0 ||
		    (error = ps_conn__json_str_opt(&f->name, item, "name",
						   what)) < 0 ||
		    (error = ps_conn__json_str_opt(&f->type, item,
						   "customFieldType", what)) <
			    0 ||
		    (error = ps_conn__json_bool_opt(&f->required, item,
						    "required", what, 0)) < 0)
			goto done;
		out->n++;
	}
	sort_items(out->items, out->n, sizeof(*out->items), cmp_id_field);
done:
	json_decref(arr);
	json_decref(root);
	if (error < 0)
		ps_bp_field_meta_list_dispose(out);
	return error;
}

int
ps_bp_order_fields_set(ps_bp *bp, int64_t order_id,
		       const ps_bp_field_value *values, size_t n)
{
	json_t *ops = NULL, *root = NULL, *v;
	char *path = NULL, key[160];
	size_t i;
	int error = 0;

	if (n == 0)
		return 0;
	if ((ops = json_array()) == NULL)
		return ps_error_set(PS_ENOMEM, NULL);
	for (i = 0; i < n; i++) {
		const ps_bp_field_value *f = &values[i];

		if (f->code == NULL || f->code[0] == '\0' ||
		    strchr(f->code, '/') != NULL) {
			error = ps_error_set(PS_EINVAL, "Brightpearl custom "
					     "field %zu: invalid code", i + 1);
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
		    json_array_append_new(ops, json_pack("{s:s, s:s, s:o}",
							 "op", "add", "path",
							 key, "value", v)) <
			    0) {
			error = ps_error_set(PS_ENOMEM, "Brightpearl custom "
					     "field '%s': out of memory or "
					     "not UTF-8", f->code);
			goto done;
		}
	}
	if ((error = ps_bp__path(&path, "/order-service/order/%" PRId64
				 "/custom-field", order_id)) < 0)
		goto done;
	error = ps_bp__request(&root, NULL, bp, "PATCH", path, ops, 1,
			       "order custom fields update");
done:
	json_decref(root);
	json_decref(ops);
	free(path);
	return error;
}

/* ---- reference data ----------------------------------------------------- */

static const struct {
	const char *name;
	const char *path;
	const char *id_key;
} ref_kinds[PS_BP_REF_COUNT] = {
	{"order status", "/order-service/order-status", "statusId"},
	{"warehouse", "/warehouse-service/warehouse", "id"},
	{"channel", "/product-service/channel", "id"},
	{"lead source", "/contact-service/lead-source", "id"},
	{"project", "/contact-service/project", "id"},
	{"shipping method", "/warehouse-service/shipping-method", "id"},
	{"price list", "/product-service/price-list", "id"},
	{"payment method", "/accounting-service/payment-method", "id"},
};

const char *
ps_bp_ref_kind_name(ps_bp_ref_kind kind)
{
	if ((unsigned)kind >= PS_BP_REF_COUNT)
		return "?";
	return ref_kinds[kind].name;
}

void
ps_bp_ref_list_dispose(ps_bp_ref_list *l)
{
	if (l == NULL)
		return;
	free(l->items);
	json_decref((json_t *)l->priv__);
	memset(l, 0, sizeof(*l));
}

static int
cmp_ref_code(const void *a, const void *b)
{
	const char *x = ((const ps_bp_ref *)a)->code;
	const char *y = ((const ps_bp_ref *)b)->code;

	return strcmp(x != NULL ? x : "", y != NULL ? y : "");
}

static int
ref_read(ps_bp_ref *r, ps_bp_ref_kind kind, const json_t *j)
{
	char what[PS__BP_WHAT_MAX];
	const json_t *name;
	int disabled = 0, error;

	snprintf(what, sizeof(what), "Brightpearl %s", ref_kinds[kind].name);
	r->active = 1;
	if (kind == PS_BP_REF_PAYMENT_METHOD) {
		if ((error = ps_conn__json_int_opt(&r->id, j, "id", what, 0)) <
			    0 ||
		    (error = ps_conn__json_str(&r->code, j, "code", what)) <
			    0 ||
		    (error = ps_conn__json_bool_opt(&r->active, j, "isActive",
						    what, 1)) < 0)
			return error;
	} else if ((error = ps_conn__json_int(&r->id, j, ref_kinds[kind].id_key,
					      what)) < 0) {
		return error;
	}
	snprintf(what, sizeof(what), "Brightpearl %s %" PRId64,
		 ref_kinds[kind].name, r->id);
	/* price list names are {"text": ...}; everything else a string */
	name = ps_conn__json_at(j, "name");
	if (json_is_object(name))
		name = json_object_get(name, "text");
	r->name = json_string_value(name);
	switch (kind) {
	case PS_BP_REF_ORDER_STATUS:
		if ((error = ps_conn__json_str_opt(&r->code, j, "orderTypeCode",
						   what)) < 0 ||
		    (error = ps_conn__json_bool_opt(&disabled, j, "disabled",
						    what, 0)) < 0)
			return error;
		r->active = !disabled;
		break;
	case PS_BP_REF_WAREHOUSE:
		return ps_conn__json_str_opt(&r->code, j, "typeCode", what);
	case PS_BP_REF_CHANNEL:
		return ps_conn__json_int_opt(&r->extra, j, "defaultWarehouseId",
					     what, 0);
	case PS_BP_REF_SHIPPING_METHOD:
		return ps_conn__json_str_opt(&r->code, j, "code", what);
	case PS_BP_REF_PRICE_LIST:
		if ((error = ps_conn__json_str_opt(&r->code, j, "code", what)) <
			    0 ||
		    (error = ps_conn__json_str_opt(&r->currency, j,
						   "currencyCode", what)) < 0)
			return error;
		break;
	case PS_BP_REF_LEAD_SOURCE:
	case PS_BP_REF_PROJECT:
	case PS_BP_REF_PAYMENT_METHOD:
	case PS_BP_REF_COUNT:
		break;
	}
	return 0;
}

int
ps_bp_ref_list_get(ps_bp_ref_list *out, ps_bp *bp, ps_bp_ref_kind kind)
{
	json_t *root = NULL, *arr = NULL, *item;
	char what[PS__BP_WHAT_MAX];
	size_t i;
	int error;

	memset(out, 0, sizeof(*out));
	if ((unsigned)kind >= PS_BP_REF_COUNT)
		return ps_error_set(PS_EINVAL, "unknown Brightpearl reference "
				    "kind %d", (int)kind);
	snprintf(what, sizeof(what), "%s list", ref_kinds[kind].name);
	if ((error = list_get(&root, &arr, &out->priv__, (void **)&out->items,
			     sizeof(*out->items), bp, ref_kinds[kind].path,
			     what)) < 0)
		goto done;
	json_array_foreach(arr, i, item) {
		if ((error = ref_read(&out->items[out->n], kind, item)) < 0)
			goto done;
		out->n++;
	}
	sort_items(out->items, out->n, sizeof(*out->items),
	      kind == PS_BP_REF_PAYMENT_METHOD ? cmp_ref_code : cmp_id_field);
done:
	json_decref(arr);
	json_decref(root);
	if (error < 0)
		ps_bp_ref_list_dispose(out);
	return error;
}

/* ---- contacts ----------------------------------------------------------- */

void
ps_bp_contact_list_dispose(ps_bp_contact_list *l)
{
	if (l == NULL)
		return;
	free(l->items);
	json_decref((json_t *)l->priv__);
	memset(l, 0, sizeof(*l));
}

static int
cmp_i64p(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

/*
 * *out = whether a contact-search row (or a contact's
 * relationshipToAccount) is a customer.  Brightpearl's contact-search
 * documentation: "A contact can be only one of customer, supplier or
 * staff" (columns isCustomer, isSupplier, isStaff); a contact GET carries
 * only isSupplier and isStaff (reference digest section 8, recorded
 * customer/get).  So a row is a customer unless one of the flags it has
 * says otherwise; a missing flag says nothing.
 */
static int
is_customer(int *out, const json_t *obj, const char *what)
{
	int customer, supplier, staff, error;

	*out = 0;
	if ((error = ps_conn__json_bool_opt(&customer, obj, "isCustomer", what,
					    1)) < 0 ||
	    (error = ps_conn__json_bool_opt(&supplier, obj, "isSupplier", what,
					    0)) < 0 ||
	    (error = ps_conn__json_bool_opt(&staff, obj, "isStaff", what, 0)) <
		    0)
		return error;
	*out = customer && !supplier && !staff;
	return 0;
}

int
ps_bp_contact_find_email(ps_bp_ids *out, ps_bp *bp, const char *email)
{
	ps_conn_buf q = PS_CONN_BUF_INIT(2048);
	json_t *rows = NULL, *row;
	const char *e;
	size_t i;
	int error;

	out->ids = NULL;
	out->n = 0;
	if (email == NULL || email[0] == '\0')
		return ps_error_set(PS_EINVAL, "Brightpearl contact search: no "
				    "email");
	ps_conn__buf_add(&q, "primaryEmail=");
	ps_conn__buf_add_urlenc(&q, email);
	if ((error = ps_conn__buf_check(&q, "Brightpearl contact search")) <
		    0 ||
	    (error = ps_bp__search(&rows, bp, "/contact-service/contact-search",
				   ps_conn__buf_str(&q),
				   "contact search by email")) < 0)
		goto done;
	if ((error = alloc_items((void **)&out->ids, json_array_size(rows),
				 sizeof(*out->ids))) < 0)
		goto done;
	json_array_foreach(rows, i, row) {
		int customer;

		if (ps_conn__json_str_opt(&e, row, "primaryEmail",
					  "Brightpearl contact search") < 0 ||
		    e == NULL || strcasecmp(e, email) != 0)
			continue;
		/* a supplier or staff member sharing the email is not the
		 * customer */
		if ((error = is_customer(&customer, row,
					 "Brightpearl contact search")) < 0)
			goto done;
		if (!customer)
			continue;
		if ((error = ps_conn__json_int(&out->ids[out->n], row,
					       "contactId",
					       "Brightpearl contact search")) <
		    0)
			goto done;
		out->n++;
	}
	sort_items(out->ids, out->n, sizeof(*out->ids), cmp_i64p);
done:
	if (error < 0)
		ps_bp_ids_dispose(out);
	json_decref(rows);
	ps_conn__buf_dispose(&q);
	return error;
}

static int
contact_read(ps_bp_contact *c, const json_t *j)
{
	char what[PS__BP_WHAT_MAX];
	int error;

	memset(c, 0, sizeof(*c));
	if ((error = ps_conn__json_int(&c->id, j, "contactId",
				       "Brightpearl contact")) < 0)
		return error;
	snprintf(what, sizeof(what), "Brightpearl contact %" PRId64, c->id);
	if ((error = ps_conn__json_str_opt(&c->first_name, j, "firstName",
					   what)) < 0 ||
	    (error = ps_conn__json_str_opt(&c->last_name, j, "lastName",
					   what)) < 0 ||
	    (error = ps_conn__json_str_opt(&c->email, j,
					   "communication.emails.PRI.email",
					   what)) < 0 ||
	    (error = ps_conn__json_str_opt(&c->telephone, j,
					   "communication.telephones.PRI",
					   what)) < 0 ||
	    (error = ps_conn__json_str_opt(&c->mobile, j,
					   "communication.telephones.MOB",
					   what)) < 0 ||
	    (error = ps_conn__json_str_opt(&c->company, j,
					   "organisation.name", what)) < 0 ||
	    (error = ps_conn__json_int_opt(&c->price_list_id, j,
					   "financialDetails.priceListId", what,
					   0)) < 0 ||
	    (error = ps_conn__json_int_opt(&c->lead_source_id, j,
					   "assignment.current.leadSourceId",
					   what, 0)) < 0 ||
	    (error = is_customer(&c->is_customer,
				 ps_conn__json_at(j, "relationshipToAccount"),
				 what)) < 0)
		return error;
	return 0;
}

int
ps_bp_contact_get(ps_bp_contact_list *out, ps_bp *bp, const int64_t *ids,
		  size_t n)
{
	json_t *all = NULL, *arr = NULL, *item;
	size_t i;
	int error;

	memset(out, 0, sizeof(*out));
	if ((error = ps_bp__get_ids(&all, bp, "/contact-service/contact/",
				    NULL, ids, n, "contact get")) < 0)
		return error;
	arr = values_of(all);
	out->priv__ = all;
	if (arr == NULL) {
		error = ps_error_set(PS_ENOMEM, NULL);
		goto done;
	}
	if ((error = alloc_items((void **)&out->items, json_array_size(arr),
				 sizeof(*out->items))) < 0)
		goto done;
	json_array_foreach(arr, i, item) {
		if ((error = contact_read(&out->items[out->n], item)) < 0)
			goto done;
		out->n++;
	}
	sort_items(out->items, out->n, sizeof(*out->items), cmp_id_field);
done:
	json_decref(arr);
	if (error < 0)
		ps_bp_contact_list_dispose(out);
	return error;
}

int
ps_bp__build_address_create(ps_bp__msg *m, const ps_bp_address *a)
{
	json_t *body;
	int error;

	memset(m, 0, sizeof(*m));
	if (a == NULL || a->line1 == NULL)
		return ps_error_set(PS_EINVAL, "Brightpearl postal address: "
				    "addressLine1 is required");
	if ((body = json_object()) == NULL)
		return ps_error_set(PS_ENOMEM, NULL);
	if ((error = ps_conn__json_set_str(body, "addressLine1", a->line1,
					   1)) < 0 ||
	    (error = ps_conn__json_set_str(body, "addressLine2", a->line2,
					   0)) < 0 ||
	    (error = ps_conn__json_set_str(body, "addressLine3", a->line3,
					   0)) < 0 ||
	    (error = ps_conn__json_set_str(body, "addressLine4", a->line4,
					   0)) < 0 ||
	    (error = ps_conn__json_set_str(body, "postalCode", a->postal_code,
					   0)) < 0 ||
	    (error = ps_conn__json_set_str(body, "countryIsoCode",
					   a->country_iso, 0)) < 0 ||
	    (error = ps_bp__path(&m->path,
				 "/contact-service/postal-address")) < 0) {
		json_decref(body);
		return error;
	}
	m->method = "POST";
	m->body = body;
	/* a second copy of an address is harmless: let it be retried */
	m->idempotent = 1;
	m->what = "postal address create";
	return 0;
}

/* POST a postal address; *out_id its id. */
static int
address_create(int64_t *out_id, ps_bp *bp, const ps_bp_address *a)
{
	ps_bp__msg m;
	json_t *root = NULL;
	int error;

	*out_id = 0;
	if ((error = ps_bp__build_address_create(&m, a)) < 0)
		return error;
	if ((error = ps_bp__send_msg(&root, bp, &m)) == 0)
		error = ps_bp__reply_id(out_id, root, m.what);
	json_decref(root);
	ps_bp__msg_dispose(&m);
	return error;
}

static int
find_contact(int64_t *out_id, ps_bp *bp, const void *ctx)
{
	ps_bp_ids ids;
	int error;

	*out_id = 0;
	if ((error = ps_bp_contact_find_email(&ids, bp, ctx)) < 0)
		return error;
	if (ids.n > 0)
		*out_id = ids.ids[ids.n - 1]; /* the newest */
	ps_bp_ids_dispose(&ids);
	return *out_id > 0 ? 0 : PS_ENOTFOUND;
}

int
ps_bp__build_contact_create(ps_bp__msg *m, const ps_bp_contact *c,
			    int64_t address_id)
{
	json_t *body = NULL, *comm = NULL, *o;
	int error = 0;

	memset(m, 0, sizeof(*m));
	body = json_pack("{s:{s:b, s:b}}", "relationshipToAccount",
			 "isSupplier", 0, "isStaff", 0);
	comm = json_pack("{s:{}, s:{}}", "emails", "telephones");
	if (body == NULL || comm == NULL ||
	    json_object_set(body, "communication", comm) < 0)
		goto nomem;
	if ((error = ps_conn__json_set_str(body, "firstName", c->first_name,
					   0)) < 0 ||
	    (error = ps_conn__json_set_str(body, "lastName", c->last_name, 0)) <
		    0)
		goto done;
	if (c->email != NULL &&
	    set_new(json_object_get(comm, "emails"), "PRI",
		    json_pack("{s:s}", "email", c->email)) < 0)
		goto nomem;
	if ((error = ps_conn__json_set_str(json_object_get(comm, "telephones"),
					   "PRI", c->telephone, 0)) < 0 ||
	    (error = ps_conn__json_set_str(json_object_get(comm, "telephones"),
					   "MOB", c->mobile, 0)) < 0)
		goto done;
	if (address_id > 0 &&
	    set_new(body, "postAddressIds",
		    json_pack("{s:I, s:I, s:I}", "DEF", (json_int_t)address_id,
			      "BIL", (json_int_t)address_id, "DEL",
			      (json_int_t)address_id)) < 0)
		goto nomem;
	if (c->company != NULL &&
	    set_new(body, "organisation",
		    json_pack("{s:s}", "name", c->company)) < 0)
		goto nomem;
	if (c->price_list_id > 0 &&
	    set_new(body, "financialDetails",
		    json_pack("{s:I}", "priceListId",
			      (json_int_t)c->price_list_id)) < 0)
		goto nomem;
	if (c->lead_source_id > 0) {
		o = json_pack("{s:{s:I}}", "current", "leadSourceId",
			      (json_int_t)c->lead_source_id);
		if (set_new(body, "assignment", o) < 0)
			goto nomem;
	}
	if ((error = ps_bp__path(&m->path, "/contact-service/contact")) < 0)
		goto done;
	m->method = "POST";
	m->what = "contact create";
	m->idempotent = 0; /* a repeat would make a second contact */
	m->body = body;
	body = NULL;
	goto done;
nomem:
	error = ps_error_set(PS_ENOMEM, "out of memory building a Brightpearl "
			     "contact (or a field is not UTF-8)");
done:
	if (error < 0)
		ps_bp__msg_dispose(m);
	json_decref(body);
	json_decref(comm);
	return error;
}

int
ps_bp_contact_create(int64_t *out_id, ps_bp *bp, const ps_bp_contact *c)
{
	ps_bp__msg m = {0};
	int64_t addr_id = 0;
	int error;

	*out_id = 0;
	if (c->address.line1 != NULL &&
	    (error = address_create(&addr_id, bp, &c->address)) < 0)
		return error;
	if ((error = ps_bp__build_contact_create(&m, c, addr_id)) < 0)
		return error;
	error = create_recoverable(out_id, NULL, bp, &m, 1,
				   c->email != NULL ? find_contact : NULL,
				   c->email);
	ps_bp__msg_dispose(&m);
	return error;
}

static int
patch_replace(json_t *ops, const char *path, const char *value)
{
	if (value == NULL)
		return 0;
	if (json_array_append_new(ops, json_pack("{s:s, s:s, s:s}", "op",
						 "replace", "path", path,
						 "value", value)) < 0)
		return ps_error_set(PS_ENOMEM, "Brightpearl contact update: "
				    "out of memory or '%s' not UTF-8", path);
	return 0;
}

int
ps_bp_contact_update(ps_bp *bp, int64_t id, const ps_bp_contact *c)
{
	json_t *ops = NULL, *root = NULL, *link = NULL;
	char *path = NULL;
	int64_t addr_id = 0;
	int error;

	if ((ops = json_array()) == NULL)
		return ps_error_set(PS_ENOMEM, NULL);
	if ((error = patch_replace(ops, "/firstName", c->first_name)) < 0 ||
	    (error = patch_replace(ops, "/lastName", c->last_name)) < 0 ||
	    (error = patch_replace(ops, "/communication/emails/PRI/email",
				   c->email)) < 0 ||
	    (error = patch_replace(ops, "/communication/telephones/PRI",
				   c->telephone)) < 0 ||
	    (error = patch_replace(ops, "/communication/telephones/MOB",
				   c->mobile)) < 0)
		goto done;
	if (json_array_size(ops) > 0) {
		if ((error = ps_bp__path(&path, "/contact-service/contact/%"
					 PRId64, id)) < 0 ||
		    (error = ps_bp__request(&root, NULL, bp, "PATCH", path, ops,
					    1, "contact update")) < 0)
			goto done;
	}
	if (c->address.line1 == NULL)
		goto done;
	if ((error = address_create(&addr_id, bp, &c->address)) < 0)
		goto done;
	link = json_pack("[{s:I, s:s}, {s:I, s:s}, {s:I, s:s}]",
			 "postalAddressId", (json_int_t)addr_id, "type", "DEF",
			 "postalAddressId", (json_int_t)addr_id, "type", "BIL",
			 "postalAddressId", (json_int_t)addr_id, "type", "DEL");
	free(path);
	path = NULL;
	json_decref(root);
	root = NULL;
	if (link == NULL) {
		error = ps_error_set(PS_ENOMEM, NULL);
		goto done;
	}
	if ((error = ps_bp__path(&path, "/contact-service/contact/%" PRId64
				 "/postal-address", id)) < 0)
		goto done;
	error = ps_bp__request(&root, NULL, bp, "PUT", path, link, 1,
			       "contact address update");
done:
	json_decref(link);
	json_decref(root);
	json_decref(ops);
	free(path);
	return error;
}

/* ---- the contact directory ---------------------------------------------- */

#define PS__BP_DIRECTORY_COLUMNS                                               \
	"contactId,primaryEmail,firstName,lastName,pri,updatedOn,"             \
	"isCustomer,isSupplier,isStaff"

void
ps_bp_contact_rows_dispose(ps_bp_contact_rows *r)
{
	size_t i;

	if (r == NULL)
		return;
	for (i = 0; i < r->n; i++) {
		free(r->items[i].email);
		free(r->items[i].first_name);
		free(r->items[i].last_name);
		free(r->items[i].telephone);
		free(r->items[i].updated_on);
	}
	free(r->items);
	free(r->max_updated_on);
	memset(r, 0, sizeof(*r));
}

/*
 * Brightpearl's timestamp text ("2026-07-01T10:00:00.000Z", "...+01:00")
 * as milliseconds since the epoch; -1 when it is not one.  Used only to
 * order rows, so the calendar arithmetic stays proleptic Gregorian.
 */
static int
parse_stamp(int64_t *out, const char *s)
{
	int64_t y, mo, d, h, mi, sec, ms = 0, off = 0, days;
	int digits = 0, n = 0;
	int iy, imo, id, ih, imi, isec, oh, om;

	*out = -1;
	if (s == NULL ||
	    sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &iy, &imo, &id, &ih, &imi,
		   &isec, &n) != 6 ||
	    n != 19)
		return -1;
	y = iy;
	mo = imo;
	d = id;
	h = ih;
	mi = imi;
	sec = isec;
	s += n;
	if (*s == '.') {
		for (s++; *s >= '0' && *s <= '9'; s++) {
			if (digits++ < 3)
				ms = ms * 10 + (*s - '0');
		}
		for (; digits < 3; digits++)
			ms *= 10;
	}
	if (*s == 'Z') {
		s++;
	} else if (*s == '+' || *s == '-') {
		if (sscanf(s + 1, "%2d:%2d%n", &oh, &om, &n) != 2 || n != 5)
			return -1;
		off = (int64_t)(oh * 60 + om) * (*s == '-' ? -1 : 1);
		s += 6;
	}
	if (*s != '\0' || mo < 1 || mo > 12 || d < 1 || d > 31)
		return -1;
	days = ps_util__days_from_civil(y, (int)mo, (int)d);
	*out = ((days * 86400 + h * 3600 + mi * 60 + sec - off * 60) * 1000) +
	       ms;
	return 0;
}

/* A row while sorting: its parsed stamp beside it. */
typedef struct dir_sort {
	int64_t stamp; /* -1: missing or unreadable (sorts first) */
	ps_bp_contact_row row;
} dir_sort;

static int
cmp_dir_rows(const void *a, const void *b)
{
	const dir_sort *x = a, *y = b;
	int r;

	if (x->stamp != y->stamp)
		return (x->stamp > y->stamp) - (x->stamp < y->stamp);
	if (x->stamp < 0 && x->row.updated_on != NULL &&
	    y->row.updated_on != NULL &&
	    (r = strcmp(x->row.updated_on, y->row.updated_on)) != 0)
		return r;
	return (x->row.id > y->row.id) - (x->row.id < y->row.id);
}

/* *out = a copy of the text at key in row, NULL when absent or empty. */
static int
dir_text(char **out, const json_t *row, const char *key, const char *what)
{
	const char *s;
	int error;

	*out = NULL;
	if ((error = ps_conn__json_str_opt(&s, row, key, what)) < 0)
		return error;
	if (s == NULL || s[0] == '\0')
		return 0;
	if ((*out = ps_util__strdup(s)) == NULL)
		return ps_error_set(PS_ENOMEM, NULL);
	return 0;
}

/* Lower-case the ASCII letters of s in place (bytes >= 0x80 are kept). */
static void
ascii_lower(char *s)
{
	for (; s != NULL && *s != '\0'; s++) {
		if (*s >= 'A' && *s <= 'Z')
			*s = (char)(*s - 'A' + 'a');
	}
}

static int
dir_row_read(dir_sort *d, const json_t *row)
{
	char what[PS__BP_WHAT_MAX];
	ps_bp_contact_row *r = &d->row;
	int error;

	if ((error = ps_conn__json_int(&r->id, row, "contactId",
				       "Brightpearl contact directory")) < 0)
		return error;
	snprintf(what, sizeof(what), "Brightpearl contact %" PRId64, r->id);
	if ((error = dir_text(&r->email, row, "primaryEmail", what)) < 0 ||
	    (error = dir_text(&r->first_name, row, "firstName", what)) < 0 ||
	    (error = dir_text(&r->last_name, row, "lastName", what)) < 0 ||
	    (error = dir_text(&r->telephone, row, "pri", what)) < 0 ||
	    (error = dir_text(&r->updated_on, row, "updatedOn", what)) < 0 ||
	    (error = is_customer(&r->is_customer, row, what)) < 0)
		return error;
	ascii_lower(r->email);
	parse_stamp(&d->stamp, r->updated_on);
	return 0;
}

int
ps_bp_contact_changes(ps_bp_contact_rows *out, ps_bp *bp, const char *since)
{
	ps_conn_buf q = PS_CONN_BUF_INIT(2048);
	json_t *rows = NULL, *row;
	dir_sort *v = NULL;
	size_t i, n = 0;
	int error;

	memset(out, 0, sizeof(*out));
	ps_conn__buf_add(&q, "columns=" PS__BP_DIRECTORY_COLUMNS);
	if (since != NULL && since[0] != '\0') {
		/* a PERIOD with an open end: updatedOn at or after since */
		ps_conn__buf_add(&q, "&updatedOn=");
		ps_conn__buf_add_urlenc(&q, since);
		ps_conn__buf_add(&q, "/");
	}
	ps_conn__buf_add(&q, "&sort=updatedOn.ASC");
	if ((error = ps_conn__buf_check(&q, "Brightpearl contact directory")) <
		    0 ||
	    (error = ps_bp__search(&rows, bp, "/contact-service/contact-search",
				   ps_conn__buf_str(&q),
				   "contact directory read")) < 0)
		goto done;
	if ((error = alloc_items((void **)&v, json_array_size(rows),
				 sizeof(*v))) < 0)
		goto done;
	json_array_foreach(rows, i, row) {
		v[n].stamp = -1;
		n++;
		if ((error = dir_row_read(&v[n - 1], row)) < 0)
			goto done;
	}
	sort_items(v, n, sizeof(*v), cmp_dir_rows);
	if ((error = alloc_items((void **)&out->items, n,
				 sizeof(*out->items))) < 0)
		goto done;
	for (i = 0; i < n; i++) {
		out->items[i] = v[i].row;
		memset(&v[i].row, 0, sizeof(v[i].row));
	}
	out->n = n;
	/* the newest stamp: the last row that has one */
	for (i = n; i > 0; i--) {
		if (out->items[i - 1].updated_on == NULL)
			continue;
		out->max_updated_on = ps_util__strdup(
			out->items[i - 1].updated_on);
		if (out->max_updated_on == NULL)
			error = ps_error_set(PS_ENOMEM, NULL);
		break;
	}
done:
	for (i = 0; i < n; i++) {
		free(v[i].row.email);
		free(v[i].row.first_name);
		free(v[i].row.last_name);
		free(v[i].row.telephone);
		free(v[i].row.updated_on);
	}
	free(v);
	if (error < 0)
		ps_bp_contact_rows_dispose(out);
	json_decref(rows);
	ps_conn__buf_dispose(&q);
	return error;
}

/* ---- products and stock ------------------------------------------------- */

static const struct {
	const char *name;   /* our name */
	const char *column; /* product-search column */
} identities[PS_BP_IDENTITY_COUNT] = {
	{"sku", "SKU"}, {"barcode", "barcode"}, {"ean", "EAN"},
	{"upc", "UPC"}, {"isbn", "ISBN"},       {"mpn", "MPN"},
};

int
ps_bp_identity_parse(ps_bp_identity *out, const char *name)
{
	size_t i;

	for (i = 0; name != NULL && i < PS_BP_IDENTITY_COUNT; i++) {
		if (strcasecmp(name, identities[i].name) == 0) {
			*out = (ps_bp_identity)i;
			return 0;
		}
	}
	return ps_error_set(PS_EINVAL, "unknown product identity field '%s' "
			    "(expected sku, barcode, ean, upc, isbn or mpn)",
			    name != NULL ? name : "");
}

const char *
ps_bp_identity_name(ps_bp_identity id)
{
	if ((unsigned)id >= PS_BP_IDENTITY_COUNT)
		return "?";
	return identities[id].name;
}

void
ps_bp_product_list_dispose(ps_bp_product_list *l)
{
	if (l == NULL)
		return;
	free(l->items);
	json_decref((json_t *)l->priv__);
	memset(l, 0, sizeof(*l));
}

/* A product from one product-search row. */
static int
product_row_read(ps_bp_product *p, const json_t *row)
{
	const char *what = "Brightpearl product search";
	int error;

	memset(p, 0, sizeof(*p));
	if ((error = ps_conn__json_int(&p->id, row, "productId", what)) < 0 ||
	    (error = ps_conn__json_str_opt(&p->sku, row, "SKU", what)) < 0 ||
	    (error = ps_conn__json_str_opt(&p->barcode, row, "barcode",
					   what)) < 0 ||
	    (error = ps_conn__json_str_opt(&p->ean, row, "EAN", what)) < 0 ||
	    (error = ps_conn__json_str_opt(&p->upc, row, "UPC", what)) < 0 ||
	    (error = ps_conn__json_str_opt(&p->isbn, row, "ISBN", what)) < 0 ||
	    (error = ps_conn__json_str_opt(&p->mpn, row, "MPN", what)) < 0 ||
	    (error = ps_conn__json_str_opt(&p->name, row, "productName",
					   what)) < 0 ||
	    (error = ps_conn__json_str_opt(&p->status, row, "productStatus",
					   what)) < 0 ||
	    (error = ps_conn__json_bool_opt(&p->stock_tracked, row,
					    "stockTracked", what, 0)) < 0)
		return error;
	return 0;
}

int
ps_bp_product_find(ps_bp_product_list *out, ps_bp *bp, ps_bp_identity field,
		   const char *value)
{
	ps_conn_buf q = PS_CONN_BUF_INIT(2048);
	json_t *rows = NULL, *row;
	const char *v;
	char what[PS__BP_WHAT_MAX];
	size_t i;
	int error;

	memset(out, 0, sizeof(*out));
	if ((unsigned)field >= PS_BP_IDENTITY_COUNT || value == NULL ||
	    value[0] == '\0')
		return ps_error_set(PS_EINVAL, "Brightpearl product search: no "
				    "field or value");
	snprintf(what, sizeof(what), "product search by %s",
		 identities[field].column);
	ps_conn__buf_addf(&q, "%s=", identities[field].column);
	ps_conn__buf_add_urlenc(&q, value);
	if ((error = ps_conn__buf_check(&q, "Brightpearl product search")) <
		    0 ||
	    (error = ps_bp__search(&rows, bp, "/product-service/product-search",
				   ps_conn__buf_str(&q), what)) < 0)
		goto done;
	out->priv__ = json_incref(rows);
	if ((error = alloc_items((void **)&out->items, json_array_size(rows),
				 sizeof(*out->items))) < 0)
		goto done;
	json_array_foreach(rows, i, row) {
		/* the column may match loosely; only exact values count */
		v = json_string_value(
			json_object_get(row, identities[field].column));
		if (v == NULL || strcmp(v, value) != 0)
			continue;
		if ((error = product_row_read(&out->items[out->n], row)) < 0)
			goto done;
		out->n++;
	}
	sort_items(out->items, out->n, sizeof(*out->items), cmp_id_field);
done:
	json_decref(rows);
	ps_conn__buf_dispose(&q);
	if (error < 0)
		ps_bp_product_list_dispose(out);
	return error;
}

static int
product_read(ps_bp_product *p, const json_t *j)
{
	char what[PS__BP_WHAT_MAX];
	const json_t *chan;
	int error;

	memset(p, 0, sizeof(*p));
	if ((error = ps_conn__json_int(&p->id, j, "id",
				       "Brightpearl product")) < 0)
		return error;
	snprintf(what, sizeof(what), "Brightpearl product %" PRId64, p->id);
	if ((error = ps_conn__json_str_opt(&p->sku, j, "identity.sku", what)) <
		    0 ||
	    (error = ps_conn__json_str_opt(&p->barcode, j, "identity.barcode",
					   what)) < 0 ||
	    (error = ps_conn__json_str_opt(&p->ean, j, "identity.ean", what)) <
		    0 ||
	    (error = ps_conn__json_str_opt(&p->upc, j, "identity.upc", what)) <
		    0 ||
	    (error = ps_conn__json_str_opt(&p->isbn, j, "identity.isbn",
					   what)) < 0 ||
	    (error = ps_conn__json_str_opt(&p->mpn, j, "identity.mpn", what)) <
		    0 ||
	    (error = ps_conn__json_str_opt(&p->status, j, "status", what)) <
		    0 ||
	    (error = ps_conn__json_bool_opt(&p->stock_tracked, j,
					    "stock.stockTracked", what, 0)) < 0)
		return error;
	chan = json_array_get(json_object_get(j, "salesChannels"), 0);
	if (chan != NULL &&
	    (error = ps_conn__json_str_opt(&p->name, chan, "productName",
					   what)) < 0)
		return error;
	return 0;
}

int
ps_bp_product_get(ps_bp_product_list *out, ps_bp *bp, const int64_t *ids,
		  size_t n)
{
	json_t *all = NULL, *arr = NULL, *item;
	size_t i;
	int error;

	memset(out, 0, sizeof(*out));
	if ((error = ps_bp__get_ids(&all, bp, "/product-service/product/",
				    NULL, ids, n, "product get")) < 0)
		return error;
	out->priv__ = all;
	if ((arr = values_of(all)) == NULL) {
		error = ps_error_set(PS_ENOMEM, NULL);
		goto done;
	}
	if ((error = alloc_items((void **)&out->items, json_array_size(arr),
				 sizeof(*out->items))) < 0)
		goto done;
	json_array_foreach(arr, i, item) {
		if ((error = product_read(&out->items[out->n], item)) < 0)
			goto done;
		out->n++;
	}
	sort_items(out->items, out->n, sizeof(*out->items), cmp_id_field);
done:
	json_decref(arr);
	if (error < 0)
		ps_bp_product_list_dispose(out);
	return error;
}

void
ps_bp_stock_list_dispose(ps_bp_stock_list *l)
{
	if (l == NULL)
		return;
	free(l->items);
	l->items = NULL;
	l->n = 0;
}

static int
cmp_stock(const void *a, const void *b)
{
	const ps_bp_stock *x = a, *y = b;

	if (x->product_id != y->product_id)
		return (x->product_id > y->product_id) -
		       (x->product_id < y->product_id);
	return (x->warehouse_id > y->warehouse_id) -
	       (x->warehouse_id < y->warehouse_id);
}

static int
stock_read(ps_bp_stock *s, const json_t *j, const char *what)
{
	int error;

	if ((error = ps_conn__json_int_opt(&s->in_stock, j, "inStock", what,
					   0)) < 0 ||
	    (error = ps_conn__json_int_opt(&s->on_hand, j, "onHand", what,
					   0)) < 0 ||
	    (error = ps_conn__json_int_opt(&s->allocated, j, "allocated", what,
					   0)) < 0 ||
	    (error = ps_conn__json_int_opt(&s->in_transit, j, "inTransit", what,
					   0)) < 0)
		return error;
	return 0;
}

int
ps_bp_availability_get(ps_bp_stock_list *out, ps_bp *bp,
		       const int64_t *product_ids, size_t n)
{
	json_t *all = NULL, *prod, *whs, *w;
	const char *pkey, *wkey;
	char what[PS__BP_WHAT_MAX];
	size_t count = 0;
	int64_t pid, wid;
	int error;

	out->items = NULL;
	out->n = 0;
	if ((error = ps_bp__get_ids(&all, bp,
				    "/warehouse-service/product-availability/",
				    NULL, product_ids, n,
				    "product availability")) < 0)
		return error;
	if (json_is_array(all) && json_array_size(all) == 0)
		goto done;
	if (!json_is_object(all)) {
		error = ps_error_set(PS_EDATA, "Brightpearl product "
				     "availability: reply is %s, expected an "
				     "object keyed by product id",
				     ps_conn__json_type_name(all));
		goto done;
	}
	json_object_foreach(all, pkey, prod) {
		count += 1 + json_object_size(json_object_get(prod,
							      "warehouses"));
	}
	if ((error = alloc_items((void **)&out->items, count,
				 sizeof(*out->items))) < 0)
		goto done;
	json_object_foreach(all, pkey, prod) {
		json_t *k = json_string(pkey);

		error = ps_conn__json_int_value(&pid, k, "product id",
						"Brightpearl availability");
		json_decref(k);
		if (error < 0)
			goto done;
		snprintf(what, sizeof(what),
			 "Brightpearl availability of product %" PRId64, pid);
		out->items[out->n].product_id = pid;
		if ((error = stock_read(&out->items[out->n],
					json_object_get(prod, "total"),
					what)) < 0)
			goto done;
		out->n++;
		whs = json_object_get(prod, "warehouses");
		json_object_foreach(whs, wkey, w) {
			k = json_string(wkey);
			error = ps_conn__json_int_value(&wid, k, "warehouses",
							what);
			json_decref(k);
			if (error < 0)
				goto done;
			out->items[out->n].product_id = pid;
			out->items[out->n].warehouse_id = wid;
			if ((error = stock_read(&out->items[out->n], w,
						what)) < 0)
				goto done;
			out->n++;
		}
	}
	sort_items(out->items, out->n, sizeof(*out->items), cmp_stock);
done:
	json_decref(all);
	if (error < 0)
		ps_bp_stock_list_dispose(out);
	return error;
}

/* ---- payments and reservations ------------------------------------------ */

int
ps_bp__build_payment_create(ps_bp__msg *m, const ps_bp_payment *p)
{
	json_t *b = NULL;
	int auth, error = 0;

	memset(m, 0, sizeof(*m));
	if (p->order_id <= 0 || p->method_code == NULL || p->type == NULL ||
	    p->currency == NULL || p->payment_date == NULL)
		return ps_error_set(PS_EINVAL, "Brightpearl payment: order, "
				    "method, type, currency and date are "
				    "required");
	auth = strcmp(p->type, "AUTH") == 0 || strcmp(p->type, "VOID") == 0;
	b = json_pack("{s:s, s:s, s:I, s:s, s:s}", "paymentMethodCode",
		      p->method_code, "paymentType", p->type, "orderId",
		      (json_int_t)p->order_id, "currencyIsoCode", p->currency,
		      "paymentDate", p->payment_date);
	if (b == NULL)
		return ps_error_set(PS_ENOMEM, "Brightpearl payment: out of "
				    "memory or a field is not UTF-8");
	if ((error = ps_conn__json_set_money(b, auth ? "amountAuthorized"
						      : "amountPaid",
					     p->amount)) < 0 ||
	    (error = ps_conn__json_set_str(b, "transactionRef",
					   p->transaction_ref, 0)) < 0 ||
	    (error = ps_conn__json_set_str(b, "transactionCode",
					   p->transaction_code, 0)) < 0 ||
	    (error = ps_conn__json_set_str(b, "authorizationExpiry",
					   p->auth_expiry, 0)) < 0 ||
	    (error = ps_conn__json_set_str(b, "journalRef", p->journal_ref,
					   0)) < 0 ||
	    (error = ps_bp__path(&m->path,
				 "/accounting-service/customer-payment")) < 0) {
		json_decref(b);
		return error;
	}
	m->method = "POST";
	m->body = b;
	/*
	 * With a transaction reference a repeat cannot record a second
	 * payment (the pair is unique), so retrying is safe; the repeat's
	 * refusal is resolved by looking the payment up.
	 */
	m->idempotent = p->transaction_ref != NULL;
	m->what = "customer payment create";
	return 0;
}

/* The id of the payment on p->order_id with p's transaction reference. */
static int
payment_find(int64_t *out_id, ps_bp *bp, const void *ctx)
{
	const ps_bp_payment *p = ctx;
	char q[64];
	json_t *rows = NULL, *row;
	const char *ref, *code;
	size_t i;
	int error;

	*out_id = 0;
	snprintf(q, sizeof(q), "orderId=%" PRId64, p->order_id);
	if ((error = ps_bp__search(
		     &rows, bp, "/accounting-service/customer-payment-search",
		     q, "customer payment search")) < 0)
		return error;
	json_array_foreach(rows, i, row) {
		ref = json_string_value(json_object_get(row, "transactionRef"));
		code = json_string_value(json_object_get(row,
							 "paymentMethodCode"));
		if (ref == NULL || strcmp(ref, p->transaction_ref) != 0 ||
		    (code != NULL && strcasecmp(code, p->method_code) != 0))
			continue;
		error = ps_conn__json_int(out_id, row, "paymentId",
					  "Brightpearl customer payment "
					  "search");
		break;
	}
	json_decref(rows);
	if (error == 0 && *out_id == 0)
		error = PS_ENOTFOUND;
	return error;
}

int
ps_bp_payment_create(int64_t *out_id, ps_bp *bp, const ps_bp_payment *p)
{
	ps_bp__msg m;
	int64_t id = 0;
	int error;

	if (out_id != NULL)
		*out_id = 0;
	if ((error = ps_bp__build_payment_create(&m, p)) < 0)
		return error;
	error = create_recoverable(&id, NULL, bp, &m, 1,
				   p->transaction_ref != NULL ? payment_find
							      : NULL,
				   p);
	if (error == 0 && out_id != NULL)
		*out_id = id;
	ps_bp__msg_dispose(&m);
	return error;
}

typedef struct reservation_key {
	int64_t order_id;
	int64_t warehouse_id;
} reservation_key;

/* "Found" when the order has a reservation (Brightpearl keeps one). */
static int
find_reservation(int64_t *out_id, ps_bp *bp, const void *ctx)
{
	const reservation_key *k = ctx;
	json_t *root = NULL, *resp;
	char *path = NULL;
	int error;

	*out_id = 0;
	if ((error = ps_bp__path(&path, "/warehouse-service/order/%" PRId64
				 "/reservation", k->order_id)) < 0)
		return error;
	error = ps_bp__request(&root, NULL, bp, "GET", path, NULL, 1,
			       "reservation get");
	free(path);
	if (error < 0) {
		if (error == PS_ENOTFOUND)
			ps_error_clear();
		return error;
	}
	resp = ps_bp__response(root);
	error = (json_is_array(resp) && json_array_size(resp) > 0) ||
				(json_is_object(resp) &&
				 json_object_size(resp) > 0)
			? 0
			: PS_ENOTFOUND;
	json_decref(root);
	*out_id = k->order_id;
	return error;
}

/* The reservation POST of order_id in warehouse_id as a message. */
int
ps_bp__build_reservation_create(ps_bp__msg *m, int64_t order_id,
				int64_t warehouse_id,
				const ps_bp_reservation_line *lines, size_t n)
{
	json_t *prods, *p;
	size_t i;
	int error = 0;

	memset(m, 0, sizeof(*m));
	if (order_id <= 0 || warehouse_id <= 0 || n == 0)
		return ps_error_set(PS_EINVAL,
				    "Brightpearl reservation: order, "
				    "warehouse and lines are required");
	if ((m->body = json_pack("{s:[]}", "products")) == NULL)
		return ps_error_set(PS_ENOMEM, NULL);
	prods = json_object_get(m->body, "products");
	for (i = 0; i < n; i++) {
		if ((p = json_object()) == NULL ||
		    json_array_append_new(prods, p) < 0 ||
		    (error = qty_string(p, "productId", lines[i].product_id)) <
			    0 ||
		    (error = qty_string(p, "salesOrderRowId",
					lines[i].row_id)) < 0 ||
		    (error = qty_string(p, "quantity", lines[i].quantity)) <
			    0) {
			error = error ? error : ps_error_set(PS_ENOMEM, NULL);
			goto done;
		}
	}
	if ((error = ps_bp__path(&m->path, "/warehouse-service/order/%" PRId64
				 "/reservation/warehouse/%" PRId64, order_id,
				 warehouse_id)) < 0)
		goto done;
	m->method = "POST";
	m->what = "reservation create";
done:
	if (error < 0)
		ps_bp__msg_dispose(m);
	return error;
}

int
ps_bp_reservation_create(ps_bp *bp, int64_t order_id, int64_t warehouse_id,
			 const ps_bp_reservation_line *lines, size_t n)
{
	ps_bp__msg m;
	reservation_key k = {order_id, warehouse_id};
	int64_t unused;
	int error;

	if ((error = ps_bp__build_reservation_create(&m, order_id,
						     warehouse_id, lines, n)) <
	    0)
		return error;
	error = create_recoverable(&unused, NULL, bp, &m, 0, find_reservation,
				   &k);
	ps_bp__msg_dispose(&m);
	return error;
}

/* ---- goods-out notes ---------------------------------------------------- */

void
ps_bp_gon_list_dispose(ps_bp_gon_list *l)
{
	size_t i;

	if (l == NULL)
		return;
	for (i = 0; i < l->n; i++)
		free(l->items[i].lines);
	free(l->items);
	json_decref((json_t *)l->priv__);
	memset(l, 0, sizeof(*l));
}

static int
gon_read(ps_bp_gon *g, const char *key, const json_t *j)
{
	char what[PS__BP_WHAT_MAX];
	const json_t *rows, *lines, *ln;
	const char *rkey;
	json_t *k;
	size_t count = 0, i;
	int64_t row_id;
	int error;

	memset(g, 0, sizeof(*g));
	k = json_string(key);
	error = ps_conn__json_int_value(&g->id, k, "id",
					"Brightpearl goods-out note");
	json_decref(k);
	if (error < 0)
		return error;
	snprintf(what, sizeof(what), "Brightpearl goods-out note %" PRId64,
		 g->id);
	if ((error = ps_conn__json_int_opt(&g->order_id, j, "orderId", what,
					   0)) < 0 ||
	    (error = ps_conn__json_int_opt(&g->warehouse_id, j, "warehouseId",
					   what, 0)) < 0 ||
	    (error = ps_conn__json_int_opt(&g->shipping_method_id, j,
					   "shipping.shippingMethodId", what,
					   0)) < 0 ||
	    (error = ps_conn__json_str_opt(&g->tracking_ref, j,
					   "shipping.reference", what)) < 0 ||
	    (error = ps_conn__json_str_opt(&g->shipped_on, j,
					   "status.shippedOn", what)) < 0 ||
	    (error = ps_conn__json_bool_opt(&g->printed, j, "status.printed",
					    what, 0)) < 0 ||
	    (error = ps_conn__json_bool_opt(&g->picked, j, "status.picked",
					    what, 0)) < 0 ||
	    (error = ps_conn__json_bool_opt(&g->packed, j, "status.packed",
					    what, 0)) < 0 ||
	    (error = ps_conn__json_bool_opt(&g->shipped, j, "status.shipped",
					    what, 0)) < 0)
		return error;
	rows = json_object_get(j, "orderRows");
	json_object_foreach((json_t *)rows, rkey, lines)
		count += json_is_array(lines) ? json_array_size(lines) : 0;
	if ((error = alloc_items((void **)&g->lines, count,
				 sizeof(*g->lines))) < 0)
		return error;
	json_object_foreach((json_t *)rows, rkey, lines) {
		k = json_string(rkey);
		error = ps_conn__json_int_value(&row_id, k, "orderRows", what);
		json_decref(k);
		if (error < 0 || !json_is_array(lines))
			return error;
		json_array_foreach(lines, i, ln) {
			ps_bp_gon_line *gl = &g->lines[g->nlines];

			gl->row_id = row_id;
			if ((error = ps_conn__json_int_opt(&gl->product_id, ln,
							   "productId", what,
							   0)) < 0 ||
			    (error = ps_conn__json_int_opt(&gl->quantity, ln,
							   "quantity", what,
							   0)) < 0)
				return error;
			g->nlines++;
		}
	}
	return 0;
}

static int
gon_list_fill(ps_bp_gon_list *out, json_t *all)
{
	json_t *item;
	const char *key;
	int error = 0;

	out->priv__ = json_incref(all);
	if (json_is_array(all) && json_array_size(all) == 0)
		return 0;
	if (!json_is_object(all))
		return ps_error_set(PS_EDATA, "Brightpearl goods-out notes: "
				    "reply is %s, expected an object keyed by "
				    "note id",
				    ps_conn__json_type_name(all));
	if ((error = alloc_items((void **)&out->items, json_object_size(all),
				 sizeof(*out->items))) < 0)
		return error;
	json_object_foreach(all, key, item) {
		if ((error = gon_read(&out->items[out->n], key, item)) < 0) {
			free(out->items[out->n].lines);
			return error;
		}
		out->n++;
	}
	sort_items(out->items, out->n, sizeof(*out->items), cmp_id_field);
	return 0;
}

int
ps_bp_gon_get(ps_bp_gon_list *out, ps_bp *bp, const int64_t *gon_ids,
	      size_t n)
{
	json_t *all = NULL;
	int error;

	memset(out, 0, sizeof(*out));
	if ((error = ps_bp__get_ids(&all, bp,
				    "/warehouse-service/order/*/goods-note/"
				    "goods-out/",
				    NULL, gon_ids, n, "goods-out note get")) <
	    0)
		return error;
	error = gon_list_fill(out, all);
	json_decref(all);
	if (error < 0)
		ps_bp_gon_list_dispose(out);
	return error;
}

int
ps_bp_gon_for_order(ps_bp_gon_list *out, ps_bp *bp, int64_t order_id)
{
	char *path = NULL;
	json_t *root = NULL, *resp, *empty = NULL;
	int error;

	memset(out, 0, sizeof(*out));
	if ((error = ps_bp__path(&path, "/warehouse-service/order/%" PRId64
				 "/goods-note/goods-out", order_id)) < 0)
		return error;
	error = ps_bp__request(&root, NULL, bp, "GET", path, NULL, 1,
			       "goods-out notes of an order");
	if (error == PS_ENOTFOUND) {
		ps_error_clear();
		error = 0;
	}
	if (error < 0)
		goto done;
	resp = ps_bp__response(root);
	if (resp == NULL)
		resp = empty = json_array();
	error = gon_list_fill(out, resp);
done:
	json_decref(empty);
	json_decref(root);
	free(path);
	if (error < 0)
		ps_bp_gon_list_dispose(out);
	return error;
}

/* ---- sales credits ------------------------------------------------------ */

/* A sales credit in the sales-order GET shape (rows array). */
static int
credit_read(ps_bp_order *o, const json_t *j)
{
	char what[PS__BP_WHAT_MAX];
	const json_t *rows, *r;
	size_t i;
	int error;

	memset(o, 0, sizeof(*o));
	if ((error = ps_conn__json_int(&o->id, j, "id",
				       "Brightpearl sales credit")) < 0)
		return error;
	snprintf(what, sizeof(what), "Brightpearl sales credit %" PRId64,
		 o->id);
	o->order_type = "SC";
	if ((error = ps_conn__json_int_opt(&o->parent_id, j, "parentId", what,
					   0)) < 0 ||
	    (error = ps_conn__json_str_opt(&o->ref, j, "ref", what)) < 0 ||
	    (error = ps_conn__json_str_opt(&o->external_ref, j, "externalRef",
					   what)) < 0 ||
	    (error = ps_conn__json_int_opt(&o->status_id, j, "statusId", what,
					   0)) < 0 ||
	    (error = ps_conn__json_int_opt(&o->customer_id, j, "customer.id",
					   what, 0)) < 0 ||
	    (error = ps_conn__json_int_opt(&o->warehouse_id, j, "warehouseId",
					   what, 0)) < 0 ||
	    (error = ps_conn__json_int_opt(&o->channel_id, j, "channelId",
					   what, 0)) < 0 ||
	    (error = ps_conn__json_str_opt(&o->currency, j, "currency.code",
					   what)) < 0 ||
	    (error = ps_conn__json_str_opt(&o->placed_on, j, "placedOn",
					   what)) < 0 ||
	    (error = ps_conn__json_str_opt(&o->payment_status, j,
					   "orderPaymentStatus", what)) < 0 ||
	    (error = ps_conn__json_money_opt(&o->total_net, j, "total.net",
					     what, 0)) < 0 ||
	    (error = ps_conn__json_money_opt(&o->total_tax, j, "total.tax",
					     what, 0)) < 0 ||
	    (error = ps_conn__json_money_opt(&o->total, j, "total.gross", what,
					     0)) < 0)
		return error;
	rows = json_object_get(j, "rows");
	if ((error = alloc_items((void **)&o->rows, json_array_size(rows),
				 sizeof(*o->rows))) < 0)
		return error;
	json_array_foreach(rows, i, r) {
		ps_bp_order_row *row = &o->rows[o->nrows];

		if ((error = ps_conn__json_int_opt(&row->id, r, "id", what,
						   0)) < 0 ||
		    (error = ps_conn__json_int_opt(&row->product_id, r,
						   "productId", what, 0)) < 0 ||
		    (error = ps_conn__json_str_opt(&row->name, r, "name",
						   what)) < 0 ||
		    (error = ps_conn__json_str_opt(&row->sku, r, "sku", what)) <
			    0 ||
		    (error = ps_conn__json_int_opt(&row->quantity, r,
						   "quantity", what, 0)) < 0 ||
		    (error = ps_conn__json_money_opt(&row->net, r, "net", what,
						     0)) < 0 ||
		    (error = ps_conn__json_money_opt(&row->tax, r, "tax", what,
						     0)) < 0 ||
		    (error = ps_conn__json_str_opt(&row->tax_code, r,
						   "taxCode", what)) < 0 ||
		    (error = ps_conn__json_str_opt(&row->nominal_code, r,
						   "nominalCode", what)) < 0)
			return error;
		o->nrows++;
	}
	sort_items(o->rows, o->nrows, sizeof(*o->rows), cmp_rows);
	return 0;
}

int
ps_bp_credit_get(ps_bp_order_list *out, ps_bp *bp, const int64_t *ids,
		 size_t n)
{
	json_t *all = NULL;
	int error;

	memset(out, 0, sizeof(*out));
	if ((error = ps_bp__get_ids(&all, bp, "/order-service/sales-credit/",
				    NULL, ids, n, "sales credit get")) < 0)
		return error;
	error = order_list_fill(out, all, credit_read);
	json_decref(all);
	if (error < 0)
		ps_bp_order_list_dispose(out);
	return error;
}

int
ps_bp_credit_find(ps_bp_ids *out, ps_bp *bp, int64_t parent_id)
{
	char q[80];
	json_t *rows = NULL, *row;
	const char *what = "Brightpearl sales credit search";
	int64_t type;
	size_t i;
	int error;

	out->ids = NULL;
	out->n = 0;
	snprintf(q, sizeof(q), "parentOrderId=%" PRId64 "&orderTypeId=3",
		 parent_id);
	if ((error = ps_bp__search(&rows, bp, "/order-service/order-search",
				   q, "sales credit search")) < 0)
		return error;
	if ((error = alloc_items((void **)&out->ids, json_array_size(rows),
				 sizeof(*out->ids))) < 0)
		goto done;
	json_array_foreach(rows, i, row) {
		int64_t parent;

		if ((error = ps_conn__json_int_opt(&type, row, "orderTypeId",
						   what, 3)) < 0 ||
		    (error = ps_conn__json_int_opt(&parent, row,
						   "parentOrderId", what,
						   parent_id)) < 0)
			goto done;
		if (type != 3 || parent != parent_id)
			continue;
		if ((error = ps_conn__json_int(&out->ids[out->n], row,
					       "orderId", what)) < 0)
			goto done;
		out->n++;
	}
	sort_items(out->ids, out->n, sizeof(*out->ids), cmp_i64p);
done:
	json_decref(rows);
	if (error < 0)
		ps_bp_ids_dispose(out);
	return error;
}

/* ---- webhooks ----------------------------------------------------------- */

void
ps_bp_webhook_list_dispose(ps_bp_webhook_list *l)
{
	if (l == NULL)
		return;
	free(l->items);
	json_decref((json_t *)l->priv__);
	memset(l, 0, sizeof(*l));
}

int
ps_bp_webhook_list_get(ps_bp_webhook_list *out, ps_bp *bp)
{
	json_t *root = NULL, *arr = NULL, *item;
	const char *what = "Brightpearl webhook";
	int64_t qos;
	size_t i;
	int error;

	memset(out, 0, sizeof(*out));
	if ((error = list_get(&root, &arr, &out->priv__, (void **)&out->items,
			     sizeof(*out->items), bp,
			     "/integration-service/webhook", "webhook list")) <
	    0)
		goto done;
	json_array_foreach(arr, i, item) {
		ps_bp_webhook *w = &out->items[out->n];

		if ((error = ps_conn__json_int(&w->id, item, "id", what)) < 0 ||
		    (error = ps_conn__json_str(&w->subscribe_to, item,
					       "subscribeTo", what)) < 0 ||
		    (error = ps_conn__json_str_opt(&w->http_method, item,
						   "httpMethod", what)) < 0 ||
		    (error = ps_conn__json_str_opt(&w->uri_template, item,
						   "uriTemplate", what)) < 0 ||
		    (error = ps_conn__json_str_opt(&w->body_template, item,
						   "bodyTemplate", what)) < 0 ||
		    (error = ps_conn__json_str_opt(&w->content_type, item,
						   "contentType", what)) < 0 ||
		    (error = ps_conn__json_bool_opt(&w->id_set_accepted, item,
						    "idSetAccepted", what,
						    0)) < 0 ||
		    (error = ps_conn__json_int_opt(&qos, item,
						   "qualityOfService", what,
						   0)) < 0)
			goto done;
		w->qos = (int)qos;
		out->n++;
	}
	sort_items(out->items, out->n, sizeof(*out->items), cmp_id_field);
done:
	json_decref(arr);
	json_decref(root);
	if (error < 0)
		ps_bp_webhook_list_dispose(out);
	return error;
}

/* A registered hook for the same event and URL. */
static int
find_webhook(int64_t *out_id, ps_bp *bp, const void *ctx)
{
	const ps_bp_webhook *w = ctx;
	ps_bp_webhook_list l;
	size_t i;
	int error;

	*out_id = 0;
	if ((error = ps_bp_webhook_list_get(&l, bp)) < 0)
		return error;
	for (i = 0; i < l.n; i++)
		if (strcmp(l.items[i].subscribe_to, w->subscribe_to) == 0 &&
		    l.items[i].uri_template != NULL &&
		    strcmp(l.items[i].uri_template, w->uri_template) == 0)
			*out_id = l.items[i].id;
	ps_bp_webhook_list_dispose(&l);
	return *out_id > 0 ? 0 : PS_ENOTFOUND;
}

int
ps_bp_webhook_create(int64_t *out_id, ps_bp *bp, const ps_bp_webhook *w)
{
	json_t *body = NULL, *root = NULL;
	ps_bp__msg m = {0};
	int64_t id = 0;
	int error;

	if (out_id != NULL)
		*out_id = 0;
	if (w->subscribe_to == NULL || w->uri_template == NULL)
		return ps_error_set(PS_EINVAL, "Brightpearl webhook: event and "
				    "URL are required");
	body = json_pack("{s:s, s:s, s:s, s:b, s:i}", "subscribeTo",
			 w->subscribe_to, "httpMethod",
			 w->http_method != NULL ? w->http_method : "POST",
			 "uriTemplate", w->uri_template, "idSetAccepted",
			 w->id_set_accepted != 0, "qualityOfService", w->qos);
	if (body == NULL)
		return ps_error_set(PS_ENOMEM, "Brightpearl webhook: out of "
				    "memory or a field is not UTF-8");
	if ((error = ps_conn__json_set_str(body, "bodyTemplate",
					   w->body_template, 0)) < 0 ||
	    (error = ps_conn__json_set_str(body, "contentType",
					   w->content_type, 0)) < 0)
		goto done;
	m.method = "POST";
	m.body = body;
	m.what = "webhook create";
	if ((error = ps_bp__path(&m.path, "/integration-service/webhook")) <
		    0 ||
	    (error = create_recoverable(&id, NULL, bp, &m, 1, find_webhook,
					w)) < 0)
		goto done;
	if (out_id != NULL)
		*out_id = id;
done:
	free(m.path); /* m.body is body, released below */
	json_decref(root);
	json_decref(body);
	return error;
}

int
ps_bp_webhook_delete(ps_bp *bp, int64_t id)
{
	char *path = NULL;
	json_t *root = NULL;
	int error;

	if ((error = ps_bp__path(&path, "/integration-service/webhook/%" PRId64,
				 id)) < 0)
		return error;
	error = ps_bp__request(&root, NULL, bp, "DELETE", path, NULL, 1,
			       "webhook delete");
	if (error == PS_ENOTFOUND && bp->last_attempts > 1) {
		/* an earlier attempt, whose reply was lost, deleted it */
		ps_error_clear();
		error = 0;
	}
	json_decref(root);
	free(path);
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
	    (error = address_read(&so->billing,
				  ps_conn__json_at(j, "billing.address"),
				  what)) < 0 ||
	    (error = address_read(&so->delivery,
				  ps_conn__json_at(j, "delivery.address"),
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
	json_array_foreach(ps_bp__response(root), i, item)
	{
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

int
ps_bp_address_equal(const ps_bp_address *a, const ps_bp_address *b)
{
	return str_same(a->full_name, b->full_name) &&
	       str_same(a->company, b->company) &&
	       str_same(a->line1, b->line1) && str_same(a->line2, b->line2) &&
	       str_same(a->line3, b->line3) && str_same(a->line4, b->line4) &&
	       str_same(a->postal_code, b->postal_code) &&
	       str_same(a->country_iso, b->country_iso) &&
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
	addr = address_json_all(a);
	return set_new(p, "address", addr);
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
	json_array_foreach(json_object_get(body, "rows"), i, row)
	{
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
	if ((*j = address_json_all(a)) == NULL)
		return ps_error_set(PS_ENOMEM, NULL);
	*copy = buf;
	return address_read(buf, *j, "address");
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
