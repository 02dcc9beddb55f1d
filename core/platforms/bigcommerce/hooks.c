/*
 * hooks.c - the BigCommerce hooks the worker keeps registered.
 *
 * One hook per order scope, pointing at the listener's public address,
 * carrying the secret header the listener checks.  BigCommerce deactivates
 * a hook whose deliveries keep failing (and after long inactivity); the
 * worker turns such hooks back on.  A hook whose header no longer matches
 * the secret (the operator changed it) is deleted and created again.
 *
 * What the sync leaves is recorded in the store's cache as "bc.webhooks":
 * a JSON array of {id, scope, destination, is_active, reactivated}, one
 * per order scope whose hook exists, so the console can warn when a hook
 * is (still) deactivated.
 */
#include "platforms/bigcommerce/webhooks_int.h"
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

const char *const ps_bc__hook_scopes[] = {
	"store/order/created",
	"store/order/updated",
	"store/order/statusUpdated",
	NULL,
};

static int
has_secret(const ps_bc_webhook *h, const char *secret)
{
	size_t i;

	for (i = 0; i < h->nheaders; i++)
		if (h->headers[i].name != NULL &&
		    strcasecmp(h->headers[i].name, PS_BC__SECRET_HEADER) ==
			    0 &&
		    h->headers[i].value != NULL &&
		    strcmp(h->headers[i].value, secret) == 0)
			return 1;
	return 0;
}

/* Append one hook's state to the record (a failed append is dropped). */
static void
note_hook(json_t *rec, int64_t id, const char *scope, const char *dest,
	  int active, int reactivated)
{
	if (rec == NULL)
		return;
	json_array_append_new(
		rec, json_pack("{s:I,s:s,s:s,s:b,s:b}", "id", (json_int_t)id,
			       "scope", scope, "destination", dest, "is_active",
			       active, "reactivated", reactivated));
}

/* Store the record as cache "bc.webhooks"; a failure is only logged. */
static void
record_hooks(ps_store *st, json_t *rec, int64_t now)
{
	char *text;

	if (st == NULL || rec == NULL)
		return;
	text = json_dumps(rec, JSON_COMPACT);
	if (text == NULL ||
	    ps_store_cache_set(st, "bc.webhooks", text, now) < 0)
		ps_log_warn("bigcommerce", "recording the BigCommerce hooks: %s",
			    text ? ps_error_last() : "out of memory");
	free(text);
}

int
ps_bc__hooks_sync(size_t *out_changed, ps_bc *bc, const char *public_url,
		      const char *secret, ps_store *st, int64_t now)
{
	ps_bc_webhook_list list = {NULL, 0};
	ps_bc_header_spec hdr = {PS_BC__SECRET_HEADER, secret};
	ps_bc_webhook made;
	json_t *rec = NULL;
	char dest[1024];
	size_t changed = 0, i, k, len;
	int error, listed = 0;

	if (out_changed != NULL)
		*out_changed = 0;
	len = strlen(public_url);
	while (len > 0 && public_url[len - 1] == '/')
		len--;
	if ((size_t)snprintf(dest, sizeof(dest), "%.*s/webhooks/bigcommerce",
			     (int)len, public_url) >= sizeof(dest))
		return ps_error_set(PS_EINVAL, "webhooks.public_url is too "
					       "long");
	if ((error = ps_bc_webhooks_list(&list, bc)) < 0)
		goto done;
	listed = 1;
	rec = json_array();
	for (k = 0; ps_bc__hook_scopes[k] != NULL; k++) {
		const char *scope = ps_bc__hook_scopes[k];
		ps_bc_webhook *found = NULL;

		for (i = 0; i < list.count; i++) {
			ps_bc_webhook *h = &list.items[i];

			if (h->scope != NULL && h->destination != NULL &&
			    strcmp(h->scope, scope) == 0 &&
			    strcmp(h->destination, dest) == 0) {
				found = h;
				break;
			}
		}
		if (found != NULL && !has_secret(found, secret)) {
			if ((error = ps_bc_webhook_delete(bc, found->id)) < 0 &&
			    error != PS_ENOTFOUND)
				goto done;
			found = NULL;
		}
		if (found == NULL) {
			memset(&made, 0, sizeof(made));
			if ((error = ps_bc_webhook_create(&made, bc, scope,
							  dest, &hdr, 1)) < 0)
				goto done;
			ps_log_info("worker",
				    "BigCommerce hook %lld for %s "
				    "created",
				    (long long)made.id, scope);
			note_hook(rec, made.id, scope, dest, made.is_active, 0);
			ps_bc_webhook_dispose(&made);
			changed++;
		} else if (!found->is_active) {
			/* out given (zeroed by the call) rather than NULL */
			error = ps_bc_webhook_set_active(&made, bc, found->id,
							 1);
			ps_bc_webhook_dispose(&made);
			note_hook(rec, found->id, scope, dest, error == 0,
				  error == 0);
			if (error < 0)
				goto done;
			ps_log_info("worker",
				    "BigCommerce hook %lld for %s "
				    "re-activated",
				    (long long)found->id, scope);
			changed++;
		} else {
			note_hook(rec, found->id, scope, dest, 1, 0);
		}
	}
	error = 0;
done:
	if (listed)
		record_hooks(st, rec, now);
	json_decref(rec);
	ps_bc_webhook_list_dispose(&list);
	if (out_changed != NULL)
		*out_changed = changed;
	return error;
}
