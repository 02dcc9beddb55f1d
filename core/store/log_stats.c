/*
 * log_stats.c - cheap figures about the sync log for monitoring: totals
 * by (flow, status) from the table the schema's triggers keep
 * (log_state_counts, migration 11) and by quarter hour of the last update
 * (log_recent, migration 14), and the age of the oldest or newest
 * entry of a flow in a status through the log's (flow, status, ...)
 * indexes, and the log by hour and flow (log_hourly, migration 12).  Each is a
 * few rows or one index seek, so `/metrics` can be scraped often against a log
 * of millions of entries.
 */
#include "store/store_int.h"

#include <string.h>

int
ps_store_log_state_counts(ps_store *st, ps_store_log_count_cb cb, void *payload)
{
	sqlite3_stmt *s = NULL;
	int error;

	if (st == NULL || cb == NULL)
		return ps_error_set(PS_EINVAL,
				    "ps_store_log_state_counts: NULL");
	if ((error = ps_store__prepare(&s, st,
				       "SELECT flow, status, n FROM"
				       " log_state_counts ORDER BY flow,"
				       " status")) < 0)
		return error;
	return ps_store__counts_each(st, s, cb, payload,
				     "reading the log's totals");
}

int
ps_store_log_recent_counts(ps_store *st, int64_t since,
			   ps_store_log_count_cb cb, void *payload)
{
	sqlite3_stmt *s = NULL;
	int error;

	if (st == NULL || cb == NULL)
		return ps_error_set(PS_EINVAL,
				    "ps_store_log_recent_counts: NULL");
	/* a range of the key, then a small GROUP BY over its rows */
	if ((error = ps_store__prepare(
		     &s, st,
		     "SELECT flow, status, SUM(n) FROM log_recent"
		     " WHERE quarter >= ?1 GROUP BY flow, status"
		     " HAVING SUM(n) > 0 ORDER BY flow, status")) < 0)
		return error;
	if ((error = ps_store__bind_int64(
		     st, s, 1, since > 0 ? since / 900000 : 0)) < 0) {
		sqlite3_reset(s);
		return error;
	}
	return ps_store__counts_each(st, s, cb, payload,
				     "reading the log's recent totals");
}

/* One int64 from sql, bound to (flow, status); PS_ENOTFOUND when NULL. */
static int
flow_status_value(int64_t *out, ps_store *st, const char *flow,
		  ps_entry_status status, const char *sql, const char *what)
{
	sqlite3_stmt *s = NULL;
	int error;

	*out = 0;
	if (st == NULL || flow == NULL)
		return ps_error_set(PS_EINVAL, "%s: NULL", what);
	if ((error = ps_store__prepare(&s, st, sql)) < 0)
		return error;
	if ((error = ps_store__bind_text(st, s, 1, flow)) < 0 ||
	    (error = ps_store__bind_int64(st, s, 2, status)) < 0)
		goto done;
	error = ps_store__step_row(st, s, what);
	if (error == 0 && sqlite3_column_type(s, 0) == SQLITE_NULL)
		error = ps_error_set(PS_ENOTFOUND, "no %s entry of flow %s",
				     ps_entry_status_name(status), flow);
	else if (error == 0)
		*out = sqlite3_column_int64(s, 0);
done:
	sqlite3_reset(s);
	return error;
}

int
ps_store_log_oldest(int64_t *out, ps_store *st, const char *flow,
		    ps_entry_status status)
{
	if (out == NULL)
		return ps_error_set(PS_EINVAL, "ps_store_log_oldest: NULL");
	/* log_flow_status(flow, status, id): the first key, then its row */
	return flow_status_value(out, st, flow, status,
				 "SELECT (SELECT inserted_at FROM log_entries"
				 " WHERE flow = ?1 AND status = ?2"
				 " ORDER BY id LIMIT 1)",
				 "finding the oldest entry");
}

int
ps_store_log_last_updated(int64_t *out, ps_store *st, const char *flow,
			  ps_entry_status status)
{
	if (out == NULL)
		return ps_error_set(PS_EINVAL,
				    "ps_store_log_last_updated: NULL");
	/* log_counts(flow, status, updated_at): index-only max */
	return flow_status_value(out, st, flow, status,
				 "SELECT MAX(updated_at) FROM log_entries"
				 " WHERE flow = ?1 AND status = ?2",
				 "finding the last update");
}

int
ps_store_log_hours(ps_store *st, int64_t from, int64_t to,
		   ps_store_log_hour_cb cb, void *payload)
{
	sqlite3_stmt *s = NULL;
	int error, rc;

	if (st == NULL || cb == NULL)
		return ps_error_set(PS_EINVAL, "ps_store_log_hours: NULL");
	if ((error = ps_store__prepare(
		     &s, st,
		     "SELECT hour, flow, orders, synced,"
		     " failed FROM log_hourly WHERE hour >= ?1"
		     " AND hour < ?2 ORDER BY hour, flow")) < 0)
		return error;
	if ((error = ps_store__bind_int64(st, s, 1, from)) < 0 ||
	    (error = ps_store__bind_int64(st, s, 2, to)) < 0)
		goto done;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *flow = (const char *)sqlite3_column_text(s, 1);

		if (cb(sqlite3_column_int64(s, 0), flow ? flow : "",
		       sqlite3_column_int64(s, 2), sqlite3_column_int64(s, 3),
		       sqlite3_column_int64(s, 4), payload) != 0)
			break;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		error = ps_store__error(st, rc, "reading the log by hour");
done:
	sqlite3_reset(s);
	return error;
}

int
ps_store_log_first_hour(int64_t *out, ps_store *st)
{
	sqlite3_stmt *s = NULL;
	int error;

	if (out == NULL || st == NULL)
		return ps_error_set(PS_EINVAL, "ps_store_log_first_hour: NULL");
	*out = 0;
	if ((error = ps_store__prepare(&s, st,
				       "SELECT MIN(hour) FROM log_hourly")) < 0)
		return error;
	error = ps_store__step_row(st, s, "finding the oldest hour");
	if (error == 0 && sqlite3_column_type(s, 0) == SQLITE_NULL)
		error = ps_error_set(PS_ENOTFOUND, "the log is empty");
	else if (error == 0)
		*out = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	return error;
}
