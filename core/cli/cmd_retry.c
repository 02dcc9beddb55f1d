/*
 * cmd_retry.c - `pearlsync retry ID` and `pearlsync retry --failed
 * [--flow F]`: make failed or waiting entries due now.
 *
 * Written straight into the database: the worker (running or started
 * later) takes the entries on its next tick, with their attempts counted
 * from zero again.
 */
#include "commands.h"

#include <getopt.h>

#include "pearlsync/config.h"
#include "pearlsync/flow.h"
#include "pearlsync/store.h"

const char ps_cli_usage_retry[] =
	"usage: pearlsync retry ID\n"
	"       pearlsync retry --failed [--flow FLOW]\n"
	"\n"
	"Make a failed or waiting sync log entry due now, its attempts\n"
	"counted from zero again (after fixing the setting or mapping its\n"
	"reason names, say).  The worker picks it up within a second or, if\n"
	"it is not running, on its next start or 'pearlsync sync-once'.\n"
	"\n"
	"Options:\n"
	"  --failed     every failed entry instead of one ID\n"
	"  --flow FLOW  with --failed: only that flow's (name or alias)\n"
	"\n"
	"Exit status: 0 done, 1 no such entry or it is synced or in flight,\n"
	"2 bad usage.\n"
	"\n"
	"Examples:\n"
	"  pearlsync retry 42\n"
	"  pearlsync retry --failed --flow orders\n";

int
ps_cli_cmd_retry(const ps_cli_global *g, int argc, char **argv)
{
	static const struct option longopts[] = {
		{"failed", no_argument, NULL, 'F'},
		{"flow", required_argument, NULL, 'f'},
		{NULL, 0, NULL, 0},
	};
	const ps_flow_ops *fo;
	const char *flow = NULL;
	ps_store *st = NULL;
	ps_config cfg;
	size_t count = 0;
	long id = 0;
	int failed = 0, c, status, error;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
		switch (c) {
		case 'F':
			failed = 1;
			break;
		case 'f':
			flow = optarg;
			break;
		case ':':
			return ps_cli_usage_error("retry", "%s needs a value",
						  argv[optind - 1]);
		default:
			return ps_cli_usage_error("retry",
						  "unknown option '%s'",
						  argv[optind - 1]);
		}
	}
	if (failed && optind < argc)
		return ps_cli_usage_error("retry", "give an ID or --failed, "
						   "not both");
	if (!failed && flow != NULL)
		return ps_cli_usage_error("retry", "--flow goes with --failed");
	if (!failed &&
	    (optind + 1 != argc ||
	     ps_cli_parse_long(&id, argv[optind], 1, 0x7fffffffL) < 0))
		return ps_cli_usage_error("retry", "retry needs an entry ID "
						   "or --failed");
	if (flow != NULL && (fo = ps_flow_find(flow)) != NULL)
		flow = fo->name;
	if ((status = ps_cli_open_store(&st, &cfg, g)) != PS_EXIT_OK)
		return status;
	if (failed) {
		error = ps_store_log_retry_failed(&count, st, flow,
						  ps_cli_now_ms());
		if (error == 0)
			printf("%zu failed entr%s will be retried\n", count,
			       count == 1 ? "y" : "ies");
	} else {
		error = ps_store_log_retry(st, (int64_t)id, ps_cli_now_ms());
		if (error == 0)
			printf("entry %ld will be retried\n", id);
	}
	if (error < 0) {
		ps_cli_error("%s", ps_error_last());
		status = PS_EXIT_FAIL;
	}
	ps_store_close(st);
	return status;
}
