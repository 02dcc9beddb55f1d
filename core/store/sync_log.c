/*
 * sync_log.c - the sync log: one row per unit of work, a durable state
 * machine (pending -> in_flight -> synced | failed | pending).
 *
 * Invariants kept here: next_attempt_at is non-NULL only for entries that
 * are due at some time (PENDING or FAILED-but-transient), so the partial
 * index log_due holds exactly the work the worker may claim; IN_FLIGHT is
 * only ever set by claim_due, in its own committed transaction, so after a
 * crash an IN_FLIGHT row means "the call may have happened".
 */
#include "store/store_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LIST_LIMIT_MAX 1000

static const char *const status_names[PS_ENTRY_STATUS_COUNT] = {
	"pending", "in_flight", "synced", "failed"};

const char *
ps_entry_status_name(ps_entry_status s)
{
	return (unsigned)s < PS_ENTRY_STATUS_COUNT ? status_names[s] : "?";
}

int
ps_entry_status_parse(ps_entry_status *out, const char *name)
{
	int i;

	for (i = 0; name != NULL && i < PS_ENTRY_STATUS_COUNT; i++) {
		if (strcmp(name, status_names[i]) == 0) {
			*out = (ps_entry_status)i;
			return 0;
		}
	}
	return ps_error_set(PS_EINVAL,
			    "unknown status '%s' (pending, in_flight, synced, "
			    "failed)",
			    name ? name : "");
}

void
ps_log_entry_init(ps_log_entry *e)
{
	memset(e, 0, sizeof(*e));
	e->status = PS_ENTRY_PENDING;
}

void
ps_log_entry_dispose(ps_log_entry *e)
{
	if (e == NULL)
		return;
	free(e->flow);
	free(e->dedupe_key);
	free(e->order_number);
	free(e->currency);
	free(e->shipping_method);
	free(e->shipment_status);
	free(e->reason);
	free(e->source_id);
	free(e->target_id);
	free(e->detail);
	free(e->kind);
	free(e->subject);
	free(e->subject_order);
	ps_log_entry_init(e);
}

void
ps_log_entries_free(ps_log_entry *entries, size_t n)
{
	size_t i;

	if (entries == NULL)
		return;
	for (i = 0; i < n; i++)
		ps_log_entry_dispose(&entries[i]);
	free(entries);
}

int
ps_log_entry_is(const ps_log_entry *e, const char *kind)
{
	return e != NULL && e->kind != NULL && kind != NULL &&
	       strcmp(e->kind, kind) == 0;
}

/* The object named by kind (its part before the first '.') into buf. */
static void
kind_object(char *buf, size_t cap, const char *kind)
{
	size_t n = kind ? strcspn(kind, ".") : 0;

	if (n >= cap)
		n = cap - 1;
	memcpy(buf, kind ? kind : "", n);
	buf[n] = '\0';
}

char *
ps_log_entry_subject(char *buf, size_t cap, const ps_log_entry *e)
{
	char object[64];

	if (cap == 0)
		return buf;
	buf[0] = '\0';
	if (e == NULL || e->subject == NULL || e->subject[0] == '\0')
		return buf;
	kind_object(object, sizeof(object), e->kind);
	if (e->subject_order != NULL && e->subject_order[0] != '\0')
		snprintf(buf, cap, "%s%s%s of order %s", object,
			 object[0] ? " " : "", e->subject, e->subject_order);
	else
		snprintf(buf, cap, "%s%s%s", object, object[0] ? " " : "",
			 e->subject);
	return buf;
}

char *
ps_log_entry_describe(char *buf, size_t cap, const ps_log_entry *e)
{
	char subject[160], object[64];
	const char *work;

	if (cap == 0)
		return buf;
	buf[0] = '\0';
	if (e == NULL || e->kind == NULL || e->kind[0] == '\0')
		return buf;
	work = strchr(e->kind, '.');
	work = work != NULL && work[1] != '\0' ? work + 1 : e->kind;
	ps_log_entry_subject(subject, sizeof(subject), e);
	if (subject[0] == '\0') {
		kind_object(object, sizeof(object), e->kind);
		if (work != e->kind && object[0] != '\0')
			snprintf(buf, cap, "%s %s", work, object);
		else
			snprintf(buf, cap, "%s", work);
	} else {
		snprintf(buf, cap, "%s %s", work, subject);
	}
	return buf;
}

#define LOG_COLUMNS                                                            \
	"id, flow, dedupe_key, status, order_number, total, currency,"         \
	" shipping_method, shipment_status, inserted_at, updated_at,"          \
	" synced_at, next_attempt_at, attempts, reason, error_code,"           \
	" source_platform, source_id, target_platform, target_id, detail,"     \
	" kind, subject, subject_order"

static int64_t
col_time(sqlite3_stmt *s, int i)
{
	return sqlite3_column_type(s, i) == SQLITE_NULL
		       ? 0
		       : sqlite3_column_int64(s, i);
}

/* A NOT NULL text column into *out, never NULL on success. */
static int
column_text(char **out, sqlite3_stmt *s, int i)
{
	int error = ps_store__column_dup(out, s, i);

	if (error == 0 && *out == NULL && (*out = ps_util__strdup("")) == NULL)
		error = ps_error_set(PS_ENOMEM, "out of memory");
	return error;
}

/* Fill e (initialised here) from a row selected with LOG_COLUMNS. */
static int
read_entry(ps_log_entry *e, sqlite3_stmt *s)
{
	int error;

	ps_log_entry_init(e);
	e->id = sqlite3_column_int64(s, 0);
	e->status = (ps_entry_status)sqlite3_column_int(s, 3);
	e->has_total = sqlite3_column_type(s, 5) != SQLITE_NULL;
	e->total = e->has_total ? sqlite3_column_int64(s, 5) : 0;
	e->inserted_at = col_time(s, 9);
	e->updated_at = col_time(s, 10);
	e->synced_at = col_time(s, 11);
	e->next_attempt_at = col_time(s, 12);
	e->attempts = sqlite3_column_int(s, 13);
	e->error_code = sqlite3_column_int(s, 15);
	e->source_platform = (ps_platform)sqlite3_column_int(s, 16);
	e->target_platform = (ps_platform)sqlite3_column_int(s, 18);
	if ((error = ps_store__column_dup(&e->flow, s, 1)) < 0 ||
	    (error = ps_store__column_dup(&e->dedupe_key, s, 2)) < 0 ||
	    (error = ps_store__column_dup(&e->order_number, s, 4)) < 0 ||
	    (error = ps_store__column_dup(&e->currency, s, 6)) < 0 ||
	    (error = ps_store__column_dup(&e->shipping_method, s, 7)) < 0 ||
	    (error = ps_store__column_dup(&e->shipment_status, s, 8)) < 0 ||
	    (error = ps_store__column_dup(&e->reason, s, 14)) < 0 ||
	    (error = ps_store__column_dup(&e->source_id, s, 17)) < 0 ||
	    (error = ps_store__column_dup(&e->target_id, s, 19)) < 0 ||
	    (error = ps_store__column_dup(&e->detail, s, 20)) < 0 ||
	    (error = column_text(&e->kind, s, 21)) < 0 ||
	    (error = column_text(&e->subject, s, 22)) < 0 ||
	    (error = column_text(&e->subject_order, s, 23)) < 0)
		ps_log_entry_dispose(e);
	return error;
}

/* A growing array of entries. */
struct entry_vec {
	ps_log_entry *v;
	size_t n, cap;
};

static int
vec_read(struct entry_vec *vec, sqlite3_stmt *s)
{
	ps_log_entry *grown;
	int error;

	if (vec->n == vec->cap) {
		size_t cap = vec->cap ? vec->cap * 2 : 16;
		grown = realloc(vec->v, cap * sizeof(*grown));
		if (grown == NULL)
			return ps_error_set(PS_ENOMEM, "out of memory");
		vec->v = grown;
		vec->cap = cap;
	}
	if ((error = read_entry(&vec->v[vec->n], s)) < 0)
		return error;
	vec->n++;
	return 0;
}

/*
 * End a listing: on error (< 0) free what vec holds and return error;
 * otherwise hand vec to *out / *out_n (NULL when it is empty) and return 0.
 */
static int
vec_finish(ps_log_entry **out, size_t *out_n, struct entry_vec *vec, int error)
{
	if (error < 0) {
		ps_log_entries_free(vec->v, vec->n);
		return error;
	}
	if (vec->n == 0) {
		free(vec->v);
		vec->v = NULL;
	}
	*out = vec->v;
	*out_n = vec->n;
	return 0;
}

static int
check_store(ps_store *st, const char *fn)
{
	if (st == NULL)
		return ps_error_set(PS_EINVAL, "%s: store is NULL", fn);
	return 0;
}

int
ps_store_log_add(int64_t *out_id, ps_store *st, const ps_log_entry *e,
		 int64_t now)
{
	sqlite3_stmt *s;
	int rc, error, inserted;
	int64_t next;

	if (out_id)
		*out_id = 0;
	if ((error = check_store(st, "ps_store_log_add")) < 0)
		return error;
	if (e == NULL)
		return ps_error_set(PS_EINVAL, "log entry is NULL");
	if ((error = ps_store__check_name(e->flow, "log entry flow")) < 0 ||
	    (error = ps_store__check_name(e->dedupe_key,
					  "log entry dedupe key")) < 0)
		return error;
	if (e->status != PS_ENTRY_PENDING && e->status != PS_ENTRY_FAILED)
		return ps_error_set(
			PS_EINVAL, "a new log entry must be pending or failed");
	if ((unsigned)e->source_platform >= PS_PLATFORM_MAX ||
	    (unsigned)e->target_platform >= PS_PLATFORM_MAX)
		return ps_error_set(PS_EINVAL, "log entry platform is invalid");
	next = e->next_attempt_at;
	if (next == 0 && e->status == PS_ENTRY_PENDING)
		next = now;
	if ((error = ps_store__prepare(
		     &s, st,
		     "INSERT INTO log_entries(flow, dedupe_key, status,"
		     " order_number,"
		     " total, currency, shipping_method, shipment_status,"
		     " inserted_at, updated_at, next_attempt_at, reason,"
		     " error_code,"
		     " source_platform, source_id, target_platform, target_id,"
		     " detail, kind, subject, subject_order)"
		     " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9, ?10,"
		     " ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20)"
		     " ON CONFLICT(dedupe_key) DO NOTHING")) < 0)
		return error;
	if ((error = ps_store__bind_text(st, s, 1, e->flow)) < 0 ||
	    (error = ps_store__bind_text(st, s, 2, e->dedupe_key)) < 0 ||
	    (error = ps_store__bind_int64(st, s, 3, e->status)) < 0 ||
	    (error = ps_store__bind_text(st, s, 4, e->order_number)) < 0 ||
	    (e->has_total &&
	     (error = ps_store__bind_int64(st, s, 5, e->total)) < 0) ||
	    (error = ps_store__bind_text(st, s, 6, e->currency)) < 0 ||
	    (error = ps_store__bind_text(st, s, 7, e->shipping_method)) < 0 ||
	    (error = ps_store__bind_text(st, s, 8, e->shipment_status)) < 0 ||
	    (error = ps_store__bind_int64(st, s, 9, now)) < 0 ||
	    (error = ps_store__bind_time(st, s, 10, next)) < 0 ||
	    (error = ps_store__bind_text(st, s, 11, e->reason)) < 0 ||
	    (error = ps_store__bind_int64(st, s, 12, e->error_code)) < 0 ||
	    (error = ps_store__bind_int64(st, s, 13, e->source_platform)) < 0 ||
	    (error = ps_store__bind_text(st, s, 14, e->source_id)) < 0 ||
	    (error = ps_store__bind_int64(st, s, 15, e->target_platform)) < 0 ||
	    (error = ps_store__bind_text(st, s, 16, e->target_id)) < 0 ||
	    (error = ps_store__bind_text(st, s, 17, e->detail)) < 0 ||
	    (error = ps_store__bind_text(st, s, 18, e->kind ? e->kind : "")) <
		    0 ||
	    (error = ps_store__bind_text(st, s, 19,
					 e->subject ? e->subject : "")) < 0 ||
	    (error = ps_store__bind_text(
		     st, s, 20, e->subject_order ? e->subject_order : "")) <
		    0) {
		sqlite3_reset(s);
		return error;
	}
	if ((error = ps_store__step_done(st, s, "adding a log entry")) < 0)
		return error;
	inserted = sqlite3_changes(st->db) > 0;
	if (inserted) {
		if (out_id)
			*out_id = sqlite3_last_insert_rowid(st->db);
		return 0;
	}
	if ((error = ps_store__prepare(
		     &s, st,
		     "SELECT id FROM log_entries WHERE dedupe_key = ?")) < 0)
		return error;
	if ((error = ps_store__bind_text(st, s, 1, e->dedupe_key)) == 0) {
		rc = sqlite3_step(s);
		if (rc == SQLITE_ROW) {
			if (out_id)
				*out_id = sqlite3_column_int64(s, 0);
		} else {
			error = ps_store__error(st, rc, "finding a log entry");
		}
	}
	sqlite3_reset(s);
	return error < 0 ? error : 1;
}

static int
get_where(ps_log_entry *out, ps_store *st, const char *sql, int64_t id,
	  const char *key)
{
	sqlite3_stmt *s;
	int rc, error;

	if (out == NULL)
		return ps_error_set(PS_EINVAL, "log entry out is NULL");
	ps_log_entry_init(out);
	if ((error = check_store(st, "ps_store_log_get")) < 0)
		return error;
	if ((error = ps_store__prepare(&s, st, sql)) < 0)
		return error;
	error = key ? ps_store__bind_text(st, s, 1, key)
		    : ps_store__bind_int64(st, s, 1, id);
	if (error < 0)
		goto done;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		error = read_entry(out, s);
	else if (rc == SQLITE_DONE)
		error = key ? ps_error_set(PS_ENOTFOUND,
					   "no log entry with key '%s'", key)
			    : ps_error_set(PS_ENOTFOUND, "no log entry %lld",
					   (long long)id);
	else
		error = ps_store__error(st, rc, "reading a log entry");
done:
	sqlite3_reset(s);
	return error;
}

int
ps_store_log_get(ps_log_entry *out, ps_store *st, int64_t id)
{
	return get_where(out, st,
			 "SELECT " LOG_COLUMNS " FROM log_entries WHERE id = ?",
			 id, NULL);
}

int
ps_store_log_get_by_key(ps_log_entry *out, ps_store *st, const char *dedupe_key)
{
	if (dedupe_key == NULL)
		return ps_error_set(PS_EINVAL, "dedupe key is NULL");
	return get_where(out, st,
			 "SELECT " LOG_COLUMNS
			 " FROM log_entries WHERE dedupe_key = ?",
			 0, dedupe_key);
}

int
ps_store_log_claim_due(ps_log_entry **out, size_t *out_n, ps_store *st,
		       const char *flow, size_t max, int64_t now)
{
	struct entry_vec vec = {0};
	int64_t *ids = NULL;
	size_t nids = 0, i;
	sqlite3_stmt *s = NULL;
	int rc, error;

	if (out == NULL || out_n == NULL)
		return ps_error_set(PS_EINVAL, "claim: out is NULL");
	*out = NULL;
	*out_n = 0;
	if ((error = check_store(st, "ps_store_log_claim_due")) < 0)
		return error;
	if (max == 0)
		return 0;
	if (max > LIST_LIMIT_MAX)
		max = LIST_LIMIT_MAX;
	if ((ids = malloc(max * sizeof(*ids))) == NULL)
		return ps_error_set(PS_ENOMEM, "out of memory");
	if ((error = ps_store_begin(st)) < 0)
		goto out;
	if ((error = ps_store__prepare(&s, st, PS_STORE__CLAIM_SQL)) < 0)
		goto done;
	if ((error = ps_store__bind_int64(st, s, 1, now)) < 0 ||
	    (error = ps_store__bind_text(st, s, 2, flow)) < 0 ||
	    (error = ps_store__bind_int64(st, s, 3, (int64_t)max)) < 0)
		goto done;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		ids[nids++] = sqlite3_column_int64(s, 0);
	if (rc != SQLITE_DONE) {
		error = ps_store__error(st, rc, "finding due log entries");
		goto done;
	}
	sqlite3_reset(s);
	for (i = 0; i < nids; i++) {
		if ((error = ps_store__prepare(
			     &s, st,
			     "UPDATE log_entries SET status = 1,"
			     " attempts = attempts + 1, next_attempt_at = NULL,"
			     " updated_at = ?2 WHERE id = ?1")) < 0)
			goto done;
		if ((error = ps_store__bind_int64(st, s, 1, ids[i])) < 0 ||
		    (error = ps_store__bind_int64(st, s, 2, now)) < 0 ||
		    (error = ps_store__step_done(st, s,
						 "claiming a log entry")) < 0)
			goto done;
		if ((error = ps_store__prepare(
			     &s, st,
			     "SELECT " LOG_COLUMNS
			     " FROM log_entries WHERE id = ?")) < 0 ||
		    (error = ps_store__bind_int64(st, s, 1, ids[i])) < 0)
			goto done;
		rc = sqlite3_step(s);
		if (rc != SQLITE_ROW) {
			error = ps_store__error(st, rc, "reading a log entry");
			goto done;
		}
		if ((error = vec_read(&vec, s)) < 0)
			goto done;
		sqlite3_reset(s);
	}
done:
	if (s)
		sqlite3_reset(s);
	if (error < 0) {
		ps_store_rollback(st);
	} else {
		error = ps_store_commit(st);
	}
out:
	free(ids);
	return vec_finish(out, out_n, &vec, error);
}

int
ps_store_log_due_peek(size_t *out_n, int64_t *out_first, ps_store *st,
		      const char *flow, size_t max, int64_t now)
{
	sqlite3_stmt *s = NULL;
	int rc, error;

	if (out_n == NULL || out_first == NULL)
		return ps_error_set(PS_EINVAL, "due peek: out is NULL");
	*out_n = 0;
	*out_first = 0;
	if ((error = check_store(st, "ps_store_log_due_peek")) < 0)
		return error;
	if (max == 0)
		return 0;
	/* the claim's conditions (PS_STORE__CLAIM_SQL), so both agree on
	 * what is due */
	if ((error = ps_store__prepare(
		     &s, st,
		     "SELECT count(*), min(next_attempt_at) FROM ("
		     "SELECT next_attempt_at FROM log_entries"
		     " WHERE next_attempt_at IS NOT NULL"
		     " AND next_attempt_at <= ?1 AND +status IN (0, 3)"
		     " AND (?2 IS NULL OR flow = ?2)"
		     " ORDER BY next_attempt_at, id LIMIT ?3)")) < 0)
		return error;
	if ((error = ps_store__bind_int64(st, s, 1, now)) < 0 ||
	    (error = ps_store__bind_text(st, s, 2, flow)) < 0 ||
	    (error = ps_store__bind_int64(st, s, 3, (int64_t)max)) < 0)
		goto done;
	if ((rc = sqlite3_step(s)) != SQLITE_ROW) {
		error = ps_store__error(st, rc, "counting due log entries");
		goto done;
	}
	*out_n = (size_t)sqlite3_column_int64(s, 0);
	*out_first = sqlite3_column_int64(s, 1);
done:
	sqlite3_reset(s);
	return error;
}

/* Run an UPDATE bound by bind(); PS_ENOTFOUND if it touched no row. */
static int
update_one(ps_store *st, sqlite3_stmt *s, int64_t id, const char *what)
{
	int error = ps_store__step_done(st, s, what);

	if (error < 0)
		return error;
	if (sqlite3_changes(st->db) == 0)
		return ps_error_set(PS_ENOTFOUND, "no log entry %lld",
				    (long long)id);
	return 0;
}

int
ps_store_log_mark_synced(ps_store *st, int64_t id, const char *target_id,
			 const char *detail, int64_t now)
{
	return ps_store_log_mark_synced_warn(st, id, target_id, detail, NULL,
					     now);
}

int
ps_store_log_mark_synced_warn(ps_store *st, int64_t id, const char *target_id,
			      const char *detail, const char *warning,
			      int64_t now)
{
	sqlite3_stmt *s;
	char *reason = NULL;
	int error;

	if ((error = check_store(st, "ps_store_log_mark_synced")) < 0)
		return error;
	if (warning != NULL) {
		size_t n = sizeof(PS_LOG_WARNING_PREFIX) + strlen(warning);

		if ((reason = malloc(n)) == NULL)
			return ps_error_set(PS_ENOMEM, "out of memory");
		snprintf(reason, n, "%s%s", PS_LOG_WARNING_PREFIX, warning);
	}
	if ((error = ps_store__prepare(
		     &s, st,
		     "UPDATE log_entries SET status = 2, synced_at = ?2,"
		     " updated_at = ?2, next_attempt_at = NULL, reason = ?5,"
		     " error_code = 0, target_id = COALESCE(?3, target_id),"
		     " detail = COALESCE(?4, detail) WHERE id = ?1")) < 0)
		goto done;
	if ((error = ps_store__bind_int64(st, s, 1, id)) < 0 ||
	    (error = ps_store__bind_int64(st, s, 2, now)) < 0 ||
	    (error = ps_store__bind_text(st, s, 3, target_id)) < 0 ||
	    (error = ps_store__bind_text(st, s, 4, detail)) < 0 ||
	    (error = ps_store__bind_text(st, s, 5, reason)) < 0) {
		sqlite3_reset(s);
		goto done;
	}
	error = update_one(st, s, id, "marking a log entry synced");
done:
	free(reason);
	return error;
}

static int
mark(ps_store *st, int64_t id, ps_entry_status status, const char *reason,
     int error_code, int64_t next_attempt_at, int64_t now)
{
	sqlite3_stmt *s;
	int error;

	if ((error = check_store(st, "ps_store_log_mark")) < 0)
		return error;
	if ((error = ps_store__prepare(
		     &s, st,
		     "UPDATE log_entries SET status = ?2, reason = ?3,"
		     " error_code = ?4, next_attempt_at = ?5, updated_at = ?6"
		     " WHERE id = ?1")) < 0)
		return error;
	if ((error = ps_store__bind_int64(st, s, 1, id)) < 0 ||
	    (error = ps_store__bind_int64(st, s, 2, status)) < 0 ||
	    (error = ps_store__bind_text(st, s, 3, reason)) < 0 ||
	    (error = ps_store__bind_int64(st, s, 4, error_code)) < 0 ||
	    (error = ps_store__bind_time(st, s, 5, next_attempt_at)) < 0 ||
	    (error = ps_store__bind_int64(st, s, 6, now)) < 0) {
		sqlite3_reset(s);
		return error;
	}
	return update_one(st, s, id, "updating a log entry");
}

int
ps_store_log_mark_failed(ps_store *st, int64_t id, const char *reason,
			 int error_code, int64_t next_attempt_at, int64_t now)
{
	return mark(st, id, PS_ENTRY_FAILED, reason,
		    error_code ? error_code : PS_ERROR, next_attempt_at, now);
}

int
ps_store_log_mark_pending(ps_store *st, int64_t id, const char *reason,
			  int64_t next_attempt_at, int64_t now)
{
	return mark(st, id, PS_ENTRY_PENDING, reason, 0, next_attempt_at, now);
}

int
ps_store_log_set_fields(ps_store *st, int64_t id, const ps_log_entry *e,
			int64_t now)
{
	sqlite3_stmt *s;
	int error;

	if ((error = check_store(st, "ps_store_log_set_fields")) < 0)
		return error;
	if (e == NULL)
		return ps_error_set(PS_EINVAL, "log entry is NULL");
	if ((error = ps_store__prepare(
		     &s, st,
		     "UPDATE log_entries SET"
		     " order_number = COALESCE(?2, order_number),"
		     " total = CASE WHEN ?3 THEN ?4 ELSE total END,"
		     " currency = COALESCE(?5, currency),"
		     " shipping_method = COALESCE(?6, shipping_method),"
		     " shipment_status = COALESCE(?7, shipment_status),"
		     " detail = COALESCE(?8, detail), updated_at = ?9,"
		     " subject_order = COALESCE(NULLIF(?10, ''),"
		     " subject_order)"
		     " WHERE id = ?1")) < 0)
		return error;
	if ((error = ps_store__bind_int64(st, s, 1, id)) < 0 ||
	    (error = ps_store__bind_text(st, s, 2, e->order_number)) < 0 ||
	    (error = ps_store__bind_int64(st, s, 3, e->has_total != 0)) < 0 ||
	    (error = ps_store__bind_int64(st, s, 4, e->total)) < 0 ||
	    (error = ps_store__bind_text(st, s, 5, e->currency)) < 0 ||
	    (error = ps_store__bind_text(st, s, 6, e->shipping_method)) < 0 ||
	    (error = ps_store__bind_text(st, s, 7, e->shipment_status)) < 0 ||
	    (error = ps_store__bind_text(st, s, 8, e->detail)) < 0 ||
	    (error = ps_store__bind_int64(st, s, 9, now)) < 0 ||
	    (error = ps_store__bind_text(st, s, 10, e->subject_order)) < 0) {
		sqlite3_reset(s);
		return error;
	}
	return update_one(st, s, id, "updating a log entry");
}

int
ps_store_log_retry(ps_store *st, int64_t id, int64_t now)
{
	ps_log_entry e;
	sqlite3_stmt *s;
	int error;

	if ((error = ps_store_begin(st)) < 0)
		return error;
	if ((error = ps_store_log_get(&e, st, id)) < 0)
		goto done;
	if (e.status == PS_ENTRY_SYNCED || e.status == PS_ENTRY_IN_FLIGHT) {
		error = ps_error_set(PS_EINVAL,
				     "log entry %lld is %s; only pending or "
				     "failed entries can be retried",
				     (long long)id,
				     e.status == PS_ENTRY_SYNCED ? "synced"
								 : "in flight");
		goto done;
	}
	if ((error = ps_store__prepare(
		     &s, st,
		     "UPDATE log_entries SET status = 0, next_attempt_at = ?2,"
		     " attempts = 0, updated_at = ?2 WHERE id = ?1")) < 0)
		goto done;
	if ((error = ps_store__bind_int64(st, s, 1, id)) < 0 ||
	    (error = ps_store__bind_int64(st, s, 2, now)) < 0) {
		sqlite3_reset(s);
		goto done;
	}
	if ((error = update_one(st, s, id, "retrying a log entry")) == 0)
		error = ps_store__audit_operator(st, id, "retry", now);
done:
	ps_log_entry_dispose(&e);
	if (error < 0) {
		ps_store_rollback(st);
		return error;
	}
	return ps_store_commit(st);
}

int
ps_store_log_retry_failed(size_t *out_count, ps_store *st, const char *flow,
			  int64_t now)
{
	sqlite3_stmt *s;
	int error;

	if (out_count)
		*out_count = 0;
	if ((error = check_store(st, "ps_store_log_retry_failed")) < 0)
		return error;
	if ((error = ps_store_begin(st)) < 0)
		return error;
	if ((error = ps_store__audit_operator_failed(st, flow, "retry", now)) <
		    0 ||
	    (error = ps_store__prepare(
		     &s, st,
		     "UPDATE log_entries SET status = 0, next_attempt_at = ?2,"
		     " attempts = 0, updated_at = ?2"
		     " WHERE status = 3 AND (?1 IS NULL OR flow = ?1)")) < 0)
		goto fail;
	if ((error = ps_store__bind_text(st, s, 1, flow)) < 0 ||
	    (error = ps_store__bind_int64(st, s, 2, now)) < 0) {
		sqlite3_reset(s);
		goto fail;
	}
	if ((error = ps_store__step_done(st, s, "retrying failed entries")) < 0)
		goto fail;
	if (out_count)
		*out_count = (size_t)sqlite3_changes(st->db);
	return ps_store_commit(st);
fail:
	ps_store_rollback(st);
	return error;
}

int
ps_store_recover_interrupted(size_t *out_count, ps_store *st, int64_t now)
{
	static const char *const sql[] = {
		"UPDATE events SET claimed_at = NULL"
		" WHERE processed_at IS NULL AND claimed_at IS NOT NULL",
		"UPDATE requests SET claimed_at = NULL"
		" WHERE done_at IS NULL AND claimed_at IS NOT NULL",
	};
	sqlite3_stmt *s;
	size_t i, count = 0;
	int error;

	if (out_count)
		*out_count = 0;
	if ((error = ps_store_begin(st)) < 0)
		return error;
	if ((error = ps_store__prepare(
		     &s, st,
		     "UPDATE log_entries SET status = 0, next_attempt_at = ?1,"
		     " updated_at = ?1, reason = 'interrupted; checking"
		     " whether the"
		     " previous attempt completed' WHERE status = 1")) < 0)
		goto done;
	if ((error = ps_store__bind_int64(st, s, 1, now)) < 0) {
		sqlite3_reset(s);
		goto done;
	}
	if ((error = ps_store__step_done(st, s, "recovering log entries")) < 0)
		goto done;
	count = (size_t)sqlite3_changes(st->db);
	for (i = 0; i < PS__ARRAY_LEN(sql) && error == 0; i++) {
		if ((error = ps_store__prepare(&s, st, sql[i])) == 0)
			error = ps_store__step_done(st, s, "releasing claims");
	}
done:
	if (error < 0) {
		ps_store_rollback(st);
		return error;
	}
	if ((error = ps_store_commit(st)) < 0)
		return error;
	if (out_count)
		*out_count = count;
	return 0;
}

/* LOG_COLUMNS qualified with the alias e, for joins with log_search. */
#define LOG_COLUMNS_E                                                          \
	"e.id, e.flow, e.dedupe_key, e.status, e.order_number, e.total,"       \
	" e.currency, e.shipping_method, e.shipment_status, e.inserted_at,"    \
	" e.updated_at, e.synced_at, e.next_attempt_at, e.attempts,"           \
	" e.reason, e.error_code, e.source_platform, e.source_id,"             \
	" e.target_platform, e.target_id, e.detail, e.kind, e.subject,"        \
	" e.subject_order"

/*
 * The listing query for q, built from fixed fragments so the statement
 * cache holds at most one statement per combination of filters.  Text of
 * three or more characters goes through the trigram index, walked newest
 * first from the keyset bound (FTS5 serves rowid ranges and rowid order
 * itself), each match joined to its entry and tested against status and
 * flow, so a page stops after its last row instead of collecting every
 * match and sorting them.  Shorter text can only be matched exactly, on
 * the indexed columns.
 */
static int
build_list_sql(char *buf, size_t cap, const ps_log_query *q, int *short_text)
{
	int has_text = q->text && q->text[0];
	int n;

	*short_text = has_text && strlen(q->text) < 3;
	if (has_text && !*short_text)
		n = snprintf(buf, cap,
			     "SELECT " LOG_COLUMNS_E " FROM log_search"
			     " CROSS JOIN log_entries AS e"
			     " ON e.id = log_search.rowid"
			     " WHERE log_search MATCH ?4"
			     " AND log_search.rowid < ?1%s%s"
			     "%s ORDER BY log_search.rowid DESC LIMIT ?5",
			     q->status >= 0 ? " AND e.status = ?2" : "",
			     q->flow ? " AND e.flow = ?3" : "",
			     q->kind ? " AND e.kind = ?6" : "");
	else
		n = snprintf(buf, cap,
			     "SELECT " LOG_COLUMNS
			     " FROM log_entries WHERE id < ?1"
			     "%s%s%s%s ORDER BY id DESC LIMIT ?5",
			     q->status >= 0 ? " AND status = ?2" : "",
			     q->flow ? " AND flow = ?3" : "",
			     q->kind ? " AND kind = ?6" : "",
			     *short_text ? " AND (order_number = ?4 OR"
					   " source_id = ?4 OR target_id = ?4)"
					 : "");
	return n > 0 && (size_t)n < cap
		       ? 0
		       : ps_error_set(PS_ERROR, "query too long");
}

/* *phrase (caller frees): text as one FTS5 string, inner quotes doubled. */
static int
make_phrase(char **phrase, const char *text)
{
	const char *p;
	size_t n = 2, len = 0;

	for (p = text; *p; p++)
		n += *p == '"' ? 2 : 1;
	if ((*phrase = malloc(n + 1)) == NULL)
		return ps_error_set(PS_ENOMEM, "out of memory");
	(*phrase)[len++] = '"';
	for (p = text; *p; p++) {
		(*phrase)[len++] = *p;
		if (*p == '"')
			(*phrase)[len++] = '"';
	}
	(*phrase)[len++] = '"';
	(*phrase)[len] = '\0';
	return 0;
}

/* Bind q to s; *phrase receives the FTS phrase (caller frees). */
static int
bind_list(ps_store *st, sqlite3_stmt *s, const ps_log_query *q, int short_text,
	  char **phrase)
{
	int error;

	*phrase = NULL;
	if ((error = ps_store__bind_int64(
		     st, s, 1, q->before_id > 0 ? q->before_id : INT64_MAX)) <
		    0 ||
	    (q->status >= 0 &&
	     (error = ps_store__bind_int64(st, s, 2, q->status)) < 0) ||
	    (q->flow && (error = ps_store__bind_text(st, s, 3, q->flow)) < 0) ||
	    (q->kind && (error = ps_store__bind_text(st, s, 6, q->kind)) < 0) ||
	    (error = ps_store__bind_int64(st, s, 5, (int64_t)q->limit)) < 0)
		return error;
	if (q->text == NULL || q->text[0] == '\0')
		return 0;
	if (short_text)
		return ps_store__bind_text(st, s, 4, q->text);
	if ((error = make_phrase(phrase, q->text)) < 0)
		return error;
	return ps_store__bind_text(st, s, 4, *phrase);
}

/*
 * Text (3+ characters) with a status or flow filter: two streams, both
 * newest first from the keyset bound, merged on id - the trigram index's
 * matches and the status/flow index's ids (covering, no table reads) - up
 * to q->limit common ids, whose rows are then read.  A long run of ids on
 * one side that the other lacks is skipped by re-running that side's
 * query from the other's id.  Work is bounded by the page when matches
 * are dense, by the shorter list when one is short, and by one pass over
 * both when they interleave without meeting, never collecting and
 * sorting every match or reading the table per match.
 */
/*
 * Steps over ids the other side lacks before seeking past the run instead:
 * a b-tree seek costs about as much as a few dozen index steps, restarting
 * the trigram query as much as thousands of its steps.
 */
#define SEEK_INDEX_AFTER 64
#define SEEK_FTS_AFTER 4096

static int
list_text_filtered(struct entry_vec *vec, int64_t *resume, ps_store *st,
		   const ps_log_query *q, size_t budget)
{
	char sql[256], *phrase = NULL;
	sqlite3_stmt *a = NULL, *b = NULL, *r = NULL;
	int64_t before = q->before_id > 0 ? q->before_id : INT64_MAX;
	int64_t *ids = NULL, ia = 0, ib = 0;
	size_t nids = 0, i, spent = 0;
	int ra, rb, rc, error, n, sa = 0, sb = 0;

	n = snprintf(sql, sizeof(sql),
		     "SELECT id FROM log_entries WHERE id < ?1%s%s%s"
		     " ORDER BY id DESC",
		     q->status >= 0 ? " AND status = ?2" : "",
		     q->flow ? " AND flow = ?3" : "",
		     q->kind ? " AND kind = ?4" : "");
	if (n <= 0 || (size_t)n >= sizeof(sql))
		return ps_error_set(PS_ERROR, "query too long");
	if ((ids = malloc(q->limit * sizeof(*ids))) == NULL)
		return ps_error_set(PS_ENOMEM, "out of memory");
	if ((error = make_phrase(&phrase, q->text)) < 0 ||
	    (error = ps_store__prepare(
		     &a, st,
		     "SELECT rowid FROM log_search WHERE log_search MATCH ?1"
		     " AND rowid < ?2 ORDER BY rowid DESC")) < 0 ||
	    (error = ps_store__bind_text(st, a, 1, phrase)) < 0 ||
	    (error = ps_store__bind_int64(st, a, 2, before)) < 0 ||
	    (error = ps_store__prepare(&b, st, sql)) < 0 ||
	    (error = ps_store__bind_int64(st, b, 1, before)) < 0 ||
	    (q->status >= 0 &&
	     (error = ps_store__bind_int64(st, b, 2, q->status)) < 0) ||
	    (q->flow && (error = ps_store__bind_text(st, b, 3, q->flow)) < 0) ||
	    (q->kind && (error = ps_store__bind_text(st, b, 4, q->kind)) < 0))
		goto done;
	ra = sqlite3_step(a);
	rb = sqlite3_step(b);
	while (ra == SQLITE_ROW && rb == SQLITE_ROW && nids < q->limit) {
		ia = sqlite3_column_int64(a, 0);
		ib = sqlite3_column_int64(b, 0);
		/* out of budget: every id above the lower of the two
		 * positions is decided (a stream only steps past an id the
		 * other cannot hold), so the caller resumes below it */
		if (budget > 0 && ++spent > budget) {
			*resume = (ia < ib ? ia : ib) + 1;
			break;
		}
		if (ia == ib) {
			ids[nids++] = ia;
			ra = sqlite3_step(a);
			rb = sqlite3_step(b);
			sa = sb = 0;
		} else if (ia > ib) {
			/* a long run on one side: seek past it instead */
			sb = 0;
			if (++sa < SEEK_FTS_AFTER) {
				ra = sqlite3_step(a);
				continue;
			}
			sqlite3_reset(a);
			spent += SEEK_FTS_AFTER;
			if ((error = ps_store__bind_int64(st, a, 2, ib + 1)) <
			    0)
				goto done;
			ra = sqlite3_step(a);
			sa = 0;
		} else {
			sa = 0;
			if (++sb < SEEK_INDEX_AFTER) {
				rb = sqlite3_step(b);
				continue;
			}
			sqlite3_reset(b);
			spent += SEEK_INDEX_AFTER;
			if ((error = ps_store__bind_int64(st, b, 1, ia + 1)) <
			    0)
				goto done;
			rb = sqlite3_step(b);
			sb = 0;
		}
	}
	if ((ra != SQLITE_ROW && ra != SQLITE_DONE) ||
	    (rb != SQLITE_ROW && rb != SQLITE_DONE)) {
		error = ps_store__error(
			st, ra != SQLITE_ROW && ra != SQLITE_DONE ? ra : rb,
			"searching log entries");
		goto done;
	}
	/* read the rows while the streams still hold the read snapshot */
	for (i = 0; i < nids; i++) {
		if ((error = ps_store__prepare(
			     &r, st,
			     "SELECT " LOG_COLUMNS
			     " FROM log_entries WHERE id = ?")) < 0 ||
		    (error = ps_store__bind_int64(st, r, 1, ids[i])) < 0)
			goto done;
		rc = sqlite3_step(r);
		if (rc == SQLITE_ROW)
			error = vec_read(vec, r);
		else
			error = ps_store__error(st, rc, "reading a log entry");
		sqlite3_reset(r);
		r = NULL;
		if (error < 0)
			goto done;
	}
done:
	if (r)
		sqlite3_reset(r);
	if (b)
		sqlite3_reset(b);
	if (a)
		sqlite3_reset(a);
	free(phrase);
	free(ids);
	return error;
}

static int
check_query(const ps_log_query *q)
{
	if (q == NULL)
		return ps_error_set(PS_EINVAL, "log query is NULL");
	if (q->status < -1 || q->status >= PS_ENTRY_STATUS_COUNT)
		return ps_error_set(PS_EINVAL, "log query status %d is invalid",
				    q->status);
	if (q->limit == 0 || q->limit > LIST_LIMIT_MAX)
		return ps_error_set(PS_EINVAL, "log page size must be 1..%d",
				    LIST_LIMIT_MAX);
	return 0;
}

/* ps_store_log_list and ps_store_log_search; budget 0: no bound. */
static int
log_list(ps_log_entry **out, size_t *out_n, int64_t *resume, ps_store *st,
	 const ps_log_query *q, size_t budget)
{
	struct entry_vec vec = {0};
	char sql[1024], *phrase = NULL;
	sqlite3_stmt *s = NULL;
	int rc, error, short_text;

	if (out == NULL || out_n == NULL)
		return ps_error_set(PS_EINVAL, "log list: out is NULL");
	*out = NULL;
	*out_n = 0;
	*resume = 0;
	if ((error = check_store(st, "ps_store_log_list")) < 0 ||
	    (error = check_query(q)) < 0)
		return error;
	if (q->text && strlen(q->text) >= 3 &&
	    (q->status >= 0 || q->flow || q->kind)) {
		error = list_text_filtered(&vec, resume, st, q, budget);
		if (error < 0)
			*resume = 0;
		return vec_finish(out, out_n, &vec, error);
	}
	if ((error = build_list_sql(sql, sizeof(sql), q, &short_text)) < 0 ||
	    (error = ps_store__prepare(&s, st, sql)) < 0)
		return error;
	if ((error = bind_list(st, s, q, short_text, &phrase)) < 0)
		goto done;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		if ((error = vec_read(&vec, s)) < 0)
			goto done;
	if (rc != SQLITE_DONE)
		error = ps_store__error(st, rc, "listing log entries");
done:
	sqlite3_reset(s);
	free(phrase);
	return vec_finish(out, out_n, &vec, error);
}

int
ps_store_log_list(ps_log_entry **out, size_t *out_n, ps_store *st,
		  const ps_log_query *q)
{
	int64_t resume;

	return log_list(out, out_n, &resume, st, q, 0);
}

int
ps_store_log_search(ps_log_entry **out, size_t *out_n, int64_t *out_resume,
		    ps_store *st, const ps_log_query *q)
{
	int64_t resume = 0;
	int error;

	if (out_resume != NULL)
		*out_resume = 0;
	error = log_list(out, out_n, &resume, st, q,
			 st != NULL && st->search_budget > 0
				 ? st->search_budget
				 : PS_STORE_LOG_SEARCH_BUDGET);
	if (out_resume != NULL)
		*out_resume = resume;
	return error;
}

void
ps_store__set_search_budget(ps_store *st, size_t steps)
{
	if (st != NULL)
		st->search_budget = steps;
}

int
ps_store__explain_log_list(char **out, ps_store *st, const ps_log_query *q)
{
	char sql[1100], *phrase = NULL, *text = NULL, *grown;
	size_t len = 0;
	sqlite3_stmt *s = NULL;
	int rc, error, short_text;

	*out = NULL;
	if ((error = check_query(q)) < 0)
		return error;
	memcpy(sql, "EXPLAIN QUERY PLAN ", 19);
	if ((error = build_list_sql(sql + 19, sizeof(sql) - 19, q,
				    &short_text)) < 0)
		return error;
	rc = sqlite3_prepare_v2(st->db, sql, -1, &s, NULL);
	if (rc != SQLITE_OK)
		return ps_store__error(st, rc, "explaining a query");
	if ((error = bind_list(st, s, q, short_text, &phrase)) < 0)
		goto done;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *d = (const char *)sqlite3_column_text(s, 3);
		size_t dl = d ? strlen(d) : 0;
		grown = realloc(text, len + dl + 2);
		if (grown == NULL) {
			error = ps_error_set(PS_ENOMEM, "out of memory");
			goto done;
		}
		text = grown;
		memcpy(text + len, d ? d : "", dl);
		len += dl;
		text[len++] = '\n';
		text[len] = '\0';
	}
	if (rc != SQLITE_DONE)
		error = ps_store__error(st, rc, "explaining a query");
done:
	sqlite3_finalize(s);
	free(phrase);
	if (error < 0) {
		free(text);
		return error;
	}
	*out = text;
	return 0;
}

int
ps_store_log_counts(ps_store *st, int64_t since, ps_store_log_count_cb cb,
		    void *payload)
{
	sqlite3_stmt *s;
	int error;

	if (st == NULL || cb == NULL)
		return ps_error_set(PS_EINVAL, "ps_store_log_counts: NULL");
	if ((error = ps_store__prepare(
		     &s, st,
		     "SELECT flow, status, COUNT(*) FROM log_entries"
		     " WHERE updated_at >= ? GROUP BY flow, status"
		     " ORDER BY flow, status")) < 0)
		return error;
	if ((error = ps_store__bind_int64(st, s, 1, since)) < 0) {
		sqlite3_reset(s);
		return error;
	}
	return ps_store__counts_each(st, s, cb, payload,
				     "counting log entries");
}

int
ps_store__counts_each(ps_store *st, sqlite3_stmt *s, ps_store_log_count_cb cb,
		      void *payload, const char *what)
{
	int rc, error = 0;

	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		error = cb((const char *)sqlite3_column_text(s, 0),
			   (ps_entry_status)sqlite3_column_int(s, 1),
			   sqlite3_column_int64(s, 2), payload);
		if (error != 0)
			goto done;
	}
	if (rc != SQLITE_DONE)
		error = ps_store__error(st, rc, what);
done:
	sqlite3_reset(s);
	return error;
}

int
ps_store_log_foreach_since(ps_store *st, const char *flow,
			   ps_entry_status status, int64_t since, size_t limit,
			   ps_store_log_entry_cb cb, void *payload)
{
	ps_log_entry e;
	sqlite3_stmt *s;
	int rc, error;

	if (st == NULL || flow == NULL || cb == NULL)
		return ps_error_set(PS_EINVAL,
				    "ps_store_log_foreach_since: NULL");
	if (limit == 0)
		return 0;
	if (limit > LIST_LIMIT_MAX)
		limit = LIST_LIMIT_MAX;
	/* the index log_counts(flow, status, updated_at) serves this */
	if ((error = ps_store__prepare(
		     &s, st,
		     "SELECT " LOG_COLUMNS " FROM log_entries"
		     " WHERE flow = ?1 AND status = ?2 AND updated_at >= ?3"
		     " ORDER BY updated_at DESC, id DESC LIMIT ?4")) < 0)
		return error;
	if ((error = ps_store__bind_text(st, s, 1, flow)) < 0 ||
	    (error = ps_store__bind_int64(st, s, 2, status)) < 0 ||
	    (error = ps_store__bind_int64(st, s, 3, since)) < 0 ||
	    (error = ps_store__bind_int64(st, s, 4, (int64_t)limit)) < 0)
		goto done;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if ((error = read_entry(&e, s)) < 0)
			goto done;
		error = cb(&e, payload);
		ps_log_entry_dispose(&e);
		if (error != 0)
			goto done;
	}
	if (rc != SQLITE_DONE)
		error = ps_store__error(st, rc, "listing log entries");
done:
	sqlite3_reset(s);
	return error;
}
