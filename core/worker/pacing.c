/*
 * pacing.c - the reader of the worker's pacing row (PS_WORKER_PACING_CACHE)
 * for `pearlsync status`, the console's dashboard and /metrics, so the
 * three cannot tell the operator different things.
 */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "pearlsync/platform.h"
#include "pearlsync/worker.h"

/* The names in arr joined by ", " into buf (cap bytes, "..." past it);
 * how many names arr holds. */
static size_t
join_flows(char *buf, size_t cap, const json_t *arr)
{
	size_t i, n = 0, len = 0;
	int full = 0;

	buf[0] = '\0';
	for (i = 0; i < json_array_size(arr); i++) {
		const char *name = json_string_value(json_array_get(arr, i));

		if (name == NULL)
			continue;
		if (!full && len + strlen(name) + 2 + 4 >= cap) {
			snprintf(buf + len, cap - len, "%s...", n ? ", " : "");
			full = 1;
		} else if (!full) {
			len += (size_t)snprintf(buf + len, cap - len, "%s%s",
						n ? ", " : "", name);
		}
		n++;
	}
	return n;
}

static int64_t
int_of(const json_t *o, const char *key)
{
	return (int64_t)json_integer_value(json_object_get(o, key));
}

int
ps_worker_pacing_load(ps_worker_pacing out[PS_PLATFORM_MAX], ps_store *st,
		      int64_t now)
{
	const ps_platform_ops *const *p;
	char *text = NULL;
	int64_t at = 0;
	json_t *doc = NULL;
	int error;

	memset(out, 0, sizeof(*out) * PS_PLATFORM_MAX);
	error = ps_store_cache_get(&text, &at, st, PS_WORKER_PACING_CACHE);
	if (error == PS_ENOTFOUND) {
		ps_error_clear();
		return 0;
	}
	if (error < 0)
		return error;
	if (now - at <= PS_WORKER_PACING_FRESH_MS)
		doc = json_loads(text, 0, NULL);
	free(text);
	for (p = ps_platforms_all(); json_is_object(doc) && *p != NULL; p++) {
		const json_t *pc = json_object_get(doc, (*p)->name);
		ps_worker_pacing *w;

		if (!json_is_object(pc) ||
		    (unsigned)(*p)->id >= PS_PLATFORM_MAX)
			continue;
		w = &out[(*p)->id];
		w->known = 1;
		w->short_budget = json_is_true(json_object_get(pc, "short"));
		w->left = int_of(pc, "left");
		w->quota = int_of(pc, "quota");
		w->window_ms = int_of(pc, "window_ms");
		w->rate = json_number_value(json_object_get(pc, "rate"));
		w->nwaiting = join_flows(w->waiting, sizeof(w->waiting),
					 json_object_get(pc, "waiting"));
		w->nholding = join_flows(w->holding, sizeof(w->holding),
					 json_object_get(pc, "holding"));
	}
	json_decref(doc);
	return 0;
}

char *
ps_worker_pacing_describe(char *buf, size_t cap, const ps_worker_pacing *p)
{
	if (cap == 0)
		return buf;
	snprintf(buf, cap, "%.1f requests/s%s%s%s%s", p->rate,
		 p->nwaiting ? "; waiting: " : "", p->waiting,
		 p->nholding ? "; holding: " : "", p->holding);
	return buf;
}
