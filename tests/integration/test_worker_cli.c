/*
 * test_worker_cli.c - the real pearlsync binary on a database prepared
 * through the store: `retry ID` and `retry --failed [--flow F]` make
 * failed entries due again (and refuse synced ones), and `worker --once`
 * recovers an entry a killed worker left in flight.
 */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
/* clang-format on */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pearlsync/store.h"
#include "test_db.h"

#define T0 1700000000000LL

struct fixture {
	test_db db;
	char conf[160];
	ps_store *st; /* db.st */
	char out[4096];
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	FILE *fp;

	if (f == NULL)
		return -1;
	if (test_db_open(&f->db, "wcli") < 0)
		return -1;
	f->st = f->db.st;
	test_db_file(f->conf, sizeof(f->conf), &f->db, "p.conf");
	if ((fp = fopen(f->conf, "w")) == NULL)
		return -1;
	fprintf(fp, "database = \"%s\";\nlog_level = \"warn\";\n", f->db.path);
	fclose(fp);
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

/* Run pearlsync with args; stdout in f->out; returns the exit status. */
static int
run(struct fixture *f, const char *args)
{
	const char *bin = getenv("PS_BIN_DIR");
	char cmd[1024];
	size_t n;
	FILE *p;
	int st;

	snprintf(cmd, sizeof(cmd), "'%s/pearlsync' --config '%s' %s 2>&1",
		 bin ? bin : ".", f->conf, args);
	p = popen(cmd, "r");
	assert_non_null(p);
	n = fread(f->out, 1, sizeof(f->out) - 1, p);
	f->out[n] = '\0';
	st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

static int64_t
add(struct fixture *f, const char *flow, const char *key)
{
	ps_log_entry e;
	int64_t id = 0;

	ps_log_entry_init(&e);
	e.flow = (char *)flow;
	e.dedupe_key = (char *)key;
	e.source_platform = PS_PLATFORM_BIGCOMMERCE;
	e.target_platform = PS_PLATFORM_BRIGHTPEARL;
	assert_int_equal(ps_store_log_add(&id, f->st, &e, T0), 0);
	return id;
}

static void
fail_entry(struct fixture *f, int64_t id)
{
	ps_log_entry *v = NULL;
	size_t n = 0;

	/* claim everything due, then fail this one for the operator */
	assert_int_equal(ps_store_log_claim_due(&v, &n, f->st, NULL, 100, T0),
			 0);
	ps_log_entries_free(v, n);
	assert_int_equal(ps_store_log_mark_failed(f->st, id, "SKU unknown",
						  PS_EDATA, 0, T0),
			 0);
}

static ps_entry_status
status_of(struct fixture *f, int64_t id, int64_t *next)
{
	ps_log_entry e;
	ps_entry_status s;

	assert_int_equal(ps_store_log_get(&e, f->st, id), 0);
	s = e.status;
	if (next != NULL)
		*next = e.next_attempt_at;
	ps_log_entry_dispose(&e);
	return s;
}

static void
test_retry_one(void **state)
{
	struct fixture *f = *state;
	char args[64];
	int64_t a, b, next = 0;

	a = add(f, "order_import_bc", "a");
	b = add(f, "order_import_bc", "b");
	fail_entry(f, a);
	assert_int_equal(ps_store_log_mark_synced(f->st, b, "9", NULL, T0), 0);
	snprintf(args, sizeof(args), "retry %lld", (long long)a);
	assert_int_equal(run(f, args), 0);
	assert_non_null(strstr(f->out, "will be retried"));
	assert_int_equal(status_of(f, a, &next), PS_ENTRY_PENDING);
	assert_true(next > T0);
	/* a synced entry is not retried */
	snprintf(args, sizeof(args), "retry %lld", (long long)b);
	assert_int_equal(run(f, args), 1);
	assert_int_equal(status_of(f, b, NULL), PS_ENTRY_SYNCED);
	assert_int_equal(run(f, "retry 4242"), 1);
}

static void
test_retry_failed_by_flow(void **state)
{
	struct fixture *f = *state;
	int64_t a, b, c;

	a = add(f, "order_import_bc", "a");
	b = add(f, "order_import_bc", "b");
	c = add(f, "shipment_export_bc", "c");
	fail_entry(f, a);
	assert_int_equal(
		ps_store_log_mark_failed(f->st, b, "x", PS_EDATA, 0, T0), 0);
	assert_int_equal(
		ps_store_log_mark_failed(f->st, c, "x", PS_EDATA, 0, T0), 0);
	assert_int_equal(run(f, "retry --failed --flow order_import_bc"), 0);
	assert_non_null(strstr(f->out, "2 failed entries will be retried"));
	assert_int_equal(status_of(f, a, NULL), PS_ENTRY_PENDING);
	assert_int_equal(status_of(f, b, NULL), PS_ENTRY_PENDING);
	assert_int_equal(status_of(f, c, NULL), PS_ENTRY_FAILED);
	assert_int_equal(run(f, "retry --failed"), 0);
	assert_non_null(strstr(f->out, "1 failed entry will be retried"));
	assert_int_equal(status_of(f, c, NULL), PS_ENTRY_PENDING);
}

static void
test_once_recovers_in_flight(void **state)
{
	struct fixture *f = *state;
	ps_log_entry *v = NULL, e;
	size_t n = 0;
	int64_t a;

	a = add(f, "order_import_bc", "a");
	assert_int_equal(ps_store_log_claim_due(&v, &n, f->st, NULL, 10, T0),
			 0);
	ps_log_entries_free(v, n);
	assert_int_equal(status_of(f, a, NULL), PS_ENTRY_IN_FLIGHT);
	assert_int_equal(run(f, "worker --once"), 0);
	assert_int_equal(ps_store_log_get(&e, f->st, a), 0);
	assert_int_equal(e.status, PS_ENTRY_PENDING);
	assert_non_null(e.reason);
	assert_non_null(strstr(e.reason, "interrupted"));
	ps_log_entry_dispose(&e);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_retry_one, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_retry_failed_by_flow,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_once_recovers_in_flight,
						setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
