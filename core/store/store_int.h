/*
 * store_int.h - what the files of core/store/ share, and the hooks the
 * unit tests use.  Nothing outside core/store and tests/unit includes it.
 */
#ifndef PEARLSYNC_STORE_PRIVATE_H
#define PEARLSYNC_STORE_PRIVATE_H

#include <sqlite3.h>

#include "internal.h"
#include "pearlsync/store.h"

/* One cached prepared statement, keyed by its SQL text. */
struct ps_store__stmt {
	char *sql;          /* owned copy */
	sqlite3_stmt *stmt; /* owned; finalised at close */
};

struct ps_store {
	sqlite3 *db;
	char *path; /* owned, for error details */
	int readonly;
	int depth;                    /* transaction nesting, 0 = none */
	struct ps_store__stmt *stmts; /* owned array */
	size_t nstmts, capstmts;
	/* index steps of ps_store_log_search; 0: PS_STORE_LOG_SEARCH_BUDGET */
	size_t search_budget;
};

/*
 * ps_store__set_search_budget - the steps ps_store_log_search may take on
 * st (0: the default), so a test can stop searches on a small log.
 */
void ps_store__set_search_budget(ps_store *st, size_t steps);

/*
 * ps_store__error - map a SQLite result code to a PS_E* code, recording an
 * operator-readable detail ("what: sqlite message (path)"), and return it.
 */
int ps_store__error(ps_store *st, int rc, const char *what);

/*
 * ps_store__prepare - the cached statement for sql (prepared on first use),
 * reset and with bindings cleared; a copy if the cached one is mid-walk.
 * Callers sqlite3_reset() it when done so no read snapshot is held.
 */
int ps_store__prepare(sqlite3_stmt **out, ps_store *st, const char *sql);

/* ps_store__exec - run SQL without results (schema, transactions). */
int ps_store__exec(ps_store *st, const char *sql, const char *what);

/* Binding helpers: NULL text binds SQL NULL.  Return 0 or PS_E*. */
int ps_store__bind_text(ps_store *st, sqlite3_stmt *s, int i, const char *v);
int ps_store__bind_int64(ps_store *st, sqlite3_stmt *s, int i, int64_t v);
/* binds NULL when v == 0 (times meaning "never") */
int ps_store__bind_time(ps_store *st, sqlite3_stmt *s, int i, int64_t v);

/* ps_store__step_done - step a write statement expecting SQLITE_DONE. */
int ps_store__step_done(ps_store *st, sqlite3_stmt *s, const char *what);

/*
 * ps_store__counts_each - step s, whose rows are (flow, status, n), handing
 * each to cb until it returns non-zero (returned); resets s.
 */
int ps_store__counts_each(ps_store *st, sqlite3_stmt *s,
			  ps_store_log_count_cb cb, void *payload,
			  const char *what);

/*
 * ps_store__column_dup - copy of a text column into *out (NULL for SQL
 * NULL).  PS_ENOMEM on allocation failure.
 */
int ps_store__column_dup(char **out, sqlite3_stmt *s, int i);

/* ps_store__check_name - non-empty text, else PS_EINVAL naming `what`. */
int ps_store__check_name(const char *value, const char *what);

/* ps_store__null_store - PS_EINVAL naming fn when st is NULL, else 0. */
int ps_store__null_store(ps_store *st, const char *fn);

/* ps_store__check_platform - PS_EINVAL unless p is a known platform. */
int ps_store__check_platform(ps_platform p);

/* ps_store__step_row - step a SELECT expected to yield one row;
 * PS_ENOTFOUND for none. */
int ps_store__step_row(ps_store *st, sqlite3_stmt *s, const char *what);

/*
 * The due-entry query of ps_store_log_claim_due (?1 now, ?2 flow or NULL,
 * ?3 limit).  next_attempt_at is non-NULL only on PENDING or FAILED rows;
 * the status test is a safeguard kept off the index ("+status") so the
 * planner walks log_due in due order.
 */
#define PS_STORE__CLAIM_SQL                                                    \
	"SELECT id FROM log_entries WHERE next_attempt_at IS NOT NULL"         \
	" AND next_attempt_at <= ?1 AND +status IN (0, 3)"                     \
	" AND (?2 IS NULL OR flow = ?2)"                                       \
	" ORDER BY next_attempt_at, id LIMIT ?3"

/*
 * ps_store__audit_operator - record an operator's request (what:
 * "retry") about entry_id in the audit trail (audit.c); _failed: about
 * every failed entry, of flow or all (NULL), before they are reset.
 */
int ps_store__audit_operator(ps_store *st, int64_t entry_id, const char *what,
			     int64_t now);
int ps_store__audit_operator_failed(ps_store *st, const char *flow,
				    const char *what, int64_t now);

/* ---- test hooks -------------------------------------------------------- */

/* Number of migrations this binary knows (== PS_STORE_SCHEMA_VERSION). */
int ps_store__migration_count(void);

/*
 * ps_store__open_at_version - like ps_store_open (read-write, create) but
 * migrate only up to version (0..PS_STORE_SCHEMA_VERSION), so tests can
 * build every earlier schema and then upgrade it.
 */
int ps_store__open_at_version(ps_store **out, const char *path, int version);

/* ps_store__set_busy_timeout - change the busy timeout (tests: short). */
int ps_store__set_busy_timeout(ps_store *st, int ms);

/*
 * ps_store__explain_log_list - the EXPLAIN QUERY PLAN of the statement
 * ps_store_log_list would run for q, details joined by "\n", into *out.
 */
int ps_store__explain_log_list(char **out, ps_store *st, const ps_log_query *q);

/* ps_store__exec_sql - run arbitrary SQL (tests only). */
int ps_store__exec_sql(ps_store *st, const char *sql);

#endif
