/*
 * sh_control.c - registration of the ShipHero platform, its demo seed and
 * its control calls under /_sandbox/shiphero/...
 *
 * The control API acts as the warehouse: it ships an order (whole, split
 * into packages, or partly), cancels it, changes stock, and reads the
 * account back for assertions; it also sets the credit bucket and the
 * token clock.  Reset, counters, faults and webhook delivery controls are
 * the framework's.
 */
#include "sh_sim.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MSG_LEN 512

#ifndef SB_SH_SCHEMA
#define SB_SH_SCHEMA "tests/sandbox/shiphero/schema.graphql"
#endif

static void
ctl_error(sb_response *resp, int status, const char *msg)
{
	sb_resp_json(resp, status, json_pack("{s:s}", "error", msg), NULL);
}

static json_t *
array_views(sh_state *st, json_t *arr, int orders)
{
	json_t *out = json_array(), *x;
	size_t i;

	json_array_foreach (arr, i, x) {
		json_t *v =
			orders ? sh_order_view(st, x) : sh_shipment_view(st, x);

		json_object_del(v, "_created");
		json_array_append_new(out, v);
	}
	return out;
}

static json_t *
webhooks_state(sh_state *st)
{
	json_t *out = json_array(), *h;
	size_t i;

	json_array_foreach (st->webhooks, i, h) {
		json_t *v = json_copy(h);

		json_object_del(v, "_secret");
		json_array_append_new(out, v);
	}
	return out;
}

static json_t *
sh_state_json(sb_platform *pf)
{
	sh_state *st = pf->priv;

	return json_pack(
		"{s:O, s:o, s:o, s:O, s:o, s:o, s:I}", "warehouses",
		st->warehouses, "orders", array_views(st, st->orders, 1),
		"shipments", array_views(st, st->shipments, 0), "products",
		st->products, "webhooks", webhooks_state(st), "credits",
		sh_quota_json(st), "tokens_issued", (json_int_t)st->next_token);
}

static void
apply_quota(sh_state *st)
{
	sb_sandbox *sb = st->pf->sb;

	st->credits_max = sb_quota_scale(sb, SH_CREDITS_MAX);
	st->credits_rate = sb_quota_scale(sb, SH_CREDITS_RATE);
	if (st->credits_max > 0 && st->credits_rate <= 0)
		st->credits_rate = 1;
	st->credits = (double)st->credits_max;
	st->credits_at_ms = sb_now_ms();
	st->credits_spent = 0;
}

static void
ctl_order(sh_state *st, const char *rest, sb_request *req, sb_response *resp)
{
	const char *slash = strrchr(rest, '/');
	char poid[256], msg[MSG_LEN];
	json_t *o, *body, *ship;
	size_t n;

	if (slash == NULL) {
		o = sh_order_by_partner(st, rest);
		if (o == NULL)
			ctl_error(resp, 404, "no such order");
		else
			sb_resp_json(resp, 200, sh_order_view(st, o), NULL);
		return;
	}
	n = (size_t)(slash - rest);
	if (n >= sizeof(poid)) {
		ctl_error(resp, 400, "partner_order_id too long");
		return;
	}
	memcpy(poid, rest, n);
	poid[n] = '\0';
	o = sh_order_by_partner(st, poid);
	if (o == NULL) {
		ctl_error(resp, 404, "no such order");
		return;
	}
	if (strcmp(req->method, "POST") != 0) {
		ctl_error(resp, 405, "POST only");
		return;
	}
	if (strcmp(slash + 1, "ship") == 0) {
		body = sb_req_json(req, NULL);
		ship = sh_ship(st, o, json_object_get(body, "packages"), msg,
			       sizeof(msg));
		json_decref(body);
		if (ship == NULL) {
			ctl_error(resp, 422, msg);
			return;
		}
		{
			json_t *v = sh_shipment_view(st, ship);

			json_object_del(v, "_created");
			sb_resp_json(resp, 201, v, NULL);
		}
		return;
	}
	if (strcmp(slash + 1, "cancel") == 0) {
		if (strcmp(sb_json_str(json_object_get(o, "fulfillment_status"),
				       ""),
			   "fulfilled") == 0) {
			ctl_error(resp, 422, "order has shipped");
			return;
		}
		sh_order_set_status(st, o, "canceled");
		sb_resp_json(resp, 200, sh_order_view(st, o), NULL);
		return;
	}
	ctl_error(resp, 404, "unknown order action");
}

static void
ctl_stock(sh_state *st, sb_request *req, sb_response *resp)
{
	json_t *body = sb_req_json(req, NULL);
	char msg[MSG_LEN];
	const char *sku = sb_json_str(json_object_get(body, "sku"), NULL);
	json_t *oh = json_object_get(body, "on_hand");

	if (sku == NULL || !json_is_integer(oh)) {
		json_decref(body);
		ctl_error(resp, 400, "sku and on_hand required");
		return;
	}
	if (sh_stock_set(
		    st, sku,
		    sb_json_str(json_object_get(body, "warehouse_id"), NULL),
		    json_integer_value(oh), msg, sizeof(msg))) {
		json_decref(body);
		ctl_error(resp, 404, msg);
		return;
	}
	sb_resp_json(resp, 200, json_incref(sh_product_by_sku(st, sku)), NULL);
	json_decref(body); /* sku points into it */
}

static void
ctl_credits(sh_state *st, sb_request *req, sb_response *resp)
{
	json_t *reply;

	if (strcmp(req->method, "POST") == 0) {
		json_t *b = sb_req_json(req, NULL), *v;

		if ((v = json_object_get(b, "max_available")) != NULL)
			st->credits_max = sb_json_int(v, SH_CREDITS_MAX);
		if ((v = json_object_get(b, "increment_rate")) != NULL)
			st->credits_rate = sb_json_int(v, SH_CREDITS_RATE);
		sh_credits(st);
		if ((v = json_object_get(b, "credits_remaining")) != NULL)
			st->credits = (double)sb_json_int(v, 0);
		else if (json_object_get(b, "max_available"))
			st->credits = (double)st->credits_max;
		json_decref(b);
	}
	reply = sh_quota_json(st);
	if (reply != NULL)
		json_object_set_new(
			reply, "credits_spent",
			json_integer((json_int_t)st->credits_spent));
	sb_resp_json(resp, 200, reply, NULL);
}

static void
ctl_auth(sh_state *st, sb_request *req, sb_response *resp)
{
	json_t *b = sb_req_json(req, NULL), *v;
	size_t i;

	if ((v = json_object_get(b, "advance_s")) != NULL)
		st->clock_offset += (time_t)sb_json_int(v, 0);
	if ((v = json_object_get(b, "token_ttl_s")) != NULL &&
	    sb_json_int(v, 0) > 0)
		st->token_ttl_s = sb_json_int(v, SH_TOKEN_TTL_S);
	if (json_is_true(json_object_get(b, "expire_all")))
		for (i = 0; i < st->ntokens; i++)
			st->tokens[i].expires = sh_now(st);
	json_decref(b);
	sb_resp_json(resp, 200,
		     json_pack("{s:I, s:I, s:I}", "clock_offset_s",
			       (json_int_t)st->clock_offset, "token_ttl_s",
			       (json_int_t)st->token_ttl_s, "tokens_issued",
			       (json_int_t)st->next_token),
		     NULL);
}

void
sh_control(sb_platform *pf, const char *action, sb_request *req,
	   sb_response *resp)
{
	sh_state *st = pf->priv;

	if (strcmp(action, "state") == 0) {
		sb_resp_json(resp, 200, sh_state_json(pf), NULL);
	} else if (strcmp(action, "orders") == 0) {
		sb_resp_json(resp, 200, array_views(st, st->orders, 1), NULL);
	} else if (strncmp(action, "orders/", 7) == 0) {
		ctl_order(st, action + 7, req, resp);
	} else if (strcmp(action, "shipments") == 0) {
		sb_resp_json(resp, 200, array_views(st, st->shipments, 0),
			     NULL);
	} else if (strcmp(action, "products") == 0) {
		sb_resp_json(resp, 200, json_incref(st->products), NULL);
	} else if (strcmp(action, "webhooks") == 0) {
		sb_resp_json(resp, 200, webhooks_state(st), NULL);
	} else if (strcmp(action, "stock") == 0) {
		ctl_stock(st, req, resp);
	} else if (strcmp(action, "credits") == 0) {
		ctl_credits(st, req, resp);
	} else if (strcmp(action, "auth") == 0) {
		ctl_auth(st, req, resp);
	} else {
		ctl_error(resp, 404, "unknown control call");
	}
}

/* ---- demo seed ---------------------------------------------------------- */

static void
seed_warehouses(sh_state *st)
{
	static const struct {
		int64_t id;
		const char *identifier, *city, *state, *zip;
	} wh[] = {
		{7145, "Primary", "Reno", "NV", "89502"},
		{7146, "East", "Columbus", "OH", "43215"},
	};
	char gid[64];
	size_t i;

	for (i = 0; i < sizeof(wh) / sizeof(wh[0]); i++)
		json_array_append_new(
			st->warehouses,
			json_pack(
				"{s:s, s:I, s:s, s:s, s:b, s:n, s:s, s:s, "
				"s:{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}, "
				"s:n, s:s, s:n}",
				"id",
				sh_gid(gid, sizeof(gid), "Warehouse", wh[i].id),
				"legacy_id", (json_int_t)wh[i].id, "account_id",
				"QWNjb3VudDo0MjIy", "identifier",
				wh[i].identifier, "dynamic_slotting", 0,
				"invoice_email", "phone_number", "5555550100",
				"profile", "default", "address", "name",
				wh[i].identifier, "address1", "1 Depot Road",
				"address2", "", "city", wh[i].city, "state",
				wh[i].state, "country", "US", "zip", wh[i].zip,
				"phone", "5555550100", "return_address",
				"company_name", "Sandbox 3PL",
				"company_alias"));
}

/* The Brightpearl demo SKUs (brightpearl/bp_core.c), stocked in both. */
static const struct {
	const char *sku, *name, *price;
	int primary, east;
} demo_products[] = {
	{"TEE-RED-S", "Classic tee Red S", "19.00", 40, 10},
	{"TEE-RED-M", "Classic tee Red M", "19.00", 55, 12},
	{"TEE-RED-L", "Classic tee Red L", "19.00", 30, 0},
	{"TEE-BLU-M", "Classic tee Blue M", "19.00", 25, 5},
	{"HOOD-GRY-M", "Pullover hoodie Grey M", "49.50", 12, 3},
	{"CAP-BLK", "Baseball cap black", "15.00", 80, 20},
	{"MUG-LOGO", "Logo mug 350ml", "9.95", 120, 40},
	{"BAG-TOTE", "Canvas tote bag", "12.50", 60, 0},
};

void
sh_seed_demo(sh_state *st)
{
	char msg[MSG_LEN];
	size_t i;

	for (i = 0; i < sizeof(demo_products) / sizeof(demo_products[0]); i++) {
		json_t *d = json_pack(
			"{s:s, s:s, s:s, s:s, s:{s:s}, s:[{s:O, s:i}, "
			"{s:O, s:i}]}",
			"sku", demo_products[i].sku, "name",
			demo_products[i].name, "price", demo_products[i].price,
			"barcode", demo_products[i].sku, "dimensions", "weight",
			"0.50", "warehouse_products", "warehouse_id",
			json_object_get(json_array_get(st->warehouses, 0),
					"id"),
			"on_hand", demo_products[i].primary, "warehouse_id",
			json_object_get(json_array_get(st->warehouses, 1),
					"id"),
			"on_hand", demo_products[i].east);

		sh_product_create(st, d, msg, sizeof(msg));
		json_decref(d);
	}
}

/* ---- platform ops ------------------------------------------------------- */

static void
sh_reset(sb_platform *pf, int demo)
{
	sh_state *st = pf->priv;
	const char *tok =
		pf->sb->opt.sh_token ? pf->sb->opt.sh_token : "sandbox-token";

	sh_state_clear(st);
	st->clock_offset = 0;
	st->token_ttl_s = pf->sb->opt.sh_token_ttl_s > 0
				  ? pf->sb->opt.sh_token_ttl_s
				  : SH_TOKEN_TTL_S;
	/*
	 * Tokens issued so far stay valid across a reset (a worker under
	 * test keeps its session, as with a real account); the configured
	 * token (tokens[0]) never expires and is made valid again.
	 */
	if (st->ntokens == 0 && sh_token_issue(st) != NULL) {
		snprintf(st->tokens[0].token, sizeof(st->tokens[0].token), "%s",
			 tok);
		st->next_token = 0;
	}
	if (st->ntokens > 0)
		st->tokens[0].expires = 0;
	apply_quota(st);
	seed_warehouses(st);
	if (demo)
		sh_seed_demo(st);
}

static void
sh_free(sb_platform *pf)
{
	sh_state_free(pf->priv);
}

static const sb_platform_ops sh_ops = {
	"shiphero",     sh_handle,      sh_control,    sh_reset,
	sh_fault_reply, sh_on_delivery, sh_state_json, sh_free};

static void
load_schema(sh_state *st, const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long n;
	gql_errors errs;

	memset(&errs, 0, sizeof(errs));
	if (f == NULL || fseek(f, 0, SEEK_END) || (n = ftell(f)) < 0 ||
	    n > (long)GQL_MAX_SOURCE || fseek(f, 0, SEEK_SET) ||
	    (buf = malloc((size_t)n + 1)) == NULL ||
	    fread(buf, 1, (size_t)n, f) != (size_t)n) {
		snprintf(st->schema_error, sizeof(st->schema_error),
			 "ShipHero schema file not readable (--sh-schema)");
		if (f)
			fclose(f);
		free(buf);
		return;
	}
	fclose(f);
	st->schema = gql_schema_load(buf, (size_t)n, &errs);
	if (st->schema == NULL)
		snprintf(st->schema_error, sizeof(st->schema_error),
			 "ShipHero schema file invalid: %.200s",
			 errs.n ? errs.e[0].message : "?");
	free(buf);
}

void
sb_sh_register(sb_sandbox *sb)
{
	sh_state *st = sh_state_new();
	sb_platform *pf;
	const char *path = sb->opt.sh_schema ? sb->opt.sh_schema : SB_SH_SCHEMA;

	if (st == NULL)
		return;
	pf = sb_platform_add(sb, &sh_ops, st);
	if (pf == NULL) {
		sh_state_free(st);
		return;
	}
	st->pf = pf;
	pf->hook_timeout_ms = 10000; /* reference §8 */
	st->user = sb->opt.sh_user ? sb->opt.sh_user : "sandbox@example.com";
	st->password =
		sb->opt.sh_password ? sb->opt.sh_password : "sandbox-password";
	snprintf(st->refresh_token, sizeof(st->refresh_token), "%s",
		 sb->opt.sh_refresh ? sb->opt.sh_refresh : "sandbox-refresh");
	load_schema(st, path);
	if (st->schema == NULL)
		fprintf(stderr, "pearlsync-sandbox: %s: %s\n", path,
			st->schema_error);
}
