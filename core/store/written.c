/*
 * written.c - what pearlsync last wrote to each platform field.
 *
 * The echo guard of DESIGN.md "Ownership and echo": a flow that writes a
 * field another flow reads as input (a BigCommerce status, staff notes, a
 * Brightpearl note) records the value here; the reading flow asks whether
 * what it sees is that value before treating it as a change.  Values are
 * kept as a 64-bit FNV-1a hash, so the table's rows are small whatever
 * the field holds; a collision would make one foreign edit look like our
 * own, at odds of about 1 in 2^64 per comparison.
 */
#include "store/store_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void
value_hash(char out[17], const char *value)
{
	const unsigned char *p = (const unsigned char *)(value ? value : "");
	uint64_t h = 14695981039346656037ull;

	for (; *p; p++)
		h = (h ^ *p) * 1099511628211ull;
	snprintf(out, 17, "%016" PRIx64, h);
}

static int
check_args(ps_store *st, ps_platform platform, const char *object,
	   const char *object_id, const char *field, const char *fn)
{
	int error;

	if (st == NULL)
		return ps_error_set(PS_EINVAL, "%s: store is NULL", fn);
	if ((unsigned)platform >= PS_PLATFORM_MAX)
		return ps_error_set(PS_EINVAL, "platform %d is invalid",
				    (int)platform);
	if ((error = ps_store__check_name(object, "written object")) < 0 ||
	    (error = ps_store__check_name(object_id, "written object id")) <
		    0 ||
	    (error = ps_store__check_name(field, "written field")) < 0)
		return error;
	return 0;
}

int
ps_store_written_set(ps_store *st, ps_platform platform, const char *object,
		     const char *object_id, const char *field,
		     const char *value, const char *flow, int64_t now)
{
	sqlite3_stmt *s = NULL;
	char hash[17];
	int error;

	if ((error = check_args(st, platform, object, object_id, field,
				"ps_store_written_set")) < 0)
		return error;
	value_hash(hash, value);
	if ((error = ps_store__prepare(
		     &s, st,
		     "INSERT INTO written(platform, object, object_id, field,"
		     " value_hash, flow, written_at)"
		     " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"
		     " ON CONFLICT(platform, object, object_id, field) DO"
		     " UPDATE SET value_hash = excluded.value_hash,"
		     " flow = excluded.flow,"
		     " written_at = excluded.written_at")) < 0)
		return error;
	if ((error = ps_store__bind_int64(st, s, 1, platform)) < 0 ||
	    (error = ps_store__bind_text(st, s, 2, object)) < 0 ||
	    (error = ps_store__bind_text(st, s, 3, object_id)) < 0 ||
	    (error = ps_store__bind_text(st, s, 4, field)) < 0 ||
	    (error = ps_store__bind_text(st, s, 5, hash)) < 0 ||
	    (error = ps_store__bind_text(st, s, 6, flow)) < 0 ||
	    (error = ps_store__bind_int64(st, s, 7, now)) < 0)
		return error;
	return ps_store__step_done(st, s, "recording a write");
}

int
ps_store_written_is(ps_store *st, ps_platform platform, const char *object,
		    const char *object_id, const char *field, const char *value)
{
	sqlite3_stmt *s = NULL;
	char hash[17];
	int error, rc;

	if ((error = check_args(st, platform, object, object_id, field,
				"ps_store_written_is")) < 0)
		return error;
	value_hash(hash, value);
	if ((error = ps_store__prepare(
		     &s, st,
		     "SELECT value_hash = ?5 FROM written WHERE platform = ?1"
		     " AND object = ?2 AND object_id = ?3 AND field = ?4")) < 0)
		return error;
	if ((error = ps_store__bind_int64(st, s, 1, platform)) < 0 ||
	    (error = ps_store__bind_text(st, s, 2, object)) < 0 ||
	    (error = ps_store__bind_text(st, s, 3, object_id)) < 0 ||
	    (error = ps_store__bind_text(st, s, 4, field)) < 0 ||
	    (error = ps_store__bind_text(st, s, 5, hash)) < 0)
		return error;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		error = sqlite3_column_int(s, 0) != 0;
	else if (rc == SQLITE_DONE)
		error = 0;
	else
		error = ps_store__error(st, rc, "reading a recorded write");
	sqlite3_reset(s);
	return error;
}

int
ps_store_written_seen(ps_store *st, ps_platform platform, const char *object,
		      const char *object_id, const char *field,
		      const char *value)
{
	sqlite3_stmt *s = NULL;
	int error;

	error = ps_store_written_is(st, platform, object, object_id, field,
				    value);
	if (error != 0)
		return error; /* ours, or a failure */
	if ((error = ps_store__prepare(
		     &s, st,
		     "DELETE FROM written WHERE platform = ?1 AND object = ?2"
		     " AND object_id = ?3 AND field = ?4")) < 0)
		return error;
	if ((error = ps_store__bind_int64(st, s, 1, platform)) < 0 ||
	    (error = ps_store__bind_text(st, s, 2, object)) < 0 ||
	    (error = ps_store__bind_text(st, s, 3, object_id)) < 0 ||
	    (error = ps_store__bind_text(st, s, 4, field)) < 0 ||
	    (error = ps_store__step_done(st, s, "forgetting a write")) < 0)
		return error;
	return 0;
}

int
ps_store_written_int_set(ps_store *st, ps_platform platform, const char *object,
			 int64_t object_id, const char *field, int64_t value,
			 const char *flow, int64_t now)
{
	char id[24], v[24];

	snprintf(id, sizeof(id), "%" PRId64, object_id);
	snprintf(v, sizeof(v), "%" PRId64, value);
	return ps_store_written_set(st, platform, object, id, field, v, flow,
				    now);
}

int
ps_store_written_int_is(ps_store *st, ps_platform platform, const char *object,
			int64_t object_id, const char *field, int64_t value)
{
	char id[24], v[24];

	snprintf(id, sizeof(id), "%" PRId64, object_id);
	snprintf(v, sizeof(v), "%" PRId64, value);
	return ps_store_written_is(st, platform, object, id, field, v);
}

int
ps_store_written_int_seen(ps_store *st, ps_platform platform,
			  const char *object, int64_t object_id,
			  const char *field, int64_t value)
{
	char id[24], v[24];

	snprintf(id, sizeof(id), "%" PRId64, object_id);
	snprintf(v, sizeof(v), "%" PRId64, value);
	return ps_store_written_seen(st, platform, object, id, field, v);
}
