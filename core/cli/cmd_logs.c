/*
 * cmd_logs.c - `pearlsync logs`: the sync log, newest first, filtered.
 *
 * One page from the store (at most 1000 rows, the store's page limit), as
 * a table for people or a JSON array for scripts.  An empty result is an
 * empty table or "[]", never an error: "nothing failed" is an answer.
 * A flow is named as retry and sync-once take it (name or alias, through
 * the flow registry); a name no flow has is a usage error, not an empty
 * answer.
 */
#include "commands.h"

#include <getopt.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "pearlsync/config.h"
#include "pearlsync/flow.h"
#include "pearlsync/money.h"
#include "pearlsync/store.h"

#define LOGS_MAX_LIMIT 1000

const char ps_cli_usage_logs[] =
	"usage: pearlsync logs [--status STATUS] [--flow FLOW] [--kind KIND]\n"
	"                      [--search TEXT] [--limit N] [--json]\n"
	"\n"
	"List sync log entries, newest first: what was synced, what waits and\n"
	"what failed, and why.\n"
	"\n"
	"Options:\n"
	"  --status STATUS  only entries in STATUS: pending, in_flight,\n"
	"                   synced or failed\n"
	"  --flow FLOW      only entries of FLOW, by name or alias\n"
	"                   (order_import_bc or orders)\n"
	"  --kind KIND      only entries of KIND, what the unit of work is:\n"
	"                   order.import, order.status, note.copy,\n"
	"                   goods-out-note.ship, inventory.reconcile, ...\n"
	"  --search TEXT    entries whose order number, reason, source or\n"
	"                   target id contains TEXT (1-2 characters: equal to\n"
	"                   the order number or an id)\n"
	"  --limit N        at most N entries, 1..1000 (default 50)\n"
	"  --json           a JSON array of entry objects; [] when none\n"
	"\n"
	"Columns: ID, ORDER #, TOTAL, INSERTED, SYNCED, STATUS, SHIPPING\n"
	"(method), SHIPMENT (status), WHAT: REASON (the entry's work and\n"
	"subject, as \"import order 1042\", then why it failed or waits).\n"
	"Times are local.  The JSON objects carry kind, subject and\n"
	"subject_order (the order a note belongs to) as fields.\n"
	"\n"
	"Exit status: 0 listed (even if empty), 1 the database could not be\n"
	"read, 2 bad usage or config file.\n"
	"\n"
	"Examples:\n"
	"  pearlsync logs --status failed\n"
	"  pearlsync logs --search 1042 --json\n"
	"  pearlsync logs --kind order.import --status pending\n";

/* Every flow as "name (alias)", comma-separated, into buf. */
static const char *
flow_names(char *buf, size_t cap)
{
	const ps_flow_ops *const *all = ps_flows_all();
	size_t i, len = 0;
	int n;

	buf[0] = '\0';
	for (i = 0; all[i] != NULL && len < cap; i++) {
		n = snprintf(buf + len, cap - len, "%s%s%s%s%s",
			     i > 0 ? ", " : "", all[i]->name,
			     all[i]->alias ? " (" : "",
			     all[i]->alias ? all[i]->alias : "",
			     all[i]->alias ? ")" : "");
		if (n < 0)
			break;
		len += (size_t)n;
	}
	return buf;
}

static char *
format_total(char *buf, size_t cap, const ps_log_entry *e)
{
	char num[PS_MONEY_STR_MAX], cur[32];

	if (!e->has_total) {
		snprintf(buf, cap, "-");
		return buf;
	}
	/* cents suffice for display unless the amount has finer digits */
	ps_money_format(num, sizeof(num), e->total,
			e->total % (PS_MONEY_SCALE / 100) == 0 ? 2 : 4);
	snprintf(buf, cap, "%s%s%s", num, e->currency ? " " : "",
		 ps_log_escape(cur, sizeof(cur), e->currency));
	return buf;
}

static json_t *
str_or_null(const char *s)
{
	return s != NULL ? json_string(s) : json_null();
}

/* NULL for "" (a typed column with nothing in it), else s. */
static const char *
empty_null(const char *s)
{
	return s != NULL && s[0] != '\0' ? s : NULL;
}

static json_t *
entry_json(const ps_log_entry *e)
{
	json_t *o = json_object();
	char num[PS_MONEY_STR_MAX];

	if (o == NULL)
		return NULL;
	json_object_set_new(o, "id", json_integer(e->id));
	json_object_set_new(o, "flow", str_or_null(e->flow));
	json_object_set_new(o, "order_number", str_or_null(e->order_number));
	json_object_set_new(
		o, "total",
		e->has_total
			? json_string(ps_money_format(
				  num, sizeof(num), e->total,
				  e->total % (PS_MONEY_SCALE / 100) == 0 ? 2
									 : 4))
			: json_null());
	json_object_set_new(o, "currency", str_or_null(e->currency));
	json_object_set_new(o, "inserted_at_ms", json_integer(e->inserted_at));
	json_object_set_new(o, "synced_at_ms",
			    e->synced_at ? json_integer(e->synced_at)
					 : json_null());
	json_object_set_new(o, "status",
			    json_string(ps_entry_status_name(e->status)));
	json_object_set_new(o, "shipping_method",
			    str_or_null(e->shipping_method));
	json_object_set_new(o, "shipment_status",
			    str_or_null(e->shipment_status));
	json_object_set_new(o, "reason", str_or_null(e->reason));
	json_object_set_new(o, "error",
			    e->error_code < 0
				    ? json_string(ps_error_name(e->error_code))
				    : json_null());
	json_object_set_new(o, "detail", str_or_null(e->detail));
	json_object_set_new(o, "updated_at_ms", json_integer(e->updated_at));
	json_object_set_new(o, "attempts", json_integer(e->attempts));
	json_object_set_new(o, "next_attempt_at_ms",
			    e->next_attempt_at
				    ? json_integer(e->next_attempt_at)
				    : json_null());
	json_object_set_new(o, "source_platform",
			    json_string(ps_platform_name(e->source_platform)));
	json_object_set_new(o, "source_id", str_or_null(e->source_id));
	json_object_set_new(o, "target_platform",
			    json_string(ps_platform_name(e->target_platform)));
	json_object_set_new(o, "target_id", str_or_null(e->target_id));
	json_object_set_new(o, "dedupe_key", str_or_null(e->dedupe_key));
	json_object_set_new(o, "kind", str_or_null(empty_null(e->kind)));
	json_object_set_new(o, "subject", str_or_null(empty_null(e->subject)));
	json_object_set_new(o, "subject_order",
			    str_or_null(empty_null(e->subject_order)));
	return o;
}

static int
print_json(const ps_log_entry *entries, size_t n)
{
	json_t *arr = json_array();
	char *text;
	size_t i;

	if (arr == NULL)
		return ps_error_set(PS_ENOMEM, NULL);
	for (i = 0; i < n; i++) {
		if (json_array_append_new(arr, entry_json(&entries[i])) < 0) {
			json_decref(arr);
			return ps_error_set(PS_ENOMEM, NULL);
		}
	}
	/* ASCII only: a C1 control (U+009B is CSI) or DEL in platform text
	 * stays an escape even when the JSON is read on a terminal */
	text = json_dumps(arr, JSON_INDENT(2) | JSON_PRESERVE_ORDER |
				       JSON_ENSURE_ASCII);
	json_decref(arr);
	if (text == NULL)
		return ps_error_set(PS_ENOMEM, NULL);
	/* reasons may quote data that carried a secret: mask on the way out */
	ps_redact(text, strlen(text) + 1);
	fputs(text, stdout);
	fputc('\n', stdout);
	free(text);
	return 0;
}

/* A cell cut to width, so one long value does not wreck the table. */
static const char *
cell(char *buf, size_t width, const char *s)
{
	size_t n;

	if (s == NULL || s[0] == '\0')
		return "-";
	n = strlen(s);
	if (n <= width)
		return s;
	/* buf holds at least width + 1 bytes (the callers' arrays) */
	memcpy(buf, s, width);
	buf[width] = '\0';
	buf[width - 1] = '~';
	return buf;
}

static void
print_table(const ps_log_entry *entries, size_t n)
{
	char t1[32], t2[32], tot[64], c1[32], c2[32], c3[32];
	char e1[64], e2[64], e3[64];
	char reason[1024], shown[1024], what[192];
	size_t i;

	printf("%-7s %-12s %14s %-19s %-19s %-9s %-16s %-12s %s\n", "ID",
	       "ORDER #", "TOTAL", "INSERTED", "SYNCED", "STATUS", "SHIPPING",
	       "SHIPMENT", "WHAT: REASON");
	for (i = 0; i < n; i++) {
		const ps_log_entry *e = &entries[i];

		/* the last column, free width: the work, then why */
		ps_log_entry_describe(what, sizeof(what), e);
		snprintf(reason, sizeof(reason), "%s%s%s", what,
			 what[0] && e->reason && e->reason[0] ? ": " : "",
			 e->reason ? e->reason : "");
		ps_redact(reason, sizeof(reason));
		/* platform text (a SKU in a reason, a shipping method) may
		 * carry ESC or BEL: print them visibly, never raw */
		ps_log_escape(shown, sizeof(shown), reason);
		ps_log_escape(e1, sizeof(e1), e->order_number);
		ps_log_escape(e2, sizeof(e2), e->shipping_method);
		ps_log_escape(e3, sizeof(e3), e->shipment_status);

		printf("%-7lld %-12s %14s %-19s %-19s %-9s %-16s %-12s %s\n",
		       (long long)e->id, cell(c1, 12, e1),
		       format_total(tot, sizeof(tot), e),
		       ps_cli_format_time(t1, sizeof(t1), e->inserted_at),
		       ps_cli_format_time(t2, sizeof(t2), e->synced_at),
		       ps_entry_status_name(e->status), cell(c2, 16, e2),
		       cell(c3, 12, e3), shown);
	}
	if (n == 0)
		printf("(no entries)\n");
}

int
ps_cli_cmd_logs(const ps_cli_global *g, int argc, char **argv)
{
	static const struct option longopts[] = {
		{"status", required_argument, NULL, 's'},
		{"flow", required_argument, NULL, 'f'},
		{"kind", required_argument, NULL, 'k'},
		{"search", required_argument, NULL, 'q'},
		{"limit", required_argument, NULL, 'n'},
		{"json", no_argument, NULL, 'j'},
		{NULL, 0, NULL, 0},
	};
	ps_log_query q = PS_LOG_QUERY_INIT;
	const ps_flow_ops *fo;
	char names[512];
	ps_log_entry *entries = NULL;
	size_t n = 0;
	ps_store *st = NULL;
	ps_config cfg;
	ps_entry_status es;
	long limit;
	int json = 0, c, status;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
		switch (c) {
		case 's':
			if (ps_entry_status_parse(&es, optarg) < 0)
				return ps_cli_usage_error(
					"logs",
					"unknown status '%s' (pending, "
					"in_flight, synced, failed)",
					optarg);
			q.status = (int)es;
			break;
		case 'f':
			/* entries carry the flow's name, never its alias */
			if ((fo = ps_flow_find(optarg)) == NULL)
				return ps_cli_usage_error(
					"logs", "unknown flow '%s'; flows: %s",
					optarg,
					flow_names(names, sizeof(names)));
			q.flow = fo->name;
			break;
		case 'k':
			q.kind = optarg;
			break;
		case 'q':
			q.text = optarg;
			break;
		case 'n':
			if (ps_cli_parse_long(&limit, optarg, 1,
					      LOGS_MAX_LIMIT) < 0)
				return ps_cli_usage_error(
					"logs",
					"--limit must be 1..%d, not '%s'",
					LOGS_MAX_LIMIT, optarg);
			q.limit = (size_t)limit;
			break;
		case 'j':
			json = 1;
			break;
		case ':':
			return ps_cli_usage_error("logs", "%s needs a value",
						  argv[optind - 1]);
		default:
			return ps_cli_usage_error("logs", "unknown option '%s'",
						  argv[optind - 1]);
		}
	}
	if (optind < argc)
		return ps_cli_usage_error("logs", "unexpected argument '%s'",
					  argv[optind]);
	if ((status = ps_cli_open_store(&st, &cfg, g)) != PS_EXIT_OK)
		return status;
	if (ps_store_log_list(&entries, &n, st, &q) < 0 ||
	    (json ? print_json(entries, n) : (print_table(entries, n), 0)) <
		    0) {
		ps_cli_error("%s: %s", cfg.db_path, ps_error_last());
		status = PS_EXIT_FAIL;
	}
	ps_log_entries_free(entries, n);
	ps_store_close(st);
	return status;
}
