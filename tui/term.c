/*
 * term.c - the console's terminal: the only file that talks to ncurses.
 *
 * It owns the screen stack, turns keys into requests (from the keyboard
 * or from a key script), runs the modal widgets of the bottom bar (message,
 * prompt, confirmation, picker), draws the header and bottom lines around
 * the top screen's body, and dumps the screen as text for golden tests.
 *
 * Terminal restoration: endwin() runs when ps_tui_run returns, from an
 * atexit handler if the process exits while curses is active, and after
 * SIGINT/SIGTERM/SIGHUP (the handlers only set a flag; the loop polls it at
 * least every INPUT_POLL_MS, restores the terminal and returns).  SIGWINCH
 * is left to ncurses, which reports it as KEY_RESIZE.
 */
#include "tui.h"

#include <curses.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <wchar.h>

#include "pearlsync/log.h"

#define STACK_MAX 16
#define INPUT_POLL_MS 200
#define DEFAULT_TICK_MS 2000
#define MESSAGE_MAX 512
/* How long the rest of an escape sequence may take after its ESC (ms). */
#define ESC_FOLLOW_MS 40
/* Longest escape sequence swallowed; longer ones are cut and ignored. */
#define ESC_SEQ_MAX 24

/* Set by the signal handlers; the loop polls it. */
static volatile sig_atomic_t signalled;
/* Nonzero while curses owns the terminal (for the atexit handler). */
static volatile sig_atomic_t curses_active;
/* The atexit handler is registered once per process. */
static volatile sig_atomic_t atexit_done;

typedef enum modal_kind {
	MODAL_NONE = 0,
	MODAL_PROMPT,
	MODAL_CONFIRM,
	MODAL_PICK
} modal_kind;

/* A key as read: a character (is_char) or an ncurses KEY_* code. */
typedef struct key {
	int code;
	int is_char;
} key;

struct frame {
	const ps_screen_ops *ops;
	void *state;
};

struct ps_tui {
	ps_tui_options opts;
	ps_config default_config;
	SCREEN *screen;
	FILE *out, *in;
	int rows, cols;
	int color;
	int quit;
	int main_index; /* into ps_tui_main_screens */
	struct frame stack[STACK_MAX];
	int depth;
	int64_t clock_offset; /* :clock +MS */
	ps_tui_session session;
	int busy; /* ps_tui_busy: a screen waits for work */
	char message[MESSAGE_MAX];
	int message_error;
	struct {
		modal_kind kind;
		char label[256];
		ps_tui_input input;
		int secret;
		ps_tui_prompt_cb prompt_cb;
		ps_tui_confirm_cb confirm_cb;
		ps_tui_pick_cb pick_cb;
		void *payload;
		char **items;
		size_t n_items;
		ps_tui_list list;
		int multi;   /* ps_tui_pick_many: a checklist */
		int toggled; /* values it switched while open */
	} modal;
};

/* ------------------------------------------------------------------------ */
/* Key bindings, from the requests table                                     */

struct binding {
	int key;
	ps_tui_request req;
};

static const struct binding bindings[] = {
#define PS_TUI__BIND(id, keys, help, k1, k2)                                   \
	{k1, PS_TUI_REQ_##id}, {k2, PS_TUI_REQ_##id},
	PS_TUI_REQUESTS(PS_TUI__BIND)
#undef PS_TUI__BIND
};

static ps_tui_request
key_request(key k)
{
	size_t i;
	int code = k.code;

	if (!k.is_char && code == KEY_RESIZE)
		return PS_TUI_REQ_RESIZE;
	if (k.is_char && code == '\r')
		code = '\n';
	for (i = 0; i < sizeof(bindings) / sizeof(bindings[0]); i++) {
		if (bindings[i].key == 0)
			continue;
		/* characters are below KEY_MIN, function keys above */
		if (k.is_char != (bindings[i].key < KEY_MIN))
			continue;
		if (bindings[i].key == code)
			return bindings[i].req;
	}
	return PS_TUI_REQ_NONE;
}

/* ------------------------------------------------------------------------ */
/* Accessors                                                                 */

ps_store *
ps_tui_store(ps_tui *tui)
{
	return tui->opts.store;
}

const ps_config *
ps_tui_config(ps_tui *tui)
{
	return tui->opts.config != NULL ? tui->opts.config
					: &tui->default_config;
}

ps_tui_session *
ps_tui_session_get(ps_tui *tui)
{
	return &tui->session;
}

int
ps_tui_background(const ps_tui *tui)
{
	return tui->opts.script == NULL && tui->opts.config != NULL;
}

void
ps_tui_busy(ps_tui *tui, int on)
{
	tui->busy = on;
}

int64_t
ps_tui_now(ps_tui *tui)
{
	struct timespec ts;

	if (tui->opts.clock != NULL)
		return tui->opts.clock(tui->opts.clock_payload) +
		       tui->clock_offset;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int
ps_tui_body_rows(const ps_tui *tui)
{
	return tui->rows > 2 ? tui->rows - 2 : 0;
}

int
ps_tui_body_cols(const ps_tui *tui)
{
	return tui->cols;
}

void
ps_tui_quit(ps_tui *tui)
{
	tui->quit = 1;
}

/* ------------------------------------------------------------------------ */
/* Drawing                                                                   */

static attr_t
attr_of(const ps_tui *tui, ps_tui_attr a)
{
	switch (a) {
	case PS_TUI_HEADING:
		return A_BOLD;
	case PS_TUI_SELECTED:
		return A_REVERSE;
	case PS_TUI_DIM:
		return tui->color ? A_DIM : A_NORMAL;
	case PS_TUI_GOOD:
		return tui->color ? COLOR_PAIR(1) : A_NORMAL;
	case PS_TUI_WARN:
		return tui->color ? COLOR_PAIR(2) | A_BOLD : A_BOLD;
	case PS_TUI_BAD:
		return tui->color ? COLOR_PAIR(3) | A_BOLD : A_BOLD;
	default:
		return A_NORMAL;
	}
}

/* Draw text at absolute y, x, within width columns; returns columns. */
static int
put_text(ps_tui *tui, int y, int x, int width, attr_t attr, const char *text)
{
	char clean[1024];
	size_t i, n;
	int cols;

	if (y < 0 || y >= tui->rows || x < 0 || x >= tui->cols || text == NULL)
		return 0;
	if (width <= 0 || x + width > tui->cols)
		width = tui->cols - x;
	/* control characters (newlines in reasons) would move the cursor */
	for (i = 0; text[i] != '\0' && i + 1 < sizeof(clean); i++)
		clean[i] = (unsigned char)text[i] < 0x20 || text[i] == 0x7f
				   ? ' '
				   : text[i];
	clean[i] = '\0';
	n = ps_tui_utf8_fit(clean, width, &cols);
	attron(attr);
	mvaddnstr(y, x, clean, (int)n);
	attroff(attr);
	return cols;
}

int
ps_tui_text(ps_tui *tui, int row, int col, int width, ps_tui_attr attr,
	    const char *text)
{
	if (row < 0 || row >= ps_tui_body_rows(tui))
		return 0;
	return put_text(tui, row + 1, col, width, attr_of(tui, attr), text);
}

int
ps_tui_cell(ps_tui *tui, int row, int col, int width, ps_tui_attr attr,
	    const char *text)
{
	char buf[1024];
	int room = tui->cols - col;

	if (width <= 0 || width > room)
		width = room;
	return ps_tui_text(tui, row, col, width, attr,
			   ps_tui_ellipsize(buf, sizeof(buf), text, width));
}

int
ps_tui_textf(ps_tui *tui, int row, int col, int width, ps_tui_attr attr,
	     const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return ps_tui_text(tui, row, col, width, attr, buf);
}

void
ps_tui_fill(ps_tui *tui, int row, ps_tui_attr attr)
{
	if (row < 0 || row >= ps_tui_body_rows(tui))
		return;
	attron(attr_of(tui, attr));
	mvhline(row + 1, 0, ' ', tui->cols);
	/* a marker, so the selection shows without colours or reverse */
	if (attr == PS_TUI_SELECTED)
		mvaddch(row + 1, 0, '>');
	attroff(attr_of(tui, attr));
}

static void
draw_header(ps_tui *tui)
{
	const ps_tui_main_screen *m;
	int x, i;
	char tab[64];

	attron(A_REVERSE);
	mvhline(0, 0, ' ', tui->cols);
	x = put_text(tui, 0, 0, 0, A_REVERSE | A_BOLD, " pearlsync ");
	for (i = 0, m = ps_tui_main_screens; m->ops != NULL; m++, i++) {
		/* brackets mark the current tab without colours too */
		snprintf(tab, sizeof(tab),
			 i == tui->main_index ? "[%s %s]" : " %s %s ", m->key,
			 m->title);
		x += put_text(tui, 0, x, 0,
			      i == tui->main_index ? A_BOLD : A_REVERSE, tab);
	}
	if (tui->depth > 1) {
		snprintf(tab, sizeof(tab), " > %s",
			 tui->stack[tui->depth - 1].ops->title);
		put_text(tui, 0, x, 0, A_REVERSE, tab);
	}
	attroff(A_REVERSE);
}

static void
draw_bottom(ps_tui *tui)
{
	const struct frame *top = &tui->stack[tui->depth - 1];
	int y = tui->rows - 1, x, w;
	char buf[MESSAGE_MAX], hint[160];
	size_t i;

	move(y, 0);
	clrtoeol();
	switch (tui->modal.kind) {
	case MODAL_PROMPT:
		/* a refused value keeps the prompt open: say why above it */
		if (tui->message[0] != '\0' && y > 0) {
			move(y - 1, 0);
			clrtoeol();
			put_text(tui, y - 1, 0, 0,
				 tui->message_error ? attr_of(tui, PS_TUI_BAD)
						    : A_BOLD,
				 tui->message);
		}
		x = put_text(tui, y, 0, 0, A_BOLD, tui->modal.label);
		x += put_text(tui, y, x, 0, A_NORMAL, " ");
		if (tui->modal.secret) {
			for (i = 0; i < sizeof(buf) - 1 &&
				    i < (size_t)ps_tui_utf8_width(
						tui->modal.input.text);
			     i++)
				buf[i] = '*';
			buf[i] = '\0';
		} else {
			snprintf(buf, sizeof(buf), "%s", tui->modal.input.text);
		}
		put_text(tui, y, x, 0, A_NORMAL, buf);
		/* the cursor goes after the text before it */
		snprintf(buf, sizeof(buf), "%.*s", (int)tui->modal.input.cursor,
			 tui->modal.input.text);
		w = ps_tui_utf8_width(buf);
		move(y, x + w < tui->cols ? x + w : tui->cols - 1);
		return;
	case MODAL_CONFIRM:
		snprintf(buf, sizeof(buf), "%s [y/N]", tui->modal.label);
		put_text(tui, y, 0, 0, A_BOLD, buf);
		return;
	default:
		break;
	}
	if (tui->message[0] != '\0') {
		put_text(tui, y, 0, 0,
			 tui->message_error ? attr_of(tui, PS_TUI_BAD) : A_BOLD,
			 tui->message);
		return;
	}
	buf[0] = '\0';
	if (top->ops->status != NULL)
		top->ops->status(top->state, tui, buf, sizeof(buf));
	/* "Q:quit" always shows: the screen's own hints go first when the
	 * line is short */
	snprintf(hint, sizeof(hint), "%s%s?:help %sQ:quit",
		 top->ops->hint != NULL ? top->ops->hint : "",
		 top->ops->hint != NULL && top->ops->hint[0] ? " " : "",
		 tui->depth > 1 ? "q:back " : "");
	if (ps_tui_utf8_width(hint) > tui->cols / 2 + 8)
		snprintf(hint, sizeof(hint), "?:help %sQ:quit",
			 tui->depth > 1 ? "q:back " : "");
	w = ps_tui_utf8_width(hint);
	put_text(tui, y, 0, tui->cols - w - 1, A_NORMAL, buf);
	if (w < tui->cols)
		put_text(tui, y, tui->cols - w, 0, A_DIM, hint);
}

static void
draw_picker(ps_tui *tui)
{
	int body = ps_tui_body_rows(tui),
	    w = ps_tui_utf8_width(tui->modal.label);
	int h, x0, y0, i, width;
	size_t k;

	for (k = 0; k < tui->modal.n_items; k++)
		if (ps_tui_utf8_width(tui->modal.items[k]) > w)
			w = ps_tui_utf8_width(tui->modal.items[k]);
	width = w + 4;
	if (width > tui->cols - 2)
		width = tui->cols - 2;
	if (width < 12)
		width = 12 < tui->cols ? 12 : tui->cols;
	h = (int)tui->modal.n_items + 2;
	if (h > body - 2)
		h = body - 2;
	if (h < 3)
		h = 3;
	ps_tui_list_show(&tui->modal.list, h - 2);
	x0 = (tui->cols - width) / 2;
	y0 = 1 + (body - h) / 2;
	for (i = 0; i < h; i++) {
		move(y0 + i, x0);
		if (i == 0 || i == h - 1) {
			addch('+');
			hline('-', width - 2);
			mvaddch(y0 + i, x0 + width - 1, '+');
		} else {
			addch('|');
			hline(' ', width - 2);
			mvaddch(y0 + i, x0 + width - 1, '|');
		}
	}
	put_text(tui, y0, x0 + 2, width - 4, A_BOLD, tui->modal.label);
	for (i = 0; i < h - 2; i++) {
		k = tui->modal.list.top + (size_t)i;
		if (k >= tui->modal.n_items)
			break;
		if (k == tui->modal.list.sel) {
			attron(A_REVERSE);
			mvhline(y0 + 1 + i, x0 + 1, ' ', width - 2);
			mvaddch(y0 + 1 + i, x0 + 1, '>');
			attroff(A_REVERSE);
		}
		put_text(tui, y0 + 1 + i, x0 + 2, width - 4,
			 k == tui->modal.list.sel ? A_REVERSE : A_NORMAL,
			 tui->modal.items[k]);
	}
}

static void
draw(ps_tui *tui)
{
	const struct frame *top;

	erase();
	if (tui->depth == 0)
		return;
	top = &tui->stack[tui->depth - 1];
	draw_header(tui);
	top->ops->draw(top->state, tui);
	if (tui->modal.kind == MODAL_PICK)
		draw_picker(tui);
	curs_set(tui->modal.kind == MODAL_PROMPT ? 1 : 0);
	draw_bottom(tui);
	if (tui->modal.kind != MODAL_PROMPT)
		move(tui->rows - 1, tui->cols - 1);
}

/* Write the screen as text, one line per row, trailing blanks cut. */
static int
dump(ps_tui *tui, const char *path)
{
	wchar_t wrow[1024];
	char line[4096], mb[MB_LEN_MAX];
	mbstate_t ps;
	size_t o, i, n;
	FILE *f;
	int y;

	draw(tui);
	if ((f = fopen(path, "w")) == NULL)
		return ps_error_set(PS_EIO, "%s: %s", path, strerror(errno));
	for (y = 0; y < tui->rows; y++) {
		/* wide read, so UTF-8 text comes back whole */
		if (mvinnwstr(y, 0, wrow, tui->cols) == ERR)
			wrow[0] = L'\0';
		memset(&ps, 0, sizeof(ps));
		for (o = 0, i = 0; wrow[i] != L'\0'; i++) {
			n = wcrtomb(mb, wrow[i], &ps);
			if (n == (size_t)-1) {
				mb[0] = '?';
				n = 1;
			}
			if (o + n >= sizeof(line))
				break;
			memcpy(line + o, mb, n);
			o += n;
		}
		while (o > 0 && line[o - 1] == ' ')
			o--;
		line[o] = '\0';
		fprintf(f, "%s\n", line);
	}
	if (fclose(f) != 0)
		return ps_error_set(PS_EIO, "%s: write failed", path);
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Screen stack                                                              */

static void
reload_top(ps_tui *tui)
{
	struct frame *top;
	int error;

	if (tui->depth == 0)
		return;
	top = &tui->stack[tui->depth - 1];
	if (top->ops->reload == NULL)
		return;
	if ((error = top->ops->reload(top->state, tui)) < 0)
		ps_tui_message(tui, 1, "%s", ps_error_last());
}

int
ps_tui_push(ps_tui *tui, const ps_screen_ops *ops, const void *arg)
{
	void *state = NULL;
	int error;

	if (tui->depth >= STACK_MAX)
		return ps_error_set(PS_EINVAL, "too many screens open");
	if ((error = ops->open(&state, tui, arg)) < 0)
		return error;
	tui->stack[tui->depth].ops = ops;
	tui->stack[tui->depth].state = state;
	tui->depth++;
	return 0;
}

void
ps_tui_pop(ps_tui *tui)
{
	struct frame *top;

	if (tui->depth == 0)
		return;
	top = &tui->stack[--tui->depth];
	if (top->ops->close != NULL)
		top->ops->close(top->state);
	top->state = NULL;
	if (tui->depth == 0)
		tui->quit = 1;
	else
		reload_top(tui);
}

/* Replace the whole stack with main screen i; on failure keep the old. */
static int
switch_main(ps_tui *tui, int i)
{
	const ps_tui_main_screen *m = &ps_tui_main_screens[i];
	void *state = NULL;
	struct frame *f;
	int error;

	if ((error = m->ops->open(&state, tui, m->title)) < 0)
		return error;
	while (tui->depth > 0) {
		f = &tui->stack[--tui->depth];
		if (f->ops->close != NULL)
			f->ops->close(f->state);
	}
	tui->stack[0].ops = m->ops;
	tui->stack[0].state = state;
	tui->depth = 1;
	tui->main_index = i;
	return 0;
}

static int
main_count(void)
{
	int n = 0;

	while (ps_tui_main_screens[n].ops != NULL)
		n++;
	return n;
}

/* ------------------------------------------------------------------------ */
/* Messages and modal widgets                                                */

void
ps_tui_message(ps_tui *tui, int is_error, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(tui->message, sizeof(tui->message), fmt, ap);
	va_end(ap);
	ps_redact(tui->message, sizeof(tui->message));
	tui->message_error = is_error;
}

static void
modal_close(ps_tui *tui)
{
	size_t i;

	for (i = 0; i < tui->modal.n_items; i++)
		free(tui->modal.items[i]);
	free(tui->modal.items);
	memset(&tui->modal, 0, sizeof(tui->modal));
}

void
ps_tui_prompt(ps_tui *tui, const char *label, const char *initial, int secret,
	      ps_tui_prompt_cb cb, void *payload)
{
	modal_close(tui);
	tui->modal.kind = MODAL_PROMPT;
	snprintf(tui->modal.label, sizeof(tui->modal.label), "%s", label);
	ps_tui_input_set(&tui->modal.input, initial);
	tui->modal.secret = secret;
	tui->modal.prompt_cb = cb;
	tui->modal.payload = payload;
}

void
ps_tui_confirm(ps_tui *tui, const char *question, ps_tui_confirm_cb cb,
	       void *payload)
{
	modal_close(tui);
	tui->modal.kind = MODAL_CONFIRM;
	snprintf(tui->modal.label, sizeof(tui->modal.label), "%s", question);
	tui->modal.confirm_cb = cb;
	tui->modal.payload = payload;
}

int
ps_tui_pick(ps_tui *tui, const char *title, const char *const *items, size_t n,
	    size_t initial, ps_tui_pick_cb cb, void *payload)
{
	char **copy = NULL;
	size_t i;

	modal_close(tui);
	if (n > 0 && (copy = calloc(n, sizeof(*copy))) == NULL)
		return ps_error_set(PS_ENOMEM, "out of memory");
	for (i = 0; i < n; i++) {
		if ((copy[i] = strdup(items[i] ? items[i] : "")) == NULL) {
			while (i > 0)
				free(copy[--i]);
			free(copy);
			return ps_error_set(PS_ENOMEM, "out of memory");
		}
	}
	tui->modal.kind = MODAL_PICK;
	snprintf(tui->modal.label, sizeof(tui->modal.label), "%s", title);
	tui->modal.items = copy;
	tui->modal.n_items = n;
	tui->modal.pick_cb = cb;
	tui->modal.payload = payload;
	ps_tui_list_set_count(&tui->modal.list, n);
	tui->modal.list.sel = initial < n ? initial : 0;
	return 0;
}

/* The callback's verdict: 0 closes the modal, an error keeps it open. */
static void
modal_result(ps_tui *tui, int error)
{
	if (error < 0)
		ps_tui_message(tui, 1, "%s", ps_error_last());
}

int
ps_tui_pick_many(ps_tui *tui, const char *title, const char *const *items,
		 size_t n, size_t initial, ps_tui_pick_cb cb, void *payload)
{
	int error = ps_tui_pick(tui, title, items, n, initial, cb, payload);

	if (error == 0)
		tui->modal.multi = 1;
	return error;
}

/* A checklist's Space (and Enter before any Space): switch the selected
 * value through the callback, flip its mark, stay open. */
static void
pick_toggle(ps_tui *tui, int close_after)
{
	ps_tui_pick_cb cb = tui->modal.pick_cb;
	void *payload = tui->modal.payload;
	long index = (long)tui->modal.list.sel;
	char item[PS_TUI_INPUT_MAX], *it;
	int error;

	snprintf(item, sizeof(item), "%s", tui->modal.items[index]);
	error = cb != NULL ? cb(tui, payload, index, item) : 0;
	if (error < 0) {
		modal_result(tui, error);
		return;
	}
	if (tui->modal.kind != MODAL_PICK || tui->modal.pick_cb != cb)
		return; /* the callback opened something else */
	it = tui->modal.items[index];
	if (strncmp(it, "[x] ", 4) == 0)
		it[1] = ' ';
	else if (strncmp(it, "[ ] ", 4) == 0)
		it[1] = 'x';
	tui->modal.toggled++;
	if (close_after)
		modal_close(tui);
}

static void
prompt_key(ps_tui *tui, key k)
{
	ps_tui_prompt_cb cb = tui->modal.prompt_cb;
	void *payload = tui->modal.payload;
	char text[PS_TUI_INPUT_MAX];
	int error;

	if (k.is_char && (k.code == '\n' || k.code == '\r' || k.code == 27)) {
		snprintf(text, sizeof(text), "%s", tui->modal.input.text);
		if (k.code == 27) {
			modal_close(tui);
			if (cb != NULL)
				cb(tui, payload, NULL);
			return;
		}
		error = cb != NULL ? cb(tui, payload, text) : 0;
		/* the callback may have opened another modal: keep it */
		if (error < 0)
			modal_result(tui, error);
		else if (tui->modal.kind == MODAL_PROMPT &&
			 tui->modal.prompt_cb == cb &&
			 tui->modal.payload == payload)
			modal_close(tui);
		return;
	}
	if ((k.is_char && (k.code == 127 || k.code == 8)) ||
	    (!k.is_char && k.code == KEY_BACKSPACE)) {
		ps_tui_input_backspace(&tui->modal.input);
		return;
	}
	if (!k.is_char && k.code == KEY_DC) {
		ps_tui_input_delete(&tui->modal.input);
		return;
	}
	if (k.is_char && k.code == 0x15) { /* Ctrl-U, as in readline */
		ps_tui_input_set(&tui->modal.input, "");
		return;
	}
	if (k.is_char && k.code >= 0x20) {
		ps_tui_input_insert(&tui->modal.input, (uint32_t)k.code);
		return;
	}
	if (!k.is_char)
		ps_tui_input_edit(&tui->modal.input, key_request(k));
}

static void
confirm_key(ps_tui *tui, key k)
{
	ps_tui_confirm_cb cb = tui->modal.confirm_cb;
	void *payload = tui->modal.payload;
	int yes = k.is_char && (k.code == 'y' || k.code == 'Y');

	modal_close(tui);
	if (cb != NULL)
		modal_result(tui, cb(tui, payload, yes));
}

static void
pick_key(ps_tui *tui, key k)
{
	ps_tui_pick_cb cb = tui->modal.pick_cb;
	void *payload = tui->modal.payload;
	ps_tui_request req = key_request(k);
	char item[PS_TUI_INPUT_MAX];
	size_t i, n = tui->modal.n_items;
	long index;
	int rows = ps_tui_body_rows(tui) - 4, error;

	if (req == PS_TUI_REQ_BACK || req == PS_TUI_REQ_CLOSE ||
	    req == PS_TUI_REQ_QUIT ||
	    (tui->modal.multi && req == PS_TUI_REQ_ENTER &&
	     tui->modal.toggled > 0)) {
		modal_close(tui);
		if (cb != NULL)
			cb(tui, payload, -1, NULL);
		return;
	}
	if (tui->modal.multi && n > 0 &&
	    ((k.is_char && k.code == ' ') || req == PS_TUI_REQ_ENTER)) {
		pick_toggle(tui, req == PS_TUI_REQ_ENTER);
		return;
	}
	if (req == PS_TUI_REQ_ENTER) {
		if (n == 0)
			return;
		index = (long)tui->modal.list.sel;
		snprintf(item, sizeof(item), "%s", tui->modal.items[index]);
		error = cb != NULL ? cb(tui, payload, index, item) : 0;
		if (error < 0)
			modal_result(tui, error);
		else if (tui->modal.kind == MODAL_PICK &&
			 tui->modal.pick_cb == cb)
			modal_close(tui);
		return;
	}
	if (ps_tui_list_move(&tui->modal.list, req, rows > 1 ? rows : 1))
		return;
	/* a letter jumps to the next item starting with it */
	if (k.is_char && k.code > 0x20 && k.code < 0x7f && n > 0) {
		for (i = 1; i <= n; i++) {
			size_t j = (tui->modal.list.sel + i) % n;
			int c = (unsigned char)tui->modal.items[j][0];

			if (c != 0 && (c | 0x20) == (k.code | 0x20)) {
				tui->modal.list.sel = j;
				break;
			}
		}
	}
}

/* ------------------------------------------------------------------------ */
/* Dispatch                                                                  */

static int
quit_confirmed(ps_tui *tui, void *payload, int yes)
{
	(void)payload;
	if (yes)
		tui->quit = 1;
	return 0;
}

static void
global_request(ps_tui *tui, ps_tui_request req)
{
	const ps_tui_main_screen *m;
	int i, n = main_count(), error = 0;

	switch (req) {
	case PS_TUI_REQ_QUIT:
		tui->quit = 1;
		return;
	case PS_TUI_REQ_BACK:
	case PS_TUI_REQ_CLOSE:
		/*
		 * Esc is also the first byte of every function key: a
		 * sequence the terminal database does not know must never
		 * end the console (and with it a demo's worker), so on a
		 * main screen Esc only says how to quit, and q asks.
		 */
		if (tui->depth > 1)
			ps_tui_pop(tui);
		else if (req == PS_TUI_REQ_CLOSE)
			ps_tui_confirm(tui, "Quit pearlsync console?",
				       quit_confirmed, NULL);
		else
			ps_tui_message(tui, 0, "Q quits the console");
		return;
	case PS_TUI_REQ_HELP:
		if (tui->stack[tui->depth - 1].ops != &ps_screen_help)
			error = ps_tui_push(tui, &ps_screen_help, NULL);
		break;
	case PS_TUI_REQ_RECONCILE:
		if (tui->stack[tui->depth - 1].ops != &ps_screen_reconcile)
			error = ps_tui_push(tui, &ps_screen_reconcile, NULL);
		break;
	case PS_TUI_REQ_NEXT_VIEW:
		error = switch_main(tui, (tui->main_index + 1) % n);
		break;
	case PS_TUI_REQ_PREV_VIEW:
		error = switch_main(tui, (tui->main_index + n - 1) % n);
		break;
	case PS_TUI_REQ_RELOAD:
	case PS_TUI_REQ_TICK:
		reload_top(tui);
		if (req == PS_TUI_REQ_RELOAD)
			clearok(curscr, TRUE);
		return;
	default:
		for (i = 0, m = ps_tui_main_screens; m->ops != NULL; m++, i++)
			if (m->request == req) {
				error = switch_main(tui, i);
				break;
			}
		break;
	}
	if (error < 0)
		ps_tui_message(tui, 1, "%s", ps_error_last());
}

static void
request(ps_tui *tui, ps_tui_request req)
{
	struct frame *top;
	int rc;

	if (req == PS_TUI_REQ_NONE || tui->depth == 0)
		return;
	top = &tui->stack[tui->depth - 1];
	rc = top->ops->handle != NULL ? top->ops->handle(top->state, tui, req)
				      : PS_TUI_UNHANDLED;
	if (rc < 0)
		ps_tui_message(tui, 1, "%s", ps_error_last());
	else if (rc == PS_TUI_UNHANDLED)
		global_request(tui, req);
}

static void
press(ps_tui *tui, key k)
{
	ps_tui_request req = key_request(k);

	if (req == PS_TUI_REQ_RESIZE) {
		getmaxyx(stdscr, tui->rows, tui->cols);
		request(tui, req);
		return;
	}
	tui->message[0] = '\0';
	switch (tui->modal.kind) {
	case MODAL_PROMPT:
		prompt_key(tui, k);
		return;
	case MODAL_CONFIRM:
		confirm_key(tui, k);
		return;
	case MODAL_PICK:
		pick_key(tui, k);
		return;
	default:
		request(tui, req);
	}
}

/* ------------------------------------------------------------------------ */
/* Key scripts                                                               */

static const struct {
	const char *name;
	int code;
	int is_char;
} key_names[] = {
	{"Up", KEY_UP, 0},        {"Down", KEY_DOWN, 0},
	{"Left", KEY_LEFT, 0},    {"Right", KEY_RIGHT, 0},
	{"PgUp", KEY_PPAGE, 0},   {"PgDn", KEY_NPAGE, 0},
	{"Home", KEY_HOME, 0},    {"End", KEY_END, 0},
	{"Enter", '\n', 1},       {"Esc", 27, 1},
	{"Tab", '\t', 1},         {"BTab", KEY_BTAB, 0},
	{"BS", KEY_BACKSPACE, 0}, {"Del", KEY_DC, 0},
	{"F1", KEY_F(1), 0},      {"F5", KEY_F(5), 0},
	{"lt", '<', 1},
};

/* Press the keys written on one script line. */
static int
script_keys(ps_tui *tui, const char *line, int lineno)
{
	const char *p = line, *end;
	mbstate_t ps;
	wchar_t wc;
	size_t i, n, len;
	key k;

	while (*p != '\0' && !tui->quit) {
		if (*p == '<' && (end = strchr(p, '>')) != NULL &&
		    end > p + 1) {
			len = (size_t)(end - p - 1);
			k.code = -1;
			for (i = 0;
			     i < sizeof(key_names) / sizeof(key_names[0]); i++)
				if (strlen(key_names[i].name) == len &&
				    strncmp(key_names[i].name, p + 1, len) ==
					    0) {
					k.code = key_names[i].code;
					k.is_char = key_names[i].is_char;
				}
			if (len == 3 && p[1] == 'C' && p[2] == '-') {
				k.code = PS_TUI_CTRL(p[3]);
				k.is_char = 1;
			}
			if (k.code < 0)
				return ps_error_set(PS_EINVAL,
						    "script line %d: unknown "
						    "key <%.*s>",
						    lineno, (int)len, p + 1);
			press(tui, k);
			p = end + 1;
			continue;
		}
		memset(&ps, 0, sizeof(ps));
		n = mbrtowc(&wc, p, strlen(p), &ps);
		if (n == (size_t)-1 || n == (size_t)-2 || n == 0) {
			wc = (unsigned char)*p;
			n = 1;
		}
		k.code = (int)wc;
		k.is_char = 1;
		press(tui, k);
		p += n;
	}
	return 0;
}

static int
script_command(ps_tui *tui, const char *line, int lineno)
{
	char *end;
	long a, b;

	if (strncmp(line, ":dump ", 6) == 0)
		return dump(tui, line + 6);
	if (strcmp(line, ":tick") == 0) {
		request(tui, PS_TUI_REQ_TICK);
		return 0;
	}
	if (strncmp(line, ":clock +", 8) == 0) {
		a = strtol(line + 8, &end, 10);
		if (*end != '\0' || a < 0)
			goto bad;
		tui->clock_offset += a;
		return 0;
	}
	if (strncmp(line, ":resize ", 8) == 0) {
		a = strtol(line + 8, &end, 10);
		b = strtol(end, &end, 10);
		if (*end != '\0' || a < 3 || b < 20 || a > 500 || b > 1000)
			goto bad;
		resizeterm((int)a, (int)b);
		tui->rows = (int)a;
		tui->cols = (int)b;
		request(tui, PS_TUI_REQ_RESIZE);
		return 0;
	}
bad:
	return ps_error_set(PS_EINVAL, "script line %d: bad command '%s'",
			    lineno, line);
}

static int
run_script(ps_tui *tui, FILE *script)
{
	char line[2048];
	size_t n;
	int lineno = 0, error = 0;

	while (!tui->quit && fgets(line, sizeof(line), script) != NULL) {
		lineno++;
		n = strlen(line);
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = '\0';
		if (n == 0 || line[0] == '#')
			continue;
		error = line[0] == ':' ? script_command(tui, line, lineno)
				       : script_keys(tui, line, lineno);
		if (error < 0)
			break;
	}
	return error;
}

/* ------------------------------------------------------------------------ */
/* Terminal setup and the loop                                               */

static void
on_signal(int sig)
{
	signalled = sig;
}

static void
restore_at_exit(void)
{
	if (curses_active) {
		curses_active = 0;
		endwin();
	}
}

static void
setup_colors(ps_tui *tui)
{
	const char *nc = getenv("NO_COLOR");

	tui->color = !tui->opts.no_color && (nc == NULL || nc[0] == '\0') &&
		     has_colors();
	if (!tui->color)
		return;
	start_color();
	use_default_colors();
	init_pair(1, COLOR_GREEN, -1);
	init_pair(2, COLOR_YELLOW, -1);
	init_pair(3, COLOR_RED, -1);
}

/*
 * Home and End as terminals other than the terminfo entry's send them
 * (tmux and screen, PuTTY, rxvt, the VT220 keypad): taught to ncurses, so
 * they arrive as KEY_HOME / KEY_END whatever $TERM says.
 */
static const struct {
	const char *seq;
	int code;
} extra_keys[] = {
	{"\033[1~", KEY_HOME}, {"\033[7~", KEY_HOME}, {"\033[H", KEY_HOME},
	{"\033OH", KEY_HOME},  {"\033[4~", KEY_END},  {"\033[8~", KEY_END},
	{"\033[F", KEY_END},   {"\033OF", KEY_END},
};

static void
define_extra_keys(void)
{
	size_t i;

	for (i = 0; i < sizeof(extra_keys) / sizeof(extra_keys[0]); i++)
		if (key_defined(extra_keys[i].seq) <= 0)
			define_key(extra_keys[i].seq, extra_keys[i].code);
}

/*
 * ESC arrived as a character: either the Esc key, or the start of a
 * sequence ncurses did not recognise (its bytes follow at once).  Read
 * the rest, so "ESC [ 4 ~" is swallowed whole instead of acting as Esc,
 * '[', '4', '~'.  Any other key right after ESC is the operator typing
 * fast (Esc to close a picker, then q): it is put back and ESC is the Esc
 * key.  Returns the Esc key, a key known from extra_keys, or code -1 for
 * a sequence to ignore.
 */
static key
read_escape(void)
{
	char seq[ESC_SEQ_MAX + 1];
	size_t n = 0, i;
	wint_t wch;
	int rc, csi;
	key k = {27, 1};

	timeout(ESC_FOLLOW_MS);
	rc = get_wch(&wch);
	if (rc == ERR)
		goto out; /* the Esc key alone */
	if (rc == KEY_CODE_YES) {
		ungetch((int)wch);
		goto out;
	}
	if (wch != '[' && wch != 'O') {
		unget_wch((wchar_t)wch);
		goto out;
	}
	k.code = -1;
	csi = wch == '[';
	seq[n++] = (char)wch;
	/* CSI: parameters and intermediates up to a final byte 0x40-0x7e;
	 * SS3: one more character */
	while (n < ESC_SEQ_MAX) {
		if ((rc = get_wch(&wch)) != OK)
			goto out;
		seq[n++] = wch < 0x80 ? (char)wch : '?';
		if (!csi || (wch >= 0x40 && wch <= 0x7e))
			break;
	}
	seq[n] = '\0';
	for (i = 0; i < sizeof(extra_keys) / sizeof(extra_keys[0]); i++)
		if (strcmp(extra_keys[i].seq + 1, seq) == 0)
			k = (key){extra_keys[i].code, 0};
out:
	timeout(INPUT_POLL_MS);
	return k;
}

static void
read_key_loop(ps_tui *tui)
{
	int tick_ms =
		tui->opts.tick_ms > 0 ? tui->opts.tick_ms : DEFAULT_TICK_MS;
	int64_t last = ps_tui_now(tui), now;
	wint_t wch;
	int rc;
	key k;

	timeout(INPUT_POLL_MS);
	while (!tui->quit) {
		if (signalled == SIGINT && tui->busy) {
			/* Ctrl-C cancels the work in hand, not the console */
			signalled = 0;
			request(tui, PS_TUI_REQ_BACK);
		}
		if (signalled)
			break;
		draw(tui);
		refresh();
		rc = get_wch(&wch);
		if (signalled)
			continue; /* the loop's head decides */
		now = ps_tui_now(tui);
		if (rc == ERR) {
			/* busy: the timer polls the work at every pause */
			if (now - last >=
				    (tui->busy ? INPUT_POLL_MS : tick_ms) &&
			    tui->modal.kind == 0) {
				request(tui, PS_TUI_REQ_TICK);
				last = now;
			}
			continue;
		}
		k = (key){(int)wch, rc == OK};
		if (k.is_char && k.code == 27 && (k = read_escape()).code < 0)
			continue; /* an unknown key: ignored */
		press(tui, k);
	}
}

int
ps_tui_run(const ps_tui_options *opts)
{
	struct sigaction sa, old_int, old_term, old_hup;
	ps_tui *tui = NULL;
	FILE *script = NULL;
	const char *term;
	int error = 0, rows, cols;

	if (opts == NULL || opts->store == NULL)
		return ps_error_set(PS_EINVAL, "ps_tui_run: no store");
	if ((tui = calloc(1, sizeof(*tui))) == NULL)
		return ps_error_set(PS_ENOMEM, "out of memory");
	tui->opts = *opts;
	ps_config_init(&tui->default_config);
	signalled = 0;

	if (opts->script != NULL) {
		if ((script = fopen(opts->script, "r")) == NULL) {
			error = ps_error_set(PS_EIO, "%s: %s", opts->script,
					     strerror(errno));
			goto done;
		}
		tui->out = fopen("/dev/null", "w");
		tui->in = fopen("/dev/null", "r");
		if (tui->out == NULL || tui->in == NULL) {
			error = ps_error_set(PS_EIO, "/dev/null: %s",
					     strerror(errno));
			goto done;
		}
		term = getenv("TERM");
		if (term == NULL || term[0] == '\0' ||
		    strcmp(term, "dumb") == 0)
			term = "xterm";
		tui->screen = newterm(term, tui->out, tui->in);
	} else {
		if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
			error = ps_error_set(PS_EIO,
					     "the console needs a terminal "
					     "(stdin and stdout)");
			goto done;
		}
		tui->screen = newterm(NULL, stdout, stdin);
	}
	if (tui->screen == NULL) {
		error = ps_error_set(PS_EIO,
				     "cannot initialise the terminal "
				     "(TERM=%s)",
				     getenv("TERM") ? getenv("TERM") : "");
		goto done;
	}
	curses_active = 1;
	if (!atexit_done) {
		atexit(restore_at_exit);
		atexit_done = 1;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	sigaction(SIGHUP, &sa, &old_hup);

	cbreak();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	set_escdelay(25);
	define_extra_keys();
	setup_colors(tui);
	if (script != NULL) {
		rows = opts->rows > 0 ? opts->rows : 24;
		cols = opts->cols > 0 ? opts->cols : 80;
		resizeterm(rows, cols);
	}
	getmaxyx(stdscr, tui->rows, tui->cols);

	{
		int i, first = 0;
		const ps_tui_main_screen *m;

		for (i = 0, m = ps_tui_main_screens; m->ops != NULL; m++, i++)
			if (m->request == opts->first)
				first = i;
		if ((error = switch_main(tui, first)) < 0)
			goto restore;
	}
	if (script != NULL)
		error = run_script(tui, script);
	else
		read_key_loop(tui);

restore:
	while (tui->depth > 0) {
		struct frame *f = &tui->stack[--tui->depth];

		if (f->ops->close != NULL)
			f->ops->close(f->state);
	}
	modal_close(tui);
	endwin();
	curses_active = 0;
	delscreen(tui->screen);
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	sigaction(SIGHUP, &old_hup, NULL);
done:
	if (script != NULL)
		fclose(script);
	if (tui->out != NULL)
		fclose(tui->out);
	if (tui->in != NULL)
		fclose(tui->in);
	free(tui);
	return error;
}
