/*
 * refund_import.c - BigCommerce refunds into Brightpearl sales credits.
 *
 * One BigCommerce refund (whole order or some lines, with or without
 * shipping) becomes one Brightpearl sales credit whose parent is the
 * order the import created (the order cross-reference), with the refund
 * payment recorded against it and, when bigcommerce.refunds.restock is
 * on, the refunded products received back into a warehouse.
 *
 * Work arrives from the store/order/refund/created webhook (its
 * refund_id) and from the poll of every order's refunds created since a
 * cursor; both record one entry per refund (kind refund.import, key
 * bc:refund:<id>, subject the refund, subject order the BigCommerce
 * order).  Performing it:
 *
 *   1. finds the Brightpearl order; one not imported yet makes the entry
 *      wait (retried with backoff, the reason says why), a BigCommerce
 *      order that does not exist fails it;
 *   2. prices each refunded item on the original row it refunds: a
 *      product by its line's externalRef (bc-line-<id>) or SKU, shipping
 *      on the shipping row, each keeping that row's tax and nominal
 *      codes, the amount being what BigCommerce refunded for it (or the
 *      row's value for the quantity when it does not say), the tax that
 *      row's share; an order-level amount is a free-text row without
 *      tax;
 *   3. creates the credit with externalRef <prefix><order>-R<refund>,
 *      then the PAYMENT (transactionRef the same reference, method from
 *      the payment_method bc>bp mapping), then the goods-in (batch
 *      reference the same).
 *
 * Exactly once: each write carries that reference, which Brightpearl
 * keeps unique (the credit's duplicate guard, the payment's
 * transactionRef with its method, the goods-in's userBatchReference).
 * An entry on a later attempt, or one the worker found interrupted,
 * looks the credit up by its externalRef before creating it; the
 * payment and the goods-in are refused as duplicates when they landed
 * and are then found and adopted.
 *
 * The Brightpearl side is reached only through the connector's typed
 * calls.  The pricing on the original rows and the three writes are
 * core/flows/credit.c's (credit_int.h), which another platform's refund
 * or return flow uses the same way: this file only reads BigCommerce's
 * refund and says which original row each refunded item is on.
 */
#include "flows/bigcommerce/pair_int.h"
#include "flows/credit_int.h"
#include "internal.h"
#include "setting_keys.h"
#include "pearlsync/settings.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define FLOW "refund_import_bc"
#define CURSOR "refund_import_bc.created"
#define REFUND_TOPIC "store/order/refund/created"

/* ---- recording entries -------------------------------------------------- */

static int
add_refund(ps_flow_env *env, int64_t refund_id, int64_t order_id)
{
	char key[64], rid[32], oid[32];

	snprintf(key, sizeof(key), "bc:refund:%" PRId64, refund_id);
	snprintf(rid, sizeof(rid), "%" PRId64, refund_id);
	snprintf(oid, sizeof(oid), "%" PRId64, order_id);
	return ps_pair__log_add(env, FLOW, key, PS_PAIR_KIND_REFUND_IMPORT, rid,
				oid, PS_PLATFORM_BIGCOMMERCE, rid,
				PS_PLATFORM_BRIGHTPEARL, oid);
}

static int
refund_on_event(ps_flow_env *env, const ps_event *ev)
{
	int64_t rid;
	char *end;

	if (!ps_pair__event_is(ev, PS_PLATFORM_BIGCOMMERCE, REFUND_TOPIC) ||
	    ev->nids == 0 || ev->value == NULL || ev->value[0] == '\0')
		return 0; /* without the refund id the poll finds it */
	rid = strtoll(ev->value, &end, 10);
	if (*end != '\0' || rid <= 0)
		return 0;
	return add_refund(env, rid, ev->ids[0]);
}

static void
iso_utc(char *buf, size_t cap, int64_t unix_s)
{
	time_t t = (time_t)unix_s;
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, cap, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/*
 * Refunds that gave up waiting for their order's import go again once
 * the order is in Brightpearl: the failed entries of this flow whose
 * reason is the wait (WAITING) and whose order is now linked are due at
 * once with their attempts reset.
 */
#define WAITING "waiting: BigCommerce order "

static int
reopen_waiting(ps_flow_env *env)
{
	ps_log_query q = PS_LOG_QUERY_INIT;
	ps_log_entry *v = NULL;
	size_t n = 0, i;
	int64_t order = 0, bp = 0;
	int error;

	q.status = PS_ENTRY_FAILED;
	q.flow = FLOW;
	q.limit = 200;
	if ((error = ps_store_log_list(&v, &n, env->store, &q)) < 0)
		return error;
	for (i = 0; i < n && error == 0; i++) {
		if (v[i].reason == NULL ||
		    strncmp(v[i].reason, WAITING, strlen(WAITING)) != 0 ||
		    ps_pair__entry_subject_order(&order, &v[i]) < 0 ||
		    ps_pair__bp_order_of(&bp, env->store, order) < 0) {
			ps_error_clear();
			continue;
		}
		error = ps_store_log_retry(env->store, v[i].id, env->now);
	}
	ps_log_entries_free(v, n);
	return error;
}

/*
 * poll: the safety net for lost webhooks.  Every refund created since
 * the cursor (inclusive, so the last second is read again and its
 * entries found by key) gets its entry; the cursor moves to the newest
 * refund's time.
 */
static int
refund_poll(ps_flow_env *env)
{
	ps_bc_refund_list l = {NULL, 0};
	char since[48], best[48], at[48];
	size_t i;
	int error;

	if (PS_PAIR_BC(env) == NULL)
		return 0;
	ps_pair__poll_since(since, sizeof(since), env, CURSOR);
	if ((error = ps_bc_refunds_since(&l, PS_PAIR_BC(env), since)) < 0)
		return error;
	ps_util__strlcpy(best, since, sizeof(best));
	if ((error = ps_store_begin(env->store)) < 0)
		goto done;
	error = reopen_waiting(env);
	for (i = 0; i < l.count && error == 0; i++) {
		if (l.items[i].order_id <= 0)
			continue;
		if (l.items[i].created > 0) {
			iso_utc(at, sizeof(at), l.items[i].created);
			if (strcmp(at, best) > 0)
				ps_util__strlcpy(best, at, sizeof(best));
		}
		error = add_refund(env, l.items[i].id, l.items[i].order_id);
	}
	error = ps_pair__poll_end(env, CURSOR, best, error);
done:
	ps_bc_refund_list_dispose(&l);
	return error;
}

/* ---- the plan: the credit's rows from the order's ------------------------ */

/* What one refund becomes. */
typedef struct refund_plan {
	char ref[96];              /* externalRef, transactionRef, batch */
	ps_bp_order credit;        /* rows borrow from rows/names below */
	ps_bp_order_row *rows;     /* owned */
	char (*names)[160];        /* owned: free-text row names */
	ps_bp_goods_in_line *back; /* owned: what goes back into stock */
	size_t nback;
	ps_money gross;     /* the credit's total */
	ps_money paid;      /* what BigCommerce refunded */
	char *method;       /* owned: the payment-method code */
	char how[160];      /* where the method came from */
	char order_tax[64]; /* the tax code of order-level rows */
	int64_t warehouse_id;
	char detail[512];
} refund_plan;

static void
plan_dispose(refund_plan *p)
{
	free(p->rows);
	free(p->names);
	free(p->back);
	free(p->method);
	memset(p, 0, sizeof(*p));
}

static int
starts_with(const char *s, const char *prefix)
{
	return s != NULL && strncmp(s, prefix, strlen(prefix)) == 0;
}

/* The order row a refunded product line is on. */
static const ps_bp_order_row *
row_of_line(const ps_bp_order *o, const ps_bc_order *bc, int64_t line_id)
{
	char want[48];
	const char *sku = NULL;
	size_t i;

	snprintf(want, sizeof(want), "bc-line-%" PRId64, line_id);
	for (i = 0; i < o->nrows; i++)
		if (o->rows[i].external_ref != NULL &&
		    strcmp(o->rows[i].external_ref, want) == 0)
			return &o->rows[i];
	/* a GET without the row's externalRef: the line's SKU */
	for (i = 0; i < bc->nproducts; i++)
		if (bc->products[i].id == line_id)
			sku = bc->products[i].sku;
	for (i = 0; sku != NULL && sku[0] != '\0' && i < o->nrows; i++)
		if (o->rows[i].sku != NULL && strcmp(o->rows[i].sku, sku) == 0)
			return &o->rows[i];
	return NULL;
}

/* The order's row named for a cost ("Shipping", "Handling"). */
static const ps_bp_order_row *
row_named(const ps_bp_order *o, const char *prefix)
{
	size_t i;

	for (i = 0; i < o->nrows; i++)
		if (o->rows[i].product_id == 0 &&
		    starts_with(o->rows[i].name, prefix))
			return &o->rows[i];
	return NULL;
}

static int
setting_id(int64_t *out, ps_store *st, const char *key)
{
	*out = 0;
	if (ps_settings_get_int(out, st, key) < 0) {
		ps_error_clear();
		*out = 0;
	}
	return 0;
}

/* The payment-method code: the refund's provider, the order's method,
 * then the mapping's default. */
static int
plan_method(refund_plan *p, ps_store *st, const ps_bc_refund *rf,
	    const ps_bc_order *bc)
{
	const char *tries[2];
	size_t k;
	int error;

	tries[0] = rf->provider_id;
	tries[1] = bc->payment_method;
	for (k = 0; k < 2; k++) {
		if (tries[k] == NULL || tries[k][0] == '\0')
			continue;
		error = ps_store_mapping_get(&p->method, st, "payment_method",
					     "bc>bp", tries[k], 0);
		if (error == 0) {
			snprintf(p->how, sizeof(p->how),
				 "mapping payment_method bc>bp '%s'", tries[k]);
			return 0;
		}
		if (error != PS_ENOTFOUND)
			return error;
		ps_error_clear();
	}
	error = ps_store_mapping_get(&p->method, st, "payment_method", "bc>bp",
				     NULL, 0);
	if (error == 0) {
		snprintf(p->how, sizeof(p->how),
			 "default payment_method mapping ('%s' unmapped)",
			 rf->provider_id ? rf->provider_id : "");
		return 0;
	}
	if (error != PS_ENOTFOUND)
		return error;
	return ps_error_set(PS_EMAPPING,
			    "refund %" PRId64 " was paid back with '%s' "
			    "(order method '%s'), which the payment_method "
			    "bc>bp mapping does not map and there is no "
			    "default",
			    rf->id, rf->provider_id ? rf->provider_id : "",
			    bc->payment_method ? bc->payment_method : "");
}

static int
plan_build(refund_plan *p, ps_flow_env *env, const ps_bc_refund *rf,
	   const ps_bc_order *bc, const ps_bp_order *o)
{
	char *prefix = NULL, *tax = NULL;
	size_t i, cap = rf->nitems + 1;
	int restock, error = 0;
	int64_t status = 0;

	if (ps_settings_get(&prefix, env->store,
			    PS_SET_BC_ORDERS_REFERENCE_PREFIX) < 0)
		ps_error_clear();
	snprintf(p->ref, sizeof(p->ref), "%s%" PRId64 "-R%" PRId64,
		 prefix ? prefix : "", bc->id, rf->id);
	free(prefix);
	p->rows = calloc(cap, sizeof(*p->rows));
	p->names = calloc(cap, sizeof(*p->names));
	p->back = calloc(cap, sizeof(*p->back));
	if (p->rows == NULL || p->names == NULL || p->back == NULL)
		return ps_error_set(PS_ENOMEM, "out of memory");
	restock = ps_pair__setting_on(env->store, PS_SET_BC_REFUNDS_RESTOCK);
	for (i = 0; i < rf->nitems; i++) {
		const ps_bc_refund_item *it = &rf->items[i];
		ps_bp_order_row *r = &p->rows[p->credit.nrows];
		const ps_bp_order_row *src = NULL;

		if (strcmp(it->item_type, "PRODUCT") == 0) {
			src = row_of_line(o, bc, it->item_id);
			if (src == NULL)
				return ps_error_set(
					PS_EDATA,
					"refund %" PRId64 ": BigCommerce line "
					"%" PRId64 " is on no row of "
					"Brightpearl order %" PRId64,
					rf->id, it->item_id, o->id);
			ps_credit__row(r, src,
				       it->quantity > 0 ? it->quantity : 1,
				       it->requested_amount);
			if (restock && src->product_id > 0 &&
			    it->quantity > 0) {
				p->back[p->nback].product_id = src->product_id;
				p->back[p->nback].quantity = it->quantity;
				p->back[p->nback].unit_value =
					r->net / it->quantity;
				p->nback++;
			}
		} else if (strcmp(it->item_type, "SHIPPING") == 0 ||
			   strcmp(it->item_type, "HANDLING") == 0) {
			src = row_named(o, it->item_type[0] == 'S'
						   ? "Shipping"
						   : "Handling");
			if (src == NULL && it->item_type[0] == 'S')
				return ps_error_set(
					PS_EDATA,
					"refund %" PRId64 " refunds shipping "
					"but Brightpearl order %" PRId64
					" has no shipping row",
					rf->id, o->id);
		}
		if (src != NULL) {
			if (src != NULL && r->quantity == 0)
				ps_credit__row(r, src, 1, it->requested_amount);
		} else {
			/* an order-level amount (or handling the order
			 * has no row for): no tax is recalculated */
			if (p->order_tax[0] == '\0') {
				if (ps_settings_get(
					    &tax, env->store,
					    PS_SET_BC_DEFAULTS_TAX_CODE) < 0)
					ps_error_clear();
				if (tax != NULL)
					ps_util__strlcpy(p->order_tax, tax,
							 sizeof(p->order_tax));
				free(tax);
				tax = NULL;
			}
			if (p->order_tax[0] == '\0') {
				error = ps_error_set(
					PS_ESETTING,
					"refund %" PRId64 " has an %s amount, "
					"whose row needs setting '%s'",
					rf->id, it->item_type,
					PS_SET_BC_DEFAULTS_TAX_CODE);
				goto done;
			}
			snprintf(p->names[p->credit.nrows], sizeof(p->names[0]),
				 "Refund (%s%s%s)",
				 it->item_type[0] == 'O' ? "order" : "handling",
				 rf->reason && rf->reason[0] ? ": " : "",
				 rf->reason ? rf->reason : "");
			r->name = p->names[p->credit.nrows];
			r->quantity = 1;
			r->net = it->requested_amount;
			r->tax = 0;
			r->tax_code = p->order_tax;
		}
		p->gross += r->net + r->tax;
		p->credit.nrows++;
	}
	if (p->credit.nrows == 0) {
		error = ps_error_set(PS_EDATA,
				     "refund %" PRId64 " refunds no item "
				     "(a tax-only refund) and has nothing "
				     "to credit",
				     rf->id);
		goto done;
	}
	p->paid = rf->total_amount;
	if ((error = plan_method(p, env->store, rf, bc)) < 0)
		goto done;
	if (p->nback > 0) {
		setting_id(&p->warehouse_id, env->store,
			   PS_SET_BC_REFUNDS_WAREHOUSE_ID);
		if (p->warehouse_id <= 0)
			setting_id(&p->warehouse_id, env->store,
				   PS_SET_BC_DEFAULTS_WAREHOUSE_ID);
		if (p->warehouse_id <= 0) {
			error = ps_error_set(
				PS_ESETTING,
				"restocking refund %" PRId64 " needs setting "
				"'%s' (or %s)",
				rf->id, PS_SET_BC_REFUNDS_WAREHOUSE_ID,
				PS_SET_BC_DEFAULTS_WAREHOUSE_ID);
			goto done;
		}
	}
	setting_id(&status, env->store, PS_SET_BC_REFUNDS_STATUS_ID);
	p->credit.rows = p->rows;
	p->credit.customer_id = o->customer_id;
	p->credit.parent_id = o->id;
	p->credit.external_ref = p->ref;
	p->credit.ref = o->ref;
	p->credit.currency = o->currency;
	p->credit.channel_id = o->channel_id;
	p->credit.warehouse_id =
		p->warehouse_id > 0 ? p->warehouse_id : o->warehouse_id;
	p->credit.status_id = status;
	p->credit.price_mode = "EXC";
done:
	return error;
}

/* ---- perform ------------------------------------------------------------- */

static int
find_refund(ps_bc_refund **out, const ps_bc_refund_list *l, int64_t id)
{
	size_t i;

	*out = NULL;
	for (i = 0; i < l->count; i++)
		if (l->items[i].id == id) {
			*out = &l->items[i];
			return 0;
		}
	return PS_ENOTFOUND;
}

/*
 * The order is not in Brightpearl: wait for it (PS_EBUSY, retried with
 * backoff), saying where its import is.  An import skipped for its
 * status is waited for too: a later status change imports it.
 */
static int
order_missing(ps_flow_env *env, int64_t bc_id)
{
	ps_log_entry imp;
	char key[64], why[200];
	int error;

	snprintf(key, sizeof(key), "bc:order:%" PRId64 ":import", bc_id);
	why[0] = '\0';
	if (ps_store_log_get_by_key(&imp, env->store, key) == 0) {
		snprintf(
			why, sizeof(why), " (its import is %s%s%.120s)",
			imp.status == PS_ENTRY_SYNCED   ? "done"
			: imp.status == PS_ENTRY_FAILED ? "failed"
							: "pending",
			imp.status == PS_ENTRY_SYNCED && imp.detail ? ": " : "",
			imp.status == PS_ENTRY_SYNCED && imp.detail ? imp.detail
								    : "");
		ps_log_entry_dispose(&imp);
	}
	ps_error_clear();
	error = ps_error_set(PS_EBUSY,
			     WAITING "%" PRId64
				     " is not imported into Brightpearl yet%s",
			     bc_id, why);
	return error;
}

/* The log's columns: the refund's total and currency. */
static int
describe_entry(ps_flow_env *env, const ps_log_entry *entry,
	       const refund_plan *p, const ps_bp_order *o)
{
	ps_log_entry f;

	ps_log_entry_init(&f);
	f.total = p->paid;
	f.has_total = 1;
	f.currency = (char *)(uintptr_t)o->currency;
	return ps_store_log_set_fields(env->store, entry->id, &f, env->now);
}

static int
refund_perform(ps_flow_env *env, const ps_log_entry *entry, ps_flow_result *res)
{
	ps_bc_refund_list refunds = {NULL, 0};
	ps_bc_refund *rf = NULL;
	ps_bc_order bc;
	ps_bp_order_list orders = {NULL, 0, NULL};
	refund_plan p;
	ps_credit__refund cr;
	ps_credit__done wrote;
	int64_t refund_id = 0, bc_id = 0, bp_id = 0;
	char when[48], cid[32], rest[128];
	int error, lookup;

	memset(&bc, 0, sizeof(bc));
	memset(&cr, 0, sizeof(cr));
	memset(&p, 0, sizeof(p));
	if (PS_PAIR_BP(env) == NULL || PS_PAIR_BC(env) == NULL)
		return ps_error_set(PS_ESETTING,
				    "waiting for the Brightpearl and "
				    "BigCommerce connections");
	if ((error = ps_pair__entry_subject(&refund_id, entry)) < 0 ||
	    (error = ps_pair__entry_subject_order(&bc_id, entry)) < 0)
		return error;
	error = ps_bc_order_get(&bc, PS_PAIR_BC(env), bc_id);
	if (error == PS_ENOTFOUND) {
		error = ps_error_set(PS_ENOTFOUND,
				     "refund %" PRId64 " is of BigCommerce "
				     "order %" PRId64 ", which does not exist",
				     refund_id, bc_id);
		goto done;
	}
	if (error < 0)
		goto done;
	error = ps_pair__bp_order_of(&bp_id, env->store, bc_id);
	if (error == PS_ENOTFOUND) {
		error = order_missing(env, bc_id);
		goto done;
	}
	if (error < 0)
		goto done;
	if ((error = ps_bc_refunds_list(&refunds, PS_PAIR_BC(env), bc_id)) <
		    0 ||
	    (error = find_refund(&rf, &refunds, refund_id)) < 0) {
		if (error == PS_ENOTFOUND)
			error = ps_error_set(PS_ENOTFOUND,
					     "BigCommerce order %" PRId64
					     " has no refund %" PRId64,
					     bc_id, refund_id);
		goto done;
	}
	if ((error = ps_bp_order_get(&orders, PS_PAIR_BP(env), &bp_id, 1)) <
		    0 ||
	    (orders.n == 0 &&
	     (error = ps_error_set(PS_ENOTFOUND,
				   "Brightpearl order %" PRId64
				   " (BigCommerce order %" PRId64 ") not found",
				   bp_id, bc_id)) < 0))
		goto done;
	if ((error = plan_build(&p, env, rf, &bc, &orders.items[0])) < 0 ||
	    (error = describe_entry(env, entry, &p, &orders.items[0])) < 0)
		goto done;

	/* the writes, each keyed by the reference: the credit (looked up
	 * first after any earlier attempt), the money paid back, the goods
	 * back into stock */
	iso_utc(when, sizeof(when),
		rf->created > 0 ? rf->created : env->now / 1000);
	cr.ref = p.ref;
	cr.credit = &p.credit;
	cr.method = p.method;
	cr.currency = orders.items[0].currency
			      ? orders.items[0].currency
			      : (bc.default_currency_code &&
						 bc.default_currency_code[0]
					 ? bc.default_currency_code
					 : bc.currency_code);
	cr.paid = p.paid;
	cr.paid_on = when;
	cr.back = p.back;
	cr.nback = p.nback;
	cr.warehouse_id = p.warehouse_id;
	lookup = entry->attempts > 1 || (entry->reason && entry->reason[0]);
	if ((error = ps_credit__apply(&wrote, PS_PAIR_BP(env), &cr, lookup)) <
	    0)
		goto done;
	snprintf(cid, sizeof(cid), "%" PRId64, wrote.credit_id);
	rest[0] = '\0';
	if (p.nback > 0)
		snprintf(rest, sizeof(rest),
			 "; %zu product(s) back into warehouse %" PRId64
			 " (goods-in %" PRId64 ")",
			 p.nback, p.warehouse_id, wrote.goods_in_id);
	error = ps_pair__result(
		res, cid,
		"%s sales credit %s (%s) on order %" PRId64 ": %zu row(s), "
		"%" PRId64 ".%02" PRId64 "; refund payment %" PRId64
		".%02" PRId64 " by %s (%s)%s",
		wrote.existed ? "found" : "created", cid, p.ref, bp_id,
		p.credit.nrows, p.gross / PS_MONEY_SCALE,
		(p.gross % PS_MONEY_SCALE) / 100, p.paid / PS_MONEY_SCALE,
		(p.paid % PS_MONEY_SCALE) / 100, p.method, p.how, rest);
done:
	ps_bp_order_list_dispose(&orders);
	ps_bc_refund_list_dispose(&refunds);
	ps_bc_order_dispose(&bc);
	plan_dispose(&p);
	return error;
}

/* What the flow writes (README.md, "Who writes what"). */
static const ps_flow_owns refund_owns[] = {
	{PS_PLATFORM_BRIGHTPEARL, "sales-credit", "*", PS_PLATFORM_BIGCOMMERCE},
	{PS_PLATFORM_BRIGHTPEARL, "goods-in-note", "*",
	 PS_PLATFORM_BIGCOMMERCE},
};

const ps_flow_ops ps_flow_refund_import_bc = {
	.name = FLOW,
	.alias = "refunds",
	.description = "BigCommerce refunds to Brightpearl sales credits",
	.source = PS_PLATFORM_BIGCOMMERCE,
	.target = PS_PLATFORM_BRIGHTPEARL,
	.enabled_setting = PS_SET_BC_REFUNDS_ENABLED,
	.owns = refund_owns,
	.nowns = PS__ARRAY_LEN(refund_owns),
	.on_event = refund_on_event,
	.poll = refund_poll,
	.poll_interval_ms = 0,
	.perform = refund_perform,
};
