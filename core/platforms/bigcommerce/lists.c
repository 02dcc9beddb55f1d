/*
 * lists.c - the BigCommerce lists the console offers as pickers: the
 * order statuses (their custom labels when the store set one), cached as
 * a JSON array of {"id", "name"} (platform.h).
 */
#include "internal.h"
#include "platforms/bigcommerce/lists_int.h"

#include <stdio.h>
#include <stdlib.h>

#include <jansson.h>

#include "pearlsync/bigcommerce.h"
#include "pearlsync/setup.h"

const ps_platform_list ps_bc__lists[PS_BC__NLISTS] = {
	{PS_SETUP_LIST_BC_STATUSES, "BigCommerce status"},
};

static int
fetch_statuses(ps_store *st, ps_bc *bc, int64_t now)
{
	ps_bc_order_status_list l = {0};
	json_t *arr = json_array(), *o;
	char id[32], *text = NULL;
	size_t i;
	int error;

	if (arr == NULL)
		return ps_error_set(PS_ENOMEM, "out of memory");
	if ((error = ps_bc_order_statuses_list(&l, bc)) < 0)
		goto done;
	for (i = 0; i < l.count; i++) {
		const ps_bc_order_status *s = &l.items[i];
		const char *name = s->custom_label && s->custom_label[0]
					   ? s->custom_label
					   : s->name;

		snprintf(id, sizeof(id), "%d", s->id);
		o = json_pack("{s:s, s:s}", "id", id, "name",
			      name != NULL ? name : id);
		if (o == NULL || json_array_append_new(arr, o) < 0) {
			error = ps_error_set(PS_ENOMEM, "out of memory");
			goto done;
		}
	}
	if ((text = json_dumps(arr, JSON_COMPACT)) == NULL) {
		error = ps_error_set(PS_ENOMEM, "out of memory");
		goto done;
	}
	error = ps_store_cache_set(st, ps_bc__lists[0].kind, text, now);
done:
	free(text);
	ps_bc_order_status_list_dispose(&l);
	json_decref(arr);
	return error;
}

int
ps_bc__lists_fetch(size_t *out_fetched, void *conn, ps_store *st, int64_t now)
{
	int error = fetch_statuses(st, conn, now);

	*out_fetched = error == 0 ? 1 : 0;
	return error;
}
