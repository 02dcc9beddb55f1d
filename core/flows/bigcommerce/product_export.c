/*
 * product_export.c - Brightpearl products and prices to the BigCommerce
 * catalog (flow product_export_bc, alias catalog).
 *
 * Discovery: Brightpearl's product.created and product.modified webhooks
 * are the fast path (they carry the product id only: an entry of kind
 * product.export, subject the product, key "bc.catalog:p<id>:ev<event>");
 * the safety net is a poll of the product search by updatedOn from a
 * stored cursor, whose rows also say the product's group.  A changed
 * product in no group is an entry of kind product.export; a variant is
 * kind product_group.export (subject the productGroupId), as the whole
 * group is one BigCommerce product with one variant per Brightpearl
 * product, its options taken from the product's variations.  A webhook
 * entry whose product turns out to be in a group does its group.  The
 * poll's dedupe key carries updatedOn, so the inclusive cursor never
 * records the same change twice.
 *
 * Performing: the entries due are done together (perform_batch): one
 * product search per group for its members, then one product read and
 * one price read per 200 products; creates are one POST each (BigCommerce
 * creates one product a request, with its variants inline); updates go
 * in PUT /v3/catalog/products batches of 10 and PUT /v3/catalog/variants
 * batches of 50.
 *
 * Only changed fields are sent: every value written is recorded
 * (ps_store_written_set, object "product" or "variant" by BigCommerce
 * id); a field is sent when Brightpearl's value is not the one recorded.
 * Fields the merchant owns (the bigcommerce.catalog.sync_* settings off)
 * are never sent after the create; name, weight and price go in the
 * create even then, because BigCommerce requires them.  The SKU is the
 * identity and always Brightpearl's.
 *
 * Exactly once: the BigCommerce product id is cross-referenced (xref
 * "product" for a product, "product_group" for a group, "variant" per
 * member) in the transaction that records the written values, right after
 * the create.  A worker killed between the create and that transaction
 * leaves the entry in flight; its retry (attempts > 1) first looks the
 * SKU up in BigCommerce and adopts what it finds, as does a create
 * refused as a duplicate (HTTP 409): an adopted product gets every owned
 * field sent once, which repeats nothing harmful.
 */
#include "flows/bigcommerce/pair_int.h"
#include "internal.h"
#include "setting_keys.h"
#include "pearlsync/bigcommerce.h"
#include "pearlsync/brightpearl.h"
#include "pearlsync/settings.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define FLOW "product_export_bc"
#define CURSOR "product_export_bc.updated_on"
/* Where the first poll starts: every product. */
#define SINCE_ALL "2000-01-01T00:00:00Z"
#define XREF_PRODUCT "product"
#define XREF_GROUP "product_group"
#define XREF_VARIANT "variant"
#define SENT_MAX 128

/* The Brightpearl webhooks the flow registers (on-hand changes, the
 * specialisation product.modified.on-hand-modified, are the inventory
 * flow's and are ignored here). */
static const char *const bp_events[] = {"product.created", "product.modified"};

/* Who owns what, and the price list (bigcommerce.catalog.*). */
typedef struct cfg {
	int name, description, price, weight, barcode;
	int64_t price_list;
} cfg;

/* One unit of work: a product, or a group of variants. */
typedef struct unit {
	int group;
	int64_t subject;  /* Brightpearl product or group id */
	int dup_of;       /* -1, or the entry that does the same unit */
	int code;         /* the outcome so far */
	char *why;        /* owned: the reason when code < 0 */
	int64_t *members; /* Brightpearl product ids (owned) */
	size_t nmembers;
	const ps_bp_catalog_item **items; /* per member, NULL: gone */
	int64_t bc_id;
	int64_t *variant_ids; /* per member; 0 unknown */
	int created, adopted;
	ps_bc_catalog_fields pf; /* the product update */
	int has_pupdate;
	char sent[SENT_MAX]; /* field names sent, for the detail */
	/* money formatted, kept for the written values */
	char pweight[PS_MONEY_STR_MAX], pprice[PS_MONEY_STR_MAX];
} unit;

static int
unit_fail(unit *u, int code)
{
	if (u->code == 0) {
		u->code = code;
		u->why = ps_util__strdup(ps_error_last());
	}
	return code;
}

static void
sent_add(unit *u, const char *field)
{
	size_t len = strlen(u->sent);

	if (strstr(u->sent, field) != NULL)
		return;
	snprintf(u->sent + len, sizeof(u->sent) - len, "%s%s", len ? ", " : "",
		 field);
}

static const char *
money_str(char *buf, ps_money m)
{
	return ps_money_format(buf, PS_MONEY_STR_MAX, m, 4);
}

/* ---- settings ----------------------------------------------------------- */

static int
cfg_load(cfg *c, ps_store *st)
{
	int error;

	memset(c, 0, sizeof(*c));
	if ((error = ps_settings_get_bool(&c->name, st,
					  PS_SET_BC_CATALOG_SYNC_NAME)) < 0 ||
	    (error = ps_settings_get_bool(&c->description, st,
					  PS_SET_BC_CATALOG_SYNC_DESCRIPTION)) <
		    0 ||
	    (error = ps_settings_get_bool(&c->price, st,
					  PS_SET_BC_CATALOG_SYNC_PRICE)) < 0 ||
	    (error = ps_settings_get_bool(&c->weight, st,
					  PS_SET_BC_CATALOG_SYNC_WEIGHT)) < 0 ||
	    (error = ps_settings_get_bool(&c->barcode, st,
					  PS_SET_BC_CATALOG_SYNC_BARCODE)) < 0)
		return error;
	if (ps_settings_get_int(&c->price_list, st,
				PS_SET_BC_CATALOG_PRICE_LIST_ID) < 0 ||
	    c->price_list <= 0) {
		ps_error_clear();
		if (ps_settings_get_int(&c->price_list, st,
					PS_SET_BC_DEFAULTS_PRICE_LIST_ID) < 0)
			c->price_list = 0;
		ps_error_clear();
	}
	if (c->price && c->price_list <= 0)
		return ps_error_set(PS_ESETTING,
				    "waiting for "
				    "bigcommerce.catalog.price_list_id (the "
				    "Brightpearl price list whose prices "
				    "BigCommerce shows)");
	return 0;
}

/* ---- discovery ---------------------------------------------------------- */

static int
product_poll(ps_flow_env *env)
{
	ps_bp *bp = PS_PAIR_BP(env);
	ps_bp_product_change *ch = NULL;
	char since[64], key[128], subject[32], *stored = NULL;
	const char *last;
	size_t n = 0, i;
	int error;

	if (bp == NULL || PS_PAIR_BC(env) == NULL)
		return 0;
	if ((error = ps_pair__hooks_poll(env, bp_events,
					 PS__ARRAY_LEN(bp_events))) < 0)
		return error;
	if (ps_store_cursor_get(&stored, NULL, env->store, CURSOR) == 0) {
		ps_util__strlcpy(since, stored, sizeof(since));
		free(stored);
	} else {
		ps_error_clear();
		ps_util__strlcpy(since, SINCE_ALL, sizeof(since));
	}
	if ((error = ps_bp_products_changed(&ch, &n, bp, since)) < 0)
		return error;
	last = since;
	if ((error = ps_store_begin(env->store)) < 0)
		goto done;
	for (i = 0; i < n && error == 0; i++) {
		int group = ch[i].group_id > 0;

		snprintf(subject, sizeof(subject), "%" PRId64,
			 group ? ch[i].group_id : ch[i].id);
		snprintf(key, sizeof(key), "bc.catalog:%s%s:%s",
			 group ? "g" : "p", subject, ch[i].updated_on);
		error = ps_pair__log_add(
			env, FLOW, key,
			group ? PS_PAIR_KIND_PRODUCT_GROUP_EXPORT
			      : PS_PAIR_KIND_PRODUCT_EXPORT,
			subject, NULL, PS_PLATFORM_BRIGHTPEARL, subject,
			PS_PLATFORM_BIGCOMMERCE, NULL);
		if (strcmp(ch[i].updated_on, last) > 0)
			last = ch[i].updated_on;
	}
	error = ps_pair__poll_end(env, CURSOR, last, error);
done:
	free(ch);
	return error;
}

/* A flow that is off registers nothing: its first poll once it is on
 * does (the worker polls only flows that are on). */
static int
product_init(void **out_state, ps_flow_env *env)
{
	if (!ps_pair__setting_on(env->store, PS_SET_BC_CATALOG_ENABLED))
		return ps_pair__hooks_init_later(out_state, env);
	return ps_pair__hooks_init(out_state, env, bp_events,
				   PS__ARRAY_LEN(bp_events));
}

static int
product_on_event(ps_flow_env *env, const ps_event *ev)
{
	char key[128], id[32];
	size_t i;
	int error;

	if (!ps_pair__event_is(ev, PS_PLATFORM_BRIGHTPEARL, "product") ||
	    (strcmp(ev->topic, "product.created") != 0 &&
	     strcmp(ev->topic, "product.modified") != 0) ||
	    !ps_pair__setting_on(env->store, PS_SET_BC_CATALOG_ENABLED))
		return 0;
	for (i = 0; i < ev->nids; i++) {
		snprintf(id, sizeof(id), "%" PRId64, ev->ids[i]);
		snprintf(key, sizeof(key), "bc.catalog:p%s:ev%" PRId64, id,
			 ev->id);
		if ((error = ps_pair__log_add(
			     env, FLOW, key, PS_PAIR_KIND_PRODUCT_EXPORT, id,
			     NULL, PS_PLATFORM_BRIGHTPEARL, id,
			     PS_PLATFORM_BIGCOMMERCE, NULL)) < 0)
			return error;
	}
	return 0;
}

/* ---- reading both sides -------------------------------------------------- */

static void
units_dispose(unit *u, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(u[i].why);
		free(u[i].members);
		free(u[i].items);
		free(u[i].variant_ids);
	}
	free(u);
}

/* The units of the entries; an entry of a unit seen before is a dup. */
static int
units_make(unit **out, const ps_log_entry *e, size_t n)
{
	unit *u = calloc(n ? n : 1, sizeof(*u));
	size_t i, k;

	*out = u;
	if (u == NULL)
		return ps_error_set(PS_ENOMEM, NULL);
	for (i = 0; i < n; i++) {
		u[i].dup_of = -1;
		u[i].group = ps_log_entry_is(&e[i],
					     PS_PAIR_KIND_PRODUCT_GROUP_EXPORT);
		if (!u[i].group &&
		    !ps_log_entry_is(&e[i], PS_PAIR_KIND_PRODUCT_EXPORT)) {
			ps_error_set(PS_EDATA,
				     "catalog entry %lld of kind '%s' not "
				     "understood",
				     (long long)e[i].id,
				     e[i].kind ? e[i].kind : "");
			unit_fail(&u[i], PS_EDATA);
			continue;
		}
		if (ps_pair__entry_subject(&u[i].subject, &e[i]) < 0) {
			unit_fail(&u[i], PS_EDATA);
			continue;
		}
		for (k = 0; k < i; k++)
			if (u[k].dup_of < 0 && u[k].code == 0 &&
			    u[k].group == u[i].group &&
			    u[k].subject == u[i].subject)
				u[i].dup_of = (int)k;
	}
	return 0;
}

/* Members of each unit: the product itself, or the group's products. */
static int
units_members(unit *u, size_t n, ps_bp *bp)
{
	size_t i;
	int error;

	for (i = 0; i < n; i++) {
		if (u[i].code < 0 || u[i].dup_of >= 0 || u[i].members != NULL)
			continue;
		if (!u[i].group) {
			if ((u[i].members = malloc(sizeof(int64_t))) == NULL)
				return ps_error_set(PS_ENOMEM, NULL);
			u[i].members[0] = u[i].subject;
			u[i].nmembers = 1;
		} else if ((error = ps_bp_product_group_ids(
				    &u[i].members, &u[i].nmembers, bp,
				    u[i].subject)) < 0) {
			if (ps_flow_classify(error) == PS_FLOW_RETRY)
				return error;
			unit_fail(&u[i], error);
			continue;
		}
		u[i].items = calloc(u[i].nmembers + 1, sizeof(*u[i].items));
		u[i].variant_ids =
			calloc(u[i].nmembers + 1, sizeof(*u[i].variant_ids));
		if (u[i].items == NULL || u[i].variant_ids == NULL)
			return ps_error_set(PS_ENOMEM, NULL);
	}
	return 0;
}

static int
item_cmp(const void *a, const void *b)
{
	const ps_bp_catalog_item *x = a, *y = b;

	return (x->id > y->id) - (x->id < y->id);
}

/* Read every member of every unit in id sets; attach the items. */
static int
units_read(ps_bp_catalog *cat, unit *u, size_t n, ps_bp *bp, const cfg *c)
{
	int64_t *ids = NULL;
	size_t i, k, count = 0, at = 0;
	int error;

	for (i = 0; i < n; i++)
		count += u[i].nmembers;
	if ((ids = calloc(count + 1, sizeof(*ids))) == NULL)
		return ps_error_set(PS_ENOMEM, NULL);
	for (i = 0; i < n; i++)
		for (k = 0; k < u[i].nmembers; k++)
			ids[at++] = u[i].members[k];
	error = ps_bp_catalog_get(cat, bp, ids, at, c->price_list);
	free(ids);
	if (error < 0)
		return error;
	for (i = 0; i < n; i++) {
		size_t have = 0;

		for (k = 0; k < u[i].nmembers; k++) {
			ps_bp_catalog_item key;

			key.id = u[i].members[k];
			u[i].items[k] =
				cat->n ? bsearch(&key, cat->items, cat->n,
						 sizeof(*cat->items), item_cmp)
				       : NULL;
			have += u[i].items[k] != NULL;
		}
		if (u[i].code == 0 && u[i].dup_of < 0 && have == 0) {
			ps_error_set(PS_ENOTFOUND,
				     "Brightpearl %s %" PRId64
				     " no longer exists",
				     u[i].group ? "product group" : "product",
				     u[i].subject);
			unit_fail(&u[i], PS_ENOTFOUND);
		}
	}
	return 0;
}

/* Mark units that do the same work as an earlier one of the batch. */
static void
units_dedupe(unit *u, size_t n)
{
	size_t i, k;

	for (i = 0; i < n; i++) {
		u[i].dup_of = -1;
		for (k = 0; k < i && u[i].code == 0; k++)
			if (u[k].dup_of < 0 && u[k].code == 0 &&
			    u[k].group == u[i].group &&
			    u[k].subject == u[i].subject) {
				u[i].dup_of = (int)k;
				break;
			}
	}
}

/*
 * A webhook entry names a product; when Brightpearl has it in a group,
 * the unit is its group: its members are found and everything is read
 * again (two more requests, only then).  *moved says whether any was.
 */
static int
units_regroup(ps_bp_catalog *cat, unit *u, size_t n, ps_bp *bp, const cfg *c)
{
	size_t i, moved = 0;
	int error;

	for (i = 0; i < n; i++) {
		if (u[i].group || u[i].code < 0 || u[i].dup_of >= 0 ||
		    u[i].items == NULL || u[i].items[0] == NULL ||
		    u[i].items[0]->group_id <= 0)
			continue;
		u[i].group = 1;
		u[i].subject = u[i].items[0]->group_id;
		free(u[i].members);
		free(u[i].items);
		free(u[i].variant_ids);
		u[i].members = NULL;
		u[i].items = NULL;
		u[i].variant_ids = NULL;
		u[i].nmembers = 0;
		moved++;
	}
	if (moved == 0)
		return 0;
	units_dedupe(u, n);
	ps_bp_catalog_dispose(cat);
	if ((error = units_members(u, n, bp)) < 0)
		return error;
	return units_read(cat, u, n, bp, c);
}

/* The first member Brightpearl still has: the group's face. */
static const ps_bp_catalog_item *
face(const unit *u)
{
	size_t k;

	for (k = 0; k < u->nmembers; k++)
		if (u->items[k] != NULL)
			return u->items[k];
	return NULL;
}

/* Every member needs a SKU (the identity) and, when prices are ours, a
 * price on the list. */
static int
unit_check(unit *u, const cfg *c)
{
	size_t k;

	for (k = 0; k < u->nmembers; k++) {
		const ps_bp_catalog_item *it = u->items[k];

		if (it == NULL)
			continue;
		if (it->sku == NULL || it->sku[0] == '\0')
			return unit_fail(
				u, ps_error_set(PS_EDATA,
						"Brightpearl product %" PRId64
						" has no SKU",
						it->id));
		if (c->price && !it->has_price)
			return unit_fail(
				u,
				ps_error_set(PS_EDATA,
					     "Brightpearl product %" PRId64
					     " (SKU %s) has no price on "
					     "price list %" PRId64,
					     it->id, it->sku, c->price_list));
		if (u->group && it->noptions == 0)
			return unit_fail(
				u, ps_error_set(PS_EDATA,
						"Brightpearl product %" PRId64
						" (SKU %s) is in group %" PRId64
						" but has no variations",
						it->id, it->sku, u->subject));
	}
	return 0;
}

/* ---- the cross-references ------------------------------------------------ */

static int
xref_id(int64_t *out, ps_store *st, const char *entity, int64_t bp_id)
{
	char id[32], *v = NULL;
	int error;

	*out = 0;
	snprintf(id, sizeof(id), "%" PRId64, bp_id);
	error = ps_store_xref_get(&v, st, entity, PS_PLATFORM_BRIGHTPEARL, id,
				  PS_PLATFORM_BIGCOMMERCE);
	if (error == PS_ENOTFOUND) {
		ps_error_clear();
		return 0;
	}
	if (error < 0)
		return error;
	*out = strtoll(v, NULL, 10);
	free(v);
	return 0;
}

static int
xref_put(ps_flow_env *env, const char *entity, int64_t bp_id, int64_t bc_id)
{
	char a[32], b[32];

	snprintf(a, sizeof(a), "%" PRId64, bp_id);
	snprintf(b, sizeof(b), "%" PRId64, bc_id);
	return ps_store_xref_set(env->store, entity, PS_PLATFORM_BRIGHTPEARL, a,
				 PS_PLATFORM_BIGCOMMERCE, b, env->now);
}

/* The links of a unit, inside the caller's transaction. */
static int
unit_link(unit *u, ps_flow_env *env)
{
	size_t k;
	int error;

	if ((error = xref_put(env, u->group ? XREF_GROUP : XREF_PRODUCT,
			      u->subject, u->bc_id)) < 0)
		return error;
	for (k = 0; u->group && k < u->nmembers; k++)
		if (u->variant_ids[k] > 0 &&
		    (error = xref_put(env, XREF_VARIANT, u->members[k],
				      u->variant_ids[k])) < 0)
			return error;
	return 0;
}

static int
unit_linked(unit *u, ps_store *st)
{
	size_t k;
	int error;

	if ((error = xref_id(&u->bc_id, st,
			     u->group ? XREF_GROUP : XREF_PRODUCT,
			     u->subject)) < 0)
		return error;
	for (k = 0; u->group && k < u->nmembers; k++)
		if ((error = xref_id(&u->variant_ids[k], st, XREF_VARIANT,
				     u->members[k])) < 0)
			return error;
	return 0;
}

/* ---- written values ------------------------------------------------------ */

static int
written(ps_flow_env *env, const char *object, int64_t id, const char *field,
	const char *value)
{
	char oid[32];

	snprintf(oid, sizeof(oid), "%" PRId64, id);
	return ps_store_written_set(env->store, PS_PLATFORM_BIGCOMMERCE, object,
				    oid, field, value, FLOW, env->now);
}

/* 1 when value differs from what pearlsync last wrote there. */
static int
differs(ps_flow_env *env, const char *object, int64_t id, const char *field,
	const char *value)
{
	char oid[32];
	int r;

	snprintf(oid, sizeof(oid), "%" PRId64, id);
	r = ps_store_written_is(env->store, PS_PLATFORM_BIGCOMMERCE, object,
				oid, field, value ? value : "");
	return r < 0 ? r : !r;
}

/* The product-level values of a unit (a group's from its face). */
static void
product_values(ps_bc_catalog_fields *f, unit *u)
{
	const ps_bp_catalog_item *it = face(u);

	memset(f, 0, sizeof(*f));
	f->name = it->name && it->name[0] ? it->name : it->sku;
	f->description = it->description ? it->description : "";
	if (!u->group) {
		f->sku = it->sku;
		f->upc = it->barcode ? it->barcode : "";
	}
	f->weight = it->weight;
	f->has_weight = 1;
	f->price = it->price;
	f->has_price = it->has_price;
	money_str(u->pweight, f->weight);
	money_str(u->pprice, f->price);
}

/* A variant's values from its Brightpearl product. */
static void
variant_values(ps_bc_catalog_fields *f, const ps_bp_catalog_item *it)
{
	memset(f, 0, sizeof(*f));
	f->sku = it->sku;
	f->upc = it->barcode ? it->barcode : "";
	f->weight = it->weight;
	f->has_weight = 1;
	f->price = it->price;
	f->has_price = it->has_price;
}

/*
 * Record f's set fields as written to object id.  Only those the
 * operator gave to Brightpearl are recorded: a field the merchant owns
 * was at most sent once, by the create.
 */
static int
record(ps_flow_env *env, const char *object, int64_t id,
       const ps_bc_catalog_fields *f, const cfg *c)
{
	char w[PS_MONEY_STR_MAX], p[PS_MONEY_STR_MAX];
	int error = 0;

	if ((f->name && c->name &&
	     (error = written(env, object, id, "name", f->name)) < 0) ||
	    (f->description && c->description &&
	     (error = written(env, object, id, "description", f->description)) <
		     0) ||
	    (f->sku && (error = written(env, object, id, "sku", f->sku)) < 0) ||
	    (f->upc && c->barcode &&
	     (error = written(env, object, id, "upc", f->upc)) < 0) ||
	    (f->has_weight && c->weight &&
	     (error = written(env, object, id, "weight",
			      money_str(w, f->weight))) < 0) ||
	    (f->has_price && c->price &&
	     (error = written(env, object, id, "price",
			      money_str(p, f->price))) < 0))
		return error;
	return 0;
}

/*
 * Reduce want to the owned fields whose value differs from the last
 * write to object id; *any is set when one is left.  Names go to u->sent.
 */
static int
diff(ps_bc_catalog_fields *want, int *any, ps_flow_env *env, unit *u,
     const char *object, int64_t id, const cfg *c)
{
	char w[PS_MONEY_STR_MAX], p[PS_MONEY_STR_MAX];
	int r;

	*any = 0;
#define KEEP(cond, field, value, clear)                                        \
	do {                                                                   \
		if (!(cond)) {                                                 \
			clear;                                                 \
			break;                                                 \
		}                                                              \
		if ((r = differs(env, object, id, field, value)) < 0)          \
			return r;                                              \
		if (r == 0) {                                                  \
			clear;                                                 \
		} else {                                                       \
			*any = 1;                                              \
			sent_add(u, field);                                    \
		}                                                              \
	} while (0)
	KEEP(want->name && c->name, "name", want->name, want->name = NULL);
	KEEP(want->description && c->description, "description",
	     want->description, want->description = NULL);
	KEEP(want->sku != NULL, "sku", want->sku, want->sku = NULL);
	KEEP(want->upc && c->barcode, "upc", want->upc, want->upc = NULL);
	KEEP(want->has_weight && c->weight, "weight",
	     money_str(w, want->weight), want->has_weight = 0);
	KEEP(want->has_price && c->price, "price", money_str(p, want->price),
	     want->has_price = 0);
#undef KEEP
	return 0;
}

/* ---- create and adopt ---------------------------------------------------- */

/* Find the unit's product in BigCommerce by its first SKU and link it. */
static int
adopt(unit *u, ps_flow_env *env)
{
	ps_bc *bc = PS_PAIR_BC(env);
	const ps_bp_catalog_item *it = face(u);
	ps_bc_sku_list vars = {0};
	ps_bc_sku s = {0};
	size_t k, j;
	int error;

	if ((error = ps_bc_catalog_find_sku(&s, bc, it->sku)) < 0)
		return error;
	if (!u->group && !s.is_base_variant) {
		/* adopting it would turn a product with options into this
		 * one product: its name and SKU would be overwritten */
		error = ps_error_set(PS_EDATA,
				     "SKU %s is a variant of BigCommerce "
				     "product %lld ('%s'), but Brightpearl "
				     "product %" PRId64 " is in no product "
				     "group: put the Brightpearl products of "
				     "that BigCommerce product in one group",
				     it->sku, (long long)s.product_id,
				     s.product_name ? s.product_name : "",
				     it->id);
		goto done;
	}
	u->bc_id = s.product_id;
	if (!u->group) {
		u->variant_ids[0] = s.variant_id;
	} else {
		if ((error = ps_bc_catalog_variants_of(&vars, bc, u->bc_id)) <
		    0)
			goto done;
		for (k = 0; k < u->nmembers; k++)
			for (j = 0; u->items[k] && j < vars.count; j++)
				if (strcasecmp(vars.items[j].sku,
					       u->items[k]->sku) == 0)
					u->variant_ids[k] =
						vars.items[j].variant_id;
	}
	if ((error = ps_store_begin(env->store)) < 0)
		goto done;
	if ((error = unit_link(u, env)) < 0 ||
	    (error = ps_store_commit(env->store)) < 0)
		ps_store_rollback(env->store);
	u->adopted = error == 0;
done:
	ps_bc_sku_list_dispose(&vars);
	ps_bc_sku_dispose(&s);
	return error;
}

static int
create(unit *u, ps_flow_env *env, const cfg *c)
{
	ps_bc_catalog_fields pf, full;
	ps_bc_variant_new *v = NULL;
	ps_bc_option_value *opts = NULL;
	ps_bc_created made = {0};
	size_t k, j, nv = 0, no = 0, at = 0;
	int error;

	product_values(&pf, u);
	full = pf;
	if (!c->description)
		pf.description = NULL;
	if (!c->barcode)
		pf.upc = NULL;
	if (pf.upc && pf.upc[0] == '\0')
		pf.upc = NULL;
	if (pf.description && pf.description[0] == '\0')
		pf.description = NULL;
	if (u->group) {
		for (k = 0; k < u->nmembers; k++)
			if (u->items[k] != NULL)
				no += u->items[k]->noptions;
		v = calloc(u->nmembers + 1, sizeof(*v));
		opts = calloc(no + 1, sizeof(*opts));
		if (v == NULL || opts == NULL) {
			error = ps_error_set(PS_ENOMEM, NULL);
			goto done;
		}
		for (k = 0; k < u->nmembers; k++) {
			const ps_bp_catalog_item *it = u->items[k];

			if (it == NULL)
				continue;
			variant_values(&v[nv].f, it);
			if (!c->barcode || !it->barcode || !it->barcode[0])
				v[nv].f.upc = NULL;
			v[nv].options = &opts[at];
			for (j = 0; j < it->noptions; j++, at++) {
				opts[at].option = it->options[j].name;
				opts[at].label = it->options[j].value;
			}
			v[nv].noptions = it->noptions;
			nv++;
		}
	}
	if ((error = ps_bc_catalog_create(&made, PS_PAIR_BC(env), &pf, v, nv)) <
	    0)
		goto done;
	u->bc_id = made.product_id;
	for (k = 0, j = 0; u->group && k < u->nmembers; k++)
		if (u->items[k] != NULL && j < made.nvariants)
			u->variant_ids[k] = made.variant_ids[j++];
	if (!u->group && made.nvariants > 0)
		u->variant_ids[0] = made.variant_ids[0];
	/* the link and what was written, together, at once */
	if ((error = ps_store_begin(env->store)) < 0)
		goto done;
	error = unit_link(u, env);
	/* what BigCommerce now holds: an empty barcode or description left
	 * out of the create is the empty value it keeps */
	if (error == 0)
		error = record(env, "product", u->bc_id, &full, c);
	for (k = 0; error == 0 && u->group && k < u->nmembers; k++)
		if (u->items[k] != NULL && u->variant_ids[k] > 0) {
			variant_values(&full, u->items[k]);
			error = record(env, "variant", u->variant_ids[k], &full,
				       c);
		}
	if (error == 0)
		error = ps_store_commit(env->store);
	else
		ps_store_rollback(env->store);
	u->created = error == 0;
	snprintf(u->sent, sizeof(u->sent), "%s", "every field");
done:
	ps_bc_created_dispose(&made);
	free(opts);
	free(v);
	return error;
}

/* Linked already, adopted, or created: what it takes for each unit. */
static int
unit_resolve(unit *u, const ps_log_entry *e, ps_flow_env *env, const cfg *c)
{
	int error;

	if ((error = unit_linked(u, env->store)) < 0)
		return error;
	if (u->bc_id > 0)
		return 0;
	/* a retry may follow a create whose reply was lost: look first */
	if (e->attempts > 1) {
		error = adopt(u, env);
		if (error != PS_ENOTFOUND)
			return error;
		ps_error_clear();
	}
	error = create(u, env, c);
	if (error == PS_EEXISTS) {
		/* the SKU (or the name) is taken: ours, or the merchant's */
		char *why = ps_util__strdup(ps_error_last());

		error = adopt(u, env);
		if (error == PS_ENOTFOUND)
			error = ps_error_set(PS_EDATA, "%s",
					     why ? why : "conflict");
		free(why);
	}
	return error;
}

/* ---- updates ------------------------------------------------------------- */

/* A variant update and the unit and member it belongs to. */
typedef struct vupdate {
	size_t unit, member;
} vupdate;

/* One update queue: the items and where each came from. */
typedef struct queue {
	ps_bc_catalog_update *u;
	vupdate *from;
	size_t n;
} queue;

static int
queue_add(queue *q, size_t unit_i, size_t member, int64_t id,
	  const ps_bc_catalog_fields *f)
{
	q->u[q->n].id = id;
	q->u[q->n].f = *f;
	q->from[q->n].unit = unit_i;
	q->from[q->n].member = member;
	q->n++;
	return 0;
}

/* What changed of unit i into the queues. */
static int
unit_plan(unit *u, size_t i, ps_flow_env *env, const cfg *c, queue *pq,
	  queue *vq)
{
	ps_bc_catalog_fields f;
	size_t k;
	int any, error;

	product_values(&f, u);
	if ((error = diff(&f, &any, env, u, "product", u->bc_id, c)) < 0)
		return error;
	if (any)
		queue_add(pq, i, 0, u->bc_id, &f);
	for (k = 0; u->group && k < u->nmembers; k++) {
		if (u->items[k] == NULL)
			continue;
		if (u->variant_ids[k] <= 0)
			return ps_error_set(
				PS_EDATA,
				"Brightpearl product %" PRId64
				" (SKU %s) joined group %" PRId64
				" after its BigCommerce product %" PRId64
				" was made; add the variant in BigCommerce "
				"with that SKU and retry",
				u->members[k], u->items[k]->sku, u->subject,
				u->bc_id);
		variant_values(&f, u->items[k]);
		if ((error = diff(&f, &any, env, u, "variant",
				  u->variant_ids[k], c)) < 0)
			return error;
		if (any)
			queue_add(vq, i, k, u->variant_ids[k], &f);
	}
	return 0;
}

/* Record the written values of the updates that went through; fail the
 * units of those that did not. */
static int
queue_settle(queue *q, ps_bc_catalog_outcome *out, unit *u, ps_flow_env *env,
	     const cfg *c, const char *object)
{
	size_t i;
	int error = 0;

	for (i = 0; i < q->n; i++) {
		unit *owner = &u[q->from[i].unit];

		if (out[i].code < 0) {
			const ps_bp_catalog_item *it =
				owner->items[q->from[i].member];

			/* name the SKU: what the operator searches the log for
			 */
			if (owner->code == 0) {
				ps_error_set(out[i].code, "SKU %s: %s",
					     it && it->sku ? it->sku : "?",
					     out[i].why ? out[i].why
							: "refused");
				unit_fail(owner, out[i].code);
			}
			continue;
		}
		if ((error = record(env, object, q->u[i].id, &q->u[i].f, c)) <
		    0)
			return error;
	}
	return 0;
}

static int
send_updates(unit *u, size_t n, ps_flow_env *env, const cfg *c)
{
	queue pq = {0}, vq = {0};
	ps_bc_catalog_outcome *po = NULL, *vo = NULL;
	size_t i, total = 0, reqs = 0;
	int error = 0;

	for (i = 0; i < n; i++)
		total += u[i].nmembers + 1;
	pq.u = calloc(total + 1, sizeof(*pq.u));
	pq.from = calloc(total + 1, sizeof(*pq.from));
	vq.u = calloc(total + 1, sizeof(*vq.u));
	vq.from = calloc(total + 1, sizeof(*vq.from));
	po = calloc(total + 1, sizeof(*po));
	vo = calloc(total + 1, sizeof(*vo));
	if (!pq.u || !pq.from || !vq.u || !vq.from || !po || !vo) {
		error = ps_error_set(PS_ENOMEM, NULL);
		goto done;
	}
	for (i = 0; i < n; i++) {
		int e;

		if (u[i].code < 0 || u[i].dup_of >= 0 || u[i].bc_id <= 0 ||
		    u[i].created)
			continue;
		if ((e = unit_plan(&u[i], i, env, c, &pq, &vq)) < 0)
			unit_fail(&u[i], e);
	}
	if (pq.n > 0)
		error = ps_bc_catalog_products_update(
			po, &reqs, PS_PAIR_BC(env), pq.u, pq.n);
	if (error == 0 && vq.n > 0)
		error = ps_bc_catalog_variants_update(
			vo, &reqs, PS_PAIR_BC(env), vq.u, vq.n);
	if (error < 0 && ps_flow_classify(error) == PS_FLOW_RETRY)
		goto done; /* nothing recorded: every unit is tried again */
	error = 0;
	if ((error = ps_store_begin(env->store)) < 0)
		goto done;
	if ((error = queue_settle(&pq, po, u, env, c, "product")) < 0 ||
	    (error = queue_settle(&vq, vo, u, env, c, "variant")) < 0 ||
	    (error = ps_store_commit(env->store)) < 0)
		ps_store_rollback(env->store);
done:
	if (po)
		ps_bc_catalog_outcomes_dispose(po, pq.n);
	if (vo)
		ps_bc_catalog_outcomes_dispose(vo, vq.n);
	free(po);
	free(vo);
	free(pq.u);
	free(pq.from);
	free(vq.u);
	free(vq.from);
	return error;
}

/* ---- perform ------------------------------------------------------------- */

static int
unit_result(ps_flow_result *res, int *code, const unit *u, const unit *all,
	    const ps_log_entry *entries)
{
	char target[160], what[96];
	const unit *d = u->dup_of >= 0 ? &all[u->dup_of] : u;

	if (d->code < 0) {
		*code = d->code;
		res->detail = ps_util__strdup(d->why ? d->why
						     : "catalog export failed");
		return res->detail ? 0 : ps_error_set(PS_ENOMEM, NULL);
	}
	*code = 0;
	/* the SKU first: the log search looks at the target id, and the
	 * SKU is what an operator searches for */
	if (d->group && d->nmembers > 1)
		snprintf(target, sizeof(target), "%s +%zu (%" PRId64 ")",
			 face(d)->sku, d->nmembers - 1, d->bc_id);
	else
		snprintf(target, sizeof(target), "%s (%" PRId64 ")",
			 face(d)->sku, d->bc_id);
	if (u->dup_of >= 0)
		return ps_pair__result(res, target,
				       "done with entry %lld (same %s)",
				       (long long)entries[u->dup_of].id,
				       u->group ? "product group" : "product");
	if (u->group)
		snprintf(what, sizeof(what),
			 "Brightpearl group %" PRId64 ", %zu variants",
			 u->subject, u->nmembers);
	else
		snprintf(what, sizeof(what), "SKU %s", face(u)->sku);
	return ps_pair__result(
		res, target, "%s BigCommerce product %" PRId64 " (%s)%s%s",
		d->created   ? "created"
		: d->adopted ? "adopted"
			     : "updated",
		d->bc_id, what, d->sent[0] ? ": sent " : ": nothing changed",
		d->sent);
}

static int
product_perform_batch(ps_flow_env *env, const ps_log_entry *entries, size_t n,
		      ps_flow_result *results, int *codes)
{
	ps_bp *bp = PS_PAIR_BP(env);
	ps_bc *bc = PS_PAIR_BC(env);
	ps_bp_catalog cat = {0};
	unit *u = NULL;
	cfg c;
	size_t i;
	int error;

	if (bp == NULL || bc == NULL)
		return ps_error_set(PS_ESETTING,
				    "waiting for the Brightpearl and "
				    "BigCommerce connections");
	if ((error = cfg_load(&c, env->store)) < 0)
		return error;
	if ((error = units_make(&u, entries, n)) < 0 ||
	    (error = units_members(u, n, bp)) < 0 ||
	    (error = units_read(&cat, u, n, bp, &c)) < 0 ||
	    (error = units_regroup(&cat, u, n, bp, &c)) < 0)
		goto done;
	for (i = 0; i < n; i++) {
		if (u[i].code < 0 || u[i].dup_of >= 0 ||
		    unit_check(&u[i], &c) < 0)
			continue;
		/* each unit its own outcome; a transient one retries it */
		if ((error = unit_resolve(&u[i], &entries[i], env, &c)) < 0)
			unit_fail(&u[i], error);
		error = 0;
	}
	if ((error = send_updates(u, n, env, &c)) < 0)
		goto done;
	for (i = 0; i < n; i++) {
		int e = unit_result(&results[i], &codes[i], &u[i], u, entries);

		if (e < 0) {
			error = e;
			goto done;
		}
	}
done:
	ps_bp_catalog_dispose(&cat);
	if (u != NULL)
		units_dispose(u, n);
	return error;
}

static int
product_perform(ps_flow_env *env, const ps_log_entry *entry,
		ps_flow_result *res)
{
	int code = 0, error;

	error = product_perform_batch(env, entry, 1, res, &code);
	if (error < 0)
		return error;
	if (code < 0) {
		error = ps_error_set(code, "%s",
				     res->detail ? res->detail : "failed");
		ps_flow_result_dispose(res);
		return error;
	}
	return 0;
}

/* What the flow writes (README.md, "Who writes what"). */
static const ps_flow_owns product_owns[] = {
	{PS_PLATFORM_BIGCOMMERCE, "product", "name", PS_PLATFORM_BRIGHTPEARL},
	{PS_PLATFORM_BIGCOMMERCE, "product", "description",
	 PS_PLATFORM_BRIGHTPEARL},
	{PS_PLATFORM_BIGCOMMERCE, "product", "sku", PS_PLATFORM_BRIGHTPEARL},
	{PS_PLATFORM_BIGCOMMERCE, "product", "upc", PS_PLATFORM_BRIGHTPEARL},
	{PS_PLATFORM_BIGCOMMERCE, "product", "weight", PS_PLATFORM_BRIGHTPEARL},
	{PS_PLATFORM_BIGCOMMERCE, "product", "price", PS_PLATFORM_BRIGHTPEARL},
	{PS_PLATFORM_BIGCOMMERCE, "variant", "sku", PS_PLATFORM_BRIGHTPEARL},
	{PS_PLATFORM_BIGCOMMERCE, "variant", "upc", PS_PLATFORM_BRIGHTPEARL},
	{PS_PLATFORM_BIGCOMMERCE, "variant", "weight", PS_PLATFORM_BRIGHTPEARL},
	{PS_PLATFORM_BIGCOMMERCE, "variant", "price", PS_PLATFORM_BRIGHTPEARL},
};

const ps_flow_ops ps_flow_product_export_bc = {
	.name = FLOW,
	.alias = "catalog",
	.description = "Brightpearl products and prices to the BigCommerce "
		       "catalog",
	.source = PS_PLATFORM_BRIGHTPEARL,
	.target = PS_PLATFORM_BIGCOMMERCE,
	.enabled_setting = PS_SET_BC_CATALOG_ENABLED,
	.owns = product_owns,
	.nowns = PS__ARRAY_LEN(product_owns),
	.init = product_init,
	.fini = ps_pair__hooks_fini,
	.on_event = product_on_event,
	.poll = product_poll,
	.poll_interval_ms = 0,
	.perform = product_perform,
	.perform_batch = product_perform_batch,
};
