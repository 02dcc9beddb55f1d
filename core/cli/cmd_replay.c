/*
 * cmd_replay.c - `pearlsync replay --flow F --since T [--until T]
 * [--dry-run] [--now] [--json]`: re-run a flow over a past window.
 *
 * The flow's replay slot (flow.h, replay.h) lists what its source
 * platform holds in the window and queues, under the flow's own keys, an
 * entry for each object the target lacks.  This command connects the
 * platforms, runs it, prints one line per object and the totals.  The
 * entries are left to the running worker, or performed here with --now
 * through ps_worker_sync_flow (the sync-once path), which claims each
 * entry before performing it, so a worker beside it never performs the
 * same one.
 */
#include "commands.h"

#include <getopt.h>
#include <jansson.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pearlsync/config.h"
#include "pearlsync/connect.h"
#include "pearlsync/flow.h"
#include "pearlsync/log.h"
#include "pearlsync/platform.h"
#include "pearlsync/replay.h"
#include "pearlsync/store.h"
#include "pearlsync/worker.h"

const char ps_cli_usage_replay[] =
	"usage: pearlsync replay --flow FLOW --since TIME [--until TIME]\n"
	"                        [--dry-run] [--now] [--json]\n"
	"       pearlsync replay --list\n"
	"\n"
	"Re-run a flow over a past window, for when webhooks were lost or\n"
	"the worker was down.  The flow lists what its source platform holds\n"
	"in the window and checks each object with the keys the flow itself\n"
	"uses (its sync log entries, the cross-references, the reference it\n"
	"puts on what it creates): an object the target lacks gets an entry\n"
	"queued, and the others are listed as already synced, in progress\n"
	"(an entry is pending or being performed) or skipped (filtered out by\n"
	"a setting, with why).  A failed entry is queued again, and so is\n"
	"any other entry of the flow that failed in the window.  Nothing is\n"
	"created twice: a second replay queues nothing, and performing an\n"
	"entry looks its object up before creating it.\n"
	"\n"
	"The running worker performs the queued entries within a second or\n"
	"two; each is claimed before it is performed, so a replay is safe\n"
	"beside a worker with its listener on.  With --now this process\n"
	"performs the flow's due entries itself, as 'pearlsync sync-once\n"
	"FLOW' does.  Stock levels have no window: replaying the inventory\n"
	"flow queues one reconcile of every product.  A flow that is switched\n"
	"off or paused keeps its entries until it runs again; the replay says\n"
	"so.\n"
	"\n"
	"Options:\n"
	"  --flow FLOW   the flow, by name or alias ('pearlsync replay "
	"--list'\n"
	"                lists those that can be replayed and what the window\n"
	"                selects for each)\n"
	"  --since TIME  start of the window: 2026-12-03T14:00Z,\n"
	"                '2026-12-03 14:00+01:00', 2026-12-03 (midnight UTC;\n"
	"                no zone means UTC), or a duration ago: 90m, 2h, 3d\n"
	"  --until TIME  end of the window, the same forms (default: now)\n"
	"  --dry-run     say what would be queued; write nothing\n"
	"  --now         then perform the flow's due entries in this process\n"
	"  --json        print one JSON object: flow, since, until, dry_run,\n"
	"                items (object, id, outcome, detail, entry), totals,\n"
	"                held (why the worker leaves the flow's entries, if\n"
	"                it does)\n"
	"  --list        list the flows that can be replayed\n"
	"\n"
	"Exit status: 0 done (with --now: every entry synced), 1 a platform\n"
	"could not be read or, with --now, an entry failed or waits, 2 bad\n"
	"usage, no such flow, or a flow that cannot be replayed.\n"
	"\n"
	"Example:\n"
	"  pearlsync replay --flow orders --since '2026-12-03 14:00Z' \\\n"
	"      --until '2026-12-03 15:30Z' --dry-run\n";

typedef struct replay_out {
	int json;
	int dry_run;
	json_t *items; /* with json */
} replay_out;

/* ms as "YYYY-MM-DDTHH:MM:SSZ". */
static char *
utc(char *buf, size_t cap, int64_t ms)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, cap, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return buf;
}

static const char *
outcome_word(const replay_out *o, ps_replay_outcome oc)
{
	if (o->dry_run && oc == PS_REPLAY_QUEUED)
		return "would queue";
	return ps_replay_outcome_name(oc);
}

static int
on_item(const ps_replay_item *it, void *payload)
{
	replay_out *o = payload;
	char what[160], obj[64], id[64], detail[600];

	if (o->json) {
		json_t *j = json_pack("{s:s, s:s, s:s, s:s, s:I}", "object",
				      it->object ? it->object : "", "id",
				      it->id ? it->id : "", "outcome",
				      ps_replay_outcome_key(it->outcome),
				      "detail", it->detail ? it->detail : "",
				      "entry", (json_int_t)it->entry_id);

		return j == NULL || json_array_append_new(o->items, j) < 0;
	}
	ps_log_escape(obj, sizeof(obj), it->object ? it->object : "");
	ps_log_escape(id, sizeof(id), it->id ? it->id : "");
	ps_log_escape(detail, sizeof(detail), it->detail ? it->detail : "");
	snprintf(what, sizeof(what), "%s %s", obj, id);
	printf("  %-24s %-15s %s\n", what, outcome_word(o, it->outcome),
	       detail);
	fflush(stdout);
	return 0;
}

/* text wrapped at 72 columns, each line indented by 4. */
static void
print_wrapped(const char *text)
{
	const char *w = text, *end;
	int col = 0;

	while (*w != '\0') {
		while (*w == ' ')
			w++;
		end = w + strcspn(w, " ");
		if (end == w)
			break;
		if (col > 0 && col + (int)(end - w) + 1 > 72) {
			putchar('\n');
			col = 0;
		}
		col += printf("%s%.*s", col > 0 ? " " : "    ", (int)(end - w),
			      w);
		w = end;
	}
	putchar('\n');
}

static int
list_flows(void)
{
	const ps_flow_ops *const *all = ps_flows_all();
	size_t i;

	for (i = 0; all[i] != NULL; i++) {
		if (all[i]->replay == NULL)
			continue;
		printf("%s%s%s%s\n", all[i]->name, all[i]->alias ? " (" : "",
		       all[i]->alias ? all[i]->alias : "",
		       all[i]->alias ? ")" : "");
		print_wrapped(all[i]->replay_help ? all[i]->replay_help : "");
	}
	return PS_EXIT_OK;
}

/* The connectors the flow needs, into env (conns owns them). */
static int
connect_flow(ps_http **http, ps_platform_conns *conns, ps_flow_env *env,
	     ps_store *st, const ps_config *cfg, const ps_flow_ops *flow)
{
	ps_http_options ho = PS_HTTP_OPTIONS_INIT;
	const char *note;
	int error;

	ho.max_attempts = 3;
	ho.backoff_base_ms = 200;
	ho.backoff_cap_ms = 2000;
	ho.max_wait_ms = 30000;
	if ((error = ps_connect_http(http, cfg, &ho)) < 0 ||
	    (error = ps_platforms_connect(conns, st, cfg, *http, NULL)) < 0)
		return error;
	if (conns->conn[flow->source] == NULL ||
	    conns->conn[flow->target] == NULL) {
		note = conns->conn[flow->source] == NULL
			       ? conns->note[flow->source]
			       : conns->note[flow->target];
		/* a note that filled its buffer was cut: say so */
		return ps_error_set(PS_ESETTING, "%s%s",
				    note[0] ? note
					    : "a platform is not connected",
				    strlen(note) + 1 >= sizeof(conns->note[0])
					    ? "\xe2\x80\xa6"
					    : "");
	}
	env->store = st;
	memcpy(env->conn, conns->conn, sizeof(env->conn));
	return 0;
}

/* Run the flow's replay slot with its own state and connectors. */
static int
replay_flow(size_t *totals, ps_store *st, const ps_config *cfg,
	    const ps_flow_ops *flow, const ps_replay_options *ro)
{
	ps_platform_conns conns;
	ps_flow_env env;
	ps_http *http = NULL;
	void *state = NULL;
	int error, inited = 0;

	memset(&conns, 0, sizeof(conns));
	memset(&env, 0, sizeof(env));
	env.now = ps_cli_now_ms();
	if ((error = connect_flow(&http, &conns, &env, st, cfg, flow)) < 0)
		goto done;
	if (flow->init != NULL && (error = flow->init(&state, &env)) < 0)
		goto done;
	inited = 1;
	env.state = state;
	error = ps_replay_run(totals, flow, &env, ro);
done:
	if (inited && flow->fini != NULL)
		flow->fini(state);
	ps_platforms_disconnect(&conns);
	ps_http_free(http);
	return error;
}

static volatile sig_atomic_t stop_flag;

static void
on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

/* --now: the flow's due entries, performed here (sync-once). */
static int
perform_now(size_t *failed, ps_store *st, const ps_config *cfg,
	    const ps_flow_ops *flow)
{
	ps_worker_options o = PS_WORKER_OPTIONS_INIT;
	struct sigaction sa;
	ps_worker *w = NULL;
	int error;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	stop_flag = 0;
	o.stop = &stop_flag;
	o.connect = 1;
	if ((error = ps_worker_new(&w, st, cfg, &o)) == 0)
		error = ps_worker_sync_flow(w, flow->name, failed);
	ps_worker_free(w);
	return error;
}

static size_t
totals_sum(const size_t *t)
{
	size_t n = 0, i;

	for (i = 0; i < PS_REPLAY_OUTCOME_COUNT; i++)
		n += t[i];
	return n;
}

static void
print_totals(const replay_out *o, const size_t *t)
{
	size_t n = totals_sum(t);
	printf("%zu object%s: %zu already synced, %zu %s, %zu in progress, "
	       "%zu skipped\n",
	       n, n == 1 ? "" : "s", t[PS_REPLAY_SYNCED], t[PS_REPLAY_QUEUED],
	       o->dry_run ? "would be queued" : "queued", t[PS_REPLAY_WAITING],
	       t[PS_REPLAY_SKIPPED]);
}

static json_t *
totals_json(const size_t *t)
{
	json_t *j = json_object();
	size_t i;

	for (i = 0; j != NULL && i < PS_REPLAY_OUTCOME_COUNT; i++)
		json_object_set_new(j,
				    ps_replay_outcome_key((ps_replay_outcome)i),
				    json_integer((json_int_t)t[i]));
	return j;
}

typedef struct replay_args {
	const char *flow, *since, *until;
	int dry_run, now, json, list;
} replay_args;

static int
parse_args(replay_args *a, int argc, char **argv)
{
	static const struct option longopts[] = {
		{"flow", required_argument, NULL, 'f'},
		{"since", required_argument, NULL, 's'},
		{"until", required_argument, NULL, 'u'},
		{"dry-run", no_argument, NULL, 'd'},
		{"now", no_argument, NULL, 'n'},
		{"json", no_argument, NULL, 'j'},
		{"list", no_argument, NULL, 'l'},
		{NULL, 0, NULL, 0},
	};
	int c;

	memset(a, 0, sizeof(*a));
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
		switch (c) {
		case 'f':
			a->flow = optarg;
			break;
		case 's':
			a->since = optarg;
			break;
		case 'u':
			a->until = optarg;
			break;
		case 'd':
			a->dry_run = 1;
			break;
		case 'n':
			a->now = 1;
			break;
		case 'j':
			a->json = 1;
			break;
		case 'l':
			a->list = 1;
			break;
		case ':':
			return ps_cli_usage_error("replay", "%s needs a value",
						  argv[optind - 1]);
		default:
			return ps_cli_usage_error("replay",
						  "unknown option '%s'",
						  argv[optind - 1]);
		}
	}
	if (optind < argc)
		return ps_cli_usage_error("replay", "unexpected '%s'",
					  argv[optind]);
	if (a->list)
		return PS_EXIT_OK;
	if (a->flow == NULL || a->since == NULL)
		return ps_cli_usage_error("replay", "replay needs --flow and "
						    "--since");
	if (a->dry_run && a->now)
		return ps_cli_usage_error("replay", "--dry-run and --now "
						    "exclude each other");
	return PS_EXIT_OK;
}

/* The flow and the window, checked before anything is opened. */
static int
resolve(const ps_flow_ops **flow, ps_replay_options *ro, const replay_args *a)
{
	char list[1024];
	int64_t now = ps_cli_now_ms();

	if ((*flow = ps_flow_find(a->flow)) == NULL ||
	    (*flow)->replay == NULL) {
		ps_cli_error("%s '%s'; flows that can be replayed: %s",
			     *flow == NULL ? "no flow" : "cannot replay flow",
			     a->flow, ps_replay_supported(list, sizeof(list)));
		return PS_EXIT_USAGE;
	}
	if (ps_replay_time_parse(&ro->since_ms, a->since, now) < 0 ||
	    (a->until != NULL &&
	     ps_replay_time_parse(&ro->until_ms, a->until, now) < 0))
		return ps_cli_usage_error("replay", "%s", ps_error_last());
	if (a->until == NULL)
		ro->until_ms = now;
	if (ro->since_ms > now)
		return ps_cli_usage_error("replay", "--since is in the future");
	if (ro->until_ms <= ro->since_ms)
		return ps_cli_usage_error("replay",
					  "--until must be after --since");
	ro->dry_run = a->dry_run;
	return PS_EXIT_OK;
}

int
ps_cli_cmd_replay(const ps_cli_global *g, int argc, char **argv)
{
	ps_replay_options ro = PS_REPLAY_OPTIONS_INIT;
	size_t totals[PS_REPLAY_OUTCOME_COUNT] = {0}, failed = 0;
	const ps_flow_ops *flow = NULL;
	replay_out out = {0, 0, NULL};
	replay_args a;
	ps_store *st = NULL;
	ps_config cfg;
	char s1[32], s2[32], held[256] = "", why[512] = "";
	int status, error;

	if ((status = parse_args(&a, argc, argv)) != PS_EXIT_OK)
		return status;
	if (a.list)
		return list_flows();
	if ((status = resolve(&flow, &ro, &a)) != PS_EXIT_OK)
		return status;
	out.json = a.json;
	out.dry_run = a.dry_run;
	if (out.json && (out.items = json_array()) == NULL)
		return PS_EXIT_FAIL;
	ro.cb = on_item;
	ro.payload = &out;
	if ((status = ps_cli_open_store(&st, &cfg, g)) != PS_EXIT_OK)
		goto done;
	utc(s1, sizeof(s1), ro.since_ms);
	utc(s2, sizeof(s2), ro.until_ms);
	if (!out.json)
		printf("replay %s%s%s%s from %s to %s%s\n", flow->name,
		       flow->alias ? " (" : "", flow->alias ? flow->alias : "",
		       flow->alias ? ")" : "", s1, s2,
		       a.dry_run ? " (dry run: nothing is written)" : "");
	ps_replay_flow_held(held, sizeof(held), st, flow);
	if ((error = replay_flow(totals, st, &cfg, flow, &ro)) < 0) {
		snprintf(why, sizeof(why), "replay of %s: %s", flow->name,
			 ps_error_last());
		ps_cli_error("%s", why);
		status = PS_EXIT_FAIL;
	}
	/* totals of a replay that failed before listing anything mislead */
	if (!out.json && (error == 0 || totals_sum(totals) > 0))
		print_totals(&out, totals);
	if (status == PS_EXIT_OK && a.now) {
		if ((error = perform_now(&failed, st, &cfg, flow)) < 0) {
			snprintf(why, sizeof(why), "%s", ps_error_last());
			ps_cli_error("%s", why);
			status = PS_EXIT_FAIL;
		} else if (failed > 0) {
			status = PS_EXIT_FAIL;
		}
		if (!out.json && error == 0)
			printf("performed: %zu entr%s failed or waiting\n",
			       failed, failed == 1 ? "y" : "ies");
	} else if (status == PS_EXIT_OK && !out.json && !a.dry_run &&
		   totals[PS_REPLAY_QUEUED] > 0 && held[0] != '\0') {
		printf("the worker leaves the queued entries while %s; "
		       "'pearlsync replay ... --now' or 'pearlsync sync-once "
		       "%s' performs them anyway\n",
		       held, flow->alias ? flow->alias : flow->name);
	} else if (status == PS_EXIT_OK && !out.json && !a.dry_run &&
		   totals[PS_REPLAY_QUEUED] > 0) {
		printf("the worker performs the queued entries; without a "
		       "running worker: pearlsync sync-once %s\n",
		       flow->alias ? flow->alias : flow->name);
	}
	if (out.json) {
		json_t *j = json_pack("{s:s, s:s, s:s, s:b, s:O, s:o}", "flow",
				      flow->name, "since", s1, "until", s2,
				      "dry_run", a.dry_run, "items", out.items,
				      "totals", totals_json(totals));

		if (j != NULL && held[0] != '\0')
			json_object_set_new(j, "held", json_string(held));
		if (j != NULL && a.now)
			json_object_set_new(j, "failed_or_waiting",
					    json_integer((json_int_t)failed));
		if (j != NULL && why[0] != '\0')
			json_object_set_new(j, "error", json_string(why));
		if (j != NULL) {
			char *text = json_dumps(j, JSON_INDENT(2));

			if (text != NULL)
				printf("%s\n", text);
			free(text);
		}
		json_decref(j);
	}
done:
	json_decref(out.items);
	ps_store_close(st);
	return status;
}
