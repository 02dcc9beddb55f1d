/*
 * bp_events_int.h - private declarations shared by the flows that carry
 * Brightpearl back to BigCommerce (statuses, shipments, inventory, notes):
 * the parsed form of a Brightpearl webhook event, webhook registration,
 * and small helpers for log entries and cross-references.
 *
 * Names are ps_bpev__<name>; nothing here is used outside core/flows/.
 */
#ifndef PEARLSYNC_BP_EVENTS_INT_H
#define PEARLSYNC_BP_EVENTS_INT_H

#include <stddef.h>
#include <stdint.h>

#include "flows/bigcommerce/pair_int.h"
#include "pearlsync/flow.h"
#include "pearlsync/store.h"

/* Most ids taken from one event's id set (Brightpearl sends at most 200). */
#define PS_BPEV_EVENT_MAX_IDS 200

/* A Brightpearl webhook event, as pearlsync registered it. */
typedef struct ps_bpev_event {
	char full_event[96];   /* "goods-out-note.modified.shipped" */
	int64_t ids[PS_BPEV_EVENT_MAX_IDS];
	size_t nids;
} ps_bpev_event;

/*
 * ps_bpev__event_parse - read a stored Brightpearl event: the full event
 * name from the body's "fullEvent" (else the topic the listener stored)
 * and the resource ids from "id" (a number or an id set such as
 * "1,2,5-9").  Returns 0, PS_EINVAL (not a Brightpearl event) or
 * PS_EPARSE (a body that is not the registered shape).
 */
int ps_bpev__event_parse(ps_bpev_event *out, const ps_event *ev);

/*
 * ps_bpev__event_is - nonzero when the event is name or one of its
 * specialisations ("order.modified" matches "order.modified.order-status").
 */
int ps_bpev__event_is(const ps_bpev_event *e, const char *name);

/*
 * ps_bpev__bc_event_order - the order id of a BigCommerce order webhook
 * (store/order/...) into *out; PS_EINVAL for other events.
 */
int ps_bpev__bc_event_order(int64_t *out, const ps_event *ev);

/*
 * ps_bpev__webhooks_ensure - register with Brightpearl a webhook for each
 * of the n events that has none yet, calling back
 * <webhooks.public_url>/webhooks/brightpearl/<webhooks.secret>/<event>.
 * Without a public URL or a secret nothing is done and 0 is returned.
 */
int ps_bpev__webhooks_ensure(ps_flow_env *env, const char *const *events,
			      size_t n);

/*
 * ps_bpev__hooks_init / _poll / _fini - a flow's state that remembers
 * whether its webhooks are registered: init tries at once, poll retries
 * until it succeeds (the connectors may not exist yet at init).
 */
int ps_bpev__hooks_init(void **out_state, ps_flow_env *env,
			 const char *const *events, size_t n);
int ps_bpev__hooks_poll(ps_flow_env *env, const char *const *events,
			 size_t n);
void ps_bpev__hooks_fini(void *state);

/*
 * ps_bpev__log_add - record one pending entry of flow with dedupe key
 * and source id (order_number may be NULL).  0 when added or already
 * there, else the store's error.
 */
int ps_bpev__log_add(ps_flow_env *env, const char *flow, const char *key,
		      ps_platform source, const char *source_id,
		      ps_platform target, const char *order_number);

/*
 * ps_bpev__bc_order_of - the BigCommerce order id of Brightpearl order
 * bp_order_id from the order xref into *out.  PS_ENOTFOUND when the order
 * did not come from BigCommerce.
 */
int ps_bpev__bc_order_of(int64_t *out, ps_store *st, int64_t bp_order_id);

/* ps_bpev__bp_order_of - the reverse: PS_ENOTFOUND when unlinked. */
int ps_bpev__bp_order_of(int64_t *out, ps_store *st, int64_t bc_order_id);

/*
 * ps_bpev__setting_on - the bool setting key (a flow's switch); 0 when
 * off or unreadable.
 */
int ps_bpev__setting_on(ps_store *st, const char *key);

/*
 * ps_bpev__result - fill res with target id and a printf-formatted
 * detail.  Returns 0 or PS_ENOMEM.
 */
int ps_bpev__result(ps_flow_result *res, const char *target_id,
		     const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* One Brightpearl product as the inventory flow sees it. */
typedef struct ps_bpev_bp_product {
	int64_t id;
	char *match;          /* the value of items.product_match_field */
} ps_bpev_bp_product;

/*
 * ps_bpev__bp_products_tracked - every stock-tracked Brightpearl product
 * with the identity field `field` (product search, every page), for the
 * full reconcile.  *out (n entries) is freed with
 * ps_bpev__bp_products_free.
 */
int ps_bpev__bp_products_tracked(ps_bpev_bp_product **out, size_t *out_n,
				  ps_bp *bp, const char *field);
void ps_bpev__bp_products_free(ps_bpev_bp_product *p, size_t n);

/* A shipped goods-out note found by search. */
typedef struct ps_bpev_gon_ref {
	int64_t id;
	int64_t order_id;
	char shipped_on[48]; /* as Brightpearl wrote it (ISO-8601) */
} ps_bpev_gon_ref;

/*
 * ps_bpev__bp_gons_shipped_since - the goods-out notes shipped at or
 * after since (ISO-8601), every page of the goods-out note search.  *out
 * (n entries) is freed with free().
 */
int ps_bpev__bp_gons_shipped_since(ps_bpev_gon_ref **out, size_t *out_n,
				    ps_bp *bp, const char *since);

/* An order found by the order search. */
typedef struct ps_bpev_order_ref {
	int64_t id;
	int64_t status_id;
	char updated_on[48]; /* ISO-8601 as Brightpearl wrote it */
} ps_bpev_order_ref;

/*
 * ps_bpev__bp_orders_updated_since - the orders updated at or after
 * since (ISO-8601), every page of the order search.  *out (n entries) is
 * freed with free().
 */
int ps_bpev__bp_orders_updated_since(ps_bpev_order_ref **out,
				      size_t *out_n, ps_bp *bp,
				      const char *since);

/*
 * ps_bpev__bp_orders_at_status_since - the same, only the orders now at
 * Brightpearl status status_id (> 0, else PS_EINVAL): the search filters,
 * so the orders at other statuses cost nothing.
 */
int ps_bpev__bp_orders_at_status_since(ps_bpev_order_ref **out,
					size_t *out_n, ps_bp *bp,
					const char *since, int64_t status_id);

/*
 * ps_bpev__poll_since - the stored value of cursor into buf, or, when it
 * was never set, "a day before env->now" as ISO-8601 UTC.
 */
void ps_bpev__poll_since(char *buf, size_t cap, ps_flow_env *env,
			  const char *cursor);

/*
 * ps_bpev__poll_end - close the transaction a poll opened: when error is
 * 0, advance cursor to value and commit; otherwise roll back.  Returns the
 * first error.
 */
int ps_bpev__poll_end(ps_flow_env *env, const char *cursor,
		       const char *value, int error);

extern const ps_flow_ops ps_flow_status_export_bc;
extern const ps_flow_ops ps_flow_shipment_export_bc;
extern const ps_flow_ops ps_flow_inventory_export_bc;
extern const ps_flow_ops ps_flow_notes_bc;

#endif
