/*
 * worker_state.c - what the worker reports about itself and keeps between
 * runs: the heartbeat, the HTTP request counters and the cache of platform
 * values.
 */
#include "store/store_int.h"

#include <stdlib.h>
#include <string.h>

/* ---- heartbeat --------------------------------------------------------- */

void
ps_heartbeat_init(ps_heartbeat *hb)
{
	memset(hb, 0, sizeof(*hb));
}

void
ps_heartbeat_dispose(ps_heartbeat *hb)
{
	if (hb == NULL)
		return;
	free(hb->state);
	ps_heartbeat_init(hb);
}

int
ps_store_heartbeat_set(ps_store *st, const ps_heartbeat *hb)
{
	sqlite3_stmt *s;
	int error;

	if ((error = ps_store__null_store(st, "ps_store_heartbeat_set")) < 0)
		return error;
	if (hb == NULL)
		return ps_error_set(PS_EINVAL, "heartbeat is NULL");
	if ((error = ps_store__prepare(
		     &s, st,
		     "INSERT OR REPLACE INTO heartbeat(one, pid, started_at,"
		     " beat_at,"
		     " state) VALUES (1, ?, ?, ?, ?)")) < 0)
		return error;
	if ((error = ps_store__bind_int64(st, s, 1, hb->pid)) < 0 ||
	    (error = ps_store__bind_int64(st, s, 2, hb->started_at)) < 0 ||
	    (error = ps_store__bind_int64(st, s, 3, hb->beat_at)) < 0 ||
	    (error = ps_store__bind_text(st, s, 4,
					 hb->state ? hb->state : "")) < 0) {
		sqlite3_reset(s);
		return error;
	}
	return ps_store__step_done(st, s, "writing the heartbeat");
}

int
ps_store_heartbeat_get(ps_heartbeat *out, ps_store *st)
{
	sqlite3_stmt *s;
	int error;

	if (out == NULL)
		return ps_error_set(PS_EINVAL, "heartbeat out is NULL");
	ps_heartbeat_init(out);
	if ((error = ps_store__null_store(st, "ps_store_heartbeat_get")) < 0)
		return error;
	if ((error = ps_store__prepare(
		     &s, st,
		     "SELECT pid, started_at, beat_at, state FROM heartbeat")) <
	    0)
		return error;
	error = ps_store__step_row(st, s, "reading the heartbeat");
	if (error == 0) {
		out->pid = sqlite3_column_int64(s, 0);
		out->started_at = sqlite3_column_int64(s, 1);
		out->beat_at = sqlite3_column_int64(s, 2);
		error = ps_store__column_dup(&out->state, s, 3);
	} else if (error == PS_ENOTFOUND) {
		ps_error_set(PS_ENOTFOUND, "the worker has never run");
	}
	sqlite3_reset(s);
	return error;
}

/* ---- HTTP counters ----------------------------------------------------- */

int
ps_store_http_count_add(ps_store *st, int64_t bucket, ps_platform platform,
			const char *endpoint, const char *outcome,
			int64_t count)
{
	sqlite3_stmt *s;
	int error;

	if ((error = ps_store__null_store(st, "ps_store_http_count_add")) < 0 ||
	    (error = ps_store__check_platform(platform)) < 0 ||
	    (error = ps_store__check_name(endpoint, "endpoint")) < 0 ||
	    (error = ps_store__check_name(outcome, "outcome")) < 0)
		return error;
	if ((error = ps_store__prepare(
		     &s, st,
		     "INSERT INTO http_counters(bucket, platform, endpoint,"
		     " outcome,"
		     " count) VALUES (?1, ?2, ?3, ?4, ?5)"
		     " ON CONFLICT(bucket, platform, endpoint, outcome)"
		     " DO UPDATE SET count = count + ?5")) < 0)
		return error;
	if ((error = ps_store__bind_int64(st, s, 1, bucket)) < 0 ||
	    (error = ps_store__bind_int64(st, s, 2, platform)) < 0 ||
	    (error = ps_store__bind_text(st, s, 3, endpoint)) < 0 ||
	    (error = ps_store__bind_text(st, s, 4, outcome)) < 0 ||
	    (error = ps_store__bind_int64(st, s, 5, count)) < 0) {
		sqlite3_reset(s);
		return error;
	}
	return ps_store__step_done(st, s, "counting HTTP requests");
}

int
ps_store_http_count_foreach(ps_store *st, int64_t since,
			    ps_store_http_count_cb cb, void *payload)
{
	sqlite3_stmt *s;
	int rc, error;

	if (st == NULL || cb == NULL)
		return ps_error_set(PS_EINVAL, "http count foreach: NULL");
	if ((error = ps_store__prepare(
		     &s, st,
		     "SELECT bucket, platform, endpoint, outcome, count"
		     " FROM http_counters WHERE bucket >= ?"
		     " ORDER BY bucket, platform, endpoint, outcome")) < 0)
		return error;
	if ((error = ps_store__bind_int64(st, s, 1, since)) < 0)
		goto done;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		error = cb(sqlite3_column_int64(s, 0),
			   (ps_platform)sqlite3_column_int(s, 1),
			   (const char *)sqlite3_column_text(s, 2),
			   (const char *)sqlite3_column_text(s, 3),
			   sqlite3_column_int64(s, 4), payload);
		if (error != 0)
			goto done;
	}
	if (rc != SQLITE_DONE)
		error = ps_store__error(st, rc, "reading HTTP counters");
done:
	sqlite3_reset(s);
	return error;
}

/* ---- cache ------------------------------------------------------------- */

int
ps_store_cache_set(ps_store *st, const char *kind, const char *json,
		   int64_t now)
{
	sqlite3_stmt *s;
	int error;

	if ((error = ps_store__null_store(st, "ps_store_cache_set")) < 0 ||
	    (error = ps_store__check_name(kind, "cache kind")) < 0)
		return error;
	if (json == NULL)
		return ps_error_set(PS_EINVAL, "cache value is NULL");
	if ((error = ps_store__prepare(
		     &s, st,
		     "INSERT OR REPLACE INTO cache(kind, json, fetched_at)"
		     " VALUES (?, ?, ?)")) < 0)
		return error;
	if ((error = ps_store__bind_text(st, s, 1, kind)) < 0 ||
	    (error = ps_store__bind_text(st, s, 2, json)) < 0 ||
	    (error = ps_store__bind_int64(st, s, 3, now)) < 0) {
		sqlite3_reset(s);
		return error;
	}
	return ps_store__step_done(st, s, "writing the cache");
}

int
ps_store_cache_get(char **out, int64_t *out_fetched_at, ps_store *st,
		   const char *kind)
{
	sqlite3_stmt *s;
	int error;

	if (out == NULL)
		return ps_error_set(PS_EINVAL,
				    "ps_store_cache_get: out is NULL");
	*out = NULL;
	if (out_fetched_at)
		*out_fetched_at = 0;
	if ((error = ps_store__null_store(st, "ps_store_cache_get")) < 0 ||
	    (error = ps_store__check_name(kind, "cache kind")) < 0)
		return error;
	if ((error = ps_store__prepare(
		     &s, st,
		     "SELECT json, fetched_at FROM cache WHERE kind = ?")) < 0)
		return error;
	if ((error = ps_store__bind_text(st, s, 1, kind)) < 0)
		goto done;
	error = ps_store__step_row(st, s, "reading the cache");
	if (error == 0) {
		error = ps_store__column_dup(out, s, 0);
		if (out_fetched_at)
			*out_fetched_at = sqlite3_column_int64(s, 1);
	} else if (error == PS_ENOTFOUND) {
		ps_error_set(PS_ENOTFOUND, "nothing cached for '%s'", kind);
	}
done:
	sqlite3_reset(s);
	return error;
}
