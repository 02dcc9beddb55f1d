/*
 * inventory_export.c - Brightpearl stock levels to DSCO.
 *
 * An item's level per DSCO warehouse is the sum of the on-hand (in stock
 * less allocated) quantities of the Brightpearl warehouses in
 * dsco.inventory.warehouses that the dsco_warehouse mapping sends to that
 * DSCO warehouse code; quantityAvailable is their sum and the status
 * in-stock or out-of-stock follows from it.
 *
 * Items: every stock-tracked Brightpearl product by its SKU, and every
 * row of the dsco_product mapping (DSCO identifier -> Brightpearl
 * product, the order import's manual map) under the DSCO identifier.
 * Batches go with skipItemsThatDontExist=true, so SKUs that are not in the
 * supplier's DSCO catalogue cost nothing and fail nothing.
 *
 * Three kinds of entry (kind, then dedupe key):
 *   inventory.sync       dsco:inventory:sync:<ms>, recorded by poll every
 *                        dsco.inventory.interval_minutes (at once on an
 *                        operator's "run now"): only the levels that
 *                        differ from what pearlsync last sent;
 *   inventory.reconcile  dsco:inventory:reconcile:<ms>, every
 *                        dsco.inventory.reconcile_hours: every level.  The
 *                        connector offers no read of DSCO's levels, so the
 *                        reconcile sends them all (absolute levels: safe);
 *   product.stock        dsco:inventory:sku:<sku>:<levels>, a FAILED entry
 *                        recorded for an item DSCO refused in a batch
 *                        (the reason names the SKU and DSCO's words), or
 *                        one whose SKU is longer than the 90 characters
 *                        DSCO takes (never sent); its retry sends that
 *                        item alone, synchronously.
 * What was sent is remembered per SKU (cache "dsco.inv.<sku>": the
 * warehouse codes and quantities as sent) once DSCO's change log says the
 * batch is done; a batch whose outcome is not known yet (still processing,
 * a transport error) is not remembered and goes again.  A refused item is
 * remembered too (its failed entry carries it), so it is not resent every
 * interval until its level changes.
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

#define FLOW "inventory_export_dsco"
#define CURSOR_SYNC "inventory_export_dsco.sync"
#define CURSOR_RECONCILE "inventory_export_dsco.reconcile"
/* Items per batch request (DSCO takes up to 5 MB per request). */
#define BATCH_ITEMS 500
/* DSCO warehouse codes one item may be sent to. */
#define CODES_MAX 32
/* The longest SKU DSCO takes. */
#define SKU_MAX 90
/* SKUs named in an entry's detail. */
#define SKUS_NAMED 10

/* ---- poll ------------------------------------------------------------- */

static int64_t
setting_minutes(ps_store *st, const char *key, int64_t def, int64_t unit)
{
	int64_t v = def;

	if (ps_settings_get_int(&v, st, key) < 0 || v < 1) {
		ps_error_clear();
		v = def;
	}
	return v * unit;
}

static int64_t
cursor_ms(ps_store *st, const char *cursor)
{
	char *last = NULL;
	int64_t v = 0;

	if (ps_store_cursor_get(&last, NULL, st, cursor) == 0)
		v = strtoll(last, NULL, 10);
	else
		ps_error_clear();
	free(last);
	return v;
}

static int
inv_poll(ps_flow_env *env)
{
	int64_t sync_every, rec_every, last_sync, last_rec;
	const char *kind, *what;
	char key[96], now[32];
	int error, reconcile;

	if (PS_DSOUT_BP(env) == NULL || PS_DSOUT_DSCO(env) == NULL)
		return 0; /* nothing piles up while a connection is missing */
	sync_every = setting_minutes(
		env->store, PS_SET_DSCO_INVENTORY_INTERVAL_MINUTES, 5, 60000);
	rec_every = setting_minutes(
		env->store, PS_SET_DSCO_INVENTORY_RECONCILE_HOURS, 24, 3600000);
	last_sync = cursor_ms(env->store, CURSOR_SYNC);
	last_rec = cursor_ms(env->store, CURSOR_RECONCILE);
	reconcile = last_rec == 0 || env->now - last_rec >= rec_every;
	if (!reconcile && !env->run_now && last_sync > 0 &&
	    env->now - last_sync < sync_every)
		return 0;
	kind = reconcile ? PS_DSOUT_KIND_STOCK_RECONCILE
			 : PS_DSOUT_KIND_STOCK_SYNC;
	what = reconcile ? "reconcile" : "sync";
	snprintf(now, sizeof(now), "%" PRId64, env->now);
	snprintf(key, sizeof(key), "dsco:inventory:%s:%s", what, now);
	if ((error = ps_store_begin(env->store)) < 0)
		return error;
	if ((error = ps_pair__log_add(env, FLOW, key, kind, NULL, NULL,
				      PS_PLATFORM_BRIGHTPEARL, "all",
				      PS_PLATFORM_DSCO, NULL)) < 0 ||
	    (error = ps_store_cursor_set(env->store, CURSOR_SYNC, now,
					 env->now)) < 0 ||
	    (reconcile &&
	     (error = ps_store_cursor_set(env->store, CURSOR_RECONCILE, now,
					  env->now)) < 0)) {
		ps_store_rollback(env->store);
		return error;
	}
	return ps_store_commit(env->store);
}

/* ---- levels ----------------------------------------------------------- */

/* The chosen Brightpearl warehouses and their DSCO codes. */
typedef struct whmap {
	int64_t bp[CODES_MAX];
	size_t code_of[CODES_MAX]; /* index into codes */
	size_t nbp;
	char *codes[CODES_MAX]; /* owned, distinct */
	size_t ncodes;
} whmap;

static void
whmap_dispose(whmap *w)
{
	size_t i;

	for (i = 0; i < w->ncodes; i++)
		free(w->codes[i]);
	memset(w, 0, sizeof(*w));
}

static int
whmap_load(whmap *w, ps_store *st)
{
	char *list = NULL, *p, *end, *code = NULL;
	size_t i;
	int error;

	memset(w, 0, sizeof(*w));
	if ((error = ps_settings_get(&list, st,
				     PS_SET_DSCO_INVENTORY_WAREHOUSES)) < 0 ||
	    list[0] == '\0') {
		free(list);
		return ps_error_set(PS_ESETTING, "waiting for setting "
						 "dsco.inventory.warehouses");
	}
	for (p = list; *p != '\0';) {
		int64_t id = strtoll(p, &end, 10);

		if (end == p) {
			p++;
			continue;
		}
		p = end;
		if (w->nbp == CODES_MAX) {
			error = ps_error_set(PS_ESETTING,
					     "dsco.inventory.warehouses: more "
					     "than %d warehouses",
					     CODES_MAX);
			goto done;
		}
		if ((error = ps_dsout__map(&code, st, PS_DSOUT_MAP_WAREHOUSE,
					   id)) < 0)
			goto done;
		if (code == NULL) {
			error = ps_error_set(PS_EMAPPING,
					     "Brightpearl warehouse %" PRId64
					     " has no dsco_warehouse mapping "
					     "to a DSCO warehouse code",
					     id);
			goto done;
		}
		for (i = 0; i < w->ncodes; i++)
			if (strcmp(w->codes[i], code) == 0)
				break;
		if (i == w->ncodes) {
			w->codes[w->ncodes++] = code;
			code = NULL;
		}
		free(code);
		code = NULL;
		w->bp[w->nbp] = id;
		w->code_of[w->nbp++] = i;
	}
	error = 0;
done:
	free(code);
	free(list);
	if (error < 0)
		whmap_dispose(w);
	return error;
}

/* One item as DSCO will get it. */
typedef struct item {
	char *sku; /* owned */
	int64_t pid;
	int64_t qty[CODES_MAX];
	char levels[256]; /* "WH01=4,WH02=0": what is remembered */
	int changed;
} item;

static void
items_free(item *v, size_t n)
{
	size_t i;

	for (i = 0; v != NULL && i < n; i++)
		free(v[i].sku);
	free(v);
}

typedef struct map_ctx {
	item *v;
	size_t n, cap;
	int error;
} map_ctx;

static int
item_add(map_ctx *m, const char *sku, int64_t pid)
{
	item *nv;

	if (m->n == m->cap) {
		m->cap = m->cap ? m->cap * 2 : 64;
		if ((nv = realloc(m->v, m->cap * sizeof(*nv))) == NULL)
			return ps_error_set(PS_ENOMEM, NULL);
		m->v = nv;
	}
	memset(&m->v[m->n], 0, sizeof(m->v[m->n]));
	if ((m->v[m->n].sku = ps_util__strdup(sku)) == NULL)
		return ps_error_set(PS_ENOMEM, NULL);
	m->v[m->n++].pid = pid;
	return 0;
}

static int
mapped_row(const ps_mapping *mp, void *payload)
{
	map_ctx *m = payload;
	char *end;
	int64_t pid;

	if (mp->source == NULL || mp->source[0] == '\0' || mp->target == NULL)
		return 0;
	pid = strtoll(mp->target, &end, 10);
	if (*end != '\0' || pid <= 0)
		return 0;
	return (m->error = item_add(m, mp->source, pid)) < 0 ? m->error : 0;
}

static int
cmp_sku(const void *a, const void *b)
{
	return strcmp(((const item *)a)->sku, ((const item *)b)->sku);
}

/*
 * Every item into *out: the mapped ones, then the tracked products by
 * SKU (a SKU the mapping already gives is not added twice).  pid_only >
 * 0: only that product.
 */
static int
items_load(item **out, size_t *out_n, ps_flow_env *env, int64_t pid_only)
{
	ps_bp_product_ref *prods = NULL;
	map_ctx m;
	size_t n = 0, i, nmapped;
	int error;

	memset(&m, 0, sizeof(m));
	if ((error = ps_store_mapping_foreach(env->store, PS_DSOUT_MAP_PRODUCT,
					      PS_DSOUT_DSCO_BP, mapped_row,
					      &m)) < 0 ||
	    (error = m.error) < 0)
		goto done;
	nmapped = m.n;
	if ((error = ps_bp_products_tracked(&prods, &n, PS_DSOUT_BP(env),
					    "sku")) < 0)
		goto done;
	for (i = 0; i < n; i++) {
		size_t j;

		for (j = 0; j < nmapped; j++)
			if (strcmp(m.v[j].sku, prods[i].match) == 0)
				break;
		if (j == nmapped &&
		    (error = item_add(&m, prods[i].match, prods[i].id)) < 0)
			goto done;
	}
	if (pid_only > 0) {
		size_t k = 0;

		for (i = 0; i < m.n; i++) {
			if (m.v[i].pid == pid_only)
				m.v[k++] = m.v[i];
			else
				free(m.v[i].sku);
		}
		m.n = k;
	}
	if (m.n > 0)
		qsort(m.v, m.n, sizeof(*m.v), cmp_sku);
	*out = m.v;
	*out_n = m.n;
	m.v = NULL;
	m.n = 0;
done:
	ps_bp_product_refs_free(prods, n);
	items_free(m.v, m.n);
	return error;
}

/* An item's place in the product order (for the stock rows). */
typedef struct by_pid {
	int64_t pid;
	size_t i;
} by_pid;

static int
cmp_by_pid(const void *a, const void *b)
{
	int64_t x = ((const by_pid *)a)->pid, y = ((const by_pid *)b)->pid;

	return (x > y) - (x < y);
}

/* Fill each item's quantities from Brightpearl's availability. */
static int
levels_load(item *v, size_t n, ps_flow_env *env, const whmap *w)
{
	ps_bp_stock_list stock = {NULL, 0};
	by_pid *order;
	int64_t *ids;
	size_t i, j, k, nids = 0;
	int error;

	if (n == 0)
		return 0;
	ids = calloc(n, sizeof(*ids));
	order = calloc(n, sizeof(*order));
	if (ids == NULL || order == NULL) {
		error = ps_error_set(PS_ENOMEM, NULL);
		goto done;
	}
	for (i = 0; i < n; i++) {
		order[i].pid = v[i].pid;
		order[i].i = i;
	}
	qsort(order, n, sizeof(*order), cmp_by_pid);
	for (i = 0; i < n; i++)
		if (nids == 0 || ids[nids - 1] != order[i].pid)
			ids[nids++] = order[i].pid;
	if ((error = ps_bp_availability_get(&stock, PS_DSOUT_BP(env), ids,
					    nids)) < 0)
		goto done;
	for (k = 0; k < stock.n; k++) {
		const ps_bp_stock *s = &stock.items[k];
		by_pid key, *hit;

		if (s->warehouse_id == 0 || s->on_hand <= 0)
			continue;
		key.pid = s->product_id;
		if ((hit = bsearch(&key, order, n, sizeof(*order),
				   cmp_by_pid)) == NULL)
			continue;
		while (hit > order && hit[-1].pid == s->product_id)
			hit--;
		for (j = 0; j < w->nbp; j++) {
			by_pid *h;

			if (w->bp[j] != s->warehouse_id)
				continue;
			for (h = hit; h < order + n && h->pid == s->product_id;
			     h++)
				v[h->i].qty[w->code_of[j]] += s->on_hand;
		}
	}
	for (i = 0; i < n; i++) {
		size_t len = 0;

		v[i].levels[0] = '\0';
		for (j = 0; j < w->ncodes && len < sizeof(v[i].levels); j++)
			len += (size_t)snprintf(v[i].levels + len,
						sizeof(v[i].levels) - len,
						"%s%s=%" PRId64, j ? "," : "",
						w->codes[j], v[i].qty[j]);
	}
	error = 0;
done:
	ps_bp_stock_list_dispose(&stock);
	free(order);
	free(ids);
	return error;
}

static void
memory_key(char *buf, size_t cap, const char *sku)
{
	snprintf(buf, cap, "dsco.inv.%s", sku);
}

/* Mark the items whose levels differ from what was last sent. */
static void
mark_changed(item *v, size_t n, ps_store *st, int all)
{
	char key[160], *last = NULL;
	size_t i;

	for (i = 0; i < n; i++) {
		if (all) {
			v[i].changed = 1;
			continue;
		}
		memory_key(key, sizeof(key), v[i].sku);
		if (ps_store_cache_get(&last, NULL, st, key) < 0) {
			ps_error_clear();
			v[i].changed = 1;
			continue;
		}
		v[i].changed = strcmp(last, v[i].levels) != 0;
		free(last);
		last = NULL;
	}
}

/* The DSCO form of item it (whs: room for w->ncodes). */
static void
stock_item(ps_dsco_stock_item *out, ps_dsco_stock_warehouse *whs,
	   const item *it, const whmap *w)
{
	int64_t sum = 0;
	size_t j;

	for (j = 0; j < w->ncodes; j++) {
		whs[j].code = w->codes[j];
		whs[j].quantity = it->qty[j];
		sum += it->qty[j];
	}
	out->sku = it->sku;
	out->status =
		sum > 0 ? PS_DSCO_STOCK_IN_STOCK : PS_DSCO_STOCK_OUT_OF_STOCK;
	out->warehouses = whs;
	out->nwarehouses = w->ncodes;
}

/* Remember levels as sent for sku (inside the caller's transaction). */
static int
remember(ps_flow_env *env, const item *it)
{
	char key[160];

	memory_key(key, sizeof(key), it->sku);
	return ps_store_cache_set(env->store, key, it->levels, env->now);
}

/* A FAILED entry for an item DSCO refused. */
static int
record_refused(ps_flow_env *env, const item *it, const char *why)
{
	ps_log_entry e;
	char key[512], pid[32], reason[768];

	snprintf(key, sizeof(key), "dsco:inventory:sku:%s:%s", it->sku,
		 it->levels);
	snprintf(pid, sizeof(pid), "%" PRId64, it->pid);
	snprintf(reason, sizeof(reason),
		 "SKU %s: DSCO refused the level %s: %s", it->sku, it->levels,
		 why);
	ps_log_entry_init(&e);
	e.flow = (char *)(uintptr_t)FLOW;
	e.dedupe_key = key;
	e.kind = (char *)(uintptr_t)PS_DSOUT_KIND_SKU_STOCK;
	e.subject = pid;
	e.source_platform = PS_PLATFORM_BRIGHTPEARL;
	e.source_id = pid;
	e.target_platform = PS_PLATFORM_DSCO;
	e.target_id = it->sku;
	e.status = PS_ENTRY_FAILED;
	e.reason = reason;
	e.error_code = PS_EDATA;
	return ps_store_log_add(NULL, env->store, &e, env->now);
}

typedef struct push_stats {
	size_t sent, batches, refused;
	char named[512];
} push_stats;

static void
name_sku(push_stats *ps, const item *it)
{
	size_t len = strlen(ps->named);

	if (ps->sent > SKUS_NAMED || len + 1 >= sizeof(ps->named))
		return;
	snprintf(ps->named + len, sizeof(ps->named) - len, "%s%s %s",
		 len ? ", " : "", it->sku,
		 ps->sent == SKUS_NAMED ? "..." : it->levels);
}

/* The item of v[idx[0..n)] named by a change-log subject "sku X". */
static const item *
item_of_subject(item *v, const size_t *idx, size_t n, const char *subject)
{
	size_t i;

	if (subject == NULL || strncmp(subject, "sku ", 4) != 0)
		return NULL;
	for (i = 0; i < n; i++)
		if (strcmp(v[idx[i]].sku, subject + 4) == 0)
			return &v[idx[i]];
	return NULL;
}

/*
 * One batch (v[idx[0..n)]): send, follow the change log, remember what
 * DSCO took and record a failed entry for each item it refused.
 */
static int
push_batch(ps_flow_env *env, item *v, const size_t *idx, size_t n,
	   const whmap *w, push_stats *ps)
{
	ps_dsco_stock_item *items;
	ps_dsco_stock_warehouse *whs;
	ps_dsco_change_log log;
	ps_dsco_follow_options fo = {500, 5000, 60000};
	char *rid = NULL;
	size_t i, j;
	int error, failed = 0;

	memset(&log, 0, sizeof(log));
	items = calloc(n, sizeof(*items));
	whs = calloc(n * w->ncodes + 1, sizeof(*whs));
	if (items == NULL || whs == NULL) {
		error = ps_error_set(PS_ENOMEM, NULL);
		goto done;
	}
	for (i = 0; i < n; i++)
		stock_item(&items[i], whs + i * w->ncodes, &v[idx[i]], w);
	if ((error = ps_dsco_inventory_batch(&rid, PS_DSOUT_DSCO(env), items, n,
					     1)) < 0)
		goto done;
	ps->batches++;
	error = ps_dsco_request_follow(NULL, PS_DSOUT_DSCO(env),
				       PS_DSCO_LOG_INVENTORY, rid, &fo);
	if (error == PS_EDATA) {
		failed = 1;
		ps_error_clear();
		if ((error = ps_dsco_change_log_get(&log, PS_DSOUT_DSCO(env),
						    PS_DSCO_LOG_INVENTORY,
						    rid)) < 0)
			goto done;
	}
	if (error < 0)
		goto done;
	if ((error = ps_store_begin(env->store)) < 0)
		goto done;
	for (i = 0; i < n && error == 0; i++) {
		const item *it = &v[idx[i]];
		const char *why = NULL;

		for (j = 0; failed && j < log.count; j++)
			if (log.items[j].status == PS_DSCO_OUTCOME_FAILURE &&
			    item_of_subject(v, idx, n, log.items[j].subject) ==
				    it)
				why = log.items[j].results;
		if (why != NULL) {
			ps->refused++;
			error = record_refused(env, it,
					       why[0] ? why : "failed");
		} else {
			name_sku(ps, it);
			ps->sent++;
		}
		if (error == 0)
			error = remember(env, it);
	}
	if (error < 0) {
		ps_store_rollback(env->store);
		goto done;
	}
	error = ps_store_commit(env->store);
done:
	ps_dsco_change_log_dispose(&log);
	free(rid);
	free(items);
	free(whs);
	return error;
}

static int
perform_levels(ps_flow_env *env, int all, ps_flow_result *res)
{
	item *v = NULL;
	size_t n = 0, i, nidx = 0, *idx = NULL, total_changed = 0;
	push_stats ps;
	whmap w;
	int error;

	memset(&ps, 0, sizeof(ps));
	if ((error = whmap_load(&w, env->store)) < 0)
		return error;
	if ((error = items_load(&v, &n, env, 0)) < 0 ||
	    (error = levels_load(v, n, env, &w)) < 0)
		goto done;
	mark_changed(v, n, env->store, all);
	if ((idx = calloc(n + 1, sizeof(*idx))) == NULL) {
		error = ps_error_set(PS_ENOMEM, NULL);
		goto done;
	}
	for (i = 0; i < n && error == 0; i++) {
		if (!v[i].changed)
			continue;
		if (strlen(v[i].sku) <= SKU_MAX) {
			idx[nidx++] = i;
			continue;
		}
		/* DSCO takes no longer SKU: never sent, a failed entry */
		ps.refused++;
		if ((error = ps_store_begin(env->store)) < 0)
			break;
		if ((error = record_refused(env, &v[i],
					    "longer than the 90 characters "
					    "DSCO takes")) < 0 ||
		    (error = remember(env, &v[i])) < 0) {
			ps_store_rollback(env->store);
			break;
		}
		error = ps_store_commit(env->store);
	}
	if (error < 0)
		goto done;
	total_changed = nidx + ps.refused;
	for (i = 0; i < nidx && error == 0; i += BATCH_ITEMS)
		error = push_batch(env, v, idx + i,
				   nidx - i < BATCH_ITEMS ? nidx - i
							  : BATCH_ITEMS,
				   &w, &ps);
	if (error < 0) {
		if (ps.sent > 0)
			error = ps_util__error_wrap(
				error, "%zu levels sent (%s) before", ps.sent,
				ps.named);
		goto done;
	}
	error = ps_pair__result(
		res, NULL,
		"%s: %zu items read, %zu %s, %zu sent in %zu "
		"batch%s%s%s%s, %zu refused",
		all ? "reconcile" : "changed levels", n, total_changed,
		all ? "sent again" : "changed", ps.sent, ps.batches,
		ps.batches == 1 ? "" : "es", ps.named[0] ? " (" : "", ps.named,
		ps.named[0] ? ")" : "", ps.refused);
done:
	free(idx);
	items_free(v, n);
	whmap_dispose(&w);
	return error;
}

/* A refused item's retry: that product's items alone, synchronously. */
static int
perform_sku(ps_flow_env *env, const ps_log_entry *entry, ps_flow_result *res)
{
	ps_dsco_stock_warehouse whs[CODES_MAX];
	ps_dsco_stock_item si;
	item *v = NULL;
	size_t n = 0, i;
	int64_t pid;
	whmap w;
	int error;

	if ((error = ps_pair__entry_subject(&pid, entry)) < 0)
		return error;
	if ((error = whmap_load(&w, env->store)) < 0)
		return error;
	if ((error = items_load(&v, &n, env, pid)) < 0 ||
	    (error = levels_load(v, n, env, &w)) < 0)
		goto done;
	for (i = 0; i < n; i++) {
		if (entry->target_id != NULL && entry->target_id[0] != '\0' &&
		    strcmp(entry->target_id, v[i].sku) != 0)
			continue;
		stock_item(&si, whs, &v[i], &w);
		if ((error = ps_dsco_inventory_send(PS_DSOUT_DSCO(env), &si)) <
		    0) {
			error = ps_util__error_wrap(error, "SKU %s", v[i].sku);
			goto done;
		}
		if ((error = remember(env, &v[i])) < 0)
			goto done;
		error = ps_pair__result(res, v[i].sku, "SKU %s: level %s sent",
					v[i].sku, v[i].levels);
		goto done;
	}
	error = ps_pair__result(res, NULL,
				"skipped: Brightpearl product %" PRId64
				" is no longer an item for DSCO",
				pid);
done:
	items_free(v, n);
	whmap_dispose(&w);
	return error;
}

static int
inv_perform(ps_flow_env *env, const ps_log_entry *entry, ps_flow_result *res)
{
	if (PS_DSOUT_BP(env) == NULL || PS_DSOUT_DSCO(env) == NULL)
		return ps_error_set(PS_ESETTING, "waiting for the Brightpearl "
						 "and DSCO connections");
	if (ps_log_entry_is(entry, PS_DSOUT_KIND_STOCK_SYNC))
		return perform_levels(env, 0, res);
	if (ps_log_entry_is(entry, PS_DSOUT_KIND_STOCK_RECONCILE))
		return perform_levels(env, 1, res);
	if (ps_log_entry_is(entry, PS_DSOUT_KIND_SKU_STOCK))
		return perform_sku(env, entry, res);
	return ps_error_set(
		PS_EDATA, "inventory entry %lld of kind '%s' not understood",
		(long long)entry->id, entry->kind ? entry->kind : "");
}

static const ps_flow_owns inv_owns[] = {
	{PS_PLATFORM_DSCO, "item", "inventory", PS_PLATFORM_BRIGHTPEARL},
};

const ps_flow_ops ps_flow_inventory_export_dsco = {
	.name = FLOW,
	.alias = "dsco-inventory",
	.description = "Brightpearl stock levels to DSCO inventory",
	.source = PS_PLATFORM_BRIGHTPEARL,
	.target = PS_PLATFORM_DSCO,
	.enabled_setting = PS_SET_DSCO_INVENTORY_ENABLED,
	.owns = inv_owns,
	.nowns = PS__ARRAY_LEN(inv_owns),
	.poll = inv_poll,
	.poll_interval_ms = 0,
	.perform = inv_perform,
};
