/*
 * test_reconcile.c - the generic half of the reconciliation report: the
 * times an operator gives, the report's counts and its JSON, and that
 * every flow group's reconciler is well formed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "internal.h"
#include "pearlsync/reconcile.h"
#include "pearlsync/setup.h"

/* 2026-12-03T12:00:00Z */
#define NOW 1796299200LL

static void
test_reconcile__parses_the_times_operators_give(void **state)
{
	int64_t t;

	(void)state;
	assert_int_equal(ps_reconcile_parse_time(&t, "2026-12-03", NOW), 0);
	assert_int_equal(t, NOW - 12 * 3600);
	assert_int_equal(ps_reconcile_parse_time(&t, "2026-12-03T14:30", NOW),
			 0);
	assert_int_equal(t, NOW + 2 * 3600 + 1800);
	assert_int_equal(
		ps_reconcile_parse_time(&t, "2026-12-03T14:30:05Z", NOW), 0);
	assert_int_equal(t, NOW + 2 * 3600 + 1805);
	assert_int_equal(ps_reconcile_parse_time(&t, "2000-02-29", NOW), 0);
	assert_int_equal(t, 951782400);
	assert_int_equal(ps_reconcile_parse_time(&t, "now", NOW), 0);
	assert_int_equal(t, NOW);
	assert_int_equal(ps_reconcile_parse_time(&t, "90m", NOW), 0);
	assert_int_equal(t, NOW - 5400);
	assert_int_equal(ps_reconcile_parse_time(&t, "6h", NOW), 0);
	assert_int_equal(t, NOW - 6 * 3600);
	assert_int_equal(ps_reconcile_parse_time(&t, "7d", NOW), 0);
	assert_int_equal(t, NOW - 7 * 86400);
}

static void
test_reconcile__refuses_what_is_not_a_time(void **state)
{
	static const char *const bad[] = {
		"",
		"yesterday",
		"7",
		"7w",
		"-1d",
		"2026-13-01",
		"2026-12-32",
		"2026-12-3",
		"2026-12-03T25:00",
		"2026-12-03T12",
		"2026-12-03x",
		"1d2",
	};
	int64_t t;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(ps_reconcile_parse_time(&t, bad[i], NOW),
				 PS_EINVAL);
		assert_non_null(strstr(ps_error_last(), "is not a time"));
	}
}

static void
add(ps_recon_report *r, ps_recon_kind kind, const char *why, int queueable)
{
	ps_recon_item it;

	memset(&it, 0, sizeof(it));
	it.kind = kind;
	snprintf(it.group, sizeof(it.group), "bigcommerce");
	snprintf(it.why, sizeof(it.why), "%s", why);
	snprintf(it.source_id, sizeof(it.source_id), "%zu", r->n + 100);
	snprintf(it.text, sizeof(it.text), "item \"%zu\"", r->n);
	it.queueable = queueable;
	assert_int_equal(ps_recon_add(r, &it), 0);
}

static void
test_reconcile__counts_and_json(void **state)
{
	ps_recon_report r;
	json_t *doc, *diffs;
	char *text;
	size_t i;

	(void)state;
	memset(&r, 0, sizeof(r));
	r.since = NOW - 86400;
	r.until = NOW;
	r.orders = 40;
	for (i = 0; i < 20; i++) /* past the first allocation */
		add(&r, PS_RECON_MISSING, PS_RECON_WHY_NEVER_SEEN, 1);
	add(&r, PS_RECON_MISSING, PS_RECON_WHY_FILTERED, 0);
	add(&r, PS_RECON_TOTAL, "", 0);
	add(&r, PS_RECON_STOCK, "", 0);
	for (i = 0; i < PS_RECON_NOTES_MAX + 3; i++)
		ps_recon_note(&r, "note %zu", i);
	assert_int_equal(r.nnotes, PS_RECON_NOTES_MAX);
	assert_int_equal(ps_recon_count(&r, PS_RECON_MISSING), 21);
	assert_int_equal(ps_recon_count(&r, PS_RECON_ORPHAN), 0);
	assert_int_equal(ps_recon_queueable(&r), 20);
	r.requests[PS_PLATFORM_BRIGHTPEARL] = 12;

	assert_non_null(text = ps_reconcile_json(&r, 3));
	assert_non_null(doc = json_loads(text, 0, NULL));
	assert_int_equal(json_integer_value(json_object_get(doc, "orders")),
			 40);
	assert_int_equal(json_integer_value(json_object_get(doc, "queued")), 3);
	assert_int_equal(json_integer_value(json_object_get(
				 json_object_get(doc, "counts"), "missing")),
			 21);
	assert_int_equal(
		json_integer_value(json_object_get(
			json_object_get(doc, "requests"), "brightpearl")),
		12);
	assert_null(json_object_get(json_object_get(doc, "requests"),
				    "bigcommerce"));
	diffs = json_object_get(doc, "differences");
	assert_int_equal(json_array_size(diffs), 23);
	assert_string_equal(json_string_value(json_object_get(
				    json_array_get(diffs, 21), "kind")),
			    "total");
	assert_string_equal(json_string_value(json_object_get(
				    json_array_get(diffs, 0), "text")),
			    "item \"0\"");
	assert_true(json_is_true(
		json_object_get(json_array_get(diffs, 0), "queueable")));
	json_decref(doc);
	free(text);

	/* without --queue there is no "queued" */
	assert_non_null(text = ps_reconcile_json(&r, -1));
	assert_null(strstr(text, "\"queued\""));
	free(text);
	ps_recon_report_dispose(&r);
	assert_null(r.items);
	assert_int_equal(r.n, 0);
}

static void
test_reconcile__groups_reconcilers_are_well_formed(void **state)
{
	const ps_flow_group *const *g;
	size_t n = 0;

	(void)state;
	for (g = ps_flow_groups_all(); *g != NULL; g++) {
		const ps_reconciler *rc = (*g)->reconciler;

		if (rc == NULL)
			continue;
		n++;
		/* the queue finds a reconciler by its group's name */
		assert_string_equal(rc->name, (*g)->name);
		assert_non_null(rc->title);
		assert_non_null(rc->run);
		assert_true(rc->source != rc->target);
	}
	assert_true(n >= 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
			test_reconcile__parses_the_times_operators_give),
		cmocka_unit_test(test_reconcile__refuses_what_is_not_a_time),
		cmocka_unit_test(test_reconcile__counts_and_json),
		cmocka_unit_test(
			test_reconcile__groups_reconcilers_are_well_formed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
