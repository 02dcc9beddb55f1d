/*
 * inventory_export_bc.c - Brightpearl stock levels to BigCommerce.
 *
 * The level of a product is the sum of the available ("on hand": in stock
 * less allocated) quantities in the warehouses of
 * bigcommerce.inventory.warehouses. Products are matched on
 * bigcommerce.items.product_match_field: the Brightpearl identity field against
 * the BigCommerce variant SKU.  Brightpearl is the master: BigCommerce is made
 * to show its level.
 *
 * Two kinds of entry (kind, then dedupe key):
 *   product.stock, subject the product,
 *   bp:stock:<product>:ev<event>  a "product.modified.on-hand-modified"
 *                                 webhook: that product's level;
 *   inventory.reconcile, no subject,
 *   inventory:reconcile:<ms>      recorded by poll every
 *                                 bigcommerce.inventory.interval_minutes, or at
 *                                 once on an operator's "run now": every
 *                                 stock-tracked product at once.
 *
 * The reconcile compares each product with the level BigCommerce really
 * has at the location pearlsync writes (ps_bc_inventory_list: about P/250
 * + V/1000 reads for P products of V variants), never with what pearlsync
 * last sent, so a level changed in BigCommerce behind pearlsync's back (an
 * edit in the control panel, another app, an order Brightpearl never saw)
 * is set back by the next reconcile.  Every difference is sent, up to 2000
 * levels per request.  Absolute levels make every send safe to repeat.
 *
 * A webhook entry compares with the level last seen in BigCommerce: read
 * by the last reconcile or set by pearlsync since, kept with the SKU's ids
 * and tracking in the cache ("inventory.bc.<match value>"; per Brightpearl
 * product its match value is "inventory.bp.<id>").  A cached row older
 * than one interval is not trusted: the SKU is read again (two requests).
 * The cheap comparison is therefore wrong for at most one interval, the
 * time the reconcile takes to correct it anyway.  A send BigCommerce
 * refuses for cached ids (the merchant changed the SKU's tracking since)
 * reads those SKUs again and is tried once more.  Every level sent is
 * also recorded as pearlsync's own write (ps_store_written_int_set:
 * object "product" or "variant" as BigCommerce tracks it, field
 * "inventory_level").
 *
 * Stock entries come in bursts (a goods-in, a stock take: one webhook per
 * product within a second or two), so an entry is due STOCK_HOLD_MS after
 * its webhook and the entries due together are performed together
 * (perform_batch, up to PS_FLOW_BATCH_MAX): one product GET for the
 * products whose match value is not cached and one availability GET for
 * them all (Brightpearl id sets, 200 ids a request), then one send for
 * every level that differs (up to 2000 a request).  100 stock changes
 * cost about two of each, not three requests apiece.
 *
 * The reconcile of a large catalogue runs in bounded memory: each list is
 * read page by page into compact structs (no reply kept as a Jansson
 * tree), BigCommerce's list is matched and dropped before Brightpearl's
 * availability is read one id set at a time, and the sends go 2000 at a
 * time.
 *
 * The log: an inventory entry concerns no order, so order number, total,
 * shipping method and shipment status stay empty (a SKU under ORDER #
 * would be misread as an order).  What an operator searches for is the
 * SKU, so the SKU goes where the search looks: the target id of a
 * one-product entry is its SKU, the target id of a reconcile lists the
 * SKUs it corrected (the first few, then "+N"), and a failure's reason
 * names the SKU; `logs --search TEE-RED-M` then finds every entry that
 * touched it.  The source id is the Brightpearl product id ("all" for a
 * reconcile).  The detail says how many levels were read, differed and
 * were corrected, names the corrected SKUs with BigCommerce's old level
 * and the new one (bounded), and counts what was skipped and why.
 */
#include "flows/bigcommerce/pair_int.h"
#include "internal.h"
#include "setting_keys.h"
#include "pearlsync/anomalies.h"
#include "pearlsync/bigcommerce.h"
#include "pearlsync/brightpearl.h"
#include "pearlsync/replay.h"
#include "pearlsync/settings.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FLOW "inventory_export_bc"
#define CURSOR "inventory_export_bc.reconcile"
/* Corrected SKUs named in a reconcile's detail and target id. */
#define SKUS_NAMED 10
/* Products per availability read in a reconcile: one id set (at most
 * 200 ids, reference digest section 5). */
#define AVAIL_CHUNK 200

static const char *const bp_events[] = {"product.modified.on-hand-modified"};

/* One product's level, Brightpearl's against BigCommerce's. */
typedef struct level {
	const char *match; /* borrowed: the SKU */
	int64_t qty;       /* Brightpearl's level */
	ps_bc_stock stock; /* ids and tracking, when known */
	int64_t bc_level;  /* BigCommerce's level, when known */
	/* flags in one word: a reconcile holds 20,000 of these */
	unsigned known : 1;  /* BigCommerce has the SKU */
	unsigned cached : 1; /* known from the cache, not read just now */
	unsigned sent : 1;   /* set in BigCommerce just now */
} level;

typedef struct push_stats {
	size_t read; /* BigCommerce levels read (reconcile) */
	size_t differed, sent, unchanged, untracked, missing;
	char first_untracked[96];
	char first_missing[96];
	char changed[768];     /* "SKU 1->40, ..." for the detail */
	size_t zeroed;         /* sent as 0 over a positive level */
	char zeroed_skus[128]; /* the first of those */
	char targets[256];     /* "SKU,SKU" for the target id */
} push_stats;

static int
inv_init(void **out_state, ps_flow_env *env)
{
	return ps_pair__hooks_init(out_state, env, bp_events,
				   PS__ARRAY_LEN(bp_events));
}

/*
 * A stock entry is due STOCK_HOLD_MS after its event, not at once: a
 * goods-in or a stock take changes many products within a second or two,
 * one webhook each, and entries due together are performed together
 * (perform_stock: a few requests for the lot).  The level reaches
 * BigCommerce that much later, well within the seconds a merchant waits.
 */
#define STOCK_HOLD_MS 2000

static int
inv_on_event(ps_flow_env *env, const ps_event *ev)
{
	ps_log_entry e;
	char key[128], id[32];
	size_t i;
	int error;

	if (!ps_pair__event_is(ev, PS_PLATFORM_BRIGHTPEARL,
			       "product.modified.on-hand-modified"))
		return 0;
	for (i = 0; i < ev->nids; i++) {
		snprintf(id, sizeof(id), "%" PRId64, ev->ids[i]);
		snprintf(key, sizeof(key), "bp:stock:%s:ev%" PRId64, id,
			 ev->id);
		ps_log_entry_init(&e);
		/* borrowed strings: e is never disposed */
		e.flow = (char *)(uintptr_t)FLOW;
		e.dedupe_key = key;
		e.kind = (char *)(uintptr_t)PS_PAIR_KIND_PRODUCT_STOCK;
		e.subject = id;
		e.source_platform = PS_PLATFORM_BRIGHTPEARL;
		e.source_id = id;
		e.target_platform = PS_PLATFORM_BIGCOMMERCE;
		e.next_attempt_at = env->now + STOCK_HOLD_MS;
		if ((error = ps_store_log_add(NULL, env->store, &e, env->now)) <
		    0)
			return error;
	}
	return 0;
}

/* One inventory interval in ms (bigcommerce.inventory.interval_minutes). */
static int64_t
interval_ms(ps_store *st)
{
	int64_t minutes = 15;

	if (ps_settings_get_int(&minutes, st,
				PS_SET_BC_INVENTORY_INTERVAL_MINUTES) < 0 ||
	    minutes < 1) {
		ps_error_clear();
		minutes = 15;
	}
	return minutes * 60000;
}

static int
inv_poll(ps_flow_env *env)
{
	char *last = NULL, key[64], now[32];
	int64_t prev = 0;
	int error = 0;

	if ((error = ps_pair__hooks_poll(env, bp_events,
					 PS__ARRAY_LEN(bp_events))) < 0)
		return error;
	if (ps_store_cursor_get(&last, NULL, env->store, CURSOR) == 0)
		prev = strtoll(last, NULL, 10);
	else
		ps_error_clear();
	free(last);
	if (!env->run_now && prev > 0 &&
	    env->now - prev < interval_ms(env->store))
		return 0;
	snprintf(now, sizeof(now), "%" PRId64, env->now);
	snprintf(key, sizeof(key), "inventory:reconcile:%s", now);
	if ((error = ps_store_begin(env->store)) < 0)
		return error;
	if ((error = ps_pair__log_add(env, FLOW, key,
				      PS_PAIR_KIND_INVENTORY_RECONCILE, NULL,
				      NULL, PS_PLATFORM_BRIGHTPEARL, "all",
				      PS_PLATFORM_BIGCOMMERCE, NULL)) < 0 ||
	    (error = ps_store_cursor_set(env->store, CURSOR, now, env->now)) <
		    0) {
		ps_store_rollback(env->store);
		return error;
	}
	return ps_store_commit(env->store);
}

/* ---- what BigCommerce has ------------------------------------------- */

/*
 * The cached ids, tracking and level of l->match into l, unless the row
 * was stored before not_before (then it is not trusted).  PS_ENOTFOUND
 * when absent, stale or unreadable.
 */
static int
bc_cache_get(level *l, ps_store *st, int64_t not_before)
{
	char kind[256], *v = NULL;
	long long t, p, var, lv;
	int64_t at = 0;
	int error, n;

	snprintf(kind, sizeof(kind), "inventory.bc.%s", l->match);
	if ((error = ps_store_cache_get(&v, &at, st, kind)) < 0) {
		ps_error_clear();
		return error;
	}
	n = sscanf(v, "%lld:%lld:%lld:%lld", &t, &p, &var, &lv);
	free(v);
	if (n != 4 || at < not_before || t < PS_BC_TRACKING_NONE ||
	    t > PS_BC_TRACKING_VARIANT)
		return PS_ENOTFOUND;
	l->stock.tracking = (ps_bc_tracking)t;
	l->stock.product_id = p;
	l->stock.variant_id = var;
	l->bc_level = lv;
	l->known = 1;
	l->cached = 1;
	return 0;
}

/* Remember a SKU's ids, tracking and the level BigCommerce now has. */
static int
bc_cache_set(ps_store *st, const char *match, const ps_bc_stock *s,
	     int64_t bc_level, int64_t now)
{
	char kind[256], v[128];

	snprintf(kind, sizeof(kind), "inventory.bc.%s", match);
	snprintf(v, sizeof(v), "%d:%" PRId64 ":%" PRId64 ":%" PRId64,
		 (int)s->tracking, s->product_id, s->variant_id, bc_level);
	return ps_store_cache_set(st, kind, v, now);
}

static void
level_from_sku(level *l, const ps_bc_sku *s)
{
	l->stock.tracking = s->tracking;
	l->stock.product_id = s->product_id;
	l->stock.variant_id = s->variant_id;
	l->bc_level = s->inventory_level;
	l->known = 1;
}

/*
 * What BigCommerce has for one SKU: the cache when fresh (and trusted),
 * else a lookup (which reads the catalog's level: the default
 * location's).  l->known stays 0 when BigCommerce has no such SKU.
 */
static int
bc_level_of(level *l, ps_flow_env *env, int trust_cache)
{
	ps_bc_sku s;
	int error;

	l->known = l->cached = 0;
	if (trust_cache &&
	    bc_cache_get(l, env->store, env->now - interval_ms(env->store)) ==
		    0)
		return 0;
	error = ps_bc_catalog_find_sku(&s, PS_PAIR_BC(env), l->match);
	if (error == PS_ENOTFOUND) {
		ps_error_clear();
		return 0;
	}
	if (error < 0)
		return error;
	level_from_sku(l, &s);
	ps_bc_sku_dispose(&s);
	return bc_cache_set(env->store, l->match, &l->stock, l->bc_level,
			    env->now);
}

static int
settings_warehouses(char **out, ps_store *st)
{
	int error = ps_settings_get(out, st, PS_SET_BC_INVENTORY_WAREHOUSES);

	if (error == 0 && (*out)[0] == '\0') {
		free(*out);
		*out = NULL;
		error = PS_ESETTING;
	}
	if (error < 0)
		return ps_error_set(
			PS_ESETTING,
			"waiting for setting bigcommerce.inventory.warehouses");
	return 0;
}

/* Sum the selected warehouses' on-hand per product of stock (pair_int.h). */
int64_t
ps_pair__bp_level(const ps_bp_stock_list *stock, size_t *pos, int64_t product,
		  const char *warehouses)
{
	char num[32];
	int64_t sum = 0;

	while (*pos < stock->n && stock->items[*pos].product_id < product)
		(*pos)++;
	for (; *pos < stock->n && stock->items[*pos].product_id == product;
	     (*pos)++) {
		const ps_bp_stock *s = &stock->items[*pos];

		if (s->warehouse_id == 0)
			continue;
		snprintf(num, sizeof(num), "%" PRId64, s->warehouse_id);
		if (ps_settings_list_contains(warehouses, num))
			sum += s->on_hand > 0 ? s->on_hand : 0;
	}
	return sum;
}

/* ---- sending ------------------------------------------------------- */

/* Append sep and item to buf (cap bytes) unless they would not fit. */
static void
append_bounded(char *buf, size_t cap, const char *sep, const char *item)
{
	size_t len = strlen(buf);
	int n;

	n = snprintf(buf + len, cap - len, "%s%s", len ? sep : "", item);
	if (n < 0 || (size_t)n >= cap - len)
		buf[len] = '\0';
}

/* Name the i-th corrected SKU in the detail and the target id (bounded). */
static void
note_sent(push_stats *ps, const level *l, size_t i)
{
	char item[160];

	if (i >= SKUS_NAMED)
		return;
	snprintf(item, sizeof(item), "%s %" PRId64 "->%" PRId64, l->match,
		 l->bc_level, l->qty);
	append_bounded(ps->changed, sizeof(ps->changed), ", ", item);
	append_bounded(ps->targets, sizeof(ps->targets), ",", l->match);
}

/*
 * The first n levels of idx were sent: count and name them, and remember
 * each in the cache and as pearlsync's own write.
 */
static int
record_sent(ps_flow_env *env, level *lv, const size_t *idx, size_t n,
	    push_stats *ps)
{
	size_t i;
	int error;

	for (i = 0; i < n; i++) {
		lv[idx[i]].sent = 1;
		note_sent(ps, &lv[idx[i]], ps->sent++);
		if (lv[idx[i]].qty == 0 && lv[idx[i]].bc_level > 0 &&
		    ps->zeroed++ < SKUS_NAMED)
			append_bounded(ps->zeroed_skus, sizeof(ps->zeroed_skus),
				       ",", lv[idx[i]].match);
	}
	if (n == 0)
		return 0;
	if ((error = ps_store_begin(env->store)) < 0)
		return error;
	for (i = 0; i < n && error == 0; i++) {
		level *l = &lv[idx[i]];
		int var = l->stock.tracking == PS_BC_TRACKING_VARIANT;

		error = bc_cache_set(env->store, l->match, &l->stock, l->qty,
				     env->now);
		if (error == 0)
			error = ps_store_written_int_set(
				env->store, PS_PLATFORM_BIGCOMMERCE,
				var ? "variant" : "product",
				var ? l->stock.variant_id : l->stock.product_id,
				"inventory_level", l->qty, FLOW, env->now);
	}
	if (error < 0) {
		ps_store_rollback(env->store);
		return error;
	}
	if ((error = ps_store_commit(env->store)) == 0 && n >= SKUS_NAMED)
		ps_store_release_memory(env->store); /* a bulk write's pages */
	return error;
}

/*
 * Send every known, tracked level that differs from BigCommerce's; count
 * the rest.  The sends go SEND_CHUNK levels at a time (a request's worth
 * at most), each recorded as it succeeds, so a 20,000-level reconcile
 * holds one request's send list, not all of them.  What was sent is
 * recorded even when a later request fails.
 */
#define SEND_CHUNK PS_BC_INVENTORY_BATCH_MAX

static int
push_levels(ps_flow_env *env, level *lv, size_t n, push_stats *ps)
{
	ps_bc_stock *send = NULL;
	size_t *idx = NULL, i, k = 0, sent = 0;
	int error = 0, rec;

	send = calloc(SEND_CHUNK, sizeof(*send));
	idx = calloc(SEND_CHUNK, sizeof(*idx));
	if (send == NULL || idx == NULL) {
		error = ps_error_set(PS_ENOMEM, NULL);
		goto done;
	}
	for (i = 0; i < n; i++) {
		level *l = &lv[i];

		if (!l->known) {
			if (ps->missing++ == 0)
				ps_util__strlcpy(ps->first_missing, l->match,
						 sizeof(ps->first_missing));
		} else if (l->stock.tracking == PS_BC_TRACKING_NONE) {
			if (ps->untracked++ == 0)
				ps_util__strlcpy(ps->first_untracked, l->match,
						 sizeof(ps->first_untracked));
		} else if (l->bc_level == l->qty) {
			ps->unchanged++;
		} else if (error == 0) {
			send[k] = l->stock;
			send[k].quantity = l->qty;
			idx[k++] = i;
			ps->differed++;
		} else {
			ps->differed++; /* after a failed send: not tried */
		}
		if (error == 0 && k > 0 && (k == SEND_CHUNK || i + 1 == n)) {
			sent = 0;
			error = ps_bc_inventory_set(&sent, PS_PAIR_BC(env),
						    send, k,
						    "Brightpearl stock level");
			rec = record_sent(env, lv, idx, sent, ps);
			if (error == 0)
				error = rec;
			k = 0;
		}
	}
done:
	free(send);
	free(idx);
	return error;
}

static int
stats_result(ps_flow_result *res, const push_stats *ps, size_t total)
{
	char more[32] = "", untracked[192] = "", missing[160] = "";

	if (ps->sent > SKUS_NAMED)
		snprintf(more, sizeof(more), " and %zu more",
			 ps->sent - SKUS_NAMED);
	if (ps->untracked)
		snprintf(untracked, sizeof(untracked),
			 "; %zu skipped, BigCommerce does not track their "
			 "inventory (%s%s)",
			 ps->untracked, ps->first_untracked,
			 ps->untracked > 1 ? ", ..." : "");
	if (ps->missing)
		snprintf(missing, sizeof(missing),
			 "; %zu not in BigCommerce (%s%s)", ps->missing,
			 ps->first_missing, ps->missing > 1 ? ", ..." : "");
	return ps_pair__result(
		res, ps->targets[0] ? ps->targets : NULL,
		"%zu products: %zu BigCommerce levels read, %zu differed, %zu "
		"corrected%s%s%s%s, %zu unchanged%s%s",
		total, ps->read, ps->differed, ps->sent, ps->sent ? " (" : "",
		ps->changed, more, ps->sent ? ")" : "", ps->unchanged,
		untracked, missing);
}

/* ---- stock changes, one or many ------------------------------------- */

/*
 * One product of a batch of stock entries (several entries of the same
 * product share it).  code < 0: it failed, why says how.
 */
typedef struct stock_item {
	int64_t pid;
	char *match; /* owned: its match value (the SKU) */
	int code;
	char *why;   /* owned: the failure's reason */
	int tracked; /* Brightpearl tracks its stock */
	size_t lvi;  /* its level in the batch's levels, when tracked */
} stock_item;

static void
item_fail(stock_item *it, int code)
{
	const char *msg = ps_error_last();

	it->code = code;
	free(it->why);
	if (it->match != NULL && strstr(msg, it->match) == NULL) {
		size_t len = strlen(msg) + strlen(it->match) + 8;

		if ((it->why = malloc(len)) != NULL)
			snprintf(it->why, len, "SKU %s: %s", it->match, msg);
	} else {
		it->why = ps_util__strdup(msg);
	}
	ps_error_clear();
}

static int
cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

static int
cmp_item(const void *a, const void *b)
{
	return cmp_i64(&((const stock_item *)a)->pid,
		       &((const stock_item *)b)->pid);
}

/* The identity field of p that products are matched on. */
static const char *
identity_of(const ps_bp_product *p, ps_bp_identity ident)
{
	switch (ident) {
	case PS_BP_IDENTITY_SKU:
		return p->sku;
	case PS_BP_IDENTITY_BARCODE:
		return p->barcode;
	case PS_BP_IDENTITY_EAN:
		return p->ean;
	case PS_BP_IDENTITY_UPC:
		return p->upc;
	case PS_BP_IDENTITY_ISBN:
		return p->isbn;
	case PS_BP_IDENTITY_MPN:
		return p->mpn;
	default:
		return NULL;
	}
}

/*
 * The match value of every item: from the cache ("inventory.bp.<id>"),
 * else from one product GET for all the others (an id set: up to 200
 * products a request).  An item whose value cannot be had fails.
 */
static int
items_match(stock_item *it, size_t n, ps_flow_env *env, const char *field)
{
	ps_bp_product_list pl = {NULL, 0, NULL};
	ps_bp_identity ident;
	char kind[64];
	int64_t *ids = NULL;
	size_t i, m = 0, pos = 0;
	int error;

	if (ps_bp_identity_parse(&ident, field) < 0)
		return ps_error_set(
			PS_ESETTING,
			"bigcommerce.items.product_match_field '%s' is not "
			"supported",
			field);
	if ((ids = calloc(n + 1, sizeof(*ids))) == NULL)
		return ps_error_set(PS_ENOMEM, NULL);
	for (i = 0; i < n; i++) {
		snprintf(kind, sizeof(kind), "inventory.bp.%" PRId64,
			 it[i].pid);
		if (ps_store_cache_get(&it[i].match, NULL, env->store, kind) ==
		    0)
			continue;
		ps_error_clear();
		ids[m++] = it[i].pid;
	}
	if (m == 0)
		goto done;
	if ((error = ps_bp_product_get(&pl, PS_PAIR_BP(env), ids, m)) < 0) {
		for (i = 0; i < n; i++)
			if (it[i].match == NULL) {
				ps_error_set(error, "%s", ps_error_last());
				item_fail(&it[i], error);
			}
		goto done;
	}
	/* both sorted by id */
	for (i = 0; i < n; i++) {
		const char *v;

		if (it[i].match != NULL)
			continue;
		while (pos < pl.n && pl.items[pos].id < it[i].pid)
			pos++;
		if (pos >= pl.n || pl.items[pos].id != it[i].pid) {
			item_fail(&it[i],
				  ps_error_set(PS_ENOTFOUND,
					       "Brightpearl product %" PRId64
					       " not found",
					       it[i].pid));
			continue;
		}
		v = identity_of(&pl.items[pos], ident);
		if (v == NULL || v[0] == '\0') {
			item_fail(&it[i],
				  ps_error_set(PS_EDATA,
					       "Brightpearl product %" PRId64
					       " has no %s",
					       it[i].pid, field));
			continue;
		}
		if ((it[i].match = ps_util__strdup(v)) == NULL) {
			error = ps_error_set(PS_ENOMEM, NULL);
			goto out;
		}
		snprintf(kind, sizeof(kind), "inventory.bp.%" PRId64,
			 it[i].pid);
		if (ps_store_cache_set(env->store, kind, v, env->now) < 0)
			ps_error_clear(); /* read again next time */
	}
done:
	error = 0;
out:
	ps_bp_product_list_dispose(&pl);
	free(ids);
	return error;
}

/*
 * Brightpearl's level of every matched item, from one availability GET
 * for them all (an id set); an item Brightpearl leaves out of the reply
 * does not track its stock.  lv gets one level per tracked item.
 */
static int
items_levels(stock_item *it, size_t n, level *lv, size_t *out_k,
	     ps_flow_env *env, const char *wh)
{
	ps_bp_stock_list stock = {NULL, 0};
	int64_t *ids = NULL;
	size_t i, m = 0, pos = 0, k = 0;
	int error;

	*out_k = 0;
	if ((ids = calloc(n + 1, sizeof(*ids))) == NULL)
		return ps_error_set(PS_ENOMEM, NULL);
	for (i = 0; i < n; i++)
		if (it[i].code == 0)
			ids[m++] = it[i].pid;
	if (m > 0 && (error = ps_bp_availability_get(&stock, PS_PAIR_BP(env),
						     ids, m)) < 0) {
		for (i = 0; i < n; i++)
			if (it[i].code == 0) {
				ps_error_set(error, "%s", ps_error_last());
				item_fail(&it[i], error);
			}
		goto done;
	}
	for (i = 0; i < n; i++) {
		if (it[i].code < 0)
			continue;
		while (pos < stock.n && stock.items[pos].product_id < it[i].pid)
			pos++;
		if (pos >= stock.n || stock.items[pos].product_id != it[i].pid)
			continue;
		it[i].tracked = 1;
		it[i].lvi = k;
		memset(&lv[k], 0, sizeof(lv[k]));
		lv[k].match = it[i].match;
		lv[k].qty = ps_pair__bp_level(&stock, &pos, it[i].pid, wh);
		k++;
	}
	*out_k = k;
done:
	ps_bp_stock_list_dispose(&stock);
	free(ids);
	return 0;
}

/*
 * What BigCommerce has for each level (the cache, else a lookup), then
 * one send for every level that differs (up to 2000 a request).  A send
 * refused while some ids came from the cache reads those again and is
 * tried once more.  Returns the send's error, if any.
 */
static int
levels_push(stock_item *it, size_t n, level *lv, size_t k, ps_flow_env *env)
{
	push_stats ps;
	size_t i, cached = 0;
	int error;

	for (i = 0; i < n; i++) {
		if (it[i].code < 0 || !it[i].tracked)
			continue;
		if ((error = bc_level_of(&lv[it[i].lvi], env, 1)) < 0)
			item_fail(&it[i], error);
	}
	/* a failed lookup leaves known 0: those are counted, never sent */
	memset(&ps, 0, sizeof(ps));
	error = push_levels(env, lv, k, &ps);
	for (i = 0; i < k; i++)
		cached += lv[i].cached && !lv[i].sent;
	if (error == PS_EDATA && cached > 0) {
		/* refused: the merchant may have changed a SKU's tracking
		 * or ids since they were cached; read those and try again */
		ps_error_clear();
		for (i = 0; i < n; i++) {
			level *l;

			if (it[i].code < 0 || !it[i].tracked)
				continue;
			l = &lv[it[i].lvi];
			if (l->sent || !l->cached)
				continue;
			if ((error = bc_level_of(l, env, 0)) < 0)
				item_fail(&it[i], error);
		}
		for (i = 0; i < k; i++)
			if (lv[i].sent) /* already set: not again */
				lv[i].bc_level = lv[i].qty;
		memset(&ps, 0, sizeof(ps));
		error = push_levels(env, lv, k, &ps);
	}
	return error;
}

/* One entry's outcome from its product's. */
static int
item_result(ps_flow_result *res, int *code, const stock_item *it,
	    const level *lv)
{
	const level *l;

	*code = 0;
	if (it->code < 0) {
		*code = it->code;
		res->detail = ps_util__strdup(it->why ? it->why
						      : ps_strerror(it->code));
		return res->detail ? 0 : ps_error_set(PS_ENOMEM, NULL);
	}
	if (!it->tracked)
		return ps_pair__result(res, it->match,
				       "skipped: Brightpearl product %s is "
				       "not stock tracked",
				       it->match);
	l = &lv[it->lvi];
	if (l->sent)
		return ps_pair__result(res, l->match,
				       "%s: level %" PRId64 " sent to "
				       "BigCommerce (it had %" PRId64 ")",
				       l->match, l->qty, l->bc_level);
	if (!l->known)
		return ps_pair__result(res, l->match,
				       "skipped: SKU %s is not in "
				       "BigCommerce",
				       l->match);
	if (l->stock.tracking == PS_BC_TRACKING_NONE)
		return ps_pair__result(res, l->match,
				       "skipped: BigCommerce does not track "
				       "the inventory of %s",
				       l->match);
	return ps_pair__result(res, l->match,
			       "%s: BigCommerce already has level %" PRId64,
			       l->match, l->qty);
}

/*
 * The stock entries entries[pick[0..m-1]] together: one product GET for
 * the products whose match value is not cached, one availability GET and
 * one BigCommerce send for them all (Brightpearl id sets take 200 ids, a
 * send 2000 levels, and a batch is at most PS_FLOW_BATCH_MAX entries), so
 * a burst of stock changes costs a few requests instead of three each.
 * Entries of the same product share its outcome.  Returns < 0 only when
 * nothing was attempted (settings, memory).
 */
static int
perform_stock(ps_flow_env *env, const ps_log_entry *entries, const size_t *pick,
	      size_t m, ps_flow_result *results, int *codes)
{
	stock_item *it = NULL, key, *hit;
	level *lv = NULL;
	char *field = NULL, *wh = NULL;
	int64_t *pids = NULL;
	size_t i, n = 0, k = 0;
	int error, perr;

	if ((error = settings_warehouses(&wh, env->store)) < 0 ||
	    (error = ps_settings_get(&field, env->store,
				     PS_SET_BC_ITEMS_PRODUCT_MATCH_FIELD)) < 0)
		goto done;
	pids = calloc(m + 1, sizeof(*pids));
	it = calloc(m + 1, sizeof(*it));
	lv = calloc(m + 1, sizeof(*lv));
	if (pids == NULL || it == NULL || lv == NULL) {
		error = ps_error_set(PS_ENOMEM, NULL);
		goto done;
	}
	for (i = 0; i < m; i++) {
		if ((codes[pick[i]] = ps_pair__entry_subject(
			     &pids[i], &entries[pick[i]])) < 0) {
			results[pick[i]].detail =
				ps_util__strdup(ps_error_last());
			ps_error_clear();
			pids[i] = 0;
			continue;
		}
	}
	qsort(pids, m, sizeof(*pids), cmp_i64);
	for (i = 0; i < m; i++)
		if (pids[i] > 0 && (n == 0 || it[n - 1].pid != pids[i]))
			it[n++].pid = pids[i];
	if ((error = items_match(it, n, env, field)) < 0 ||
	    (error = items_levels(it, n, lv, &k, env, wh)) < 0)
		goto done;
	if ((perr = levels_push(it, n, lv, k, env)) < 0) {
		/* what was not sent for this failed send */
		for (i = 0; i < n; i++) {
			level *l = &lv[it[i].lvi];

			if (it[i].code == 0 && it[i].tracked && l->known &&
			    l->stock.tracking != PS_BC_TRACKING_NONE &&
			    l->bc_level != l->qty && !l->sent) {
				ps_error_set(perr, "%s", ps_error_last());
				item_fail(&it[i], perr);
			}
		}
		ps_error_clear();
	}
	for (i = 0; i < m; i++) {
		size_t e = pick[i];
		int64_t pid;

		if (codes[e] < 0)
			continue;
		if (ps_pair__entry_subject(&pid, &entries[e]) < 0) {
			ps_error_clear();
			continue;
		}
		key.pid = pid;
		hit = bsearch(&key, it, n, sizeof(*it), cmp_item);
		if (hit != NULL &&
		    (error = item_result(&results[e], &codes[e], hit, lv)) < 0)
			goto done;
	}
done:
	for (i = 0; it != NULL && i < n; i++) {
		free(it[i].match);
		free(it[i].why);
	}
	free(it);
	free(lv);
	free(pids);
	free(field);
	free(wh);
	return error;
}

static int
perform_one(ps_flow_env *env, const ps_log_entry *entry, ps_flow_result *res)
{
	size_t pick = 0;
	int code = 0, error;

	if ((error = perform_stock(env, entry, &pick, 1, res, &code)) < 0)
		return error;
	if (code < 0) {
		error = ps_error_set(code, "%s",
				     res->detail ? res->detail
						 : ps_strerror(code));
		free(res->detail);
		res->detail = NULL;
	}
	return error;
}

/* ---- full reconcile ------------------------------------------------- */

static int
cmp_sku(const void *a, const void *b)
{
	return strcmp(((const ps_bc_sku *)a)->sku, ((const ps_bc_sku *)b)->sku);
}

static int
cmp_pid(const void *a, const void *b)
{
	int64_t x = ((const ps_bp_product_ref *)a)->id;
	int64_t y = ((const ps_bp_product_ref *)b)->id;

	return (x > y) - (x < y);
}

/* Match BigCommerce's SKUs to the products; refresh the cache. */
static int
match_skus(ps_flow_env *env, level *lv, size_t n, ps_bc_sku_list *skus,
	   push_stats *ps)
{
	size_t i;
	int error;

	if (skus->count == 0) /* an empty store: items is NULL */
		return 0;
	qsort(skus->items, skus->count, sizeof(*skus->items), cmp_sku);
	if ((error = ps_store_begin(env->store)) < 0)
		return error;
	for (i = 0; i < n && error == 0; i++) {
		ps_bc_sku key, *hit;

		key.sku = (char *)(uintptr_t)lv[i].match;
		hit = bsearch(&key, skus->items, skus->count,
			      sizeof(*skus->items), cmp_sku);
		if (hit == NULL)
			continue;
		level_from_sku(&lv[i], hit);
		ps->read++;
		error = bc_cache_set(env->store, lv[i].match, &lv[i].stock,
				     lv[i].bc_level, env->now);
	}
	if (error < 0) {
		ps_store_rollback(env->store);
		return error;
	}
	return ps_store_commit(env->store);
}

static int
perform_all(ps_flow_env *env, ps_flow_result *res)
{
	ps_bp_product_ref *prods = NULL;
	ps_bc_sku_list skus = {NULL, 0};
	ps_bp_stock_list stock = {NULL, 0};
	char *field = NULL, *wh = NULL;
	int64_t ids[AVAIL_CHUNK];
	level *lv = NULL;
	size_t n = 0, i, pos = 0;
	push_stats ps;
	int error;

	memset(&ps, 0, sizeof(ps));
	if ((error = settings_warehouses(&wh, env->store)) < 0 ||
	    (error = ps_settings_get(&field, env->store,
				     PS_SET_BC_ITEMS_PRODUCT_MATCH_FIELD)) < 0)
		goto done;
	/*
	 * The order bounds the memory: BigCommerce's list first (its walk
	 * is the largest transient), matched to the products as soon as they
	 * are known and dropped; then Brightpearl's availability one id set
	 * at a time; then the sends.  No two large parts are held at once.
	 */
	if ((error = ps_bc_inventory_list(&skus, PS_PAIR_BC(env))) < 0 ||
	    (error = ps_bp_products_tracked(&prods, &n, PS_PAIR_BP(env),
					    field)) < 0)
		goto done;
	if (n > 0) /* none tracked: prods may be NULL */
		qsort(prods, n, sizeof(*prods), cmp_pid);
	if ((lv = calloc(n + 1, sizeof(*lv))) == NULL) {
		error = ps_error_set(PS_ENOMEM, NULL);
		goto done;
	}
	for (i = 0; i < n; i++)
		lv[i].match = prods[i].match;
	if ((error = match_skus(env, lv, n, &skus, &ps)) < 0)
		goto done;
	ps_bc_sku_list_dispose(&skus);
	/* the level cache's 20,000 rows were written: their pages need not
	 * stay resident (the worker's memory bound) */
	ps_store_release_memory(env->store);
	/* one id set's availability at a time, summed and dropped: every
	 * warehouse row of 20,000 products is never held at once */
	for (i = 0; i < n; i += AVAIL_CHUNK) {
		size_t k = n - i < AVAIL_CHUNK ? n - i : AVAIL_CHUNK, j;

		for (j = 0; j < k; j++)
			ids[j] = prods[i + j].id;
		if ((error = ps_bp_availability_get(&stock, PS_PAIR_BP(env),
						    ids, k)) < 0)
			goto done;
		for (pos = 0, j = i; j < i + k; j++)
			lv[j].qty = ps_pair__bp_level(&stock, &pos, prods[j].id,
						      wh);
		ps_bp_stock_list_dispose(&stock);
	}
	error = push_levels(env, lv, n, &ps);
	/* the pass, for the zero-stock anomaly (anomalies.h) */
	if ((error == 0 || ps.sent > 0) &&
	    ps_stock_pass_record(env->store, FLOW, env->now, (int64_t)n,
				 (int64_t)ps.zeroed, ps.zeroed_skus) < 0)
		ps_error_clear(); /* a figure for the alerts, not the sync */
	if (error < 0 && ps.sent > 0) /* say what did change */
		error = ps_util__error_wrap(error,
					    "%zu levels corrected (%s) before",
					    ps.sent, ps.changed);
	if (error == 0)
		error = stats_result(res, &ps, n);
done:
	ps_bp_stock_list_dispose(&stock);
	ps_bc_sku_list_dispose(&skus);
	ps_bp_product_refs_free(prods, n);
	free(lv);
	free(field);
	free(wh);
	return error;
}

static int
inv_perform(ps_flow_env *env, const ps_log_entry *entry, ps_flow_result *res)
{
	if (PS_PAIR_BP(env) == NULL || PS_PAIR_BC(env) == NULL)
		return ps_error_set(PS_ESETTING,
				    "waiting for the Brightpearl and "
				    "BigCommerce connections");
	if (ps_log_entry_is(entry, PS_PAIR_KIND_INVENTORY_RECONCILE))
		return perform_all(env, res);
	if (!ps_log_entry_is(entry, PS_PAIR_KIND_PRODUCT_STOCK))
		return ps_error_set(PS_EDATA,
				    "inventory entry %lld of kind '%s' not "
				    "understood",
				    (long long)entry->id,
				    entry->kind ? entry->kind : "");
	return perform_one(env, entry, res);
}

/*
 * perform_batch slot: the stock entries due together share their reads
 * and their send (perform_stock); a reconcile among them runs on its own,
 * and an entry of another kind fails as perform would fail it.
 */
static int
inv_perform_batch(ps_flow_env *env, const ps_log_entry *entries, size_t n,
		  ps_flow_result *results, int *codes)
{
	size_t pick[PS_FLOW_BATCH_MAX], m = 0, i;
	int error;

	if (PS_PAIR_BP(env) == NULL || PS_PAIR_BC(env) == NULL ||
	    n > PS_FLOW_BATCH_MAX)
		return ps_error_set(PS_ESETTING,
				    "waiting for the Brightpearl and "
				    "BigCommerce connections");
	for (i = 0; i < n; i++) {
		codes[i] = 0;
		if (ps_log_entry_is(&entries[i], PS_PAIR_KIND_PRODUCT_STOCK))
			pick[m++] = i;
	}
	if (m > 0 &&
	    (error = perform_stock(env, entries, pick, m, results, codes)) < 0)
		return error;
	for (i = 0; i < n; i++) {
		if (ps_log_entry_is(&entries[i], PS_PAIR_KIND_PRODUCT_STOCK))
			continue;
		if ((codes[i] = inv_perform(env, &entries[i], &results[i])) <
		    0) {
			free(results[i].detail);
			results[i].detail = ps_util__strdup(ps_error_last());
			ps_error_clear();
		}
	}
	return 0;
}

/* What the flow writes (README.md, "Who writes what"). */
static const ps_flow_owns inv_owns[] = {
	{PS_PLATFORM_BIGCOMMERCE, "product", "inventory_level",
	 PS_PLATFORM_BRIGHTPEARL},
	{PS_PLATFORM_BIGCOMMERCE, "variant", "inventory_level",
	 PS_PLATFORM_BRIGHTPEARL},
};

/*
 * replay slot: a stock level is a state, not an event, so a window means
 * nothing for it: a replay queues one reconcile of every product (the
 * poll's entry), which sets each BigCommerce level that differs.
 */
static int
inv_replay(ps_flow_env *env, struct ps_replay *r)
{
	ps_log_entry e;
	char key[64];
	int64_t id = 0;
	int error;

	/* the poll's key: a reconcile at this moment, new by construction */
	snprintf(key, sizeof(key), "inventory:reconcile:%" PRId64, env->now);
	if (!ps_replay_dry_run(r)) {
		ps_log_entry_init(&e);
		/* borrowed strings: e is never disposed */
		e.flow = (char *)(uintptr_t)FLOW;
		e.dedupe_key = key;
		e.kind = (char *)(uintptr_t)PS_PAIR_KIND_INVENTORY_RECONCILE;
		e.source_platform = PS_PLATFORM_BRIGHTPEARL;
		e.source_id = (char *)(uintptr_t) "all";
		e.target_platform = PS_PLATFORM_BIGCOMMERCE;
		if ((error = ps_store_log_add(&id, env->store, &e, env->now)) <
		    0)
			return error;
	}
	return ps_replay_report(r, "inventory", "all", PS_REPLAY_QUEUED, id,
				"stock levels have no window: %s one "
				"reconcile of every product",
				ps_replay_dry_run(r) ? "would queue"
						     : "queued");
}

const ps_flow_ops ps_flow_inventory_export_bc = {
	.name = FLOW,
	.alias = "inventory",
	.description = "Brightpearl stock levels to BigCommerce",
	.source = PS_PLATFORM_BRIGHTPEARL,
	.target = PS_PLATFORM_BIGCOMMERCE,
	.enabled_setting = PS_SET_BC_INVENTORY_ENABLED,
	.owns = inv_owns,
	.nowns = PS__ARRAY_LEN(inv_owns),
	.init = inv_init,
	.fini = ps_pair__hooks_fini,
	.on_event = inv_on_event,
	.poll = inv_poll,
	.poll_interval_ms = 60000,
	.perform = inv_perform,
	.perform_batch = inv_perform_batch,
	.replay = inv_replay,
	.replay_help = "levels have no window: queues one reconcile of every "
		       "product, which sets each BigCommerce level that "
		       "differs.",
};
