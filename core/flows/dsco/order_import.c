/*
 * order_import.c - DSCO purchase orders into Brightpearl sales orders,
 * exactly once, then acknowledged in DSCO.
 *
 * Log entries (kind, subject the dscoOrderId; dedupe key):
 *   order.import   dsco:order:<dscoOrderId>:import   the one import of a PO
 *
 * Poll: GET /order/page by ordersUpdatedSince from the stored cursor (the
 * end of the last window, less PS_DSF_POLL_OVERLAP_MS; the end is now
 * minus DSCO's lag, as the connector clamps it).  A PO in lifecycle
 * "created" gets its entry; so does an "acknowledged" one that has no
 * Brightpearl order linked (acknowledged after a crash, or by hand).  The
 * entries and the cursor are written in one transaction.
 *
 * Perform: read the PO; a PO cancelled whole before its import is synced
 * with nothing created.  Find the Brightpearl order (xref, and on a later
 * attempt or after an interruption by externalRef = dsco.reference_prefix
 * + dscoOrderId: Brightpearl keeps that reference unique per integration
 * instance, so the create itself is guarded too).  Else resolve the
 * customer (dsco.customers.mode: auto finds the ship-to e-mail or creates
 * a contact; map reads dsco_customer, retailer id -> contact id, with its
 * default row) and every line's product (the dsco_product mapping first,
 * then dsco.items.match_field on the DSCO side against dsco.items.bp_field
 * in Brightpearl; an unknown item fails the entry naming the line and SKU,
 * waiting for the operator), and create the order: status
 * dsco.order_status, channel dsco.channel_id, the dsco.defaults.*,
 * customer ref the poNumber, row price the expectedCost, row externalRef
 * the lineNumber, delivery address the ship-to.  Link it (xref "order"),
 * then acknowledge the PO with supplierOrderNumber = the Brightpearl
 * order id and follow the change log to its outcome.  The acknowledge's
 * request id is stored before it is followed, so a retry follows the same
 * request instead of acknowledging twice.
 */
#include "flows/bigcommerce/pair_int.h"
#include "flows/dsco/dsco_int.h"
#include "internal.h"
#include "setting_keys.h"
#include "pearlsync/settings.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FLOW_NAME "order_import_dsco"
#define CURSOR_STREAM "dsco.orders.updated"

static const ps_flow_owns dsoi_owns[] = {
	{PS_PLATFORM_BRIGHTPEARL, "order", "lines", PS_PLATFORM_DSCO},
	{PS_PLATFORM_BRIGHTPEARL, "order", "customer", PS_PLATFORM_DSCO},
	{PS_PLATFORM_BRIGHTPEARL, "order", "addresses", PS_PLATFORM_DSCO},
	{PS_PLATFORM_BRIGHTPEARL, "contact", "*", PS_PLATFORM_DSCO},
};

/* ---- settings ----------------------------------------------------------- */

static int
opt_str(char **out, ps_store *st, const char *key)
{
	int error = ps_settings_get(out, st, key);

	if (error == PS_ESETTING) {
		ps_error_clear();
		*out = NULL;
		return 0;
	}
	if (error == 0 && *out != NULL && (*out)[0] == '\0') {
		free(*out);
		*out = NULL;
	}
	return error;
}

static int
opt_int(int64_t *out, ps_store *st, const char *key)
{
	int error = ps_settings_get_int(out, st, key);

	if (error == PS_ESETTING) {
		ps_error_clear();
		*out = 0;
		return 0;
	}
	return error;
}

void
ps_dsf__settings_dispose(ps_dsf_settings *s)
{
	if (s == NULL)
		return;
	free(s->prefix);
	free(s->match_field);
	free(s->order_status);
	free(s->cancel_status);
	free(s->tax_code);
	free(s->nominal_code);
	memset(s, 0, sizeof(*s));
}

int
ps_dsf__settings_load(ps_dsf_settings *s, ps_store *st)
{
	char *mode = NULL, *bpf = NULL;
	int error;

	memset(s, 0, sizeof(*s));
	if ((error = opt_str(&s->prefix, st, PS_SET_DSCO_REFERENCE_PREFIX)) <
		    0 ||
	    (error = opt_str(&mode, st, PS_SET_DSCO_CUSTOMERS_MODE)) < 0 ||
	    (error = opt_str(&s->match_field, st,
			     PS_SET_DSCO_ITEMS_MATCH_FIELD)) < 0 ||
	    (error = opt_str(&bpf, st, PS_SET_DSCO_ITEMS_BP_FIELD)) < 0 ||
	    (error = opt_str(&s->order_status, st, PS_SET_DSCO_ORDER_STATUS)) <
		    0 ||
	    (error = opt_str(&s->cancel_status, st,
			     PS_SET_DSCO_CANCEL_STATUS)) < 0 ||
	    (error = opt_int(&s->channel_id, st, PS_SET_DSCO_CHANNEL_ID)) < 0 ||
	    (error = opt_int(&s->warehouse_id, st,
			     PS_SET_DSCO_DEFAULTS_WAREHOUSE_ID)) < 0 ||
	    (error = opt_int(&s->price_list_id, st,
			     PS_SET_DSCO_DEFAULTS_PRICE_LIST_ID)) < 0 ||
	    (error = opt_int(&s->project_id, st,
			     PS_SET_DSCO_DEFAULTS_PROJECT_ID)) < 0 ||
	    (error = opt_int(&s->lead_source_id, st,
			     PS_SET_DSCO_DEFAULTS_LEAD_SOURCE_ID)) < 0 ||
	    (error = opt_str(&s->tax_code, st, PS_SET_DSCO_DEFAULTS_TAX_CODE)) <
		    0 ||
	    (error = opt_str(&s->nominal_code, st,
			     PS_SET_DSCO_DEFAULTS_NOMINAL_CODE)) < 0)
		goto done;
	if (s->prefix == NULL && (s->prefix = strdup("DSCO-")) == NULL)
		error = ps_error_set(PS_ENOMEM, "out of memory");
	if (error == 0 && s->match_field == NULL &&
	    (s->match_field = strdup("sku")) == NULL)
		error = ps_error_set(PS_ENOMEM, "out of memory");
	s->customers_map = mode != NULL && strcmp(mode, "map") == 0;
	s->bp_field = PS_BP_IDENTITY_SKU;
	if (bpf != NULL && ps_bp_identity_parse(&s->bp_field, bpf) < 0) {
		ps_error_clear();
		s->bp_field = PS_BP_IDENTITY_SKU;
	}
done:
	free(mode);
	free(bpf);
	if (error < 0)
		ps_dsf__settings_dispose(s);
	return error;
}

/* ---- shared helpers ----------------------------------------------------- */

static int
parse_id(int64_t *out, const char *text)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(text ? text : "", &end, 10);
	if (text == NULL || errno != 0 || end == text || *end != '\0' || v <= 0)
		return -1;
	*out = v;
	return 0;
}

static int
link_order(ps_flow_env *env, const char *dsco_id, int64_t bp_id)
{
	char b[24];

	snprintf(b, sizeof(b), "%" PRId64, bp_id);
	return ps_store_xref_set(env->store, "order", PS_PLATFORM_DSCO, dsco_id,
				 PS_PLATFORM_BRIGHTPEARL, b, env->now);
}

int
ps_dsf__bp_order(int64_t *out, ps_flow_env *env, const ps_dsf_settings *s,
		 const char *dsco_id, int lookup)
{
	char ext[128], *xr = NULL;
	int error;

	*out = 0;
	error = ps_store_xref_get(&xr, env->store, "order", PS_PLATFORM_DSCO,
				  dsco_id, PS_PLATFORM_BRIGHTPEARL);
	if (error == 0) {
		if (parse_id(out, xr) < 0)
			*out = 0;
		free(xr);
		return 0;
	}
	if (error != PS_ENOTFOUND)
		return error;
	ps_error_clear();
	if (!lookup)
		return 0;
	snprintf(ext, sizeof(ext), "%s%s", s->prefix ? s->prefix : "", dsco_id);
	error = ps_bp_order_find_external(out, PS_DSF_BP(env), ext);
	if (error == PS_ENOTFOUND) {
		ps_error_clear();
		*out = 0;
		return 0;
	}
	if (error == 0 && *out > 0)
		error = link_order(env, dsco_id, *out);
	return error;
}

static void
request_stream(char *buf, size_t cap, const char *dsco_id, const char *what)
{
	snprintf(buf, cap, "dsco.order.%s.%s", dsco_id, what);
}

int
ps_dsf__request_get(char **out, ps_store *st, const char *dsco_id,
		    const char *what)
{
	char stream[128];
	int error;

	*out = NULL;
	request_stream(stream, sizeof(stream), dsco_id, what);
	error = ps_store_cursor_get(out, NULL, st, stream);
	if (error == PS_ENOTFOUND) {
		ps_error_clear();
		*out = NULL;
		return 0;
	}
	if (error == 0 && *out != NULL && (*out)[0] == '\0') {
		free(*out);
		*out = NULL;
	}
	return error;
}

int
ps_dsf__request_put(ps_flow_env *env, const char *dsco_id, const char *what,
		    const char *request_id)
{
	char stream[128];

	request_stream(stream, sizeof(stream), dsco_id, what);
	return ps_store_cursor_set(env->store, stream, request_id, env->now);
}

int
ps_dsf__follow(ps_flow_env *env, const char *request_id, const char *what,
	       const char *po)
{
	ps_dsco_follow_options fo = {0};
	ps_dsco_outcome out = {0};
	int error;

	fo.first_wait_ms = 200;
	fo.max_wait_ms = 2000;
	fo.total_ms = 20000;
	error = ps_dsco_request_follow(&out, PS_DSF_DSCO(env),
				       PS_DSCO_LOG_ORDER, request_id, &fo);
	if (error == PS_EDATA)
		error = ps_error_set(
			PS_EDATA, "DSCO PO %s: %s refused: %s", po, what,
			out.messages && out.messages[0] ? out.messages
							: "no reason given");
	ps_dsco_outcome_dispose(&out);
	return error;
}

/* ---- poll --------------------------------------------------------------- */

/* One entry a poll will record. */
typedef struct seen {
	char *key, *id, *po;
} seen;

typedef struct poll_ctx {
	ps_flow_env *env;
	const char *flow;
	ps_dsf_key_fn key_of;
	seen *items;
	size_t n, cap;
} poll_ctx;

static int
seen_add(poll_ctx *pc, const char *key, const char *id, const char *po)
{
	seen *grown;

	if (pc->n == pc->cap) {
		size_t cap = pc->cap ? pc->cap * 2 : 64;

		if ((grown = realloc(pc->items, cap * sizeof(*grown))) == NULL)
			return ps_error_set(PS_ENOMEM, "out of memory");
		pc->items = grown;
		pc->cap = cap;
	}
	pc->items[pc->n].key = strdup(key);
	pc->items[pc->n].id = strdup(id);
	pc->items[pc->n].po = po ? strdup(po) : NULL;
	if (pc->items[pc->n].key == NULL || pc->items[pc->n].id == NULL ||
	    (po && pc->items[pc->n].po == NULL)) {
		free(pc->items[pc->n].key);
		free(pc->items[pc->n].id);
		free(pc->items[pc->n].po);
		return ps_error_set(PS_ENOMEM, "out of memory");
	}
	pc->n++;
	return 0;
}

/*
 * A PO of the window that does not parse.  The import flow gives it its
 * import entry (unless it is imported already): performing it reads the
 * PO again and fails with the reason until DSCO's data reads well, so the
 * operator sees it in the log.  Other flows, and a PO whose very id is
 * unreadable, can only log it.  The poll goes on either way.
 */
static int
collect_bad(void *ctx, const char *id, const char *po, const char *reason)
{
	poll_ctx *pc = ctx;
	char key[128], *xr = NULL;
	int error;

	if (id == NULL || strcmp(pc->flow, FLOW_NAME) != 0) {
		ps_log_warn(pc->flow,
			    "a DSCO PO%s%s in the poll window was "
			    "passed over: %s",
			    po ? " " : "", po ? po : "", reason);
		return 0;
	}
	error = ps_store_xref_get(&xr, pc->env->store, "order",
				  PS_PLATFORM_DSCO, id,
				  PS_PLATFORM_BRIGHTPEARL);
	free(xr);
	if (error == 0)
		return 0; /* imported: its later flows read it themselves */
	if (error != PS_ENOTFOUND)
		return error;
	ps_error_clear();
	ps_log_warn(pc->flow, "%s: recorded on the PO's import entry", reason);
	snprintf(key, sizeof(key), "dsco:order:%s:import", id);
	return seen_add(pc, key, id, po);
}

static int
collect(void *ctx, const ps_dsco_order *o)
{
	poll_ctx *pc = ctx;
	char key[128];
	int error;

	if (o->dsco_order_id == NULL || o->dsco_order_id[0] == '\0')
		return 0;
	if ((error = pc->key_of(key, sizeof(key), pc->env, o)) <= 0)
		return error; /* nothing to record, or an error */
	return seen_add(pc, key, o->dsco_order_id, o->po_number);
}

int
ps_dsf__poll(ps_flow_env *env, const char *flow, const char *kind,
	     const char *cursor, ps_dsf_key_fn key_of)
{
	ps_dsco_order_query q = {0};
	poll_ctx pc;
	char *cur = NULL, buf[32];
	int64_t until = 0;
	size_t i;
	int more = 0, error;

	if (PS_DSF_DSCO(env) == NULL)
		return ps_error_set(PS_ESETTING,
				    "waiting for setting dsco.client_id");
	error = ps_store_cursor_get(&cur, NULL, env->store, cursor);
	if (error == PS_ENOTFOUND) {
		ps_error_clear();
		q.since = env->now - PS_DSF_FIRST_LOOKBACK_MS;
	} else if (error < 0) {
		return error;
	} else {
		q.since = strtoll(cur, NULL, 10) - PS_DSF_POLL_OVERLAP_MS;
		free(cur);
		if (q.since < 0)
			q.since = 0;
	}
	q.window = PS_DSCO_WINDOW_UPDATED;
	memset(&pc, 0, sizeof(pc));
	pc.env = env;
	pc.flow = flow;
	pc.key_of = key_of;
	q.bad = collect_bad;
	q.bad_ctx = &pc;
	/* read every page first: the store's write lock is not held while
	 * DSCO answers */
	error = ps_dsco_orders_foreach(&more, &until, PS_DSF_DSCO(env), &q, 0,
				       collect, &pc);
	if (error == 0 && (error = ps_store_begin(env->store)) == 0) {
		for (i = 0; i < pc.n && error == 0; i++)
			error = ps_pair__log_add(
				env, flow, pc.items[i].key, kind,
				pc.items[i].id, NULL, PS_PLATFORM_DSCO,
				pc.items[i].id, PS_PLATFORM_BRIGHTPEARL,
				pc.items[i].po);
		if (error == 0 && until > 0) {
			snprintf(buf, sizeof(buf), "%" PRId64, until);
			error = ps_store_cursor_set(env->store, cursor, buf,
						    env->now);
		}
		if (error == 0)
			error = ps_store_commit(env->store);
		else
			ps_store_rollback(env->store);
	}
	for (i = 0; i < pc.n; i++) {
		free(pc.items[i].key);
		free(pc.items[i].id);
		free(pc.items[i].po);
	}
	free(pc.items);
	return error;
}

/*
 * A PO to import: lifecycle created, or acknowledged with no Brightpearl
 * order linked (acknowledged after a crash, or by hand).
 */
static int
import_key(char *key, size_t cap, ps_flow_env *env, const ps_dsco_order *o)
{
	char *xr = NULL;
	int error;

	if (o->lifecycle == PS_DSCO_LIFECYCLE_ACKNOWLEDGED) {
		error = ps_store_xref_get(&xr, env->store, "order",
					  PS_PLATFORM_DSCO, o->dsco_order_id,
					  PS_PLATFORM_BRIGHTPEARL);
		free(xr);
		if (error == 0)
			return 0; /* imported */
		if (error != PS_ENOTFOUND)
			return error;
		ps_error_clear();
	} else if (o->lifecycle == PS_DSCO_LIFECYCLE_UNKNOWN) {
		/* a lifecycle DSCO added after this was written: say so
		 * rather than pass the PO over without a word */
		ps_log_warn(FLOW_NAME,
			    "DSCO PO %s has a lifecycle not known here; it is "
			    "not imported",
			    o->po_number);
		return 0;
	} else if (o->lifecycle != PS_DSCO_LIFECYCLE_CREATED) {
		return 0;
	}
	snprintf(key, cap, "dsco:order:%s:import", o->dsco_order_id);
	return 1;
}

static int
dsoi_poll(ps_flow_env *env)
{
	return ps_dsf__poll(env, FLOW_NAME, PS_DSF_KIND_ORDER_IMPORT,
			    CURSOR_STREAM, import_key);
}

/* ---- perform: customer -------------------------------------------------- */

/* "Ada Lovelace" into first and last (last: the last word). */
static void
split_name(char *first, size_t fcap, char *last, size_t lcap, const char *name)
{
	const char *sp = name ? strrchr(name, ' ') : NULL;

	first[0] = last[0] = '\0';
	if (name == NULL)
		return;
	if (sp == NULL) {
		snprintf(last, lcap, "%s", name);
		return;
	}
	snprintf(first, fcap, "%.*s", (int)(sp - name), name);
	snprintf(last, lcap, "%s", sp + 1);
}

static void
bp_address(ps_bp_address *a, const ps_dsco_address *d)
{
	memset(a, 0, sizeof(*a));
	a->full_name = d->name;
	a->company = d->company;
	a->line1 = d->address1;
	a->line2 = d->address2;
	a->line3 = d->city;
	a->line4 = d->region;
	a->postal_code = d->postal;
	a->country_iso = d->country ? ps_bp_country_iso3(d->country) : NULL;
	if (a->country_iso == NULL)
		a->country_iso = d->country;
	a->telephone = d->phone;
	a->email = d->email;
}

static int
customer_map(int64_t *out, char *how, size_t cap, ps_flow_env *env,
	     const ps_dsco_order *o)
{
	const char *rid = o->retailer_id ? o->retailer_id : "";
	char *t = NULL;
	int error;

	error = ps_store_mapping_get(&t, env->store, PS_DSF_MAP_CUSTOMER,
				     PS_DSF_MAP_DIRECTION, rid,
				     PS_STORE_MAPPING_FALLBACK);
	if (error == PS_ENOTFOUND)
		return ps_error_set(PS_EMAPPING,
				    "DSCO PO %s: retailer %s (%s) has no "
				    "dsco_customer mapping and there is no "
				    "default contact",
				    o->po_number, rid[0] ? rid : "(none)",
				    o->trading_partner_name
					    ? o->trading_partner_name
					    : "unnamed");
	if (error < 0)
		return error;
	error = parse_id(out, t);
	free(t);
	if (error < 0)
		return ps_error_set(PS_EMAPPING,
				    "DSCO PO %s: the dsco_customer mapping "
				    "of retailer %s is not a contact id",
				    o->po_number, rid);
	snprintf(how, cap, "mapped from retailer %s", rid[0] ? rid : "default");
	return 0;
}

static int
customer_auto(int64_t *out, char *how, size_t cap, ps_flow_env *env,
	      const ps_dsco_order *o)
{
	const ps_dsco_address *sa = &o->shipping;
	ps_bp_contact c = {0};
	ps_bp_ids ids = {0};
	char first[64], last[64], *xr = NULL, key[64], sid[24];
	int error;

	if (sa->email && sa->email[0]) {
		if ((error = ps_bp_contact_find_email(&ids, PS_DSF_BP(env),
						      sa->email)) < 0)
			return error;
		if (ids.n > 0) {
			*out = ids.ids[0];
			ps_bp_ids_dispose(&ids);
			snprintf(how, cap, "found by e-mail");
			return 0;
		}
		ps_bp_ids_dispose(&ids);
	} else {
		/* no e-mail to find it by: the contact made for this PO
		 * on an earlier attempt */
		snprintf(key, sizeof(key), "po:%s", o->dsco_order_id);
		error = ps_store_xref_get(&xr, env->store, "customer",
					  PS_PLATFORM_DSCO, key,
					  PS_PLATFORM_BRIGHTPEARL);
		if (error == 0) {
			error = parse_id(out, xr);
			free(xr);
			if (error == 0) {
				snprintf(how, cap, "created earlier");
				return 0;
			}
		} else if (error != PS_ENOTFOUND) {
			return error;
		}
		ps_error_clear();
	}
	if (sa->name == NULL || sa->name[0] == '\0')
		return ps_error_set(PS_EDATA,
				    "DSCO PO %s: the ship-to has no name to "
				    "create a customer from",
				    o->po_number);
	split_name(first, sizeof(first), last, sizeof(last), sa->name);
	c.first_name = first[0] ? first : NULL;
	c.last_name = last;
	c.email = sa->email && sa->email[0] ? sa->email : NULL;
	c.telephone = sa->phone;
	c.company = sa->company;
	bp_address(&c.address, sa);
	if ((error = ps_bp_contact_create(out, PS_DSF_BP(env), &c)) < 0)
		return error;
	if (c.email == NULL) {
		snprintf(sid, sizeof(sid), "%" PRId64, *out);
		if ((error = ps_store_xref_set(
			     env->store, "customer", PS_PLATFORM_DSCO, key,
			     PS_PLATFORM_BRIGHTPEARL, sid, env->now)) < 0)
			return error;
	}
	snprintf(how, cap, "created from the ship-to");
	return 0;
}

/* ---- perform: products -------------------------------------------------- */

/* The DSCO identifier of line l named by field (NULL when empty). */
static const char *
line_ident(const ps_dsco_order_line *l, const char *field)
{
	const char *v = NULL;

	if (strcmp(field, "partnerSku") == 0)
		v = l->partner_sku;
	else if (strcmp(field, "upc") == 0)
		v = l->upc;
	else if (strcmp(field, "ean") == 0)
		v = l->ean;
	else if (strcmp(field, "dscoItemId") == 0)
		v = l->dsco_item_id;
	else
		v = l->sku;
	return v && v[0] ? v : NULL;
}

static int
resolve_product(int64_t *out, ps_flow_env *env, const ps_dsf_settings *s,
		const ps_dsco_order *o, const ps_dsco_order_line *l)
{
	const char *id = line_ident(l, s->match_field);
	const char *sku = l->sku ? l->sku : "(no sku)";
	ps_bp_product_list pl = {0};
	char *t = NULL;
	int error;

	if (id == NULL)
		return ps_error_set(PS_EDATA,
				    "DSCO PO %s line %" PRId64 " (SKU %s): no "
				    "%s to identify the product by",
				    o->po_number, l->line_number, sku,
				    s->match_field);
	error = ps_store_mapping_get(&t, env->store, PS_DSF_MAP_PRODUCT,
				     PS_DSF_MAP_DIRECTION, id, 0);
	if (error == 0) {
		error = parse_id(out, t);
		free(t);
		if (error < 0)
			return ps_error_set(PS_EMAPPING,
					    "DSCO PO %s line %" PRId64
					    " (SKU %s): the dsco_product "
					    "mapping of %s is not a product id",
					    o->po_number, l->line_number, sku,
					    id);
		return 0;
	}
	if (error != PS_ENOTFOUND)
		return error;
	ps_error_clear();
	if ((error = ps_bp_product_find(&pl, PS_DSF_BP(env), s->bp_field, id)) <
	    0)
		return error;
	if (pl.n == 1) {
		*out = pl.items[0].id;
		ps_bp_product_list_dispose(&pl);
		return 0;
	}
	error = ps_error_set(PS_EMAPPING,
			     "DSCO PO %s line %" PRId64 " (SKU %s): %s %s %s "
			     "Brightpearl product by %s; map it in "
			     "dsco_product and retry",
			     o->po_number, l->line_number, sku, s->match_field,
			     id,
			     pl.n == 0 ? "matches no" : "matches more than one",
			     ps_bp_identity_name(s->bp_field));
	ps_bp_product_list_dispose(&pl);
	return error;
}

/* ---- perform ------------------------------------------------------------ */

static int64_t
line_quantity(const ps_dsco_order_line *l)
{
	int64_t q = l->quantity - l->cancelled_quantity;

	if (l->status == PS_DSCO_LINE_CANCELLED)
		return 0;
	return q > 0 ? q : 0;
}

static int
order_wholly_cancelled(const ps_dsco_order *o)
{
	size_t i;

	if (o->status == PS_DSCO_STATUS_CANCELLED)
		return 1;
	for (i = 0; i < o->nlines; i++)
		if (line_quantity(&o->lines[i]) > 0)
			return 0;
	return 1;
}

/* Create the Brightpearl order of o into *out. */
static int
create_order(int64_t *out, char *how, size_t cap, ps_flow_env *env,
	     const ps_dsf_settings *s, const ps_dsco_order *o)
{
	ps_bp_order bo;
	ps_bp_order_row *rows = NULL;
	char ext[128], (*lref)[24] = NULL, chow[64];
	size_t i, n = 0;
	int64_t status_id = 0;
	int error;

	memset(&bo, 0, sizeof(bo));
	if ((error = ps_bp_order_status_resolve(&status_id, PS_DSF_BP(env),
						s->order_status,
						PS_SET_DSCO_ORDER_STATUS)) < 0)
		return error;
	rows = calloc(o->nlines ? o->nlines : 1, sizeof(*rows));
	lref = calloc(o->nlines ? o->nlines : 1, sizeof(*lref));
	if (rows == NULL || lref == NULL) {
		error = ps_error_set(PS_ENOMEM, "out of memory");
		goto done;
	}
	/* products first: an unknown item creates nothing, not even a
	 * customer */
	for (i = 0; i < o->nlines; i++) {
		const ps_dsco_order_line *l = &o->lines[i];
		int64_t q = line_quantity(l);

		if (q == 0)
			continue;
		if ((error = resolve_product(&rows[n].product_id, env, s, o,
					     l)) < 0)
			goto done;
		rows[n].name = l->title && l->title[0] ? l->title : l->sku;
		rows[n].quantity = q;
		rows[n].net = l->expected_cost * q;
		rows[n].tax = 0;
		rows[n].tax_code = s->tax_code;
		rows[n].nominal_code = s->nominal_code;
		snprintf(lref[n], sizeof(lref[n]), "%" PRId64,
			 l->line_number > 0 ? l->line_number : (int64_t)i + 1);
		rows[n].external_ref = lref[n];
		n++;
	}
	if (s->customers_map)
		error = customer_map(&bo.customer_id, chow, sizeof(chow), env,
				     o);
	else
		error = customer_auto(&bo.customer_id, chow, sizeof(chow), env,
				      o);
	if (error < 0)
		goto done;
	snprintf(ext, sizeof(ext), "%s%s", s->prefix, o->dsco_order_id);
	bp_address(&bo.delivery, &o->shipping);
	bo.ref = o->po_number;
	bo.external_ref = ext;
	bo.status_id = status_id;
	bo.channel_id = s->channel_id;
	bo.warehouse_id = s->warehouse_id;
	bo.price_list_id = s->price_list_id;
	bo.project_id = s->project_id;
	bo.lead_source_id = s->lead_source_id;
	bo.price_mode = "EXC";
	bo.currency = o->currency && o->currency[0] ? o->currency : NULL;
	bo.rows = rows;
	bo.nrows = n;
	if ((error = ps_bp_order_create(out, NULL, PS_DSF_BP(env), &bo)) < 0)
		goto done;
	snprintf(how, cap, "customer %" PRId64 " (%s), %zu row%s",
		 bo.customer_id, chow, n, n == 1 ? "" : "s");
done:
	free(rows);
	free(lref);
	return error;
}

/* Acknowledge o with the Brightpearl order id, once, and follow it. */
static int
acknowledge(ps_flow_env *env, const ps_dsco_order *o, int64_t bp_id)
{
	ps_dsco_ack ack;
	char sid[24], *req = NULL;
	int error;

	if ((error = ps_dsf__request_get(&req, env->store, o->dsco_order_id,
					 "ack")) < 0)
		return error;
	if (req == NULL) {
		snprintf(sid, sizeof(sid), "%" PRId64, bp_id);
		memset(&ack, 0, sizeof(ack));
		ack.order.dsco_order_id = o->dsco_order_id;
		ack.new_supplier_order_number = sid;
		if ((error = ps_dsco_orders_acknowledge(&req, PS_DSF_DSCO(env),
							&ack, 1)) < 0)
			return error;
		if ((error = ps_dsf__request_put(env, o->dsco_order_id, "ack",
						 req)) < 0)
			goto done;
	}
	error = ps_dsf__follow(env, req, "acknowledge", o->po_number);
	if (error == PS_EDATA) {
		/* refused: a retry (by the operator) sends a new one */
		int e2 = ps_dsf__request_put(env, o->dsco_order_id, "ack", "");

		(void)e2;
	}
done:
	free(req);
	return error;
}

static int
set_fields(ps_flow_env *env, const ps_log_entry *entry, const ps_dsco_order *o)
{
	ps_log_entry f;
	ps_money total = 0;
	size_t i;

	for (i = 0; i < o->nlines; i++)
		total +=
			o->lines[i].expected_cost * line_quantity(&o->lines[i]);
	ps_log_entry_init(&f);
	f.order_number = (char *)o->po_number;
	f.total = total;
	f.has_total = 1;
	f.currency =
		(char *)(o->currency && o->currency[0] ? o->currency : NULL);
	f.shipping_method = (char *)o->ship_service_level;
	return ps_store_log_set_fields(env->store, entry->id, &f, env->now);
}

static int
dsoi_perform(ps_flow_env *env, const ps_log_entry *entry, ps_flow_result *res)
{
	ps_dsf_settings s;
	ps_dsco_order o;
	char how[160], sid[24];
	int64_t bp_id = 0;
	int lookup, adopted = 0, error;

	if (PS_DSF_DSCO(env) == NULL)
		return ps_error_set(PS_ESETTING,
				    "waiting for setting dsco.client_id");
	if (PS_DSF_BP(env) == NULL)
		return ps_error_set(PS_ESETTING,
				    "waiting for setting brightpearl.account");
	if (entry->subject == NULL || entry->subject[0] == '\0')
		return ps_error_set(PS_EDATA, "entry %" PRId64 " names no PO",
				    entry->id);
	if ((error = ps_dsf__settings_load(&s, env->store)) < 0)
		return error;
	memset(&o, 0, sizeof(o));
	if ((error = ps_dsco_order_get(&o, PS_DSF_DSCO(env),
				       PS_DSCO_KEY_DSCO_ORDER_ID,
				       entry->subject)) < 0)
		goto done;
	if ((error = set_fields(env, entry, &o)) < 0)
		goto done;
	/* any earlier attempt may have created the order */
	lookup = entry->attempts > 1 || (entry->reason && entry->reason[0]);
	if ((error = ps_dsf__bp_order(&bp_id, env, &s, o.dsco_order_id,
				      lookup)) < 0)
		goto done;
	adopted = bp_id > 0;
	if (!adopted && order_wholly_cancelled(&o)) {
		error = ps_pair__result(res, NULL,
					"skipped: DSCO PO %s was cancelled "
					"before it was imported",
					o.po_number);
		goto done;
	}
	if (adopted) {
		snprintf(how, sizeof(how),
			 "order already in Brightpearl: "
			 "adopted");
	} else {
		if ((error = create_order(&bp_id, how, sizeof(how), env, &s,
					  &o)) < 0)
			goto done;
		if ((error = link_order(env, o.dsco_order_id, bp_id)) < 0)
			goto done;
	}
	if (o.lifecycle == PS_DSCO_LIFECYCLE_CREATED &&
	    (error = acknowledge(env, &o, bp_id)) < 0)
		goto done;
	snprintf(sid, sizeof(sid), "%" PRId64, bp_id);
	error = ps_pair__result(res, sid,
				"DSCO PO %s -> Brightpearl order %" PRId64
				" (%s); acknowledged in DSCO",
				o.po_number, bp_id, how);
done:
	ps_dsco_order_dispose(&o);
	ps_dsf__settings_dispose(&s);
	return error;
}

const ps_flow_ops ps_flow_order_import_dsco = {
	.name = FLOW_NAME,
	.alias = "dsco-orders",
	.description = "DSCO purchase orders into Brightpearl sales orders, "
		       "acknowledged in DSCO",
	.source = PS_PLATFORM_DSCO,
	.target = PS_PLATFORM_BRIGHTPEARL,
	.priority = PS_FLOW_PRIORITY_FIRST,
	.enabled_setting = PS_SET_DSCO_ORDERS_ENABLED,
	.owns = dsoi_owns,
	.nowns = PS__ARRAY_LEN(dsoi_owns),
	.poll = dsoi_poll,
	.poll_interval_ms = 0,
	.perform = dsoi_perform,
};
