/*
 * test_rate.c - the limiter as a token bucket with a cost per request,
 * driven by dialects: test plug-ins registered here meter their API in
 * headers (a window) or in the reply's JSON body (credits refilled per
 * second, as a GraphQL API reports them), and the built-in dialects.
 *
 * The client talks to the scripted in-process server with a fake clock:
 * time moves only when the limiter sleeps, so mock_clock.waits[k] (the
 * time slept between request k and k+1) is the wait it chose.
 */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
/* clang-format on */

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "mock_server.h"
#include "pearlsync/http.h"
#include "pearlsync/platform.h"

/* Ids no built-in plug-in uses. */
#define P_WINDOW ((ps_platform)9)
#define P_CREDITS ((ps_platform)10)
#define P_SILENT ((ps_platform)11)
#define P_NONE ((ps_platform)12) /* no plug-in has this id */

/* --- the test dialects -----------------------------------------------------
 */

/* A request's cost is the number its endpoint ends with ("q/50": 50). */
static long
cost_of_endpoint(const ps_http_request *req)
{
	const char *slash = req->endpoint ? strrchr(req->endpoint, '/') : NULL;

	return slash != NULL ? strtol(slash + 1, NULL, 10) : 1;
}

/* Header-fed: X-Left units until the window resets in X-Reset-Ms. */
static int
window_read(ps_http_budget_hint *out, const ps_http_response *r)
{
	int64_t left = ps_http_response_header_number(r, "X-Left");

	out->remaining = left > LONG_MAX ? LONG_MAX : (long)left;
	out->reset_ms = ps_http_response_header_number(r, "X-Reset-Ms");
	out->quota = 100;
	out->window_ms = 10000;
	out->refill_per_s = -1;
	return left >= 0;
}

static const ps_http_dialect window_dialect = {
	.unit = "units",
	.read = window_read,
	.cost = cost_of_endpoint,
	.default_quota = -1,
	.default_refill_per_s = -1,
	.default_window_ms = -1,
};

static long
json_long(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	return json_is_integer(v) ? (long)json_integer_value(v) : -1;
}

/*
 * Body-fed, as a GraphQL API reports it: extensions.throttling.user_quota
 * {credits_remaining, max_available, increment_rate (per second)}.
 */
static int
credits_read(ps_http_budget_hint *out, const ps_http_response *r)
{
	json_t *doc = json_loadb(r->body, r->body_len, 0, NULL), *q;
	int ok = 0;

	q = json_object_get(json_object_get(json_object_get(doc, "extensions"),
					    "throttling"),
			    "user_quota");
	if (json_is_object(q)) {
		out->remaining = json_long(q, "credits_remaining");
		out->quota = json_long(q, "max_available");
		out->refill_per_s = json_long(q, "increment_rate");
		out->reset_ms = -1;
		out->window_ms = -1;
		ok = out->remaining >= 0;
	}
	json_decref(doc);
	return ok;
}

/* Out of credits: a 200 whose errors carry code 30. */
static int
credits_is_throttle(const ps_http_response *r)
{
	return r->status == 200 && r->body != NULL &&
	       strstr(r->body, "\"code\": 30") != NULL;
}

static const ps_http_dialect credits_dialect = {
	.unit = "credits",
	.read = credits_read,
	.is_throttle = credits_is_throttle,
	.cost = cost_of_endpoint,
	.default_quota = 20,
	.default_refill_per_s = 5,
	.default_window_ms = -1,
};

/* Says nothing, ever: the budget stays unknown. */
static const ps_http_dialect silent_dialect = {
	.unit = "requests",
	.cost = cost_of_endpoint,
	.default_quota = -1,
	.default_refill_per_s = -1,
	.default_window_ms = -1,
};

static const ps_platform_ops window_ops = {
	.id = P_WINDOW,
	.name = "testwindow",
	.code = "tw",
	.title = "Test Window",
	.rate = &window_dialect,
};

static const ps_platform_ops credits_ops = {
	.id = P_CREDITS,
	.name = "testcredits",
	.code = "tc",
	.title = "Test Credits",
	.rate = &credits_dialect,
};

static const ps_platform_ops silent_ops = {
	.id = P_SILENT,
	.name = "testsilent",
	.code = "ts",
	.title = "Test Silent",
	.rate = &silent_dialect,
};

/* A reply body reporting the credit bucket. */
#define CREDITS(left, max, rate)                                               \
	"{\"data\":{},\"extensions\":{\"throttling\":{\"cost\":1,"             \
	"\"user_quota\":{\"credits_remaining\":" #left                         \
	",\"max_available\":" #max ",\"increment_rate\":" #rate "}}}}"

/* --- fixture
 * ------------------------------------------------------------------ */

typedef struct fixture {
	mock_server *m;
	mock_clock clk;
	mock_random rnd;
	mock_clock wall;
	ps_http_options o;
	ps_http *h;
	ps_http_response r;
} fixture;

static const uint64_t fixed_random[] = {12345};

static int
setup(void **state)
{
	static const ps_http_options defaults = PS_HTTP_OPTIONS_INIT;
	fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	assert_int_equal(mock_server_start(&f->m, NULL), 0);
	mock_clock_init(&f->clk, f->m, 1000000);
	mock_random_init(&f->rnd, fixed_random, 1);
	mock_clock_init(&f->wall, NULL, INT64_C(1796299200000));
	f->o = defaults;
	f->o.connect_timeout_ms = 2000;
	f->o.total_timeout_ms = 5000;
	f->o.max_attempts = 3;
	f->o.backoff_base_ms = 100;
	f->o.backoff_cap_ms = 1000;
	f->o.max_wait_ms = 60000;
	f->o.limiter_reserve = 2;
	f->o.clock = &f->clk.clock;
	f->o.random = &f->rnd.random;
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

/* GET path for platform p, account "acct"; the endpoint is the path. */
static int
get(fixture *f, ps_platform p, const char *path)
{
	char url[256];
	ps_http_request req;

	snprintf(url, sizeof(url), "%s%s", mock_server_url(f->m), path);
	memset(&req, 0, sizeof(req));
	req.platform = p;
	req.account = "acct";
	req.method = "GET";
	req.url = url;
	req.endpoint = path + 1;
	req.idempotent = 1;
	ps_http_response_dispose(&f->r);
	return ps_http_send(&f->r, f->h, &req);
}

static long
left(fixture *f, ps_platform p)
{
	return ps_http_limit_remaining(f->h, p, "acct");
}

/* --- tests
 * -------------------------------------------------------------------- */

static void
test_rate__costs_drain_the_bucket_faster(void **state)
{
	fixture *f = *state;

	mock_server_reply(f->m, 200, "X-Left: 12\nX-Reset-Ms: 5000\n", "{}");
	mock_server_reply(f->m, 200, NULL, "{}");
	mock_server_reply(f->m, 200, NULL, "{}");
	mock_server_reply(f->m, 200, NULL, "{}");
	assert_int_equal(get(f, P_WINDOW, "/q/1"), 0);
	assert_int_equal(left(f, P_WINDOW), 12);
	/* 12 - 4 = 8, then 8 - 4 = 4: both keep the reserve of 2 */
	assert_int_equal(get(f, P_WINDOW, "/q/4"), 0);
	assert_int_equal(left(f, P_WINDOW), 8);
	assert_int_equal(get(f, P_WINDOW, "/q/4"), 0);
	assert_int_equal(left(f, P_WINDOW), 4);
	assert_int_equal(f->clk.waits[1] + f->clk.waits[2], 0);
	/* 4 cannot pay 4 and keep 2: wait for the reset, a full window */
	assert_int_equal(get(f, P_WINDOW, "/q/4"), 0);
	assert_int_equal(f->clk.waits[3], 5000);
	assert_int_equal(left(f, P_WINDOW), 100 - 4);
	assert_int_equal(mock_server_request_count(f->m), 4);
}

static void
test_rate__cost_of_one_waits_later(void **state)
{
	fixture *f = *state;
	int i;

	/* the same 12 units at cost 1: nine requests go before a wait */
	mock_server_reply(f->m, 200, "X-Left: 12\nX-Reset-Ms: 5000\n", "{}");
	for (i = 0; i < 11; i++)
		mock_server_reply(f->m, 200, NULL, "{}");
	assert_int_equal(get(f, P_WINDOW, "/q/1"), 0);
	for (i = 0; i < 10; i++)
		assert_int_equal(get(f, P_WINDOW, "/q/1"), 0);
	for (i = 1; i <= 10; i++)
		assert_int_equal(f->clk.waits[i], 0);
	assert_int_equal(left(f, P_WINDOW), 2);
	assert_int_equal(get(f, P_WINDOW, "/q/1"), 0);
	assert_int_equal(f->clk.waits[11], 5000);
}

static void
test_rate__body_fed_credits_wait_for_the_refill(void **state)
{
	fixture *f = *state;
	ps_http_budget b;

	mock_server_reply(f->m, 200, NULL, CREDITS(100, 1000, 10));
	mock_server_reply(f->m, 200, NULL, CREDITS(45, 1000, 10));
	mock_server_reply(f->m, 200, NULL, CREDITS(0, 1000, 10));
	/* the first reply sets the bucket: 100 credits, 10 a second */
	assert_int_equal(get(f, P_CREDITS, "/graphql/50"), 0);
	assert_int_equal(left(f, P_CREDITS), 100);
	assert_int_not_equal(ps_http_limit_budget(&b, f->h, P_CREDITS, "acct"),
			     0);
	assert_int_equal(b.remaining, 100);
	assert_int_equal(b.quota, 1000);
	assert_string_equal(b.unit, "credits");
	/* 100 pays 50 + the reserve; the reply says 45 are left */
	assert_int_equal(get(f, P_CREDITS, "/graphql/50"), 0);
	assert_int_equal(f->clk.waits[1], 0);
	assert_int_equal(left(f, P_CREDITS), 45);
	/* 45 cannot pay 50 + 2: 7 credits more at 10 a second */
	assert_int_equal(get(f, P_CREDITS, "/graphql/50"), 0);
	assert_int_equal(f->clk.waits[2], 700);
	assert_int_equal(left(f, P_CREDITS), 0);
	/* the bucket refills as time passes, never past the quota */
	f->clk.now += 3000;
	assert_int_equal(left(f, P_CREDITS), 30);
	f->clk.now += 1000000;
	assert_int_equal(left(f, P_CREDITS), 1000);
	assert_int_equal(mock_server_request_count(f->m), 3);
}

static void
test_rate__defaults_before_any_reply(void **state)
{
	fixture *f = *state;

	/* replies that say nothing of the bucket: the dialect's defaults */
	mock_server_reply(f->m, 200, NULL, "{}");
	mock_server_reply(f->m, 200, NULL, "{}");
	assert_int_equal(left(f, P_CREDITS), -1);
	assert_int_equal(get(f, P_CREDITS, "/graphql/10"), 0);
	assert_int_equal(left(f, P_CREDITS), 20 - 10);
	/* 10 left, 10 + 2 needed: 2 credits at 5 a second */
	assert_int_equal(get(f, P_CREDITS, "/graphql/10"), 0);
	assert_int_equal(f->clk.waits[1], 400);
	assert_int_equal(left(f, P_CREDITS), 2);
}

static void
test_rate__cost_above_the_quota_waits_for_a_full_bucket(void **state)
{
	fixture *f = *state;

	mock_server_reply(f->m, 200, NULL, CREDITS(10, 50, 20));
	mock_server_reply(f->m, 200, NULL, "{}");
	assert_int_equal(get(f, P_CREDITS, "/graphql/1"), 0);
	/* 80 can never be paid: wait until full (40 credits, 2 s), then go */
	assert_int_equal(get(f, P_CREDITS, "/graphql/80"), 0);
	assert_int_equal(f->clk.waits[1], 2000);
	assert_int_equal(left(f, P_CREDITS), 0);
}

static void
test_rate__body_throttle_is_retried(void **state)
{
	fixture *f = *state;

	mock_server_reply(f->m, 200, NULL,
			  "{\"errors\":[{\"code\": 30}],\"extensions\":{"
			  "\"throttling\":{\"user_quota\":{"
			  "\"credits_remaining\":0,\"max_available\":100,"
			  "\"increment_rate\":10}}}}");
	mock_server_reply(f->m, 200, NULL, CREDITS(90, 100, 10));
	assert_int_equal(get(f, P_CREDITS, "/graphql/5"), 0);
	assert_int_equal(mock_server_request_count(f->m), 2);
	/*
	 * The throttle's backoff (23 ms, the jitter of the first retry) is
	 * not enough: the limiter waits on for the 7 credits.
	 */
	assert_int_equal(f->clk.waits[1], 700);
	assert_int_equal(left(f, P_CREDITS), 90);
}

static void
test_rate__header_fed_dialects_still_work(void **state)
{
	fixture *f = *state;
	ps_http_budget b;

	mock_server_reply(f->m, 200,
			  "X-Rate-Limit-Requests-Left: 2\n"
			  "X-Rate-Limit-Time-Reset-Ms: 1200\n"
			  "X-Rate-Limit-Time-Window-Ms: 30000\n"
			  "X-Rate-Limit-Requests-Quota: 150\n",
			  "[]");
	mock_server_reply(f->m, 200, NULL, "[]");
	assert_int_equal(get(f, PS_PLATFORM_BIGCOMMERCE, "/v3/x"), 0);
	assert_int_not_equal(
		ps_http_limit_budget(&b, f->h, PS_PLATFORM_BIGCOMMERCE, "acct"),
		0);
	assert_int_equal(b.remaining, 2);
	assert_int_equal(b.quota, 150);
	assert_string_equal(b.unit, "requests");
	assert_int_equal(get(f, PS_PLATFORM_BIGCOMMERCE, "/v3/y"), 0);
	assert_int_equal(f->clk.waits[1], 1200);
	assert_int_equal(left(f, PS_PLATFORM_BIGCOMMERCE), 149);
}

static void
test_rate__unknown_budget_never_waits(void **state)
{
	fixture *f = *state;
	ps_http_budget b;
	int i;

	for (i = 0; i < 4; i++)
		mock_server_reply(f->m, 200, "X-Left: 0\n", "{}");
	/* a dialect that says nothing, at any cost */
	assert_int_equal(get(f, P_SILENT, "/q/1000"), 0);
	assert_int_equal(get(f, P_SILENT, "/q/1000"), 0);
	/* a platform without a dialect */
	assert_int_equal(get(f, P_NONE, "/q/1000"), 0);
	assert_int_equal(get(f, P_NONE, "/q/1000"), 0);
	for (i = 0; i < 4; i++)
		assert_int_equal(f->clk.waits[i], 0);
	assert_int_equal(ps_http_limit_budget(&b, f->h, P_SILENT, "acct"), 0);
	assert_int_equal(b.remaining, -1);
	assert_int_equal(left(f, P_NONE), -1);
}

static void
test_rate__send_many_leaves_what_cannot_be_paid(void **state)
{
	fixture *f = *state;
	ps_http_request reqs[2];
	ps_http_response outs[2] = {PS_HTTP_RESPONSE_INIT,
				    PS_HTTP_RESPONSE_INIT};
	char url[256];
	int errors[2];

	mock_server_reply(f->m, 200, NULL, CREDITS(30, 100, 1));
	mock_server_reply(f->m, 200, NULL, "{}");
	assert_int_equal(get(f, P_CREDITS, "/graphql/1"), 0);
	snprintf(url, sizeof(url), "%s/graphql", mock_server_url(f->m));
	memset(reqs, 0, sizeof(reqs));
	reqs[0].platform = reqs[1].platform = P_CREDITS;
	reqs[0].account = reqs[1].account = "acct";
	reqs[0].method = reqs[1].method = "GET";
	reqs[0].url = reqs[1].url = url;
	reqs[0].idempotent = reqs[1].idempotent = 1;
	reqs[0].endpoint = "graphql/20";
	reqs[1].endpoint = "graphql/20";
	/* 30 pays the first 20; the 10 left cannot pay the second */
	assert_int_equal(ps_http_send_many(outs, errors, f->h, reqs, 2, 1), 0);
	assert_int_equal(errors[0], 0);
	assert_int_equal(errors[1], PS_ERATELIMIT);
	assert_int_equal(mock_server_request_count(f->m), 2);
	ps_http_response_dispose(&outs[0]);
	ps_http_response_dispose(&outs[1]);
}

/* --- pacing: Brightpearl's rolling window ------------------------------ */

/* A Brightpearl reply: left requests, the oldest leaves in period ms. */
static void
bp_reply(fixture *f, int left_n, int period)
{
	char h[128];

	snprintf(h, sizeof(h),
		 "brightpearl-requests-remaining: %d\n"
		 "brightpearl-next-throttle-period: %d\n",
		 left_n, period);
	mock_server_reply(f->m, 200, h, "{}");
}

static void
test_rate__pace_burst_goes_at_once(void **state)
{
	fixture *f = *state;
	int i;

	/* an empty window: 199 left, the whole minute to go; down to 51
	 * nothing is spaced (a lone order never waits for the pacing) */
	for (i = 0; i < 5; i++)
		bp_reply(f, 199 - 37 * i, 60000 - i);
	for (i = 0; i < 5; i++)
		assert_int_equal(get(f, PS_PLATFORM_BRIGHTPEARL, "/o"), 0);
	for (i = 0; i < 5; i++)
		assert_int_equal(f->clk.waits[i], 0);
	assert_int_equal(left(f, PS_PLATFORM_BRIGHTPEARL), 51);
}

static void
test_rate__pace_spacing_grows_as_the_bucket_empties(void **state)
{
	fixture *f = *state;
	ps_http_pace pc;

	/* quota 200 and window 60 s are learnt from the first reply; the
	 * burst share is 25% (50): from 50 left down to the floor (12)
	 * requests go at the quota's own rate (60000 / 200 = 300 ms apart),
	 * at 6 half as fast, at 3 a quarter; the limiter's own reserve
	 * still covers an empty bucket */
	bp_reply(f, 199, 60000);
	bp_reply(f, 50, 30000);
	bp_reply(f, 13, 30000);
	bp_reply(f, 6, 30000);
	bp_reply(f, 3, 30000);
	assert_int_equal(get(f, PS_PLATFORM_BRIGHTPEARL, "/o"), 0);
	assert_int_equal(get(f, PS_PLATFORM_BRIGHTPEARL, "/o"), 0);
	assert_int_equal(f->clk.waits[1], 0); /* 199 left: a burst */
	assert_int_not_equal(
		ps_http_limit_pace(&pc, f->h, PS_PLATFORM_BRIGHTPEARL), 0);
	assert_int_equal(pc.left, 50);
	assert_int_equal(pc.quota, 200);
	assert_int_equal(pc.window_ms, 60000);
	assert_true(pc.short_budget);
	assert_true(pc.rate > 3.32 && pc.rate < 3.34);
	assert_int_equal(get(f, PS_PLATFORM_BRIGHTPEARL, "/o"), 0);
	assert_int_equal(f->clk.waits[2], 300);
	assert_int_equal(get(f, PS_PLATFORM_BRIGHTPEARL, "/o"), 0);
	assert_int_equal(f->clk.waits[3], 300);
	assert_int_equal(get(f, PS_PLATFORM_BRIGHTPEARL, "/o"), 0);
	assert_int_equal(f->clk.waits[4], 600);
	assert_int_not_equal(
		ps_http_limit_pace(&pc, f->h, PS_PLATFORM_BRIGHTPEARL), 0);
	assert_int_equal(pc.left, 3);
	assert_true(pc.rate > 0.82 && pc.rate < 0.84);
	assert_int_equal(mock_server_request_count(f->m), 5);
}

static void
test_rate__pace_counts_from_the_last_request(void **state)
{
	fixture *f = *state;

	/* 6 left: 600 ms apart.  A reset of the rolling window (its oldest
	 * request leaves after 100 ms) forgets the count, but the spacing
	 * keeps the last count known rather than bursting again */
	bp_reply(f, 199, 60000);
	bp_reply(f, 6, 100);
	bp_reply(f, 6, 100);
	bp_reply(f, 6, 100);
	assert_int_equal(get(f, PS_PLATFORM_BRIGHTPEARL, "/o"), 0);
	assert_int_equal(get(f, PS_PLATFORM_BRIGHTPEARL, "/o"), 0);
	assert_int_equal(get(f, PS_PLATFORM_BRIGHTPEARL, "/o"), 0);
	assert_int_equal(f->clk.waits[2], 600);
	assert_int_equal(left(f, PS_PLATFORM_BRIGHTPEARL), 6);
	/* time that passed on its own counts: 400 of the 600 ms; the
	 * window's reset came meanwhile */
	f->clk.now += 400;
	assert_int_equal(left(f, PS_PLATFORM_BRIGHTPEARL), -1);
	assert_int_equal(get(f, PS_PLATFORM_BRIGHTPEARL, "/o"), 0);
	assert_int_equal(f->clk.waits[3], 200);
}

/* POST of a multi-message declaring cost units (ps_http_request.cost). */
static int
post_multi(fixture *f, long cost)
{
	char url[256];
	ps_http_request req;

	snprintf(url, sizeof(url), "%s/multi-message", mock_server_url(f->m));
	memset(&req, 0, sizeof(req));
	req.platform = PS_PLATFORM_BRIGHTPEARL;
	req.account = "acct";
	req.method = "POST";
	req.url = url;
	req.endpoint = "multi-message";
	req.body = "{}";
	req.body_len = 2;
	req.cost = cost;
	ps_http_response_dispose(&f->r);
	return ps_http_send(&f->r, f->h, &req);
}

static void
test_rate__pace_multi_message_as_charged(void **state)
{
	fixture *f = *state;

	/* 40 left (under the 50 burst share): a multi-message declaring 10
	 * waits for the quota's own rate of 10 units (3 s) until a reply
	 * shows what the platform charged.  Charged one unit (40 -> 39),
	 * the next is spaced as one request (300 ms); charged all ten
	 * (39 -> 29), as ten again */
	bp_reply(f, 199, 60000);
	bp_reply(f, 40, 30000);
	bp_reply(f, 39, 30000);
	bp_reply(f, 29, 30000);
	bp_reply(f, 19, 30000);
	assert_int_equal(get(f, PS_PLATFORM_BRIGHTPEARL, "/o"), 0);
	assert_int_equal(get(f, PS_PLATFORM_BRIGHTPEARL, "/o"), 0);
	assert_int_equal(post_multi(f, 10), 0);
	assert_int_equal(f->clk.waits[2], 3000);
	assert_int_equal(post_multi(f, 10), 0);
	assert_int_equal(f->clk.waits[3], 300);
	assert_int_equal(post_multi(f, 10), 0);
	assert_int_equal(f->clk.waits[4], 3000);
	assert_int_equal(mock_server_request_count(f->m), 5);
}

static void
test_rate__pace_off_and_for_other_dialects(void **state)
{
	fixture *f = *state;
	ps_http_pace pc;
	int i;

	/* a dialect that does not pace spends down to the reserve */
	mock_server_reply(f->m, 200, "X-Left: 20\nX-Reset-Ms: 5000\n", "{}");
	for (i = 0; i < 3; i++)
		mock_server_reply(f->m, 200, NULL, "{}");
	for (i = 0; i < 4; i++)
		assert_int_equal(get(f, P_WINDOW, "/q/1"), 0);
	for (i = 0; i < 4; i++)
		assert_int_equal(f->clk.waits[i], 0);
	assert_int_not_equal(ps_http_limit_pace(&pc, f->h, P_WINDOW), 0);
	assert_int_equal(pc.left, 17);
	assert_false(pc.short_budget);
	assert_true(pc.rate == 0);
	/* nothing known: nothing said */
	assert_int_equal(ps_http_limit_pace(&pc, f->h, P_SILENT), 0);
	assert_int_equal(pc.left, -1);
	assert_int_equal(ps_http_limit_pace(&pc, NULL, P_SILENT), 0);
}

static void
test_rate__pace_burst_share_zero_turns_it_off(void **state)
{
	fixture *f = *state;
	ps_http *h = NULL;
	ps_http_options o = f->o;
	ps_http_request req;
	char url[256];
	int i;

	o.pace_burst_pct = 0;
	assert_int_equal(ps_http_new(&h, &o), 0);
	bp_reply(f, 199, 60000);
	bp_reply(f, 10, 30000);
	bp_reply(f, 9, 30000);
	snprintf(url, sizeof(url), "%s/o", mock_server_url(f->m));
	memset(&req, 0, sizeof(req));
	req.platform = PS_PLATFORM_BRIGHTPEARL;
	req.account = "acct";
	req.method = "GET";
	req.url = url;
	req.endpoint = "o";
	req.idempotent = 1;
	for (i = 0; i < 3; i++) {
		assert_int_equal(ps_http_send(&f->r, h, &req), 0);
		ps_http_response_dispose(&f->r);
	}
	for (i = 0; i < 3; i++)
		assert_int_equal(f->clk.waits[i], 0);
	ps_http_free(h);
}

int
main(void)
{
#define T(t) cmocka_unit_test_setup_teardown(t, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_rate__costs_drain_the_bucket_faster),
		T(test_rate__cost_of_one_waits_later),
		T(test_rate__body_fed_credits_wait_for_the_refill),
		T(test_rate__defaults_before_any_reply),
		T(test_rate__cost_above_the_quota_waits_for_a_full_bucket),
		T(test_rate__body_throttle_is_retried),
		T(test_rate__header_fed_dialects_still_work),
		T(test_rate__unknown_budget_never_waits),
		T(test_rate__send_many_leaves_what_cannot_be_paid),
		T(test_rate__pace_burst_goes_at_once),
		T(test_rate__pace_spacing_grows_as_the_bucket_empties),
		T(test_rate__pace_counts_from_the_last_request),
		T(test_rate__pace_multi_message_as_charged),
		T(test_rate__pace_off_and_for_other_dialects),
		T(test_rate__pace_burst_share_zero_turns_it_off),
	};
#undef T

	if (ps_lib_init() != 0 || ps_platform_register(&window_ops) != 0 ||
	    ps_platform_register(&credits_ops) != 0 ||
	    ps_platform_register(&silent_ops) != 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
