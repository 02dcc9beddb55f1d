/*
 * model_history.c - builds the settings history lines (model_history.h).
 *
 * The store hands rows newest first, each with its change-set version;
 * a heading is emitted whenever the version changes.  Values go through
 * ps_settings_display, so a secret shows as ******** in the diff.  A
 * mapping row ("mapping:kind:direction:source") is shown by its editor's
 * title and the names of its values from the cached platform lists, as
 * the mapping editor shows them, not by its storage key.
 */
#include "model_history.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model_mapping.h"
#include "model_setup.h"
#include "pearlsync/settings.h"
#include "tui.h"

/* Cached lists read while building lines, each loaded once per load. */
#define LISTS_MAX 16

struct names {
	ps_store *st;
	struct {
		const char *kind; /* static, from the mapping kinds' table */
		ps_setup_choices c;
	} lists[LISTS_MAX];
	size_t n;
};

static void
names_dispose(struct names *nm)
{
	size_t i;

	for (i = 0; i < nm->n; i++)
		ps_setup_choices_dispose(&nm->lists[i].c);
	nm->n = 0;
}

/* The name of id in the cached list kind, or NULL (no list, not in it). */
static const char *
name_of(struct names *nm, const char *kind, const char *id)
{
	const ps_setup_choice *c;
	size_t i;

	if (kind == NULL || id == NULL || nm->st == NULL)
		return NULL;
	for (i = 0; i < nm->n; i++)
		if (strcmp(nm->lists[i].kind, kind) == 0)
			break;
	if (i == nm->n) {
		if (nm->n == LISTS_MAX ||
		    ps_setup_choices_load(&nm->lists[i].c, nm->st, kind) < 0) {
			ps_error_clear(); /* a label without names is fine */
			return NULL;
		}
		nm->lists[i].kind = kind;
		nm->n++;
	}
	c = ps_setup_choices_find(&nm->lists[i].c, id, 0);
	return c != NULL && strcmp(c->name, c->id) != 0 ? c->name : NULL;
}

/* "Pending (4)" when the list knows 4, else "4". */
static const char *
named(char *buf, size_t cap, struct names *nm, const char *list, const char *id)
{
	const char *name = name_of(nm, list, id);

	if (name != NULL)
		snprintf(buf, cap, "%s (%s)", name, id);
	else
		snprintf(buf, cap, "%s", id);
	return buf;
}

void
ps_history_init(ps_history *h)
{
	memset(h, 0, sizeof(*h));
}

static void
clear_lines(ps_history *h)
{
	size_t i;

	for (i = 0; i < h->n; i++)
		free(h->lines[i].text);
	h->n = 0;
	h->latest = 0;
	h->versions = 0;
}

void
ps_history_dispose(ps_history *h)
{
	if (h == NULL)
		return;
	clear_lines(h);
	free(h->lines);
	memset(h, 0, sizeof(*h));
}

static int
add(ps_history *h, int64_t version, int heading, const char *text)
{
	ps_history_line *grown;
	size_t cap;

	if (h->n == h->cap) {
		cap = h->cap ? h->cap * 2 : 64;
		if ((grown = realloc(h->lines, cap * sizeof(*grown))) == NULL)
			return ps_error_set(PS_ENOMEM, "out of memory");
		h->lines = grown;
		h->cap = cap;
	}
	if ((h->lines[h->n].text = strdup(text)) == NULL)
		return ps_error_set(PS_ENOMEM, "out of memory");
	h->lines[h->n].version = version;
	h->lines[h->n].heading = heading;
	h->n++;
	return 0;
}

/* A value for the diff: "(unset)", masked, or quoted when blank-edged. */
static const char *
shown(char *buf, size_t cap, const char *key, const char *value)
{
	size_t n;

	if (value == NULL)
		return "(unset)";
	if (strncmp(key, "mapping:", 8) == 0)
		snprintf(buf, cap, "%s", value);
	else
		ps_settings_display(buf, cap, key, value);
	n = strlen(buf);
	if ((n == 0 || buf[0] == ' ' || buf[n - 1] == ' ') && n + 3 <= cap) {
		memmove(buf + 1, buf, n);
		buf[0] = '"';
		buf[n + 1] = '"';
		buf[n + 2] = '\0';
	}
	return buf;
}

/*
 * One change as "label: old -> new" into line: a setting by its key, a
 * mapping by its editor's title and source name ("Order statuses,
 * BigCommerce to Brightpearl, for Awaiting Fulfillment (11): (unset) ->
 * Pending (4)"; "..., default: ..." for the default row); an unknown
 * mapping kind keeps its key.
 */
static void
describe(char *line, size_t cap, struct names *nm, const char *key,
	 const char *old_value, const char *new_value)
{
	const ps_mapedit_kind *k = NULL;
	char kind[64], dir[32], a[256], b[256], src[300];
	const char *p = key + 8, *source = NULL;
	size_t n;

	if (strncmp(key, "mapping:", 8) == 0) {
		n = strcspn(p, ":");
		snprintf(kind, sizeof(kind), "%.*s", (int)n, p);
		p += n + (p[n] == ':');
		n = strcspn(p, ":");
		snprintf(dir, sizeof(dir), "%.*s", (int)n, p);
		if (p[n] == ':') {
			source = p + n + 1;
			k = ps_mapedit_kind_find(kind, dir);
		}
	}
	if (k == NULL && old_value == NULL && new_value == NULL) {
		/* both erased after the fact (a password exchanged for
		 * tokens): the change happened, its values are not kept */
		snprintf(line, cap, "%s: changed (values not kept)", key);
		return;
	}
	if (k == NULL) {
		snprintf(line, cap, "%s: %s -> %s", key,
			 shown(a, sizeof(a), key, old_value),
			 shown(b, sizeof(b), key, new_value));
		return;
	}
	if (source[0] == '\0')
		snprintf(src, sizeof(src), "default");
	else
		snprintf(src, sizeof(src), "for %s",
			 named(a, sizeof(a), nm, k->source_list, source));
	snprintf(line, cap, "%s, %s: %s -> %s", k->title, src,
		 old_value != NULL
			 ? named(a, sizeof(a), nm, k->target_list, old_value)
			 : "(unset)",
		 new_value != NULL
			 ? named(b, sizeof(b), nm, k->target_list, new_value)
			 : "(unset)");
}

struct load {
	ps_history *h;
	struct names nm;
};

static int
on_change(const ps_setting_change *c, void *payload)
{
	struct load *ld = payload;
	ps_history *h = ld->h;
	char line[800], when[32];
	int error;

	if (h->n == 0 || h->lines[h->n - 1].version != c->version) {
		if (h->latest == 0)
			h->latest = c->version;
		h->versions++;
		snprintf(line, sizeof(line), "version %lld  %s  by %s",
			 (long long)c->version,
			 ps_tui_format_time(when, sizeof(when), c->at),
			 c->actor != NULL ? c->actor : "?");
		if ((error = add(h, c->version, 1, line)) < 0)
			return error;
	}
	describe(line, sizeof(line), &ld->nm, c->key, c->old_value,
		 c->new_value);
	return add(h, c->version, 0, line);
}

int
ps_history_load(ps_history *h, ps_store *st)
{
	struct load ld;
	int error;

	clear_lines(h);
	memset(&ld, 0, sizeof(ld));
	ld.h = h;
	ld.nm.st = st;
	error = ps_store_setting_history_foreach(st, NULL, on_change, &ld);
	names_dispose(&ld.nm);
	if (error != 0) {
		clear_lines(h);
		return error < 0 ? error : PS_ERROR;
	}
	return 0;
}

int
ps_history_rollback(int64_t *out_version, ps_history *h, ps_store *st,
		    int64_t version, int64_t now)
{
	int error;

	*out_version = 0;
	error = ps_store_settings_rollback(out_version, st, version,
					   PS_TUI_ACTOR, now);
	if (error < 0)
		return error;
	return ps_history_load(h, st);
}

/* ------------------------------------------------------------------------ */
/* Rollback preview                                                          */

/* One key changed after the version rolled back to. */
struct diff_key {
	char *key;
	char *now;  /* its value now (newest change's new value) */
	char *then; /* as of the version (oldest later change's old value) */
};

struct diff {
	int64_t version;
	struct diff_key *keys;
	size_t n, cap;
	int failed;
};

static char *
dup_or_null(const char *s, int *failed)
{
	char *d = s != NULL ? strdup(s) : NULL;

	if (s != NULL && d == NULL)
		*failed = 1;
	return d;
}

static int
on_later_change(const ps_setting_change *c, void *payload)
{
	struct diff *d = payload;
	struct diff_key *k, *grown;
	size_t i;

	if (c->version <= d->version)
		return 0;
	for (i = 0; i < d->n; i++)
		if (strcmp(d->keys[i].key, c->key) == 0)
			break;
	if (i == d->n) {
		if (d->n == d->cap) {
			size_t cap = d->cap ? d->cap * 2 : 16;

			grown = realloc(d->keys, cap * sizeof(*grown));
			if (grown == NULL)
				return PS_ENOMEM;
			d->keys = grown;
			d->cap = cap;
		}
		k = &d->keys[d->n++];
		memset(k, 0, sizeof(*k));
		k->key = dup_or_null(c->key, &d->failed);
		k->now = dup_or_null(c->new_value, &d->failed);
	} else {
		k = &d->keys[i];
		free(k->then);
	}
	/* rows come newest first: the last one seen is the oldest */
	k->then = dup_or_null(c->old_value, &d->failed);
	return d->failed ? PS_ENOMEM : 0;
}

static int
same(const char *a, const char *b)
{
	return a == NULL ? b == NULL : b != NULL && strcmp(a, b) == 0;
}

void
ps_history_lines_free(ps_history_line *lines, size_t n)
{
	size_t i;

	for (i = 0; lines != NULL && i < n; i++)
		free(lines[i].text);
	free(lines);
}

int
ps_history_rollback_preview(ps_history_line **out, size_t *out_n, ps_store *st,
			    int64_t version)
{
	struct diff d;
	struct names nm;
	ps_history_line *lines = NULL;
	char line[800];
	size_t i, n = 0;
	int error;

	*out = NULL;
	*out_n = 0;
	memset(&d, 0, sizeof(d));
	memset(&nm, 0, sizeof(nm));
	nm.st = st;
	d.version = version;
	error = ps_store_setting_history_foreach(st, NULL, on_later_change, &d);
	if (error != 0) {
		error = error == PS_ENOMEM || d.failed
				? ps_error_set(PS_ENOMEM, "out of memory")
				: (error < 0 ? error : PS_ERROR);
		goto done;
	}
	if (d.n > 0 && (lines = calloc(d.n, sizeof(*lines))) == NULL) {
		error = ps_error_set(PS_ENOMEM, "out of memory");
		goto done;
	}
	for (i = 0; i < d.n; i++) {
		if (same(d.keys[i].now, d.keys[i].then))
			continue; /* changed and changed back */
		describe(line, sizeof(line), &nm, d.keys[i].key, d.keys[i].now,
			 d.keys[i].then);
		lines[n].version = version;
		if ((lines[n].text = strdup(line)) == NULL) {
			error = ps_error_set(PS_ENOMEM, "out of memory");
			goto done;
		}
		n++;
	}
	if (n > 0) { /* else every key came back to its value: none */
		*out = lines;
		*out_n = n;
		lines = NULL;
	}
done:
	ps_history_lines_free(lines, n);
	for (i = 0; i < d.n; i++) {
		free(d.keys[i].key);
		free(d.keys[i].now);
		free(d.keys[i].then);
	}
	free(d.keys);
	names_dispose(&nm);
	return error;
}
