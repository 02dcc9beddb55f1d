/*
 * setting_check.c - a setting's value against its platform list
 * (setting_check.h).
 */
#include "pearlsync/setting_check.h"
#include "internal.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pearlsync/connect.h"
#include "pearlsync/platform.h"
#include "pearlsync/settings.h"
#include "pearlsync/setup.h"

/* The PICK field that edits key, or NULL. */
static const ps_setup_field *
ps_setting_check__field(const char *key)
{
	const ps_flow_group *const *g;
	size_t s, f;

	for (g = ps_flow_groups_all(); key != NULL && *g != NULL; g++)
		for (s = 0; s < (*g)->nsteps; s++)
			for (f = 0; f < (*g)->steps[s].nfields; f++) {
				const ps_setup_field *fd =
					&(*g)->steps[s].fields[f];

				if ((fd->type == PS_SETUP_FIELD_PICK ||
				     fd->type == PS_SETUP_FIELD_PICK_MANY) &&
				    fd->key != NULL && fd->list != NULL &&
				    strcmp(fd->key, key) == 0)
					return fd;
			}
	return NULL;
}

const char *
ps_setting_check_list(const char *key)
{
	const ps_setup_field *f = ps_setting_check__field(key);

	return f != NULL ? f->list : NULL;
}

/* The platform serving list kind, and the list's label. */
const ps_platform_ops *
ps_setting_check__owner(const char **label, const char *kind)
{
	const ps_platform_ops *const *p;
	size_t i;

	*label = kind;
	for (p = ps_platforms_all(); *p != NULL; p++)
		for (i = 0; i < (*p)->nlists; i++)
			if (strcmp((*p)->lists[i].kind, kind) == 0) {
				*label = (*p)->lists[i].label;
				return *p;
			}
	return NULL;
}

/*
 * Fetch ops's lists into the cache.  PS_ESETTING (cleared, 0 returned with
 * *out_skipped 1) when the platform is not configured.
 */
static int
ps_setting_check__fetch(int *out_skipped, ps_store *st,
			const ps_platform_ops *ops,
			const ps_setting_check_options *o)
{
	ps_http_options ho = PS_HTTP_OPTIONS_INIT;
	ps_http *http = o->http;
	void *conn = NULL;
	size_t got = 0;
	int error;

	*out_skipped = 0;
	if (http == NULL) {
		ho.max_attempts = 2;
		ho.backoff_base_ms = 200;
		ho.backoff_cap_ms = 1000;
		ho.max_wait_ms = 5000;
		if ((error = ps_connect_http(&http, o->cfg, &ho)) < 0)
			return error;
	}
	error = ops->connect(&conn, st, o->cfg, http);
	if (error == PS_ESETTING) {
		ps_error_clear();
		*out_skipped = 1;
		error = 0;
	} else if (error == 0) {
		error = ops->lists_fetch(&got, conn, st, o->now);
	}
	if (conn != NULL)
		ops->free(conn);
	if (http != o->http)
		ps_http_free(http);
	return error;
}

/* The cached list as JSON (new reference) and when it was fetched; NULL
 * when never fetched. */
int
ps_setting_check__cached(json_t **out, int64_t *at, ps_store *st,
			 const char *kind)
{
	char *text = NULL;
	int error;

	*out = NULL;
	*at = 0;
	error = ps_store_cache_get(&text, at, st, kind);
	if (error == PS_ENOTFOUND) {
		ps_error_clear();
		return 0;
	}
	if (error < 0)
		return error;
	*out = json_loads(text, 0, NULL);
	free(text);
	if (!json_is_array(*out)) {
		json_decref(*out);
		*out = NULL; /* damaged ("null" after a failed fetch): none */
	}
	return 0;
}

/*
 * Whether item (n bytes) is an id (by_name: a name) of arr.  A free-text
 * setting picked by id (a Brightpearl status the flow resolves by id or
 * name) may hold either.
 */
int
ps_setting_check__has(const json_t *arr, const char *item, size_t n,
		      int by_name, int either)
{
	const json_t *it;
	size_t i;
	int k;

	json_array_foreach (arr, i, it) {
		for (k = 0; k < 2; k++) {
			const char *v = json_string_value(json_object_get(
				it, (k == 0) == !by_name ? "id" : "name"));

			if (v != NULL && strlen(v) == n &&
			    strncmp(v, item, n) == 0)
				return 1;
			if (!either)
				break;
		}
	}
	return 0;
}

/* "2 Main warehouse, 3 Outlet, ..." (the first few) into buf. */
static void
ps_setting_check__known(char *buf, size_t cap, const json_t *arr, int by_name)
{
	const json_t *it;
	size_t i, len = 0;
	int w;

	buf[0] = '\0';
	json_array_foreach (arr, i, it) {
		const char *id = json_string_value(json_object_get(it, "id"));
		const char *name =
			json_string_value(json_object_get(it, "name"));

		if (i == 6) {
			snprintf(buf + len, cap - len, ", ...");
			return;
		}
		if (by_name || id == NULL)
			w = snprintf(buf + len, cap - len, "%s%s",
				     i ? ", " : "", name ? name : "?");
		else
			w = snprintf(buf + len, cap - len, "%s%s %s",
				     i ? ", " : "", id, name ? name : "");
		if (w < 0 || (size_t)w >= cap - len)
			return;
		len += (size_t)w;
	}
	if (len == 0)
		snprintf(buf, cap, "it is empty");
}

int
ps_setting_check(ps_store *st, const char *key, const char *value,
		 const ps_setting_check_options *opts)
{
	static const ps_setting_check_options defaults =
		PS_SETTING_CHECK_OPTIONS_INIT;
	const ps_setup_field *f = ps_setting_check__field(key);
	const ps_platform_ops *ops;
	const char *label, *p, *end, *title;
	char known[240];
	json_t *arr = NULL;
	const ps_setting_def *def;
	int64_t at = 0;
	int error = 0, skipped = 0, either;

	if (opts == NULL)
		opts = &defaults;
	if (f == NULL || value == NULL || value[0] == '\0')
		return 0;
	def = ps_settings_find(key);
	either = def != NULL && def->type != PS_SETTING_ID &&
		 def->type != PS_SETTING_ID_LIST;
	ops = ps_setting_check__owner(&label, f->list);
	if ((error = ps_setting_check__cached(&arr, &at, st, f->list)) < 0)
		return error;
	if (ops != NULL && ops->connect != NULL && ops->lists_fetch != NULL &&
	    opts->cfg != NULL && ps_platform_switched_on(ops, st) &&
	    (arr == NULL || opts->now - at > opts->max_age_ms)) {
		error = ps_setting_check__fetch(&skipped, st, ops, opts);
		if (error < 0) {
			char why[PS_ERROR_MAX];

			snprintf(why, sizeof(why), "%s", ps_error_last());
			json_decref(arr);
			return ps_error_set(error,
					    "%s: cannot fetch the %s list "
					    "from %s to check '%s' against: "
					    "%s",
					    key, label, ops->title, value, why);
		}
		if (!skipped) {
			json_decref(arr);
			error = ps_setting_check__cached(&arr, &at, st,
							 f->list);
			if (error < 0)
				return error;
		}
	}
	if (arr == NULL)
		return 0; /* never fetched: nothing to check against */
	for (p = value; *p != '\0'; p = *end ? end + 1 : end) {
		end = f->type == PS_SETUP_FIELD_PICK_MANY ? strchr(p, ',')
							  : NULL;
		if (end == NULL)
			end = p + strlen(p);
		if (end == p || ps_setting_check__has(arr, p, (size_t)(end - p),
						      f->by_name, either))
			continue;
		ps_setting_check__known(known, sizeof(known), arr, f->by_name);
		/* labels may name their platform already */
		title = ops != NULL && strncmp(label, ops->title,
					       strlen(ops->title)) != 0
				? ops->title
				: "";
		error = ps_error_set(PS_EINVAL,
				     "%s: no %s%s%s has the %s '%.*s' (there "
				     "are: %s)",
				     key, title, title[0] ? " " : "", label,
				     f->by_name ? "name" : "id", (int)(end - p),
				     p, known);
		break;
	}
	json_decref(arr);
	return error;
}
