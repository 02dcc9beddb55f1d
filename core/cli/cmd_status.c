/*
 * cmd_status.c - `pearlsync status`: is the worker alive, and how many log
 * entries are in each state, per flow.
 *
 * The worker rewrites its heartbeat row every second or so; a heartbeat
 * older than PS_HEARTBEAT_STALE_MS (pearlsync/store.h) means the worker is
 * gone (killed, crashed or stopped) or hung, whatever state it last wrote.
 * worker.state is one word (see state_of); the flows' and platforms'
 * detail comes from the log's totals and indexes (store.h), the settings,
 * and what the worker last recorded in the cache rows "worker.flows"
 * (polls, why a flow is skipped) and "worker.platforms" (authentication
 * and throttling), plus the recorded API budgets.
 */
#include "commands.h"
#include "status_alerts.h"

#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "pearlsync/alerts.h"
#include "pearlsync/config.h"
#include "pearlsync/flow.h"
#include "pearlsync/platform.h"
#include "pearlsync/settings.h"
#include "pearlsync/setup.h"
#include "pearlsync/store.h"
#include "pearlsync/worker.h"

/* A platform throttled us this recently: "throttled": true. */
#define PS_STATUS_THROTTLE_RECENT_MS 60000

const char ps_cli_usage_status[] =
	"usage: pearlsync status [--json]\n"
	"\n"
	"Show the database in use, whether the worker is running (from the\n"
	"age of its heartbeat: older than 15 seconds means stopped), required\n"
	"settings that are still missing, and the number of sync log entries\n"
	"per flow and status, and how far the runs an operator starts have\n"
	"got (an initial product sync's done/total, a list refresh).\n"
	"\n"
	"The worker's state is one of: never_started, starting, running,\n"
	"paused (every flow that is switched on is paused), stale (no\n"
	"heartbeat for 15 s but its process is still there: hung or\n"
	"blocked), stopped (it said so, or its process is gone).\n"
	"\n"
	"Options:\n"
	"  --json     one JSON object instead of text, with the members\n"
	"             database, schema_version, config, worker (state,\n"
	"             pid, heartbeat_age_ms, ...), settings_version,\n"
	"             missing_settings, counts ({FLOW: {STATUS: N}}),\n"
	"             runs ({FLOW: \"progress\"}), flows ({FLOW: {enabled,\n"
	"             paused, counts, last_success_ms, ...}}), platforms\n"
	"             ({PLATFORM: {auth, throttled_at_ms, budget}}) and\n"
	"             alerts ([{level, what, fix}], worst first: what stops\n"
	"             the sync); see the README\n"
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

	if (count == 0) /* a kept total that emptied */
		return 0;
	if (f == NULL) {
		f = json_object();
		if (f == NULL || json_object_set_new(c->by_flow, flow, f) < 0)
			return -1;
	}
	return json_object_set_new(f, ps_entry_status_name(status),
				   json_integer(count));
}

/* 1 when a process with that pid exists on this machine. */
static int
process_exists(long long pid)
{
	if (pid <= 0 || (long long)(pid_t)pid != pid)
		return 0;
	return kill((pid_t)pid, 0) == 0 || errno == EPERM;
}

/*
 * The worker's state, one word, from its heartbeat: "stopped" when it
 * said so or its heartbeat is old and its process gone; "stale" when the
 * heartbeat is old but the process is still there (hung, or blocked on
 * the database); else what a fresh heartbeat says ("starting" or a line
 * that starts "running").  "paused" is decided later, from the flows.
 */
static const char *
state_of(const ps_heartbeat *hb, long long now)
{
	const char *said = hb->state != NULL ? hb->state : "";

	if (strcmp(said, "stopped") == 0)
		return "stopped";
	if (now - hb->beat_at > PS_HEARTBEAT_STALE_MS)
		return process_exists(hb->pid) ? "stale" : "stopped";
	if (strcmp(said, "starting") == 0)
		return "starting";
	return "running";
}

/* Describe the worker into obj: state, pid, ages. */
static int
worker_json(json_t *obj, ps_store *st, long long now)
{
	ps_heartbeat hb;
	int error;

	ps_heartbeat_init(&hb);
	error = ps_store_heartbeat_get(&hb, st);
	if (error == PS_ENOTFOUND) {
		json_object_set_new(obj, "state", json_string("never_started"));
		ps_error_clear();
		return 0;
	}
	if (error < 0)
		return error;
	json_object_set_new(obj, "state", json_string(state_of(&hb, now)));
	json_object_set_new(obj, "pid", json_integer(hb.pid));
	json_object_set_new(obj, "heartbeat_age_ms",
			    json_integer(now - hb.beat_at));
	json_object_set_new(obj, "started_at_ms", json_integer(hb.started_at));
	if (hb.state != NULL)
		json_object_set_new(obj, "last_state", json_string(hb.state));
	ps_heartbeat_dispose(&hb);
	return 0;
}

/* A cache row the worker writes, parsed (new reference), or NULL. */
static json_t *
cached_json(ps_store *st, const char *kind)
{
	char *text = NULL;
	json_t *doc;

	if (ps_store_cache_get(&text, NULL, st, kind) < 0) {
		ps_error_clear();
		return NULL;
	}
	doc = json_loads(text, 0, NULL);
	free(text);
	return json_is_object(doc) ? doc : (json_decref(doc), NULL);
}

/*
 * The worker's pacing row (PS_WORKER_PACING_CACHE), when it was written
 * within PS_WORKER_PACING_FRESH_MS of now: new reference, or NULL.
 */
static json_t *
pacing_json(ps_store *st, long long now)
{
	char *text = NULL;
	int64_t at = 0;
	json_t *doc;

	if (ps_store_cache_get(&text, &at, st, PS_WORKER_PACING_CACHE) < 0) {
		ps_error_clear();
		return NULL;
	}
	doc = now - at <= PS_WORKER_PACING_FRESH_MS ? json_loads(text, 0, NULL)
						    : NULL;
	free(text);
	return json_is_object(doc) ? doc : (json_decref(doc), NULL);
}

static json_t *
ms_or_null(int64_t ms)
{
	return ms > 0 ? json_integer(ms) : json_null();
}

static int
flow_count_row(const char *flow, ps_entry_status status, int64_t count,
	       void *payload)
{
	json_t *f = json_object_get(payload, flow);

	if (f == NULL || count == 0) /* gone from this binary, or emptied */
		return 0;
	return json_object_set_new(json_object_get(f, "counts"),
				   ps_entry_status_name(status),
				   json_integer(count));
}

/* The times of f's entries from the log's indexes. */
static int
flow_times(json_t *f, ps_store *st, const char *name, long long now)
{
	int64_t at;
	int error;

	error = ps_store_log_last_updated(&at, st, name, PS_ENTRY_SYNCED);
	if (error < 0 && error != PS_ENOTFOUND)
		return error;
	json_object_set_new(f, "last_success_ms", ms_or_null(at));
	error = ps_store_log_oldest(&at, st, name, PS_ENTRY_PENDING);
	if (error < 0 && error != PS_ENOTFOUND)
		return error;
	json_object_set_new(f, "oldest_pending_ms", ms_or_null(at));
	json_object_set_new(f, "oldest_pending_age_ms",
			    at > 0 ? json_integer(now - at) : json_null());
	ps_error_clear();
	return 0;
}

/*
 * Every flow: switched on, paused, entries by state, last success, oldest
 * pending, and the polls and skip reason the worker last recorded.
 */
static int
flows_json(json_t *flows, ps_store *st, long long now)
{
	const ps_flow_ops *const *all = ps_flows_all();
	char *paused = NULL;
	json_t *rt, *f, *c, *r;
	const char *skip;
	size_t i;
	int on, error;

	if ((error = ps_settings_paused_flows(&paused, st)) < 0)
		return error;
	rt = cached_json(st, "worker.flows");
	for (i = 0; all[i] != NULL; i++) {
		const ps_flow_ops *ops = all[i];

		on = 1;
		if (ops->enabled_setting != NULL &&
		    ps_settings_get_bool(&on, st, ops->enabled_setting) < 0)
			on = 0;
		ps_error_clear();
		f = json_object();
		c = json_object(); /* statuses with entries, as in "counts" */
		json_object_set_new(f, "enabled", json_boolean(on));
		json_object_set_new(f, "paused",
				    json_boolean(paused != NULL &&
						 ps_settings_list_contains(
							 paused, ops->name)));
		json_object_set_new(f, "counts", c);
		r = json_object_get(rt, ops->name);
		skip = json_string_value(json_object_get(r, "skip"));
		json_object_set_new(f, "skip", json_string(skip ? skip : ""));
		json_object_set_new(
			f, "last_poll_ms",
			ms_or_null(json_integer_value(
				json_object_get(r, "last_poll_ms"))));
		json_object_set_new(
			f, "next_poll_ms",
			ms_or_null(json_integer_value(
				json_object_get(r, "next_poll_ms"))));
		json_object_set_new(flows, ops->name, f);
		if ((error = flow_times(f, st, ops->name, now)) < 0)
			goto done;
	}
	error = ps_store_log_state_counts(st, flow_count_row, flows);
done:
	json_decref(rt);
	free(paused);
	return error < 0 ? error : 0;
}

/* Each platform's authentication and throttling (ps_auth_states_load),
 * and its API budgets. */
static int
platforms_json(json_t *platforms, ps_store *st, long long now)
{
	const ps_platform_ops *const *p;
	ps_auth_state auth[PS_PLATFORM_MAX];
	ps_store_budget *b = NULL;
	json_t *pacing;
	size_t n = 0, i;
	int error;

	if ((error = ps_auth_states_load(auth, st, 1)) < 0)
		return error;
	if ((error = ps_store_budget_list(&b, &n, st)) < 0)
		return error;
	pacing = pacing_json(st, now);
	for (p = ps_platforms_all(); *p != NULL; p++) {
		const ps_auth_state *a = &auth[(*p)->id];
		json_t *o = json_object(), *budgets = json_array();
		json_t *pc = json_object_get(pacing, (*p)->name);
		int64_t thr = a->throttled_at_ms;

		json_object_set_new(o, "auth", json_string(a->auth));
		json_object_set_new(o, "auth_since_ms",
				    ms_or_null(a->auth_since_ms));
		json_object_set_new(o, "waiting_for_credentials",
				    json_boolean(a->waiting));
		json_object_set_new(o, "parked_entries",
				    json_integer((json_int_t)a->parked));
		json_object_set_new(o, "throttled_at_ms", ms_or_null(thr));
		json_object_set_new(
			o, "throttled",
			json_boolean(thr > 0 &&
				     now - thr < PS_STATUS_THROTTLE_RECENT_MS));
		for (i = 0; i < n; i++) {
			if (b[i].platform != (*p)->id)
				continue;
			json_array_append_new(
				budgets,
				json_pack("{s:s, s:I, s:o, s:s, s:I}",
					  "account",
					  b[i].account ? b[i].account : "",
					  "remaining",
					  (json_int_t)b[i].remaining, "quota",
					  b[i].quota >= 0
						  ? json_integer(b[i].quota)
						  : json_null(),
					  "unit", b[i].unit ? b[i].unit : "",
					  "updated_at_ms",
					  (json_int_t)b[i].updated_at));
		}
		json_object_set_new(o, "budgets", budgets);
		/* the worker's pacing: left, pace, flows waiting or holding */
		json_object_set_new(o, "pacing",
				    pc != NULL ? json_incref(pc) : json_null());
		json_object_set_new(platforms, (*p)->name, o);
	}
	json_decref(pacing);
	ps_store_budgets_free(b, n);
	return 0;
}

/*
 * A running worker whose every switched-on flow is paused by the
 * operator is "paused" (nothing moves until a resume).
 */
static void
decide_paused(json_t *worker, const json_t *flows)
{
	const char *name;
	json_t *f;
	size_t on = 0, held = 0;

	if (strcmp(json_string_value(json_object_get(worker, "state")),
		   "running") != 0)
		return;
	json_object_foreach ((json_t *)flows, name, f) {
		if (!json_is_true(json_object_get(f, "enabled")))
			continue;
		on++;
		held += json_is_true(json_object_get(f, "paused"));
	}
	if (on > 0 && held == on)
		json_object_set_new(worker, "state", json_string("paused"));
}

/* "platforms: bigcommerce auth_failed, ..." for those with news (a wait
 * for new credentials is among the alerts below). */
static void
print_platforms(const json_t *platforms, const ps_worker_pacing *pacing)
{
	const ps_platform_ops *const *pl;
	const char *name, *auth;
	const json_t *p;
	int n = 0;

	json_object_foreach ((json_t *)platforms, name, p) {
		int waiting = json_is_true(
			json_object_get(p, "waiting_for_credentials"));

		auth = json_string_value(json_object_get(p, "auth"));
		if ((auth == NULL || strcmp(auth, "unknown") == 0) &&
		    !waiting && !json_is_true(json_object_get(p, "throttled")))
			continue;
		printf("%s %s %s%s", n++ ? "," : "\nplatforms:", name,
		       auth ? auth : "unknown",
		       json_is_true(json_object_get(p, "throttled"))
			       ? " (throttled)"
			       : "");
	}
	if (n > 0)
		printf("\n");
	for (pl = ps_platforms_all(); *pl != NULL; pl++) {
		const ps_worker_pacing *pc = &pacing[(*pl)->id];
		char line[400];

		if (!pc->known || !pc->short_budget)
			continue;
		printf("pacing:    %s budget %lld/%lld, %s\n", (*pl)->name,
		       (long long)pc->left, (long long)pc->quota,
		       ps_worker_pacing_describe(line, sizeof(line), pc));
	}
}

/* "flows:     2 of 14 on: order_import_bc, status_export_bc (paused)" */
static void
print_flows_on(const json_t *flows)
{
	const char *name;
	const json_t *f;
	size_t on = 0;

	json_object_foreach ((json_t *)flows, name, f)
		on += json_is_true(json_object_get(f, "enabled"));
	printf("flows:     %zu of %zu on", on, json_object_size(flows));
	on = 0;
	json_object_foreach ((json_t *)flows, name, f) {
		if (!json_is_true(json_object_get(f, "enabled")))
			continue;
		printf("%s %s%s", on++ ? "," : ":", name,
		       json_is_true(json_object_get(f, "paused")) ? " (paused)"
								  : "");
	}
	printf("\n");
}

static void
print_text(const json_t *doc, const ps_worker_pacing *pacing)
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
	printf("worker:    %s",
	       strcmp(json_string_value(json_object_get(w, "state")),
		      "never_started") == 0
		       ? "never started"
		       : json_string_value(json_object_get(w, "state")));
	if (json_object_get(w, "pid") != NULL)
		printf(" (pid %lld, last heartbeat %s ago)",
		       (long long)json_integer_value(json_object_get(w, "pid")),
		       ps_cli_format_age(age, sizeof(age),
					 json_integer_value(json_object_get(
						 w, "heartbeat_age_ms"))));
	printf("\n");
	print_flows_on(json_object_get(doc, "flows"));
	printf("settings:  version %lld",
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
	print_platforms(json_object_get(doc, "platforms"), pacing);
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
	/* the kept totals (log_state_counts), not a count over the log */
	if ((error = ps_store_log_state_counts(st, collect_count, &counts)) !=
	    0)
		goto done;
	json_object_set_new(doc, "counts", counts.by_flow);
	counts.by_flow = NULL;
	if ((error = ps_cli_alerts_json(doc, st, now,
					json_object_get(doc, "counts"))) < 0)
		goto done;
	json_object_set_new(doc, "runs", json_object());
	if ((error = runs_json(json_object_get(doc, "runs"), st)) < 0)
		goto done;
	json_object_set_new(doc, "flows", json_object());
	if ((error = flows_json(json_object_get(doc, "flows"), st, now)) < 0)
		goto done;
	decide_paused(json_object_get(doc, "worker"),
		      json_object_get(doc, "flows"));
	json_object_set_new(doc, "platforms", json_object());
	if ((error = platforms_json(json_object_get(doc, "platforms"), st,
				    now)) < 0)
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
		ps_worker_pacing pacing[PS_PLATFORM_MAX];

		/* unreadable: no pacing line, as the JSON's null (all
		 * unknown, the reader cleared them first) */
		if (ps_worker_pacing_load(pacing, st, now) < 0)
			ps_error_clear();
		print_text(doc, pacing);
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
