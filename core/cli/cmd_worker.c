/*
 * cmd_worker.c - `pearlsync worker [--once] [--no-listen]`: run the sync
 * worker in the foreground until SIGTERM or SIGINT (or one pass with
 * --once).
 *
 * The signal handlers only set a flag; the worker finishes the entry in
 * hand, writes its "stopped" heartbeat and returns, and the command exits
 * 0.  Logs go to stderr at the config file's level.
 *
 * Before anything is read, core dumps are switched off: the worker holds
 * the platforms' tokens in memory.
 */
#include "commands.h"

#include <errno.h>
#include <getopt.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <signal.h>
#include <string.h>
#include <sys/resource.h>

#include "pearlsync/config.h"
#include "pearlsync/log.h"
#include "pearlsync/store.h"
#include "pearlsync/worker.h"

const char ps_cli_usage_worker[] =
	"usage: pearlsync worker [--once] [--no-listen]\n"
	"\n"
	"Run the sync worker in the foreground: it carries out operator\n"
	"requests (retry, pause, resume, run now), turns received webhooks\n"
	"into sync log entries, polls each enabled flow from its stored\n"
	"cursor, performs due entries and writes a heartbeat every second\n"
	"(see 'pearlsync status').  Entries a previous worker left in flight\n"
	"are checked and retried at start.\n"
	"\n"
	"The webhook listener serves /webhooks/PLATFORM/... for each platform\n"
	"that sends webhooks, on the config file's listen address and port\n"
	"(loopback by default); each platform checks its own deliveries\n"
	"against the setting webhooks.secret.  With webhooks.public_url set,\n"
	"the worker registers the hooks each platform needs at that address\n"
	"and turns back on those a platform has switched off.  Platforms:\n"
	"  " PS_CLI_PLATFORMS "\n"
	"The listener also answers GET /healthz (200, or 503 naming what is\n"
	"wrong) and GET /metrics (Prometheus text format).\n"
	"\n"
	"Under systemd (Type=notify) the worker reports READY=1, STATUS=\n"
	"lines and watchdog pings, and its log lines carry syslog priorities\n"
	"when stderr is the journal.\n"
	"\n"
	"SIGTERM or SIGINT: the entry in hand is finished, the heartbeat\n"
	"says stopped, exit status 0.  Logs go to stderr.\n"
	"\n"
	"Options:\n"
	"  --once       one full pass (requests, events, a poll of every\n"
	"               enabled flow, every due entry), then exit; for cron\n"
	"               and tests; no listener\n"
	"  --no-listen  do not start the webhook listener\n"
	"\n"
	"Exit status: 0 stopped cleanly, 1 the database or listener failed,\n"
	"2 bad usage or config file.\n"
	"\n"
	"Examples:\n"
	"  pearlsync worker\n"
	"  pearlsync --config /etc/pearlsync/pearlsync.conf worker --once\n";

static volatile sig_atomic_t stop_flag;

static void
on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

/*
 * A core dump would write the tokens the worker holds to disk, where a
 * crash handler (systemd-coredump, apport) keeps them for whoever may read
 * crashes; both handlers honour a core size limit of 0.  The hard limit
 * goes to 0 too, so nothing later in the process can raise it again.
 *
 * PR_SET_DUMPABLE stays as it is: it would also hide /proc/PID/fd and
 * ptrace from the worker's own user, who can read the tokens in the
 * database anyway, and whose tools (lsof, gdb) need them.
 */
static void
disable_core_dumps(void)
{
	struct rlimit none = {0, 0};

	if (setrlimit(RLIMIT_CORE, &none) < 0)
		ps_log_warn("worker",
			    "cannot switch core dumps off (%s): a crash could "
			    "write the platforms' tokens to disk",
			    strerror(errno));
}

static void
install_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
}

/*
 * A long-lived worker's peak memory: glibc's malloc otherwise gives each
 * thread (the listener's, curl's resolver) an arena of its own and raises
 * its mmap threshold after a large reply is freed, so later large
 * replies come from the heap and its high-water mark only grows.  Two
 * arenas and a fixed 128 KiB threshold (large buffers mapped and handed
 * back on free) kept a 20,000-order backlog at 19.1 MB against 20.6 MB.
 */
static void
tune_malloc(void)
{
#ifdef __GLIBC__
	mallopt(M_ARENA_MAX, 2);
	mallopt(M_MMAP_THRESHOLD, 128 * 1024);
#endif
}

int
ps_cli_cmd_worker(const ps_cli_global *g, int argc, char **argv)
{
	static const struct option longopts[] = {
		{"once", no_argument, NULL, 'o'},
		{"no-listen", no_argument, NULL, 'n'},
		{NULL, 0, NULL, 0},
	};
	ps_worker_options o = PS_WORKER_OPTIONS_INIT;
	ps_worker *w = NULL;
	ps_store *st = NULL;
	ps_config cfg;
	size_t failed = 0;
	int once = 0, listen = 1, c, status, error;

	tune_malloc();
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
		switch (c) {
		case 'o':
			once = 1;
			break;
		case 'n':
			listen = 0;
			break;
		default:
			return ps_cli_usage_error("worker",
						  "unknown option '%s'",
						  argv[optind - 1]);
		}
	}
	if (optind < argc)
		return ps_cli_usage_error("worker", "unexpected argument '%s'",
					  argv[optind]);
	disable_core_dumps();
	stop_flag = 0;
	install_signals();
	if ((status = ps_cli_open_store(&st, &cfg, g)) != PS_EXIT_OK)
		return status;
	if (ps_store_page_cache_set(st, PS_STORE_WORKER_CACHE_KIB) < 0) {
		ps_cli_error("%s", ps_error_last());
		ps_store_close(st);
		return PS_EXIT_FAIL;
	}
	o.stop = &stop_flag;
	o.listen = listen && !once;
	o.register_hooks = 1;
	o.connect = 1;
	if ((error = ps_worker_new(&w, st, &cfg, &o)) < 0) {
		ps_cli_error("%s", ps_error_last());
		ps_store_close(st);
		return PS_EXIT_FAIL;
	}
	error = once ? ps_worker_run_once(w, &failed) : ps_worker_run(w);
	if (error < 0) {
		ps_cli_error("%s", ps_error_last());
		status = PS_EXIT_FAIL;
	} else if (once) {
		ps_log_info("worker", "pass done; %zu entries failed or wait",
			    failed);
	}
	ps_worker_free(w);
	ps_store_close(st);
	return status;
}
