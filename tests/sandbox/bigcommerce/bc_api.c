/*
 * bc_api.c - the BigCommerce REST API as the sandbox serves it under
 * /bigcommerce/stores/{hash}/v2|v3/...
 *
 * Every request goes through the same gate as the real service: the store
 * hash (404 for another store), the X-Auth-Token (401 with the v2 array or
 * the v3 object body) and the per-store fixed-window quota (the four
 * X-Rate-Limit-* headers on every response, 429 past the quota).  Then the
 * route table below picks the handler.  v2 lists are bare arrays with 204
 * on an empty page; v3 answers {data, meta} envelopes.
 */
#include "bc_sim.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MSG_LEN 512

static bc_state *
state_of(sb_platform *pf)
{
	return pf->priv;
}

static int64_t
param_id(const sb_request *req, size_t i)
{
	int64_t v;

	if (i >= req->nparams || sb_parse_int(req->params[i], &v) != 0)
		return -1;
	return v;
}

/* Parse the JSON body or answer 400 (v2) / 422 (v3); NULL then. */
static json_t *
body_json(const sb_request *req, sb_response *resp, int v3)
{
	const char *err = NULL;
	json_t *j = sb_req_json(req, &err);

	if (j == NULL) {
		if (v3)
			bc_v3_error(resp, 422,
				    "JSON data is missing or invalid",
				    json_pack("{s:s}", "body",
					      err ? err : "invalid JSON"));
		else
			bc_v2_error(resp, 400,
				    "The request body is not valid JSON.");
	}
	return j;
}

static void
v2_list(sb_response *resp, json_t *rows)
{
	if (json_array_size(rows) == 0) {
		/* The live v2 API answers an empty page with 204 and no body.
		 */
		json_decref(rows);
		sb_resp_empty(resp, 204);
		return;
	}
	sb_resp_json(resp, 200, rows, NULL);
}

static void
v3_data(sb_response *resp, int status, json_t *data, json_t *meta)
{
	sb_resp_json(resp, status,
		     json_pack("{s:o, s:o}", "data", data, "meta",
			       meta ? meta : json_object()),
		     NULL);
}

/* Slice rows[page] into a v3 list with pagination; steals rows. */
static void
v3_page(sb_response *resp, json_t *rows, int64_t page, int64_t limit)
{
	json_t *out = json_array();
	int64_t total = (int64_t)json_array_size(rows), i;

	for (i = (page - 1) * limit; i < total && i < page * limit; i++)
		json_array_append(out, json_array_get(rows, (size_t)i));
	json_decref(rows);
	v3_data(resp, 200, out,
		bc_pagination(total, (int64_t)json_array_size(out), page,
			      limit));
}

/*
 * The rows of a v3 list that fall on the requested page: every match is
 * counted (the pagination's total) but only the page's rows are built, so
 * walking a 20,000-product catalog page by page costs the simulator the
 * filter per row, not a copy of every product per page.
 */
typedef struct v3_window {
	int64_t lo, hi, total;
} v3_window;

static void
win_init(v3_window *w, int64_t page, int64_t limit)
{
	w->lo = (page - 1) * limit;
	w->hi = page * limit;
	w->total = 0;
}

/* Count one matching row: 1 when it is on the page. */
static int
win_take(v3_window *w)
{
	int64_t k = w->total++;

	return k >= w->lo && k < w->hi;
}

static void
v3_page_window(sb_response *resp, json_t *rows, const v3_window *w,
	       int64_t page, int64_t limit)
{
	v3_data(resp, 200, rows,
		bc_pagination(w->total, (int64_t)json_array_size(rows), page,
			      limit));
}

static void
v2_not_found(sb_response *resp)
{
	bc_v2_error(resp, 404, "The requested resource was not found.");
}

/* ---- v2: store and statuses ------------------------------------------------
 */

static int
v2_time(sb_platform *pf, sb_request *req, sb_response *resp)
{
	(void)req;
	sb_resp_json(
		resp, 200,
		json_pack("{s:I}", "time", (json_int_t)bc_now(state_of(pf))),
		NULL);
	return 0;
}

static int
v2_store(sb_platform *pf, sb_request *req, sb_response *resp)
{
	bc_state *st = state_of(pf);

	(void)req;
	sb_resp_json(
		resp, 200,
		json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:{s:s, s:i, "
			  "s:i, s:b}, s:s, s:s, s:s, s:s, s:b, s:i, s:i}",
			  "id", st->store_hash, "domain", "sandbox.example.com",
			  "secure_url", "https://sandbox.example.com", "status",
			  "live", "name", "pearlsync sandbox store",
			  "admin_email", "merchant@example.com", "country_code",
			  "US", "timezone", "name", "UTC", "raw_offset", 0,
			  "dst_offset", 0, "dst_correction", 0, "language",
			  "en", "currency", "USD", "weight_units", "LBS",
			  "plan_name", "Standard", "is_price_entered_with_tax",
			  0, "store_id", 1000001, "default_channel_id", 1),
		NULL);
	return 0;
}

static int
v2_statuses(sb_platform *pf, sb_request *req, sb_response *resp)
{
	json_t *list = json_array();
	int i;

	(void)pf;
	(void)req;
	for (i = 0; bc_status_name(i); i++)
		json_array_append_new(list, bc_status_json(i));
	sb_resp_json(resp, 200, list, NULL);
	return 0;
}

static int
v2_status_get(sb_platform *pf, sb_request *req, sb_response *resp)
{
	int64_t id = param_id(req, 0);

	(void)pf;
	if (id < 0 || bc_status_name((int)id) == NULL) {
		v2_not_found(resp);
		return 0;
	}
	sb_resp_json(resp, 200, bc_status_json((int)id), NULL);
	return 0;
}

/* ---- v2: orders ---------------------------------------------------------- */

typedef struct sort_key {
	int64_t key, id;
	size_t idx;
} sort_key;

static int
sort_cmp(const void *a, const void *b)
{
	const sort_key *x = a, *y = b;

	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

/* Query filter helpers: 1 = pass, 0 = filtered out, -1 = bad value. */
static int
date_filter(const sb_request *req, const char *name, time_t *out)
{
	const char *v = sb_req_query(req, name);

	if (v == NULL || *v == '\0')
		return 0;
	return bc_parse_date(v, out) == 0 ? 1 : -1;
}

static const char *const filter_dates[] = {
	"min_date_created", "max_date_created", "min_date_modified",
	"max_date_modified"};
static const char *const filter_ints[] = {"min_id", "max_id", "customer_id",
					  "status_id", "channel_id"};

/*
 * A listing's query filters, read once per request rather than once per
 * stored order (a store of 20,000 orders listed 50 at a time parsed each
 * date 20,000 times a page).  Each value keeps what its reader said, so
 * order_matches decides and fails exactly as when it read them itself:
 * a bad value is reported at the first order that reaches its test.
 */
typedef struct order_filter {
	int date_r[4]; /* date_filter: 0 absent, 1 set, -1 bad */
	time_t date_t[4];
	int64_t ints[5]; /* bc_query_int: -2 absent, -1 bad */
	int total_r[2];  /* min_total, max_total: 0 absent, 1 set, -1 bad */
	bc_money total[2];
	const char *email, *external_order_id, *payment_method, *cart_id;
	int deleted; /* is_deleted=true asked */
} order_filter;

static void
order_filter_read(order_filter *f, const sb_request *req)
{
	static const char *const totals[] = {"min_total", "max_total"};
	const char *s;
	size_t i;

	memset(f, 0, sizeof(*f));
	for (i = 0; i < 4; i++)
		f->date_r[i] = date_filter(req, filter_dates[i], &f->date_t[i]);
	for (i = 0; i < 5; i++)
		f->ints[i] = bc_query_int(req, filter_ints[i], -2);
	for (i = 0; i < 2; i++) {
		s = sb_req_query(req, totals[i]);
		if (s) {
			json_t *j = json_string(s);

			f->total_r[i] = bc_money_from_json(&f->total[i], j) == 0
						? 1
						: -1;
			json_decref(j);
		}
	}
	f->email = sb_req_query(req, "email");
	f->external_order_id = sb_req_query(req, "external_order_id");
	f->payment_method = sb_req_query(req, "payment_method");
	f->cart_id = sb_req_query(req, "cart_id");
	s = sb_req_query(req, "is_deleted");
	f->deleted = s != NULL && strcmp(s, "true") == 0;
}

static int
order_matches(const order_filter *f, const bc_order *o, const char **bad)
{
	int64_t v, id = o->id;
	size_t i;
	const json_t *ord = o->order;
	const char *s;
	bc_money total = 0;

	for (i = 0; i < 4; i++) {
		int r = f->date_r[i];
		time_t t = f->date_t[i];
		time_t have = i < 2 ? o->created : o->modified;

		if (r < 0) {
			*bad = filter_dates[i];
			return -1;
		}
		if (r == 1 &&
		    ((i % 2 == 0 && have < t) || (i % 2 == 1 && have > t)))
			return 0;
	}
	for (i = 0; i < 5; i++) {
		v = f->ints[i];
		if (v == -2)
			continue;
		if (v == -1) {
			*bad = filter_ints[i];
			return -1;
		}
		if ((i == 0 && id < v) || (i == 1 && id > v) ||
		    (i == 2 && sb_json_int(json_object_get(ord, "customer_id"),
					   0) != v) ||
		    (i == 3 &&
		     sb_json_int(json_object_get(ord, "status_id"), 0) != v) ||
		    (i == 4 &&
		     sb_json_int(json_object_get(ord, "channel_id"), 0) != v))
			return 0;
	}
	bc_money_from_json(&total, json_object_get(ord, "total_inc_tax"));
	if (f->total_r[0] < 0) {
		*bad = "min_total";
		return -1;
	}
	if (f->total_r[0] && total < f->total[0])
		return 0;
	if (f->total_r[1] < 0) {
		*bad = "max_total";
		return -1;
	}
	if (f->total_r[1] && total > f->total[1])
		return 0;
	s = f->email;
	if (s && strcasecmp(sb_json_str(json_object_get(
						json_object_get(
							ord, "billing_address"),
						"email"),
					""),
			    s) != 0)
		return 0;
	s = f->external_order_id;
	if (s &&
	    strcmp(sb_json_str(json_object_get(ord, "external_order_id"), ""),
		   s) != 0)
		return 0;
	s = f->payment_method;
	if (s && strcmp(sb_json_str(json_object_get(ord, "payment_method"), ""),
			s) != 0)
		return 0;
	s = f->cart_id;
	if (s &&
	    strcmp(sb_json_str(json_object_get(ord, "cart_id"), ""), s) != 0)
		return 0;
	/* Archived orders only when asked for (UNCONFIRMED either way). */
	if (json_is_true(json_object_get(ord, "is_deleted")) != f->deleted)
		return 0;
	return 1;
}

/* Collect the matching orders, sorted; returns count or -1 (replied). */
static long
orders_select(bc_state *st, const sb_request *req, sb_response *resp,
	      sort_key **out)
{
	const char *sort = sb_req_query(req, "sort");
	char field[32] = "id";
	int desc = 0;
	sort_key *keys;
	order_filter filter;
	size_t i, n = 0;
	const char *bad = NULL;

	*out = NULL;
	if (sort && *sort) {
		const char *colon = strchr(sort, ':');
		size_t len = colon ? (size_t)(colon - sort) : strlen(sort);

		if (len >= sizeof(field) ||
		    (colon && strcmp(colon, ":asc") != 0 &&
		     strcmp(colon, ":desc") != 0)) {
			bc_v2_error(resp, 400, "The field 'sort' is invalid.");
			return -1;
		}
		memcpy(field, sort, len);
		field[len] = '\0';
		desc = colon && strcmp(colon, ":desc") == 0;
		if (strcmp(field, "id") && strcmp(field, "customer_id") &&
		    strcmp(field, "date_created") &&
		    strcmp(field, "date_modified") &&
		    strcmp(field, "status_id") && strcmp(field, "channel_id") &&
		    strcmp(field, "external_id")) {
			bc_v2_error(resp, 400, "The field 'sort' is invalid.");
			return -1;
		}
	}
	keys = calloc(st->norders + 1, sizeof(*keys));
	if (keys == NULL) {
		bc_v2_error(resp, 500, "Out of memory.");
		return -1;
	}
	order_filter_read(&filter, req);
	for (i = 0; i < st->norders; i++) {
		const bc_order *o = &st->orders[i];
		int m = order_matches(&filter, o, &bad);
		int64_t k;

		if (m < 0) {
			char msg[MSG_LEN];

			snprintf(msg, sizeof(msg), "The field '%s' is invalid.",
				 bad);
			bc_v2_error(resp, 400, msg);
			free(keys);
			return -1;
		}
		if (m == 0)
			continue;
		if (strcmp(field, "date_created") == 0)
			k = o->created;
		else if (strcmp(field, "date_modified") == 0)
			k = o->modified;
		else if (strcmp(field, "id") == 0 ||
			 strcmp(field, "external_id") == 0)
			k = o->id;
		else
			k = sb_json_int(json_object_get(o->order, field), 0);
		keys[n].key = desc ? -k : k;
		keys[n].id = desc ? -o->id : o->id;
		keys[n].idx = i;
		n++;
	}
	qsort(keys, n, sizeof(*keys), sort_cmp);
	*out = keys;
	return (long)n;
}

static json_t *
by_id(json_t *array, int64_t id)
{
	size_t i;
	json_t *x;

	json_array_foreach (array, i, x) {
		if (sb_json_int(json_object_get(x, "id"), 0) == id)
			return x;
	}
	return NULL;
}

/* ---- include=consignments[.line_items]&consignment_structure=object ---- */

/* Line items a consignment carries inline; past this BigCommerce cuts the
 * list and adds "__warning__" (bigcommerce/docs issue 960). */
#define BC_CONSIGNMENT_LINES_MAX 50

/* One order product as GET /v2/orders/{id}/products[/{id}] shows it. */
static json_t *
order_line_json(const json_t *line)
{
	/* replies only serialise it: the nested values can be shared */
	return json_copy((json_t *)line);
}

/* {url, resource} pointing at /orders/<tail>. */
static json_t *
resource_ref(const bc_state *st, const char *tail)
{
	char res[160], url[400];

	snprintf(res, sizeof(res), "/orders/%s", tail);
	snprintf(url, sizeof(url), "https://api.bigcommerce.com/stores/%s/v2%s",
		 st->store_hash, res);
	return json_pack("{s:s, s:s}", "url", url, "resource", res);
}

/* A money string of the stored address as the JSON number consignments
 * carry. */
static json_t *
money_number(const json_t *v)
{
	bc_money m = 0;
	char buf[48];

	bc_money_from_json(&m, v);
	return json_real(strtod(bc_money_str(buf, sizeof(buf), m), NULL));
}

/*
 * The line_items of one consignment: the order's lines whose
 * order_address_id is addr_id (addr_id -1: the lines no shipping address
 * claims), full objects or {url, resource} refs, at most
 * BC_CONSIGNMENT_LINES_MAX; a cut list adds "__warning__" to cons.
 */
static json_t *
consignment_items(const bc_state *st, const bc_order *o, int64_t addr_id,
		  int full, json_t *cons)
{
	json_t *items = json_array(), *l;
	char tail[96];
	size_t i, n = 0;

	json_array_foreach (o->lines, i, l) {
		int64_t a =
			sb_json_int(json_object_get(l, "order_address_id"), 0);
		int64_t lid = sb_json_int(json_object_get(l, "id"), 0);

		if (addr_id >= 0 ? a != addr_id
				 : by_id(o->addresses, a) != NULL)
			continue;
		if (++n > BC_CONSIGNMENT_LINES_MAX)
			continue;
		snprintf(tail, sizeof(tail), "%lld/products/%lld",
			 (long long)o->id, (long long)lid);
		json_array_append_new(items, full ? order_line_json(l)
						  : resource_ref(st, tail));
	}
	if (n > BC_CONSIGNMENT_LINES_MAX) {
		char msg[MSG_LEN];

		snprintf(msg, sizeof(msg),
			 "Not all line items of this consignment are returned "
			 "with this response, only %d are included. Please "
			 "use the `/v2/orders/{order_id}/products` endpoint to "
			 "fetch all line items.",
			 BC_CONSIGNMENT_LINES_MAX);
		json_object_set_new(cons, "__warning__",
				    json_pack("{s:s}", "message", msg));
	}
	return items;
}

/* The orderConsignment_Get object of o. */
static json_t *
order_consignments(const bc_state *st, const bc_order *o, int full)
{
	static const char *const strs[] = {
		"first_name",      "last_name",
		"company",         "street_1",
		"street_2",        "city",
		"state",           "zip",
		"country",         "country_iso2",
		"phone",           "email",
		"shipping_method", "shipping_zone_name"};
	static const char *const ints[] = {
		"items_total", "items_shipped", "cost_tax_class_id",
		"handling_cost_tax_class_id", "shipping_zone_id"};
	static const char *const money[] = {"base_cost",
					    "cost_ex_tax",
					    "cost_inc_tax",
					    "cost_tax",
					    "base_handling_cost",
					    "handling_cost_ex_tax",
					    "handling_cost_inc_tax",
					    "handling_cost_tax"};
	json_t *shipping = json_array(), *downloads = json_array(), *a, *ff;
	json_t *rest;
	char tail[96];
	size_t i, k;

	json_array_foreach (o->addresses, i, a) {
		json_t *c = json_object();
		int64_t aid = sb_json_int(json_object_get(a, "id"), 0);

		json_object_set_new(c, "id", json_integer(aid));
		for (k = 0; k < sizeof(strs) / sizeof(strs[0]); k++)
			json_object_set_new(
				c, strs[k],
				json_string(sb_json_str(
					json_object_get(a, strs[k]), "")));
		for (k = 0; k < sizeof(ints) / sizeof(ints[0]); k++)
			json_object_set_new(
				c, ints[k],
				json_integer(sb_json_int(
					json_object_get(a, ints[k]), 0)));
		for (k = 0; k < sizeof(money) / sizeof(money[0]); k++)
			json_object_set_new(
				c, money[k],
				money_number(json_object_get(a, money[k])));
		ff = json_object_get(a, "form_fields");
		json_object_set_new(c, "form_fields",
				    json_is_array(ff) ? json_deep_copy(ff)
						      : json_array());
		snprintf(tail, sizeof(tail),
			 "%lld/consignments/shipping/%lld/shipping_quotes",
			 (long long)o->id, (long long)aid);
		json_object_set_new(c, "shipping_quotes",
				    resource_ref(st, tail));
		json_object_set_new(c, "line_items",
				    consignment_items(st, o, aid, full, c));
		json_array_append_new(shipping, c);
	}
	/* Lines no address ships (digital goods) form the download one. */
	a = json_object();
	rest = consignment_items(st, o, -1, full, a);
	if (json_array_size(rest) > 0) {
		json_object_set_new(
			a, "recipient_email",
			json_string(sb_json_str(
				json_object_get(
					json_object_get(o->order,
							"billing_address"),
					"email"),
				"")));
		json_object_set_new(a, "line_items", rest);
		json_array_append_new(downloads, a);
	} else {
		json_decref(rest);
		json_decref(a);
	}
	return json_pack("{s:[], s:o, s:o, s:{s:[]}}", "pickups", "shipping",
			 shipping, "downloads", downloads, "email",
			 "gift_certificates");
}

/* An order as GET /v2/orders[/{id}] answers it, with what include asks. */
static json_t *
order_reply(bc_state *st, const sb_request *req, const bc_order *o)
{
	json_t *out = bc_order_json(st, o);
	const char *inc = sb_req_query(req, "include");
	const char *cs = sb_req_query(req, "consignment_structure");

	if (inc == NULL)
		return out;
	if (cs && strcmp(cs, "object") == 0 &&
	    (bc_list_has(inc, "consignments") ||
	     bc_list_has(inc, "consignments.line_items")))
		json_object_set_new(
			out, "consignments",
			order_consignments(
				st, o,
				bc_list_has(inc, "consignments.line_items")));
	if (bc_list_has(inc, "fees"))
		json_object_set_new(out, "fees", json_array());
	return out;
}

static int
v2_orders_list(sb_platform *pf, sb_request *req, sb_response *resp)
{
	bc_state *st = state_of(pf);
	sort_key *keys;
	long n, i;
	int64_t page, limit;
	json_t *rows;

	if (bc_paging(req, resp, 0, &page, &limit) < 0)
		return 0;
	n = orders_select(st, req, resp, &keys);
	if (n < 0)
		return 0;
	rows = json_array();
	for (i = (long)((page - 1) * limit); i < n && i < page * limit; i++)
		json_array_append_new(
			rows, order_reply(st, req, &st->orders[keys[i].idx]));
	free(keys);
	v2_list(resp, rows);
	return 0;
}

static int
v2_orders_count(sb_platform *pf, sb_request *req, sb_response *resp)
{
	bc_state *st = state_of(pf);
	sort_key *keys;
	long n, i;
	int64_t per[16] = {0};
	json_t *list;
	int s;

	n = orders_select(st, req, resp, &keys);
	if (n < 0)
		return 0;
	for (i = 0; i < n; i++) {
		s = (int)sb_json_int(
			json_object_get(st->orders[keys[i].idx].order,
					"status_id"),
			0);
		if (s >= 0 && s < 16)
			per[s]++;
	}
	free(keys);
	list = json_array();
	for (s = 0; bc_status_name(s); s++) {
		json_t *j = bc_status_json(s);

		json_object_set_new(j, "count", json_integer(per[s]));
		json_object_set(j, "sort_order", json_object_get(j, "order"));
		json_object_del(j, "order");
		json_array_append_new(list, j);
	}
	sb_resp_json(resp, 200,
		     json_pack("{s:o, s:I}", "statuses", list, "count",
			       (json_int_t)n),
		     NULL);
	return 0;
}

static bc_order *
order_or_404(bc_state *st, sb_request *req, sb_response *resp, int v3)
{
	bc_order *o = bc_order_find(st, param_id(req, 0));

	if (o == NULL) {
		if (v3)
			bc_v3_error(resp, 404, "Order not found", NULL);
		else
			v2_not_found(resp);
	}
	return o;
}

static int
v2_order_get(sb_platform *pf, sb_request *req, sb_response *resp)
{
	bc_state *st = state_of(pf);
	bc_order *o = order_or_404(st, req, resp, 0);
	json_t *reply;

	if (o == NULL)
		return 0;
	reply = order_reply(st, req, o);
	if (o->raw_read != NULL) /* control call "corrupt" */
		json_object_update(reply, o->raw_read);
	sb_resp_json(resp, 200, reply, NULL);
	return 0;
}

static int
v2_order_create(sb_platform *pf, sb_request *req, sb_response *resp)
{
	bc_state *st = state_of(pf);
	json_t *body = body_json(req, resp, 0);
	char msg[MSG_LEN], loc[128];
	int status;
	bc_order *o;

	if (body == NULL)
		return 0;
	o = bc_order_create(st, body, 0, &status, msg, sizeof(msg));
	json_decref(body);
	if (o == NULL) {
		bc_v2_error(resp, status ? status : 500, msg);
		return 0;
	}
	snprintf(loc, sizeof(loc), "/stores/%s/v2/orders/%lld", st->store_hash,
		 (long long)o->id);
	sb_resp_json(resp, st->order_post_status, bc_order_json(st, o), NULL);
	sb_resp_header(resp, 1, "Location", "%s", loc);
	return 0;
}

static int
v2_order_update(sb_platform *pf, sb_request *req, sb_response *resp)
{
	bc_state *st = state_of(pf);
	bc_order *o = order_or_404(st, req, resp, 0);
	json_t *body;
	char msg[MSG_LEN];
	int status;

	if (o == NULL || (body = body_json(req, resp, 0)) == NULL)
		return 0;
	status = bc_order_update(st, o, body, msg, sizeof(msg));
	json_decref(body);
	if (status)
		bc_v2_error(resp, status, msg);
	else
		sb_resp_json(resp, 200, bc_order_json(st, o), NULL);
	return 0;
}

static int
v2_order_delete(sb_platform *pf, sb_request *req, sb_response *resp)
{
	bc_state *st = state_of(pf);
	bc_order *o = order_or_404(st, req, resp, 0);

	if (o == NULL)
		return 0;
	/* Archive, not destroy. */
	json_object_set_new(o->order, "is_deleted", json_true());
	o->modified = bc_now(st);
	bc_event(st, "store/order/archived",
		 json_pack("{s:s, s:I}", "type", "order", "id",
			   (json_int_t)o->id));
	sb_resp_empty(resp, 204);
	return 0;
}

enum sub_kind { SUB_LINES, SUB_ADDRESSES, SUB_SHIPMENTS };

/* A paged sub-resource list (products, addresses, shipments). */
static void
v2_sub_list(sb_request *req, sb_response *resp, const bc_state *st, json_t *all,
	    enum sub_kind kind)
{
	int64_t page, limit, i, n = (int64_t)json_array_size(all);
	json_t *rows;

	if (bc_paging(req, resp, 0, &page, &limit) < 0)
		return;
	rows = json_array();
	for (i = (page - 1) * limit; i < n && i < page * limit; i++) {
		json_t *x = json_array_get(all, (size_t)i);

		json_array_append_new(
			rows, kind == SUB_SHIPMENTS ? bc_shipment_json(st, x)
			      : kind == SUB_LINES   ? order_line_json(x)
						    : json_deep_copy(x));
	}
	v2_list(resp, rows);
}

static int
v2_order_products(sb_platform *pf, sb_request *req, sb_response *resp)
{
	bc_state *st = state_of(pf);
	bc_order *o = order_or_404(st, req, resp, 0);

	if (o)
		v2_sub_list(req, resp, st, o->lines, SUB_LINES);
	return 0;
}

static int
v2_order_product(sb_platform *pf, sb_request *req, sb_response *resp)
{
	bc_state *st = state_of(pf);
	bc_order *o = order_or_404(st, req, resp, 0);
	json_t *l;

	if (o == NULL)
		return 0;
	l = by_id(o->lines, param_id(req, 1));
	if (l)
		sb_resp_json(resp, 200, order_line_json(l), NULL);
	else
		v2_not_found(resp);
	return 0;
}

static int
v2_order_addresses(sb_platform *pf, sb_request *req, sb_response *resp)
{
	bc_state *st = state_of(pf);
	bc_order *o = order_or_404(st, req, resp, 0);

	if (o)
		v2_sub_list(req, resp, st, o->addresses, SUB_ADDRESSES);
	return 0;
}

/*
 * GET /v2/orders/{id}/taxes: the order's tax rows, paged; order_product_id
 * and line_item_type only with details=true (orders.v2.oas2.yml,
 * getOrderTaxes); none: 204 as every empty v2 list.
 */
static int
v2_order_taxes(sb_platform *pf, sb_request *req, sb_response *resp)
{
	bc_state *st = state_of(pf);
	bc_order *o = order_or_404(st, req, resp, 0);
	const char *details = sb_req_query(req, "details");
	int64_t page, limit, i, n;
	json_t *rows;

	if (o == NULL || bc_paging(req, resp, 0, &page, &limit) < 0)
		return 0;
	n = (int64_t)json_array_size(o->taxes);
	rows = json_array();
	for (i = (page - 1) * limit; i < n && i < page * limit; i++) {
		json_t *t = json_copy(json_array_get(o->taxes, (size_t)i));

		if (details == NULL || strcmp(details, "true") != 0) {
			json_object_del(t, "order_product_id");
			json_object_del(t, "line_item_type");
		}
		json_array_append_new(rows, t);
	}
	v2_list(resp, rows);
	return 0;
}

static int
v2_order_address(sb_platform *pf, sb_request *req, sb_response *resp)
{
	bc_state *st = state_of(pf);
	bc_order *o = order_or_404(st, req, resp, 0);
	json_t *a;

	if (o == NULL)
		return 0;
	a = by_id(o->addresses, param_id(req, 1));
	if (a)
		sb_resp_json(resp, 200, json_deep_copy(a), NULL);
	else
		v2_not_found(resp);
	return 0;
}

static int
v2_order_address_update(sb_platform *pf, sb_request *req, sb_response *resp)
{
	bc_state *st = state_of(pf);
	bc_order *o = order_or_404(st, req, resp, 0);
	json_t *a, *body;
	char msg[MSG_LEN];
	int status;

	if (o == NULL)
		return 0;
	if ((a = by_id(o->addresses, param_id(req, 1))) == NULL) {
		v2_not_found(resp);
		return 0;
	}
	if ((body = body_json(req, resp, 0)) == NULL)
		return 0;
	status = bc_order_address_update(st, o, a, body, msg, sizeof(msg));
	json_decref(body);
	if (status)
		bc_v2_error(resp, status, msg);
	else
		sb_resp_json(resp, 200, json_deep_copy(a), NULL);
	return 0;
}

static int
v2_order_empty(sb_platform *pf, sb_request *req, sb_response *resp)
{
	/* Coupons, messages: this simulator stores none. */
	if (order_or_404(state_of(pf), req, resp, 0))
		sb_resp_empty(resp, 204);
	return 0;
}

static int
v2_shipments(sb_platform *pf, sb_request *req, sb_response *resp)
{
	bc_state *st = state_of(pf);
	bc_order *o = order_or_404(st, req, resp, 0);

	if (o)
		v2_sub_list(req, resp, st, o->shipments, SUB_SHIPMENTS);
	return 0;
}

static int
v2_shipments_count(sb_platform *pf, sb_request *req, sb_response *resp)
{
	bc_state *st = state_of(pf);
	bc_order *o = order_or_404(st, req, resp, 0);

	if (o)
		sb_resp_json(
			resp, 200,
			json_pack("{s:I}", "count",
				  (json_int_t)json_array_size(o->shipments)),
			NULL);
	return 0;
}

static int
v2_shipment_create(sb_platform *pf, sb_request *req, sb_response *resp)
{
	bc_state *st = state_of(pf);
	bc_order *o = order_or_404(st, req, resp, 0);
	json_t *body, *sh;
	char msg[MSG_LEN];
	int status;

	if (o == NULL || (body = body_json(req, resp, 0)) == NULL)
		return 0;
	sh = bc_shipment_create(st, o, body, &status, msg, sizeof(msg));
	json_decref(body);
	if (sh == NULL)
		bc_v2_error(resp, status ? status : 500, msg);
	else
		sb_resp_json(resp, 201, bc_shipment_json(st, sh), NULL);
	return 0;
}

static int
v2_shipment_one(sb_platform *pf, sb_request *req, sb_response *resp)
{
	bc_state *st = state_of(pf);
	bc_order *o = order_or_404(st, req, resp, 0);
	json_t *sh, *body;
	size_t i;

	if (o == NULL)
		return 0;
	sh = by_id(o->shipments, param_id(req, 1));
	if (sh == NULL) {
		v2_not_found(resp);
		return 0;
	}
	if (strcmp(req->method, "DELETE") == 0) {
		json_t *x;

		/* Deleting does not move the order out of Shipped. */
		json_array_foreach (o->shipments, i, x) {
			if (x == sh) {
				json_array_remove(o->shipments, i);
				break;
			}
		}
		sb_resp_empty(resp, 204);
		return 0;
	}
	if (strcmp(req->method, "PUT") == 0) {
		static const char *const fields[] = {
			"tracking_number",        "tracking_link",
			"shipping_method",        "shipping_provider",
			"tracking_carrier",       "comments",
			"merchant_shipping_cost", NULL};

		if ((body = body_json(req, resp, 0)) == NULL)
			return 0;
		if (json_object_get(body, "items")) {
			json_decref(body);
			bc_v2_error(resp, 400,
				    "The field 'items' cannot be written to. "
				    "Please remove it from your request before "
				    "trying again.");
			return 0;
		}
		for (i = 0; fields[i]; i++)
			if (json_is_string(json_object_get(body, fields[i])))
				json_object_set(
					sh, fields[i],
					json_object_get(body, fields[i]));
		json_decref(body);
		bc_event(st, "store/shipment/updated",
			 json_pack("{s:s, s:O, s:I}", "type", "shipment", "id",
				   json_object_get(sh, "id"), "orderId",
				   (json_int_t)o->id));
	}
	sb_resp_json(resp, 200, bc_shipment_json(st, sh), NULL);
	return 0;
}

/* ---- v3: catalog ------------------------------------------------------------
 */

static int
id_in(const sb_request *req, const char *name, int64_t id)
{
	const char *list = sb_req_query(req, name);
	char buf[32];

	if (list == NULL)
		return 1;
	snprintf(buf, sizeof(buf), "%lld", (long long)id);
	return bc_list_has(list, buf);
}

static int
str_filter(const sb_request *req, const char *eq, const char *in,
	   const char *value)
{
	const char *v = sb_req_query(req, eq);

	if (v && strcmp(v, value) != 0)
		return 0;
	v = sb_req_query(req, in);
	if (v && !bc_list_has(v, value))
		return 0;
	return 1;
}

static int
wants(const sb_request *req, const char *what)
{
	const char *inc = sb_req_query(req, "include");

	return inc && bc_list_has(inc, what);
}

/* Product p as a catalog read answers it: include=variants,
 * include_fields, exclude_fields. */
static json_t *
product_out(const sb_request *req, const json_t *p)
{
	return bc_product_fields(p, wants(req, "variants"),
				 sb_req_query(req, "include_fields"),
				 sb_req_query(req, "exclude_fields"));
}

static int
v3_products_list(sb_platform *pf, sb_request *req, sb_response *resp)
{
	bc_state *st = state_of(pf);
	int64_t page, limit, id;
	json_t *rows, *p;
	size_t i;
	v3_window w;
	const char *name = sb_req_query(req, "name");
	const char *tracking = sb_req_query(req, "inventory_tracking");
	int filtered = name || tracking || sb_req_query(req, "id:in") ||
		       sb_req_query(req, "id") || sb_req_query(req, "sku") ||
		       sb_req_query(req, "sku:in");

	if (bc_paging(req, resp, 1, &page, &limit) < 0)
		return 0;
	win_init(&w, page, limit);
	rows = json_array();
	json_array_foreach (st->products, i, p) {
		if (!filtered) { /* every product matches */
			if (win_take(&w))
				json_array_append_new(rows,
						      product_out(req, p));
			continue;
		}
		id = sb_json_int(json_object_get(p, "id"), 0);
		if (!id_in(req, "id:in", id) ||
		    bc_query_int(req, "id", id) != id ||
		    !str_filter(req, "sku", "sku:in",
				sb_json_str(json_object_get(p, "sku"), "")) ||
		    (name &&
		     strcmp(name, sb_json_str(json_object_get(p, "name"),
					      "")) != 0) ||
		    (tracking &&
		     strcmp(tracking,
			    sb_json_str(
				    json_object_get(p, "inventory_tracking"),
				    "")) != 0))
			continue;
		if (win_take(&w))
			json_array_append_new(rows, product_out(req, p));
	}
	v3_page_window(resp, rows, &w, page, limit);
	return 0;
}

static void
v3_field_error(sb_response *resp, int status, const char *title,
	       const char *field)
{
	bc_v3_error(resp, status, title,
		    json_pack("{s:s}", field, "error.path.missing."));
}

/*
 * Refuse a catalog write of body to product p (NULL: new) or its variant
 * v as BigCommerce does (bc_catalog.c lists the rules): 1 when refused
 * (resp filled), 0 when it may go ahead.
 */
static int
catalog_refused(bc_state *st, sb_response *resp, const json_t *p,
		const json_t *v, const json_t *body)
{
	char msg[MSG_LEN];
	const char *field = NULL, *code = NULL;
	int status = bc_catalog_check(st, p, v, body, msg, sizeof(msg), &field,
				      &code);

	if (status == 0)
		return 0;
	if (status == 409)
		bc_v3_error(resp, 409, msg, NULL);
	else
		bc_v3_error(resp, status, msg, json_pack("{s:s}", field, code));
	return 1;
}

static int
v3_product_create(sb_platform *pf, sb_request *req, sb_response *resp)
{
	bc_state *st = state_of(pf);
	json_t *body = body_json(req, resp, 1), *p;
	char msg[MSG_LEN];
	int status;

	if (body == NULL)
		return 0;
	bc_catalog_record(st, "POST", "v3/catalog/products", body);
	if (catalog_refused(st, resp, NULL, NULL, body)) {
		json_decref(body);
		return 0;
	}
	p = bc_product_create(st, body, &status, msg, sizeof(msg));
	json_decref(body);
	if (p == NULL) {
		if (status == 409)
			bc_v3_error(resp, 409, msg, NULL);
		else
			v3_field_error(resp, 422,
				       "JSON data is missing or invalid", msg);
		return 0;
	}
	v3_data(resp, 200, bc_product_json(p, 1), NULL);
	return 0;
}

static json_t *
product_or_404(bc_state *st, sb_request *req, sb_response *resp)
{
	json_t *p = bc_product_find(st, param_id(req, 0));

	if (p == NULL)
		bc_v3_error(resp, 404, "The requested product was not found.",
			    NULL);
	return p;
}

/* Apply writable catalog fields; inventory goes through the inventory
 * path so that its events fire. */
static void
apply_product_fields(bc_state *st, json_t *p, json_t *variant,
		     const json_t *body)
{
	static const char *const nums[] = {"price",        "cost_price",
					   "weight",       "sale_price",
					   "retail_price", NULL};
	static const char *const strs[] = {"description", "upc",
					   "bin_picking_number", NULL};
	json_t *target = variant ? variant : p, *v;
	size_t i;

	for (i = 0; nums[i]; i++)
		if (json_is_number(json_object_get(body, nums[i])))
			json_object_set(target, nums[i],
					json_object_get(body, nums[i]));
	for (i = 0; strs[i]; i++)
		if (json_is_string(json_object_get(body, strs[i])) &&
		    (variant == NULL || strcmp(strs[i], "name") != 0))
			json_object_set(target, strs[i],
					json_object_get(body, strs[i]));
	v = json_object_get(body, "name");
	if (variant == NULL && json_is_string(v))
		bc_catalog_set_name(st, p, json_string_value(v));
	v = json_object_get(body, "sku");
	if (json_is_string(v))
		bc_catalog_set_sku(st, p, variant, json_string_value(v));
	if (variant == NULL && json_is_string(json_object_get(body, "upc"))) {
		/* a product's barcode is its base variant's too */
		json_t *base =
			json_array_get(json_object_get(p, "variants"), 0);

		if (base && json_array_size(json_object_get(
				    base, "option_values")) == 0)
			json_object_set(base, "upc",
					json_object_get(body, "upc"));
	}
	if (variant == NULL) {
		json_t *base =
			json_array_get(json_object_get(p, "variants"), 0);
		size_t k;

		for (k = 0;
		     base && nums[k] &&
		     json_array_size(json_object_get(base, "option_values")) ==
			     0;
		     k++)
			if (json_is_number(json_object_get(body, nums[k])))
				json_object_set(base, nums[k],
						json_object_get(body, nums[k]));
	}
	v = json_object_get(body, "inventory_tracking");
	if (variant == NULL && json_is_string(v))
		json_object_set(p, "inventory_tracking", v);
	v = json_object_get(body, "inventory_level");
	if (json_is_integer(v)) {
		json_t *var = variant;

		/* A product tracked by variant keeps its stock on the
		 * variants; its own inventory_level is their sum. */
		if (var == NULL &&
		    strcmp(sb_json_str(json_object_get(p, "inventory_tracking"),
				       ""),
			   "variant") != 0)
			var = json_array_get(json_object_get(p, "variants"), 0);
		if (var)
			bc_inventory_set(st, p, var, json_integer_value(v));
	}
}

static int
v3_product_one(sb_platform *pf, sb_request *req, sb_response *resp)
{
	bc_state *st = state_of(pf);
	json_t *p = product_or_404(st, req, resp), *body;

	if (p == NULL)
		return 0;
	if (strcmp(req->method, "PUT") == 0) {
		if ((body = body_json(req, resp, 1)) == NULL)
			return 0;
		bc_catalog_record(st, "PUT", "v3/catalog/products/{id}", body);
		if (catalog_refused(st, resp, p, NULL, body)) {
			json_decref(body);
			return 0;
		}
		apply_product_fields(st, p, NULL, body);
		json_decref(body);
		bc_event(st, "store/product/updated",
			 json_pack("{s:s, s:O}", "type", "product", "id",
				   json_object_get(p, "id")));
	}
	v3_data(resp, 200, product_out(req, p), NULL);
	return 0;
}

static int
variant_matches(const sb_request *req, const json_t *v)
{
	int64_t id = sb_json_int(json_object_get(v, "id"), 0);
	int64_t pid = sb_json_int(json_object_get(v, "product_id"), 0);

	return id_in(req, "id:in", id) && bc_query_int(req, "id", id) == id &&
	       id_in(req, "product_id:in", pid) &&
	       bc_query_int(req, "product_id", pid) == pid &&
	       str_filter(req, "sku", "sku:in",
			  sb_json_str(json_object_get(v, "sku"), "")) &&
	       str_filter(req, "upc", "upc:in",
			  sb_json_str(json_object_get(v, "upc"), ""));
}

static int
v3_variants_list(sb_platform *pf, sb_request *req, sb_response *resp)
{
	bc_state *st = state_of(pf);
	int64_t page, limit;
	json_t *rows, *p, *v, *only = NULL;
	size_t i, j;
	v3_window w;

	if (req->nparams > 0 && (only = product_or_404(st, req, resp)) == NULL)
		return 0;
	if (bc_paging(req, resp, 1, &page, &limit) < 0)
		return 0;
	rows = json_array();
	if (only == NULL && sb_req_query(req, "sku") != NULL) {
		/* an exact SKU: the index, not a scan */
		v = bc_variant_by_sku(st, sb_req_query(req, "sku"), NULL);
		if (v != NULL && variant_matches(req, v))
			json_array_append(rows, v);
		v3_page(resp, rows, page, limit);
		return 0;
	}
	if (only == NULL && sb_req_query(req, "sku:in") != NULL) {
		/* a list of SKUs: each through the index */
		const char *list = sb_req_query(req, "sku:in"), *q = list;
		char sku[256];

		win_init(&w, page, limit);
		while (q && *q) {
			const char *end = strchr(q, ',');
			size_t len = end ? (size_t)(end - q) : strlen(q);

			if (len < sizeof(sku)) {
				memcpy(sku, q, len);
				sku[len] = '\0';
				v = bc_variant_by_sku(st, sku, NULL);
				if (v != NULL && variant_matches(req, v) &&
				    win_take(&w))
					json_array_append(rows, v);
			}
			q = end ? end + 1 : NULL;
		}
		v3_page_window(resp, rows, &w, page, limit);
		return 0;
	}
	win_init(&w, page, limit);
	json_array_foreach (st->products, i, p) {
		if (only && p != only)
			continue;
		json_array_foreach (json_object_get(p, "variants"), j, v) {
			if (variant_matches(req, v) && win_take(&w))
				json_array_append(rows, v);
		}
	}
	v3_page_window(resp, rows, &w, page, limit);
	return 0;
}

static int
v3_variant_create(sb_platform *pf, sb_request *req, sb_response *resp)
{
	bc_state *st = state_of(pf);
	json_t *p = product_or_404(st, req, resp), *body, *v;
	const char *sku;

	if (p == NULL || (body = body_json(req, resp, 1)) == NULL)
		return 0;
	sku = sb_json_str(json_object_get(body, "sku"), NULL);
	if (sku == NULL || bc_variant_by_sku_ci(st, sku, NULL)) {
		json_decref(body);
		if (sku == NULL)
			v3_field_error(resp, 422,
				       "JSON data is missing or invalid",
				       "sku");
		else
			bc_v3_error(resp, 409, "The SKU is already in use",
				    NULL);
		return 0;
	}
	v = json_pack(
		"{s:I, s:I, s:s, s:I, s:f, s:f, s:i, s:i, s:b, s:s, "
		"s:s, s:O}",
		"id", (json_int_t)st->next_variant, "product_id",
		json_object_get(p, "id")
			? (json_int_t)sb_json_int(json_object_get(p, "id"), 0)
			: 0,
		"sku", sku, "sku_id", (json_int_t)st->next_variant + 100000,
		"price",
		json_is_number(json_object_get(body, "price"))
			? json_number_value(json_object_get(body, "price"))
			: json_number_value(json_object_get(p, "price")),
		"calculated_price",
		json_number_value(json_object_get(p, "price")),
		"inventory_level",
		(int)sb_json_int(json_object_get(body, "inventory_level"), 0),
		"inventory_warning_level", 0, "purchasing_disabled", 0, "upc",
		sb_json_str(json_object_get(body, "upc"), ""),
		"bin_picking_number", "", "option_values",
		json_is_array(json_object_get(body, "option_values"))
			? json_object_get(body, "option_values")
			: json_array());
	st->next_variant++;
	json_array_append_new(json_object_get(p, "variants"), v);
	bc_index_variant(st, p, v);
	json_decref(body);
	bc_event(st, "store/sku/created",
		 json_pack("{s:s, s:O, s:{s:O, s:O}}", "type", "sku", "id",
			   json_object_get(v, "id"), "sku", "product_id",
			   json_object_get(p, "id"), "variant_id",
			   json_object_get(v, "id")));
	v3_data(resp, 200, json_deep_copy(v), NULL);
	return 0;
}

static int
v3_variant_one(sb_platform *pf, sb_request *req, sb_response *resp)
{
	bc_state *st = state_of(pf);
	json_t *p = product_or_404(st, req, resp), *v, *owner = NULL, *body;

	if (p == NULL)
		return 0;
	v = bc_variant_find(st, param_id(req, 1), &owner);
	if (v == NULL || owner != p) {
		bc_v3_error(resp, 404, "The requested variant was not found.",
			    NULL);
		return 0;
	}
	if (strcmp(req->method, "PUT") == 0) {
		if ((body = body_json(req, resp, 1)) == NULL)
			return 0;
		apply_product_fields(st, p, v, body);
		json_decref(body);
	}
	v3_data(resp, 200, json_deep_copy(v), NULL);
	return 0;
}

static int
v3_variants_batch(sb_platform *pf, sb_request *req, sb_response *resp)
{
	bc_state *st = state_of(pf);
	json_t *body = body_json(req, resp, 1), *it, *out, *errs, *v, *p;
	size_t i;
	char msg[MSG_LEN];

	if (body == NULL)
		return 0;
	if (!json_is_array(body)) {
		json_decref(body);
		bc_v3_error(
			resp, 422, "JSON data is missing or invalid",
			json_pack("{s:s}", "body", "error.expected.jsarray"));
		return 0;
	}
	if (json_array_size(body) > BC_VARIANT_BATCH_MAX) {
		json_decref(body);
		snprintf(msg, sizeof(msg),
			 "The request payload is too large. The maximum items "
			 "allowed in the array is %d",
			 BC_VARIANT_BATCH_MAX);
		bc_v3_error(resp, 413, msg, NULL);
		return 0;
	}
	bc_catalog_record(st, "PUT", "v3/catalog/variants", body);
	/* Validate every item before changing anything. */
	errs = json_array();
	json_array_foreach (body, i, it) {
		int64_t id = sb_json_int(json_object_get(it, "id"), 0);
		json_t *lvl = json_object_get(it, "inventory_level");
		json_t *owner = NULL, *var = bc_variant_find(st, id, &owner);
		const char *field = NULL, *code = NULL;
		char where[32];
		int bad;

		if (var != NULL &&
		    (bad = bc_catalog_check(st, owner, var, it, msg,
					    sizeof(msg), &field, &code)) != 0) {
			snprintf(where, sizeof(where), "%zu", i);
			json_array_append_new(
				errs,
				json_pack("{s:i, s:s, s:s, s:s, s:{s:s}}",
					  "status", bad, "title", msg, "type",
					  "/api-docs/getting-started/"
					  "api-status-codes",
					  "instance", where, "errors", field,
					  code));
			continue;
		}

		if (bc_variant_find(st, id, NULL) == NULL ||
		    (lvl &&
		     (!json_is_integer(lvl) || json_integer_value(lvl) < 0 ||
		      json_integer_value(lvl) > 2147483647))) {
			char inst[32];

			snprintf(inst, sizeof(inst), "%zu", i);
			json_array_append_new(
				errs,
				json_pack("{s:i, s:s, s:s, s:s, s:{s:s}}",
					  "status", 422, "title",
					  lvl && bc_variant_find(st, id, NULL)
						  ? "Invalid inventory level"
						  : "Variant not found",
					  "type",
					  "/api-docs/getting-started/"
					  "api-status-codes",
					  "instance", inst, "errors",
					  lvl && bc_variant_find(st, id, NULL)
						  ? "inventory_level"
						  : "id",
					  "error.invalid"));
		}
	}
	if (json_array_size(errs) > 0) {
		json_decref(body);
		sb_resp_json(resp, 422,
			     json_pack("{s:o}", "batch_errors", errs), NULL);
		return 0;
	}
	json_decref(errs);
	out = json_array();
	json_array_foreach (body, i, it) {
		p = NULL;
		v = bc_variant_find(
			st, sb_json_int(json_object_get(it, "id"), 0), &p);
		apply_product_fields(st, p, v, it);
		json_array_append_new(out, json_deep_copy(v));
	}
	json_decref(body);
	v3_data(resp, 200, out, NULL);
	return 0;
}

/*
 * PUT /v3/catalog/products: "Batches are limited to 10 products", each
 * with its id [spec:catalog/products_catalog.v3.yml updateProducts]; 413
 * beyond with the spec's title.  Every item is checked before any is
 * applied: one bad item refuses the batch (the spec's 409 and 422
 * answer for the request).
 */
static int
v3_products_batch(sb_platform *pf, sb_request *req, sb_response *resp)
{
	bc_state *st = state_of(pf);
	json_t *body = body_json(req, resp, 1), *it, *out, *p;
	char msg[MSG_LEN];
	size_t i;

	if (body == NULL)
		return 0;
	if (!json_is_array(body)) {
		json_decref(body);
		bc_v3_error(
			resp, 422, "JSON data is missing or invalid",
			json_pack("{s:s}", "body", "error.expected.jsarray"));
		return 0;
	}
	bc_catalog_record(st, "PUT", "v3/catalog/products", body);
	if (json_array_size(body) > BC_PRODUCT_BATCH_MAX) {
		json_decref(body);
		snprintf(msg, sizeof(msg),
			 "The request payload is too large. The maximum items "
			 "allowed in the array is %d.",
			 BC_PRODUCT_BATCH_MAX);
		bc_v3_error(resp, 413, msg, NULL);
		return 0;
	}
	json_array_foreach (body, i, it) {
		p = bc_product_find(st,
				    sb_json_int(json_object_get(it, "id"), 0));
		if (p == NULL) {
			json_decref(body);
			v3_field_error(resp, 422,
				       "JSON data is missing or invalid", "id");
			return 0;
		}
		if (catalog_refused(st, resp, p, NULL, it)) {
			json_decref(body);
			return 0;
		}
	}
	out = json_array();
	json_array_foreach (body, i, it) {
		p = bc_product_find(st,
				    sb_json_int(json_object_get(it, "id"), 0));
		apply_product_fields(st, p, NULL, it);
		bc_event(st, "store/product/updated",
			 json_pack("{s:s, s:O}", "type", "product", "id",
				   json_object_get(p, "id")));
		json_array_append_new(out, bc_product_json(p, 0));
	}
	json_decref(body);
	v3_data(resp, 200, out, NULL);
	return 0;
}

/* ---- v3: inventory
 * ------------------------------------------------------------ */

static void
inv_error(sb_response *resp, const char *title, size_t index)
{
	char key[32];

	snprintf(key, sizeof(key), "items.%zu", index);
	sb_resp_json(resp, 422,
		     json_pack("{s:i, s:s, s:s, s:{s:s}}", "status", 422,
			       "title", title, "type",
			       "/api-docs/getting-started/api-status-codes",
			       "errors", key, title),
		     "application/problem+json");
}

static int
v3_inventory_adjust(sb_platform *pf, sb_request *req, sb_response *resp)
{
	bc_state *st = state_of(pf);
	int relative = strcmp(req->method, "POST") == 0;
	json_t *body = body_json(req, resp, 1), *items, *it;
	json_t **vars = NULL, **prods = NULL;
	size_t i, n;
	char title[MSG_LEN], tx[64];

	if (body == NULL)
		return 0;
	items = json_object_get(body, "items");
	n = json_array_size(items);
	if (!json_is_array(items) || n == 0) {
		json_decref(body);
		bc_v3_error(resp, 422, "JSON data is missing or invalid",
			    json_pack("{s:s}", "items", "error.path.missing."));
		return 0;
	}
	if (n > BC_INVENTORY_ITEMS_MAX) {
		json_decref(body);
		/* The spec lists only 200/422; over-limit status UNCONFIRMED.
		 */
		snprintf(title, sizeof(title),
			 "The maximum number of items is %d",
			 BC_INVENTORY_ITEMS_MAX);
		inv_error(resp, title, BC_INVENTORY_ITEMS_MAX);
		return 0;
	}
	vars = calloc(n, sizeof(*vars));
	prods = calloc(n, sizeof(*prods));
	if (vars == NULL || prods == NULL)
		goto done;
	json_array_foreach (items, i, it) {
		json_t *sku = json_object_get(it, "sku");
		json_t *vid = json_object_get(it, "variant_id");
		json_t *pid = json_object_get(it, "product_id");
		int ids = (sku != NULL) + (vid != NULL) + (pid != NULL);
		const char *tracking;

		if (sb_json_int(json_object_get(it, "location_id"), 0) != 1) {
			snprintf(
				title, sizeof(title),
				"[Location with id %lld not found]",
				(long long)sb_json_int(
					json_object_get(it, "location_id"), 0));
			inv_error(resp, title, i);
			goto done;
		}
		if (!json_is_integer(json_object_get(it, "quantity")) ||
		    ids != 1) {
			inv_error(resp,
				  ids != 1 ? "[Exactly one of sku, variant_id "
					     "or product_id is required]"
					   : "[quantity must be an integer]",
				  i);
			goto done;
		}
		if (sku)
			vars[i] = bc_variant_by_sku(st, sb_json_str(sku, ""),
						    &prods[i]);
		else if (vid)
			vars[i] = bc_variant_find(st, sb_json_int(vid, 0),
						  &prods[i]);
		else if ((prods[i] = bc_product_find(st, sb_json_int(pid, 0))))
			vars[i] = json_array_get(
				json_object_get(prods[i], "variants"), 0);
		if (vars[i] == NULL) {
			snprintf(title, sizeof(title), "[Item %s not found]",
				 sku ? sb_json_str(sku, "") : "with that id");
			inv_error(resp, title, i);
			goto done;
		}
		tracking = sb_json_str(
			json_object_get(prods[i], "inventory_tracking"),
			"none");
		if (vid && strcmp(tracking, "product") == 0) {
			snprintf(title, sizeof(title),
				 "[Item with variant_id %lld is tracked by "
				 "product, please update stock by product id]",
				 (long long)sb_json_int(vid, 0));
			inv_error(resp, title, i);
			goto done;
		}
		if (pid && strcmp(tracking, "variant") == 0) {
			snprintf(title, sizeof(title),
				 "[Item with product_id %lld is tracked by "
				 "variant, please update stock by variant id]",
				 (long long)sb_json_int(pid, 0));
			inv_error(resp, title, i);
			goto done;
		}
		if (relative &&
		    sb_json_int(json_object_get(vars[i], "inventory_level"),
				0) +
				    sb_json_int(json_object_get(it, "quantity"),
						0) <
			    0) {
			inv_error(resp,
				  "[The adjustment would make the stock "
				  "negative]",
				  i);
			goto done;
		}
	}
	json_array_foreach (items, i, it) {
		int64_t q = sb_json_int(json_object_get(it, "quantity"), 0);

		if (relative)
			q += sb_json_int(
				json_object_get(vars[i], "inventory_level"), 0);
		bc_inventory_set(st, prods[i], vars[i], q);
	}
	snprintf(tx, sizeof(tx), "00000000-0000-4000-8000-%012lld",
		 (long long)st->next_inventory_tx++);
	sb_resp_json(resp, 200, json_pack("{s:s}", "transaction_id", tx), NULL);
done:
	if (resp->status == 0)
		bc_v3_error(resp, 500, "Internal error", NULL);
	free(vars);
	free(prods);
	json_decref(body);
	return 0;
}

/* A variant's level at the one location; with_location: with the
 * location's own fields (the items list), else without (the path names
 * the location). */
static json_t *
location_json(const json_t *v, int with_location)
{
	int64_t lvl = sb_json_int(json_object_get(v, "inventory_level"), 0);
	json_t *settings = json_pack(
		"{s:i, s:b, s:O, s:O}", "safety_stock", 0, "is_in_stock",
		lvl > 0, "warning_level",
		json_object_get(v, "inventory_warning_level"),
		"bin_picking_number", json_object_get(v, "bin_picking_number"));

	if (!with_location)
		return json_pack("{s:I, s:I, s:o}", "available_to_sell",
				 (json_int_t)lvl, "total_inventory_onhand",
				 (json_int_t)lvl, "settings", settings);
	return json_pack("{s:i, s:s, s:s, s:I, s:I, s:b, s:o}", "location_id",
			 1, "location_code", "BC-LOCATION-1", "location_name",
			 "Default location", "available_to_sell",
			 (json_int_t)lvl, "total_inventory_onhand",
			 (json_int_t)lvl, "location_enabled", 1, "settings",
			 settings);
}

static int
v3_inventory_items(sb_platform *pf, sb_request *req, sb_response *resp)
{
	bc_state *st = state_of(pf);
	int64_t page, limit;
	json_t *rows = NULL, *p, *v;
	size_t i, j;
	const char *loc = sb_req_query(req, "location_id:in");
	int location_path = req->nparams > 0;
	/* no id or SKU filter: every row matches, no check per row */
	int filtered = sb_req_query(req, "variant_id:in") ||
		       sb_req_query(req, "product_id:in") ||
		       sb_req_query(req, "sku") || sb_req_query(req, "sku:in");
	v3_window w;

	if (location_path && param_id(req, 0) != 1) {
		bc_v3_error(resp, 404, "Location not found", NULL);
		return 0;
	}
	page = bc_query_int(req, "page", 1);
	limit = bc_query_int(req, "limit", 50);
	if (page < 1 || limit < 1 || limit > 1000) {
		bc_v3_error(resp, 422, "Invalid page or limit", NULL);
		return 0;
	}
	rows = json_array();
	win_init(&w, page, limit);
	json_array_foreach (st->products, i, p) {
		json_array_foreach (json_object_get(p, "variants"), j, v) {
			json_t *identity;

			if ((filtered &&
			     (!id_in(req, "variant_id:in",
				     sb_json_int(json_object_get(v, "id"),
						 0)) ||
			      !id_in(req, "product_id:in",
				     sb_json_int(json_object_get(p, "id"),
						 0)) ||
			      !str_filter(req, "sku", "sku:in",
					  sb_json_str(json_object_get(v, "sku"),
						      "")))) ||
			    (loc && !bc_list_has(loc, "1")) || !win_take(&w))
				continue;
			identity = json_pack(
				"{s:O, s:O, s:O, s:O}", "sku",
				json_object_get(v, "sku"), "variant_id",
				json_object_get(v, "id"), "product_id",
				json_object_get(p, "id"), "sku_id",
				json_object_get(v, "sku_id"));
			if (location_path) {
				/* the path names the location */
				json_t *l = location_json(v, 0);

				json_object_set_new(l, "identity", identity);
				json_array_append_new(rows, l);
			} else {
				json_array_append_new(
					rows,
					json_pack("{s:o, s:[o]}", "identity",
						  identity, "locations",
						  location_json(v, 1)));
			}
		}
	}
	v3_page_window(resp, rows, &w, page, limit);
	return 0;
}

static int
v3_locations(sb_platform *pf, sb_request *req, sb_response *resp)
{
	(void)pf;
	(void)req;
	v3_data(resp, 200,
		json_pack("[{s:i, s:s, s:s, s:s, s:b, s:s, s:b, s:b}]", "id", 1,
			  "code", "BC-LOCATION-1", "label", "Default location",
			  "description", "", "managed_by_external_source", 0,
			  "type_id", "PHYSICAL", "enabled", 1,
			  "storefront_visibility", 1),
		bc_pagination(1, 1, 1, 50));
	return 0;
}

/* ---- v3: customers
 * ------------------------------------------------------------ */

static int
v3_customers_list(sb_platform *pf, sb_request *req, sb_response *resp)
{
	bc_state *st = state_of(pf);
	int64_t page, limit;
	json_t *rows, *c, *meta;
	size_t i;
	const char *emails = sb_req_query(req, "email:in");
	int with_addresses = wants(req, "addresses");

	if (bc_paging(req, resp, 1, &page, &limit) < 0)
		return 0;
	rows = json_array();
	json_array_foreach (st->customers, i, c) {
		json_t *copy;

		if (!id_in(req, "id:in",
			   sb_json_int(json_object_get(c, "id"), 0)))
			continue;
		if (emails) {
			/* Email matching is case-insensitive. */
			char lower[320];
			const char *e =
				sb_json_str(json_object_get(c, "email"), "");
			size_t k;
			int hit = 0;
			const char *p = emails;

			for (k = 0; e[k] && k + 1 < sizeof(lower); k++)
				lower[k] = (char)((e[k] >= 'A' && e[k] <= 'Z')
							  ? e[k] + 32
							  : e[k]);
			lower[k] = '\0';
			while (p && *p && !hit) {
				const char *end = strchr(p, ',');
				size_t len =
					end ? (size_t)(end - p) : strlen(p);

				hit = len == strlen(lower) &&
				      strncasecmp(p, lower, len) == 0;
				p = end ? end + 1 : NULL;
			}
			if (!hit)
				continue;
		}
		copy = json_deep_copy(c);
		if (!with_addresses)
			json_object_del(copy, "addresses");
		json_array_append_new(rows, copy);
	}
	{
		int64_t total = (int64_t)json_array_size(rows);
		json_t *out = json_array();
		int64_t k;

		for (k = (page - 1) * limit; k < total && k < page * limit; k++)
			json_array_append(out, json_array_get(rows, (size_t)k));
		json_decref(rows);
		meta = bc_pagination(total, (int64_t)json_array_size(out), page,
				     limit);
		v3_data(resp, 200, out, meta);
	}
	return 0;
}

static int
v3_customers_create(sb_platform *pf, sb_request *req, sb_response *resp)
{
	bc_state *st = state_of(pf);
	json_t *body = body_json(req, resp, 1), *it, *out, *c;
	size_t i, j;
	char msg[MSG_LEN];

	if (body == NULL)
		return 0;
	if (!json_is_array(body) || json_array_size(body) == 0) {
		json_decref(body);
		bc_v3_error(
			resp, 422, "Create customers failed.",
			json_pack("{s:s}", "body", "error.expected.jsarray"));
		return 0;
	}
	if (json_array_size(body) > BC_CUSTOMER_BATCH_MAX) {
		json_decref(body);
		bc_v3_error(resp, 413,
			    "The request payload is too large. The maximum "
			    "items allowed in the array is 10",
			    NULL);
		return 0;
	}
	/* All or nothing: check required fields and duplicate emails. */
	json_array_foreach (body, i, it) {
		const char *e = sb_json_str(json_object_get(it, "email"), NULL);
		const char *miss =
			e == NULL ? "email"
			: !json_is_string(json_object_get(it, "first_name"))
				? "first_name"
			: !json_is_string(json_object_get(it, "last_name"))
				? "last_name"
				: NULL;
		char key[48];
		json_t *x;

		snprintf(key, sizeof(key), ".customer_create[%zu]", i);
		if (miss == NULL) {
			json_array_foreach (st->customers, j, x) {
				if (strcasecmp(sb_json_str(json_object_get(
								   x, "email"),
							   ""),
					       e) == 0)
					miss = "email";
			}
			for (j = 0; j < i; j++)
				if (strcasecmp(sb_json_str(
						       json_object_get(
							       json_array_get(
								       body, j),
							       "email"),
						       ""),
					       e) == 0)
					miss = "email";
		}
		if (miss) {
			snprintf(msg, sizeof(msg), "%s %s", miss,
				 strcmp(miss, "email") == 0 && e
					 ? "is already in use"
					 : "is required");
			json_decref(body);
			bc_v3_error(resp, 422, "Create customers failed.",
				    json_pack("{s:s}", key, msg));
			return 0;
		}
	}
	out = json_array();
	json_array_foreach (body, i, it) {
		c = bc_customer_create(st, it, msg, sizeof(msg));
		if (c)
			json_array_append_new(out, json_deep_copy(c));
	}
	json_decref(body);
	v3_data(resp, 200, out, NULL);
	return 0;
}

/* ---- v3: orders (transactions, refunds) -----------------------------------
 */

static int
v3_transactions(sb_platform *pf, sb_request *req, sb_response *resp)
{
	bc_state *st = state_of(pf);
	bc_order *o = order_or_404(st, req, resp, 1);
	int64_t n;

	if (o == NULL)
		return 0;
	n = (int64_t)json_array_size(o->transactions);
	if (n == 0) {
		sb_resp_empty(resp, 204);
		return 0;
	}
	v3_data(resp, 200, json_deep_copy(o->transactions),
		bc_pagination(n, n, 1, n > 50 ? n : 50));
	return 0;
}

static int
v3_order_refunds(sb_platform *pf, sb_request *req, sb_response *resp)
{
	bc_state *st = state_of(pf);
	bc_order *o = order_or_404(st, req, resp, 1);

	if (o)
		v3_data(resp, 200, json_deep_copy(o->refunds), NULL);
	return 0;
}

/* POST .../payment_actions/refund_quotes (201 RefundQuote_Resp) and
 * .../refunds (201 Refund_Resp); 422 for what BigCommerce refuses. */
/* created:min and created:max (RFC 3339, inclusive) of the refunds
 * listing. */
static int
refund_in_window(const sb_request *req, const json_t *r)
{
	const char *min = sb_req_query(req, "created:min");
	const char *max = sb_req_query(req, "created:max");
	time_t t = 0, lim = 0;

	if (bc_parse_date(sb_json_str(json_object_get(r, "created"), ""), &t) !=
	    0)
		return 1;
	if (min != NULL && bc_parse_date(min, &lim) == 0 && t < lim)
		return 0;
	if (max != NULL && bc_parse_date(max, &lim) == 0 && t > lim)
		return 0;
	return 1;
}

static int
v3_refund_post(sb_platform *pf, sb_request *req, sb_response *resp)
{
	bc_state *st = state_of(pf);
	bc_order *o = order_or_404(st, req, resp, 1);
	json_t *body, *out;
	char msg[256];
	int quote = strstr(req->path, "refund_quotes") != NULL;

	if (o == NULL)
		return 0;
	body = sb_req_json(req, NULL);
	if (!json_is_object(body)) {
		json_decref(body);
		bc_v3_error(resp, 422, "The request body is not a JSON object",
			    NULL);
		return 0;
	}
	msg[0] = '\0';
	out = quote ? bc_refund_quote(st, o, body, msg, sizeof(msg))
		    : json_incref(
			      bc_refund_post(st, o, body, 0, msg, sizeof(msg)));
	json_decref(body);
	if (out == NULL)
		bc_v3_error(resp, 422, msg, NULL);
	else
		v3_data(resp, 201, out, NULL);
	return 0;
}

static int
v3_all_refunds(sb_platform *pf, sb_request *req, sb_response *resp)
{
	bc_state *st = state_of(pf);
	json_t *rows = json_array(), *r;
	size_t i, j;
	int64_t page, limit;

	if (bc_paging(req, resp, 1, &page, &limit) < 0) {
		json_decref(rows);
		return 0;
	}
	for (i = 0; i < st->norders; i++) {
		if (!id_in(req, "order_id:in", st->orders[i].id))
			continue;
		json_array_foreach (st->orders[i].refunds, j, r) {
			if (refund_in_window(req, r) &&
			    id_in(req, "id:in",
				  sb_json_int(json_object_get(r, "id"), 0)))
				json_array_append(rows, r);
		}
	}
	v3_page(resp, rows, page, limit);
	return 0;
}

/* ---- v3: webhooks ----------------------------------------------------------
 */

static int
valid_destination(const char *d)
{
	return strncmp(d, "https://", 8) == 0 || strncmp(d, "http://", 7) == 0;
}

static int
v3_hooks_list(sb_platform *pf, sb_request *req, sb_response *resp)
{
	bc_state *st = state_of(pf);
	int64_t page, limit;
	json_t *rows, *h;
	size_t i;
	const char *active = sb_req_query(req, "is_active");
	const char *scope = sb_req_query(req, "scope");
	const char *dest = sb_req_query(req, "destination");

	if (bc_paging(req, resp, 1, &page, &limit) < 0)
		return 0;
	rows = json_array();
	json_array_foreach (st->hooks, i, h) {
		if (active && json_is_true(json_object_get(h, "is_active")) !=
				      (strcmp(active, "true") == 0))
			continue;
		if (scope &&
		    strcmp(scope,
			   sb_json_str(json_object_get(h, "scope"), "")) != 0)
			continue;
		if (dest &&
		    strcmp(dest, sb_json_str(json_object_get(h, "destination"),
					     "")) != 0)
			continue;
		json_array_append(rows, h);
	}
	v3_page(resp, rows, page, limit);
	return 0;
}

static int
v3_hook_create(sb_platform *pf, sb_request *req, sb_response *resp)
{
	bc_state *st = state_of(pf);
	json_t *body = body_json(req, resp, 1), *h, *x;
	const char *scope, *dest;
	json_t *headers;
	size_t i, same_scope = 0;
	time_t now = bc_now(st);

	if (body == NULL)
		return 0;
	scope = sb_json_str(json_object_get(body, "scope"), NULL);
	dest = sb_json_str(json_object_get(body, "destination"), NULL);
	headers = json_object_get(body, "headers");
	if (scope == NULL || dest == NULL) {
		v3_field_error(resp, 422, "JSON data is missing or invalid",
			       scope == NULL ? "scope" : "destination");
		goto done;
	}
	if (strncmp(scope, "store/", 6) != 0 || !valid_destination(dest) ||
	    (headers && !json_is_null(headers) && !json_is_object(headers))) {
		bc_v3_error(resp, 422, "JSON data is missing or invalid",
			    json_pack("{s:s}",
				      strncmp(scope, "store/", 6) != 0 ? "scope"
				      : !valid_destination(dest) ? "destination"
								 : "headers",
				      "error.invalid"));
		goto done;
	}
	json_array_foreach (st->hooks, i, x) {
		if (strcmp(sb_json_str(json_object_get(x, "scope"), ""),
			   scope) != 0)
			continue;
		same_scope++;
		if (strcmp(sb_json_str(json_object_get(x, "destination"), ""),
			   dest) == 0) {
			/* One hook per scope and destination (status of the
			 * duplicate is UNCONFIRMED). */
			bc_v3_error(resp, 422,
				    "A webhook with this scope and "
				    "destination already exists",
				    json_pack("{s:s}", "destination",
					      "error.duplicate"));
			goto done;
		}
	}
	if (same_scope >= 10) {
		bc_v3_error(resp, 422,
			    "At most 10 webhooks are allowed per scope",
			    json_pack("{s:s}", "scope", "error.limit"));
		goto done;
	}
	h = json_pack(
		"{s:I, s:s, s:s, s:s, s:s, s:O, s:b, s:I, s:I}", "id",
		(json_int_t)st->next_hook++, "client_id", st->client_id,
		"store_hash", st->store_hash, "scope", scope, "destination",
		dest, "headers", headers ? headers : json_null(), "is_active",
		!json_is_false(json_object_get(body, "is_active")),
		"created_at", (json_int_t)now, "updated_at", (json_int_t)now);
	json_array_append_new(st->hooks, h);
	v3_data(resp, 200, json_deep_copy(h), NULL);
done:
	json_decref(body);
	return 0;
}

static int
v3_hook_one(sb_platform *pf, sb_request *req, sb_response *resp)
{
	bc_state *st = state_of(pf);
	int64_t id = param_id(req, 0);
	json_t *h = bc_hook_find(st, id), *body, *v;
	char title[128];
	size_t i;

	if (h == NULL) {
		snprintf(title, sizeof(title),
			 "Webhook with id [%lld] not found", (long long)id);
		bc_v3_error(resp, 404, title, NULL);
		return 0;
	}
	if (strcmp(req->method, "DELETE") == 0) {
		json_t *copy = json_deep_copy(h), *x;

		json_array_foreach (st->hooks, i, x) {
			if (x == h) {
				json_array_remove(st->hooks, i);
				break;
			}
		}
		v3_data(resp, 200, copy, NULL);
		return 0;
	}
	if (strcmp(req->method, "PUT") == 0) {
		int any = 0;

		if ((body = body_json(req, resp, 1)) == NULL)
			return 0;
		if (json_is_string(v = json_object_get(body, "scope")))
			json_object_set(h, "scope", v), any = 1;
		if (json_is_string(v = json_object_get(body, "destination"))) {
			if (!valid_destination(json_string_value(v))) {
				json_decref(body);
				bc_v3_error(resp, 422,
					    "JSON data is missing or invalid",
					    json_pack("{s:s}", "destination",
						      "error.invalid"));
				return 0;
			}
			json_object_set(h, "destination", v), any = 1;
		}
		if (json_is_boolean(v = json_object_get(body, "is_active")))
			json_object_set(h, "is_active", v), any = 1;
		v = json_object_get(body, "headers");
		if (json_is_object(v) || json_is_null(v))
			json_object_set(h, "headers", v), any = 1;
		json_decref(body);
		if (!any) {
			bc_v3_error(
				resp, 422, "JSON data is missing or invalid",
				json_pack("{s:s}", "body",
					  "at least one field is required"));
			return 0;
		}
		json_object_set_new(h, "updated_at",
				    json_integer((json_int_t)bc_now(st)));
	}
	v3_data(resp, 200, json_deep_copy(h), NULL);
	return 0;
}

/* ---- routing and the gate
 * ---------------------------------------------------- */

static const sb_route v2_routes[] = {
	{"GET", "/time", v2_time, "GET v2/time"},
	{"GET", "/store", v2_store, "GET v2/store"},
	{"GET", "/order_statuses", v2_statuses, "GET v2/order_statuses"},
	{"GET", "/order_statuses/{id}", v2_status_get,
	 "GET v2/order_statuses/{id}"},
	{"GET", "/orders", v2_orders_list, "GET v2/orders"},
	{"POST", "/orders", v2_order_create, "POST v2/orders"},
	{"GET", "/orders/count", v2_orders_count, "GET v2/orders/count"},
	{"GET", "/orders/{id}", v2_order_get, "GET v2/orders/{id}"},
	{"PUT", "/orders/{id}", v2_order_update, "PUT v2/orders/{id}"},
	{"DELETE", "/orders/{id}", v2_order_delete, "DELETE v2/orders/{id}"},
	{"GET", "/orders/{id}/products", v2_order_products,
	 "GET v2/orders/{id}/products"},
	{"GET", "/orders/{id}/products/{pid}", v2_order_product,
	 "GET v2/orders/{id}/products/{pid}"},
	{"GET", "/orders/{id}/shipping_addresses", v2_order_addresses,
	 "GET v2/orders/{id}/shipping_addresses"},
	{"GET", "/orders/{id}/shipping_addresses/{aid}", v2_order_address,
	 "GET v2/orders/{id}/shipping_addresses/{aid}"},
	{"PUT", "/orders/{id}/shipping_addresses/{aid}",
	 v2_order_address_update,
	 "PUT v2/orders/{id}/shipping_addresses/{aid}"},
	{"GET", "/orders/{id}/coupons", v2_order_empty,
	 "GET v2/orders/{id}/coupons"},
	{"GET", "/orders/{id}/taxes", v2_order_taxes,
	 "GET v2/orders/{id}/taxes"},
	{"GET", "/orders/{id}/messages", v2_order_empty,
	 "GET v2/orders/{id}/messages"},
	{"GET", "/orders/{id}/shipments", v2_shipments,
	 "GET v2/orders/{id}/shipments"},
	{"POST", "/orders/{id}/shipments", v2_shipment_create,
	 "POST v2/orders/{id}/shipments"},
	{"GET", "/orders/{id}/shipments/count", v2_shipments_count,
	 "GET v2/orders/{id}/shipments/count"},
	{"GET", "/orders/{id}/shipments/{sid}", v2_shipment_one,
	 "GET v2/orders/{id}/shipments/{sid}"},
	{"PUT", "/orders/{id}/shipments/{sid}", v2_shipment_one,
	 "PUT v2/orders/{id}/shipments/{sid}"},
	{"DELETE", "/orders/{id}/shipments/{sid}", v2_shipment_one,
	 "DELETE v2/orders/{id}/shipments/{sid}"},
};

static const sb_route v3_routes[] = {
	{"GET", "/catalog/products", v3_products_list,
	 "GET v3/catalog/products"},
	{"POST", "/catalog/products", v3_product_create,
	 "POST v3/catalog/products"},
	{"PUT", "/catalog/products", v3_products_batch,
	 "PUT v3/catalog/products"},
	{"GET", "/catalog/products/{id}", v3_product_one,
	 "GET v3/catalog/products/{id}"},
	{"PUT", "/catalog/products/{id}", v3_product_one,
	 "PUT v3/catalog/products/{id}"},
	{"GET", "/catalog/products/{id}/variants", v3_variants_list,
	 "GET v3/catalog/products/{id}/variants"},
	{"POST", "/catalog/products/{id}/variants", v3_variant_create,
	 "POST v3/catalog/products/{id}/variants"},
	{"GET", "/catalog/products/{id}/variants/{vid}", v3_variant_one,
	 "GET v3/catalog/products/{id}/variants/{vid}"},
	{"PUT", "/catalog/products/{id}/variants/{vid}", v3_variant_one,
	 "PUT v3/catalog/products/{id}/variants/{vid}"},
	{"GET", "/catalog/variants", v3_variants_list,
	 "GET v3/catalog/variants"},
	{"PUT", "/catalog/variants", v3_variants_batch,
	 "PUT v3/catalog/variants"},
	{"PUT", "/inventory/adjustments/absolute", v3_inventory_adjust,
	 "PUT v3/inventory/adjustments/absolute"},
	{"POST", "/inventory/adjustments/relative", v3_inventory_adjust,
	 "POST v3/inventory/adjustments/relative"},
	{"GET", "/inventory/items", v3_inventory_items,
	 "GET v3/inventory/items"},
	{"GET", "/inventory/locations", v3_locations,
	 "GET v3/inventory/locations"},
	{"GET", "/inventory/locations/{id}/items", v3_inventory_items,
	 "GET v3/inventory/locations/{id}/items"},
	{"GET", "/customers", v3_customers_list, "GET v3/customers"},
	{"POST", "/customers", v3_customers_create, "POST v3/customers"},
	{"GET", "/orders/payment_actions/refunds", v3_all_refunds,
	 "GET v3/orders/payment_actions/refunds"},
	{"GET", "/orders/{id}/transactions", v3_transactions,
	 "GET v3/orders/{id}/transactions"},
	{"GET", "/orders/{id}/payment_actions/refunds", v3_order_refunds,
	 "GET v3/orders/{id}/payment_actions/refunds"},
	{"POST", "/orders/{id}/payment_actions/refunds", v3_refund_post,
	 "POST v3/orders/{id}/payment_actions/refunds"},
	{"POST", "/orders/{id}/payment_actions/refund_quotes", v3_refund_post,
	 "POST v3/orders/{id}/payment_actions/refund_quotes"},
	{"GET", "/hooks", v3_hooks_list, "GET v3/hooks"},
	{"POST", "/hooks", v3_hook_create, "POST v3/hooks"},
	{"GET", "/hooks/{id}", v3_hook_one, "GET v3/hooks/{id}"},
	{"PUT", "/hooks/{id}", v3_hook_one, "PUT v3/hooks/{id}"},
	{"DELETE", "/hooks/{id}", v3_hook_one, "DELETE v3/hooks/{id}"},
};

static void
quota_headers(sb_response *resp, int quota, int left, int64_t reset_ms,
	      int64_t window_ms)
{
	sb_resp_header(resp, 1, "X-Rate-Limit-Time-Window-Ms", "%lld",
		       (long long)window_ms);
	sb_resp_header(resp, 1, "X-Rate-Limit-Time-Reset-Ms", "%lld",
		       (long long)reset_ms);
	sb_resp_header(resp, 1, "X-Rate-Limit-Requests-Quota", "%d", quota);
	sb_resp_header(resp, 1, "X-Rate-Limit-Requests-Left", "%d", left);
}

static int
quota_limit(const bc_state *st)
{
	/* Unlimited windows still announce a (large) quota. */
	return st->quota.limit > 0 ? st->quota.limit : 1000000;
}

/* The 429 reply: v3 error object, v2 empty body (as seen live). */
static void
too_many(sb_response *resp, int v3)
{
	if (v3)
		bc_v3_error(resp, 429, "Too many requests", NULL);
	else
		sb_resp_text(resp, 429, "application/json", "");
}

void
bc_fault_reply(sb_platform *pf, int status, sb_request *req, sb_response *resp)
{
	int v3 = strstr(req->path, "/v3/") != NULL;

	(void)pf;
	if (status == 429)
		too_many(resp, v3);
	else if (v3)
		bc_v3_error(resp, status,
			    status == 503 ? "Service Unavailable"
					  : "Internal Server Error",
			    NULL);
	else
		bc_v2_error(resp, status,
			    status == 503 ? "The store is unavailable."
					  : "An internal error occurred.");
}

void
bc_handle(sb_platform *pf, sb_request *req, sb_response *resp)
{
	bc_state *st = state_of(pf);
	const char *p = req->path, *hash, *rest, *token;
	size_t hash_len;
	int v3, left = 0, matched = 0, ok;
	int64_t reset_ms = 0, now = sb_now_ms();
	const sb_route *r;
	char sub[1024];

	req->endpoint = "other";
	if (strncmp(p, "/stores/", 8) != 0) {
		bc_v3_error(resp, 404, "Not found", NULL);
		return;
	}
	hash = p + 8;
	rest = strchr(hash, '/');
	hash_len = rest ? (size_t)(rest - hash) : strlen(hash);
	if (rest == NULL ||
	    (strncmp(rest, "/v2", 3) != 0 && strncmp(rest, "/v3", 3) != 0) ||
	    (rest[3] != '/' && rest[3] != '\0')) {
		bc_v3_error(resp, 404, "Not found", NULL);
		return;
	}
	v3 = rest[2] == '3';
	snprintf(sub, sizeof(sub), "%s", rest[3] ? rest + 3 : "/");
	/* v2 also accepts a ".json" suffix instead of an Accept header. */
	if (!v3) {
		size_t n = strlen(sub);

		if (n > 5 && strcmp(sub + n - 5, ".json") == 0)
			sub[n - 5] = '\0';
	}
	if (hash_len != strlen(st->store_hash) ||
	    strncmp(hash, st->store_hash, hash_len) != 0) {
		/* Unknown store: 404 (status UNCONFIRMED, see README). */
		if (v3)
			bc_v3_error(resp, 404, "Store not found", NULL);
		else
			bc_v2_error(resp, 404, "The store was not found.");
		return;
	}
	token = sb_req_header(req, "X-Auth-Token");
	if (token == NULL || strcmp(token, st->token) != 0) {
		req->endpoint = "unauthorized";
		if (v3)
			sb_resp_json(
				resp, 401,
				json_pack(
					"{s:i, s:s, s:s}", "status", 401,
					"title",
					"Unauthorized - the v3 Auth client ID "
					"or token in the request are not a "
					"valid combination for this store.",
					"type",
					"/api-docs/getting-started/"
					"api-status-codes"),
				NULL);
		else
			bc_v2_error(resp, 401,
				    "You are not authorized to access this "
				    "resource. Check the X-Auth-Token "
				    "header.");
		return;
	}
	ok = sb_window_take(&st->quota, now, &left, &reset_ms);
	if (st->quota.limit <= 0) {
		left = quota_limit(st);
		reset_ms = st->quota.window_ms;
	}
	if (!ok) {
		req->endpoint = "rate-limited";
		too_many(resp, v3);
		sb_resp_header(resp, 1, "X-Retry-After", "%lld",
			       (long long)((reset_ms + 999) / 1000));
		quota_headers(resp, quota_limit(st), 0, reset_ms,
			      st->quota.window_ms);
		return;
	}
	/* A body must be JSON (415 otherwise, status-codes page). */
	if (req->body_len > 0 && (strcmp(req->method, "POST") == 0 ||
				  strcmp(req->method, "PUT") == 0)) {
		const char *ct = sb_req_header(req, "Content-Type");

		if (ct == NULL ||
		    strncasecmp(ct, "application/json", 16) != 0) {
			req->endpoint = "unsupported-media-type";
			if (v3)
				bc_v3_error(resp, 415,
					    "The request's Content-Type is not "
					    "supported; send application/json",
					    NULL);
			else
				bc_v2_error(
					resp, 415,
					"The request's Content-Type is not "
					"supported. Send application/json.");
			quota_headers(resp, quota_limit(st), left, reset_ms,
				      st->quota.window_ms);
			return;
		}
	}
	r = v3 ? sb_route_match(v3_routes,
				sizeof(v3_routes) / sizeof(v3_routes[0]), req,
				sub, &matched)
	       : sb_route_match(v2_routes,
				sizeof(v2_routes) / sizeof(v2_routes[0]), req,
				sub, &matched);
	if (r == NULL) {
		if (matched) {
			if (v3)
				bc_v3_error(resp, 405, "Method Not Allowed",
					    NULL);
			else
				bc_v2_error(resp, 405,
					    "The requested method is not "
					    "supported by this resource.");
		} else if (v3) {
			bc_v3_error(resp, 404, "Not found", NULL);
		} else {
			v2_not_found(resp);
		}
	} else {
		req->endpoint = r->counter;
		r->fn(pf, req, resp);
	}
	quota_headers(resp, quota_limit(st), left, reset_ms,
		      st->quota.window_ms);
}

json_t *
bc_routes_json(void)
{
	json_t *out = json_array();
	size_t i;

	for (i = 0; i < sizeof(v2_routes) / sizeof(v2_routes[0]); i++)
		json_array_append_new(out, json_string(v2_routes[i].counter));
	for (i = 0; i < sizeof(v3_routes) / sizeof(v3_routes[0]); i++)
		json_array_append_new(out, json_string(v3_routes[i].counter));
	return out;
}
