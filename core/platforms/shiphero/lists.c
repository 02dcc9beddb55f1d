/*
 * lists.c - the ShipHero lists the console offers as pickers: the
 * account's warehouses (for the warehouse map), cached as a JSON array
 * of {"id", "name"} (platform.h).
 */
#include "platforms/shiphero/shiphero_int.h"
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>

#include <jansson.h>

const ps_platform_list ps_sh__lists[PS_SH__NLISTS] = {
	{PS_SH_LIST_WAREHOUSES, "ShipHero warehouse"},
};

static int
fetch_warehouses(ps_store *st, ps_sh *sh, int64_t now)
{
	ps_sh_warehouse_list l = {0};
	json_t *arr = json_array(), *o;
	char *text = NULL;
	size_t i;
	int error;

	if (arr == NULL)
		return ps_error_set(PS_ENOMEM, NULL);
	if ((error = ps_sh_warehouses(&l, sh)) < 0)
		goto done;
	for (i = 0; i < l.n; i++) {
		const ps_sh_warehouse *w = &l.items[i];

		o = json_pack("{s:s,s:s}", "id", w->id, "name",
			      w->identifier ? w->identifier : w->id);
		if (o == NULL || json_array_append_new(arr, o) < 0) {
			error = ps_error_set(PS_ENOMEM, NULL);
			goto done;
		}
	}
	if ((text = json_dumps(arr, JSON_COMPACT)) == NULL) {
		error = ps_error_set(PS_ENOMEM, NULL);
		goto done;
	}
	error = ps_store_cache_set(st, PS_SH_LIST_WAREHOUSES, text, now);
done:
	free(text);
	ps_sh_warehouse_list_dispose(&l);
	json_decref(arr);
	return error;
}

int
ps_sh__lists_fetch(size_t *out_fetched, void *conn, ps_store *st, int64_t now)
{
	int error;

	*out_fetched = 0;
	if ((error = fetch_warehouses(st, conn, now)) == 0)
		*out_fetched = 1;
	return error;
}
