/*
 * report.c - the text of the daily e-mail report (report.h).
 *
 * Counts come from ps_store_log_counts over the period; the failed and
 * pending entries from ps_store_log_foreach_since, at most max_listed per
 * flow, so the message is bounded by the number of flows, not the size of
 * the log.  The anomalies past their threshold (anomalies.h) come first.
 * Every line ends in CRLF and is cut at 78 columns where a
 * space allows (a word longer than a line is cut hard, at a character
 * boundary, so no line passes RFC 5322's 998 bytes).
 */
#include "pearlsync/report.h"
#include "internal.h"
#include "report/report_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "pearlsync/anomalies.h"
#include "pearlsync/log.h"

#define LINE_MAX_COLS 78
#define TITLE_MAX 128

/* ------------------------------------------------------------------------ */
/* A growing, capped text buffer                                             */

int
ps_report__add(ps_report__buf *b, const char *s, size_t n)
{
	char *grown;
	size_t cap;

	if (b->error < 0)
		return b->error;
	if (b->len + n + 1 > PS_REPORT_MAX_BYTES)
		return b->error = ps_error_set(
			       PS_ETOOBIG,
			       "the report is larger than %zu bytes",
			       PS_REPORT_MAX_BYTES);
	if (b->len + n + 1 > b->cap) {
		cap = b->cap ? b->cap : 4096;
		while (cap < b->len + n + 1)
			cap *= 2;
		if ((grown = realloc(b->data, cap)) == NULL)
			return b->error =
				       ps_error_set(PS_ENOMEM, "out of memory");
		b->data = grown;
		b->cap = cap;
	}
	memcpy(b->data + b->len, s, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

int
ps_report__addf(ps_report__buf *b, const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0)
		return b->error = ps_error_set(PS_EINVAL, "report: bad format");
	if ((size_t)n >= sizeof(line))
		n = (int)sizeof(line) - 1;
	return ps_report__add(b, line, (size_t)n);
}

/* The columns s[0..n) takes: UTF-8 continuation bytes take none. */
static size_t
columns(const char *s, size_t n)
{
	size_t i, c = 0;

	for (i = 0; i < n; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80)
			c++;
	return c;
}

/* The bytes of s that fit in cols columns, ending on a character. */
static size_t
fit_bytes(const char *s, size_t cols)
{
	size_t i = 0, c = 0;

	while (s[i] != '\0') {
		if (((unsigned char)s[i] & 0xc0) != 0x80) {
			if (c == cols)
				break;
			c++;
		}
		i++;
	}
	return i;
}

int
ps_report__wrap(ps_report__buf *b, const char *first, const char *indent,
		const char *text)
{
	const char *lead = first;
	size_t width, n, cut;

	while (b->error == 0) {
		width = LINE_MAX_COLS - columns(lead, strlen(lead));
		while (*text == ' ')
			text++;
		n = fit_bytes(text, width);
		cut = n;
		if (text[n] != '\0') {
			/* break at the last space that fits, if any */
			while (cut > 0 && text[cut] != ' ')
				cut--;
			if (cut == 0)
				cut = n;
		}
		ps_report__add(b, lead, strlen(lead));
		ps_report__add(b, text, cut);
		ps_report__add(b, "\r\n", 2);
		text += cut;
		while (*text == ' ')
			text++;
		if (*text == '\0')
			break;
		lead = indent;
	}
	return b->error;
}

/* ------------------------------------------------------------------------ */
/* Counts by flow                                                            */

typedef struct flow_counts {
	const ps_flow_ops *ops;
	int64_t synced, failed, pending;
} flow_counts;

typedef struct report_ctx {
	flow_counts *flows;
	size_t nflows;
	int64_t synced, failed, pending;
} report_ctx;

static int
count_cb(const char *flow, ps_entry_status status, int64_t count, void *payload)
{
	report_ctx *c = payload;
	size_t i;

	for (i = 0; i < c->nflows; i++) {
		flow_counts *f = &c->flows[i];

		if (strcmp(f->ops->name, flow) != 0)
			continue;
		if (status == PS_ENTRY_SYNCED) {
			f->synced += count;
			c->synced += count;
		} else if (status == PS_ENTRY_FAILED) {
			f->failed += count;
			c->failed += count;
		} else {
			f->pending += count;
			c->pending += count;
		}
		break;
	}
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Dates                                                                     */

static const char *const wdays[] = {"Sun", "Mon", "Tue", "Wed",
				    "Thu", "Fri", "Sat"};
static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
				     "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

/* The local time of ms, and its offset from UTC in minutes. */
static void
local(struct tm *tm, long *off_min, int64_t ms)
{
	time_t t = (time_t)(ms / 1000);
	struct tm utc;
	int64_t l, u;

	localtime_r(&t, tm);
	gmtime_r(&t, &utc);
	/* the offset without tm_gmtoff (not POSIX) */
	l = ps_util__days_from_civil(tm->tm_year + 1900, tm->tm_mon + 1,
				     tm->tm_mday) *
		    1440 +
	    tm->tm_hour * 60 + tm->tm_min;
	u = ps_util__days_from_civil(utc.tm_year + 1900, utc.tm_mon + 1,
				     utc.tm_mday) *
		    1440 +
	    utc.tm_hour * 60 + utc.tm_min;
	*off_min = (long)(l - u);
}

/* "Thu, 03 Dec 2026 18:00:00 +0100" (RFC 5322, locale-free). */
static void
rfc5322_date(char *buf, size_t cap, int64_t ms)
{
	struct tm tm;
	long off;

	local(&tm, &off, ms);
	snprintf(buf, cap, "%s, %02d %s %04d %02d:%02d:%02d %c%02ld%02ld",
		 wdays[tm.tm_wday % 7], tm.tm_mday, months[tm.tm_mon % 12],
		 tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec,
		 off < 0 ? '-' : '+', labs(off) / 60, labs(off) % 60);
}

/* "2026-12-03 18:00" local. */
static void
short_date(char *buf, size_t cap, int64_t ms)
{
	struct tm tm;
	long off;

	local(&tm, &off, ms);
	snprintf(buf, cap, "%04d-%02d-%02d %02d:%02d", tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min);
}

/* ------------------------------------------------------------------------ */
/* Headers                                                                   */

/* Whether s needs RFC 2047 encoding in a header: non-ASCII or control. */
static int
needs_encoding(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f)
			return 1;
	return 0;
}

/*
 * "Subject: " + text, as one encoded word per chunk of at most 36 bytes
 * (48 in base64: each folded line stays under 78) when text is not plain
 * ASCII; chunks end on a character so every word decodes on its own.
 */
static int
add_subject(ps_report__buf *b, const char *text)
{
	char enc[128];
	size_t n, len;

	if (!needs_encoding(text)) {
		ps_report__addf(b, "Subject: %s\r\n", text);
		return b->error;
	}
	ps_report__add(b, "Subject:", 8);
	while (*text != '\0' && b->error == 0) {
		len = strlen(text);
		n = len > 36 ? 36 : len;
		while (n < len && n > 0 &&
		       ((unsigned char)text[n] & 0xc0) == 0x80)
			n--;
		if (n == 0)
			n = len > 36 ? 36 : len;
		if (ps_crypto__base64_encode(enc, sizeof(enc),
					     (const unsigned char *)text,
					     n) < 0)
			return b->error = ps_error_set(PS_EINVAL,
						       "subject too long");
		ps_report__addf(b, " =?UTF-8?B?%s?=\r\n", enc);
		text += n;
		if (*text != '\0')
			ps_report__add(b, " ", 1); /* folded: next line */
	}
	/* the last "\r\n" ended the header; a fold continues with " " */
	return b->error;
}

/* "To: a@x, b@y" folded after each address that would pass 78. */
static int
add_to(ps_report__buf *b, const char *recipients)
{
	const char *p = recipients, *comma;
	size_t n, col = 4;

	ps_report__add(b, "To: ", 4);
	while (*p != '\0' && b->error == 0) {
		comma = strchr(p, ',');
		n = comma ? (size_t)(comma - p) : strlen(p);
		if (p != recipients) {
			if (col + n + 2 > LINE_MAX_COLS) {
				ps_report__add(b, ",\r\n ", 4);
				col = 1;
			} else {
				ps_report__add(b, ", ", 2);
				col += 2;
			}
		}
		ps_report__add(b, p, n);
		col += n;
		p += n + (comma != NULL);
	}
	return ps_report__add(b, "\r\n", 2);
}

static int
add_headers(ps_report__buf *b, const ps_report_options *o, const char *site,
	    int64_t synced, int64_t failed)
{
	char date[160], subject[256];
	const char *domain;

	rfc5322_date(date, sizeof(date), o->now);
	ps_report__addf(b, "Date: %s\r\n", date);
	if (o->from != NULL)
		ps_report__addf(b, "From: pearlsync <%s>\r\n", o->from);
	if (o->recipients != NULL)
		add_to(b, o->recipients);
	snprintf(subject, sizeof(subject),
		 "pearlsync daily report: %lld synced, %lld failed (%s)",
		 (long long)synced, (long long)failed, site);
	add_subject(b, subject);
	domain = o->from != NULL ? strchr(o->from, '@') : NULL;
	ps_report__addf(b, "Message-ID: <report.%lld.%ld@%s>\r\n",
			(long long)o->now, (long)getpid(),
			domain != NULL ? domain + 1 : "pearlsync.invalid");
	ps_report__add(b,
		       "MIME-Version: 1.0\r\n"
		       "Content-Type: text/plain; charset=UTF-8\r\n"
		       "Content-Transfer-Encoding: 8bit\r\n"
		       "Auto-Submitted: auto-generated\r\n\r\n",
		       strlen("MIME-Version: 1.0\r\n"
			      "Content-Type: text/plain; charset=UTF-8\r\n"
			      "Content-Transfer-Encoding: 8bit\r\n"
			      "Auto-Submitted: auto-generated\r\n\r\n"));
	return b->error;
}

/* ------------------------------------------------------------------------ */
/* Body                                                                      */

/* One listed entry: what it is, when, then its reason indented below. */
typedef struct list_ctx {
	ps_report__buf *b;
	const char *flow;
	size_t shown;
} list_ctx;

static int
entry_cb(const ps_log_entry *e, void *payload)
{
	list_ctx *c = payload;
	char what[256], line[400], when[64], reason[PS_REPORT_REASON_MAX + 1];
	char esc[4 * PS_REPORT_REASON_MAX + 1];

	ps_log_entry_describe(what, sizeof(what), e);
	if (what[0] == '\0')
		snprintf(what, sizeof(what), "entry %lld", (long long)e->id);
	short_date(when, sizeof(when), e->updated_at);
	if (e->order_number != NULL && e->order_number[0] != '\0')
		snprintf(line, sizeof(line), "%s: %s (order %s), %s", c->flow,
			 what, e->order_number, when);
	else
		snprintf(line, sizeof(line), "%s: %s, %s", c->flow, what, when);
	ps_log_escape(esc, sizeof(esc), line);
	ps_report__wrap(c->b, "  - ", "    ", esc);
	ps_util__strlcpy(reason,
			 e->reason != NULL && e->reason[0] != '\0'
				 ? e->reason
				 : (e->status == PS_ENTRY_PENDING
					    ? "waiting to be sent"
					    : "no reason recorded"),
			 sizeof(reason));
	ps_redact(reason, sizeof(reason));
	ps_log_escape(esc, sizeof(esc), reason);
	ps_report__wrap(c->b, "    ", "    ", esc);
	c->shown++;
	return c->b->error;
}

/* The failed or pending entries of one pair's flows, capped per flow. */
static int
add_entries(ps_report__buf *b, ps_store *st, const report_ctx *c,
	    const ps_report_options *o, ps_platform a, ps_platform z,
	    ps_entry_status status, size_t max_listed)
{
	const char *title = status == PS_ENTRY_FAILED
				    ? "Failed, with reasons"
				    : "Pending, waiting for the operator or a "
				      "setting";
	int64_t total = 0, count;
	size_t i;
	int error;

	for (i = 0; i < c->nflows; i++) {
		const flow_counts *f = &c->flows[i];

		if (ps_report__pair_of(f->ops, a, z))
			total += status == PS_ENTRY_FAILED ? f->failed
							   : f->pending;
	}
	if (total == 0)
		return 0;
	ps_report__addf(b, "\r\n%s (%lld)\r\n", title, (long long)total);
	for (i = 0; i < c->nflows && b->error == 0; i++) {
		const flow_counts *f = &c->flows[i];
		list_ctx lc = {b, f->ops->name, 0};

		if (!ps_report__pair_of(f->ops, a, z))
			continue;
		count = status == PS_ENTRY_FAILED ? f->failed : f->pending;
		if (count == 0)
			continue;
		error = ps_store_log_foreach_since(st, f->ops->name, status,
						   o->since, max_listed,
						   entry_cb, &lc);
		if (error < 0)
			return error;
		/* an in-flight entry is counted as pending but not listed */
		if ((int64_t)lc.shown < count)
			ps_report__addf(b, "  ... and %lld more for %s\r\n",
					(long long)(count - (int64_t)lc.shown),
					f->ops->name);
	}
	return b->error;
}

int
ps_report__pair_of(const ps_flow_ops *f, ps_platform a, ps_platform z)
{
	return (f->source == a && f->target == z) ||
	       (f->source == z && f->target == a);
}

/* The counts table of one pair. */
static int
add_table(ps_report__buf *b, const report_ctx *c, ps_platform a, ps_platform z)
{
	size_t i;

	ps_report__addf(b, "  %-36s %8s %8s %8s\r\n", "Flow", "Synced",
			"Failed", "Pending");
	for (i = 0; i < c->nflows; i++) {
		const flow_counts *f = &c->flows[i];

		if (ps_report__pair_of(f->ops, a, z))
			ps_report__addf(b, "  %-36.36s %8lld %8lld %8lld\r\n",
					f->ops->name, (long long)f->synced,
					(long long)f->failed,
					(long long)f->pending);
	}
	return b->error;
}

/* Has a pair (a, z) been reported already (by a flow before i)? */
static int
pair_seen(const report_ctx *c, size_t i)
{
	size_t j;

	for (j = 0; j < i; j++)
		if (ps_report__pair_of(c->flows[j].ops, c->flows[i].ops->source,
				       c->flows[i].ops->target))
			return 1;
	return 0;
}

/*
 * The anomalies past their threshold as of the report (anomalies.h),
 * each with its fix; nothing when there are none.
 */
static int
add_anomalies(ps_report__buf *b, ps_store *st, int64_t now)
{
	ps_anomalies *an = malloc(sizeof(*an));
	char what[256], fix[256], line[600];
	size_t i, shown = 0;
	int error;

	if (an == NULL)
		return ps_error_set(PS_ENOMEM, "out of memory");
	if ((error = ps_anomalies_load(an, st, now)) < 0) {
		free(an);
		return error;
	}
	for (i = 0; i < an->n && b->error == 0; i++) {
		if (!an->v[i].active)
			continue;
		if (shown++ == 0)
			ps_report__addf(b, "\r\nAnomalies\r\n=========\r\n");
		ps_anomaly_describe(&an->v[i], what, sizeof(what), fix,
				    sizeof(fix));
		ps_report__wrap(b, "- ", "  ", what);
		snprintf(line, sizeof(line), "fix: %s", fix);
		ps_report__wrap(b, "  ", "  ", line);
	}
	free(an);
	return b->error;
}

static int
add_body(ps_report__buf *b, ps_store *st, const report_ctx *c,
	 const ps_report_options *o, const char *site, size_t max_listed)
{
	char from[64], to[64], title[TITLE_MAX];
	size_t i;
	int error;

	short_date(from, sizeof(from), o->since);
	short_date(to, sizeof(to), o->now);
	ps_report__addf(b, "pearlsync report for %s\r\n", site);
	ps_report__addf(b, "Period: %s to %s (local time)\r\n", from, to);
	ps_report__addf(b, "Totals: %lld synced, %lld failed, %lld pending\r\n",
			(long long)c->synced, (long long)c->failed,
			(long long)c->pending);
	if ((error = add_anomalies(b, st, o->now)) < 0)
		return error;
	if (c->nflows == 0)
		ps_report__add(b, "\r\nNo flows are registered.\r\n", 27);
	for (i = 0; i < c->nflows && b->error == 0; i++) {
		ps_platform a = c->flows[i].ops->source;
		ps_platform z = c->flows[i].ops->target;

		if (pair_seen(c, i))
			continue;
		snprintf(title, sizeof(title), "%s <-> %s",
			 ps_platform_title(a), ps_platform_title(z));
		ps_report__addf(b, "\r\n%s\r\n", title);
		memset(title, '=', strlen(title));
		ps_report__addf(b, "%s\r\n", title);
		add_table(b, c, a, z);
		if ((error = add_entries(b, st, c, o, a, z, PS_ENTRY_FAILED,
					 max_listed)) < 0 ||
		    (error = add_entries(b, st, c, o, a, z, PS_ENTRY_PENDING,
					 max_listed)) < 0)
			return error;
	}
	ps_report__add(
		b,
		"\r\n-- \r\nSent by pearlsync.  'pearlsync logs "
		"--status failed' lists every failure;\r\n'pearlsync "
		"retry' retries them once fixed.\r\n",
		strlen("\r\n-- \r\nSent by pearlsync.  'pearlsync logs "
		       "--status failed' lists every failure;\r\n"
		       "'pearlsync retry' retries them once fixed.\r\n"));
	return b->error;
}

int
ps_report__site_name(char *buf, size_t cap, const char *site)
{
	char host[256];
	char esc[256];

	if (site == NULL || site[0] == '\0') {
		if (gethostname(host, sizeof(host)) != 0)
			ps_util__strlcpy(host, "pearlsync", sizeof(host));
		host[sizeof(host) - 1] = '\0';
		site = host;
	}
	ps_log_escape(esc, sizeof(esc), site);
	ps_util__strlcpy(buf, esc, cap);
	return 0;
}

int
ps_report_build(char **out, int64_t *out_synced, int64_t *out_failed,
		ps_store *st, const ps_report_options *o)
{
	const ps_flow_ops *const *flows;
	ps_report__buf head = {0}, body = {0};
	report_ctx c = {0};
	size_t n = 0, max_listed;
	char site[128];
	int error = 0;

	if (out_synced)
		*out_synced = 0;
	if (out_failed)
		*out_failed = 0;
	if (out == NULL)
		return ps_error_set(PS_EINVAL, "ps_report_build: out is NULL");
	*out = NULL;
	if (st == NULL || o == NULL)
		return ps_error_set(PS_EINVAL, "ps_report_build: NULL");
	flows = o->flows != NULL ? o->flows : ps_flows_all();
	max_listed = o->max_listed ? o->max_listed : PS_REPORT_MAX_LISTED;
	while (flows[n] != NULL)
		n++;
	if (n > 0 && (c.flows = calloc(n, sizeof(*c.flows))) == NULL)
		return ps_error_set(PS_ENOMEM, "out of memory");
	for (c.nflows = 0; c.nflows < n; c.nflows++)
		c.flows[c.nflows].ops = flows[c.nflows];
	ps_report__site_name(site, sizeof(site), o->site);
	if ((error = ps_store_log_counts(st, o->since > 0 ? o->since : 1,
					 count_cb, &c)) < 0)
		goto done;
	/* the body first: the subject needs its totals */
	if ((error = add_body(&body, st, &c, o, site, max_listed)) < 0 ||
	    (error = add_headers(&head, o, site, c.synced, c.failed)) < 0 ||
	    (error = ps_report__add(&head, body.data, body.len)) < 0)
		goto done;
	*out = head.data;
	head.data = NULL;
	if (out_synced)
		*out_synced = c.synced;
	if (out_failed)
		*out_failed = c.failed;
done:
	free(head.data);
	free(body.data);
	free(c.flows);
	return error;
}
