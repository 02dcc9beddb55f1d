/*
 * sh_sim.h - the ShipHero simulator inside pearlsync-sandbox.
 *
 * sh_api.c answers /shiphero/auth/token, /shiphero/auth/refresh and
 * /shiphero/graphql: it reads each query with the GraphQL reader of
 * gql.h, validates it against the schema file, charges credits and runs
 * the root fields against the store.  sh_store.c keeps the account
 * (warehouses, orders, shipments, products, webhooks) with indexes and
 * sends the Shipment Update webhook; sh_control.c answers
 * /_sandbox/shiphero/... and registers the platform.
 *
 * Everything runs with the sandbox lock held (sandbox.h).  Objects are
 * kept as Jansson objects in the shape the API serves; a query's
 * selection is projected from them (sh_api.c).
 */
#ifndef PEARLSYNC_SH_SIM_H
#define PEARLSYNC_SH_SIM_H

#include <stdint.h>
#include <time.h>

#include <jansson.h>

#include "sandbox.h"
#include "shiphero/gql.h"

/* Observed real bucket (reference §4): 2002 credits, 30 per second. */
#define SH_CREDITS_MAX 2002
#define SH_CREDITS_RATE 30
/* Access tokens last 28 days (reference §2). */
#define SH_TOKEN_TTL_S 2419200
/* Webhook delivery: 5 retries (reference §8). */
#define SH_HOOK_RETRIES 5
#define SH_PAGE_MAX 100
/* Access tokens remembered at once (the oldest is forgotten first). */
#define SH_MAX_TOKENS 1024
#define SH_ACCOUNT_ID 4222

/* A string -> index map (open addressing, grows). */
typedef struct sh_map {
	char **keys;
	int64_t *vals;
	size_t cap, n;
} sh_map;

void sh_map_init(sh_map *m);
void sh_map_clear(sh_map *m);
int sh_map_put(sh_map *m, const char *key, int64_t val);
/* The value, or -1 when absent. */
int64_t sh_map_get(const sh_map *m, const char *key);

typedef struct sh_token {
	char token[512];
	time_t expires; /* 0 = never */
} sh_token;

typedef struct sh_state {
	sb_platform *pf;
	gql_schema *schema; /* NULL when the schema file could not be read */
	char schema_error[256];
	/* credentials */
	const char *user, *password;
	char refresh_token[96];
	sh_token *tokens;
	size_t ntokens, cap_tokens;
	int64_t token_ttl_s;
	time_t clock_offset;
	int64_t next_token;
	/* credits */
	double credits;
	int64_t credits_max, credits_rate; /* 0 max = unlimited */
	int64_t credits_at_ms;
	int64_t credits_spent; /* charged since the reset, for benchmarks */
	/* the account */
	json_t *warehouses; /* Warehouse objects */
	json_t *orders;     /* Order objects (no "shipments" member) */
	json_t *shipments;  /* Shipment objects (no "order" member) */
	json_t *products;   /* Product objects */
	json_t *webhooks;   /* Webhook objects (with "_secret") */
	sh_map by_partner_id, by_sku, by_legacy_order;
	int64_t next_order, next_line, next_shipment, next_label;
	int64_t next_ship_line, next_product, next_wp, next_webhook;
	int64_t next_request;
	int64_t hook_schedule_ms[SH_HOOK_RETRIES];
} sh_state;

/* ---- sh_store.c --------------------------------------------------------- */

sh_state *sh_state_new(void);
void sh_state_free(sh_state *st);
void sh_state_clear(sh_state *st);
void sh_seed_demo(sh_state *st);
time_t sh_now(const sh_state *st);
/* "2024-12-18T10:56:15" (UTC, no zone), buf >= 32. */
const char *sh_date(char *buf, size_t len, time_t t);
/* Parse an ISODateTime input (date, "date time", "dateTtime"); 0 = ok. */
int sh_parse_date(const char *s, time_t *out);
/* Global id base64("Type:legacy"); buf >= 64. */
const char *sh_gid(char *buf, size_t len, const char *type, int64_t legacy);
/* The legacy id from a global id of type (or plain digits); -1 if not. */
int64_t sh_legacy_of(const char *id, const char *type);
/* Standard base64 decode into out (NUL-terminated); -1 when invalid. */
int sh_unbase64(const char *in, char *out, size_t outlen);

json_t *sh_order_by_legacy(sh_state *st, int64_t legacy);
json_t *sh_order_by_partner(sh_state *st, const char *partner_order_id);
json_t *sh_order_find(sh_state *st, const char *id); /* gid or legacy */
json_t *sh_product_by_sku(sh_state *st, const char *sku);
json_t *sh_warehouse_find(sh_state *st, const char *id);

/*
 * sh_order_create - CreateOrderInput data -> a new Order (borrowed), or
 * NULL with msg (duplicate partner_order_id, unknown warehouse, ...).
 */
json_t *sh_order_create(sh_state *st, const json_t *data, char *msg,
			size_t msglen);
/* Set fulfillment_status (and updated_at). */
void sh_order_set_status(sh_state *st, json_t *order, const char *status);
json_t *sh_product_create(sh_state *st, const json_t *data, char *msg,
			  size_t msglen);
/* Set on_hand of sku in a warehouse (NULL = the first); 0 or -1. */
int sh_stock_set(sh_state *st, const char *sku, const char *warehouse_id,
		 int64_t on_hand, char *msg, size_t msglen);
json_t *sh_webhook_create(sh_state *st, const json_t *data, char *msg,
			  size_t msglen);
int sh_webhook_delete(sh_state *st, const char *name, const char *shop);

/*
 * sh_ship - ship an order: packages [{"lines":[{"partner_line_item_id",
 * "quantity"}], "tracking_number"?, "carrier"?, "method"?}] or NULL for
 * everything unshipped in one package.  Creates one Shipment with a label
 * per package, updates the lines and the status, sends one Shipment
 * Update per package.  Returns the shipment (borrowed) or NULL with msg.
 */
json_t *sh_ship(sh_state *st, json_t *order, const json_t *packages, char *msg,
		size_t msglen);
/* Shipments created at or after t: first index (they are in time order). */
size_t sh_shipments_from(sh_state *st, time_t t);

/* Views served for an item of a connection or a single object; new ref. */
json_t *sh_order_view(sh_state *st, json_t *order);
json_t *sh_shipment_view(sh_state *st, json_t *shipment);

int sh_on_delivery(sb_platform *pf, sb_delivery *d, int status,
		   int last_attempt);

/* ---- sh_api.c ----------------------------------------------------------- */

void sh_handle(sb_platform *pf, sb_request *req, sb_response *resp);
void sh_fault_reply(sb_platform *pf, int status, sb_request *req,
		    sb_response *resp);
/* Refill the bucket to now and return the credits left. */
int64_t sh_credits(sh_state *st);
json_t *sh_quota_json(sh_state *st);
/* Issue an access token (control API and auth endpoints). */
const char *sh_token_issue(sh_state *st);

/* ---- sh_control.c ------------------------------------------------------- */

void sh_control(sb_platform *pf, const char *action, sb_request *req,
		sb_response *resp);

#endif
