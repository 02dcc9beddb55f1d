/*
 * reconcile.c - what differs between BigCommerce and Brightpearl: the
 * pair's ps_reconciler (reconcile.h), listed in its flow group.
 *
 * Over a window of BigCommerce order creation dates it reports:
 *
 *   missing    a BigCommerce order with no Brightpearl order, and why,
 *              from the order import's own filters and log entry: its
 *              status is not imported (filtered), a guest order with
 *              guests off (guest), the import failed (failed, with the
 *              entry's reason), no entry at all (never_seen), queued but
 *              not done (pending), skipped when it was filtered and
 *              importable now (skipped), or imported as an order
 *              Brightpearl no longer has (gone);
 *   orphan     a Brightpearl order created in the window that claims a
 *              BigCommerce order (externalRef with the reference prefix,
 *              or the order cross-reference) which BigCommerce does not
 *              have, or has archived;
 *   total      BigCommerce's total_inc_tax and the Brightpearl order's
 *              total differ to the cent;
 *   shipment   Brightpearl shipped more of an imported order (shipped
 *              goods-out notes) than BigCommerce shows shipped
 *              (items_shipped);
 *   stock      for the SKUs the inventory flow manages, Brightpearl's
 *              availability in bigcommerce.inventory.warehouses (as the
 *              flow sums it) differs from BigCommerce's level.
 *
 * Reads, all batched: the BigCommerce order list (250 a page, modified
 * since the window's start, then filtered by creation date), one
 * Brightpearl order search (500 a page) for the claims, the Brightpearl
 * orders by id set for the totals, the shipped goods-out note search and
 * the notes by id set, and for stock the inventory flow's own reads
 * (product search, availability by id set, BigCommerce's inventory
 * list).  A claimed BigCommerce order outside the listing is read with
 * the ranged id read (ps_bc_orders_get_many); only one that read does
 * not return is read on its own, to tell "archived" from "does not
 * exist".
 *
 * queue records a missing order's import exactly as the import's poll
 * does (key bc:order:<id>:import, kind order.import), or makes its failed
 * or skipped entry due again; the import's own guards (externalRef with
 * the instance id, lookup before a retry creates) keep it exactly once.
 */
#include "flows/bigcommerce/order_import_int.h"
#include "internal.h"
#include "setting_keys.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pearlsync/reconcile.h"
#include "pearlsync/settings.h"

#define GROUP "bigcommerce"
#define FLOW_IMPORT "order_import_bc"
/* how long after its window a Brightpearl order still counts as the
 * window's (an import retried the next day) */
#define IMPORT_LAG_S 86400
/* a missing order whose import entry says it was imported */
#define WHY_GONE "gone"

/* One BigCommerce order of the window and its Brightpearl order. */
typedef struct rc_order {
	const ps_bc_order *o;
	int64_t bp_id; /* 0: none found */
} rc_order;

/* A Brightpearl order claiming a BigCommerce order. */
typedef struct rc_claim {
	int64_t bp_id;
	int64_t bc_id;
	int how_xref; /* claimed by the cross-reference, not externalRef */
	/* created by the end of the window (and a day's import lag):
	 * checked for orphans; later ones only link the window's orders */
	int in_window;
} rc_claim;

typedef struct rc_ctx {
	ps_recon_report *out;
	ps_flow_env *env;
	ps_oib_settings s;
	ps_bc_order_list bc; /* the listing */
	rc_order *ord;       /* the window's orders */
	size_t nord;
	rc_claim *claims;
	size_t nclaims;
} rc_ctx;

static void
item_init(ps_recon_item *it, ps_recon_kind kind)
{
	memset(it, 0, sizeof(*it));
	it->kind = kind;
	ps_util__strlcpy(it->group, GROUP, sizeof(it->group));
}

static void
fmt_money(char *buf, size_t cap, ps_money m)
{
	ps_money_format(buf, cap, m, 2);
}

/* m in whole cents, rounded half away from zero. */
static int64_t
cents(ps_money m)
{
	int64_t half = PS_MONEY_SCALE / 200;

	return (m >= 0 ? m + half : m - half) / (PS_MONEY_SCALE / 100);
}

static void
iso_time(char *buf, size_t cap, int64_t unix_s)
{
	time_t t = (time_t)unix_s;
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, cap, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static int
cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

static int
has_id(const int64_t *sorted, size_t n, int64_t id)
{
	return n > 0 &&
	       bsearch(&id, sorted, n, sizeof(*sorted), cmp_i64) != NULL;
}

/* The BigCommerce order an externalRef names, or 0. */
static int64_t
ref_order(const ps_oib_settings *s, const ps_bp_order_claim *c)
{
	const char *p = c->external_ref, *prefix = s->reference_prefix;
	size_t plen = prefix ? strlen(prefix) : 0;
	int64_t id = 0;

	if (p[0] == '\0' || (plen > 0 && strncmp(p, prefix, plen) != 0))
		return 0;
	/* an order of another integration carries its own instance id */
	if (s->instance_id > 0 && c->instance_id > 0 &&
	    c->instance_id != s->instance_id)
		return 0;
	for (p += plen; *p >= '0' && *p <= '9'; p++)
		if ((id = id * 10 + (*p - '0')) > INT64_MAX / 10)
			return 0;
	return *p == '\0' && p > c->external_ref + plen ? id : 0;
}

/* The Brightpearl orders created since the window's start that claim a
 * BigCommerce order (sales orders only). */
static int
read_claims(rc_ctx *c, const ps_recon_query *q)
{
	ps_bp_order_claim *v = NULL;
	char since[32];
	size_t n = 0, i;
	int error;

	iso_time(since, sizeof(since), q->since);
	if ((error = ps_bp_orders_created_since(&v, &n, PS_PAIR_BP(c->env),
						since)) < 0)
		return error;
	if ((c->claims = calloc(n + 1, sizeof(*c->claims))) == NULL) {
		free(v);
		return ps_error_set(PS_ENOMEM, "out of memory");
	}
	for (i = 0; i < n; i++) {
		int64_t bc = 0, created_ms = 0;
		int xref = 0;

		if (v[i].type_id > 1) /* a credit, a purchase */
			continue;
		if ((bc = ref_order(&c->s, &v[i])) == 0) {
			if (ps_pair__bc_order_of(&bc, c->env->store, v[i].id) <
			    0) {
				ps_error_clear();
				continue;
			}
			xref = 1;
		}
		c->claims[c->nclaims].bp_id = v[i].id;
		c->claims[c->nclaims].bc_id = bc;
		c->claims[c->nclaims].how_xref = xref;
		c->claims[c->nclaims].in_window =
			ps_bp_time_parse(&created_ms, v[i].created_on) < 0 ||
			created_ms / 1000 <= q->until + IMPORT_LAG_S;
		c->nclaims++;
	}
	free(v);
	return 0;
}

/* ---- missing orders ---------------------------------------------------- */

/* Why o has no Brightpearl order, from its import entry and the filters. */
static int
missing(rc_ctx *c, const ps_bc_order *o)
{
	ps_recon_item it;
	ps_log_entry e;
	char key[64], why[256], status_id[16];
	int error, importable;

	item_init(&it, PS_RECON_MISSING);
	snprintf(it.source_id, sizeof(it.source_id), "%" PRId64, o->id);
	fmt_money(it.source_value, sizeof(it.source_value), o->total_inc_tax);
	importable = ps_oib__importable(&c->s, o, why, sizeof(why));
	snprintf(status_id, sizeof(status_id), "%d", o->status_id);
	snprintf(key, sizeof(key), "bc:order:%" PRId64 ":import", o->id);
	ps_log_entry_init(&e);
	error = ps_store_log_get_by_key(&e, c->env->store, key);
	if (error == PS_ENOTFOUND) {
		ps_error_clear();
		error = 0;
		e.id = 0;
	} else if (error < 0) {
		return error;
	}
	if (!importable && (e.id == 0 || e.status == PS_ENTRY_SYNCED)) {
		/* the import's own filter: the status first, then guests */
		int guest = ps_settings_list_contains(c->s.import_statuses,
						      status_id) &&
			    o->customer_id == 0 && !c->s.import_guests;

		ps_util__strlcpy(it.why,
				 guest ? PS_RECON_WHY_GUEST
				       : PS_RECON_WHY_FILTERED,
				 sizeof(it.why));
		snprintf(it.text, sizeof(it.text), "order %" PRId64 ": %s",
			 o->id, why);
	} else if (e.id == 0) {
		ps_util__strlcpy(it.why, PS_RECON_WHY_NEVER_SEEN,
				 sizeof(it.why));
		snprintf(it.text, sizeof(it.text),
			 "order %" PRId64 ": never seen (no log entry)", o->id);
		it.queueable = 1;
	} else if (e.status == PS_ENTRY_FAILED) {
		ps_util__strlcpy(it.why, PS_RECON_WHY_FAILED, sizeof(it.why));
		snprintf(it.text, sizeof(it.text),
			 "order %" PRId64 ": import failed (entry %" PRId64
			 "): \"%.200s\"",
			 o->id, e.id, e.reason ? e.reason : "");
		it.queueable = 1;
	} else if (e.status != PS_ENTRY_SYNCED) {
		ps_util__strlcpy(it.why, PS_RECON_WHY_PENDING, sizeof(it.why));
		snprintf(it.text, sizeof(it.text),
			 "order %" PRId64 ": import queued (entry %" PRId64
			 "), not done yet%s%.200s",
			 o->id, e.id, e.reason && e.reason[0] ? ": " : "",
			 e.reason ? e.reason : "");
	} else if (e.target_id == NULL || e.target_id[0] == '\0') {
		ps_util__strlcpy(it.why, PS_RECON_WHY_SKIPPED, sizeof(it.why));
		snprintf(it.text, sizeof(it.text),
			 "order %" PRId64 ": skipped (entry %" PRId64
			 ") and importable now",
			 o->id, e.id);
		it.queueable = 1;
	} else {
		ps_util__strlcpy(it.why, WHY_GONE, sizeof(it.why));
		ps_util__strlcpy(it.target_id, e.target_id,
				 sizeof(it.target_id));
		snprintf(it.text, sizeof(it.text),
			 "order %" PRId64 ": imported as Brightpearl order "
			 "%.40s (entry %" PRId64
			 "), which Brightpearl does not "
			 "list",
			 o->id, e.target_id, e.id);
	}
	ps_log_entry_dispose(&e);
	return ps_recon_add(c->out, &it);
}

/* ---- orders claiming a BigCommerce order that is not there ------------- */

static int
orphan(rc_ctx *c, const rc_claim *cl, const char *what)
{
	ps_recon_item it;

	item_init(&it, PS_RECON_ORPHAN);
	snprintf(it.source_id, sizeof(it.source_id), "%" PRId64, cl->bc_id);
	snprintf(it.target_id, sizeof(it.target_id), "%" PRId64, cl->bp_id);
	snprintf(it.text, sizeof(it.text),
		 "Brightpearl order %" PRId64 " claims BigCommerce order "
		 "%" PRId64 " (%s), which %s",
		 cl->bp_id, cl->bc_id,
		 cl->how_xref ? "cross-reference" : "externalRef", what);
	return ps_recon_add(c->out, &it);
}

static int
orphans(rc_ctx *c)
{
	ps_bc_order_list got = {0};
	int64_t *known = NULL, *ask = NULL;
	size_t i, j, nask = 0;
	int error = 0;

	if (c->nclaims == 0)
		return 0;
	known = calloc(c->bc.count + 1, sizeof(*known));
	ask = calloc(c->nclaims + 1, sizeof(*ask));
	if (known == NULL || ask == NULL) {
		error = ps_error_set(PS_ENOMEM, "out of memory");
		goto done;
	}
	for (i = 0; i < c->bc.count; i++)
		known[i] = c->bc.items[i].id;
	qsort(known, c->bc.count, sizeof(*known), cmp_i64);
	for (i = 0; i < c->nclaims; i++)
		if (c->claims[i].in_window &&
		    !has_id(known, c->bc.count, c->claims[i].bc_id))
			ask[nask++] = c->claims[i].bc_id;
	if (nask == 0)
		goto done;
	qsort(ask, nask, sizeof(*ask), cmp_i64);
	for (i = j = 0; i < nask; i++) /* unique */
		if (j == 0 || ask[j - 1] != ask[i])
			ask[j++] = ask[i];
	nask = j;
	if ((error = ps_bc_orders_get_many(&got, PS_PAIR_BC(c->env), ask,
					   nask)) < 0)
		goto done;
	for (i = 0; i < nask && error == 0; i++) {
		ps_bc_order one;
		const char *what = NULL;
		size_t k;

		if (i < got.count && got.items[i].id == ask[i] &&
		    !got.items[i].is_deleted)
			continue;
		memset(&one, 0, sizeof(one));
		/* the ranged read leaves archived orders out: ask this one */
		error = ps_bc_order_get(&one, PS_PAIR_BC(c->env), ask[i]);
		if (error == PS_ENOTFOUND) {
			ps_error_clear();
			error = 0;
			what = "does not exist in BigCommerce";
		} else if (error == 0 && one.is_deleted) {
			what = "is archived in BigCommerce";
		}
		ps_bc_order_dispose(&one);
		for (k = 0; what != NULL && error == 0 && k < c->nclaims; k++)
			if (c->claims[k].bc_id == ask[i] &&
			    c->claims[k].in_window)
				error = orphan(c, &c->claims[k], what);
	}
done:
	ps_bc_order_list_dispose(&got);
	free(known);
	free(ask);
	return error;
}

/* ---- totals and shipments of the imported orders ----------------------- */

static const ps_bp_order *
bp_order_in(const ps_bp_order_list *l, int64_t id)
{
	size_t lo = 0, hi = l->n;

	while (lo < hi) { /* sorted by id */
		size_t mid = lo + (hi - lo) / 2;

		if (l->items[mid].id == id)
			return &l->items[mid];
		if (l->items[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static int
totals(rc_ctx *c, ps_bp_order_list *bp)
{
	int64_t *ids;
	size_t i, n = 0;
	int error;

	if ((ids = calloc(c->nord + 1, sizeof(*ids))) == NULL)
		return ps_error_set(PS_ENOMEM, "out of memory");
	for (i = 0; i < c->nord; i++)
		if (c->ord[i].bp_id > 0)
			ids[n++] = c->ord[i].bp_id;
	error = n > 0 ? ps_bp_order_get(bp, PS_PAIR_BP(c->env), ids, n) : 0;
	free(ids);
	for (i = 0; i < c->nord && error == 0; i++) {
		const ps_bc_order *o = c->ord[i].o;
		const ps_bp_order *b;
		ps_recon_item it;

		if (c->ord[i].bp_id <= 0)
			continue;
		if ((b = bp_order_in(bp, c->ord[i].bp_id)) == NULL) {
			/* linked, and Brightpearl no longer has it */
			c->ord[i].bp_id = 0;
			error = missing(c, o);
			continue;
		}
		if (cents(o->total_inc_tax) == cents(b->total))
			continue;
		item_init(&it, PS_RECON_TOTAL);
		snprintf(it.source_id, sizeof(it.source_id), "%" PRId64, o->id);
		snprintf(it.target_id, sizeof(it.target_id), "%" PRId64, b->id);
		fmt_money(it.source_value, sizeof(it.source_value),
			  o->total_inc_tax);
		fmt_money(it.target_value, sizeof(it.target_value), b->total);
		snprintf(it.text, sizeof(it.text),
			 "order %" PRId64 ": BigCommerce total %s, Brightpearl "
			 "order %" PRId64 " total %s",
			 o->id, it.source_value, b->id, it.target_value);
		error = ps_recon_add(c->out, &it);
	}
	return error;
}

static int
cmp_gon_order(const void *a, const void *b)
{
	const ps_bp_gon_ref *x = a, *y = b;

	return (x->order_id > y->order_id) - (x->order_id < y->order_id);
}

static int
shipments(rc_ctx *c, const ps_recon_query *q)
{
	ps_bp_gon_ref *refs = NULL;
	ps_bp_gon_list gl = {NULL, 0, NULL};
	int64_t *linked = NULL, *gids = NULL;
	char since[32];
	size_t nrefs = 0, nlinked = 0, ngids = 0, i, j, k;
	int error;

	iso_time(since, sizeof(since), q->since);
	if ((error = ps_bp_gons_shipped_since(&refs, &nrefs, PS_PAIR_BP(c->env),
					      since)) < 0)
		return error;
	linked = calloc(c->nord + 1, sizeof(*linked));
	gids = calloc(nrefs + 1, sizeof(*gids));
	if (linked == NULL || gids == NULL) {
		error = ps_error_set(PS_ENOMEM, "out of memory");
		goto done;
	}
	for (i = 0; i < c->nord; i++)
		if (c->ord[i].bp_id > 0)
			linked[nlinked++] = c->ord[i].bp_id;
	qsort(linked, nlinked, sizeof(*linked), cmp_i64);
	for (i = 0; i < nrefs; i++)
		if (has_id(linked, nlinked, refs[i].order_id))
			gids[ngids++] = refs[i].id;
	if (ngids == 0)
		goto done;
	if ((error = ps_bp_gon_get(&gl, PS_PAIR_BP(c->env), gids, ngids)) < 0)
		goto done;
	if (nrefs > 1)
		qsort(refs, nrefs, sizeof(*refs), cmp_gon_order);
	for (i = 0; i < c->nord && error == 0; i++) {
		const ps_bc_order *o = c->ord[i].o;
		int64_t shipped = 0;
		char notes[96] = "";
		ps_recon_item it;

		if (c->ord[i].bp_id <= 0)
			continue;
		for (j = 0; j < gl.n; j++) {
			const ps_bp_gon *g = &gl.items[j];

			if (g->order_id != c->ord[i].bp_id || !g->shipped)
				continue;
			for (k = 0; k < g->nlines; k++)
				shipped += g->lines[k].quantity;
			snprintf(notes + strlen(notes),
				 sizeof(notes) - strlen(notes), "%s%" PRId64,
				 notes[0] ? ", " : "", g->id);
		}
		if (shipped <= o->items_shipped)
			continue;
		item_init(&it, PS_RECON_SHIPMENT);
		snprintf(it.source_id, sizeof(it.source_id), "%" PRId64, o->id);
		snprintf(it.target_id, sizeof(it.target_id), "%" PRId64,
			 c->ord[i].bp_id);
		snprintf(it.source_value, sizeof(it.source_value), "%" PRId64,
			 o->items_shipped);
		snprintf(it.target_value, sizeof(it.target_value), "%" PRId64,
			 shipped);
		snprintf(it.text, sizeof(it.text),
			 "order %" PRId64 ": Brightpearl order %" PRId64
			 " shipped %" PRId64 " item%s (goods-out note%s %s), "
			 "BigCommerce shows %" PRId64 " shipped",
			 o->id, c->ord[i].bp_id, shipped,
			 shipped == 1 ? "" : "s", strchr(notes, ',') ? "s" : "",
			 notes, o->items_shipped);
		error = ps_recon_add(c->out, &it);
	}
done:
	ps_bp_gon_list_dispose(&gl);
	free(refs);
	free(linked);
	free(gids);
	return error;
}

/* ---- stock --------------------------------------------------------------- */

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

static int
stock(rc_ctx *c)
{
	ps_bp_product_ref *prods = NULL;
	ps_bc_sku_list skus = {NULL, 0};
	ps_bp_stock_list avail = {NULL, 0};
	char *field = NULL, *wh = NULL;
	int64_t *ids = NULL;
	size_t n = 0, i, pos = 0;
	int on = 0, error;

	if (ps_settings_get_bool(&on, c->env->store,
				 PS_SET_BC_INVENTORY_ENABLED) < 0 ||
	    !on) {
		ps_error_clear();
		ps_recon_note(c->out, "stock not compared: the inventory flow "
				      "(bigcommerce.inventory.enabled) is off");
		return 0;
	}
	if (ps_settings_get(&wh, c->env->store,
			    PS_SET_BC_INVENTORY_WAREHOUSES) < 0 ||
	    wh[0] == '\0') {
		ps_error_clear();
		free(wh);
		ps_recon_note(c->out, "stock not compared: "
				      "bigcommerce.inventory.warehouses is "
				      "not set");
		return 0;
	}
	if ((error = ps_settings_get(&field, c->env->store,
				     PS_SET_BC_ITEMS_PRODUCT_MATCH_FIELD)) < 0)
		goto done;
	if ((error = ps_bp_products_tracked(&prods, &n, PS_PAIR_BP(c->env),
					    field)) < 0)
		goto done;
	if (n > 0)
		qsort(prods, n, sizeof(*prods), cmp_pid);
	if ((ids = calloc(n + 1, sizeof(*ids))) == NULL) {
		error = ps_error_set(PS_ENOMEM, "out of memory");
		goto done;
	}
	for (i = 0; i < n; i++)
		ids[i] = prods[i].id;
	if ((error = ps_bp_availability_get(&avail, PS_PAIR_BP(c->env), ids,
					    n)) < 0 ||
	    (error = ps_bc_inventory_list(&skus, PS_PAIR_BC(c->env))) < 0)
		goto done;
	if (skus.count > 0)
		qsort(skus.items, skus.count, sizeof(*skus.items), cmp_sku);
	for (i = 0; i < n && error == 0 && skus.count > 0; i++) {
		int64_t level =
			ps_pair__bp_level(&avail, &pos, prods[i].id, wh);
		ps_bc_sku key, *hit;
		ps_recon_item it;

		key.sku = prods[i].match;
		hit = bsearch(&key, skus.items, skus.count, sizeof(*skus.items),
			      cmp_sku);
		if (hit == NULL || hit->tracking == PS_BC_TRACKING_NONE)
			continue; /* the flow leaves these alone too */
		c->out->skus++;
		if (hit->inventory_level == level)
			continue;
		item_init(&it, PS_RECON_STOCK);
		ps_util__strlcpy(it.source_id, prods[i].match,
				 sizeof(it.source_id));
		snprintf(it.target_id, sizeof(it.target_id), "%" PRId64,
			 prods[i].id);
		snprintf(it.source_value, sizeof(it.source_value), "%" PRId64,
			 hit->inventory_level);
		snprintf(it.target_value, sizeof(it.target_value), "%" PRId64,
			 level);
		snprintf(it.text, sizeof(it.text),
			 "SKU %.60s: Brightpearl %" PRId64 " available "
			 "(product %" PRId64 ", warehouses %.40s), BigCommerce "
			 "%" PRId64,
			 prods[i].match, level, prods[i].id, wh,
			 hit->inventory_level);
		error = ps_recon_add(c->out, &it);
	}
done:
	ps_bp_stock_list_dispose(&avail);
	ps_bc_sku_list_dispose(&skus);
	ps_bp_product_refs_free(prods, n);
	free(ids);
	free(field);
	free(wh);
	return error;
}

/* ---- the reconciler ----------------------------------------------------- */

static int
claim_of(const rc_ctx *c, int64_t bc_id)
{
	size_t i;

	for (i = 0; i < c->nclaims; i++)
		if (c->claims[i].bc_id == bc_id && !c->claims[i].how_xref)
			return (int)i;
	return -1;
}

static int
bc_recon_run(ps_recon_report *out, ps_flow_env *env, const ps_recon_query *q)
{
	ps_bc_order_query bq = PS_BC_ORDER_QUERY_INIT;
	ps_bp_order_list bp = {NULL, 0, NULL};
	rc_ctx c;
	size_t i;
	int error;

	memset(&c, 0, sizeof(c));
	c.out = out;
	c.env = env;
	if ((error = ps_oib__settings_load(&c.s, env->store)) < 0)
		return error;
	/* an order created in the window was modified at or after its
	 * creation: list those, keep the window's (archived ones are not
	 * listed) */
	bq.min_date_modified = q->since;
	bq.skip_bad = 1;
	if ((error = ps_bc_orders_list(&c.bc, PS_PAIR_BC(env), &bq)) < 0)
		goto done;
	if ((c.ord = calloc(c.bc.count + 1, sizeof(*c.ord))) == NULL) {
		error = ps_error_set(PS_ENOMEM, "out of memory");
		goto done;
	}
	if ((error = read_claims(&c, q)) < 0)
		goto done;
	for (i = 0; i < c.bc.count; i++) {
		const ps_bc_order *o = &c.bc.items[i];
		int k;

		if (o->date_created < q->since || o->date_created > q->until)
			continue;
		c.ord[c.nord].o = o;
		if (ps_pair__bp_order_of(&c.ord[c.nord].bp_id, env->store,
					 o->id) < 0) {
			ps_error_clear();
			c.ord[c.nord].bp_id = 0;
			if ((k = claim_of(&c, o->id)) >= 0)
				c.ord[c.nord].bp_id = c.claims[k].bp_id;
		}
		c.nord++;
	}
	out->orders += c.nord;
	for (i = 0; i < c.bc.nbad; i++)
		ps_recon_note(out, "BigCommerce order not readable: %.150s",
			      c.bc.bad[i].reason);
	for (i = 0; i < c.nord && error == 0; i++)
		if (c.ord[i].bp_id == 0)
			error = missing(&c, c.ord[i].o);
	if (error == 0)
		error = orphans(&c);
	if (error == 0)
		error = totals(&c, &bp);
	if (error == 0)
		error = shipments(&c, q);
	if (error == 0)
		error = stock(&c);
done:
	ps_bp_order_list_dispose(&bp);
	ps_bc_order_list_dispose(&c.bc);
	ps_oib__settings_dispose(&c.s);
	free(c.ord);
	free(c.claims);
	return error;
}

/* Record (or make due) the import of a missing order, as the poll does. */
static int
bc_recon_queue(ps_store *st, const ps_recon_item *item, int64_t now)
{
	ps_log_entry e;
	char key[96];
	int error;

	if (item->kind != PS_RECON_MISSING || !item->queueable)
		return 0;
	snprintf(key, sizeof(key), "bc:order:%s:import", item->source_id);
	ps_log_entry_init(&e);
	error = ps_store_log_get_by_key(&e, st, key);
	if (error == PS_ENOTFOUND) {
		ps_log_entry n;

		ps_error_clear();
		ps_log_entry_init(&n);
		n.flow = (char *)(uintptr_t)FLOW_IMPORT;
		n.dedupe_key = key;
		n.kind = (char *)(uintptr_t)PS_PAIR_KIND_ORDER_IMPORT;
		n.subject = (char *)(uintptr_t)item->source_id;
		n.order_number = (char *)(uintptr_t)item->source_id;
		n.source_platform = PS_PLATFORM_BIGCOMMERCE;
		n.source_id = (char *)(uintptr_t)item->source_id;
		n.target_platform = PS_PLATFORM_BRIGHTPEARL;
		n.reason = (char *)(uintptr_t) "queued by reconcile";
		error = ps_store_log_add(NULL, st, &n, now);
		return error < 0 ? error : error == 0;
	}
	if (error < 0)
		return error;
	if (e.status == PS_ENTRY_FAILED)
		error = ps_store_log_retry(st, e.id, now);
	else if (e.status == PS_ENTRY_SYNCED &&
		 (e.target_id == NULL || e.target_id[0] == '\0'))
		error = ps_store_log_mark_pending(
			st, e.id, "queued by reconcile", 0, now);
	else
		error = 1; /* already due, or imported */
	ps_log_entry_dispose(&e);
	return error < 0 ? error : error == 0;
}

const ps_reconciler ps_reconciler_bigcommerce = {
	.name = GROUP,
	.title = "BigCommerce and Brightpearl",
	.source = PS_PLATFORM_BIGCOMMERCE,
	.target = PS_PLATFORM_BRIGHTPEARL,
	.run = bc_recon_run,
	.queue = bc_recon_queue,
};
