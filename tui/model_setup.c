/*
 * model_setup.c - the setup steps: field tables, step status, cached
 * platform lists, connection tests.  No curses here; the setup screens
 * draw what this module computes and call it for every change.
 *
 * The step tables are static data.  A step's status is recomputed from the
 * store each time it is asked (a handful of indexed reads), so the console
 * shows what another console or the CLI changed without invalidation.
 */
#include "model_setup.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "model_mapping.h"
#include "pearlsync/connect.h"
#include "pearlsync/log.h"
#include "pearlsync/settings.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* The most connection fields, over every platform. */
#define CONN_FIELDS_MAX 64

/*
 * The Connections step, derived from the platform registry on first use:
 * a static copy of static const data (the registry is complete before the
 * console starts, platform.h), so that a field is a stable pointer.
 */
static struct {
	int built;
	ps_setup_field fields[CONN_FIELDS_MAX];
	size_t n;
	char labels[PS_PLATFORM_MAX][64]; /* "Test <title> connection" */
	char help[200]; /* "<title>, <title> and <title> API credentials" */
} conn;

static void
conn_build(void)
{
	const ps_platform_ops *const *all = ps_platforms_all();
	const ps_platform_ops *ops;
	const char *titles[PS_PLATFORM_MAX];
	ps_setup_field *f;
	size_t i, j, nt = 0, used = 0;

	if (conn.built)
		return;
	conn.built = 1;
	for (i = 0; (ops = all[i]) != NULL; i++) {
		if (ops->connect == NULL ||
		    conn.n + ops->nfields + 1 > CONN_FIELDS_MAX)
			continue;
		if (nt < PS_PLATFORM_MAX)
			titles[nt++] = ops->title;
		for (j = 0; j < ops->nfields; j++) {
			const ps_platform_field *pf = &ops->fields[j];

			f = &conn.fields[conn.n++];
			f->type = pf->kind == PS_PLATFORM_FIELD_SECRET
					  ? PS_SETUP_FIELD_SECRET
				  : pf->kind == PS_PLATFORM_FIELD_URL
					  ? PS_SETUP_FIELD_URL
					  : PS_SETUP_FIELD_TEXT;
			f->label = pf->label;
			f->key = pf->key;
			f->required = pf->required;
			f->word_url = pf->word_url;
			f->platform = ops->id;
		}
		snprintf(conn.labels[ops->id], sizeof(conn.labels[0]),
			 "Test %s connection", ops->title);
		f = &conn.fields[conn.n++];
		f->type = PS_SETUP_FIELD_TEST;
		f->label = conn.labels[ops->id];
		f->platform = ops->id;
	}
	for (i = 0; i < nt && used < sizeof(conn.help); i++) {
		snprintf(conn.help + used, sizeof(conn.help) - used, "%s%s",
			 i == 0        ? ""
			 : i + 1 == nt ? " and "
				       : ", ",
			 titles[i]);
		used = strlen(conn.help);
	}
	if (used < sizeof(conn.help))
		snprintf(conn.help + used, sizeof(conn.help) - used,
			 "%sAPI credentials", used ? " " : "");
}

/* Step s of the walk-through as a definition; NULL past the end. */
static const ps_setup_step_def *
step_def(ps_setup_step s, ps_setup_step_def *conn_step)
{
	const ps_flow_group *const *g = ps_flow_groups_all();
	size_t i = s;

	if (s == PS_SETUP_CONNECTIONS) {
		conn_build();
		conn_step->title = "Connections";
		conn_step->help = conn.help;
		conn_step->fields = conn.fields;
		conn_step->nfields = conn.n;
		conn_step->check = NULL;
		return conn_step;
	}
	i--;
	for (; *g != NULL; g++) {
		if (i < (*g)->nsteps)
			return &(*g)->steps[i];
		i -= (*g)->nsteps;
	}
	return NULL;
}

size_t
ps_setup_step_count(void)
{
	const ps_flow_group *const *g = ps_flow_groups_all();
	size_t n = 1;

	for (; *g != NULL; g++)
		n += (*g)->nsteps;
	return n < PS_SETUP_STEP_MAX ? n : PS_SETUP_STEP_MAX;
}

const char *
ps_setup_step_title(ps_setup_step step)
{
	ps_setup_step_def c;
	const ps_setup_step_def *d = step_def(step, &c);

	return d != NULL ? d->title : NULL;
}

const char *
ps_setup_step_help(ps_setup_step step)
{
	ps_setup_step_def c;
	const ps_setup_step_def *d = step_def(step, &c);

	return d != NULL ? d->help : NULL;
}

size_t
ps_setup_field_count(ps_setup_step step)
{
	ps_setup_step_def c;
	const ps_setup_step_def *d = step_def(step, &c);

	return d != NULL ? d->nfields : 0;
}

const ps_setup_field *
ps_setup_field_at(ps_setup_step step, size_t i)
{
	ps_setup_step_def c;
	const ps_setup_step_def *d = step_def(step, &c);

	if (d == NULL || i >= d->nfields)
		return NULL;
	return &d->fields[i];
}

/* ------------------------------------------------------------------------ */
/* Cached lists                                                              */

void
ps_setup_choices_dispose(ps_setup_choices *c)
{
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i < c->n; i++) {
		free(c->items[i].id);
		free(c->items[i].name);
	}
	free(c->items);
	memset(c, 0, sizeof(*c));
}

int
ps_setup_choices_load(ps_setup_choices *out, ps_store *st, const char *kind)
{
	char *text = NULL;
	json_t *root = NULL, *item;
	json_error_t jerr;
	int64_t at = 0;
	size_t i;
	int error;

	memset(out, 0, sizeof(*out));
	error = ps_store_cache_get(&text, &at, st, kind);
	if (error == PS_ENOTFOUND) {
		ps_error_clear();
		return 0;
	}
	if (error < 0)
		return error;
	root = json_loads(text, 0, &jerr);
	if (root == NULL || !json_is_array(root)) {
		error = ps_error_set(PS_EINVAL,
				     "cached list %s is not a JSON array; "
				     "refresh the lists",
				     kind);
		goto done;
	}
	out->fetched_at = at;
	if (json_array_size(root) == 0)
		goto done;
	out->items = calloc(json_array_size(root), sizeof(*out->items));
	if (out->items == NULL) {
		error = ps_error_set(PS_ENOMEM, "out of memory");
		goto done;
	}
	json_array_foreach (root, i, item) {
		const char *id = json_string_value(json_object_get(item, "id"));
		const char *name =
			json_string_value(json_object_get(item, "name"));
		ps_setup_choice *c = &out->items[out->n];

		if (id == NULL) {
			error = ps_error_set(PS_EINVAL,
					     "cached list %s: item %zu has no "
					     "id; refresh the lists",
					     kind, i + 1);
			goto done;
		}
		c->id = strdup(id);
		c->name = strdup(name != NULL ? name : id);
		out->n++;
		if (c->id == NULL || c->name == NULL) {
			error = ps_error_set(PS_ENOMEM, "out of memory");
			goto done;
		}
	}
done:
	if (error < 0)
		ps_setup_choices_dispose(out);
	json_decref(root);
	free(text);
	return error;
}

const ps_setup_choice *
ps_setup_choices_find(const ps_setup_choices *c, const char *value, int by_name)
{
	size_t i;

	if (c == NULL || value == NULL)
		return NULL;
	for (i = 0; i < c->n; i++)
		if (strcmp(by_name ? c->items[i].name : c->items[i].id,
			   value) == 0)
			return &c->items[i];
	return NULL;
}

/* What the operator calls an item of a cache kind, from the plug-ins'
 * lists: "warehouse"; "value" when no plug-in fills it. */
static const char *
list_noun(const char *kind)
{
	const ps_platform_ops *const *all = ps_platforms_all();
	size_t i, j;

	for (i = 0; all[i] != NULL; i++)
		for (j = 0; j < all[i]->nlists; j++)
			if (strcmp(all[i]->lists[j].kind, kind) == 0)
				return all[i]->lists[j].label;
	return "value";
}

/*
 * Check every element of value (a comma-separated list when many) against
 * the cached list kind.  0 when all exist or the list was never fetched;
 * PS_EINVAL with "warehouse 9 no longer exists ..." otherwise.
 */
static int
check_in_list(ps_store *st, const char *kind, const char *value, int by_name,
	      int many)
{
	ps_setup_choices c;
	char item[256];
	const char *p = value, *end;
	size_t len;
	int error;

	if (value == NULL || value[0] == '\0')
		return 0;
	if ((error = ps_setup_choices_load(&c, st, kind)) < 0)
		return error;
	if (c.fetched_at == 0 && c.n == 0)
		goto done;
	while (*p != '\0') {
		end = many ? strchr(p, ',') : NULL;
		len = end != NULL ? (size_t)(end - p) : strlen(p);
		if (len >= sizeof(item))
			len = sizeof(item) - 1;
		memcpy(item, p, len);
		item[len] = '\0';
		if (ps_setup_choices_find(&c, item, by_name) == NULL) {
			error = ps_error_set(PS_EINVAL,
					     "%s '%s' is not in the list "
					     "fetched from the platform "
					     "(choose another, or refresh the "
					     "lists with r)",
					     list_noun(kind), item);
			goto done;
		}
		p += len;
		if (*p == ',')
			p++;
	}
done:
	ps_setup_choices_dispose(&c);
	return error;
}

/* ------------------------------------------------------------------------ */
/* Fields                                                                    */

static int
is_setting_field(const ps_setup_field *f)
{
	switch (f->type) {
	case PS_SETUP_FIELD_MAPPING:
	case PS_SETUP_FIELD_TEST:
	case PS_SETUP_FIELD_RUN:
		return 0;
	default:
		return f->key != NULL;
	}
}

/*
 * The word w of url when url is pattern with w for its %s, into word
 * (cap bytes); 0 when it is not.
 */
static int
word_of(char *word, size_t cap, const char *url, const char *pattern)
{
	const char *pct = pattern != NULL ? strstr(pattern, "%s") : NULL;
	size_t pre, post, len, n;

	if (url == NULL || pct == NULL)
		return 0;
	pre = (size_t)(pct - pattern);
	post = strlen(pct + 2);
	len = strlen(url);
	if (len <= pre + post || strncmp(url, pattern, pre) != 0 ||
	    strcmp(url + len - post, pct + 2) != 0)
		return 0;
	n = len - pre - post;
	if (n >= cap || strcspn(url + pre, "./:?#@") < n)
		return 0;
	memcpy(word, url + pre, n);
	word[n] = '\0';
	return 1;
}

/* A bare word ("euw1"): letters, digits, '-' and '_' only. */
static int
is_word(const char *v)
{
	size_t i;

	for (i = 0; v[i] != '\0'; i++)
		if (!((v[i] >= 'a' && v[i] <= 'z') ||
		      (v[i] >= 'A' && v[i] <= 'Z') ||
		      (v[i] >= '0' && v[i] <= '9') || v[i] == '-' ||
		      v[i] == '_'))
			return 0;
	return i > 0;
}

int
ps_setup_field_get(char **out, ps_store *st, const ps_setup_field *f)
{
	char word[64], *v = NULL, *copy;
	int error;

	*out = NULL;
	if (f == NULL || !is_setting_field(f))
		return ps_error_set(PS_EINVAL, "this field has no setting");
	if ((error = ps_settings_get_opt(&v, st, f->key)) < 0)
		return error;
	if (f->type == PS_SETUP_FIELD_URL &&
	    word_of(word, sizeof(word), v, f->word_url)) {
		copy = strdup(word);
		free(v);
		if (copy == NULL)
			return ps_error_set(PS_ENOMEM, "out of memory");
		v = copy;
	}
	*out = v;
	return 0;
}

/* Remember the outcome of a connection test (NULL: not tested since the
 * credentials changed). */
static int
test_remember(ps_store *st, const char *kind, int ok, const char *message,
	      int64_t now)
{
	json_t *o;
	char *text;
	int error;

	if (message == NULL)
		return ps_store_cache_set(st, kind, "null", now);
	o = json_pack("{s:b, s:s}", "ok", ok, "message", message);
	text = o != NULL ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	if (text == NULL)
		return ps_error_set(PS_ENOMEM, "out of memory");
	error = ps_store_cache_set(st, kind, text, now);
	free(text);
	return error;
}

/* The last test: *out_state -1 never/not since a change, 0 failed, 1 ok;
 * message into buf. */
static int
test_recall(int *out_state, char *buf, size_t cap, ps_store *st,
	    const char *kind)
{
	char *text = NULL;
	json_t *o;
	int error;

	*out_state = -1;
	buf[0] = '\0';
	error = ps_store_cache_get(&text, NULL, st, kind);
	if (error == PS_ENOTFOUND) {
		ps_error_clear();
		return 0;
	}
	if (error < 0)
		return error;
	o = json_loads(text, JSON_DECODE_ANY, NULL);
	if (json_is_object(o)) {
		*out_state = json_is_true(json_object_get(o, "ok")) ? 1 : 0;
		const char *m =
			json_string_value(json_object_get(o, "message"));

		snprintf(buf, cap, "%s", m != NULL ? m : "");
	}
	json_decref(o);
	free(text);
	return 0;
}

/*
 * The cache kind of the connection test a field belongs to into kind:
 * a test action's, or the platform whose setting prefix the key has.  0
 * when none.
 */
static const ps_platform_ops *
field_platform(const ps_setup_field *f)
{
	const ps_platform_ops *const *all = ps_platforms_all();
	const ps_platform_ops *ops = NULL;
	size_t i, n;

	if (f->type == PS_SETUP_FIELD_TEST) {
		ops = ps_platform_ops_of(f->platform);
	} else {
		/* only a connection field: a flow setting under the same
		 * prefix ("dsco.order_status") leaves the test standing */
		for (i = 0; f->key != NULL && all[i] != NULL; i++) {
			n = strlen(all[i]->name);
			if (strncmp(f->key, all[i]->name, n) != 0 ||
			    f->key[n] != '.')
				continue;
			for (n = 0; n < all[i]->nfields; n++)
				if (all[i]->fields[n].key != NULL &&
				    strcmp(all[i]->fields[n].key, f->key) == 0)
					ops = all[i];
		}
	}
	return ops;
}

static int
test_kind(char *kind, size_t cap, const ps_setup_field *f)
{
	const ps_platform_ops *ops = field_platform(f);

	if (ops == NULL)
		return 0;
	snprintf(kind, cap, "%s%s", PS_SETUP_TEST_PREFIX, ops->name);
	return 1;
}

/*
 * The value a field stores for what the operator typed into url's
 * storage (a word for a URL becomes the pattern's URL), checked as the
 * form checks it; *out the value to store (NULL: unset).
 */
static int
field_value(const char **out, char *url, size_t cap, ps_store *st,
	    const ps_setup_field *f, const char *value)
{
	const char *v = value;
	int error;

	*out = NULL;
	if (f == NULL || !is_setting_field(f))
		return ps_error_set(PS_EINVAL, "this field has no setting");
	if (v != NULL && v[0] == '\0')
		v = NULL;
	if (v == NULL && f->required)
		return ps_error_set(PS_EINVAL, "%s is required; choose one",
				    f->label);
	if (f->type == PS_SETUP_FIELD_URL && f->word_url != NULL && v != NULL &&
	    is_word(v)) {
		if (strlen(v) > 32)
			return ps_error_set(PS_EINVAL,
					    "%s: '%.32s...' is too "
					    "long for a name",
					    f->label, v);
		const char *pct = strstr(f->word_url, "%s");

		if (pct == NULL)
			return ps_error_set(PS_EINVAL, "%s takes a URL",
					    f->label);
		snprintf(url, cap, "%.*s%s%s", (int)(pct - f->word_url),
			 f->word_url, v, pct + 2);
		v = url;
	}
	if ((f->type == PS_SETUP_FIELD_PICK ||
	     f->type == PS_SETUP_FIELD_PICK_MANY) &&
	    (error = check_in_list(st, f->list, v, f->by_name,
				   f->type == PS_SETUP_FIELD_PICK_MANY)) < 0)
		return error;
	*out = v;
	return 0;
}

int
ps_setup_field_check(ps_store *st, const ps_setup_field *f, const char *value)
{
	char url[160];
	const char *v;
	int error;

	if ((error = field_value(&v, url, sizeof(url), st, f, value)) < 0)
		return error;
	return ps_settings_validate(f->key, v);
}

int
ps_setup_field_set(ps_store *st, const ps_setup_field *f, const char *value,
		   int64_t now)
{
	char url[160], kind[64 + sizeof(PS_SETUP_TEST_PREFIX)];
	const char *v;
	int error;

	if ((error = field_value(&v, url, sizeof(url), st, f, value)) < 0)
		return error;
	if ((error = ps_store_setting_set(NULL, st, f->key, v, PS_SETUP_ACTOR,
					  now)) < 0)
		return error;
	/* New credentials make the last connection test meaningless. */
	if (test_kind(kind, sizeof(kind), f))
		error = test_remember(st, kind, 0, NULL, now);
	return error;
}

/* Append the cached names of the ids in value ("2 Main, 3 Store"). */
static int
display_pick(char *buf, size_t cap, ps_store *st, const ps_setup_field *f,
	     const char *value)
{
	ps_setup_choices c;
	const ps_setup_choice *ch;
	char item[256];
	const char *p = value, *end;
	size_t len, used = 0;
	int error;

	if ((error = ps_setup_choices_load(&c, st, f->list)) < 0)
		return error;
	buf[0] = '\0';
	while (*p != '\0' && used + 1 < cap) {
		end = f->type == PS_SETUP_FIELD_PICK_MANY ? strchr(p, ',')
							  : NULL;
		len = end != NULL ? (size_t)(end - p) : strlen(p);
		if (len >= sizeof(item))
			len = sizeof(item) - 1;
		memcpy(item, p, len);
		item[len] = '\0';
		ch = ps_setup_choices_find(&c, item, f->by_name);
		if (ch == NULL && c.fetched_at != 0)
			snprintf(buf + used, cap - used, "%s%s (missing!)",
				 used ? ", " : "", item);
		else if (ch == NULL || f->by_name ||
			 strcmp(ch->id, ch->name) == 0)
			snprintf(buf + used, cap - used, "%s%s",
				 used ? ", " : "", item);
		else
			snprintf(buf + used, cap - used, "%s%s %s",
				 used ? ", " : "", item, ch->name);
		used = strlen(buf);
		p += len;
		if (*p == ',')
			p++;
	}
	ps_setup_choices_dispose(&c);
	return 0;
}

int
ps_setup_field_display(char *buf, size_t cap, ps_store *st,
		       const ps_setup_field *f)
{
	const ps_mapedit_kind *k;
	char *v = NULL, tmp[256], kind[64 + sizeof(PS_SETUP_TEST_PREFIX)];
	size_t rows = 0;
	int state, has_default = 0, error = 0;

	buf[0] = '\0';
	switch (f->type) {
	case PS_SETUP_FIELD_RUN:
		if ((error = ps_setup_run_status(buf, cap, st, f->key)) == 0 &&
		    buf[0] == '\0')
			snprintf(buf, cap, "(Enter runs it)");
		return error;
	case PS_SETUP_FIELD_TEST:
		if (!test_kind(kind, sizeof(kind), f))
			return ps_error_set(PS_EINVAL, "no such platform");
		error = test_recall(&state, tmp, sizeof(tmp), st, kind);
		if (error == 0)
			snprintf(buf, cap, "%s",
				 state < 0 ? "(not tested)" : tmp);
		return error;
	case PS_SETUP_FIELD_MAPPING:
		k = ps_mapedit_kind_find(f->key, f->list);
		if (k == NULL)
			return ps_error_set(PS_EINVAL, "no editor for %s %s",
					    f->key, f->list);
		error = ps_mapedit_check(&rows, &has_default, tmp, sizeof(tmp),
					 st, k);
		if (error == 0)
			snprintf(buf, cap, "%zu row%s%s%s", rows,
				 rows == 1 ? "" : "s",
				 has_default ? ", with default" : "",
				 tmp[0] ? " (stale values!)" : "");
		return error;
	default:
		break;
	}
	if ((error = ps_setup_field_get(&v, st, f)) < 0)
		return error;
	if (v == NULL)
		snprintf(buf, cap, "(not set)");
	else if (f->type == PS_SETUP_FIELD_SECRET)
		ps_settings_display(buf, cap, f->key, v);
	else if (f->type == PS_SETUP_FIELD_PICK ||
		 f->type == PS_SETUP_FIELD_PICK_MANY)
		error = display_pick(buf, cap, st, f, v);
	else
		snprintf(buf, cap, "%s", v);
	free(v);
	return error;
}

/* ------------------------------------------------------------------------ */
/* Step status                                                               */

/* Generic checks: required fields set, picks still in their lists,
 * mapping tables without stale values, connections tested. */
static int
check_fields(int *out_done, char *why, size_t cap, ps_store *st,
	     const ps_setup_step_def *d)
{
	const ps_setup_field *f;
	const ps_mapedit_kind *k;
	char *v = NULL, kind[32];
	size_t i, j, rows;
	int error = 0;

	for (i = 0; i < d->nfields && *out_done; i++) {
		f = &d->fields[i];
		if (f->type == PS_SETUP_FIELD_MAPPING) {
			k = ps_mapedit_kind_find(f->key, f->list);
			if (k == NULL)
				continue;
			if ((error = ps_mapedit_check(&rows, NULL, why, cap, st,
						      k)) < 0)
				return error;
			if (why[0] != '\0') {
				*out_done = 0;
			} else if (f->required && rows == 0) {
				*out_done = 0;
				snprintf(kind, sizeof(kind), "%s", k->kind);
				for (j = 0; kind[j] != '\0'; j++)
					if (kind[j] == '_')
						kind[j] = ' ';
				snprintf(why, cap,
					 "no %s mapping yet (%s; Enter edits)",
					 kind, k->direction);
			}
			continue;
		}
		if (!is_setting_field(f))
			continue;
		if ((error = ps_settings_get_opt(&v, st, f->key)) < 0)
			return error;
		if (v == NULL && f->required) {
			*out_done = 0;
			snprintf(why, cap, "%s is not set", f->label);
		} else if (v != NULL && (f->type == PS_SETUP_FIELD_PICK ||
					 f->type == PS_SETUP_FIELD_PICK_MANY)) {
			if (check_in_list(st, f->list, v, f->by_name,
					  f->type == PS_SETUP_FIELD_PICK_MANY) <
			    0) {
				*out_done = 0;
				snprintf(why, cap, "%s: %s", f->label,
					 ps_error_last());
				ps_error_clear();
			}
		}
		free(v);
		v = NULL;
	}
	return 0;
}

/* Every test action of the step: tested, and successfully. */
static int
check_tests(int *out_done, char *why, size_t cap, ps_store *st,
	    const ps_setup_step_def *d)
{
	char msg[200], kind[64 + sizeof(PS_SETUP_TEST_PREFIX)];
	const char *title;
	size_t i;
	int state, error;

	for (i = 0; i < d->nfields && *out_done; i++) {
		if (d->fields[i].type != PS_SETUP_FIELD_TEST ||
		    !test_kind(kind, sizeof(kind), &d->fields[i]))
			continue;
		/* a switched-off platform's connection is not asked for */
		if (!ps_platform_switched_on(
			    ps_platform_ops_of(d->fields[i].platform), st))
			continue;
		if ((error = test_recall(&state, msg, sizeof(msg), st, kind)) <
		    0)
			return error;
		title = ps_platform_title(d->fields[i].platform);
		if (state < 0) {
			*out_done = 0;
			snprintf(why, cap, "test the %s connection", title);
		} else if (state == 0) {
			*out_done = 0;
			snprintf(why, cap, "%s: %s", title, msg);
		}
	}
	return 0;
}

int
ps_setup_step_check(int *out_done, char *why, size_t cap, ps_store *st,
		    ps_setup_step step)
{
	ps_setup_step_def c;
	const ps_setup_step_def *d = step_def(step, &c);
	int error;

	*out_done = 1;
	why[0] = '\0';
	if (d == NULL)
		return ps_error_set(PS_EINVAL, "no such setup step");
	if ((error = check_fields(out_done, why, cap, st, d)) < 0 || !*out_done)
		return error;
	if ((error = check_tests(out_done, why, cap, st, d)) < 0 || !*out_done)
		return error;
	return d->check != NULL ? d->check(out_done, why, cap, st) : 0;
}

/* ------------------------------------------------------------------------ */
/* Talking to the platforms                                                  */

/* The one-line outcome of a check, as `pearlsync check-connection`. */
static void
outcome(char *msg, size_t cap, int code, const ps_platform_ops *ops,
	const char *name)
{
	const char *how;

	if (code == 0) {
		snprintf(msg, cap, "OK: %s%s%s %s", ops->title,
			 ops->check_noun ? " " : "",
			 ops->check_noun ? ops->check_noun : "",
			 name ? name : "");
		return;
	}
	switch (code) {
	case PS_EAUTH:
		how = "authentication failed";
		break;
	case PS_ESETTING:
	case PS_EINVAL:
		how = "not configured";
		break;
	default:
		how = "unreachable";
		break;
	}
	snprintf(msg, cap, "%s: %s", how, ps_error_last());
	ps_redact(msg, cap);
}

int
ps_setup_test_connection(char *msg, size_t cap, ps_store *st,
			 const ps_config *cfg, ps_http *http,
			 ps_platform platform, int64_t now)
{
	const ps_platform_ops *ops = ps_platform_ops_of(platform);
	char kind[64 + sizeof(PS_SETUP_TEST_PREFIX)];
	void *c = NULL;
	char *name = NULL;
	int error, rerr;

	if (ops == NULL || ops->connect == NULL || ops->check == NULL) {
		snprintf(msg, cap, "%s has no connection to test",
			 ps_platform_title(platform));
		return ps_error_set(PS_EINVAL, "%s", msg);
	}
	snprintf(kind, sizeof(kind), "%s%s", PS_SETUP_TEST_PREFIX, ops->name);
	if ((error = ops->connect(&c, st, cfg, http)) == 0)
		error = ops->check(&name, c);
	outcome(msg, cap, error, ops, name);
	rerr = test_remember(st, kind, error == 0, msg, now);
	if (error == 0)
		error = rerr;
	free(name);
	if (c != NULL)
		ops->free(c);
	return error;
}

/* One platform's lists into msg (cap bytes). */
static int
refresh_one(char *msg, size_t cap, ps_store *st, const ps_config *cfg,
	    ps_http *http, const ps_platform_ops *ops, int64_t now)
{
	void *c = NULL;
	size_t got = 0;
	int error;

	if ((error = ops->connect(&c, st, cfg, http)) < 0) {
		outcome(msg, cap, error, ops, NULL);
		return error;
	}
	error = ops->lists_fetch(&got, c, st, now);
	if (error == 0)
		snprintf(msg, cap, "%zu list%s fetched from %s", got,
			 got == 1 ? "" : "s", ops->title);
	else
		snprintf(msg, cap, "%zu of %zu list%s fetched from %s: %s", got,
			 ops->nlists, ops->nlists == 1 ? "" : "s", ops->title,
			 ps_error_last());
	ps_redact(msg, cap);
	ops->free(c);
	return error;
}

int
ps_setup_refresh(char *msg, size_t cap, ps_store *st, const ps_config *cfg,
		 ps_http *http, int64_t now)
{
	const ps_platform_ops *const *all = ps_platforms_all();
	char one[PS_ERROR_MAX + 64];
	size_t i, used = 0;
	int error = 0, e;

	msg[0] = '\0';
	for (i = 0; all[i] != NULL; i++) {
		if (all[i]->connect == NULL || all[i]->lists_fetch == NULL ||
		    all[i]->nlists == 0 || !ps_platform_switched_on(all[i], st))
			continue;
		e = refresh_one(one, sizeof(one), st, cfg, http, all[i], now);
		if (e != 0 && error == 0)
			error = e;
		if (used < cap) {
			snprintf(msg + used, cap - used, "%s%s",
				 used ? "; " : "", one);
			used = strlen(msg);
		}
	}
	if (error != 0)
		ps_error_set(error, "%s", msg);
	return error;
}

/* ------------------------------------------------------------------------ */
/* Credentials tested before they are saved                                  */

int
ps_setup_field_needs_test(const ps_setup_field *f)
{
	const ps_platform_ops *ops;

	if (f == NULL || f->type == PS_SETUP_FIELD_TEST || !is_setting_field(f))
		return 0;
	ops = field_platform(f);
	return ops != NULL && ops->connect != NULL && ops->check != NULL;
}

/* Copy key from one store to another (unset stays unset). */
static int
copy_setting(ps_store *to, ps_store *from, const char *key, int64_t now)
{
	char *v = NULL;
	int error = ps_store_setting_get(&v, from, key);

	if (error == PS_ENOTFOUND) {
		ps_error_clear();
		return 0;
	}
	if (error < 0)
		return error;
	error = ps_store_setting_set(NULL, to, key, v, PS_SETUP_ACTOR, now);
	free(v);
	return error;
}

/* 1 when key differs between the stores (read errors: 0). */
static int
setting_differs(ps_store *a, ps_store *b, const char *key)
{
	char *va = NULL, *vb = NULL;
	int ea = ps_store_setting_get(&va, a, key);
	int eb = ps_store_setting_get(&vb, b, key);
	int differs;

	ps_error_clear();
	differs = (ea == 0) != (eb == 0) ||
		  (ea == 0 && eb == 0 && strcmp(va, vb) != 0);
	if ((ea < 0 && ea != PS_ENOTFOUND) || (eb < 0 && eb != PS_ENOTFOUND))
		differs = 0;
	free(va);
	free(vb);
	return differs;
}

static void
scratch_remove(const char *dir, const char *path)
{
	static const char *const tails[] = {"", "-wal", "-shm", "-journal"};
	char p[PATH_MAX + 32];
	size_t i;

	for (i = 0; i < ARRAY_LEN(tails); i++) {
		snprintf(p, sizeof(p), "%s%s", path, tails[i]);
		(void)unlink(p);
	}
	(void)rmdir(dir);
}

int
ps_setup_field_try(char *msg, size_t cap, int *out_tested, ps_store *st,
		   const ps_config *cfg, ps_http *http, const ps_setup_field *f,
		   const char *value, int64_t now)
{
	const ps_platform_ops *ops = field_platform(f);
	const char *tmp = getenv("TMPDIR");
	char dir[PATH_MAX], path[PATH_MAX + 16], *name = NULL;
	ps_store *scratch = NULL;
	void *c = NULL;
	size_t i;
	int error, rerr;

	msg[0] = '\0';
	*out_tested = 0;
	if (!ps_setup_field_needs_test(f))
		return ps_error_set(PS_EINVAL, "%s is not a connection field",
				    f != NULL ? f->label : "?");
	snprintf(dir, sizeof(dir), "%s/pearlsync-try.XXXXXX",
		 tmp != NULL && tmp[0] != '\0' ? tmp : "/tmp");
	if (mkdtemp(dir) == NULL)
		return ps_error_set(PS_EIO,
				    "a scratch directory for the test: %s",
				    strerror(errno));
	snprintf(path, sizeof(path), "%s/try.db", dir);
	/* the platform's settings as they are, then the new value */
	if ((error = ps_store_open(&scratch, path, 0)) < 0)
		goto done;
	for (i = 0; i < ops->nsettings; i++)
		if ((error = copy_setting(scratch, st, ops->settings[i].key,
					  now)) < 0)
			goto done;
	if ((error = ps_setup_field_set(scratch, f, value, now)) < 0)
		goto done; /* refused as the form would refuse it */
	*out_tested = 1;
	if ((error = ops->connect(&c, scratch, cfg, http)) == 0)
		error = ops->check(&name, c);
	outcome(msg, cap, error, ops, name);
	if (error == PS_ESETTING || error == PS_EINVAL)
		*out_tested = -1; /* the other fields are not there yet */
	/* a token the platform rotated while connecting (OAuth) is the
	 * one that works now: keep it, whatever happens to value */
	for (i = 0; i < ops->nsettings; i++)
		if (strcmp(ops->settings[i].key, f->key) != 0 &&
		    setting_differs(scratch, st, ops->settings[i].key) &&
		    (rerr = copy_setting(st, scratch, ops->settings[i].key,
					 now)) < 0 &&
		    error == 0)
			error = rerr;
done:
	if (error < 0 && msg[0] == '\0') {
		snprintf(msg, cap, "%s", ps_error_last());
		ps_redact(msg, cap);
	}
	free(name);
	if (c != NULL)
		ops->free(c);
	ps_store_close(scratch);
	scratch_remove(dir, path);
	if (error < 0)
		ps_error_set(error, "%s", msg);
	return error;
}

/* After a try: save value when it connected or could not be tested yet. */
static int
save_tried(char *msg, size_t cap, ps_store *st, const ps_setup_field *f,
	   const char *value, int code, int tested, int64_t now)
{
	char kind[64 + sizeof(PS_SETUP_TEST_PREFIX)], why[PS_ERROR_MAX + 128];
	int error;

	if (code < 0 && tested >= 0)
		return ps_error_set(code, "%s", msg); /* nothing written */
	if ((error = ps_setup_field_set(st, f, value, now)) < 0)
		return error;
	if (code == 0 && test_kind(kind, sizeof(kind), f)) {
		snprintf(why, sizeof(why), "%s", msg);
		if ((error = test_remember(st, kind, 1, why, now)) < 0)
			return error;
		snprintf(msg, cap, "Tested and saved: %s", why);
	} else {
		snprintf(msg, cap,
			 "Saved; the connection is tested once the other "
			 "fields are set");
	}
	return 0;
}

int
ps_setup_field_save(char *msg, size_t cap, ps_store *st, const ps_config *cfg,
		    ps_http *http, const ps_setup_field *f, const char *value,
		    int64_t now)
{
	int tested = 0, code;

	if (!ps_setup_field_needs_test(f)) {
		snprintf(msg, cap, "Saved.");
		return ps_setup_field_set(st, f, value, now);
	}
	code = ps_setup_field_try(msg, cap, &tested, st, cfg, http, f, value,
				  now);
	return save_tried(msg, cap, st, f, value, code, tested, now);
}

/* ------------------------------------------------------------------------ */
/* Work on a thread of its own                                               */

/* What a setup job works on (the job's arg, work.h). */
struct setup_job {
	ps_setup_job_kind kind;
	ps_platform platform;
	const ps_setup_field *field;
	char *value;
	int64_t now;
	/* a save, between its test and its commit */
	ps_store *st;
	char *msg;
	size_t cap;
	int code, tested;
};

static void
setup_job_free(void *arg)
{
	struct setup_job *a = arg;

	if (a == NULL)
		return;
	if (a->value != NULL) {
		memset(a->value, 0, strlen(a->value)); /* may be a secret */
		free(a->value);
	}
	free(a);
}

/* A tested save's write, unless the operator cancelled meanwhile. */
static int
setup_job_commit(void *arg)
{
	struct setup_job *a = arg;

	return save_tried(a->msg, a->cap, a->st, a->field, a->value, a->code,
			  a->tested, a->now);
}

static int
setup_job_run(ps_tui_job *j, void *arg, ps_store *st, const ps_config *cfg,
	      ps_http *http, char *msg, size_t cap)
{
	struct setup_job *a = arg;
	int code = 0;

	switch (a->kind) {
	case PS_SETUP_JOB_TEST:
		code = ps_setup_test_connection(msg, cap, st, cfg, http,
						a->platform, a->now);
		break;
	case PS_SETUP_JOB_REFRESH:
		code = ps_setup_refresh(msg, cap, st, cfg, http, a->now);
		break;
	case PS_SETUP_JOB_SAVE:
		a->code = ps_setup_field_try(msg, cap, &a->tested, st, cfg,
					     http, a->field, a->value, a->now);
		a->st = st;
		a->msg = msg;
		a->cap = cap;
		/* an abandoned save writes nothing */
		code = ps_tui_job_commit(j, a->code, setup_job_commit);
		a->st = NULL;
		a->msg = NULL;
		break;
	}
	return code;
}

int
ps_setup_job_start(ps_setup_job **out, const ps_config *cfg,
		   const ps_http_options *http_opts, ps_setup_job_kind kind,
		   ps_platform platform, const ps_setup_field *f,
		   const char *value, int64_t now)
{
	struct setup_job *a;
	char what[160];

	*out = NULL;
	if (kind == PS_SETUP_JOB_SAVE && f == NULL)
		return ps_error_set(PS_EINVAL, "no field to save");
	if ((a = calloc(1, sizeof(*a))) == NULL)
		return ps_error_set(PS_ENOMEM, "out of memory");
	a->kind = kind;
	a->platform = platform;
	a->field = f;
	a->now = now;
	if (value != NULL && (a->value = strdup(value)) == NULL) {
		setup_job_free(a);
		return ps_error_set(PS_ENOMEM, "out of memory");
	}
	switch (kind) {
	case PS_SETUP_JOB_TEST:
		snprintf(what, sizeof(what), "testing the %s connection",
			 ps_platform_title(platform));
		break;
	case PS_SETUP_JOB_REFRESH:
		snprintf(what, sizeof(what),
			 "fetching the drop-down lists from the platforms");
		break;
	case PS_SETUP_JOB_SAVE:
	default:
		snprintf(what, sizeof(what), "testing the new %s", f->label);
		break;
	}
	return ps_tui_job_start(out, cfg, http_opts, what, setup_job_run, a,
				setup_job_free);
}
