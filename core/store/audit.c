/*
 * audit.c - the per-record audit trail (pearlsync/audit.h).
 *
 * One table, one row per step: events (kind 1, keyed by the platform's
 * object and id), attempts (3, keyed by their log entry, carrying the
 * settings version in force), requests (4, keyed by their attempt and
 * entry) and operator requests (5).  The "recorded" and "outcome" steps
 * of a timeline are read from the log entries themselves, so the log
 * stays the one truth about where an entry stands.
 *
 * A timeline starts from one order id and widens: the order's ids on the
 * other platforms through the "order" cross-references and the targets
 * its imports created; then the entries about those orders (an order
 * entry's subject, or the order a note or a goods-out note belongs to);
 * then the events about any of their subjects.
 */
#include "store/store_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pearlsync/audit.h"

/* Rows deleted per slice of a prune. */
#define PRUNE_SLICE 5000
/* Ids one order can have across the platforms (one per platform, and
 * room for a re-import that linked a second one). */
#define KEYS_MAX 16

static const char *const kind_names[] = {
	"?", "event", "recorded", "attempt", "request", "operator", "outcome",
};

const char *
ps_audit_kind_name(ps_audit_kind k)
{
	if ((unsigned)k >= PS__ARRAY_LEN(kind_names))
		return "?";
	return kind_names[k];
}

static void
row_dispose(ps_audit_row *r)
{
	free(r->flow);
	free(r->what);
	free(r->ref);
	free(r->outcome);
	free(r->reason);
}

void
ps_audit_rows_free(ps_audit_row *rows, size_t n)
{
	size_t i;

	if (rows == NULL)
		return;
	for (i = 0; i < n; i++)
		row_dispose(&rows[i]);
	free(rows);
}

/* ---- describing -------------------------------------------------------- */

/* "1.2 s" or "120 ms" */
static const char *
span(char *buf, size_t cap, int64_t ms)
{
	if (ms >= 10000)
		snprintf(buf, cap, "%" PRId64 " s", ms / 1000);
	else if (ms >= 1000)
		snprintf(buf, cap, "%" PRId64 ".%" PRId64 " s", ms / 1000,
			 (ms % 1000) / 100);
	else
		snprintf(buf, cap, "%" PRId64 " ms", ms < 0 ? 0 : ms);
	return buf;
}

static const char *
or_dash(const char *s)
{
	return s != NULL && s[0] != '\0' ? s : "-";
}

char *
ps_audit_row_describe(char *buf, size_t cap, const ps_audit_row *r)
{
	char t[32], v[48];

	if (cap == 0)
		return buf;
	buf[0] = '\0';
	if (r == NULL)
		return buf;
	if (r->settings_version >= 0)
		snprintf(v, sizeof(v), "settings v%" PRId64,
			 r->settings_version);
	else
		snprintf(v, sizeof(v), "settings version unknown");
	switch (r->kind) {
	case PS_AUDIT_EVENT:
		snprintf(buf, cap, "event: %s %s (%s)",
			 ps_platform_name(r->platform), or_dash(r->what),
			 or_dash(r->ref));
		break;
	case PS_AUDIT_RECORDED: {
		ps_log_entry e;
		char d[192];

		ps_log_entry_init(&e);
		/* borrowed: e is never disposed */
		e.kind = r->what;
		e.subject = r->ref;
		e.subject_order = (char *)(uintptr_t) "";
		ps_log_entry_describe(d, sizeof(d), &e);
		snprintf(buf, cap, "entry %" PRId64 " recorded by %s: %s",
			 r->entry_id, or_dash(r->flow),
			 d[0] ? d : or_dash(r->what));
		break;
	}
	case PS_AUDIT_ATTEMPT:
		if (r->ended_at > 0)
			snprintf(buf, cap,
				 "attempt %d of entry %" PRId64
				 " (%s), %s, %s: %s%s%s%s%s",
				 r->attempt, r->entry_id, or_dash(r->flow), v,
				 span(t, sizeof(t), r->duration_ms),
				 or_dash(r->outcome),
				 r->ref && r->ref[0] ? " as " : "",
				 r->ref ? r->ref : "",
				 r->reason && r->reason[0] ? ": " : "",
				 r->reason ? r->reason : "");
		else
			snprintf(buf, cap,
				 "attempt %d of entry %" PRId64
				 " (%s), %s: never ended (the worker stopped)",
				 r->attempt, r->entry_id, or_dash(r->flow), v);
		break;
	case PS_AUDIT_REQUEST:
		if (r->status > 0)
			snprintf(buf, cap,
				 "  %s %s %s -> %ld, %s, %" PRId64 " bytes",
				 ps_platform_name(r->platform),
				 or_dash(r->what), or_dash(r->ref), r->status,
				 span(t, sizeof(t), r->duration_ms), r->bytes);
		else
			snprintf(buf, cap, "  %s %s %s -> no response (%s), %s",
				 ps_platform_name(r->platform),
				 or_dash(r->what), or_dash(r->ref),
				 or_dash(r->reason),
				 span(t, sizeof(t), r->duration_ms));
		break;
	case PS_AUDIT_OPERATOR:
		snprintf(buf, cap, "operator: %s entry %" PRId64,
			 or_dash(r->what), r->entry_id);
		break;
	case PS_AUDIT_OUTCOME:
		snprintf(buf, cap, "entry %" PRId64 " (%s) is %s%s%s%s%s",
			 r->entry_id, or_dash(r->flow), or_dash(r->outcome),
			 r->ref && r->ref[0] ? " as " : "",
			 r->ref ? r->ref : "",
			 r->reason && r->reason[0] ? ": " : "",
			 r->reason ? r->reason : "");
		break;
	default:
		snprintf(buf, cap, "?");
		break;
	}
	return buf;
}

/* ---- writing ----------------------------------------------------------- */

int
ps_store_audit_attempt_begin(int64_t *out_id, ps_store *st,
			     const ps_log_entry *e, int64_t settings_version,
			     int64_t batch_of, int64_t now)
{
	sqlite3_stmt *s;
	int error;

	if (out_id != NULL)
		*out_id = 0;
	if ((error = ps_store__null_store(st, "ps_store_audit_attempt_begin")) <
	    0)
		return error;
	if (e == NULL)
		return ps_error_set(PS_EINVAL, "audit: no entry");
	if ((error = ps_store__prepare(
		     &s, st,
		     "INSERT INTO audit(kind, at, entry_id, attempt, platform,"
		     " flow, what, outcome, settings_version, attempt_id)"
		     " VALUES (3, ?1, ?2, ?3, ?4, ?5, ?6, 'in flight', ?7,"
		     " ?8)")) < 0)
		return error;
	if ((error = ps_store__bind_int64(st, s, 1, now)) < 0 ||
	    (error = ps_store__bind_int64(st, s, 2, e->id)) < 0 ||
	    (error = ps_store__bind_int64(st, s, 3, e->attempts)) < 0 ||
	    (error = ps_store__bind_int64(st, s, 4, e->source_platform)) < 0 ||
	    (error = ps_store__bind_text(st, s, 5, e->flow)) < 0 ||
	    (error = ps_store__bind_text(st, s, 6, e->kind)) < 0 ||
	    (error = settings_version >= 0
			     ? ps_store__bind_int64(st, s, 7, settings_version)
			     : ps_store__bind_text(st, s, 7, NULL)) < 0 ||
	    (error = batch_of > 0 ? ps_store__bind_int64(st, s, 8, batch_of)
				  : ps_store__bind_text(st, s, 8, NULL)) < 0) {
		sqlite3_reset(s);
		return error;
	}
	if ((error = ps_store__step_done(st, s, "opening an audit attempt")) <
	    0)
		return error;
	if (out_id != NULL)
		*out_id = sqlite3_last_insert_rowid(st->db);
	return 0;
}

int
ps_store_audit_attempt_end(ps_store *st, int64_t id, const char *outcome,
			   const char *reason, const char *target, int64_t now)
{
	sqlite3_stmt *s;
	int error;

	if ((error = ps_store__null_store(st, "ps_store_audit_attempt_end")) <
		    0 ||
	    (error = ps_store__check_name(outcome, "audit outcome")) < 0)
		return error;
	if ((error = ps_store__prepare(
		     &s, st,
		     "UPDATE audit SET ended_at = ?2, duration_ms = ?2 - at,"
		     " outcome = ?3, reason = ?4, ref = ?5"
		     " WHERE id = ?1 AND kind = 3")) < 0)
		return error;
	if ((error = ps_store__bind_int64(st, s, 1, id)) < 0 ||
	    (error = ps_store__bind_int64(st, s, 2, now)) < 0 ||
	    (error = ps_store__bind_text(st, s, 3, outcome)) < 0 ||
	    (error = ps_store__bind_text(st, s, 4, reason)) < 0 ||
	    (error = ps_store__bind_text(st, s, 5, target)) < 0) {
		sqlite3_reset(s);
		return error;
	}
	return ps_store__step_done(st, s, "closing an audit attempt");
}

int
ps_store_audit_request_add(ps_store *st, int64_t attempt_id, int64_t entry_id,
			   const ps_audit_request *r)
{
	sqlite3_stmt *s;
	int error;

	if ((error = ps_store__null_store(st, "ps_store_audit_request_add")) <
	    0)
		return error;
	if (r == NULL)
		return ps_error_set(PS_EINVAL, "audit: no request");
	if ((error = ps_store__prepare(
		     &s, st,
		     "INSERT INTO audit(kind, at, entry_id, attempt_id,"
		     " platform, what, ref, status, reason, duration_ms,"
		     " bytes) VALUES (4, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9,"
		     " ?10)")) < 0)
		return error;
	if ((error = ps_store__bind_int64(st, s, 1, r->at)) < 0 ||
	    (error = ps_store__bind_int64(st, s, 2, entry_id)) < 0 ||
	    (error = ps_store__bind_int64(st, s, 3, attempt_id)) < 0 ||
	    (error = ps_store__bind_int64(st, s, 4, r->platform)) < 0 ||
	    (error = ps_store__bind_text(st, s, 5, r->method)) < 0 ||
	    (error = ps_store__bind_text(st, s, 6, r->path)) < 0 ||
	    (error = ps_store__bind_int64(st, s, 7, r->status)) < 0 ||
	    (error = ps_store__bind_text(
		     st, s, 8, r->error != 0 ? ps_strerror(r->error) : NULL)) <
		    0 ||
	    (error = ps_store__bind_int64(st, s, 9, r->duration_ms)) < 0 ||
	    (error = ps_store__bind_int64(st, s, 10, r->bytes)) < 0) {
		sqlite3_reset(s);
		return error;
	}
	return ps_store__step_done(st, s, "recording an audited request");
}

int
ps_store_audit_event_add(ps_store *st, const ps_event *ev)
{
	sqlite3_stmt *s;
	char id[24];
	size_t i;
	int error;

	if ((error = ps_store__null_store(st, "ps_store_audit_event_add")) < 0)
		return error;
	if (ev == NULL)
		return ps_error_set(PS_EINVAL, "audit: no event");
	if ((error = ps_store__prepare(
		     &s, st,
		     "INSERT INTO audit(kind, at, platform, what, object, ref)"
		     " VALUES (1, ?1, ?2, ?3, ?4, ?5)")) < 0)
		return error;
	for (i = 0; i < ev->nids && error == 0; i++) {
		snprintf(id, sizeof(id), "%" PRId64, ev->ids[i]);
		if ((error = ps_store__bind_int64(st, s, 1, ev->received_at)) <
			    0 ||
		    (error = ps_store__bind_int64(st, s, 2, ev->platform)) <
			    0 ||
		    (error = ps_store__bind_text(st, s, 3, ev->topic)) < 0 ||
		    (error = ps_store__bind_text(
			     st, s, 4, ev->object ? ev->object : "")) < 0 ||
		    (error = ps_store__bind_text(st, s, 5, id)) < 0) {
			sqlite3_reset(s);
			break;
		}
		error = ps_store__step_done(st, s, "recording an event");
	}
	return error;
}

/* An operator's request about entry id (sync_log.c, retries). */
int
ps_store__audit_operator(ps_store *st, int64_t entry_id, const char *what,
			 int64_t now)
{
	sqlite3_stmt *s;
	int error;

	if ((error = ps_store__prepare(
		     &s, st,
		     "INSERT INTO audit(kind, at, entry_id, platform, flow,"
		     " what) SELECT 5, ?2, id, source_platform, flow, ?3"
		     " FROM log_entries WHERE id = ?1")) < 0)
		return error;
	if ((error = ps_store__bind_int64(st, s, 1, entry_id)) < 0 ||
	    (error = ps_store__bind_int64(st, s, 2, now)) < 0 ||
	    (error = ps_store__bind_text(st, s, 3, what)) < 0) {
		sqlite3_reset(s);
		return error;
	}
	return ps_store__step_done(st, s, "recording an operator request");
}

/* The same for every failed entry (of flow, or all). */
int
ps_store__audit_operator_failed(ps_store *st, const char *flow,
				const char *what, int64_t now)
{
	sqlite3_stmt *s;
	int error;

	if ((error = ps_store__prepare(
		     &s, st,
		     "INSERT INTO audit(kind, at, entry_id, platform, flow,"
		     " what) SELECT 5, ?2, id, source_platform, flow, ?3"
		     " FROM log_entries WHERE status = 3"
		     " AND (?1 IS NULL OR flow = ?1)")) < 0)
		return error;
	if ((error = ps_store__bind_text(st, s, 1, flow)) < 0 ||
	    (error = ps_store__bind_int64(st, s, 2, now)) < 0 ||
	    (error = ps_store__bind_text(st, s, 3, what)) < 0) {
		sqlite3_reset(s);
		return error;
	}
	return ps_store__step_done(st, s, "recording an operator request");
}

int
ps_store_audit_prune(size_t *out_n, ps_store *st, int64_t before)
{
	sqlite3_stmt *s;
	size_t total = 0;
	int error, n;

	if (out_n != NULL)
		*out_n = 0;
	if ((error = ps_store__null_store(st, "ps_store_audit_prune")) < 0)
		return error;
	do {
		if ((error = ps_store__prepare(
			     &s, st,
			     "DELETE FROM audit WHERE id IN (SELECT id FROM"
			     " audit WHERE at < ?1 LIMIT ?2)")) < 0)
			return error;
		if ((error = ps_store__bind_int64(st, s, 1, before)) < 0 ||
		    (error = ps_store__bind_int64(st, s, 2, PRUNE_SLICE)) < 0) {
			sqlite3_reset(s);
			return error;
		}
		if ((error = ps_store__step_done(
			     st, s, "pruning the audit trail")) < 0)
			return error;
		n = sqlite3_changes(st->db);
		total += (size_t)n;
	} while (n == PRUNE_SLICE);
	if (out_n != NULL)
		*out_n = total;
	return 0;
}

int
ps_store_audit_entry_version(int64_t *out, ps_store *st, int64_t entry_id)
{
	sqlite3_stmt *s;
	int error;

	if (out == NULL)
		return ps_error_set(PS_EINVAL, "ps_store_audit_entry_version: "
					       "out is NULL");
	*out = -1;
	if ((error = ps_store__null_store(st, "ps_store_audit_entry_version")) <
	    0)
		return error;
	if ((error = ps_store__prepare(
		     &s, st,
		     "SELECT settings_version FROM audit WHERE entry_id = ?1"
		     " AND entry_id IS NOT NULL AND kind = 3"
		     " AND settings_version IS NOT NULL"
		     " ORDER BY id DESC LIMIT 1")) < 0)
		return error;
	if ((error = ps_store__bind_int64(st, s, 1, entry_id)) < 0)
		goto done;
	error = ps_store__step_row(st, s,
				   "reading an entry's settings version");
	if (error == 0)
		*out = sqlite3_column_int64(s, 0);
	else if (error == PS_ENOTFOUND)
		ps_error_set(PS_ENOTFOUND, "entry %" PRId64 " has no attempt",
			     entry_id);
done:
	sqlite3_reset(s);
	return error;
}

/* ---- reading ----------------------------------------------------------- */

typedef struct key {
	ps_platform platform;
	char id[64];
} key;

/* What a timeline gathers as it widens. */
typedef struct gather {
	ps_store *st;
	key orders[KEYS_MAX]; /* the order's ids */
	size_t norders;
	key subjects[KEYS_MAX * 4]; /* what events may name */
	size_t nsubjects;
	int64_t entries[PS_AUDIT_MAX_ENTRIES];
	size_t nentries;
	ps_audit_row *rows;
	size_t n, cap;
} gather;

static int
key_add(key *v, size_t *n, size_t max, ps_platform p, const char *id)
{
	size_t i;

	if (id == NULL || id[0] == '\0' || strlen(id) >= sizeof(v->id))
		return 0;
	for (i = 0; i < *n; i++)
		if (v[i].platform == p && strcmp(v[i].id, id) == 0)
			return 0;
	if (*n >= max)
		return 0;
	v[*n].platform = p;
	ps_util__strlcpy(v[*n].id, id, sizeof(v[*n].id));
	(*n)++;
	return 1;
}

static int
entry_add(gather *g, int64_t id)
{
	size_t i;

	for (i = 0; i < g->nentries; i++)
		if (g->entries[i] == id)
			return 0;
	if (g->nentries >= PS_AUDIT_MAX_ENTRIES)
		return 0;
	g->entries[g->nentries++] = id;
	return 1;
}

static ps_audit_row *
row_new(gather *g)
{
	ps_audit_row *r;

	if (g->n == g->cap) {
		size_t cap = g->cap ? g->cap * 2 : 64;
		ps_audit_row *nv = realloc(g->rows, cap * sizeof(*nv));

		if (nv == NULL)
			return NULL;
		g->rows = nv;
		g->cap = cap;
	}
	r = &g->rows[g->n++];
	memset(r, 0, sizeof(*r));
	r->settings_version = -1;
	return r;
}

static char *
dup_or_empty(const char *s)
{
	return ps_util__strdup(s != NULL ? s : "");
}

static int
row_strings_ok(const ps_audit_row *r)
{
	return r->flow && r->what && r->ref && r->outcome && r->reason;
}

/*
 * The order's ids on the other platforms: its cross-references and the
 * orders its imports created, until nothing new is found.
 */
static int
widen_orders(gather *g)
{
	sqlite3_stmt *s;
	size_t i;
	int error = 0, rc;

	for (i = 0; i < g->norders && error == 0; i++) {
		const key *k = &g->orders[i];

		if ((error = ps_store__prepare(
			     &s, g->st,
			     "SELECT platform_b, id_b FROM xrefs WHERE"
			     " entity = 'order' AND platform_a = ?1 AND"
			     " id_a = ?2"
			     " UNION ALL SELECT platform_a, id_a FROM xrefs"
			     " WHERE entity = 'order' AND platform_b = ?1 AND"
			     " id_b = ?2"
			     " UNION ALL SELECT target_platform, target_id FROM"
			     " log_entries WHERE source_platform = ?1 AND"
			     " subject = ?2 AND subject <> '' AND"
			     " kind = 'order.import' AND target_id IS NOT"
			     " NULL")) < 0)
			return error;
		if ((error = ps_store__bind_int64(g->st, s, 1, k->platform)) <
			    0 ||
		    (error = ps_store__bind_text(g->st, s, 2, k->id)) < 0) {
			sqlite3_reset(s);
			return error;
		}
		while ((rc = sqlite3_step(s)) == SQLITE_ROW)
			key_add(g->orders, &g->norders, KEYS_MAX,
				(ps_platform)sqlite3_column_int(s, 0),
				(const char *)sqlite3_column_text(s, 1));
		if (rc != SQLITE_DONE)
			error = ps_store__error(g->st, rc,
						"reading an order's links");
		sqlite3_reset(s);
	}
	return error;
}

/* The entries about the orders, and the subjects events may name. */
static int
find_entries(gather *g)
{
	sqlite3_stmt *s;
	size_t i;
	int error = 0, rc;

	for (i = 0; i < g->norders; i++)
		key_add(g->subjects, &g->nsubjects, PS__ARRAY_LEN(g->subjects),
			g->orders[i].platform, g->orders[i].id);
	for (i = 0; i < g->norders && error == 0; i++) {
		const key *k = &g->orders[i];

		if ((error = ps_store__prepare(
			     &s, g->st,
			     "SELECT id, source_platform, subject FROM"
			     " log_entries WHERE source_platform = ?1 AND"
			     " subject = ?2 AND subject <> '' AND"
			     " kind GLOB 'order.*'"
			     " UNION SELECT id, source_platform, subject FROM"
			     " log_entries WHERE source_platform = ?1 AND"
			     " subject_order = ?2 AND subject_order <> ''"
			     " ORDER BY 1")) < 0)
			return error;
		if ((error = ps_store__bind_int64(g->st, s, 1, k->platform)) <
			    0 ||
		    (error = ps_store__bind_text(g->st, s, 2, k->id)) < 0) {
			sqlite3_reset(s);
			return error;
		}
		while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
			entry_add(g, sqlite3_column_int64(s, 0));
			key_add(g->subjects, &g->nsubjects,
				PS__ARRAY_LEN(g->subjects),
				(ps_platform)sqlite3_column_int(s, 1),
				(const char *)sqlite3_column_text(s, 2));
		}
		if (rc != SQLITE_DONE)
			error = ps_store__error(g->st, rc,
						"reading an order's entries");
		sqlite3_reset(s);
	}
	return error;
}

/* Columns of the audit rows read, in this order. */
#define AUDIT_COLUMNS                                                          \
	"id, kind, at, ended_at, entry_id, attempt_id, attempt, platform,"     \
	" flow, what, object, ref, outcome, reason, settings_version,"         \
	" status, duration_ms, bytes"

static int
read_audit_row(gather *g, sqlite3_stmt *s)
{
	ps_audit_row *r = row_new(g);
	const char *object = (const char *)sqlite3_column_text(s, 10);
	const char *ref = (const char *)sqlite3_column_text(s, 11);
	char buf[160];

	if (r == NULL)
		return ps_error_set(PS_ENOMEM, "out of memory");
	r->id = sqlite3_column_int64(s, 0);
	r->kind = (ps_audit_kind)sqlite3_column_int(s, 1);
	r->at = sqlite3_column_int64(s, 2);
	r->ended_at = sqlite3_column_int64(s, 3);
	r->entry_id = sqlite3_column_int64(s, 4);
	r->attempt_id = sqlite3_column_int64(s, 5);
	r->attempt = sqlite3_column_int(s, 6);
	r->platform = (ps_platform)sqlite3_column_int(s, 7);
	r->settings_version = sqlite3_column_type(s, 14) == SQLITE_NULL
				      ? -1
				      : sqlite3_column_int64(s, 14);
	r->status = (long)sqlite3_column_int64(s, 15);
	r->duration_ms = sqlite3_column_int64(s, 16);
	r->bytes = sqlite3_column_int64(s, 17);
	if (r->kind == PS_AUDIT_EVENT && object != NULL && object[0] != '\0') {
		snprintf(buf, sizeof(buf), "%s %s", object, ref ? ref : "");
		ref = buf;
	}
	r->flow = dup_or_empty((const char *)sqlite3_column_text(s, 8));
	r->what = dup_or_empty((const char *)sqlite3_column_text(s, 9));
	r->ref = dup_or_empty(ref);
	r->outcome = dup_or_empty((const char *)sqlite3_column_text(s, 12));
	r->reason = dup_or_empty((const char *)sqlite3_column_text(s, 13));
	if (!row_strings_ok(r))
		return ps_error_set(PS_ENOMEM, "out of memory");
	return 0;
}

/* Step s (bound) and read every row it yields. */
static int
read_rows(gather *g, sqlite3_stmt *s)
{
	int error = 0, rc;

	while (error == 0 && (rc = sqlite3_step(s)) == SQLITE_ROW)
		error = read_audit_row(g, s);
	if (error == 0 && rc != SQLITE_DONE)
		error = ps_store__error(g->st, rc, "reading the audit trail");
	sqlite3_reset(s);
	return error;
}

/*
 * The requests of the batches the attempts read so far were part of:
 * recorded once, under each batch's first attempt (read twice when that
 * attempt is one of ours too: finish() keeps one).
 */
static int
read_batch_requests(gather *g)
{
	sqlite3_stmt *s;
	size_t i, n = g->n;
	int error = 0;

	for (i = 0; i < n && error == 0; i++) {
		int64_t leader = g->rows[i].attempt_id;

		if (g->rows[i].kind != PS_AUDIT_ATTEMPT || leader <= 0)
			continue;
		if ((error = ps_store__prepare(
			     &s, g->st,
			     "SELECT " AUDIT_COLUMNS " FROM audit"
			     " WHERE attempt_id = ?1 AND kind = 4"
			     " ORDER BY id")) < 0)
			return error;
		if ((error = ps_store__bind_int64(g->st, s, 1, leader)) < 0) {
			sqlite3_reset(s);
			return error;
		}
		error = read_rows(g, s);
	}
	return error;
}

/* Every audit row of the entries, and the events about the subjects. */
static int
read_audit(gather *g)
{
	sqlite3_stmt *s;
	size_t i, n = g->nentries + g->nsubjects;
	int error = 0;

	for (i = 0; i < n && error == 0; i++) {
		if (i < g->nentries)
			error = ps_store__prepare(
				&s, g->st,
				"SELECT " AUDIT_COLUMNS " FROM audit"
				" WHERE entry_id = ?1 AND entry_id IS NOT NULL"
				" ORDER BY id");
		else
			error = ps_store__prepare(
				&s, g->st,
				"SELECT " AUDIT_COLUMNS " FROM audit"
				" WHERE platform = ?1 AND ref = ?2 AND kind = 1"
				" ORDER BY id");
		if (error < 0)
			return error;
		if (i < g->nentries)
			error = ps_store__bind_int64(g->st, s, 1,
						     g->entries[i]);
		else {
			const key *k = &g->subjects[i - g->nentries];

			if ((error = ps_store__bind_int64(g->st, s, 1,
							  k->platform)) == 0)
				error = ps_store__bind_text(g->st, s, 2, k->id);
		}
		if (error < 0) {
			sqlite3_reset(s);
			return error;
		}
		error = read_rows(g, s);
	}
	return error == 0 ? read_batch_requests(g) : error;
}

/* The "recorded" and "outcome" steps of each entry, from the log. */
static int
read_entries(gather *g)
{
	size_t i;
	int error = 0;

	for (i = 0; i < g->nentries && error == 0; i++) {
		ps_log_entry e;
		ps_audit_row *r;

		if ((error = ps_store_log_get(&e, g->st, g->entries[i])) < 0)
			break;
		if ((r = row_new(g)) == NULL) {
			ps_log_entry_dispose(&e);
			return ps_error_set(PS_ENOMEM, "out of memory");
		}
		r->kind = PS_AUDIT_RECORDED;
		r->at = e.inserted_at;
		r->entry_id = e.id;
		r->platform = e.source_platform;
		r->flow = dup_or_empty(e.flow);
		r->what = dup_or_empty(e.kind);
		r->ref = dup_or_empty(e.subject);
		r->outcome = dup_or_empty("");
		r->reason = dup_or_empty(e.order_number);
		if (!row_strings_ok(r) || (r = row_new(g)) == NULL) {
			ps_log_entry_dispose(&e);
			return ps_error_set(PS_ENOMEM, "out of memory");
		}
		r->kind = PS_AUDIT_OUTCOME;
		r->at = e.synced_at > 0 ? e.synced_at : e.updated_at;
		r->entry_id = e.id;
		r->platform = e.source_platform;
		r->flow = dup_or_empty(e.flow);
		r->what = dup_or_empty(e.kind);
		r->ref = dup_or_empty(e.target_id);
		r->outcome = dup_or_empty(ps_entry_status_name(e.status));
		r->reason = dup_or_empty(
			e.status == PS_ENTRY_SYNCED ? "" : e.reason);
		ps_log_entry_dispose(&e);
		if (!row_strings_ok(r))
			return ps_error_set(PS_ENOMEM, "out of memory");
	}
	return error;
}

/* Oldest first; at one time: events, recorded, the audit rows by row id
 * (an attempt before its requests), outcomes last. */
static int
rank(const ps_audit_row *r)
{
	switch (r->kind) {
	case PS_AUDIT_EVENT:
		return 0;
	case PS_AUDIT_RECORDED:
		return 1;
	case PS_AUDIT_OUTCOME:
		return 3;
	default:
		return 2;
	}
}

static int
row_cmp(const void *a, const void *b)
{
	const ps_audit_row *x = a, *y = b;

	if (x->at != y->at)
		return x->at < y->at ? -1 : 1;
	if (rank(x) != rank(y))
		return rank(x) - rank(y);
	if (x->id != y->id)
		return x->id < y->id ? -1 : 1;
	return x->entry_id < y->entry_id ? -1 : x->entry_id > y->entry_id;
}

/*
 * A row read twice (a batch's request, through its first attempt and
 * through another of the batch's attempts) is kept once; after the sort
 * the copies are neighbours (same time, rank and id).
 */
static void
drop_twice_read(gather *g)
{
	size_t i, k = 0;

	for (i = 0; i < g->n; i++) {
		if (k > 0 && g->rows[i].id != 0 &&
		    g->rows[i].id == g->rows[k - 1].id) {
			row_dispose(&g->rows[i]);
			continue;
		}
		g->rows[k++] = g->rows[i];
	}
	g->n = k;
}

static int
finish(ps_audit_row **out, size_t *out_n, gather *g)
{
	int error;

	if ((error = find_entries(g)) < 0 || (error = read_audit(g)) < 0 ||
	    (error = read_entries(g)) < 0) {
		ps_audit_rows_free(g->rows, g->n);
		return error;
	}
	if (g->n > 1)
		qsort(g->rows, g->n, sizeof(*g->rows), row_cmp);
	drop_twice_read(g);
	*out = g->rows;
	*out_n = g->n;
	return 0;
}

/* Does platform p know an order id (as the source of its import: 2; in
 * any other way: 1; not at all: 0)? */
static int
knows(int *out, ps_store *st, ps_platform p, const char *id)
{
	sqlite3_stmt *s;
	int error, rc;

	*out = 0;
	if ((error = ps_store__prepare(
		     &s, st,
		     "SELECT MAX(CASE WHEN kind = 'order.import' THEN 2"
		     " ELSE 1 END) FROM log_entries WHERE source_platform = ?1"
		     " AND ((subject = ?2 AND subject <> '' AND"
		     " kind GLOB 'order.*') OR (subject_order = ?2 AND"
		     " subject_order <> ''))")) < 0)
		return error;
	if ((error = ps_store__bind_int64(st, s, 1, p)) < 0 ||
	    (error = ps_store__bind_text(st, s, 2, id)) < 0)
		goto done;
	if ((rc = sqlite3_step(s)) != SQLITE_ROW) {
		error = ps_store__error(st, rc, "looking an order up");
		goto done;
	}
	*out = sqlite3_column_int(s, 0);
	sqlite3_reset(s);
	if (*out > 0)
		return 0;
	if ((error = ps_store__prepare(
		     &s, st,
		     "SELECT 1 FROM xrefs WHERE entity = 'order' AND"
		     " ((platform_a = ?1 AND id_a = ?2) OR (platform_b = ?1"
		     " AND id_b = ?2)) LIMIT 1")) < 0)
		return error;
	if ((error = ps_store__bind_int64(st, s, 1, p)) < 0 ||
	    (error = ps_store__bind_text(st, s, 2, id)) < 0)
		goto done;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*out = 1;
	else if (rc != SQLITE_DONE)
		error = ps_store__error(st, rc, "looking an order up");
done:
	sqlite3_reset(s);
	return error;
}

/*
 * The order an operator's order number names (a DSCO PO number, say,
 * when the platform's id is another): the subject of the newest order
 * entry with that order number, on platform (< 0: any), an import first.
 * 1 when found (*out_platform, out_id set), 0 when none.
 */
static int
by_order_number(int *out_platform, char *out_id, size_t cap, ps_store *st,
		int platform, const char *number)
{
	sqlite3_stmt *s;
	int error, rc;

	if ((error = ps_store__prepare(
		     &s, st,
		     "SELECT source_platform, subject FROM log_entries"
		     " WHERE order_number = ?1 AND kind GLOB 'order.*'"
		     " AND subject <> '' AND (?2 < 0 OR source_platform = ?2)"
		     " ORDER BY kind = 'order.import' DESC, id DESC"
		     " LIMIT 1")) < 0)
		return error;
	if ((error = ps_store__bind_text(st, s, 1, number)) < 0 ||
	    (error = ps_store__bind_int64(st, s, 2, platform)) < 0)
		goto done;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*out_platform = sqlite3_column_int(s, 0);
		ps_util__strlcpy(out_id,
				 (const char *)sqlite3_column_text(s, 1), cap);
		error = 1;
	} else if (rc != SQLITE_DONE) {
		error = ps_store__error(st, rc, "looking an order number up");
	}
done:
	sqlite3_reset(s);
	return error;
}

/* The platform an order id is on (< 0: none knows it). */
static int
platform_of(int *out, ps_store *st, int asked, const char *id)
{
	int error, best = 0, k, p;

	*out = -1;
	if (asked >= 0) {
		if ((error = knows(&k, st, (ps_platform)asked, id)) < 0)
			return error;
		if (k > 0)
			*out = asked;
		return 0;
	}
	/* the platform where it was placed, else the first knowing it */
	for (p = 0; p < PS_PLATFORM_MAX && best < 2; p++) {
		if (ps_store__check_platform((ps_platform)p) < 0) {
			ps_error_clear();
			continue;
		}
		if ((error = knows(&k, st, (ps_platform)p, id)) < 0)
			return error;
		if (k > best) {
			best = k;
			*out = p;
		}
	}
	return 0;
}

int
ps_store_audit_timeline(ps_audit_row **out, size_t *out_n, ps_store *st,
			int platform, const char *id)
{
	char found[sizeof(((key *)0)->id)];
	gather *g;
	int error = 0, p;

	if (out == NULL || out_n == NULL)
		return ps_error_set(PS_EINVAL, "ps_store_audit_timeline: NULL");
	*out = NULL;
	*out_n = 0;
	if ((error = ps_store__null_store(st, "ps_store_audit_timeline")) < 0 ||
	    (error = ps_store__check_name(id, "order id")) < 0)
		return error;
	if (strlen(id) >= sizeof(found))
		return ps_error_set(PS_EINVAL,
				    "order id '%.20s...' is too long", id);
	if (platform >= 0 &&
	    (error = ps_store__check_platform((ps_platform)platform)) < 0)
		return error;
	if ((error = platform_of(&p, st, platform, id)) < 0)
		return error;
	if (p < 0) {
		/* not an id: an order number (a PO number...)? */
		if ((error = by_order_number(&p, found, sizeof(found), st,
					     platform, id)) < 0)
			return error;
		if (error == 0 && platform < 0)
			return ps_error_set(PS_ENOTFOUND,
					    "no platform knows an order '%s'",
					    id);
		if (error == 0)
			return ps_error_set(
				PS_ENOTFOUND, "no %s order '%s' is known",
				ps_platform_name((ps_platform)platform), id);
		id = found;
	}
	if ((g = calloc(1, sizeof(*g))) == NULL)
		return ps_error_set(PS_ENOMEM, "out of memory");
	g->st = st;
	key_add(g->orders, &g->norders, KEYS_MAX, (ps_platform)p, id);
	if ((error = widen_orders(g)) == 0)
		error = finish(out, out_n, g);
	free(g);
	return error;
}

int
ps_store_audit_timeline_of_entry(ps_audit_row **out, size_t *out_n,
				 ps_store *st, int64_t entry_id)
{
	ps_log_entry e;
	gather *g;
	int error;

	if (out == NULL || out_n == NULL)
		return ps_error_set(PS_EINVAL,
				    "ps_store_audit_timeline_of_entry: NULL");
	*out = NULL;
	*out_n = 0;
	if ((error = ps_store_log_get(&e, st, entry_id)) < 0)
		return error;
	if (strncmp(e.kind, "order.", 6) == 0 && e.subject[0] != '\0') {
		error = ps_store_audit_timeline(
			out, out_n, st, (int)e.source_platform, e.subject);
	} else if (e.subject_order[0] != '\0') {
		error = ps_store_audit_timeline(out, out_n, st,
						(int)e.source_platform,
						e.subject_order);
	} else if ((g = calloc(1, sizeof(*g))) == NULL) {
		error = ps_error_set(PS_ENOMEM, "out of memory");
	} else {
		/* no order: the entry alone */
		g->st = st;
		entry_add(g, e.id);
		key_add(g->subjects, &g->nsubjects, PS__ARRAY_LEN(g->subjects),
			e.source_platform, e.subject);
		if ((error = read_audit(g)) == 0 &&
		    (error = read_entries(g)) == 0) {
			qsort(g->rows, g->n, sizeof(*g->rows), row_cmp);
			drop_twice_read(g);
			*out = g->rows;
			*out_n = g->n;
		} else {
			ps_audit_rows_free(g->rows, g->n);
		}
		free(g);
	}
	ps_log_entry_dispose(&e);
	return error;
}
