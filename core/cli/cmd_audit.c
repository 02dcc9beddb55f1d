/*
 * cmd_audit.c - `pearlsync audit ORDER [--json]`: everything that
 * happened to one order, across every flow and platform, oldest first.
 *
 * ORDER is an order id on any platform: "CODE:ID" names the platform by
 * its registered name or code; a bare ID is looked up on every platform
 * (the one where the order was placed wins), then as an order number.  The
 * store widens it through the order cross-references (pearlsync/audit.h), so
 * the same timeline comes back whichever of the order's ids is given.
 */
#include "commands.h"

#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "pearlsync/audit.h"
#include "pearlsync/config.h"
#include "pearlsync/log.h"
#include "pearlsync/store.h"

/* Settings versions listed at the end of a timeline. */
#define VERSIONS_MAX 64

const char ps_cli_usage_audit[] =
	"usage: pearlsync audit ORDER [--json]\n"
	"\n"
	"Print the audit trail of one order, oldest first: the events the\n"
	"platforms sent about it, each sync log entry recorded for it (the\n"
	"import, status changes, shipments, notes, payments...), every\n"
	"attempt at each entry with its outcome, its reason and the settings\n"
	"version in force, a summary of each HTTP request the attempt made\n"
	"(method, path, status, time, bytes), the operator's retries, and\n"
	"where each entry stands now.\n"
	"\n"
	"ORDER is an order id on any platform: CODE:ID names the platform\n"
	"by its name or code:\n"
	"  " PS_CLI_PLATFORMS "\n"
	"A bare ID is the order as placed on its sales channel, else the "
	"first\n"
	"platform that knows it.  An order number the log shows (a purchase\n"
	"order number, say) names its order too.  The order's ids on the\n"
	"other platforms are followed through the cross-references.\n"
	"\n"
	"Options:\n"
	"  --json  one JSON object: \"order\" (as given), \"steps\" (an array\n"
	"          of step objects, oldest first) and \"settings_versions\"\n"
	"\n"
	"Each settings version named is a change-set of\n"
	"`pearlsync settings history`; `pearlsync settings rollback N` puts\n"
	"the settings back as they were under it.\n"
	"\n"
	"Exit status: 0 printed, 1 no platform knows ORDER or the database\n"
	"could not be read, 2 bad usage or config file.\n"
	"\n"
	"Examples:\n"
	"  pearlsync audit 1042\n"
	"  pearlsync audit bp:2317 --json\n";

/* ORDER into (platform or -1, id); 0, or PS_EINVAL (detail set). */
static int
parse_order(int *out_platform, const char **out_id, const char *arg)
{
	const char *colon = strchr(arg, ':');
	char code[64];
	ps_platform p;

	*out_platform = -1;
	*out_id = arg;
	if (colon != NULL && (size_t)(colon - arg) < sizeof(code)) {
		memcpy(code, arg, (size_t)(colon - arg));
		code[colon - arg] = '\0';
		if (ps_platform_parse(&p, code) == 0) {
			*out_platform = (int)p;
			*out_id = colon + 1;
		} else {
			ps_error_clear();
		}
	}
	if ((*out_id)[0] == '\0')
		return ps_error_set(PS_EINVAL, "ORDER '%s' has no id", arg);
	return 0;
}

/* "YYYY-MM-DD HH:MM:SS.mmm" local */
static char *
when(char *buf, size_t cap, int64_t ms)
{
	size_t n;

	ps_cli_format_time(buf, cap, ms);
	n = strlen(buf);
	if (ms > 0 && n + 5 <= cap)
		snprintf(buf + n, cap - n, ".%03d", (int)(ms % 1000));
	return buf;
}

/* The distinct settings versions of the attempts, ascending. */
static size_t
versions(int64_t *v, const ps_audit_row *rows, size_t n)
{
	size_t i, j, k = 0;

	for (i = 0; i < n; i++) {
		if (rows[i].kind != PS_AUDIT_ATTEMPT ||
		    rows[i].settings_version < 0)
			continue;
		for (j = 0; j < k && v[j] != rows[i].settings_version; j++)
			;
		if (j < k || k == VERSIONS_MAX)
			continue;
		for (j = k++; j > 0 && v[j - 1] > rows[i].settings_version; j--)
			v[j] = v[j - 1];
		v[j] = rows[i].settings_version;
	}
	return k;
}

static json_t *
text_or_null(const char *s)
{
	return s != NULL && s[0] != '\0' ? json_string(s) : json_null();
}

static json_t *
step_json(const ps_audit_row *r)
{
	json_t *o = json_object();
	char line[2048];

	if (o == NULL)
		return NULL;
	json_object_set_new(o, "kind",
			    json_string(ps_audit_kind_name(r->kind)));
	json_object_set_new(o, "at_ms", json_integer(r->at));
	json_object_set_new(o, "ended_at_ms",
			    r->ended_at > 0 ? json_integer(r->ended_at)
					    : json_null());
	json_object_set_new(o, "entry_id",
			    r->entry_id > 0 ? json_integer(r->entry_id)
					    : json_null());
	json_object_set_new(o, "attempt_id",
			    r->attempt_id > 0 ? json_integer(r->attempt_id)
					      : json_null());
	json_object_set_new(o, "attempt",
			    r->kind == PS_AUDIT_ATTEMPT
				    ? json_integer(r->attempt)
				    : json_null());
	json_object_set_new(o, "platform",
			    json_string(ps_platform_name(r->platform)));
	json_object_set_new(o, "flow", text_or_null(r->flow));
	json_object_set_new(o, "what", text_or_null(r->what));
	json_object_set_new(o, "ref", text_or_null(r->ref));
	json_object_set_new(o, "outcome", text_or_null(r->outcome));
	json_object_set_new(o, "reason", text_or_null(r->reason));
	json_object_set_new(o, "settings_version",
			    r->settings_version >= 0
				    ? json_integer(r->settings_version)
				    : json_null());
	if (r->kind == PS_AUDIT_REQUEST) {
		json_object_set_new(o, "status", json_integer(r->status));
		json_object_set_new(o, "bytes", json_integer(r->bytes));
	}
	if (r->kind == PS_AUDIT_REQUEST || r->kind == PS_AUDIT_ATTEMPT)
		json_object_set_new(o, "duration_ms",
				    json_integer(r->duration_ms));
	json_object_set_new(
		o, "text",
		json_string(ps_audit_row_describe(line, sizeof(line), r)));
	return o;
}

static int
print_json(const char *order, const ps_audit_row *rows, size_t n)
{
	json_t *doc = json_object(), *steps = json_array(), *vs = json_array();
	int64_t v[VERSIONS_MAX];
	size_t i, k;
	char *text;

	if (doc == NULL || steps == NULL || vs == NULL) {
		json_decref(doc);
		json_decref(steps);
		json_decref(vs);
		return ps_error_set(PS_ENOMEM, "out of memory");
	}
	for (i = 0; i < n; i++)
		json_array_append_new(steps, step_json(&rows[i]));
	k = versions(v, rows, n);
	for (i = 0; i < k; i++)
		json_array_append_new(vs, json_integer(v[i]));
	json_object_set_new(doc, "order", json_string(order));
	json_object_set_new(doc, "steps", steps);
	json_object_set_new(doc, "settings_versions", vs);
	text = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(doc);
	if (text == NULL)
		return ps_error_set(PS_ENOMEM, "out of memory");
	printf("%s\n", text);
	free(text);
	return 0;
}

static void
print_text(const char *order, const ps_audit_row *rows, size_t n)
{
	char t[48], line[2048], shown[4096];
	int64_t v[VERSIONS_MAX];
	size_t i, k;

	printf("Audit trail of order %s: %zu step%s\n", order, n,
	       n == 1 ? "" : "s");
	printf("%-23s  %s\n", "WHEN", "STEP");
	for (i = 0; i < n; i++) {
		ps_audit_row_describe(line, sizeof(line), &rows[i]);
		printf("%-23s  %s\n", when(t, sizeof(t), rows[i].at),
		       ps_log_escape(shown, sizeof(shown), line));
	}
	k = versions(v, rows, n);
	if (k == 0)
		return;
	printf("\nSettings in force:");
	for (i = 0; i < k; i++)
		printf("%s v%" PRId64, i > 0 ? "," : "", v[i]);
	printf(" (see `pearlsync settings history`)\n");
}

int
ps_cli_cmd_audit(const ps_cli_global *g, int argc, char **argv)
{
	static const struct option longopts[] = {
		{"json", no_argument, NULL, 'j'},
		{NULL, 0, NULL, 0},
	};
	ps_audit_row *rows = NULL;
	ps_store *st = NULL;
	const char *id;
	ps_config cfg;
	size_t n = 0;
	int json = 0, c, platform, status, error;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
		if (c == 'j')
			json = 1;
		else
			return ps_cli_usage_error("audit",
						  "unknown option '%s'",
						  argv[optind - 1]);
	}
	if (optind + 1 != argc)
		return ps_cli_usage_error("audit", "audit takes one ORDER");
	if (parse_order(&platform, &id, argv[optind]) < 0)
		return ps_cli_usage_error("audit", "%s", ps_error_last());
	if ((status = ps_cli_open_store(&st, &cfg, g)) != PS_EXIT_OK)
		return status;
	error = ps_store_audit_timeline(&rows, &n, st, platform, id);
	if (error == 0)
		error = json ? print_json(argv[optind], rows, n)
			     : (print_text(argv[optind], rows, n), 0);
	if (error < 0) {
		ps_cli_error("%s", ps_error_last());
		status = PS_EXIT_FAIL;
	}
	ps_audit_rows_free(rows, n);
	ps_store_close(st);
	return status;
}
