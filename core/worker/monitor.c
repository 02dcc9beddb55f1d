/*
 * monitor.c - what the listener answers on /healthz and /metrics, and the
 * process's own counters behind them (ps_worker__stats).
 *
 * Both pages are built on the listener's thread from its own store
 * connection and the stats the worker's thread fills in.  Cost per
 * request, whatever the size of the log: one row for the heartbeat, the
 * per-(flow, status) totals the schema keeps (a few rows), one index seek
 * per flow for its oldest pending entry, the budgets table (a row per
 * platform account), the anomalies (a few hundred hourly buckets, a cache
 * row per flow: anomalies.h), the worker's pacing row.  Nothing counts the
 * log.
 *
 * Neither page carries a secret: platform and flow names, accounts (an
 * account code or store hash, which the platforms' URLs show), counts and
 * times.  The heartbeat's text is the worker's own state line.
 */
#include "internal.h"
#include "worker_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "pearlsync/alerts.h"
#include "pearlsync/anomalies.h"
#include "pearlsync/platform.h"
#include "pearlsync/worker.h"

/* A page larger than this is cut (it would take thousands of flows). */
#define PAGE_MAX ((size_t)1 << 20)

/* ------------------------------------------------------------------------ */
/* Stats                                                                     */

void
ps_worker__stats_init(ps_worker__stats *s, int64_t started_at)
{
	memset(s, 0, sizeof(*s));
	pthread_mutex_init(&s->lock, NULL);
	s->started_at = started_at;
}

void
ps_worker__stats_dispose(ps_worker__stats *s)
{
	if (s != NULL)
		pthread_mutex_destroy(&s->lock);
}

const char *
ps_worker__auth_name(ps_worker__auth a)
{
	switch (a) {
	case PS_WORKER__AUTH_OK:
		return "ok";
	case PS_WORKER__AUTH_FAILED:
		return "auth_failed";
	case PS_WORKER__AUTH_UNKNOWN:
	default:
		return "unknown";
	}
}

void
ps_worker__stats_requests(ps_worker__stats *s, ps_platform platform,
			  ps_http_outcome outcome, int64_t count, int64_t now)
{
	ps_worker__platform_stats *p;

	if (s == NULL || (unsigned)platform >= PS_PLATFORM_MAX ||
	    (unsigned)outcome >= PS_HTTP_OUT_COUNT || count <= 0)
		return;
	pthread_mutex_lock(&s->lock);
	p = &s->platform[platform];
	p->requests[outcome] += count;
	if (outcome == PS_HTTP_OUT_AUTH)
		p->tick_auth += count;
	else if (outcome != PS_HTTP_OUT_NETWORK)
		p->tick_answered += count;
	if (outcome == PS_HTTP_OUT_THROTTLED) {
		if (p->throttled_at == 0 ||
		    now - p->throttled_at > PS_THROTTLE_GAP_MS)
			p->throttled_since = now;
		p->throttled_at = now;
		p->tick_throttled = 1;
	}
	pthread_mutex_unlock(&s->lock);
}

int
ps_worker__stats_tick_done(ps_worker__stats *s, int64_t now)
{
	ps_worker__auth a;
	int changed = 0;
	size_t i;

	if (s == NULL)
		return 0;
	pthread_mutex_lock(&s->lock);
	for (i = 0; i < PS_PLATFORM_MAX; i++) {
		ps_worker__platform_stats *p = &s->platform[i];

		if (p->tick_auth > 0)
			a = PS_WORKER__AUTH_FAILED;
		else if (p->tick_answered > 0)
			a = PS_WORKER__AUTH_OK;
		else
			a = p->auth;
		if (a != p->auth) {
			p->auth = a;
			p->auth_since = now;
			changed = 1;
		}
		changed |= p->tick_throttled;
		p->tick_auth = p->tick_answered = 0;
		p->tick_throttled = 0;
	}
	pthread_mutex_unlock(&s->lock);
	return changed;
}

void
ps_worker__stats_delivery(ps_worker__stats *s, ps_platform platform,
			  unsigned status)
{
	if (s == NULL || (unsigned)platform >= PS_PLATFORM_MAX)
		return;
	pthread_mutex_lock(&s->lock);
	if (status == 200)
		s->platform[platform].hooks_received++;
	else
		s->platform[platform].hooks_refused++;
	pthread_mutex_unlock(&s->lock);
}

int64_t
ps_worker__stats_hooks(ps_worker__stats *s)
{
	int64_t n = 0;
	size_t i;

	if (s == NULL)
		return 0;
	pthread_mutex_lock(&s->lock);
	for (i = 0; i < PS_PLATFORM_MAX; i++)
		n += s->platform[i].hooks_received;
	pthread_mutex_unlock(&s->lock);
	return n;
}

/* A consistent copy, taken under the lock; zeroes when s is NULL. */
static void
stats_copy(ps_worker__stats *out, ps_worker__stats *s)
{
	memset(out, 0, sizeof(*out));
	if (s == NULL)
		return;
	pthread_mutex_lock(&s->lock);
	out->started_at = s->started_at;
	memcpy(out->platform, s->platform, sizeof(out->platform));
	pthread_mutex_unlock(&s->lock);
}

/* ------------------------------------------------------------------------ */
/* /healthz                                                                  */

static json_t *
health_heartbeat(ps_store *st, int64_t now, json_t *problems, int *ok)
{
	json_t *o = json_object();
	ps_heartbeat hb;
	int error;

	ps_heartbeat_init(&hb);
	error = ps_store_heartbeat_get(&hb, st);
	if (error == PS_ENOTFOUND) {
		json_object_set_new(o, "status", json_string("none"));
		json_array_append_new(
			problems, json_string("heartbeat: none written yet"));
		*ok = 0;
	} else if (error == 0) {
		int stale = now - hb.beat_at > PS_HEARTBEAT_STALE_MS;
		int stopped =
			hb.state != NULL && strcmp(hb.state, "stopped") == 0;

		json_object_set_new(o, "status",
				    json_string(stale     ? "stale"
						: stopped ? "stopped"
							  : "ok"));
		json_object_set_new(o, "age_ms",
				    json_integer(now - hb.beat_at));
		json_object_set_new(o, "state",
				    json_string(hb.state ? hb.state : ""));
		if (stale || stopped) {
			json_array_append_new(
				problems,
				json_sprintf(
					"heartbeat: %s (%lld s old, "
					"limit %d s)",
					stale ? "stale" : "stopped",
					(long long)((now - hb.beat_at) / 1000),
					PS_HEARTBEAT_STALE_MS / 1000));
			*ok = 0;
		}
	}
	ps_heartbeat_dispose(&hb);
	ps_error_clear();
	return o;
}

/*
 * The answers' state comes from this process's stats; whether refused
 * credentials are still set (their flows hold) from what the worker
 * recorded, which outlives a restart (ps_auth_states_load).
 */
static json_t *
health_platforms(const ps_worker__stats *s, ps_store *st, json_t *problems,
		 int *ok)
{
	const ps_platform_ops *const *p;
	ps_auth_state rec[PS_PLATFORM_MAX];
	json_t *o = json_object();

	if (ps_auth_states_load(rec, st, 0) < 0) {
		memset(rec, 0, sizeof(rec));
		ps_error_clear();
	}
	for (p = ps_platforms_all(); *p != NULL; p++) {
		const ps_worker__platform_stats *ps = &s->platform[(*p)->id];
		json_t *one = json_object();

		json_object_set_new(
			one, "auth",
			json_string(ps_worker__auth_name(ps->auth)));
		if (ps->auth_since > 0)
			json_object_set_new(one, "auth_since_ms",
					    json_integer(ps->auth_since));
		if (ps->throttled_at > 0)
			json_object_set_new(one, "throttled_at_ms",
					    json_integer(ps->throttled_at));
		json_object_set_new(one, "waiting_for_credentials",
				    json_boolean(rec[(*p)->id].waiting));
		json_object_set_new(o, (*p)->name, one);
		if (ps->auth == PS_WORKER__AUTH_FAILED) {
			json_array_append_new(
				problems,
				json_sprintf("%s: auth_failed (the platform "
					     "answered 401/403; check the "
					     "credentials)",
					     (*p)->name));
			*ok = 0;
		}
		if (rec[(*p)->id].waiting) {
			json_array_append_new(
				problems,
				json_sprintf("%s: waiting for new credentials "
					     "(the refused ones are still "
					     "set; its flows hold)",
					     (*p)->name));
			*ok = 0;
		}
	}
	return o;
}

int
ps_worker__health(char **out, unsigned *out_status, ps_store *st,
		  ps_worker__stats *stats, int64_t now)
{
	json_t *doc = json_object(), *problems = json_array(), *db;
	ps_worker__stats s;
	int ok = 1, version = 0;

	*out = NULL;
	*out_status = 503;
	stats_copy(&s, stats);
	if (doc == NULL || problems == NULL) {
		json_decref(doc);
		json_decref(problems);
		return ps_error_set(PS_ENOMEM, "out of memory (healthz)");
	}
	db = json_object();
	if (ps_store_schema_version(&version, st) < 0) {
		json_object_set_new(db, "status", json_string("unreachable"));
		json_array_append_new(problems, json_sprintf("database: %s",
							     ps_error_last()));
		ps_error_clear();
		ok = 0;
	} else {
		json_object_set_new(db, "status", json_string("ok"));
		json_object_set_new(db, "schema_version",
				    json_integer(version));
	}
	json_object_set_new(doc, "status", json_string("ok")); /* first */
	json_object_set_new(doc, "database", db);
	if (ok)
		json_object_set_new(doc, "heartbeat",
				    health_heartbeat(st, now, problems, &ok));
	json_object_set_new(doc, "platforms",
			    health_platforms(&s, st, problems, &ok));
	json_object_set_new(doc, "status", json_string(ok ? "ok" : "fail"));
	json_object_set_new(doc, "problems", problems);
	*out = json_dumps(doc, JSON_PRESERVE_ORDER | JSON_COMPACT);
	json_decref(doc);
	if (*out == NULL)
		return ps_error_set(PS_ENOMEM, "out of memory (healthz)");
	*out_status = ok ? 200 : 503;
	return 0;
}

/* ------------------------------------------------------------------------ */
/* /metrics                                                                  */

typedef struct page {
	char *buf;
	size_t len, cap;
	int oom;
} page;

static void page_add(page *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void
page_add(page *p, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (p->oom)
		return;
	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(p->buf ? p->buf + p->len : NULL,
			      p->buf ? p->cap - p->len : 0, fmt, ap);
		va_end(ap);
		if (n < 0) {
			p->oom = 1;
			return;
		}
		if (p->buf != NULL && (size_t)n < p->cap - p->len) {
			p->len += (size_t)n;
			return;
		}
		{
			size_t cap = p->cap ? p->cap * 2 : 8192;
			char *nb;

			while (cap - p->len <= (size_t)n)
				cap *= 2;
			if (cap > PAGE_MAX ||
			    (nb = realloc(p->buf, cap)) == NULL) {
				p->oom = 1;
				return;
			}
			p->buf = nb;
			p->cap = cap;
		}
	}
}

/*
 * A label value in the exposition format: backslash, double quote and
 * line feed escaped (\\, \", \n), into out (cap bytes).
 */
static const char *
label(char *out, size_t cap, const char *v)
{
	size_t o = 0;

	for (; v != NULL && *v != '\0' && o + 3 < cap; v++) {
		if (*v == '\\' || *v == '"') {
			out[o++] = '\\';
			out[o++] = *v;
		} else if (*v == '\n') {
			out[o++] = '\\';
			out[o++] = 'n';
		} else {
			out[o++] = *v;
		}
	}
	out[o] = '\0';
	return out;
}

static void
family(page *p, const char *name, const char *type, const char *help)
{
	page_add(p, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static double
seconds(int64_t ms)
{
	return (double)ms / 1000.0;
}

typedef struct entry_rows {
	page *p;
	char (*flows)[64];
	size_t nflows, cap;
} entry_rows;

static int
entries_row(const char *flow, ps_entry_status status, int64_t count,
	    void *payload)
{
	entry_rows *r = payload;
	char l[160];

	page_add(r->p, "pearlsync_entries{flow=\"%s\",state=\"%s\"} %lld\n",
		 label(l, sizeof(l), flow), ps_entry_status_name(status),
		 (long long)count);
	if (r->nflows == 0 || strcmp(r->flows[r->nflows - 1], flow) != 0) {
		if (r->nflows == r->cap) {
			size_t cap = r->cap ? r->cap * 2 : 16;
			char(*nf)[64] = realloc(r->flows, cap * sizeof(*nf));

			if (nf == NULL)
				return -1;
			r->flows = nf;
			r->cap = cap;
		}
		ps_util__strlcpy(r->flows[r->nflows++], flow,
				 sizeof(r->flows[0]));
	}
	return 0;
}

/* Entries by flow and state, then each flow's oldest pending entry. */
static int
metrics_entries(page *p, ps_store *st, int64_t now)
{
	entry_rows r = {p, NULL, 0, 0};
	int64_t at;
	char l[160];
	size_t i;
	int error;

	family(p, "pearlsync_entries", "gauge",
	       "Sync log entries by flow and state.");
	if ((error = ps_store_log_state_counts(st, entries_row, &r)) != 0)
		goto done;
	family(p, "pearlsync_oldest_pending_age_seconds", "gauge",
	       "Age of the flow's oldest pending entry (0: none pending).");
	for (i = 0; i < r.nflows; i++) {
		error = ps_store_log_oldest(&at, st, r.flows[i],
					    PS_ENTRY_PENDING);
		if (error == PS_ENOTFOUND) {
			at = now;
			error = 0;
		}
		if (error < 0)
			goto done;
		page_add(p,
			 "pearlsync_oldest_pending_age_seconds{flow=\"%s\"} "
			 "%.3f\n",
			 label(l, sizeof(l), r.flows[i]),
			 seconds(now > at ? now - at : 0));
	}
done:
	free(r.flows);
	return error < 0 ? error : 0;
}

static void
metrics_http(page *p, const ps_worker__stats *s)
{
	const ps_platform_ops *const *pl;
	int o;

	family(p, "pearlsync_http_requests_total", "counter",
	       "HTTP attempts to each platform since the worker started, by "
	       "outcome (ok, client-error, auth, throttled, server-error, "
	       "network).");
	for (pl = ps_platforms_all(); *pl != NULL; pl++)
		for (o = 0; o < PS_HTTP_OUT_COUNT; o++)
			page_add(
				p,
				"pearlsync_http_requests_total{platform=\"%s\","
				"outcome=\"%s\"} %lld\n",
				(*pl)->name,
				ps_http_outcome_name((ps_http_outcome)o),
				(long long)s->platform[(*pl)->id].requests[o]);
	family(p, "pearlsync_http_throttles_total", "counter",
	       "Answers that asked the worker to slow down (429 or the "
	       "platform's own throttle reply) since the worker started.");
	for (pl = ps_platforms_all(); *pl != NULL; pl++)
		page_add(p,
			 "pearlsync_http_throttles_total{platform=\"%s\"} "
			 "%lld\n",
			 (*pl)->name,
			 (long long)s->platform[(*pl)->id]
				 .requests[PS_HTTP_OUT_THROTTLED]);
	family(p, "pearlsync_platform_auth_failed", "gauge",
	       "1 when the platform's last answers included 401/403.");
	for (pl = ps_platforms_all(); *pl != NULL; pl++)
		page_add(p,
			 "pearlsync_platform_auth_failed{platform=\"%s\"} %d\n",
			 (*pl)->name,
			 s->platform[(*pl)->id].auth == PS_WORKER__AUTH_FAILED);
	family(p, "pearlsync_webhook_deliveries_total", "counter",
	       "Webhook deliveries since the worker started: received "
	       "(stored) or refused (any other answer).");
	for (pl = ps_platforms_all(); *pl != NULL; pl++) {
		if ((*pl)->webhook_accept == NULL)
			continue;
		page_add(p,
			 "pearlsync_webhook_deliveries_total{platform=\"%s\","
			 "result=\"received\"} %lld\n"
			 "pearlsync_webhook_deliveries_total{platform=\"%s\","
			 "result=\"refused\"} %lld\n",
			 (*pl)->name,
			 (long long)s->platform[(*pl)->id].hooks_received,
			 (*pl)->name,
			 (long long)s->platform[(*pl)->id].hooks_refused);
	}
}

static int
metrics_budgets(page *p, ps_store *st, int64_t now)
{
	ps_store_budget *b = NULL;
	char a[160], u[64];
	size_t n = 0, i;
	int error;

	if ((error = ps_store_budget_list(&b, &n, st)) < 0)
		return error;
	family(p, "pearlsync_api_budget_remaining", "gauge",
	       "API budget left per platform account, in the platform's "
	       "unit, as last recorded.");
	for (i = 0; i < n; i++)
		page_add(p,
			 "pearlsync_api_budget_remaining{platform=\"%s\","
			 "account=\"%s\",unit=\"%s\"} %ld\n",
			 ps_platform_name(b[i].platform),
			 label(a, sizeof(a), b[i].account),
			 label(u, sizeof(u), b[i].unit), b[i].remaining);
	family(p, "pearlsync_api_budget_quota", "gauge",
	       "The window's whole API budget per platform account, when the "
	       "platform says.");
	for (i = 0; i < n; i++)
		if (b[i].quota >= 0)
			page_add(p,
				 "pearlsync_api_budget_quota{platform=\"%s\","
				 "account=\"%s\",unit=\"%s\"} %ld\n",
				 ps_platform_name(b[i].platform),
				 label(a, sizeof(a), b[i].account),
				 label(u, sizeof(u), b[i].unit), b[i].quota);
	family(p, "pearlsync_api_budget_age_seconds", "gauge",
	       "Age of the recorded API budget.");
	for (i = 0; i < n; i++)
		page_add(p,
			 "pearlsync_api_budget_age_seconds{platform=\"%s\","
			 "account=\"%s\"} %.3f\n",
			 ps_platform_name(b[i].platform),
			 label(a, sizeof(a), b[i].account),
			 seconds(now - b[i].updated_at));
	ps_store_budgets_free(b, n);
	return 0;
}

/* The worker's pacing row (worker.h): per platform it names, whether the
 * client paces now, the pace, and how many flows wait or hold. */
static int
metrics_pacing(page *p, ps_store *st, int64_t now)
{
	static const struct {
		const char *name, *help;
	} fam[] = {
		{"pearlsync_pacing_active",
		 "1 while the platform's API budget is short and requests "
		 "are paced."},
		{"pearlsync_pacing_rate",
		 "Budget units a second the requests are paced to (0: not "
		 "pacing)."},
		{"pearlsync_pacing_flows_waiting",
		 "Flows of a lower priority held back while new orders use "
		 "the short budget."},
		{"pearlsync_pacing_flows_holding",
		 "Flows holding their due entries a few seconds so a batch "
		 "forms."},
	};
	ps_worker_pacing pc[PS_PLATFORM_MAX];
	const ps_platform_ops *const *pl;
	size_t f;
	int error;

	if ((error = ps_worker_pacing_load(pc, st, now)) < 0)
		return error;
	for (f = 0; f < sizeof(fam) / sizeof(fam[0]); f++) {
		family(p, fam[f].name, "gauge", fam[f].help);
		for (pl = ps_platforms_all(); *pl != NULL; pl++) {
			const ps_worker_pacing *w = &pc[(*pl)->id];
			double v = f == 0   ? (double)w->short_budget
				   : f == 1 ? w->rate
				   : f == 2 ? (double)w->nwaiting
					    : (double)w->nholding;

			if (w->known)
				page_add(p, "%s{platform=\"%s\"} %.6g\n",
					 fam[f].name, (*pl)->name, v);
		}
	}
	return 0;
}

/* Every anomaly evaluated (anomalies.h): 1/0, its figure, the usual and
 * the threshold, by kind and subject (a flow or a platform). */
static int
metrics_anomalies(page *p, ps_store *st, int64_t now)
{
	static const struct {
		const char *name, *help;
	} fam[] = {
		{"pearlsync_anomaly",
		 "1 while the figure is past its threshold (kind: order_drop, "
		 "failure_spike, throttled, zero_stock)."},
		{"pearlsync_anomaly_value",
		 "The figure: orders in the last hour, failed share (0-1), "
		 "seconds throttled, SKUs zeroed by the last pass."},
		{"pearlsync_anomaly_usual",
		 "The usual figure: median orders at this hour, past failed "
		 "share; 0 for the others."},
		{"pearlsync_anomaly_threshold",
		 "Where the figure becomes an anomaly (below it for "
		 "order_drop, above it for the others)."},
	};
	ps_anomalies *an = malloc(sizeof(*an));
	char l[160];
	size_t f, i;
	int error;

	if (an == NULL)
		return ps_error_set(PS_ENOMEM, "out of memory (metrics)");
	if ((error = ps_anomalies_load(an, st, now)) < 0) {
		free(an);
		return error;
	}
	for (f = 0; f < sizeof(fam) / sizeof(fam[0]); f++) {
		family(p, fam[f].name, "gauge", fam[f].help);
		for (i = 0; i < an->n; i++) {
			const ps_anomaly *a = &an->v[i];
			double v = f == 0   ? (double)a->active
				   : f == 1 ? a->value
				   : f == 2 ? a->usual
					    : a->threshold;

			page_add(p, "%s{kind=\"%s\",subject=\"%s\"} %.6g\n",
				 fam[f].name, ps_anomaly_kind_name(a->kind),
				 label(l, sizeof(l), a->subject), v);
		}
	}
	free(an);
	return 0;
}

static void
metrics_worker(page *p, ps_store *st, const ps_worker__stats *s, int64_t now)
{
	ps_heartbeat hb;
	int error, running = 0;

	ps_heartbeat_init(&hb);
	error = ps_store_heartbeat_get(&hb, st);
	if (error == 0)
		running =
			now - hb.beat_at <= PS_HEARTBEAT_STALE_MS &&
			(hb.state == NULL || strcmp(hb.state, "stopped") != 0);
	family(p, "pearlsync_worker_up", "gauge",
	       "1 while the worker's heartbeat is fresh and not stopped.");
	page_add(p, "pearlsync_worker_up %d\n", running);
	if (error == 0) {
		family(p, "pearlsync_heartbeat_age_seconds", "gauge",
		       "Age of the worker's last heartbeat.");
		page_add(p, "pearlsync_heartbeat_age_seconds %.3f\n",
			 seconds(now - hb.beat_at));
	}
	if (s->started_at > 0) {
		family(p, "pearlsync_worker_start_time_seconds", "gauge",
		       "When this worker process started (unix time).");
		page_add(p, "pearlsync_worker_start_time_seconds %.3f\n",
			 seconds(s->started_at));
	}
	ps_heartbeat_dispose(&hb);
	ps_error_clear();
}

int
ps_worker__metrics(char **out, ps_store *st, ps_worker__stats *stats,
		   int64_t now)
{
	page p = {NULL, 0, 0, 0};
	ps_worker__stats s;
	page body = {NULL, 0, 0, 0};
	int store_ok;

	*out = NULL;
	stats_copy(&s, stats);
	store_ok = metrics_entries(&body, st, now) == 0 &&
		   metrics_budgets(&body, st, now) == 0 &&
		   metrics_pacing(&body, st, now) == 0 &&
		   metrics_anomalies(&body, st, now) == 0;
	ps_error_clear();
	family(&p, "pearlsync_store_up", "gauge",
	       "1 when the database answered this scrape's queries.");
	page_add(&p, "pearlsync_store_up %d\n", store_ok);
	metrics_worker(&p, st, &s, now);
	if (store_ok && body.buf != NULL)
		page_add(&p, "%s", body.buf);
	metrics_http(&p, &s);
	free(body.buf);
	if (p.oom || body.oom) {
		free(p.buf);
		return ps_error_set(PS_ENOMEM, "out of memory (metrics)");
	}
	*out = p.buf;
	return 0;
}
