/*
 * shiphero.h - the ShipHero connector: typed operations on one ShipHero
 * account over its public GraphQL API and the HTTP client.
 *
 * Flows call these functions with plain C structs and get plain C structs
 * back; no JSON and no GraphQL cross this header.  The connector owns the
 * wire rules: the endpoints under one base URL ({base}/graphql,
 * {base}/auth/token, {base}/auth/refresh), the bearer token and its
 * refresh, the query documents (constants; every value travels in
 * "variables"), the {"data", "errors", "extensions"} envelope, Relay
 * paging to the end and the credit budget each reply reports.
 *
 * Ids: ShipHero's ids are opaque strings (base64 "Type:legacy"); each
 * object also carries its numeric legacy id.  Money is ps_money
 * (ten-thousandths), sent and read as ShipHero's decimal strings.  Dates
 * are unix seconds (UTC) here; ShipHero's "YYYY-mm-ddTHH:MM:SS" (UTC,
 * no zone) on the wire.
 *
 * Strings in structs are `const char *`.  In structs a caller fills in
 * (order and product creates) they are borrowed for the call.  In structs
 * filled by the connector they are owned by the struct (or by the list
 * holding it) and released by its _dispose function.  Fields ShipHero
 * left empty or null are NULL (strings) or 0.
 *
 * Errors: 0 on success or a negative PS_E* code with an operator-readable
 * detail in ps_error_last() that names ShipHero and the operation and
 * never contains a token, password or webhook secret:
 *   PS_EAUTH       the token was refused and refreshing did not help, or
 *                  the user name and password were refused (login);
 *   PS_ENOTFOUND   a single object asked for does not exist;
 *   PS_EEXISTS     order_create: ShipHero refused the order because one
 *                  with the same partner_order_id exists (the flow finds
 *                  it with ps_sh_order_find and adopts it);
 *   PS_EDATA       ShipHero answered with GraphQL errors (their messages
 *                  in the detail: "ShipHero order_create: Invalid id X")
 *                  or a reply missing a field;
 *   PS_ERATELIMIT  out of credits still after the retry budget: the
 *                  detail says "throttled, retry after N s";
 *   PS_EREMOTE, PS_ENET, PS_ETIMEOUT, PS_ETLS: from the HTTP client after
 *                  its retry budget (see http.h);
 *   PS_EPARSE      the reply was not JSON;  PS_ESETTING;  PS_ENOMEM.
 * A ps_sh is used by one thread at a time (like its ps_http).
 */
#ifndef PEARLSYNC_SHIPHERO_H
#define PEARLSYNC_SHIPHERO_H

#include <stddef.h>
#include <stdint.h>

#include "pearlsync/common.h"
#include "pearlsync/http.h"
#include "pearlsync/money.h"

/* ---- the connector ------------------------------------------------------ */

/*
 * The transport: ps_http_send by default.  Tests may substitute a function
 * with the same contract to script replies and record requests.
 */
typedef int (*ps_sh_send_fn)(void *ctx, ps_http_response *out,
			     const ps_http_request *req);

/* A token set as ShipHero granted it (borrowed for the save call). */
typedef struct ps_sh_tokens {
	const char *access_token;
	const char *refresh_token; /* ShipHero keeps it static: unchanged */
	int64_t expires_at;        /* access token expiry, unix s; 0 unknown */
} ps_sh_tokens;

/*
 * Keeps a newly granted token set durably and returns 0, or a negative
 * PS_E* code.  ShipHero's refresh token does not rotate, so a failed save
 * loses nothing: the connector uses the new access token for this
 * process anyway; the failure is logged when the refresh came before a
 * call, and returned when it followed a refusal (or ps_sh_refresh).
 */
typedef int (*ps_sh_tokens_save_fn)(void *ctx, const ps_sh_tokens *tokens);

/* The clock for token expiry: unix seconds.  NULL: time(). */
typedef int64_t (*ps_sh_now_fn)(void *ctx);

typedef struct ps_sh_options {
	/*
	 * The one base URL: "https://public-api.shiphero.com", or a
	 * stand-in such as "http://127.0.0.1:PORT/shiphero"; no trailing
	 * "/graphql".  The GraphQL endpoint is {base}/graphql, the token
	 * endpoints {base}/auth/token and {base}/auth/refresh.
	 */
	const char *base_url;
	/* The limiter's account key (the user name); NULL: one budget. */
	const char *account;
	const char *refresh_token; /* NULL: no refresh, a 401 is final */
	const char *access_token;  /* NULL: refreshed before the first call */
	int64_t expires_at;        /* access token expiry, unix s; 0 unknown */
	/* 3PL accounts: the customer acted for, or NULL. */
	const char *customer_account_id;
	int page_size;             /* nodes per connection page (1..100) */
	ps_sh_send_fn send;        /* NULL: ps_http_send */
	void *send_ctx;            /* passed to send (NULL: the ps_http) */
	ps_sh_tokens_save_fn save; /* NULL: new tokens are not kept */
	void *save_ctx;
	ps_sh_now_fn now; /* NULL: time() */
	void *now_ctx;
} ps_sh_options;

#define PS_SH_OPTIONS_INIT                                                     \
	{                                                                      \
		NULL, NULL, NULL, NULL, 0, NULL, 50, NULL, NULL, NULL, NULL,   \
			NULL, NULL                                             \
	}

/* Seconds before expiry at which the access token is refreshed. */
#define PS_SH_REFRESH_MARGIN_S 300

typedef struct ps_sh ps_sh;

/*
 * ps_sh_new - a connector for one account over http (borrowed: it must
 * outlive the ps_sh; may be NULL only when opts->send is set).  Strings
 * in opts are copied; the tokens are registered with ps_log_add_secret.
 * Neither token given: PS_ESETTING.  Returns 0, PS_ESETTING (the detail
 * names what is missing) or PS_ENOMEM; *out is NULL on failure.
 */
int ps_sh_new(ps_sh **out, ps_http *http, const ps_sh_options *opts);

/* ps_sh_free - release sh, wiping its tokens; NULL is fine. */
void ps_sh_free(ps_sh *sh);

/* An owned token set (login).  ps_sh_grant_dispose wipes and frees it. */
typedef struct ps_sh_grant {
	char *access_token;
	char *refresh_token;
	int64_t expires_at; /* unix s; 0 unknown */
} ps_sh_grant;

void ps_sh_grant_dispose(ps_sh_grant *g);

/*
 * ps_sh_login - trade a user name and password for a token set
 * (POST {base}/auth/token), once, at setup: the password is sent and
 * forgotten, never stored or logged.  opts gives the base URL, the
 * transport and the clock (its tokens are ignored).  PS_EAUTH when
 * ShipHero refuses them (the detail never quotes them).
 */
int ps_sh_login(ps_sh_grant *out, ps_http *http, const ps_sh_options *opts,
		const char *username, const char *password);

/*
 * ps_sh_refresh - trade the refresh token for a new access token now and
 * hand it to the save function.  The connector calls it itself before
 * the access token expires (PS_SH_REFRESH_MARGIN_S) and once on a 401.
 * PS_EAUTH when the refresh token is refused, PS_ESETTING without one.
 */
int ps_sh_refresh(ps_sh *sh);

/*
 * ps_sh_check_connection - one cheap authenticated query (the account).
 * *out_name (owned): the account's user name or e-mail, else its id.
 */
int ps_sh_check_connection(char **out_name, ps_sh *sh);

/* The credit bucket as the last reply reported it; -1: not reported. */
typedef struct ps_sh_quota {
	long credits_remaining;
	long max_available;
	long increment_rate; /* credits per second */
	long last_cost;      /* what the last operation cost */
} ps_sh_quota;

/* ps_sh_quota_last - the last reply's credits (all -1 before any). */
ps_sh_quota ps_sh_quota_last(const ps_sh *sh);

/*
 * ps_sh_global_id - ShipHero's id of the object of type `type` ("Order",
 * "Shipment", "Warehouse") with that legacy id: base64("Type:legacy")
 * into out (cap bytes).  PS_EINVAL when it does not fit or legacy <= 0.
 */
int ps_sh_global_id(char *out, size_t cap, const char *type, int64_t legacy);

/* ---- account ------------------------------------------------------------ */

typedef struct ps_sh_warehouse {
	char *id; /* "V2FyZWhvdXNlOjcxNDU=" */
	int64_t legacy_id;
	char *identifier; /* the human name: "Primary" */
	char *company_name;
	char *city;
	char *country;
} ps_sh_warehouse;

typedef struct ps_sh_warehouse_list {
	ps_sh_warehouse *items; /* owned */
	size_t n;
} ps_sh_warehouse_list;

/*
 * The console's picker of ShipHero warehouses: the store's cache kind,
 * a JSON array of {"id": warehouse id, "name": identifier}.
 */
#define PS_SH_LIST_WAREHOUSES "sh.warehouses"

/* ps_sh_warehouses - every warehouse of the account. */
int ps_sh_warehouses(ps_sh_warehouse_list *out, ps_sh *sh);
void ps_sh_warehouse_list_dispose(ps_sh_warehouse_list *l);

/* ---- orders ------------------------------------------------------------- */

/* An address, as order_create takes it.  NULL fields are left out. */
typedef struct ps_sh_address {
	const char *first_name;
	const char *last_name;
	const char *company;
	const char *address1;
	const char *address2;
	const char *city;
	const char *state;
	const char *state_code;
	const char *zip;
	const char *country;      /* name or code, as ShipHero takes it */
	const char *country_code; /* ISO 3166-1 alpha-2 */
	const char *email;
	const char *phone;
} ps_sh_address;

/* The shipping line: title and price are required by ShipHero. */
typedef struct ps_sh_shipping_line {
	const char *title; /* "UPS Ground" */
	ps_money price;
	const char *carrier; /* "UPS", or NULL */
	const char *method;  /* "Ground", or NULL */
} ps_sh_shipping_line;

typedef struct ps_sh_line_new {
	const char *partner_line_item_id; /* unique within the order */
	const char *sku;
	int64_t quantity;         /* > 0 */
	ps_money price;           /* unit price */
	const char *product_name; /* or NULL */
	/* Locks the line to this warehouse (its id), or NULL. */
	const char *warehouse_id;
} ps_sh_line_new;

typedef struct ps_sh_order_new {
	const char *partner_order_id; /* the lookup key; required */
	const char *order_number;     /* what people read; required */
	const char *shop_name;        /* "Brightpearl", or NULL */
	int64_t order_date;           /* unix s, 0: not sent */
	const char *email;            /* or NULL */
	ps_money total_price;         /* sent as strings: */
	ps_money subtotal;
	ps_money total_tax;
	ps_money total_discounts;
	ps_sh_address shipping_address;
	const ps_sh_address *billing_address; /* or NULL */
	ps_sh_shipping_line shipping;         /* title NULL: no shipping line */
	const ps_sh_line_new *lines;
	size_t nlines; /* >= 1 */
} ps_sh_order_new;

/* An order as these calls return it. */
typedef struct ps_sh_order {
	char *id; /* "T3JkZXI6NTU1MzAxNTAw" */
	int64_t legacy_id;
	char *order_number;
	char *partner_order_id;
	char *shop_name;
	char *fulfillment_status; /* "pending", "fulfilled", "canceled"... */
	/*
	 * Set by ps_sh_order_create when it found the order already there
	 * (its reply was lost, it was sent again after a dropped
	 * connection) instead of creating it.
	 */
	int adopted;
} ps_sh_order;

void ps_sh_order_dispose(ps_sh_order *o);

/*
 * ps_sh_order_create - create the order.  Not idempotent on ShipHero's
 * side, so: when the outcome is unknown (connection dropped after
 * sending, timeout, 5xx after the budget) the connector looks the order up
 * by partner_order_id and returns it (adopted = 1) when found, the
 * original error when not.  PS_EEXISTS when ShipHero says an order with
 * that partner_order_id exists.  PS_EINVAL for a missing partner order
 * id, order number or line, a line without sku or partner line id, or a
 * quantity <= 0.
 */
int ps_sh_order_create(ps_sh_order *out, ps_sh *sh, const ps_sh_order_new *o);

/*
 * ps_sh_order_find - the order with this partner_order_id (exactly-once
 * adoption before creating).  PS_ENOTFOUND when none.  When several carry
 * it (ShipHero does not enforce uniqueness) the first one that is not
 * canceled, else the first.
 */
int ps_sh_order_find(ps_sh_order *out, ps_sh *sh, const char *partner_order_id);

/*
 * ps_sh_order_cancel - cancel order `order_id` (its id) with reason (or
 * NULL).  out (may be NULL) receives the order after the cancel.
 * PS_ENOTFOUND when ShipHero does not know the id; PS_EDATA when it
 * refuses (already shipped: the detail carries its message).
 */
int ps_sh_order_cancel(ps_sh_order *out, ps_sh *sh, const char *order_id,
		       const char *reason);

/* ---- shipments ---------------------------------------------------------- */

/* One shipped line: which order line, how many, in which package. */
typedef struct ps_sh_shipment_line {
	char *id;
	char *line_item_id;      /* the order line's id */
	char *shipping_label_id; /* the package's label, or NULL */
	char *sku;
	char *partner_line_item_id; /* what the order was created with */
	int64_t quantity;
} ps_sh_shipment_line;

/* One package's label: where tracking lives. */
typedef struct ps_sh_label {
	char *id;
	char *tracking_number; /* may be NULL (generic labels) */
	char *tracking_url;
	char *carrier;         /* "ups", "usps", "genericlabel" */
	char *shipping_name;   /* "UPS Ground" */
	char *shipping_method; /* "ground" */
	char *status;          /* "valid" */
	ps_money cost;
	int64_t package_number; /* 0 unknown */
	int64_t created_at;     /* unix s, 0 unknown */
} ps_sh_label;

typedef struct ps_sh_shipment {
	char *id; /* "U2hpcG1lbnQ6NDE5NTIzMDA1" */
	int64_t legacy_id;
	char *order_id; /* the order's id */
	char *order_number;
	char *partner_order_id; /* what the order was created with */
	char *warehouse_id;
	int64_t created_at; /* unix s */
	int64_t total_packages;
	int shipped_off_shiphero;
	int dropshipment;
	ps_sh_shipment_line *lines; /* owned */
	size_t nlines;
	ps_sh_label *labels; /* owned */
	size_t nlabels;
} ps_sh_shipment;

void ps_sh_shipment_dispose(ps_sh_shipment *s);

/*
 * Called once per shipment, in ShipHero's order; s is borrowed for the
 * call (copy what is kept).  Non-zero stops the walk, which then returns
 * that value.
 */
typedef int (*ps_sh_shipment_fn)(void *ctx, const ps_sh_shipment *s);

/*
 * ps_sh_shipments_since - every shipment created at or after `since`
 * (unix s, UTC), page after page to the end; one page is held at a time,
 * however many there are.  Returns 0, fn's non-zero value, or an error
 * (the shipments already handed to fn stay handed).
 */
int ps_sh_shipments_since(ps_sh *sh, int64_t since, ps_sh_shipment_fn fn,
			  void *ctx);

/*
 * Called with a shipment of a page that does not parse: what can be read
 * of it (its id, legacy id, its order's partner_order_id; NULL or 0 when
 * unreadable) and the reason.  0 to go on, < 0 to stop with that error.
 */
typedef int (*ps_sh_shipment_bad_fn)(void *ctx, const char *id,
				     int64_t legacy_id,
				     const char *partner_order_id,
				     const char *reason);

/*
 * ps_sh_shipments_walk - ps_sh_shipments_since, but a shipment that does
 * not parse goes to bad (with ctx) and the walk goes on past it, so one
 * bad shipment cannot stop the rest.
 */
int ps_sh_shipments_walk(ps_sh *sh, int64_t since, ps_sh_shipment_fn fn,
			 ps_sh_shipment_bad_fn bad, void *ctx);

/*
 * ps_sh_shipment_get - the shipment with this id (ps_sh_global_id of a
 * webhook's shipment_id).  PS_ENOTFOUND when ShipHero does not know it.
 */
int ps_sh_shipment_get(ps_sh_shipment *out, ps_sh *sh, const char *id);

/* ---- products ----------------------------------------------------------- */

typedef struct ps_sh_product {
	char *id;
	int64_t legacy_id;
	char *sku;
	char *name;
	char *barcode;
	ps_money price;
} ps_sh_product;

void ps_sh_product_dispose(ps_sh_product *p);

typedef struct ps_sh_product_new {
	const char *sku;  /* required */
	const char *name; /* required */
	const char *barcode;
	const char *weight; /* decimal, the account's unit, or NULL */
	ps_money price;
	/* The warehouse it is added to (ShipHero needs one), on hand 0. */
	const char *warehouse_id;
} ps_sh_product_new;

/* ps_sh_product_find_sku - the product with this SKU, or PS_ENOTFOUND. */
int ps_sh_product_find_sku(ps_sh_product *out, ps_sh *sh, const char *sku);

/*
 * ps_sh_product_create - create it.  When the outcome is unknown, or
 * ShipHero says the SKU exists, the product is looked up by SKU and
 * returned when found (a product is keyed by its SKU).
 */
int ps_sh_product_create(ps_sh_product *out, ps_sh *sh,
			 const ps_sh_product_new *p);

/* ---- webhooks ----------------------------------------------------------- */

/* The webhook pearlsync registers for tracking. */
#define PS_SH_WEBHOOK_SHIPMENT_UPDATE "Shipment Update"
/* The header carrying base64(HMAC-SHA256(secret, raw body)). */
#define PS_SH_HMAC_HEADER "X-ShipHero-HMAC-SHA256"

typedef struct ps_sh_webhook {
	char *id;
	int64_t legacy_id;
	char *name; /* the webhook type: "Shipment Update" */
	char *url;
	char *shop_name;
	/*
	 * The signing secret: ShipHero returns it only once, from
	 * ps_sh_webhook_register; NULL in a list.  Store it as a secret.
	 */
	char *shared_signature_secret;
} ps_sh_webhook;

typedef struct ps_sh_webhook_list {
	ps_sh_webhook *items; /* owned */
	size_t n;
} ps_sh_webhook_list;

void ps_sh_webhook_dispose(ps_sh_webhook *w);
void ps_sh_webhook_list_dispose(ps_sh_webhook_list *l);

/*
 * ps_sh_webhook_register - register webhook `name` to url for shop_name
 * (or NULL).  ShipHero keeps one per name and shop: delete the old one
 * first to change its URL.
 */
int ps_sh_webhook_register(ps_sh_webhook *out, ps_sh *sh, const char *name,
			   const char *url, const char *shop_name);

/* ps_sh_webhooks_list - every registered webhook. */
int ps_sh_webhooks_list(ps_sh_webhook_list *out, ps_sh *sh);

/*
 * ps_sh_webhook_delete - delete webhook `name` of shop_name (or NULL):
 * ShipHero deletes by name.  PS_ENOTFOUND when there is none.
 */
int ps_sh_webhook_delete(ps_sh *sh, const char *name, const char *shop_name);

/*
 * ps_sh_webhook_verify - 0 when signature (the X-ShipHero-HMAC-SHA256
 * value) is base64(HMAC-SHA256(secret, body[0..len))), compared in
 * constant time; PS_EAUTH when it is missing, empty or different.  Pure:
 * no parsing, no I/O.
 */
int ps_sh_webhook_verify(const char *secret, const char *body, size_t len,
			 const char *signature);

#endif
