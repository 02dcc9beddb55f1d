/*
 * settings_store.c - settings, mappings and the history that covers both.
 *
 * Every change goes through apply_change(): read the current value, skip if
 * equal, write it, append a history row.  A history row keeps the value
 * before and after, so the value of any key as of change-set V is the "old"
 * of its first row after V (or its current value if it has none).  That is
 * all rollback needs, and it treats mappings ("mapping:kind:dir:source")
 * exactly like settings.
 */
#include "pearlsync/settings.h"
#include "store/store_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAPPING_PREFIX "mapping:"
#define MAPPING_PREFIX_LEN 8
#define NAME_MAX_LEN 64

/* One change-set under construction: the version is taken lazily, at the
 * first real change, so a call that changes nothing leaves no trace. */
struct changeset {
	int64_t version; /* 0 until the first change */
	const char *actor;
	int64_t now;
};

static int
same(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

static int
check_actor(const char *actor)
{
	return ps_store__check_name(actor, "actor (cli, console, import...)");
}

/* kind: [a-z0-9_]+, at most NAME_MAX_LEN. */
static int
check_kind(const char *kind)
{
	const char *p;

	if (kind == NULL || kind[0] == '\0')
		return ps_error_set(PS_EINVAL, "mapping kind is empty");
	for (p = kind; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
		      *p == '_'))
			return ps_error_set(
				PS_EINVAL,
				"mapping kind '%s' may contain only "
				"a-z, 0-9 and _",
				kind);
	if (p - kind > NAME_MAX_LEN)
		return ps_error_set(PS_EINVAL, "mapping kind '%s' is too long",
				    kind);
	return 0;
}

/* direction: "<code>><code>" with two different platforms. */
static int
check_direction(const char *dir)
{
	char left[16];
	const char *gt;
	ps_platform a, b;

	if (dir == NULL || (gt = strchr(dir, '>')) == NULL ||
	    (size_t)(gt - dir) >= sizeof(left))
		goto bad;
	memcpy(left, dir, (size_t)(gt - dir));
	left[gt - dir] = '\0';
	if (ps_platform_parse(&a, left) < 0 ||
	    ps_platform_parse(&b, gt + 1) < 0 || a == b)
		goto bad;
	return 0;
bad:
	return ps_error_set(PS_EINVAL,
			    "mapping direction '%s' is not two different "
			    "platforms like 'bc>bp' (bp, bc, dsco, sh)",
			    dir ? dir : "");
}

static int
check_mapping(const ps_mapping *m, int need_target)
{
	int error;

	if (m == NULL)
		return ps_error_set(PS_EINVAL, "mapping is NULL");
	if ((error = check_kind(m->kind)) < 0 ||
	    (error = check_direction(m->direction)) < 0)
		return error;
	if (m->source && strlen(m->source) > 1024)
		return ps_error_set(PS_EINVAL, "mapping source is too long");
	if (need_target && (m->target == NULL || m->target[0] == '\0'))
		return ps_error_set(
			PS_EINVAL, "%s mapping %s for '%s' has an empty target",
			m->kind, m->direction,
			m->source && m->source[0] ? m->source : "(default)");
	return 0;
}

/* "mapping:kind:dir:source" into a new string. */
static int
mapping_key(char **out, const char *kind, const char *dir, const char *source)
{
	size_t n;

	if (source == NULL)
		source = "";
	n = MAPPING_PREFIX_LEN + strlen(kind) + strlen(dir) + strlen(source) +
	    3;
	*out = malloc(n);
	if (*out == NULL)
		return ps_error_set(PS_ENOMEM, "out of memory");
	snprintf(*out, n, MAPPING_PREFIX "%s:%s:%s", kind, dir, source);
	return 0;
}

/*
 * Split a history key back into its parts (kind and direction never
 * contain ':'; the source may).  Pointers into buf, which is modified.
 */
static int
parse_mapping_key(char *buf, const char **kind, const char **dir,
		  const char **source)
{
	char *p = buf + MAPPING_PREFIX_LEN, *c1, *c2;

	if ((c1 = strchr(p, ':')) == NULL || (c2 = strchr(c1 + 1, ':')) == NULL)
		return ps_error_set(PS_ESTORE, "malformed history key '%s'",
				    buf);
	*c1 = '\0';
	*c2 = '\0';
	*kind = p;
	*dir = c1 + 1;
	*source = c2 + 1;
	return 0;
}

static int
is_mapping_key(const char *key)
{
	return strncmp(key, MAPPING_PREFIX, MAPPING_PREFIX_LEN) == 0;
}

/* ---- raw reads and writes (no validation, no history) ------------------ */

static int
setting_read(char **out, ps_store *st, const char *key)
{
	sqlite3_stmt *s = NULL;
	int rc, error;

	*out = NULL;
	if ((error = ps_store__prepare(
		     &s, st, "SELECT value FROM settings WHERE key = ?")) < 0)
		return error;
	if ((error = ps_store__bind_text(st, s, 1, key)) < 0)
		goto done;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		error = ps_store__column_dup(out, s, 0);
	else if (rc == SQLITE_DONE)
		error = PS_ENOTFOUND;
	else
		error = ps_store__error(st, rc, "reading a setting");
done:
	sqlite3_reset(s);
	return error;
}

static int
mapping_read(char **out, ps_store *st, const char *kind, const char *dir,
	     const char *source)
{
	sqlite3_stmt *s = NULL;
	int rc, error;

	*out = NULL;
	if ((error = ps_store__prepare(
		     &s, st,
		     "SELECT target FROM mappings WHERE kind = ?"
		     " AND direction = ? AND source = ?")) < 0)
		return error;
	if ((error = ps_store__bind_text(st, s, 1, kind)) < 0 ||
	    (error = ps_store__bind_text(st, s, 2, dir)) < 0 ||
	    (error = ps_store__bind_text(st, s, 3, source ? source : "")) < 0)
		goto done;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		error = ps_store__column_dup(out, s, 0);
	else if (rc == SQLITE_DONE)
		error = PS_ENOTFOUND;
	else
		error = ps_store__error(st, rc, "reading a mapping");
done:
	sqlite3_reset(s);
	return error;
}

/* The current value of a history key (setting or mapping); NULL if unset. */
static int
current_value(char **out, ps_store *st, const char *key)
{
	const char *kind = NULL, *dir = NULL, *source = NULL;
	char *buf;
	int error;

	if (!is_mapping_key(key)) {
		error = setting_read(out, st, key);
	} else {
		if ((buf = ps_util__strdup(key)) == NULL)
			return ps_error_set(PS_ENOMEM, "out of memory");
		error = parse_mapping_key(buf, &kind, &dir, &source);
		if (error == 0)
			error = mapping_read(out, st, kind, dir, source);
		free(buf);
	}
	return error == PS_ENOTFOUND ? 0 : error;
}

static int
raw_write(ps_store *st, const char *key, const char *value, int64_t now)
{
	const char *kind = NULL, *dir = NULL, *source = NULL;
	sqlite3_stmt *s = NULL;
	char *buf = NULL;
	int error;

	if (!is_mapping_key(key)) {
		if (value)
			error = ps_store__prepare(
				&s, st,
				"INSERT INTO settings(key, value, updated_at)"
				" VALUES (?1, ?2, ?3) ON CONFLICT(key) DO"
				" UPDATE"
				" SET value = ?2, updated_at = ?3");
		else
			error = ps_store__prepare(
				&s, st, "DELETE FROM settings WHERE key = ?1");
		if (error < 0)
			return error;
		if ((error = ps_store__bind_text(st, s, 1, key)) < 0 ||
		    (value &&
		     (error = ps_store__bind_text(st, s, 2, value)) < 0) ||
		    (value &&
		     (error = ps_store__bind_int64(st, s, 3, now)) < 0))
			goto done;
		error = ps_store__step_done(st, s, "writing a setting");
		goto done;
	}
	if ((buf = ps_util__strdup(key)) == NULL)
		return ps_error_set(PS_ENOMEM, "out of memory");
	if ((error = parse_mapping_key(buf, &kind, &dir, &source)) < 0)
		goto done;
	if (value)
		error = ps_store__prepare(
			&s, st,
			"INSERT INTO mappings(kind, direction, source, target,"
			" updated_at) VALUES (?1, ?2, ?3, ?4, ?5)"
			" ON CONFLICT(kind, direction, source) DO UPDATE"
			" SET target = ?4, updated_at = ?5");
	else
		error = ps_store__prepare(
			&s, st,
			"DELETE FROM mappings WHERE kind = ?1"
			" AND direction = ?2 AND source = ?3");
	if (error < 0)
		goto done;
	if ((error = ps_store__bind_text(st, s, 1, kind)) < 0 ||
	    (error = ps_store__bind_text(st, s, 2, dir)) < 0 ||
	    (error = ps_store__bind_text(st, s, 3, source)) < 0 ||
	    (value && (error = ps_store__bind_text(st, s, 4, value)) < 0) ||
	    (value && (error = ps_store__bind_int64(st, s, 5, now)) < 0))
		goto done;
	error = ps_store__step_done(st, s, "writing a mapping");
done:
	if (s != NULL)
		sqlite3_reset(s);
	free(buf);
	return error;
}

static int
next_version(int64_t *out, ps_store *st)
{
	sqlite3_stmt *s = NULL;
	int rc, error;

	if ((error = ps_store__prepare(&s, st,
				       "SELECT COALESCE(MAX(version), 0) FROM"
				       " settings_history")) < 0)
		return error;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*out = sqlite3_column_int64(s, 0) + 1;
	else
		error = ps_store__error(st, rc, "reading the settings version");
	sqlite3_reset(s);
	return error;
}

/*
 * Set key to value inside the caller's transaction, with history, unless
 * it already has that value.
 */
static int
apply_change(ps_store *st, struct changeset *cs, const char *key,
	     const char *value)
{
	sqlite3_stmt *s = NULL;
	char *old = NULL;
	int error;

	if ((error = current_value(&old, st, key)) < 0)
		return error;
	if (same(old, value))
		goto done;
	/* a secret passing through is masked in every later log line */
	if (value && ps_settings_is_secret(key) &&
	    (error = ps_log_add_secret(value)) < 0)
		goto done;
	if (cs->version == 0 && (error = next_version(&cs->version, st)) < 0)
		goto done;
	if ((error = raw_write(st, key, value, cs->now)) < 0)
		goto done;
	if ((error = ps_store__prepare(
		     &s, st,
		     "INSERT INTO settings_history(version, at, key, old_value,"
		     " new_value, actor) VALUES (?, ?, ?, ?, ?, ?)")) < 0)
		goto done;
	if ((error = ps_store__bind_int64(st, s, 1, cs->version)) < 0 ||
	    (error = ps_store__bind_int64(st, s, 2, cs->now)) < 0 ||
	    (error = ps_store__bind_text(st, s, 3, key)) < 0 ||
	    (error = ps_store__bind_text(st, s, 4, old)) < 0 ||
	    (error = ps_store__bind_text(st, s, 5, value)) < 0 ||
	    (error = ps_store__bind_text(st, s, 6, cs->actor)) < 0) {
		sqlite3_reset(s);
		goto done;
	}
	error = ps_store__step_done(st, s, "recording settings history");
done:
	free(old);
	return error;
}

/* Commit on success, roll back on failure; returns error. */
static int
finish(ps_store *st, int error)
{
	if (error < 0) {
		ps_store_rollback(st);
		return error;
	}
	return ps_store_commit(st);
}

/* ---- settings ---------------------------------------------------------- */

int
ps_store_setting_get(char **out, ps_store *st, const char *key)
{
	int error;

	if (out == NULL)
		return ps_error_set(PS_EINVAL,
				    "ps_store_setting_get: out is NULL");
	*out = NULL;
	if (st == NULL || key == NULL || key[0] == '\0')
		return ps_error_set(PS_EINVAL, "setting name is empty");
	if (is_mapping_key(key))
		return ps_error_set(PS_EINVAL, "unknown setting '%s'", key);
	error = setting_read(out, st, key);
	if (error == PS_ENOTFOUND)
		ps_error_set(PS_ENOTFOUND, "setting '%s' is not set", key);
	else if (error == 0 && ps_settings_is_secret(key))
		error = ps_log_add_secret(*out);
	if (error < 0) {
		free(*out);
		*out = NULL;
	}
	return error;
}

int
ps_store_settings_set_many(int64_t *out_version, ps_store *st,
			   const ps_setting_kv *kv, size_t n, const char *actor,
			   int64_t now)
{
	struct changeset cs = {0, actor, now};
	size_t i;
	int error;

	if (out_version)
		*out_version = 0;
	if (st == NULL || (kv == NULL && n > 0))
		return ps_error_set(PS_EINVAL,
				    "ps_store_settings_set_many: NULL");
	if ((error = check_actor(actor)) < 0)
		return error;
	for (i = 0; i < n; i++)
		if ((error = ps_settings_validate(kv[i].key, kv[i].value)) < 0)
			return error;
	if ((error = ps_store_begin(st)) < 0)
		return error;
	for (i = 0; i < n && error == 0; i++)
		error = apply_change(st, &cs, kv[i].key, kv[i].value);
	if ((error = finish(st, error)) < 0)
		return error;
	if (out_version)
		*out_version = cs.version;
	return 0;
}

int
ps_store_setting_set(int64_t *out_version, ps_store *st, const char *key,
		     const char *value, const char *actor, int64_t now)
{
	ps_setting_kv kv = {key, value};

	return ps_store_settings_set_many(out_version, st, &kv, 1, actor, now);
}

int
ps_store_setting_foreach(ps_store *st, ps_store_setting_cb cb, void *payload)
{
	sqlite3_stmt *s = NULL;
	int rc, error;

	if (st == NULL || cb == NULL)
		return ps_error_set(PS_EINVAL,
				    "ps_store_setting_foreach: NULL");
	if ((error = ps_store__prepare(
		     &s, st, "SELECT key, value FROM settings ORDER BY key")) <
	    0)
		return error;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		error = cb((const char *)sqlite3_column_text(s, 0),
			   (const char *)sqlite3_column_text(s, 1), payload);
		if (error != 0)
			goto done;
	}
	if (rc != SQLITE_DONE)
		error = ps_store__error(st, rc, "listing settings");
done:
	sqlite3_reset(s);
	return error;
}

int
ps_store_setting_history_forget(ps_store *st, const char *key)
{
	sqlite3_stmt *s;
	int error;

	if ((error = ps_store__prepare(
		     &s, st,
		     "UPDATE settings_history SET old_value = NULL,"
		     " new_value = NULL WHERE key = ?")) < 0)
		return error;
	if ((error = ps_store__bind_text(st, s, 1, key)) < 0) {
		sqlite3_reset(s);
		return error;
	}
	return ps_store__step_done(st, s, "forgetting a setting's history");
}

int
ps_store_setting_history_foreach(ps_store *st, const char *key,
				 ps_store_setting_history_cb cb, void *payload)
{
	ps_setting_change c;
	sqlite3_stmt *s = NULL;
	int rc, error;

	if (st == NULL || cb == NULL)
		return ps_error_set(PS_EINVAL, "history: NULL argument");
	if (key)
		error = ps_store__prepare(
			&s, st,
			"SELECT id, version, at, key, old_value, new_value,"
			" actor FROM settings_history WHERE key = ?"
			" ORDER BY id DESC");
	else
		error = ps_store__prepare(
			&s, st,
			"SELECT id, version, at, key, old_value, new_value,"
			" actor FROM settings_history ORDER BY id DESC");
	if (error < 0)
		return error;
	if (key && (error = ps_store__bind_text(st, s, 1, key)) < 0)
		goto done;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		c.id = sqlite3_column_int64(s, 0);
		c.version = sqlite3_column_int64(s, 1);
		c.at = sqlite3_column_int64(s, 2);
		c.key = (const char *)sqlite3_column_text(s, 3);
		c.old_value = (const char *)sqlite3_column_text(s, 4);
		c.new_value = (const char *)sqlite3_column_text(s, 5);
		c.actor = (const char *)sqlite3_column_text(s, 6);
		if ((error = cb(&c, payload)) != 0)
			goto done;
	}
	if (rc != SQLITE_DONE)
		error = ps_store__error(st, rc, "reading settings history");
done:
	sqlite3_reset(s);
	return error;
}

int
ps_store_settings_version(int64_t *out, ps_store *st)
{
	int error;

	if (out == NULL || st == NULL)
		return ps_error_set(PS_EINVAL,
				    "ps_store_settings_version: NULL");
	if ((error = next_version(out, st)) < 0)
		return error;
	*out -= 1;
	return 0;
}

struct restore {
	char *key;
	char *value; /* NULL: unset */
};

int
ps_store_settings_rollback(int64_t *out_version, ps_store *st, int64_t version,
			   const char *actor, int64_t now)
{
	struct changeset cs = {0, actor, now};
	struct restore *todo = NULL, *grown;
	size_t n = 0, cap = 0, i;
	sqlite3_stmt *s = NULL;
	int64_t latest = 0;
	int rc, error;

	if (out_version)
		*out_version = 0;
	if (st == NULL || version < 0)
		return ps_error_set(PS_EINVAL, "rollback: bad argument");
	if ((error = check_actor(actor)) < 0)
		return error;
	if ((error = ps_store_begin(st)) < 0)
		return error;
	if ((error = ps_store_settings_version(&latest, st)) < 0)
		goto done;
	if (version > latest) {
		error = ps_error_set(
			PS_ENOTFOUND,
			"no settings version %lld (latest is %lld)",
			(long long)version, (long long)latest);
		goto done;
	}
	/* Each key changed after `version`, with its value as of then. */
	if ((error = ps_store__prepare(
		     &s, st,
		     "SELECT key, old_value FROM settings_history WHERE id IN"
		     " (SELECT MIN(id) FROM settings_history WHERE version > ?"
		     " GROUP BY key) ORDER BY id")) < 0)
		goto done;
	if ((error = ps_store__bind_int64(st, s, 1, version)) < 0)
		goto done;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			grown = realloc(todo, cap * sizeof(*todo));
			if (grown == NULL) {
				error = ps_error_set(PS_ENOMEM,
						     "out of memory");
				goto done;
			}
			todo = grown;
		}
		todo[n].key = todo[n].value = NULL;
		n++;
		if ((error = ps_store__column_dup(&todo[n - 1].key, s, 0)) <
			    0 ||
		    (error = ps_store__column_dup(&todo[n - 1].value, s, 1)) <
			    0)
			goto done;
	}
	if (rc != SQLITE_DONE) {
		error = ps_store__error(st, rc, "reading settings history");
		goto done;
	}
	sqlite3_reset(s);
	s = NULL;
	for (i = 0; i < n && error == 0; i++)
		error = apply_change(st, &cs, todo[i].key, todo[i].value);
done:
	if (s)
		sqlite3_reset(s);
	for (i = 0; i < n; i++) {
		free(todo[i].key);
		free(todo[i].value);
	}
	free(todo);
	if ((error = finish(st, error)) < 0)
		return error;
	if (out_version)
		*out_version = cs.version;
	return 0;
}

/* ---- mappings ---------------------------------------------------------- */

int
ps_store_mapping_get(char **out, ps_store *st, const char *kind,
		     const char *direction, const char *source, unsigned flags)
{
	ps_mapping m = {kind, direction, source, NULL};
	int error;

	if (out == NULL)
		return ps_error_set(PS_EINVAL,
				    "ps_store_mapping_get: out is NULL");
	*out = NULL;
	if (st == NULL)
		return ps_error_set(PS_EINVAL,
				    "ps_store_mapping_get: NULL store");
	if ((error = check_mapping(&m, 0)) < 0)
		return error;
	error = mapping_read(out, st, kind, direction, source);
	if (error == PS_ENOTFOUND && (flags & PS_STORE_MAPPING_FALLBACK) &&
	    source && source[0])
		error = mapping_read(out, st, kind, direction, "");
	if (error == PS_ENOTFOUND)
		return ps_error_set(PS_ENOTFOUND, "no %s mapping %s for '%s'%s",
				    kind, direction, source ? source : "",
				    (flags & PS_STORE_MAPPING_FALLBACK)
					    ? " and no default"
					    : "");
	return error;
}

static int
mapping_change(int64_t *out_version, ps_store *st, const ps_mapping *m,
	       const char *value, const char *actor, int64_t now)
{
	struct changeset cs = {0, actor, now};
	char *key = NULL;
	int error;

	if (out_version)
		*out_version = 0;
	if (st == NULL)
		return ps_error_set(PS_EINVAL, "mapping: NULL store");
	if ((error = check_mapping(m, value != NULL)) < 0 ||
	    (error = check_actor(actor)) < 0)
		return error;
	if ((error = mapping_key(&key, m->kind, m->direction, m->source)) < 0)
		return error;
	if ((error = ps_store_begin(st)) < 0)
		goto done;
	error = apply_change(st, &cs, key, value);
	if (error == 0 && value == NULL && cs.version == 0)
		error = ps_error_set(PS_ENOTFOUND, "no %s mapping %s for '%s'",
				     m->kind, m->direction,
				     m->source && m->source[0] ? m->source
							       : "(default)");
	error = finish(st, error);
	if (error == 0 && out_version)
		*out_version = cs.version;
done:
	free(key);
	return error;
}

int
ps_store_mapping_set(int64_t *out_version, ps_store *st,
		     const ps_mapping *mapping, const char *actor, int64_t now)
{
	if (mapping == NULL)
		return ps_error_set(PS_EINVAL, "mapping is NULL");
	return mapping_change(out_version, st, mapping, mapping->target, actor,
			      now);
}

int
ps_store_mapping_remove(int64_t *out_version, ps_store *st, const char *kind,
			const char *direction, const char *source,
			const char *actor, int64_t now)
{
	ps_mapping m = {kind, direction, source, NULL};

	return mapping_change(out_version, st, &m, NULL, actor, now);
}

int
ps_store_mapping_foreach(ps_store *st, const char *kind, const char *direction,
			 ps_store_mapping_cb cb, void *payload)
{
	ps_mapping m;
	sqlite3_stmt *s = NULL;
	int rc, error;

	if (st == NULL || cb == NULL)
		return ps_error_set(PS_EINVAL,
				    "ps_store_mapping_foreach: NULL");
	if ((error = ps_store__prepare(
		     &s, st,
		     "SELECT kind, direction, source, target FROM mappings"
		     " WHERE (?1 IS NULL OR kind = ?1)"
		     " AND (?2 IS NULL OR direction = ?2)"
		     " ORDER BY kind, direction, source")) < 0)
		return error;
	if ((error = ps_store__bind_text(st, s, 1, kind)) < 0 ||
	    (error = ps_store__bind_text(st, s, 2, direction)) < 0)
		goto done;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		m.kind = (const char *)sqlite3_column_text(s, 0);
		m.direction = (const char *)sqlite3_column_text(s, 1);
		m.source = (const char *)sqlite3_column_text(s, 2);
		m.target = (const char *)sqlite3_column_text(s, 3);
		if ((error = cb(&m, payload)) != 0)
			goto done;
	}
	if (rc != SQLITE_DONE)
		error = ps_store__error(st, rc, "listing mappings");
done:
	sqlite3_reset(s);
	return error;
}

static const char *
src_or_empty(const char *s)
{
	return s ? s : "";
}

static int
cmp_mapping(const void *a, const void *b)
{
	const ps_mapping *x = *(const ps_mapping *const *)a;
	const ps_mapping *y = *(const ps_mapping *const *)b;
	int c;

	if ((c = strcmp(x->kind, y->kind)) != 0)
		return c;
	if ((c = strcmp(x->direction, y->direction)) != 0)
		return c;
	return strcmp(src_or_empty(x->source), src_or_empty(y->source));
}

/* The existing sources of (kind, dir) absent from the sorted rows. */
struct stale_ctx {
	const ps_mapping **sorted;
	size_t n;
	char **keys;
	size_t nkeys, cap;
	int error;
};

static int
collect_stale(const ps_mapping *m, void *payload)
{
	struct stale_ctx *c = payload;
	ps_mapping probe = *m;
	const ps_mapping *pp = &probe;
	char **grown;

	if (bsearch(&pp, c->sorted, c->n, sizeof(*c->sorted), cmp_mapping))
		return 0;
	if (c->nkeys == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 16;
		grown = realloc(c->keys, c->cap * sizeof(*grown));
		if (grown == NULL)
			return c->error =
				       ps_error_set(PS_ENOMEM, "out of memory");
		c->keys = grown;
	}
	if ((c->error = mapping_key(&c->keys[c->nkeys], m->kind, m->direction,
				    m->source)) < 0)
		return c->error;
	c->nkeys++;
	return 0;
}

int
ps_store_mapping_import(int64_t *out_version, ps_store *st,
			const ps_mapping *rows, size_t n, unsigned flags,
			const char *actor, int64_t now)
{
	struct changeset cs = {0, actor, now};
	struct stale_ctx stale = {0};
	const ps_mapping **sorted = NULL;
	char *key = NULL;
	size_t i;
	int error = 0;

	if (out_version)
		*out_version = 0;
	if (st == NULL || (rows == NULL && n > 0))
		return ps_error_set(PS_EINVAL, "mapping import: NULL argument");
	if ((error = check_actor(actor)) < 0)
		return error;
	for (i = 0; i < n; i++) {
		if ((error = check_mapping(&rows[i], 1)) < 0) {
			char why[PS_ERROR_MAX];

			ps_util__strlcpy(why, ps_error_last(), sizeof(why));
			return ps_error_set(error, "row %zu: %s", i + 1, why);
		}
	}
	if (n > 0 && (sorted = malloc(n * sizeof(*sorted))) == NULL)
		return ps_error_set(PS_ENOMEM, "out of memory");
	for (i = 0; i < n; i++)
		sorted[i] = &rows[i];
	if (n > 0)
		qsort(sorted, n, sizeof(*sorted), cmp_mapping);
	for (i = 1; i < n; i++) {
		if (cmp_mapping(&sorted[i - 1], &sorted[i]) == 0) {
			error = ps_error_set(PS_EINVAL,
					     "%s mapping %s for '%s' appears "
					     "twice",
					     sorted[i]->kind,
					     sorted[i]->direction,
					     src_or_empty(sorted[i]->source));
			goto out;
		}
	}
	if ((error = ps_store_begin(st)) < 0)
		goto out;
	if (flags & PS_STORE_MAPPING_REPLACE) {
		stale.sorted = sorted;
		stale.n = n;
		for (i = 0; i < n && error == 0; i++) {
			if (i > 0 &&
			    strcmp(sorted[i]->kind, sorted[i - 1]->kind) == 0 &&
			    strcmp(sorted[i]->direction,
				   sorted[i - 1]->direction) == 0)
				continue;
			error = ps_store_mapping_foreach(st, sorted[i]->kind,
							 sorted[i]->direction,
							 collect_stale, &stale);
			if (stale.error < 0)
				error = stale.error;
		}
		for (i = 0; i < stale.nkeys && error == 0; i++)
			error = apply_change(st, &cs, stale.keys[i], NULL);
	}
	for (i = 0; i < n && error == 0; i++) {
		if ((error = mapping_key(&key, rows[i].kind, rows[i].direction,
					 rows[i].source)) < 0)
			break;
		error = apply_change(st, &cs, key, rows[i].target);
		free(key);
		key = NULL;
	}
	error = finish(st, error);
	if (error == 0 && out_version)
		*out_version = cs.version;
out:
	for (i = 0; i < stale.nkeys; i++)
		free(stale.keys[i]);
	free(stale.keys);
	free(sorted);
	return error;
}
