/*
 * status_alerts.c - the alerts (pearlsync/alerts.h) as `pearlsync status`
 * shows them: a JSON array in --json, a block of text otherwise.
 */
#include "status_alerts.h"

#include <stdio.h>
#include <stdlib.h>

#include "pearlsync/alerts.h"

/* The alerts (pearlsync/alerts.h), worst first, each with its fix. */
int
ps_cli_alerts_json(json_t *doc, ps_store *st, long long now,
		   const json_t *counts)
{
	ps_alerts_options o = PS_ALERTS_OPTIONS_INIT;
	ps_alerts *a = calloc(1, sizeof(*a));
	json_t *arr = json_array(), *f;
	const char *flow;
	size_t i;
	int error;

	o.failed = 0;
	json_object_foreach ((json_t *)counts, flow, f)
		o.failed += json_integer_value(json_object_get(f, "failed"));
	if (a == NULL || arr == NULL) {
		error = ps_error_set(PS_ENOMEM, NULL);
	} else if ((error = ps_alerts_load(a, st, now, &o)) == 0) {
		for (i = 0; i < a->n; i++)
			json_array_append_new(
				arr,
				json_pack("{s:s, s:s, s:s}", "level",
					  ps_alert_level_name(a->v[i].level),
					  "what", a->v[i].what, "fix",
					  a->v[i].fix));
		json_object_set_new(doc, "alerts", arr);
		arr = NULL;
	}
	json_decref(arr);
	free(a);
	return error;
}

void
ps_cli_alerts_print(const json_t *alerts)
{
	const json_t *v;
	size_t i;

	printf("\nalerts:%s\n", json_array_size(alerts) ? "" : "    none");
	json_array_foreach (alerts, i, v)
		printf("  %-7s %s\n          fix: %s\n",
		       json_string_value(json_object_get(v, "level")),
		       json_string_value(json_object_get(v, "what")),
		       json_string_value(json_object_get(v, "fix")));
}
