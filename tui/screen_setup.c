/*
 * screen_setup.c - the setup steps: the list of nine steps with their
 * status (main screen 2), and one step's form (pushed with Enter).
 *
 * Everything shown comes from model_setup.c, loaded in open/reload and
 * after each change; draw only paints the copies kept in the state.
 * Edits use the bottom-bar prompt and picker; a refused value keeps the
 * prompt or picker open with the model's message.
 *
 * What waits for a platform (t tests a connection, u fetches the lists,
 * a changed credential is tested before it is saved) runs as a job on a
 * thread of its own (work.h): the screen says "Working..." with
 * what it does, keeps answering keys, and Esc or Ctrl-C cancels.  When
 * the keys come from a script the work runs inline, so screens dumped by
 * the tests are the same at every run.
 */
#include "tui.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "model_mapping.h"
#include "model_setup.h"
#include "pearlsync/connect.h"
#include "pearlsync/settings.h"

#define VALUE_MAX 256
#define FIELDS_MAX 64

/* The HTTP policy of a console action: few retries, the operator waits. */
static void
action_http_options(ps_http_options *o)
{
	*o = (ps_http_options)PS_HTTP_OPTIONS_INIT;
	o->max_attempts = 2;
	o->backoff_base_ms = 200;
	o->backoff_cap_ms = 1000;
	o->max_wait_ms = 5000;
}

/* An http client for an action run inline. */
static int
action_http(ps_http **out, ps_tui *tui)
{
	ps_http_options o;

	action_http_options(&o);
	return ps_connect_http(out, ps_tui_config(tui), &o);
}

/* ------------------------------------------------------------------------ */
/* Work a screen waits for                                                   */

#define WORK_QUEUE_MAX 8

struct work {
	ps_tui *tui;       /* the console (set at open: close has none) */
	ps_setup_job *job; /* NULL: nothing running */
	ps_setup_job_kind kind;
	/* tests still to run after this one, and what the done ones said */
	ps_platform queue[WORK_QUEUE_MAX];
	size_t nqueue;
	char said[PS_ERROR_MAX + 256];
	int said_error;
	/* a save: the field and the value, kept for "save anyway" */
	const ps_setup_field *field;
	char *value;
	char failed[PS_ERROR_MAX + 256]; /* its refused test */
};

static void
work_forget_value(struct work *w)
{
	if (w->value != NULL) {
		memset(w->value, 0, strlen(w->value)); /* may be a secret */
		free(w->value);
	}
	w->value = NULL;
}

static void
work_dispose(struct work *w)
{
	if (w->job != NULL) {
		ps_tui_job_abandon(w->job);
		w->job = NULL;
		ps_tui_busy(w->tui, 0);
	}
	work_forget_value(w);
	w->failed[0] = '\0';
}

/*
 * Start kind in the background.  1 when started; 0 when the console runs
 * its work inline (a script): the caller does it itself.
 */
static int
work_start(struct work *w, ps_tui *tui, ps_setup_job_kind kind, ps_platform p,
	   const ps_setup_field *f, const char *value)
{
	ps_http_options o;
	int error;

	if (!ps_tui_background(tui))
		return 0;
	action_http_options(&o);
	if ((error = ps_setup_job_start(&w->job, ps_tui_config(tui), &o, kind,
					p, f, value, ps_tui_now(tui))) < 0)
		return error;
	w->kind = kind;
	ps_tui_busy(tui, 1);
	return 1;
}

/* 1 when the job finished: its code and message out, the job freed. */
static int
work_poll(struct work *w, ps_tui *tui, int *out_code, char *msg, size_t cap)
{
	if (w->job == NULL || !ps_tui_job_poll(w->job, out_code, msg, cap))
		return 0;
	ps_tui_job_free(w->job);
	w->job = NULL;
	ps_tui_busy(tui, 0);
	return 1;
}

/* Esc or Ctrl-C while working: abandon the job and say so. */
static void
work_cancel(struct work *w, ps_tui *tui)
{
	char what[160];

	snprintf(what, sizeof(what), "%s", ps_tui_job_what(w->job));
	ps_tui_job_abandon(w->job);
	w->job = NULL;
	w->nqueue = 0;
	w->said[0] = '\0';
	ps_tui_busy(tui, 0);
	if (w->kind == PS_SETUP_JOB_SAVE) {
		work_forget_value(w);
		ps_tui_message(tui, 1, "Cancelled %s; the old value is kept",
			       what);
	} else {
		ps_tui_message(tui, 1, "Cancelled %s", what);
	}
}

/* The working line: what runs and how to stop it. */
static void
work_draw(const struct work *w, ps_tui *tui, int row)
{
	ps_tui_job_draw(tui, row, w->job);
}

/*
 * A save's refused test, on the status line and the one below it (the
 * question "save anyway?" takes the bottom line).
 */
static void
failed_draw(const struct work *w, ps_tui *tui)
{
	const char *m = w->failed;
	int cols = ps_tui_body_cols(tui) - 2;
	size_t cut;

	if (m[0] == '\0' || w->job != NULL)
		return;
	ps_tui_fill(tui, 2, PS_TUI_NORMAL);
	ps_tui_fill(tui, 3, PS_TUI_NORMAL);
	cut = strlen(m);
	if (cols > 20 && cut + 13 > (size_t)cols) {
		cut = (size_t)cols - 13;
		while (cut > 0 && m[cut] != ' ')
			cut--;
		if (cut == 0)
			cut = (size_t)cols - 13;
	}
	ps_tui_textf(tui, 2, 1, 0, PS_TUI_BAD, "Test failed: %.*s", (int)cut,
		     m);
	if (m[cut] != '\0')
		ps_tui_text(tui, 3, 1, 0, PS_TUI_BAD,
			    m + cut + (m[cut] == ' '));
}

/* A key that starts other work while some runs: refused, politely. */
static int
work_refuse(const struct work *w, ps_tui *tui)
{
	if (w->job == NULL)
		return 0;
	ps_tui_message(tui, 1, "Still %s; wait, or Esc cancels it",
		       ps_tui_job_what(w->job));
	return 1;
}

/* Fetch every drop-down list inline; the outcome goes to the message bar. */
static int
fetch_lists_inline(ps_tui *tui)
{
	ps_http *http = NULL;
	char msg[PS_ERROR_MAX + 128];
	int error;

	if ((error = action_http(&http, tui)) < 0)
		return error;
	error = ps_setup_refresh(msg, sizeof(msg), ps_tui_store(tui),
				 ps_tui_config(tui), http, ps_tui_now(tui));
	ps_http_free(http);
	ps_tui_message(tui, error != 0, "%s", msg);
	return 0;
}

/* u: fetch the lists, in the background when the console can. */
static int
fetch_lists(struct work *w, ps_tui *tui)
{
	int started;

	if (work_refuse(w, tui))
		return 0;
	if ((started = work_start(w, tui, PS_SETUP_JOB_REFRESH, (ps_platform)0,
				  NULL, NULL)) != 0)
		return started < 0 ? started : 0;
	return fetch_lists_inline(tui);
}

/* ------------------------------------------------------------------------ */
/* The list of steps                                                         */

struct steps {
	ps_tui_list list;
	size_t n;                             /* ps_setup_step_count() */
	ps_setup_step ids[PS_SETUP_STEP_MAX]; /* what a step's form opens */
	int done[PS_SETUP_STEP_MAX];
	char why[PS_SETUP_STEP_MAX][160];
	int ndone;
	struct work work; /* u */
};

static int
steps_reload(void *state, ps_tui *tui)
{
	struct steps *s = state;
	size_t i;
	int error;

	s->ndone = 0;
	for (i = 0; i < s->n; i++) {
		s->ids[i] = i;
		if ((error = ps_setup_step_check(
			     &s->done[i], s->why[i], sizeof(s->why[i]),
			     ps_tui_store(tui), s->ids[i])) < 0)
			return error;
		s->ndone += s->done[i];
	}
	return 0;
}

static int
steps_open(void **out, ps_tui *tui, const void *arg)
{
	struct steps *s;
	int error;

	(void)arg;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return ps_error_set(PS_ENOMEM, "out of memory");
	s->n = ps_setup_step_count();
	s->work.tui = tui;
	ps_tui_list_set_count(&s->list, s->n);
	if ((error = steps_reload(s, tui)) < 0) {
		free(s);
		return error;
	}
	*out = s;
	return 0;
}

static void
steps_close(void *state)
{
	struct steps *s = state;

	if (s == NULL)
		return;
	work_dispose(&s->work);
	free(s);
}

/* How many steps fit: the body less the heading and the help line. */
static int
steps_rows(const ps_tui *tui)
{
	int vis = ps_tui_body_rows(tui) - 4;

	return vis < 1 ? 1 : vis;
}

static void
steps_draw(void *state, ps_tui *tui)
{
	struct steps *s = state;
	ps_tui_attr a;
	size_t i;
	int row, vis;

	ps_tui_text(tui, 0, 1, 0, PS_TUI_HEADING,
		    "Setup, step by step (Enter opens a step)");
	work_draw(&s->work, tui, 1);
	vis = steps_rows(tui);
	ps_tui_list_show(&s->list, vis);
	for (i = s->list.top; i < s->n && i < s->list.top + (size_t)vis; i++) {
		row = 2 + (int)(i - s->list.top);
		a = i == s->list.sel ? PS_TUI_SELECTED : PS_TUI_NORMAL;
		if (i == s->list.sel)
			ps_tui_fill(tui, row, PS_TUI_SELECTED);
		ps_tui_textf(tui, row, 1, 3, a, "%zu.", i + 1);
		ps_tui_text(tui, row, 5, 3,
			    i == s->list.sel ? a
			    : s->done[i]     ? PS_TUI_GOOD
					     : PS_TUI_WARN,
			    s->done[i] ? "[x]" : "[!]");
		ps_tui_cell(tui, row, 9, 21, a, ps_setup_step_title(s->ids[i]));
		ps_tui_cell(tui, row, 31, ps_tui_body_cols(tui) - 31,
			    i == s->list.sel ? a
			    : s->done[i]     ? PS_TUI_DIM
					     : PS_TUI_WARN,
			    s->done[i] ? "done" : s->why[i]);
	}
	row = 3 + (int)(s->n < (size_t)vis ? s->n : (size_t)vis);
	ps_tui_text(tui, row, 1, 0, PS_TUI_DIM,
		    ps_setup_step_help(s->ids[s->list.sel]));
	if (row + 3 >= ps_tui_body_rows(tui))
		return;
	ps_tui_text(tui, row + 2, 1, 0, PS_TUI_DIM,
		    "[x] done  [!] needs attention.  u fetches the drop-down "
		    "values from the");
	ps_tui_text(tui, row + 3, 1, 0, PS_TUI_DIM,
		    "platforms (statuses, warehouses, channels, methods).");
}

extern const ps_screen_ops ps_screen_setup_step;

static int
steps_handle(void *state, ps_tui *tui, ps_tui_request req)
{
	struct steps *s = state;

	if (ps_tui_list_move(&s->list, req, steps_rows(tui)))
		return PS_TUI_HANDLED;
	switch (req) {
	case PS_TUI_REQ_ENTER:
	case PS_TUI_REQ_EDIT:
		if (work_refuse(&s->work, tui))
			return PS_TUI_HANDLED;
		return ps_tui_push(tui, &ps_screen_setup_step,
				   &s->ids[s->list.sel]);
	case PS_TUI_REQ_FETCH: {
		int error = fetch_lists(&s->work, tui);

		return error < 0 ? error : steps_reload(s, tui);
	}
	case PS_TUI_REQ_TICK: {
		char msg[PS_ERROR_MAX + 256];
		int code;

		if (s->work.job == NULL)
			return PS_TUI_UNHANDLED; /* the usual reload */
		if (!work_poll(&s->work, tui, &code, msg, sizeof(msg)))
			return PS_TUI_HANDLED;
		ps_tui_message(tui, code != 0, "%s", msg);
		return steps_reload(s, tui);
	}
	case PS_TUI_REQ_BACK:
		if (s->work.job == NULL)
			return PS_TUI_UNHANDLED;
		work_cancel(&s->work, tui);
		return PS_TUI_HANDLED;
	default:
		return PS_TUI_UNHANDLED;
	}
}

static void
steps_status(void *state, ps_tui *tui, char *buf, size_t cap)
{
	struct steps *s = state;

	(void)tui;
	snprintf(buf, cap, "%d of %zu steps done", s->ndone, s->n);
}

const ps_screen_ops ps_screen_setup = {
	"setup",      "Setup",      steps_open,
	steps_close,  steps_reload, steps_draw,
	steps_handle, steps_status, "Enter:open u:fetch",
};

/* ------------------------------------------------------------------------ */
/* One step's form                                                           */

struct form {
	ps_setup_step step;
	ps_tui_list list;
	size_t n;
	char value[FIELDS_MAX][VALUE_MAX];
	int done;
	char why[256];
	/* The field being edited and the values its picker offers. */
	const ps_setup_field *editing;
	char **ids; /* owned; NULL entries mean "unset" */
	size_t nids;
	struct work work; /* t, u, a tested save */
};

static void
form_free_ids(struct form *f)
{
	size_t i;

	for (i = 0; i < f->nids; i++)
		free(f->ids[i]);
	free(f->ids);
	f->ids = NULL;
	f->nids = 0;
}

static int
form_reload(void *state, ps_tui *tui)
{
	struct form *f = state;
	size_t i;
	int error;

	for (i = 0; i < f->n; i++)
		if ((error = ps_setup_field_display(
			     f->value[i], VALUE_MAX, ps_tui_store(tui),
			     ps_setup_field_at(f->step, i))) < 0)
			return error;
	return ps_setup_step_check(&f->done, f->why, sizeof(f->why),
				   ps_tui_store(tui), f->step);
}

static int
form_open(void **out, ps_tui *tui, const void *arg)
{
	struct form *f;
	int error;

	if (arg == NULL)
		return ps_error_set(PS_EINVAL, "no setup step given");
	if ((f = calloc(1, sizeof(*f))) == NULL)
		return ps_error_set(PS_ENOMEM, "out of memory");
	f->step = *(const ps_setup_step *)arg;
	f->work.tui = tui;
	f->n = ps_setup_field_count(f->step);
	if (f->n > FIELDS_MAX)
		f->n = FIELDS_MAX;
	ps_tui_list_set_count(&f->list, f->n);
	if ((error = form_reload(f, tui)) < 0) {
		free(f);
		return error;
	}
	*out = f;
	return 0;
}

static void
form_close(void *state)
{
	struct form *f = state;

	if (f == NULL)
		return;
	work_dispose(&f->work);
	form_free_ids(f);
	free(f);
}

/* How many test actions the form has. */
static size_t
form_tests(const struct form *f)
{
	const ps_setup_field *fl;
	size_t i, n = 0;

	for (i = 0; i < f->n; i++)
		if ((fl = ps_setup_field_at(f->step, i)) != NULL &&
		    fl->type == PS_SETUP_FIELD_TEST)
			n++;
	return n;
}

/* How many field rows fit: the body less the heading, help, state and
 * footer lines. */
static int
form_rows(const ps_tui *tui)
{
	int vis = ps_tui_body_rows(tui) - 7;

	return vis < 1 ? 1 : vis;
}

static void
form_draw(void *state, ps_tui *tui)
{
	struct form *f = state;
	const ps_setup_field *fl;
	char cell[1024];
	ps_tui_attr a;
	size_t i;
	int row, vis;

	ps_tui_textf(tui, 0, 1, 0, PS_TUI_HEADING, "Step %zu of %zu: %s",
		     f->step + 1, ps_setup_step_count(),
		     ps_setup_step_title(f->step));
	ps_tui_text(tui, 1, 1, 0, PS_TUI_DIM, ps_setup_step_help(f->step));
	if (f->done) {
		ps_tui_text(tui, 2, 1, 0, PS_TUI_GOOD, "Done");
	} else {
		snprintf(cell, sizeof(cell), "Needs attention: %s", f->why);
		ps_tui_cell(tui, 2, 1, ps_tui_body_cols(tui) - 1, PS_TUI_WARN,
			    cell);
	}
	work_draw(&f->work, tui, 2);
	failed_draw(&f->work, tui);
	vis = form_rows(tui);
	ps_tui_list_show(&f->list, vis);
	for (i = f->list.top; i < f->n && i < f->list.top + (size_t)vis; i++) {
		fl = ps_setup_field_at(f->step, i);
		row = 4 + (int)(i - f->list.top);
		a = i == f->list.sel ? PS_TUI_SELECTED : PS_TUI_NORMAL;
		if (i == f->list.sel)
			ps_tui_fill(tui, row, PS_TUI_SELECTED);
		snprintf(cell, sizeof(cell), "%s%s", fl->label,
			 fl->required ? " *" : "");
		ps_tui_cell(tui, row, 2, 38, a, cell);
		if (fl->type == PS_SETUP_FIELD_MAPPING)
			snprintf(cell, sizeof(cell), "%s  (Enter edits)",
				 f->value[i]);
		else
			snprintf(cell, sizeof(cell), "%s", f->value[i]);
		ps_tui_cell(tui, row, 42, ps_tui_body_cols(tui) - 42, a, cell);
	}
	row = 5 + (int)(f->n < (size_t)vis ? f->n : (size_t)vis);
	if (f->step == PS_SETUP_CONNECTIONS)
		ps_tui_textf(tui, row, 2, 0, PS_TUI_DIM,
			     "* required.  Enter: change  v: view  d: clear  "
			     "t: test %s connections",
			     form_tests(f) == 2 ? "both" : "the");
	if (f->n > (size_t)vis)
		ps_tui_textf(tui, row + 1, 2, 0, PS_TUI_DIM,
			     "fields %zu-%zu of %zu: the arrow keys scroll",
			     f->list.top + 1, f->list.top + (size_t)vis, f->n);
	else
		ps_tui_text(tui, row, 2, 0, PS_TUI_DIM,
			    "* required.  Enter: change  v: view  d: clear  "
			    "u: fetch the drop-down lists");
}

static int
form_changed(struct form *f, ps_tui *tui, const char *what)
{
	int error = form_reload(f, tui);

	if (error == 0)
		ps_tui_message(tui, 0, "%s", what);
	return error;
}

static int
set_value(struct form *f, ps_tui *tui, const char *value)
{
	int error = ps_setup_field_set(ps_tui_store(tui), f->editing, value,
				       ps_tui_now(tui));

	if (error < 0)
		return error;
	return form_changed(f, tui, "Saved.");
}

/* The operator's answer to "save anyway?". */
static int
on_save_anyway(ps_tui *tui, void *payload, int yes)
{
	struct form *f = payload;
	struct work *w = &f->work;
	int error = 0;

	if (yes && w->field != NULL) {
		f->editing = w->field;
		error = ps_setup_field_set(ps_tui_store(tui), w->field,
					   w->value, ps_tui_now(tui));
		if (error == 0)
			error = form_changed(f, tui,
					     "Saved without a passing test; "
					     "t tests it again");
	} else {
		ps_tui_message(tui, 0, "Kept the old value");
	}
	work_forget_value(w);
	w->failed[0] = '\0';
	return error;
}

/*
 * The end of a tested save: saved (code 0), or the test failed and the
 * operator chooses: y saves anyway, any other key keeps the old value.
 */
static int
save_done(struct form *f, ps_tui *tui, int code, const char *msg)
{
	struct work *w = &f->work;
	int error;

	if (code == 0) {
		work_forget_value(w);
		return form_changed(f, tui, msg);
	}
	if ((error = form_reload(f, tui)) < 0)
		return error;
	snprintf(w->failed, sizeof(w->failed), "%s", msg);
	ps_tui_confirm(tui,
		       "Save anyway? y saves it, another key keeps the old "
		       "value",
		       on_save_anyway, f);
	return 0;
}

/*
 * Set the field being edited: a connection setting is tested first (in
 * the background when the console can), anything else is set at once.
 */
static int
save_value(struct form *f, ps_tui *tui, const char *value)
{
	struct work *w = &f->work;
	char msg[PS_ERROR_MAX + 256];
	ps_http *http = NULL;
	int error, started;

	if (!ps_setup_field_needs_test(f->editing))
		return set_value(f, tui, value);
	/* a value the form refuses keeps the prompt, before any test */
	if ((error = ps_setup_field_check(ps_tui_store(tui), f->editing,
					  value)) < 0)
		return error;
	work_forget_value(w);
	w->field = f->editing;
	if (value != NULL && (w->value = strdup(value)) == NULL)
		return ps_error_set(PS_ENOMEM, "out of memory");
	if ((started = work_start(w, tui, PS_SETUP_JOB_SAVE,
				  f->editing->platform, f->editing, value)) !=
	    0)
		return started < 0 ? started : 0;
	if ((error = action_http(&http, tui)) < 0)
		return error;
	error = ps_setup_field_save(msg, sizeof(msg), ps_tui_store(tui),
				    ps_tui_config(tui), http, f->editing, value,
				    ps_tui_now(tui));
	ps_http_free(http);
	return save_done(f, tui, error, msg);
}

static int
on_text(ps_tui *tui, void *payload, const char *text)
{
	if (text == NULL)
		return 0;
	return save_value(payload, tui, text);
}

static int
on_pick(ps_tui *tui, void *payload, long index, const char *item)
{
	struct form *f = payload;

	(void)item;
	if (index < 0 || (size_t)index >= f->nids)
		return 0;
	return set_value(f, tui, f->ids[index]);
}

/* The word picker's last entry asks for a URL. */
static int
on_url_word(ps_tui *tui, void *payload, long index, const char *item)
{
	struct form *f = payload;
	char prompt[96];

	(void)item;
	if (index < 0)
		return 0;
	if ((size_t)index >= f->nids || f->ids[index] == NULL) {
		snprintf(prompt, sizeof(prompt), "%s base URL: ",
			 ps_platform_title(f->editing->platform));
		ps_tui_prompt(tui, prompt, NULL, 0, on_text, f);
		return 0;
	}
	return save_value(f, tui, f->ids[index]);
}

static int
ids_add(struct form *f, const char *id)
{
	char **g = realloc(f->ids, (f->nids + 1) * sizeof(*g));

	if (g == NULL)
		return ps_error_set(PS_ENOMEM, "out of memory");
	f->ids = g;
	f->ids[f->nids] = NULL;
	if (id != NULL && (f->ids[f->nids] = strdup(id)) == NULL)
		return ps_error_set(PS_ENOMEM, "out of memory");
	f->nids++;
	return 0;
}

/* The list of a PICK_MANY field with the element toggled. */
static int
toggle(char *out, size_t cap, const char *list, const char *item)
{
	const char *p = list != NULL ? list : "", *end;
	size_t len, used = 0, ilen = strlen(item);
	int found = 0;

	out[0] = '\0';
	while (*p != '\0') {
		end = strchr(p, ',');
		len = end != NULL ? (size_t)(end - p) : strlen(p);
		if (len == ilen && strncmp(p, item, len) == 0)
			found = 1;
		else if (used + len + 2 < cap) {
			if (used > 0)
				out[used++] = ',';
			memcpy(out + used, p, len);
			used += len;
			out[used] = '\0';
		}
		p += len;
		if (*p == ',')
			p++;
	}
	if (!found && used + ilen + 2 < cap)
		snprintf(out + used, cap - used, "%s%s", used ? "," : "", item);
	return found;
}

static int
on_pick_many(ps_tui *tui, void *payload, long index, const char *item)
{
	struct form *f = payload;
	char *cur = NULL, next[1024];
	int error;

	(void)item;
	if (index < 0 || (size_t)index >= f->nids)
		return 0;
	if ((error = ps_setup_field_get(&cur, ps_tui_store(tui), f->editing)) <
	    0)
		return error;
	toggle(next, sizeof(next), cur, f->ids[index]);
	free(cur);
	return set_value(f, tui, next);
}

static int
edit_pick(struct form *f, ps_tui *tui, const ps_setup_field *fl)
{
	ps_setup_choices c;
	char **labels = NULL, *cur = NULL, label[VALUE_MAX];
	size_t i, initial = 0;
	int error, many = fl->type == PS_SETUP_FIELD_PICK_MANY;

	if ((error = ps_setup_choices_load(&c, ps_tui_store(tui), fl->list)) <
	    0)
		return error;
	if (c.n == 0) {
		ps_setup_choices_dispose(&c);
		if ((error = ps_setup_field_get(&cur, ps_tui_store(tui), fl)) <
		    0)
			return error;
		ps_tui_prompt(tui,
			      many ? "Values, comma-separated (u fetches the "
				     "list): "
				   : "Value (u fetches the list): ",
			      cur, 0, on_text, f);
		free(cur);
		return 0;
	}
	if ((error = ps_setup_field_get(&cur, ps_tui_store(tui), fl)) < 0)
		goto done;
	if ((labels = calloc(c.n + 1, sizeof(*labels))) == NULL) {
		error = ps_error_set(PS_ENOMEM, "out of memory");
		goto done;
	}
	if (!many && !fl->required) {
		if ((error = ids_add(f, NULL)) < 0)
			goto done;
		labels[0] = strdup("(none)");
	}
	for (i = 0; i < c.n; i++) {
		const char *v = fl->by_name ? c.items[i].name : c.items[i].id;
		int on = cur != NULL && ps_settings_list_contains(cur, v);

		if ((error = ids_add(f, v)) < 0)
			goto done;
		if (fl->by_name)
			snprintf(label, sizeof(label), "%s%s",
				 many ? (on ? "[x] " : "[ ] ") : "",
				 c.items[i].name);
		else
			snprintf(label, sizeof(label), "%s%-5s %s",
				 many ? (on ? "[x] " : "[ ] ") : "",
				 c.items[i].id, c.items[i].name);
		if (!many && cur != NULL && strcmp(cur, v) == 0)
			initial = f->nids - 1;
		labels[f->nids - 1] = strdup(label);
	}
	for (i = 0; i < f->nids; i++)
		if (labels[i] == NULL) {
			error = ps_error_set(PS_ENOMEM, "out of memory");
			goto done;
		}
	if (many)
		error = ps_tui_pick_many(
			tui, "Space switches a value on or off, Enter closes",
			(const char *const *)labels, f->nids, initial,
			on_pick_many, f);
	else
		error = ps_tui_pick(tui, fl->label, (const char *const *)labels,
				    f->nids, initial, on_pick, f);
done:
	if (labels != NULL)
		for (i = 0; i < c.n + 1; i++)
			free(labels[i]);
	free(labels);
	free(cur);
	ps_setup_choices_dispose(&c);
	return error;
}

static int
edit_enum(struct form *f, ps_tui *tui, const ps_setup_field *fl)
{
	const ps_setting_def *def = ps_settings_find(fl->key);
	char *cur = NULL;
	size_t i, n = 0, initial = 0;
	int error;

	if (def == NULL || def->choices == NULL)
		return ps_error_set(PS_EINVAL, "%s has no choices", fl->key);
	if ((error = ps_setup_field_get(&cur, ps_tui_store(tui), fl)) < 0)
		return error;
	for (i = 0; def->choices[i] != NULL; i++) {
		if ((error = ids_add(f, def->choices[i])) < 0)
			goto done;
		if (cur != NULL && strcmp(cur, def->choices[i]) == 0)
			initial = i;
		n++;
	}
	error = ps_tui_pick(tui, fl->label, def->choices, n, initial, on_pick,
			    f);
done:
	free(cur);
	return error;
}

/* The plug-in's word for a URL field ("euw1  Europe": "euw1") into
 * word (cap bytes). */
static void
word_at(char *word, size_t cap, const char *entry)
{
	size_t n = strcspn(entry, " ");

	snprintf(word, cap, "%.*s", (int)n, entry);
}

static int
edit_url_word(struct form *f, ps_tui *tui, const ps_setup_field *fl)
{
	const ps_platform_ops *ops = ps_platform_ops_of(fl->platform);
	const char *const *words = NULL;
	const char *labels[33];
	char *cur = NULL, word[64];
	size_t i, j, initial = 0;
	int error;

	for (j = 0; ops != NULL && j < ops->nfields; j++)
		if (ops->fields[j].key == fl->key)
			words = ops->fields[j].words;
	if ((error = ps_setup_field_get(&cur, ps_tui_store(tui), fl)) < 0)
		return error;
	for (i = 0; words != NULL && words[i] != NULL && i < 32; i++) {
		word_at(word, sizeof(word), words[i]);
		if ((error = ids_add(f, word)) < 0)
			goto done;
		labels[i] = words[i];
		if (cur != NULL && strcmp(cur, word) == 0)
			initial = i;
	}
	if ((error = ids_add(f, NULL)) < 0)
		goto done;
	labels[i] = "Another URL (the sandbox)...";
	if (cur != NULL && initial == 0 &&
	    (f->nids < 2 || strcmp(cur, f->ids[0]) != 0))
		initial = f->nids - 1;
	error = ps_tui_pick(tui, fl->label, labels, f->nids, initial,
			    on_url_word, f);
done:
	free(cur);
	return error;
}

/* One connection test inline; its outcome into msg. */
static int
test_inline(char *msg, size_t cap, ps_tui *tui, ps_platform p)
{
	ps_http *http = NULL;
	int error;

	if ((error = action_http(&http, tui)) < 0)
		return error;
	error = ps_setup_test_connection(msg, cap, ps_tui_store(tui),
					 ps_tui_config(tui), http, p,
					 ps_tui_now(tui));
	ps_http_free(http);
	return error;
}

/* Add what a test said to the line shown when all are done. */
static void
tests_said(struct work *w, int code, const char *msg)
{
	size_t len = strlen(w->said);

	snprintf(w->said + len, sizeof(w->said) - len, "%s%s",
		 len > 0 ? "; " : "", msg);
	if (code != 0 || strncmp(msg, "OK", 2) != 0)
		w->said_error = 1;
}

/* Start the next queued test; 1 when one runs in the background. */
static int
tests_next(struct form *f, ps_tui *tui)
{
	struct work *w = &f->work;
	char msg[PS_ERROR_MAX + 128];
	ps_platform p;
	int started, code;

	while (w->nqueue > 0) {
		p = w->queue[0];
		memmove(w->queue, w->queue + 1,
			(w->nqueue - 1) * sizeof(w->queue[0]));
		w->nqueue--;
		if ((started = work_start(w, tui, PS_SETUP_JOB_TEST, p, NULL,
					  NULL)) < 0)
			return started;
		if (started)
			return 1;
		code = test_inline(msg, sizeof(msg), tui, p);
		if (code < 0 && code != PS_EINVAL && msg[0] == '\0')
			return code;
		tests_said(w, code, msg);
	}
	return 0;
}

/* Every test is done: say what they said. */
static int
tests_done(struct form *f, ps_tui *tui)
{
	struct work *w = &f->work;
	int error;

	if ((error = form_reload(f, tui)) < 0)
		return error;
	ps_tui_message(tui, w->said_error, "%s", w->said);
	w->said[0] = '\0';
	w->said_error = 0;
	return 0;
}

/* Test the connections of platforms p[0..n-1], one after the other. */
static int
test_connections(struct form *f, ps_tui *tui, const ps_platform *p, size_t n)
{
	struct work *w = &f->work;
	int error;

	if (work_refuse(w, tui))
		return 0;
	w->nqueue = 0;
	w->said[0] = '\0';
	w->said_error = 0;
	while (w->nqueue < n && w->nqueue < WORK_QUEUE_MAX) {
		w->queue[w->nqueue] = p[w->nqueue];
		w->nqueue++;
	}
	if ((error = tests_next(f, tui)) != 0)
		return error < 0 ? error : 0;
	return tests_done(f, tui);
}

/* The timer while working: finish what finished. */
static int
form_poll(struct form *f, ps_tui *tui)
{
	struct work *w = &f->work;
	char msg[PS_ERROR_MAX + 256];
	int code, error;

	if (!work_poll(w, tui, &code, msg, sizeof(msg)))
		return 0;
	switch (w->kind) {
	case PS_SETUP_JOB_TEST:
		tests_said(w, code, msg);
		if ((error = tests_next(f, tui)) != 0)
			return error < 0 ? error : 0;
		return tests_done(f, tui);
	case PS_SETUP_JOB_REFRESH:
		if ((error = form_reload(f, tui)) < 0)
			return error;
		ps_tui_message(tui, code != 0, "%s", msg);
		return 0;
	case PS_SETUP_JOB_SAVE:
		return save_done(f, tui, code, msg);
	}
	return 0;
}

extern const ps_screen_ops ps_screen_mapedit;

/* A run action: ask the worker to run the field's flow now. */
static int
run_flow(struct form *f, ps_tui *tui, const ps_setup_field *fl)
{
	int error;

	if ((error = ps_store_request_add(NULL, ps_tui_store(tui),
					  PS_REQUEST_RUN_FLOW, fl->key,
					  ps_tui_now(tui))) < 0)
		return error;
	if ((error = form_reload(f, tui)) < 0)
		return error;
	ps_tui_message(tui, 0, "asked the worker to run %s", fl->key);
	return 0;
}

/*
 * A start date (the BigCommerce order import's: unset, its first poll
 * takes every order the store ever had in the chosen statuses): the
 * prompt offers today (UTC), the sane start of a new setup.
 */
static void
edit_start_date(ps_tui *tui, struct form *f, const char *cur)
{
	char today[16], label[128];
	time_t t = (time_t)(ps_tui_now(tui) / 1000);
	struct tm tm;

	today[0] = '\0';
	if (cur == NULL && gmtime_r(&t, &tm) != NULL)
		strftime(today, sizeof(today), "%Y-%m-%d", &tm);
	snprintf(label, sizeof(label), "%s (YYYY-MM-DD):", f->editing->label);
	ps_tui_prompt(tui, label, cur != NULL ? cur : today, 0, on_text, f);
}

static int
form_edit(struct form *f, ps_tui *tui)
{
	const ps_setup_field *fl = ps_setup_field_at(f->step, f->list.sel);
	char *cur = NULL;
	int error, b;

	if (fl == NULL)
		return PS_TUI_HANDLED;
	form_free_ids(f);
	f->editing = fl;
	switch (fl->type) {
	case PS_SETUP_FIELD_TEST:
		return test_connections(f, tui, &fl->platform, 1);
	case PS_SETUP_FIELD_RUN:
		return run_flow(f, tui, fl);
	case PS_SETUP_FIELD_MAPPING:
		return ps_tui_push(tui, &ps_screen_mapedit,
				   ps_mapedit_kind_find(fl->key, fl->list));
	case PS_SETUP_FIELD_BOOL:
		if ((error = ps_settings_get_bool(&b, ps_tui_store(tui),
						  fl->key)) < 0)
			return error;
		return set_value(f, tui, b ? "false" : "true");
	case PS_SETUP_FIELD_ENUM:
		return edit_enum(f, tui, fl);
	case PS_SETUP_FIELD_PICK:
	case PS_SETUP_FIELD_PICK_MANY:
		return edit_pick(f, tui, fl);
	case PS_SETUP_FIELD_URL:
		if (fl->word_url != NULL)
			return edit_url_word(f, tui, fl);
		if ((error = ps_setup_field_get(&cur, ps_tui_store(tui), fl)) <
		    0)
			return error;
		ps_tui_prompt(tui, "Value: ", cur, 0, on_text, f);
		free(cur);
		return 0;
	case PS_SETUP_FIELD_SECRET:
		ps_tui_prompt(tui, "New value (hidden): ", NULL, 1, on_text, f);
		return 0;
	default:
		if ((error = ps_setup_field_get(&cur, ps_tui_store(tui), fl)) <
		    0)
			return error;
		if (fl->type == PS_SETUP_FIELD_START_DATE)
			edit_start_date(tui, f, cur);
		else
			ps_tui_prompt(tui, "Value: ", cur, 0, on_text, f);
		free(cur);
		return 0;
	}
}

static int
form_handle(void *state, ps_tui *tui, ps_tui_request req)
{
	struct form *f = state;
	const ps_setup_field *fl;
	int error;

	if (ps_tui_list_move(&f->list, req, form_rows(tui)))
		return PS_TUI_HANDLED;
	switch (req) {
	case PS_TUI_REQ_TICK:
		if (f->work.job == NULL)
			return PS_TUI_UNHANDLED; /* the usual reload */
		error = form_poll(f, tui);
		return error < 0 ? error : PS_TUI_HANDLED;
	case PS_TUI_REQ_BACK:
		if (f->work.job == NULL)
			return PS_TUI_UNHANDLED;
		work_cancel(&f->work, tui);
		return PS_TUI_HANDLED;
	case PS_TUI_REQ_ENTER:
	case PS_TUI_REQ_EDIT:
		if (work_refuse(&f->work, tui))
			return PS_TUI_HANDLED;
		error = form_edit(f, tui);
		return error < 0 ? error : PS_TUI_HANDLED;
	case PS_TUI_REQ_SHOW:
		fl = ps_setup_field_at(f->step, f->list.sel);
		if (fl == NULL)
			return PS_TUI_HANDLED;
		error = ps_tui_view(tui, fl->label, f->value[f->list.sel]);
		return error < 0 ? error : PS_TUI_HANDLED;
	case PS_TUI_REQ_DELETE:
		if (work_refuse(&f->work, tui))
			return PS_TUI_HANDLED;
		fl = ps_setup_field_at(f->step, f->list.sel);
		if (fl == NULL || fl->type == PS_SETUP_FIELD_MAPPING ||
		    fl->type == PS_SETUP_FIELD_TEST ||
		    fl->type == PS_SETUP_FIELD_RUN)
			return PS_TUI_HANDLED;
		f->editing = fl;
		error = save_value(f, tui, NULL);
		return error < 0 ? error : PS_TUI_HANDLED;
	case PS_TUI_REQ_TEST: {
		ps_platform p[WORK_QUEUE_MAX];
		size_t i, n = 0;

		if (form_tests(f) == 0)
			return PS_TUI_UNHANDLED;
		for (i = 0; i < f->n && n < WORK_QUEUE_MAX; i++) {
			fl = ps_setup_field_at(f->step, i);
			if (fl->type == PS_SETUP_FIELD_TEST)
				p[n++] = fl->platform;
		}
		error = test_connections(f, tui, p, n);
		return error < 0 ? error : PS_TUI_HANDLED;
	}
	case PS_TUI_REQ_FETCH:
		if ((error = fetch_lists(&f->work, tui)) < 0)
			return error;
		return form_reload(f, tui);
	default:
		return PS_TUI_UNHANDLED;
	}
}

static void
form_status(void *state, ps_tui *tui, char *buf, size_t cap)
{
	struct form *f = state;

	(void)tui;
	snprintf(buf, cap, "field %zu of %zu", f->list.sel + 1, f->n);
}

const ps_screen_ops ps_screen_setup_step = {
	"setup_step", "Setup step", form_open,
	form_close,   form_reload,  form_draw,
	form_handle,  form_status,  "Enter:change t:test u:fetch",
};
