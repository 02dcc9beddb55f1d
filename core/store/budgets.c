/*
 * budgets.c - the API budget of each (platform, account) as last recorded.
 *
 * The worker copies what the HTTP limiter believes is left (remaining,
 * quota, in the platform's own unit) into the budgets table every so
 * often; the console reads it to show each platform's budget and how old
 * that figure is.  One row per (platform, account), replaced on each set.
 */
#include "store/store_int.h"

#include <stdlib.h>
#include <string.h>

int
ps_store_budget_set(ps_store *st, ps_platform platform, const char *account,
		    long remaining, long quota, const char *unit, int64_t now)
{
	sqlite3_stmt *s = NULL;
	int error;

	if (st == NULL)
		return ps_error_set(PS_EINVAL, "ps_store_budget_set: store is "
					       "NULL");
	if ((unsigned)platform >= PS_PLATFORM_MAX)
		return ps_error_set(PS_EINVAL, "platform %d is invalid",
				    (int)platform);
	if (remaining < 0)
		return ps_error_set(PS_EINVAL,
				    "budget of %s: remaining %ld "
				    "is negative",
				    ps_platform_name(platform), remaining);
	if ((error = ps_store__check_name(unit, "budget unit")) < 0)
		return error;
	if ((error = ps_store__prepare(
		     &s, st,
		     "INSERT INTO budgets(platform, account, remaining, quota,"
		     " unit, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
		     " ON CONFLICT(platform, account) DO UPDATE SET"
		     " remaining = excluded.remaining,"
		     " quota = excluded.quota, unit = excluded.unit,"
		     " updated_at = excluded.updated_at")) < 0)
		return error;
	if ((error = ps_store__bind_int64(st, s, 1, platform)) < 0 ||
	    (error = ps_store__bind_text(st, s, 2,
					 account != NULL ? account : "")) < 0 ||
	    (error = ps_store__bind_int64(st, s, 3, remaining)) < 0 ||
	    (error = quota >= 0 ? ps_store__bind_int64(st, s, 4, quota)
				: ps_store__bind_text(st, s, 4, NULL)) < 0 ||
	    (error = ps_store__bind_text(st, s, 5, unit)) < 0 ||
	    (error = ps_store__bind_int64(st, s, 6, now)) < 0) {
		sqlite3_reset(s);
		return error;
	}
	return ps_store__step_done(st, s, "recording an API budget");
}

void
ps_store_budgets_free(ps_store_budget *v, size_t n)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; i < n; i++) {
		free(v[i].account);
		free(v[i].unit);
	}
	free(v);
}

int
ps_store_budget_list(ps_store_budget **out, size_t *out_n, ps_store *st)
{
	ps_store_budget *v = NULL, *b;
	size_t n = 0, cap = 0;
	sqlite3_stmt *s = NULL;
	int error = 0, rc;

	if (out == NULL || out_n == NULL || st == NULL)
		return ps_error_set(PS_EINVAL, "ps_store_budget_list: NULL "
					       "argument");
	*out = NULL;
	*out_n = 0;
	if ((error = ps_store__prepare(
		     &s, st,
		     "SELECT platform, account, remaining, quota, unit,"
		     " updated_at FROM budgets ORDER BY platform, account")) <
	    0)
		return error;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (n == cap) {
			size_t c = cap ? cap * 2 : 4;
			ps_store_budget *nv = realloc(v, c * sizeof(*nv));

			if (nv == NULL) {
				error = ps_error_set(PS_ENOMEM,
						     "out of memory (budgets)");
				goto done;
			}
			v = nv;
			cap = c;
		}
		b = &v[n];
		memset(b, 0, sizeof(*b));
		n++;
		b->platform = (ps_platform)sqlite3_column_int(s, 0);
		b->remaining = (long)sqlite3_column_int64(s, 2);
		b->quota = sqlite3_column_type(s, 3) == SQLITE_NULL
				   ? -1
				   : (long)sqlite3_column_int64(s, 3);
		b->updated_at = sqlite3_column_int64(s, 5);
		if ((error = ps_store__column_dup(&b->account, s, 1)) < 0 ||
		    (error = ps_store__column_dup(&b->unit, s, 4)) < 0)
			goto done;
	}
	if (rc != SQLITE_DONE)
		error = ps_store__error(st, rc, "reading the API budgets");
done:
	sqlite3_reset(s);
	if (error < 0) {
		ps_store_budgets_free(v, n);
		return error;
	}
	*out = v;
	*out_n = n;
	return 0;
}
