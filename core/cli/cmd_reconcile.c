/*
 * cmd_reconcile.c - `pearlsync reconcile`: what differs between the
 * platforms over a window, and queueing the missing orders for import.
 *
 * The comparison is each flow group's reconciler (reconcile.h); this file
 * parses the options, prints the report as text or JSON and maps it to
 * the exit status: 0 nothing differs, 1 differences, 2 it could not run.
 */
#include "commands.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pearlsync/config.h"
#include "pearlsync/connect.h"
#include "pearlsync/platform.h"
#include "pearlsync/reconcile.h"
#include "pearlsync/store.h"

const char ps_cli_usage_reconcile[] =
	"usage: pearlsync reconcile [--since TIME] [--until TIME] [--json]\n"
	"                           [--queue]\n"
	"\n"
	"Compare the platforms of every connected pair over a window of\n"
	"order dates and list what differs: source orders with no target\n"
	"order and why (filtered status, guest orders off, import failed\n"
	"with its reason, never seen), target orders claiming a source\n"
	"order that does not exist, totals that differ to the cent (both\n"
	"figures), shipments the target has and the source does not, and\n"
	"stock levels that differ for the SKUs the inventory flow manages.\n"
	"Reads only, in list pages and batched reads; the requests each\n"
	"platform was sent are printed last.\n"
	"\n"
	"Options:\n"
	"  --since TIME  start of the window (default 1d): a date\n"
	"                (2026-03-01), a UTC time (2026-03-01T14:30), 'now'\n"
	"                or a time ago (90m, 6h, 7d)\n"
	"  --until TIME  end of the window (default now), the same forms\n"
	"  --json        one JSON object instead of text (counts, requests,\n"
	"                and a \"differences\" array)\n"
	"  --queue       queue the missing orders that can be imported (never\n"
	"                seen, failed, skipped) for the worker's import, and\n"
	"                say how many were queued\n"
	"\n"
	"Exit status: 0 nothing differs, 1 differences found, 2 it could not\n"
	"run (a platform not set up or unreachable, bad usage); the reason is\n"
	"printed.\n"
	"\n"
	"Example:\n"
	"  pearlsync reconcile --since 7d --queue\n";

static void
print_time(FILE *out, int64_t unix_s)
{
	time_t t = (time_t)unix_s;
	struct tm tm;
	char buf[32];

	gmtime_r(&t, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M", &tm);
	fputs(buf, out);
}

static void
print_requests(FILE *out, const ps_recon_report *r)
{
	size_t i;
	int first = 1;

	fputs("Requests:", out);
	for (i = 0; i < PS_PLATFORM_MAX; i++) {
		const ps_platform_ops *ops = ps_platform_ops_of((ps_platform)i);

		if (ops == NULL || r->requests[i] <= 0)
			continue;
		fprintf(out, "%s %s %lld", first ? "" : ",", ops->title,
			(long long)r->requests[i]);
		first = 0;
	}
	fprintf(out, "%s for %zu orders and %zu SKUs\n", first ? " none" : "",
		r->orders, r->skus);
}

static void
print_text(FILE *out, const ps_recon_report *r)
{
	size_t i, k, n;

	fputs("Reconciliation of orders created ", out);
	print_time(out, r->since);
	fputs(" to ", out);
	print_time(out, r->until);
	fprintf(out, " UTC: %zu orders, %zu SKUs compared\n", r->orders,
		r->skus);
	for (k = 0; k < PS_RECON_KIND_COUNT; k++) {
		if ((n = ps_recon_count(r, (ps_recon_kind)k)) == 0)
			continue;
		fprintf(out, "\n%s (%zu)\n",
			ps_recon_kind_title((ps_recon_kind)k), n);
		for (i = 0; i < r->n; i++)
			if (r->items[i].kind == (ps_recon_kind)k)
				fprintf(out, "  %-10s %s\n",
					r->items[i].why[0] ? r->items[i].why
							   : "-",
					r->items[i].text);
	}
	if (r->n == 0)
		fputs("\nNothing differs.\n", out);
	for (i = 0; i < r->nnotes; i++)
		fprintf(out, "Note: %s\n", r->notes[i]);
	fputc('\n', out);
	print_requests(out, r);
}

int
ps_cli_cmd_reconcile(const ps_cli_global *g, int argc, char **argv)
{
	ps_http_options ho = PS_HTTP_OPTIONS_INIT;
	ps_recon_report r;
	ps_recon_query q;
	ps_config cfg;
	ps_store *st = NULL;
	ps_http *http = NULL;
	const char *since = "1d", *until = "now";
	int64_t now = (int64_t)(ps_cli_now_ms() / 1000);
	size_t queued = 0;
	int json = 0, queue = 0, status, error, i;
	char *text;

	memset(&r, 0, sizeof(r));
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			json = 1;
		else if (strcmp(argv[i], "--queue") == 0)
			queue = 1;
		else if (strcmp(argv[i], "--since") == 0 && i + 1 < argc)
			since = argv[++i];
		else if (strcmp(argv[i], "--until") == 0 && i + 1 < argc)
			until = argv[++i];
		else
			return ps_cli_usage_error("reconcile",
						  "unknown or incomplete "
						  "option '%s'",
						  argv[i]);
	}
	if (ps_reconcile_parse_time(&q.since, since, now) < 0 ||
	    ps_reconcile_parse_time(&q.until, until, now) < 0)
		return ps_cli_usage_error("reconcile", "%s", ps_error_last());
	if (q.since > q.until)
		return ps_cli_usage_error("reconcile",
					  "--since is after --until");
	if ((status = ps_cli_open_store(&st, &cfg, g)) != PS_EXIT_OK)
		return PS_EXIT_USAGE;
	ho.max_attempts = 3;
	ho.backoff_base_ms = 200;
	ho.backoff_cap_ms = 2000;
	ho.max_wait_ms = 30000;
	if ((error = ps_connect_http(&http, &cfg, &ho)) < 0 ||
	    (error = ps_reconcile_run(&r, st, &cfg, http, &q, now)) < 0) {
		ps_cli_error("cannot reconcile: %s", ps_error_last());
		status = PS_EXIT_USAGE;
		goto done;
	}
	if (queue && (error = ps_reconcile_queue(&queued, st, &r,
						 ps_cli_now_ms())) < 0) {
		ps_cli_error("cannot queue the missing orders: %s",
			     ps_error_last());
		status = PS_EXIT_USAGE;
		goto done;
	}
	if (json) {
		if ((text = ps_reconcile_json(&r, queue ? (long)queued : -1)) ==
		    NULL) {
			ps_cli_error("out of memory");
			status = PS_EXIT_USAGE;
			goto done;
		}
		fputs(text, stdout);
		fputc('\n', stdout);
		free(text);
	} else {
		print_text(stdout, &r);
		if (queue)
			printf("Queued %zu order%s for import.\n", queued,
			       queued == 1 ? "" : "s");
		else if (ps_recon_queueable(&r) > 0)
			printf("%zu missing order%s can be queued for import: "
			       "pearlsync reconcile --queue\n",
			       ps_recon_queueable(&r),
			       ps_recon_queueable(&r) == 1 ? "" : "s");
	}
	status = r.n > 0 ? PS_EXIT_FAIL : PS_EXIT_OK;
done:
	ps_recon_report_dispose(&r);
	ps_http_free(http);
	ps_store_close(st);
	return status;
}
