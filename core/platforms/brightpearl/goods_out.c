/*
 * goods_out.c - fulfilment on the Brightpearl side: stock reservations
 * against an order (and their batch form) and goods-out notes.
 */
#include "platforms/brightpearl/brightpearl_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- reservations ------------------------------------------------------- */

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
	if ((error = ps_bp__path(
		     &path, "/warehouse-service/order/%" PRId64 "/reservation",
		     k->order_id)) < 0)
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
		    (error = ps_bp__qty_string(p, "productId",
					       lines[i].product_id)) < 0 ||
		    (error = ps_bp__qty_string(p, "salesOrderRowId",
					       lines[i].row_id)) < 0 ||
		    (error = ps_bp__qty_string(p, "quantity",
					       lines[i].quantity)) < 0) {
			error = error ? error : ps_error_set(PS_ENOMEM, NULL);
			goto done;
		}
	}
	if ((error = ps_bp__path(&m->path,
				 "/warehouse-service/order/%" PRId64
				 "/reservation/warehouse/%" PRId64,
				 order_id, warehouse_id)) < 0)
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

	if ((error = ps_bp__build_reservation_create(&m, order_id, warehouse_id,
						     lines, n)) < 0)
		return error;
	error = ps_bp__create_recoverable(&unused, NULL, bp, &m, 0,
					  find_reservation, &k);
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
	    (error = ps_conn__json_str_opt(&g->created_on, j, "createdOn",
					   what)) < 0 ||
	    (error = ps_conn__json_int_opt(&g->created_by, j, "createdBy", what,
					   0)) < 0 ||
	    (error = ps_conn__json_int_opt(&g->last_event_version, j,
					   "lastEventVersion", what, 0)) < 0 ||
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
	json_object_foreach ((json_t *)rows, rkey, lines)
		count += json_is_array(lines) ? json_array_size(lines) : 0;
	if ((error = ps_bp__alloc_items((void **)&g->lines, count,
					sizeof(*g->lines))) < 0)
		return error;
	json_object_foreach ((json_t *)rows, rkey, lines) {
		k = json_string(rkey);
		error = ps_conn__json_int_value(&row_id, k, "orderRows", what);
		json_decref(k);
		if (error < 0 || !json_is_array(lines))
			return error;
		json_array_foreach (lines, i, ln) {
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
		return ps_error_set(PS_EDATA,
				    "Brightpearl goods-out notes: "
				    "reply is %s, expected an object keyed by "
				    "note id",
				    ps_conn__json_type_name(all));
	if ((error = ps_bp__alloc_items((void **)&out->items,
					json_object_size(all),
					sizeof(*out->items))) < 0)
		return error;
	json_object_foreach (all, key, item) {
		if ((error = gon_read(&out->items[out->n], key, item)) < 0) {
			free(out->items[out->n].lines);
			return error;
		}
		out->n++;
	}
	ps_bp__sort_items(out->items, out->n, sizeof(*out->items),
			  ps_bp__cmp_id_field);
	return 0;
}

int
ps_bp_gon_get(ps_bp_gon_list *out, ps_bp *bp, const int64_t *gon_ids, size_t n)
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
	if ((error = ps_bp__path(&path,
				 "/warehouse-service/order/%" PRId64
				 "/goods-note/goods-out",
				 order_id)) < 0)
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

/* ---- batch forms -------------------------------------------------------- */

int
ps_bp_batch_reservation_create(ps_bp_batch *b, int64_t order_id,
			       int64_t warehouse_id,
			       const ps_bp_reservation_line *lines, size_t n)
{
	ps_bp__msg m;
	int error;

	if ((error = ps_bp__build_reservation_create(&m, order_id, warehouse_id,
						     lines, n)) < 0)
		return error;
	return ps_bp__batch_push(b, &m);
}

int
ps_bp_gon_tracking_set(ps_bp *bp, int64_t gon_id, const char *reference,
		       int64_t shipping_method_id)
{
	json_t *body = NULL, *shipping, *root = NULL;
	char *path = NULL;
	int error;

	if (gon_id <= 0)
		return ps_error_set(PS_EINVAL, "Brightpearl goods-out note "
					       "update: no note id");
	if ((body = json_pack("{s:{}}", "shipping")) == NULL)
		return ps_error_set(PS_ENOMEM, NULL);
	shipping = json_object_get(body, "shipping");
	if ((reference != NULL &&
	     (error = ps_bp__set_new(shipping, "reference",
				     json_string(reference))) < 0) ||
	    (shipping_method_id > 0 &&
	     (error = ps_bp__set_new(shipping, "shippingMethodId",
				     json_integer(shipping_method_id))) < 0))
		goto done;
	if ((error = ps_bp__path(&path,
				 "/warehouse-service/goods-note/goods-out/"
				 "%" PRId64,
				 gon_id)) < 0)
		goto done;
	error = ps_bp__request(&root, NULL, bp, "PUT", path, body, 1,
			       "goods-out note update");
done:
	json_decref(root);
	json_decref(body);
	free(path);
	return error;
}

int
ps_bp_gon_ship(ps_bp *bp, int64_t gon_id, const char *when)
{
	ps_bp_gon_list l = {NULL, 0, NULL};
	json_t *body = NULL, *ev, *root = NULL;
	char *path = NULL;
	int64_t owner, version;
	long status = 0;
	int error;

	if (gon_id <= 0)
		return ps_error_set(PS_EINVAL, "Brightpearl goods-out note "
					       "event: no note id");
	/* a shipped note refuses the event: check first, so that a retry
	 * after a lost reply is success, not an error */
	if ((error = ps_bp_gon_get(&l, bp, &gon_id, 1)) < 0)
		return error;
	if (l.n == 0) {
		ps_bp_gon_list_dispose(&l);
		return ps_error_set(PS_ENOTFOUND,
				    "Brightpearl goods-out note %" PRId64
				    " not found",
				    gon_id);
	}
	if (l.items[0].shipped) {
		ps_bp_gon_list_dispose(&l);
		return 0;
	}
	owner = l.items[0].created_by;
	version = l.items[0].last_event_version;
	ps_bp_gon_list_dispose(&l);
	if ((body = json_pack("{s:[{s:s}]}", "events", "eventCode", "SHW")) ==
	    NULL)
		return ps_error_set(PS_ENOMEM, NULL);
	ev = json_array_get(json_object_get(body, "events"), 0);
	if ((when != NULL &&
	     (error = ps_bp__set_new(ev, "occured", json_string(when))) < 0) ||
	    (owner > 0 && (error = ps_bp__set_new(ev, "eventOwnerId",
						  json_integer(owner))) < 0))
		goto done;
	if ((error = ps_bp__path(&path,
				 "/warehouse-service/goods-note/goods-out/"
				 "%" PRId64 "/event",
				 gon_id)) < 0)
		goto done;
	if (version > 0)
		error = ps_bp__request_if_match(&root, &status, bp, "POST",
						path, body, version,
						"goods-out note shipped event");
	else
		error = ps_bp__request(&root, NULL, bp, "POST", path, body, 0,
				       "goods-out note shipped event");
	if (error == PS_EDATA && (bp->last_attempts > 1 || status == 412)) {
		/* a retry refused, or the note moved on since it was read:
		 * the lost first try (or someone else) may have shipped it;
		 * if not, another event came first: try again later */
		ps_bp_gon_list again = {NULL, 0, NULL};

		if (ps_bp_gon_get(&again, bp, &gon_id, 1) == 0 &&
		    again.n == 1 && again.items[0].shipped) {
			ps_error_clear();
			error = 0;
		} else if (status == 412) {
			error = ps_error_set(PS_EBUSY,
					     "Brightpearl goods-out note "
					     "%" PRId64
					     " changed while it was being "
					     "shipped; trying again",
					     gon_id);
		}
		ps_bp_gon_list_dispose(&again);
	}
done:
	json_decref(root);
	json_decref(body);
	free(path);
	return error;
}
