/*
 * product_sync.c - the initial product sync, Brightpearl -> ShipHero
 * (flow product_sync_sh, alias shiphero-products).
 *
 * The operator starts it ("run now": `pearlsync run shiphero-products`,
 * `pearlsync sync-once shiphero-products` or the console's setup step).
 * Its poll then lists every Brightpearl product with a SKU and queues one
 * sync log entry per product in id order, a chunk per transaction, the
 * cursor (the last product id queued) moving in the same transaction: a
 * kill between chunks resumes after the last committed id, and the
 * entries' dedupe keys ("sh.product:<id>") keep a product from being
 * queued twice.  Performing an entry looks the SKU up in ShipHero first
 * and adopts the product when it exists, so a create whose reply was lost
 * to a kill is never repeated.  Each request goes through the ShipHero
 * limiter, which meters the credit budget.
 *
 * Progress: total (products when the listing started), queued, and the
 * entries synced or failed, from the cursor and the sync log.
 */
#include "flows/shiphero/setup_int.h"
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "pearlsync/brightpearl.h"
#include "pearlsync/log.h"
#include "pearlsync/shiphero.h"

#define MOD "product_sync_sh"
#define FLOW "product_sync_sh"
/* Entries queued per transaction while listing. */
#define CHUNK 200
/* Room for a ShipHero warehouse id. */
#define WAREHOUSE_MAX 128

typedef struct cursor {
	int started, listing;
	int64_t after, total, queued, started_at;
} cursor;

static int
cursor_read(cursor *c, ps_store *st)
{
	char *text = NULL;
	json_t *j;
	int error;

	memset(c, 0, sizeof(*c));
	error = ps_store_cursor_get(&text, NULL, st, PS_SH_PRODUCT_SYNC_STREAM);
	if (error == PS_ENOTFOUND) {
		ps_error_clear();
		return 0;
	}
	if (error < 0)
		return error;
	j = json_loads(text, 0, NULL);
	free(text);
	if (!json_is_object(j)) {
		json_decref(j);
		return ps_error_set(PS_EPARSE,
				    "product sync cursor is garbled");
	}
	c->started = 1;
	c->listing = json_is_true(json_object_get(j, "listing"));
	c->after = json_integer_value(json_object_get(j, "after"));
	c->total = json_integer_value(json_object_get(j, "total"));
	c->queued = json_integer_value(json_object_get(j, "queued"));
	c->started_at = json_integer_value(json_object_get(j, "started_at"));
	json_decref(j);
	return 0;
}

static int
cursor_write(const cursor *c, ps_store *st, int64_t now)
{
	json_t *j = json_pack(
		"{s:b,s:I,s:I,s:I,s:I}", "listing", c->listing, "after",
		(json_int_t)c->after, "total", (json_int_t)c->total, "queued",
		(json_int_t)c->queued, "started_at", (json_int_t)c->started_at);
	char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
	int error;

	json_decref(j);
	if (text == NULL)
		return ps_error_set(PS_ENOMEM, NULL);
	error = ps_store_cursor_set(st, PS_SH_PRODUCT_SYNC_STREAM, text, now);
	free(text);
	return error;
}

static int
count_cb(const char *flow, ps_entry_status status, int64_t count, void *p)
{
	ps_sh_product_progress *pr = p;

	if (strcmp(flow, FLOW) != 0)
		return 0;
	if (status == PS_ENTRY_SYNCED)
		pr->done += count;
	else if (status == PS_ENTRY_FAILED)
		pr->failed += count;
	return 0;
}

int
ps_sh_product_progress_get(ps_sh_product_progress *out, ps_store *st)
{
	cursor c;
	int error;

	memset(out, 0, sizeof(*out));
	if ((error = cursor_read(&c, st)) < 0)
		return error;
	out->started = c.started;
	out->listing = c.listing;
	out->total = c.total;
	out->queued = c.queued;
	out->started_at = c.started_at;
	if (!c.started)
		return 0;
	return ps_store_log_counts(st, 0, count_cb, out);
}

static int
ref_cmp(const void *a, const void *b)
{
	const ps_bp_product_ref *x = a, *y = b;

	return (x->id > y->id) - (x->id < y->id);
}

/* Queue refs[from..] up to CHUNK entries in one transaction with c. */
static int
queue_chunk(size_t *io, const ps_bp_product_ref *refs, size_t n, cursor *c,
	    ps_flow_env *env)
{
	size_t i = *io, end = i + CHUNK < n ? i + CHUNK : n;
	int error;

	if ((error = ps_store_begin(env->store)) < 0)
		return error;
	for (; i < end; i++) {
		ps_log_entry e;
		char key[64], id[32];

		ps_log_entry_init(&e);
		snprintf(id, sizeof(id), "%lld", (long long)refs[i].id);
		snprintf(key, sizeof(key), "sh.product:%s", id);
		e.flow = (char *)FLOW;
		e.dedupe_key = key;
		e.source_platform = PS_PLATFORM_BRIGHTPEARL;
		e.source_id = id;
		e.target_platform = PS_PLATFORM_SHIPHERO;
		e.kind = (char *)"product.create";
		e.subject = id;
		e.order_number = refs[i].match;
		if ((error = ps_store_log_add(NULL, env->store, &e, env->now)) <
		    0)
			goto fail;
		c->after = refs[i].id;
		c->queued++;
	}
	c->listing = end < n;
	if ((error = cursor_write(c, env->store, env->now)) < 0 ||
	    (error = ps_store_commit(env->store)) < 0)
		goto fail;
	*io = end;
	return 0;
fail:
	ps_store_rollback(env->store);
	return error;
}

static int
product_poll(ps_flow_env *env)
{
	ps_bp *bp = env->conn[PS_PLATFORM_BRIGHTPEARL];
	ps_bp_product_ref *refs = NULL;
	size_t n = 0, i = 0;
	cursor c;
	int error;

	if ((error = cursor_read(&c, env->store)) < 0)
		return error;
	if (!c.listing) {
		if (!env->run_now)
			return 0; /* only the operator starts it */
		memset(&c, 0, sizeof(c));
		c.started = c.listing = 1;
		c.started_at = env->now;
	}
	if (bp == NULL)
		return ps_error_set(PS_ESETTING,
				    "Brightpearl is not connected");
	if ((error = ps_bp_products_tracked(&refs, &n, bp, "sku")) < 0)
		return error;
	qsort(refs, n, sizeof(*refs), ref_cmp);
	if (c.total == 0 || c.queued == 0)
		c.total = (int64_t)n;
	/* resume after the last id a committed chunk queued */
	while (i < n && refs[i].id <= c.after)
		i++;
	if (c.total < c.queued + (int64_t)(n - i))
		c.total = c.queued + (int64_t)(n - i);
	ps_log_info(MOD, "queueing %zu Brightpearl products after id %lld",
		    n - i, (long long)c.after);
	do {
		error = queue_chunk(&i, refs, n, &c, env);
	} while (error == 0 && i < n && !(env->stop && *env->stop));
	ps_bp_product_refs_free(refs, n);
	return error;
}

/* Where new products go when the warehouse map names no ShipHero
 * warehouse (out still empty): the account's first warehouse. */
static int
pick_warehouse(char *out, size_t cap, ps_sh *sh)
{
	ps_sh_warehouse_list l = {0};
	int error;

	if (out[0] != '\0')
		return 0;
	if ((error = ps_sh_warehouses(&l, sh)) < 0)
		return error;
	if (l.n == 0)
		error = ps_error_set(PS_ESETTING,
				     "ShipHero has no warehouse to add "
				     "products to");
	else
		ps_util__strlcpy(out, l.items[0].id, cap);
	ps_sh_warehouse_list_dispose(&l);
	return error;
}

static int
first_mapped(const ps_mapping *m, void *payload)
{
	char *out = payload;

	if (out[0] == '\0' && m->target != NULL && m->target[0] != '\0')
		ps_util__strlcpy(out, m->target, WAREHOUSE_MAX);
	return 0;
}

typedef struct state {
	char warehouse[WAREHOUSE_MAX]; /* where new products go; "" unknown */
} state;

static int
product_init(void **out_state, ps_flow_env *env)
{
	(void)env;
	*out_state = calloc(1, sizeof(state));
	return *out_state ? 0 : ps_error_set(PS_ENOMEM, NULL);
}

static void
product_fini(void *s)
{
	free(s);
}

static int
detail_set(ps_flow_result *res, const char *verb, const ps_sh_product *p,
	   const char *sku)
{
	char buf[512];

	snprintf(buf, sizeof(buf), "%s ShipHero product %s for SKU %s", verb,
		 p->id ? p->id : "?", sku);
	res->target_id = ps_util__strdup(p->id ? p->id : "");
	res->detail = ps_util__strdup(buf);
	if (res->target_id == NULL || res->detail == NULL)
		return ps_error_set(PS_ENOMEM, NULL);
	return 0;
}

static int
product_perform(ps_flow_env *env, const ps_log_entry *entry,
		ps_flow_result *res)
{
	ps_bp *bp = env->conn[PS_PLATFORM_BRIGHTPEARL];
	ps_sh *sh = env->conn[PS_PLATFORM_SHIPHERO];
	state *s = env->state;
	ps_bp_product_list pl = {0};
	ps_sh_product p = {0};
	ps_sh_product_new np;
	const ps_bp_product *bpp;
	int64_t id;
	int error;

	if (bp == NULL || sh == NULL)
		return ps_error_set(
			PS_ESETTING,
			"Brightpearl and ShipHero must be connected");
	id = strtoll(entry->source_id ? entry->source_id : "", NULL, 10);
	if (id <= 0)
		return ps_error_set(PS_EDATA, "bad Brightpearl product id '%s'",
				    entry->source_id ? entry->source_id : "");
	if ((error = ps_bp_product_get(&pl, bp, &id, 1)) < 0)
		return error;
	if (pl.n == 0) {
		error = ps_error_set(
			PS_ENOTFOUND,
			"Brightpearl product %lld no longer exists",
			(long long)id);
		goto done;
	}
	bpp = &pl.items[0];
	if (bpp->sku == NULL || bpp->sku[0] == '\0') {
		error = ps_error_set(PS_EDATA,
				     "Brightpearl product %lld has no SKU",
				     (long long)id);
		goto done;
	}
	/* adopt what exists: a product is keyed by its SKU in ShipHero */
	error = ps_sh_product_find_sku(&p, sh, bpp->sku);
	if (error == 0) {
		error = detail_set(res, "adopted", &p, bpp->sku);
		goto done;
	}
	if (error != PS_ENOTFOUND)
		goto done;
	ps_error_clear();
	if (s->warehouse[0] == '\0' &&
	    (error = ps_store_mapping_foreach(env->store, PS_SH_MAP_WAREHOUSE,
					      PS_SH_MAP_DIRECTION, first_mapped,
					      s->warehouse)) < 0)
		goto done;
	if ((error = pick_warehouse(s->warehouse, sizeof(s->warehouse), sh)) <
	    0)
		goto done;
	memset(&np, 0, sizeof(np));
	np.sku = bpp->sku;
	np.name = bpp->name && bpp->name[0] ? bpp->name : bpp->sku;
	np.barcode = bpp->barcode;
	np.warehouse_id = s->warehouse;
	if ((error = ps_sh_product_create(&p, sh, &np)) == 0)
		error = detail_set(res, "created", &p, bpp->sku);
done:
	ps_sh_product_dispose(&p);
	ps_bp_product_list_dispose(&pl);
	return error;
}

static const ps_flow_owns owns[] = {
	{PS_PLATFORM_SHIPHERO, "product", "*", PS_PLATFORM_BRIGHTPEARL},
};

const ps_flow_ops ps_flow_product_sync_sh = {
	.name = FLOW,
	.alias = "shiphero-products",
	.description = "Brightpearl products into ShipHero (initial sync, "
		       "started by the operator)",
	.source = PS_PLATFORM_BRIGHTPEARL,
	.target = PS_PLATFORM_SHIPHERO,
	.enabled_setting = "shiphero.enabled",
	.owns = owns,
	.nowns = PS__ARRAY_LEN(owns),
	.init = product_init,
	.fini = product_fini,
	.poll = product_poll,
	.poll_interval_ms = 60000,
	.perform = product_perform,
};
