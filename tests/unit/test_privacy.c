/*
 * test_privacy.c - the redaction (pearlsync/privacy.h) on a scratch store:
 * what a customer's forgetting changes and what it keeps (whole words
 * only, other customers, the non-personal columns), JSON objects holding
 * the address, the dry run, and the retention's age limit.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "pearlsync/privacy.h"
#include "pearlsync/store.h"
#include "store/store_int.h"
#include "test_db.h"

#define DAY 86400000LL
#define NOW (20000LL * DAY)

static int
setup(void **state)
{
	test_db *db = calloc(1, sizeof(*db));

	if (db == NULL || test_db_open(db, "privacy") < 0) {
		free(db);
		return -1;
	}
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

static ps_store *
st_of(void **state)
{
	return ((test_db *)*state)->st;
}

static void sql(ps_store *st, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void
sql(ps_store *st, const char *fmt, ...)
{
	char buf[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	assert_int_equal(ps_store__exec_sql(st, buf), 0);
}

/* One text value of the first row of query (caller frees). */
static char *
value(ps_store *st, const char *query)
{
	sqlite3_stmt *s = NULL;
	char *out = NULL;

	assert_int_equal(sqlite3_prepare_v2(st->db, query, -1, &s, NULL),
			 SQLITE_OK);
	if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_text(s, 0))
		out = strdup((const char *)sqlite3_column_text(s, 0));
	sqlite3_finalize(s);
	return out;
}

static void
assert_value(ps_store *st, const char *query, const char *want)
{
	char *got = value(st, query);

	assert_non_null(got);
	assert_string_equal(got, want);
	free(got);
}

/* A log entry id with reason and detail, written at `at`. */
static void
entry(ps_store *st, int id, const char *reason, const char *detail, int64_t at)
{
	sql(st,
	    "INSERT INTO log_entries(id, flow, dedupe_key, status,"
	    " order_number, total, currency, inserted_at, updated_at,"
	    " reason, source_platform, source_id, target_platform,"
	    " target_id, detail, kind, subject)"
	    " VALUES (%d, 'order_import_bc', 'k%d', 3, '%d', 1990, 'USD',"
	    " %lld, %lld, '%s', 2, '%d', 1, 'SO-%d', '%s', 'order.import',"
	    " '%d')",
	    id, id, 1000 + id, (long long)at, (long long)at, reason, 1000 + id,
	    id, detail, 1000 + id);
}

static void
people(ps_store *st)
{
	sql(st, "INSERT INTO bp_contacts VALUES"
		" ('acme', 'ada@example.com', 201, 'Ada', 'Lovelace',"
		"  '+44 20 7946 0018'),"
		" ('acme', 'alan@example.com', 202, 'Alan', 'Turing', NULL)");
	entry(st, 1, "customer ADA@example.com: refused",
	      "contact Ada Lovelace (+44 20 7946 0018) for Adams order from "
	      "CANADA, SKU ADA-1",
	      NOW);
	entry(st, 2, "customer alan@example.com: refused",
	      "contact Alan Turing", NOW);
	sql(st,
	    "INSERT INTO events(id, platform, topic, payload,"
	    " received_at) VALUES (1, 2, 'order', '{\"id\":7,"
	    "\"billing\":{\"email\":\"Ada@Example.com\","
	    "\"first_name\":\"Ada\",\"last_name\":\"Lovelace\","
	    "\"street_1\":\"12 Engine Street\",\"country_iso2\":\"GB\"},"
	    "\"shipping\":{\"email\":\"alan@example.com\","
	    "\"first_name\":\"Alan\"},\"sku\":\"ADA-1\"}', %lld)",
	    (long long)NOW);
	sql(st,
	    "INSERT INTO cache VALUES ('bc.note', '\"Deliver to 12 "
	    "Engine Street\"', %lld)",
	    (long long)NOW);
}

static void
test_privacy__forget(void **state)
{
	ps_store *st = st_of(state);
	ps_privacy_stats s;

	people(st);
	entry(st, 4, "none", "contact Ada Byron", NOW); /* another Ada */
	assert_int_equal(ps_privacy_forget(&s, st, "ada@EXAMPLE.com", 0), 0);
	/* reason, detail, payload, the cached note; one directory row */
	assert_int_equal(s.values, 4);
	assert_int_equal(s.log_rows, 2);
	assert_int_equal(s.rows, 1);
	assert_value(st, "SELECT reason FROM log_entries WHERE id = 1",
		     "customer [redacted]: refused");
	/* whole words: Adam, CANADA and the SKU stay */
	assert_value(st, "SELECT detail FROM log_entries WHERE id = 1",
		     "contact [redacted] ([redacted]) for Adams order from "
		     "CANADA, SKU ADA-1");
	/* the object holding the address is blanked; the rest stays */
	assert_value(st, "SELECT payload FROM events WHERE id = 1",
		     "{\"id\":7,\"billing\":{\"email\":\"[redacted]\","
		     "\"first_name\":\"[redacted]\",\"last_name\":"
		     "\"[redacted]\",\"street_1\":\"[redacted]\","
		     "\"country_iso2\":\"GB\"},\"shipping\":{\"email\":"
		     "\"alan@example.com\",\"first_name\":\"Alan\"},"
		     "\"sku\":\"ADA-1\"}");
	/* the street found in the payload, redacted elsewhere */
	assert_value(st, "SELECT json FROM cache WHERE kind = 'bc.note'",
		     "\"Deliver to [redacted]\"");
	/* the other customer, and the synced record */
	assert_value(
		st,
		"SELECT reason || ' / ' || detail FROM log_entries"
		" WHERE id = 2",
		"customer alan@example.com: refused / contact Alan Turing");
	assert_value(st, "SELECT detail FROM log_entries WHERE id = 4",
		     "contact Ada Byron");
	assert_value(st, "SELECT group_concat(email) FROM bp_contacts",
		     "alan@example.com");
	assert_value(st,
		     "SELECT order_number || total || currency ||"
		     " source_id || target_id || status || kind"
		     " FROM log_entries WHERE id = 1",
		     "10011990USD1001SO-13order.import");
	/* the search index follows the redacted reason */
	assert_value(st,
		     "SELECT COUNT(*) FROM log_search WHERE log_search"
		     " MATCH '\"ada@example\"'",
		     "0");
	/* again: nothing left */
	assert_int_equal(ps_privacy_forget(&s, st, "ada@example.com", 0), 0);
	assert_int_equal(s.values + s.rows, 0);
}

static void
test_privacy__dry_run_changes_nothing(void **state)
{
	ps_store *st = st_of(state);
	ps_privacy_stats s;

	people(st);
	assert_int_equal(ps_privacy_forget(&s, st, "ada@example.com", 1), 0);
	assert_int_equal(s.values, 4);
	assert_int_equal(s.rows, 1);
	assert_value(st, "SELECT reason FROM log_entries WHERE id = 1",
		     "customer ADA@example.com: refused");
	assert_value(st, "SELECT COUNT(*) FROM bp_contacts", "2");
}

static void
test_privacy__not_an_address(void **state)
{
	ps_store *st = st_of(state);
	ps_privacy_stats s;

	assert_int_equal(ps_privacy_forget(&s, st, "ada", 0), PS_EINVAL);
	assert_int_equal(ps_privacy_forget(&s, st, "a b@example.com", 0),
			 PS_EINVAL);
	assert_int_equal(ps_privacy_forget(&s, st, "@example.com", 0),
			 PS_EINVAL);
}

static void
test_privacy__retention_old_records_only(void **state)
{
	ps_store *st = st_of(state);
	ps_privacy_stats s;

	people(st);
	entry(st, 3, "customer ada@example.com: refused", "Ada Lovelace",
	      NOW - 40 * DAY);
	sql(st, "UPDATE events SET received_at = %lld",
	    (long long)(NOW - 40 * DAY));
	/* a row at a time past the limit: the calls go on until done */
	assert_int_equal(ps_privacy_retain(&s, st, NOW - 30 * DAY, 1), 0);
	assert_int_equal(s.values, 2); /* the old entry's reason and detail */
	assert_false(s.done);
	assert_int_equal(ps_privacy_retain(&s, st, NOW - 30 * DAY, 100), 0);
	assert_true(s.done);
	assert_value(st,
		     "SELECT reason || ' / ' || detail FROM log_entries"
		     " WHERE id = 3",
		     "customer [redacted]: refused / [redacted]");
	/* every customer's objects in the old payload */
	assert_value(st, "SELECT payload FROM events WHERE id = 1",
		     "{\"id\":7,\"billing\":{\"email\":\"[redacted]\","
		     "\"first_name\":\"[redacted]\",\"last_name\":"
		     "\"[redacted]\",\"street_1\":\"[redacted]\","
		     "\"country_iso2\":\"GB\"},\"shipping\":{\"email\":"
		     "\"[redacted]\",\"first_name\":\"[redacted]\"},"
		     "\"sku\":\"ADA-1\"}");
	/* the recent entries keep theirs, the directory stays */
	assert_value(st, "SELECT reason FROM log_entries WHERE id = 1",
		     "customer ADA@example.com: refused");
	assert_value(st, "SELECT COUNT(*) FROM bp_contacts", "2");
	assert_int_equal(ps_privacy_retain(&s, st, NOW - 30 * DAY, 100), 0);
	assert_int_equal(s.values, 0);
}

int
main(void)
{
#define T(name)                                                                \
	cmocka_unit_test_setup_teardown(test_privacy__##name, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(forget),
		T(dry_run_changes_nothing),
		T(not_an_address),
		T(retention_old_records_only),
	};
#undef T
	return cmocka_run_group_tests(tests, NULL, NULL);
}
