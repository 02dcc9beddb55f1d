/*
 * test_cli_logs.c - `pearlsync logs` and `pearlsync status` against a
 * database filled through the store API (the CLI cannot add log entries,
 * and tests do not write SQL).  The real binary runs via popen; its JSON
 * output is parsed and checked against what was stored.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "pearlsync/store.h"
#include "test_db.h"

struct fixture {
	test_db db; /* no store kept open: the CLI opens it */
	char conf[160];
};

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000LL + ts.tv_nsec / 1000000L;
}

/* Run pearlsync with args (a trusted, space-separated string); stdout
 * into a new buffer, exit status returned. */
static int
run_cli(char **out, const struct fixture *f, const char *args)
{
	const char *bin = getenv("PS_BIN_DIR");
	char cmd[1024], chunk[4096];
	size_t len = 0, n;
	char *buf = NULL, *grown;
	FILE *p;
	int status;

	snprintf(cmd, sizeof(cmd), "'%s/pearlsync' --config '%s' %s",
		 bin != NULL ? bin : "build/bin", f->conf, args);
	p = popen(cmd, "r");
	assert_non_null(p);
	while ((n = fread(chunk, 1, sizeof(chunk), p)) > 0) {
		grown = realloc(buf, len + n + 1);
		assert_non_null(grown);
		buf = grown;
		memcpy(buf + len, chunk, n);
		len += n;
	}
	status = pclose(p);
	if (buf == NULL)
		buf = calloc(1, 1);
	assert_non_null(buf);
	buf[len] = '\0';
	*out = buf;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static json_t *
run_json(const struct fixture *f, const char *args)
{
	json_error_t err;
	json_t *doc;
	char *out;

	assert_int_equal(run_cli(&out, f, args), 0);
	doc = json_loads(out, 0, &err);
	if (doc == NULL)
		fail_msg("pearlsync %s: not JSON (%s): %s", args, err.text,
			 out);
	free(out);
	return doc;
}

/* kind "<kind> <subject> [<subject order>]", or NULL for none */
static void
add_entry(ps_store *st, const char *flow, const char *key, const char *order,
	  long long cents, ps_entry_status status, const char *reason,
	  const char *kind)
{
	ps_log_entry e;
	char k[64] = "", s[32] = "", so[32] = "";
	int64_t id = 0;

	if (kind != NULL)
		assert_true(sscanf(kind, "%63s %31s %31s", k, s, so) >= 2);
	ps_log_entry_init(&e);
	e.flow = (char *)flow;
	e.dedupe_key = (char *)key;
	e.kind = k;
	e.subject = s;
	e.subject_order = so;
	e.order_number = (char *)order;
	e.total = ps_money_from_cents(cents);
	e.has_total = 1;
	e.currency = (char *)"USD";
	e.shipping_method = (char *)"Free Shipping";
	e.source_platform = PS_PLATFORM_BIGCOMMERCE;
	e.target_platform = PS_PLATFORM_BRIGHTPEARL;
	e.source_id = (char *)order;
	e.status =
		status == PS_ENTRY_FAILED ? PS_ENTRY_FAILED : PS_ENTRY_PENDING;
	e.reason = (char *)reason;
	assert_true(ps_store_log_add(&id, st, &e, now_ms()) >= 0);
	if (status == PS_ENTRY_SYNCED)
		assert_int_equal(
			ps_store_log_mark_synced(
				st, id, "SO-1",
				"order SO-1 created: 2 rows, 1 payment",
				now_ms()),
			0);
}

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	ps_store *st = NULL;
	FILE *c;

	assert_non_null(f);
	assert_int_equal(test_db_mkdir(&f->db, "cli-logs"), 0);
	test_db_file(f->conf, sizeof(f->conf), &f->db, "p.conf");
	c = fopen(f->conf, "w");
	assert_non_null(c);
	fprintf(c, "database = \"%s\";\n", f->db.path);
	fclose(c);

	assert_int_equal(ps_store_open(&st, f->db.path, 0), 0);
	add_entry(st, "order_import_bc", "bc:order:1001", "1001", 1999,
		  PS_ENTRY_SYNCED, NULL, "order.import 1001");
	add_entry(st, "order_import_bc", "bc:order:1002", "1002", 5000,
		  PS_ENTRY_FAILED, "SKU 'TEE-RED-M' not found in Brightpearl",
		  "order.import 1002");
	add_entry(st, "order_import_bc", "bc:order:1003", "1003", 1,
		  PS_ENTRY_PENDING, NULL, NULL);
	add_entry(st, "shipment_export_bc", "bp:goods-out:77", "1001", 1999,
		  PS_ENTRY_FAILED, "carrier 'UPS Ground' is not mapped",
		  "goods-out-note.ship 77 5001");
	ps_store_close(st);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	test_db_close(&f->db);
	free(f);
	return 0;
}

static void
test_cli_logs__json_lists_newest_first_with_columns(void **state)
{
	json_t *arr = run_json(*state, "logs --json");
	json_t *e;

	assert_int_equal(json_array_size(arr), 4);
	e = json_array_get(arr, 0);
	assert_string_equal(json_string_value(json_object_get(e, "flow")),
			    "shipment_export_bc");
	e = json_array_get(arr, 3);
	assert_string_equal(
		json_string_value(json_object_get(e, "order_number")), "1001");
	assert_string_equal(json_string_value(json_object_get(e, "total")),
			    "19.99");
	assert_string_equal(json_string_value(json_object_get(e, "status")),
			    "synced");
	assert_true(json_is_integer(json_object_get(e, "synced_at_ms")));
	assert_string_equal(
		json_string_value(json_object_get(e, "shipping_method")),
		"Free Shipping");
	/* what was sent, when it last changed, and no error */
	assert_string_equal(json_string_value(json_object_get(e, "detail")),
			    "order SO-1 created: 2 rows, 1 payment");
	assert_true(json_is_integer(json_object_get(e, "updated_at_ms")));
	assert_true(json_is_null(json_object_get(e, "error")));
	/* what the entry is, typed */
	assert_string_equal(json_string_value(json_object_get(e, "kind")),
			    "order.import");
	assert_string_equal(json_string_value(json_object_get(e, "subject")),
			    "1001");
	assert_true(json_is_null(json_object_get(e, "subject_order")));
	e = json_array_get(arr, 0);
	assert_string_equal(json_string_value(json_object_get(e, "kind")),
			    "goods-out-note.ship");
	assert_string_equal(json_string_value(json_object_get(e, "subject")),
			    "77");
	assert_string_equal(
		json_string_value(json_object_get(e, "subject_order")), "5001");
	/* an entry recorded without a kind has none */
	e = json_array_get(arr, 1);
	assert_true(json_is_null(json_object_get(e, "kind")));
	assert_true(json_is_null(json_object_get(e, "subject")));
	json_decref(arr);
}

/* --kind lists only entries of that kind, with the other filters too. */
static void
test_cli_logs__kind_filter(void **state)
{
	json_t *arr;
	char *out;

	arr = run_json(*state, "logs --json --kind order.import");
	assert_int_equal(json_array_size(arr), 2);
	assert_string_equal(json_string_value(json_object_get(
				    json_array_get(arr, 0), "order_number")),
			    "1002");
	json_decref(arr);
	arr = run_json(*state, "logs --json --kind order.import --status "
			       "synced");
	assert_int_equal(json_array_size(arr), 1);
	json_decref(arr);
	arr = run_json(*state, "logs --json --kind goods-out-note.ship "
			       "--search 1001");
	assert_int_equal(json_array_size(arr), 1);
	json_decref(arr);
	arr = run_json(*state, "logs --json --kind order.status");
	assert_int_equal(json_array_size(arr), 0);
	json_decref(arr);
	assert_int_equal(run_cli(&out, *state, "logs --kind 2>&1"), 2);
	assert_non_null(strstr(out, "--kind needs a value"));
	free(out);
}

static void
test_cli_logs__filters(void **state)
{
	json_t *arr;

	arr = run_json(*state, "logs --json --status failed");
	assert_int_equal(json_array_size(arr), 2);
	json_decref(arr);
	arr = run_json(*state, "logs --json --status failed --flow "
			       "order_import_bc");
	assert_int_equal(json_array_size(arr), 1);
	assert_string_equal(json_string_value(json_object_get(
				    json_array_get(arr, 0), "reason")),
			    "SKU 'TEE-RED-M' not found in Brightpearl");
	json_decref(arr);
	arr = run_json(*state, "logs --json --search TEE-RED");
	assert_int_equal(json_array_size(arr), 1);
	json_decref(arr);
	arr = run_json(*state, "logs --json --search 1001");
	assert_int_equal(json_array_size(arr), 2);
	json_decref(arr);
	arr = run_json(*state, "logs --json --limit 1");
	assert_int_equal(json_array_size(arr), 1);
	json_decref(arr);
	arr = run_json(*state, "logs --json --status synced --search 1002");
	assert_int_equal(json_array_size(arr), 0);
	json_decref(arr);
}

/* --flow takes a flow's alias as retry and sync-once do; a name no flow
 * has is a usage error that lists the flows, not an empty answer. */
static void
test_cli_logs__flow_alias_and_unknown(void **state)
{
	json_t *arr;
	char *out;

	arr = run_json(*state, "logs --json --flow orders");
	assert_int_equal(json_array_size(arr), 3);
	assert_string_equal(json_string_value(json_object_get(
				    json_array_get(arr, 0), "flow")),
			    "order_import_bc");
	json_decref(arr);
	arr = run_json(*state, "logs --json --flow shipments");
	assert_int_equal(json_array_size(arr), 1);
	json_decref(arr);
	assert_int_equal(run_cli(&out, *state, "logs --flow nosuch 2>&1"), 2);
	if (strstr(out, "unknown flow 'nosuch'; flows: order_import_bc "
			"(orders), ") == NULL)
		fail_msg("no 'unknown flow' message: %s", out);
	assert_null(strstr(out, "(no entries)"));
	free(out);
	assert_int_equal(run_cli(&out, *state, "logs --json --flow x 2>&1"), 2);
	assert_non_null(strstr(out, "unknown flow 'x'"));
	assert_int_not_equal(out[0], '[');
	free(out);
}

static void
test_cli_logs__table(void **state)
{
	char *out;

	assert_int_equal(run_cli(&out, *state, "logs --status failed"), 0);
	assert_non_null(strstr(out, "ORDER #"));
	assert_non_null(strstr(out, "SHIPMENT"));
	assert_non_null(strstr(out, "50.00 USD"));
	assert_non_null(strstr(out, "carrier 'UPS Ground' is not mapped"));
	assert_null(strstr(out, "1003"));
	/* the last column says what each entry is, then why */
	assert_non_null(strstr(out, "WHAT: REASON"));
	assert_non_null(strstr(out, "import order 1002: SKU 'TEE-RED-M'"));
	assert_non_null(strstr(out, "ship goods-out-note 77 of order 5001: "
				    "carrier"));
	free(out);
}

static void
test_cli_status__counts_and_worker(void **state)
{
	struct fixture *f = *state;
	ps_heartbeat hb;
	ps_store *st = NULL;
	json_t *doc, *counts;

	doc = run_json(f, "status --json");
	counts = json_object_get(doc, "counts");
	assert_int_equal(
		json_integer_value(json_object_get(
			json_object_get(counts, "order_import_bc"), "failed")),
		1);
	assert_int_equal(
		json_integer_value(json_object_get(
			json_object_get(counts, "order_import_bc"), "synced")),
		1);
	assert_int_equal(json_integer_value(json_object_get(
				 json_object_get(counts, "shipment_export_bc"),
				 "failed")),
			 1);
	assert_string_equal(json_string_value(json_object_get(
				    json_object_get(doc, "worker"), "state")),
			    "never_started");
	json_decref(doc);

	/* a fresh heartbeat: running; an old one: stopped */
	assert_int_equal(ps_store_open(&st, f->db.path, 0), 0);
	ps_heartbeat_init(&hb);
	hb.pid = 4242;
	hb.started_at = now_ms() - 60000;
	hb.beat_at = now_ms();
	hb.state = (char *)"running";
	assert_int_equal(ps_store_heartbeat_set(st, &hb), 0);
	doc = run_json(f, "status --json");
	assert_string_equal(json_string_value(json_object_get(
				    json_object_get(doc, "worker"), "state")),
			    "running");
	assert_int_equal(json_integer_value(json_object_get(
				 json_object_get(doc, "worker"), "pid")),
			 4242);
	json_decref(doc);

	hb.beat_at = now_ms() - 3600 * 1000;
	assert_int_equal(ps_store_heartbeat_set(st, &hb), 0);
	ps_store_close(st);
	doc = run_json(f, "status --json");
	assert_string_equal(json_string_value(json_object_get(
				    json_object_get(doc, "worker"), "state")),
			    "stopped");
	json_decref(doc);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			test_cli_logs__json_lists_newest_first_with_columns,
			setup, teardown),
		cmocka_unit_test_setup_teardown(test_cli_logs__filters, setup,
						teardown),
		cmocka_unit_test_setup_teardown(
			test_cli_logs__flow_alias_and_unknown, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cli_logs__kind_filter,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_cli_logs__table, setup,
						teardown),
		cmocka_unit_test_setup_teardown(
			test_cli_status__counts_and_worker, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
