/*
 * inventory_export_bc.c - Brightpearl stock levels to BigCommerce.
 *
 * The level of a product is the sum of the available ("on hand": in stock
 * less allocated) quantities in the warehouses of inventory.warehouses.
 * Products are matched on items.product_match_field: the Brightpearl
 * identity field against the BigCommerce variant SKU.
 *
 * Two kinds of entry:
 *   bp:stock:<product>:ev<event>  a "product.modified.on-hand-modified"
 *                                 webhook: that product's level;
 *   inventory:reconcile:<ms>      recorded by poll every
 *                                 inventory.interval_minutes: every
 *                                 stock-tracked product at once.
 *
 * Only levels that differ from the last level pushed (or, before the
 * first push, from BigCommerce's own level) are sent, in requests of as
 * many items as BigCommerce takes (2000).  Products BigCommerce does not
 * track are skipped and counted in the entry's detail.  The store's cache
 * table remembers, per match value, the last level pushed
 * ("inventory.pushed.<value>") and the BigCommerce SKU's ids and tracking
 * ("inventory.bc.<value>"), and per Brightpearl product its match value
 * ("inventory.bp.<id>"), so one stock change costs three requests.
 * Absolute levels make every send safe to repeat.
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

#define FLOW "inventory_export_bc"
#define CURSOR "inventory_export_bc.reconcile"

static const char *const bp_events[] = {"product.modified.on-hand-modified"};

/* One level to push. */
typedef struct level {
	const char *match;      /* borrowed */
	int64_t qty;
	ps_bc_stock stock;      /* filled when BigCommerce has the SKU */
	int known;              /* BigCommerce has the SKU */
	int64_t bc_level;       /* BigCommerce's level when known, else -1 */
} level;

typedef struct push_stats {
	size_t sent, unchanged, untracked, missing;
	char first_untracked[96];
	char first_missing[96];
} push_stats;

static int
inv_init(void **out_state, ps_flow_env *env)
{
	return ps_bcret__hooks_init(out_state, env, bp_events,
				    PS__ARRAY_LEN(bp_events));
}

static int
inv_on_event(ps_flow_env *env, const ps_event *ev)
{
	ps_bcret_event e;
	char key[128], id[32];
	size_t i;
	int error;

	if (ev->platform != PS_PLATFORM_BRIGHTPEARL)
		return 0;
	if ((error = ps_bcret__event_parse(&e, ev)) < 0)
		return error == PS_EINVAL ? 0 : error;
	if (!ps_bcret__event_is(&e, "product.modified.on-hand-modified"))
		return 0;
	for (i = 0; i < e.nids; i++) {
		snprintf(id, sizeof(id), "%" PRId64, e.ids[i]);
		snprintf(key, sizeof(key), "bp:stock:%s:ev%" PRId64, id,
			 ev->id);
		if ((error = ps_bcret__log_add(env, FLOW, key,
					       PS_PLATFORM_BRIGHTPEARL, id,
					       PS_PLATFORM_BIGCOMMERCE,
					       NULL)) < 0)
			return error;
	}
	return 0;
}

static int
inv_poll(ps_flow_env *env)
{
	char *last = NULL, key[64], now[32];
	int64_t minutes = 15, prev = 0;
	int error = 0;

	if ((error = ps_bcret__hooks_poll(env, bp_events,
					  PS__ARRAY_LEN(bp_events))) < 0)
		return error;
	if (ps_settings_get_int(&minutes, env->store,
				"inventory.interval_minutes") < 0)
		ps_error_clear();
	if (ps_store_cursor_get(&last, NULL, env->store, CURSOR) == 0)
		prev = strtoll(last, NULL, 10);
	else
		ps_error_clear();
	free(last);
	if (prev > 0 && env->now - prev < minutes * 60000)
		return 0;
	snprintf(now, sizeof(now), "%" PRId64, env->now);
	snprintf(key, sizeof(key), "inventory:reconcile:%s", now);
	if ((error = ps_store_begin(env->store)) < 0)
		return error;
	if ((error = ps_bcret__log_add(env, FLOW, key, PS_PLATFORM_BRIGHTPEARL,
				       "all", PS_PLATFORM_BIGCOMMERCE, NULL)) <
		0 ||
	    (error = ps_store_cursor_set(env->store, CURSOR, now, env->now)) <
		0) {
		ps_store_rollback(env->store);
		return error;
	}
	return ps_store_commit(env->store);
}

/* ---- cache helpers -------------------------------------------------- */

static int
cache_get_i64(int64_t *out, ps_store *st, const char *prefix,
	      const char *name)
{
	char kind[256], *v = NULL;
	int error;

	snprintf(kind, sizeof(kind), "%s%s", prefix, name);
	if ((error = ps_store_cache_get(&v, NULL, st, kind)) < 0) {
		ps_error_clear();
		return error;
	}
	*out = strtoll(v, NULL, 10);
	free(v);
	return 0;
}

static int
cache_set_text(ps_store *st, const char *prefix, const char *name,
	       const char *value, int64_t now)
{
	char kind[256];

	snprintf(kind, sizeof(kind), "%s%s", prefix, name);
	return ps_store_cache_set(st, kind, value, now);
}

static int
bc_cache_get(level *l, ps_store *st)
{
	char kind[256], *v = NULL;
	long long t, p, var, lv;
	int error;

	snprintf(kind, sizeof(kind), "inventory.bc.%s", l->match);
	if ((error = ps_store_cache_get(&v, NULL, st, kind)) < 0) {
		ps_error_clear();
		return error;
	}
	if (sscanf(v, "%lld:%lld:%lld:%lld", &t, &p, &var, &lv) != 4) {
		free(v);
		return PS_ENOTFOUND;
	}
	free(v);
	l->stock.tracking = (ps_bc_tracking)t;
	l->stock.product_id = p;
	l->stock.variant_id = var;
	l->bc_level = lv;
	l->known = 1;
	return 0;
}

static int
bc_cache_set(ps_store *st, const char *match, const ps_bc_sku *s, int64_t now)
{
	char v[128];

	snprintf(v, sizeof(v), "%d:%" PRId64 ":%" PRId64 ":%" PRId64,
		 (int)s->tracking, s->product_id, s->variant_id,
		 s->inventory_level);
	return cache_set_text(st, "inventory.bc.", match, v, now);
}

static int
settings_warehouses(char **out, ps_store *st)
{
	int error = ps_settings_get(out, st, "inventory.warehouses");

	if (error == 0 && (*out)[0] == '\0') {
		free(*out);
		*out = NULL;
		error = PS_ESETTING;
	}
	if (error < 0)
		return ps_error_set(PS_ESETTING,
				    "waiting for setting inventory.warehouses");
	return 0;
}

/* Sum the selected warehouses' on-hand per product of stock. */
static int64_t
sum_for(const ps_bp_stock_list *stock, size_t *pos, int64_t product,
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

/*
 * Send the levels that changed; remember what was sent.  Levels whose
 * BigCommerce SKU is not known yet are looked up one by one.
 */
static int
push_levels(ps_flow_env *env, level *lv, size_t n, push_stats *ps)
{
	ps_bc_stock *send = NULL;
	size_t *idx = NULL, i, k = 0;
	char num[32];
	int error = 0;

	memset(ps, 0, sizeof(*ps));
	send = calloc(n + 1, sizeof(*send));
	idx = calloc(n + 1, sizeof(*idx));
	if (send == NULL || idx == NULL) {
		error = ps_error_set(PS_ENOMEM, NULL);
		goto done;
	}
	for (i = 0; i < n; i++) {
		level *l = &lv[i];
		int64_t pushed;

		if (!l->known && bc_cache_get(l, env->store) < 0) {
			ps_bc_sku s;

			memset(&s, 0, sizeof(s));
			error = ps_bc_catalog_find_sku(&s, env->bc, l->match);
			if (error == PS_ENOTFOUND) {
				ps_error_clear();
				error = 0;
				if (ps->missing++ == 0)
					ps_util__strlcpy(
					    ps->first_missing, l->match,
					    sizeof(ps->first_missing));
				continue;
			}
			if (error < 0)
				goto done;
			l->stock.tracking = s.tracking;
			l->stock.product_id = s.product_id;
			l->stock.variant_id = s.variant_id;
			l->bc_level = s.inventory_level;
			l->known = 1;
			error = bc_cache_set(env->store, l->match, &s,
					     env->now);
			ps_bc_sku_dispose(&s);
			if (error < 0)
				goto done;
		}
		if (l->stock.tracking == PS_BC_TRACKING_NONE) {
			if (ps->untracked++ == 0)
				ps_util__strlcpy(ps->first_untracked, l->match,
						 sizeof(ps->first_untracked));
			continue;
		}
		if (cache_get_i64(&pushed, env->store, "inventory.pushed.",
				  l->match) < 0)
			pushed = l->bc_level;
		if (pushed == l->qty) {
			ps->unchanged++;
			continue;
		}
		send[k] = l->stock;
		send[k].quantity = l->qty;
		idx[k++] = i;
	}
	if (k > 0 &&
	    (error = ps_bc_inventory_set(&ps->sent, env->bc, send, k,
					 "Brightpearl stock level")) < 0)
		goto done;
	/* remember what was pushed (and the unchanged ones' level) */
	if ((error = ps_store_begin(env->store)) < 0)
		goto done;
	for (i = 0; i < k && error == 0; i++) {
		snprintf(num, sizeof(num), "%" PRId64, lv[idx[i]].qty);
		error = cache_set_text(env->store, "inventory.pushed.",
				       lv[idx[i]].match, num, env->now);
	}
	if (error < 0)
		ps_store_rollback(env->store);
	else
		error = ps_store_commit(env->store);
done:
	free(send);
	free(idx);
	return error;
}

static int
stats_result(ps_flow_result *res, const push_stats *ps, size_t total)
{
	return ps_bcret__result(
	    res, NULL,
	    "%zu products: %zu levels sent, %zu unchanged, %zu skipped "
	    "(BigCommerce does not track inventory%s%s%s), %zu not in "
	    "BigCommerce%s%s%s",
	    total, ps->sent, ps->unchanged, ps->untracked,
	    ps->untracked ? ": e.g. " : "", ps->first_untracked,
	    ps->untracked > 1 ? ", ..." : "", ps->missing,
	    ps->missing ? ": e.g. " : "", ps->first_missing,
	    ps->missing > 1 ? ", ..." : "");
}

/* ---- one product ---------------------------------------------------- */

static int
match_of(char **out, ps_flow_env *env, int64_t pid, const char *field)
{
	ps_bp_product_list pl = {NULL, 0, NULL};
	ps_bp_identity ident;
	const char *v = NULL;
	char num[32], kind[64];
	int error;

	*out = NULL;
	snprintf(kind, sizeof(kind), "inventory.bp.%" PRId64, pid);
	if (ps_store_cache_get(out, NULL, env->store, kind) == 0)
		return 0;
	ps_error_clear();
	if ((error = ps_bp_identity_parse(&ident, field)) < 0)
		return ps_error_set(PS_ESETTING,
				    "items.product_match_field '%s' is not "
				    "supported",
				    field);
	if ((error = ps_bp_product_get(&pl, env->bp, &pid, 1)) < 0)
		goto done;
	if (pl.n == 0) {
		error = ps_error_set(PS_ENOTFOUND,
				     "Brightpearl product %" PRId64 " not found",
				     pid);
		goto done;
	}
	switch (ident) {
	case PS_BP_IDENTITY_SKU: v = pl.items[0].sku; break;
	case PS_BP_IDENTITY_BARCODE: v = pl.items[0].barcode; break;
	case PS_BP_IDENTITY_EAN: v = pl.items[0].ean; break;
	case PS_BP_IDENTITY_UPC: v = pl.items[0].upc; break;
	case PS_BP_IDENTITY_ISBN: v = pl.items[0].isbn; break;
	case PS_BP_IDENTITY_MPN: v = pl.items[0].mpn; break;
	default: break;
	}
	if (v == NULL || v[0] == '\0') {
		snprintf(num, sizeof(num), "%" PRId64, pid);
		error = ps_error_set(PS_EDATA,
				     "Brightpearl product %s has no %s", num,
				     field);
		goto done;
	}
	if ((*out = ps_util__strdup(v)) == NULL) {
		error = ps_error_set(PS_ENOMEM, NULL);
		goto done;
	}
	error = ps_store_cache_set(env->store, kind, v, env->now);
done:
	ps_bp_product_list_dispose(&pl);
	return error;
}

static int
perform_one(ps_flow_env *env, int64_t pid, ps_flow_result *res)
{
	ps_bp_stock_list stock = {NULL, 0};
	char *field = NULL, *wh = NULL, *match = NULL;
	push_stats ps;
	level l;
	size_t pos = 0;
	int error;

	if ((error = settings_warehouses(&wh, env->store)) < 0 ||
	    (error = ps_settings_get(&field, env->store,
				     "items.product_match_field")) < 0)
		goto done;
	if ((error = match_of(&match, env, pid, field)) < 0)
		goto done;
	if ((error = ps_bp_availability_get(&stock, env->bp, &pid, 1)) < 0)
		goto done;
	memset(&l, 0, sizeof(l));
	l.match = match;
	l.bc_level = -1;
	if (stock.n == 0) {
		error = ps_bcret__result(res, NULL,
					 "skipped: Brightpearl product %s is "
					 "not stock tracked",
					 match);
		goto done;
	}
	l.qty = sum_for(&stock, &pos, pid, wh);
	if ((error = push_levels(env, &l, 1, &ps)) < 0)
		goto done;
	if (ps.sent)
		error = ps_bcret__result(res, match, "%s: level %" PRId64
						     " sent to BigCommerce",
					 match, l.qty);
	else
		error = stats_result(res, &ps, 1);
done:
	ps_bp_stock_list_dispose(&stock);
	free(match);
	free(field);
	free(wh);
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
	int64_t x = ((const ps_bcret_bp_product *)a)->id;
	int64_t y = ((const ps_bcret_bp_product *)b)->id;

	return (x > y) - (x < y);
}

static int
perform_all(ps_flow_env *env, ps_flow_result *res)
{
	ps_bcret_bp_product *prods = NULL;
	ps_bc_sku_list skus = {NULL, 0};
	ps_bp_stock_list stock = {NULL, 0};
	char *field = NULL, *wh = NULL;
	int64_t *ids = NULL;
	level *lv = NULL;
	size_t n = 0, i, pos = 0;
	push_stats ps;
	int error;

	if ((error = settings_warehouses(&wh, env->store)) < 0 ||
	    (error = ps_settings_get(&field, env->store,
				     "items.product_match_field")) < 0)
		goto done;
	if ((error = ps_bcret__bp_products_tracked(&prods, &n, env->bp,
						   field)) < 0)
		goto done;
	qsort(prods, n, sizeof(*prods), cmp_pid);
	ids = calloc(n + 1, sizeof(*ids));
	lv = calloc(n + 1, sizeof(*lv));
	if (ids == NULL || lv == NULL) {
		error = ps_error_set(PS_ENOMEM, NULL);
		goto done;
	}
	for (i = 0; i < n; i++)
		ids[i] = prods[i].id;
	if ((error = ps_bp_availability_get(&stock, env->bp, ids, n)) < 0)
		goto done;
	if ((error = ps_bc_catalog_list_skus(&skus, env->bc)) < 0)
		goto done;
	qsort(skus.items, skus.count, sizeof(*skus.items), cmp_sku);
	if ((error = ps_store_begin(env->store)) < 0)
		goto done;
	for (i = 0; i < skus.count && error == 0; i++)
		error = bc_cache_set(env->store, skus.items[i].sku,
				     &skus.items[i], env->now);
	if (error < 0) {
		ps_store_rollback(env->store);
		goto done;
	}
	if ((error = ps_store_commit(env->store)) < 0)
		goto done;
	for (i = 0; i < n; i++) {
		ps_bc_sku key, *hit;

		lv[i].match = prods[i].match;
		lv[i].qty = sum_for(&stock, &pos, prods[i].id, wh);
		lv[i].bc_level = -1;
		key.sku = prods[i].match;
		hit = bsearch(&key, skus.items, skus.count,
			      sizeof(*skus.items), cmp_sku);
		if (hit != NULL) {
			lv[i].known = 1;
			lv[i].stock.tracking = hit->tracking;
			lv[i].stock.product_id = hit->product_id;
			lv[i].stock.variant_id = hit->variant_id;
			lv[i].bc_level = hit->inventory_level;
		}
	}
	/* SKUs missing from the catalogue listing are not looked up again */
	for (i = 0; i < n; i++)
		if (!lv[i].known) {
			lv[i].known = 1;
			lv[i].stock.tracking = PS_BC_TRACKING_NONE;
			lv[i].match = prods[i].match;
			lv[i].bc_level = -2;
		}
	if ((error = push_levels(env, lv, n, &ps)) < 0)
		goto done;
	/* push_levels counted the missing ones as untracked: split them */
	for (i = 0; i < n; i++)
		if (lv[i].bc_level == -2) {
			ps.untracked--;
			if (ps.missing++ == 0)
				ps_util__strlcpy(ps.first_missing,
						 lv[i].match,
						 sizeof(ps.first_missing));
		}
	if (ps.untracked == 0)
		ps.first_untracked[0] = '\0';
	error = stats_result(res, &ps, n);
done:
	ps_bp_stock_list_dispose(&stock);
	ps_bc_sku_list_dispose(&skus);
	ps_bcret__bp_products_free(prods, n);
	free(ids);
	free(lv);
	free(field);
	free(wh);
	return error;
}

static int
inv_perform(ps_flow_env *env, const ps_log_entry *entry, ps_flow_result *res)
{
	char *end;
	int64_t pid;

	if (env->bp == NULL || env->bc == NULL)
		return ps_error_set(PS_ESETTING,
				    "waiting for the Brightpearl and "
				    "BigCommerce connections");
	if (strncmp(entry->dedupe_key, "inventory:reconcile:", 20) == 0)
		return perform_all(env, res);
	pid = entry->source_id ? strtoll(entry->source_id, &end, 10) : 0;
	if (pid <= 0 || *end != '\0')
		return ps_error_set(PS_EDATA, "entry has no Brightpearl product");
	return perform_one(env, pid, res);
}

const ps_flow_ops ps_flow_inventory_export_bc = {
	.name = FLOW,
	.alias = "inventory",
	.description = "Brightpearl stock levels to BigCommerce",
	.source = PS_PLATFORM_BRIGHTPEARL,
	.target = PS_PLATFORM_BIGCOMMERCE,
	.enabled_setting = "inventory.enabled",
	.init = inv_init,
	.fini = ps_bcret__hooks_fini,
	.on_event = inv_on_event,
	.poll = inv_poll,
	.poll_interval_ms = 60000,
	.perform = inv_perform,
};
