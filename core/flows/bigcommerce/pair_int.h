/*
 * pair_int.h - what every flow of the BigCommerce <-> Brightpearl pair
 * shares: its two connectors, typed, out of the flow environment, and the
 * helpers in pair.c (typed webhook events, Brightpearl webhook
 * registration, log entries, the order cross-reference, results, poll
 * cursors).
 *
 * Names are ps_pair__<name>; nothing here is used outside core/flows/.
 */
#ifndef PEARLSYNC_FLOWS_BC_PAIR_INT_H
#define PEARLSYNC_FLOWS_BC_PAIR_INT_H

#include <stddef.h>
#include <stdint.h>

#include "pearlsync/bigcommerce.h"
#include "pearlsync/brightpearl.h"
#include "pearlsync/flow.h"
#include "pearlsync/store.h"

/* The Brightpearl and BigCommerce connectors (NULL: not configured). */
#define PS_PAIR_BP(env) ((ps_bp *)(env)->conn[PS_PLATFORM_BRIGHTPEARL])
#define PS_PAIR_BC(env) ((ps_bc *)(env)->conn[PS_PLATFORM_BIGCOMMERCE])

/*
 * ps_pair__event_is - nonzero when ev is a decoded event of platform
 * whose topic is name or one of its specialisations ("order.modified"
 * matches "order.modified.order-status").  An event not decoded (object
 * "") matches nothing: the worker decodes events before the flows see
 * them.
 */
int ps_pair__event_is(const ps_event *ev, ps_platform platform,
		      const char *name);

/*
 * ps_pair__setting_is - 1 when the setting key holds value, 0 when it
 * holds something else or cannot be read.
 */
int ps_pair__setting_is(ps_store *st, const char *key, const char *value);

/*
 * ps_pair__bp_status_setting - the Brightpearl order status id of the
 * setting key (an id, or a status name: ps_bp_order_status_resolve) into
 * *out; 0 when the setting is empty or cannot be read.
 */
int ps_pair__bp_status_setting(int64_t *out, ps_flow_env *env, const char *key);

/*
 * ps_pair__hooks_init / _poll / _fini - a flow's state that remembers
 * whether the Brightpearl webhooks for its n events are registered
 * (calling back <webhooks.public_url>/webhooks/brightpearl/
 * <webhooks.secret>/<event>; nothing is done without both settings):
 * init tries at once, poll retries until it succeeds (the connectors may
 * not exist yet at init).
 */
int ps_pair__hooks_init(void **out_state, ps_flow_env *env,
			const char *const *events, size_t n);
int ps_pair__hooks_poll(ps_flow_env *env, const char *const *events, size_t n);
/* ps_pair__hooks_init_later - the same state with nothing registered yet:
 * for a flow that is off, whose first poll (once it is on) registers. */
int ps_pair__hooks_init_later(void **out_state, ps_flow_env *env);
void ps_pair__hooks_fini(void *state);

/*
 * The kinds of the pair's log entries (ps_log_entry.kind): what the unit
 * of work is, named "<object>.<work>"; the subject is that object's id on
 * the source platform.  Store migration 10 back-fills them from the dedupe
 * keys of entries recorded before, so a new kind or key shape here is
 * listed there too when old rows need it.
 */
/* order_import_bc, subject the BigCommerce order: its import, a webhook
 * edit (or an order the poll could not read), a status change, a notes
 * edit, an address edit */
#define PS_PAIR_KIND_ORDER_IMPORT "order.import"
#define PS_PAIR_KIND_ORDER_EDIT "order.edit"
#define PS_PAIR_KIND_ORDER_STATUS "order.status"
#define PS_PAIR_KIND_ORDER_NOTES "order.notes"
#define PS_PAIR_KIND_ORDER_ADDRESS "order.address"
/* notes_bc: a Brightpearl note, subject order its Brightpearl order */
#define PS_PAIR_KIND_NOTE_COPY "note.copy"
/* shipment_export_bc: a shipped goods-out note; a Brightpearl order at
 * the trigger status (status_export_bc's status changes are
 * order.status, subject the Brightpearl order) */
#define PS_PAIR_KIND_GON_SHIP "goods-out-note.ship"
#define PS_PAIR_KIND_ORDER_SHIP "order.ship"
/* inventory_export_bc: a product's on-hand change; a reconcile of every
 * product (no subject) */
#define PS_PAIR_KIND_PRODUCT_STOCK "product.stock"
#define PS_PAIR_KIND_INVENTORY_RECONCILE "inventory.reconcile"
/* product_export_bc: a changed product in no group (subject the
 * product); a changed variant (subject its product group) */
#define PS_PAIR_KIND_PRODUCT_EXPORT "product.export"
#define PS_PAIR_KIND_PRODUCT_GROUP_EXPORT "product_group.export"
/* refund_import_bc: a BigCommerce refund, subject order its order */
#define PS_PAIR_KIND_REFUND_IMPORT "refund.import"

/*
 * ps_pair__log_add - record one pending entry of flow with dedupe key,
 * kind, subject and subject order (NULL: none), and source id
 * (order_number may be NULL).  0 when added or already there, else the
 * store's error.
 */
int ps_pair__log_add(ps_flow_env *env, const char *flow, const char *key,
		     const char *kind, const char *subject,
		     const char *subject_order, ps_platform source,
		     const char *source_id, ps_platform target,
		     const char *order_number);

/*
 * ps_pair__entry_subject - the entry's subject as a positive id into
 * *out; PS_EDATA naming the entry when it has none.
 * ps_pair__entry_subject_order - the same for its subject order.
 */
int ps_pair__entry_subject(int64_t *out, const ps_log_entry *e);
int ps_pair__entry_subject_order(int64_t *out, const ps_log_entry *e);

/*
 * ps_pair__bc_order_of - the BigCommerce order id of Brightpearl order
 * bp_order_id from the order xref into *out.  PS_ENOTFOUND when the order
 * did not come from BigCommerce.
 */
int ps_pair__bc_order_of(int64_t *out, ps_store *st, int64_t bp_order_id);

/* ps_pair__bp_order_of - the reverse: PS_ENOTFOUND when unlinked. */
int ps_pair__bp_order_of(int64_t *out, ps_store *st, int64_t bc_order_id);

/*
 * ps_pair__setting_on - the bool setting key (a flow's switch); 0 when
 * off or unreadable.
 */
int ps_pair__setting_on(ps_store *st, const char *key);

/*
 * ps_pair__result - fill res with target id and a printf-formatted
 * detail.  Returns 0 or PS_ENOMEM.
 */
int ps_pair__result(ps_flow_result *res, const char *target_id, const char *fmt,
		    ...) __attribute__((format(printf, 3, 4)));

/*
 * ps_pair__poll_since - the stored value of cursor into buf, or, when it
 * was never set, "a day before env->now" as ISO-8601 UTC.
 */
void ps_pair__poll_since(char *buf, size_t cap, ps_flow_env *env,
			 const char *cursor);

/*
 * ps_pair__poll_end - close the transaction a poll opened: when error is
 * 0, advance cursor to value and commit; otherwise roll back.  Returns the
 * first error.
 */
int ps_pair__poll_end(ps_flow_env *env, const char *cursor, const char *value,
		      int error);

/*
 * ps_pair__bp_level - Brightpearl's level of product as the inventory flow
 * sends it: the sum of the non-negative on-hand of the warehouses listed
 * in warehouses (bigcommerce.inventory.warehouses) in stock, which is
 * sorted by product; *pos walks stock forward (start at 0, call in
 * product order).
 */
int64_t ps_pair__bp_level(const ps_bp_stock_list *stock, size_t *pos,
			  int64_t product, const char *warehouses);

/* The pair's reconciliation (reconcile.c; reconcile.h). */
struct ps_reconciler;
extern const struct ps_reconciler ps_reconciler_bigcommerce;

struct ps_replay;

/*
 * ps_pair__replay_queue - ps_replay_queue (replay.h) with the entry
 * ps_pair__log_add would record; object names the thing for people
 * ("goods-out note").
 */
int ps_pair__replay_queue(struct ps_replay *r, const char *object,
			  const char *flow, const char *key, const char *kind,
			  const char *subject, const char *subject_order,
			  ps_platform source, const char *source_id,
			  ps_platform target, const char *order_number);

/*
 * ps_pair__replay_since - the start of r's window as ISO-8601 UTC, the
 * form the Brightpearl searches take.  ps_pair__replay_in - nonzero
 * when the Brightpearl time iso is inside r's window (or unreadable: the
 * search put it after the start, and the flow's keys still dedupe it).
 */
void ps_pair__replay_since(char *buf, size_t cap, const struct ps_replay *r);
int ps_pair__replay_in(const struct ps_replay *r, const char *iso);

extern const ps_flow_ops ps_flow_status_export_bc;
extern const ps_flow_ops ps_flow_shipment_export_bc;
extern const ps_flow_ops ps_flow_inventory_export_bc;
extern const ps_flow_ops ps_flow_notes_bc;
extern const ps_flow_ops ps_flow_product_export_bc;
extern const ps_flow_ops ps_flow_refund_import_bc;

#endif
