/*
 * screen_view.c - a value in full: the text a list cut with an ellipsis,
 * wrapped to the screen's width (at blanks where it can, at newlines
 * always) and scrolled with the movement keys.  Pushed by a list with
 * ps_tui_view(); q or Esc goes back.
 */
#include "tui.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct view {
	char *title; /* owned */
	char *text;  /* owned */
	/* the wrapped lines: offsets and lengths into text */
	size_t *at, *len;
	size_t n, cap;
	int width; /* the wrap width the lines were built for */
	size_t top;
};

static int
add_line(struct view *v, size_t at, size_t len)
{
	size_t cap, *a, *l;

	if (v->n == v->cap) {
		cap = v->cap ? v->cap * 2 : 32;
		if ((a = realloc(v->at, cap * sizeof(*a))) == NULL)
			return ps_error_set(PS_ENOMEM, "out of memory");
		v->at = a;
		if ((l = realloc(v->len, cap * sizeof(*l))) == NULL)
			return ps_error_set(PS_ENOMEM, "out of memory");
		v->len = l;
		v->cap = cap;
	}
	v->at[v->n] = at;
	v->len[v->n] = len;
	v->n++;
	return 0;
}

/* Split text into lines of at most width columns. */
static int
wrap(struct view *v, int width)
{
	const char *p = v->text;
	size_t n, nl, cut;
	int error;

	v->n = 0;
	v->width = width;
	if (width < 1)
		width = 1;
	do {
		nl = strcspn(p, "\n");
		n = ps_tui_utf8_fit(p, width, NULL);
		if (n > nl)
			n = nl;
		if (n < nl) {
			/* prefer a blank in the second half of the line */
			for (cut = n; cut > n / 2; cut--)
				if (p[cut] == ' ')
					break;
			if (cut > n / 2)
				n = cut;
		}
		if (n == 0 && nl > 0) { /* wider than the screen: one char */
			n = 1;
			while (((unsigned char)p[n] & 0xc0) == 0x80)
				n++;
		}
		if ((error = add_line(v, (size_t)(p - v->text), n)) < 0)
			return error;
		p += n;
		if (*p == '\n' || (*p == ' ' && n < nl))
			p++;
	} while (*p != '\0');
	return 0;
}

static int
view_open(void **out, ps_tui *tui, const void *arg)
{
	const ps_tui_view_arg *a = arg;
	struct view *v;
	int error;

	if (a == NULL || a->text == NULL)
		return ps_error_set(PS_EINVAL, "view: no text");
	if ((v = calloc(1, sizeof(*v))) == NULL)
		return ps_error_set(PS_ENOMEM, "out of memory");
	v->title = strdup(a->title != NULL ? a->title : "Value");
	v->text = strdup(a->text);
	if (v->title == NULL || v->text == NULL) {
		error = ps_error_set(PS_ENOMEM, "out of memory");
		goto fail;
	}
	if ((error = wrap(v, ps_tui_body_cols(tui) - 4)) < 0)
		goto fail;
	*out = v;
	return 0;
fail:
	free(v->title);
	free(v->text);
	free(v->at);
	free(v->len);
	free(v);
	return error;
}

static void
view_close(void *state)
{
	struct view *v = state;

	if (v == NULL)
		return;
	free(v->title);
	free(v->text);
	free(v->at);
	free(v->len);
	free(v);
}

static int
view_rows(ps_tui *tui)
{
	int r = ps_tui_body_rows(tui) - 2;

	return r > 1 ? r : 1;
}

static void
view_draw(void *state, ps_tui *tui)
{
	struct view *v = state;
	char line[1024];
	int i, rows = view_rows(tui);
	size_t k;

	ps_tui_cell(tui, 0, 1, 0, PS_TUI_HEADING, v->title);
	for (i = 0; i < rows; i++) {
		k = v->top + (size_t)i;
		if (k >= v->n)
			break;
		snprintf(line, sizeof(line), "%.*s", (int)v->len[k],
			 v->text + v->at[k]);
		ps_tui_text(tui, i + 2, 2, 0, PS_TUI_NORMAL, line);
	}
}

static int
view_handle(void *state, ps_tui *tui, ps_tui_request req)
{
	struct view *v = state;
	size_t rows = (size_t)view_rows(tui);
	size_t last = v->n > rows ? v->n - rows : 0;

	switch (req) {
	case PS_TUI_REQ_UP:
		if (v->top > 0)
			v->top--;
		return PS_TUI_HANDLED;
	case PS_TUI_REQ_DOWN:
		if (v->top < last)
			v->top++;
		return PS_TUI_HANDLED;
	case PS_TUI_REQ_PAGE_UP:
		v->top = v->top > rows ? v->top - rows : 0;
		return PS_TUI_HANDLED;
	case PS_TUI_REQ_PAGE_DOWN:
		v->top = v->top + rows < last ? v->top + rows : last;
		return PS_TUI_HANDLED;
	case PS_TUI_REQ_HOME:
		v->top = 0;
		return PS_TUI_HANDLED;
	case PS_TUI_REQ_END:
		v->top = last;
		return PS_TUI_HANDLED;
	case PS_TUI_REQ_ENTER:
		ps_tui_pop(tui);
		return PS_TUI_HANDLED;
	case PS_TUI_REQ_RESIZE:
		if (ps_tui_body_cols(tui) - 4 != v->width) {
			v->top = 0;
			return wrap(v, ps_tui_body_cols(tui) - 4);
		}
		return PS_TUI_HANDLED;
	default:
		return PS_TUI_UNHANDLED;
	}
}

static void
view_status(void *state, ps_tui *tui, char *buf, size_t cap)
{
	struct view *v = state;
	size_t rows = (size_t)view_rows(tui);
	size_t end = v->top + rows < v->n ? v->top + rows : v->n;

	snprintf(buf, cap, "lines %zu-%zu of %zu", v->n ? v->top + 1 : 0, end,
		 v->n);
}

const ps_screen_ops ps_screen_view = {
	.name = "view",
	.title = "Value",
	.open = view_open,
	.close = view_close,
	.reload = NULL,
	.draw = view_draw,
	.handle = view_handle,
	.status = view_status,
	.hint = "",
};

int
ps_tui_view(ps_tui *tui, const char *title, const char *text)
{
	ps_tui_view_arg a;

	a.title = title;
	a.text = text;
	return ps_tui_push(tui, &ps_screen_view, &a);
}
