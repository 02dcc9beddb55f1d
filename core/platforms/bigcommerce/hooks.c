/*
 * hooks.c - the BigCommerce hooks the worker keeps registered.
 *
 * One hook per order scope, pointing at the listener's public address,
 * carrying the secret header the listener checks.  BigCommerce deactivates
 * a hook whose deliveries keep failing (and after long inactivity); the
 * worker turns such hooks back on.  A hook whose header no longer matches
 * the secret (the operator changed it) is deleted and created again.
 *
 * What the sync leaves is recorded in the store (ps_store_hooks_replace):
 * one row per order scope whose hook exists, so the console can warn when
 * a hook is (still) deactivated.
 */
#include "platforms/bigcommerce/webhooks_int.h"
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

const char *const ps_bc__hook_scopes[] = {
	"store/order/created",
	"store/order/updated",
	"store/order/statusUpdated",
	"store/order/refund/created",
	NULL,
};

static int
has_secret(const ps_bc_webhook *h, const char *secret)
{
	size_t i;

	for (i = 0; i < h->nheaders; i++)
		if (h->headers[i].name != NULL &&
		    strcasecmp(h->headers[i].name, PS_BC__SECRET_HEADER) == 0 &&
		    h->headers[i].value != NULL &&
		    strcmp(h->headers[i].value, secret) == 0)
			return 1;
	return 0;
}

/* The hooks found, as they will be recorded. */
typedef struct found_hooks {
	ps_hook_state v[8];
	char ids[8][24];
	size_t n;
} found_hooks;

static void
note_hook(found_hooks *rec, int64_t id, const char *scope, const char *dest,
	  int active, int reactivated, int64_t now)
{
	ps_hook_state *h;

	if (rec->n == PS__ARRAY_LEN(rec->v))
		return;
	h = &rec->v[rec->n];
	snprintf(rec->ids[rec->n], sizeof(rec->ids[0]), "%lld", (long long)id);
	h->platform = PS_PLATFORM_BIGCOMMERCE;
	h->topic = (char *)(uintptr_t)scope;
	h->hook_id = rec->ids[rec->n];
	h->destination = (char *)(uintptr_t)dest;
	h->active = active;
	h->reactivated = reactivated;
	h->checked_at = now;
	rec->n++;
}

/* Record what was found; a failure is only logged. */
static void
record_hooks(ps_store *st, const found_hooks *rec)
{
	if (st == NULL)
		return;
	if (ps_store_hooks_replace(st, PS_PLATFORM_BIGCOMMERCE, rec->v,
				   rec->n) < 0) {
		ps_log_warn("bigcommerce", "recording the hooks: %s",
			    ps_error_last());
		ps_error_clear();
	}
}

int
ps_bc__hooks_sync(size_t *out_changed, ps_bc *bc, const char *public_url,
		  const char *secret, ps_store *st, int64_t now)
{
	ps_bc_webhook_list list = {NULL, 0};
	ps_bc_header_spec hdr = {PS_BC__SECRET_HEADER, secret};
	ps_bc_webhook made;
	found_hooks rec;
	char dest[1024];
	size_t changed = 0, i, k, len;
	int error, listed = 0;

	if (out_changed != NULL)
		*out_changed = 0;
	memset(&rec, 0, sizeof(rec));
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
			note_hook(&rec, made.id, scope, dest, made.is_active, 0,
				  now);
			ps_bc_webhook_dispose(&made);
			changed++;
		} else if (!found->is_active) {
			/* out given (zeroed by the call) rather than NULL */
			error = ps_bc_webhook_set_active(&made, bc, found->id,
							 1);
			ps_bc_webhook_dispose(&made);
			note_hook(&rec, found->id, scope, dest, error == 0,
				  error == 0, now);
			if (error < 0)
				goto done;
			ps_log_info("worker",
				    "BigCommerce hook %lld for %s "
				    "re-activated",
				    (long long)found->id, scope);
			changed++;
		} else {
			note_hook(&rec, found->id, scope, dest, 1, 0, now);
		}
	}
	error = 0;
done:
	if (listed)
		record_hooks(st, &rec);
	ps_bc_webhook_list_dispose(&list);
	if (out_changed != NULL)
		*out_changed = changed;
	return error;
}
