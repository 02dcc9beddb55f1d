/*
 * webhooks.c - BigCommerce webhooks: list, create exactly once (found again
 * by scope and destination), activate or deactivate, delete.
 */
#include "pearlsync/bigcommerce.h"
#include "platforms/bigcommerce/bigcommerce_int.h"
#include "platforms/connector.h"
#include "internal.h"
#include "pearlsync/log.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

/* --- webhooks ------------------------------------------------------------- */

static const struct ps_bc__field hook_fields[] = {
	FLD(ps_bc_webhook, "id", id, BK_I64, 1),
	FLD(ps_bc_webhook, "scope", scope, BK_STR, 1),
	FLD(ps_bc_webhook, "destination", destination, BK_STR, 1),
	FLD(ps_bc_webhook, "is_active", is_active, BK_BOOL, 0),
	FLD(ps_bc_webhook, "created_at", created_at, BK_EPOCH, 0),
	FLD(ps_bc_webhook, "updated_at", updated_at, BK_EPOCH, 0),
};

void
ps_bc_webhook_dispose(ps_bc_webhook *w)
{
	size_t i;

	if (w == NULL)
		return;
	FIELDS_FREE(w, hook_fields);
	for (i = 0; i < w->nheaders; i++) {
		free(w->headers[i].name);
		free(w->headers[i].value);
	}
	free(w->headers);
	memset(w, 0, sizeof(*w));
}

static void
hook_dispose_v(void *w)
{
	ps_bc_webhook_dispose(w);
}

void
ps_bc_webhook_list_dispose(ps_bc_webhook_list *l)
{
	if (l == NULL)
		return;
	ps_bc__items_dispose(l->items, l->count, sizeof(*l->items),
			     hook_dispose_v);
	memset(l, 0, sizeof(*l));
}

static int
hook_row(void *item, const json_t *row, void *ctx)
{
	ps_bc_webhook *w = item;
	const json_t *hdrs = json_object_get(row, "headers");
	const char *key;
	json_t *val;
	char what[80];
	int error;

	(void)ctx;
	snprintf(what, sizeof(what), "BigCommerce webhook %lld",
		 ps_bc__peek_id(row, "id"));
	if ((error = FIELDS_PARSE(w, hook_fields, row, what)) < 0)
		return error;
	if (json_is_object(hdrs) && json_object_size(hdrs) > 0) {
		w->headers =
			calloc(json_object_size(hdrs), sizeof(*w->headers));
		if (w->headers == NULL) {
			error = ps_error_set(PS_ENOMEM, NULL);
			goto done;
		}
		json_object_foreach ((json_t *)hdrs, key, val) {
			ps_bc_header *h = &w->headers[w->nheaders];

			if (!json_is_string(val))
				continue;
			h->name = ps_util__strdup(key);
			h->value = ps_util__strdup(json_string_value(val));
			w->nheaders++;
			if (h->name == NULL || h->value == NULL) {
				error = ps_error_set(PS_ENOMEM, NULL);
				goto done;
			}
		}
	}
done:
	if (error < 0)
		ps_bc_webhook_dispose(w);
	return error;
}

int
ps_bc_webhooks_list(ps_bc_webhook_list *out, ps_bc *bc)
{
	struct ps_bc__vec v = {NULL, 0, 0, sizeof(ps_bc_webhook)};
	int error;

	memset(out, 0, sizeof(*out));
	error = ps_bc__walk(bc, &v, "/v3/hooks", "v3/hooks", "listing webhooks",
			    1, hook_row, NULL, 0);
	if (error < 0) {
		ps_bc__vec_dispose(&v, hook_dispose_v);
		return error;
	}
	out->items = v.items;
	out->count = v.count;
	return 0;
}

/* The hook with this scope and destination: 0, PS_ENOTFOUND or an error. */
static int
hook_find(ps_bc_webhook *out, ps_bc *bc, const char *scope,
	  const char *destination)
{
	ps_bc_webhook_list l;
	size_t i;
	int error;

	memset(out, 0, sizeof(*out));
	if ((error = ps_bc_webhooks_list(&l, bc)) < 0)
		return error;
	error = PS_ENOTFOUND;
	for (i = 0; i < l.count; i++) {
		if (strcmp(l.items[i].scope, scope) == 0 &&
		    strcmp(l.items[i].destination, destination) == 0) {
			*out = l.items[i];
			memset(&l.items[i], 0, sizeof(l.items[i]));
			error = 0;
			break;
		}
	}
	ps_bc_webhook_list_dispose(&l);
	return error;
}

int
ps_bc_webhook_create(ps_bc_webhook *out, ps_bc *bc, const char *scope,
		     const char *destination, const ps_bc_header_spec *headers,
		     size_t nheaders)
{
	char what[300];
	struct ps_bc__req rq = {"POST", "/v3/hooks", "v3/hooks", NULL, 0, what};
	json_t *hdrs = NULL, *root = NULL;
	size_t i;
	int error = 0, attempt, found;

	memset(out, 0, sizeof(*out));
	if (scope == NULL || *scope == '\0' || destination == NULL ||
	    *destination == '\0')
		return ps_error_set(PS_EINVAL, "a BigCommerce webhook needs a "
					       "scope and a destination");
	snprintf(what, sizeof(what), "registering webhook %.60s -> %.200s",
		 scope, destination);
	if ((hdrs = json_object()) == NULL)
		return ps_error_set(PS_ENOMEM, NULL);
	for (i = 0; i < nheaders; i++) {
		if (headers[i].name == NULL || headers[i].value == NULL ||
		    json_object_set_new(hdrs, headers[i].name,
					json_string(headers[i].value)) < 0) {
			json_decref(hdrs);
			return ps_error_set(PS_EINVAL,
					    "BigCommerce webhook header %zu is "
					    "empty or not UTF-8",
					    i + 1);
		}
	}
	rq.body = json_pack("{s:s,s:s,s:b,s:o}", "scope", scope, "destination",
			    destination, "is_active", 1, "headers", hdrs);
	if (rq.body == NULL)
		return ps_error_set(PS_EINVAL,
				    "BigCommerce webhook scope or "
				    "destination is not valid UTF-8");
	for (attempt = 1;; attempt++) {
		if ((error = ps_bc__call_json(&root, bc, &rq)) == 0) {
			error = root ? hook_row(out, ps_bc__v3_data(root), NULL)
				     : ps_error_set(PS_EPARSE,
						    "BigCommerce: %s: the "
						    "reply was empty",
						    what);
			goto done;
		}
		if (error == PS_EDATA) {
			/* Refused: maybe because the hook already exists
			 * (one per scope and destination): adopt it. */
			char why[PS_ERROR_MAX];

			ps_util__strlcpy(why, ps_error_last(), sizeof(why));
			found = hook_find(out, bc, scope, destination);
			if (found == 0)
				error = 0;
			else
				ps_error_set(error, "%s", why);
			goto done;
		}
		if (!ps_bc__ambiguous(error) || attempt >= BC_CREATE_ATTEMPTS)
			goto done;
		/* One hook per scope and destination: look before retrying. */
		ps_log_warn("bigcommerce", "%s", ps_error_last());
		found = hook_find(out, bc, scope, destination);
		if (found != PS_ENOTFOUND) {
			error = found;
			goto done;
		}
	}
done:
	json_decref(root);
	json_decref(rq.body);
	return error;
}

int
ps_bc_webhook_set_active(ps_bc_webhook *out, ps_bc *bc, int64_t id, int active)
{
	char path[64], what[80];
	struct ps_bc__req rq = {"PUT", path, "v3/hooks/{id}", NULL, 1, what};
	ps_bc_webhook tmp;
	json_t *root = NULL;
	int error;

	memset(&tmp, 0, sizeof(tmp));
	if (out != NULL)
		memset(out, 0, sizeof(*out));
	snprintf(path, sizeof(path), "/v3/hooks/%lld", (long long)id);
	snprintf(what, sizeof(what), "%s webhook %lld",
		 active ? "re-activating" : "deactivating", (long long)id);
	if ((rq.body = json_pack("{s:b}", "is_active", active)) == NULL)
		return ps_error_set(PS_ENOMEM, NULL);
	if ((error = ps_bc__call_json(&root, bc, &rq)) < 0)
		goto done;
	if (out != NULL)
		error = root ? hook_row(out, ps_bc__v3_data(root), NULL)
			     : ps_error_set(PS_EPARSE,
					    "BigCommerce: %s: the "
					    "reply was empty",
					    what);
	else if (root != NULL &&
		 (error = hook_row(&tmp, ps_bc__v3_data(root), NULL)) == 0)
		ps_bc_webhook_dispose(&tmp);
done:
	json_decref(root);
	json_decref(rq.body);
	return error;
}

int
ps_bc_webhook_delete(ps_bc *bc, int64_t id)
{
	char path[64], what[64];
	struct ps_bc__req rq = {"DELETE", path, "v3/hooks/{id}", NULL, 1, what};
	ps_http_response resp = PS_HTTP_RESPONSE_INIT;
	int error;

	snprintf(path, sizeof(path), "/v3/hooks/%lld", (long long)id);
	snprintf(what, sizeof(what), "deleting webhook %lld", (long long)id);
	error = ps_bc__call(bc, &resp, &rq);
	/* A 404 on a repeat means an earlier attempt (whose reply was lost)
	 * deleted it: the goal is reached. */
	if (error == PS_ENOTFOUND && resp.attempts > 1)
		error = 0;
	ps_http_response_dispose(&resp);
	return error;
}

/* Transfers at once for reads that go one per order. */

/* 1 when bc talks to BigCommerce's own API rather than a stand-in. */
static int
is_live(const ps_bc *bc)
{
	static const char live[] = "https://api.bigcommerce.com/";

	return bc != NULL && bc->root != NULL &&
	       strncasecmp(bc->root, live, sizeof(live) - 1) == 0;
}

int
ps_bc_webhook_destination_check(const ps_bc *bc, const char *public_url)
{
	const char *host, *port;
	size_t hostlen;

	if (public_url == NULL ||
	    (strncasecmp(public_url, "https://", 8) != 0 &&
	     strncasecmp(public_url, "http://", 7) != 0))
		return ps_error_set(PS_ESETTING,
				    "webhooks.public_url must be an http:// or "
				    "https:// URL");
	if (!is_live(bc))
		return 0;
	if (strncasecmp(public_url, "https://", 8) != 0)
		return ps_error_set(PS_ESETTING,
				    "webhooks.public_url is not https://: "
				    "BigCommerce delivers webhooks only to "
				    "https:// on port 443; put an HTTPS "
				    "reverse proxy in front of the listener "
				    "and set webhooks.public_url to its "
				    "address");
	host = public_url + 8;
	hostlen = strcspn(host, "/?#");
	/* the port follows the host, or the ']' of an IPv6 literal */
	port = host[0] == '[' ? memchr(host, ']', hostlen) : host;
	if (port != NULL)
		port = memchr(port, ':', hostlen - (size_t)(port - host));
	if (port != NULL && !(hostlen - (size_t)(port - host) == 4 &&
			      strncmp(port, ":443", 4) == 0))
		return ps_error_set(PS_ESETTING,
				    "webhooks.public_url names a port other "
				    "than 443: BigCommerce delivers webhooks "
				    "only to https:// on port 443; put an "
				    "HTTPS reverse proxy on 443 in front of "
				    "the listener");
	return 0;
}
