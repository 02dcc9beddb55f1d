/*
 * registry.c - the list of flows and the classification of failures.
 *
 * Add a flow by defining its `const ps_flow_ops ps_flow_<name>` in its own
 * file under core/flows/, declaring it below and listing it in `flows`.
 * A group of flows that serves one pair of platforms lists its setup
 * steps and mapping tables (pearlsync/setup.h) in `groups`.
 */
#include "flows/bigcommerce/setup_int.h"
#include "flows/bigcommerce/pair_int.h"
#include "flows/dsco/out_int.h"
#include "flows/dsco/setup_int.h"
#include "flows/shiphero/setup_int.h"
#include "flows/dsco/dsco_int.h"
#include "flows/shiphero/sh_int.h"
#include "internal.h"
#include "pearlsync/flow.h"
#include "pearlsync/setup.h"

#include <stdlib.h>
#include <string.h>

extern const ps_flow_ops ps_flow_order_import_bc;

/* one flow a line (clang-format would pack them into columns) */
/* clang-format off */
static const ps_flow_ops *const flows[] = {
	&ps_flow_order_import_bc,
	&ps_flow_status_export_bc,
	&ps_flow_shipment_export_bc,
	&ps_flow_inventory_export_bc,
	&ps_flow_product_export_bc,
	&ps_flow_notes_bc,
	&ps_flow_refund_import_bc,
	&ps_flow_order_import_dsco,
	&ps_flow_cancel_import_dsco,
	&ps_flow_shipment_export_dsco,
	&ps_flow_inventory_export_dsco,
	&ps_flow_invoice_export_dsco,
	&ps_flow_gon_export_sh,
	&ps_flow_tracking_import_sh,
	&ps_flow_product_sync_sh,
	&ps_flow_shipping_methods_sh,
	NULL,
};
/* clang-format on */

static const ps_flow_group *const groups[] = {
	&ps_flow_group_bigcommerce,
	&ps_flow_group_dsco,
	&ps_flow_group_shiphero,
	NULL,
};

const ps_flow_group *const *
ps_flow_groups_all(void)
{
	return groups;
}

int
ps_setup_run_status(char *buf, size_t cap, ps_store *st, const char *flow)
{
	size_t i;
	int r;

	if (cap > 0)
		buf[0] = '\0';
	for (i = 0; groups[i] != NULL; i++) {
		if (groups[i]->run_status == NULL)
			continue;
		if ((r = groups[i]->run_status(buf, cap, st, flow)) != 0)
			return r < 0 ? r : 0;
	}
	return 0;
}

static int
count_row(const ps_mapping *m, void *payload)
{
	(void)m;
	(*(size_t *)payload)++;
	return 0;
}

int
ps_setup_mapping_rows(size_t *out, ps_store *st, const char *kind,
		      const char *direction)
{
	*out = 0;
	return ps_store_mapping_foreach(st, kind, direction, count_row, out);
}

const ps_flow_ops *const *
ps_flows_all(void)
{
	return flows;
}

const ps_flow_ops *
ps_flow_find(const char *name)
{
	size_t i;

	for (i = 0; name != NULL && flows[i] != NULL; i++)
		if (strcmp(flows[i]->name, name) == 0 ||
		    (flows[i]->alias && strcmp(flows[i]->alias, name) == 0))
			return flows[i];
	return NULL;
}

ps_flow_disposition
ps_flow_classify(int code)
{
	switch (code) {
	case PS_ENET:
	case PS_ETIMEOUT:
	case PS_ERATELIMIT:
	case PS_EREMOTE:
	case PS_EBUSY:
	case PS_EPARSE:
	case PS_ENOMEM:
		return PS_FLOW_RETRY;
	case PS_ESETTING:
		return PS_FLOW_WAIT_SETTING;
	default:
		return PS_FLOW_WAIT_OPERATOR;
	}
}

void
ps_flow_result_dispose(ps_flow_result *r)
{
	if (r == NULL)
		return;
	free(r->target_id);
	free(r->detail);
	free(r->warning);
	r->target_id = NULL;
	r->detail = NULL;
	r->warning = NULL;
}
