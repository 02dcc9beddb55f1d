/*
 * privacy.c - forgetting a customer, and the retention of personal data
 * (privacy.h).
 *
 * The table below is every place the store keeps personal data.  Each
 * line: the table, the column that identifies a row, the column holding
 * the data, the column saying when the row was last written (for the
 * retention; NULL: the rows have no age and are left to `forget`), and
 * how it is redacted:
 *
 *   TEXT   the terms are replaced where they occur as whole words;
 *   JSON   the same, after the objects holding the e-mail have had their
 *          personal members blanked (a value that is not JSON is TEXT);
 *   ROW    the rows whose column equals the e-mail are deleted (a
 *          directory from e-mail to person: nothing non-personal is left
 *          in such a row).
 *
 * A new table holding personal data is one more line.
 */
#include "store/store_int.h"

#include <ctype.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "pearlsync/privacy.h"

typedef enum how { HOW_TEXT, HOW_JSON, HOW_ROW } how;

typedef struct rule {
	const char *table, *key, *column, *written;
	how how;
} rule;

/* clang-format off */
static const rule rules[] = {
	/* the sync log: what each attempt did and why it failed */
	{"log_entries", "id",    "detail",   "updated_at",  HOW_TEXT},
	{"log_entries", "id",    "reason",   "updated_at",  HOW_TEXT},
	/* webhook deliveries as received, and what they announced */
	{"events",      "id",    "payload",  "received_at", HOW_JSON},
	{"events",      "id",    "value",    "received_at", HOW_TEXT},
	/* the CLI's and console's requests to the worker, and its answers */
	{"requests",    "id",    "argument", "created_at",  HOW_TEXT},
	{"requests",    "id",    "result",   "created_at",  HOW_TEXT},
	/* the audit trail: attempts' reasons and what each step was */
	{"audit",       "id",    "reason",   "at",          HOW_TEXT},
	{"audit",       "id",    "what",     "at",          HOW_TEXT},
	/* cached platform replies */
	{"cache",       "kind",  "json",     "fetched_at",  HOW_JSON},
	/* the Brightpearl contact directory: e-mail -> name, phone */
	{"bp_contacts", "email", "email",    NULL,          HOW_ROW},
};
/* clang-format on */

#define NRULES (sizeof(rules) / sizeof(rules[0]))
#define TERMS_MAX 64

/* ---- terms ----------------------------------------------------------------
 */

typedef struct terms {
	char *v[TERMS_MAX]; /* owned, lower case, in the order found */
	size_t n;
} terms;

static void
terms_dispose(terms *t)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		free(t->v[i]);
	t->n = 0;
}

/* Add s (trimmed; shorter than 2 characters, a placeholder or a known
 * term: ignored). */
static void
terms_add_n(terms *t, const char *s, size_t n)
{
	size_t i, k;
	char *c;

	while (n > 0 && isspace((unsigned char)*s))
		s++, n--;
	while (n > 0 && isspace((unsigned char)s[n - 1]))
		n--;
	if (n < 2 || t->n == TERMS_MAX ||
	    (n == strlen(PS_PRIVACY_REDACTED) &&
	     strncmp(s, PS_PRIVACY_REDACTED, n) == 0))
		return;
	for (i = 0; i < t->n; i++)
		if (strlen(t->v[i]) == n && strncasecmp(t->v[i], s, n) == 0)
			return;
	if ((c = malloc(n + 1)) == NULL)
		return;
	for (k = 0; k < n; k++)
		c[k] = (char)tolower((unsigned char)s[k]);
	c[n] = '\0';
	t->v[t->n++] = c; /* appended: a sweep's index stays valid */
}

static void
terms_add(terms *t, const char *s)
{
	if (s != NULL)
		terms_add_n(t, s, strlen(s));
}

static int
email_local(int c)
{
	return isalnum(c) || strchr("._%+-'", c) != NULL;
}

static int
email_domain(int c)
{
	return isalnum(c) || c == '.' || c == '-';
}

/* Every e-mail address in s as a term. */
static void
terms_emails(terms *t, const char *s)
{
	const char *at, *a, *z;

	for (at = s != NULL ? strchr(s, '@') : NULL; at != NULL;
	     at = strchr(at + 1, '@')) {
		for (a = at; a > s && email_local((unsigned char)a[-1]); a--)
			;
		for (z = at + 1; email_domain((unsigned char)*z); z++)
			;
		while (z > at + 1 && (z[-1] == '.' || z[-1] == '-'))
			z--;
		if (a < at && memchr(at + 1, '.', (size_t)(z - at - 1)) != NULL)
			terms_add_n(t, a, (size_t)(z - a));
	}
}

/* ---- redacting one value ---------------------------------------------- */

/* Members of a customer's object that are personal. */
static int
personal_key(const char *k)
{
	static const char *const parts[] = {
		"name",  "street",   "address", "addr",  "city",
		"zip",   "postcode", "postal",  "phone", "telephone",
		"email", "company",  "line1",   "line2", "mobile",
	};
	char low[64];
	size_t i;

	for (i = 0; k[i] != '\0' && i < sizeof(low) - 1; i++)
		low[i] = (char)tolower((unsigned char)k[i]);
	low[i] = '\0';
	for (i = 0; i < sizeof(parts) / sizeof(parts[0]); i++)
		if (strstr(low, parts[i]) != NULL)
			return 1;
	return 0;
}

/* A given name's key ("first_name", "firstName", "given_name"). */
static int
given_name_key(const char *k)
{
	return strncasecmp(k, "first", 5) == 0 ||
	       strncasecmp(k, "given", 5) == 0;
}

/* Whether object o has a string member equal to one of the e-mail terms
 * (an '@' in it). */
static int
holds_email(json_t *o, const terms *t)
{
	const char *k, *s;
	json_t *v;
	size_t i;

	json_object_foreach (o, k, v) {
		if ((s = json_string_value(v)) == NULL)
			continue;
		for (i = 0; i < t->n; i++)
			if (strchr(t->v[i], '@') != NULL &&
			    strcasecmp(s, t->v[i]) == 0)
				return 1;
	}
	return 0;
}

/*
 * Blank the personal members of the objects under j that hold an e-mail
 * of t, adding their values to t.  Returns how many were blanked.
 */
static int
json_blank(json_t *j, terms *t)
{
	const char *k;
	json_t *v;
	size_t i;
	int n = 0;

	if (json_is_object(j)) {
		int mine = holds_email(j, t);

		json_object_foreach (j, k, v) {
			if (mine && json_is_string(v) && personal_key(k) &&
			    json_string_length(v) > 0 &&
			    strcmp(json_string_value(v), PS_PRIVACY_REDACTED) !=
				    0) {
				/* a first name alone would hit other
				 * customers of that name elsewhere */
				if (!given_name_key(k))
					terms_add(t, json_string_value(v));
				json_string_set(v, PS_PRIVACY_REDACTED);
				n++;
			} else {
				n += json_blank(v, t);
			}
		}
	} else if (json_is_array(j)) {
		json_array_foreach (j, i, v)
			n += json_blank(v, t);
	}
	return n;
}

/* A term stands alone between other characters than these ("ADA-1", a
 * SKU, does not hold the name "Ada"). */
static int
word_char(int c)
{
	return isalnum(c) || c == '-' || c == '_' || c >= 0x80;
}

/*
 * s with every term replaced where it stands as a whole word (an e-mail
 * anywhere), newly allocated; NULL when nothing matched (or no memory:
 * the value is then left as it was and counted as not redacted).
 */
static char *
text_redact(const char *s, const terms *t)
{
	size_t len = strlen(s), cap = len + 1, o = 0, i, k;
	const size_t rl = strlen(PS_PRIVACY_REDACTED);
	char *out = NULL;
	int changed = 0;

	for (i = 0; i < len;) {
		size_t hit = 0;

		/* the longest term here: "ada lovelace" rather than "ada" */
		for (k = 0; k < t->n; k++) {
			size_t n = strlen(t->v[k]);

			if (n <= hit || n > len - i ||
			    strncasecmp(s + i, t->v[k], n) != 0)
				continue;
			if (strchr(t->v[k], '@') == NULL &&
			    ((i > 0 && word_char((unsigned char)s[i - 1])) ||
			     word_char((unsigned char)s[i + n])))
				continue;
			hit = n;
		}
		if (out == NULL && hit == 0) {
			i++;
			continue;
		}
		if (out == NULL) { /* the first hit: copy what came before */
			cap = len + rl * 8 + 1;
			if ((out = malloc(cap)) == NULL)
				return NULL;
			memcpy(out, s, i);
			o = i;
		}
		if (o + rl + 2 > cap) {
			char *grown = realloc(out, cap * 2 + rl);

			if (grown == NULL) {
				free(out);
				return NULL;
			}
			out = grown;
			cap = cap * 2 + rl;
		}
		if (hit > 0) {
			memcpy(out + o, PS_PRIVACY_REDACTED, rl);
			o += rl;
			i += hit;
			changed = 1;
		} else {
			out[o++] = s[i++];
		}
	}
	if (!changed) {
		free(out);
		return NULL;
	}
	out[o] = '\0';
	return out;
}

/*
 * One value redacted with the terms t (extended by what its JSON objects
 * say), newly allocated, or NULL when it holds nothing of them.
 */
static char *
value_redact(const char *s, how h, terms *t)
{
	char *dumped = NULL, *out;
	json_t *doc = NULL;
	int blanked = 0;

	if (h == HOW_JSON && (doc = json_loads(s, JSON_DECODE_ANY, NULL))) {
		blanked = json_blank(doc, t);
		if (blanked)
			dumped = json_dumps(doc, JSON_COMPACT |
							 JSON_PRESERVE_ORDER |
							 JSON_ENCODE_ANY);
		json_decref(doc);
	}
	out = text_redact(dumped != NULL ? dumped : s, t);
	if (out == NULL && dumped != NULL)
		return dumped;
	free(dumped);
	return out;
}

/* ---- the rules -------------------------------------------------------- */

typedef struct pass {
	ps_store *st;
	terms *t;
	const char *email; /* forget: the address; NULL: retention */
	int64_t cutoff;    /* retention: rows written before */
	size_t limit;      /* retention: values per call */
	ps_privacy_stats *out;
} pass;

/* The contact directory's full name, surname and phone for email, as
 * terms. */
static int
directory_terms(ps_store *st, terms *t, const char *email)
{
	sqlite3_stmt *s = NULL;
	int rc;

	/* not the first name alone: other customers share it */
	rc = sqlite3_prepare_v2(st->db,
				"SELECT last_name, telephone,"
				" first_name || ' ' || last_name"
				" FROM bp_contacts WHERE email = lower(?1)",
				-1, &s, NULL);
	if (rc != SQLITE_OK)
		return ps_store__error(st, rc, "reading the contact directory");
	sqlite3_bind_text(s, 1, email, -1, SQLITE_TRANSIENT);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		int c;

		for (c = 0; c < 3; c++)
			terms_add(t, (const char *)sqlite3_column_text(s, c));
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return ps_store__error(st, rc, "reading the contact directory");
	return 0;
}

/*
 * Forget: the values of rule r holding any term, one sweep per term
 * (instr is exact; the terms grow as JSON objects give names, so a first
 * sweep with gather_only collects them and the second redacts).
 */
static int
rule_sweep(pass *p, const rule *r, int gather_only)
{
	sqlite3_stmt *sel = NULL, *upd = NULL;
	char sql[512];
	size_t k;
	int rc, error = 0;

	snprintf(sql, sizeof(sql),
		 "SELECT %s, %s FROM %s WHERE %s IS NOT NULL"
		 " AND instr(lower(%s), ?1) > 0",
		 r->key, r->column, r->table, r->column, r->column);
	rc = sqlite3_prepare_v2(p->st->db, sql, -1, &sel, NULL);
	snprintf(sql, sizeof(sql), "UPDATE %s SET %s = ?1 WHERE %s = ?2",
		 r->table, r->column, r->key);
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(p->st->db, sql, -1, &upd, NULL);
	if (rc != SQLITE_OK) {
		error = ps_store__error(p->st, rc, "preparing a redaction");
		goto done;
	}
	for (k = 0; error == 0 && k < p->t->n; k++) {
		sqlite3_bind_text(sel, 1, p->t->v[k], -1, SQLITE_TRANSIENT);
		while (error == 0 && (rc = sqlite3_step(sel)) == SQLITE_ROW) {
			const char *v =
				(const char *)sqlite3_column_text(sel, 1);
			char *red;

			if (v == NULL ||
			    (red = value_redact(v, r->how, p->t)) == NULL)
				continue;
			if (!gather_only) {
				p->out->values++;
				if (strcmp(r->table, "log_entries") == 0)
					p->out->log_rows++;
				/* a dry run too: its transaction is rolled
				 * back, and a value is counted once */
				sqlite3_bind_text(upd, 1, red, -1,
						  SQLITE_TRANSIENT);
				sqlite3_bind_value(
					upd, 2, sqlite3_column_value(sel, 0));
				rc = sqlite3_step(upd);
				sqlite3_reset(upd);
				if (rc != SQLITE_DONE)
					error = ps_store__error(
						p->st, rc, "redacting a value");
				else
					rc = SQLITE_ROW;
			}
			free(red);
		}
		if (error == 0 && rc != SQLITE_DONE)
			error = ps_store__error(p->st, rc,
						"reading for a redaction");
		sqlite3_reset(sel);
	}
done:
	sqlite3_finalize(sel);
	sqlite3_finalize(upd);
	return error;
}

/*
 * Retention: the rows of table (every rule of it with an age) written
 * before the cutoff with an '@' in one of its personal columns.  A row's
 * terms are the e-mail addresses in any of those columns and what the
 * directory says of them, so a name in the detail goes with the address
 * in the reason.  Stops after p->limit values (out->done then 0).
 */
#define COLS_MAX 8

static int
table_retain(pass *p, const char *table)
{
	const rule *cols[COLS_MAX];
	sqlite3_stmt *sel = NULL;
	char sql[1024], all[512] = "";
	size_t i, n = 0, len;
	int rc, error = 0;

	for (i = 0; i < NRULES && n < COLS_MAX; i++)
		if (strcmp(rules[i].table, table) == 0 &&
		    rules[i].written != NULL && rules[i].how != HOW_ROW)
			cols[n++] = &rules[i];
	if (n == 0)
		return 0;
	for (i = 0; i < n; i++) {
		len = strlen(all);
		snprintf(all + len, sizeof(all) - len, "%scoalesce(%s, '')",
			 i ? " || ' ' || " : "", cols[i]->column);
	}
	len = (size_t)snprintf(sql, sizeof(sql), "SELECT %s", cols[0]->key);
	for (i = 0; i < n; i++)
		len += (size_t)snprintf(sql + len, sizeof(sql) - len, ", %s",
					cols[i]->column);
	snprintf(sql + len, sizeof(sql) - len,
		 ", %s FROM %s WHERE %s < ?1 AND instr(%s, '@') > 0", all,
		 table, cols[0]->written, all);
	if ((rc = sqlite3_prepare_v2(p->st->db, sql, -1, &sel, NULL)) !=
	    SQLITE_OK)
		return ps_store__error(p->st, rc, "preparing a redaction");
	sqlite3_bind_int64(sel, 1, p->cutoff);
	while (error == 0 && (rc = sqlite3_step(sel)) == SQLITE_ROW) {
		terms own = {{NULL}, 0};
		size_t e, ne;

		if (p->out->values >= (int64_t)p->limit) {
			p->out->done = 0; /* the rest on the next call */
			break;
		}
		terms_emails(&own, (const char *)sqlite3_column_text(
					   sel, (int)n + 1));
		for (e = 0, ne = own.n; e < ne && error == 0; e++)
			error = directory_terms(p->st, &own, own.v[e]);
		for (i = 0; error == 0 && i < n; i++) {
			const char *v = (const char *)sqlite3_column_text(
				sel, (int)i + 1);
			sqlite3_stmt *upd = NULL;
			char *red;

			if (v == NULL ||
			    (red = value_redact(v, cols[i]->how, &own)) == NULL)
				continue;
			p->out->values++;
			if (strcmp(table, "log_entries") == 0)
				p->out->log_rows++;
			snprintf(sql, sizeof(sql),
				 "UPDATE %s SET %s = ?1 WHERE %s = ?2", table,
				 cols[i]->column, cols[i]->key);
			rc = sqlite3_prepare_v2(p->st->db, sql, -1, &upd, NULL);
			if (rc == SQLITE_OK) {
				sqlite3_bind_text(upd, 1, red, -1,
						  SQLITE_TRANSIENT);
				sqlite3_bind_value(
					upd, 2, sqlite3_column_value(sel, 0));
				rc = sqlite3_step(upd);
			}
			sqlite3_finalize(upd);
			free(red);
			if (rc != SQLITE_DONE)
				error = ps_store__error(p->st, rc,
							"redacting a value");
		}
		terms_dispose(&own);
		rc = SQLITE_ROW;
	}
	if (error == 0 && rc != SQLITE_ROW && rc != SQLITE_DONE)
		error = ps_store__error(p->st, rc, "reading for a redaction");
	sqlite3_finalize(sel);
	return error;
}

static int
rule_rows(pass *p, const rule *r)
{
	sqlite3_stmt *s = NULL;
	char sql[256];
	int rc;

	snprintf(sql, sizeof(sql), "DELETE FROM %s WHERE %s = lower(?1)",
		 r->table, r->column);
	if ((rc = sqlite3_prepare_v2(p->st->db, sql, -1, &s, NULL)) !=
	    SQLITE_OK)
		return ps_store__error(p->st, rc, "preparing a deletion");
	sqlite3_bind_text(s, 1, p->email, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(s);
	if (rc == SQLITE_DONE)
		p->out->rows += sqlite3_changes(p->st->db);
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return ps_store__error(p->st, rc, "deleting personal rows");
	return 0;
}

static int
looks_like_email(const char *s)
{
	const char *at = s != NULL ? strchr(s, '@') : NULL;

	return at != NULL && at > s && strchr(at + 1, '.') != NULL &&
	       strchr(at + 1, '@') == NULL && strlen(s) < 255 &&
	       strpbrk(s, " \t\r\n,;<>\"") == NULL;
}

/*
 * Freed and rewritten space zeroed while redacting (PRAGMA secure_delete):
 * an updated row's old bytes, a deleted contact's, the search index's old
 * segments, so they leave the file's pages without a VACUUM.  The
 * connection's previous mode is restored by secure_end.
 */
static int
secure_begin(ps_store *st)
{
	sqlite3_stmt *s = NULL;
	int was = 0;

	if (sqlite3_prepare_v2(st->db, "PRAGMA secure_delete", -1, &s, NULL) ==
		    SQLITE_OK &&
	    sqlite3_step(s) == SQLITE_ROW)
		was = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	sqlite3_exec(st->db, "PRAGMA secure_delete = ON", NULL, NULL, NULL);
	return was;
}

static void
secure_end(ps_store *st, int was)
{
	sqlite3_exec(st->db,
		     was == 1   ? "PRAGMA secure_delete = ON"
		     : was == 2 ? "PRAGMA secure_delete = FAST"
				: "PRAGMA secure_delete = OFF",
		     NULL, NULL, NULL);
}

int
ps_privacy_forget(ps_privacy_stats *out, ps_store *st, const char *email,
		  int dry_run)
{
	terms t = {{NULL}, 0};
	pass p;
	size_t i;
	int error, secure;

	if (out == NULL || st == NULL)
		return ps_error_set(PS_EINVAL, "ps_privacy_forget: NULL");
	memset(out, 0, sizeof(*out));
	if (!looks_like_email(email))
		return ps_error_set(PS_EINVAL, "'%s' is not an e-mail address",
				    email != NULL ? email : "");
	terms_add(&t, email);
	if (t.n == 0)
		return ps_error_set(PS_ENOMEM, NULL);
	memset(&p, 0, sizeof(p));
	p.st = st;
	p.t = &t;
	p.email = t.v[0];
	p.out = out;
	secure = secure_begin(st);
	if ((error = ps_store_begin(st)) < 0)
		goto done;
	error = directory_terms(st, &t, p.email);
	/* gather the names the JSON objects give, then redact with all */
	for (i = 0; error == 0 && i < NRULES; i++)
		if (rules[i].how == HOW_JSON)
			error = rule_sweep(&p, &rules[i], 1);
	for (i = 0; error == 0 && i < NRULES; i++)
		error = rules[i].how == HOW_ROW ? rule_rows(&p, &rules[i])
						: rule_sweep(&p, &rules[i], 0);
	if (error < 0 || dry_run) {
		ps_store_rollback(st);
		goto done;
	}
	if ((error = ps_store_commit(st)) < 0)
		goto done;
	error = ps_privacy_compact(st, 1);
done:
	secure_end(st, secure);
	terms_dispose(&t);
	return error;
}

int
ps_privacy_retain(ps_privacy_stats *out, ps_store *st, int64_t cutoff,
		  size_t limit)
{
	pass p;
	size_t i;
	int error, secure;

	if (out == NULL || st == NULL)
		return ps_error_set(PS_EINVAL, "ps_privacy_retain: NULL");
	memset(out, 0, sizeof(*out));
	out->done = 1;
	memset(&p, 0, sizeof(p));
	p.st = st;
	p.cutoff = cutoff;
	p.limit = limit > 0 ? limit : 1000;
	p.out = out;
	secure = secure_begin(st);
	if ((error = ps_store_begin(st)) < 0) {
		secure_end(st, secure);
		return error;
	}
	for (i = 0; error == 0 && i < NRULES && out->done; i++) {
		size_t k;

		for (k = 0; k < i && strcmp(rules[k].table, rules[i].table);
		     k++)
			;
		if (k == i) /* the table's first rule: the whole table */
			error = table_retain(&p, rules[i].table);
	}
	if (error < 0)
		ps_store_rollback(st);
	else
		error = ps_store_commit(st);
	secure_end(st, secure);
	return error;
}

int
ps_privacy_compact(ps_store *st, int vacuum)
{
	int error, busy = 0, rc, secure;
	sqlite3_stmt *s = NULL;

	if (st == NULL)
		return ps_error_set(PS_EINVAL, "ps_privacy_compact: NULL");
	/* the search index keeps deleted tokens until its segments merge */
	secure = secure_begin(st);
	error = ps_store__exec(st,
			       "INSERT INTO log_search(log_search)"
			       " VALUES ('optimize')",
			       "merging the log's search index");
	secure_end(st, secure);
	if (error < 0 ||
	    (vacuum && (error = ps_store__exec(st, "VACUUM",
					       "compacting the database")) < 0))
		return error;
	rc = sqlite3_prepare_v2(st->db, "PRAGMA wal_checkpoint(TRUNCATE)", -1,
				&s, NULL);
	if (rc == SQLITE_OK && (rc = sqlite3_step(s)) == SQLITE_ROW)
		busy = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return ps_store__error(st, rc, "checkpointing the WAL");
	if (busy)
		return ps_error_set(PS_EBUSY,
				    "the WAL could not be emptied: another "
				    "process was reading; run again");
	return 0;
}
