/*
 * misc.c - the smaller tables: cross-references, cursors, inbound events,
 * operator requests, the worker heartbeat, HTTP counters and the cache of
 * platform values.
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

static int
null_store(ps_store *st, const char *fn)
{
	if (st == NULL)
		return ps_error_set(PS_EINVAL, "%s: store is NULL", fn);
	return 0;
}

static int
check_platform(ps_platform p)
{
	if ((unsigned)p >= PS_PLATFORM_MAX)
		return ps_error_set(PS_EINVAL, "platform %d is invalid",
				    (int)p);
	return 0;
}

/* Step a SELECT expected to yield one row; PS_ENOTFOUND for none. */
static int
step_row(ps_store *st, sqlite3_stmt *s, const char *what)
{
	int rc = sqlite3_step(s);

	if (rc == SQLITE_ROW)
		return 0;
	if (rc == SQLITE_DONE)
		return PS_ENOTFOUND;
	return ps_store__error(st, rc, what);
}

/* ---- cross-references -------------------------------------------------- */

int
ps_store_xref_set(ps_store *st, const char *entity, ps_platform a,
		  const char *id_a, ps_platform b, const char *id_b,
		  int64_t now)
{
	sqlite3_stmt *s;
	int error;

	if ((error = null_store(st, "ps_store_xref_set")) < 0 ||
	    (error = ps_store__check_name(entity, "xref entity")) < 0 ||
	    (error = ps_store__check_name(id_a, "xref id")) < 0 ||
	    (error = ps_store__check_name(id_b, "xref id")) < 0 ||
	    (error = check_platform(a)) < 0 || (error = check_platform(b)) < 0)
		return error;
	if (a == b)
		return ps_error_set(PS_EINVAL,
				    "an xref links two different platforms");
	if (a > b) { /* stored with the lower platform first */
		ps_platform tp = a;
		const char *ti = id_a;
		a = b;
		b = tp;
		id_a = id_b;
		id_b = ti;
	}
	if ((error = ps_store_begin(st)) < 0)
		return error;
	if ((error = ps_store__prepare(
		     &s, st,
		     "DELETE FROM xrefs WHERE entity = ?1 AND platform_a = ?2"
		     " AND platform_b = ?4 AND (id_a = ?3 OR id_b = ?5)")) < 0)
		goto done;
	if ((error = ps_store__bind_text(st, s, 1, entity)) < 0 ||
	    (error = ps_store__bind_int64(st, s, 2, a)) < 0 ||
	    (error = ps_store__bind_text(st, s, 3, id_a)) < 0 ||
	    (error = ps_store__bind_int64(st, s, 4, b)) < 0 ||
	    (error = ps_store__bind_text(st, s, 5, id_b)) < 0 ||
	    (error = ps_store__step_done(st, s, "replacing an xref")) < 0)
		goto done;
	if ((error = ps_store__prepare(
		     &s, st,
		     "INSERT INTO xrefs(entity, platform_a, id_a, platform_b,"
		     " id_b,"
		     " updated_at) VALUES (?, ?, ?, ?, ?, ?)")) < 0)
		goto done;
	if ((error = ps_store__bind_text(st, s, 1, entity)) < 0 ||
	    (error = ps_store__bind_int64(st, s, 2, a)) < 0 ||
	    (error = ps_store__bind_text(st, s, 3, id_a)) < 0 ||
	    (error = ps_store__bind_int64(st, s, 4, b)) < 0 ||
	    (error = ps_store__bind_text(st, s, 5, id_b)) < 0 ||
	    (error = ps_store__bind_int64(st, s, 6, now)) < 0)
		goto done;
	error = ps_store__step_done(st, s, "recording an xref");
done:
	sqlite3_reset(s);
	if (error < 0) {
		ps_store_rollback(st);
		return error;
	}
	return ps_store_commit(st);
}

int
ps_store_xref_get(char **out, ps_store *st, const char *entity,
		  ps_platform from, const char *id, ps_platform to)
{
	sqlite3_stmt *s;
	int error;

	if (out == NULL)
		return ps_error_set(PS_EINVAL,
				    "ps_store_xref_get: out is NULL");
	*out = NULL;
	if ((error = null_store(st, "ps_store_xref_get")) < 0 ||
	    (error = ps_store__check_name(entity, "xref entity")) < 0 ||
	    (error = ps_store__check_name(id, "xref id")) < 0 ||
	    (error = check_platform(from)) < 0 ||
	    (error = check_platform(to)) < 0)
		return error;
	if (from < to)
		error = ps_store__prepare(
			&s, st,
			"SELECT id_b FROM xrefs WHERE entity = ?1"
			" AND platform_a = ?2 AND id_a = ?3 AND platform_b ="
			" ?4");
	else
		error = ps_store__prepare(
			&s, st,
			"SELECT id_a FROM xrefs WHERE entity = ?1"
			" AND platform_b = ?2 AND id_b = ?3 AND platform_a ="
			" ?4");
	if (error < 0)
		return error;
	if ((error = ps_store__bind_text(st, s, 1, entity)) < 0 ||
	    (error = ps_store__bind_int64(st, s, 2, from)) < 0 ||
	    (error = ps_store__bind_text(st, s, 3, id)) < 0 ||
	    (error = ps_store__bind_int64(st, s, 4, to)) < 0)
		goto done;
	error = step_row(st, s, "reading an xref");
	if (error == 0)
		error = ps_store__column_dup(out, s, 0);
	else if (error == PS_ENOTFOUND)
		ps_error_set(PS_ENOTFOUND, "%s %s id '%s' has no %s link",
			     ps_platform_name(from), entity, id,
			     ps_platform_name(to));
done:
	sqlite3_reset(s);
	return error;
}

/* ---- cursors ----------------------------------------------------------- */

int
ps_store_cursor_get(char **out, int64_t *out_updated_at, ps_store *st,
		    const char *stream)
{
	sqlite3_stmt *s;
	int error;

	if (out == NULL)
		return ps_error_set(PS_EINVAL,
				    "ps_store_cursor_get: out is NULL");
	*out = NULL;
	if (out_updated_at)
		*out_updated_at = 0;
	if ((error = null_store(st, "ps_store_cursor_get")) < 0 ||
	    (error = ps_store__check_name(stream, "cursor name")) < 0)
		return error;
	if ((error = ps_store__prepare(
		     &s, st,
		     "SELECT value, updated_at FROM cursors WHERE stream ="
		     " ?")) < 0)
		return error;
	if ((error = ps_store__bind_text(st, s, 1, stream)) < 0)
		goto done;
	error = step_row(st, s, "reading a cursor");
	if (error == 0) {
		error = ps_store__column_dup(out, s, 0);
		if (out_updated_at)
			*out_updated_at = sqlite3_column_int64(s, 1);
	} else if (error == PS_ENOTFOUND) {
		ps_error_set(PS_ENOTFOUND, "cursor '%s' was never set", stream);
	}
done:
	sqlite3_reset(s);
	return error;
}

int
ps_store_cursor_set(ps_store *st, const char *stream, const char *value,
		    int64_t now)
{
	sqlite3_stmt *s;
	int error;

	if ((error = null_store(st, "ps_store_cursor_set")) < 0 ||
	    (error = ps_store__check_name(stream, "cursor name")) < 0)
		return error;
	if (value == NULL)
		return ps_error_set(PS_EINVAL, "cursor value is NULL");
	if ((error = ps_store__prepare(
		     &s, st,
		     "INSERT INTO cursors(stream, value, updated_at) VALUES"
		     " (?1, ?2, ?3)"
		     " ON CONFLICT(stream) DO UPDATE SET value = ?2,"
		     " updated_at = ?3")) < 0)
		return error;
	if ((error = ps_store__bind_text(st, s, 1, stream)) < 0 ||
	    (error = ps_store__bind_text(st, s, 2, value)) < 0 ||
	    (error = ps_store__bind_int64(st, s, 3, now)) < 0) {
		sqlite3_reset(s);
		return error;
	}
	return ps_store__step_done(st, s, "writing a cursor");
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
			return ps_error_set(PS_EINVAL, "event id %lld is not "
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
			 const char *topic, const char *object,
			 const int64_t *ids, size_t nids, const char *payload,
			 int64_t now)
{
	sqlite3_stmt *s;
	char *idlist = NULL;
	int error;

	if (out_id)
		*out_id = 0;
	if ((error = null_store(st, "ps_store_event_add")) < 0 ||
	    (error = check_platform(platform)) < 0 ||
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
		     " received_at) VALUES (?, ?, ?, ?, ?, ?)")) < 0)
		goto done;
	if ((error = ps_store__bind_int64(st, s, 1, platform)) < 0 ||
	    (error = ps_store__bind_text(st, s, 2, topic)) < 0 ||
	    (error = ps_store__bind_text(st, s, 3,
					 object != NULL ? object : "")) < 0 ||
	    (error = ps_store__bind_text(st, s, 4, idlist)) < 0 ||
	    (error = ps_store__bind_text(st, s, 5, payload)) < 0 ||
	    (error = ps_store__bind_int64(st, s, 6, now)) < 0) {
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
	return ps_store_event_add_typed(out_id, st, platform, topic, NULL,
					NULL, 0, payload, now);
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
	if ((error = null_store(st, "ps_store_event_claim")) < 0)
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
		     " ids FROM events"
		     " WHERE processed_at IS NULL AND claimed_at IS NULL"
		     " ORDER BY id LIMIT ?")) < 0 ||
	    (error = ps_store__bind_int64(st, s, 1, (int64_t)max)) < 0)
		goto done;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		v[n].id = sqlite3_column_int64(s, 0);
		v[n].platform = (ps_platform)sqlite3_column_int(s, 1);
		v[n].received_at = sqlite3_column_int64(s, 4);
		v[n].claimed_at = now;
		n++;
		if ((error = ps_store__column_dup(&v[n - 1].topic, s, 2)) < 0 ||
		    (error = ps_store__column_dup(&v[n - 1].payload, s, 3)) <
			    0 ||
		    (error = ps_store__column_dup(&v[n - 1].object, s, 5)) <
			    0 ||
		    (error = ids_parse(&v[n - 1],
				       (const char *)sqlite3_column_text(s, 6))) <
			    0)
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

	if ((error = null_store(st, "ps_store_event_mark_processed")) < 0)
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
	if ((error = null_store(st, "ps_store_request_add")) < 0)
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
	if ((error = null_store(st, "ps_store_request_claim")) < 0)
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

	if ((error = null_store(st, "ps_store_request_complete")) < 0)
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
	if ((error = null_store(st, "ps_store_request_get")) < 0)
		return error;
	if ((error = ps_store__prepare(&s, st,
				       "SELECT " REQUEST_COLUMNS
				       " FROM requests WHERE id = ?")) < 0)
		return error;
	if ((error = ps_store__bind_int64(st, s, 1, id)) < 0)
		goto done;
	error = step_row(st, s, "reading a request");
	if (error == 0)
		error = read_request(out, s);
	else if (error == PS_ENOTFOUND)
		ps_error_set(PS_ENOTFOUND, "no request %lld", (long long)id);
done:
	sqlite3_reset(s);
	return error;
}

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

	if ((error = null_store(st, "ps_store_heartbeat_set")) < 0)
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
	if ((error = null_store(st, "ps_store_heartbeat_get")) < 0)
		return error;
	if ((error = ps_store__prepare(
		     &s, st,
		     "SELECT pid, started_at, beat_at, state FROM heartbeat")) <
	    0)
		return error;
	error = step_row(st, s, "reading the heartbeat");
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

	if ((error = null_store(st, "ps_store_http_count_add")) < 0 ||
	    (error = check_platform(platform)) < 0 ||
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

	if ((error = null_store(st, "ps_store_cache_set")) < 0 ||
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
	if ((error = null_store(st, "ps_store_cache_get")) < 0 ||
	    (error = ps_store__check_name(kind, "cache kind")) < 0)
		return error;
	if ((error = ps_store__prepare(
		     &s, st,
		     "SELECT json, fetched_at FROM cache WHERE kind = ?")) < 0)
		return error;
	if ((error = ps_store__bind_text(st, s, 1, kind)) < 0)
		goto done;
	error = step_row(st, s, "reading the cache");
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
