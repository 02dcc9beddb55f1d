/*
 * tracking_import.c - ShipHero shipments back to Brightpearl goods-out
 * notes (tracking_import_sh).
 *
 * Triggers: the Shipment Update webhook (the fast path: the listener has
 * verified its HMAC and the plug-in decoded it into a "shipment" event
 * carrying the shipment's legacy id) and a shipments(date_from:) poll from
 * a stored cursor (unix s), overlapping by PS_SHF_SHIP_OVERLAP_S, the
 * safety net ShipHero itself advises.  Both record one entry per
 * shipment, key sh:shipment:<legacy id>, so a webhook delivered twice, a
 * webhook and the poll, or two polls give one entry.
 *
 * Performing an entry first reads the shipment from ShipHero (a webhook
 * only says that something happened: what is written comes from the
 * API), finds the goods-out note from its partner_order_id (the prefix
 * setting and the note id; else the note's xref), and records what the
 * shipment covers in the note's record (sh_int.h): quantities per order
 * row, keyed by shipment id, so a shipment counted twice counts once and
 * no line is shipped twice.  Then, in Brightpearl:
 *
 *   - tracking: the first tracking number (of the lowest shipment id that
 *     has one) becomes the note's shipping reference, with the shipping
 *     method whose shiphero_shipping_method mapping names the label's
 *     "Carrier/Method", when one does.  Brightpearl keeps one reference
 *     per note and refuses changes once the note is shipped, so every
 *     other tracking number (more packages, more shipments) goes into a
 *     note on the order, one per shipment, carrying "[sh-shipment-<id>]"
 *     so that it is added once;
 *   - shipped: once the recorded shipments cover every row's quantity on
 *     the note, its shipped event (SHW), dated with the shipment.  Until
 *     then (partial shipments, packages still to come) the entry's
 *     shipment status says how many units are covered.
 */
#include "flows/bigcommerce/pair_int.h"
#include "flows/shiphero/sh_int.h"
#include "internal.h"
#include "setting_keys.h"
#include "pearlsync/settings.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define FLOW "tracking_import_sh"
#define CURSOR "tracking_import_sh.date_from"
/* The poll looks this far behind its cursor (late shipments). */
#define PS_SHF_SHIP_OVERLAP_S (15 * 60)

/* ---- triggers ------------------------------------------------------ */

static int
add_shipment(ps_flow_env *env, int64_t legacy, int64_t gon_id)
{
	char key[64];

	snprintf(key, sizeof(key), "sh:shipment:%" PRId64, legacy);
	return ps_shf__log_add(env, FLOW, key, PS_SHF_KIND_SHIPMENT, legacy,
			       gon_id, PS_PLATFORM_SHIPHERO,
			       PS_PLATFORM_BRIGHTPEARL, NULL);
}

static int
track_on_event(ps_flow_env *env, const ps_event *ev)
{
	int64_t gon = 0;
	size_t i;
	int error;

	if (ev->platform != PS_PLATFORM_SHIPHERO || ev->object == NULL ||
	    strcmp(ev->object, "shipment") != 0)
		return 0;
	if (ps_shf__gon_of_partner(&gon, env->store, ev->value) < 0) {
		ps_error_clear();
		gon = 0;
	}
	for (i = 0; i < ev->nids; i++)
		if ((error = add_shipment(env, ev->ids[i], gon)) < 0)
			return error;
	return 0;
}

typedef struct seen {
	int64_t legacy, gon, created_at;
} seen;

typedef struct poll_ctx {
	ps_store *st;
	seen *v;
	size_t n, cap;
} poll_ctx;

static int
poll_one(void *ctx, const ps_sh_shipment *s)
{
	poll_ctx *p = ctx;
	int64_t gon;
	seen *nv;

	if (ps_shf__gon_of_partner(&gon, p->st, s->partner_order_id) < 0) {
		ps_error_clear();
		return 0; /* not an order pearlsync made */
	}
	if (p->n == p->cap) {
		p->cap = p->cap ? 2 * p->cap : 64;
		if ((nv = realloc(p->v, p->cap * sizeof(*nv))) == NULL)
			return ps_error_set(PS_ENOMEM, NULL);
		p->v = nv;
	}
	p->v[p->n].legacy = s->legacy_id;
	p->v[p->n].gon = gon;
	p->v[p->n].created_at = s->created_at;
	p->n++;
	return 0;
}

/*
 * A shipment of the window that does not parse.  One of an order
 * pearlsync made gets its entry, which reads the shipment again when
 * performed and fails with the reason until ShipHero's data reads well;
 * one that cannot be tied to a note is logged.  The poll goes on.
 */
static int
poll_bad(void *ctx, const char *id, int64_t legacy, const char *partner,
	 const char *reason)
{
	poll_ctx *p = ctx;
	int64_t gon = 0;
	seen *nv;

	if (partner == NULL ||
	    ps_shf__gon_of_partner(&gon, p->st, partner) < 0) {
		ps_error_clear();
		if (partner == NULL)
			ps_log_warn(FLOW,
				    "ShipHero shipment %s in the poll "
				    "window was passed over: %s",
				    id ? id : "(no id)", reason);
		return 0; /* or not an order pearlsync made */
	}
	if (legacy <= 0) {
		ps_log_error(FLOW,
			     "a shipment of goods-out note %" PRId64
			     " cannot be identified, so it gets no log "
			     "entry: %s",
			     gon, reason);
		return 0;
	}
	if (p->n == p->cap) {
		p->cap = p->cap ? 2 * p->cap : 64;
		if ((nv = realloc(p->v, p->cap * sizeof(*nv))) == NULL)
			return ps_error_set(PS_ENOMEM, NULL);
		p->v = nv;
	}
	p->v[p->n].legacy = legacy;
	p->v[p->n].gon = gon;
	p->v[p->n].created_at = 0; /* its date is not trusted */
	p->n++;
	ps_log_warn(FLOW, "%s: recorded on the shipment's entry", reason);
	return 0;
}

/*
 * poll: every shipment created since the cursor (less the overlap, never
 * before go-live; a day back when go-live is unset) of an order pearlsync
 * made gets its entry; the cursor, the newest creation time seen,
 * advances in the same transaction.
 */
static int
track_poll(ps_flow_env *env)
{
	poll_ctx p;
	char *stored = NULL, iso[48], best[32];
	int64_t golive = 0, since, cur = 0, top;
	size_t i;
	int error;

	if (PS_SHF_SH(env) == NULL)
		return 0;
	memset(&p, 0, sizeof(p));
	p.st = env->store;
	if (ps_shf__go_live(&golive, iso, sizeof(iso), env->store) < 0) {
		ps_error_clear();
		golive = env->now - 86400000;
	}
	since = golive / 1000;
	if (ps_store_cursor_get(&stored, NULL, env->store, CURSOR) == 0)
		cur = strtoll(stored, NULL, 10);
	ps_error_clear();
	free(stored);
	if (cur - PS_SHF_SHIP_OVERLAP_S > since)
		since = cur - PS_SHF_SHIP_OVERLAP_S;
	if ((error = ps_sh_shipments_walk(PS_SHF_SH(env), since, poll_one,
					  poll_bad, &p)) < 0)
		goto done;
	top = cur;
	if ((error = ps_store_begin(env->store)) < 0)
		goto done;
	for (i = 0; i < p.n && error == 0; i++) {
		if (p.v[i].created_at > top)
			top = p.v[i].created_at;
		error = add_shipment(env, p.v[i].legacy, p.v[i].gon);
	}
	snprintf(best, sizeof(best), "%" PRId64, top);
	error = ps_pair__poll_end(env, CURSOR, best, error);
done:
	free(p.v);
	return error;
}

/* ---- the note's record ---------------------------------------------- */

/* Record shipment s in the note's record; idempotent. */
static int
record_shipment(ps_flow_env *env, int64_t gon_id, const ps_sh_shipment *s)
{
	json_t *rec = NULL, *ships, *one = NULL, *rows, *tracking;
	char key[32], row[32];
	const ps_sh_label *first = NULL;
	size_t i, j;
	int error;

	if ((error = ps_shf__note_get(&rec, env->store, gon_id)) < 0)
		return error;
	if ((ships = json_object_get(rec, "shipments")) == NULL) {
		ships = json_object();
		if (json_object_set_new(rec, "shipments", ships) < 0) {
			error = ps_error_set(PS_ENOMEM, NULL);
			goto done;
		}
	}
	snprintf(key, sizeof(key), "%" PRId64, s->legacy_id);
	if ((one = json_object()) == NULL || (rows = json_object()) == NULL ||
	    (tracking = json_array()) == NULL ||
	    json_object_set_new(one, "rows", rows) < 0 ||
	    json_object_set_new(one, "tracking", tracking) < 0) {
		error = ps_error_set(PS_ENOMEM, NULL);
		goto done;
	}
	for (i = 0; i < s->nlines; i++) {
		const ps_sh_shipment_line *l = &s->lines[i];
		char *end;
		long long r;

		r = l->partner_line_item_id
			    ? strtoll(l->partner_line_item_id, &end, 10)
			    : 0;
		if (l->partner_line_item_id == NULL || *end != '\0' || r <= 0) {
			error = ps_error_set(
				PS_EDATA,
				"ShipHero shipment %" PRId64
				": line %s (SKU %s) has no Brightpearl row "
				"id as its partner_line_item_id",
				s->legacy_id, l->id ? l->id : "?",
				l->sku ? l->sku : "?");
			goto done;
		}
		snprintf(row, sizeof(row), "%lld", r);
		if (json_object_set_new(
			    rows, row,
			    json_integer(json_integer_value(
						 json_object_get(rows, row)) +
					 l->quantity)) < 0) {
			error = ps_error_set(PS_ENOMEM, NULL);
			goto done;
		}
	}
	for (i = 0; i < s->nlabels; i++) {
		const char *t = s->labels[i].tracking_number;
		int dup = 0;

		if (t == NULL || t[0] == '\0')
			continue;
		if (first == NULL)
			first = &s->labels[i];
		for (j = 0; j < json_array_size(tracking); j++)
			dup |= strcmp(json_string_value(
					      json_array_get(tracking, j)),
				      t) == 0;
		if (!dup &&
		    json_array_append_new(tracking, json_string(t)) < 0) {
			error = ps_error_set(PS_ENOMEM, NULL);
			goto done;
		}
	}
	if (first == NULL && s->nlabels > 0)
		first = &s->labels[0];
	if (first != NULL &&
	    ((first->carrier &&
	      json_object_set_new(one, "carrier", json_string(first->carrier)) <
		      0) ||
	     (first->shipping_method &&
	      json_object_set_new(one, "method",
				  json_string(first->shipping_method)) < 0) ||
	     (first->shipping_name &&
	      json_object_set_new(one, "name",
				  json_string(first->shipping_name)) < 0))) {
		error = ps_error_set(PS_ENOMEM, NULL);
		goto done;
	}
	if (json_object_set(ships, key, one) < 0) {
		error = ps_error_set(PS_ENOMEM, NULL);
		goto done;
	}
	error = ps_shf__note_put(env->store, gon_id, rec, env->now);
done:
	json_decref(one);
	json_decref(rec);
	return error;
}

/* Units of row recorded as shipped. */
static int64_t
covered(const json_t *rec, int64_t row_id)
{
	json_t *s;
	const char *k;
	char row[32];
	int64_t n = 0;

	snprintf(row, sizeof(row), "%" PRId64, row_id);
	json_object_foreach ((json_t *)json_object_get(rec, "shipments"), k, s)
		n += json_integer_value(
			json_object_get(json_object_get(s, "rows"), row));
	return n;
}

/* The recorded shipment with the lowest id that has a tracking number. */
static const json_t *
first_tracked(const json_t *rec)
{
	const json_t *best = NULL;
	json_t *s;
	const char *k;
	long long id, best_id = 0;

	json_object_foreach ((json_t *)json_object_get(rec, "shipments"), k,
			     s) {
		if (json_array_size(json_object_get(s, "tracking")) == 0)
			continue;
		id = strtoll(k, NULL, 10);
		if (best == NULL || id < best_id) {
			best = s;
			best_id = id;
		}
	}
	return best;
}

typedef struct method_find {
	const char *carrier, *method, *name;
	int64_t id;
} method_find;

static int
method_cb(const ps_mapping *m, void *payload)
{
	method_find *f = payload;
	const char *t = m->target, *slash;
	char *end;
	long long id;

	if (m->source == NULL || m->source[0] == '\0' || t == NULL)
		return 0;
	id = strtoll(m->source, &end, 10);
	if (*end != '\0' || id <= 0)
		return 0;
	slash = strchr(t, '/');
	if ((f->name != NULL && strcasecmp(t, f->name) == 0) ||
	    (slash != NULL && f->carrier != NULL && f->method != NULL &&
	     strncasecmp(t, f->carrier, (size_t)(slash - t)) == 0 &&
	     f->carrier[slash - t] == '\0' &&
	     strcasecmp(slash + 1, f->method) == 0)) {
		f->id = id;
		return 1;
	}
	return 0;
}

/* The Brightpearl method mapped to the shipment's carrier, or 0. */
static int64_t
method_back(ps_store *st, const json_t *ship)
{
	method_find f;

	f.carrier = json_string_value(json_object_get(ship, "carrier"));
	f.method = json_string_value(json_object_get(ship, "method"));
	f.name = json_string_value(json_object_get(ship, "name"));
	f.id = 0;
	if (ps_store_mapping_foreach(st, PS_SHF_MAP_METHOD, PS_SHF_DIR,
				     method_cb, &f) < 0)
		ps_error_clear();
	return f.id;
}

/* ---- perform -------------------------------------------------------- */

/* Add this shipment's note to the order unless one carries its marker. */
static int
add_order_note(ps_flow_env *env, int64_t order_id, const ps_sh_shipment *s,
	       int64_t gon_id, const char *reference, int *out_added)
{
	ps_bp_note_list notes = {NULL, 0, NULL};
	char marker[64], text[1024];
	size_t i, len, extra = 0;
	int error;

	*out_added = 0;
	snprintf(marker, sizeof(marker), "[sh-shipment-%" PRId64 "]",
		 s->legacy_id);
	len = (size_t)snprintf(text, sizeof(text),
			       "ShipHero shipment %" PRId64
			       " for goods-out note %" PRId64 ": tracking",
			       s->legacy_id, gon_id);
	for (i = 0; i < s->nlabels && len < sizeof(text); i++) {
		const ps_sh_label *l = &s->labels[i];

		if (l->tracking_number == NULL || l->tracking_number[0] == '\0')
			continue;
		if (reference == NULL ||
		    strcmp(l->tracking_number, reference) != 0)
			extra++;
		len += (size_t)snprintf(
			text + len, sizeof(text) - len, "%s %s%s%s%s",
			i ? "," : "", l->tracking_number,
			l->carrier ? " (" : "", l->carrier ? l->carrier : "",
			l->carrier ? ")" : "");
	}
	if (extra == 0)
		return 0; /* its only number is the note's reference */
	if (len < sizeof(text))
		snprintf(text + len, sizeof(text) - len, " %s", marker);
	if ((error = ps_bp_note_list_get(&notes, PS_SHF_BP(env), order_id)) < 0)
		return error;
	for (i = 0; i < notes.n; i++)
		if (notes.items[i].text != NULL &&
		    strstr(notes.items[i].text, marker) != NULL)
			break;
	if (i == notes.n) {
		error = ps_bp_note_add(NULL, PS_SHF_BP(env), order_id, text, 0);
		*out_added = error == 0;
	}
	ps_bp_note_list_dispose(&notes);
	return error;
}

static int
track_perform(ps_flow_env *env, const ps_log_entry *entry, ps_flow_result *res)
{
	ps_sh_shipment s;
	ps_bp_gon_list gons = {NULL, 0, NULL};
	json_t *rec = NULL;
	const json_t *first;
	const ps_bp_gon *g;
	char gid[64], status[64], when[48], gonnum[32], *xgon = NULL;
	const char *reference = NULL, *order_ref;
	int64_t legacy, gon_id = 0, need = 0, got = 0, method_id = 0;
	size_t i, j;
	int error, all = 1, noted = 0, shipped_now = 0, ref_set = 0;
	ps_log_entry f;

	memset(&s, 0, sizeof(s));
	status[0] = '\0';
	if (PS_SHF_BP(env) == NULL || PS_SHF_SH(env) == NULL)
		return ps_error_set(PS_ESETTING,
				    "waiting for the Brightpearl and "
				    "ShipHero connections");
	if ((error = ps_pair__entry_subject(&legacy, entry)) < 0)
		return error;
	if ((error = ps_sh_global_id(gid, sizeof(gid), "Shipment", legacy)) < 0)
		return error;
	/* confirm: what is written comes from ShipHero, not the webhook */
	if ((error = ps_sh_shipment_get(&s, PS_SHF_SH(env), gid)) < 0)
		return error;
	if (ps_shf__gon_of_partner(&gon_id, env->store, s.partner_order_id) <
	    0) {
		ps_error_clear();
		if (s.order_id != NULL &&
		    ps_store_xref_get(&xgon, env->store, PS_SHF_XREF,
				      PS_PLATFORM_SHIPHERO, s.order_id,
				      PS_PLATFORM_BRIGHTPEARL) == 0)
			gon_id = strtoll(xgon, NULL, 10);
		ps_error_clear();
		free(xgon);
	}
	if (gon_id <= 0) {
		error = ps_pair__result(
			res, NULL,
			"skipped: ShipHero shipment %" PRId64
			" is for order %s, not a Brightpearl "
			"goods-out note",
			legacy, s.partner_order_id ? s.partner_order_id : "?");
		goto done;
	}
	if ((error = record_shipment(env, gon_id, &s)) < 0)
		goto done;
	if ((error = ps_bp_gon_get(&gons, PS_SHF_BP(env), &gon_id, 1)) < 0 &&
	    error != PS_ENOTFOUND)
		goto done;
	if (error == PS_ENOTFOUND || gons.n == 0) {
		error = ps_error_set(PS_ENOTFOUND,
				     "ShipHero shipment %" PRId64
				     " is for goods-out note %" PRId64
				     ", which Brightpearl no longer has",
				     legacy, gon_id);
		goto done;
	}
	g = &gons.items[0];
	if ((error = ps_shf__note_get(&rec, env->store, gon_id)) < 0)
		goto done;
	/* coverage, per row on the note */
	for (i = 0; i < g->nlines; i++) {
		int64_t row_need = 0;

		for (j = 0; j < i; j++)
			if (g->lines[j].row_id == g->lines[i].row_id)
				break;
		if (j < i)
			continue; /* row counted already */
		for (j = i; j < g->nlines; j++)
			if (g->lines[j].row_id == g->lines[i].row_id)
				row_need += g->lines[j].quantity;
		need += row_need;
		got += covered(rec, g->lines[i].row_id) < row_need
			       ? covered(rec, g->lines[i].row_id)
			       : row_need;
		if (covered(rec, g->lines[i].row_id) < row_need)
			all = 0;
	}
	/* the tracking reference: the first tracking number */
	first = first_tracked(rec);
	reference = g->tracking_ref != NULL && g->tracking_ref[0] != '\0'
			    ? g->tracking_ref
			    : NULL;
	if (!g->shipped && reference == NULL && first != NULL) {
		reference = json_string_value(
			json_array_get(json_object_get(first, "tracking"), 0));
		method_id = method_back(env->store, first);
		if ((error = ps_bp_gon_tracking_set(PS_SHF_BP(env), gon_id,
						    reference, method_id)) < 0)
			goto done;
		ref_set = 1;
	}
	if ((error = add_order_note(env, g->order_id, &s, gon_id, reference,
				    &noted)) < 0)
		goto done;
	if (all && !g->shipped) {
		ps_shf__iso(when, sizeof(when),
			    s.created_at > 0 ? s.created_at * 1000 : env->now);
		if ((error = ps_bp_gon_ship(PS_SHF_BP(env), gon_id, when)) < 0)
			goto done;
		shipped_now = 1;
	}
	if (all)
		snprintf(status, sizeof(status), "shipped");
	else
		snprintf(status, sizeof(status),
			 "partial: %" PRId64 "/%" PRId64 " units", got, need);
	snprintf(gonnum, sizeof(gonnum), "%" PRId64, gon_id);
	error = ps_pair__result(
		res, gonnum,
		"ShipHero shipment %" PRId64 " -> goods-out note %" PRId64
		": %" PRId64 "/%" PRId64 " units covered%s%s%s%s%s",
		legacy, gon_id, got, need, ref_set ? ", tracking " : "",
		ref_set ? reference : "",
		noted ? ", tracking noted on the order" : "",
		shipped_now ? ", marked shipped"
			    : (g->shipped ? " (already shipped)" : ""),
		method_id > 0 ? ", shipping method mapped" : "");
done:
	ps_log_entry_init(&f);
	order_ref =
		rec != NULL
			? json_string_value(json_object_get(rec, "order_ref"))
			: NULL;
	f.order_number = (char *)(uintptr_t)order_ref;
	/*
	 * The note's total, as its export entry showed it (not when failing:
	 * a parse error would replace the failure's message).
	 */
	if (error == 0 && rec != NULL &&
	    json_is_string(json_object_get(rec, "total")) &&
	    ps_money_parse(&f.total, json_string_value(json_object_get(
					     rec, "total"))) == 0)
		f.has_total = 1;
	f.currency = rec != NULL ? (char *)(uintptr_t)json_string_value(
					   json_object_get(rec, "currency"))
				 : NULL;
	f.shipment_status = status[0] ? status : NULL;
	if (gon_id > 0) {
		snprintf(gonnum, sizeof(gonnum), "%" PRId64, gon_id);
		f.subject_order = gonnum;
	}
	if (s.nlabels > 0 && s.labels[0].shipping_name != NULL)
		f.shipping_method = s.labels[0].shipping_name;
	{
		int ferr = ps_store_log_set_fields(env->store, entry->id, &f,
						   env->now);

		if (ferr < 0 && error == 0)
			error = ferr;
	}
	json_decref(rec);
	ps_bp_gon_list_dispose(&gons);
	ps_sh_shipment_dispose(&s);
	return error;
}

/* What the flow writes (README.md, "Who writes what"). */
static const ps_flow_owns track_owns[] = {
	{PS_PLATFORM_BRIGHTPEARL, "goods_out_note", "tracking",
	 PS_PLATFORM_SHIPHERO},
	{PS_PLATFORM_BRIGHTPEARL, "goods_out_note", "shipped",
	 PS_PLATFORM_SHIPHERO},
	{PS_PLATFORM_BRIGHTPEARL, "order", "notes", PS_PLATFORM_SHIPHERO},
};

const ps_flow_ops ps_flow_tracking_import_sh = {
	.name = FLOW,
	.alias = "shiphero-tracking",
	.description = "ShipHero shipments to Brightpearl goods-out note "
		       "tracking and shipped events",
	.source = PS_PLATFORM_SHIPHERO,
	.target = PS_PLATFORM_BRIGHTPEARL,
	.enabled_setting = PS_SET_SHIPHERO_ORDERS_ENABLED,
	.owns = track_owns,
	.nowns = PS__ARRAY_LEN(track_owns),
	.init = NULL,
	.fini = NULL,
	.on_event = track_on_event,
	.poll = track_poll,
	.poll_interval_ms = 0,
	.perform = track_perform,
};
