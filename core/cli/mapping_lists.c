/*
 * mapping_lists.c - the platform lists a mapping import is checked against
 * (mapping_lists.h).
 */
#include "mapping_lists.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "pearlsync/config.h"
#include "pearlsync/connect.h"
#include "pearlsync/http.h"
#include "pearlsync/log.h"
#include "pearlsync/platform.h"
#include "pearlsync/settings.h"
#include "pearlsync/setup.h"

#define MAX_LISTS 16

struct ps_cli_maplists {
	ps_store *st;
	/* looked-up lists (products): one connection per plug-in, made on
	 * first use; conn NULL when that platform is not configured */
	ps_config cfg;
	int cfg_loaded;
	ps_http *http;
	const ps_platform_ops *lookup[MAX_LISTS]; /* static */
	void *conn[MAX_LISTS];                    /* owned */
	int conn_error[MAX_LISTS]; /* the connect's error, every later use */
	size_t nlookup;
	const char *need[MAX_LISTS]; /* cache kinds, static */
	size_t nneed;
	json_t *loaded[MAX_LISTS]; /* parallel to need: the cached array */
	int tried[MAX_LISTS];
};

int
ps_cli_maplists_new(ps_cli_maplists **out, ps_store *st)
{
	*out = calloc(1, sizeof(**out));
	if (*out == NULL)
		return ps_error_set(PS_ENOMEM, NULL);
	(*out)->st = st;
	return 0;
}

void
ps_cli_maplists_free(ps_cli_maplists *ml)
{
	size_t i;

	if (ml == NULL)
		return;
	for (i = 0; i < ml->nneed; i++)
		json_decref(ml->loaded[i]);
	for (i = 0; i < ml->nlookup; i++)
		if (ml->conn[i] != NULL)
			ml->lookup[i]->free(ml->conn[i]);
	ps_http_free(ml->http);
	free(ml);
}

/* The flow groups' table of (kind, direction), or NULL. */
static const ps_setup_mapping_kind *
ps_cli_maplists__kind(const char *kind, const char *direction)
{
	const ps_flow_group *const *g;
	size_t i;

	for (g = ps_flow_groups_all(); *g != NULL; g++)
		for (i = 0; i < (*g)->nmappings; i++)
			if (strcmp((*g)->mappings[i].kind, kind) == 0 &&
			    strcmp((*g)->mappings[i].direction, direction) == 0)
				return &(*g)->mappings[i];
	return NULL;
}

/* The plug-in that looks up list one value at a time, or NULL. */
static const ps_platform_ops *
ps_cli_maplists__lookup(const char *list)
{
	const ps_platform_ops *const *p;

	for (p = ps_platforms_all(); list != NULL && *p != NULL; p++)
		if ((*p)->lookup_kind != NULL && (*p)->lookup_resolve != NULL &&
		    strcmp((*p)->lookup_kind, list) == 0)
			return *p;
	return NULL;
}

static size_t
ps_cli_maplists__index(const ps_cli_maplists *ml, const char *list)
{
	size_t i;

	for (i = 0; i < ml->nneed; i++)
		if (strcmp(ml->need[i], list) == 0)
			return i;
	return (size_t)-1;
}

static void
ps_cli_maplists__add(ps_cli_maplists *ml, const char *list)
{
	/* looked-up lists are asked one value at a time, never fetched */
	if (list == NULL || ps_cli_maplists__lookup(list) != NULL ||
	    ps_cli_maplists__index(ml, list) != (size_t)-1 ||
	    ml->nneed == MAX_LISTS)
		return;
	ml->need[ml->nneed++] = list;
}

void
ps_cli_maplists_need(ps_cli_maplists *ml, const char *kind,
		     const char *direction)
{
	const ps_setup_mapping_kind *k = ps_cli_maplists__kind(kind, direction);

	if (k == NULL)
		return;
	ps_cli_maplists__add(ml, k->source_list);
	ps_cli_maplists__add(ml, k->target_list);
}

/* Whether ops offers one of the noted lists. */
static int
ps_cli_maplists__wanted(const ps_cli_maplists *ml, const ps_platform_ops *ops)
{
	size_t i;

	for (i = 0; i < ops->nlists; i++)
		if (ps_cli_maplists__index(ml, ops->lists[i].kind) !=
		    (size_t)-1)
			return 1;
	return 0;
}

int
ps_cli_maplists_fetch(ps_cli_maplists *ml, const ps_cli_global *g, int offline)
{
	const ps_platform_ops *const *all = ps_platforms_all();
	ps_http_options ho = PS_HTTP_OPTIONS_INIT;
	ps_config cfg;
	ps_http *http = NULL;
	size_t i;
	int error = 0;

	if (offline || ml->nneed == 0)
		return 0;
	if (ps_cli_load_config(&cfg, g) != PS_EXIT_OK)
		return ps_error_set(PS_EINVAL, "the config file is unusable");
	ho.max_attempts = 2;
	ho.backoff_base_ms = 200;
	ho.backoff_cap_ms = 1000;
	ho.max_wait_ms = 5000;
	if ((error = ps_connect_http(&http, &cfg, &ho)) < 0)
		return error;
	for (i = 0; all[i] != NULL && error == 0; i++) {
		const ps_platform_ops *ops = all[i];
		void *conn = NULL;
		size_t got = 0;
		int on = 1;

		if (ops->connect == NULL || ops->lists_fetch == NULL ||
		    !ps_cli_maplists__wanted(ml, ops))
			continue;
		if (ops->enabled_setting != NULL &&
		    ps_settings_get_bool(&on, ml->st, ops->enabled_setting) ==
			    0 &&
		    !on)
			continue; /* switched off: its cached copy serves */
		error = ops->connect(&conn, ml->st, &cfg, http);
		if (error == PS_ESETTING) {
			ps_error_clear(); /* not configured: cache serves */
			error = 0;
			continue;
		}
		if (error == 0)
			error = ops->lists_fetch(&got, conn, ml->st,
						 ps_cli_now_ms());
		if (conn != NULL)
			ops->free(conn);
		if (error < 0) {
			char msg[PS_ERROR_MAX];

			char *nl;

			snprintf(msg, sizeof(msg), "%s", ps_error_last());
			ps_redact(msg, sizeof(msg));
			while ((nl = strpbrk(msg, "\r\n")) != NULL)
				*nl = ' ';
			/* its own line: a redacted reason masks what follows */
			ps_cli_error("%s", msg);
			error = ps_error_set(error,
					     "cannot fetch %s's lists to check "
					     "the file against (--offline: "
					     "against those fetched before)",
					     ops->title);
		}
	}
	ps_http_free(http);
	return error;
}

/* The cached list i, loaded once; NULL when never fetched. */
static int
ps_cli_maplists__load(json_t **out, ps_cli_maplists *ml, size_t i)
{
	char *text = NULL;
	int64_t at = 0;
	int error;

	*out = NULL;
	if (ml->tried[i]) {
		*out = ml->loaded[i];
		return 0;
	}
	ml->tried[i] = 1;
	error = ps_store_cache_get(&text, &at, ml->st, ml->need[i]);
	if (error == PS_ENOTFOUND) {
		ps_error_clear();
		return 0;
	}
	if (error < 0)
		return error;
	ml->loaded[i] = json_loads(text, 0, NULL);
	free(text);
	if (!json_is_array(ml->loaded[i])) {
		json_decref(ml->loaded[i]);
		ml->loaded[i] = NULL;
		return ps_error_set(PS_EPARSE, "the cached list %s is damaged",
				    ml->need[i]);
	}
	*out = ml->loaded[i];
	return 0;
}

/* Whether value is an "id" of arr. */
static int
ps_cli_maplists__has(const json_t *arr, const char *value)
{
	const json_t *it;
	size_t i;

	json_array_foreach (arr, i, it) {
		const char *id = json_string_value(json_object_get(it, "id"));

		if (id != NULL && strcmp(id, value) == 0)
			return 1;
	}
	return 0;
}

/* The platform title whose lists include list. */
static const char *
ps_cli_maplists__owner(const char *list)
{
	const ps_platform_ops *const *p;
	size_t i;

	for (p = ps_platforms_all(); *p != NULL; p++)
		for (i = 0; i < (*p)->nlists; i++)
			if (strcmp((*p)->lists[i].kind, list) == 0)
				return (*p)->title;
	return "the platform";
}

static int
ps_cli_maplists__value(ps_cli_maplists *ml, const char *list, const char *label,
		       const char *value)
{
	size_t i;
	json_t *arr;
	int error;

	if (list == NULL || value == NULL || value[0] == '\0')
		return 0; /* free text, or the default row's empty source */
	if ((i = ps_cli_maplists__index(ml, list)) == (size_t)-1)
		return 0;
	if ((error = ps_cli_maplists__load(&arr, ml, i)) < 0)
		return error;
	if (arr == NULL || ps_cli_maplists__has(arr, value))
		return 0;
	return ps_error_set(PS_EINVAL,
			    "%s '%s' is not in the list fetched from %s", label,
			    value, ps_cli_maplists__owner(list));
}

int
ps_cli_maplists_check(ps_cli_maplists *ml, const char *kind,
		      const char *direction, const char *source,
		      const char *target)
{
	const ps_setup_mapping_kind *k = ps_cli_maplists__kind(kind, direction);
	int error;

	if (k == NULL)
		return 0;
	if ((error = ps_cli_maplists__value(ml, k->source_list, k->source_label,
					    source)) < 0)
		return error;
	return ps_cli_maplists__value(ml, k->target_list, k->target_label,
				      target);
}

int
ps_cli_maplists_is_lookup(const char *kind, const char *direction)
{
	const ps_setup_mapping_kind *k = ps_cli_maplists__kind(kind, direction);

	return k != NULL && ps_cli_maplists__lookup(k->target_list) != NULL;
}

/* The connection of ops for lookups, made once; *out NULL when the
 * platform is not configured. */
static int
ps_cli_maplists__conn(void **out, ps_cli_maplists *ml, const ps_cli_global *g,
		      const ps_platform_ops *ops)
{
	ps_http_options ho = PS_HTTP_OPTIONS_INIT;
	size_t i;
	int error;

	*out = NULL;
	for (i = 0; i < ml->nlookup; i++)
		if (ml->lookup[i] == ops) {
			*out = ml->conn[i];
			return ml->conn_error[i];
		}
	if (ml->nlookup == MAX_LISTS || ops->connect == NULL)
		return 0;
	if (!ml->cfg_loaded) {
		if (ps_cli_load_config(&ml->cfg, g) != PS_EXIT_OK)
			return ps_error_set(PS_EINVAL,
					    "the config file is unusable");
		ml->cfg_loaded = 1;
	}
	ho.max_attempts = 2;
	ho.backoff_base_ms = 200;
	ho.backoff_cap_ms = 1000;
	ho.max_wait_ms = 5000;
	if (ml->http == NULL &&
	    (error = ps_connect_http(&ml->http, &ml->cfg, &ho)) < 0)
		return error;
	i = ml->nlookup++;
	ml->lookup[i] = ops;
	error = ops->connect(&ml->conn[i], ml->st, &ml->cfg, ml->http);
	if (error == PS_ESETTING) {
		ps_error_clear(); /* not configured: ids only, unchecked */
		error = 0;
	}
	*out = ml->conn[i];
	return ml->conn_error[i] = error;
}

int
ps_cli_maplists_target(char **out, char *how, size_t cap, ps_cli_maplists *ml,
		       const ps_cli_global *g, int offline, const char *kind,
		       const char *direction, const char *target)
{
	const ps_setup_mapping_kind *k = ps_cli_maplists__kind(kind, direction);
	const ps_platform_ops *ops =
		k ? ps_cli_maplists__lookup(k->target_list) : NULL;
	ps_platform_item it;
	void *conn = NULL;
	const char *p;
	int error;

	*out = NULL;
	if (cap > 0)
		how[0] = '\0';
	if (ops == NULL || target == NULL || target[0] == '\0')
		goto keep;
	if (!offline && (error = ps_cli_maplists__conn(&conn, ml, g, ops)) < 0)
		return error;
	if (conn == NULL) {
		char why[96];

		if (offline)
			snprintf(why, sizeof(why), "--offline");
		else
			snprintf(why, sizeof(why), "%s not configured",
				 ops->title);
		for (p = target; *p >= '0' && *p <= '9'; p++)
			;
		if (*p != '\0' || target[0] == '0')
			return ps_error_set(
				PS_EINVAL,
				"'%s' is not a %s id, and with %s "
				"it cannot be looked up by its code",
				target, k->target_label, why);
		snprintf(how, cap, "%s id %s not checked (%s)", k->target_label,
			 target, why);
		goto keep;
	}
	if ((error = ops->lookup_resolve(&it, how, cap, conn, target)) < 0)
		return error;
	if ((*out = strdup(it.id)) == NULL)
		return ps_error_set(PS_ENOMEM, NULL);
	return 0;
keep:
	if ((*out = strdup(target != NULL ? target : "")) == NULL)
		return ps_error_set(PS_ENOMEM, NULL);
	return 0;
}
