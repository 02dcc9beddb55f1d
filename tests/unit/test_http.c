/*
 * test_http.c - the http module against the scripted in-process server.
 *
 * Every test runs the real client over loopback with a fake clock (time
 * moves only when the client sleeps) and a fixed random source, so the
 * retry schedule is asserted to the millisecond: mock_clock.waits[k] is
 * the time slept between request k and request k+1.
 */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
/* clang-format on */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mock_server.h"
#include "pearlsync/http.h"
#include "pearlsync/log.h"
#include "pearlsync/version.h"

/*
 * With the random source fixed at 12345 and base 100, cap 1000, full
 * jitter gives 12345 % (ceiling + 1):
 *   ceiling 100 -> 23, 200 -> 84, 400 -> 315, 800 -> 330, 1000 -> 333.
 */
static const uint64_t fixed_random[] = {12345};

#define PS__TEST_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* The fake wall clock's time: Thu, 03 Dec 2026 12:00:00 GMT. */
#define WALL_START_MS INT64_C(1796299200000)

typedef struct fixture {
	mock_server *m;
	mock_clock clk;
	mock_random rnd;
	mock_clock wall; /* unix ms; stands still */
	ps_http_options o;
	ps_http *h;
	ps_http_response r;
	volatile sig_atomic_t cancel;
} fixture;

static int
setup(void **state)
{
	static const ps_http_options defaults = PS_HTTP_OPTIONS_INIT;
	fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	assert_int_equal(mock_server_start(&f->m, NULL), 0);
	mock_clock_init(&f->clk, f->m, 1000000);
	mock_random_init(&f->rnd, fixed_random, 1);
	/* Thu, 03 Dec 2026 12:00:00 GMT */
	mock_clock_init(&f->wall, NULL, WALL_START_MS);
	f->o = defaults;
	f->o.connect_timeout_ms = 2000;
	f->o.total_timeout_ms = 5000;
	f->o.max_body = 64 * 1024;
	f->o.max_attempts = 4;
	f->o.backoff_base_ms = 100;
	f->o.backoff_cap_ms = 1000;
	f->o.max_wait_ms = 60000;
	f->o.limiter_reserve = 2;
	f->o.clock = &f->clk.clock;
	f->o.random = &f->rnd.random;
	f->o.cancel = &f->cancel;
	f->o.wall = &f->wall.clock;
	assert_int_equal(ps_http_new(&f->h, &f->o), 0);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	fixture *f = *state;

	ps_http_response_dispose(&f->r);
	ps_http_free(f->h);
	mock_server_stop(f->m);
	free(f);
	return 0;
}

/* Apply changed options: a new client with f->o. */
static void
reopen(fixture *f)
{
	ps_http_free(f->h);
	assert_int_equal(ps_http_new(&f->h, &f->o), 0);
}

/* Send method path (relative to the server) for platform/account. */
static int
send_to(fixture *f, ps_platform p, const char *account, const char *method,
	const char *path, const char *const *headers, const char *body,
	int idempotent)
{
	char url[512], endpoint[128];
	ps_http_request req;

	snprintf(url, sizeof(url), "%s%s", mock_server_url(f->m), path);
	snprintf(endpoint, sizeof(endpoint), "%.*s",
		 (int)strcspn(path + 1, "?"), path + 1);
	memset(&req, 0, sizeof(req));
	req.platform = p;
	req.account = account;
	req.method = method;
	req.url = url;
	req.endpoint = endpoint;
	req.headers = headers;
	req.body = body;
	req.body_len = body ? strlen(body) : 0;
	req.idempotent = idempotent;
	ps_http_response_dispose(&f->r);
	return ps_http_send(&f->r, f->h, &req);
}

static int
get(fixture *f, ps_platform p, const char *path)
{
	return send_to(f, p, "acct", "GET", path, NULL, NULL, 1);
}

static const char *
req_header(fixture *f, size_t i, const char *name)
{
	const mock_request *q = mock_server_request(f->m, i);

	assert_non_null(q);
	return mock_request_header(q, name);
}

/* --- degenerate cases ---------------------------------------------------- */

static void
test_http__degenerate_arguments(void **state)
{
	fixture *f = *state;
	ps_http_response r = PS_HTTP_RESPONSE_INIT;
	ps_http_request req;
	ps_http *h = NULL;
	json_t *j = NULL;

	ps_http_free(NULL);
	ps_http_response_dispose(NULL);
	ps_http_response_dispose(&r);
	assert_null(ps_http_response_header(NULL, "x"));
	assert_null(ps_http_response_header(&r, "x"));
	assert_int_equal(ps_http_response_json(&j, &r, PS_PLATFORM_DSCO),
			 PS_EPARSE);
	assert_null(j);
	assert_int_equal(ps_http_new(&h, NULL), 0);
	assert_int_equal(
		ps_http_limit_remaining(h, PS_PLATFORM_BIGCOMMERCE, "x"), -1);
	memset(&req, 0, sizeof(req));
	req.method = "GET";
	assert_int_equal(ps_http_send(&r, h, &req), PS_EINVAL);
	req.url = "notascheme://x";
	assert_int_equal(ps_http_send(&r, h, &req), PS_EINVAL);
	ps_http_response_dispose(&r);
	ps_http_free(h);
	assert_string_equal(ps_http_outcome_name(PS_HTTP_OUT_THROTTLED),
			    "throttled");
	assert_string_equal(ps_http_outcome_name(PS_HTTP_OUT_COUNT), "?");
	(void)f;
}

static void
test_http__system_clock_and_random(void **state)
{
	const ps_clock *c = ps_clock_system();
	const ps_random *r = ps_random_system();
	int64_t t0, t1;
	uint64_t a, b;

	(void)state;
	t0 = c->now_ms(c->ctx);
	c->sleep_ms(c->ctx, 3);
	t1 = c->now_ms(c->ctx);
	assert_true(t1 - t0 >= 3);
	c->sleep_ms(c->ctx, 0);
	a = r->next(r->ctx);
	b = r->next(r->ctx);
	assert_true(a != b); /* 2^-64 chance of a false failure */
}

/* --- what goes on the wire ----------------------------------------------- */

static void
test_http__sends_headers_query_and_user_agent(void **state)
{
	fixture *f = *state;
	const char *const hdrs[] = {"X-Auth-Token: tok-1234",
				    "X-Auth-Client: client-9", NULL};
	const mock_request *q;
	json_t *j = NULL;

	mock_server_reply(f->m, 200,
			  "Content-Type: application/json\nX-Thing:  v1 \n",
			  "{\"id\": 7}");
	assert_int_equal(send_to(f, PS_PLATFORM_BIGCOMMERCE, "store1", "GET",
				 "/stores/abc/v2/orders?page=2&limit=250", hdrs,
				 NULL, 1),
			 0);
	assert_int_equal(mock_server_request_count(f->m), 1);
	q = mock_server_request(f->m, 0);
	assert_string_equal(q->method, "GET");
	assert_string_equal(q->path, "/stores/abc/v2/orders");
	assert_string_equal(q->query, "page=2&limit=250");
	assert_string_equal(q->body, "");
	assert_string_equal(req_header(f, 0, "User-Agent"), PS_USER_AGENT);
	assert_string_equal(req_header(f, 0, "X-Auth-Token"), "tok-1234");
	assert_string_equal(req_header(f, 0, "X-Auth-Client"), "client-9");
	assert_string_equal(req_header(f, 0, "Accept"), "application/json");
	assert_non_null(strstr(req_header(f, 0, "Accept-Encoding"), "gzip"));
	assert_null(req_header(f, 0, "Content-Type"));

	assert_int_equal(f->r.status, 200);
	assert_int_equal(f->r.attempts, 1);
	assert_int_equal(f->r.waited_ms, 0);
	assert_string_equal(f->r.body, "{\"id\": 7}");
	assert_string_equal(ps_http_response_header(&f->r, "x-thing"), "v1");
	assert_int_equal(
		ps_http_response_json(&j, &f->r, PS_PLATFORM_BIGCOMMERCE), 0);
	assert_int_equal(json_integer_value(json_object_get(j, "id")), 7);
	json_decref(j);
}

static void
test_http__sends_json_body_with_method(void **state)
{
	fixture *f = *state;
	const char *const typed[] = {"Content-Type: text/plain", NULL};
	const mock_request *q;

	mock_server_reply(f->m, 201, NULL, "{\"response\": 42}");
	mock_server_reply(f->m, 200, NULL, "");
	mock_server_reply(f->m, 204, NULL, NULL);
	assert_int_equal(send_to(f, PS_PLATFORM_BRIGHTPEARL, "acct", "POST",
				 "/order-service/order", NULL,
				 "{\"ref\":\"A-1\"}", 0),
			 0);
	q = mock_server_request(f->m, 0);
	assert_string_equal(q->method, "POST");
	assert_string_equal(q->body, "{\"ref\":\"A-1\"}");
	assert_string_equal(req_header(f, 0, "Content-Type"),
			    "application/json");
	assert_null(req_header(f, 0, "Expect"));
	assert_int_equal(f->r.status, 201);

	assert_int_equal(send_to(f, PS_PLATFORM_BRIGHTPEARL, "acct", "PATCH",
				 "/x", typed, "hello", 1),
			 0);
	q = mock_server_request(f->m, 1);
	assert_string_equal(q->method, "PATCH");
	assert_string_equal(q->body, "hello");
	assert_string_equal(req_header(f, 1, "Content-Type"), "text/plain");

	assert_int_equal(send_to(f, PS_PLATFORM_BRIGHTPEARL, "acct", "DELETE",
				 "/x/1", NULL, NULL, 1),
			 0);
	assert_string_equal(mock_server_request(f->m, 2)->method, "DELETE");
	assert_int_equal(f->r.status, 204);
	assert_string_equal(f->r.body, "");
}

static void
test_http__reuses_the_connection(void **state)
{
	fixture *f = *state;

	mock_server_reply(f->m, 200, NULL, "{}");
	mock_server_reply(f->m, 200, NULL, "{}");
	assert_int_equal(get(f, PS_PLATFORM_BIGCOMMERCE, "/a"), 0);
	assert_int_equal(get(f, PS_PLATFORM_BIGCOMMERCE, "/b"), 0);
	assert_int_not_equal(mock_server_request(f->m, 0)->client_port, 0);
	assert_int_equal(mock_server_request(f->m, 0)->client_port,
			 mock_server_request(f->m, 1)->client_port);
}

/* gzip of "{\"ok\":true}" with a stored (uncompressed) deflate block */
static size_t
gzip_stored(unsigned char *out, const char *text)
{
	static const unsigned char head[] = {0x1f, 0x8b, 8, 0, 0,
					     0,    0,    0, 0, 255};
	size_t n = strlen(text), o = 0, i;
	uint32_t crc = 0xffffffffu;
	int k;

	for (i = 0; i < n; i++) {
		crc ^= (unsigned char)text[i];
		for (k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1u)));
	}
	crc ^= 0xffffffffu;
	memcpy(out, head, sizeof(head));
	o = sizeof(head);
	out[o++] = 1; /* final block, stored */
	out[o++] = (unsigned char)(n & 0xff);
	out[o++] = (unsigned char)(n >> 8);
	out[o++] = (unsigned char)(~n & 0xff);
	out[o++] = (unsigned char)((~n >> 8) & 0xff);
	memcpy(out + o, text, n);
	o += n;
	for (k = 0; k < 4; k++)
		out[o++] = (unsigned char)(crc >> (8 * k));
	for (k = 0; k < 4; k++)
		out[o++] = (unsigned char)(n >> (8 * k));
	return o;
}

static void
test_http__decodes_gzip_responses(void **state)
{
	fixture *f = *state;
	unsigned char gz[64];
	mock_reply r = {MOCK_REPLY, 200, "Content-Encoding: gzip\n", NULL, 0,
			0,          0};

	r.body_len = gzip_stored(gz, "{\"ok\":true}");
	r.body = (const char *)gz;
	mock_server_push(f->m, &r);
	assert_int_equal(get(f, PS_PLATFORM_BIGCOMMERCE, "/v2/time"), 0);
	assert_string_equal(f->r.body, "{\"ok\":true}");
	assert_int_equal(f->r.body_len, 11);
}

/* --- retries ------------------------------------------------------------- */

static void
test_http__retries_on_429_with_full_jitter(void **state)
{
	fixture *f = *state;

	mock_server_reply(f->m, 429, NULL, "");
	mock_server_reply(f->m, 429, NULL, "");
	mock_server_reply(f->m, 200, NULL, "[]");
	assert_int_equal(get(f, PS_PLATFORM_BIGCOMMERCE, "/v2/orders"), 0);
	assert_int_equal(mock_server_request_count(f->m), 3);
	assert_int_equal(f->clk.waits[0], 0);
	assert_int_equal(f->clk.waits[1], 23);
	assert_int_equal(f->clk.waits[2], 84);
	assert_int_equal(f->r.attempts, 3);
	assert_int_equal(f->r.waited_ms, 107);
	assert_int_equal(f->r.status, 200);
}

/* What the observer saw: every attempt, in order. */
typedef struct observed {
	int n;
	char method[8][8];
	char path[8][128];
	long status[8];
	int64_t bytes[8];
} observed;

static void
observe_into(void *ctx, const ps_http_exchange *x)
{
	observed *s = ctx;

	if (s->n >= 8)
		return;
	snprintf(s->method[s->n], sizeof(s->method[0]), "%s", x->method);
	snprintf(s->path[s->n], sizeof(s->path[0]), "%s", x->path);
	s->status[s->n] = x->status;
	s->bytes[s->n] = x->bytes;
	s->n++;
}

static void
test_http__observer_sees_each_attempt_without_query(void **state)
{
	fixture *f = *state;
	observed s;

	memset(&s, 0, sizeof(s));
	ps_http_set_observer(f->h, observe_into, &s);
	mock_server_reply(f->m, 500, NULL, "oops");
	mock_server_reply(f->m, 200, NULL, "[1,2]");
	assert_int_equal(get(f, PS_PLATFORM_BIGCOMMERCE,
			     "/v2/orders/7?access_token=s3cret&page=2#frag"),
			 0);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.method[0], "GET");
	assert_string_equal(s.path[0], "/v2/orders/7");
	assert_string_equal(s.path[1], "/v2/orders/7");
	assert_int_equal(s.status[0], 500);
	assert_int_equal(s.status[1], 200);
	assert_int_equal(s.bytes[0], 4);
	assert_int_equal(s.bytes[1], 5);
	/* a body sent counts; NULL stops the observer */
	mock_server_reply(f->m, 201, NULL, "{}");
	assert_int_equal(send_to(f, PS_PLATFORM_BIGCOMMERCE, "acct", "POST",
				 "/v2/orders", NULL, "{\"a\":1}", 0),
			 0);
	assert_int_equal(s.n, 3);
	assert_int_equal(s.bytes[2], 7 + 2);
	ps_http_set_observer(f->h, NULL, NULL);
	mock_server_reply(f->m, 200, NULL, "[]");
	assert_int_equal(get(f, PS_PLATFORM_BIGCOMMERCE, "/v2/x"), 0);
	assert_int_equal(s.n, 3);
}

static void
test_http__retries_on_429_with_hints(void **state)
{
	fixture *f = *state;

	/* generic Retry-After, in seconds */
	mock_server_reply(f->m, 429, "Retry-After: 3\n", "");
	/* BigCommerce: Reset-Ms wins over Retry-After */
	mock_server_reply(f->m, 429,
			  "X-Rate-Limit-Time-Reset-Ms: 1234\nRetry-After: 9\n",
			  "");
	/* BigCommerce: X-Retry-After when Reset-Ms is absent */
	mock_server_reply(f->m, 429, "X-Retry-After: 2\n", "");
	mock_server_reply(f->m, 200, NULL, "[]");
	assert_int_equal(get(f, PS_PLATFORM_BIGCOMMERCE, "/v2/orders"), 0);
	assert_int_equal(mock_server_request_count(f->m), 4);
	assert_int_equal(f->clk.waits[1], 3000);
	assert_int_equal(f->clk.waits[2], 1234);
	assert_int_equal(f->clk.waits[3], 2000);
	assert_int_equal(f->r.waited_ms, 6234);
}

static void
test_http__hint_is_capped_by_max_wait(void **state)
{
	fixture *f = *state;

	f->o.max_wait_ms = 5000;
	reopen(f);
	mock_server_reply(f->m, 503, "Retry-After: 100\n", "down");
	mock_server_reply(f->m, 200, NULL, "{}");
	assert_int_equal(get(f, PS_PLATFORM_DSCO, "/api/orders"), 0);
	assert_int_equal(f->clk.waits[1], 5000);
}

static void
test_http__429_past_the_budget_is_ratelimit(void **state)
{
	fixture *f = *state;
	int i;

	for (i = 0; i < 4; i++)
		mock_server_reply(f->m, 429, NULL, "");
	mock_server_reply(f->m, 200, NULL, "never sent");
	assert_int_equal(get(f, PS_PLATFORM_BIGCOMMERCE, "/v2/orders"),
			 PS_ERATELIMIT);
	assert_int_equal(mock_server_request_count(f->m), 4);
	assert_int_equal(f->r.attempts, 4);
	assert_int_equal(f->r.status, 429);
	assert_string_equal(
		ps_error_last(),
		"bigcommerce GET v2/orders: rate limited (HTTP 429) "
		"after 4 attempts");
}

static void
test_http__brightpearl_503_throttle_waits_next_period(void **state)
{
	fixture *f = *state;

	mock_server_reply(
		f->m, 503,
		"brightpearl-requests-remaining: 0\n"
		"brightpearl-next-throttle-period: 4500\n",
		"{\"response\":\"You have sent too many requests. Please wait "
		"before sending another request\"}");
	mock_server_reply(f->m, 200,
			  "brightpearl-requests-remaining: 199\n"
			  "brightpearl-next-throttle-period: 59000\n",
			  "{\"response\":[]}");
	assert_int_equal(get(f, PS_PLATFORM_BRIGHTPEARL,
			     "/public-api/acct/order-service/order/1"),
			 0);
	assert_int_equal(mock_server_request_count(f->m), 2);
	/* the hint alone: the limiter does not wait again after it */
	assert_int_equal(f->clk.waits[1], 4500);
	assert_int_equal(f->r.waited_ms, 4500);
	assert_int_equal(
		ps_http_limit_remaining(f->h, PS_PLATFORM_BRIGHTPEARL, "acct"),
		199);
}

static void
test_http__brightpearl_throttle_past_budget_is_ratelimit(void **state)
{
	fixture *f = *state;
	int i;

	for (i = 0; i < 4; i++)
		mock_server_reply(f->m, 503,
				  "brightpearl-next-throttle-period: 800\n",
				  "{\"response\":\"You have sent too many "
				  "requests. Please wait\"}");
	assert_int_equal(
		get(f, PS_PLATFORM_BRIGHTPEARL, "/order-service/order"),
		PS_ERATELIMIT);
	assert_int_equal(f->r.attempts, 4);
	assert_int_equal(f->clk.waits[1], 800);
	assert_int_equal(f->clk.waits[2], 800);
	assert_int_equal(f->clk.waits[3], 800);
}

static void
test_http__brightpearl_plain_503_is_an_outage(void **state)
{
	fixture *f = *state;
	int i;

	/* next-throttle-period is on every reply: not a hint for an outage */
	for (i = 0; i < 4; i++)
		mock_server_reply(f->m, 503,
				  "brightpearl-requests-remaining: 150\n"
				  "brightpearl-next-throttle-period: 9000\n",
				  "{\"errors\":[{\"code\":\"CMNU-003\"}]}");
	assert_int_equal(
		get(f, PS_PLATFORM_BRIGHTPEARL, "/order-service/order"),
		PS_EREMOTE);
	assert_int_equal(f->clk.waits[1], 23);
	assert_int_equal(f->clk.waits[2], 84);
	assert_int_equal(f->clk.waits[3], 315);
	assert_string_equal(
		ps_error_last(),
		"brightpearl GET order-service/order: HTTP 503 after "
		"4 attempts: {\"errors\":[{\"code\":\"CMNU-003\"}]}");
}

static void
test_http__brightpearl_429_honours_retry_after(void **state)
{
	fixture *f = *state;

	/*
	 * The burst limit: Retry-After 1 s, while the period header (on
	 * every reply) still counts 58 s to the end of the minute's window.
	 */
	mock_server_reply(f->m, 429,
			  "Retry-After: 1\n"
			  "brightpearl-requests-remaining: 120\n"
			  "brightpearl-next-throttle-period: 58000\n",
			  "{\"response\":\"Too many requests\"}");
	mock_server_reply(f->m, 200,
			  "brightpearl-requests-remaining: 119\n"
			  "brightpearl-next-throttle-period: 57000\n",
			  "{\"response\":[]}");
	assert_int_equal(get(f, PS_PLATFORM_BRIGHTPEARL,
			     "/public-api/acct/order-service/order/1"),
			 0);
	assert_int_equal(mock_server_request_count(f->m), 2);
	assert_int_equal(f->clk.waits[1], 1000);
	assert_int_equal(f->r.waited_ms, 1000);
}

static void
test_http__retry_after_as_an_http_date(void **state)
{
	fixture *f = *state;

	/* counted from the reply's Date: 7 s, whatever our clock says */
	mock_server_reply(f->m, 503,
			  "Date: Mon, 01 Jun 2026 08:00:00 GMT\n"
			  "Retry-After: Mon, 01 Jun 2026 08:00:07 GMT\n",
			  "down");
	/* no readable Date: counted from the wall clock (12:00:00) */
	mock_server_reply(f->m, 429,
			  "Date: yesterday\n"
			  "Retry-After: Thu, 03 Dec 2026 12:00:04 GMT\n",
			  "");
	/* a date already past: at once */
	mock_server_reply(f->m, 429,
			  "Date: Thu, 03 Dec 2026 12:00:00 GMT\n"
			  "Retry-After: Thu, 03 Dec 2026 11:59:00 GMT\n",
			  "");
	mock_server_reply(f->m, 200, NULL, "{}");
	assert_int_equal(get(f, PS_PLATFORM_DSCO, "/api/orders"), 0);
	assert_int_equal(mock_server_request_count(f->m), 4);
	assert_int_equal(f->clk.waits[1], 7000);
	assert_int_equal(f->clk.waits[2], 4000);
	assert_int_equal(f->clk.waits[3], 0);

	/* unreadable: the backoff, as without a hint (ceiling 100 -> 23) */
	mock_server_clear(f->m);
	mock_clock_init(&f->clk, f->m, 1000000);
	mock_server_reply(f->m, 503, "Retry-After: soon\n", "down");
	mock_server_reply(f->m, 200, NULL, "{}");
	assert_int_equal(get(f, PS_PLATFORM_BRIGHTPEARL, "/order-service/x"),
			 0);
	assert_int_equal(f->clk.waits[1], 23);
}

static void
test_http__retries_500_up_to_the_limit(void **state)
{
	fixture *f = *state;
	int i;

	for (i = 0; i < 5; i++)
		mock_server_reply(f->m, 500, NULL, "");
	assert_int_equal(get(f, PS_PLATFORM_BIGCOMMERCE, "/v2/orders?page=1"),
			 PS_EREMOTE);
	assert_int_equal(mock_server_request_count(f->m), 4);
	assert_int_equal(mock_server_pending(f->m), 1);
	assert_int_equal(f->r.attempts, 4);
	assert_int_equal(f->r.status, 500);
	assert_int_equal(f->clk.waits[1], 23);
	assert_int_equal(f->clk.waits[2], 84);
	assert_int_equal(f->clk.waits[3], 315);
	assert_int_equal(f->clk.waits[4], 0);
	assert_string_equal(
		ps_error_last(),
		"bigcommerce GET v2/orders: HTTP 500 after 4 attempts");
	/* every attempt asked the same thing */
	for (i = 0; i < 4; i++)
		assert_string_equal(mock_server_request(f->m, (size_t)i)->query,
				    "page=1");
}

static void
test_http__backoff_ceiling_doubles_up_to_the_cap(void **state)
{
	fixture *f = *state;
	/* each value equal to its ceiling shows the ceiling itself */
	static const uint64_t ceilings[] = {100, 200, 400, 800, 1000, 5000};
	int i;

	mock_random_init(&f->rnd, ceilings, 6);
	f->o.max_attempts = 7;
	f->o.breaker_threshold = 0; /* seven failures in a row */
	reopen(f);
	for (i = 0; i < 7; i++)
		mock_server_reply(f->m, 502, NULL, "");
	assert_int_equal(get(f, PS_PLATFORM_SHIPHERO, "/graphql"), PS_EREMOTE);
	assert_int_equal(f->clk.waits[1], 100);
	assert_int_equal(f->clk.waits[2], 200);
	assert_int_equal(f->clk.waits[3], 400);
	assert_int_equal(f->clk.waits[4], 800);
	assert_int_equal(f->clk.waits[5], 1000);
	assert_int_equal(f->clk.waits[6], 5000 % 1001);
}

static void
test_http__other_5xx_and_redirects_are_not_retried(void **state)
{
	fixture *f = *state;

	mock_server_reply(f->m, 507, NULL, "plan limit");
	mock_server_reply(f->m, 302, "Location: https://elsewhere.test/\n", "");
	assert_int_equal(get(f, PS_PLATFORM_BIGCOMMERCE, "/v3/catalog"),
			 PS_EREMOTE);
	assert_int_equal(f->r.attempts, 1);
	assert_int_equal(get(f, PS_PLATFORM_BIGCOMMERCE, "/v2/orders"),
			 PS_EHTTP);
	assert_int_equal(f->r.status, 302);
	assert_int_equal(mock_server_request_count(f->m), 2);
}

static void
test_http__401_is_auth_error_at_once(void **state)
{
	fixture *f = *state;

	mock_server_reply(f->m, 401, NULL,
			  "{\"response\":\"Not authenticated\"}");
	mock_server_reply(f->m, 200, NULL, "never sent");
	assert_int_equal(get(f, PS_PLATFORM_BRIGHTPEARL, "/contact-service/x"),
			 PS_EAUTH);
	assert_int_equal(mock_server_request_count(f->m), 1);
	assert_int_equal(f->r.attempts, 1);
	assert_int_equal(f->r.status, 401);
	assert_int_equal(f->clk.nsleeps, 0);
	assert_string_equal(ps_error_last(),
			    "brightpearl GET contact-service/x: credentials "
			    "refused (HTTP 401): {\"response\":\"Not "
			    "authenticated\"}");

	mock_server_clear(f->m);
	mock_server_reply(f->m, 403, NULL, "");
	assert_int_equal(get(f, PS_PLATFORM_BIGCOMMERCE, "/v2/time"), PS_EAUTH);
	assert_int_equal(mock_server_request_count(f->m), 1);
}

static void
test_http__404_and_422_are_data(void **state)
{
	fixture *f = *state;

	mock_server_reply(f->m, 404, NULL,
			  "[{\"status\":404,\"message\":\"not found\"}]");
	mock_server_reply(f->m, 422, NULL, "{\"title\":\"bad sku\"}");
	assert_int_equal(get(f, PS_PLATFORM_BIGCOMMERCE, "/v2/orders/9"), 0);
	assert_int_equal(f->r.status, 404);
	assert_string_equal(f->r.body,
			    "[{\"status\":404,\"message\":\"not found\"}]");
	assert_int_equal(send_to(f, PS_PLATFORM_BIGCOMMERCE, "a", "PUT",
				 "/v3/inventory", NULL, "{}", 1),
			 0);
	assert_int_equal(f->r.status, 422);
	assert_int_equal(f->r.attempts, 1);
	assert_int_equal(mock_server_request_count(f->m), 2);
}

/* --- transport failures -------------------------------------------------- */

static void
test_http__dropped_connection_is_retried_when_idempotent(void **state)
{
	fixture *f = *state;

	mock_server_act(f->m, MOCK_DROP);
	mock_server_reply(f->m, 200, NULL, "{\"ok\":1}");
	assert_int_equal(send_to(f, PS_PLATFORM_BIGCOMMERCE, "a", "PUT",
				 "/v2/orders/5", NULL, "{\"status_id\":2}", 1),
			 0);
	assert_int_equal(mock_server_request_count(f->m), 2);
	assert_string_equal(mock_server_request(f->m, 0)->body,
			    "{\"status_id\":2}");
	assert_string_equal(mock_server_request(f->m, 1)->body,
			    "{\"status_id\":2}");
	assert_int_equal(f->clk.waits[1], 23);
	assert_string_equal(f->r.body, "{\"ok\":1}");
}

static void
test_http__dropped_post_is_not_retried(void **state)
{
	fixture *f = *state;

	/* a kept-alive connection first: the POST must not ride on it */
	mock_server_reply(f->m, 200, NULL, "{}");
	mock_server_act(f->m, MOCK_DROP);
	mock_server_reply(f->m, 201, NULL, "never sent");
	assert_int_equal(get(f, PS_PLATFORM_BIGCOMMERCE, "/v2/orders/5"), 0);
	assert_int_equal(send_to(f, PS_PLATFORM_BIGCOMMERCE, "a", "POST",
				 "/v2/orders/5/shipments", NULL, "{}", 0),
			 PS_ENET);
	assert_int_equal(mock_server_request_count(f->m), 2);
	assert_int_not_equal(mock_server_request(f->m, 0)->client_port,
			     mock_server_request(f->m, 1)->client_port);
	assert_int_equal(f->r.attempts, 1);
	assert_int_equal(f->r.status, 0);
	assert_string_equal(f->r.body, "");
	assert_non_null(strstr(ps_error_last(),
			       "bigcommerce POST v2/orders/5/shipments: "));
	assert_non_null(strstr(ps_error_last(), "not retried"));
}

static void
test_http__refused_connection_is_retried_even_for_post(void **state)
{
	fixture *f = *state;
	mock_server *gone;
	char url[64];
	ps_http_request req;

	/* a port that was just free: nothing listens there now */
	assert_int_equal(mock_server_start(&gone, NULL), 0);
	snprintf(url, sizeof(url), "%s/v2/orders", mock_server_url(gone));
	mock_server_stop(gone);
	memset(&req, 0, sizeof(req));
	req.platform = PS_PLATFORM_BIGCOMMERCE;
	req.method = "POST";
	req.url = url;
	req.endpoint = "v2/orders";
	req.body = "{}";
	req.body_len = 2;
	f->clk.server = NULL;
	assert_int_equal(ps_http_send(&f->r, f->h, &req), PS_ENET);
	assert_int_equal(f->r.attempts, 4);
	assert_int_equal(f->clk.waits[0], 23 + 84 + 315);
	assert_non_null(strstr(ps_error_last(), "after 4 attempts"));
}

static void
test_http__truncated_body_is_retried(void **state)
{
	fixture *f = *state;
	mock_reply cut = {
		MOCK_TRUNCATE, 200, NULL, "{\"id\": 1, \"na", 0, 0, 0};

	mock_server_push(f->m, &cut);
	mock_server_reply(f->m, 200, NULL, "{\"id\": 1}");
	assert_int_equal(get(f, PS_PLATFORM_BIGCOMMERCE, "/v2/orders/1"), 0);
	assert_int_equal(mock_server_request_count(f->m), 2);
	assert_string_equal(f->r.body, "{\"id\": 1}");

	/* a write is not repeated: the caller sees a network error */
	mock_server_push(f->m, &cut);
	assert_int_equal(send_to(f, PS_PLATFORM_BIGCOMMERCE, "a", "POST",
				 "/v2/orders", NULL, "{}", 0),
			 PS_ENET);
	assert_int_equal(mock_server_request_count(f->m), 3);
	assert_int_equal(f->r.status, 0);
	assert_string_equal(f->r.body, "");
}

static void
test_http__invalid_json_names_line_and_column(void **state)
{
	fixture *f = *state;
	json_t *j = NULL;

	mock_server_reply(f->m, 200, NULL, "{\n  \"id\": 1,\n  \"name\": }\n");
	assert_int_equal(get(f, PS_PLATFORM_BIGCOMMERCE, "/v2/orders/1"), 0);
	assert_int_equal(
		ps_http_response_json(&j, &f->r, PS_PLATFORM_BIGCOMMERCE),
		PS_EPARSE);
	assert_null(j);
	assert_non_null(strstr(ps_error_last(),
			       "invalid JSON from bigcommerce (line 3, "
			       "column 11): "));
}

static void
test_http__oversized_body_is_toobig(void **state)
{
	fixture *f = *state;
	mock_reply big = {MOCK_OVERSIZE, 200, NULL, NULL, 0, 0, 0};

	/* exactly the cap is fine */
	big.size = f->o.max_body;
	mock_server_push(f->m, &big);
	assert_int_equal(get(f, PS_PLATFORM_BIGCOMMERCE, "/v2/products"), 0);
	assert_int_equal(f->r.body_len, f->o.max_body);

	/* one byte more, declared in Content-Length */
	big.size = f->o.max_body + 1;
	mock_server_push(f->m, &big);
	assert_int_equal(get(f, PS_PLATFORM_BIGCOMMERCE, "/v2/products"),
			 PS_ETOOBIG);
	assert_int_equal(f->r.attempts, 1);
	assert_string_equal(ps_error_last(),
			    "bigcommerce GET v2/products: response larger than "
			    "65536 bytes");

	/* chunked, no length: stopped while reading */
	big.action = MOCK_OVERSIZE_CHUNKED;
	big.size = 4 * f->o.max_body;
	mock_server_push(f->m, &big);
	assert_int_equal(get(f, PS_PLATFORM_BIGCOMMERCE, "/v2/products"),
			 PS_ETOOBIG);
	assert_int_equal(f->r.attempts, 1);
	assert_int_equal(mock_server_request_count(f->m), 3);
}

static void
test_http__timeout_is_etimeout(void **state)
{
	fixture *f = *state;
	mock_reply slow = {MOCK_STALL, 200, NULL, "{}", 0, 0, 0};

	f->o.total_timeout_ms = 150;
	f->o.max_attempts = 2;
	reopen(f);
	mock_server_push(f->m, &slow);
	mock_server_push(f->m, &slow);
	assert_int_equal(get(f, PS_PLATFORM_BIGCOMMERCE, "/v2/orders"),
			 PS_ETIMEOUT);
	assert_int_equal(f->r.attempts, 2);
	assert_int_equal(f->r.status, 0);
	assert_int_equal(mock_server_request_count(f->m), 2);
	assert_int_equal(f->clk.waits[1], 23);
	assert_non_null(strstr(ps_error_last(), "after 2 attempts"));
}

/* --- the limiter -----------------------------------------------------------
 */

#define BC_LIMIT(left, reset)                                                  \
	"X-Rate-Limit-Requests-Left: " #left "\n"                              \
	"X-Rate-Limit-Time-Reset-Ms: " #reset "\n"                             \
	"X-Rate-Limit-Time-Window-Ms: 30000\n"                                 \
	"X-Rate-Limit-Requests-Quota: 150\n"

static void
test_http__limiter_waits_at_the_reserve_bigcommerce(void **state)
{
	fixture *f = *state;

	mock_server_reply(f->m, 200, BC_LIMIT(3, 900), "[]");
	mock_server_reply(f->m, 200, BC_LIMIT(2, 1500), "[]");
	mock_server_reply(f->m, 200, BC_LIMIT(149, 30000), "[]");
	mock_server_reply(f->m, 200, NULL, "[]");
	/* 3 left > reserve 2: no wait */
	assert_int_equal(get(f, PS_PLATFORM_BIGCOMMERCE, "/v2/a"), 0);
	assert_int_equal(
		ps_http_limit_remaining(f->h, PS_PLATFORM_BIGCOMMERCE, "acct"),
		3);
	assert_int_equal(get(f, PS_PLATFORM_BIGCOMMERCE, "/v2/b"), 0);
	assert_int_equal(f->clk.waits[1], 0);
	/* 2 left: wait out the 1500 ms before sending */
	assert_int_equal(get(f, PS_PLATFORM_BIGCOMMERCE, "/v2/c"), 0);
	assert_int_equal(f->clk.waits[2], 1500);
	assert_int_equal(f->r.waited_ms, 1500);
	assert_int_equal(
		ps_http_limit_remaining(f->h, PS_PLATFORM_BIGCOMMERCE, "acct"),
		149);
	/* another store has its own quota */
	assert_int_equal(
		ps_http_limit_remaining(f->h, PS_PLATFORM_BIGCOMMERCE, "other"),
		-1);
	assert_int_equal(send_to(f, PS_PLATFORM_BIGCOMMERCE, "other", "GET",
				 "/v2/d", NULL, NULL, 1),
			 0);
	assert_int_equal(f->clk.waits[3], 0);
	assert_int_equal(mock_server_request_count(f->m), 4);
}

static void
test_http__limiter_waits_at_the_reserve_brightpearl(void **state)
{
	fixture *f = *state;

	mock_server_reply(f->m, 200,
			  "brightpearl-requests-remaining: 2\n"
			  "brightpearl-next-throttle-period: 4200\n",
			  "{}");
	mock_server_reply(f->m, 200, NULL, "{}");
	assert_int_equal(get(f, PS_PLATFORM_BRIGHTPEARL, "/a"), 0);
	assert_int_equal(
		ps_http_limit_remaining(f->h, PS_PLATFORM_BRIGHTPEARL, "acct"),
		2);
	assert_int_equal(get(f, PS_PLATFORM_BRIGHTPEARL, "/b"), 0);
	assert_int_equal(f->clk.waits[1], 4200);
	/* the minute reset; Brightpearl gives no quota: unknown again */
	assert_int_equal(
		ps_http_limit_remaining(f->h, PS_PLATFORM_BRIGHTPEARL, "acct"),
		-1);
}

static void
test_http__limiter_counts_down_between_replies(void **state)
{
	fixture *f = *state;

	mock_server_reply(f->m, 200, BC_LIMIT(4, 1000), "[]");
	mock_server_reply(f->m, 200, NULL, "[]");
	mock_server_reply(f->m, 200, NULL, "[]");
	mock_server_reply(f->m, 200, NULL, "[]");
	assert_int_equal(get(f, PS_PLATFORM_BIGCOMMERCE, "/1"), 0);
	assert_int_equal(get(f, PS_PLATFORM_BIGCOMMERCE, "/2"), 0);
	assert_int_equal(get(f, PS_PLATFORM_BIGCOMMERCE, "/3"), 0);
	/* 4 -> 3 -> 2 sent without a reply saying otherwise: now wait */
	assert_int_equal(
		ps_http_limit_remaining(f->h, PS_PLATFORM_BIGCOMMERCE, "acct"),
		2);
	assert_int_equal(get(f, PS_PLATFORM_BIGCOMMERCE, "/4"), 0);
	assert_int_equal(f->clk.waits[1] + f->clk.waits[2], 0);
	assert_int_equal(f->clk.waits[3], 1000);
	/* a fresh window of the known quota, less the one just sent */
	assert_int_equal(
		ps_http_limit_remaining(f->h, PS_PLATFORM_BIGCOMMERCE, "acct"),
		149);
}

static void
test_http__limiter_wait_is_capped_by_max_wait(void **state)
{
	fixture *f = *state;

	f->o.max_wait_ms = 5000;
	reopen(f);
	mock_server_reply(f->m, 200, BC_LIMIT(1, 200000), "[]");
	mock_server_reply(f->m, 200, NULL, "[]");
	mock_server_reply(f->m, 200, NULL, "[]");
	assert_int_equal(get(f, PS_PLATFORM_BIGCOMMERCE, "/1"), 0);
	assert_int_equal(get(f, PS_PLATFORM_BIGCOMMERCE, "/2"), 0);
	assert_int_equal(f->clk.waits[1], 5000);
	/* after a capped wait the count is no longer trusted: no second wait */
	assert_int_equal(
		ps_http_limit_remaining(f->h, PS_PLATFORM_BIGCOMMERCE, "acct"),
		-1);
	assert_int_equal(get(f, PS_PLATFORM_BIGCOMMERCE, "/3"), 0);
	assert_int_equal(f->clk.waits[2], 0);
}

/* --- counters and cancel ------------------------------------------------- */

typedef struct seen {
	char text[512];
} seen;

static void
collect(void *ctx, ps_platform p, const char *endpoint, ps_http_outcome o,
	int64_t count)
{
	seen *s = ctx;
	size_t len = strlen(s->text);

	snprintf(s->text + len, sizeof(s->text) - len, "%s %s %s %lld;",
		 ps_platform_code(p), endpoint, ps_http_outcome_name(o),
		 (long long)count);
}

static void
test_http__counts_per_platform_endpoint_and_outcome(void **state)
{
	fixture *f = *state;
	seen s = {""};

	mock_server_reply(f->m, 429, NULL, "");
	mock_server_reply(f->m, 200, NULL, "[]");
	mock_server_reply(f->m, 200, NULL, "[]");
	mock_server_reply(f->m, 404, NULL, "[]");
	mock_server_reply(f->m, 401, NULL, "");
	mock_server_act(f->m, MOCK_DROP);
	mock_server_reply(f->m, 502, NULL, "");
	mock_server_reply(f->m, 200, NULL, "{}");
	assert_int_equal(get(f, PS_PLATFORM_BIGCOMMERCE, "/v2/orders"), 0);
	assert_int_equal(get(f, PS_PLATFORM_BIGCOMMERCE, "/v2/orders"), 0);
	assert_int_equal(get(f, PS_PLATFORM_BIGCOMMERCE, "/v2/customers"), 0);
	assert_int_equal(get(f, PS_PLATFORM_BRIGHTPEARL, "/v2/orders"),
			 PS_EAUTH);
	assert_int_equal(send_to(f, PS_PLATFORM_BRIGHTPEARL, "acct", "POST",
				 "/x", NULL, "{}", 0),
			 PS_ENET);
	assert_int_equal(get(f, PS_PLATFORM_BRIGHTPEARL, "/x"), 0);
	ps_http_counts_foreach(f->h, collect, &s);
	assert_string_equal(s.text, "bc v2/orders throttled 1;"
				    "bc v2/orders ok 2;"
				    "bc v2/customers client-error 1;"
				    "bp v2/orders auth 1;"
				    "bp x network 1;"
				    "bp x server-error 1;"
				    "bp x ok 1;");
	ps_http_counts_reset(f->h);
	s.text[0] = '\0';
	ps_http_counts_foreach(f->h, collect, &s);
	assert_string_equal(s.text, "");
}

static void
test_http__cancel_flag_stops_waits(void **state)
{
	fixture *f = *state;

	/* set before: the first wait is not started */
	f->cancel = 1;
	mock_server_reply(f->m, 503, NULL, "");
	mock_server_reply(f->m, 200, NULL, "never sent");
	assert_int_equal(get(f, PS_PLATFORM_BIGCOMMERCE, "/v2/orders"),
			 PS_ESTOPPED);
	assert_int_equal(mock_server_request_count(f->m), 1);
	assert_int_equal(f->clk.nsleeps, 0);
	assert_int_equal(f->r.status, 503);

	/* set during a 10 s hint: seen at the next slice */
	mock_server_clear(f->m);
	f->cancel = 0;
	f->clk.cancel_flag = &f->cancel;
	f->clk.cancel_after = 1000;
	mock_server_reply(f->m, 429, "Retry-After: 10\n", "");
	mock_server_reply(f->m, 200, NULL, "never sent");
	assert_int_equal(get(f, PS_PLATFORM_BIGCOMMERCE, "/v2/orders"),
			 PS_ESTOPPED);
	assert_int_equal(mock_server_request_count(f->m), 1);
	assert_int_equal(f->r.waited_ms, 1000);
	assert_int_equal(f->clk.nsleeps, 1000 / PS_HTTP_WAIT_SLICE_MS);
	assert_non_null(strstr(ps_error_last(), "stopped"));
}

/* --- secrets never logged ------------------------------------------------ */

static void
test_http__debug_log_never_shows_tokens(void **state)
{
	fixture *f = *state;
	const char *const hdrs[] = {"X-Auth-Token: tok-SECRET-abc123",
				    "brightpearl-account-token: "
				    "bp-SECRET-xyz789",
				    "Authorization: Bearer bearer-SECRET-qqq",
				    NULL};
	char *text = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&text, &len);

	assert_non_null(mem);
	ps_log_clear_secrets();
	ps_log_set_stream(mem);
	ps_log_set_level(PS_LOG_DEBUG);
	mock_server_reply(f->m, 401, NULL, "{\"error\":\"bad token\"}");
	mock_server_reply(f->m, 500, NULL, "");
	mock_server_reply(f->m, 200, NULL, "{}");
	assert_int_equal(send_to(f, PS_PLATFORM_BRIGHTPEARL, "acct", "GET",
				 "/x?access_token=qs-SECRET-555&page=2", hdrs,
				 NULL, 1),
			 PS_EAUTH);
	assert_int_equal(send_to(f, PS_PLATFORM_BRIGHTPEARL, "acct", "GET",
				 "/y?api_key=qs-SECRET-666", hdrs, NULL, 1),
			 0);
	/* user:password@ in a URL is dropped from the log */
	{
		char url[256];
		ps_http_request req;

		snprintf(url, sizeof(url), "http://user:pw-SECRET-777@%s/z",
			 mock_server_url(f->m) + strlen("http://"));
		memset(&req, 0, sizeof(req));
		req.platform = PS_PLATFORM_DSCO;
		req.method = "GET";
		req.url = url;
		req.endpoint = "z";
		req.idempotent = 1;
		mock_server_reply(f->m, 200, NULL, "{}");
		ps_http_response_dispose(&f->r);
		assert_int_equal(ps_http_send(&f->r, f->h, &req), 0);
		assert_non_null(req_header(f, 3, "Authorization"));
	}
	ps_log_set_level(PS_LOG_INFO);
	ps_log_set_stream(NULL);
	fclose(mem);
	/* the tokens were sent ... */
	assert_string_equal(req_header(f, 0, "X-Auth-Token"),
			    "tok-SECRET-abc123");
	/* ... and the log did talk about the requests ... */
	assert_non_null(strstr(text, "brightpearl GET "));
	assert_non_null(strstr(text, "dsco GET http://127.0.0.1:"));
	assert_non_null(strstr(text, "page=2"));
	assert_non_null(strstr(text, "-> 401"));
	/* ... but never showed a secret */
	assert_null(strstr(text, "SECRET"));
	assert_null(strstr(ps_error_last(), "SECRET"));
	free(text);
}

/* --- TLS ----------------------------------------------------------------- */

static char *
slurp(const char *path)
{
	FILE *fp = fopen(path, "rb");
	char *buf;
	long n;

	if (fp == NULL)
		return NULL;
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	fseek(fp, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	if (buf != NULL && fread(buf, 1, (size_t)n, fp) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	if (buf != NULL)
		buf[n] = '\0';
	fclose(fp);
	return buf;
}

static int
run(const char *dir, const char *cmd)
{
	char line[1024];

	snprintf(line, sizeof(line), "cd '%s' && %s >/dev/null 2>&1", dir, cmd);
	return system(line);
}

static void
test_http__tls_refuses_untrusted_and_trusts_the_ca(void **state)
{
	fixture *f = *state;
	const char *tmp = getenv("TMPDIR");
	char dir[256], path[300], url[128];
	char *cert = NULL, *key = NULL;
	mock_server_options mo = {NULL, NULL};
	mock_server *tls = NULL;
	ps_http_request req;
	int ok;

	if (system("openssl version >/dev/null 2>&1") != 0) {
		skip();
		return;
	}
	snprintf(dir, sizeof(dir), "%s/ps-http-tls-XXXXXX",
		 tmp && *tmp ? tmp : "/tmp");
	assert_non_null(mkdtemp(dir));
	ok = run(dir, "openssl req -x509 -newkey ec -pkeyopt "
		      "ec_paramgen_curve:prime256v1 -nodes -keyout ca.key "
		      "-out ca.pem -days 2 -subj /CN=pearlsync-test-ca "
		      "-addext basicConstraints=critical,CA:TRUE "
		      "-addext keyUsage=critical,keyCertSign,cRLSign") == 0 &&
	     run(dir, "openssl req -newkey ec -pkeyopt "
		      "ec_paramgen_curve:prime256v1 -nodes -keyout srv.key "
		      "-out srv.csr -subj /CN=127.0.0.1") == 0 &&
	     run(dir, "printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\\n"
		      "basicConstraints=CA:FALSE\\n' > ext.cnf") == 0 &&
	     run(dir, "openssl x509 -req -in srv.csr -CA ca.pem -CAkey ca.key "
		      "-CAcreateserial -out srv.pem -days 2 "
		      "-extfile ext.cnf") == 0;
	assert_true(ok);
	snprintf(path, sizeof(path), "%s/srv.pem", dir);
	cert = slurp(path);
	snprintf(path, sizeof(path), "%s/srv.key", dir);
	key = slurp(path);
	assert_non_null(cert);
	assert_non_null(key);
	mo.tls_cert_pem = cert;
	mo.tls_key_pem = key;
	if (mock_server_start(&tls, &mo) != 0) {
		free(cert);
		free(key);
		run(dir, "rm -f ca.key ca.pem ca.srl srv.key srv.csr srv.pem "
			 "ext.cnf");
		rmdir(dir);
		skip(); /* libmicrohttpd without TLS */
		return;
	}
	mock_server_reply(tls, 200, NULL, "{\"secure\":true}");
	snprintf(url, sizeof(url), "%s/v2/time", mock_server_url(tls));
	memset(&req, 0, sizeof(req));
	req.platform = PS_PLATFORM_BIGCOMMERCE;
	req.method = "GET";
	req.url = url;
	req.endpoint = "v2/time";
	req.idempotent = 1;

	/* the system bundle does not know our CA */
	assert_int_equal(ps_http_send(&f->r, f->h, &req), PS_ETLS);
	assert_int_equal(f->r.attempts, 1);
	assert_non_null(strstr(ps_error_last(), "TLS failure"));
	assert_int_equal(mock_server_request_count(tls), 0);

	snprintf(path, sizeof(path), "%s/ca.pem", dir);
	f->o.ca_file = path;
	reopen(f);
	path[0] = '\0'; /* the client keeps its own copy */
	ps_http_response_dispose(&f->r);
	assert_int_equal(ps_http_send(&f->r, f->h, &req), 0);
	assert_int_equal(f->r.status, 200);
	assert_string_equal(f->r.body, "{\"secure\":true}");
	assert_int_equal(mock_server_request_count(tls), 1);

	mock_server_stop(tls);
	free(cert);
	free(key);
	run(dir, "rm -f ca.key ca.pem ca.srl srv.key srv.csr srv.pem ext.cnf");
	rmdir(dir);
}

/* --- several at once ----------------------------------------------------- */

/* n GETs of /many/<i> (the one at post is a POST) for send_many. */
static void
many_requests(fixture *f, ps_http_request *reqs, char (*urls)[128], size_t n,
	      size_t post)
{
	size_t i;

	memset(reqs, 0, n * sizeof(*reqs));
	for (i = 0; i < n; i++) {
		snprintf(urls[i], 128, "%s/many/%zu", mock_server_url(f->m), i);
		reqs[i].platform = PS_PLATFORM_BIGCOMMERCE;
		reqs[i].account = "acct";
		reqs[i].method = i == post ? "POST" : "GET";
		reqs[i].url = urls[i];
		reqs[i].endpoint = "many";
		reqs[i].idempotent = i != post;
	}
}

/* Reads run together and each gets its own reply; a write is not sent. */
static void
test_http__send_many_reads_together(void **state)
{
	fixture *f = *state;
	ps_http_request reqs[7];
	ps_http_response out[7];
	char urls[7][128];
	int errors[7], got[7] = {0};
	size_t i;
	mock_reply r = {MOCK_REPLY, 200, NULL, "{\"ok\":1}", 0, 0, 0};

	memset(out, 0, sizeof(out));
	mock_server_set_default(f->m, &r);
	many_requests(f, reqs, urls, 7, 3);
	assert_int_equal(ps_http_send_many(out, errors, f->h, reqs, 7, 3), 0);
	for (i = 0; i < 7; i++) {
		if (i == 3) {
			assert_int_equal(errors[i], PS_EINVAL);
			assert_int_equal(out[i].attempts, 0);
		} else {
			assert_int_equal(errors[i], 0);
			assert_int_equal(out[i].status, 200);
			assert_string_equal(out[i].body, "{\"ok\":1}");
			assert_int_equal(out[i].attempts, 1);
		}
		assert_non_null(out[i].body);
		ps_http_response_dispose(&out[i]);
	}
	assert_int_equal(mock_server_request_count(f->m), 6);
	for (i = 0; i < 6; i++) {
		const mock_request *q = mock_server_request(f->m, i);
		unsigned long k = strtoul(q->path + 6, NULL, 10);

		assert_string_equal(q->method, "GET");
		assert_true(k < 7 && k != 3 && !got[k]);
		got[k] = 1;
	}
	/* the transfers are kept and reused by the next call */
	assert_int_equal(ps_http_send_many(out, errors, f->h, reqs, 2, 8), 0);
	assert_int_equal(errors[0], 0);
	assert_int_equal(errors[1], 0);
	for (i = 0; i < 2; i++)
		ps_http_response_dispose(&out[i]);
	assert_int_equal(mock_server_request_count(f->m), 8);
}

/* No retries and no waits: a dropped reply and a limiter that would wait
 * are left to the caller. */
static void
test_http__send_many_leaves_failures_to_the_caller(void **state)
{
	fixture *f = *state;
	ps_http_request reqs[4];
	ps_http_response out[4];
	char urls[4][128];
	int errors[4], failed = 0;
	size_t i;

	memset(out, 0, sizeof(out));
	mock_server_act(f->m, MOCK_DROP);
	mock_server_reply(f->m, 200, NULL, "[]");
	mock_server_reply(f->m, 200, NULL, "[]");
	mock_server_reply(f->m, 200, NULL, "[]");
	many_requests(f, reqs, urls, 4, SIZE_MAX);
	assert_int_equal(ps_http_send_many(out, errors, f->h, reqs, 4, 2), 0);
	for (i = 0; i < 4; i++) {
		assert_int_equal(out[i].attempts, 1);
		if (errors[i] != 0) {
			assert_int_equal(errors[i], PS_ENET);
			assert_int_equal(out[i].status, 0);
			assert_string_equal(out[i].body, "");
			failed++;
		}
		ps_http_response_dispose(&out[i]);
	}
	assert_int_equal(failed, 1);
	assert_int_equal(mock_server_request_count(f->m), 4);
	assert_int_equal(f->clk.nsleeps, 0);

	/* 2 requests left is the reserve: nothing is sent, nothing waits */
	mock_server_reply(f->m, 200, BC_LIMIT(2, 1500), "[]");
	assert_int_equal(get(f, PS_PLATFORM_BIGCOMMERCE, "/v2/a"), 0);
	assert_int_equal(ps_http_send_many(out, errors, f->h, reqs, 4, 4), 0);
	for (i = 0; i < 4; i++) {
		assert_int_equal(errors[i], PS_ERATELIMIT);
		ps_http_response_dispose(&out[i]);
	}
	assert_int_equal(mock_server_request_count(f->m), 5);
	assert_int_equal(f->clk.nsleeps, 0);
}

/* --- the circuit breaker ------------------------------------------------- */

#define BP_OUTAGE "<html><body><h1>503 Service Unavailable</h1></body></html>"

/* n plain 503s (an outage, not a throttle) in the script. */
static void
outage(fixture *f, int n)
{
	while (n-- > 0)
		mock_server_reply(f->m, 503, "Content-Type: text/html\n",
				  BP_OUTAGE);
}

static int
bp_get(fixture *f)
{
	return get(f, PS_PLATFORM_BRIGHTPEARL, "/order-service/order");
}

static void
test_http__breaker_opens_after_failures_in_a_row(void **state)
{
	fixture *f = *state;
	int open = -1;
	int64_t slept;

	/* 4 attempts of the first request, the 5th failure opens it */
	outage(f, 5);
	mock_server_reply(f->m, 200, NULL, "never sent");
	assert_int_equal(bp_get(f), PS_EREMOTE);
	assert_int_equal(f->r.attempts, 4);
	assert_int_equal(
		ps_http_breaker_wait_ms(f->h, PS_PLATFORM_BRIGHTPEARL, &open),
		0);
	assert_int_equal(open, 0);
	slept = f->clk.now;
	assert_int_equal(bp_get(f), PS_EREMOTE);
	/* the failure that opened it is not followed by a backoff */
	assert_int_equal(f->r.attempts, 1);
	assert_int_equal(f->clk.now, slept);
	assert_int_equal(f->r.status, 503);
	assert_string_equal(ps_error_last(),
			    "Brightpearl unreachable since 12:00:00 (5 "
			    "failures, last HTTP 503); next try in 5 s (GET "
			    "order-service/order not sent)");
	assert_int_equal(
		ps_http_breaker_wait_ms(f->h, PS_PLATFORM_BRIGHTPEARL, &open),
		5000);
	assert_int_equal(open, 1);

	/* while open: nothing sent, nothing waited, the same detail */
	f->clk.now += 2000;
	assert_int_equal(bp_get(f), PS_EREMOTE);
	assert_int_equal(f->r.attempts, 0);
	assert_int_equal(f->r.status, 0);
	assert_int_equal(mock_server_request_count(f->m), 5);
	assert_int_equal(f->clk.now, slept + 2000);
	assert_non_null(strstr(ps_error_last(), "next try in 3 s"));
	/* other platforms and accounts are not affected */
	assert_int_equal(
		ps_http_breaker_wait_ms(f->h, PS_PLATFORM_BIGCOMMERCE, &open),
		0);
	assert_int_equal(open, 0);
	mock_server_clear(f->m);
	mock_server_reply(f->m, 200, NULL, "[]");
	assert_int_equal(send_to(f, PS_PLATFORM_BRIGHTPEARL, "other", "GET",
				 "/order-service/order", NULL, NULL, 1),
			 0);
	assert_int_equal(mock_server_request_count(f->m), 1);
}

static void
test_http__breaker_probe_closes_or_reopens_longer(void **state)
{
	fixture *f = *state;
	static const int64_t cooldowns[] = {10000, 20000, 40000, 60000, 60000};
	size_t i;

	f->o.max_attempts = 1;
	f->o.breaker_threshold = 2;
	f->o.breaker_cooldown_ms = 5000;
	f->o.breaker_cooldown_cap_ms = 60000;
	reopen(f);
	outage(f, 2);
	assert_int_equal(bp_get(f), PS_EREMOTE);
	assert_int_equal(bp_get(f), PS_EREMOTE);
	assert_int_equal(
		ps_http_breaker_wait_ms(f->h, PS_PLATFORM_BRIGHTPEARL, NULL),
		5000);
	/* each failed probe doubles the cool-down, up to the cap */
	for (i = 0; i < PS__TEST_LEN(cooldowns); i++) {
		f->clk.now += ps_http_breaker_wait_ms(
			f->h, PS_PLATFORM_BRIGHTPEARL, NULL);
		outage(f, 1);
		assert_int_equal(bp_get(f), PS_EREMOTE);
		assert_int_equal(f->r.attempts, 1);
		assert_int_equal(ps_http_breaker_wait_ms(
					 f->h, PS_PLATFORM_BRIGHTPEARL, NULL),
				 cooldowns[i]);
	}
	assert_int_equal(mock_server_request_count(f->m), 2 + 5);
	/* a probe that gets an answer closes it */
	f->clk.now += 60000;
	mock_server_reply(f->m, 200, NULL, "[]");
	mock_server_reply(f->m, 200, NULL, "[]");
	assert_int_equal(bp_get(f), 0);
	assert_int_equal(bp_get(f), 0);
	assert_int_equal(
		ps_http_breaker_wait_ms(f->h, PS_PLATFORM_BRIGHTPEARL, NULL),
		0);
	/* and the count starts again: one failure does not reopen it */
	outage(f, 1);
	assert_int_equal(bp_get(f), PS_EREMOTE);
	assert_int_equal(
		ps_http_breaker_wait_ms(f->h, PS_PLATFORM_BRIGHTPEARL, NULL),
		0);
}

/*
 * The defaults: after five failures in a row 5 s, then 10 s per failed
 * probe however long the platform stays down, so its return is seen
 * within 10 s; a Retry-After longer than that still wins (below).
 */
static void
test_http__breaker_default_cooldown_capped_at_10s(void **state)
{
	fixture *f = *state;
	static const int64_t cooldowns[] = {10000, 10000, 10000, 10000};
	size_t i;

	f->o.max_attempts = 1;
	reopen(f);
	outage(f, 5);
	for (i = 0; i < 5; i++)
		assert_int_equal(bp_get(f), PS_EREMOTE);
	assert_int_equal(
		ps_http_breaker_wait_ms(f->h, PS_PLATFORM_BRIGHTPEARL, NULL),
		5000);
	for (i = 0; i < PS__TEST_LEN(cooldowns); i++) {
		f->clk.now += ps_http_breaker_wait_ms(
			f->h, PS_PLATFORM_BRIGHTPEARL, NULL);
		outage(f, 1);
		assert_int_equal(bp_get(f), PS_EREMOTE);
		assert_int_equal(ps_http_breaker_wait_ms(
					 f->h, PS_PLATFORM_BRIGHTPEARL, NULL),
				 cooldowns[i]);
	}
	assert_int_equal(mock_server_request_count(f->m), 5 + 4);
}

static void
test_http__breaker_ignores_answers_4xx_and_throttles(void **state)
{
	fixture *f = *state;

	f->o.max_attempts = 1;
	f->o.breaker_threshold = 2;
	reopen(f);
	/* 503, then an answer (404, a 429, a throttle 503) between each */
	outage(f, 1);
	mock_server_reply(f->m, 404, NULL, "{}");
	outage(f, 1);
	mock_server_reply(f->m, 429, "Retry-After: 1\n", "");
	outage(f, 1);
	mock_server_reply(f->m, 503, NULL,
			  "{\"response\":\"You have sent too many requests. "
			  "Please wait\"}");
	outage(f, 1);
	mock_server_reply(f->m, 200, NULL, "[]");
	assert_int_equal(bp_get(f), PS_EREMOTE);
	assert_int_equal(bp_get(f), 0);
	assert_int_equal(bp_get(f), PS_EREMOTE);
	assert_int_equal(bp_get(f), PS_ERATELIMIT);
	assert_int_equal(bp_get(f), PS_EREMOTE);
	assert_int_equal(bp_get(f), PS_ERATELIMIT);
	assert_int_equal(bp_get(f), PS_EREMOTE);
	assert_int_equal(bp_get(f), 0);
	assert_int_equal(mock_server_request_count(f->m), 8);
	assert_int_equal(
		ps_http_breaker_wait_ms(f->h, PS_PLATFORM_BRIGHTPEARL, NULL),
		0);
}

static void
test_http__breaker_on_transport_failures_and_retry_after(void **state)
{
	fixture *f = *state;
	ps_http_request req;
	int port;

	f->o.max_attempts = 4;
	f->o.breaker_threshold = 3;
	reopen(f);
	/* a refused connection: nobody listens on the stopped server's port */
	port = mock_server_port(f->m);
	mock_server_stop(f->m);
	f->m = NULL;
	f->clk.server = NULL;
	memset(&req, 0, sizeof(req));
	{
		char url[64];

		snprintf(url, sizeof(url), "http://127.0.0.1:%d/v3/x", port);
		req.platform = PS_PLATFORM_BIGCOMMERCE;
		req.account = "store";
		req.method = "GET";
		req.url = url;
		req.endpoint = "v3/x";
		req.idempotent = 1;
		assert_int_equal(ps_http_send(&f->r, f->h, &req), PS_ENET);
		assert_int_equal(f->r.attempts, 3);
		assert_string_equal(ps_error_last(),
				    "BigCommerce unreachable since 12:00:00 (3 "
				    "failures); next try in 5 s (GET v3/x not "
				    "sent)");
		ps_http_response_dispose(&f->r);
		assert_int_equal(ps_http_send(&f->r, f->h, &req), PS_ENET);
		assert_int_equal(f->r.attempts, 0);
	}
	assert_int_equal(mock_server_start(&f->m, NULL), 0);
	f->clk.server = f->m;

	/* a longer Retry-After on the 503 that opens it sets the cool-down,
	 * past the cap (10 s by default) */
	f->o.max_attempts = 1;
	f->o.breaker_threshold = 1;
	reopen(f);
	mock_server_reply(f->m, 503, "Retry-After: 30\n", "maintenance");
	assert_int_equal(get(f, PS_PLATFORM_DSCO, "/api/orders"), PS_EREMOTE);
	assert_int_equal(ps_http_breaker_wait_ms(f->h, PS_PLATFORM_DSCO, NULL),
			 30000);
}

static void
test_http__breaker_holds_send_many(void **state)
{
	fixture *f = *state;
	ps_http_request reqs[3];
	ps_http_response out[3];
	char urls[3][128];
	int errors[3];
	size_t i;

	f->o.max_attempts = 1;
	f->o.breaker_threshold = 1;
	reopen(f);
	memset(out, 0, sizeof(out));
	mock_server_reply(f->m, 502, NULL, "bad gateway");
	assert_int_equal(get(f, PS_PLATFORM_BIGCOMMERCE, "/v2/orders"),
			 PS_EREMOTE);
	many_requests(f, reqs, urls, 3, SIZE_MAX);
	assert_int_equal(ps_http_send_many(out, errors, f->h, reqs, 3, 3), 0);
	for (i = 0; i < 3; i++) {
		assert_int_equal(errors[i], PS_EREMOTE);
		assert_int_equal(out[i].attempts, 0);
		ps_http_response_dispose(&out[i]);
	}
	assert_int_equal(mock_server_request_count(f->m), 1);
}

int
main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_http__degenerate_arguments),
		T(test_http__system_clock_and_random),
		T(test_http__sends_headers_query_and_user_agent),
		T(test_http__sends_json_body_with_method),
		T(test_http__reuses_the_connection),
		T(test_http__decodes_gzip_responses),
		T(test_http__retries_on_429_with_full_jitter),
		T(test_http__observer_sees_each_attempt_without_query),
		T(test_http__retries_on_429_with_hints),
		T(test_http__hint_is_capped_by_max_wait),
		T(test_http__429_past_the_budget_is_ratelimit),
		T(test_http__brightpearl_503_throttle_waits_next_period),
		T(test_http__brightpearl_throttle_past_budget_is_ratelimit),
		T(test_http__brightpearl_plain_503_is_an_outage),
		T(test_http__brightpearl_429_honours_retry_after),
		T(test_http__retry_after_as_an_http_date),
		T(test_http__retries_500_up_to_the_limit),
		T(test_http__backoff_ceiling_doubles_up_to_the_cap),
		T(test_http__other_5xx_and_redirects_are_not_retried),
		T(test_http__401_is_auth_error_at_once),
		T(test_http__404_and_422_are_data),
		T(test_http__dropped_connection_is_retried_when_idempotent),
		T(test_http__dropped_post_is_not_retried),
		T(test_http__refused_connection_is_retried_even_for_post),
		T(test_http__truncated_body_is_retried),
		T(test_http__invalid_json_names_line_and_column),
		T(test_http__oversized_body_is_toobig),
		T(test_http__timeout_is_etimeout),
		T(test_http__limiter_waits_at_the_reserve_bigcommerce),
		T(test_http__limiter_waits_at_the_reserve_brightpearl),
		T(test_http__limiter_counts_down_between_replies),
		T(test_http__limiter_wait_is_capped_by_max_wait),
		T(test_http__counts_per_platform_endpoint_and_outcome),
		T(test_http__cancel_flag_stops_waits),
		T(test_http__debug_log_never_shows_tokens),
		T(test_http__tls_refuses_untrusted_and_trusts_the_ca),
		T(test_http__send_many_reads_together),
		T(test_http__send_many_leaves_failures_to_the_caller),
		T(test_http__breaker_opens_after_failures_in_a_row),
		T(test_http__breaker_probe_closes_or_reopens_longer),
		T(test_http__breaker_default_cooldown_capped_at_10s),
		T(test_http__breaker_ignores_answers_4xx_and_throttles),
		T(test_http__breaker_on_transport_failures_and_retry_after),
		T(test_http__breaker_holds_send_many),
	};
#undef T
	int rc;

	/* the breaker's "since HH:MM:SS" is local time */
	setenv("TZ", "UTC", 1);
	tzset();
	ps_lib_init();
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	ps_lib_shutdown();
	return rc;
}
