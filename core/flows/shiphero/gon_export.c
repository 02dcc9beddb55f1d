/*
 * gon_export.c - Brightpearl goods-out notes to ShipHero orders
 * (gon_export_sh), and the helpers the ShipHero fulfilment flows share
 * (sh_int.h).
 *
 * Which notes: those created at or after the go-live time
 * (shiphero.go_live) in a Brightpearl warehouse the shiphero_warehouse
 * mapping (bp>sh: Brightpearl warehouse id -> ShipHero warehouse id)
 * names.  A note in an unmapped warehouse gets a synced entry saying
 * "skipped: warehouse X not mapped", so the log shows it without it
 * failing for ever; a note created before go-live is skipped the same
 * way.
 *
 * Triggers: the Brightpearl webhooks goods-out-note.created (an entry
 * per note, key bp:gon:<id>:sh-order) and goods-out-note.destroyed (key
 * bp:gon:<id>:sh-cancel), and the poll, the safety net: the notes created
 * since its cursor (overlapping by PS_SHF_OVERLAP_MS, never before
 * go-live) get the entries a webhook would have recorded, and every
 * shiphero.orders.delete_check_minutes the notes already sent are read
 * back, those gone from Brightpearl getting a cancel entry.
 *
 * One note, one ShipHero order: partner_order_id = shiphero.
 * reference_prefix + the note id, order number = the Brightpearl order's
 * customer reference (its id when it has none), one line per order row on
 * the note (partner_line_item_id = the row id, quantity = the note's),
 * each locked to the note's mapped warehouse, the shipping line from the
 * shiphero_shipping_method mapping (bp>sh: Brightpearl shipping method id
 * -> "Carrier/Method"; the default row when the method has none; without
 * either the Brightpearl method's name is the title and ShipHero picks the
 * carrier), addresses from the sales order.
 *
 * Exactly once: an entry performed again (attempts > 1, or interrupted)
 * looks the order up by partner_order_id first and adopts it; ShipHero
 * refusing a duplicate partner_order_id adopts too, and the connector
 * adopts on an unknown outcome.  The note is linked to its ShipHero
 * order (xref "goods-out-note").
 *
 * Cancel: a note deleted in Brightpearl cancels its ShipHero order while
 * nothing of it has shipped; once a shipment is recorded for it, or
 * ShipHero has fulfilled it, the entry fails visibly (the operator
 * sorts it out in ShipHero).
 */
#include "flows/bigcommerce/pair_int.h"
#include "flows/shiphero/sh_int.h"
#include "internal.h"
#include "setting_keys.h"
#include "pearlsync/settings.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define FLOW "gon_export_sh"
#define CURSOR "gon_export_sh.created_on"
#define CURSOR_GONE "gon_export_sh.gone_checked_at"
/* The poll looks this far behind its cursor (late commits). */
#define PS_SHF_OVERLAP_MS (10 * 60 * 1000)
/* How many sent notes it reads back at most per look. */
#define PS_SHF_GONE_MAX 1000

static const char *const bp_events[] = {"goods-out-note.created",
					"goods-out-note.destroyed"};

/* ---- shared helpers (sh_int.h) ------------------------------------- */

void
ps_shf__partner_id(char *buf, size_t cap, ps_store *st, int64_t gon_id)
{
	char *prefix = NULL;

	if (ps_settings_get(&prefix, st, PS_SET_SHIPHERO_REFERENCE_PREFIX) <
	    0) {
		ps_error_clear();
		prefix = NULL;
	}
	snprintf(buf, cap, "%s%" PRId64,
		 prefix != NULL ? prefix : PS_SHF_PREFIX_DEFAULT, gon_id);
	free(prefix);
}

int
ps_shf__gon_of_partner(int64_t *out, ps_store *st, const char *partner)
{
	char *prefix = NULL, *end;
	const char *p = PS_SHF_PREFIX_DEFAULT;
	size_t len;
	long long v;
	int error = PS_ENOTFOUND;

	*out = 0;
	if (partner == NULL)
		return PS_ENOTFOUND;
	if (ps_settings_get(&prefix, st, PS_SET_SHIPHERO_REFERENCE_PREFIX) < 0)
		ps_error_clear();
	else if (prefix != NULL)
		p = prefix;
	len = strlen(p);
	if (strncmp(partner, p, len) == 0 &&
	    isdigit((unsigned char)partner[len])) {
		v = strtoll(partner + len, &end, 10);
		if (*end == '\0' && v > 0) {
			*out = (int64_t)v;
			error = 0;
		}
	}
	free(prefix);
	return error;
}

void
ps_shf__iso(char *buf, size_t cap, int64_t ms)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, cap, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int
ps_shf__go_live(int64_t *out, char *iso, size_t cap, ps_store *st)
{
	char *v = NULL, buf[64];
	int error;

	*out = 0;
	if (cap > 0)
		iso[0] = '\0';
	if ((error = ps_settings_get(&v, st, PS_SET_SHIPHERO_GO_LIVE)) < 0 ||
	    v == NULL || v[0] == '\0') {
		free(v);
		ps_error_clear();
		return ps_error_set(PS_ESETTING,
				    "waiting for shiphero.go_live (the "
				    "go-live time)");
	}
	if (strlen(v) == 10)
		snprintf(buf, sizeof(buf), "%sT00:00:00Z", v);
	else
		ps_util__strlcpy(buf, v, sizeof(buf));
	free(v);
	if (ps_bp_time_parse(out, buf) < 0)
		return ps_error_set(PS_ESETTING,
				    "shiphero.go_live '%s' is not a date", buf);
	ps_shf__iso(iso, cap, *out);
	return 0;
}

static void
note_stream(char *buf, size_t cap, int64_t gon_id)
{
	snprintf(buf, cap, "shiphero.gon.%" PRId64, gon_id);
}

int
ps_shf__note_get(json_t **out, ps_store *st, int64_t gon_id)
{
	char stream[64], *v = NULL;
	int error;

	*out = NULL;
	note_stream(stream, sizeof(stream), gon_id);
	error = ps_store_cursor_get(&v, NULL, st, stream);
	if (error == PS_ENOTFOUND) {
		ps_error_clear();
		v = NULL;
	} else if (error < 0) {
		return error;
	}
	if (v != NULL)
		*out = json_loads(v, 0, NULL);
	free(v);
	if (*out == NULL || !json_is_object(*out)) {
		json_decref(*out);
		*out = json_object();
	}
	if (*out == NULL)
		return ps_error_set(PS_ENOMEM, NULL);
	return 0;
}

int
ps_shf__note_put(ps_store *st, int64_t gon_id, const json_t *rec, int64_t now)
{
	char stream[64], *v;
	int error, own = !ps_store_in_transaction(st);

	note_stream(stream, sizeof(stream), gon_id);
	if ((v = json_dumps(rec, JSON_COMPACT | JSON_SORT_KEYS)) == NULL)
		return ps_error_set(PS_ENOMEM, NULL);
	if (own && (error = ps_store_begin(st)) < 0) {
		free(v);
		return error;
	}
	error = ps_store_cursor_set(st, stream, v, now);
	free(v);
	if (own) {
		if (error < 0)
			ps_store_rollback(st);
		else
			error = ps_store_commit(st);
	}
	return error;
}

int
ps_shf__note_set_str(ps_store *st, int64_t gon_id, const char *key,
		     const char *value, int64_t now)
{
	json_t *rec = NULL;
	int error;

	if (value == NULL)
		return 0;
	if ((error = ps_shf__note_get(&rec, st, gon_id)) < 0)
		return error;
	if (json_object_set_new(rec, key, json_string(value)) < 0)
		error = ps_error_set(PS_ENOMEM, NULL);
	else
		error = ps_shf__note_put(st, gon_id, rec, now);
	json_decref(rec);
	return error;
}

int
ps_shf__log_add(ps_flow_env *env, const char *flow, const char *key,
		const char *kind, int64_t subject, int64_t subject_order,
		ps_platform source, ps_platform target,
		const char *order_number)
{
	char id[32], order[32];

	snprintf(id, sizeof(id), "%" PRId64, subject);
	snprintf(order, sizeof(order), "%" PRId64, subject_order);
	return ps_pair__log_add(env, flow, key, kind, id,
				subject_order > 0 ? order : NULL, source, id,
				target, order_number);
}

/* ---- triggers ------------------------------------------------------ */

static int
gon_init(void **out_state, ps_flow_env *env)
{
	return ps_pair__hooks_init(out_state, env, bp_events,
				   PS__ARRAY_LEN(bp_events));
}

static int
add_export(ps_flow_env *env, int64_t gon_id, int64_t order_id)
{
	char key[64];

	snprintf(key, sizeof(key), "bp:gon:%" PRId64 ":sh-order", gon_id);
	return ps_shf__log_add(env, FLOW, key, PS_SHF_KIND_EXPORT, gon_id,
			       order_id, PS_PLATFORM_BRIGHTPEARL,
			       PS_PLATFORM_SHIPHERO, NULL);
}

static int
add_cancel(ps_flow_env *env, int64_t gon_id)
{
	char key[64];

	snprintf(key, sizeof(key), "bp:gon:%" PRId64 ":sh-cancel", gon_id);
	return ps_shf__log_add(env, FLOW, key, PS_SHF_KIND_CANCEL, gon_id, 0,
			       PS_PLATFORM_BRIGHTPEARL, PS_PLATFORM_SHIPHERO,
			       NULL);
}

static int
gon_on_event(ps_flow_env *env, const ps_event *ev)
{
	size_t i;
	int error, cancel;

	if (ps_pair__event_is(ev, PS_PLATFORM_BRIGHTPEARL,
			      "goods-out-note.created"))
		cancel = 0;
	else if (ps_pair__event_is(ev, PS_PLATFORM_BRIGHTPEARL,
				   "goods-out-note.destroyed"))
		cancel = 1;
	else
		return 0;
	for (i = 0; i < ev->nids; i++) {
		error = cancel ? add_cancel(env, ev->ids[i])
			       : add_export(env, ev->ids[i], 0);
		if (error < 0)
			return error;
	}
	return 0;
}

/*
 * The notes this flow sent (synced export entries, newest first, at most
 * PS_SHF_GONE_MAX) that are gone from Brightpearl get a cancel entry.
 * Called inside the poll's transaction.
 */
static int
poll_gone(ps_flow_env *env)
{
	ps_log_query q = PS_LOG_QUERY_INIT;
	ps_log_entry *v = NULL;
	ps_bp_gon_list found = {NULL, 0, NULL};
	int64_t *ids = NULL;
	size_t n = 0, nids = 0, i, j;
	int error;

	q.status = PS_ENTRY_SYNCED;
	q.flow = FLOW;
	q.kind = PS_SHF_KIND_EXPORT;
	q.limit = PS_SHF_GONE_MAX;
	if ((error = ps_store_log_list(&v, &n, env->store, &q)) < 0)
		return error;
	if (n == 0)
		goto done;
	if ((ids = calloc(n, sizeof(*ids))) == NULL) {
		error = ps_error_set(PS_ENOMEM, NULL);
		goto done;
	}
	for (i = 0; i < n; i++) {
		int64_t id;

		/* only notes that became a ShipHero order */
		if (v[i].target_id == NULL || v[i].target_id[0] == '\0' ||
		    ps_pair__entry_subject(&id, &v[i]) < 0) {
			ps_error_clear();
			continue;
		}
		ids[nids++] = id;
	}
	if (nids == 0)
		goto done;
	error = ps_bp_gon_get(&found, PS_SHF_BP(env), ids, nids);
	if (error == PS_ENOTFOUND) {
		ps_error_clear();
		error = 0;
	}
	if (error < 0)
		goto done;
	for (i = 0; i < nids && error == 0; i++) {
		for (j = 0; j < found.n; j++)
			if (found.items[j].id == ids[i])
				break;
		if (j == found.n)
			error = add_cancel(env, ids[i]);
	}
done:
	ps_bp_gon_list_dispose(&found);
	free(ids);
	if (v != NULL)
		ps_log_entries_free(v, n);
	return error;
}

/*
 * 1 when the last look for deleted notes is shiphero.orders.
 * delete_check_minutes old.
 */
static int
gone_due(ps_flow_env *env)
{
	char *v = NULL;
	int64_t last, minutes = 15;

	if (ps_settings_get_int(&minutes, env->store,
				PS_SET_SHIPHERO_DELETE_CHECK_MINUTES) < 0) {
		ps_error_clear();
		minutes = 15;
	}
	if (ps_store_cursor_get(&v, NULL, env->store, CURSOR_GONE) < 0) {
		ps_error_clear();
		return 1;
	}
	last = strtoll(v, NULL, 10);
	free(v);
	return env->now - last >= minutes * 60 * 1000;
}

/*
 * poll: registers the webhooks, then records an export entry for every
 * note created since the cursor (less the overlap, never before go-live)
 * and, now and then, a cancel entry for every sent note gone from
 * Brightpearl; the cursor advances in the same transaction.
 */
static int
gon_poll(ps_flow_env *env)
{
	ps_bp_gon_row *rows = NULL;
	char since[48], best[48], golive_iso[48];
	char *stored = NULL;
	int64_t golive, cur;
	size_t n = 0, i;
	int error, gone;

	if ((error = ps_pair__hooks_poll(env, bp_events,
					 PS__ARRAY_LEN(bp_events))) < 0)
		return error;
	if (PS_SHF_BP(env) == NULL)
		return 0;
	if ((error = ps_shf__go_live(&golive, golive_iso, sizeof(golive_iso),
				     env->store)) < 0)
		return error;
	ps_util__strlcpy(since, golive_iso, sizeof(since));
	if (ps_store_cursor_get(&stored, NULL, env->store, CURSOR) == 0 &&
	    ps_bp_time_parse(&cur, stored) == 0 &&
	    cur - PS_SHF_OVERLAP_MS > golive)
		ps_shf__iso(since, sizeof(since), cur - PS_SHF_OVERLAP_MS);
	ps_error_clear();
	ps_util__strlcpy(best, stored != NULL ? stored : golive_iso,
			 sizeof(best));
	free(stored);
	if ((error = ps_bp_gons_created_since(&rows, &n, PS_SHF_BP(env),
					      since)) < 0)
		return error;
	gone = env->run_now || gone_due(env);
	if ((error = ps_store_begin(env->store)) < 0)
		goto done;
	for (i = 0; i < n && error == 0; i++) {
		int64_t t;

		if (ps_bp_time_parse(&t, rows[i].created_on) == 0 && t < golive)
			continue;
		if (strcmp(rows[i].created_on, best) > 0 &&
		    ps_bp_time_parse(&cur, best) == 0 &&
		    ps_bp_time_parse(&t, rows[i].created_on) == 0 && t > cur)
			ps_util__strlcpy(best, rows[i].created_on,
					 sizeof(best));
		error = add_export(env, rows[i].id, rows[i].order_id);
	}
	if (error == 0 && gone) {
		char when[32];

		snprintf(when, sizeof(when), "%" PRId64, env->now);
		if ((error = poll_gone(env)) == 0)
			error = ps_store_cursor_set(env->store, CURSOR_GONE,
						    when, env->now);
	}
	error = ps_pair__poll_end(env, CURSOR, best, error);
done:
	free(rows);
	return error;
}

/* ---- building the order -------------------------------------------- */

static const ps_bp_order_row *
order_row(const ps_bp_order *o, int64_t row_id)
{
	size_t i;

	for (i = 0; i < o->nrows; i++)
		if (o->rows[i].id == row_id)
			return &o->rows[i];
	return NULL;
}

/* Split "Jane Q Doe" at its last space; the buffers hold the parts. */
static void
split_name(char *first, char *last, size_t cap, const char *full)
{
	const char *sp;

	first[0] = last[0] = '\0';
	if (full == NULL)
		return;
	sp = strrchr(full, ' ');
	if (sp == NULL) {
		ps_util__strlcpy(first, full, cap);
		return;
	}
	snprintf(first, cap, "%.*s", (int)(sp - full), full);
	ps_util__strlcpy(last, sp + 1, cap);
}

typedef struct addr_buf {
	char first[128], last[128], cc[4];
} addr_buf;

static void
fill_address(ps_sh_address *a, addr_buf *b, const ps_bp_address *src)
{
	memset(a, 0, sizeof(*a));
	split_name(b->first, b->last, sizeof(b->first), src->full_name);
	a->first_name = b->first[0] ? b->first : NULL;
	a->last_name = b->last[0] ? b->last : NULL;
	a->company = src->company;
	a->address1 = src->line1;
	a->address2 = src->line2;
	a->city = src->line3;
	a->state = src->line4;
	a->zip = src->postal_code;
	a->country = src->country_iso;
	b->cc[0] = '\0';
	if (src->country_iso != NULL && strlen(src->country_iso) == 2) {
		ps_util__strlcpy(b->cc, src->country_iso, sizeof(b->cc));
		a->country_code = b->cc;
	}
	a->email = src->email;
	a->phone = src->telephone ? src->telephone : src->mobile;
}

/* The shipping method's mapping ("Carrier/Method"), or NULL. */
static int
map_method(char **out, ps_store *st, int64_t method_id)
{
	char num[32];
	int error;

	*out = NULL;
	snprintf(num, sizeof(num), "%" PRId64, method_id);
	error = ps_store_mapping_get(out, st, PS_SHF_MAP_METHOD, PS_SHF_DIR,
				     num, PS_STORE_MAPPING_FALLBACK);
	if (error == PS_ENOTFOUND) {
		ps_error_clear();
		*out = NULL;
		return 0;
	}
	return error;
}

static const char *
bp_method_name(ps_bp_ref_list *refs, int *have, ps_flow_env *env, int64_t id)
{
	size_t i;

	if (id <= 0)
		return NULL;
	if (!*have) {
		if (ps_bp_ref_list_get(refs, PS_SHF_BP(env),
				       PS_BP_REF_SHIPPING_METHOD) < 0) {
			ps_error_clear();
			return NULL;
		}
		*have = 1;
	}
	for (i = 0; i < refs->n; i++)
		if (refs->items[i].id == id)
			return refs->items[i].name;
	return NULL;
}

/* What one perform learnt, for the entry's columns. */
typedef struct export_ctx {
	ps_flow_env *env;
	const ps_log_entry *entry;
	char order_ref[128];
	char method[160];
	ps_money total;
	int has_total;
	char status[32];
	char currency[8];
	int64_t order_id;
} export_ctx;

static int
set_fields(export_ctx *c)
{
	ps_log_entry f;
	char order[32];

	ps_log_entry_init(&f);
	f.order_number = c->order_ref[0] ? c->order_ref : NULL;
	f.shipping_method = c->method[0] ? c->method : NULL;
	f.shipment_status = c->status[0] ? c->status : NULL;
	f.currency = c->currency[0] ? c->currency : NULL;
	if (c->has_total) {
		f.total = c->total;
		f.has_total = 1;
	}
	if (c->order_id > 0) {
		snprintf(order, sizeof(order), "%" PRId64, c->order_id);
		f.subject_order = order;
	}
	return ps_store_log_set_fields(c->env->store, c->entry->id, &f,
				       c->env->now);
}

/* Link the note to the order and remember its order reference. */
static int
link_order(export_ctx *c, int64_t gon_id, const ps_sh_order *o)
{
	char num[32];
	int error;

	snprintf(num, sizeof(num), "%" PRId64, gon_id);
	if ((error = ps_store_xref_set(
		     c->env->store, PS_SHF_XREF, PS_PLATFORM_BRIGHTPEARL, num,
		     PS_PLATFORM_SHIPHERO, o->id, c->env->now)) < 0)
		return error;
	if ((error = ps_shf__note_set_str(c->env->store, gon_id, "sh_order",
					  o->id, c->env->now)) < 0)
		return error;
	if ((error = ps_shf__note_set_str(c->env->store, gon_id, "order_ref",
					  c->order_ref[0] ? c->order_ref : NULL,
					  c->env->now)) < 0)
		return error;
	/* the tracking entries show the note's total too */
	if (c->has_total &&
	    (error = ps_shf__note_set_str(
		     c->env->store, gon_id, "total",
		     ps_money_format(num, sizeof(num), c->total, 4),
		     c->env->now)) < 0)
		return error;
	return ps_shf__note_set_str(c->env->store, gon_id, "currency",
				    c->currency[0] ? c->currency : NULL,
				    c->env->now);
}

static int
adopted_result(export_ctx *c, ps_flow_result *res, int64_t gon_id,
	       const ps_sh_order *o, const char *why)
{
	int error;

	if ((error = link_order(c, gon_id, o)) < 0)
		return error;
	ps_util__strlcpy(c->status,
			 o->fulfillment_status ? o->fulfillment_status
					       : "pending",
			 sizeof(c->status));
	return ps_pair__result(
		res, o->id,
		"goods-out note %" PRId64 " -> ShipHero order %s (%s, %s)",
		gon_id, o->order_number ? o->order_number : "?", o->id, why);
}

static int
perform_export(export_ctx *c, int64_t gon_id, ps_flow_result *res)
{
	ps_flow_env *env = c->env;
	ps_bp_gon_list gons = {NULL, 0, NULL};
	ps_bp_order_list orders = {NULL, 0, NULL};
	ps_bp_ref_list refs;
	ps_sh_order made;
	ps_sh_order_new o;
	ps_sh_line_new *lines = NULL;
	ps_sh_address ship;
	ps_sh_address bill;
	addr_buf sbuf, bbuf;
	const ps_bp_gon *g;
	const ps_bp_order *bo;
	char partner[96], whnum[32], *wh = NULL, *mapped = NULL;
	char golive_iso[48], carrier[80];
	const char *slash;
	int64_t golive, created, method_id;
	size_t i, j, nlines = 0;
	int error, have_refs = 0;

	memset(&made, 0, sizeof(made));
	memset(&refs, 0, sizeof(refs));
	if ((error = ps_shf__go_live(&golive, golive_iso, sizeof(golive_iso),
				     env->store)) < 0)
		return error;
	if ((error = ps_bp_gon_get(&gons, PS_SHF_BP(env), &gon_id, 1)) < 0 &&
	    error != PS_ENOTFOUND)
		goto done;
	if (error == PS_ENOTFOUND || gons.n == 0) {
		ps_error_clear();
		error = ps_pair__result(res, NULL,
					"skipped: goods-out note %" PRId64
					" no longer exists in Brightpearl",
					gon_id);
		goto done;
	}
	g = &gons.items[0];
	c->order_id = g->order_id;
	if (g->created_on != NULL &&
	    ps_bp_time_parse(&created, g->created_on) == 0 &&
	    created < golive) {
		error = ps_pair__result(res, NULL,
					"skipped: goods-out note %" PRId64
					" was created %s, before go-live %s",
					gon_id, g->created_on, golive_iso);
		goto done;
	}
	snprintf(whnum, sizeof(whnum), "%" PRId64, g->warehouse_id);
	error = ps_store_mapping_get(&wh, env->store, PS_SHF_MAP_WAREHOUSE,
				     PS_SHF_DIR, whnum, 0);
	if (error == PS_ENOTFOUND) {
		ps_error_clear();
		error = ps_pair__result(res, NULL,
					"skipped: warehouse %s not mapped "
					"(goods-out note %" PRId64 ")",
					whnum, gon_id);
		goto done;
	}
	if (error < 0)
		goto done;
	ps_shf__partner_id(partner, sizeof(partner), env->store, gon_id);
	if ((error = ps_bp_order_get(&orders, PS_SHF_BP(env), &g->order_id,
				     1)) < 0)
		goto done;
	if (orders.n == 0) {
		error = ps_error_set(PS_ENOTFOUND,
				     "Brightpearl order %" PRId64
				     " of goods-out note %" PRId64 " not found",
				     g->order_id, gon_id);
		goto done;
	}
	bo = &orders.items[0];
	if (bo->ref != NULL && bo->ref[0] != '\0')
		ps_util__strlcpy(c->order_ref, bo->ref, sizeof(c->order_ref));
	else
		snprintf(c->order_ref, sizeof(c->order_ref), "%" PRId64,
			 bo->id);

	/*
	 * The entry's columns from the note itself, before any adoption, so
	 * an order found after a kill shows the same total and method as
	 * one created now.
	 */
	c->total = 0;
	for (i = 0; i < g->nlines; i++) {
		const ps_bp_order_row *r = order_row(bo, g->lines[i].row_id);

		if (r != NULL && r->quantity > 0)
			c->total += r->net / r->quantity * g->lines[i].quantity;
	}
	c->has_total = 1;
	if (bo->currency != NULL)
		ps_util__strlcpy(c->currency, bo->currency,
				 sizeof(c->currency));
	method_id = g->shipping_method_id ? g->shipping_method_id
					  : bo->shipping_method_id;
	if ((error = map_method(&mapped, env->store, method_id)) < 0)
		goto done;
	if (mapped != NULL)
		ps_util__strlcpy(c->method, mapped, sizeof(c->method));

	/* performed before: it may be there already */
	if (c->entry->attempts > 1 ||
	    (c->entry->reason != NULL &&
	     strstr(c->entry->reason, "interrupted") != NULL)) {
		error = ps_sh_order_find(&made, PS_SHF_SH(env), partner);
		if (error == 0) {
			error = adopted_result(c, res, gon_id, &made,
					       "already there");
			goto done;
		}
		if (error != PS_ENOTFOUND)
			goto done;
		ps_error_clear();
		error = 0;
	}
	if (g->shipped) {
		error = ps_pair__result(res, NULL,
					"skipped: goods-out note %" PRId64
					" is already shipped in Brightpearl",
					gon_id);
		goto done;
	}

	/* lines: one per order row on the note */
	if ((lines = calloc(g->nlines + 1, sizeof(*lines))) == NULL) {
		error = ps_error_set(PS_ENOMEM, NULL);
		goto done;
	}
	{
		char(*ids)[24] = calloc(g->nlines + 1, sizeof(*ids));

		if (ids == NULL) {
			error = ps_error_set(PS_ENOMEM, NULL);
			goto done;
		}
		for (i = 0; i < g->nlines && error == 0; i++) {
			const ps_bp_order_row *r =
				order_row(bo, g->lines[i].row_id);

			for (j = 0; j < nlines; j++)
				if (strtoll(lines[j].partner_line_item_id, NULL,
					    10) == g->lines[i].row_id)
					break;
			if (j < nlines) {
				lines[j].quantity += g->lines[i].quantity;
				continue;
			}
			if (r == NULL || r->sku == NULL || r->sku[0] == '\0') {
				error = ps_error_set(
					PS_EDATA,
					"goods-out note %" PRId64
					": row %" PRId64
					" has no SKU on Brightpearl order "
					"%" PRId64,
					gon_id, g->lines[i].row_id, bo->id);
				break;
			}
			snprintf(ids[nlines], sizeof(ids[nlines]), "%" PRId64,
				 g->lines[i].row_id);
			lines[nlines].partner_line_item_id = ids[nlines];
			lines[nlines].sku = r->sku;
			lines[nlines].product_name = r->name;
			lines[nlines].quantity = g->lines[i].quantity;
			lines[nlines].price =
				r->quantity > 0 ? r->net / r->quantity : 0;
			lines[nlines].warehouse_id = wh;
			nlines++;
		}
		if (error == 0 && nlines == 0)
			error = ps_error_set(PS_EDATA,
					     "goods-out note %" PRId64
					     " has no lines",
					     gon_id);
		if (error == 0) {
			memset(&o, 0, sizeof(o));
			o.partner_order_id = partner;
			o.order_number = c->order_ref;
			o.shop_name = "Brightpearl";
			o.email = bo->delivery.email ? bo->delivery.email
						     : bo->billing.email;
			for (j = 0; j < nlines; j++)
				o.subtotal +=
					lines[j].price * lines[j].quantity;
			o.total_price = o.subtotal;
			fill_address(&ship, &sbuf, &bo->delivery);
			fill_address(&bill, &bbuf, &bo->billing);
			o.shipping_address = ship;
			o.billing_address = &bill;
			o.lines = lines;
			o.nlines = nlines;
			{ /* mapped and method_id: read above */
				if (mapped != NULL) {
					o.shipping.title = mapped;
					slash = strchr(mapped, '/');
					if (slash != NULL) {
						snprintf(carrier,
							 sizeof(carrier),
							 "%.*s",
							 (int)(slash - mapped),
							 mapped);
						o.shipping.carrier = carrier;
						o.shipping.method = slash + 1;
					}
				} else {
					o.shipping.title = bp_method_name(
						&refs, &have_refs, env,
						method_id);
				}
				if (o.shipping.title == NULL)
					o.shipping.title = "Standard";
				ps_util__strlcpy(c->method, o.shipping.title,
						 sizeof(c->method));
				c->total = o.total_price;
				c->has_total = 1;
				error = ps_sh_order_create(&made,
							   PS_SHF_SH(env), &o);
			}
		}
		free(ids);
	}
	if (error == PS_EEXISTS) {
		ps_error_clear();
		if ((error = ps_sh_order_find(&made, PS_SHF_SH(env), partner)) <
		    0)
			goto done;
		error = adopted_result(c, res, gon_id, &made,
				       "already there: ShipHero refused a "
				       "duplicate");
		goto done;
	}
	if (error < 0)
		goto done;
	error = adopted_result(c, res, gon_id, &made,
			       made.adopted ? "already there" : "created");
done:
	if (have_refs)
		ps_bp_ref_list_dispose(&refs);
	free(lines);
	free(mapped);
	free(wh);
	ps_sh_order_dispose(&made);
	ps_bp_order_list_dispose(&orders);
	ps_bp_gon_list_dispose(&gons);
	return error;
}

/* Units of the note recorded as shipped by tracking_import_sh. */
static int64_t
shipped_units(ps_store *st, int64_t gon_id)
{
	json_t *rec = NULL, *s, *rows, *q;
	const char *k, *rk;
	int64_t n = 0;

	if (ps_shf__note_get(&rec, st, gon_id) < 0) {
		ps_error_clear();
		return 0;
	}
	json_object_foreach (json_object_get(rec, "shipments"), k, s) {
		rows = json_object_get(s, "rows");
		json_object_foreach (rows, rk, q)
			n += json_integer_value(q);
	}
	json_decref(rec);
	return n;
}

static int
perform_cancel(export_ctx *c, int64_t gon_id, ps_flow_result *res)
{
	ps_flow_env *env = c->env;
	ps_bp_gon_list gons = {NULL, 0, NULL};
	ps_sh_order o, after;
	char partner[96];
	int64_t units;
	int error;

	memset(&o, 0, sizeof(o));
	memset(&after, 0, sizeof(after));
	error = ps_bp_gon_get(&gons, PS_SHF_BP(env), &gon_id, 1);
	if (error == 0 && gons.n > 0) {
		error = ps_pair__result(res, NULL,
					"skipped: goods-out note %" PRId64
					" still exists in Brightpearl",
					gon_id);
		goto done;
	}
	if (error < 0 && error != PS_ENOTFOUND)
		goto done;
	ps_error_clear();
	ps_shf__partner_id(partner, sizeof(partner), env->store, gon_id);
	error = ps_sh_order_find(&o, PS_SHF_SH(env), partner);
	if (error == PS_ENOTFOUND) {
		ps_error_clear();
		error = ps_pair__result(res, NULL,
					"nothing to cancel: goods-out note "
					"%" PRId64 " has no ShipHero order",
					gon_id);
		goto done;
	}
	if (error < 0)
		goto done;
	if (o.order_number != NULL)
		ps_util__strlcpy(c->order_ref, o.order_number,
				 sizeof(c->order_ref));
	if (o.fulfillment_status != NULL &&
	    strcasecmp(o.fulfillment_status, "canceled") == 0) {
		ps_util__strlcpy(c->status, "canceled", sizeof(c->status));
		error = ps_pair__result(res, o.id,
					"ShipHero order %s of deleted "
					"goods-out note %" PRId64
					" is canceled (already)",
					o.id, gon_id);
		goto done;
	}
	units = shipped_units(env->store, gon_id);
	if (units > 0 || (o.fulfillment_status != NULL &&
			  strcasecmp(o.fulfillment_status, "fulfilled") == 0)) {
		ps_util__strlcpy(c->status, units > 0 ? "shipped" : "fulfilled",
				 sizeof(c->status));
		error = ps_error_set(
			PS_EDATA,
			"goods-out note %" PRId64
			" was deleted in Brightpearl but "
			"ShipHero order %s has shipped "
			"(%" PRId64 " units recorded, status "
			"%s): not canceled; settle it in "
			"ShipHero",
			gon_id, o.order_number ? o.order_number : o.id, units,
			o.fulfillment_status ? o.fulfillment_status : "?");
		goto done;
	}
	if ((error = ps_sh_order_cancel(&after, PS_SHF_SH(env), o.id,
					"goods-out note deleted in "
					"Brightpearl")) < 0)
		goto done;
	ps_util__strlcpy(c->status, "canceled", sizeof(c->status));
	error = ps_pair__result(res, o.id,
				"goods-out note %" PRId64
				" deleted in Brightpearl -> ShipHero order %s "
				"canceled",
				gon_id, o.id);
done:
	ps_sh_order_dispose(&after);
	ps_sh_order_dispose(&o);
	ps_bp_gon_list_dispose(&gons);
	return error;
}

static int
gon_perform(ps_flow_env *env, const ps_log_entry *entry, ps_flow_result *res)
{
	export_ctx c;
	int64_t id;
	int error, ferr;

	if (PS_SHF_BP(env) == NULL || PS_SHF_SH(env) == NULL)
		return ps_error_set(PS_ESETTING,
				    "waiting for the Brightpearl and "
				    "ShipHero connections");
	if ((error = ps_pair__entry_subject(&id, entry)) < 0)
		return error;
	memset(&c, 0, sizeof(c));
	c.env = env;
	c.entry = entry;
	if (ps_log_entry_is(entry, PS_SHF_KIND_EXPORT))
		error = perform_export(&c, id, res);
	else if (ps_log_entry_is(entry, PS_SHF_KIND_CANCEL))
		error = perform_cancel(&c, id, res);
	else
		return ps_error_set(PS_EDATA,
				    "ShipHero order entry %lld of kind '%s' "
				    "not understood",
				    (long long)entry->id,
				    entry->kind ? entry->kind : "");
	if ((ferr = set_fields(&c)) < 0 && error == 0)
		error = ferr;
	return error;
}

/* What the flow writes (README.md, "Who writes what"). */
static const ps_flow_owns gon_owns[] = {
	{PS_PLATFORM_SHIPHERO, "order", "*", PS_PLATFORM_BRIGHTPEARL},
};

const ps_flow_ops ps_flow_gon_export_sh = {
	.name = FLOW,
	.alias = "shiphero-orders",
	.description = "Brightpearl goods-out notes to ShipHero orders",
	.source = PS_PLATFORM_BRIGHTPEARL,
	.target = PS_PLATFORM_SHIPHERO,
	.enabled_setting = PS_SET_SHIPHERO_ORDERS_ENABLED,
	.owns = gon_owns,
	.nowns = PS__ARRAY_LEN(gon_owns),
	.init = gon_init,
	.fini = ps_pair__hooks_fini,
	.on_event = gon_on_event,
	.poll = gon_poll,
	.poll_interval_ms = 0,
	.perform = gon_perform,
};
