/*
 * hooks.c - the webhook registrations each platform's plug-in found when
 * it last made them point at the listener (platform.h, hooks_sync), for
 * the console to warn about hooks the platform switched off.
 */
#include "store/store_int.h"

#include <stdlib.h>
#include <string.h>

static void
hook_dispose(ps_hook_state *h)
{
	free(h->topic);
	free(h->hook_id);
	free(h->destination);
	memset(h, 0, sizeof(*h));
}

void
ps_hook_states_free(ps_hook_state *v, size_t n)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; i < n; i++)
		hook_dispose(&v[i]);
	free(v);
}

int
ps_store_hooks_replace(ps_store *st, ps_platform platform,
		       const ps_hook_state *v, size_t n)
{
	sqlite3_stmt *s;
	size_t i;
	int error;

	if ((error = ps_store__null_store(st, "ps_store_hooks_replace")) < 0 ||
	    (error = ps_store__check_platform(platform)) < 0)
		return error;
	if (n > 0 && v == NULL)
		return ps_error_set(PS_EINVAL, "hooks: states are NULL");
	for (i = 0; i < n; i++)
		if (v[i].topic == NULL || v[i].hook_id == NULL ||
		    v[i].destination == NULL)
			return ps_error_set(PS_EINVAL,
					    "hook %zu: topic, id or "
					    "destination missing",
					    i);
	if ((error = ps_store_begin(st)) < 0)
		return error;
	if ((error = ps_store__prepare(
		     &s, st, "DELETE FROM hooks WHERE platform = ?")) < 0 ||
	    (error = ps_store__bind_int64(st, s, 1, platform)) < 0 ||
	    (error = ps_store__step_done(st, s, "dropping hooks")) < 0)
		goto done;
	for (i = 0; i < n; i++) {
		if ((error = ps_store__prepare(
			     &s, st,
			     "INSERT OR REPLACE INTO hooks(platform, topic,"
			     " hook_id, destination, active, reactivated,"
			     " checked_at) VALUES (?, ?, ?, ?, ?, ?, ?)")) < 0)
			goto done;
		if ((error = ps_store__bind_int64(st, s, 1, platform)) < 0 ||
		    (error = ps_store__bind_text(st, s, 2, v[i].topic)) < 0 ||
		    (error = ps_store__bind_text(st, s, 3, v[i].hook_id)) < 0 ||
		    (error = ps_store__bind_text(st, s, 4, v[i].destination)) <
			    0 ||
		    (error = ps_store__bind_int64(st, s, 5, v[i].active != 0)) <
			    0 ||
		    (error = ps_store__bind_int64(st, s, 6,
						  v[i].reactivated != 0)) < 0 ||
		    (error = ps_store__bind_int64(st, s, 7, v[i].checked_at)) <
			    0) {
			sqlite3_reset(s);
			goto done;
		}
		if ((error = ps_store__step_done(st, s, "recording a hook")) <
		    0)
			goto done;
	}
done:
	if (error < 0) {
		ps_store_rollback(st);
		return error;
	}
	return ps_store_commit(st);
}

int
ps_store_hooks_list(ps_hook_state **out, size_t *out_n, ps_store *st)
{
	ps_hook_state *v = NULL, *nv;
	size_t n = 0, cap = 0;
	sqlite3_stmt *s;
	int rc, error;

	*out = NULL;
	*out_n = 0;
	if ((error = ps_store__null_store(st, "ps_store_hooks_list")) < 0)
		return error;
	if ((error = ps_store__prepare(
		     &s, st,
		     "SELECT platform, topic, hook_id, destination, active,"
		     " reactivated, checked_at FROM hooks"
		     " ORDER BY platform, topic, hook_id")) < 0)
		return error;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (n == cap) {
			cap = cap ? cap * 2 : 8;
			if ((nv = realloc(v, cap * sizeof(*v))) == NULL) {
				error = ps_error_set(PS_ENOMEM,
						     "out of memory");
				goto done;
			}
			v = nv;
		}
		memset(&v[n], 0, sizeof(v[n]));
		v[n].platform = (ps_platform)sqlite3_column_int(s, 0);
		v[n].active = sqlite3_column_int(s, 4);
		v[n].reactivated = sqlite3_column_int(s, 5);
		v[n].checked_at = sqlite3_column_int64(s, 6);
		n++;
		if ((error = ps_store__column_dup(&v[n - 1].topic, s, 1)) < 0 ||
		    (error = ps_store__column_dup(&v[n - 1].hook_id, s, 2)) <
			    0 ||
		    (error = ps_store__column_dup(&v[n - 1].destination, s,
						  3)) < 0)
			goto done;
	}
	if (rc != SQLITE_DONE)
		error = ps_store__error(st, rc, "listing hooks");
done:
	sqlite3_reset(s);
	if (error < 0) {
		ps_hook_states_free(v, n);
		return error;
	}
	*out = v;
	*out_n = n;
	return 0;
}
