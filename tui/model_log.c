/*
 * model_log.c - the sync log browser's model (see model_log.h).
 *
 * Each page is read with limit page_size + 1: the extra row only tells
 * whether an older page exists and is dropped.  Nothing is counted: a
 * count over a million rows with a text filter would cost a full scan on
 * every keystroke.  A text search combined with a status or flow filter
 * is read with ps_store_log_search, which stops after a bounded amount of
 * index work: the page may then be short, "more" is set and the next
 * page continues the search where it stopped (resume).
 */
#include "model_log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PAGE_MAX 1000

void
ps_log_browser_init(ps_log_browser *b, size_t page_size)
{
	memset(b, 0, sizeof(*b));
	b->status = -1;
	b->page_size = page_size < 1          ? 1
		       : page_size > PAGE_MAX ? PAGE_MAX
					      : page_size;
	b->page_no = 1;
}

static void
drop_rows(ps_log_browser *b)
{
	ps_log_entries_free(b->rows, b->n);
	b->rows = NULL;
	b->n = 0;
}

void
ps_log_browser_dispose(ps_log_browser *b)
{
	if (b == NULL)
		return;
	drop_rows(b);
	free(b->flow);
	free(b->back);
	memset(b, 0, sizeof(*b));
}

/* Read the page older than before into rows; sel kept on keep_id. */
static int
fetch(ps_log_browser *b, ps_store *st, int64_t before, int64_t keep_id)
{
	ps_log_query q = PS_LOG_QUERY_INIT;
	ps_log_entry *rows = NULL;
	size_t n = 0, i, limit;
	int64_t resume = 0;
	int error;

	limit = b->page_size < PAGE_MAX ? b->page_size + 1 : PAGE_MAX;
	q.status = b->status;
	q.flow = b->flow;
	q.text = b->text[0] != '\0' ? b->text : NULL;
	q.before_id = before;
	q.limit = limit;
	if ((error = ps_store_log_search(&rows, &n, &resume, st, &q)) < 0)
		return error;
	b->more = n > b->page_size || resume != 0;
	/* a page of PAGE_MAX: ask once more, cheaply, whether it goes on */
	if (b->page_size >= PAGE_MAX && n == PAGE_MAX) {
		ps_log_entry *extra = NULL;
		size_t en = 0;
		int64_t r2 = 0;

		q.before_id = rows[n - 1].id;
		q.limit = 1;
		if ((error = ps_store_log_search(&extra, &en, &r2, st, &q)) <
		    0) {
			ps_log_entries_free(rows, n);
			return error;
		}
		b->more = en > 0 || r2 != 0;
		ps_log_entries_free(extra, en);
	}
	/* a search that stopped on its budget goes on below where it
	 * stopped, not below its last row */
	b->resume = n <= b->page_size ? resume : 0;
	while (n > b->page_size)
		ps_log_entry_dispose(&rows[--n]);
	drop_rows(b);
	b->rows = rows;
	b->n = n;
	b->page_before = before;
	b->sel = 0;
	for (i = 0; keep_id != 0 && i < n; i++)
		if (rows[i].id == keep_id)
			b->sel = i;
	return 0;
}

int
ps_log_browser_load(ps_log_browser *b, ps_store *st)
{
	const ps_log_entry *cur = ps_log_browser_selected(b);
	size_t sel = b->sel;
	int64_t keep = cur != NULL ? cur->id : 0;
	int error;

	if ((error = fetch(b, st, b->page_before, keep)) < 0)
		return error;
	/* the selected entry left the filter: stay at the same row */
	if (keep != 0 && (b->n == 0 || b->rows[b->sel].id != keep))
		b->sel = sel < b->n ? sel : (b->n > 0 ? b->n - 1 : 0);
	return 0;
}

static int
restart(ps_log_browser *b, ps_store *st)
{
	b->n_back = 0;
	b->page_no = 1;
	return fetch(b, st, 0, 0);
}

int
ps_log_browser_set_status(ps_log_browser *b, ps_store *st, int status)
{
	if (status < -1 || status >= PS_ENTRY_STATUS_COUNT)
		return ps_error_set(PS_EINVAL, "no such status %d", status);
	b->status = status;
	return restart(b, st);
}

int
ps_log_browser_cycle_status(ps_log_browser *b, ps_store *st)
{
	static const int order[] = {-1, PS_ENTRY_PENDING, PS_ENTRY_SYNCED,
				    PS_ENTRY_FAILED};
	size_t i, n = sizeof(order) / sizeof(order[0]);

	for (i = 0; i < n; i++)
		if (order[i] == b->status)
			break;
	return ps_log_browser_set_status(b, st, order[(i + 1) % n]);
}

int
ps_log_browser_set_flow(ps_log_browser *b, ps_store *st, const char *flow)
{
	char *copy = NULL;

	if (flow != NULL && flow[0] != '\0' && (copy = strdup(flow)) == NULL)
		return ps_error_set(PS_ENOMEM, "out of memory");
	free(b->flow);
	b->flow = copy;
	return restart(b, st);
}

int
ps_log_browser_set_text(ps_log_browser *b, ps_store *st, const char *text)
{
	snprintf(b->text, sizeof(b->text), "%s", text != NULL ? text : "");
	return restart(b, st);
}

int
ps_log_browser_clear(ps_log_browser *b, ps_store *st)
{
	free(b->flow);
	b->flow = NULL;
	b->text[0] = '\0';
	b->status = -1;
	return restart(b, st);
}

int
ps_log_browser_set_page_size(ps_log_browser *b, ps_store *st, size_t page_size)
{
	int64_t keep = b->n > 0 ? b->rows[b->sel].id : 0;

	if (page_size < 1)
		page_size = 1;
	if (page_size > PAGE_MAX)
		page_size = PAGE_MAX;
	if (page_size == b->page_size)
		return 0;
	b->page_size = page_size;
	return fetch(b, st, b->page_before, keep);
}

static int
push_back(ps_log_browser *b, int64_t before)
{
	int64_t *grown;
	size_t cap;

	if (b->n_back == b->cap_back) {
		cap = b->cap_back ? b->cap_back * 2 : 16;
		if ((grown = realloc(b->back, cap * sizeof(*grown))) == NULL)
			return ps_error_set(PS_ENOMEM, "out of memory");
		b->back = grown;
		b->cap_back = cap;
	}
	b->back[b->n_back++] = before;
	return 0;
}

int
ps_log_browser_page_down(ps_log_browser *b, ps_store *st)
{
	int64_t old = b->page_before;
	int error;

	if (!b->more || (b->n == 0 && b->resume == 0))
		return 0;
	if ((error = push_back(b, old)) < 0)
		return error;
	if ((error = fetch(b, st,
			   b->resume != 0 ? b->resume : b->rows[b->n - 1].id,
			   0)) < 0) {
		b->n_back--;
		return error;
	}
	b->page_no++;
	return 0;
}

int
ps_log_browser_page_up(ps_log_browser *b, ps_store *st)
{
	int error;

	if (b->n_back == 0) {
		b->sel = 0;
		return 0;
	}
	if ((error = fetch(b, st, b->back[b->n_back - 1], 0)) < 0)
		return error;
	b->n_back--;
	b->page_no--;
	return 0;
}

int
ps_log_browser_first(ps_log_browser *b, ps_store *st)
{
	if (b->n_back == 0 && b->page_before == 0) {
		b->sel = 0;
		return 0;
	}
	return restart(b, st);
}

void
ps_log_browser_last_row(ps_log_browser *b)
{
	b->sel = b->n > 0 ? b->n - 1 : 0;
}

int
ps_log_browser_down(ps_log_browser *b, ps_store *st)
{
	if (b->sel + 1 < b->n) {
		b->sel++;
		return 0;
	}
	return ps_log_browser_page_down(b, st);
}

int
ps_log_browser_up(ps_log_browser *b, ps_store *st)
{
	int error;

	if (b->sel > 0) {
		b->sel--;
		return 0;
	}
	if (b->n_back == 0)
		return 0;
	if ((error = ps_log_browser_page_up(b, st)) < 0)
		return error;
	ps_log_browser_last_row(b);
	return 0;
}

const ps_log_entry *
ps_log_browser_selected(const ps_log_browser *b)
{
	return b->n > 0 && b->sel < b->n ? &b->rows[b->sel] : NULL;
}

int
ps_log_browser_retry_selected(ps_log_browser *b, ps_store *st, int64_t now)
{
	const ps_log_entry *e = ps_log_browser_selected(b);
	int error;

	if (e == NULL)
		return ps_error_set(PS_ENOTFOUND, "no entry selected");
	if (e->status == PS_ENTRY_SYNCED || e->status == PS_ENTRY_IN_FLIGHT)
		return ps_error_set(PS_EINVAL,
				    "entry %lld is %s: only failed or "
				    "pending entries can be retried",
				    (long long)e->id,
				    ps_entry_status_name(e->status));
	if ((error = ps_store_log_retry(st, e->id, now)) < 0)
		return error;
	return ps_log_browser_load(b, st);
}

/* Retry every failed entry matching the text filter, page by page. */
static int
retry_matching(size_t *count, ps_log_browser *b, ps_store *st, int64_t now)
{
	ps_log_query q = PS_LOG_QUERY_INIT;
	ps_log_entry *rows = NULL;
	size_t n = 0, i;
	int error;

	q.status = PS_ENTRY_FAILED;
	q.flow = b->flow;
	q.text = b->text;
	q.limit = PAGE_MAX;
	for (;;) {
		if ((error = ps_store_log_list(&rows, &n, st, &q)) < 0)
			return error;
		for (i = 0; i < n; i++) {
			if ((error = ps_store_log_retry(st, rows[i].id, now)) <
			    0)
				break;
			(*count)++;
		}
		if (n > 0)
			q.before_id = rows[n - 1].id;
		ps_log_entries_free(rows, n);
		if (error < 0)
			return error;
		if (n < PAGE_MAX)
			return 0;
	}
}

int
ps_log_browser_retry_filtered(size_t *out, ps_log_browser *b, ps_store *st,
			      int64_t now)
{
	size_t count = 0;
	int error;

	*out = 0;
	if (b->status != -1 && b->status != PS_ENTRY_FAILED)
		return 0;
	if (b->text[0] == '\0') {
		error = ps_store_log_retry_failed(&count, st, b->flow, now);
	} else {
		if ((error = ps_store_begin(st)) < 0)
			return error;
		error = retry_matching(&count, b, st, now);
		if (error < 0)
			ps_store_rollback(st);
		else
			error = ps_store_commit(st);
	}
	if (error < 0)
		return error;
	*out = count;
	return ps_log_browser_load(b, st);
}

char *
ps_log_browser_describe(char *buf, size_t cap, const ps_log_browser *b)
{
	size_t o = 0;

	buf[0] = '\0';
	if (b->status >= 0)
		o += (size_t)snprintf(
			buf + o, cap - o, "%s",
			ps_entry_status_name((ps_entry_status)b->status));
	if (b->flow != NULL && o < cap)
		o += (size_t)snprintf(buf + o, cap - o, "%sflow %s",
				      o ? ", " : "", b->flow);
	if (b->text[0] != '\0' && o < cap)
		o += (size_t)snprintf(buf + o, cap - o, "%stext \"%s\"",
				      o ? ", " : "", b->text);
	if (o == 0)
		snprintf(buf, cap, "all entries");
	return buf;
}
