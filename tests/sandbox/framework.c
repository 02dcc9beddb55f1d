/*
 * framework.c - the platform-independent half of pearlsync-sandbox.
 *
 * Request and response helpers, the route matcher, rate-limit windows, the
 * seeded PRNG, fault injection, request counters and the generic control
 * API (/_sandbox/reset, /requests, /faults, /webhooks, /state).  Everything
 * a platform shares lives here so that each simulator only describes its
 * own wire format.
 */
#include "sandbox.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* ---- PRNG --------------------------------------------------------------- */

void
sb_rng_seed(sb_rng *r, uint64_t seed)
{
	r->state = seed;
}

uint64_t
sb_rng_next(sb_rng *r)
{
	uint64_t z = (r->state += 0x9E3779B97F4A7C15ull);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

double
sb_rng_unit(sb_rng *r)
{
	return (double)(sb_rng_next(r) >> 11) / 9007199254740992.0;
}

/* ---- time --------------------------------------------------------------- */

int64_t
sb_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

const char *
sb_iso_now(char *buf, size_t len, int utc_z)
{
	struct timespec ts;
	struct tm tm;
	char day[32];

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(day, sizeof(day), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, len, "%s.%03ld%s", day, ts.tv_nsec / 1000000,
		 utc_z ? "Z" : "+00:00");
	return buf;
}

/* ---- requests ----------------------------------------------------------- */

const char *
sb_req_header(const sb_request *req, const char *name)
{
	size_t i;

	for (i = 0; i < req->nheaders; i++)
		if (strcasecmp(req->headers[i].name, name) == 0)
			return req->headers[i].value;
	return NULL;
}

const char *
sb_req_query(const sb_request *req, const char *name)
{
	size_t i;

	for (i = 0; i < req->nquery; i++)
		if (strcmp(req->query[i].name, name) == 0)
			return req->query[i].value;
	return NULL;
}

json_t *
sb_req_json(const sb_request *req, const char **err)
{
	json_error_t je;
	json_t *v;

	if (err)
		*err = NULL;
	if (!req->body || req->body_len == 0) {
		if (err)
			*err = "empty body";
		return NULL;
	}
	v = json_loadb(req->body, req->body_len, JSON_DECODE_ANY, &je);
	if (!v && err)
		*err = "malformed JSON";
	return v;
}

/* ---- responses ---------------------------------------------------------- */

static char *
dup_str(const char *s)
{
	size_t n;
	char *p;

	if (!s)
		return NULL;
	n = strlen(s) + 1;
	p = malloc(n);
	if (p)
		memcpy(p, s, n);
	return p;
}

void
sb_resp_text(sb_response *resp, int status, const char *ctype, const char *text)
{
	resp->status = status;
	free(resp->body);
	resp->body = dup_str(text ? text : "");
	resp->body_len = resp->body ? strlen(resp->body) : 0;
	if (ctype)
		sb_resp_header(resp, 1, "Content-Type", "%s", ctype);
}

void
sb_resp_json(sb_response *resp, int status, json_t *value, const char *ctype)
{
	char *s;

	s = value ? json_dumps(value, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
	json_decref(value);
	resp->status = status;
	free(resp->body);
	resp->body = s;
	resp->body_len = s ? strlen(s) : 0;
	sb_resp_header(resp, 1, "Content-Type", "%s",
		       ctype ? ctype : "application/json");
}

void
sb_resp_empty(sb_response *resp, int status)
{
	resp->status = status;
	free(resp->body);
	resp->body = NULL;
	resp->body_len = 0;
}

void
sb_resp_header(sb_response *resp, int replace, const char *name,
	       const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	size_t i;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (replace) {
		for (i = 0; i < resp->nheaders; i++) {
			if (strcasecmp(resp->headers[i].name, name) == 0) {
				free(resp->headers[i].value);
				resp->headers[i].value = dup_str(buf);
				return;
			}
		}
	}
	if (resp->nheaders >= SB_MAX_PAIRS)
		return;
	resp->headers[resp->nheaders].name = dup_str(name);
	resp->headers[resp->nheaders].value = dup_str(buf);
	resp->nheaders++;
}

const char *
sb_resp_get_header(const sb_response *resp, const char *name)
{
	size_t i;

	for (i = 0; i < resp->nheaders; i++)
		if (strcasecmp(resp->headers[i].name, name) == 0)
			return resp->headers[i].value;
	return NULL;
}

void
sb_resp_dispose(sb_response *resp)
{
	size_t i;

	for (i = 0; i < resp->nheaders; i++) {
		free(resp->headers[i].name);
		free(resp->headers[i].value);
	}
	free(resp->body);
	memset(resp, 0, sizeof(*resp));
}

/* ---- routing ------------------------------------------------------------ */

/* One segment of s starting at *pos: sets seg and len, advances pos. */
static int
next_segment(const char *s, size_t *pos, const char **seg, size_t *len)
{
	size_t p = *pos;

	while (s[p] == '/')
		p++;
	if (s[p] == '\0') {
		*pos = p;
		return 0;
	}
	*seg = s + p;
	while (s[p] && s[p] != '/')
		p++;
	*len = (size_t)(s + p - *seg);
	*pos = p;
	return 1;
}

static int
route_try(const char *pattern, const char *path, sb_request *req)
{
	size_t pp = 0, sp = 0, used = 0, np = 0, plen, slen;
	const char *pseg, *sseg;

	while (next_segment(pattern, &pp, &pseg, &plen)) {
		int capture =
			plen >= 2 && pseg[0] == '{' && pseg[plen - 1] == '}';
		int rest = capture && plen > 5 &&
			   memcmp(pseg + plen - 4, "...}", 4) == 0;

		if (!next_segment(path, &sp, &sseg, &slen))
			return 0;
		if (rest)
			slen = strlen(sseg);
		if (capture) {
			if (np >= SB_MAX_PARAMS ||
			    used + slen + 1 > sizeof(req->param_buf))
				return 0;
			memcpy(req->param_buf + used, sseg, slen);
			req->param_buf[used + slen] = '\0';
			req->params[np++] = req->param_buf + used;
			used += slen + 1;
			if (rest) {
				sp = strlen(path);
				break;
			}
		} else if (plen != slen || memcmp(pseg, sseg, plen) != 0) {
			return 0;
		}
	}
	if (next_segment(path, &sp, &sseg, &slen))
		return 0;
	req->nparams = np;
	return 1;
}

const sb_route *
sb_route_match(const sb_route *table, size_t n, sb_request *req,
	       const char *path, int *path_matched)
{
	size_t i;

	if (path_matched)
		*path_matched = 0;
	for (i = 0; i < n; i++) {
		if (!route_try(table[i].pattern, path, req))
			continue;
		if (strcmp(table[i].method, "*") != 0 &&
		    strcmp(table[i].method, req->method) != 0) {
			if (path_matched)
				*path_matched = 1;
			continue;
		}
		req->endpoint = table[i].counter;
		return &table[i];
	}
	req->nparams = 0;
	return NULL;
}

/* ---- windows ------------------------------------------------------------ */

void
sb_window_init(sb_window *w, enum sb_window_kind kind, int limit,
	       int64_t window_ms)
{
	memset(w, 0, sizeof(*w));
	w->kind = kind;
	w->limit = limit;
	w->window_ms = window_ms > 0 ? window_ms : 1;
	if (kind == SB_WINDOW_ROLLING && limit > 0) {
		w->stamps = calloc((size_t)limit, sizeof(*w->stamps));
		w->cap = w->stamps ? (size_t)limit : 0;
	}
}

void
sb_window_dispose(sb_window *w)
{
	free(w->stamps);
	memset(w, 0, sizeof(*w));
}

void
sb_window_clear(sb_window *w)
{
	w->head = w->count = 0;
	w->fixed_start = 0;
	w->fixed_used = 0;
}

int
sb_window_take(sb_window *w, int64_t now_ms, int *remaining, int64_t *reset_ms)
{
	return sb_window_take_n(w, now_ms, 1, remaining, reset_ms);
}

int
sb_window_take_n(sb_window *w, int64_t now_ms, int n, int *remaining,
		 int64_t *reset_ms)
{
	int k;

	if (n < 1)
		n = 1;
	if (w->limit <= 0) {
		*remaining = 1000000;
		*reset_ms = w->window_ms;
		return 1;
	}
	if (w->kind == SB_WINDOW_FIXED) {
		if (w->fixed_start == 0 ||
		    now_ms - w->fixed_start >= w->window_ms) {
			w->fixed_start = now_ms;
			w->fixed_used = 0;
		}
		*reset_ms = w->window_ms - (now_ms - w->fixed_start);
		if (w->fixed_used + n > w->limit) {
			*remaining = w->limit - w->fixed_used;
			return 0;
		}
		w->fixed_used += n;
		*remaining = w->limit - w->fixed_used;
		return 1;
	}
	/* rolling: drop stamps older than the window */
	while (w->count > 0 && now_ms - w->stamps[w->head] >= w->window_ms) {
		w->head = (w->head + 1) % w->cap;
		w->count--;
	}
	if (w->count + (size_t)n > w->cap) {
		/* what is left, which is less than this request needs */
		*remaining = (int)(w->cap - w->count);
		*reset_ms = w->count > 0 ? w->window_ms -
						   (now_ms - w->stamps[w->head])
					 : w->window_ms;
		return 0;
	}
	for (k = 0; k < n; k++) {
		w->stamps[(w->head + w->count) % w->cap] = now_ms;
		w->count++;
	}
	*remaining = (int)(w->cap - w->count);
	*reset_ms = w->window_ms - (now_ms - w->stamps[w->head]);
	if (*reset_ms < 1)
		*reset_ms = 1;
	return 1;
}

int
sb_quota_scale(const sb_sandbox *sb, int real_limit)
{
	double v;

	switch (sb->opt.quota_mode) {
	case SB_QUOTA_OFF:
		return 0;
	case SB_QUOTA_SCALED:
		v = real_limit * sb->opt.quota_scale;
		return v < 1 ? 1 : (int)v;
	case SB_QUOTA_REAL:
		break;
	}
	return real_limit;
}

/* ---- faults ------------------------------------------------------------- */

static const struct {
	unsigned kind;
	const char *name;
} fault_names[] = {
	{SB_FAULT_LATENCY, "latency"}, {SB_FAULT_429, "429"},
	{SB_FAULT_503, "503"},         {SB_FAULT_500, "500"},
	{SB_FAULT_DROP, "drop"},       {SB_FAULT_TRUNCATE, "truncate"},
	{SB_FAULT_INVALID, "invalid"}, {SB_FAULT_STALL, "stall"},
};
#define NFAULTS (sizeof(fault_names) / sizeof(fault_names[0]))

unsigned
sb_fault_from_name(const char *name)
{
	size_t i;

	for (i = 0; i < NFAULTS; i++)
		if (strcmp(fault_names[i].name, name) == 0)
			return fault_names[i].kind;
	return 0;
}

const char *
sb_fault_name(unsigned kind)
{
	size_t i;

	for (i = 0; i < NFAULTS; i++)
		if (fault_names[i].kind == kind)
			return fault_names[i].name;
	return "?";
}

/* Draw: 0 = no fault, else one SB_FAULT_* kind.  Lock held. */
static unsigned
fault_draw(sb_faults *f)
{
	unsigned kinds[NFAULTS];
	size_t i, n = 0;

	if (f->rate <= 0 || f->kinds == 0)
		return 0;
	if (sb_rng_unit(&f->rng) >= f->rate)
		return 0;
	for (i = 0; i < NFAULTS; i++)
		if (f->kinds & fault_names[i].kind)
			kinds[n++] = fault_names[i].kind;
	f->injected++;
	return kinds[sb_rng_next(&f->rng) % n];
}

static void
faults_clear(sb_faults *f)
{
	memset(f, 0, sizeof(*f));
	f->latency_ms = 200;
	f->stall_ms = 60000;
}

/* ---- platforms, lock ---------------------------------------------------- */

sb_platform *
sb_platform_add(sb_sandbox *sb, const sb_platform_ops *ops, void *priv)
{
	sb_platform *pf;

	if (sb->nplatforms >= SB_MAX_PLATFORMS)
		return NULL;
	pf = calloc(1, sizeof(*pf));
	if (!pf)
		return NULL;
	pf->ops = ops;
	pf->sb = sb;
	pf->priv = priv;
	faults_clear(&pf->faults);
	pf->hook_time_scale = 1000.0;
	pf->counters = json_object();
	pf->recent = json_array();
	sb->platforms[sb->nplatforms++] = pf;
	return pf;
}

sb_platform *
sb_platform_find(sb_sandbox *sb, const char *name)
{
	size_t i;

	for (i = 0; i < sb->nplatforms; i++)
		if (strcmp(sb->platforms[i]->ops->name, name) == 0)
			return sb->platforms[i];
	return NULL;
}

void
sb_lock(sb_sandbox *sb)
{
	pthread_mutex_lock(&sb->lock);
}

void
sb_unlock(sb_sandbox *sb)
{
	pthread_mutex_unlock(&sb->lock);
}

int
sb_sleep_ms(sb_sandbox *sb, int64_t ms)
{
	struct timespec ts;
	int stopping;

	sb_deadline(&ts, ms);
	sb_lock(sb);
	while (!sb->stopping &&
	       pthread_cond_timedwait(&sb->wake, &sb->lock, &ts) == 0)
		;
	stopping = sb->stopping;
	sb_unlock(sb);
	return stopping;
}

void
sb_deadline(struct timespec *ts, int64_t ms)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_sec += (time_t)(ms / 1000);
	ts->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

int
sb_init(sb_sandbox *sb, const sb_options *opt)
{
	pthread_condattr_t attr;
	int rc;

	memset(sb, 0, sizeof(*sb));
	sb->opt = *opt;
	sb->next_delivery_id = 1;
	if (pthread_mutex_init(&sb->lock, NULL) != 0)
		return -1;
	/* Waits run on the monotonic clock: a wall-clock step (NTP) must
	 * neither cut an injected stall short nor stretch it. */
	if (pthread_condattr_init(&attr) != 0) {
		pthread_mutex_destroy(&sb->lock);
		return -1;
	}
	rc = pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	if (rc == 0)
		rc = pthread_cond_init(&sb->wake, &attr);
	pthread_condattr_destroy(&attr);
	if (rc != 0) {
		pthread_mutex_destroy(&sb->lock);
		return -1;
	}
	return 0;
}

static void
delivery_free(sb_delivery *d)
{
	size_t i;

	for (i = 0; i < d->nheaders; i++) {
		free(d->headers[i].name);
		free(d->headers[i].value);
	}
	free(d->url);
	free(d->method);
	free(d->ctype);
	free(d->body);
	free(d->event);
	free(d);
}

static void
deliveries_clear(sb_sandbox *sb)
{
	sb_delivery *d, *next;

	for (d = sb->deliveries; d; d = next) {
		next = d->next;
		delivery_free(d);
	}
	sb->deliveries = NULL;
}

void
sb_dispose(sb_sandbox *sb)
{
	size_t i;

	for (i = 0; i < sb->nplatforms; i++) {
		sb_platform *pf = sb->platforms[i];

		if (pf->ops->free)
			pf->ops->free(pf);
		json_decref(pf->counters);
		json_decref(pf->recent);
		free(pf);
	}
	deliveries_clear(sb);
	pthread_cond_destroy(&sb->wake);
	pthread_mutex_destroy(&sb->lock);
}

/* Lock held. */
void
sb_reset_all(sb_sandbox *sb, int demo)
{
	size_t i;

	deliveries_clear(sb);
	for (i = 0; i < sb->nplatforms; i++) {
		sb_platform *pf = sb->platforms[i];

		faults_clear(&pf->faults);
		pf->hook_drop_rate = pf->hook_dup_rate = 0;
		pf->hook_time_scale = 1000.0;
		json_object_clear(pf->counters);
		json_array_clear(pf->recent);
		pf->requests = 0;
		if (pf->ops->reset)
			pf->ops->reset(pf, demo);
	}
}

/* ---- deliveries (queue side; the sender is deliver.c) ------------------- */

static sb_delivery *
delivery_copy(sb_sandbox *sb, sb_platform *pf, const char *method,
	      const char *url, const char *ctype, const char *body,
	      const sb_pair *headers, size_t nheaders,
	      const int64_t *schedule_ms, size_t nschedule, uint64_t hook_id,
	      const char *event)
{
	sb_delivery *d = calloc(1, sizeof(*d));
	size_t i;

	if (!d)
		return NULL;
	d->id = sb->next_delivery_id++;
	d->url = dup_str(url);
	d->method = dup_str(method ? method : "POST");
	d->ctype = dup_str(ctype);
	d->body = dup_str(body);
	d->event = dup_str(event);
	for (i = 0; i < nheaders && i < 16; i++) {
		d->headers[i].name = dup_str(headers[i].name);
		d->headers[i].value = dup_str(headers[i].value);
	}
	d->nheaders = i;
	d->schedule_ms = schedule_ms;
	d->nschedule = nschedule;
	d->hook_id = hook_id;
	d->pf = pf;
	d->next_at_ms = sb_now_ms();
	d->next = sb->deliveries;
	sb->deliveries = d;
	return d;
}

uint64_t
sb_deliver(sb_platform *pf, const char *method, const char *url,
	   const char *ctype, const char *body, const sb_pair *headers,
	   size_t nheaders, const int64_t *schedule_ms, size_t nschedule,
	   uint64_t hook_id, const char *event)
{
	sb_sandbox *sb = pf->sb;
	sb_delivery *d;

	if (pf->hook_drop_rate > 0 &&
	    sb_rng_unit(&pf->hook_rng) < pf->hook_drop_rate)
		return 0;
	d = delivery_copy(sb, pf, method, url, ctype, body, headers, nheaders,
			  schedule_ms, nschedule, hook_id, event);
	if (!d)
		return 0;
	if (pf->hook_dup_rate > 0 &&
	    sb_rng_unit(&pf->hook_rng) < pf->hook_dup_rate)
		delivery_copy(sb, pf, method, url, ctype, body, headers,
			      nheaders, schedule_ms, nschedule, hook_id, event);
	pthread_cond_broadcast(&sb->wake);
	return d->id;
}

/* ---- JSON helpers ------------------------------------------------------- */

int
sb_parse_int(const char *s, int64_t *out)
{
	char *end;
	long long v;

	if (!s || !*s)
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || *end != '\0' || isspace((unsigned char)*s))
		return -1;
	*out = v;
	return 0;
}

int64_t
sb_json_int(const json_t *v, int64_t def)
{
	int64_t n;

	if (json_is_integer(v))
		return json_integer_value(v);
	if (json_is_real(v))
		return (int64_t)json_real_value(v);
	if (json_is_string(v) && sb_parse_int(json_string_value(v), &n) == 0)
		return n;
	return def;
}

const char *
sb_json_str(const json_t *v, const char *def)
{
	return json_is_string(v) ? json_string_value(v) : def;
}

/* ---- the control API ---------------------------------------------------- */

static void
ctl_error(sb_response *resp, int status, const char *msg)
{
	sb_resp_json(resp, status, json_pack("{s:s}", "error", msg), NULL);
}

static void
ctl_faults(sb_sandbox *sb, sb_request *req, sb_response *resp)
{
	json_t *in, *kinds, *k, *out;
	const char *name;
	sb_platform *pf;
	size_t i, idx;

	if (strcmp(req->method, "GET") == 0) {
		out = json_object();
		for (i = 0; i < sb->nplatforms; i++) {
			sb_faults *f = &sb->platforms[i]->faults;
			json_t *ks = json_array();
			size_t j;

			for (j = 0; j < NFAULTS; j++)
				if (f->kinds & fault_names[j].kind)
					json_array_append_new(
						ks,
						json_string(
							fault_names[j].name));
			json_object_set_new(
				out, sb->platforms[i]->ops->name,
				json_pack("{s:f,s:o,s:I,s:i,s:i,s:I}", "rate",
					  f->rate, "kinds", ks, "seed",
					  (json_int_t)f->seed, "latency_ms",
					  f->latency_ms, "stall_ms",
					  f->stall_ms, "injected",
					  (json_int_t)f->injected));
		}
		sb_resp_json(resp, 200, out, NULL);
		return;
	}
	in = sb_req_json(req, NULL);
	if (!json_is_object(in)) {
		json_decref(in);
		ctl_error(resp, 400, "body must be a JSON object");
		return;
	}
	name = sb_json_str(json_object_get(in, "platform"), NULL);
	for (i = 0; i < sb->nplatforms; i++) {
		unsigned mask = 0;
		sb_faults *f;

		pf = sb->platforms[i];
		if (name && strcmp(name, "*") != 0 &&
		    strcmp(name, pf->ops->name) != 0)
			continue;
		kinds = json_object_get(in, "kinds");
		json_array_foreach (kinds, idx, k) {
			unsigned m = sb_fault_from_name(sb_json_str(k, ""));

			if (!m) {
				json_decref(in);
				ctl_error(resp, 400, "unknown fault kind");
				return;
			}
			mask |= m;
		}
		f = &pf->faults;
		faults_clear(f);
		f->kinds = mask;
		f->rate = json_number_value(json_object_get(in, "rate"));
		f->seed = (uint64_t)sb_json_int(json_object_get(in, "seed"), 1);
		sb_rng_seed(&f->rng, f->seed);
		f->latency_ms = (int)sb_json_int(
			json_object_get(in, "latency_ms"), f->latency_ms);
		f->stall_ms = (int)sb_json_int(json_object_get(in, "stall_ms"),
					       f->stall_ms);
	}
	json_decref(in);
	sb_resp_json(resp, 200, json_object(), NULL);
}

static void
ctl_requests(sb_sandbox *sb, sb_request *req, sb_response *resp)
{
	json_t *out;
	size_t i;

	if (strcmp(req->method, "GET") != 0) {
		for (i = 0; i < sb->nplatforms; i++) {
			json_object_clear(sb->platforms[i]->counters);
			json_array_clear(sb->platforms[i]->recent);
			sb->platforms[i]->requests = 0;
		}
		sb_resp_json(resp, 200, json_object(), NULL);
		return;
	}
	out = json_object();
	for (i = 0; i < sb->nplatforms; i++) {
		sb_platform *pf = sb->platforms[i];

		json_object_set_new(out, pf->ops->name,
				    json_pack("{s:I,s:O}", "total",
					      (json_int_t)pf->requests,
					      "endpoints", pf->counters));
	}
	sb_resp_json(resp, 200, out, NULL);
}

/*
 * GET /_sandbox/requests/recent?platform=NAME: the last requests that
 * platform received, oldest first, each with its body's exact bytes (what
 * a client sent, not a re-encoding of it).
 */
static void
ctl_recent(sb_sandbox *sb, sb_request *req, sb_response *resp)
{
	const char *name = sb_req_query(req, "platform");
	sb_platform *pf = name != NULL ? sb_platform_find(sb, name) : NULL;

	if (pf == NULL) {
		ctl_error(resp, 400, "platform=NAME is required");
		return;
	}
	sb_resp_json(resp, 200, json_deep_copy(pf->recent), NULL);
}

static void
ctl_webhooks(sb_sandbox *sb, sb_request *req, sb_response *resp)
{
	const char *name = sb_req_query(req, "platform");
	json_t *in;
	size_t i;

	if (strcmp(req->method, "GET") == 0) {
		sb_resp_json(resp, 200, sb_deliveries_json(sb, name), NULL);
		return;
	}
	in = sb_req_json(req, NULL);
	if (!json_is_object(in)) {
		json_decref(in);
		ctl_error(resp, 400, "body must be a JSON object");
		return;
	}
	name = sb_json_str(json_object_get(in, "platform"), NULL);
	for (i = 0; i < sb->nplatforms; i++) {
		sb_platform *pf = sb->platforms[i];
		json_t *v;

		if (name && strcmp(name, "*") != 0 &&
		    strcmp(name, pf->ops->name) != 0)
			continue;
		pf->hook_drop_rate =
			json_number_value(json_object_get(in, "drop_rate"));
		pf->hook_dup_rate = json_number_value(
			json_object_get(in, "duplicate_rate"));
		v = json_object_get(in, "time_scale");
		if (json_is_number(v) && json_number_value(v) >= 1)
			pf->hook_time_scale = json_number_value(v);
		sb_rng_seed(
			&pf->hook_rng,
			(uint64_t)sb_json_int(json_object_get(in, "seed"), 1));
	}
	json_decref(in);
	sb_resp_json(resp, 200, json_object(), NULL);
}

static void
ctl_state(sb_sandbox *sb, sb_response *resp)
{
	json_t *out = json_object();
	size_t i;

	for (i = 0; i < sb->nplatforms; i++) {
		sb_platform *pf = sb->platforms[i];

		if (pf->ops->state)
			json_object_set_new(out, pf->ops->name,
					    pf->ops->state(pf));
	}
	sb_resp_json(resp, 200, out, NULL);
}

/* /_sandbox/...: lock held. */
static void
control(sb_sandbox *sb, sb_request *req, sb_response *resp)
{
	const char *p = req->url + strlen("/_sandbox");
	json_t *in;
	size_t i;

	while (*p == '/')
		p++;
	if (strcmp(p, "reset") == 0 && strcmp(req->method, "POST") == 0) {
		int demo = 0;

		in = sb_req_json(req, NULL);
		if (json_is_object(in))
			demo = strcmp(sb_json_str(json_object_get(in, "seed"),
						  "empty"),
				      "demo") == 0;
		json_decref(in);
		sb_reset_all(sb, demo);
		sb_resp_json(resp, 200, json_object(), NULL);
		return;
	}
	if (strcmp(p, "requests/recent") == 0 &&
	    strcmp(req->method, "GET") == 0) {
		ctl_recent(sb, req, resp);
		return;
	}
	if (strcmp(p, "requests") == 0 || strcmp(p, "requests/reset") == 0) {
		ctl_requests(sb, req, resp);
		return;
	}
	if (strcmp(p, "faults") == 0) {
		ctl_faults(sb, req, resp);
		return;
	}
	if (strcmp(p, "webhooks") == 0 || strcmp(p, "deliveries") == 0) {
		ctl_webhooks(sb, req, resp);
		return;
	}
	if (strcmp(p, "state") == 0) {
		ctl_state(sb, resp);
		return;
	}
	if (strcmp(p, "health") == 0) {
		sb_resp_json(resp, 200, json_pack("{s:s}", "status", "ok"),
			     NULL);
		return;
	}
	for (i = 0; i < sb->nplatforms; i++) {
		sb_platform *pf = sb->platforms[i];
		size_t n = strlen(pf->ops->name);

		if (strncmp(p, pf->ops->name, n) == 0 &&
		    (p[n] == '/' || p[n] == '\0') && pf->ops->control) {
			pf->ops->control(pf, p[n] ? p + n + 1 : "", req, resp);
			return;
		}
	}
	ctl_error(resp, 404, "unknown control call");
}

static void
count_request(sb_platform *pf, const sb_request *req, int status)
{
	const char *key = req->endpoint ? req->endpoint : "other";
	json_t *v = json_object_get(pf->counters, key), *body = NULL;

	if (req->body != NULL && req->body_len > 0)
		body = json_stringn(req->body, req->body_len);
	if (json_array_size(pf->recent) >= SB_RECENT_MAX)
		json_array_remove(pf->recent, 0);
	json_array_append_new(pf->recent,
			      json_pack("{s:s, s:s, s:o?, s:i}", "method",
					req->method, "path",
					req->path ? req->path : "", "body",
					body, "status", status));
	pf->requests++;
	json_object_set_new(pf->counters, key,
			    json_integer(json_integer_value(v) + 1));
}

static void
generic_fault_reply(sb_platform *pf, int status, sb_request *req,
		    sb_response *resp)
{
	if (pf->ops->fault_reply) {
		pf->ops->fault_reply(pf, status, req, resp);
		return;
	}
	sb_resp_json(resp, status,
		     json_pack("{s:i,s:s}", "status", status, "title",
			       status == 429 ? "Too Many Requests"
					     : "Injected fault"),
		     NULL);
}

void
sb_dispatch(sb_sandbox *sb, sb_request *req, sb_response *resp)
{
	sb_platform *pf = NULL;
	unsigned fault = 0;
	int64_t pause = 0;
	size_t i;

	if (strncmp(req->url, "/_sandbox", 9) == 0 &&
	    (req->url[9] == '/' || req->url[9] == '\0')) {
		sb_lock(sb);
		control(sb, req, resp);
		sb_unlock(sb);
		return;
	}
	for (i = 0; i < sb->nplatforms; i++) {
		size_t n = strlen(sb->platforms[i]->ops->name);

		if (req->url[0] == '/' &&
		    strncmp(req->url + 1, sb->platforms[i]->ops->name, n) ==
			    0 &&
		    (req->url[n + 1] == '/' || req->url[n + 1] == '\0')) {
			pf = sb->platforms[i];
			req->path = req->url + n + 1;
			break;
		}
	}
	if (!pf) {
		sb_resp_json(resp, 404,
			     json_pack("{s:s}", "error", "no such platform"),
			     NULL);
		return;
	}
	sb_lock(sb);
	fault = fault_draw(&pf->faults);
	if (fault == SB_FAULT_LATENCY)
		pause = pf->faults.latency_ms;
	else if (fault == SB_FAULT_STALL)
		pause = pf->faults.stall_ms;
	sb_unlock(sb);
	if (pause > 0 && sb_sleep_ms(sb, pause)) {
		resp->drop = 1;
		return;
	}
	sb_lock(sb);
	switch (fault) {
	case SB_FAULT_429:
		generic_fault_reply(pf, 429, req, resp);
		break;
	case SB_FAULT_503:
		generic_fault_reply(pf, 503, req, resp);
		break;
	case SB_FAULT_500:
		generic_fault_reply(pf, 500, req, resp);
		break;
	case SB_FAULT_DROP:
		resp->drop = 1;
		break;
	default:
		pf->ops->handle(pf, req, resp);
		break;
	}
	count_request(pf, req, resp->drop ? 0 : resp->status);
	sb_unlock(sb);
	if (resp->hold_ms > 0 && sb_sleep_ms(sb, resp->hold_ms))
		resp->drop = 1;
	if (fault == SB_FAULT_TRUNCATE) {
		if (resp->body_len < 2) {
			sb_resp_text(resp, resp->status ? resp->status : 200,
				     NULL, "{\"response\":[1,2,3]}");
		}
		resp->truncate = 1;
	} else if (fault == SB_FAULT_INVALID) {
		sb_resp_text(resp, resp->status ? resp->status : 200, NULL,
			     "{\"response\": [{\"id\": 1,, <html>");
	}
}
