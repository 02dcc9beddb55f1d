/*
 * test_store.c - the SQLite store: opening, migrations, transactions, two
 * connections, the sync log state machine and listing at scale, and the
 * smaller tables.  Every test works on real database files in a fresh
 * temporary directory.
 */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
/* clang-format on */

#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sqlite3.h>

#include "pearlsync/store.h"
#include "store/store_int.h"
#include "test_db.h"

struct fixture {
	test_db db;
	ps_store *st; /* owned by the test; db has none */
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	if (test_db_mkdir(&f->db, "store") < 0)
		return -1;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	ps_store_close(f->st);
	test_db_close(&f->db);
	free(f);
	return 0;
}

static ps_store *
open_ok(struct fixture *f)
{
	int rc = ps_store_open(&f->st, f->db.path, 0);

	if (rc != 0)
		fail_msg("open: %s", ps_error_last());
	return f->st;
}

/* Add a pending log entry with the given key; returns its id. */
static int64_t
add_entry(ps_store *st, const char *flow, const char *key, int64_t now)
{
	ps_log_entry e;
	int64_t id = 0;

	ps_log_entry_init(&e);
	e.flow = (char *)flow;
	e.dedupe_key = (char *)key;
	e.source_platform = PS_PLATFORM_BIGCOMMERCE;
	e.target_platform = PS_PLATFORM_BRIGHTPEARL;
	e.source_id = (char *)key;
	assert_int_equal(ps_store_log_add(&id, st, &e, now), 0);
	return id;
}

/*
 * A row as an older pearlsync wrote it: only the columns of the first
 * schema, so it works at every version (ps_store_log_add needs the
 * current one).
 */
static void
add_old_entry(ps_store *st, const char *flow, const char *key, int64_t now)
{
	char sql[512];

	snprintf(sql, sizeof(sql),
		 "INSERT INTO log_entries(flow, dedupe_key, status,"
		 " order_number, inserted_at, updated_at, next_attempt_at,"
		 " source_platform, source_id, target_platform)"
		 " VALUES ('%s', '%s', 0, NULL, %lld, %lld, %lld, %d, '%s',"
		 " %d)",
		 flow, key, (long long)now, (long long)now, (long long)now,
		 PS_PLATFORM_BIGCOMMERCE, key, PS_PLATFORM_BRIGHTPEARL);
	assert_int_equal(ps_store__exec_sql(st, sql), 0);
}

/* ps_store_log_add's result for a bare entry with key. */
static int
add_entry_rc(ps_store *st, const char *flow, const char *key)
{
	ps_log_entry e;

	ps_log_entry_init(&e);
	e.flow = (char *)flow;
	e.dedupe_key = (char *)key;
	e.source_platform = PS_PLATFORM_BRIGHTPEARL;
	e.target_platform = PS_PLATFORM_BIGCOMMERCE;
	return ps_store_log_add(NULL, st, &e, 50);
}

static int64_t
count_rows(ps_store *st, const char *flow, int status)
{
	ps_log_query q = PS_LOG_QUERY_INIT;
	ps_log_entry *v = NULL;
	size_t n;
	int64_t total = 0;

	q.flow = flow;
	q.status = status;
	q.limit = 1000;
	do {
		assert_int_equal(ps_store_log_list(&v, &n, st, &q), 0);
		total += (int64_t)n;
		if (n > 0)
			q.before_id = v[n - 1].id;
		ps_log_entries_free(v, n);
	} while (n == q.limit);
	return total;
}

/* ---- opening ----------------------------------------------------------- */

static void
test_store__open_rejects_null_and_empty(void **state)
{
	struct fixture *f = *state;
	ps_store *st = (ps_store *)1;

	assert_int_equal(ps_store_open(NULL, f->db.path, 0), PS_EINVAL);
	assert_int_equal(ps_store_open(&st, NULL, 0), PS_EINVAL);
	assert_null(st);
	assert_int_equal(ps_store_open(&st, "", 0), PS_EINVAL);
	ps_store_close(NULL);
	assert_int_equal(ps_store_begin(NULL), PS_EINVAL);
	assert_int_equal(ps_store_in_transaction(NULL), 0);
}

static void
test_store__open_missing_file_with_no_create(void **state)
{
	struct fixture *f = *state;
	ps_store *st = NULL;
	struct stat sb;

	assert_int_equal(
		ps_store_open(&st, f->db.path, PS_STORE_OPEN_NO_CREATE),
		PS_ENOTFOUND);
	assert_int_equal(ps_store_open(&st, f->db.path, PS_STORE_OPEN_READONLY),
			 PS_ENOTFOUND);
	assert_null(st);
	assert_int_not_equal(stat(f->db.path, &sb), 0);
}

static void
test_store__creates_file_mode_0600_at_current_schema(void **state)
{
	struct fixture *f = *state;
	struct stat sb;
	mode_t old = umask(0);
	int v = -1;
	char wal[160];

	open_ok(f);
	assert_int_equal(ps_store_cursor_set(f->st, "s", "v", 1), 0);
	umask(old);
	assert_int_equal(stat(f->db.path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	/* the journal holds the same data: same mode */
	snprintf(wal, sizeof(wal), "%s-wal", f->db.path);
	assert_int_equal(stat(wal, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	assert_int_equal(ps_store_schema_version(&v, f->st), 0);
	assert_int_equal(v, PS_STORE_SCHEMA_VERSION);
	assert_int_equal(ps_store__migration_count(), PS_STORE_SCHEMA_VERSION);
}

static void
test_store__tightens_mode_of_existing_file(void **state)
{
	struct fixture *f = *state;
	struct stat sb;
	FILE *fp = fopen(f->db.path, "w");

	assert_non_null(fp);
	fclose(fp);
	assert_int_equal(chmod(f->db.path, 0644), 0);
	open_ok(f);
	assert_int_equal(stat(f->db.path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
}

static void
test_store__refuses_newer_schema(void **state)
{
	struct fixture *f = *state;
	ps_store *st = NULL;

	open_ok(f);
	assert_int_equal(ps_store__exec_sql(f->st, "PRAGMA user_version = 99"),
			 0);
	ps_store_close(f->st);
	f->st = NULL;
	assert_int_equal(ps_store_open(&st, f->db.path, 0), PS_EVERSION);
	assert_non_null(strstr(ps_error_last(), "newer"));
	assert_int_equal(ps_store_open(&st, f->db.path, PS_STORE_OPEN_READONLY),
			 PS_EVERSION);
	assert_null(st);
}

static void
test_store__refuses_a_file_that_is_not_a_database(void **state)
{
	struct fixture *f = *state;
	ps_store *st = NULL;
	FILE *fp = fopen(f->db.path, "w");

	assert_non_null(fp);
	fputs("this is not an SQLite database, just some text that is long "
	      "enough to fill a header page ......................\n",
	      fp);
	fclose(fp);
	assert_int_equal(ps_store_open(&st, f->db.path, 0), PS_ESTORE);
	assert_null(st);
}

/* The id the directory gives for email in account, 0 when none. */
static int64_t
contact_id(ps_store *st, const char *account, const char *email)
{
	ps_store_contact c;
	int rc = ps_store_contact_find(&c, st, account, email);
	int64_t id = c.id;

	if (rc == PS_ENOTFOUND) {
		assert_int_equal(c.id, 0);
		assert_null(c.first_name);
		return 0;
	}
	assert_int_equal(rc, 0);
	ps_store_contact_dispose(&c);
	return id;
}

static int64_t
contact_count(ps_store *st, const char *account)
{
	int64_t n = -1;

	assert_int_equal(ps_store_contact_count(&n, st, account), 0);
	return n;
}

/* The schema as text: every object's type, name and SQL. */
static char *
schema_text(const char *path)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *s = NULL;
	size_t len = 0;
	char *text = calloc(1, 1);

	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL),
			 SQLITE_OK);
	assert_int_equal(
		sqlite3_prepare_v2(db,
				   "SELECT type || ' ' || name || ' ' ||"
				   " COALESCE(sql, '') FROM sqlite_master"
				   " ORDER BY type, name",
				   -1, &s, NULL),
		SQLITE_OK);
	while (sqlite3_step(s) == SQLITE_ROW) {
		const char *row = (const char *)sqlite3_column_text(s, 0);
		size_t n = strlen(row);
		text = realloc(text, len + n + 2);
		assert_non_null(text);
		memcpy(text + len, row, n);
		len += n;
		text[len++] = '\n';
		text[len] = '\0';
	}
	sqlite3_finalize(s);
	sqlite3_close(db);
	return text;
}

static void
test_store__upgrades_from_every_earlier_version(void **state)
{
	struct fixture *f = *state;
	char fresh_path[160], *fresh, *upgraded;
	ps_log_query q = PS_LOG_QUERY_INIT;
	ps_log_entry *v = NULL;
	size_t n;
	int k, version;
	char *value = NULL;

	snprintf(fresh_path, sizeof(fresh_path), "%s/fresh.db", f->db.dir);
	assert_int_equal(ps_store_open(&f->st, fresh_path, 0), 0);
	ps_store_close(f->st);
	f->st = NULL;
	fresh = schema_text(fresh_path);

	for (k = 0; k < PS_STORE_SCHEMA_VERSION; k++) {
		unlink(f->db.path);
		assert_int_equal(
			ps_store__open_at_version(&f->st, f->db.path, k), 0);
		assert_int_equal(ps_store_schema_version(&version, f->st), 0);
		assert_int_equal(version, k);
		if (k >= 1) { /* data written at the old version survives */
			add_old_entry(f->st, "order_import_bc", "bc:order:1001",
				      5);
			assert_int_equal(ps_store_cursor_set(f->st, "bc.orders",
							     "2026-01-01", 5),
					 0);
		}
		ps_store_close(f->st);
		f->st = NULL;

		open_ok(f);
		assert_int_equal(ps_store_schema_version(&version, f->st), 0);
		assert_int_equal(version, PS_STORE_SCHEMA_VERSION);
		upgraded = schema_text(f->db.path);
		assert_string_equal(upgraded, fresh);
		free(upgraded);
		if (k >= 1) {
			assert_int_equal(ps_store_cursor_get(&value, NULL,
							     f->st,
							     "bc.orders"),
					 0);
			assert_string_equal(value, "2026-01-01");
			free(value);
			/* rows from before the search index are searchable */
			q.text = "order:1001";
			assert_int_equal(ps_store_log_list(&v, &n, f->st, &q),
					 0);
			assert_int_equal(n, 1);
			ps_log_entries_free(v, n);
		}
		/* the newest tables work on an upgraded file */
		assert_int_equal(ps_store_contact_put(f->st, "acme",
						      "Ada@Example.com", 201,
						      "Ada", NULL, NULL),
				 0);
		assert_int_equal(contact_id(f->st, "acme", "ada@example.com"),
				 201);
		ps_store_close(f->st);
		f->st = NULL;
	}
	free(fresh);
}

static void
test_store__readonly_open_reads_but_cannot_write(void **state)
{
	struct fixture *f = *state;
	ps_store *ro = NULL;
	ps_log_entry e;
	int64_t id;

	open_ok(f);
	id = add_entry(f->st, "order_import_bc", "k1", 10);
	assert_int_equal(ps_store_open(&ro, f->db.path, PS_STORE_OPEN_READONLY),
			 0);
	assert_int_equal(ps_store_log_get(&e, ro, id), 0);
	assert_string_equal(e.dedupe_key, "k1");
	ps_log_entry_dispose(&e);
	assert_int_equal(ps_store_cursor_set(ro, "x", "y", 1), PS_EIO);
	ps_store_close(ro);
}

/* ---- transactions ------------------------------------------------------ */

static void
test_store__rolled_back_transaction_leaves_nothing(void **state)
{
	struct fixture *f = *state;
	ps_log_entry e;
	char *value = NULL;

	open_ok(f);
	assert_int_equal(ps_store_commit(f->st), PS_EINVAL);
	assert_int_equal(ps_store_rollback(f->st), PS_EINVAL);
	assert_int_equal(ps_store_begin(f->st), 0);
	add_entry(f->st, "order_import_bc", "gone", 1);
	assert_int_equal(ps_store_cursor_set(f->st, "bc.orders", "10", 1), 0);
	assert_int_equal(ps_store_in_transaction(f->st), 1);
	assert_int_equal(ps_store_rollback(f->st), 0);
	assert_int_equal(ps_store_in_transaction(f->st), 0);
	assert_int_equal(ps_store_log_get_by_key(&e, f->st, "gone"),
			 PS_ENOTFOUND);
	assert_int_equal(ps_store_cursor_get(&value, NULL, f->st, "bc.orders"),
			 PS_ENOTFOUND);
	assert_int_equal(count_rows(f->st, NULL, -1), 0);
}

static void
test_store__nested_rollback_undoes_only_inner_work(void **state)
{
	struct fixture *f = *state;
	ps_log_entry e;

	open_ok(f);
	assert_int_equal(ps_store_begin(f->st), 0);
	add_entry(f->st, "f", "outer", 1);
	assert_int_equal(ps_store_begin(f->st), 0);
	add_entry(f->st, "f", "inner", 1);
	assert_int_equal(ps_store_in_transaction(f->st), 2);
	assert_int_equal(ps_store_rollback(f->st), 0);
	assert_int_equal(ps_store_begin(f->st), 0);
	add_entry(f->st, "f", "inner2", 1);
	assert_int_equal(ps_store_commit(f->st), 0);
	assert_int_equal(ps_store_commit(f->st), 0);
	assert_int_equal(ps_store_log_get_by_key(&e, f->st, "outer"), 0);
	ps_log_entry_dispose(&e);
	assert_int_equal(ps_store_log_get_by_key(&e, f->st, "inner2"), 0);
	ps_log_entry_dispose(&e);
	assert_int_equal(ps_store_log_get_by_key(&e, f->st, "inner"),
			 PS_ENOTFOUND);
}

static void
test_store__close_with_open_transaction_rolls_back(void **state)
{
	struct fixture *f = *state;

	open_ok(f);
	assert_int_equal(ps_store_begin(f->st), 0);
	add_entry(f->st, "f", "never", 1);
	ps_store_close(f->st);
	open_ok(f);
	assert_int_equal(count_rows(f->st, NULL, -1), 0);
}

/* ---- two connections --------------------------------------------------- */

static void
test_store__second_connection_reads_and_is_refused_writing(void **state)
{
	struct fixture *f = *state;
	ps_store *other = NULL;
	ps_log_entry e;
	int64_t id;

	open_ok(f);
	id = add_entry(f->st, "f", "before", 1);
	assert_int_equal(ps_store_open(&other, f->db.path, 0), 0);
	assert_int_equal(ps_store__set_busy_timeout(other, 20), 0);

	assert_int_equal(ps_store_begin(f->st), 0);
	add_entry(f->st, "f", "uncommitted", 2);
	/* the reader sees the committed state, not the open transaction */
	assert_int_equal(ps_store_log_get(&e, other, id), 0);
	ps_log_entry_dispose(&e);
	assert_int_equal(ps_store_log_get_by_key(&e, other, "uncommitted"),
			 PS_ENOTFOUND);
	/* a writer is refused cleanly once the busy timeout expires */
	assert_int_equal(ps_store_cursor_set(other, "s", "v", 3), PS_EBUSY);
	assert_non_null(strstr(ps_error_last(), "busy"));
	assert_int_equal(ps_store_begin(other), PS_EBUSY);
	assert_int_equal(ps_store_in_transaction(other), 0);
	assert_int_equal(ps_store_commit(f->st), 0);

	/* after the commit both work again */
	assert_int_equal(ps_store_cursor_set(other, "s", "v", 3), 0);
	assert_int_equal(ps_store_log_get_by_key(&e, other, "uncommitted"), 0);
	ps_log_entry_dispose(&e);
	ps_store_close(other);
}

struct waiter {
	ps_store *st;
	volatile int started;
	int result;
};

static void *
wait_and_write(void *arg)
{
	struct waiter *w = arg;

	__atomic_store_n(&w->started, 1, __ATOMIC_SEQ_CST);
	w->result = ps_store_cursor_set(w->st, "waited", "yes", 4);
	return NULL;
}

static void
test_store__writer_waits_for_lock_within_busy_timeout(void **state)
{
	struct fixture *f = *state;
	struct waiter w = {0};
	pthread_t t;
	char *value = NULL;
	int spins = 0;

	open_ok(f);
	assert_int_equal(ps_store_open(&w.st, f->db.path, 0), 0);
	assert_int_equal(ps_store_begin(f->st), 0);
	assert_int_equal(ps_store_cursor_set(f->st, "held", "1", 1), 0);
	assert_int_equal(pthread_create(&t, NULL, wait_and_write, &w), 0);
	while (!__atomic_load_n(&w.started, __ATOMIC_SEQ_CST) &&
	       spins++ < 1000000)
		sched_yield();
	assert_int_equal(ps_store_commit(f->st), 0);
	pthread_join(t, NULL);
	assert_int_equal(w.result, 0); /* waited, then wrote */
	assert_int_equal(ps_store_cursor_get(&value, NULL, f->st, "waited"), 0);
	assert_string_equal(value, "yes");
	free(value);
	ps_store_close(w.st);
}

/* ---- sync log ---------------------------------------------------------- */

static void
test_store__log_add_rejects_bad_entries(void **state)
{
	struct fixture *f = *state;
	ps_log_entry e;
	int64_t id = 7;

	open_ok(f);
	ps_log_entry_init(&e);
	assert_int_equal(ps_store_log_add(&id, f->st, NULL, 1), PS_EINVAL);
	assert_int_equal(id, 0);
	assert_int_equal(ps_store_log_add(&id, NULL, &e, 1), PS_EINVAL);
	assert_int_equal(ps_store_log_add(&id, f->st, &e, 1), PS_EINVAL);
	e.flow = (char *)"f";
	e.dedupe_key = (char *)"";
	assert_int_equal(ps_store_log_add(&id, f->st, &e, 1), PS_EINVAL);
	e.dedupe_key = (char *)"k";
	e.status = PS_ENTRY_SYNCED;
	assert_int_equal(ps_store_log_add(&id, f->st, &e, 1), PS_EINVAL);
	e.status = PS_ENTRY_PENDING;
	e.target_platform = PS_PLATFORM_MAX;
	assert_int_equal(ps_store_log_add(&id, f->st, &e, 1), PS_EINVAL);
	assert_int_equal(count_rows(f->st, NULL, -1), 0);
	assert_int_equal(ps_store_log_get(&e, f->st, 1), PS_ENOTFOUND);
}

static void
test_store__log_dedupe_key_inserts_once(void **state)
{
	struct fixture *f = *state;
	ps_log_entry e, got;
	int64_t id1 = 0, id2 = 0;

	open_ok(f);
	ps_log_entry_init(&e);
	e.flow = (char *)"order_import_bc";
	e.dedupe_key = (char *)"bc:order:100:created";
	e.order_number = (char *)"100";
	e.total = ps_money_from_cents(1999);
	e.has_total = 1;
	e.currency = (char *)"USD";
	e.source_platform = PS_PLATFORM_BIGCOMMERCE;
	e.source_id = (char *)"100";
	e.target_platform = PS_PLATFORM_BRIGHTPEARL;
	assert_int_equal(ps_store_log_add(&id1, f->st, &e, 1000), 0);
	assert_true(id1 > 0);
	e.order_number = (char *)"changed";
	assert_int_equal(ps_store_log_add(&id2, f->st, &e, 2000), 1);
	assert_int_equal(id2, id1);
	assert_int_equal(count_rows(f->st, NULL, -1), 1);

	assert_int_equal(ps_store_log_get(&got, f->st, id1), 0);
	assert_string_equal(got.order_number, "100"); /* first one kept */
	assert_int_equal(got.total, 199900);
	assert_true(got.has_total);
	assert_string_equal(got.currency, "USD");
	assert_int_equal(got.status, PS_ENTRY_PENDING);
	assert_int_equal(got.inserted_at, 1000);
	assert_int_equal(got.next_attempt_at, 1000);
	assert_int_equal(got.synced_at, 0);
	assert_int_equal(got.source_platform, PS_PLATFORM_BIGCOMMERCE);
	assert_null(got.target_id);
	ps_log_entry_dispose(&got);
	ps_log_entry_dispose(NULL);
}

static void
test_store__log_due_peek_counts_without_claiming(void **state)
{
	struct fixture *f = *state;
	ps_log_entry *v = NULL;
	int64_t first = -1;
	size_t n = 9;

	open_ok(f);
	assert_int_equal(
		ps_store_log_due_peek(&n, &first, f->st, NULL, 10, 5000), 0);
	assert_int_equal(n, 0);
	assert_int_equal(first, 0);
	add_entry(f->st, "order_import_bc", "a", 1000);
	add_entry(f->st, "order_import_bc", "b", 1200);
	add_entry(f->st, "order_import_bc", "c", 3000);
	add_entry(f->st, "shipment_export_bc", "d", 900);
	/* due at 2000: a and b of the flow; d of another */
	assert_int_equal(ps_store_log_due_peek(&n, &first, f->st,
					       "order_import_bc", 10, 2000),
			 0);
	assert_int_equal(n, 2);
	assert_int_equal(first, 1000);
	assert_int_equal(
		ps_store_log_due_peek(&n, &first, f->st, NULL, 10, 2000), 0);
	assert_int_equal(n, 3);
	assert_int_equal(first, 900);
	/* counted up to max; max 0 counts nothing */
	assert_int_equal(
		ps_store_log_due_peek(&n, &first, f->st, NULL, 1, 2000), 0);
	assert_int_equal(n, 1);
	assert_int_equal(
		ps_store_log_due_peek(&n, &first, f->st, NULL, 0, 2000), 0);
	assert_int_equal(n, 0);
	/* nothing was claimed: the claim still gets both */
	assert_int_equal(ps_store_log_claim_due(&v, &n, f->st,
						"order_import_bc", 10, 2000),
			 0);
	assert_int_equal(n, 2);
	ps_log_entries_free(v, n);
	assert_int_equal(ps_store_log_due_peek(&n, &first, f->st,
					       "order_import_bc", 10, 2000),
			 0);
	assert_int_equal(n, 0);
	assert_int_equal(ps_store_log_due_peek(NULL, &first, f->st, NULL, 1, 0),
			 PS_EINVAL);
}

static void
test_store__log_claim_mark_retry_state_machine(void **state)
{
	struct fixture *f = *state;
	ps_log_entry *v = NULL, got;
	int64_t a, b, c, d;
	size_t n, count;

	open_ok(f);
	assert_int_equal(ps_store_log_claim_due(&v, &n, f->st, NULL, 10, 999),
			 0);
	assert_int_equal(n, 0);
	assert_null(v);
	a = add_entry(f->st, "order_import_bc", "a", 1000);
	b = add_entry(f->st, "order_import_bc", "b", 1000);
	c = add_entry(f->st, "order_import_bc", "c", 1000);
	d = add_entry(f->st, "shipment_export_bc", "d", 1000);

	/* not yet due */
	assert_int_equal(ps_store_log_claim_due(&v, &n, f->st, NULL, 10, 999),
			 0);
	assert_int_equal(n, 0);
	/* max 0 claims nothing */
	assert_int_equal(ps_store_log_claim_due(&v, &n, f->st, NULL, 0, 1000),
			 0);
	assert_int_equal(n, 0);
	/* the flow filter */
	assert_int_equal(ps_store_log_claim_due(&v, &n, f->st,
						"order_import_bc", 10, 1000),
			 0);
	assert_int_equal(n, 3);
	assert_int_equal(v[0].id, a);
	assert_int_equal(v[0].status, PS_ENTRY_IN_FLIGHT);
	assert_int_equal(v[0].attempts, 1);
	assert_int_equal(v[0].next_attempt_at, 0);
	ps_log_entries_free(v, n);
	/* claimed entries are not claimed twice */
	assert_int_equal(ps_store_log_claim_due(&v, &n, f->st, NULL, 10, 5000),
			 0);
	assert_int_equal(n, 1);
	assert_int_equal(v[0].id, d);
	ps_log_entries_free(v, n);

	assert_int_equal(
		ps_store_log_mark_synced(f->st, a, "BP-9", "sent", 1100), 0);
	assert_int_equal(ps_store_log_mark_failed(f->st, b,
						  "HTTP 503 from "
						  "Brightpearl",
						  PS_EREMOTE, 5000, 1100),
			 0);
	assert_int_equal(ps_store_log_mark_failed(f->st, c,
						  "SKU 'TEE-RED-M' not found",
						  PS_EDATA, 0, 1100),
			 0);
	assert_int_equal(
		ps_store_log_mark_pending(f->st, d,
					  "waiting for setting "
					  "bigcommerce.defaults.warehouse_id",
					  0, 1100),
		0);
	assert_int_equal(ps_store_log_mark_synced(f->st, 9999, NULL, NULL, 1),
			 PS_ENOTFOUND);

	assert_int_equal(ps_store_log_get(&got, f->st, a), 0);
	assert_int_equal(got.status, PS_ENTRY_SYNCED);
	assert_int_equal(got.synced_at, 1100);
	assert_string_equal(got.target_id, "BP-9");
	assert_string_equal(got.detail, "sent");
	ps_log_entry_dispose(&got);

	/* the transient failure comes back when due; the others do not */
	assert_int_equal(ps_store_log_claim_due(&v, &n, f->st, NULL, 10, 4999),
			 0);
	assert_int_equal(n, 0);
	assert_int_equal(ps_store_log_claim_due(&v, &n, f->st, NULL, 10, 5000),
			 0);
	assert_int_equal(n, 1);
	assert_int_equal(v[0].id, b);
	assert_int_equal(v[0].attempts, 2);
	assert_string_equal(v[0].reason, "HTTP 503 from Brightpearl");
	ps_log_entries_free(v, n);

	/* operator retry */
	assert_int_equal(ps_store_log_retry(f->st, a, 6000), PS_EINVAL);
	assert_int_equal(ps_store_log_retry(f->st, b, 6000), PS_EINVAL);
	assert_int_equal(ps_store_log_retry(f->st, 4242, 6000), PS_ENOTFOUND);
	assert_int_equal(ps_store_log_retry(f->st, c, 6000), 0);
	assert_int_equal(ps_store_log_get(&got, f->st, c), 0);
	assert_int_equal(got.status, PS_ENTRY_PENDING);
	assert_int_equal(got.attempts, 0);
	assert_int_equal(got.next_attempt_at, 6000);
	ps_log_entry_dispose(&got);
	assert_int_equal(ps_store_log_claim_due(&v, &n, f->st, NULL, 10, 6000),
			 0);
	assert_int_equal(n, 1);
	assert_int_equal(v[0].id, c);
	ps_log_entries_free(v, n);

	/* retry all failed, by flow */
	assert_int_equal(ps_store_log_mark_failed(f->st, b, "x", 0, 0, 7000),
			 0);
	assert_int_equal(ps_store_log_mark_failed(f->st, c, "y", 0, 0, 7000),
			 0);
	assert_int_equal(ps_store_log_retry_failed(&count, f->st,
						   "shipment_export_bc", 8000),
			 0);
	assert_int_equal(count, 0);
	assert_int_equal(ps_store_log_retry_failed(&count, f->st, NULL, 8000),
			 0);
	assert_int_equal(count, 2);
	assert_int_equal(count_rows(f->st, NULL, PS_ENTRY_FAILED), 0);

	/* a crash leaves entries in flight: recovery makes them due again */
	assert_int_equal(ps_store_log_claim_due(&v, &n, f->st, NULL, 10, 8000),
			 0);
	assert_int_equal(n, 2);
	ps_log_entries_free(v, n);
	assert_int_equal(ps_store_recover_interrupted(&count, f->st, 9000), 0);
	assert_int_equal(count, 2);
	assert_int_equal(ps_store_log_get(&got, f->st, b), 0);
	assert_int_equal(got.status, PS_ENTRY_PENDING);
	assert_non_null(strstr(got.reason, "interrupted"));
	ps_log_entry_dispose(&got);
}

static void
test_store__log_set_fields_keeps_what_is_not_given(void **state)
{
	struct fixture *f = *state;
	ps_log_entry e, got;
	int64_t id;

	open_ok(f);
	id = add_entry(f->st, "f", "k", 1);
	ps_log_entry_init(&e);
	e.shipping_method = (char *)"UPS Ground";
	e.total = 5;
	e.has_total = 1;
	assert_int_equal(ps_store_log_set_fields(f->st, id, &e, 2), 0);
	e.shipping_method = NULL;
	e.has_total = 0;
	e.shipment_status = (char *)"shipped";
	assert_int_equal(ps_store_log_set_fields(f->st, id, &e, 3), 0);
	assert_int_equal(ps_store_log_get(&got, f->st, id), 0);
	assert_string_equal(got.shipping_method, "UPS Ground");
	assert_string_equal(got.shipment_status, "shipped");
	assert_int_equal(got.total, 5);
	assert_int_equal(got.updated_at, 3);
	ps_log_entry_dispose(&got);
}

static void
test_store__log_list_rejects_bad_queries(void **state)
{
	struct fixture *f = *state;
	ps_log_query q = PS_LOG_QUERY_INIT;
	ps_log_entry *v = (ps_log_entry *)1;
	size_t n = 9;

	open_ok(f);
	assert_int_equal(ps_store_log_list(&v, &n, f->st, NULL), PS_EINVAL);
	assert_null(v);
	assert_int_equal(n, 0);
	q.limit = 0;
	assert_int_equal(ps_store_log_list(&v, &n, f->st, &q), PS_EINVAL);
	q.limit = 10;
	q.status = 7;
	assert_int_equal(ps_store_log_list(&v, &n, f->st, &q), PS_EINVAL);
	q.status = -1;
	q.text = "";
	assert_int_equal(ps_store_log_list(&v, &n, f->st, &q), 0);
	assert_int_equal(n, 0);
	q.text = "\"quoted\" AND OR * (";
	assert_int_equal(ps_store_log_list(&v, &n, f->st, &q), 0);
	assert_int_equal(n, 0);
}

#define BIG 100000
static const char *const big_flows[] = {"order_import_bc", "shipment_export_bc",
					"inventory_export_bc"};

static int
big_status(int i)
{
	if (i % 10 == 0)
		return PS_ENTRY_FAILED;
	if (i % 5 == 1)
		return PS_ENTRY_SYNCED;
	return PS_ENTRY_PENDING;
}

static void
big_reason(char *buf, size_t cap, int i)
{
	snprintf(buf, cap, "SKU 'TEE-%d' not found in Brightpearl", i);
}

struct counts {
	int64_t n[3][PS_ENTRY_STATUS_COUNT];
};

static int
collect_counts(const char *flow, ps_entry_status status, int64_t count,
	       void *payload)
{
	struct counts *c = payload;
	size_t i;

	for (i = 0; i < 3; i++)
		if (strcmp(flow, big_flows[i]) == 0)
			c->n[i][status] += count;
	return 0;
}

static void
assert_plan(ps_store *st, const ps_log_query *q, const char *want)
{
	char *plan = NULL;

	assert_int_equal(ps_store__explain_log_list(&plan, st, q), 0);
	if (strstr(plan, want) == NULL)
		fail_msg("plan lacks '%s':\n%s", want, plan);
	/* no full scan of the log table */
	if (strstr(plan, "SCAN log_entries\n") != NULL)
		fail_msg("plan scans the log:\n%s", plan);
	free(plan);
}

static void
test_store__log_100k_entries_page_filter_and_count(void **state)
{
	struct fixture *f = *state;
	char key[32], order[32], source[16], reason[64];
	ps_log_query q = PS_LOG_QUERY_INIT;
	struct counts want = {{{0}}}, got = {{{0}}};
	ps_log_entry e, *v = NULL;
	int64_t id, prev;
	size_t n, total;
	int i, j, s, expect;

	open_ok(f);
	assert_int_equal(ps_store_begin(f->st), 0);
	for (i = 0; i < BIG; i++) {
		snprintf(key, sizeof(key), "bc:order:%d", i);
		snprintf(order, sizeof(order), "BC-%06d", i);
		snprintf(source, sizeof(source), "%d", i);
		big_reason(reason, sizeof(reason), i);
		ps_log_entry_init(&e);
		e.flow = (char *)big_flows[i % 3];
		e.dedupe_key = key;
		e.order_number = order;
		e.source_id = source;
		e.source_platform = PS_PLATFORM_BIGCOMMERCE;
		e.target_platform = PS_PLATFORM_BRIGHTPEARL;
		if (big_status(i) == PS_ENTRY_FAILED) {
			e.status = PS_ENTRY_FAILED;
			e.reason = reason;
		}
		assert_int_equal(ps_store_log_add(&id, f->st, &e, i), 0);
		if (big_status(i) == PS_ENTRY_SYNCED)
			assert_int_equal(ps_store_log_mark_synced(
						 f->st, id, NULL, NULL, i),
					 0);
		want.n[i % 3][big_status(i)]++;
	}
	assert_int_equal(ps_store_commit(f->st), 0);

	/* all pages, newest first, no gaps, no repeats */
	q.limit = 1000;
	total = 0;
	prev = INT64_MAX;
	do {
		assert_int_equal(ps_store_log_list(&v, &n, f->st, &q), 0);
		for (j = 0; j < (int)n; j++) {
			assert_true(v[j].id < prev);
			assert_int_equal(v[j].id,
					 prev == INT64_MAX ? BIG : prev - 1);
			prev = v[j].id;
		}
		total += n;
		if (n > 0)
			q.before_id = v[n - 1].id;
		ps_log_entries_free(v, n);
	} while (n == q.limit);
	assert_int_equal(total, BIG);

	/* by status, by flow, by both: every row matches, and all of them */
	for (s = 0; s < PS_ENTRY_STATUS_COUNT; s++) {
		int64_t expect_s = 0;
		for (j = 0; j < 3; j++)
			expect_s += want.n[j][s];
		assert_int_equal(count_rows(f->st, NULL, s), expect_s);
	}
	assert_int_equal(count_rows(f->st, big_flows[1], -1),
			 want.n[1][0] + want.n[1][1] + want.n[1][2] +
				 want.n[1][3]);
	assert_int_equal(count_rows(f->st, big_flows[2], PS_ENTRY_FAILED),
			 want.n[2][PS_ENTRY_FAILED]);
	q = (ps_log_query)PS_LOG_QUERY_INIT;
	q.flow = big_flows[0];
	q.status = PS_ENTRY_SYNCED;
	q.limit = 5;
	assert_int_equal(ps_store_log_list(&v, &n, f->st, &q), 0);
	assert_int_equal(n, 5);
	for (j = 0; j < 5; j++) {
		assert_string_equal(v[j].flow, big_flows[0]);
		assert_int_equal(v[j].status, PS_ENTRY_SYNCED);
	}
	ps_log_entries_free(v, n);

	/* text: an order number */
	q = (ps_log_query)PS_LOG_QUERY_INIT;
	q.text = "bc-012345"; /* case-insensitive */
	assert_int_equal(ps_store_log_list(&v, &n, f->st, &q), 0);
	assert_int_equal(n, 1);
	assert_string_equal(v[0].order_number, "BC-012345");
	ps_log_entries_free(v, n);

	/* text: a substring of reasons, checked against a brute count */
	expect = 0;
	for (i = 0; i < BIG; i++) {
		if (big_status(i) != PS_ENTRY_FAILED)
			continue;
		big_reason(reason, sizeof(reason), i);
		if (strstr(reason, "TEE-77") != NULL)
			expect++;
	}
	assert_true(expect > 1);
	q.text = "TEE-77";
	q.limit = 1000;
	assert_int_equal(ps_store_log_list(&v, &n, f->st, &q), 0);
	assert_int_equal((int)n, expect);
	for (j = 0; j < (int)n; j++)
		assert_non_null(strstr(v[j].reason, "TEE-77"));
	ps_log_entries_free(v, n);

	/* short text matches ids exactly */
	q.text = "42";
	assert_int_equal(ps_store_log_list(&v, &n, f->st, &q), 0);
	assert_int_equal(n, 1);
	assert_string_equal(v[0].source_id, "42");
	ps_log_entries_free(v, n);

	/* counts, all and since a time */
	assert_int_equal(ps_store_log_counts(f->st, 0, collect_counts, &got),
			 0);
	assert_memory_equal(&got, &want, sizeof(want));
	memset(&got, 0, sizeof(got));
	memset(&want, 0, sizeof(want));
	for (i = BIG - 1000; i < BIG; i++)
		want.n[i % 3][big_status(i)]++;
	assert_int_equal(
		ps_store_log_counts(f->st, BIG - 1000, collect_counts, &got),
		0);
	assert_memory_equal(&got, &want, sizeof(want));

	/* each filter is served by an index */
	q = (ps_log_query)PS_LOG_QUERY_INIT;
	assert_plan(f->st, &q, "INTEGER PRIMARY KEY");
	q.status = PS_ENTRY_FAILED;
	assert_plan(f->st, &q, "INDEX log_status");
	q.flow = big_flows[0];
	assert_plan(f->st, &q, "INDEX log_flow_status");
	q.status = -1;
	assert_plan(f->st, &q, "INDEX log_flow ");
	q.flow = NULL;
	q.text = "TEE-77";
	assert_plan(f->st, &q, "VIRTUAL TABLE INDEX");
	q.text = "42";
	assert_plan(f->st, &q, "INDEX log_source_id");
	q.before_id = 500;
	q.status = PS_ENTRY_PENDING;
	q.text = NULL;
	assert_plan(f->st, &q, "INDEX log_status");
}

/* ---- text search: pages equal a brute-force scan ------------------------ */

#define SAME_N 3000
static const char *const same_flows[] = {"order_import_bc", "fulfilment_bp_bc",
					 "notes_bc"};

/* Seed entry i of the sameness database: a mix of reasons, ids, statuses. */
static void
same_seed(ps_store *st, int i)
{
	static const char *const reasons[] = {
		"SKU 'TEE-RED-M' not found in Brightpearl",
		"waiting for setting bigcommerce.defaults.warehouse_id",
		"Customer \"ACME\" has no price list",
		"tee-red-s out of stock"};
	char key[32], order[32], source[16], target[16];
	ps_log_entry e;
	int64_t id;

	snprintf(key, sizeof(key), "same:%d", i);
	snprintf(order, sizeof(order), "%s%d", i % 7 == 0 ? "BC-" : "",
		 1000 + i);
	snprintf(source, sizeof(source), "%d", i % 97);
	snprintf(target, sizeof(target), "T%d", i % 13);
	ps_log_entry_init(&e);
	e.flow = (char *)same_flows[i % 3];
	e.dedupe_key = key;
	e.order_number = i % 11 == 5 ? NULL : order;
	e.source_id = source;
	e.source_platform = PS_PLATFORM_BIGCOMMERCE;
	e.target_platform = PS_PLATFORM_BRIGHTPEARL;
	assert_int_equal(ps_store_log_add(&id, st, &e, i), 0);
	switch (i % 5) {
	case 0: /* failed; mostly the SKU reason, clustered in old entries */
		assert_int_equal(ps_store_log_mark_failed(
					 st, id,
					 reasons[i < SAME_N / 2 ? 0 : i % 4],
					 PS_EDATA, 0, i),
				 0);
		break;
	case 1:
		assert_int_equal(
			ps_store_log_mark_pending(st, id, reasons[i % 4], 0, i),
			0);
		break;
	case 2:
	case 3:
		assert_int_equal(
			ps_store_log_mark_synced(st, id, target, NULL, i), 0);
		break;
	default: /* stays pending, no reason */
		break;
	}
}

static int
contains_ci(const char *hay, const char *needle)
{
	size_t n = strlen(needle), i, j;

	if (hay == NULL)
		return 0;
	for (i = 0; hay[i]; i++) {
		for (j = 0; j < n && hay[i + j]; j++) {
			char a = hay[i + j], b = needle[j];
			if (a >= 'A' && a <= 'Z')
				a = (char)(a - 'A' + 'a');
			if (b >= 'A' && b <= 'Z')
				b = (char)(b - 'A' + 'a');
			if (a != b)
				break;
		}
		if (j == n)
			return 1;
	}
	return 0;
}

static int
equals(const char *a, const char *b)
{
	return a != NULL && strcmp(a, b) == 0;
}

/* Does e match q, decided in C from the documented rules? */
static int
brute_match(const ps_log_entry *e, const ps_log_query *q)
{
	const char *t = q->text;

	if (q->status >= 0 && (int)e->status != q->status)
		return 0;
	if (q->flow && strcmp(e->flow, q->flow) != 0)
		return 0;
	if (t == NULL || t[0] == '\0')
		return 1;
	if (strlen(t) < 3)
		return equals(e->order_number, t) || equals(e->source_id, t) ||
		       equals(e->target_id, t);
	return contains_ci(e->order_number, t) || contains_ci(e->reason, t) ||
	       contains_ci(e->source_id, t) || contains_ci(e->target_id, t);
}

/*
 * Page through q (starting below start) and compare every page with the
 * page taken from all (every entry, newest first) by brute force.
 */
/* searches assert_pages_match_brute_as saw stop on their budget */
static size_t budget_stops;

static void
assert_pages_match_brute_as(ps_store *st, const ps_log_entry *all, size_t nall,
			    ps_log_query q, int64_t start, int search)
{
	ps_log_entry *v = NULL;
	size_t n, k, pos = 0, want, pages = 0;
	int64_t resume = 0;

	q.before_id = start;
	while (pos < nall && start > 0 && all[pos].id >= start)
		pos++;
	for (;;) {
		if (search)
			assert_int_equal(
				ps_store_log_search(&v, &n, &resume, st, &q),
				0);
		else
			assert_int_equal(ps_store_log_list(&v, &n, st, &q), 0);
		for (k = 0; k < n; k++) {
			while (pos < nall && !brute_match(&all[pos], &q))
				pos++;
			if (pos == nall)
				fail_msg("text '%s' status %d flow %s: extra "
					 "row "
					 "%lld",
					 q.text ? q.text : "", q.status,
					 q.flow ? q.flow : "-",
					 (long long)v[k].id);
			assert_int_equal(v[k].id, all[pos].id);
			assert_int_equal(v[k].status, all[pos].status);
			pos++;
		}
		pages++;
		if (resume != 0) {
			/* stopped on its budget: a short page, then on from
			 * where it stopped, below every row returned */
			assert_true(n < q.limit);
			assert_true(resume < (q.before_id > 0 ? q.before_id
							      : INT64_MAX));
			if (n > 0)
				assert_true(resume <= v[n - 1].id);
			q.before_id = resume;
			budget_stops++;
			ps_log_entries_free(v, n);
			continue;
		}
		if (n < q.limit) {
			want = pos;
			while (want < nall && !brute_match(&all[want], &q))
				want++;
			if (want != nall)
				fail_msg("text '%s' status %d flow %s: missed "
					 "row %lld after %zu pages",
					 q.text ? q.text : "", q.status,
					 q.flow ? q.flow : "-",
					 (long long)all[want].id, pages);
			ps_log_entries_free(v, n);
			return;
		}
		q.before_id = v[n - 1].id;
		ps_log_entries_free(v, n);
	}
}

static void
assert_pages_match_brute(ps_store *st, const ps_log_entry *all, size_t nall,
			 ps_log_query q, int64_t start)
{
	assert_pages_match_brute_as(st, all, nall, q, start, 0);
}

static void
test_store__log_text_search_pages_equal_brute_force(void **state)
{
	static const char *const texts[] = {"TEE-RED",   "tee-red-m",   "red",
					    "warehouse", "\"ACME\"",    "1042",
					    "BC-1",      "T7",          "42",
					    "7",         "zzz-no-such", "no"};
	static const size_t limits[] = {1, 7, 50, 1000};
	struct fixture *f = *state;
	ps_log_query q = PS_LOG_QUERY_INIT, all_q = PS_LOG_QUERY_INIT;
	ps_log_entry *all = NULL, *v = NULL;
	size_t nall = 0, n, t, l;
	int i, s, fl, hits = 0;

	open_ok(f);
	assert_int_equal(ps_store_begin(f->st), 0);
	for (i = 0; i < SAME_N; i++)
		same_seed(f->st, i);
	assert_int_equal(ps_store_commit(f->st), 0);
	/* everything, newest first, in one array */
	all = calloc(SAME_N, sizeof(*all));
	assert_non_null(all);
	all_q.limit = 1000;
	do {
		assert_int_equal(ps_store_log_list(&v, &n, f->st, &all_q), 0);
		assert_true(nall + n <= SAME_N);
		if (n > 0)
			memcpy(all + nall, v, n * sizeof(*v));
		free(v); /* the strings now belong to all */
		nall += n;
		if (n > 0)
			all_q.before_id = all[nall - 1].id;
	} while (n == all_q.limit);
	assert_int_equal(nall, SAME_N);

	for (t = 0; t < PS__ARRAY_LEN(texts); t++) {
		for (s = -1; s < PS_ENTRY_STATUS_COUNT; s++) {
			for (fl = -1; fl < 3; fl++) {
				q = (ps_log_query)PS_LOG_QUERY_INIT;
				q.text = texts[t];
				q.status = s;
				q.flow = fl < 0 ? NULL : same_flows[fl];
				for (l = 0; l < PS__ARRAY_LEN(limits); l++) {
					q.limit = limits[l];
					if (q.limit == 1 && s != -1 && fl != -1)
						continue; /* keep it quick */
					assert_pages_match_brute(f->st, all,
								 nall, q, 0);
				}
				/* from the middle of the log */
				q.limit = 13;
				assert_pages_match_brute(f->st, all, nall, q,
							 SAME_N / 2 + 3);
			}
		}
	}
	/* the interactive search on a tiny budget: short pages, resumed,
	 * together the same rows (each budget stops some searches early) */
	for (l = 0; l < 3; l++) {
		static const size_t budgets[] = {1, 9, 300};

		ps_store__set_search_budget(f->st, budgets[l]);
		/* one step a call: a call per step, so fewer texts */
		for (t = 0; t < (l == 0 ? 4 : PS__ARRAY_LEN(texts)); t++)
			for (s = -1; s < PS_ENTRY_STATUS_COUNT; s += 2) {
				q = (ps_log_query)PS_LOG_QUERY_INIT;
				q.text = texts[t];
				q.status = s;
				q.flow = s == -1 ? same_flows[t % 3] : NULL;
				q.limit = 20;
				assert_pages_match_brute_as(f->st, all, nall, q,
							    0, 1);
			}
	}
	ps_store__set_search_budget(f->st, 0);
	assert_true(budget_stops > 0);
	/* the seed really exercises large, small and empty results */
	q = (ps_log_query)PS_LOG_QUERY_INIT;
	q.text = "TEE-RED";
	for (i = 0; i < (int)nall; i++)
		hits += brute_match(&all[i], &q);
	assert_true(hits > SAME_N / 10);
	q.status = PS_ENTRY_SYNCED; /* synced entries carry no reason */
	q.flow = same_flows[1];
	for (i = 0, hits = 0; i < (int)nall; i++)
		hits += brute_match(&all[i], &q);
	assert_int_equal(hits, 0);
	assert_pages_match_brute(f->st, all, nall, q, 0);
	ps_log_entries_free(all, nall);

	/* long runs on either side (seeks past them): one failed entry
	 * under 5,000 newer pending ones with the same reason */
	assert_int_equal(ps_store_begin(f->st), 0);
	for (i = 0; i < 5001; i++) {
		char key[32];
		ps_log_entry e;
		int64_t id;

		snprintf(key, sizeof(key), "bulk:%d", i);
		ps_log_entry_init(&e);
		e.flow = (char *)same_flows[0];
		e.dedupe_key = key;
		assert_int_equal(ps_store_log_add(&id, f->st, &e, i), 0);
		if (i == 0)
			assert_int_equal(
				ps_store_log_mark_failed(
					f->st, id, "BULK-ZZ stock", 0, 0, i),
				0);
		else
			assert_int_equal(
				ps_store_log_mark_pending(
					f->st, id, "BULK-ZZ stock", 0, i),
				0);
	}
	assert_int_equal(ps_store_commit(f->st), 0);
	all = calloc(SAME_N + 5001, sizeof(*all));
	assert_non_null(all);
	nall = 0;
	all_q = (ps_log_query)PS_LOG_QUERY_INIT;
	all_q.limit = 1000;
	do {
		assert_int_equal(ps_store_log_list(&v, &n, f->st, &all_q), 0);
		if (n > 0)
			memcpy(all + nall, v, n * sizeof(*v));
		free(v);
		nall += n;
		if (n > 0)
			all_q.before_id = all[nall - 1].id;
	} while (n == all_q.limit);
	assert_int_equal(nall, SAME_N + 5001);
	q = (ps_log_query)PS_LOG_QUERY_INIT;
	q.text = "bulk-zz";
	q.status = PS_ENTRY_FAILED; /* the FTS side runs 5,000 ids alone */
	assert_pages_match_brute(f->st, all, nall, q, 0);
	q.text = "TEE-RED"; /* the filter side runs 5,000 ids alone */
	q.status = PS_ENTRY_PENDING;
	q.flow = same_flows[0];
	assert_pages_match_brute(f->st, all, nall, q, 0);
	q.limit = 3;
	assert_pages_match_brute(f->st, all, nall, q, 0);
	q.text = "stock";
	q.status = PS_ENTRY_FAILED;
	q.flow = NULL;
	assert_pages_match_brute(f->st, all, nall, q, 0);
	ps_log_entries_free(all, nall);
}

static void
test_store__claim_due_uses_the_due_index(void **state)
{
	struct fixture *f = *state;
	sqlite3 *db = NULL;
	sqlite3_stmt *s = NULL;
	int used = 0;

	open_ok(f);
	assert_int_equal(
		sqlite3_open_v2(f->db.path, &db, SQLITE_OPEN_READONLY, NULL),
		SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(
				 db, "EXPLAIN QUERY PLAN " PS_STORE__CLAIM_SQL,
				 -1, &s, NULL),
			 SQLITE_OK);
	while (sqlite3_step(s) == SQLITE_ROW) {
		const char *d = (const char *)sqlite3_column_text(s, 3);
		if (strstr(d, "log_due"))
			used = 1;
		assert_null(strstr(d, "TEMP B-TREE")); /* index gives order */
	}
	sqlite3_finalize(s);
	sqlite3_close(db);
	assert_true(used);
}

/* ---- cursors, xrefs, queues, heartbeat, counters, cache ----------------- */

static void
test_store__cursor_advances_with_its_entries_or_not_at_all(void **state)
{
	struct fixture *f = *state;
	char *value = NULL;
	int64_t at = 0;

	open_ok(f);
	assert_int_equal(ps_store_cursor_get(&value, &at, f->st, ""),
			 PS_EINVAL);
	assert_int_equal(ps_store_cursor_set(f->st, "bc.orders", NULL, 1),
			 PS_EINVAL);
	assert_int_equal(ps_store_cursor_set(f->st, "bc.orders", "100", 1), 0);
	assert_int_equal(ps_store_begin(f->st), 0);
	add_entry(f->st, "f", "o1", 2);
	assert_int_equal(ps_store_cursor_set(f->st, "bc.orders", "200", 2), 0);
	assert_int_equal(ps_store_rollback(f->st), 0);
	assert_int_equal(ps_store_cursor_get(&value, &at, f->st, "bc.orders"),
			 0);
	assert_string_equal(value, "100");
	assert_int_equal(at, 1);
	free(value);
	assert_int_equal(ps_store_begin(f->st), 0);
	add_entry(f->st, "f", "o1", 3);
	assert_int_equal(ps_store_cursor_set(f->st, "bc.orders", "200", 3), 0);
	assert_int_equal(ps_store_commit(f->st), 0);
	assert_int_equal(ps_store_cursor_get(&value, &at, f->st, "bc.orders"),
			 0);
	assert_string_equal(value, "200");
	free(value);
	assert_int_equal(count_rows(f->st, NULL, -1), 1);
}

static void
test_store__xrefs_are_symmetric_and_unique(void **state)
{
	struct fixture *f = *state;
	char *id = NULL;

	open_ok(f);
	assert_int_equal(ps_store_xref_get(&id, f->st, "order",
					   PS_PLATFORM_BIGCOMMERCE, "100",
					   PS_PLATFORM_BRIGHTPEARL),
			 PS_ENOTFOUND);
	assert_int_equal(ps_store_xref_set(f->st, "order",
					   PS_PLATFORM_BIGCOMMERCE, "100",
					   PS_PLATFORM_BIGCOMMERCE, "1", 1),
			 PS_EINVAL);
	assert_int_equal(ps_store_xref_set(f->st, "order",
					   PS_PLATFORM_BIGCOMMERCE, "100",
					   PS_PLATFORM_BRIGHTPEARL, "5001", 1),
			 0);
	assert_int_equal(ps_store_xref_get(&id, f->st, "order",
					   PS_PLATFORM_BIGCOMMERCE, "100",
					   PS_PLATFORM_BRIGHTPEARL),
			 0);
	assert_string_equal(id, "5001");
	free(id);
	assert_int_equal(ps_store_xref_get(&id, f->st, "order",
					   PS_PLATFORM_BRIGHTPEARL, "5001",
					   PS_PLATFORM_BIGCOMMERCE),
			 0);
	assert_string_equal(id, "100");
	free(id);
	/* relinking either side replaces the old link */
	assert_int_equal(ps_store_xref_set(f->st, "order",
					   PS_PLATFORM_BRIGHTPEARL, "5002",
					   PS_PLATFORM_BIGCOMMERCE, "100", 2),
			 0);
	assert_int_equal(ps_store_xref_get(&id, f->st, "order",
					   PS_PLATFORM_BRIGHTPEARL, "5001",
					   PS_PLATFORM_BIGCOMMERCE),
			 PS_ENOTFOUND);
	assert_int_equal(ps_store_xref_get(&id, f->st, "order",
					   PS_PLATFORM_BIGCOMMERCE, "100",
					   PS_PLATFORM_BRIGHTPEARL),
			 0);
	assert_string_equal(id, "5002");
	free(id);
	/* other entities and platform pairs are separate */
	assert_int_equal(ps_store_xref_get(&id, f->st, "product",
					   PS_PLATFORM_BIGCOMMERCE, "100",
					   PS_PLATFORM_BRIGHTPEARL),
			 PS_ENOTFOUND);
	assert_int_equal(ps_store_xref_get(&id, f->st, "order",
					   PS_PLATFORM_BIGCOMMERCE, "100",
					   PS_PLATFORM_SHIPHERO),
			 PS_ENOTFOUND);
}

static void
test_store__events_claim_once_and_mark_processed(void **state)
{
	struct fixture *f = *state;
	ps_event *v = NULL;
	int64_t id1, id2;
	size_t n;

	open_ok(f);
	assert_int_equal(
		ps_store_event_add(&id1, f->st, PS_PLATFORM_MAX, "t", "{}", 1),
		PS_EINVAL);
	assert_int_equal(ps_store_event_add(&id1, f->st,
					    PS_PLATFORM_BIGCOMMERCE,
					    "store/order/created",
					    "{\"data\":{\"id\":1}}", 10),
			 0);
	assert_int_equal(ps_store_event_add(&id2, f->st,
					    PS_PLATFORM_BIGCOMMERCE,
					    "store/order/updated", "{}", 11),
			 0);
	assert_int_equal(ps_store_event_claim(&v, &n, f->st, 1, 20), 0);
	assert_int_equal(n, 1);
	assert_int_equal(v[0].id, id1);
	assert_string_equal(v[0].topic, "store/order/created");
	assert_string_equal(v[0].payload, "{\"data\":{\"id\":1}}");
	assert_int_equal(v[0].received_at, 10);
	ps_events_free(v, n);
	assert_int_equal(ps_store_event_claim(&v, &n, f->st, 10, 21), 0);
	assert_int_equal(n, 1);
	assert_int_equal(v[0].id, id2);
	ps_events_free(v, n);
	assert_int_equal(ps_store_event_claim(&v, &n, f->st, 10, 22), 0);
	assert_int_equal(n, 0);
	assert_int_equal(ps_store_event_mark_processed(f->st, id1, 30), 0);
	assert_int_equal(ps_store_event_mark_processed(f->st, 999, 30),
			 PS_ENOTFOUND);
	/* after a restart the unprocessed one comes back */
	assert_int_equal(ps_store_recover_interrupted(NULL, f->st, 40), 0);
	assert_int_equal(ps_store_event_claim(&v, &n, f->st, 10, 41), 0);
	assert_int_equal(n, 1);
	assert_int_equal(v[0].id, id2);
	ps_events_free(v, n);
	ps_events_free(NULL, 0);
}

static void
test_store__requests_flow_from_console_to_worker(void **state)
{
	struct fixture *f = *state;
	ps_request *v = NULL, r;
	ps_request_kind k;
	int64_t id;
	size_t n;

	open_ok(f);
	assert_string_equal(ps_request_kind_name(PS_REQUEST_PAUSE_FLOW),
			    "pause_flow");
	assert_int_equal(ps_request_kind_parse(&k, "retry_failed"), 0);
	assert_int_equal(k, PS_REQUEST_RETRY_FAILED);
	assert_int_equal(ps_request_kind_parse(&k, "reboot"), PS_EINVAL);
	assert_int_equal(ps_store_request_add(&id, f->st, PS_REQUEST_KIND_COUNT,
					      NULL, 1),
			 PS_EINVAL);
	assert_int_equal(ps_store_request_add(&id, f->st,
					      PS_REQUEST_RETRY_ENTRY, "42", 5),
			 0);
	assert_int_equal(ps_store_request_claim(&v, &n, f->st, 10, 6), 0);
	assert_int_equal(n, 1);
	assert_int_equal(v[0].kind, PS_REQUEST_RETRY_ENTRY);
	assert_string_equal(v[0].argument, "42");
	assert_int_equal(v[0].claimed_at, 6);
	ps_requests_free(v, n);
	assert_int_equal(ps_store_request_claim(&v, &n, f->st, 10, 7), 0);
	assert_int_equal(n, 0);
	assert_int_equal(ps_store_request_get(&r, f->st, id), 0);
	assert_int_equal(r.done_at, 0);
	ps_request_dispose(&r);
	assert_int_equal(ps_store_request_complete(f->st, id, "retried", 8), 0);
	assert_int_equal(ps_store_request_get(&r, f->st, id), 0);
	assert_int_equal(r.done_at, 8);
	assert_string_equal(r.result, "retried");
	ps_request_dispose(&r);
	assert_int_equal(ps_store_request_get(&r, f->st, 77), PS_ENOTFOUND);
	assert_int_equal(ps_store_request_complete(f->st, 77, NULL, 8),
			 PS_ENOTFOUND);
}

static void
test_store__heartbeat_is_one_row(void **state)
{
	struct fixture *f = *state;
	ps_heartbeat hb, got;

	open_ok(f);
	assert_int_equal(ps_store_heartbeat_get(&got, f->st), PS_ENOTFOUND);
	ps_heartbeat_init(&hb);
	hb.pid = 123;
	hb.started_at = 1000;
	hb.beat_at = 1000;
	hb.state = (char *)"running";
	assert_int_equal(ps_store_heartbeat_set(f->st, &hb), 0);
	hb.beat_at = 2000;
	hb.state = (char *)"stopping";
	assert_int_equal(ps_store_heartbeat_set(f->st, &hb), 0);
	assert_int_equal(ps_store_heartbeat_get(&got, f->st), 0);
	assert_int_equal(got.pid, 123);
	assert_int_equal(got.started_at, 1000);
	assert_int_equal(got.beat_at, 2000);
	assert_string_equal(got.state, "stopping");
	ps_heartbeat_dispose(&got);
}

struct http_sum {
	int rows;
	int64_t sum;
};

static int
sum_http(int64_t bucket, ps_platform platform, const char *endpoint,
	 const char *outcome, int64_t count, void *payload)
{
	struct http_sum *s = payload;

	(void)bucket;
	(void)platform;
	(void)endpoint;
	(void)outcome;
	s->rows++;
	s->sum += count;
	return 0;
}

static int
stop_at_first(int64_t bucket, ps_platform platform, const char *endpoint,
	      const char *outcome, int64_t count, void *payload)
{
	(void)bucket;
	(void)platform;
	(void)endpoint;
	(void)outcome;
	(void)count;
	(void)payload;
	return 17;
}

static void
test_store__http_counters_add_up(void **state)
{
	struct fixture *f = *state;
	struct http_sum s = {0, 0};

	open_ok(f);
	assert_int_equal(
		ps_store_http_count_add(f->st, 3600000, PS_PLATFORM_BRIGHTPEARL,
					"GET /order-service/order", "2xx", 3),
		0);
	assert_int_equal(
		ps_store_http_count_add(f->st, 3600000, PS_PLATFORM_BRIGHTPEARL,
					"GET /order-service/order", "2xx", 4),
		0);
	assert_int_equal(ps_store_http_count_add(f->st, 0,
						 PS_PLATFORM_BIGCOMMERCE,
						 "GET /v2/orders", "429", 1),
			 0);
	assert_int_equal(ps_store_http_count_add(f->st, 0,
						 PS_PLATFORM_BIGCOMMERCE, "",
						 "429", 1),
			 PS_EINVAL);
	assert_int_equal(
		ps_store_http_count_foreach(f->st, 3600000, sum_http, &s), 0);
	assert_int_equal(s.rows, 1);
	assert_int_equal(s.sum, 7);
	s.rows = 0;
	s.sum = 0;
	assert_int_equal(ps_store_http_count_foreach(f->st, 0, sum_http, &s),
			 0);
	assert_int_equal(s.rows, 2);
	assert_int_equal(s.sum, 8);
	assert_int_equal(
		ps_store_http_count_foreach(f->st, 0, stop_at_first, NULL), 17);
}

static void
test_store__cache_keeps_latest_value(void **state)
{
	struct fixture *f = *state;
	char *json = NULL;
	int64_t at = 0;

	open_ok(f);
	assert_int_equal(ps_store_cache_get(&json, &at, f->st, "bp.warehouses"),
			 PS_ENOTFOUND);
	assert_int_equal(ps_store_cache_set(f->st, "bp.warehouses", "[1]", 5),
			 0);
	assert_int_equal(ps_store_cache_set(f->st, "bp.warehouses", "[1,2]", 6),
			 0);
	assert_int_equal(ps_store_cache_get(&json, &at, f->st, "bp.warehouses"),
			 0);
	assert_string_equal(json, "[1,2]");
	assert_int_equal(at, 6);
	free(json);
}

static void
test_store__contact_directory_finds_lowest_id_and_moves(void **state)
{
	struct fixture *f = *state;
	ps_store_contact c;

	open_ok(f);
	assert_int_equal(contact_id(f->st, "acme", "ada@example.com"), 0);
	assert_int_equal(contact_count(f->st, "acme"), 0);

	/* any case in, lower case kept; names and phone come back */
	assert_int_equal(ps_store_contact_put(f->st, "acme", "Ada@Example.COM",
					      20, "Ada", "Lovelace", "0123"),
			 0);
	assert_int_equal(
		ps_store_contact_find(&c, f->st, "acme", "ADA@example.com"), 0);
	assert_int_equal(c.id, 20);
	assert_string_equal(c.first_name, "Ada");
	assert_string_equal(c.last_name, "Lovelace");
	assert_string_equal(c.telephone, "0123");
	ps_store_contact_dispose(&c);
	assert_null(c.first_name);
	ps_store_contact_dispose(NULL);

	/* a shared email: the lowest id wins whatever the order of puts */
	assert_int_equal(ps_store_contact_put(f->st, "acme", "ada@example.com",
					      30, "Ada", "Two", NULL),
			 0);
	assert_int_equal(contact_id(f->st, "acme", "ada@example.com"), 20);
	assert_int_equal(ps_store_contact_put(f->st, "acme", "ada@example.com",
					      10, NULL, NULL, NULL),
			 0);
	assert_int_equal(
		ps_store_contact_find(&c, f->st, "acme", "ada@example.com"), 0);
	assert_int_equal(c.id, 10);
	assert_null(c.first_name); /* unknown names stay NULL */
	assert_null(c.telephone);
	ps_store_contact_dispose(&c);
	assert_int_equal(contact_count(f->st, "acme"), 3);

	/* a refresh of the same id replaces its names */
	assert_int_equal(ps_store_contact_put(f->st, "acme", "ada@example.com",
					      20, "Augusta", "King", "999"),
			 0);
	assert_int_equal(contact_count(f->st, "acme"), 3);

	/* id 10 seen again under another email moves; 20 is next in line */
	assert_int_equal(ps_store_contact_put(f->st, "acme", "ADA@new.example",
					      10, "Ada", NULL, NULL),
			 0);
	assert_int_equal(contact_id(f->st, "acme", "ada@new.example"), 10);
	assert_int_equal(
		ps_store_contact_find(&c, f->st, "acme", "ada@example.com"), 0);
	assert_int_equal(c.id, 20);
	assert_string_equal(c.first_name, "Augusta");
	assert_string_equal(c.telephone, "999");
	ps_store_contact_dispose(&c);
	assert_int_equal(contact_count(f->st, "acme"), 3);

	/* a contact without an email any more cannot be found by it */
	assert_int_equal(
		ps_store_contact_put(f->st, "acme", NULL, 20, NULL, NULL, NULL),
		0);
	assert_int_equal(contact_id(f->st, "acme", "ada@example.com"), 30);
	assert_int_equal(
		ps_store_contact_put(f->st, "acme", "", 30, NULL, NULL, NULL),
		0);
	assert_int_equal(contact_id(f->st, "acme", "ada@example.com"), 0);
	assert_string_equal(ps_error_last(),
			    "no Brightpearl contact with email "
			    "'ada@example.com' in the directory of 'acme'");
	assert_int_equal(contact_count(f->st, "acme"), 1);

	/* bad arguments */
	assert_int_equal(
		ps_store_contact_put(f->st, "", "a@b.c", 1, NULL, NULL, NULL),
		PS_EINVAL);
	assert_int_equal(ps_store_contact_put(f->st, "acme", "a@b.c", 0, NULL,
					      NULL, NULL),
			 PS_EINVAL);
	assert_int_equal(ps_store_contact_put(NULL, "acme", "a@b.c", 1, NULL,
					      NULL, NULL),
			 PS_EINVAL);
	assert_int_equal(ps_store_contact_find(&c, f->st, "acme", ""),
			 PS_EINVAL);
	assert_int_equal(ps_store_contact_find(&c, f->st, NULL, "a@b.c"),
			 PS_EINVAL);
	assert_int_equal(ps_store_contact_count(NULL, f->st, "acme"),
			 PS_EINVAL);
	assert_int_equal(ps_store_contact_clear(f->st, ""), PS_EINVAL);
	assert_int_equal(contact_count(f->st, "acme"), 1);
}

static void
test_store__contact_get_by_id(void **state)
{
	struct fixture *f = *state;
	ps_store_contact c;

	open_ok(f);
	assert_int_equal(ps_store_contact_get(&c, f->st, "acme", 20),
			 PS_ENOTFOUND);
	assert_int_equal(c.id, 0);
	assert_null(c.email);
	assert_string_equal(ps_error_last(), "no Brightpearl contact 20 in the "
					     "directory of 'acme'");
	assert_int_equal(ps_store_contact_put(f->st, "acme", "Kim@Example.com",
					      20, "Kim", NULL, "555"),
			 0);
	assert_int_equal(ps_store_contact_get(&c, f->st, "acme", 20), 0);
	assert_int_equal(c.id, 20);
	assert_string_equal(c.email, "kim@example.com");
	assert_string_equal(c.first_name, "Kim");
	assert_null(c.last_name);
	assert_string_equal(c.telephone, "555");
	ps_store_contact_dispose(&c);
	assert_null(c.email);
	/* the email lookup fills it too */
	assert_int_equal(
		ps_store_contact_find(&c, f->st, "acme", "KIM@example.com"), 0);
	assert_string_equal(c.email, "kim@example.com");
	ps_store_contact_dispose(&c);
	/* another account's directory, and a contact that left it */
	assert_int_equal(ps_store_contact_get(&c, f->st, "other", 20),
			 PS_ENOTFOUND);
	assert_int_equal(
		ps_store_contact_put(f->st, "acme", NULL, 20, NULL, NULL, NULL),
		0);
	assert_int_equal(ps_store_contact_get(&c, f->st, "acme", 20),
			 PS_ENOTFOUND);
	assert_int_equal(ps_store_contact_get(NULL, f->st, "acme", 20),
			 PS_EINVAL);
	assert_int_equal(ps_store_contact_get(&c, NULL, "acme", 20), PS_EINVAL);
	assert_int_equal(ps_store_contact_get(&c, f->st, "", 20), PS_EINVAL);
}

static void
test_store__contact_directories_are_per_account(void **state)
{
	struct fixture *f = *state;
	sqlite3 *db = NULL;
	sqlite3_stmt *s = NULL;
	char plan[512] = "";
	int64_t i;
	char email[64];

	open_ok(f);
	assert_int_equal(ps_store_begin(f->st), 0);
	for (i = 1; i <= 50; i++) {
		snprintf(email, sizeof(email), "c%lld@example.com",
			 (long long)i);
		assert_int_equal(ps_store_contact_put(f->st, "acme", email, i,
						      NULL, NULL, NULL),
				 0);
		assert_int_equal(ps_store_contact_put(f->st, "other", email,
						      1000 + i, NULL, NULL,
						      NULL),
				 0);
	}
	assert_int_equal(ps_store_commit(f->st), 0);
	assert_int_equal(contact_id(f->st, "acme", "c7@example.com"), 7);
	assert_int_equal(contact_id(f->st, "other", "C7@example.com"), 1007);
	assert_int_equal(contact_id(f->st, "third", "c7@example.com"), 0);
	assert_int_equal(contact_count(f->st, "acme"), 50);
	assert_int_equal(contact_count(f->st, "other"), 50);

	/* the same id in two accounts is two contacts */
	assert_int_equal(ps_store_contact_put(f->st, "other", "x@example.com",
					      7, NULL, NULL, NULL),
			 0);
	assert_int_equal(contact_id(f->st, "acme", "c7@example.com"), 7);
	assert_int_equal(contact_id(f->st, "other", "x@example.com"), 7);

	/* the lookup is an index search, not a scan */
	assert_int_equal(
		sqlite3_open_v2(f->db.path, &db, SQLITE_OPEN_READONLY, NULL),
		SQLITE_OK);
	assert_int_equal(
		sqlite3_prepare_v2(db,
				   "EXPLAIN QUERY PLAN SELECT id, first_name,"
				   " last_name, telephone FROM bp_contacts"
				   " WHERE account = 'acme'"
				   " AND email = 'c7@example.com'"
				   " ORDER BY id LIMIT 1",
				   -1, &s, NULL),
		SQLITE_OK);
	while (sqlite3_step(s) == SQLITE_ROW) {
		strncat(plan, (const char *)sqlite3_column_text(s, 3),
			sizeof(plan) - strlen(plan) - 2);
		strncat(plan, "\n", sizeof(plan) - strlen(plan) - 1);
	}
	sqlite3_finalize(s);
	sqlite3_close(db);
	assert_non_null(strstr(plan, "(account=? AND email=?)"));
	assert_null(strstr(plan, "TEMP B-TREE"));

	/* clearing one account leaves the other; NULL clears every one */
	assert_int_equal(ps_store_contact_clear(f->st, "acme"), 0);
	assert_int_equal(contact_count(f->st, "acme"), 0);
	assert_int_equal(contact_count(f->st, "other"), 51);
	assert_int_equal(ps_store_contact_clear(f->st, NULL), 0);
	assert_int_equal(contact_count(f->st, "other"), 0);
}

static void
test_store__status_names_round_trip(void **state)
{
	ps_entry_status s;
	int i;

	(void)state;
	for (i = 0; i < PS_ENTRY_STATUS_COUNT; i++) {
		assert_int_equal(
			ps_entry_status_parse(
				&s, ps_entry_status_name((ps_entry_status)i)),
			0);
		assert_int_equal(s, i);
	}
	assert_string_equal(ps_entry_status_name(PS_ENTRY_STATUS_COUNT), "?");
	assert_int_equal(ps_entry_status_parse(&s, NULL), PS_EINVAL);
	assert_int_equal(ps_entry_status_parse(&s, "done"), PS_EINVAL);
}

static void
test_store__written_remembers_the_last_write_per_field(void **state)
{
	struct fixture *f = *state;

	open_ok(f);
	/* never written: not ours */
	assert_int_equal(ps_store_written_is(f->st, PS_PLATFORM_BIGCOMMERCE,
					     "order", "7", "status", "2"),
			 0);
	assert_int_equal(ps_store_written_set(f->st, PS_PLATFORM_BIGCOMMERCE,
					      "order", "7", "status", "2",
					      "status_export_bc", 1),
			 0);
	assert_int_equal(ps_store_written_is(f->st, PS_PLATFORM_BIGCOMMERCE,
					     "order", "7", "status", "2"),
			 1);
	/* another value, field, object or platform is not the write */
	assert_int_equal(ps_store_written_is(f->st, PS_PLATFORM_BIGCOMMERCE,
					     "order", "7", "status", "3"),
			 0);
	assert_int_equal(ps_store_written_is(f->st, PS_PLATFORM_BIGCOMMERCE,
					     "order", "7", "staff_notes", "2"),
			 0);
	assert_int_equal(ps_store_written_is(f->st, PS_PLATFORM_BIGCOMMERCE,
					     "order", "8", "status", "2"),
			 0);
	assert_int_equal(ps_store_written_is(f->st, PS_PLATFORM_BRIGHTPEARL,
					     "order", "7", "status", "2"),
			 0);
	/* the last write replaces the one before */
	assert_int_equal(
		ps_store_written_int_set(f->st, PS_PLATFORM_BIGCOMMERCE,
					 "order", 7, "status", 10, NULL, 2),
		0);
	assert_int_equal(ps_store_written_int_is(f->st, PS_PLATFORM_BIGCOMMERCE,
						 "order", 7, "status", 10),
			 1);
	assert_int_equal(ps_store_written_int_is(f->st, PS_PLATFORM_BIGCOMMERCE,
						 "order", 7, "status", 2),
			 0);
	/* seen: our value is an echo and stays remembered; another value
	 * makes the write history, so coming back to it is not an echo */
	assert_int_equal(ps_store_written_int_seen(f->st,
						   PS_PLATFORM_BIGCOMMERCE,
						   "order", 7, "status", 10),
			 1);
	assert_int_equal(ps_store_written_int_seen(f->st,
						   PS_PLATFORM_BIGCOMMERCE,
						   "order", 7, "status", 10),
			 1);
	assert_int_equal(ps_store_written_int_seen(f->st,
						   PS_PLATFORM_BIGCOMMERCE,
						   "order", 7, "status", 5),
			 0);
	assert_int_equal(ps_store_written_int_seen(f->st,
						   PS_PLATFORM_BIGCOMMERCE,
						   "order", 7, "status", 10),
			 0);
	/* NULL and "" are one value; bad arguments are refused */
	assert_int_equal(ps_store_written_set(f->st, PS_PLATFORM_BIGCOMMERCE,
					      "order", "7", "staff_notes", NULL,
					      NULL, 3),
			 0);
	assert_int_equal(ps_store_written_is(f->st, PS_PLATFORM_BIGCOMMERCE,
					     "order", "7", "staff_notes", ""),
			 1);
	assert_int_equal(ps_store_written_is(NULL, PS_PLATFORM_BIGCOMMERCE,
					     "order", "7", "status", "2"),
			 PS_EINVAL);
	assert_int_equal(ps_store_written_set(f->st, PS_PLATFORM_MAX, "order",
					      "7", "status", "2", NULL, 1),
			 PS_EINVAL);
	assert_int_equal(ps_store_written_set(f->st, PS_PLATFORM_BIGCOMMERCE,
					      "", "7", "status", "2", NULL, 1),
			 PS_EINVAL);
}

/*
 * Opening the database a second time in the same process (the worker's
 * listener does) must leave the first connection's locks alone: with them
 * gone, a third connection's close would checkpoint and delete the WAL the
 * first one still uses.
 */
static void
test_store__second_open_keeps_the_first_connections_wal(void **state)
{
	struct fixture *f = *state;
	ps_store *second = NULL;
	char wal[160], *v = NULL;
	struct stat sb;
	int wstatus = 0;
	pid_t pid;

	open_ok(f);
	assert_int_equal(ps_store_cursor_set(f->st, "s", "1", 1), 0);
	assert_int_equal(ps_store_open(&second, f->db.path, 0), 0);
	ps_store_close(second);
	/* another process's connection, as a CLI command would open it:
	 * its close checkpoints and deletes the WAL when it can lock the
	 * file exclusively, which our live connection must prevent */
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		/* a fresh image: a forked SQLite would share our lock table */
		execl("/proc/self/exe", "test_store", "--write-cursor",
		      f->db.path, (char *)NULL);
		_exit(127);
	}
	assert_int_equal(waitpid(pid, &wstatus, 0), pid);
	assert_true(WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0);
	snprintf(wal, sizeof(wal), "%s-wal", f->db.path);
	assert_int_equal(stat(wal, &sb), 0);
	assert_int_equal(ps_store_cursor_get(&v, NULL, f->st, "s"), 0);
	assert_string_equal(v, "2");
	free(v);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

/* The other process of the WAL test: set cursor "s" to "2" and close. */
static int
write_cursor(const char *path)
{
	ps_store *st = NULL;
	int ok = ps_store_open(&st, path, 0) == 0 &&
		 ps_store_cursor_set(st, "s", "2", 2) == 0;

	ps_store_close(st);
	return ok ? 0 : 1;
}

/* Kind and subject: stored, read back by get, list and claim, filtered. */
static void
test_store__log_kind_and_subject_round_trip(void **state)
{
	struct fixture *f = *state;
	ps_log_query q = PS_LOG_QUERY_INIT;
	ps_log_entry e, *v = NULL;
	char buf[64];
	size_t n = 0;
	int64_t id = 0, plain;

	open_ok(f);
	ps_log_entry_init(&e);
	e.flow = (char *)"notes_bc";
	e.dedupe_key = (char *)"bp:note:45:order:123:bc";
	e.kind = (char *)"note.copy";
	e.subject = (char *)"45";
	e.subject_order = (char *)"123";
	e.source_platform = PS_PLATFORM_BRIGHTPEARL;
	e.target_platform = PS_PLATFORM_BIGCOMMERCE;
	e.source_id = (char *)"45";
	assert_int_equal(ps_store_log_add(&id, f->st, &e, 10), 0);
	plain = add_entry(f->st, "order_import_bc", "no-kind", 11);

	assert_int_equal(ps_store_log_get(&e, f->st, id), 0);
	assert_string_equal(e.kind, "note.copy");
	assert_string_equal(e.subject, "45");
	assert_string_equal(e.subject_order, "123");
	assert_true(ps_log_entry_is(&e, "note.copy"));
	assert_false(ps_log_entry_is(&e, "note"));
	assert_string_equal(ps_log_entry_subject(buf, sizeof(buf), &e),
			    "note 45 of order 123");
	assert_string_equal(ps_log_entry_describe(buf, sizeof(buf), &e),
			    "copy note 45 of order 123");
	/* cut to the buffer, always terminated */
	assert_string_equal(ps_log_entry_describe(buf, 8, &e), "copy no");
	ps_log_entry_dispose(&e);
	/* an entry recorded without them reads "" (never NULL) */
	assert_int_equal(ps_store_log_get(&e, f->st, plain), 0);
	assert_non_null(e.kind);
	assert_string_equal(e.kind, "");
	assert_string_equal(e.subject, "");
	assert_string_equal(e.subject_order, "");
	assert_string_equal(ps_log_entry_subject(buf, sizeof(buf), &e), "");
	assert_string_equal(ps_log_entry_describe(buf, sizeof(buf), &e), "");
	assert_false(ps_log_entry_is(&e, "note.copy"));
	ps_log_entry_dispose(&e);
	/* a kind without a subject names its object */
	ps_log_entry_init(&e);
	e.kind = (char *)"inventory.reconcile";
	e.subject = (char *)"";
	assert_string_equal(ps_log_entry_describe(buf, sizeof(buf), &e),
			    "reconcile inventory");
	e.kind = (char *)"order.import";
	e.subject = (char *)"1001";
	assert_string_equal(ps_log_entry_describe(buf, sizeof(buf), &e),
			    "import order 1001");

	/* set_fields fills a missing order, "" keeps it */
	ps_log_entry_init(&e);
	e.subject_order = (char *)"";
	assert_int_equal(ps_store_log_set_fields(f->st, id, &e, 12), 0);
	e.subject_order = (char *)"777";
	assert_int_equal(ps_store_log_set_fields(f->st, plain, &e, 12), 0);
	assert_int_equal(ps_store_log_get(&e, f->st, id), 0);
	assert_string_equal(e.subject_order, "123");
	ps_log_entry_dispose(&e);
	assert_int_equal(ps_store_log_get(&e, f->st, plain), 0);
	assert_string_equal(e.subject_order, "777");
	assert_string_equal(e.kind, "");
	ps_log_entry_dispose(&e);

	/* the listing filters on kind, alone and with text and flow */
	q.kind = "note.copy";
	assert_int_equal(ps_store_log_list(&v, &n, f->st, &q), 0);
	assert_int_equal(n, 1);
	assert_int_equal(v[0].id, id);
	assert_string_equal(v[0].subject, "45");
	ps_log_entries_free(v, n);
	q.text = "no-kind";
	assert_int_equal(ps_store_log_list(&v, &n, f->st, &q), 0);
	assert_int_equal(n, 0);
	q.kind = "";
	q.flow = "order_import_bc";
	assert_int_equal(ps_store_log_list(&v, &n, f->st, &q), 0);
	assert_int_equal(n, 1);
	assert_int_equal(v[0].id, plain);
	ps_log_entries_free(v, n);

	/* claim carries them to the flow */
	assert_int_equal(
		ps_store_log_claim_due(&v, &n, f->st, "notes_bc", 10, 20), 0);
	assert_int_equal(n, 1);
	assert_string_equal(v[0].kind, "note.copy");
	assert_string_equal(v[0].subject, "45");
	assert_string_equal(v[0].subject_order, "123");
	ps_log_entries_free(v, n);
}

/*
 * Version 9 back-fills kind and subject of the rows written before it
 * from their dedupe keys; keys of no known shape keep "".
 */
static void
test_store__log_kind_back_filled_from_old_keys(void **state)
{
	static const struct {
		const char *flow, *key, *kind, *subject, *order;
	} rows[] = {
		{"order_import_bc", "bc:order:1001:import", "order.import",
		 "1001", ""},
		{"order_import_bc", "bc:order:1002:status:11", "order.status",
		 "1002", ""},
		{"order_import_bc", "bc:order:1002:status:ev7", "order.status",
		 "1002", ""},
		{"order_import_bc", "bc:order:1003:notes:0a1b2c3d",
		 "order.notes", "1003", ""},
		{"order_import_bc", "bc:order:1004:address:0a1b2c3d",
		 "order.address", "1004", ""},
		{"order_import_bc", "bc:order:1005:updated:1767225600",
		 "order.edit", "1005", ""},
		{"order_import_bc", "bc:order:1006:updated:ev9", "order.edit",
		 "1006", ""},
		{"order_import_bc", "bc:order:1007:unreadable:00ff00ff",
		 "order.edit", "1007", ""},
		{"notes_bc", "bp:note:45:order:123:bc", "note.copy", "45",
		 "123"},
		{"notes_bc", "bc:order:1008:notes:1", "order.notes", "1008",
		 ""},
		{"shipment_export_bc", "bp:gon:9:shipment",
		 "goods-out-note.ship", "9", ""},
		{"shipment_export_bc", "bp:order:124:ship-on-status:s8",
		 "order.ship", "124", ""},
		{"shipment_export_bc", "bp:order:125:ship-on-status:ev3",
		 "order.ship", "125", ""},
		{"status_export_bc", "bp:order:126:status:s4", "order.status",
		 "126", ""},
		{"status_export_bc", "bp:order:127:status:ev5", "order.status",
		 "127", ""},
		{"inventory_export_bc", "bp:stock:1010:ev12", "product.stock",
		 "1010", ""},
		{"inventory_export_bc", "inventory:reconcile:1767225600000",
		 "inventory.reconcile", "", ""},
		/* shapes no flow writes stay unclassified */
		{"order_import_bc", "bc:order:1009", "", "", ""},
		{"shipment_export_bc", "bp:goods-out:77", "", "", ""},
		{"order_import_bc", "bc:order:x:import", "", "", ""},
	};
	struct fixture *f = *state;
	ps_log_entry e;
	size_t i;

	assert_int_equal(ps_store__open_at_version(&f->st, f->db.path, 9), 0);
	for (i = 0; i < PS__ARRAY_LEN(rows); i++)
		add_old_entry(f->st, rows[i].flow, rows[i].key, 5);
	ps_store_close(f->st);
	f->st = NULL;
	open_ok(f);
	for (i = 0; i < PS__ARRAY_LEN(rows); i++) {
		assert_int_equal(
			ps_store_log_get_by_key(&e, f->st, rows[i].key), 0);
		if (strcmp(e.kind, rows[i].kind) != 0 ||
		    strcmp(e.subject, rows[i].subject) != 0 ||
		    strcmp(e.subject_order, rows[i].order) != 0)
			fail_msg("%s: kind '%s' subject '%s' order '%s'",
				 rows[i].key, e.kind, e.subject,
				 e.subject_order);
		/* the key itself is untouched: it still dedupes */
		assert_string_equal(e.dedupe_key, rows[i].key);
		ps_log_entry_dispose(&e);
	}
	assert_int_equal(
		add_entry_rc(f->st, "notes_bc", "bp:note:45:order:123:bc"), 1);
}

/* Budgets: typed rows; version 7 drops the old JSON rows of the cache. */
static void
test_store__budgets_replace_the_rate_limit_cache(void **state)
{
	struct fixture *f = *state;
	ps_store_budget *v = NULL;
	size_t n = 0;
	char *json = NULL;

	assert_int_equal(ps_store__open_at_version(&f->st, f->db.path, 6), 0);
	assert_int_equal(ps_store_cache_set(f->st, "bp.rate_limit",
					    "{\"remaining\":3}", 5),
			 0);
	assert_int_equal(ps_store_cache_set(f->st, "bp.warehouses", "[]", 5),
			 0);
	ps_store_close(f->st);
	f->st = NULL;
	open_ok(f);
	assert_int_equal(
		ps_store_cache_get(&json, NULL, f->st, "bp.rate_limit"),
		PS_ENOTFOUND);
	assert_int_equal(
		ps_store_cache_get(&json, NULL, f->st, "bp.warehouses"), 0);
	free(json);
	assert_int_equal(ps_store_budget_set(f->st, PS_PLATFORM_BIGCOMMERCE,
					     "store", 140, 150, "requests", 10),
			 0);
	assert_int_equal(ps_store_budget_set(f->st, PS_PLATFORM_BRIGHTPEARL,
					     "acme", 12, -1, "requests", 20),
			 0);
	assert_int_equal(ps_store_budget_set(f->st, PS_PLATFORM_BIGCOMMERCE,
					     "store", 139, 150, "requests", 30),
			 0);
	assert_int_equal(ps_store_budget_list(&v, &n, f->st), 0);
	assert_int_equal(n, 2);
	assert_int_equal(v[0].platform, PS_PLATFORM_BRIGHTPEARL);
	assert_string_equal(v[0].account, "acme");
	assert_int_equal(v[0].remaining, 12);
	assert_int_equal(v[0].quota, -1);
	assert_int_equal(v[1].platform, PS_PLATFORM_BIGCOMMERCE);
	assert_int_equal(v[1].remaining, 139);
	assert_int_equal(v[1].quota, 150);
	assert_string_equal(v[1].unit, "requests");
	assert_int_equal(v[1].updated_at, 30);
	ps_store_budgets_free(v, n);
	assert_int_equal(ps_store_budget_set(f->st,
					     (ps_platform)PS_PLATFORM_MAX, "x",
					     1, 1, "requests", 1),
			 PS_EINVAL);
}

/* Collects a key's history rows as "version actor old->new" lines. */
static int
collect_change(const ps_setting_change *ch, void *payload)
{
	char *buf = payload;
	size_t len = strlen(buf);

	snprintf(buf + len, 512 - len, "%lld %s %s->%s\n",
		 (long long)ch->version, ch->actor, ch->key,
		 ch->new_value ? ch->new_value : "(unset)");
	return 0;
}

static int
count_key(const char *path, const char *table, const char *key)
{
	char sql[256];
	sqlite3 *db = NULL;
	sqlite3_stmt *s = NULL;
	int n = -1;

	snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s WHERE key = ?",
		 table);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
	sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
	if (sqlite3_step(s) == SQLITE_ROW)
		n = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(db);
	return n;
}

/*
 * Version 8 moves the BigCommerce pair's settings under "bigcommerce.":
 * values and history rows (versions, actors, times kept); general and
 * DSCO keys stay as they are; a rollback across it restores under the new
 * key.
 */
static void
test_store__v8_renames_the_bigcommerce_pair_settings(void **state)
{
	static const char seed[] =
		"INSERT INTO settings VALUES"
		" ('orders.enabled', 'false', 20),"
		" ('defaults.warehouse_id', '2', 10),"
		" ('inventory.interval_minutes', '30', 10),"
		" ('sync.max_attempts', '5', 10),"
		" ('dsco.enabled', 'true', 10);"
		"INSERT INTO settings_history(version, at, key, old_value,"
		" new_value, actor) VALUES"
		" (1, 10, 'orders.enabled', NULL, 'true', 'cli'),"
		" (1, 10, 'defaults.warehouse_id', NULL, '2', 'cli'),"
		" (1, 10, 'inventory.interval_minutes', NULL, '30', 'cli'),"
		" (1, 10, 'sync.max_attempts', NULL, '5', 'cli'),"
		" (1, 10, 'dsco.enabled', NULL, 'true', 'cli'),"
		" (2, 20, 'orders.enabled', 'true', 'false', 'console');";
	struct fixture *f = *state;
	char hist[512] = "", *v = NULL;
	int64_t version = 0;
	sqlite3 *db = NULL;

	assert_int_equal(ps_store__open_at_version(&f->st, f->db.path, 8), 0);
	ps_store_close(f->st);
	f->st = NULL;
	assert_int_equal(sqlite3_open(f->db.path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, seed, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);

	open_ok(f);
	assert_int_equal(
		ps_store_setting_get(&v, f->st, "bigcommerce.orders.enabled"),
		0);
	assert_string_equal(v, "false");
	free(v);
	assert_int_equal(ps_store_setting_get(&v, f->st,
					      "bigcommerce.defaults."
					      "warehouse_id"),
			 0);
	assert_string_equal(v, "2");
	free(v);
	assert_int_equal(ps_store_setting_get(&v, f->st,
					      "bigcommerce.inventory."
					      "interval_minutes"),
			 0);
	assert_string_equal(v, "30");
	free(v);
	assert_int_equal(ps_store_setting_get(&v, f->st, "sync.max_attempts"),
			 0);
	assert_string_equal(v, "5");
	free(v);
	assert_int_equal(ps_store_setting_get(&v, f->st, "dsco.enabled"), 0);
	assert_string_equal(v, "true");
	free(v);
	v = NULL;
	assert_int_equal(count_key(f->db.path, "settings", "orders.enabled"),
			 0);
	assert_int_equal(
		count_key(f->db.path, "settings_history", "orders.enabled"), 0);
	assert_int_equal(count_key(f->db.path, "settings_history",
				   "defaults.warehouse_id"),
			 0);

	assert_int_equal(ps_store_setting_history_foreach(
				 f->st, "bigcommerce.orders.enabled",
				 collect_change, hist),
			 0);
	assert_string_equal(hist,
			    "2 console bigcommerce.orders.enabled->false\n"
			    "1 cli bigcommerce.orders.enabled->true\n");
	hist[0] = '\0';
	assert_int_equal(ps_store_setting_history_foreach(f->st,
							  "sync.max_attempts",
							  collect_change, hist),
			 0);
	assert_string_equal(hist, "1 cli sync.max_attempts->5\n");

	assert_int_equal(
		ps_store_settings_rollback(&version, f->st, 1, "cli", 30), 0);
	assert_int_equal(version, 3);
	assert_int_equal(
		ps_store_setting_get(&v, f->st, "bigcommerce.orders.enabled"),
		0);
	assert_string_equal(v, "true");
	free(v);
}

int
main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "--write-cursor") == 0)
		return write_cursor(argv[2]);
	const struct CMUnitTest tests[] = {
		T(test_store__open_rejects_null_and_empty),
		T(test_store__open_missing_file_with_no_create),
		T(test_store__creates_file_mode_0600_at_current_schema),
		T(test_store__tightens_mode_of_existing_file),
		T(test_store__refuses_newer_schema),
		T(test_store__refuses_a_file_that_is_not_a_database),
		T(test_store__upgrades_from_every_earlier_version),
		T(test_store__v8_renames_the_bigcommerce_pair_settings),
		T(test_store__log_kind_and_subject_round_trip),
		T(test_store__log_kind_back_filled_from_old_keys),
		T(test_store__readonly_open_reads_but_cannot_write),
		T(test_store__rolled_back_transaction_leaves_nothing),
		T(test_store__nested_rollback_undoes_only_inner_work),
		T(test_store__close_with_open_transaction_rolls_back),
		T(test_store__second_connection_reads_and_is_refused_writing),
		T(test_store__writer_waits_for_lock_within_busy_timeout),
		T(test_store__log_add_rejects_bad_entries),
		T(test_store__log_dedupe_key_inserts_once),
		T(test_store__log_claim_mark_retry_state_machine),
		T(test_store__log_due_peek_counts_without_claiming),
		T(test_store__log_set_fields_keeps_what_is_not_given),
		T(test_store__log_list_rejects_bad_queries),
		T(test_store__log_100k_entries_page_filter_and_count),
		T(test_store__log_text_search_pages_equal_brute_force),
		T(test_store__claim_due_uses_the_due_index),
		T(test_store__cursor_advances_with_its_entries_or_not_at_all),
		T(test_store__xrefs_are_symmetric_and_unique),
		T(test_store__events_claim_once_and_mark_processed),
		T(test_store__requests_flow_from_console_to_worker),
		T(test_store__heartbeat_is_one_row),
		T(test_store__http_counters_add_up),
		T(test_store__cache_keeps_latest_value),
		T(test_store__contact_directory_finds_lowest_id_and_moves),
		T(test_store__contact_get_by_id),
		T(test_store__contact_directories_are_per_account),
		T(test_store__status_names_round_trip),
		T(test_store__written_remembers_the_last_write_per_field),
		T(test_store__second_open_keeps_the_first_connections_wal),
		T(test_store__budgets_replace_the_rate_limit_cache),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
