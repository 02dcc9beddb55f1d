/*
 * order_import_int.h - the parts of the BigCommerce order import shared by
 * the flow (order_import_bc.c), its plan (order_import_bc_plan.c), the
 * `pearlsync preview order` command and the unit tests.
 *
 * The import is split in three steps so that the middle one is pure:
 *
 *   settings + resolve   read the operator's settings and mappings and look
 *                        up the customer and products (store, caches,
 *                        Brightpearl reads; never a write in preview mode)
 *   plan                 BigCommerce order + settings + what was resolved
 *                        -> the Brightpearl requests, with the reason for
 *                        every choice (no I/O at all)
 *   execute              send the plan (the flow only)
 *
 * Names here are ps_oib__*: private to the core and its command line.
 */
#ifndef PEARLSYNC_ORDER_IMPORT_BC_H
#define PEARLSYNC_ORDER_IMPORT_BC_H

#include <stddef.h>
#include <stdint.h>

#include "pearlsync/bigcommerce.h"
#include "pearlsync/brightpearl.h"
#include "flows/bigcommerce/pair_int.h"
#include "pearlsync/flow.h"
#include "pearlsync/money.h"
#include "pearlsync/store.h"

/* The flow itself (listed in the registry). */
extern const ps_flow_ops ps_flow_order_import_bc;

/* The settings the import reads, with their defaults applied. */
typedef struct ps_oib_settings {
	char *import_statuses; /* id list, "11" by default */
	int import_guests;
	char *reference_prefix; /* NULL: none */
	int64_t channel_id;     /* 0: unset (required) */
	int64_t warehouse_id;   /* 0: unset (required) */
	int64_t project_id, lead_source_id, price_list_id;
	int64_t default_status_id;                  /* 0: unset */
	char *nominal_code, *shipping_nominal_code; /* NULL: product default */
	char *tax_code; /* bigcommerce.defaults.tax_code; NULL: unset */
	ps_bp_identity match_field;
	int auto_create, update_existing;
	char *customer_message_field, *staff_notes_field; /* NULL: a note */
	int payments_enabled, captured_only;
	int64_t instance_id; /* installedIntegrationInstanceId or 0 */
	int64_t start_date;  /* unix seconds (bigcommerce.orders.start_date) */
	char *account;       /* brightpearl.account: keys the contact
				directory; NULL when unset */
} ps_oib_settings;

/*
 * ps_oib__settings_load - read every setting above from st.  Missing
 * optional values become 0/NULL; a missing required one is left 0 and
 * reported by the plan.  ps_oib__settings_dispose frees the strings.
 */
int ps_oib__settings_load(ps_oib_settings *out, ps_store *st);
void ps_oib__settings_dispose(ps_oib_settings *s);

/*
 * ps_oib__importable - 1 if the order passes the filters (status in
 * bigcommerce.orders.import_statuses, guests allowed, not deleted, created at
 * or after bigcommerce.orders.start_date), else 0 with the reason in why (cap
 * bytes).
 */
int ps_oib__importable(const ps_oib_settings *s, const ps_bc_order *o,
		       char *why, size_t cap);

/* What the resolve step found, borrowed by the plan. */
typedef struct ps_oib_resolved {
	int64_t customer_id;      /* 0: the plan creates the contact */
	int update_customer;      /* the plan updates the contact's details */
	const char *customer_how; /* "contact 201 found by email ..." */
	int64_t status_id;        /* 0: unmapped and no default */
	const char *status_how;
	int64_t shipping_method_id; /* 0: none mapped */
	const char *shipping_how;
	/* per order product (o->nproducts): 0 = unknown product */
	const int64_t *product_ids;
	const char *const *product_how;
	/* per transaction (txns->count): NULL = no mapping and no default */
	const char *const *payment_codes;
	const char *const *payment_how;
	/* why there are no transactions to record when that is not "none
	 * on the order" (NULL) */
	const char *payments_note;
	/*
	 * Brightpearl tax codes from the mapping tax_code bc>bp, by key;
	 * NULL where unmapped (see ps_oib__plan_build for the order they
	 * are tried in).
	 */
	const char *tax_zero_rated;    /* "zero_rated": lines with no tax */
	const char *tax_shipping;      /* "shipping" */
	const char *tax_handling;      /* "handling" */
	const char *tax_gift_wrapping; /* "gift_wrapping" */
	const char *tax_discount;      /* "discount": discounts, rounding */
	/* per order product: the code mapped from the line's BigCommerce
	 * tax class id (the key is the id); NULL array or entry: unknown */
	const char *const *product_tax_codes;
	/* per order product: the line's BigCommerce tax class id, -1 when
	 * unknown; NULL: the order's taxes were not read */
	const int64_t *product_tax_classes;
	/* the codes mapped from the fees' BigCommerce tax classes (the
	 * order's shipping/handling/wrapping_cost_tax_class_id), tried
	 * before the fee's own key; NULL where unmapped */
	const char *tax_shipping_class;
	const char *tax_handling_class;
	const char *tax_gift_wrapping_class;
} ps_oib_resolved;

/* One payment the plan records, with its own storage for strings. */
typedef struct ps_oib_payment {
	ps_bp_payment p;
	char ref[48];  /* transaction_ref */
	char date[32]; /* payment_date */
	char expiry[32];
	char amount[PS_MONEY_STR_MAX];
} ps_oib_payment;

/* The requests one import sends, and why. */
/*
 * The Brightpearl billing and delivery addresses of a BigCommerce order,
 * field for field: name (first and last), company, street 1 and 2, city,
 * state, zip, country (BigCommerce's ISO alpha-2 code as the alpha-3 code
 * Brightpearl takes), phone and email.  Billing from the
 * billing address; delivery from the first shipping address (the billing
 * address when there is none).  Empty fields are NULL.  Strings borrow
 * from the order and from the name buffers here, so the struct is not
 * copied.
 */
typedef struct ps_oib_addresses {
	ps_bp_address billing;
	ps_bp_address delivery;
	char billing_name[160];
	char delivery_name[160];
} ps_oib_addresses;

/*
 * ps_oib__addresses - fill *out from order o (see ps_oib_addresses).
 * PS_EDATA naming the code when a country code is not an ISO 3166-1
 * one; *out is then still safe to read (fields may be NULL).
 */
int ps_oib__addresses(ps_oib_addresses *out, const ps_bc_order *o);

/*
 * Brightpearl's limit on a contact's first and last name: "Max length 32
 * chars" (https://api-docs.brightpearl.com/contact/contact/post.html).
 * Longer names are cut to it (whole UTF-8 characters) and the plan keeps
 * the full name in a private order note.
 */
/* The transactionRef of a payment taken from the order's own fields
 * (ps_bc_order_payment), by BigCommerce order id; one read from the
 * transactions is "bc-txn-<transaction id>". */
#define PS_OIB_ORDER_PAY_REF "bc-ord-%lld"

#define PS_OIB_NAME_MAX 32

/* A contact's first and last name as Brightpearl takes them. */
typedef struct ps_oib_names {
	const char *first, *last; /* NULL when empty; may point below */
	char first_buf[PS_OIB_NAME_MAX * 4 + 1];
	char last_buf[PS_OIB_NAME_MAX * 4 + 1];
	int cut; /* 1: one of them was cut */
} ps_oib_names;

/* ps_oib__names - the names of billing address ba cut to PS_OIB_NAME_MAX
 * characters (whole UTF-8 characters).  *out is not copied. */
void ps_oib__names(ps_oib_names *out, const ps_bc_address *ba);

typedef struct ps_oib_plan {
	ps_bp_order order;          /* strings borrowed from the inputs and
				       from this plan */
	ps_oib_addresses addresses; /* order.billing and delivery */
	ps_bp_order_row *rows;      /* owned */
	size_t nrows;
	char (*row_refs)[24]; /* owned: external refs of product rows */
	char external_ref[64];
	char ref[64];
	char placed_on[32];
	char shipping_row_name[160];
	char discount_row_name[160];
	int create_contact, update_contact;
	ps_bp_contact contact; /* borrowed strings from the BC order */
	ps_oib_names names;    /* the contact's names, cut to the limit */
	int name_cut; /* 1: a name was cut; the full one is in a note */
	ps_oib_payment *payments; /* owned */
	size_t npayments;
	ps_bp_field_value fields[2];
	size_t nfields;
	char *notes[3]; /* owned note texts */
	int note_public[3];
	size_t nnotes;
	ps_bp_reservation_line *reserve; /* owned; row ids 0 until
					  * ps_oib__reserve_rows */
	size_t nreserve;
	ps_money total, total_net, total_tax;
	char currency[8];
	char *why; /* owned: one line per decision */
	size_t why_len, why_cap;
} ps_oib_plan;

/*
 * ps_oib__plan_build - the pure mapping: BigCommerce order o (with its
 * products and shipping addresses), its transactions (may be NULL),
 * settings s and what resolve found -> *out (initialised by the call;
 * dispose with ps_oib__plan_dispose even on failure).  Fails with
 * PS_ESETTING "waiting for setting bigcommerce.defaults.warehouse_id" (or
 * bigcommerce.defaults.channel_id), PS_EMAPPING naming an unmapped status or
 * payment method or a row whose tax code cannot be decided, PS_EDATA
 * naming an unknown SKU.
 *
 * Every row gets a Brightpearl tax code.  A fee (shipping, handling,
 * gift wrapping) takes the first of: the tax_code mapping of its
 * BigCommerce tax class, its own key ("shipping", "handling",
 * "gift_wrapping"), "zero_rated" when it carries no tax,
 * bigcommerce.defaults.tax_code.  A product line: "zero_rated" when it
 * carries no tax, the mapping of its tax class, the default.  The
 * discount row: "discount", "zero_rated" when no tax, the default.  A
 * row none of them covers fails the plan naming the row and the
 * mappings that would decide it.  The plan's rows add up to
 * the BigCommerce total to the cent.
 */
int ps_oib__plan_build(ps_oib_plan *out, const ps_bc_order *o,
		       const ps_bc_transaction_list *txns,
		       const ps_oib_settings *s, const ps_oib_resolved *r);
void ps_oib__plan_dispose(ps_oib_plan *p);

/*
 * ps_oib__reserve_rows - give each reservation line of p the id of the
 * Brightpearl order row it reserves for: rows (n of them) are the order's
 * rows as read back; the n-th line of a product takes that product's n-th
 * row by row id.  PS_EDATA when a line has no row left.
 */
int ps_oib__reserve_rows(ps_oib_plan *p, const ps_bp_order_row *rows, size_t n);

/*
 * ps_oib__plan_render - the requests of p as text, one block per request
 * (method, path, fields), then the reasons.  *out owned by the caller.
 */
int ps_oib__plan_render(char **out, const ps_oib_plan *p);

/* ps_oib__plan_summary - one line for the log detail (owned). */
int ps_oib__plan_summary(char **out, const ps_oib_plan *p);

/*
 * ps_oib__preview - fetch BigCommerce order id and print to *out (owned)
 * what an import would send, resolving customer and products with reads
 * only.  Writes nothing to either platform or to st.
 */
int ps_oib__preview(char **out, ps_flow_env *env, int64_t bc_order_id);

/*
 * ps_oib__preview_requests - fetch BigCommerce order id and print to *out
 * (owned) as one JSON document the exact requests its import would send
 * under the settings in env->store: {"order", "imported_as" (the
 * Brightpearl order or null), "skipped" (why the order is not imported,
 * or null), "requests": [{"step", "method", "path", "body"}], "why":
 * [...]}.  "body" holds the body's exact bytes, with the ids Brightpearl
 * assigns during the import as placeholders: {address_id}, {contact_id},
 * {order_id}, {row_id:N} (the N-th row of the sales order create).  An
 * imported order sends nothing ("requests" empty) unless flags has
 * PS_FLOW_PREVIEW_AS_NEW.  Reads only.
 */
int ps_oib__preview_requests(char **out, ps_flow_env *env, int64_t bc_order_id,
			     unsigned flags);

#endif
