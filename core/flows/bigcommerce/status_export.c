/*
 * status_export_bc.c - Brightpearl order status changes back to
 * BigCommerce, for orders that came from BigCommerce.
 *
 * A Brightpearl "order.modified.order-status" webhook records one entry
 * per order and event; performing it reads the order's current status
 * (so a late or repeated event writes the latest status, never an old
 * one), keeps only the statuses the operator selected in
 * bigcommerce.orders.sync_statuses, maps the status through the order_status
 * bp>bc mapping (by name, then by id, then the default) and sets the
 * BigCommerce status unless it already has it.  Setting a status is absolute,
 * so performing an entry twice changes nothing.
 *
 * No ping-pong (DESIGN.md "Ownership and echo"): this flow owns
 * Brightpearl status -> BigCommerce status; the order import owns the
 * other direction.  A Brightpearl status the import set itself (at
 * import, or from a BigCommerce edit) is not sent back, and the status
 * this flow sets in BigCommerce is remembered before it is sent, so the
 * import takes it for pearlsync's own write and not for a merchant's edit.
 */
#include "flows/bigcommerce/pair_int.h"
#include "internal.h"
#include "setting_keys.h"
#include "pearlsync/bigcommerce.h"
#include "pearlsync/brightpearl.h"
#include "pearlsync/replay.h"
#include "pearlsync/settings.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FLOW "status_export_bc"
#define CURSOR "status_export_bc.updated_on"

static const char *const bp_events[] = {"order.modified.order-status"};

static int
status_init(void **out_state, ps_flow_env *env)
{
	return ps_pair__hooks_init(out_state, env, bp_events,
				   PS__ARRAY_LEN(bp_events));
}

/*
 * Which statuses are synced back (bigcommerce.orders.sync_statuses): 0 none, 1
 * the list holds only status ids (the poll can filter on them), 2 names too
 * (only perform, which reads the order, can tell).  *out owned.
 */
static int
selected_statuses(char **out, ps_flow_env *env)
{
	const char *p;
	int kind = 1;

	*out = NULL;
	if (ps_store_setting_get(out, env->store,
				 PS_SET_BC_ORDERS_SYNC_STATUSES) < 0)
		ps_error_clear();
	if (*out == NULL || (*out)[0] == '\0')
		return 0;
	for (p = *out; *p != '\0'; p++)
		if (*p != ',' && (*p < '0' || *p > '9'))
			kind = 2;
	return kind;
}

/*
 * poll: makes sure the webhooks are registered, and is the safety net for
 * lost ones: the orders updated since the cursor (a day back the first
 * time) that came from BigCommerce get an entry per status they are at
 * (bp:order:<id>:status:s<status>), so an unchanged order adds nothing.
 * With no status selected nothing is recorded, and with a list of ids
 * only the orders at one of them: an order pearlsync itself just created
 * costs no read to be skipped.
 */
static int
status_poll(ps_flow_env *env)
{
	ps_bp_order_ref *orders = NULL;
	char since[48], best[48], key[96], id[32], bcnum[32];
	char *selected = NULL;
	size_t n = 0, i;
	int64_t bc_id;
	int error, kind;

	if ((error = ps_pair__hooks_poll(env, bp_events,
					 PS__ARRAY_LEN(bp_events))) < 0)
		return error;
	if (PS_PAIR_BP(env) == NULL)
		return 0;
	kind = selected_statuses(&selected, env);
	ps_pair__poll_since(since, sizeof(since), env, CURSOR);
	if ((error = ps_bp_orders_updated_since(&orders, &n, PS_PAIR_BP(env),
						since)) < 0)
		return error;
	ps_util__strlcpy(best, since, sizeof(best));
	if ((error = ps_store_begin(env->store)) < 0)
		goto done;
	for (i = 0; i < n && error == 0; i++) {
		if (strcmp(orders[i].updated_on, best) > 0)
			ps_util__strlcpy(best, orders[i].updated_on,
					 sizeof(best));
		snprintf(id, sizeof(id), "%" PRId64, orders[i].status_id);
		if (kind == 0 ||
		    (kind == 1 && !ps_settings_list_contains(selected, id)))
			continue;
		if (ps_pair__bc_order_of(&bc_id, env->store, orders[i].id) <
		    0) {
			ps_error_clear();
			continue;
		}
		error = ps_store_written_int_is(
			env->store, PS_PLATFORM_BRIGHTPEARL, "order",
			orders[i].id, "status", orders[i].status_id);
		if (error != 0) { /* pearlsync's own status, or a failure */
			error = error < 0 ? error : 0;
			continue;
		}
		snprintf(id, sizeof(id), "%" PRId64, orders[i].id);
		snprintf(bcnum, sizeof(bcnum), "%" PRId64, bc_id);
		snprintf(key, sizeof(key), "bp:order:%s:status:s%" PRId64, id,
			 orders[i].status_id);
		error = ps_pair__log_add(env, FLOW, key,
					 PS_PAIR_KIND_ORDER_STATUS, id, NULL,
					 PS_PLATFORM_BRIGHTPEARL, id,
					 PS_PLATFORM_BIGCOMMERCE, bcnum);
	}
	error = ps_pair__poll_end(env, CURSOR, best, error);
done:
	free(orders);
	free(selected);
	return error;
}

static int
status_on_event(ps_flow_env *env, const ps_event *ev)
{
	char key[128], id[32], bcnum[32], *selected = NULL;
	size_t i;
	int error, kind;

	if (!ps_pair__event_is(ev, PS_PLATFORM_BRIGHTPEARL,
			       "order.modified.order-status"))
		return 0;
	kind = selected_statuses(&selected, env);
	free(selected);
	if (kind == 0)
		return 0; /* no status is synced back */
	for (i = 0; i < ev->nids; i++) {
		int64_t bc_id = 0;

		if (ps_pair__bc_order_of(&bc_id, env->store, ev->ids[i]) < 0)
			ps_error_clear(); /* perform says why it skips */
		snprintf(bcnum, sizeof(bcnum), "%" PRId64, bc_id);
		snprintf(id, sizeof(id), "%" PRId64, ev->ids[i]);
		snprintf(key, sizeof(key), "bp:order:%s:status:ev%" PRId64, id,
			 ev->id);
		if ((error = ps_pair__log_add(env, FLOW, key,
					      PS_PAIR_KIND_ORDER_STATUS, id,
					      NULL, PS_PLATFORM_BRIGHTPEARL, id,
					      PS_PLATFORM_BIGCOMMERCE,
					      bc_id > 0 ? bcnum : NULL)) < 0)
			return error;
	}
	return 0;
}

/* The BigCommerce status id for a Brightpearl status, or PS_EMAPPING. */
static int
map_status(int *out, ps_store *st, const ps_bp_order *o)
{
	char *target = NULL, num[32];
	const char *end;
	char *endp;
	long v;
	int error;

	snprintf(num, sizeof(num), "%" PRId64, o->status_id);
	error = o->status_name != NULL
			? ps_store_mapping_get(&target, st, "order_status",
					       "bp>bc", o->status_name, 0)
			: PS_ENOTFOUND;
	if (error == PS_ENOTFOUND)
		error = ps_store_mapping_get(&target, st, "order_status",
					     "bp>bc", num,
					     PS_STORE_MAPPING_FALLBACK);
	if (error == PS_ENOTFOUND)
		return ps_error_set(PS_EMAPPING,
				    "Brightpearl status '%s' (%s) has no "
				    "BigCommerce status in the order_status "
				    "bp>bc mapping and there is no default",
				    o->status_name ? o->status_name : "?", num);
	if (error < 0)
		return error;
	errno = 0;
	v = strtol(target, &endp, 10);
	end = endp;
	if (end == target || *end != '\0' || errno != 0 || v < 0 || v > 100) {
		error = ps_error_set(PS_EMAPPING,
				     "order_status bp>bc maps '%s' to '%s', "
				     "not a BigCommerce status id",
				     o->status_name ? o->status_name : num,
				     target);
		free(target);
		return error;
	}
	free(target);
	*out = (int)v;
	return 0;
}

/* The entry's order number (the BigCommerce order) and shipping method,
 * for the log's columns. */
static int
describe_entry(ps_flow_env *env, const ps_log_entry *entry,
	       const ps_bc_order *bc)
{
	ps_log_entry f;
	char num[32];

	ps_log_entry_init(&f);
	snprintf(num, sizeof(num), "%" PRId64, bc->id);
	f.order_number = num;
	if (bc->nshipping_addresses > 0)
		f.shipping_method = bc->shipping_addresses[0].shipping_method;
	return ps_store_log_set_fields(env->store, entry->id, &f, env->now);
}

/*
 * BigCommerce's status ids (orders.v2 "order statuses"): shipped ones
 * (Shipped 2, Partially Shipped 3, Completed 10), and the ones an order
 * has before it ships (Incomplete 0, Pending 1, Awaiting Payment 7,
 * Awaiting Pickup 8, Awaiting Shipment 9, Awaiting Fulfillment 11,
 * Manual Verification Required 12).  A shipment moves an order to 2 or 3
 * on BigCommerce's side; a Brightpearl status from before it never moves
 * the order back.
 */
static int
shipped(int64_t status)
{
	return status == 2 || status == 3 || status == 10;
}

static int
before_shipping(int64_t status)
{
	return status == 0 || status == 1 || (status >= 7 && status <= 9) ||
	       status == 11 || status == 12;
}

static int
status_perform(ps_flow_env *env, const ps_log_entry *entry, ps_flow_result *res)
{
	ps_bp_order_list orders = {NULL, 0, NULL};
	ps_bc_order bc;
	char *selected = NULL, num[32], bcid[32];
	int64_t bp_id = 0, bc_id = 0;
	int error = 0, to = 0;

	memset(&bc, 0, sizeof(bc));
	if (PS_PAIR_BP(env) == NULL || PS_PAIR_BC(env) == NULL)
		return ps_error_set(PS_ESETTING,
				    "waiting for the Brightpearl and "
				    "BigCommerce connections");
	if ((error = ps_pair__entry_subject(&bp_id, entry)) < 0)
		return error;
	error = ps_pair__bc_order_of(&bc_id, env->store, bp_id);
	if (error == PS_ENOTFOUND) {
		ps_error_clear();
		return ps_pair__result(res, NULL,
				       "skipped: Brightpearl order %" PRId64
				       " did not come from BigCommerce",
				       bp_id);
	}
	if (error < 0)
		return error;
	snprintf(bcid, sizeof(bcid), "%" PRId64, bc_id);
	if ((error = ps_bp_order_get(&orders, PS_PAIR_BP(env), &bp_id, 1)) < 0)
		goto done;
	if (orders.n == 0) {
		error = ps_error_set(PS_ENOTFOUND,
				     "Brightpearl order %" PRId64 " not found",
				     bp_id);
		goto done;
	}
	snprintf(num, sizeof(num), "%" PRId64, orders.items[0].status_id);
	error = ps_store_written_int_seen(env->store, PS_PLATFORM_BRIGHTPEARL,
					  "order", bp_id, "status",
					  orders.items[0].status_id);
	if (error != 0) {
		if (error > 0)
			error = ps_pair__result(
				res, bcid,
				"skipped: Brightpearl status '%s' was set by "
				"pearlsync (from BigCommerce), not sent back",
				orders.items[0].status_name
					? orders.items[0].status_name
					: num);
		goto done;
	}
	if (ps_store_setting_get(&selected, env->store,
				 PS_SET_BC_ORDERS_SYNC_STATUSES) < 0)
		ps_error_clear();
	if (!ps_settings_list_contains(selected,
				       orders.items[0].status_name
					       ? orders.items[0].status_name
					       : "") &&
	    !ps_settings_list_contains(selected, num)) {
		error = ps_pair__result(
			res, bcid,
			"skipped: Brightpearl status '%s' is not in "
			"bigcommerce.orders.sync_statuses",
			orders.items[0].status_name
				? orders.items[0].status_name
				: num);
		goto done;
	}
	if ((error = map_status(&to, env->store, &orders.items[0])) < 0)
		goto done;
	if ((error = ps_bc_order_get(&bc, PS_PAIR_BC(env), bc_id)) < 0)
		goto done;
	if ((error = describe_entry(env, entry, &bc)) < 0)
		goto done;
	if (bc.status_id == to) {
		error = ps_pair__result(res, bcid,
					"BigCommerce order %" PRId64
					" already has status %d",
					bc_id, to);
		goto done;
	}
	if (shipped(bc.status_id) && before_shipping(to)) {
		/* a Brightpearl status from before the shipment, seen after
		 * BigCommerce moved the order on: not sent back */
		error = ps_pair__result(
			res, bcid,
			"skipped: BigCommerce order %" PRId64
			" is shipped (status %d); Brightpearl status '%s' "
			"would move it back to %d",
			bc_id, bc.status_id,
			orders.items[0].status_name
				? orders.items[0].status_name
				: num,
			to);
		goto done;
	}
	/* remembered first: a crash after BigCommerce took it must still
	 * leave the import knowing the status is pearlsync's */
	if ((error = ps_store_written_int_set(
		     env->store, PS_PLATFORM_BIGCOMMERCE, "order", bc_id,
		     "status", to, FLOW, env->now)) < 0 ||
	    (error = ps_bc_order_update_status(PS_PAIR_BC(env), bc_id, to)) < 0)
		goto done;
	error = ps_pair__result(
		res, bcid,
		"Brightpearl status '%s' -> BigCommerce "
		"status %d (was %d)",
		orders.items[0].status_name ? orders.items[0].status_name : num,
		to, bc.status_id);
done:
	ps_bc_order_dispose(&bc);
	ps_bp_order_list_dispose(&orders);
	free(selected);
	return error;
}

/*
 * replay slot: the Brightpearl orders updated in the window, chosen as the
 * poll chooses them (from BigCommerce, at a selected status, not a status
 * pearlsync set), each queued under the poll's key for its status.  Setting
 * a status is absolute: an entry whose webhook twin already synced it
 * changes nothing when performed.
 */
static int
status_replay(ps_flow_env *env, struct ps_replay *r)
{
	ps_bp_order_ref *orders = NULL;
	char since[48], key[96], id[32], st[32], bcnum[32], *selected = NULL;
	size_t n = 0, i;
	int64_t bc_id;
	int error, kind;

	if (PS_PAIR_BP(env) == NULL)
		return ps_error_set(PS_ESETTING,
				    "replay needs Brightpearl connected");
	if ((kind = selected_statuses(&selected, env)) == 0)
		return ps_error_set(
			PS_ESETTING,
			"no status is synced back: "
			"bigcommerce.orders.sync_statuses is empty");
	ps_pair__replay_since(since, sizeof(since), r);
	if ((error = ps_bp_orders_updated_since(&orders, &n, PS_PAIR_BP(env),
						since)) < 0)
		goto done;
	for (i = 0; i < n && error == 0; i++) {
		if (!ps_pair__replay_in(r, orders[i].updated_on))
			continue;
		snprintf(id, sizeof(id), "%" PRId64, orders[i].id);
		snprintf(st, sizeof(st), "%" PRId64, orders[i].status_id);
		if (kind == 1 && !ps_settings_list_contains(selected, st)) {
			error = ps_replay_report(
				r, "sales order", id, PS_REPLAY_SKIPPED, 0,
				"status %s is not in "
				"bigcommerce.orders.sync_statuses",
				st);
			continue;
		}
		error = ps_pair__bc_order_of(&bc_id, env->store, orders[i].id);
		if (error == PS_ENOTFOUND) {
			ps_error_clear();
			error = ps_replay_report(r, "sales order", id,
						 PS_REPLAY_SKIPPED, 0,
						 "did not come from "
						 "BigCommerce");
			continue;
		}
		if (error < 0 ||
		    (error = ps_store_written_int_is(
			     env->store, PS_PLATFORM_BRIGHTPEARL, "order",
			     orders[i].id, "status", orders[i].status_id)) < 0)
			break;
		if (error > 0) {
			error = ps_replay_report(r, "sales order", id,
						 PS_REPLAY_SKIPPED, 0,
						 "status %s was set by "
						 "pearlsync itself",
						 st);
			continue;
		}
		snprintf(bcnum, sizeof(bcnum), "%" PRId64, bc_id);
		snprintf(key, sizeof(key), "bp:order:%s:status:s%s", id, st);
		error = ps_pair__replay_queue(r, "sales order", FLOW, key,
					      PS_PAIR_KIND_ORDER_STATUS, id,
					      NULL, PS_PLATFORM_BRIGHTPEARL, id,
					      PS_PLATFORM_BIGCOMMERCE, bcnum);
	}
done:
	free(orders);
	free(selected);
	return error;
}

/* What the flow writes (README.md, "Who writes what"). */
static const ps_flow_owns status_owns[] = {
	{PS_PLATFORM_BIGCOMMERCE, "order", "status", PS_PLATFORM_BRIGHTPEARL},
};

const ps_flow_ops ps_flow_status_export_bc = {
	.name = FLOW,
	.alias = "statuses",
	.description = "Brightpearl order statuses to BigCommerce orders",
	.source = PS_PLATFORM_BRIGHTPEARL,
	.target = PS_PLATFORM_BIGCOMMERCE,
	.enabled_setting = PS_SET_BC_ORDERS_ENABLED,
	.owns = status_owns,
	.nowns = PS__ARRAY_LEN(status_owns),
	.init = status_init,
	.fini = ps_pair__hooks_fini,
	.on_event = status_on_event,
	.poll = status_poll,
	.poll_interval_ms = 0,
	.perform = status_perform,
	.replay = status_replay,
	.replay_help = "the Brightpearl orders updated in the window that came "
		       "from BigCommerce and are at a status synced back; "
		       "each gets its status entry queued.",
};
