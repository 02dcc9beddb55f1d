/*
 * cmd_sync_once.c - `pearlsync sync-once FLOW`: poll one flow and perform
 * its due entries, in this process, then exit.
 *
 * For cron and tests.  It does not touch the worker's heartbeat nor the
 * entries a running worker holds in flight, so it is safe next to one;
 * with no worker running it first makes the entries a crashed run left
 * in flight due again, as the worker does when it starts.
 */
#include "commands.h"

#include <signal.h>
#include <string.h>

#include "pearlsync/config.h"
#include "pearlsync/flow.h"
#include "pearlsync/store.h"
#include "pearlsync/worker.h"

const char ps_cli_usage_sync_once[] =
	"usage: pearlsync sync-once FLOW\n"
	"\n"
	"Run one flow once: poll for new work from its stored cursor (even\n"
	"when the flow is switched off or paused), then perform every due\n"
	"entry, and exit.  FLOW is a flow's name or alias (see 'pearlsync\n"
	"status').  Failures are recorded in the sync log as the worker\n"
	"records them ('pearlsync logs --status failed').  When no worker\n"
	"is running, entries a crashed run left in flight are retried too.\n"
	"\n"
	"Exit status: 0 every entry synced, 1 an entry failed or is left\n"
	"waiting (or a platform is not connected), 2 bad usage or no such\n"
	"flow.\n"
	"\n"
	"Example:\n"
	"  pearlsync sync-once orders\n";

static volatile sig_atomic_t stop_flag;

static void
on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

int
ps_cli_cmd_sync_once(const ps_cli_global *g, int argc, char **argv)
{
	ps_worker_options o = PS_WORKER_OPTIONS_INIT;
	const ps_flow_ops *const *all = ps_flows_all();
	const ps_flow_ops *fo;
	struct sigaction sa;
	ps_worker *w = NULL;
	ps_store *st = NULL;
	ps_config cfg;
	size_t failed = 0, i;
	int status, error;

	if (argc != 2)
		return ps_cli_usage_error("sync-once", "sync-once needs one "
						       "FLOW");
	if ((fo = ps_flow_find(argv[1])) == NULL) {
		fprintf(stderr, "pearlsync: no flow '%s'; flows:", argv[1]);
		for (i = 0; all[i] != NULL; i++)
			fprintf(stderr, " %s%s%s%s", all[i]->name,
				all[i]->alias ? " (" : "",
				all[i]->alias ? all[i]->alias : "",
				all[i]->alias ? ")" : "");
		fprintf(stderr, "%s\n", all[0] == NULL ? " none" : "");
		return PS_EXIT_USAGE;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	stop_flag = 0;
	if ((status = ps_cli_open_store(&st, &cfg, g)) != PS_EXIT_OK)
		return status;
	o.stop = &stop_flag;
	o.connect = 1;
	if ((error = ps_worker_new(&w, st, &cfg, &o)) == 0)
		error = ps_worker_sync_flow(w, fo->name, &failed);
	if (error < 0) {
		ps_cli_error("%s", ps_error_last());
		status = PS_EXIT_FAIL;
	} else {
		printf("%s: %zu entr%s failed or waiting\n", fo->name, failed,
		       failed == 1 ? "y" : "ies");
		status = failed > 0 ? PS_EXIT_FAIL : PS_EXIT_OK;
	}
	ps_worker_free(w);
	ps_store_close(st);
	return status;
}
