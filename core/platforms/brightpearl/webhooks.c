/*
 * webhooks.c - Brightpearl webhook subscriptions: list, create (found
 * again by its subscribed topic and URI) and delete.
 */
#include "platforms/brightpearl/brightpearl_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- webhooks ----------------------------------------------------------- */

void
ps_bp_webhook_list_dispose(ps_bp_webhook_list *l)
{
	if (l == NULL)
		return;
	free(l->items);
	json_decref((json_t *)l->priv__);
	memset(l, 0, sizeof(*l));
}

int
ps_bp_webhook_list_get(ps_bp_webhook_list *out, ps_bp *bp)
{
	json_t *root = NULL, *arr = NULL, *item;
	const char *what = "Brightpearl webhook";
	int64_t qos;
	size_t i;
	int error;

	memset(out, 0, sizeof(*out));
	if ((error = ps_bp__list_get(&root, &arr, &out->priv__,
				     (void **)&out->items, sizeof(*out->items),
				     bp, "/integration-service/webhook",
				     "webhook list")) < 0)
		goto done;
	json_array_foreach (arr, i, item) {
		ps_bp_webhook *w = &out->items[out->n];

		if ((error = ps_conn__json_int(&w->id, item, "id", what)) < 0 ||
		    (error = ps_conn__json_str(&w->subscribe_to, item,
					       "subscribeTo", what)) < 0 ||
		    (error = ps_conn__json_str_opt(&w->http_method, item,
						   "httpMethod", what)) < 0 ||
		    (error = ps_conn__json_str_opt(&w->uri_template, item,
						   "uriTemplate", what)) < 0 ||
		    (error = ps_conn__json_str_opt(&w->body_template, item,
						   "bodyTemplate", what)) < 0 ||
		    (error = ps_conn__json_str_opt(&w->content_type, item,
						   "contentType", what)) < 0 ||
		    (error = ps_conn__json_bool_opt(&w->id_set_accepted, item,
						    "idSetAccepted", what, 0)) <
			    0 ||
		    (error = ps_conn__json_int_opt(
			     &qos, item, "qualityOfService", what, 0)) < 0)
			goto done;
		w->qos = (int)qos;
		out->n++;
	}
	ps_bp__sort_items(out->items, out->n, sizeof(*out->items),
			  ps_bp__cmp_id_field);
done:
	json_decref(arr);
	json_decref(root);
	if (error < 0)
		ps_bp_webhook_list_dispose(out);
	return error;
}

/* A registered hook for the same event and URL. */
static int
find_webhook(int64_t *out_id, ps_bp *bp, const void *ctx)
{
	const ps_bp_webhook *w = ctx;
	ps_bp_webhook_list l;
	size_t i;
	int error;

	*out_id = 0;
	if ((error = ps_bp_webhook_list_get(&l, bp)) < 0)
		return error;
	for (i = 0; i < l.n; i++)
		if (strcmp(l.items[i].subscribe_to, w->subscribe_to) == 0 &&
		    l.items[i].uri_template != NULL &&
		    strcmp(l.items[i].uri_template, w->uri_template) == 0)
			*out_id = l.items[i].id;
	ps_bp_webhook_list_dispose(&l);
	return *out_id > 0 ? 0 : PS_ENOTFOUND;
}

int
ps_bp_webhook_create(int64_t *out_id, ps_bp *bp, const ps_bp_webhook *w)
{
	json_t *body = NULL, *root = NULL;
	ps_bp__msg m = {0};
	int64_t id = 0;
	int error;

	if (out_id != NULL)
		*out_id = 0;
	if (w->subscribe_to == NULL || w->uri_template == NULL)
		return ps_error_set(PS_EINVAL, "Brightpearl webhook: event and "
					       "URL are required");
	body = json_pack("{s:s, s:s, s:s, s:b, s:i}", "subscribeTo",
			 w->subscribe_to, "httpMethod",
			 w->http_method != NULL ? w->http_method : "POST",
			 "uriTemplate", w->uri_template, "idSetAccepted",
			 w->id_set_accepted != 0, "qualityOfService", w->qos);
	if (body == NULL)
		return ps_error_set(PS_ENOMEM,
				    "Brightpearl webhook: out of "
				    "memory or a field is not UTF-8");
	if ((error = ps_conn__json_set_str(body, "bodyTemplate",
					   w->body_template, 0)) < 0 ||
	    (error = ps_conn__json_set_str(body, "contentType", w->content_type,
					   0)) < 0)
		goto done;
	m.method = "POST";
	m.body = body;
	m.what = "webhook create";
	if ((error = ps_bp__path(&m.path, "/integration-service/webhook")) <
		    0 ||
	    (error = ps_bp__create_recoverable(&id, NULL, bp, &m, 1,
					       find_webhook, w)) < 0)
		goto done;
	if (out_id != NULL)
		*out_id = id;
done:
	free(m.path); /* m.body is body, released below */
	json_decref(root);
	json_decref(body);
	return error;
}

int
ps_bp_webhook_delete(ps_bp *bp, int64_t id)
{
	char *path = NULL;
	json_t *root = NULL;
	int error;

	if ((error = ps_bp__path(&path, "/integration-service/webhook/%" PRId64,
				 id)) < 0)
		return error;
	error = ps_bp__request(&root, NULL, bp, "DELETE", path, NULL, 1,
			       "webhook delete");
	if (error == PS_ENOTFOUND && bp->last_attempts > 1) {
		/* an earlier attempt, whose reply was lost, deleted it */
		ps_error_clear();
		error = 0;
	}
	json_decref(root);
	free(path);
	return error;
}
