/*
 * ds_stream.c - the DSCO simulator's order streams (§4.3): create, list,
 * sync, read events after a position, checkpoint a position.
 *
 * Every visible change of an order (create, acknowledge, shipment,
 * cancel, cancel request) appends one event to a global, ordered event
 * list; a stream reads the events after its position that match its order
 * query (statuses, dscoLifecycle, onlyIncludeCancelRequests), each with
 * the order as it is now.  Positions look like the real ones,
 * "z/2025/11/21/07/30/1763710215897-0000001", and sort as strings.  One
 * partition per stream.  A new stream starts at the tip (only later
 * changes); POST /stream/{id} {"operationType":"sync"} adds one "sync"
 * event per matching order for that stream alone.  Only objectType
 * "order" is simulated.
 */
#include "ds.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DS_STREAM_START "0" /* sorts before every real position */

static const char *
make_position(ds_state *ds, char *buf, size_t len)
{
	int64_t ms = ds_wall_ms();
	char day[40];

	if (ms < ds->last_event_ms)
		ms = ds->last_event_ms; /* a clock step never reorders */
	ds->last_event_ms = ms;
	ds_iso(day, sizeof(day), ms);
	/* "YYYY-MM-DDTHH:MM..." -> "z/YYYY/MM/DD/HH/MM/<ms>-<seq>" */
	snprintf(buf, len, "z/%.4s/%.2s/%.2s/%.2s/%.2s/%013lld-%07lld", day,
		 day + 5, day + 8, day + 11, day + 14, (long long)ms,
		 (long long)++ds->next_event);
	return buf;
}

static void
event_push(ds_state *ds, json_t *order, const char *reason, const char *source,
	   const char *stream)
{
	char pos[96];
	json_t *e = json_pack("{s:s,s:O,s:[s],s:s}", "id",
			      make_position(ds, pos, sizeof(pos)), "order",
			      json_object_get(order, "dscoOrderId"), "reasons",
			      reason, "source", source);

	if (stream)
		json_object_set_new(e, "stream", json_string(stream));
	json_array_append_new(ds->events, e);
}

void
ds_event_add(ds_state *ds, json_t *order, const char *reason)
{
	const char *life =
		json_string_value(json_object_get(order, "dscoLifecycle"));

	if (life && strcmp(life, "received") == 0)
		return; /* not released to the supplier yet */
	event_push(ds, order, reason, "stream", NULL);
}

static const char *
tip(ds_state *ds)
{
	size_t n = json_array_size(ds->events);

	return n ? json_string_value(json_object_get(
			   json_array_get(ds->events, n - 1), "id"))
		 : DS_STREAM_START;
}

/* Index of the first event after pos (binary search). */
static size_t
first_after(ds_state *ds, const char *pos)
{
	size_t lo = 0, hi = json_array_size(ds->events);

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const char *id = json_string_value(
			json_object_get(json_array_get(ds->events, mid), "id"));

		if (strcmp(id, pos) <= 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int
in_strings(json_t *arr, const char *s)
{
	return !json_is_array(arr) || json_array_size(arr) == 0 ||
	       (s && ds_in_list(arr, s));
}

static int
query_match(json_t *q, json_t *order)
{
	if (!in_strings(
		    json_object_get(q, "statuses"),
		    json_string_value(json_object_get(order, "dscoStatus"))))
		return 0;
	if (!in_strings(
		    json_object_get(q, "dscoLifecycle"),
		    json_string_value(json_object_get(order, "dscoLifecycle"))))
		return 0;
	if (json_is_true(json_object_get(q, "onlyIncludeCancelRequests")) &&
	    !json_is_true(json_object_get(order, "cancelRequested")))
		return 0;
	return 1;
}

static json_t *
stream_render(ds_state *ds, json_t *st)
{
	json_t *out = json_deep_copy(st), *v;
	const char *k;
	void *tmp;
	json_t *part = json_array_get(json_object_get(out, "partitions"), 0);

	json_object_set_new(part, "maxPosition", json_string(tip(ds)));
	json_object_foreach_safe (out, tmp, k, v)
		if (k[0] == '_')
			json_object_del(out, k);
	return out;
}

static void
stream_create(ds_state *ds, sb_request *req, sb_response *resp)
{
	json_t *body = sb_req_json(req, NULL), *q, *st, *max;
	char id[64], when[40];

	q = json_object_get(body, "query");
	if (!json_is_object(body) ||
	    strcmp(sb_json_str(json_object_get(body, "objectType"), ""),
		   "order") != 0 ||
	    !json_is_object(q) ||
	    strcmp(sb_json_str(json_object_get(q, "queryType"), ""), "order") !=
		    0) {
		json_decref(body);
		ds_fail(ds, resp, "INVALID_BODY",
			"objectType and query.queryType must be \"order\" "
			"(the only stream type simulated)");
		return;
	}
	snprintf(id, sizeof(id), "5ab1e000-0000-4000-8000-%012llx",
		 (unsigned long long)++ds->next_stream);
	max = json_object_get(body, "maxEvents");
	st = json_pack(
		"{s:s,s:s,s:s,s:O,s:i,s:i,s:{s:I,s:i,s:i},s:[{s:i,s:s,s:s,s:s,"
		"s:s}],s:O}",
		"id", id, "objectType", "order", "description",
		sb_json_str(json_object_get(body, "description"), ""), "query",
		q, "numPartitions", 1, "streamVersion", 1, "maxEvents",
		"objectCount",
		(json_int_t)sb_json_int(json_object_get(max, "objectCount"),
					1000),
		"numBytes", 4194304, "durationSec", 22, "partitions",
		"partitionId", 0, "status", "active", "ownerId", "sandbox",
		"position", tip(ds), "lastUpdate",
		ds_iso(when, sizeof(when), ds_wall_ms()), "_query", q);
	json_decref(body);
	json_object_set_new(ds->streams, id, st);
	sb_resp_json(resp, 201, stream_render(ds, st), NULL);
}

static void
stream_list(ds_state *ds, sb_request *req, sb_response *resp)
{
	const char *id = sb_req_query(req, "id");
	json_t *out = json_array(), *st;
	const char *k;

	json_object_foreach (ds->streams, k, st)
		if (!id || strcmp(id, k) == 0)
			json_array_append_new(out, stream_render(ds, st));
	sb_resp_json(resp, 200, out, NULL);
}

static void
stream_sync(ds_state *ds, json_t *st, sb_request *req, sb_response *resp)
{
	json_t *body = sb_req_json(req, NULL), *v, *o;
	json_t *q = json_object_get(st, "_query");
	const char *sid = json_string_value(json_object_get(st, "id"));
	char uuid[64];
	size_t i;

	if (strcmp(sb_json_str(json_object_get(body, "operationType"), ""),
		   "sync") != 0) {
		json_decref(body);
		ds_fail(ds, resp, "INVALID_BODY",
			"operationType must be \"sync\"");
		return;
	}
	json_decref(body);
	json_array_foreach (ds->order_ids, i, v) {
		o = ds_order_by_id(ds, json_string_value(v));
		if (o && query_match(q, o) &&
		    strcmp(sb_json_str(json_object_get(o, "dscoLifecycle"), ""),
			   "received") != 0)
			event_push(ds, o, "create", "sync", sid);
	}
	snprintf(uuid, sizeof(uuid), "0b5e0000-0000-4000-8000-%012lld",
		 (long long)ds->next_event);
	sb_resp_json(resp, 202,
		     json_pack("{s:s,s:s}", "operationType", "sync",
			       "operationUuid", uuid),
		     NULL);
}

static void
stream_read(ds_state *ds, json_t *st, const char *pos, sb_response *resp)
{
	json_t *q = json_object_get(st, "_query"), *events = json_array();
	const char *sid = json_string_value(json_object_get(st, "id"));
	size_t i, n = json_array_size(ds->events);
	int64_t cap =
		sb_json_int(json_object_get(json_object_get(st, "maxEvents"),
					    "objectCount"),
			    1000);

	for (i = first_after(ds, pos);
	     i < n && (int64_t)json_array_size(events) < cap; i++) {
		json_t *e = json_array_get(ds->events, i), *reasons;
		const char *only =
			sb_json_str(json_object_get(e, "stream"), NULL);
		json_t *o = ds_order_by_id(
			ds, json_string_value(json_object_get(e, "order")));

		if ((only && strcmp(only, sid) != 0) || !o ||
		    !query_match(q, o))
			continue;
		/* the spec types eventReasons as one string; the digest shows
		 * a list (observedForms) */
		reasons = json_object_get(e, "reasons");
		json_array_append_new(
			events,
			json_pack("{s:O,s:o,s:O,s:O,s:i,s:i}", "id",
				  json_object_get(e, "id"), "payload",
				  ds_order_render(o), "source",
				  json_object_get(e, "source"), "eventReasons",
				  ds->observed_forms
					  ? reasons
					  : json_array_get(reasons, 0),
				  "partitionId", 0, "streamVersion", 1));
	}
	sb_resp_json(resp, 200,
		     json_pack("{s:o,s:i,s:s}", "events", events, "partitionId",
			       0, "ownerId", "sandbox"),
		     NULL);
}

static void
stream_checkpoint(json_t *st, const char *pos, sb_response *resp)
{
	json_t *part = json_array_get(json_object_get(st, "partitions"), 0);
	char when[40];

	json_object_set_new(part, "position", json_string(pos));
	json_object_set_new(
		part, "lastUpdate",
		json_string(ds_iso(when, sizeof(when), ds_wall_ms())));
	sb_resp_json(resp, 200, json_pack("{s:s}", "status", "success"), NULL);
}

void
ds_stream_routes(json_t *arr)
{
	static const char *const keys[] = {
		"POST stream",
		"GET stream",
		"POST stream/{id}",
		"GET stream/{id}/{partitionId}/{position}",
		"PUT stream/{id}/{partitionId}/{position}",
		NULL};
	size_t i;

	for (i = 0; keys[i]; i++)
		json_array_append_new(arr, json_string(keys[i]));
}

int
ds_stream_handle(ds_state *ds, sb_request *req, sb_response *resp)
{
	const char *p = req->path, *rest, *slash;
	char id[80];
	json_t *st;
	int get = strcmp(req->method, "GET") == 0;
	int post = strcmp(req->method, "POST") == 0;
	int put = strcmp(req->method, "PUT") == 0;

	if (strcmp(p, "/stream") == 0 || strcmp(p, "/stream/") == 0) {
		if (!get && !post)
			return 0;
		req->endpoint = post ? "POST stream" : "GET stream";
		if (ds_gate(ds, req, resp, DS_LIM_NONE) == 0) {
			if (post)
				stream_create(ds, req, resp);
			else
				stream_list(ds, req, resp);
		}
		return 1;
	}
	if (strncmp(p, "/stream/", 8) != 0)
		return 0;
	rest = p + 8;
	slash = strchr(rest, '/');
	snprintf(id, sizeof(id), "%.*s",
		 (int)(slash ? (size_t)(slash - rest) : strlen(rest)), rest);
	if (!slash || slash[1] == '\0') {
		if (!post)
			return 0;
		req->endpoint = "POST stream/{id}";
	} else {
		const char *pos = strchr(slash + 1, '/');

		/* {partitionId}/{position}; the position holds '/' itself */
		if (!pos || pos[1] == '\0' || (!get && !put) ||
		    strncmp(slash + 1, "0/", 2) != 0)
			return 0;
		req->endpoint =
			get ? "GET stream/{id}/{partitionId}/{position}"
			    : "PUT stream/{id}/{partitionId}/{position}";
		if (ds_gate(ds, req, resp, DS_LIM_NONE) != 0)
			return 1;
		st = json_object_get(ds->streams, id);
		if (!st)
			ds_message(resp, 404, "Stream not found");
		else if (get)
			stream_read(ds, st, pos + 1, resp);
		else
			stream_checkpoint(st, pos + 1, resp);
		return 1;
	}
	if (ds_gate(ds, req, resp, DS_LIM_NONE) != 0)
		return 1;
	st = json_object_get(ds->streams, id);
	if (!st)
		ds_message(resp, 404, "Stream not found");
	else
		stream_sync(ds, st, req, resp);
	return 1;
}
