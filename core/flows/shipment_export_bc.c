/*
 * shipment_export_bc.c - Brightpearl goods-out notes to BigCommerce
 * shipments, for orders that came from BigCommerce.
 *
 * Two triggers (fulfilment.trigger):
 *   goods_out  each "goods-out-note.modified.shipped" webhook records one
 *              entry per note (dedupe key bp:gon:<id>:shipment);
 *   status     an "order.modified.order-status" webhook records an entry
 *              for the order; performing it checks that the order is at
 *              fulfilment.trigger_status and ships each of its notes (or,
 *              without notes, whatever is left on the BigCommerce order).
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
 * through.  Carrier: the optional shipping_carrier bp>bc mapping of the
 * same method (an AfterShip slug such as "ups").
 */
#include "bc_return.h"
#include "internal.h"
#include "pearlsync/bigcommerce.h"
#include "pearlsync/brightpearl.h"
#include "pearlsync/settings.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FLOW "shipment_export_bc"
#define CURSOR "shipment_export_bc.shipped_on"

static const char *const bp_events[] = {"goods-out-note.modified.shipped",
					"order.modified.order-status"};

static int
ship_init(void **out_state, ps_flow_env *env)
{
	return ps_bcret__hooks_init(out_state, env, bp_events,
				    PS__ARRAY_LEN(bp_events));
}

/* 1 when fulfilment.trigger is "status", 0 for "goods_out". */
static int
trigger_is_status(ps_store *st)
{
	char *t = NULL;
	int is;

	if (ps_settings_get(&t, st, "fulfilment.trigger") < 0) {
		ps_error_clear();
		return 0;
	}
	is = strcmp(t, "status") == 0;
	free(t);
	return is;
}

/*
 * poll: makes sure the webhooks are registered and, with the goods_out
 * trigger, is the safety net for lost webhooks: the notes shipped since
 * the cursor (a day back the first time) that belong to BigCommerce
 * orders get the same entries a webhook would have recorded.
 */
static int
ship_poll(ps_flow_env *env)
{
	ps_bcret_gon_ref *gons = NULL;
	char since[48], best[48], key[64], id[32];
	size_t n = 0, i;
	int64_t bc_id;
	int error;

	if ((error = ps_bcret__hooks_poll(env, bp_events,
					  PS__ARRAY_LEN(bp_events))) < 0)
		return error;
	if (env->bp == NULL || trigger_is_status(env->store))
		return 0;
	ps_bcret__poll_since(since, sizeof(since), env, CURSOR);
	if ((error = ps_bcret__bp_gons_shipped_since(&gons, &n, env->bp,
						     since)) < 0)
		return error;
	ps_util__strlcpy(best, since, sizeof(best));
	if ((error = ps_store_begin(env->store)) < 0)
		goto done;
	for (i = 0; i < n && error == 0; i++) {
		if (strcmp(gons[i].shipped_on, best) > 0)
			ps_util__strlcpy(best, gons[i].shipped_on,
					 sizeof(best));
		if (ps_bcret__bc_order_of(&bc_id, env->store,
					  gons[i].order_id) < 0) {
			ps_error_clear();
			continue;
		}
		snprintf(id, sizeof(id), "%" PRId64, gons[i].id);
		snprintf(key, sizeof(key), "bp:gon:%s:shipment", id);
		error = ps_bcret__log_add(env, FLOW, key,
					  PS_PLATFORM_BRIGHTPEARL, id,
					  PS_PLATFORM_BIGCOMMERCE, NULL);
	}
	error = ps_bcret__poll_end(env, CURSOR, best, error);
done:
	free(gons);
	return error;
}

static int
ship_on_event(ps_flow_env *env, const ps_event *ev)
{
	ps_bcret_event e;
	char key[128], id[32];
	int status_mode;
	size_t i;
	int error;

	if (ev->platform != PS_PLATFORM_BRIGHTPEARL)
		return 0;
	if ((error = ps_bcret__event_parse(&e, ev)) < 0)
		return error == PS_EINVAL ? 0 : error;
	status_mode = trigger_is_status(env->store);
	for (i = 0; i < e.nids; i++) {
		snprintf(id, sizeof(id), "%" PRId64, e.ids[i]);
		if (!status_mode &&
		    ps_bcret__event_is(&e, "goods-out-note.modified.shipped"))
			snprintf(key, sizeof(key), "bp:gon:%s:shipment", id);
		else if (status_mode &&
			 ps_bcret__event_is(&e, "order.modified.order-status"))
			snprintf(key, sizeof(key),
				 "bp:order:%s:ship-on-status:ev%" PRId64, id,
				 ev->id);
		else
			return 0;
		if ((error = ps_bcret__log_add(env, FLOW, key,
					       PS_PLATFORM_BRIGHTPEARL, id,
					       PS_PLATFORM_BIGCOMMERCE,
					       NULL)) < 0)
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
	const ps_bp_order *bp_order;
	ps_bp_ref_list methods;
	int have_methods;
} ship_ctx;

static const char *
method_name(ship_ctx *c, int64_t id)
{
	size_t i;

	if (id <= 0)
		return NULL;
	if (!c->have_methods) {
		if (ps_bp_ref_list_get(&c->methods, c->env->bp,
				       PS_BP_REF_SHIPPING_METHOD) < 0) {
			ps_error_clear();
			return NULL;
		}
		c->have_methods = 1;
	}
	for (i = 0; i < c->methods.n; i++)
		if (c->methods.items[i].id == id)
			return c->methods.items[i].name;
	return NULL;
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
				    "SKU '%s': %" PRId64 " more than BigCommerce "
				    "order %" PRId64 " has left to ship",
				    sku, qty, bc->id);
	return 0;
}

static int
find_ref(int64_t *out, const ps_bc_shipment_list *l, const char *ref)
{
	char want[64];
	size_t i;

	snprintf(want, sizeof(want), "[%s]", ref);
	for (i = 0; i < l->count; i++)
		if (strstr(l->items[i].comments, want) != NULL) {
			*out = l->items[i].id;
			return 1;
		}
	return 0;
}

/*
 * Ship one note (gon) or, gon NULL, everything left on the order.
 * *out_id: the BigCommerce shipment; *out_adopted: 1 if it existed.
 */
static int
ship_one(int64_t *out_id, int *out_adopted, ship_ctx *c, const ps_bp_gon *gon,
	 const char *ref)
{
	ps_bc_shipment_list existing = {NULL, 0};
	ps_bc_order bc;
	ps_bc_shipment made;
	ps_bc_shipment_new s;
	ps_bc_shipment_item *items = NULL;
	int64_t *taken = NULL, method_id;
	char *method = NULL, *carrier = NULL;
	const char *bp_method;
	size_t i, nitems = 0;
	int error = 0;

	memset(&bc, 0, sizeof(bc));
	memset(&made, 0, sizeof(made));
	*out_id = 0;
	*out_adopted = 0;
	if ((error = ps_bc_shipments_list(&existing, c->env->bc, c->bc_id)) <
	    0)
		goto done;
	if (find_ref(out_id, &existing, ref)) {
		*out_adopted = 1;
		goto done;
	}
	if ((error = ps_bc_order_get(&bc, c->env->bc, c->bc_id)) < 0)
		goto done;
	items = calloc(bc.nproducts + 1, sizeof(*items));
	taken = calloc(bc.nproducts + 1, sizeof(*taken));
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
				    "goods-out note %" PRId64 ": row %" PRId64
				    " has no SKU on Brightpearl order %" PRId64,
				    gon->id, gon->lines[i].row_id,
				    c->bp_order->id);
				goto done;
			}
			if ((error = take_lines(items, &nitems, taken, &bc, sku,
						gon->lines[i].quantity)) < 0)
				goto done;
		}
	} else {
		for (i = 0; i < bc.nproducts; i++) {
			int64_t left = bc.products[i].quantity -
				       bc.products[i].quantity_shipped;

			if (left <= 0)
				continue;
			items[nitems].order_product_id = bc.products[i].id;
			items[nitems].quantity = left;
			nitems++;
		}
	}
	if (nitems == 0) {
		error = ps_error_set(PS_EDATA,
				     "nothing to ship on BigCommerce order "
				     "%" PRId64,
				     c->bc_id);
		goto done;
	}
	memset(&s, 0, sizeof(s));
	for (i = 0; i < bc.nproducts; i++)
		if (bc.products[i].id == items[0].order_product_id)
			s.order_address_id = bc.products[i].order_address_id;
	if (s.order_address_id == 0 && bc.nshipping_addresses > 0)
		s.order_address_id = bc.shipping_addresses[0].id;
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
	s.tracking_carrier = carrier;
	s.ref = ref;
	if ((error = ps_bc_shipment_create(&made, c->env->bc, c->bc_id, &s)) <
	    0)
		goto done;
	*out_id = made.id;
done:
	free(method);
	free(carrier);
	free(items);
	free(taken);
	ps_bc_shipment_dispose(&made);
	ps_bc_order_dispose(&bc);
	ps_bc_shipment_list_dispose(&existing);
	return error;
}

/* ---- perform -------------------------------------------------------- */

static int
parse_id(int64_t *out, const char *s)
{
	char *end;

	*out = s ? strtoll(s, &end, 10) : 0;
	if (s == NULL || *out <= 0 || *end != '\0')
		return ps_error_set(PS_EDATA, "entry has no Brightpearl id");
	return 0;
}

/* The BC order of bp order id; 1 (with a result) when not BC-sourced. */
static int
linked_order(ship_ctx *c, int64_t bp_order, ps_flow_result *res)
{
	int error = ps_bcret__bc_order_of(&c->bc_id, c->env->store, bp_order);

	if (error == PS_ENOTFOUND) {
		ps_error_clear();
		error = ps_bcret__result(res, NULL,
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
	int error = ps_bp_order_get(orders, env->bp, &id, 1);

	if (error == 0 && orders->n == 0)
		error = ps_error_set(PS_ENOTFOUND,
				     "Brightpearl order %" PRId64 " not found",
				     id);
	return error;
}

static int
perform_gon(ship_ctx *c, int64_t gon_id, ps_flow_result *res)
{
	ps_bp_gon_list gons = {NULL, 0, NULL};
	ps_bp_order_list orders = {NULL, 0, NULL};
	char ref[48], sid[32];
	int64_t ship_id;
	int adopted, error;

	if ((error = ps_bp_gon_get(&gons, c->env->bp, &gon_id, 1)) < 0)
		goto done;
	if (gons.n == 0) {
		error = ps_error_set(PS_ENOTFOUND,
				     "Brightpearl goods-out note %" PRId64
				     " not found",
				     gon_id);
		goto done;
	}
	if (!gons.items[0].shipped) {
		error = ps_bcret__result(res, NULL,
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
	snprintf(ref, sizeof(ref), "gon-%" PRId64, gon_id);
	if ((error = ship_one(&ship_id, &adopted, c, &gons.items[0], ref)) <
	    0)
		goto done;
	snprintf(sid, sizeof(sid), "%" PRId64, ship_id);
	error = ps_bcret__result(
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
	char *trigger = NULL, num[32], ref[48], sid[32], detail[512];
	size_t i, len = 0;
	int64_t ship_id = 0;
	int adopted, error;

	detail[0] = '\0';
	if ((error = linked_order(c, order_id, res)) != 0)
		goto done;
	if ((error = ps_settings_get(&trigger, c->env->store,
				     "fulfilment.trigger_status")) < 0)
		goto done;
	if ((error = load_order(&orders, c->env, order_id)) < 0)
		goto done;
	c->bp_order = &orders.items[0];
	snprintf(num, sizeof(num), "%" PRId64, orders.items[0].status_id);
	if (strcmp(trigger, num) != 0 &&
	    (orders.items[0].status_name == NULL ||
	     strcmp(trigger, orders.items[0].status_name) != 0)) {
		error = ps_bcret__result(
		    res, NULL,
		    "skipped: Brightpearl order %" PRId64 " is at '%s', not "
		    "the trigger status '%s'",
		    order_id,
		    orders.items[0].status_name ? orders.items[0].status_name
						: num,
		    trigger);
		goto done;
	}
	if ((error = ps_bp_gon_for_order(&gons, c->env->bp, order_id)) < 0)
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
		snprintf(detail, sizeof(detail),
			 "whole order -> shipment %" PRId64 "%s", ship_id,
			 adopted ? " (already there)" : "");
	}
	snprintf(sid, sizeof(sid), "%" PRId64, ship_id);
	error = ps_bcret__result(res, sid,
				 "Brightpearl order %" PRId64
				 " at trigger status: %s",
				 order_id, detail);
done:
	c->bp_order = NULL;
	free(trigger);
	ps_bp_gon_list_dispose(&gons);
	ps_bp_order_list_dispose(&orders);
	return error < 0 ? error : 0;
}

static int
ship_perform(ps_flow_env *env, const ps_log_entry *entry,
	     ps_flow_result *res)
{
	ship_ctx c;
	int64_t id;
	int error;

	if (env->bp == NULL || env->bc == NULL)
		return ps_error_set(PS_ESETTING,
				    "waiting for the Brightpearl and "
				    "BigCommerce connections");
	if ((error = parse_id(&id, entry->source_id)) < 0)
		return error;
	memset(&c, 0, sizeof(c));
	c.env = env;
	if (strncmp(entry->dedupe_key, "bp:gon:", 7) == 0)
		error = perform_gon(&c, id, res);
	else
		error = perform_status(&c, id, res);
	if (c.have_methods)
		ps_bp_ref_list_dispose(&c.methods);
	return error;
}

const ps_flow_ops ps_flow_shipment_export_bc = {
	.name = FLOW,
	.alias = "shipments",
	.description = "Brightpearl goods-out notes to BigCommerce shipments",
	.source = PS_PLATFORM_BRIGHTPEARL,
	.target = PS_PLATFORM_BIGCOMMERCE,
	.enabled_setting = "fulfilment.enabled",
	.init = ship_init,
	.fini = ps_bcret__hooks_fini,
	.on_event = ship_on_event,
	.poll = ship_poll,
	.poll_interval_ms = 0,
	.perform = ship_perform,
};
