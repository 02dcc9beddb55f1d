/*
 * cmd_status.c - `pearlsync status`: is the worker alive, and how many log
 * entries are in each state, per flow.
 *
 * The worker rewrites its heartbeat row every second or so; a heartbeat
 * older than PS_HEARTBEAT_STALE_MS (pearlsync/store.h) means the worker is
 * gone (killed, crashed or stopped), whatever state it last wrote.
 */
#include "commands.h"
#include "status_alerts.h"

#include <getopt.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "pearlsync/config.h"
#include "pearlsync/flow.h"
#include "pearlsync/settings.h"
#include "pearlsync/setup.h"
#include "pearlsync/store.h"

const char ps_cli_usage_status[] =
	"usage: pearlsync status [--json]\n"
	"\n"
	"Show the database in use, whether the worker is running (from the\n"
	"age of its heartbeat: older than 15 seconds means stopped), required\n"
	"settings that are still missing, and the number of sync log entries\n"
	"per flow and status, and how far the runs an operator starts have\n"
	"got (an initial product sync's done/total, a list refresh).\n"
	"\n"
	"Options:\n"
	"  --json     one JSON object instead of text, with the members\n"
	"             database, schema_version, config, worker (state,\n"
	"             pid, heartbeat_age_ms, ...), settings_version,\n"
	"             missing_settings, counts ({FLOW: {STATUS: N}}),\n"
	"             runs ({FLOW: \"progress\"}) and alerts ([{level,\n"
	"             what, fix}], worst first: what stops the sync)\n"
	"\n"
	"Exit status: 0 shown (whether or not the worker runs), 1 the\n"
	"database could not be read, 2 bad usage or config file.\n"
	"\n"
	"Example:\n"
	"  pearlsync status --json | jq .worker.state\n";

struct counts {
	json_t *by_flow; /* {flow: {status: n}} */
};

static int
collect_count(const char *flow, ps_entry_status status, int64_t count,
	      void *payload)
{
	struct counts *c = payload;
	json_t *f = json_object_get(c->by_flow, flow);

	if (f == NULL) {
		f = json_object();
		if (f == NULL || json_object_set_new(c->by_flow, flow, f) < 0)
			return -1;
	}
	return json_object_set_new(f, ps_entry_status_name(status),
				   json_integer(count));
}

/* Describe the worker into obj: state, pid, ages. */
static int
worker_json(json_t *obj, ps_store *st, long long now)
{
	ps_heartbeat hb;
	const char *state;
	int error;

	ps_heartbeat_init(&hb);
	error = ps_store_heartbeat_get(&hb, st);
	if (error == PS_ENOTFOUND) {
		json_object_set_new(obj, "state", json_string("never started"));
		return 0;
	}
	if (error < 0)
		return error;
	if (now - hb.beat_at > PS_HEARTBEAT_STALE_MS)
		state = "stopped";
	else if (hb.state != NULL && hb.state[0] != '\0')
		state = hb.state;
	else
		state = "running";
	json_object_set_new(obj, "state", json_string(state));
	json_object_set_new(obj, "pid", json_integer(hb.pid));
	json_object_set_new(obj, "heartbeat_age_ms",
			    json_integer(now - hb.beat_at));
	json_object_set_new(obj, "started_at_ms", json_integer(hb.started_at));
	if (hb.state != NULL)
		json_object_set_new(obj, "last_state", json_string(hb.state));
	ps_heartbeat_dispose(&hb);
	return 0;
}

static void
print_text(const json_t *doc)
{
	const json_t *w = json_object_get(doc, "worker");
	const json_t *missing = json_object_get(doc, "missing_settings");
	const json_t *counts = json_object_get(doc, "counts");
	const json_t *runs = json_object_get(doc, "runs");
	static const char *const cols[] = {"pending", "in_flight", "synced",
					   "failed"};
	const char *flow;
	json_t *f, *v;
	char age[32];
	size_t i;

	printf("database:  %s (schema version %lld)\n",
	       json_string_value(json_object_get(doc, "database")),
	       (long long)json_integer_value(
		       json_object_get(doc, "schema_version")));
	printf("config:    %s\n",
	       json_string_value(json_object_get(doc, "config")));
	printf("worker:    %s", json_string_value(json_object_get(w, "state")));
	if (json_object_get(w, "pid") != NULL)
		printf(" (pid %lld, last heartbeat %s ago)",
		       (long long)json_integer_value(json_object_get(w, "pid")),
		       ps_cli_format_age(age, sizeof(age),
					 json_integer_value(json_object_get(
						 w, "heartbeat_age_ms"))));
	printf("\nsettings:  version %lld",
	       (long long)json_integer_value(
		       json_object_get(doc, "settings_version")));
	if (json_array_size(missing) > 0) {
		printf("; missing required:");
		json_array_foreach (missing, i, v)
			printf("%s %s", i ? "," : "", json_string_value(v));
	}
	printf("\n\n");
	if (json_object_size(counts) == 0)
		printf("sync log:  empty\n");
	else
		printf("%-28s %9s %9s %9s %9s\n", "FLOW", "PENDING",
		       "IN_FLIGHT", "SYNCED", "FAILED");
	json_object_foreach ((json_t *)counts, flow, f) {
		printf("%-28s", flow);
		for (i = 0; i < sizeof(cols) / sizeof(cols[0]); i++)
			printf(" %9lld", (long long)json_integer_value(
						 json_object_get(f, cols[i])));
		printf("\n");
	}
	if (json_object_size(runs) > 0)
		printf("\n%-28s %s\n", "RUN", "PROGRESS");
	json_object_foreach ((json_t *)runs, flow, f)
		printf("%-28s %s\n", flow, json_string_value(f));
	ps_cli_alerts_print(json_object_get(doc, "alerts"));
}

/* What the runs the operator starts have done, by flow (setup.h). */
static int
runs_json(json_t *runs, ps_store *st)
{
	const ps_flow_ops *const *all = ps_flows_all();
	char buf[160];
	size_t i;
	int error;

	for (i = 0; all[i] != NULL; i++) {
		if ((error = ps_setup_run_status(buf, sizeof(buf), st,
						 all[i]->name)) < 0)
			return error;
		if (buf[0] != '\0')
			json_object_set_new(runs, all[i]->name,
					    json_string(buf));
	}
	return 0;
}

int
ps_cli_cmd_status(const ps_cli_global *g, int argc, char **argv)
{
	static const struct option longopts[] = {
		{"json", no_argument, NULL, 'j'},
		{NULL, 0, NULL, 0},
	};
	ps_config cfg;
	ps_store *st = NULL;
	json_t *doc = NULL, *missing;
	struct counts counts = {NULL};
	char buf[2048], *p, *comma;
	int64_t settings_version = 0;
	long long now;
	int json = 0, c, status, error, schema = 0, nmissing;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (c == 'j')
			json = 1;
		else
			return ps_cli_usage_error("status",
						  "unknown option '%s'",
						  argv[optind - 1]);
	}
	if (optind < argc)
		return ps_cli_usage_error("status", "unexpected argument '%s'",
					  argv[optind]);
	if ((status = ps_cli_open_store(&st, &cfg, g)) != PS_EXIT_OK)
		return status;

	now = ps_cli_now_ms();
	status = PS_EXIT_FAIL;
	doc = json_object();
	counts.by_flow = json_object();
	missing = json_array();
	if (doc == NULL || counts.by_flow == NULL || missing == NULL) {
		ps_error_set(PS_ENOMEM, NULL);
		goto done;
	}
	json_object_set_new(doc, "database", json_string(cfg.db_path));
	json_object_set_new(
		doc, "config",
		json_string(cfg.source[0] ? cfg.source : "built-in defaults"));
	if ((error = ps_store_schema_version(&schema, st)) < 0)
		goto done;
	json_object_set_new(doc, "schema_version", json_integer(schema));
	json_object_set_new(doc, "worker", json_object());
	if ((error = worker_json(json_object_get(doc, "worker"), st, now)) < 0)
		goto done;
	if ((error = ps_store_settings_version(&settings_version, st)) < 0)
		goto done;
	json_object_set_new(doc, "settings_version",
			    json_integer(settings_version));
	nmissing = ps_settings_missing_required(buf, sizeof(buf), st);
	if (nmissing < 0)
		goto done;
	for (p = nmissing > 0 ? buf : NULL; p != NULL; p = comma) {
		comma = strchr(p, ',');
		if (comma != NULL)
			*comma++ = '\0';
		while (*p == ' ')
			p++;
		if (*p != '\0')
			json_array_append_new(missing, json_string(p));
	}
	json_object_set_new(doc, "missing_settings", missing);
	missing = NULL;
	if ((error = ps_store_log_counts(st, 0, collect_count, &counts)) != 0)
		goto done;
	json_object_set_new(doc, "counts", counts.by_flow);
	counts.by_flow = NULL;
	if ((error = ps_cli_alerts_json(doc, st, now,
					json_object_get(doc, "counts"))) < 0)
		goto done;
	json_object_set_new(doc, "runs", json_object());
	if ((error = runs_json(json_object_get(doc, "runs"), st)) < 0)
		goto done;

	if (json) {
		char *text =
			json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);

		if (text == NULL) {
			ps_error_set(PS_ENOMEM, NULL);
			goto done;
		}
		printf("%s\n", text);
		free(text);
	} else {
		print_text(doc);
	}
	status = PS_EXIT_OK;
done:
	if (status != PS_EXIT_OK)
		ps_cli_error("%s: %s", cfg.db_path, ps_error_last());
	json_decref(missing);
	json_decref(counts.by_flow);
	json_decref(doc);
	ps_store_close(st);
	return status;
}
