/*
 * http.c - the HTTP client: one libcurl easy handle per ps_http, the retry
 * loop, the response and its JSON, and the per-endpoint counters.
 *
 * The easy handle is reset (not recreated) before every attempt so that
 * its connection cache survives: requests to the same host reuse one
 * keep-alive connection.  CURLcode is turned into a PS_E* code in exactly
 * one place (map_curl); an HTTP status is data, classified by classify().
 * Waiting is the only thing that takes time outside libcurl, and it goes
 * through the injected clock in slices so that the cancel flag is seen.
 * Every attempt's outcome feeds the account's circuit breaker (breaker.c),
 * which is asked before every attempt.
 */
#include "http_int.h"

#include <ctype.h>
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "pearlsync/version.h"

/* Response headers kept per response; more are ignored. */
#define PS__HTTP_MAX_HEADERS 200
/* Longest URL written to the debug log. */
#define PS__HTTP_LOG_URL 512
/* Body excerpt put in an error detail. */
#define PS__HTTP_EXCERPT 160

typedef struct http_count {
	ps_platform platform;
	char *endpoint; /* owned */
	ps_http_outcome outcome;
	int64_t count;
} http_count;

struct ps_http {
	ps_http_options opts; /* ca_file points at ca_file below */
	char *ca_file;        /* owned copy, or NULL */
	CURL *curl;
	char errbuf[CURL_ERROR_SIZE];
	CURLM *multi;                     /* ps_http_send_many, lazily */
	CURL *pool[PS_HTTP_PARALLEL_MAX]; /* its transfers */
	char pool_err[PS_HTTP_PARALLEL_MAX][CURL_ERROR_SIZE];
	ps_http__limits limits;
	http_count *counts; /* owned */
	size_t ncounts, capcounts;
	ps_http_observe_fn observe; /* ps_http_set_observer, or NULL */
	void *observe_ctx;
};

/* What one transfer produced, besides the response. */
typedef struct xfer {
	ps_http_response *resp;
	size_t body_cap; /* bytes allocated for resp->body */
	size_t max_body;
	int too_big; /* the write or header callback refused the body */
	int oom;     /* a callback ran out of memory */
} xfer;

/* --- options and lifetime ---------------------------------------------- */

int
ps_http_new(ps_http **out, const ps_http_options *opts)
{
	static const ps_http_options defaults = PS_HTTP_OPTIONS_INIT;
	ps_http *h;

	*out = NULL;
	h = calloc(1, sizeof(*h));
	if (h == NULL)
		return ps_error_set(PS_ENOMEM, "out of memory (http client)");
	h->opts = opts ? *opts : defaults;
	if (h->opts.max_attempts < 1)
		h->opts.max_attempts = 1;
	if (h->opts.limiter_reserve < 0)
		h->opts.limiter_reserve = 0;
	if (h->opts.pace_burst_pct < 0)
		h->opts.pace_burst_pct = 0;
	if (h->opts.pace_burst_pct > 100)
		h->opts.pace_burst_pct = 100;
	if (h->opts.clock == NULL)
		h->opts.clock = ps_clock_system();
	if (h->opts.random == NULL)
		h->opts.random = ps_random_system();
	if (h->opts.wall == NULL)
		h->opts.wall = ps_clock_wall();
	if (h->opts.ca_file != NULL) {
		h->ca_file = ps_util__strdup(h->opts.ca_file);
		if (h->ca_file == NULL)
			goto nomem;
	}
	h->opts.ca_file = h->ca_file;
	h->curl = curl_easy_init();
	if (h->curl == NULL)
		goto nomem;
	*out = h;
	return 0;
nomem:
	ps_http_free(h);
	return ps_error_set(PS_ENOMEM, "out of memory (http client)");
}

void
ps_http_free(ps_http *h)
{
	size_t i;

	if (h == NULL)
		return;
	if (h->curl != NULL)
		curl_easy_cleanup(h->curl);
	for (i = 0; i < PS_HTTP_PARALLEL_MAX; i++)
		if (h->pool[i] != NULL)
			curl_easy_cleanup(h->pool[i]);
	if (h->multi != NULL)
		curl_multi_cleanup(h->multi);
	for (i = 0; i < h->ncounts; i++)
		free(h->counts[i].endpoint);
	free(h->counts);
	ps_http__limits_dispose(&h->limits);
	free(h->ca_file);
	free(h);
}

/* --- responses ---------------------------------------------------------- */

static void
headers_clear(ps_http_response *r)
{
	size_t i;

	for (i = 0; i < r->nheaders; i++) {
		free(r->headers[i].name);
		free(r->headers[i].value);
	}
	free(r->headers);
	r->headers = NULL;
	r->nheaders = 0;
}

void
ps_http_response_dispose(ps_http_response *r)
{
	if (r == NULL)
		return;
	headers_clear(r);
	free(r->body);
	memset(r, 0, sizeof(*r));
}

/* Forget what the previous attempt received; keep attempts and waits. */
static void
response_reset(ps_http_response *r)
{
	headers_clear(r);
	free(r->body);
	r->body = NULL;
	r->body_len = 0;
	r->status = 0;
}

const char *
ps_http_response_header(const ps_http_response *r, const char *name)
{
	size_t i;

	if (r == NULL || name == NULL)
		return NULL;
	for (i = 0; i < r->nheaders; i++) {
		if (strcasecmp(r->headers[i].name, name) == 0)
			return r->headers[i].value;
	}
	return NULL;
}

int
ps_http_response_json(json_t **out, const ps_http_response *r,
		      ps_platform platform)
{
	json_error_t jerr;

	*out = NULL;
	if (r == NULL || r->body == NULL || r->body_len == 0)
		return ps_error_set(
			PS_EPARSE,
			"invalid JSON from %s: empty body (HTTP %ld)",
			ps_platform_name(platform), r ? r->status : 0L);
	*out = json_loadb(r->body, r->body_len, JSON_DECODE_ANY, &jerr);
	if (*out == NULL)
		return ps_error_set(PS_EPARSE,
				    "invalid JSON from %s (line %d, column %d):"
				    " %s",
				    ps_platform_name(platform), jerr.line,
				    jerr.column, jerr.text);
	return 0;
}

/* --- counters ----------------------------------------------------------- */

static const char *const outcome_names[PS_HTTP_OUT_COUNT] = {
	"ok", "client-error", "auth", "throttled", "server-error", "network",
};

const char *
ps_http_outcome_name(ps_http_outcome o)
{
	return (unsigned)o < PS_HTTP_OUT_COUNT ? outcome_names[o] : "?";
}

/* Counting is best effort: out of memory loses a count, not a request. */
static void
count_add(ps_http *h, ps_platform p, const char *endpoint, ps_http_outcome o)
{
	http_count *c;
	size_t i;

	for (i = 0; i < h->ncounts; i++) {
		c = &h->counts[i];
		if (c->platform == p && c->outcome == o &&
		    strcmp(c->endpoint, endpoint) == 0) {
			c->count++;
			return;
		}
	}
	if (h->ncounts == h->capcounts) {
		size_t cap = h->capcounts ? h->capcounts * 2 : 16;
		http_count *v = realloc(h->counts, cap * sizeof(*v));
		if (v == NULL)
			return;
		h->counts = v;
		h->capcounts = cap;
	}
	c = &h->counts[h->ncounts];
	c->endpoint = ps_util__strdup(endpoint);
	if (c->endpoint == NULL)
		return;
	c->platform = p;
	c->outcome = o;
	c->count = 1;
	h->ncounts++;
}

void
ps_http_counts_foreach(const ps_http *h, ps_http_count_fn fn, void *ctx)
{
	size_t i;

	if (h == NULL || fn == NULL)
		return;
	for (i = 0; i < h->ncounts; i++)
		fn(ctx, h->counts[i].platform, h->counts[i].endpoint,
		   h->counts[i].outcome, h->counts[i].count);
}

void
ps_http_counts_reset(ps_http *h)
{
	size_t i;

	if (h == NULL)
		return;
	for (i = 0; i < h->ncounts; i++)
		free(h->counts[i].endpoint);
	h->ncounts = 0;
}

int64_t
ps_http_breaker_wait_ms(const ps_http *h, ps_platform platform, int *out_open)
{
	int64_t now, wait = 0, w;
	size_t i;
	int open = 0;

	if (out_open != NULL)
		*out_open = 0;
	if (h == NULL)
		return 0;
	now = h->opts.clock->now_ms(h->opts.clock->ctx);
	for (i = 0; i < h->limits.n; i++) {
		const ps_http__breaker *b = &h->limits.v[i].breaker;

		if (h->limits.v[i].platform != platform || b->opened == 0)
			continue;
		open = 1;
		if ((w = ps_http__breaker_wait_ms(b, now)) > wait)
			wait = w;
	}
	if (out_open != NULL)
		*out_open = open;
	return wait;
}

int
ps_http_limit_budget(ps_http_budget *out, const ps_http *h,
		     ps_platform platform, const char *account)
{
	ps_http__limit *s, copy;
	int64_t now;

	out->remaining = -1;
	out->quota = -1;
	out->unit = ps_http__dialect(platform)->unit;
	if (out->unit == NULL)
		out->unit = "requests";
	if (h == NULL)
		return 0;
	now = h->opts.clock->now_ms(h->opts.clock->ctx);
	/* find without creating: the table is not changed */
	s = ps_http__limit_find((ps_http__limits *)&h->limits, platform,
				account, 0, now);
	if (s == NULL)
		return 0;
	copy = *s;
	ps_http__limit_roll(&copy, now);
	out->remaining = copy.remaining;
	out->quota = copy.quota;
	return out->remaining >= 0;
}

int
ps_http_limit_pace(ps_http_pace *out, const ps_http *h, ps_platform platform)
{
	int64_t now;
	size_t i;
	int found = 0;

	out->left = -1;
	out->quota = -1;
	out->window_ms = -1;
	out->rate = 0;
	out->short_budget = 0;
	if (h == NULL)
		return 0;
	now = h->opts.clock->now_ms(h->opts.clock->ctx);
	for (i = 0; i < h->limits.n; i++) {
		ps_http__limit copy = h->limits.v[i];
		ps_http_pace p;

		if (copy.platform != platform)
			continue;
		ps_http__limit_roll(&copy, now);
		ps_http__limit_pace(&copy, now, h->opts.pace_burst_pct,
				    &p.quota, &p.window_ms, &p.left, &p.rate);
		if (p.left < 0 || (found && p.left >= out->left))
			continue;
		p.short_budget = p.rate > 0;
		*out = p;
		found = 1;
	}
	return found;
}

long
ps_http_limit_remaining(const ps_http *h, ps_platform platform,
			const char *account)
{
	ps_http_budget b;

	ps_http_limit_budget(&b, h, platform, account);
	return b.remaining;
}

/* --- libcurl callbacks ------------------------------------------------ */

static size_t
on_body(char *data, size_t size, size_t n, void *ud)
{
	xfer *x = ud;
	ps_http_response *r = x->resp;
	size_t len = size * n, need;

	if (len > x->max_body || r->body_len > x->max_body - len) {
		x->too_big = 1;
		return 0; /* aborts the transfer: CURLE_WRITE_ERROR */
	}
	need = r->body_len + len + 1;
	if (need > x->body_cap) {
		size_t cap = x->body_cap ? x->body_cap : 1024;
		char *grown;

		while (cap < need && cap <= SIZE_MAX / 2)
			cap *= 2;
		if (cap < need)
			cap = need;
		if (x->max_body < SIZE_MAX && cap > x->max_body + 1)
			cap = x->max_body + 1;
		grown = realloc(r->body, cap);
		if (grown == NULL) {
			x->oom = 1;
			return 0;
		}
		r->body = grown;
		x->body_cap = cap;
	}
	memcpy(r->body + r->body_len, data, len);
	r->body_len += len;
	r->body[r->body_len] = '\0';
	return len;
}

static char *
dup_trimmed(const char *s, size_t n)
{
	char *p;

	while (n > 0 && (*s == ' ' || *s == '\t')) {
		s++;
		n--;
	}
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' ||
			 s[n - 1] == '\r' || s[n - 1] == '\n'))
		n--;
	p = malloc(n + 1);
	if (p != NULL) {
		memcpy(p, s, n);
		p[n] = '\0';
	}
	return p;
}

/*
 * Called once per header line of every response curl reads, including
 * interim 1xx ones: a status line starts a new header set.
 */
static size_t
on_header(char *data, size_t size, size_t n, void *ud)
{
	xfer *x = ud;
	ps_http_response *r = x->resp;
	size_t len = size * n;
	const char *colon;
	ps_http_header *grown;
	char *name, *value;

	if (len >= 5 && memcmp(data, "HTTP/", 5) == 0) {
		headers_clear(r);
		return len;
	}
	colon = memchr(data, ':', len);
	if (colon == NULL || colon == data ||
	    r->nheaders >= PS__HTTP_MAX_HEADERS)
		return len;
	name = dup_trimmed(data, (size_t)(colon - data));
	value = dup_trimmed(colon + 1, len - (size_t)(colon - data) - 1);
	grown = name && value ? realloc(r->headers,
					(r->nheaders + 1) * sizeof(*grown))
			      : NULL;
	if (grown == NULL) {
		free(name);
		free(value);
		x->oom = 1;
		return 0;
	}
	r->headers = grown;
	r->headers[r->nheaders].name = name;
	r->headers[r->nheaders].value = value;
	r->nheaders++;
	/* refuse a declared body past the cap before reading any of it */
	if (strcasecmp(name, "Content-Length") == 0) {
		char *end;
		unsigned long long cl = strtoull(value, &end, 10);
		if (end != value && cl > (unsigned long long)x->max_body) {
			x->too_big = 1;
			return 0;
		}
	}
	return len;
}

/* --- one attempt -------------------------------------------------------- */

/* How one attempt ended, before the status is looked at. */
typedef struct attempt {
	int error; /* 0 or the PS_E* code of a transport failure */
	int sent;  /* request bytes may have reached the server */
	CURLcode cc;
	long elapsed_ms;
} attempt;

/*
 * map_curl - the one place a CURLcode becomes a PS_E* code.  x says
 * whether our own callbacks aborted the transfer.
 */
static int
map_curl(CURLcode cc, const xfer *x)
{
	switch (cc) {
	case CURLE_OK:
		return 0;
	case CURLE_WRITE_ERROR:
		if (x->oom)
			return PS_ENOMEM;
		return x->too_big ? PS_ETOOBIG : PS_ENET;
	case CURLE_FILESIZE_EXCEEDED:
		return PS_ETOOBIG;
	case CURLE_OUT_OF_MEMORY:
		return PS_ENOMEM;
	case CURLE_OPERATION_TIMEDOUT:
		return PS_ETIMEOUT;
	case CURLE_URL_MALFORMAT:
	case CURLE_UNSUPPORTED_PROTOCOL:
		return PS_EINVAL;
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_ENGINE_NOTFOUND:
	case CURLE_SSL_ENGINE_SETFAILED:
	case CURLE_SSL_ENGINE_INITFAILED:
	case CURLE_SSL_CRL_BADFILE:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_INVALIDCERTSTATUS:
	case CURLE_USE_SSL_FAILED:
		return PS_ETLS;
	default:
		/* refused, reset, DNS, empty reply, partial body... */
		return PS_ENET;
	}
}

/* Set every option of transfer c again (curl_easy_reset keeps only the
 * connections); errbuf receives curl's message. */
static void
setup(ps_http *h, CURL *c, char *errbuf, const ps_http_request *req,
      struct curl_slist *hdrs, xfer *x)
{
	const char *m = req->method;

	curl_easy_reset(c);
	curl_easy_setopt(c, CURLOPT_URL, req->url);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
			 h->opts.connect_timeout_ms);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, h->opts.total_timeout_ms);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
	if (h->ca_file != NULL)
		curl_easy_setopt(c, CURLOPT_CAINFO, h->ca_file);
	curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(c, CURLOPT_USERAGENT, PS_USER_AGENT);
	curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
	/*
	 * libcurl silently re-sends a request (any method) when a reused
	 * connection closes without a reply.  A write that must not be
	 * repeated therefore gets a connection of its own.
	 */
	if (!req->idempotent)
		curl_easy_setopt(c, CURLOPT_FRESH_CONNECT, 1L);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, x);
	errbuf[0] = '\0';

	if (strcmp(m, "GET") == 0 && req->body == NULL) {
		curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
	} else if (strcmp(m, "HEAD") == 0) {
		curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	} else if (req->body == NULL && strcmp(m, "POST") != 0) {
		/* DELETE and friends without a body */
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, m);
	} else {
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
				 (curl_off_t)(req->body ? req->body_len : 0));
		curl_easy_setopt(c, CURLOPT_POSTFIELDS,
				 req->body ? req->body : "");
		if (strcmp(m, "POST") != 0)
			curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, m);
	}
}

/* How transfer c ended (cc) into *a and resp. */
static void
finish(attempt *a, CURL *c, CURLcode cc, const xfer *x, ps_http_response *resp)
{
	long status = 0, reqsize = 0;
	double total = 0;

	a->cc = cc;
	a->error = map_curl(cc, x);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_getinfo(c, CURLINFO_REQUEST_SIZE, &reqsize);
	curl_easy_getinfo(c, CURLINFO_TOTAL_TIME, &total);
	a->sent = reqsize > 0;
	a->elapsed_ms = (long)(total * 1000.0);
	resp->status = status;
	if (resp->body == NULL) {
		resp->body = calloc(1, 1);
		if (resp->body == NULL && a->error == 0)
			a->error = PS_ENOMEM;
	}
}

static void
perform(attempt *a, ps_http *h, const ps_http_request *req,
	struct curl_slist *hdrs, ps_http_response *resp)
{
	xfer x = {resp, 0, h->opts.max_body, 0, 0};

	response_reset(resp);
	setup(h, h->curl, h->errbuf, req, hdrs, &x);
	finish(a, h->curl, curl_easy_perform(h->curl), &x, resp);
}

/* --- classification and the retry loop --------------------------------- */

typedef struct verdict {
	int error; /* what to return if no retry follows */
	int retry; /* worth another attempt */
	int throttled;
	ps_http_outcome outcome;
	int64_t hint_ms; /* the platform's requested wait, -1: none */
} verdict;

static int64_t
wall_now(const ps_http *h)
{
	return h->opts.wall->now_ms(h->opts.wall->ctx);
}

/* wall_now: unix ms, for a Retry-After given as a date */
static verdict
classify(const ps_http_request *req, const attempt *a,
	 const ps_http_response *r, int64_t wall_now)
{
	const ps_http_dialect *d = ps_http__dialect(req->platform);
	verdict v = {0, 0, 0, PS_HTTP_OUT_OK, -1};
	long s = r->status;

	if (a->error != 0) {
		v.error = a->error;
		v.outcome = PS_HTTP_OUT_NETWORK;
		if (a->error == PS_ENET || a->error == PS_ETIMEOUT)
			v.retry = req->idempotent || !a->sent;
		return v;
	}
	/* a dialect may say a 2xx is a refusal (an error in the body) */
	if (s == 429 || (d->is_throttle != NULL && d->is_throttle(r))) {
		v.error = PS_ERATELIMIT;
		v.outcome = PS_HTTP_OUT_THROTTLED;
		v.retry = 1;
		v.throttled = 1;
		v.hint_ms = ps_http__retry_after_ms(r, wall_now);
		if (d->throttle_hint_ms != NULL)
			v.hint_ms = d->throttle_hint_ms(r, v.hint_ms);
		return v;
	}
	if (s >= 200 && s <= 299)
		return v;
	if (s == 401 || s == 403) {
		v.error = PS_EAUTH;
		v.outcome = PS_HTTP_OUT_AUTH;
		return v;
	}
	if (s >= 400 && s <= 499) {
		v.outcome = PS_HTTP_OUT_CLIENT;
		return v;
	}
	if (s >= 500 && s <= 599 && d->is_refusal != NULL && d->is_refusal(r)) {
		v.outcome = PS_HTTP_OUT_CLIENT;
		return v;
	}
	if (s >= 500 && s <= 599) {
		v.error = PS_EREMOTE;
		v.outcome = PS_HTTP_OUT_SERVER;
		v.retry = s == 500 || s == 502 || s == 503 || s == 504;
		v.hint_ms = ps_http__retry_after_ms(r, wall_now);
		return v;
	}
	v.error = PS_EHTTP;
	v.outcome = PS_HTTP_OUT_CLIENT;
	return v;
}

/*
 * Tell lim's breaker what one attempt said: a failure when nothing came
 * back (refused, reset, timeout) or a 5xx that is not a throttle; an
 * answer otherwise.  Failures of our own (out of memory, the size cap, a
 * bad URL, TLS) say nothing about the platform being up.
 */
static void
breaker_record(ps_http *h, ps_http__limit *lim, const attempt *a,
	       const verdict *v, const ps_http_response *r)
{
	const ps_clock *clk = h->opts.clock;
	int64_t now = clk->now_ms(clk->ctx);

	if (a->error == PS_ENET || a->error == PS_ETIMEOUT)
		ps_http__breaker_record(&lim->breaker, &h->opts, 1, PS_ENET, 0,
					now, wall_now(h), -1);
	else if (a->error == 0 && v->outcome == PS_HTTP_OUT_SERVER)
		ps_http__breaker_record(&lim->breaker, &h->opts, 1, PS_EREMOTE,
					r->status, now, wall_now(h),
					v->hint_ms);
	else if (a->error == 0)
		ps_http__breaker_record(&lim->breaker, &h->opts, 0, 0, 0, now,
					0, -1);
}

/* Full jitter: uniform in [0, min(cap, base * 2^n)]. */
static int64_t
backoff_ms(const ps_http *h, int n)
{
	int64_t ceiling = h->opts.backoff_base_ms, cap = h->opts.backoff_cap_ms;
	uint64_t r;

	if (ceiling < 0)
		ceiling = 0;
	while (n-- > 0 && ceiling < cap)
		ceiling = ceiling > INT64_MAX / 2 ? INT64_MAX : ceiling * 2;
	if (ceiling > cap)
		ceiling = cap;
	if (ceiling > h->opts.max_wait_ms)
		ceiling = h->opts.max_wait_ms;
	if (ceiling <= 0)
		return 0;
	r = h->opts.random->next(h->opts.random->ctx);
	return (int64_t)(r % ((uint64_t)ceiling + 1));
}

/*
 * Sleep ms through the injected clock, a slice at a time, looking at the
 * cancel flag before each slice.  Returns 0 or PS_ESTOPPED.
 */
static int
wait_ms(ps_http *h, ps_http_response *out, int64_t ms)
{
	const ps_clock *clk = h->opts.clock;
	int64_t start = clk->now_ms(clk->ctx), deadline = start + ms, now;

	for (now = start;; now = clk->now_ms(clk->ctx)) {
		if (h->opts.cancel != NULL && *h->opts.cancel) {
			out->waited_ms += now - start;
			return PS_ESTOPPED;
		}
		if (now >= deadline)
			break;
		clk->sleep_ms(clk->ctx, deadline - now < PS_HTTP_WAIT_SLICE_MS
						? deadline - now
						: PS_HTTP_WAIT_SLICE_MS);
	}
	out->waited_ms += now - start;
	return 0;
}

/*
 * Copy url into buf for the log with credentials masked: user:password@
 * and the values of query parameters whose names look secret.
 */
static void
url_for_log(char *buf, size_t cap, const char *url)
{
	static const char *const secret_words[] = {
		"token", "secret", "password",   "passwd", "key",
		"sig",   "auth",   "credential", "code",
	};
	const char *p = url, *scheme = strstr(url, "://");
	size_t o = 0;

	if (cap == 0)
		return;
#define PUT(ch)                                                                \
	do {                                                                   \
		if (o + 1 < cap)                                               \
			buf[o++] = (ch);                                       \
	} while (0)
	if (scheme != NULL) {
		const char *host = scheme + 3;
		size_t hostlen = strcspn(host, "/?#");
		const char *at = memchr(host, '@', hostlen);

		for (; p < host; p++)
			PUT(*p);
		if (at != NULL)
			p = at + 1;
	}
	while (*p != '\0' && *p != '?')
		PUT(*p++);
	while (*p == '?' || *p == '&') {
		/* copy the separator and the name, mask the value if needed */
		const char *name = p + 1, *eq;
		size_t nlen = strcspn(name, "=&#"), i, j;
		int secret = 0;

		PUT(*p);
		for (i = 0; i < nlen && !secret; i++) {
			for (j = 0; j < PS__ARRAY_LEN(secret_words); j++) {
				size_t wl = strlen(secret_words[j]);
				if (i + wl <= nlen &&
				    strncasecmp(name + i, secret_words[j],
						wl) == 0)
					secret = 1;
			}
		}
		for (i = 0; i < nlen; i++)
			PUT(name[i]);
		p = name + nlen;
		if (*p != '=')
			continue;
		PUT('=');
		eq = ++p;
		p = eq + strcspn(eq, "&#");
		if (secret) {
			PUT('*');
			PUT('*');
			PUT('*');
			PUT('*');
		} else {
			for (; eq < p; eq++)
				PUT(*eq);
		}
	}
#undef PUT
	buf[o] = '\0';
}

void
ps_http_set_observer(ps_http *h, ps_http_observe_fn fn, void *ctx)
{
	if (h == NULL)
		return;
	h->observe = fn;
	h->observe_ctx = ctx;
}

/*
 * Tell the observer about one attempt: the URL's path only (no scheme,
 * host, user:password@, query or fragment), so nothing secret a URL may
 * carry reaches it.
 */
static void
observe(ps_http *h, const ps_http_request *req, const attempt *a,
	const ps_http_response *r)
{
	char path[256];
	const char *p = req->url, *scheme = strstr(req->url, "://");
	size_t n;
	ps_http_exchange x;

	if (h->observe == NULL)
		return;
	if (scheme != NULL) {
		p = scheme + 3;
		p += strcspn(p, "/?#");
	}
	n = strcspn(p, "?#");
	if (n >= sizeof(path))
		n = sizeof(path) - 1;
	memcpy(path, p, n);
	path[n] = '\0';
	if (n == 0)
		ps_util__strlcpy(path, "/", sizeof(path));
	x.platform = req->platform;
	x.method = req->method;
	x.path = path;
	x.endpoint = req->endpoint ? req->endpoint : "-";
	x.status = a->error != 0 ? 0 : r->status;
	x.error = a->error;
	x.elapsed_ms = a->elapsed_ms;
	x.bytes = (int64_t)(req->body != NULL ? req->body_len : 0) +
		  (int64_t)(a->error == 0 ? r->body_len : 0);
	h->observe(h->observe_ctx, &x);
}

/* A printable one-line excerpt of the body for an error detail. */
static void
excerpt(char *buf, size_t cap, const ps_http_response *r)
{
	size_t i, o = 0;

	for (i = 0; r->body != NULL && i < r->body_len && o + 4 < cap; i++) {
		unsigned char ch = (unsigned char)r->body[i];
		buf[o++] = isprint(ch) ? (char)ch : ' ';
	}
	if (r->body != NULL && i < r->body_len && o + 3 < cap) {
		buf[o++] = '.';
		buf[o++] = '.';
		buf[o++] = '.';
	}
	buf[o] = '\0';
}

static const char *
transport_cause(const attempt *a, const ps_http *h)
{
	if (h->errbuf[0] != '\0')
		return h->errbuf;
	return curl_easy_strerror(a->cc);
}

/* Write the operator's detail for a failed send. */
static int
fail(int error, ps_http *h, const ps_http_request *req, const attempt *a,
     const verdict *v, const ps_http_response *r)
{
	const char *plat = ps_platform_name(req->platform);
	const char *ep = req->endpoint ? req->endpoint : "-";
	char ex[PS__HTTP_EXCERPT + 4];
	int n = r->attempts;

	excerpt(ex, sizeof(ex), r);
	switch (error) {
	case PS_EAUTH:
		return ps_error_set(
			error, "%s %s %s: credentials refused (HTTP %ld)%s%s",
			plat, req->method, ep, r->status, ex[0] ? ": " : "",
			ex);
	case PS_ERATELIMIT:
		return ps_error_set(
			error,
			"%s %s %s: rate limited (HTTP %ld) after %d "
			"attempt%s",
			plat, req->method, ep, r->status, n, n == 1 ? "" : "s");
	case PS_EREMOTE:
		return ps_error_set(error,
				    "%s %s %s: HTTP %ld after %d attempt%s%s%s",
				    plat, req->method, ep, r->status, n,
				    n == 1 ? "" : "s", ex[0] ? ": " : "", ex);
	case PS_EHTTP:
		return ps_error_set(error,
				    "%s %s %s: unexpected HTTP %ld (redirects "
				    "are not followed; check the base URL)",
				    plat, req->method, ep, r->status);
	case PS_ETOOBIG:
		return ps_error_set(error,
				    "%s %s %s: response larger than %zu bytes",
				    plat, req->method, ep, h->opts.max_body);
	case PS_ETLS:
		return ps_error_set(error,
				    "%s %s %s: TLS failure: %s (check the "
				    "server certificate and the CA file)",
				    plat, req->method, ep,
				    transport_cause(a, h));
	case PS_ETIMEOUT:
	case PS_ENET:
		if (v->outcome == PS_HTTP_OUT_NETWORK && a->sent &&
		    !req->idempotent)
			return ps_error_set(
				error,
				"%s %s %s: %s after the request was sent; "
				"not retried because it may have taken "
				"effect (%d attempt%s)",
				plat, req->method, ep, transport_cause(a, h), n,
				n == 1 ? "" : "s");
		return ps_error_set(error, "%s %s %s: %s after %d attempt%s",
				    plat, req->method, ep,
				    transport_cause(a, h), n,
				    n == 1 ? "" : "s");
	default:
		return ps_error_set(error, "%s %s %s: %s", plat, req->method,
				    ep, ps_strerror(error));
	}
}

/* The request's headers plus our defaults, for curl. */
static struct curl_slist *
build_headers(const ps_http_request *req)
{
	struct curl_slist *l = NULL, *t;
	int has_type = 0, has_accept = 0;
	size_t i;

	for (i = 0; req->headers != NULL && req->headers[i] != NULL; i++) {
		const char *hd = req->headers[i];
		if (strncasecmp(hd, "Content-Type:", 13) == 0)
			has_type = 1;
		if (strncasecmp(hd, "Accept:", 7) == 0)
			has_accept = 1;
		if ((t = curl_slist_append(l, hd)) == NULL)
			goto nomem;
		l = t;
	}
	if (req->body != NULL && !has_type) {
		if ((t = curl_slist_append(
			     l, "Content-Type: application/json")) == NULL)
			goto nomem;
		l = t;
	}
	if (!has_accept) {
		if ((t = curl_slist_append(l, "Accept: application/json")) ==
		    NULL)
			goto nomem;
		l = t;
	}
	/* no "Expect: 100-continue" round trip before bodies */
	if ((t = curl_slist_append(l, "Expect:")) == NULL)
		goto nomem;
	return t;
nomem:
	curl_slist_free_all(l);
	return NULL;
}

int
ps_http_send(ps_http_response *out, ps_http *h, const ps_http_request *req)
{
	struct curl_slist *hdrs = NULL;
	char logurl[PS__HTTP_LOG_URL];
	const char *plat, *ep;
	ps_http__limit *lim;
	verdict v = {0, 0, 0, PS_HTTP_OUT_OK, -1};
	attempt a = {0, 0, CURLE_OK, 0};
	int error = 0, n;
	long cost;

	if (out == NULL || h == NULL || req == NULL || req->url == NULL ||
	    req->method == NULL)
		return ps_error_set(PS_EINVAL, "http: incomplete request");
	ps_http_response_dispose(out);
	plat = ps_platform_name(req->platform);
	ep = req->endpoint ? req->endpoint : "-";
	url_for_log(logurl, sizeof(logurl), req->url);
	hdrs = build_headers(req);
	lim = ps_http__limit_find(&h->limits, req->platform, req->account, 1,
				  h->opts.clock->now_ms(h->opts.clock->ctx));
	cost = ps_http__cost(req);
	if (hdrs == NULL || lim == NULL) {
		error = ps_error_set(PS_ENOMEM, "out of memory (http request)");
		goto done;
	}

	for (n = 0; n < h->opts.max_attempts; n++) {
		const ps_clock *clk = h->opts.clock;
		int64_t now = clk->now_ms(clk->ctx), wait;

		/* open: not sent, and no wait (also when opened just now) */
		if (ps_http__breaker_wait_ms(&lim->breaker, now) > 0) {
			error = ps_http__breaker_refuse(&lim->breaker,
							req->platform,
							req->method, ep, now);
			goto done;
		}
		ps_http__limit_roll(lim, now);
		wait = ps_http__limit_wait_ms(lim, now, h->opts.limiter_reserve,
					      cost);
		if (wait == 0 && n == 0) {
			/* spread what is left over the window; a retry has
			 * waited its backoff already */
			wait = ps_http__limit_pace_ms(
				lim, now, h->opts.pace_burst_pct, cost);
			if (wait > 0 && wait <= h->opts.max_wait_ms) {
				if ((error = wait_ms(h, out, wait)) < 0) {
					error = ps_error_set(
						error,
						"stopped while pacing "
						"%s requests (%s %s)",
						plat, req->method, ep);
					goto done;
				}
				ps_http__limit_roll(lim, clk->now_ms(clk->ctx));
			}
			wait = 0;
		}
		if (wait > 0) {
			if (wait > h->opts.max_wait_ms)
				wait = h->opts.max_wait_ms;
			ps_log_debug("http",
				     "%s account '%s': %ld %s left, %ld "
				     "needed, waiting %lld ms for more",
				     plat, lim->account, lim->remaining,
				     lim->dialect->unit ? lim->dialect->unit
							: "requests",
				     cost, (long long)wait);
			if ((error = wait_ms(h, out, wait)) < 0) {
				error = ps_error_set(
					error,
					"stopped while waiting for the "
					"%s rate limit (%s %s)",
					plat, req->method, ep);
				goto done;
			}
			ps_http__limit_waited(lim, clk->now_ms(clk->ctx),
					      h->opts.limiter_reserve, cost);
		}
		ps_http__limit_sent(lim, cost, clk->now_ms(clk->ctx));

		perform(&a, h, req, hdrs, out);
		out->attempts++;
		ps_http__limit_observe(lim, out, clk->now_ms(clk->ctx));
		v = classify(req, &a, out, wall_now(h));
		count_add(h, req->platform, ep, v.outcome);
		breaker_record(h, lim, &a, &v, out);
		observe(h, req, &a, out);
		if (a.error != 0) {
			ps_log_debug("http",
				     "%s %s %s -> %s (%s) in %ld ms, "
				     "attempt %d/%d",
				     plat, req->method, logurl,
				     ps_strerror(a.error),
				     transport_cause(&a, h), a.elapsed_ms,
				     n + 1, h->opts.max_attempts);
			/* a partial response is no response */
			response_reset(out);
			out->body = calloc(1, 1);
		} else {
			ps_log_debug(
				"http",
				"%s %s %s -> %ld%s in %ld ms, attempt %d/%d",
				plat, req->method, logurl, out->status,
				v.throttled ? " (throttled)" : "", a.elapsed_ms,
				n + 1, h->opts.max_attempts);
		}
		if (!v.retry || n + 1 >= h->opts.max_attempts)
			break;
		/* this failure opened the breaker: no backoff, say so now */
		if (ps_http__breaker_wait_ms(&lim->breaker,
					     clk->now_ms(clk->ctx)) > 0) {
			error = ps_http__breaker_refuse(
				&lim->breaker, req->platform, req->method, ep,
				clk->now_ms(clk->ctx));
			goto done;
		}
		if (v.hint_ms >= 0)
			wait = v.hint_ms < h->opts.max_wait_ms
				       ? v.hint_ms
				       : h->opts.max_wait_ms;
		else
			wait = backoff_ms(h, n);
		ps_log_debug("http", "%s %s %s: retrying in %lld ms (%s)", plat,
			     req->method, ep, (long long)wait,
			     v.hint_ms >= 0 ? "platform hint" : "backoff");
		if ((error = wait_ms(h, out, wait)) < 0) {
			error = ps_error_set(
				error,
				"stopped while waiting to retry %s "
				"%s %s",
				plat, req->method, ep);
			goto done;
		}
	}
	error = v.error ? fail(v.error, h, req, &a, &v, out) : 0;
done:
	curl_slist_free_all(hdrs);
	if (out->body == NULL) {
		out->body = calloc(1, 1);
		if (out->body == NULL && error == 0)
			error = ps_error_set(PS_ENOMEM, "out of memory");
	}
	return error;
}

/* --- several requests at once ------------------------------------------- */

/* One transfer of ps_http_send_many under way. */
typedef struct slot {
	size_t i; /* the request's index */
	struct curl_slist *hdrs;
	xfer x;
	int busy;
} slot;

/* Start request i in free slot k; 0, or a code for errors[i]. */
static int
start_one(ps_http *h, slot *sl, size_t k, const ps_http_request *req,
	  ps_http_response *out, size_t i)
{
	const ps_clock *clk = h->opts.clock;
	ps_http__limit *lim;
	int64_t now = clk->now_ms(clk->ctx);
	long cost;

	if (!req->idempotent || req->url == NULL || req->method == NULL)
		return PS_EINVAL;
	cost = ps_http__cost(req);
	lim = ps_http__limit_find(&h->limits, req->platform, req->account, 1,
				  now);
	if (lim == NULL)
		return PS_ENOMEM;
	/* open: ps_http_send refuses it with the operator's detail */
	if (ps_http__breaker_wait_ms(&lim->breaker, now) > 0)
		return lim->breaker.error != 0 ? lim->breaker.error : PS_ENET;
	ps_http__limit_roll(lim, now);
	if (ps_http__limit_wait_ms(lim, now, h->opts.limiter_reserve, cost) >
		    0 ||
	    ps_http__limit_pace_ms(lim, now, h->opts.pace_burst_pct, cost) > 0)
		return PS_ERATELIMIT; /* ps_http_send waits for it */
	if (h->pool[k] == NULL && (h->pool[k] = curl_easy_init()) == NULL)
		return PS_ENOMEM;
	if ((sl[k].hdrs = build_headers(req)) == NULL)
		return PS_ENOMEM;
	sl[k].i = i;
	sl[k].x = (xfer){out, 0, h->opts.max_body, 0, 0};
	response_reset(out);
	setup(h, h->pool[k], h->pool_err[k], req, sl[k].hdrs, &sl[k].x);
	if (curl_multi_add_handle(h->multi, h->pool[k]) != CURLM_OK) {
		curl_slist_free_all(sl[k].hdrs);
		sl[k].hdrs = NULL;
		return PS_ENOMEM;
	}
	ps_http__limit_sent(lim, cost, now);
	sl[k].busy = 1;
	return 0;
}

/* Transfer k ended with cc: record it as ps_http_send records an attempt. */
static int
end_one(ps_http *h, slot *sl, size_t k, CURLcode cc, const ps_http_request *req,
	ps_http_response *out)
{
	const ps_clock *clk = h->opts.clock;
	char logurl[PS__HTTP_LOG_URL];
	attempt a = {0, 0, CURLE_OK, 0};
	ps_http__limit *lim;
	verdict v;

	finish(&a, h->pool[k], cc, &sl[k].x, out);
	curl_multi_remove_handle(h->multi, h->pool[k]);
	curl_slist_free_all(sl[k].hdrs);
	sl[k].hdrs = NULL;
	sl[k].busy = 0;
	out->attempts++;
	lim = ps_http__limit_find(&h->limits, req->platform, req->account, 1,
				  clk->now_ms(clk->ctx));
	if (lim != NULL)
		ps_http__limit_observe(lim, out, clk->now_ms(clk->ctx));
	v = classify(req, &a, out, wall_now(h));
	count_add(h, req->platform, req->endpoint ? req->endpoint : "-",
		  v.outcome);
	observe(h, req, &a, out);
	if (lim != NULL)
		breaker_record(h, lim, &a, &v, out);
	url_for_log(logurl, sizeof(logurl), req->url);
	if (a.error != 0) {
		ps_log_debug("http",
			     "%s %s %s -> %s (%s) in %ld ms, in parallel",
			     ps_platform_name(req->platform), req->method,
			     logurl, ps_strerror(a.error),
			     h->pool_err[k][0] ? h->pool_err[k]
					       : curl_easy_strerror(cc),
			     a.elapsed_ms);
		response_reset(out);
		out->body = calloc(1, 1);
		return a.error;
	}
	ps_log_debug("http", "%s %s %s -> %ld in %ld ms, in parallel",
		     ps_platform_name(req->platform), req->method, logurl,
		     out->status, a.elapsed_ms);
	return 0;
}

int
ps_http_send_many(ps_http_response *outs, int *errors, ps_http *h,
		  const ps_http_request *reqs, size_t n, size_t parallel)
{
	slot sl[PS_HTTP_PARALLEL_MAX];
	size_t next = 0, active = 0, i, k;
	int error = 0;

	if (outs == NULL || errors == NULL || h == NULL ||
	    (reqs == NULL && n > 0))
		return ps_error_set(PS_EINVAL, "http: incomplete requests");
	if (parallel < 1)
		parallel = 1;
	if (parallel > PS_HTTP_PARALLEL_MAX)
		parallel = PS_HTTP_PARALLEL_MAX;
	memset(sl, 0, sizeof(sl));
	for (i = 0; i < n; i++) {
		ps_http_response_dispose(&outs[i]);
		errors[i] = PS_ESTOPPED;
	}
	if (h->multi == NULL && (h->multi = curl_multi_init()) == NULL)
		return ps_error_set(PS_ENOMEM, "out of memory (http)");
	while (next < n || active > 0) {
		CURLMsg *msg;
		int still = 0, left = 0;

		for (k = 0; k < parallel && next < n; k++) {
			if (sl[k].busy)
				continue;
			i = next++;
			if (h->opts.cancel != NULL && *h->opts.cancel)
				continue; /* stays PS_ESTOPPED */
			if ((errors[i] = start_one(h, sl, k, &reqs[i], &outs[i],
						   i)) == 0) {
				errors[i] = PS_ESTOPPED; /* until it ends */
				active++;
			}
		}
		if (active == 0)
			continue;
		if (curl_multi_perform(h->multi, &still) != CURLM_OK) {
			error = ps_error_set(PS_ENOMEM,
					     "http: curl multi failed");
			break;
		}
		while ((msg = curl_multi_info_read(h->multi, &left)) != NULL) {
			if (msg->msg != CURLMSG_DONE)
				continue;
			for (k = 0; k < parallel; k++)
				if (sl[k].busy &&
				    h->pool[k] == msg->easy_handle)
					break;
			if (k == parallel)
				continue;
			i = sl[k].i;
			errors[i] = end_one(h, sl, k, msg->data.result,
					    &reqs[i], &outs[i]);
			active--;
		}
		if (still > 0 && active > 0 &&
		    curl_multi_poll(h->multi, NULL, 0, PS_HTTP_WAIT_SLICE_MS,
				    NULL) != CURLM_OK) {
			error = ps_error_set(PS_ENOMEM,
					     "http: curl multi failed");
			break;
		}
	}
	/* a failure of the multi handle itself: abandon what is under way */
	for (k = 0; k < PS_HTTP_PARALLEL_MAX; k++)
		if (sl[k].busy) {
			curl_multi_remove_handle(h->multi, h->pool[k]);
			curl_slist_free_all(sl[k].hdrs);
			response_reset(&outs[sl[k].i]);
		}
	for (i = 0; i < n; i++)
		if (outs[i].body == NULL &&
		    (outs[i].body = calloc(1, 1)) == NULL)
			error = ps_error_set(PS_ENOMEM, "out of memory");
	return error;
}
