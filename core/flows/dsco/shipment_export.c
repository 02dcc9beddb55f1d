/*
 * shipment_export.c - Brightpearl goods-out notes to DSCO shipments, for
 * Brightpearl orders that came from a DSCO purchase order (xref "order").
 *
 * Two triggers (dsco.shipment_trigger):
 *   goods_out  each shipped goods-out note records one entry (kind
 *              goods-out-note.ship, key dsco:gon:<id>:shipment) and
 *              becomes one DSCO package with exactly that note's lines
 *              and quantities: a partial note gives a partial shipment,
 *              several notes give several packages;
 *   status     a Brightpearl order reaching dsco.shipment_trigger_status
 *              records an entry for the order (kind order.ship); it ships
 *              every note of the order not yet in DSCO.  A note shipped
 *              later ships through its own entry while the order stays at
 *              the trigger status.
 * Webhooks (goods-out-note.modified.shipped, order.modified.order-status)
 * are the fast path; the poll is the safety net for both (the notes
 * shipped since its cursor, the orders at the trigger status updated since
 * a second cursor), with keys that make a repeated poll add nothing.
 *
 * A package: tracking number the note's shipping reference ("GON-<id>"
 * when the note has none: DSCO requires one); carrier the Brightpearl
 * shipping method's carrier; DSCO service level code from the
 * dsco_shipping_method mapping (Brightpearl method id -> code, default row
 * as fallback; unmapped fails the entry naming the method, waiting for the
 * operator); warehouse code from the dsco_warehouse mapping of the note's
 * warehouse (not sent when unmapped); lines by lineNumber and SKU of the PO
 * (out_common.c ties rows to lines).
 *
 * Exactly once: the tracking number is the package's identity.  Before
 * sending, the DSCO order is read and a package already carrying the same
 * tracking number is adopted, so a repeated webhook, both triggers, or a
 * crash after the POST never give a second package; the quantities come
 * from what DSCO says each line has left, so no line ships twice.  The
 * synchronous single-shipment call is used: its outcome is known at once.
 */
#include "flows/bigcommerce/pair_int.h"
#include "flows/dsco/out_int.h"
#include "internal.h"
#include "setting_keys.h"
#include "pearlsync/settings.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FLOW "shipment_export_dsco"
#define CURSOR "shipment_export_dsco.shipped_on"
#define CURSOR_STATUS "shipment_export_dsco.status_updated_on"

static const char *const bp_events[] = {"goods-out-note.modified.shipped",
					"order.modified.order-status"};

static int
ship_init(void **out_state, ps_flow_env *env)
{
	return ps_pair__hooks_init(out_state, env, bp_events,
				   PS__ARRAY_LEN(bp_events));
}

/* Record an entry for a note or order of a DSCO-linked Brightpearl order. */
static int
add_linked(ps_flow_env *env, const char *key, const char *kind,
	   int64_t source_id, int64_t bp_order)
{
	char id[32], order[32], *dsco_id = NULL;
	int error;

	if (ps_dsout__dsco_order_of(&dsco_id, env->store, bp_order) < 0) {
		ps_error_clear();
		return 0;
	}
	snprintf(id, sizeof(id), "%" PRId64, source_id);
	snprintf(order, sizeof(order), "%" PRId64, bp_order);
	error = ps_pair__log_add(
		env, FLOW, key, kind, id, source_id != bp_order ? order : NULL,
		PS_PLATFORM_BRIGHTPEARL, id, PS_PLATFORM_DSCO, dsco_id);
	free(dsco_id);
	return error;
}

static void
keep_latest(char *best, size_t cap, const char *seen)
{
	if (strcmp(seen, best) > 0)
		ps_util__strlcpy(best, seen, cap);
}

static int
ship_poll(ps_flow_env *env)
{
	ps_bp_gon_ref *gons = NULL;
	ps_bp_order_ref *orders = NULL;
	char since[48], best[48], osince[48], obest[48] = "", key[96];
	size_t n = 0, norders = 0, i;
	int64_t trigger = 0;
	int error;

	if ((error = ps_pair__hooks_poll(env, bp_events,
					 PS__ARRAY_LEN(bp_events))) < 0)
		return error;
	if (PS_DSOUT_BP(env) == NULL)
		return 0;
	if (ps_pair__setting_is(env->store, PS_SET_DSCO_SHIPMENT_TRIGGER,
				"status") &&
	    (error = ps_pair__bp_status_setting(
		     &trigger, env, PS_SET_DSCO_SHIPMENT_TRIGGER_STATUS)) < 0)
		return error;
	ps_pair__poll_since(since, sizeof(since), env, CURSOR);
	if ((error = ps_bp_gons_shipped_since(&gons, &n, PS_DSOUT_BP(env),
					      since)) < 0)
		goto done;
	if (trigger > 0) {
		ps_pair__poll_since(osince, sizeof(osince), env, CURSOR_STATUS);
		if ((error = ps_bp_orders_at_status_since(&orders, &norders,
							  PS_DSOUT_BP(env),
							  osince, trigger)) < 0)
			goto done;
		ps_util__strlcpy(obest, osince, sizeof(obest));
	}
	ps_util__strlcpy(best, since, sizeof(best));
	if ((error = ps_store_begin(env->store)) < 0)
		goto done;
	for (i = 0; i < n && error == 0; i++) {
		keep_latest(best, sizeof(best), gons[i].shipped_on);
		snprintf(key, sizeof(key), "dsco:gon:%" PRId64 ":shipment",
			 gons[i].id);
		error = add_linked(env, key, PS_DSOUT_KIND_GON_SHIP, gons[i].id,
				   gons[i].order_id);
	}
	for (i = 0; i < norders && error == 0; i++) {
		keep_latest(obest, sizeof(obest), orders[i].updated_on);
		snprintf(key, sizeof(key),
			 "dsco:order:%" PRId64 ":ship-on-status:s%" PRId64,
			 orders[i].id, orders[i].status_id);
		error = add_linked(env, key, PS_DSOUT_KIND_ORDER_SHIP,
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
 * on_event: a shipped note records its entry (its order is learnt when
 * performed; a note of an order not from DSCO is then skipped); an order
 * status change records one for a DSCO-linked order, status trigger only.
 */
static int
ship_on_event(ps_flow_env *env, const ps_event *ev)
{
	char key[128], id[32];
	size_t i;
	int error;

	if (ps_pair__event_is(ev, PS_PLATFORM_BRIGHTPEARL,
			      "goods-out-note.modified.shipped")) {
		for (i = 0; i < ev->nids; i++) {
			snprintf(id, sizeof(id), "%" PRId64, ev->ids[i]);
			snprintf(key, sizeof(key), "dsco:gon:%s:shipment", id);
			if ((error = ps_pair__log_add(
				     env, FLOW, key, PS_DSOUT_KIND_GON_SHIP, id,
				     NULL, PS_PLATFORM_BRIGHTPEARL, id,
				     PS_PLATFORM_DSCO, NULL)) < 0)
				return error;
		}
		return 0;
	}
	if (!ps_pair__event_is(ev, PS_PLATFORM_BRIGHTPEARL,
			       "order.modified.order-status") ||
	    !ps_pair__setting_is(env->store, PS_SET_DSCO_SHIPMENT_TRIGGER,
				 "status"))
		return 0;
	for (i = 0; i < ev->nids; i++) {
		snprintf(key, sizeof(key),
			 "dsco:order:%" PRId64 ":ship-on-status:ev%" PRId64,
			 ev->ids[i], ev->id);
		if ((error = add_linked(env, key, PS_DSOUT_KIND_ORDER_SHIP,
					ev->ids[i], ev->ids[i])) < 0)
			return error;
	}
	return 0;
}

/* ---- one package ------------------------------------------------------ */

typedef struct ship_ctx {
	ps_flow_env *env;
	const ps_bp_order *bp_order;
	char *dsco_id; /* owned */
	ps_bp_ref_list methods;
	int have_methods;
	ps_dsco_order dsco; /* as last read */
	int have_dsco;
	char method_sent[64];
	int64_t bp_order_id;
} ship_ctx;

static const ps_bp_ref *
method_ref(ship_ctx *c, int64_t id)
{
	size_t i;

	if (id <= 0)
		return NULL;
	if (!c->have_methods) {
		if (ps_bp_ref_list_get(&c->methods, PS_DSOUT_BP(c->env),
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

static int
load_dsco(ship_ctx *c)
{
	int error;

	ps_dsco_order_dispose(&c->dsco);
	c->have_dsco = 0;
	if ((error = ps_dsco_order_get(&c->dsco, PS_DSOUT_DSCO(c->env),
				       PS_DSCO_KEY_DSCO_ORDER_ID, c->dsco_id)) <
	    0)
		return error;
	c->have_dsco = 1;
	return 0;
}

static const ps_dsco_package *
find_package(const ps_dsco_order *o, const char *tracking)
{
	size_t i;

	for (i = 0; i < o->npackages; i++)
		if (o->packages[i].tracking_number != NULL &&
		    strcmp(o->packages[i].tracking_number, tracking) == 0)
			return &o->packages[i];
	return NULL;
}

/*
 * Ship note gon as one DSCO package (or adopt the package DSCO already
 * has with its tracking number: *out_adopted 1).
 */
static int
ship_note(int *out_adopted, ship_ctx *c, const ps_bp_gon *gon, char *tracking,
	  size_t tcap)
{
	ps_dsco_ship_line *lines = NULL;
	ps_dsco_ship_package pkg;
	ps_dsco_shipment s;
	const ps_bp_ref *m;
	int64_t *taken = NULL, *qty = NULL, method_id;
	char *service = NULL, *wh = NULL;
	size_t i, n = 0;
	int error;

	*out_adopted = 0;
	if (gon->tracking_ref != NULL && gon->tracking_ref[0] != '\0')
		ps_util__strlcpy(tracking, gon->tracking_ref, tcap);
	else
		snprintf(tracking, tcap, "GON-%" PRId64, gon->id);
	if ((error = load_dsco(c)) < 0)
		return error;
	if (find_package(&c->dsco, tracking) != NULL) {
		*out_adopted = 1;
		return 0;
	}
	if (c->dsco.lifecycle == PS_DSCO_LIFECYCLE_RECEIVED ||
	    c->dsco.lifecycle == PS_DSCO_LIFECYCLE_CREATED)
		/* the order import's acknowledgement is still on its way:
		 * DSCO takes no shipment before it; try again later */
		return ps_error_set(PS_EBUSY,
				    "DSCO order %s is not acknowledged yet",
				    c->dsco_id);
	method_id = gon->shipping_method_id ? gon->shipping_method_id
					    : c->bp_order->shipping_method_id;
	m = method_ref(c, method_id);
	if ((error = ps_dsout__map(&service, c->env->store,
				   PS_DSOUT_MAP_SHIPPING, method_id)) < 0)
		goto done;
	if (service == NULL) {
		error = ps_error_set(
			PS_EMAPPING,
			"Brightpearl shipping method '%s' (id %" PRId64
			") has no dsco_shipping_method mapping to a DSCO "
			"service level code",
			m && m->name ? m->name : "none", method_id);
		goto done;
	}
	if ((error = ps_dsout__map(&wh, c->env->store, PS_DSOUT_MAP_WAREHOUSE,
				   gon->warehouse_id)) < 0)
		goto done;
	taken = calloc(c->dsco.nlines + 1, sizeof(*taken));
	qty = calloc(c->dsco.nlines + 1, sizeof(*qty));
	lines = calloc(c->dsco.nlines + 1, sizeof(*lines));
	if (taken == NULL || qty == NULL || lines == NULL) {
		error = ps_error_set(PS_ENOMEM, NULL);
		goto done;
	}
	for (i = 0; i < gon->nlines; i++) {
		const ps_bp_order_row *row =
			ps_dsout__row_of(c->bp_order, gon->lines[i].row_id,
					 gon->lines[i].product_id);

		if (row == NULL) {
			error = ps_error_set(PS_EDATA,
					     "goods-out note %" PRId64
					     ": row %" PRId64 " is not on "
					     "Brightpearl order %" PRId64,
					     gon->id, gon->lines[i].row_id,
					     c->bp_order->id);
			goto done;
		}
		if ((error = ps_dsout__take(c->env->store, &c->dsco, row,
					    gon->lines[i].quantity, taken,
					    qty)) < 0) {
			error = ps_util__error_wrap(
				error, "goods-out note %" PRId64, gon->id);
			goto done;
		}
	}
	for (i = 0; i < c->dsco.nlines; i++) {
		if (qty[i] <= 0)
			continue;
		lines[n].line_number = c->dsco.lines[i].line_number;
		lines[n].sku = c->dsco.lines[i].sku;
		if (lines[n].sku == NULL)
			lines[n].partner_sku = c->dsco.lines[i].partner_sku;
		if (lines[n].sku == NULL && lines[n].partner_sku == NULL)
			lines[n].dsco_item_id = c->dsco.lines[i].dsco_item_id;
		lines[n].quantity = qty[i];
		n++;
	}
	if (n == 0) {
		error = ps_error_set(PS_EDATA,
				     "goods-out note %" PRId64
				     " has nothing to ship",
				     gon->id);
		goto done;
	}
	memset(&pkg, 0, sizeof(pkg));
	pkg.tracking_number = tracking;
	if (gon->shipped_on != NULL)
		(void)ps_bp_time_parse(&pkg.ship_date, gon->shipped_on);
	pkg.carrier = m ? m->carrier : NULL;
	pkg.service_level = service;
	pkg.warehouse_code = wh;
	pkg.lines = lines;
	pkg.nlines = n;
	memset(&s, 0, sizeof(s));
	s.order.dsco_order_id = c->dsco_id;
	s.packages = &pkg;
	s.npackages = 1;
	ps_util__strlcpy(c->method_sent, service, sizeof(c->method_sent));
	if ((error = ps_dsco_shipment_send(PS_DSOUT_DSCO(c->env), &s)) < 0 &&
	    error != PS_EAUTH && error != PS_ESETTING) {
		/* the outcome may be unknown, or DSCO may have it already
		 * (a duplicate tracking number): look before failing */
		int code = error;
		char msg[512];

		ps_util__strlcpy(msg, ps_error_last(), sizeof(msg));
		if (load_dsco(c) == 0 &&
		    find_package(&c->dsco, tracking) != NULL) {
			ps_error_clear();
			*out_adopted = 1;
			error = 0;
		} else {
			error = ps_error_set(code, "%s", msg);
		}
	}
done:
	free(service);
	free(wh);
	free(taken);
	free(qty);
	free(lines);
	return error;
}

/* ---- perform ---------------------------------------------------------- */

static int
load_order(ps_bp_order_list *orders, ps_flow_env *env, int64_t id)
{
	int error = ps_bp_order_get(orders, PS_DSOUT_BP(env), &id, 1);

	if (error == 0 && orders->n == 0)
		error = ps_error_set(PS_ENOTFOUND,
				     "Brightpearl order %" PRId64 " not found",
				     id);
	return error;
}

/* 0 when linked (c->dsco_id set); 1 with a "skipped" result when not. */
static int
linked_order(ship_ctx *c, int64_t bp_order, ps_flow_result *res)
{
	int error =
		ps_dsout__dsco_order_of(&c->dsco_id, c->env->store, bp_order);

	c->bp_order_id = bp_order;
	if (error == PS_ENOTFOUND) {
		ps_error_clear();
		error = ps_pair__result(res, NULL,
					"skipped: Brightpearl order %" PRId64
					" did not come from DSCO",
					bp_order);
		return error < 0 ? error : 1;
	}
	return error;
}

/* 0 when c->bp_order is at the trigger status; 1 (skipped) when not. */
static int
check_trigger(ship_ctx *c, ps_flow_result *res, const char *why)
{
	const ps_bp_order *o = c->bp_order;
	int64_t want;
	int error;

	if ((error = ps_pair__bp_status_setting(
		     &want, c->env, PS_SET_DSCO_SHIPMENT_TRIGGER_STATUS)) < 0)
		return error;
	if (want > 0 && o->status_id == want)
		return 0;
	error = ps_pair__result(res, NULL,
				"skipped: Brightpearl order %" PRId64
				" is at '%s', not the trigger status%s",
				o->id, o->status_name ? o->status_name : "?",
				why);
	return error < 0 ? error : 1;
}

static int
perform_gon(ship_ctx *c, int64_t gon_id, ps_flow_result *res)
{
	ps_bp_gon_list gons = {NULL, 0, NULL};
	ps_bp_order_list orders = {NULL, 0, NULL};
	char tracking[128];
	int adopted, error;

	if ((error = ps_bp_gon_get(&gons, PS_DSOUT_BP(c->env), &gon_id, 1)) < 0)
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
	if (ps_pair__setting_is(c->env->store, PS_SET_DSCO_SHIPMENT_TRIGGER,
				"status") &&
	    (error = check_trigger(c, res,
				   "; the order's own entry ships the note "
				   "when it gets there")) != 0)
		goto done;
	if ((error = ship_note(&adopted, c, &gons.items[0], tracking,
			       sizeof(tracking))) < 0)
		goto done;
	error = ps_pair__result(res, tracking,
				"goods-out note %" PRId64 " -> DSCO order %s "
				"package %s%s",
				gon_id, c->dsco_id, tracking,
				adopted ? " (already there)" : "");
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
	char tracking[128], detail[512];
	size_t i, len = 0, shipped = 0;
	int adopted, error;

	detail[0] = '\0';
	if ((error = linked_order(c, order_id, res)) != 0)
		goto done;
	if ((error = load_order(&orders, c->env, order_id)) < 0)
		goto done;
	c->bp_order = &orders.items[0];
	if ((error = check_trigger(c, res, "")) != 0)
		goto done;
	if ((error = ps_bp_gon_for_order(&gons, PS_DSOUT_BP(c->env),
					 order_id)) < 0)
		goto done;
	for (i = 0; i < gons.n; i++) {
		if (!gons.items[i].shipped)
			continue;
		if ((error = ship_note(&adopted, c, &gons.items[i], tracking,
				       sizeof(tracking))) < 0)
			goto done;
		shipped++;
		if (len < sizeof(detail))
			len += (size_t)snprintf(
				detail + len, sizeof(detail) - len,
				"%snote %" PRId64 " -> package %s%s",
				shipped > 1 ? ", " : "", gons.items[i].id,
				tracking, adopted ? " (already there)" : "");
	}
	if (shipped == 0)
		snprintf(detail, sizeof(detail),
			 "no shipped goods-out note yet (each ships through "
			 "its own entry)");
	error = ps_pair__result(res, NULL,
				"Brightpearl order %" PRId64
				" at trigger status, DSCO order %s: %s",
				order_id, c->dsco_id, detail);
done:
	c->bp_order = NULL;
	ps_bp_gon_list_dispose(&gons);
	ps_bp_order_list_dispose(&orders);
	return error < 0 ? error : 0;
}

/* The entry's columns: DSCO order, service level, shipment status. */
static int
set_fields(ship_ctx *c, const ps_log_entry *entry)
{
	ps_log_entry f;
	char order[32], status[64];
	int64_t total = 0, shipped = 0;
	size_t i;

	if (c->dsco_id == NULL)
		return 0;
	ps_log_entry_init(&f);
	f.order_number = c->dsco_id;
	if (ps_log_entry_is(entry, PS_DSOUT_KIND_GON_SHIP) &&
	    c->bp_order_id > 0) {
		snprintf(order, sizeof(order), "%" PRId64, c->bp_order_id);
		f.subject_order = order;
	}
	if (c->method_sent[0] != '\0')
		f.shipping_method = c->method_sent;
	if (c->have_dsco) {
		for (i = 0; i < c->dsco.nlines; i++) {
			total += c->dsco.lines[i].quantity;
			shipped += c->dsco.lines[i].shipped_quantity;
		}
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

	if (PS_DSOUT_BP(env) == NULL || PS_DSOUT_DSCO(env) == NULL)
		return ps_error_set(PS_ESETTING, "waiting for the Brightpearl "
						 "and DSCO connections");
	if ((error = ps_pair__entry_subject(&id, entry)) < 0)
		return error;
	memset(&c, 0, sizeof(c));
	c.env = env;
	if (ps_log_entry_is(entry, PS_DSOUT_KIND_GON_SHIP))
		error = perform_gon(&c, id, res);
	else if (ps_log_entry_is(entry, PS_DSOUT_KIND_ORDER_SHIP))
		error = perform_status(&c, id, res);
	else
		error = ps_error_set(PS_EDATA,
				     "shipment entry %lld of kind '%s' not "
				     "understood",
				     (long long)entry->id,
				     entry->kind ? entry->kind : "");
	if ((ferr = set_fields(&c, entry)) < 0 && error == 0)
		error = ferr;
	if (c.have_methods)
		ps_bp_ref_list_dispose(&c.methods);
	ps_dsco_order_dispose(&c.dsco);
	free(c.dsco_id);
	return error;
}

static const ps_flow_owns ship_owns[] = {
	{PS_PLATFORM_DSCO, "shipment", "*", PS_PLATFORM_BRIGHTPEARL},
};

const ps_flow_ops ps_flow_shipment_export_dsco = {
	.name = FLOW,
	.alias = "dsco-shipments",
	.description = "Brightpearl goods-out notes to DSCO shipments",
	.source = PS_PLATFORM_BRIGHTPEARL,
	.target = PS_PLATFORM_DSCO,
	.enabled_setting = PS_SET_DSCO_ENABLED,
	.owns = ship_owns,
	.nowns = PS__ARRAY_LEN(ship_owns),
	.init = ship_init,
	.fini = ps_pair__hooks_fini,
	.on_event = ship_on_event,
	.poll = ship_poll,
	.poll_interval_ms = 0,
	.perform = ship_perform,
};
