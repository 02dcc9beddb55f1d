/*
 * shipment_export_bc.c - Brightpearl goods-out notes to BigCommerce
 * shipments, for orders that came from BigCommerce.
 *
 * Two triggers (bigcommerce.fulfilment.trigger):
 *   goods_out  each "goods-out-note.modified.shipped" webhook records one
 *              entry per note (kind goods-out-note.ship, dedupe key
 *              bp:gon:<id>:shipment);
 *   status     an "order.modified.order-status" webhook records an entry
 *              for the order (kind order.ship); performing it checks that
 *              the order is at bigcommerce.fulfilment.trigger_status and
 *              ships each of its notes (or, without notes, whatever is left
 *              on the BigCommerce order).  A note shipped after its order
 *              reached the status comes through the note's own entry, which
 *              ships it only while the order is at the trigger status.
 *
 * Webhooks are the fast path; the poll is the safety net for both
 * triggers: the notes shipped since its cursor, and with the status
 * trigger also the orders updated since a second cursor that are at the
 * trigger status (the search filters on it, so other orders cost
 * nothing), get the entries a webhook would have recorded, with keys that
 * make a repeated poll add nothing (bp:order:<id>:ship-on-status:s<st>).
 *
 * Echo: creating a shipment makes BigCommerce move the order to Shipped
 * (2) or Partially Shipped (3) by itself.  The order is read back after
 * each shipment pearlsync creates and that status is recorded as
 * pearlsync's own write (ps_store_written_int_set), so the order import
 * does not take it for a merchant's edit.  The same read gives the
 * entry's shipment status ("shipped 3/5 items", "shipped").
 *
 * Each note becomes exactly one BigCommerce shipment with the note's lines
 * and quantities (a line shipped in parts gives parts), so BigCommerce
 * moves the order to Partially Shipped and then Shipped.  The shipment
 * carries "[gon-<id>]" in its comments: before creating, the order's
 * shipments are listed and one carrying the reference is adopted, so a
 * repeated webhook, both triggers, or a crash after the POST never give a
 * second shipment for one note.  Lines are matched on SKU between the
 * Brightpearl order rows and the BigCommerce order products.
 *
 * Tracking number: the note's shipping reference.  Shipping method: the
 * Brightpearl method through the shipping_method bp>bc mapping (by name,
 * then id, then the default); with no mapping the Brightpearl name passes
 * through.  Carrier (an AfterShip slug such as "ups", so BigCommerce's
 * shipment e-mail links to the tracking): the shipping_carrier bp>bc
 * mapping of the same method when there is one, else derived from the
 * Brightpearl method's carrier, the method names or the tracking number
 * (ps_bc_tracking_carrier).
 */
#include "flows/bigcommerce/pair_int.h"
#include "internal.h"
#include "setting_keys.h"
#include "pearlsync/bigcommerce.h"
#include "pearlsync/brightpearl.h"
#include "pearlsync/replay.h"
#include "pearlsync/settings.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FLOW "shipment_export_bc"
#define CURSOR "shipment_export_bc.shipped_on"
#define CURSOR_STATUS "shipment_export_bc.status_updated_on"

static const char *const bp_events[] = {"goods-out-note.modified.shipped",
					"order.modified.order-status"};

static int
ship_init(void **out_state, ps_flow_env *env)
{
	return ps_pair__hooks_init(out_state, env, bp_events,
				   PS__ARRAY_LEN(bp_events));
}

/*
 * Record one entry of kind for a Brightpearl order's BigCommerce twin, if
 * any; its subject is source_id (a goods-out note of bp_order, or the
 * order itself).
 */
static int
add_linked(ps_flow_env *env, const char *key, const char *kind,
	   int64_t source_id, int64_t bp_order)
{
	char id[32], num[32], order[32];
	int64_t bc_id;

	if (ps_pair__bc_order_of(&bc_id, env->store, bp_order) < 0) {
		ps_error_clear();
		return 0;
	}
	snprintf(id, sizeof(id), "%" PRId64, source_id);
	snprintf(num, sizeof(num), "%" PRId64, bc_id);
	snprintf(order, sizeof(order), "%" PRId64, bp_order);
	return ps_pair__log_add(
		env, FLOW, key, kind, id, source_id != bp_order ? order : NULL,
		PS_PLATFORM_BRIGHTPEARL, id, PS_PLATFORM_BIGCOMMERCE, num);
}

static void
keep_latest(char *best, size_t cap, const char *seen)
{
	if (strcmp(seen, best) > 0)
		ps_util__strlcpy(best, seen, cap);
}

/*
 * poll: makes sure the webhooks are registered, and is the safety net for
 * lost ones: the notes shipped since the cursor (a day back the first
 * time) that belong to BigCommerce orders get the entries a webhook would
 * have recorded; with the status trigger, so do the BigCommerce orders
 * updated since the second cursor that are now at the trigger status.
 * Both cursors advance in the transaction that records the entries.
 */
static int
ship_poll(ps_flow_env *env)
{
	ps_bp_gon_ref *gons = NULL;
	ps_bp_order_ref *orders = NULL;
	char since[48], best[48], osince[48], obest[48] = "", key[96];
	size_t n = 0, norders = 0, i;
	int64_t trigger = 0;
	int error, status_mode;

	if ((error = ps_pair__hooks_poll(env, bp_events,
					 PS__ARRAY_LEN(bp_events))) < 0)
		return error;
	if (PS_PAIR_BP(env) == NULL)
		return 0;
	status_mode = ps_pair__setting_is(
		env->store, PS_SET_BC_FULFILMENT_TRIGGER, "status");
	if (status_mode &&
	    (error = ps_pair__bp_status_setting(
		     &trigger, env, PS_SET_BC_FULFILMENT_TRIGGER_STATUS)) < 0)
		return error;
	ps_pair__poll_since(since, sizeof(since), env, CURSOR);
	if ((error = ps_bp_gons_shipped_since(&gons, &n, PS_PAIR_BP(env),
					      since)) < 0)
		goto done;
	if (trigger > 0) {
		ps_pair__poll_since(osince, sizeof(osince), env, CURSOR_STATUS);
		if ((error = ps_bp_orders_at_status_since(&orders, &norders,
							  PS_PAIR_BP(env),
							  osince, trigger)) < 0)
			goto done;
		ps_util__strlcpy(obest, osince, sizeof(obest));
	}
	ps_util__strlcpy(best, since, sizeof(best));
	if ((error = ps_store_begin(env->store)) < 0)
		goto done;
	for (i = 0; i < n && error == 0; i++) {
		keep_latest(best, sizeof(best), gons[i].shipped_on);
		snprintf(key, sizeof(key), "bp:gon:%" PRId64 ":shipment",
			 gons[i].id);
		error = add_linked(env, key, PS_PAIR_KIND_GON_SHIP, gons[i].id,
				   gons[i].order_id);
	}
	for (i = 0; i < norders && error == 0; i++) {
		keep_latest(obest, sizeof(obest), orders[i].updated_on);
		snprintf(key, sizeof(key),
			 "bp:order:%" PRId64 ":ship-on-status:s%" PRId64,
			 orders[i].id, orders[i].status_id);
		error = add_linked(env, key, PS_PAIR_KIND_ORDER_SHIP,
				   orders[i].id, orders[i].id);
	}
	if (trigger > 0 && error == 0)
		error = ps_store_cursor_set(env->store, CURSOR_STATUS, obest,
					    env->now);
	error = ps_pair__poll_end(env, CURSOR, best, error);
done:
	free(orders);
	free(gons);
	return error;
}

/*
 * on_event: a shipped note records its entry whatever the trigger (with
 * the status trigger, performing it ships the note only while its order
 * is at the trigger status); an order status change records one for the
 * order, with the status trigger only.  The order number is known here
 * only for an order; a note's entry gets it when performed.
 */
static int
ship_on_event(ps_flow_env *env, const ps_event *ev)
{
	char key[128], id[32], num[32];
	int64_t bc_id;
	size_t i;
	int error, order_status;

	if (ps_pair__event_is(ev, PS_PLATFORM_BRIGHTPEARL,
			      "goods-out-note.modified.shipped"))
		order_status = 0;
	else if (ps_pair__event_is(ev, PS_PLATFORM_BRIGHTPEARL,
				   "order.modified.order-status") &&
		 ps_pair__setting_is(env->store, PS_SET_BC_FULFILMENT_TRIGGER,
				     "status"))
		order_status = 1;
	else
		return 0;
	for (i = 0; i < ev->nids; i++) {
		snprintf(id, sizeof(id), "%" PRId64, ev->ids[i]);
		num[0] = '\0';
		if (!order_status) {
			snprintf(key, sizeof(key), "bp:gon:%s:shipment", id);
		} else {
			snprintf(key, sizeof(key),
				 "bp:order:%s:ship-on-status:ev%" PRId64, id,
				 ev->id);
			if (ps_pair__bc_order_of(&bc_id, env->store,
						 ev->ids[i]) == 0)
				snprintf(num, sizeof(num), "%" PRId64, bc_id);
			ps_error_clear();
		}
		if ((error = ps_pair__log_add(
			     env, FLOW, key,
			     order_status ? PS_PAIR_KIND_ORDER_SHIP
					  : PS_PAIR_KIND_GON_SHIP,
			     id, NULL, PS_PLATFORM_BRIGHTPEARL, id,
			     PS_PLATFORM_BIGCOMMERCE, num[0] ? num : NULL)) < 0)
			return error;
	}
	return 0;
}

/* ---- shipping method and carrier ----------------------------------- */

/*
 * The mapping of the Brightpearl method (by name, then id; the default
 * only with fallback) into *out, or NULL when none.
 */
static int
map_method(char **out, ps_store *st, const char *kind, const char *name,
	   int64_t id, unsigned fallback)
{
	char num[32];
	int error = PS_ENOTFOUND;

	*out = NULL;
	snprintf(num, sizeof(num), "%" PRId64, id);
	if (name != NULL)
		error = ps_store_mapping_get(out, st, kind, "bp>bc", name, 0);
	if (error == PS_ENOTFOUND)
		error = ps_store_mapping_get(out, st, kind, "bp>bc", num,
					     fallback);
	if (error == PS_ENOTFOUND) {
		ps_error_clear();
		*out = NULL;
		return 0;
	}
	return error;
}

/* ---- building one shipment ------------------------------------------ */

typedef struct ship_ctx {
	ps_flow_env *env;
	int64_t bc_id;
	int64_t bp_order_id; /* the Brightpearl order, once known */
	const ps_bp_order *bp_order;
	ps_bp_ref_list methods;
	int have_methods;
	/* The BigCommerce order as last read in this perform: before the
	 * first shipment, then again after each one pearlsync creates (so
	 * the next note of the same perform needs no read of its own). */
	ps_bc_order bc;
	int have_bc;
	char *method_sent; /* owned: the shipping method of the last
			      shipment made or adopted, for the log */
} ship_ctx;

static const ps_bp_ref *
method_ref(ship_ctx *c, int64_t id)
{
	size_t i;

	if (id <= 0)
		return NULL;
	if (!c->have_methods) {
		if (ps_bp_ref_list_get(&c->methods, PS_PAIR_BP(c->env),
				       PS_BP_REF_SHIPPING_METHOD) < 0) {
			ps_error_clear();
			return NULL;
		}
		c->have_methods = 1;
	}
	for (i = 0; i < c->methods.n; i++)
		if (c->methods.items[i].id == id)
			return &c->methods.items[i];
	return NULL;
}

static const char *
method_name(ship_ctx *c, int64_t id)
{
	const ps_bp_ref *m = method_ref(c, id);

	return m != NULL ? m->name : NULL;
}

/*
 * The tracking carrier: the shipping_carrier mapping when the merchant
 * made one (in *mapped, owned), else derived from the Brightpearl
 * method's carrier, the method names or the tracking number, so that
 * BigCommerce's shipment e-mail carries a tracking link; NULL when
 * nothing says.
 */
static const char *
carrier_of(ship_ctx *c, int64_t method_id, const char *mapped,
	   const char *bc_method, const char *tracking)
{
	const ps_bp_ref *m = method_ref(c, method_id);
	const char *slug;

	if (mapped != NULL)
		return mapped;
	if (m != NULL && (slug = ps_bc_tracking_carrier(m->carrier, NULL)))
		return slug;
	if ((slug = ps_bc_tracking_carrier(bc_method, NULL)) != NULL)
		return slug;
	if (m != NULL && (slug = ps_bc_tracking_carrier(m->name, NULL)))
		return slug;
	return ps_bc_tracking_carrier(NULL, tracking);
}

static const char *
row_sku(const ps_bp_order *o, int64_t row_id, int64_t product_id)
{
	size_t i;

	for (i = 0; i < o->nrows; i++)
		if (o->rows[i].id == row_id && o->rows[i].sku != NULL)
			return o->rows[i].sku;
	for (i = 0; i < o->nrows; i++)
		if (product_id != 0 && o->rows[i].product_id == product_id &&
		    o->rows[i].sku != NULL)
			return o->rows[i].sku;
	return NULL;
}

/* Add qty of sku to items, spread over the BC lines that can take it. */
static int
take_lines(ps_bc_shipment_item *items, size_t *nitems, int64_t *taken,
	   const ps_bc_order *bc, const char *sku, int64_t qty)
{
	size_t j, k;

	for (j = 0; j < bc->nproducts && qty > 0; j++) {
		const ps_bc_order_product *p = &bc->products[j];
		int64_t left = p->quantity - p->quantity_shipped - taken[j];
		int64_t q;

		if (strcmp(p->sku, sku) != 0 || left <= 0)
			continue;
		q = left < qty ? left : qty;
		taken[j] += q;
		qty -= q;
		for (k = 0; k < *nitems; k++)
			if (items[k].order_product_id == p->id)
				break;
		if (k == *nitems) {
			items[k].order_product_id = p->id;
			items[k].product_id = 0;
			items[k].quantity = 0;
			(*nitems)++;
		}
		items[k].quantity += q;
	}
	if (qty > 0)
		return ps_error_set(PS_EDATA,
				    "SKU '%s': %" PRId64
				    " more than BigCommerce "
				    "order %" PRId64 " has left to ship",
				    sku, qty, bc->id);
	return 0;
}

/* The shipment of l carrying "[ref]" in its comments, or NULL. */
static const ps_bc_shipment *
find_ref(const ps_bc_shipment_list *l, const char *ref)
{
	char want[64];
	size_t i;

	snprintf(want, sizeof(want), "[%s]", ref);
	for (i = 0; i < l->count; i++)
		if (strstr(l->items[i].comments, want) != NULL)
			return &l->items[i];
	return NULL;
}

/* Read the BigCommerce order into c->bc unless this perform has it. */
static int
load_bc(ship_ctx *c, int fresh)
{
	int error;

	if (c->have_bc && !fresh)
		return 0;
	ps_bc_order_dispose(&c->bc);
	c->have_bc = 0;
	if ((error = ps_bc_order_get(&c->bc, PS_PAIR_BC(c->env), c->bc_id)) < 0)
		return error;
	c->have_bc = 1;
	return 0;
}

/* Units ordered and shipped on the BigCommerce order as last read. */
static void
bc_counts(int64_t *out_total, int64_t *out_shipped, const ship_ctx *c)
{
	size_t i;

	*out_total = 0;
	*out_shipped = 0;
	for (i = 0; i < c->bc.nproducts; i++) {
		*out_total += c->bc.products[i].quantity;
		*out_shipped += c->bc.products[i].quantity_shipped;
	}
}

/*
 * Record the status a shipment of pearlsync's moved the BigCommerce
 * order to as pearlsync's own write, for the order import's echo guard.
 *
 * After a shipment it created (adopted 0) the order is read again:
 * BigCommerce documents that a shipment sets Shipped (2), but that a
 * partial one sets Partially Shipped (3) is only widely relied on
 * (reference digest, BigCommerce section 9), so the status is read, not
 * assumed.  Should the read still show another status (a change
 * BigCommerce has not made yet), the one its rule gives from the
 * quantities is recorded instead.
 *
 * An adopted shipment (a retry after a crash between the POST and this
 * record, or a second entry for the same note) records the order's
 * status as last read when it is 2 or 3, the statuses a shipment gives;
 * any other status is someone else's later change and is left alone.
 */
static int
record_status(ship_ctx *c, int adopted)
{
	int64_t total, shipped, status;
	int error;

	if ((error = load_bc(c, !adopted)) < 0)
		return error;
	status = c->bc.status_id;
	if (status != 2 && status != 3) {
		if (adopted)
			return 0;
		bc_counts(&total, &shipped, c);
		status = shipped >= total ? 2 : 3;
	}
	return ps_store_written_int_set(c->env->store, PS_PLATFORM_BIGCOMMERCE,
					"order", c->bc_id, "status", status,
					FLOW, c->env->now);
}

static int
keep_method(ship_ctx *c, const char *method)
{
	free(c->method_sent);
	c->method_sent = NULL;
	if (method == NULL || method[0] == '\0')
		return 0;
	if ((c->method_sent = ps_util__strdup(method)) == NULL)
		return ps_error_set(PS_ENOMEM, NULL);
	return 0;
}

/*
 * Ship one note (gon) or, gon NULL, everything left on the order.
 * *out_id: the BigCommerce shipment; *out_adopted: 1 if it existed.  A
 * note whose order was shipped whole (no note existed when it reached
 * the trigger status) adopts that shipment: nothing is left to ship.  A
 * whole order with nothing left to ship is done: *out_id 0, adopted.
 */
static int
ship_one(int64_t *out_id, int *out_adopted, ship_ctx *c, const ps_bp_gon *gon,
	 const char *ref)
{
	ps_bc_shipment_list existing = {NULL, 0};
	const ps_bc_order *bc = &c->bc;
	const ps_bc_shipment *found;
	ps_bc_shipment made;
	ps_bc_shipment_new s;
	ps_bc_shipment_item *items = NULL;
	int64_t *taken = NULL, method_id;
	char *method = NULL, *carrier = NULL;
	const char *bp_method;
	size_t i, nitems = 0;
	int error = 0;

	memset(&made, 0, sizeof(made));
	*out_id = 0;
	*out_adopted = 0;
	if ((error = ps_bc_shipments_list(&existing, PS_PAIR_BC(c->env),
					  c->bc_id)) < 0)
		goto done;
	found = find_ref(&existing, ref);
	if (found == NULL && gon != NULL) {
		char whole[48];

		snprintf(whole, sizeof(whole), "bp-order-%" PRId64,
			 c->bp_order->id);
		found = find_ref(&existing, whole);
	}
	if (found != NULL) {
		*out_id = found->id;
		*out_adopted = 1;
		if ((error = keep_method(c, found->shipping_method)) < 0)
			goto done;
		error = record_status(c, 1);
		goto done;
	}
	if ((error = load_bc(c, 0)) < 0)
		goto done;
	items = calloc(bc->nproducts + 1, sizeof(*items));
	taken = calloc(bc->nproducts + 1, sizeof(*taken));
	if (items == NULL || taken == NULL) {
		error = ps_error_set(PS_ENOMEM, NULL);
		goto done;
	}
	if (gon != NULL) {
		for (i = 0; i < gon->nlines; i++) {
			const char *sku =
				row_sku(c->bp_order, gon->lines[i].row_id,
					gon->lines[i].product_id);

			if (sku == NULL) {
				error = ps_error_set(
					PS_EDATA,
					"goods-out note %" PRId64
					": row %" PRId64
					" has no SKU on Brightpearl order "
					"%" PRId64,
					gon->id, gon->lines[i].row_id,
					c->bp_order->id);
				goto done;
			}
			if ((error = take_lines(items, &nitems, taken, bc, sku,
						gon->lines[i].quantity)) < 0)
				goto done;
		}
	} else {
		for (i = 0; i < bc->nproducts; i++) {
			int64_t left = bc->products[i].quantity -
				       bc->products[i].quantity_shipped;

			if (left <= 0)
				continue;
			items[nitems].order_product_id = bc->products[i].id;
			items[nitems].quantity = left;
			nitems++;
		}
	}
	if (nitems == 0 && gon == NULL) {
		/* shipped in full already (in BigCommerce, by hand): the
		 * whole-order shipment has nothing to do */
		*out_adopted = 1;
		goto done;
	}
	if (nitems == 0) {
		error = ps_error_set(PS_EDATA,
				     "nothing to ship on BigCommerce order "
				     "%" PRId64,
				     c->bc_id);
		goto done;
	}
	memset(&s, 0, sizeof(s));
	for (i = 0; i < bc->nproducts; i++)
		if (bc->products[i].id == items[0].order_product_id)
			s.order_address_id = bc->products[i].order_address_id;
	if (s.order_address_id == 0 && bc->nshipping_addresses > 0)
		s.order_address_id = bc->shipping_addresses[0].id;
	method_id = gon && gon->shipping_method_id
			    ? gon->shipping_method_id
			    : c->bp_order->shipping_method_id;
	bp_method = method_name(c, method_id);
	if ((error = map_method(&method, c->env->store, "shipping_method",
				bp_method, method_id,
				PS_STORE_MAPPING_FALLBACK)) < 0 ||
	    (error = map_method(&carrier, c->env->store, "shipping_carrier",
				bp_method, method_id, 0)) < 0)
		goto done;
	s.items = items;
	s.nitems = nitems;
	s.tracking_number = gon ? gon->tracking_ref : NULL;
	s.shipping_method = method ? method : bp_method;
	s.tracking_carrier = carrier_of(c, method_id, carrier,
					s.shipping_method, s.tracking_number);
	s.ref = ref;
	if ((error = ps_bc_shipment_create(&made, PS_PAIR_BC(c->env), c->bc_id,
					   &s)) < 0)
		goto done;
	*out_id = made.id;
	if ((error = keep_method(c, s.shipping_method)) < 0)
		goto done;
	error = record_status(c, 0); /* reads c->bc again: bc is stale */
done:
	free(method);
	free(carrier);
	free(items);
	free(taken);
	ps_bc_shipment_dispose(&made);
	ps_bc_shipment_list_dispose(&existing);
	return error;
}

/* ---- perform -------------------------------------------------------- */

/* The BC order of bp order id; 1 (with a result) when not BC-sourced. */
static int
linked_order(ship_ctx *c, int64_t bp_order, ps_flow_result *res)
{
	int error = ps_pair__bc_order_of(&c->bc_id, c->env->store, bp_order);

	c->bp_order_id = bp_order;

	if (error == PS_ENOTFOUND) {
		ps_error_clear();
		error = ps_pair__result(res, NULL,
					"skipped: Brightpearl order %" PRId64
					" did not come from BigCommerce",
					bp_order);
		return error < 0 ? error : 1;
	}
	return error;
}

static int
load_order(ps_bp_order_list *orders, ps_flow_env *env, int64_t id)
{
	int error = ps_bp_order_get(orders, PS_PAIR_BP(env), &id, 1);

	if (error == 0 && orders->n == 0)
		error = ps_error_set(PS_ENOTFOUND,
				     "Brightpearl order %" PRId64 " not found",
				     id);
	return error;
}

/*
 * 0 when the order c->bp_order is at bigcommerce.fulfilment.trigger_status (by
 * id or name); 1, with a "skipped" result, when it is not.
 */
static int
check_trigger(ship_ctx *c, ps_flow_result *res, const char *why)
{
	const ps_bp_order *o = c->bp_order;
	char *trigger = NULL, num[32];
	int error;

	if ((error = ps_settings_get(&trigger, c->env->store,
				     PS_SET_BC_FULFILMENT_TRIGGER_STATUS)) < 0)
		return error;
	snprintf(num, sizeof(num), "%" PRId64, o->status_id);
	if (strcmp(trigger, num) == 0 ||
	    (o->status_name != NULL && strcmp(trigger, o->status_name) == 0)) {
		free(trigger);
		return 0;
	}
	error = ps_pair__result(
		res, NULL,
		"skipped: Brightpearl order %" PRId64 " is at '%s', not the "
		"trigger status '%s'%s",
		o->id, o->status_name ? o->status_name : num, trigger, why);
	free(trigger);
	return error < 0 ? error : 1;
}

static int
perform_gon(ship_ctx *c, int64_t gon_id, ps_flow_result *res)
{
	ps_bp_gon_list gons = {NULL, 0, NULL};
	ps_bp_order_list orders = {NULL, 0, NULL};
	char ref[48], sid[32];
	int64_t ship_id;
	int adopted, error;

	if ((error = ps_bp_gon_get(&gons, PS_PAIR_BP(c->env), &gon_id, 1)) < 0)
		goto done;
	if (gons.n == 0) {
		error = ps_error_set(PS_ENOTFOUND,
				     "Brightpearl goods-out note %" PRId64
				     " not found",
				     gon_id);
		goto done;
	}
	if (!gons.items[0].shipped) {
		error = ps_pair__result(res, NULL,
					"skipped: goods-out note %" PRId64
					" is not shipped",
					gon_id);
		goto done;
	}
	if ((error = linked_order(c, gons.items[0].order_id, res)) != 0)
		goto done;
	if ((error = load_order(&orders, c->env, gons.items[0].order_id)) < 0)
		goto done;
	c->bp_order = &orders.items[0];
	if (ps_pair__setting_is(c->env->store, PS_SET_BC_FULFILMENT_TRIGGER,
				"status") &&
	    (error = check_trigger(c, res,
				   "; the order's own entry ships the note "
				   "when it gets there")) != 0)
		goto done;
	snprintf(ref, sizeof(ref), "gon-%" PRId64, gon_id);
	if ((error = ship_one(&ship_id, &adopted, c, &gons.items[0], ref)) < 0)
		goto done;
	snprintf(sid, sizeof(sid), "%" PRId64, ship_id);
	error = ps_pair__result(
		res, sid,
		"goods-out note %" PRId64 " -> BigCommerce order %" PRId64
		" shipment %" PRId64 "%s%s%s",
		gon_id, c->bc_id, ship_id, adopted ? " (already there)" : "",
		gons.items[0].tracking_ref ? ", tracking " : "",
		gons.items[0].tracking_ref ? gons.items[0].tracking_ref : "");
done:
	c->bp_order = NULL;
	ps_bp_order_list_dispose(&orders);
	ps_bp_gon_list_dispose(&gons);
	return error < 0 ? error : 0;
}

static int
perform_status(ship_ctx *c, int64_t order_id, ps_flow_result *res)
{
	ps_bp_order_list orders = {NULL, 0, NULL};
	ps_bp_gon_list gons = {NULL, 0, NULL};
	char ref[48], sid[32], detail[512];
	size_t i, len = 0;
	int64_t ship_id = 0;
	int adopted, error;

	detail[0] = '\0';
	if ((error = linked_order(c, order_id, res)) != 0)
		goto done;
	if ((error = load_order(&orders, c->env, order_id)) < 0)
		goto done;
	c->bp_order = &orders.items[0];
	if ((error = check_trigger(c, res, "")) != 0)
		goto done;
	if ((error = ps_bp_gon_for_order(&gons, PS_PAIR_BP(c->env), order_id)) <
	    0)
		goto done;
	for (i = 0; i < gons.n; i++) {
		snprintf(ref, sizeof(ref), "gon-%" PRId64, gons.items[i].id);
		if ((error = ship_one(&ship_id, &adopted, c, &gons.items[i],
				      ref)) < 0)
			goto done;
		if (len < sizeof(detail))
			len += (size_t)snprintf(
				detail + len, sizeof(detail) - len,
				"%snote %" PRId64 " -> shipment %" PRId64 "%s",
				i ? ", " : "", gons.items[i].id, ship_id,
				adopted ? " (already there)" : "");
	}
	if (gons.n == 0) {
		snprintf(ref, sizeof(ref), "bp-order-%" PRId64, order_id);
		if ((error = ship_one(&ship_id, &adopted, c, NULL, ref)) < 0)
			goto done;
		if (ship_id == 0)
			snprintf(detail, sizeof(detail),
				 "whole order: nothing left to ship on "
				 "BigCommerce order %" PRId64,
				 c->bc_id);
		else
			snprintf(detail, sizeof(detail),
				 "whole order -> shipment %" PRId64 "%s",
				 ship_id, adopted ? " (already there)" : "");
	}
	snprintf(sid, sizeof(sid), "%" PRId64, ship_id);
	error = ps_pair__result(res, ship_id ? sid : NULL,
				"Brightpearl order %" PRId64
				" at trigger status: %s",
				order_id, detail);
done:
	c->bp_order = NULL;
	ps_bp_gon_list_dispose(&gons);
	ps_bp_order_list_dispose(&orders);
	return error < 0 ? error : 0;
}

/*
 * The entry's descriptive columns, from what the perform learnt: order
 * number (the BigCommerce order id, as the order import writes it),
 * shipping method sent, and the shipment status of the BigCommerce order
 * as last read.
 */
static int
set_fields(ship_ctx *c, const ps_log_entry *entry)
{
	ps_log_entry f;
	char num[32], status[64], order[32];
	int64_t total, shipped;

	if (c->bc_id <= 0)
		return 0;
	ps_log_entry_init(&f);
	snprintf(num, sizeof(num), "%" PRId64, c->bc_id);
	f.order_number = num;
	/* a note's webhook entry learns its order here */
	if (ps_log_entry_is(entry, PS_PAIR_KIND_GON_SHIP) &&
	    c->bp_order_id > 0) {
		snprintf(order, sizeof(order), "%" PRId64, c->bp_order_id);
		f.subject_order = order;
	}
	f.shipping_method = c->method_sent;
	if (c->have_bc) {
		bc_counts(&total, &shipped, c);
		if (shipped >= total && total > 0)
			snprintf(status, sizeof(status), "shipped");
		else
			snprintf(status, sizeof(status),
				 "shipped %" PRId64 "/%" PRId64 " items",
				 shipped, total);
		f.shipment_status = status;
	}
	return ps_store_log_set_fields(c->env->store, entry->id, &f,
				       c->env->now);
}

static int
ship_perform(ps_flow_env *env, const ps_log_entry *entry, ps_flow_result *res)
{
	ship_ctx c;
	int64_t id;
	int error, ferr;

	if (PS_PAIR_BP(env) == NULL || PS_PAIR_BC(env) == NULL)
		return ps_error_set(PS_ESETTING,
				    "waiting for the Brightpearl and "
				    "BigCommerce connections");
	if ((error = ps_pair__entry_subject(&id, entry)) < 0)
		return error;
	memset(&c, 0, sizeof(c));
	c.env = env;
	if (ps_log_entry_is(entry, PS_PAIR_KIND_GON_SHIP))
		error = perform_gon(&c, id, res);
	else if (ps_log_entry_is(entry, PS_PAIR_KIND_ORDER_SHIP))
		error = perform_status(&c, id, res);
	else
		return ps_error_set(PS_EDATA,
				    "shipment entry %lld of kind '%s' not "
				    "understood",
				    (long long)entry->id,
				    entry->kind ? entry->kind : "");
	/* the columns are filled even when the perform failed half way; a
	 * failure to fill them does not hide the perform's own error */
	if ((ferr = set_fields(&c, entry)) < 0 && error == 0)
		error = ferr;
	if (c.have_methods)
		ps_bp_ref_list_dispose(&c.methods);
	ps_bc_order_dispose(&c.bc);
	free(c.method_sent);
	return error;
}

/* What the flow writes (README.md, "Who writes what"). */
static const ps_flow_owns ship_owns[] = {
	{PS_PLATFORM_BIGCOMMERCE, "shipment", "*", PS_PLATFORM_BRIGHTPEARL},
};

/* ---- replay ----------------------------------------------------------- */

/* One Brightpearl object of the window, queued when its order came from
 * BigCommerce (the key the webhook and the poll use). */
static int
replay_one(ps_flow_env *env, struct ps_replay *r, const char *object,
	   const char *key, const char *kind, int64_t source_id,
	   int64_t bp_order)
{
	char id[32], num[32], order[32];
	int64_t bc_id;
	int error;

	snprintf(id, sizeof(id), "%" PRId64, source_id);
	error = ps_pair__bc_order_of(&bc_id, env->store, bp_order);
	if (error == PS_ENOTFOUND) {
		ps_error_clear();
		return ps_replay_report(r, object, id, PS_REPLAY_SKIPPED, 0,
					"Brightpearl order %" PRId64
					" did not come from BigCommerce",
					bp_order);
	}
	if (error < 0)
		return error;
	snprintf(num, sizeof(num), "%" PRId64, bc_id);
	snprintf(order, sizeof(order), "%" PRId64, bp_order);
	return ps_pair__replay_queue(r, object, FLOW, key, kind, id,
				     source_id != bp_order ? order : NULL,
				     PS_PLATFORM_BRIGHTPEARL, id,
				     PS_PLATFORM_BIGCOMMERCE, num);
}

/*
 * replay slot: the goods-out notes shipped in the window and, with the
 * status trigger, the orders updated in it that are at the trigger
 * status, as the poll reads them; each performs as its webhook's entry
 * would (one shipment per note, found by its "[gon-<id>]" reference
 * before one is created).
 */
static int
ship_replay(ps_flow_env *env, struct ps_replay *r)
{
	ps_bp_gon_ref *gons = NULL;
	ps_bp_order_ref *orders = NULL;
	char since[48], key[96];
	size_t n = 0, norders = 0, i;
	int64_t trigger = 0;
	int error;

	if (PS_PAIR_BP(env) == NULL)
		return ps_error_set(PS_ESETTING,
				    "replay needs Brightpearl connected");
	if (ps_pair__setting_is(env->store, PS_SET_BC_FULFILMENT_TRIGGER,
				"status") &&
	    (error = ps_pair__bp_status_setting(
		     &trigger, env, PS_SET_BC_FULFILMENT_TRIGGER_STATUS)) < 0)
		return error;
	ps_pair__replay_since(since, sizeof(since), r);
	if ((error = ps_bp_gons_shipped_since(&gons, &n, PS_PAIR_BP(env),
					      since)) < 0)
		goto done;
	if (trigger > 0 &&
	    (error = ps_bp_orders_at_status_since(
		     &orders, &norders, PS_PAIR_BP(env), since, trigger)) < 0)
		goto done;
	for (i = 0; i < n && error == 0; i++) {
		if (!ps_pair__replay_in(r, gons[i].shipped_on))
			continue;
		snprintf(key, sizeof(key), "bp:gon:%" PRId64 ":shipment",
			 gons[i].id);
		error = replay_one(env, r, "goods-out note", key,
				   PS_PAIR_KIND_GON_SHIP, gons[i].id,
				   gons[i].order_id);
	}
	for (i = 0; i < norders && error == 0; i++) {
		if (!ps_pair__replay_in(r, orders[i].updated_on))
			continue;
		snprintf(key, sizeof(key),
			 "bp:order:%" PRId64 ":ship-on-status:s%" PRId64,
			 orders[i].id, orders[i].status_id);
		error = replay_one(env, r, "sales order", key,
				   PS_PAIR_KIND_ORDER_SHIP, orders[i].id,
				   orders[i].id);
	}
done:
	free(orders);
	free(gons);
	return error;
}

const ps_flow_ops ps_flow_shipment_export_bc = {
	.name = FLOW,
	.alias = "shipments",
	.description = "Brightpearl goods-out notes to BigCommerce shipments",
	.source = PS_PLATFORM_BRIGHTPEARL,
	.target = PS_PLATFORM_BIGCOMMERCE,
	.enabled_setting = PS_SET_BC_FULFILMENT_ENABLED,
	.owns = ship_owns,
	.nowns = PS__ARRAY_LEN(ship_owns),
	.init = ship_init,
	.fini = ps_pair__hooks_fini,
	.on_event = ship_on_event,
	.poll = ship_poll,
	.poll_interval_ms = 0,
	.perform = ship_perform,
	.replay = ship_replay,
	.replay_help = "the Brightpearl goods-out notes shipped in the window "
		       "(with the status trigger also the orders that reached "
		       "it); a note whose shipment is missing gets it queued.",
};
