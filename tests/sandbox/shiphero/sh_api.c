/*
 * sh_api.c - ShipHero's public API: /auth/token, /auth/refresh and
 * /graphql.
 *
 * A GraphQL request is parsed and validated against the schema file
 * (gql.h); its estimated complexity is checked against the credit bucket
 * (reference §4) and then each root field is resolved to JSON from the
 * store and projected through the selection.  A field whose type is a
 * *Connection is served from an array with Relay paging (first, after,
 * last, before; offset cursors "arrayconnection:N", at most 100 a page).
 * Every reply carries extensions.throttling (reference §3).
 */
#include "sh_sim.h"

#include "bigcommerce/bc_sim.h" /* bc_base64 */

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MSG_LEN 512

/* Extra credits per field (reference §4: documented costs). */
static const gql_cost_rule cost_rules[] = {
	{"WarehouseProduct", "available", 30},
	{"WarehouseProduct", "sell_ahead", 15},
};

/* ---- credits ------------------------------------------------------------ */

int64_t
sh_credits(sh_state *st)
{
	int64_t now = sb_now_ms();

	if (st->credits_max <= 0)
		return 1000000000;
	if (st->credits_at_ms == 0)
		st->credits_at_ms = now;
	st->credits += (double)(now - st->credits_at_ms) / 1000.0 *
		       (double)st->credits_rate;
	st->credits_at_ms = now;
	if (st->credits > (double)st->credits_max)
		st->credits = (double)st->credits_max;
	return (int64_t)st->credits;
}

json_t *
sh_quota_json(sh_state *st)
{
	int64_t left = sh_credits(st);

	return json_pack("{s:I, s:I, s:I}", "credits_remaining",
			 (json_int_t)left, "max_available",
			 (json_int_t)(st->credits_max > 0 ? st->credits_max
							  : 1000000000),
			 "increment_rate",
			 (json_int_t)(st->credits_max > 0 ? st->credits_rate
							  : 1000000000));
}

/* ---- tokens ------------------------------------------------------------- */

static void
b64url(char *out, size_t outlen, const char *in)
{
	char *p;

	bc_base64(out, outlen, (const unsigned char *)in, strlen(in));
	for (p = out; *p; p++) {
		if (*p == '+')
			*p = '-';
		else if (*p == '/')
			*p = '_';
		else if (*p == '=') {
			*p = '\0';
			break;
		}
	}
}

const char *
sh_token_issue(sh_state *st)
{
	sh_token *t;
	char payload[256], h64[96], p64[400];
	time_t now = sh_now(st);

	if (st->ntokens < SH_MAX_TOKENS && st->ntokens == st->cap_tokens) {
		size_t cap = st->cap_tokens ? st->cap_tokens * 2 : 16;
		sh_token *n = realloc(st->tokens, cap * sizeof(*n));

		if (n == NULL)
			return NULL;
		st->tokens = n;
		st->cap_tokens = cap;
	}
	/* at most SH_MAX_TOKENS live: later ones replace the oldest issued
	 * (slot 0, the configured token, stays) */
	if (st->ntokens >= SH_MAX_TOKENS)
		t = &st->tokens[1 +
				(size_t)st->next_token % (SH_MAX_TOKENS - 1)];
	else
		t = &st->tokens[st->ntokens++];
	/* shaped like the real RS256 JWT (reference §2), not signed */
	snprintf(payload, sizeof(payload),
		 "{\"iss\":\"https://shiphero.auth0.com/\",\"aud\":"
		 "\"shiphero-public-api\",\"gty\":\"password\",\"scope\":"
		 "\"email profile offline_access\",\"iat\":%lld,\"exp\":%lld,"
		 "\"jti\":\"sandbox-%lld\"}",
		 (long long)now, (long long)(now + st->token_ttl_s),
		 (long long)++st->next_token);
	b64url(h64, sizeof(h64), "{\"alg\":\"RS256\",\"typ\":\"JWT\"}");
	b64url(p64, sizeof(p64), payload);
	snprintf(t->token, sizeof(t->token), "%s.%s.sandbox", h64, p64);
	t->expires = now + st->token_ttl_s;
	return t->token;
}

/* 0 valid, 1 expired, -1 unknown. */
static int
token_check(sh_state *st, const char *token)
{
	size_t i;

	for (i = 0; i < st->ntokens; i++) {
		if (strcmp(st->tokens[i].token, token) != 0)
			continue;
		if (st->tokens[i].expires != 0 &&
		    sh_now(st) >= st->tokens[i].expires)
			return 1;
		return 0;
	}
	return -1;
}

static void
auth_error(sb_response *resp, const char *error, const char *desc)
{
	sb_resp_json(resp, 401,
		     json_pack("{s:s, s:s}", "error", error,
			       "error_description", desc),
		     NULL);
}

static void
auth_token(sh_state *st, sb_request *req, sb_response *resp)
{
	json_t *in = sb_req_json(req, NULL);
	const char *u = sb_json_str(json_object_get(in, "username"), NULL);
	const char *p = sb_json_str(json_object_get(in, "password"), NULL);
	const char *tok;

	req->endpoint = "POST auth/token";
	if (u == NULL || p == NULL || strcmp(u, st->user) != 0 ||
	    strcmp(p, st->password) != 0) {
		json_decref(in);
		auth_error(resp, "invalid_grant", "Wrong email or password.");
		return;
	}
	json_decref(in);
	tok = sh_token_issue(st);
	sb_resp_json(resp, 200,
		     json_pack("{s:s, s:s, s:s, s:I, s:s}", "access_token",
			       tok ? tok : "", "refresh_token",
			       st->refresh_token, "scope",
			       "openid profile offline_access", "expires_in",
			       (json_int_t)st->token_ttl_s, "token_type",
			       "Bearer"),
		     NULL);
}

static void
auth_refresh(sh_state *st, sb_request *req, sb_response *resp)
{
	json_t *in = sb_req_json(req, NULL);
	const char *r = sb_json_str(json_object_get(in, "refresh_token"), NULL);
	const char *tok;

	req->endpoint = "POST auth/refresh";
	if (r == NULL || strcmp(r, st->refresh_token) != 0) {
		json_decref(in);
		auth_error(resp, "invalid_grant",
			   "Unknown or invalid "
			   "refresh token.");
		return;
	}
	json_decref(in);
	tok = sh_token_issue(st);
	sb_resp_json(resp, 200,
		     json_pack("{s:s, s:I, s:s}", "access_token",
			       tok ? tok : "", "expires_in",
			       (json_int_t)st->token_ttl_s, "token_type",
			       "Bearer"),
		     NULL);
}

/* ---- execution context -------------------------------------------------- */

typedef struct exec {
	sh_state *st;
	const gql_doc *doc;
	const json_t *vars;
	const char *root; /* current root field name */
	int64_t items;    /* nodes served in connections of this root */
	json_t *errors;   /* array */
	char request_id[32];
	int64_t visits;
} exec;

static json_t *project_sel(exec *x, const gql_tdef *type, const gql_sel *sel,
			   json_t *src, json_t *out, int depth);

static int
ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);

	return a >= b && strcmp(s + a - b, suffix) == 0;
}

static void add_error(exec *x, const char *field, int code, const char *fmt,
		      ...) __attribute__((format(printf, 4, 5)));

static void
add_error(exec *x, const char *field, int code, const char *fmt, ...)
{
	char msg[MSG_LEN];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	json_array_append_new(x->errors,
			      json_pack("{s:s, s:s, s:s, s:s, s:i}", "message",
					msg, "operation", x->root, "field",
					field, "request_id", x->request_id,
					"code", code));
}

/* The view of one stored object for projection; new reference. */
static json_t *
view_of(exec *x, const gql_tdef *type, json_t *item)
{
	if (strcmp(type->name, "Order") == 0)
		return sh_order_view(x->st, item);
	if (strcmp(type->name, "Shipment") == 0)
		return sh_shipment_view(x->st, item);
	return json_incref(item);
}

static const gql_tdef *
field_type(exec *x, const gql_tdef *parent, const char *name)
{
	const gql_fdef *f = gql_tdef_field(parent, name);

	return f ? gql_schema_type(x->st->schema, gql_type_base(f->type))
		 : NULL;
}

static int64_t
cursor_offset(const char *c)
{
	char raw[64];
	int64_t v;

	if (c == NULL || strlen(c) > 80 || sh_unbase64(c, raw, sizeof(raw)) ||
	    strncmp(raw, "arrayconnection:", 16) != 0 ||
	    sb_parse_int(raw + 16, &v) || v < 0)
		return -1;
	return v;
}

static json_t *
cursor_json(int64_t off)
{
	char raw[48], out[80];
	int n = snprintf(raw, sizeof(raw), "arrayconnection:%lld",
			 (long long)off);

	bc_base64(out, sizeof(out), (const unsigned char *)raw, (size_t)n);
	return json_string(out);
}

static int64_t
int_arg(exec *x, const gql_sel *f, const char *name, int64_t def)
{
	json_t *v = gql_arg_json(f, name, x->vars);
	int64_t r = json_is_integer(v) ? json_integer_value(v) : def;

	json_decref(v);
	return r;
}

static char *
str_arg(exec *x, const gql_sel *f, const char *name)
{
	json_t *v = gql_arg_json(f, name, x->vars);
	char *r = json_is_string(v) ? strdup(json_string_value(v)) : NULL;

	json_decref(v);
	return r;
}

/*
 * A connection from an array of stored objects: page it, build
 * {pageInfo, edges[{cursor, node}]} with views of the page's items only,
 * and project the field's selection through it.
 */
static json_t *
project_connection(exec *x, const gql_tdef *ctype, const gql_sel *f,
		   json_t *arr, int depth)
{
	const gql_tdef *etype = field_type(x, ctype, "edges");
	const gql_tdef *ntype = etype ? field_type(x, etype, "node") : NULL;
	int64_t n = (int64_t)json_array_size(arr);
	int64_t first = int_arg(x, f, "first", INT64_MIN);
	int64_t last = int_arg(x, f, "last", INT64_MIN);
	char *after = str_arg(x, f, "after"), *before = str_arg(x, f, "before");
	int64_t lo = 0, hi = n, i;
	json_t *conn, *edges, *out;

	if ((first != INT64_MIN && first < 0) ||
	    (last != INT64_MIN && last < 0)) {
		add_error(x, f->name, 3,
			  "first and last can't be negative values");
		free(after);
		free(before);
		return json_null();
	}
	if (after) {
		int64_t o = cursor_offset(after);

		if (o < 0) {
			add_error(x, f->name, 3, "Invalid cursor %.60s", after);
			free(after);
			free(before);
			return json_null();
		}
		lo = o + 1 < n ? o + 1 : n;
	}
	if (before) {
		int64_t o = cursor_offset(before);

		if (o >= 0 && o < hi)
			hi = o;
	}
	if (hi < lo)
		hi = lo;
	if (first == INT64_MIN && last == INT64_MIN)
		first = SH_PAGE_MAX;
	if (first > SH_PAGE_MAX)
		first = SH_PAGE_MAX;
	if (last > SH_PAGE_MAX)
		last = SH_PAGE_MAX;
	if (first >= 0 && hi - lo > first)
		hi = lo + first;
	if (last >= 0 && hi - lo > last)
		lo = hi - last;
	edges = json_array();
	for (i = lo; i < hi; i++) {
		json_t *item = json_array_get(arr, (size_t)i);
		json_t *node =
			ntype ? view_of(x, ntype, item) : json_incref(item);

		json_array_append_new(edges,
				      json_pack("{s:o, s:o}", "node", node,
						"cursor", cursor_json(i)));
	}
	x->items += hi - lo;
	conn = json_pack(
		"{s:{s:b, s:b, s:o, s:o}, s:o}", "pageInfo", "hasNextPage",
		hi<n, "hasPreviousPage", lo> 0, "startCursor",
		hi > lo ? cursor_json(lo) : json_null(), "endCursor",
		hi > lo ? cursor_json(hi - 1) : json_null(), "edges", edges);
	out = json_object();
	project_sel(x, ctype, f->sub, conn, out, depth + 1);
	json_decref(conn);
	free(after);
	free(before);
	return out;
}

static json_t *
project_value(exec *x, const gql_tdef *ft, const gql_sel *f, json_t *v,
	      int depth)
{
	if (v == NULL || json_is_null(v))
		return json_null();
	if (ft == NULL || f->sub == NULL ||
	    (ft->kind != GQL_T_OBJECT && ft->kind != GQL_T_INTERFACE))
		return json_incref(v);
	if (json_is_array(v)) {
		json_t *out = json_array(), *it;
		size_t i;

		json_array_foreach (v, i, it) {
			json_array_append_new(
				out, project_value(x, ft, f, it, depth + 1));
		}
		return out;
	}
	if (!json_is_object(v))
		return json_null();
	{
		json_t *out = json_object();

		project_sel(x, ft, f->sub, v, out, depth + 1);
		return out;
	}
}

static json_t *
project_sel(exec *x, const gql_tdef *type, const gql_sel *sel, json_t *src,
	    json_t *out, int depth)
{
	const gql_sel *s;

	if (depth > GQL_MAX_DEPTH * 3)
		return out;
	for (s = sel; s; s = s->next) {
		if (++x->visits > 1000000)
			return out;
		if (s->kind == GQL_S_FIELD) {
			const char *key = s->alias ? s->alias : s->name;
			const gql_tdef *ft;
			json_t *v;

			if (strcmp(s->name, "__typename") == 0) {
				json_object_set_new(out, key,
						    json_string(type->name));
				continue;
			}
			ft = field_type(x, type, s->name);
			v = json_object_get(src, s->name);
			if (ft && ends_with(ft->name, "Connection") && s->sub) {
				json_object_set_new(
					out, key,
					json_is_array(v)
						? project_connection(x, ft, s,
								     v, depth)
						: json_null());
				continue;
			}
			json_object_set_new(out, key,
					    project_value(x, ft, s, v, depth));
		} else if (s->kind == GQL_S_INLINE) {
			if (s->type_cond == NULL ||
			    strcmp(s->type_cond, type->name) == 0 ||
			    gql_schema_type(x->st->schema, s->type_cond)
					    ->kind == GQL_T_INTERFACE)
				project_sel(x, type, s->sub, src, out,
					    depth + 1);
		} else {
			const gql_frag *fr = gql_fragment(x->doc, s->name);

			if (fr && (strcmp(fr->type_cond, type->name) == 0 ||
				   gql_schema_type(x->st->schema, fr->type_cond)
						   ->kind == GQL_T_INTERFACE))
				project_sel(x, type, fr->sel, src, out,
					    depth + 1);
		}
	}
	return out;
}

/* ---- root fields -------------------------------------------------------- */

/* The argument "data" of a mutation, as an object; new reference. */
static json_t *
data_arg(exec *x, const gql_sel *f)
{
	json_t *d = gql_arg_json(f, "data", x->vars);

	if (!json_is_object(d)) {
		json_decref(d);
		d = json_object();
	}
	return d;
}

static int
match_str(const json_t *o, const char *key, const char *want)
{
	return want == NULL ||
	       strcmp(sb_json_str(json_object_get(o, key), ""), want) == 0;
}

static int
in_range(const json_t *o, const char *key, const char *from, const char *to)
{
	time_t t, a;

	if (from == NULL && to == NULL)
		return 1;
	if (sh_parse_date(sb_json_str(json_object_get(o, key), NULL), &t))
		return 0;
	if (from && sh_parse_date(from, &a) == 0 && t < a)
		return 0;
	if (to && sh_parse_date(to, &a) == 0 && t > a)
		return 0;
	return 1;
}

static json_t *
q_orders(exec *x, const gql_sel *f)
{
	sh_state *st = x->st;
	char *poid = str_arg(x, f, "partner_order_id");
	char *num = str_arg(x, f, "order_number");
	char *fs = str_arg(x, f, "fulfillment_status");
	char *shop = str_arg(x, f, "shop_name");
	char *uf = str_arg(x, f, "updated_from"),
	     *ut = str_arg(x, f, "updated_to");
	char *of = str_arg(x, f, "order_date_from");
	char *ot = str_arg(x, f, "order_date_to");
	char *sku = str_arg(x, f, "sku");
	char *wh = str_arg(x, f, "warehouse_id");
	json_t *arr = json_array(), *o;
	size_t i;

	if (poid) {
		o = sh_order_by_partner(st, poid);
		if (o)
			json_array_append(arr, o);
	} else {
		json_array_foreach (st->orders, i, o) {
			if (!match_str(o, "order_number", num) ||
			    !match_str(o, "fulfillment_status", fs) ||
			    !match_str(o, "shop_name", shop) ||
			    !in_range(o, "updated_at", uf, ut) ||
			    !in_range(o, "order_date", of, ot))
				continue;
			if (sku || wh) {
				json_t *l;
				size_t j;
				int hit = 0;

				json_array_foreach (
					json_object_get(o, "line_items"), j, l)
					hit |= match_str(l, "sku", sku) &&
					       match_str(l, "warehouse_id", wh);
				if (!hit)
					continue;
			}
			json_array_append(arr, o);
		}
	}
	free(poid);
	free(num);
	free(fs);
	free(shop);
	free(uf);
	free(ut);
	free(of);
	free(ot);
	free(sku);
	free(wh);
	return json_pack("{s:o}", "data", arr);
}

static json_t *
q_order(exec *x, const gql_sel *f)
{
	char *id = str_arg(x, f, "id");
	json_t *o = sh_order_find(x->st, id);

	if (o == NULL) {
		add_error(x, "data", 3, "Invalid id %.80s", id ? id : "");
		free(id);
		return json_pack("{s:n}", "data");
	}
	free(id);
	return json_pack("{s:o}", "data", sh_order_view(x->st, o));
}

static json_t *
q_shipments(exec *x, const gql_sel *f)
{
	sh_state *st = x->st;
	char *from = str_arg(x, f, "date_from"), *to = str_arg(x, f, "date_to");
	char *oid = str_arg(x, f, "order_id");
	char *tn = str_arg(x, f, "tracking_number");
	json_t *arr = json_array(), *s, *bad = NULL;
	time_t t0 = 0, t1 = 0;
	size_t i;

	if ((from && sh_parse_date(from, &t0)) ||
	    (to && sh_parse_date(to, &t1))) {
		add_error(x, "data", 3, "Invalid date %.60s",
			  from && sh_parse_date(from, &t0) ? from : to);
		bad = json_pack("{s:n}", "data");
		goto out;
	}
	if (oid) {
		json_t *o = sh_order_find(st, oid), *idx;

		if (o == NULL) {
			add_error(x, "data", 3, "Invalid id %.80s", oid);
			bad = json_pack("{s:n}", "data");
			goto out;
		}
		json_array_foreach (json_object_get(o, "_shipments"), i, idx) {
			json_array_append(
				arr, json_array_get(
					     st->shipments,
					     (size_t)json_integer_value(idx)));
		}
	} else {
		for (i = from ? sh_shipments_from(st, t0) : 0;
		     i < json_array_size(st->shipments); i++) {
			s = json_array_get(st->shipments, i);
			if (to && sb_json_int(json_object_get(s, "_created"),
					      0) > (int64_t)t1)
				break;
			if (tn) {
				json_t *lab;
				size_t j;
				int hit = 0;

				json_array_foreach (
					json_object_get(s, "shipping_labels"),
					j, lab)
					hit |= match_str(lab, "tracking_number",
							 tn);
				if (!hit)
					continue;
			}
			json_array_append(arr, s);
		}
	}
out:
	free(from);
	free(to);
	free(oid);
	free(tn);
	if (bad) {
		json_decref(arr);
		return bad;
	}
	return json_pack("{s:o}", "data", arr);
}

static json_t *
q_shipment(exec *x, const gql_sel *f)
{
	char *id = str_arg(x, f, "id");
	int64_t legacy = sh_legacy_of(id, "Shipment");
	json_t *s;
	size_t i;

	json_array_foreach (x->st->shipments, i, s) {
		if (sb_json_int(json_object_get(s, "legacy_id"), -2) ==
		    legacy) {
			free(id);
			return json_pack("{s:o}", "data",
					 sh_shipment_view(x->st, s));
		}
	}
	add_error(x, "data", 3, "Invalid id %.80s", id ? id : "");
	free(id);
	return json_pack("{s:n}", "data");
}

static json_t *
q_products(exec *x, const gql_sel *f)
{
	char *sku = str_arg(x, f, "sku");
	json_t *arr = json_array(), *p;
	size_t i;

	if (sku) {
		p = sh_product_by_sku(x->st, sku);
		if (p)
			json_array_append(arr, p);
	} else {
		json_array_foreach (x->st->products, i, p)
			json_array_append(arr, p);
	}
	free(sku);
	return json_pack("{s:o}", "data", arr);
}

static json_t *
q_product(exec *x, const gql_sel *f)
{
	char *sku = str_arg(x, f, "sku"), *id = str_arg(x, f, "id");
	json_t *p = NULL, *it;
	size_t i;

	if (sku)
		p = sh_product_by_sku(x->st, sku);
	else if (id) {
		int64_t legacy = sh_legacy_of(id, "Product");

		json_array_foreach (x->st->products, i, it)
			if (sb_json_int(json_object_get(it, "legacy_id"), -2) ==
			    legacy)
				p = it;
	}
	if (p == NULL)
		add_error(x, "data", 5, "Not found");
	free(sku);
	free(id);
	return json_pack("{s:O?}", "data", p);
}

static json_t *
q_warehouse_products(exec *x, const gql_sel *f)
{
	char *sku = str_arg(x, f, "sku"), *wh = str_arg(x, f, "warehouse_id");
	json_t *arr = json_array(), *p, *wp;
	size_t i, j;

	json_array_foreach (x->st->products, i, p) {
		if (sku && !match_str(p, "sku", sku))
			continue;
		json_array_foreach (json_object_get(p, "warehouse_products"), j,
				    wp) {
			json_t *v;

			if (wh && !match_str(wp, "warehouse_id", wh))
				continue;
			v = json_copy(wp);
			json_object_set(v, "product", p);
			json_array_append_new(arr, v);
		}
	}
	free(sku);
	free(wh);
	return json_pack("{s:o}", "data", arr);
}

static json_t *
q_account(exec *x, const gql_sel *f)
{
	(void)f;
	return json_pack("{s:{s:s, s:I, s:s, s:s, s:s, s:b, s:b, s:O}}", "data",
			 "id", "QWNjb3VudDo0MjIy", "legacy_id",
			 (json_int_t)SH_ACCOUNT_ID, "email", x->st->user,
			 "username", x->st->user, "status", "active",
			 "is_multi_warehouse", 1, "is_3pl", 0, "warehouses",
			 x->st->warehouses);
}

static json_t *
q_webhooks(exec *x, const gql_sel *f)
{
	json_t *arr = json_array(), *h;
	size_t i;

	(void)f;
	json_array_foreach (x->st->webhooks, i, h) {
		json_t *v = json_copy(h);

		/* the secret is served only by webhook_create */
		json_object_del(v, "_secret");
		json_object_set_new(v, "shared_signature_secret", json_null());
		json_array_append_new(arr, v);
	}
	return json_pack("{s:o}", "data", arr);
}

static json_t *
m_order_create(exec *x, const gql_sel *f)
{
	json_t *d = data_arg(x, f), *o;
	char msg[MSG_LEN];

	o = sh_order_create(x->st, d, msg, sizeof(msg));
	json_decref(d);
	if (o == NULL) {
		add_error(x, "order", 3, "%s", msg);
		return json_pack("{s:n}", "order");
	}
	return json_pack("{s:o}", "order", sh_order_view(x->st, o));
}

static json_t *
m_order_status(exec *x, const gql_sel *f, const char *force_status)
{
	json_t *d = data_arg(x, f), *o;
	const char *id = sb_json_str(json_object_get(d, "order_id"), "");
	const char *status =
		force_status
			? force_status
			: sb_json_str(json_object_get(d, "fulfillment_status"),
				      "");

	o = sh_order_find(x->st, id);
	if (o == NULL) {
		add_error(x, "order", 3, "Invalid id %.80s", id);
		json_decref(d);
		return json_pack("{s:n}", "order");
	}
	if (force_status &&
	    strcmp(sb_json_str(json_object_get(o, "fulfillment_status"), ""),
		   "fulfilled") == 0 &&
	    !json_is_true(json_object_get(d, "force"))) {
		add_error(x, "order", 3,
			  "Order %.80s has already shipped and can't be "
			  "canceled",
			  id);
		json_decref(d);
		return json_pack("{s:n}", "order");
	}
	sh_order_set_status(x->st, o, status);
	json_decref(d);
	return json_pack("{s:o}", "order", sh_order_view(x->st, o));
}

static json_t *
m_product_create(exec *x, const gql_sel *f)
{
	json_t *d = data_arg(x, f), *p;
	char msg[MSG_LEN];

	p = sh_product_create(x->st, d, msg, sizeof(msg));
	json_decref(d);
	if (p == NULL) {
		add_error(x, "product", 3, "%s", msg);
		return json_pack("{s:n}", "product");
	}
	return json_pack("{s:O}", "product", p);
}

static json_t *
m_webhook_create(exec *x, const gql_sel *f)
{
	json_t *d = data_arg(x, f), *h, *v;
	char msg[MSG_LEN];

	h = sh_webhook_create(x->st, d, msg, sizeof(msg));
	json_decref(d);
	if (h == NULL) {
		add_error(x, "webhook", 3, "%s", msg);
		return json_pack("{s:n}", "webhook");
	}
	v = json_copy(h);
	json_object_set(v, "shared_signature_secret",
			json_object_get(h, "_secret"));
	json_object_del(v, "_secret");
	return json_pack("{s:o}", "webhook", v);
}

static json_t *
m_webhook_delete(exec *x, const gql_sel *f)
{
	json_t *d = data_arg(x, f);
	const char *name = sb_json_str(json_object_get(d, "name"), "");

	if (sh_webhook_delete(
		    x->st, name,
		    sb_json_str(json_object_get(d, "shop_name"), NULL)))
		add_error(x, "webhook_delete", 5, "Webhook %.80s not found",
			  name);
	json_decref(d);
	return json_object();
}

typedef json_t *(*root_fn)(exec *x, const gql_sel *f);

static const struct root {
	const char *op, *name;
	root_fn fn;
} roots[] = {
	{"query", "orders", q_orders},
	{"query", "order", q_order},
	{"query", "shipments", q_shipments},
	{"query", "shipment", q_shipment},
	{"query", "products", q_products},
	{"query", "product", q_product},
	{"query", "warehouse_products", q_warehouse_products},
	{"query", "account", q_account},
	{"query", "webhooks", q_webhooks},
	{"mutation", "order_create", m_order_create},
	{"mutation", "product_create", m_product_create},
	{"mutation", "webhook_create", m_webhook_create},
	{"mutation", "webhook_delete", m_webhook_delete},
};

static json_t *
run_root(exec *x, const gql_op *op, const gql_sel *f)
{
	size_t i;

	if (strcmp(op->kind, "mutation") == 0 &&
	    strcmp(f->name, "order_update_fulfillment_status") == 0)
		return m_order_status(x, f, NULL);
	if (strcmp(op->kind, "mutation") == 0 &&
	    strcmp(f->name, "order_cancel") == 0)
		return m_order_status(x, f, "canceled");
	for (i = 0; i < sizeof(roots) / sizeof(roots[0]); i++)
		if (strcmp(roots[i].op, op->kind) == 0 &&
		    strcmp(roots[i].name, f->name) == 0)
			return roots[i].fn(x, f);
	add_error(x, f->name, 9, "%s is not served by the sandbox", f->name);
	return NULL;
}

/* ---- the GraphQL endpoint ----------------------------------------------- */

static json_t *
errors_json(const gql_errors *errs)
{
	json_t *arr = json_array();
	size_t i;

	for (i = 0; i < errs->n; i++) {
		json_t *e = json_pack("{s:s}", "message", errs->e[i].message);

		if (errs->e[i].line > 0)
			json_object_set_new(e, "locations",
					    json_pack("[{s:i, s:i}]", "line",
						      errs->e[i].line, "column",
						      errs->e[i].col));
		json_array_append_new(arr, e);
	}
	return arr;
}

static void
gql_refusal(sb_response *resp, const gql_errors *errs)
{
	sb_resp_json(resp, 400, json_pack("{s:o}", "errors", errors_json(errs)),
		     NULL);
}

/* Bearer check for /graphql: 0 when the token is good, else the 401 is
 * in resp. */
static int
authorize(sh_state *st, sb_request *req, sb_response *resp)
{
	const char *auth = sb_req_header(req, "Authorization");
	int rc = -1;

	if (auth != NULL && strncmp(auth, "Bearer ", 7) == 0)
		rc = token_check(st, auth + 7);
	if (rc == 0)
		return 0;
	req->endpoint = "unauthorized";
	sb_resp_json(resp, 401,
		     json_pack("{s:[{s:s, s:i}]}", "errors", "message",
			       rc > 0 ? "The access token has expired"
				      : "Invalid token",
			       "code", 401),
		     NULL);
	return -1;
}

/*
 * Read the request body into a validated document, the operation to run
 * and its coerced variables (*vars, new reference).  NULL with the 400
 * refusal in resp.
 */
static const gql_op *
read_request(sh_state *st, const json_t *body, gql_doc **doc, json_t **vars,
	     sb_response *resp)
{
	const char *query = sb_json_str(json_object_get(body, "query"), NULL);
	const json_t *in = json_object_get(body, "variables");
	const gql_op *op = NULL;
	gql_errors errs;

	memset(&errs, 0, sizeof(errs));
	*doc = NULL;
	*vars = NULL;
	if (query == NULL)
		gql_error_add(&errs, 0, 0, "Must provide query string.");
	else if (in != NULL && !json_is_object(in) && !json_is_null(in))
		gql_error_add(&errs, 0, 0, "Variables are invalid JSON.");
	else if ((*doc = gql_parse(query, strlen(query), 0, &errs)) != NULL &&
		 gql_validate(st->schema, *doc, &errs) == 0 &&
		 (op = gql_select_op(
			  *doc,
			  sb_json_str(json_object_get(body, "operationName"),
				      NULL),
			  &errs)) != NULL)
		*vars = gql_coerce_vars(st->schema, op, in, &errs);
	if (*vars == NULL) {
		gql_refusal(resp, &errs);
		return NULL;
	}
	return op;
}

/* The estimated credits of one root field (reference §4): 1 plus what it
 * selects. */
static int64_t
field_estimate(exec *x, const gql_tdef *root, const gql_sel *f)
{
	gql_sel one = *f;

	one.next = NULL;
	return 1 + gql_complexity(x->st->schema, x->doc, root->name, &one,
				  x->vars, cost_rules,
				  sizeof(cost_rules) / sizeof(cost_rules[0]));
}

/* The estimate of the whole operation; *analyze_all: every counted root
 * field asked for analyze: true. */
static int64_t
op_estimate(exec *x, const gql_tdef *root, const gql_op *op, int *analyze_all)
{
	const gql_sel *f;
	int64_t total = 0;

	*analyze_all = 1;
	for (f = op->sel; f; f = f->next) {
		json_t *an;

		if (f->kind != GQL_S_FIELD ||
		    strcmp(f->name, "user_quota") == 0 ||
		    strcmp(f->name, "__typename") == 0)
			continue;
		total += field_estimate(x, root, f);
		an = gql_arg_json(f, "analyze", x->vars);
		if (!json_is_true(an))
			*analyze_all = 0;
		json_decref(an);
	}
	return total;
}

/*
 * Refuse the operation for credits: every root field null, one error
 * each.  Over the bucket's size it can never run (code 3, ours; §4 says
 * no operation may exceed it); else code 30 with the wait (§4's
 * suggested shape).
 */
static void
refuse_credits(exec *x, const gql_op *op, json_t *data, int64_t estimated,
	       int64_t left)
{
	sh_state *st = x->st;
	int64_t rate = st->credits_rate > 0 ? st->credits_rate : 1;
	int64_t secs = (estimated - left + rate - 1) / rate;
	const gql_sel *f;

	for (f = op->sel; f; f = f->next) {
		if (f->kind != GQL_S_FIELD)
			continue;
		x->root = f->name;
		json_object_set_new(data, f->alias ? f->alias : f->name,
				    json_null());
		if (estimated > st->credits_max) {
			add_error(x, f->name, 3,
				  "The query complexity %lld is above the "
				  "maximum of %lld credits; ask for fewer "
				  "items (first/last)",
				  (long long)estimated,
				  (long long)st->credits_max);
			continue;
		}
		json_array_append_new(
			x->errors,
			json_pack(
				"{s:i, s:o, s:s, s:s, s:I, s:I, s:o}", "code",
				30, "message",
				json_sprintf("There are not enough credits "
					     "to perform the requested "
					     "operation, which requires "
					     "%lld credits. There are %lld "
					     "credits remaining. Try again "
					     "in %lld seconds",
					     (long long)estimated,
					     (long long)left, (long long)secs),
				"operation", f->name, "request_id",
				x->request_id, "required_credits",
				(json_int_t)estimated, "remaining_credits",
				(json_int_t)left, "time_remaining",
				json_sprintf("%lld seconds", (long long)secs)));
	}
}

/*
 * Run one root field into data[key] and its cost_detail entry; returns
 * the credits it costs: 1 plus the nodes served (0 for user_quota and
 * analyze: true).
 */
static int64_t
run_field(exec *x, const gql_op *op, const gql_tdef *root, const gql_sel *f,
	  json_t *data, json_t *detail)
{
	const char *key = f->alias ? f->alias : f->name;
	int64_t before = x->items, cost;
	int free_field = strcmp(f->name, "user_quota") == 0;
	json_t *src, *an;

	x->root = f->name;
	if (strcmp(f->name, "__typename") == 0) {
		json_object_set_new(data, key, json_string(root->name));
		return 0;
	}
	if (free_field) {
		src = sh_quota_json(x->st);
	} else {
		an = gql_arg_json(f, "analyze", x->vars);
		free_field = json_is_true(an);
		json_decref(an);
		src = free_field ? json_object() : run_root(x, op, f);
		if (src == NULL) {
			json_object_set_new(data, key, json_null());
			return 0;
		}
		json_object_set_new(src, "request_id",
				    json_string(x->request_id));
		json_object_set_new(src, "complexity",
				    json_integer(field_estimate(x, root, f)));
	}
	json_object_set_new(
		data, key,
		project_value(x, field_type(x, root, f->name), f, src, 0));
	json_decref(src);
	cost = free_field ? 0 : 1 + (x->items - before);
	json_object_set_new(detail, key,
			    json_pack("{s:I, s:i, s:I, s:{}}", "items_count",
				      (json_int_t)(x->items - before), "cost",
				      1, "total_cost", (json_int_t)cost,
				      "fields"));
	return cost;
}

static void
graphql(sh_state *st, sb_request *req, sb_response *resp)
{
	json_t *body, *vars = NULL, *data, *detail, *reply;
	gql_doc *doc = NULL;
	const gql_op *op;
	const gql_tdef *root;
	const gql_sel *f;
	exec x;
	int64_t estimated, cost = 0, left;
	int analyze_all;

	req->endpoint = "POST graphql";
	if (authorize(st, req, resp))
		return;
	if (st->schema == NULL) {
		sb_resp_json(resp, 500,
			     json_pack("{s:[{s:s}]}", "errors", "message",
				       st->schema_error),
			     NULL);
		return;
	}
	body = sb_req_json(req, NULL);
	op = read_request(st, body, &doc, &vars, resp);
	if (op == NULL)
		goto done;
	root = gql_schema_root(st->schema, op->kind);
	memset(&x, 0, sizeof(x));
	x.st = st;
	x.doc = doc;
	x.vars = vars;
	x.errors = json_array();
	snprintf(x.request_id, sizeof(x.request_id), "%08llx%016llx",
		 (unsigned long long)SH_ACCOUNT_ID,
		 (unsigned long long)++st->next_request);
	estimated = op_estimate(&x, root, op, &analyze_all);
	left = sh_credits(st);
	data = json_object();
	detail = json_object();
	if (!analyze_all && st->credits_max > 0 && estimated > left) {
		refuse_credits(&x, op, data, estimated, left);
		req->endpoint = "throttled";
	} else {
		for (f = op->sel; f; f = f->next)
			if (f->kind == GQL_S_FIELD)
				cost += run_field(&x, op, root, f, data,
						  detail);
		if (st->credits_max > 0)
			st->credits -= (double)cost;
		st->credits_spent += cost;
	}
	reply = json_object();
	if (json_array_size(x.errors) > 0)
		json_object_set(reply, "errors", x.errors);
	json_object_set_new(reply, "data", data);
	json_object_set_new(reply, "extensions",
			    json_pack("{s:{s:I, s:I, s:o, s:o}}", "throttling",
				      "estimated_complexity",
				      (json_int_t)estimated, "cost",
				      (json_int_t)cost, "cost_detail", detail,
				      "user_quota", sh_quota_json(st)));
	json_decref(x.errors);
	sb_resp_json(resp, 200, reply, NULL);
done:
	json_decref(vars);
	gql_doc_free(doc);
	json_decref(body);
}

void
sh_handle(sb_platform *pf, sb_request *req, sb_response *resp)
{
	sh_state *st = pf->priv;

	if (strcmp(req->method, "POST") != 0) {
		req->endpoint = "other";
		sb_resp_json(
			resp, 405,
			json_pack("{s:s}", "message", "Method not allowed"),
			NULL);
		return;
	}
	if (strcmp(req->path, "/graphql") == 0 ||
	    strcmp(req->path, "/graphql/") == 0)
		graphql(st, req, resp);
	else if (strcmp(req->path, "/auth/token") == 0)
		auth_token(st, req, resp);
	else if (strcmp(req->path, "/auth/refresh") == 0)
		auth_refresh(st, req, resp);
	else {
		req->endpoint = "other";
		sb_resp_json(resp, 404,
			     json_pack("{s:s}", "message", "Not found"), NULL);
	}
}

/*
 * Injected faults.  429 answers the credit error shape (code 30) as a
 * gateway would; 500 and 503 a GraphQL errors body (shapes UNCONFIRMED).
 */
void
sh_fault_reply(sb_platform *pf, int status, sb_request *req, sb_response *resp)
{
	(void)pf;
	(void)req;
	if (status == 429)
		sb_resp_json(
			resp, 429,
			json_pack("{s:[{s:i, s:s, s:s}]}", "errors", "code", 30,
				  "message",
				  "There are not enough credits to perform the "
				  "requested operation. Try again in 5 seconds",
				  "time_remaining", "5 seconds"),
			NULL);
	else
		sb_resp_json(resp, status,
			     json_pack("{s:[{s:s, s:i}]}", "errors", "message",
				       status == 503 ? "Service Unavailable"
						     : "Internal Server Error",
				       "code", status),
			     NULL);
}
