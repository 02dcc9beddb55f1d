/*
 * queues.c - inbound events and operator requests, plus the argument and
 * row checks the smaller tables share (ps_store__null_store and friends).
 *
 * Events and requests are queues between processes: the producer inserts,
 * the worker claims (claimed_at), then completes.  Claims are released at
 * worker start (ps_store_recover_interrupted), so a crash between claim and
 * completion delays an item but never loses it.
 */
#include "store/store_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define QUEUE_MAX 1000

int
ps_store__null_store(ps_store *st, const char *fn)
{
	if (st == NULL)
		return ps_error_set(PS_EINVAL, "%s: store is NULL", fn);
	return 0;
}

int
ps_store__check_platform(ps_platform p)
{
	if ((unsigned)p >= PS_PLATFORM_MAX)
		return ps_error_set(PS_EINVAL, "platform %d is invalid",
				    (int)p);
	return 0;
}

int
ps_store__step_row(ps_store *st, sqlite3_stmt *s, const char *what)
{
	int rc = sqlite3_step(s);

	if (rc == SQLITE_ROW)
		return 0;
	if (rc == SQLITE_DONE)
		return PS_ENOTFOUND;
	return ps_store__error(st, rc, what);
}

/* ---- events ------------------------------------------------------------ */

void
ps_event_init(ps_event *ev)
{
	memset(ev, 0, sizeof(*ev));
}

void
ps_event_dispose(ps_event *ev)
{
	if (ev == NULL)
		return;
	free(ev->topic);
	free(ev->object);
	free(ev->ids);
	free(ev->value);
	free(ev->payload);
	ps_event_init(ev);
}

void
ps_events_free(ps_event *events, size_t n)
{
	size_t i;

	if (events == NULL)
		return;
	for (i = 0; i < n; i++)
		ps_event_dispose(&events[i]);
	free(events);
}

/* ids[0..n) as "1,2,3" into *out (owned). */
static int
ids_text(char **out, const int64_t *ids, size_t n)
{
	size_t i, len = 0, cap = n * 21 + 1;
	char *t;

	*out = NULL;
	if (n > 100000)
		return ps_error_set(PS_EINVAL, "event: %zu ids", n);
	if ((t = malloc(cap)) == NULL)
		return ps_error_set(PS_ENOMEM, "out of memory");
	t[0] = '\0';
	for (i = 0; i < n; i++) {
		if (ids[i] <= 0) {
			free(t);
			return ps_error_set(PS_EINVAL,
					    "event id %lld is not "
					    "positive",
					    (long long)ids[i]);
		}
		len += (size_t)snprintf(t + len, cap - len, "%s%lld",
					i > 0 ? "," : "", (long long)ids[i]);
	}
	*out = t;
	return 0;
}

/* "1,2,3" back into ev->ids; an unreadable list is left empty. */
static int
ids_parse(ps_event *ev, const char *text)
{
	const char *p = text;
	size_t n = 1, i = 0;
	char *end;

	if (text == NULL || *text == '\0')
		return 0;
	for (; *p != '\0'; p++)
		n += *p == ',';
	if ((ev->ids = calloc(n, sizeof(*ev->ids))) == NULL)
		return ps_error_set(PS_ENOMEM, "out of memory");
	for (p = text; i < n; i++) {
		long long v = strtoll(p, &end, 10);

		if (end == p || v <= 0 || (*end != ',' && *end != '\0'))
			break;
		ev->ids[i] = (int64_t)v;
		p = *end == ',' ? end + 1 : end;
	}
	ev->nids = i;
	return 0;
}

int
ps_store_event_add_typed(int64_t *out_id, ps_store *st, ps_platform platform,
			 const ps_event_change *c, const char *payload,
			 int64_t now)
{
	const char *topic = c != NULL ? c->topic : NULL;
	const char *object = c != NULL ? c->object : NULL;
	const int64_t *ids = c != NULL ? c->ids : NULL;
	size_t nids = c != NULL ? c->nids : 0;
	sqlite3_stmt *s;
	char *idlist = NULL;
	int error;

	if (out_id)
		*out_id = 0;
	if ((error = ps_store__null_store(st, "ps_store_event_add")) < 0 ||
	    (error = ps_store__check_platform(platform)) < 0 ||
	    (error = ps_store__check_name(topic, "event topic")) < 0)
		return error;
	if (payload == NULL)
		return ps_error_set(PS_EINVAL, "event payload is NULL");
	if (nids > 0 && ids == NULL)
		return ps_error_set(PS_EINVAL, "event ids are NULL");
	if ((error = ids_text(&idlist, ids, nids)) < 0)
		return error;
	if ((error = ps_store__prepare(
		     &s, st,
		     "INSERT INTO events(platform, topic, object, ids, payload,"
		     " received_at, changed_at, value)"
		     " VALUES (?, ?, ?, ?, ?, ?, ?, ?)")) < 0)
		goto done;
	if ((error = ps_store__bind_int64(st, s, 1, platform)) < 0 ||
	    (error = ps_store__bind_text(st, s, 2, topic)) < 0 ||
	    (error = ps_store__bind_text(st, s, 3,
					 object != NULL ? object : "")) < 0 ||
	    (error = ps_store__bind_text(st, s, 4, idlist)) < 0 ||
	    (error = ps_store__bind_text(st, s, 5, payload)) < 0 ||
	    (error = ps_store__bind_int64(st, s, 6, now)) < 0 ||
	    (error = ps_store__bind_int64(st, s, 7, c->changed_at)) < 0 ||
	    (error = ps_store__bind_text(
		     st, s, 8, c->value != NULL ? c->value : "")) < 0) {
		sqlite3_reset(s);
		goto done;
	}
	if ((error = ps_store__step_done(st, s, "recording an event")) < 0)
		goto done;
	if (out_id)
		*out_id = sqlite3_last_insert_rowid(st->db);
done:
	free(idlist);
	return error;
}

int
ps_store_event_add(int64_t *out_id, ps_store *st, ps_platform platform,
		   const char *topic, const char *payload, int64_t now)
{
	ps_event_change c = {topic, NULL, NULL, 0, 0, NULL};

	return ps_store_event_add_typed(out_id, st, platform, &c, payload, now);
}

int
ps_store_event_claim(ps_event **out, size_t *out_n, ps_store *st, size_t max,
		     int64_t now)
{
	ps_event *v = NULL;
	size_t n = 0, i;
	sqlite3_stmt *s = NULL;
	int rc, error;

	if (out == NULL || out_n == NULL)
		return ps_error_set(PS_EINVAL, "event claim: out is NULL");
	*out = NULL;
	*out_n = 0;
	if ((error = ps_store__null_store(st, "ps_store_event_claim")) < 0)
		return error;
	if (max == 0)
		return 0;
	if (max > QUEUE_MAX)
		max = QUEUE_MAX;
	if ((v = calloc(max, sizeof(*v))) == NULL)
		return ps_error_set(PS_ENOMEM, "out of memory");
	if ((error = ps_store_begin(st)) < 0)
		goto out;
	if ((error = ps_store__prepare(
		     &s, st,
		     "SELECT id, platform, topic, payload, received_at, object,"
		     " ids, changed_at, value FROM events"
		     " WHERE processed_at IS NULL AND claimed_at IS NULL"
		     " ORDER BY id LIMIT ?")) < 0 ||
	    (error = ps_store__bind_int64(st, s, 1, (int64_t)max)) < 0)
		goto done;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		v[n].id = sqlite3_column_int64(s, 0);
		v[n].platform = (ps_platform)sqlite3_column_int(s, 1);
		v[n].received_at = sqlite3_column_int64(s, 4);
		v[n].changed_at = sqlite3_column_int64(s, 7);
		v[n].claimed_at = now;
		n++;
		if ((error = ps_store__column_dup(&v[n - 1].topic, s, 2)) < 0 ||
		    (error = ps_store__column_dup(&v[n - 1].payload, s, 3)) <
			    0 ||
		    (error = ps_store__column_dup(&v[n - 1].object, s, 5)) <
			    0 ||
		    (error = ps_store__column_dup(&v[n - 1].value, s, 8)) < 0 ||
		    (error = ids_parse(
			     &v[n - 1],
			     (const char *)sqlite3_column_text(s, 6))) < 0)
			goto done;
	}
	if (rc != SQLITE_DONE) {
		error = ps_store__error(st, rc, "claiming events");
		goto done;
	}
	for (i = 0; i < n; i++) {
		if ((error = ps_store__prepare(
			     &s, st,
			     "UPDATE events SET claimed_at = ? WHERE id = ?")) <
			    0 ||
		    (error = ps_store__bind_int64(st, s, 1, now)) < 0 ||
		    (error = ps_store__bind_int64(st, s, 2, v[i].id)) < 0 ||
		    (error = ps_store__step_done(st, s, "claiming an event")) <
			    0)
			goto done;
	}
done:
	if (s)
		sqlite3_reset(s);
	if (error < 0)
		ps_store_rollback(st);
	else
		error = ps_store_commit(st);
out:
	if (error < 0 || n == 0) {
		ps_events_free(v, n);
		return error < 0 ? error : 0;
	}
	*out = v;
	*out_n = n;
	return 0;
}

int
ps_store_event_mark_processed(ps_store *st, int64_t id, int64_t now)
{
	sqlite3_stmt *s;
	int error;

	if ((error = ps_store__null_store(st,
					  "ps_store_event_mark_processed")) < 0)
		return error;
	if ((error = ps_store__prepare(
		     &s, st,
		     "UPDATE events SET processed_at = ? WHERE id = ?")) < 0)
		return error;
	if ((error = ps_store__bind_int64(st, s, 1, now)) < 0 ||
	    (error = ps_store__bind_int64(st, s, 2, id)) < 0) {
		sqlite3_reset(s);
		return error;
	}
	if ((error = ps_store__step_done(st, s, "marking an event")) < 0)
		return error;
	if (sqlite3_changes(st->db) == 0)
		return ps_error_set(PS_ENOTFOUND, "no event %lld",
				    (long long)id);
	return 0;
}

/* ---- operator requests ------------------------------------------------- */

static const char *const request_names[PS_REQUEST_KIND_COUNT] = {
	"retry_entry", "retry_failed", "run_flow", "pause_flow", "resume_flow"};

const char *
ps_request_kind_name(ps_request_kind k)
{
	return (unsigned)k < PS_REQUEST_KIND_COUNT ? request_names[k] : "?";
}

int
ps_request_kind_parse(ps_request_kind *out, const char *name)
{
	int i;

	for (i = 0; name != NULL && i < PS_REQUEST_KIND_COUNT; i++) {
		if (strcmp(name, request_names[i]) == 0) {
			*out = (ps_request_kind)i;
			return 0;
		}
	}
	return ps_error_set(PS_EINVAL, "unknown request '%s'",
			    name ? name : "");
}

void
ps_request_init(ps_request *r)
{
	memset(r, 0, sizeof(*r));
}

void
ps_request_dispose(ps_request *r)
{
	if (r == NULL)
		return;
	free(r->argument);
	free(r->result);
	ps_request_init(r);
}

void
ps_requests_free(ps_request *requests, size_t n)
{
	size_t i;

	if (requests == NULL)
		return;
	for (i = 0; i < n; i++)
		ps_request_dispose(&requests[i]);
	free(requests);
}

#define REQUEST_COLUMNS                                                        \
	"id, kind, argument, created_at, claimed_at, done_at, result"

static int
read_request(ps_request *r, sqlite3_stmt *s)
{
	int error;

	ps_request_init(r);
	r->id = sqlite3_column_int64(s, 0);
	r->kind = (ps_request_kind)sqlite3_column_int(s, 1);
	r->created_at = sqlite3_column_int64(s, 3);
	r->claimed_at = sqlite3_column_int64(s, 4); /* NULL reads as 0 */
	r->done_at = sqlite3_column_int64(s, 5);
	if ((error = ps_store__column_dup(&r->argument, s, 2)) < 0 ||
	    (error = ps_store__column_dup(&r->result, s, 6)) < 0)
		ps_request_dispose(r);
	return error;
}

int
ps_store_request_add(int64_t *out_id, ps_store *st, ps_request_kind kind,
		     const char *argument, int64_t now)
{
	sqlite3_stmt *s;
	int error;

	if (out_id)
		*out_id = 0;
	if ((error = ps_store__null_store(st, "ps_store_request_add")) < 0)
		return error;
	if ((unsigned)kind >= PS_REQUEST_KIND_COUNT)
		return ps_error_set(PS_EINVAL, "request kind %d is invalid",
				    (int)kind);
	if ((error = ps_store__prepare(
		     &s, st,
		     "INSERT INTO requests(kind, argument, created_at)"
		     " VALUES (?, ?, ?)")) < 0)
		return error;
	if ((error = ps_store__bind_int64(st, s, 1, kind)) < 0 ||
	    (error = ps_store__bind_text(st, s, 2, argument)) < 0 ||
	    (error = ps_store__bind_int64(st, s, 3, now)) < 0) {
		sqlite3_reset(s);
		return error;
	}
	if ((error = ps_store__step_done(st, s, "recording a request")) < 0)
		return error;
	if (out_id)
		*out_id = sqlite3_last_insert_rowid(st->db);
	return 0;
}

int
ps_store_request_claim(ps_request **out, size_t *out_n, ps_store *st,
		       size_t max, int64_t now)
{
	ps_request *v = NULL;
	size_t n = 0, i;
	sqlite3_stmt *s = NULL;
	int rc, error;

	if (out == NULL || out_n == NULL)
		return ps_error_set(PS_EINVAL, "request claim: out is NULL");
	*out = NULL;
	*out_n = 0;
	if ((error = ps_store__null_store(st, "ps_store_request_claim")) < 0)
		return error;
	if (max == 0)
		return 0;
	if (max > QUEUE_MAX)
		max = QUEUE_MAX;
	if ((v = calloc(max, sizeof(*v))) == NULL)
		return ps_error_set(PS_ENOMEM, "out of memory");
	if ((error = ps_store_begin(st)) < 0)
		goto out;
	if ((error = ps_store__prepare(
		     &s, st,
		     "SELECT " REQUEST_COLUMNS " FROM requests"
		     " WHERE done_at IS NULL AND claimed_at IS NULL"
		     " ORDER BY id LIMIT ?")) < 0 ||
	    (error = ps_store__bind_int64(st, s, 1, (int64_t)max)) < 0)
		goto done;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if ((error = read_request(&v[n], s)) < 0)
			goto done;
		v[n++].claimed_at = now;
	}
	if (rc != SQLITE_DONE) {
		error = ps_store__error(st, rc, "claiming requests");
		goto done;
	}
	for (i = 0; i < n; i++) {
		if ((error = ps_store__prepare(
			     &s, st,
			     "UPDATE requests SET claimed_at = ? WHERE id ="
			     " ?")) < 0 ||
		    (error = ps_store__bind_int64(st, s, 1, now)) < 0 ||
		    (error = ps_store__bind_int64(st, s, 2, v[i].id)) < 0 ||
		    (error = ps_store__step_done(st, s, "claiming a request")) <
			    0)
			goto done;
	}
done:
	if (s)
		sqlite3_reset(s);
	if (error < 0)
		ps_store_rollback(st);
	else
		error = ps_store_commit(st);
out:
	if (error < 0 || n == 0) {
		ps_requests_free(v, n);
		return error < 0 ? error : 0;
	}
	*out = v;
	*out_n = n;
	return 0;
}

int
ps_store_request_complete(ps_store *st, int64_t id, const char *result,
			  int64_t now)
{
	sqlite3_stmt *s;
	int error;

	if ((error = ps_store__null_store(st, "ps_store_request_complete")) < 0)
		return error;
	if ((error = ps_store__prepare(
		     &s, st,
		     "UPDATE requests SET done_at = ?, result = ? WHERE id ="
		     " ?")) < 0)
		return error;
	if ((error = ps_store__bind_int64(st, s, 1, now)) < 0 ||
	    (error = ps_store__bind_text(st, s, 2, result)) < 0 ||
	    (error = ps_store__bind_int64(st, s, 3, id)) < 0) {
		sqlite3_reset(s);
		return error;
	}
	if ((error = ps_store__step_done(st, s, "completing a request")) < 0)
		return error;
	if (sqlite3_changes(st->db) == 0)
		return ps_error_set(PS_ENOTFOUND, "no request %lld",
				    (long long)id);
	return 0;
}

int
ps_store_request_get(ps_request *out, ps_store *st, int64_t id)
{
	sqlite3_stmt *s;
	int error;

	if (out == NULL)
		return ps_error_set(PS_EINVAL,
				    "ps_store_request_get: out NULL");
	ps_request_init(out);
	if ((error = ps_store__null_store(st, "ps_store_request_get")) < 0)
		return error;
	if ((error = ps_store__prepare(&s, st,
				       "SELECT " REQUEST_COLUMNS
				       " FROM requests WHERE id = ?")) < 0)
		return error;
	if ((error = ps_store__bind_int64(st, s, 1, id)) < 0)
		goto done;
	error = ps_store__step_row(st, s, "reading a request");
	if (error == 0)
		error = read_request(out, s);
	else if (error == PS_ENOTFOUND)
		ps_error_set(PS_ENOTFOUND, "no request %lld", (long long)id);
done:
	sqlite3_reset(s);
	return error;
}

/* ---- entries waiting for credentials ----------------------------------- */

int
ps_store_log_resume_auth(size_t *out_count, ps_store *st, const char *flow,
			 int64_t now)
{
	sqlite3_stmt *s;
	int error;

	if (out_count)
		*out_count = 0;
	if ((error = ps_store__null_store(st, "ps_store_log_resume_auth")) < 0)
		return error;
	if ((error = ps_store__prepare(
		     &s, st,
		     "UPDATE log_entries SET status = 0, next_attempt_at = ?2,"
		     " attempts = 0, updated_at = ?2,"
		     " reason = 'credentials changed; trying again'"
		     " WHERE status = 3 AND error_code = ?3"
		     " AND next_attempt_at IS NULL"
		     " AND (?1 IS NULL OR flow = ?1)")) < 0)
		return error;
	if ((error = ps_store__bind_text(st, s, 1, flow)) < 0 ||
	    (error = ps_store__bind_int64(st, s, 2, now)) < 0 ||
	    (error = ps_store__bind_int64(st, s, 3, PS_EAUTH)) < 0) {
		sqlite3_reset(s);
		return error;
	}
	if ((error = ps_store__step_done(st, s,
					 "resuming entries waiting for "
					 "credentials")) < 0)
		return error;
	if (out_count)
		*out_count = (size_t)sqlite3_changes(st->db);
	return 0;
}

int
ps_store_log_park_auth(size_t *out_count, ps_store *st, const char *flow,
		       const char *reason, int64_t now)
{
	sqlite3_stmt *s;
	int error;

	if (out_count)
		*out_count = 0;
	if ((error = ps_store__null_store(st, "ps_store_log_park_auth")) < 0)
		return error;
	if (flow == NULL || reason == NULL)
		return ps_error_set(
			PS_EINVAL, "ps_store_log_park_auth: no flow or reason");
	if ((error = ps_store__prepare(
		     &s, st,
		     "UPDATE log_entries SET status = 3, error_code = ?4,"
		     " next_attempt_at = NULL, reason = ?3, updated_at = ?2"
		     " WHERE status = 0 AND flow = ?1"
		     " AND next_attempt_at IS NOT NULL"
		     " AND next_attempt_at <= ?2")) < 0)
		return error;
	if ((error = ps_store__bind_text(st, s, 1, flow)) < 0 ||
	    (error = ps_store__bind_int64(st, s, 2, now)) < 0 ||
	    (error = ps_store__bind_text(st, s, 3, reason)) < 0 ||
	    (error = ps_store__bind_int64(st, s, 4, PS_EAUTH)) < 0) {
		sqlite3_reset(s);
		return error;
	}
	if ((error = ps_store__step_done(st, s,
					 "parking entries until the "
					 "credentials change")) < 0)
		return error;
	if (out_count)
		*out_count = (size_t)sqlite3_changes(st->db);
	return 0;
}

int
ps_store_log_count_parked(size_t *out_count, ps_store *st, const char *flow)
{
	sqlite3_stmt *s;
	int error;

	*out_count = 0;
	if ((error = ps_store__null_store(st, "ps_store_log_count_parked")) < 0)
		return error;
	if ((error = ps_store__prepare(
		     &s, st,
		     "SELECT count(*) FROM log_entries"
		     " WHERE flow = ?1 AND status = 3 AND error_code = ?2"
		     " AND next_attempt_at IS NULL")) < 0)
		return error;
	if ((error = ps_store__bind_text(st, s, 1, flow)) < 0 ||
	    (error = ps_store__bind_int64(st, s, 2, PS_EAUTH)) < 0) {
		sqlite3_reset(s);
		return error;
	}
	error = ps_store__step_row(st, s, "counting parked entries");
	if (error == 0)
		*out_count = (size_t)sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	return error;
}
