/*
 * order_import_bc.c - BigCommerce orders into Brightpearl sales orders,
 * exactly once.
 *
 * Log entries (kind, subject the BigCommerce order; dedupe key):
 *   order.import   bc:order:<id>:import            the one import of an
 *                                                  order
 *   order.status   bc:order:<id>:status:<status>   a status change seen by
 *                                                  webhook or poll
 *   order.status   bc:order:<id>:status:ev<event>  a statusUpdated webhook
 *                                                  without the new status
 *   order.notes    bc:order:<id>:notes:<hash>      a notes edit seen by the
 *                                                  poll
 *   order.address  bc:order:<id>:address:<hash>    a billing or shipping
 *                                                  address edit seen by
 *                                                  the poll
 *   order.edit     bc:order:<id>:updated:<time>    a store/order/updated
 *                                                  webhook (the time
 *                                                  BigCommerce gives the
 *                                                  change)
 *   order.edit     bc:order:<id>:updated:ev<event> one without a time
 *   order.edit     bc:order:<id>:unreadable:<hash> an order the poll could
 *                                                  not read
 * A webhook says which order changed, not how (the flow reads decoded
 * events: topic and ids): its entry reads the order when performed.
 * Edits update the existing Brightpearl order (found by xref, else by
 * externalRef) and never create one.  Addresses: the billing address and
 * the first shipping address replace the Brightpearl order's billing and
 * delivery addresses (sales-order PUT) while nothing of it is invoiced or
 * shipped; after that the entry fails naming the changed fields, and the
 * change counts as handled so later edits of the order go through.
 *
 * Filtered orders: the poll knows each order's status and records nothing
 * for an order whose status is not in bigcommerce.orders.import_statuses (or a
 * guest order when guests are off).  A store/order/created webhook carries no
 * status, so it always records the import entry; when the order turns out to be
 * filtered the entry is synced with no target and the detail "skipped: <why>".
 * A later status change into an imported status (by webhook or poll) re-opens
 * that entry, so the order is still imported once, under the same key.
 *
 * Exactly once: the created order carries externalRef (the BigCommerce id
 * with bigcommerce.orders.reference_prefix) and installedIntegrationInstanceId;
 * when the entry was interrupted, failed before or is on a later attempt, the
 * order is looked up by externalRef first and adopted.  Payments are keyed by
 * transaction reference, notes are not re-added when the order already has the
 * text, and a reservation that already exists is kept.  Reservations are
 * per sales-order row: the sales-order POST replies only the id, so the
 * row ids are read back from the order (one read, or one id-set read for
 * a batch) before the reservation is sent.
 *
 * Batches (perform_batch, when the worker has several imports due, and
 * perform for an import due alone, as a batch of one): each
 * import is prepared as in perform (order read, filters, contacts and
 * products through the flow's caches), then the new orders go to
 * Brightpearl in one multi-message request and their notes, payments and
 * reservations in as few more as fit ten messages each.  Every entry is
 * still IN_FLIGHT before the batch and gets its own outcome: a message
 * Brightpearl refuses fails only its entry, and one whose fate is unknown
 * is looked up by externalRef and adopted, or created with the direct
 * (duplicate-guarded) call.
 */
#include "flows/bigcommerce/order_import_int.h"
#include "flows/bigcommerce/echo_int.h"
#include "internal.h"
#include "setting_keys.h"

#include <ctype.h>
#include <stdarg.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "pearlsync/replay.h"
#include "pearlsync/settings.h"

#include <jansson.h>

#define FLOW "order_import_bc"

/* What the flow writes (README.md, "Who writes what"). */
static const ps_flow_owns oib_owns[] = {
	{PS_PLATFORM_BRIGHTPEARL, "order", "lines", PS_PLATFORM_BIGCOMMERCE},
	{PS_PLATFORM_BRIGHTPEARL, "order", "customer", PS_PLATFORM_BIGCOMMERCE},
	{PS_PLATFORM_BRIGHTPEARL, "order", "payments", PS_PLATFORM_BIGCOMMERCE},
	{PS_PLATFORM_BRIGHTPEARL, "order", "reservation",
	 PS_PLATFORM_BIGCOMMERCE},
	{PS_PLATFORM_BRIGHTPEARL, "order", "custom-fields",
	 PS_PLATFORM_BIGCOMMERCE},
	{PS_PLATFORM_BRIGHTPEARL, "contact", "*", PS_PLATFORM_BIGCOMMERCE},
	{PS_PLATFORM_BRIGHTPEARL, "contact", "names", PS_PLATFORM_BIGCOMMERCE},
	{PS_PLATFORM_BRIGHTPEARL, "order", "status", PS_PLATFORM_BIGCOMMERCE},
	{PS_PLATFORM_BRIGHTPEARL, "order", "addresses",
	 PS_PLATFORM_BIGCOMMERCE},
	{PS_PLATFORM_BRIGHTPEARL, "order", "notes", PS_PLATFORM_BIGCOMMERCE},
};

#define CURSOR_STREAM "bc.orders.modified"
#define POLL_OVERLAP_S 300
#define CACHE_MAX 4096

/* ---- flow state: caches ------------------------------------------------- */

typedef struct contact_entry {
	char *email; /* lower case */
	int64_t id;
	char *first, *last, *phone;
} contact_entry;

typedef struct product_entry {
	char *key; /* match field value */
	int64_t id;
} product_entry;

/* A mapping looked up during one batch: mappings do not change within
 * it, and an order needs several (status, shipping, payment, products). */
typedef struct map_memo {
	char *key;   /* kind, source and flags */
	char *value; /* NULL: no such mapping */
} map_memo;

#define MEMO_MAX 256

typedef struct oib_state {
	contact_entry *contacts;
	size_t ncontacts;
	product_entry *products;
	size_t nproducts;
	map_memo memo[MEMO_MAX];
	size_t nmemo;
	int memo_on; /* inside perform_batch */
	/* the orders the last poll read (with their lines) that wait for
	 * their import: a batch soon after takes them instead of reading
	 * them again (see SNAP_MAX_AGE_MS); taken ones have id 0 */
	ps_bc_order *snap;
	size_t nsnap, snap_cap;
	size_t snap_bytes; /* ps_bc_order_size of those kept, <= SNAP_BYTES */
	int64_t snap_at;
	/* when this worker last brought the contact directory up to date
	 * (clock ms; 0: not yet), see DIR_TRUST_MS */
	int64_t dir_at;
} oib_state;

/* How long the poll's copy of an order stands in for a fresh read: a
 * change after it arrives as its own entry (status, notes), as a change
 * just after a fresh read would. */
#define SNAP_MAX_AGE_MS 10000
/*
 * The most the copies may hold.  The worker's memory must not grow with
 * the backlog, and a copy only saves a read that costs one request per
 * batch (ps_bc_orders_get_many): 1 MiB keeps several hundred orders, the
 * next dozen batches or more, and the orders past it are read again when
 * their turn comes.
 */
#define SNAP_BYTES (1024 * 1024)
/* Orders the poll handles per transaction, as the listing streams them:
 * one chunk of parsed orders is held at a time. */
#define POLL_CHUNK 100

static void
snap_clear(oib_state *s)
{
	size_t i;

	if (s == NULL)
		return;
	for (i = 0; i < s->nsnap; i++)
		ps_bc_order_dispose(&s->snap[i]);
	free(s->snap);
	s->snap = NULL;
	s->nsnap = s->snap_cap = s->snap_bytes = 0;
}

static void
memo_end(oib_state *s)
{
	size_t i;

	if (s == NULL)
		return;
	for (i = 0; i < s->nmemo; i++) {
		free(s->memo[i].key);
		free(s->memo[i].value);
	}
	s->nmemo = 0;
	s->memo_on = 0;
}

static void
state_clear(oib_state *s)
{
	size_t i;

	for (i = 0; i < s->ncontacts; i++) {
		free(s->contacts[i].email);
		free(s->contacts[i].first);
		free(s->contacts[i].last);
		free(s->contacts[i].phone);
	}
	for (i = 0; i < s->nproducts; i++)
		free(s->products[i].key);
	s->ncontacts = s->nproducts = 0;
}

static int
oib_init(void **out_state, ps_flow_env *env)
{
	oib_state *s = calloc(1, sizeof(*s));

	(void)env;
	*out_state = NULL;
	if (s == NULL)
		return ps_error_set(PS_ENOMEM, "out of memory");
	s->contacts = calloc(CACHE_MAX, sizeof(*s->contacts));
	s->products = calloc(CACHE_MAX, sizeof(*s->products));
	if (s->contacts == NULL || s->products == NULL) {
		free(s->contacts);
		free(s->products);
		free(s);
		return ps_error_set(PS_ENOMEM, "out of memory");
	}
	*out_state = s;
	return 0;
}

static void
oib_fini(void *state)
{
	oib_state *s = state;

	if (s == NULL)
		return;
	state_clear(s);
	memo_end(s);
	snap_clear(s);
	free(s->contacts);
	free(s->products);
	free(s);
}

static char *
lower_dup(const char *s)
{
	char *d = ps_util__strdup(s);
	char *p;

	for (p = d; p && *p; p++)
		*p = (char)tolower((unsigned char)*p);
	return d;
}

static contact_entry *
contact_find(oib_state *s, const char *email)
{
	size_t i;

	if (s == NULL)
		return NULL;
	for (i = 0; i < s->ncontacts; i++)
		if (strcasecmp(s->contacts[i].email, email) == 0)
			return &s->contacts[i];
	return NULL;
}

static void
contact_put(oib_state *s, const char *email, int64_t id, const char *first,
	    const char *last, const char *phone)
{
	contact_entry *c;

	if (s == NULL)
		return;
	if ((c = contact_find(s, email)) == NULL) {
		if (s->ncontacts == CACHE_MAX)
			state_clear(s);
		c = &s->contacts[s->ncontacts++];
		memset(c, 0, sizeof(*c));
		c->email = lower_dup(email);
	}
	free(c->first);
	free(c->last);
	free(c->phone);
	c->id = id;
	c->first = ps_util__strdup(first ? first : "");
	c->last = ps_util__strdup(last ? last : "");
	c->phone = ps_util__strdup(phone ? phone : "");
	if (c->email == NULL || c->first == NULL || c->last == NULL ||
	    c->phone == NULL) { /* out of memory: forget it */
		state_clear(s);
	}
}

static int64_t
product_find(oib_state *s, const char *key)
{
	size_t i;

	if (s == NULL)
		return 0;
	for (i = 0; i < s->nproducts; i++)
		if (strcmp(s->products[i].key, key) == 0)
			return s->products[i].id;
	return 0;
}

static void
product_put(oib_state *s, const char *key, int64_t id)
{
	if (s == NULL)
		return;
	if (s->nproducts == CACHE_MAX)
		state_clear(s);
	s->products[s->nproducts].key = ps_util__strdup(key);
	if (s->products[s->nproducts].key == NULL)
		return;
	s->products[s->nproducts++].id = id;
}

/* Drop contact id from the flow's cache (it is gone from Brightpearl). */
static void
contact_forget(oib_state *s, int64_t id)
{
	size_t i = 0;

	while (s != NULL && i < s->ncontacts) {
		contact_entry *c = &s->contacts[i];

		if (c->id != id) {
			i++;
			continue;
		}
		free(c->email);
		free(c->first);
		free(c->last);
		free(c->phone);
		*c = s->contacts[--s->ncontacts];
	}
}

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

/* bigcommerce.orders.start_date ("YYYY-MM-DD" or "YYYY-MM-DDTHH:MM:SSZ") as
 * unix seconds; 0 when unset. */
static int
opt_date(int64_t *out, ps_store *st, const char *key)
{
	int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0;
	char *v = NULL;
	int error = opt_str(&v, st, key);

	*out = 0;
	if (error < 0 || v == NULL)
		return error;
	if (sscanf(v, "%4d-%2d-%2dT%2d:%2d:%2d", &y, &mo, &d, &h, &mi, &sec) >=
	    3)
		*out = ps_util__days_from_civil(y, mo, d) * 86400 + h * 3600 +
		       mi * 60 + sec;
	free(v);
	return 0;
}

static int
opt_bool(int *out, ps_store *st, const char *key)
{
	return ps_settings_get_bool(out, st, key);
}

void
ps_oib__settings_dispose(ps_oib_settings *s)
{
	if (s == NULL)
		return;
	free(s->import_statuses);
	free(s->reference_prefix);
	free(s->nominal_code);
	free(s->shipping_nominal_code);
	free(s->tax_code);
	free(s->customer_message_field);
	free(s->staff_notes_field);
	free(s->account);
	memset(s, 0, sizeof(*s));
}

int
ps_oib__settings_load(ps_oib_settings *s, ps_store *st)
{
	char *match = NULL;
	int error;

	memset(s, 0, sizeof(*s));
	if ((error = opt_str(&s->import_statuses, st,
			     PS_SET_BC_ORDERS_IMPORT_STATUSES)) < 0 ||
	    (error = opt_bool(&s->import_guests, st,
			      PS_SET_BC_ORDERS_IMPORT_GUESTS)) < 0 ||
	    (error = opt_str(&s->reference_prefix, st,
			     PS_SET_BC_ORDERS_REFERENCE_PREFIX)) < 0 ||
	    (error = opt_int(&s->channel_id, st,
			     PS_SET_BC_DEFAULTS_CHANNEL_ID)) < 0 ||
	    (error = opt_int(&s->warehouse_id, st,
			     PS_SET_BC_DEFAULTS_WAREHOUSE_ID)) < 0 ||
	    (error = opt_int(&s->project_id, st,
			     PS_SET_BC_DEFAULTS_PROJECT_ID)) < 0 ||
	    (error = opt_int(&s->lead_source_id, st,
			     PS_SET_BC_DEFAULTS_LEAD_SOURCE_ID)) < 0 ||
	    (error = opt_int(&s->price_list_id, st,
			     PS_SET_BC_DEFAULTS_PRICE_LIST_ID)) < 0 ||
	    (error = opt_int(&s->default_status_id, st,
			     PS_SET_BC_DEFAULTS_ORDER_STATUS_ID)) < 0 ||
	    (error = opt_str(&s->nominal_code, st,
			     PS_SET_BC_DEFAULTS_NOMINAL_CODE)) < 0 ||
	    (error = opt_str(&s->shipping_nominal_code, st,
			     PS_SET_BC_DEFAULTS_SHIPPING_NOMINAL_CODE)) < 0 ||
	    (error = opt_str(&s->tax_code, st, PS_SET_BC_DEFAULTS_TAX_CODE)) <
		    0 ||
	    (error = opt_str(&match, st, PS_SET_BC_ITEMS_PRODUCT_MATCH_FIELD)) <
		    0 ||
	    (error = opt_bool(&s->auto_create, st,
			      PS_SET_BC_CUSTOMERS_AUTO_CREATE)) < 0 ||
	    (error = opt_bool(&s->update_existing, st,
			      PS_SET_BC_CUSTOMERS_UPDATE_EXISTING)) < 0 ||
	    (error = opt_str(&s->customer_message_field, st,
			     PS_SET_BC_NOTES_CUSTOMER_MESSAGE_FIELD)) < 0 ||
	    (error = opt_str(&s->staff_notes_field, st,
			     PS_SET_BC_NOTES_STAFF_NOTES_FIELD)) < 0 ||
	    (error = opt_bool(&s->payments_enabled, st,
			      PS_SET_BC_PAYMENTS_ENABLED)) < 0 ||
	    (error = opt_bool(&s->captured_only, st,
			      PS_SET_BC_PAYMENTS_CAPTURED_ONLY)) < 0 ||
	    (error = opt_int(&s->instance_id, st,
			     PS_SET_BP_INSTALLED_INTEGRATION_INSTANCE_ID)) <
		    0 ||
	    (error = opt_date(&s->start_date, st,
			      PS_SET_BC_ORDERS_START_DATE)) < 0 ||
	    (error = opt_str(&s->account, st, PS_SET_BP_ACCOUNT)) < 0)
		goto done;
	s->match_field = PS_BP_IDENTITY_SKU;
	if (match != NULL && ps_bp_identity_parse(&s->match_field, match) < 0) {
		ps_error_clear();
		s->match_field = PS_BP_IDENTITY_SKU;
	}
done:
	free(match);
	if (error < 0)
		ps_oib__settings_dispose(s);
	return error;
}

/* ---- resolving ---------------------------------------------------------- */

/* The keys of the tax_code mapping that do not name a tax class. */
#define TAX_KEYS 5
static const char *const tax_keys[TAX_KEYS] = {
	"zero_rated", "shipping", "handling", "gift_wrapping", "discount",
};

/* Everything resolve owns; the ps_oib_resolved borrows from it. */
typedef struct resolve_buf {
	ps_oib_resolved r;
	int64_t *product_ids;
	char **product_how;
	char **payment_codes;
	char **payment_how;
	size_t nproducts, npayments;
	char customer_how[512];
	char contact_email[256]; /* the linked contact's own email when it
				    differs from the order's, else "" */
	char status_how[200];
	char shipping_how[200];
	char *tax[TAX_KEYS]; /* tax_code mapping values, by tax_keys[] */
	/* the order's taxes (GET /v2/orders/{id}/taxes), read only when
	 * the tax_code mapping has class rows; have_taxes: read (by the
	 * batch or by resolve_tax) */
	ps_bc_order_tax_list taxes;
	int have_taxes;
	int64_t *tax_classes;   /* per product: its class, -1 unknown */
	char **tax_class_codes; /* per product: its class's code */
	char *fee_class[3];     /* shipping, handling, gift wrapping */
	/* the found contact's names and phone as last read (cache or
	 * directory), so an update needs no read (was_known 0: unknown) */
	char was_first[160], was_last[160], was_phone[64];
	int was_known;
} resolve_buf;

static void
remember_contact(resolve_buf *rb, const char *first, const char *last,
		 const char *phone)
{
	snprintf(rb->was_first, sizeof(rb->was_first), "%s",
		 first ? first : "");
	snprintf(rb->was_last, sizeof(rb->was_last), "%s", last ? last : "");
	snprintf(rb->was_phone, sizeof(rb->was_phone), "%s",
		 phone ? phone : "");
	rb->was_known = 1;
}

static void
resolve_dispose(resolve_buf *b)
{
	size_t i;

	for (i = 0; i < b->nproducts; i++)
		free(b->product_how ? b->product_how[i] : NULL);
	for (i = 0; i < b->npayments; i++) {
		free(b->payment_codes ? b->payment_codes[i] : NULL);
		free(b->payment_how ? b->payment_how[i] : NULL);
	}
	free(b->product_ids);
	free(b->product_how);
	free(b->payment_codes);
	free(b->payment_how);
	for (i = 0; i < TAX_KEYS; i++)
		free(b->tax[i]);
	for (i = 0; b->tax_class_codes && i < b->nproducts; i++)
		free(b->tax_class_codes[i]);
	free(b->tax_class_codes);
	free(b->tax_classes);
	for (i = 0; i < 3; i++)
		free(b->fee_class[i]);
	ps_bc_order_tax_list_dispose(&b->taxes);
	memset(b, 0, sizeof(*b));
}

/* mapping lookup: 0 with *out, or PS_ENOTFOUND (error cleared); within a
 * batch each one is asked of the store once. */
static int
map_get(char **out, ps_flow_env *env, const char *kind, const char *source,
	unsigned flags)
{
	oib_state *cs = env->state;
	char key[320];
	size_t i;
	int error;

	*out = NULL;
	snprintf(key, sizeof(key), "%s|%u|%s", kind, flags,
		 source ? source : "");
	if (cs != NULL && cs->memo_on)
		for (i = 0; i < cs->nmemo; i++)
			if (strcmp(cs->memo[i].key, key) == 0) {
				if (cs->memo[i].value == NULL)
					return PS_ENOTFOUND;
				*out = ps_util__strdup(cs->memo[i].value);
				return *out ? 0
					    : ps_error_set(PS_ENOMEM,
							   "out of memory");
			}
	error = ps_store_mapping_get(out, env->store, kind, "bc>bp", source,
				     flags);
	if (error == PS_ENOTFOUND)
		ps_error_clear();
	if (cs != NULL && cs->memo_on && cs->nmemo < MEMO_MAX &&
	    (error == 0 || error == PS_ENOTFOUND) &&
	    strlen(key) < sizeof(key) - 1) {
		map_memo *m = &cs->memo[cs->nmemo];

		m->key = ps_util__strdup(key);
		m->value = error == 0 ? ps_util__strdup(*out) : NULL;
		if (m->key != NULL && (error != 0 || m->value != NULL))
			cs->nmemo++;
		else {
			free(m->key);
			free(m->value);
		}
	}
	return error;
}

static int
parse_id(int64_t *out, const char *text)
{
	char *end;
	long long v;

	if (text == NULL || *text == '\0')
		return -1;
	v = strtoll(text, &end, 10);
	if (*end != '\0' || v <= 0)
		return -1;
	*out = v;
	return 0;
}

static int
resolve_status(int64_t *out, char *how, size_t cap, ps_flow_env *env,
	       const ps_oib_settings *s, const ps_bc_order *o)
{
	char id[16], *t = NULL;
	int error;

	*out = 0;
	snprintf(id, sizeof(id), "%d", o->status_id);
	error = map_get(&t, env, "order_status", id, 0);
	if (error == PS_ENOTFOUND && o->status[0] != '\0')
		error = map_get(&t, env, "order_status", o->status, 0);
	if (error == 0) {
		if (parse_id(out, t) < 0)
			error = ps_error_set(
				PS_EMAPPING,
				"order_status mapping for '%s' is "
				"'%s', not a Brightpearl status id",
				o->status, t);
		else
			snprintf(how, cap, "mapping order_status bc>bp %s", id);
		free(t);
		return error;
	}
	if (error != PS_ENOTFOUND)
		return error;
	if (s->default_status_id > 0) {
		*out = s->default_status_id;
		snprintf(how, cap,
			 "bigcommerce.defaults.order_status_id (status %s "
			 "unmapped)",
			 id);
		return 0;
	}
	if (map_get(&t, env, "order_status", NULL, 0) == 0) {
		if (parse_id(out, t) == 0)
			snprintf(how, cap,
				 "default order_status mapping "
				 "(status %s unmapped)",
				 id);
		free(t);
	}
	return 0;
}

static void
resolve_shipping(int64_t *out, char *how, size_t cap, ps_flow_env *env,
		 const ps_bc_order *o)
{
	const char *m = o->nshipping_addresses
				? o->shipping_addresses[0].shipping_method
				: "";
	char *t = NULL;

	*out = 0;
	if (map_get(&t, env, "shipping_method", m[0] ? m : NULL,
		    PS_STORE_MAPPING_FALLBACK) == 0) {
		if (parse_id(out, t) == 0)
			snprintf(how, cap, "mapping shipping_method bc>bp '%s'",
				 m);
		free(t);
	} else {
		snprintf(how, cap, "'%s' unmapped and no default: none", m);
	}
}

static int
resolve_products(resolve_buf *b, ps_flow_env *env, const ps_oib_settings *s,
		 const ps_bc_order *o)
{
	oib_state *cache = env->state;
	size_t i;
	int error = 0;

	b->nproducts = o->nproducts;
	b->product_ids = calloc(o->nproducts + 1, sizeof(*b->product_ids));
	b->product_how = calloc(o->nproducts + 1, sizeof(*b->product_how));
	if (b->product_ids == NULL || b->product_how == NULL)
		return ps_error_set(PS_ENOMEM, "out of memory");
	for (i = 0; i < o->nproducts; i++) {
		const char *sku = o->products[i].sku;
		const char *how = "";
		char *t = NULL;
		int64_t id = 0;

		if (sku[0] == '\0')
			continue;
		if (map_get(&t, env, "product", sku, 0) == 0) {
			if (parse_id(&id, t) == 0)
				how = "manual product mapping";
			free(t);
		}
		if (id == 0 && (id = product_find(cache, sku)) != 0)
			how = "cached product match";
		if (id == 0) {
			ps_bp_product_list pl = {0};

			if ((error = ps_bp_product_find(&pl, PS_PAIR_BP(env),
							s->match_field, sku)) <
			    0)
				return error;
			if (pl.n > 0) {
				id = pl.items[0].id;
				product_put(cache, sku, id);
				how = "product search by match field";
			}
			ps_bp_product_list_dispose(&pl);
		}
		b->product_ids[i] = id;
		b->product_how[i] = ps_util__strdup(how);
		if (b->product_how[i] == NULL)
			return ps_error_set(PS_ENOMEM, "out of memory");
	}
	b->r.product_ids = b->product_ids;
	b->r.product_how = (const char *const *)b->product_how;
	return 0;
}

/* ps_store_mapping_foreach callback: a row keyed by a class id. */
static int
class_row_cb(const ps_mapping *m, void *payload)
{
	const char *c = m->source;

	if (c == NULL || *c == '\0')
		return 0;
	while (*c >= '0' && *c <= '9')
		c++;
	if (*c == '\0') {
		*(int *)payload = 1;
		return 1; /* one is enough */
	}
	return 0;
}

/* Whether the tax_code mapping has a row keyed by a BigCommerce tax class
 * id: only then are an order's taxes worth a request. */
static int
tax_classes_mapped(ps_flow_env *env)
{
	int found = 0;

	if (ps_store_mapping_foreach(env->store, "tax_code", "bc>bp",
				     class_row_cb, &found) < 0 &&
	    !found) {
		ps_error_clear();
		return 0;
	}
	return found;
}

/* The tax_code mapping of class id (>= 0) into *out: 0, or PS_ENOTFOUND
 * (cleared) with *out NULL. */
static int
class_code(char **out, ps_flow_env *env, int64_t id)
{
	char key[24];

	*out = NULL;
	if (id < 0)
		return PS_ENOTFOUND;
	snprintf(key, sizeof(key), "%lld", (long long)id);
	return map_get(out, env, "tax_code", key, 0);
}

/*
 * The tax codes: the tax_code mapping's fixed keys, the codes of the
 * fees' tax classes (the order names them), and, when the mapping has
 * rows keyed by class id, each product line's class from the order's
 * taxes (one request, unless the batch read them) and its code.
 */
static int
resolve_tax(resolve_buf *b, ps_flow_env *env, const ps_bc_order *o)
{
	const char **dst[TAX_KEYS] = {
		&b->r.tax_zero_rated,    &b->r.tax_shipping, &b->r.tax_handling,
		&b->r.tax_gift_wrapping, &b->r.tax_discount,
	};
	const char **fee_dst[3] = {
		&b->r.tax_shipping_class,
		&b->r.tax_handling_class,
		&b->r.tax_gift_wrapping_class,
	};
	int64_t fee_id[3];
	size_t i;
	int error;

	for (i = 0; i < TAX_KEYS; i++) {
		error = map_get(&b->tax[i], env, "tax_code", tax_keys[i], 0);
		if (error == PS_ENOTFOUND)
			continue;
		if (error < 0)
			return error;
		*dst[i] = b->tax[i];
	}
	fee_id[0] = o->shipping_cost_tax_class_id;
	fee_id[1] = o->handling_cost_tax_class_id;
	fee_id[2] = o->wrapping_cost_tax_class_id;
	for (i = 0; i < 3; i++) {
		error = class_code(&b->fee_class[i], env, fee_id[i]);
		if (error == PS_ENOTFOUND)
			continue;
		if (error < 0)
			return error;
		*fee_dst[i] = b->fee_class[i];
	}
	if (o->nproducts == 0 || !tax_classes_mapped(env))
		return 0;
	if (!b->have_taxes) {
		if ((error = ps_bc_order_taxes_list(&b->taxes, PS_PAIR_BC(env),
						    o->id)) < 0)
			return error;
		b->have_taxes = 1;
	}
	b->tax_classes = calloc(o->nproducts, sizeof(*b->tax_classes));
	b->tax_class_codes = calloc(o->nproducts, sizeof(char *));
	if (b->tax_classes == NULL || b->tax_class_codes == NULL)
		return ps_error_set(PS_ENOMEM, "out of memory");
	for (i = 0; i < o->nproducts; i++) {
		b->tax_classes[i] = ps_bc_order_taxes_class(
			&b->taxes, "item", o->products[i].id, NULL);
		error = class_code(&b->tax_class_codes[i], env,
				   b->tax_classes[i]);
		if (error < 0 && error != PS_ENOTFOUND)
			return error;
	}
	b->r.product_tax_classes = b->tax_classes;
	b->r.product_tax_codes = (const char *const *)b->tax_class_codes;
	return 0;
}

static int
resolve_payments(resolve_buf *b, ps_flow_env *env, const ps_bc_order *o,
		 const ps_bc_transaction_list *txns)
{
	size_t i;

	if (txns == NULL || txns->count == 0)
		return 0;
	b->npayments = txns->count;
	b->payment_codes = calloc(txns->count, sizeof(char *));
	b->payment_how = calloc(txns->count, sizeof(char *));
	if (b->payment_codes == NULL || b->payment_how == NULL)
		return ps_error_set(PS_ENOMEM, "out of memory");
	for (i = 0; i < txns->count; i++) {
		const char *tries[3];
		char *t = NULL, how[160];
		size_t k;

		tries[0] = txns->items[i].gateway;
		tries[1] = txns->items[i].method;
		tries[2] = o->payment_method;
		how[0] = '\0';
		for (k = 0; k < 3 && t == NULL; k++)
			if (tries[k][0] != '\0' &&
			    map_get(&t, env, "payment_method", tries[k], 0) ==
				    0)
				snprintf(how, sizeof(how),
					 "mapping payment_method bc>bp '%s'",
					 tries[k]);
		if (t == NULL &&
		    map_get(&t, env, "payment_method", NULL, 0) == 0)
			snprintf(how, sizeof(how),
				 "default payment_method mapping ('%s' "
				 "unmapped)",
				 o->payment_method);
		b->payment_codes[i] = t;
		b->payment_how[i] = ps_util__strdup(how);
	}
	b->r.payment_codes = (const char *const *)b->payment_codes;
	b->r.payment_how = (const char *const *)b->payment_how;
	return 0;
}

/* A payment_method mapping key a transaction's gateway or method could
 * equal: BigCommerce's are lower-case slugs ("braintree", "credit_card",
 * "paypalexpress"), where display names ("Credit Card") are not. */
static int
gateway_shaped(const char *key)
{
	if (key == NULL || *key == '\0')
		return 0;
	for (; *key; key++)
		if (!((*key >= 'a' && *key <= 'z') ||
		      (*key >= '0' && *key <= '9') || *key == '_'))
			return 0;
	return 1;
}

typedef struct gw_rows {
	const char *code;
	int disagree;
} gw_rows;

static int
gw_row(const ps_mapping *m, void *payload)
{
	gw_rows *g = payload;

	if (gateway_shaped(m->source) && strcmp(m->target, g->code) != 0) {
		g->disagree = 1;
		return 1; /* stop */
	}
	return 0;
}

/*
 * Whether no payment_method bc>bp row a gateway or method could hit maps
 * to other than code: then the transactions' gateway and method, tried
 * before the order's payment method, cannot change what code the payment
 * gets.  Memoised within a batch like map_get.
 */
static int
gateway_rows_agree(int *out, ps_flow_env *env, const char *code)
{
	oib_state *cs = env->state;
	char key[320];
	gw_rows g = {code, 0};
	size_t i;
	int error;

	snprintf(key, sizeof(key), "payment_method|gw|%s", code);
	if (cs != NULL && cs->memo_on)
		for (i = 0; i < cs->nmemo; i++)
			if (strcmp(cs->memo[i].key, key) == 0) {
				*out = cs->memo[i].value != NULL;
				return 0;
			}
	error = ps_store_mapping_foreach(env->store, "payment_method", "bc>bp",
					 gw_row, &g);
	if (error < 0)
		return error;
	*out = !g.disagree;
	if (cs != NULL && cs->memo_on && cs->nmemo < MEMO_MAX &&
	    strlen(key) < sizeof(key) - 1) {
		map_memo *m = &cs->memo[cs->nmemo];

		m->key = ps_util__strdup(key);
		m->value = *out ? ps_util__strdup("1") : NULL;
		if (m->key != NULL && (!*out || m->value != NULL))
			cs->nmemo++;
		else {
			free(m->key);
			free(m->value);
		}
	}
	return 0;
}

/*
 * The payment of order o from the order alone (ps_bc_order_payment), when
 * that gives exactly what its transactions would: 1 and *out holds it, 0
 * when the transactions are to be read (*out empty).  Beyond what the
 * order must say, the settings and mappings must not need a transaction:
 * with captured_only off a captured order may also hold the authorisation
 * before it (recorded too), and an authorisation's expiry runs from its
 * own date; the payment method must come from the order's payment_method
 * (or the default) with no gateway-shaped mapping row that could take
 * precedence with another code.
 */
static int
pay_from_order(ps_flow_env *env, const ps_oib_settings *s, const ps_bc_order *o,
	       ps_bc_transaction_list *out)
{
	char why[128], *code = NULL;
	int r, agree = 0;

	if ((r = ps_bc_order_payment(out, o, why, sizeof(why))) <= 0)
		return r;
	if (!s->captured_only)
		goto read;
	if (!out->items[0].captured)
		return 1; /* only authorised: skipped either way */
	if (map_get(&code, env, "payment_method", o->payment_method, 0) < 0 &&
	    map_get(&code, env, "payment_method", NULL, 0) < 0) {
		ps_error_clear();
		goto read; /* perhaps a gateway row maps it */
	}
	r = gateway_rows_agree(&agree, env, code);
	free(code);
	if (r < 0) {
		ps_bc_transaction_list_dispose(out);
		return r;
	}
	if (agree)
		return 1;
read:
	ps_bc_transaction_list_dispose(out);
	return 0;
}

static int
differs(const char *cached, const char *now)
{
	return now != NULL && now[0] != '\0' &&
	       strcmp(cached ? cached : "", now) != 0;
}

/* The contact an import creates for billing address ba: names cut to
 * Brightpearl's limit into nm (the plan notes the full name), the
 * country as the alpha-3 code (an unknown one is left out here: the
 * plan refuses the order naming it). */
static void
new_contact(ps_bp_contact *nc, ps_oib_names *nm, const ps_bc_address *ba,
	    const ps_oib_settings *s)
{
	memset(nc, 0, sizeof(*nc));
	ps_oib__names(nm, ba);
	nc->first_name = nm->first;
	nc->last_name = nm->last ? nm->last : "Customer";
	nc->email = ba->email;
	nc->telephone = ba->phone[0] ? ba->phone : NULL;
	nc->company = ba->company[0] ? ba->company : NULL;
	nc->address.line1 = ba->street_1[0] ? ba->street_1 : NULL;
	nc->address.line2 = ba->street_2[0] ? ba->street_2 : NULL;
	nc->address.line3 = ba->city[0] ? ba->city : NULL;
	nc->address.line4 = ba->state[0] ? ba->state : NULL;
	nc->address.postal_code = ba->zip[0] ? ba->zip : NULL;
	nc->address.country_iso = ps_bp_country_iso3(ba->country_iso2);
	nc->lead_source_id = s->lead_source_id;
	nc->price_list_id = s->price_list_id;
}

/* Create contact nc; a refusal names the customer, for the operator. */
static int
contact_create(int64_t *out, ps_bp *bp, const ps_bp_contact *nc)
{
	char msg[PS_ERROR_MAX];
	int error = ps_bp_contact_create(out, bp, nc);

	if (error == PS_EDATA) {
		snprintf(msg, sizeof(msg), "%s", ps_error_last());
		error = ps_error_set(error, "customer %s: %s", nc->email, msg);
	}
	return error;
}

/* Record contact id under email with ba's names and phone in the contact
 * directory (when the account is known); a failure only costs a later
 * search. */
static void
dir_put_as(ps_flow_env *env, const ps_oib_settings *s, const char *email,
	   const ps_bc_address *ba, int64_t id)
{
	if (s->account == NULL || email[0] == '\0')
		return;
	if (ps_store_contact_put(env->store, s->account, email, id,
				 ba->first_name, ba->last_name,
				 ba->phone) < 0) {
		ps_log_warn("orders", "contact directory: %s", ps_error_last());
		ps_error_clear();
	}
}

/* Record contact id for ba's email (see dir_put_as). */
static void
dir_put(ps_flow_env *env, const ps_oib_settings *s, const ps_bc_address *ba,
	int64_t id)
{
	dir_put_as(env, s, ba->email, ba, id);
}

/*
 * The customer cross-reference.  A registered BigCommerce customer
 * (customer_id > 0) keeps the Brightpearl contact first found or created
 * for them (xref entity "customer") and is found by it before the email:
 * the billing email is typed at checkout and may change from one order to
 * the next while the customer account stays the same, and a search by the
 * new email would create a second contact.  Guests (customer_id 0) have
 * nothing else to go by and are found by email.  A link to a contact
 * Brightpearl no longer has (a read finds nothing, the directory dropped
 * it) or that is no longer a customer is passed over: the email decides
 * and the link is made again to what it finds.
 *
 * The new email is not written to the linked contact.  The order keeps it
 * (the sales order's billing party carries the order's email), so nothing
 * is lost; the contact's own email may have been set by the merchant in
 * Brightpearl, which no flow overwrites; a customer may check out with a
 * work and a home address in turn, which would flip the contact's email
 * at every order; and another contact may hold the new email already.
 * The entry's detail names both emails instead (email_note).
 */
#define CUSTOMER_XREF "customer"

/* *out = the contact linked to BigCommerce customer bc_customer, 0 when
 * none (or a guest). */
static int
customer_link_get(int64_t *out, ps_store *st, int64_t bc_customer)
{
	char key[24], *v = NULL, *end = NULL;
	long long id;
	int error;

	*out = 0;
	if (bc_customer <= 0)
		return 0;
	snprintf(key, sizeof(key), "%lld", (long long)bc_customer);
	error = ps_store_xref_get(&v, st, CUSTOMER_XREF,
				  PS_PLATFORM_BIGCOMMERCE, key,
				  PS_PLATFORM_BRIGHTPEARL);
	if (error == PS_ENOTFOUND) {
		ps_error_clear();
		return 0;
	}
	if (error < 0)
		return error;
	id = strtoll(v, &end, 10);
	if (end == v || *end != '\0' || id <= 0)
		ps_log_warn("orders",
			    "BigCommerce customer %lld is linked to '%s', "
			    "not a Brightpearl contact id: found by email",
			    (long long)bc_customer, v);
	else
		*out = id;
	free(v);
	return 0;
}

/*
 * Link BigCommerce customer bc_customer (guests: nothing) to contact; a
 * failure costs only an email lookup at the customer's next order.  A
 * link is one to one (ps_store_xref_set), so a contact linked to another
 * BigCommerce customer already (this one's email was that one's) keeps
 * its link: taking it would send that customer's next order with a new
 * email to a new contact.
 */
static void
customer_link_set(ps_flow_env *env, int64_t bc_customer, int64_t contact)
{
	char a[24], b[24], *other = NULL;

	if (bc_customer <= 0 || contact <= 0)
		return;
	snprintf(a, sizeof(a), "%lld", (long long)bc_customer);
	snprintf(b, sizeof(b), "%lld", (long long)contact);
	if (ps_store_xref_get(&other, env->store, CUSTOMER_XREF,
			      PS_PLATFORM_BRIGHTPEARL, b,
			      PS_PLATFORM_BIGCOMMERCE) == 0 &&
	    strcmp(other, a) != 0) {
		ps_log_info("orders",
			    "contact %s stays linked to BigCommerce customer "
			    "%s; customer %s is found by email",
			    b, other, a);
		free(other);
		return;
	}
	free(other);
	ps_error_clear();
	if (ps_store_xref_set(env->store, CUSTOMER_XREF,
			      PS_PLATFORM_BIGCOMMERCE, a,
			      PS_PLATFORM_BRIGHTPEARL, b, env->now) < 0) {
		ps_log_warn("orders",
			    "linking BigCommerce customer %s to contact %s: "
			    "%s",
			    a, b, ps_error_last());
		ps_error_clear();
	}
}

/* Append to the customer's reason that the order's email differs from
 * the linked contact's (see the decision above). */
static void
email_note(resolve_buf *b, const char *contact_email, const char *order_email)
{
	size_t len = strlen(b->customer_how);

	if (contact_email == NULL || contact_email[0] == '\0' ||
	    order_email[0] == '\0' ||
	    strcasecmp(contact_email, order_email) == 0)
		return;
	snprintf(b->contact_email, sizeof(b->contact_email), "%s",
		 contact_email);
	snprintf(b->customer_how + len, sizeof(b->customer_how) - len,
		 "; order email %s differs from the contact's %s: the order "
		 "carries it, the contact is left as it is",
		 order_email, contact_email);
}

/* Append that the link to contact gone was passed over and made again. */
static void
relink_note(resolve_buf *b, int64_t bc_customer, int64_t gone)
{
	size_t len = strlen(b->customer_how);

	if (gone <= 0 || gone == b->r.customer_id)
		return;
	snprintf(b->customer_how + len, sizeof(b->customer_how) - len,
		 "; BigCommerce customer %lld was linked to contact %lld, "
		 "which is gone or not a customer: linked again",
		 (long long)bc_customer, (long long)gone);
}

/*
 * The customer of a registered BigCommerce customer through the link
 * (*out_linked: the linked contact, 0 if none): one contact read, which
 * also tells whether it still exists and is a customer (the flow's cache
 * would not: a contact deleted since would fail the order for as long as
 * the worker runs).  That is one request where the email costs two (search
 * and read); batches use the directory and cost none.  b->r.customer_id
 * stays 0 when the email has to decide.
 */
static int
customer_by_link(int64_t *out_linked, resolve_buf *b, ps_flow_env *env,
		 const ps_oib_settings *s, const ps_bc_order *o)
{
	const ps_bc_address *ba = &o->billing_address;
	ps_bp_contact_list cl = {0};
	int64_t id;
	int error;

	*out_linked = 0;
	if ((error = customer_link_get(&id, env->store, o->customer_id)) < 0 ||
	    id == 0)
		return error;
	*out_linked = id;
	if ((error = ps_bp_contact_get(&cl, PS_PAIR_BP(env), &id, 1)) < 0)
		return error;
	if (cl.n == 0 || cl.items[0].id != id || !cl.items[0].is_customer) {
		ps_log_info("orders",
			    "contact %lld linked to BigCommerce customer %lld "
			    "is gone or not a customer: finding it by email",
			    (long long)id, (long long)o->customer_id);
	} else {
		const ps_bp_contact *bc = &cl.items[0];

		b->r.customer_id = id;
		snprintf(b->customer_how, sizeof(b->customer_how),
			 "contact %lld (BigCommerce customer %lld)",
			 (long long)id, (long long)o->customer_id);
		b->r.update_customer =
			s->update_existing &&
			(differs(bc->first_name, ba->first_name) ||
			 differs(bc->last_name, ba->last_name) ||
			 differs(bc->telephone, ba->phone));
		remember_contact(b, bc->first_name, bc->last_name,
				 bc->telephone);
		email_note(b, bc->email, ba->email);
		if (bc->email != NULL && bc->email[0] != '\0')
			contact_put(env->state, bc->email, id, bc->first_name,
				    bc->last_name, bc->telephone);
	}
	ps_bp_contact_list_dispose(&cl);
	return 0;
}

/* Say so in the customer's reason when its details will be updated. */
static void
how_changed(resolve_buf *b)
{
	size_t len = strlen(b->customer_how);

	if (b->r.update_customer)
		snprintf(b->customer_how + len, sizeof(b->customer_how) - len,
			 "; details changed: updated "
			 "(bigcommerce.customers.update_existing)");
}

/*
 * The customer: a registered one by the link (customer_by_link), else by
 * email.  write: create a missing one now and link it (import); otherwise
 * (preview) leave customer_id 0 for the plan to show the create.
 */
static int
resolve_customer(resolve_buf *b, ps_flow_env *env, const ps_oib_settings *s,
		 const ps_bc_order *o, int write)
{
	const ps_bc_address *ba = &o->billing_address;
	oib_state *cache = env->state;
	contact_entry *c;
	ps_bp_ids ids = {0};
	ps_bp_contact_list cl = {0};
	int64_t linked = 0;
	int error = 0;

	if ((error = customer_by_link(&linked, b, env, s, o)) < 0)
		goto done;
	if (b->r.customer_id > 0)
		goto found;
	if (ba->email[0] == '\0') {
		error = ps_error_set(PS_EDATA,
				     "BigCommerce order %lld has no billing "
				     "email: the Brightpearl customer is "
				     "found by email",
				     (long long)o->id);
		goto done;
	}
	if ((c = contact_find(cache, ba->email)) != NULL) {
		b->r.customer_id = c->id;
		snprintf(b->customer_how, sizeof(b->customer_how),
			 "contact %lld (%s, cached)", (long long)c->id,
			 ba->email);
		b->r.update_customer = s->update_existing &&
				       (differs(c->first, ba->first_name) ||
					differs(c->last, ba->last_name) ||
					differs(c->phone, ba->phone));
		remember_contact(b, c->first, c->last, c->phone);
		goto found;
	}
	if ((error = ps_bp_contact_find_email(&ids, PS_PAIR_BP(env),
					      ba->email)) < 0)
		goto done;
	if (ids.n > 0) {
		if ((error = ps_bp_contact_get(&cl, PS_PAIR_BP(env), ids.ids,
					       1)) < 0)
			goto done;
		b->r.customer_id = ids.ids[0];
		snprintf(b->customer_how, sizeof(b->customer_how),
			 "contact %lld found by email %s",
			 (long long)ids.ids[0], ba->email);
		if (cl.n > 0) {
			const ps_bp_contact *bc = &cl.items[0];

			b->r.update_customer =
				s->update_existing &&
				(differs(bc->first_name, ba->first_name) ||
				 differs(bc->last_name, ba->last_name) ||
				 differs(bc->telephone, ba->phone));
			contact_put(cache, ba->email, bc->id, bc->first_name,
				    bc->last_name, bc->telephone);
			remember_contact(b, bc->first_name, bc->last_name,
					 bc->telephone);
		}
		goto found;
	}
	if (!s->auto_create) {
		error = ps_error_set(
			PS_EDATA,
			"no Brightpearl customer with email %s "
			"and bigcommerce.customers.auto_create is off",
			ba->email);
		goto done;
	}
	snprintf(b->customer_how, sizeof(b->customer_how),
		 "no contact with email %s: created "
		 "(bigcommerce.customers.auto_create)",
		 ba->email);
	if (write) {
		ps_bp_contact nc;
		ps_oib_names nm;

		new_contact(&nc, &nm, ba, s);
		if ((error = contact_create(&b->r.customer_id, PS_PAIR_BP(env),
					    &nc)) < 0)
			goto done;
		contact_put(cache, ba->email, b->r.customer_id, ba->first_name,
			    ba->last_name, ba->phone);
		dir_put(env, s, ba, b->r.customer_id);
		snprintf(b->customer_how, sizeof(b->customer_how),
			 "contact %lld created for %s "
			 "(bigcommerce.customers.auto_create)",
			 (long long)b->r.customer_id, ba->email);
	}
found:
	relink_note(b, o->customer_id, linked);
	if (write && b->r.customer_id != linked)
		customer_link_set(env, o->customer_id, b->r.customer_id);
	how_changed(b);
done:
	b->r.customer_how = b->customer_how;
	ps_bp_ids_dispose(&ids);
	ps_bp_contact_list_dispose(&cl);
	return error;
}

/* Everything but the customer (which may write). */
static int
resolve_rest(resolve_buf *b, ps_flow_env *env, const ps_oib_settings *s,
	     const ps_bc_order *o, const ps_bc_transaction_list *txns)
{
	int error;

	if ((error = resolve_status(&b->r.status_id, b->status_how,
				    sizeof(b->status_how), env, s, o)) < 0)
		return error;
	b->r.status_how = b->status_how;
	resolve_shipping(&b->r.shipping_method_id, b->shipping_how,
			 sizeof(b->shipping_how), env, o);
	b->r.shipping_how = b->shipping_how;
	if ((error = resolve_products(b, env, s, o)) < 0 ||
	    (error = resolve_tax(b, env, o)) < 0)
		return error;
	if (s->payments_enabled &&
	    (error = resolve_payments(b, env, o, txns)) < 0)
		return error;
	return 0;
}

/* ---- per-order state kept for edits ------------------------------------ */

static uint32_t
notes_hash(const ps_bc_order *o)
{
	uint32_t h = 2166136261u;
	const char *parts[2];
	size_t k;

	parts[0] = o->customer_message;
	parts[1] = o->staff_notes;
	for (k = 0; k < 2; k++) {
		const unsigned char *p = (const unsigned char *)parts[k];

		for (; *p; p++)
			h = (h ^ *p) * 16777619u;
		h = (h ^ 0xff) * 16777619u;
	}
	return h;
}

/* FNV-1a of the mapped Brightpearl billing and delivery addresses: what
 * an address edit would change. */
static uint32_t
addr_hash(const ps_bc_order *o)
{
	ps_oib_addresses a;
	const ps_bp_address *both[2];
	uint32_t h = 2166136261u;
	size_t k, f;

	(void)ps_oib__addresses(&a, o); /* an unknown country hashes as none */
	both[0] = &a.billing;
	both[1] = &a.delivery;
	for (k = 0; k < 2; k++) {
		const char *fields[] = {
			both[k]->full_name,   both[k]->company,
			both[k]->line1,       both[k]->line2,
			both[k]->line3,       both[k]->line4,
			both[k]->postal_code, both[k]->country_iso,
			both[k]->telephone,   both[k]->email};

		for (f = 0; f < sizeof(fields) / sizeof(fields[0]); f++) {
			const unsigned char *p =
				(const unsigned char *)(fields[f] ? fields[f]
								  : "");

			for (; *p; p++)
				h = (h ^ *p) * 16777619u;
			h = (h ^ 0xff) * 16777619u;
		}
	}
	return h;
}

/*
 * What pearlsync last handled of an order, kept as "status|notes|addr|
 * refused" (databases from before addresses were kept hold
 * "status|notes": their address hash is missing, and the next look at
 * the order takes its addresses as the baseline, not as a change).
 */
typedef struct order_state {
	int status;      /* -1: unknown */
	uint32_t notes;  /* notes_hash */
	int has_addr;    /* addr is known */
	uint32_t addr;   /* addr_hash */
	int64_t refused; /* the entry whose address change was refused:
			    it alone checks the addresses again when
			    retried; 0 none */
} order_state;

static void
order_stream(char *buf, size_t cap, int64_t id)
{
	snprintf(buf, cap, "bc.order.%lld.state", (long long)id);
}

static int
state_write(ps_store *st, int64_t id, const order_state *os, int64_t now)
{
	char stream[64], v[96];

	order_stream(stream, sizeof(stream), id);
	snprintf(v, sizeof(v), "%d|%08" PRIx32 "|%08" PRIx32 "|%lld",
		 os->status, os->notes, os->addr, (long long)os->refused);
	return ps_store_cursor_set(st, stream, v, now);
}

/* The state of order o as it is now, nothing refused. */
static int
state_save(ps_store *st, const ps_bc_order *o, int64_t now)
{
	order_state os;

	os.status = o->status_id;
	os.notes = notes_hash(o);
	os.has_addr = 1;
	os.addr = addr_hash(o);
	os.refused = 0;
	return state_write(st, o->id, &os, now);
}

/* 0 and the stored state; PS_ENOTFOUND when none. */
static int
state_load(order_state *out, ps_store *st, int64_t id)
{
	char stream[64], *v = NULL;
	unsigned long h = 0, a = 0;
	long long r = 0;
	int status = -1, n, error;

	memset(out, 0, sizeof(*out));
	out->status = -1;
	order_stream(stream, sizeof(stream), id);
	if ((error = ps_store_cursor_get(&v, NULL, st, stream)) < 0) {
		if (error == PS_ENOTFOUND)
			ps_error_clear();
		return error;
	}
	n = sscanf(v, "%d|%lx|%lx|%lld", &status, &h, &a, &r);
	free(v);
	if (n < 2)
		return 0; /* unreadable: everything unknown */
	out->status = status;
	out->notes = (uint32_t)h;
	out->has_addr = n >= 3;
	out->addr = (uint32_t)a;
	out->refused = n >= 4 ? (int64_t)r : 0;
	return 0;
}

/* ---- entries ------------------------------------------------------------ */

/*
 * Record change (the dedupe key's tail) of order_id, an entry of kind: 0
 * added, 1 it was recorded already.
 */
static int
add_entry(ps_flow_env *env, int64_t order_id, const char *kind,
	  const char *change)
{
	ps_log_entry e;
	char key[128], sid[32];

	snprintf(key, sizeof(key), "bc:order:%lld:%s", (long long)order_id,
		 change);
	snprintf(sid, sizeof(sid), "%lld", (long long)order_id);
	ps_log_entry_init(&e);
	e.flow = (char *)"order_import_bc";
	e.dedupe_key = key;
	e.kind = (char *)kind;
	e.subject = sid;
	e.order_number = sid;
	e.source_platform = PS_PLATFORM_BIGCOMMERCE;
	e.source_id = sid;
	e.target_platform = PS_PLATFORM_BRIGHTPEARL;
	return ps_store_log_add(NULL, env->store, &e, env->now);
}

/*
 * The import entry of an order that is (now) importable: added, or
 * re-opened when an earlier webhook found the order filtered and skipped
 * it.
 */
static int
ensure_import(ps_flow_env *env, int64_t order_id)
{
	ps_log_entry e;
	char key[128];
	int error;

	if ((error = add_entry(env, order_id, PS_PAIR_KIND_ORDER_IMPORT,
			       "import")) <= 0)
		return error; /* new, or an error */
	snprintf(key, sizeof(key), "bc:order:%lld:import", (long long)order_id);
	if ((error = ps_store_log_get_by_key(&e, env->store, key)) < 0)
		return error;
	if (e.status == PS_ENTRY_SYNCED && e.target_id == NULL)
		error = ps_store_log_mark_pending(
			env->store, e.id, "status changed: import again", 0,
			env->now);
	ps_log_entry_dispose(&e);
	return error;
}

/*
 * A status webhook announced the order's new status: when the order is
 * not imported yet and the status is one to import, queue (or re-open)
 * its import now rather than when the status entry runs.
 */
static int
status_reopens_import(ps_flow_env *env, int64_t id, const char *status)
{
	ps_oib_settings s;
	char oid[24], *xr = NULL;
	int error;

	if ((error = ps_oib__settings_load(&s, env->store)) < 0)
		return error;
	if (ps_settings_list_contains(s.import_statuses, status)) {
		snprintf(oid, sizeof(oid), "%lld", (long long)id);
		if (ps_store_xref_get(&xr, env->store, "order",
				      PS_PLATFORM_BIGCOMMERCE, oid,
				      PS_PLATFORM_BRIGHTPEARL) < 0) {
			ps_error_clear();
			error = ensure_import(env, id);
		}
		free(xr);
	}
	ps_oib__settings_dispose(&s);
	return error;
}

/*
 * A BigCommerce order event, as the plug-in decoded it (topic, object
 * "order", the order id, and what BigCommerce said with it): created
 * records the import; updated records an edit keyed by the time
 * BigCommerce gives the change (so a second delivery of it records
 * nothing); statusUpdated records the status change keyed by the new
 * status, the key the poll uses for the same change.  Without those
 * (an event that does not carry them) the key is the event.  An edit's
 * perform reads the order as it is then.
 */
static int
oib_on_event(ps_flow_env *env, const ps_event *ev)
{
	const char *value = ev->value != NULL ? ev->value : "";
	const char *kind = PS_PAIR_KIND_ORDER_EDIT;
	char change[96];
	size_t i;
	int error = 0;

	if (ev->platform != PS_PLATFORM_BIGCOMMERCE || ev->object == NULL ||
	    strcmp(ev->object, "order") != 0 || ev->topic == NULL)
		return 0;
	if (strcmp(ev->topic, "store/order/created") == 0) {
		kind = PS_PAIR_KIND_ORDER_IMPORT;
		snprintf(change, sizeof(change), "import");
	} else if (strcmp(ev->topic, "store/order/updated") == 0 &&
		   ev->changed_at > 0)
		snprintf(change, sizeof(change), "updated:%lld",
			 (long long)ev->changed_at);
	else if (strcmp(ev->topic, "store/order/updated") == 0)
		snprintf(change, sizeof(change), "updated:ev%lld",
			 (long long)ev->id);
	else if (strcmp(ev->topic, "store/order/statusUpdated") == 0 &&
		 value[0] != '\0') {
		kind = PS_PAIR_KIND_ORDER_STATUS;
		snprintf(change, sizeof(change), "status:%s", value);
	} else if (strcmp(ev->topic, "store/order/statusUpdated") == 0) {
		kind = PS_PAIR_KIND_ORDER_STATUS;
		snprintf(change, sizeof(change), "status:ev%lld",
			 (long long)ev->id);
	} else
		return 0;
	if (ev->nids == 0) /* nothing to act on: not ours to retry */
		ps_log_warn("orders",
			    "order webhook %lld without an order id: ignored",
			    (long long)ev->id);
	for (i = 0; i < ev->nids && error >= 0; i++) {
		if (strcmp(kind, PS_PAIR_KIND_ORDER_STATUS) == 0 &&
		    value[0] != '\0' &&
		    (error = status_reopens_import(env, ev->ids[i], value)) < 0)
			break;
		error = add_entry(env, ev->ids[i], kind, change);
	}
	return error < 0 ? error : 0; /* 1: the entry existed */
}

/*
 * Keep order o (moved out, *o zeroed) for the imports about to run while
 * the copies stay within SNAP_BYTES; past that it stays where it is (and
 * is freed with its chunk).
 */
static void
snap_add(oib_state *cs, ps_bc_order *o)
{
	size_t size;

	if (cs == NULL)
		return;
	ps_bc_order_compact(o);
	size = ps_bc_order_size(o);
	if (cs->snap_bytes + size > SNAP_BYTES)
		return;
	if (cs->nsnap == cs->snap_cap) {
		size_t cap = cs->snap_cap ? cs->snap_cap * 2 : 64;
		ps_bc_order *grown = realloc(cs->snap, cap * sizeof(*grown));

		if (grown == NULL)
			return; /* a copy is an optimisation only */
		cs->snap = grown;
		cs->snap_cap = cap;
	}
	cs->snap[cs->nsnap++] = *o;
	cs->snap_bytes += size;
	memset(o, 0, sizeof(*o));
}

/* The poll's copy of order id when it is recent enough (moved to *out). */
static int
snap_take(ps_bc_order *out, oib_state *cs, int64_t id, int64_t now)
{
	size_t i;

	if (cs == NULL || cs->nsnap == 0)
		return 0;
	if (now - cs->snap_at > SNAP_MAX_AGE_MS) {
		snap_clear(cs);
		return 0;
	}
	for (i = 0; i < cs->nsnap; i++)
		if (cs->snap[i].id == id) {
			*out = cs->snap[i];
			memset(&cs->snap[i], 0, sizeof(cs->snap[i]));
			return 1;
		}
	return 0;
}

/*
 * The poll's part of address edits of imported order o (state prev): an
 * entry "address:<hash>" when the mapped addresses changed; the baseline
 * written when the state has none yet.
 */
static int
poll_addresses(ps_flow_env *env, const ps_bc_order *o, order_state *prev)
{
	char buf[32];
	uint32_t now = addr_hash(o);
	int error;

	if (!prev->has_addr) {
		prev->has_addr = 1;
		prev->addr = now;
		return state_write(env->store, o->id, prev, env->now);
	}
	if (prev->addr == now)
		return 0;
	snprintf(buf, sizeof(buf), "address:%08" PRIx32, now);
	error = add_entry(env, o->id, PS_PAIR_KIND_ORDER_ADDRESS, buf);
	return error < 0 ? error : 0;
}

/* FNV-1a of text, naming one way an order is unreadable in an entry key. */
static uint32_t
text_hash(const char *text)
{
	uint32_t h = 2166136261u;

	for (; text && *text; text++)
		h = (h ^ (unsigned char)*text) * 16777619u;
	return h;
}

/*
 * An order of the poll window whose data did not parse (bad): its own
 * entry, which fails with the reason when performed (the read there
 * meets the same data) and imports the order once it reads well.  An
 * order not imported yet gets its import entry; an imported one an
 * "unreadable:<hash>" edit entry, one per distinct reason.  An order
 * whose very id is unusable can have no entry: it is logged as an error.
 * The poll goes on either way.
 */
static int
poll_bad(ps_flow_env *env, const ps_bc_order_problem *bad)
{
	char oid[24], change[32], *xr = NULL;
	int error;

	if (bad->id <= 0) {
		ps_log_error("orders",
			     "an order in the poll window cannot be "
			     "identified, so it gets no log entry: %s",
			     bad->reason);
		return 0;
	}
	snprintf(oid, sizeof(oid), "%lld", (long long)bad->id);
	error = ps_store_xref_get(&xr, env->store, "order",
				  PS_PLATFORM_BIGCOMMERCE, oid,
				  PS_PLATFORM_BRIGHTPEARL);
	free(xr);
	if (error == PS_ENOTFOUND) {
		ps_error_clear();
		error = ensure_import(env, bad->id);
	} else if (error == 0) {
		snprintf(change, sizeof(change), "unreadable:%08" PRIx32,
			 text_hash(bad->reason));
		error = add_entry(env, bad->id, PS_PAIR_KIND_ORDER_EDIT,
				  change);
	}
	if (error == 0) /* new: said once, not at every poll */
		ps_log_warn("orders", "%s: recorded on the order's own entry",
			    bad->reason);
	return error < 0 ? error : 0;
}

/* What the chunks of one poll share (see poll_chunk). */
typedef struct poll_ctx {
	ps_flow_env *env;
	const ps_oib_settings *s;
	int64_t max_seen; /* the largest date_modified listed */
} poll_ctx;

/*
 * The poll's part for listed order o: an imported one gets an entry per
 * change (addresses, status, notes); a new importable one its import
 * entry, and *keep 1 so its copy may stand in for the import's read.
 */
static int
poll_order(poll_ctx *pc, const ps_bc_order *o, int *keep)
{
	ps_flow_env *env = pc->env;
	char oid[24], buf[32], why[256], *xr = NULL;
	order_state prev;
	int st_prev, error;
	uint32_t h_prev;

	*keep = 0;
	snprintf(oid, sizeof(oid), "%lld", (long long)o->id);
	if (ps_store_xref_get(&xr, env->store, "order", PS_PLATFORM_BIGCOMMERCE,
			      oid, PS_PLATFORM_BRIGHTPEARL) != 0) {
		ps_error_clear();
		if (!ps_oib__importable(pc->s, o, why, sizeof(why)))
			return 0; /* filtered: no entry (see the top) */
		if ((error = ensure_import(env, o->id)) < 0)
			return error;
		*keep = 1;
		return 0;
	}
	free(xr);
	if (state_load(&prev, env->store, o->id) < 0)
		return 0;
	st_prev = prev.status;
	h_prev = prev.notes;
	if ((error = poll_addresses(env, o, &prev)) < 0)
		return error;
	/* a status pearlsync set (status export, shipment) is not an edit */
	if (st_prev != o->status_id &&
	    (error = ps_store_written_int_seen(
		     env->store, PS_PLATFORM_BIGCOMMERCE, "order", o->id,
		     "status", o->status_id)) < 0)
		return error;
	if (st_prev != o->status_id && error == 0) {
		snprintf(buf, sizeof(buf), "status:%d", o->status_id);
		if ((error = add_entry(env, o->id, PS_PAIR_KIND_ORDER_STATUS,
				       buf)) < 0)
			return error;
	}
	if (h_prev != notes_hash(o)) {
		snprintf(buf, sizeof(buf), "notes:%08" PRIx32, notes_hash(o));
		if ((error = add_entry(env, o->id, PS_PAIR_KIND_ORDER_NOTES,
				       buf)) < 0)
			return error;
	}
	return 0;
}

/*
 * One chunk of the poll's listing (ps_bc_orders_foreach), in one
 * transaction: its orders' entries, then, once committed, the copies of
 * the new ones kept for their imports.  A bad order's date does not move
 * the cursor: it may be as wrong as the rest of it, and the overlap lists
 * the order again anyway (its entry is deduped).
 */
static int
poll_chunk(ps_bc_order_list *l, void *payload)
{
	poll_ctx *pc = payload;
	ps_flow_env *env = pc->env;
	char keep[POLL_CHUNK] = {0};
	size_t i;
	int error, k;

	if (l->count > POLL_CHUNK) /* ps_bc_orders_foreach's contract */
		return ps_error_set(PS_EINVAL, "a poll chunk of %zu orders",
				    l->count);
	if ((error = ps_store_begin(env->store)) < 0)
		return error;
	for (i = 0; i < l->count; i++) {
		if (l->items[i].date_modified > pc->max_seen)
			pc->max_seen = l->items[i].date_modified;
		if ((error = poll_order(pc, &l->items[i], &k)) < 0)
			goto fail;
		keep[i] = (char)k;
	}
	for (i = 0; i < l->nbad; i++)
		if ((error = poll_bad(env, &l->bad[i])) < 0)
			goto fail;
	if ((error = ps_store_commit(env->store)) < 0)
		goto fail;
	for (i = 0; i < l->count; i++)
		if (keep[i])
			snap_add(env->state, &l->items[i]);
	return 0;
fail:
	ps_store_rollback(env->store);
	return error;
}

/*
 * The poll streams the listing (ps_bc_orders_foreach) a chunk at a time,
 * each chunk's entries in their own transaction, so a backlog of any size
 * holds one page and one chunk in memory; the cursor moves only once the
 * whole listing went well (the overlap lists again what a failed walk
 * left, and entries are deduped).
 */
static int
oib_poll(ps_flow_env *env)
{
	ps_bc_order_query q = PS_BC_ORDER_QUERY_INIT;
	ps_oib_settings s;
	poll_ctx pc;
	oib_state *cs = env->state;
	char *cur = NULL, buf[32];
	int64_t since = 0;
	int error;

	if (PS_PAIR_BC(env) == NULL)
		return ps_error_set(
			PS_ESETTING,
			"waiting for setting bigcommerce.store_hash");
	if ((error = ps_oib__settings_load(&s, env->store)) < 0)
		return error;
	error = ps_store_cursor_get(&cur, NULL, env->store, CURSOR_STREAM);
	if (error == 0) {
		since = strtoll(cur, NULL, 10);
	} else if (error == PS_ENOTFOUND) {
		/* first poll: from bigcommerce.orders.start_date, else every
		 * order */
		ps_error_clear();
		error = 0;
		since = s.start_date + POLL_OVERLAP_S;
	} else {
		goto done;
	}
	memset(&pc, 0, sizeof(pc));
	pc.env = env;
	pc.s = &s;
	pc.max_seen = since;
	since = since > POLL_OVERLAP_S ? since - POLL_OVERLAP_S : 0;
	q.min_date_modified = since;
	q.with_lines = 1; /* the imports that follow use them */
	q.skip_bad = 1;   /* one bad order must not stop the rest */
	/* the previous poll's copies go: this one's are as new or newer */
	snap_clear(cs);
	if (cs != NULL)
		cs->snap_at = env->now;
	if ((error = ps_bc_orders_foreach(PS_PAIR_BC(env), &q, POLL_CHUNK,
					  poll_chunk, &pc)) < 0)
		goto done;
	snprintf(buf, sizeof(buf), "%lld", (long long)pc.max_seen);
	error = ps_store_cursor_set(env->store, CURSOR_STREAM, buf, env->now);
done:
	free(cur);
	ps_oib__settings_dispose(&s);
	return error;
}

/* ---- perform ------------------------------------------------------------ */

/*
 * The BigCommerce order of an entry (its subject) into *out, and whether
 * it is the order's import (else an edit of an imported order).
 */
static int
entry_order_id(int64_t *out, const ps_log_entry *e, int *is_import)
{
	static const char *const edits[] = {
		PS_PAIR_KIND_ORDER_EDIT, PS_PAIR_KIND_ORDER_STATUS,
		PS_PAIR_KIND_ORDER_NOTES, PS_PAIR_KIND_ORDER_ADDRESS};
	size_t i;

	*out = 0;
	*is_import = ps_log_entry_is(e, PS_PAIR_KIND_ORDER_IMPORT);
	for (i = 0; !*is_import && i < PS__ARRAY_LEN(edits); i++)
		if (ps_log_entry_is(e, edits[i]))
			break;
	if (!*is_import && i == PS__ARRAY_LEN(edits))
		return ps_error_set(PS_EDATA,
				    "entry %lld: unknown kind '%s' for an "
				    "order import",
				    (long long)e->id, e->kind ? e->kind : "");
	return ps_pair__entry_subject(out, e);
}

static int
set_entry_fields(ps_flow_env *env, const ps_log_entry *entry,
		 const ps_bc_order *o, const char *shipping)
{
	ps_log_entry f;
	char num[24];
	int error;

	ps_log_entry_init(&f);
	snprintf(num, sizeof(num), "%lld", (long long)o->id);
	f.order_number = num;
	f.total = o->total_inc_tax;
	f.has_total = 1;
	f.currency =
		(char *)(o->default_currency_code[0] ? o->default_currency_code
						     : o->currency_code);
	f.shipping_method = (char *)(shipping && shipping[0] ? shipping : NULL);
	error = ps_store_log_set_fields(env->store, entry->id, &f, env->now);
	return error;
}

static int
link_order(ps_flow_env *env, int64_t bc_id, int64_t bp_id)
{
	char a[24], b[24];

	snprintf(a, sizeof(a), "%lld", (long long)bc_id);
	snprintf(b, sizeof(b), "%lld", (long long)bp_id);
	return ps_store_xref_set(env->store, "order", PS_PLATFORM_BIGCOMMERCE,
				 a, PS_PLATFORM_BRIGHTPEARL, b, env->now);
}

/* The Brightpearl order of a BigCommerce order: xref, else externalRef
 * (when lookup is set).  0 in *out when none. */
static int
find_bp_order(int64_t *out, ps_flow_env *env, const ps_oib_settings *s,
	      int64_t bc_id, int lookup)
{
	char oid[24], ext[96], *xr = NULL;
	int error;

	*out = 0;
	snprintf(oid, sizeof(oid), "%lld", (long long)bc_id);
	error = ps_store_xref_get(&xr, env->store, "order",
				  PS_PLATFORM_BIGCOMMERCE, oid,
				  PS_PLATFORM_BRIGHTPEARL);
	if (error == 0) {
		parse_id(out, xr);
		free(xr);
		return 0;
	}
	if (error != PS_ENOTFOUND)
		return error;
	ps_error_clear();
	if (!lookup)
		return 0;
	snprintf(ext, sizeof(ext), "%s%lld",
		 s->reference_prefix ? s->reference_prefix : "",
		 (long long)bc_id);
	error = ps_bp_order_find_external(out, PS_PAIR_BP(env), ext);
	if (error == PS_ENOTFOUND) {
		ps_error_clear();
		*out = 0;
		return 0;
	}
	if (error == 0 && *out > 0)
		error = link_order(env, bc_id, *out);
	return error;
}

static int
note_exists(const ps_bp_note_list *nl, const char *text)
{
	size_t i;

	for (i = 0; nl && i < nl->n; i++)
		if (nl->items[i].text && strcmp(nl->items[i].text, text) == 0)
			return 1;
	return 0;
}

/*
 * Remember what the import wrote to Brightpearl order bp_id (its status and
 * its notes), so the flows that carry Brightpearl back to BigCommerce do
 * not take it for a merchant's change.
 */
static int
remember_writes(ps_flow_env *env, const ps_oib_plan *p, int64_t bp_id)
{
	size_t i;
	int error = 0;

	if ((error = ps_store_begin(env->store)) < 0) /* one commit */
		return error;
	if (p->order.status_id > 0)
		error = ps_store_written_int_set(
			env->store, PS_PLATFORM_BRIGHTPEARL, "order", bp_id,
			"status", p->order.status_id, FLOW, env->now);
	for (i = 0; error == 0 && i < p->nnotes; i++)
		error = ps_echo__bp_note_mark(env, FLOW, bp_id, p->notes[i]);
	if (error < 0) {
		ps_store_rollback(env->store);
		return error;
	}
	return ps_store_commit(env->store);
}

/* The row ids of order bp_id into p's reservation lines, read once
 * (none when the batch read gave them already). */
static int
reserve_rows_read(ps_flow_env *env, ps_oib_plan *p, int64_t bp_id)
{
	ps_bp_order_list ol = {0};
	int error;

	if (p->nreserve == 0 || p->reserve[0].row_id > 0)
		return 0;
	if ((error = ps_bp_order_get(&ol, PS_PAIR_BP(env), &bp_id, 1)) < 0)
		return error;
	if (ol.n == 0)
		error = ps_error_set(PS_EDATA,
				     "reservation: Brightpearl order %lld "
				     "not found when reading its rows",
				     (long long)bp_id);
	else
		error = ps_oib__reserve_rows(p, ol.items[0].rows,
					     ol.items[0].nrows);
	ps_bp_order_list_dispose(&ol);
	return error;
}

/* Notes, custom fields, payments and the reservation of order bp_id;
 * np_done 1: notes and payments were sent in a batch, 2: the reservation
 * too.  A reservation Brightpearl refuses (a warehouse it does not have,
 * no stock free) does not undo the order: it is told in warn (cap bytes)
 * and the entry is synced with that warning (ps_flow_result.warning). */
static int
execute_after(ps_flow_env *env, ps_oib_plan *p, int64_t bp_id, int adopted,
	      int np_done, const ps_oib_settings *s, char *warn, size_t cap)
{
	ps_bp_note_list nl = {0};
	size_t i;
	int error = 0;

	if ((error = remember_writes(env, p, bp_id)) < 0)
		goto done;
	if (p->nfields &&
	    (error = ps_bp_order_fields_set(PS_PAIR_BP(env), bp_id, p->fields,
					    p->nfields)) < 0)
		goto done;
	if (np_done)
		goto reserve;
	if (p->nnotes && adopted &&
	    (error = ps_bp_note_list_get(&nl, PS_PAIR_BP(env), bp_id)) < 0)
		goto done;
	if (env->backlog && !adopted && p->nnotes + p->npayments > 1) {
		/* one multi-message instead of a request per write */
		ps_bp_batch *bt = NULL;
		int berr = 0;

		if ((error = ps_bp_batch_new(&bt, PS_PAIR_BP(env))) < 0)
			goto done;
		for (i = 0; i < p->nnotes && berr == 0; i++)
			berr = ps_bp_batch_note_add(bt, bp_id, p->notes[i],
						    p->note_public[i]);
		for (i = 0; i < p->npayments && berr == 0; i++) {
			p->payments[i].p.order_id = bp_id;
			berr = ps_bp_batch_payment_create(bt,
							  &p->payments[i].p);
		}
		if (berr == 0 && (berr = ps_bp_batch_send(bt)) == 0) {
			for (i = 0; i < ps_bp_batch_count(bt); i++) {
				const ps_bp_batch_result *br =
					ps_bp_batch_result_get(bt, i);

				if (br != NULL && br->error < 0 && berr == 0)
					berr = br->error;
			}
		}
		ps_bp_batch_free(bt);
		if (berr == 0)
			goto reserve;
		/* fall back to the direct calls, which look up first */
		ps_error_clear();
		adopted = 1;
		if ((error = ps_bp_note_list_get(&nl, PS_PAIR_BP(env), bp_id)) <
		    0)
			goto done;
	}
	for (i = 0; i < p->nnotes; i++) {
		if (adopted && note_exists(&nl, p->notes[i]))
			continue;
		if ((error = ps_bp_note_add(NULL, PS_PAIR_BP(env), bp_id,
					    p->notes[i], p->note_public[i])) <
		    0)
			goto done;
	}
	for (i = 0; i < p->npayments; i++) {
		p->payments[i].p.order_id = bp_id;
		if ((error = ps_bp_payment_create(NULL, PS_PAIR_BP(env),
						  &p->payments[i].p)) < 0)
			goto done;
	}
reserve:
	if (p->nreserve && np_done < 2) {
		if ((error = reserve_rows_read(env, p, bp_id)) < 0)
			goto done;
		error = ps_bp_reservation_create(PS_PAIR_BP(env), bp_id,
						 s->warehouse_id, p->reserve,
						 p->nreserve);
		if (error == PS_EDATA) {
			/* nothing free to reserve, reserved already, or a
			 * warehouse Brightpearl refuses */
			ps_log_warn("orders",
				    "order %lld: reservation not made: %s",
				    (long long)bp_id, ps_error_last());
			snprintf(warn, cap,
				 "reservation not made in warehouse %lld: %s",
				 (long long)s->warehouse_id, ps_error_last());
			ps_error_clear();
			error = 0;
		}
	}
done:
	ps_bp_note_list_dispose(&nl);
	return error;
}

/* One import in progress: everything from the BigCommerce order to the
 * Brightpearl order, shared by the single and the batched paths. */
typedef struct import_job {
	const ps_log_entry *entry;
	int64_t bc_id;
	ps_bc_order o;
	int have_order;  /* o was read already (batch) */
	int fields_done; /* the entry's columns were set already (batch) */
	ps_bc_transaction_list txns;
	int have_txns;     /* txns are known: read (batch) or taken from
			    * the order (items[0].from_order) */
	char pay_note[96]; /* rb.r.payments_note: why txns is empty */
	resolve_buf rb;
	ps_oib_plan plan;
	int64_t bp_id;     /* 0 until created or adopted */
	int adopted;       /* the order existed before this attempt */
	int skipped;       /* filtered out: synced with no target */
	int need_contact;  /* batch: the customer is to be created */
	int64_t linked;    /* batch: the contact the BigCommerce customer was
			    * linked to (0: none) */
	int link_customer; /* batch: link the customer to rb.r.customer_id */
	int from_dir;      /* batch: the customer was found in the contact
			    * directory (not created, not read now) */
	int np_done;       /* sent in a batch: 1 notes and payments, 2 and the
			    * reservation (see execute_after) */
	char warning[256]; /* a sub-step refused after the order was made
			    * ("reservation not made ..."); "" none */
} import_job;

static void
job_init(import_job *j, const ps_log_entry *entry, int64_t bc_id)
{
	memset(j, 0, sizeof(*j));
	j->entry = entry;
	j->bc_id = bc_id;
}

static void
job_dispose(import_job *j)
{
	ps_oib__plan_dispose(&j->plan);
	resolve_dispose(&j->rb);
	ps_bc_transaction_list_dispose(&j->txns);
	ps_bc_order_dispose(&j->o);
}

/*
 * The payments stage of an import: j->txns from the order alone
 * (pay_from_order) or read.  An order an earlier attempt made (adopted)
 * may have had its payment recorded by that attempt from the order or
 * from the transactions, under different references: Brightpearl is asked
 * for the order's one (one search) and, when it is there, nothing more is
 * recorded; else the transactions are read, whose references repeat any
 * the earlier attempt sent.
 */
static int
job_txns(ps_flow_env *env, const ps_oib_settings *s, import_job *j)
{
	int64_t pid;
	char ref[48];
	int error;

	if (j->adopted) {
		if (j->have_txns && j->txns.count > 0 &&
		    j->txns.items[0].from_order) {
			ps_bc_transaction_list_dispose(&j->txns);
			j->have_txns = 0;
		}
		snprintf(ref, sizeof(ref), PS_OIB_ORDER_PAY_REF,
			 (long long)j->bc_id);
		error = ps_bp_payment_find(&pid, PS_PAIR_BP(env), j->bp_id, ref,
					   NULL);
		if (error == 0) {
			ps_bc_transaction_list_dispose(&j->txns);
			j->have_txns = 1;
			snprintf(j->pay_note, sizeof(j->pay_note),
				 "recorded by an earlier attempt (%s, "
				 "payment %lld)",
				 ref, (long long)pid);
			return 0;
		}
		if (error != PS_ENOTFOUND)
			return error;
		ps_error_clear();
	} else if (!j->have_txns) {
		if ((error = pay_from_order(env, s, &j->o, &j->txns)) < 0)
			return error;
		j->have_txns = error;
	}
	if (j->have_txns)
		return 0;
	if ((error = ps_bc_transactions_list(&j->txns, PS_PAIR_BC(env),
					     j->bc_id)) < 0)
		return error;
	j->have_txns = 1;
	return 0;
}

/*
 * The reads before the customer: the order (unless the batch read it),
 * filters, an earlier attempt's order, transactions, status, shipping,
 * products and payments, and a trial plan so that a mapping or product
 * problem fails the entry before anything is written.  Afterwards
 * j->skipped (res->detail says why), j->adopted (j->bp_id), or the
 * customer is next.
 */
static int
prepare_read(ps_flow_env *env, const ps_oib_settings *s, import_job *j,
	     ps_flow_result *res)
{
	char why[256];
	int error, lookup;
	const ps_log_entry *entry = j->entry;
	ps_bc_order *o = &j->o;

	if (!j->have_order) {
		if ((error = ps_bc_order_get(o, PS_PAIR_BC(env), j->bc_id)) < 0)
			return error;
		j->have_order = 1;
	}
	if (!j->fields_done &&
	    (error = set_entry_fields(
		     env, entry, o,
		     o->nshipping_addresses
			     ? o->shipping_addresses[0].shipping_method
			     : NULL)) < 0)
		return error;
	if (!ps_oib__importable(s, o, why, sizeof(why))) {
		size_t n = strlen(why) + 16;

		res->detail = malloc(n);
		if (res->detail)
			snprintf(res->detail, n, "skipped: %s", why);
		j->skipped = 1;
		return 0;
	}
	/* any earlier attempt (interrupted, failed, or retried by the
	 * operator: attempts restart at 0 but the reason stays) may have
	 * created the order */
	lookup = entry->attempts > 1 || (entry->reason && entry->reason[0]);
	if ((error = find_bp_order(&j->bp_id, env, s, j->bc_id, lookup)) < 0)
		return error;
	j->adopted = j->bp_id > 0;
	if (s->payments_enabled && (error = job_txns(env, s, j)) < 0)
		return error;
	if ((error = resolve_rest(&j->rb, env, s, o, &j->txns)) < 0)
		return error;
	if (j->pay_note[0] != '\0')
		j->rb.r.payments_note = j->pay_note;
	if (j->adopted) {
		j->rb.r.customer_id = 1; /* unused: the order exists */
		j->rb.r.customer_how = "order already in Brightpearl: adopted";
	} else {
		/* checks that need no write come first */
		ps_oib_resolved probe = j->rb.r;

		probe.customer_id = 1;
		error = ps_oib__plan_build(&j->plan, o, &j->txns, s, &probe);
		ps_oib__plan_dispose(&j->plan);
		if (error < 0)
			return error;
	}
	return 0;
}

/*
 * The contact update plan p sends (the import and the preview both take
 * it from here): names and phone only, as the order carries its own
 * billing and delivery addresses and its email (the contact's is left
 * alone: see CUSTOMER_XREF).  *was is what rb knew of the contact (all
 * NULL when rb->was_known is 0: the update then reads the contact).
 */
static void
contact_update_of(ps_bp_contact *cu, ps_bp_contact *was, const ps_oib_plan *p,
		  const resolve_buf *rb)
{
	*cu = p->contact;
	memset(&cu->address, 0, sizeof(cu->address));
	cu->email = NULL;
	memset(was, 0, sizeof(*was));
	if (rb->was_known) {
		was->first_name = rb->was_first[0] ? rb->was_first : NULL;
		was->last_name = rb->was_last[0] ? rb->was_last : NULL;
		was->telephone = rb->was_phone[0] ? rb->was_phone : NULL;
	}
}

/* The plan, once the customer is known, and the customer's new details
 * when they changed. */
static int
prepare_plan(ps_flow_env *env, const ps_oib_settings *s, import_job *j)
{
	const ps_bc_address *ba = &j->o.billing_address;
	int error;

	if ((error = ps_oib__plan_build(&j->plan, &j->o, &j->txns, s,
					&j->rb.r)) < 0)
		return error;
	if (!j->adopted && j->plan.update_contact) {
		const char *em = j->rb.contact_email[0] ? j->rb.contact_email
							: ba->email;
		ps_bp_contact cu, was;

		contact_update_of(&cu, &was, &j->plan, &j->rb);
		if ((error = ps_bp_contact_update_from(
			     PS_PAIR_BP(env), j->rb.r.customer_id,
			     j->rb.was_known ? &was : NULL, &cu)) < 0)
			return error;
		contact_put(env->state, em, j->rb.r.customer_id, ba->first_name,
			    ba->last_name, ba->phone);
		dir_put_as(env, s, em, ba, j->rb.r.customer_id);
	}
	return 0;
}

/* One import up to the order create: read, customer (found, or created
 * now), plan. */
static int
import_prepare(ps_flow_env *env, const ps_oib_settings *s, import_job *j,
	       ps_flow_result *res)
{
	int error;

	if ((error = prepare_read(env, s, j, res)) < 0 || j->skipped)
		return error;
	if (!j->adopted &&
	    (error = resolve_customer(&j->rb, env, s, &j->o, 1)) < 0)
		return error;
	return prepare_plan(env, s, j);
}

/* After the order exists, what talks to Brightpearl: notes, payments,
 * custom fields and the reservation not sent in a batch. */
static int
complete_remote(ps_flow_env *env, const ps_oib_settings *s, import_job *j)
{
	return execute_after(env, &j->plan, j->bp_id, j->adopted, j->np_done, s,
			     j->warning, sizeof(j->warning));
}

/* Then the local part (the order is linked already): the order's state
 * and the entry's result. */
static int
complete_local(ps_flow_env *env, import_job *j, ps_flow_result *res)
{
	char tid[24];
	int error;

	if ((error = state_save(env->store, &j->o, env->now)) < 0)
		return error;
	snprintf(tid, sizeof(tid), "%lld", (long long)j->bp_id);
	res->target_id = ps_util__strdup(tid);
	if ((error = ps_oib__plan_summary(&res->detail, &j->plan)) < 0)
		return error;
	if (j->adopted && res->detail) {
		size_t n = strlen(res->detail) + 64;
		char *d = malloc(n);

		if (d) {
			snprintf(d, n, "%s (adopted existing order)",
				 res->detail);
			free(res->detail);
			res->detail = d;
		}
	}
	if (res->target_id == NULL)
		return ps_error_set(PS_ENOMEM, "out of memory");
	if (j->warning[0] != '\0' &&
	    (res->warning = ps_util__strdup(j->warning)) == NULL)
		return ps_error_set(PS_ENOMEM, "out of memory");
	return 0;
}

static int
do_import(ps_flow_env *env, const ps_log_entry *entry, int64_t bc_id,
	  ps_flow_result *res)
{
	ps_oib_settings s;
	import_job j;
	int error;

	job_init(&j, entry, bc_id);
	if ((error = ps_oib__settings_load(&s, env->store)) < 0)
		return error;
	if ((error = import_prepare(env, &s, &j, res)) < 0 || j.skipped)
		goto done;
	if (!j.adopted &&
	    (error = ps_bp_order_create(&j.bp_id, &j.adopted, PS_PAIR_BP(env),
					&j.plan.order)) < 0)
		goto done;
	if ((error = link_order(env, j.bc_id, j.bp_id)) < 0 ||
	    (error = complete_remote(env, &s, &j)) < 0)
		goto done;
	error = complete_local(env, &j, res);
done:
	job_dispose(&j);
	ps_oib__settings_dispose(&s);
	return error;
}

/* Append the printf-formatted text to msg (cap bytes). */
static void msg_add(char *msg, size_t cap, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void
msg_add(char *msg, size_t cap, const char *fmt, ...)
{
	size_t len = strlen(msg);
	va_list ap;

	if (len + 1 >= cap)
		return;
	va_start(ap, fmt);
	vsnprintf(msg + len, cap - len, fmt, ap);
	va_end(ap);
}

/*
 * A BigCommerce status change of an imported order: unless the status is
 * one pearlsync set itself (the status export, a shipment), move the
 * Brightpearl order to the mapped status.  The change's note names its
 * source and is remembered, like the status, as pearlsync's write.
 */
static int
edit_status(ps_flow_env *env, const ps_oib_settings *s, const ps_bc_order *o,
	    int64_t bp_id, char *msg, size_t cap)
{
	char how[200], note[160];
	int64_t status_id = 0;
	int error;

	error = ps_store_written_int_seen(env->store, PS_PLATFORM_BIGCOMMERCE,
					  "order", o->id, "status",
					  o->status_id);
	if (error < 0)
		return error;
	if (error == 1) {
		msg_add(msg, cap,
			"status %d was set by pearlsync: not sent "
			"back; ",
			o->status_id);
		return 0;
	}
	if ((error = resolve_status(&status_id, how, sizeof(how), env, s, o)) <
	    0)
		return error;
	if (status_id <= 0)
		return ps_error_set(
			PS_EMAPPING,
			"BigCommerce status '%s' (%d) has no "
			"Brightpearl status (mapping order_status "
			"bc>bp) and bigcommerce.defaults.order_status_id is "
			"not set",
			o->status, o->status_id);
	snprintf(note, sizeof(note), "Status from BigCommerce order %lld: %s",
		 (long long)o->id, o->status[0] ? o->status : "?");
	if ((error = ps_store_written_int_set(
		     env->store, PS_PLATFORM_BRIGHTPEARL, "order", bp_id,
		     "status", status_id, FLOW, env->now)) < 0 ||
	    (error = ps_echo__bp_note_mark(env, FLOW, bp_id, note)) < 0 ||
	    (error = ps_bp_order_status_set(PS_PAIR_BP(env), bp_id, status_id,
					    note)) < 0)
		return error;
	msg_add(msg, cap, "status -> %lld (%s); ", (long long)status_id, how);
	return 0;
}

/* 1 when the n bytes at p hold the marker notes_bc puts on its lines. */
static int
has_bp_mark(const char *p, size_t n)
{
	static const char mark[] = "[BP note ";
	size_t m = sizeof(mark) - 1, i;

	for (i = 0; i + m <= n; i++)
		if (memcmp(p + i, mark, m) == 0)
			return 1;
	return 0;
}

/*
 * *field, in place, without the lines notes_bc copied from Brightpearl
 * (the fallback for a field the merchant edited after pearlsync wrote to
 * it: their lines go to Brightpearl, pearlsync's do not go back).
 */
static void
drop_bp_lines(char *text)
{
	char *out = text, *p = text, *eol;
	size_t n;

	while (*p != '\0') {
		eol = strchr(p, '\n');
		n = eol ? (size_t)(eol - p) : strlen(p);
		if (!has_bp_mark(p, n)) {
			if (out != text)
				*out++ = '\n';
			memmove(out, p, n);
			out += n;
		}
		p += n + (eol != NULL);
	}
	while (out > text &&
	       (out[-1] == '\n' || out[-1] == '\r' || out[-1] == ' '))
		out--;
	*out = '\0';
}

/*
 * Blank *field when its value is pearlsync's own last write (notes_bc
 * wrote it), else drop the lines pearlsync wrote.  Returns 1 when blanked,
 * 0, or a PS_E* code.
 */
static int
own_field(ps_flow_env *env, int64_t bc_id, const char *name, char *field)
{
	char id[24];
	int error;

	if (field == NULL || field[0] == '\0')
		return 0;
	snprintf(id, sizeof(id), "%lld", (long long)bc_id);
	error = ps_store_written_seen(env->store, PS_PLATFORM_BIGCOMMERCE,
				      "order", id, name, field);
	if (error < 0)
		return error;
	if (error == 1)
		field[0] = '\0';
	else
		drop_bp_lines(field);
	return error;
}

/*
 * A notes edit of an imported order: the staff notes and customer message
 * as the merchant left them (pearlsync's own writes taken out) become the
 * notes or custom fields the import would have made, each added once.
 */
static int
edit_notes(ps_flow_env *env, const ps_oib_settings *s, const ps_bc_order *o,
	   int64_t bp_id, char *msg, size_t cap)
{
	ps_bp_note_list nl = {0};
	ps_bc_transaction_list none = {0};
	ps_oib_settings s2 = *s;
	ps_oib_plan plan;
	resolve_buf rb;
	ps_bc_order c = *o; /* shallow: only the two texts are its own */
	size_t i, added = 0;
	int error, echo = 0;

	memset(&plan, 0, sizeof(plan));
	memset(&rb, 0, sizeof(rb));
	c.staff_notes = ps_util__strdup(o->staff_notes ? o->staff_notes : "");
	c.customer_message =
		ps_util__strdup(o->customer_message ? o->customer_message : "");
	if (c.staff_notes == NULL || c.customer_message == NULL) {
		error = ps_error_set(PS_ENOMEM, NULL);
		goto done;
	}
	if ((error = own_field(env, o->id, "staff_notes", c.staff_notes)) < 0)
		goto done;
	echo = error;
	if ((error = own_field(env, o->id, "customer_message",
			       c.customer_message)) < 0)
		goto done;
	echo += error;
	/* the notes part of the plan, without any lookups: rows are not
	 * sent, so no product is looked up, and no amount is left for the
	 * plan to reconcile with the totals */
	rb.r.customer_id = 1;
	rb.r.status_id = 1;
	c.nproducts = 0;
	c.total_ex_tax = c.total_inc_tax = 0;
	c.shipping_cost_ex_tax = c.shipping_cost_inc_tax = 0;
	c.handling_cost_ex_tax = c.handling_cost_inc_tax = 0;
	c.wrapping_cost_ex_tax = c.wrapping_cost_inc_tax = 0;
	c.discount_amount = c.coupon_discount = 0;
	s2.payments_enabled = 0;
	if (s2.warehouse_id <= 0)
		s2.warehouse_id = 1;
	if (s2.channel_id <= 0)
		s2.channel_id = 1;
	if ((error = ps_oib__plan_build(&plan, &c, &none, &s2, &rb.r)) < 0)
		goto done;
	if (plan.nnotes &&
	    (error = ps_bp_note_list_get(&nl, PS_PAIR_BP(env), bp_id)) < 0)
		goto done;
	if (plan.nfields &&
	    (error = ps_bp_order_fields_set(PS_PAIR_BP(env), bp_id, plan.fields,
					    plan.nfields)) < 0)
		goto done;
	for (i = 0; i < plan.nnotes; i++) {
		if (note_exists(&nl, plan.notes[i]))
			continue;
		if ((error = ps_echo__bp_note_mark(env, FLOW, bp_id,
						   plan.notes[i])) < 0 ||
		    (error = ps_bp_note_add(NULL, PS_PAIR_BP(env), bp_id,
					    plan.notes[i],
					    plan.note_public[i])) < 0)
			goto done;
		added++;
	}
	if (added || plan.nfields)
		msg_add(msg, cap, "notes updated (%zu new note%s)", added,
			added == 1 ? "" : "s");
	else if (echo)
		msg_add(msg, cap, "notes: only pearlsync's own writes changed");
	else
		msg_add(msg, cap, "notes: already in Brightpearl");
done:
	free(c.staff_notes);
	free(c.customer_message);
	ps_bp_note_list_dispose(&nl);
	ps_oib__plan_dispose(&plan);
	resolve_dispose(&rb);
	return error;
}

/* The fields of a that differ from b, as the operator knows them, into
 * buf ("street, postcode"); "" when none. */
static void
address_diff(char *buf, size_t cap, const ps_bp_address *a,
	     const ps_bp_address *b)
{
	const struct {
		const char *name;
		const char *x, *y;
	} f[] = {
		{"name", a->full_name, b->full_name},
		{"company", a->company, b->company},
		{"street", a->line1, b->line1},
		{"street 2", a->line2, b->line2},
		{"city", a->line3, b->line3},
		{"state", a->line4, b->line4},
		{"postcode", a->postal_code, b->postal_code},
		{"country", a->country_iso, b->country_iso},
		{"phone", a->telephone, b->telephone},
		{"email", a->email, b->email},
	};
	size_t i;

	buf[0] = '\0';
	for (i = 0; i < sizeof(f) / sizeof(f[0]); i++)
		if (strcmp(f[i].x ? f[i].x : "", f[i].y ? f[i].y : "") != 0)
			msg_add(buf, cap, "%s%s", buf[0] ? ", " : "",
				f[i].name);
}

/*
 * An address edit of imported order o: the mapped billing and delivery
 * addresses (ps_oib__addresses) replace those of Brightpearl order bp_id
 * where they differ, with one GET and one PUT (If-Match; a 412 is read
 * again).  Fields pearlsync does not map (mobile) keep Brightpearl's
 * value.  When the order is invoiced or (part) shipped nothing is sent:
 * PS_EDATA names the changed fields and *refused is set (0 otherwise).
 */
static int
edit_addresses(ps_flow_env *env, const ps_bc_order *o, int64_t bp_id,
	       int *refused, char *msg, size_t cap)
{
	ps_oib_addresses want;
	ps_bp_sales_order so;
	char bd[160], dd[160], id[24], hash[16], what[400];
	int error;

	*refused = 0;
	if ((error = ps_oib__addresses(&want, o)) < 0)
		return error;
	if ((error = ps_bp_sales_order_get(&so, PS_PAIR_BP(env), bp_id)) < 0)
		return error;
	/* a country read back in either ISO form compares as alpha-3 */
	if (ps_bp_country_iso3(so.billing.country_iso) != NULL)
		so.billing.country_iso =
			ps_bp_country_iso3(so.billing.country_iso);
	if (ps_bp_country_iso3(so.delivery.country_iso) != NULL)
		so.delivery.country_iso =
			ps_bp_country_iso3(so.delivery.country_iso);
	want.billing.mobile = so.billing.mobile;
	want.delivery.mobile = so.delivery.mobile;
	address_diff(bd, sizeof(bd), &want.billing, &so.billing);
	address_diff(dd, sizeof(dd), &want.delivery, &so.delivery);
	if (bd[0] == '\0' && dd[0] == '\0') {
		msg_add(msg, cap, "addresses: already in Brightpearl; ");
		goto done;
	}
	what[0] = '\0';
	if (bd[0])
		msg_add(what, sizeof(what), "billing address (%s)", bd);
	if (dd[0])
		msg_add(what, sizeof(what), "%sdelivery address (%s)",
			bd[0] ? " and " : "", dd);
	if (so.invoiced || strcmp(so.shipping_status, "SPS") == 0 ||
	    strcmp(so.shipping_status, "ASS") == 0) {
		*refused = 1;
		error = ps_error_set(
			PS_EDATA,
			"%sBigCommerce order %lld: %s changed, but Brightpearl "
			"order %lld is already %s, so pearlsync did not "
			"change it; correct the address in Brightpearl (and "
			"with the carrier) by hand, then retry this entry",
			msg, (long long)o->id, what, (long long)bp_id,
			so.invoiced ? "invoiced" : "(part) shipped");
		goto done;
	}
	if ((error = ps_bp_sales_order_addresses_set(
		     PS_PAIR_BP(env), &so, bd[0] ? &want.billing : NULL,
		     dd[0] ? &want.delivery : NULL)) < 0)
		goto done;
	snprintf(id, sizeof(id), "%lld", (long long)bp_id);
	snprintf(hash, sizeof(hash), "%08" PRIx32, addr_hash(o));
	if ((error = ps_store_written_set(env->store, PS_PLATFORM_BRIGHTPEARL,
					  "order", id, "addresses", hash, FLOW,
					  env->now)) < 0)
		goto done;
	msg_add(msg, cap, "%s updated; ", what);
done:
	ps_bp_sales_order_dispose(&so);
	return error;
}

/* A status change or notes edit: update the existing order. */
static int
do_edit(ps_flow_env *env, const ps_log_entry *entry, int64_t bc_id,
	ps_flow_result *res)
{
	ps_bc_order o;
	ps_oib_settings s;
	order_state prev;
	char why[256], msg[512], tid[24];
	int64_t bp_id = 0;
	int error, st_prev = -1, refused = 0, checked;
	uint32_t h_prev = 0;

	memset(&o, 0, sizeof(o));
	if ((error = ps_oib__settings_load(&s, env->store)) < 0)
		return error;
	if ((error = ps_bc_order_get(&o, PS_PAIR_BC(env), bc_id)) < 0)
		goto done;
	if ((error = find_bp_order(&bp_id, env, &s, bc_id, 0)) < 0)
		goto done;
	if (bp_id == 0) {
		ps_log_entry imp;
		char key[64];

		snprintf(key, sizeof(key), "bc:order:%lld:import",
			 (long long)bc_id);
		if (ps_store_log_get_by_key(&imp, env->store, key) == 0) {
			int waiting = imp.status == PS_ENTRY_PENDING ||
				      imp.status == PS_ENTRY_IN_FLIGHT;
			int failed = imp.status == PS_ENTRY_FAILED;

			ps_log_entry_dispose(&imp);
			if (failed) {
				/* the import's own retry will use the
				 * order as it is then */
				res->detail = ps_util__strdup(
					"skipped: the import of this order "
					"failed; retrying it imports the "
					"current status and notes");
				goto done;
			}
			if (waiting) {
				error = ps_error_set(
					PS_EBUSY,
					"waiting for the import of "
					"BigCommerce order %lld",
					(long long)bc_id);
				goto done;
			}
		}
		ps_error_clear();
		if (ps_oib__importable(&s, &o, why, sizeof(why))) {
			if ((error = ensure_import(env, bc_id)) < 0)
				goto done;
			res->detail = ps_util__strdup(
				"order not imported yet: import queued");
		} else {
			snprintf(msg, sizeof(msg),
				 "skipped: order not imported (%s)", why);
			res->detail = ps_util__strdup(msg);
		}
		goto done;
	}
	if (state_load(&prev, env->store, bc_id) < 0) {
		ps_error_clear();
		memset(&prev, 0, sizeof(prev));
		prev.status = -1;
	}
	st_prev = prev.status;
	h_prev = prev.notes;
	msg[0] = '\0';
	if (o.status_id != st_prev &&
	    (error = edit_status(env, &s, &o, bp_id, msg, sizeof(msg))) < 0)
		goto done;
	if (notes_hash(&o) != h_prev &&
	    (error = edit_notes(env, &s, &o, bp_id, msg, sizeof(msg))) < 0)
		goto done;
	/* no address hash yet: today's addresses are the baseline */
	checked = prev.has_addr &&
		  (addr_hash(&o) != prev.addr || prev.refused == entry->id);
	if (checked &&
	    (error = edit_addresses(env, &o, bp_id, &refused, msg,
				    sizeof(msg))) < 0 &&
	    !refused)
		goto done;
	{
		/* a refused change counts as handled: later edits of the
		 * order are not held up by it; the entry that met it fails
		 * with the reason and alone checks again when retried */
		order_state now;
		int e2;

		now.status = o.status_id;
		now.notes = notes_hash(&o);
		now.has_addr = 1;
		now.addr = addr_hash(&o);
		now.refused = refused ? entry->id : checked ? 0 : prev.refused;
		if ((e2 = state_write(env->store, bc_id, &now, env->now)) < 0)
			error = e2; /* not remembered: try it all again */
		if (error < 0)
			goto done;
	}
	if (msg[0] == '\0')
		snprintf(msg, sizeof(msg), "no change to send");
	snprintf(tid, sizeof(tid), "%lld", (long long)bp_id);
	res->target_id = ps_util__strdup(tid);
	res->detail = ps_util__strdup(msg);
done:
	ps_bc_order_dispose(&o);
	ps_oib__settings_dispose(&s);
	return error;
}

static int oib_perform_batch(ps_flow_env *env, const ps_log_entry *entries,
			     size_t n, ps_flow_result *results, int *codes);

/*
 * One import due alone takes the batch's road as a batch of one: its
 * customer from the contact directory (no search and read per contact),
 * and its notes, payments and reservation in one multi-message after the
 * order, where the direct calls cost a request each.  The batch keeps
 * every guard of do_import (the lookup by externalRef on a later
 * attempt, the guarded create, the link in one transaction with the
 * order); do_import is what remains when the batch declines.
 */
static int
import_alone(ps_flow_env *env, const ps_log_entry *entry, int64_t bc_id,
	     ps_flow_result *res)
{
	char msg[PS_ERROR_MAX];
	int code = 0;

	if (oib_perform_batch(env, entry, 1, res, &code) < 0) {
		ps_error_clear();
		ps_flow_result_dispose(res);
		return do_import(env, entry, bc_id, res);
	}
	if (code >= 0)
		return 0;
	/* the batch gives the reason as the result's detail; perform
	 * gives it as the error */
	snprintf(msg, sizeof(msg), "%s",
		 res->detail ? res->detail : ps_strerror(code));
	ps_flow_result_dispose(res);
	return ps_error_set(code, "%s", msg);
}

static int
oib_perform(ps_flow_env *env, const ps_log_entry *entry, ps_flow_result *res)
{
	int64_t bc_id = 0;
	int error, is_import = 0;

	if ((error = entry_order_id(&bc_id, entry, &is_import)) < 0)
		return error;
	if (PS_PAIR_BC(env) == NULL)
		return ps_error_set(
			PS_ESETTING,
			"waiting for setting bigcommerce.store_hash");
	if (PS_PAIR_BP(env) == NULL)
		return ps_error_set(PS_ESETTING,
				    "waiting for setting brightpearl.account");
	if (is_import)
		return import_alone(env, entry, bc_id, res);
	return do_edit(env, entry, bc_id, res);
}

/* ---- perform_batch ------------------------------------------------------ */

/* The imports of one perform_batch call. */
typedef struct batch {
	ps_flow_env *env;
	ps_oib_settings s;
	import_job *jobs;
	int *active; /* the import goes on */
	ps_flow_result *results;
	int *codes;
	size_t n;
} batch;

/* Job i failed with code and reason msg (not the error buffer's own text
 * when several jobs share it: copy it first). */
static void
job_fail_as(batch *b, size_t i, int code, const char *msg)
{
	ps_flow_result_dispose(&b->results[i]);
	b->results[i].detail = ps_util__strdup(msg);
	b->codes[i] = code;
	b->active[i] = 0;
}

/* Job i failed with code; its reason is the current error detail. */
static void
job_fail(batch *b, size_t i, int code)
{
	job_fail_as(b, i, code, ps_error_last());
	ps_error_clear();
}

/* Every job still going (or, with only_contact, still needing its
 * customer) fails with code and the current error detail. */
static void
jobs_fail(batch *b, int code, int only_contact)
{
	char msg[PS_ERROR_MAX];
	size_t i;

	snprintf(msg, sizeof(msg), "%s", ps_error_last());
	ps_error_clear();
	for (i = 0; i < b->n; i++)
		if (b->active[i] && (!only_contact || b->jobs[i].need_contact))
			job_fail_as(b, i, code, msg);
}

/*
 * Read the batch's orders (the poll's copies read moments ago, the rest in
 * as few requests as their ids allow) and set their entries' columns in
 * one transaction.  Orders the listing missed
 * (and every order when it fails) are read one by one by prepare_read.
 */
static void
batch_read_orders(batch *b)
{
	ps_flow_env *env = b->env;
	ps_bc_order_list l = {0};
	int64_t *ids = calloc(b->n, sizeof(*ids));
	size_t *who = calloc(b->n, sizeof(*who));
	size_t i, m = 0;

	if (ids == NULL || who == NULL)
		goto done;
	for (i = 0; i < b->n; i++) {
		import_job *j = &b->jobs[i];

		if (!b->active[i])
			continue;
		/* a batch of one (an import due alone) reads its order
		 * afresh, as perform always has */
		if (b->n > 1 &&
		    snap_take(&j->o, env->state, j->bc_id, env->now)) {
			j->have_order = 1;
			continue;
		}
		ids[m] = j->bc_id;
		who[m++] = i;
	}
	if (m >= 2 && ps_bc_orders_get_many(&l, PS_PAIR_BC(env), ids, m) < 0) {
		ps_log_info("orders",
			    "reading %zu orders at once: %s; one "
			    "at a time instead",
			    m, ps_error_last());
		ps_error_clear();
		m = 0;
	}
	for (i = 0; m >= 2 && i < m && i < l.count; i++) {
		import_job *j = &b->jobs[who[i]];

		if (l.items[i].id != j->bc_id)
			continue;
		j->o = l.items[i];
		memset(&l.items[i], 0, sizeof(l.items[i]));
		j->have_order = 1;
	}
	if (ps_store_begin(env->store) < 0) {
		ps_error_clear();
		goto done;
	}
	for (i = 0; i < b->n; i++) {
		import_job *j = &b->jobs[i];
		const ps_bc_order *o = &j->o;

		if (!j->have_order)
			continue;
		if (set_entry_fields(
			    env, j->entry, o,
			    o->nshipping_addresses
				    ? o->shipping_addresses[0].shipping_method
				    : NULL) == 0)
			j->fields_done = 1;
		else
			ps_error_clear();
	}
	if (ps_store_commit(env->store) < 0) {
		ps_error_clear();
		ps_store_rollback(env->store);
		for (i = 0; i < b->n; i++)
			b->jobs[i].fields_done = 0;
	}
done:
	ps_bc_order_list_dispose(&l);
	free(ids);
	free(who);
}

/*
 * With payments on, the payments of the orders read and importable: from
 * the order alone where that is exact (pay_from_order), the others'
 * transactions several reads at once.  When that fails prepare_read reads
 * each order's own (and reports its error).
 */
static void
batch_read_txns(batch *b)
{
	ps_bc_transaction_list *l = NULL;
	int64_t *ids = NULL;
	size_t *who = NULL, i, m = 0;
	char why[256];

	if (!b->s.payments_enabled || (l = calloc(b->n, sizeof(*l))) == NULL ||
	    (ids = calloc(b->n, sizeof(*ids))) == NULL ||
	    (who = calloc(b->n, sizeof(*who))) == NULL)
		goto done;
	for (i = 0; i < b->n; i++)
		if (b->active[i] && b->jobs[i].have_order &&
		    ps_oib__importable(&b->s, &b->jobs[i].o, why,
				       sizeof(why))) {
			import_job *j = &b->jobs[i];
			int r = pay_from_order(b->env, &b->s, &j->o, &j->txns);

			if (r > 0) {
				j->have_txns = 1;
				continue;
			}
			if (r < 0)
				ps_error_clear();
			ids[m] = j->bc_id;
			who[m++] = i;
		}
	if (m < 2)
		goto done;
	if (ps_bc_transactions_list_many(l, PS_PAIR_BC(b->env), ids, m) < 0) {
		ps_error_clear();
		goto done;
	}
	for (i = 0; i < m; i++) {
		b->jobs[who[i]].txns = l[i];
		b->jobs[who[i]].have_txns = 1;
	}
done:
	free(l);
	free(ids);
	free(who);
}

/*
 * The taxes of the batch's importable orders, first pages read several at
 * a time, when the tax_code mapping has rows keyed by class id (else
 * nothing is read).  A failure leaves each order to read its own in
 * resolve_tax, where it fails that entry alone.
 */
static void
batch_read_taxes(batch *b)
{
	ps_bc_order_tax_list *l = NULL;
	int64_t *ids = NULL;
	size_t *who = NULL, i, m = 0;
	char why[256];

	if (!tax_classes_mapped(b->env) ||
	    (l = calloc(b->n, sizeof(*l))) == NULL ||
	    (ids = calloc(b->n, sizeof(*ids))) == NULL ||
	    (who = calloc(b->n, sizeof(*who))) == NULL)
		goto done;
	for (i = 0; i < b->n; i++)
		if (b->active[i] && b->jobs[i].have_order &&
		    b->jobs[i].o.nproducts > 0 &&
		    ps_oib__importable(&b->s, &b->jobs[i].o, why,
				       sizeof(why))) {
			ids[m] = b->jobs[i].bc_id;
			who[m++] = i;
		}
	if (m < 2)
		goto done;
	if (ps_bc_order_taxes_list_many(l, PS_PAIR_BC(b->env), ids, m) < 0) {
		ps_error_clear();
		goto done;
	}
	for (i = 0; i < m; i++) {
		b->jobs[who[i]].rb.taxes = l[i];
		b->jobs[who[i]].rb.have_taxes = 1;
	}
done:
	free(l);
	free(ids);
	free(who);
}

/* How often the contact directory is read whole again: the incremental
 * reads miss contacts deleted in Brightpearl (and, rarely, a row that
 * moved between pages while it changed). */
#define DIR_FULL_EVERY_MS (24LL * 3600 * 1000)

/*
 * Bring the contact directory of the account up to date: the contacts
 * Brightpearl changed since the newest one seen, or, the first time and
 * then once every DIR_FULL_EVERY_MS, every contact (the directory is then
 * replaced).  0, or an error: the batch then searches one email at a time.
 */
static int
dir_refresh(batch *b)
{
	ps_flow_env *env = b->env;
	ps_bp_contact_rows rows = {0};
	char stream[200], full_stream[220], *since = NULL, *last = NULL;
	int64_t full_at = -1;
	size_t i;
	int error, full;

	snprintf(stream, sizeof(stream), "bp.contacts.%s", b->s.account);
	snprintf(full_stream, sizeof(full_stream), "%s.full", stream);
	error = ps_store_cursor_get(&since, NULL, env->store, stream);
	if (error == PS_ENOTFOUND) {
		ps_error_clear();
		error = 0;
	}
	if (error == 0 &&
	    (error = ps_store_cursor_get(&last, &full_at, env->store,
					 full_stream)) == PS_ENOTFOUND) {
		ps_error_clear();
		error = 0;
		full_at = -1;
	}
	if (error < 0)
		goto done;
	full = since == NULL || full_at < 0 ||
	       env->now - full_at >= DIR_FULL_EVERY_MS;
	if ((error = ps_bp_contact_changes(&rows, PS_PAIR_BP(env),
					   full ? NULL : since)) < 0)
		goto done;
	if (rows.n == 0 && !full)
		goto done;
	if ((error = ps_store_begin(env->store)) < 0)
		goto done;
	if (full)
		error = ps_store_contact_clear(env->store, b->s.account);
	for (i = 0; i < rows.n && error == 0; i++) {
		const ps_bp_contact_row *r = &rows.items[i];

		/* a contact without an email leaves the directory, and so
		 * does a supplier or staff member: the directory holds the
		 * customers an order may belong to */
		error = ps_store_contact_put(env->store, b->s.account,
					     r->is_customer ? r->email : NULL,
					     r->id, r->first_name, r->last_name,
					     r->telephone);
	}
	if (error == 0 && rows.max_updated_on != NULL)
		error = ps_store_cursor_set(env->store, stream,
					    rows.max_updated_on, env->now);
	if (error == 0 && full)
		error = ps_store_cursor_set(env->store, full_stream, "whole",
					    env->now);
	if (error == 0)
		error = ps_store_commit(env->store);
	if (error < 0)
		ps_store_rollback(env->store);
done:
	if (error == 0 && env->state != NULL)
		((oib_state *)env->state)->dir_at = env->now;
	free(since);
	free(last);
	ps_bp_contact_rows_dispose(&rows);
	return error;
}

/*
 * How long the directory as last read stands in for a read when it holds
 * the customer already.  The read (one contact search) is what tells
 * that an email has no contact yet, so a customer the directory lacks
 * always waits for it: a contact the merchant made in Brightpearl a
 * moment ago is found there, not made twice.  A customer it holds (by
 * the link of a registered customer, else by email) is taken as it is
 * for this long after the last read; what that misses is a change to
 * the contact itself in between (its email moved to another contact,
 * its details edited), which the next read brings, as it would have
 * come just after a read.  Deleted contacts are seen only by the daily
 * whole read in any case (DIR_FULL_EVERY_MS).
 */
#define DIR_TRUST_MS (5LL * 60 * 1000)

/* 1 when the directory, read by this worker within DIR_TRUST_MS, holds
 * the customer of job j already (by link or email): the batch then need
 * not read it again for j. */
static int
dir_knows(batch *b, import_job *j)
{
	const oib_state *st = b->env->state;
	ps_store_contact c = {0};
	int64_t linked = 0;
	int found = 0;

	if (st == NULL || st->dir_at <= 0 || b->s.account == NULL ||
	    b->env->now - st->dir_at >= DIR_TRUST_MS ||
	    b->env->now < st->dir_at)
		return 0;
	if (customer_link_get(&linked, b->env->store, j->o.customer_id) == 0 &&
	    linked > 0 &&
	    ps_store_contact_get(&c, b->env->store, b->s.account, linked) == 0)
		found = 1;
	ps_store_contact_dispose(&c);
	if (!found && j->o.billing_address.email[0] != '\0' &&
	    ps_store_contact_find(&c, b->env->store, b->s.account,
				  j->o.billing_address.email) == 0)
		found = 1;
	ps_store_contact_dispose(&c);
	ps_error_clear();
	return found;
}

/*
 * The customer of job j through its link (see customer_link_get), looked
 * up in the directory, which costs no request: a contact the directory
 * does not hold (deleted, not a customer) leaves the email to decide.
 * 1 when found.
 */
static int
customer_from_link(batch *b, import_job *j)
{
	const ps_bc_address *ba = &j->o.billing_address;
	resolve_buf *rb = &j->rb;
	ps_store_contact c = {0};
	int error;

	if ((error = customer_link_get(&j->linked, b->env->store,
				       j->o.customer_id)) < 0 ||
	    j->linked == 0)
		return error;
	error = ps_store_contact_get(&c, b->env->store, b->s.account,
				     j->linked);
	if (error == PS_ENOTFOUND) {
		ps_log_info("orders",
			    "contact %lld linked to BigCommerce customer %lld "
			    "is not in the contact directory (deleted, or "
			    "not a customer): finding it by email",
			    (long long)j->linked, (long long)j->o.customer_id);
		ps_error_clear();
		return 0;
	}
	if (error < 0)
		return error;
	rb->r.customer_id = c.id;
	snprintf(rb->customer_how, sizeof(rb->customer_how),
		 "contact %lld (BigCommerce customer %lld)", (long long)c.id,
		 (long long)j->o.customer_id);
	rb->r.update_customer = b->s.update_existing &&
				(differs(c.first_name, ba->first_name) ||
				 differs(c.last_name, ba->last_name) ||
				 differs(c.telephone, ba->phone));
	remember_contact(rb, c.first_name, c.last_name, c.telephone);
	email_note(rb, c.email, ba->email);
	how_changed(rb);
	rb->r.customer_how = rb->customer_how;
	ps_store_contact_dispose(&c);
	return 1;
}

/*
 * A registered customer with an earlier order in the batch takes that
 * order's customer (or, when it is still to be created, shares the
 * create): the first order decides, as the link would at the next batch.
 * 1 when settled.
 */
static int
customer_from_batch(batch *b, import_job *j)
{
	size_t i, me = (size_t)(j - b->jobs);

	if (j->o.customer_id <= 0)
		return 0;
	for (i = 0; i < me; i++) {
		const import_job *k = &b->jobs[i];

		if (!b->active[i] || k->adopted ||
		    k->o.customer_id != j->o.customer_id ||
		    (k->rb.r.customer_id <= 0 && !k->need_contact))
			continue;
		j->link_customer = 1;
		j->need_contact = k->need_contact;
		j->rb.r.customer_id = k->rb.r.customer_id;
		snprintf(j->rb.customer_how, sizeof(j->rb.customer_how),
			 "contact %lld (BigCommerce customer %lld, as for "
			 "order %lld)",
			 (long long)k->rb.r.customer_id,
			 (long long)j->o.customer_id, (long long)k->bc_id);
		j->rb.r.update_customer = 0; /* the first order's update */
		j->rb.r.customer_how = j->rb.customer_how;
		return 1;
	}
	return 0;
}

/* The customer of job j: by its link, else from the contact directory by
 * email; j->need_contact when there is none (and
 * bigcommerce.customers.auto_create allows one). */
static int
customer_from_dir(batch *b, import_job *j)
{
	const ps_bc_address *ba = &j->o.billing_address;
	resolve_buf *rb = &j->rb;
	ps_store_contact c = {0};
	int error;

	if ((error = customer_from_link(b, j)) != 0) {
		j->from_dir = error > 0;
		return error < 0 ? error : 0;
	}
	if (customer_from_batch(b, j))
		return 0;
	if (ba->email[0] == '\0')
		return ps_error_set(PS_EDATA,
				    "BigCommerce order %lld has no billing "
				    "email: the Brightpearl customer is found "
				    "by email",
				    (long long)j->bc_id);
	j->link_customer = j->o.customer_id > 0;
	error = ps_store_contact_find(&c, b->env->store, b->s.account,
				      ba->email);
	if (error == 0) {
		j->from_dir = 1;
		rb->r.customer_id = c.id;
		snprintf(rb->customer_how, sizeof(rb->customer_how),
			 "contact %lld found by email %s", (long long)c.id,
			 ba->email);
		rb->r.update_customer =
			b->s.update_existing &&
			(differs(c.first_name, ba->first_name) ||
			 differs(c.last_name, ba->last_name) ||
			 differs(c.telephone, ba->phone));
		remember_contact(rb, c.first_name, c.last_name, c.telephone);
		relink_note(rb, j->o.customer_id, j->linked);
		how_changed(rb);
	} else if (error == PS_ENOTFOUND) {
		ps_error_clear();
		error = 0;
		if (!b->s.auto_create)
			error = ps_error_set(
				PS_EDATA,
				"no Brightpearl customer with "
				"email %s and "
				"bigcommerce.customers.auto_create is off",
				ba->email);
		j->need_contact = 1;
	}
	rb->r.customer_how = rb->customer_how;
	ps_store_contact_dispose(&c);
	return error;
}

/* The contact of owner i whose batched create failed: refused (4xx) is
 * final; otherwise it may exist, so look before the direct create. */
static int
contact_settle(int64_t *out, batch *b, const ps_bp_contact *nc,
	       const ps_bp_batch_result *r)
{
	ps_bp_ids ids = {0};
	int error;

	*out = 0;
	if (r != NULL && r->status >= 400 && r->status < 500)
		return ps_error_set(
			r->error < 0 ? r->error : PS_EDATA,
			"Brightpearl refused the customer %s: %s", nc->email,
			r->message ? r->message : "no reason given");
	if (r != NULL) {
		if ((error = ps_bp_contact_find_email(&ids, PS_PAIR_BP(b->env),
						      nc->email)) < 0)
			return error;
		if (ids.n > 0)
			*out = ids.ids[0];
		ps_bp_ids_dispose(&ids);
		if (*out > 0)
			return 0;
	}
	return contact_create(out, PS_PAIR_BP(b->env), nc);
}

/*
 * Create the new customers of the batch: their postal addresses in one
 * multi-message, then the contacts in one more; orders sharing an email
 * share the contact.  A create that fails falls back to the direct call
 * (after a search when its outcome is unknown); a refused one fails the
 * orders that needed it.
 */
static void
batch_contacts(batch *b)
{
	ps_flow_env *env = b->env;
	size_t n = b->n, i, k;
	size_t *owner = calloc(n, sizeof(*owner));
	size_t *amsg = calloc(n, sizeof(*amsg));
	size_t *cmsg = calloc(n, sizeof(*cmsg));
	ps_bp_contact *nc = calloc(n, sizeof(*nc));
	ps_oib_names *nm = calloc(n, sizeof(*nm));
	int64_t *cid = calloc(n, sizeof(*cid));
	ps_bp_batch *ba = NULL, *bc = NULL;
	int error = 0;

	if (owner == NULL || amsg == NULL || cmsg == NULL || nc == NULL ||
	    nm == NULL || cid == NULL) {
		error = ps_error_set(PS_ENOMEM, "out of memory");
		goto done;
	}
	for (i = 0; i < n; i++) {
		const char *e = b->jobs[i].o.billing_address.email;
		int64_t cust = b->jobs[i].o.customer_id;

		owner[i] = SIZE_MAX;
		amsg[i] = cmsg[i] = SIZE_MAX;
		if (!b->active[i] || !b->jobs[i].need_contact)
			continue;
		owner[i] = i;
		/* one contact per email, and per registered customer */
		for (k = 0; k < i; k++)
			if (owner[k] == k &&
			    (strcasecmp(b->jobs[k].o.billing_address.email,
					e) == 0 ||
			     (cust > 0 && b->jobs[k].o.customer_id == cust))) {
				owner[i] = k;
				break;
			}
	}
	if ((error = ps_bp_batch_new(&ba, PS_PAIR_BP(env))) < 0 ||
	    (error = ps_bp_batch_new(&bc, PS_PAIR_BP(env))) < 0)
		goto done;
	for (i = 0; i < n && error == 0; i++) {
		if (owner[i] != i)
			continue;
		new_contact(&nc[i], &nm[i], &b->jobs[i].o.billing_address,
			    &b->s);
		if (nc[i].address.line1 == NULL)
			continue;
		amsg[i] = ps_bp_batch_count(ba);
		error = ps_bp_batch_address_create(ba, &nc[i].address);
	}
	if (error < 0)
		goto done;
	if (ps_bp_batch_count(ba) > 0 && ps_bp_batch_send(ba) < 0)
		ps_error_clear(); /* per message below */
	for (i = 0; i < n && error == 0; i++) {
		const ps_bp_batch_result *r;
		int64_t aid = 0;

		if (owner[i] != i)
			continue;
		if (amsg[i] != SIZE_MAX) {
			r = ps_bp_batch_result_get(ba, amsg[i]);
			if (r == NULL || r->error < 0 || r->id <= 0)
				continue; /* the direct create below */
			aid = r->id;
		}
		cmsg[i] = ps_bp_batch_count(bc);
		error = ps_bp_batch_contact_create(bc, &nc[i], aid);
	}
	if (error < 0)
		goto done;
	if (ps_bp_batch_count(bc) > 0 && ps_bp_batch_send(bc) < 0)
		ps_error_clear();
	for (i = 0; i < n; i++) {
		const ps_bp_batch_result *r = NULL;

		if (owner[i] != i)
			continue;
		if (cmsg[i] != SIZE_MAX)
			r = ps_bp_batch_result_get(bc, cmsg[i]);
		if (r != NULL && r->error == 0 && r->id > 0) {
			cid[i] = r->id;
			continue;
		}
		ps_error_clear();
		if ((error = contact_settle(&cid[i], b, &nc[i], r)) < 0) {
			char msg[PS_ERROR_MAX];

			snprintf(msg, sizeof(msg), "%s", ps_error_last());
			ps_error_clear();
			for (k = i; k < n; k++)
				if (owner[k] == i)
					job_fail_as(b, k, error, msg);
			error = 0;
		}
	}
	/* the new contacts into the caches, in one transaction */
	if (ps_store_begin(env->store) < 0)
		ps_error_clear();
	for (i = 0; i < n; i++) {
		import_job *j = &b->jobs[i];
		const ps_bc_address *bad = &j->o.billing_address;
		int64_t id;

		if (owner[i] == SIZE_MAX || !b->active[i] ||
		    (id = cid[owner[i]]) <= 0)
			continue;
		j->rb.r.customer_id = id;
		j->need_contact = 0;
		snprintf(j->rb.customer_how, sizeof(j->rb.customer_how),
			 "contact %lld created for %s "
			 "(bigcommerce.customers.auto_create)",
			 (long long)id,
			 b->jobs[owner[i]].o.billing_address.email);
		email_note(&j->rb, b->jobs[owner[i]].o.billing_address.email,
			   bad->email);
		relink_note(&j->rb, j->o.customer_id, j->linked);
		if (owner[i] == i) {
			contact_put(env->state, bad->email, id, bad->first_name,
				    bad->last_name, bad->phone);
			dir_put(env, &b->s, bad, id);
		}
	}
	if (ps_store_in_transaction(env->store) &&
	    ps_store_commit(env->store) < 0) {
		ps_log_warn("orders", "contact directory: %s", ps_error_last());
		ps_error_clear();
		ps_store_rollback(env->store);
	}
done:
	if (error < 0) /* local failure (memory): retried later */
		jobs_fail(b, error, 1);
	ps_bp_batch_free(ba);
	ps_bp_batch_free(bc);
	free(owner);
	free(amsg);
	free(cmsg);
	free(nm);
	free(nc);
	free(cid);
}

/* Link the registered customers found by email or created to their
 * contacts, in one transaction. */
static void
batch_link_customers(batch *b)
{
	ps_flow_env *env = b->env;
	size_t i;
	int open = -1; /* not yet; 0: without a transaction; 1: open */

	for (i = 0; i < b->n; i++) {
		import_job *j = &b->jobs[i];

		if (!b->active[i] || !j->link_customer ||
		    j->rb.r.customer_id <= 0 ||
		    j->rb.r.customer_id == j->linked)
			continue;
		if (open < 0 && (open = ps_store_begin(env->store) == 0) == 0)
			ps_error_clear();
		customer_link_set(env, j->o.customer_id, j->rb.r.customer_id);
	}
	if (open == 1 && ps_store_commit(env->store) < 0) {
		ps_log_warn("orders", "linking customers: %s", ps_error_last());
		ps_error_clear();
		ps_store_rollback(env->store);
	}
}

/*
 * Brightpearl refused the order of job i, whose customer came from the
 * contact directory unread.  The directory sees a deleted contact only at
 * its daily whole read, so a contact deleted since is the one stale
 * answer it gives; when a read of the contact says so, it leaves the
 * directory and the flow's cache, the customer is found again as the
 * direct path finds it (the link read, the email search, a create when
 * there is none) and the order is sent once more.  0 when the order was
 * made (j->bp_id), else < 0 and the caller reports its own refusal.
 */
static int
order_again_if_contact_gone(batch *b, size_t i)
{
	ps_flow_env *env = b->env;
	import_job *j = &b->jobs[i];
	ps_bp_contact_list cl = {0};
	int64_t id = j->rb.r.customer_id;
	int gone, error;

	if (!j->from_dir || id <= 0 || b->s.account == NULL)
		return PS_EDATA;
	if ((error = ps_bp_contact_get(&cl, PS_PAIR_BP(env), &id, 1)) < 0)
		return error;
	gone = cl.n == 0 || cl.items[0].id != id || !cl.items[0].is_customer;
	ps_bp_contact_list_dispose(&cl);
	if (!gone)
		return PS_EDATA;
	ps_log_info("orders",
		    "order %lld: contact %lld is gone from Brightpearl: "
		    "dropped from the contact directory, customer found "
		    "again",
		    (long long)j->bc_id, (long long)id);
	if (ps_store_contact_put(env->store, b->s.account, NULL, id, NULL, NULL,
				 NULL) < 0)
		ps_error_clear();
	contact_forget(env->state, id);
	j->from_dir = 0;
	j->rb.r.customer_id = 0;
	j->rb.r.update_customer = 0;
	j->rb.customer_how[0] = '\0';
	j->rb.contact_email[0] = '\0';
	j->rb.was_known = 0;
	ps_oib__plan_dispose(&j->plan);
	if ((error = resolve_customer(&j->rb, env, &b->s, &j->o, 1)) < 0 ||
	    (error = prepare_plan(env, &b->s, j)) < 0)
		return error;
	return ps_bp_order_create(&j->bp_id, &j->adopted, PS_PAIR_BP(env),
				  &j->plan.order);
}

/*
 * Create the new orders in multi-messages.  A message that fails: an
 * existing order is adopted, a refused one fails its entry, any other
 * goes through the guarded direct create.  Then every order is linked
 * in one transaction.
 */
static void
batch_orders(batch *b)
{
	ps_flow_env *env = b->env;
	ps_bp_batch *bt = NULL;
	size_t *msg = calloc(b->n, sizeof(*msg));
	size_t i, alone = SIZE_MAX, nnew = 0;
	int error;

	if (msg == NULL ||
	    (error = ps_bp_batch_new(&bt, PS_PAIR_BP(env))) < 0) {
		error = ps_error_set(PS_ENOMEM, "out of memory");
		goto fail_all;
	}
	for (i = 0; i < b->n; i++)
		if (b->active[i] && !b->jobs[i].adopted) {
			alone = i;
			nnew++;
		}
	if (nnew == 1) {
		/* one order: the direct create costs the same request and
		 * settles a lost reply itself (ps_bp_order_create) */
		import_job *j = &b->jobs[alone];

		ps_error_clear();
		if ((error = ps_bp_order_create(&j->bp_id, &j->adopted,
						PS_PAIR_BP(env),
						&j->plan.order)) == PS_EDATA &&
		    j->from_dir) {
			char why[PS_ERROR_MAX];
			int again;

			snprintf(why, sizeof(why), "%s", ps_error_last());
			ps_error_clear();
			again = order_again_if_contact_gone(b, alone);
			if (again == 0 || ps_error_last_code() != 0)
				error = again; /* made, or why not */
			else
				ps_error_set(error, "%s", why);
		}
		if (error < 0)
			job_fail(b, alone, error);
	}
	for (i = 0; i < b->n; i++) {
		msg[i] = SIZE_MAX;
		if (nnew == 1 || !b->active[i] || b->jobs[i].adopted)
			continue;
		msg[i] = ps_bp_batch_count(bt);
		if ((error = ps_bp_batch_order_create(
			     bt, &b->jobs[i].plan.order)) < 0)
			goto fail_all;
	}
	if (ps_bp_batch_count(bt) > 0 && ps_bp_batch_send(bt) < 0)
		ps_error_clear(); /* per message below */
	for (i = 0; i < b->n; i++) {
		import_job *j = &b->jobs[i];
		const ps_bp_batch_result *br;

		if (msg[i] == SIZE_MAX)
			continue;
		br = ps_bp_batch_result_get(bt, msg[i]);
		if (br != NULL && br->error == 0 && br->id > 0) {
			j->bp_id = br->id;
			continue;
		}
		/* refused, skipped or unknown: an existing order is
		 * adopted, else the guarded direct create decides */
		ps_error_clear();
		if ((error = find_bp_order(&j->bp_id, env, &b->s, j->bc_id,
					   1)) < 0) {
			job_fail(b, i, error);
			continue;
		}
		if (j->bp_id > 0) {
			j->adopted = 1;
			continue;
		}
		if (br != NULL && br->status >= 400 && br->status < 500) {
			if (j->from_dir &&
			    order_again_if_contact_gone(b, i) == 0)
				continue;
			ps_error_clear();
			error = ps_error_set(
				br->error < 0 ? br->error : PS_EDATA,
				"Brightpearl refused the order: %s",
				br->message ? br->message : "no reason given");
			job_fail(b, i, error);
			continue;
		}
		if ((error = ps_bp_order_create(&j->bp_id, &j->adopted,
						PS_PAIR_BP(env),
						&j->plan.order)) < 0)
			job_fail(b, i, error);
	}
	if (ps_store_begin(env->store) < 0) {
		error = ps_error_last_code();
		goto fail_all;
	}
	for (i = 0; i < b->n; i++)
		if (b->active[i] && (error = link_order(env, b->jobs[i].bc_id,
							b->jobs[i].bp_id)) < 0)
			break;
	if (error < 0 || (error = ps_store_commit(env->store)) < 0) {
		ps_store_rollback(env->store);
		goto fail_all;
	}
	goto done;
fail_all:
	/* a local failure: the imports fail and are retried, each then
	 * looking up its order first */
	jobs_fail(b, error < 0 ? error : PS_ENOMEM, 0);
done:
	ps_bp_batch_free(bt);
	free(msg);
}

/*
 * The row ids of the new orders that reserve stock, in one order read for
 * the batch (id sets).  An order whose rows are not read or do not match
 * keeps row id 0 and reserves through the direct call, which reads again
 * and reports why.
 */
static void
batch_reserve_rows(batch *b)
{
	ps_bp_order_list ol = {0};
	int64_t *ids = calloc(b->n ? b->n : 1, sizeof(*ids));
	size_t i, k, n = 0;

	if (ids == NULL)
		return;
	for (i = 0; i < b->n; i++)
		if (b->active[i] && !b->jobs[i].adopted &&
		    b->jobs[i].plan.nreserve)
			ids[n++] = b->jobs[i].bp_id;
	if (n == 0 || ps_bp_order_get(&ol, PS_PAIR_BP(b->env), ids, n) < 0) {
		ps_error_clear();
		free(ids);
		return;
	}
	for (i = 0; i < b->n; i++) {
		import_job *j = &b->jobs[i];

		if (!b->active[i] || j->adopted || !j->plan.nreserve)
			continue;
		for (k = 0; k < ol.n; k++) {
			if (ol.items[k].id != j->bp_id)
				continue;
			if (ps_oib__reserve_rows(&j->plan, ol.items[k].rows,
						 ol.items[k].nrows) < 0) {
				ps_error_clear();
				j->plan.reserve[0].row_id = 0;
			}
			break;
		}
	}
	ps_bp_order_list_dispose(&ol);
	free(ids);
}

/*
 * The notes, payments and reservations of the new orders, ten messages a
 * request.  An order whose note or payment message failed is completed
 * by the direct calls (which look up what exists); a reservation refused
 * is final as in the direct call, one with an unknown outcome is settled
 * by the direct call.
 */
static void
batch_after(batch *b)
{
	ps_flow_env *env = b->env;
	ps_bp_batch *bt = NULL;
	size_t *msg = calloc(b->n, sizeof(*msg));
	size_t i, k, m;
	int error = 0;

	if (msg == NULL || ps_bp_batch_new(&bt, PS_PAIR_BP(env)) < 0) {
		ps_error_clear();
		goto done; /* the direct calls do it all */
	}
	batch_reserve_rows(b);
	for (i = 0; i < b->n && error == 0; i++) {
		import_job *j = &b->jobs[i];
		ps_oib_plan *p = &j->plan;

		if (!b->active[i] || j->adopted)
			continue;
		msg[i] = ps_bp_batch_count(bt);
		for (k = 0; k < p->nnotes && error == 0; k++)
			error = ps_bp_batch_note_add(bt, j->bp_id, p->notes[k],
						     p->note_public[k]);
		for (k = 0; k < p->npayments && error == 0; k++) {
			p->payments[k].p.order_id = j->bp_id;
			error = ps_bp_batch_payment_create(bt,
							   &p->payments[k].p);
		}
		if (error == 0 && p->nreserve && p->reserve[0].row_id <= 0) {
			/* rows unknown: the direct call reads them */
			j->np_done = 1;
			continue;
		}
		if (error == 0 && p->nreserve)
			error = ps_bp_batch_reservation_create(
				bt, j->bp_id, b->s.warehouse_id, p->reserve,
				p->nreserve);
		if (error == 0)
			j->np_done = 2;
	}
	if (error < 0) {
		/* nothing sent: the direct calls do it all */
		ps_error_clear();
		for (i = 0; i < b->n; i++)
			b->jobs[i].np_done = 0;
		goto done;
	}
	if (ps_bp_batch_count(bt) > 0 && ps_bp_batch_send(bt) < 0)
		ps_error_clear();
	for (i = 0; i < b->n; i++) {
		import_job *j = &b->jobs[i];

		if (!j->np_done)
			continue;
		m = j->plan.nnotes + j->plan.npayments;
		for (k = 0; k < m; k++) {
			const ps_bp_batch_result *br =
				ps_bp_batch_result_get(bt, msg[i] + k);

			if (br == NULL || br->error < 0) {
				/* the direct calls look up what exists */
				j->np_done = 0;
				j->adopted = 1;
				break;
			}
		}
		if (j->np_done == 2 && j->plan.nreserve) {
			const ps_bp_batch_result *br =
				ps_bp_batch_result_get(bt, msg[i] + m);

			if (br == NULL ||
			    (br->error < 0 &&
			     !(br->status >= 400 && br->status < 500)))
				j->np_done = 1;
			else if (br->error < 0) {
				ps_log_warn("orders",
					    "order %lld: reservation not "
					    "made: %s",
					    (long long)j->bp_id,
					    br->message ? br->message : "");
				snprintf(j->warning, sizeof(j->warning),
					 "reservation not made in warehouse "
					 "%lld: %s",
					 (long long)b->s.warehouse_id,
					 br->message ? br->message : "refused");
			}
		}
	}
done:
	ps_bp_batch_free(bt);
	free(msg);
}

/*
 * Up to PS_FLOW_BATCH_MAX entries at once, in stages that each share
 * requests: the orders are read together, the customers come from the
 * contact directory and the new ones are created in two multi-messages
 * (addresses, contacts), the orders in one more per ten, then their
 * notes, payments and reservations ten messages a request.  Local
 * bookkeeping is one transaction per stage.  Every entry keeps its own
 * outcome: a message that fails fails only its entry, and one whose fate
 * is unknown is settled by a lookup and the direct (guarded) call.  Edits
 * go through perform one by one.
 */
static int
oib_perform_batch(ps_flow_env *env, const ps_log_entry *entries, size_t n,
		  ps_flow_result *results, int *codes)
{
	batch b;
	int64_t bc_id;
	size_t i;
	int error, dir_ok, is_import = 0;

	if (n > PS_FLOW_BATCH_MAX || PS_PAIR_BC(env) == NULL ||
	    PS_PAIR_BP(env) == NULL)
		return ps_error_set(PS_EINVAL, "batch not supported here");
	memset(&b, 0, sizeof(b));
	b.env = env;
	b.results = results;
	b.codes = codes;
	b.n = n;
	b.jobs = calloc(n, sizeof(*b.jobs));
	b.active = calloc(n, sizeof(*b.active));
	if (b.jobs == NULL || b.active == NULL) {
		free(b.jobs);
		free(b.active);
		return ps_error_set(PS_ENOMEM, "out of memory");
	}
	if ((error = ps_oib__settings_load(&b.s, env->store)) < 0)
		goto out;
	if (env->state != NULL)
		((oib_state *)env->state)->memo_on = 1;
	/* edits finish here; imports go on */
	for (i = 0; i < n; i++) {
		job_init(&b.jobs[i], &entries[i], 0);
		codes[i] = PS_ESTOPPED;
		if (env->stop != NULL && *env->stop)
			continue;
		ps_error_clear();
		if ((error = entry_order_id(&bc_id, &entries[i], &is_import)) <
		    0) {
			job_fail(&b, i, error);
			continue;
		}
		if (!is_import) {
			error = do_edit(env, &entries[i], bc_id, &results[i]);
			if (error < 0)
				job_fail(&b, i, error);
			else
				codes[i] = 0;
			continue;
		}
		b.jobs[i].bc_id = bc_id;
		b.active[i] = 1;
	}
	/* 1. read the orders, then each import up to its customer */
	batch_read_orders(&b);
	batch_read_txns(&b);
	batch_read_taxes(&b);
	dir_ok = -1;
	for (i = 0; i < n; i++) {
		import_job *j = &b.jobs[i];

		if (!b.active[i])
			continue;
		ps_error_clear();
		if ((error = prepare_read(env, &b.s, j, &results[i])) < 0) {
			job_fail(&b, i, error);
			continue;
		}
		if (j->skipped) {
			codes[i] = 0;
			b.active[i] = 0;
			continue;
		}
		if (j->adopted)
			continue;
		if (dir_ok < 0 && dir_knows(&b, j)) {
			/* read moments ago and holding the customer: no
			 * read for this order (DIR_TRUST_MS) */
			error = customer_from_dir(&b, j);
			if (error < 0)
				job_fail(&b, i, error);
			continue;
		}
		if (dir_ok < 0) {
			/* once, for the first order needing a customer the
			 * directory may not hold yet */
			dir_ok = b.s.account != NULL && dir_refresh(&b) == 0;
			if (!dir_ok && b.s.account != NULL) {
				ps_log_info("orders",
					    "contact directory not refreshed "
					    "(%s): searching by email",
					    ps_error_last());
				ps_error_clear();
			}
		}
		error = dir_ok ? customer_from_dir(&b, j)
			       : resolve_customer(&j->rb, env, &b.s, &j->o, 1);
		if (error < 0)
			job_fail(&b, i, error);
	}
	/* 2. the new customers, and the links of the registered ones */
	batch_contacts(&b);
	batch_link_customers(&b);
	/* 3. the plans */
	for (i = 0; i < n; i++) {
		if (!b.active[i])
			continue;
		ps_error_clear();
		if ((error = prepare_plan(env, &b.s, &b.jobs[i])) < 0)
			job_fail(&b, i, error);
	}
	/* 4. the orders, 5. what follows them */
	batch_orders(&b);
	batch_after(&b);
	/* 6. what the direct calls still have to do, then the results in
	 * one transaction */
	for (i = 0; i < n; i++) {
		if (!b.active[i])
			continue;
		ps_error_clear();
		if ((error = complete_remote(env, &b.s, &b.jobs[i])) < 0)
			job_fail(&b, i, error);
	}
	if (ps_store_begin(env->store) < 0)
		ps_error_clear();
	for (i = 0; i < n; i++) {
		if (!b.active[i])
			continue;
		ps_error_clear();
		if ((error = complete_local(env, &b.jobs[i], &results[i])) < 0)
			job_fail(&b, i, error);
		else
			codes[i] = 0;
	}
	if (ps_store_in_transaction(env->store) &&
	    ps_store_commit(env->store) < 0) {
		/* only the order state is lost: edits compare again */
		ps_log_warn("orders", "recording batch state: %s",
			    ps_error_last());
		ps_error_clear();
		ps_store_rollback(env->store);
	}
	error = 0;
out:
	memo_end(env->state);
	for (i = 0; i < n; i++)
		job_dispose(&b.jobs[i]);
	free(b.jobs);
	free(b.active);
	ps_oib__settings_dispose(&b.s);
	return error;
}

/* ---- preview ------------------------------------------------------------ */

/* Everything one preview reads and plans (reads only). */
typedef struct preview_job {
	ps_bc_order o;
	ps_bc_transaction_list txns;
	ps_oib_settings s;
	resolve_buf rb;
	ps_oib_plan plan;
	int64_t bp_id; /* the Brightpearl order it was imported as, or 0 */
	int skipped;   /* filtered out: why says why */
	char why[256];
} preview_job;

static void
preview_dispose(preview_job *pj)
{
	ps_oib__plan_dispose(&pj->plan);
	resolve_dispose(&pj->rb);
	ps_bc_transaction_list_dispose(&pj->txns);
	ps_bc_order_dispose(&pj->o);
	ps_oib__settings_dispose(&pj->s);
}

/*
 * Read BigCommerce order id and plan its import under the settings in
 * env->store, as the import would (customer and products looked up, the
 * contact to create left as customer 0).  preview_dispose even on failure.
 */
static int
preview_prepare(preview_job *pj, ps_flow_env *env, int64_t id)
{
	int error;

	memset(pj, 0, sizeof(*pj));
	if ((error = ps_oib__settings_load(&pj->s, env->store)) < 0 ||
	    (error = ps_bc_order_get(&pj->o, PS_PAIR_BC(env), id)) < 0)
		return error;
	if (!ps_oib__importable(&pj->s, &pj->o, pj->why, sizeof(pj->why))) {
		pj->skipped = 1;
		return 0;
	}
	if ((error = find_bp_order(&pj->bp_id, env, &pj->s, id, 0)) < 0)
		return error;
	/* the payments as an import takes them: from the order when exact */
	if (pj->s.payments_enabled &&
	    (error = pay_from_order(env, &pj->s, &pj->o, &pj->txns)) == 0)
		error = ps_bc_transactions_list(&pj->txns, PS_PAIR_BC(env), id);
	if (error < 0)
		return error;
	if ((error = resolve_rest(&pj->rb, env, &pj->s, &pj->o, &pj->txns)) <
		    0 ||
	    (error = resolve_customer(&pj->rb, env, &pj->s, &pj->o, 0)) < 0)
		return error;
	return ps_oib__plan_build(&pj->plan, &pj->o, &pj->txns, &pj->s,
				  &pj->rb.r);
}

int
ps_oib__preview(char **out, ps_flow_env *env, int64_t bc_order_id)
{
	preview_job pj;
	char *text = NULL;
	int error;

	*out = NULL;
	error = preview_prepare(&pj, env, bc_order_id);
	if (error == 0 && pj.skipped) {
		size_t n = strlen(pj.why) + 64;

		text = malloc(n);
		if (text)
			snprintf(text, n,
				 "Nothing would be sent: the order is not "
				 "imported (%s).\n",
				 pj.why);
		goto done;
	}
	if (error < 0 || (error = ps_oib__plan_render(&text, &pj.plan)) < 0)
		goto done;
	if (pj.bp_id > 0) {
		size_t n = strlen(text) + 160;
		char *t2 = malloc(n);

		if (t2)
			snprintf(t2, n,
				 "Already imported as Brightpearl order %lld: "
				 "an import would adopt it and create "
				 "nothing.\n\n%s",
				 (long long)pj.bp_id, text);
		free(text);
		text = t2;
	}
done:
	if (error == 0 && text == NULL)
		error = ps_error_set(PS_ENOMEM, "out of memory");
	if (error == 0)
		*out = text;
	else
		free(text);
	preview_dispose(&pj);
	return error;
}

/*
 * The ids Brightpearl assigns while an import runs cannot be known before
 * it: the requests are rendered with these stand-ins, then each is
 * replaced in the text by its placeholder.  Nineteen digits starting
 * 91000000000 are no id, amount or quantity an order carries.
 */
#define WIRE_BASE INT64_C(9100000000000000000)
#define WIRE_ADDRESS (WIRE_BASE + 1)
#define WIRE_CONTACT (WIRE_BASE + 2)
#define WIRE_ORDER (WIRE_BASE + 3)
#define WIRE_ROW (WIRE_BASE + 1000) /* + the row's index */
#define WIRE_ROW_MAX 100000

/* The placeholder of stand-in v into buf, or 0 when v is none. */
static int
wire_placeholder(char *buf, size_t cap, int64_t v)
{
	if (v == WIRE_ADDRESS)
		snprintf(buf, cap, "{address_id}");
	else if (v == WIRE_CONTACT)
		snprintf(buf, cap, "{contact_id}");
	else if (v == WIRE_ORDER)
		snprintf(buf, cap, "{order_id}");
	else if (v >= WIRE_ROW && v < WIRE_ROW + WIRE_ROW_MAX)
		snprintf(buf, cap, "{row_id:%lld}",
			 (long long)(v - WIRE_ROW + 1));
	else
		return 0;
	return 1;
}

/* text with every stand-in replaced by its placeholder (owned), or NULL
 * when out of memory. */
static char *
wire_text(const char *text)
{
	size_t n = strlen(text), i = 0, len = 0;
	char *out = malloc(n * 2 + 1), ph[32];

	if (out == NULL)
		return NULL;
	while (i < n) {
		size_t k = i;
		int64_t v = 0;

		while (k < n && k - i < 20 && isdigit((unsigned char)text[k]))
			k++;
		if (k - i == 19 &&
		    (k == n || !isdigit((unsigned char)text[k])) &&
		    (i == 0 || !isdigit((unsigned char)text[i - 1])) &&
		    strncmp(text + i, "91000000000", 11) == 0) {
			v = (int64_t)strtoll(text + i, NULL, 10);
			if (wire_placeholder(ph, sizeof(ph), v)) {
				memcpy(out + len, ph, strlen(ph));
				len += strlen(ph);
				i = k;
				continue;
			}
		}
		if (k == i)
			k = i + 1;
		memcpy(out + len, text + i, k - i);
		len += k - i;
		i = k;
	}
	out[len] = '\0';
	return out;
}

/* Append request w (disposed of) as {"step","method","path","body"}. */
static int
wire_add(json_t *arr, const char *step, ps_bp_wire *w, int error)
{
	char *path = NULL, *body = NULL;
	json_t *r;

	if (error < 0 || w->method == NULL) {
		ps_bp_wire_dispose(w);
		return error;
	}
	path = wire_text(w->path);
	body = w->body != NULL ? wire_text(w->body) : NULL;
	r = json_pack("{s:s, s:s, s:s?, s:s?}", "step", step, "method",
		      w->method, "path", path, "body", body);
	if (path == NULL || (w->body != NULL && body == NULL) || r == NULL ||
	    json_array_append_new(arr, r) < 0)
		error = ps_error_set(PS_ENOMEM, "out of memory");
	free(path);
	free(body);
	ps_bp_wire_dispose(w);
	return error;
}

/*
 * The requests the import of pj's plan sends, in the order it sends them
 * (see do_import and execute_after), each built by the same connector
 * code as the write itself: the contact (its postal address and create,
 * or the update of a found one), the sales order, its custom fields, its
 * notes, its payments, its reservation.  Ids Brightpearl assigns on the
 * way are placeholders (wire_placeholder).  A found contact whose details
 * were not known is read (as the update reads it).
 */
static int
preview_wire(json_t *arr, ps_flow_env *env, preview_job *pj)
{
	ps_oib_plan *p = &pj->plan;
	ps_bp_wire w;
	ps_bp_order_row *rows = NULL;
	ps_bp_contact_list cl = {0};
	int64_t customer = p->order.customer_id, addr = 0;
	size_t i;
	int error = 0;

	if (p->create_contact) {
		ps_bp_contact nc;
		ps_oib_names nm;

		new_contact(&nc, &nm, &pj->o.billing_address, &pj->s);
		if (nc.address.line1 != NULL) {
			addr = WIRE_ADDRESS;
			error = wire_add(
				arr, "contact address", &w,
				ps_bp_wire_address_create(&w, &nc.address));
		}
		if (error == 0)
			error = wire_add(
				arr, "contact", &w,
				ps_bp_wire_contact_create(&w, &nc, addr));
		customer = WIRE_CONTACT;
	} else if (p->update_contact) {
		ps_bp_contact cu, was;

		contact_update_of(&cu, &was, p, &pj->rb);
		if (!pj->rb.was_known) {
			if ((error = ps_bp_contact_get(&cl, PS_PAIR_BP(env),
						       &customer, 1)) < 0)
				goto done;
			if (cl.n > 0)
				was = cl.items[0];
		}
		error = wire_add(
			arr, "contact update", &w,
			ps_bp_wire_contact_patch(&w, customer, &was, &cu));
	}
	if (error < 0)
		goto done;
	p->order.customer_id = customer;
	error = wire_add(
		arr, "sales order", &w,
		ps_bp_wire_order_create(&w, PS_PAIR_BP(env), &p->order));
	if (error == 0 && p->nfields)
		error = wire_add(arr, "custom fields", &w,
				 ps_bp_wire_fields_set(&w, WIRE_ORDER,
						       p->fields, p->nfields));
	for (i = 0; error == 0 && i < p->nnotes; i++)
		error = wire_add(arr, "note", &w,
				 ps_bp_wire_note_add(&w, WIRE_ORDER,
						     p->notes[i],
						     p->note_public[i]));
	for (i = 0; error == 0 && i < p->npayments; i++) {
		ps_bp_payment pay = p->payments[i].p;

		pay.order_id = WIRE_ORDER;
		error = wire_add(arr, "payment", &w,
				 ps_bp_wire_payment_create(&w, &pay));
	}
	if (error == 0 && p->nreserve) {
		/* Brightpearl numbers the rows in the order they are sent */
		rows = calloc(p->order.nrows + 1, sizeof(*rows));
		if (rows == NULL || p->order.nrows >= WIRE_ROW_MAX) {
			error = ps_error_set(PS_ENOMEM, "out of memory");
			goto done;
		}
		for (i = 0; i < p->order.nrows; i++) {
			rows[i] = p->order.rows[i];
			rows[i].id = WIRE_ROW + (int64_t)i;
		}
		if ((error = ps_oib__reserve_rows(p, rows, p->order.nrows)) < 0)
			goto done;
		error = wire_add(arr, "reservation", &w,
				 ps_bp_wire_reservation_create(
					 &w, WIRE_ORDER, pj->s.warehouse_id,
					 p->reserve, p->nreserve));
	}
done:
	p->order.customer_id = pj->rb.r.customer_id;
	free(rows);
	ps_bp_contact_list_dispose(&cl);
	return error;
}

/* The reasons of the plan's text ("Why:" on), one per line, into arr. */
static int
preview_why(json_t *arr, const ps_oib_plan *p)
{
	char *text = NULL, *line, *save = NULL;
	int error, on = 0;

	if ((error = ps_oib__plan_render(&text, p)) < 0)
		return error;
	for (line = strtok_r(text, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save)) {
		if (!on) {
			on = strncmp(line, "Why:", 4) == 0;
			continue;
		}
		while (*line == ' ')
			line++;
		if (*line != '\0' &&
		    json_array_append_new(arr, json_string(line)) < 0) {
			error = ps_error_set(PS_ENOMEM, "out of memory");
			break;
		}
	}
	free(text);
	return error;
}

int
ps_oib__preview_requests(char **out, ps_flow_env *env, int64_t bc_order_id,
			 unsigned flags)
{
	preview_job pj;
	json_t *doc, *reqs, *why;
	int error;

	*out = NULL;
	doc = json_pack("{s:I, s:n, s:n, s:[], s:[]}", "order",
			(json_int_t)bc_order_id, "imported_as", "skipped",
			"requests", "why");
	if (doc == NULL)
		return ps_error_set(PS_ENOMEM, "out of memory");
	reqs = json_object_get(doc, "requests");
	why = json_object_get(doc, "why");
	if ((error = preview_prepare(&pj, env, bc_order_id)) < 0)
		goto done;
	if (pj.skipped) {
		json_object_set_new(doc, "skipped", json_string(pj.why));
		goto render;
	}
	if (pj.bp_id > 0)
		json_object_set_new(doc, "imported_as",
				    json_integer((json_int_t)pj.bp_id));
	/* an imported order is adopted and nothing is sent; the requests
	 * of a new import are shown only when asked for */
	if (pj.bp_id == 0 || (flags & PS_FLOW_PREVIEW_AS_NEW))
		error = preview_wire(reqs, env, &pj);
	if (error == 0)
		error = preview_why(why, &pj.plan);
render:
	if (error == 0 &&
	    (*out = json_dumps(doc, JSON_INDENT(2) | JSON_ENSURE_ASCII)) ==
		    NULL)
		error = ps_error_set(PS_ENOMEM, "out of memory");
done:
	json_decref(doc);
	preview_dispose(&pj);
	return error;
}

/* ---- replay ------------------------------------------------------------- */

/*
 * The edits of imported order o the poll would record (same keys): a
 * status other than the one last seen (unless pearlsync set it), notes
 * that changed.  Address edits need the order's shipping addresses,
 * which the window's listing does not read: the poll takes them.  An
 * order with no stored state yet is left to the poll, which takes it as
 * the baseline.
 */
static int
replay_edits(ps_flow_env *env, struct ps_replay *r, const ps_bc_order *o)
{
	ps_log_entry e;
	order_state prev;
	char oid[24], key[96];
	int error;

	if (o->date_created <= 0 || state_load(&prev, env->store, o->id) < 0) {
		ps_error_clear();
		return 0;
	}
	snprintf(oid, sizeof(oid), "%lld", (long long)o->id);
	ps_log_entry_init(&e);
	e.flow = (char *)FLOW;
	e.dedupe_key = key;
	e.subject = oid;
	e.order_number = oid;
	e.source_platform = PS_PLATFORM_BIGCOMMERCE;
	e.source_id = oid;
	e.target_platform = PS_PLATFORM_BRIGHTPEARL;
	if (prev.status >= 0 && prev.status != o->status_id) {
		error = ps_store_written_int_is(
			env->store, PS_PLATFORM_BIGCOMMERCE, "order", o->id,
			"status", o->status_id);
		if (error < 0)
			return error;
		snprintf(key, sizeof(key), "bc:order:%s:status:%d", oid,
			 o->status_id);
		e.kind = (char *)PS_PAIR_KIND_ORDER_STATUS;
		if (error == 0 && (error = ps_replay_queue(r, "order status",
							   oid, &e, 0)) < 0)
			return error;
	}
	if (prev.notes == notes_hash(o))
		return 0;
	/* a field that holds pearlsync's own last write (a Brightpearl note
	 * copied over by notes_bc) is no merchant's edit: performing the
	 * entry would find nothing to do */
	if ((error = ps_store_written_is(env->store, PS_PLATFORM_BIGCOMMERCE,
					 "order", oid, "staff_notes",
					 o->staff_notes)) == 0)
		error = ps_store_written_is(env->store, PS_PLATFORM_BIGCOMMERCE,
					    "order", oid, "customer_message",
					    o->customer_message);
	if (error < 0)
		return error;
	if (error == 1)
		return ps_replay_report(r, "order notes", oid,
					PS_REPLAY_SKIPPED, 0,
					"the notes hold pearlsync's own copy "
					"of a Brightpearl note");
	snprintf(key, sizeof(key), "bc:order:%s:notes:%08" PRIx32, oid,
		 notes_hash(o));
	e.kind = (char *)PS_PAIR_KIND_ORDER_NOTES;
	return ps_replay_queue(r, "order notes", oid, &e, 0);
}

/*
 * One order of the replay window: synced when the cross-reference or a
 * Brightpearl order carrying its externalRef exists (the lookup an
 * interrupted import makes; the cross-reference is then recorded), skipped
 * when the import's filters leave it out, else its import entry (the key
 * the webhook and the poll use) is queued or re-opened.
 */
static int
replay_order(ps_flow_env *env, struct ps_replay *r, const ps_oib_settings *s,
	     const ps_bc_order *o)
{
	ps_log_entry e;
	char oid[24], key[64], ext[96], why[256], *xr = NULL;
	int64_t bp_id = 0;
	int error;

	snprintf(oid, sizeof(oid), "%lld", (long long)o->id);
	error = ps_store_xref_get(&xr, env->store, "order",
				  PS_PLATFORM_BIGCOMMERCE, oid,
				  PS_PLATFORM_BRIGHTPEARL);
	if (error == 0) {
		error = ps_replay_report(r, "order", oid, PS_REPLAY_SYNCED, 0,
					 "Brightpearl order %s", xr);
		free(xr);
		return error < 0 ? error : replay_edits(env, r, o);
	}
	if (error != PS_ENOTFOUND)
		return error;
	ps_error_clear();
	if (o->date_created > 0 && !ps_oib__importable(s, o, why, sizeof(why)))
		return ps_replay_report(r, "order", oid, PS_REPLAY_SKIPPED, 0,
					"%s", why);
	snprintf(ext, sizeof(ext), "%s%s",
		 s->reference_prefix ? s->reference_prefix : "", oid);
	error = ps_bp_order_find_external(&bp_id, PS_PAIR_BP(env), ext);
	if (error == PS_ENOTFOUND) {
		ps_error_clear();
		bp_id = 0;
	} else if (error < 0) {
		return error;
	}
	if (bp_id > 0) {
		if (!ps_replay_dry_run(r) &&
		    (error = link_order(env, o->id, bp_id)) < 0)
			return error;
		return ps_replay_report(r, "order", oid, PS_REPLAY_SYNCED, 0,
					"Brightpearl order %lld (found by "
					"externalRef %s)",
					(long long)bp_id, ext);
	}
	snprintf(key, sizeof(key), "bc:order:%s:import", oid);
	ps_log_entry_init(&e);
	e.flow = (char *)FLOW;
	e.dedupe_key = key;
	e.kind = (char *)PS_PAIR_KIND_ORDER_IMPORT;
	e.subject = oid;
	e.order_number = oid;
	e.source_platform = PS_PLATFORM_BIGCOMMERCE;
	e.source_id = oid;
	e.target_platform = PS_PLATFORM_BRIGHTPEARL;
	return ps_replay_queue(r, "order", oid, &e, PS_REPLAY_REOPEN_SKIPPED);
}

/*
 * replay slot: the BigCommerce orders created or modified in the window
 * (one listing from the window's start, by date modified: an order
 * created in the window and changed since is listed too).  An order that
 * could not be read gets its import entry as in the poll, which fails
 * naming the reason.
 */
static int
oib_replay(ps_flow_env *env, struct ps_replay *r)
{
	ps_bc_order_query q = PS_BC_ORDER_QUERY_INIT;
	ps_bc_order_list l = {0};
	ps_oib_settings s;
	ps_bc_order bad;
	size_t i;
	int error;

	if (PS_PAIR_BC(env) == NULL || PS_PAIR_BP(env) == NULL)
		return ps_error_set(PS_ESETTING,
				    "replay needs both BigCommerce and "
				    "Brightpearl connected");
	if ((error = ps_oib__settings_load(&s, env->store)) < 0)
		return error;
	q.min_date_modified = ps_replay_since(r) / 1000;
	q.skip_bad = 1;
	if ((error = ps_bc_orders_list(&l, PS_PAIR_BC(env), &q)) < 0)
		goto done;
	for (i = 0; i < l.count && error == 0; i++) {
		const ps_bc_order *o = &l.items[i];

		if (!ps_replay_in_window(r, o->date_created * 1000) &&
		    !ps_replay_in_window(r, o->date_modified * 1000))
			continue;
		error = replay_order(env, r, &s, o);
	}
	memset(&bad, 0, sizeof(bad));
	for (i = 0; i < l.nbad && error == 0; i++) {
		if (l.bad[i].id <= 0)
			continue;
		bad.id = l.bad[i].id; /* no date: the filters cannot judge */
		error = replay_order(env, r, &s, &bad);
	}
done:
	ps_bc_order_list_dispose(&l);
	ps_oib__settings_dispose(&s);
	return error;
}

/* A slot's source id: a BigCommerce order id (BigCommerce's are int32). */
static int
source_order_id(int64_t *out, const char *source_id)
{
	if (parse_id(out, source_id) < 0 || *out > 0x7fffffff)
		return ps_error_set(PS_EINVAL,
				    "'%s' is not a BigCommerce "
				    "order id",
				    source_id ? source_id : "");
	return 0;
}

/* preview slot: the source id is the BigCommerce order id. */
static int
oib_preview(char **out, ps_flow_env *env, const char *source_id)
{
	int64_t id = 0;
	int error;

	*out = NULL;
	if ((error = source_order_id(&id, source_id)) < 0)
		return error;
	return ps_oib__preview(out, env, id);
}

/* preview_requests slot: the same id. */
static int
oib_preview_requests(char **out, ps_flow_env *env, const char *source_id,
		     unsigned flags)
{
	int64_t id = 0;
	int error;

	*out = NULL;
	if ((error = source_order_id(&id, source_id)) < 0)
		return error;
	return ps_oib__preview_requests(out, env, id, flags);
}

const ps_flow_ops ps_flow_order_import_bc = {
	.name = "order_import_bc",
	.alias = "orders",
	.description = "BigCommerce orders into Brightpearl sales orders",
	.source = PS_PLATFORM_BIGCOMMERCE,
	.target = PS_PLATFORM_BRIGHTPEARL,
	.priority = PS_FLOW_PRIORITY_FIRST,
	.enabled_setting = PS_SET_BC_ORDERS_ENABLED,
	.owns = oib_owns,
	.nowns = PS__ARRAY_LEN(oib_owns),
	.init = oib_init,
	.fini = oib_fini,
	.on_event = oib_on_event,
	.poll = oib_poll,
	.poll_interval_ms = 0,
	.perform = oib_perform,
	.perform_batch = oib_perform_batch,
	.preview = oib_preview,
	.preview_requests = oib_preview_requests,
	.preview_kind = PS_PAIR_KIND_ORDER_IMPORT,
	.preview_noun = "order",
	.preview_help = "ID is a BigCommerce order id.  Prints the "
			"Brightpearl requests its import would send "
			"(contact, sales order with every row, custom "
			"fields, notes, payments, reservation); customers "
			"and products are looked up in Brightpearl.",
	.replay = oib_replay,
	.replay_help = "the BigCommerce orders created or modified in the "
		       "window; those not in Brightpearl (no cross-reference, "
		       "no order with their externalRef) get their import "
		       "queued, filtered ones are listed as skipped, and an "
		       "imported one whose status or notes changed unseen "
		       "gets that edit queued.",
};
