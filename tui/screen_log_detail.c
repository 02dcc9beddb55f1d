/*
 * screen_log_detail.c - one sync log entry in full: status, attempts,
 * next attempt, the settings version of its last attempt, the full
 * reason, ids on both sides, what was sent, and the audit timeline of
 * the order it is about (pearlsync/audit.h; what `pearlsync audit`
 * prints).  Long text is wrapped to the screen width; Up/Down scroll; r
 * retries.
 */
#include "tui.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pearlsync/audit.h"
#include "pearlsync/money.h"

struct line {
	char *label; /* NULL: continuation */
	char *text;
	ps_tui_attr attr;
	int wide; /* drawn from the left edge (the timeline's steps) */
};

struct detail {
	int64_t id;
	ps_log_entry e;
	struct line *lines;
	size_t n, cap;
	ps_tui_list list;
	int width; /* the wrap width the lines were built for */
	int wide;  /* lines added now are wide */
};

static void
free_lines(struct detail *d)
{
	size_t i;

	for (i = 0; i < d->n; i++) {
		free(d->lines[i].label);
		free(d->lines[i].text);
	}
	free(d->lines);
	d->lines = NULL;
	d->n = d->cap = 0;
}

static int
add_line(struct detail *d, const char *label, ps_tui_attr attr,
	 const char *text, size_t len)
{
	struct line *grown;
	struct line *l;

	if (d->n == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 32;

		if ((grown = realloc(d->lines, cap * sizeof(*grown))) == NULL)
			return ps_error_set(PS_ENOMEM, "out of memory");
		d->lines = grown;
		d->cap = cap;
	}
	l = &d->lines[d->n];
	l->label = label != NULL ? strdup(label) : NULL;
	l->text = strndup(text, len);
	l->attr = attr;
	l->wide = d->wide;
	if ((label != NULL && l->label == NULL) || l->text == NULL) {
		free(l->label);
		free(l->text);
		return ps_error_set(PS_ENOMEM, "out of memory");
	}
	d->n++;
	return 0;
}

/* Add text under label, wrapped at width columns and at newlines. */
static int
add_wrapped(struct detail *d, const char *label, ps_tui_attr attr,
	    const char *text, int width)
{
	const char *p = text != NULL && text[0] != '\0' ? text : "-";
	size_t n, nl, cut;
	int error, first = 1;

	while (*p != '\0' || first) {
		nl = strcspn(p, "\n");
		n = ps_tui_utf8_fit(p, width, NULL);
		if (n > nl)
			n = nl;
		/* prefer to break at a blank */
		if (n < nl) {
			for (cut = n; cut > n / 2; cut--)
				if (p[cut] == ' ')
					break;
			if (cut > n / 2)
				n = cut;
		}
		if ((error = add_line(d, first ? label : NULL, attr, p, n)) < 0)
			return error;
		first = 0;
		p += n;
		if (*p == '\n' || *p == ' ')
			p++;
		if (n == 0 && *p != '\0' && *p != '\n' && p[-1] != '\n' &&
		    p[-1] != ' ')
			p++; /* a character wider than the width */
	}
	return 0;
}

static int addf(struct detail *d, const char *label, ps_tui_attr attr,
		const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int
addf(struct detail *d, const char *label, ps_tui_attr attr, const char *fmt,
     ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return add_line(d, label, attr, buf, strlen(buf));
}

/* The settings version the entry's last attempt ran under. */
static int
add_version(struct detail *d, ps_store *st, int64_t id)
{
	int64_t v = -1;

	if (ps_store_audit_entry_version(&v, st, id) < 0) {
		ps_error_clear();
		return addf(d, "Settings", PS_TUI_DIM, "no attempt recorded");
	}
	return addf(d, "Settings", PS_TUI_NORMAL,
		    "v%lld at the last attempt (5: history)", (long long)v);
}

/* "MM-DD HH:MM:SS", local: steps are often seconds apart */
static const char *
step_time(char *buf, size_t cap, int64_t ms)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (ms <= 0 || localtime_r(&t, &tm) == NULL ||
	    strftime(buf, cap, "%m-%d %H:%M:%S", &tm) == 0)
		snprintf(buf, cap, "-");
	return buf;
}

/*
 * The audit timeline of the entry's order, one step a line (wrapped),
 * under a heading; a store that cannot say is a line, not an error.
 */
static int
add_timeline(struct detail *d, ps_store *st, int64_t id, int width)
{
	ps_audit_row *rows = NULL;
	char t[32], line[1200], step[1024];
	size_t n = 0, i;
	int error = 0;

	if (width < 20)
		width = 20;
	if (ps_store_audit_timeline_of_entry(&rows, &n, st, id) < 0) {
		error = addf(d, "Timeline", PS_TUI_DIM, "unavailable: %.200s",
			     ps_error_last());
		ps_error_clear();
		return error;
	}
	error = addf(d, "Timeline", PS_TUI_HEADING,
		     "%zu step%s of its order, oldest first", n,
		     n == 1 ? "" : "s");
	d->wide = 1;
	for (i = 0; i < n && error == 0; i++) {
		ps_audit_row_describe(step, sizeof(step), &rows[i]);
		snprintf(line, sizeof(line), "%s %s",
			 step_time(t, sizeof(t), rows[i].at), step);
		error = add_wrapped(d, NULL,
				    rows[i].kind == PS_AUDIT_ATTEMPT &&
						    strncmp(rows[i].outcome,
							    "failed", 6) == 0
					    ? PS_TUI_BAD
					    : PS_TUI_NORMAL,
				    line, width);
	}
	d->wide = 0;
	ps_audit_rows_free(rows, n);
	return error;
}

static int
build(struct detail *d, ps_tui *tui)
{
	const ps_log_entry *e = &d->e;
	char t1[32], t2[32], money[PS_MONEY_STR_MAX], subject[192];
	int w = ps_tui_body_cols(tui) - 18, error = 0;
	ps_tui_attr sa;

	free_lines(d);
	if (w < 10)
		w = 10;
	d->width = ps_tui_body_cols(tui);
	sa = e->status == PS_ENTRY_SYNCED   ? PS_TUI_GOOD
	     : e->status == PS_ENTRY_FAILED ? PS_TUI_BAD
					    : PS_TUI_WARN;
#define TRY(x)                                                                 \
	do {                                                                   \
		if ((error = (x)) < 0)                                         \
			return error;                                          \
	} while (0)
	TRY(addf(d, "Entry", PS_TUI_NORMAL, "%lld", (long long)e->id));
	TRY(addf(d, "Flow", PS_TUI_NORMAL, "%s", e->flow ? e->flow : "-"));
	TRY(addf(d, "Kind", PS_TUI_NORMAL, "%s",
		 e->kind && e->kind[0] ? e->kind : "-"));
	TRY(addf(d, "Subject", PS_TUI_NORMAL, "%s",
		 ps_log_entry_subject(subject, sizeof(subject), e)[0] ? subject
								      : "-"));
	TRY(addf(d, "Status", sa, "%s", ps_entry_status_name(e->status)));
	TRY(addf(d, "Order #", PS_TUI_NORMAL, "%s",
		 e->order_number ? e->order_number : "-"));
	if (e->has_total)
		TRY(addf(d, "Total", PS_TUI_NORMAL, "%s %s",
			 ps_money_format(money, sizeof(money), e->total, 2),
			 e->currency ? e->currency : ""));
	else
		TRY(addf(d, "Total", PS_TUI_NORMAL, "-"));
	TRY(addf(d, "Inserted", PS_TUI_NORMAL, "%s",
		 ps_tui_format_time(t1, sizeof(t1), e->inserted_at)));
	TRY(addf(d, "Updated", PS_TUI_NORMAL, "%s",
		 ps_tui_format_time(t1, sizeof(t1), e->updated_at)));
	TRY(addf(d, "Synced", PS_TUI_NORMAL, "%s",
		 ps_tui_format_time(t1, sizeof(t1), e->synced_at)));
	TRY(addf(d, "Attempts", PS_TUI_NORMAL, "%d", e->attempts));
	TRY(add_version(d, ps_tui_store(tui), e->id));
	if (e->next_attempt_at > 0)
		TRY(addf(d, "Next attempt", PS_TUI_NORMAL, "%s",
			 ps_tui_format_time(t2, sizeof(t2),
					    e->next_attempt_at)));
	else
		TRY(addf(d, "Next attempt", PS_TUI_NORMAL, "%s",
			 e->status == PS_ENTRY_FAILED
				 ? "none: waits for a retry (r)"
				 : "-"));
	TRY(addf(d, "Source", PS_TUI_NORMAL, "%s id %s",
		 ps_platform_name(e->source_platform),
		 e->source_id ? e->source_id : "-"));
	TRY(addf(d, "Target", PS_TUI_NORMAL, "%s id %s",
		 ps_platform_name(e->target_platform),
		 e->target_id ? e->target_id : "-"));
	TRY(addf(d, "Shipping", PS_TUI_NORMAL, "%s; shipment %s",
		 e->shipping_method ? e->shipping_method : "-",
		 e->shipment_status ? e->shipment_status : "-"));
	if (e->error_code != 0)
		TRY(addf(d, "Error", PS_TUI_NORMAL, "%s",
			 ps_strerror(e->error_code)));
	TRY(add_wrapped(d, "Reason",
			e->status == PS_ENTRY_FAILED ? PS_TUI_BAD
						     : PS_TUI_NORMAL,
			e->reason, w));
	TRY(add_wrapped(d, "Sent", PS_TUI_NORMAL, e->detail, w));
	TRY(addf(d, "Key", PS_TUI_DIM, "%s",
		 e->dedupe_key ? e->dedupe_key : "-"));
	TRY(add_timeline(d, ps_tui_store(tui), e->id,
			 ps_tui_body_cols(tui) - 3));
#undef TRY
	ps_tui_list_set_count(&d->list, d->n);
	return 0;
}

static int
detail_reload(void *state, ps_tui *tui)
{
	struct detail *d = state;
	ps_log_entry e;
	int error;

	if ((error = ps_store_log_get(&e, ps_tui_store(tui), d->id)) < 0)
		return error;
	ps_log_entry_dispose(&d->e);
	d->e = e;
	return build(d, tui);
}

static void
detail_close(void *state)
{
	struct detail *d = state;

	if (d == NULL)
		return;
	free_lines(d);
	ps_log_entry_dispose(&d->e);
	free(d);
}

static int
detail_open(void **out, ps_tui *tui, const void *arg)
{
	struct detail *d;
	int error;

	if (arg == NULL)
		return ps_error_set(PS_EINVAL, "no entry given");
	if ((d = calloc(1, sizeof(*d))) == NULL)
		return ps_error_set(PS_ENOMEM, "out of memory");
	ps_log_entry_init(&d->e);
	d->id = *(const int64_t *)arg;
	if ((error = detail_reload(d, tui)) < 0) {
		detail_close(d);
		return error;
	}
	*out = d;
	return 0;
}

static void
detail_draw(void *state, ps_tui *tui)
{
	struct detail *d = state;
	int rows = ps_tui_body_rows(tui) - 1, i;
	size_t k;

	ps_tui_list_show(&d->list, rows);
	for (i = 0; i < rows; i++) {
		k = d->list.top + (size_t)i;
		if (k >= d->n)
			break;
		if (d->lines[k].label != NULL)
			ps_tui_text(tui, i + 1, 1, 15, PS_TUI_HEADING,
				    d->lines[k].label);
		ps_tui_text(tui, i + 1, d->lines[k].wide ? 2 : 17, 0,
			    d->lines[k].attr, d->lines[k].text);
	}
}

static int
detail_handle(void *state, ps_tui *tui, ps_tui_request req)
{
	struct detail *d = state;
	int rows = ps_tui_body_rows(tui) - 1, error;

	switch (req) {
	case PS_TUI_REQ_UP:
	case PS_TUI_REQ_PAGE_UP:
	case PS_TUI_REQ_HOME:
		/* scroll: the selection is the top line */
		d->list.sel = d->list.top;
		ps_tui_list_move(&d->list, req, rows);
		d->list.top = d->list.sel;
		return PS_TUI_HANDLED;
	case PS_TUI_REQ_DOWN:
	case PS_TUI_REQ_PAGE_DOWN:
	case PS_TUI_REQ_END:
		if (d->n <= (size_t)rows)
			return PS_TUI_HANDLED;
		d->list.sel = d->list.top;
		ps_tui_list_move(&d->list, req, rows);
		if (d->list.sel > d->n - (size_t)rows)
			d->list.sel = d->n - (size_t)rows;
		d->list.top = d->list.sel;
		return PS_TUI_HANDLED;
	case PS_TUI_REQ_RESIZE:
		return build(d, tui);
	case PS_TUI_REQ_RETRY:
		if ((error = ps_store_log_retry(ps_tui_store(tui), d->id,
						ps_tui_now(tui))) < 0)
			return error;
		ps_tui_message(tui, 0, "entry %lld queued for retry",
			       (long long)d->id);
		return detail_reload(d, tui);
	default:
		return PS_TUI_UNHANDLED;
	}
}

static void
detail_status(void *state, ps_tui *tui, char *buf, size_t cap)
{
	struct detail *d = state;

	(void)tui;
	snprintf(buf, cap, "entry %lld", (long long)d->id);
}

const ps_screen_ops ps_screen_log_detail = {
	"log_detail", "Entry",       detail_open,   detail_close, detail_reload,
	detail_draw,  detail_handle, detail_status, "r:retry",
};
