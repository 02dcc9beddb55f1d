/*
 * hooks.c - the BigCommerce hooks the worker keeps registered.
 *
 * One hook per order scope, pointing at the listener's public address,
 * carrying the secret header the listener checks.  BigCommerce deactivates
 * a hook whose deliveries keep failing (and after long inactivity); the
 * worker turns such hooks back on.  A hook whose header no longer matches
 * the secret (the operator changed it) is deleted and created again.
 */
#include "internal.h"
#include "worker_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

const char *const ps_worker__bc_scopes[] = {
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
		    strcasecmp(h->headers[i].name, PS_WORKER__SECRET_HEADER) ==
			    0 &&
		    h->headers[i].value != NULL &&
		    strcmp(h->headers[i].value, secret) == 0)
			return 1;
	return 0;
}

int
ps_worker__hooks_sync(size_t *out_changed, ps_bc *bc, const char *public_url,
		      const char *secret)
{
	ps_bc_webhook_list list = {NULL, 0};
	ps_bc_header_spec hdr = {PS_WORKER__SECRET_HEADER, secret};
	ps_bc_webhook made;
	char dest[1024];
	size_t changed = 0, i, k, len;
	int error;

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
	for (k = 0; ps_worker__bc_scopes[k] != NULL; k++) {
		const char *scope = ps_worker__bc_scopes[k];
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
			ps_bc_webhook_dispose(&made);
			changed++;
		} else if (!found->is_active) {
			/* out given (zeroed by the call) rather than NULL */
			error = ps_bc_webhook_set_active(&made, bc, found->id,
							 1);
			ps_bc_webhook_dispose(&made);
			if (error < 0)
				goto done;
			ps_log_info("worker",
				    "BigCommerce hook %lld for %s "
				    "re-activated",
				    (long long)found->id, scope);
			changed++;
		}
	}
	error = 0;
done:
	ps_bc_webhook_list_dispose(&list);
	if (out_changed != NULL)
		*out_changed = changed;
	return error;
}
