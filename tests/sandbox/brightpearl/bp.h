/*
 * bp.h - shared declarations of the Brightpearl simulator (bp_*.c).
 *
 * bp_core.c owns the state, auth, throttle, envelope, id sets, the search
 * engine, webhooks and the control API; bp_api.c the resource handlers and
 * the route table.  All functions run with the sandbox lock held.
 */
#ifndef PEARLSYNC_SANDBOX_BP_H
#define PEARLSYNC_SANDBOX_BP_H

#include "sandbox.h"

/* Real limits (reference sections in README.md). */
#define BP_QUOTA 200         /* requests per rolling minute (section 4) */
#define BP_IDSET_CAP 200     /* order/product/contact GET cap (section 5) */
#define BP_GON_IDSET_CAP 500 /* goods-out-note GET cap (section 5) */
#define BP_PAGE_MAX 500      /* search pageSize cap (section 6) */

typedef struct bp_state {
	sb_platform *pf;
	sb_window quota;
	/*
	 * How a POST /multi-message is charged against the quota: 0 one
	 * request whatever it holds, 1 one per message (control "config"
	 * multi_message_cost; --bp-multi-message-cost).  Brightpearl's docs
	 * do not say which is true.
	 */
	int multi_per_message;
	int64_t units; /* quota units charged (control "config") */
	int expired;   /* control: bearer tokens answer "expired" */
	/* OAuth (control "auth"; README "OAuth token") */
	int64_t clock_offset_s; /* sandbox time = wall time + this */
	int64_t access_ttl_s;   /* 0: access tokens never expire */
	int64_t initial_exp;    /* --bp-token's expiry, sandbox s; 0 never */
	json_t *access;         /* {"token": expiry in sandbox s, 0 never} */
	char refresh[64];       /* the one refresh token that works */
	int64_t grants;         /* tokens issued, for unique values */
	int require_dev_ref;    /* strictness switch, default 1 */
	int64_t token_hold_ms;  /* token endpoint: hold, then drop */
	json_t *orders;         /* {"id": internal order} (SO and SC) */
	json_t *dup_guard;      /* {"externalRef|iiid": id} */
	json_t *statuses;       /* [status] */
	json_t *contacts;       /* {"id": contact} */
	json_t *addresses;      /* {"id": postal address} */
	json_t *products;       /* {"id": product} */
	/* the product search's rows, built once per change of products
	 * (product_gen moves on every create or edit): a 20,000-product
	 * catalog read page by page is not rebuilt for every page */
	json_t *search_rows;
	unsigned product_gen, search_gen;
	json_t *prices; /* {"productId": [priceList entries]} */
	json_t *stock;  /* {"pid": {"wh": {"inStock","allocated"}}} */
	json_t *warehouses, *channels, *lead_sources, *projects;
	json_t *shipping_methods, *price_lists, *payment_methods, *tax_codes;
	json_t *custom_meta;  /* [sale custom field meta-data] */
	json_t *payments;     /* {"id": payment} */
	json_t *reservations; /* {"orderId": reservation} */
	json_t *gons;         /* {"id": goods-out note} */
	json_t *gins;         /* {"id": goods-in note} (sales credits) */
	json_t *notes;        /* {"noteId": note with orderId} */
	json_t *webhooks;     /* {"id": webhook} */
	json_t *strict;       /* control: {"rule": false} relaxes a rule */
	int64_t next_id[16];  /* per-sequence id counters */
} bp_state;

enum bp_seq {
	BP_SEQ_ORDER,
	BP_SEQ_ROW,
	BP_SEQ_CONTACT,
	BP_SEQ_ADDRESS,
	BP_SEQ_PRODUCT,
	BP_SEQ_PAYMENT,
	BP_SEQ_GON,
	BP_SEQ_NOTE,
	BP_SEQ_WEBHOOK,
	BP_SEQ_STATUS,
	BP_SEQ_MISC,
	BP_SEQ_GIN
};

int64_t bp_next_id(bp_state *bp, enum bp_seq seq);

/* ---- envelope ----------------------------------------------------------- */
#define BP_CTYPE "application/json;charset=UTF-8"
/* 200 {"response": value}; steals value (NULL = {} body). */
void bp_ok(sb_response *resp, json_t *value);
void bp_ok_status(sb_response *resp, int status, json_t *value);
/* {"errors":[{"code","message"}]} with the given status. */
void bp_err(sb_response *resp, int status, const char *code, const char *fmt,
	    ...) __attribute__((format(printf, 4, 5)));
void bp_msgtype(sb_response *resp, const char *name);

/* ---- id sets ------------------------------------------------------------ */
typedef struct bp_idset {
	int all; /* "*" */
	size_t n;
	int64_t lo[1024], hi[1024];
} bp_idset;
/* Parse "1-5,7,9-12" (ascending ranges only) or "*"; 0 on success. */
int bp_idset_parse(bp_idset *set, const char *s);
int bp_idset_has(const bp_idset *set, int64_t id);
/*
 * How many ids set names when its ranges ascend apart (as clients send
 * them), else (size_t)-1 ("*", overlaps): a set smaller than a collection
 * is looked up id by id instead of scanning the collection.
 */
size_t bp_idset_span(const bp_idset *set);
/*
 * Objects of coll (keyed by numeric string id) whose id is in set, in
 * ascending id order, at most cap of them; new reference (array of
 * borrowed-then-increfed objects).
 */
json_t *bp_idset_select(const bp_idset *set, json_t *coll, size_t cap);
/* Same for an array whose items carry the id in field idkey. */
json_t *bp_idset_select_arr(const bp_idset *set, json_t *arr, const char *idkey,
			    size_t cap);

/* ---- search ------------------------------------------------------------- */
typedef struct bp_col {
	const char *name;
	const char *type; /* IDSET, INTEGER, STRING, SEARCH_STRING, ... */
	const char *ref;  /* reference map name or NULL */
} bp_col;
/*
 * Answer a search: rows is an array of full rows (steals), reference the
 * "reference" sibling (steals, NULL = {}).  Applies filters, sort,
 * columns, paging and countOnly from the query.
 */
void bp_search(sb_request *req, sb_response *resp, const bp_col *cols,
	       size_t ncols, json_t *rows, json_t *reference);

/* ---- time and numbers --------------------------------------------------- */
/* Parse ISO-8601 (date or date-time, optional fraction and offset) into
 * epoch ms; 0 on success. */
int bp_parse_time(const char *s, int64_t *out);
/* A JSON number or numeric string as a double; def if neither. */
double bp_num(const json_t *v, double def);
/* "%.4f" as a new JSON string. */
json_t *bp_money(double v);

/* ---- strictness switches ------------------------------------------------ */
/* Is rule name enforced?  Every rule is unless the control call `strict`
 * turned it off (README: rules without a recorded source). */
int bp_strict(bp_state *bp, const char *name);

/* ---- webhooks ----------------------------------------------------------- */
/* Fire an event ("order.modified.order-status") for resource id. */
void bp_fire(bp_state *bp, const char *event, int64_t id);
int bp_event_valid(const char *name);

/* ---- api (bp_api.c) ----------------------------------------------------- */
void bp_api_handle(bp_state *bp, sb_request *req, sb_response *resp,
		   const char *rest);
void bp_seed_demo(bp_state *bp);
void bp_seed_reference(bp_state *bp);
/* Merchant actions shared by the API and the control calls. */
/* A change of order o: updatedOn is now and version goes up by one. */
void bp_order_touch(json_t *o);
int bp_order_set_status(bp_state *bp, json_t *order, int64_t status_id,
			const char *note_text, sb_response *resp);
int64_t bp_note_add(bp_state *bp, int64_t order_id, const char *text,
		    int is_public);
int bp_gon_create(bp_state *bp, json_t *order, json_t *body, sb_response *resp,
		  json_t **ids_out);
int bp_gon_ship(bp_state *bp, json_t *gon, sb_response *resp);
int bp_gon_set_tracking(bp_state *bp, json_t *gon, json_t *shipping,
			sb_response *resp);
void bp_stock_set(bp_state *bp, int64_t pid, int64_t wh, int64_t in_stock);
int64_t bp_product_by_sku(bp_state *bp, const char *sku);
int64_t bp_contact_create(bp_state *bp, json_t *body);
int64_t bp_product_create(bp_state *bp, json_t *body);
json_t *bp_render_order(bp_state *bp, json_t *order);

/* ---- countries (bp_countries.c) ----------------------------------------- */
/* 0 when iso3 is an ISO 3166-1 alpha-3 code, with its alpha-2 code and the
 * simulator's country id; -1 otherwise (a 2-letter code included). */
int bp_country(const char *iso3, const char **iso2, int64_t *id);

#endif
