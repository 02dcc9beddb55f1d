/*
 * bp_events.c - what the flows returning Brightpearl's changes to
 * BigCommerce share: reading a stored Brightpearl webhook event (the body
 * pearlsync asked for when it registered the hook), registering those
 * hooks with the secret in the callback path, recording log entries,
 * following the order cross-reference, and listing the stock-tracked
 * products for a full stock reconcile.
 *
 * This is the edge where webhook JSON becomes plain values; the flows
 * themselves never see JSON.
 */
#include "flows/bigcommerce/bp_events_int.h"
#include "platforms/brightpearl/brightpearl_int.h"
#include "internal.h"
#include "pearlsync/brightpearl.h"
#include "pearlsync/settings.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

/* The callback body pearlsync registers (Brightpearl's common template). */
static const char body_template[] =
	"{\"accountCode\":\"${account-code}\","
	"\"resourceType\":\"${resource-type}\",\"id\":\"${resource-id}\","
	"\"lifecycleEvent\":\"${lifecycle-event}\","
	"\"fullEvent\":\"${full-event}\",\"raisedOn\":\"${raised-on}\"}";

static int
parse_i64(int64_t *out, const char *s, const char **end)
{
	char *e;
	long long v;

	errno = 0;
	v = strtoll(s, &e, 10);
	if (e == s || errno != 0 || v <= 0)
		return PS_EPARSE;
	*out = (int64_t)v;
	*end = e;
	return 0;
}

/* "1,2,5-9" into out->ids (capped). */
static int
parse_idset(ps_bpev_event *out, const char *s)
{
	int64_t a, b;
	const char *p = s;

	while (*p != '\0') {
		if (parse_i64(&a, p, &p) < 0)
			return PS_EPARSE;
		b = a;
		if (*p == '-' && parse_i64(&b, p + 1, &p) < 0)
			return PS_EPARSE;
		if (b < a)
			return PS_EPARSE;
		for (; a <= b && out->nids < PS_BPEV_EVENT_MAX_IDS; a++)
			out->ids[out->nids++] = a;
		if (*p == ',')
			p++;
		else if (*p != '\0')
			return PS_EPARSE;
	}
	return out->nids > 0 ? 0 : PS_EPARSE;
}

int
ps_bpev__event_parse(ps_bpev_event *out, const ps_event *ev)
{
	json_t *root = NULL, *id;
	json_error_t jerr;
	const char *name = NULL;
	char num[32];
	int error = 0;

	memset(out, 0, sizeof(*out));
	if (ev == NULL || ev->platform != PS_PLATFORM_BRIGHTPEARL)
		return PS_EINVAL;
	if (ev->payload == NULL ||
	    (root = json_loads(ev->payload, 0, &jerr)) == NULL ||
	    !json_is_object(root)) {
		error = ps_error_set(PS_EPARSE,
				     "Brightpearl webhook event %" PRId64
				     ": body is not a JSON object",
				     ev->id);
		goto done;
	}
	name = json_string_value(json_object_get(root, "fullEvent"));
	if (name == NULL || name[0] == '\0')
		name = ev->topic;
	if (name == NULL || name[0] == '\0' ||
	    strlen(name) >= sizeof(out->full_event)) {
		error = ps_error_set(PS_EPARSE,
				     "Brightpearl webhook event %" PRId64
				     ": no event name",
				     ev->id);
		goto done;
	}
	ps_util__strlcpy(out->full_event, name, sizeof(out->full_event));
	id = json_object_get(root, "id");
	if (json_is_integer(id)) {
		snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT,
			 json_integer_value(id));
		error = parse_idset(out, num);
	} else if (json_is_string(id)) {
		error = parse_idset(out, json_string_value(id));
	} else {
		error = PS_EPARSE;
	}
	if (error < 0)
		error = ps_error_set(PS_EPARSE,
				     "Brightpearl webhook event %" PRId64
				     " (%s): no resource id",
				     ev->id, out->full_event);
done:
	json_decref(root);
	return error;
}

int
ps_bpev__event_is(const ps_bpev_event *e, const char *name)
{
	size_t n = strlen(name);

	return strncmp(e->full_event, name, n) == 0 &&
	       (e->full_event[n] == '\0' || e->full_event[n] == '.');
}

int
ps_bpev__bc_event_order(int64_t *out, const ps_event *ev)
{
	json_t *root = NULL, *data, *id;
	json_error_t jerr;
	int error = PS_EINVAL;

	*out = 0;
	if (ev == NULL || ev->platform != PS_PLATFORM_BIGCOMMERCE ||
	    ev->topic == NULL || strncmp(ev->topic, "store/order/", 12) != 0 ||
	    strncmp(ev->topic, "store/order/refund", 18) == 0 ||
	    ev->payload == NULL)
		return PS_EINVAL;
	if ((root = json_loads(ev->payload, 0, &jerr)) == NULL)
		return ps_error_set(PS_EPARSE,
				    "BigCommerce webhook event %" PRId64
				    ": body is not JSON",
				    ev->id);
	data = json_object_get(root, "data");
	id = json_object_get(data, "id");
	if (json_is_integer(id) && json_integer_value(id) > 0) {
		*out = (int64_t)json_integer_value(id);
		error = 0;
	} else if (json_is_string(id)) {
		const char *end;

		error = parse_i64(out, json_string_value(id), &end) < 0 ||
				*end != '\0'
			    ? PS_EPARSE
			    : 0;
	} else {
		error = PS_EPARSE;
	}
	if (error < 0)
		error = ps_error_set(PS_EPARSE,
				     "BigCommerce webhook event %" PRId64
				     ": no order id",
				     ev->id);
	json_decref(root);
	return error;
}

int
ps_bpev__webhooks_ensure(ps_flow_env *env, const char *const *events,
			  size_t n)
{
	ps_bp_webhook_list hooks = {NULL, 0, NULL};
	char *base = NULL, *secret = NULL, url[1024];
	size_t i, j, len;
	int error = 0, found;

	if (PS_PAIR_BP(env) == NULL)
		return 0;
	if (ps_settings_get(&base, env->store, "webhooks.public_url") < 0 ||
	    ps_settings_get(&secret, env->store, "webhooks.secret") < 0 ||
	    base[0] == '\0' || secret[0] == '\0') {
		ps_error_clear();
		goto done;
	}
	len = strlen(base);
	while (len > 0 && base[len - 1] == '/')
		base[--len] = '\0';
	if ((error = ps_bp_webhook_list_get(&hooks, PS_PAIR_BP(env))) < 0)
		goto done;
	for (i = 0; i < n; i++) {
		ps_bp_webhook w;

		if ((size_t)snprintf(url, sizeof(url),
				     "%s/webhooks/brightpearl/%s/%s", base,
				     secret, events[i]) >= sizeof(url)) {
			error = ps_error_set(PS_ESETTING,
					     "webhooks.public_url is too long");
			goto done;
		}
		found = 0;
		for (j = 0; j < hooks.n && !found; j++)
			found = hooks.items[j].subscribe_to != NULL &&
				hooks.items[j].uri_template != NULL &&
				strcmp(hooks.items[j].subscribe_to,
				       events[i]) == 0 &&
				strcmp(hooks.items[j].uri_template, url) == 0;
		if (found)
			continue;
		memset(&w, 0, sizeof(w));
		w.subscribe_to = events[i];
		w.http_method = "POST";
		w.uri_template = url;
		w.body_template = body_template;
		w.content_type = "application/json";
		w.id_set_accepted = 1;
		w.qos = 1;
		if ((error = ps_bp_webhook_create(NULL, PS_PAIR_BP(env), &w)) < 0)
			goto done;
		ps_log_info("flows", "registered Brightpearl webhook %s",
			    events[i]);
	}
done:
	ps_bp_webhook_list_dispose(&hooks);
	free(base);
	free(secret);
	return error;
}

typedef struct hooks_state {
	int registered;
} hooks_state;

int
ps_bpev__hooks_init(void **out_state, ps_flow_env *env,
		     const char *const *events, size_t n)
{
	hooks_state *hs = calloc(1, sizeof(*hs));

	*out_state = NULL;
	if (hs == NULL)
		return ps_error_set(PS_ENOMEM, NULL);
	*out_state = hs;
	env->state = hs;
	if (PS_PAIR_BP(env) != NULL &&
	    ps_bpev__webhooks_ensure(env, events, n) == 0)
		hs->registered = 1;
	ps_error_clear();
	return 0;
}

int
ps_bpev__hooks_poll(ps_flow_env *env, const char *const *events, size_t n)
{
	hooks_state *hs = env->state;
	int error;

	if (hs == NULL || hs->registered || PS_PAIR_BP(env) == NULL)
		return 0;
	if ((error = ps_bpev__webhooks_ensure(env, events, n)) < 0)
		return error;
	hs->registered = 1;
	return 0;
}

void
ps_bpev__hooks_fini(void *state)
{
	free(state);
}

int
ps_bpev__log_add(ps_flow_env *env, const char *flow, const char *key,
		  ps_platform source, const char *source_id, ps_platform target,
		  const char *order_number)
{
	ps_log_entry e;
	int rc;

	ps_log_entry_init(&e);
	/* borrowed strings: e is never disposed */
	e.flow = (char *)(uintptr_t)flow;
	e.dedupe_key = (char *)(uintptr_t)key;
	e.source_platform = source;
	e.source_id = (char *)(uintptr_t)source_id;
	e.target_platform = target;
	e.order_number = (char *)(uintptr_t)order_number;
	rc = ps_store_log_add(NULL, env->store, &e, env->now);
	return rc < 0 ? rc : 0;
}

static int
xref_lookup(int64_t *out, ps_store *st, ps_platform from, int64_t id,
	    ps_platform to)
{
	char num[32], *s = NULL;
	const char *end;
	int error;

	*out = 0;
	snprintf(num, sizeof(num), "%" PRId64, id);
	if ((error = ps_store_xref_get(&s, st, "order", from, num, to)) < 0)
		return error;
	if (parse_i64(out, s, &end) < 0 || *end != '\0')
		error = ps_error_set(PS_EDATA, "order cross-reference '%s' is "
					       "not a number",
				     s);
	free(s);
	return error;
}

int
ps_bpev__bc_order_of(int64_t *out, ps_store *st, int64_t bp_order_id)
{
	return xref_lookup(out, st, PS_PLATFORM_BRIGHTPEARL, bp_order_id,
			   PS_PLATFORM_BIGCOMMERCE);
}

int
ps_bpev__bp_order_of(int64_t *out, ps_store *st, int64_t bc_order_id)
{
	return xref_lookup(out, st, PS_PLATFORM_BIGCOMMERCE, bc_order_id,
			   PS_PLATFORM_BRIGHTPEARL);
}

int
ps_bpev__setting_on(ps_store *st, const char *key)
{
	int on = 0;

	if (ps_settings_get_bool(&on, st, key) < 0) {
		ps_error_clear();
		return 0;
	}
	return on;
}

int
ps_bpev__result(ps_flow_result *res, const char *target_id,
		 const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	free(res->detail);
	free(res->target_id);
	res->detail = ps_util__strdup(buf);
	res->target_id = target_id ? ps_util__strdup(target_id) : NULL;
	if (res->detail == NULL || (target_id && res->target_id == NULL))
		return ps_error_set(PS_ENOMEM, NULL);
	return 0;
}

/* Search column of each items.product_match_field value. */
static const char *
match_column(const char *field)
{
	static const char *const map[][2] = {
		{"sku", "SKU"}, {"barcode", "barcode"}, {"ean", "EAN"},
		{"upc", "UPC"}, {"isbn", "ISBN"},       {"mpn", "MPN"}};
	size_t i;

	for (i = 0; i < PS__ARRAY_LEN(map); i++)
		if (strcmp(map[i][0], field) == 0)
			return map[i][1];
	return NULL;
}

void
ps_bpev__bp_products_free(ps_bpev_bp_product *p, size_t n)
{
	size_t i;

	for (i = 0; p != NULL && i < n; i++)
		free(p[i].match);
	free(p);
}

int
ps_bpev__bp_products_tracked(ps_bpev_bp_product **out, size_t *out_n,
			      ps_bp *bp, const char *field)
{
	const char *col = match_column(field);
	ps_bpev_bp_product *v = NULL;
	json_t *rows = NULL, *row;
	char query[128];
	size_t i, n = 0;
	int error = 0;

	*out = NULL;
	*out_n = 0;
	if (col == NULL)
		return ps_error_set(PS_ESETTING,
				    "items.product_match_field '%s' is not "
				    "a product identity field",
				    field);
	snprintf(query, sizeof(query),
		 "stockTracked=true&columns=productId,%s", col);
	if ((error = ps_bp__search(&rows, bp, "/product-service/product-search",
				   query, "product search")) < 0)
		goto done;
	if ((v = calloc(json_array_size(rows) + 1, sizeof(*v))) == NULL) {
		error = ps_error_set(PS_ENOMEM, NULL);
		goto done;
	}
	json_array_foreach (rows, i, row) {
		json_t *id = json_object_get(row, "productId");
		const char *m = json_string_value(json_object_get(row, col));

		if (!json_is_integer(id) || m == NULL || m[0] == '\0')
			continue;
		v[n].id = (int64_t)json_integer_value(id);
		if ((v[n].match = ps_util__strdup(m)) == NULL) {
			error = ps_error_set(PS_ENOMEM, NULL);
			goto done;
		}
		n++;
	}
	*out = v;
	*out_n = n;
	v = NULL;
done:
	ps_bpev__bp_products_free(v, n);
	json_decref(rows);
	return error;
}

int
ps_bpev__bp_gons_shipped_since(ps_bpev_gon_ref **out, size_t *out_n,
				ps_bp *bp, const char *since)
{
	ps_conn_buf q = PS_CONN_BUF_INIT(1024);
	ps_bpev_gon_ref *v = NULL;
	json_t *rows = NULL, *row;
	size_t i, n = 0;
	int error = 0;

	*out = NULL;
	*out_n = 0;
	ps_conn__buf_add(&q, "shipped=true&shippedOn=");
	ps_conn__buf_add_urlenc(&q, since);
	ps_conn__buf_add(&q, "%2F&columns=goodsOutNoteId,orderId,shippedOn");
	if ((error = ps_conn__buf_check(&q, "goods-out note search")) < 0)
		goto done;
	if ((error = ps_bp__search(&rows, bp,
				   "/warehouse-service/goods-note/"
				   "goods-out-search",
				   ps_conn__buf_str(&q),
				   "goods-out note search")) < 0)
		goto done;
	if ((v = calloc(json_array_size(rows) + 1, sizeof(*v))) == NULL) {
		error = ps_error_set(PS_ENOMEM, NULL);
		goto done;
	}
	json_array_foreach (rows, i, row) {
		json_t *id = json_object_get(row, "goodsOutNoteId");
		json_t *order = json_object_get(row, "orderId");
		const char *on =
		    json_string_value(json_object_get(row, "shippedOn"));

		if (!json_is_integer(id) || !json_is_integer(order))
			continue;
		v[n].id = (int64_t)json_integer_value(id);
		v[n].order_id = (int64_t)json_integer_value(order);
		ps_util__strlcpy(v[n].shipped_on, on ? on : "",
				 sizeof(v[n].shipped_on));
		n++;
	}
	*out = v;
	*out_n = n;
	v = NULL;
done:
	free(v);
	json_decref(rows);
	ps_conn__buf_dispose(&q);
	return error;
}

/*
 * The order search for updatedOn >= since, and orderStatusId = status_id
 * unless it is 0 (the filter is the search's own: order-search lists
 * orderStatusId as an INTEGER filter).
 */
static int
orders_search(ps_bpev_order_ref **out, size_t *out_n, ps_bp *bp,
	      const char *since, int64_t status_id)
{
	ps_conn_buf q = PS_CONN_BUF_INIT(1024);
	ps_bpev_order_ref *v = NULL;
	json_t *rows = NULL, *row;
	size_t i, n = 0;
	int error = 0;

	*out = NULL;
	*out_n = 0;
	ps_conn__buf_add(&q, "updatedOn=");
	ps_conn__buf_add_urlenc(&q, since);
	ps_conn__buf_add(&q, "%2F&columns=orderId,orderStatusId,updatedOn");
	if (status_id > 0) {
		char num[48];

		snprintf(num, sizeof(num), "&orderStatusId=%" PRId64,
			 status_id);
		ps_conn__buf_add(&q, num);
	}
	if ((error = ps_conn__buf_check(&q, "order search")) < 0)
		goto done;
	if ((error = ps_bp__search(&rows, bp, "/order-service/order-search",
				   ps_conn__buf_str(&q), "order search")) < 0)
		goto done;
	if ((v = calloc(json_array_size(rows) + 1, sizeof(*v))) == NULL) {
		error = ps_error_set(PS_ENOMEM, NULL);
		goto done;
	}
	json_array_foreach (rows, i, row) {
		json_t *id = json_object_get(row, "orderId");
		json_t *status = json_object_get(row, "orderStatusId");
		const char *on =
		    json_string_value(json_object_get(row, "updatedOn"));

		if (!json_is_integer(id))
			continue;
		v[n].id = (int64_t)json_integer_value(id);
		v[n].status_id = json_is_integer(status)
				     ? (int64_t)json_integer_value(status)
				     : 0;
		ps_util__strlcpy(v[n].updated_on, on ? on : "",
				 sizeof(v[n].updated_on));
		n++;
	}
	*out = v;
	*out_n = n;
	v = NULL;
done:
	free(v);
	json_decref(rows);
	ps_conn__buf_dispose(&q);
	return error;
}

int
ps_bpev__bp_orders_updated_since(ps_bpev_order_ref **out, size_t *out_n,
				  ps_bp *bp, const char *since)
{
	return orders_search(out, out_n, bp, since, 0);
}

int
ps_bpev__bp_orders_at_status_since(ps_bpev_order_ref **out, size_t *out_n,
				    ps_bp *bp, const char *since,
				    int64_t status_id)
{
	*out = NULL;
	*out_n = 0;
	if (status_id <= 0)
		return ps_error_set(PS_EINVAL,
				    "order search: status id %" PRId64
				    " is not a Brightpearl status",
				    status_id);
	return orders_search(out, out_n, bp, since, status_id);
}

void
ps_bpev__poll_since(char *buf, size_t cap, ps_flow_env *env,
		     const char *cursor)
{
	char *stored = NULL;
	time_t t;
	struct tm tm;

	if (ps_store_cursor_get(&stored, NULL, env->store, cursor) == 0) {
		ps_util__strlcpy(buf, stored, cap);
		free(stored);
		return;
	}
	ps_error_clear();
	t = (time_t)((env->now - 86400000) / 1000);
	gmtime_r(&t, &tm);
	strftime(buf, cap, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int
ps_bpev__poll_end(ps_flow_env *env, const char *cursor, const char *value,
		   int error)
{
	if (error == 0)
		error = ps_store_cursor_set(env->store, cursor, value,
					    env->now);
	if (error < 0) {
		ps_store_rollback(env->store);
		return error;
	}
	return ps_store_commit(env->store);
}
