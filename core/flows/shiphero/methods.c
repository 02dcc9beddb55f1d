/*
 * methods.c - Brightpearl's shipping methods refreshed for the ShipHero
 * shipping-method map (flow shipping_methods_sh, alias
 * shiphero-methods): on the operator's request (the console's refresh,
 * `pearlsync run shiphero-methods`, `pearlsync sync-once
 * shiphero-methods`) and on a schedule (shiphero.methods.refresh_hours,
 * daily by default).  The refresh rewrites the cached list the map's
 * picker offers and records which mapped methods Brightpearl no longer
 * has, so the console can warn about them.
 */
#include "flows/shiphero/setup_int.h"
#include "internal.h"
#include "setting_keys.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "pearlsync/brightpearl.h"
#include "pearlsync/log.h"
#include "pearlsync/settings.h"

#define MOD "shipping_methods_sh"

typedef struct vanish_ctx {
	const json_t *methods;
	json_t *vanished;
	int error;
} vanish_ctx;

static int
has_id(const json_t *arr, const char *id)
{
	size_t i;
	json_t *o;

	json_array_foreach (arr, i, o) {
		const char *x = json_string_value(json_object_get(o, "id"));

		if (x != NULL && strcmp(x, id) == 0)
			return 1;
	}
	return 0;
}

static int
vanish_cb(const ps_mapping *m, void *payload)
{
	vanish_ctx *v = payload;

	if (m->source == NULL || m->source[0] == '\0' ||
	    has_id(v->methods, m->source) || has_id(v->vanished, m->source))
		return 0;
	if (json_array_append_new(
		    v->vanished, json_pack("{s:s,s:s}", "id", m->source, "name",
					   m->target ? m->target : "")) < 0)
		return ps_error_set(PS_ENOMEM, NULL);
	return 0;
}

static int
cache_json(ps_store *st, const char *kind, const json_t *arr, int64_t now)
{
	char *text = json_dumps(arr, JSON_COMPACT);
	int error;

	if (text == NULL)
		return ps_error_set(PS_ENOMEM, NULL);
	error = ps_store_cache_set(st, kind, text, now);
	free(text);
	return error;
}

int
ps_sh_methods_refresh(size_t *out_methods, size_t *out_vanished, void *conn,
		      ps_store *st, int64_t now)
{
	ps_bp_ref_list l = {0};
	json_t *arr = json_array();
	vanish_ctx v = {arr, json_array(), 0};
	char id[32], when[32];
	json_t *o;
	size_t i;
	int error;

	if (arr == NULL || v.vanished == NULL) {
		error = ps_error_set(PS_ENOMEM, NULL);
		goto done;
	}
	if (conn == NULL) {
		error = ps_error_set(PS_ESETTING,
				     "Brightpearl is not connected");
		goto done;
	}
	if ((error = ps_bp_ref_list_get(&l, conn, PS_BP_REF_SHIPPING_METHOD)) <
	    0)
		goto done;
	for (i = 0; i < l.n; i++) {
		snprintf(id, sizeof(id), "%lld", (long long)l.items[i].id);
		if (json_array_append_new(
			    arr, json_pack("{s:s,s:s}", "id", id, "name",
					   l.items[i].name ? l.items[i].name
							   : id)) < 0) {
			error = ps_error_set(PS_ENOMEM, NULL);
			goto done;
		}
	}
	if ((error = ps_store_begin(st)) < 0)
		goto done;
	snprintf(when, sizeof(when), "%lld", (long long)now);
	if ((error = ps_store_mapping_foreach(st, PS_SH_MAP_SHIPPING_METHOD,
					      PS_SH_MAP_DIRECTION, vanish_cb,
					      &v)) < 0 ||
	    (error = cache_json(st, PS_SETUP_LIST_BP_SHIPPING, arr, now)) < 0 ||
	    (error = cache_json(st, PS_SH_LIST_METHODS_VANISHED, v.vanished,
				now)) < 0 ||
	    (error = ps_store_cursor_set(st, PS_SH_METHODS_STREAM, when, now)) <
		    0 ||
	    (error = ps_store_commit(st)) < 0) {
		ps_store_rollback(st);
		goto done;
	}
	json_array_foreach (v.vanished, i, o) {
		ps_log_warn(MOD,
			    "shipping method %s is mapped to ShipHero but "
			    "Brightpearl no longer has it",
			    json_string_value(json_object_get(o, "id")));
	}
	if (out_methods != NULL)
		*out_methods = l.n;
	if (out_vanished != NULL)
		*out_vanished = json_array_size(v.vanished);
done:
	ps_bp_ref_list_dispose(&l);
	json_decref(arr);
	json_decref(v.vanished);
	return error;
}

static int
methods_poll(ps_flow_env *env)
{
	int64_t hours = 24, last = 0;
	char *text = NULL;
	size_t n = 0, gone = 0;
	int error;

	if (!env->run_now) {
		if (ps_settings_get_int(&hours, env->store,
					PS_SET_SHIPHERO_METHODS_REFRESH_HOURS) <
		    0) {
			ps_error_clear();
			hours = 24;
		}
		error = ps_store_cursor_get(&text, &last, env->store,
					    PS_SH_METHODS_STREAM);
		free(text);
		if (error < 0 && error != PS_ENOTFOUND)
			return error;
		ps_error_clear();
		if (error == 0 && env->now - last < hours * 3600 * 1000)
			return 0;
	}
	error = ps_sh_methods_refresh(&n, &gone,
				      env->conn[PS_PLATFORM_BRIGHTPEARL],
				      env->store, env->now);
	if (error == 0)
		ps_log_info(MOD,
			    "%zu Brightpearl shipping methods refreshed; %zu "
			    "mapped ones vanished",
			    n, gone);
	return error;
}

const ps_flow_ops ps_flow_shipping_methods_sh = {
	.name = "shipping_methods_sh",
	.alias = "shiphero-methods",
	.description = "Brightpearl shipping methods refreshed for the "
		       "ShipHero shipping-method map",
	.source = PS_PLATFORM_BRIGHTPEARL,
	.target = PS_PLATFORM_SHIPHERO,
	.enabled_setting = "shiphero.enabled",
	.poll = methods_poll,
	.poll_interval_ms = 60000,
};
