/*
 * tui.h - the operator console's internal API.
 *
 * `pearlsync console` is a client of the core: it reads and writes the
 * database through include/pearlsync/ only and works whether the worker
 * runs or not.  It is split in three layers:
 *
 *   requests   Keys become requests (PS_TUI_REQUESTS below, which also
 *              generates the key bindings and the help screen).  Screens
 *              handle requests, never raw keys.
 *   models     model_*.c: plain structs and functions holding what a screen
 *              shows (the log browser's query and page, the dashboard's
 *              figures, ...).  They never include <curses.h> and are unit
 *              tested like core code (tests/unit/test_tui_*.c).
 *   views      screen_*.c: one `const ps_screen_ops` table per screen that
 *              draws a model with the drawing calls below and turns
 *              requests into model calls.  They do not include <curses.h>
 *              either: only term.c talks to ncurses, and it is the one file
 *              that calls newterm and wgetch.
 *
 * Testing: with a script (ps_tui_options.script, or $PS_TUI_SCRIPT for the
 * pearlsync binary) keys are read from a file instead of the keyboard and
 * `:dump FILE` writes the screen as text, so every screen is compared with
 * golden text in-process (tests/unit/test_tui_screens.c).  Script syntax:
 *
 *   # comment                  ignored
 *   jjj<Enter>                 keys: literal characters, and <Up> <Down>
 *                              <Left> <Right> <PgUp> <PgDn> <Home> <End>
 *                              <Enter> <Esc> <Tab> <BTab> <BS> <Del>
 *                              <F1> <F5> <C-x> <lt> (a literal '<')
 *   :dump FILE                 write the screen (rows, trailing blanks cut)
 *   :tick                      as if the refresh timer fired (reload)
 *   :clock +MS                 advance the injected clock (test clocks only)
 *   :resize ROWS COLS          resize the virtual terminal
 *
 * The script ends the console when it runs out (as if Q were pressed).
 *
 * ADDING A SCREEN
 *   1. Write tui/screen_<name>.c defining
 *        const ps_screen_ops ps_screen_<name> = { ... };
 *      (slots documented at struct ps_screen_ops) and, if it shows data
 *      that needs logic, tui/model_<name>.c + a declaration block in a
 *      header of its own (tui/model_<name>.h) without curses.
 *   2. Declare it below with the other `extern const ps_screen_ops`.
 *   3. A main screen (reached with a number key and Tab): put it in the
 *      table in tui/screens.c with its PS_TUI_REQ_VIEW_* request.  A
 *      sub-screen (detail, editor) is pushed by its parent with
 *      ps_tui_push(tui, &ps_screen_<name>, arg).
 *   4. New keys: add a line to PS_TUI_REQUESTS (the help screen and the
 *      bindings follow).  Reuse existing requests where the meaning fits
 *      (ENTER to open/choose, EDIT, ADD, DELETE, ...).
 *   5. Golden test: add a script + expected dump under tests/console/
 *      golden/ and a line in tests/unit/test_tui_screens.c.
 *
 * Threads: one ps_tui is used from the thread that called ps_tui_run.
 */
#ifndef PEARLSYNC_TUI_H
#define PEARLSYNC_TUI_H

#include <stddef.h>
#include <stdint.h>

#include "pearlsync/common.h"
#include "pearlsync/config.h"
#include "pearlsync/store.h"

/* ------------------------------------------------------------------------ */
/* Requests                                                                  */

/* Control-key code for the bindings below. */
#define PS_TUI_CTRL(c) ((c)&0x1f)

/*
 * X(ID, "keys as shown in the help", "what it does", key1, key2)
 *
 * key1/key2 are ncurses key codes or characters (0: none); they are only
 * expanded in term.c, which includes <curses.h>, so KEY_* names are fine
 * here.  A key bound twice takes the first line.  The order is the order of
 * the help screen.
 */
#define PS_TUI_REQUESTS(X)                                                     \
	X(HELP, "? F1", "list every key (this screen)", '?', KEY_F(1))         \
	X(BACK, "Esc", "close this screen (never quits)", 27, 0)               \
	X(CLOSE, "q", "close this screen; on a main screen: ask to quit", 'q', \
	  0)                                                                   \
	X(QUIT, "Q", "quit the console", 'Q', 0)                               \
	X(VIEW_DASHBOARD, "1", "dashboard", '1', 0)                            \
	X(VIEW_SETUP, "2", "setup steps", '2', 0)                              \
	X(VIEW_MAPPINGS, "3", "mapping editors", '3', 0)                       \
	X(VIEW_LOG, "4", "sync log", '4', 0)                                   \
	X(VIEW_HISTORY, "5", "settings history", '5', 0)                       \
	X(NEXT_VIEW, "Tab", "next main screen", '\t', 0)                       \
	X(PREV_VIEW, "S-Tab", "previous main screen", KEY_BTAB, 0)             \
	X(UP, "Up k", "move up", KEY_UP, 'k')                                  \
	X(DOWN, "Down j", "move down", KEY_DOWN, 'j')                          \
	X(LEFT, "Left h", "move left / previous choice", KEY_LEFT, 'h')        \
	X(RIGHT, "Right l", "move right / next choice", KEY_RIGHT, 'l')        \
	X(PAGE_UP, "PgUp ^B", "page up", KEY_PPAGE, PS_TUI_CTRL('b'))          \
	X(PAGE_DOWN, "PgDn ^F", "page down", KEY_NPAGE, PS_TUI_CTRL('f'))      \
	X(HOME, "Home g", "first row", KEY_HOME, 'g')                          \
	X(END, "End G", "last row", KEY_END, 'G')                              \
	X(ENTER, "Enter", "open, choose or edit the selected row", '\n',       \
	  KEY_ENTER)                                                           \
	X(SHOW, "v", "show the selected value in full", 'v', 0)                \
	X(SEARCH, "/", "search: filter by text", '/', 0)                       \
	X(FILTER_STATUS, "s",                                                  \
	  "filter by status (cycles all, pending, "                            \
	  "synced, failed)",                                                   \
	  's', 0)                                                              \
	X(FILTER_FLOW, "f", "filter by flow", 'f', 0)                          \
	X(FILTER_CLEAR, "c", "clear every filter", 'c', 0)                     \
	X(RETRY, "r", "retry the selected entry", 'r', 0)                      \
	X(RETRY_ALL, "R",                                                      \
	  "retry the failed entries in the filter or of "                      \
	  "the selected flow",                                                 \
	  'R', 0)                                                              \
	X(FORGET, "F",                                                         \
	  "forget a customer: redact their personal data (by e-mail)", 'F', 0) \
	X(PAUSE, "p", "pause or resume the selected flow", 'p', 0)             \
	X(RUN_NOW, "n", "run the selected flow now", 'n', 0)                   \
	X(ROLLBACK, "b", "roll back to the selected version", 'b', 0)          \
	X(EDIT, "e", "edit the selected value", 'e', 0)                        \
	X(ADD, "a", "add a row", 'a', 0)                                       \
	X(DELETE, "d Del", "delete the selected row", 'd', KEY_DC)             \
	X(TEST, "t", "test the connection", 't', 0)                            \
	X(FETCH, "u", "update drop-down values from the platforms", 'u', 0)    \
	X(IMPORT, "i", "import rows from a CSV file", 'i', 0)                  \
	X(EXPORT, "o", "export rows to a CSV file", 'o', 0)                    \
	X(RECONCILE, "x",                                                      \
	  "reconciliation: what differs between the platforms", 'x', 0)        \
	X(QUEUE_MISSING, "m",                                                  \
	  "reconciliation: queue the missing orders for import", 'm', 0)       \
	X(RELOAD, "^L F5", "reload from the database and redraw",              \
	  PS_TUI_CTRL('l'), KEY_F(5))

typedef enum ps_tui_request {
	PS_TUI_REQ_NONE = 0,
	/* internal: the refresh timer fired (reload data, redraw) */
	PS_TUI_REQ_TICK,
	/* internal: the terminal was resized */
	PS_TUI_REQ_RESIZE,
#define PS_TUI__REQ_ENUM(id, keys, help, k1, k2) PS_TUI_REQ_##id,
	PS_TUI_REQUESTS(PS_TUI__REQ_ENUM)
#undef PS_TUI__REQ_ENUM
		PS_TUI_REQ_COUNT
} ps_tui_request;

/* One line of the requests table, for the help screen. */
typedef struct ps_tui_request_info {
	ps_tui_request request;
	const char *name; /* "RETRY_ALL" */
	const char *keys; /* "R" */
	const char *help; /* "retry every failed entry in the filter" */
} ps_tui_request_info;

/* ps_tui_requests - the table in help order; *out_n entries.  Static. */
const ps_tui_request_info *ps_tui_requests(size_t *out_n);

/* ps_tui_request_find - the info for req, or NULL (internal requests). */
const ps_tui_request_info *ps_tui_request_find(ps_tui_request req);

/* ------------------------------------------------------------------------ */
/* The console                                                               */

typedef struct ps_tui ps_tui;

/* The clock: unix ms.  Injected so tests and golden dumps are stable. */
typedef int64_t (*ps_tui_clock_fn)(void *payload);

typedef struct ps_tui_options {
	ps_store *store;         /* borrowed, read-write; required */
	const ps_config *config; /* borrowed; NULL: built-in defaults */
	const char *script;      /* key script path; NULL: the keyboard */
	ps_tui_clock_fn clock;   /* NULL: the wall clock */
	void *clock_payload;     /* handed to clock */
	int rows, cols;          /* script mode terminal size; 0: 24x80 */
	int no_color;            /* nonzero: no colours (NO_COLOR is also
				  * honoured) */
	int tick_ms;             /* interactive reload period; 0: 2000 */
	ps_tui_request first;    /* first main screen; NONE: dashboard */
} ps_tui_options;

#define PS_TUI_OPTIONS_INIT                                                    \
	{                                                                      \
		NULL, NULL, NULL, NULL, NULL, 0, 0, 0, 0, PS_TUI_REQ_NONE      \
	}

/*
 * ps_tui_run - run the console until the operator quits, the script ends
 * or SIGINT/SIGTERM/SIGHUP arrives.  The caller has called
 * setlocale(LC_ALL, "").  Interactive mode needs a terminal on stdin and
 * stdout.  The terminal is restored on every exit path (also from an
 * atexit handler and the signal handlers).  Returns 0, PS_EINVAL (no
 * store), PS_EIO (no terminal, unreadable script, :dump failed) with the
 * detail set.
 */
int ps_tui_run(const ps_tui_options *opts);

/*
 * What the console keeps for its whole session: a screen's own state ends
 * when the operator leaves it, so what should survive a trip to another
 * screen (the sync log's filter) is saved here.  Owned by the ps_tui.
 */
typedef struct ps_tui_session {
	int log_saved;      /* nonzero once the log has saved its filter */
	int log_status;     /* ps_entry_status, or -1 for any */
	char log_flow[128]; /* "" for any */
	char log_text[128]; /* "" for any */
} ps_tui_session;

/* ps_tui_session_get - the session's state (borrowed, never NULL). */
ps_tui_session *ps_tui_session_get(ps_tui *tui);

/* Accessors for screens.  The store and config are borrowed. */
ps_store *ps_tui_store(ps_tui *tui);
const ps_config *ps_tui_config(ps_tui *tui);

/*
 * ps_tui_background - 1 when work may run on another thread (an
 * interactive console with a configuration); 0 when keys come from a
 * script, whose screens must be the same at every run: work runs inline.
 */
int ps_tui_background(const ps_tui *tui);

/*
 * ps_tui_busy - a screen waits for work on another thread (on) or no
 * longer (off): while on, the refresh timer (PS_TUI_REQ_TICK) fires at
 * every pause in the input, so the screen polls its work, and Ctrl-C
 * sends PS_TUI_REQ_BACK (the screen cancels the work) instead of quitting.
 */
void ps_tui_busy(ps_tui *tui, int on);
int64_t ps_tui_now(ps_tui *tui);

/* ------------------------------------------------------------------------ */
/* Screens                                                                   */

/* What a screen's handle slot returns (or a negative PS_E*). */
#define PS_TUI_HANDLED 0
#define PS_TUI_UNHANDLED 1

typedef struct ps_screen_ops {
	/* "log": a short identifier (tests, messages). */
	const char *name;
	/* Shown in the header bar and the tab list: "Sync log". */
	const char *title;
	/*
	 * open - build the screen's state into *out (return 0) from arg
	 * (the opener's, borrowed during the call; may be NULL) and load
	 * its data.  On failure return a PS_E* with ps_error_set(): the
	 * message bar shows it and the screen is not shown.
	 */
	int (*open)(void **out, ps_tui *tui, const void *arg);
	/* close - free the state (NULL is fine). */
	void (*close)(void *state);
	/*
	 * reload - re-read from the database: on the refresh timer, on
	 * RELOAD, and when the screen comes back to the top of the stack.
	 * Keep the selection where possible.  NULL: nothing to reload.
	 * A negative return is shown in the message bar.
	 */
	int (*reload)(void *state, ps_tui *tui);
	/*
	 * draw - paint the body (rows 0..ps_tui_body_rows()-1, columns
	 * 0..ps_tui_body_cols()-1) with the drawing calls below; the body
	 * was cleared.  Called after every request; must not touch the store
	 * (data is loaded by open/reload/handle).
	 */
	void (*draw)(void *state, ps_tui *tui);
	/*
	 * handle - act on one request.  Return PS_TUI_HANDLED,
	 * PS_TUI_UNHANDLED (the framework then applies the global meaning:
	 * BACK, QUIT, HELP, VIEW_*, ...) or a negative PS_E* (the message
	 * bar shows ps_error_last()).
	 */
	int (*handle)(void *state, ps_tui *tui, ps_tui_request req);
	/*
	 * status - the bottom line's text when no message is shown ("1,204
	 * entries  filter: failed"), into buf (cap bytes).  NULL: none.
	 */
	void (*status)(void *state, ps_tui *tui, char *buf, size_t cap);
	/* Short key hints for the bottom line's right end: "r:retry". */
	const char *hint;
} ps_screen_ops;

/*
 * ps_tui_push - open ops with arg and put it on top of the stack.  Returns
 * 0 or the open slot's error (then nothing changes).
 */
int ps_tui_push(ps_tui *tui, const ps_screen_ops *ops, const void *arg);

/* ps_tui_pop - close the top screen (the last one: the console quits). */
void ps_tui_pop(ps_tui *tui);

/* ps_tui_quit - leave the console after this request. */
void ps_tui_quit(ps_tui *tui);

/* The screens of this console (tui/screen_*.c). */
extern const ps_screen_ops ps_screen_dashboard;
extern const ps_screen_ops ps_screen_log;
extern const ps_screen_ops ps_screen_log_detail; /* arg: const int64_t *id */
extern const ps_screen_ops ps_screen_history;
extern const ps_screen_ops ps_screen_help;
extern const ps_screen_ops ps_screen_setup;     /* screen_setup.c */
extern const ps_screen_ops ps_screen_mappings;  /* screen_mappings.c */
extern const ps_screen_ops ps_screen_view;      /* arg: ps_tui_view_arg */
extern const ps_screen_ops ps_screen_reconcile; /* screen_reconcile.c */

/* What ps_screen_view shows (both borrowed during open, then copied). */
typedef struct ps_tui_view_arg {
	const char *title; /* heading line; NULL: "Value" */
	const char *text;  /* the full value; newlines kept */
} ps_tui_view_arg;

/*
 * ps_tui_view - push a screen showing text in full, wrapped and scrolled
 * (for a value a list cut with an ellipsis: Enter on the row).  Returns 0
 * or the push's error.
 */
int ps_tui_view(ps_tui *tui, const char *title, const char *text);

/* The main screens, in tab order, ending with {PS_TUI_REQ_NONE, NULL}. */
typedef struct ps_tui_main_screen {
	ps_tui_request request;   /* PS_TUI_REQ_VIEW_* */
	const char *key;          /* "1", as shown in the header */
	const char *title;        /* "Sync log", as shown in the header */
	const ps_screen_ops *ops; /* opened with arg = title */
} ps_tui_main_screen;

extern const ps_tui_main_screen ps_tui_main_screens[];

/* ------------------------------------------------------------------------ */
/* Drawing (screens' draw slots only)                                        */

typedef enum ps_tui_attr {
	PS_TUI_NORMAL = 0,
	PS_TUI_HEADING,  /* column headings, section titles */
	PS_TUI_SELECTED, /* the selected row */
	PS_TUI_DIM,      /* secondary text */
	PS_TUI_GOOD,     /* synced, running, done */
	PS_TUI_WARN,     /* pending, needs attention */
	PS_TUI_BAD,      /* failed, stopped, errors */
	PS_TUI_ATTR_COUNT
} ps_tui_attr;

/* Size of the body area (the screen minus header and bottom line). */
int ps_tui_body_rows(const ps_tui *tui);
int ps_tui_body_cols(const ps_tui *tui);

/*
 * ps_tui_text - draw UTF-8 text at body row, col, at most width display
 * columns (width <= 0: to the right edge), cut at a character boundary.
 * Returns the columns used.  Out-of-body coordinates draw nothing.
 */
int ps_tui_text(ps_tui *tui, int row, int col, int width, ps_tui_attr attr,
		const char *text);
int ps_tui_textf(ps_tui *tui, int row, int col, int width, ps_tui_attr attr,
		 const char *fmt, ...) __attribute__((format(printf, 6, 7)));

/*
 * ps_tui_cell - as ps_tui_text, but a text cut to width ends with an
 * ellipsis (ps_tui_ellipsize): for list cells whose values may be longer
 * than their column.
 */
int ps_tui_cell(ps_tui *tui, int row, int col, int width, ps_tui_attr attr,
		const char *text);

/* ps_tui_fill - paint body row with attr across the full width. */
void ps_tui_fill(ps_tui *tui, int row, ps_tui_attr attr);

/* ------------------------------------------------------------------------ */
/* The bottom bar: messages, prompts, confirmations, pickers                 */

/*
 * ps_tui_message - show a one-line message until the next key (is_error:
 * in the error colour).  Redacted.
 */
void ps_tui_message(ps_tui *tui, int is_error, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * Modal helpers.  At most one is open; while it is, keys go to it.  The
 * payload must stay valid until the callback has run (screen state is
 * fine: a screen cannot close while its modal is open).
 */

/*
 * A prompt's callback: text is what was typed (borrowed), NULL when the
 * operator pressed Esc.  Return 0 to close the prompt, or a negative PS_E*
 * with ps_error_set() to refuse the value: the message is shown and the
 * prompt stays open for a correction.
 */
typedef int (*ps_tui_prompt_cb)(ps_tui *tui, void *payload, const char *text);

/*
 * ps_tui_prompt - a one-line text input in the bottom bar, starting with
 * initial (may be NULL).  secret: echo '*'.  Enter submits, Esc cancels,
 * Left/Right/Home/End/Backspace/Delete edit; UTF-8 input.
 */
void ps_tui_prompt(ps_tui *tui, const char *label, const char *initial,
		   int secret, ps_tui_prompt_cb cb, void *payload);

/* A confirmation's callback: yes nonzero when the operator answered y. */
typedef int (*ps_tui_confirm_cb)(ps_tui *tui, void *payload, int yes);

/* ps_tui_confirm - ask "question [y/N]" in the bottom bar. */
void ps_tui_confirm(ps_tui *tui, const char *question, ps_tui_confirm_cb cb,
		    void *payload);

/*
 * A picker's callback: index into items and the item (borrowed), or -1 and
 * NULL when cancelled.  Return as for ps_tui_prompt_cb (an error keeps the
 * picker open).
 */
typedef int (*ps_tui_pick_cb)(ps_tui *tui, void *payload, long index,
			      const char *item);

/*
 * ps_tui_pick - a drop-down list over the body: n items (copied), initial
 * selection, Up/Down/PgUp/PgDn/Home/End move, Enter chooses, Esc cancels,
 * typing a character jumps to the next item starting with it.  Returns 0 or
 * PS_ENOMEM.
 */
int ps_tui_pick(ps_tui *tui, const char *title, const char *const *items,
		size_t n, size_t initial, ps_tui_pick_cb cb, void *payload);

/*
 * ps_tui_pick_many - the same as a checklist: items start "[x] " or
 * "[ ] "; Space calls cb with the selected item (which switches it) and
 * flips its mark, the list staying open; Enter closes it (before any
 * Space it switches the selected item first); Esc closes it.  Closing
 * calls cb with -1 and NULL.
 */
int ps_tui_pick_many(ps_tui *tui, const char *title, const char *const *items,
		     size_t n, size_t initial, ps_tui_pick_cb cb,
		     void *payload);

/* ------------------------------------------------------------------------ */
/* Widgets' models (no curses: tui/widgets.c, unit tested)                   */

/*
 * A scrolling list's selection: count rows, sel selected, top the first
 * shown.  Screens keep one per list and let it handle movement requests.
 */
typedef struct ps_tui_list {
	size_t count;
	size_t sel;
	size_t top;
} ps_tui_list;

/* ps_tui_list_set_count - new row count; sel and top stay in range. */
void ps_tui_list_set_count(ps_tui_list *l, size_t count);

/*
 * ps_tui_list_move - apply UP, DOWN, PAGE_UP, PAGE_DOWN, HOME, END for a
 * view of rows lines.  Returns 1 if req is a movement (handled), else 0.
 */
int ps_tui_list_move(ps_tui_list *l, ps_tui_request req, int rows);

/* ps_tui_list_show - scroll so sel is within the rows shown. */
void ps_tui_list_show(ps_tui_list *l, int rows);

#define PS_TUI_INPUT_MAX 512

/* A one-line text being edited: UTF-8 bytes, cursor a byte offset. */
typedef struct ps_tui_input {
	char text[PS_TUI_INPUT_MAX];
	size_t len;
	size_t cursor;
} ps_tui_input;

/* ps_tui_input_set - replace the text (cut to fit), cursor at the end. */
void ps_tui_input_set(ps_tui_input *in, const char *text);

/* ps_tui_input_insert - insert a Unicode code point at the cursor.
 * Returns 0, or -1 if it does not fit or is not a printable code point. */
int ps_tui_input_insert(ps_tui_input *in, uint32_t cp);

/* ps_tui_input_edit - LEFT, RIGHT, HOME, END; returns 1 if handled. */
int ps_tui_input_edit(ps_tui_input *in, ps_tui_request req);

/* ps_tui_input_backspace / _delete - remove the character before / at the
 * cursor (whole UTF-8 sequences). */
void ps_tui_input_backspace(ps_tui_input *in);
void ps_tui_input_delete(ps_tui_input *in);

/* ------------------------------------------------------------------------ */
/* Text helpers (no curses: tui/text.c)                                      */

/*
 * ps_tui_utf8_fit - how many bytes of s fit in width display columns
 * (never splitting a character); *out_cols (may be NULL) the columns they
 * use.  Invalid bytes count as one column each.
 */
size_t ps_tui_utf8_fit(const char *s, int width, int *out_cols);

/* ps_tui_utf8_width - display columns of s. */
int ps_tui_utf8_width(const char *s);

/*
 * ps_tui_ellipsize - s cut to width display columns into buf (cap bytes):
 * as it is when it fits, else cut at a character boundary and ended with
 * an ellipsis ("\u2026"; "~" when the locale is not UTF-8), so a cut value
 * never passes for the whole one.  Returns buf ("" for NULL s or width
 * <= 0).
 */
char *ps_tui_ellipsize(char *buf, size_t cap, const char *s, int width);

/* ps_tui_format_time - ms as local "YYYY-MM-DD HH:MM" ("-" for 0). */
char *ps_tui_format_time(char *buf, size_t cap, int64_t ms);

/* ps_tui_format_age - a duration: "5s", "3m 4s", "2h 5m", "3d 4h". */
char *ps_tui_format_age(char *buf, size_t cap, int64_t ms);

/* ps_tui_format_count - 1234567 as "1,234,567". */
char *ps_tui_format_count(char *buf, size_t cap, int64_t n);

/* ps_tui_day_start - local midnight (ms) of the day containing ms. */
int64_t ps_tui_day_start(int64_t ms);

/* The actor recorded in the settings history for console changes. */
#define PS_TUI_ACTOR "console"

#endif
