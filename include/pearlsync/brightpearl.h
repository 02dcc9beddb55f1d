/*
 * brightpearl.h - the Brightpearl connector: typed operations on one
 * Brightpearl account over the HTTP client.
 *
 * Flows call these functions with plain C structs and get plain C structs
 * back; no JSON crosses this header.  The connector owns the wire rules:
 * the URL prefix {base}/public-api/{account}, the auth headers, the
 * {"response": ...} / {"errors": [...]} envelope and string-bodied errors,
 * id sets chunked to the server's cap, search paging until every row is
 * read, objects keyed by id, the sales-order duplicate guard and the
 * multi-message API for batching writes.
 *
 * Strings in structs are `const char *`.  In structs a caller fills in
 * (order create, contact create, ...) they are borrowed for the call.  In
 * structs filled by the connector (get, search, list) they are owned by the
 * containing list and released by its _dispose function.  Money is
 * ps_money (ten-thousandths), never floating point.
 *
 * Creates whose outcome is unknown (the connection dropped after the
 * request went out, a cut or garbled reply, a 5xx after the retry budget)
 * are resolved here: the connector looks for what it tried to create (by
 * the key each function names) and returns it when found, or sends again
 * when not, a few times.  So a create returns one object or an error,
 * never a silent duplicate.
 *
 * Errors: 0 on success or a negative PS_E* code with an operator-readable
 * detail in ps_error_last():
 *   PS_EAUTH       the credentials were refused (401/403);
 *   PS_ENOTFOUND   a single object asked for does not exist;
 *   PS_EDATA       Brightpearl refused the request (4xx with its error
 *                  codes and messages in the detail) or sent a reply
 *                  missing a field;
 *   PS_EREMOTE, PS_ERATELIMIT, PS_ENET, PS_ETIMEOUT, PS_ETLS: from the
 *                  HTTP client after its retry budget (see http.h);
 *   PS_EPARSE      the reply was not JSON;  PS_ENOMEM.
 * A ps_bp is used by one thread at a time (like its ps_http).
 */
#ifndef PEARLSYNC_BRIGHTPEARL_H
#define PEARLSYNC_BRIGHTPEARL_H

#include <stddef.h>
#include <stdint.h>

#include "pearlsync/common.h"
#include "pearlsync/http.h"
#include "pearlsync/money.h"

/* How the connector authenticates. */
typedef enum ps_bp_auth {
	/* private app: brightpearl-app-ref + brightpearl-account-token */
	PS_BP_AUTH_PRIVATE = 0,
	/*
	 * OAuth instance app: Authorization: Bearer + brightpearl-app-ref +
	 * brightpearl-dev-ref; the access token is refreshed with the
	 * refresh token before it expires and on a 401.
	 */
	PS_BP_AUTH_OAUTH = 1,
	/* staff-token app: brightpearl-app-ref + brightpearl-staff-token */
	PS_BP_AUTH_STAFF = 2
} ps_bp_auth;

/*
 * The transport: ps_http_send by default.  Tests may substitute a function
 * with the same contract to script replies and record requests.
 */
typedef int (*ps_bp_send_fn)(void *ctx, ps_http_response *out,
			     const ps_http_request *req);

/* An OAuth token set, as the token endpoint granted it. */
typedef struct ps_bp_tokens {
	const char *access_token;
	const char *refresh_token;
	int64_t expires_at; /* Unix seconds; 0 = unknown */
} ps_bp_tokens;

/*
 * Keeps a newly granted token set durably (all three values in one
 * transaction) and returns 0, or a negative PS_E* code: then the connector
 * does not use the new access token and calls again before its next
 * request.  Brightpearl rotates the refresh token on every refresh, so the
 * set handed here is the only copy of a usable refresh token.
 */
typedef int (*ps_bp_tokens_save_fn)(void *ctx, const ps_bp_tokens *tokens);

/* The clock for token expiry: Unix seconds.  NULL: time(). */
typedef int64_t (*ps_bp_now_fn)(void *ctx);

typedef struct ps_bp_options {
	const char *base_url; /* "https://use1.brightpearlconnect.com" or the
				 sandbox "http://127.0.0.1:PORT/brightpearl";
				 no trailing "/public-api" */
	const char *account;  /* account code, e.g. "acme" */
	ps_bp_auth auth;
	const char *app_ref; /* brightpearl-app-ref */
	const char *token;   /* account token, staff token or OAuth access
				token */
	const char *dev_ref; /* brightpearl-dev-ref (required for OAuth) */
	int64_t instance_id; /* installedIntegrationInstanceId, 0 if none */
	int idset_max;       /* ids per multi-id GET (1..200) */
	int page_size;       /* rows per search page (1..500) */
	ps_bp_send_fn send;  /* NULL: ps_http_send */
	void *send_ctx;      /* passed to send (NULL: the ps_http) */
	/* OAuth only */
	const char *refresh_token; /* NULL: no refresh, a 401 is final */
	int64_t expires_at;        /* access token expiry, Unix s; 0 unknown */
	const char *client_id;     /* NULL: the app ref (the integration ref) */
	const char *client_secret; /* confidential OAuth only, else NULL */
	const char *token_url;     /* NULL: {base_url}/oauth/token */
	ps_bp_tokens_save_fn save; /* required with a refresh token */
	void *save_ctx;
	ps_bp_now_fn now; /* NULL: time() */
	void *now_ctx;
} ps_bp_options;

#define PS_BP_OPTIONS_INIT                                                     \
	{                                                                      \
		NULL, NULL, PS_BP_AUTH_PRIVATE, NULL, NULL, NULL, 0, 200, 500, \
			NULL, NULL, NULL, 0, NULL, NULL, NULL, NULL, NULL,     \
			NULL, NULL                                             \
	}

/* Seconds before expiry at which the access token is refreshed. */
#define PS_BP_REFRESH_MARGIN_S 120

typedef struct ps_bp ps_bp;

/*
 * ps_bp_new - a connector for one account over http (borrowed: it must
 * outlive the ps_bp; may be NULL only when opts->send is set).  Strings in
 * opts are copied; the tokens are registered with ps_log_add_secret so
 * they never reach a log line.  Returns 0, PS_ESETTING (base URL, account,
 * app ref or token missing, an OAuth app without its dev ref, a refresh
 * token without a save function; the detail names it) or PS_ENOMEM; *out
 * is NULL on failure.
 */
int ps_bp_new(ps_bp **out, ps_http *http, const ps_bp_options *opts);

/* ps_bp_free - release bp; NULL is fine. */
void ps_bp_free(ps_bp *bp);

/*
 * ps_bp_refresh - OAuth: trade the refresh token for a new token set now,
 * save it (the save function of the options) and only then use it.  The
 * connector calls this itself before the access token expires and on a
 * 401; exposed for the connection check and tests.  PS_EAUTH when the
 * token endpoint refuses the refresh token (the app must be authorised
 * again), PS_ESETTING without a refresh token or outside OAuth, the save
 * function's code when it fails.
 */
int ps_bp_refresh(ps_bp *bp);

/* ps_bp_account - the account code (borrowed from bp). */
const char *ps_bp_account(const ps_bp *bp);

/*
 * ps_bp_check_connection - one cheap authenticated call.  On success
 * *out_name (owned) is the account's name when Brightpearl reports one,
 * else its code.  PS_EAUTH when the credentials are refused; network codes
 * when unreachable.
 */
int ps_bp_check_connection(char **out_name, ps_bp *bp);

/* ---- shared shapes ------------------------------------------------------ */

/* An id list owned by the caller after a search. */
typedef struct ps_bp_ids {
	int64_t *ids; /* owned */
	size_t n;
} ps_bp_ids;

/* ps_bp_ids_dispose - free ids->ids and zero it; NULL is fine. */
void ps_bp_ids_dispose(ps_bp_ids *ids);

/* A postal address.  Empty fields are NULL. */
typedef struct ps_bp_address {
	const char *full_name;
	const char *company;
	const char *line1; /* street */
	const char *line2; /* suburb */
	const char *line3; /* city */
	const char *line4; /* state */
	const char *postal_code;
	const char *country_iso; /* ISO 3166 alpha-2 or alpha-3 */
	const char *telephone;
	const char *mobile;
	const char *email;
} ps_bp_address;

/*
 * ps_bp_country_iso3 - the ISO 3166-1 alpha-3 code Brightpearl takes as an
 * address's countryIsoCode for code, an alpha-2 ("GB" -> "GBR") or alpha-3
 * code in any case; NULL for NULL or a code ISO 3166-1 does not assign.
 * The result is static.  ps_bp_country_count - how many codes the table
 * holds (every assigned ISO 3166-1 country).
 */
const char *ps_bp_country_iso3(const char *code);
size_t ps_bp_country_count(void);

/* ---- orders ------------------------------------------------------------- */

typedef struct ps_bp_order_row {
	int64_t id;               /* out: row id */
	int64_t product_id;       /* 0: a free-text row described by name */
	const char *name;         /* product name or row description */
	const char *sku;          /* out only */
	int64_t quantity;         /* whole units */
	ps_money net;             /* row net value (not per unit) */
	ps_money tax;             /* row tax value */
	const char *tax_code;     /* e.g. "T"; NULL: the product's default */
	const char *nominal_code; /* NULL: the product's default */
	const char *external_ref; /* e.g. the platform line id; out: NULL
				   * when the GET does not carry it */
} ps_bp_order_row;

typedef struct ps_bp_order {
	int64_t id;             /* out */
	int64_t customer_id;    /* in: required */
	ps_bp_address customer; /* in: optional override; out: as stored */
	ps_bp_address billing;
	ps_bp_address delivery;
	int64_t shipping_method_id;
	const char *delivery_date; /* ISO-8601 or NULL */
	const char *ref;           /* customer reference ("#1042") */
	const char *external_ref;  /* the platform's order id (the guard) */
	const char *placed_on;     /* ISO-8601 or NULL (now) */
	int64_t status_id;
	const char *status_name; /* out only */
	int64_t warehouse_id;
	int64_t channel_id;
	int64_t lead_source_id;
	int64_t project_id;
	int64_t price_list_id;
	int64_t staff_owner_id;
	const char *price_mode; /* "INC" or "EXC", NULL: account default */
	const char *currency;   /* ISO 4217, NULL: account default */
	ps_bp_order_row *rows;
	size_t nrows;
	/* out only */
	const char *order_type;     /* "SO", "SC", ... */
	int64_t parent_id;          /* the SO of a sales credit, else 0 */
	const char *payment_status; /* "PAID", "UNPAID", ... */
	ps_money total_net;
	ps_money total_tax;
	ps_money total;
	/* the first of invoices[] once invoiced, else NULL */
	const char *invoice_ref;  /* invoiceReference */
	const char *invoice_date; /* taxDate, ISO-8601 */
} ps_bp_order;

typedef struct ps_bp_order_list {
	ps_bp_order *items; /* owned, sorted by id */
	size_t n;
	void *priv__; /* the storage behind the strings */
} ps_bp_order_list;

/* ps_bp_order_list_dispose - free everything in l; NULL is fine. */
void ps_bp_order_list_dispose(ps_bp_order_list *l);

/*
 * ps_bp_order_create - POST a sales order (customer, rows, delivery,
 * references, channel, warehouse, project, lead source, price list,
 * currency, status) as one atomic request; *out_id is the order id.
 *
 * Duplicate guard: when order->external_ref is set and the connector has
 * an instance id, the pair (externalRef, installedIntegrationInstanceId)
 * is unique in Brightpearl and a repeated POST changes nothing.  The
 * request is therefore safe to retry and is sent as idempotent; if the
 * reply to a repeat carries no id the connector looks the order up by
 * externalRef.  Either way *out_id is the one order for that reference,
 * and *out_existed (optional) is 1 when the connector knows it already
 * existed.  Without a guard a POST whose fate is unknown returns the
 * transport error and the caller must look up before retrying.
 */
int ps_bp_order_create(int64_t *out_id, int *out_existed, ps_bp *bp,
		       const ps_bp_order *order);

/*
 * ps_bp_order_get - the orders with the given ids (any order, duplicates
 * fine), fetched in id sets of at most options.idset_max.  Ids that do not
 * exist are left out, so out->n may be smaller than n.  Rows are read from
 * the id-keyed orderRows object and sorted by row id.
 */
int ps_bp_order_get(ps_bp_order_list *out, ps_bp *bp, const int64_t *ids,
		    size_t n);

/*
 * ps_bp_order_find_external - the id of the order whose externalRef is
 * external_ref (and whose instance id is the connector's, when set) into
 * *out_id; PS_ENOTFOUND when there is none.  Used to recover after a crash
 * between "in flight" and "synced".  When several match, the lowest id.
 */
int ps_bp_order_find_external(int64_t *out_id, ps_bp *bp,
			      const char *external_ref);

/*
 * ps_bp_order_status_set - move an order to status_id, with note_text as
 * the status-change note when non-NULL (Brightpearl writes its own note
 * otherwise).  PS_EDATA when Brightpearl refuses the transition.
 */
int ps_bp_order_status_set(ps_bp *bp, int64_t order_id, int64_t status_id,
			   const char *note_text);

/*
 * A sales order as GET /order-service/sales-order/{id} returns it, kept
 * whole so that a replacement-style PUT can send it back changed only
 * where the caller says.  Strings borrow from priv__.
 */
typedef struct ps_bp_sales_order {
	int64_t id;
	int64_t version;             /* for If-Match */
	int invoiced;                /* an invoice reference is set */
	const char *shipping_status; /* "NST", "SNS", "SPS", "ASS"; "" */
	ps_bp_address billing;       /* billing.address */
	ps_bp_address delivery;      /* delivery.address */
	void *priv__;                /* the order as read */
} ps_bp_sales_order;

/* ps_bp_sales_order_dispose - free so's storage and zero it; NULL fine. */
void ps_bp_sales_order_dispose(ps_bp_sales_order *so);

/*
 * ps_bp_sales_order_get - GET /order-service/sales-order/{id} into *out
 * (dispose it).  PS_ENOTFOUND when there is no such sales order;
 * PS_EPARSE when the reply has no numeric version.
 */
int ps_bp_sales_order_get(ps_bp_sales_order *out, ps_bp *bp, int64_t id);

/*
 * ps_bp_sales_order_addresses_set - replace the billing and/or delivery
 * address (NULL: leave it) of sales order *so, read by
 * ps_bp_sales_order_get: PUT /order-service/sales-order/{id} with the
 * order as read (read-only fields left out) and If-Match: so->version.
 * On 412 (the order changed meanwhile) the order is read again into *so
 * and the PUT repeated, at most PS_BP_PUT_TRIES times in all; a re-read
 * order that is now invoiced or (part) shipped is not written
 * (PS_EDATA), and one that already has the addresses needs no PUT.  On
 * success *so is the order as it was before the write that landed (its
 * version is stale).  Empty fields of an address are sent as absent: the
 * PUT replaces, so Brightpearl removes them.  The addresses may borrow
 * from *so (they are copied first).
 */
#define PS_BP_PUT_TRIES 3
int ps_bp_sales_order_addresses_set(ps_bp *bp, ps_bp_sales_order *so,
				    const ps_bp_address *billing,
				    const ps_bp_address *delivery);

/*
 * ps_bp_address_equal - 1 when a and b hold the same text in every field
 * (NULL and "" alike), else 0.
 */
int ps_bp_address_equal(const ps_bp_address *a, const ps_bp_address *b);

/* ---- order notes -------------------------------------------------------- */

typedef struct ps_bp_note {
	int64_t id;
	int64_t contact_id; /* who added it, 0 if unknown */
	int64_t status_id;  /* the order status when added, 0 if unknown */
	const char *text;
	int is_public;
	const char *added_on; /* ISO-8601 or NULL */
} ps_bp_note;

typedef struct ps_bp_note_list {
	ps_bp_note *items; /* owned, sorted by id */
	size_t n;
	void *priv__;
} ps_bp_note_list;

/* ps_bp_note_list_dispose - free everything in l, zero it; NULL ok. */
void ps_bp_note_list_dispose(ps_bp_note_list *l);

/*
 * ps_bp_note_add - add a note to an order; *out_id (optional) its id.
 * Recovery key: a note on the order with the same text.
 */
int ps_bp_note_add(int64_t *out_id, ps_bp *bp, int64_t order_id,
		   const char *text, int is_public);

/* ps_bp_note_list_get - every note on an order (none: n 0). */
int ps_bp_note_list_get(ps_bp_note_list *out, ps_bp *bp, int64_t order_id);

/* ---- custom fields ------------------------------------------------------ */

typedef enum ps_bp_field_type {
	PS_BP_FIELD_TEXT = 0, /* TEXT, TEXTAREA, DATE: value.text */
	PS_BP_FIELD_INTEGER,  /* value.number */
	PS_BP_FIELD_YESNO,    /* value.number 0/1 */
	PS_BP_FIELD_SELECT    /* value.number is the option id */
} ps_bp_field_type;

typedef struct ps_bp_field_value {
	const char *code; /* "PCF_GIFTMSG" */
	ps_bp_field_type type;
	const char *text;
	int64_t number;
} ps_bp_field_value;

typedef struct ps_bp_field_meta {
	int64_t id;
	const char *code;
	const char *name;
	const char *type; /* "TEXT", "SELECT", ... as Brightpearl names it */
	int required;
} ps_bp_field_meta;

typedef struct ps_bp_field_meta_list {
	ps_bp_field_meta *items; /* owned, sorted by id */
	size_t n;
	void *priv__;
} ps_bp_field_meta_list;

/* ps_bp_field_meta_list_dispose - free everything in l, zero it; NULL ok. */
void ps_bp_field_meta_list_dispose(ps_bp_field_meta_list *l);

/* ps_bp_custom_fields_list - the sales-order custom field definitions. */
int ps_bp_custom_fields_list(ps_bp_field_meta_list *out, ps_bp *bp);

/*
 * ps_bp_order_fields_set - set n custom fields on an order in one PATCH.
 * A field Brightpearl does not know fails PS_EDATA naming it.
 */
int ps_bp_order_fields_set(ps_bp *bp, int64_t order_id,
			   const ps_bp_field_value *values, size_t n);

/* ---- reference data ----------------------------------------------------- */

typedef enum ps_bp_ref_kind {
	PS_BP_REF_ORDER_STATUS = 0, /* code: orderTypeCode ("SO") */
	PS_BP_REF_WAREHOUSE,        /* code: typeCode */
	PS_BP_REF_CHANNEL,          /* extra: default warehouse id */
	PS_BP_REF_LEAD_SOURCE,
	PS_BP_REF_PROJECT,
	PS_BP_REF_SHIPPING_METHOD, /* code: the method's code */
	PS_BP_REF_PRICE_LIST,      /* code: price list code; currency */
	PS_BP_REF_PAYMENT_METHOD,  /* id 0 (Brightpearl has none): code */
	PS_BP_REF_TAX_CODE,        /* code; name: the description */
	PS_BP_REF_COUNT
} ps_bp_ref_kind;

typedef struct ps_bp_ref {
	int64_t id;
	const char *name;
	const char *code;     /* see ps_bp_ref_kind; NULL when none */
	const char *currency; /* price lists only */
	int64_t extra;        /* see ps_bp_ref_kind */
	int active;           /* 0 for disabled statuses, inactive methods */
	const char *carrier;  /* shipping methods: the carrier, or NULL */
} ps_bp_ref;

typedef struct ps_bp_ref_list {
	ps_bp_ref *items; /* owned, sorted by id (payment methods by code) */
	size_t n;
	void *priv__;
} ps_bp_ref_list;

/* ps_bp_ref_list_dispose - free everything in l, zero it; NULL ok. */
void ps_bp_ref_list_dispose(ps_bp_ref_list *l);

/*
 * ps_bp_ref_list_get - every item of one kind of reference data (order
 * statuses, warehouses, channels, lead sources, projects, shipping
 * methods, price lists, payment methods): what the setup screens offer.
 */
int ps_bp_ref_list_get(ps_bp_ref_list *out, ps_bp *bp, ps_bp_ref_kind kind);

/* ps_bp_ref_kind_name - "order status", "warehouse", ... (static). */
const char *ps_bp_ref_kind_name(ps_bp_ref_kind kind);

/*
 * ps_bp_order_status_resolve - an order status setting's value into the
 * Brightpearl status id *out: a positive decimal id is taken as it is;
 * anything else is looked up by name in the order statuses (an exact
 * match first, else one that differs only in case).  *out 0 and 0 when
 * id_or_name is NULL or empty (the caller decides whether that is
 * allowed).  An unknown name fails PS_ESETTING naming setting_name (may
 * be NULL) and the value; a failed list read returns its error.
 */
int ps_bp_order_status_resolve(int64_t *out, ps_bp *bp, const char *id_or_name,
			       const char *setting_name);

/* ---- contacts ----------------------------------------------------------- */

typedef struct ps_bp_contact {
	int64_t id;
	const char *first_name; /* Brightpearl keeps at most 32 characters */
	const char *last_name;
	const char *email; /* primary email */
	const char *telephone;
	const char *mobile;
	const char *company;
	ps_bp_address address; /* in: becomes the default, billing and
				  delivery address; out: not filled */
	int64_t price_list_id; /* 0: account default */
	int64_t lead_source_id;
	int is_customer; /* out: neither supplier nor staff */
} ps_bp_contact;

typedef struct ps_bp_contact_list {
	ps_bp_contact *items; /* owned, sorted by id */
	size_t n;
	void *priv__;
} ps_bp_contact_list;

/* ps_bp_contact_list_dispose - free everything in l, zero it; NULL ok. */
void ps_bp_contact_list_dispose(ps_bp_contact_list *l);

/*
 * ps_bp_contact_find_email - the ids of the customer contacts whose
 * primary email is email, compared case-insensitively (Brightpearl's
 * search is looser, so rows are filtered here), ascending.  Suppliers and
 * staff sharing the email are left out: they are never an order's
 * customer.  An empty result is 0 with n 0.
 */
int ps_bp_contact_find_email(ps_bp_ids *out, ps_bp *bp, const char *email);

/* ps_bp_contact_get - the contacts with the given ids (chunked). */
int ps_bp_contact_get(ps_bp_contact_list *out, ps_bp *bp, const int64_t *ids,
		      size_t n);

/*
 * ps_bp_contact_create - create the postal address (when address.line1
 * is set) and then the contact as a customer; *out_id the contact id.
 * Recovery key: the email (without one, an unknown outcome is returned
 * as the transport error).  The address is simply retried: a spare copy
 * is harmless.
 */
int ps_bp_contact_create(int64_t *out_id, ps_bp *bp, const ps_bp_contact *c);

/*
 * ps_bp_contact_update - set the names, email and phone numbers of
 * contact id to the non-NULL fields of c: one GET of the contact, then
 * one PATCH with "replace" for a member it has and "add" for one it lacks
 * (a phone it never had), leaving out what is already equal; and when
 * c->address.line1 is set, create that address and make it the
 * contact's default, billing and delivery address.
 */
int ps_bp_contact_update(ps_bp *bp, int64_t id, const ps_bp_contact *c);

/*
 * ps_bp_contact_update_from - ps_bp_contact_update without the GET, when
 * the caller knows the contact's members as last read from Brightpearl
 * (known; a NULL field: the contact lacks it, so it is added).  If that
 * PATCH is refused (what was known is stale), the contact is read and
 * the update sent once more.
 */
int ps_bp_contact_update_from(ps_bp *bp, int64_t id, const ps_bp_contact *known,
			      const ps_bp_contact *c);

/*
 * The contact directory: every contact's id, primary email, names and
 * phone, read through contact-search so that a flow can tell whether an
 * email is a customer already without one search per email (the search
 * takes a single primaryEmail and cannot be batched).  Rows are read by
 * updatedOn, Brightpearl's own clock: the caller keeps the newest
 * updatedOn it has seen and asks again from there (the bound is
 * inclusive, so the boundary rows come twice; applying a row is
 * idempotent).
 */
typedef struct ps_bp_contact_row {
	int64_t id;
	char *email;      /* primary email, lower case; NULL if none */
	char *first_name; /* NULL if none */
	char *last_name;
	char *telephone;  /* the "pri" phone */
	char *updated_on; /* Brightpearl's text, e.g. 2026-07-01T10:00:00.000Z
			   */
	int is_customer;  /* 0: a supplier or staff member */
} ps_bp_contact_row;

typedef struct ps_bp_contact_rows {
	ps_bp_contact_row *items; /* owned, ascending by updatedOn, then id */
	size_t n;
	char *max_updated_on; /* the newest updated_on, NULL when n is 0 */
} ps_bp_contact_rows;

/* ps_bp_contact_rows_dispose - free everything in r, zero it; NULL ok. */
void ps_bp_contact_rows_dispose(ps_bp_contact_rows *r);

/*
 * ps_bp_contact_changes - the contacts updated at or after since (NULL or
 * "": every contact), every page (500 rows each), sorted by updatedOn.
 */
int ps_bp_contact_changes(ps_bp_contact_rows *out, ps_bp *bp,
			  const char *since);

/* ---- products and stock ------------------------------------------------- */

typedef enum ps_bp_identity {
	PS_BP_IDENTITY_SKU = 0,
	PS_BP_IDENTITY_BARCODE,
	PS_BP_IDENTITY_EAN,
	PS_BP_IDENTITY_UPC,
	PS_BP_IDENTITY_ISBN,
	PS_BP_IDENTITY_MPN,
	PS_BP_IDENTITY_COUNT
} ps_bp_identity;

/* ps_bp_identity_parse - "sku", "barcode", "ean", "upc", "isbn", "mpn". */
int ps_bp_identity_parse(ps_bp_identity *out, const char *name);
/* ps_bp_identity_name - the name ps_bp_identity_parse accepts (static). */
const char *ps_bp_identity_name(ps_bp_identity id);

typedef struct ps_bp_product {
	int64_t id;
	const char *sku;
	const char *barcode;
	const char *ean;
	const char *upc;
	const char *isbn;
	const char *mpn;
	const char *name;
	const char *status; /* "LIVE", ... or NULL */
	int stock_tracked;
} ps_bp_product;

typedef struct ps_bp_product_list {
	ps_bp_product *items; /* owned, sorted by id */
	size_t n;
	void *priv__;
} ps_bp_product_list;

/* ps_bp_product_list_dispose - free everything in l, zero it; NULL ok. */
void ps_bp_product_list_dispose(ps_bp_product_list *l);

/* One option of a variant: "Colour" = "Red" (a product's variations). */
typedef struct ps_bp_option {
	const char *name;  /* optionName, borrowed */
	const char *value; /* optionValue, borrowed */
} ps_bp_option;

/*
 * What the catalogue export reads of a product: identity, names, weight,
 * the price on one price list, and the options that make it a variant of
 * its product group.  Strings are borrowed from the list (NULL: none).
 */
typedef struct ps_bp_catalog_item {
	int64_t id;
	int64_t group_id; /* productGroupId; 0: in no group */
	const char *sku;
	const char *barcode;
	const char *name;        /* the first sales channel's productName */
	const char *description; /* that channel's description text */
	const char *updated_on;  /* ISO-8601 as Brightpearl sends it */
	ps_money weight;         /* stock.weight.magnitude; has_weight */
	ps_money price;          /* quantity-1 price on the list; has_price */
	int has_weight, has_price;
	ps_bp_option *options; /* owned array of noptions */
	size_t noptions;
} ps_bp_catalog_item;

typedef struct ps_bp_catalog {
	ps_bp_catalog_item *items; /* owned, sorted by id */
	size_t n;
	void *priv__;
} ps_bp_catalog;

/* ps_bp_catalog_dispose - free everything in c, zero it; NULL ok. */
void ps_bp_catalog_dispose(ps_bp_catalog *c);

/*
 * ps_bp_catalog_get - products ids[0..n-1] with their price on
 * price_list_id (0: no prices read): GET /product-service/product/{idset}
 * and GET /product-service/product-price/{idset}, in id sets of at most
 * options.idset_max, so 2 requests per 200 products.  Ids that no longer
 * exist are left out.  *out is disposed with ps_bp_catalog_dispose.
 */
int ps_bp_catalog_get(ps_bp_catalog *out, ps_bp *bp, const int64_t *ids,
		      size_t n, int64_t price_list_id);

/* A product seen by a search of changes: its group and when it changed. */
typedef struct ps_bp_product_change {
	int64_t id;
	int64_t group_id; /* 0: in no group */
	char updated_on[40];
} ps_bp_product_change;

/*
 * ps_bp_products_changed - every product whose updatedOn is at or after
 * since (ISO-8601), every page of one product search
 * (updatedOn=since/, columns productId, productGroupId, updatedOn),
 * sorted by updatedOn then id.  *out (malloc, *out_n entries) is freed
 * by the caller.
 */
int ps_bp_products_changed(ps_bp_product_change **out, size_t *out_n, ps_bp *bp,
			   const char *since);

/*
 * ps_bp_product_group_ids - the ids of every product of group group_id
 * (one search, productGroupId=), sorted.  *out (malloc) freed by the
 * caller; 0 with *out_n 0 when the group is empty.
 */
int ps_bp_product_group_ids(int64_t **out, size_t *out_n, ps_bp *bp,
			    int64_t group_id);

/*
 * ps_bp_product_find - products whose identity field equals value exactly
 * (search rows that only partly match are dropped); every page is read.
 */
int ps_bp_product_find(ps_bp_product_list *out, ps_bp *bp, ps_bp_identity field,
		       const char *value);

/* ps_bp_product_get - the products with the given ids (chunked). */
int ps_bp_product_get(ps_bp_product_list *out, ps_bp *bp, const int64_t *ids,
		      size_t n);

/*
 * ps_bp_product_search - the products an operator means by text: those
 * whose SKU is text (exactly, any case), whose name contains text (the
 * productName column is a SEARCH_STRING), and, when text is a number, the
 * product with that id.  At most max (0: no limit) are kept, sorted by id,
 * without duplicates.  *out is disposed with ps_bp_product_list_dispose.
 * PS_EINVAL for an empty text; request errors as ps_bp_product_find.
 */
int ps_bp_product_search(ps_bp_product_list *out, ps_bp *bp, const char *text,
			 size_t max);

/*
 * ps_bp_product_resolve - the Brightpearl product id a mapping may store
 * for value: a numeric value must be an existing product's id; any other
 * value is taken as a SKU and must match exactly one product.  On success
 * *out_id is the id and *out_how (may be NULL; cap bytes) says how it was
 * found ("SKU 'TEE-RED-M' is product 1001 (Red tee, M)").  Otherwise
 * *out_id is 0 and PS_ENOTFOUND (no such id; no product with that SKU) or
 * PS_EINVAL (several products share the SKU) with an operator message that
 * lists up to five candidates ("1001 TEE-RED-M Red tee, M; ...").
 */
int ps_bp_product_resolve(int64_t *out_id, char *out_how, size_t cap, ps_bp *bp,
			  const char *value);

typedef struct ps_bp_stock {
	int64_t product_id;
	int64_t warehouse_id; /* 0: the total over all warehouses */
	int64_t in_stock;
	int64_t on_hand; /* free to sell */
	int64_t allocated;
	int64_t in_transit;
} ps_bp_stock;

typedef struct ps_bp_stock_list {
	ps_bp_stock *items; /* owned, by product then warehouse (total first) */
	size_t n;
} ps_bp_stock_list;

/* ps_bp_stock_list_dispose - free everything in l, zero it; NULL ok. */
void ps_bp_stock_list_dispose(ps_bp_stock_list *l);

/*
 * ps_bp_availability_get - stock per product and warehouse, plus one
 * total row per product, in id sets of at most options.idset_max.
 * Products that are not stock tracked are left out (as Brightpearl does).
 */
int ps_bp_availability_get(ps_bp_stock_list *out, ps_bp *bp,
			   const int64_t *product_ids, size_t n);

/* ---- payments, reservations --------------------------------------------- */

typedef struct ps_bp_payment {
	int64_t order_id;            /* sales order (sales credit: refund) */
	const char *method_code;     /* payment-method code, required */
	const char *type;            /* "RECEIPT", "AUTH", "CAPTURE",
					"PAYMENT" (refund), "VOID" */
	const char *currency;        /* ISO 4217, required */
	ps_money amount;             /* paid, or authorised for AUTH/VOID */
	const char *transaction_ref; /* unique with method_code, optional */
	const char *transaction_code;
	const char *payment_date; /* ISO-8601, required */
	const char *auth_expiry;  /* required for AUTH */
	const char *journal_ref;
} ps_bp_payment;

/*
 * ps_bp_payment_create - record a customer payment; *out_id (optional) the
 * payment id.  Recovery key: transaction_ref with method_code (unique in
 * Brightpearl; a repeat refused as a duplicate is resolved the same way).
 * Without transaction_ref an unknown outcome is returned as the error.
 */
int ps_bp_payment_create(int64_t *out_id, ps_bp *bp, const ps_bp_payment *p);

/*
 * ps_bp_payment_find - the id of order order_id's customer payment with
 * transaction_ref (and method_code, NULL: any method) into *out_id: one
 * customer-payment search.  PS_ENOTFOUND when the order has none.
 */
int ps_bp_payment_find(int64_t *out_id, ps_bp *bp, int64_t order_id,
		       const char *transaction_ref, const char *method_code);

typedef struct ps_bp_reservation_line {
	int64_t product_id;
	int64_t row_id; /* the sales-order row */
	int64_t quantity;
} ps_bp_reservation_line;

/*
 * ps_bp_reservation_create - reserve stock for an order's rows in one
 * warehouse (Brightpearl keeps one reservation per order and reserves what
 * it can).  PS_EDATA when nothing could be reserved, or when the order
 * already has a reservation.  Recovery key: the order's reservation.
 */
int ps_bp_reservation_create(ps_bp *bp, int64_t order_id, int64_t warehouse_id,
			     const ps_bp_reservation_line *lines, size_t n);

/* ---- requests as they go on the wire ------------------------------------ */

/*
 * One write as the connector would send it, without sending it: the
 * method, the path after the account prefix ("/order-service/order/7/note")
 * and the body's exact bytes (NULL when it has none).  The functions below
 * build the message with the same code as the write of the same name and
 * serialise it as the connector does, so the bytes are those the write
 * puts on the wire (a batched write carries the same bytes as the "body" of
 * its message).  Nothing is sent; only ps_bp_wire_order_create reads bp
 * (its installed integration instance, for the duplicate guard).
 */
typedef struct ps_bp_wire {
	const char *method; /* static: "POST", "PATCH", ... */
	char *path;         /* owned */
	char *body;         /* owned, NUL-terminated; NULL: no body */
} ps_bp_wire;

void ps_bp_wire_dispose(ps_bp_wire *w);
/* The postal address ps_bp_contact_create sends first. */
int ps_bp_wire_address_create(ps_bp_wire *out, const ps_bp_address *a);
/* The contact create, address_id the address created just before. */
int ps_bp_wire_contact_create(ps_bp_wire *out, const ps_bp_contact *c,
			      int64_t address_id);
/* The JSON-Patch ps_bp_contact_update_from(bp, id, was, c) sends; *out
 * stays all NULL (0 returned) when nothing differs. */
int ps_bp_wire_contact_patch(ps_bp_wire *out, int64_t id,
			     const ps_bp_contact *was, const ps_bp_contact *c);
int ps_bp_wire_order_create(ps_bp_wire *out, ps_bp *bp, const ps_bp_order *o);
int ps_bp_wire_fields_set(ps_bp_wire *out, int64_t order_id,
			  const ps_bp_field_value *values, size_t n);
int ps_bp_wire_note_add(ps_bp_wire *out, int64_t order_id, const char *text,
			int is_public);
int ps_bp_wire_payment_create(ps_bp_wire *out, const ps_bp_payment *p);
int ps_bp_wire_reservation_create(ps_bp_wire *out, int64_t order_id,
				  int64_t warehouse_id,
				  const ps_bp_reservation_line *lines,
				  size_t n);

/* ---- goods-out notes ---------------------------------------------------- */

typedef struct ps_bp_gon_line {
	int64_t row_id;
	int64_t product_id;
	int64_t quantity;
} ps_bp_gon_line;

typedef struct ps_bp_gon {
	int64_t id;
	int64_t order_id;
	int64_t warehouse_id;
	int64_t shipping_method_id;
	const char *tracking_ref; /* shipping.reference or NULL */
	const char *shipped_on;
	int printed, picked, packed, shipped;
	ps_bp_gon_line *lines; /* owned by the list */
	size_t nlines;
	const char *created_on;     /* ISO-8601, or NULL */
	int64_t created_by;         /* the staff contact, 0 unknown */
	int64_t last_event_version; /* for If-Match on events, 0 unknown */
} ps_bp_gon;

typedef struct ps_bp_gon_list {
	ps_bp_gon *items; /* owned, sorted by id */
	size_t n;
	void *priv__;
} ps_bp_gon_list;

/* ps_bp_gon_list_dispose - free everything in l, zero it; NULL ok. */
void ps_bp_gon_list_dispose(ps_bp_gon_list *l);

/* ps_bp_gon_get - goods-out notes by note id (any order; chunked). */
int ps_bp_gon_get(ps_bp_gon_list *out, ps_bp *bp, const int64_t *gon_ids,
		  size_t n);

/* ps_bp_gon_for_order - every goods-out note of one order. */
int ps_bp_gon_for_order(ps_bp_gon_list *out, ps_bp *bp, int64_t order_id);

/*
 * ps_bp_gon_tracking_set - set a note's shipping reference (the tracking
 * number, at most 64 characters; NULL: left alone) and shipping method
 * (0: left alone) (PUT /warehouse-service/goods-note/goods-out/{id}).
 * Brightpearl refuses it once the note is shipped (PS_EDATA).
 * Idempotent: the same values again change nothing.
 */
int ps_bp_gon_tracking_set(ps_bp *bp, int64_t gon_id, const char *reference,
			   int64_t shipping_method_id);

/*
 * ps_bp_gon_ship - the note's shipped event (SHW), occurred at `when`
 * (ISO-8601; NULL: now), owned by the note's creator (eventOwnerId must
 * be a staff contact), sent with If-Match: the note's last event version.
 * A note already shipped is success (a lost first try, or another
 * writer): the event is not sent twice.
 */
int ps_bp_gon_ship(ps_bp *bp, int64_t gon_id, const char *when);

/* ---- sales credits ------------------------------------------------------ */

/*
 * ps_bp_credit_get - sales credits by id, as orders (order_type "SC",
 * parent_id the original sales order, rows from the rows array).
 */
int ps_bp_credit_get(ps_bp_order_list *out, ps_bp *bp, const int64_t *ids,
		     size_t n);

/*
 * ps_bp_credit_find - ids of the sales credits raised against sales order
 * parent_id (every page of the order search), ascending.
 */
int ps_bp_credit_find(ps_bp_ids *out, ps_bp *bp, int64_t parent_id);

/*
 * ps_bp_credit_create - POST /order-service/sales-credit: credit (the
 * sales-order fields, parent_id the original sales order, required; rows
 * with their tax and nominal codes) as one request; *out_id the credit.
 * Duplicate guard as ps_bp_order_create's: with external_ref and the
 * connector's instance id a repeat changes nothing and an unknown fate
 * is resolved by ps_bp_credit_find_external; without them an unknown
 * fate is returned and the caller looks up before sending again.
 */
int ps_bp_credit_create(int64_t *out_id, int *out_existed, ps_bp *bp,
			const ps_bp_order *credit);

/*
 * ps_bp_credit_find_external - the sales credit whose externalRef is
 * external_ref (order search, orderTypeId 3); the lowest id when several.
 * PS_ENOTFOUND when none.
 */
int ps_bp_credit_find_external(int64_t *out_id, ps_bp *bp,
			       const char *external_ref);

/* One product received back against a sales credit's row. */
typedef struct ps_bp_goods_in_line {
	int64_t product_id;
	int64_t row_id; /* the credit's row */
	int64_t quantity;
	ps_money unit_value; /* productValue, per unit */
} ps_bp_goods_in_line;

typedef struct ps_bp_goods_in {
	int64_t credit_id;
	int64_t warehouse_id;
	const ps_bp_goods_in_line *lines;
	size_t nlines;
	const char *batch_ref;   /* userBatchReference: unique, required */
	const char *received_on; /* ISO-8601, NULL: now */
	const char *currency;    /* productValue's, NULL: no value sent */
} ps_bp_goods_in;

/*
 * ps_bp_credit_goods_in - receive returned stock into a warehouse
 * against a sales credit (POST /warehouse-service/order/{id}/goods-note/
 * goods-in): on-hand goes up.  Recovery key: batch_ref, which Brightpearl
 * keeps unique across goods-in notes, so a repeat is refused and the
 * note is found again (ps_bp_credit_goods_in_find).  *out_id (optional)
 * the note.
 */
int ps_bp_credit_goods_in(int64_t *out_id, ps_bp *bp, const ps_bp_goods_in *gi);

/*
 * ps_bp_credit_goods_in_find - the goods-in note of credit_id whose
 * userBatchReference is batch_ref; PS_ENOTFOUND when there is none.
 */
int ps_bp_credit_goods_in_find(int64_t *out_id, ps_bp *bp, int64_t credit_id,
			       const char *batch_ref);

/* ---- webhooks ----------------------------------------------------------- */

typedef struct ps_bp_webhook {
	int64_t id;                /* out */
	const char *subscribe_to;  /* "order.modified.order-status", ... */
	const char *http_method;   /* "POST" */
	const char *uri_template;  /* callback URL, may hold ${...} */
	const char *body_template; /* required for POST/PUT */
	const char *content_type;  /* "application/json" */
	int id_set_accepted;
	int qos; /* 0 at most once, 1 at least once */
} ps_bp_webhook;

typedef struct ps_bp_webhook_list {
	ps_bp_webhook *items; /* owned, sorted by id */
	size_t n;
	void *priv__;
} ps_bp_webhook_list;

/* ps_bp_webhook_list_dispose - free everything in l, zero it; NULL ok. */
void ps_bp_webhook_list_dispose(ps_bp_webhook_list *l);

/* ps_bp_webhook_list_get - every webhook registered for the account. */
int ps_bp_webhook_list_get(ps_bp_webhook_list *out, ps_bp *bp);
/* ps_bp_webhook_create - register w; *out_id (optional) its id.  An event
 * Brightpearl does not offer fails PS_EDATA with its message.  Recovery
 * key: a hook with the same event and URL template. */
int ps_bp_webhook_create(int64_t *out_id, ps_bp *bp, const ps_bp_webhook *w);
/* ps_bp_webhook_delete - PS_ENOTFOUND when id is unknown (a 404 after a
 * retry is success: the lost first attempt deleted it). */
int ps_bp_webhook_delete(ps_bp *bp, int64_t id);

/*
 * ps_bp_webhooks_ensure - make sure a webhook is registered for each of
 * the n events, calling back <public_url>/webhooks/brightpearl/<secret>/
 * <event> (public_url without its trailing slashes) with Brightpearl's
 * event body (event name, resource ids as an id set): the ones missing are
 * created.  *out_created (optional): how many.  PS_ESETTING when the
 * callback URL would be too long.
 */
int ps_bp_webhooks_ensure(size_t *out_created, ps_bp *bp,
			  const char *public_url, const char *secret,
			  const char *const *events, size_t n);

/* ---- searches for polls (queries.c) -------------------------------------- */

/* One stock-tracked product and the value of its identity field. */
typedef struct ps_bp_product_ref {
	int64_t id;
	char *match; /* owned */
} ps_bp_product_ref;

/*
 * ps_bp_products_tracked - every stock-tracked product with a non-empty
 * identity field (field: "sku", "barcode", "ean", "upc", "isbn" or "mpn",
 * else PS_ESETTING), every page of the product search.  *out (n entries)
 * is freed with ps_bp_product_refs_free.
 */
int ps_bp_products_tracked(ps_bp_product_ref **out, size_t *out_n, ps_bp *bp,
			   const char *field);
void ps_bp_product_refs_free(ps_bp_product_ref *p, size_t n);

/*
 * ps_bp_time_parse - a Brightpearl timestamp ("2015-04-02T14:34:42.000+01:00",
 * fraction and offset optional) as unix ms into *out.  Returns 0, or -1
 * when s is not one.
 */
int ps_bp_time_parse(int64_t *out, const char *s);

/* An order note as the order-note search lists it. */
typedef struct ps_bp_note_row {
	int64_t id;
	int64_t order_id;
	char *text;        /* owned; "" when none */
	char added_on[48]; /* ISO-8601, as Brightpearl wrote it */
} ps_bp_note_row;

/*
 * ps_bp_notes_added_since - every order note added at or after since
 * (ISO-8601), oldest note first, every page: one request when nothing
 * is new (GET /order-service/order-note-search).  *out (n entries) is
 * freed with ps_bp_note_rows_free.
 */
int ps_bp_notes_added_since(ps_bp_note_row **out, size_t *out_n, ps_bp *bp,
			    const char *since);
void ps_bp_note_rows_free(ps_bp_note_row *v, size_t n);

/* A shipped goods-out note. */
typedef struct ps_bp_gon_ref {
	int64_t id;
	int64_t order_id;
	char shipped_on[48]; /* ISO-8601, as Brightpearl wrote it */
} ps_bp_gon_ref;

/*
 * ps_bp_gons_shipped_since - the goods-out notes shipped at or after
 * since (ISO-8601), every page.  *out (n entries) is freed with free().
 */
int ps_bp_gons_shipped_since(ps_bp_gon_ref **out, size_t *out_n, ps_bp *bp,
			     const char *since);

/* A goods-out note as the search lists it. */
typedef struct ps_bp_gon_row {
	int64_t id;
	int64_t order_id;
	int64_t warehouse_id;
	int shipped;
	char created_on[48]; /* ISO-8601, as Brightpearl wrote it */
} ps_bp_gon_row;

/*
 * ps_bp_gons_created_since - the goods-out notes created at or after
 * since (ISO-8601), every page.  *out (n entries) is freed with free().
 */
int ps_bp_gons_created_since(ps_bp_gon_row **out, size_t *out_n, ps_bp *bp,
			     const char *since);

/* An order and its status. */
typedef struct ps_bp_order_ref {
	int64_t id;
	int64_t status_id;
	char updated_on[48]; /* ISO-8601, as Brightpearl wrote it */
} ps_bp_order_ref;

/*
 * ps_bp_orders_updated_since - the orders updated at or after since
 * (ISO-8601), every page.  *out (n entries) is freed with free().
 */
int ps_bp_orders_updated_since(ps_bp_order_ref **out, size_t *out_n, ps_bp *bp,
			       const char *since);

/* An order and the source it claims, as the order search lists it. */
typedef struct ps_bp_order_claim {
	int64_t id;
	int64_t type_id;       /* orderTypeId: 1 sales order, 3 sales credit */
	int64_t instance_id;   /* installedIntegrationInstanceId, 0: none */
	char external_ref[64]; /* "" when none */
	char created_on[48];   /* ISO-8601, as Brightpearl wrote it */
} ps_bp_order_claim;

/*
 * ps_bp_orders_created_since - the orders created at or after since
 * (ISO-8601) with their externalRef and instance id, every page of the
 * order search (500 rows a request).  *out (n entries) is freed with
 * free().
 */
int ps_bp_orders_created_since(ps_bp_order_claim **out, size_t *out_n,
			       ps_bp *bp, const char *since);

/*
 * ps_bp_orders_at_status_since - the same, only the orders now at status
 * status_id (> 0, else PS_EINVAL); Brightpearl filters, so the others cost
 * nothing.
 */
int ps_bp_orders_at_status_since(ps_bp_order_ref **out, size_t *out_n,
				 ps_bp *bp, const char *since,
				 int64_t status_id);

/* ---- batching writes (multi-message) ------------------------------------ */

/*
 * A batch collects writes and sends them through the multi-message API,
 * at most PS_BP_BATCH_MAX per request (one request against the quota
 * instead of ten).  Messages are processed in order and a failure does not
 * stop the rest.  A flow uses it under backlog; the single-call functions
 * above stay the default.
 */
#define PS_BP_BATCH_MAX 10

typedef struct ps_bp_batch ps_bp_batch;

typedef struct ps_bp_batch_result {
	int error;           /* 0 or a PS_E* code for this message */
	long status;         /* HTTP status of the message, 0 if unprocessed */
	int64_t id;          /* the new object's id when the reply is one */
	const char *message; /* Brightpearl's error text or NULL (borrowed) */
} ps_bp_batch_result;

/* ps_bp_batch_new - an empty batch for bp (which must outlive it). */
int ps_bp_batch_new(ps_bp_batch **out, ps_bp *bp);
/* ps_bp_batch_free - free b and its results; NULL is fine. */
void ps_bp_batch_free(ps_bp_batch *b);

/* Queue one write; the arguments mean what they do in the direct calls
 * and are copied.  The index of the message (0-based) is its position. */
int ps_bp_batch_order_create(ps_bp_batch *b, const ps_bp_order *order);
int ps_bp_batch_status_set(ps_bp_batch *b, int64_t order_id, int64_t status_id,
			   const char *note_text);
int ps_bp_batch_note_add(ps_bp_batch *b, int64_t order_id, const char *text,
			 int is_public);
int ps_bp_batch_payment_create(ps_bp_batch *b, const ps_bp_payment *p);
int ps_bp_batch_reservation_create(ps_bp_batch *b, int64_t order_id,
				   int64_t warehouse_id,
				   const ps_bp_reservation_line *lines,
				   size_t n);

/*
 * ps_bp_batch_address_create - queue a postal address POST (the result's
 * id is the new address id).  ps_bp_batch_contact_create - queue the
 * contact POST of ps_bp_contact_create with address_id (0: none) as its
 * default, billing and delivery address; c->address is ignored (the
 * result's id is the new contact id).  Neither is looked up after a
 * failure of unknown outcome: a contact is found again by its email.
 */
int ps_bp_batch_address_create(ps_bp_batch *b, const ps_bp_address *a);
int ps_bp_batch_contact_create(ps_bp_batch *b, const ps_bp_contact *c,
			       int64_t address_id);

/* ps_bp_batch_count - messages queued. */
size_t ps_bp_batch_count(const ps_bp_batch *b);

/*
 * ps_bp_batch_send - send every queued message in requests of at most
 * PS_BP_BATCH_MAX.  Returns 0 when every request got a reply: each
 * message's own outcome is then in its result (a message Brightpearl
 * skipped has error PS_ESTOPPED, status 0).  Otherwise the transport error
 * of the first request that failed; the results of its messages and of
 * every later one carry that error with status 0 (earlier ones are
 * final).  A batch is sent once.  Unlike the direct calls, a batch does
 * not look up creates after a failure of unknown outcome: a flow that
 * gets a transport error looks up (or uses the direct calls) before
 * sending those messages again.  Status changes are safe to resend.
 */
int ps_bp_batch_send(ps_bp_batch *b);

/* ps_bp_batch_result - the outcome of message i (borrowed), NULL past the
 * end or before ps_bp_batch_send. */
const ps_bp_batch_result *ps_bp_batch_result_get(const ps_bp_batch *b,
						 size_t i);

#endif
