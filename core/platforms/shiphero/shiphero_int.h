/*
 * shiphero_int.h - what the ShipHero connector's files share: the
 * connector struct, the GraphQL operations (queries.c), the call with its
 * envelope and error mapping and the Relay walk (client.c), the rate
 * dialect (rate.c) and the plug-in's lists (lists.c).
 */
#ifndef PEARLSYNC_SH_INT_H
#define PEARLSYNC_SH_INT_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "pearlsync/http.h"
#include "pearlsync/platform.h"
#include "pearlsync/shiphero.h"
#include "pearlsync/store.h"

#define PS_SH__MOD "shiphero"

struct ps_sh {
	ps_http *http;             /* borrowed */
	char *base_url;            /* without a trailing '/' */
	char *graphql_url;         /* {base}/graphql */
	char *refresh_url;         /* {base}/auth/refresh */
	char *account;             /* limiter key, "" for none */
	char *access_token;        /* secret, NULL until refreshed */
	char *refresh_token;       /* secret or NULL */
	char *auth_header;         /* "Authorization: Bearer ..." (secret) */
	char *customer_account_id; /* or NULL */
	int64_t expires_at;        /* unix s, 0 unknown */
	int page_size;             /* 1..100 */
	ps_sh_send_fn send;
	void *send_ctx;
	ps_sh_tokens_save_fn save;
	void *save_ctx;
	ps_sh_now_fn now;
	void *now_ctx;
	ps_sh_quota quota; /* the last reply's */
};

/*
 * One GraphQL operation: a constant document whose values all travel as
 * variables.  `field` is the root field whose result the caller reads
 * (data.<field>); `cost` is the complexity the limiter reserves before
 * sending it (the bucket must hold it, rate.c); `endpoint` the counter
 * label, "graphql/<field>".
 */
typedef struct ps_sh__op {
	const char *field;
	const char *endpoint;
	const char *query;
	long cost;
	int idempotent; /* a query, or a mutation safe to send twice */
} ps_sh__op;

/* queries.c: every operation pearlsync sends, and their table. */
extern const ps_sh__op ps_sh__op_account;
extern const ps_sh__op ps_sh__op_order_create;
extern const ps_sh__op ps_sh__op_orders_by_partner;
extern const ps_sh__op ps_sh__op_order_cancel;
extern const ps_sh__op ps_sh__op_shipments;
extern const ps_sh__op ps_sh__op_shipment;
extern const ps_sh__op ps_sh__op_shipment_lines;
extern const ps_sh__op ps_sh__op_product;
extern const ps_sh__op ps_sh__op_product_create;
extern const ps_sh__op ps_sh__op_webhooks;
extern const ps_sh__op ps_sh__op_webhook_create;
extern const ps_sh__op ps_sh__op_webhook_delete;
/* NULL-terminated. */
extern const ps_sh__op *const ps_sh__ops[];

/* The operation whose endpoint label is `endpoint`, or NULL. */
const ps_sh__op *ps_sh__op_by_endpoint(const char *endpoint);

/* Nodes per page of the shipments query (its lines multiply the cost). */
#define PS_SH__SHIPMENT_PAGE 10
/* Lines read with each shipment (the query's line_items(first:)). */
#define PS_SH__SHIPMENT_LINES 50

/*
 * ps_sh__call - POST op with vars (stolen; NULL: none) to the GraphQL
 * endpoint: the token refreshed first when it is about to expire and
 * once more after a 401 or an auth error, the credits of the reply
 * recorded, its "errors" mapped (ShipHero's header comment: PS_EDATA,
 * PS_ENOTFOUND for an unknown id, PS_EEXISTS for a duplicate,
 * PS_ERATELIMIT "throttled, retry after N s").  On success *out (new
 * reference) is the result of data.<op->field>, never NULL.
 */
int ps_sh__call(json_t **out, ps_sh *sh, const ps_sh__op *op, json_t *vars);

/*
 * ps_sh__walk - run op page after page: vars (borrowed; gets "first" and
 * "after" set) and the connection at data.<field>.<path> (path NULL:
 * "data"); fn is called for every node (borrowed for the call); non-zero
 * from fn stops the walk and is returned.  One page is held at a time.
 * after (or NULL) is the cursor to start from.
 */
typedef int (*ps_sh__node_fn)(void *ctx, const json_t *node);
int ps_sh__walk_from(ps_sh *sh, const ps_sh__op *op, json_t *vars,
		     const char *path, int first, const char *after,
		     ps_sh__node_fn fn, void *ctx);
int ps_sh__walk(ps_sh *sh, const ps_sh__op *op, json_t *vars, int first,
		ps_sh__node_fn fn, void *ctx);

/* The operator-readable name of an object: "ShipHero order X". */
#define PS_SH__WHAT_MAX 160

/*
 * ps_sh__set_customer - set "customer_account_id" in obj (an input, or
 * the variables of a query that declares it) when the connector acts for
 * a 3PL customer.  Returns 0 or PS_ENOMEM.
 */
int ps_sh__set_customer(const ps_sh *sh, json_t *obj);

/* Unix s of a ShipHero date ("2024-12-18T10:56:15", UTC), 0 if none. */
int64_t ps_sh__date(const char *s);
/* Format unix s as "YYYY-mm-ddTHH:MM:SS" into out (>= 20 bytes). */
void ps_sh__date_format(char *out, size_t cap, int64_t t);

/* Owned copy of a string field (NULL when missing, null or ""). */
int ps_sh__dup(char **out, const json_t *obj, const char *key);

/* Set key to amount as a decimal string ("12.50"). */
int ps_sh__set_money(json_t *obj, const char *key, ps_money amount);

/* rate.c: how ShipHero meters its API (credits in each reply's body). */
extern const ps_http_dialect ps_sh__rate_dialect;

/*
 * rate.c: the throttle seconds a reply asks for (its out-of-credits
 * error's time_remaining), or -1 when it is no throttle.
 */
long ps_sh__throttle_seconds(const char *body, size_t len);

/* rate.c: the reply's extensions.throttling into *q; 1 when it had them. */
int ps_sh__quota_read(ps_sh_quota *q, const char *body, size_t len);

/* lists.c: the console's pickers. */
#define PS_SH__NLISTS 1
extern const ps_platform_list ps_sh__lists[PS_SH__NLISTS];
int ps_sh__lists_fetch(size_t *out_fetched, void *conn, ps_store *st,
		       int64_t now);

/* webhooks.c: the plug-in's webhook_accept and webhook_decode. */
int ps_sh__webhook_accept(ps_webhook_event *out, const ps_webhook_request *req);
int ps_sh__webhook_decode(ps_webhook_event *out, const char *topic,
			  const char *body, size_t len);

/* hooks.c: the plug-in's hooks_sync (platform.h). */
int ps_sh__hooks_sync(size_t *out_changed, void *conn, ps_store *st,
		      const char *public_url, int64_t now);

/*
 * The shipment's node into *out; its lines past the first page are read
 * with the ShipmentLines query.
 */
int ps_sh__shipment_read(ps_sh_shipment *out, ps_sh *sh, const json_t *node);
/* An order node into *out. */
int ps_sh__order_parse(ps_sh_order *out, const json_t *node);

#endif
