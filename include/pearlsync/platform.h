/*
 * platform.h - the plug-in contract: what pearlsync knows about one
 * platform, as one const table of operations.
 *
 * Each platform pearlsync talks to (Brightpearl, BigCommerce, ...) is a
 * plug-in under core/platforms/<name>/ that defines a `const
 * ps_platform_ops` and is listed in the registry (core/platforms/
 * registry.c).  The worker, the webhook listener, the HTTP limiter, the
 * command line and the console iterate over the registry and name no
 * platform: everything they need to know about one is a slot below.
 *
 * A plug-in's connector is an opaque pointer to them (`void *conn`): its
 * own struct (ps_bp, ps_bc, ...), made by connect and freed by free.  Its
 * typed operations (orders, contacts, goods-out notes...) are declared in
 * the platform's own public header (pearlsync/brightpearl.h, ...) and
 * used only by the flows that serve it.  JSON and wire formats stay in
 * the plug-in.
 *
 * Contract shared by every slot: a slot may be NULL where its comment
 * says so; a function returns 0 or a negative PS_E* code with an
 * operator-readable ps_error_set() detail that names the platform and
 * never contains a secret.
 */
#ifndef PEARLSYNC_PLATFORM_H
#define PEARLSYNC_PLATFORM_H

#include <stddef.h>
#include <stdint.h>

#include "pearlsync/common.h"
#include "pearlsync/config.h"
#include "pearlsync/http.h"
#include "pearlsync/settings.h"
#include "pearlsync/store.h"

/* ---- settings and setup ------------------------------------------------- */

/* How the console asks for a connection setting. */
typedef enum ps_platform_field_kind {
	PS_PLATFORM_FIELD_TEXT = 0, /* free text */
	PS_PLATFORM_FIELD_SECRET,   /* masked, never shown back */
	PS_PLATFORM_FIELD_URL,      /* a base URL; blank: the default */
} ps_platform_field_kind;

/* One setting of the platform's connection step. */
typedef struct ps_platform_field {
	ps_platform_field_kind kind;
	const char *key;   /* the setting: "bigcommerce.store_hash" */
	const char *label; /* the console's label: "BigCommerce store hash" */
	int required;      /* connect fails with PS_ESETTING without it */
	/*
	 * URL kind only, or NULL: a bare word w typed instead of a URL means
	 * this pattern with w for its one %s (a datacentre:
	 * "https://%s.brightpearlconnect.com").
	 */
	const char *word_url;
	/*
	 * With word_url, or NULL: the words a picker offers, NULL-terminated,
	 * each "word  what it means" ("euw1  Europe").
	 */
	const char *const *words;
} ps_platform_field;

/*
 * A list the console offers as a picker (statuses, warehouses...): the
 * platform's lists_fetch writes it to the store's cache under `kind` as a
 * JSON array of {"id":..., "name":...}.
 */
typedef struct ps_platform_list {
	const char *kind;  /* cache kind: "bp.order_statuses" */
	const char *label; /* "Brightpearl order statuses" */
} ps_platform_list;

/* One item of a list looked up live (ps_platform_ops.lookup_kind). */
typedef struct ps_platform_item {
	char id[24];    /* what a mapping stores: "1008" */
	char code[64];  /* the operator's name for it: a SKU, "" if none */
	char name[128]; /* "Logo mug 350ml", "" if none */
} ps_platform_item;

/* ---- webhooks ------------------------------------------------------------ */

/*
 * One delivery as the listener received it on /webhooks/<name>[/...].
 * Everything is borrowed for the call.
 */
typedef struct ps_webhook_request {
	const char *method; /* "POST", "PUT" */
	const char *path;   /* after "/webhooks/<name>": "" or "/x/y" */
	const char *body;   /* body_len bytes, not NUL-terminated */
	size_t body_len;
	/* a request header's value, or NULL when absent */
	const char *(*header)(void *ctx, const char *name);
	void *header_ctx;
	int64_t now;     /* ms, the listener's clock */
	ps_store *store; /* the listener's own connection, for settings */
} ps_webhook_request;

/* The most object ids one decoded delivery carries. */
#define PS_WEBHOOK_MAX_IDS 200

/*
 * A delivery decoded into what changed: the body is parsed once, here, by
 * the plug-in, and stored as a typed event (ps_store_event_add_typed);
 * flows read these fields and never the body.
 */
typedef struct ps_webhook_event {
	char topic[96];  /* the platform's name for it: "store/order/updated" */
	char object[32]; /* what changed: "order", "goods-out-note", ... */
	int64_t ids[PS_WEBHOOK_MAX_IDS]; /* the objects' ids, each > 0 */
	size_t nids;
	/*
	 * When the platform says the change happened (unix s), 0 when it
	 * does not: a second delivery of one change carries the same value,
	 * so a flow can key its work by it.
	 */
	int64_t changed_at;
	/*
	 * The new value the platform announces with the change (a new
	 * status id), "" when it sends none.
	 */
	char value[64];
} ps_webhook_event;

/* ---- the ops table ------------------------------------------------------- */

typedef struct ps_platform_ops {
	/* Stored in the database: fixed per plug-in, < PS_PLATFORM_MAX. */
	ps_platform id;
	/* "bigcommerce": settings prefix, webhook route, config base_urls. */
	const char *name;
	/* "bc": the command line's short form. */
	const char *code;
	/* "BigCommerce": what operators read. */
	const char *title;
	/*
	 * What check names, for "OK: <title> <noun> <name>": "account",
	 * "store".  NULL: nothing between title and name.
	 */
	const char *check_noun;
	/* The URL used when neither the config file nor a setting names one. */
	const char *default_base_url;
	/*
	 * A boolean setting that switches the platform off ("bigcommerce.
	 * enabled", default on), or NULL.
	 */
	const char *enabled_setting;
	/*
	 * The setting naming the account the API budget belongs to
	 * ("brightpearl.account"); NULL: one budget per platform.
	 */
	const char *account_setting;

	/*
	 * Its own settings, all under "<name>.": they join the catalogue
	 * (settings.h), first, in registry order.
	 */
	const ps_setting_def *settings;
	size_t nsettings;

	/* The connection step of setup: its fields, in order. */
	const ps_platform_field *fields;
	size_t nfields;
	const char *setup_help; /* one line under the step's title */

	/*
	 * connect - build the connector from the settings (and cfg's base
	 * URL) on the shared client into *out.  PS_ESETTING naming the first
	 * missing required setting when it is not configured.
	 */
	int (*connect)(void **out, ps_store *st, const ps_config *cfg,
		       ps_http *http);
	/* free - the connector (NULL is fine). */
	void (*free)(void *conn);
	/*
	 * check - one cheap authenticated request; *out_name (owned) names
	 * the account or store on success.
	 */
	int (*check)(char **out_name, void *conn);

	/*
	 * webhook_accept - verify and decode one delivery (listener thread;
	 * must not call the platform): the route, method and secret or
	 * signature first, then webhook_decode of the body.  0: *out is
	 * filled and the delivery is stored.  Refusals: PS_EAUTH (answered
	 * 401: secret or signature wrong or missing), PS_EINVAL (400:
	 * malformed body, unknown topic), PS_ENOTFOUND (404: no such route).
	 * NULL slot: no webhooks.
	 */
	int (*webhook_accept)(ps_webhook_event *out,
			      const ps_webhook_request *req);
	/*
	 * webhook_decode - the decoding half of webhook_accept, alone: a
	 * delivery's body (len bytes, not NUL-terminated) and the topic it
	 * was stored under ("" or NULL when none) into *out, calling nothing
	 * and checking no secret.  The worker uses it for an event stored
	 * without its decoded form (before events were typed).  PS_EINVAL
	 * (detail says why) when the body names nothing to act on.  NULL
	 * exactly when webhook_accept is.
	 */
	int (*webhook_decode)(ps_webhook_event *out, const char *topic,
			      const char *body, size_t len);
	/*
	 * The body the listener answers a stored delivery with (HTTP 200,
	 * Content-Type application/json), for a platform that expects one
	 * (ShipHero: {"code":"200","Status":"Success"}).  NULL: an empty
	 * 200.
	 */
	const char *webhook_ok_body;
	/*
	 * hooks_sync - make the platform's registered webhooks point at
	 * public_url (the listener's address as the internet sees it, no
	 * trailing /webhooks) carrying the secret the listener checks:
	 * create the missing ones, re-activate deactivated ones.
	 * *out_changed: how many were created or re-activated.  Called by
	 * the worker at start and every few minutes.  NULL slot: nothing to
	 * register (or the flows register their own).
	 */
	int (*hooks_sync)(size_t *out_changed, void *conn, ps_store *st,
			  const char *public_url, int64_t now);

	/*
	 * How the platform meters its API: the limiter's dialect (http.h).
	 * NULL: requests are only paced by Retry-After.
	 */
	const ps_http_dialect *rate;

	/* The console's pickers this platform fills, and the fetcher. */
	const ps_platform_list *lists;
	size_t nlists;
	/*
	 * lists_fetch - fetch every list above into the cache at now;
	 * *out_fetched: how many made it.  Returns the first failure after
	 * trying them all.  NULL slot when nlists is 0.
	 */
	int (*lists_fetch)(size_t *out_fetched, void *conn, ps_store *st,
			   int64_t now);

	/*
	 * A list too long to fetch and cache (Brightpearl's products): its
	 * values are looked up one at a time instead.  A mapping table names
	 * it as its target_list (setup.h) and stores the item's id.  NULL:
	 * none, and the two slots below are NULL too.
	 */
	const char *lookup_kind;
	/*
	 * lookup_search - the items an operator may mean by text (its code
	 * exactly, a name containing it, the id), at most max (0: all),
	 * sorted by id, into *out (*out_n of them; the caller frees the
	 * array).  Request errors as the connector's.
	 */
	int (*lookup_search)(ps_platform_item **out, size_t *out_n, void *conn,
			     const char *text, size_t max);
	/*
	 * lookup_resolve - the one item value names: an id that exists, or
	 * a code only one item has.  *out is that item and how (cap bytes)
	 * says how it was found ("SKU 'X' is Brightpearl product 1008 (...)").
	 * PS_ENOTFOUND or PS_EINVAL with an operator message naming the
	 * candidates when none or several match.
	 */
	int (*lookup_resolve)(ps_platform_item *out, char *how, size_t cap,
			      void *conn, const char *value);
} ps_platform_ops;

/* ---- the registry -------------------------------------------------------- */

/*
 * ps_platforms_all - every registered platform, NULL-terminated, built-in
 * ones first in id order.  Static.
 */
const ps_platform_ops *const *ps_platforms_all(void);

/* ps_platform_ops_of - the plug-in with that id, or NULL. */
const ps_platform_ops *ps_platform_ops_of(ps_platform id);

/* ps_platform_ops_named - the plug-in whose name or code is s, or NULL. */
const ps_platform_ops *ps_platform_ops_named(const char *s);

/*
 * ps_platform_register - add a plug-in that is not built in (a test's).
 * Call before any thread starts.  PS_EINVAL for an id out of range or
 * missing name, code or title; PS_EEXISTS when the id, name or code is
 * taken.
 */
int ps_platform_register(const ps_platform_ops *ops);

/* ---- connections --------------------------------------------------------- */

/*
 * ps_platform_switched_on - non-zero unless ops' enabled setting is set
 * (or defaults) to false in st: a switched-off platform is neither
 * connected nor asked for by the console.
 */
int ps_platform_switched_on(const ps_platform_ops *ops, ps_store *st);

/*
 * The connectors of every configured platform, by id: conn[id] is NULL
 * when that platform is not configured (note[id] then says why).
 */
typedef struct ps_platform_conns {
	void *conn[PS_PLATFORM_MAX];
	char note[PS_PLATFORM_MAX][192];
} ps_platform_conns;

/*
 * ps_platforms_connect - connect every registered platform that is
 * configured and not switched off.  Not being configured is not an
 * error: it is written to note[] (and, with log_mod non-NULL, logged at
 * info under that module).  Returns 0, or PS_ENOMEM.
 */
int ps_platforms_connect(ps_platform_conns *out, ps_store *st,
			 const ps_config *cfg, ps_http *http,
			 const char *log_mod);

/* ps_platforms_disconnect - free every connector and zero *c. */
void ps_platforms_disconnect(ps_platform_conns *c);

#endif
