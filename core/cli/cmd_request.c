/*
 * cmd_request.c - `pearlsync pause FLOW`, `pearlsync resume FLOW` and
 * `pearlsync run FLOW`: operator requests for the running worker.
 *
 * The CLI never talks to the worker directly: it queues a request in the
 * database (ps_store_request_add) and polls the row until the worker has
 * answered (done_at set) or the timeout passes.  With no worker running
 * the request stays queued for the next start and the command says so;
 * the exit status tells a script whether the worker has acted.
 */
#include "commands.h"

#include <getopt.h>
#include <string.h>
#include <time.h>

#include "pearlsync/config.h"
#include "pearlsync/flow.h"
#include "pearlsync/store.h"

/* How long to wait for the worker's answer unless --timeout says. */
#define REQUEST_WAIT_S 10
/* Between two looks at the request row. */
#define REQUEST_POLL_MS 100

#define REQUEST_USAGE_TAIL                                                     \
	"FLOW is a flow's name or alias (see 'pearlsync status').\n"           \
	"\n"                                                                   \
	"Options:\n"                                                           \
	"  --timeout SECONDS  wait at most this long for the worker's\n"       \
	"                     answer (default 10; 0: queue and return)\n"      \
	"\n"                                                                   \
	"Exit status: 0 the worker did it, 1 no worker answered in time\n"     \
	"(the request stays queued for it) or it failed, 2 bad usage or\n"     \
	"no such flow.\n"

const char ps_cli_usage_pause[] =
	"usage: pearlsync pause [--timeout SECONDS] FLOW\n"
	"\n"
	"Ask the running worker to pause FLOW: it stops polling and\n"
	"performing that flow's entries (webhooks are still recorded) until\n"
	"'pearlsync resume FLOW'.  The pause is kept in the setting\n"
	"sync.paused_flows, so it survives a restart.\n" REQUEST_USAGE_TAIL "\n"
	"Example:\n"
	"  pearlsync pause orders\n";

const char ps_cli_usage_resume[] =
	"usage: pearlsync resume [--timeout SECONDS] FLOW\n"
	"\n"
	"Ask the running worker to resume FLOW, paused by 'pearlsync pause'\n"
	"or the console; what came in meanwhile is synced on its next\n"
	"run.\n" REQUEST_USAGE_TAIL "\n"
	"Example:\n"
	"  pearlsync resume orders\n";

const char ps_cli_usage_run[] =
	"usage: pearlsync run [--timeout SECONDS] FLOW\n"
	"\n"
	"Ask the running worker to run FLOW now instead of at its next poll\n"
	"interval (a paused or switched-off flow stays skipped; the answer\n"
	"says so).  'pearlsync sync-once FLOW' runs a flow without a\n"
	"worker.\n" REQUEST_USAGE_TAIL "\n"
	"Example:\n"
	"  pearlsync run orders\n";

static void
sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) != 0)
		;
}

/* 1 when a worker's heartbeat is fresh and it has not said it stopped. */
static int
worker_running(ps_store *st)
{
	ps_heartbeat hb;
	int running;

	ps_heartbeat_init(&hb);
	if (ps_store_heartbeat_get(&hb, st) < 0) {
		ps_error_clear();
		return 0;
	}
	running = ps_cli_now_ms() - hb.beat_at <= PS_HEARTBEAT_STALE_MS &&
		  (hb.state == NULL || strcmp(hb.state, "stopped") != 0);
	ps_heartbeat_dispose(&hb);
	return running;
}

static int
no_such_flow(const char *name)
{
	const ps_flow_ops *const *all = ps_flows_all();
	size_t i;

	fprintf(stderr, "pearlsync: no flow '%s'; flows:", name);
	for (i = 0; all[i] != NULL; i++)
		fprintf(stderr, " %s%s%s%s", all[i]->name,
			all[i]->alias ? " (" : "",
			all[i]->alias ? all[i]->alias : "",
			all[i]->alias ? ")" : "");
	fprintf(stderr, "%s\n", all[0] == NULL ? " none" : "");
	return PS_EXIT_USAGE;
}

/*
 * Poll request id until the worker has answered or timeout_ms passed.
 * PS_EXIT_OK with its answer printed, PS_EXIT_FAIL otherwise.
 */
static int
wait_answer(ps_store *st, int64_t id, long timeout_ms)
{
	long long until = ps_cli_now_ms() + timeout_ms;
	ps_request r;
	int error, status;

	for (;;) {
		ps_request_init(&r);
		if ((error = ps_store_request_get(&r, st, id)) < 0) {
			ps_cli_error("%s", ps_error_last());
			return PS_EXIT_FAIL;
		}
		if (r.done_at != 0)
			break;
		ps_request_dispose(&r);
		if (ps_cli_now_ms() >= until) {
			ps_cli_error("the worker did not answer within %lds; "
				     "request %lld stays queued for it",
				     timeout_ms / 1000, (long long)id);
			return PS_EXIT_FAIL;
		}
		sleep_ms(REQUEST_POLL_MS);
	}
	/* the worker's answer starts "failed: " when the request failed */
	status = r.result != NULL && strncmp(r.result, "failed:", 7) == 0
			 ? PS_EXIT_FAIL
			 : PS_EXIT_OK;
	if (status == PS_EXIT_OK)
		printf("%s\n", r.result ? r.result : "done");
	else
		ps_cli_error("worker: %s", r.result);
	ps_request_dispose(&r);
	return status;
}

static int
request_cmd(const ps_cli_global *g, const char *cmd, ps_request_kind kind,
	    int argc, char **argv)
{
	static const struct option longopts[] = {
		{"timeout", required_argument, NULL, 't'},
		{NULL, 0, NULL, 0},
	};
	const ps_flow_ops *fo;
	ps_store *st = NULL;
	long timeout_s = REQUEST_WAIT_S;
	int64_t id = 0;
	int c, status, error;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
		switch (c) {
		case 't':
			if (ps_cli_parse_long(&timeout_s, optarg, 0, 3600) < 0)
				return ps_cli_usage_error(
					cmd,
					"--timeout needs 0 to 3600 "
					"seconds, not '%s'",
					optarg);
			break;
		case ':':
			return ps_cli_usage_error(cmd, "%s needs a value",
						  argv[optind - 1]);
		default:
			return ps_cli_usage_error(cmd, "unknown option '%s'",
						  argv[optind - 1]);
		}
	}
	if (optind + 1 != argc)
		return ps_cli_usage_error(cmd, "%s needs one FLOW", cmd);
	if ((fo = ps_flow_find(argv[optind])) == NULL)
		return no_such_flow(argv[optind]);
	if ((status = ps_cli_open_store(&st, NULL, g)) != PS_EXIT_OK)
		return status;
	error = ps_store_request_add(&id, st, kind, fo->name, ps_cli_now_ms());
	if (error < 0) {
		ps_cli_error("%s", ps_error_last());
		status = PS_EXIT_FAIL;
	} else if (!worker_running(st)) {
		ps_cli_error("no worker is running; request %lld (%s %s) is "
			     "queued and taken when 'pearlsync worker' starts",
			     (long long)id, cmd, fo->name);
		status = PS_EXIT_FAIL;
	} else if (timeout_s == 0) {
		printf("request %lld queued for the worker\n", (long long)id);
		status = PS_EXIT_OK;
	} else {
		status = wait_answer(st, id, timeout_s * 1000);
	}
	ps_store_close(st);
	return status;
}

int
ps_cli_cmd_pause(const ps_cli_global *g, int argc, char **argv)
{
	return request_cmd(g, "pause", PS_REQUEST_PAUSE_FLOW, argc, argv);
}

int
ps_cli_cmd_resume(const ps_cli_global *g, int argc, char **argv)
{
	return request_cmd(g, "resume", PS_REQUEST_RESUME_FLOW, argc, argv);
}

int
ps_cli_cmd_run(const ps_cli_global *g, int argc, char **argv)
{
	return request_cmd(g, "run", PS_REQUEST_RUN_FLOW, argc, argv);
}
