/*
 * model_mapping.c - the mapping editors: rows of one (kind, direction),
 * changed through the store, checked against the platform lists cached by
 * the setup model, CSV in and out.
 *
 * The CSV reader and writer are the core's (pearlsync/csv.h), the same as
 * `pearlsync mappings import` and `export` use, so a file exported by either
 * is read by both; rows are numbered as a spreadsheet numbers them.
 */
#include "model_mapping.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model_setup.h"
#include "pearlsync/csv.h"

#define CSV_FIELDS 4

static const char *const csv_header[CSV_FIELDS] = {"kind", "direction",
						   "source", "target"};

/* Every flow group's mapping tables, in registry order. */
size_t
ps_mapedit_kind_count(void)
{
	const ps_flow_group *const *g = ps_flow_groups_all();
	size_t n = 0;

	for (; *g != NULL; g++)
		n += (*g)->nmappings;
	return n;
}

const ps_mapedit_kind *
ps_mapedit_kind_at(size_t i)
{
	const ps_flow_group *const *g = ps_flow_groups_all();

	for (; *g != NULL; g++) {
		if (i < (*g)->nmappings)
			return &(*g)->mappings[i];
		i -= (*g)->nmappings;
	}
	return NULL;
}

const ps_mapedit_kind *
ps_mapedit_kind_find(const char *kind, const char *direction)
{
	const ps_mapedit_kind *k;
	size_t i;

	for (i = 0; kind != NULL && direction != NULL &&
		    (k = ps_mapedit_kind_at(i)) != NULL;
	     i++)
		if (strcmp(k->kind, kind) == 0 &&
		    strcmp(k->direction, direction) == 0)
			return k;
	return NULL;
}

/* ------------------------------------------------------------------------ */
/* Loading                                                                   */

static void
rows_free(ps_mapedit_row *rows, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(rows[i].source);
		free(rows[i].target);
		free(rows[i].source_name);
		free(rows[i].target_name);
	}
	free(rows);
}

struct load_ctx {
	ps_mapedit_row *rows;
	size_t n, cap;
	int error;
};

static int
load_row(const ps_mapping *m, void *payload)
{
	struct load_ctx *c = payload;
	ps_mapedit_row *r;

	if (c->n == c->cap) {
		size_t ncap = c->cap ? c->cap * 2 : 16;
		ps_mapedit_row *g = realloc(c->rows, ncap * sizeof(*g));

		if (g == NULL)
			goto oom;
		c->rows = g;
		c->cap = ncap;
	}
	r = &c->rows[c->n];
	memset(r, 0, sizeof(*r));
	c->n++;
	r->source = strdup(m->source != NULL ? m->source : "");
	r->target = strdup(m->target);
	if (r->source == NULL || r->target == NULL)
		goto oom;
	return 0;
oom:
	c->error = ps_error_set(PS_ENOMEM, "out of memory");
	return 1;
}

/* Fill names and stale flags from the cached lists. */
static int
annotate(ps_mapedit_row *rows, size_t n, ps_store *st, const ps_mapedit_kind *k)
{
	ps_setup_choices src = {0}, dst = {0};
	const ps_setup_choice *ch;
	size_t i;
	int error = 0;

	if (k->source_list != NULL &&
	    (error = ps_setup_choices_load(&src, st, k->source_list)) < 0)
		goto done;
	if (k->target_list != NULL &&
	    (error = ps_setup_choices_load(&dst, st, k->target_list)) < 0)
		goto done;
	for (i = 0; i < n; i++) {
		ps_mapedit_row *r = &rows[i];

		if (r->source[0] != '\0' && src.fetched_at != 0) {
			ch = ps_setup_choices_find(&src, r->source, 0);
			if (ch == NULL)
				r->stale = 1;
			else if ((r->source_name = strdup(ch->name)) == NULL)
				goto oom;
		}
		if (dst.fetched_at != 0) {
			ch = ps_setup_choices_find(&dst, r->target, 0);
			if (ch == NULL)
				r->stale = 1;
			else if ((r->target_name = strdup(ch->name)) == NULL)
				goto oom;
		}
	}
	goto done;
oom:
	error = ps_error_set(PS_ENOMEM, "out of memory");
done:
	ps_setup_choices_dispose(&src);
	ps_setup_choices_dispose(&dst);
	return error;
}

static int
load_rows(ps_mapedit_row **out, size_t *out_n, ps_store *st,
	  const ps_mapedit_kind *k)
{
	struct load_ctx c = {NULL, 0, 0, 0};
	int error;

	*out = NULL;
	*out_n = 0;
	error = ps_store_mapping_foreach(st, k->kind, k->direction, load_row,
					 &c);
	if (c.error < 0)
		error = c.error;
	if (error == 0)
		error = annotate(c.rows, c.n, st, k);
	if (error < 0) {
		rows_free(c.rows, c.n);
		return error;
	}
	*out = c.rows;
	*out_n = c.n;
	return 0;
}

int
ps_mapedit_open(ps_mapedit *ed, ps_store *st, const ps_mapedit_kind *kind)
{
	memset(ed, 0, sizeof(*ed));
	if (st == NULL || kind == NULL)
		return ps_error_set(PS_EINVAL,
				    "ps_mapedit_open: NULL argument");
	ed->st = st;
	ed->kind = kind;
	return ps_mapedit_reload(ed);
}

static void
problems_clear(ps_mapedit *ed)
{
	size_t i;

	for (i = 0; i < ed->nproblems; i++)
		free(ed->problems[i]);
	free(ed->problems);
	ed->problems = NULL;
	ed->nproblems = 0;
}

void
ps_mapedit_close(ps_mapedit *ed)
{
	if (ed == NULL)
		return;
	rows_free(ed->rows, ed->n);
	problems_clear(ed);
	memset(ed, 0, sizeof(*ed));
}

const ps_platform_ops *
ps_mapedit_kind_lookup(const ps_mapedit_kind *kind)
{
	const ps_platform_ops *const *p;

	if (kind == NULL || kind->target_list == NULL)
		return NULL;
	for (p = ps_platforms_all(); *p != NULL; p++)
		if ((*p)->lookup_kind != NULL && (*p)->lookup_resolve != NULL &&
		    strcmp((*p)->lookup_kind, kind->target_list) == 0)
			return *p;
	return NULL;
}

int
ps_mapedit_reload(ps_mapedit *ed)
{
	ps_mapedit_row *rows;
	size_t n;
	int error;

	if ((error = load_rows(&rows, &n, ed->st, ed->kind)) < 0)
		return error;
	rows_free(ed->rows, ed->n);
	ed->rows = rows;
	ed->n = n;
	ed->has_default = n > 0 && rows[0].source[0] == '\0';
	return 0;
}

int
ps_mapedit_check(size_t *out_rows, int *out_default, char *why, size_t cap,
		 ps_store *st, const ps_mapedit_kind *kind)
{
	ps_mapedit_row *rows;
	size_t n, i;
	int error;

	why[0] = '\0';
	if (kind == NULL)
		return ps_error_set(PS_EINVAL, "no such mapping editor");
	if ((error = load_rows(&rows, &n, st, kind)) < 0)
		return error;
	if (out_rows != NULL)
		*out_rows = n;
	if (out_default != NULL)
		*out_default = n > 0 && rows[0].source[0] == '\0';
	for (i = 0; i < n; i++)
		if (rows[i].stale) {
			snprintf(why, cap,
				 "%s: row '%s' -> '%s' names a value that no "
				 "longer exists",
				 kind->title,
				 rows[i].source[0] ? rows[i].source
						   : "(default)",
				 rows[i].target);
			break;
		}
	rows_free(rows, n);
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Changing                                                                  */

/* Refuse a value absent from a fetched list (a never-fetched list lets any
 * value through: the operator may set up offline). */
static int
check_value(ps_store *st, const char *list, const char *label,
	    const char *value)
{
	ps_setup_choices c;
	int error, found;

	if (list == NULL || value == NULL || value[0] == '\0')
		return 0;
	if ((error = ps_setup_choices_load(&c, st, list)) < 0)
		return error;
	found = c.fetched_at == 0 || ps_setup_choices_find(&c, value, 0);
	ps_setup_choices_dispose(&c);
	if (!found)
		return ps_error_set(PS_EINVAL,
				    "%s '%s' does not exist (choose one from "
				    "the list, or refresh the lists with r)",
				    label, value);
	return 0;
}

/* A looked-up table's target as it is stored: the id of the item the
 * operator named (resolved, cap bytes), with what happened into note. */
static int
resolve_lookup(char *resolved, size_t cap, char *note, size_t ncap,
	       const ps_mapedit *ed, const ps_platform_ops *ops,
	       const char *target)
{
	ps_platform_item it;
	const char *p;
	int error;

	for (p = target; *p >= '0' && *p <= '9'; p++)
		;
	if (ed->lookup_conn == NULL) {
		/* offline: an id is taken unchecked; a code cannot be */
		if (*p == '\0' && target[0] != '0') {
			snprintf(resolved, cap, "%s", target);
			return 0;
		}
		return ps_error_set(PS_EINVAL,
				    "'%s' is not a %s id, and without a %s "
				    "connection it cannot be looked up by its "
				    "code",
				    target, ed->kind->target_label, ops->title);
	}
	if ((error = ops->lookup_resolve(&it, note, ncap, ed->lookup_conn,
					 target)) < 0)
		return error;
	snprintf(resolved, cap, "%s", it.id);
	return 0;
}

/* Check a row; resolved (cap bytes) receives the target to store. */
static int
check_row(ps_mapedit *ed, const char *source, const char *target,
	  char *resolved, size_t cap)
{
	const ps_mapedit_kind *k = ed->kind;
	const ps_platform_ops *ops;
	int error;

	ed->note[0] = '\0';
	if (target == NULL || target[0] == '\0')
		return ps_error_set(PS_EINVAL, "the %s must not be empty",
				    k->target_label);
	if ((error = check_value(ed->st, k->source_list, k->source_label,
				 source)) < 0)
		return error;
	if ((ops = ps_mapedit_kind_lookup(k)) != NULL)
		return resolve_lookup(resolved, cap, ed->note, sizeof(ed->note),
				      ed, ops, target);
	snprintf(resolved, cap, "%s", target);
	return check_value(ed->st, k->target_list, k->target_label, target);
}

int
ps_mapedit_set(ps_mapedit *ed, const char *source, const char *target,
	       int64_t now)
{
	ps_mapping m;
	char resolved[256];
	int error;

	if ((error = check_row(ed, source, target, resolved,
			       sizeof(resolved))) < 0)
		return error;
	m.kind = ed->kind->kind;
	m.direction = ed->kind->direction;
	m.source = source != NULL ? source : "";
	m.target = resolved;
	if ((error = ps_store_mapping_set(NULL, ed->st, &m, PS_SETUP_ACTOR,
					  now)) < 0)
		return error;
	return ps_mapedit_reload(ed);
}

int
ps_mapedit_edit(ps_mapedit *ed, size_t i, const char *source,
		const char *target, int64_t now)
{
	ps_mapping rows[1];
	char *old = NULL, resolved[256];
	int error;

	if (i >= ed->n)
		return ps_error_set(PS_EINVAL, "no row %zu", i + 1);
	if (source == NULL)
		source = "";
	if ((error = check_row(ed, source, target, resolved,
			       sizeof(resolved))) < 0)
		return error;
	if (strcmp(ed->rows[i].source, source) == 0)
		return ps_mapedit_set(ed, source, resolved, now);
	/* A new source: remove the old row and add the new one in one
	 * transaction (the history shows both changes). */
	if ((old = strdup(ed->rows[i].source)) == NULL)
		return ps_error_set(PS_ENOMEM, "out of memory");
	if ((error = ps_store_begin(ed->st)) < 0)
		goto done;
	rows[0].kind = ed->kind->kind;
	rows[0].direction = ed->kind->direction;
	rows[0].source = source;
	rows[0].target = resolved;
	if ((error = ps_store_mapping_remove(
		     NULL, ed->st, ed->kind->kind, ed->kind->direction,
		     old[0] ? old : NULL, PS_SETUP_ACTOR, now)) < 0 ||
	    (error = ps_store_mapping_set(NULL, ed->st, &rows[0],
					  PS_SETUP_ACTOR, now)) < 0) {
		ps_store_rollback(ed->st);
		goto done;
	}
	if ((error = ps_store_commit(ed->st)) < 0)
		goto done;
	error = ps_mapedit_reload(ed);
done:
	free(old);
	return error;
}

int
ps_mapedit_remove(ps_mapedit *ed, size_t i, int64_t now)
{
	int error;

	if (i >= ed->n)
		return ps_error_set(PS_EINVAL, "no row %zu", i + 1);
	if ((error = ps_store_mapping_remove(
		     NULL, ed->st, ed->kind->kind, ed->kind->direction,
		     ed->rows[i].source[0] ? ed->rows[i].source : NULL,
		     PS_SETUP_ACTOR, now)) < 0)
		return error;
	return ps_mapedit_reload(ed);
}

/* ------------------------------------------------------------------------ */
/* CSV out                                                                   */

struct buf {
	char *p;
	size_t len, cap;
};

static int
buf_add(struct buf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t ncap = b->cap ? b->cap : 256;
		char *g;

		while (ncap < b->len + n + 1)
			ncap *= 2;
		if ((g = realloc(b->p, ncap)) == NULL)
			return ps_error_set(PS_ENOMEM, "out of memory");
		b->p = g;
		b->cap = ncap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
	return 0;
}

int
ps_mapedit_export(char **out, size_t *out_len, const ps_mapedit *ed)
{
	const char *f[CSV_FIELDS];
	char *text = NULL;
	size_t len = 0, i;
	FILE *mem;
	int error;

	*out = NULL;
	*out_len = 0;
	if ((mem = open_memstream(&text, &len)) == NULL)
		return ps_error_set(PS_ENOMEM, "out of memory");
	error = ps_csv_write_row(mem, csv_header, CSV_FIELDS);
	f[0] = ed->kind->kind;
	f[1] = ed->kind->direction;
	for (i = 0; i < ed->n && error == 0; i++) {
		f[2] = ed->rows[i].source;
		f[3] = ed->rows[i].target;
		error = ps_csv_write_row(mem, f, CSV_FIELDS);
	}
	if (fclose(mem) != 0 && error == 0)
		error = ps_error_set(PS_ENOMEM, "out of memory");
	if (error < 0) {
		free(text);
		return error;
	}
	*out = text;
	*out_len = len;
	return 0;
}

int
ps_mapedit_export_file(const ps_mapedit *ed, const char *path)
{
	char *text = NULL;
	size_t len;
	FILE *f;
	int error;

	if ((error = ps_mapedit_export(&text, &len, ed)) < 0)
		return error;
	if ((f = fopen(path, "w")) == NULL) {
		error = ps_error_set(PS_EIO, "cannot write %s: %s", path,
				     strerror(errno));
		goto done;
	}
	if (fwrite(text, 1, len, f) != len)
		error = ps_error_set(PS_EIO, "cannot write %s: %s", path,
				     strerror(errno));
	if (fclose(f) != 0 && error == 0)
		error = ps_error_set(PS_EIO, "cannot write %s: %s", path,
				     strerror(errno));
done:
	free(text);
	return error;
}

/* ------------------------------------------------------------------------ */
/* CSV in                                                                    */

/* Note one bad row; at most PROBLEMS_MAX are kept, the rest counted. */
#define PROBLEMS_MAX 1000

static int problem_add(ps_mapedit *ed, size_t *count, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int
problem_add(ps_mapedit *ed, size_t *count, const char *fmt, ...)
{
	char msg[PS_ERROR_MAX + 64], **g;
	va_list ap;

	(*count)++;
	if (ed->nproblems >= PROBLEMS_MAX)
		return 0;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if ((g = realloc(ed->problems, (ed->nproblems + 1) * sizeof(*g))) ==
	    NULL)
		return ps_error_set(PS_ENOMEM, "out of memory");
	ed->problems = g;
	if ((g[ed->nproblems] = strdup(msg)) == NULL)
		return ps_error_set(PS_ENOMEM, "out of memory");
	ed->nproblems++;
	return 0;
}

/* Check row r (of the file's rows) into maps[i - 1] with its resolved
 * target in targets[i - 1]; a bad row is noted, not fatal. */
static int
import_row(ps_mapedit *ed, size_t *bad, ps_csv_row *rows, size_t i,
	   ps_mapping *maps, char **targets)
{
	ps_csv_row *r = &rows[i];
	char resolved[256];
	size_t j;
	int error;

	if (r->nfields != CSV_FIELDS)
		return problem_add(ed, bad, "row %zu: %zu fields, expected 4",
				   r->row, r->nfields);
	if (strcmp(r->field[0], ed->kind->kind) != 0 ||
	    strcmp(r->field[1], ed->kind->direction) != 0)
		return problem_add(ed, bad,
				   "row %zu: %s %s does not belong in this "
				   "table (%s %s)",
				   r->row, r->field[0], r->field[1],
				   ed->kind->kind, ed->kind->direction);
	for (j = 1; j < i; j++)
		if (rows[j].nfields == CSV_FIELDS &&
		    strcmp(rows[j].field[2], r->field[2]) == 0)
			return problem_add(ed, bad,
					   "row %zu: source '%s' appears twice "
					   "(also row %zu)",
					   r->row, r->field[2], rows[j].row);
	if ((error = check_row(ed, r->field[2], r->field[3], resolved,
			       sizeof(resolved))) < 0) {
		if (error == PS_ENOMEM)
			return error;
		return problem_add(ed, bad, "row %zu: %s", r->row,
				   ps_error_last());
	}
	if ((targets[i - 1] = strdup(resolved)) == NULL)
		return ps_error_set(PS_ENOMEM, "out of memory");
	maps[i - 1].kind = ed->kind->kind;
	maps[i - 1].direction = ed->kind->direction;
	maps[i - 1].source = r->field[2];
	maps[i - 1].target = targets[i - 1];
	return 0;
}

int
ps_mapedit_import(size_t *out_n, ps_mapedit *ed, const char *text, size_t len,
		  unsigned flags, int64_t now)
{
	ps_csv *csv = NULL;
	ps_csv_row *rows = NULL;
	ps_csv_error why;
	ps_mapping *maps = NULL;
	char **targets = NULL;
	size_t n = 0, i, j, bad = 0;
	int error;

	if (out_n != NULL)
		*out_n = 0;
	problems_clear(ed);
	if ((error = ps_csv_parse(&csv, &why, text, len, NULL)) < 0) {
		char msg[PS_ERROR_MAX];

		/* The editor refuses a bad file with PS_EINVAL, and words an
		 * open quote its own way; the rest is the core's sentence. */
		snprintf(msg, sizeof(msg), "%s", ps_error_last());
		if (why.fault == PS_CSV_FAULT_OPEN_QUOTE)
			error = ps_error_set(PS_EINVAL,
					     "row %zu: unterminated quoted "
					     "field",
					     why.row);
		else if (error == PS_EPARSE || error == PS_ETOOBIG)
			error = ps_error_set(PS_EINVAL, "%s", msg);
		goto refused;
	}
	rows = csv->rows;
	n = csv->n;
	if (n == 0 || rows[0].nfields != CSV_FIELDS) {
		error = ps_error_set(PS_EINVAL, "row 1: the header must be "
						"kind,direction,source,target");
		goto refused;
	}
	for (j = 0; j < CSV_FIELDS; j++)
		if (strcmp(rows[0].field[j], csv_header[j]) != 0) {
			error = ps_error_set(PS_EINVAL,
					     "row 1: the header must be "
					     "kind,direction,source,target");
			goto refused;
		}
	if (n > 1 && ((maps = calloc(n - 1, sizeof(*maps))) == NULL ||
		      (targets = calloc(n - 1, sizeof(*targets))) == NULL)) {
		error = ps_error_set(PS_ENOMEM, "out of memory");
		goto done;
	}
	for (i = 1; i < n; i++)
		if ((error = import_row(ed, &bad, rows, i, maps, targets)) < 0)
			goto done;
	if (bad > 0) {
		char first[PS_ERROR_MAX];

		snprintf(first, sizeof(first), "%s", ed->problems[0]);
		if (bad > 1)
			error = ps_error_set(PS_EINVAL, "%s (and %zu more)",
					     first, bad - 1);
		else
			error = ps_error_set(PS_EINVAL, "%s", first);
		goto done;
	}
	if (n > 1 || (flags & PS_MAPEDIT_REPLACE)) {
		if ((error = ps_store_begin(ed->st)) < 0)
			goto done;
		/* REPLACE drops only this table's rows, even if the file
		 * is empty (which the store's REPLACE would not see). */
		for (i = 0; (flags & PS_MAPEDIT_REPLACE) && i < ed->n; i++)
			if ((error = ps_store_mapping_remove(
				     NULL, ed->st, ed->kind->kind,
				     ed->kind->direction,
				     ed->rows[i].source[0] ? ed->rows[i].source
							   : NULL,
				     PS_SETUP_ACTOR, now)) < 0)
				break;
		if (error == 0 && n > 1)
			error = ps_store_mapping_import(NULL, ed->st, maps,
							n - 1, 0,
							PS_SETUP_ACTOR, now);
		if (error < 0) {
			char msg[PS_ERROR_MAX];

			snprintf(msg, sizeof(msg), "%s", ps_error_last());
			ps_store_rollback(ed->st);
			error = ps_error_set(error, "%s", msg);
			goto done;
		}
		if ((error = ps_store_commit(ed->st)) < 0)
			goto done;
	}
	if (out_n != NULL)
		*out_n = n - 1;
	error = ps_mapedit_reload(ed);
	goto done;
refused:
	/* a file refused as a whole is one problem */
	{
		char msg[PS_ERROR_MAX];

		snprintf(msg, sizeof(msg), "%s", ps_error_last());
		if (problem_add(ed, &bad, "%s", msg) < 0)
			error = PS_ENOMEM;
		ps_error_set(error, "%s", msg);
	}
done:
	for (i = 0; targets != NULL && i + 1 < n; i++)
		free(targets[i]);
	free(targets);
	free(maps);
	ps_csv_free(csv);
	return error;
}

int
ps_mapedit_import_file(size_t *out_n, ps_mapedit *ed, const char *path,
		       unsigned flags, int64_t now)
{
	struct buf b = {NULL, 0, 0};
	char chunk[8192];
	size_t got;
	FILE *f;
	int error = 0;

	if (out_n != NULL)
		*out_n = 0;
	problems_clear(ed);
	if ((f = fopen(path, "r")) == NULL)
		return ps_error_set(PS_EIO, "cannot read %s: %s", path,
				    strerror(errno));
	while ((got = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		if (b.len + got > PS_CSV_MAX_BYTES) {
			error = ps_error_set(PS_EINVAL,
					     "%s is larger than 16 MiB", path);
			break;
		}
		if ((error = buf_add(&b, chunk, got)) < 0)
			break;
	}
	if (error == 0 && ferror(f))
		error = ps_error_set(PS_EIO, "cannot read %s: %s", path,
				     strerror(errno));
	fclose(f);
	if (error == 0)
		error = ps_mapedit_import(out_n, ed, b.p ? b.p : "", b.len,
					  flags, now);
	free(b.p);
	return error;
}
