/*
 * contacts.c - the Brightpearl contact directory: which contact id an
 * email belongs to, per account, so the order import can tell a known
 * customer from a new one without asking Brightpearl for each email, and
 * whether a contact it has linked to a BigCommerce customer still exists
 * (the lookup by id).
 *
 * There is one row per contact id: the key is (account, email, id) and
 * (account, id) is unique, so INSERT OR REPLACE moves a contact that
 * changed its email, and a contact sharing an email with a lower id is
 * kept rather than lost: when the lower one moves away, the next one is
 * found.  A lookup is one primary-key search whose first row is the lowest
 * id.  Emails are lower-cased here (ASCII letters only; other bytes are
 * kept as they are), so callers may pass any case.
 */
#include "store/store_int.h"

#include <stdlib.h>
#include <string.h>

static int
check_args(ps_store *st, const char *fn, const char *account)
{
	if (st == NULL)
		return ps_error_set(PS_EINVAL, "%s: store is NULL", fn);
	return ps_store__check_name(account, "Brightpearl account");
}

/* *out = email in lower case (owned). */
static int
lower_dup(char **out, const char *email)
{
	char *p;

	*out = ps_util__strdup(email);
	if (*out == NULL)
		return ps_error_set(PS_ENOMEM, NULL);
	for (p = *out; *p != '\0'; p++) {
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	}
	return 0;
}

void
ps_store_contact_dispose(ps_store_contact *c)
{
	if (c == NULL)
		return;
	free(c->email);
	free(c->first_name);
	free(c->last_name);
	free(c->telephone);
	memset(c, 0, sizeof(*c));
}

int
ps_store_contact_put(ps_store *st, const char *account, const char *email,
		     int64_t id, const char *first_name, const char *last_name,
		     const char *telephone)
{
	sqlite3_stmt *s = NULL;
	char *lower = NULL;
	int error;

	if ((error = check_args(st, "ps_store_contact_put", account)) < 0)
		return error;
	if (id <= 0)
		return ps_error_set(PS_EINVAL,
				    "Brightpearl contact id %lld "
				    "is not valid",
				    (long long)id);
	if (email == NULL || email[0] == '\0') {
		/* no email: nothing to find the contact by any more */
		if ((error = ps_store__prepare(
			     &s, st,
			     "DELETE FROM bp_contacts WHERE account = ?"
			     " AND id = ?")) < 0)
			return error;
		if ((error = ps_store__bind_text(st, s, 1, account)) < 0 ||
		    (error = ps_store__bind_int64(st, s, 2, id)) < 0) {
			sqlite3_reset(s);
			return error;
		}
		return ps_store__step_done(st, s,
					   "forgetting a Brightpearl contact");
	}
	if ((error = lower_dup(&lower, email)) < 0)
		return error;
	if ((error = ps_store__prepare(
		     &s, st,
		     "INSERT OR REPLACE INTO bp_contacts(account, id, email,"
		     " first_name, last_name, telephone)"
		     " VALUES (?, ?, ?, ?, ?, ?)")) < 0)
		goto done;
	if ((error = ps_store__bind_text(st, s, 1, account)) < 0 ||
	    (error = ps_store__bind_int64(st, s, 2, id)) < 0 ||
	    (error = ps_store__bind_text(st, s, 3, lower)) < 0 ||
	    (error = ps_store__bind_text(st, s, 4, first_name)) < 0 ||
	    (error = ps_store__bind_text(st, s, 5, last_name)) < 0 ||
	    (error = ps_store__bind_text(st, s, 6, telephone)) < 0) {
		sqlite3_reset(s);
		goto done;
	}
	error = ps_store__step_done(st, s, "recording a Brightpearl contact");
done:
	free(lower);
	return error;
}

/* *out = the row s stepped to (rc): id, email, names, phone. */
static int
contact_row(ps_store_contact *out, ps_store *st, sqlite3_stmt *s, int rc)
{
	int error;

	if (rc != SQLITE_ROW)
		return ps_store__error(st, rc,
				       "looking up a Brightpearl contact");
	out->id = sqlite3_column_int64(s, 0);
	if ((error = ps_store__column_dup(&out->email, s, 1)) < 0 ||
	    (error = ps_store__column_dup(&out->first_name, s, 2)) < 0 ||
	    (error = ps_store__column_dup(&out->last_name, s, 3)) < 0 ||
	    (error = ps_store__column_dup(&out->telephone, s, 4)) < 0)
		ps_store_contact_dispose(out);
	return error;
}

int
ps_store_contact_find(ps_store_contact *out, ps_store *st, const char *account,
		      const char *email)
{
	sqlite3_stmt *s = NULL;
	char *lower = NULL;
	int rc, error;

	if (out == NULL)
		return ps_error_set(PS_EINVAL,
				    "ps_store_contact_find: out is NULL");
	memset(out, 0, sizeof(*out));
	if ((error = check_args(st, "ps_store_contact_find", account)) < 0)
		return error;
	if (email == NULL || email[0] == '\0')
		return ps_error_set(PS_EINVAL, "no email to look up");
	if ((error = lower_dup(&lower, email)) < 0)
		return error;
	if ((error = ps_store__prepare(
		     &s, st,
		     "SELECT id, email, first_name, last_name, telephone"
		     " FROM bp_contacts WHERE account = ? AND email = ?"
		     " ORDER BY id LIMIT 1")) < 0)
		goto done;
	if ((error = ps_store__bind_text(st, s, 1, account)) < 0 ||
	    (error = ps_store__bind_text(st, s, 2, lower)) < 0)
		goto reset;
	rc = sqlite3_step(s);
	if (rc == SQLITE_DONE) {
		error = ps_error_set(PS_ENOTFOUND,
				     "no Brightpearl contact "
				     "with email '%s' in the directory of "
				     "'%s'",
				     lower, account);
		goto reset;
	}
	error = contact_row(out, st, s, rc);
reset:
	sqlite3_reset(s);
done:
	free(lower);
	return error;
}

int
ps_store_contact_get(ps_store_contact *out, ps_store *st, const char *account,
		     int64_t id)
{
	sqlite3_stmt *s = NULL;
	int rc, error;

	if (out == NULL)
		return ps_error_set(PS_EINVAL,
				    "ps_store_contact_get: out is NULL");
	memset(out, 0, sizeof(*out));
	if ((error = check_args(st, "ps_store_contact_get", account)) < 0)
		return error;
	if ((error = ps_store__prepare(
		     &s, st,
		     "SELECT id, email, first_name, last_name, telephone"
		     " FROM bp_contacts WHERE account = ? AND id = ?")) < 0)
		return error;
	if ((error = ps_store__bind_text(st, s, 1, account)) < 0 ||
	    (error = ps_store__bind_int64(st, s, 2, id)) < 0)
		goto reset;
	rc = sqlite3_step(s);
	if (rc == SQLITE_DONE)
		error = ps_error_set(PS_ENOTFOUND,
				     "no Brightpearl contact %lld in the "
				     "directory of '%s'",
				     (long long)id, account);
	else
		error = contact_row(out, st, s, rc);
reset:
	sqlite3_reset(s);
	return error;
}

int
ps_store_contact_count(int64_t *out, ps_store *st, const char *account)
{
	sqlite3_stmt *s;
	int rc, error;

	if (out == NULL)
		return ps_error_set(PS_EINVAL,
				    "ps_store_contact_count: out is NULL");
	*out = 0;
	if ((error = check_args(st, "ps_store_contact_count", account)) < 0)
		return error;
	if ((error = ps_store__prepare(
		     &s, st,
		     "SELECT count(*) FROM bp_contacts WHERE account = ?")) < 0)
		return error;
	if ((error = ps_store__bind_text(st, s, 1, account)) < 0)
		goto done;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*out = sqlite3_column_int64(s, 0);
	else
		error = ps_store__error(st, rc,
					"counting Brightpearl contacts");
done:
	sqlite3_reset(s);
	return error;
}

int
ps_store_contact_clear(ps_store *st, const char *account)
{
	sqlite3_stmt *s;
	int error;

	if (st == NULL)
		return ps_error_set(PS_EINVAL,
				    "ps_store_contact_clear: store is NULL");
	if (account == NULL) {
		if ((error = ps_store__prepare(&s, st,
					       "DELETE FROM bp_contacts")) < 0)
			return error;
	} else {
		if ((error = ps_store__check_name(account,
						  "Brightpearl account")) < 0 ||
		    (error = ps_store__prepare(
			     &s, st,
			     "DELETE FROM bp_contacts WHERE account = ?")) < 0)
			return error;
		if ((error = ps_store__bind_text(st, s, 1, account)) < 0) {
			sqlite3_reset(s);
			return error;
		}
	}
	return ps_store__step_done(st, s,
				   "clearing the Brightpearl contact "
				   "directory");
}
