/*
 * test_audit.c - the audit trail in the store: a timeline gathered from
 * one order id through the cross-references, the platform a bare id
 * means, events about the order's objects (and not others'), operator
 * retries, the settings version of an entry's last attempt, attempts
 * that never ended, and pruning at its boundary.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "pearlsync/audit.h"
#include "pearlsync/store.h"
#include "test_db.h"

#define BP PS_PLATFORM_BRIGHTPEARL
#define BC PS_PLATFORM_BIGCOMMERCE

static int
setup(void **state)
{
	test_db *db = calloc(1, sizeof(*db));

	assert_non_null(db);
	assert_int_equal(test_db_open(db, "audit"), 0);
	*state = db;
	return 0;
}

static int
teardown(void **state)
{
	test_db_close(*state);
	free(*state);
	return 0;
}

/* An entry of kind about subject (of order, or NULL) on source. */
static int64_t
entry(ps_store *st, const char *key, const char *kind, ps_platform source,
      const char *subject, const char *order, int64_t now)
{
	ps_log_entry e;
	int64_t id = 0;

	ps_log_entry_init(&e);
	e.flow = (char *)(uintptr_t) "flow_x";
	e.dedupe_key = (char *)(uintptr_t)key;
	e.kind = (char *)(uintptr_t)kind;
	e.subject = (char *)(uintptr_t)subject;
	e.subject_order = (char *)(uintptr_t)(order ? order : "");
	e.source_platform = source;
	e.source_id = (char *)(uintptr_t)subject;
	e.target_platform = source == BP ? BC : BP;
	assert_int_equal(ps_store_log_add(&id, st, &e, now), 0);
	return id;
}

/* One attempt at entry id, from start to end under version. */
static int64_t
attempt(ps_store *st, int64_t id, int64_t version, const char *outcome,
	int64_t start, int64_t end)
{
	ps_log_entry e;
	int64_t aid = 0;

	assert_int_equal(ps_store_log_get(&e, st, id), 0);
	assert_int_equal(
		ps_store_audit_attempt_begin(&aid, st, &e, version, 0, start),
		0);
	ps_log_entry_dispose(&e);
	assert_true(aid > 0);
	if (end > 0)
		assert_int_equal(ps_store_audit_attempt_end(st, aid, outcome,
							    NULL, NULL, end),
				 0);
	return aid;
}

static void
event(ps_store *st, ps_platform p, const char *topic, const char *object,
      int64_t oid, int64_t at)
{
	ps_event ev;
	int64_t ids[1];

	ps_event_init(&ev);
	ids[0] = oid;
	ev.platform = p;
	ev.topic = (char *)(uintptr_t)topic;
	ev.object = (char *)(uintptr_t)object;
	ev.ids = ids;
	ev.nids = 1;
	ev.received_at = at;
	assert_int_equal(ps_store_audit_event_add(st, &ev), 0);
}

static size_t
count(const ps_audit_row *v, size_t n, ps_audit_kind k, int64_t entry_id)
{
	size_t i, c = 0;

	for (i = 0; i < n; i++)
		if (v[i].kind == k &&
		    (entry_id == 0 || v[i].entry_id == entry_id))
			c++;
	return c;
}

/* The order's story on both platforms, and one unrelated order. */
typedef struct story {
	int64_t imp, status, gon, other;
} story;

static story
plant(ps_store *st)
{
	story s;
	ps_audit_request r;
	int64_t a;

	s.imp = entry(st, "k1", "order.import", BC, "100", NULL, 1000);
	s.other = entry(st, "k2", "order.import", BC, "101", NULL, 1100);
	s.status = entry(st, "k3", "order.status", BP, "7", NULL, 5000);
	s.gon = entry(st, "k4", "goods-out-note.ship", BP, "501", "7", 6000);
	assert_int_equal(
		ps_store_xref_set(st, "order", BC, "100", BP, "7", 2000), 0);
	event(st, BC, "store/order/created", "order", 100, 900);
	event(st, BC, "store/order/created", "order", 101, 950);
	event(st, BP, "goods-out-note.modified.shipped", "goods-out-note", 501,
	      5900);
	a = attempt(st, s.imp, 3, "failed: will retry", 1200, 1300);
	memset(&r, 0, sizeof(r));
	r.platform = BP;
	r.method = "POST";
	r.path = "/order-service/sales-order";
	r.status = 500;
	r.at = 1250;
	r.duration_ms = 40;
	r.bytes = 120;
	assert_int_equal(ps_store_audit_request_add(st, a, s.imp, &r), 0);
	attempt(st, s.imp, 4, "synced", 1800, 1900);
	attempt(st, s.other, 4, "synced", 1850, 1950);
	attempt(st, s.status, 5, "synced", 5100, 5200);
	attempt(st, s.gon, 5, "synced", 6100, 6200);
	return s;
}

static void
test_audit__timeline_widens_through_the_xrefs(void **state)
{
	test_db *db = *state;
	ps_audit_row *v = NULL, *w = NULL;
	size_t n = 0, m = 0, i;
	story s = plant(db->st);

	assert_int_equal(ps_store_audit_timeline(&v, &n, db->st, BC, "100"), 0);
	/* three entries: recorded + outcome each; five attempts of them */
	assert_int_equal(count(v, n, PS_AUDIT_RECORDED, 0), 3);
	assert_int_equal(count(v, n, PS_AUDIT_OUTCOME, 0), 3);
	assert_int_equal(count(v, n, PS_AUDIT_ATTEMPT, s.imp), 2);
	assert_int_equal(count(v, n, PS_AUDIT_ATTEMPT, s.status), 1);
	assert_int_equal(count(v, n, PS_AUDIT_ATTEMPT, s.gon), 1);
	assert_int_equal(count(v, n, PS_AUDIT_ATTEMPT, s.other), 0);
	assert_int_equal(count(v, n, PS_AUDIT_REQUEST, s.imp), 1);
	/* the order's event and its goods-out note's, not order 101's */
	assert_int_equal(count(v, n, PS_AUDIT_EVENT, 0), 2);
	for (i = 0; i < n; i++)
		assert_true(v[i].kind != PS_AUDIT_EVENT ||
			    strcmp(v[i].ref, "order 101") != 0);
	/* oldest first */
	for (i = 1; i < n; i++)
		assert_true(v[i - 1].at <= v[i].at);
	assert_int_equal(v[0].kind, PS_AUDIT_EVENT);
	/* the same story from Brightpearl's id */
	assert_int_equal(ps_store_audit_timeline(&w, &m, db->st, BP, "7"), 0);
	assert_int_equal(m, n);
	for (i = 0; i < n; i++) {
		assert_int_equal(w[i].kind, v[i].kind);
		assert_int_equal(w[i].at, v[i].at);
	}
	ps_audit_rows_free(v, n);
	ps_audit_rows_free(w, m);
}

static void
test_audit__bare_id_is_the_import_source(void **state)
{
	test_db *db = *state;
	ps_audit_row *v = NULL;
	size_t n = 0, i;
	int64_t imp, bp;

	/* Brightpearl (platform 0, looked at first) has an order 100 too */
	bp = entry(db->st, "b1", "order.status", BP, "100", NULL, 1000);
	imp = entry(db->st, "c1", "order.import", BC, "100", NULL, 1000);
	assert_int_equal(ps_store_audit_timeline(&v, &n, db->st, -1, "100"), 0);
	assert_int_equal(count(v, n, PS_AUDIT_RECORDED, imp), 1);
	assert_int_equal(count(v, n, PS_AUDIT_RECORDED, bp), 0);
	ps_audit_rows_free(v, n);
	/* named, Brightpearl's is found */
	assert_int_equal(ps_store_audit_timeline(&v, &n, db->st, BP, "100"), 0);
	assert_int_equal(count(v, n, PS_AUDIT_RECORDED, bp), 1);
	for (i = 0; i < n; i++)
		assert_int_not_equal(v[i].entry_id, imp);
	ps_audit_rows_free(v, n);
	assert_int_equal(ps_store_audit_timeline(&v, &n, db->st, -1, "999"),
			 PS_ENOTFOUND);
	assert_null(v);
	assert_int_equal(ps_store_audit_timeline(&v, &n, db->st, -1, ""),
			 PS_EINVAL);
}

static void
test_audit__an_order_number_names_its_order(void **state)
{
	test_db *db = *state;
	ps_audit_row *v = NULL;
	ps_log_entry e;
	size_t n = 0;
	int64_t id = 0;

	/* a drop-ship PO: the platform's id is not what the operator has */
	ps_log_entry_init(&e);
	e.flow = (char *)(uintptr_t) "po_import";
	e.dedupe_key = (char *)(uintptr_t) "po:9001";
	e.kind = (char *)(uintptr_t) "order.import";
	e.subject = (char *)(uintptr_t) "9001";
	e.source_platform = PS_PLATFORM_DSCO;
	e.target_platform = BP;
	e.order_number = (char *)(uintptr_t) "PO-77";
	assert_int_equal(ps_store_log_add(&id, db->st, &e, 10), 0);
	assert_int_equal(ps_store_audit_timeline(&v, &n, db->st, -1, "PO-77"),
			 0);
	assert_int_equal(count(v, n, PS_AUDIT_RECORDED, id), 1);
	ps_audit_rows_free(v, n);
	assert_int_equal(ps_store_audit_timeline(&v, &n, db->st,
						 PS_PLATFORM_DSCO, "PO-77"),
			 0);
	assert_int_equal(count(v, n, PS_AUDIT_RECORDED, id), 1);
	ps_audit_rows_free(v, n);
	/* on another platform it names nothing */
	assert_int_equal(ps_store_audit_timeline(&v, &n, db->st, BC, "PO-77"),
			 PS_ENOTFOUND);
}

static void
test_audit__a_batch_shares_its_requests(void **state)
{
	test_db *db = *state;
	ps_audit_row *v = NULL;
	ps_audit_request r;
	ps_log_entry e;
	int64_t a = 0, b = 0, x, y;
	size_t n = 0, i, seen;

	/* two orders' entries performed in one batch, one request */
	x = entry(db->st, "b1", "order.import", BC, "600", NULL, 10);
	y = entry(db->st, "b2", "order.import", BC, "601", NULL, 10);
	assert_int_equal(ps_store_log_get(&e, db->st, x), 0);
	assert_int_equal(ps_store_audit_attempt_begin(&a, db->st, &e, 2, 0, 20),
			 0);
	ps_log_entry_dispose(&e);
	assert_int_equal(ps_store_log_get(&e, db->st, y), 0);
	assert_int_equal(ps_store_audit_attempt_begin(&b, db->st, &e, 2, a, 20),
			 0);
	ps_log_entry_dispose(&e);
	memset(&r, 0, sizeof(r));
	r.platform = BP;
	r.method = "POST";
	r.path = "/multi-message";
	r.status = 207;
	r.at = 25;
	assert_int_equal(ps_store_audit_request_add(db->st, a, x, &r), 0);
	/* each order's timeline shows the batch's request once */
	for (i = 0; i < 2; i++) {
		size_t k;

		assert_int_equal(ps_store_audit_timeline(&v, &n, db->st, BC,
							 i ? "601" : "600"),
				 0);
		for (k = 0, seen = 0; k < n; k++)
			if (v[k].kind == PS_AUDIT_REQUEST && v[k].status == 207)
				seen++;
		assert_int_equal(seen, 1);
		ps_audit_rows_free(v, n);
	}
}

static void
test_audit__operator_retries_are_steps(void **state)
{
	test_db *db = *state;
	ps_audit_row *v = NULL;
	size_t n = 0, k;
	int64_t id = entry(db->st, "r1", "order.import", BC, "300", NULL, 10);

	assert_int_equal(ps_store_log_mark_failed(db->st, id, "bad SKU",
						  PS_EDATA, 0, 20),
			 0);
	assert_int_equal(ps_store_log_retry(db->st, id, 30), 0);
	assert_int_equal(ps_store_log_mark_failed(db->st, id, "bad SKU",
						  PS_EDATA, 0, 40),
			 0);
	assert_int_equal(ps_store_log_retry_failed(&k, db->st, NULL, 50), 0);
	assert_int_equal(k, 1);
	assert_int_equal(ps_store_audit_timeline(&v, &n, db->st, BC, "300"), 0);
	assert_int_equal(count(v, n, PS_AUDIT_OPERATOR, id), 2);
	ps_audit_rows_free(v, n);
}

static void
test_audit__entry_version_and_unended_attempts(void **state)
{
	test_db *db = *state;
	ps_audit_row *v = NULL;
	char line[512];
	int64_t version = 0;
	size_t n = 0, i;
	int64_t id = entry(db->st, "v1", "order.import", BC, "400", NULL, 10);

	assert_int_equal(ps_store_audit_entry_version(&version, db->st, id),
			 PS_ENOTFOUND);
	assert_int_equal(version, -1);
	attempt(db->st, id, 3, "failed: will retry", 20, 30);
	attempt(db->st, id, 5, NULL, 40, 0); /* the worker was killed */
	assert_int_equal(ps_store_audit_entry_version(&version, db->st, id), 0);
	assert_int_equal(version, 5);
	assert_int_equal(ps_store_audit_timeline_of_entry(&v, &n, db->st, id),
			 0);
	for (i = 0; i < n && v[i].kind != PS_AUDIT_ATTEMPT; i++)
		;
	assert_true(i + 1 < n);
	ps_audit_row_describe(line, sizeof(line), &v[i]);
	assert_non_null(strstr(line, "settings v3"));
	assert_non_null(strstr(line, "failed: will retry"));
	ps_audit_row_describe(line, sizeof(line), &v[i + 1]);
	assert_non_null(strstr(line, "never ended"));
	assert_non_null(strstr(line, "settings v5"));
	ps_audit_rows_free(v, n);
}

static void
test_audit__prune_keeps_the_young(void **state)
{
	test_db *db = *state;
	ps_audit_row *v = NULL;
	size_t n = 0, pruned = 99;
	int64_t id = entry(db->st, "p1", "order.import", BC, "500", NULL, 10);

	attempt(db->st, id, 1, "failed: will retry", 1000, 1001);
	attempt(db->st, id, 1, "failed: will retry", 2000, 2001);
	attempt(db->st, id, 1, "synced", 3000, 3001);
	assert_int_equal(ps_store_audit_prune(&pruned, db->st, 2000), 0);
	assert_int_equal(pruned, 1);
	assert_int_equal(ps_store_audit_timeline(&v, &n, db->st, BC, "500"), 0);
	assert_int_equal(count(v, n, PS_AUDIT_ATTEMPT, id), 2);
	ps_audit_rows_free(v, n);
	/* nothing older left: nothing pruned */
	assert_int_equal(ps_store_audit_prune(&pruned, db->st, 2000), 0);
	assert_int_equal(pruned, 0);
	/* the log entry itself is not pruned */
	assert_int_equal(ps_store_audit_prune(&pruned, db->st, 1000000), 0);
	assert_int_equal(pruned, 2);
	assert_int_equal(ps_store_audit_timeline(&v, &n, db->st, BC, "500"), 0);
	assert_int_equal(count(v, n, PS_AUDIT_ATTEMPT, 0), 0);
	assert_int_equal(count(v, n, PS_AUDIT_RECORDED, id), 1);
	ps_audit_rows_free(v, n);
}

int
main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_audit__timeline_widens_through_the_xrefs),
		T(test_audit__bare_id_is_the_import_source),
		T(test_audit__an_order_number_names_its_order),
		T(test_audit__a_batch_shares_its_requests),
		T(test_audit__operator_retries_are_steps),
		T(test_audit__entry_version_and_unended_attempts),
		T(test_audit__prune_keeps_the_young),
	};
#undef T
	return cmocka_run_group_tests(tests, NULL, NULL);
}
