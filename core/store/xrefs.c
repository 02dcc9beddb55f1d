/*
 * xrefs.c - cross-references (one entity's ids on two platforms) and the
 * cursors that remember how far each inbound stream has been read.
 */
#include "store/store_int.h"

#include <stdlib.h>
#include <string.h>

/* ---- cross-references -------------------------------------------------- */

int
ps_store_xref_set(ps_store *st, const char *entity, ps_platform a,
		  const char *id_a, ps_platform b, const char *id_b,
		  int64_t now)
{
	sqlite3_stmt *s;
	int error;

	if ((error = ps_store__null_store(st, "ps_store_xref_set")) < 0 ||
	    (error = ps_store__check_name(entity, "xref entity")) < 0 ||
	    (error = ps_store__check_name(id_a, "xref id")) < 0 ||
	    (error = ps_store__check_name(id_b, "xref id")) < 0 ||
	    (error = ps_store__check_platform(a)) < 0 ||
	    (error = ps_store__check_platform(b)) < 0)
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
	if ((error = ps_store__null_store(st, "ps_store_xref_get")) < 0 ||
	    (error = ps_store__check_name(entity, "xref entity")) < 0 ||
	    (error = ps_store__check_name(id, "xref id")) < 0 ||
	    (error = ps_store__check_platform(from)) < 0 ||
	    (error = ps_store__check_platform(to)) < 0)
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
	error = ps_store__step_row(st, s, "reading an xref");
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
	if ((error = ps_store__null_store(st, "ps_store_cursor_get")) < 0 ||
	    (error = ps_store__check_name(stream, "cursor name")) < 0)
		return error;
	if ((error = ps_store__prepare(
		     &s, st,
		     "SELECT value, updated_at FROM cursors WHERE stream ="
		     " ?")) < 0)
		return error;
	if ((error = ps_store__bind_text(st, s, 1, stream)) < 0)
		goto done;
	error = ps_store__step_row(st, s, "reading a cursor");
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

	if ((error = ps_store__null_store(st, "ps_store_cursor_set")) < 0 ||
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
