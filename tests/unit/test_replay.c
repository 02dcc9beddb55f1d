/*
 * test_replay.c - the generic part of a replay (core/replay.c): the time
 * syntax of --since and --until, the refusal of a flow without a replay
 * slot and of an empty window, and what ps_replay_queue does with each
 * state of an existing entry (new, pending, in flight, failed, synced,
 * synced without a target), on a dry run and for real, against a
 * scratch store.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "pearlsync/replay.h"
#include "pearlsync/store.h"
#include "test_db.h"

#define NOW 1764770400000LL /* 2025-12-03T14:00:00Z */

static void
test_replay__time_forms(void **state)
{
	int64_t t;

	(void)state;
	assert_int_equal(ps_replay_time_parse(&t, "2025-12-03T14:00Z", 0), 0);
	assert_int_equal(t, NOW);
	assert_int_equal(ps_replay_time_parse(&t, "2025-12-03 14:00:00", 0), 0);
	assert_int_equal(t, NOW);
	assert_int_equal(ps_replay_time_parse(&t, "2025-12-03T15:00+01:00", 0),
			 0);
	assert_int_equal(t, NOW);
	assert_int_equal(ps_replay_time_parse(&t, "2025-12-03", 0), 0);
	assert_int_equal(t, NOW - 14 * 3600000LL);
	assert_int_equal(ps_replay_time_parse(&t, "90m", NOW), 0);
	assert_int_equal(t, NOW - 90 * 60000LL);
	assert_int_equal(ps_replay_time_parse(&t, "2h", NOW), 0);
	assert_int_equal(t, NOW - 2 * 3600000LL);
	assert_int_equal(ps_replay_time_parse(&t, "0s", NOW), 0);
	assert_int_equal(t, NOW);
}

static void
test_replay__time_refused(void **state)
{
	static const char *const bad[] = {"",
					  "2h ago",
					  "h",
					  "-2h",
					  "2025-13-03",
					  "2025-12-3",
					  "12:00",
					  "2025-12-03T25:00Z",
					  "2025-12-03T14:00X",
					  "99999999999d"};
	size_t i;
	int64_t t = 1;

	(void)state;
	assert_int_equal(ps_replay_time_parse(&t, NULL, NOW), PS_EINVAL);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(ps_replay_time_parse(&t, bad[i], NOW),
				 PS_EINVAL);
		assert_int_equal(t, 0);
	}
}

/* ---- a toy flow whose replay slot queues the keys it is given ---------- */

static const char *toy_keys[4];
static size_t toy_nkeys;
static unsigned toy_flags;

static int
toy_replay(ps_flow_env *env, struct ps_replay *r)
{
	ps_log_entry e;
	size_t i;
	int error = 0;

	(void)env;
	for (i = 0; i < toy_nkeys && error == 0; i++) {
		ps_log_entry_init(&e);
		e.flow = (char *)"toy";
		e.dedupe_key = (char *)toy_keys[i];
		e.kind = (char *)"thing.copy";
		e.subject = (char *)toy_keys[i];
		e.source_platform = 0;
		e.target_platform = 1;
		error = ps_replay_queue(r, "thing", toy_keys[i], &e, toy_flags);
	}
	return error;
}

static const ps_flow_ops toy_flow = {
	.name = "toy",
	.replay = toy_replay,
};

static const ps_flow_ops no_slot_flow = {
	.name = "no_slot",
};

typedef struct seen {
	ps_replay_outcome outcome[8];
	int64_t entry[8];
	size_t n;
} seen;

static int
on_item(const ps_replay_item *it, void *payload)
{
	seen *s = payload;

	if (s->n < 8) {
		s->outcome[s->n] = it->outcome;
		s->entry[s->n] = it->entry_id;
		s->n++;
	}
	return 0;
}

static int
run(size_t *totals, seen *s, ps_store *st, int dry_run)
{
	ps_replay_options o = PS_REPLAY_OPTIONS_INIT;
	ps_flow_env env;

	memset(&env, 0, sizeof(env));
	memset(s, 0, sizeof(*s));
	env.store = st;
	env.now = NOW;
	o.since_ms = NOW - 3600000;
	o.until_ms = NOW;
	o.dry_run = dry_run;
	o.cb = on_item;
	o.payload = s;
	return ps_replay_run(totals, &toy_flow, &env, &o);
}

static void
test_replay__refusals(void **state)
{
	ps_replay_options o = PS_REPLAY_OPTIONS_INIT;
	size_t totals[PS_REPLAY_OUTCOME_COUNT] = {7, 7, 7, 7};
	ps_flow_env env;

	(void)state;
	memset(&env, 0, sizeof(env));
	o.since_ms = NOW - 1000;
	o.until_ms = NOW;
	assert_int_equal(ps_replay_run(totals, &no_slot_flow, &env, &o),
			 PS_EINVAL);
	assert_non_null(strstr(ps_error_last(), "no_slot cannot be replayed"));
	/* the registry's flows that have the slot are named */
	assert_non_null(strstr(ps_error_last(), "(orders)"));
	assert_int_equal(totals[PS_REPLAY_QUEUED], 0);
	o.until_ms = o.since_ms;
	assert_int_equal(ps_replay_run(NULL, &toy_flow, &env, &o), PS_EINVAL);
	assert_int_equal(ps_replay_run(NULL, NULL, &env, &o), PS_EINVAL);
}

static void
test_replay__queue_states(void **state)
{
	size_t totals[PS_REPLAY_OUTCOME_COUNT];
	ps_log_entry e, *claimed = NULL;
	test_db db;
	seen s;
	size_t n = 0;

	(void)state;
	assert_int_equal(test_db_open(&db, "replay"), 0);
	toy_keys[0] = "toy:1";
	toy_keys[1] = "toy:2";
	toy_keys[2] = "toy:3";
	toy_nkeys = 3;
	toy_flags = 0;

	/* a dry run writes nothing */
	assert_int_equal(run(totals, &s, db.st, 1), 0);
	assert_int_equal(totals[PS_REPLAY_QUEUED], 3);
	assert_int_equal(s.entry[0], 0);
	assert_int_equal(ps_store_log_get_by_key(&e, db.st, "toy:1"),
			 PS_ENOTFOUND);

	/* new keys are queued, once */
	assert_int_equal(run(totals, &s, db.st, 0), 0);
	assert_int_equal(totals[PS_REPLAY_QUEUED], 3);
	assert_true(s.entry[0] > 0);
	assert_int_equal(run(totals, &s, db.st, 0), 0);
	assert_int_equal(totals[PS_REPLAY_QUEUED], 0);
	assert_int_equal(totals[PS_REPLAY_WAITING], 3);

	/* one in flight, one synced, one failed */
	assert_int_equal(
		ps_store_log_claim_due(&claimed, &n, db.st, "toy", 3, NOW + 1),
		0);
	assert_int_equal(n, 3);
	assert_int_equal(ps_store_log_mark_synced(db.st, claimed[1].id, "T-2",
						  NULL, NOW + 2),
			 0);
	assert_int_equal(ps_store_log_mark_failed(db.st, claimed[2].id,
						  "refused", PS_EDATA, 0,
						  NOW + 2),
			 0);
	assert_int_equal(run(totals, &s, db.st, 1), 0); /* dry: no change */
	assert_int_equal(totals[PS_REPLAY_WAITING], 1);
	assert_int_equal(totals[PS_REPLAY_SYNCED], 1);
	assert_int_equal(totals[PS_REPLAY_QUEUED], 1);
	assert_int_equal(ps_store_log_get_by_key(&e, db.st, "toy:3"), 0);
	assert_int_equal(e.status, PS_ENTRY_FAILED);
	ps_log_entry_dispose(&e);
	assert_int_equal(run(totals, &s, db.st, 0), 0);
	assert_int_equal(totals[PS_REPLAY_WAITING], 1);
	assert_int_equal(totals[PS_REPLAY_SYNCED], 1);
	assert_int_equal(totals[PS_REPLAY_QUEUED], 1);
	assert_int_equal(ps_store_log_get_by_key(&e, db.st, "toy:3"), 0);
	assert_int_equal(e.status, PS_ENTRY_PENDING);
	assert_int_equal(e.attempts, 0);
	ps_log_entry_dispose(&e);
	assert_int_equal(ps_store_log_get_by_key(&e, db.st, "toy:1"), 0);
	assert_int_equal(e.status, PS_ENTRY_IN_FLIGHT); /* left alone */
	ps_log_entry_dispose(&e);

	/* synced without a target: handled, unless the flow re-opens it */
	assert_int_equal(ps_store_log_mark_synced(db.st, claimed[0].id, NULL,
						  "skipped: filtered", NOW + 3),
			 0);
	toy_nkeys = 1;
	assert_int_equal(run(totals, &s, db.st, 0), 0);
	assert_int_equal(totals[PS_REPLAY_SYNCED], 1);
	toy_flags = PS_REPLAY_REOPEN_SKIPPED;
	assert_int_equal(run(totals, &s, db.st, 0), 0);
	assert_int_equal(totals[PS_REPLAY_QUEUED], 1);
	assert_int_equal(ps_store_log_get_by_key(&e, db.st, "toy:1"), 0);
	assert_int_equal(e.status, PS_ENTRY_PENDING);
	ps_log_entry_dispose(&e);

	ps_log_entries_free(claimed, n);
	test_db_close(&db);
}

/* An entry of the flow that failed in the window and that no object of
 * the slot found is queued again from the local log; one that failed
 * before the window is not. */
static void
test_replay__failed_in_window(void **state)
{
	size_t totals[PS_REPLAY_OUTCOME_COUNT];
	ps_log_entry e, *claimed = NULL;
	int64_t id_old = 0, id_new = 0;
	test_db db;
	seen s;
	size_t n = 0, i;

	(void)state;
	assert_int_equal(test_db_open(&db, "replay-failed"), 0);
	ps_log_entry_init(&e);
	e.flow = (char *)"toy";
	e.kind = (char *)"thing.edit";
	e.source_platform = 0;
	e.target_platform = 1;
	e.dedupe_key = (char *)"toy:edit:old";
	e.subject = (char *)"7";
	assert_int_equal(ps_store_log_add(&id_old, db.st, &e, NOW - 7200000),
			 0);
	e.dedupe_key = (char *)"toy:edit:new";
	e.subject = (char *)"8";
	assert_int_equal(ps_store_log_add(&id_new, db.st, &e, NOW - 1800000),
			 0);
	assert_int_equal(
		ps_store_log_claim_due(&claimed, &n, db.st, "toy", 2, NOW), 0);
	assert_int_equal(n, 2);
	for (i = 0; i < n; i++)
		assert_int_equal(
			ps_store_log_mark_failed(
				db.st, claimed[i].id, "down", PS_EREMOTE, 0,
				claimed[i].id == id_old ? NOW - 7000000
							: NOW - 1700000),
			0);
	ps_log_entries_free(claimed, n);
	toy_nkeys = 0;
	assert_int_equal(run(totals, &s, db.st, 1), 0);
	assert_int_equal(totals[PS_REPLAY_QUEUED], 1);
	assert_int_equal(s.entry[0], id_new);
	assert_int_equal(ps_store_log_get(&e, db.st, id_new), 0);
	assert_int_equal(e.status, PS_ENTRY_FAILED); /* dry run */
	ps_log_entry_dispose(&e);
	assert_int_equal(run(totals, &s, db.st, 0), 0);
	assert_int_equal(totals[PS_REPLAY_QUEUED], 1);
	assert_int_equal(ps_store_log_get(&e, db.st, id_new), 0);
	assert_int_equal(e.status, PS_ENTRY_PENDING);
	ps_log_entry_dispose(&e);
	assert_int_equal(ps_store_log_get(&e, db.st, id_old), 0);
	assert_int_equal(e.status, PS_ENTRY_FAILED);
	ps_log_entry_dispose(&e);
	test_db_close(&db);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_replay__time_forms),
		cmocka_unit_test(test_replay__time_refused),
		cmocka_unit_test(test_replay__refusals),
		cmocka_unit_test(test_replay__queue_states),
		cmocka_unit_test(test_replay__failed_in_window),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
